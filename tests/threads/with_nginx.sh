#!/usr/bin/env bash
# Run a command against a private nginx that answers the end-session route.
#
#   tests/threads/with_nginx.sh CMD [ARGS...]
#
# Writes an nginx configuration into a temporary prefix, starts nginx
# (foreground, loopback only, an unused port, no file outside the prefix),
# exports
#   COORD_NGINX_URL=http://127.0.0.1:PORT/v1/access/parking
#   COORD_NGINX_KEY=<the access key it accepts>
#   COORD_NGINX_ACCESS_LOG=<its access log: "CONNECTION PROTOCOL STATUS" a line>
# runs CMD, stops nginx and exits with CMD's status.
#
# COORD_NGINX_TLS=h2 or COORD_NGINX_TLS=http1.1 serves HTTPS instead, with a
# throwaway PKI (tests/sim/make_test_pki.sh), offering HTTP/2 by ALPN or
# not; COORD_NGINX_URL is then https://..., and COORD_NGINX_CA names the
# test CA's PEM file.
#
# PUT {base}/{location}/session/{id}/end?access_key=KEY answers 200 with a
# session built from the path -- id and billing amount = {id}, location_id =
# {location}, user_id = "{location}-user" -- so that a caller can tell each
# answer is its own. A wrong key gets 403, anything else 404, with Coord
# error bodies. Needs nginx (Debian package nginx-light).
set -u

if [ "$#" -eq 0 ]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi
nginx="$(command -v nginx || echo /usr/sbin/nginx)"
if [ ! -x "$nginx" ]; then
    echo "with_nginx.sh: nginx is missing (apt-get install nginx-light)" >&2
    exit 1
fi
key="thread-test-key"
tls="${COORD_NGINX_TLS:-}"
case "$tls" in
"" | h2 | http1.1) ;;
*)
    echo "with_nginx.sh: COORD_NGINX_TLS is h2, http1.1 or empty, not '$tls'" >&2
    exit 2
    ;;
esac
prefix="$(mktemp -d "${TMPDIR:-/tmp}/coord_nginx.XXXXXX")" || exit 1
nginx_pid=""

cleanup() {
    if [ -n "$nginx_pid" ] && kill -0 "$nginx_pid" 2>/dev/null; then
        kill -TERM "$nginx_pid" 2>/dev/null
        for _ in $(seq 50); do
            kill -0 "$nginx_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$nginx_pid" 2>/dev/null
    fi
    [ -n "$nginx_pid" ] && wait "$nginx_pid" 2>/dev/null
    rm -rf "$prefix"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port_open() {
    python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
        "$1" 2>/dev/null
}

listen_options() {
    case "$tls" in
    h2) echo "ssl http2" ;;
    http1.1) echo "ssl" ;;
    esac
}

tls_conf() {
    [ -n "$tls" ] || return 0
    printf '        ssl_certificate %s;\n        ssl_certificate_key %s;\n' \
        "$prefix/pki/server.pem" "$prefix/pki/server.key"
}

write_conf() {
    cat >"$prefix/nginx.conf" <<CONF
worker_processes 2;
daemon off;
pid $prefix/nginx.pid;
error_log $prefix/error.log warn;
events { worker_connections 256; }
http {
    log_format conn '\$connection \$server_protocol \$status';
    access_log $prefix/access.log conn;
    client_body_temp_path $prefix/body;
    proxy_temp_path $prefix/proxy;
    fastcgi_temp_path $prefix/fastcgi;
    uwsgi_temp_path $prefix/uwsgi;
    scgi_temp_path $prefix/scgi;
    keepalive_requests 1000000;
    default_type application/json;
    server {
        listen 127.0.0.1:$1 $(listen_options);
$(tls_conf)
        location ~ "^/v1/access/parking/([A-Za-z0-9_-]+)/session/([0-9]+)/end\$" {
            if (\$request_method != PUT) {
                return 405 '{"code":405,"message":"method not allowed"}';
            }
            if (\$arg_access_key != "$key") {
                return 403 '{"code":403,"message":"access key missing or invalid"}';
            }
            return 200 '{"id":\$2,"location_id":"\$1","user_id":"\$1-user","start_time":"2018-04-12T00:14:20.292Z","end_time":"2018-04-12T00:17:50.161Z","billing_info":{"cost":{"amount":\$2,"currency":"USD"}}}';
        }
        location / {
            return 404 '{"code":404,"message":"no such route"}';
        }
    }
}
CONF
}

if [ -n "$tls" ]; then
    mkdir "$prefix/pki" && "$(dirname "${BASH_SOURCE[0]}")/../sim/make_test_pki.sh" "$prefix/pki" ||
        exit 1
fi

# Another process may take the port between choosing and binding: retry.
for attempt in 1 2 3 4 5; do
    port="$(free_port)" || exit 1
    write_conf "$port"
    "$nginx" -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/error.log" &
    nginx_pid=$!
    for _ in $(seq 100); do                      # up to ~10 s
        port_open "$port" && break 2
        kill -0 "$nginx_pid" 2>/dev/null || break
        sleep 0.1
    done
    wait "$nginx_pid" 2>/dev/null
    nginx_pid=""
done
if [ -z "$nginx_pid" ]; then
    echo "with_nginx.sh: nginx did not start:" >&2
    cat "$prefix/error.log" >&2
    exit 1
fi

scheme=http
if [ -n "$tls" ]; then
    scheme=https
    export COORD_NGINX_CA="$prefix/pki/ca.pem"
fi
export COORD_NGINX_URL="$scheme://127.0.0.1:$port/v1/access/parking"
export COORD_NGINX_ACCESS_LOG="$prefix/access.log"
export COORD_NGINX_KEY="$key"
"$@"
exit $?

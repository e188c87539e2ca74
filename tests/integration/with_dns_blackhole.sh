#!/usr/bin/env bash
# Run a command whose host name lookups go to a DNS server that never
# answers: every name that is not in /etc/hosts stalls as long as the
# resolver's timeout (here "options timeout:4 attempts:1", 4 s), as it does
# for a kiosk whose uplink drops DNS packets.
#
#   tests/integration/with_dns_blackhole.sh CMD [ARGS...]
#
# The black hole is a UDP socket on a random loopback address, port 53,
# that reads queries and drops them. CMD runs in a private mount namespace
# (unshare -m) in which /etc/resolv.conf is a bind mount naming it, so that
# nothing outside the namespace is touched. CMD gets
#   COORD_TEST_DNS_BLACKHOLE=1   the black hole is in place
# It needs root (a mount namespace); without root, or without unshare, CMD
# runs without the variable and its tests say they were skipped.
set -u

if [ "$#" -eq 0 ]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null 2>&1; then
    echo "DNS black hole: not set up (needs root and unshare for a private mount namespace)"
    exec "$@"
fi

python="${PYTHON:-python3}"
workdir="$(mktemp -d "${TMPDIR:-/tmp}/coord_dns.XXXXXX")" || exit 1
listener=""

cleanup() {
    [ -n "$listener" ] && kill "$listener" 2>/dev/null && wait "$listener" 2>/dev/null
    rm -rf "$workdir"
}
trap cleanup EXIT

# A random 127.x.y.z, so that two runs at once (and a local resolver on
# 127.0.0.1 or 127.0.0.53) never collide.
"$python" - "$workdir/address" <<'EOF' &
import random, socket, sys
for _ in range(100):
    address = "127.%d.%d.%d" % (random.randrange(1, 255), random.randrange(0, 256),
                                random.randrange(1, 255))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind((address, 53))
        break
    except OSError:
        sock.close()
else:
    sys.exit("DNS black hole: no free loopback address on port 53")
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(address)
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    sock.recvfrom(4096)  # a query, never answered
EOF
listener=$!

for _ in $(seq 100); do                          # up to ~10 s
    [ -s "$workdir/address" ] && break
    kill -0 "$listener" 2>/dev/null || { echo "DNS black hole: listener failed" >&2; exit 1; }
    sleep 0.1
done
[ -s "$workdir/address" ] || { echo "DNS black hole: listener did not start" >&2; exit 1; }

printf 'nameserver %s\noptions timeout:4 attempts:1\n' "$(cat "$workdir/address")" \
    >"$workdir/resolv.conf"

COORD_TEST_DNS_BLACKHOLE=1 unshare -m sh -c \
    'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$workdir/resolv.conf" "$@"

#!/usr/bin/env bash
# Run a command against a fresh Coord simulator.
#
#   tests/sim/with_sim.sh CMD [ARGS...]
#
# Starts coord_sim.py on 127.0.0.1 with an OS-chosen port, exports
#   COORD_SIM_URL=http://127.0.0.1:PORT   (no trailing slash)
#   COORD_SIM_KEY=<an accepted access key>
#   COORD_SIM_ODD_KEY, COORD_SIM_DIGIT_KEY: two more accepted keys, for
#     servers that echo a key: reserved characters and a space
#     ("K3Y+S/cr=t&zq 81"), and digits only (a valid Retry-After value)
# runs CMD, stops the simulator and exits with CMD's status.
# Environment: PYTHON (default python3), COORD_SIM_ARGS (extra simulator
# flags, split on whitespace, e.g. "--verbose"). With --tls-cert among them
# the simulator serves HTTPS and COORD_SIM_URL starts with https:// (see
# with_tls_sim.sh, which makes a test PKI and passes those flags).
set -u

if [ "$#" -eq 0 ]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"
key="sandbox-test-key"
odd_key='K3Y+S/cr=t&zq 81'
digit_key="864000123"
read -r -a extra_args <<<"${COORD_SIM_ARGS:-}"

workdir="$(mktemp -d "${TMPDIR:-/tmp}/coord_sim.XXXXXX")" || exit 1
sim_pid=""

cleanup() {
    if [ -n "$sim_pid" ] && kill -0 "$sim_pid" 2>/dev/null; then
        kill -TERM "$sim_pid" 2>/dev/null
        for _ in $(seq 50); do                  # up to ~5 s, then insist
            kill -0 "$sim_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$sim_pid" 2>/dev/null
    fi
    [ -n "$sim_pid" ] && wait "$sim_pid" 2>/dev/null
    rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

"$python" "$here/coord_sim.py" --host 127.0.0.1 --port 0 \
    --port-file "$workdir/port" --access-key "$key" \
    --access-key "$odd_key" --access-key "$digit_key" \
    ${extra_args[@]+"${extra_args[@]}"} >"$workdir/stdout" &
sim_pid=$!

port=""
for _ in $(seq 100); do                          # up to ~10 s
    if [ -s "$workdir/port" ]; then
        port="$(cat "$workdir/port")"
        break
    fi
    if ! kill -0 "$sim_pid" 2>/dev/null; then
        echo "with_sim.sh: simulator exited during startup" >&2
        exit 1
    fi
    sleep 0.1
done
if [ -z "$port" ]; then
    echo "with_sim.sh: simulator did not report its port within 10 s" >&2
    exit 1
fi

scheme=http
for arg in ${extra_args[@]+"${extra_args[@]}"}; do
    [ "$arg" = "--tls-cert" ] && scheme=https
done
export COORD_SIM_URL="$scheme://127.0.0.1:$port"
export COORD_SIM_KEY="$key"
export COORD_SIM_ODD_KEY="$odd_key"
export COORD_SIM_DIGIT_KEY="$digit_key"

"$@"
status=$?
exit "$status"

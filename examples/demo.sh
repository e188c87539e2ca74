#!/bin/sh
# `make demo`: the kiosk flow with the coord CLI, on the simulator that
# tests/sim/with_sim.sh started seeded with examples/demo-seed.json (it
# exported COORD_SIM_URL and COORD_SIM_KEY): token -> create -> the gate ->
# wait -> the bill, at a gate-controlled garage, then at a street lot where
# the app ends the session. Every command's output is shown as it is.
set -eu
coord=${1:?usage: demo.sh path/to/coord}
py=${PYTHON:-python3}
export COORD_BASE_URL="$COORD_SIM_URL/v1/access/parking" COORD_ACCESS_KEY="$COORD_SIM_KEY"

# field NAME: one field of the JSON on stdin
field() { "$py" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
step() { printf '\n== %s\n' "$1"; }
# show ARGS...: print the command line, then run it; its output goes to the
# terminal and to $out
out=$(mktemp "${TMPDIR:-/tmp}/coord_demo.XXXXXX")
trap 'rm -f "$out"' EXIT
show() { printf '$ coord %s\n' "$*"; "$coord" "$@" | tee "$out"; }

echo "coord-sim at $COORD_BASE_URL"
echo "seeded: GARAGE (gate-controlled, 3.50 USD/h), STREET (2.00 USD/h)"

step "1. a test user's token (the kiosk acts as this user; a secret, not shown)"
echo '$ export COORD_TOKEN=$(coord test token --email kiosk@example.com | python3 -c \'
echo '      "import json, sys; print(json.load(sys.stdin)[\"jwt_token\"])")'
COORD_TOKEN=$("$coord" test token --email kiosk@example.com | field jwt_token)
export COORD_TOKEN

step "2. open a session at the garage: not started; its barcode opens the gate"
show session create --location GARAGE
id=$(field id <"$out")

step "3. the gate, in 1 s: the car enters, and leaves 95 minutes later (simulated)"
echo "\$ coord test redeem --location GARAGE --id $id --duration 95 >/dev/null &"
(sleep 1; "$coord" test redeem --location GARAGE --id "$id" --duration 95 >/dev/null) &
gate=$!

step "4. wait until the gate has ended it: the bill is 95 min at 3.50 USD/h"
show session wait --location GARAGE --id "$id" --until ended --interval-ms 250 \
    --deadline-ms 20000
wait "$gate"

step "5. the app cannot end a gate-controlled session (exit status 7)"
echo "\$ coord session end --location GARAGE --id $id"
"$coord" session end --location GARAGE --id "$id" 2>&1 || echo "(exit status $?)"

step "6. at the street lot the app ends the session itself (under a minute: free)"
show session create --location STREET
id=$(field id <"$out")
show --pretty session end --location STREET --id "$id"

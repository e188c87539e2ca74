#!/bin/sh
# `make demo`, part two: the outbox through an outage. On the simulator that
# tests/sim/with_sim.sh started (COORD_SIM_URL, COORD_SIM_KEY): three drivers
# pay while the uplink is down; the kiosk records their ends in its outbox,
# tries to send them, is killed (a power cut), restarts when the server is
# back, and every bill is delivered and acknowledged -- each session ended
# once (the simulator's charge ledger says so).
set -eu
kiosk=${1:?usage: outbox_demo.sh path/to/outbox_kiosk path/to/coord}
coord=${2:?usage: outbox_demo.sh path/to/outbox_kiosk path/to/coord}
py=${PYTHON:-python3}
export COORD_BASE_URL="$COORD_SIM_URL/v1/access/parking" COORD_ACCESS_KEY="$COORD_SIM_KEY"
dir=$(mktemp -d "${TMPDIR:-/tmp}/coord_outbox_demo.XXXXXX")
trap 'rm -rf "$dir"' EXIT
box="$dir/kiosk.outbox"

# control METHOD PATH [BODY]: the simulator's control API
control() {
    "$py" - "$COORD_SIM_URL$2" "$1" "${3:-}" <<'PY'
import sys, urllib.request
url, method, body = sys.argv[1:4]
req = urllib.request.Request(url, body.encode() or None, {"Content-Type": "application/json"},
                             method=method)
print(urllib.request.urlopen(req, timeout=10).read().decode())
PY
}
step() { printf '\n== %s\n' "$1"; }

control POST /_sim/tokens '{"token": "kiosk-demo-token", "user_id": "u-kiosk"}' >/dev/null
export COORD_TOKEN=kiosk-demo-token
ids=""
for minutes in 45 90 130; do
    ids="$ids $(control POST /_sim/sessions "{\"location_id\": \"STREET\", \"user_id\": \"u-kiosk\", \"start_minutes_ago\": $minutes}" \
        | "$py" -c 'import json, sys; print(json.load(sys.stdin)["id"])')"
done

step "1. the uplink goes down (the simulator refuses connections for 6 s)"
control POST /_sim/outage '{"seconds": 6}'
sleep 0.3

step "2. three drivers pay: the kiosk records each end in its outbox (synced to disk)"
echo "\$ outbox_kiosk kiosk.outbox record STREET$ids"
# shellcheck disable=SC2086
"$kiosk" "$box" record STREET $ids

step "3. the kiosk tries to send them, and loses power after 2 s (SIGKILL)"
"$kiosk" "$box" serve & pid=$!
sleep 2
kill -KILL "$pid"; wait "$pid" 2>/dev/null || true
echo "(killed)"
"$coord" outbox list --outbox "$box" \
    | "$py" -c 'import json, sys
for i in json.load(sys.stdin)["intents"]:
    print("  intent %d: %s, %d attempts, last: %s" % (i["id"], i["state"], i["attempts"], i["status"]))'

step "4. power and uplink back: the kiosk restarts and drains its outbox"
sleep 4
"$kiosk" "$box" serve 30

step "5. the charge ledger: each session ended exactly once"
control GET /_sim/ledger | "$py" -c 'import json, sys
ledger = json.load(sys.stdin)
for e in ledger["ends"]:
    print("  %s/%d: ended %d time(s)" % (e["location_id"], e["session_id"], e["count"]))
assert ledger["max"] == 1 and ledger["total"] == 3, ledger'
"$coord" outbox list --outbox "$box"

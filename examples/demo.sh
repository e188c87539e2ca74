#!/bin/sh
# `make demo`: the kiosk flow with the coord CLI, on the simulator that
# tests/sim/with_sim.sh started (it exported COORD_SIM_URL and COORD_SIM_KEY):
# token -> create -> the gate -> poll -> end -> bill, at a gate-controlled
# garage, then at a lot where the app ends the session.
set -eu
coord=${1:?usage: demo.sh path/to/coord}
py=${PYTHON:-python3}
export COORD_BASE_URL="$COORD_SIM_URL/v1/access/parking" COORD_ACCESS_KEY="$COORD_SIM_KEY"

# seed the simulator's two locations (its control API, not Coord's)
"$py" - "$COORD_SIM_URL" <<'PY'
import json, sys, urllib.request
for location in ({"location_id": "GARAGE", "hourly_rate": 350, "gate_controlled": True},
                 {"location_id": "STREET", "hourly_rate": 200}):
    urllib.request.urlopen(urllib.request.Request(
        sys.argv[1] + "/_sim/locations", json.dumps(location).encode(), method="POST"), timeout=10)
PY
# field NAME: one field of the JSON on stdin (a.b for nested ones)
field() { "$py" -c 'import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."): v = v[k]
print(v)' "$1"; }
bill() { "$py" -c 'import json, sys
s = json.load(sys.stdin); c = s["billing_info"]["cost"]
print("%d min, bill %d.%02d %s" % ((s["end_time_ms"] - s["start_time_ms"]) // 60000,
                                  c["amount"] // 100, c["amount"] % 100, c["currency"]))'; }
step() { printf '\n== %s\n$ %s\n' "$1" "$2"; }

echo "simulator at $COORD_SIM_URL; GARAGE is gate-controlled, 3.50 USD/h; STREET 2.00 USD/h"
step "1. a test user's token (the kiosk acts as this user)" \
     "coord test token --email kiosk@example.com"
COORD_TOKEN=$("$coord" test token --email kiosk@example.com | field jwt_token)
export COORD_TOKEN
echo "token: in COORD_TOKEN (${#COORD_TOKEN} bytes; a secret, not shown)"

step "2. open a session at the garage" "coord session create --location GARAGE"
s=$("$coord" session create --location GARAGE)
id=$(echo "$s" | field id)
echo "session $id, not started; show this at the gate: $(echo "$s" | field redemption_info.barcode.data)"

step "3. the gate: in 1 s the car enters, and leaves 95 minutes later (sandbox)" \
     "coord test redeem --location GARAGE --id $id --duration 95   (in the background)"
(sleep 1; "$coord" test redeem --location GARAGE --id "$id" --duration 95 >/dev/null) &
gate=$!

step "4. poll until the gate ended it" \
     "coord session wait --location GARAGE --id $id --until ended --interval-ms 250"
s=$("$coord" session wait --location GARAGE --id "$id" --until ended --interval-ms 250 \
    --deadline-ms 20000)
wait "$gate"
echo "ended at $(echo "$s" | field end_time)"

step "5. the app cannot end a gate-controlled session (exit 7)" \
     "coord session end --location GARAGE --id $id"
"$coord" session end --location GARAGE --id "$id" || echo "exit $?: checked out at the gate"

step "6. the bill" "coord session get --location GARAGE --id $id"
"$coord" session get --location GARAGE --id "$id" | bill

step "7. at the street lot the app ends the session (under a minute: free)" \
     "coord session create --location STREET; coord session end --location STREET --id N"
id=$("$coord" session create --location STREET | field id)
"$coord" session end --location STREET --id "$id" | bill

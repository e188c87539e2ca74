#!/bin/sh
# `make demo`: runs under tests/sim/with_sim.sh, which started the simulator
# and exported COORD_SIM_URL and COORD_SIM_KEY. Seeds a location and a session
# started 95 minutes ago, then ends it with the SDK's end_session example.
set -eu
prog=${1:?usage: demo.sh path/to/end_session}
py=${PYTHON:-python3}

echo "simulator at $COORD_SIM_URL"
id=$($py - "$COORD_SIM_URL" <<'PY'
import json, sys, urllib.request
base = sys.argv[1]
def post(path, body):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=10) as answer:
        return json.load(answer)
post("/_sim/locations", {"location_id": "DEMO-LOT", "hourly_rate": 350, "currency": "USD"})
user = "3f0c9a52-1d4e-4b8a-9a53-0d1c2b3a4f5e"
s = post("/_sim/sessions", {"location_id": "DEMO-LOT", "start_minutes_ago": 95, "user_id": user})
# ending is a user transaction: the user's token
print(s["id"], post("/_sim/tokens", {"user_id": user})["jwt_token"])
PY
)
token=${id#* }
id=${id%% *}
echo "created session $id at DEMO-LOT (3.50 USD/hour, started 95 minutes ago)"
echo "ending it with libcoord: coord_end_session(client, \"DEMO-LOT\", $id, &session)"
COORD_ACCESS_KEY=$COORD_SIM_KEY COORD_TOKEN=$token "$prog" "$COORD_SIM_URL/v1/access/parking" DEMO-LOT "$id"

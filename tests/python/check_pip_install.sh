#!/usr/bin/env bash
# The Python binding as a user installs it: `make install` into a stage,
# `pip install ./bindings/python` into a fresh venv with no package index
# (PIP_NO_INDEX=1: offline, the standard library only), then, outside the
# tree and without COORD_LIBRARY, `import coord` finds libcoord.so.1 by the
# loader's path (LD_LIBRARY_PATH = the stage's LIBDIR, as ldconfig would)
# and ends a session against the simulator; `pip uninstall` removes it all.
#   tests/python/check_pip_install.sh [MAKE ARGS...]   (e.g. BUILD=build)
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
python="${PYTHON:-python3}"
work="$(mktemp -d "${TMPDIR:-/tmp}/coord_pip.XXXXXX")"
trap 'rm -rf "$work"' EXIT
fail() { echo "check-pip-install: $*" >&2; exit 1; }

# Every directory named, so none comes from the caller's environment or
# command line (make check-python LIBDIR=/opt/lib64).
make --no-print-directory -s "$@" install DESTDIR="$work/stage" PREFIX=/usr LIBDIR=/usr/lib \
    INCLUDEDIR=/usr/include BINDIR=/usr/bin MANDIR=/usr/share/man >/dev/null
"$python" -m venv "$work/venv"
find bindings/python | sort >"$work/before"
(cd "$work" && PIP_NO_INDEX=1 "$work/venv/bin/pip" install --quiet "$root/bindings/python") \
    || fail "pip install ./bindings/python failed offline"
find bindings/python | sort | cmp -s - "$work/before" || fail "the build left files in bindings/python"

cat >"$work/consumer.py" <<'PY'
import json, os, sys, urllib.request
import coord

def post(path, body):
    req = urllib.request.Request(os.environ["COORD_SIM_URL"] + path, json.dumps(body).encode(),
                                 {"Content-Type": "application/json"}, method="POST")
    return json.load(urllib.request.urlopen(req, timeout=10))

venv, libdir = sys.argv[1], sys.argv[2]
assert coord.__file__.startswith(venv), coord.__file__          # the installed copy
with open("/proc/self/maps") as maps:                           # the staged library
    loaded = {line.split()[-1] for line in maps if "libcoord.so" in line}
assert loaded == {os.path.realpath(os.path.join(libdir, "libcoord.so.1"))}, loaded
post("/_sim/locations", {"location_id": "PIP-LOT", "hourly_rate": 300})
s = post("/_sim/sessions", {"location_id": "PIP-LOT", "start_minutes_ago": 20})
with coord.Client(os.environ["COORD_SIM_URL"] + "/v1/access/parking",
                  os.environ["COORD_SIM_KEY"]) as client:
    client.set_bearer_token(post("/_sim/tokens", {"user_id": s["user_id"]})["jwt_token"])
    ended = client.end_session("PIP-LOT", s["id"])
print(f"libcoord {coord.version()} from pip: ended session {ended.id}, "
      f"cost {ended.billing_info.cost.amount} {ended.billing_info.cost.currency}")
PY
# the symlinks of the stage resolved, as /proc/self/maps shows them
libdir="$(cd "$work/stage/usr/lib" && pwd -P)"
(cd "$work" && env -u COORD_LIBRARY -u PYTHONPATH LD_LIBRARY_PATH="$libdir" PYTHON="$python" \
    "$root/tests/sim/with_sim.sh" "$work/venv/bin/python" consumer.py "$work/venv" "$libdir") \
    | tee "$work/out"
grep -q "ended session 1, cost 100 USD" "$work/out" || fail "the installed binding did not end the session"

"$work/venv/bin/pip" uninstall --quiet --yes libcoord
! "$work/venv/bin/python" -c "import coord" 2>/dev/null || fail "pip uninstall left coord importable"
echo "check-pip-install: pip install offline, import from the loader's path, end a session, uninstall: ok"

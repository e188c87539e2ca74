#!/usr/bin/env bash
# Install consumers: stage `make install DESTDIR=<tmp> PREFIX=/usr`, build an
# outside program with only `pkg-config --cflags --libs coord` against the
# stage, run it against the simulator on the staged shared library, then
# check that `make uninstall` removes every file the install created.
#   tests/install/check_install.sh [MAKE ARGS...]   (e.g. BUILD=build)
set -euo pipefail
cd "$(dirname "$0")/../.."
make_args=("$@")
cc="${CC:-cc}"
python="${PYTHON:-python3}"

stage="$(mktemp -d "${TMPDIR:-/tmp}/coord_stage.XXXXXX")"
work="$(mktemp -d "${TMPDIR:-/tmp}/coord_consumer.XXXXXX")"
trap 'rm -rf "$stage" "$work"' EXIT
fail() { echo "check-install: $*" >&2; exit 1; }

# Files and links in the stage, one per line.
inventory() { (cd "$stage" && find . \( -type f -o -type l \) | sort); }

make --no-print-directory -s "${make_args[@]}" install DESTDIR="$stage" PREFIX=/usr >/dev/null
inventory >"$work/installed"
echo "installed into DESTDIR (PREFIX=/usr):"
sed 's/^\./  /' "$work/installed"
for f in ./usr/include/coord/coord.h ./usr/lib/libcoord.a ./usr/lib/libcoord.so \
         ./usr/lib/pkgconfig/coord.pc ./usr/bin/coord ./usr/share/man/man1/coord.1; do
    grep -qx "$f" "$work/installed" || fail "missing $f"
done

# pkg-config sees the stage (sysroot-prefixed paths) and, for coord.pc's
# Requires.private (libcurl, libcjson), the system's own .pc files.
export PKG_CONFIG_SYSROOT_DIR="$stage"
export PKG_CONFIG_LIBDIR="$stage/usr/lib/pkgconfig:$(pkg-config --variable pc_path pkg-config)"
version="$(sed -n 's/^#define COORD_VERSION_STRING "\(.*\)"/\1/p' include/coord/coord.h)"
[ "$(pkg-config --modversion coord)" = "$version" ] || fail "coord.pc version is not $version"
"$stage/usr/bin/coord" --version | grep -q "^coord $version " || fail "installed coord does not run"
if command -v man >/dev/null; then   # man finds the page where it was installed
    page="$(MANPATH="$stage/usr/share/man" man -w coord)"
    [ "$page" = "$stage/usr/share/man/man1/coord.1" ] || fail "man -w coord finds '$page'"
fi
flags="$(pkg-config --cflags --libs coord)"
echo "pkg-config --cflags --libs coord: $flags"

# Outside the tree: a copy of the program, nothing but the pkg-config flags.
cp tests/install/consumer.c "$work/consumer.c"
# shellcheck disable=SC2086  # the flags are words
(cd "$work" && "$cc" -std=c99 -Wall -Wextra -pedantic -Werror consumer.c $flags -o consumer)

resolved="$(LD_LIBRARY_PATH="$stage/usr/lib" ldd "$work/consumer" | awk '/libcoord\.so/ {print $3}')"
[ "$resolved" = "$stage/usr/lib/libcoord.so.1" ] || fail "consumer loads libcoord from '$resolved'"

# Against the simulator: seed a session, end it with the installed library.
cat >"$work/run.sh" <<RUN
set -eu
id=\$("$python" -c '
import json, os, urllib.request
def post(path, body):
    req = urllib.request.Request(os.environ["COORD_SIM_URL"] + path, json.dumps(body).encode(),
                                 {"Content-Type": "application/json"}, method="POST")
    return json.load(urllib.request.urlopen(req, timeout=10))
post("/_sim/locations", {"location_id": "INSTALL-LOT", "hourly_rate": 300})
s = post("/_sim/sessions", {"location_id": "INSTALL-LOT", "start_minutes_ago": 20})
print(s["id"], post("/_sim/tokens", {"user_id": s["user_id"]})["jwt_token"])')
export COORD_TOKEN=\${id#* }
id=\${id%% *}
LD_LIBRARY_PATH="$stage/usr/lib" "$work/consumer" "\$COORD_SIM_URL/v1/access/parking" \
    "\$COORD_SIM_KEY" INSTALL-LOT "\$id" | tee "$work/out"
grep -q "ended session \$id at INSTALL-LOT, cost 100 USD" "$work/out"
RUN
PYTHON="$python" tests/sim/with_sim.sh bash "$work/run.sh" || fail "consumer run failed"

make --no-print-directory -s "${make_args[@]}" uninstall DESTDIR="$stage" PREFIX=/usr >/dev/null
inventory >"$work/left"
if [ -s "$work/left" ]; then
    echo "left behind by make uninstall:" >&2
    sed 's/^\./  /' "$work/left" >&2
    fail "uninstall is not symmetric with install"
fi
[ ! -e "$stage/usr/include/coord" ] || fail "uninstall left usr/include/coord"
echo "check-install: $(wc -l <"$work/installed") installed files and links, all removed by uninstall"

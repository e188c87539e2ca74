#!/usr/bin/env bash
# Install consumers.  For each installation layout below: stage
# `make install DESTDIR=<tmp> PREFIX=/usr`, build an outside program
# (consumer.c) once with only `pkg-config --cflags --libs coord` and once
# with only CMake's `find_package(coord CONFIG REQUIRED)` (CMakeLists.txt),
# run both against the simulator on the staged library, then check that
# `make uninstall` removes every file the install created.
#   tests/install/check_install.sh [MAKE ARGS...]   (e.g. BUILD=build)
# Layouts: the default (shared and static library, LIBDIR=/usr/lib), and a
# static-only install (SHARED=0) in the Debian multiarch LIBDIR.
#
# The result must not depend on the caller's environment: pkg-config's and
# CMake's whole search paths are set here (make check-install runs this with
# them pointing at a decoy package, tests/install/decoy).
set -euo pipefail
cd "$(dirname "$0")/../.."
make_args=("$@")
cc="${CC:-cc}"
python="${PYTHON:-python3}"
werror=""
[ "${WERROR:-0}" != 1 ] || werror=-Werror
# The link flags the library was built with (a --coverage libcoord.a needs
# the consumer linked with --coverage too).
ldflags="${LDFLAGS:-}"

unset PKG_CONFIG_PATH PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR \
      CMAKE_PREFIX_PATH coord_DIR coord_ROOT COORD_ROOT
# The system's own .pc directories, for coord.pc's libcurl and libcjson.
system_pc_path="$(pkg-config --variable pc_path pkg-config)"
version="$(sed -n 's/^#define COORD_VERSION_STRING "\(.*\)"/\1/p' include/coord/coord.h)"
# Debian's multiarch library directory (lib64 where the compiler knows none).
multiarch="$("$cc" -print-multiarch 2>/dev/null || true)"
multiarch_libdir="/usr/lib${multiarch:+/$multiarch}"
[ -n "$multiarch" ] || multiarch_libdir=/usr/lib64

top="$(mktemp -d "${TMPDIR:-/tmp}/coord_install.XXXXXX")"
trap 'rm -rf "$top"' EXIT
fail() { echo "check-install: $*" >&2; exit 1; }

# check_layout NAME LIBDIR SHARED: one install, two consumers, uninstall.
check_layout() {
    local name="$1" libdir="$2" shared="$3"
    local stage="$top/$name/stage" work="$top/$name/work"
    # Every directory named, so none comes from the caller's environment.
    local make_install=(make --no-print-directory -s "${make_args[@]}" SHARED="$shared"
                        DESTDIR="$stage" PREFIX=/usr LIBDIR="$libdir" INCLUDEDIR=/usr/include
                        BINDIR=/usr/bin MANDIR=/usr/share/man)
    mkdir -p "$stage" "$work"
    # Files and links in the stage, one per line.
    inventory() { (cd "$stage" && find . \( -type f -o -type l \) | sort); }

    "${make_install[@]}" install >/dev/null
    inventory >"$work/installed"
    echo "$name: installed into DESTDIR (PREFIX=/usr LIBDIR=$libdir SHARED=$shared):"
    sed 's/^\./  /' "$work/installed"
    local f expected=(./usr/include/coord/coord.h ./usr/include/coord/async.h ".$libdir/libcoord.a"
                      ".$libdir/pkgconfig/coord.pc" ".$libdir/cmake/coord/coordConfig.cmake"
                      ".$libdir/cmake/coord/coordConfigVersion.cmake" ./usr/bin/coord
                      ./usr/bin/coord-sim ./usr/share/man/man1/coord.1)
    expected+=(./usr/include/coord/outbox.h ".$libdir/libcoord-outbox.a"
               ".$libdir/pkgconfig/coord-outbox.pc")
    [ "$shared" = 0 ] || expected+=(".$libdir/libcoord.so" ".$libdir/libcoord.so.1"
                                    ".$libdir/libcoord.so.$version" ".$libdir/libcoord-outbox.so"
                                    ".$libdir/libcoord-outbox.so.1"
                                    ".$libdir/libcoord-outbox.so.$version")
    for f in "${expected[@]}"; do
        grep -qx "$f" "$work/installed" || fail "$name: missing $f"
    done
    if [ "$shared" = 0 ] && grep -q 'libcoord\.so' "$work/installed"; then
        fail "$name: SHARED=0 installed a shared library"
    fi
    "$stage/usr/bin/coord" --version | grep -q "^coord $version " || fail "installed coord does not run"
    "$stage/usr/bin/coord-sim" --help | grep -q "^usage: coord-sim " || fail "installed coord-sim does not run"
    if command -v man >/dev/null; then   # man finds the page where it was installed
        local page
        page="$(MANPATH="$stage/usr/share/man" man -w coord)"
        [ "$page" = "$stage/usr/share/man/man1/coord.1" ] || fail "man -w coord finds '$page'"
    fi

    # pkg-config sees the stage (sysroot-prefixed paths) and, for coord.pc's
    # libcurl and libcjson, the system's own .pc files; nothing else.
    pc() { PKG_CONFIG_SYSROOT_DIR="$stage" PKG_CONFIG_LIBDIR="$stage$libdir/pkgconfig:$system_pc_path" \
           pkg-config "$@"; }
    [ "$(pc --modversion coord)" = "$version" ] || fail "$name: coord.pc version is not $version"
    local flags
    flags="$(pc --cflags --libs coord)"
    echo "pkg-config --cflags --libs coord: $flags"
    mkdir -p "$work/pc"
    cp tests/install/consumer.c "$work/pc/"
    # shellcheck disable=SC2086  # the flags are words
    (cd "$work/pc" && "$cc" -std=c99 -Wall -Wextra -pedantic $werror consumer.c $flags $ldflags -o consumer)
    # the outbox: its own pkg-config file brings libcoord and SQLite
    flags="$(pc --cflags --libs coord-outbox)"
    echo "pkg-config --cflags --libs coord-outbox: $flags"
    cp tests/install/outbox_consumer.c "$work/pc/"
    # shellcheck disable=SC2086  # the flags are words
    (cd "$work/pc" && "$cc" -std=c99 -Wall -Wextra -pedantic $werror outbox_consumer.c $flags \
        $ldflags -o outbox_consumer)
    # Each installed header compiles on its own, with its library's flags:
    # a part includes what it needs.
    local header package
    for header in "$stage/usr/include/coord/"*.h; do
        package=coord
        [ "${header##*/}" != outbox.h ] || package=coord-outbox
        printf '#include <coord/%s>\n' "${header##*/}" >"$work/pc/alone.c"
        # shellcheck disable=SC2086
        "$cc" -std=c99 -Wall -Wextra -pedantic -Werror $(pc --cflags $package) -c "$work/pc/alone.c" \
            -o "$work/pc/alone.o" || fail "$name: <coord/${header##*/}> does not compile on its own"
    done

    # CMake sees the stage as its only prefix (no package registries).
    mkdir -p "$work/cmake-src"
    cp tests/install/consumer.c tests/install/outbox_consumer.c tests/install/CMakeLists.txt \
       "$work/cmake-src/"
    cmake -S "$work/cmake-src" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$stage/usr" \
          -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF \
          -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="-std=c99 -Wall -Wextra -pedantic $werror" \
          -DCMAKE_EXE_LINKER_FLAGS="$ldflags" \
          >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log" >&2; fail "$name: cmake configure failed"; }
    cmake --build "$work/cmake-build" >>"$work/cmake.log" 2>&1 \
        || { cat "$work/cmake.log" >&2; fail "$name: cmake build failed"; }
    local found
    found="$(sed -n 's/^coord_DIR:PATH=//p' "$work/cmake-build/CMakeCache.txt")"
    [ "$found" = "$stage$libdir/cmake/coord" ] || fail "$name: CMake found coord in '$found'"
    echo "find_package(coord 1.0 CONFIG REQUIRED): $found"

    # loads CONSUMER LIB: CONSUMER loads the staged LIB.so.1, or none when static-only
    loads() {
        local resolved
        resolved="$(LD_LIBRARY_PATH="$stage$libdir" ldd "$1" | awk -v lib="$2.so" \
                    'index($1, lib) == 1 {print $3}')"
        if [ "$shared" = 1 ]; then
            [ "$resolved" = "$stage$libdir/$2.so.1" ] || fail "$1 loads $2 from '$resolved'"
        else
            [ -z "$resolved" ] || fail "$1 of a static-only install loads '$resolved'"
        fi
    }
    local consumer
    for consumer in "$work/pc/consumer" "$work/cmake-build/consumer"; do
        loads "$consumer" libcoord
    done
    for consumer in "$work/pc/outbox_consumer" "$work/cmake-build/outbox_consumer"; do
        LD_LIBRARY_PATH="$stage$libdir" "$consumer" "$work/outbox.db" | tee "$work/out"
        grep -q "session INSTALL-LOT/42 PENDING" "$work/out" || fail "$consumer did not record"
        rm -f "$work/outbox.db"
        loads "$consumer" libcoord-outbox
    done

    # Against the simulator: for each consumer, seed a session and end it
    # with the installed library.
    cat >"$work/run.sh" <<RUN
set -eu
for consumer in "$work/pc/consumer" "$work/cmake-build/consumer"; do
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
    LD_LIBRARY_PATH="$stage$libdir" "\$consumer" "\$COORD_SIM_URL/v1/access/parking" \
        "\$COORD_SIM_KEY" INSTALL-LOT "\$id" | tee "$work/out"
    grep -q "ended session \$id at INSTALL-LOT, cost 100 USD" "$work/out"
done
RUN
    PYTHON="$python" tests/sim/with_sim.sh bash "$work/run.sh" || fail "$name: consumer run failed"

    "${make_install[@]}" uninstall >/dev/null
    inventory >"$work/left"
    if [ -s "$work/left" ]; then
        echo "left behind by make uninstall:" >&2
        sed 's/^\./  /' "$work/left" >&2
        fail "$name: uninstall is not symmetric with install"
    fi
    for f in /usr/include/coord "$libdir/cmake/coord"; do
        [ ! -e "$stage$f" ] || fail "$name: uninstall left $f"
    done
    echo "$name: $(wc -l <"$work/installed") installed files and links, all removed by uninstall"
}

check_layout default /usr/lib 1
check_layout static-multiarch "$multiarch_libdir" 0
echo "check-install: both layouts installed, consumed (pkg-config, CMake) and uninstalled"

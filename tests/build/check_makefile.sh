#!/usr/bin/env bash
# What the Makefile promises a user who builds and installs libcoord
# (make check-makefile; nothing is compiled: dry runs and stub tools):
#   - make, make lib and make install never run apt-get, not even as root:
#     they print the exact apt-get command for a missing package and fail;
#     make deps installs (as root) or prints the command (as a user);
#   - CPPFLAGS, CFLAGS and LDFLAGS reach every compile and link command;
#   - -Werror only with WERROR=1; COORD_MINIMAL on every compile with MINIMAL=1;
#   - SHARED=0 builds no shared library;
#   - cross-compiling: make size uses STRIP and SIZE; a PKG_CONFIG that finds
#     no libcurl stops the build; with RUN= the skipped checks say why.
set -euo pipefail
cd "$(dirname "$0")/../.."
# Only what each case sets: nothing from a calling make or the environment.
unset MAKEFLAGS MFLAGS MAKELEVEL CC CXX CPPFLAGS CFLAGS LDFLAGS WERROR MINIMAL SHARED BUILD BUILD_JOBS

top="$(mktemp -d "${TMPDIR:-/tmp}/coord_makefile.XXXXXX")"
trap 'rm -rf "$top"' EXIT
fail() { echo "check-makefile: $*" >&2; exit 1; }
build="$top/build"

# ---- dependencies: stubs report libcjson missing and record apt-get calls
stubs="$top/stubs"
mkdir -p "$stubs"
real_pkg_config="$(command -v pkg-config)"
cat >"$stubs/pkg-config" <<EOF
#!/bin/sh
case " \$* " in *" libcjson "*) exit 1 ;; esac
exec "$real_pkg_config" "\$@"
EOF
cat >"$stubs/apt-get" <<EOF
#!/bin/sh
echo "apt-get \$*" >>"$top/apt-get.log"
EOF
printf '#!/bin/sh\necho "${STUB_UID:-0}"\n' >"$stubs/id"
chmod +x "$stubs"/*

# deps_case UID EXPECT GOAL...: run make GOAL... as user UID with libcjson
# missing; EXPECT is "installs" or "prints" (the command, and make fails).
deps_case() {
    local uid="$1" expect="$2"; shift 2
    rm -f "$top/apt-get.log"
    local status=0
    STUB_UID="$uid" PATH="$stubs:$PATH" make --no-print-directory BUILD="$build" \
        DESTDIR="$top/stage" "$@" >"$top/out" 2>&1 || status=$?
    if [ "$expect" = installs ]; then
        grep -q "^apt-get install .*libcjson-dev" "$top/apt-get.log" 2>/dev/null \
            || fail "make $* as uid $uid did not install libcjson-dev: $(cat "$top/out")"
    else
        [ ! -e "$top/apt-get.log" ] || fail "make $* as uid $uid ran $(cat "$top/apt-get.log")"
        [ "$status" != 0 ] || fail "make $* as uid $uid succeeded without libcjson"
        grep -q "sudo apt-get update && sudo apt-get install -y libcjson-dev" "$top/out" \
            || fail "make $* as uid $uid did not print the apt-get command: $(cat "$top/out")"
    fi
    ! ls "$build"/obj/*.o >/dev/null 2>&1 || fail "make $* compiled before the dependencies were there"
    echo "  make $* as uid $uid: $expect"
}
echo "dependencies (libcjson missing):"
deps_case 0 prints
deps_case 0 prints lib
deps_case 0 prints install
deps_case 0 installs deps
deps_case 1000 prints deps

# ---- flags: dry runs of every compile and link of the library, examples, tests
# compile_lines ARGS...: the compiler commands `make -n -B ARGS...` prints,
# one per line (continuation lines joined).
compile_lines() {
    make --no-print-directory -n -B BUILD="$build" CC=cc CXX=c++ "$@" \
        lib examples tests "$build/tests/test_cpp" \
        | sed -e ':a' -e '/\\$/N; s/\\\n//; ta' | grep -E '^(cc|c\+\+) '
}
compile_lines CPPFLAGS=-DCPP_PROBE CFLAGS="-O1 -DC_PROBE" LDFLAGS=-Wl,-zLD_PROBE >"$top/lines"
[ "$(wc -l <"$top/lines")" -gt 20 ] || fail "too few compile commands: $(cat "$top/lines")"
while read -r line; do
    if [[ "$line" =~ \.(c|cpp)( |$) ]]; then
        [[ "$line" == *"-DCPP_PROBE"* ]] || fail "CPPFLAGS missing from: $line"
        [[ "$line" == *"-DC_PROBE"* ]] || fail "CFLAGS missing from: $line"
    fi
    if [[ " $line " != *" -c "* ]]; then
        [[ "$line" == *"-Wl,-zLD_PROBE"* ]] || fail "LDFLAGS missing from: $line"
    fi
done <"$top/lines"
echo "  CPPFLAGS, CFLAGS, LDFLAGS: in all $(wc -l <"$top/lines") compile and link commands"

compile_lines >"$top/lines"
! grep -q -- '-Werror' "$top/lines" || fail "-Werror without WERROR=1: $(grep -m1 -- -Werror "$top/lines")"
compile_lines WERROR=1 | grep -E '\.(c|cpp)( |$)' >"$top/lines"
! grep -v -q -- '-Werror' "$top/lines" || fail "WERROR=1 without -Werror: $(grep -m1 -v -- -Werror "$top/lines")"
echo "  -Werror: in none by default, in all $(wc -l <"$top/lines") compiles with WERROR=1"

compile_lines MINIMAL=1 | grep -E '\.(c|cpp)( |$)' >"$top/lines"
! grep -v -q -- '-DCOORD_MINIMAL' "$top/lines" || fail "MINIMAL=1 without -DCOORD_MINIMAL: $(grep -m1 -v -- -DCOORD_MINIMAL "$top/lines")"
echo "  -DCOORD_MINIMAL: in all $(wc -l <"$top/lines") compiles with MINIMAL=1"

make --no-print-directory -n -B BUILD="$build" SHARED=0 lib >"$top/lines"
grep -q 'libcoord\.a' "$top/lines" || fail "SHARED=0 does not build libcoord.a"
! grep -q -- '-shared' "$top/lines" || fail "SHARED=0 links a shared library: $(grep -m1 -- -shared "$top/lines")"
echo "  SHARED=0: libcoord.a only"
# ---- cross-compiling (docs/BUILDING.md "Cross-compiling for a kiosk")
echo "cross-compiling:"
make --no-print-directory -n -B BUILD="$build" STRIP=probe-strip SIZE=probe-size size >"$top/lines"
grep -q '^probe-size ' "$top/lines" && [ "$(grep -c 'probe-strip --strip' "$top/lines")" = 3 ] \
    || fail "make size does not use STRIP and SIZE: $(grep -E 'strip|size ' "$top/lines")"
if command -v arm-linux-gnueabihf-gcc >/dev/null 2>&1; then
    make --no-print-directory -n -B BUILD="$build" CC=arm-linux-gnueabihf-gcc size >"$top/lines"
    grep -q 'arm-linux-gnueabihf-strip --strip-all' "$top/lines" \
        || fail "CC=arm-linux-gnueabihf-gcc: make size strips with $(grep -m1 strip "$top/lines")"
fi
echo "  make size: STRIP and SIZE (by default the compiler's target's)"
# a pkg-config that knows no libcurl: a clear stop, never an under-linked libcoord.so
printf '#!/bin/sh\nexit 0\n' >"$stubs/silent-pkg-config"
chmod +x "$stubs/silent-pkg-config"
status=0
make --no-print-directory -n -B BUILD="$build" PKG_CONFIG="$stubs/silent-pkg-config" lib \
    >"$top/out" 2>&1 || status=$?
[ "$status" != 0 ] && grep -q "silent-pkg-config --libs libcurl libcjson' gives nothing" "$top/out" \
    || fail "PKG_CONFIG without libcurl: $(tail -n 3 "$top/out")"
echo "  PKG_CONFIG that finds no libcurl: make lib stops, saying so"
if command -v arm-linux-gnueabihf-gcc >/dev/null 2>&1; then
    rm -f "$top/apt-get.log"
    status=0
    STUB_UID=0 PATH="$stubs:$PATH" make --no-print-directory BUILD="$build" \
        CC=arm-linux-gnueabihf-gcc tests >"$top/out" 2>&1 || status=$?
    [ "$status" != 0 ] && [ ! -e "$top/apt-get.log" ] \
        && grep -q "set PKG_CONFIG=arm-linux-gnueabihf-pkg-config" "$top/out" \
        || fail "CC=arm-linux-gnueabihf-gcc with this machine's pkg-config: $(cat "$top/out")"
    ! ls "$build"/obj/*.o >/dev/null 2>&1 || fail "cross build compiled with the wrong pkg-config"
    echo "  CC=arm-linux-gnueabihf-gcc with this machine's pkg-config: stops before compiling, installs nothing"
fi
for part in check-python check-install; do
    make --no-print-directory -n BUILD="$build" RUN=qemu-arm-static "$part" >"$top/out" 2>&1
    grep -q "skipped: RUN=qemu-arm-static runs only the C test programs" "$top/out" \
        && ! grep -q "sanitizers/valgrind" "$top/out" \
        || fail "$part with RUN=qemu-arm-static: $(grep skipped "$top/out")"
done
echo "  RUN=qemu-arm-static: check-python and check-install say why they skip"
echo "check-makefile: all passed"

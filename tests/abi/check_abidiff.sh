#!/usr/bin/env bash
# The ABI against its stored baseline, with libabigail's abidiff
# (make check-abi; docs/HACKING.md "The ABI"):
#   tests/abi/check_abidiff.sh WORKDIR BASELINE.abi LIBRARY.so
# First proves, on a fixture (evolve.c), that abidiff with abidiff.suppr
# accepts what the ABI rules allow and rejects removed functions and struct
# layout changes; then compares LIBRARY.so with BASELINE.abi.
set -euo pipefail
cd "$(dirname "$0")/../.."
work="$1" baseline="$2" library="$3"
cc="${CC:-cc}"
suppr=tests/abi/abidiff.suppr
command -v abidiff >/dev/null || {
    echo "check-abi needs abidiff; run: sudo apt-get install -y abigail-tools" >&2; exit 1; }
mkdir -p "$work"

# evolve NAME DEFINES...: the fixture library built with those -D options.
evolve() {
    local name="$1"; shift
    "$cc" -shared -fPIC -g -fvisibility=hidden "${@/#/-D}" -o "$work/evolve_$name.so" tests/abi/evolve.c
}
evolve v1
abidw --out-file "$work/evolve_v1.abi" "$work/evolve_v1.so"
# expect NAME accepted|rejected DEFINES...
expect() {
    local name="$1" verdict="$2" status=0; shift 2
    evolve "$name" "$@"
    abidiff --no-added-syms --suppressions "$suppr" "$work/evolve_v1.abi" "$work/evolve_$name.so" \
        >"$work/evolve_$name.txt" 2>&1 || status=$?
    if { [ "$verdict" = accepted ] && [ "$status" != 0 ]; } ||
       { [ "$verdict" = rejected ] && [ "$status" = 0 ]; }; then
        cat "$work/evolve_$name.txt" >&2
        echo "check-abi: abidiff self-test: '$name' should be $verdict (abidiff exit $status)" >&2
        exit 1
    fi
}
expect grown accepted FIELD_FROM_RESERVED ERROR_GROWN ADDED_FUNCTION
expect removed rejected REMOVED_FUNCTION
expect changed rejected CHANGED_TYPE
expect changed_beside_new rejected CHANGED_TYPE FIELD_FROM_RESERVED
echo "abidiff self-test: accepts a field from reserved, a grown coord_error, a new function;" \
     "rejects a removed function and a changed field"

if ! abidiff --no-added-syms --suppressions "$suppr" "$baseline" "$library" >"$work/abidiff.txt" 2>&1; then
    cat "$work/abidiff.txt" >&2
    echo "check-abi: $library breaks the ABI of $baseline (report above)" >&2
    exit 1
fi
echo "abidiff: $library keeps the ABI of $baseline"

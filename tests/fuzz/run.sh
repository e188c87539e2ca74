#!/usr/bin/env bash
# Run each libFuzzer harness for SECONDS, then print every harness's and the
# total number of executions. Exits non-zero when any harness crashes.
#
#   tests/fuzz/run.sh SECONDS FUZZER...
#
# Seeds come from tests/fuzz/corpus/<name>/ (read only); what the fuzzer
# learns is kept in $FUZZ_WORK/corpus/<name>/ (default build/fuzz/work) so
# that later runs start from it; crashing inputs go to $FUZZ_WORK/artifacts/.
set -u
if [ "$#" -lt 2 ]; then
    echo "usage: $0 SECONDS FUZZER..." >&2
    exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
seconds="$1"
shift
work="${FUZZ_WORK:-build/fuzz/work}"
total=0
failed=0
for fuzzer in "$@"; do
    name="$(basename "$fuzzer")"
    name="${name#fuzz_}"
    mkdir -p "$work/corpus/$name" "$work/artifacts"
    log="$work/$name.log"
    echo "== fuzz $name for ${seconds}s"
    "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -dict="$here/json.dict" \
        -artifact_prefix="$work/artifacts/$name-" \
        "$work/corpus/$name" "$here/corpus/$name" >"$log" 2>&1
    status=$?
    runs="$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\)/\1/p' "$log" | tail -n 1)"
    if [ "$status" -ne 0 ] || [ -z "$runs" ]; then
        echo "fuzz $name FAILED (exit $status); log: $log" >&2
        tail -n 40 "$log" >&2
        failed=1
        continue
    fi
    echo "   $name: $runs executions, no crash"
    total=$((total + runs))
done
echo "fuzz: $total executions in all"
exit "$failed"

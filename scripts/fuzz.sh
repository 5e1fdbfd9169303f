#!/usr/bin/env bash
# Fuzz gomap against std's HashMap with cargo-fuzz (libFuzzer + AddressSanitizer).
#
#   scripts/fuzz.sh [SECONDS]   fuzz each target for SECONDS (default 120); new
#                               inputs go to fuzz/target/work-corpus/TARGET, the
#                               checked-in seeds in fuzz/corpus/TARGET are read only
#   scripts/fuzz.sh --replay    run each target once over its checked-in corpus
#                               (fast; what CI runs under ASan)
#
# Environment: FUZZ_TARGETS (default "differential adversarial_hash"),
# FUZZ_SANITIZER (address | none, default address), FUZZ_JOBS (parallel
# fuzzing processes per target, default 1).
# Exits non-zero if any target crashes (a failed check, a panic, or an ASan
# report); the crashing input is left in fuzz/artifacts/TARGET/ and can be
# replayed with `cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET fuzz/artifacts/TARGET/crash-...`.
set -uo pipefail

cd "$(dirname "$0")/../fuzz"
# cargo-fuzz passes -Z flags (sanitizers, coverage); stable rustc accepts
# them with RUSTC_BOOTSTRAP=1.
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked || exit 2
fi

targets=${FUZZ_TARGETS:-"differential adversarial_hash"}
sanitizer=${FUZZ_SANITIZER:-address}
jobs=${FUZZ_JOBS:-1}
mode=fuzz
seconds=120
case "${1:-}" in
    --replay) mode=replay ;;
    "") ;;
    *[!0-9]*) echo "usage: $0 [SECONDS] | --replay" >&2; exit 2 ;;
    *) seconds=$1 ;;
esac

failed=()
for t in $targets; do
    cargo fuzz build --sanitizer "$sanitizer" "$t" || { failed+=("$t (build)"); continue; }
    if [ "$mode" = replay ]; then
        echo "== replay $t: $(ls "corpus/$t" | wc -l) inputs"
        cargo fuzz run --sanitizer "$sanitizer" "$t" "corpus/$t" -- -runs=0 || failed+=("$t")
    else
        work="target/work-corpus/$t"
        mkdir -p "$work"
        log="target/fuzz-$t.log"
        echo "== fuzz $t for ${seconds}s (log: fuzz/$log)"
        extra=()
        if [ "$jobs" -gt 1 ]; then extra=(-jobs="$jobs" -workers="$jobs"); fi
        cargo fuzz run --sanitizer "$sanitizer" "$t" "$work" "corpus/$t" -- \
            -max_total_time="$seconds" -timeout=60 -rss_limit_mb=4096 -print_final_stats=1 \
            "${extra[@]}" 2>&1 | tee "$log" | grep -E "^#[0-9]+[[:space:]]+(INITED|DONE)|ERROR|panicked|Done [0-9]+ runs"
        status=${PIPESTATUS[0]}
        [ "$status" -eq 0 ] || failed+=("$t")
        runs=$(grep -oE "stat::number_of_executed_units: *[0-9]+" "$log" | grep -oE "[0-9]+$" | tail -1)
        echo "== $t: exit $status, executions ${runs:-?}, corpus $(ls "$work" | wc -l) files"
    fi
done

if [ ${#failed[@]} -ne 0 ]; then
    echo "fuzz.sh: FAILED: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
echo "fuzz.sh: all targets passed"

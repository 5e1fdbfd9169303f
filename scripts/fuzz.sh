#!/usr/bin/env bash
# Fuzz gomap against std's HashMap with cargo-fuzz (libFuzzer + AddressSanitizer).
#
#   scripts/fuzz.sh [SECONDS]   fuzz each target for SECONDS (default 120); new
#                               inputs go to fuzz/target/work-corpus/TARGET, the
#                               checked-in seeds in fuzz/corpus/TARGET are read only
#   scripts/fuzz.sh --replay    run each target once over its checked-in corpus
#                               (fast; what CI runs under ASan)
#
# Environment: FUZZ_TARGETS (default "differential adversarial_hash inline"),
# FUZZ_SANITIZER (address | none, default address), FUZZ_JOBS (parallel
# fuzzing processes per target, default 1), FUZZ_TRACE_COMPARES (1 builds
# with libFuzzer's comparison tracing, default 0).
#
# Speed (exec/s is what finds rare bugs): the targets are built without
# `trace-compares` instrumentation, which cost 2-3x here and buys nothing
# for this input format (ops are decoded by `arbitrary`: no magic values to
# solve), and fuzzing runs with ASan's stack-use-after-return detection off
# (20-25% of the CPU; Rust enables it, clang does not by default). Every
# other ASan check stays on, and `--replay` keeps the full default set.
# How the op lists are sampled and capped: `Limits::fuzz` in gomap-testkit.
# Exits non-zero if any target crashes (a failed check, a panic, or an ASan
# report); the crashing input is left in fuzz/artifacts/TARGET/ and can be
# replayed with `cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run --no-trace-compares TARGET
# artifacts/TARGET/crash-...`, or without libFuzzer (no ASan) with
# `cargo run -p gomap-testkit --example fuzz_replay -- TARGET FILE`.
set -uo pipefail

cd "$(dirname "$0")/../fuzz"
# cargo-fuzz passes -Z flags (sanitizers, coverage); stable rustc accepts
# them with RUSTC_BOOTSTRAP=1.
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked || exit 2
fi

targets=${FUZZ_TARGETS:-"differential adversarial_hash inline"}
sanitizer=${FUZZ_SANITIZER:-address}
jobs=${FUZZ_JOBS:-1}
# `cargo fuzz run` rebuilds unless it gets the flags `cargo fuzz build` got.
flags=(--sanitizer "$sanitizer")
if [ "${FUZZ_TRACE_COMPARES:-0}" != 1 ]; then flags+=(--no-trace-compares); fi
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
    cargo fuzz build "${flags[@]}" "$t" || { failed+=("$t (build)"); continue; }
    if [ "$mode" = replay ]; then
        echo "== replay $t: $(ls "corpus/$t" | wc -l) inputs"
        cargo fuzz run "${flags[@]}" "$t" "corpus/$t" -- -runs=0 || failed+=("$t")
    else
        work="target/work-corpus/$t"
        mkdir -p "$work"
        log="target/fuzz-$t.log"
        echo "== fuzz $t for ${seconds}s (log: fuzz/$log)"
        extra=()
        if [ "$jobs" -gt 1 ]; then extra=(-jobs="$jobs" -workers="$jobs"); fi
        ASAN_OPTIONS=${ASAN_OPTIONS:-detect_stack_use_after_return=0} \
        cargo fuzz run "${flags[@]}" "$t" "$work" "corpus/$t" -- \
            -max_total_time="$seconds" -timeout=60 -rss_limit_mb=4096 -print_final_stats=1 \
            "${extra[@]}" 2>&1 | tee "$log" | grep -E "^#[0-9]+[[:space:]]+(INITED|DONE)|ERROR|panicked|Done [0-9]+ runs"
        status=${PIPESTATUS[0]}
        [ "$status" -eq 0 ] || failed+=("$t")
        runs=$(grep -oE "stat::number_of_executed_units: *[0-9]+" "$log" | grep -oE "[0-9]+$" | tail -1)
        rate=$(grep -oE "stat::average_exec_per_sec: *[0-9]+" "$log" | grep -oE "[0-9]+$" | tail -1)
        cov=$(grep -E "^#[0-9]+[[:space:]]+DONE" "$log" | grep -oE "cov: [0-9]+ ft: [0-9]+" | tail -1)
        echo "== $t: exit $status, executions ${runs:-?} (${rate:-?}/s), ${cov:-cov ?}, corpus $(ls "$work" | wc -l) files"
    fi
done

if [ ${#failed[@]} -ne 0 ]; then
    echo "fuzz.sh: FAILED: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
echo "fuzz.sh: all targets passed"

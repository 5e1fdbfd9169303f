#!/usr/bin/env bash
# Runs every benchmark BENCHMARKS.md quotes, then regenerates its tables and
# plots. Takes ~30 minutes on 2 cores (plus ~15 with GOMAP_BENCH_LARGE=1):
# random and sequential u64 keys, 16-byte String keys, the memory floor.
# Run it on a quiet machine: every other process on the cores shows up in
# the numbers.
#
#   scripts/bench.sh                      # everything but 1e7
#   GOMAP_BENCH_LARGE=1 scripts/bench.sh  # adds the 1e7 sizes (u64 keys)
#   BENCH_RUNS=3 scripts/bench.sh         # throughput 3 times, medians of the runs
#   BENCH_QUICK=1 scripts/bench.sh        # ~2 minutes: checks the pipeline
#                                         # end to end, numbers meaningless
#   scripts/bench.sh 'u64(seq)?/'         # a criterion filter for throughput
#
# Not for CI: CI should only check that the benches compile
# (`cargo bench -p gomap --no-run`). CARGO (default `cargo`) and
# CARGO_TARGET_DIR are honoured; bench_plot.py reads criterion's output from
# the same target dir.
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO=${CARGO:-cargo}
mkdir -p target/bench-results
{
  echo "# $(date -u) $(uname -srm), $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
  echo "# loadavg before: $(cat /proc/loadavg)"
} > target/bench-results/machine.txt
if [ "${BENCH_QUICK:-0}" != 0 ]; then
  # 1e5 entries, one run each, 1e3 throughput sizes only, 0.1 s per benchmark.
  export LAT_N=${LAT_N:-100000} LAT_RUNS=${LAT_RUNS:-1} GOMAP_BENCH_QUICK=1
fi
# Tail latency growing to 10 M (LAT_N): 3 wall-clock runs + 1 on-CPU run +
# 3 resident runs per map, for random and then sequential keys.
LAT_RUNS=${LAT_RUNS:-3} LAT_CPU_RUNS=${LAT_CPU_RUNS:-1} \
  $CARGO bench -p gomap --bench latency | tee target/bench-results/latency.txt
# Throughput (criterion). GOMAP_BENCH_LARGE=1 adds the 1e7 sizes for u64.
# BENCH_RUNS=3 runs it three times and the tables take each benchmark's
# median over the runs (each run's criterion output is kept in
# target/bench-results/criterion-run<i>).
runs=${BENCH_RUNS:-1}
crit=${CARGO_TARGET_DIR:-target}/criterion
CRITERION_RUNS=
for i in $(seq 1 "$runs"); do
  # Each kept run holds only its own results (not a filter's leftovers).
  if [ "$runs" -gt 1 ]; then rm -rf "$crit"; fi
  $CARGO bench -p gomap --bench throughput -- "$@" | tee target/bench-results/throughput-run$i.txt
  if [ "$runs" -gt 1 ]; then
    rm -rf "target/bench-results/criterion-run$i"
    cp -r "$crit" "target/bench-results/criterion-run$i"
    CRITERION_RUNS="$CRITERION_RUNS${CRITERION_RUNS:+:}target/bench-results/criterion-run$i"
  fi
done
export CRITERION_RUNS
echo "# loadavg after: $(cat /proc/loadavg)" >> target/bench-results/machine.txt
python3 scripts/bench_plot.py

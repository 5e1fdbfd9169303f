#!/usr/bin/env bash
# Runs every benchmark BENCHMARKS.md quotes, then regenerates its tables and
# plots. Takes ~15 minutes on 2 cores (plus ~10 with GOMAP_BENCH_LARGE=1).
# Not for CI: CI should only check that the benches compile
# (`cargo bench -p gomap --no-run`).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target/bench-results
{
  echo "# $(date -u) $(uname -srm), $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
  echo "# loadavg before: $(cat /proc/loadavg)"
} > target/bench-results/machine.txt
# Tail latency growing to 10 M: 3 wall-clock runs + 1 on-CPU run + 3 resident runs per map.
LAT_RUNS=${LAT_RUNS:-3} LAT_CPU_RUNS=${LAT_CPU_RUNS:-1} \
  cargo bench -p gomap --bench latency | tee target/bench-results/latency.txt
# Throughput (criterion). GOMAP_BENCH_LARGE=1 adds the 1e7 sizes for u64.
cargo bench -p gomap --bench throughput -- "$@" | tee target/bench-results/throughput.txt
echo "# loadavg after: $(cat /proc/loadavg)" >> target/bench-results/machine.txt
python3 scripts/bench_plot.py

#!/usr/bin/env bash
# gomap / std and gomap / least-code-layout ratios for every throughput
# workload, measured interleaved (`workload_cmp time`: gomap, std and the
# layout table timed in turn within one process, ROUNDS rounds, medians).
# The ratio within a round is steadier than criterion's absolute times on a
# machine whose speed drifts (a VM with neighbours); criterion
# (scripts/bench.sh) stays the record of absolute times.
#
#   scripts/ratios.sh                       # 1e3 1e5 1e6, rand and seq keys
#   SIZES="100000" KEYS=rand ROUNDS=31 scripts/ratios.sh
#
# Prints a markdown table (BENCHMARKS.md's "Interleaved ratios"). Takes
# about 10 minutes with the defaults on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO=${CARGO:-cargo}
$CARGO build --release -p gomap --example workload_cmp >&2
BIN=${CARGO_TARGET_DIR:-target}/release/examples/workload_cmp
SIZES=${SIZES:-"1000 100000 1000000"}
KEYS=${KEYS:-"rand seq"}
ROUNDS=${ROUNDS:-15}
WORKLOADS=${WORKLOADS:-"insert insert_presized insert_refill lookup_hit lookup_miss remove iterate iterate_next churn"}
cpu=$(lscpu | grep 'Model name' | sed 's/.*: *//')
echo "Interleaved timing, medians of $ROUNDS rounds ($cpu; loadavg $(cut -d' ' -f1-3 /proc/loadavg))"
echo
echo "| workload | n | keys | gomap ns/op | std ns/op | gomap / std | layout ns/op | gomap / layout | page faults gomap / std |"
echo "|---|---|---|---|---|---|---|---|---|"
for k in $KEYS; do
  for n in $SIZES; do
    for w in $WORKLOADS; do
      out=$("$BIN" time "$w" "$n" "$k" "$ROUNDS")
      # Line 1: "<w> n=<n>: gomap G ns/op, std S ns/op, gomap/std R; page faults A / B (...)"
      # Line 2 (not for `insert`): "  least-code Go layout L ns/op, gomap/layout Q; page faults C"
      echo "$out" | awk -v w="$w" -v n="$n" -v k="$k" '
        NR == 1 { g = $4; s = $7; r = $10; sub(";", "", r); fa = $13; fb = $15 }
        NR == 2 { l = $4; q = $7; sub(";", "", q) }
        END {
          if (l == "") { l = "-"; q = "-" } else { q = q "x" }
          printf "| %s | %s | %s | %s | %s | %sx | %s | %s | %s / %s |\n", w, n, k, g, s, r, l, q, fa, fb
        }'
    done
  done
done

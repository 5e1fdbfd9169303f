#!/usr/bin/env bash
# Instructions per operation, gomap against std's HashMap (both foldhash,
# fixed seed), for every throughput workload, under callgrind (exact and
# independent of machine load). Only the measured part of each workload is
# collected (`--toggle-collect='*measured_*'`, see examples/workload_cmp.rs).
#
#   scripts/callgrind.sh [BIN] [SIZES] [KEYS] [MAPS]
#   scripts/callgrind.sh                                   # builds, 1e3 1e5, rand seq, gomap std
#   scripts/callgrind.sh /tmp/wcmp "100000" "rand" "gomap std gomap_quality"
#
# BIN: a built workload_cmp (copy it out of the target dir to compare two
# versions: `cargo build --release -p gomap --example workload_cmp`).
# Prints a markdown table: instructions per operation and gomap / std.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-}
if [ -z "$BIN" ]; then
  ${CARGO:-cargo} build --release -p gomap --example workload_cmp >&2
  BIN=${CARGO_TARGET_DIR:-target}/release/examples/workload_cmp
fi
SIZES=${2:-"1000 100000"}
KEYS=${3:-"rand seq"}
MAPS=${4:-"gomap std"}
WORKLOADS=${WORKLOADS:-"insert insert_presized lookup_hit lookup_miss remove iterate iterate_next churn"}
out=$(mktemp -d)
count() { # map workload n keys -> instructions per op
  valgrind --tool=callgrind --toggle-collect='*measured_*' \
    --callgrind-out-file="$out/cg" "$BIN" "$1" "$2" "$3" "$4" >/dev/null 2>"$out/log"
  local c
  c=$(grep -o 'Collected : [0-9]*' "$out/log" | grep -o '[0-9]*$')
  awk -v c="$c" -v n="$3" 'BEGIN { printf "%.1f", c / n }'
}
cpu=$(lscpu | grep 'Model name' | sed 's/.*: *//')
echo "callgrind instructions per operation ($cpu; $BIN)"
echo
hdr="| workload | n | keys |"; sep="|---|---|---|"
for m in $MAPS; do hdr="$hdr $m |"; sep="$sep---|"; done
both=0
case " $MAPS " in *" gomap "*) case " $MAPS " in *" std "*) both=1;; esac;; esac
if [ $both = 1 ]; then hdr="$hdr gomap / std |"; sep="$sep---|"; fi
echo "$hdr"; echo "$sep"
for n in $SIZES; do for k in $KEYS; do for w in $WORKLOADS; do
  row="| $w | $n | $k |"; declare -A v=()
  for m in $MAPS; do v[$m]=$(count "$m" "$w" "$n" "$k"); row="$row ${v[$m]} |"; done
  if [ -n "${v[gomap]:-}" ] && [ -n "${v[std]:-}" ]; then
    row="$row $(awk -v a="${v[gomap]}" -v b="${v[std]}" 'BEGIN { printf "%.2f", a / b }') |"
  fi
  echo "$row"; unset v
done; done; done
rm -rf "$out"

#!/usr/bin/env bash
# Valgrind memcheck over gomap's example binaries (crates/gomap/examples/*.rs),
# built in debug. Exits non-zero on any memory error or leak.
#
#   scripts/valgrind.sh [EXAMPLE...]    default: every example
#
# Installs valgrind with apt-get when missing (needs root or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind.sh: installing valgrind" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq && $sudo apt-get install -y -qq valgrind
fi

if [ $# -gt 0 ]; then
    examples=("$@")
else
    examples=()
    for f in crates/gomap/examples/*.rs crates/gomap/examples/*/main.rs; do
        [ -e "$f" ] || continue
        name=$(basename "$f" .rs)
        [ "$name" = main ] && name=$(basename "$(dirname "$f")")
        examples+=("$name")
    done
fi
if [ ${#examples[@]} -eq 0 ]; then
    echo "valgrind.sh: no examples in crates/gomap/examples: nothing checked" >&2
    exit 0
fi

cargo build --examples -p gomap
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
failed=()
for ex in "${examples[@]}"; do
    bin="$target_dir/debug/examples/$ex"
    echo "== valgrind $ex"
    start=$SECONDS
    if valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect,possible \
        --errors-for-leak-kinds=definite,indirect --error-exitcode=1 --quiet "$bin" >/dev/null; then
        echo "== $ex: clean ($((SECONDS - start)) s)"
    else
        echo "== $ex: FAILED ($((SECONDS - start)) s)"
        failed+=("$ex")
    fi
done
if [ ${#failed[@]} -ne 0 ]; then
    echo "valgrind.sh: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "valgrind.sh: ${#examples[@]} examples clean"

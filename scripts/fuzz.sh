#!/usr/bin/env bash
# Runs one libFuzzer binary for a bounded time and fails on any finding.
# usage: scripts/fuzz.sh BINARY SECONDS NEW_CORPUS_DIR SEED_CORPUS_DIR [extra libFuzzer flags]
set -uo pipefail
bin=$1 seconds=$2 corpus=$3 seeds=$4; shift 4
mkdir -p "$corpus" build/fuzz/artifacts
log=build/fuzz/$(basename "$bin").log
"$bin" -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=20 -print_final_stats=1 \
       -artifact_prefix=build/fuzz/artifacts/ "$@" "$corpus" "$seeds" >"$log" 2>&1
status=$?
execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$')
units=$(ls "$corpus" | wc -l)
if [ $status -ne 0 ]; then
  echo "fuzz $(basename "$bin"): FAILED (exit $status); see $log and build/fuzz/artifacts/"
  grep -E 'ERROR|SUMMARY|runtime error' "$log" | head -20
  exit 1
fi
echo "fuzz $(basename "$bin"): ${execs:-?} executions in ${seconds} s, no findings (corpus: $units new inputs)"

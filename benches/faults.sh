#!/usr/bin/env bash
# Benchmark: time to detect and time to resume for each fault type, measured
# by the fault-injection tests against real servers on loopback (they print
# FAULT lines; the tests themselves assert recovery, never a time).
# Usage: benches/faults.sh
set -euo pipefail
cd "$(dirname "$0")/.."
{
  cargo test --release --locked --test faults -- --nocapture --test-threads=1 2>&1
  cargo test --release --locked --test sources lost_sources -- --nocapture 2>&1
} | grep "^FAULT" | sed 's/^FAULT /  /'

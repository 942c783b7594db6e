#!/usr/bin/env bash
# Benchmark: a 4 Mb/s canvas whose link drops to 2 Mb/s (tc in a network
# namespace, as root) and comes back: time to a stable lower bitrate, time
# back to full, frames dropped, lag — adaptive bitrate vs a fixed bitrate
# (adaptive_bitrate = false: what happens without it), from the same run.
# Usage: benches/uplink.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --locked --test uplink bench_link_drop -- --ignored --nocapture --test-threads=1 2>&1 | grep -o "UPLINK.*"

#!/usr/bin/env bash
# Benchmark: the relay show's CPU-s/s with one and two platforms (fed over
# SRT by a studio at 640×360 30 fps, 1.5 Mb/s), beside ffmpeg as the
# plainest relay (SRT in, one x264 encode, tee out) in the same run.
# Usage: benches/relay.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --locked --test relay bench_relay_cpu -- --ignored --nocapture --test-threads=1 2>&1 | grep -o "RELAY.*"

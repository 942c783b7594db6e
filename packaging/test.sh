#!/usr/bin/env bash
# Quick start 2: install what is missing (GStreamer, lavapipe, nginx-rtmp,
# ffmpeg) and run every check and test. CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
packaging/install-deps.sh --test
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked

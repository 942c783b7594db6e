#!/usr/bin/env bash
# Quick start 1: install what is missing, build, and run the bundled demo show
# (two canvases, landscape and portrait) headless, recording both canvases to
# demo-landscape.mkv and demo-portrait.mkv. Ctrl-C ends it cleanly.
# DURATION (seconds, default 30) sets the length; extra arguments go to
# `showroom run` (e.g. --to landscape=rtmp://host/app/KEY).
set -euo pipefail
cd "$(dirname "$0")/.."
packaging/install-deps.sh
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
exec cargo run --release --locked --quiet -- \
  run assets/demo/show.toml --duration "${DURATION:-30}" --record "demo-{canvas}.mkv" "$@"

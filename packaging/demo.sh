#!/usr/bin/env bash
# Quick start 1: install what is missing, build, and open the studio window
# on the bundled demo show (two canvases, landscape and portrait). Nothing
# goes on air until you press Go Live.
# Without a display (no DISPLAY / WAYLAND_DISPLAY, e.g. over ssh) it runs the
# demo headless instead for DURATION seconds (default 30), recording both
# canvases to demo-landscape.mkv and demo-portrait.mkv; Ctrl-C ends it cleanly.
# Extra arguments go to `showroom run` in that case.
set -euo pipefail
cd "$(dirname "$0")/.."
packaging/install-deps.sh
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  exec cargo run --release --locked --quiet -- studio assets/demo/show.toml
fi
echo "no display: running the demo headless for ${DURATION:-30} s (the studio window needs a desktop)"
exec cargo run --release --locked --quiet -- \
  run assets/demo/show.toml --duration "${DURATION:-30}" --record "demo-{canvas}.mkv" "$@"

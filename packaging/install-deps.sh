#!/usr/bin/env bash
# Installs what Showroom needs on Debian 12 / Ubuntu 22.04+ (only what is
# missing). With --test it also installs the real servers and tools the tests
# use: nginx with the RTMP module, ffmpeg/ffprobe, openssl, Xvfb (the studio
# window without a screen), tesseract (reading the window's text) and
# espeak-ng (speech for the audio tests), and a user-mode PulseAudio with
# ALSA's pulse plugin (microphone capture without a sound card).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PKGS=(
  build-essential pkg-config curl ca-certificates libdbus-1-dev libasound2-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-tools glib-networking
  libvulkan1 mesa-vulkan-drivers
  libx11-xcb1 libxcursor1 libxrandr2 libxi6 libxkbcommon0 libxkbcommon-x11-0
  libwayland-client0 libwayland-cursor0 libwayland-egl1
)
if [ "${1:-}" = "--test" ]; then
  # Node and Python for the real obs-websocket clients of tests/remote.rs
  # (a Node that is there already, e.g. from NodeSource, is kept).
  command -v node >/dev/null 2>&1 || PKGS+=(nodejs)
  command -v npm >/dev/null 2>&1 || PKGS+=(npm)
  PKGS+=(python3-venv)
  PKGS+=(chromium chromium-driver nginx libnginx-mod-rtmp libnginx-mod-stream ffmpeg openssl time dbus-daemon dbus-bin gnome-keyring
    xvfb tesseract-ocr tesseract-ocr-eng espeak-ng pulseaudio pulseaudio-utils libasound2-plugins)
  # Network namespaces and packet loss for the SRT link tests (tests/relay.rs).
  PKGS+=(iproute2 nftables)
fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Rust 1.95 or newer (wgpu 30 and egui 0.37 need it).
need_rust=1
if command -v cargo >/dev/null 2>&1; then
  v=$(rustc --version | awk '{print $2}')
  if [ "$(printf '%s\n' "1.95.0" "$v" | sort -V | head -1)" = "1.95.0" ]; then need_rust=0; fi
fi
if [ "$need_rust" -eq 1 ]; then
  if command -v rustup >/dev/null 2>&1; then
    rustup toolchain install stable && rustup default stable
  else
    echo "installing Rust with rustup (https://rustup.rs)"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component clippy,rustfmt
    # shellcheck disable=SC1091
    . "$HOME/.cargo/env"
  fi
fi

# The third-party clients the tests drive: obs-websocket-js from npm
# (pinned in tests/remote/package-lock.json), obsws-python and selenium
# from PyPI, beside the tests (all ignored by git).
if [ "${1:-}" = "--test" ]; then
  ROOT="$(cd "$(dirname "$0")/.." && pwd)"
  if [ ! -d "$ROOT/tests/remote/node_modules/obs-websocket-js" ]; then
    (cd "$ROOT/tests/remote" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  # selenium drives Debian's chromium (through chromium-driver) for the
  # crew console's tests; it downloads nothing (SE_OFFLINE, paths given).
  if [ ! -x "$ROOT/tests/remote/.venv/bin/python" ] || ! "$ROOT/tests/remote/.venv/bin/python" -c "import obsws_python, selenium" 2>/dev/null; then
    python3 -m venv "$ROOT/tests/remote/.venv"
    "$ROOT/tests/remote/.venv/bin/pip" install -q --disable-pip-version-check obsws-python==1.8.0 selenium==4.51.0
  fi
fi

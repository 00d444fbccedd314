#!/usr/bin/env bash
# Installs what encore needs on Debian 12 and does nothing else when it is all there.
#   Vulkan: Mesa's software driver (lavapipe) and the loader, so it renders without a GPU.
#   X11:    the client libraries winit opens at run time, Xvfb for windows without a screen,
#           xdotool for the tests that drive the window with mouse and keys.
#   Audio:  ALSA headers for playback (the sound card itself is optional).
#   Video:  ffmpeg for recordings.
#   Fonts:  Nanum Gothic (Hangul) and VL Gothic (kana, kanji) for the chat.
# Safe to run again: it checks each package first and only calls apt-get for missing ones.
set -euo pipefail

packages=(
  mesa-vulkan-drivers libvulkan1
  libx11-6 libx11-xcb1 libxcursor1 libxrandr2 libxi6 libxkbcommon-x11-0
  xvfb xauth xdotool
  libasound2-dev
  ffmpeg
  fonts-dejavu-core fonts-nanum fonts-vlgothic
  pkg-config
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
  echo "setup: cargo not found; install the Rust toolchain (rustup) first" >&2
  exit 1
fi
echo "setup: system packages ready"

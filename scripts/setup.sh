#!/usr/bin/env bash
# Installs what encore needs on Debian 12 and does nothing else when it is all there.
#   Vulkan: Mesa's software driver (lavapipe) and the loader, so it renders without a GPU.
#   X11:    the client libraries winit opens at run time, Xvfb for windows without a screen,
#           xdotool for the tests that drive the window with mouse and keys.
#   Audio:  ALSA headers for playback (the sound card itself is optional).
#   Video:  ffmpeg for recordings.
#   Fonts:  Nanum Gothic (Hangul), VL Gothic (kana, kanji) and Noto Color Emoji for the chat.
#   Voice:  eSpeak NG, for the tests only: it speaks the vowels the mouth analysis of a song's
#           vocals is tested on, made at test time instead of kept as recordings.
# On Debian 12 the software Vulkan driver comes from bookworm-backports (Mesa 25): Debian 12's
# own Mesa 22.3 lavapipe keeps memory on every frame with encore's shaders and never frees it
# (1 to 3 MB a frame: a concert could not be recorded). See docs/design.md, "Memory".
#   Farm:   with --farm (the tests ask for it), Slurm and munge for the render farm test; they
#           are left out otherwise, since Debian starts their services where systemd runs.
# Safe to run again: it checks each package first and only calls apt-get for missing ones.
set -euo pipefail

packages=(
  mesa-vulkan-drivers libvulkan1
  libx11-6 libx11-xcb1 libxcursor1 libxrandr2 libxi6 libxkbcommon-x11-0
  xvfb xauth xdotool
  libasound2-dev
  ffmpeg
  fonts-dejavu-core fonts-nanum fonts-vlgothic fonts-noto-color-emoji
  espeak-ng
  pkg-config
)
if [[ ${1:-} == --farm ]]; then
  packages+=(slurmctld slurmd slurm-client munge)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  sudo="sudo"
fi
updated=false

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  updated=true
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Mesa 23 or newer for lavapipe; Debian 12 has it in its backports.
mesa=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
mesa_major=${mesa#*:}
mesa_major=${mesa_major%%.*}
if [[ $mesa_major =~ ^[0-9]+$ ]] && ((mesa_major < 23)); then
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  if [[ $codename == bookworm ]]; then
    echo "setup: Mesa $mesa's software Vulkan driver leaks memory with encore; installing Mesa from bookworm-backports"
    if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
      echo "deb http://deb.debian.org/debian bookworm-backports main" |
        $sudo tee /etc/apt/sources.list.d/encore-bookworm-backports.list >/dev/null
      updated=false
    fi
    if [[ $updated == false ]]; then
      $sudo apt-get update -qq
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
      -t bookworm-backports mesa-vulkan-drivers >/dev/null
  else
    echo "setup: warning: Mesa $mesa's software Vulkan driver leaks memory with encore; install Mesa 23 or newer" >&2
  fi
fi

if ! command -v cargo >/dev/null; then
  echo "setup: cargo not found; install the Rust toolchain (rustup) first" >&2
  exit 1
fi
echo "setup: system packages ready"

#!/usr/bin/env bash
# A real render farm test: a private one-node Slurm cluster on this machine
# (scripts/slurm-cluster.sh), `encore farm slurm --submit` with scenes/minimal.ron split
# into 4 chunks plus the join, and checks that the joined hash log equals a single pass's
# and that the joined MP4 plays from start to end with sound. Stops the daemons it started.
#
#   scripts/test-farm.sh [ENCORE_BINARY]
#
# The binary defaults to the one cargo built ($CARGO_TARGET_DIR or target, debug).
set -euo pipefail
cd "$(dirname "$0")/.."

encore=${1:-${CARGO_TARGET_DIR:-target}/debug/encore}
encore=$(realpath "$encore")
timeout=${FARM_TEST_TIMEOUT:-300}
work=$(mktemp -d /tmp/encore-farm.XXXXXX)
chmod 0777 "$work"
cluster="$work/cluster"

finish() {
  local status=$?
  scripts/slurm-cluster.sh stop "$cluster" || true
  if ((status != 0)); then
    echo "farm test: FAILED; logs:" >&2
    tail -n 20 "$work"/farm/logs/*.log 2>/dev/null >&2 || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap finish EXIT

started=$(date +%s.%N)
env_lines=$(scripts/slurm-cluster.sh start "$cluster")
eval "$env_lines"

options=(--size 160x90 --fps 30 --quality low --to 4)
"$encore" farm slurm scenes/minimal.ron --chunks 4 --cpus 1 "${options[@]}" \
  -o "$work/farm" --submit
joined="$work/farm/concert.mp4"
waited=0
until [[ -f $joined && -f $work/farm/concert.hashes ]]; do
  if ((waited >= timeout)); then
    squeue >&2 || true
    echo "farm test: no joined video after ${timeout}s" >&2
    exit 1
  fi
  # A failed task leaves the join pending for ever: stop at once.
  if grep -qs "error" "$work"/farm/logs/*.log; then
    echo "farm test: a task failed" >&2
    exit 1
  fi
  sleep 2
  waited=$((waited + 2))
done
farm_seconds=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')

# The same recording in one pass.
"$encore" record scenes/minimal.ron "${options[@]}" -o "$work/single.mp4" \
  --hash-log "$work/single.hashes" 2>/dev/null
if ! diff -q "$work/single.hashes" "$work/farm/concert.hashes" >/dev/null; then
  echo "farm test: the joined hash log differs from a single pass's" >&2
  diff "$work/single.hashes" "$work/farm/concert.hashes" | head >&2
  exit 1
fi
frames=$(ffprobe -v error -select_streams v:0 -count_frames \
  -show_entries stream=nb_read_frames -of csv=p=0 "$joined")
audio=$(ffprobe -v error -select_streams a:0 -show_entries stream=codec_name -of csv=p=0 "$joined")
duration=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$joined")
if [[ $frames != 120 || $audio != aac ]] || ! awk -v d="$duration" 'BEGIN { exit !(d > 3.95 && d < 4.1) }'; then
  echo "farm test: the joined video has $frames frames, audio '$audio', $duration s" >&2
  exit 1
fi
printf 'farm test: 4 chunks on Slurm and the join in %.1f s; the joined hash log equals a single pass'"'"'s; %s frames, %s s, %s audio\n' \
  "$farm_seconds" "$frames" "$duration" "$audio"

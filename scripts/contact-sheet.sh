#!/usr/bin/env bash
# A contact sheet of a setlist: one frame from the middle of each of the director's first
# shots, labelled with its time and shot, tiled five across.
#
#   scripts/contact-sheet.sh QUALITY OUT.png [SETLIST] [SHOTS]
#
# QUALITY is low, medium or high; SETLIST defaults to scenes/demo.ron and SHOTS to 15.
# Set ENCORE to the binary to use (default: `encore` on the PATH). The frames are recorded
# offscreen at 384x216 without the chat, so the sheet shows the picture itself.
set -euo pipefail

quality=${1:?usage: contact-sheet.sh QUALITY OUT.png [SETLIST] [SHOTS]}
out=${2:?usage: contact-sheet.sh QUALITY OUT.png [SETLIST] [SHOTS]}
setlist=${3:-scenes/demo.ron}
count=${4:-15}
encore=${ENCORE:-encore}
font=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# "  0:07.5  Starlight Signal  bar 5:1  CloseUp hana  setlist": the start of each shot, and
# of the one after it, in seconds.
"$encore" check "$setlist" --shots | tail -n +2 | head -n "$((count + 1))" |
    awk '{ split($1, t, ":"); print t[1] * 60 + t[2] }' >"$tmp/starts"
"$encore" check "$setlist" --shots | tail -n +2 | head -n "$count" |
    sed -E 's/^ *([0-9:.]+) .* bar +[0-9]+:[0-9]+ +(.*[^ ]) +(setlist|director)$/\1 \2/' >"$tmp/labels"

index=0
while read -r label; do
    start=$(sed -n "$((index + 1))p" "$tmp/starts")
    next=$(sed -n "$((index + 2))p" "$tmp/starts")
    # Half-way into the shot, at most 1.5 s in (past any blend from the shot before).
    at=$(awk -v s="$start" -v n="${next:-$start}" 'BEGIN {
        d = (n > s) ? (n - s) / 2 : 1.5; if (d > 1.5) d = 1.5; printf "%.2f", s + d }')
    frames="$tmp/shot-$index"
    "$encore" record "$setlist" --quality "$quality" --size 384x216 --chat off \
        --from "$at" --to "$(awk -v a="$at" 'BEGIN { printf "%.2f", a + 0.04 }')" \
        --frames-dir "$frames" </dev/null >/dev/null 2>&1
    printf '%d. %s' "$((index + 1))" "$label" >"$tmp/label-$index.txt"
    ffmpeg -nostdin -loglevel error -y -i "$frames/frame_000000.png" -vf \
        "pad=384:236:0:0:black,drawtext=fontfile=$font:textfile=$tmp/label-$index.txt:x=6:y=219:fontsize=13:fontcolor=white" \
        "$tmp/$(printf 'tile_%02d.png' "$index")"
    index=$((index + 1))
done <"$tmp/labels"

columns=5
rows=$(((index + columns - 1) / columns))
ffmpeg -loglevel error -y -framerate 1 -i "$tmp/tile_%02d.png" \
    -vf "tile=${columns}x${rows}" -frames:v 1 "$out"
echo "wrote $out: $index shots of $setlist at $quality"

#!/usr/bin/env python3
"""Reference figures for `encore song analyze`, computed with librosa (not used at run time).

Setup once: python3 -m venv /tmp/venv-librosa && /tmp/venv-librosa/bin/pip install librosa

  beats SONG... [--dump DIR]
      librosa 0.11's default beat tracker: its tempo, the tempo of the line fitted to its
      beats (what encore's test compares with) and, with --dump, DIR/<stem>.beats.txt (one
      beat time per line; tests/songs/ holds the ones the tests read).

  sections SONG --bpm B --offset O --bars N --chorus A-B [--chorus C-D ...] [--metre 4]
      An independent look at encore's choruses: on encore's bar grid, librosa's loudness
      (RMS, dB) per bar and how well each bar repeats elsewhere (the best chroma+MFCC cosine, standardised,
      with a bar at least 8 bars away). It prints the loudest repeated bars (repeating at
      0.7 or more by default, loudest quarter) and how many of them fall in the choruses given.
"""
import argparse
import os

import librosa
import numpy as np


def fitted_bpm(times):
    slope, _ = np.polyfit(np.arange(len(times)), times, 1)
    return 60.0 / slope


def beats(args):
    print(f"librosa {librosa.__version__}")
    for path in args.songs:
        stem = os.path.splitext(os.path.basename(path))[0]
        y, sr = librosa.load(path)
        tempo, frames = librosa.beat.beat_track(y=y, sr=sr)
        times = librosa.frames_to_time(frames, sr=sr)
        print(f"{stem}: {len(y) / sr:.2f} s, librosa {float(np.atleast_1d(tempo)[0]):.2f} bpm, "
              f"fitted {fitted_bpm(times):.2f} bpm, {len(times)} beats")
        if args.dump:
            os.makedirs(args.dump, exist_ok=True)
            np.savetxt(os.path.join(args.dump, stem + ".beats.txt"), times, fmt="%.4f")


def sections(args):
    y, sr = librosa.load(args.song)
    hop = 512
    rms = librosa.feature.rms(y=y, hop_length=hop)[0]
    chroma = librosa.feature.chroma_cqt(y=y, sr=sr, hop_length=hop)
    mfcc = librosa.feature.mfcc(y=y, sr=sr, hop_length=hop, n_mfcc=13)
    frame_of = lambda seconds: int(round(seconds * sr / hop))
    bar = 60.0 / args.bpm * args.metre
    loud, vectors = [], []
    for index in range(args.bars):
        a, b = frame_of(args.offset + index * bar), frame_of(args.offset + (index + 1) * bar)
        loud.append(10 * np.log10(np.mean(rms[a:b] ** 2) + 1e-12))
        vectors.append(np.concatenate([chroma[:, a:b].mean(axis=1), mfcc[1:, a:b].mean(axis=1)]))
    vectors = np.array(vectors)
    vectors = (vectors - vectors.mean(axis=0)) / (vectors.std(axis=0) + 1e-9)
    unit = vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9)
    similarity = unit @ unit.T
    repeat = np.array([max((similarity[i, j] for j in range(args.bars) if abs(i - j) >= 8),
                           default=0.0) for i in range(args.bars)])
    chorus = set()
    for span in args.chorus:
        first, last = (int(x) for x in span.split("-"))
        chorus.update(range(first, last + 1))
    loud = np.array(loud)
    repeated = [i for i in range(args.bars) if repeat[i] >= args.repeat]
    repeated.sort(key=lambda i: -loud[i])
    top = repeated[: max(1, len(repeated) // 4)]
    inside = [i + 1 for i in top if i + 1 in chorus]
    in_chorus = [loud[i] for i in range(args.bars) if i + 1 in chorus]
    outside = [loud[i] for i in range(args.bars) if i + 1 not in chorus]
    print(f"{os.path.basename(args.song)}: {len(repeated)} of {args.bars} bars repeat (>= {args.repeat}); "
          f"the loudest quarter of them: bars {sorted(i + 1 for i in top)}")
    print(f"  {len(inside)} of {len(top)} are in the choruses given; chorus bars "
          f"{np.mean(in_chorus):.1f} dB, the others {np.mean(outside):.1f} dB")


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    b = commands.add_parser("beats")
    b.add_argument("songs", nargs="+")
    b.add_argument("--dump")
    s = commands.add_parser("sections")
    s.add_argument("song")
    s.add_argument("--bpm", type=float, required=True)
    s.add_argument("--offset", type=float, required=True)
    s.add_argument("--bars", type=int, required=True)
    s.add_argument("--metre", type=int, default=4)
    s.add_argument("--chorus", action="append", default=[])
    s.add_argument("--repeat", type=float, default=0.7)
    args = parser.parse_args()
    {"beats": beats, "sections": sections}[args.command](args)


if __name__ == "__main__":
    main()

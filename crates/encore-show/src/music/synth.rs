//! A small synthesizer that writes encore's own music: drums, bass, chords, a lead melody and
//! vocal-like "ooh" tones in a bright pop style, following a song's tempo, metre, key and
//! sections. Every note starts on a sample computed from the beat grid, so the music's beats
//! are the setlist's beats; everything random is drawn from the setlist's seed.

use std::f32::consts::TAU;

use rand::{Rng, SeedableRng, rngs::StdRng};

use crate::setlist::{Item, raw::SectionKind};

pub use crate::audio::{SAMPLE_RATE, Stereo};

/// Which parts play in a section, and how loud the whole is.
#[derive(Debug, Clone, Copy)]
struct Arrangement {
    kick: bool,
    four_on_floor: bool,
    snare: bool,
    hats: bool,
    bass: bool,
    chords: f32,
    lead: bool,
    level: f32,
}

fn arrangement(kind: Option<SectionKind>) -> Arrangement {
    let all = Arrangement {
        kick: true,
        four_on_floor: true,
        snare: true,
        hats: true,
        bass: true,
        chords: 0.8,
        lead: true,
        level: 1.0,
    };
    match kind {
        Some(SectionKind::Intro) => Arrangement {
            kick: false,
            snare: false,
            bass: false,
            lead: false,
            chords: 1.0,
            level: 0.8,
            ..all
        },
        Some(SectionKind::Verse) | None => Arrangement {
            four_on_floor: false,
            lead: false,
            chords: 0.6,
            level: 0.85,
            ..all
        },
        Some(SectionKind::PreChorus) => Arrangement {
            four_on_floor: false,
            lead: false,
            level: 0.9,
            ..all
        },
        Some(SectionKind::Chorus) => all,
        Some(SectionKind::DanceBreak) => Arrangement {
            chords: 0.3,
            lead: false,
            ..all
        },
        Some(SectionKind::Bridge) => Arrangement {
            kick: false,
            snare: false,
            hats: false,
            lead: false,
            chords: 1.0,
            level: 0.7,
            ..all
        },
        Some(SectionKind::Outro) => Arrangement {
            snare: false,
            four_on_floor: false,
            lead: false,
            level: 0.75,
            ..all
        },
    }
}

/// A bright progression in scale degrees (I–V–vi–IV), one chord a bar.
const PROGRESSION: [i32; 4] = [0, 7, 9, 5];
/// Whether each chord of the progression is minor.
const MINOR: [bool; 4] = [false, false, true, false];
/// The major pentatonic scale, in semitones, for the melody.
const PENTATONIC: [i32; 5] = [0, 2, 4, 7, 9];

fn frequency(midi: i32) -> f32 {
    440.0 * 2f32.powf((midi - 69) as f32 / 12.0)
}

/// The sample where a beat starts, `beat` counted from the song's bar 1.
pub fn beat_sample(item: &Item, beat: f64) -> usize {
    (beat * item.grid.seconds_per_beat() * f64::from(SAMPLE_RATE)).round() as usize
}

/// Adds a note into `out` (stereo) from `start` for `length` samples with `voice` giving the
/// mono sample at each time since the start; `pan` from -1 (left) to 1 (right).
fn add(out: &mut [f32], start: usize, length: usize, pan: f32, voice: impl Fn(f32) -> f32) {
    let (left, right) = ((1.0 - pan) * 0.5, (1.0 + pan) * 0.5);
    let frames = out.len() / 2;
    for offset in 0..length.min(frames.saturating_sub(start)) {
        let value = voice(offset as f32 / SAMPLE_RATE as f32);
        let at = (start + offset) * 2;
        out[at] += value * left;
        out[at + 1] += value * right;
    }
}

/// A kick drum: a sine falling from 160 Hz to 50 Hz, starting at its peak phase so the onset
/// is the note's first sample.
fn kick(t: f32) -> f32 {
    let phase = TAU * (50.0 * t + 110.0 / 30.0 * (1.0 - (-t * 30.0).exp()));
    phase.cos() * (-t * 9.0).exp() * 0.9
}

/// A cheap deterministic noise from a sample index.
fn noise(seed: u32) -> f32 {
    let mut x = seed.wrapping_mul(747_796_405).wrapping_add(2_891_336_453);
    x = ((x >> ((x >> 28) + 4)) ^ x).wrapping_mul(277_803_737);
    ((x >> 22) ^ x) as f32 / u32::MAX as f32 * 2.0 - 1.0
}

/// Renders one song: `item` with its sections, in the key `root` (a MIDI note), seeded.
pub fn song(item: &Item, root: i32, seed: u64) -> Stereo {
    render(item, root, seed, false)
}

/// The song's kick drum alone, as the song places it.
pub fn kick_track(item: &Item, root: i32, seed: u64) -> Stereo {
    render(item, root, seed, true)
}

fn render(item: &Item, root: i32, seed: u64, kick_only: bool) -> Stereo {
    let frames = (item.duration * f64::from(SAMPLE_RATE)).round() as usize;
    let mut out = vec![0.0; frames * 2];
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5_0a9);
    let beats_per_bar = item.grid.beats_per_bar.max(1) as usize;
    let beat_length = (item.grid.seconds_per_beat() * f64::from(SAMPLE_RATE)) as usize;
    let bars =
        (item.duration / (item.grid.seconds_per_beat() * beats_per_bar as f64)).ceil() as usize;
    // A melody motif per section kind, two bars of eighth notes (None is a rest).
    let motif = |rng: &mut StdRng| -> Vec<Option<i32>> {
        (0..beats_per_bar * 4)
            .map(|_| {
                rng.random_bool(0.7).then(|| {
                    let degree = rng.random_range(0..PENTATONIC.len() * 2);
                    PENTATONIC[degree % 5] + 12 * (degree / 5) as i32
                })
            })
            .collect()
    };
    let motifs: Vec<Vec<Option<i32>>> = (0..7).map(|_| motif(&mut rng)).collect();
    for bar in 0..bars {
        let bar_number = bar as u32 + 1;
        let section = item
            .sections
            .iter()
            .find(|section| section.bars.0 <= bar_number && bar_number <= section.bars.1)
            .map(|section| section.kind);
        let mut parts = arrangement(section);
        if kick_only {
            parts = Arrangement {
                snare: false,
                hats: false,
                bass: false,
                chords: 0.0,
                lead: false,
                ..parts
            };
        }
        let chord_index = bar % PROGRESSION.len();
        let chord_root = root + PROGRESSION[chord_index];
        let third = if MINOR[chord_index] { 3 } else { 4 };
        let bar_start = beat_sample(item, (bar * beats_per_bar) as f64);
        let level = parts.level;
        // Chords: a soft pad of three voices over the bar.
        if parts.chords > 0.0 {
            let length = beat_length * beats_per_bar;
            for (voice, interval) in [0, third, 7].into_iter().enumerate() {
                let f = frequency(chord_root + interval + 12);
                let pan = (voice as f32 - 1.0) * 0.5;
                let amount = 0.07 * parts.chords * level;
                add(&mut out, bar_start, length, pan, |t| {
                    let envelope = (t * 8.0).min(1.0)
                        * (1.0 - t / (length as f32 / SAMPLE_RATE as f32))
                            .max(0.0)
                            .powf(0.3);
                    let tone = (TAU * f * t).sin()
                        + 0.3 * (TAU * 2.0 * f * t).sin()
                        + 0.12 * (TAU * 3.0 * f * t).sin();
                    tone * envelope * amount
                });
            }
        }
        for beat in 0..beats_per_bar {
            let beat_start = beat_sample(item, (bar * beats_per_bar + beat) as f64);
            let strong = beat % 2 == 0;
            if parts.kick && (parts.four_on_floor || strong) {
                add(&mut out, beat_start, beat_length, 0.0, |t| kick(t) * level);
            }
            if parts.snare && !strong {
                let base = beat_start as u32;
                add(&mut out, beat_start, beat_length / 2, 0.1, |t| {
                    let n = noise(base.wrapping_add((t * SAMPLE_RATE as f32) as u32));
                    (n * 0.6 + (TAU * 190.0 * t).sin() * 0.4) * (-t * 22.0).exp() * 0.45 * level
                });
            }
            if parts.hats {
                for half in 0..2 {
                    let start = beat_start + half * beat_length / 2;
                    let base = start as u32 ^ 0x9e37;
                    let open = half == 1;
                    add(&mut out, start, beat_length / 2, -0.3, |t| {
                        // A bright tick: noise with most of its low end removed.
                        let index = (t * SAMPLE_RATE as f32) as u32;
                        let n =
                            noise(base.wrapping_add(index)) - noise(base.wrapping_add(index + 1));
                        n * (-t * if open { 28.0 } else { 60.0 }).exp() * 0.12 * level
                    });
                }
            }
            if parts.bass {
                for half in 0..2 {
                    let start = beat_start + half * beat_length / 2;
                    let f = frequency(
                        chord_root - 24 + if half == 1 && beat % 2 == 1 { 12 } else { 0 },
                    );
                    add(&mut out, start, beat_length / 2, 0.0, |t| {
                        let saw = 2.0 * (f * t).fract() - 1.0;
                        let body = (TAU * f * t).sin();
                        (0.35 * saw + 0.65 * body) * (-t * 6.0).exp() * 0.3 * level
                    });
                }
            }
        }
        // The lead: the section's motif in eighth notes, an octave up on the chorus.
        if parts.lead {
            let phrase = &motifs[section.map_or(0, |kind| kind as usize) % motifs.len()];
            for step in 0..beats_per_bar * 2 {
                let Some(degree) = phrase[(bar % 2) * beats_per_bar * 2 + step] else {
                    continue;
                };
                let start = bar_start + step * beat_length / 2;
                let f = frequency(root + 12 + degree);
                add(&mut out, start, beat_length / 2, 0.25, |t| {
                    let vibrato = 1.0 + 0.004 * (TAU * 5.5 * t).sin();
                    let phase = f * vibrato * t;
                    let square = if phase.fract() < 0.5 { 1.0 } else { -1.0 };
                    let tone = 0.25 * square + 0.75 * (TAU * phase).sin();
                    tone * (t * 60.0).min(1.0) * (-t * 4.0).exp() * 0.13 * level
                });
            }
        }
        // Sung lines: a vocal-like "ooh" on the chord's notes, a long tone each half bar.
        let singing = !kick_only
            && item
                .lines
                .iter()
                .any(|line| line.bars.0 <= bar_number && bar_number <= line.bars.1);
        if singing {
            for half in 0..2 {
                let start = bar_start + half * beat_length * beats_per_bar / 2;
                let note = chord_root + 12 + [0, third, 7][rng.random_range(0..3)];
                let f = frequency(note);
                let length = beat_length * beats_per_bar / 2;
                add(&mut out, start, length, -0.15, |t| {
                    let vibrato = 1.0 + 0.006 * (TAU * 5.0 * t).sin() * (t * 2.0).min(1.0);
                    let phase = TAU * f * vibrato * t;
                    // Harmonics weighted like an "oo" vowel's formants.
                    let voice =
                        phase.sin() + 0.45 * (2.0 * phase).sin() + 0.12 * (3.0 * phase).sin();
                    let envelope = (t * 12.0).min(1.0)
                        * (1.0 - t / (length as f32 / SAMPLE_RATE as f32))
                            .max(0.0)
                            .sqrt();
                    voice * envelope * 0.08 * level
                });
            }
        }
    }
    // A fade at the very end so the song does not click off.
    let fade = (SAMPLE_RATE as usize / 2).min(frames);
    for index in 0..fade {
        let gain = index as f32 / fade as f32;
        let at = (frames - 1 - index) * 2;
        out[at] *= gain;
        out[at + 1] *= gain;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setlist::Setlist;

    #[test]
    fn kicks_start_on_the_beat_grid_within_a_millisecond() {
        let setlist = Setlist::built_in();
        let item = &setlist.items[0];
        let track = kick_track(item, 57, setlist.seed);
        let mono: Vec<f32> = track
            .chunks_exact(2)
            .map(|pair| pair[0] + pair[1])
            .collect();
        // An onset: loud now after 20 ms of near silence.
        let quiet = (SAMPLE_RATE / 50) as usize;
        let mut onsets = Vec::new();
        let mut index = quiet;
        while index < mono.len() {
            if mono[index].abs() > 0.3 && mono[index - quiet..index].iter().all(|v| v.abs() < 0.05)
            {
                onsets.push(index);
                index += quiet;
            }
            index += 1;
        }
        assert!(onsets.len() > 40, "{} kicks", onsets.len());
        let beat = item.grid.seconds_per_beat();
        for onset in onsets {
            let seconds = onset as f64 / f64::from(SAMPLE_RATE);
            let nearest = (seconds / beat).round() * beat;
            assert!(
                (seconds - nearest).abs() < 0.001,
                "a kick at {seconds:.4} s is {:.2} ms off the beat",
                (seconds - nearest) * 1000.0
            );
        }
    }

    #[test]
    fn the_synthesizer_is_deterministic() {
        let mut setlist = Setlist::built_in();
        let item = &mut setlist.items[0];
        item.duration = 8.0;
        let first = song(item, 57, 3);
        assert_eq!(first, song(item, 57, 3));
        assert_ne!(first, song(item, 57, 4));
        let peak = first.iter().fold(0.0f32, |peak, v| peak.max(v.abs()));
        assert!(peak > 0.1 && peak < 4.0, "peak {peak}");
    }
}

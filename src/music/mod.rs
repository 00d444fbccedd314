//! Music: encore's own synthesized soundtrack for songs without an audio file, and the whole
//! concert's mix (songs, crowd ambience between them, cheers on cues) rendered offline,
//! sample-exact against the concert timeline, for `encore music` and recordings.

pub mod synth;

use std::{io::Write, path::Path};

use rand::{Rng, SeedableRng, rngs::StdRng};

use self::synth::{SAMPLE_RATE, Stereo};
use crate::setlist::{CueAction, ItemKind, Setlist};

/// The key of song `index`: a MIDI root note drawn from the seed, from F3 to E4.
pub fn song_root(setlist: &Setlist, index: usize) -> i32 {
    let mut rng = StdRng::seed_from_u64(setlist.seed ^ (0x6b65_7900 + index as u64));
    rng.random_range(53..=64)
}

/// Frames (stereo sample pairs) in the whole concert.
pub fn concert_frames(setlist: &Setlist) -> usize {
    (setlist.duration() * f64::from(SAMPLE_RATE)).round() as usize
}

/// The concert's full mix: each song synthesized at its place, a murmuring crowd between
/// songs and under the encore call, and a cheer at each effect cue and at each song's end.
/// Exactly [`concert_frames`] long.
pub fn concert_mix(setlist: &Setlist) -> Stereo {
    let frames = concert_frames(setlist);
    let mut mix = vec![0.0f32; frames * 2];
    for (index, item) in setlist.items.iter().enumerate() {
        let start = (item.start * f64::from(SAMPLE_RATE)).round() as usize;
        let part = match item.kind {
            ItemKind::Song => {
                synth::song(item, song_root(setlist, index), setlist.seed ^ index as u64)
            }
            ItemKind::Encore => crowd(item.duration, 0.5, setlist.seed ^ index as u64),
            ItemKind::Talk | ItemKind::Intermission => {
                crowd(item.duration, 0.12, setlist.seed ^ index as u64)
            }
        };
        for (offset, value) in part.iter().enumerate() {
            if let Some(slot) = mix.get_mut(start * 2 + offset) {
                *slot += value;
            }
        }
        if item.kind == ItemKind::Song {
            cheer(&mut mix, item.end(), 0.5);
        }
    }
    for cue in &setlist.cues {
        if matches!(cue.action, CueAction::Effect(_)) {
            cheer(&mut mix, cue.at, 0.35);
        }
    }
    // A gentle limiter so nothing clips.
    for value in &mut mix {
        *value = (*value * 0.8).tanh();
    }
    mix
}

/// A crowd murmuring (filtered noise, slowly swelling) for `seconds`.
fn crowd(seconds: f64, level: f32, seed: u64) -> Stereo {
    let frames = (seconds * f64::from(SAMPLE_RATE)).round() as usize;
    let mut rng = StdRng::seed_from_u64(seed ^ 0xc0d);
    let mut out = Vec::with_capacity(frames * 2);
    let (mut left, mut right) = (0.0f32, 0.0f32);
    for index in 0..frames {
        let t = index as f32 / SAMPLE_RATE as f32;
        let swell = 0.6 + 0.4 * (t * 0.7).sin() * (t * 0.23).cos();
        // One-pole low-pass: a murmur, not a hiss.
        left += (rng.random_range(-1.0..1.0) - left) * 0.05;
        right += (rng.random_range(-1.0..1.0) - right) * 0.05;
        let fade = (t * 2.0).min(1.0) * ((seconds as f32 - t) * 2.0).clamp(0.0, 1.0);
        out.push(left * level * swell * fade);
        out.push(right * level * swell * fade);
    }
    out
}

/// A cheer: a swell of noise over two seconds from `at`.
fn cheer(mix: &mut [f32], at: f64, level: f32) {
    let start = (at * f64::from(SAMPLE_RATE)).round() as usize;
    let length = 2 * SAMPLE_RATE as usize;
    let (mut left, mut right) = (0.0f32, 0.0f32);
    for offset in 0..length {
        let Some(slot) = mix.get_mut((start + offset) * 2..(start + offset) * 2 + 2) else {
            break;
        };
        let t = offset as f32 / SAMPLE_RATE as f32;
        let envelope = (t * 6.0).min(1.0) * (1.0 - t / 2.0).max(0.0).powi(2);
        let index = (start + offset) as u32;
        left += (synth_noise(index) - left) * 0.25;
        right += (synth_noise(index ^ 0x55aa) - right) * 0.25;
        slot[0] += left * envelope * level;
        slot[1] += right * envelope * level;
    }
}

fn synth_noise(seed: u32) -> f32 {
    let x = seed
        .wrapping_mul(2_654_435_761)
        .rotate_left(13)
        .wrapping_mul(40_503);
    (x >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0
}

/// Writes stereo samples as a 16-bit PCM WAV file.
pub fn write_wav(path: &Path, samples: &[f32]) -> std::io::Result<()> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let data = (samples.len() * 2) as u32;
    file.write_all(b"RIFF")?;
    file.write_all(&(36 + data).to_le_bytes())?;
    file.write_all(b"WAVEfmt ")?;
    file.write_all(&16u32.to_le_bytes())?;
    file.write_all(&1u16.to_le_bytes())?;
    file.write_all(&2u16.to_le_bytes())?;
    file.write_all(&SAMPLE_RATE.to_le_bytes())?;
    file.write_all(&(SAMPLE_RATE * 4).to_le_bytes())?;
    file.write_all(&4u16.to_le_bytes())?;
    file.write_all(&16u16.to_le_bytes())?;
    file.write_all(b"data")?;
    file.write_all(&data.to_le_bytes())?;
    for sample in samples {
        let value = (sample.clamp(-1.0, 1.0) * f32::from(i16::MAX)) as i16;
        file.write_all(&value.to_le_bytes())?;
    }
    file.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mix_is_the_concert_to_the_sample() {
        let mut setlist = Setlist::built_in();
        // Short items keep the test quick; the lengths stay odd fractions of a second.
        let mut start = 0.0;
        for item in &mut setlist.items {
            item.duration = item.duration.min(3.3337);
            item.start = start;
            start += item.duration;
        }
        let mix = concert_mix(&setlist);
        assert_eq!(mix.len(), concert_frames(&setlist) * 2);
        assert_eq!(
            concert_frames(&setlist),
            (setlist.duration() * 48_000.0).round() as usize
        );
        assert!(mix.iter().all(|v| v.abs() <= 1.0));
        let path = std::env::temp_dir().join("encore-mix-test.wav");
        write_wav(&path, &mix).expect("temp is writable");
        let bytes = std::fs::read(&path).expect("written");
        assert_eq!(bytes.len(), 44 + mix.len() * 2);
        assert_eq!(&bytes[..4], b"RIFF");
    }
}

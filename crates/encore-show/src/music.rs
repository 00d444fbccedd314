//! Music: encore's own synthesized soundtrack for songs without an audio file, and the whole
//! concert's mix (songs, crowd ambience between them, cheers on cues) rendered offline,
//! sample-exact against the concert timeline, for `encore music`, recordings and the player,
//! which plays it as the show's master clock.

pub mod synth;

/// The decoders and the WAV writer moved to `audio`, below the setlist, so song analysis
/// can use them.
pub use crate::audio::{decode, write_wav};

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

/// The concert's mix and what could not go into it.
#[derive(Debug, Clone, Default)]
pub struct Mix {
    /// Interleaved stereo at [`SAMPLE_RATE`], exactly [`concert_frames`] long.
    pub samples: Stereo,
    /// Sound files that could not be read, each with the fix; their songs are synthesized
    /// instead, their segments keep the crowd.
    pub problems: Vec<String>,
}

/// The concert's full mix: each song's audio file (from its `offset`) or encore's synthesized
/// track at its place, a murmuring crowd (or a segment's own ambience) between songs and
/// under the encore call, and a cheer at each effect cue and at each song's end.
pub fn concert_mix(setlist: &Setlist) -> Mix {
    mix_between(setlist, 0, concert_frames(setlist))
}

/// `frames` frames of the concert's mix from frame `first`: the same samples as that stretch
/// of [`concert_mix`], rendering only the items that sound in it (a recording's chunk).
pub fn mix_between(setlist: &Setlist, first: usize, frames: usize) -> Mix {
    let mut mix = vec![0.0f32; frames * 2];
    let mut problems = Vec::new();
    let rate = f64::from(SAMPLE_RATE);
    for (index, item) in setlist.items.iter().enumerate() {
        let start = (item.start * rate).round() as usize;
        let end = start + (item.duration * rate).round() as usize;
        if end <= first || start >= first + frames {
            continue;
        }
        let seed = setlist.seed ^ index as u64;
        let file = item.audio.as_ref().and_then(|audio| {
            decode::decode(&audio.path)
                .map(|samples| file_part(&samples, audio.offset, item.duration))
                .map_err(|problem| {
                    let instead = match item.kind {
                        ItemKind::Song => "encore's synthesized track plays instead",
                        _ => "the crowd murmurs instead",
                    };
                    problems.push(format!(
                        "\"{}\": {problem}; {instead}",
                        item.display_title()
                    ));
                })
                .ok()
        });
        let part = match (file, item.kind) {
            (Some(part), _) => part,
            (None, ItemKind::Song) => synth::song(item, song_root(setlist, index), seed),
            (None, ItemKind::Encore) => crowd(item.duration, 0.5, seed),
            (None, ItemKind::Talk | ItemKind::Intermission)
                if item.crowd || item.audio.is_some() =>
            {
                crowd(item.duration, 0.12, seed)
            }
            (None, _) => Vec::new(),
        };
        // The part's samples from where the stretch begins.
        let skip = first.saturating_sub(start) * 2;
        let at = start.saturating_sub(first) * 2;
        for (slot, value) in mix.iter_mut().skip(at).zip(part.iter().skip(skip)) {
            *slot += value;
        }
    }
    for item in &setlist.items {
        if item.kind == ItemKind::Song {
            cheer(&mut mix, first, item.end(), 0.5);
        }
    }
    for cue in &setlist.cues {
        if matches!(cue.action, CueAction::Effect(_)) {
            cheer(&mut mix, first, cue.at, 0.35);
        }
    }
    // A gentle limiter so nothing clips.
    for value in &mut mix {
        *value = (*value * 0.8).tanh();
    }
    Mix {
        samples: mix,
        problems,
    }
}

/// `seconds` of a decoded file from `offset` on, with short fades so cuts do not click;
/// silence where the file is shorter.
fn file_part(samples: &[f32], offset: f64, seconds: f64) -> Stereo {
    let frames = (seconds * f64::from(SAMPLE_RATE)).round() as usize;
    let skip = (offset * f64::from(SAMPLE_RATE)).round() as usize * 2;
    let mut part: Stereo = samples
        .iter()
        .skip(skip)
        .take(frames * 2)
        .copied()
        .collect();
    part.resize(frames * 2, 0.0);
    let fade = (SAMPLE_RATE as usize / 100).min(frames / 2);
    for index in 0..fade {
        let gain = index as f32 / fade as f32;
        for channel in 0..2 {
            part[index * 2 + channel] *= gain;
            part[(frames - 1 - index) * 2 + channel] *= gain;
        }
    }
    part
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

/// A cheer: a swell of noise over two seconds from `at`, into a mix that starts at frame
/// `first` of the concert.
fn cheer(mix: &mut [f32], first: usize, at: f64, level: f32) {
    let start = (at * f64::from(SAMPLE_RATE)).round() as usize;
    let length = 2 * SAMPLE_RATE as usize;
    let (mut left, mut right) = (0.0f32, 0.0f32);
    for offset in 0..length {
        let t = offset as f32 / SAMPLE_RATE as f32;
        let envelope = (t * 6.0).min(1.0) * (1.0 - t / 2.0).max(0.0).powi(2);
        let index = (start + offset) as u32;
        left += (synth_noise(index) - left) * 0.25;
        right += (synth_noise(index ^ 0x55aa) - right) * 0.25;
        // The filter runs from the cheer's start; only the stretch's part is written.
        let Some(frame) = (start + offset).checked_sub(first) else {
            continue;
        };
        let Some(slot) = mix.get_mut(frame * 2..frame * 2 + 2) else {
            break;
        };
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
        let mix = concert_mix(&setlist).samples;
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

        // A stretch of the mix is that stretch of the whole, sample for sample.
        let (first, frames) = (61_237, 150_001);
        let part = mix_between(&setlist, first, frames).samples;
        assert_eq!(part.len(), frames * 2);
        assert_eq!(part, mix[first * 2..(first + frames) * 2]);
    }

    #[test]
    fn segments_murmur_keep_silent_or_play_their_ambience_file() {
        let folder = std::env::temp_dir().join("encore-ambience");
        std::fs::create_dir_all(&folder).unwrap();
        write_wav(&folder.join("rain.wav"), &vec![0.25f32; 48_000 * 2]).unwrap();
        let source = r##"Concert(
            title: "Ambience",
            cast: [(id: "solo", name: "Solo", colour: "#ff6fae")],
            program: [
                Talk(title: "Murmur", seconds: 2),
                Talk(title: "Quiet", seconds: 2, ambience: Silence),
                Intermission(title: "Rain", seconds: 2, ambience: File("rain.wav")),
                Talk(title: "Lost", seconds: 2, ambience: File("nowhere.wav")),
            ],
        )"##;
        let (setlist, report) = crate::setlist::check(&folder.join("ambience.ron"), source);
        assert!(
            report
                .to_string()
                .contains("the ambience file `nowhere.wav` does not exist"),
            "{report}"
        );
        assert!(setlist.is_none(), "a missing file is an error");

        let source = source.replace(
            r#"Talk(title: "Lost", seconds: 2, ambience: File("nowhere.wav")),"#,
            "",
        );
        let (setlist, report) = crate::setlist::check(&folder.join("ambience.ron"), &source);
        let setlist = setlist.unwrap_or_else(|| panic!("{report}"));
        let mix = concert_mix(&setlist).samples;
        let loudness = |from: f64| {
            let at = (from * 48_000.0) as usize * 2;
            mix[at..at + 48_000].iter().map(|v| v.abs()).sum::<f32>() / 48_000.0
        };
        assert!(loudness(0.5) > 0.001, "the crowd murmurs");
        assert_eq!(loudness(2.5), 0.0, "silence is silent");
        let rain = (0.25f32 * 0.8).tanh();
        assert!(
            (loudness(4.2) - rain).abs() < 1e-3,
            "the file plays: {}",
            loudness(4.2)
        );
        assert_eq!(loudness(5.2), 0.0, "then silence after the file ends");
    }

    #[test]
    fn a_song_file_plays_from_its_offset_and_a_broken_one_is_synthesized_with_a_warning() {
        let folder = std::env::temp_dir().join("encore-mix-files");
        std::fs::create_dir_all(&folder).unwrap();
        // One second of silence, then a steady 0.5 tone: bar 1 is at 1.0 s.
        let mut samples = vec![0.0f32; 48_000 * 2];
        samples.extend(std::iter::repeat_n(0.5f32, 48_000 * 4));
        let song = folder.join("song.wav");
        write_wav(&song, &samples).unwrap();
        let broken = folder.join("broken.ogg");
        std::fs::write(&broken, b"OggS but not really").unwrap();

        let mut setlist = Setlist::built_in();
        setlist.items.truncate(2);
        setlist.items[0].duration = 2.0;
        setlist.items[1].start = 2.0;
        setlist.items[1].duration = 1.0;
        setlist.cues.clear();
        setlist.items[0].audio = Some(crate::setlist::model::Audio {
            path: song,
            offset: 1.0,
        });
        let mix = concert_mix(&setlist);
        assert!(mix.problems.is_empty(), "{:?}", mix.problems);
        // From the song's first sample on, the file's tone (through the limiter), after a
        // 10 ms fade-in.
        let expected = (0.5f32 * 0.8).tanh();
        let sample = mix.samples[48_000];
        assert!((sample - expected).abs() < 1e-3, "{sample} vs {expected}");

        setlist.items[0].audio = Some(crate::setlist::model::Audio {
            path: broken,
            offset: 0.0,
        });
        let mix = concert_mix(&setlist);
        assert_eq!(mix.problems.len(), 1);
        assert!(
            mix.problems[0].contains("broken.ogg"),
            "{}",
            mix.problems[0]
        );
        assert!(mix.problems[0].contains("synthesized track plays instead"));
        assert!(
            mix.samples.iter().any(|value| value.abs() > 0.05),
            "the synth plays"
        );
    }
}

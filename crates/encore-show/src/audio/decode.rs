//! Sound files named by a setlist (a song's `audio`, a segment's ambience): their length for
//! the checker, and their samples at the mix's rate, 48 kHz stereo, for the concert's mix.
//! Ogg Vorbis, WAV, FLAC and MP3 are read.

use std::path::Path;

use rodio::Source;

use crate::audio::open;
pub use crate::audio::{AudioError, audio_seconds};

use super::{SAMPLE_RATE, Stereo};

/// The whole file as 48 kHz stereo: mono is doubled, extra channels are dropped, other
/// rates are resampled (linearly).
pub fn decode(path: &Path) -> Result<Stereo, AudioError> {
    let decoder = open(path)?;
    let channels = usize::from(decoder.channels().get());
    let rate = decoder.sample_rate().get();
    let samples: Vec<f32> = decoder.collect();
    if samples.is_empty() {
        return Err(AudioError::Silent {
            path: path.to_owned(),
        });
    }
    let stereo: Stereo = samples
        .chunks_exact(channels)
        .flat_map(|frame| [frame[0], frame[channels.min(2) - 1]])
        .collect();
    Ok(resample(&stereo, rate))
}

/// Stereo samples at `rate` resampled to [`SAMPLE_RATE`].
fn resample(stereo: &[f32], rate: u32) -> Stereo {
    if rate == SAMPLE_RATE || rate == 0 {
        return stereo.to_vec();
    }
    let frames_in = stereo.len() / 2;
    let frames_out = (frames_in as f64 * f64::from(SAMPLE_RATE) / f64::from(rate)).round() as usize;
    let step = f64::from(rate) / f64::from(SAMPLE_RATE);
    let mut out = Vec::with_capacity(frames_out * 2);
    for index in 0..frames_out {
        let at = index as f64 * step;
        let before = (at as usize).min(frames_in - 1);
        let after = (before + 1).min(frames_in - 1);
        let blend = (at - before as f64) as f32;
        for channel in 0..2 {
            let (a, b) = (stereo[before * 2 + channel], stereo[after * 2 + channel]);
            out.push(a + (b - a) * blend);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::music::write_wav;

    #[test]
    fn a_written_wav_reads_back_with_its_length_and_samples() {
        let path = std::env::temp_dir().join("encore-decode-test.wav");
        // 1.5 s of a ramp, so the samples can be compared one by one.
        let samples: Stereo = (0..72_000 * 2)
            .map(|index| (index % 2000) as f32 / 2000.0 - 0.5)
            .collect();
        write_wav(&path, &samples).expect("temp is writable");
        let seconds = audio_seconds(&path).expect("a WAV has a length");
        assert!((seconds - 1.5).abs() < 1e-6, "{seconds}");
        let decoded = decode(&path).expect("decodes");
        assert_eq!(decoded.len(), samples.len());
        let worst = decoded
            .iter()
            .zip(&samples)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-3, "16-bit rounding only, got {worst}");
    }

    #[test]
    fn broken_and_truncated_files_name_the_file_and_the_fix() {
        let folder = std::env::temp_dir();
        let garbage = folder.join("encore-decode-garbage.ogg");
        std::fs::write(&garbage, b"this is not a sound").unwrap();
        let message = decode(&garbage).unwrap_err().to_string();
        assert!(message.contains("encore-decode-garbage.ogg"), "{message}");
        assert!(message.contains("save it as"), "{message}");

        let truncated = folder.join("encore-decode-truncated.wav");
        write_wav(&truncated, &[0.1; 9600]).unwrap();
        let bytes = std::fs::read(&truncated).unwrap();
        std::fs::write(&truncated, &bytes[..40]).unwrap();
        let message = audio_seconds(&truncated)
            .and_then(|_| decode(&truncated).map(|_| 0.0))
            .unwrap_err()
            .to_string();
        assert!(message.contains("encore-decode-truncated.wav"), "{message}");

        let missing = audio_seconds(&folder.join("encore-no-such-file.mp3"))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("cannot open"), "{missing}");
    }

    #[test]
    fn other_rates_and_mono_become_48k_stereo() {
        let mono_22k: Vec<f32> = (0..22_050).map(|index| index as f32 / 22_050.0).collect();
        let stereo: Stereo = mono_22k.iter().flat_map(|&value| [value, value]).collect();
        let out = resample(&stereo, 22_050);
        assert_eq!(out.len(), 48_000 * 2);
        // A ramp stays a ramp: halfway through is about 0.5.
        assert!((out[48_000] - 0.5).abs() < 1e-3, "{}", out[48_000]);
    }
}

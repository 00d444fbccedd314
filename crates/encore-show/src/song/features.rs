//! What the analysis hears, frame by frame: onset strength (how much new sound starts), the
//! same for the bass alone (kicks), loudness, pitch classes and a coarse timbre.
//!
//! The onset strength is librosa's (Böck and Widmer's spectral flux on a log-mel spectrogram):
//! a 2048-point STFT with a hop of 512 at 24 kHz (a frame every 21.3 ms), 80 mel bands,
//! decibels floored 80 dB under the loudest, and the mean rise across bands from one frame to
//! the next.

use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex};

/// The analysis runs at half the mix's 48 kHz.
pub const RATE: f32 = 24_000.0;
/// STFT window and hop, in samples at [`RATE`].
const WINDOW: usize = 2048;
const HOP: usize = 512;
/// Mel bands of the spectrogram, from 30 Hz to 11 kHz.
const BANDS: usize = 80;
const LOW_HZ: f32 = 30.0;
const HIGH_HZ: f32 = 11_000.0;
/// Bands under this frequency make the bass onset (kick drums mark beats and bars).
const BASS_HZ: f32 = 160.0;
/// Coarse timbre bands: the mel bands averaged in groups.
pub const TIMBRE: usize = 10;

/// Frames per second of every feature.
pub const FRAME_RATE: f32 = RATE / HOP as f32;

/// The features of one song, a value per frame (frame `i` is centred on `i / FRAME_RATE`).
#[derive(Debug, Clone, Default)]
pub struct Features {
    /// Onset strength (mean positive rise of the log-mel bands, dB).
    pub onset: Vec<f32>,
    /// Onset strength of the bass bands alone.
    pub bass: Vec<f32>,
    /// Loudness, dB (RMS of the frame's samples).
    pub loudness: Vec<f32>,
    /// Pitch-class energy, 12 per frame (C, C#, ... B), each frame summing to 1 (or 0).
    pub chroma: Vec<[f32; 12]>,
    /// Log-mel energy in [`TIMBRE`] coarse bands, dB.
    pub timbre: Vec<[f32; TIMBRE]>,
}

impl Features {
    /// Frames analysed.
    pub fn len(&self) -> usize {
        self.onset.len()
    }

    /// Whether there is no frame at all.
    pub fn is_empty(&self) -> bool {
        self.onset.is_empty()
    }
}

/// Interleaved 48 kHz stereo as 24 kHz mono: each output sample averages two frames of both
/// channels, a gentle low-pass before halving the rate.
pub fn mono_24k(stereo: &[f32]) -> Vec<f32> {
    stereo
        .chunks_exact(4)
        .map(|four| (four[0] + four[1] + four[2] + four[3]) * 0.25)
        .collect()
}

fn hz_to_mel(hz: f32) -> f32 {
    2595.0 * (1.0 + hz / 700.0).log10()
}

fn mel_to_hz(mel: f32) -> f32 {
    700.0 * (10f32.powf(mel / 2595.0) - 1.0)
}

/// For each FFT bin, the two mel bands it feeds and their weights (triangular filters
/// written sparsely: a bin lies between two band centres).
fn mel_weights() -> Vec<Option<(usize, f32)>> {
    let bins = WINDOW / 2 + 1;
    let low = hz_to_mel(LOW_HZ);
    let high = hz_to_mel(HIGH_HZ);
    (0..bins)
        .map(|bin| {
            let hz = bin as f32 * RATE / WINDOW as f32;
            // Band centres sit at equal mel steps; position 0 is the first centre.
            let position = (hz_to_mel(hz) - low) / (high - low) * (BANDS - 1) as f32;
            (0.0..(BANDS - 1) as f32)
                .contains(&position)
                .then(|| (position.floor() as usize, 1.0 - position.fract()))
        })
        .collect()
}

/// The pitch class of each FFT bin from 55 Hz to 4.2 kHz (where chords and melody live).
fn pitch_classes() -> Vec<Option<usize>> {
    (0..=WINDOW / 2)
        .map(|bin| {
            let hz = bin as f32 * RATE / WINDOW as f32;
            (55.0..4200.0).contains(&hz).then(|| {
                let note = (12.0 * (hz / 440.0).log2() + 69.0).round() as i32;
                note.rem_euclid(12) as usize
            })
        })
        .collect()
}

/// Every feature of a 24 kHz mono signal.
pub fn features(mono: &[f32]) -> Features {
    let fft: Arc<dyn RealToComplex<f32>> = RealFftPlanner::new().plan_fft_forward(WINDOW);
    let hann: Vec<f32> = (0..WINDOW)
        .map(|i| 0.5 - 0.5 * (std::f32::consts::TAU * i as f32 / WINDOW as f32).cos())
        .collect();
    let weights = mel_weights();
    let classes = pitch_classes();
    let bass_bands = (0..BANDS)
        .filter(|&band| {
            let mel = hz_to_mel(LOW_HZ)
                + (hz_to_mel(HIGH_HZ) - hz_to_mel(LOW_HZ)) * band as f32 / (BANDS - 1) as f32;
            mel_to_hz(mel) < BASS_HZ
        })
        .count()
        .max(1);
    // Frames are centred: frame i covers samples around i * HOP, zeros past the ends.
    let frames = mono.len() / HOP + 1;
    let mut input = fft.make_input_vec();
    let mut spectrum = fft.make_output_vec();
    let mut scratch = fft.make_scratch_vec();
    let mut mel_db = Vec::with_capacity(frames * BANDS);
    let mut features = Features::default();
    for frame in 0..frames {
        let centre = (frame * HOP) as isize;
        let mut sum_squares = 0.0f32;
        for (i, slot) in input.iter_mut().enumerate() {
            let at = centre + i as isize - (WINDOW / 2) as isize;
            let sample = usize::try_from(at)
                .ok()
                .and_then(|at| mono.get(at))
                .copied()
                .unwrap_or(0.0);
            sum_squares += sample * sample;
            *slot = sample * hann[i];
        }
        // The buffers have the planned sizes, so the transform cannot fail.
        let _ = fft.process_with_scratch(&mut input, &mut spectrum, &mut scratch);
        let mut mel = [0.0f32; BANDS];
        let mut chroma = [0.0f32; 12];
        for (bin, value) in spectrum.iter().enumerate() {
            let power = value.norm_sqr();
            if let Some((band, weight)) = weights[bin] {
                mel[band] += power * weight;
                mel[band + 1] += power * (1.0 - weight);
            }
            if let Some(class) = classes[bin] {
                chroma[class] += power;
            }
        }
        let total: f32 = chroma.iter().sum();
        if total > 1e-9 {
            chroma.iter_mut().for_each(|value| *value /= total);
        }
        features.chroma.push(chroma);
        mel_db.extend(mel.iter().map(|power| 10.0 * power.max(1e-10).log10()));
        let rms = (sum_squares / WINDOW as f32).sqrt();
        features.loudness.push(20.0 * rms.max(1e-5).log10());
    }
    // Decibels floored 80 dB under the loudest band of the song, as librosa does, so silence
    // and dither do not make onsets.
    let top = mel_db.iter().copied().fold(f32::MIN, f32::max);
    mel_db
        .iter_mut()
        .for_each(|value| *value = value.max(top - 80.0));
    let rows: Vec<&[f32]> = mel_db.chunks_exact(BANDS).collect();
    for (frame, row) in rows.iter().enumerate() {
        let previous = rows[frame.saturating_sub(1)];
        let rise = |range: std::ops::Range<usize>| {
            let count = range.len() as f32;
            range
                .map(|band| (row[band] - previous[band]).max(0.0))
                .sum::<f32>()
                / count
        };
        features.onset.push(rise(0..BANDS));
        features.bass.push(rise(0..bass_bands));
        let mut timbre = [0.0f32; TIMBRE];
        for (group, value) in timbre.iter_mut().enumerate() {
            let span = BANDS / TIMBRE;
            *value = row[group * span..(group + 1) * span].iter().sum::<f32>() / span as f32;
        }
        features.timbre.push(timbre);
    }
    features
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_click_makes_an_onset_where_it_sounds_and_low_clicks_make_bass_onsets() {
        let mut mono = vec![0.0f32; RATE as usize * 2];
        let click = |mono: &mut Vec<f32>, at: f32, hz: f32| {
            let start = (at * RATE) as usize;
            for i in 0..1200 {
                let t = i as f32 / RATE;
                mono[start + i] += (std::f32::consts::TAU * hz * t).sin() * (-t * 60.0).exp();
            }
        };
        click(&mut mono, 0.5, 60.0);
        click(&mut mono, 1.5, 3000.0);
        let features = features(&mono);
        assert_eq!(features.len(), mono.len() / HOP + 1);
        let peak = |values: &[f32], around: f32| {
            let centre = (around * FRAME_RATE) as usize;
            values[centre - 3..centre + 4]
                .iter()
                .copied()
                .fold(0.0, f32::max)
        };
        let quiet = peak(&features.onset, 1.0);
        assert!(peak(&features.onset, 0.5) > 5.0 * quiet.max(0.01));
        assert!(peak(&features.onset, 1.5) > 5.0 * quiet.max(0.01));
        let (low, high) = (peak(&features.bass, 0.5), peak(&features.bass, 1.5));
        assert!(
            low > 1.5 * high,
            "bass onsets {low} at the low click, {high} at the high"
        );
        let loudness = |at: f32| features.loudness[(at * FRAME_RATE) as usize];
        assert!(loudness(0.5) > loudness(1.0) + 20.0);
    }
}

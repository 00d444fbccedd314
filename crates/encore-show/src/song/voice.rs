//! A singer's mouth read from a vocal stem: how open it is from the voice's loudness (shut in
//! the silences) and which vowel it shapes from the spectrum's formants, a hundred times a
//! second. A song's `vocals` file drives its singers' mouths with it.
//!
//! Loudness is each frame's RMS in dB against the stem's own loud level, behind a noise gate,
//! opening fast and closing over ~70 ms. The vowel comes from linear prediction: the signal
//! at 12 kHz, pre-emphasised and windowed, gives an all-pole model of the vocal tract whose
//! envelope peaks are the formants F1 and F2; the nearest reference vowel in (log F1, log F2)
//! wins, blended with the runner-up so that faces do not snap. All of it is f32 arithmetic in
//! a fixed order: the same file always gives the same track.

use std::path::Path;

use crate::{audio::AudioError, avatar::expression::Expression};

use crate::audio::{SAMPLE_RATE, decode::decode};

/// Frames of a [`MouthTrack`] per second.
pub const FRAME_RATE: u32 = 100;

/// Samples of the 48 kHz stem per frame.
const HOP: usize = (SAMPLE_RATE / FRAME_RATE) as usize;
/// The formant analysis runs at 48 kHz / 4 = 12 kHz: F1 and F2 lie below 3.5 kHz, and a
/// lower rate lets a short predictor model the vocal tract.
const DECIMATION: usize = 4;
const ANALYSIS_RATE: f32 = (SAMPLE_RATE as usize / DECIMATION) as f32;
/// Taps of the anti-aliasing low-pass before decimation (odd, so it has a centre).
const LOW_PASS_TAPS: usize = 63;
/// Analysis window, 25 ms: a few pitch periods, short enough for a vowel to hold still.
const WINDOW_SECONDS: f32 = 0.025;
/// The predictor's order: two poles per formant below 6 kHz (about five of them) and two
/// for the glottal pulse and the lips' radiation.
const ORDER: usize = 12;
/// Pre-emphasis lifts the highs 6 dB an octave, so F2 is not lost under the voice's slope.
const PRE_EMPHASIS: f32 = 0.97;
/// Resolution of the envelope searched for formants, Hz, and how high it is searched.
const ENVELOPE_STEP: f32 = 10.0;
const ENVELOPE_TOP: f32 = 4000.0;
/// Below this no formant is believed (it is the voice's pitch or hum).
const LOWEST_FORMANT: f32 = 180.0;

/// The stem's loud level is this percentile of its sounding frames' loudness.
const LOUD_PERCENTILE: f32 = 0.95;
/// Frames quieter than this (dBFS) are silence whatever the stem's level: dither, hiss.
const SILENCE_DB: f32 = -60.0;
/// Frames this far below the loud level close the mouth (a splitter's bleed, breaths).
const GATE_DB: f32 = -30.0;
/// Frames this close to the loud level open it fully.
const FULL_DB: f32 = -4.0;
/// Smoothing per frame: opening is fast (~10 ms), closing takes ~70 ms.
const ATTACK: f32 = 0.6;
const RELEASE: f32 = 0.133;
/// A closing mouth below this, in a gated frame, is shut.
const SHUT: f32 = 0.05;
/// A frame whose first autocorrelation is below this share of its energy is noise (an s, a
/// breath), not a voiced vowel: it keeps the vowel before it.
const VOICED: f32 = 0.3;

/// Reference F1 and F2 (Hz) of the five vowels, in [`Expression::VOWELS`] order: the geometric
/// mean of eSpeak NG's voices (measured) and the adult average of Hillenbrand et al. (1995),
/// itself the geometric mean of its men and women. The spoken /ɑ/, /i/, /u/, /o/, /ɛ/ stand
/// for aa, ih, ou, oh and ee.
const VOWEL_FORMANTS: [(f32, f32); 5] = [
    // aa: eSpeak 785/1052, Hillenbrand 768/1333 (men), 936/1551 (women).
    (816.0, 1230.0),
    // ih: eSpeak 277/2276, Hillenbrand 342/2322, 437/2761.
    (327.0, 2401.0),
    // ou: eSpeak (German u) 313/859, Hillenbrand 378/997, 459/1105.
    (361.0, 950.0),
    // ee: eSpeak 640/1776, Hillenbrand 580/1799, 731/2058.
    (645.0, 1849.0),
    // oh: eSpeak 434/781, Hillenbrand 497/910, 536/1035.
    (473.0, 870.0),
];

/// The mouth at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mouth {
    /// How open, 0 (shut) to 1.
    pub open: f32,
    /// The share of each vowel in its shape, in [`Expression::VOWELS`] order, summing to 1.
    pub vowels: [f32; 5],
}

impl Mouth {
    /// Shut, on "aa".
    pub const CLOSED: Self = Self::of(Expression::Aa, 0.0);

    /// One vowel, `open` wide.
    pub const fn of(vowel: Expression, open: f32) -> Self {
        let mut vowels = [0.0; 5];
        let mut index = 0;
        while index < 5 {
            if Expression::VOWELS[index] as usize == vowel as usize {
                vowels[index] = 1.0;
            }
            index += 1;
        }
        Self { open, vowels }
    }

    /// The vowel with the largest share.
    pub fn dominant(&self) -> Expression {
        let mut best = 0;
        for index in 1..5 {
            if self.vowels[index] > self.vowels[best] {
                best = index;
            }
        }
        Expression::VOWELS[best]
    }

    /// Each vowel's weight on the face: its share of the shape times the opening.
    pub fn weights(&self) -> impl Iterator<Item = (Expression, f32)> + '_ {
        Expression::VOWELS
            .into_iter()
            .zip(self.vowels)
            .map(|(vowel, share)| (vowel, share * self.open))
    }

    fn lerp(&self, other: &Self, t: f32) -> Self {
        let mut vowels = [0.0; 5];
        for (index, share) in vowels.iter_mut().enumerate() {
            *share = self.vowels[index] + (other.vowels[index] - self.vowels[index]) * t;
        }
        Self {
            open: self.open + (other.open - self.open) * t,
            vowels,
        }
    }
}

/// A singer's mouth through a vocal stem, [`FRAME_RATE`] frames a second from the file's
/// start.
#[derive(Clone, PartialEq)]
pub struct MouthTrack {
    frames: Vec<Mouth>,
}

impl std::fmt::Debug for MouthTrack {
    // Thousands of frames would drown any setlist printed with it.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("MouthTrack")
            .field("frames", &self.frames.len())
            .field("seconds", &self.seconds())
            .finish()
    }
}

impl MouthTrack {
    /// Analyses the vocal stem at `path` (any sound file encore reads).
    pub fn analyse(path: &Path) -> Result<Self, AudioError> {
        Ok(Self::from_stereo(&decode(path)?))
    }

    /// Analyses interleaved stereo at 48 kHz.
    pub fn from_stereo(stereo: &[f32]) -> Self {
        let mono: Vec<f32> = stereo
            .chunks_exact(2)
            .map(|frame| (frame[0] + frame[1]) * 0.5)
            .collect();
        Self::from_mono(&mono)
    }

    /// Analyses mono samples at 48 kHz.
    pub fn from_mono(mono: &[f32]) -> Self {
        let count = mono.len().div_ceil(HOP);
        let loudness: Vec<f32> = (0..count).map(|frame| frame_db(mono, frame)).collect();
        let loud = loud_level(&loudness);
        let low = decimate(mono);
        let analysis = FormantAnalysis::new();
        let mut frames = Vec::with_capacity(count);
        let mut open = 0.0f32;
        // A frame without a vowel of its own (a hiss, a breath, an onset whose window is
        // still half silence) keeps the one before it; one after a shut mouth takes the next,
        // so the mouth opens in the shape of the vowel it is about to sing.
        let mut shapes: Vec<Option<[f32; 5]>> = Vec::with_capacity(count);
        let mut last = None;
        for (frame, &db) in loudness.iter().enumerate() {
            let target = loud.map_or(0.0, |loud| opening(db, loud));
            let rate = if target > open { ATTACK } else { RELEASE };
            open += (target - open) * rate;
            if target == 0.0 && open < SHUT {
                open = 0.0;
            }
            let heard = (target > 0.0)
                .then(|| analysis.formants(&low, frame))
                .flatten()
                .map(vowel_shares);
            if heard.is_some() {
                last = heard;
            } else if open == 0.0 {
                last = None;
            }
            shapes.push(last);
            frames.push(Mouth {
                open,
                vowels: Mouth::CLOSED.vowels,
            });
        }
        let mut next = None;
        for (mouth, shape) in frames.iter_mut().zip(shapes).rev() {
            next = shape.or(next);
            if let Some(vowels) = next {
                mouth.vowels = vowels;
            }
        }
        Self { frames }
    }

    /// The mouth at `seconds` into the file, between its frames; shut outside it.
    pub fn at(&self, seconds: f64) -> Mouth {
        let position = seconds * f64::from(FRAME_RATE);
        if position.is_nan() || position < 0.0 {
            return Mouth::CLOSED;
        }
        let index = position.floor() as usize;
        let t = (position - position.floor()) as f32;
        match (self.frames.get(index), self.frames.get(index + 1)) {
            (Some(before), Some(after)) => before.lerp(after, t),
            // The last frame closes towards the file's end.
            (Some(last), None) => Mouth {
                open: last.open * (1.0 - t),
                vowels: last.vowels,
            },
            _ => Mouth::CLOSED,
        }
    }

    /// The frames, [`FRAME_RATE`] a second.
    pub fn frames(&self) -> &[Mouth] {
        &self.frames
    }

    /// How long the stem lasts, seconds.
    pub fn seconds(&self) -> f64 {
        self.frames.len() as f64 / f64::from(FRAME_RATE)
    }

    /// Whether the mouth ever opens: a stem with no voice in it leaves it shut throughout.
    pub fn has_voice(&self) -> bool {
        self.frames.iter().any(|mouth| mouth.open > 0.0)
    }
}

/// The loudness (dBFS) of the window centred on `frame`.
fn frame_db(mono: &[f32], frame: usize) -> f32 {
    let half = (WINDOW_SECONDS * SAMPLE_RATE as f32) as usize / 2;
    let centre = frame * HOP;
    let window = &mono[centre.saturating_sub(half)..(centre + half).min(mono.len())];
    if window.is_empty() {
        return f32::NEG_INFINITY;
    }
    let mut energy = 0.0f32;
    for sample in window {
        energy += sample * sample;
    }
    10.0 * (energy / window.len() as f32 + 1e-12).log10()
}

/// The stem's loud level (dBFS): a high percentile of the frames that sound at all, so one
/// shout does not set it; `None` when nothing sounds.
fn loud_level(loudness: &[f32]) -> Option<f32> {
    let mut sounding: Vec<f32> = loudness
        .iter()
        .copied()
        .filter(|&db| db > SILENCE_DB)
        .collect();
    if sounding.is_empty() {
        return None;
    }
    sounding.sort_by(f32::total_cmp);
    let at = ((sounding.len() - 1) as f32 * LOUD_PERCENTILE) as usize;
    Some(sounding[at])
}

/// How open a frame `db` loud makes the mouth against the loud level `loud`: shut under the
/// gate, fully open near the loud level, in between linear in dB.
fn opening(db: f32, loud: f32) -> f32 {
    let relative = db - loud;
    if db < SILENCE_DB || relative < GATE_DB {
        return 0.0;
    }
    ((relative - GATE_DB) / (FULL_DB - GATE_DB)).clamp(0.0, 1.0)
}

/// `mono` low-passed below 5 kHz and taken every [`DECIMATION`]th sample.
fn decimate(mono: &[f32]) -> Vec<f32> {
    let cutoff = 5000.0 / SAMPLE_RATE as f32;
    let middle = (LOW_PASS_TAPS / 2) as f32;
    let mut taps = [0.0f32; LOW_PASS_TAPS];
    let mut sum = 0.0;
    for (index, tap) in taps.iter_mut().enumerate() {
        let x = index as f32 - middle;
        let sinc = if x == 0.0 {
            2.0 * cutoff
        } else {
            (2.0 * std::f32::consts::PI * cutoff * x).sin() / (std::f32::consts::PI * x)
        };
        let hamming = 0.54
            - 0.46 * (2.0 * std::f32::consts::PI * index as f32 / (LOW_PASS_TAPS - 1) as f32).cos();
        *tap = sinc * hamming;
        sum += *tap;
    }
    for tap in &mut taps {
        *tap /= sum;
    }
    let half = LOW_PASS_TAPS / 2;
    (0..mono.len().div_ceil(DECIMATION))
        .map(|out| {
            let centre = out * DECIMATION;
            let mut value = 0.0f32;
            for (index, tap) in taps.iter().enumerate() {
                if let Some(sample) = (centre + index)
                    .checked_sub(half)
                    .and_then(|at| mono.get(at))
                {
                    value += tap * sample;
                }
            }
            value
        })
        .collect()
}

/// What every frame's formant search shares: the window and the envelope's frequency grid.
struct FormantAnalysis {
    window: Vec<f32>,
    /// `cos(k w)` and `sin(k w)` for every grid frequency `w` and lag `k` up to [`ORDER`].
    grid: Vec<[(f32, f32); ORDER + 1]>,
}

impl FormantAnalysis {
    fn new() -> Self {
        let length = (WINDOW_SECONDS * ANALYSIS_RATE) as usize;
        let window = (0..length)
            .map(|index| {
                0.54 - 0.46
                    * (2.0 * std::f32::consts::PI * index as f32 / (length - 1) as f32).cos()
            })
            .collect();
        let steps = (ENVELOPE_TOP / ENVELOPE_STEP) as usize;
        let grid = (0..=steps)
            .map(|step| {
                let omega =
                    2.0 * std::f32::consts::PI * step as f32 * ENVELOPE_STEP / ANALYSIS_RATE;
                let mut row = [(0.0, 0.0); ORDER + 1];
                for (lag, slot) in row.iter_mut().enumerate() {
                    let angle = omega * lag as f32;
                    *slot = (angle.cos(), angle.sin());
                }
                row
            })
            .collect();
        Self { window, grid }
    }

    /// F1 and F2 (Hz) of the window centred on `frame` of the 12 kHz signal `low`; `None`
    /// when it is not voiced or shows fewer than two formants.
    fn formants(&self, low: &[f32], frame: usize) -> Option<(f32, f32)> {
        let length = self.window.len();
        let centre = frame * HOP / DECIMATION;
        let start = centre.checked_sub(length / 2)?;
        let raw = low.get(start.checked_sub(1)?..start + length)?;
        // Voicing on the plain signal: a vowel's energy sits low, a hiss's high.
        let (mut energy, mut lag_one) = (0.0f32, 0.0f32);
        for pair in raw.windows(2) {
            energy += pair[1] * pair[1];
            lag_one += pair[1] * pair[0];
        }
        if energy <= 0.0 || lag_one < VOICED * energy {
            return None;
        }
        let mut signal = [0.0f32; 512];
        let signal = &mut signal[..length];
        for (index, slot) in signal.iter_mut().enumerate() {
            *slot = (raw[index + 1] - PRE_EMPHASIS * raw[index]) * self.window[index];
        }
        let mut correlation = [0.0f32; ORDER + 1];
        for (lag, slot) in correlation.iter_mut().enumerate() {
            let mut sum = 0.0f32;
            for index in lag..length {
                sum += signal[index] * signal[index - lag];
            }
            *slot = sum;
        }
        // A hint of white noise keeps the recursion stable on very clean tones.
        correlation[0] *= 1.0 + 1e-4;
        let predictor = levinson(&correlation)?;
        self.envelope_peaks(&predictor)
    }

    /// The two lowest peaks above [`LOWEST_FORMANT`] of the envelope `1 / |A(e^jw)|²`.
    fn envelope_peaks(&self, predictor: &[f32; ORDER + 1]) -> Option<(f32, f32)> {
        let power: Vec<f32> = self
            .grid
            .iter()
            .map(|row| {
                let (mut real, mut imaginary) = (0.0f32, 0.0f32);
                for (coefficient, (cos, sin)) in predictor.iter().zip(row) {
                    real += coefficient * cos;
                    imaginary -= coefficient * sin;
                }
                1.0 / (real * real + imaginary * imaginary).max(1e-12)
            })
            .collect();
        let mut peaks = (1..power.len() - 1)
            .filter(|&step| power[step] > power[step - 1] && power[step] >= power[step + 1])
            .map(|step| step as f32 * ENVELOPE_STEP)
            .filter(|&hz| hz >= LOWEST_FORMANT);
        Some((peaks.next()?, peaks.next()?))
    }
}

/// The predictor `A(z) = 1 + a1 z^-1 + ...` of the autocorrelation `r` (Levinson-Durbin);
/// `None` when the frame has no energy or the recursion breaks down.
fn levinson(r: &[f32; ORDER + 1]) -> Option<[f32; ORDER + 1]> {
    let mut a = [0.0f32; ORDER + 1];
    a[0] = 1.0;
    let mut error = r[0];
    if error <= 0.0 {
        return None;
    }
    for order in 1..=ORDER {
        let mut acc = r[order];
        for lag in 1..order {
            acc += a[lag] * r[order - lag];
        }
        let reflection = -acc / error;
        if !reflection.is_finite() || reflection.abs() >= 1.0 {
            return None;
        }
        let previous = a;
        for lag in 1..order {
            a[lag] = previous[lag] + reflection * previous[order - lag];
        }
        a[order] = reflection;
        error *= 1.0 - reflection * reflection;
    }
    Some(a)
}

/// The vowel shares of formants `(f1, f2)`: the nearest reference vowel and the runner-up,
/// weighted by the inverse square of their distances in (log F1, log F2), so the nearest
/// always has at least half.
fn vowel_shares((f1, f2): (f32, f32)) -> [f32; 5] {
    let (f1, f2) = (f1.ln(), f2.ln());
    let mut distances = [0.0f32; 5];
    for (slot, (r1, r2)) in distances.iter_mut().zip(VOWEL_FORMANTS) {
        let (d1, d2) = (f1 - r1.ln(), f2 - r2.ln());
        *slot = d1 * d1 + d2 * d2;
    }
    let mut order = [0, 1, 2, 3, 4];
    order.sort_by(|&a, &b| distances[a].total_cmp(&distances[b]));
    let (first, second) = (order[0], order[1]);
    let mut shares = [0.0f32; 5];
    let total = distances[first] + distances[second];
    if total <= 0.0 {
        shares[first] = 1.0;
    } else {
        // Squared distances already: inverse squares of distances, normalised.
        shares[first] = distances[second] / total;
        shares[second] = distances[first] / total;
    }
    shares
}

/// Speaks `phonemes` (eSpeak's `[[...]]` phoneme input) with `voice` into `name` in
/// `folder`, slowly, for the tests; fails the test when eSpeak NG is not installed.
#[cfg(test)]
pub(crate) fn speak(folder: &Path, name: &str, voice: &str, phonemes: &str) -> std::path::PathBuf {
    let path = folder.join(name);
    let status = std::process::Command::new("espeak-ng")
        .args(["-v", voice, "-s", "80", "-w"])
        .arg(&path)
        .arg(format!("[[{phonemes}]]"))
        .status()
        .unwrap_or_else(|error| {
            panic!("espeak-ng speaks the test vowels ({error}); run ./scripts/setup.sh")
        });
    assert!(status.success(), "espeak-ng failed: {status}");
    path
}

/// 0.3 s of silence, a spoken "a", 0.5 s of silence, "i", 0.3 s of silence, as 48 kHz
/// stereo written to `gap.wav` in `folder`; returns the file and where each vowel starts
/// and ends, seconds.
#[cfg(test)]
pub(crate) fn vowels_with_a_gap(folder: &Path) -> (std::path::PathBuf, [(f64, f64); 2]) {
    let mut samples = vec![0.0f32; 48_000 * 3 / 10 * 2];
    let mut vowels = [(0.0, 0.0); 2];
    for (index, phonemes) in ["A:", "i:"].into_iter().enumerate() {
        if index == 1 {
            samples.extend(std::iter::repeat_n(0.0, 48_000 / 2 * 2));
        }
        let spoken = decode(&speak(folder, "vowel.wav", "en", phonemes)).expect("a WAV");
        // eSpeak pads its words with quiet: the gap is the written silence alone.
        let loud = |frame: &[f32]| frame[0].abs() > 1e-3;
        let first = spoken.chunks_exact(2).position(loud).expect("voiced");
        let last = spoken.chunks_exact(2).rposition(loud).expect("voiced");
        let start = samples.len() / 2;
        samples.extend_from_slice(&spoken[first * 2..(last + 1) * 2]);
        vowels[index] = (start as f64 / 48_000.0, samples.len() as f64 / 96_000.0);
    }
    samples.extend(std::iter::repeat_n(0.0, 48_000 * 3 / 10 * 2));
    let path = folder.join("gap.wav");
    crate::audio::write_wav(&path, &samples).expect("temp is writable");
    (path, vowels)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(name: &str) -> std::path::PathBuf {
        let folder =
            std::env::temp_dir().join(format!("encore-voice-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&folder).expect("temp is writable");
        folder
    }

    #[test]
    fn spoken_vowels_shape_their_own_mouths() {
        let folder = folder("vowels");
        let mut report = Vec::new();
        let mut worst = 1.0f32;
        // eSpeak's English "u" is fronted (nearer "ü"); the German voice's is the back vowel.
        for (voice, phonemes, vowel) in [
            ("en", "A:", Expression::Aa),
            ("en", "i:", Expression::Ih),
            ("de", "u:", Expression::Ou),
            ("en", "E", Expression::Ee),
            ("en", "O", Expression::Oh),
        ] {
            let file = speak(&folder, &format!("{vowel:?}.wav"), voice, phonemes);
            let track = MouthTrack::analyse(&file).expect("espeak-ng writes a WAV");
            let voiced: Vec<&Mouth> = track.frames().iter().filter(|m| m.open > 0.3).collect();
            assert!(
                voiced.len() > 20,
                "{vowel:?}: {} voiced frames",
                voiced.len()
            );
            let right = voiced.iter().filter(|m| m.dominant() == vowel).count();
            let share = right as f32 / voiced.len() as f32;
            let mut counts = [0; 5];
            for mouth in &voiced {
                counts[Expression::VOWELS
                    .iter()
                    .position(|v| *v == mouth.dominant())
                    .unwrap()] += 1;
            }
            // Blending with the runner-up must leave the winner the face's main shape.
            let held = voiced
                .iter()
                .map(|m| m.vowels.iter().fold(0.0, |a: f32, &b| a.max(b)));
            let held = held.sum::<f32>() / voiced.len() as f32;
            assert!(
                held > 0.6,
                "{vowel:?}: the winner holds {held:.2} on average"
            );
            report.push(format!(
                "{vowel:?} {:.0}% of {} frames {counts:?}, winner holds {held:.2}",
                share * 100.0,
                voiced.len()
            ));
            worst = worst.min(share);
        }
        println!("{}", report.join(", "));
        assert!(worst >= 0.7, "{}", report.join(", "));
        let _ = std::fs::remove_dir_all(&folder);
    }

    #[test]
    fn silences_shut_the_mouth_and_vowels_open_it() {
        let folder = folder("gap");
        let (file, [(a_start, a_end), (i_start, i_end)]) = vowels_with_a_gap(&folder);
        let track = MouthTrack::analyse(&file).expect("a WAV");
        let frames = track.frames();
        let at = |seconds: f64| (seconds * f64::from(FRAME_RATE)).round() as usize;
        // Shut before the first sound (less the half window that hears it coming), in the
        // gap once the mouth has closed behind "a" (in under 0.3 s), and after the end.
        let shut = (0..at(a_start - 0.02))
            .chain(at(a_end + 0.3)..at(i_start - 0.02))
            .chain(at(i_end + 0.3)..frames.len());
        for frame in shut {
            assert_eq!(frames[frame].open, 0.0, "open at frame {frame}");
        }
        for (start, end, vowel) in [
            (a_start, a_end, Expression::Aa),
            (i_start, i_end, Expression::Ih),
        ] {
            let middle = at(start + (end - start) * 0.2)..at(end - (end - start) * 0.2);
            assert!(middle.len() > 20, "{vowel:?} lasts {:.2} s", end - start);
            for frame in middle {
                assert!(
                    frames[frame].open > 0.3,
                    "{vowel:?} shut at frame {frame}: {:?}",
                    frames[frame]
                );
                assert_eq!(frames[frame].dominant(), vowel, "frame {frame}");
            }
        }
        // Between frames the mouth moves smoothly, and it is shut outside the file.
        let between = track.at(a_start + 0.105);
        let (before, after) = (frames[at(a_start + 0.1)], frames[at(a_start + 0.11)]);
        assert!((between.open - (before.open + after.open) / 2.0).abs() < 1e-5);
        assert_eq!(track.at(-1.0).open, 0.0);
        assert_eq!(track.at(track.seconds() + 1.0).open, 0.0);
        let _ = std::fs::remove_dir_all(&folder);
    }

    #[test]
    fn the_same_file_gives_the_same_track() {
        let folder = folder("twice");
        let (file, _) = vowels_with_a_gap(&folder);
        let first = MouthTrack::analyse(&file).expect("a WAV");
        let second = MouthTrack::analyse(&file).expect("a WAV");
        assert!(first.has_voice());
        assert_eq!(first, second);
        let _ = std::fs::remove_dir_all(&folder);
    }

    #[test]
    fn empty_cut_short_and_silent_stems_are_errors_or_shut_mouths() {
        let folder = folder("broken");
        let empty = folder.join("empty.wav");
        std::fs::write(&empty, b"").expect("temp is writable");
        let whole = folder.join("whole.wav");
        crate::audio::write_wav(&whole, &[0.5; 4800]).expect("temp is writable");
        let bytes = std::fs::read(&whole).expect("written");
        let short = folder.join("short.wav");
        // The header promises samples the file no longer holds.
        std::fs::write(&short, &bytes[..44]).expect("temp is writable");
        for path in [&empty, &short, &folder.join("gone.wav")] {
            let problem = MouthTrack::analyse(path).expect_err("no sound to read");
            assert!(
                problem.to_string().contains(&*path.to_string_lossy()),
                "{problem}"
            );
        }
        let silent = folder.join("silent.wav");
        crate::audio::write_wav(&silent, &[0.0; 96_000]).expect("temp is writable");
        let track = MouthTrack::analyse(&silent).expect("a silent WAV is a WAV");
        assert!(!track.has_voice());
        assert_eq!(MouthTrack::from_mono(&[]).frames().len(), 0);
        assert_eq!(MouthTrack::from_mono(&[]).at(0.0), Mouth::CLOSED);
        let _ = std::fs::remove_dir_all(&folder);
    }
}

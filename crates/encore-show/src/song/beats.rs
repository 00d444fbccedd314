//! Tempo and beats from the onset strength.
//!
//! - Tempo: the autocorrelation of the onset strength over 8.5 s windows (a tempogram),
//!   weighted by a log-normal prior around 120 bpm, as librosa's `tempo`; its peak refined
//!   by a parabola. The windows' own peaks give the local tempo, so a song that changes
//!   tempo keeps its beats.
//! - Beats: Ellis's dynamic programme ("Beat tracking by dynamic programming", 2007): the
//!   best chain of onsets spaced about one period apart, each gap off the period paying
//!   `tightness · ln(gap / period)²`; weak beats at either end are trimmed.
//! - The song's tempo is then the slope of the line through the beats, not the
//!   autocorrelation peak, which is quantised to whole frames (4% steps at 120 bpm).

use super::features::FRAME_RATE;

/// Slowest and fastest tempo considered, bpm.
const SLOWEST: f32 = 40.0;
const FASTEST: f32 = 240.0;
/// The tempogram window, frames (about 8.5 s).
const WINDOW: usize = 400;
/// Hop between tempogram windows, frames (about 1.4 s).
const WINDOW_HOP: usize = 64;
/// How strictly beats keep the period (librosa's default).
const TIGHTNESS: f32 = 100.0;

/// Frames per beat at `bpm`.
pub fn period_of(bpm: f32) -> f32 {
    60.0 * FRAME_RATE / bpm
}

/// Beats per minute of a period of `frames` frames.
pub fn bpm_of(frames: f32) -> f32 {
    60.0 * FRAME_RATE / frames
}

/// The onset strength scaled to a unit root mean square, so quiet and loud songs weigh
/// their onsets alike against the tracker's tightness. Subtracting a running mean was
/// tried: it favours sharp off-beat hats over the kick and snare, and the tracker then
/// follows the off-beat through a syncopated verse (menu_intro_music, 8-21 s). Scaling by
/// the standard deviation instead (librosa's) loosens the tracker on these songs: it drifts
/// 2% fast through menu_intro_music.
pub fn normalise(onset: &[f32]) -> Vec<f32> {
    let count = onset.len().max(1) as f32;
    let spread = (onset.iter().map(|v| v * v).sum::<f32>() / count)
        .sqrt()
        .max(1e-6);
    onset.iter().map(|value| value / spread).collect()
}

/// The autocorrelation of `onset[from..from + WINDOW]` (Hann-weighted) for lags up to the
/// slowest tempo's period, normalised so lag 0 is 1.
fn autocorrelation(onset: &[f32], from: usize) -> Vec<f32> {
    let to = (from + WINDOW).min(onset.len());
    let span = to - from;
    let windowed: Vec<f32> = (0..span)
        .map(|i| {
            let hann = 0.5 - 0.5 * (std::f32::consts::TAU * i as f32 / span as f32).cos();
            onset[from + i] * hann
        })
        .collect();
    let lags = (period_of(SLOWEST).ceil() as usize + 2).min(span);
    let mut correlation: Vec<f32> = (0..lags)
        .map(|lag| {
            windowed[..span - lag]
                .iter()
                .zip(&windowed[lag..])
                .map(|(a, b)| a * b)
                .sum()
        })
        .collect();
    let zero = correlation.first().copied().unwrap_or(0.0).max(1e-9);
    correlation.iter_mut().for_each(|value| *value /= zero);
    correlation
}

/// The tempogram: one autocorrelation per window along the song.
pub fn tempogram(onset: &[f32]) -> Vec<Vec<f32>> {
    if onset.len() <= WINDOW {
        return vec![autocorrelation(onset, 0)];
    }
    (0..=(onset.len() - WINDOW) / WINDOW_HOP)
        .map(|window| autocorrelation(onset, window * WINDOW_HOP))
        .collect()
}

/// The log-normal tempo prior: 1 at `centre` bpm, falling by `e^-½` each `octaves` away.
fn prior(bpm: f32, centre: f32, octaves: f32) -> f32 {
    (-0.5 * ((bpm / centre).log2() / octaves).powi(2)).exp()
}

/// The best period in `correlation` under a prior around `centre` bpm, in frames, refined
/// between lags by a parabola through the peak and its neighbours.
pub fn best_period(correlation: &[f32], centre: f32, octaves: f32) -> Option<f32> {
    let shortest = period_of(FASTEST).floor() as usize;
    let longest = (period_of(SLOWEST).ceil() as usize).min(correlation.len().saturating_sub(2));
    let weighted = |lag: usize| correlation[lag] * prior(bpm_of(lag as f32), centre, octaves);
    let lag = (shortest.max(1)..=longest)
        .filter(|&lag| correlation[lag] > 0.0)
        .max_by(|&a, &b| weighted(a).total_cmp(&weighted(b)))?;
    let (left, middle, right) = (correlation[lag - 1], correlation[lag], correlation[lag + 1]);
    let curve = left - 2.0 * middle + right;
    let shift = if curve < 0.0 {
        (0.5 * (left - right) / curve).clamp(-0.5, 0.5)
    } else {
        0.0
    };
    Some(lag as f32 + shift)
}

/// The mean of the tempogram's windows.
pub fn mean_correlation(tempogram: &[Vec<f32>]) -> Vec<f32> {
    let lags = tempogram.iter().map(Vec::len).min().unwrap_or(0);
    (0..lags)
        .map(|lag| tempogram.iter().map(|window| window[lag]).sum::<f32>() / tempogram.len() as f32)
        .collect()
}

/// The period at each frame: each window's own best period near the song's tempo, smoothed
/// by a median over five windows, and the song's own period except where a window run
/// holds another tempo.
pub fn local_periods(tempogram: &[Vec<f32>], global: f32, frames: usize) -> Vec<f32> {
    let centre = bpm_of(global);
    let raw: Vec<f32> = tempogram
        .iter()
        .map(|window| best_period(window, centre, 0.35).unwrap_or(global))
        .collect();
    let smooth: Vec<f32> = (0..raw.len())
        .map(|i| {
            let mut near: Vec<f32> = raw[i.saturating_sub(2)..(i + 3).min(raw.len())].to_vec();
            near.sort_by(f32::total_cmp);
            near[near.len() / 2]
        })
        .collect();
    // Only a run of six windows (about 16 s of music) away from the song's tempo by more than
    // 4% is another tempo; shorter departures are fills, breakdowns or the tracker being
    // tempted by a syncopated part, and keep the song's period.
    let away: Vec<bool> = smooth
        .iter()
        .map(|period| (period / global - 1.0).abs() > 0.04)
        .collect();
    let mut smooth = smooth;
    let mut index = 0;
    while index < away.len() {
        let run = away[index..]
            .iter()
            .take_while(|&&is| is == away[index])
            .count();
        if !away[index] || run < 6 {
            smooth[index..index + run].fill(global);
        }
        index += run;
    }
    if smooth.iter().all(|&period| period == global) {
        return vec![global; frames];
    }
    (0..frames)
        .map(|frame| {
            // Between window centres, the nearer window's period.
            let index = ((frame as f32 - (WINDOW / 2) as f32) / WINDOW_HOP as f32)
                .round()
                .clamp(0.0, (smooth.len() - 1) as f32) as usize;
            smooth[index]
        })
        .collect()
}

/// Ellis's beat tracker: frames of the beats for the onset strength `onset` (normalised)
/// and the period at each frame.
pub fn track(onset: &[f32], periods: &[f32]) -> Vec<usize> {
    let frames = onset.len();
    if frames == 0 {
        return Vec::new();
    }
    // Each frame's own score: the onset strength smoothed by a Gaussian a 32nd of a period
    // wide, so a beat a frame early or late still counts.
    let local: Vec<f32> = (0..frames)
        .map(|frame| {
            let period = periods[frame];
            let reach = period.round() as isize;
            (-reach..=reach)
                .filter_map(|offset| {
                    let at = frame as isize + offset;
                    let value = onset.get(usize::try_from(at).ok()?)?;
                    let x = offset as f32 * 32.0 / period;
                    Some(value * (-0.5 * x * x).exp())
                })
                .sum()
        })
        .collect();
    let mut cumulative = vec![0.0f32; frames];
    let mut back = vec![usize::MAX; frames];
    for frame in 0..frames {
        let period = periods[frame];
        let nearest = frame as isize - (period / 2.0).round() as isize;
        let farthest = frame as isize - (2.0 * period).round() as isize;
        let mut best = (f32::MIN, usize::MAX);
        let mut previous = nearest;
        while previous >= farthest.max(0) {
            let gap = (frame as isize - previous) as f32;
            let penalty = TIGHTNESS * (gap / period).ln().powi(2);
            let score = cumulative[previous as usize] - penalty;
            if score > best.0 {
                best = (score, previous as usize);
            }
            previous -= 1;
        }
        // A chain starts afresh where nothing before it is worth joining.
        if best.1 == usize::MAX || best.0 <= 0.0 {
            cumulative[frame] = local[frame];
        } else {
            cumulative[frame] = local[frame] + best.0;
            back[frame] = best.1;
        }
    }
    // The last beat: the last local peak of the cumulative score at least half the median
    // peak (librosa's rule), so a fading tail does not end the chain on noise.
    let peaks: Vec<usize> = (1..frames.saturating_sub(1))
        .filter(|&i| cumulative[i] > cumulative[i - 1] && cumulative[i] >= cumulative[i + 1])
        .collect();
    let mut values: Vec<f32> = peaks.iter().map(|&i| cumulative[i]).collect();
    values.sort_by(f32::total_cmp);
    let median = values.get(values.len() / 2).copied().unwrap_or(0.0);
    let Some(&last) = peaks.iter().rev().find(|&&i| cumulative[i] >= 0.5 * median) else {
        return Vec::new();
    };
    let mut beats = vec![last];
    while let Some(&previous) = back.get(*beats.last().unwrap_or(&0)) {
        if previous == usize::MAX {
            break;
        }
        beats.push(previous);
    }
    beats.reverse();
    trim(&beats, &local)
}

/// Drops weak beats at the start and the end: those whose smoothed local score is under
/// half the beats' root mean square (silence before the song starts and after it ends).
fn trim(beats: &[usize], local: &[f32]) -> Vec<usize> {
    let values: Vec<f32> = beats.iter().map(|&beat| local[beat]).collect();
    let smooth: Vec<f32> = (0..values.len())
        .map(|i| {
            let near = &values[i.saturating_sub(2)..(i + 3).min(values.len())];
            near.iter().sum::<f32>() / near.len() as f32
        })
        .collect();
    let threshold =
        0.5 * (smooth.iter().map(|v| v * v).sum::<f32>() / smooth.len().max(1) as f32).sqrt();
    let first = smooth.iter().position(|&value| value >= threshold);
    let last = smooth.iter().rposition(|&value| value >= threshold);
    match (first, last) {
        (Some(first), Some(last)) => beats[first..=last].to_vec(),
        _ => Vec::new(),
    }
}

/// The least-squares line `time = start + index · period` through beat times.
pub fn fit_line(times: &[f64]) -> Option<(f64, f64)> {
    let count = times.len() as f64;
    if times.len() < 2 {
        return None;
    }
    let mean_index = (count - 1.0) / 2.0;
    let mean_time = times.iter().sum::<f64>() / count;
    let (mut covariance, mut variance) = (0.0, 0.0);
    for (index, time) in times.iter().enumerate() {
        let dx = index as f64 - mean_index;
        covariance += dx * (time - mean_time);
        variance += dx * dx;
    }
    let period = covariance / variance;
    Some((mean_time - period * mean_index, period))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An onset strength with a pulse every `period` frames from `from`.
    fn pulses(frames: usize, from: f32, period: impl Fn(f32) -> f32) -> Vec<f32> {
        let mut onset = vec![0.05f32; frames];
        let mut at = from;
        while (at as usize) < frames {
            onset[at.round() as usize] = 1.0;
            at += period(at);
        }
        onset
    }

    #[test]
    fn the_tempogram_finds_the_period_and_the_tracker_the_pulses() {
        let period = period_of(123.0);
        let onset = normalise(&pulses(2000, 10.0, |_| period));
        let tempogram = tempogram(&onset);
        let found = best_period(&mean_correlation(&tempogram), 120.0, 1.0).expect("a tempo");
        assert!((found / period - 1.0).abs() < 0.02, "{found} for {period}");
        let beats = track(&onset, &vec![found; onset.len()]);
        let times: Vec<f64> = beats.iter().map(|&b| b as f64).collect();
        let (_, fitted) = fit_line(&times).expect("beats");
        assert!(
            (fitted as f32 / period - 1.0).abs() < 0.005,
            "{fitted} for {period}"
        );
        assert!(beats.len() as f32 > 1900.0 / period);
    }

    #[test]
    fn the_line_fit_is_exact_on_a_grid() {
        let times: Vec<f64> = (0..10).map(|i| 0.25 + 0.5 * f64::from(i)).collect();
        let (start, period) = fit_line(&times).expect("a line");
        assert!((start - 0.25).abs() < 1e-12 && (period - 0.5).abs() < 1e-12);
    }
}

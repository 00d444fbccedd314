//! The song's structure on its beats: the metre and the first downbeat, tempo changes and
//! drift, and sections.
//!
//! - Metre: bars of 3 or 4 beats, and where they start, chosen by where bass onsets (kicks)
//!   and chord changes fall most (a downbeat has both).
//! - Sections: Foote's novelty ("Automatic audio segmentation using a measure of audio
//!   novelty", 2000) on a bar-by-bar self-similarity of pitch classes and timbre, plus jumps
//!   in loudness; boundaries on whole bars. Sections that sound alike are grouped; the
//!   loudest group that repeats is the chorus, other repeated ones verses, the first and last
//!   sections the intro and outro, a short one leading into a chorus the pre-chorus.

use serde::{Deserialize, Serialize};

use super::features::{FRAME_RATE, Features};

/// The kinds of song sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SectionKind {
    /// Intro.
    Intro,
    /// Verse.
    Verse,
    /// Pre-chorus.
    PreChorus,
    /// Chorus.
    Chorus,
    /// Bridge.
    Bridge,
    /// Dance break.
    DanceBreak,
    /// Outro.
    Outro,
}

/// Where the bars start: beats to a bar and the index of the first downbeat among the beats.
pub fn metre(features: &Features, beats: &[usize]) -> (u32, usize) {
    if beats.len() < 8 {
        return (4, 0);
    }
    let bass: Vec<f32> = beats
        .iter()
        .map(|&beat| {
            let from = beat.saturating_sub(2);
            let to = (beat + 3).min(features.bass.len());
            features.bass[from..to].iter().copied().fold(0.0, f32::max)
        })
        .collect();
    let chroma: Vec<[f32; 12]> = (0..beats.len())
        .map(|index| {
            let from = beats[index];
            let to = beats
                .get(index + 1)
                .copied()
                .unwrap_or(from + 1)
                .max(from + 1);
            mean_chroma(&features.chroma[from..to.min(features.chroma.len())])
        })
        .collect();
    let change: Vec<f32> = (0..beats.len())
        .map(|index| {
            if index == 0 {
                0.0
            } else {
                1.0 - cosine(&chroma[index - 1], &chroma[index])
            }
        })
        .collect();
    let bass = standardise(&bass);
    let change = standardise(&change);
    let evidence: Vec<f32> = bass.iter().zip(&change).map(|(b, c)| b + c).collect();
    let score = |beats_per_bar: usize, phase: usize| {
        let (mut on, mut on_count, mut off, mut off_count) = (0.0, 0, 0.0, 0);
        for (index, value) in evidence.iter().enumerate() {
            if index % beats_per_bar == phase {
                on += value;
                on_count += 1;
            } else {
                off += value;
                off_count += 1;
            }
        }
        on / on_count.max(1) as f32 - off / off_count.max(1) as f32
    };
    let best = |beats_per_bar: usize| {
        (0..beats_per_bar)
            .map(|phase| (score(beats_per_bar, phase), phase))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .unwrap_or((0.0, 0))
    };
    let (four, four_phase) = best(4);
    let (three, three_phase) = best(3);
    // Pop is mostly in four; three must be clearly better to win.
    if three > 1.3 * four.max(0.0) && three > 0.3 {
        (3, three_phase)
    } else {
        (4, four_phase)
    }
}

fn mean_chroma(frames: &[[f32; 12]]) -> [f32; 12] {
    let mut mean = [0.0f32; 12];
    for frame in frames {
        for (sum, value) in mean.iter_mut().zip(frame) {
            *sum += value;
        }
    }
    mean
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    let denominator = norm(a) * norm(b);
    if denominator < 1e-9 {
        1.0
    } else {
        dot / denominator
    }
}

fn standardise(values: &[f32]) -> Vec<f32> {
    let count = values.len().max(1) as f32;
    let mean = values.iter().sum::<f32>() / count;
    let spread = (values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / count)
        .sqrt()
        .max(1e-6);
    values.iter().map(|value| (value - mean) / spread).collect()
}

/// How the tempo behaves through the song.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TempoShape {
    /// One tempo throughout (within 3%).
    Steady,
    /// One tempo drifting slowly between two figures (bpm), lowest and highest over 16 beats,
    /// and the bars where each was measured.
    Drifts {
        slowest: f64,
        fastest: f64,
        bars: (u32, u32),
    },
    /// Spans of different tempos: from which bar (and second of the file), at what bpm.
    Changes(Vec<TempoSpan>),
}

/// A stretch of the song at one tempo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TempoSpan {
    /// The bar it starts at (bar 1 at the song's offset, counting beats).
    pub bar: u32,
    /// The second of the file it starts at.
    pub seconds: f64,
    /// Its tempo, from the line through its beats.
    pub bpm: f64,
    /// Beats in it.
    pub beats: usize,
}

/// Splits the beats where the tempo moves by more than 4% for at least eight beats, and
/// fits each part's tempo.
pub fn tempo_spans(times: &[f64]) -> Vec<(usize, usize, f64)> {
    if times.len() < 4 {
        return vec![(
            0,
            times.len(),
            60.0 / super::beats::fit_line(times).map_or(0.5, |l| l.1),
        )];
    }
    let intervals: Vec<f64> = times.windows(2).map(|pair| pair[1] - pair[0]).collect();
    let local: Vec<f64> = (0..times.len())
        .map(|index| {
            let from = index.saturating_sub(4).min(intervals.len() - 1);
            let to = (index + 4).min(intervals.len());
            let mut near = intervals[from..to.max(from + 1)].to_vec();
            near.sort_by(f64::total_cmp);
            60.0 / near[near.len() / 2]
        })
        .collect();
    let mut starts = vec![0];
    let mut reference = local[0];
    let mut away = 0;
    for index in 1..local.len() {
        if (local[index] / reference - 1.0).abs() > 0.04 {
            away += 1;
            if away == 8 {
                let start = index + 1 - 8;
                starts.push(start);
                reference = local[index];
                away = 0;
            }
        } else {
            away = 0;
            let from = *starts.last().unwrap_or(&0);
            let mut span: Vec<f64> = local[from..=index].to_vec();
            span.sort_by(f64::total_cmp);
            reference = span[span.len() / 2];
        }
    }
    starts.push(times.len());
    // A change must hold for four bars of four to count: shorter stretches are the tracker
    // settling or a fill, and join the span before them (the one after, at the start).
    while let Some(short) =
        (0..starts.len() - 1).find(|&span| starts.len() > 2 && starts[span + 1] - starts[span] < 16)
    {
        starts.remove(if short == 0 { 1 } else { short });
    }
    let mut spans: Vec<(usize, usize, f64)> = starts
        .windows(2)
        .filter_map(|pair| {
            let (_, period) = super::beats::fit_line(&times[pair[0]..pair[1]])?;
            Some((pair[0], pair[1], 60.0 / period))
        })
        .collect();
    // Neighbours within 4% (the change it takes to split) are one tempo after all.
    let mut merged: Vec<(usize, usize, f64)> = Vec::new();
    for span in spans.drain(..) {
        match merged.last_mut() {
            Some(last) if (span.2 / last.2 - 1.0).abs() < 0.04 => {
                last.1 = span.1;
                if let Some((_, period)) = super::beats::fit_line(&times[last.0..last.1]) {
                    last.2 = 60.0 / period;
                }
            }
            _ => merged.push(span),
        }
    }
    merged
}

/// The slowest and fastest tempo over 16-beat windows, with the beats where they were.
pub fn drift(times: &[f64]) -> Option<((f64, usize), (f64, usize))> {
    let windows: Vec<(f64, usize)> = times
        .windows(16)
        .enumerate()
        .step_by(4)
        .filter_map(|(index, window)| Some((60.0 / super::beats::fit_line(window)?.1, index + 8)))
        .collect();
    let slowest = windows.iter().copied().min_by(|a, b| a.0.total_cmp(&b.0))?;
    let fastest = windows.iter().copied().max_by(|a, b| a.0.total_cmp(&b.0))?;
    Some((slowest, fastest))
}

/// A section the analysis found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoundSection {
    /// What it is.
    pub kind: SectionKind,
    /// Its first and last bar (bar 1 at the offset).
    pub bars: (u32, u32),
    /// Its mean loudness, dB.
    pub loudness: f32,
    /// Sections that sound alike share a group number.
    pub group: usize,
}

/// The bar-by-bar features of the song on the grid `offset + bar · bar_seconds`.
struct Bars {
    vectors: Vec<Vec<f32>>,
    loudness: Vec<f32>,
}

fn bars(features: &Features, offset: f64, bar_seconds: f64) -> Bars {
    let frames = features.len();
    let seconds = frames as f64 / f64::from(FRAME_RATE);
    let count = ((seconds - offset) / bar_seconds).floor().max(0.0) as usize;
    let mut rows = Vec::with_capacity(count);
    let mut loudness = Vec::with_capacity(count);
    for bar in 0..count {
        let from = ((offset + bar as f64 * bar_seconds) * f64::from(FRAME_RATE)) as usize;
        let to = (((offset + (bar + 1) as f64 * bar_seconds) * f64::from(FRAME_RATE)) as usize)
            .min(frames)
            .max(from + 1);
        let span = (to - from) as f32;
        let chroma = mean_chroma(&features.chroma[from..to]);
        let mut row: Vec<f32> = chroma.iter().map(|value| value / span).collect();
        for band in 0..super::features::TIMBRE {
            row.push(
                features.timbre[from..to]
                    .iter()
                    .map(|t| t[band])
                    .sum::<f32>()
                    / span,
            );
        }
        rows.push(row);
        // Mean power, not mean decibels: a bar of loud hits with gaps is loud.
        let power = features.loudness[from..to]
            .iter()
            .map(|db| 10f32.powf(db / 10.0))
            .sum::<f32>()
            / span;
        loudness.push(10.0 * power.max(1e-10).log10());
    }
    // Each dimension standardised across the song, so cosines compare shapes, not levels.
    let dimensions = rows.first().map_or(0, Vec::len);
    for dimension in 0..dimensions {
        let column: Vec<f32> = rows.iter().map(|row| row[dimension]).collect();
        for (row, value) in rows.iter_mut().zip(standardise(&column)) {
            row[dimension] = value;
        }
    }
    Bars {
        vectors: rows,
        loudness,
    }
}

/// Sections of the song on its bar grid.
pub fn sections(features: &Features, offset: f64, bar_seconds: f64) -> Vec<FoundSection> {
    let bars = bars(features, offset, bar_seconds);
    let count = bars.vectors.len();
    if count == 0 {
        return Vec::new();
    }
    let similarity: Vec<Vec<f32>> = bars
        .vectors
        .iter()
        .map(|a| bars.vectors.iter().map(|b| cosine(a, b)).collect())
        .collect();
    let boundaries = boundaries(&similarity, &bars.loudness);
    let mut edges = vec![0];
    edges.extend(boundaries);
    edges.push(count);
    let segments: Vec<(usize, usize)> = edges.windows(2).map(|pair| (pair[0], pair[1])).collect();
    let loudness: Vec<f32> = segments
        .iter()
        .map(|&(from, to)| {
            let power: f32 = bars.loudness[from..to]
                .iter()
                .map(|db| 10f32.powf(db / 10.0))
                .sum();
            10.0 * (power / (to - from) as f32).max(1e-10).log10()
        })
        .collect();
    let groups = group(&segments, &similarity);
    label(&segments, &loudness, &groups)
}

/// Bars where a new section starts: peaks of the novelty, at least four bars apart.
fn boundaries(similarity: &[Vec<f32>], loudness: &[f32]) -> Vec<usize> {
    let count = similarity.len();
    const HALF: isize = 4;
    let novelty: Vec<f32> = (0..count)
        .map(|bar| {
            let mut sum = 0.0;
            for i in -HALF..HALF {
                for j in -HALF..HALF {
                    let (a, b) = (bar as isize + i, bar as isize + j);
                    if a < 0 || b < 0 || a >= count as isize || b >= count as isize {
                        continue;
                    }
                    let same_side = (i < 0) == (j < 0);
                    let taper = (-((i as f32 + 0.5).powi(2) + (j as f32 + 0.5).powi(2))
                        / (2.0 * (HALF as f32).powi(2)))
                    .exp();
                    let value = similarity[a as usize][b as usize] * taper;
                    sum += if same_side { value } else { -value };
                }
            }
            sum.max(0.0)
        })
        .collect();
    let jumps: Vec<f32> = (0..count)
        .map(|bar| {
            let before = &loudness[bar.saturating_sub(4)..bar];
            let after = &loudness[bar..(bar + 4).min(count)];
            if before.is_empty() || after.is_empty() {
                return 0.0;
            }
            let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
            (mean(after) - mean(before)).abs()
        })
        .collect();
    let peak = |values: &[f32]| values.iter().copied().fold(1e-6, f32::max);
    let (novelty_peak, jump_peak) = (peak(&novelty), peak(&jumps));
    let score: Vec<f32> = (0..count)
        .map(|bar| {
            let value = novelty[bar] / novelty_peak + 0.6 * jumps[bar] / jump_peak;
            // Phrases run in fours and eights of bars.
            let phrase = match bar % 8 {
                0 => 1.25,
                4 => 1.1,
                _ => 1.0,
            };
            value * phrase
        })
        .collect();
    let mean = score.iter().sum::<f32>() / count as f32;
    let spread = (score.iter().map(|s| (s - mean).powi(2)).sum::<f32>() / count as f32).sqrt();
    let threshold = mean + 0.5 * spread;
    let mut order: Vec<usize> = (2..count.saturating_sub(1)).collect();
    order.sort_by(|&a, &b| score[b].total_cmp(&score[a]).then(a.cmp(&b)));
    let mut chosen: Vec<usize> = Vec::new();
    let most = (count / 6).max(1);
    for bar in order {
        if score[bar] < threshold || chosen.len() >= most {
            break;
        }
        let local_peak = (bar.saturating_sub(1)..=(bar + 1).min(count - 1))
            .all(|near| score[near] <= score[bar]);
        let apart = chosen.iter().all(|&other| other.abs_diff(bar) >= 4);
        if local_peak && apart && bar >= 2 && count - bar >= 2 {
            chosen.push(bar);
        }
    }
    chosen.sort_unstable();
    chosen
}

/// A group number per segment: segments whose bars match bar by bar (mean similarity over
/// 0.35 at the best of a few bars' shift) share one.
fn group(segments: &[(usize, usize)], similarity: &[Vec<f32>]) -> Vec<usize> {
    let alike = |a: (usize, usize), b: (usize, usize)| {
        let length = (a.1 - a.0).min(b.1 - b.0);
        (-1isize..=1)
            .map(|shift| {
                let mut sum = 0.0;
                let mut count = 0;
                for i in 0..length as isize {
                    let (x, y) = (a.0 as isize + i, b.0 as isize + i + shift);
                    if y < b.0 as isize || y >= b.1 as isize {
                        continue;
                    }
                    sum += similarity[x as usize][y as usize];
                    count += 1;
                }
                if count == 0 { -1.0 } else { sum / count as f32 }
            })
            .fold(-1.0f32, f32::max)
    };
    let mut groups = vec![usize::MAX; segments.len()];
    let mut next = 0;
    for index in 0..segments.len() {
        if groups[index] != usize::MAX {
            continue;
        }
        groups[index] = next;
        for other in index + 1..segments.len() {
            if groups[other] == usize::MAX && alike(segments[index], segments[other]) > 0.35 {
                groups[other] = next;
            }
        }
        next += 1;
    }
    groups
}

fn label(segments: &[(usize, usize)], loudness: &[f32], groups: &[usize]) -> Vec<FoundSection> {
    let count = segments.len();
    let members = |group: usize| groups.iter().filter(|&&g| g == group).count();
    let group_loudness = |group: usize| {
        let (sum, n) = groups
            .iter()
            .zip(loudness)
            .filter(|(g, _)| **g == group)
            .fold((0.0, 0), |(sum, n), (_, db)| (sum + db, n + 1));
        sum / n.max(1) as f32
    };
    let repeated: Vec<usize> = {
        let mut seen: Vec<usize> = groups
            .iter()
            .copied()
            .filter(|&g| members(g) >= 2)
            .collect();
        seen.sort_unstable();
        seen.dedup();
        seen
    };
    let loudest_single = (0..count)
        .max_by(|&a, &b| loudness[a].total_cmp(&loudness[b]))
        .map(|index| groups[index]);
    let chorus = repeated
        .iter()
        .copied()
        .max_by(|&a, &b| group_loudness(a).total_cmp(&group_loudness(b)))
        .or(loudest_single);
    let mut kinds: Vec<SectionKind> = (0..count)
        .map(|index| {
            let group = groups[index];
            if Some(group) == chorus {
                SectionKind::Chorus
            } else if repeated.contains(&group) {
                SectionKind::Verse
            } else {
                SectionKind::Bridge
            }
        })
        .collect();
    // Loud sections that are not the chorus but as loud (a dance break) keep the energy.
    let chorus_loudness = chorus.map_or(f32::MAX, group_loudness);
    for index in 0..count {
        if kinds[index] == SectionKind::Bridge && loudness[index] >= chorus_loudness - 1.0 {
            kinds[index] = SectionKind::DanceBreak;
        }
    }
    for index in 1..count.saturating_sub(1) {
        let short = segments[index].1 - segments[index].0 <= 8;
        if short
            && kinds[index] != SectionKind::Chorus
            && kinds[index + 1] == SectionKind::Chorus
            && matches!(kinds[index - 1], SectionKind::Verse | SectionKind::Intro)
        {
            kinds[index] = SectionKind::PreChorus;
        }
    }
    if count > 1 && kinds[0] != SectionKind::Chorus {
        kinds[0] = SectionKind::Intro;
    }
    if count > 2 && kinds[count - 1] != SectionKind::Chorus {
        kinds[count - 1] = SectionKind::Outro;
    }
    segments
        .iter()
        .enumerate()
        .map(|(index, &(from, to))| FoundSection {
            kind: kinds[index],
            bars: (from as u32 + 1, to as u32),
            loudness: loudness[index],
            group: groups[index],
        })
        .collect()
}

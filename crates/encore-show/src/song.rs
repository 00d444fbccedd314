//! Songs heard, not told: the tempo, beat grid, metre and sections of a sound file, for
//! `encore song analyze`, `bpm: Auto` in a setlist and `encore song draft`.
//!
//! - `features`: onset strength, bass onsets, loudness, pitch classes, timbre per frame.
//! - `beats`: tempo by autocorrelation, beats by dynamic programming (Ellis 2007).
//! - `structure`: metre and downbeat, tempo changes, sections (Foote's novelty).
//! - `voice`: a vocal stem's mouth track (how open, which vowel) for singing idols.
//!
//! `setlist::draft` drafts a whole show from an analysis.
//!
//! The methods are the published ones librosa implements; `docs/songs.md` says which and how
//! close they come to librosa's beats on the test songs.

pub mod beats;
pub mod features;
pub mod structure;
pub mod voice;

use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};

pub use self::structure::{FoundSection, TempoShape, TempoSpan};
use crate::{audio::AudioError, audio::decode::decode, clock::format_clock};

/// Bumped whenever the analysis changes its answers, so cached results are redone.
pub const VERSION: u32 = 1;

/// Why a song cannot be analysed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SongError {
    /// Its sound cannot be read.
    #[error(transparent)]
    Audio(#[from] AudioError),
    /// Too short or too quiet to find a beat in.
    #[error(
        "{} has no beat encore can find ({reason}); write the tempo instead, e.g. `bpm: 120`",
        path.display()
    )]
    NoBeat { path: PathBuf, reason: String },
}

/// What the analysis found in a song.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// Length of the file, seconds.
    pub seconds: f64,
    /// The main tempo (the longest stretch at one tempo), from the line through its beats.
    pub bpm: f64,
    /// Beats to a bar.
    pub beats_per_bar: u32,
    /// Seconds into the file where bar 1 starts: the first downbeat moved back by whole bars
    /// while it stays in the file, so the grid starts with the music.
    pub offset: f64,
    /// Beat times found, seconds.
    pub beats: Vec<f64>,
    /// The index in `beats` of the first downbeat.
    pub first_downbeat: usize,
    /// Steady, drifting, or changing tempo.
    pub tempo: TempoShape,
    /// Sections, in order, covering the whole bars of the song.
    pub sections: Vec<FoundSection>,
}

impl Analysis {
    /// Seconds in a bar at the main tempo.
    pub fn bar_seconds(&self) -> f64 {
        60.0 / self.bpm * f64::from(self.beats_per_bar)
    }

    /// Whole bars from the offset to the end of the file.
    pub fn bars(&self) -> u32 {
        ((self.seconds - self.offset) / self.bar_seconds())
            .floor()
            .max(0.0) as u32
    }

    /// The bar beat `index` falls in, counting beats (so bars stay whole across tempo
    /// changes).
    pub fn bar_of_beat(&self, index: usize) -> u32 {
        let per_bar = self.beats_per_bar as i64;
        let first = self
            .beats
            .get(self.first_downbeat)
            .copied()
            .unwrap_or(self.offset);
        let bars_before = ((first - self.offset) / self.bar_seconds()).round() as i64;
        let bar = bars_before + (index as i64 - self.first_downbeat as i64).div_euclid(per_bar) + 1;
        bar.max(1) as u32
    }

    /// The analysis as a table for people.
    pub fn table(&self, name: &str) -> String {
        let mut text = String::new();
        let _ = writeln!(text, "{name}: {}", format_clock(self.seconds));
        let shape = match &self.tempo {
            TempoShape::Steady => "steady".to_owned(),
            TempoShape::Drifts {
                slowest,
                fastest,
                bars,
            } => format!(
                "drifts between {slowest:.1} bpm (near bar {}) and {fastest:.1} bpm (near bar {})",
                bars.0, bars.1
            ),
            TempoShape::Changes(spans) => format!(
                "changes: {}",
                spans
                    .iter()
                    .map(|span| format!(
                        "{:.1} bpm from bar {} ({})",
                        span.bpm,
                        span.bar,
                        format_clock(span.seconds)
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let _ = writeln!(text, "  tempo     {:.2} bpm, {shape}", self.bpm);
        // Beats at half or double the tempo fit the same music; the one nearest 120 bpm is
        // picked, which is where pop's steps are counted, but a ballad may be felt in half.
        let _ = writeln!(
            text,
            "            (felt in half time it is {:.1} bpm, in double time {:.1})",
            self.bpm / 2.0,
            self.bpm * 2.0
        );
        let first_downbeat = self.beats.get(self.first_downbeat).copied().unwrap_or(0.0);
        let _ = writeln!(
            text,
            "  metre     {} beats to a bar; first downbeat at {first_downbeat:.3} s, bar 1 at \
             {:.3} s",
            self.beats_per_bar, self.offset
        );
        let _ = writeln!(
            text,
            "  beats     {} from {:.2} s to {:.2} s; {} bars of {:.3} s",
            self.beats.len(),
            self.beats.first().copied().unwrap_or(0.0),
            self.beats.last().copied().unwrap_or(0.0),
            self.bars(),
            self.bar_seconds()
        );
        let _ = writeln!(
            text,
            "  sections  bars      from       kind        loudness  sounds like"
        );
        for section in &self.sections {
            let from = self.offset + f64::from(section.bars.0 - 1) * self.bar_seconds();
            let _ = writeln!(
                text,
                "            {:<9} {:<10} {:<11} {:>6.1} dB  {}",
                format!("{}-{}", section.bars.0, section.bars.1),
                format_clock(from),
                format!("{:?}", section.kind),
                section.loudness,
                group_letter(section.group),
            );
        }
        text
    }

    /// A `Song(...)` for a setlist, with the numbers and sections written out.
    pub fn song_snippet(&self, title: &str, audio: &str) -> String {
        let mut text = String::new();
        let _ = writeln!(text, "Song(");
        let _ = writeln!(text, "  title: {title:?},");
        let _ = writeln!(text, "  audio: {audio:?},");
        let _ = writeln!(text, "  bpm: {:.2},", self.bpm);
        let _ = writeln!(text, "  offset: {:.3},", self.offset);
        let _ = writeln!(text, "  beats_per_bar: {},", self.beats_per_bar);
        let _ = writeln!(text, "  sections: [");
        for section in &self.sections {
            let _ = writeln!(
                text,
                "    (kind: {:?}, bars: ({}, {})),",
                section.kind, section.bars.0, section.bars.1
            );
        }
        let _ = writeln!(text, "  ],");
        let _ = write!(text, "),");
        text
    }
}

/// A, B, C... for section groups in tables.
pub fn group_letter(group: usize) -> char {
    char::from(b'A' + (group % 26) as u8)
}

/// Analyses the sound file at `path`.
pub fn analyze(path: &Path) -> Result<Analysis, SongError> {
    let stereo = decode(path)?;
    analyze_samples(&stereo).ok_or_else(|| SongError::NoBeat {
        path: path.to_owned(),
        reason: format!(
            "{:.1} s of sound without a steady pulse",
            stereo.len() as f64 / 2.0 / 48_000.0
        ),
    })
}

/// Analyses interleaved 48 kHz stereo; `None` without a beat to find.
pub fn analyze_samples(stereo: &[f32]) -> Option<Analysis> {
    let mono = features::mono_24k(stereo);
    let seconds = stereo.len() as f64 / 2.0 / 48_000.0;
    let features = features::features(&mono);
    let onset = beats::normalise(&features.onset);
    if onset.len() < (4.0 * features::FRAME_RATE) as usize {
        return None;
    }
    let tempogram = beats::tempogram(&onset);
    let mean = beats::mean_correlation(&tempogram);
    let period = beats::best_period(&mean, 120.0, 1.0)?;
    let periods = beats::local_periods(&tempogram, period, onset.len());
    let frames = beats::track(&onset, &periods);
    let rate = f64::from(features::FRAME_RATE);
    // The log-spectral flux rises as soon as a sound enters the window's leading edge, a frame
    // before the sound itself (measured on clicks: 22.7 ms early), so beats are put a frame
    // later.
    let times: Vec<f64> = frames
        .iter()
        .map(|&frame| (frame as f64 + 1.0) / rate)
        .collect();
    if times.len() < 8 {
        return None;
    }
    let spans = structure::tempo_spans(&times);
    let &(main_from, main_to, bpm) = spans.iter().max_by_key(|span| span.1 - span.0)?;
    let (start, beat_seconds) = beats::fit_line(&times[main_from..main_to])?;
    let (beats_per_bar, first_downbeat) = structure::metre(&features, &frames);
    let bar_seconds = beat_seconds * f64::from(beats_per_bar);
    let downbeat = start + (first_downbeat as f64 - main_from as f64) * beat_seconds;
    // Back by whole bars while bar 1 stays in the file; a downbeat a hair before the start (the
    // fitted line's error) counts as at the start.
    let offset =
        (downbeat - ((downbeat + 0.06) / bar_seconds).floor() * bar_seconds).clamp(0.0, seconds);
    let mut analysis = Analysis {
        seconds,
        bpm,
        beats_per_bar,
        offset,
        beats: times,
        first_downbeat,
        tempo: TempoShape::Steady,
        sections: structure::sections(&features, offset, bar_seconds),
    };
    analysis.tempo = if spans.len() > 1 {
        TempoShape::Changes(
            spans
                .iter()
                .map(|&(from, to, bpm)| TempoSpan {
                    bar: analysis.bar_of_beat(from),
                    seconds: analysis.beats[from],
                    bpm,
                    beats: to - from,
                })
                .collect(),
        )
    } else {
        match structure::drift(&analysis.beats) {
            Some(((slowest, at_slowest), (fastest, at_fastest))) if fastest / slowest > 1.03 => {
                TempoShape::Drifts {
                    slowest,
                    fastest,
                    bars: (
                        analysis.bar_of_beat(at_slowest),
                        analysis.bar_of_beat(at_fastest),
                    ),
                }
            }
            _ => TempoShape::Steady,
        }
    };
    Some(analysis)
}

/// Where analyses are kept between runs: `ENCORE_CACHE_DIR`, else the user's cache folder
/// (`$XDG_CACHE_HOME/encore/songs` or `~/.cache/encore/songs`). Never beside the song, whose
/// folder may be read-only.
pub fn cache_folder() -> Option<PathBuf> {
    let base = std::env::var_os("ENCORE_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("XDG_CACHE_HOME")
                .filter(|folder| !folder.is_empty())
                .map(|folder| PathBuf::from(folder).join("encore"))
        })
        .or_else(|| {
            std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache/encore"))
        })?;
    Some(base.join("songs"))
}

/// Whether an analysis came from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Read back from the cache folder.
    Cached,
    /// Analysed now (and stored, when the cache folder is writable).
    Analysed,
}

/// The analysis of the file at `path`: from the cache when this exact file (by the hash of its
/// bytes) was analysed before by this version, else analysed now and stored.
pub fn analyze_cached(path: &Path) -> Result<(Analysis, Source), SongError> {
    analyze_cached_in(path, cache_folder().as_deref())
}

/// [`analyze_cached`] with the cache in `folder` (none: always analysed, never stored).
pub fn analyze_cached_in(
    path: &Path,
    folder: Option<&Path>,
) -> Result<(Analysis, Source), SongError> {
    let bytes = std::fs::read(path).map_err(|error| AudioError::Open {
        path: path.to_owned(),
        reason: error.to_string(),
    })?;
    let key = format!("v{VERSION}-{}.ron", blake3::hash(&bytes).to_hex());
    let cached = folder.map(|folder| folder.join(key));
    if let Some(file) = &cached
        && let Ok(text) = std::fs::read_to_string(file)
        && let Ok(analysis) = ron::from_str::<Analysis>(&text)
    {
        return Ok((analysis, Source::Cached));
    }
    let analysis = analyze(path)?;
    if let Some(file) = &cached {
        let stored = file
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| {
                let text = ron::to_string(&analysis).map_err(std::io::Error::other)?;
                // Written aside and renamed, so a reader never sees half a file.
                let partial = file.with_extension("partial");
                std::fs::write(&partial, text)?;
                std::fs::rename(&partial, file)
            });
        if let Err(error) = stored {
            tracing::warn!(
                "could not keep the analysis of {} in {}: {error}; it will be redone next time",
                path.display(),
                file.display()
            );
        }
    }
    Ok((analysis, Source::Analysed))
}

#[cfg(test)]
mod tests;

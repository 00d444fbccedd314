//! Times in a setlist: seconds (`12.5`) or a musical position (`"bar 9"`, `"9:3"` for bar 9
//! beat 3, `"9:3.5"` for halfway through that beat). Both resolve through a song's beat grid.

use std::fmt;

use serde::{Deserialize, Deserializer, de};
use thiserror::Error;

/// A moment inside a song, as the author wrote it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TimeSpec {
    /// Seconds from the start of the song.
    Seconds(f64),
    /// A position on the beat grid: 1-based bar, 1-based beat (fractions allowed).
    Musical {
        /// Bar number, starting at 1.
        bar: u32,
        /// Beat within the bar, starting at 1.0.
        beat: f64,
    },
}

/// A song's beat grid: tempo and metre.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BeatGrid {
    /// Beats per minute, > 0.
    pub bpm: f64,
    /// Beats in one bar, >= 1.
    pub beats_per_bar: u32,
}

impl BeatGrid {
    /// Length of one beat in seconds.
    pub fn seconds_per_beat(&self) -> f64 {
        60.0 / self.bpm
    }

    /// Seconds from the song's start to the start of `bar` (1-based).
    pub fn bar_start(&self, bar: u32) -> f64 {
        f64::from(bar.saturating_sub(1)) * f64::from(self.beats_per_bar) * self.seconds_per_beat()
    }

    /// Beats from the song's start at `seconds`.
    pub fn beats_at(&self, seconds: f64) -> f64 {
        seconds / self.seconds_per_beat()
    }
}

impl TimeSpec {
    /// Seconds from the song's start.
    pub fn seconds(&self, grid: &BeatGrid) -> f64 {
        match *self {
            TimeSpec::Seconds(seconds) => seconds,
            TimeSpec::Musical { bar, beat } => {
                grid.bar_start(bar) + (beat - 1.0) * grid.seconds_per_beat()
            }
        }
    }
}

impl fmt::Display for TimeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            TimeSpec::Seconds(seconds) => write!(f, "{seconds} s"),
            TimeSpec::Musical { bar, beat: 1.0 } => write!(f, "bar {bar}"),
            TimeSpec::Musical { bar, beat } => write!(f, "{bar}:{beat}"),
        }
    }
}

/// Why a time could not be read.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TimeSpecError {
    /// Neither seconds nor a bar position.
    #[error(
        "`{0}` is not a time; write seconds (`12.5`), a bar (`\"bar 9\"`) or bar:beat (`\"9:3\"`)"
    )]
    Unreadable(String),
    /// Bars and beats count from 1.
    #[error("`{0}`: bars and beats count from 1")]
    FromZero(String),
    /// Seconds must be a finite number.
    #[error("`{0}` is not a finite number of seconds")]
    NotFinite(String),
}

impl std::str::FromStr for TimeSpec {
    type Err = TimeSpecError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        let unreadable = || TimeSpecError::Unreadable(text.to_owned());
        let musical = |bar: &str, beat: Option<&str>| -> Result<TimeSpec, TimeSpecError> {
            let bar: u32 = bar.trim().parse().map_err(|_| unreadable())?;
            let beat: f64 = match beat {
                Some(beat) => beat.trim().parse().map_err(|_| unreadable())?,
                None => 1.0,
            };
            if !beat.is_finite() {
                return Err(unreadable());
            }
            if bar == 0 || beat < 1.0 {
                return Err(TimeSpecError::FromZero(text.to_owned()));
            }
            Ok(TimeSpec::Musical { bar, beat })
        };
        if let Some(rest) = trimmed.strip_prefix("bar") {
            // "bar 9" or "bar 9 beat 3"
            let rest = rest.trim();
            return match rest.split_once("beat") {
                Some((bar, beat)) => musical(bar, Some(beat)),
                None => musical(rest, None),
            };
        }
        if let Some((bar, beat)) = trimmed.split_once(':') {
            return musical(bar, Some(beat));
        }
        let seconds: f64 = trimmed
            .strip_suffix('s')
            .unwrap_or(trimmed)
            .trim()
            .parse()
            .map_err(|_| unreadable())?;
        if !seconds.is_finite() {
            return Err(TimeSpecError::NotFinite(text.to_owned()));
        }
        Ok(TimeSpec::Seconds(seconds))
    }
}

impl<'de> Deserialize<'de> for TimeSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TimeVisitor;

        impl de::Visitor<'_> for TimeVisitor {
            type Value = TimeSpec;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("seconds (12.5) or a musical position (\"bar 9\", \"9:3\")")
            }

            fn visit_f64<E: de::Error>(self, value: f64) -> Result<TimeSpec, E> {
                if value.is_finite() {
                    Ok(TimeSpec::Seconds(value))
                } else {
                    Err(E::custom(TimeSpecError::NotFinite(value.to_string())))
                }
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<TimeSpec, E> {
                Ok(TimeSpec::Seconds(value as f64))
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<TimeSpec, E> {
                Ok(TimeSpec::Seconds(value as f64))
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<TimeSpec, E> {
                value.parse().map_err(E::custom)
            }
        }

        deserializer.deserialize_any(TimeVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRID: BeatGrid = BeatGrid {
        bpm: 120.0,
        beats_per_bar: 4,
    };

    fn parse(text: &str) -> Result<TimeSpec, TimeSpecError> {
        text.parse()
    }

    #[test]
    fn both_notations_resolve_through_the_grid() {
        assert_eq!(parse("12.5").unwrap().seconds(&GRID), 12.5);
        assert_eq!(parse("12.5s").unwrap().seconds(&GRID), 12.5);
        // Bar 9 starts after 8 bars of 4 beats at 0.5 s a beat.
        assert_eq!(parse("bar 9").unwrap().seconds(&GRID), 16.0);
        assert_eq!(parse("9:3").unwrap().seconds(&GRID), 17.0);
        assert_eq!(parse("bar 9 beat 3").unwrap(), parse("9:3").unwrap());
        assert_eq!(parse(" 9:3.5 ").unwrap().seconds(&GRID), 17.25);
        assert_eq!(parse("bar 1").unwrap().seconds(&GRID), 0.0);
    }

    #[test]
    fn bad_times_say_how_to_write_them() {
        let message = parse("bar nine").unwrap_err().to_string();
        assert!(
            message.contains("bar nine") && message.contains("\"9:3\""),
            "{message}"
        );
        assert_eq!(
            parse("0:1").unwrap_err(),
            TimeSpecError::FromZero("0:1".into())
        );
        assert_eq!(
            parse("3:0.5").unwrap_err(),
            TimeSpecError::FromZero("3:0.5".into())
        );
        assert!(matches!(parse("inf"), Err(TimeSpecError::NotFinite(_))));
        assert!(matches!(parse(""), Err(TimeSpecError::Unreadable(_))));
    }

    #[test]
    fn reads_from_ron_as_number_or_string() {
        let times: Vec<TimeSpec> = ron::from_str(r#"[12.5, 3, "bar 2", "2:2"]"#).unwrap();
        assert_eq!(
            times,
            vec![
                TimeSpec::Seconds(12.5),
                TimeSpec::Seconds(3.0),
                TimeSpec::Musical { bar: 2, beat: 1.0 },
                TimeSpec::Musical { bar: 2, beat: 2.0 },
            ]
        );
        let error = ron::from_str::<TimeSpec>(r#""soon""#).unwrap_err();
        assert!(
            error.to_string().contains("`soon` is not a time"),
            "{error}"
        );
    }
}

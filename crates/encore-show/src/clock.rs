//! The concert clock: the one notion of "now" that dances, camera and lights read, and its
//! beat grid.

/// Beats per minute of the built-in stage until a setlist provides its own grid.
pub const BUILT_IN_BPM: f64 = 120.0;

/// Where the show is: seconds since the start and the beat grid they map to beats with.
/// The setlist sets the grid from the program item under the playhead every frame.
#[derive(Debug, Clone, PartialEq)]
pub struct ConcertClock {
    /// Concert time in seconds.
    pub seconds: f64,
    /// Whether time moves forward in the window.
    pub playing: bool,
    /// Playback speed in the window (1.0 is real time).
    pub speed: f64,
    /// Tempo of the current music.
    pub bpm: f64,
    /// Beats in a bar of the current music.
    pub beats_per_bar: u32,
    /// Concert seconds where the current grid's bar 1 starts.
    pub beat_origin: f64,
    /// Set by a seek; cues fire nothing for the jump.
    jumped: bool,
}

impl Default for ConcertClock {
    fn default() -> Self {
        Self {
            seconds: 0.0,
            playing: true,
            speed: 1.0,
            bpm: BUILT_IN_BPM,
            beats_per_bar: 4,
            beat_origin: 0.0,
            jumped: false,
        }
    }
}

impl ConcertClock {
    /// Beats since bar 1 of the current music, with the fraction: 4.5 is halfway between
    /// the 5th and 6th beat.
    pub fn beats(&self) -> f64 {
        (self.seconds - self.beat_origin) * self.bpm / 60.0
    }

    /// Beats since bar 1 counted in bars, with the fraction.
    pub fn bars(&self) -> f64 {
        self.beats() / f64::from(self.beats_per_bar.max(1))
    }

    /// Jumps to `seconds` (a seek, restart or reload): cues in between do not fire.
    pub fn seek(&mut self, seconds: f64) {
        self.seconds = seconds;
        self.jumped = true;
    }

    /// Whether the clock jumped since the last call.
    pub fn take_jump(&mut self) -> bool {
        std::mem::take(&mut self.jumped)
    }

    /// How far into the current beat we are, in `0.0..1.0`.
    pub fn beat_phase(&self) -> f64 {
        self.beats().rem_euclid(1.0)
    }
}

/// Seconds at most between two restarts of a simulation that restarts at checkpoints: one
/// falls every this many seconds after the last checkpoint, so a seek or a chunk replays at
/// most this much of the show.
pub const RESTART_EVERY: f64 = 20.0;

/// Where a simulation that restarts at `checkpoints` (sorted concert times, e.g. the camera
/// cuts) starts again for its state at `seconds`: the last checkpoint at or before it (or 0),
/// plus whole [`RESTART_EVERY`]s. PMX physics and spring bones restart there, so their state
/// at any time depends only on the show after that point: windows, recordings and chunks
/// agree.
pub fn restart_before(seconds: f64, checkpoints: &[f64]) -> f64 {
    let before = checkpoints.partition_point(|&checkpoint| checkpoint <= seconds);
    let base = before
        .checked_sub(1)
        .map_or(0.0, |index| checkpoints[index]);
    base + ((seconds - base) / RESTART_EVERY).floor() * RESTART_EVERY
}

/// `83.25` seconds as `1:23.2`.
pub fn format_clock(seconds: f64) -> String {
    let tenths = (seconds.max(0.0) * 10.0).floor() as u64;
    format!("{}:{:02}.{}", tenths / 600, tenths / 10 % 60, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beats_follow_the_tempo() {
        let clock = ConcertClock {
            seconds: 2.25,
            ..Default::default()
        };
        assert_eq!(clock.beats(), 4.5);
        assert_eq!(clock.beat_phase(), 0.5);
        assert_eq!(clock.bars(), 1.125);
    }

    #[test]
    fn a_seek_is_reported_once() {
        let mut clock = ConcertClock::default();
        assert!(!clock.take_jump());
        clock.seek(12.0);
        assert_eq!(clock.seconds, 12.0);
        assert!(clock.take_jump());
        assert!(!clock.take_jump());
    }

    #[test]
    fn clock_reads_minutes_seconds_tenths() {
        assert_eq!(format_clock(0.0), "0:00.0");
        assert_eq!(format_clock(83.25), "1:23.2");
        assert_eq!(format_clock(-3.0), "0:00.0");
        assert_eq!(format_clock(3600.0), "60:00.0");
    }
}

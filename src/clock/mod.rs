//! The concert clock: the one notion of "now" that dances, camera and lights read.
//!
//! In the window it follows real time; when rendering offscreen it moves in lockstep with
//! the frame counter, so frame N always shows the same instant whatever the machine's speed.

use bevy::prelude::*;

use crate::AppSystems;

pub(crate) fn plugin(app: &mut App) {
    app.init_resource::<ConcertClock>();
    app.add_systems(Update, advance_concert_clock.in_set(AppSystems::Clock));
}

/// Beats per minute of the built-in stage until a setlist provides its own grid.
pub const BUILT_IN_BPM: f64 = 120.0;

/// Where the show is: seconds since the start and the beat grid they map to beats with.
/// The setlist sets the grid from the program item under the playhead every frame.
#[derive(Resource, Debug, Clone, PartialEq)]
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

/// What the transport controls (keys and buttons) ask of the clock.
#[derive(Message, Debug, Clone, Copy, PartialEq)]
pub enum TransportAction {
    /// Play or pause.
    TogglePlay,
    /// Jump by this many seconds (negative goes back).
    SeekBy(f64),
    /// Jump to this concert time.
    SeekTo(f64),
    /// Back to the start of the show.
    Restart,
    /// Start of this item, or the previous item when near the start.
    Previous,
    /// Start of the next item.
    Next,
    /// Playback speed, 0.25 to 2.
    SetSpeed(f64),
}

/// Present when rendering offscreen: the clock shows `frame / fps` seconds exactly.
#[derive(Resource, Debug, Clone, Copy, PartialEq)]
pub struct Lockstep {
    /// Frames per second of the output.
    pub fps: u32,
    /// Index of the frame being simulated now; 0 during warm-up.
    pub frame: u64,
    /// Concert seconds of frame 0.
    pub start: f64,
}

impl Lockstep {
    /// Concert time of this frame. Computed from the index rather than summed, so it never
    /// drifts however long the recording.
    pub fn seconds(&self) -> f64 {
        self.start + self.frame as f64 / f64::from(self.fps.max(1))
    }
}

pub(crate) fn advance_concert_clock(
    time: Res<Time>,
    lockstep: Option<Res<Lockstep>>,
    mut clock: ResMut<ConcertClock>,
) {
    if let Some(lockstep) = lockstep {
        clock.seconds = lockstep.seconds();
    } else if clock.playing {
        clock.seconds += time.delta_secs_f64() * clock.speed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    #[test]
    fn beats_follow_the_tempo() {
        let clock = ConcertClock {
            seconds: 2.25,
            ..default()
        };
        assert_eq!(clock.beats(), 4.5);
        assert_eq!(clock.beat_phase(), 0.5);
    }

    #[test]
    fn real_time_moves_the_clock_unless_paused() {
        let mut app = testing::app();
        testing::step(&mut app, 61);
        // The first update has no delta; the other 60 add 1/60 s each.
        let seconds = app.world().resource::<ConcertClock>().seconds;
        assert!((seconds - 1.0).abs() < 1e-6, "{seconds}");

        app.world_mut().resource_mut::<ConcertClock>().playing = false;
        testing::step(&mut app, 30);
        assert_eq!(app.world().resource::<ConcertClock>().seconds, seconds);
    }

    #[test]
    fn lockstep_shows_the_frame_instant_exactly() {
        let mut app = testing::app();
        app.insert_resource(Lockstep {
            fps: 30,
            frame: 45,
            start: 0.0,
        });
        testing::step(&mut app, 1);
        assert_eq!(app.world().resource::<ConcertClock>().seconds, 1.5);
        app.insert_resource(Lockstep {
            fps: 30,
            frame: 45,
            start: 60.0,
        });
        testing::step(&mut app, 1);
        assert_eq!(app.world().resource::<ConcertClock>().seconds, 61.5);
    }
}

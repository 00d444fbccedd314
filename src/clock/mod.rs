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

pub use encore_show::clock::BUILT_IN_BPM;

/// The show's [`encore_show::clock::ConcertClock`] as the resource every system reads.
#[derive(Resource, Debug, Clone, PartialEq, Default, Deref, DerefMut)]
pub struct ConcertClock(pub encore_show::clock::ConcertClock);

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
    /// Index of the frame being simulated now on the grid from `start` (held during
    /// warm-up).
    pub frame: u64,
    /// Concert seconds of grid frame 0.
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

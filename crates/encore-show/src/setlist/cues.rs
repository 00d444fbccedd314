//! Firing cues as the playhead moves: each cue fires exactly once when playback crosses it,
//! whether the clock runs in real time or in fixed steps. A seek fires nothing: states (light
//! looks, camera shots) are read from the setlist at the new time instead, and one-shot
//! effects and chat messages that were jumped over stay unfired, in both directions.

use std::ops::Range;

use super::model::Cue;

/// Remembers the last instant cues were fired up to.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CueCursor {
    /// Concert seconds already handled; `None` before the first frame.
    handled_until: Option<f64>,
}

impl CueCursor {
    /// Playback moved the playhead to `now`: the indices of the cues crossed since the last
    /// call, in time order. Cues exactly at the previous instant were already fired then.
    /// Moving backwards is treated as a seek and fires nothing.
    pub fn play(&mut self, cues: &[Cue], now: f64) -> Range<usize> {
        let from = match self.handled_until {
            Some(last) if now < last => {
                self.handled_until = Some(now);
                return 0..0;
            }
            Some(last) => cues.partition_point(|cue| cue.at <= last),
            None => 0,
        };
        let to = cues.partition_point(|cue| cue.at <= now);
        self.handled_until = Some(now);
        from..to.max(from)
    }

    /// The playhead jumped to `now` (seek, restart, reload): nothing fires, and playback
    /// carries on from there.
    pub fn seek(&mut self, now: f64) {
        self.handled_until = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setlist::model::CueAction;
    use crate::setlist::raw::Effect;

    fn cues(times: &[f64]) -> Vec<Cue> {
        times
            .iter()
            .map(|&at| Cue {
                at,
                item: 0,
                action: CueAction::Effect(Effect::Confetti),
            })
            .collect()
    }

    /// Plays from 0 to `end` in steps of `step`, returning how often each cue fired.
    fn fire_counts(cues: &[Cue], step: f64, end: f64) -> Vec<usize> {
        let mut counts = vec![0; cues.len()];
        let mut cursor = CueCursor::default();
        let mut now: f64 = 0.0;
        loop {
            for index in cursor.play(cues, now) {
                counts[index] += 1;
            }
            if now >= end {
                break;
            }
            now = (now + step).min(end);
        }
        counts
    }

    #[test]
    fn each_cue_fires_once_in_playback_at_any_step() {
        let cues = cues(&[0.0, 0.5, 0.5, 1.0 / 3.0, 2.0, 9.99]);
        let mut sorted = cues.clone();
        sorted.sort_by(|a, b| a.at.total_cmp(&b.at));
        // Real-time-like uneven steps, 60 fps, 30 fps and one huge step.
        for step in [0.016_7, 1.0 / 60.0, 1.0 / 30.0, 0.37, 20.0] {
            assert_eq!(fire_counts(&sorted, step, 10.0), vec![1; 6], "step {step}");
        }
    }

    #[test]
    fn fixed_steps_fire_on_the_frame_that_reaches_the_cue() {
        let cues = cues(&[1.0]);
        let mut cursor = CueCursor::default();
        // At 30 fps, frame 30 is exactly 1.0 s (computed from the index, as Lockstep does).
        let fired_on: Vec<u64> = (0..60)
            .filter(|&frame| !cursor.play(&cues, frame as f64 / 30.0).is_empty())
            .collect();
        assert_eq!(fired_on, vec![30]);
    }

    #[test]
    fn seeking_fires_nothing_and_does_not_duplicate() {
        let cues = cues(&[1.0, 2.0, 3.0]);
        let mut cursor = CueCursor::default();
        assert_eq!(cursor.play(&cues, 0.5), 0..0);
        // Jump over the cue at 1.0 and 2.0: they stay unfired.
        cursor.seek(2.5);
        assert_eq!(cursor.play(&cues, 3.1), 2..3);
        // Scrub back before 3.0, then play across it again: it fires again, once, because
        // playback crossed it again; the seek itself fired nothing.
        cursor.seek(2.9);
        assert_eq!(cursor.play(&cues, 2.95), 2..2);
        assert_eq!(cursor.play(&cues, 3.05), 2..3);
        // Time moving backwards without a seek (a reload) fires nothing either.
        assert_eq!(cursor.play(&cues, 0.2), 0..0);
        assert_eq!(cursor.play(&cues, 1.5), 0..1);
    }
}

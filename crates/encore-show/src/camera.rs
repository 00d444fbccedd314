//! The camera as data: the director's plan of shots for the whole concert, and the shot
//! solver that turns the shot running at an instant and the idols' bodies into a lens.

pub mod director;
pub mod shot;

use self::{
    director::{PlannedShot, ShotPlan},
    shot::{Body, Lens},
};
use crate::{
    choreography::{formation::FormationPlan, idol_body},
    setlist::{
        Setlist,
        raw::{Shot, Transition},
    },
};

/// The idols' bodies at `seconds`, in cast order.
pub fn bodies(setlist: &Setlist, plan: &FormationPlan, seconds: f64) -> Vec<Body> {
    (0..setlist.cast.len())
        .map(|index| idol_body(setlist, plan, index, seconds))
        .collect()
}

/// The director's lens at `seconds`: the running shot, arriving from the previous one by its
/// transition; the wide shot where the plan has none.
pub fn director_lens(setlist: &Setlist, shots: &ShotPlan, bodies: &[Body], seconds: f64) -> Lens {
    let Some(index) = shots.index_at(seconds) else {
        return shot::wide(seconds);
    };
    let current = &shots.shots[index];
    let lens = planned_lens(setlist, current, bodies, seconds);
    let blend = match current.cue.transition {
        Transition::Cut => return lens,
        Transition::Blend(beats) => f64::from(beats) * current.beat,
        Transition::WhipPan => 0.25 * current.beat.max(0.4),
    };
    let since = seconds - current.at;
    let Some(previous) = index.checked_sub(1).map(|index| &shots.shots[index]) else {
        return lens;
    };
    if since >= blend || previous.until < current.at - 1e-6 {
        return lens;
    }
    let from = planned_lens(setlist, previous, bodies, seconds);
    let t = (since / blend) as f32;
    let t = match current.cue.transition {
        // A whip pan spends most of its time at speed.
        Transition::WhipPan => {
            let s = t * t * (3.0 - 2.0 * t);
            s * s * (3.0 - 2.0 * s)
        }
        _ => current.cue.ease.apply(t),
    };
    from.lerp(&lens, t)
}

/// `shot` solved at `seconds` (which may run past its end, for blends).
fn planned_lens(setlist: &Setlist, shot: &PlannedShot, bodies: &[Body], seconds: f64) -> Lens {
    let length = (shot.until - shot.at).max(1e-6);
    let progress = ((seconds - shot.at) / length).clamp(0.0, 1.0) as f32;
    let beats = ((seconds - shot.at) / shot.beat.max(1e-6)) as f32;
    if let Some(motion) = &shot.cue.motion {
        return shot::motion(motion, &shot.cue, setlist, (seconds - shot.at) as f32);
    }
    shot::solve(&shot.cue, setlist, bodies, seconds, progress, beats)
}

/// Seconds over which an idol turns her head to the camera when it comes to her.
const LOOK_SECONDS: f64 = 0.4;
/// How much idol `index` looks into the camera at `seconds` (0 to 1): the idols a close-up,
/// upper-body or two-shot is on turn to it over [`LOOK_SECONDS`], as idols do on a broadcast.
pub fn camera_look(setlist: &Setlist, shots: &ShotPlan, index: usize, seconds: f64) -> f32 {
    let (Some(idol), Some(shot)) = (setlist.cast.get(index), shots.at(seconds)) else {
        return 0.0;
    };
    let on_her = match &shot.cue.shot {
        Shot::CloseUp(id) | Shot::UpperBody(id) => *id == idol.id,
        Shot::TwoShot(a, b) => *a == idol.id || *b == idol.id,
        _ => false,
    };
    if !on_her {
        return 0.0;
    }
    let t = ((seconds - shot.at) / LOOK_SECONDS).clamp(0.0, 1.0) as f32;
    t * t * (3.0 - 2.0 * t)
}

#[cfg(test)]
mod tests {
    use glam::Vec3;

    use super::*;
    use crate::{
        choreography::formation::FormationPlan,
        setlist::{ItemKind, model::ShotCue, raw::Shot},
    };

    /// Inside the frame with a margin: the middle 90% of both axes.
    fn in_safe_area(lens: &Lens, point: Vec3) -> bool {
        lens.project(point, 16.0 / 9.0)
            .is_some_and(|screen| screen.x.abs() < 0.9 && screen.y.abs() < 0.9)
    }

    #[test]
    fn close_ups_tracking_and_fancams_keep_her_in_frame_through_a_song() {
        let setlist = Setlist::built_in();
        let formation = FormationPlan::new(&setlist);
        let song = setlist
            .items
            .iter()
            .find(|item| item.kind == ItemKind::Song)
            .expect("the demo has songs");
        let mut checked = 0;
        for index in 0..setlist.cast.len() {
            let id = setlist.cast[index].id.clone();
            let shots = [
                ShotCue::new(Shot::CloseUp(id.clone())),
                ShotCue::new(Shot::UpperBody(id.clone())),
                ShotCue::new(Shot::Tracking(id.clone())),
            ];
            let mut frame = 0;
            while f64::from(frame) / 15.0 < song.duration {
                let seconds = song.start + f64::from(frame) / 15.0;
                frame += 1;
                let bodies = bodies(&setlist, &formation, seconds);
                let body = &bodies[index];
                for cue in &shots {
                    let lens = shot::solve(cue, &setlist, &bodies, seconds, 0.5, 2.0);
                    let points: &[Vec3] = match cue.shot {
                        Shot::CloseUp(_) => &[body.head],
                        Shot::UpperBody(_) => &[body.head, body.hips],
                        _ => &[body.head, body.hips, body.feet],
                    };
                    for point in points {
                        assert!(
                            in_safe_area(&lens, *point),
                            "{:?} loses {point} at {seconds:.2} s: {:?}",
                            cue.shot,
                            lens.project(*point, 16.0 / 9.0)
                        );
                        checked += 1;
                    }
                }
                let fancam = shot::fancam(body);
                for point in [
                    body.head + Vec3::Y * 0.1 * body.height,
                    body.hips,
                    body.feet,
                ] {
                    assert!(
                        in_safe_area(&fancam, point),
                        "fancam loses {point} at {seconds:.2}"
                    );
                }
            }
        }
        assert!(checked > 10_000, "{checked} points checked");
    }

    #[test]
    fn every_camera_stays_on_the_audience_side() {
        let setlist = Setlist::built_in();
        let formation = FormationPlan::new(&setlist);
        let shots = ShotPlan::new(&setlist);
        let mut seconds = 0.0;
        while seconds < setlist.duration() {
            let bodies = bodies(&setlist, &formation, seconds);
            let lens = director_lens(&setlist, &shots, &bodies, seconds);
            assert!(
                lens.eye.z > 0.5,
                "the camera crosses the line at {seconds}: {lens:?}"
            );
            assert!(lens.eye.is_finite() && lens.look.is_finite());
            seconds += 0.25;
        }
    }

    #[test]
    fn a_blend_moves_smoothly_and_a_cut_jumps_on_its_beat() {
        let setlist = Setlist::built_in();
        let formation = FormationPlan::new(&setlist);
        let mut shots = ShotPlan::new(&setlist);
        let index = shots
            .shots
            .iter()
            .position(|shot| matches!(shot.cue.shot, Shot::CloseUp(_)))
            .expect("the demo has a close-up");
        let at = shots.shots[index].at;
        let lens_at = |shots: &ShotPlan, setlist: &Setlist, seconds: f64| {
            let bodies = bodies(setlist, &formation, seconds);
            director_lens(setlist, shots, &bodies, seconds)
        };
        // A cut: the camera is somewhere else one frame later.
        let before = lens_at(&shots, &setlist, at - 1.0 / 60.0);
        let after = lens_at(&shots, &setlist, at);
        assert!(
            before.eye.distance(after.eye) > 1.0,
            "a cut moves the camera"
        );
        // A blend over two beats: no step larger than a small fraction of the way.
        shots.shots[index].cue.transition = Transition::Blend(2.0);
        let mut previous = lens_at(&shots, &setlist, at - 1.0 / 60.0);
        let total = previous
            .eye
            .distance(lens_at(&shots, &setlist, at + 2.0).eye);
        for frame in 0..60 {
            let now = lens_at(&shots, &setlist, at + f64::from(frame) / 60.0);
            assert!(
                now.eye.distance(previous.eye) < total * 0.1 + 0.05,
                "the blend jumps at frame {frame}"
            );
            previous = now;
        }
    }
}

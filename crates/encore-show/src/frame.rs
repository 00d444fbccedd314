//! One frame of the show: everything the picture needs at one instant, computed once from
//! the setlist, its plans and the concert time. The app's camera, stage, posing and look-at
//! all read the same [`ShowFrame`], so each idol's pose is worked out and put through her
//! skeleton once per frame.

use crate::{
    camera::{
        camera_look,
        director::ShotPlan,
        director_lens,
        shot::{Body, Lens, solve},
    },
    choreography::{IdolFrame, body_of, formation::FormationPlan, idol_frame},
    clock::ConcertClock,
    lights::{Rig, rig_at, singer_at},
    setlist::{Setlist, model::ShotCue, raw::Shot},
};

/// What a setlist plans for the whole show: where idols stand, and the director's shots.
/// Made again when the setlist changes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShowPlans {
    pub formation: FormationPlan,
    pub shots: ShotPlan,
    /// The shots' hard cuts ([`ShotPlan::cuts`]), where hair and cloth restart.
    pub cuts: Vec<f64>,
}

impl ShowPlans {
    pub fn new(setlist: &Setlist) -> Self {
        let shots = ShotPlan::new(setlist);
        Self {
            formation: FormationPlan::new(setlist),
            cuts: shots.cuts(),
            shots,
        }
    }
}

/// The side screens' camera (IMAG, image magnification): a close-up of idol `singer`, or a
/// medium shot of everyone when nobody sings.
pub fn imag_lens(setlist: &Setlist, bodies: &[Body], singer: Option<usize>, seconds: f64) -> Lens {
    let shot = match singer.and_then(|index| setlist.cast.get(index)) {
        Some(idol) => Shot::CloseUp(idol.id.clone()),
        None => Shot::Medium,
    };
    solve(&ShotCue::new(shot), setlist, bodies, seconds, 0.0, 0.0)
}

/// The clock at `seconds` as it plays: its beat grid that of the item playing there.
pub fn clock_at(setlist: &Setlist, seconds: f64) -> ConcertClock {
    let mut clock = ConcertClock::default();
    clock.seconds = seconds;
    setlist.set_grid(&mut clock);
    clock
}

/// The show at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct ShowFrame {
    /// Concert seconds.
    pub seconds: f64,
    /// Every idol's pose, mark and face, in cast order.
    pub idols: Vec<IdolFrame>,
    /// Every idol's body in world space (head, hips, feet, facing), in cast order.
    pub bodies: Vec<Body>,
    /// How far each idol turns her head to the director's camera (0 to 1), in cast order.
    pub looks: Vec<f32>,
    /// The director's lens: the running shot, blended from the last by its transition.
    pub lens: Lens,
    /// The IMAG camera's lens for the side screens: a close-up of whoever sings, or of the
    /// group when nobody does.
    pub imag: Lens,
    /// The running shot, an index into the plan's shots; `None` where the plan has none.
    pub shot: Option<usize>,
    /// The light rig: every light's place, aim and colour, and the LED wall's state.
    pub lights: Rig,
}

impl Default for ShowFrame {
    /// No idols, the wide shot at 0 s: the frame before the first is computed.
    fn default() -> Self {
        Self {
            seconds: 0.0,
            idols: Vec::new(),
            bodies: Vec::new(),
            looks: Vec::new(),
            lens: crate::camera::shot::wide(0.0),
            imag: crate::camera::shot::wide(0.0),
            shot: None,
            lights: Rig::default(),
        }
    }
}

impl ShowFrame {
    /// The show at the clock's instant (its beat grid set to the item playing there).
    pub fn at(setlist: &Setlist, plans: &ShowPlans, clock: &ConcertClock) -> Self {
        let seconds = clock.seconds;
        let idols: Vec<IdolFrame> = (0..setlist.cast.len())
            .map(|index| idol_frame(setlist, &plans.formation, index, seconds))
            .collect();
        let bodies: Vec<Body> = idols
            .iter()
            .enumerate()
            .map(|(index, frame)| body_of(setlist, index, Some(frame)))
            .collect();
        let looks = (0..setlist.cast.len())
            .map(|index| camera_look(setlist, &plans.shots, index, seconds))
            .collect();
        let singer = singer_at(setlist, seconds);
        let lights = rig_at(
            setlist,
            seconds,
            (clock.beats(), clock.bars()),
            &bodies,
            singer,
        );
        Self {
            seconds,
            lights,
            lens: director_lens(setlist, &plans.shots, &bodies, seconds),
            imag: imag_lens(setlist, &bodies, singer, seconds),
            shot: plans.shots.index_at(seconds),
            idols,
            bodies,
            looks,
        }
    }

    /// Idol `index`'s body, or a standing figure at the centre when there is no such idol.
    pub fn body(&self, setlist: &Setlist, index: usize) -> Body {
        self.bodies
            .get(index)
            .copied()
            .unwrap_or_else(|| body_of(setlist, index, None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{camera::bodies, choreography::idol_body};

    #[test]
    fn the_frame_agrees_with_each_part_computed_alone() {
        let setlist = Setlist::built_in();
        let plans = ShowPlans::new(&setlist);
        for seconds in [0.0, 12.3, 47.9, 101.25, setlist.duration() - 0.5] {
            let frame = ShowFrame::at(&setlist, &plans, &clock_at(&setlist, seconds));
            assert_eq!(frame.idols.len(), setlist.cast.len());
            assert_eq!(frame.bodies, bodies(&setlist, &plans.formation, seconds));
            for index in 0..setlist.cast.len() {
                assert_eq!(
                    frame.idols[index],
                    idol_frame(&setlist, &plans.formation, index, seconds)
                );
                assert_eq!(
                    frame.bodies[index],
                    idol_body(&setlist, &plans.formation, index, seconds)
                );
            }
            let lens = director_lens(&setlist, &plans.shots, &frame.bodies, seconds);
            assert_eq!(frame.lens, lens);
            assert_eq!(frame.lights.follows.len(), setlist.cast.len());
        }
        let empty = ShowFrame::at(&setlist, &plans, &clock_at(&setlist, 0.0));
        let outside = empty.body(&setlist, 99);
        assert_eq!(outside.height, 1.65);
    }
}

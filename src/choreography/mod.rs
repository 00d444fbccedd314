//! Choreography: what every idol does at every instant. Plain functions compute an idol's
//! pose, mark and face (blink, singing mouth) from the setlist and the concert time; a thin
//! system writes them onto the idols' joints. Everything is a function of time and the
//! setlist's seed, so seeking, reloading and recording all land on the same poses.

pub mod formation;
pub mod moves;

use bevy::prelude::*;
use rand::{Rng, SeedableRng, rngs::StdRng};

use self::{formation::FormationPlan, moves::Pose};
use crate::{
    AppSystems,
    avatar::Performer,
    avatar::{IdolRig, skeleton::Bone},
    clock::ConcertClock,
    setlist::{Item, ItemKind, Setlist, ShowPosition, model::Dance, raw::Move},
};

pub(crate) fn plugin(app: &mut App) {
    app.init_resource::<Plan>();
    app.add_systems(
        Update,
        (plan_formations, pose_idols)
            .chain()
            .in_set(AppSystems::Choreography),
    );
}

/// The formation plan of the current setlist.
#[derive(Resource, Debug, Default)]
struct Plan(FormationPlan);

/// Beats over which one move blends into the next, ending on the new move's first beat.
pub const BLEND_BEATS: f64 = 1.0;

/// What idol `index` of the cast does at `seconds`: her pose, her mark and her face.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IdolFrame {
    /// Bone rotations and hips offset.
    pub pose: Pose,
    /// Where she stands `(x, z)`.
    pub mark: Vec2,
    /// 0 open, 1 closed.
    pub blink: f32,
    /// 0 closed, 1 wide open.
    pub mouth: f32,
}

/// Everything idol `index` does at `seconds`.
pub fn idol_frame(
    setlist: &Setlist,
    plan: &FormationPlan,
    index: usize,
    seconds: f64,
) -> IdolFrame {
    let (mark, stride) = plan.mark_at(index, seconds);
    let position = setlist.position_at(seconds);
    let mut pose = pose_at(setlist, index, &position);
    if stride > 0.0 {
        // Legs walk while the formation moves her; the upper body keeps dancing.
        let walk = moves::definition(&Move::Walk).sample(position.beats as f32);
        for bone in [
            Bone::LeftUpperLeg,
            Bone::LeftLowerLeg,
            Bone::RightUpperLeg,
            Bone::RightLowerLeg,
        ] {
            let dance = pose.rotations[bone.index()];
            pose.rotations[bone.index()] = dance.slerp(walk.rotations[bone.index()], stride);
        }
    }
    IdolFrame {
        pose,
        mark,
        blink: blink(setlist.seed, index, seconds),
        mouth: mouth_at(setlist, index, &position),
    }
}

/// Beats a member keeps dancing her last move when the next starts a little later (a canon
/// makes such gaps); longer gaps are idle.
const HOLD_BEATS: f64 = 8.0;

/// The beats of a song where `id` dances `dance` (shifted by her place in its canon), or
/// `None` when she is not in it.
fn dance_span(item: &Item, dance: &Dance, id: &str) -> Option<(f64, f64)> {
    let per_bar = f64::from(item.grid.beats_per_bar);
    let rank = dance.idols.iter().position(|who| who == id)?;
    let offset = dance.canon * rank as f64;
    Some((
        f64::from(dance.bars.0 - 1) * per_bar + offset,
        f64::from(dance.bars.1) * per_bar + offset,
    ))
}

/// The move an idol dances at a beat of a song: the move, and beats since it started for her.
fn dance_at<'a>(item: &'a Item, id: &str, beats: f64) -> Option<(&'a Move, f64)> {
    let mut latest: Option<(&Move, f64, f64)> = None;
    for dance in &item.dances {
        let Some((start, end)) = dance_span(item, dance, id) else {
            continue;
        };
        if start <= beats && beats < end + HOLD_BEATS {
            // Later entries win while active; an active entry beats one being held.
            let active = beats < end;
            let better = match latest {
                None => true,
                Some((_, _, latest_end)) => active || end >= latest_end,
            };
            if better {
                latest = Some((
                    &dance.step,
                    beats - start,
                    if active { f64::MAX } else { end },
                ));
            }
        }
    }
    latest.map(|(step, since, _)| (step, since))
}

/// The next move starting for `id` within [`BLEND_BEATS`] after `beats`, and beats until it.
fn next_dance<'a>(item: &'a Item, id: &str, beats: f64) -> Option<(&'a Move, f64)> {
    item.dances
        .iter()
        .filter_map(|dance| {
            let (start, _) = dance_span(item, dance, id)?;
            (beats < start && start - beats <= BLEND_BEATS).then_some((&dance.step, start - beats))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

/// Idol `index`'s pose at `seconds`: the move the setlist gives her (idle otherwise), blending
/// into the next move over the beat before it so that it lands on its first key pose.
pub fn idol_pose(setlist: &Setlist, index: usize, seconds: f64) -> Pose {
    pose_at(setlist, index, &setlist.position_at(seconds))
}

fn pose_at(setlist: &Setlist, index: usize, position: &ShowPosition) -> Pose {
    let (Some(item), Some(idol)) = (setlist.items.get(position.item), setlist.cast.get(index))
    else {
        return Pose::default();
    };
    let beats = position.beats;
    if item.kind != ItemKind::Song {
        return moves::definition(&Move::Idle).sample(beats as f32);
    }
    let current = match dance_at(item, &idol.id, beats) {
        Some((step, since)) => moves::definition(step).sample(since as f32),
        None => moves::definition(&Move::Idle).sample(beats as f32),
    };
    match next_dance(item, &idol.id, beats) {
        Some((step, until)) if dance_at(item, &idol.id, beats + until).is_some() => {
            let next = moves::definition(step).sample(-until as f32);
            let t = (1.0 - until / BLEND_BEATS).clamp(0.0, 1.0) as f32;
            current.lerp(&next, t * t * (3.0 - 2.0 * t))
        }
        _ => current,
    }
}

/// A generator for one idol and one slot of time, seeded from the setlist.
fn rng_for(seed: u64, index: usize, slot: i64, stream: u64) -> StdRng {
    let mixed = seed
        ^ (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ^ (slot as u64).wrapping_mul(0xbf58_476d_1ce4_e5b9)
        ^ stream.wrapping_mul(0x94d0_49bb_1331_11eb);
    StdRng::seed_from_u64(mixed)
}

/// Seconds between blinks, on average.
const BLINK_EVERY: f64 = 3.2;
/// Seconds a blink lasts.
const BLINK_SECONDS: f64 = 0.16;

/// How closed her eyes are (0 open, 1 closed): one blink at a random moment of every
/// [`BLINK_EVERY`] seconds, different for every idol and seed.
pub fn blink(seed: u64, index: usize, seconds: f64) -> f32 {
    let slot = (seconds / BLINK_EVERY).floor() as i64;
    [slot - 1, slot]
        .into_iter()
        .map(|slot| {
            let offset = rng_for(seed, index, slot, 1).random_range(0.0..BLINK_EVERY - 0.3);
            let since = seconds - (slot as f64 * BLINK_EVERY + offset);
            if (0.0..BLINK_SECONDS).contains(&since) {
                (std::f64::consts::PI * since / BLINK_SECONDS).sin() as f32
            } else {
                0.0
            }
        })
        .fold(0.0, f32::max)
}

/// How open her mouth is: while she holds a line, syllables two to a beat, some of them
/// rests, each opening and closing; closed otherwise.
pub fn mouth(setlist: &Setlist, index: usize, seconds: f64) -> f32 {
    mouth_at(setlist, index, &setlist.position_at(seconds))
}

fn mouth_at(setlist: &Setlist, index: usize, position: &ShowPosition) -> f32 {
    let (Some(item), Some(idol)) = (setlist.items.get(position.item), setlist.cast.get(index))
    else {
        return 0.0;
    };
    let singing = item.lines.iter().any(|line| {
        line.bars.0 <= position.bar && position.bar <= line.bars.1 && line.idols.contains(&idol.id)
    });
    let talking = item.kind == ItemKind::Talk
        && (item.speakers.is_empty() || item.speakers.contains(&idol.id));
    if !singing && !talking {
        return 0.0;
    }
    let syllables = position.beats * 2.0;
    let slot = syllables.floor() as i64;
    let mut rng = rng_for(
        setlist.seed,
        index,
        slot + position.item as i64 * 100_000,
        2,
    );
    if rng.random_range(0..4) == 0 {
        return 0.0;
    }
    let open = rng.random_range(0.45..1.0);
    (std::f64::consts::PI * syllables.fract()).sin() as f32 * open
}

fn plan_formations(setlist: Res<Setlist>, mut plan: ResMut<Plan>) {
    if setlist.is_changed() {
        plan.0 = FormationPlan::new(&setlist);
    }
}

fn pose_idols(
    clock: Res<ConcertClock>,
    setlist: Res<Setlist>,
    plan: Res<Plan>,
    mut idols: Query<(&Performer, &IdolRig, &mut Transform)>,
    mut joints: Query<&mut Transform, Without<IdolRig>>,
) {
    for (performer, rig, mut root) in &mut idols {
        let frame = idol_frame(&setlist, &plan.0, performer.index, clock.seconds);
        root.translation = Vec3::new(frame.mark.x, 0.0, frame.mark.y);
        root.rotation = frame.pose.turn;
        for bone in Bone::ALL {
            let Ok(mut joint) = joints.get_mut(rig.joints[bone.index()]) else {
                continue;
            };
            let mut translation = rig.skeleton.local[bone.index()];
            if *bone == Bone::Hips {
                translation += frame.pose.hips * rig.skeleton.height;
            }
            joint.translation = translation;
            joint.rotation = frame.pose.rotations[bone.index()];
            joint.scale = match bone {
                Bone::LeftEye | Bone::RightEye => Vec3::new(1.0, 1.0 - 0.9 * frame.blink, 1.0),
                Bone::Jaw => Vec3::new(1.0, 1.0 + 2.5 * frame.mouth, 1.0),
                _ => Vec3::ONE,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_move_hits_its_key_pose_on_its_first_beat() {
        let setlist = Setlist::built_in();
        // Starlight Signal: bars 5-12 StepTouch with a half-beat canon; Hana (rank 0) starts
        // on bar 5, beat 1, after blending out of the intro's Pose.
        let start = setlist.seconds_at(0, 5, 1.0).expect("first song");
        let pose = idol_pose(&setlist, 0, start);
        let key = moves::definition(&Move::StepTouch).sample(0.0);
        assert!(pose.max_angle_to(&key) < 1e-3);
        // Yuna (rank 1) starts half a beat later.
        let yuna = idol_pose(
            &setlist,
            1,
            setlist.seconds_at(0, 5, 1.5).expect("first song"),
        );
        assert!(yuna.max_angle_to(&key) < 1e-3);
    }

    #[test]
    fn poses_are_continuous_through_the_demo_at_60_fps() {
        let setlist = Setlist::built_in();
        let plan = FormationPlan::new(&setlist);
        for index in 0..setlist.cast.len() {
            let mut previous = idol_frame(&setlist, &plan, index, 0.0);
            let mut frame = 1;
            while f64::from(frame) / 60.0 < setlist.duration() {
                let seconds = f64::from(frame) / 60.0;
                let now = idol_frame(&setlist, &plan, index, seconds);
                let jump = now.pose.max_angle_to(&previous.pose).to_degrees();
                // Item boundaries (song to MC) may cut; within items the pose flows.
                let position = setlist.position_at(seconds);
                let boundary = setlist.position_at(seconds - 1.0 / 60.0).item != position.item;
                assert!(
                    boundary || jump < 15.0,
                    "idol {index} jumps {jump:.1}° at {seconds:.3} s"
                );
                assert!(
                    now.mark.distance(previous.mark) < 0.1,
                    "idol {index} teleports at {seconds:.2}"
                );
                previous = now;
                frame += 1;
            }
        }
    }

    #[test]
    fn same_seed_same_faces_and_blinks_happen() {
        let setlist = Setlist::built_in();
        let blinks: Vec<f32> = (0..600)
            .map(|frame| blink(7, 2, f64::from(frame) / 60.0))
            .collect();
        let again: Vec<f32> = (0..600)
            .map(|frame| blink(7, 2, f64::from(frame) / 60.0))
            .collect();
        assert_eq!(blinks, again);
        assert!(
            blinks.iter().any(|&closed| closed > 0.9),
            "she blinks in 10 s"
        );
        assert!(
            blinks.iter().filter(|&&closed| closed > 0.0).count() < 120,
            "but not all the time"
        );
        let other: Vec<f32> = (0..600)
            .map(|frame| blink(8, 2, f64::from(frame) / 60.0))
            .collect();
        assert_ne!(blinks, other, "another seed blinks at other moments");
        // Hana sings bars 5-6 of the first song; Yuna does not.
        let singing = setlist.seconds_at(0, 5, 1.0).expect("first song");
        let open = |index| {
            (0..120)
                .map(|frame| mouth(&setlist, index, singing + f64::from(frame) / 60.0))
                .fold(0.0, f32::max)
        };
        assert!(open(0) > 0.4);
        assert_eq!(open(1), 0.0);
    }
}

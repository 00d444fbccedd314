//! A VMD dance played natively on the PMX model it was made for, as MikuMikuDance plays it:
//! each track turns and moves the model's own bone of that name (no retargeting), eased by
//! the keys' Bézier curves; append (付与) bones take a share of another bone's rotation or
//! translation; and IK chains (the legs' 足ＩＫ, the toes' つま先ＩＫ) are solved by cyclic
//! coordinate descent with the file's loop count, step limit and per-link angle limits, so
//! the feet land where the dance puts them. The face keys drive morphs of the same names:
//! bone morphs (and groups of them) here, vertex and group morphs by the app's meshes.
//!
//! Everything is in encore's axes (the PMX and VMD readers' numbers with Z negated) and MMD
//! units; the app scales the model as a whole.

use glam::{EulerRot, Mat4, Quat, Vec3};

use super::vmd::{Vmd, names_match};
use crate::avatar::{mmd::to_encore, pmx::Pmx};

/// A PMX model's skeleton as the dance needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Skeleton {
    /// The bones, in the file's order.
    pub bones: Vec<SkeletonBone>,
    /// The order bones are evaluated in: by "after physics", then layer, then index, as MMD
    /// does, with parents before their children.
    order: Vec<usize>,
    /// Bone morphs (and groups of them), by name.
    morphs: Vec<(String, BoneMorph)>,
}

/// Each bone a morph moves, with its move and turn at full weight.
type BoneMorph = Vec<(usize, Vec3, Quat)>;

/// One bone of a [`Skeleton`].
#[derive(Debug, Clone, PartialEq)]
pub struct SkeletonBone {
    /// The bone's name (what VMD tracks name).
    pub name: String,
    /// Its parent bone.
    pub parent: Option<usize>,
    /// Its rest position relative to its parent's (the model's origin for a root).
    pub offset: Vec3,
    /// A share of another bone's motion: (bone, ratio, rotation, translation).
    pub append: Option<(usize, f32, bool, bool)>,
    /// The IK chain this bone is the goal of.
    pub ik: Option<IkChain>,
}

/// An IK chain: its goal is the bone that holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct IkChain {
    /// The bone that must reach the goal (the ankle for a leg).
    pub effector: usize,
    /// Solver iterations.
    pub loops: u32,
    /// The largest turn of one link in one step, radians.
    pub step_limit: f32,
    /// The links from the effector up: the bone, and its angle limits (Euler XYZ, radians,
    /// in encore's axes) if it has any.
    pub links: Vec<(usize, Option<(Vec3, Vec3)>)>,
}

impl Skeleton {
    /// The skeleton of a PMX model.
    pub fn new(pmx: &Pmx) -> Self {
        let bones: Vec<SkeletonBone> = pmx
            .bones
            .iter()
            .map(|bone| {
                let parent = bone.parent.filter(|&parent| parent < pmx.bones.len());
                let at = to_encore(bone.position);
                let offset = parent.map_or(at, |parent| at - to_encore(pmx.bones[parent].position));
                SkeletonBone {
                    name: bone.name.clone(),
                    parent,
                    offset,
                    append: bone
                        .append
                        .filter(|append| append.parent < pmx.bones.len())
                        .map(|append| {
                            (
                                append.parent,
                                append.ratio,
                                append.rotation,
                                append.translation,
                            )
                        }),
                    ik: bone.ik.as_ref().map(|ik| IkChain {
                        effector: ik.target,
                        loops: ik.loop_count.clamp(0, 256) as u32,
                        step_limit: ik.limit_angle,
                        links: ik
                            .links
                            .iter()
                            .map(|link| {
                                // Mirroring Z turns rotations about X and Y the other way.
                                let limits = link.limits.map(|(min, max)| {
                                    (
                                        Vec3::new(-max[0], -max[1], min[2]),
                                        Vec3::new(-min[0], -min[1], max[2]),
                                    )
                                });
                                (link.bone, limits)
                            })
                            .collect(),
                    }),
                }
            })
            .collect();
        // MMD's order, then parents first (a file may list a child before its parent).
        let mut sorted: Vec<usize> = (0..bones.len()).collect();
        sorted.sort_by_key(|&index| {
            let bone = &pmx.bones[index];
            (bone.flags.physics_after_deform(), bone.layer, index)
        });
        let mut order = Vec::with_capacity(bones.len());
        let mut placed = vec![false; bones.len()];
        for &index in &sorted {
            let mut chain = vec![index];
            let mut at = index;
            while let Some(parent) = bones[at].parent {
                if placed[parent] || chain.contains(&parent) {
                    break;
                }
                chain.push(parent);
                at = parent;
            }
            for &bone in chain.iter().rev() {
                if !placed[bone] {
                    placed[bone] = true;
                    order.push(bone);
                }
            }
        }
        let morphs = (0..pmx.morphs.len())
            .filter_map(|index| {
                let offsets: Vec<(usize, Vec3, Quat)> =
                    crate::avatar::mmd::bone_offsets(pmx, index)
                        .into_iter()
                        .filter(|(bone, _, _)| *bone < bones.len())
                        .collect();
                (!offsets.is_empty()).then(|| (pmx.morphs[index].name.clone(), offsets))
            })
            .collect();
        Self {
            bones,
            order,
            morphs,
        }
    }

    /// The bone called `name`.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.bones.iter().position(|bone| bone.name == name)
    }
}

/// A VMD dance bound to a skeleton by name.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    /// Each bone's track.
    tracks: Vec<Option<usize>>,
    /// The face track of each of the skeleton's bone morphs.
    morphs: Vec<Option<usize>>,
    /// How many bones the dance moves.
    pub moved: usize,
}

/// Binds `vmd`'s bone tracks to `skeleton`'s bones by name.
pub fn bind(vmd: &Vmd, skeleton: &Skeleton) -> Bound {
    let tracks: Vec<Option<usize>> = skeleton
        .bones
        .iter()
        .map(|bone| {
            vmd.bones
                .iter()
                .position(|track| names_match(&track.name, &bone.name))
        })
        .collect();
    let morphs = skeleton
        .morphs
        .iter()
        .map(|(name, _)| {
            vmd.morphs
                .iter()
                .position(|track| names_match(&track.name, name))
        })
        .collect();
    Bound {
        moved: tracks.iter().flatten().count(),
        tracks,
        morphs,
    }
}

/// A bone's local transform: its translation from its parent and its rotation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Local {
    /// Translation from the parent bone (rest offset plus motion).
    pub translation: Vec3,
    /// Rotation from rest.
    pub rotation: Quat,
}

/// The whole posed skeleton at one frame: each bone's local transform and world matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Posed {
    /// Local transforms, by bone.
    pub locals: Vec<Local>,
    /// World matrices (the model's space), by bone.
    pub worlds: Vec<Mat4>,
}

impl Posed {
    /// Bone `index`'s position in the model's space.
    pub fn position(&self, index: usize) -> Vec3 {
        self.worlds[index].w_axis.truncate()
    }
}

/// The skeleton posed by `vmd` at `frame` (30 per second, fractional): tracks, append, IK.
pub fn pose_at(vmd: &Vmd, skeleton: &Skeleton, bound: &Bound, frame: f32) -> Posed {
    let count = skeleton.bones.len();
    // The motion of each bone: what its track says.
    let mut motion: Vec<(Vec3, Quat)> = bound
        .tracks
        .iter()
        .map(|track| {
            track.map_or((Vec3::ZERO, Quat::IDENTITY), |track| {
                vmd.bones[track].sample(frame)
            })
        })
        .collect();
    // Bone morphs add their share of a move and a turn.
    for ((_, offsets), track) in skeleton.morphs.iter().zip(&bound.morphs) {
        let Some(track) = track else {
            continue;
        };
        let weight = vmd.morphs[*track].sample(frame).clamp(0.0, 1.0);
        if weight <= 0.0 {
            continue;
        }
        for &(bone, moved, turned) in offsets {
            motion[bone].0 += moved * weight;
            motion[bone].1 *= Quat::IDENTITY.slerp(turned, weight);
        }
    }
    let mut posed = Posed {
        locals: skeleton
            .bones
            .iter()
            .zip(&motion)
            .map(|(bone, (moved, turned))| Local {
                translation: bone.offset + *moved,
                rotation: *turned,
            })
            .collect(),
        worlds: vec![Mat4::IDENTITY; count],
    };
    // Append: a share of the source bone's turn and move as they stand (its own append and IK
    // included, as the source comes first in MMD's order).
    for &index in &skeleton.order {
        let bone = &skeleton.bones[index];
        if let Some((source, ratio, rotation, translation)) = bone.append {
            if rotation {
                let share = Quat::IDENTITY.slerp(posed.locals[source].rotation, ratio);
                posed.locals[index].rotation *= share;
            }
            if translation {
                let moved = posed.locals[source].translation - skeleton.bones[source].offset;
                posed.locals[index].translation += moved * ratio;
            }
        }
        posed.worlds[index] = world_of(skeleton, &posed, index);
        if let Some(chain) = &bone.ik
            && ik_on(vmd, &bone.name, frame)
        {
            solve(skeleton, &mut posed, index, chain);
        }
    }
    posed
}

/// Whether the IK chain of the bone called `name` is switched on at `frame`.
fn ik_on(vmd: &Vmd, name: &str, frame: f32) -> bool {
    vmd.ik_on(name, frame)
}

/// Bone `index`'s world matrix from its parent's and its local transform.
fn world_of(skeleton: &Skeleton, posed: &Posed, index: usize) -> Mat4 {
    let local = posed.locals[index];
    let matrix = Mat4::from_rotation_translation(local.rotation, local.translation);
    match skeleton.bones[index].parent {
        Some(parent) => posed.worlds[parent] * matrix,
        None => matrix,
    }
}

/// Cyclic coordinate descent: each link in turn, from the effector up, turns so that the
/// effector points at the goal, by at most the step limit, then is held inside its angle
/// limits; repeated the chain's loop count, or until the effector is there.
fn solve(skeleton: &Skeleton, posed: &mut Posed, goal_bone: usize, chain: &IkChain) {
    let goal = posed.position(goal_bone);
    for iteration in 0..chain.loops {
        for &(link, limits) in &chain.links {
            let effector = posed.position(chain.effector);
            if effector.distance_squared(goal) < 1e-8 {
                return;
            }
            let inverse = posed.worlds[link].inverse();
            let (Some(to_effector), Some(to_goal)) = (
                inverse.transform_point3(effector).try_normalize(),
                inverse.transform_point3(goal).try_normalize(),
            ) else {
                continue;
            };
            let step = |angle: f32| {
                if chain.step_limit > 0.0 {
                    angle.clamp(-chain.step_limit, chain.step_limit)
                } else {
                    angle
                }
            };
            let rotation = match limits {
                // A hinge (a knee): turn about X alone, by the angle between the two
                // directions seen along X, within its limits.
                // A hinge (a knee): turn about X alone, by the whole angle between the two
                // directions, whichever way brings the effector nearer (as MMD's solver
                // does; the angle seen along X alone makes a nearly straight leg crawl).
                // On the first pass a bend outside the limits is tried the other way round,
                // so a straight knee bends forward.
                Some((min, max)) if is_hinge(min, max) => {
                    let angle = step(to_effector.dot(to_goal).clamp(-1.0, 1.0).acos());
                    let towards =
                        |turn: f32| (Quat::from_rotation_x(turn) * to_effector).dot(to_goal);
                    let now = posed.locals[link].rotation;
                    let middle = (min.x + max.x) * 0.5;
                    let mut bend = wrap(2.0 * now.x.atan2(now.w));
                    // The first step bends towards the middle of the hinge's range (a knee
                    // forward): from a straight leg both ways look alike, and a knee that
                    // starts backwards crawls out of it.
                    bend += if iteration == 0 {
                        angle.copysign(middle)
                    } else if towards(angle) >= towards(-angle) {
                        angle
                    } else {
                        -angle
                    };
                    if iteration == 0
                        && !(min.x..=max.x).contains(&bend)
                        && ((min.x..=max.x).contains(&-bend)
                            || (middle - bend).abs() > (middle + bend).abs())
                    {
                        bend = -bend;
                    }
                    Quat::from_rotation_x(bend.clamp(min.x, max.x))
                }
                limits => {
                    let angle = to_effector.dot(to_goal).clamp(-1.0, 1.0).acos();
                    if angle < 1e-5 {
                        continue;
                    }
                    let Some(axis) = to_effector.cross(to_goal).try_normalize() else {
                        continue;
                    };
                    let rotation =
                        posed.locals[link].rotation * Quat::from_axis_angle(axis, step(angle));
                    match limits {
                        Some((min, max)) => limit(rotation, min, max),
                        None => rotation,
                    }
                }
            };
            posed.locals[link].rotation = rotation.normalize();
            refresh_below(skeleton, posed, link);
        }
    }
}

/// Refreshes the world matrices of `top` and every bone below it.
fn refresh_below(skeleton: &Skeleton, posed: &mut Posed, top: usize) {
    let mut moved = vec![false; skeleton.bones.len()];
    moved[top] = true;
    for &index in &skeleton.order {
        let below = index == top
            || skeleton.bones[index]
                .parent
                .is_some_and(|parent| moved[parent]);
        if below {
            moved[index] = true;
            posed.worlds[index] = world_of(skeleton, posed, index);
        }
    }
}

/// Holds `rotation` inside Euler angle limits. A link limited to turning about X alone (a
/// knee) is turned about X only, which also keeps a straight knee bending the right way.
fn limit(rotation: Quat, min: Vec3, max: Vec3) -> Quat {
    if is_hinge(min, max) {
        let angle = 2.0 * rotation.x.atan2(rotation.w);
        let angle = wrap(angle).clamp(min.x, max.x);
        return Quat::from_rotation_x(angle);
    }
    let (x, y, z) = rotation.to_euler(EulerRot::XYZ);
    Quat::from_euler(
        EulerRot::XYZ,
        x.clamp(min.x, max.x),
        y.clamp(min.y, max.y),
        z.clamp(min.z, max.z),
    )
}

/// Limits that let a link turn about X alone.
fn is_hinge(min: Vec3, max: Vec3) -> bool {
    min.y == 0.0 && max.y == 0.0 && min.z == 0.0 && max.z == 0.0 && min.x < max.x
}

/// An angle in -π..π.
fn wrap(angle: f32) -> f32 {
    let turn = std::f32::consts::TAU;
    (angle + std::f32::consts::PI).rem_euclid(turn) - std::f32::consts::PI
}

/// The face track of each of the model's morph `names` (names cut by VMD's 15 bytes match
/// their full names): bound once per dance, as [`bind`] binds the bones.
pub fn face_tracks(vmd: &Vmd, names: &[String]) -> Vec<Option<usize>> {
    names
        .iter()
        .map(|name| {
            vmd.morphs
                .iter()
                .position(|track| names_match(&track.name, name))
        })
        .collect()
}

/// The weights the dance gives the morphs whose face `tracks` are these, at `frame`.
pub fn face_weights<'a>(
    vmd: &'a Vmd,
    tracks: &'a [Option<usize>],
    frame: f32,
) -> impl Iterator<Item = f32> + 'a {
    tracks.iter().map(move |track| {
        track.map_or(0.0, |track| vmd.morphs[track].sample(frame).clamp(0.0, 1.0))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{avatar::pmx, motion::vmd, testdata};

    fn gene_dancing() -> Option<(Skeleton, Vmd, Bound)> {
        let model = testdata::file("mmd/gene/Gene_light.pmx")?;
        let dance = testdata::file("mmd/wavefile/wavefile_v2.vmd")?;
        let pmx = pmx::read(&std::fs::read(model).unwrap()).expect("Gene reads");
        let vmd = vmd::parse(&std::fs::read(dance).unwrap()).expect("the dance reads");
        let skeleton = Skeleton::new(&pmx);
        let bound = bind(&vmd, &skeleton);
        Some((skeleton, vmd, bound))
    }

    #[test]
    fn the_dance_moves_genes_own_bones_and_the_feet_land_on_their_ik_goals() {
        let Some((skeleton, vmd, bound)) = gene_dancing() else {
            return;
        };
        assert!(bound.moved > 40, "{} bones move", bound.moved);
        let find = |name: &str| skeleton.find(name).unwrap();
        let legs = [
            (
                find("左足ＩＫ"),
                find("左足"),
                find("左ひざ"),
                find("左足首"),
            ),
            (
                find("右足ＩＫ"),
                find("右足"),
                find("右ひざ"),
                find("右足首"),
            ),
        ];
        let rest = pose_at(
            &Vmd::default(),
            &skeleton,
            &bind(&Vmd::default(), &skeleton),
            0.0,
        );
        let last = vmd.last_frame();
        let (mut worst, mut checked, mut out_of_reach) = (0.0f32, 0, 0);
        for frame in (0..last).step_by(15) {
            let posed = pose_at(&vmd, &skeleton, &bound, frame as f32);
            for (goal, hip, knee, ankle) in legs {
                if !vmd.ik_on(&skeleton.bones[goal].name, frame as f32) {
                    continue;
                }
                // A goal further than the straight leg reaches leaves the leg pointing at it
                // (as in MMD); only reachable goals must be met.
                let reach = rest.position(hip).distance(rest.position(knee))
                    + rest.position(knee).distance(rest.position(ankle));
                if posed.position(hip).distance(posed.position(goal)) > reach {
                    out_of_reach += 1;
                    continue;
                }
                worst = worst.max(posed.position(goal).distance(posed.position(ankle)));
                checked += 1;
            }
        }
        assert!(
            checked > 100 && out_of_reach * 4 < checked,
            "{checked} {out_of_reach}"
        );
        println!("IK: {checked} reachable goals, {out_of_reach} out of reach, worst miss {worst}");
        // MMD units are about 8 cm: the ankles land within 8 mm of where the dance plants
        // them (a goal past the straight leg's reach leaves the leg pointing at it, as in MMD).
        assert!(worst < 0.1, "an ankle ends {worst} units from its IK goal");
    }

    #[test]
    fn a_knee_bends_about_its_hinge_within_its_limits() {
        let Some((skeleton, vmd, bound)) = gene_dancing() else {
            return;
        };
        let knee = skeleton.find("左ひざ").unwrap();
        for frame in (0..vmd.last_frame()).step_by(30) {
            let posed = pose_at(&vmd, &skeleton, &bound, frame as f32);
            let rotation = posed.locals[knee].rotation;
            let angle = 2.0 * rotation.x.atan2(rotation.w);
            // Turned about X alone, the shin swings back (a positive turn in encore's axes),
            // or at most 10° the other way, as Gene's own limits allow.
            assert!(
                rotation.y.abs() < 1e-4 && rotation.z.abs() < 1e-4,
                "{rotation}"
            );
            assert!(
                angle >= -10f32.to_radians() - 1e-3,
                "frame {frame}: {angle}"
            );
        }
    }

    #[test]
    fn an_appended_bone_takes_its_share_and_limits_hold() {
        // A source bone, and one taking half of its turn and its move.
        let bone = |name: &str, append| SkeletonBone {
            name: name.into(),
            parent: None,
            offset: Vec3::X,
            append,
            ik: None,
        };
        let skeleton = Skeleton {
            bones: vec![
                bone("source", None),
                bone("half", Some((0, 0.5, true, true))),
            ],
            order: vec![0, 1],
            morphs: vec![(
                "nod".into(),
                vec![(0, Vec3::ZERO, Quat::from_rotation_x(0.4))],
            )],
        };
        let vmd = Vmd {
            bones: vec![vmd::BoneTrack {
                name: "source".into(),
                keys: vec![vmd::BoneKey {
                    frame: 0,
                    position: Vec3::new(0.0, 2.0, 0.0),
                    rotation: Quat::from_rotation_y(1.0),
                    curves: [vmd::Bezier::LINEAR; 4],
                }],
            }],
            ..Vmd::default()
        };
        let bound = bind(&vmd, &skeleton);
        assert_eq!(bound.moved, 1);
        let posed = pose_at(&vmd, &skeleton, &bound, 0.0);
        assert!(
            posed.locals[1]
                .rotation
                .angle_between(Quat::from_rotation_y(0.5))
                < 1e-5
        );
        assert!(
            posed.locals[1]
                .translation
                .distance(Vec3::new(1.0, 1.0, 0.0))
                < 1e-5
        );
        // A bone morph at half weight turns its bone half its way.
        let nodding = Vmd {
            morphs: vec![vmd::MorphTrack {
                name: "nod".into(),
                keys: vec![(0, 0.5)],
            }],
            ..Vmd::default()
        };
        let posed = pose_at(&nodding, &skeleton, &bind(&nodding, &skeleton), 0.0);
        assert!(
            posed.locals[0]
                .rotation
                .angle_between(Quat::from_rotation_x(0.2))
                < 1e-5
        );
        // Limits: a bone held still stays still; a knee turned the wrong way stops at its
        // smallest bend.
        assert!(
            limit(Quat::from_rotation_y(0.3), Vec3::ZERO, Vec3::ZERO).angle_between(Quat::IDENTITY)
                < 1e-6
        );
        let knee = limit(
            Quat::from_rotation_x(-0.4),
            Vec3::new(0.01, 0.0, 0.0),
            Vec3::new(3.1, 0.0, 0.0),
        );
        assert!((2.0 * knee.x.atan2(knee.w) - 0.01).abs() < 1e-4);
    }
}

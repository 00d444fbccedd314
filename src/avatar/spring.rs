//! Spring bones: hair, skirts and ribbons of imported VRM models swinging with the dance.
//!
//! Each joint's tail is a point mass: it keeps some of its motion (less the drag), is pulled
//! back towards the joint's rest direction (stiffness) and by gravity, is kept at the bone's
//! length from the joint's head, and is pushed out of the model's collider spheres and
//! capsules; the joint then turns to point at it. The simulation takes fixed steps of
//! 1/60 s of concert time, so it is the same at any frame rate and in recordings, and it
//! starts again from the rest pose after a seek or a jump, instead of flinging the hair.
//!
//! It also starts again at the shot plan's cuts and every
//! [`RESTART_EVERY`](encore_show::clock::RESTART_EVERY) seconds after one
//! ([`restart_before`]), where the cut hides the hair settling. A recording's chunk
//! simulates the frames from that restart up to its first frame before it takes any, so the
//! chunks of a recording swing the hair exactly as a single pass does.

use bevy::{prelude::*, transform::TransformSystems};

use encore_show::clock::restart_before;

use crate::{clock::ConcertClock, show::Plans};

pub(super) fn plugin(app: &mut App) {
    // After transforms propagate: the dance's pose of this frame is in the globals.
    app.add_systems(PostUpdate, swing_springs.after(TransformSystems::Propagate));
}

/// Seconds of one simulation step.
pub const STEP: f64 = 1.0 / 60.0;

/// Steps at most per frame; a longer gap counts as a jump.
const MAX_STEPS: u64 = 30;

/// How a spring joint moves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpringParams {
    /// Pull back towards the rest direction, per second.
    pub stiffness: f32,
    /// Gravity, direction times strength, per second.
    pub gravity: Vec3,
    /// Share of the motion lost each step, 0 to 1.
    pub drag: f32,
    /// The joint's radius for collisions, world units.
    pub hit_radius: f32,
}

/// A collider in world space: a sphere (`from == to`) or a capsule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorldCollider {
    /// One end (the centre of a sphere).
    pub from: Vec3,
    /// The other end.
    pub to: Vec3,
    /// Radius.
    pub radius: f32,
}

/// One step of a joint's tail: from `current` (and `previous`, for its motion) to where it
/// goes, for a joint whose head is at `head` with rest direction `rest` and bone `length`.
pub fn step_tail(
    head: Vec3,
    rest: Vec3,
    length: f32,
    current: Vec3,
    previous: Vec3,
    params: &SpringParams,
    colliders: &[WorldCollider],
) -> Vec3 {
    let dt = STEP as f32;
    let inertia = (current - previous) * (1.0 - params.drag.clamp(0.0, 1.0));
    let pull = rest * params.stiffness * dt + params.gravity * dt;
    let mut next = current + inertia + pull;
    next = head + (next - head).normalize_or(rest) * length;
    // Pushing out and keeping the length pull against each other; a few rounds settle it.
    for _ in 0..4 {
        for collider in colliders {
            let segment = collider.to - collider.from;
            let along = if segment.length_squared() > 1e-12 {
                ((next - collider.from).dot(segment) / segment.length_squared()).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let nearest = collider.from + segment * along;
            let reach = collider.radius + params.hit_radius;
            let away = next - nearest;
            if away.length() < reach {
                next = nearest + away.normalize_or(rest) * reach;
                next = head + (next - head).normalize_or(rest) * length;
            }
        }
    }
    next
}

/// One simulated joint of a model.
#[derive(Debug, Clone)]
pub struct SpringJoint {
    /// The joint.
    pub entity: Entity,
    /// Its parent node.
    pub parent: Entity,
    /// Its rotation at rest, in its parent's frame.
    pub rest_rotation: Quat,
    /// Where its tail is at rest, in its own frame.
    pub tail: Vec3,
    /// How it moves.
    pub params: SpringParams,
    /// Indices into the rig's colliders.
    pub colliders: Vec<usize>,
    /// The tail now and one step ago, world space.
    pub state: Option<(Vec3, Vec3)>,
}

/// A collider attached to a node of the model.
#[derive(Debug, Clone, Copy)]
pub struct SpringCollider {
    /// The node.
    pub entity: Entity,
    /// Its centre in the node's frame.
    pub offset: Vec3,
    /// A capsule's other end in the node's frame.
    pub tail: Option<Vec3>,
    /// Radius in the node's units.
    pub radius: f32,
}

/// A model's spring bones, parents first.
#[derive(Component, Debug, Clone, Default)]
pub struct SpringRig {
    /// The joints.
    pub joints: Vec<SpringJoint>,
    /// Their colliders.
    pub colliders: Vec<SpringCollider>,
    /// Where the simulation stands, `None` before its first frame.
    pub clock: Option<SpringClock>,
}

/// Where a rig's simulation started and how far it has stepped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpringClock {
    /// The restart point ([`restart_before`]) of the time it started at.
    pub restart: f64,
    /// Concert seconds of the frame it started at: steps are counted from here.
    pub origin: f64,
    /// Steps taken since.
    pub taken: u64,
}

fn swing_springs(
    clock: Res<ConcertClock>,
    plans: Res<Plans>,
    mut rigs: Query<&mut SpringRig>,
    mut transforms: Query<(&mut Transform, &mut GlobalTransform)>,
) {
    let now = clock.seconds;
    let restart = restart_before(now, &plans.cuts);
    for mut rig in &mut rigs {
        let (steps, reset) = match rig.clock {
            Some(run) if run.restart == restart => {
                let due = ((now - run.origin) / STEP).floor();
                if due < run.taken as f64 || due - run.taken as f64 > MAX_STEPS as f64 {
                    (0, true)
                } else {
                    (due as u64 - run.taken, false)
                }
            }
            _ => (0, true),
        };
        rig.clock = Some(match (reset, rig.clock) {
            (false, Some(run)) => SpringClock {
                taken: run.taken + steps,
                ..run
            },
            _ => SpringClock {
                restart,
                origin: now,
                taken: 0,
            },
        });
        let rig = rig.into_inner();
        let colliders: Vec<WorldCollider> = rig
            .colliders
            .iter()
            .map(|collider| {
                let Ok((_, global)) = transforms.get(collider.entity) else {
                    return WorldCollider {
                        from: Vec3::splat(f32::MAX),
                        to: Vec3::splat(f32::MAX),
                        radius: 0.0,
                    };
                };
                let scale = global.compute_transform().scale.x.abs();
                let from = global.transform_point(collider.offset);
                WorldCollider {
                    from,
                    to: collider
                        .tail
                        .map_or(from, |tail| global.transform_point(tail)),
                    radius: collider.radius * scale,
                }
            })
            .collect();
        for joint in &mut rig.joints {
            let Ok((_, parent)) = transforms.get(joint.parent) else {
                continue;
            };
            let parent = *parent;
            let Ok((local, _)) = transforms.get(joint.entity) else {
                continue;
            };
            let rest_local = Transform {
                rotation: joint.rest_rotation,
                ..*local
            };
            let at_rest = parent.mul_transform(rest_local);
            let head = at_rest.translation();
            let tail = at_rest.transform_point(joint.tail);
            let length = (tail - head).length();
            let Some(rest) = (tail - head).try_normalize() else {
                continue;
            };
            let scale = at_rest.compute_transform().scale.x.abs();
            let params = SpringParams {
                hit_radius: joint.params.hit_radius * scale,
                ..joint.params
            };
            let touching: Vec<WorldCollider> = joint
                .colliders
                .iter()
                .filter_map(|&index| colliders.get(index).copied())
                .collect();
            let (mut current, mut previous) = match joint.state {
                Some(state) if !reset => state,
                _ => (tail, tail),
            };
            for _ in 0..steps {
                let next = step_tail(head, rest, length, current, previous, &params, &touching);
                previous = current;
                current = next;
            }
            joint.state = Some((current, previous));
            let aim = (current - head).try_normalize().unwrap_or(rest);
            let world = Quat::from_rotation_arc(rest, aim) * at_rest.rotation();
            let rotation = (parent.rotation().inverse() * world).normalize();
            if let Ok((mut local, mut global)) = transforms.get_mut(joint.entity) {
                local.rotation = rotation;
                *global = parent.mul_transform(*local);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> SpringParams {
        SpringParams {
            stiffness: 1.0,
            gravity: Vec3::new(0.0, -1.0, 0.0),
            drag: 0.4,
            hit_radius: 0.02,
        }
    }

    /// Steps a single tail `steps` times with the head moving by `motion` per step.
    fn run(steps: usize, motion: Vec3, colliders: &[WorldCollider]) -> Vec<Vec3> {
        let rest = Vec3::NEG_Y;
        let mut head = Vec3::ZERO;
        let (mut current, mut previous) = (rest * 0.2, rest * 0.2);
        let mut tails = Vec::new();
        for _ in 0..steps {
            head += motion;
            let next = step_tail(head, rest, 0.2, current, previous, &params(), colliders);
            previous = current;
            current = next;
            tails.push(current - head);
        }
        tails
    }

    #[test]
    fn a_tail_keeps_its_length_lags_behind_motion_and_settles() {
        let tails = run(240, Vec3::ZERO, &[]);
        assert!(tails.iter().all(|tail| (tail.length() - 0.2).abs() < 1e-4));
        // Hanging down at rest, it stays there.
        assert!(tails.last().unwrap().angle_between(Vec3::NEG_Y) < 1e-3);

        // Moving the head sideways: the tail trails behind, then settles when it stops.
        let moving = run(30, Vec3::new(0.01, 0.0, 0.0), &[]);
        assert!(moving.last().unwrap().x < -0.01, "{:?}", moving.last());
        let rest = Vec3::NEG_Y;
        let mut head = Vec3::new(0.3, 0.0, 0.0);
        let (mut current, mut previous) = (head + *moving.last().unwrap(), head + moving[28]);
        for _ in 0..600 {
            let next = step_tail(head, rest, 0.2, current, previous, &params(), &[]);
            previous = current;
            current = next;
            head += Vec3::ZERO;
        }
        assert!((current - head).angle_between(rest) < 0.01, "it settles");
        assert!(current.is_finite());
    }

    #[test]
    fn a_collider_pushes_the_tail_out_and_the_same_input_gives_the_same_path() {
        let sphere = WorldCollider {
            from: Vec3::new(0.05, -0.2, 0.0),
            to: Vec3::new(0.05, -0.2, 0.0),
            radius: 0.1,
        };
        let tails = run(120, Vec3::ZERO, &[sphere]);
        for tail in &tails {
            let away = (*tail - sphere.from).length();
            assert!(away >= 0.1 + 0.02 - 2e-3, "inside the sphere: {away}");
        }
        assert_eq!(tails, run(120, Vec3::ZERO, &[sphere]));
    }
}

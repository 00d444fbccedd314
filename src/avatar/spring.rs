//! Spring bones: hair, skirts and ribbons swinging with the dance, on imported VRM models
//! and on the built-in idols' chains ([`super::chains`]).
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

pub use encore_show::avatar::spring::{STEP, SpringParams, WorldCollider, step_tail};
use encore_show::clock::restart_before;

use crate::{clock::ConcertClock, show::Plans};

pub(super) fn plugin(app: &mut App) {
    // After transforms propagate: the dance's pose of this frame is in the globals.
    app.add_systems(PostUpdate, swing_springs.after(TransformSystems::Propagate));
}

/// Steps at most per frame; a longer gap counts as a jump.
const MAX_STEPS: u64 = 30;

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
    children: Query<&Children>,
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
            let Ok((mut local, mut global)) = transforms.get_mut(joint.entity) else {
                continue;
            };
            local.rotation = rotation;
            *global = parent.mul_transform(*local);
            let swung = *global;
            // What hangs on the joint (a built-in idol's rigid pieces, the next joint) moves
            // with it this frame; a joint further down is placed again in its own turn.
            for child in children.get(joint.entity).into_iter().flatten() {
                if let Ok((local, mut global)) = transforms.get_mut(*child) {
                    *global = swung.mul_transform(*local);
                }
            }
        }
    }
}

//! One step of a spring bone, the pure arithmetic under the app's spring bones (hair,
//! skirts and ribbons of VRM models and of the built-in idols' chains): each joint's tail is
//! a point mass that keeps some of its motion (less the drag), is pulled back towards the
//! joint's rest direction (stiffness) and by gravity, is kept at the bone's length from the
//! joint's head, and is pushed out of the colliders. Steps are a fixed 1/60 s, so the motion
//! is the same at any frame rate.

use glam::Vec3;

/// Seconds of one simulation step.
pub const STEP: f64 = 1.0 / 60.0;

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

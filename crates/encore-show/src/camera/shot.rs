//! The shot solver: one function that turns a shot (kind, target, lens, side, easing) and the
//! idols' bodies at this instant into a camera position, aim and field of view. Idol shots
//! are framed from the idol's actual joints, so the framing follows her as she dances and
//! walks.

use glam::{Mat3, Mat4, Quat, Vec2, Vec3, Vec3Swizzles};

pub use crate::choreography::Body;
use crate::{
    motion::Motion,
    setlist::{
        Setlist,
        model::ShotCue,
        raw::{CameraKey, Shot, Side},
    },
};

/// A camera: where it is, what it looks at, and its vertical field of view (radians).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lens {
    /// Camera position.
    pub eye: Vec3,
    /// The point at the centre of the frame.
    pub look: Vec3,
    /// Vertical field of view in radians.
    pub fov: f32,
    /// Turn about the line of sight, radians: the picture tilts counter-clockwise (a camera
    /// VMD's roll).
    pub roll: f32,
}

impl Lens {
    /// The lens `t` of the way to `other`.
    pub fn lerp(&self, other: &Lens, t: f32) -> Lens {
        Lens {
            eye: self.eye.lerp(other.eye, t),
            look: self.look.lerp(other.look, t),
            fov: self.fov + (other.fov - self.fov) * t,
            roll: self.roll + (other.roll - self.roll) * t,
        }
    }

    /// The camera's rotation: looking from the eye at the look point, up kept up (as Bevy's
    /// `Transform::looking_at` computes it, to the bit).
    pub fn rotation(&self) -> Quat {
        let look = if self.look.distance(self.eye) < 1e-3 {
            self.eye - Vec3::Z
        } else {
            self.look
        };
        let towards = look - self.eye;
        let length = towards.length();
        let forward = if length.is_finite() && length > 0.0 {
            towards / length
        } else {
            Vec3::NEG_Z
        };
        let back = -forward;
        let right = Vec3::Y
            .cross(back)
            .try_normalize()
            .unwrap_or_else(|| Vec3::Y.any_orthonormal_vector());
        let up = back.cross(right);
        Quat::from_mat3(&Mat3::from_cols(right, up, back)) * Quat::from_rotation_z(self.roll)
    }

    /// Where `point` lands on screen, in -1..1 on both axes (y up), for an `aspect`
    /// (width / height) frame; `None` behind the camera.
    pub fn project(&self, point: Vec3, aspect: f32) -> Option<Vec2> {
        let view =
            Mat4::from_scale_rotation_translation(Vec3::ONE, self.rotation(), self.eye).inverse();
        let local = view.transform_point3(point);
        if local.z >= -0.01 {
            return None;
        }
        let half = (self.fov / 2.0).tan();
        Some(Vec2::new(
            local.x / (-local.z * half * aspect),
            local.y / (-local.z * half),
        ))
    }
}

/// A face's radius, metres, for keeping it clear of the overlay.
const FACE_RADIUS: f32 = 0.14;
/// How close to the frame's edge a face may be pushed, a share of the frame.
const EDGE: f32 = 0.02;

/// `lens` turned so that no face in `heads` lies in `area` of an `aspect` frame, where the
/// chat overlay sits: `area` is the rectangle's corners as shares of the frame, x from the
/// left and y from the top. The camera pans (or tilts, whichever moves less) just enough to
/// clear the faces in the area, and no further than keeps the other faces in the frame, so
/// a shot whose faces cannot all clear it keeps as many as it can. A lens with no face in
/// the area comes back as it was.
pub fn keep_faces_clear(lens: Lens, heads: &[Vec3], area: (Vec2, Vec2), aspect: f32) -> Lens {
    let half = (lens.fov / 2.0).tan();
    // Each visible face: its centre and half-size in frame shares.
    let faces: Vec<(Vec2, Vec2)> = heads
        .iter()
        .filter_map(|head| {
            let at = lens.project(*head, aspect)?;
            let centre = Vec2::new((at.x + 1.0) / 2.0, (1.0 - at.y) / 2.0);
            let distance = (*head - lens.eye).length().max(0.1);
            let size = FACE_RADIUS / (distance * half) / 2.0;
            let extent = Vec2::new(size / aspect, size);
            let inside = centre.cmpge(Vec2::ZERO).all() && centre.cmple(Vec2::ONE).all();
            inside.then_some((centre, extent))
        })
        .collect();
    let (low, high) = area;
    let hit = |(centre, extent): &(Vec2, Vec2)| {
        (centre + *extent).cmpgt(low).all() && (centre - *extent).cmplt(high).all()
    };
    if !faces.iter().any(hit) {
        return lens;
    }
    // How far the picture must move each way to clear the area, and how far it may before
    // a face leaves the frame; positive moves the picture left (or up).
    let needed = |axis: usize, forward: bool| -> Option<f32> {
        let shift = faces
            .iter()
            .filter(|face| hit(face))
            .map(|(centre, extent)| {
                if forward {
                    centre[axis] + extent[axis] - low[axis]
                } else {
                    high[axis] - (centre[axis] - extent[axis])
                }
            })
            .fold(0.0f32, f32::max);
        let room = faces
            .iter()
            .map(|(centre, extent)| {
                if forward {
                    centre[axis] - extent[axis] - EDGE
                } else {
                    1.0 - EDGE - (centre[axis] + extent[axis])
                }
            })
            .fold(f32::INFINITY, f32::min)
            .max(0.0);
        (shift > 0.0).then(|| shift.min(room) * if forward { 1.0 } else { -1.0 })
    };
    let options = [
        needed(0, true).map(|shift| (0, shift)),
        needed(0, false).map(|shift| (0, shift)),
        needed(1, true).map(|shift| (1, shift)),
        needed(1, false).map(|shift| (1, shift)),
    ];
    // The area's open side is the way out: the smallest move that clears every face, else
    // the largest the frame allows.
    let Some((axis, shift)) = options
        .into_iter()
        .flatten()
        .filter(|(_, shift)| shift.abs() > 0.0)
        .min_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
    else {
        return lens;
    };
    let rotation = lens.rotation();
    let (right, up) = (rotation * Vec3::X, rotation * Vec3::Y);
    let forward = lens.look - lens.eye;
    // Moving the picture left by `shift` of the frame turns the camera right by this much.
    let turned = if axis == 0 {
        let angle = (2.0 * shift * half * aspect).atan();
        Quat::from_axis_angle(up, -angle)
    } else {
        let angle = (2.0 * shift * half).atan();
        Quat::from_axis_angle(right, -angle)
    };
    Lens {
        look: lens.eye + turned * forward,
        ..lens
    }
}

/// The point on stage the wide shot looks at: the performers' chests.
pub const STAGE_FOCUS: Vec3 = Vec3::new(0.0, 1.1, 0.0);
/// The frame's aspect ratio shots are composed for.
const ASPECT: f32 = 16.0 / 9.0;
/// How far off the audience axis a `Left`/`Right` camera stands.
const SIDE_ANGLE: f32 = 0.6;

/// The wide shot: a slow sway across the front of the stage, one cycle every 20 seconds.
pub fn wide(seconds: f64) -> Lens {
    let angle = (seconds as f32 * std::f32::consts::TAU / 20.0).sin() * 0.35;
    Lens {
        // From behind the front rows, so the lightsticks fill the bottom of the picture.
        eye: Vec3::new(17.0 * angle.sin(), 4.6, 17.0 * angle.cos()),
        look: STAGE_FOCUS,
        fov: 36f32.to_radians(),
        roll: 0.0,
    }
}

/// Distance at which a vertical span of `span` metres fills the frame at `fov`.
fn distance_for(span: f32, fov: f32) -> f32 {
    span / (2.0 * (fov / 2.0).tan())
}

/// The horizontal direction from the target to the camera for `side`, leaning towards where
/// an idol faces, but always on the audience's side (the line of action is never crossed).
fn direction(side: Side, facing: Option<Vec3>) -> Vec3 {
    let angle = match side {
        Side::Front => 0.0,
        Side::Left => SIDE_ANGLE,
        Side::Right => -SIDE_ANGLE,
    };
    let base = Vec3::new(angle.sin(), 0.0, angle.cos());
    let leaning = match facing {
        Some(facing) => (base + facing * 0.5).normalize_or(base),
        None => base,
    };
    let mut direction = leaning;
    direction.z = direction.z.max(0.45);
    direction.normalize_or(Vec3::Z)
}

/// What a shot is aimed at: an idol's body or the group.
struct Target {
    /// Aim point.
    center: Vec3,
    /// Horizontal half-width of what must stay in frame.
    spread: f32,
    /// The idol's facing, when it is one idol.
    facing: Option<Vec3>,
    /// The height things are scaled by.
    height: f32,
}

fn idol_target(body: &Body) -> Target {
    Target {
        center: Vec3::new(body.hips.x, body.height * 0.55, body.hips.z),
        spread: 0.5,
        facing: Some(body.facing),
        height: body.height,
    }
}

fn group_target(bodies: &[Body]) -> Target {
    if bodies.is_empty() {
        return Target {
            center: STAGE_FOCUS,
            spread: 2.0,
            facing: None,
            height: 1.65,
        };
    }
    let center = bodies.iter().map(|body| body.hips).sum::<Vec3>() / bodies.len() as f32;
    let spread = bodies
        .iter()
        .map(|body| (body.hips - center).xz().length())
        .fold(0.5f32, f32::max);
    Target {
        center: Vec3::new(center.x, 1.0, center.z),
        spread,
        facing: None,
        height: bodies.iter().map(|body| body.height).sum::<f32>() / bodies.len() as f32,
    }
}

/// Small seeded camera-operator shake at `seconds`: position offset and look offset.
fn shake(seed: u64, seconds: f64) -> (Vec3, Vec3) {
    let phase =
        |k: u64| ((seed.wrapping_mul(0x9e37_79b9).wrapping_add(k * 7919)) % 1000) as f32 * 0.00628;
    let t = seconds as f32;
    let wave = |k: u64, speed: f32| {
        (t * speed + phase(k)).sin() * 0.6 + (t * speed * 2.3 + phase(k + 1)).sin() * 0.4
    };
    (
        Vec3::new(wave(1, 0.9), wave(3, 1.1), wave(5, 0.7)) * 0.035,
        Vec3::new(wave(7, 1.3), wave(9, 1.7), 0.0) * 0.03,
    )
}

/// Solves `cue` at `seconds`, `progress` (0 to 1) through the shot, `beats` since it began.
pub fn solve(
    cue: &ShotCue,
    setlist: &Setlist,
    bodies: &[Body],
    seconds: f64,
    progress: f32,
    beats: f32,
) -> Lens {
    let body = |id: &str| setlist.idol(id).and_then(|(index, _)| bodies.get(index));
    let target = match cue.on.as_deref().and_then(body) {
        Some(body) => idol_target(body),
        None => group_target(bodies),
    };
    let fov = |default: f32| cue.fov.unwrap_or(default).to_radians();
    let eased = cue.ease.apply(progress);
    let mut lens = match &cue.shot {
        Shot::Wide => wide(seconds),
        Shot::Medium => {
            let fov = fov(35.0);
            let span = (2.4f32).max((target.spread * 2.0 + 1.6) / ASPECT);
            let look = target.center + Vec3::Y * 0.2;
            Lens {
                eye: look + direction(cue.side, None) * distance_for(span, fov) + Vec3::Y * 0.9,
                look,
                fov,
                roll: 0.0,
            }
        }
        Shot::CloseUp(id) | Shot::UpperBody(id) => match body(id) {
            Some(body) => {
                let close = matches!(cue.shot, Shot::CloseUp(_));
                let scale = body.height / 1.65;
                let (look, span, fov) = if close {
                    // Head and shoulders.
                    (
                        body.head + Vec3::Y * 0.02 * body.height,
                        (0.62 * scale).max(2.0 * body.face_size),
                        fov(28.0),
                    )
                } else {
                    (body.hips.lerp(body.head, 0.65), 1.15 * scale, fov(32.0))
                };
                Lens {
                    eye: look
                        + direction(cue.side, Some(body.facing)) * distance_for(span, fov)
                        + Vec3::Y * 0.04,
                    look,
                    fov,
                    roll: 0.0,
                }
            }
            None => wide(seconds),
        },
        Shot::FullBody(id) | Shot::Tracking(id) => match body(id) {
            Some(body) => full_body(body, cue, fov(30.0)),
            None => wide(seconds),
        },
        Shot::TwoShot(a, b) => match (body(a), body(b)) {
            (Some(a), Some(b)) => {
                let fov = fov(32.0);
                let chest = |body: &Body| body.hips.lerp(body.head, 0.6);
                let look = (chest(a) + chest(b)) / 2.0;
                let apart = (a.hips - b.hips).xz().length();
                let span = (1.6f32).max((apart + 1.8) / ASPECT);
                Lens {
                    eye: look + direction(cue.side, None) * distance_for(span, fov) + Vec3::Y * 0.1,
                    look,
                    fov,
                    roll: 0.0,
                }
            }
            _ => wide(seconds),
        },
        Shot::Orbit => {
            let radius = if target.facing.is_some() {
                3.4
            } else {
                5.5 + target.spread * 2.0
            };
            let side = direction(cue.side, None);
            let angle = side.x.atan2(side.z) + (eased - 0.5) * 1.4;
            Lens {
                eye: target.center + Vec3::new(angle.sin() * radius, 1.0, angle.cos() * radius),
                look: target.center,
                fov: fov(35.0),
                roll: 0.0,
            }
        }
        Shot::DollyIn | Shot::DollyOut => {
            let (near, far) = if target.facing.is_some() {
                (2.2, 5.5)
            } else {
                (5.0 + target.spread, 11.0 + target.spread)
            };
            let t = if matches!(cue.shot, Shot::DollyIn) {
                eased
            } else {
                1.0 - eased
            };
            let distance = far + (near - far) * t;
            Lens {
                eye: target.center + direction(cue.side, target.facing) * distance + Vec3::Y * 0.5,
                look: target.center,
                fov: fov(35.0),
                roll: 0.0,
            }
        }
        Shot::Crane => {
            let distance = if target.facing.is_some() {
                5.0
            } else {
                8.0 + target.spread
            };
            let rise = 0.6 + 4.4 * eased;
            Lens {
                eye: Vec3::new(target.center.x, 0.0, target.center.z)
                    + direction(cue.side, None) * distance
                    + Vec3::Y * rise,
                look: target.center,
                fov: fov(40.0),
                roll: 0.0,
            }
        }
        Shot::Handheld => {
            let (offset, aim) = shake(setlist.seed, seconds);
            let span = if target.facing.is_some() {
                1.1 * target.height / 1.65
            } else {
                (2.4f32).max((target.spread * 2.0 + 1.4) / ASPECT)
            };
            let fov = fov(34.0);
            let look = target.center + Vec3::Y * 0.3;
            // From a little above, over the heads of members in front of the target.
            Lens {
                eye: look
                    + direction(cue.side, target.facing) * distance_for(span, fov)
                    + Vec3::Y * 0.6
                    + offset,
                look: look + aim,
                fov,
                roll: 0.0,
            }
        }
        Shot::Overhead => Lens {
            eye: Vec3::new(0.5 * (seconds as f32 * 0.4).sin(), 13.0, 3.0),
            look: Vec3::new(0.0, 0.0, 0.3),
            fov: fov(45.0),
            roll: 0.0,
        },
        Shot::LowAngle => Lens {
            eye: Vec3::new(1.5 * (seconds as f32 * 0.4).sin(), 0.35, 4.5),
            look: Vec3::new(0.0, 1.7, 0.0),
            fov: fov(45.0),
            roll: 0.0,
        },
        Shot::Crowd => Lens {
            // A fan's eyes, among the lightsticks beside the runway.
            eye: Vec3::new(4.0 + 0.3 * (seconds as f32 * 0.4).sin(), 1.6, 15.0),
            look: Vec3::new(0.0, 1.8, 0.0),
            fov: fov(45.0),
            roll: 0.0,
        },
        Shot::Path(keys) => path(keys, beats, cue),
        // The director plays camera files through `motion`, which needs the shot's start;
        // here (a cue whose file did not load) the wide shot stands in.
        Shot::Motion(_) => wide(seconds),
    };
    lens.eye.y += cue.height;
    lens
}

/// Full body, head to toe, following her across the stage; the frame holds still vertically
/// so her moves read against it.
fn full_body(body: &Body, cue: &ShotCue, fov: f32) -> Lens {
    let look = Vec3::new(body.hips.x, body.height * 0.52, body.hips.z);
    let span = body.height * 1.45;
    Lens {
        eye: look + direction(cue.side, None) * distance_for(span, fov) + Vec3::Y * 0.15,
        look,
        fov,
        roll: 0.0,
    }
}

/// The fancam: one member, full body, the whole concert.
pub fn fancam(body: &Body) -> Lens {
    full_body(body, &ShotCue::new(Shot::Wide), 30f32.to_radians())
}

/// A MikuMikuDance camera `seconds` after the shot started, exactly as the file has it:
/// MMD's units become metres at the cast's size (the file's model is MMD's standard one,
/// about 20 units tall), around the idol the cue is `on` or the stage's centre.
pub fn motion(camera: &Motion, cue: &ShotCue, setlist: &Setlist, seconds: f32) -> Lens {
    let Some(view) = camera.camera_at(seconds) else {
        return wide(f64::from(seconds));
    };
    let on = cue.on.as_deref().and_then(|id| setlist.idol(id));
    let height = match on {
        Some((_, idol)) => idol.height,
        None if !setlist.cast.is_empty() => {
            setlist.cast.iter().map(|idol| idol.height).sum::<f32>() / setlist.cast.len() as f32
        }
        None => 1.65,
    };
    let metres = camera.scale() * height;
    let origin = on.map_or(Vec3::ZERO, |(_, idol)| {
        Vec3::new(idol.home.x, 0.0, idol.home.y)
    });
    Lens {
        eye: origin + view.eye * metres,
        look: origin + view.look * metres,
        fov: cue.fov.unwrap_or(view.fov).to_radians(),
        roll: view.roll,
    }
}

/// A camera path at `beats` since the shot started: eased between keys.
fn path(keys: &[CameraKey], beats: f32, cue: &ShotCue) -> Lens {
    let lens = |key: &CameraKey, fov: f32| Lens {
        eye: Vec3::from(key.eye),
        look: Vec3::from(key.look),
        fov: key.fov.unwrap_or(fov).to_radians(),
        roll: 0.0,
    };
    let mut fov = cue.fov.unwrap_or(35.0);
    let mut previous: Option<Lens> = None;
    let mut previous_beat = 0.0;
    for key in keys {
        let this = lens(key, fov);
        fov = this.fov.to_degrees();
        if key.beat >= beats {
            return match previous {
                Some(previous) if key.beat > previous_beat => {
                    let t = (beats - previous_beat) / (key.beat - previous_beat);
                    previous.lerp(&this, cue.ease.apply(t))
                }
                _ => this,
            };
        }
        previous = Some(this);
        previous_beat = key.beat;
    }
    previous.unwrap_or_else(|| wide(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faces_in_the_chats_corner_are_panned_clear_and_others_left_alone() {
        let lens = Lens {
            eye: Vec3::new(0.0, 1.5, 8.0),
            look: Vec3::new(0.0, 1.5, 0.0),
            fov: 30f32.to_radians(),
            roll: 0.0,
        };
        let aspect = 16.0 / 9.0;
        let side = (Vec2::new(0.745, 0.40), Vec2::new(0.985, 0.955));
        let frame_x = |lens: &Lens, head: Vec3| (lens.project(head, aspect).unwrap().x + 1.0) / 2.0;
        let (right, left) = (Vec3::new(2.0, 1.5, 0.0), Vec3::new(-1.0, 1.5, 0.0));
        assert!(frame_x(&lens, right) > 0.745, "starts under the chat");
        let clear = keep_faces_clear(lens, &[right, left], side, aspect);
        assert!(
            frame_x(&clear, right) < 0.745 - 0.01,
            "{}",
            frame_x(&clear, right)
        );
        assert!(
            frame_x(&clear, left) > 0.02,
            "the other face stays in the frame"
        );
        assert_eq!(clear.eye, lens.eye, "the camera turns, it does not move");
        // Nothing in the area: the lens as it was.
        assert_eq!(keep_faces_clear(lens, &[left], side, aspect), lens);
        // A lower third on the left: a face low on the left goes up or right, the least.
        let lower = (Vec2::new(0.02, 0.755), Vec2::new(0.52, 0.955));
        let low_left = Vec3::new(-1.0, 0.1, 0.0);
        let moved = keep_faces_clear(lens, &[low_left], lower, aspect);
        let at = moved.project(low_left, aspect).unwrap();
        let (x, y) = ((at.x + 1.0) / 2.0, (1.0 - at.y) / 2.0);
        assert!(y < 0.755 || x > 0.52, "{x} {y}");
    }

    #[test]
    fn a_rolled_lens_turns_the_picture_by_its_roll() {
        let level = Lens {
            eye: Vec3::new(0.0, 1.5, 8.0),
            look: Vec3::new(0.5, 1.2, 0.0),
            fov: 0.6,
            roll: 0.0,
        };
        let rolled = Lens {
            roll: 0.43,
            ..level
        };
        let tilt = (rolled.rotation() * Vec3::Y).angle_between(level.rotation() * Vec3::Y);
        assert!((tilt - 0.43).abs() < 1e-4, "{tilt}");
        // The line of sight stays where it was.
        let ahead = (rolled.rotation() * Vec3::NEG_Z).angle_between(level.rotation() * Vec3::NEG_Z);
        assert!(ahead < 1e-4, "{ahead}");
        // Halfway to a level lens, half the roll.
        assert!((rolled.lerp(&level, 0.5).roll - 0.215).abs() < 1e-6);
    }
}

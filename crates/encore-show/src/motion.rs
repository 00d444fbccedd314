//! Motion files from other tools: MikuMikuDance's VMD dances and camera paths, BVH motion
//! capture and VRM animations (VRMA). Each is read into its own skeleton and played on any
//! idol through the humanoid bones: a member dances one over bars of a song (see
//! `docs/setlist.md`, "Motion files"), and a VMD camera path becomes a camera shot.
//!
//! Parsing and sampling are plain functions of the file's bytes and a time; the choreography
//! samples the motion for the pose, so seeking, reloading and recording all land on the same
//! frame.

pub mod bvh;
pub mod mmd;
pub mod native;
pub mod physics;
pub mod rig;
pub mod vmd;
pub mod vrma;

use std::{
    fmt,
    path::{Path, PathBuf},
};

use glam::{Quat, Vec3};
use thiserror::Error;

use self::rig::{FootTarget, Mapping, Rig};
use crate::avatar::{
    expression::{EXPRESSION_COUNT, Expression},
    skeleton::{Bone, Pose},
};

/// Why a motion file cannot be used.
#[derive(Debug, Clone, Error, PartialEq)]
pub enum MotionError {
    /// The file could not be read.
    #[error("cannot read {path}: {reason}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the file system said.
        reason: String,
    },
    /// The file is not a motion encore knows.
    #[error(
        "{path} is not a motion file encore reads: it is neither VMD (`Vocaloid Motion Data`), \
         BVH (`HIERARCHY`) nor VRMA (glTF with VRMC_vrm_animation); export the motion as one \
         of these"
    )]
    Unknown {
        /// The file.
        path: PathBuf,
    },
    /// A file of a known format that is broken.
    #[error("{path}: {problem}; {fix}")]
    Broken {
        /// The file.
        path: PathBuf,
        /// What is wrong and where.
        problem: String,
        /// What to do about it.
        fix: &'static str,
    },
}

/// A motion file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// MikuMikuDance motion.
    Vmd,
    /// Biovision hierarchy (motion capture).
    Bvh,
    /// VRM animation.
    Vrma,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Vmd => "VMD (MikuMikuDance motion)",
            Format::Bvh => "BVH (motion capture)",
            Format::Vrma => "VRMA (VRM animation)",
        })
    }
}

/// The format's own data, bound to its skeleton.
#[derive(Debug, Clone, PartialEq)]
enum Source {
    Vmd {
        vmd: vmd::Vmd,
        bound: mmd::Bound,
    },
    Bvh {
        bvh: bvh::Bvh,
        facing: Quat,
        floor: f32,
        start: Vec3,
    },
    Vrma(vrma::Vrma),
}

/// A motion read from a file, ready to sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Motion {
    /// The file's format.
    pub format: Format,
    /// Seconds from the first frame to the last.
    pub duration: f32,
    /// Frames per second the file is written at.
    pub fps: f32,
    source: Source,
    rig: Rig,
    /// How the body maps onto encore's skeleton; `None` for a camera-only VMD.
    mapping: Option<Mapping>,
    /// Units of an idol's height per unit of the file.
    scale: f32,
}

/// What a motion does at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MotionFrame {
    /// The body, in encore's terms.
    pub pose: Pose,
    /// The expressions the motion sets; `None` leaves one to the show.
    pub face: [Option<f32>; EXPRESSION_COUNT],
    /// Where its look-at track turns the eyes: yaw and pitch in degrees (left and up
    /// positive) in the head's frame.
    pub look: Option<(f32, f32)>,
}

/// A camera from a motion: where it is and looks, in the motion's units and encore's axes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CameraView {
    /// Camera position.
    pub eye: Vec3,
    /// The point it looks at.
    pub look: Vec3,
    /// Vertical field of view, degrees.
    pub fov: f32,
    /// Turn about the line of sight, radians (the picture tilts counter-clockwise).
    pub roll: f32,
}

impl Motion {
    /// The VMD file behind a MikuMikuDance motion (`None` for BVH and VRMA).
    pub fn vmd(&self) -> Option<&vmd::Vmd> {
        match &self.source {
            Source::Vmd { vmd, .. } => Some(vmd),
            _ => None,
        }
    }

    /// Reads the motion file at `path`.
    pub fn read(path: &Path) -> Result<Motion, MotionError> {
        let bytes = std::fs::read(path).map_err(|error| MotionError::Read {
            path: path.to_owned(),
            reason: error.to_string(),
        })?;
        Motion::from_bytes(path, &bytes)
    }

    /// Reads a motion from a file's bytes (`path` names it in errors).
    pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Motion, MotionError> {
        let broken = |fix: &'static str| {
            move |problem: String| MotionError::Broken {
                path: path.to_owned(),
                problem,
                fix,
            }
        };
        let start = bytes
            .iter()
            .position(|byte| !byte.is_ascii_whitespace())
            .map_or(&[][..], |at| &bytes[at..]);
        if bytes.starts_with(b"Vocaloid Motion Data") {
            let vmd = vmd::parse(bytes).map_err(broken(
                "save the motion again from MikuMikuDance or MikuMikuMoving",
            ))?;
            Ok(Motion::from_vmd(vmd))
        } else if start.len() >= 9 && start[..9].eq_ignore_ascii_case(b"HIERARCHY") {
            let text = String::from_utf8_lossy(bytes);
            let bvh = bvh::parse(&text)
                .map_err(broken("export the capture again as BVH from your tool"))?;
            Motion::from_bvh(bvh).map_err(broken(
                "name the joints as CMU, Mixamo or Daz do (Hips, LeftUpLeg, lThigh…)",
            ))
        } else if bytes.starts_with(b"glTF") || start.first() == Some(&b'{') {
            let vrma = vrma::parse(path, bytes).map_err(broken(
                "export it again as VRM Animation (.vrma) with the humanoid bones mapped",
            ))?;
            Motion::from_vrma(vrma).map_err(broken(
                "export it again as VRM Animation (.vrma) with the humanoid bones mapped",
            ))
        } else {
            Err(MotionError::Unknown {
                path: path.to_owned(),
            })
        }
    }

    fn from_vmd(vmd: vmd::Vmd) -> Motion {
        let rig = mmd::standard_rig();
        let bound = mmd::bind(&vmd, &rig);
        // A camera file has no body, but MMD's standard skeleton still sets its units.
        let standard = Mapping::new(&rig);
        let scale = standard.as_ref().map_or(0.05, |mapping| mapping.scale);
        let mapping = standard.filter(|_| !vmd.bones.is_empty() || !vmd.morphs.is_empty());
        Motion {
            scale,
            format: Format::Vmd,
            duration: vmd.last_frame() as f32 / vmd::VMD_FPS,
            fps: vmd::VMD_FPS,
            source: Source::Vmd { vmd, bound },
            rig,
            mapping,
        }
    }

    fn from_bvh(bvh: bvh::Bvh) -> Result<Motion, String> {
        let (rig, facing) = bvh.rig();
        let mapping = Mapping::new(&rig).ok_or_else(|| {
            format!(
                "no joint is the hips among {}",
                bvh.joints
                    .iter()
                    .take(6)
                    .map(|joint| format!("`{}`", joint.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        let (_, start) = bvh.sample(0.0);
        Ok(Motion {
            scale: mapping.scale,
            format: Format::Bvh,
            duration: (bvh.frames.saturating_sub(1)) as f32 * bvh.frame_time,
            fps: 1.0 / bvh.frame_time,
            source: Source::Bvh {
                floor: bvh.rest_floor(),
                start: bvh.joints[0].offset + start,
                facing,
                bvh,
            },
            rig,
            mapping: Some(mapping),
        })
    }

    fn from_vrma(vrma: vrma::Vrma) -> Result<Motion, String> {
        let rig = vrma.rig.clone();
        let mapping =
            Mapping::new(&rig).ok_or_else(|| "its humanoid has no hips bone".to_owned())?;
        Ok(Motion {
            scale: mapping.scale,
            format: Format::Vrma,
            duration: vrma.duration,
            fps: vrma.fps,
            source: Source::Vrma(vrma),
            rig,
            mapping: Some(mapping),
        })
    }

    /// Whether it moves a body (a camera VMD does not).
    pub fn has_body(&self) -> bool {
        self.mapping.is_some()
    }

    /// Whether it holds a camera path.
    pub fn has_camera(&self) -> bool {
        matches!(&self.source, Source::Vmd { vmd, .. } if !vmd.camera.is_empty())
    }

    /// Units of an idol's height per unit of the file (translations and camera paths).
    pub fn scale(&self) -> f32 {
        self.scale
    }

    /// The body and face at `seconds` into the motion (held at the ends); `None` without a
    /// body.
    pub fn sample(&self, seconds: f32) -> Option<MotionFrame> {
        let mapping = self.mapping.as_ref()?;
        let seconds = seconds.clamp(0.0, self.duration);
        let mut face = [None; EXPRESSION_COUNT];
        let mut look = None;
        let pose = match &self.source {
            Source::Vmd { vmd, bound } => {
                let frame = seconds * vmd::VMD_FPS;
                for &(track, expression) in &bound.faces {
                    face[expression.index()] =
                        Some(vmd.morphs[track].sample(frame).clamp(0.0, 1.0));
                }
                let (world, feet) = mmd::pose_at(vmd, &self.rig, bound, frame);
                mapping.pose(&world, feet)
            }
            Source::Bvh {
                bvh,
                facing,
                floor,
                start,
            } => {
                let (mut rotations, root) = bvh.sample(seconds);
                let mut translations: Vec<Vec3> =
                    self.rig.joints.iter().map(|joint| joint.offset).collect();
                rotations[0] = *facing * rotations[0];
                let travelled = bvh.joints[0].offset + root - Vec3::new(start.x, 0.0, start.z);
                translations[0] = *facing * travelled + Vec3::Y * *floor;
                let world = self.rig.world(&rotations, &translations);
                mapping.pose(&world, self.feet_of(mapping, &world))
            }
            Source::Vrma(vrma) => {
                let (rotations, translations, weights) = vrma.sample(&self.rig, seconds);
                for (expression, weight) in weights {
                    face[expression.index()] = Some(weight);
                }
                look = vrma.look_at(seconds);
                let world = self.rig.world(&rotations, &translations);
                mapping.pose(&world, self.feet_of(mapping, &world))
            }
        };
        Some(MotionFrame { pose, face, look })
    }

    /// Keeps the source's ankles where they are (scaled onto the idol), the knees pointing
    /// where the source's point.
    fn feet_of(&self, mapping: &Mapping, world: &rig::World) -> [Option<FootTarget>; 2] {
        [
            [Bone::LeftUpperLeg, Bone::LeftLowerLeg, Bone::LeftFoot],
            [Bone::RightUpperLeg, Bone::RightLowerLeg, Bone::RightFoot],
        ]
        .map(|leg| {
            let [hip, knee, ankle] =
                leg.map(|bone| mapping.source(bone).map(|j| world.positions[j]));
            let ankle = ankle?;
            let knee = hip.zip(knee).and_then(|(hip, knee)| {
                let line = (ankle - hip).try_normalize()?;
                let out = knee - hip - line * (knee - hip).dot(line);
                (out.length() > 1e-3 * (ankle - hip).length()).then_some(out)
            });
            Some(FootTarget {
                ankle,
                toes: None,
                knee,
            })
        })
    }

    /// The camera at `seconds` (VMD camera paths only).
    pub fn camera_at(&self, seconds: f32) -> Option<CameraView> {
        let Source::Vmd { vmd, .. } = &self.source else {
            return None;
        };
        let key = vmd.camera_at(seconds.clamp(0.0, self.duration) * vmd::VMD_FPS)?;
        let turn = Quat::from_rotation_y(key.rotation.y)
            * Quat::from_rotation_x(key.rotation.x)
            * Quat::from_rotation_z(-key.rotation.z);
        let (distance, fov) = if key.perspective {
            (-key.distance, key.fov)
        } else {
            // MMD's orthographic view, as a long lens far back framing the same height.
            let far = (key.fov.to_radians() * 0.5).tan() / 1f32.to_radians().tan();
            (-key.distance * far.max(1.0), 2.0)
        };
        Some(CameraView {
            eye: key.center + turn * Vec3::new(0.0, 0.0, distance),
            look: key.center,
            fov,
            roll: -key.rotation.z,
        })
    }

    /// Names of the file's bones and whether each moves a humanoid bone (or, for VMD, an IK
    /// chain or a parent of the body).
    pub fn bones(&self) -> Vec<(String, Option<String>)> {
        match &self.source {
            Source::Vmd { vmd, bound } => vmd
                .bones
                .iter()
                .map(|track| {
                    let known = !bound.unknown_bones.contains(&track.name);
                    let role = self
                        .rig
                        .joints
                        .iter()
                        .find(|joint| vmd::names_match(&track.name, &joint.name))
                        .map(|joint| match joint.bone {
                            Some(bone) => bone.vrm_name().to_owned(),
                            None if mmd::LEG_IK
                                .iter()
                                .any(|(leg, toe)| joint.name == *leg || joint.name == *toe) =>
                            {
                                "leg IK".to_owned()
                            }
                            None => "carried down the body".to_owned(),
                        });
                    (track.name.clone(), role.filter(|_| known))
                })
                .collect(),
            _ => self
                .rig
                .joints
                .iter()
                .map(|joint| {
                    (
                        joint.name.clone(),
                        joint.bone.map(|bone| bone.vrm_name().to_owned()),
                    )
                })
                .collect(),
        }
    }

    /// Names of the file's morphs or expressions and the expression each drives.
    pub fn morphs(&self) -> Vec<(String, Option<Expression>)> {
        match &self.source {
            Source::Vmd { vmd, bound } => vmd
                .morphs
                .iter()
                .enumerate()
                .map(|(index, track)| {
                    let expression = bound
                        .faces
                        .iter()
                        .find(|(face, _)| *face == index)
                        .map(|(_, expression)| *expression);
                    (track.name.clone(), expression)
                })
                .collect(),
            Source::Vrma(vrma) => vrma.expression_names(),
            Source::Bvh { .. } => Vec::new(),
        }
    }

    /// Keyframe counts for `inspect`: (what, how many).
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        match &self.source {
            Source::Vmd { vmd, .. } => vec![
                ("bone keyframes", vmd.counts.bones),
                ("morph keyframes", vmd.counts.morphs),
                ("camera keyframes", vmd.counts.cameras),
                ("light keyframes", vmd.counts.lights),
                ("self-shadow keyframes", vmd.counts.shadows),
                ("IK on/off keyframes", vmd.counts.iks),
            ],
            Source::Bvh { bvh, .. } => vec![
                ("frames", bvh.frames),
                ("channels per frame", bvh.channels),
                ("joints", bvh.joints.len()),
            ],
            Source::Vrma(vrma) => vec![
                ("channels", vrma.channel_count()),
                ("keyframes", vrma.key_count()),
                ("humanoid bones", vrma.humanoid_count()),
            ],
        }
    }

    /// A line about the file's own header: the model a VMD was written for, a BVH's rotation
    /// orders and size.
    pub fn notes(&self) -> Vec<String> {
        match &self.source {
            Source::Vmd { vmd, .. } => vec![format!("written for the model \"{}\"", vmd.model)],
            Source::Bvh { bvh, facing, .. } => {
                let mut orders: Vec<String> = bvh.joints.iter().map(bvh::rotation_order).collect();
                orders.sort();
                orders.dedup();
                orders.retain(|order| !order.is_empty());
                let mut notes = vec![format!("rotation orders: {}", orders.join(", "))];
                if let Some(mapping) = &self.mapping {
                    let rest = self.rig.rest();
                    let height = rest
                        .positions
                        .iter()
                        .map(|position| position.y)
                        .fold(f32::MIN, f32::max)
                        - bvh.rest_floor();
                    notes.push(format!(
                        "skeleton about {height:.1} units tall: {:.3} m to the unit on a 1.65 m \
                         idol",
                        mapping.scale * 1.65
                    ));
                }
                if facing.angle_between(Quat::IDENTITY) > 0.1 {
                    notes.push(format!(
                        "faces away from +Z: turned {:.0}° to face the audience",
                        facing.to_axis_angle().1.to_degrees()
                    ));
                }
                notes
            }
            Source::Vrma(vrma) => vrma.notes(),
        }
    }
}

/// What `encore motion inspect` prints: format, duration, frame rate, keyframe counts, the
/// bones and morphs and what each drives, and with `avatar` (an inspected model) which of the
/// motion's humanoid bones the avatar has.
pub fn report(
    file: &Path,
    motion: &Motion,
    avatar: Option<&crate::avatar::inspect::Inspection>,
) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "{}", file.display());
    let _ = writeln!(out, "  format:    {}", motion.format);
    let _ = writeln!(
        out,
        "  duration:  {:.2} s at {:.0} fps ({} frames)",
        motion.duration,
        motion.fps,
        (motion.duration * motion.fps).round() as u64 + 1
    );
    for note in motion.notes() {
        let _ = writeln!(out, "  note:      {note}");
    }
    let counts: Vec<String> = motion
        .counts()
        .into_iter()
        .map(|(what, count)| format!("{count} {what}"))
        .collect();
    let _ = writeln!(out, "  contains:  {}", counts.join(", "));
    let bones = motion.bones();
    let (used, skipped): (Vec<_>, Vec<_>) = bones.iter().partition(|(_, role)| role.is_some());
    let _ = writeln!(
        out,
        "  bones:     {} in the file, {} used, {} skipped",
        bones.len(),
        used.len(),
        skipped.len()
    );
    for (name, role) in &used {
        let _ = writeln!(out, "    {name} -> {}", role.as_deref().unwrap_or_default());
    }
    if !skipped.is_empty() {
        let names: Vec<&str> = skipped.iter().map(|(name, _)| name.as_str()).collect();
        let _ = writeln!(out, "    skipped (no humanoid bone): {}", names.join(", "));
    }
    let morphs = motion.morphs();
    if !morphs.is_empty() {
        let (used, skipped): (Vec<_>, Vec<_>) = morphs.iter().partition(|(_, e)| e.is_some());
        let _ = writeln!(
            out,
            "  morphs:    {} in the file, {} used",
            morphs.len(),
            used.len()
        );
        for (name, expression) in &used {
            let expression = expression.map_or("", |expression| expression.vrm_preset());
            let _ = writeln!(out, "    {name} -> {expression}");
        }
        if !skipped.is_empty() {
            let names: Vec<&str> = skipped.iter().map(|(name, _)| name.as_str()).collect();
            let _ = writeln!(out, "    skipped: {}", names.join(", "));
        }
    }
    if let Some(avatar) = avatar {
        let moved: Vec<&str> = bones
            .iter()
            .filter_map(|(_, role)| role.as_deref())
            .filter(|role| Bone::ALL.iter().any(|bone| bone.vrm_name() == *role))
            .collect();
        let has = |bone: &str| avatar.humanoid.iter().any(|(name, _)| name == bone);
        let (on, off): (Vec<&str>, Vec<&str>) = moved.iter().partition(|bone| has(bone));
        let _ = writeln!(
            out,
            "  on {}: {} of the {} humanoid bones it moves are on the avatar",
            avatar.path.display(),
            on.len(),
            moved.len()
        );
        if !off.is_empty() {
            let _ = writeln!(
                out,
                "    not on the avatar (their turn passes to the next bone down): {}",
                off.join(", ")
            );
        }
        if !avatar.missing_bones.is_empty() {
            let _ = writeln!(
                out,
                "    the avatar lacks required bones, so it stands in as a built-in idol: {}",
                avatar.missing_bones.join(", ")
            );
        }
    }
    if motion.has_camera() {
        let _ = writeln!(
            out,
            "  camera:    use it as a shot: `camera: [(at: Bar(1), shot: Motion(\"{}\"))]`",
            file.file_name()
                .map_or_else(String::new, |name| name.to_string_lossy().into_owned())
        );
    }
    if motion.has_body() {
        let _ = writeln!(
            out,
            "  dance:     `dance: [(bars: (1, 32), move: Motion(\"{}\"))]`",
            file.file_name()
                .map_or_else(String::new, |name| name.to_string_lossy().into_owned())
        );
    }
    out
}

/// `rotation` normalised, or no rotation when a file wrote zeros.
fn unit_or_identity(rotation: Quat) -> Quat {
    if rotation.length_squared() > 1e-8 {
        rotation.normalize()
    } else {
        Quat::IDENTITY
    }
}

#[cfg(test)]
mod tests;

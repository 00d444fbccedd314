//! BVH motion capture: a joint hierarchy with per-joint channels in any rotation order, then
//! one line of channel values per frame. Joints are matched to the humanoid by name (CMU,
//! Daz/Poser, Mixamo and the usual spellings); the scale comes from the skeleton's legs.

use glam::{Quat, Vec3};

use super::rig::{Joint, Rig};
use crate::avatar::{inspect::map_by_names, skeleton::Bone};

/// One channel of a joint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// Translation along an axis (0 X, 1 Y, 2 Z).
    Position(usize),
    /// Rotation about an axis, degrees.
    Rotation(usize),
}

/// A joint as the file declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct BvhJoint {
    /// Name.
    pub name: String,
    /// Parent joint.
    pub parent: Option<usize>,
    /// Offset from the parent.
    pub offset: Vec3,
    /// Channels in file order.
    pub channels: Vec<Channel>,
    /// Index of its first channel in a frame's values.
    pub first: usize,
    /// End Site offsets under it.
    pub ends: Vec<Vec3>,
}

/// A parsed BVH file.
#[derive(Debug, Clone, PartialEq)]
pub struct Bvh {
    /// Joints, parents first.
    pub joints: Vec<BvhJoint>,
    /// Channel values per frame, frame after frame.
    pub values: Vec<f32>,
    /// Channels per frame.
    pub channels: usize,
    /// Number of frames.
    pub frames: usize,
    /// Seconds per frame.
    pub frame_time: f32,
}

/// The most joints a skeleton may have: far beyond any real one, small enough to refuse a
/// hostile file before it costs memory.
const MAX_JOINTS: usize = 1024;

struct Tokens<'a> {
    words: std::iter::Peekable<std::str::SplitAsciiWhitespace<'a>>,
    /// Line of each word, kept lazily: the text and how far we have read.
    text: &'a str,
}

impl<'a> Tokens<'a> {
    fn next(&mut self, what: &str) -> Result<&'a str, String> {
        self.words
            .next()
            .ok_or_else(|| format!("the file ends where {what} should be"))
    }

    fn expect(&mut self, word: &str) -> Result<(), String> {
        let found = self.next(&format!("`{word}`"))?;
        if found.eq_ignore_ascii_case(word) {
            Ok(())
        } else {
            Err(format!(
                "expected `{word}` but found `{found}` on line {}",
                self.line_of(found)
            ))
        }
    }

    fn number(&mut self, what: &str) -> Result<f32, String> {
        let word = self.next(what)?;
        match word.parse::<f32>() {
            Ok(value) if value.is_finite() => Ok(value),
            _ => Err(format!(
                "{what} is `{word}` on line {}, not a number",
                self.line_of(word)
            )),
        }
    }

    /// The line a word (a slice of the text) is on.
    fn line_of(&self, word: &str) -> usize {
        let at = word.as_ptr() as usize - self.text.as_ptr() as usize;
        self.text[..at.min(self.text.len())].lines().count().max(1)
    }
}

/// Parses a BVH file's text.
pub fn parse(text: &str) -> Result<Bvh, String> {
    let mut tokens = Tokens {
        words: text.split_ascii_whitespace().peekable(),
        text,
    };
    tokens
        .expect("HIERARCHY")
        .map_err(|error| format!("it is not a BVH file: {error}"))?;
    tokens.expect("ROOT")?;
    let mut joints: Vec<BvhJoint> = Vec::new();
    let mut channels = 0;
    // The open joints, innermost last; `None` for an End Site.
    let mut open: Vec<Option<usize>> = Vec::new();
    let mut name = tokens.next("the root's name")?.to_owned();
    loop {
        // A joint's block: { OFFSET x y z CHANNELS n ... children }
        tokens.expect("{")?;
        let parent = open.iter().rev().flatten().next().copied();
        if joints.len() >= MAX_JOINTS {
            return Err(format!("it declares more than {MAX_JOINTS} joints"));
        }
        tokens.expect("OFFSET")?;
        let offset = Vec3::new(
            tokens.number("an offset")?,
            tokens.number("an offset")?,
            tokens.number("an offset")?,
        );
        tokens.expect("CHANNELS")?;
        let count = tokens.number("the channel count")?;
        if !(0.0..=6.0).contains(&count) || count.fract() != 0.0 {
            return Err(format!(
                "joint `{name}` has {count} channels; a joint has 0 to 6"
            ));
        }
        let mut list = Vec::new();
        for _ in 0..count as usize {
            let word = tokens.next("a channel name")?;
            let axis = match word.as_bytes().first().map(u8::to_ascii_lowercase) {
                Some(b'x') => 0,
                Some(b'y') => 1,
                Some(b'z') => 2,
                _ => {
                    return Err(format!(
                        "`{word}` on line {} is not a channel",
                        tokens.line_of(word)
                    ));
                }
            };
            let lower = word.to_ascii_lowercase();
            list.push(if lower.ends_with("position") {
                Channel::Position(axis)
            } else if lower.ends_with("rotation") {
                Channel::Rotation(axis)
            } else {
                return Err(format!(
                    "`{word}` on line {} is not a channel",
                    tokens.line_of(word)
                ));
            });
        }
        joints.push(BvhJoint {
            name: std::mem::take(&mut name),
            parent,
            offset,
            first: channels,
            channels: list,
            ends: Vec::new(),
        });
        channels += count as usize;
        open.push(Some(joints.len() - 1));
        // Children, End Sites and closing braces until the next joint opens.
        loop {
            let word = tokens.next("a joint or `MOTION`")?;
            if word.eq_ignore_ascii_case("JOINT") {
                name = tokens.next("a joint name")?.to_owned();
                break;
            } else if word.eq_ignore_ascii_case("End") {
                tokens.expect("Site")?;
                tokens.expect("{")?;
                tokens.expect("OFFSET")?;
                let end = Vec3::new(
                    tokens.number("an offset")?,
                    tokens.number("an offset")?,
                    tokens.number("an offset")?,
                );
                tokens.expect("}")?;
                if let Some(Some(joint)) = open.last() {
                    joints[*joint].ends.push(end);
                }
            } else if word == "}" {
                if open.pop().is_none() {
                    return Err(format!("an extra `}}` on line {}", tokens.line_of(word)));
                }
            } else if word.eq_ignore_ascii_case("MOTION") {
                if !open.is_empty() {
                    return Err("a `{` is not closed before MOTION".to_owned());
                }
                return motion(&mut tokens, joints, channels);
            } else {
                return Err(format!(
                    "unexpected `{word}` on line {} in the hierarchy",
                    tokens.line_of(word)
                ));
            }
        }
    }
}

fn motion(tokens: &mut Tokens, joints: Vec<BvhJoint>, channels: usize) -> Result<Bvh, String> {
    tokens.expect("Frames:")?;
    let frames = tokens.number("the frame count")?;
    if frames < 1.0 || frames.fract() != 0.0 {
        return Err(format!("the frame count {frames} is not a count of frames"));
    }
    tokens.expect("Frame")?;
    tokens.expect("Time:")?;
    let frame_time = tokens.number("the frame time")?;
    if !(1e-4..=10.0).contains(&frame_time) {
        return Err(format!(
            "a frame time of {frame_time} s is not a frame rate"
        ));
    }
    let frames = frames as usize;
    let wanted = frames.saturating_mul(channels);
    // Read what is there before trusting the count with memory.
    let mut values = Vec::new();
    while values.len() < wanted {
        let Some(word) = tokens.words.next() else {
            return Err(format!(
                "it promises {frames} frames of {channels} values but ends after {} frames",
                values.len() / channels.max(1)
            ));
        };
        match word.parse::<f32>() {
            Ok(value) if value.is_finite() => values.push(value),
            _ => {
                return Err(format!(
                    "frame {} holds `{word}` on line {}, not a number",
                    values.len() / channels.max(1) + 1,
                    tokens.line_of(word)
                ));
            }
        }
    }
    Ok(Bvh {
        joints,
        values,
        channels,
        frames,
        frame_time,
    })
}

/// Daz/Poser names put the side as one letter in front (`lShldr`, `rThigh`); spell it out.
fn spelled_side(name: &str) -> String {
    let mut chars = name.chars();
    match (chars.next(), chars.next()) {
        (Some('l'), Some(second)) if second.is_ascii_uppercase() => format!("left{}", &name[1..]),
        (Some('r'), Some(second)) if second.is_ascii_uppercase() => format!("right{}", &name[1..]),
        _ => name.to_owned(),
    }
}

impl Bvh {
    /// Which humanoid bone each joint is, by name.
    pub fn humanoid(&self) -> Vec<Option<Bone>> {
        let names: Vec<String> = self
            .joints
            .iter()
            .map(|joint| spelled_side(&joint.name))
            .collect();
        let map = map_by_names(&names);
        names
            .iter()
            .map(|name| {
                map.iter()
                    .find(|(_, joint)| joint == name)
                    .and_then(|(bone, _)| Bone::ALL.iter().find(|b| b.vrm_name() == bone))
                    .copied()
            })
            .collect()
    }

    /// The skeleton, turned to face +Z with the left side at +X, and the turn that does it.
    pub fn rig(&self) -> (Rig, Quat) {
        let humanoid = self.humanoid();
        let mut rig = Rig {
            joints: self
                .joints
                .iter()
                .zip(&humanoid)
                .map(|(joint, bone)| Joint {
                    name: joint.name.clone(),
                    parent: joint.parent,
                    offset: joint.offset,
                    rest: Quat::IDENTITY,
                    bone: *bone,
                })
                .collect(),
        };
        // Which way she faces: her left (a left joint minus its right twin) should be +X.
        let rest = rig.rest();
        let at = |bone: Bone| rig.joint_of(bone).map(|joint| rest.positions[joint]);
        let left = [
            (Bone::LeftUpperLeg, Bone::RightUpperLeg),
            (Bone::LeftUpperArm, Bone::RightUpperArm),
        ]
        .into_iter()
        .find_map(|(left, right)| Some(at(left)? - at(right)?))
        .unwrap_or(Vec3::X);
        let facing = Quat::from_rotation_y(left.z.atan2(left.x));
        if let Some(root) = rig.joints.first_mut() {
            root.rest = facing;
            root.offset = facing * root.offset;
        }
        (rig, facing)
    }

    /// The lowest point of the rest pose (joints and End Sites), the floor it stands on.
    pub fn rest_floor(&self) -> f32 {
        let mut positions: Vec<Vec3> = Vec::with_capacity(self.joints.len());
        let mut floor = f32::MAX;
        for joint in &self.joints {
            let at = joint.parent.map_or(Vec3::ZERO, |parent| positions[parent]) + joint.offset;
            floor = joint
                .ends
                .iter()
                .map(|end| (at + *end).y)
                .fold(floor.min(at.y), f32::min);
            positions.push(at);
        }
        floor
    }

    /// Duration in seconds.
    pub fn duration(&self) -> f32 {
        self.frames as f32 * self.frame_time
    }

    /// Each joint's local rotation and the root's position at frame `index`.
    fn frame(&self, index: usize) -> (Vec<Quat>, Vec3) {
        let values = &self.values[index * self.channels..(index + 1) * self.channels];
        let mut root = Vec3::ZERO;
        let rotations = self
            .joints
            .iter()
            .enumerate()
            .map(|(joint_index, joint)| {
                let mut rotation = Quat::IDENTITY;
                for (channel, value) in joint.channels.iter().zip(&values[joint.first..]) {
                    match *channel {
                        Channel::Position(axis) if joint_index == 0 => root[axis] = *value,
                        Channel::Position(_) => {}
                        Channel::Rotation(axis) => {
                            let angle = value.to_radians();
                            rotation *= match axis {
                                0 => Quat::from_rotation_x(angle),
                                1 => Quat::from_rotation_y(angle),
                                _ => Quat::from_rotation_z(angle),
                            };
                        }
                    }
                }
                rotation
            })
            .collect();
        (rotations, root)
    }

    /// Local rotations and the root's position at `seconds`, between frames.
    pub fn sample(&self, seconds: f32) -> (Vec<Quat>, Vec3) {
        let at = (seconds / self.frame_time).clamp(0.0, (self.frames - 1) as f32);
        let index = at.floor() as usize;
        let (rotations, root) = self.frame(index);
        let t = at - index as f32;
        if t <= 1e-4 || index + 1 >= self.frames {
            return (rotations, root);
        }
        let (next, next_root) = self.frame(index + 1);
        (
            rotations
                .iter()
                .zip(next)
                .map(|(a, b)| a.slerp(b, t))
                .collect(),
            root.lerp(next_root, t),
        )
    }
}

/// Euler order names for `inspect`: a joint's rotation channels in file order.
pub fn rotation_order(joint: &BvhJoint) -> String {
    joint
        .channels
        .iter()
        .filter_map(|channel| match channel {
            Channel::Rotation(axis) => Some(['X', 'Y', 'Z'][*axis]),
            Channel::Position(_) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: &str = "HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation
  JOINT LeftUpLeg
  {
    OFFSET 2 -1 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    JOINT LeftLeg
    {
      OFFSET 0 -8 0
      CHANNELS 3 Zrotation Xrotation Yrotation
      End Site
      {
        OFFSET 0 -8 0
      }
    }
  }
  JOINT RightUpLeg
  {
    OFFSET -2 -1 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 -16 0
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.5
1 17 3 0 0 0 10 20 30 0 0 0 0 0 0
2 17 3 0 90 0 0 0 0 0 0 0 0 0 0
";

    #[test]
    fn reads_the_hierarchy_channels_orders_and_frames() {
        let bvh = parse(TINY).expect("a good file");
        assert_eq!(bvh.joints.len(), 4);
        assert_eq!(bvh.joints[2].parent, Some(1));
        assert_eq!(bvh.joints[3].parent, Some(0));
        assert_eq!(rotation_order(&bvh.joints[0]), "ZYX");
        assert_eq!(rotation_order(&bvh.joints[1]), "ZXY");
        assert_eq!((bvh.frames, bvh.channels, bvh.duration()), (2, 15, 1.0));
        assert_eq!(bvh.rest_floor(), -17.0);
        // ZXY channels compose as Z, then X, then Y, each in the frame the last one left.
        let (rotations, root) = bvh.sample(0.0);
        let expected = Quat::from_rotation_z(10f32.to_radians())
            * Quat::from_rotation_x(20f32.to_radians())
            * Quat::from_rotation_y(30f32.to_radians());
        assert!(
            rotations[1].angle_between(expected) < 1e-3,
            "{:?} vs {expected:?}",
            rotations[1]
        );
        assert_eq!(root, Vec3::new(1.0, 17.0, 3.0));
        let (rotations, root) = bvh.sample(0.25);
        assert!(rotations[0].angle_between(Quat::from_rotation_y(45f32.to_radians())) < 1e-4);
        assert_eq!(root, Vec3::new(1.5, 17.0, 3.0));
        let humanoid = bvh.humanoid();
        assert_eq!(
            humanoid,
            [
                Some(Bone::Hips),
                Some(Bone::LeftUpperLeg),
                Some(Bone::LeftLowerLeg),
                Some(Bone::RightUpperLeg)
            ]
        );
    }

    #[test]
    fn a_skeleton_facing_away_is_turned_round() {
        let flipped = TINY.replace("OFFSET 2 -1 0", "OFFSET -2 -1 0").replace(
            "OFFSET -2 -1 0\n    CHANNELS 3 Zrotation Xrotation Yrotation\n    End",
            "OFFSET 2 -1 0\n    CHANNELS 3 Zrotation Xrotation Yrotation\n    End",
        );
        let bvh = parse(&flipped).expect("a good file");
        let (rig, facing) = bvh.rig();
        assert!(facing.angle_between(Quat::from_rotation_y(std::f32::consts::PI)) < 1e-4);
        let rest = rig.rest();
        assert!(
            rest.positions[1].x > 0.0,
            "her left leg is at +X once turned"
        );
    }

    #[test]
    fn broken_files_say_what_and_where() {
        let error = parse("HIERARCHY\nROOT Hips\n{\n OFFSET 0 zero 0").unwrap_err();
        assert!(error.contains("`zero` on line 4"), "{error}");
        let error = parse(&TINY.replace("Frames: 2", "Frames: 4000000000")).unwrap_err();
        assert!(error.contains("ends after 2 frames"), "{error}");
        let error = parse(&TINY.replace("2 17 3", "2 NaN 3")).unwrap_err();
        assert!(error.contains("frame 2 holds `NaN`"), "{error}");
        assert!(parse("<html>").unwrap_err().contains("not a BVH file"));
        for end in 0..TINY.len() {
            let _ = parse(&TINY[..end]);
        }
    }
}

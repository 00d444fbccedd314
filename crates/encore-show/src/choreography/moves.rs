//! The move library: each move is a loop of key poses placed on beats, defined on the humanoid
//! skeleton as rotations per bone. A move sampled exactly on one of its key beats is that key
//! pose; between keys it eases, so a move that starts on a beat hits its pose on that beat.
//! Moves are defined in beats, so they follow any tempo.
//!
//! Rotation conventions (the idol faces +Z, her left is +X; Euler angles in degrees, applied
//! X then Y then Z): +X tips a bone forwards at the top (a spine leans in, a hanging arm swings
//! back), so a forward arm raise is negative X; +Z swings her left arm out to the side and
//! her right arm in, so a right arm raises sideways with negative Z; +Y turns to her left.

use std::sync::LazyLock;

use glam::{EulerRot, Quat, Vec3};

pub use crate::avatar::skeleton::Pose;
use crate::{
    avatar::skeleton::{Bone, Bone::*},
    setlist::raw::Move,
};

/// A key pose on a beat of the move's loop.
#[derive(Debug, Clone)]
struct Key {
    beat: f32,
    pose: Pose,
}

/// A move: a loop of key poses.
#[derive(Debug, Clone)]
pub struct MoveDef {
    /// Length of the loop in beats.
    pub beats: f32,
    keys: Vec<Key>,
}

impl MoveDef {
    /// The pose `beats` beats after the move started (any real number: the loop repeats, and
    /// negative beats are the end of the previous loop).
    pub fn sample(&self, beats: f32) -> Pose {
        let beat = beats.rem_euclid(self.beats);
        let next_index = self.keys.partition_point(|key| key.beat <= beat);
        let key = &self.keys[next_index.saturating_sub(1).min(self.keys.len() - 1)];
        let (next, next_beat) = match self.keys.get(next_index) {
            Some(next) => (next, next.beat),
            None => (&self.keys[0], self.keys[0].beat + self.beats),
        };
        let span = next_beat - key.beat;
        if span <= 0.0 {
            return key.pose;
        }
        let t = ((beat - key.beat) / span).clamp(0.0, 1.0);
        // Ease in and out of every key: the pose holds on the beat and moves between.
        key.pose.lerp(&next.pose, t * t * (3.0 - 2.0 * t))
    }

    /// Beats of the loop where key poses sit.
    pub fn key_beats(&self) -> impl Iterator<Item = f32> + '_ {
        self.keys.iter().map(|key| key.beat)
    }
}

/// The definition of `step`. Clips belong to imported avatars, and a motion file's pose
/// comes from the file; where neither plays, she idles.
pub fn definition(step: &Move) -> &'static MoveDef {
    let library = &*LIBRARY;
    let index = match step {
        Move::Idle | Move::Clip(_) | Move::Motion(_) => 0,
        Move::StepTouch => 1,
        Move::SideStep => 2,
        Move::ArmWave => 3,
        Move::Point => 4,
        Move::Clap => 5,
        Move::BodyRoll => 6,
        Move::HipSway => 7,
        Move::Spin => 8,
        Move::Jump => 9,
        Move::Kick => 10,
        Move::ShoulderShimmy => 11,
        Move::HairFlip => 12,
        Move::HeartHands => 13,
        Move::Salute => 14,
        Move::Pose => 15,
        Move::Bow => 16,
        Move::Walk => 17,
    };
    &library[index]
}

/// Every move of the library (not clips), in a fixed order.
pub fn library() -> [Move; 18] {
    [
        Move::Idle,
        Move::StepTouch,
        Move::SideStep,
        Move::ArmWave,
        Move::Point,
        Move::Clap,
        Move::BodyRoll,
        Move::HipSway,
        Move::Spin,
        Move::Jump,
        Move::Kick,
        Move::ShoulderShimmy,
        Move::HairFlip,
        Move::HeartHands,
        Move::Salute,
        Move::Pose,
        Move::Bow,
        Move::Walk,
    ]
}

/// Bone rotations as written in the library: (bone, x, y, z) in degrees.
type Angles = &'static [(Bone, f32, f32, f32)];

fn pose(angles: &[(Bone, f32, f32, f32)], hips: [f32; 3], turn: f32) -> Pose {
    let mut pose = Pose {
        hips: Vec3::from(hips),
        turn: Quat::from_rotation_y(turn.to_radians()),
        ..Pose::default()
    };
    for &(bone, x, y, z) in angles {
        pose.rotations[bone.index()] = Quat::from_euler(
            EulerRot::XYZ,
            x.to_radians(),
            y.to_radians(),
            z.to_radians(),
        );
    }
    pose
}

/// The same pose with left and right swapped.
fn mirrored(angles: Angles, hips: [f32; 3], turn: f32) -> Pose {
    let flipped: Vec<(Bone, f32, f32, f32)> = angles
        .iter()
        .map(|&(bone, x, y, z)| (bone.mirror(), x, -y, -z))
        .collect();
    pose(&flipped, [-hips[0], hips[1], hips[2]], -turn)
}

fn key(beat: f32, pose: Pose) -> Key {
    Key { beat, pose }
}

fn moves(beats: f32, keys: Vec<Key>) -> MoveDef {
    MoveDef { beats, keys }
}

/// Arms relaxed a little away from the body.
const RELAXED: Angles = &[
    (LeftUpperArm, 0.0, 0.0, 6.0),
    (RightUpperArm, 0.0, 0.0, -6.0),
];

static LIBRARY: LazyLock<Vec<MoveDef>> = LazyLock::new(|| {
    const STEP: Angles = &[
        (LeftUpperLeg, 0.0, 0.0, 10.0),
        (RightLowerLeg, 8.0, 0.0, 0.0),
        (RightUpperLeg, -4.0, 0.0, 0.0),
        (LeftUpperArm, -25.0, 0.0, 10.0),
        (LeftLowerArm, -30.0, 0.0, 0.0),
        (RightUpperArm, 20.0, 0.0, -10.0),
        (RightLowerArm, -20.0, 0.0, 0.0),
        (Spine, 0.0, 0.0, -4.0),
    ];
    const DIP: Angles = &[
        (LeftLowerLeg, 15.0, 0.0, 0.0),
        (RightLowerLeg, 15.0, 0.0, 0.0),
        (LeftUpperLeg, -8.0, 0.0, 0.0),
        (RightUpperLeg, -8.0, 0.0, 0.0),
        (LeftUpperArm, 0.0, 0.0, 10.0),
        (RightUpperArm, 0.0, 0.0, -10.0),
        (LeftLowerArm, -35.0, 0.0, 0.0),
        (RightLowerArm, -35.0, 0.0, 0.0),
    ];
    const WIDE: Angles = &[
        (LeftUpperLeg, 0.0, 0.0, 14.0),
        (RightUpperLeg, 0.0, 0.0, -6.0),
        (LeftUpperArm, 0.0, 0.0, 60.0),
        (LeftLowerArm, 0.0, 0.0, 30.0),
        (RightUpperArm, 0.0, 0.0, -30.0),
        (RightLowerArm, -40.0, 0.0, 0.0),
        (Head, 0.0, 15.0, 0.0),
    ];
    const WAVE: Angles = &[
        (LeftUpperArm, 0.0, 0.0, 155.0),
        (LeftLowerArm, 0.0, 0.0, 15.0),
        (RightUpperArm, 0.0, 0.0, -145.0),
        (RightLowerArm, 0.0, 0.0, -25.0),
        (Spine, 0.0, 0.0, 6.0),
        (Chest, 0.0, 0.0, 6.0),
        (Head, 0.0, 0.0, 5.0),
    ];
    const POINT: Angles = &[
        (RightUpperArm, -115.0, 0.0, -15.0),
        (RightLowerArm, -5.0, 0.0, 0.0),
        (LeftUpperArm, 0.0, 0.0, 40.0),
        (LeftLowerArm, -70.0, 0.0, -40.0),
        (Chest, 0.0, 12.0, 0.0),
        (Head, -5.0, -10.0, 0.0),
        (LeftLowerLeg, 10.0, 0.0, 0.0),
    ];
    const POINT_BACK: Angles = &[
        (RightUpperArm, -50.0, 0.0, -25.0),
        (RightLowerArm, -60.0, 0.0, 0.0),
        (LeftUpperArm, 0.0, 0.0, 40.0),
        (LeftLowerArm, -70.0, 0.0, -40.0),
        (Chest, 0.0, -5.0, 0.0),
        (RightLowerLeg, 12.0, 0.0, 0.0),
    ];
    const CLAP: Angles = &[
        (LeftUpperArm, -55.0, 0.0, -12.0),
        (LeftLowerArm, -55.0, 0.0, -20.0),
        (RightUpperArm, -55.0, 0.0, 12.0),
        (RightLowerArm, -55.0, 0.0, 20.0),
        (Head, 5.0, 0.0, 0.0),
    ];
    const CLAP_OPEN: Angles = &[
        (LeftUpperArm, -35.0, 0.0, 25.0),
        (LeftLowerArm, -60.0, 0.0, 15.0),
        (RightUpperArm, -35.0, 0.0, -25.0),
        (RightLowerArm, -60.0, 0.0, -15.0),
        (LeftLowerLeg, 12.0, 0.0, 0.0),
        (RightLowerLeg, 12.0, 0.0, 0.0),
    ];
    const ROLL_BACK: Angles = &[
        (UpperChest, -15.0, 0.0, 0.0),
        (Head, -8.0, 0.0, 0.0),
        (LeftUpperArm, 10.0, 0.0, 20.0),
        (RightUpperArm, 10.0, 0.0, -20.0),
    ];
    const ROLL_CHEST: Angles = &[
        (Chest, 14.0, 0.0, 0.0),
        (UpperChest, 10.0, 0.0, 0.0),
        (Spine, -6.0, 0.0, 0.0),
        (LeftLowerLeg, 10.0, 0.0, 0.0),
        (RightLowerLeg, 10.0, 0.0, 0.0),
    ];
    const ROLL_HIPS: Angles = &[
        (Spine, 12.0, 0.0, 0.0),
        (Chest, -6.0, 0.0, 0.0),
        (LeftUpperLeg, -10.0, 0.0, 0.0),
        (RightUpperLeg, -10.0, 0.0, 0.0),
        (LeftLowerLeg, 18.0, 0.0, 0.0),
        (RightLowerLeg, 18.0, 0.0, 0.0),
    ];
    const SWAY: Angles = &[
        (Spine, 0.0, 0.0, -9.0),
        (Chest, 0.0, 0.0, -4.0),
        (Head, 0.0, 0.0, 6.0),
        (LeftUpperArm, 0.0, 0.0, 18.0),
        (LeftLowerArm, -20.0, 0.0, 0.0),
        (RightUpperArm, 0.0, 0.0, -8.0),
        (RightLowerLeg, 12.0, 0.0, 0.0),
    ];
    const SPIN: Angles = &[
        (LeftUpperArm, 0.0, 0.0, 75.0),
        (RightUpperArm, 0.0, 0.0, -75.0),
        (LeftLowerArm, 0.0, 0.0, 10.0),
        (RightLowerArm, 0.0, 0.0, -10.0),
        (Head, -5.0, 0.0, 0.0),
    ];
    const CROUCH: Angles = &[
        (LeftUpperLeg, -30.0, 0.0, 4.0),
        (RightUpperLeg, -30.0, 0.0, -4.0),
        (LeftLowerLeg, 55.0, 0.0, 0.0),
        (RightLowerLeg, 55.0, 0.0, 0.0),
        (LeftFoot, -25.0, 0.0, 0.0),
        (RightFoot, -25.0, 0.0, 0.0),
        (Spine, 12.0, 0.0, 0.0),
        (LeftUpperArm, 20.0, 0.0, 20.0),
        (RightUpperArm, 20.0, 0.0, -20.0),
    ];
    const AIR: Angles = &[
        (LeftUpperArm, 0.0, 0.0, 165.0),
        (RightUpperArm, 0.0, 0.0, -165.0),
        (LeftLowerLeg, 25.0, 0.0, 0.0),
        (RightLowerLeg, 25.0, 0.0, 0.0),
        (Head, -10.0, 0.0, 0.0),
    ];
    const KICK: Angles = &[
        (RightUpperLeg, -65.0, 0.0, 0.0),
        (RightLowerLeg, 8.0, 0.0, 0.0),
        (LeftLowerLeg, 8.0, 0.0, 0.0),
        (Spine, -8.0, 0.0, 0.0),
        (LeftUpperArm, 0.0, 0.0, 50.0),
        (RightUpperArm, 0.0, 0.0, -50.0),
    ];
    const CHAMBER: Angles = &[
        (RightUpperLeg, -35.0, 0.0, 0.0),
        (RightLowerLeg, 60.0, 0.0, 0.0),
        (LeftLowerLeg, 12.0, 0.0, 0.0),
        (LeftUpperArm, -20.0, 0.0, 25.0),
        (RightUpperArm, -20.0, 0.0, -25.0),
        (LeftLowerArm, -50.0, 0.0, 0.0),
        (RightLowerArm, -50.0, 0.0, 0.0),
    ];
    const SHIMMY: Angles = &[
        (LeftShoulder, 0.0, 0.0, 12.0),
        (RightShoulder, 0.0, 0.0, 6.0),
        (Chest, 0.0, 8.0, 0.0),
        (LeftUpperArm, -10.0, 0.0, 20.0),
        (RightUpperArm, -10.0, 0.0, -20.0),
        (LeftLowerArm, -70.0, 0.0, 0.0),
        (RightLowerArm, -70.0, 0.0, 0.0),
        (Spine, 6.0, 0.0, 0.0),
    ];
    const FLIP_BACK: Angles = &[
        (Head, -28.0, 25.0, 0.0),
        (Neck, -10.0, 0.0, 0.0),
        (Chest, -10.0, 0.0, 0.0),
        (RightUpperArm, -30.0, 0.0, -135.0),
        (RightLowerArm, 0.0, 0.0, -70.0),
        (LeftUpperArm, 0.0, 0.0, 30.0),
    ];
    const FLIP_DOWN: Angles = &[
        (Head, 25.0, -15.0, 0.0),
        (Neck, 10.0, 0.0, 0.0),
        (Spine, 12.0, 0.0, 0.0),
        (RightUpperArm, -20.0, 0.0, -20.0),
        (LeftUpperArm, 0.0, 0.0, 20.0),
        (LeftLowerLeg, 15.0, 0.0, 0.0),
        (RightLowerLeg, 15.0, 0.0, 0.0),
    ];
    const HEART_BIG: Angles = &[
        (LeftUpperArm, 0.0, 0.0, 160.0),
        (LeftLowerArm, 0.0, 0.0, -75.0),
        (RightUpperArm, 0.0, 0.0, -160.0),
        (RightLowerArm, 0.0, 0.0, 75.0),
        (Head, 0.0, 0.0, 8.0),
    ];
    const HEART_FINGER: Angles = &[
        (RightUpperArm, -70.0, 0.0, 20.0),
        (RightLowerArm, -95.0, 0.0, 0.0),
        (LeftUpperArm, 0.0, 0.0, 12.0),
        (Head, 0.0, -10.0, -8.0),
        (Spine, 0.0, 0.0, 4.0),
        (LeftLowerLeg, 12.0, 0.0, 0.0),
    ];
    const SALUTE: Angles = &[
        (RightUpperArm, -20.0, 0.0, -80.0),
        (RightLowerArm, 0.0, 0.0, -105.0),
        (LeftUpperArm, 0.0, 0.0, 8.0),
        (Head, -4.0, -8.0, 0.0),
    ];
    const POSE: Angles = &[
        (LeftUpperArm, 15.0, 0.0, 40.0),
        (LeftLowerArm, -40.0, 0.0, -95.0),
        (RightUpperArm, 0.0, 0.0, -140.0),
        (RightLowerArm, 0.0, 0.0, -15.0),
        (Head, 0.0, 10.0, -8.0),
        (Spine, 0.0, 0.0, 5.0),
        (RightUpperLeg, 0.0, 0.0, -6.0),
        (LeftUpperLeg, -10.0, 0.0, 0.0),
        (LeftLowerLeg, 18.0, 0.0, 0.0),
    ];
    const BOW_READY: Angles = &[
        (LeftUpperArm, -15.0, 0.0, -10.0),
        (RightUpperArm, -15.0, 0.0, 10.0),
        (LeftLowerArm, -30.0, 0.0, -10.0),
        (RightLowerArm, -30.0, 0.0, 10.0),
    ];
    const BOW: Angles = &[
        (Spine, 22.0, 0.0, 0.0),
        (Chest, 20.0, 0.0, 0.0),
        (Head, 12.0, 0.0, 0.0),
        (LeftUpperArm, -35.0, 0.0, -10.0),
        (RightUpperArm, -35.0, 0.0, 10.0),
        (LeftLowerArm, -20.0, 0.0, -10.0),
        (RightLowerArm, -20.0, 0.0, 10.0),
    ];
    const STRIDE: Angles = &[
        (LeftUpperLeg, -25.0, 0.0, 0.0),
        (RightUpperLeg, 18.0, 0.0, 0.0),
        (RightLowerLeg, 25.0, 0.0, 0.0),
        (LeftUpperArm, 20.0, 0.0, 6.0),
        (RightUpperArm, -20.0, 0.0, -6.0),
        (LeftLowerArm, -15.0, 0.0, 0.0),
        (RightLowerArm, -25.0, 0.0, 0.0),
    ];
    const PASS: Angles = &[
        (LeftLowerLeg, 35.0, 0.0, 0.0),
        (LeftUpperLeg, -15.0, 0.0, 0.0),
        (LeftUpperArm, 0.0, 0.0, 6.0),
        (RightUpperArm, 0.0, 0.0, -6.0),
    ];
    const INHALE: Angles = &[
        (Chest, -3.0, 0.0, 0.0),
        (Head, -2.0, 4.0, 0.0),
        (LeftUpperArm, 0.0, 0.0, 8.0),
        (RightUpperArm, 0.0, 0.0, -8.0),
    ];
    vec![
        // Idle: breathing.
        moves(
            4.0,
            vec![
                key(0.0, pose(RELAXED, [0.0; 3], 0.0)),
                key(2.0, pose(INHALE, [0.0, 0.004, 0.0], 0.0)),
            ],
        ),
        // StepTouch.
        moves(
            2.0,
            vec![
                key(0.0, pose(STEP, [0.025, 0.0, 0.0], 0.0)),
                key(0.5, pose(DIP, [0.0, -0.02, 0.0], 0.0)),
                key(1.0, mirrored(STEP, [0.025, 0.0, 0.0], 0.0)),
                key(1.5, pose(DIP, [0.0, -0.02, 0.0], 0.0)),
            ],
        ),
        // SideStep.
        moves(
            4.0,
            vec![
                key(0.0, pose(WIDE, [0.08, -0.01, 0.0], 0.0)),
                key(1.0, pose(DIP, [0.0, -0.025, 0.0], 0.0)),
                key(2.0, mirrored(WIDE, [0.08, -0.01, 0.0], 0.0)),
                key(3.0, pose(DIP, [0.0, -0.025, 0.0], 0.0)),
            ],
        ),
        // ArmWave.
        moves(
            2.0,
            vec![
                key(0.0, pose(WAVE, [0.015, 0.0, 0.0], 0.0)),
                key(1.0, mirrored(WAVE, [0.015, 0.0, 0.0], 0.0)),
            ],
        ),
        // Point.
        moves(
            2.0,
            vec![
                key(0.0, pose(POINT, [0.0, -0.01, 0.0], 0.0)),
                key(1.0, pose(POINT_BACK, [0.0, -0.02, 0.0], 0.0)),
            ],
        ),
        // Clap.
        moves(
            1.0,
            vec![
                key(0.0, pose(CLAP, [0.0; 3], 0.0)),
                key(0.5, pose(CLAP_OPEN, [0.0, -0.02, 0.0], 0.0)),
            ],
        ),
        // BodyRoll.
        moves(
            2.0,
            vec![
                key(0.0, pose(ROLL_BACK, [0.0, 0.0, -0.015], 0.0)),
                key(0.5, pose(ROLL_CHEST, [0.0, -0.01, 0.0], 0.0)),
                key(1.0, pose(ROLL_HIPS, [0.0, -0.025, 0.02], 0.0)),
                key(1.5, pose(RELAXED, [0.0, -0.01, 0.0], 0.0)),
            ],
        ),
        // HipSway.
        moves(
            2.0,
            vec![
                key(0.0, pose(SWAY, [0.035, -0.005, 0.0], 0.0)),
                key(1.0, mirrored(SWAY, [0.035, -0.005, 0.0], 0.0)),
            ],
        ),
        // Spin: a full turn over four beats.
        moves(
            4.0,
            vec![
                key(0.0, pose(SPIN, [0.0; 3], 0.0)),
                key(1.0, pose(SPIN, [0.0, 0.01, 0.0], 90.0)),
                key(2.0, pose(SPIN, [0.0; 3], 180.0)),
                key(3.0, pose(SPIN, [0.0, 0.01, 0.0], 270.0)),
            ],
        ),
        // Jump: land on the beat, fly between.
        moves(
            2.0,
            vec![
                key(0.0, pose(CROUCH, [0.0, -0.05, 0.0], 0.0)),
                key(0.6, pose(AIR, [0.0, 0.09, 0.0], 0.0)),
                key(1.2, pose(CROUCH, [0.0, -0.05, 0.0], 0.0)),
                key(1.6, pose(RELAXED, [0.0; 3], 0.0)),
            ],
        ),
        // Kick.
        moves(
            2.0,
            vec![
                key(0.0, pose(KICK, [0.0, 0.0, -0.01], 0.0)),
                key(0.5, pose(CHAMBER, [0.0, -0.01, 0.0], 0.0)),
                key(1.0, mirrored(KICK, [0.0, 0.0, -0.01], 0.0)),
                key(1.5, mirrored(CHAMBER, [0.0, -0.01, 0.0], 0.0)),
            ],
        ),
        // ShoulderShimmy.
        moves(
            1.0,
            vec![
                key(0.0, pose(SHIMMY, [0.0, -0.01, 0.0], 0.0)),
                key(0.5, mirrored(SHIMMY, [0.0, -0.01, 0.0], 0.0)),
            ],
        ),
        // HairFlip.
        moves(
            4.0,
            vec![
                key(0.0, pose(FLIP_BACK, [0.0; 3], 0.0)),
                key(2.0, pose(FLIP_DOWN, [0.0, -0.02, 0.0], 0.0)),
            ],
        ),
        // HeartHands: the big arm heart, then the finger heart.
        moves(
            4.0,
            vec![
                key(0.0, pose(HEART_BIG, [0.0; 3], 0.0)),
                key(1.0, pose(HEART_BIG, [0.01, -0.01, 0.0], 0.0)),
                key(2.0, pose(HEART_FINGER, [0.01, 0.0, 0.0], 0.0)),
                key(3.0, mirrored(HEART_FINGER, [0.01, 0.0, 0.0], 0.0)),
            ],
        ),
        // Salute.
        moves(
            2.0,
            vec![
                key(0.0, pose(SALUTE, [0.0; 3], 0.0)),
                key(1.0, pose(SALUTE, [0.0, -0.01, 0.0], 0.0)),
            ],
        ),
        // Pose: a held hero pose that breathes.
        moves(
            4.0,
            vec![
                key(0.0, pose(POSE, [0.02, 0.0, 0.0], 0.0)),
                key(2.0, pose(POSE, [0.02, 0.004, 0.0], 0.0)),
            ],
        ),
        // Bow.
        moves(
            4.0,
            vec![
                key(0.0, pose(BOW_READY, [0.0; 3], 0.0)),
                key(1.0, pose(BOW, [0.0, 0.0, -0.02], 0.0)),
                key(2.5, pose(BOW, [0.0, 0.0, -0.02], 0.0)),
                key(3.5, pose(BOW_READY, [0.0; 3], 0.0)),
            ],
        ),
        // Walk (in place; formations move the body).
        moves(
            2.0,
            vec![
                key(0.0, pose(STRIDE, [0.0; 3], 0.0)),
                key(0.5, pose(PASS, [0.0, 0.01, 0.0], 0.0)),
                key(1.0, mirrored(STRIDE, [0.0; 3], 0.0)),
                key(1.5, mirrored(PASS, [0.0, 0.01, 0.0], 0.0)),
            ],
        ),
    ]
});

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Move; 18] = [
        Move::Idle,
        Move::StepTouch,
        Move::SideStep,
        Move::ArmWave,
        Move::Point,
        Move::Clap,
        Move::BodyRoll,
        Move::HipSway,
        Move::Spin,
        Move::Jump,
        Move::Kick,
        Move::ShoulderShimmy,
        Move::HairFlip,
        Move::HeartHands,
        Move::Salute,
        Move::Pose,
        Move::Bow,
        Move::Walk,
    ];

    #[test]
    fn sampling_on_a_key_beat_gives_the_key_pose() {
        for step in &ALL {
            let definition = definition(step);
            for (index, beat) in definition.key_beats().enumerate() {
                let sampled = definition.sample(beat);
                let key = &definition.keys[index].pose;
                assert!(sampled.max_angle_to(key) < 0.01, "{step:?} at beat {beat}");
                // A later loop hits the same pose on the same beat of the loop.
                let later = definition.sample(beat + definition.beats * 3.0);
                assert!(later.max_angle_to(key) < 0.01, "{step:?} loop 4");
            }
        }
    }

    #[test]
    fn moves_are_continuous_at_60_fps_and_120_bpm() {
        // 120 bpm at 60 fps: half a beat per 30 frames.
        let step = 2.0 / 60.0;
        for dance in &ALL {
            let definition = definition(dance);
            let mut previous = definition.sample(0.0);
            for frame in 1..=(definition.beats / step) as usize * 2 {
                let pose = definition.sample(frame as f32 * step);
                let jump = pose.max_angle_to(&previous).to_degrees();
                assert!(jump < 15.0, "{dance:?} jumps {jump:.1}° at frame {frame}");
                previous = pose;
            }
        }
    }

    #[test]
    fn every_move_moves() {
        for dance in &ALL[1..] {
            let definition = definition(dance);
            let rest = Pose::default();
            assert!(
                definition.sample(0.0).max_angle_to(&rest) > 0.1,
                "{dance:?} starts at rest"
            );
        }
    }
}

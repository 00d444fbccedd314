//! The humanoid skeleton every idol shares, with the VRM 1.0 humanoid bone names, and its rest
//! pose for a given height and build. The idol faces +Z (the audience); her left is +X. All
//! bones rest with no rotation, arms hanging at her sides, so a pose is just a rotation per
//! bone in its parent's frame.

use glam::{Quat, Vec3};

macro_rules! bones {
    ($($bone:ident => $name:literal, $parent:expr, $at:expr;)*) => {
        /// A bone of the humanoid skeleton.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Bone { $(
            #[doc = $name]
            $bone,
        )* }

        impl Bone {
            /// Every bone, parents before children.
            pub const ALL: &'static [Bone] = &[$(Bone::$bone),*];

            /// The VRM 1.0 humanoid bone name.
            pub fn vrm_name(self) -> &'static str {
                match self { $(Bone::$bone => $name,)* }
            }

            /// The parent bone; `None` for the hips.
            pub fn parent(self) -> Option<Bone> {
                match self { $(Bone::$bone => $parent,)* }
            }

            /// Where the joint sits in the rest pose, in units of the idol's height, measured
            /// from the ground under her (x to her left, y up, z forward).
            fn rest_at(self) -> Vec3 {
                let [x, y, z]: [f32; 3] = match self { $(Bone::$bone => $at,)* };
                Vec3::new(x, y, z)
            }
        }
    };
}

use Bone::*;

bones! {
    Hips => "hips", None, [0.0, 0.53, 0.0];
    Spine => "spine", Some(Hips), [0.0, 0.59, 0.0];
    Chest => "chest", Some(Spine), [0.0, 0.665, 0.0];
    UpperChest => "upperChest", Some(Chest), [0.0, 0.735, 0.0];
    Neck => "neck", Some(UpperChest), [0.0, 0.815, 0.0];
    Head => "head", Some(Neck), [0.0, 0.855, 0.0];
    LeftEye => "leftEye", Some(Head), [0.03, 0.915, 0.062];
    RightEye => "rightEye", Some(Head), [-0.03, 0.915, 0.062];
    Jaw => "jaw", Some(Head), [0.0, 0.887, 0.064];
    LeftShoulder => "leftShoulder", Some(UpperChest), [0.03, 0.79, 0.0];
    LeftUpperArm => "leftUpperArm", Some(LeftShoulder), [0.105, 0.79, 0.0];
    LeftLowerArm => "leftLowerArm", Some(LeftUpperArm), [0.115, 0.625, 0.0];
    LeftHand => "leftHand", Some(LeftLowerArm), [0.12, 0.475, 0.01];
    LeftThumbProximal => "leftThumbProximal", Some(LeftHand), [0.118, 0.465, 0.03];
    LeftIndexProximal => "leftIndexProximal", Some(LeftHand), [0.123, 0.43, 0.012];
    RightShoulder => "rightShoulder", Some(UpperChest), [-0.03, 0.79, 0.0];
    RightUpperArm => "rightUpperArm", Some(RightShoulder), [-0.105, 0.79, 0.0];
    RightLowerArm => "rightLowerArm", Some(RightUpperArm), [-0.115, 0.625, 0.0];
    RightHand => "rightHand", Some(RightLowerArm), [-0.12, 0.475, 0.01];
    RightThumbProximal => "rightThumbProximal", Some(RightHand), [-0.118, 0.465, 0.03];
    RightIndexProximal => "rightIndexProximal", Some(RightHand), [-0.123, 0.43, 0.012];
    LeftUpperLeg => "leftUpperLeg", Some(Hips), [0.055, 0.5, 0.0];
    LeftLowerLeg => "leftLowerLeg", Some(LeftUpperLeg), [0.055, 0.275, 0.005];
    LeftFoot => "leftFoot", Some(LeftLowerLeg), [0.055, 0.045, 0.0];
    LeftToes => "leftToes", Some(LeftFoot), [0.055, 0.012, 0.075];
    RightUpperLeg => "rightUpperLeg", Some(Hips), [-0.055, 0.5, 0.0];
    RightLowerLeg => "rightLowerLeg", Some(RightUpperLeg), [-0.055, 0.275, 0.005];
    RightFoot => "rightFoot", Some(RightLowerLeg), [-0.055, 0.045, 0.0];
    RightToes => "rightToes", Some(RightFoot), [-0.055, 0.012, 0.075];
}

/// Number of bones.
pub const BONE_COUNT: usize = Bone::ALL.len();

impl Bone {
    /// Index into per-bone arrays (the order of [`Bone::ALL`]).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The same bone on the other side (itself for centre bones).
    pub fn mirror(self) -> Bone {
        let name = self.vrm_name();
        let mirrored = if let Some(rest) = name.strip_prefix("left") {
            format!("right{rest}")
        } else if let Some(rest) = name.strip_prefix("right") {
            format!("left{rest}")
        } else {
            return self;
        };
        Bone::ALL
            .iter()
            .copied()
            .find(|bone| bone.vrm_name() == mirrored)
            .unwrap_or(self)
    }
}

/// An idol's body measurements: the rest pose.
#[derive(Debug, Clone, PartialEq)]
pub struct Skeleton {
    /// Height in metres.
    pub height: f32,
    /// Build: widths scale by this (0.8 to 1.2).
    pub build: f32,
    /// Each joint's rest position relative to its parent (the hips: relative to the ground
    /// under her), metres.
    pub local: [Vec3; BONE_COUNT],
    /// Each joint's rest position in the idol's space, metres.
    pub model: [Vec3; BONE_COUNT],
}

impl Skeleton {
    /// The rest pose for a height (metres) and build.
    pub fn new(height: f32, build: f32) -> Self {
        let mut model = [Vec3::ZERO; BONE_COUNT];
        for bone in Bone::ALL {
            let at = bone.rest_at();
            // Widths follow the build, except the face, which keeps its proportions.
            let width = if matches!(bone, LeftEye | RightEye | Jaw) {
                1.0
            } else {
                build
            };
            model[bone.index()] = Vec3::new(at.x * width, at.y, at.z) * height;
        }
        let mut local = model;
        for bone in Bone::ALL {
            if let Some(parent) = bone.parent() {
                local[bone.index()] = model[bone.index()] - model[parent.index()];
            }
        }
        Self {
            height,
            build,
            local,
            model,
        }
    }

    /// Rest position of `bone` in the idol's space.
    pub fn at(&self, bone: Bone) -> Vec3 {
        self.model[bone.index()]
    }

    /// Every joint's position in the idol's space with each bone turned by `rotations` (in
    /// its parent's frame) and the hips moved by `hips` metres.
    pub fn posed(&self, rotations: &[Quat; BONE_COUNT], hips: Vec3) -> [Vec3; BONE_COUNT] {
        let mut positions = [Vec3::ZERO; BONE_COUNT];
        let mut orientations = [Quat::IDENTITY; BONE_COUNT];
        for bone in Bone::ALL {
            let index = bone.index();
            match bone.parent() {
                None => {
                    positions[index] = self.local[index] + hips;
                    orientations[index] = rotations[index];
                }
                Some(parent) => {
                    let parent = parent.index();
                    positions[index] = positions[parent] + orientations[parent] * self.local[index];
                    orientations[index] = orientations[parent] * rotations[index];
                }
            }
        }
        positions
    }
}

/// A full-body pose: a rotation per bone, and where the hips are moved and turned to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pose {
    /// Rotation of each bone in its parent's frame.
    pub rotations: [Quat; BONE_COUNT],
    /// Hips offset from their rest place, in units of the idol's height.
    pub hips: Vec3,
    /// Turn of the whole body about the vertical axis.
    pub turn: Quat,
}

impl Default for Pose {
    fn default() -> Self {
        Self {
            rotations: [Quat::IDENTITY; BONE_COUNT],
            hips: Vec3::ZERO,
            turn: Quat::IDENTITY,
        }
    }
}

impl Pose {
    /// The pose `t` of the way from `self` to `other` (shortest rotations).
    pub fn lerp(&self, other: &Pose, t: f32) -> Pose {
        let mut rotations = self.rotations;
        for (rotation, target) in rotations.iter_mut().zip(other.rotations) {
            *rotation = rotation.slerp(target, t);
        }
        Pose {
            rotations,
            hips: self.hips.lerp(other.hips, t),
            turn: self.turn.slerp(other.turn, t),
        }
    }

    /// The largest angle, in radians, any bone (or the body turn) differs by from `other`.
    pub fn max_angle_to(&self, other: &Pose) -> f32 {
        self.rotations
            .iter()
            .zip(other.rotations)
            .map(|(a, b)| a.angle_between(b))
            .fold(self.turn.angle_between(other.turn), f32::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bones_have_vrm_names_and_parents_come_first() {
        assert_eq!(Bone::LeftUpperArm.vrm_name(), "leftUpperArm");
        assert_eq!(Bone::UpperChest.vrm_name(), "upperChest");
        for bone in Bone::ALL {
            if let Some(parent) = bone.parent() {
                assert!(parent.index() < bone.index(), "{bone:?}");
            }
        }
        assert_eq!(Bone::LeftHand.mirror(), Bone::RightHand);
        assert_eq!(Bone::Head.mirror(), Bone::Head);
    }

    #[test]
    fn rest_pose_scales_with_height() {
        let skeleton = Skeleton::new(1.6, 1.0);
        assert!((skeleton.at(Bone::Hips).y - 0.848).abs() < 1e-4);
        // Local offsets add back up to model positions.
        let hand = [
            Hips,
            Spine,
            Chest,
            UpperChest,
            LeftShoulder,
            LeftUpperArm,
            LeftLowerArm,
            LeftHand,
        ]
        .iter()
        .map(|bone| skeleton.local[bone.index()])
        .sum::<Vec3>();
        assert!(hand.distance(skeleton.at(LeftHand)) < 1e-5);
        // Her left is +X.
        assert!(skeleton.at(LeftHand).x > 0.0);
    }
}

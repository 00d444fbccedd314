//! A motion file's own skeleton and how its poses become encore's: forward kinematics on the
//! source joints, each humanoid bone's world rotation carried over through the same rest-pose
//! correction models get ([`crate::avatar::retarget`]), and the legs solved again on encore's
//! proportions so that the feet land where the source's feet land.

use glam::{Mat3, Quat, Vec3, Vec3Swizzles};

use crate::avatar::{
    retarget::{ModelRest, retarget},
    skeleton::{BONE_COUNT, Bone, Pose, Skeleton},
};

/// One joint of a motion's skeleton, in encore's axes (facing +Z, left +X, Y up).
#[derive(Debug, Clone, PartialEq)]
pub struct Joint {
    /// Its name in the file.
    pub name: String,
    /// The joint above; parents come before children.
    pub parent: Option<usize>,
    /// Rest offset from the parent joint, in the file's units.
    pub offset: Vec3,
    /// Rest rotation in the parent's frame.
    pub rest: Quat,
    /// The humanoid bone it is, if any.
    pub bone: Option<Bone>,
}

/// A motion's skeleton.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rig {
    /// Joints, parents first.
    pub joints: Vec<Joint>,
}

/// Where each joint is and how it is turned, in the motion's world.
#[derive(Debug, Clone, PartialEq)]
pub struct World {
    /// Joint positions, file units.
    pub positions: Vec<Vec3>,
    /// Joint rotations.
    pub rotations: Vec<Quat>,
}

impl Rig {
    /// The joint named `name`.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.joints.iter().position(|joint| joint.name == name)
    }

    /// The joint that is humanoid bone `bone`.
    pub fn joint_of(&self, bone: Bone) -> Option<usize> {
        self.joints
            .iter()
            .position(|joint| joint.bone == Some(bone))
    }

    /// Forward kinematics: each joint at its parent's place plus its local `translations`,
    /// turned by its local `rotations`.
    pub fn world(&self, rotations: &[Quat], translations: &[Vec3]) -> World {
        let mut world = World {
            positions: Vec::with_capacity(self.joints.len()),
            rotations: Vec::with_capacity(self.joints.len()),
        };
        for (index, joint) in self.joints.iter().enumerate() {
            let (position, rotation) = match joint.parent {
                Some(parent) => (
                    world.positions[parent] + world.rotations[parent] * translations[index],
                    world.rotations[parent] * rotations[index],
                ),
                None => (translations[index], rotations[index]),
            };
            world.positions.push(position);
            world.rotations.push(rotation);
        }
        world
    }

    /// The rest pose.
    pub fn rest(&self) -> World {
        let rotations: Vec<Quat> = self.joints.iter().map(|joint| joint.rest).collect();
        let translations: Vec<Vec3> = self.joints.iter().map(|joint| joint.offset).collect();
        self.world(&rotations, &translations)
    }
}

/// Where the feet go, in the motion's world: an ankle and a point ahead of it on the foot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FootTarget {
    /// The ankle, file units.
    pub ankle: Vec3,
    /// The foot's rotation from its rest, or `None` to keep the pose's foot.
    pub toes: Option<Quat>,
    /// Which way the knee points, or `None` for the way the hips face.
    pub knee: Option<Vec3>,
}

/// How a rig's poses map onto encore's skeleton: fixed per motion.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    /// The source joint of each humanoid bone.
    source: [Option<usize>; BONE_COUNT],
    /// Undoes the rest-pose correction and rest rotation of each bone.
    unpost: [Quat; BONE_COUNT],
    /// The nearest mapped bone above each bone.
    above: [Option<Bone>; BONE_COUNT],
    /// Units of the idol's height per file unit, from the legs' length.
    pub scale: f32,
    /// Rest positions of the joints, file units.
    rest: World,
    /// encore's skeleton one unit tall, where the legs are solved.
    ours: Skeleton,
}

/// Leg length of encore's skeleton per unit of height: hip joint to ankle.
fn our_leg(ours: &Skeleton) -> f32 {
    ours.at(Bone::LeftUpperLeg)
        .distance(ours.at(Bone::LeftLowerLeg))
        + ours
            .at(Bone::LeftLowerLeg)
            .distance(ours.at(Bone::LeftFoot))
}

impl Mapping {
    /// The mapping of `rig`; `None` when it lacks the hips.
    pub fn new(rig: &Rig) -> Option<Mapping> {
        let rest = rig.rest();
        let mut source = [None; BONE_COUNT];
        for (index, joint) in rig.joints.iter().enumerate() {
            if let Some(bone) = joint.bone {
                source[bone.index()].get_or_insert(index);
            }
        }
        source[Bone::Hips.index()]?;
        let mut model = ModelRest {
            mapped: [false; BONE_COUNT],
            rotation: [Quat::IDENTITY; BONE_COUNT],
            parent_rotation: [Quat::IDENTITY; BONE_COUNT],
            position: [Vec3::ZERO; BONE_COUNT],
            tips: [None; BONE_COUNT],
        };
        for bone in Bone::ALL {
            let Some(joint) = source[bone.index()] else {
                continue;
            };
            model.mapped[bone.index()] = true;
            model.rotation[bone.index()] = rest.rotations[joint];
            model.parent_rotation[bone.index()] = rig.joints[joint]
                .parent
                .map_or(Quat::IDENTITY, |parent| rest.rotations[parent]);
            model.position[bone.index()] = rest.positions[joint];
        }
        let fixed = retarget(&model);
        let mut above = [None; BONE_COUNT];
        for bone in Bone::ALL {
            let mut up = bone.parent();
            while let Some(parent) = up {
                if source[parent.index()].is_some() {
                    above[bone.index()] = Some(parent);
                    break;
                }
                up = parent.parent();
            }
        }
        let ours = Skeleton::new(1.0, 1.0);
        let leg = |upper: Bone, lower: Bone, foot: Bone| {
            let at = |bone: Bone| source[bone.index()].map(|joint| rest.positions[joint]);
            Some(at(upper)?.distance(at(lower)?) + at(lower)?.distance(at(foot)?))
        };
        let scale = leg(Bone::LeftUpperLeg, Bone::LeftLowerLeg, Bone::LeftFoot)
            .or_else(|| leg(Bone::RightUpperLeg, Bone::RightLowerLeg, Bone::RightFoot))
            .filter(|length| *length > 1e-6)
            .map_or(1.0, |length| our_leg(&ours) / length);
        Some(Mapping {
            source,
            unpost: fixed.post.map(|post| post.inverse()),
            above,
            scale,
            rest,
            ours,
        })
    }

    /// The source joint of `bone`.
    pub fn source(&self, bone: Bone) -> Option<usize> {
        self.source[bone.index()]
    }

    /// encore's pose for the source pose `world`, the feet put at `feet` (left, right).
    pub fn pose(&self, world: &World, feet: [Option<FootTarget>; 2]) -> Pose {
        let mut turned = [Quat::IDENTITY; BONE_COUNT];
        for bone in Bone::ALL {
            if let Some(joint) = self.source[bone.index()] {
                turned[bone.index()] = world.rotations[joint] * self.unpost[bone.index()];
            }
        }
        let mut rotations = [Quat::IDENTITY; BONE_COUNT];
        for bone in Bone::ALL {
            if self.source[bone.index()].is_none() {
                continue;
            }
            let parent =
                self.above[bone.index()].map_or(Quat::IDENTITY, |above| turned[above.index()]);
            rotations[bone.index()] = (parent.inverse() * turned[bone.index()]).normalize();
        }
        let hips = self.source[Bone::Hips.index()].map_or(Vec3::ZERO, |joint| {
            (world.positions[joint] - self.rest.positions[joint]) * self.scale
        });
        for (side, foot) in [LEFT_LEG, RIGHT_LEG].into_iter().zip(feet) {
            if let Some(foot) = foot {
                self.plant(&mut rotations, hips, side, foot);
            }
        }
        // The body's heading becomes the pose's turn, so the camera knows where she faces.
        let facing = rotations[Bone::Hips.index()] * Vec3::Z;
        let turn = if facing.xz().length() > 1e-3 {
            Quat::from_rotation_y(facing.x.atan2(facing.z))
        } else {
            Quat::IDENTITY
        };
        rotations[Bone::Hips.index()] = turn.inverse() * rotations[Bone::Hips.index()];
        Pose {
            rotations,
            hips: turn.inverse() * hips,
            turn,
        }
    }

    /// Solves one leg on encore's skeleton so that its ankle reaches the source's ankle
    /// (scaled), the knee bending the way the hips face, and the foot pointing the way the
    /// source's foot points.
    fn plant(
        &self,
        rotations: &mut [Quat; BONE_COUNT],
        hips: Vec3,
        leg: [Bone; 3],
        foot: FootTarget,
    ) {
        let [upper, lower, ankle] = leg;
        let (Some(source_ankle), Some(_)) =
            (self.source[ankle.index()], self.source[upper.index()])
        else {
            return;
        };
        let ours = &self.ours;
        // The legs hang from the hips directly: the hip joint is one step from them.
        let hips_world = rotations[Bone::Hips.index()];
        let hip = ours.at(Bone::Hips) + hips + hips_world * ours.local[upper.index()];
        let rest_ankle = self.rest.positions[source_ankle];
        let target = ours.at(ankle) + (foot.ankle - rest_ankle) * self.scale;
        let thigh_rest = ours.local[lower.index()];
        let shin_rest = ours.local[ankle.index()];
        let (a, b) = (thigh_rest.length(), shin_rest.length());
        let to = target - hip;
        let reach = to.length().clamp((a - b).abs() + 1e-4, a + b - 1e-4);
        let Some(along) = to.try_normalize() else {
            return;
        };
        let forward = foot.knee.unwrap_or(hips_world * Vec3::Z);
        let bend = (forward - along * forward.dot(along))
            .try_normalize()
            .or_else(|| {
                let forward = hips_world * Vec3::Z;
                (forward - along * forward.dot(along)).try_normalize()
            })
            .unwrap_or(Vec3::Z);
        let cos = ((a * a + reach * reach - b * b) / (2.0 * a * reach)).clamp(-1.0, 1.0);
        let knee = hip + a * (cos * along + (1.0 - cos * cos).sqrt() * bend);
        let end = hip + along * reach;
        let thigh = aim(thigh_rest, knee - hip, bend);
        let shin = aim(shin_rest, end - knee, bend);
        let foot_world = match foot.toes {
            Some(turned) => turned,
            None => {
                let thigh_was = hips_world * rotations[upper.index()];
                thigh_was * rotations[lower.index()] * rotations[ankle.index()]
            }
        };
        rotations[upper.index()] = (hips_world.inverse() * thigh).normalize();
        rotations[lower.index()] = (thigh.inverse() * shin).normalize();
        rotations[ankle.index()] = (shin.inverse() * foot_world).normalize();
    }
}

const LEFT_LEG: [Bone; 3] = [Bone::LeftUpperLeg, Bone::LeftLowerLeg, Bone::LeftFoot];
const RIGHT_LEG: [Bone; 3] = [Bone::RightUpperLeg, Bone::RightLowerLeg, Bone::RightFoot];

/// The rotation that turns a leg bone resting along `rest` (with its knee side +Z) to lie
/// along `direction` with its knee side towards `bend`.
fn aim(rest: Vec3, direction: Vec3, bend: Vec3) -> Quat {
    let frame = |along: Vec3, side: Vec3| {
        let along = along.normalize();
        let side = (side - along * side.dot(along)).normalize_or(along.any_orthonormal_vector());
        Mat3::from_cols(along.cross(side), along, side)
    };
    Quat::from_mat3(&(frame(direction, bend) * frame(rest, Vec3::Z).transpose())).normalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// encore's own skeleton as a rig, `units` file units per unit of height.
    pub(crate) fn our_rig(units: f32) -> Rig {
        let ours = Skeleton::new(1.0, 1.0);
        Rig {
            joints: Bone::ALL
                .iter()
                .map(|bone| Joint {
                    name: bone.vrm_name().to_owned(),
                    parent: bone.parent().map(Bone::index),
                    offset: ours.local[bone.index()] * units,
                    rest: Quat::IDENTITY,
                    bone: Some(*bone),
                })
                .collect(),
        }
    }

    fn locals(rig: &Rig) -> (Vec<Quat>, Vec<Vec3>) {
        (
            rig.joints.iter().map(|joint| joint.rest).collect(),
            rig.joints.iter().map(|joint| joint.offset).collect(),
        )
    }

    #[test]
    fn encores_own_skeleton_maps_onto_itself_at_any_scale() {
        let rig = our_rig(20.0);
        let mapping = Mapping::new(&rig).expect("has hips");
        assert!((mapping.scale - 0.05).abs() < 1e-5);
        let (mut rotations, mut translations) = locals(&rig);
        rotations[Bone::LeftUpperArm.index()] = Quat::from_rotation_z(0.9);
        rotations[Bone::Spine.index()] = Quat::from_rotation_x(0.2);
        translations[Bone::Hips.index()] += Vec3::new(2.0, -1.0, 0.0);
        let pose = mapping.pose(&rig.world(&rotations, &translations), [None, None]);
        assert!(
            pose.rotations[Bone::LeftUpperArm.index()].angle_between(Quat::from_rotation_z(0.9))
                < 1e-4
        );
        assert!(
            pose.rotations[Bone::Spine.index()].angle_between(Quat::from_rotation_x(0.2)) < 1e-4
        );
        assert!(
            pose.hips.distance(Vec3::new(0.1, -0.05, 0.0)) < 1e-4,
            "{}",
            pose.hips
        );
    }

    #[test]
    fn a_turned_body_becomes_the_turn_and_planted_feet_stay_put() {
        let rig = our_rig(1.0);
        let mapping = Mapping::new(&rig).expect("has hips");
        let (mut rotations, mut translations) = locals(&rig);
        rotations[Bone::Hips.index()] = Quat::from_rotation_y(1.2);
        let pose = mapping.pose(&rig.world(&rotations, &translations), [None, None]);
        assert!(pose.turn.angle_between(Quat::from_rotation_y(1.2)) < 1e-4);
        assert!(pose.rotations[Bone::Hips.index()].angle_between(Quat::IDENTITY) < 1e-4);

        // Squat: the hips drop 10 cm; the feet, held at rest, stay on the floor and the knees
        // bend forwards.
        rotations[Bone::Hips.index()] = Quat::IDENTITY;
        translations[Bone::Hips.index()].y -= 0.1;
        let rest = rig.rest();
        let feet = [Bone::LeftFoot, Bone::RightFoot].map(|foot| {
            Some(FootTarget {
                ankle: rest.positions[foot.index()],
                toes: Some(Quat::IDENTITY),
                knee: None,
            })
        });
        let pose = mapping.pose(&rig.world(&rotations, &translations), feet);
        let ours = Skeleton::new(1.0, 1.0);
        let joints = ours.posed(&pose.rotations, pose.hips);
        for (foot, knee) in [
            (Bone::LeftFoot, Bone::LeftLowerLeg),
            (Bone::RightFoot, Bone::RightLowerLeg),
        ] {
            assert!(
                joints[foot.index()].distance(ours.at(foot)) < 1e-3,
                "{foot:?}"
            );
            assert!(
                joints[knee.index()].z > ours.at(knee).z + 0.02,
                "{knee:?} bends forwards"
            );
        }
    }
}

//! Retargeting the move library onto a model's own skeleton, whatever its rest pose (T-pose,
//! A-pose, arms down) and however its joints' axes are oriented.
//!
//! The moves are rotations of encore's skeleton, whose bones all rest unrotated with the arms
//! hanging down; `W(b)` is bone `b`'s world rotation in a pose, the product of the moves down
//! the chain. A model bone is turned by the same world rotation, after a rest-pose correction
//! `A(b)` that swings the model's bone onto encore's rest direction (a T-pose arm down to the
//! side):
//!
//! ```text
//! world_model(b) = W(b) · A(b) · Q(b)                  Q: the model's rest world rotation
//! local_model(b) = Q(dp)⁻¹ · A(p)⁻¹ · M(chain) · A(b) · Q(b)
//! ```
//!
//! where `dp` is the model node directly above `b`, `p` the nearest humanoid bone above it
//! that the model has, and `M(chain)` the moves of encore's bones from below `p` down to `b`.
//! Everything but the moves is fixed per model, so each frame is two multiplications a bone.

use glam::{Quat, Vec3};

use super::skeleton::{BONE_COUNT, Bone, Skeleton};

/// The fixed parts of the formula for one model.
#[derive(Debug, Clone, PartialEq)]
pub struct Retarget {
    /// `Q(dp)⁻¹ · A(p)⁻¹` per bone.
    pub pre: [Quat; BONE_COUNT],
    /// `A(b) · Q(b)` per bone.
    pub post: [Quat; BONE_COUNT],
    /// encore's bones whose moves this model bone carries, root side first (itself last).
    pub chains: Vec<Vec<Bone>>,
    /// Turns an offset of the hips in the idol's space into the hips' parent frame.
    pub hips_frame: Quat,
}

/// A model's rest pose as the retargeting needs it, in the idol's space (facing +Z).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRest {
    /// Which bones the model has.
    pub mapped: [bool; BONE_COUNT],
    /// Each mapped bone's world rotation at rest.
    pub rotation: [Quat; BONE_COUNT],
    /// The world rotation of the node directly above each mapped bone.
    pub parent_rotation: [Quat; BONE_COUNT],
    /// Each mapped bone's world position at rest.
    pub position: [Vec3; BONE_COUNT],
    /// The middle of what each bone carries (its skin and the meshes hung on it), where known:
    /// the direction of a limb that has no joint below it (a robot's one-piece arm).
    pub tips: [Option<Vec3>; BONE_COUNT],
}

/// The bones whose position gives `bone`'s direction, nearest first.
fn aim_bones(bone: Bone) -> &'static [Bone] {
    use Bone::*;
    match bone {
        Spine => &[Chest, UpperChest, Neck, Head],
        Chest => &[UpperChest, Neck, Head],
        UpperChest => &[Neck, Head],
        Neck => &[Head],
        LeftShoulder => &[LeftUpperArm],
        LeftUpperArm => &[LeftLowerArm],
        LeftLowerArm => &[LeftHand],
        RightShoulder => &[RightUpperArm],
        RightUpperArm => &[RightLowerArm],
        RightLowerArm => &[RightHand],
        LeftUpperLeg => &[LeftLowerLeg],
        LeftLowerLeg => &[LeftFoot],
        LeftFoot => &[LeftToes],
        RightUpperLeg => &[RightLowerLeg],
        RightLowerLeg => &[RightFoot],
        RightFoot => &[RightToes],
        _ => &[],
    }
}

/// The nearest ancestor of `bone` in encore's skeleton that the model has.
fn mapped_ancestor(bone: Bone, mapped: &[bool; BONE_COUNT]) -> Option<Bone> {
    let mut up = bone.parent();
    while let Some(parent) = up {
        if mapped[parent.index()] {
            return Some(parent);
        }
        up = parent.parent();
    }
    None
}

/// The fixed parts of the retargeting formula for a model at `rest`.
pub fn retarget(rest: &ModelRest) -> Retarget {
    let ours = Skeleton::new(1.0, 1.0);
    let mut correction = [Quat::IDENTITY; BONE_COUNT];
    let mut pre = [Quat::IDENTITY; BONE_COUNT];
    let mut post = [Quat::IDENTITY; BONE_COUNT];
    let mut chains = vec![Vec::new(); BONE_COUNT];
    for &bone in Bone::ALL {
        let index = bone.index();
        if !rest.mapped[index] {
            continue;
        }
        let ancestor = mapped_ancestor(bone, &rest.mapped);
        let inherited = ancestor.map_or(Quat::IDENTITY, |parent| correction[parent.index()]);
        let arc = |model: Vec3, encore: Vec3| {
            let (model, encore) = (model.try_normalize()?, encore.try_normalize()?);
            Some(Quat::from_rotation_arc(model, encore))
        };
        let aim = match aim_bones(bone)
            .iter()
            .find(|target| rest.mapped[target.index()])
        {
            Some(&target) => arc(
                rest.position[target.index()] - rest.position[index],
                ours.model[target.index()] - ours.model[index],
            ),
            // A limb with no joint below: towards the middle of what it carries.
            None => aim_bones(bone)
                .first()
                .zip(rest.tips[index])
                .and_then(|(&next, tip)| {
                    arc(
                        tip - rest.position[index],
                        ours.model[next.index()] - ours.model[index],
                    )
                }),
        };
        // Bones without a direction of their own (hips, head, hands) keep their parent's
        // correction, so a hand stays in line with its forearm.
        correction[index] = match (bone, aim) {
            (Bone::Hips, _) => Quat::IDENTITY,
            (_, Some(aim)) => aim,
            (_, None) => inherited,
        };
        pre[index] = rest.parent_rotation[index].inverse() * inherited.inverse();
        post[index] = correction[index] * rest.rotation[index];
        let mut chain = vec![bone];
        let mut up = bone.parent();
        while let Some(parent) = up {
            if Some(parent) == ancestor {
                break;
            }
            chain.push(parent);
            up = parent.parent();
        }
        chain.reverse();
        chains[index] = chain;
    }
    Retarget {
        pre,
        post,
        chains,
        hips_frame: rest.parent_rotation[Bone::Hips.index()].inverse(),
    }
}

impl Retarget {
    /// The model bone's local rotation for encore's per-bone `moves`.
    pub fn local(&self, bone: Bone, moves: &[Quat; BONE_COUNT]) -> Quat {
        let index = bone.index();
        let moved = self.chains[index]
            .iter()
            .fold(Quat::IDENTITY, |product, bone| {
                product * moves[bone.index()]
            });
        (self.pre[index] * moved * self.post[index]).normalize()
    }
}

#[cfg(test)]
mod tests {
    use std::f32::consts::FRAC_PI_2;

    use super::*;

    /// A model with encore's own proportions, but in a T-pose: arms straight out sideways,
    /// and every joint's axes turned by `twist` (as exporters often leave them).
    fn t_pose(twist: Quat) -> (ModelRest, Skeleton) {
        let ours = Skeleton::new(1.0, 1.0);
        let mut position = ours.model;
        for (side, bones) in [
            (
                1.0,
                [Bone::LeftUpperArm, Bone::LeftLowerArm, Bone::LeftHand],
            ),
            (
                -1.0,
                [Bone::RightUpperArm, Bone::RightLowerArm, Bone::RightHand],
            ),
        ] {
            let shoulder = ours.model[bones[0].index()];
            let mut reach = 0.0;
            for pair in bones.windows(2) {
                reach += (ours.model[pair[1].index()] - ours.model[pair[0].index()]).length();
                position[pair[1].index()] = shoulder + Vec3::X * side * reach;
            }
        }
        let rest = ModelRest {
            mapped: [true; BONE_COUNT],
            rotation: [twist; BONE_COUNT],
            parent_rotation: [twist; BONE_COUNT],
            position,
            tips: [None; BONE_COUNT],
        };
        (rest, ours)
    }

    /// World rotations of the model's bones for encore's `moves`, by composing the locals.
    fn world(retarget: &Retarget, rest: &ModelRest, moves: &[Quat; BONE_COUNT]) -> Vec<Quat> {
        let mut world = vec![Quat::IDENTITY; BONE_COUNT];
        for &bone in Bone::ALL {
            let parent = bone
                .parent()
                .map_or(rest.parent_rotation[bone.index()], |parent| {
                    world[parent.index()]
                });
            world[bone.index()] = parent * retarget.local(bone, moves);
        }
        world
    }

    #[test]
    fn a_t_pose_model_rests_with_its_arms_down_and_takes_the_moves() {
        for twist in [
            Quat::IDENTITY,
            Quat::from_rotation_x(0.7) * Quat::from_rotation_z(-1.1),
        ] {
            let (rest, ours) = t_pose(twist);
            let retarget = retarget(&rest);
            // At rest the model's upper arm, turned by its local rotations, points down like
            // encore's.
            let still = [Quat::IDENTITY; BONE_COUNT];
            let arm = |moves: &[Quat; BONE_COUNT], bone: Bone, child: Bone| {
                let world = world(&retarget, &rest, moves);
                let model_direction =
                    (rest.position[child.index()] - rest.position[bone.index()]).normalize();
                // A direction of the model at rest, carried by the bone's change of rotation.
                world[bone.index()] * rest.rotation[bone.index()].inverse() * model_direction
            };
            let down = arm(&still, Bone::LeftUpperArm, Bone::LeftLowerArm);
            let encore = (ours.model[Bone::LeftLowerArm.index()]
                - ours.model[Bone::LeftUpperArm.index()])
            .normalize();
            assert!(down.dot(encore) > 0.999, "{down} vs {encore}");

            // Raising encore's arm sideways by 90° raises the model's the same way.
            let mut raised = still;
            raised[Bone::LeftUpperArm.index()] = Quat::from_rotation_z(FRAC_PI_2);
            let up = arm(&raised, Bone::LeftUpperArm, Bone::LeftLowerArm);
            let expected = Quat::from_rotation_z(FRAC_PI_2) * encore;
            assert!(up.dot(expected) > 0.999, "{up} vs {expected}");

            // And the forearm follows the upper arm.
            let forearm = arm(&raised, Bone::LeftLowerArm, Bone::LeftHand);
            assert!(forearm.dot(expected) > 0.99, "{forearm} vs {expected}");
        }
    }

    #[test]
    fn a_model_like_encores_own_idol_takes_the_moves_unchanged() {
        let ours = Skeleton::new(1.0, 1.0);
        let rest = ModelRest {
            mapped: [true; BONE_COUNT],
            rotation: [Quat::IDENTITY; BONE_COUNT],
            parent_rotation: [Quat::IDENTITY; BONE_COUNT],
            position: ours.model,
            tips: [None; BONE_COUNT],
        };
        let retarget = retarget(&rest);
        let mut moves = [Quat::IDENTITY; BONE_COUNT];
        moves[Bone::RightLowerArm.index()] = Quat::from_rotation_x(0.8);
        let local = retarget.local(Bone::RightLowerArm, &moves);
        assert!(local.angle_between(moves[Bone::RightLowerArm.index()]) < 1e-4);
    }

    #[test]
    fn a_missing_bone_passes_its_move_down_the_chain() {
        let ours = Skeleton::new(1.0, 1.0);
        let mut mapped = [true; BONE_COUNT];
        mapped[Bone::UpperChest.index()] = false;
        let rest = ModelRest {
            mapped,
            rotation: [Quat::IDENTITY; BONE_COUNT],
            parent_rotation: [Quat::IDENTITY; BONE_COUNT],
            position: ours.model,
            tips: [None; BONE_COUNT],
        };
        let retarget = retarget(&rest);
        assert_eq!(
            retarget.chains[Bone::Neck.index()],
            vec![Bone::UpperChest, Bone::Neck]
        );
        let mut moves = [Quat::IDENTITY; BONE_COUNT];
        moves[Bone::UpperChest.index()] = Quat::from_rotation_x(0.3);
        let neck = retarget.local(Bone::Neck, &moves);
        assert!(neck.angle_between(Quat::from_rotation_x(0.3)) < 1e-4);
    }
}

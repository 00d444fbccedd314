//! MMD's standard skeleton, which VMD dances are written for: the bone names (センター,
//! グルーブ, 下半身, 上半身, 腕捩 twist bones, 足ＩＫ…), where they rest (arms in MMD's A-pose),
//! and which humanoid bone each one is. A VMD file carries only keyframes; this skeleton is
//! what they turn and move.

use glam::{Quat, Vec3};

use super::{
    rig::{FootTarget, Joint, Rig, World},
    vmd::{Vmd, names_match},
};
use crate::avatar::{expression::Expression, skeleton::Bone};

/// A bone of the standard skeleton: name, parent name, rest position (MMD units, encore's
/// axes: the model faces +Z) and the humanoid bone it is.
type Standard = (&'static str, Option<&'static str>, [f32; 3], Option<Bone>);

/// The standard skeleton of a model about 20 units (1.6 m) tall, parents first. The arms rest
/// 35° below horizontal, MMD's usual A-pose; the positions are round figures of the usual
/// proportions, which is all retargeting needs (directions and the legs' length).
const STANDARD: &[Standard] = {
    use Bone::*;
    &[
        ("全ての親", None, [0.0, 0.0, 0.0], None),
        ("センター", Some("全ての親"), [0.0, 8.8, 0.0], None),
        ("グルーブ", Some("センター"), [0.0, 9.0, 0.0], None),
        ("腰", Some("グルーブ"), [0.0, 10.6, -0.1], Some(Hips)),
        ("上半身", Some("腰"), [0.0, 11.6, 0.0], Some(Spine)),
        ("上半身2", Some("上半身"), [0.0, 13.2, 0.0], Some(Chest)),
        (
            "上半身3",
            Some("上半身2"),
            [0.0, 14.4, 0.0],
            Some(UpperChest),
        ),
        ("首", Some("上半身3"), [0.0, 15.7, 0.0], Some(Neck)),
        ("頭", Some("首"), [0.0, 16.8, 0.1], Some(Head)),
        ("両目", Some("頭"), [0.0, 17.9, 0.9], None),
        ("左目", Some("頭"), [0.28, 17.9, 0.6], Some(LeftEye)),
        ("右目", Some("頭"), [-0.28, 17.9, 0.6], Some(RightEye)),
        (
            "左肩",
            Some("上半身3"),
            [0.3, 15.5, 0.0],
            Some(LeftShoulder),
        ),
        ("左腕", Some("左肩"), [1.3, 15.2, 0.0], Some(LeftUpperArm)),
        ("左腕捩", Some("左腕"), [2.45, 14.4, 0.0], None),
        (
            "左ひじ",
            Some("左腕捩"),
            [3.6, 13.59, 0.0],
            Some(LeftLowerArm),
        ),
        ("左手捩", Some("左ひじ"), [4.9, 12.68, 0.0], None),
        ("左手首", Some("左手捩"), [6.2, 11.77, 0.0], Some(LeftHand)),
        ("左親指０", Some("左手首"), [6.3, 11.6, 0.3], None),
        (
            "左親指１",
            Some("左親指０"),
            [6.55, 11.4, 0.55],
            Some(LeftThumbProximal),
        ),
        (
            "左人指１",
            Some("左手首"),
            [7.1, 11.5, 0.25],
            Some(LeftIndexProximal),
        ),
        (
            "右肩",
            Some("上半身3"),
            [-0.3, 15.5, 0.0],
            Some(RightShoulder),
        ),
        ("右腕", Some("右肩"), [-1.3, 15.2, 0.0], Some(RightUpperArm)),
        ("右腕捩", Some("右腕"), [-2.45, 14.4, 0.0], None),
        (
            "右ひじ",
            Some("右腕捩"),
            [-3.6, 13.59, 0.0],
            Some(RightLowerArm),
        ),
        ("右手捩", Some("右ひじ"), [-4.9, 12.68, 0.0], None),
        (
            "右手首",
            Some("右手捩"),
            [-6.2, 11.77, 0.0],
            Some(RightHand),
        ),
        ("右親指０", Some("右手首"), [-6.3, 11.6, 0.3], None),
        (
            "右親指１",
            Some("右親指０"),
            [-6.55, 11.4, 0.55],
            Some(RightThumbProximal),
        ),
        (
            "右人指１",
            Some("右手首"),
            [-7.1, 11.5, 0.25],
            Some(RightIndexProximal),
        ),
        ("下半身", Some("腰"), [0.0, 11.6, 0.0], None),
        ("左足", Some("下半身"), [0.9, 10.4, 0.0], Some(LeftUpperLeg)),
        ("左ひざ", Some("左足"), [0.9, 5.8, 0.25], Some(LeftLowerLeg)),
        ("左足首", Some("左ひざ"), [0.9, 1.25, -0.15], Some(LeftFoot)),
        ("左つま先", Some("左足首"), [0.9, 0.0, 1.3], Some(LeftToes)),
        (
            "右足",
            Some("下半身"),
            [-0.9, 10.4, 0.0],
            Some(RightUpperLeg),
        ),
        (
            "右ひざ",
            Some("右足"),
            [-0.9, 5.8, 0.25],
            Some(RightLowerLeg),
        ),
        (
            "右足首",
            Some("右ひざ"),
            [-0.9, 1.25, -0.15],
            Some(RightFoot),
        ),
        (
            "右つま先",
            Some("右足首"),
            [-0.9, 0.0, 1.3],
            Some(RightToes),
        ),
        ("左足IK親", Some("全ての親"), [0.9, 0.0, -0.15], None),
        ("左足ＩＫ", Some("左足IK親"), [0.9, 1.25, -0.15], None),
        ("左つま先ＩＫ", Some("左足ＩＫ"), [0.9, 0.0, 1.3], None),
        ("右足IK親", Some("全ての親"), [-0.9, 0.0, -0.15], None),
        ("右足ＩＫ", Some("右足IK親"), [-0.9, 1.25, -0.15], None),
        ("右つま先ＩＫ", Some("右足ＩＫ"), [-0.9, 0.0, 1.3], None),
    ]
};

/// The IK chains of the legs: (leg IK bone, toe IK bone).
pub const LEG_IK: [(&str, &str); 2] = [("左足ＩＫ", "左つま先ＩＫ"), ("右足ＩＫ", "右つま先ＩＫ")];

/// MMD's face morphs and the expressions they are.
pub const MORPHS: &[(&str, Expression)] = &[
    ("あ", Expression::Aa),
    ("い", Expression::Ih),
    ("う", Expression::Ou),
    ("え", Expression::Ee),
    ("お", Expression::Oh),
    ("まばたき", Expression::Blink),
    ("笑い", Expression::Smile),
];

/// The standard skeleton as a rig.
pub fn standard_rig() -> Rig {
    let mut rig = Rig::default();
    for &(name, parent, at, bone) in STANDARD {
        let parent = parent.and_then(|parent| rig.find(parent));
        let at = Vec3::from(at);
        let offset = parent.map_or(at, |parent| at - position(parent));
        rig.joints.push(Joint {
            name: name.to_owned(),
            parent,
            offset,
            rest: Quat::IDENTITY,
            bone,
        });
    }
    rig
}

/// Rest position of the standard joint at `index`.
fn position(index: usize) -> Vec3 {
    Vec3::from(STANDARD[index].2)
}

/// A VMD dance bound to the standard skeleton: which track turns which joint.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    /// The track of each joint of [`standard_rig`].
    tracks: Vec<Option<usize>>,
    /// The expression tracks: (track, expression).
    pub faces: Vec<(usize, Expression)>,
    /// Names of the bone tracks no standard bone takes.
    pub unknown_bones: Vec<String>,
    /// Names of the morph tracks no expression takes.
    pub unknown_morphs: Vec<String>,
}

/// Binds `vmd`'s tracks to `rig` (the standard skeleton) by name.
pub fn bind(vmd: &Vmd, rig: &Rig) -> Bound {
    let tracks = rig
        .joints
        .iter()
        .map(|joint| {
            vmd.bones
                .iter()
                .position(|track| names_match(&track.name, &joint.name))
        })
        .collect::<Vec<_>>();
    let unknown_bones = vmd
        .bones
        .iter()
        .enumerate()
        .filter(|(index, _)| !tracks.contains(&Some(*index)))
        .map(|(_, track)| track.name.clone())
        .collect();
    let mut faces = Vec::new();
    let mut unknown_morphs = Vec::new();
    for (index, track) in vmd.morphs.iter().enumerate() {
        match MORPHS
            .iter()
            .find(|(name, _)| names_match(&track.name, name))
        {
            Some((_, expression)) => faces.push((index, *expression)),
            None => unknown_morphs.push(track.name.clone()),
        }
    }
    Bound {
        tracks,
        faces,
        unknown_bones,
        unknown_morphs,
    }
}

/// The standard skeleton posed at `frame`, and where the IK chains put the feet.
pub fn pose_at(
    vmd: &Vmd,
    rig: &Rig,
    bound: &Bound,
    frame: f32,
) -> (World, [Option<FootTarget>; 2]) {
    let mut rotations = Vec::with_capacity(rig.joints.len());
    let mut translations = Vec::with_capacity(rig.joints.len());
    for (joint, track) in rig.joints.iter().zip(&bound.tracks) {
        let (moved, turned) = track.map_or((Vec3::ZERO, Quat::IDENTITY), |track| {
            vmd.bones[track].sample(frame)
        });
        rotations.push(joint.rest * turned);
        translations.push(joint.offset + moved);
    }
    let world = rig.world(&rotations, &translations);
    let feet = LEG_IK.map(|(leg, toe)| {
        let (Some(leg_joint), Some(toe_joint)) = (rig.find(leg), rig.find(toe)) else {
            return None;
        };
        let rest = position(toe_joint) - position(leg_joint);
        let now = world.positions[toe_joint] - world.positions[leg_joint];
        vmd.ik_on(leg, frame).then(|| FootTarget {
            ankle: world.positions[leg_joint],
            toes: (vmd.ik_on(toe, frame) && now.length() > 1e-4)
                .then(|| Quat::from_rotation_arc(rest.normalize(), now.normalize())),
            knee: None,
        })
    });
    (world, feet)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::motion::rig::Mapping;

    #[test]
    fn the_standard_skeleton_rests_in_an_a_pose_and_maps_the_humanoid() {
        let rig = standard_rig();
        let arm = position(rig.find("左ひじ").unwrap()) - position(rig.find("左腕").unwrap());
        let below = (-arm.y).atan2(arm.x).to_degrees();
        assert!(
            (below - 35.0).abs() < 1.0,
            "arms {below:.1}° below horizontal"
        );
        let mapping = Mapping::new(&rig).expect("has hips");
        for bone in crate::avatar::inspect::REQUIRED_BONES {
            let bone = Bone::ALL.iter().find(|b| b.vrm_name() == *bone).unwrap();
            assert!(mapping.source(*bone).is_some(), "{bone:?}");
        }
        // About 8 cm to the unit on a 1.6 m idol.
        assert!(
            (mapping.scale * 1.6 - 0.08).abs() < 0.005,
            "{}",
            mapping.scale
        );
    }

    #[test]
    fn at_rest_the_dance_is_mmds_a_pose_on_planted_feet() {
        let rig = standard_rig();
        let vmd = Vmd::default();
        let bound = bind(&vmd, &rig);
        let mapping = Mapping::new(&rig).expect("has hips");
        let (world, feet) = pose_at(&vmd, &rig, &bound, 0.0);
        let pose = mapping.pose(&world, feet);
        // encore's arms hang down and 3.5° out; MMD's rest raises them to 35° below
        // horizontal.
        let arm = pose.rotations[Bone::LeftShoulder.index()]
            * pose.rotations[Bone::LeftUpperArm.index()]
            * Vec3::NEG_Y;
        let below = (-arm.y).atan2(arm.x).to_degrees();
        assert!((below - 38.5).abs() < 2.0, "{below}");
        for bone in [Bone::Spine, Bone::Head, Bone::LeftLowerLeg, Bone::RightFoot] {
            let angle = pose.rotations[bone.index()].angle_between(Quat::IDENTITY);
            assert!(angle < 0.05, "{bone:?} turned {angle}");
        }
        assert!(pose.hips.length() < 1e-4);
    }
}

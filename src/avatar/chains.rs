//! The swinging parts of a built-in idol: locks of hair, tails and skirt panels hang from
//! chains of joints that spring bones move ([`super::spring`]). The chains come from her
//! hair style and outfit alone, so the stage, the export and the tests lay out the same
//! joints. Chain joints are numbered after the humanoid bones: the first is joint
//! [`BONE_COUNT`].

use bevy::math::Vec3;

use super::skeleton::{BONE_COUNT, Bone, Skeleton};
use crate::setlist::raw::{BuiltinLook, HairStyle, OutfitStyle};

/// How a chain swings, in the units of [`super::spring::SpringParams`] (VRM's): the pull
/// back to rest per second, gravity's strength (straight down), the share of motion lost
/// each step, and the joints' radius for collisions in height units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Swing {
    /// Pull back towards the rest direction, per second.
    pub stiffness: f32,
    /// Gravity's strength.
    pub gravity: f32,
    /// Share of the motion lost each step.
    pub drag: f32,
    /// The joints' radius, world units.
    pub hit_radius: f32,
}

impl Swing {
    /// The spring-bone parameters of a joint swinging so.
    pub fn params(self) -> super::spring::SpringParams {
        super::spring::SpringParams {
            stiffness: self.stiffness,
            gravity: Vec3::NEG_Y * self.gravity,
            drag: self.drag,
            hit_radius: self.hit_radius,
        }
    }
}

/// One chain: joints one below the other from a humanoid bone, ending in a tail.
#[derive(Debug, Clone, PartialEq)]
pub struct Chain {
    /// Its name, which names its joints (`hair_back_1`, `skirt_front_1`...).
    pub name: String,
    /// The bone it hangs from.
    pub parent: Bone,
    /// Where it hangs from, round the parent: radians from her front towards her left.
    pub angle: f32,
    /// Each joint's head in the bind pose, model space, top first.
    pub heads: Vec<Vec3>,
    /// Where the last joint ends.
    pub tail: Vec3,
    /// Index of its first joint among the idol's joints.
    pub first: u16,
    /// How it swings.
    pub swing: Swing,
    /// Indices into [`IdolChains::colliders`] it keeps out of.
    pub colliders: Vec<usize>,
}

/// A collider on the body that chains keep out of: a sphere, or a capsule to `tail`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BodyCollider {
    /// The bone it moves with.
    pub bone: Bone,
    /// Its centre relative to the bone's head, bind pose.
    pub offset: Vec3,
    /// A capsule's other end, relative to the bone's head.
    pub tail: Option<Vec3>,
    /// Its radius.
    pub radius: f32,
}

/// What a chain is for: its joints' positions and weights are read by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Hanging from the head.
    Hair,
    /// Round the hips.
    Cloth,
}

/// A built-in idol's chains and the colliders they keep out of.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IdolChains {
    /// The chains, in joint order.
    pub chains: Vec<Chain>,
    /// The body's colliders.
    pub colliders: Vec<BodyCollider>,
}

/// Colliders, by index in [`IdolChains::colliders`].
const HEAD: usize = 0;
const TORSO: usize = 1;
const LEFT_THIGH: usize = 2;
const RIGHT_THIGH: usize = 3;

impl IdolChains {
    /// The chains of an idol with `look` on `skeleton`.
    pub fn new(skeleton: &Skeleton, look: &BuiltinLook) -> Self {
        let h = skeleton.height;
        let at = |bone: Bone| skeleton.at(bone);
        let head_center = head_centre(h);
        let colliders = vec![
            BodyCollider {
                bone: Bone::Head,
                offset: head_center - at(Bone::Head),
                tail: None,
                radius: 0.074 * h,
            },
            BodyCollider {
                bone: Bone::Spine,
                offset: Vec3::ZERO,
                tail: Some(at(Bone::UpperChest) - at(Bone::Spine)),
                radius: 0.052 * h,
            },
            BodyCollider {
                bone: Bone::LeftUpperLeg,
                offset: Vec3::ZERO,
                tail: Some(at(Bone::LeftLowerLeg) - at(Bone::LeftUpperLeg)),
                radius: 0.045 * h,
            },
            BodyCollider {
                bone: Bone::RightUpperLeg,
                offset: Vec3::ZERO,
                tail: Some(at(Bone::RightLowerLeg) - at(Bone::RightUpperLeg)),
                radius: 0.045 * h,
            },
        ];
        let mut layout = Layout {
            chains: Vec::new(),
            next: BONE_COUNT as u16,
        };
        let hair = Swing {
            stiffness: 1.2,
            gravity: 0.4,
            drag: 0.4,
            hit_radius: 0.008 * h,
        };
        let tail = Swing {
            stiffness: 0.9,
            gravity: 0.5,
            drag: 0.35,
            hit_radius: 0.012 * h,
        };
        // Long locks hang down her back from the back of the head.
        let back = |layout: &mut Layout, name: &str, angle: f32, length: f32| {
            let top = on_head(h, 0.86, angle, 0.022);
            let out = Vec3::new(angle.sin(), 0.0, angle.cos());
            let mid = top + (Vec3::new(0.0, -0.11, 0.0) + out * 0.006) * h;
            let end = mid + Vec3::new(0.0, -length, 0.0) * h;
            layout.chain(
                name,
                Bone::Head,
                angle,
                vec![top, mid],
                end,
                hair,
                &[HEAD, TORSO],
            );
        };
        // A lock at the side of the face, one joint from the temple.
        let side = |layout: &mut Layout, name: &str, angle: f32| {
            let top = on_head(h, 0.9, angle, 0.012);
            layout.chain(
                name,
                Bone::Head,
                angle,
                vec![top],
                top - Vec3::Y * 0.08 * h,
                hair,
                &[HEAD],
            );
        };
        match look.hair {
            HairStyle::Long => {
                for (name, angle) in [
                    ("hair_back_L", 2.35f32),
                    ("hair_back", std::f32::consts::PI),
                    ("hair_back_R", -2.35),
                ] {
                    back(&mut layout, name, angle, 0.12);
                }
                side(&mut layout, "hair_side_L", 1.3);
                side(&mut layout, "hair_side_R", -1.3);
            }
            HairStyle::Wavy => {
                for (name, angle) in [
                    ("hair_side_L", 1.5f32),
                    ("hair_back_L", 2.4),
                    ("hair_back", std::f32::consts::PI),
                    ("hair_back_R", -2.4),
                    ("hair_side_R", -1.5),
                ] {
                    back(&mut layout, name, angle, 0.11);
                }
            }
            HairStyle::Bob => {
                side(&mut layout, "hair_side_L", 1.3);
                side(&mut layout, "hair_side_R", -1.3);
            }
            HairStyle::Ponytail => {
                let tie = ponytail_tie(h);
                let heads = (0..3)
                    .map(|joint| tie + Vec3::new(0.0, -0.02 - 0.065 * joint as f32, -0.03) * h)
                    .collect();
                layout.chain(
                    "hair_tail",
                    Bone::Head,
                    std::f32::consts::PI,
                    heads,
                    tie + Vec3::new(0.0, -0.23, -0.035) * h,
                    tail,
                    &[HEAD, TORSO],
                );
            }
            HairStyle::TwinTails => {
                for (name, side) in [("hair_tail_L", 1.0f32), ("hair_tail_R", -1.0)] {
                    let tie = twin_tie(h, side);
                    let point = |t: f32| {
                        tie + Vec3::new(side * (0.02 + 0.035 * t), -0.25 * t, -0.02 - 0.02 * t) * h
                    };
                    layout.chain(
                        name,
                        Bone::Head,
                        side * 1.57,
                        vec![point(0.1), point(0.4), point(0.7)],
                        point(1.0),
                        tail,
                        &[HEAD, TORSO],
                    );
                }
            }
            HairStyle::Short => {}
        }
        // The skirt or the coat's skirts: panels round the hips, each turning about the
        // waist's centre.
        let cloth = match look.outfit {
            OutfitStyle::Skirt => Some((0.56, 0.4, 0.16, 0.14)),
            OutfitStyle::Coat => Some((0.58, 0.3, 0.15, 0.12)),
            OutfitStyle::Trousers | OutfitStyle::CropTop => None,
        };
        if let Some((waist, hem, across, front)) = cloth {
            let w = skeleton.build;
            for (index, name) in ["front", "front_L", "back_L", "back", "back_R", "front_R"]
                .into_iter()
                .enumerate()
            {
                let angle = index as f32 * std::f32::consts::TAU / 6.0;
                let angle = if angle > std::f32::consts::PI {
                    angle - std::f32::consts::TAU
                } else {
                    angle
                };
                let centre = Vec3::new(0.0, waist, 0.0) * h;
                let end = Vec3::new(angle.sin() * across * w, hem, angle.cos() * front) * h;
                layout.chain(
                    &format!("skirt_{name}"),
                    Bone::Hips,
                    angle,
                    vec![centre],
                    end,
                    Swing {
                        stiffness: 2.0,
                        gravity: 0.2,
                        drag: 0.5,
                        hit_radius: 0.012 * h,
                    },
                    &[LEFT_THIGH, RIGHT_THIGH],
                );
            }
        }
        Self {
            chains: layout.chains,
            colliders,
        }
    }

    /// Where every joint of the idol's skin is in the bind pose: the bones, then the chain
    /// joints.
    pub fn binds(&self, skeleton: &Skeleton) -> Vec<Vec3> {
        Bone::ALL
            .iter()
            .map(|bone| skeleton.at(*bone))
            .chain(self.joints().map(|joint| joint.head))
            .collect()
    }

    /// Joints over all chains.
    pub fn joint_count(&self) -> usize {
        self.chains.iter().map(|chain| chain.heads.len()).sum()
    }

    /// Every chain joint in joint order: its index, its parent's index, its head and its
    /// tail (the next joint's head, or the chain's tail), bind pose.
    pub fn joints(&self) -> impl Iterator<Item = ChainJoint<'_>> + '_ {
        self.chains.iter().flat_map(|chain| {
            (0..chain.heads.len()).map(move |step| ChainJoint {
                chain,
                step,
                index: chain.first + step as u16,
                parent: if step == 0 {
                    chain.parent.index() as u16
                } else {
                    chain.first + step as u16 - 1
                },
                head: chain.heads[step],
                tail: chain.heads.get(step + 1).copied().unwrap_or(chain.tail),
            })
        })
    }

    /// The chain of `kind` nearest round the body to `angle`, if one is within `reach`
    /// radians.
    pub fn nearest(&self, kind: Kind, angle: f32, reach: f32) -> Option<&Chain> {
        self.of(kind)
            .map(|chain| (angle_apart(chain.angle, angle), chain))
            .filter(|(apart, _)| *apart <= reach)
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, chain)| chain)
    }

    /// The two chains of `kind` either side of `angle`, and how far `angle` lies from the
    /// first towards the second (0 to 1).
    pub fn either_side(&self, kind: Kind, angle: f32) -> Option<(&Chain, &Chain, f32)> {
        let mut around: Vec<&Chain> = self.of(kind).collect();
        around.sort_by(|a, b| a.angle.total_cmp(&b.angle));
        let count = around.len();
        (0..count).find_map(|index| {
            let (a, b) = (around[index], around[(index + 1) % count]);
            let span = (b.angle - a.angle).rem_euclid(std::f32::consts::TAU);
            let from_a = (angle - a.angle).rem_euclid(std::f32::consts::TAU);
            (span > 0.0 && from_a <= span).then(|| (a, b, from_a / span))
        })
    }

    fn of(&self, kind: Kind) -> impl Iterator<Item = &Chain> {
        let parent = match kind {
            Kind::Hair => Bone::Head,
            Kind::Cloth => Bone::Hips,
        };
        self.chains
            .iter()
            .filter(move |chain| chain.parent == parent)
    }
}

/// One joint of a chain.
#[derive(Debug, Clone, Copy)]
pub struct ChainJoint<'a> {
    /// The chain.
    pub chain: &'a Chain,
    /// Its place in the chain, 0 at the top.
    pub step: usize,
    /// Its index among the idol's joints.
    pub index: u16,
    /// Its parent's index among the idol's joints.
    pub parent: u16,
    /// Its head, bind pose, model space.
    pub head: Vec3,
    /// Where it ends.
    pub tail: Vec3,
}

impl ChainJoint<'_> {
    /// The joint's name: its chain's and its place from 1 (`hair_back_1`).
    pub fn name(&self) -> String {
        format!("{}_{}", self.chain.name, self.step + 1)
    }
}

impl Chain {
    /// How far down the chain `point` lies: which joint's span it is in and how far along
    /// it (0 to 1), or `None` above the first joint's head. Measured by height, as the
    /// chains hang.
    pub fn span_at(&self, point: Vec3) -> Option<(usize, f32)> {
        let top = self.heads[0].y;
        if point.y >= top {
            return None;
        }
        for step in 0..self.heads.len() {
            let from = self.heads[step].y;
            let to = self.heads.get(step + 1).map_or(self.tail.y, |next| next.y);
            if point.y >= to || step + 1 == self.heads.len() {
                let t = ((from - point.y) / (from - to).max(1e-6)).clamp(0.0, 1.0);
                return Some((step, t));
            }
        }
        None
    }
}

/// Radians between two angles round the body.
fn angle_apart(a: f32, b: f32) -> f32 {
    let apart = (a - b).rem_euclid(std::f32::consts::TAU);
    apart.min(std::f32::consts::TAU - apart)
}

/// While laying out: the chains so far and the next joint's index.
struct Layout {
    chains: Vec<Chain>,
    next: u16,
}

impl Layout {
    #[allow(clippy::too_many_arguments)]
    fn chain(
        &mut self,
        name: &str,
        parent: Bone,
        angle: f32,
        heads: Vec<Vec3>,
        tail: Vec3,
        swing: Swing,
        colliders: &[usize],
    ) {
        let first = self.next;
        self.next += heads.len() as u16;
        self.chains.push(Chain {
            name: name.to_owned(),
            parent,
            angle,
            heads,
            tail,
            first,
            swing,
            colliders: colliders.to_vec(),
        });
    }
}

/// The centre of the head of an idol `h` tall, model space.
pub fn head_centre(h: f32) -> Vec3 {
    Vec3::new(0.0, 0.91, 0.005) * h
}

/// The head's radii.
pub fn head_radii(h: f32) -> Vec3 {
    Vec3::new(0.068, 0.075, 0.07) * h
}

/// Where a ponytail is tied.
pub fn ponytail_tie(h: f32) -> Vec3 {
    Vec3::new(0.0, 0.955, -0.075) * h
}

/// Where a twin tail is tied, on her left (`side` 1) or right (-1).
pub fn twin_tie(h: f32, side: f32) -> Vec3 {
    Vec3::new(side * 0.07, 0.965, -0.02) * h
}

/// A point on the head's surface at `height` (height units) and `angle` round from the
/// front (to her left), lifted `out` off it (height units).
pub fn on_head(h: f32, height: f32, angle: f32, out: f32) -> Vec3 {
    let (centre, radii) = (head_centre(h), head_radii(h));
    let k = (1.0 - ((height * h - centre.y) / radii.y).powi(2))
        .max(0.0)
        .sqrt();
    let unit = Vec3::new(angle.sin() * radii.x, 0.0, angle.cos() * radii.z) * k;
    centre.with_y(height * h) + unit + unit.normalize_or(Vec3::Z) * out * h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn looks() -> Vec<BuiltinLook> {
        HairStyle::ALL
            .into_iter()
            .flat_map(|hair| {
                OutfitStyle::ALL.into_iter().map(move |outfit| BuiltinLook {
                    hair,
                    outfit,
                    ..BuiltinLook::default()
                })
            })
            .collect()
    }

    #[test]
    fn chains_are_numbered_after_the_bones_and_hang_clear_of_the_body() {
        let skeleton = Skeleton::new(1.65, 1.0);
        for look in looks() {
            let chains = IdolChains::new(&skeleton, &look);
            assert!(chains.joint_count() <= 18, "{look:?}");
            for (expected, joint) in (BONE_COUNT as u16..).zip(chains.joints()) {
                assert_eq!(joint.index, expected);
                assert!(joint.parent < joint.index);
                // Hanging: each joint ends below where it starts.
                assert!(joint.tail.y < joint.head.y, "{}", joint.chain.name);
                // At rest every tail sits outside what it collides with, so the chains
                // hang as they were drawn.
                for &index in &joint.chain.colliders {
                    let collider = chains.colliders[index];
                    let from = skeleton.at(collider.bone) + collider.offset;
                    let to = collider
                        .tail
                        .map_or(from, |tail| skeleton.at(collider.bone) + tail);
                    let segment = to - from;
                    let along = ((joint.tail - from).dot(segment)
                        / segment.length_squared().max(1e-12))
                    .clamp(0.0, 1.0);
                    let apart = joint.tail.distance(from + segment * along);
                    assert!(
                        apart > collider.radius + joint.chain.swing.hit_radius,
                        "{look:?}: {} step {} is {apart} from collider {index}",
                        joint.chain.name,
                        joint.step
                    );
                }
            }
        }
        let short = IdolChains::new(
            &skeleton,
            &BuiltinLook {
                hair: HairStyle::Short,
                outfit: OutfitStyle::Trousers,
                ..BuiltinLook::default()
            },
        );
        assert_eq!(short.joint_count(), 0);
    }

    #[test]
    fn points_find_their_chain_and_span() {
        let skeleton = Skeleton::new(1.65, 1.0);
        let chains = IdolChains::new(&skeleton, &BuiltinLook::default());
        let back = chains
            .nearest(Kind::Hair, 3.0, 0.6)
            .expect("long hair has a back chain");
        assert_eq!(back.name, "hair_back");
        assert!(
            chains.nearest(Kind::Hair, 0.0, 0.6).is_none(),
            "no chain in front"
        );
        assert_eq!(back.span_at(back.heads[0] + Vec3::Y * 0.01), None);
        let (step, t) = back
            .span_at(back.heads[1].lerp(back.tail, 0.5))
            .expect("below the top");
        assert_eq!(step, 1);
        assert!((t - 0.5).abs() < 0.05, "{t}");
        let (a, b, t) = chains
            .either_side(Kind::Cloth, 0.5)
            .expect("the skirt has panels");
        assert_eq!(
            (a.name.as_str(), b.name.as_str()),
            ("skirt_front", "skirt_front_L")
        );
        assert!((t - 0.5 / (std::f32::consts::TAU / 6.0)).abs() < 1e-4);
        let (a, b, _) = chains.either_side(Kind::Cloth, -0.3).expect("panels");
        assert_eq!(
            (a.name.as_str(), b.name.as_str()),
            ("skirt_front_R", "skirt_front")
        );
    }
}

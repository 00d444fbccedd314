//! A model's figure: what it draws at rest, measured from its meshes rather than its joints.
//!
//! Characters built of parts break every guess made from joints alone: a chibi knight's head
//! joint sits at her neck under a head as big as her body, a robot of rigid meshes has no
//! skin at all, and an exporter may bake a scaled or turned armature into the joints. So the
//! figure skins every vertex at rest (each skinned mesh by its joints' rest matrices and
//! inverse bind matrices, each rigid mesh by its node's world matrix) and keeps the bounds of
//! all of it, the bounds of the head's parts (what the head joint and the joints below it
//! carry), and the humanoid joints' rest positions. Standing a model on stage, scaling it to
//! the idol's height and framing its face all follow from these, in the app and in the plan
//! alike.

use std::{borrow::Cow, path::Path};

use glam::{Mat4, Quat, Vec3};
use gltf::accessor::{DataType, Dimensions};

use super::{
    inspect,
    skeleton::{BONE_COUNT, Bone},
};

/// Vertices read at most per model: the figure is measured, not rendered, and the largest
/// fan models have a few hundred thousand.
const MAX_VERTICES: usize = 4_000_000;

/// What a model draws at rest, stood up to face the audience: turned by [`Figure::facing`]
/// from its file's space, in its file's units (before encore scales and lifts it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figure {
    /// Turns the file's scene to stand upright facing +Z: a half turn for a model that faces
    /// -Z (VRM 0.x), and for a skeleton exported lying or tilted (an armature turned in the
    /// modelling tool), whatever stands its spine up with her left on +X.
    pub facing: Quat,
    /// Lowest corner of everything drawn.
    pub min: Vec3,
    /// Highest corner of everything drawn.
    pub max: Vec3,
    /// The bounds of the head's parts (skin led by the head joint or a joint below it, and
    /// meshes hung on them): its face, hair and hat. `None` without a head joint.
    ///
    /// Without one, her face is taken to be what the highest joint of her spine carries.
    pub head: Option<(Vec3, Vec3)>,
    /// Each humanoid joint's rest position, where the model has it.
    pub joints: [Option<Vec3>; BONE_COUNT],
    /// The bounds of what each humanoid joint carries at rest (the skin it leads and the
    /// meshes hung on it), where it carries anything.
    pub parts: [Option<(Vec3, Vec3)>; BONE_COUNT],
}

/// How a figure stands on stage for an idol of a given height.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit {
    /// Turns the file's scene to face the audience (see [`Figure::facing`]).
    pub facing: Quat,
    /// Metres per file unit.
    pub scale: f32,
    /// Metres the figure is raised after scaling, so its lowest point is on the floor.
    pub lift: f32,
    /// Her face at rest, in the idol's space (metres, facing +Z, feet at 0): the middle of
    /// her head's parts across, and 38% of the way up them (below the middle, as hair and
    /// hats stand above a face).
    pub face: Vec3,
    /// Her hips at rest in the idol's space (the middle of her figure without a hips joint).
    pub hips: Vec3,
    /// How tall her head's parts are, metres (an eighth of her without a head joint).
    pub face_size: f32,
}

impl Figure {
    /// How the figure stands as an idol `height` metres tall: everything drawn from the floor
    /// up to `height`. `None` for a figure with no height.
    pub fn fit(&self, height: f32) -> Option<Fit> {
        let drawn = self.max.y - self.min.y;
        if !(drawn.is_finite() && drawn > 1e-6 && height > 0.0) {
            return None;
        }
        let scale = height / drawn;
        let lift = -self.min.y * scale;
        let place = |point: Vec3| point * scale + Vec3::Y * lift;
        let centre = (self.min + self.max) * 0.5;
        // Her head's parts; without a head joint, what the highest joint of her spine
        // carries (a robot's screen of a face on its torso).
        let head = self.head.or_else(|| {
            [Bone::Neck, Bone::UpperChest, Bone::Chest, Bone::Spine]
                .iter()
                .find_map(|bone| self.parts[bone.index()])
        });
        let face_size = head.map_or(height / 8.0, |(low, high)| (high.y - low.y) * scale);
        let face = match head {
            // Below the middle: hair and hats stand above a face, the chin is near the bottom.
            Some((low, high)) => place((low + high) * 0.5).with_y(place(low.lerp(high, 0.38)).y),
            // The top eighth of the figure, at its middle.
            None => place(Vec3::new(centre.x, self.max.y, centre.z)) - Vec3::Y * height / 16.0,
        };
        let hips = self.joints[Bone::Hips.index()].map_or_else(
            || place(Vec3::new(centre.x, self.min.y, centre.z)) + Vec3::Y * height * 0.5,
            place,
        );
        Some(Fit {
            facing: self.facing,
            scale,
            lift,
            face,
            hips,
            face_size,
        })
    }
}

/// The turn that stands a skeleton with these rest joints upright facing +Z. A spine within
/// 30° of vertical is only turned round where her left is on -X (the usual case: files face
/// +Z or -Z and lean a little); a spine further off is stood up by her spine and her
/// shoulders (or hips). Without the joints to tell, `faces_back` turns her half round.
fn facing(joints: &[Option<Vec3>; BONE_COUNT], faces_back: bool) -> Quat {
    let half = Quat::from_rotation_y(std::f32::consts::PI);
    let at = |bone: Bone| joints[bone.index()];
    let side = match (at(Bone::LeftUpperArm), at(Bone::RightUpperArm)) {
        (Some(left), Some(right)) => Some(left - right),
        _ => at(Bone::LeftUpperLeg)
            .zip(at(Bone::RightUpperLeg))
            .map(|(left, right)| left - right),
    }
    .and_then(Vec3::try_normalize);
    let Some(side) = side else {
        return if faces_back { half } else { Quat::IDENTITY };
    };
    let up = at(Bone::Head)
        .or(at(Bone::Neck))
        .zip(at(Bone::Hips).or(at(Bone::Spine)))
        .and_then(|(top, bottom)| (top - bottom).try_normalize());
    match up {
        Some(up) if up.angle_between(Vec3::Y) > 30f32.to_radians() => {
            let up = (up - side * side.dot(up)).try_normalize().unwrap_or(up);
            let forward = side.cross(up);
            // Rows of the inverse: her side, up and forward become X, Y and Z.
            Quat::from_mat3(&glam::Mat3::from_cols(side, up, forward).transpose()).normalize()
        }
        _ if side.x < 0.0 => half,
        _ => Quat::IDENTITY,
    }
}

/// Measures the figure of a parsed glTF `document` whose buffers are `buffers`; `humanoid`
/// maps humanoid bone names to node names. `None` when nothing is drawn or the geometry cannot
/// be read.
pub(crate) fn measure(
    document: &gltf::Document,
    buffers: &[Cow<'_, [u8]>],
    humanoid: &[(String, String)],
    faces_back: bool,
) -> Option<Figure> {
    let nodes: Vec<gltf::Node> = document.nodes().collect();
    let scene = document
        .default_scene()
        .or_else(|| document.scenes().next())?;
    // World matrices at rest, and each node's parent, walking down from the scene's roots
    // (each node once, whatever cycles a broken file has).
    let mut world: Vec<Option<Mat4>> = vec![None; nodes.len()];
    let mut parent: Vec<Option<usize>> = vec![None; nodes.len()];
    let mut order = Vec::with_capacity(nodes.len());
    let mut stack: Vec<(usize, Mat4)> = scene
        .nodes()
        .map(|node| (node.index(), Mat4::IDENTITY))
        .collect();
    while let Some((index, above)) = stack.pop() {
        if world[index].is_some() {
            continue;
        }
        let matrix = above * Mat4::from_cols_array_2d(&nodes[index].transform().matrix());
        world[index] = Some(matrix);
        order.push(index);
        for child in nodes[index].children() {
            if world[child.index()].is_none() {
                parent[child.index()] = Some(index);
                stack.push((child.index(), matrix));
            }
        }
    }
    let node_of = |name: &str| {
        order
            .iter()
            .copied()
            .find(|&index| nodes[index].name() == Some(name))
    };
    let mut joints = [None; BONE_COUNT];
    let mut bone_nodes: Vec<(usize, usize)> = Vec::new();
    let mut head_node = None;
    for (bone, node) in humanoid {
        let Some(bone) = Bone::ALL.iter().find(|known| known.vrm_name() == bone) else {
            continue;
        };
        let Some(index) = node_of(node) else {
            continue;
        };
        joints[bone.index()] = world[index].map(|matrix| matrix.w_axis.truncate());
        bone_nodes.push((index, bone.index()));
        if *bone == Bone::Head {
            head_node = Some(index);
        }
    }
    let facing = facing(&joints, faces_back);
    let joints = joints.map(|joint| joint.map(|at| facing * at));
    // The head joint and everything below it.
    let in_head = |mut index: usize| {
        let Some(head) = head_node else {
            return false;
        };
        for _ in 0..nodes.len() {
            if index == head {
                return true;
            }
            match parent[index] {
                Some(above) => index = above,
                None => return false,
            }
        }
        false
    };
    let bone_of_node = |node: usize| {
        bone_nodes
            .iter()
            .find(|(known, _)| *known == node)
            .map(|(_, bone)| *bone)
    };
    let mut all = Bounds::default();
    let mut head = Bounds::default();
    let mut parts: [Bounds; BONE_COUNT] = std::array::from_fn(|_| Bounds::default());
    let mut budget = MAX_VERTICES;
    for &index in &order {
        let node = &nodes[index];
        let (Some(mesh), Some(matrix)) = (node.mesh(), world[index]) else {
            continue;
        };
        let skin = node.skin().and_then(|skin| {
            let joints: Vec<usize> = skin.joints().map(|joint| joint.index()).collect();
            let inverse: Vec<Mat4> = match skin.inverse_bind_matrices() {
                Some(accessor) => read::<16>(&accessor, buffers)?
                    .iter()
                    .map(Mat4::from_cols_array)
                    .collect(),
                None => vec![Mat4::IDENTITY; joints.len()],
            };
            let matrices: Vec<Mat4> = joints
                .iter()
                .zip(inverse.iter().chain(std::iter::repeat(&Mat4::IDENTITY)))
                .map(|(&joint, inverse)| world[joint].unwrap_or(matrix) * *inverse)
                .collect();
            let led: Vec<(bool, Option<usize>)> = joints
                .iter()
                .map(|&joint| (in_head(joint), bone_of_node(joint)))
                .collect();
            Some((matrices, led))
        });
        let rigid = (in_head(index), bone_of_node(index));
        for primitive in mesh.primitives() {
            let Some(positions) = primitive
                .get(&gltf::Semantic::Positions)
                .and_then(|accessor| read::<3>(&accessor, buffers))
            else {
                continue;
            };
            if positions.len() > budget {
                break;
            }
            budget -= positions.len();
            let weights = skin.as_ref().and_then(|_| {
                let joints = read::<4>(&primitive.get(&gltf::Semantic::Joints(0))?, buffers)?;
                let weights = read::<4>(&primitive.get(&gltf::Semantic::Weights(0))?, buffers)?;
                (joints.len() == positions.len() && weights.len() == positions.len())
                    .then_some((joints, weights))
            });
            for (vertex, position) in positions.iter().enumerate() {
                let local = Vec3::from_array(*position);
                let (point, (heady, bone)) = match (&skin, &weights) {
                    (Some((matrices, led)), Some((joints, weights))) => {
                        let mut blended = Mat4::ZERO;
                        let mut total = 0.0;
                        let (mut lead, mut most) = (None, 0.0);
                        for (&joint, &weight) in joints[vertex].iter().zip(&weights[vertex]) {
                            let Some(joint_matrix) = matrices.get(joint as usize) else {
                                continue;
                            };
                            if weight > 0.0 {
                                blended += *joint_matrix * weight;
                                total += weight;
                                if weight > most {
                                    (lead, most) = (Some(joint as usize), weight);
                                }
                            }
                        }
                        if total <= 1e-6 {
                            (matrix.transform_point3(local), rigid)
                        } else {
                            (
                                (blended * (1.0 / total)).transform_point3(local),
                                lead.and_then(|lead| led.get(lead).copied())
                                    .unwrap_or((false, None)),
                            )
                        }
                    }
                    _ => (matrix.transform_point3(local), rigid),
                };
                let point = facing * point;
                if !point.is_finite() {
                    continue;
                }
                all.add(point);
                if heady {
                    head.add(point);
                }
                if let Some(bone) = bone {
                    parts[bone].add(point);
                }
            }
        }
    }
    let (min, max) = all.get()?;
    Some(Figure {
        facing,
        min,
        max,
        head: head.get(),
        joints,
        parts: parts.map(|part| part.get()),
    })
}

/// Growing bounds.
#[derive(Debug, Default)]
struct Bounds(Option<(Vec3, Vec3)>);

impl Bounds {
    fn add(&mut self, point: Vec3) {
        self.0 = Some(match self.0 {
            Some((min, max)) => (min.min(point), max.max(point)),
            None => (point, point),
        });
    }

    fn get(&self) -> Option<(Vec3, Vec3)> {
        self.0
    }
}

/// Reads an accessor of `N` components as floats (normalized integers scaled to 0..1, plain
/// integers as their value), checking every byte it touches is inside its buffer. `None` for
/// sparse accessors, other shapes, or data past the end.
fn read<const N: usize>(
    accessor: &gltf::Accessor,
    buffers: &[Cow<'_, [u8]>],
) -> Option<Vec<[f32; N]>> {
    let dimensions = match N {
        1 => Dimensions::Scalar,
        2 => Dimensions::Vec2,
        3 => Dimensions::Vec3,
        4 => Dimensions::Vec4,
        16 => Dimensions::Mat4,
        _ => return None,
    };
    if accessor.dimensions() != dimensions || accessor.sparse().is_some() {
        return None;
    }
    let view = accessor.view()?;
    let buffer = buffers.get(view.buffer().index())?;
    let view_start = view.offset();
    let view_bytes = buffer.get(view_start..view_start.checked_add(view.length())?)?;
    let component = accessor.data_type().size();
    let size = component * N;
    let stride = view.stride().unwrap_or(size).max(size);
    let count = accessor.count();
    if count > MAX_VERTICES {
        return None;
    }
    let start = accessor.offset();
    let end = start.checked_add(
        count
            .checked_sub(1)?
            .checked_mul(stride)?
            .checked_add(size)?,
    )?;
    let data = view_bytes.get(start..end)?;
    let normalized = accessor.normalized();
    let value = |bytes: &[u8]| -> f32 {
        match accessor.data_type() {
            DataType::F32 => f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]),
            DataType::U8 if normalized => f32::from(bytes[0]) / 255.0,
            DataType::U8 => f32::from(bytes[0]),
            DataType::I8 => f32::from(bytes[0] as i8),
            DataType::U16 => {
                let raw = u16::from_le_bytes([bytes[0], bytes[1]]);
                if normalized {
                    f32::from(raw) / 65535.0
                } else {
                    f32::from(raw)
                }
            }
            DataType::I16 => f32::from(i16::from_le_bytes([bytes[0], bytes[1]])),
            DataType::U32 => u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as f32,
        }
    };
    Some(
        (0..count)
            .map(|element| {
                let at = element * stride;
                std::array::from_fn(|k| value(&data[at + k * component..]))
            })
            .collect(),
    )
}

/// The bytes of each buffer of `gltf` (the GLB's binary chunk, or a file next to a .gltf at
/// `path`).
pub(crate) fn buffers<'a>(path: &Path, gltf: &'a gltf::Gltf) -> Result<Vec<Cow<'a, [u8]>>, String> {
    gltf.buffers()
        .map(|buffer| match buffer.source() {
            gltf::buffer::Source::Bin => Ok(Cow::Borrowed(gltf.blob.as_deref().unwrap_or(&[]))),
            gltf::buffer::Source::Uri(uri) if uri.starts_with("data:") => uri
                .split_once(";base64,")
                .and_then(|(_, payload)| base64(payload))
                .map(Cow::Owned)
                .ok_or_else(|| {
                    "its buffer is an unreadable data URI; export it as a GLB".to_owned()
                }),
            gltf::buffer::Source::Uri(uri) => {
                let name = inspect::percent_decode(uri);
                if name.contains("..") {
                    return Err(format!(
                        "its buffer `{uri}` is outside its folder; keep it next to the file"
                    ));
                }
                let file = path.parent().unwrap_or(Path::new(".")).join(name);
                std::fs::read(&file).map(Cow::Owned).map_err(|error| {
                    format!("its buffer `{uri}` cannot be read ({error}); keep it next to the file")
                })
            }
        })
        .collect()
}

/// Decodes standard base64 (the payload of a `data:` URI); `None` for anything else.
fn base64(text: &str) -> Option<Vec<u8>> {
    let value = |byte: u8| -> Option<u32> {
        Some(u32::from(match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    };
    let text = text.trim_end_matches('=').as_bytes();
    let mut bytes = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.chunks(4) {
        let mut bits = 0u32;
        for &byte in chunk {
            bits = (bits << 6) | value(byte)?;
        }
        bits <<= 6 * (4 - chunk.len() as u32);
        let count = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return None,
        };
        bytes.extend_from_slice(&bits.to_be_bytes()[1..1 + count]);
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{avatar::inspect::inspect, testdata};

    fn fit(file: &str) -> Option<(Figure, Fit)> {
        let inspection = inspect(&testdata::file(file)?).expect("the file inspects");
        let figure = inspection.figure.expect("its figure is measured");
        Some((figure, figure.fit(1.6).expect("it has a height")))
    }

    #[test]
    fn a_chibi_knight_is_framed_by_her_big_head_not_her_low_head_joint() {
        let Some((figure, fit)) = fit("gltf/parts/Knight.glb") else {
            return;
        };
        let head = figure
            .head
            .expect("the helmet and face hang on her head joint");
        let joint = figure.joints[Bone::Head.index()].expect("a head joint");
        // Her head joint is at her neck, well under the middle of her head's parts.
        assert!(
            joint.y < (head.0.y + head.1.y) * 0.5 - 0.1,
            "{joint} {head:?}"
        );
        // Scaled to 1.6 m by what is drawn: feet on the floor, the head's top at 1.6 m.
        assert!((head.1.y * fit.scale + fit.lift - 1.6).abs() < 0.05);
        assert!((figure.min.y * fit.scale + fit.lift).abs() < 1e-4);
        // A chibi: her face is in the upper part of her figure, but lower than a built-in
        // idol's head joint (0.855 of her height) would put it.
        assert!(fit.face.y > 0.9 && fit.face.y < 1.45, "{}", fit.face);
        assert_eq!(fit.facing, Quat::IDENTITY);
    }

    #[test]
    fn rigid_robots_several_skins_and_scaled_skeletons_are_measured() {
        for (file, tall) in [
            ("gltf/parts/kenney_character.glb", 0.3..5.0),
            ("gltf/parts/character-female-a.glb", 0.3..5.0),
            ("gltf/parts/RecursiveSkeletons.glb", 0.1..1000.0),
            ("vrm/armature_transform.vrm", 0.3..5.0),
        ] {
            let Some((figure, fit)) = fit(file) else {
                return;
            };
            let size = figure.max - figure.min;
            assert!(tall.contains(&size.y), "{file}: {size}");
            assert!(
                fit.face.is_finite() && fit.face.y > 0.6 && fit.face.y <= 1.6,
                "{file}: {}",
                fit.face
            );
            assert!(fit.hips.y > 0.1 && fit.hips.y < 1.3, "{file}: {}", fit.hips);
        }
    }

    #[test]
    fn data_uris_decode() {
        assert_eq!(base64("aGVsbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(base64("aGVsbG8h").as_deref(), Some(&b"hello!"[..]));
        assert_eq!(base64("a*"), None);
        let Some((figure, _)) = fit("gltf/SimpleSkin.gltf") else {
            return;
        };
        assert!(figure.max.y > figure.min.y);
    }

    #[test]
    fn a_vrm_of_one_skin_stands_with_her_face_near_the_top() {
        let Some((figure, fit)) = fit("vrm/Godette_vrm_v4.vrm") else {
            return;
        };
        assert!(figure.head.is_some());
        // VRM 0.x faces -Z: turned to face the audience.
        assert!(
            fit.facing
                .angle_between(Quat::from_rotation_y(std::f32::consts::PI))
                < 1e-3
        );
        assert!(fit.face.y > 1.15 && fit.face.y < 1.5, "{}", fit.face);
    }
}

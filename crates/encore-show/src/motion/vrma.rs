//! VRM animations (`.vrma`, the VRMC_vrm_animation glTF extension): rotation and translation
//! tracks on a humanoid skeleton's nodes, expression weights as the X translation of one node
//! per expression, and a look-at node whose rotation is where the eyes look.

use std::{io, path::Path};

use glam::{Mat4, Quat, Vec3, Vec3Swizzles};
use gltf::{
    accessor::{DataType, Dimensions},
    animation::{Property, util::ReadOutputs},
};

use super::rig::{Joint, Rig};
use crate::avatar::{expression::Expression, figure, inspect, skeleton::Bone};

/// How a track moves between keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Interpolation {
    Linear,
    Step,
    /// Cubic spline; played through its key values, linearly.
    Cubic,
}

/// Keyframes of one animated property.
#[derive(Debug, Clone, PartialEq)]
struct Track {
    times: Vec<f32>,
    /// `width` numbers per key.
    values: Vec<f32>,
    width: usize,
    interpolation: Interpolation,
}

impl Track {
    /// The value at `seconds`: `width` numbers.
    fn sample(&self, seconds: f32) -> (Vec<f32>, Vec<f32>, f32) {
        let key = |index: usize| {
            let index = if self.interpolation == Interpolation::Cubic {
                index * 3 + 1
            } else {
                index
            };
            self.values[index * self.width..(index + 1) * self.width].to_vec()
        };
        let next = self.times.partition_point(|time| *time <= seconds);
        if next == 0 {
            return (key(0), key(0), 0.0);
        }
        if next >= self.times.len() || self.interpolation == Interpolation::Step {
            return (key(next - 1), key(next - 1), 0.0);
        }
        let span = (self.times[next] - self.times[next - 1]).max(1e-6);
        let t = ((seconds - self.times[next - 1]) / span).clamp(0.0, 1.0);
        (key(next - 1), key(next), t)
    }

    fn rotation(&self, seconds: f32) -> Quat {
        let (a, b, t) = self.sample(seconds);
        let quat = |v: &[f32]| Quat::from_xyzw(v[0], v[1], v[2], v[3]).normalize();
        quat(&a).slerp(quat(&b), t)
    }

    fn translation(&self, seconds: f32) -> Vec3 {
        let (a, b, t) = self.sample(seconds);
        Vec3::new(a[0], a[1], a[2]).lerp(Vec3::new(b[0], b[1], b[2]), t)
    }
}

/// A parsed VRM animation.
#[derive(Debug, Clone, PartialEq)]
pub struct Vrma {
    /// Every node of the file as a joint, parents first; humanoid nodes carry their bone.
    pub rig: Rig,
    /// Rotation and translation tracks per joint.
    rotations: Vec<Option<Track>>,
    translations: Vec<Option<Track>>,
    /// Expression tracks: name, the expression it drives, the track.
    expressions: Vec<(String, Option<Expression>, Track)>,
    /// The look-at node's rotation track.
    look_at: Option<Track>,
    /// Bones the humanoid map names (fingers included).
    humanoid_bones: usize,
    /// Seconds to the last key.
    pub duration: f32,
    /// Keys per second of the densest track.
    pub fps: f32,
}

/// The expression a VRM preset name drives.
fn expression(name: &str) -> Option<Expression> {
    match name {
        "happy" => Some(Expression::Smile),
        other => Expression::ALL
            .into_iter()
            .find(|expression| expression.vrm_preset() == other),
    }
}

/// What a file that is glTF but no VRM animation is told.
const NOT_AN_ANIMATION: &str =
    "it is glTF but has no VRMC_vrm_animation extension, so it is not a VRM animation";

/// What is wrong with a container the gltf crate could not read.
fn container_problem(bytes: &[u8], error: gltf::Error) -> String {
    use gltf::binary::{ChunkType, Error as Glb};
    match error {
        gltf::Error::Deserialize(error) => {
            // A glTF that is no animation at all says so before any of its JSON's faults.
            if inspect::outline(bytes)
                .is_some_and(|json| json["extensions"]["VRMC_vrm_animation"].is_null())
            {
                NOT_AN_ANIMATION.to_owned()
            } else {
                format!("the glTF JSON is broken: {error}")
            }
        }
        gltf::Error::Binary(Glb::Io(error)) if error.kind() == io::ErrorKind::UnexpectedEof => {
            "the GLB header is cut short".to_owned()
        }
        gltf::Error::Binary(Glb::Length {
            length,
            length_read,
        }) => format!(
            "the GLB is cut short: its header promises {} bytes but it has {}",
            length as usize + 12,
            length_read + 12
        ),
        gltf::Error::Binary(Glb::ChunkLength { ty, length, .. }) => format!(
            "the GLB's {} chunk runs past the end ({length} bytes)",
            match ty {
                ChunkType::Json => "JSON",
                ChunkType::Bin => "binary",
            }
        ),
        gltf::Error::Binary(Glb::Version(version)) => {
            format!("it is GLB version {version}; VRM animations are GLB version 2")
        }
        gltf::Error::Binary(Glb::ChunkType(_) | Glb::UnknownChunkType(_)) => {
            "its GLB chunks are not a JSON chunk and then a binary one".to_owned()
        }
        other => other.to_string(),
    }
}

/// What an accessor must hold to be read as one part of a channel: its shape, its component
/// types, and how to say so.
type Expected = (Dimensions, &'static [DataType], &'static str);

/// Checks that the gltf crate can read `accessor` as `expected` without tripping its own
/// assertions (component types and shape, a stride no shorter than an element, offsets that fit
/// in memory), and returns where its data starts and how many bytes it spans, for the message
/// when the crate finds them past the end of the buffer.
fn readable(accessor: &gltf::Accessor, expected: Expected) -> Result<(usize, usize), String> {
    let index = accessor.index();
    let (dimensions, types, said) = expected;
    if !types.contains(&accessor.data_type()) || accessor.dimensions() != dimensions {
        return Err(format!(
            "accessor {index} holds {:?} {:?} values, but {said}",
            accessor.dimensions(),
            accessor.data_type(),
        ));
    }
    if accessor.sparse().is_some() {
        return Err(format!(
            "accessor {index} is sparse, which encore does not read"
        ));
    }
    let Some(view) = accessor.view() else {
        return Err(format!(
            "accessor {index} has no buffer view (sparse data is not read)"
        ));
    };
    let size = accessor.size();
    let stride = view.stride().unwrap_or(size);
    if stride < size {
        return Err(format!(
            "accessor {index} steps {stride} bytes between its {size}-byte values"
        ));
    }
    let Some(last) = accessor.count().checked_sub(1) else {
        return Err(format!("accessor {index} holds no values"));
    };
    let needed = last
        .checked_mul(stride)
        .and_then(|bytes| bytes.checked_add(size));
    let start = view.offset().checked_add(accessor.offset());
    match (start, needed, view.offset().checked_add(view.length())) {
        (Some(start), Some(needed), Some(_)) if start.checked_add(needed).is_some() => {
            Ok((start, needed))
        }
        _ => Err(format!(
            "accessor {index} reaches further than any file can ({} values)",
            accessor.count()
        )),
    }
}

/// The first value that is not a finite number, as an error naming the accessor and element.
fn finite(accessor: &gltf::Accessor, values: &[f32], width: usize) -> Result<(), String> {
    match values.iter().position(|value| !value.is_finite()) {
        Some(at) => Err(format!(
            "accessor {} holds {} at element {}",
            accessor.index(),
            values[at],
            at / width
        )),
        None => Ok(()),
    }
}

/// Parses a VRMA file's bytes.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Vrma, String> {
    let gltf = inspect::parse(bytes).map_err(|error| container_problem(bytes, error))?;
    let document = &gltf.document;
    let extension = document
        .extension_value("VRMC_vrm_animation")
        .ok_or_else(|| NOT_AN_ANIMATION.to_owned())?;
    if let Some(problems) = inspect::structure_problems(document) {
        return Err(format!("it breaks glTF's rules: {problems}"));
    }
    let buffers = figure::buffers(path, &gltf)?;
    let nodes: Vec<gltf::Node> = document.nodes().collect();
    if nodes.len() > 4096 {
        return Err(format!(
            "it has {} nodes; a VRM animation has a few dozen",
            nodes.len()
        ));
    }
    // Parents, then an order with parents first.
    let mut parent = vec![None; nodes.len()];
    for node in &nodes {
        for child in node.children() {
            let child = child.index();
            if child != node.index() && parent[child].is_none() {
                parent[child] = Some(node.index());
            }
        }
    }
    let mut order: Vec<usize> = Vec::with_capacity(nodes.len());
    let mut placed = vec![false; nodes.len()];
    while order.len() < nodes.len() {
        let before = order.len();
        for index in 0..nodes.len() {
            if !placed[index] && parent[index].is_none_or(|parent| placed[parent]) {
                placed[index] = true;
                order.push(index);
            }
        }
        if order.len() == before {
            return Err("its nodes form a loop".to_owned());
        }
    }
    let joint_of_node: Vec<usize> = {
        let mut map = vec![0; nodes.len()];
        for (joint, node) in order.iter().enumerate() {
            map[*node] = joint;
        }
        map
    };
    let mut bones: Vec<Option<Bone>> = vec![None; nodes.len()];
    for (name, bone) in extension["humanoid"]["humanBones"]
        .as_object()
        .into_iter()
        .flatten()
    {
        let Some(node) = bone["node"]
            .as_u64()
            .map(|node| node as usize)
            .filter(|n| *n < nodes.len())
        else {
            continue;
        };
        bones[node] = Bone::ALL
            .iter()
            .copied()
            .find(|bone| bone.vrm_name() == name);
    }
    let rig = Rig {
        joints: order
            .iter()
            .map(|&node| {
                let (offset, rest) = match nodes[node].transform() {
                    gltf::scene::Transform::Matrix { matrix } => {
                        let (_, rotation, translation) =
                            Mat4::from_cols_array_2d(&matrix).to_scale_rotation_translation();
                        (translation, rotation)
                    }
                    gltf::scene::Transform::Decomposed {
                        translation,
                        rotation,
                        ..
                    } => (
                        Vec3::from(translation),
                        super::unit_or_identity(Quat::from_array(rotation)),
                    ),
                };
                Joint {
                    name: nodes[node].name().unwrap_or("").to_owned(),
                    parent: parent[node].map(|parent| joint_of_node[parent]),
                    offset,
                    rest,
                    bone: bones[node],
                }
            })
            .collect(),
    };

    let mut rotations = vec![None; nodes.len()];
    let mut translations = vec![None; nodes.len()];
    let expression_nodes: Vec<(String, usize)> = ["preset", "custom"]
        .iter()
        .flat_map(|group| {
            extension["expressions"][group]
                .as_object()
                .into_iter()
                .flatten()
        })
        .filter_map(|(name, value)| Some((name.clone(), value["node"].as_u64()? as usize)))
        .collect();
    let look_node = extension["lookAt"]["node"]
        .as_u64()
        .map(|node| node as usize);
    let mut expressions = Vec::new();
    let mut look_at = None;
    let (mut duration, mut fps) = (0.0f32, 0.0f32);
    let channels = document
        .animations()
        .next()
        .into_iter()
        .flat_map(|animation| animation.channels());
    for (index, channel) in channels.enumerate() {
        let node = channel.target().node().index();
        let property = channel.target().property();
        let sampler = channel.sampler();
        let (input, output) = (sampler.input(), sampler.output());
        // Scale and morph weight channels are no part of a VRM animation; encore moves neither.
        let expected: Expected = match property {
            Property::Translation => (
                Dimensions::Vec3,
                &[DataType::F32],
                "translations are VEC3 floats",
            ),
            Property::Rotation => (
                Dimensions::Vec4,
                &[
                    DataType::F32,
                    DataType::I8,
                    DataType::U8,
                    DataType::I16,
                    DataType::U16,
                ],
                "rotations are VEC4 floats or 8- or 16-bit normalized integers",
            ),
            Property::Scale | Property::MorphTargetWeights => continue,
        };
        let times_expected: Expected = (
            Dimensions::Scalar,
            &[DataType::F32],
            "key times are SCALAR floats",
        );
        let (input_start, input_bytes) = readable(&input, times_expected)?;
        let (output_start, output_bytes) = readable(&output, expected)?;
        let reader = channel.reader(|buffer| buffers.get(buffer.index()).map(|data| &**data));
        let past_the_end = |accessor: &gltf::Accessor, start: usize, bytes: usize| {
            let length = accessor
                .view()
                .and_then(|view| buffers.get(view.buffer().index()))
                .map_or(0, |data| data.len());
            format!(
                "accessor {} reads {bytes} bytes from byte {start}, past the binary's {length} \
                 bytes",
                accessor.index()
            )
        };
        let times: Vec<f32> = reader
            .read_inputs()
            .ok_or_else(|| past_the_end(&input, input_start, input_bytes))?
            .collect();
        let (values, width): (Vec<f32>, usize) = match reader.read_outputs() {
            Some(ReadOutputs::Translations(values)) => (values.flatten().collect(), 3),
            Some(ReadOutputs::Rotations(values)) => (values.into_f32().flatten().collect(), 4),
            _ => return Err(past_the_end(&output, output_start, output_bytes)),
        };
        finite(&input, &times, 1)?;
        finite(&output, &values, width)?;
        let interpolation = match sampler.interpolation() {
            gltf::animation::Interpolation::Step => Interpolation::Step,
            gltf::animation::Interpolation::CubicSpline => Interpolation::Cubic,
            gltf::animation::Interpolation::Linear => Interpolation::Linear,
        };
        let per_key = if interpolation == Interpolation::Cubic {
            3
        } else {
            1
        };
        if times.is_empty() || values.len() < times.len() * width * per_key {
            return Err(format!(
                "animation channel {index} has {} times but {} values",
                times.len(),
                values.len() / width.max(1)
            ));
        }
        if times.windows(2).any(|pair| pair[1] < pair[0]) {
            return Err(format!("animation channel {index}'s times go backwards"));
        }
        duration = duration.max(*times.last().unwrap_or(&0.0));
        if let Some(step) = times
            .windows(2)
            .map(|pair| pair[1] - pair[0])
            .filter(|step| *step > 1e-4)
            .reduce(f32::min)
        {
            fps = fps.max(1.0 / step);
        }
        let track = Track {
            times,
            values,
            width,
            interpolation,
        };
        if let Some((name, _)) = expression_nodes
            .iter()
            .find(|(_, expression)| *expression == node)
        {
            if property == Property::Translation {
                expressions.push((name.clone(), expression(name), track));
            }
        } else if Some(node) == look_node {
            if property == Property::Rotation {
                look_at = Some(track);
            }
        } else if property == Property::Rotation {
            rotations[joint_of_node[node]] = Some(track);
        } else {
            translations[joint_of_node[node]] = Some(track);
        }
    }
    Ok(Vrma {
        rig,
        rotations,
        translations,
        expressions,
        look_at,
        humanoid_bones: extension["humanoid"]["humanBones"]
            .as_object()
            .map_or(0, serde_json::Map::len),
        duration,
        fps: if fps > 0.0 { fps.min(1000.0) } else { 30.0 },
    })
}

impl Vrma {
    /// Local rotations, translations and expression weights at `seconds`.
    pub fn sample(
        &self,
        rig: &Rig,
        seconds: f32,
    ) -> (Vec<Quat>, Vec<Vec3>, Vec<(Expression, f32)>) {
        let rotations = rig
            .joints
            .iter()
            .zip(&self.rotations)
            .map(|(joint, track)| {
                track
                    .as_ref()
                    .map_or(joint.rest, |track| track.rotation(seconds))
            })
            .collect();
        let translations = rig
            .joints
            .iter()
            .zip(&self.translations)
            .map(|(joint, track)| {
                // Only the hips travel; other nodes keep their bone lengths.
                match (track, joint.bone) {
                    (Some(track), Some(Bone::Hips)) => track.translation(seconds),
                    _ => joint.offset,
                }
            })
            .collect();
        let weights = self
            .expressions
            .iter()
            .filter_map(|(_, expression, track)| {
                Some((
                    expression.as_ref().copied()?,
                    track.translation(seconds).x.clamp(0.0, 1.0),
                ))
            })
            .collect();
        (rotations, translations, weights)
    }

    /// Where the look-at track turns the eyes at `seconds`: yaw and pitch in degrees (left and
    /// up positive), relative to the head.
    pub fn look_at(&self, seconds: f32) -> Option<(f32, f32)> {
        let direction = self.look_at.as_ref()?.rotation(seconds) * Vec3::Z;
        Some((
            direction.x.atan2(direction.z).to_degrees(),
            direction.y.atan2(direction.xz().length()).to_degrees(),
        ))
    }

    /// The expression tracks' names and what they drive.
    pub fn expression_names(&self) -> Vec<(String, Option<Expression>)> {
        self.expressions
            .iter()
            .map(|(name, expression, _)| (name.clone(), *expression))
            .collect()
    }

    fn tracks(&self) -> impl Iterator<Item = &Track> {
        self.rotations
            .iter()
            .chain(&self.translations)
            .flatten()
            .chain(self.expressions.iter().map(|(_, _, track)| track))
            .chain(&self.look_at)
    }

    /// Animated properties.
    pub fn channel_count(&self) -> usize {
        self.tracks().count()
    }

    /// Keys over all tracks.
    pub fn key_count(&self) -> usize {
        self.tracks().map(|track| track.times.len()).sum()
    }

    /// Bones the humanoid map names, fingers included (encore moves the ones it has).
    pub fn humanoid_count(&self) -> usize {
        self.humanoid_bones
    }

    /// Lines for `inspect`.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.look_at.is_some() {
            notes.push("has a look-at track: the eyes follow it instead of the camera".to_owned());
        }
        notes
    }
}

//! VRM animations (`.vrma`, the VRMC_vrm_animation glTF extension): rotation and translation
//! tracks on a humanoid skeleton's nodes, expression weights as the X translation of one node
//! per expression, and a look-at node whose rotation is where the eyes look.

use std::path::Path;

use glam::{Mat4, Quat, Vec3, Vec3Swizzles};
use serde_json::Value;

use super::rig::{Joint, Rig};
use crate::avatar::{expression::Expression, skeleton::Bone};

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

/// The JSON and binary chunk of a GLB (or a .gltf's JSON and its first buffer file).
fn chunks<'a>(path: &Path, bytes: &'a [u8]) -> Result<(Value, std::borrow::Cow<'a, [u8]>), String> {
    let word = |at: usize| {
        bytes
            .get(at..at + 4)
            .map(|word| u32::from_le_bytes([word[0], word[1], word[2], word[3]]) as usize)
    };
    if bytes.starts_with(b"glTF") {
        let json_length = word(12).ok_or("the GLB header is cut short")?;
        let json_end = 20usize.saturating_add(json_length);
        let json = bytes.get(20..json_end).ok_or_else(|| {
            format!("the GLB's JSON chunk runs past the end ({json_length} bytes)")
        })?;
        let document: Value = serde_json::from_slice(json)
            .map_err(|error| format!("the glTF JSON is broken: {error}"))?;
        let binary = match word(json_end) {
            Some(length) => bytes
                .get(json_end + 8..(json_end + 8).saturating_add(length))
                .ok_or_else(|| {
                    format!("the GLB's binary chunk runs past the end ({length} bytes)")
                })?,
            None => &[],
        };
        return Ok((document, std::borrow::Cow::Borrowed(binary)));
    }
    let document: Value = serde_json::from_slice(bytes)
        .map_err(|error| format!("the glTF JSON is broken: {error}"))?;
    let binary = match document["buffers"][0]["uri"].as_str() {
        Some(uri) if !uri.starts_with("data:") && !uri.contains("..") => {
            let file = path.parent().unwrap_or(Path::new(".")).join(uri);
            std::fs::read(&file).map_err(|error| {
                format!("its buffer `{uri}` cannot be read ({error}); keep it next to the file")
            })?
        }
        Some(_) => {
            return Err(
                "its buffer is embedded as a data URI; export it as .vrma (GLB)".to_owned(),
            );
        }
        None => Vec::new(),
    };
    Ok((document, std::borrow::Cow::Owned(binary)))
}

/// Reads accessor `index` as floats (normalised integers are scaled to 0..1 or -1..1).
fn accessor(document: &Value, binary: &[u8], index: usize) -> Result<(Vec<f32>, usize), String> {
    let accessor = &document["accessors"][index];
    let width = match accessor["type"].as_str() {
        Some("SCALAR") => 1,
        Some("VEC3") => 3,
        Some("VEC4") => 4,
        other => {
            return Err(format!(
                "accessor {index} has type {other:?}; animations use SCALAR, VEC3 or VEC4"
            ));
        }
    };
    let count = accessor["count"].as_u64().unwrap_or(0) as usize;
    let (size, read): (usize, fn(&[u8]) -> f32) = match accessor["componentType"].as_u64() {
        Some(5126) => (4, |b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        Some(5120) => (1, |b| (f32::from(b[0] as i8) / 127.0).max(-1.0)),
        Some(5121) => (1, |b| f32::from(b[0]) / 255.0),
        Some(5122) => (2, |b| {
            (f32::from(i16::from_le_bytes([b[0], b[1]])) / 32767.0).max(-1.0)
        }),
        Some(5123) => (2, |b| f32::from(u16::from_le_bytes([b[0], b[1]])) / 65535.0),
        other => return Err(format!("accessor {index} has component type {other:?}")),
    };
    let view =
        &document["bufferViews"][accessor["bufferView"].as_u64().unwrap_or(u64::MAX) as usize];
    if view.is_null() {
        return Err(format!(
            "accessor {index} has no buffer view (sparse data is not read)"
        ));
    }
    let start = view["byteOffset"].as_u64().unwrap_or(0) as usize
        + accessor["byteOffset"].as_u64().unwrap_or(0) as usize;
    let stride = view["byteStride"]
        .as_u64()
        .map_or(width * size, |stride| stride as usize);
    let needed = count.checked_sub(1).map_or(0, |last| {
        last.saturating_mul(stride).saturating_add(width * size)
    });
    if start.saturating_add(needed) > binary.len() {
        return Err(format!(
            "accessor {index} reads {needed} bytes from byte {start}, past the binary's {} bytes",
            binary.len()
        ));
    }
    let mut values = Vec::with_capacity(count * width);
    for element in 0..count {
        for component in 0..width {
            let at = start + element * stride + component * size;
            let value = read(&binary[at..at + size]);
            if !value.is_finite() {
                return Err(format!(
                    "accessor {index} holds {value} at element {element}"
                ));
            }
            values.push(value);
        }
    }
    Ok((values, width))
}

/// Parses a VRMA file's bytes.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Vrma, String> {
    let (document, binary) = chunks(path, bytes)?;
    let extension = &document["extensions"]["VRMC_vrm_animation"];
    if extension.is_null() {
        return Err(
            "it is glTF but has no VRMC_vrm_animation extension, so it is not a VRM animation"
                .to_owned(),
        );
    }
    let nodes = document["nodes"].as_array().cloned().unwrap_or_default();
    if nodes.len() > 4096 {
        return Err(format!(
            "it has {} nodes; a VRM animation has a few dozen",
            nodes.len()
        ));
    }
    // Parents, then an order with parents first.
    let mut parent = vec![None; nodes.len()];
    for (index, node) in nodes.iter().enumerate() {
        for child in node["children"].as_array().into_iter().flatten() {
            if let Some(child) = child.as_u64().map(|child| child as usize)
                && child < nodes.len()
                && child != index
                && parent[child].is_none()
            {
                parent[child] = Some(index);
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
                let value = &nodes[node];
                let numbers = |key: &str| -> Vec<f32> {
                    value[key]
                        .as_array()
                        .map(|items| {
                            items
                                .iter()
                                .map(|item| item.as_f64().unwrap_or(0.0) as f32)
                                .collect()
                        })
                        .unwrap_or_default()
                };
                let (offset, rest) = match numbers("matrix").as_slice() {
                    matrix @ [_, _, _, _, _, _, _, _, _, _, _, _, _, _, _, _] => {
                        let (_, rotation, translation) =
                            Mat4::from_cols_slice(matrix).to_scale_rotation_translation();
                        (translation, rotation)
                    }
                    _ => {
                        let t = numbers("translation");
                        let r = numbers("rotation");
                        (
                            if t.len() == 3 {
                                Vec3::new(t[0], t[1], t[2])
                            } else {
                                Vec3::ZERO
                            },
                            if r.len() == 4 {
                                super::unit_or_identity(Quat::from_xyzw(r[0], r[1], r[2], r[3]))
                            } else {
                                Quat::IDENTITY
                            },
                        )
                    }
                };
                Joint {
                    name: value["name"].as_str().unwrap_or("").to_owned(),
                    parent: parent[node].map(|parent| joint_of_node[parent]),
                    offset,
                    rest,
                    bone: bones[node],
                }
            })
            .collect(),
    };

    let animation = &document["animations"][0];
    let samplers = animation["samplers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
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
    for (index, channel) in animation["channels"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let (Some(node), Some(property)) = (
            channel["target"]["node"].as_u64().map(|node| node as usize),
            channel["target"]["path"].as_str(),
        ) else {
            continue;
        };
        let sampler = channel["sampler"]
            .as_u64()
            .and_then(|sampler| samplers.get(sampler as usize))
            .ok_or_else(|| format!("animation channel {index} names no sampler"))?;
        let input = sampler["input"]
            .as_u64()
            .ok_or_else(|| format!("sampler of channel {index} has no input"))?;
        let output = sampler["output"]
            .as_u64()
            .ok_or_else(|| format!("sampler of channel {index} has no output"))?;
        let (times, _) = accessor(&document, &binary, input as usize)?;
        let (values, width) = accessor(&document, &binary, output as usize)?;
        let interpolation = match sampler["interpolation"].as_str() {
            Some("STEP") => Interpolation::Step,
            Some("CUBICSPLINE") => Interpolation::Cubic,
            _ => Interpolation::Linear,
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
        if node >= nodes.len() {
            return Err(format!(
                "animation channel {index} targets node {node}, which is not there"
            ));
        }
        if let Some((name, _)) = expression_nodes
            .iter()
            .find(|(_, expression)| *expression == node)
        {
            if property == "translation" {
                expressions.push((name.clone(), expression(name), track));
            }
        } else if Some(node) == look_node {
            if property == "rotation" {
                look_at = Some(track);
            }
        } else {
            match (property, width) {
                ("rotation", 4) => rotations[joint_of_node[node]] = Some(track),
                ("translation", 3) => translations[joint_of_node[node]] = Some(track),
                _ => {}
            }
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

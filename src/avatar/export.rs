//! Writes a procedural idol as a glTF binary (`.glb`), or as a VRM 1.0 model (`.vrm`, the same
//! container with the `VRMC_vrm` extension): the skinned body on its named skeleton, the face's
//! expression morph targets, the materials, and the move library as named animation clips
//! (one loop of each move at 120 bpm), so the file dances in any glTF viewer too.

use bevy::{
    color::{ColorToComponents, LinearRgba},
    math::Mat4,
    pbr::StandardMaterial,
};
use serde_json::{Value, json};

use super::{
    chains::IdolChains,
    expression::Expression,
    materials,
    mesh::{PartMesh, Slot, idol_parts},
    skeleton::{BONE_COUNT, Bone, Skeleton},
};
use encore_show::choreography::moves::{self, Pose};

use crate::setlist::raw::{BuiltinLook, Move};

/// What to write.
#[derive(Debug, Clone)]
pub struct IdolModel {
    /// Shown as the model's and the root node's name.
    pub name: String,
    /// Her id, which her painted face is drawn from (the same face as on stage).
    pub key: String,
    /// Height in metres.
    pub height: f32,
    /// Member colour, the costume's colour unless the look sets one.
    pub colour: encore_show::colour::Srgb,
    /// The look.
    pub look: BuiltinLook,
}

/// Tempo the move clips are written at.
pub const CLIP_BPM: f32 = 120.0;
/// Samples per second of the move clips.
const CLIP_FPS: f32 = 30.0;

/// glTF component types.
const FLOAT: u32 = 5126;
const UNSIGNED_SHORT: u32 = 5123;
const UNSIGNED_INT: u32 = 5125;
/// Buffer view targets.
const ARRAY_BUFFER: u32 = 34962;
const ELEMENT_ARRAY_BUFFER: u32 = 34963;

/// The binary chunk being built, with its buffer views and accessors.
#[derive(Default)]
struct Binary {
    data: Vec<u8>,
    views: Vec<Value>,
    accessors: Vec<Value>,
}

impl Binary {
    /// Adds an accessor over `bytes` (`count` elements of `kind`), returning its index.
    fn accessor(
        &mut self,
        bytes: Vec<u8>,
        count: usize,
        (component, kind): (u32, &str),
        target: Option<u32>,
        bounds: Option<(Vec<f32>, Vec<f32>)>,
    ) -> usize {
        while !self.data.len().is_multiple_of(4) {
            self.data.push(0);
        }
        let mut view = json!({
            "buffer": 0,
            "byteOffset": self.data.len(),
            "byteLength": bytes.len(),
        });
        if let Some(target) = target {
            view["target"] = json!(target);
        }
        self.data.extend(bytes);
        self.views.push(view);
        let mut accessor = json!({
            "bufferView": self.views.len() - 1,
            "componentType": component,
            "count": count,
            "type": kind,
        });
        if let Some((min, max)) = bounds {
            accessor["min"] = json!(min);
            accessor["max"] = json!(max);
        }
        self.accessors.push(accessor);
        self.accessors.len() - 1
    }

    /// Adds a buffer view over `bytes` (an image), returning its index.
    fn view(&mut self, bytes: &[u8]) -> usize {
        while !self.data.len().is_multiple_of(4) {
            self.data.push(0);
        }
        self.views.push(json!({
            "buffer": 0,
            "byteOffset": self.data.len(),
            "byteLength": bytes.len(),
        }));
        self.data.extend_from_slice(bytes);
        self.views.len() - 1
    }

    fn floats<const N: usize>(
        &mut self,
        values: &[[f32; N]],
        kind: &str,
        target: Option<u32>,
        with_bounds: bool,
    ) -> usize {
        let bytes = values
            .iter()
            .flatten()
            .flat_map(|value| value.to_le_bytes())
            .collect();
        let bounds = with_bounds.then(|| {
            let mut min = vec![f32::MAX; N];
            let mut max = vec![f32::MIN; N];
            for value in values {
                for axis in 0..N {
                    min[axis] = min[axis].min(value[axis]);
                    max[axis] = max[axis].max(value[axis]);
                }
            }
            (min, max)
        });
        self.accessor(bytes, values.len(), (FLOAT, kind), target, bounds)
    }
}

/// Node indices: the root, then one node per bone, then one per mesh part.
fn bone_node(bone: Bone) -> usize {
    1 + bone.index()
}

/// The idol as a GLB file's bytes; with `vrm`, a VRM 1.0 model.
pub fn idol_glb(model: &IdolModel, vrm: bool) -> Vec<u8> {
    let skeleton = Skeleton::new(model.height, model.look.build);
    let parts = idol_parts(&skeleton, &model.look);
    let mut binary = Binary::default();

    let chains = IdolChains::new(&skeleton, &model.look);
    // Chain joints follow the bones (skin joint i is node i + 1), then each chain's tail.
    let tail_node = |chain: usize| 1 + BONE_COUNT + chains.joint_count() + chain;
    let mut nodes = vec![json!({
        "name": model.name,
        "children": [bone_node(Bone::Hips)],
    })];
    for bone in Bone::ALL {
        let children: Vec<usize> = Bone::ALL
            .iter()
            .filter(|child| child.parent() == Some(*bone))
            .map(|child| bone_node(*child))
            .chain(
                chains
                    .joints()
                    .filter(|joint| usize::from(joint.parent) == bone.index())
                    .map(|joint| 1 + usize::from(joint.index)),
            )
            .collect();
        let mut node = json!({
            "name": bone.vrm_name(),
            "translation": skeleton.local[bone.index()].to_array(),
        });
        if !children.is_empty() {
            node["children"] = json!(children);
        }
        nodes.push(node);
    }

    let binds = chains.binds(&skeleton);
    for joint in chains.joints() {
        let last = joint.step + 1 == joint.chain.heads.len();
        let chain = chains
            .chains
            .iter()
            .position(|chain| std::ptr::eq(chain, joint.chain))
            .expect("the joint's chain is the idol's");
        nodes.push(json!({
            "name": joint.name(),
            "translation": (joint.head - binds[usize::from(joint.parent)]).to_array(),
            "children": [if last { tail_node(chain) } else { 2 + usize::from(joint.index) }],
        }));
    }
    for chain in &chains.chains {
        let last = chain.heads.last().copied().unwrap_or(chain.tail);
        nodes.push(json!({
            "name": format!("{}_end", chain.name),
            "translation": (chain.tail - last).to_array(),
        }));
    }
    let inverse_binds: Vec<[f32; 16]> = binds
        .iter()
        .map(|at| Mat4::from_translation(-*at).to_cols_array())
        .collect();
    let inverse_binds = binary.floats(&inverse_binds, "MAT4", None, false);
    let skin = json!({
        "name": "humanoid",
        "inverseBindMatrices": inverse_binds,
        "joints": (0..binds.len()).map(|joint| joint + 1).collect::<Vec<_>>(),
        "skeleton": bone_node(Bone::Hips),
    });

    let materials_by_slot = materials(model.colour, &model.look);
    let mut meshes = Vec::new();
    let mut materials_json = Vec::new();
    let mut face_nodes = Vec::new();
    let mut scene_nodes = vec![0];
    // Her painted face, the same as on stage, as an embedded PNG.
    let face_png = {
        let pixels = super::face_pixels(&model.key, &model.look, model.colour);
        let image = image::RgbaImage::from_raw(
            encore_show::avatar::face_paint::FACE_SIZE,
            encore_show::avatar::face_paint::FACE_SIZE,
            pixels,
        )
        .expect("the face atlas has its size");
        let mut png = std::io::Cursor::new(Vec::new());
        image
            .write_to(&mut png, image::ImageFormat::Png)
            .expect("a PNG encodes in memory");
        png.into_inner()
    };
    let face_view = binary.view(&face_png);
    for (slot, part) in &parts {
        let material = &materials_by_slot
            .iter()
            .find(|(candidate, _)| candidate == slot)
            .expect("every slot has a material")
            .1;
        let mut material = material_json(*slot, material);
        if *slot == Slot::Face {
            material["pbrMetallicRoughness"]["baseColorTexture"] = json!({ "index": 0 });
            material["alphaMode"] = json!("BLEND");
        }
        materials_json.push(material);
        meshes.push(mesh_json(
            &mut binary,
            part,
            *slot,
            materials_json.len() - 1,
        ));
        let node = nodes.len();
        if part.has_morphs() {
            face_nodes.push(node);
        }
        // Skinned mesh nodes sit at the scene's root: their own transform is not used.
        nodes.push(json!({ "name": slot_name(*slot), "mesh": meshes.len() - 1, "skin": 0 }));
        scene_nodes.push(node);
    }

    let animations: Vec<Value> = moves::library()
        .iter()
        .map(|step| clip_json(&mut binary, &skeleton, step))
        .collect();

    let mut root = json!({
        "asset": { "version": "2.0", "generator": concat!("encore ", env!("CARGO_PKG_VERSION")) },
        "scene": 0,
        "scenes": [{ "name": model.name, "nodes": scene_nodes }],
        "nodes": nodes,
        "skins": [skin],
        "meshes": meshes,
        "materials": materials_json,
        "animations": animations,
        "images": [{ "name": "Face", "bufferView": face_view, "mimeType": "image/png" }],
        // Linear filtering, clamped at the atlas's edges.
        "samplers": [{ "magFilter": 9729, "minFilter": 9729, "wrapS": 33071, "wrapT": 33071 }],
        "textures": [{ "source": 0, "sampler": 0 }],
    });
    if vrm {
        root["extensionsUsed"] = json!(["VRMC_vrm"]);
        root["extensions"] = json!({ "VRMC_vrm": vrm_json(model, &face_nodes) });
        if !chains.chains.is_empty() {
            root["extensionsUsed"] = json!(["VRMC_vrm", "VRMC_springBone"]);
            root["extensions"]["VRMC_springBone"] = spring_json(&chains, tail_node);
        }
    }
    while !binary.data.len().is_multiple_of(4) {
        binary.data.push(0);
    }
    root["buffers"] = json!([{ "byteLength": binary.data.len() }]);
    root["bufferViews"] = json!(binary.views);
    root["accessors"] = json!(binary.accessors);
    glb(&root, &binary.data)
}

fn slot_name(slot: Slot) -> &'static str {
    match slot {
        Slot::Skin => "Body",
        Slot::Hair => "Hair",
        Slot::Outfit => "Costume",
        Slot::Accent => "Accents",
        Slot::Dark => "Mouth",
        Slot::Face => "Face",
    }
}

fn material_json(slot: Slot, material: &StandardMaterial) -> Value {
    let colour = LinearRgba::from(material.base_color).to_f32_array();
    json!({
        "name": slot_name(slot),
        "pbrMetallicRoughness": {
            "baseColorFactor": colour,
            "metallicFactor": material.metallic,
            "roughnessFactor": material.perceptual_roughness,
        },
        "doubleSided": material.double_sided,
    })
}

fn mesh_json(binary: &mut Binary, part: &PartMesh, slot: Slot, material: usize) -> Value {
    let positions = binary.floats(part.positions(), "VEC3", Some(ARRAY_BUFFER), true);
    let normals = binary.floats(part.normals(), "VEC3", Some(ARRAY_BUFFER), false);
    let uvs = part
        .uvs()
        .map(|uvs| binary.floats(uvs, "VEC2", Some(ARRAY_BUFFER), false));
    let (joints, weights): (Vec<[u16; 4]>, Vec<[f32; 4]>) = part.skin().unzip();
    let joints_bytes = joints
        .iter()
        .flatten()
        .flat_map(|joint| joint.to_le_bytes())
        .collect();
    let joints = binary.accessor(
        joints_bytes,
        part.vertex_count(),
        (UNSIGNED_SHORT, "VEC4"),
        Some(ARRAY_BUFFER),
        None,
    );
    let weights = binary.floats(&weights, "VEC4", Some(ARRAY_BUFFER), false);
    let indices = binary.accessor(
        part.indices()
            .iter()
            .flat_map(|index| index.to_le_bytes())
            .collect(),
        part.indices().len(),
        (UNSIGNED_INT, "SCALAR"),
        Some(ELEMENT_ARRAY_BUFFER),
        None,
    );
    let mut primitive = json!({
        "attributes": {
            "POSITION": positions,
            "NORMAL": normals,
            "JOINTS_0": joints,
            "WEIGHTS_0": weights,
        },
        "indices": indices,
        "material": material,
    });
    if let Some(uvs) = uvs {
        primitive["attributes"]["TEXCOORD_0"] = json!(uvs);
    }
    let mut mesh = json!({ "name": slot_name(slot) });
    let targets = part.morph_targets();
    if !targets.is_empty() {
        primitive["targets"] = json!(
            targets
                .iter()
                .map(|target| json!({
                    "POSITION": binary.floats(target, "VEC3", Some(ARRAY_BUFFER), true)
                }))
                .collect::<Vec<_>>()
        );
        mesh["weights"] = json!(vec![0.0; targets.len()]);
        mesh["extras"] = json!({
            "targetNames": Expression::ALL.iter().map(|e| e.morph_name()).collect::<Vec<_>>()
        });
    }
    mesh["primitives"] = json!([primitive]);
    mesh
}

/// One loop of `step` at [`CLIP_BPM`]: rotations of every bone, the hips' translation and the
/// body's turn (on the root node).
fn clip_json(binary: &mut Binary, skeleton: &Skeleton, step: &Move) -> Value {
    let definition = moves::definition(step);
    let seconds_per_beat = 60.0 / CLIP_BPM;
    let frames = (definition.beats * seconds_per_beat * CLIP_FPS).round() as usize;
    let times: Vec<[f32; 1]> = (0..=frames).map(|f| [f as f32 / CLIP_FPS]).collect();
    let poses: Vec<Pose> = times
        .iter()
        .map(|[time]| definition.sample(time / seconds_per_beat))
        .collect();
    let input = binary.floats(&times, "SCALAR", None, true);
    let mut samplers = Vec::new();
    let mut channels = Vec::new();
    let mut channel = |node: usize, path: &str, output: usize| {
        samplers.push(json!({ "input": input, "output": output, "interpolation": "LINEAR" }));
        channels.push(json!({
            "sampler": samplers.len() - 1,
            "target": { "node": node, "path": path },
        }));
    };
    for bone in Bone::ALL {
        let rotations: Vec<[f32; 4]> = poses
            .iter()
            .map(|pose| pose.rotations[bone.index()].to_array())
            .collect();
        let output = binary.floats(&rotations, "VEC4", None, false);
        channel(bone_node(*bone), "rotation", output);
    }
    let hips: Vec<[f32; 3]> = poses
        .iter()
        .map(|pose| (skeleton.local[Bone::Hips.index()] + pose.hips * skeleton.height).to_array())
        .collect();
    let output = binary.floats(&hips, "VEC3", None, false);
    channel(bone_node(Bone::Hips), "translation", output);
    let turns: Vec<[f32; 4]> = poses.iter().map(|pose| pose.turn.to_array()).collect();
    let output = binary.floats(&turns, "VEC4", None, false);
    channel(0, "rotation", output);
    json!({ "name": format!("{step:?}"), "samplers": samplers, "channels": channels })
}

/// The VRM 1.0 extension: licence metadata, the humanoid bone map and the expressions.
fn vrm_json(model: &IdolModel, face_nodes: &[usize]) -> Value {
    let human_bones: serde_json::Map<String, Value> = Bone::ALL
        .iter()
        .map(|bone| {
            (
                vrm1_bone_name(*bone).to_owned(),
                json!({ "node": bone_node(*bone) }),
            )
        })
        .collect();
    let preset: serde_json::Map<String, Value> = Expression::ALL
        .iter()
        .map(|expression| {
            let binds: Vec<Value> = face_nodes
                .iter()
                .map(|node| json!({ "node": node, "index": expression.index(), "weight": 1.0 }))
                .collect();
            (
                expression.vrm_preset().to_owned(),
                json!({ "morphTargetBinds": binds, "isBinary": false }),
            )
        })
        .collect();
    json!({
        "specVersion": "1.0",
        "meta": {
            "name": model.name,
            "version": "1",
            "authors": ["encore (procedural idol)"],
            "licenseUrl": "https://vrm.dev/licenses/1.0/",
            "avatarPermission": "everyone",
            "allowExcessivelyViolentUsage": false,
            "allowExcessivelySexualUsage": false,
            "commercialUsage": "corporation",
            "allowPoliticalOrReligiousUsage": false,
            "allowAntisocialOrHateUsage": false,
            "creditNotation": "unnecessary",
            "allowRedistribution": true,
            "modification": "allowModificationRedistribution",
        },
        "humanoid": { "humanBones": human_bones },
        "expressions": { "preset": preset },
    })
}

/// The VRM 1.0 spring-bone extension: her chains with the swing encore gives them, each
/// ending in its tail node, and the body's colliders, one collider group per set a chain
/// keeps out of.
fn spring_json(chains: &IdolChains, tail_node: impl Fn(usize) -> usize) -> Value {
    let colliders: Vec<Value> = chains
        .colliders
        .iter()
        .map(|collider| {
            let node = bone_node(collider.bone);
            let shape = match collider.tail {
                Some(tail) => json!({ "capsule": {
                    "offset": collider.offset.to_array(),
                    "radius": collider.radius,
                    "tail": tail.to_array(),
                } }),
                None => json!({ "sphere": {
                    "offset": collider.offset.to_array(),
                    "radius": collider.radius,
                } }),
            };
            json!({ "node": node, "shape": shape })
        })
        .collect();
    let mut groups: Vec<&[usize]> = Vec::new();
    for chain in &chains.chains {
        if !groups.contains(&chain.colliders.as_slice()) {
            groups.push(&chain.colliders);
        }
    }
    let springs: Vec<Value> = chains
        .chains
        .iter()
        .enumerate()
        .map(|(index, chain)| {
            let swing = chain.swing;
            let mut joints: Vec<Value> = (0..chain.heads.len())
                .map(|step| {
                    json!({
                        "node": 1 + usize::from(chain.first) + step,
                        "hitRadius": swing.hit_radius,
                        "stiffness": swing.stiffness,
                        "gravityPower": swing.gravity,
                        "gravityDir": [0.0, -1.0, 0.0],
                        "dragForce": swing.drag,
                    })
                })
                .collect();
            joints.push(json!({ "node": tail_node(index) }));
            let group = groups
                .iter()
                .position(|group| *group == chain.colliders.as_slice())
                .expect("every chain's colliders are a group");
            json!({ "name": chain.name, "joints": joints, "colliderGroups": [group] })
        })
        .collect();
    json!({
        "specVersion": "1.0",
        "colliders": colliders,
        "colliderGroups": groups
            .iter()
            .enumerate()
            .map(|(index, group)| json!({ "name": format!("body {index}"), "colliders": group }))
            .collect::<Vec<_>>(),
        "springs": springs,
    })
}

/// The VRM 1.0 humanoid name of a bone. encore's single thumb bone is the thumb's root, which
/// VRM 1.0 calls the metacarpal.
fn vrm1_bone_name(bone: Bone) -> &'static str {
    match bone {
        Bone::LeftThumbProximal => "leftThumbMetacarpal",
        Bone::RightThumbProximal => "rightThumbMetacarpal",
        other => other.vrm_name(),
    }
}

/// Writes `model` to `path`: a VRM 1.0 model when it ends in `.vrm`, a GLB when it ends in
/// `.glb`. Returns the number of bytes written.
pub fn write_idol(path: &std::path::Path, model: &IdolModel) -> anyhow::Result<usize> {
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .map(str::to_ascii_lowercase);
    let vrm = match extension.as_deref() {
        Some("glb") => false,
        Some("vrm") => true,
        _ => anyhow::bail!(
            "{}: name the output `.glb` (glTF binary) or `.vrm` (VRM 1.0 model)",
            path.display()
        ),
    };
    let bytes = idol_glb(model, vrm);
    std::fs::write(path, &bytes).map_err(|error| {
        anyhow::anyhow!(
            "could not write {}: {error}; check that the folder exists and is writable",
            path.display()
        )
    })?;
    Ok(bytes.len())
}

/// Packs JSON and binary chunks into a GLB container.
fn glb(root: &Value, binary: &[u8]) -> Vec<u8> {
    let mut json = serde_json::to_vec(root).expect("glTF JSON serialises");
    while !json.len().is_multiple_of(4) {
        json.push(b' ');
    }
    let total = 12 + 8 + json.len() + 8 + binary.len();
    let mut out = Vec::with_capacity(total);
    out.extend(b"glTF");
    out.extend(2u32.to_le_bytes());
    out.extend((total as u32).to_le_bytes());
    out.extend((json.len() as u32).to_le_bytes());
    out.extend(b"JSON");
    out.extend(json);
    out.extend((binary.len() as u32).to_le_bytes());
    out.extend(b"BIN\0");
    out.extend(binary);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> IdolModel {
        IdolModel {
            name: "Test Idol".into(),
            key: "test".into(),
            height: 1.6,
            colour: encore_show::colour::Srgb::new(0.9, 0.3, 0.6),
            look: BuiltinLook::default(),
        }
    }

    #[test]
    fn the_glb_is_valid_gltf_with_skin_faces_and_clips() {
        let bytes = idol_glb(&model(), false);
        let gltf = gltf::Gltf::from_slice(&bytes).expect("a valid GLB");
        let document = &gltf.document;
        assert_eq!(document.skins().count(), 1);
        let skin = document.skins().next().expect("skin");
        let chains = IdolChains::new(&Skeleton::new(1.6, 1.0), &BuiltinLook::default());
        assert_eq!(skin.joints().count(), BONE_COUNT + chains.joint_count());
        let names: Vec<&str> = skin.joints().filter_map(|node| node.name()).collect();
        assert!(names.contains(&"leftUpperArm") && names.contains(&"hips"));
        let face = document
            .meshes()
            .find(|mesh| mesh.name() == Some("Face"))
            .expect("a face mesh");
        assert_eq!(
            face.primitives()
                .next()
                .expect("primitive")
                .morph_targets()
                .count(),
            Expression::ALL.len()
        );
        let clips: Vec<&str> = document
            .animations()
            .filter_map(|clip| clip.name())
            .collect();
        assert!(
            clips.contains(&"HeartHands") && clips.contains(&"Spin"),
            "{clips:?}"
        );
        assert!(gltf.extensions_used().next().is_none());
    }

    #[test]
    fn the_vrm_names_humanoid_bones_and_expressions() {
        let bytes = idol_glb(&model(), true);
        let gltf = gltf::Gltf::from_slice(&bytes).expect("a valid VRM container");
        let vrm = gltf
            .document
            .extensions()
            .and_then(|extensions| extensions.get("VRMC_vrm"))
            .expect("VRMC_vrm");
        assert_eq!(vrm["specVersion"], "1.0");
        let bones = vrm["humanoid"]["humanBones"].as_object().expect("bones");
        for required in [
            "hips",
            "spine",
            "head",
            "leftUpperLeg",
            "rightLowerLeg",
            "leftFoot",
            "rightUpperArm",
            "leftLowerArm",
            "rightHand",
        ] {
            assert!(bones.contains_key(required), "{required}");
        }
        let preset = vrm["expressions"]["preset"].as_object().expect("preset");
        for name in ["blink", "aa", "ih", "ou", "ee", "oh", "happy"] {
            assert_eq!(
                preset[name]["morphTargetBinds"][0]["weight"], 1.0,
                "{name} is bound"
            );
        }
    }

    #[test]
    fn the_vrm_carries_her_chains_as_spring_bones() {
        let model = IdolModel {
            look: BuiltinLook {
                hair: crate::setlist::raw::HairStyle::TwinTails,
                ..BuiltinLook::default()
            },
            ..model()
        };
        let chains = IdolChains::new(&Skeleton::new(1.6, 1.0), &model.look);
        let path = std::env::temp_dir().join(format!("encore-tails-{}.vrm", std::process::id()));
        write_idol(&path, &model).expect("written");
        let inspection = crate::avatar::inspect::inspect(&path).expect("it reads back");
        std::fs::remove_file(&path).ok();
        assert_eq!(inspection.springs.chains, chains.chains.len());
        assert_eq!(inspection.spring_joints.len(), chains.joint_count());
        assert_eq!(inspection.colliders.len(), chains.colliders.len());
        let first = &inspection.spring_joints[0];
        assert_eq!(first.node, "hair_tail_L_1");
        assert_eq!(first.tail.as_deref(), Some("hair_tail_L_2"));
        assert_eq!(first.stiffness, chains.chains[0].swing.stiffness);
        assert_eq!(first.gravity[1], -chains.chains[0].swing.gravity);
        // The GLB keeps the chain joints in its skin but no VRM extension.
        let glb = idol_glb(&model, false);
        let gltf = gltf::Gltf::from_slice(&glb).expect("a valid GLB");
        assert!(gltf.extensions_used().next().is_none());
    }
}

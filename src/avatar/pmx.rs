//! PMX models on stage: the model crate's reading of a MikuMikuDance file turned into a Bevy
//! scene that the model avatar binds like a glTF one. Bones become entities named as in the
//! file, so the humanoid map by MMD's standard names finds them; each material becomes one
//! skinned mesh with only its own vertices, the bones it uses (Bevy skins hold at most 256
//! joints) and the vertex morphs that move it (at most 256 per mesh), named as in the file so
//! あ い う え お and まばたき drive the singing and blinking.
//!
//! Materials: the diffuse colour and texture (PNG, JPG, BMP and TGA, found next to the file
//! ignoring case; decoded on the CPU from their bytes, so `.sph`/`.spa` sphere maps that are
//! renamed BMPs read too), double-sided where the file says so, blended where the diffuse
//! alpha is below one and cut out where the texture has alpha. A missing texture is a warning
//! and the material draws with its colour.

use std::path::Path;

use bevy::{
    asset::RenderAssetUsages,
    camera::visibility::NoFrustumCulling,
    image::{Image, ImageAddressMode, ImageSampler, ImageSamplerDescriptor},
    mesh::{
        Indices, PrimitiveTopology, VertexAttributeValues,
        morph::{MeshMorphWeights, MorphAttributes, MorphWeights},
        skinning::{SkinnedMesh, SkinnedMeshInverseBindposes},
    },
    prelude::*,
    render::render_resource::{Extent3d, Face, TextureDimension, TextureFormat},
};
use encore_show::avatar::{
    mmd::to_encore,
    pmx::{self, MorphKind, Pmx},
};

use super::IdolAssets;

/// Bevy's limits: joints in one skin, morph targets on one mesh.
const MAX_JOINTS: usize = 256;
const MAX_MORPHS: usize = 256;

/// Reads the PMX model at `path` and spawns it under `scene_root`: its bones and one mesh per
/// material. Returns the problems worth telling the user (missing textures, parts beyond
/// Bevy's limits), each once.
pub(crate) fn spawn(
    commands: &mut Commands,
    scene_root: Entity,
    path: &Path,
    assets: &mut IdolAssets,
) -> Result<Vec<String>, String> {
    let bytes = std::fs::read(path).map_err(|error| format!("it cannot be read: {error}"))?;
    let model = pmx::read(&bytes).map_err(|error| error.to_string())?;
    let mut notes = Vec::new();
    // Bones: entities first, then their parents, since a file may list a child first.
    let bones: Vec<Entity> = model
        .bones
        .iter()
        .map(|bone| commands.spawn(Name::new(bone.name.clone())).id())
        .collect();
    for (index, bone) in model.bones.iter().enumerate() {
        let at = to_encore(bone.position);
        let (parent, local) = match bone.parent {
            Some(parent) if parent != index => {
                (bones[parent], at - to_encore(model.bones[parent].position))
            }
            _ => (scene_root, at),
        };
        commands
            .entity(bones[index])
            .insert((Transform::from_translation(local), ChildOf(parent)));
    }
    let folder = path.parent().unwrap_or(Path::new("."));
    let textures: Vec<Option<(Handle<Image>, bool)>> = model
        .textures
        .iter()
        .map(|written| match pmx::find_texture(folder, written) {
            Some(found) => match texture(&found) {
                Ok((image, alpha)) => Some((assets.images.add(image), alpha)),
                Err(problem) => {
                    notes.push(format!("texture {written}: {problem}"));
                    None
                }
            },
            None => {
                notes.push(format!(
                    "texture {written} is not next to the file; its material draws with its colour"
                ));
                None
            }
        })
        .collect();
    let mut first = 0usize;
    for (number, material) in model.materials.iter().enumerate() {
        let count = material.index_count as usize / 3;
        let faces = &model.faces[first..first + count];
        first += count;
        if faces.is_empty() || material.diffuse[3] <= 0.0 {
            // Shown only by material morphs, which encore does not play yet.
            continue;
        }
        let Some(mesh) = material_mesh(&model, faces, &material.name, &mut notes) else {
            continue;
        };
        let MaterialMesh {
            mesh,
            joints,
            morphs,
        } = mesh;
        let inverse: Vec<Mat4> = joints
            .iter()
            .map(|&bone| Mat4::from_translation(-to_encore(model.bones[bone].position)))
            .collect();
        let texture = material
            .texture
            .and_then(|index| textures.get(index).cloned().flatten());
        let diffuse = material.diffuse;
        let alpha_mode = if diffuse[3] < 0.999 {
            AlphaMode::Blend
        } else if texture.as_ref().is_some_and(|(_, alpha)| *alpha) {
            AlphaMode::Mask(0.5)
        } else {
            AlphaMode::Opaque
        };
        let standard = StandardMaterial {
            base_color: Color::srgba(diffuse[0], diffuse[1], diffuse[2], diffuse[3]),
            base_color_texture: texture.map(|(handle, _)| handle),
            cull_mode: (!material.flags.double_sided()).then_some(Face::Back),
            double_sided: material.flags.double_sided(),
            alpha_mode,
            perceptual_roughness: 0.8,
            ..default()
        };
        let mesh = assets.meshes.add(mesh);
        let mut entity = commands.spawn((
            Name::new(format!("{number} {}", material.name)),
            Mesh3d(mesh.clone()),
            MeshMaterial3d(assets.materials.add(standard)),
            SkinnedMesh {
                inverse_bindposes: assets
                    .bindposes
                    .add(SkinnedMeshInverseBindposes::from(inverse)),
                joints: joints.iter().map(|&bone| bones[bone]).collect(),
            },
            NoFrustumCulling,
            Transform::IDENTITY,
            ChildOf(scene_root),
        ));
        if morphs > 0
            && let Ok(weights) = MorphWeights::new(vec![0.0; morphs], Some(mesh))
        {
            entity.insert((
                weights,
                MeshMorphWeights::Value {
                    weights: vec![0.0; morphs],
                },
            ));
        }
    }
    Ok(notes)
}

/// One material's mesh, the bones its skin uses, and how many morph targets it has.
struct MaterialMesh {
    mesh: Mesh,
    joints: Vec<usize>,
    morphs: usize,
}

/// The mesh of one material's `faces`: only the vertices they use, joints renumbered into the
/// material's own list, and the vertex morphs that move them.
fn material_mesh(
    model: &Pmx,
    faces: &[[u32; 3]],
    name: &str,
    notes: &mut Vec<String>,
) -> Option<MaterialMesh> {
    let mut local = vec![u32::MAX; model.vertices.len()];
    let mut used: Vec<u32> = Vec::new();
    let mut indices = Vec::with_capacity(faces.len() * 3);
    for face in faces {
        // Negating Z mirrors the model, which turns MMD's clockwise fronts into Bevy's
        // counter-clockwise ones as seen from the mirrored side; MMD lists them the other
        // way round, so two corners trade places.
        for &vertex in &[face[0], face[2], face[1]] {
            let slot = &mut local[vertex as usize];
            if *slot == u32::MAX {
                *slot = used.len() as u32;
                used.push(vertex);
            }
            indices.push(*slot);
        }
    }
    let mut joints: Vec<usize> = Vec::new();
    let mut joint_of = |bone: u32| -> u16 {
        let bone = bone as usize;
        match joints.iter().position(|&known| known == bone) {
            Some(at) => at as u16,
            None => {
                joints.push(bone);
                (joints.len() - 1) as u16
            }
        }
    };
    let mut joint_indices = Vec::with_capacity(used.len());
    let mut joint_weights = Vec::with_capacity(used.len());
    for &vertex in &used {
        let vertex = &model.vertices[vertex as usize];
        let total: f32 = vertex.weights.iter().filter(|weight| **weight > 0.0).sum();
        let mut slots = [0u16; 4];
        let mut weights = [0.0f32; 4];
        for k in 0..4 {
            if vertex.weights[k] > 0.0 {
                slots[k] = joint_of(vertex.bones[k]);
                weights[k] = vertex.weights[k] / total.max(1e-6);
            }
        }
        if total <= 0.0 {
            slots[0] = joint_of(vertex.bones[0]);
            weights[0] = 1.0;
        }
        joint_indices.push(slots);
        joint_weights.push(weights);
    }
    if joints.len() > MAX_JOINTS {
        notes.push(format!(
            "material {name} moves with {} bones, more than the {MAX_JOINTS} a Bevy skin holds; \
             it is left out",
            joints.len()
        ));
        return None;
    }
    // Kept in the main world too: the model avatar reads the morph target names.
    let mut mesh = Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::default(),
    );
    let vertex = |index: &u32| &model.vertices[*index as usize];
    mesh.insert_attribute(
        Mesh::ATTRIBUTE_POSITION,
        used.iter()
            .map(|index| to_encore(vertex(index).position).to_array())
            .collect::<Vec<_>>(),
    );
    mesh.insert_attribute(
        Mesh::ATTRIBUTE_NORMAL,
        used.iter()
            .map(|index| {
                to_encore(vertex(index).normal)
                    .normalize_or(Vec3::Y)
                    .to_array()
            })
            .collect::<Vec<_>>(),
    );
    mesh.insert_attribute(
        Mesh::ATTRIBUTE_UV_0,
        used.iter()
            .map(|index| vertex(index).uv)
            .collect::<Vec<_>>(),
    );
    mesh.insert_attribute(
        Mesh::ATTRIBUTE_JOINT_INDEX,
        VertexAttributeValues::Uint16x4(joint_indices),
    );
    mesh.insert_attribute(Mesh::ATTRIBUTE_JOINT_WEIGHT, joint_weights);
    mesh.insert_indices(Indices::U32(indices));
    // The vertex morphs that move this material, the face's first.
    let mut targets: Vec<(&str, Vec<(u32, Vec3)>)> = model
        .morphs
        .iter()
        .filter_map(|morph| {
            let MorphKind::Vertex(offsets) = &morph.kind else {
                return None;
            };
            let moved: Vec<(u32, Vec3)> = offsets
                .iter()
                .filter_map(|offset| {
                    let slot = *local.get(offset.vertex as usize)?;
                    (slot != u32::MAX).then(|| (slot, to_encore(offset.offset)))
                })
                .collect();
            (!moved.is_empty()).then_some((morph.name.as_str(), moved))
        })
        .collect();
    targets.sort_by_key(|(name, _)| super::expression::Expression::from_morph_name(name).is_none());
    if targets.len() > MAX_MORPHS {
        notes.push(format!(
            "material {name} has {} morphs, more than the {MAX_MORPHS} a Bevy mesh holds; the \
             expressions are kept and {} others left out",
            targets.len(),
            targets.len() - MAX_MORPHS
        ));
        targets.truncate(MAX_MORPHS);
    }
    let morphs = targets.len();
    if morphs > 0 {
        let mut attributes = vec![MorphAttributes::default(); morphs * used.len()];
        for (target, (_, moved)) in targets.iter().enumerate() {
            for &(slot, offset) in moved {
                attributes[target * used.len() + slot as usize].position = offset;
            }
        }
        mesh.set_morph_targets(attributes);
        mesh.set_morph_target_names(targets.iter().map(|(name, _)| (*name).to_owned()).collect());
    }
    Some(MaterialMesh {
        mesh,
        joints,
        morphs,
    })
}

/// Decodes a texture file by its bytes (not its extension) into an sRGB image, and says
/// whether any of its pixels is see-through.
fn texture(path: &Path) -> Result<(Image, bool), String> {
    let bytes = std::fs::read(path).map_err(|error| format!("cannot be read ({error})"))?;
    let decoded = image::load_from_memory(&bytes)
        .map_err(|error| format!("cannot be decoded ({error}); PNG, JPG, BMP and TGA read"))?
        .into_rgba8();
    let alpha = decoded.pixels().any(|pixel| pixel.0[3] < 250);
    let (width, height) = decoded.dimensions();
    let mut image = Image::new(
        Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        decoded.into_raw(),
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::RENDER_WORLD,
    );
    // MMD models tile some textures (UVs past 0..1).
    image.sampler = ImageSampler::Descriptor(ImageSamplerDescriptor {
        address_mode_u: ImageAddressMode::Repeat,
        address_mode_v: ImageAddressMode::Repeat,
        ..ImageSamplerDescriptor::linear()
    });
    Ok((image, alpha))
}

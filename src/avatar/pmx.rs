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
//! and the material draws with its colour. The model avatar's dressing turns each into a cel
//! material with its toon ramp's shade (encore's ten shared ramps, or the bottom of the
//! model's own ramp image), its sphere map (multiplied or added; sub-textures are not drawn)
//! and its edge as an outline. Material and UV morphs change them while a dance's face keys
//! say so ([`looks`]); a material hidden at rest (alpha 0) is spawned hidden when a morph can
//! show it.
//!
//! Draw order: MMD draws materials in the file's order. Opaque and cut-out materials here
//! write depth, so the order only matters where two surfaces lie exactly on each other;
//! blended ones (diffuse alpha below one) are sorted by Bevy back to front by their mesh's
//! origin, which all of a model's meshes share, so among themselves they keep the order Bevy
//! queues them in (spawn order, the file's) only as far as its sort is stable.

use std::path::Path;

use bevy::gltf::GltfMaterialName;
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
use encore_show::{
    avatar::{
        material_morphs::MaterialMorphs,
        mmd::{material_label, to_encore, vertex_offsets},
        pmx::{self, Pmx, SphereMode},
    },
    choreography::native_dance,
    motion::{native, physics::Physics},
};

use crate::{clock::ConcertClock, setlist::ShowSetlist};

use self::looks::{MmdMaterial, ShownLooks, UvMesh};
use super::IdolAssets;

mod looks;

pub(crate) use self::looks::show_material_morphs;

/// What a PMX material adds to its toon look that the model crate cannot read from images:
/// its sphere map, and the shade of a toon ramp image of its own.
#[derive(Component, Debug, Clone, Default)]
pub(crate) struct MmdSurface {
    /// The sphere map and whether it adds (else multiplies).
    pub(crate) sphere: Option<(Handle<Image>, bool)>,
    /// The shaded end of the material's own toon ramp, linear.
    pub(crate) ramp: Option<Vec3>,
}

/// A PMX model's own skeleton, for dances made for it: a VMD plays natively on its bones
/// (tracks by name, append, IK) instead of through the humanoid retargeting, and its face
/// keys drive the morphs of the same names. On the scene root of the model.
#[derive(Component, Debug)]
pub(crate) struct NativeRig {
    /// The model file, for the log.
    file: String,
    skeleton: native::Skeleton,
    /// Each bone's entity.
    bones: Vec<Entity>,
    /// The meshes with morphs, and their morph names.
    faces: Vec<(Entity, Vec<String>)>,
    /// The dance bound last (by the address of its shared motion), its bones' binding,
    /// each face mesh's morphs' face tracks, and the material and UV morphs' face tracks.
    bound: Option<(usize, native::Bound, FaceTracks, Vec<Option<usize>>)>,
    /// The material and UV morphs and the weights they show.
    looks: ShownLooks,
    /// Whether the bones hold a native pose (to put them back to rest when it ends).
    dancing: bool,
    /// Hair, skirts and cloaks: the model's rigid bodies and joints (`None` without dynamic
    /// bodies).
    physics: Option<Physics>,
}

impl NativeRig {
    /// Whether the model is dancing natively now (its head is the dance's, not the camera's).
    pub(crate) fn dancing(&self) -> bool {
        self.dancing
    }
}

/// The face track of each morph, for each face mesh of a [`NativeRig`].
type FaceTracks = Vec<Vec<Option<usize>>>;

/// A decoded texture: the image, whether any of it is see-through, and its bottom middle
/// pixel (a toon ramp's shaded end), linear.
type Decoded = (Handle<Image>, bool, Vec3);

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
    let mut morphing = Vec::new();
    let folder = path.parent().unwrap_or(Path::new("."));
    let textures: Vec<Option<Decoded>> = model
        .textures
        .iter()
        .map(|written| match pmx::find_texture(folder, written) {
            Some(found) => match texture(&found) {
                Ok((image, alpha, ramp)) => Some((assets.images.add(image), alpha, ramp)),
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
    let material_morphs = MaterialMorphs::new(&model);
    let uv_vertices = material_morphs.uv_vertices();
    let mut uv_meshes = Vec::new();
    let mut first = 0usize;
    for (number, material) in model.materials.iter().enumerate() {
        let count = material.index_count as usize / 3;
        let faces = &model.faces[first..first + count];
        first += count;
        let hidden = material.diffuse[3] <= 0.0;
        if faces.is_empty() || (hidden && !material_morphs.changes(number)) {
            // Never seen: no morph shows it.
            continue;
        }
        let Some(mesh) = material_mesh(&model, faces, &material.name, &mut notes) else {
            continue;
        };
        let MaterialMesh {
            mesh,
            joints,
            morphs,
            vertices,
        } = mesh;
        let names = mesh
            .morph_target_names()
            .map(<[String]>::to_vec)
            .unwrap_or_default();
        let inverse: Vec<Mat4> = joints
            .iter()
            .map(|&bone| Mat4::from_translation(-to_encore(model.bones[bone].position)))
            .collect();
        let decoded =
            |index: Option<usize>| index.and_then(|index| textures.get(index).cloned().flatten());
        let texture = decoded(material.texture);
        let surface = MmdSurface {
            sphere: match material.sphere_mode {
                SphereMode::Multiply => {
                    decoded(material.sphere).map(|(image, _, _)| (image, false))
                }
                SphereMode::Add => decoded(material.sphere).map(|(image, _, _)| (image, true)),
                // A second UV set's texture: not drawn.
                SphereMode::SubTexture | SphereMode::Off => None,
            },
            ramp: match material.toon {
                pmx::Toon::Texture(index) => decoded(Some(index)).map(|(_, _, ramp)| ramp),
                _ => None,
            },
        };
        let diffuse = material.diffuse;
        let alpha_mode = if diffuse[3] < 0.999 || material_morphs.changes_alpha(number) {
            AlphaMode::Blend
        } else if texture.as_ref().is_some_and(|(_, alpha, _)| *alpha) {
            AlphaMode::Mask(0.5)
        } else {
            AlphaMode::Opaque
        };
        let standard = StandardMaterial {
            base_color: Color::srgba(diffuse[0], diffuse[1], diffuse[2], diffuse[3]),
            base_color_texture: texture.map(|(handle, _, _)| handle),
            cull_mode: (!material.flags.double_sided()).then_some(Face::Back),
            double_sided: material.flags.double_sided(),
            alpha_mode,
            perceptual_roughness: 0.8,
            ..default()
        };
        let mesh = assets.meshes.add(mesh);
        if vertices
            .iter()
            .any(|vertex| uv_vertices.binary_search(vertex).is_ok())
        {
            uv_meshes.push(UvMesh {
                mesh: mesh.clone(),
                rest: vertices
                    .iter()
                    .map(|&vertex| model.vertices[vertex as usize].uv)
                    .collect(),
                vertices,
            });
        }
        let label = material_label(number, material);
        let mut entity = commands.spawn((
            Name::new(label.clone()),
            GltfMaterialName(label),
            surface,
            Mesh3d(mesh.clone()),
            MeshMaterial3d(assets.materials.add(standard)),
            SkinnedMesh {
                inverse_bindposes: assets
                    .bindposes
                    .add(SkinnedMeshInverseBindposes::from(inverse)),
                joints: joints.iter().map(|&bone| bones[bone]).collect(),
            },
            NoFrustumCulling,
            MmdMaterial {
                index: number,
                rest: None,
            },
            if hidden {
                Visibility::Hidden
            } else {
                Visibility::Inherited
            },
            Transform::IDENTITY,
            ChildOf(scene_root),
        ));
        if morphs > 0
            && let Ok(weights) = MorphWeights::new(vec![0.0; morphs], Some(mesh))
        {
            // The mesh draws the weights of the `MorphWeights` beside it (a `Value` would be
            // drawn as it is, never moving).
            let id = entity.id();
            entity.insert((weights, MeshMorphWeights::Reference(id)));
            morphing.push((entity.id(), names));
        }
    }
    let skeleton = native::Skeleton::new(&model);
    let physics = Physics::new(&model, &skeleton);
    commands.entity(scene_root).insert(NativeRig {
        file: path.display().to_string(),
        physics: (physics.dynamic_bodies() > 0).then_some(physics),
        skeleton,
        bones,
        faces: morphing,
        bound: None,
        looks: ShownLooks {
            morphs: material_morphs,
            uv_meshes,
            ..default()
        },
        dancing: false,
    });
    Ok(notes)
}

/// One material's mesh, the bones its skin uses, how many morph targets it has, and the
/// file's vertex of each of its vertices.
struct MaterialMesh {
    mesh: Mesh,
    joints: Vec<usize>,
    morphs: usize,
    vertices: Vec<u32>,
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
    // Vertex morphs, and group morphs as the sum of their vertex members.
    let mut targets: Vec<(&str, Vec<(u32, Vec3)>)> = model
        .morphs
        .iter()
        .enumerate()
        .filter_map(|(index, morph)| {
            let offsets = vertex_offsets(model, index)?;
            let moved: Vec<(u32, Vec3)> = offsets
                .into_iter()
                .filter_map(|(vertex, offset)| {
                    let slot = *local.get(vertex as usize)?;
                    (slot != u32::MAX).then_some((slot, offset))
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
        vertices: used,
    })
}

/// Decodes a texture file by its bytes (not its extension) into an sRGB image, and says
/// whether any of its pixels is see-through and what its bottom middle pixel is (linear).
fn texture(path: &Path) -> Result<(Image, bool, Vec3), String> {
    let bytes = std::fs::read(path).map_err(|error| format!("cannot be read ({error})"))?;
    // By the bytes where they say (a sphere map's BMP named .spa); TGA has no signature, so
    // by the extension after that.
    let format = image::guess_format(&bytes)
        .ok()
        .or_else(|| image::ImageFormat::from_path(path).ok())
        .ok_or("cannot be decoded: neither its bytes nor its name say what image it is")?;
    let decoded = image::load_from_memory_with_format(&bytes, format)
        .map_err(|error| format!("cannot be decoded ({error}); PNG, JPG, BMP, TGA and DDS read"))?
        .into_rgba8();
    let alpha = decoded.pixels().any(|pixel| pixel.0[3] < 250);
    let (width, height) = decoded.dimensions();
    let bottom = decoded.get_pixel(width / 2, height.saturating_sub(1)).0;
    let ramp = Vec3::from_array(
        [bottom[0], bottom[1], bottom[2]].map(|value| (f32::from(value) / 255.0).powf(2.2)),
    );
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
    Ok((image, alpha, ramp))
}

/// Plays each PMX model's VMD dance natively on its own bones while it dances one, after the
/// humanoid pose (which it replaces): the bones' transforms from the dance's tracks, append
/// and IK at the dance's frame, its rigid bodies' physics (restarting at the shot plan's
/// cuts, so the window, recordings and chunks agree), and the morphs from its face keys. When the dance ends the
/// bones go back to rest, for the humanoid pose to take over.
pub(crate) fn dance_natively(
    clock: Res<ConcertClock>,
    setlist: Res<ShowSetlist>,
    plans: Res<crate::show::Plans>,
    mut rigs: Query<(&mut NativeRig, &ChildOf)>,
    mut idols: Query<(&super::Performer, &mut Transform), Without<NativeRig>>,
    mut bones: Query<&mut Transform, (Without<NativeRig>, Without<super::Performer>)>,
    mut morphs: Query<&mut MorphWeights>,
) {
    for (mut rig, parent) in &mut rigs {
        let Ok((performer, mut root)) = idols.get_mut(parent.parent()) else {
            continue;
        };
        let dance = native_dance(&setlist, performer.index, clock.seconds)
            .and_then(|(played, frame)| Some((played, played.motion.vmd()?, frame)));
        let Some((played, vmd, frame)) = dance else {
            let count = rig.looks.morphs.len();
            rig.looks.set(std::iter::repeat_n(0.0, count));
            if rig.dancing {
                rig.dancing = false;
                for (bone, &entity) in rig.skeleton.bones.iter().zip(&rig.bones) {
                    if let Ok(mut transform) = bones.get_mut(entity) {
                        *transform = Transform::from_translation(bone.offset);
                    }
                }
            }
            continue;
        };
        let key = std::sync::Arc::as_ptr(&played.motion) as usize;
        if rig.bound.as_ref().is_none_or(|(known, ..)| *known != key) {
            let bound = native::bind(vmd, &rig.skeleton);
            let look_names = rig.looks.morphs.names();
            info!(
                "{}: dances {} on her own bones: {} of the dance's {} bone tracks and {} of \
                 its {} face tracks bind by name; {} rigid bodies swing her hair and clothes",
                rig.file,
                played.file.file_name().map_or_else(
                    || played.file.display().to_string(),
                    |name| { name.to_string_lossy().into_owned() }
                ),
                bound.moved,
                vmd.bones.len(),
                vmd.morphs
                    .iter()
                    .filter(|track| {
                        rig.faces.iter().any(|(_, names)| {
                            names.iter().any(|name| {
                                encore_show::motion::vmd::names_match(&track.name, name)
                            })
                        }) || look_names
                            .iter()
                            .any(|name| encore_show::motion::vmd::names_match(&track.name, name))
                    })
                    .count(),
                vmd.morphs.len(),
                rig.physics.as_ref().map_or(0, Physics::dynamic_bodies),
            );
            let faces = rig
                .faces
                .iter()
                .map(|(_, names)| native::face_tracks(vmd, names))
                .collect();
            let looks = native::face_tracks(vmd, &look_names);
            rig.bound = Some((key, bound, faces, looks));
        }
        let NativeRig {
            skeleton,
            bound,
            physics,
            faces,
            bones: bone_entities,
            looks,
            ..
        } = &mut *rig;
        let Some((_, bound, face_tracks, look_tracks)) = bound.as_ref() else {
            continue;
        };
        looks.set(native::face_weights(vmd, look_tracks, frame));
        let mut posed = native::pose_at(vmd, skeleton, bound, frame);
        if let Some(physics) = physics {
            // The state restarts at camera cuts (where a settling skirt is not seen), the
            // same in the window, recordings and chunks.
            let index = performer.index;
            let pose_at = |seconds: f64| match native_dance(&setlist, index, seconds) {
                Some((other, frame)) if std::sync::Arc::ptr_eq(&other.motion, &played.motion) => {
                    native::pose_at(vmd, skeleton, bound, frame)
                }
                _ => native::pose_at(
                    &Default::default(),
                    skeleton,
                    &native::bind(&Default::default(), skeleton),
                    0.0,
                ),
            };
            physics.pose(clock.seconds, &plans.cuts, pose_at, &mut posed);
        }
        // The dance places and turns her itself, from her mark.
        root.rotation = Quat::IDENTITY;
        for (local, &entity) in posed.locals.iter().zip(bone_entities.iter()) {
            if let Ok(mut transform) = bones.get_mut(entity) {
                transform.translation = local.translation;
                transform.rotation = local.rotation;
            }
        }
        for ((entity, _), tracks) in faces.iter().zip(face_tracks) {
            if let Ok(mut weights) = morphs.get_mut(*entity) {
                let values = native::face_weights(vmd, tracks, frame);
                for (weight, value) in weights.weights_mut().iter_mut().zip(values) {
                    *weight = value;
                }
            }
        }
        rig.dancing = true;
    }
}

#[cfg(test)]
mod tests {
    use encore_show::avatar::pmx::{Deform, Morph, MorphKind, TextEncoding, Vertex, VertexOffset};

    use super::*;

    fn vertex(bone: u32, x: f32) -> Vertex {
        Vertex {
            position: [x, 0.0, 0.0],
            normal: [0.0, 0.0, -1.0],
            uv: [0.0, 0.0],
            extra_uvs: [[0.0; 4]; 4],
            deform: Deform::Bdef1,
            bones: [bone, 0, 0, 0],
            weights: [1.0, 0.0, 0.0, 0.0],
            sdef: None,
            edge_scale: 1.0,
        }
    }

    fn model(vertices: Vec<Vertex>, morphs: Vec<Morph>) -> Pmx {
        let faces = (0..vertices.len() as u32 / 3)
            .map(|face| [face * 3, face * 3 + 1, face * 3 + 2])
            .collect();
        Pmx {
            version: 2.0,
            encoding: TextEncoding::Utf8,
            additional_uvs: 0,
            name: String::new(),
            name_en: String::new(),
            comment: String::new(),
            comment_en: String::new(),
            vertices,
            faces,
            textures: Vec::new(),
            materials: Vec::new(),
            bones: Vec::new(),
            morphs,
            display_frames: 0,
            rigid_bodies: Vec::new(),
            joints: Vec::new(),
            soft_bodies: 0,
        }
    }

    #[test]
    fn a_material_moved_by_more_bones_than_a_skin_holds_is_reported_not_drawn_broken() {
        let model = model(
            (0..300).map(|bone| vertex(bone, bone as f32)).collect(),
            Vec::new(),
        );
        let mut notes = Vec::new();
        assert!(material_mesh(&model, &model.faces, "スカート", &mut notes).is_none());
        assert!(
            notes[0].contains("スカート moves with 300 bones, more than the 256"),
            "{notes:?}"
        );
        // Within the limit, joints are renumbered into the material's own list.
        let mesh = material_mesh(&model, &model.faces[..80], "袖", &mut notes).expect("a mesh");
        let mut joints = mesh.joints.clone();
        joints.sort_unstable();
        assert_eq!(joints, (0..240).collect::<Vec<_>>());
        // Mirrored into encore's axes with the corners traded: the first triangle of MMD's
        // (0, 1, 2) is drawn as (0, 2, 1).
        let Some(Indices::U32(indices)) = mesh.mesh.indices() else {
            panic!("32-bit indices");
        };
        let Some(VertexAttributeValues::Float32x3(positions)) =
            mesh.mesh.attribute(Mesh::ATTRIBUTE_POSITION)
        else {
            panic!("positions");
        };
        let corners: Vec<f32> = indices[..3]
            .iter()
            .map(|&index| positions[index as usize][0])
            .collect();
        assert_eq!(corners, [0.0, 2.0, 1.0]);
    }

    #[test]
    fn morphs_beyond_a_meshs_limit_keep_the_singing_and_blinking() {
        let mut morphs: Vec<Morph> = (0..300)
            .map(|number| Morph {
                name: format!("extra {number}"),
                name_en: String::new(),
                panel: 4,
                kind: MorphKind::Vertex(vec![VertexOffset {
                    vertex: 0,
                    offset: [0.0, 0.1, 0.0],
                }]),
            })
            .collect();
        for name in ["あ", "まばたき"] {
            morphs.push(Morph {
                name: name.to_owned(),
                name_en: String::new(),
                panel: 2,
                kind: MorphKind::Vertex(vec![VertexOffset {
                    vertex: 1,
                    offset: [0.0, 0.0, 0.2],
                }]),
            });
        }
        let model = model(vec![vertex(0, 0.0), vertex(0, 1.0), vertex(0, 2.0)], morphs);
        let mut notes = Vec::new();
        let mesh = material_mesh(&model, &model.faces, "顔", &mut notes).expect("a mesh");
        assert_eq!(mesh.morphs, 256);
        let names = mesh.mesh.morph_target_names().expect("named targets");
        assert_eq!(&names[..2], &["あ".to_owned(), "まばたき".to_owned()]);
        assert!(notes[0].contains("302 morphs") && notes[0].contains("46 others left out"));
    }

    #[test]
    fn textures_are_read_by_their_bytes_whatever_their_extension() {
        let folder = std::env::temp_dir().join(format!("encore-pmx-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        // A sphere map is a BMP renamed .spa; a toon ramp in TGA, light on top, shade below.
        let mut ramp = image::RgbaImage::from_pixel(4, 8, image::Rgba([255, 255, 255, 255]));
        for x in 0..4 {
            ramp.put_pixel(x, 7, image::Rgba([128, 64, 64, 255]));
        }
        let spa = folder.join("metal.spa");
        image::DynamicImage::ImageRgba8(ramp.clone())
            .to_rgb8()
            .save_with_format(&spa, image::ImageFormat::Bmp)
            .unwrap();
        let tga = folder.join("toon.TGA");
        ramp.save_with_format(&tga, image::ImageFormat::Tga)
            .unwrap();
        let (_, alpha, _) = texture(&spa).expect("a BMP named .spa decodes");
        assert!(!alpha);
        let (image, _, shade) = texture(&tga).expect("a TGA decodes");
        assert_eq!(image.width(), 4);
        assert!(
            (shade.x - (128.0f32 / 255.0).powf(2.2)).abs() < 1e-3,
            "{shade}"
        );
        // Cut-out parts: any see-through pixel makes the material cut out.
        let png = folder.join("lace.png");
        image::RgbaImage::from_pixel(2, 2, image::Rgba([255, 255, 255, 0]))
            .save(&png)
            .unwrap();
        assert!(texture(&png).expect("a PNG decodes").1);
        let junk = folder.join("broken.png");
        std::fs::write(&junk, b"not an image").unwrap();
        assert!(
            texture(&junk).unwrap_err().contains("cannot be decoded"),
            "{:?}",
            texture(&junk).err()
        );
        std::fs::remove_dir_all(&folder).unwrap();
    }
}

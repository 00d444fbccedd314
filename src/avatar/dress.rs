//! A model avatar's looks on stage: its materials become cel materials lit by the rig, with
//! MToon's shade, rim, emission, outline and UV animation where the VRM has them; its
//! expressions move material colours and texture offsets; and its eyes look at the camera
//! (eye bones, or the look expressions). Each idol gets her own materials, so two idols of
//! one file can wear different expressions.

use bevy::{
    camera::visibility::NoFrustumCulling,
    gltf::GltfMaterialName,
    mesh::{morph::MeshMorphWeights, morph::MorphWeights, skinning::SkinnedMesh},
    prelude::*,
    transform::TransformSystems,
};

use super::{
    IdolRig,
    expression::{EXPRESSION_COUNT, Expression},
    looks::{BindTarget, Looks, MaterialValues, Rules, ToonSpec},
    skeleton::Bone,
};
use crate::{
    AppSystems, clock::ConcertClock, graphics::RenderProfile, show::Viewpoint, stage::CelMaterial,
};

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<MissingTextures>();
    app.add_systems(
        Update,
        (dress_models, show_material_binds, forget_missing_textures)
            .chain()
            .in_set(AppSystems::Dress),
    );
    // After transforms propagate: the head's pose of this frame is in the globals.
    app.add_systems(
        PostUpdate,
        look_with_eyes.after(TransformSystems::Propagate),
    );
}

/// The root of a model's spawned scene. Its meshes are dressed here, not by the stage's
/// generic conversion to cel materials.
#[derive(Component, Debug, Clone, Copy)]
#[require(crate::stage::DressesItself)]
pub struct ModelScene;

/// The expression weights a model shows this frame, after its binary and override rules,
/// and the share of the eyes' look-at its expressions leave.
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub struct ShownFace {
    /// Weight per expression.
    pub weights: [f32; EXPRESSION_COUNT],
    /// 1 for a free look-at, 0 when an expression blocks it.
    pub look: f32,
    /// Where a motion file's look-at track turns the eyes (yaw and pitch in degrees, left
    /// and up positive, in the head's frame); the show camera when `None`.
    pub gaze: Option<(f32, f32)>,
}

impl Default for ShownFace {
    fn default() -> Self {
        Self {
            weights: [0.0; EXPRESSION_COUNT],
            look: 1.0,
            gaze: None,
        }
    }
}

/// What a model's looks need on stage: read at binding, dressed on the next frame.
#[derive(Component, Debug)]
pub(crate) struct ModelLook {
    /// The model file, for the log.
    file: String,
    scene_root: Entity,
    looks: Looks,
    /// The model's scale on stage (for outline widths in metres).
    scale: f32,
    /// The head's rest rotation in the idol's frame.
    head_rest: Quat,
    /// Look expression morphs: node, target, direction (left, right, up, down), weight.
    look_morphs: Vec<(Entity, usize, usize, f32)>,
    /// The expressions' binary and override rules.
    pub(crate) rules: Rules,
    dressed: Option<Vec<Dressed>>,
}

impl ModelLook {
    pub(crate) fn new(
        file: String,
        scene_root: Entity,
        looks: Looks,
        scale: f32,
        head_rest: Quat,
        look_morphs: Vec<(Entity, usize, usize, f32)>,
    ) -> Self {
        Self {
            file,
            scene_root,
            rules: Rules::new(&looks.rules),
            looks,
            scale,
            head_rest,
            look_morphs,
            dressed: None,
        }
    }
}

/// One of the idol's materials as dressed.
#[derive(Debug)]
struct Dressed {
    toon: bool,
    surface: Handle<CelMaterial>,
    outline: Option<Handle<CelMaterial>>,
    rest: MaterialValues,
    rotation: f32,
    scroll: Vec2,
    spin: f32,
    binds: Vec<(BindTarget, Expression)>,
}

impl Dressed {
    fn moves(&self) -> bool {
        !self.binds.is_empty() || self.scroll != Vec2::ZERO || self.spin != 0.0
    }
}

/// The cel material for one of the model's materials: MToon's parameters where the file has
/// them, else a plain conversion.
fn dress(standard: &StandardMaterial, toon: Option<&ToonSpec>) -> CelMaterial {
    let mut cel = CelMaterial::from_standard(standard);
    if let Some(toon) = toon {
        // An MToon material's glTF fallback is often unlit; MToon itself is lit.
        cel.toon.shading = Vec4::new(toon.shift, toon.toony, 0.0, cel.toon.shading.w);
        cel.toon.shade =
            Vec3::from_array(toon.shade).extend(if toon.shade_textured { 1.0 } else { 0.0 });
        cel.toon.rim = Vec3::from_array(toon.rim).extend(toon.rim_mix);
        cel.toon.shape.x = toon.rim_power;
        cel.toon.shape.y = toon.rim_lift;
        let emissive = standard.emissive;
        cel.toon.emissive = Vec4::new(
            emissive.red,
            emissive.green,
            emissive.blue,
            cel.toon.emissive.w,
        );
    }
    cel
}

/// The values expressions can move, as the material is at rest.
fn rest_values(cel: &CelMaterial, outline: Option<&CelMaterial>) -> MaterialValues {
    let uv = cel.toon.uv;
    MaterialValues {
        base: cel.base.to_f32_array(),
        shade: cel.toon.shade.to_array(),
        emissive: cel.toon.emissive.to_array(),
        rim: cel.toon.rim.to_array(),
        outline: outline.map_or([0.0; 4], |outline| outline.toon.outline.to_array()),
        scale: [
            Vec2::new(uv.x, uv.y).length(),
            Vec2::new(uv.z, uv.w).length(),
        ],
        offset: [cel.toon.uv_offset.x, cel.toon.uv_offset.y],
    }
}

/// A model mesh as dressing needs it.
type ModelMesh<'a> = (
    &'a MeshMaterial3d<StandardMaterial>,
    &'a Mesh3d,
    Option<&'a SkinnedMesh>,
    Option<&'a MeshMorphWeights>,
    Option<&'a GltfMaterialName>,
    Option<&'a super::pmx::MmdSurface>,
);

/// A file's material as dressed for one idol: the standard material, the surface (`None`
/// for one left as it is) and the outline.
type Made = (
    AssetId<StandardMaterial>,
    Option<Handle<CelMaterial>>,
    Option<Handle<CelMaterial>>,
);

/// Gives each newly bound model her own materials, with MToon and outlines.
fn dress_models(
    mut commands: Commands,
    profile: Res<RenderProfile>,
    standards: Res<Assets<StandardMaterial>>,
    mut cels: ResMut<Assets<CelMaterial>>,
    mut models: Query<&mut ModelLook>,
    descendants: Query<&Children>,
    meshes: Query<ModelMesh>,
) {
    for mut model in &mut models {
        if model.dressed.is_some() {
            continue;
        }
        let mut dressed: Vec<Dressed> = Vec::new();
        // By the file's material: this idol's surface and outline.
        let mut made: Vec<Made> = Vec::new();
        let entities: Vec<Entity> = descendants.iter_descendants(model.scene_root).collect();
        for entity in entities {
            let Ok((material, mesh, skin, morphs, material_name, surface)) = meshes.get(entity)
            else {
                continue;
            };
            let id = material.0.id();
            let found = made.iter().find(|(known, _, _)| *known == id).cloned();
            let (surface, outline) = match found {
                Some((_, surface, outline)) => (surface, outline),
                None => {
                    let Some(standard) = standards.get(id) else {
                        continue;
                    };
                    // The file's material, by the name the primitive carries.
                    let index = material_name.and_then(|name| {
                        model
                            .looks
                            .material_names
                            .iter()
                            .position(|known| *known == name.0)
                    });
                    let toon = index.and_then(|index| model.looks.materials.get(index)?.as_ref());
                    let binds: Vec<(BindTarget, Expression)> = index
                        .map(|index| {
                            model
                                .looks
                                .binds
                                .iter()
                                .filter(|bind| bind.material == index)
                                .filter_map(|bind| {
                                    Some((
                                        bind.target,
                                        Expression::from_morph_name(&bind.expression)?,
                                    ))
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    if toon.is_none() && binds.is_empty() && !profile.cel {
                        // A plain material on a lit preset: Bevy's own shading.
                        made.push((id, None, None));
                        continue;
                    }
                    let mut cel = dress(standard, toon);
                    if let Some(surface) = surface {
                        if let Some((sphere, add)) = &surface.sphere {
                            cel.sphere = Some(sphere.clone());
                            cel.toon.sphere.x = if *add { 2.0 } else { 1.0 };
                        }
                        if let Some(ramp) = surface.ramp {
                            let base = Vec4::from(cel.base.to_f32_array()).truncate();
                            cel.toon.shade = (base * ramp).extend(1.0);
                        }
                    }
                    let outline = toon
                        .and_then(|toon| toon.outline)
                        .filter(|_| profile.outlines)
                        .map(|spec| {
                            let mut outline = cel.clone();
                            outline.outline = true;
                            outline.toon.outline =
                                Vec3::from_array(spec.colour).extend(spec.lighting_mix);
                            outline.toon.shape.z = if spec.screen {
                                spec.width
                            } else {
                                spec.width * model.scale
                            };
                            outline.toon.shape.w = if spec.screen { 1.0 } else { 0.0 };
                            outline
                        });
                    let rest = rest_values(&cel, outline.as_ref());
                    let surface = cels.add(cel);
                    let outline = outline.map(|outline| cels.add(outline));
                    dressed.push(Dressed {
                        toon: toon.is_some(),
                        surface: surface.clone(),
                        outline: outline.clone(),
                        rest,
                        rotation: rest_rotation(standard),
                        scroll: toon.map_or(Vec2::ZERO, |toon| Vec2::from_array(toon.scroll)),
                        spin: toon.map_or(0.0, |toon| toon.rotation),
                        binds,
                    });
                    made.push((id, Some(surface.clone()), outline.clone()));
                    (Some(surface), outline)
                }
            };
            let Some(surface) = surface else {
                continue;
            };
            commands
                .entity(entity)
                .remove::<MeshMaterial3d<StandardMaterial>>()
                .insert(MeshMaterial3d(surface));
            if !profile.idol_shadows {
                commands.entity(entity).insert(bevy::light::NotShadowCaster);
            }
            if let Some(outline) = outline {
                let mut hull = commands.spawn((
                    Name::new("Outline"),
                    mesh.clone(),
                    MeshMaterial3d(outline),
                    Transform::IDENTITY,
                    NoFrustumCulling,
                    bevy::light::NotShadowCaster,
                    ChildOf(entity),
                ));
                if let Some(skin) = skin {
                    hull.insert(skin.clone());
                }
                if let Some(morphs) = morphs {
                    hull.insert(morphs.clone());
                }
            }
        }
        info!(
            "{}: {} materials of its own, {} with MToon shading, {} outlined, {} moved by \
             expressions; eyes {}",
            model.file,
            dressed.len(),
            dressed.iter().filter(|dressed| dressed.toon).count(),
            dressed
                .iter()
                .filter(|dressed| dressed.outline.is_some())
                .count(),
            dressed
                .iter()
                .filter(|dressed| !dressed.binds.is_empty())
                .count(),
            match model.looks.look_at {
                Some(look) if look.bones => "turn to the camera",
                Some(_) => "look by expressions",
                None => "do not move",
            },
        );
        model.dressed = Some(dressed);
    }
}

/// Images a model names that could not be loaded.
#[derive(Resource, Debug, Default)]
struct MissingTextures(bevy::platform::collections::HashSet<AssetId<Image>>);

/// A material whose texture is missing would never draw (its bind group waits for the image
/// forever), so the texture is dropped and the material draws with its colour, with one
/// warning naming the file.
fn forget_missing_textures(
    mut failed: MessageReader<bevy::asset::AssetLoadFailedEvent<Image>>,
    mut added: MessageReader<AssetEvent<CelMaterial>>,
    mut missing: ResMut<MissingTextures>,
    mut standards: ResMut<Assets<StandardMaterial>>,
    mut cels: ResMut<Assets<CelMaterial>>,
) {
    let mut news = false;
    for event in failed.read() {
        warn!(
            "{}: the texture cannot be loaded ({}); its material draws with its colour",
            event.path, event.error
        );
        news |= missing.0.insert(event.id);
    }
    news |= added
        .read()
        .any(|event| matches!(event, AssetEvent::Added { .. }));
    if missing.0.is_empty() || !news {
        return;
    }
    let lost = |texture: &Option<Handle<Image>>| {
        texture
            .as_ref()
            .is_some_and(|texture| missing.0.contains(&texture.id()))
    };
    let standard_ids: Vec<AssetId<StandardMaterial>> = standards
        .iter()
        .filter(|(_, material)| lost(&material.base_color_texture))
        .map(|(id, _)| id)
        .collect();
    for id in standard_ids {
        if let Some(mut material) = standards.get_mut(id) {
            material.base_color_texture = None;
        }
    }
    let cel_ids: Vec<AssetId<CelMaterial>> = cels
        .iter()
        .filter(|(_, material)| lost(&material.texture))
        .map(|(id, _)| id)
        .collect();
    for id in cel_ids {
        if let Some(mut material) = cels.get_mut(id) {
            material.texture = None;
        }
    }
}

fn rest_rotation(standard: &StandardMaterial) -> f32 {
    let axis = standard.uv_transform.matrix2.x_axis;
    axis.y.atan2(axis.x)
}

/// Moves the idols' material colours and texture offsets with their expressions, and runs
/// MToon's UV animation on the concert's clock.
fn show_material_binds(
    clock: Res<ConcertClock>,
    models: Query<(&ModelLook, &ShownFace)>,
    mut cels: ResMut<Assets<CelMaterial>>,
) {
    let time = clock.seconds as f32;
    for (model, face) in &models {
        for dressed in model
            .dressed
            .iter()
            .flatten()
            .filter(|dressed| dressed.moves())
        {
            let values = dressed.rest.bound(
                dressed
                    .binds
                    .iter()
                    .map(|(target, expression)| (target, face.weights[expression.index()])),
            );
            // Scroll wraps at whole UVs (a repeating texture looks the same), so long shows
            // keep their precision.
            let scroll = (dressed.scroll * time).fract_gl();
            let spin = (dressed.spin * time).rem_euclid(std::f32::consts::TAU);
            let offset = Vec2::from_array(values.offset) + scroll;
            if let Some(cel) = cels.get(&dressed.surface) {
                let mut toon = cel.toon;
                toon.set_uv(
                    Vec2::from_array(values.scale),
                    offset,
                    dressed.rotation + spin,
                );
                toon.shade = Vec4::from_array(values.shade)
                    .truncate()
                    .extend(toon.shade.w);
                toon.emissive = Vec4::from_array(values.emissive)
                    .truncate()
                    .extend(toon.emissive.w);
                toon.rim = Vec4::from_array(values.rim).truncate().extend(toon.rim.w);
                let base = LinearRgba::from_f32_array(values.base);
                if (toon != cel.toon || base != cel.base)
                    && let Some(mut cel) = cels.get_mut(&dressed.surface)
                {
                    cel.toon = toon;
                    cel.base = base;
                }
            }
            if let Some(outline) = &dressed.outline
                && let Some(cel) = cels.get(outline)
            {
                let colour = Vec4::from_array(values.outline)
                    .truncate()
                    .extend(cel.toon.outline.w);
                if colour != cel.toon.outline
                    && let Some(mut cel) = cels.get_mut(outline)
                {
                    cel.toon.outline = colour;
                }
            }
        }
    }
}

/// Turns the eyes of each model that has a look-at towards the show camera: the eye bones,
/// within the file's ranges, or the look expressions' morphs.
#[allow(clippy::type_complexity)]
fn look_with_eyes(
    viewpoint: Res<Viewpoint>,
    idols: Query<(&IdolRig, &ModelLook, &ShownFace, &GlobalTransform)>,
    mut joints: Query<(&mut Transform, &mut GlobalTransform, &ChildOf), Without<IdolRig>>,
    mut morphs: Query<&mut MorphWeights>,
) {
    let Some(camera) = viewpoint.eye() else {
        return;
    };
    for (rig, model, face, root) in &idols {
        let Some(spec) = model.looks.look_at else {
            continue;
        };
        let Ok((_, head, _)) = joints.get(rig.joints[Bone::Head.index()]) else {
            continue;
        };
        let head = *head;
        // The head's turn from rest, applied to the idol's own frame: her look frame.
        let (_, root_rotation, _) = root.to_scale_rotation_translation();
        let rest_world = root_rotation * model.head_rest;
        let frame = head.rotation() * rest_world.inverse() * root_rotation;
        let towards = frame.inverse() * (camera - head.translation());
        let (yaw, pitch) = face.gaze.unwrap_or((
            towards.x.atan2(towards.z).to_degrees(),
            towards.y.atan2(towards.xz().length()).to_degrees(),
        ));
        // A camera behind her head gets no look: the eyes rest instead of straining sideways.
        let look = if towards.z > 0.0 || face.gaze.is_some() {
            face.look
        } else {
            0.0
        };
        let (yaw, pitch) = (yaw * look, pitch * look);
        if spec.bones {
            let angles = spec.eye_angles(yaw, pitch);
            for (bone, (eye_yaw, eye_pitch)) in
                [Bone::LeftEye, Bone::RightEye].into_iter().zip(angles)
            {
                let joint = rig.joints[bone.index()];
                let Ok((_, _, parent)) = joints.get(joint) else {
                    continue;
                };
                let Ok((_, parent_global, _)) = joints.get(parent.parent()) else {
                    continue;
                };
                let parent_global = *parent_global;
                let Ok((mut local, mut global, _)) = joints.get_mut(joint) else {
                    continue;
                };
                let turn = frame
                    * Quat::from_euler(
                        EulerRot::YXZ,
                        eye_yaw.to_radians(),
                        -eye_pitch.to_radians(),
                        0.0,
                    )
                    * frame.inverse();
                let rest_local = rig.rest[bone.index()].rotation;
                let rest_global = parent_global.rotation() * rest_local;
                local.rotation = parent_global.rotation().inverse() * turn * rest_global;
                *global = parent_global.mul_transform(*local);
            }
        } else {
            let weights = spec.expression_weights(yaw, pitch);
            for &(entity, target, direction, share) in &model.look_morphs {
                if let Ok(mut morph) = morphs.get_mut(entity)
                    && let Some(weight) = morph.weights_mut().get_mut(target)
                {
                    *weight = (weights[direction] * share).min(1.0);
                }
            }
        }
    }
}

//! Avatars: the bodies on stage. Every cast member gets a procedural idol generated from her
//! setlist parameters (height, build, skin, hair, costume, member colour): a skinned mesh on
//! a humanoid skeleton with VRM bone names, which the choreography poses every frame.

pub mod chains;
mod cpu_skin;
mod dress;
pub mod export;
pub mod mesh;
mod model;
pub(crate) mod pmx;
pub mod spring;

pub use encore_show::avatar::{expression, inspect, looks, retarget, skeleton};

use bevy::{
    camera::visibility::DynamicSkinnedMeshBounds,
    ecs::system::SystemParam,
    mesh::{
        morph::{MeshMorphWeights, MorphWeights},
        skinning::{SkinnedMesh, SkinnedMeshInverseBindposes},
    },
    prelude::*,
};

pub(crate) use self::dress::ModelLook;
pub use self::dress::{ModelScene, ShownFace};
pub use self::model::{IdolClips, ModelNotices, ModelsLoading};
use self::{
    expression::{EXPRESSION_COUNT, Expression},
    mesh::{Slot, idol_parts},
    model::ModelAvatar,
    skeleton::{BONE_COUNT, Bone, Skeleton},
};
use crate::{
    AppSystems,
    colour::{ShowColour, Srgb},
    setlist::{
        ShowSetlist,
        model::{Avatar, Idol},
        raw::{BuiltinLook, Colour},
    },
};

pub(crate) fn plugin(app: &mut App) {
    app.add_plugins((cpu_skin::plugin, spring::plugin, dress::plugin));
    app.init_resource::<ModelsLoading>();
    app.init_resource::<ModelNotices>();
    app.add_systems(
        Update,
        (sync_idols, model::attach_models)
            .chain()
            .in_set(AppSystems::Cast),
    );
}

/// One idol on stage.
#[derive(Component, Debug, Clone, Copy)]
pub struct Performer {
    /// Index in the setlist's cast.
    pub index: usize,
}

/// An idol's rig: the joint entity of each humanoid bone, its rest transform, and where her
/// face's expressions live. Built-in idols and imported models alike.
#[derive(Component, Debug, Clone)]
pub struct IdolRig {
    /// Joint entities in [`Bone::ALL`] order; [`Entity::PLACEHOLDER`] for a bone the model
    /// lacks.
    pub joints: [Entity; BONE_COUNT],
    /// Each joint's transform in the rest pose, in its parent's frame.
    pub rest: [Transform; BONE_COUNT],
    /// Length, in the hips' parent frame, of one unit of the idol's height (hips offsets of
    /// the move library are in such units).
    pub unit: f32,
    /// Entities with [`MorphWeights`] and which of their morph targets is which expression.
    pub faces: Vec<FaceBinding>,
    /// For a model whose rest pose or joint axes differ from encore's: how the moves map
    /// onto its joints. `None` for built-in idols, whose joints take the moves as they are.
    pub retarget: Option<Box<retarget::Retarget>>,
}

/// Morph targets of one mesh (or group of meshes sharing weights) that make expressions.
#[derive(Debug, Clone)]
pub struct FaceBinding {
    /// The entity holding the [`MorphWeights`].
    pub entity: Entity,
    /// Morph target index, the expression it shows, and how far the full expression moves
    /// it (1 for encore's own idols; a VRM bind's weight otherwise). Several expressions may
    /// move one target; their shares add up, to at most 1.
    pub targets: Vec<(usize, Expression, f32)>,
}

/// The asset stores a procedural idol's body goes into.
#[derive(SystemParam)]
pub(crate) struct IdolAssets<'w> {
    pub(crate) meshes: ResMut<'w, Assets<Mesh>>,
    materials: ResMut<'w, Assets<StandardMaterial>>,
    bindposes: ResMut<'w, Assets<SkinnedMeshInverseBindposes>>,
    images: ResMut<'w, Assets<Image>>,
    cels: ResMut<'w, Assets<crate::stage::CelMaterial>>,
    profile: Res<'w, crate::graphics::RenderProfile>,
    cel: Option<Res<'w, crate::stage::SharedCel>>,
    outline: Option<Res<'w, crate::stage::SharedOutline>>,
}

/// Respawns the idols when the cast changes (at start and on a reload).
fn sync_idols(
    mut commands: Commands,
    setlist: Res<ShowSetlist>,
    mut shown_cast: Local<Option<Vec<Idol>>>,
    performers: Query<Entity, With<Performer>>,
    asset_server: Res<AssetServer>,
    mut assets: IdolAssets,
) {
    if shown_cast.as_ref() == Some(&setlist.cast) {
        return;
    }
    for entity in &performers {
        commands.entity(entity).despawn();
    }
    for (index, idol) in setlist.cast.iter().enumerate() {
        match &idol.avatar {
            Avatar::Builtin(look) => {
                let root = spawn_root(&mut commands, index, idol);
                spawn_builtin(&mut commands, root, idol, look, &mut assets);
            }
            Avatar::Model(path) => {
                let root = spawn_root(&mut commands, index, idol);
                commands
                    .entity(root)
                    .insert(ModelAvatar::load(&asset_server, path, &idol.clips));
            }
        }
    }
    *shown_cast = Some(setlist.cast.clone());
}

/// The idol's root entity at her home mark; the body is added under it.
fn spawn_root(commands: &mut Commands, index: usize, idol: &Idol) -> Entity {
    commands
        .spawn((
            Name::new(format!("Idol {}", idol.name)),
            Performer { index },
            Transform::from_xyz(idol.home.x, 0.0, idol.home.y),
            Visibility::default(),
        ))
        .id()
}

/// The materials of a procedural idol, one per slot.
pub fn materials(member_colour: Srgb, look: &BuiltinLook) -> Vec<(Slot, StandardMaterial)> {
    let colour =
        |written: &Colour, fallback: Color| written.srgb().map_or(fallback, ShowColour::color);
    let outfit = look
        .outfit_colour
        .as_ref()
        .and_then(Colour::srgb)
        .unwrap_or(member_colour)
        .color();
    mesh::SLOTS
        .iter()
        .map(|slot| {
            let material = match slot {
                Slot::Skin => StandardMaterial {
                    base_color: colour(&look.skin, Color::srgb(0.95, 0.82, 0.74)),
                    perceptual_roughness: 0.65,
                    ..default()
                },
                Slot::Hair => StandardMaterial {
                    base_color: colour(&look.hair_colour, Color::BLACK),
                    perceptual_roughness: 0.4,
                    ..default()
                },
                Slot::Outfit => StandardMaterial {
                    base_color: outfit,
                    perceptual_roughness: 0.45,
                    double_sided: true,
                    cull_mode: None,
                    ..default()
                },
                Slot::Accent => StandardMaterial {
                    base_color: colour(&look.accent_colour, Color::WHITE),
                    perceptual_roughness: 0.3,
                    metallic: 0.3,
                    ..default()
                },
                Slot::Dark => StandardMaterial {
                    base_color: Color::srgb(0.42, 0.1, 0.14),
                    perceptual_roughness: 0.2,
                    ..default()
                },
                // Her painted face; the texture is set where she is spawned.
                Slot::Face => StandardMaterial {
                    base_color: Color::WHITE,
                    perceptual_roughness: 0.65,
                    alpha_mode: AlphaMode::Blend,
                    ..default()
                },
            };
            (*slot, material)
        })
        .collect()
}

/// Gives `root` a procedural idol's body: joints, skinned parts and the face's expressions.
pub(crate) fn spawn_builtin(
    commands: &mut Commands,
    root: Entity,
    idol: &Idol,
    look: &BuiltinLook,
    assets: &mut IdolAssets,
) {
    let skeleton = Skeleton::new(idol.height, look.build);
    let mut joints = [Entity::PLACEHOLDER; BONE_COUNT];
    let mut rest = [Transform::IDENTITY; BONE_COUNT];
    for bone in Bone::ALL {
        let parent = bone.parent().map_or(root, |parent| joints[parent.index()]);
        rest[bone.index()] = Transform::from_translation(skeleton.local[bone.index()]);
        joints[bone.index()] = commands
            .spawn((
                Name::new(bone.vrm_name()),
                rest[bone.index()],
                // Rigid pieces hang from the joints on the low preset.
                Visibility::default(),
                ChildOf(parent),
            ))
            .id();
    }
    // Her chains of locks and skirt panels, after the bones; springs swing them.
    let chains = chains::IdolChains::new(&skeleton, look);
    let mut all_joints = joints.to_vec();
    let binds = chains.binds(&skeleton);
    let mut springs = Vec::new();
    for joint in chains.joints() {
        let parent = all_joints[usize::from(joint.parent)];
        let entity = commands
            .spawn((
                Name::new(joint.name()),
                Transform::from_translation(joint.head - binds[usize::from(joint.parent)]),
                Visibility::default(),
                ChildOf(parent),
            ))
            .id();
        all_joints.push(entity);
        springs.push(spring::SpringJoint {
            entity,
            parent,
            rest_rotation: Quat::IDENTITY,
            tail: joint.tail - joint.head,
            params: joint.chain.swing.params(),
            colliders: joint.chain.colliders.clone(),
            state: None,
        });
    }
    if !springs.is_empty() {
        commands.entity(root).insert(spring::SpringRig {
            joints: springs,
            colliders: chains
                .colliders
                .iter()
                .map(|collider| spring::SpringCollider {
                    entity: joints[collider.bone.index()],
                    offset: collider.offset,
                    tail: collider.tail,
                    radius: collider.radius,
                })
                .collect(),
            clock: None,
        });
    }
    let inverse = assets.bindposes.add(
        binds
            .iter()
            .map(|at| Mat4::from_translation(-*at))
            .collect::<Vec<_>>(),
    );
    // Each joint's name, bones then chain joints, for the pieces riding them.
    let joint_names: Vec<String> = Bone::ALL
        .iter()
        .map(|bone| format!("{bone:?}"))
        .chain(chains.joints().map(|joint| joint.name()))
        .collect();
    let mut looks = materials(idol.colour, look).into_iter();
    let face_image = assets.images.add(face_image(idol, look));
    let mut faces = Vec::new();
    for (slot, part) in idol_parts(&skeleton, look) {
        let Some((_, mut material)) = looks.find(|(candidate, _)| *candidate == slot) else {
            continue;
        };
        if slot == Slot::Face {
            material.base_color_texture = Some(face_image.clone());
        }
        let has_face = part.has_morphs();
        if assets.profile.cel
            && let Some(shared) = assets.cel.as_ref().map(|cel| cel.0.clone())
        {
            // The painted face has a texture of its own; everything else shares one material.
            let cel = if slot == Slot::Face {
                assets
                    .cels
                    .add(crate::stage::CelMaterial::from_standard(&material))
            } else {
                shared
            };
            // Rigid pieces on the joints, coloured in their vertices so every idol shares one
            // cel material: see `cpu_skin` for why.
            for piece in cpu_skin::rigid_pieces(&part, &binds, root, material.base_color) {
                let mesh = assets.meshes.add(piece.mesh);
                let mut entity = commands.spawn((
                    Name::new(format!("{slot:?} on {}", joint_names[piece.bone])),
                    Mesh3d(mesh.clone()),
                    MeshMaterial3d(cel.clone()),
                    ChildOf(all_joints[piece.bone]),
                ));
                if let Some(face) = piece.face {
                    entity.insert(face);
                }
                // On the CPU preset only the head's pieces (face, hair, headset) and the
                // hair's locks are outlined: a hull for every piece would double the idols'
                // draws.
                let on_head = piece.bone == Bone::Head.index()
                    || (slot == Slot::Hair && piece.bone >= BONE_COUNT);
                if let Some(outline) = outlined(slot, assets)
                    && on_head
                {
                    commands.spawn((
                        Name::new(format!(
                            "Outline of {slot:?} on {}",
                            joint_names[piece.bone]
                        )),
                        Mesh3d(mesh),
                        MeshMaterial3d(outline),
                        ChildOf(all_joints[piece.bone]),
                    ));
                }
            }
            if has_face {
                faces.push(face_on_root(commands, root, None));
            }
            continue;
        }
        // Toon-shaded on the GPU presets too: the parts carry their colour in their
        // vertices and share the cast's one cel material; the painted face has its own.
        let colour = material.base_color.to_linear().to_f32_array();
        let mesh = part
            .to_mesh()
            .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, vec![colour; part.vertex_count()]);
        let Ok(mesh) = mesh.with_generated_skinned_mesh_bounds() else {
            continue;
        };
        let mesh = assets.meshes.add(mesh);
        let cel = match (slot, assets.cel.as_ref()) {
            (Slot::Face, _) | (_, None) => assets
                .cels
                .add(crate::stage::CelMaterial::from_standard(&material)),
            (_, Some(shared)) => shared.0.clone(),
        };
        let part = commands
            .spawn((
                Name::new(format!("{slot:?}")),
                Mesh3d(mesh.clone()),
                MeshMaterial3d(cel),
                SkinnedMesh {
                    inverse_bindposes: inverse.clone(),
                    joints: all_joints.clone(),
                },
                DynamicSkinnedMeshBounds,
                ChildOf(root),
            ))
            .id();
        if !assets.profile.idol_shadows {
            commands.entity(part).insert(bevy::light::NotShadowCaster);
        }
        if let Some(outline) = outlined(slot, assets) {
            commands.spawn((
                Name::new(format!("Outline of {slot:?}")),
                Mesh3d(mesh.clone()),
                MeshMaterial3d(outline),
                SkinnedMesh {
                    inverse_bindposes: inverse.clone(),
                    joints: all_joints.clone(),
                },
                DynamicSkinnedMeshBounds,
                bevy::light::NotShadowCaster,
                ChildOf(root),
            ));
        }
        if has_face {
            commands
                .entity(part)
                .insert(MeshMorphWeights::Reference(root));
            faces.push(face_on_root(commands, root, Some(mesh)));
        }
    }
    commands.entity(root).insert(IdolRig {
        joints,
        rest,
        unit: skeleton.height,
        faces,
        retarget: None,
    });
}

/// The outline material for a part of `slot`, if it gets one (not the painted face or the
/// mouth, which lie on the head).
fn outlined(slot: Slot, assets: &IdolAssets) -> Option<Handle<crate::stage::CelMaterial>> {
    match slot {
        Slot::Face | Slot::Dark => None,
        _ => assets.outline.as_ref().map(|outline| outline.0.clone()),
    }
}

/// The painted face of the idol `key` (her id) with `look` and `member` colour: her design's
/// face atlas, RGBA bytes. The stage and the export both draw it.
pub fn face_pixels(key: &str, look: &BuiltinLook, member: Srgb) -> Vec<u8> {
    use encore_show::avatar::{design::IdolDesign, face_paint};
    let colour = |written: &Colour, fallback: Srgb| written.srgb().unwrap_or(fallback);
    let design = IdolDesign::new(
        key,
        colour(&look.skin, Srgb::new(0.95, 0.82, 0.74)),
        colour(&look.hair_colour, Srgb::new(0.17, 0.13, 0.2)),
        member,
    );
    face_paint::paint_face(&design.face, &design.palette)
}

/// The idol's painted face as an sRGB image.
fn face_image(idol: &Idol, look: &BuiltinLook) -> Image {
    use encore_show::avatar::face_paint;
    let pixels = face_pixels(&idol.id, look, idol.colour);
    Image::new(
        bevy::render::render_resource::Extent3d {
            width: face_paint::FACE_SIZE,
            height: face_paint::FACE_SIZE,
            depth_or_array_layers: 1,
        },
        bevy::render::render_resource::TextureDimension::D2,
        pixels,
        bevy::render::render_resource::TextureFormat::Rgba8UnormSrgb,
        bevy::asset::RenderAssetUsages::RENDER_WORLD,
    )
}

/// Gives a built-in idol's `root` the expression weights her face parts follow, and the
/// binding that writes them (`mesh`: the first face mesh, for GPU morphs).
fn face_on_root(commands: &mut Commands, root: Entity, mesh: Option<Handle<Mesh>>) -> FaceBinding {
    let weights = MorphWeights::new(vec![0.0; EXPRESSION_COUNT], mesh)
        .expect("a handful of expressions fits");
    commands.entity(root).insert(weights);
    FaceBinding {
        entity: root,
        targets: Expression::ALL
            .iter()
            .map(|expression| (expression.index(), *expression, 1.0))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    #[test]
    fn spawns_the_cast_as_rigged_idols_and_respawns_on_change() {
        let mut app = testing::app();
        testing::step(&mut app, 2);
        let idols = |app: &mut App| {
            let world = app.world_mut();
            let mut idols: Vec<_> = world
                .query::<(&Name, &Performer, &IdolRig)>()
                .iter(world)
                .map(|(name, performer, rig)| (performer.index, name.to_string(), rig.joints))
                .collect();
            idols.sort_by_key(|idol| idol.0);
            idols
        };
        let shown = idols(&mut app);
        assert_eq!(shown.len(), 5);
        assert_eq!(shown[0].1, "Idol Hana");
        let world = app.world_mut();
        let names: Vec<String> = shown[0]
            .2
            .iter()
            .map(|joint| {
                world
                    .get::<Name>(*joint)
                    .expect("joints are named")
                    .to_string()
            })
            .collect();
        assert!(names.contains(&"leftUpperArm".to_owned()) && names.contains(&"head".to_owned()));
        // The low preset (the default without an adapter) cuts the parts into rigid pieces
        // on the joints, all sharing one cel material but the painted faces' own.
        let pieces: Vec<AssetId<crate::stage::CelMaterial>> = world
            .query::<(&Name, &MeshMaterial3d<crate::stage::CelMaterial>)>()
            .iter(world)
            .filter(|(name, _)| {
                name.contains(" on ") && !name.starts_with("Face") && !name.starts_with("Outline")
            })
            .map(|(_, material)| material.0.id())
            .collect();
        assert!(pieces.len() > 5 * 5 * 2, "only {} pieces", pieces.len());
        assert!(
            pieces.iter().all(|id| *id == pieces[0]),
            "one shared material"
        );
        assert_eq!(world.query::<&SkinnedMesh>().iter(world).count(), 0);
        // Her locks and skirt panels hang on chain joints that spring bones swing, with
        // pieces riding them.
        let rigs: Vec<usize> = world
            .query::<(&Performer, &spring::SpringRig)>()
            .iter(world)
            .map(|(_, rig)| rig.joints.len())
            .collect();
        assert!(rigs.len() >= 4, "{rigs:?}");
        let hana = world
            .query::<(&Performer, &spring::SpringRig)>()
            .iter(world)
            .find(|(performer, _)| performer.index == 0)
            .map(|(_, rig)| rig.clone())
            .expect("Hana has springs");
        let look = match &world.resource::<ShowSetlist>().cast[0].avatar {
            Avatar::Builtin(look) => look.clone(),
            Avatar::Model(_) => panic!("Hana is built in"),
        };
        let expected = chains::IdolChains::new(
            &Skeleton::new(world.resource::<ShowSetlist>().cast[0].height, look.build),
            &look,
        );
        assert_eq!(hana.joints.len(), expected.joint_count());
        let riding = world
            .query::<(&Name, &ChildOf)>()
            .iter(world)
            .filter(|(name, parent)| {
                name.starts_with("Hair on hair_")
                    && hana
                        .joints
                        .iter()
                        .any(|joint| joint.entity == parent.parent())
            })
            .count();
        assert!(riding >= 3, "{riding} hair pieces ride her chains");

        app.world_mut()
            .resource_mut::<ShowSetlist>()
            .cast
            .truncate(2);
        testing::step(&mut app, 1);
        let names: Vec<String> = idols(&mut app).into_iter().map(|idol| idol.1).collect();
        assert_eq!(names, ["Idol Hana", "Idol Yuna"]);
    }

    #[test]
    fn medium_and_high_skin_each_part_on_the_gpu() {
        let mut app = testing::app();
        app.insert_resource(crate::graphics::RenderProfile::new(
            crate::graphics::Preset::Medium,
            false,
        ));
        testing::step(&mut app, 2);
        let world = app.world_mut();
        let skinned = world.query::<&SkinnedMesh>().iter(world).count();
        assert_eq!(
            skinned,
            5 * (6 + 4),
            "six materials per idol, and outlines round four of them"
        );
    }
}

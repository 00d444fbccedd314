//! Avatars: the bodies on stage. Every cast member gets a procedural idol generated from her
//! setlist parameters (height, build, skin, hair, costume, member colour): a skinned mesh on
//! a humanoid skeleton with VRM bone names, which the choreography poses every frame.

pub mod mesh;
pub mod skeleton;

use bevy::{
    camera::visibility::DynamicSkinnedMeshBounds,
    mesh::skinning::{SkinnedMesh, SkinnedMeshInverseBindposes},
    prelude::*,
};

use self::{
    mesh::{Slot, idol_parts},
    skeleton::{BONE_COUNT, Bone, Skeleton},
};
use crate::{
    AppSystems,
    setlist::{
        Setlist,
        model::{Avatar, Idol},
        raw::BuiltinLook,
        validate::parse_colour,
    },
};

pub(crate) fn plugin(app: &mut App) {
    app.add_systems(
        Update,
        sync_idols
            .before(AppSystems::Choreography)
            .after(AppSystems::Cues),
    );
}

/// One idol on stage.
#[derive(Component, Debug, Clone, Copy)]
pub struct Performer {
    /// Index in the setlist's cast.
    pub index: usize,
}

/// An idol's skeleton: the joint entities (in [`Bone::ALL`] order) and her measurements.
#[derive(Component, Debug, Clone)]
pub struct IdolRig {
    /// Joint entities, one per bone.
    pub joints: [Entity; BONE_COUNT],
    /// Rest pose.
    pub skeleton: Skeleton,
}

/// Respawns the idols when the cast changes (at start and on a reload).
fn sync_idols(
    mut commands: Commands,
    setlist: Res<Setlist>,
    mut shown_cast: Local<Option<Vec<Idol>>>,
    performers: Query<Entity, With<Performer>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut bindposes: ResMut<Assets<SkinnedMeshInverseBindposes>>,
) {
    if shown_cast.as_ref() == Some(&setlist.cast) {
        return;
    }
    for entity in &performers {
        commands.entity(entity).despawn();
    }
    for (index, idol) in setlist.cast.iter().enumerate() {
        let look = match &idol.avatar {
            Avatar::Builtin(look) => look.clone(),
            Avatar::Model(path) => {
                warn!(
                    "{}: model avatars are not supported yet; {} appears as a built-in idol",
                    path.display(),
                    idol.name
                );
                BuiltinLook::default()
            }
        };
        spawn_idol(
            &mut commands,
            index,
            idol,
            &look,
            (&mut meshes, &mut materials, &mut bindposes),
        );
    }
    *shown_cast = Some(setlist.cast.clone());
}

fn spawn_idol(
    commands: &mut Commands,
    index: usize,
    idol: &Idol,
    look: &BuiltinLook,
    (meshes, materials, bindposes): (
        &mut Assets<Mesh>,
        &mut Assets<StandardMaterial>,
        &mut Assets<SkinnedMeshInverseBindposes>,
    ),
) {
    let skeleton = Skeleton::new(idol.height, look.build);
    let root = commands
        .spawn((
            Name::new(format!("Idol {}", idol.name)),
            Transform::from_xyz(idol.home.x, 0.0, idol.home.y),
            Visibility::default(),
        ))
        .id();
    let mut joints = [Entity::PLACEHOLDER; BONE_COUNT];
    for bone in Bone::ALL {
        let parent = bone.parent().map_or(root, |parent| joints[parent.index()]);
        joints[bone.index()] = commands
            .spawn((
                Name::new(bone.vrm_name()),
                Transform::from_translation(skeleton.local[bone.index()]),
                ChildOf(parent),
            ))
            .id();
    }
    let inverse = bindposes.add(
        Bone::ALL
            .iter()
            .map(|bone| Mat4::from_translation(-skeleton.at(*bone)))
            .collect::<Vec<_>>(),
    );
    let colour = |text: &str, fallback: Color| parse_colour(text).unwrap_or(fallback);
    let outfit = look
        .outfit_colour
        .as_deref()
        .and_then(parse_colour)
        .unwrap_or(idol.colour);
    for (slot, part) in idol_parts(&skeleton, look) {
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
                base_color: Color::srgb(0.08, 0.05, 0.08),
                perceptual_roughness: 0.2,
                ..default()
            },
        };
        let mesh = part.to_mesh().with_generated_skinned_mesh_bounds();
        let Ok(mesh) = mesh else {
            continue;
        };
        commands.spawn((
            Name::new(format!("{slot:?}")),
            Mesh3d(meshes.add(mesh)),
            MeshMaterial3d(materials.add(material)),
            SkinnedMesh {
                inverse_bindposes: inverse.clone(),
                joints: joints.to_vec(),
            },
            DynamicSkinnedMeshBounds,
            ChildOf(root),
        ));
    }
    commands
        .entity(root)
        .insert((Performer { index }, IdolRig { joints, skeleton }));
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
        let skinned = world.query::<&SkinnedMesh>().iter(world).count();
        assert_eq!(skinned, 5 * 5, "five materials per idol");

        app.world_mut().resource_mut::<Setlist>().cast.truncate(2);
        testing::step(&mut app, 1);
        let names: Vec<String> = idols(&mut app).into_iter().map(|idol| idol.1).collect();
        assert_eq!(names, ["Idol Hana", "Idol Yuna"]);
    }
}

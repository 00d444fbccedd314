//! Model avatars: a glTF/GLB/VRM file named in the setlist, loaded through Bevy's glTF loader
//! and bound to the humanoid rig by its joint names (the VRM humanoid names encore's own
//! exported idols carry), scaled to the idol's height. Its expression morph targets and its
//! named animation clips are found too. A file that cannot be used is reported once, naming
//! the file and the fix, and the idol goes on stage as a built-in idol instead.

use std::{collections::HashMap, path::PathBuf};

use bevy::{
    asset::LoadState, gltf::Gltf, mesh::morph::MorphWeights, prelude::*,
    world_serialization::WorldAssetRoot,
};

use super::{
    FaceBinding, IdolAssets, IdolRig, Performer,
    expression::Expression,
    skeleton::{BONE_COUNT, Bone},
    spawn_builtin,
};
use crate::setlist::{Setlist, raw::BuiltinLook};

/// Number of idols whose model is still loading or spawning. Offscreen runs wait for it to
/// reach zero before they count frame 0.
#[derive(Resource, Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ModelsLoading(pub usize);

/// An idol whose body comes from a model file.
#[derive(Component, Debug)]
pub(crate) struct ModelAvatar {
    path: PathBuf,
    gltf: Handle<Gltf>,
    state: ModelState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ModelState {
    /// The file is loading.
    Loading,
    /// The scene is spawning under this entity.
    Spawning(Entity),
    /// Bound to the rig (or replaced by a built-in idol).
    Done,
}

impl ModelAvatar {
    /// Starts loading `path` (already checked by the setlist to stay inside the project).
    pub(crate) fn load(asset_server: &AssetServer, path: &std::path::Path) -> Self {
        let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        let gltf = asset_server
            .load_builder()
            // The setlist checker already keeps model paths inside the project folder.
            .override_unapproved()
            .load(path.clone());
        Self {
            path,
            gltf,
            state: ModelState::Loading,
        }
    }
}

/// A model's named animation clips, ready to play on its animation player.
#[derive(Component, Debug, Clone)]
pub struct IdolClips {
    /// The entity with the [`AnimationPlayer`].
    pub player: Entity,
    /// Clip name to its graph node and duration in seconds.
    pub clips: HashMap<String, (AnimationNodeIndex, f32)>,
}

/// Moves each model avatar along: loaded → scene spawned → bound to the rig.
#[allow(clippy::too_many_arguments)]
pub(crate) fn attach_models(
    mut commands: Commands,
    setlist: Res<Setlist>,
    asset_server: Res<AssetServer>,
    gltfs: Res<Assets<Gltf>>,
    clips: Res<Assets<AnimationClip>>,
    mut graphs: ResMut<Assets<AnimationGraph>>,
    mut models: Query<(Entity, &Performer, &mut ModelAvatar)>,
    nodes: Query<(&Name, &Transform, Option<&ChildOf>)>,
    descendants: Query<&Children>,
    morphs: Query<&MorphWeights>,
    players: Query<(), With<AnimationPlayer>>,
    mut assets: IdolAssets,
    mut loading: ResMut<ModelsLoading>,
) {
    let mut pending = 0;
    for (root, performer, mut model) in &mut models {
        let Some(idol) = setlist.cast.get(performer.index) else {
            continue;
        };
        let problem = match model.state {
            ModelState::Done => continue,
            ModelState::Loading => match asset_server.load_state(&model.gltf) {
                LoadState::Loaded => match gltfs.get(&model.gltf).and_then(|gltf| {
                    gltf.default_scene
                        .clone()
                        .or_else(|| gltf.scenes.first().cloned())
                }) {
                    Some(scene) => {
                        let spawned = commands
                            .spawn((
                                Name::new("Model"),
                                WorldAssetRoot(scene),
                                Transform::default(),
                                ChildOf(root),
                            ))
                            .id();
                        model.state = ModelState::Spawning(spawned);
                        None
                    }
                    None => Some("the file has no scene to show".to_owned()),
                },
                LoadState::Failed(error) => Some(format!("it could not be loaded: {error}")),
                LoadState::NotLoaded | LoadState::Loading => None,
            },
            ModelState::Spawning(scene_root) => {
                if descendants.get(scene_root).is_err() {
                    // Not spawned yet.
                    None
                } else {
                    let gltf = gltfs.get(&model.gltf);
                    match bind(scene_root, idol.height, &nodes, &descendants) {
                        Ok((rig, scale)) => {
                            let faces = faces(scene_root, &descendants, &morphs, &assets.meshes);
                            info!(
                                "{}: {} is on stage with {} of {BONE_COUNT} humanoid bones, \
                                 {} expressions and {} animation clips",
                                model.path.display(),
                                idol.name,
                                rig.joints
                                    .iter()
                                    .filter(|joint| **joint != Entity::PLACEHOLDER)
                                    .count(),
                                faces.iter().map(|face| face.targets.len()).sum::<usize>(),
                                gltf.map_or(0, |gltf| gltf.named_animations.len()),
                            );
                            commands
                                .entity(scene_root)
                                .insert(Transform::from_scale(Vec3::splat(scale)));
                            commands.entity(root).insert(IdolRig { faces, ..rig });
                            if let Some(gltf) = gltf
                                && let Some((named, graph)) =
                                    idol_clips(scene_root, gltf, &clips, &descendants, &players)
                            {
                                commands
                                    .entity(named.player)
                                    .insert(AnimationGraphHandle(graphs.add(graph)));
                                commands.entity(root).insert(named);
                            }
                            model.state = ModelState::Done;
                            None
                        }
                        Err(problem) => {
                            commands.entity(scene_root).despawn();
                            Some(problem)
                        }
                    }
                }
            }
        };
        if let Some(problem) = problem {
            warn!(
                "{}: {problem}. {} appears as a built-in idol until the file is fixed; \
                 models need joints named with the VRM humanoid bone names (hips, spine, \
                 head, leftUpperArm...), as `encore avatar gen` writes them",
                model.path.display(),
                idol.name
            );
            spawn_builtin(
                &mut commands,
                root,
                idol,
                &BuiltinLook::default(),
                &mut assets,
            );
            model.state = ModelState::Done;
        }
        if model.state != ModelState::Done {
            pending += 1;
        }
    }
    if loading.0 != pending {
        loading.0 = pending;
    }
}

/// Finds the humanoid joints under `scene_root` by name, and the scale that gives the model
/// the idol's `height`.
fn bind(
    scene_root: Entity,
    height: f32,
    nodes: &Query<(&Name, &Transform, Option<&ChildOf>)>,
    descendants: &Query<&Children>,
) -> Result<(IdolRig, f32), String> {
    let mut joints = [Entity::PLACEHOLDER; BONE_COUNT];
    let mut rest = [Transform::IDENTITY; BONE_COUNT];
    for entity in descendants.iter_descendants(scene_root) {
        let Ok((name, transform, _)) = nodes.get(entity) else {
            continue;
        };
        if let Some(bone) = Bone::ALL
            .iter()
            .find(|bone| bone.vrm_name().eq_ignore_ascii_case(name.as_str()))
            && joints[bone.index()] == Entity::PLACEHOLDER
        {
            joints[bone.index()] = entity;
            rest[bone.index()] = *transform;
        }
    }
    let missing: Vec<&str> = [Bone::Hips, Bone::Spine, Bone::Head]
        .iter()
        .filter(|bone| joints[bone.index()] == Entity::PLACEHOLDER)
        .map(|bone| bone.vrm_name())
        .collect();
    if !missing.is_empty() {
        return Err(format!("no joints named {} were found", missing.join(", ")));
    }
    // The head's rest height above the model's origin, in model units.
    let mut head = GlobalTransform::default();
    let mut entity = joints[Bone::Head.index()];
    let mut chain = Vec::new();
    while entity != scene_root {
        let Ok((_, transform, parent)) = nodes.get(entity) else {
            break;
        };
        chain.push(*transform);
        let Some(parent) = parent else {
            break;
        };
        entity = parent.parent();
    }
    for transform in chain.iter().rev() {
        head = head.mul_transform(*transform);
    }
    let head_height = head.translation().y;
    if !(head_height.is_finite() && head_height > 1e-4) {
        return Err("its head is not above its feet".to_owned());
    }
    // A built-in idol's head joint sits at 0.855 of her height.
    let scale = height * 0.855 / head_height;
    Ok((
        IdolRig {
            joints,
            rest,
            unit: height / scale,
            faces: Vec::new(),
        },
        scale,
    ))
}

/// The model's morph-weight holders and which of their targets are expressions.
fn faces(
    scene_root: Entity,
    descendants: &Query<&Children>,
    morphs: &Query<&MorphWeights>,
    meshes: &Assets<Mesh>,
) -> Vec<FaceBinding> {
    descendants
        .iter_descendants(scene_root)
        .filter_map(|entity| {
            let weights = morphs.get(entity).ok()?;
            let mesh = meshes.get(weights.first_mesh()?)?;
            let names = mesh.try_morph_target_names().ok()??;
            let targets: Vec<(usize, Expression)> = names
                .iter()
                .enumerate()
                .filter_map(|(index, name)| Some((index, Expression::from_morph_name(name)?)))
                .collect();
            (!targets.is_empty()).then_some(FaceBinding { entity, targets })
        })
        .collect()
}

/// The model's named clips on an animation graph, with the player that plays them.
fn idol_clips(
    scene_root: Entity,
    gltf: &Gltf,
    clips: &Assets<AnimationClip>,
    descendants: &Query<&Children>,
    players: &Query<(), With<AnimationPlayer>>,
) -> Option<(IdolClips, AnimationGraph)> {
    let player = descendants
        .iter_descendants(scene_root)
        .find(|entity| players.contains(*entity))?;
    let mut names: Vec<(&str, &Handle<AnimationClip>)> = gltf
        .named_animations
        .iter()
        .map(|(name, handle)| (name.as_ref(), handle))
        .collect();
    names.sort_by_key(|(name, _)| *name);
    let (graph, nodes) =
        AnimationGraph::from_clips(names.iter().map(|(_, handle)| (*handle).clone()));
    let clips = names
        .iter()
        .zip(nodes)
        .map(|((name, handle), node)| {
            let duration = clips.get(*handle).map_or(0.0, AnimationClip::duration);
            ((*name).to_owned(), (node, duration))
        })
        .collect();
    Some((IdolClips { player, clips }, graph))
}

//! Model avatars: a glTF/GLB/VRM file named in the setlist, loaded through Bevy's glTF loader
//! and bound to the humanoid rig by its joint names (the VRM humanoid names encore's own
//! exported idols carry), scaled to the idol's height. Its expression morph targets and its
//! named animation clips are found too. A file that cannot be used is reported once, naming
//! the file and the fix, and the idol goes on stage as a built-in idol instead.

use std::{collections::HashMap, path::PathBuf};

use bevy::{
    animation::{AnimatedBy, AnimationTargetId},
    asset::LoadState,
    gltf::Gltf,
    mesh::morph::MorphWeights,
    prelude::*,
    world_serialization::WorldAssetRoot,
};

use crate::setlist::ShowSetlist;

use super::{
    FaceBinding, IdolAssets, IdolRig, Performer,
    expression::Expression,
    inspect::{ExpressionBind, Inspection},
    retarget::{ModelRest, retarget},
    skeleton::{BONE_COUNT, Bone},
    spawn_builtin,
    spring::{SpringCollider, SpringJoint, SpringParams, SpringRig},
};
use crate::setlist::raw::BuiltinLook;

pub use crate::capture::ModelsLoading;

/// What went wrong with model files this time, one line each (member, file, what): files
/// that could not be used, textures that are missing, parts beyond Bevy's limits. For the
/// notice in the window; cleared when the setlist changes.
#[derive(Resource, Debug, Default, Clone, PartialEq)]
pub struct ModelNotices(pub Vec<String>);

/// An idol whose body comes from a model file.
#[derive(Component, Debug)]
pub(crate) struct ModelAvatar {
    path: PathBuf,
    gltf: Handle<Gltf>,
    /// Animation libraries for her rig, with their paths.
    libraries: Vec<(PathBuf, Handle<Gltf>)>,
    /// A PMX model, built here rather than by Bevy's glTF loader.
    pmx: bool,
    /// When loading began, for the time it took to go on stage.
    started: std::time::Instant,
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
    pub(crate) fn load(
        asset_server: &AssetServer,
        path: &std::path::Path,
        libraries: &[PathBuf],
    ) -> Self {
        let load = |path: &std::path::Path| {
            let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
            let gltf = asset_server
                .load_builder()
                // The setlist checker already keeps model paths inside the project folder.
                .override_unapproved()
                .load(path.clone());
            (path, gltf)
        };
        let pmx = path
            .extension()
            .is_some_and(|extension| extension.eq_ignore_ascii_case("pmx"));
        let (path, gltf) = if pmx {
            (
                path.canonicalize().unwrap_or_else(|_| path.to_path_buf()),
                Handle::default(),
            )
        } else {
            load(path)
        };
        Self {
            path,
            gltf,
            pmx,
            started: std::time::Instant::now(),
            libraries: libraries.iter().map(|library| load(library)).collect(),
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
    setlist: Res<ShowSetlist>,
    asset_server: Res<AssetServer>,
    gltfs: Res<Assets<Gltf>>,
    clips: Res<Assets<AnimationClip>>,
    mut graphs: ResMut<Assets<AnimationGraph>>,
    mut models: Query<(Entity, &Performer, &mut ModelAvatar)>,
    nodes: Query<(&Name, &Transform, Option<&ChildOf>)>,
    descendants: Query<&Children>,
    morphs: Query<&MorphWeights>,
    players: Query<(), With<AnimationPlayer>>,
    names: Query<&Name>,
    mut assets: IdolAssets,
    mut loading: ResMut<ModelsLoading>,
    mut notices: ResMut<ModelNotices>,
) {
    if setlist.is_changed() && !notices.0.is_empty() {
        notices.0.clear();
    }
    let mut pending = 0;
    for (root, performer, mut model) in &mut models {
        let Some(idol) = setlist.cast.get(performer.index) else {
            continue;
        };
        let problem = match model.state {
            ModelState::Done => continue,
            ModelState::Loading
                if model.libraries.iter().any(|(_, library)| {
                    matches!(
                        asset_server.load_state(library),
                        LoadState::NotLoaded | LoadState::Loading
                    )
                }) =>
            {
                None
            }
            ModelState::Loading if model.pmx => {
                let scene_root = commands
                    .spawn((
                        Name::new("Model"),
                        super::ModelScene,
                        Transform::default(),
                        Visibility::default(),
                        ChildOf(root),
                    ))
                    .id();
                match super::pmx::spawn(&mut commands, scene_root, &model.path, &mut assets) {
                    Ok(notes) => {
                        for note in notes {
                            warn!("{}: {note}", model.path.display());
                            notices.0.push(format!("{}: {note}", idol.name));
                        }
                        model.state = ModelState::Spawning(scene_root);
                        None
                    }
                    Err(problem) => {
                        commands.entity(scene_root).despawn();
                        Some(problem)
                    }
                }
            }
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
                                super::ModelScene,
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
                // The file's own reading says why in a user's words where it can.
                LoadState::Failed(error) => Some(match super::inspect::inspect(&model.path) {
                    Err(problem) => problem.to_string(),
                    Ok(_) => format!("it could not be loaded: {error}"),
                }),
                LoadState::NotLoaded | LoadState::Loading => None,
            },
            ModelState::Spawning(scene_root) => {
                if descendants.get(scene_root).is_err() {
                    // Not spawned yet.
                    None
                } else {
                    let gltf = gltfs.get(&model.gltf);
                    let bound = super::inspect::inspect(&model.path)
                        .map_err(|problem| problem.to_string())
                        .and_then(|inspection| {
                            let bound =
                                bind(scene_root, idol.height, &inspection, &nodes, &descendants)?;
                            Ok((bound, inspection))
                        });
                    match bound {
                        Ok(((rig, placement, head_rest), inspection)) => {
                            let binds = &inspection.expression_binds;
                            let springs = spring_rig(scene_root, &inspection, &nodes, &descendants);
                            let mut found =
                                faces_from_binds(scene_root, binds, &nodes, &descendants, &morphs);
                            if found.is_empty() {
                                found = faces(scene_root, &descendants, &morphs, &assets.meshes);
                            }
                            let faces = found;
                            info!(
                                "{}: {} is on stage with {} of {BONE_COUNT} humanoid bones, \
                                 {} expressions and {} animation clips ({:.0} ms after \
                                 loading began)",
                                model.path.display(),
                                idol.name,
                                rig.joints
                                    .iter()
                                    .filter(|joint| **joint != Entity::PLACEHOLDER)
                                    .count(),
                                // Distinct expressions, however many meshes carry each.
                                faces
                                    .iter()
                                    .flat_map(|face| {
                                        face.targets.iter().map(|target| target.1.index())
                                    })
                                    .collect::<std::collections::BTreeSet<_>>()
                                    .len(),
                                gltf.map_or(0, |gltf| gltf.named_animations.len())
                                    + model
                                        .libraries
                                        .iter()
                                        .filter_map(|(_, library)| gltfs.get(library))
                                        .map(|library| library.named_animations.len())
                                        .sum::<usize>(),
                                model.started.elapsed().as_secs_f64() * 1000.0,
                            );
                            let look_morphs =
                                look_morphs(scene_root, binds, &nodes, &descendants, &morphs);
                            let look = super::ModelLook::new(
                                model.path.display().to_string(),
                                scene_root,
                                inspection.looks.clone(),
                                placement.scale.x,
                                head_rest,
                                look_morphs,
                            );
                            commands.entity(scene_root).insert(placement);
                            commands.entity(root).insert((
                                IdolRig { faces, ..rig },
                                springs,
                                look,
                                super::ShownFace::default(),
                            ));
                            let mut sources: Vec<&Gltf> = gltf.into_iter().collect();
                            for (library, handle) in &model.libraries {
                                match gltfs.get(handle) {
                                    Some(loaded) => sources.push(loaded),
                                    None => {
                                        let problem = super::inspect::inspect(library).map_or_else(
                                            |problem| problem.to_string(),
                                            |_| "it could not be loaded".to_owned(),
                                        );
                                        notices.0.push(format!("{}: {problem}", idol.name));
                                        warn!("{problem}; {} dances without its clips", idol.name);
                                    }
                                }
                            }
                            let library_player = if model.libraries.is_empty() {
                                None
                            } else {
                                target_joints(
                                    &mut commands,
                                    scene_root,
                                    &inspection.top_nodes,
                                    &names,
                                    &descendants,
                                    &players,
                                )
                            };
                            if let Some((named, graph)) = idol_clips(
                                scene_root,
                                &sources,
                                &clips,
                                &descendants,
                                library_player,
                                &players,
                            ) {
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
            let file = model
                .path
                .file_name()
                .map_or_else(String::new, |name| name.to_string_lossy().into_owned());
            notices.0.push(format!(
                "{} ({file}): {problem}; shown as a built-in idol",
                idol.name
            ));
            warn!(
                "{}: {problem}. {} appears as a built-in idol until the file is fixed; \
                 `encore avatar inspect FILE` shows what encore reads in it",
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

/// Finds the humanoid joints under `scene_root` by the node names of the file's humanoid map
/// (a node of another name, such as a rigid mesh called `Head` hung on the `head` joint, is
/// never taken for a joint), stands the model up facing the audience at the idol's `height`
/// as its figure says, and works out the retargeting from its rest pose. A model without a
/// hips joint dances from the node that holds all the joints it has; one with no joints at
/// all stands, turns and travels whole. Returns the rig, the scene root's placement and the
/// head's rest rotation.
fn bind(
    scene_root: Entity,
    height: f32,
    inspection: &Inspection,
    nodes: &Query<(&Name, &Transform, Option<&ChildOf>)>,
    descendants: &Query<&Children>,
) -> Result<(IdolRig, Transform, Quat), String> {
    let fit = inspection.fit(height).ok_or(
        "its size could not be measured (encore reads the meshes of a GLB, or of a .gltf with \
         its .bin next to it)",
    )?;
    let mut joints = [Entity::PLACEHOLDER; BONE_COUNT];
    let mut rest = [Transform::IDENTITY; BONE_COUNT];
    let bone_of = |name: &str| {
        inspection
            .humanoid
            .iter()
            .find(|(_, node)| node == name)
            .and_then(|(bone, _)| Bone::ALL.iter().find(|known| known.vrm_name() == bone))
            .copied()
    };
    for entity in descendants.iter_descendants(scene_root) {
        let Ok((name, transform, _)) = nodes.get(entity) else {
            continue;
        };
        if let Some(bone) = bone_of(name.as_str())
            && joints[bone.index()] == Entity::PLACEHOLDER
        {
            joints[bone.index()] = entity;
            rest[bone.index()] = *transform;
        }
    }
    let parent_of = |entity: Entity| {
        nodes
            .get(entity)
            .ok()
            .and_then(|(_, _, parent)| parent.map(ChildOf::parent))
    };
    if joints[Bone::Hips.index()] == Entity::PLACEHOLDER
        && let Some(holder) = common_ancestor(&joints, scene_root, parent_of)
        && !joints.contains(&holder)
        && let Ok((_, transform, _)) = nodes.get(holder)
    {
        joints[Bone::Hips.index()] = holder;
        rest[Bone::Hips.index()] = *transform;
    }
    // Rest transforms in the scene root's space: each joint's and its parent node's.
    let in_scene = |joint: Entity| {
        let mut chain = Vec::new();
        let mut entity = joint;
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
        let mut world = GlobalTransform::default();
        for transform in chain.iter().rev() {
            world = world.mul_transform(*transform);
        }
        world
    };
    let mapped: [bool; BONE_COUNT] =
        std::array::from_fn(|index| joints[index] != Entity::PLACEHOLDER);
    let worlds: Vec<GlobalTransform> = joints
        .iter()
        .map(|&joint| {
            if joint == Entity::PLACEHOLDER {
                GlobalTransform::default()
            } else {
                in_scene(joint)
            }
        })
        .collect();
    let facing = fit.facing;
    let model_rest = ModelRest {
        mapped,
        rotation: std::array::from_fn(|index| facing * worlds[index].rotation()),
        parent_rotation: std::array::from_fn(|index| {
            facing * worlds[index].rotation() * rest[index].rotation.inverse()
        }),
        position: std::array::from_fn(|index| facing * worlds[index].translation()),
        tips: inspection.figure.map_or([None; BONE_COUNT], |figure| {
            figure
                .parts
                .map(|part| part.map(|(low, high)| (low + high) * 0.5))
        }),
    };
    let head_rest = model_rest.rotation[Bone::Head.index()];
    Ok((
        IdolRig {
            joints,
            rest,
            unit: height / fit.scale,
            faces: Vec::new(),
            retarget: Some(Box::new(retarget(&model_rest))),
        },
        Transform {
            translation: Vec3::Y * fit.lift,
            rotation: facing,
            scale: Vec3::splat(fit.scale),
        },
        head_rest,
    ))
}

/// The deepest node above every mapped joint, below `scene_root`; `None` without joints or
/// when only the scene root holds them all.
fn common_ancestor(
    joints: &[Entity; BONE_COUNT],
    scene_root: Entity,
    parent_of: impl Fn(Entity) -> Option<Entity>,
) -> Option<Entity> {
    let chain = |entity: Entity| {
        let mut chain = vec![entity];
        let mut at = entity;
        while let Some(parent) = parent_of(at) {
            if parent == scene_root {
                return Some(chain);
            }
            chain.push(parent);
            at = parent;
        }
        None
    };
    let mut common: Option<Vec<Entity>> = None;
    for &joint in joints.iter().filter(|joint| **joint != Entity::PLACEHOLDER) {
        let above = chain(joint)?;
        common = Some(match common {
            None => above,
            Some(common) => common
                .into_iter()
                .filter(|entity| above.contains(entity))
                .collect(),
        });
    }
    common?.first().copied()
}

/// The model's spring-bone joints and colliders, found by node name under `scene_root`.
fn spring_rig(
    scene_root: Entity,
    inspection: &Inspection,
    nodes: &Query<(&Name, &Transform, Option<&ChildOf>)>,
    descendants: &Query<&Children>,
) -> SpringRig {
    let find = |name: &str| {
        descendants.iter_descendants(scene_root).find(|entity| {
            nodes
                .get(*entity)
                .is_ok_and(|(found, _, _)| found.as_str() == name)
        })
    };
    let colliders = inspection
        .colliders
        .iter()
        .map(|spec| SpringCollider {
            entity: find(&spec.node).unwrap_or(Entity::PLACEHOLDER),
            offset: Vec3::from_array(spec.offset),
            tail: spec.tail.map(Vec3::from_array),
            radius: spec.radius,
        })
        .collect();
    let joints = inspection
        .spring_joints
        .iter()
        .filter_map(|spec| {
            let entity = find(&spec.node)?;
            let (_, transform, parent) = nodes.get(entity).ok()?;
            let tail = match spec.tail.as_deref().and_then(find) {
                Some(tail) => nodes.get(tail).ok()?.1.translation,
                // A leaf: 7 cm on along the bone, as VRM players do.
                None => {
                    transform.rotation.inverse() * transform.translation.try_normalize()? * 0.07
                }
            };
            Some(SpringJoint {
                entity,
                parent: parent?.parent(),
                rest_rotation: transform.rotation,
                tail,
                params: SpringParams {
                    stiffness: spec.stiffness,
                    gravity: Vec3::from_array(spec.gravity),
                    drag: spec.drag,
                    hit_radius: spec.hit_radius,
                },
                colliders: spec.colliders.clone(),
                state: None,
            })
        })
        .collect();
    SpringRig {
        joints,
        colliders,
        clock: None,
    }
}

/// The model's expressions from its VRM expression binds: each bound morph target of the
/// expressions encore shows (blink, the vowels, a smile), on the node that holds it.
fn faces_from_binds(
    scene_root: Entity,
    binds: &[ExpressionBind],
    nodes: &Query<(&Name, &Transform, Option<&ChildOf>)>,
    descendants: &Query<&Children>,
    morphs: &Query<&MorphWeights>,
) -> Vec<FaceBinding> {
    let mut faces: Vec<FaceBinding> = Vec::new();
    for bind in binds {
        let Some(expression) = Expression::from_morph_name(&bind.expression) else {
            continue;
        };
        let Some(entity) = descendants.iter_descendants(scene_root).find(|entity| {
            morphs.contains(*entity)
                && nodes
                    .get(*entity)
                    .is_ok_and(|(name, _, _)| name.as_str() == bind.node)
        }) else {
            continue;
        };
        match faces.iter_mut().find(|face| face.entity == entity) {
            Some(face) => face.targets.push((bind.morph, expression, bind.weight)),
            None => faces.push(FaceBinding {
                entity,
                targets: vec![(bind.morph, expression, bind.weight)],
            }),
        }
    }
    faces
}

/// The look expressions' morph binds (lookLeft, lookRight, lookUp, lookDown): node, morph
/// target, direction in that order, and weight.
fn look_morphs(
    scene_root: Entity,
    binds: &[ExpressionBind],
    nodes: &Query<(&Name, &Transform, Option<&ChildOf>)>,
    descendants: &Query<&Children>,
    morphs: &Query<&MorphWeights>,
) -> Vec<(Entity, usize, usize, f32)> {
    binds
        .iter()
        .filter_map(|bind| {
            let direction = ["lookleft", "lookright", "lookup", "lookdown"]
                .iter()
                .position(|name| bind.expression.eq_ignore_ascii_case(name))?;
            let entity = descendants.iter_descendants(scene_root).find(|entity| {
                morphs.contains(*entity)
                    && nodes
                        .get(*entity)
                        .is_ok_and(|(name, _, _)| name.as_str() == bind.node)
            })?;
            Some((entity, bind.morph, direction, bind.weight))
        })
        .collect()
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
            let targets: Vec<(usize, Expression, f32)> = names
                .iter()
                .enumerate()
                .filter_map(|(index, name)| Some((index, Expression::from_morph_name(name)?, 1.0)))
                .collect();
            (!targets.is_empty()).then_some(FaceBinding { entity, targets })
        })
        .collect()
}

/// Makes a model's joints animatable by clips from another file of the same rig, as
/// bevy_gltf does for a file's own clips: a player on each top node of the scene, and on
/// every node below, a target id hashed from the node names on the path from that top node.
/// Library clips bind to joints by those names. A model with clips of its own has them.
fn target_joints(
    commands: &mut Commands,
    scene_root: Entity,
    top_nodes: &[String],
    names: &Query<&Name>,
    descendants: &Query<&Children>,
    players: &Query<(), With<AnimationPlayer>>,
) -> Option<Entity> {
    if descendants
        .iter_descendants(scene_root)
        .any(|entity| players.contains(entity))
    {
        return None;
    }
    fn walk(
        commands: &mut Commands,
        entity: Entity,
        top: Entity,
        path: &mut Vec<Name>,
        names: &Query<&Name>,
        descendants: &Query<&Children>,
    ) {
        let Ok(name) = names.get(entity) else {
            return;
        };
        path.push(name.clone());
        commands
            .entity(entity)
            .insert((AnimationTargetId::from_names(path.iter()), AnimatedBy(top)));
        for child in descendants.get(entity).into_iter().flatten() {
            walk(commands, *child, top, path, names, descendants);
        }
        path.pop();
    }
    // The file's top nodes, shallowest first.
    let mut tops: Vec<Entity> = Vec::new();
    for entity in descendants.iter_descendants(scene_root) {
        if let Ok(name) = names.get(entity)
            && top_nodes.iter().any(|top| top == name.as_str())
            && !tops
                .iter()
                .any(|top| names.get(*top).is_ok_and(|known| known == name))
        {
            tops.push(entity);
        }
    }
    for &top in &tops {
        commands.entity(top).insert(AnimationPlayer::default());
        walk(commands, top, top, &mut Vec::new(), names, descendants);
    }
    tops.first().copied()
}

/// The model's named clips, its own first and then its libraries', on an animation graph,
/// with the player that plays them.
fn idol_clips(
    scene_root: Entity,
    sources: &[&Gltf],
    clips: &Assets<AnimationClip>,
    descendants: &Query<&Children>,
    new_player: Option<Entity>,
    players: &Query<(), With<AnimationPlayer>>,
) -> Option<(IdolClips, AnimationGraph)> {
    let player = descendants
        .iter_descendants(scene_root)
        .find(|entity| players.contains(*entity))
        .or(new_player)?;
    let mut names: Vec<(&str, &Handle<AnimationClip>)> = Vec::new();
    for gltf in sources {
        let mut own: Vec<(&str, &Handle<AnimationClip>)> = gltf
            .named_animations
            .iter()
            .map(|(name, handle)| (name.as_ref(), handle))
            .filter(|(name, _)| !names.iter().any(|(known, _)| known == name))
            .collect();
        own.sort_by_key(|(name, _)| *name);
        names.extend(own);
    }
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

//! Choreography: what every idol does at every instant. Plain functions compute an idol's
//! pose, mark and face (blink, singing mouth) from the setlist and the concert time; a thin
//! system writes them onto the idols' joints. Everything is a function of time and the
//! setlist's seed, so seeking, reloading and recording all land on the same poses.

pub use encore_show::choreography::*;

use bevy::{mesh::morph::MorphWeights, prelude::*};

use crate::{
    AppSystems,
    avatar::{IdolClips, IdolRig, ModelLook, Performer, ShownFace, skeleton::Bone},
    clock::ConcertClock,
    setlist::{ItemKind, ShowSetlist, raw::Move},
    show::{Now, Viewpoint},
};

pub(crate) fn plugin(app: &mut App) {
    app.add_systems(
        Update,
        (pose_idols, play_clips, crate::avatar::pmx::dance_natively)
            .chain()
            .in_set(AppSystems::Choreography),
    );
    // After the model avatars' dressing, which the material morphs change.
    app.add_systems(
        Update,
        crate::avatar::pmx::show_material_morphs.in_set(AppSystems::Lights),
    );
    app.add_systems(Update, look_at_camera.in_set(AppSystems::Gaze));
}

/// Turns the heads of the idols the camera is on towards it, after the camera has moved.
pub(crate) fn look_at_camera(
    setlist: Res<ShowSetlist>,
    now: Res<Now>,
    viewpoint: Res<Viewpoint>,
    idols: Query<(Entity, &Performer, &IdolRig, &Transform)>,
    natives: Query<(&crate::avatar::pmx::NativeRig, &ChildOf)>,
    mut joints: Query<&mut Transform, Without<IdolRig>>,
) {
    let Viewpoint::Director(camera) = *viewpoint else {
        return;
    };
    for (entity, performer, rig, root) in &idols {
        // A PMX model dancing its own VMD keeps the dance's head.
        if natives
            .iter()
            .any(|(native, parent)| parent.parent() == entity && native.dancing())
        {
            continue;
        }
        let weight = now.looks.get(performer.index).copied().unwrap_or(0.0);
        if weight <= 0.0 {
            continue;
        }
        // The head's parent chain, as posed this frame.
        let chain = [
            Bone::Hips,
            Bone::Spine,
            Bone::Chest,
            Bone::UpperChest,
            Bone::Neck,
        ];
        // A model's joints carry retargeted rotations: the head turn is worked out on
        // encore's own pose and handed to the model through its retargeting.
        let Some(frame) = now.idols.get(performer.index) else {
            continue;
        };
        let pose = rig.retarget.as_ref().map(|_| frame.pose.rotations);
        let mut parent = root.rotation;
        for bone in chain {
            match &pose {
                Some(rotations) => parent *= rotations[bone.index()],
                None => {
                    if let Ok(joint) = joints.get(rig.joints[bone.index()]) {
                        parent *= joint.rotation;
                    }
                }
            }
        }
        let Ok(mut head) = joints.get_mut(rig.joints[Bone::Head.index()]) else {
            continue;
        };
        let eyes = root.translation + Vec3::Y * setlist.cast[performer.index].height * 0.92;
        let towards = root.rotation.inverse() * (camera - eyes);
        let yaw = towards
            .x
            .atan2(towards.z)
            .clamp(-LOOK_LIMITS.0, LOOK_LIMITS.0);
        let pitch = towards
            .y
            .atan2(towards.xz().length())
            .clamp(-LOOK_LIMITS.1, LOOK_LIMITS.1);
        let looking = root.rotation * Quat::from_euler(EulerRot::YXZ, yaw, -pitch, 0.0);
        match (&rig.retarget, pose) {
            (Some(retarget), Some(mut rotations)) => {
                let current = parent * rotations[Bone::Head.index()];
                rotations[Bone::Head.index()] = parent.inverse() * current.slerp(looking, weight);
                head.rotation = retarget.local(Bone::Head, &rotations);
            }
            _ => {
                let current = parent * head.rotation;
                head.rotation = parent.inverse() * current.slerp(looking, weight);
            }
        }
    }
}

#[allow(clippy::type_complexity)]
fn pose_idols(
    now: Res<Now>,
    mut idols: Query<(
        &Performer,
        &IdolRig,
        &mut Transform,
        Option<(&ModelLook, &mut ShownFace)>,
    )>,
    mut joints: Query<&mut Transform, Without<IdolRig>>,
    mut morphs: Query<&mut MorphWeights>,
) {
    for (performer, rig, mut root, look) in &mut idols {
        let Some(mut frame) = now.idols.get(performer.index).copied() else {
            continue;
        };
        // A VRM's binary expressions snap, and its overrides turn blinks and vowels down.
        if let Some((model, mut shown)) = look {
            let (weights, look) = model.rules.apply(frame.face.0);
            frame.face.0 = weights;
            let face = ShownFace {
                weights,
                look,
                gaze: frame.gaze,
            };
            if *shown != face {
                *shown = face;
            }
        }
        root.translation = Vec3::new(frame.mark.x, 0.0, frame.mark.y);
        root.rotation = frame.pose.turn;
        for bone in Bone::ALL {
            let Ok(mut joint) = joints.get_mut(rig.joints[bone.index()]) else {
                continue;
            };
            let rest = rig.rest[bone.index()];
            joint.translation = rest.translation;
            if *bone == Bone::Hips {
                let offset = frame.pose.hips * rig.unit;
                joint.translation += match &rig.retarget {
                    Some(retarget) => retarget.hips_frame * offset,
                    None => offset,
                };
            }
            joint.rotation = match &rig.retarget {
                Some(retarget) => retarget.local(*bone, &frame.pose.rotations),
                None => rest.rotation * frame.pose.rotations[bone.index()],
            };
        }
        for binding in &rig.faces {
            let Ok(mut weights) = morphs.get_mut(binding.entity) else {
                continue;
            };
            let weights = weights.weights_mut();
            for &(target, _, _) in &binding.targets {
                if let Some(weight) = weights.get_mut(target) {
                    *weight = 0.0;
                }
            }
            for &(target, expression, share) in &binding.targets {
                if let Some(weight) = weights.get_mut(target) {
                    *weight = (*weight + frame.face.get(expression) * share).min(1.0);
                }
            }
        }
    }
}

/// Plays a model's own animation clip while the setlist has her dance `Clip("name")`: the
/// clip's time is the time since that dance started (looping), set every frame, so seeks and
/// recordings land on the same frame of the clip.
fn play_clips(
    clock: Res<ConcertClock>,
    setlist: Res<ShowSetlist>,
    idols: Query<(&Performer, &IdolClips)>,
    mut players: Query<&mut AnimationPlayer>,
) {
    for (performer, named) in &idols {
        let Ok(mut player) = players.get_mut(named.player) else {
            continue;
        };
        let position = setlist.position_at(clock.seconds);
        let playing = setlist
            .items
            .get(position.item)
            .zip(setlist.cast.get(performer.index))
            .filter(|(item, _)| item.kind == ItemKind::Song)
            .and_then(|(item, idol)| {
                let (dance, since) = dance_at(item, &idol.id, position.beats)?;
                let Move::Clip(name) = &dance.step else {
                    return None;
                };
                let &(node, duration) = named.clips.get(name)?;
                let seconds = since * item.grid.seconds_per_beat();
                Some((
                    node,
                    seconds.rem_euclid(f64::from(duration.max(1e-3))) as f32,
                ))
            });
        match playing {
            Some((node, seconds)) => {
                if !player.is_playing_animation(node) {
                    player.stop_all();
                    player.play(node).pause();
                }
                if let Some(active) = player.animation_mut(node) {
                    active.seek_to(seconds);
                }
            }
            None => {
                if player.playing_animations().next().is_some() {
                    player.stop_all();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::{ShowCamera, camera_look, director::ShotPlan};

    #[test]
    fn the_idol_in_a_close_up_turns_her_head_to_the_camera() {
        let mut app = crate::testing::app();
        crate::testing::step(&mut app, 1);
        let setlist = app.world().resource::<ShowSetlist>().clone();
        // Bar 5 of the first song cuts to a close-up of Hana; half a beat later she has
        // turned to the lens.
        let at = setlist.seconds_at(0, 5, 2.0).expect("first song");
        app.world_mut().resource_mut::<ConcertClock>().seek(at);
        crate::testing::step(&mut app, 1);
        let shots = ShotPlan::new(&setlist);
        assert_eq!(camera_look(&setlist, &shots, 0, at - 0.5), 0.0);
        assert!(camera_look(&setlist, &shots, 0, at) > 0.99);
        let world = app.world_mut();
        let camera = world
            .query_filtered::<&Transform, With<ShowCamera>>()
            .single(world)
            .expect("one show camera")
            .translation;
        let mut gaze = Vec::new();
        let mut idols = world.query::<(&Performer, &IdolRig, &Transform)>();
        for (performer, rig, root) in idols.iter(world) {
            let mut rotation = root.rotation;
            for bone in [
                Bone::Hips,
                Bone::Spine,
                Bone::Chest,
                Bone::UpperChest,
                Bone::Neck,
                Bone::Head,
            ] {
                rotation *= world
                    .get::<Transform>(rig.joints[bone.index()])
                    .expect("joint")
                    .rotation;
            }
            let eyes = root.translation + Vec3::Y * setlist.cast[performer.index].height * 0.92;
            let angle = (rotation * Vec3::Z)
                .angle_between(camera - eyes)
                .to_degrees();
            gaze.push((performer.index, angle));
        }
        gaze.sort_by_key(|(index, _)| *index);
        assert!(gaze[0].1 < 3.0, "Hana looks {:.1}° off the lens", gaze[0].1);
    }
}

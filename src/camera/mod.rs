//! The show camera: where the audience's eye is. It frames the shot the setlist cues for the
//! moment (cutting on the cue), and drifts slowly in front of the stage where none is cued.

use bevy::{
    camera::{RenderTarget, ShadowLodOrigin},
    prelude::*,
};
use bevy_egui::PrimaryEguiContext;

use crate::{
    AppSystems,
    avatar::Performer,
    capture::OffscreenTarget,
    clock::ConcertClock,
    graphics::RenderProfile,
    setlist::{Setlist, raw::Shot},
};

pub(crate) fn plugin(app: &mut App) {
    app.add_systems(Startup, spawn_show_camera);
    app.add_systems(Update, frame_show_camera.in_set(AppSystems::Camera));
}

/// The camera the show is seen (and recorded) through. It also carries the egui overlay.
#[derive(Component, Debug)]
pub struct ShowCamera;

/// The point on stage the show camera looks at: the performers' chests.
const STAGE_FOCUS: Vec3 = Vec3::new(0.0, 1.1, 0.0);

fn spawn_show_camera(
    mut commands: Commands,
    profile: Res<RenderProfile>,
    offscreen: Option<Res<OffscreenTarget>>,
) {
    let mut camera = commands.spawn((
        Name::new("Show camera"),
        ShowCamera,
        Camera3d::default(),
        profile.msaa,
        PrimaryEguiContext,
        // Shadow detail follows the audience's eye, also when rendering into an image.
        ShadowLodOrigin,
        world_from_show_camera(0.0),
    ));
    if let Some(offscreen) = offscreen {
        camera.insert(RenderTarget::Image(offscreen.image.clone().into()));
    }
}

pub(crate) fn frame_show_camera(
    clock: Res<ConcertClock>,
    setlist: Res<Setlist>,
    performers: Query<(&Performer, &Transform), Without<ShowCamera>>,
    mut cameras: Query<&mut Transform, With<ShowCamera>>,
) {
    let shot = setlist.shot_at(clock.seconds);
    let marks: Vec<Vec2> = (0..setlist.cast.len())
        .map(|index| {
            performers
                .iter()
                .find(|(performer, _)| performer.index == index)
                .map_or(setlist.cast[index].home, |(_, transform)| {
                    transform.translation.xz()
                })
        })
        .collect();
    for mut transform in &mut cameras {
        *transform = world_from_shot(shot, &setlist, &marks, clock.seconds);
    }
}

/// Where the camera is for `shot` at `seconds`, with the idols standing on `marks`; each
/// framing drifts a little so a held shot stays alive.
fn world_from_shot(
    shot: Option<&Shot>,
    setlist: &Setlist,
    marks: &[Vec2],
    seconds: f64,
) -> Transform {
    let drift = (seconds as f32 * 0.4).sin();
    let head = |id: &str| {
        setlist.idol(id).map(|(index, idol)| {
            let mark = marks.get(index).copied().unwrap_or(idol.home);
            Vec3::new(mark.x, idol.height * 0.9, mark.y)
        })
    };
    let looking =
        |eye: Vec3, focus: Vec3| Transform::from_translation(eye).looking_at(focus, Vec3::Y);
    match shot {
        None | Some(Shot::Wide) => world_from_show_camera(seconds),
        Some(Shot::Medium) => looking(Vec3::new(2.5 * drift, 2.3, 7.0), Vec3::new(0.0, 1.2, 0.3)),
        Some(Shot::CloseUp(id)) => match head(id) {
            Some(head) => looking(
                head + Vec3::new(0.25 * drift, 0.05, 1.6),
                head - Vec3::Y * 0.1,
            ),
            None => world_from_show_camera(seconds),
        },
        Some(Shot::TwoShot(a, b)) => match (head(a), head(b)) {
            (Some(a), Some(b)) => {
                let middle = (a + b) / 2.0;
                let distance = 2.2 + a.distance(b) * 1.1;
                looking(
                    middle + Vec3::new(0.3 * drift, 0.1, distance),
                    middle - Vec3::Y * 0.3,
                )
            }
            _ => world_from_show_camera(seconds),
        },
        Some(Shot::Overhead) => {
            looking(Vec3::new(0.5 * drift, 13.0, 3.0), Vec3::new(0.0, 0.0, 0.3))
        }
        Some(Shot::LowAngle) => {
            looking(Vec3::new(1.5 * drift, 0.35, 4.5), Vec3::new(0.0, 1.7, 0.0))
        }
        Some(Shot::Crowd) => looking(Vec3::new(2.0 * drift, 1.6, 17.0), Vec3::new(0.0, 1.8, 0.0)),
    }
}

/// A slow sway across the front of the stage, one cycle every 20 seconds.
fn world_from_show_camera(seconds: f64) -> Transform {
    let angle = (seconds as f32 * std::f32::consts::TAU / 20.0).sin() * 0.35;
    let eye = Vec3::new(11.0 * angle.sin(), 3.2, 11.0 * angle.cos());
    Transform::from_translation(eye).looking_at(STAGE_FOCUS, Vec3::Y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_ups_look_at_the_idol_from_the_front() {
        let setlist = Setlist::built_in();
        let (_, mira) = setlist.idol("mira").expect("the demo has mira");
        let head = Vec3::new(mira.home.x, mira.height * 0.9, mira.home.y);
        let marks: Vec<Vec2> = setlist.cast.iter().map(|idol| idol.home).collect();
        let transform = world_from_shot(Some(&Shot::CloseUp("mira".into())), &setlist, &marks, 3.0);
        let to_head = (head - transform.translation).normalize();
        assert!(transform.forward().dot(to_head) > 0.99);
        assert!(transform.translation.distance(head) < 3.0);
        assert!(transform.translation.z > head.z, "in front of her");
    }

    #[test]
    fn camera_keeps_the_stage_in_front() {
        for step in 0..40 {
            let transform = world_from_show_camera(f64::from(step) * 0.5);
            let to_stage = (STAGE_FOCUS - transform.translation).normalize();
            // The camera looks down -Z in its own frame.
            assert!(transform.forward().dot(to_stage) > 0.999);
            assert!(transform.translation.z > 8.0, "stays in front of the stage");
        }
    }
}

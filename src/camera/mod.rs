//! The show camera: where the audience's eye is. It drifts slowly in front of the stage so
//! the built-in scene never looks frozen; the director issue replaces the path with shots.

use bevy::{
    camera::{RenderTarget, ShadowLodOrigin},
    prelude::*,
};
use bevy_egui::PrimaryEguiContext;

use crate::{AppSystems, capture::OffscreenTarget, clock::ConcertClock, graphics::RenderProfile};

pub(crate) fn plugin(app: &mut App) {
    app.add_systems(Startup, spawn_show_camera);
    app.add_systems(Update, drift_show_camera.in_set(AppSystems::Camera));
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

fn drift_show_camera(
    clock: Res<ConcertClock>,
    mut cameras: Query<&mut Transform, With<ShowCamera>>,
) {
    for mut transform in &mut cameras {
        *transform = world_from_show_camera(clock.seconds);
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

//! IMAG (image magnification): the two side screens flanking the LED wall show a live
//! close-up of whoever sings, from a second camera, as at every arena concert. The camera
//! follows [`ShowFrame::imag`](encore_show::frame::ShowFrame) (the singer's close-up, or the
//! group when nobody sings) and renders into a small image before the show camera draws the
//! frame that shows it, so the screens and the show agree on the instant and a recording is
//! the same whatever came before.
//!
//! The IMAG camera sees render layer 0 (the stage, the idols, the lights); the screens
//! themselves and the audience are on [`AUDIENCE_LAYER`], which only the show camera sees:
//! a screen never films itself, and the crowd's 50,000 quads are drawn once.

use bevy::{
    camera::{RenderTarget, visibility::RenderLayers},
    prelude::*,
    render::render_resource::TextureFormat,
};

use encore_show::lights::{IMAG_SCREEN_SIZE as SCREEN_SIZE, IMAG_SCREENS as SCREENS};

use crate::{graphics::RenderProfile, show::Now};

/// The layer of what only the show camera draws: the audience and the IMAG screens.
pub const AUDIENCE_LAYER: usize = 1;

/// The camera that films the singer for the side screens.
#[derive(Component, Debug)]
pub struct ImagCamera;

/// One of the side screens.
#[derive(Component, Debug)]
pub struct ImagScreen;

/// The IMAG image's size for a preset: enough for a screen that covers a few percent of
/// the frame, small enough to cost a fraction of the show's own frame on a CPU.
fn feed_size(profile: &RenderProfile) -> UVec2 {
    match profile.preset {
        crate::graphics::Preset::Low => UVec2::new(192, 108),
        crate::graphics::Preset::Medium => UVec2::new(320, 180),
        crate::graphics::Preset::High => UVec2::new(640, 360),
    }
}

pub(super) fn spawn_imag(
    arena: Res<super::Arena>,
    mut commands: Commands,
    profile: Res<RenderProfile>,
    mut images: ResMut<Assets<Image>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut glows: ResMut<Assets<super::materials::GlowMaterial>>,
) {
    let size = feed_size(&profile);
    let image = images.add(Image::new_target_texture(
        size.x,
        size.y,
        TextureFormat::Rgba8UnormSrgb,
        None,
    ));
    commands.spawn((
        Name::new("IMAG camera"),
        ImagCamera,
        Camera3d::default(),
        Camera {
            // Before the show camera, which draws the screens.
            order: -1,
            clear_color: ClearColorConfig::Custom(Color::srgb(0.02, 0.015, 0.04)),
            ..default()
        },
        Msaa::Off,
        RenderTarget::Image(image.clone().into()),
        RenderLayers::layer(0),
        Transform::from_xyz(0.0, 1.5, 6.0).looking_at(Vec3::new(0.0, 1.5, 0.0), Vec3::Y),
    ));
    let picture = materials.add(StandardMaterial {
        base_color_texture: Some(image),
        unlit: true,
        ..default()
    });
    let screen = meshes.add(Rectangle::new(SCREEN_SIZE.x, SCREEN_SIZE.y));
    let bezel = meshes.add(Cuboid::new(SCREEN_SIZE.x + 0.3, SCREEN_SIZE.y + 0.3, 0.15));
    let dark = MeshMaterial3d(
        glows.add(super::materials::GlowMaterial::opaque(Color::srgb(
            0.01, 0.01, 0.015,
        ))),
    );
    for (centre, turn) in SCREENS {
        let placed = Transform::from_translation(centre).with_rotation(Quat::from_rotation_y(turn));
        commands.spawn((
            ChildOf(arena.0),
            Name::new("IMAG screen bezel"),
            Mesh3d(bezel.clone()),
            dark.clone(),
            placed * Transform::from_xyz(0.0, 0.0, -0.09),
        ));
        commands.spawn((
            ChildOf(arena.0),
            Name::new("IMAG screen"),
            ImagScreen,
            super::DressesItself,
            Mesh3d(screen.clone()),
            MeshMaterial3d(picture.clone()),
            RenderLayers::layer(AUDIENCE_LAYER),
            placed,
        ));
    }
}

/// Points the IMAG camera at this frame's singer, and switches it off in a studio (no
/// screens). In the window it films every third frame only: the screens are small and far
/// from the lens, and a second view of the stage costs each frame the stage's vertices again.
/// Offscreen runs film every frame, so their frames never depend on anything but the clock.
pub(super) fn film_the_singer(
    now: Res<Now>,
    setlist: Res<crate::setlist::ShowSetlist>,
    lockstep: Option<Res<crate::clock::Lockstep>>,
    frames: Res<bevy::diagnostic::FrameCount>,
    mut cameras: Query<(&mut Camera, &mut Transform, &mut Projection), With<ImagCamera>>,
) {
    let studio = matches!(setlist.venue, crate::setlist::raw::Venue::Studio { .. });
    let films = !studio && (lockstep.is_some() || frames.0.is_multiple_of(3));
    for (mut camera, mut transform, mut projection) in &mut cameras {
        if camera.is_active != films {
            camera.is_active = films;
        }
        *transform = Transform::from_translation(now.imag.eye).with_rotation(now.imag.rotation());
        if let Projection::Perspective(perspective) = projection.as_mut() {
            perspective.fov = now.imag.fov;
            perspective.aspect_ratio = SCREEN_SIZE.x / SCREEN_SIZE.y;
        }
    }
}

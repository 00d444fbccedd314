//! Render scale: the show camera draws the 3D scene into an image smaller than the picture,
//! and a second camera stretches it over the window (or the recording's frame) with a
//! linear filter and draws the egui overlay on top at full sharpness.
//!
//! In the window the scale follows the frame rate towards a target (`--target-fps`, 30 by
//! default): it steps down when frames come too slowly and back up when there is room, in
//! steps and at most once a second and a half, so the scene's image is not reallocated all
//! the time. Offscreen runs and recordings use a fixed `--render-scale` (1 by default, which
//! draws straight into the frame as before), so their frames never depend on speed.

use bevy::{
    camera::{RenderTarget, visibility::RenderLayers},
    core_pipeline::tonemapping::Tonemapping,
    image::ImageSampler,
    prelude::*,
    render::render_resource::{Extent3d, TextureFormat},
    window::PrimaryWindow,
};

use crate::capture::{CaptureSettings, OffscreenTarget};

pub(crate) fn plugin(app: &mut App) {
    app.init_resource::<RenderScale>();
    app.add_systems(
        Last,
        (adapt_the_scale, fit_the_scene)
            .chain()
            .run_if(resource_exists::<SceneTarget>),
    );
}

/// The render layer only the compose camera sees: the stretched scene.
const COMPOSE_LAYER: usize = 31;

/// Scales the window steps through, largest first.
pub const STEPS: [f32; 8] = [1.0, 0.85, 0.75, 0.66, 0.5, 0.4, 0.33, 0.25];

/// Seconds of frames each judgement of the window's frame rate looks at.
pub const JUDGE_EVERY: f64 = 1.5;

/// Seconds after start before the first judgement (pipelines compile, the show settles).
pub const SETTLE: f64 = 3.0;

/// How the 3D scene's resolution relates to the picture's.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct RenderScale {
    /// Share of the picture's width and height the scene is drawn at, 0.25 to 1.
    pub scale: f32,
    /// The window follows the frame rate; `None` keeps `scale` fixed.
    pub target_fps: Option<f32>,
    /// The lowest scale the window steps down to (a half by default: below it the stage
    /// turns to mush on a large window for a few more frames).
    pub lowest: f32,
    /// The last judgement's frame rate and the scale the frames were drawn at (before any
    /// step it led to), and how many judgements there have been.
    pub judged: Option<(f32, f32)>,
    pub judgements: u32,
}

impl Default for RenderScale {
    fn default() -> Self {
        Self {
            scale: 1.0,
            target_fps: None,
            lowest: 0.5,
            judged: None,
            judgements: 0,
        }
    }
}

impl RenderScale {
    /// Whether the scene is drawn into its own image and composed: always in the window
    /// (whose scale may change), offscreen only below 1.
    pub fn composes(&self, offscreen: bool) -> bool {
        !offscreen || self.scale < 1.0
    }

    /// The next scale for a window running at `fps` against `target` at `scale`: down as far
    /// as the pixels the target leaves room for (frame time grows with the pixel count, the
    /// square of the scale), at least one step; up one step with a fifth to spare; or the
    /// same.
    pub fn next_step(scale: f32, fps: f32, target: f32) -> f32 {
        let index = STEPS
            .iter()
            .position(|step| *step <= scale + 1e-4)
            .unwrap_or(STEPS.len() - 1);
        if fps < target * 0.9 && index + 1 < STEPS.len() {
            let room = scale * (fps / target).max(0.0).sqrt();
            let below = STEPS
                .iter()
                .position(|step| *step <= room)
                .unwrap_or(STEPS.len() - 1);
            STEPS[below.max(index + 1)]
        } else if fps > target * 1.2 && index > 0 {
            STEPS[index - 1]
        } else {
            STEPS[index]
        }
    }
}

/// What the window's controller remembers between judgements: the scale and frame rate
/// before its last step down, and a floor it keeps above for a while when a step down
/// bought too little.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Descent {
    last_down: Option<(f32, f32)>,
    floor: f32,
    floor_until: f64,
}

/// A step down must buy at least this much more frame rate, or the scale goes back up: when
/// the scene is not what holds the frame back, a blurrier picture gains nothing.
const WORTH_IT: f32 = 1.2;

/// Seconds a floor holds before a lower scale may be tried again.
const FLOOR_HOLDS: f64 = 20.0;

impl Descent {
    /// The next scale after a window of frames at `fps` (`now`: seconds of the run), from
    /// [`RenderScale::next_step`] but never below `lowest`, except that a step down that
    /// bought less than a fifth more frames is taken back and the scale stays above it for
    /// [`FLOOR_HOLDS`] seconds.
    pub fn judge(&mut self, scale: f32, fps: f32, target: f32, lowest: f32, now: f64) -> f32 {
        if let Some((before, before_fps)) = self.last_down.take()
            && fps < before_fps * WORTH_IT
        {
            self.floor = before;
            self.floor_until = now + FLOOR_HOLDS;
            return before;
        }
        if now >= self.floor_until {
            self.floor = 0.0;
        }
        let next = RenderScale::next_step(scale, fps, target)
            .max(self.floor)
            .max(lowest.min(scale));
        if next < scale {
            self.last_down = Some((scale, fps));
        }
        next
    }
}

/// The image the show camera draws the scene into, and the sprite that shows it.
#[derive(Resource, Debug, Clone)]
pub struct SceneTarget {
    /// The scene's image.
    pub image: Handle<Image>,
    sprite: Entity,
}

/// The camera that stretches the scene over the picture and draws the overlay.
#[derive(Component, Debug, Clone, Copy)]
pub struct ComposeCamera;

/// The picture's size in pixels and in the compose camera's units (logical pixels in the
/// window, pixels offscreen).
fn picture_size(
    window: Option<&Window>,
    offscreen: Option<&OffscreenTarget>,
    settings: &CaptureSettings,
) -> (UVec2, Vec2) {
    match (offscreen, window) {
        (Some(_), _) | (None, None) => {
            let size = settings.size.max(UVec2::ONE);
            (size, size.as_vec2())
        }
        (None, Some(window)) => (
            window.physical_size().max(UVec2::ONE),
            Vec2::new(window.width(), window.height()).max(Vec2::ONE),
        ),
    }
}

/// The scene's size at `scale` of a picture `size` pixels.
fn scene_size(size: UVec2, scale: f32) -> UVec2 {
    (size.as_vec2() * scale)
        .round()
        .as_uvec2()
        .max(UVec2::splat(2))
}

/// Sets the show camera up to draw into a scene image at the render scale, and spawns the
/// compose camera with the overlay's egui context over the picture. Returns the compose
/// camera, which then owns the egui context.
pub(crate) fn compose(
    commands: &mut Commands,
    show_camera: Entity,
    images: &mut Assets<Image>,
    scale: &RenderScale,
    window: Option<&Window>,
    offscreen: Option<&OffscreenTarget>,
    settings: &CaptureSettings,
) -> Entity {
    let (pixels, units) = picture_size(window, offscreen, settings);
    let size = scene_size(pixels, scale.scale);
    let mut scene = Image::new_target_texture(size.x, size.y, TextureFormat::Rgba8UnormSrgb, None);
    // Stretched with a linear filter: a soft upscale rather than blocky pixels.
    scene.sampler = ImageSampler::linear();
    let image = images.add(scene);
    commands
        .entity(show_camera)
        .insert(RenderTarget::Image(image.clone().into()));
    let sprite = commands
        .spawn((
            Name::new("Scene"),
            Sprite {
                image: image.clone(),
                custom_size: Some(units),
                ..default()
            },
            RenderLayers::layer(COMPOSE_LAYER),
        ))
        .id();
    let mut camera = commands.spawn((
        Name::new("Compose camera"),
        ComposeCamera,
        Camera2d,
        Camera {
            order: 10,
            ..default()
        },
        // The scene arrives tone-mapped; the overlay is drawn as it is.
        Tonemapping::None,
        Msaa::Off,
        RenderLayers::layer(COMPOSE_LAYER),
        bevy_egui::PrimaryEguiContext,
    ));
    if let Some(offscreen) = offscreen {
        camera.insert(RenderTarget::Image(offscreen.image.clone().into()));
    }
    let camera = camera.id();
    commands.insert_resource(SceneTarget { image, sprite });
    camera
}

/// In the window, judges the frame rate every [`JUDGE_EVERY`] seconds and moves the scale a
/// step (or several down) towards the target.
fn adapt_the_scale(
    time: Res<Time<Real>>,
    mut scale: ResMut<RenderScale>,
    offscreen: Option<Res<OffscreenTarget>>,
    mut watch: Local<Watch>,
    mut descent: Local<Descent>,
) {
    let now = time.elapsed_secs_f64();
    if offscreen.is_some() || now < SETTLE.max(watch.quiet_until) {
        *watch = Watch {
            since: now,
            frames: 0,
            ..*watch
        };
        return;
    }
    watch.frames += 1;
    let span = now - watch.since;
    if span < JUDGE_EVERY {
        return;
    }
    let fps = (f64::from(watch.frames) / span) as f32;
    watch.since = now;
    watch.frames = 0;
    let scale = scale.as_mut();
    scale.judged = Some((fps, scale.scale));
    scale.judgements += 1;
    debug!("window: {fps:.1} fps at render scale {:.2}", scale.scale);
    let Some(target) = scale.target_fps else {
        return;
    };
    let next = descent.judge(scale.scale, fps, target, scale.lowest, now);
    if next != scale.scale {
        info!(
            "render scale {:.0}% → {:.0}%: {fps:.1} fps against a {target:.0} fps target",
            scale.scale * 100.0,
            next * 100.0
        );
        scale.scale = next;
        watch.quiet_until = now + AFTER_A_STEP;
    }
}

/// The frames the window is counting for its next judgement.
#[derive(Debug, Clone, Copy, Default)]
struct Watch {
    since: f64,
    frames: u32,
    /// No frames count before this (seconds): the ones right after a step.
    quiet_until: f64,
}

/// Seconds after a step before frames count again: the first frames at a new scale come
/// while its image is reallocated, and judged with them a step down looked to gain less than
/// it does (13.7 fps against 11.5 at full scale, taken back, where the half settled at 17).
const AFTER_A_STEP: f64 = 1.0;

/// Keeps the scene's image at the render scale of the picture (the window may be resized),
/// reallocating it only when its size changes, and the sprite over the whole picture.
fn fit_the_scene(
    scale: Res<RenderScale>,
    scene: Res<SceneTarget>,
    windows: Query<&Window, With<PrimaryWindow>>,
    offscreen: Option<Res<OffscreenTarget>>,
    settings: Res<CaptureSettings>,
    mut images: ResMut<Assets<Image>>,
    mut sprites: Query<&mut Sprite>,
) {
    let (pixels, units) = picture_size(windows.single().ok(), offscreen.as_deref(), &settings);
    let wanted = scene_size(pixels, scale.scale);
    let size = images
        .get(&scene.image)
        .map(|image| UVec2::new(image.width(), image.height()));
    if size.is_some_and(|size| size != wanted)
        && let Some(mut image) = images.get_mut(&scene.image)
    {
        image.resize(Extent3d {
            width: wanted.x,
            height: wanted.y,
            depth_or_array_layers: 1,
        });
    }
    if let Ok(mut sprite) = sprites.get_mut(scene.sprite)
        && sprite.custom_size != Some(units)
    {
        sprite.custom_size = Some(units);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_steps_down_to_what_the_target_leaves_room_for_and_up_one_step() {
        // Half the target's frame rate: a quarter fewer pixels is not enough; 0.66 is the
        // step at or below 1 x sqrt(0.5) = 0.71.
        assert_eq!(RenderScale::next_step(1.0, 15.0, 30.0), 0.66);
        // Just short of the target: one step.
        assert_eq!(RenderScale::next_step(1.0, 26.0, 30.0), 0.85);
        // On target: stays; with room: one step up; at the ends: stays.
        assert_eq!(RenderScale::next_step(0.66, 30.0, 30.0), 0.66);
        assert_eq!(RenderScale::next_step(0.66, 40.0, 30.0), 0.75);
        assert_eq!(RenderScale::next_step(1.0, 60.0, 30.0), 1.0);
        assert_eq!(RenderScale::next_step(0.25, 5.0, 30.0), 0.25);
        // Very slow: straight down to the smallest step.
        assert_eq!(RenderScale::next_step(1.0, 2.0, 30.0), 0.25);
    }

    #[test]
    fn only_the_window_or_a_reduced_scale_composes() {
        let mut scale = RenderScale::default();
        assert!(scale.composes(false));
        assert!(
            !scale.composes(true),
            "offscreen at 1 draws straight into the frame"
        );
        scale.scale = 0.5;
        assert!(scale.composes(true));
        assert_eq!(scene_size(UVec2::new(1280, 720), 0.5), UVec2::new(640, 360));
        assert_eq!(scene_size(UVec2::new(3, 3), 0.25), UVec2::splat(2));
    }

    #[test]
    fn a_step_down_that_buys_too_little_is_taken_back_for_a_while() {
        let mut descent = Descent::default();
        // 11 fps at full scale against 30: down to the half.
        assert_eq!(descent.judge(1.0, 11.0, 30.0, 0.25, 5.0), 0.5);
        // The half brings 15 fps (+36%): worth it, so on down.
        assert_eq!(descent.judge(0.5, 15.0, 30.0, 0.25, 6.5), 0.33);
        // A third brings 17 fps (+13%): not worth a blurrier picture; back to the half.
        assert_eq!(descent.judge(0.33, 17.0, 30.0, 0.25, 8.0), 0.5);
        // And the half holds while the floor does...
        assert_eq!(descent.judge(0.5, 15.0, 30.0, 0.25, 9.5), 0.5);
        assert_eq!(descent.judge(0.5, 15.0, 30.0, 0.25, 27.0), 0.5);
        // ...then a lower scale may be tried again.
        assert_eq!(descent.judge(0.5, 15.0, 30.0, 0.25, 28.5), 0.33);
        // Rising with room to spare is never held back.
        let mut rising = Descent::default();
        assert_eq!(rising.judge(0.5, 45.0, 30.0, 0.25, 5.0), 0.66);
        // The lowest scale holds however slow the frames (11 fps would take it to a third).
        let mut held = Descent::default();
        assert_eq!(held.judge(1.0, 11.0, 30.0, 0.5, 5.0), 0.5);
        assert_eq!(held.judge(0.5, 15.0, 30.0, 0.5, 6.5), 0.5);
        // A fixed scale below it is left alone.
        assert_eq!(held.judge(0.33, 15.0, 30.0, 0.5, 8.0), 0.33);
    }
}

//! The show camera: where the audience's eye is. The director's shot plan (the setlist's
//! camera cues, and its own picks where a section has none) is solved every frame against the
//! idols' moving bodies, with cuts, blends and whip pans between shots. A fancam follows one
//! member for the whole show instead. In the window the viewer can take the camera (mouse and
//! WASD/QE) and give it back with C; the director resumes with a smooth blend.

pub use encore_show::camera::*;

pub mod compose;

use bevy::{
    camera::{RenderTarget, ShadowLodOrigin},
    ecs::system::SystemParam,
    input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll},
    prelude::*,
};

use bevy_egui::{
    PrimaryEguiContext,
    input::{egui_wants_any_keyboard_input, egui_wants_any_pointer_input},
};

use self::{director::shot_name, shot::Lens};
use crate::{
    AppSystems,
    capture::OffscreenTarget,
    clock::Lockstep,
    graphics::RenderProfile,
    setlist::ShowSetlist,
    show::{Now, Plans, Viewpoint},
};

pub(crate) fn plugin(app: &mut App) {
    app.add_plugins(compose::plugin);
    app.init_resource::<CameraStatus>();
    app.init_resource::<FreeCamera>();
    app.add_systems(Startup, spawn_show_camera);
    app.add_systems(Update, frame_show_camera.in_set(AppSystems::Camera));
}

/// The viewer's camera, for the window only: mouse and keys take it, except while egui has
/// the mouse or keys, and never in lockstep (offscreen) runs.
pub(crate) fn viewer_plugin(app: &mut App) {
    app.add_systems(
        Update,
        free_camera_input
            .run_if(not(egui_wants_any_keyboard_input))
            .run_if(not(egui_wants_any_pointer_input))
            .run_if(not(resource_exists::<Lockstep>))
            .in_set(AppSystems::Input),
    );
}

/// A [`Lens`] as the engine's camera transform.
pub trait LensTransform {
    /// The camera transform: at the eye, looking at the look point.
    fn transform(&self) -> Transform;
}

impl LensTransform for Lens {
    fn transform(&self) -> Transform {
        Transform::from_translation(self.eye).with_rotation(self.rotation())
    }
}

/// The camera the show is seen (and recorded) through. It also carries the egui overlay.
#[derive(Component, Debug)]
pub struct ShowCamera;

/// Who drives the camera.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CameraMode {
    /// The director's shot plan.
    #[default]
    Director,
    /// One member, full body, all show.
    Fancam,
    /// The viewer, with mouse and keys.
    Free,
}

impl CameraMode {
    /// The mode in the indicator's words.
    pub fn label(self) -> &'static str {
        match self {
            Self::Director => "director",
            Self::Fancam => "fancam",
            Self::Free => "free camera",
        }
    }
}

/// What the camera does now, for the indicator and the idols' looks.
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub struct CameraStatus {
    /// Who drives it.
    pub mode: CameraMode,
    /// The shot in words (`CloseUp hana`), or the fancam's member.
    pub shot: String,
    /// The member a fancam follows (`--fancam ID`, or F in the window).
    pub fancam: Option<String>,
}

/// The viewer's own camera: an orbit around a focus point.
#[derive(Resource, Debug, Clone, Default)]
pub struct FreeCamera {
    /// Whether the viewer holds the camera.
    pub active: bool,
    focus: Vec3,
    yaw: f32,
    pitch: f32,
    distance: f32,
    fov: f32,
    /// The viewer's last lens and how far the hand-back to the director has come (0 to 1).
    returning: Option<(Lens, f32)>,
    last: Option<Lens>,
}

impl FreeCamera {
    fn lens(&self) -> Lens {
        let offset = Quat::from_euler(EulerRot::YXZ, self.yaw, self.pitch, 0.0) * Vec3::Z;
        Lens {
            eye: self.focus + offset * self.distance,
            look: self.focus,
            fov: self.fov,
            roll: 0.0,
        }
    }

    /// Takes over from `lens`, keeping the picture where it is.
    fn take(&mut self, lens: &Lens) {
        let offset = lens.eye - lens.look;
        self.distance = offset.length().max(0.5);
        self.focus = lens.look;
        self.fov = lens.fov;
        self.yaw = offset.x.atan2(offset.z);
        self.pitch = -(offset.y / self.distance).clamp(-1.0, 1.0).asin();
        self.active = true;
        self.returning = None;
    }
}

fn spawn_show_camera(
    mut commands: Commands,
    profile: Res<RenderProfile>,
    offscreen: Option<Res<OffscreenTarget>>,
    scale: Res<compose::RenderScale>,
    settings: Res<crate::capture::CaptureSettings>,
    windows: Query<&Window, With<bevy::window::PrimaryWindow>>,
    mut images: ResMut<Assets<Image>>,
) {
    let mut camera = commands.spawn((
        Name::new("Show camera"),
        ShowCamera,
        Camera3d::default(),
        profile.msaa,
        // Shadow detail follows the audience's eye, also when rendering into an image.
        ShadowLodOrigin,
        // The stage and, on a layer of their own, the audience and the IMAG screens.
        bevy::camera::visibility::RenderLayers::from_layers(&[
            0,
            crate::stage::imag::AUDIENCE_LAYER,
        ]),
        shot::wide(0.0).transform(),
    ));
    if profile.bloom {
        // Light strips, beams, lasers, sticks and sparks glow.
        camera.insert(bevy::post_process::bloom::Bloom::NATURAL);
    }
    let camera = camera.id();
    if scale.composes(offscreen.is_some()) {
        // The scene is drawn at the render scale and stretched over the picture by a
        // second camera, which draws the overlay too.
        compose::compose(
            &mut commands,
            camera,
            &mut images,
            &scale,
            windows.single().ok(),
            offscreen.as_deref(),
            &settings,
        );
    } else {
        // The overlay is drawn by the show camera, into the window or the frame alike.
        commands.entity(camera).insert(PrimaryEguiContext);
        if let Some(offscreen) = offscreen {
            commands
                .entity(camera)
                .insert(RenderTarget::Image(offscreen.image.clone().into()));
        }
    }
}

/// The mouse and keyboard as the free camera reads them.
#[derive(SystemParam)]
pub(crate) struct ViewerInput<'w> {
    keys: Res<'w, ButtonInput<KeyCode>>,
    buttons: Res<'w, ButtonInput<MouseButton>>,
    motion: Res<'w, AccumulatedMouseMotion>,
    scroll: Res<'w, AccumulatedMouseScroll>,
    time: Res<'w, Time<Real>>,
}

/// What the show is doing this frame, as the camera needs it.
#[derive(SystemParam)]
pub(crate) struct ShowState<'w> {
    setlist: Res<'w, ShowSetlist>,
    plans: Res<'w, Plans>,
    now: Res<'w, Now>,
    chat: Option<Res<'w, crate::chat::ChatArea>>,
}

/// Mouse and keys move the viewer's camera: left drag orbits, right drag pans, the wheel
/// zooms, WASD moves and QE lowers and raises; F cycles the fancam member, C gives the camera
/// back to the director.
fn free_camera_input(
    input: ViewerInput,
    setlist: Res<ShowSetlist>,
    mut free: ResMut<FreeCamera>,
    mut status: ResMut<CameraStatus>,
) {
    let ViewerInput {
        keys,
        buttons,
        motion,
        scroll,
        time,
    } = input;
    if keys.just_pressed(KeyCode::KeyC) && free.active {
        free.active = false;
        free.returning = free.last.map(|lens| (lens, 0.0));
    }
    if keys.just_pressed(KeyCode::KeyF) {
        let ids: Vec<&String> = setlist.cast.iter().map(|idol| &idol.id).collect();
        let next = match &status.fancam {
            None => ids.first().map(|id| (*id).clone()),
            Some(current) => ids
                .iter()
                .position(|id| *id == current)
                .and_then(|at| ids.get(at + 1))
                .map(|id| (*id).clone()),
        };
        status.fancam = next;
    }
    let dragging = buttons.pressed(MouseButton::Left) || buttons.pressed(MouseButton::Right);
    let moving = [
        KeyCode::KeyW,
        KeyCode::KeyA,
        KeyCode::KeyS,
        KeyCode::KeyD,
        KeyCode::KeyQ,
        KeyCode::KeyE,
    ]
    .iter()
    .any(|key| keys.pressed(*key));
    let wants = (dragging && motion.delta != Vec2::ZERO) || scroll.delta.y != 0.0 || moving;
    if !wants {
        return;
    }
    if !free.active {
        // Orbit around what the director was looking at, from where the picture was.
        let lens = free.last.unwrap_or_else(|| shot::wide(0.0));
        free.take(&lens);
    }
    if buttons.pressed(MouseButton::Left) {
        free.yaw -= motion.delta.x * 0.005;
        free.pitch = (free.pitch - motion.delta.y * 0.005).clamp(-1.45, 1.45);
    }
    let rotation = Quat::from_rotation_y(free.yaw);
    if buttons.pressed(MouseButton::Right) {
        let scale = free.distance * 0.0015;
        let up = Vec3::Y * motion.delta.y * scale;
        let across = rotation * Vec3::NEG_X * motion.delta.x * scale;
        free.focus += up + across;
    }
    free.distance = (free.distance * (1.0 - scroll.delta.y * 0.1)).clamp(0.5, 60.0);
    let step = 4.0 * time.delta_secs();
    let mut walk = Vec3::ZERO;
    for (key, direction) in [
        (KeyCode::KeyW, Vec3::NEG_Z),
        (KeyCode::KeyS, Vec3::Z),
        (KeyCode::KeyA, Vec3::NEG_X),
        (KeyCode::KeyD, Vec3::X),
        (KeyCode::KeyQ, Vec3::NEG_Y),
        (KeyCode::KeyE, Vec3::Y),
    ] {
        if keys.pressed(key) {
            walk += direction;
        }
    }
    free.focus += (rotation * walk.with_y(0.0) + Vec3::Y * walk.y) * step;
}

pub(crate) fn frame_show_camera(
    show: ShowState,
    time: Res<Time<Real>>,
    mut free: ResMut<FreeCamera>,
    mut status: ResMut<CameraStatus>,
    mut viewpoint: ResMut<Viewpoint>,
    mut cameras: Query<(&mut Transform, &mut Projection), With<ShowCamera>>,
) {
    let ShowState {
        setlist,
        plans,
        now,
        chat,
    } = show;
    let aspect = cameras
        .iter()
        .find_map(|(_, projection)| match projection {
            Projection::Perspective(perspective) => Some(perspective.aspect_ratio),
            _ => None,
        })
        .unwrap_or(16.0 / 9.0);
    let previous_mode = status.mode;
    let fancam = status
        .fancam
        .as_deref()
        .and_then(|id| setlist.idol(id))
        .map(|(index, idol)| (idol.name.clone(), index));
    let (mode, shot, director) = match &fancam {
        Some((name, index)) => (
            CameraMode::Fancam,
            format!("Fancam {name}"),
            shot::fancam(&now.body(&setlist, *index)),
        ),
        None => (
            CameraMode::Director,
            now.shot
                .and_then(|index| plans.shots.shots.get(index))
                .map_or_else(|| "Wide".to_owned(), |planned| shot_name(&planned.cue.shot)),
            // The director keeps faces out from under the chat.
            match chat.as_ref().and_then(|chat| chat.area) {
                Some(area) => {
                    let heads: Vec<Vec3> = now.bodies.iter().map(|body| body.head).collect();
                    shot::keep_faces_clear(
                        now.lens,
                        &heads,
                        (
                            Vec2::new(area.left, area.top),
                            Vec2::new(area.right, area.bottom),
                        ),
                        aspect,
                    )
                }
                None => now.lens,
            },
        ),
    };
    let lens = if free.active {
        status.mode = CameraMode::Free;
        status.shot = "C gives the camera back".to_owned();
        free.lens()
    } else if let Some((from, progress)) = free.returning {
        let progress = progress + time.delta_secs();
        free.returning = (progress < 1.0).then_some((from, progress));
        status.mode = mode;
        status.shot = shot;
        let t = progress.clamp(0.0, 1.0);
        from.lerp(&director, t * t * (3.0 - 2.0 * t))
    } else {
        status.mode = mode;
        status.shot = shot;
        director
    };
    if status.mode != previous_mode {
        match status.mode {
            CameraMode::Free => info!("camera: the viewer has it; C gives it back to the director"),
            mode => info!("camera: {} · {}", mode.label(), status.shot),
        }
    }
    free.last = Some(lens);
    *viewpoint = Viewpoint::None;
    for (mut transform, mut projection) in &mut cameras {
        *transform = lens.transform();
        if let Projection::Perspective(perspective) = projection.as_mut() {
            perspective.fov = lens.fov;
        }
        *viewpoint = match status.mode {
            CameraMode::Director => Viewpoint::Director(transform.translation),
            _ => Viewpoint::Other(transform.translation),
        };
    }
}

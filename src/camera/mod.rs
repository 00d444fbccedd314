//! The show camera: where the audience's eye is. The director's shot plan (the setlist's
//! camera cues, and its own picks where a section has none) is solved every frame against the
//! idols' moving bodies, with cuts, blends and whip pans between shots. A fancam follows one
//! member for the whole show instead. In the window the viewer can take the camera (mouse and
//! WASD/QE) and give it back with C; the director resumes with a smooth blend.

pub use encore_show::camera::director;
pub mod shot;

use bevy::{
    camera::{RenderTarget, ShadowLodOrigin},
    ecs::system::SystemParam,
    input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll},
    prelude::*,
};

use crate::setlist::ShowSetlist;
use bevy_egui::PrimaryEguiContext;

use self::{
    director::{PlannedShot, ShotPlan, shot_name},
    shot::{Body, Lens},
};
use crate::{
    AppSystems,
    capture::OffscreenTarget,
    choreography::{Plan, idol_body},
    clock::ConcertClock,
    graphics::RenderProfile,
    setlist::{Setlist, raw::Transition},
};

pub(crate) fn plugin(app: &mut App) {
    app.init_resource::<Shots>();
    app.init_resource::<CameraStatus>();
    app.init_resource::<FreeCamera>();
    app.add_systems(Startup, spawn_show_camera);
    app.add_systems(
        Update,
        (plan_shots, frame_show_camera)
            .chain()
            .in_set(AppSystems::Camera),
    );
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
) {
    let mut camera = commands.spawn((
        Name::new("Show camera"),
        ShowCamera,
        Camera3d::default(),
        profile.msaa,
        PrimaryEguiContext,
        // Shadow detail follows the audience's eye, also when rendering into an image.
        ShadowLodOrigin,
        shot::wide(0.0).transform(),
    ));
    if profile.bloom {
        // Light strips, beams, lasers, sticks and sparks glow.
        camera.insert(bevy::post_process::bloom::Bloom::NATURAL);
    }
    if let Some(offscreen) = offscreen {
        camera.insert(RenderTarget::Image(offscreen.image.clone().into()));
    }
}

/// The director's plan of the playing setlist's shots.
#[derive(Resource, Debug, Clone, Default, PartialEq, Deref, DerefMut)]
pub struct Shots(pub ShotPlan);

fn plan_shots(setlist: Res<ShowSetlist>, mut plan: ResMut<Shots>) {
    if setlist.is_changed() {
        plan.0 = ShotPlan::new(&setlist);
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
    clock: Res<'w, ConcertClock>,
    setlist: Res<'w, ShowSetlist>,
    shots: Res<'w, Shots>,
    formation: Res<'w, Plan>,
}

/// Mouse and keys move the viewer's camera: left drag orbits, right drag pans, the wheel
/// zooms, WASD moves and QE lowers and raises; F cycles the fancam member, C gives the camera
/// back to the director.
pub(crate) fn free_camera_input(
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

/// The idols' bodies at `seconds`, in cast order.
pub fn bodies(
    setlist: &Setlist,
    plan: &crate::choreography::formation::FormationPlan,
    seconds: f64,
) -> Vec<Body> {
    (0..setlist.cast.len())
        .map(|index| idol_body(setlist, plan, index, seconds))
        .collect()
}

/// The director's lens at `seconds`: the running shot, arriving from the previous one by its
/// transition; the wide shot where the plan has none.
pub fn director_lens(setlist: &Setlist, shots: &ShotPlan, bodies: &[Body], seconds: f64) -> Lens {
    let Some(index) = shots.index_at(seconds) else {
        return shot::wide(seconds);
    };
    let current = &shots.shots[index];
    let lens = planned_lens(setlist, current, bodies, seconds);
    let blend = match current.cue.transition {
        Transition::Cut => return lens,
        Transition::Blend(beats) => f64::from(beats) * current.beat,
        Transition::WhipPan => 0.25 * current.beat.max(0.4),
    };
    let since = seconds - current.at;
    let Some(previous) = index.checked_sub(1).map(|index| &shots.shots[index]) else {
        return lens;
    };
    if since >= blend || previous.until < current.at - 1e-6 {
        return lens;
    }
    let from = planned_lens(setlist, previous, bodies, seconds);
    let t = (since / blend) as f32;
    let t = match current.cue.transition {
        // A whip pan spends most of its time at speed.
        Transition::WhipPan => {
            let s = t * t * (3.0 - 2.0 * t);
            s * s * (3.0 - 2.0 * s)
        }
        _ => current.cue.ease.apply(t),
    };
    from.lerp(&lens, t)
}

/// `shot` solved at `seconds` (which may run past its end, for blends).
fn planned_lens(setlist: &Setlist, shot: &PlannedShot, bodies: &[Body], seconds: f64) -> Lens {
    let length = (shot.until - shot.at).max(1e-6);
    let progress = ((seconds - shot.at) / length).clamp(0.0, 1.0) as f32;
    let beats = ((seconds - shot.at) / shot.beat.max(1e-6)) as f32;
    if let Some(motion) = &shot.cue.motion {
        return shot::motion(motion, &shot.cue, setlist, (seconds - shot.at) as f32);
    }
    shot::solve(&shot.cue, setlist, bodies, seconds, progress, beats)
}

pub(crate) fn frame_show_camera(
    show: ShowState,
    time: Res<Time<Real>>,
    mut free: ResMut<FreeCamera>,
    mut status: ResMut<CameraStatus>,
    mut cameras: Query<(&mut Transform, &mut Projection), With<ShowCamera>>,
) {
    let ShowState {
        clock,
        setlist,
        shots,
        formation,
    } = show;
    let previous_mode = status.mode;
    let bodies = bodies(&setlist, &formation.0, clock.seconds);
    let fancam = status
        .fancam
        .as_deref()
        .and_then(|id| setlist.idol(id))
        .map(|(index, idol)| (idol.name.clone(), index));
    let (mode, shot, director) = match &fancam {
        Some((name, index)) => (
            CameraMode::Fancam,
            format!("Fancam {name}"),
            shot::fancam(&bodies[*index]),
        ),
        None => (
            CameraMode::Director,
            shots
                .at(clock.seconds)
                .map_or_else(|| "Wide".to_owned(), |planned| shot_name(&planned.cue.shot)),
            director_lens(&setlist, &shots, &bodies, clock.seconds),
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
    for (mut transform, mut projection) in &mut cameras {
        *transform = lens.transform();
        if let Projection::Perspective(perspective) = projection.as_mut() {
            perspective.fov = lens.fov;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        choreography::formation::FormationPlan,
        setlist::{ItemKind, model::ShotCue, raw::Shot},
    };

    /// Inside the frame with a margin: the middle 90% of both axes.
    fn in_safe_area(lens: &Lens, point: Vec3) -> bool {
        lens.project(point, 16.0 / 9.0)
            .is_some_and(|screen| screen.x.abs() < 0.9 && screen.y.abs() < 0.9)
    }

    #[test]
    fn close_ups_tracking_and_fancams_keep_her_in_frame_through_a_song() {
        let setlist = Setlist::built_in();
        let formation = FormationPlan::new(&setlist);
        let song = setlist
            .items
            .iter()
            .find(|item| item.kind == ItemKind::Song)
            .expect("the demo has songs");
        let mut checked = 0;
        for index in 0..setlist.cast.len() {
            let id = setlist.cast[index].id.clone();
            let shots = [
                ShotCue::new(Shot::CloseUp(id.clone())),
                ShotCue::new(Shot::UpperBody(id.clone())),
                ShotCue::new(Shot::Tracking(id.clone())),
            ];
            let mut frame = 0;
            while f64::from(frame) / 15.0 < song.duration {
                let seconds = song.start + f64::from(frame) / 15.0;
                frame += 1;
                let bodies = bodies(&setlist, &formation, seconds);
                let body = &bodies[index];
                for cue in &shots {
                    let lens = shot::solve(cue, &setlist, &bodies, seconds, 0.5, 2.0);
                    let points: &[Vec3] = match cue.shot {
                        Shot::CloseUp(_) => &[body.head],
                        Shot::UpperBody(_) => &[body.head, body.hips],
                        _ => &[body.head, body.hips, body.feet],
                    };
                    for point in points {
                        assert!(
                            in_safe_area(&lens, *point),
                            "{:?} loses {point} at {seconds:.2} s: {:?}",
                            cue.shot,
                            lens.project(*point, 16.0 / 9.0)
                        );
                        checked += 1;
                    }
                }
                let fancam = shot::fancam(body);
                for point in [
                    body.head + Vec3::Y * 0.1 * body.height,
                    body.hips,
                    body.feet,
                ] {
                    assert!(
                        in_safe_area(&fancam, point),
                        "fancam loses {point} at {seconds:.2}"
                    );
                }
            }
        }
        assert!(checked > 10_000, "{checked} points checked");
    }

    #[test]
    fn every_camera_stays_on_the_audience_side() {
        let setlist = Setlist::built_in();
        let formation = FormationPlan::new(&setlist);
        let shots = ShotPlan::new(&setlist);
        let mut seconds = 0.0;
        while seconds < setlist.duration() {
            let bodies = bodies(&setlist, &formation, seconds);
            let lens = director_lens(&setlist, &shots, &bodies, seconds);
            assert!(
                lens.eye.z > 0.5,
                "the camera crosses the line at {seconds}: {lens:?}"
            );
            assert!(lens.eye.is_finite() && lens.look.is_finite());
            seconds += 0.25;
        }
    }

    #[test]
    fn a_blend_moves_smoothly_and_a_cut_jumps_on_its_beat() {
        let setlist = Setlist::built_in();
        let formation = FormationPlan::new(&setlist);
        let mut shots = ShotPlan::new(&setlist);
        let index = shots
            .shots
            .iter()
            .position(|shot| matches!(shot.cue.shot, Shot::CloseUp(_)))
            .expect("the demo has a close-up");
        let at = shots.shots[index].at;
        let lens_at = |shots: &ShotPlan, setlist: &Setlist, seconds: f64| {
            let bodies = bodies(setlist, &formation, seconds);
            director_lens(setlist, shots, &bodies, seconds)
        };
        // A cut: the camera is somewhere else one frame later.
        let before = lens_at(&shots, &setlist, at - 1.0 / 60.0);
        let after = lens_at(&shots, &setlist, at);
        assert!(
            before.eye.distance(after.eye) > 1.0,
            "a cut moves the camera"
        );
        // A blend over two beats: no step larger than a small fraction of the way.
        shots.shots[index].cue.transition = Transition::Blend(2.0);
        let mut previous = lens_at(&shots, &setlist, at - 1.0 / 60.0);
        let total = previous
            .eye
            .distance(lens_at(&shots, &setlist, at + 2.0).eye);
        for frame in 0..60 {
            let now = lens_at(&shots, &setlist, at + f64::from(frame) / 60.0);
            assert!(
                now.eye.distance(previous.eye) < total * 0.1 + 0.05,
                "the blend jumps at frame {frame}"
            );
            previous = now;
        }
    }
}

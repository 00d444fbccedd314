//! Frame capture: the offscreen render target, the lockstep frame counter, screenshots and
//! the decision that a run with `--frames N` is done.
//!
//! The first frames after start can be incomplete on any renderer (pipelines and shadow maps
//! are prepared then), so a run first pre-rolls a few warm-up frames with the clock held at
//! zero and only then counts frame 0.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use bevy::{
    prelude::*,
    render::{
        render_resource::TextureFormat,
        view::screenshot::{Screenshot, ScreenshotCaptured},
    },
};
use thiserror::Error;

use crate::{AppSystems, PlayOptions, clock::Lockstep};

pub(crate) fn plugin(app: &mut App) {
    app.init_resource::<CaptureSettings>();
    app.init_resource::<CaptureFailure>();
    app.init_resource::<FrameNow>();
    app.add_systems(PreStartup, prepare_capture);
    app.add_systems(Update, count_frames.in_set(AppSystems::Capture));
}

/// Frames rendered and thrown away before frame 0, while pipelines and shadow maps settle.
/// Measured on lavapipe: spot lights first reach the picture in the fifth frame.
pub const WARMUP_FRAMES: u32 = 6;

/// What this run captures and when it stops.
#[derive(Resource, Debug, Clone, PartialEq, Default)]
pub struct CaptureSettings {
    /// Render into [`OffscreenTarget`] in lockstep instead of a window in real time.
    pub headless: bool,
    /// Size of the offscreen image.
    pub size: UVec2,
    /// Frames per second of the lockstep clock.
    pub fps: u32,
    /// Stop after this many frames; `None` runs until the window closes.
    pub frames: Option<u64>,
    /// Save the last frame here as a PNG.
    pub screenshot: Option<PathBuf>,
    /// Concert seconds of frame 0 of the lockstep grid.
    pub start: f64,
    /// Where the counted frames begin on the grid, and the simulation before them.
    pub chunk: crate::ChunkStart,
}

impl CaptureSettings {
    /// The capture part of the player's options.
    pub fn from_options(options: &PlayOptions) -> Self {
        Self {
            headless: options.headless,
            size: options.size,
            fps: options.fps,
            frames: options.frames,
            screenshot: options.screenshot.clone(),
            start: options.start,
            chunk: options.chunk,
        }
    }
}

/// Present while `encore record` runs: the recorder takes the frames, the show panel (a
/// viewer's read-out) stays out of the picture.
#[derive(Resource, Debug, Clone, Copy, Default)]
pub struct Recording;

/// The image the show camera renders into when there is no window.
#[derive(Resource, Debug, Clone)]
pub struct OffscreenTarget {
    /// The colour target, sRGB RGBA8, readable by screenshots and readbacks.
    pub image: Handle<Image>,
}

/// Why a run ended in failure, shared with the caller of `App::run` (which gives the world
/// away to the runner, so a resource alone could not be read afterwards).
#[derive(Resource, Debug, Clone, Default)]
pub struct CaptureFailure(Arc<Mutex<Option<String>>>);

impl CaptureFailure {
    pub(crate) fn set(&self, message: String) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(message);
        }
    }

    /// The failure message, if any, leaving the slot empty.
    pub fn take(&self) -> Option<String> {
        self.0.lock().ok().and_then(|mut slot| slot.take())
    }
}

/// Where a run is in its life: warming up, counting frames, or waiting for the last
/// screenshot to reach the disk.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureProgress {
    /// Pre-rolling; this many warm-up frames are left.
    WarmingUp(u32),
    /// Frame `n` (0-based) is being simulated and rendered this update.
    Frame(u64),
    /// The last frame's screenshot was requested; waiting for it to be saved.
    Saving,
}

/// The counted frame this update renders (0-based), `None` while warming up or saving. Set by
/// the frame counter; systems after it read it (the recorder takes this frame).
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FrameNow(pub Option<u64>);

/// A screenshot that could not be written.
#[derive(Debug, Error)]
pub enum ScreenshotError {
    /// The GPU image could not be turned into pixels.
    #[error("the captured frame has an unexpected format: {0}")]
    Format(String),
    /// The PNG could not be written.
    #[error("could not write {path}: {source}; check that the folder exists and is writable")]
    Write {
        /// The file that was being written.
        path: PathBuf,
        /// What the image encoder or the file system said.
        source: image::ImageError,
    },
}

fn prepare_capture(
    settings: Res<CaptureSettings>,
    mut images: ResMut<Assets<Image>>,
    mut commands: Commands,
) {
    commands.insert_resource(CaptureProgress::WarmingUp(WARMUP_FRAMES));
    if settings.headless {
        let mut target = Image::new_target_texture(
            settings.size.x.max(1),
            settings.size.y.max(1),
            TextureFormat::Rgba8UnormSrgb,
            None,
        );
        target.texture_descriptor.usage |= bevy::render::render_resource::TextureUsages::COPY_SRC;
        commands.insert_resource(OffscreenTarget {
            image: images.add(target),
        });
        commands.insert_resource(Lockstep {
            fps: settings.fps.max(1),
            frame: settings.chunk.replay_from.min(settings.chunk.first),
            start: settings.start,
        });
    }
}

/// Number of idols whose model is still loading or spawning (the avatars keep it). Offscreen
/// runs wait for it to reach zero before they count frame 0.
#[derive(Resource, Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ModelsLoading(pub usize);

#[expect(
    clippy::too_many_arguments,
    reason = "the frame counter decides the run's end"
)]
pub(crate) fn count_frames(
    settings: Res<CaptureSettings>,
    offscreen: Option<Res<OffscreenTarget>>,
    models: Option<Res<ModelsLoading>>,
    mut progress: ResMut<CaptureProgress>,
    mut lockstep: Option<ResMut<Lockstep>>,
    mut now: ResMut<FrameNow>,
    mut exit: MessageWriter<AppExit>,
    mut commands: Commands,
) {
    now.0 = None;
    let frame = match *progress {
        // Model avatars load in the background: warm up again once they are on stage, so
        // their pipelines are ready by frame 0 too.
        CaptureProgress::WarmingUp(_) if models.is_some_and(|models| models.0 > 0) => {
            *progress = CaptureProgress::WarmingUp(WARMUP_FRAMES);
            if let Some(lockstep) = lockstep.as_mut() {
                lockstep.frame = settings.chunk.replay_from.min(settings.chunk.first);
            }
            return;
        }
        // A chunk replays the frames from the last restart of the hair's simulation up to
        // its first frame, taking none of them.
        CaptureProgress::WarmingUp(0)
            if lockstep
                .as_ref()
                .is_some_and(|lockstep| lockstep.frame < settings.chunk.first) =>
        {
            if let Some(lockstep) = lockstep.as_mut() {
                lockstep.frame += 1;
            }
            return;
        }
        CaptureProgress::WarmingUp(0) => 0,
        CaptureProgress::WarmingUp(left) => {
            *progress = CaptureProgress::WarmingUp(left - 1);
            return;
        }
        CaptureProgress::Frame(frame) => frame,
        CaptureProgress::Saving => return,
    };
    now.0 = Some(frame);
    let Some(total) = settings.frames else {
        // Open-ended: a window, or a recording that decides its own end.
        *progress = CaptureProgress::Frame(frame + 1);
        if let Some(lockstep) = lockstep.as_mut() {
            lockstep.frame = settings.chunk.first + frame + 1;
        }
        return;
    };
    // This update renders frame `frame`; the next one shows `frame + 1`.
    let is_last = frame + 1 >= total.max(1);
    if !is_last {
        *progress = CaptureProgress::Frame(frame + 1);
        if let Some(lockstep) = lockstep.as_mut() {
            lockstep.frame = settings.chunk.first + frame + 1;
        }
        return;
    }
    match &settings.screenshot {
        Some(path) => {
            let screenshot = match &offscreen {
                Some(target) => Screenshot::image(target.image.clone()),
                None => Screenshot::primary_window(),
            };
            commands
                .spawn((Name::new("Final screenshot"), screenshot))
                .observe(save_screenshot_then_exit(path.clone()));
            *progress = CaptureProgress::Saving;
        }
        None => {
            exit.write(AppExit::Success);
            *progress = CaptureProgress::Saving;
        }
    }
}

/// An observer that writes the captured frame to `path` and ends the run.
fn save_screenshot_then_exit(
    path: PathBuf,
) -> impl FnMut(On<ScreenshotCaptured>, Res<CaptureFailure>, MessageWriter<AppExit>) {
    move |captured, failure, mut exit| match write_png(&captured.image, &path) {
        Ok(()) => {
            info!("saved {}", path.display());
            exit.write(AppExit::Success);
        }
        Err(error) => {
            failure.set(error.to_string());
            exit.write(AppExit::from_code(1));
        }
    }
}

/// Writes an RGBA image to a PNG file, dropping alpha: frames are opaque.
pub fn write_png(image: &Image, path: &Path) -> Result<(), ScreenshotError> {
    let pixels = image
        .clone()
        .try_into_dynamic()
        .map_err(|error| ScreenshotError::Format(error.to_string()))?
        .to_rgb8();
    pixels.save(path).map_err(|source| ScreenshotError::Write {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    fn run_until_exit(app: &mut App, limit: usize) -> Option<usize> {
        for update in 1..=limit {
            app.update();
            if app.should_exit().is_some() {
                return Some(update);
            }
        }
        None
    }

    #[test]
    fn stops_after_warmup_and_the_requested_frames() {
        let mut app = testing::app_with_capture(CaptureSettings {
            headless: true,
            size: UVec2::new(64, 36),
            fps: 30,
            frames: Some(5),
            screenshot: None,
            start: 0.0,
            chunk: default(),
        });
        let updates = run_until_exit(&mut app, 50).expect("the run ends by itself");
        assert_eq!(updates, WARMUP_FRAMES as usize + 1 + 5 - 1);
        // The last rendered frame is frame 4, at 4/30 s.
        assert_eq!(app.world().resource::<Lockstep>().frame, 4);
        assert!(app.world().get_resource::<OffscreenTarget>().is_some());
    }

    #[test]
    fn a_chunk_warms_up_at_its_replay_start_and_replays_up_to_its_first_frame() {
        let mut app = testing::app_with_capture(CaptureSettings {
            headless: true,
            size: UVec2::new(64, 36),
            fps: 30,
            frames: Some(3),
            screenshot: None,
            start: 0.0,
            chunk: crate::ChunkStart {
                first: 10,
                replay_from: 4,
            },
        });
        for _ in 0..WARMUP_FRAMES {
            app.update();
            assert_eq!(app.world().resource::<Lockstep>().frame, 4, "warming up");
        }
        let mut shown = Vec::new();
        for _ in 0..20 {
            app.update();
            shown.push((
                app.world().resource::<crate::clock::ConcertClock>().seconds,
                app.world().resource::<FrameNow>().0,
            ));
            if app.should_exit().is_some() {
                break;
            }
        }
        let taken: Vec<u64> = shown.iter().filter_map(|(_, now)| *now).collect();
        assert_eq!(taken, [0, 1, 2], "{shown:?}");
        // Frames 4 to 9 are simulated without being taken, then 10, 11, 12 are.
        let seconds: Vec<f64> = shown.iter().map(|(seconds, _)| *seconds).collect();
        let grid: Vec<f64> = (4..=12).map(|frame| f64::from(frame) / 30.0).collect();
        assert_eq!(seconds, grid);
    }

    #[test]
    fn a_window_run_without_frames_goes_on() {
        let mut app = testing::app_with_capture(CaptureSettings::default());
        assert_eq!(run_until_exit(&mut app, 20), None);
        assert!(app.world().get_resource::<Lockstep>().is_none());
    }

    #[test]
    fn unwritable_screenshot_path_is_a_clear_error() {
        let image = Image::new_fill(
            bevy::render::render_resource::Extent3d {
                width: 2,
                height: 2,
                depth_or_array_layers: 1,
            },
            bevy::render::render_resource::TextureDimension::D2,
            &[255, 0, 0, 255],
            TextureFormat::Rgba8UnormSrgb,
            default(),
        );
        let error = write_png(&image, Path::new("/nonexistent-dir/out.png")).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("/nonexistent-dir/out.png"), "{message}");
        assert!(message.contains("writable"), "{message}");

        let path = std::env::temp_dir().join("encore-write-png-test.png");
        write_png(&image, &path).expect("temp dir is writable");
        let decoded = image::open(&path).unwrap().to_rgb8();
        assert_eq!(decoded.get_pixel(1, 1).0, [255, 0, 0]);
    }
}

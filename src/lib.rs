//! encore: a virtual concert renderer.
//!
//! The binary (`src/main.rs`) only parses the command line; this library builds the Bevy app
//! from one plugin per feature folder and declares the order of the frame in [`AppSystems`].
//! See `docs/design.md` for the data flow.

pub mod avatar;
pub mod bench;
pub mod capture;
pub mod choreography;
pub mod clock;
pub mod colour;
pub use encore_show::cuesheet;
pub mod farm;
pub mod graphics;
#[cfg(test)]
mod layers;
pub use encore_show::motion;
pub mod music;
pub mod record;
pub mod setlist;
pub mod show;
pub mod soak;
pub use encore_show::song;

pub mod camera;
pub mod chat;
pub(crate) mod stage;
mod ui;

pub use ui::format_clock;

#[cfg(test)]
pub(crate) mod testing;

use std::path::PathBuf;

use bevy::{
    app::ScheduleRunnerPlugin,
    asset::{AssetPlugin, UnapprovedPathMode},
    log::LogPlugin,
    prelude::*,
    render::{RenderPlugin, pipelined_rendering::PipelinedRenderingPlugin},
    time::TimeUpdateStrategy,
    window::{ExitCondition, WindowResolution},
    winit::WinitPlugin,
};

use bevy_egui::{EguiGlobalSettings, EguiPlugin, EguiPrimaryContextPass};

/// The window size `encore play` opens with.
pub const WINDOW_SIZE: UVec2 = UVec2::new(1280, 720);

/// How one run of the player is set up: everything the command line can change.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayOptions {
    /// The setlist file to play and watch; the built-in demo when `None`.
    pub setlist: Option<PathBuf>,
    /// Render offscreen into an image instead of opening a window.
    pub headless: bool,
    /// Stop after this many frames (after warm-up). `None` plays until the window closes.
    pub frames: Option<u64>,
    /// Size of the offscreen image, or of the window.
    pub size: UVec2,
    /// Save the last frame as a PNG here before exiting.
    pub screenshot: Option<PathBuf>,
    /// Frames per second of the fixed time step used when rendering offscreen.
    pub fps: u32,
    /// Concert time to start at, seconds.
    pub start: f64,
    /// Offscreen: where the counted frames begin on the lockstep grid from `start` (a
    /// chunk of a recording), and where its simulation begins before them.
    pub chunk: ChunkStart,
    /// Follow this cast member with a fancam instead of the director's shots.
    pub fancam: Option<String>,
    /// Rendering quality, overriding the setlist's.
    pub quality: Option<setlist::raw::Quality>,
    /// Fans in the audience, overriding the setlist's.
    pub fans: Option<u32>,
    /// Draw the camera's clear colour only: the baseline of `encore bench venue`.
    pub bare: bool,
    /// The chat overlay and its logs.
    pub chat: chat::ChatOptions,
    /// Volume and mute of the music in the window.
    pub audio: music::AudioSettings,
    /// Recording: Ctrl-C is the recorder's (it finishes the file), the show panel is hidden.
    pub recording: bool,
    /// The 3D scene's share of the picture's resolution, 0.25 to 1, stretched over it. `None`:
    /// 1 offscreen; in the window, following the frame rate towards `target_fps`.
    pub render_scale: Option<f32>,
    /// The window's frame rate the render scale aims for.
    pub target_fps: f32,
    /// The lowest scale the window steps down to.
    pub min_render_scale: f32,
    /// Outlines on models whatever the preset says (for `encore bench race`).
    pub outlines: Option<bool>,
    /// Time each render pass (GPU timestamps where the driver has them) and print the means
    /// at exit (for `encore bench passes`).
    pub pass_profile: bool,
    /// Shadow maps whatever the preset says (for `encore bench passes`).
    pub shadows: Option<bool>,
}

impl Default for PlayOptions {
    fn default() -> Self {
        Self {
            setlist: None,
            headless: false,
            frames: None,
            size: WINDOW_SIZE,
            screenshot: None,
            fps: 30,
            start: 0.0,
            chunk: ChunkStart::default(),
            fancam: None,
            quality: None,
            fans: None,
            bare: false,
            chat: chat::ChatOptions::default(),
            audio: music::AudioSettings::default(),
            recording: false,
            render_scale: None,
            target_fps: 30.0,
            min_render_scale: 0.5,
            outlines: None,
            pass_profile: false,
            shadows: None,
        }
    }
}

/// Where an offscreen run's frames begin on the lockstep grid (frame `n` shows concert time
/// `start + n / fps`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChunkStart {
    /// The grid frame that is counted as the run's frame 0.
    pub first: u64,
    /// The grid frame the show is simulated from (at or before `first`): the frames between
    /// are simulated but not taken, so hair that swings from the last restart
    /// ([`encore_show::clock::restart_before`]) swings as it does in a single pass.
    pub replay_from: u64,
}

/// The order of one frame's work, declared once for the whole app.
///
/// Every feature plugin puts its `Update` systems in one of these sets; they run in the order
/// listed, so what the camera sees is always the pose and light of the same instant.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppSystems {
    /// Read the viewer's keys and mouse (transport, free camera): window only.
    Input,
    /// Notice a saved setlist and apply it (or show why it cannot be).
    Reload,
    /// Apply transport actions, advance the concert clock (real time in the window, lockstep when rendering offscreen).
    Clock,
    /// Fire the cues the playhead crossed.
    Cues,
    /// Spawn the cast's idols when it changes, and put loaded models on stage.
    Cast,
    /// Work out the show at the clock's instant (`show::Now`): poses, bodies, the lens.
    Frame,
    /// Pose the performers for the current beat.
    Choreography,
    /// Place the show camera. Runs before transform propagation, like everything in `Update`.
    Camera,
    /// Turn the heads of the idols the camera is on towards where it went.
    Gaze,
    /// Dress model avatars: their materials follow the preset and their expressions.
    Dress,
    /// Drive stage lights and effects from the beat.
    Lights,
    /// Feed the chat and the panels what the show did (messages now due, effects fired).
    Overlay,
    /// Count frames, take screenshots and decide when an offscreen run is done.
    Capture,
}

/// The order of what egui draws over the show (in `EguiPrimaryContextPass`).
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OverlaySystems {
    /// Install the fonts and warm the glyph atlas.
    Fonts,
    /// Draw the panels, title cards and the chat.
    Draw,
}

/// Adds the encore feature plugins and the frame order to an app that already has Bevy's
/// rendering plugins (or, in tests, `MinimalPlugins` and the assets the features use).
pub fn plugin(app: &mut App) {
    app.configure_sets(
        Update,
        (
            AppSystems::Input,
            AppSystems::Reload,
            AppSystems::Clock,
            AppSystems::Cues,
            AppSystems::Cast,
            AppSystems::Frame,
            AppSystems::Choreography,
            AppSystems::Camera,
            AppSystems::Gaze,
            AppSystems::Dress,
            AppSystems::Lights,
            AppSystems::Overlay,
            AppSystems::Capture,
        )
            .chain(),
    );
    app.configure_sets(
        EguiPrimaryContextPass,
        (OverlaySystems::Fonts, OverlaySystems::Draw).chain(),
    );
    app.init_resource::<graphics::RenderProfile>();
    app.add_plugins((
        clock::plugin,
        setlist::plugin,
        show::plugin,
        stage::plugin,
        avatar::plugin,
        choreography::plugin,
        camera::plugin,
        chat::plugin,
        capture::plugin,
    ));
}

/// Builds the full player app for `options`, window or offscreen, playing `setlist` (and
/// watching its file when there is one).
///
/// Call [`graphics::preflight`] first: Bevy panics on a missing display or Vulkan driver, and
/// the preflight turns those into one-line errors instead.
pub fn build_app(
    options: &PlayOptions,
    setlist: setlist::Setlist,
    file: Option<setlist::SetlistFile>,
) -> App {
    let mut app = App::new();
    let title = format!("{} · encore", setlist.title);
    let mut clock = clock::ConcertClock::default();
    let start = if options.headless {
        options.start + options.chunk.replay_from as f64 / f64::from(options.fps.max(1))
    } else {
        options.start
    };
    if start > 0.0 {
        // Starting later is a seek: the states at that time apply, the events before it
        // stay unfired.
        clock.seek(start.min(setlist.duration()));
    }
    app.insert_resource(clock);
    app.insert_resource(camera::CameraStatus {
        fancam: options.fancam.clone(),
        ..default()
    });
    let quality = setlist.quality;
    let chat_filter = setlist.chat_filter.clone();
    let chat_style = setlist.chat_style;
    app.insert_resource(setlist::ShowSetlist(setlist));
    if let Some(file) = file {
        app.insert_resource(file);
    }
    let render_plugin = RenderPlugin {
        // Offscreen frames and screenshots must be complete from the first counted frame,
        // and exiting while a pipeline compiles in the background can crash llvmpipe (Bevy
        // #20195). An open-ended window keeps compiling in the background so it never stalls.
        synchronous_pipeline_compilation: options.headless || options.frames.is_some(),
        ..default()
    };
    let log_plugin = LogPlugin {
        // encore's own lines only: other crates speak up for warnings, and the known noise
        // of a plain start is kept quiet (winit's XSETTINGS and XRandR notes under Xvfb,
        // Bevy's software-renderer warning: `graphics` says so once in its own words).
        // `RUST_LOG` still overrides all of it.
        filter: QUIET_LOG.to_owned(),
        ..default()
    };
    let asset_plugin = AssetPlugin {
        // Setlists name model files by paths the checker keeps inside the project. A .gltf's
        // own textures and buffers sit next to it, outside `assets/`, and bevy_gltf loads
        // them without a way to opt in one by one (a denied texture makes its loader panic),
        // so paths are allowed; the only files named by users are checked by the setlist.
        unapproved_path_mode: UnapprovedPathMode::Allow,
        // The setlist is watched by encore itself (`setlist::reload`); there is no `assets`
        // folder for Bevy's watcher, which would only warn that it is missing.
        watch_for_changes_override: Some(false),
        ..default()
    };
    let mut defaults = DefaultPlugins
        .set(render_plugin)
        .set(log_plugin)
        .set(asset_plugin);
    if options.recording {
        defaults = defaults.disable::<bevy::app::TerminalCtrlCHandlerPlugin>();
        app.insert_resource(capture::Recording);
    }
    if options.headless {
        app.add_plugins(
            defaults
                .set(WindowPlugin {
                    primary_window: None,
                    exit_condition: ExitCondition::DontExit,
                    ..default()
                })
                .disable::<WinitPlugin>()
                // Keep each frame's simulation and render together, so frame N is frame N.
                .disable::<PipelinedRenderingPlugin>(),
        );
        app.add_plugins(ScheduleRunnerPlugin::run_loop(std::time::Duration::ZERO));
        app.insert_resource(TimeUpdateStrategy::ManualDuration(
            std::time::Duration::from_secs_f64(1.0 / f64::from(options.fps.max(1))),
        ));
    } else {
        app.add_plugins(defaults.set(WindowPlugin {
            primary_window: Some(Window {
                title,
                resolution: WindowResolution::new(options.size.x, options.size.y),
                ..default()
            }),
            ..default()
        }));
    }
    app.add_plugins(EguiPlugin::default());
    // The show camera owns the egui context, in the window and offscreen alike, so the
    // overlay lands in screenshots and recordings.
    app.insert_resource(EguiGlobalSettings {
        auto_create_primary_context: false,
        ..default()
    });
    app.insert_resource(capture::CaptureSettings::from_options(options));
    app.insert_resource(camera::compose::RenderScale {
        scale: options.render_scale.unwrap_or(1.0).clamp(0.25, 1.0),
        target_fps: (!options.headless && options.render_scale.is_none())
            .then_some(options.target_fps.max(1.0)),
        lowest: options.min_render_scale.clamp(0.25, 1.0),
        ..default()
    });
    app.insert_resource(graphics::ProfileOverrides {
        outlines: options.outlines,
        shadows: options.shadows,
    });
    app.insert_resource(graphics::RequestedQuality(
        options.quality.unwrap_or(quality),
    ));
    app.insert_resource(stage::FansOverride(options.fans));
    app.insert_resource(chat_feed(&options.chat, &chat_filter));
    let mut chat_settings = chat::ChatSettings {
        style: options.chat.style.unwrap_or(chat_style),
        follows_setlist: options.chat.style.is_none(),
        opacity: options.chat.opacity,
        font_size: options.chat.font_size,
        ..default()
    };
    if let Some(name) = &options.chat.name {
        chat_settings.name = chat::message::sanitise_name(name);
    }
    app.insert_resource(chat_settings);
    app.add_plugins((plugin, graphics::plugin, ui::plugin, camera::viewer_plugin));
    if !options.headless {
        // The music plays in the window only; offscreen runs are silent and in lockstep.
        app.insert_resource(options.audio);
        app.add_plugins(music::plugin);
    }
    if options.pass_profile {
        app.add_plugins(bevy::render::diagnostic::RenderDiagnosticsPlugin);
        app.add_systems(Last, print_pass_profile);
    }
    if options.bare {
        // The benchmark's baseline: the camera clears the picture and draws the overlay.
        app.add_systems(Last, keep_only_the_camera);
    }
    app
}

/// The chat feed for `options`: a replayed log (its unreadable lines reported, the show goes
/// on without them), a file to save to, a flood rate.
/// At exit, prints the mean time of each render pass over the last frames, one
/// `pass <name> gpu|cpu <ms>` line each (`encore bench passes` reads them).
fn print_pass_profile(
    mut exits: MessageReader<AppExit>,
    store: Res<bevy::diagnostic::DiagnosticsStore>,
) {
    if exits.read().next().is_none() {
        return;
    }
    let mut lines: Vec<String> = store
        .iter()
        .filter_map(|diagnostic| {
            let path = diagnostic.path().as_str();
            let pass = path.strip_prefix("render/")?;
            let (pass, clock) = pass.rsplit_once('/')?;
            let clock = clock.strip_prefix("elapsed_")?;
            Some(format!("pass {pass} {clock} {:.3}", diagnostic.average()?))
        })
        .collect();
    lines.sort();
    for line in lines {
        println!("{line}");
    }
}

/// The log filter of a normal run (see where the log plugin is set up).
pub const QUIET_LOG: &str = "warn,encore=info,encore_show=info,winit=error,\
                             bevy_render::renderer=error,wgpu=error,naga=warn";

/// When the process started, for the start-to-first-frame line.
static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Marks the process's start (call first thing in `main`); the first frame is logged with
/// the time since.
pub fn mark_start() {
    STARTED.get_or_init(std::time::Instant::now);
}

/// Seconds since [`mark_start`] (since the first call otherwise).
pub fn since_start() -> f64 {
    STARTED
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_secs_f64()
}

/// Gives the process a private `XDG_RUNTIME_DIR` when it has none or an unusable one:
/// without it the Wayland client library (loaded by the Vulkan driver) prints
/// `error: XDG_RUNTIME_DIR is invalid or not set` on every start. Call it first thing in
/// `main`, before any thread starts.
pub fn ensure_runtime_dir() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    // The process's own user: the owner of its /proc entry.
    let Ok(uid) = std::fs::metadata("/proc/self").map(|meta| meta.uid()) else {
        return;
    };
    let usable = std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|dir| {
        std::fs::metadata(&dir).is_ok_and(|meta| meta.is_dir() && meta.uid() == uid)
    });
    if usable {
        return;
    }
    let dir = std::env::temp_dir().join(format!("encore-runtime-{uid}"));
    let made = std::fs::create_dir_all(&dir).is_ok()
        && std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).is_ok()
        && std::fs::metadata(&dir).is_ok_and(|meta| meta.uid() == uid);
    if made {
        // SAFETY: called at the top of `main`, before encore starts any thread, so nothing
        // reads the environment concurrently.
        unsafe { std::env::set_var("XDG_RUNTIME_DIR", &dir) };
    }
}

fn chat_feed(options: &chat::ChatOptions, filter: &[String]) -> chat::ChatFeed {
    let mut feed = chat::ChatFeed::default();
    feed.flood = options.flood;
    feed.chatter = !options.no_chatter;
    if let Some(path) = &options.log {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let (messages, problems) = chat::log::read(path, &text, filter);
                for problem in problems.iter().take(5) {
                    warn!("chat log: {problem}; the line is skipped");
                }
                if problems.len() > 5 {
                    warn!("chat log: {} more lines skipped", problems.len() - 5);
                }
                info!(
                    "chat log: replaying {} messages from {}",
                    messages.len(),
                    path.display()
                );
                for message in messages {
                    feed.add(message);
                }
            }
            Err(error) => warn!(
                "chat log: cannot read {}: {error}; check the path (the show goes on without it)",
                path.display()
            ),
        }
    }
    if let Some(path) = &options.save {
        match chat::log::ChatSaver::create(path) {
            Ok(saver) => feed.save = Some(saver),
            Err(message) => warn!("{message}; the show goes on without saving the chat"),
        }
    }
    feed
}

/// Removes everything drawable but the camera and its overlay (`--bare`).
fn keep_only_the_camera(
    mut commands: Commands,
    meshes: Query<Entity, With<Mesh3d>>,
    lights: Query<Entity, With<SpotLight>>,
) {
    for entity in meshes.iter().chain(&lights) {
        commands.entity(entity).despawn();
    }
}

/// The setlist a run plays: the file checked (its warnings printed, its errors an error a
/// user can act on) or the built-in demo, and the fancam member checked against its cast.
pub fn load_show(
    path: Option<&std::path::Path>,
    fancam: Option<&str>,
) -> anyhow::Result<(setlist::Setlist, Option<setlist::SetlistFile>)> {
    let (setlist, file) = match path {
        Some(path) => {
            let mut files = setlist::FileCache::default();
            let (setlist, report) = setlist::check_file_with(path, &mut files);
            let Some(setlist) = setlist else {
                // The report is the message; the error below only says what to do next.
                eprintln!("{report}");
                anyhow::bail!("fix the setlist and run again (`encore check` lists the problems)");
            };
            if !report.diagnostics.is_empty() {
                eprintln!("{report}");
            }
            let file = setlist::SetlistFile::new(path.to_owned(), report.source, files);
            (setlist, Some(file))
        }
        None => (setlist::Setlist::built_in(), None),
    };
    if let Some(id) = fancam
        && setlist.idol(id).is_none()
    {
        let ids: Vec<&str> = setlist.cast.iter().map(|idol| idol.id.as_str()).collect();
        anyhow::bail!(
            "--fancam {id}: there is no such idol in the cast; the cast's ids are {}",
            ids.join(", ")
        );
    }
    Ok((setlist, file))
}

/// Runs an app built by [`build_app`] to its end, returning an error a user can act on.
pub fn run_app(mut app: App) -> anyhow::Result<()> {
    // `App::run` hands the world to the runner, so failures come back through this shared slot.
    let failure = capture::CaptureFailure::default();
    app.insert_resource(failure.clone());
    match app.run() {
        AppExit::Success => Ok(()),
        AppExit::Error(code) => {
            Err(anyhow::anyhow!(failure.take().unwrap_or_else(|| format!(
                "encore stopped with exit code {code}"
            ))))
        }
    }
}

/// Runs the player until it finishes, returning an error a user can act on.
pub fn run_play(options: &PlayOptions) -> anyhow::Result<()> {
    let (setlist, file) = load_show(options.setlist.as_deref(), options.fancam.as_deref())?;
    graphics::preflight(options.headless)?;
    run_app(build_app(options, setlist, file))
}

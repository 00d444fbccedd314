//! The `encore` command line: parses arguments and hands them to the library.

use std::{path::PathBuf, process::ExitCode};

use bevy::math::UVec2;
use clap::{Args, Parser, Subcommand};
use encore::{PlayOptions, setlist::raw::Quality};

/// encore: a virtual concert renderer.
#[derive(Debug, Parser)]
#[command(name = "encore", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Play a concert in a window, or render it offscreen with --headless.
    Play(PlayArgs),
    /// Record the concert offscreen to an MP4 (H.264 and AAC) with its music and the chat,
    /// every frame of the range whatever the machine's speed. Ctrl-C keeps what is done.
    Record(RecordArgs),
    /// Join the chunks of one recording (`encore record --frames A..B`, any order) into one
    /// video: checks they are complete, contiguous and made alike, copies their video
    /// streams end to end without re-encoding, lays the single pass's mix under them and
    /// writes the joined hash log (OUT.hashes). Nothing is overwritten.
    Join {
        /// The chunk videos (each with its VIDEO.json sidecar and hash log).
        #[arg(required = true)]
        chunks: Vec<PathBuf>,
        /// The joined video.
        #[arg(long, short, value_name = "OUT.mp4")]
        out: PathBuf,
        /// The setlist the chunks were recorded from (checked against their hash; taken
        /// from their sidecars when left out).
        #[arg(long, value_name = "FILE")]
        setlist: Option<PathBuf>,
    },
    /// Write (and submit) a render farm job for a recording split into chunks: Slurm or
    /// Kubernetes.
    Farm {
        #[command(subcommand)]
        target: FarmTarget,
    },
    /// Check a setlist and list every problem, like a compiler. Exit code 1 on errors.
    Check {
        /// The setlist (RON).
        setlist: PathBuf,
        /// Also print the camera plan: every shot, cued or picked by the director.
        #[arg(long)]
        shots: bool,
    },
    /// Write the concert's cue sheet, the report a performance-rights society asks a concert
    /// for: every song performed, in order, with its writers, publishers, ISRC and ISWC, start
    /// and duration, as CSV and JSON (`STEM.cuesheet.csv` and `.json` beside the setlist).
    Cuesheet {
        /// The setlist (RON).
        setlist: PathBuf,
        /// A folder to write the two files in, or the path without extension to write them at
        /// (`-o reports/tokyo` writes reports/tokyo.csv and reports/tokyo.json).
        #[arg(long, short, value_name = "PATH")]
        out: Option<PathBuf>,
    },
    /// Render the concert's soundtrack (encore's synthesized songs, the crowd between them,
    /// cheers on cues) to a WAV file, sample-exact against the concert timeline.
    Music {
        /// The setlist (RON); the built-in demo when left out.
        setlist: Option<PathBuf>,
        /// The WAV file to write (48 kHz, 16-bit stereo).
        #[arg(long, value_name = "OUT.wav")]
        out: PathBuf,
    },
    /// Make and export avatars.
    Avatar {
        #[command(subcommand)]
        command: AvatarCommand,
    },
    /// Motion files: MikuMikuDance dances and cameras (.vmd), motion capture (.bvh) and VRM
    /// animations (.vrma).
    Motion {
        #[command(subcommand)]
        command: MotionCommand,
    },
    /// Songs: find a sound file's tempo, beats and sections, or draft a whole show from it.
    Song {
        #[command(subcommand)]
        command: SongCommand,
    },
    /// Measure how fast parts of encore run and print the figures.
    Bench {
        #[command(subcommand)]
        target: BenchTarget,
    },
}

#[derive(Debug, Args)]
struct RecordArgs {
    /// The setlist (RON); the built-in demo when left out.
    setlist: Option<PathBuf>,
    /// The video to write (MP4). It appears under this name only when complete.
    #[arg(long, short, value_name = "OUT.mp4", default_value = "concert.mp4")]
    out: PathBuf,
    /// Frame size, WIDTHxHEIGHT (even numbers).
    #[arg(long, value_name = "WxH", value_parser = parse_size, default_value = "1920x1080")]
    size: UVec2,
    /// Frames per second.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=120))]
    fps: u32,
    /// Rendering quality; overrides the setlist's. `auto` picks `low` on a software renderer
    /// and `high` on a GPU.
    #[arg(long, value_enum)]
    quality: Option<Quality>,
    /// Start here: seconds (`95.5`) or minutes:seconds (`1:35.5`).
    #[arg(long, value_name = "TIME", value_parser = parse_start, conflicts_with = "song")]
    from: Option<f64>,
    /// Stop here (the end of the show when left out).
    #[arg(long, value_name = "TIME", value_parser = parse_start, conflicts_with = "song")]
    to: Option<f64>,
    /// Record only the Nth song (from 1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    song: Option<u32>,
    /// Record this member's fancam (her id in the cast) instead of the director's cut.
    #[arg(long, value_name = "ID")]
    fancam: Option<String>,
    /// How the chat overlay looks: `side` (a narrow column at the lower right), `lower-third`
    /// (a few lines at the bottom left) or `off`; overrides the setlist's `chat: (style: ..)`.
    #[arg(long, value_enum, value_name = "STYLE")]
    chat: Option<encore::chat::ChatStyle>,
    /// Leave the chat overlay out of the picture (the same as `--chat off`).
    #[arg(long, conflicts_with = "chat")]
    no_chat: bool,
    /// Write numbered PNGs (frame_000000.png...) and audio.wav into this folder instead of a
    /// video; needs no ffmpeg.
    #[arg(long, value_name = "DIR")]
    frames_dir: Option<PathBuf>,
    /// Render only frames A to B (B not included) of the range, counted from its start at
    /// --fps: a chunk to join with others (see docs/recording.md). `A..` runs to the end.
    #[arg(long, value_name = "A..B", value_parser = parse_frames)]
    frames: Option<(u64, Option<u64>)>,
    /// Write one line per frame, its number and a checksum of its pixels, to compare runs.
    #[arg(long, value_name = "FILE")]
    hash_log: Option<PathBuf>,
    /// Fans in the audience, overriding the setlist's.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=200_000))]
    fans: Option<u32>,
    /// Draw the 3D scene at this share of the frame's resolution, 0.25 to 1, stretched over
    /// it with a linear filter; the chat and titles stay sharp. 0.5 draws a quarter of the
    /// pixels: much faster on a CPU (see docs/recording.md).
    #[arg(long, value_name = "0.25..1", default_value_t = 1.0, value_parser = parse_render_scale)]
    render_scale: f32,
    /// Keep the picture's alpha, for a studio with `background: Transparent`: name the
    /// output `.mov` (ProRes 4444) or `.webm` (VP9), or use --frames-dir for RGBA PNGs.
    #[arg(long)]
    alpha: bool,
    /// Read the frames back and drop them, writing nothing (for `encore bench race`).
    #[arg(long, hide = true, conflicts_with_all = ["frames_dir", "resume"])]
    discard: bool,
    /// Outlines on models whatever the quality preset says (for `encore bench race`).
    #[arg(long, hide = true)]
    outlines: bool,
    /// Draw nothing but the camera's clear colour (for `encore bench record`).
    #[arg(long, hide = true)]
    bare: bool,
    /// Write the run's figures as JSON here (for `encore bench record`).
    #[arg(long, hide = true, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Pick up an interrupted recording of the same range where it stopped (after its last
    /// complete two-second segment) instead of starting over; a finished one is left as it
    /// is. The video is written in segments so that this is possible.
    #[arg(long, conflicts_with = "frames_dir")]
    resume: bool,
}

#[derive(Debug, Subcommand)]
enum FarmTarget {
    /// A Slurm array job (one task a chunk) and a join job depending on it: `record.sbatch`
    /// and `join.sbatch` in the out folder; `--submit` hands them to `sbatch`.
    Slurm {
        #[command(flatten)]
        farm: FarmArgs,
        /// The Slurm partition.
        #[arg(long, value_name = "P")]
        partition: Option<String>,
        /// Submit the jobs with `sbatch` (the join waits for every chunk).
        #[arg(long)]
        submit: bool,
        /// The encore binary the tasks run (this one when left out).
        #[arg(long, value_name = "PATH")]
        encore: Option<PathBuf>,
    },
    /// A Kubernetes indexed Job (one pod a chunk) and a join Job: `record-job.yaml` and
    /// `join-job.yaml` in the out folder, the show from a ConfigMap `encore-show`, the chunks
    /// on a claim `encore-out`.
    K8s {
        #[command(flatten)]
        farm: FarmArgs,
        /// The namespace.
        #[arg(long, value_name = "NS")]
        namespace: Option<String>,
        /// The container image with encore and its packages (Debian 12 + scripts/setup.sh).
        #[arg(
            long,
            value_name = "IMAGE",
            default_value = "your-registry/encore:latest"
        )]
        image: String,
    },
}

#[derive(Debug, Args)]
struct FarmArgs {
    /// The setlist (RON).
    setlist: PathBuf,
    /// How many chunks (tasks).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    chunks: u32,
    /// The folder for the job files, chunks, logs and the joined `concert.mp4`.
    #[arg(long, short, value_name = "DIR", default_value = "farm")]
    out: PathBuf,
    /// CPUs per task.
    #[arg(long, default_value_t = 2)]
    cpus: u32,
    /// Frame size, WIDTHxHEIGHT (even numbers).
    #[arg(long, value_name = "WxH", value_parser = parse_size, default_value = "1920x1080")]
    size: UVec2,
    /// Frames per second.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=120))]
    fps: u32,
    /// Rendering quality for every chunk (pin it: `auto` could differ between nodes).
    #[arg(long, value_enum, default_value = "medium")]
    quality: Quality,
    /// Start here.
    #[arg(long, value_name = "TIME", value_parser = parse_start, conflicts_with = "song")]
    from: Option<f64>,
    /// Stop here.
    #[arg(long, value_name = "TIME", value_parser = parse_start, conflicts_with = "song")]
    to: Option<f64>,
    /// Only the Nth song (from 1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    song: Option<u32>,
}

#[derive(Debug, Subcommand)]
enum AvatarCommand {
    /// Write a procedural idol as a glTF binary (.glb) or a VRM 1.0 model (.vrm), with her
    /// face's expressions and the move library as animation clips.
    Gen(Box<GenArgs>),
    /// Print what a model file holds: format and version, meshes, vertices, joints, the
    /// humanoid map (and required bones missing), expressions, clips, spring bones, licence.
    Inspect {
        /// A .glb, .gltf, .vrm or .vrma file.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum MotionCommand {
    /// Print what a motion file holds: format, duration, frame rate, keyframe counts, its
    /// bones and morphs and what each drives (and, with --avatar, how they land on a model).
    Inspect {
        /// A .vmd, .bvh or .vrma file.
        file: PathBuf,
        /// A model (.vrm, .glb, .gltf) to map the motion onto.
        #[arg(long, value_name = "MODEL")]
        avatar: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum SongCommand {
    /// Print a song's tempo (and whether it drifts or changes), beat grid (bar 1 and the
    /// metre), bars and sections, and a `Song(...)` to paste into a setlist.
    Analyze {
        /// An ogg, wav, flac or mp3 file.
        file: PathBuf,
        /// Also print every beat's time in seconds, one per line.
        #[arg(long)]
        beats: bool,
    },
    /// Draft a complete setlist for a song: the cast, sections with formations, lines,
    /// dances by energy, lights and effects on the big moments, a reacting chat. It plays at
    /// once with the song as its audio (copied beside the setlist when it is elsewhere).
    Draft {
        /// An ogg, wav, flac or mp3 file.
        file: PathBuf,
        /// The setlist to write (RON); never overwritten.
        #[arg(long, short, value_name = "SETLIST")]
        out: PathBuf,
        /// Members on stage, 1 to 8.
        #[arg(long, default_value_t = 5)]
        cast: usize,
        /// The show's and the song's title; from the file name when left out.
        #[arg(long)]
        title: Option<String>,
        /// The setlist's seed: other seeds pick other moves and chat.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The song's isolated vocal stem (from a stem splitter), aligned with FILE: it
        /// moves the singers' mouths.
        #[arg(long, value_name = "STEM")]
        vocals: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
struct GenArgs {
    /// Output file: `.glb` or `.vrm`.
    #[arg(long, short, value_name = "FILE")]
    out: PathBuf,
    /// Take the look, height and colour of a cast member of this setlist (with --idol).
    #[arg(long, value_name = "SETLIST", requires = "idol")]
    from: Option<PathBuf>,
    /// The cast member's id in the --from setlist.
    #[arg(long, value_name = "ID", requires = "from")]
    idol: Option<String>,
    /// The model's name.
    #[arg(long, default_value = "encore idol")]
    name: String,
    /// Height in metres (1.4 to 2.0).
    #[arg(long, default_value_t = 1.65)]
    height: f32,
    /// Body build, 0.8 (slight) to 1.2 (strong).
    #[arg(long, default_value_t = 1.0)]
    build: f32,
    /// Skin tone, #rrggbb.
    #[arg(long, value_name = "#RRGGBB")]
    skin: Option<String>,
    /// Hair style: long, bob, ponytail, short, twin-tails or wavy.
    #[arg(long, value_parser = ["long", "bob", "ponytail", "short", "twin-tails", "wavy"])]
    hair: Option<String>,
    /// Hair colour, #rrggbb.
    #[arg(long, value_name = "#RRGGBB")]
    hair_colour: Option<String>,
    /// Costume cut: skirt, trousers, crop-top or coat.
    #[arg(long, value_parser = ["skirt", "trousers", "crop-top", "coat"])]
    outfit: Option<String>,
    /// Costume colour, #rrggbb (the member colour when absent).
    #[arg(long, value_name = "#RRGGBB")]
    outfit_colour: Option<String>,
    /// Trim and shoe colour, #rrggbb.
    #[arg(long, value_name = "#RRGGBB")]
    accent_colour: Option<String>,
    /// Member colour, #rrggbb.
    #[arg(long, value_name = "#RRGGBB", default_value = "#e85d9e")]
    colour: String,
}

#[derive(Debug, Subcommand)]
enum BenchTarget {
    /// Parse and check a generated setlist of many songs.
    Setlist {
        /// Songs in the generated setlist.
        #[arg(long, default_value_t = 500)]
        songs: usize,
        /// Timed runs (after one warm-up run).
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
        runs: u32,
    },
    /// CPU time to pose 5, 20 and 100 dancing idols per frame.
    Animation,
    /// Frame time with a quiet chat and with a flood of messages, and the chat's memory.
    Chat {
        /// Messages a second in the flood.
        #[arg(long, default_value_t = 10_000)]
        rate: u32,
        /// Timed runs per figure (the median is printed).
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
        runs: u32,
    },
    /// How fast the demo's music renders, and how closely the clock follows the music over
    /// five minutes with a simulated sound card.
    Music,
    /// Parse time of a motion file (VMD, BVH, VRMA) and the cost of sampling it for five
    /// idols a frame, beside five idols dancing the move library, in one run.
    Motion {
        /// The motion file.
        file: PathBuf,
        /// Timed runs of each figure (the median is printed).
        #[arg(long, default_value_t = 20)]
        runs: u32,
    },
    /// Play a VMD dance natively on a PMX model for its whole length and print the CPU time
    /// per frame for one model and for five (bones with append and IK, and morphs).
    Pmx {
        /// The PMX model.
        model: PathBuf,
        /// The VMD dance.
        dance: PathBuf,
    },
    /// Load model files (glTF, VRM, PMX) one at a time into a headless show and print how long
    /// each takes from the start of loading to standing on stage.
    Model {
        /// The model files, compared in one run.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Runs per file (the median is printed).
        #[arg(long, default_value_t = 3)]
        runs: u32,
    },
    /// Record the demo's first chorus to an MP4 at each quality and render scale, and a bare
    /// scene (camera clear only) in the same run: frames per second, realtime factor, and
    /// where the time goes.
    Record {
        /// Seconds of the show to record, from the first chorus (0:33).
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// Frame size.
        #[arg(long, value_name = "WxH", value_parser = parse_size, default_value = "1280x720")]
        size: UVec2,
        /// Frames per second.
        #[arg(long, default_value_t = 30)]
        fps: u32,
        /// Rendering qualities, each recorded in turn.
        #[arg(long, value_enum, value_delimiter = ',', default_value = "low,medium")]
        quality: Vec<Quality>,
        /// Render scales, each recorded at every quality.
        #[arg(long, value_delimiter = ',', default_value = "1,0.5", value_parser = parse_render_scale)]
        render_scale: Vec<f32>,
    },
    /// The show in a window (under Xvfb without a desktop) for a while: the frame rate and
    /// render scale at each of the window's judgements, the mean frame rate, how often the
    /// scale stayed at or above a half and how often the window was fluid there.
    Window {
        /// The setlist to play; the built-in demo when left out.
        setlist: Option<PathBuf>,
        /// Seconds of judgements to collect, after the window settles.
        #[arg(long, default_value_t = 30.0)]
        seconds: f64,
        /// Window size.
        #[arg(long, value_name = "WxH", value_parser = parse_size, default_value = "1280x720")]
        size: UVec2,
        /// Concert time to start at: seconds (`95.5`) or minutes:seconds (`1:35.5`).
        #[arg(long, value_name = "TIME", value_parser = parse_start, default_value = "0")]
        start: f64,
        /// Rendering quality; overrides the setlist's.
        #[arg(long, value_enum)]
        quality: Option<Quality>,
        /// The frame rate the render scale follows.
        #[arg(long, value_name = "FPS", default_value_t = 30.0, value_parser = parse_target_fps)]
        target_fps: f32,
        /// Fix the render scale instead.
        #[arg(long, value_name = "0.25..1", value_parser = parse_render_scale)]
        render_scale: Option<f32>,
        /// The lowest render scale the window steps down to.
        #[arg(long, value_name = "0.25..1", default_value_t = 0.5, value_parser = parse_render_scale)]
        min_render_scale: f32,
        /// The frame rate counted as fluid.
        #[arg(long, value_name = "FPS", default_value_t = 24.0)]
        fluid: f32,
    },
    /// Where a frame goes, pass by pass (shadow maps, main passes, post, overlay), timed by
    /// the driver, at each quality preset.
    Passes {
        /// Frame size.
        #[arg(long, value_name = "WxH", value_parser = parse_size, default_value = "1280x720")]
        size: UVec2,
        /// Frames to render at each preset.
        #[arg(long, default_value_t = 60)]
        frames: u32,
    },
    /// encore against the web peers (../shared/peers): a VRM dancing in the studio at the
    /// peers' settings (MSAA off, outlines on, no shadows or post) at 1280x720 and 640x360:
    /// frame time, frames read back a second without encoding, cold launch to first frame.
    Race {
        /// The model (Godette in ../shared/testdata/vrm/).
        #[arg(long, default_value = "../shared/testdata/vrm/Godette_vrm_v4.vrm")]
        model: PathBuf,
        /// Seconds of dance to time at each size.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
    },
    /// Play a show for a long time (looping at its end) and print resident memory and asset
    /// counts every so often, with the growth and slope after warm-up: a leak shows here.
    Soak {
        /// The setlist to play; the built-in demo when left out.
        setlist: Option<PathBuf>,
        /// Open a window (under a display, or `xvfb-run -a`) instead of rendering offscreen.
        #[arg(long)]
        window: bool,
        /// Stop after this many frames (offscreen); otherwise after --minutes.
        #[arg(long, value_name = "N", conflicts_with = "window")]
        frames: Option<u64>,
        /// Minutes of show to play.
        #[arg(long, default_value_t = 10.0)]
        minutes: f64,
        /// Seconds of show between samples.
        #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
        every: f64,
        /// Seconds of show before the first sample, which the growth is measured from.
        #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
        warmup: f64,
        /// Size of the window or offscreen image.
        #[arg(long, value_name = "WxH", value_parser = parse_size, default_value = "320x180")]
        size: UVec2,
        /// Concert time to start at: seconds (`95.5`) or minutes:seconds (`1:35.5`).
        #[arg(long, value_name = "TIME", value_parser = parse_start, default_value = "0")]
        start: f64,
        /// Rendering quality; overrides the setlist's.
        #[arg(long, value_enum)]
        quality: Option<Quality>,
        /// Frames per second of the offscreen clock.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=240))]
        fps: u32,
        /// Write the samples and figures as JSON here.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
    },
    /// Frame time of the demo offscreen at 640x360: the low preset with 1k, 10k and 50k
    /// lightsticks, and each preset next to a bare frame.
    Venue {
        /// Frames per timed run.
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..))]
        frames: u32,
        /// Timed runs per figure (the median is printed).
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
        runs: u32,
    },
}

#[derive(Debug, Args)]
struct PlayArgs {
    /// Setlist to play (RON); saving it while it plays applies the changes. Without one, the
    /// built-in demo concert plays.
    setlist: Option<PathBuf>,
    /// Render offscreen with a fixed time step: no window or display needed.
    #[arg(long)]
    headless: bool,
    /// Stop after this many frames (counted after a short warm-up).
    #[arg(long, value_name = "N")]
    frames: Option<u64>,
    /// Size of the window or offscreen image, as WIDTHxHEIGHT.
    #[arg(long, value_name = "WxH", value_parser = parse_size, default_value = "1280x720")]
    size: UVec2,
    /// Save the last frame to this PNG file (needs --frames).
    #[arg(long, value_name = "OUT.png", requires = "frames")]
    screenshot: Option<PathBuf>,
    /// Concert time to start at: seconds (`95.5`) or minutes:seconds (`1:35.5`).
    #[arg(long, value_name = "TIME", value_parser = parse_start, default_value = "0")]
    start: f64,
    /// Follow one member (her id in the cast) with a fancam for the whole show, instead of
    /// the director's shots. In the window, F cycles the fancam member.
    #[arg(long, value_name = "ID")]
    fancam: Option<String>,
    /// Frames per second of the fixed time step used offscreen.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=240))]
    fps: u32,
    /// Rendering quality; overrides the setlist's `quality`. `auto` picks `low` on a software
    /// renderer and `high` on a GPU.
    #[arg(long, value_enum)]
    quality: Option<Quality>,
    /// Fans in the audience, each with a lightstick; overrides the setlist's `audience`
    /// (the quality preset still draws a share of them).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=200_000))]
    fans: Option<u32>,
    /// Draw nothing but the camera's clear colour (for `encore bench venue`).
    #[arg(long, hide = true)]
    bare: bool,
    /// How the chat overlay looks: `side` (a narrow column at the lower right), `lower-third`
    /// (a few lines at the bottom left) or `off`; overrides the setlist's `chat: (style: ..)`.
    /// T hides and shows it in the window.
    #[arg(long, value_enum, value_name = "STYLE")]
    chat: Option<encore::chat::ChatStyle>,
    /// Replay a chat export with the show: JSON lines or `[m:ss] user: text` lines (see
    /// docs/chat.md).
    #[arg(long, value_name = "FILE")]
    chat_log: Option<PathBuf>,
    /// Save the chat as it is shown, as JSON lines that `--chat-log` reads back.
    #[arg(long, value_name = "FILE")]
    save_chat: Option<PathBuf>,
    /// How opaque the pill behind each chat message is, 0 to 1 (also a slider in the window).
    #[arg(long, value_name = "0..1", default_value_t = 0.6, value_parser = parse_unit)]
    chat_opacity: f32,
    /// The chat's text size in points, 9 to 22 (also a slider in the window).
    #[arg(long, value_name = "POINTS", default_value_t = 13.0, value_parser = parse_text_size)]
    chat_size: f32,
    /// Your name for the messages you type in the window (Enter to type, Enter to send).
    #[arg(long, value_name = "NAME")]
    chat_name: Option<String>,
    /// Only scripted, replayed and typed chat: no generated fans.
    #[arg(long)]
    no_chatter: bool,
    /// Music volume in the window, 0 to 1 (also in the transport bar).
    #[arg(long, value_name = "0..1", default_value_t = 0.8, value_parser = parse_unit)]
    volume: f32,
    /// Start with the music muted (M toggles it).
    #[arg(long)]
    mute: bool,
    /// Pour this many messages a second into the chat (for `encore bench chat`).
    #[arg(long, hide = true, default_value_t = 0)]
    chat_flood: u32,
    /// Draw the 3D scene at this share of the picture's resolution, 0.25 to 1, stretched over
    /// it (the overlay stays sharp). Offscreen the default is 1; in the window it follows the
    /// frame rate towards --target-fps unless given.
    #[arg(long, value_name = "0.25..1", value_parser = parse_render_scale)]
    render_scale: Option<f32>,
    /// The frame rate the window's render scale aims for.
    #[arg(long, value_name = "FPS", default_value_t = 30.0, value_parser = parse_target_fps)]
    target_fps: f32,
    /// The lowest render scale the window steps down to when frames come slowly, 0.25 to 1
    /// (below a half the stage gets soft on a large window).
    #[arg(long, value_name = "0.25..1", default_value_t = 0.5, value_parser = parse_render_scale)]
    min_render_scale: f32,
    /// Outlines on models whatever the quality preset says (for `encore bench race`).
    #[arg(long, hide = true)]
    outlines: bool,
    /// Time each render pass and print the means at exit (for `encore bench passes`).
    #[arg(long, hide = true)]
    pass_profile: bool,
    /// No shadow maps whatever the quality preset says (for `encore bench passes`).
    #[arg(long, hide = true)]
    no_shadows: bool,
}

/// A number from 0 to 1.
/// A render scale: a share of the picture's resolution from 0.25 to 1.
fn parse_render_scale(text: &str) -> Result<f32, String> {
    match text.parse::<f32>() {
        Ok(scale) if (0.25..=1.0).contains(&scale) => Ok(scale),
        _ => Err(format!(
            "`{text}`: give a share of the picture's resolution from 0.25 to 1, such as 0.5"
        )),
    }
}

/// A target frame rate for the window, 5 to 240.
fn parse_target_fps(text: &str) -> Result<f32, String> {
    match text.parse::<f32>() {
        Ok(fps) if (5.0..=240.0).contains(&fps) => Ok(fps),
        _ => Err(format!(
            "`{text}`: give frames per second from 5 to 240, such as 30"
        )),
    }
}

fn parse_unit(text: &str) -> Result<f32, String> {
    match text.parse::<f32>() {
        Ok(value) if (0.0..=1.0).contains(&value) => Ok(value),
        _ => Err(format!("`{text}` is not a number from 0 to 1")),
    }
}

/// A text size from 9 to 22 points.
fn parse_text_size(text: &str) -> Result<f32, String> {
    match text.parse::<f32>() {
        Ok(value) if (9.0..=22.0).contains(&value) => Ok(value),
        _ => Err(format!("`{text}` is not a text size from 9 to 22 points")),
    }
}

/// Parses `95.5` or `1:35.5` into seconds.
fn parse_start(text: &str) -> Result<f64, String> {
    let invalid =
        || format!("`{text}` is not a time; write seconds (95.5) or minutes:seconds (1:35.5)");
    let seconds = match text.split_once(':') {
        Some((minutes, seconds)) => {
            let minutes: u32 = minutes.trim().parse().map_err(|_| invalid())?;
            let seconds: f64 = seconds.trim().parse().map_err(|_| invalid())?;
            f64::from(minutes) * 60.0 + seconds
        }
        None => text.trim().parse().map_err(|_| invalid())?,
    };
    if seconds.is_finite() && seconds >= 0.0 {
        Ok(seconds)
    } else {
        Err(invalid())
    }
}

/// Parses `30..90` or `30..` into a chunk of frames.
fn parse_frames(text: &str) -> Result<(u64, Option<u64>), String> {
    let invalid =
        || format!("`{text}` is not a frame range; write FIRST..END, e.g. 0..900 or 900..");
    let (first, last) = text.split_once("..").ok_or_else(invalid)?;
    let first: u64 = first.trim().parse().map_err(|_| invalid())?;
    let last = match last.trim() {
        "" => None,
        last => Some(last.parse::<u64>().map_err(|_| invalid())?),
    };
    if last.is_some_and(|last| last <= first) {
        return Err(format!("`{text}`: the end must be after the first frame"));
    }
    Ok((first, last))
}

/// Parses `1280x720` into a size, with a message that shows the expected form.
fn parse_size(text: &str) -> Result<UVec2, String> {
    let invalid = || format!("`{text}` is not a size; write it as WIDTHxHEIGHT, e.g. 640x360");
    let (width, height) = text.split_once(['x', 'X']).ok_or_else(invalid)?;
    let width: u32 = width.trim().parse().map_err(|_| invalid())?;
    let height: u32 = height.trim().parse().map_err(|_| invalid())?;
    if !(16..=8192).contains(&width) || !(16..=8192).contains(&height) {
        return Err(format!(
            "`{text}` is out of range; width and height must be between 16 and 8192"
        ));
    }
    Ok(UVec2::new(width, height))
}

fn main() -> ExitCode {
    encore::mark_start();
    encore::ensure_runtime_dir();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Play(args) => play(args),
        Command::Record(args) => return record(args),
        Command::Join {
            chunks,
            out,
            setlist,
        } => encore::record::chunk::join(&chunks, &out, setlist.as_deref()).map(|joined| {
            println!(
                "wrote {}: {} chunks, {} frames; hash log {}",
                joined.out.display(),
                joined.chunks,
                joined.frames,
                joined.hash_log.display()
            );
        }),
        Command::Farm { target } => farm(target),
        Command::Check { setlist, shots } => return check(&setlist, shots),
        Command::Cuesheet { setlist, out } => return cuesheet(&setlist, out.as_deref()),
        Command::Music { setlist, out } => music(setlist.as_deref(), &out),
        Command::Avatar {
            command: AvatarCommand::Gen(args),
        } => avatar_gen(*args),
        Command::Avatar {
            command: AvatarCommand::Inspect { file },
        } => encore::avatar::inspect::inspect(&file)
            .map(|inspection| println!("{inspection}"))
            .map_err(anyhow::Error::from),
        Command::Motion {
            command: MotionCommand::Inspect { file, avatar },
        } => motion_inspect(&file, avatar.as_deref()),
        Command::Song {
            command: SongCommand::Analyze { file, beats },
        } => song_analyze(&file, beats),
        Command::Song {
            command:
                SongCommand::Draft {
                    file,
                    out,
                    cast,
                    title,
                    seed,
                    vocals,
                },
        } => song_draft(&file, vocals.as_deref(), &out, cast, title.as_deref(), seed),
        Command::Bench { target } => match target {
            BenchTarget::Setlist { songs, runs } => {
                encore::bench::setlist(songs, runs);
                Ok(())
            }
            BenchTarget::Chat { rate, runs } => encore::bench::chat(rate, runs),
            BenchTarget::Model { files, runs } => encore::bench::model(&files, runs),
            BenchTarget::Pmx { model, dance } => encore::bench::pmx(&model, &dance),
            BenchTarget::Venue { frames, runs } => encore::bench::venue(frames, runs),
            BenchTarget::Motion { file, runs } => {
                encore::bench::motion(&file, runs).map_err(anyhow::Error::from)
            }
            BenchTarget::Music => {
                encore::bench::music();
                Ok(())
            }
            BenchTarget::Record {
                seconds,
                size,
                fps,
                quality,
                render_scale,
            } => encore::bench::record(seconds, size, fps, &quality, &render_scale),
            BenchTarget::Race { model, seconds } => encore::bench::race(&model, seconds),
            BenchTarget::Passes { size, frames } => encore::bench::passes(size, frames),
            BenchTarget::Window {
                setlist,
                seconds,
                size,
                start,
                quality,
                target_fps,
                render_scale,
                min_render_scale,
                fluid,
            } => encore::bench::window::window(
                PlayOptions {
                    setlist,
                    size,
                    start,
                    quality,
                    target_fps,
                    render_scale,
                    min_render_scale,
                    ..PlayOptions::default()
                },
                seconds,
                fluid,
            ),
            BenchTarget::Animation => {
                encore::bench::animation(&[5, 20, 100]);
                Ok(())
            }
            BenchTarget::Soak {
                setlist,
                window,
                frames,
                minutes,
                every,
                warmup,
                size,
                start,
                quality,
                fps,
                json,
            } => encore::soak::soak(encore::soak::SoakOptions {
                play: PlayOptions {
                    setlist,
                    headless: !window,
                    size,
                    start,
                    fps,
                    quality,
                    ..PlayOptions::default()
                },
                frames,
                minutes,
                every,
                warmup,
                json,
            }),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn play(args: PlayArgs) -> anyhow::Result<()> {
    let frames = match (args.headless, args.frames) {
        // Offscreen runs always end; one second of frames unless told otherwise.
        (true, None) => Some(u64::from(args.fps)),
        (_, frames) => frames,
    };
    encore::run_play(&PlayOptions {
        setlist: args.setlist,
        headless: args.headless,
        frames,
        size: args.size,
        screenshot: args.screenshot,
        fps: args.fps,
        start: args.start,
        chunk: encore::ChunkStart::default(),
        fancam: args.fancam,
        quality: args.quality,
        fans: args.fans,
        bare: args.bare,
        chat: encore::chat::ChatOptions {
            log: args.chat_log,
            save: args.save_chat,
            style: args.chat,
            name: args.chat_name,
            flood: args.chat_flood,
            no_chatter: args.no_chatter,
            opacity: args.chat_opacity,
            font_size: args.chat_size,
        },
        audio: encore::music::AudioSettings {
            volume: args.volume,
            muted: args.mute,
            device: false,
        },
        recording: false,
        render_scale: args.render_scale,
        target_fps: args.target_fps,
        min_render_scale: args.min_render_scale,
        outlines: args.outlines.then_some(true),
        pass_profile: args.pass_profile,
        shadows: args.no_shadows.then_some(false),
    })
}

/// `encore record`: exit code 0 when complete, 130 when stopped by Ctrl-C (the file holds
/// the frames done), 1 on errors.
fn record(args: RecordArgs) -> ExitCode {
    use encore::record::{RecordOptions, Span, describe, run_record};
    let span = match (args.song, args.from, args.to) {
        (Some(song), _, _) => Span::Song(song as usize),
        (None, None, None) => Span::Whole,
        (None, from, to) => Span::Between(from.unwrap_or(0.0), to),
    };
    let options = RecordOptions {
        setlist: args.setlist,
        out: args.out,
        size: args.size,
        fps: args.fps,
        quality: args.quality,
        span,
        frames: args.frames,
        fancam: args.fancam,
        chat: if args.no_chat {
            Some(encore::chat::ChatStyle::Off)
        } else {
            args.chat
        },
        frames_dir: args.frames_dir,
        hash_log: args.hash_log,
        fans: args.fans,
        bare: args.bare,
        render_scale: args.render_scale,
        alpha: args.alpha,
        discard: args.discard,
        outlines: args.outlines.then_some(true),
        progress: true,
        resume: args.resume,
    };
    match run_record(&options) {
        Ok(report) => {
            // A resumed recording that was already complete rendered nothing.
            if report.seconds > 0.0 {
                eprintln!("{}", describe(&report));
                eprintln!("{}", encore::record::describe_timings(&report));
            }
            if let Some(path) = &args.report
                && let Err(error) = serde_json::to_string(&report)
                    .map_err(std::io::Error::other)
                    .and_then(|json| std::fs::write(path, json))
            {
                eprintln!("error: cannot write {}: {error}", path.display());
                return ExitCode::FAILURE;
            }
            if report.interrupted {
                ExitCode::from(130)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// `encore farm`: writes (and submits) the jobs.
fn farm(target: FarmTarget) -> anyhow::Result<()> {
    use encore::farm::{FarmOptions, k8s, slurm};
    let options = |farm: FarmArgs, partition: Option<String>, encore: String| {
        let span = match (farm.song, farm.from, farm.to) {
            (Some(song), _, _) => encore::record::Span::Song(song as usize),
            (None, None, None) => encore::record::Span::Whole,
            (None, from, to) => encore::record::Span::Between(from.unwrap_or(0.0), to),
        };
        let absolute = |path: PathBuf| std::path::absolute(&path).unwrap_or(path);
        FarmOptions {
            setlist: absolute(farm.setlist),
            chunks: farm.chunks,
            out: absolute(farm.out),
            partition,
            cpus: farm.cpus,
            size: farm.size,
            fps: farm.fps,
            quality: Some(farm.quality),
            span,
            encore,
        }
    };
    match target {
        FarmTarget::Slurm {
            farm,
            partition,
            submit,
            encore,
        } => {
            let binary = match encore {
                Some(path) => path,
                None => std::env::current_exe()?,
            };
            let options = options(farm, partition, binary.display().to_string());
            let (written, jobs) = slurm(&options, submit)?;
            describe_farm(&written);
            if let Some(jobs) = jobs {
                let mut ids = jobs.split(' ');
                println!(
                    "submitted: record job {} (array of {}), join job {} after it; watch with \
                     `squeue`, logs in {}",
                    ids.next().unwrap_or_default(),
                    options.chunks,
                    ids.next().unwrap_or_default(),
                    options.out.join("logs").display()
                );
            } else {
                println!(
                    "submit with: sbatch --parsable {} and then sbatch \
                     --dependency=afterok:JOBID {} (or run again with --submit)",
                    written.files[0].display(),
                    written.files[1].display()
                );
            }
            Ok(())
        }
        FarmTarget::K8s {
            farm,
            namespace,
            image,
        } => {
            let written = k8s(&options(farm, namespace, image))?;
            describe_farm(&written);
            println!(
                "apply with: kubectl apply -f {}; then, when it completes, kubectl apply -f {}",
                written.files[0].display(),
                written.files[1].display()
            );
            Ok(())
        }
    }
}

fn describe_farm(farm: &encore::farm::Farm) {
    for file in &farm.files {
        println!("wrote {}", file.display());
    }
    println!(
        "{} frames in chunks of {}; the joined video will be {}",
        farm.frames,
        farm.per_chunk,
        farm.joined.display()
    );
}

/// `encore music`: the concert's mix to a WAV file.
fn music(path: Option<&std::path::Path>, out: &std::path::Path) -> anyhow::Result<()> {
    let setlist = match path {
        Some(path) => {
            let (setlist, report) = encore::setlist::check_file(path);
            setlist.ok_or_else(|| {
                anyhow::anyhow!(
                    "{report}\nfix the setlist and run again (`encore check` lists the problems)"
                )
            })?
        }
        None => encore::setlist::Setlist::built_in(),
    };
    let started = std::time::Instant::now();
    let mix = encore::music::concert_mix(&setlist);
    for problem in &mix.problems {
        eprintln!("warning: {problem}");
    }
    let mix = mix.samples;
    encore::music::write_wav(out, &mix)
        .map_err(|error| anyhow::anyhow!("cannot write {}: {error}", out.display()))?;
    println!(
        "wrote {}: {} of music, {} samples a channel at 48 kHz, in {:.1} s",
        out.display(),
        encore::format_clock(setlist.duration()),
        mix.len() / 2,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `encore avatar gen`: the idol from a setlist's cast or from the options, written to a file.
fn avatar_gen(args: GenArgs) -> anyhow::Result<()> {
    use encore::{
        avatar::export::{IdolModel, write_idol},
        setlist::{
            model::Avatar,
            raw::{BuiltinLook, HairStyle, OutfitStyle},
        },
    };
    use encore_show::colour::Colour;
    let colour = |flag: &str, text: &str| {
        let colour = Colour::new(text);
        match colour.srgb() {
            Some(_) => Ok(colour),
            None => Err(anyhow::anyhow!(
                "--{flag} `{text}` is not a colour; write #rrggbb"
            )),
        }
    };
    let model = match (&args.from, &args.idol) {
        (Some(path), Some(id)) => {
            let (setlist, report) = encore::setlist::check_file(path);
            let setlist = setlist.ok_or_else(|| anyhow::anyhow!("{report}"))?;
            let (_, idol) = setlist.idol(id).ok_or_else(|| {
                let ids: Vec<&str> = setlist.cast.iter().map(|idol| idol.id.as_str()).collect();
                anyhow::anyhow!(
                    "{} has no idol `{id}`; its cast is: {}",
                    path.display(),
                    ids.join(", ")
                )
            })?;
            let Avatar::Builtin(look) = &idol.avatar else {
                anyhow::bail!(
                    "{} is a Model avatar in {}; only built-in idols can be generated",
                    idol.id,
                    path.display()
                );
            };
            IdolModel {
                name: idol.name.clone(),
                key: idol.id.clone(),
                height: idol.height,
                colour: idol.colour,
                look: look.clone(),
            }
        }
        _ => {
            let defaults = BuiltinLook::default();
            if !(1.4..=2.0).contains(&args.height) {
                anyhow::bail!(
                    "--height {} is out of range; use 1.4 to 2.0 metres",
                    args.height
                );
            }
            if !(0.8..=1.2).contains(&args.build) {
                anyhow::bail!("--build {} is out of range; use 0.8 to 1.2", args.build);
            }
            let look = BuiltinLook {
                build: args.build,
                skin: match &args.skin {
                    Some(text) => colour("skin", text)?,
                    None => defaults.skin,
                },
                hair: match args.hair.as_deref() {
                    Some("bob") => HairStyle::Bob,
                    Some("ponytail") => HairStyle::Ponytail,
                    Some("short") => HairStyle::Short,
                    Some("twin-tails") => HairStyle::TwinTails,
                    Some("wavy") => HairStyle::Wavy,
                    _ => HairStyle::Long,
                },
                hair_colour: match &args.hair_colour {
                    Some(text) => colour("hair-colour", text)?,
                    None => defaults.hair_colour,
                },
                outfit: match args.outfit.as_deref() {
                    Some("trousers") => OutfitStyle::Trousers,
                    Some("crop-top") => OutfitStyle::CropTop,
                    Some("coat") => OutfitStyle::Coat,
                    _ => OutfitStyle::Skirt,
                },
                outfit_colour: args
                    .outfit_colour
                    .as_deref()
                    .map(|text| colour("outfit-colour", text))
                    .transpose()?,
                accent_colour: match &args.accent_colour {
                    Some(text) => colour("accent-colour", text)?,
                    None => defaults.accent_colour,
                },
            };
            IdolModel {
                name: args.name.clone(),
                key: args.name.to_lowercase(),
                height: args.height,
                colour: colour("colour", &args.colour)?
                    .srgb()
                    .expect("checked just above"),
                look,
            }
        }
    };
    let bytes = write_idol(&args.out, &model)?;
    println!(
        "wrote {} ({} KiB): {}, {:.2} m, with expressions and {} move clips",
        args.out.display(),
        bytes / 1024,
        model.name,
        model.height,
        encore::choreography::moves::library().len()
    );
    Ok(())
}

/// `encore check`: the report on stdout, exit code 1 when there are errors.
fn check(path: &std::path::Path, shots: bool) -> ExitCode {
    let (setlist, report) = encore::setlist::check_file(path);
    if !report.diagnostics.is_empty() {
        println!("{report}");
    }
    match setlist {
        Some(setlist) => {
            if report.diagnostics.is_empty() {
                println!("{}", encore::setlist::describe(path, &setlist));
            }
            if shots {
                let plan = encore::camera::director::ShotPlan::new(&setlist);
                print!("{}", plan.describe(&setlist));
            }
            ExitCode::SUCCESS
        }
        None => ExitCode::FAILURE,
    }
}

/// `encore song analyze`.
fn song_analyze(file: &std::path::Path, beats: bool) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let (analysis, source) = encore::song::analyze_cached(file)?;
    let name = file.display().to_string();
    print!("{}", analysis.table(&name));
    let audio = file
        .file_name()
        .map_or(name.clone(), |name| name.to_string_lossy().into_owned());
    println!("\nFor a setlist (the audio path is relative to the setlist's folder):");
    println!("{}", analysis.song_snippet(&audio, &audio));
    if beats {
        println!("\nBeats (seconds):");
        for beat in &analysis.beats {
            println!("{beat:.4}");
        }
    }
    let how = match source {
        encore::song::Source::Cached => "read from the cache",
        encore::song::Source::Analysed => "analysed",
    };
    eprintln!("{how} in {:.2} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// `encore song draft`.
fn song_draft(
    file: &std::path::Path,
    vocals: Option<&std::path::Path>,
    out: &std::path::Path,
    cast: usize,
    title: Option<&str>,
    seed: u64,
) -> anyhow::Result<()> {
    let (analysis, _) = encore::song::analyze_cached(file)?;
    let drafted =
        encore::setlist::draft::draft_file(file, &analysis, vocals, out, cast, title, seed)
            .map_err(anyhow::Error::msg)?;
    for copied in &drafted.copied {
        println!(
            "copied {} beside the setlist (a setlist reads files from its own folder)",
            copied.display()
        );
    }
    println!(
        "wrote {}: {:.2} bpm, {} beats to a bar, bar 1 at {:.3} s, {} sections; play it with \
         `encore play {}`",
        drafted.setlist.display(),
        analysis.bpm,
        analysis.beats_per_bar,
        analysis.offset,
        analysis.sections.len(),
        drafted.setlist.display()
    );
    Ok(())
}

/// `encore cuesheet`: the report on stderr and exit code 1 when the setlist has errors;
/// otherwise the two files, the names of the songs without writers, and what was written.
fn cuesheet(path: &std::path::Path, out: Option<&std::path::Path>) -> ExitCode {
    use encore::cuesheet::{CueSheet, output_paths};
    let (setlist, report) = encore::setlist::check_file(path);
    let Some(setlist) = setlist else {
        eprintln!("{report}");
        eprintln!("fix the setlist and run again (`encore check` lists the problems)");
        return ExitCode::FAILURE;
    };
    let sheet = CueSheet::of(&setlist);
    let paths = output_paths(path, out);
    if let Err(error) = sheet.write(&paths) {
        eprintln!("error: {error}");
        return ExitCode::FAILURE;
    }
    if let Some(warning) = sheet.missing_writers() {
        eprintln!("warning: {warning}");
    }
    println!(
        "wrote {} and {}: {} works of \"{}\", {} in all",
        paths.csv.display(),
        paths.json.display(),
        sheet.works.len(),
        sheet.show,
        sheet.duration
    );
    ExitCode::SUCCESS
}

/// `encore motion inspect`.
fn motion_inspect(file: &std::path::Path, avatar: Option<&std::path::Path>) -> anyhow::Result<()> {
    let motion = encore::motion::Motion::read(file)?;
    let avatar = avatar.map(encore::avatar::inspect::inspect).transpose()?;
    print!("{}", encore::motion::report(file, &motion, avatar.as_ref()));
    Ok(())
}

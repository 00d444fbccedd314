//! `encore record`: the concert rendered offscreen in lockstep, every frame of the range, and
//! piped to ffmpeg with the concert's mix (or written as numbered PNGs and a WAV).
//!
//! The show runs as in `encore play --headless`; each counted frame is read back with a
//! screenshot of the offscreen target and handed, with its index, to a writer thread that
//! puts frames back in order, hashes them and feeds the encoder. Rendering never waits for
//! the encoder unless it falls eight frames behind. Ctrl-C or SIGTERM stops taking new frames,
//! lets the ones in flight land and closes the file properly; a failing encoder or disk ends
//! the run with ffmpeg's own words and leaves nothing under the final name.

pub mod chunk;
pub(crate) mod sink;

use std::{
    io::IsTerminal,
    path::PathBuf,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
        mpsc,
    },
    time::{Duration, Instant},
};

use bevy::{
    prelude::*,
    render::view::screenshot::{Screenshot, ScreenshotCaptured},
};

use self::sink::{FrameSink, Writer};
use crate::{
    AppSystems, ChunkStart, PlayOptions,
    capture::{CaptureFailure, FrameNow, OffscreenTarget, count_frames},
    chat::{ChatOptions, ChatStyle},
    format_clock,
    music::{self, synth::SAMPLE_RATE},
    setlist::{ItemKind, Setlist, raw::Quality},
};

/// Which part of the concert to record.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Span {
    /// The whole show.
    #[default]
    Whole,
    /// From a time to a time (the end when `None`), concert seconds.
    Between(f64, Option<f64>),
    /// The Nth song (from 1).
    Song(usize),
}

/// Everything `encore record` can be asked.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordOptions {
    /// The setlist; the built-in demo when `None`.
    pub setlist: Option<PathBuf>,
    /// The MP4 to write (ignored with `frames_dir`).
    pub out: PathBuf,
    /// Frame size; even numbers (H.264 with 4:2:0 colour needs them).
    pub size: UVec2,
    /// Frames per second.
    pub fps: u32,
    /// Rendering quality, overriding the setlist's.
    pub quality: Option<Quality>,
    /// Which part of the show.
    pub span: Span,
    /// Only frames `A..B` of the span (a chunk), counted from the span's start.
    pub frames: Option<(u64, Option<u64>)>,
    /// Record this member's fancam.
    pub fancam: Option<String>,
    /// How the chat overlay looks, overriding the setlist's (`Off` leaves it out).
    pub chat: Option<ChatStyle>,
    /// Write numbered PNGs and a WAV here instead of an MP4.
    pub frames_dir: Option<PathBuf>,
    /// Write one checksum per frame here.
    pub hash_log: Option<PathBuf>,
    /// Fans in the audience, overriding the setlist's.
    pub fans: Option<u32>,
    /// Draw nothing but the camera's clear colour (the benchmark's baseline).
    pub bare: bool,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// Pick up an interrupted recording where it stopped (see [`resume_point`]).
    pub resume: bool,
    /// The 3D scene's share of the frame's resolution, 0.25 to 1, stretched over it (the
    /// overlay stays sharp).
    pub render_scale: f32,
    /// Read the frames back and drop them: no file (for `encore bench race`).
    pub discard: bool,
    /// Outlines on models whatever the preset says (for `encore bench race`).
    pub outlines: Option<bool>,
    /// Keep the picture's alpha (a studio's transparent background): ProRes 4444 `.mov`,
    /// VP9 `.webm` or RGBA PNGs, straight (not premultiplied) alpha.
    pub alpha: bool,
}

impl Default for RecordOptions {
    fn default() -> Self {
        Self {
            setlist: None,
            out: PathBuf::from("concert.mp4"),
            size: UVec2::new(1280, 720),
            fps: 30,
            quality: None,
            span: Span::Whole,
            frames: None,
            fancam: None,
            chat: None,
            frames_dir: None,
            hash_log: None,
            fans: None,
            bare: false,
            progress: true,
            resume: false,
            render_scale: 1.0,
            alpha: false,
            discard: false,
            outlines: None,
        }
    }
}

/// Where the time of a recording went, in seconds summed over its frames.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Timings {
    /// Simulating: the clock, dances, camera, lights, the overlay's layout.
    pub simulate: f64,
    /// Drawing the frame and waiting for the GPU (or lavapipe).
    pub render: f64,
    /// Copying the frame back from the GPU into memory.
    pub readback: f64,
    /// Waiting for the encoder to take a frame (it runs alongside the renderer).
    pub wait: f64,
    /// The writer thread's hashing, PNG or pipe writes (alongside the renderer).
    pub encode: f64,
    /// CPU time of ffmpeg's encoding (a process of its own, alongside the renderer).
    pub ffmpeg: f64,
}

/// How a recording ended.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RecordReport {
    /// The file (or folder) written.
    pub out: PathBuf,
    /// Frames written.
    pub frames: u64,
    /// Frames asked for.
    pub wanted: u64,
    /// Stopped early by Ctrl-C or SIGTERM.
    pub interrupted: bool,
    /// Wall-clock seconds from start to the file being closed.
    pub seconds: f64,
    /// Frames per second of the output.
    pub fps: u32,
    /// Where the time went.
    pub timings: Timings,
}

impl RecordReport {
    /// Frames written per wall-clock second.
    pub fn frames_per_second(&self) -> f64 {
        self.frames as f64 / self.seconds.max(1e-9)
    }

    /// Concert seconds recorded per wall-clock second.
    pub fn realtime(&self) -> f64 {
        self.frames_per_second() / f64::from(self.fps.max(1))
    }
}

/// The concert seconds a span covers, checked against the setlist.
pub fn span_seconds(setlist: &Setlist, span: &Span) -> anyhow::Result<(f64, f64)> {
    let duration = setlist.duration();
    match span {
        Span::Whole => Ok((0.0, duration)),
        Span::Between(from, to) => {
            let to = to.unwrap_or(duration);
            if *from >= duration {
                anyhow::bail!(
                    "--from {} is past the end of the show ({})",
                    format_clock(*from),
                    format_clock(duration)
                );
            }
            if to <= *from {
                anyhow::bail!(
                    "--to {} is not after --from {}; give a later --to",
                    format_clock(to),
                    format_clock(*from)
                );
            }
            Ok((*from, to.min(duration)))
        }
        Span::Song(number) => {
            let songs: Vec<_> = setlist
                .items
                .iter()
                .filter(|item| item.kind == ItemKind::Song)
                .collect();
            let song = number
                .checked_sub(1)
                .and_then(|index| songs.get(index))
                .ok_or_else(|| {
                    anyhow::anyhow!("--song {number}: the show has songs 1 to {}", songs.len())
                })?;
            Ok((song.start, song.end()))
        }
    }
}

/// Frames `first..last` of a span of `total` frames, checked.
fn chunk(frames: Option<(u64, Option<u64>)>, total: u64) -> anyhow::Result<(u64, u64)> {
    let (first, last) = match frames {
        None => (0, total),
        Some((first, last)) => (first, last.unwrap_or(total)),
    };
    if first >= last || last > total {
        anyhow::bail!(
            "--frames {first}..{last} is outside the recording's frames 0..{total}; the last \
             number is the frame after the chunk (exclusive)"
        );
    }
    Ok((first, last))
}

/// Set by Ctrl-C or SIGTERM.
/// Seconds of video in one segment of a resumable recording: a keyframe starts each.
const SEGMENT_SECONDS: u32 = 2;

/// The options that change a recording's picture, in words, for its sidecar.
fn picture_options(options: &RecordOptions) -> String {
    let mut words = vec![format!(
        "quality {}",
        options
            .quality
            .map_or_else(|| "setlist".to_owned(), |quality| format!("{quality:?}"))
    )];
    words.push(format!(
        "chat {}",
        options
            .chat
            .map_or_else(|| "setlist".to_owned(), |chat| format!("{chat:?}"))
    ));
    if let Some(fancam) = &options.fancam {
        words.push(format!("fancam {fancam}"));
    }
    if let Some(fans) = options.fans {
        words.push(format!("fans {fans}"));
    }
    if options.bare {
        words.push("bare".to_owned());
    }
    if options.render_scale < 1.0 {
        words.push(format!("render scale {}", options.render_scale));
    }
    if options.alpha {
        words.push("alpha".to_owned());
    }
    if let Some(outlines) = options.outlines {
        words.push(format!("outlines {}", if outlines { "on" } else { "off" }));
    }
    words.join(", ")
}

/// `path` as seen from `video`'s folder: its file name when they share a folder.
fn relative_to(path: &std::path::Path, video: &std::path::Path) -> String {
    let folder = |path: &std::path::Path| {
        std::path::absolute(path)
            .ok()
            .and_then(|path| path.parent().map(std::path::Path::to_path_buf))
    };
    match (folder(path), folder(video), path.file_name()) {
        (Some(a), Some(b), Some(name)) if a == b => name.to_string_lossy().into_owned(),
        _ => std::path::absolute(path)
            .unwrap_or_else(|_| path.to_owned())
            .display()
            .to_string(),
    }
}

/// Where an interrupted recording's finished segments are kept while the rest records.
fn kept_path(out: &std::path::Path) -> PathBuf {
    let mut path = out.as_os_str().to_owned();
    path.push(".kept");
    PathBuf::from(path)
}

/// What `--resume` found.
enum Resume {
    /// The recording is already complete.
    Done(RecordReport),
    /// Keep this many frames and record the rest.
    From(u64),
}

/// How far an earlier run of the same recording got: nothing when it finished (its sidecar
/// says so), else the frames in the whole segments of its partial file (moved aside to be
/// joined with the rest), as far as its hash log has them too (the log is cut there).
fn resume_point(options: &RecordOptions, wanted: &chunk::ChunkInfo) -> anyhow::Result<Resume> {
    let out = &options.out;
    if out.is_file()
        && let Ok(done) = chunk::ChunkInfo::read(out)
        && done.frames == done.last - done.first
        && (chunk::ChunkInfo {
            frames: done.frames,
            hash_log: done.hash_log.clone(),
            hash_log_digest: done.hash_log_digest.clone(),
            ..wanted.clone()
        }) == done
    {
        eprintln!(
            "{} is complete ({} frames); nothing to resume",
            out.display(),
            done.frames
        );
        return Ok(Resume::Done(RecordReport {
            out: out.clone(),
            frames: done.frames,
            wanted: done.frames,
            interrupted: false,
            seconds: 0.0,
            fps: wanted.fps,
            timings: Timings::default(),
        }));
    }
    let mut part = out.as_os_str().to_owned();
    part.push(".part");
    let part = PathBuf::from(part);
    if !part.is_file() {
        return Ok(Resume::From(0));
    }
    // The interrupted run's encoder may still be closing the file: wait (a few seconds at
    // most) until it stops growing.
    let mut size = None;
    for _ in 0..50 {
        let now = std::fs::metadata(&part).map(|meta| meta.len()).ok();
        if now == size {
            break;
        }
        size = now;
        std::thread::sleep(Duration::from_millis(200));
    }
    let segment = u64::from(SEGMENT_SECONDS * wanted.fps);
    let packets = sink::count_video_packets(&part).unwrap_or(0);
    let mut kept = packets / segment * segment;
    if let Some(log) = &options.hash_log {
        let lines: Vec<String> = std::fs::read_to_string(log)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect();
        let expected = |index: usize| format!("{:06} ", wanted.first + index as u64);
        let good = lines
            .iter()
            .enumerate()
            .take_while(|(index, line)| line.starts_with(&expected(*index)))
            .count() as u64;
        kept = kept.min(good / segment * segment);
        let text: String = lines
            .iter()
            .take(kept as usize)
            .map(|line| format!("{line}\n"))
            .collect();
        std::fs::write(log, text)
            .map_err(|error| anyhow::anyhow!("cannot write {}: {error}", log.display()))?;
    }
    // The whole segments, as a plain MP4 of exactly that many frames; a segment cut short
    // does not count.
    let head = kept_path(out);
    while kept > 0 {
        let copied = sink::ffmpeg_run(&[
            "-i".as_ref(),
            part.as_os_str(),
            "-frames:v".as_ref(),
            kept.to_string().as_ref(),
            "-an".as_ref(),
            "-c:v".as_ref(),
            "copy".as_ref(),
            "-f".as_ref(),
            "mp4".as_ref(),
            head.as_os_str(),
        ]);
        if copied.is_ok() && sink::count_video_packets(&head) == Some(kept) {
            break;
        }
        kept -= segment;
    }
    let _ = std::fs::remove_file(&part);
    if kept == 0 {
        let _ = std::fs::remove_file(&head);
        if let Some(log) = &options.hash_log {
            let _ = std::fs::write(log, "");
        }
        return Ok(Resume::From(0));
    }
    eprintln!(
        "resuming {}: keeping frames {}..{} ({} whole segments), recording the rest",
        out.display(),
        wanted.first,
        wanted.first + kept,
        kept / segment
    );
    Ok(Resume::From(kept))
}

/// Puts `kept` (the whole segments of an interrupted run) before `rest` (the segmented MP4
/// of the frames after them) with `audio` under them, into `rest`'s place. Segmented
/// recordings have no B-frames, so their H.264 streams put end to end, at `fps`, are the
/// chunk's frames in order.
fn stitch(
    rest: &std::path::Path,
    kept: &std::path::Path,
    fps: u32,
    audio: &[f32],
) -> anyhow::Result<()> {
    let work = std::env::temp_dir().join(format!("encore-resume-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let result = (|| -> anyhow::Result<()> {
        let video = work.join("video.h264");
        sink::h264_end_to_end(&[kept, rest], &work, &video)?;
        let wav = work.join("audio.wav");
        encore_show::music::write_wav(&wav, audio)?;
        let joined = work.join("joined.mp4");
        sink::ffmpeg_run(&[
            "-fflags".as_ref(),
            "+genpts".as_ref(),
            "-framerate".as_ref(),
            fps.to_string().as_ref(),
            "-f".as_ref(),
            "h264".as_ref(),
            "-i".as_ref(),
            video.as_os_str(),
            "-i".as_ref(),
            wav.as_os_str(),
            "-map".as_ref(),
            "0:v:0".as_ref(),
            "-map".as_ref(),
            "1:a:0".as_ref(),
            "-c:v".as_ref(),
            "copy".as_ref(),
            "-c:a".as_ref(),
            "aac".as_ref(),
            "-b:a".as_ref(),
            "192k".as_ref(),
            "-shortest".as_ref(),
            "-movflags".as_ref(),
            "+faststart".as_ref(),
            joined.as_os_str(),
        ])?;
        std::fs::rename(&joined, rest).or_else(|_| std::fs::copy(&joined, rest).map(|_| ()))?;
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&work);
    if result.is_ok() {
        let _ = std::fs::remove_file(kept);
    }
    result
}

/// The frame of a span (starting at concert time `from`) where a chunk starting at frame
/// `first` begins simulating: the first frame at or after the last restart of hair and cloth
/// ([`restart_before`](encore_show::clock::restart_before)) before its first frame. A single
/// pass restarts there too, so replaying from it swings the hair the same.
fn replay_from(from: f64, fps: u32, first: u64, cuts: &[f64]) -> u64 {
    let time = |frame: u64| from + frame as f64 / f64::from(fps.max(1));
    let restart = encore_show::clock::restart_before(time(first), cuts);
    let mut frame = first;
    while frame > 0 && encore_show::clock::restart_before(time(frame - 1), cuts) == restart {
        frame -= 1;
    }
    frame
}

fn stop_flag() -> anyhow::Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, stop.clone())
            .map_err(|error| anyhow::anyhow!("cannot watch for Ctrl-C: {error}"))?;
    }
    Ok(stop)
}

/// Records the concert as `options` say. Returns how it went; errors name the fix.
pub fn run_record(options: &RecordOptions) -> anyhow::Result<RecordReport> {
    let started = Instant::now();
    if options.size.x % 2 == 1 || options.size.y % 2 == 1 {
        anyhow::bail!(
            "--size {}x{}: video needs an even width and height, e.g. {}x{}",
            options.size.x,
            options.size.y,
            options.size.x / 2 * 2,
            options.size.y / 2 * 2
        );
    }
    if options.alpha && options.resume {
        anyhow::bail!(
            "--alpha with --resume: resumable recordings are H.264 MP4 segments, which have no \
             alpha; record alpha chunks without --resume"
        );
    }
    if options.alpha && options.render_scale < 1.0 {
        anyhow::bail!(
            "--alpha with --render-scale {}: the stretched scene's edges would lose their \
             alpha; record alpha at --render-scale 1",
            options.render_scale
        );
    }
    if options.frames_dir.is_none() && !options.discard {
        sink::Codec::for_output(&options.out, options.alpha)?;
    }
    let (setlist, _) = crate::load_show(options.setlist.as_deref(), options.fancam.as_deref())?;
    let (from, to) = span_seconds(&setlist, &options.span)?;
    let fps = options.fps.max(1);
    let total = (((to - from) * f64::from(fps)).round() as u64).max(1);
    let (requested, last) = chunk(options.frames, total)?;
    let sidecar = chunk::ChunkInfo {
        encore: env!("CARGO_PKG_VERSION").to_owned(),
        setlist: match &options.setlist {
            Some(path) => Some(std::path::absolute(path)?),
            None => None,
        },
        setlist_hash: chunk::setlist_hash(options.setlist.as_deref())?,
        from,
        to,
        total,
        first: requested,
        last,
        frames: 0,
        fps,
        size: [options.size.x, options.size.y],
        options: picture_options(options),
        encoder: if options.resume {
            format!("{}, {SEGMENT_SECONDS} s segments", chunk::ENCODER)
        } else {
            chunk::ENCODER.to_owned()
        },
        hash_log: None,
        hash_log_digest: None,
    };
    // Resuming: the segments an interrupted run finished are kept; the rest is recorded.
    let resumed = if options.resume && options.frames_dir.is_none() {
        match resume_point(options, &sidecar)? {
            Resume::Done(report) => return Ok(report),
            Resume::From(kept) => kept,
        }
    } else {
        0
    };
    let first = requested + resumed;
    let start = from + first as f64 / f64::from(fps);
    let cuts = encore_show::camera::director::ShotPlan::new(&setlist).cuts();
    let chunk = ChunkStart {
        first,
        replay_from: replay_from(from, fps, first, &cuts),
    };
    let seconds = (last - first) as f64 / f64::from(fps);
    if chunk.replay_from < first {
        eprintln!(
            "chunk: replaying frames {}..{first} unwritten, from the last restart of hair and \
             cloth at {}, so they swing as in a single pass",
            chunk.replay_from,
            format_clock(from + chunk.replay_from as f64 / f64::from(fps))
        );
    }

    if options.frames_dir.is_none() {
        sink::check_ffmpeg()?;
    }
    crate::graphics::preflight(true)?;
    let rate = f64::from(SAMPLE_RATE);
    let mix = music::mix_between(
        &setlist,
        (start * rate).round() as usize,
        (seconds * rate).round() as usize,
    );
    for problem in &mix.problems {
        eprintln!("warning: {problem}");
    }
    let audio = mix.samples;
    let segments = options.resume.then_some(SEGMENT_SECONDS * fps);
    let mut sink = match &options.frames_dir {
        _ if options.discard => FrameSink::discard(),
        Some(folder) => FrameSink::pngs(folder, &audio, options.alpha)?,
        None => FrameSink::ffmpeg(
            &options.out,
            options.size,
            fps,
            &audio,
            segments,
            options.alpha,
        )?,
    };
    let hash_log = match &options.hash_log {
        Some(path) => Some(
            std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .append(resumed > 0)
                .truncate(resumed == 0)
                .open(path)
                .map_err(|error| {
                    anyhow::anyhow!("cannot write the hash log {}: {error}", path.display())
                })?,
        ),
        None => None,
    };
    let stop = stop_flag()?;

    let play = PlayOptions {
        setlist: options.setlist.clone(),
        headless: true,
        frames: None,
        size: options.size,
        screenshot: None,
        fps,
        start: from,
        chunk,
        fancam: options.fancam.clone(),
        quality: options.quality,
        fans: options.fans,
        bare: options.bare,
        chat: ChatOptions {
            style: options.chat,
            ..default()
        },
        audio: default(),
        recording: true,
        render_scale: Some(options.render_scale),
        target_fps: 30.0,
        min_render_scale: 0.5,
        outlines: options.outlines,
        pass_profile: false,
        shadows: None,
    };
    let (frames, receiver) = mpsc::sync_channel::<(u64, Vec<u8>)>(8);
    let writer = Writer::spawn(receiver, sink.take_output(options.size), hash_log, first);
    // The chunk's whole mix, for stitching a resumed chunk's parts together.
    let whole_mix = (resumed > 0).then(|| {
        music::mix_between(
            &setlist,
            ((from + requested as f64 / f64::from(fps)) * rate).round() as usize,
            ((last - requested) as f64 / f64::from(fps) * rate).round() as usize,
        )
        .samples
    });
    let mut app = crate::build_app(&play, setlist, None);
    let shared = Shared::default();
    app.insert_resource(Recorder {
        first,
        count: last - first,
        requested: 0,
        frames,
        stop: stop.clone(),
        shared: shared.clone(),
        progress: options.progress.then(|| Progress::new(last - first, fps)),
        failed: writer.failed.clone(),
        last_received: 0,
        updates_waiting: 0,
        alpha: options.alpha,
    });
    app.add_systems(
        Update,
        record_frames
            .in_set(AppSystems::Capture)
            .after(count_frames),
    );
    app.add_systems(First, start_update);
    app.add_systems(Last, end_update);
    let failure = CaptureFailure::default();
    app.insert_resource(failure.clone());
    let exit = app.run();
    drop(app);
    let written = writer.finish();
    if options.progress && std::io::stderr().is_terminal() {
        eprintln!();
    }
    let interrupted = stop.load(Ordering::Acquire);
    let written = match (written, exit) {
        (Ok(written), AppExit::Success) if written.frames > 0 => written,
        (Ok(_), AppExit::Success) => {
            anyhow::bail!("stopped before the first frame{}", sink.abandon());
        }
        (Err(problem), _) => anyhow::bail!("{problem}{}", sink.abandon()),
        (Ok(_), AppExit::Error(code)) => {
            let problem = failure
                .take()
                .unwrap_or_else(|| format!("the renderer stopped with exit code {code}"));
            anyhow::bail!("{problem}{}", sink.abandon());
        }
    };
    let out = sink.finish()?;
    if let Some(audio) = &whole_mix {
        // The kept segments, then the rest, under the chunk's whole mix.
        stitch(&out, &kept_path(&out), fps, audio)?;
    } else if segments.is_some() && options.frames_dir.is_none() {
        // A finished segmented recording becomes a plain MP4 (players and `encore join`
        // line plain ones up by their durations).
        let plain = kept_path(&out);
        sink::ffmpeg_run(&[
            "-i".as_ref(),
            out.as_os_str(),
            "-c".as_ref(),
            "copy".as_ref(),
            "-movflags".as_ref(),
            "+faststart".as_ref(),
            "-f".as_ref(),
            "mp4".as_ref(),
            plain.as_os_str(),
        ])?;
        std::fs::rename(&plain, &out)?;
    }
    if options.frames_dir.is_none() && !options.discard {
        let complete = written.frames == last - first;
        let (hash_log, hash_log_digest) = match &options.hash_log {
            Some(path) => (
                Some(relative_to(path, &out)),
                Some(chunk::file_digest(path)?),
            ),
            None => (None, None),
        };
        chunk::ChunkInfo {
            frames: resumed + written.frames,
            hash_log,
            hash_log_digest,
            ..sidecar
        }
        .write(&out)?;
        if !complete && options.resume {
            eprintln!("the recording stopped early; `--resume` with the same options picks it up");
        }
    }
    let timings = shared.timings(written);
    Ok(RecordReport {
        out,
        frames: written.frames,
        wanted: last - first,
        interrupted,
        seconds: started.elapsed().as_secs_f64(),
        fps,
        timings,
    })
}

/// What the writer thread reports back: frames written and its time.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Written {
    pub frames: u64,
    pub encode: f64,
    /// CPU seconds ffmpeg used, read just before its input closed.
    pub ffmpeg: f64,
}

/// Figures shared between the systems, the screenshot observers and the caller.
#[derive(Debug, Clone, Default)]
struct Shared(Arc<Mutex<SharedState>>);

#[derive(Debug, Default)]
struct SharedState {
    received: u64,
    timings: Timings,
    update_started: Option<Instant>,
    update_ended: Option<Instant>,
    counting: bool,
}

impl Shared {
    fn with<T>(&self, f: impl FnOnce(&mut SharedState) -> T) -> T {
        let mut state = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut state)
    }

    fn timings(&self, written: Written) -> Timings {
        self.with(|state| Timings {
            encode: written.encode,
            ffmpeg: written.ffmpeg,
            ..state.timings
        })
    }
}

/// The recording in progress.
#[derive(Resource)]
struct Recorder {
    /// Absolute index of the first frame (chunks start later).
    first: u64,
    /// Frames to record.
    count: u64,
    /// Frames asked of the renderer so far.
    requested: u64,
    frames: mpsc::SyncSender<(u64, Vec<u8>)>,
    stop: Arc<AtomicBool>,
    shared: Shared,
    progress: Option<Progress>,
    failed: Arc<Mutex<Option<sink::WriteError>>>,
    /// Frames back at the last update, and updates since that changed.
    last_received: u64,
    updates_waiting: u32,
    /// Frames keep their alpha, made straight.
    alpha: bool,
}

/// Updates without a frame coming back before the recorder gives up (frames lag two or
/// three updates behind; a model avatar's warm-up takes a few dozen).
const LOST_AFTER_UPDATES: u32 = 600;

fn start_update(recorder: Res<Recorder>) {
    recorder.shared.with(|state| {
        let now = Instant::now();
        if state.counting
            && let Some(ended) = state.update_ended
        {
            state.timings.render += (now - ended).as_secs_f64();
        }
        state.update_started = Some(now);
    });
}

fn end_update(recorder: Res<Recorder>) {
    recorder.shared.with(|state| {
        let now = Instant::now();
        if state.counting
            && let Some(started) = state.update_started
        {
            state.timings.simulate += (now - started).as_secs_f64();
        }
        state.update_ended = Some(now);
    });
}

/// Asks for this update's frame, ends the run when every frame asked for has landed (or on
/// Ctrl-C, or when the writer failed), and draws the progress bar.
fn record_frames(
    mut recorder: ResMut<Recorder>,
    now: Res<FrameNow>,
    offscreen: Res<OffscreenTarget>,
    failure: Res<CaptureFailure>,
    mut exit: MessageWriter<AppExit>,
    mut commands: Commands,
) {
    let failed = recorder
        .failed
        .lock()
        .ok()
        .and_then(|failed| failed.clone());
    let stopping = recorder.stop.load(Ordering::Acquire) || failed.is_some();
    if let Some(frame) = now.0
        && frame < recorder.count
        && !stopping
    {
        recorder.shared.with(|state| state.counting = true);
        let index = recorder.first + frame;
        let sender = recorder.frames.clone();
        let shared = recorder.shared.clone();
        let alpha = recorder.alpha;
        commands
            .spawn((
                Name::new(format!("Frame {index}")),
                Screenshot::image(offscreen.image.clone()),
            ))
            .observe(move |captured: On<ScreenshotCaptured>| {
                let took = Instant::now();
                let pixels = captured
                    .image
                    .clone()
                    .try_into_dynamic()
                    .map(|image| image.to_rgba8().into_raw())
                    .map(|mut pixels| {
                        // The renderer's blending leaves premultiplied colour.
                        if alpha {
                            encore_show::colour::unpremultiply_rgba(&mut pixels);
                        }
                        pixels
                    });
                let converted = Instant::now();
                if let Ok(pixels) = pixels {
                    // A closed channel means the writer failed; the recorder sees that.
                    let _ = sender.send((index, pixels));
                }
                let sent = Instant::now();
                shared.with(|state| {
                    state.received += 1;
                    state.timings.readback += (converted - took).as_secs_f64();
                    state.timings.wait += (sent - converted).as_secs_f64();
                });
            });
        recorder.requested = frame + 1;
    }
    let received = recorder.shared.with(|state| state.received);
    if let Some(bar) = &mut recorder.progress {
        bar.show(received);
    }
    // Frames come back a few updates after they are drawn; one that never does would
    // otherwise keep the run waiting for ever.
    if received == recorder.last_received {
        recorder.updates_waiting += 1;
    } else {
        recorder.last_received = received;
        recorder.updates_waiting = 0;
    }
    let lost = (recorder.updates_waiting > LOST_AFTER_UPDATES).then(|| {
        format!(
            "frame {} never came back from the renderer; try again, or a lower --quality",
            recorder.first + received
        )
    });
    let done = recorder.requested >= recorder.count || stopping;
    if let Some(problem) = lost {
        failure.set(problem);
        exit.write(AppExit::from_code(1));
    } else if done && received >= recorder.requested {
        if let Some(problem) = failed {
            failure.set(problem.to_string());
            exit.write(AppExit::from_code(1));
        } else {
            exit.write(AppExit::Success);
        }
    }
}

/// The progress bar: frames done, speed, realtime factor and time left.
struct Progress {
    total: u64,
    fps: u32,
    started: Instant,
    shown: Option<Instant>,
    terminal: bool,
    last_tenth: u64,
}

impl Progress {
    fn new(total: u64, fps: u32) -> Self {
        Self {
            total,
            fps,
            started: Instant::now(),
            shown: None,
            terminal: std::io::stderr().is_terminal(),
            last_tenth: 0,
        }
    }

    fn show(&mut self, done: u64) {
        let now = Instant::now();
        let due = self
            .shown
            .is_none_or(|shown| now - shown >= Duration::from_millis(250))
            || done == self.total;
        let tenth = done * 10 / self.total.max(1);
        if !due || (!self.terminal && tenth == self.last_tenth && done != self.total) {
            return;
        }
        self.shown = Some(now);
        self.last_tenth = tenth;
        let line = progress_line(
            done,
            self.total,
            self.fps,
            (now - self.started).as_secs_f64(),
        );
        if self.terminal {
            eprint!("\r{line}\x1b[K");
        } else {
            eprintln!("{line}");
        }
    }
}

/// "recording [#####-----] 120/600 frames · 2.4 fps · 0.08x realtime · 3:20 left".
pub fn progress_line(done: u64, total: u64, fps: u32, elapsed: f64) -> String {
    let width = 24;
    let filled = (done * width / total.max(1)) as usize;
    let bar: String = "#".repeat(filled) + &"-".repeat(width as usize - filled);
    let rate = done as f64 / elapsed.max(1e-9);
    let left = if done == 0 {
        "estimating".to_owned()
    } else {
        format!("{} left", format_clock((total - done) as f64 / rate))
    };
    format!(
        "recording [{bar}] {done}/{total} frames · {rate:.1} fps · {:.2}x realtime · {left}",
        rate / f64::from(fps.max(1))
    )
}

/// How a recording went, for the terminal.
pub fn describe(report: &RecordReport) -> String {
    let length = format_clock(report.frames as f64 / f64::from(report.fps.max(1)));
    let speed = format!(
        "{:.1} fps, {:.2}x realtime",
        report.frames_per_second(),
        report.realtime()
    );
    if report.interrupted {
        format!(
            "stopped after {} of {} frames: {} holds the first {length} ({speed}); record the \
             rest with --frames {}.. and join the parts (docs/recording.md)",
            report.frames,
            report.wanted,
            report.out.display(),
            report.frames
        )
    } else {
        format!(
            "wrote {}: {} frames, {length} ({speed}, {} in all)",
            report.out.display(),
            report.frames,
            format_clock(report.seconds)
        )
    }
}

/// Where a recording's time went, per frame.
pub fn describe_timings(report: &RecordReport) -> String {
    let frames = report.frames.max(1) as f64;
    let ms = |seconds: f64| seconds / frames * 1000.0;
    let timings = report.timings;
    let alongside = if timings.ffmpeg > 0.0 {
        format!(
            "the writer hashed and piped for {:.1} ms and ffmpeg encoded for {:.1} ms of CPU",
            ms(timings.encode),
            ms(timings.ffmpeg)
        )
    } else {
        format!(
            "the writer hashed and wrote PNGs for {:.1} ms",
            ms(timings.encode)
        )
    };
    format!(
        "per frame: simulate {:.1} ms · render {:.1} ms · readback {:.1} ms · waiting for the \
         encoder {:.1} ms; alongside, {alongside}",
        ms(timings.simulate - timings.readback - timings.wait),
        ms(timings.render),
        ms(timings.readback),
        ms(timings.wait),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_replays_from_the_last_restart_before_its_first_frame() {
        // A cut at 11 s: a chunk from 11.5 s replays from the cut's frame.
        assert_eq!(replay_from(10.0, 30, 45, &[11.0]), 30);
        // Before the cut nothing restarts after the span's start.
        assert_eq!(replay_from(10.0, 30, 20, &[11.0]), 0);
        // Without cuts it restarts every RESTART_EVERY seconds.
        assert_eq!(replay_from(19.5, 30, 30, &[]), 15);
        // A chunk that starts on the restart replays nothing.
        assert_eq!(replay_from(10.0, 30, 30, &[11.0]), 30);
    }

    #[test]
    fn spans_and_chunks_are_checked_with_the_fix() {
        let setlist = Setlist::built_in();
        let duration = setlist.duration();
        assert_eq!(
            span_seconds(&setlist, &Span::Whole).unwrap(),
            (0.0, duration)
        );
        let second_song = setlist
            .items
            .iter()
            .filter(|item| item.kind == ItemKind::Song)
            .nth(1)
            .unwrap();
        assert_eq!(
            span_seconds(&setlist, &Span::Song(2)).unwrap(),
            (second_song.start, second_song.end())
        );
        let message = span_seconds(&setlist, &Span::Song(9))
            .unwrap_err()
            .to_string();
        assert!(message.contains("songs 1 to"), "{message}");
        let message = span_seconds(&setlist, &Span::Between(30.0, Some(10.0)))
            .unwrap_err()
            .to_string();
        assert!(message.contains("not after"), "{message}");
        assert_eq!(
            span_seconds(&setlist, &Span::Between(10.0, Some(1e6))).unwrap(),
            (10.0, duration)
        );

        assert_eq!(chunk(None, 60).unwrap(), (0, 60));
        assert_eq!(chunk(Some((30, None)), 60).unwrap(), (30, 60));
        assert!(chunk(Some((30, Some(90))), 60).is_err());
        assert!(chunk(Some((5, Some(5))), 60).is_err());
    }

    #[test]
    fn the_progress_line_counts_speed_and_time_left() {
        let line = progress_line(60, 600, 30, 30.0);
        assert!(line.contains("60/600 frames"), "{line}");
        assert!(line.contains("2.0 fps"), "{line}");
        assert!(line.contains("0.07x realtime"), "{line}");
        assert!(line.contains("4:30.0 left"), "{line}");
        assert!(line.contains("[##----"), "{line}");
    }
}

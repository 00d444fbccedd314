//! Where recorded frames go: ffmpeg (H.264 and AAC in an MP4, written under a `.part` name
//! and renamed when complete) or a folder of numbered PNGs with the audio as a WAV; and the
//! writer thread that puts frames in order, hashes them and writes them.

use std::{
    collections::BTreeMap,
    io::{Read, Write},
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, ChildStdin, Command, Stdio},
    sync::{Arc, Mutex, mpsc},
    thread::JoinHandle,
    time::Instant,
};

use bevy::math::UVec2;

use super::Written;
use crate::music::write_wav;

/// Why the frame writer stopped.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WriteError {
    /// ffmpeg closed its input (it failed, or was killed).
    #[error("ffmpeg stopped taking frames ({0})")]
    Encoder(String),
    /// A frame's pixels do not fill the frame size.
    #[error("frame {0} has the wrong size")]
    FrameSize(u64),
    /// A PNG could not be written.
    #[error("cannot write {}: {reason}", path.display())]
    Png { path: PathBuf, reason: String },
    /// The hash log could not be written.
    #[error("cannot write the hash log: {0}")]
    HashLog(String),
    /// A frame came after the output was closed.
    #[error("the output was already closed")]
    Closed,
    /// The writer thread panicked.
    #[error("the frame writer crashed")]
    Crashed,
}

/// Where the writer thread puts each frame.
pub(super) enum Output {
    /// Raw RGBA into ffmpeg's stdin (and its process id, to read the CPU time it used).
    Pipe(ChildStdin, u32),
    /// `frame_NNNNNN.png` files in a folder, RGBA with `alpha`, RGB otherwise.
    Pngs {
        folder: PathBuf,
        size: UVec2,
        alpha: bool,
    },
    /// Nowhere: frames are read back and hashed, then dropped (for benchmarks).
    Discard,
    /// Taken by the writer already.
    Taken,
}

impl Output {
    fn write(&mut self, index: u64, pixels: Vec<u8>) -> Result<(), WriteError> {
        match self {
            Self::Pipe(stdin, _) => stdin
                .write_all(&pixels)
                .map_err(|error| WriteError::Encoder(error.to_string())),
            Self::Pngs {
                folder,
                size,
                alpha,
            } => {
                let path = folder.join(format!("frame_{index:06}.png"));
                let image = image::RgbaImage::from_raw(size.x, size.y, pixels)
                    .ok_or(WriteError::FrameSize(index))?;
                let image = image::DynamicImage::ImageRgba8(image);
                let image = if *alpha {
                    image
                } else {
                    image::DynamicImage::ImageRgb8(image.to_rgb8())
                };
                image.save(&path).map_err(|error| WriteError::Png {
                    path,
                    reason: error.to_string(),
                })
            }
            Self::Discard => Ok(()),
            Self::Taken => Err(WriteError::Closed),
        }
    }
}

/// The recording's destination and how to finish or abandon it.
pub(super) struct FrameSink {
    output: Output,
    kind: Kind,
}

enum Kind {
    Ffmpeg {
        child: Child,
        stderr: Option<JoinHandle<String>>,
        part: PathBuf,
        out: PathBuf,
        wav: PathBuf,
    },
    Pngs {
        folder: PathBuf,
    },
    Discard,
}

/// The video a recording is encoded to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// H.264 (4:2:0, CRF 18) and AAC in an MP4: no alpha.
    H264,
    /// ProRes 4444 with alpha (10-bit 4:4:4:4) and PCM audio in a QuickTime `.mov`.
    ProRes,
    /// VP9 with alpha (4:2:0 + alpha) and Opus audio in a `.webm`.
    Vp9,
}

impl Codec {
    /// The codec for `out`: with `alpha`, chosen by its extension (`.mov` or `.webm`).
    pub fn for_output(out: &Path, alpha: bool) -> anyhow::Result<Self> {
        let extension = out
            .extension()
            .and_then(|extension| extension.to_str())
            .map(str::to_ascii_lowercase);
        match (alpha, extension.as_deref()) {
            (false, _) => Ok(Self::H264),
            (true, Some("mov")) => Ok(Self::ProRes),
            (true, Some("webm")) => Ok(Self::Vp9),
            (true, _) => anyhow::bail!(
                "{}: --alpha needs a video format with an alpha channel: name it `.mov` \
                 (ProRes 4444, for editors) or `.webm` (VP9, for the web), or write PNGs \
                 that keep alpha with --frames-dir DIR",
                out.display()
            ),
        }
    }

    /// ffmpeg's arguments for the streams.
    fn args(self) -> Vec<&'static str> {
        match self {
            Self::H264 => vec![
                "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-b:a", "192k",
            ],
            Self::ProRes => vec![
                "-c:v",
                "prores_ks",
                "-profile:v",
                "4444",
                "-pix_fmt",
                "yuva444p10le",
                "-c:a",
                "pcm_s16le",
            ],
            Self::Vp9 => vec![
                "-c:v",
                "libvpx-vp9",
                "-pix_fmt",
                "yuva420p",
                "-crf",
                "24",
                "-b:v",
                "0",
                "-deadline",
                "realtime",
                "-cpu-used",
                "8",
                "-c:a",
                "libopus",
            ],
        }
    }

    /// ffmpeg's name of the container.
    fn container(self) -> &'static str {
        match self {
            Self::H264 => "mp4",
            Self::ProRes => "mov",
            Self::Vp9 => "webm",
        }
    }
}

/// How ffmpeg is missing, and what to do.
const NO_FFMPEG: &str = "ffmpeg is not installed, and it encodes the video: install it with \
                         `sudo apt-get install ffmpeg` (scripts/setup.sh does), or pass \
                         --frames-dir DIR for numbered PNG frames and a WAV";

/// Video packets ffmpeg can read in `video` (a partial segmented MP4 included).
pub fn count_video_packets(video: &Path) -> Option<u64> {
    let output = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-count_packets"])
        .args(["-show_entries", "stream=nb_read_packets", "-of", "csv=p=0"])
        .arg(video)
        .output()
        .ok()?;
    String::from_utf8_lossy(&output.stdout).trim().parse().ok()
}

/// Runs ffmpeg with `args` (quietly, overwriting), with its own words on failure.
pub fn ffmpeg_run(args: &[&std::ffi::OsStr]) -> anyhow::Result<()> {
    let output = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .output()
        .map_err(|error| anyhow::anyhow!("cannot start ffmpeg: {error}; {NO_FFMPEG}"))?;
    if !output.status.success() {
        anyhow::bail!(
            "ffmpeg failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// Writes the H.264 streams of `videos` end to end into `out` (Annex B, no timestamps), with
/// `work` for the scratch files. For segmented recordings, which have no B-frames, that
/// stream muxed at the recording's frame rate is their frames in order.
pub fn h264_end_to_end(videos: &[&Path], work: &Path, out: &Path) -> anyhow::Result<()> {
    let mut stream = Vec::new();
    let raw = work.join("part.h264");
    for video in videos {
        ffmpeg_run(&[
            "-i".as_ref(),
            video.as_os_str(),
            "-map".as_ref(),
            "0:v:0".as_ref(),
            "-c:v".as_ref(),
            "copy".as_ref(),
            "-bsf:v".as_ref(),
            "h264_mp4toannexb".as_ref(),
            "-f".as_ref(),
            "h264".as_ref(),
            raw.as_os_str(),
        ])?;
        stream.extend(std::fs::read(&raw)?);
    }
    std::fs::write(out, stream)?;
    Ok(())
}

/// Whether ffmpeg runs here; the error says how to get it or do without.
pub(super) fn check_ffmpeg() -> anyhow::Result<()> {
    match Command::new("ffmpeg")
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(status) if status.success() => Ok(()),
        _ => anyhow::bail!(NO_FFMPEG),
    }
}

impl FrameSink {
    /// Numbered PNGs and `audio.wav` in `folder` (made if missing), keeping alpha with
    /// `alpha`.
    pub fn pngs(folder: &Path, audio: &[f32], alpha: bool) -> anyhow::Result<Self> {
        if folder.is_file() {
            anyhow::bail!("--frames-dir {} is a file; give a folder", folder.display());
        }
        std::fs::create_dir_all(folder)
            .map_err(|error| anyhow::anyhow!("cannot make {}: {error}", folder.display()))?;
        let wav = folder.join("audio.wav");
        write_wav(&wav, audio)
            .map_err(|error| anyhow::anyhow!("cannot write {}: {error}", wav.display()))?;
        Ok(Self {
            output: Output::Pngs {
                folder: folder.to_owned(),
                size: UVec2::ZERO,
                alpha,
            },
            kind: Kind::Pngs {
                folder: folder.to_owned(),
            },
        })
    }

    /// Nowhere: what `encore bench race` times, the frames read back without encoding.
    pub fn discard() -> Self {
        Self {
            output: Output::Discard,
            kind: Kind::Discard,
        }
    }

    /// ffmpeg encoding `size` frames at `fps` with `audio` into `out` (via `out.part`). With
    /// `segments`, a keyframe starts every that many frames and each is its own fragment of
    /// the MP4, so a file cut short keeps every segment before the cut (`--resume`). With
    /// `alpha`, a `.mov` gets ProRes 4444 and a `.webm` VP9, both with an alpha channel.
    pub fn ffmpeg(
        out: &Path,
        size: UVec2,
        fps: u32,
        audio: &[f32],
        segments: Option<u32>,
        alpha: bool,
    ) -> anyhow::Result<Self> {
        let codec = Codec::for_output(out, alpha)?;
        check_ffmpeg()?;
        let folder = match out.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
            _ => PathBuf::from("."),
        };
        if !folder.is_dir() {
            anyhow::bail!(
                "cannot write {}: the folder {} does not exist",
                out.display(),
                folder.display()
            );
        }
        let mut part = out.as_os_str().to_owned();
        part.push(".part");
        let part = PathBuf::from(part);
        let wav = std::env::temp_dir().join(format!("encore-record-{}.wav", std::process::id()));
        write_wav(&wav, audio)
            .map_err(|error| anyhow::anyhow!("cannot write {}: {error}", wav.display()))?;
        let mut child = Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y"])
            .args(["-f", "rawvideo", "-pix_fmt", "rgba"])
            .args(["-s", &format!("{}x{}", size.x, size.y)])
            .args(["-framerate", &fps.to_string(), "-i", "pipe:0"])
            .arg("-i")
            .arg(&wav)
            .args(["-map", "0:v:0", "-map", "1:a:0"])
            .args(codec.args())
            .arg("-shortest")
            .args(match (codec, segments) {
                (Codec::H264, Some(_)) => {
                    vec!["-movflags", "+frag_keyframe+empty_moov+default_base_moof"]
                }
                (Codec::H264 | Codec::ProRes, None) => vec!["-movflags", "+faststart"],
                _ => vec![],
            })
            .args(segments.map_or_else(Vec::new, |frames| {
                let frames = frames.to_string();
                // No B-frames: a segment's first frame is shown first, so the segmented file
                // needs no edit list to start at 0 and joins end to end like a plain one.
                vec![
                    "-bf".to_owned(),
                    "0".to_owned(),
                    "-g".to_owned(),
                    frames.clone(),
                    "-keyint_min".to_owned(),
                    frames,
                    "-sc_threshold".to_owned(),
                    "0".to_owned(),
                ]
            }))
            .args(["-f", codec.container()])
            .arg(&part)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            // Its own process group: Ctrl-C in the terminal reaches encore, which then
            // closes the stream so ffmpeg finishes the file, instead of killing both.
            .process_group(0)
            .spawn()
            .map_err(|error| anyhow::anyhow!("cannot start ffmpeg: {error}; {NO_FFMPEG}"))?;
        let stdin = child.stdin.take().expect("stdin was piped");
        let stderr = child.stderr.take().map(|mut stderr| {
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = stderr.read_to_string(&mut text);
                text
            })
        });
        Ok(Self {
            output: Output::Pipe(stdin, child.id()),
            kind: Kind::Ffmpeg {
                child,
                stderr,
                part,
                out: out.to_owned(),
                wav,
            },
        })
    }

    /// The frame output, for the writer thread; PNGs learn the frame size here.
    pub fn take_output(&mut self, size: UVec2) -> Output {
        match std::mem::replace(&mut self.output, Output::Taken) {
            Output::Pngs { folder, alpha, .. } => Output::Pngs {
                folder,
                size,
                alpha,
            },
            output => output,
        }
    }

    /// ffmpeg's last words, once it has exited.
    fn ffmpeg_said(child: &mut Child, stderr: &mut Option<JoinHandle<String>>) -> String {
        let _ = child.wait();
        let text = stderr
            .take()
            .and_then(|handle| handle.join().ok())
            .unwrap_or_default();
        let lines: Vec<&str> = text
            .lines()
            .filter(|line| !line.trim().is_empty())
            .collect();
        let tail = lines[lines.len().saturating_sub(3)..].join(" / ");
        if tail.is_empty() {
            String::new()
        } else {
            format!(" (ffmpeg: {tail})")
        }
    }

    /// Gives up: stops ffmpeg, removes the partial file. Returns what ffmpeg said and where
    /// things stand, for the error.
    pub fn abandon(mut self) -> String {
        self.output = Output::Taken;
        match &mut self.kind {
            Kind::Ffmpeg {
                child,
                stderr,
                part,
                out,
                wav,
            } => {
                let _ = child.kill();
                let said = Self::ffmpeg_said(child, stderr);
                let _ = std::fs::remove_file(&*part);
                let _ = std::fs::remove_file(&*wav);
                format!("{said}; nothing was written to {}", out.display())
            }
            Kind::Pngs { folder } => {
                format!("; the frames written so far are in {}", folder.display())
            }
            Kind::Discard => String::new(),
        }
    }

    /// Closes the file: waits for ffmpeg and moves the finished video to its name.
    pub fn finish(mut self) -> anyhow::Result<PathBuf> {
        self.output = Output::Taken;
        match &mut self.kind {
            Kind::Ffmpeg {
                child,
                stderr,
                part,
                out,
                wav,
            } => {
                let status = child.wait();
                let _ = std::fs::remove_file(&*wav);
                let ok = status.as_ref().is_ok_and(|status| status.success());
                if !ok {
                    let said = Self::ffmpeg_said(child, stderr);
                    let _ = std::fs::remove_file(&*part);
                    anyhow::bail!(
                        "ffmpeg could not finish the video{said}; nothing was written to {}",
                        out.display()
                    );
                }
                std::fs::rename(&*part, &*out).map_err(|error| {
                    anyhow::anyhow!(
                        "cannot move the finished video to {}: {error}; it is at {}",
                        out.display(),
                        part.display()
                    )
                })?;
                Ok(out.clone())
            }
            Kind::Pngs { folder } => Ok(folder.clone()),
            Kind::Discard => Ok(PathBuf::new()),
        }
    }
}

/// The writer thread and the slot where it reports a failure as soon as it happens.
pub(super) struct Writer {
    handle: JoinHandle<Result<Written, WriteError>>,
    /// Set when a write fails; the recorder stops asking for frames.
    pub failed: Arc<Mutex<Option<WriteError>>>,
}

impl Writer {
    /// Starts writing frames from `frames`, the first being number `first`.
    pub fn spawn(
        frames: mpsc::Receiver<(u64, Vec<u8>)>,
        mut output: Output,
        mut hash_log: Option<std::fs::File>,
        first: u64,
    ) -> Self {
        let failed = Arc::new(Mutex::new(None));
        let report = failed.clone();
        let handle = std::thread::spawn(move || {
            let mut pending = BTreeMap::new();
            let mut next = first;
            let mut written = Written::default();
            let mut problem: Option<WriteError> = None;
            for (index, pixels) in frames {
                if problem.is_some() {
                    // Keep taking frames so the renderer never blocks on a dead writer.
                    continue;
                }
                pending.insert(index, pixels);
                while let Some(pixels) = pending.remove(&next) {
                    let started = Instant::now();
                    let result = write_hash(&mut hash_log, next, &pixels)
                        .and_then(|()| output.write(next, pixels));
                    written.encode += started.elapsed().as_secs_f64();
                    if let Err(error) = result {
                        if let Ok(mut slot) = report.lock() {
                            *slot = Some(error.clone());
                        }
                        problem = Some(error);
                        break;
                    }
                    written.frames += 1;
                    next += 1;
                }
            }
            if let Output::Pipe(_, pid) = &output {
                written.ffmpeg = cpu_seconds(*pid);
            }
            // Closing the pipe tells ffmpeg the video is complete.
            drop(output);
            match problem {
                Some(problem) => Err(problem),
                None => Ok(written),
            }
        });
        Self { handle, failed }
    }

    /// Waits for the last frame to be written.
    pub fn finish(self) -> Result<Written, WriteError> {
        self.handle.join().unwrap_or(Err(WriteError::Crashed))
    }
}

/// One line per frame: its number and the BLAKE3 hash of its RGBA pixels.
fn write_hash(
    log: &mut Option<std::fs::File>,
    index: u64,
    pixels: &[u8],
) -> Result<(), WriteError> {
    let Some(log) = log else {
        return Ok(());
    };
    writeln!(log, "{index:06} {}", blake3::hash(pixels).to_hex())
        .map_err(|error| WriteError::HashLog(error.to_string()))
}

/// CPU seconds (user and system) process `pid` has used so far, from `/proc`; 0 where that
/// cannot be read.
fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces) start at state, field 3; utime
    // and stime are fields 14 and 15, in clock ticks (100 a second on Linux).
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |index: usize| {
        fields
            .get(index)
            .and_then(|field| field.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

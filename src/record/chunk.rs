//! Chunks of one recording, rendered anywhere and joined: each MP4 that `encore record`
//! writes gets a small JSON sidecar (`VIDEO.json`) saying what it is (the setlist's hash,
//! the range and its frames, the size, rate, options and encoder, the hash log's digest), and
//! `encore join` checks a set of them belong together before it puts their video streams end
//! to end without re-encoding, lays the single pass's mix under them and writes the joined
//! hash log.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use serde::{Deserialize, Serialize};

use crate::music::synth::SAMPLE_RATE;

/// The encoder settings every chunk is written with (they must match to be joined).
pub const ENCODER: &str = "libx264 medium crf 18 yuv420p, aac 192k";

/// What a recorded video says of itself, next to it as `VIDEO.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkInfo {
    /// The encore version that rendered it.
    pub encore: String,
    /// The setlist file as given (absolute), `None` for the built-in demo.
    pub setlist: Option<PathBuf>,
    /// BLAKE3 of the setlist file's bytes ("built-in" for the demo).
    pub setlist_hash: String,
    /// The recording's range, concert seconds, and its frames at `fps`.
    pub from: f64,
    pub to: f64,
    pub total: u64,
    /// This file's frames of the range: `first..last`.
    pub first: u64,
    pub last: u64,
    /// Frames written (equal to `last - first` when complete).
    pub frames: u64,
    pub fps: u32,
    pub size: [u32; 2],
    /// Everything else that changes the picture: quality, chat, fancam, fans.
    pub options: String,
    /// How it was encoded.
    pub encoder: String,
    /// The hash log's file name (next to the video) and the BLAKE3 of its contents.
    pub hash_log: Option<String>,
    pub hash_log_digest: Option<String>,
}

impl ChunkInfo {
    /// The sidecar's path for `video`.
    pub fn path_for(video: &Path) -> PathBuf {
        let mut path = video.as_os_str().to_owned();
        path.push(".json");
        PathBuf::from(path)
    }

    /// Writes the sidecar next to `video`.
    pub fn write(&self, video: &Path) -> anyhow::Result<()> {
        let path = Self::path_for(video);
        let json = serde_json::to_string_pretty(self)?;
        std::fs::write(&path, json)
            .map_err(|error| anyhow::anyhow!("cannot write {}: {error}", path.display()))
    }

    /// Reads the sidecar of `video`.
    pub fn read(video: &Path) -> anyhow::Result<Self> {
        let path = Self::path_for(video);
        let text = std::fs::read_to_string(&path).map_err(|error| {
            anyhow::anyhow!(
                "{}: no sidecar {} ({error}); record chunks with `encore record --frames A..B`, \
                 which writes it",
                video.display(),
                path.display()
            )
        })?;
        serde_json::from_str(&text).map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))
    }

    /// What must be equal for two chunks to join, in words for a mismatch.
    fn recipe(&self) -> [(&'static str, String); 7] {
        [
            ("encore version", self.encore.clone()),
            ("setlist", self.setlist_hash.clone()),
            ("range", format!("{}..{} s", self.from, self.to)),
            ("frame rate", format!("{} fps", self.fps)),
            ("size", format!("{}x{}", self.size[0], self.size[1])),
            ("options", self.options.clone()),
            ("encoder", self.encoder.clone()),
        ]
    }
}

/// The BLAKE3 of a setlist file (or "built-in" for the demo).
pub fn setlist_hash(path: Option<&Path>) -> anyhow::Result<String> {
    match path {
        Some(path) => {
            let bytes = std::fs::read(path)
                .map_err(|error| anyhow::anyhow!("cannot read {}: {error}", path.display()))?;
            Ok(blake3::hash(&bytes).to_hex().to_string())
        }
        None => Ok("built-in".to_owned()),
    }
}

/// The BLAKE3 of a file's contents.
pub fn file_digest(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path)
        .map_err(|error| anyhow::anyhow!("cannot read {}: {error}", path.display()))?;
    Ok(blake3::hash(&bytes).to_hex().to_string())
}

/// A chunk as `encore join` found it.
struct Found {
    video: PathBuf,
    info: ChunkInfo,
    hashes: Vec<String>,
}

/// Checks `videos` are the complete, contiguous chunks of one recording; names the first
/// that is not. Returns them in frame order.
fn check_chunks(videos: &[PathBuf], setlist: Option<&Path>) -> anyhow::Result<Vec<Found>> {
    if videos.is_empty() {
        anyhow::bail!("no chunks to join; name the chunk videos, e.g. chunk-*.mp4");
    }
    let mut found = Vec::new();
    for video in videos {
        if !video.is_file() {
            anyhow::bail!("{}: no such video", video.display());
        }
        let info = ChunkInfo::read(video)?;
        if info.frames != info.last - info.first {
            anyhow::bail!(
                "{}: incomplete, {} of its {} frames ({}..{}); record it again (or finish it \
                 with --resume)",
                video.display(),
                info.frames,
                info.last - info.first,
                info.first,
                info.last
            );
        }
        let hashes: Vec<String> = match &info.hash_log {
            Some(name) => {
                let log = video.parent().unwrap_or(Path::new(".")).join(name);
                let digest = file_digest(&log)?;
                if Some(&digest) != info.hash_log_digest.as_ref() {
                    anyhow::bail!(
                        "{}: its hash log {} changed since it was recorded",
                        video.display(),
                        log.display()
                    );
                }
                std::fs::read_to_string(&log)?
                    .lines()
                    .map(str::to_owned)
                    .collect()
            }
            None => anyhow::bail!(
                "{}: recorded without --hash-log, so its frames cannot be checked; record \
                 chunks with --hash-log",
                video.display()
            ),
        };
        if hashes.len() as u64 != info.frames {
            anyhow::bail!(
                "{}: its hash log has {} lines for {} frames",
                video.display(),
                hashes.len(),
                info.frames
            );
        }
        found.push(Found {
            video: video.clone(),
            info,
            hashes,
        });
    }
    let reference = &found[0];
    for chunk in &found[1..] {
        for ((what, ours), (_, theirs)) in chunk.info.recipe().iter().zip(reference.info.recipe()) {
            if *ours != theirs {
                anyhow::bail!(
                    "{}: its {what} ({ours}) differs from {}'s ({theirs}); chunks join only \
                     when recorded from the same setlist with the same options",
                    chunk.video.display(),
                    reference.video.display()
                );
            }
        }
    }
    if let Some(path) = setlist {
        let hash = setlist_hash(Some(path))?;
        if hash != reference.info.setlist_hash {
            anyhow::bail!(
                "{} is not the setlist the chunks were recorded from (it changed, or another \
                 file); record them again or name the right one",
                path.display()
            );
        }
    }
    let total = reference.info.total;
    found.sort_by_key(|chunk| chunk.info.first);
    let mut next = 0;
    for (index, chunk) in found.iter().enumerate() {
        let (first, last) = (chunk.info.first, chunk.info.last);
        if first > next {
            anyhow::bail!(
                "frames {next}..{first} are missing: no chunk covers them (before {})",
                chunk.video.display()
            );
        }
        if first < next {
            let other = &found[index - 1].video;
            let what = if first == found[index - 1].info.first {
                "duplicates"
            } else {
                "overlaps"
            };
            anyhow::bail!(
                "{} {what} {} (frames {first}..{next}); join each frame's chunk once",
                chunk.video.display(),
                other.display()
            );
        }
        next = last;
    }
    if next != total {
        anyhow::bail!(
            "frames {next}..{total} are missing: the chunks stop at frame {next} of {total}"
        );
    }
    Ok(found)
}

/// What `encore join` wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Joined {
    pub out: PathBuf,
    pub hash_log: PathBuf,
    pub frames: u64,
    pub chunks: usize,
}

/// Joins `videos` (chunks of one recording, any order) into `out`, with the single pass's
/// mix, and writes the joined hash log next to it (`OUT.hashes`). Nothing is overwritten.
pub fn join(videos: &[PathBuf], out: &Path, setlist: Option<&Path>) -> anyhow::Result<Joined> {
    let hash_log = out.with_extension("hashes");
    for existing in [out, hash_log.as_path()] {
        if existing.exists() {
            anyhow::bail!(
                "{} exists; encore join does not overwrite, so move it or name another -o",
                existing.display()
            );
        }
    }
    let chunks = check_chunks(videos, setlist)?;
    let info = chunks[0].info.clone();
    // The single pass's mix, from the setlist the chunks were recorded from.
    let source = setlist.map(Path::to_path_buf).or(info.setlist.clone());
    let (show, _) = crate::load_show(source.as_deref(), fancam_of(&info.options))?;
    let rate = f64::from(SAMPLE_RATE);
    let mix = crate::music::mix_between(
        &show,
        (info.from * rate).round() as usize,
        (info.total as f64 / f64::from(info.fps) * rate).round() as usize,
    );
    let work = std::env::temp_dir().join(format!("encore-join-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let result = (|| -> anyhow::Result<()> {
        let wav = work.join("mix.wav");
        encore_show::music::write_wav(&wav, &mix.samples)?;
        let mut part = out.as_os_str().to_owned();
        part.push(".part");
        let part = PathBuf::from(part);
        let mut ffmpeg = Command::new("ffmpeg");
        ffmpeg.args(["-hide_banner", "-loglevel", "error", "-y"]);
        if info.encoder.contains("segments") {
            // Segmented chunks (`--resume`) have no B-frames: their H.264 streams put end to
            // end are the recording's, frame for frame, at the rate given.
            let stream = work.join("video.h264");
            let videos: Vec<&Path> = chunks.iter().map(|chunk| chunk.video.as_path()).collect();
            crate::record::sink::h264_end_to_end(&videos, &work, &stream)?;
            ffmpeg
                .args(["-fflags", "+genpts", "-framerate", &info.fps.to_string()])
                .args(["-f", "h264", "-i"])
                .arg(&stream);
        } else {
            // Plain chunks line up by their durations in ffmpeg's concat list.
            let list = work.join("chunks.txt");
            let mut lines = String::new();
            for chunk in &chunks {
                let absolute = std::fs::canonicalize(&chunk.video)?;
                let quoted = absolute.display().to_string().replace('\'', "'\\''");
                lines.push_str(&format!("file '{quoted}'\n"));
            }
            std::fs::write(&list, lines)?;
            ffmpeg.args(["-f", "concat", "-safe", "0", "-i"]).arg(&list);
        }
        let output = ffmpeg
            .arg("-i")
            .arg(&wav)
            .args(["-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy"])
            .args(["-c:a", "aac", "-b:a", "192k", "-shortest"])
            .args(["-movflags", "+faststart", "-f", "mp4"])
            .arg(&part)
            .output()
            .map_err(|error| anyhow::anyhow!("cannot start ffmpeg: {error}"))?;
        if !output.status.success() {
            let _ = std::fs::remove_file(&part);
            anyhow::bail!(
                "ffmpeg could not join the chunks: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        std::fs::rename(&part, out)?;
        let joined: Vec<&str> = chunks
            .iter()
            .flat_map(|chunk| chunk.hashes.iter().map(String::as_str))
            .collect();
        std::fs::write(&hash_log, joined.join("\n") + "\n")?;
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&work);
    result?;
    Ok(Joined {
        out: out.to_owned(),
        hash_log,
        frames: info.total,
        chunks: chunks.len(),
    })
}

/// The fancam named in a chunk's options, if any.
fn fancam_of(options: &str) -> Option<&str> {
    options
        .split(", ")
        .find_map(|part| part.strip_prefix("fancam "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(folder: &Path, name: &str, first: u64, last: u64) -> PathBuf {
        let video = folder.join(format!("{name}.mp4"));
        std::fs::write(&video, b"video").unwrap();
        let log = folder.join(format!("{name}.hashes"));
        let lines: String = (first..last)
            .map(|frame| format!("{frame:06} h\n"))
            .collect();
        std::fs::write(&log, &lines).unwrap();
        ChunkInfo {
            encore: "1".into(),
            setlist: None,
            setlist_hash: "built-in".into(),
            from: 0.0,
            to: 1.0,
            total: 30,
            first,
            last,
            frames: last - first,
            fps: 30,
            size: [64, 36],
            options: "quality low".into(),
            encoder: ENCODER.into(),
            hash_log: Some(format!("{name}.hashes")),
            hash_log_digest: Some(blake3::hash(lines.as_bytes()).to_hex().to_string()),
        }
        .write(&video)
        .unwrap();
        video
    }

    #[test]
    fn missing_duplicated_overlapping_and_mismatched_chunks_are_named() {
        let folder = std::env::temp_dir().join(format!("encore-chunks-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&folder);
        std::fs::create_dir_all(&folder).unwrap();
        let a = chunk(&folder, "a", 0, 10);
        let b = chunk(&folder, "b", 10, 20);
        let c = chunk(&folder, "c", 20, 30);
        let message = |videos: &[PathBuf]| match check_chunks(videos, None) {
            Ok(_) => "ok".to_owned(),
            Err(error) => error.to_string(),
        };
        assert_eq!(
            message(&[c.clone(), a.clone(), b.clone()]),
            "ok",
            "any order"
        );
        assert!(message(&[a.clone(), c.clone()]).contains("frames 10..20 are missing"));
        assert!(message(&[a.clone(), b.clone()]).contains("frames 20..30 are missing"));
        assert!(message(&[a.clone(), a.clone(), b.clone(), c.clone()]).contains("duplicates"));
        let wide = chunk(&folder, "wide", 5, 20);
        let text = message(&[a.clone(), wide, c.clone()]);
        assert!(
            text.contains("wide.mp4 overlaps") && text.contains("a.mp4"),
            "{text}"
        );
        // Another size: named, with what differs.
        let other = chunk(&folder, "other", 10, 20);
        let mut info = ChunkInfo::read(&other).unwrap();
        info.size = [128, 72];
        info.write(&other).unwrap();
        let text = message(&[a.clone(), other, c.clone()]);
        assert!(text.contains("other.mp4: its size (128x72)"), "{text}");
        // A tampered hash log, an incomplete chunk, a missing sidecar.
        std::fs::write(folder.join("b.hashes"), "000010 x\n").unwrap();
        assert!(message(&[a.clone(), b.clone(), c.clone()]).contains("changed since"));
        let mut info = ChunkInfo::read(&c).unwrap();
        info.frames = 4;
        info.write(&c).unwrap();
        assert!(message(std::slice::from_ref(&c)).contains("incomplete, 4 of its 10 frames"));
        std::fs::remove_file(ChunkInfo::path_for(&a)).unwrap();
        assert!(message(&[a]).contains("no sidecar"));
        let _ = std::fs::remove_dir_all(&folder);
    }
}

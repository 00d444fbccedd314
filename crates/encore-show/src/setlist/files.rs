//! What a setlist's files hold (sound files' lengths, motions, vocal stems' mouths, models),
//! read once and kept by path, modification time and size. Checking a saved setlist reads only
//! the files that changed since the last check, so a live reload costs the parse and the
//! checks, not the I/O (nor a vocal stem's analysis).

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::Arc,
    time::SystemTime,
};

use crate::{
    audio::AudioError,
    avatar::inspect::{Inspection, ModelFileError, credit_line, inspect},
    motion::{Motion, MotionError},
    setlist::model::{Avatar, Idol},
    song::voice::MouthTrack,
    song::{Analysis, SongError},
};

/// A file as it was when read: modified time and length.
type Stamp = (SystemTime, u64);

fn stamp(path: &Path) -> Option<Stamp> {
    let metadata = std::fs::metadata(path).ok()?;
    Some((metadata.modified().ok()?, metadata.len()))
}

#[derive(Debug, Clone, Default)]
struct Entry {
    stamp: Option<Stamp>,
    audio_seconds: Option<Result<f64, AudioError>>,
    motion: Option<Result<Arc<Motion>, MotionError>>,
    mouth: Option<Result<Arc<MouthTrack>, AudioError>>,
    inspection: Option<Result<Arc<Inspection>, Arc<ModelFileError>>>,
    song: Option<Result<Arc<Analysis>, SongError>>,
}

/// The referenced files read so far. Keep one per watched setlist and hand it to
/// [`check_with`](super::validate::check_with) each time.
#[derive(Debug, Clone, Default)]
pub struct FileCache {
    entries: HashMap<PathBuf, Entry>,
    reads: usize,
}

impl FileCache {
    /// The entry for `path`, emptied when the file changed since it was read.
    fn entry(&mut self, path: &Path) -> &mut Entry {
        let now = stamp(path);
        let entry = self.entries.entry(path.to_owned()).or_default();
        if entry.stamp != now || now.is_none() {
            *entry = Entry {
                stamp: now,
                ..Entry::default()
            };
        }
        entry
    }

    /// What `read` makes of the file at `path`, from the cache while the file is unchanged.
    fn cached<T: Clone>(
        &mut self,
        path: &Path,
        slot: fn(&mut Entry) -> &mut Option<T>,
        read: impl FnOnce(&Path) -> T,
    ) -> T {
        let entry = self.entry(path);
        if let Some(known) = slot(entry) {
            return known.clone();
        }
        let value = read(path);
        *slot(entry) = Some(value.clone());
        self.reads += 1;
        value
    }

    /// The length of the sound file at `path` in seconds.
    pub fn audio_seconds(&mut self, path: &Path) -> Result<f64, AudioError> {
        self.cached(
            path,
            |entry| &mut entry.audio_seconds,
            crate::audio::audio_seconds,
        )
    }

    /// The motion file at `path`, read.
    pub fn motion(&mut self, path: &Path) -> Result<Arc<Motion>, MotionError> {
        self.cached(
            path,
            |entry| &mut entry.motion,
            |path| Motion::read(path).map(Arc::new),
        )
    }

    /// The song at `path` analysed (tempo, beats, sections): kept while the file is
    /// unchanged, and between runs in the user's cache folder by the hash of its bytes.
    pub fn song_analysis(&mut self, path: &Path) -> Result<Arc<Analysis>, SongError> {
        self.cached(
            path,
            |entry| &mut entry.song,
            |path| crate::song::analyze_cached(path).map(|(analysis, _)| Arc::new(analysis)),
        )
    }

    /// The vocal stem at `path`, analysed into the mouth it sings.
    pub fn mouth_track(&mut self, path: &Path) -> Result<Arc<MouthTrack>, AudioError> {
        self.cached(
            path,
            |entry| &mut entry.mouth,
            |path| MouthTrack::analyse(path).map(Arc::new),
        )
    }

    /// The model file at `path`, inspected (format, humanoid map, expressions, licence...).
    pub fn inspection(&mut self, path: &Path) -> Result<Arc<Inspection>, Arc<ModelFileError>> {
        self.cached(
            path,
            |entry| &mut entry.inspection,
            |path| inspect(path).map(Arc::new).map_err(Arc::new),
        )
    }

    /// The credit lines of the cast's model avatars (author and licence, read from the files,
    /// each inspected once); a file that cannot be read has none.
    pub fn credit_lines(&mut self, cast: &[Idol]) -> Vec<String> {
        cast.iter()
            .filter_map(|idol| match &idol.avatar {
                Avatar::Model(path) if path != Path::new("") => {
                    credit_line(&idol.name, &*self.inspection(path).ok()?)
                }
                _ => None,
            })
            .collect()
    }

    /// Whether a file read so far has been saved (or has appeared, or gone) since.
    pub fn changed(&self) -> bool {
        self.entries
            .iter()
            .any(|(path, entry)| stamp(path) != entry.stamp)
    }

    /// Forgets what changed files held, taking their new stamps, so that [`changed`] is false
    /// until the next save. Called after a check: files it did not read again (a broken save,
    /// or files the setlist no longer names) do not ask for another check at every look.
    ///
    /// [`changed`]: Self::changed
    pub fn settle(&mut self) {
        for (path, entry) in &mut self.entries {
            let now = stamp(path);
            if entry.stamp != now {
                *entry = Entry {
                    stamp: now,
                    ..Entry::default()
                };
            }
        }
    }

    /// How many times a file was read (not answered from the cache), for tests and benches.
    pub fn reads(&self) -> usize {
        self.reads
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_read_again_only_when_it_changes() {
        let folder = std::env::temp_dir().join(format!("encore-file-cache-{}", std::process::id()));
        std::fs::create_dir_all(&folder).expect("temp dir is writable");
        let song = folder.join("song.wav");
        crate::music::write_wav(&song, &vec![0.0; 48_000 * 2]).expect("writable");
        let mut cache = FileCache::default();
        assert_eq!(cache.audio_seconds(&song), Ok(1.0));
        assert_eq!(cache.audio_seconds(&song), Ok(1.0));
        assert_eq!(cache.reads(), 1);
        assert!(!cache.changed());
        // Saved again, longer: read again.
        crate::music::write_wav(&song, &vec![0.0; 48_000 * 4]).expect("writable");
        assert!(cache.changed());
        cache.settle();
        assert!(!cache.changed());
        assert_eq!(cache.audio_seconds(&song), Ok(2.0));
        assert_eq!(cache.reads(), 2);
        // A missing file is an error every time it is asked for, and not kept.
        let missing = folder.join("missing.wav");
        assert!(cache.audio_seconds(&missing).is_err());
        assert!(cache.motion(&missing).is_err());
        let _ = std::fs::remove_dir_all(&folder);
    }

    #[test]
    fn checking_a_save_again_reads_no_file_that_did_not_change() {
        let folder = std::env::temp_dir().join(format!("encore-recheck-{}", std::process::id()));
        std::fs::create_dir_all(&folder).expect("temp dir is writable");
        crate::music::write_wav(&folder.join("song.wav"), &vec![0.0; 48_000 * 2 * 8])
            .expect("writable");
        let path = folder.join("show.ron");
        let source = |title: &str| {
            format!(
                r##"Concert(title: "{title}", cast: [(id: "a", name: "A", colour: "#ff0000")],
                    program: [Song(title: "One", bpm: 120, audio: "song.wav")])"##
            )
        };
        let mut files = FileCache::default();
        let (first, report) = super::super::check_with(&path, &source("First"), &mut files);
        assert!(first.is_some(), "{report}");
        assert_eq!(files.reads(), 1);
        // The author edits the title: nothing is read again, the song still lasts 8 s.
        let (second, _) = super::super::check_with(&path, &source("Second"), &mut files);
        assert_eq!(files.reads(), 1);
        assert_eq!(second.map(|setlist| setlist.duration()), Some(8.0));
        let _ = std::fs::remove_dir_all(&folder);
    }
}

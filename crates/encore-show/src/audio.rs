//! Sound files' length, for the checker: a song without a written length lasts as long as
//! its audio. The mix decodes the samples (`music::decode`).

use std::{
    fs::File,
    path::{Path, PathBuf},
};

use rodio::{Decoder, Source};

/// Why a sound file cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AudioError {
    /// The file cannot be opened.
    #[error("cannot open {}: {reason}", path.display())]
    Open { path: PathBuf, reason: String },
    /// Its bytes are not a sound format encore decodes.
    #[error(
        "{} is not a sound file encore can read ({reason}); save it as ogg (Vorbis), wav, \
         flac or mp3",
        path.display()
    )]
    NotSound { path: PathBuf, reason: String },
    /// It decodes to nothing (cut short, or empty).
    #[error("{} has no sound in it; check that it is not cut short", path.display())]
    Silent { path: PathBuf },
}

pub(crate) fn open(path: &Path) -> Result<Decoder<std::io::BufReader<File>>, AudioError> {
    let file = File::open(path).map_err(|error| AudioError::Open {
        path: path.to_owned(),
        reason: error.to_string(),
    })?;
    Decoder::try_from(file).map_err(|error| AudioError::NotSound {
        path: path.to_owned(),
        reason: error.to_string(),
    })
}

/// The length of a sound file in seconds: from its header when it has one, else by decoding it.
pub fn audio_seconds(path: &Path) -> Result<f64, AudioError> {
    let decoder = open(path)?;
    if let Some(length) = decoder.total_duration() {
        return Ok(length.as_secs_f64());
    }
    let channels = f64::from(decoder.channels().get());
    let rate = f64::from(decoder.sample_rate().get());
    let samples = decoder.count();
    if samples == 0 {
        return Err(AudioError::Silent {
            path: path.to_owned(),
        });
    }
    Ok(samples as f64 / channels / rate)
}

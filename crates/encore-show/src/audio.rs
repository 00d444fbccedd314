//! Sound files' length, for the checker: a song without a written length lasts as long as
//! its audio; and their samples (`decode`), for the mix and the song analysis.

pub mod decode;

use std::{
    fs::File,
    io::Write,
    path::{Path, PathBuf},
};

use rodio::{Decoder, Source};

/// Samples a second of everything encore plays, mixes and analyses.
pub const SAMPLE_RATE: u32 = 48_000;

/// Stereo samples, interleaved left/right.
pub type Stereo = Vec<f32>;

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

/// Writes stereo samples as a 16-bit PCM WAV file.
pub fn write_wav(path: &Path, samples: &[f32]) -> std::io::Result<()> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let data = (samples.len() * 2) as u32;
    file.write_all(b"RIFF")?;
    file.write_all(&(36 + data).to_le_bytes())?;
    file.write_all(b"WAVEfmt ")?;
    file.write_all(&16u32.to_le_bytes())?;
    file.write_all(&1u16.to_le_bytes())?;
    file.write_all(&2u16.to_le_bytes())?;
    file.write_all(&SAMPLE_RATE.to_le_bytes())?;
    file.write_all(&(SAMPLE_RATE * 4).to_le_bytes())?;
    file.write_all(&4u16.to_le_bytes())?;
    file.write_all(&16u16.to_le_bytes())?;
    file.write_all(b"data")?;
    file.write_all(&data.to_le_bytes())?;
    for sample in samples {
        let value = (sample.clamp(-1.0, 1.0) * f32::from(i16::MAX)) as i16;
        file.write_all(&value.to_le_bytes())?;
    }
    file.flush()
}

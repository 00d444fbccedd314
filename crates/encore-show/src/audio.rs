//! Sound files' length, for the checker: a song without a written length lasts as long as
//! its audio. The mix decodes the samples (`music::decode`).

use std::{fs::File, path::Path};

use rodio::{Decoder, Source};

/// The formats encore decodes, for messages.
const FORMATS: &str = "ogg (Vorbis), wav, flac or mp3";

pub(crate) fn open(path: &Path) -> Result<Decoder<std::io::BufReader<File>>, String> {
    let file =
        File::open(path).map_err(|error| format!("cannot open {}: {error}", path.display()))?;
    Decoder::try_from(file).map_err(|error| {
        format!(
            "{} is not a sound file encore can read ({error}); save it as {FORMATS}",
            path.display()
        )
    })
}

/// The length of a sound file in seconds: from its header when it has one, else by decoding it.
pub fn audio_seconds(path: &Path) -> Result<f64, String> {
    let decoder = open(path)?;
    if let Some(length) = decoder.total_duration() {
        return Ok(length.as_secs_f64());
    }
    let channels = f64::from(decoder.channels().get());
    let rate = f64::from(decoder.sample_rate().get());
    let samples = decoder.count();
    if samples == 0 {
        return Err(format!(
            "{} has no sound in it; check that it is not cut short",
            path.display()
        ));
    }
    Ok(samples as f64 / channels / rate)
}

//! The setlist: the RON document that describes a concert, read and checked into a
//! [`Setlist`].
//!
//! - `time`: seconds or musical positions, resolved through a song's beat grid.
//! - `codes`: the ISRC and ISWC in a song's credits, read and normalised.
//! - `raw`: serde types mirroring the file.
//! - `locate`, `diagnostics`: where problems are, printed like a compiler.
//! - `validate`: raw to [`Setlist`], collecting every problem at once.
//! - `model`: the checked setlist and its time queries.
//! - `cues`: firing cues exactly once as the playhead moves.

pub mod codes;
pub mod cues;
pub mod diagnostics;
pub mod draft;
pub mod files;
pub mod locate;
pub mod model;
pub mod raw;
pub mod time;
pub mod validate;

use std::path::Path;

pub use self::{
    diagnostics::Report,
    files::FileCache,
    model::{Cue, CueAction, Item, ItemKind, LightCue, Setlist, ShowPosition, SongCredits},
    validate::{check, check_file, check_file_with, check_with},
};

/// The demo concert compiled into the binary: what `encore play` shows without a file.
pub const BUILT_IN_SOURCE: &str = include_str!("../../../scenes/demo.ron");

impl Setlist {
    /// The built-in demo concert.
    pub fn built_in() -> Self {
        let (setlist, report) = check(Path::new("scenes/demo.ron"), BUILT_IN_SOURCE);
        // `built_in_demo_is_valid` checks this file on every test run.
        setlist.unwrap_or_else(|| panic!("the built-in demo setlist is invalid:\n{report}"))
    }
}

/// One line about a checked setlist, for `encore check`.
pub fn describe(path: &Path, setlist: &Setlist) -> String {
    let songs = setlist
        .items
        .iter()
        .filter(|item| item.kind == ItemKind::Song)
        .count();
    format!(
        "{}: ok: \"{}\", {} idols, {} items ({songs} songs), {} cues, {}",
        path.display(),
        setlist.title,
        setlist.cast.len(),
        setlist.items.len(),
        setlist.cues.len(),
        crate::clock::format_clock(setlist.duration()),
    )
}

/// A valid setlist of `songs` songs in the demo's style (with an MC after every fifth), for
/// benchmarks and tests.
pub fn generated_setlist(songs: usize) -> String {
    use std::fmt::Write;
    let ids = ["hana", "yuna", "mira", "seo", "jiwoo"];
    let mut text = String::from("Concert(\n  title: \"Generated\",\n  seed: 7,\n  cast: [\n");
    for (index, id) in ids.iter().enumerate() {
        let _ = writeln!(
            text,
            "    (id: \"{id}\", name: \"{id}\", colour: \"#{:02x}80c0\"),",
            index * 50
        );
    }
    text.push_str("  ],\n  program: [\n");
    for song in 0..songs {
        let lead = ids[song % ids.len()];
        let _ = write!(
            text,
            "    Song(title: \"Song {song}\", bpm: {}, length: \"bar 33\",\n      \
             sections: [(kind: Intro, bars: (1, 4), formation: Line), \
             (kind: Verse, bars: (5, 12), formation: V), \
             (kind: Chorus, bars: (13, 24), formation: Diamond), \
             (kind: Outro, bars: (25, 32), formation: CenterSolo(\"{lead}\"))],\n      \
             lines: [(bars: (5, 8), idols: [\"{lead}\"]), (bars: (13, 24), idols: [\"hana\", \"yuna\"])],\n      \
             dance: [(bars: (1, 32), move: StepTouch, canon: 0.5)],\n      \
             camera: [(at: \"bar 1\", shot: Wide), (at: \"bar 5\", shot: CloseUp(\"{lead}\")), \
             (at: \"bar 13\", shot: Medium, until: \"bar 25\")],\n      \
             lights: [(at: 0.0, look: Warm), (at: \"13:1\", look: Member(\"{lead}\"), fade: 0.0)],\n      \
             effects: [(at: \"bar 13\", effect: Confetti)],\n      \
             chat: [(at: 2.5, from: \"fan{song}\", text: \"song {song}!\")],\n    ),\n",
            100 + song % 60,
        );
        if song % 5 == 4 {
            text.push_str("    Talk(title: \"MC\", seconds: 30, speakers: [\"hana\"]),\n");
        }
    }
    text.push_str("  ],\n)\n");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_setlists_check_clean() {
        let source = generated_setlist(12);
        let (setlist, report) = check(Path::new("generated.ron"), &source);
        assert!(report.diagnostics.is_empty(), "{report}");
        let setlist = setlist.expect("no errors");
        assert_eq!(setlist.items.len(), 12 + 2);
    }

    #[test]
    fn built_in_demo_is_valid() {
        let (setlist, report) = check(Path::new("scenes/demo.ron"), BUILT_IN_SOURCE);
        assert!(setlist.is_some(), "{report}");
    }
}

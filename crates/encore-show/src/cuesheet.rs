//! The cue sheet: the report a performance-rights society (ASCAP, JASRAC, KOMCA...) asks a
//! concert for, so that the people who wrote the songs are paid for their performance. Every
//! song performed, in show order and encore included, with its registered title, artists,
//! writers, publishers, ISRC and ISWC, and when and how long it was played. MC talk,
//! intermissions and the encore call are not works and are left out.
//!
//! `encore cuesheet` writes it twice: as CSV (RFC 4180) for spreadsheets and a society's
//! upload form, and as JSON for programs.

use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};

use crate::setlist::{Setlist, SongCredits};

/// A concert's cue sheet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CueSheet {
    /// The show's title.
    pub show: String,
    /// Length of the whole show, seconds (to the millisecond).
    pub duration_seconds: f64,
    /// Length of the whole show, `h:mm:ss.s`.
    pub duration: String,
    /// The songs performed, in order.
    pub works: Vec<Work>,
}

/// One song performed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Work {
    /// Its place among the songs, from 1.
    pub number: usize,
    /// Title, people and codes (their fields sit beside `number` in the JSON).
    #[serde(flatten)]
    pub credits: SongCredits,
    /// When it starts in the show, `h:mm:ss.s`.
    pub start: String,
    /// When it starts in the show, seconds (to the millisecond).
    pub start_seconds: f64,
    /// How long it is played, seconds (to the millisecond).
    pub duration_seconds: f64,
    /// How long it is played, `m:ss`.
    pub duration: String,
    /// Whether it is played in the encore.
    pub encore: bool,
    /// The name of its audio file, if it has one (encore synthesizes the others).
    pub audio: Option<String>,
}

/// The columns of the CSV, in order.
pub const CSV_COLUMNS: [&str; 15] = [
    "number",
    "title",
    "artists",
    "composers",
    "lyricists",
    "arrangers",
    "publishers",
    "isrc",
    "iswc",
    "start",
    "start_seconds",
    "duration_seconds",
    "duration",
    "encore",
    "audio",
];

/// What a CSV cell holding a list of people puts between them.
pub const PEOPLE_SEPARATOR: &str = "; ";

/// Why a cue sheet could not be written.
#[derive(Debug, thiserror::Error)]
pub enum CueSheetError {
    /// The folder for it could not be made.
    #[error("cannot make the folder {}: {source}", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Seconds rounded to the millisecond, so the files do not carry float noise.
fn milliseconds(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

/// `h:mm:ss.s`, rounded to the tenth.
pub fn format_hms(seconds: f64) -> String {
    let tenths = (seconds.max(0.0) * 10.0).round() as u64;
    format!(
        "{}:{:02}:{:02}.{}",
        tenths / 36_000,
        tenths / 600 % 60,
        tenths / 10 % 60,
        tenths % 10
    )
}

/// `m:ss`, rounded to the second; minutes go past 59 rather than into hours, as cue sheets
/// write a work's duration.
pub fn format_ms(seconds: f64) -> String {
    let whole = seconds.max(0.0).round() as u64;
    format!("{}:{:02}", whole / 60, whole % 60)
}

impl CueSheet {
    /// The cue sheet of a checked setlist.
    pub fn of(setlist: &Setlist) -> Self {
        let works = setlist
            .items
            .iter()
            .filter_map(|item| Some((item, item.credits.as_ref()?)))
            .enumerate()
            .map(|(index, (item, credits))| Work {
                number: index + 1,
                credits: credits.clone(),
                start: format_hms(item.start),
                start_seconds: milliseconds(item.start),
                duration_seconds: milliseconds(item.duration),
                duration: format_ms(item.duration),
                encore: item.encore,
                audio: item
                    .audio
                    .as_ref()
                    .and_then(|audio| Some(audio.path.file_name()?.to_string_lossy().into_owned())),
            })
            .collect();
        Self {
            show: setlist.title.clone(),
            duration_seconds: milliseconds(setlist.duration()),
            duration: format_hms(setlist.duration()),
            works,
        }
    }

    /// The CSV: a header row, then a row a work, lines ending in CRLF (RFC 4180). People
    /// are joined with [`PEOPLE_SEPARATOR`]; `encore` is `yes` or `no`.
    pub fn to_csv(&self) -> String {
        let mut csv = String::new();
        push_row(
            &mut csv,
            CSV_COLUMNS.iter().map(|column| (*column).to_owned()),
        );
        for work in &self.works {
            let people = |list: &[String]| list.join(PEOPLE_SEPARATOR);
            let credits = &work.credits;
            push_row(
                &mut csv,
                [
                    work.number.to_string(),
                    credits.title.clone(),
                    people(&credits.artists),
                    people(&credits.composers),
                    people(&credits.lyricists),
                    people(&credits.arrangers),
                    people(&credits.publishers),
                    credits.isrc.clone().unwrap_or_default(),
                    credits.iswc.clone().unwrap_or_default(),
                    work.start.clone(),
                    format!("{:.3}", work.start_seconds),
                    format!("{:.3}", work.duration_seconds),
                    work.duration.clone(),
                    if work.encore { "yes" } else { "no" }.to_owned(),
                    work.audio.clone().unwrap_or_default(),
                ],
            );
        }
        csv
    }

    /// The JSON, indented, ending in a newline.
    pub fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self)
            .expect("a cue sheet is text, numbers, booleans and lists, all of which JSON holds");
        json.push('\n');
        json
    }

    /// One line naming the songs without composers or lyricists (a society cannot pay writers
    /// it is not told about), or `None` when every song has both.
    pub fn missing_writers(&self) -> Option<String> {
        let lacking: Vec<String> = self
            .works
            .iter()
            .filter_map(|work| {
                let missing: Vec<&str> = [
                    ("composers", work.credits.composers.is_empty()),
                    ("lyricists", work.credits.lyricists.is_empty()),
                ]
                .into_iter()
                .filter_map(|(role, empty)| empty.then_some(role))
                .collect();
                (!missing.is_empty()).then(|| {
                    format!(
                        "{} \u{201c}{}\u{201d} (no {})",
                        work.number,
                        work.credits.title,
                        missing.join(" or ")
                    )
                })
            })
            .collect();
        if lacking.is_empty() {
            return None;
        }
        Some(format!(
            "{} of {} songs lack writer credits: {}; add them under the song's `credits:` \
             (an instrumental has no lyricists)",
            lacking.len(),
            self.works.len(),
            lacking.join(", ")
        ))
    }

    /// Writes the CSV and the JSON to `paths` (see [`output_paths`]), making their folder.
    pub fn write(&self, paths: &CueSheetPaths) -> Result<(), CueSheetError> {
        for path in [&paths.csv, &paths.json] {
            if let Some(folder) = path
                .parent()
                .filter(|folder| !folder.as_os_str().is_empty())
            {
                std::fs::create_dir_all(folder).map_err(|source| CueSheetError::Folder {
                    path: folder.to_path_buf(),
                    source,
                })?;
            }
        }
        for (path, text) in [(&paths.csv, self.to_csv()), (&paths.json, self.to_json())] {
            std::fs::write(path, text).map_err(|source| CueSheetError::Write {
                path: path.clone(),
                source,
            })?;
        }
        Ok(())
    }
}

/// Appends one CSV record, quoting the fields that need it.
fn push_row(csv: &mut String, fields: impl IntoIterator<Item = String>) {
    for (index, field) in fields.into_iter().enumerate() {
        if index > 0 {
            csv.push(',');
        }
        if field.contains([',', '"', '\r', '\n']) {
            let _ = write!(csv, "\"{}\"", field.replace('"', "\"\""));
        } else {
            csv.push_str(&field);
        }
    }
    csv.push_str("\r\n");
}

/// Where the two files of a cue sheet go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CueSheetPaths {
    /// The CSV.
    pub csv: PathBuf,
    /// The JSON.
    pub json: PathBuf,
}

/// Where `encore cuesheet SETLIST [-o OUT]` writes: `STEM.cuesheet.csv` and `.json` beside the
/// setlist (`STEM` its name without `.ron`); with `OUT` a folder (one that exists, or written
/// with a trailing `/`), the same names in it; with any other `OUT`, `OUT.csv` and `OUT.json`
/// (a `.csv` or `.json` on it is dropped first).
pub fn output_paths(setlist: &Path, out: Option<&Path>) -> CueSheetPaths {
    let stem = setlist
        .file_stem()
        .map_or_else(|| "setlist".into(), |stem| stem.to_string_lossy());
    let named = |folder: &Path| CueSheetPaths {
        csv: folder.join(format!("{stem}.cuesheet.csv")),
        json: folder.join(format!("{stem}.cuesheet.json")),
    };
    match out {
        None => named(setlist.parent().unwrap_or(Path::new(""))),
        Some(out) if out.is_dir() || out.as_os_str().to_string_lossy().ends_with(['/', '\\']) => {
            named(out)
        }
        Some(out) => {
            let base = match out.extension() {
                Some(extension) if extension == "csv" || extension == "json" => {
                    out.with_extension("")
                }
                _ => out.to_path_buf(),
            };
            let with = |extension: &str| {
                let mut path = base.clone().into_os_string();
                path.push(".");
                path.push(extension);
                PathBuf::from(path)
            };
            CueSheetPaths {
                csv: with("csv"),
                json: with("json"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setlist::{ItemKind, SongCredits};

    #[test]
    fn every_song_is_a_work_in_show_order_with_the_setlists_times() {
        let setlist = Setlist::built_in();
        let sheet = CueSheet::of(&setlist);
        let songs: Vec<_> = setlist
            .items
            .iter()
            .filter(|item| item.kind == ItemKind::Song)
            .collect();
        assert_eq!(sheet.works.len(), songs.len());
        assert_eq!(
            sheet.works.len(),
            3,
            "the demo's MC and encore call are not works"
        );
        for (work, item) in sheet.works.iter().zip(&songs) {
            assert!((work.start_seconds - item.start).abs() < 5e-4, "{work:?}");
            assert!(
                (work.duration_seconds - item.duration).abs() < 5e-4,
                "{work:?}"
            );
            assert_eq!(work.encore, item.encore);
        }
        assert_eq!(
            sheet
                .works
                .iter()
                .map(|work| work.number)
                .collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert!(!sheet.works[0].encore && sheet.works[2].encore);
        assert_eq!(
            sheet.works[1].credits.title,
            "Neon Heartbeat (Starlight Live Version)"
        );
        assert_eq!(
            sheet.works[0].credits.iswc.as_deref(),
            Some("T-926.040.128-3")
        );
        assert_eq!(sheet.works[0].credits.artists, ["encore"]);
        // Starlight Signal: 36 bars of 4 beats at 128 bpm.
        assert_eq!(sheet.works[0].duration, "1:08");
        assert_eq!(sheet.works[0].start, "0:00:00.0");
        assert!((sheet.duration_seconds - setlist.duration()).abs() < 5e-4);
        assert_eq!(sheet.missing_writers(), None);
    }

    #[test]
    fn times_are_written_as_clocks() {
        assert_eq!(format_hms(0.0), "0:00:00.0");
        assert_eq!(format_hms(69.44), "0:01:09.4");
        assert_eq!(format_hms(59.96), "0:01:00.0");
        assert_eq!(format_hms(3_723.25), "1:02:03.3");
        assert_eq!(format_ms(67.5), "1:08");
        assert_eq!(format_ms(59.4), "0:59");
        assert_eq!(format_ms(3_725.0), "62:05");
    }

    fn tricky_sheet() -> CueSheet {
        let mut setlist = Setlist::built_in();
        let credits = setlist.items[0]
            .credits
            .as_mut()
            .expect("the first item is a song");
        *credits = SongCredits {
            title: "Hello, \"World\"\nReprise".into(),
            artists: vec!["A, B".into(), "C".into()],
            composers: vec!["D".into()],
            ..SongCredits::default()
        };
        CueSheet::of(&setlist)
    }

    #[test]
    fn csv_quotes_commas_quotes_and_newlines_and_joins_people() {
        let csv = tricky_sheet().to_csv();
        let mut rows = csv.split("\r\n");
        assert_eq!(rows.next(), Some(CSV_COLUMNS.join(",").as_str()));
        let first = rows.next().expect("a row for the first song");
        assert!(
            first.starts_with(
                "1,\"Hello, \"\"World\"\"\nReprise\",\"A, B; C\",D,,,,,,0:00:00.0,0.000,"
            ),
            "{first}"
        );
        assert!(first.ends_with(",1:08,no,"), "{first}");
        // Every record ends in CRLF, the last one too, and a bare LF only appears quoted.
        assert!(csv.ends_with("\r\n"));
        assert_eq!(csv.matches("\r\n").count(), 1 + 3);
        // The last song is in the encore and has every column.
        let last = csv.trim_end().rsplit("\r\n").next().expect("rows");
        assert!(
            last.starts_with("3,Forever Encore,encore,Lumen Park,"),
            "{last}"
        );
        assert!(last.contains(",XX-ENC-26-00003,T-926.040.130-7,"), "{last}");
        assert!(last.ends_with(",yes,"), "{last}");
    }

    #[test]
    fn json_reads_back_to_the_same_sheet() {
        for sheet in [CueSheet::of(&Setlist::built_in()), tricky_sheet()] {
            let json = sheet.to_json();
            let back: CueSheet = serde_json::from_str(&json).expect("encore's own JSON reads");
            assert_eq!(back, sheet);
        }
        let json = CueSheet::of(&Setlist::built_in()).to_json();
        let value: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
        assert_eq!(value["show"], "encore: Starlight Live");
        assert_eq!(value["works"][2]["encore"], true);
        assert_eq!(value["works"][1]["composers"][0], "Neo Beatsmith");
    }

    #[test]
    fn songs_without_writers_are_named_in_one_warning() {
        let sheet = tricky_sheet();
        let warning = sheet
            .missing_writers()
            .expect("the first song has no lyricists");
        assert!(
            warning.starts_with("1 of 3 songs lack writer credits: 1 \u{201c}Hello,"),
            "{warning}"
        );
        assert!(warning.contains("(no lyricists)"), "{warning}");
        let (bare, report) = crate::setlist::check(
            Path::new("bare.ron"),
            "Concert(title: \"T\", cast: [(id: \"a\", name: \"A\", colour: \"#ffffff\")], \
             program: [Song(title: \"S\", bpm: 120, length: 8.0)])",
        );
        let sheet = CueSheet::of(&bare.unwrap_or_else(|| panic!("{report}")));
        assert_eq!(sheet.works[0].credits.artists, Vec::<String>::new());
        assert_eq!(sheet.works[0].audio, None);
        assert!(
            sheet.missing_writers().is_some_and(
                |line| line.contains("1 \u{201c}S\u{201d} (no composers or lyricists)")
            )
        );
    }

    #[test]
    fn the_files_go_beside_the_setlist_in_a_folder_or_at_a_stem() {
        let paths = output_paths(Path::new("scenes/demo.ron"), None);
        assert_eq!(paths.csv, Path::new("scenes/demo.cuesheet.csv"));
        assert_eq!(paths.json, Path::new("scenes/demo.cuesheet.json"));
        let paths = output_paths(Path::new("demo.ron"), Some(Path::new("reports/")));
        assert_eq!(paths.csv, Path::new("reports/demo.cuesheet.csv"));
        let folder = std::env::temp_dir();
        let paths = output_paths(Path::new("demo.ron"), Some(&folder));
        assert_eq!(paths.json, folder.join("demo.cuesheet.json"));
        let paths = output_paths(Path::new("demo.ron"), Some(Path::new("out/tokyo")));
        assert_eq!(
            (paths.csv.as_path(), paths.json.as_path()),
            (Path::new("out/tokyo.csv"), Path::new("out/tokyo.json"))
        );
        let paths = output_paths(Path::new("demo.ron"), Some(Path::new("out/tokyo.csv")));
        assert_eq!(paths.json, Path::new("out/tokyo.json"));
        let paths = output_paths(Path::new("demo.ron"), Some(Path::new("out/night.2")));
        assert_eq!(paths.csv, Path::new("out/night.2.csv"));
    }
}

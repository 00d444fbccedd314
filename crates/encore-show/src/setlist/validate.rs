//! From RON text to a checked [`Setlist`]: syntax errors from the RON parser, then every
//! semantic problem at once (unknown ids, impossible times, missing files...), each located
//! in the source with a hint.

use std::{
    collections::HashSet,
    path::{Component, Path, PathBuf},
    sync::Arc,
};

use glam::Vec2;

use super::{
    codes,
    diagnostics::{Diagnostic, LineCol, Report, offset_of},
    files::FileCache,
    locate::{Node, Step},
    model::{
        Audience, Audio, Avatar, Cue, CueAction, Dance, Idol, Item, ItemKind, LightCue, Line,
        PlayedMotion, Section, Setlist, ShotCue, SongCredits, Vocals,
    },
    raw::{
        Ambience, Background, Formation, Look, Move, Ocean, OrAuto, RawAvatar, RawChat, RawConcert,
        RawDance, RawEffect, RawItem, RawLight, RawOcean, RawSegment, RawShot, RawSong,
        SectionKind, Shot, Transition, Venue,
    },
    time::{BeatGrid, TimeSpec},
};
use crate::{
    colour::{Colour, Srgb},
    motion::Motion,
    song::TempoShape,
};

/// The grid musical times in talk, intermission and encore segments resolve through.
pub const SEGMENT_GRID: BeatGrid = BeatGrid {
    bpm: 120.0,
    beats_per_bar: 4,
};

/// The longest a single program item may last (a day): longer is a typo, and keeps every
/// time finite.
const MAX_ITEM_SECONDS: f64 = 86_400.0;

/// The largest audience, lightsticks included.
pub const MAX_FANS: u32 = 200_000;

/// The RON options setlists are read with: `Some(..)` may be left out around optional values,
/// and `Song(title: ..)` needs no inner parentheses.
pub fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(
        ron::extensions::Extensions::IMPLICIT_SOME
            | ron::extensions::Extensions::UNWRAP_VARIANT_NEWTYPES,
    )
}

/// Parses and checks `source`, the text of `file`. Paths in the setlist resolve against
/// `file`'s folder. Returns the setlist when there are no errors, and the report either way.
pub fn check(file: &Path, source: &str) -> (Option<Setlist>, Report) {
    check_with(file, source, &mut FileCache::default())
}

/// Like [`check`], taking what the setlist's files hold from `files` (reading only those
/// that are new or changed since it last read them).
pub fn check_with(file: &Path, source: &str, files: &mut FileCache) -> (Option<Setlist>, Report) {
    let mut report = Report::new(file, source);
    let raw: RawConcert = match ron_options().from_str(source) {
        Ok(raw) => raw,
        Err(error) => {
            report.diagnostics.push(match not_a_setlist(source) {
                Some(diagnostic) => diagnostic,
                None => syntax_diagnostic(source, &error),
            });
            return (None, report);
        }
    };
    let folder = match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut checker = Checker {
        tree: Node::parse(source),
        source,
        folder,
        diagnostics: Vec::new(),
        ids: raw.cast.iter().map(|idol| idol.id.clone()).collect(),
        files,
    };
    let setlist = checker.concert(&raw);
    report.diagnostics = checker.diagnostics;
    report.sort();
    let setlist = (!report.has_errors()).then_some(setlist);
    (setlist, report)
}

/// Reads and checks the setlist at `path`; an unreadable file is a one-problem report.
pub fn check_file(path: &Path) -> (Option<Setlist>, Report) {
    check_file_with(path, &mut FileCache::default())
}

/// Like [`check_file`], with what the setlist's files hold taken from (and kept in) `files`.
pub fn check_file_with(path: &Path, files: &mut FileCache) -> (Option<Setlist>, Report) {
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(source) => check_with(path, &source, files),
            Err(error) => {
                let mut report = Report::new(path, "");
                let valid = error.utf8_error().valid_up_to();
                report.diagnostics.push(
                    Diagnostic::error(0..0, format!("byte {valid} is not UTF-8 text"))
                        .with_hint("save the setlist as UTF-8 text"),
                );
                (None, report)
            }
        },
        Err(error) => {
            let mut report = Report::new(path, "");
            let message = match error.kind() {
                std::io::ErrorKind::NotFound => "no such file".to_owned(),
                _ => format!("cannot read the file: {error}"),
            };
            report.diagnostics.push(
                Diagnostic::error(0..0, message)
                    .with_hint("check the path; setlists usually live in `scenes/`"),
            );
            (None, report)
        }
    }
}

/// A file that does not even start like a setlist (a README, a model, a motion file): one
/// problem saying so, instead of RON's first complaint about it.
fn not_a_setlist(source: &str) -> Option<Diagnostic> {
    let mut rest = source.trim_start_matches('\u{feff}');
    let start = loop {
        let trimmed = rest.trim_start();
        if let Some(comment) = trimmed.strip_prefix("//") {
            rest = comment.split_once('\n').map_or("", |(_, after)| after);
        } else if let Some(comment) = trimmed.strip_prefix("/*") {
            rest = comment.split_once("*/").map_or("", |(_, after)| after);
        } else {
            break trimmed;
        }
    };
    if start.is_empty() || start.starts_with("Concert") || start.starts_with("#!") {
        return None;
    }
    let at = source.len() - start.len();
    let end = start
        .find(char::is_whitespace)
        .map_or(source.len(), |end| at + end);
    Some(
        Diagnostic::error(
            at..end,
            "this is not a setlist: a setlist starts with `Concert(`",
        )
        .with_hint("a setlist is written in RON, starting with `Concert(`; see scenes/minimal.ron"),
    )
}

fn syntax_diagnostic(source: &str, error: &ron::error::SpannedError) -> Diagnostic {
    let at = |position: ron::error::Position| {
        offset_of(
            source,
            LineCol {
                line: position.line,
                col: position.col,
            },
        )
    };
    let mut start = at(error.span.start);
    let mut end = at(error.span.end).max(start);
    if error.code == ron::Error::ExpectedComma {
        // RON notices the missing comma at the next value; the comma belongs right after
        // the previous one, which is where a person looks for it.
        let before = source[..start].trim_end();
        if !before.is_empty() {
            start = before.len();
            end = start;
        }
    }
    let friendly = |name: &Option<String>| {
        name.as_deref().map_or("this value".to_owned(), |name| {
            format!("`{}`", name.trim_start_matches("Raw"))
        })
    };
    use ron::Error as E;
    let (message, hint) = match &error.code {
        E::MissingStructField { field, outer } => (
            format!("{} is missing the field `{field}`", friendly(outer)),
            Some(format!(
                "add `{field}: ...`; docs/setlist.md lists every field"
            )),
        ),
        E::NoSuchStructField {
            expected,
            found,
            outer,
        } => (
            format!("{} has no field `{found}`", friendly(outer)),
            Some(suggest(found, expected, "fields")),
        ),
        E::NoSuchEnumVariant {
            expected,
            found,
            outer,
        } => (
            format!(
                "`{found}` is not one of the choices for {}",
                friendly(outer)
            ),
            Some(suggest(found, expected, "choices")),
        ),
        E::DuplicateStructField { field, outer } => (
            format!("`{field}` is written twice in {}", friendly(outer)),
            Some("keep one of them".to_owned()),
        ),
        _ if source.trim().is_empty() => (
            "the file is empty".to_owned(),
            Some("a setlist starts with `Concert(`; scenes/minimal.ron is the smallest".to_owned()),
        ),
        // Running out of text, whatever RON expected next: a save cut short or a missing
        // closing bracket.
        _ if source[start..].trim().is_empty() || error.code == E::Eof => (
            "the file ends before the concert is complete".to_owned(),
            Some("a closing `)` or `]` is probably missing".to_owned()),
        ),
        E::ExpectedNamedStructLike(name) if name.trim_start_matches("Raw") == "Concert" => (
            "expected `Concert(`".to_owned(),
            Some(
                "a setlist is written in RON, starting with `Concert(`; see scenes/minimal.ron"
                    .to_owned(),
            ),
        ),
        E::ExpectedNamedStructLike(name) => (
            format!(
                "expected `(` to open a `{}`",
                name.trim_start_matches("Raw")
            ),
            Some("docs/setlist.md shows how each part is written".to_owned()),
        ),
        E::ExpectedFloat | E::ExpectedInteger => (
            "expected a number".to_owned(),
            Some("write numbers without quotes, e.g. `bpm: 120`".to_owned()),
        ),
        E::ExpectedBoolean => ("expected `true` or `false`".to_owned(), None),
        E::ExpectedComma => (
            "expected a comma".to_owned(),
            Some("separate fields and list entries with `,`".to_owned()),
        ),
        E::TrailingCharacters => (
            "unexpected text after the concert's closing `)`".to_owned(),
            Some("a setlist is one `Concert(...)`; check for an extra `)`".to_owned()),
        ),
        E::ExpectedString | E::ExpectedStringEnd => (
            error.code.to_string(),
            Some("text goes in double quotes: \"like this\"".to_owned()),
        ),
        code => (code.to_string(), None),
    };
    let diagnostic = Diagnostic::error(start..end, message);
    match hint {
        Some(hint) => diagnostic.with_hint(hint),
        None => diagnostic,
    }
}

/// "did you mean `x`?" when one expected name is close, else the list of names.
fn suggest(found: &str, expected: &[&str], what: &str) -> String {
    let names: Vec<String> = expected.iter().map(|name| (*name).to_owned()).collect();
    suggest_owned(found, &names, what)
}

fn suggest_owned(found: &str, expected: &[String], what: &str) -> String {
    let closest = expected
        .iter()
        .map(|name| {
            (
                edit_distance(&found.to_lowercase(), &name.to_lowercase()),
                name,
            )
        })
        .min();
    let list = expected
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match closest {
        Some((distance, name)) if distance <= 2.max(found.len() / 3) => {
            format!("did you mean `{name}`? The {what} are {list}")
        }
        _ => format!("the {what} are {list}"),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

/// Spacing of the default line-up, metres.
const LINE_SPACING: f32 = 1.6;

/// Default home mark of idol `index` of `count`: a shallow arc across the front of the stage.
pub fn default_home(index: usize, count: usize) -> Vec2 {
    let spacing = LINE_SPACING.min(10.0 / count.max(1) as f32);
    let offset = index as f32 - (count as f32 - 1.0) / 2.0;
    let reach = offset * spacing / LINE_SPACING;
    Vec2::new(offset * spacing, 0.6 - 0.25 * reach * reach)
}

type Path_<'a> = Vec<Step<'a>>;

fn join<'a>(base: &[Step<'a>], more: &[Step<'a>]) -> Path_<'a> {
    let mut path = base.to_vec();
    path.extend_from_slice(more);
    path
}

struct Checker<'files> {
    tree: Node,
    /// The text, for the few words serde cannot tell apart (`Auto` and a misspelt word).
    source: &'files str,
    folder: PathBuf,
    diagnostics: Vec<Diagnostic>,
    ids: Vec<String>,
    /// What the referenced files hold, each read once.
    files: &'files mut FileCache,
}

use Step::{Field, Index};

impl Checker<'_> {
    fn span(&self, path: &[Step]) -> std::ops::Range<usize> {
        self.tree.locate(path)
    }

    fn error(&mut self, path: &[Step], message: impl Into<String>, hint: impl Into<String>) {
        let diagnostic = Diagnostic::error(self.span(path), message).with_hint(hint);
        self.diagnostics.push(diagnostic);
    }

    fn warning(&mut self, path: &[Step], message: impl Into<String>, hint: impl Into<String>) {
        let diagnostic = Diagnostic::warning(self.span(path), message).with_hint(hint);
        self.diagnostics.push(diagnostic);
    }

    /// Reads the motion file `written` at `path` (once per file), checking that it has a body
    /// to dance (`body`) or a camera path to follow.
    fn motion(
        &mut self,
        path: &[Step],
        written: &str,
        body: bool,
    ) -> Option<(PathBuf, Arc<Motion>)> {
        let resolved = self.file(path, written, "motion")?;
        let motion = match self.files.motion(&resolved) {
            Ok(motion) => motion,
            Err(error) => {
                self.error(
                    path,
                    error.to_string(),
                    "encore dances .vmd (MikuMikuDance), .bvh (motion capture) and .vrma \
                     (VRM animation) files",
                );
                return None;
            }
        };
        if body && !motion.has_body() {
            self.error(
                path,
                format!("`{written}` is a camera motion, not a dance"),
                format!("play it as a camera shot: `shot: Motion(\"{written}\")`"),
            );
            return None;
        }
        if !body && !motion.has_camera() {
            self.error(
                path,
                format!("`{written}` holds no camera keyframes"),
                "a camera motion is a VMD saved from MikuMikuDance's camera; dance motions go \
                 in `dance: [(bars: (1, 8), move: Motion(\"dance.vmd\"))]`",
            );
            return None;
        }
        Some((resolved, motion))
    }

    fn concert(&mut self, raw: &RawConcert) -> Setlist {
        let cast = self.cast(raw);
        let audience = Audience {
            fans: raw.audience.fans.min(MAX_FANS),
            colour: self
                .colour(&[Field("audience"), Field("colour")], &raw.audience.colour)
                .unwrap_or(Srgb::new(1.0, 0.54, 0.85)),
        };
        if let Venue::Studio {
            background: Background::Colour(colour),
        } = &raw.venue
        {
            self.colour(&[Field("venue"), Field("background")], colour);
        }
        if raw.audience.fans > MAX_FANS {
            self.error(
                &[Field("audience"), Field("fans")],
                format!("{} fans is more than encore draws", raw.audience.fans),
                format!("use at most {MAX_FANS}"),
            );
        }
        if raw.program.is_empty() {
            self.error(
                &[Field("program")],
                "the program is empty",
                "add a song: `program: [Song(title: \"...\", bpm: 120, length: \"bar 33\")]`",
            );
        }
        let mut items = Vec::new();
        let mut cues = Vec::new();
        let mut start = 0.0;
        let mut encore = false;
        for (index, item) in raw.program.iter().enumerate() {
            let path = [Field("program"), Index(index)];
            if matches!(item, RawItem::Encore(_)) {
                if encore {
                    self.warning(
                        &path,
                        "a second encore call",
                        "concerts usually have one `Encore`; the songs after it are the encore",
                    );
                }
                encore = true;
            }
            let mut built = match item {
                RawItem::Song(song) => self.song(&path, song, start, index, &mut cues),
                RawItem::Talk(segment)
                | RawItem::Intermission(segment)
                | RawItem::Encore(segment) => {
                    self.segment(&path, segment, ItemKind::of(item), start, index, &mut cues)
                }
            };
            built.encore = encore && !matches!(item, RawItem::Encore(_));
            start = built.end();
            items.push(built);
        }
        cues.sort_by(|a: &Cue, b: &Cue| a.at.total_cmp(&b.at));
        let credits = self.files.credit_lines(&cast);
        Setlist {
            title: raw.title.clone(),
            venue: raw.venue.clone(),
            seed: raw.seed,
            quality: raw.quality,
            audience,
            chat_filter: raw.chat_filter.clone(),
            chat_style: raw.chat.style,
            cast,
            items,
            cues,
            credits,
        }
    }

    fn cast(&mut self, raw: &RawConcert) -> Vec<Idol> {
        if raw.cast.is_empty() {
            self.error(
                &[Field("cast")],
                "the cast is empty",
                "add an idol: `cast: [(id: \"hana\", name: \"Hana\", colour: \"#ff6fae\")]`",
            );
        }
        let mut seen = HashSet::new();
        let mut idols = Vec::new();
        for (index, idol) in raw.cast.iter().enumerate() {
            let path = [Field("cast"), Index(index)];
            if idol.id.is_empty()
                || !idol
                    .id
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
            {
                self.error(
                    &join(&path, &[Field("id")]),
                    format!("`{}` is not a usable idol id", idol.id),
                    "use letters, digits, `-` or `_`, e.g. \"hana\"",
                );
            } else if !seen.insert(idol.id.as_str()) {
                self.error(
                    &join(&path, &[Field("id")]),
                    format!("the idol id `{}` is used twice", idol.id),
                    "every idol needs her own id",
                );
            }
            let colour = self.colour(&join(&path, &[Field("colour")]), &idol.colour);
            if !(0.5..=2.5).contains(&idol.height) {
                self.error(
                    &join(&path, &[Field("height")]),
                    format!("a height of {} m is not a person's height", idol.height),
                    "write the height in metres, e.g. 1.65",
                );
            }
            let mut fit = None;
            let avatar = match &idol.avatar {
                RawAvatar::Builtin(look) => {
                    let look_path = join(&path, &[Field("avatar")]);
                    for (field, value) in [
                        ("skin", Some(&look.skin)),
                        ("hair_colour", Some(&look.hair_colour)),
                        ("accent_colour", Some(&look.accent_colour)),
                        ("outfit_colour", look.outfit_colour.as_ref()),
                    ] {
                        if let Some(value) = value {
                            self.colour(&join(&look_path, &[Field(field)]), value);
                        }
                    }
                    if !(0.8..=1.2).contains(&look.build) {
                        self.error(
                            &join(&look_path, &[Field("build")]),
                            format!("build {} is out of range", look.build),
                            "build goes from 0.8 (slight) to 1.2 (strong); 1.0 is average",
                        );
                    }
                    Avatar::Builtin(look.clone())
                }
                RawAvatar::Model(file) => {
                    let model_path = join(&path, &[Field("avatar")]);
                    let resolved = self.file(&model_path, file, "model");
                    if let Some(resolved) = &resolved {
                        fit = self.model(&model_path, file, resolved, idol.height);
                    }
                    Avatar::Model(resolved.unwrap_or_default())
                }
            };
            let mut clips = Vec::new();
            for (number, file) in idol.clips.iter().enumerate() {
                let clip_path = join(&path, &[Field("clips"), Index(number)]);
                if matches!(avatar, Avatar::Builtin(_)) {
                    self.error(
                        &clip_path,
                        format!("{} is a built-in idol, so clips from {file} cannot play on her", idol.name),
                        "clip libraries are for model avatars (`avatar: Model(\"file.vrm\")`); built-in idols dance the move library",
                    );
                    break;
                }
                if let Some(resolved) = self.file(&clip_path, file, "animation library") {
                    clips.push(resolved);
                }
            }
            let home = idol
                .position
                .map_or_else(|| default_home(index, raw.cast.len()), Vec2::from);
            if !home.is_finite() || home.length() > 7.0 {
                self.error(
                    &join(&path, &[Field("position")]),
                    format!("({}, {}) is off the stage", home.x, home.y),
                    "the stage is a circle of radius 7 m around (0, 0); +z is towards the crowd",
                );
            }
            idols.push(Idol {
                id: idol.id.clone(),
                name: idol.name.clone(),
                colour: colour.unwrap_or(Srgb::WHITE),
                avatar,
                clips,
                height: idol.height,
                home,
                fit,
            });
        }
        idols
    }

    fn colour(&mut self, path: &[Step], written: &Colour) -> Option<Srgb> {
        let colour = written.srgb();
        if colour.is_none() {
            self.error(
                path,
                format!("`{}` is not a colour", written.text()),
                "write colours as \"#rrggbb\", e.g. \"#ff6fae\"",
            );
        }
        colour
    }

    fn idol_ref(&mut self, path: &[Step], id: &str) {
        if !self.ids.iter().any(|known| known == id) {
            let hint = suggest_owned(id, &self.ids, "cast's ids");
            self.error(path, format!("there is no idol `{id}` in the cast"), hint);
        }
    }

    /// Checks every id of the list at `path`.
    fn idol_refs(&mut self, path: &[Step], ids: &[String]) {
        for (index, id) in ids.iter().enumerate() {
            self.idol_ref(&join(path, &[Index(index)]), id);
        }
    }

    /// Resolves a file path written in the setlist, checking that it stays inside the
    /// setlist's folder (or the project's `assets/` next to it) and exists.
    fn file(&mut self, path: &[Step], written: &str, what: &str) -> Option<PathBuf> {
        match resolve_file(&self.folder, written) {
            Ok(resolved) => Some(resolved),
            Err(FileProblem::Escapes) => {
                self.error(
                    path,
                    format!("the {what} path `{written}` leads outside the project"),
                    "paths are relative to the setlist's folder and must stay inside it or \
                     the project's `assets/` folder",
                );
                None
            }
            Err(FileProblem::Missing(resolved)) => {
                self.error(
                    path,
                    format!("the {what} file `{written}` does not exist"),
                    format!(
                        "looked for {}; paths are relative to the setlist's folder",
                        resolved.display()
                    ),
                );
                None
            }
        }
    }

    /// Reads the vocal stem `written` of `song` at `path` (analysed once per file): a file
    /// that cannot be read is an error, one without a voice or a song without singers a
    /// warning, since either leaves every mouth shut.
    fn vocals(
        &mut self,
        path: &[Step],
        song: &RawSong,
        offset: f64,
        written: &str,
    ) -> Option<Vocals> {
        let field = join(path, &[Field("vocals")]);
        let resolved = self.file(&field, written, "vocals")?;
        let track = match self.files.mouth_track(&resolved) {
            Ok(track) => track,
            Err(problem) => {
                self.error(
                    &field,
                    format!("the vocals `{written}` cannot be used: {problem}"),
                    "export the song's vocal stem from a stem splitter as wav, flac, ogg or \
                     mp3, or remove `vocals` to let the singers mouth invented syllables",
                );
                return None;
            }
        };
        if !track.has_voice() {
            self.warning(
                &field,
                format!("`{written}` is silent: the singers' mouths stay shut"),
                "nothing in it is louder than -60 dBFS; check that it is this song's vocal \
                 stem, exported at its level",
            );
        }
        if song.lines.is_empty() {
            self.warning(
                &field,
                "the vocals move the mouths of the idols singing a line, and this song has no \
                 `lines`",
                "say who sings which bars: `lines: [(bars: (5, 12), idols: [\"hana\"])]`",
            );
        }
        Some(Vocals {
            path: resolved,
            offset,
            track,
        })
    }

    /// Opens the model file at `resolved` (its inspection, not a render): a file encore cannot
    /// use is an error with the reason, a model without the joints to dance the move library a
    /// warning. Returns how it stands as an idol `height` metres tall.
    fn model(
        &mut self,
        path: &[Step],
        written: &str,
        resolved: &Path,
        height: f32,
    ) -> Option<crate::avatar::figure::Fit> {
        let inspection = match self.files.inspection(resolved) {
            Ok(inspection) => inspection,
            Err(problem) => {
                self.error(
                    path,
                    format!("the model `{written}` cannot be used: {problem}"),
                    format!(
                        "`encore avatar inspect {written}` shows what encore reads in it; fix \
                         or re-export the file, or use a built-in idol until then"
                    ),
                );
                return None;
            }
        };
        if !inspection.missing_bones.is_empty() {
            self.warning(
                path,
                format!(
                    "`{written}` has no joints encore recognises for {}",
                    inspection.missing_bones.join(", ")
                ),
                "she stands, turns and travels with the show and plays the file's own clips \
                 (`move: Clip(\"name\")`), but the move library only moves the joints she has; \
                 a VRM humanoid or joints named like hips, spine, head, upperarm.l... give her all",
            );
        }
        if let Some(pmx) = &inspection.pmx
            && !pmx.textures_missing.is_empty()
        {
            self.warning(
                path,
                format!(
                    "`{written}` names textures that are not next to it: {}",
                    pmx.textures_missing.join(", ")
                ),
                "their materials draw with their colours; copy the model's texture folder next \
                 to it (names are found whatever their case, with `\\` or `/`)",
            );
        }
        let fit = inspection.fit(height);
        if fit.is_none() {
            self.warning(
                path,
                format!("the size of `{written}` could not be measured"),
                "encore reads the meshes of a GLB or of a .gltf with its .bin next to it; with \
                 data URIs she is scaled by her joints instead",
            );
        }
        fit
    }

    /// Checks a dance's `from` and `speed` against its motion file.
    fn played_motion(
        &mut self,
        path: &[Step],
        dance: &RawDance,
        written: &str,
        file: PathBuf,
        motion: Arc<Motion>,
    ) -> Option<PlayedMotion> {
        let duration = f64::from(motion.duration);
        if !dance.from.is_finite() || dance.from < 0.0 || dance.from >= duration.max(1e-3) {
            self.error(
                &join(path, &[Field("from")]),
                format!(
                    "`from: {}` is outside `{written}`, which lasts {duration:.2} s",
                    dance.from
                ),
                "from is the second of the file where the dance starts, from 0 up to its length",
            );
            return None;
        }
        if !dance.speed.is_finite() || !(0.1..=10.0).contains(&dance.speed) {
            self.error(
                &join(path, &[Field("speed")]),
                format!("speed {} is not a playback speed", dance.speed),
                "1 plays the file as written; 0.5 at half speed, 2 at double (0.1 to 10)",
            );
            return None;
        }
        Some(PlayedMotion {
            file,
            motion,
            from: dance.from,
            speed: dance.speed,
        })
    }

    /// The analysis of the song's audio when its `bpm` or `offset` is `Auto` (from the
    /// file cache, else the user's cache folder, else analysed now), with the problems said
    /// where they are: no audio to analyse, audio without a beat, a tempo that changes.
    fn found_grid(
        &mut self,
        path: &[Step],
        song: &RawSong,
        audio: Option<&Audio>,
    ) -> Option<std::sync::Arc<crate::song::Analysis>> {
        let mut auto = None;
        for (field, value) in [("bpm", song.bpm), ("offset", song.offset)] {
            if !value.is_auto() {
                continue;
            }
            // RON reads any bare word as `Auto`'s unit value; only `Auto` itself is meant.
            let place = join(path, &[Field(field)]);
            let written = self
                .source
                .get(self.span(&place))
                .unwrap_or("")
                .trim()
                .to_owned();
            if written != "Auto" {
                self.error(
                    &place,
                    format!("`{field}: {written}` is neither a number nor `Auto`"),
                    format!("write a number, e.g. `{field}: 120`, or `{field}: Auto` to find it in the audio"),
                );
                return None;
            }
            auto.get_or_insert(field);
        }
        let auto = auto?;
        let Some(audio) = audio else {
            if song.audio.is_none() {
                self.error(
                    &join(path, &[Field(auto)]),
                    format!(
                        "`{}: Auto` is found in the song's audio, and it has none",
                        auto
                    ),
                    "add `audio: \"song.ogg\"` (relative to the setlist), or write the number, \
                     e.g. `bpm: 120` or `offset: 0.0`",
                );
            }
            return None;
        };
        match self.files.song_analysis(&audio.path) {
            Ok(analysis) => {
                if let TempoShape::Changes(spans) = &analysis.tempo
                    && song.bpm.is_auto()
                {
                    let changes: Vec<String> = spans
                        .iter()
                        .map(|span| format!("{:.1} bpm from bar {}", span.bpm, span.bar))
                        .collect();
                    self.warning(
                        &join(path, &[Field("bpm")]),
                        format!(
                            "the song changes tempo ({}); `bpm: Auto` takes {:.2}, its longest \
                             stretch, so moves and cuts drift off the beat in the others",
                            changes.join(", "),
                            analysis.bpm
                        ),
                        "split the song into one `Song` per tempo (each with its own `offset`), \
                         or write the bpm you want",
                    );
                }
                Some(analysis)
            }
            Err(problem) => {
                self.error(
                    &join(path, &[Field("audio")]),
                    format!("cannot find the song's `{}` in its audio: {problem}", auto),
                    "`encore song analyze FILE` shows what encore hears; write the numbers \
                     instead, e.g. `bpm: 120, offset: 0.0`",
                );
                None
            }
        }
    }

    fn song(
        &mut self,
        path: &[Step],
        song: &RawSong,
        start: f64,
        index: usize,
        cues: &mut Vec<Cue>,
    ) -> Item {
        let audio = song.audio.as_ref().and_then(|written| {
            let file = self.file(&join(path, &[Field("audio")]), written, "audio")?;
            Some(Audio {
                path: file,
                offset: 0.0,
            })
        });
        let found = self.found_grid(path, song, audio.as_ref());
        let bpm = match (song.bpm, &found) {
            (OrAuto::Value(bpm), _) => bpm,
            (OrAuto::Auto, Some(analysis)) => analysis.bpm,
            (OrAuto::Auto, None) => 120.0,
        };
        let bpm_ok = bpm.is_finite() && bpm > 0.0 && bpm <= 400.0;
        if !bpm_ok {
            self.error(
                &join(path, &[Field("bpm")]),
                format!("bpm {bpm} is not a tempo"),
                "bpm must be above 0 and at most 400, e.g. 120, or `Auto` to find it in the audio",
            );
        }
        let beats_per_bar = song.beats_per_bar.unwrap_or_else(|| {
            found
                .as_ref()
                .filter(|_| song.bpm.is_auto())
                .map_or(4, |analysis| analysis.beats_per_bar)
        });
        if !(1..=16).contains(&beats_per_bar) {
            self.error(
                &join(path, &[Field("beats_per_bar")]),
                format!("{beats_per_bar} beats in a bar is not a metre"),
                "use 1 to 16; most pop songs have 4",
            );
        }
        let grid = BeatGrid {
            bpm: if bpm_ok { bpm } else { 120.0 },
            beats_per_bar: beats_per_bar.clamp(1, 16),
        };
        let offset = match (song.offset, &found) {
            (OrAuto::Value(offset), _) => offset,
            (OrAuto::Auto, Some(analysis)) => analysis.offset,
            (OrAuto::Auto, None) => 0.0,
        };
        let audio = audio.map(|audio| Audio { offset, ..audio });
        let vocals = song
            .vocals
            .as_ref()
            .and_then(|written| self.vocals(path, song, offset, written));
        if !offset.is_finite() || offset < 0.0 {
            self.error(
                &join(path, &[Field("offset")]),
                format!("audio offset {offset} is negative"),
                "offset is the time in the audio file where bar 1 starts, 0 or more, or `Auto` \
                 to find it in the audio",
            );
        }
        let duration = match (&song.length, &audio) {
            (Some(length), _) => {
                let seconds = length.seconds(&grid);
                if seconds <= 0.0 || seconds > MAX_ITEM_SECONDS {
                    self.error(
                        &join(path, &[Field("length")]),
                        format!("a song cannot last {length}"),
                        "give the song's end as seconds (`210.0`) or the bar after its last \
                         (`\"bar 65\"`)",
                    );
                }
                seconds.max(0.0)
            }
            (None, Some(audio)) => match self.files.audio_seconds(&audio.path) {
                Ok(seconds) => (seconds - audio.offset).max(0.0),
                Err(problem) => {
                    self.error(
                        &join(path, &[Field("audio")]),
                        format!("cannot take the song's length from its audio: {problem}"),
                        "add `length: 210.0` (seconds) or `length: \"bar 65\"`",
                    );
                    0.0
                }
            },
            (None, None) => {
                if song.audio.is_none() {
                    self.error(
                        path,
                        format!("the song `{}` has no length", song.title),
                        "add `length: 210.0` (seconds) or `length: \"bar 65\"`, or an `audio` \
                         file to take it from",
                    );
                }
                0.0
            }
        };
        let bar_seconds = grid.bar_start(2);
        // Without a usable length, bar ranges cannot be checked against it.
        let bars = if duration > 0.0 {
            (duration / bar_seconds - 1e-9).ceil().max(1.0) as u32
        } else {
            u32::MAX
        };
        let end = start + duration;

        let mut sections = Vec::new();
        let mut previous_last = 0;
        for (number, section) in song.sections.iter().enumerate() {
            let section_path = join(path, &[Field("sections"), Index(number)]);
            let bars_path = join(&section_path, &[Field("bars")]);
            if !self.bar_range(&bars_path, section.bars, bars, &song.title) {
                continue;
            }
            if section.bars.0 <= previous_last {
                self.error(
                    &bars_path,
                    format!(
                        "sections out of order: bar {} comes before the previous section ends \
                         (bar {previous_last})",
                        section.bars.0
                    ),
                    "list sections in order, each starting after the one before",
                );
            }
            previous_last = previous_last.max(section.bars.1);
            if let Some(Formation::CenterSolo(id)) = &section.formation {
                self.idol_ref(&join(&section_path, &[Field("formation"), Index(0)]), id);
            }
            sections.push(Section {
                kind: section.kind,
                bars: section.bars,
                start: start + grid.bar_start(section.bars.0),
                end: (start + grid.bar_start(section.bars.1 + 1)).min(end),
                formation: section.formation.clone(),
            });
        }

        let mut lines = Vec::new();
        for (number, line) in song.lines.iter().enumerate() {
            let line_path = join(path, &[Field("lines"), Index(number)]);
            self.bar_range(
                &join(&line_path, &[Field("bars")]),
                line.bars,
                bars,
                &song.title,
            );
            if line.idols.is_empty() {
                self.error(
                    &join(&line_path, &[Field("idols")]),
                    "a line needs at least one singer",
                    "write who sings it, e.g. `idols: [\"hana\"]`",
                );
            }
            self.idol_refs(&join(&line_path, &[Field("idols")]), &line.idols);
            lines.push(Line {
                bars: line.bars,
                idols: line.idols.clone(),
            });
        }

        let mut dances = Vec::new();
        for (number, dance) in song.dance.iter().enumerate() {
            let dance_path = join(path, &[Field("dance"), Index(number)]);
            self.bar_range(
                &join(&dance_path, &[Field("bars")]),
                dance.bars,
                bars,
                &song.title,
            );
            self.idol_refs(&join(&dance_path, &[Field("idols")]), &dance.idols);
            if !dance.canon.is_finite() || dance.canon < 0.0 {
                self.error(
                    &join(&dance_path, &[Field("canon")]),
                    format!("canon {} must be 0 or more beats", dance.canon),
                    "canon is the delay between one member and the next, in beats",
                );
            }
            let motion = match &dance.step {
                Move::Motion(written) => {
                    let file_path = join(&dance_path, &[Field("move"), Index(0)]);
                    self.motion(&file_path, written, true)
                        .and_then(|(file, motion)| {
                            self.played_motion(&dance_path, dance, written, file, motion)
                        })
                }
                _ => {
                    for (field, set) in [("from", dance.from != 0.0), ("speed", dance.speed != 1.0)]
                    {
                        if set {
                            self.warning(
                                &join(&dance_path, &[Field(field)]),
                                format!("`{field}` only applies to motion files"),
                                "remove it, or dance a file: `move: Motion(\"dance.vmd\")`",
                            );
                        }
                    }
                    None
                }
            };
            dances.push(Dance {
                motion,
                bars: dance.bars,
                step: dance.step.clone(),
                idols: if dance.idols.is_empty() {
                    self.ids.clone()
                } else {
                    dance.idols.clone()
                },
                canon: dance.canon.max(0.0),
            });
        }
        self.idle_warnings(path, song, &sections, &dances);

        let limits = CueLimits {
            start,
            duration,
            grid,
            item: index,
        };
        self.cues(
            path,
            limits,
            ItemCues {
                camera: &song.camera,
                lights: &song.lights,
                ocean: &song.ocean,
                effects: &song.effects,
                chat: &song.chat,
            },
            cues,
        );
        let starts: Vec<(f64, Option<SectionKind>)> = if sections.is_empty() {
            vec![(start, None)]
        } else {
            sections
                .iter()
                .map(|section| (section.start, Some(section.kind)))
                .collect()
        };
        default_looks(index, ItemKind::Song, &starts, cues);
        let palette = song
            .palette
            .iter()
            .enumerate()
            .filter_map(|(number, text)| {
                self.colour(&join(path, &[Field("palette"), Index(number)]), text)
            })
            .collect();
        let credits = self.credits(path, song);
        Item {
            kind: ItemKind::Song,
            title: song.title.clone(),
            artist: song.artist.clone(),
            start,
            duration,
            grid,
            audio,
            vocals,
            crowd: false,
            sections,
            lines,
            dances,
            speakers: Vec::new(),
            encore: false,
            palette,
            credits: Some(credits),
        }
    }

    /// Checks a song's `credits` and fills in what it leaves to the song: the title and the
    /// artist. The codes come back in their standard form, so the roll and a cue sheet print
    /// them alike however they were typed.
    fn credits(&mut self, path: &[Step], song: &RawSong) -> SongCredits {
        let raw = &song.credits;
        let credits_path = join(path, &[Field("credits")]);
        let title = match &raw.title {
            Some(title) if title.trim().is_empty() => {
                self.error(
                    &join(&credits_path, &[Field("title")]),
                    "the credited title is empty",
                    "write the work's registered title, or leave `title` out to credit the \
                     song's own",
                );
                song.title.clone()
            }
            Some(title) => title.trim().to_owned(),
            None => song.title.clone(),
        };
        let mut names = |field: &'static str, names: &[String], role: &str| -> Vec<String> {
            let mut kept = Vec::new();
            for (number, name) in names.iter().enumerate() {
                if name.trim().is_empty() {
                    self.error(
                        &join(&credits_path, &[Field(field), Index(number)]),
                        format!("an empty name among the {role}"),
                        "write the name, or remove the empty entry",
                    );
                } else {
                    kept.push(name.trim().to_owned());
                }
            }
            kept
        };
        let mut artists = names("artists", &raw.artists, "artists");
        let composers = names("composers", &raw.composers, "composers");
        let lyricists = names("lyricists", &raw.lyricists, "lyricists");
        let arrangers = names("arrangers", &raw.arrangers, "arrangers");
        let publishers = names("publishers", &raw.publishers, "publishers");
        if raw.artists.is_empty() && !song.artist.trim().is_empty() {
            artists.push(song.artist.trim().to_owned());
        }
        let isrc = raw.isrc.as_deref().and_then(|written| {
            codes::isrc(written)
                .map_err(|problem| {
                    self.error(
                        &join(&credits_path, &[Field("isrc")]),
                        problem.to_string(),
                        problem.hint(),
                    );
                })
                .ok()
        });
        let iswc = raw.iswc.as_deref().and_then(|written| {
            codes::iswc(written)
                .map_err(|problem| {
                    self.error(
                        &join(&credits_path, &[Field("iswc")]),
                        problem.to_string(),
                        problem.hint(),
                    );
                })
                .ok()
        });
        SongCredits {
            title,
            artists,
            composers,
            lyricists,
            arrangers,
            publishers,
            isrc,
            iswc,
        }
    }

    /// Checks a `(first, last)` bar range against a song of `bars` bars.
    fn bar_range(&mut self, path: &[Step], range: (u32, u32), bars: u32, title: &str) -> bool {
        let (first, last) = range;
        if first == 0 {
            self.error(
                path,
                "bars count from 1",
                format!("write `({}, {last})`", first + 1),
            );
            false
        } else if first > last {
            self.error(
                path,
                format!("the bar range ({first}, {last}) runs backwards"),
                format!("write the first bar, then the last: `({last}, {first})`"),
            );
            false
        } else if last > bars {
            self.error(
                path,
                format!(
                    "bar {last} is past the end of `{title}` ({bars} bar{})",
                    if bars == 1 { "" } else { "s" }
                ),
                "check the song's `length`, or end the range earlier",
            );
            false
        } else {
            true
        }
    }

    /// Warns about members left without moves in a section, and songs without any dance.
    fn idle_warnings(
        &mut self,
        path: &[Step],
        song: &RawSong,
        sections: &[Section],
        dances: &[Dance],
    ) {
        if dances.is_empty() {
            self.warning(
                path,
                format!(
                    "`{}` has no dance moves; everyone idles through it",
                    song.title
                ),
                "add `dance: [(bars: (1, 8), move: StepTouch)]`",
            );
            return;
        }
        for (number, section) in sections.iter().enumerate() {
            let idle: Vec<String> = self
                .ids
                .iter()
                .filter(|id| {
                    !dances.iter().any(|dance| {
                        dance.bars.0 <= section.bars.1
                            && section.bars.0 <= dance.bars.1
                            && dance.idols.contains(id)
                    })
                })
                .map(|id| format!("`{id}`"))
                .collect();
            if !idle.is_empty() {
                let section_path = join(path, &[Field("sections"), Index(number)]);
                self.warning(
                    &section_path,
                    format!(
                        "no moves for {} in bars {}-{}; they will idle",
                        idle.join(", "),
                        section.bars.0,
                        section.bars.1
                    ),
                    "add a `dance` entry covering these bars",
                );
            }
        }
    }

    fn segment(
        &mut self,
        path: &[Step],
        segment: &RawSegment,
        kind: ItemKind,
        start: f64,
        index: usize,
        cues: &mut Vec<Cue>,
    ) -> Item {
        let duration = if segment.seconds > 0.0 && segment.seconds <= MAX_ITEM_SECONDS {
            segment.seconds
        } else {
            self.error(
                &join(path, &[Field("seconds")]),
                format!("a segment cannot last {} seconds", segment.seconds),
                "give its length in seconds, e.g. `seconds: 45.0`",
            );
            0.0
        };
        self.idol_refs(&join(path, &[Field("speakers")]), &segment.speakers);
        let limits = CueLimits {
            start,
            duration,
            grid: SEGMENT_GRID,
            item: index,
        };
        self.cues(
            path,
            limits,
            ItemCues {
                camera: &segment.camera,
                lights: &segment.lights,
                ocean: &segment.ocean,
                effects: &segment.effects,
                chat: &segment.chat,
            },
            cues,
        );
        default_looks(index, kind, &[(start, None)], cues);
        let audio = match &segment.ambience {
            Ambience::File(written) => self
                .file(&join(path, &[Field("ambience")]), written, "ambience")
                .map(|path| Audio { path, offset: 0.0 }),
            Ambience::Crowd | Ambience::Silence => None,
        };
        Item {
            kind,
            title: segment.title.clone(),
            artist: String::new(),
            start,
            duration,
            grid: SEGMENT_GRID,
            audio,
            vocals: None,
            crowd: segment.ambience == Ambience::Crowd,
            sections: Vec::new(),
            lines: Vec::new(),
            dances: Vec::new(),
            speakers: segment.speakers.clone(),
            encore: false,
            palette: Vec::new(),
            credits: None,
        }
    }

    /// Checks one cue time; returns concert seconds when it is inside the item.
    fn cue_time(&mut self, path: &[Step], time: &TimeSpec, limits: &CueLimits) -> Option<f64> {
        let seconds = time.seconds(&limits.grid);
        if seconds < 0.0 {
            self.error(
                path,
                format!("the cue time {time} is negative"),
                "cue times count from the start of their song or segment",
            );
            None
        } else if seconds > limits.duration + 1e-9 {
            let written = match time {
                TimeSpec::Seconds(_) => time.to_string(),
                TimeSpec::Musical { .. } => format!("{time} ({seconds:.2} s)"),
            };
            self.error(
                path,
                format!(
                    "the cue time {written} is past the end ({:.2} s)",
                    limits.duration
                ),
                "move the cue earlier, or into the next item",
            );
            None
        } else {
            Some(limits.start + seconds)
        }
    }

    fn cues(
        &mut self,
        path: &[Step],
        limits: CueLimits,
        ItemCues {
            camera,
            lights,
            ocean,
            effects,
            chat,
        }: ItemCues<'_>,
        cues: &mut Vec<Cue>,
    ) {
        let mut shots: Vec<(usize, f64, Option<f64>, ShotCue)> = Vec::new();
        for (number, shot) in camera.iter().enumerate() {
            let shot_path = join(path, &[Field("camera"), Index(number)]);
            let at = self.cue_time(&join(&shot_path, &[Field("at")]), &shot.at, &limits);
            let until = match &shot.until {
                Some(until) => {
                    let until_path = join(&shot_path, &[Field("until")]);
                    match (self.cue_time(&until_path, until, &limits), at) {
                        (Some(until), Some(at)) if until <= at => {
                            self.error(
                                &until_path,
                                "the shot ends before it starts",
                                "`until` must come after `at`",
                            );
                            None
                        }
                        (until, _) => until,
                    }
                }
                None => None,
            };
            match &shot.shot {
                Shot::CloseUp(id)
                | Shot::UpperBody(id)
                | Shot::FullBody(id)
                | Shot::Tracking(id) => {
                    self.idol_ref(&join(&shot_path, &[Field("shot"), Index(0)]), id);
                }
                Shot::TwoShot(a, b) => {
                    self.idol_ref(&join(&shot_path, &[Field("shot"), Index(0)]), a);
                    self.idol_ref(&join(&shot_path, &[Field("shot"), Index(1)]), b);
                }
                Shot::Path(keys) => {
                    if keys.is_empty() {
                        self.error(
                            &join(&shot_path, &[Field("shot")]),
                            "a camera path needs at least one key",
                            "write keys as (beat: 0, eye: (0, 1.6, 6), look: (0, 1.2, 0))",
                        );
                    }
                    for (index, key) in keys.iter().enumerate() {
                        let numbers = [
                            key.beat, key.eye.0, key.eye.1, key.eye.2, key.look.0, key.look.1,
                            key.look.2,
                        ];
                        let bad_fov = key.fov.is_some_and(|fov| !(5.0..=120.0).contains(&fov));
                        let backwards = index > 0 && key.beat < keys[index - 1].beat;
                        if numbers.iter().any(|n| !n.is_finite()) || key.beat < 0.0 {
                            self.error(
                                &join(&shot_path, &[Field("shot"), Index(0), Index(index)]),
                                "this camera key has a negative beat or a number that is not finite",
                                "beats count from 0 at the shot's start; positions are metres",
                            );
                        } else if backwards {
                            self.error(
                                &join(&shot_path, &[Field("shot"), Index(0), Index(index)]),
                                "camera keys must be in order of their beats",
                                "sort the keys by `beat`",
                            );
                        } else if bad_fov {
                            self.error(
                                &join(&shot_path, &[Field("shot"), Index(0), Index(index)]),
                                "the key's fov must be between 5 and 120 degrees",
                                "35 is a natural lens; 15 a long telephoto; 70 a wide angle",
                            );
                        }
                    }
                }
                _ => {}
            }
            if let Some(id) = &shot.on {
                self.idol_ref(&join(&shot_path, &[Field("on")]), id);
            }
            if let Some(fov) = shot.fov
                && !(5.0..=120.0).contains(&fov)
            {
                self.error(
                    &join(&shot_path, &[Field("fov")]),
                    format!("fov {fov} is out of range"),
                    "the field of view goes from 5 to 120 degrees; 35 is a natural lens",
                );
            }
            if !shot.height.is_finite() || shot.height.abs() > 20.0 {
                self.error(
                    &join(&shot_path, &[Field("height")]),
                    format!("height {} is out of range", shot.height),
                    "height moves the camera up or down by up to 20 metres",
                );
            }
            if let Transition::Blend(beats) = shot.transition
                && !(beats.is_finite() && beats > 0.0 && beats <= 64.0)
            {
                self.error(
                    &join(&shot_path, &[Field("transition"), Index(0)]),
                    format!("a blend of {beats} beats is not possible"),
                    "blend over more than 0 and at most 64 beats, e.g. Blend(2)",
                );
            }
            if let Some(at) = at {
                let cue = ShotCue {
                    shot: shot.shot.clone(),
                    on: shot.on.clone(),
                    fov: shot.fov,
                    height: shot.height,
                    side: shot.side,
                    ease: shot.ease,
                    transition: shot.transition,
                    motion: None,
                };
                let motion = match &shot.shot {
                    Shot::Motion(written) => {
                        let file_path = join(&shot_path, &[Field("shot"), Index(0)]);
                        let Some((_, motion)) = self.motion(&file_path, written, false) else {
                            continue;
                        };
                        Some(motion)
                    }
                    _ => None,
                };
                let cue = ShotCue { motion, ..cue };
                shots.push((number, at, until, cue));
            }
        }
        shots.sort_by(|a, b| a.1.total_cmp(&b.1));
        for pair in 0..shots.len() {
            let (number, at, until, ref shot) = shots[pair];
            let next = shots.get(pair + 1).map(|next| (next.0, next.1));
            let next_start = next.map(|(_, start)| start);
            if let Some((next_number, next_start)) = next {
                let overlaps = next_start <= at || until.is_some_and(|until| until > next_start);
                if overlaps {
                    self.error(
                        &join(path, &[Field("camera"), Index(next_number)]),
                        format!(
                            "this shot overlaps camera shot {} (which runs until {:.2} s)",
                            number + 1,
                            until.unwrap_or(at) - limits.start
                        ),
                        "a camera shows one shot at a time: end the earlier shot sooner or \
                         start this one later",
                    );
                }
            }
            let end = limits.start + limits.duration;
            let until = until.unwrap_or(end).min(next_start.unwrap_or(end)).max(at);
            cues.push(Cue {
                at,
                item: limits.item,
                action: CueAction::Shot {
                    shot: shot.clone(),
                    until,
                },
            });
        }

        for (number, light) in lights.iter().enumerate() {
            let light_path = join(path, &[Field("lights"), Index(number)]);
            let at = self.cue_time(&join(&light_path, &[Field("at")]), &light.at, &limits);
            let look_path = join(&light_path, &[Field("look"), Index(0)]);
            match &light.look {
                Look::Member(id) => self.idol_ref(&look_path, id),
                Look::Colour(text) => {
                    self.colour(&look_path, text);
                }
                Look::Colours(texts) => {
                    if texts.is_empty() {
                        self.error(
                            &look_path,
                            "`Colours` needs at least one colour",
                            "e.g. `Colours([\"#ff6fae\", \"#ffffff\"])`",
                        );
                    }
                    for (number, text) in texts.iter().enumerate() {
                        self.colour(&join(&look_path, &[Index(number)]), text);
                    }
                }
                _ => {}
            }
            if !light.fade.is_finite() || light.fade < 0.0 {
                self.error(
                    &join(&light_path, &[Field("fade")]),
                    format!("fade {} must be 0 or more seconds", light.fade),
                    "0 is a snap; 0.5 is the default",
                );
            }
            if !(0.0..=1.0).contains(&light.intensity) {
                self.error(
                    &join(&light_path, &[Field("intensity")]),
                    format!("intensity {} is outside 0 to 1", light.intensity),
                    "0 is dark, 1 is full (the default)",
                );
            }
            if !(light.chase.is_finite() && (0.125..=64.0).contains(&light.chase)) {
                self.error(
                    &join(&light_path, &[Field("chase")]),
                    format!("chase {} is outside 0.125 to 64 beats", light.chase),
                    "beats per sweep or chase step: 0.5 is fast, 1 the default, 4 slow",
                );
            }
            if let Some(at) = at {
                cues.push(Cue {
                    at,
                    item: limits.item,
                    action: CueAction::Light(LightCue {
                        look: light.look.clone(),
                        fade: light.fade.max(0.0),
                        intensity: light.intensity.clamp(0.0, 1.0),
                        pattern: light.pattern,
                        chase: light.chase.clamp(0.125, 64.0),
                        lasers: light.lasers,
                        auto: false,
                    }),
                });
            }
        }

        for (number, change) in ocean.iter().enumerate() {
            let ocean_path = join(path, &[Field("ocean"), Index(number)]);
            let at = self.cue_time(&join(&ocean_path, &[Field("at")]), &change.at, &limits);
            let what_path = join(&ocean_path, &[Field("ocean"), Index(0)]);
            match &change.ocean {
                Ocean::Member(id) => self.idol_ref(&what_path, id),
                Ocean::Colour(text) => {
                    self.colour(&what_path, text);
                }
                _ => {}
            }
            if let Some(at) = at {
                cues.push(Cue {
                    at,
                    item: limits.item,
                    action: CueAction::Ocean(change.ocean.clone()),
                });
            }
        }

        for (number, effect) in effects.iter().enumerate() {
            let at_path = [path, &[Field("effects"), Index(number), Field("at")]].concat();
            if let Some(at) = self.cue_time(&at_path, &effect.at, &limits) {
                cues.push(Cue {
                    at,
                    item: limits.item,
                    action: CueAction::Effect(effect.effect),
                });
            }
        }

        for (number, message) in chat.iter().enumerate() {
            let chat_path = join(path, &[Field("chat"), Index(number)]);
            if message.from.trim().is_empty() {
                self.error(
                    &join(&chat_path, &[Field("from")]),
                    "a chat message needs a user name",
                    "e.g. `from: \"moa_92\"`",
                );
            }
            if message.text.trim().is_empty() {
                self.error(
                    &join(&chat_path, &[Field("text")]),
                    "the chat message is empty",
                    "write what the fan says in `text`",
                );
            }
            if let Some(at) = self.cue_time(&join(&chat_path, &[Field("at")]), &message.at, &limits)
            {
                cues.push(Cue {
                    at,
                    item: limits.item,
                    action: CueAction::Chat {
                        from: message.from.clone(),
                        text: message.text.clone(),
                        amount: message.amount,
                    },
                });
            }
        }
    }
}

/// Where an item's cues may go.
/// The cue lists of one song or segment.
struct ItemCues<'a> {
    camera: &'a [RawShot],
    lights: &'a [RawLight],
    ocean: &'a [RawOcean],
    effects: &'a [RawEffect],
    chat: &'a [RawChat],
}

/// Gives the sections of item `index` that start before its first written light cue the
/// default look of their kind (`starts`: each section's start and kind, in order).
fn default_looks(
    index: usize,
    kind: ItemKind,
    starts: &[(f64, Option<SectionKind>)],
    cues: &mut Vec<Cue>,
) {
    let first_written = cues
        .iter()
        .filter(|cue| cue.item == index && matches!(cue.action, CueAction::Light(_)))
        .map(|cue| cue.at)
        .fold(f64::INFINITY, f64::min);
    for &(at, section) in starts {
        if at < first_written - 1e-9 {
            cues.push(Cue {
                at,
                item: index,
                action: CueAction::Light(LightCue::default_for(section, kind)),
            });
        }
    }
}

struct CueLimits {
    start: f64,
    duration: f64,
    grid: BeatGrid,
    item: usize,
}

/// Why a path written in a setlist cannot be used.
#[derive(Debug, Clone, PartialEq)]
pub enum FileProblem {
    /// It is absolute or climbs out of the allowed folders.
    Escapes,
    /// It does not exist (the resolved path).
    Missing(PathBuf),
}

/// Resolves `written` against the setlist's `folder`. Allowed: anything inside `folder`, and
/// anything inside the `assets/` folder next to it (`../assets/...` from `scenes/`).
pub fn resolve_file(folder: &Path, written: &str) -> Result<PathBuf, FileProblem> {
    let relative = Path::new(written);
    if written.trim().is_empty() || relative.has_root() {
        return Err(FileProblem::Escapes);
    }
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    let mut climbed = 0;
    for component in relative.components() {
        match component {
            Component::Normal(part) if climbed > 0 && parts.is_empty() && part != "assets" => {
                return Err(FileProblem::Escapes);
            }
            Component::Normal(part) => parts.push(part),
            Component::CurDir => {}
            Component::ParentDir if parts.pop().is_some() => {}
            Component::ParentDir => {
                climbed += 1;
                if climbed > 1 {
                    return Err(FileProblem::Escapes);
                }
            }
            Component::RootDir | Component::Prefix(_) => return Err(FileProblem::Escapes),
        }
    }
    if climbed > 0 && parts.first().is_none_or(|first| *first != "assets") {
        return Err(FileProblem::Escapes);
    }
    let resolved = folder.join(relative);
    if !resolved.is_file() {
        return Err(FileProblem::Missing(resolved));
    }
    // Symbolic links must not lead out either.
    let allowed_root = if climbed > 0 {
        folder.join("..").join("assets")
    } else {
        folder.to_path_buf()
    };
    match (resolved.canonicalize(), allowed_root.canonicalize()) {
        (Ok(real), Ok(root)) if real.starts_with(&root) => Ok(resolved),
        _ => Err(FileProblem::Escapes),
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng, rngs::StdRng};

    use super::*;

    /// The setlist corpus sits in the repository's `tests/setlists/` and its reports name
    /// files as `encore check` run from the repository's root does, so these tests work from
    /// there (cargo starts them in this crate's folder).
    fn at_repository_root() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // Read when the test runs: a shared target dir may hold this crate built elsewhere.
            let package = std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo runs the tests");
            let root = Path::new(&package).join("../..");
            std::env::set_current_dir(root).expect("the repository root exists");
        });
    }

    /// The corpus of bad setlists under `tests/setlists/`: each `NAME.ron` is checked and
    /// the report must equal `NAME.expected` exactly. Run with `ENCORE_BLESS=1` to rewrite
    /// the expected files after a deliberate change, then read the diff.
    #[test]
    fn corpus_reports_match_their_expected_messages() {
        at_repository_root();
        let folder = Path::new("tests/setlists");
        let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
            .expect("tests/setlists exists in the repository")
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|extension| extension == "ron"))
            .collect();
        files.sort();
        assert!(files.len() >= 20, "the corpus has {} files", files.len());
        let bless = std::env::var_os("ENCORE_BLESS").is_some();
        let mut mismatches = Vec::new();
        for file in files {
            let (_, report) = check_file(&file);
            let actual = format!("{report}\n");
            let expected_path = file.with_extension("expected");
            if bless {
                std::fs::write(&expected_path, &actual).expect("tests/setlists is writable");
                continue;
            }
            let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
            if actual != expected {
                mismatches.push(format!(
                    "{}:\n--- expected\n{expected}\n--- actual\n{actual}",
                    file.display()
                ));
            }
        }
        assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    }

    #[test]
    fn every_error_points_at_its_place() {
        at_repository_root();
        let (setlist, report) = check_file(Path::new("tests/setlists/unknown_idol.ron"));
        assert!(setlist.is_none());
        let lines = report.short_lines();
        assert_eq!(
            lines[0],
            "tests/setlists/unknown_idol.ron:10:74: error: there is no idol `mira` in the cast"
        );
        assert!(
            report.to_string().contains("did you mean `hana`?"),
            "{report}"
        );
    }

    #[test]
    fn syntax_errors_have_line_column_and_caret() {
        at_repository_root();
        let (_, report) = check_file(Path::new("tests/setlists/syntax_missing_comma.ron"));
        let text = report.to_string();
        assert!(
            text.starts_with(
                "error: expected a comma\n --> tests/setlists/syntax_missing_comma.ron:3:27\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "3 |     title: \"Missing comma\"\n  | {}^\n",
                " ".repeat(26)
            )),
            "{text}"
        );
    }

    const MUTATIONS: &[&str] = &[
        "(",
        ")",
        "[",
        "]",
        ",",
        ":",
        "\"",
        "bar",
        "-1",
        "1e999",
        "Song(",
        "//",
        "/*",
        "\u{0}",
        "ü",
        "\n",
        "r#\"",
        "'",
        "#![enable(",
        "9:0",
        "hana",
        "\u{202e}",
        "18446744073709551616",
    ];

    /// Random edits of the demo: deletions, insertions of RON punctuation and odd text,
    /// duplications and truncations. Nothing may panic, and every report must render.
    #[test]
    fn no_edit_of_the_demo_panics_the_checker() {
        let demo: Vec<char> = super::super::BUILT_IN_SOURCE.chars().collect();
        let mut rng = StdRng::seed_from_u64(0x5e71_1570);
        let mut rejected = 0;
        for _ in 0..1000 {
            let mut text = demo.clone();
            for _ in 0..rng.random_range(1..4) {
                let at = rng.random_range(0..=text.len());
                match rng.random_range(0..4) {
                    0 => {
                        let end = (at + rng.random_range(1..40)).min(text.len());
                        text.drain(at..end);
                    }
                    1 => {
                        let insert = MUTATIONS[rng.random_range(0..MUTATIONS.len())];
                        text.splice(at..at, insert.chars());
                    }
                    2 => {
                        let end = (at + rng.random_range(1..200)).min(text.len());
                        let copy: Vec<char> = text[at..end].to_vec();
                        text.splice(at..at, copy);
                    }
                    _ => text.truncate(at),
                }
            }
            let source: String = text.into_iter().collect();
            let (setlist, report) = check(Path::new("scenes/demo.ron"), &source);
            let _ = report.to_string();
            if setlist.is_none() {
                rejected += 1;
            }
        }
        assert!(
            rejected > 150,
            "most random edits break the file: {rejected}"
        );
    }
}

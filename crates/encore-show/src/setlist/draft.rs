//! A whole setlist drafted from a song's analysis (`encore song draft`): the cast, the song on
//! its found grid, sections with formations, who sings which bars, dances that fit each
//! section's energy, lights and effects on the big moments, and a chat that reacts. The
//! camera is left to the director. The creator edits it from there.

use std::fmt::Write as _;

use rand::{Rng, SeedableRng, rngs::StdRng};

use crate::{
    setlist::raw::SectionKind,
    song::{Analysis, FoundSection},
};

/// Members a draft can cast: id, name, colour and built-in look.
const ROSTER: [(&str, &str, &str, &str); 8] = [
    (
        "hana",
        "Hana",
        "#ff59a6",
        "hair: Long, hair_colour: \"#2b1d2e\", outfit: Skirt",
    ),
    (
        "yuna",
        "Yuna",
        "#4db3ff",
        "hair: Bob, hair_colour: \"#1c1c28\", outfit: Trousers",
    ),
    (
        "mira",
        "Mira",
        "#b880ff",
        "hair: TwinTails, hair_colour: \"#e6c07a\", outfit: Coat",
    ),
    (
        "seo",
        "Seo",
        "#59f2b3",
        "hair: Short, hair_colour: \"#15151a\", outfit: CropTop",
    ),
    (
        "jiwoo",
        "Jiwoo",
        "#ffcc4d",
        "hair: Wavy, hair_colour: \"#8a5a3c\", outfit: Skirt",
    ),
    (
        "rin",
        "Rin",
        "#ff8a4d",
        "hair: Ponytail, hair_colour: \"#3a2418\", outfit: Trousers",
    ),
    (
        "dara",
        "Dara",
        "#59d0ff",
        "hair: Long, hair_colour: \"#5a3a6a\", outfit: CropTop",
    ),
    (
        "sol",
        "Sol",
        "#e8ff59",
        "hair: Bob, hair_colour: \"#d8d0c8\", outfit: Coat",
    ),
];

/// The most members a draft casts.
pub const MAX_CAST: usize = ROSTER.len();

/// What the draft needs besides the analysis.
#[derive(Debug, Clone)]
pub struct DraftOptions {
    /// The show's and the song's title.
    pub title: String,
    /// The song file as the setlist names it (relative to the setlist's folder).
    pub audio: String,
    /// Its vocal stem, named the same way: it moves the singers' mouths.
    pub vocals: Option<String>,
    /// Members on stage, 1 to [`MAX_CAST`].
    pub cast: usize,
    /// The setlist's seed (chat wording, dance variations).
    pub seed: u64,
}

/// How a section feels, from its loudness against the song's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Energy {
    Low,
    Mid,
    High,
}

/// The setlist text.
pub fn draft(analysis: &Analysis, options: &DraftOptions) -> String {
    let cast = &ROSTER[..options.cast.clamp(1, MAX_CAST)];
    let ids: Vec<&str> = cast.iter().map(|member| member.0).collect();
    let mut rng = StdRng::seed_from_u64(options.seed);
    let mut text = String::new();
    let _ = writeln!(
        text,
        "// Drafted by `encore song draft` from {}: tempo, bar 1 and sections were found in the\n\
         // audio (`encore song analyze` prints how). Edit freely; docs/setlist.md explains every\n\
         // field. The camera is left to the director: add `camera: [...]` shots to direct it.",
        options.audio
    );
    let _ = writeln!(text, "Concert(");
    let _ = writeln!(text, "    title: {:?},", options.title);
    let _ = writeln!(text, "    venue: Arena,");
    let _ = writeln!(text, "    seed: {},", options.seed);
    let _ = writeln!(text, "    quality: Auto,\n");
    let _ = writeln!(text, "    cast: [");
    for (id, name, colour, look) in cast {
        let _ = writeln!(
            text,
            "        (id: {id:?}, name: {name:?}, colour: {colour:?}, avatar: Builtin({look})),"
        );
    }
    let _ = writeln!(text, "    ],\n");
    let _ = writeln!(text, "    program: [");
    let _ = writeln!(text, "        Song(");
    let _ = writeln!(text, "            title: {:?},", options.title);
    let _ = writeln!(text, "            audio: {:?},", options.audio);
    if let Some(vocals) = &options.vocals {
        let _ = writeln!(text, "            vocals: {vocals:?},");
    }
    let _ = writeln!(text, "            bpm: {:.3},", analysis.bpm);
    let _ = writeln!(text, "            offset: {:.3},", analysis.offset);
    // The writers are not in the audio: a line to fill in for the end credits and the cue
    // sheet (`encore cuesheet`).
    let _ = writeln!(
        text,
        "            // credits: (composers: [\"...\"], lyricists: [\"...\"], publishers: \
         [\"...\"], isrc: \"CC-XXX-YY-NNNNN\", iswc: \"T-123.456.789-C\"),"
    );
    if analysis.beats_per_bar != 4 {
        let _ = writeln!(
            text,
            "            beats_per_bar: {},",
            analysis.beats_per_bar
        );
    }
    let sections = &analysis.sections;
    let energies = energies(sections);
    list(
        &mut text,
        "sections",
        sections.iter().enumerate().map(|(index, section)| {
            format!(
                "(kind: {:?}, bars: ({}, {}), formation: {})",
                section.kind,
                section.bars.0,
                section.bars.1,
                formation(section, index, &ids, &mut rng)
            )
        }),
    );
    list(&mut text, "lines", lines(sections, &ids));
    list(
        &mut text,
        "dance",
        dances(sections, &energies, &ids, &mut rng),
    );
    list(&mut text, "lights", lights(sections, &energies, &ids));
    list(&mut text, "effects", effects(sections, &energies));
    list(&mut text, "ocean", ocean(sections, &ids));
    let palette: Vec<String> = cast
        .iter()
        .map(|member| format!("{:?}", member.2))
        .collect();
    let _ = writeln!(text, "            palette: [{}],", palette.join(", "));
    list(&mut text, "chat", chat(sections, &energies, &ids, &mut rng));
    let _ = writeln!(text, "        ),");
    let _ = writeln!(text, "    ],");
    let _ = writeln!(text, ")");
    text
}

fn list(text: &mut String, field: &str, entries: impl IntoIterator<Item = String>) {
    let _ = writeln!(text, "            {field}: [");
    for entry in entries {
        let _ = writeln!(text, "                {entry},");
    }
    let _ = writeln!(text, "            ],");
}

/// Each section's energy: high at or above the chorus level (within 1.5 dB of the loudest
/// section), low 4 dB or more under it.
fn energies(sections: &[FoundSection]) -> Vec<Energy> {
    let loudest = sections
        .iter()
        .map(|section| section.loudness)
        .fold(f32::MIN, f32::max);
    sections
        .iter()
        .map(|section| {
            let under = loudest - section.loudness;
            if section.kind == SectionKind::Chorus
                || section.kind == SectionKind::DanceBreak
                || under <= 1.5
            {
                Energy::High
            } else if under >= 4.0 || section.kind == SectionKind::Intro {
                Energy::Low
            } else {
                Energy::Mid
            }
        })
        .collect()
}

fn formation(section: &FoundSection, index: usize, ids: &[&str], rng: &mut StdRng) -> String {
    let centre = ids[index % ids.len()];
    match section.kind {
        SectionKind::Intro => "Line".to_owned(),
        SectionKind::Verse => ["V", "TwoRows", "InvertedV"][index % 3].to_owned(),
        SectionKind::PreChorus => "TwoRows".to_owned(),
        SectionKind::Chorus => ["Diamond", "V"][rng.random_range(0..2)].to_owned(),
        SectionKind::DanceBreak => "Circle".to_owned(),
        SectionKind::Bridge | SectionKind::Outro => format!("CenterSolo({centre:?})"),
    }
}

/// Lines: verses pass two bars at a time round the members, pre-choruses go to one, choruses
/// to everyone, a bridge or outro to its centre; intros and dance breaks are instrumental.
fn lines(sections: &[FoundSection], ids: &[&str]) -> Vec<String> {
    let mut next = 0;
    let mut lines = Vec::new();
    let all = quoted(ids);
    for (index, section) in sections.iter().enumerate() {
        let (first, last) = section.bars;
        match section.kind {
            SectionKind::Verse => {
                let mut bar = first;
                while bar <= last {
                    let until = (bar + 1).min(last);
                    lines.push(format!(
                        "(bars: ({bar}, {until}), idols: [{:?}])",
                        ids[next % ids.len()]
                    ));
                    next += 1;
                    bar = until + 1;
                }
            }
            SectionKind::PreChorus => {
                lines.push(format!(
                    "(bars: ({first}, {last}), idols: [{:?}])",
                    ids[next % ids.len()]
                ));
                next += 1;
            }
            SectionKind::Chorus => lines.push(format!("(bars: ({first}, {last}), idols: [{all}])")),
            SectionKind::Bridge | SectionKind::Outro => lines.push(format!(
                "(bars: ({first}, {last}), idols: [{:?}])",
                ids[index % ids.len()]
            )),
            SectionKind::Intro | SectionKind::DanceBreak => {}
        }
    }
    lines
}

fn quoted(ids: &[&str]) -> String {
    ids.iter()
        .map(|id| format!("{id:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Moves by energy: calm steps when quiet, arm work in between, big moves in the loud parts;
/// a dance break splits the members between three showpieces.
fn dances(
    sections: &[FoundSection],
    energies: &[Energy],
    ids: &[&str],
    rng: &mut StdRng,
) -> Vec<String> {
    const LOW: [&str; 4] = ["StepTouch", "HipSway", "Walk", "SideStep"];
    const MID: [&str; 4] = ["ArmWave", "SideStep", "Clap", "ShoulderShimmy"];
    const HIGH: [&str; 5] = ["HeartHands", "Point", "Jump", "ShoulderShimmy", "Clap"];
    let mut dances = Vec::new();
    for (section, energy) in sections.iter().zip(energies) {
        let (first, last) = section.bars;
        match section.kind {
            SectionKind::Intro => {
                dances.push(format!("(bars: ({first}, {first}), move: Pose)"));
                if last > first {
                    let step = LOW[rng.random_range(0..LOW.len())];
                    dances.push(format!("(bars: ({}, {last}), move: {step})", first + 1));
                }
            }
            SectionKind::DanceBreak => {
                for (index, showpiece) in ["BodyRoll", "Spin", "Kick"].iter().enumerate() {
                    let group: Vec<&str> = ids
                        .iter()
                        .enumerate()
                        .filter(|(member, _)| member % 3 == index)
                        .map(|(_, id)| *id)
                        .collect();
                    if !group.is_empty() {
                        dances.push(format!(
                            "(bars: ({first}, {last}), move: {showpiece}, idols: [{}])",
                            quoted(&group)
                        ));
                    }
                }
            }
            SectionKind::Outro if last > first => {
                let step = LOW[rng.random_range(0..LOW.len())];
                dances.push(format!("(bars: ({first}, {}), move: {step})", last - 1));
                dances.push(format!("(bars: ({last}, {last}), move: Bow)"));
            }
            _ => {
                let moves: &[&str] = match energy {
                    Energy::Low => &LOW,
                    Energy::Mid => &MID,
                    Energy::High => &HIGH,
                };
                let chosen = moves[rng.random_range(0..moves.len())];
                // Verses ripple across the line; choruses move as one.
                let canon = if section.kind == SectionKind::Verse {
                    ", canon: 0.5"
                } else {
                    ""
                };
                dances.push(format!("(bars: ({first}, {last}), move: {chosen}{canon})"));
            }
        }
    }
    dances
}

fn lights(sections: &[FoundSection], energies: &[Energy], ids: &[&str]) -> Vec<String> {
    sections
        .iter()
        .zip(energies)
        .enumerate()
        .map(|(index, (section, energy))| {
            let at = format!("at: \"bar {}\"", section.bars.0);
            let centre = ids[index % ids.len()];
            match (section.kind, energy) {
                (SectionKind::Chorus, _) => format!(
                    "({at}, look: Rainbow, fade: 0.0, pattern: {}, chase: 2, lasers: true)",
                    if index % 2 == 0 { "Sweep" } else { "Fan" }
                ),
                (SectionKind::DanceBreak, _) => {
                    format!("({at}, look: Strobe, fade: 0.0, pattern: Chase, chase: 0.5)")
                }
                (SectionKind::Intro, _) => format!("({at}, look: Cool, fade: 2.0)"),
                (SectionKind::PreChorus, _) => format!("({at}, look: Member({centre:?}))"),
                (SectionKind::Bridge | SectionKind::Outro, _) => {
                    format!("({at}, look: Member({centre:?}), fade: 1.5, pattern: Still)")
                }
                (_, Energy::High) => format!("({at}, look: Warm, fade: 0.5, pattern: Chase)"),
                _ => format!("({at}, look: Warm, fade: 1.0)"),
            }
        })
        .collect()
}

/// CO2 on the first chorus, pyro on the later ones and loud dance breaks, confetti at the end.
fn effects(sections: &[FoundSection], energies: &[Energy]) -> Vec<String> {
    let mut effects = Vec::new();
    let mut choruses = 0;
    for (section, energy) in sections.iter().zip(energies) {
        let at = format!("at: \"bar {}\"", section.bars.0);
        match section.kind {
            SectionKind::Chorus => {
                effects.push(format!(
                    "({at}, effect: {})",
                    if choruses == 0 { "Co2" } else { "Pyro" }
                ));
                choruses += 1;
            }
            SectionKind::DanceBreak if *energy == Energy::High => {
                effects.push(format!("({at}, effect: Sparklers)"));
            }
            _ => {}
        }
    }
    if let Some(last) = sections.last() {
        effects.push(format!("(at: \"bar {}\", effect: Confetti)", last.bars.0));
    }
    effects
}

fn ocean(sections: &[FoundSection], ids: &[&str]) -> Vec<String> {
    sections
        .iter()
        .enumerate()
        .filter_map(|(index, section)| {
            let at = format!("at: \"bar {}\"", section.bars.0);
            match section.kind {
                SectionKind::Chorus => Some(format!("({at}, ocean: Members)")),
                SectionKind::DanceBreak => Some(format!("({at}, ocean: Wave)")),
                SectionKind::Bridge | SectionKind::Outro => Some(format!(
                    "({at}, ocean: Member({:?}))",
                    ids[index % ids.len()]
                )),
                _ => None,
            }
        })
        .collect()
}

/// Fans greet the song, cheer each chorus and dance break, and the solo parts' singer.
fn chat(
    sections: &[FoundSection],
    energies: &[Energy],
    ids: &[&str],
    rng: &mut StdRng,
) -> Vec<String> {
    const FANS: [&str; 8] = [
        "moa_92",
        "starlight_kr",
        "lightstick_lee",
        "fancam_dani",
        "encore_jp",
        "bias_wrecked",
        "front_row_mo",
        "daily_idol",
    ];
    const CHORUS: [&str; 6] = [
        "THE CHORUS 😭😭",
        "후렴 미쳤다 ㅠㅠ",
        "everyone sing!!",
        "this part!!! 💗",
        "サビ最高!!",
        "goosebumps 🥺",
    ];
    const BREAK: [&str; 3] = [
        "the dance break omg",
        "SYNC 🔥🔥",
        "who choreographed this 😳",
    ];
    let mut fan = || FANS[rng.random_range(0..FANS.len())];
    let mut messages = vec![format!(
        "(at: 1.0, from: {:?}, text: \"IT'S STARTING 😭\")",
        fan()
    )];
    for (index, (section, energy)) in sections.iter().zip(energies).enumerate() {
        let at = format!("at: \"bar {}\"", section.bars.0);
        let text = match section.kind {
            SectionKind::Chorus => CHORUS[index % CHORUS.len()].to_owned(),
            SectionKind::DanceBreak => BREAK[index % BREAK.len()].to_owned(),
            SectionKind::Bridge | SectionKind::Outro => {
                format!("{} vocals 💗", ids[index % ids.len()].to_uppercase())
            }
            _ if *energy == Energy::High => "this song is so good".to_owned(),
            _ => continue,
        };
        messages.push(format!("({at}, from: {:?}, text: {text:?})", fan()));
    }
    messages
}

/// What `encore song draft` wrote.
#[derive(Debug, Clone)]
pub struct Drafted {
    /// The setlist file.
    pub setlist: std::path::PathBuf,
    /// Files copied beside the setlist because they were not reachable from its folder
    /// (setlists read files from their own folder): the song, the vocal stem.
    pub copied: Vec<std::path::PathBuf>,
}

/// Drafts a setlist for `song` (analysed as `analysis`, with its vocal stem `vocals` if
/// any) into `out`, never overwriting a file, and checks the result. Files are named
/// relative to `out`'s folder, or copied there when they are outside it.
pub fn draft_file(
    song: &std::path::Path,
    analysis: &Analysis,
    vocals: Option<&std::path::Path>,
    out: &std::path::Path,
    cast: usize,
    title: Option<&str>,
    seed: u64,
) -> Result<Drafted, String> {
    if out.exists() {
        return Err(format!(
            "{} already exists; give another name with -o, or delete it first",
            out.display()
        ));
    }
    if !(1..=MAX_CAST).contains(&cast) {
        return Err(format!(
            "--cast {cast}: a draft casts 1 to {MAX_CAST} members"
        ));
    }
    let folder = out
        .parent()
        .filter(|folder| !folder.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let mut copied = Vec::new();
    let audio = beside(song, folder, out, &mut copied)?;
    let vocals = vocals
        .map(|vocals| beside(vocals, folder, out, &mut copied))
        .transpose()?;
    let title = title.map_or_else(
        || title_from(&song.file_name().unwrap_or_default().to_string_lossy()),
        str::to_owned,
    );
    let text = draft(
        analysis,
        &DraftOptions {
            title,
            audio,
            vocals,
            cast,
            seed,
        },
    );
    let (checked, report) = crate::setlist::check(out, &text);
    if checked.is_none() {
        return Err(format!(
            "the draft does not check (a bug in encore, please report it):\n{report}"
        ));
    }
    std::fs::write(out, &text)
        .map_err(|error| format!("cannot write {}: {error}", out.display()))?;
    Ok(Drafted {
        setlist: out.to_owned(),
        copied,
    })
}

/// How the setlist in `folder` names `file`: relative, when the checker lets it reach it,
/// else by its name after copying it there (recorded in `copied`).
fn beside(
    file: &std::path::Path,
    folder: &std::path::Path,
    out: &std::path::Path,
    copied: &mut Vec<std::path::PathBuf>,
) -> Result<String, String> {
    let real = file
        .canonicalize()
        .map_err(|error| format!("cannot read {}: {error}", file.display()))?;
    let reachable = folder.canonicalize().ok().and_then(|folder| {
        let relative = real
            .strip_prefix(&folder)
            .ok()?
            .to_string_lossy()
            .into_owned();
        crate::setlist::validate::resolve_file(&folder, &relative)
            .ok()
            .map(|_| relative)
    });
    if let Some(relative) = reachable {
        return Ok(relative);
    }
    let name = file
        .file_name()
        .ok_or_else(|| format!("{} is not a file", file.display()))?
        .to_string_lossy()
        .into_owned();
    let target = folder.join(&name);
    if target.exists() && target.canonicalize().ok() != Some(real) {
        return Err(format!(
            "{} is outside {}'s folder and {} is another file; put it beside the setlist or \
             choose another -o folder",
            file.display(),
            out.display(),
            target.display()
        ));
    }
    std::fs::create_dir_all(folder)
        .and_then(|()| std::fs::copy(file, &target).map(|_| ()))
        .map_err(|error| {
            format!(
                "cannot copy {} to {}: {error}",
                file.display(),
                target.display()
            )
        })?;
    copied.push(target);
    Ok(name)
}

/// "city_chill-v2.ogg" → "City Chill V2".
fn title_from(file: &str) -> String {
    let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    stem.split(|c: char| c == '_' || c == '-' || c.is_whitespace())
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

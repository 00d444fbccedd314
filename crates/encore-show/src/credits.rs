//! What the show says about itself on screen, as data: each song's title card (number, title,
//! artist, and how visible it is), and the credit roll in the show's last seconds: the music
//! performed (each song's writers, publishers and codes) and the imported avatars' authors and
//! licences. Functions of the clock alone, so recordings and chunks of them show them the same
//! way.

use crate::{
    colour::Srgb,
    setlist::{ItemKind, Setlist, SongCredits},
};

/// Seconds the credit roll takes to rise through the picture's height: the whole roll of a
/// few lines, and the start of a longer one (see [`roll_seconds`]).
pub const ROLL_SECONDS: f64 = 12.0;

/// The picture's height in roll lines at 720 pixels (a line is about 20 pixels).
pub const ROLL_SCREEN_LINES: f64 = 36.0;

/// How fast the roll rises, in lines a second: a line takes [`ROLL_SECONDS`] from the bottom
/// edge to the top, time to read it twice, however long the roll.
pub const ROLL_LINES_PER_SECOND: f64 = ROLL_SCREEN_LINES / ROLL_SECONDS;

/// Seconds of fading in at the start of the roll and out at its end.
const ROLL_FADES: [f64; 2] = [2.0, 0.7];

/// Text sizes of the roll: its headings, each song's title line, the lines under it.
pub const ROLL_SIZES: [f32; 3] = [CARD_SIZES[0], CARD_SIZES[2], CARD_SIZES[0]];

/// Seconds the credit roll of `lines` lines takes at the end of the show: the picture's
/// height and then its own length at [`ROLL_LINES_PER_SECOND`], so many songs roll as slowly
/// as a few, only for longer.
pub fn roll_seconds(lines: usize) -> f64 {
    ROLL_SECONDS + lines as f64 / ROLL_LINES_PER_SECOND
}

/// Where a credit roll lasting `seconds` is `until_end` seconds before the end of the show:
/// its share of the way up the screen (0 at the bottom edge, 1 past the top) and its opacity;
/// `None` outside.
pub fn roll_at(until_end: f64, seconds: f64) -> Option<(f32, f32)> {
    if !(0.0..seconds).contains(&until_end) {
        return None;
    }
    let since = seconds - until_end;
    let progress = since / seconds;
    let [fade_in, fade_out] = ROLL_FADES;
    let alpha = (since / fade_in).min(until_end / fade_out).clamp(0.0, 1.0);
    Some((progress as f32, alpha as f32))
}

/// The roll's top edge, from the top of a picture `screen_height` tall, at `progress` (from
/// [`roll_at`]) for a roll `roll_height` tall: its top at the bottom edge at 0, its bottom
/// at the top edge at 1.
pub fn roll_top(progress: f32, screen_height: f32, roll_height: f32) -> f32 {
    screen_height - progress * (screen_height + roll_height)
}

/// How a line of the credit roll is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollStyle {
    /// A part's heading (`MUSIC`, `AVATARS`), small in the accent colour.
    Heading,
    /// A song's title and artists.
    Title,
    /// What is under a title or a heading: writers, publishers, codes, an avatar's credit.
    Detail,
    /// An empty line between blocks.
    Gap,
}

impl RollStyle {
    /// Its text size.
    pub fn size(self) -> f32 {
        match self {
            Self::Heading | Self::Gap => ROLL_SIZES[0],
            Self::Title => ROLL_SIZES[1],
            Self::Detail => ROLL_SIZES[2],
        }
    }
}

/// One line of the credit roll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollLine {
    /// How it is set.
    pub style: RollStyle,
    /// What it says (empty for a gap).
    pub text: String,
}

impl RollLine {
    fn new(style: RollStyle, text: impl Into<String>) -> Self {
        Self {
            style,
            text: text.into(),
        }
    }
}

/// Names as English lists them: `A`, `A & B`, `A, B & C`.
fn names(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} & {last}", rest.join(", ")),
    }
}

/// The lines of one song's block: its title and artists, then only the lines it has data for.
fn song_block(display_title: &str, credits: &SongCredits, lines: &mut Vec<RollLine>) {
    let mut title = format!("\u{201c}{display_title}\u{201d}");
    if !credits.artists.is_empty() {
        title.push_str(" \u{2014} ");
        title.push_str(&names(&credits.artists));
    }
    lines.push(RollLine::new(RollStyle::Title, title));
    if credits.title != display_title {
        lines.push(RollLine::new(
            RollStyle::Detail,
            format!("registered as \u{201c}{}\u{201d}", credits.title),
        ));
    }
    let mut writers = Vec::new();
    if !credits.composers.is_empty() && credits.composers == credits.lyricists {
        writers.push(format!("music & words: {}", names(&credits.composers)));
    } else {
        for (role, people) in [("music", &credits.composers), ("words", &credits.lyricists)] {
            if !people.is_empty() {
                writers.push(format!("{role}: {}", names(people)));
            }
        }
    }
    if !credits.arrangers.is_empty() {
        writers.push(format!("arranged: {}", names(&credits.arrangers)));
    }
    if !writers.is_empty() {
        lines.push(RollLine::new(RollStyle::Detail, writers.join(" \u{b7} ")));
    }
    match credits.publishers.as_slice() {
        [] => {}
        [one] => lines.push(RollLine::new(
            RollStyle::Detail,
            format!("publisher: {one}"),
        )),
        many => lines.push(RollLine::new(
            RollStyle::Detail,
            format!("publishers: {}", names(many)),
        )),
    }
    let codes: Vec<String> = [("ISRC", &credits.isrc), ("ISWC", &credits.iswc)]
        .into_iter()
        .filter_map(|(name, code)| Some(format!("{name} {}", code.as_ref()?)))
        .collect();
    if !codes.is_empty() {
        lines.push(RollLine::new(RollStyle::Detail, codes.join(" \u{b7} ")));
    }
}

/// The credit roll of `setlist`, top to bottom: `MUSIC` with a block for each song performed
/// (a song played twice, once), then `AVATARS` with the imported models' credits. Empty when
/// the show has neither.
///
/// The music part rolls only in a show at least twice the roll's length: a take of a few
/// seconds (a studio clip, a test) is not a concert with end credits, and the roll would cover
/// all of it. The avatars' credits, which their licences ask for, roll whatever the length.
pub fn roll_lines(setlist: &Setlist) -> Vec<RollLine> {
    let mut lines = Vec::new();
    let mut rolled: Vec<(&str, &SongCredits)> = Vec::new();
    for item in &setlist.items {
        let Some(credits) = &item.credits else {
            continue;
        };
        let song = (item.display_title(), credits);
        if rolled.contains(&song) {
            continue;
        }
        lines.push(if rolled.is_empty() {
            RollLine::new(RollStyle::Heading, "MUSIC")
        } else {
            RollLine::new(RollStyle::Gap, "")
        });
        song_block(item.display_title(), credits, &mut lines);
        rolled.push(song);
    }
    if !setlist.credits.is_empty() {
        if !lines.is_empty() {
            lines.push(RollLine::new(RollStyle::Gap, ""));
            lines.push(RollLine::new(RollStyle::Gap, ""));
        }
        lines.push(RollLine::new(RollStyle::Heading, "AVATARS"));
        for credit in &setlist.credits {
            lines.push(RollLine::new(RollStyle::Detail, credit.clone()));
        }
    }
    if setlist.duration() < 2.0 * roll_seconds(lines.len()) {
        let avatars = lines
            .iter()
            .position(|line| line.style == RollStyle::Heading && line.text == "AVATARS")
            .unwrap_or(lines.len());
        lines.drain(..avatars);
    }
    lines
}

/// Seconds after a song starts that its card appears, is fully shown, starts fading, is gone.
const CARD_TIMES: [f64; 4] = [0.4, 1.0, 6.0, 7.0];

/// Text sizes of the card: the label, the title, the artist.
pub const CARD_SIZES: [f32; 3] = [13.0, 30.0, 15.0];

/// How visible the card is `since` seconds after its song started, 0 to 1.
pub fn card_alpha(since: f64) -> f32 {
    let [appear, shown, fade, gone] = CARD_TIMES;
    let alpha = if since < appear || since >= gone {
        0.0
    } else if since < shown {
        (since - appear) / (shown - appear)
    } else if since < fade {
        1.0
    } else {
        (gone - since) / (gone - fade)
    };
    alpha as f32
}

/// How far the card has slid out of the frame `since` seconds after its song started: 1
/// off to the left, 0 in place. It slides in as it appears, eased to a stop, and out as it
/// fades, like a TV music show's caption.
pub fn card_slide(since: f64) -> f32 {
    let [appear, shown, fade, gone] = CARD_TIMES;
    let slide = if since < appear || since >= gone {
        1.0
    } else if since < shown {
        (1.0 - (since - appear) / (shown - appear)).powi(3)
    } else if since < fade {
        0.0
    } else {
        ((since - fade) / (gone - fade)).powi(3)
    };
    slide as f32
}

/// A song's title card at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    /// The label (`SONG 2`, `ENCORE · SONG 5`), the title, the artist (may be empty).
    pub texts: [String; 3],
    /// How visible it is, 0 to 1.
    pub alpha: f32,
    /// How far it has slid out to the left, 0 (in place) to 1 (out of the frame).
    pub slide: f32,
    /// The song's colours for the band: its palette's first two, else its members'.
    pub colours: [Srgb; 2],
}

/// What the card says for the song under the playhead and how visible it is, if at all.
pub fn card_at(setlist: &Setlist, seconds: f64) -> Option<Card> {
    let index = setlist.item_index_at(seconds);
    let item = setlist.items.get(index)?;
    if item.kind != ItemKind::Song {
        return None;
    }
    let since = seconds - item.start;
    let alpha = card_alpha(since);
    if alpha <= 0.0 {
        return None;
    }
    let mut colours = item
        .palette
        .iter()
        .copied()
        .chain(setlist.cast.iter().map(|idol| idol.colour));
    let first = colours.next().unwrap_or(Srgb::rgb_u8(255, 110, 180));
    let second = colours
        .find(|colour| *colour != first)
        .unwrap_or(Srgb::rgb_u8(120, 90, 255));
    let number = setlist.items[..=index]
        .iter()
        .filter(|item| item.kind == ItemKind::Song)
        .count();
    let label = if item.encore {
        format!("ENCORE · SONG {number}")
    } else {
        format!("SONG {number}")
    };
    Some(Card {
        texts: [label, item.display_title().to_owned(), item.artist.clone()],
        alpha,
        slide: card_slide(since),
        colours: [first, second],
    })
}

/// Every text the cards of `setlist` (and the credit roll) will show, for warming the font
/// atlas.
pub fn card_texts(setlist: &Setlist) -> String {
    let mut texts = String::from("ENCORE · SONG 0123456789 \u{201c}\u{201d}");
    for line in roll_lines(setlist) {
        texts.push_str(&line.text);
    }
    for item in &setlist.items {
        texts.push_str(&item.title);
        texts.push_str(&item.artist);
    }
    texts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setlist::{files::FileCache, model::Avatar};

    #[test]
    fn the_credit_roll_rises_through_the_last_seconds() {
        assert_eq!(roll_at(20.0, ROLL_SECONDS), None);
        assert_eq!(roll_at(-1.0, ROLL_SECONDS), None);
        let (start, faint) = roll_at(11.9, ROLL_SECONDS).expect("the roll has begun");
        let (middle, full) = roll_at(6.0, ROLL_SECONDS).expect("the roll is on");
        assert!(start < middle && middle < 1.0);
        assert!(faint < 0.2 && full == 1.0);
        assert_eq!(roll_seconds(0), ROLL_SECONDS);
        assert!((roll_seconds(36) - 2.0 * ROLL_SECONDS).abs() < 1e-9);
    }

    #[test]
    fn the_roll_credits_every_song_then_the_avatars() {
        let mut setlist = Setlist::built_in();
        setlist.credits = vec!["Hana: \u{201c}Idol\u{201d} by someone (CC_BY)".into()];
        let lines = roll_lines(&setlist);
        let texts: Vec<&str> = lines.iter().map(|line| line.text.as_str()).collect();
        assert_eq!(texts[0], "MUSIC");
        assert_eq!(texts[1], "\u{201c}Starlight Signal\u{201d} \u{2014} encore");
        assert_eq!(
            texts[2],
            "music: Hoshi Kanade & Lumen Park \u{b7} words: Lumen Park \u{b7} arranged: encore synth"
        );
        assert_eq!(texts[3], "publisher: Starlight Demo Music (fictional)");
        assert_eq!(texts[4], "ISRC XX-ENC-26-00001 \u{b7} ISWC T-926.040.128-3");
        assert_eq!(lines[5].style, RollStyle::Gap);
        // The second song's work is registered under another title, and has two publishers.
        assert!(
            texts
                .contains(&"registered as \u{201c}Neon Heartbeat (Starlight Live Version)\u{201d}"),
            "{texts:#?}"
        );
        assert!(
            texts
                .iter()
                .any(|text| text.starts_with("publishers: Starlight Demo Music (fictional) & ")),
            "{texts:#?}"
        );
        let songs = lines
            .iter()
            .filter(|line| line.style == RollStyle::Title)
            .count();
        assert_eq!(songs, 3);
        assert_eq!(texts[texts.len() - 2], "AVATARS");
        assert_eq!(texts[texts.len() - 1], setlist.credits[0]);

        // A song without credits rolls its title alone; the same song twice rolls once.
        let mut bare = Setlist::built_in();
        for item in &mut bare.items {
            if let Some(credits) = &mut item.credits {
                *credits = SongCredits {
                    title: item.title.clone(),
                    ..SongCredits::default()
                };
            }
        }
        let first = bare.items[0].clone();
        bare.items.push(first);
        let lines = roll_lines(&bare);
        assert_eq!(lines.len(), 1 + 3 + 2, "{lines:#?}");
        assert_eq!(lines[1].text, "\u{201c}Starlight Signal\u{201d}");
        // A show too short to hold the roll twice rolls only the avatars' credits.
        let mut short = Setlist::built_in();
        short.items.truncate(1);
        assert!(
            short.duration() > 60.0,
            "the demo's first song is a minute long"
        );
        assert_eq!(roll_lines(&short).len(), 1 + 4, "{:#?}", roll_lines(&short));
        short.items[0].duration = 20.0;
        assert_eq!(roll_lines(&short), []);
        short.credits = setlist.credits.clone();
        let avatars: Vec<String> = roll_lines(&short)
            .into_iter()
            .map(|line| line.text)
            .collect();
        assert_eq!(avatars, ["AVATARS", setlist.credits[0].as_str()]);
        // Every text of the roll is in what the font atlas warms.
        let warmed = card_texts(&setlist);
        for line in roll_lines(&setlist) {
            assert!(warmed.contains(&line.text), "{}", line.text);
        }
    }

    /// Every line of a long roll (forty songs with full credits, and avatars) must be fully
    /// on a 720-pixel picture, fully opaque, for several seconds on its way up.
    #[test]
    fn every_line_of_a_long_roll_crosses_the_screen_slowly_enough_to_read() {
        let (generated, report) = crate::setlist::check(
            std::path::Path::new("generated.ron"),
            &crate::setlist::generated_setlist(40),
        );
        let mut setlist = generated.unwrap_or_else(|| panic!("{report}"));
        let demo = Setlist::built_in();
        let full = demo.items[0]
            .credits
            .clone()
            .expect("the demo's first song has credits");
        for (number, item) in setlist.items.iter_mut().enumerate() {
            if let Some(credits) = &mut item.credits {
                *credits = SongCredits {
                    title: format!("Work {number}"),
                    ..full.clone()
                };
            }
        }
        setlist.credits = vec!["an avatar's credit".into(); 5];
        let lines = roll_lines(&setlist);
        assert!(lines.len() > 200, "{} lines", lines.len());
        let seconds = roll_seconds(lines.len());
        // 20 pixels a line, as the app sets them at these sizes.
        let (screen, line_height) = (720.0_f32, 20.0_f32);
        let roll_height = lines.len() as f32 * line_height;
        let fps = 30.0;
        let mut readable = vec![0.0_f64; lines.len()];
        for frame in 0..=(seconds * fps) as usize {
            let until_end = seconds - frame as f64 / fps;
            let Some((progress, alpha)) = roll_at(until_end, seconds) else {
                continue;
            };
            let top = roll_top(progress, screen, roll_height);
            for (index, shown) in readable.iter_mut().enumerate() {
                let line_top = top + index as f32 * line_height;
                if alpha >= 0.99 && line_top >= 0.0 && line_top + line_height <= screen {
                    *shown += 1.0 / fps;
                }
            }
        }
        let slowest = readable.iter().copied().fold(f64::INFINITY, f64::min);
        assert!(slowest > 8.0, "a line is readable for only {slowest:.1} s");
    }

    #[test]
    fn the_card_fades_in_holds_and_fades_out_at_each_song() {
        assert_eq!(card_alpha(0.0), 0.0);
        assert!((card_alpha(0.7) - 0.5).abs() < 1e-6);
        assert_eq!(card_alpha(3.0), 1.0);
        assert!((card_alpha(6.5) - 0.5).abs() < 1e-6);
        assert_eq!(card_alpha(7.0), 0.0);

        let setlist = Setlist::built_in();
        let first = &setlist.items[0];
        let card = card_at(&setlist, first.start + 3.0).expect("the first song shows its card");
        let [label, title, _] = &card.texts;
        assert_eq!(label, "SONG 1");
        assert_eq!(title, &first.title);
        assert_eq!((card.alpha, card.slide), (1.0, 0.0));
        assert_ne!(card.colours[0], card.colours[1]);
        // It slides in from the left as the song starts and out as it fades.
        let arriving = card_at(&setlist, first.start + 0.6).expect("appearing");
        let leaving = card_at(&setlist, first.start + 6.8).expect("leaving");
        assert!(arriving.slide > 0.1 && arriving.slide < 1.0, "{arriving:?}");
        assert!(leaving.slide > 0.1 && leaving.slide < 1.0, "{leaving:?}");
        assert!(card_slide(0.5) > card_slide(0.8) && card_slide(6.2) < card_slide(6.9));
        assert_eq!(card_slide(0.0), 1.0);
        assert!(card_at(&setlist, first.start + 20.0).is_none());
        // MC segments have no card.
        assert!(card_at(&setlist, setlist.items[1].start + 3.0).is_none());
    }

    #[test]
    fn a_model_avatar_is_credited_once_from_its_file() {
        let Some(godette) = crate::testdata::file("vrm/Godette_vrm_v4.vrm") else {
            return;
        };
        let mut setlist = Setlist::built_in();
        setlist.cast[0].avatar = Avatar::Model(godette);
        setlist.cast[1].avatar = Avatar::Model("missing.vrm".into());
        let mut files = FileCache::default();
        let lines = files.credit_lines(&setlist.cast);
        assert_eq!(
            lines,
            [format!(
                "{}: \u{201c}Low-Poly Godette\u{201d} by SirRichard94 (CC_BY)",
                setlist.cast[0].name
            )]
        );
        let reads = files.reads();
        assert_eq!(files.credit_lines(&setlist.cast), lines);
        // Godette's file is not inspected again; the missing one is looked for again, in
        // case it has appeared since.
        assert_eq!(files.reads(), reads + 1);
    }
}

//! What the show says about itself on screen, as data: each song's title card (number, title,
//! artist, and how visible it is), and the credit roll of the imported avatars' authors and
//! licences in the show's last seconds. Functions of the clock alone, so recordings and chunks
//! of them show them the same way.

use crate::{
    colour::Srgb,
    setlist::{ItemKind, Setlist},
};

/// Seconds at the end of the show the credit roll takes.
pub const ROLL_SECONDS: f64 = 12.0;

/// Where the credit roll is `until_end` seconds before the end of the show: its share of the
/// way up the screen (0 at the bottom edge, 1 past the top) and its opacity; `None` outside.
pub fn roll_at(until_end: f64) -> Option<(f32, f32)> {
    if !(0.0..ROLL_SECONDS).contains(&until_end) {
        return None;
    }
    let progress = 1.0 - until_end / ROLL_SECONDS;
    let alpha = (progress * 6.0).min(until_end * 1.5).clamp(0.0, 1.0);
    Some((progress as f32, alpha as f32))
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
    let mut texts = String::from("ENCORE · SONG 0123456789 AVATARS \u{201c}\u{201d}");
    for line in &setlist.credits {
        texts.push_str(line);
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
        assert_eq!(roll_at(20.0), None);
        assert_eq!(roll_at(-1.0), None);
        let (start, faint) = roll_at(11.9).expect("the roll has begun");
        let (middle, full) = roll_at(6.0).expect("the roll is on");
        assert!(start < middle && middle < 1.0);
        assert!(faint < 0.2 && full == 1.0);
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

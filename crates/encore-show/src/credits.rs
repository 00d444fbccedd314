//! What the show says about itself on screen, as data: each song's title card (number, title,
//! artist, and how visible it is), and the credit roll of the imported avatars' authors and
//! licences in the show's last seconds. Functions of the clock alone, so recordings and chunks
//! of them show them the same way.

use crate::setlist::{ItemKind, Setlist};

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

/// What the card says for the song under the playhead and how visible it is, if at all.
pub fn card_at(setlist: &Setlist, seconds: f64) -> Option<([String; 3], f32)> {
    let index = setlist.item_index_at(seconds);
    let item = setlist.items.get(index)?;
    if item.kind != ItemKind::Song {
        return None;
    }
    let alpha = card_alpha(seconds - item.start);
    if alpha <= 0.0 {
        return None;
    }
    let number = setlist.items[..=index]
        .iter()
        .filter(|item| item.kind == ItemKind::Song)
        .count();
    let label = if item.encore {
        format!("ENCORE · SONG {number}")
    } else {
        format!("SONG {number}")
    };
    Some((
        [label, item.display_title().to_owned(), item.artist.clone()],
        alpha,
    ))
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
        let ([label, title, _], alpha) =
            card_at(&setlist, first.start + 3.0).expect("the first song shows its card");
        assert_eq!(label, "SONG 1");
        assert_eq!(title, first.title);
        assert_eq!(alpha, 1.0);
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

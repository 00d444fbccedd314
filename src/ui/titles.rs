//! The title card: each song's number, title and artist fade in at the bottom left as it
//! starts, as in a broadcast. A function of the clock alone, so recordings (and chunks of
//! them) show it the same way, and its glyphs are laid out during warm-up.

use bevy::prelude::*;

use crate::setlist::ShowSetlist;
use bevy_egui::{EguiContexts, egui};

use crate::{
    avatar::inspect::{credit_line, inspect},
    clock::{ConcertClock, Lockstep},
    setlist::{ItemKind, Setlist, model::Avatar},
};

/// Seconds at the end of the show the credit roll takes.
const ROLL_SECONDS: f64 = 12.0;

/// The credit lines of the cast's model avatars (author and licence, from the files).
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub(crate) struct Credits(pub Vec<String>);

/// Reads the credits from the model files when the cast changes.
pub(super) fn read_credits(setlist: Res<ShowSetlist>, mut credits: ResMut<Credits>) {
    if !setlist.is_changed() {
        return;
    }
    let lines = setlist
        .cast
        .iter()
        .filter_map(|idol| match &idol.avatar {
            Avatar::Model(path) => credit_line(&idol.name, &inspect(path).ok()?),
            Avatar::Builtin(_) => None,
        })
        .collect();
    credits.set_if_neq(Credits(lines));
}

/// Where the credit roll is `until_end` seconds before the end of the show: its share of the
/// way up the screen (0 at the bottom edge, 1 past the top) and its opacity; `None` outside.
pub(super) fn roll_at(until_end: f64) -> Option<(f32, f32)> {
    if !(0.0..ROLL_SECONDS).contains(&until_end) {
        return None;
    }
    let progress = 1.0 - until_end / ROLL_SECONDS;
    let alpha = (progress * 6.0).min(until_end * 1.5).clamp(0.0, 1.0);
    Some((progress as f32, alpha as f32))
}

/// The end-of-show credit roll: the imported avatars' authors and licences, rising up the
/// middle of the picture in the show's last seconds.
pub(super) fn credit_roll_ui(
    mut contexts: EguiContexts,
    clock: Res<ConcertClock>,
    setlist: Res<ShowSetlist>,
    credits: Res<Credits>,
) -> Result {
    if credits.0.is_empty() {
        return Ok(());
    }
    let Some((progress, alpha)) = roll_at(setlist.duration() - clock.seconds) else {
        return Ok(());
    };
    let ctx = contexts.ctx_mut()?;
    let screen = ctx.content_rect();
    let height = (credits.0.len() as f32 + 2.0) * CARD_SIZES[2] * 1.6;
    let y = screen.bottom() - progress * (screen.height() + height);
    let white = egui::Color32::WHITE.gamma_multiply(alpha);
    let accent = egui::Color32::from_rgb(255, 110, 180).gamma_multiply(alpha);
    egui::Area::new(egui::Id::new("credit roll"))
        // Left of centre, clear of the chat on the right.
        .fixed_pos(egui::pos2(screen.left() + screen.width() * 0.06, y))
        .order(egui::Order::Middle)
        .interactable(false)
        .show(ctx, |ui| {
            ui.set_width(screen.width() * 0.56);
            let fill = egui::Color32::from_rgba_unmultiplied(22, 16, 38, (200.0 * alpha) as u8);
            egui::Frame::new()
                .fill(fill)
                .corner_radius(4.0)
                .inner_margin(egui::Margin::symmetric(14, 10))
                .show(ui, |ui| {
                    ui.vertical_centered(|ui| {
                        ui.label(
                            egui::RichText::new("AVATARS")
                                .size(CARD_SIZES[0])
                                .color(accent)
                                .strong(),
                        );
                        for line in &credits.0 {
                            ui.label(egui::RichText::new(line).size(CARD_SIZES[2]).color(white));
                        }
                    });
                });
        });
    Ok(())
}

/// Seconds after a song starts that its card appears, is fully shown, starts fading, is gone.
const CARD_TIMES: [f64; 4] = [0.4, 1.0, 6.0, 7.0];

/// Text sizes of the card: the label, the title, the artist.
pub(super) const CARD_SIZES: [f32; 3] = [13.0, 30.0, 15.0];

/// How visible the card is `since` seconds after its song started, 0 to 1.
pub(super) fn card_alpha(since: f64) -> f32 {
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
pub(super) fn card_at(setlist: &Setlist, seconds: f64) -> Option<([String; 3], f32)> {
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
pub(super) fn card_texts(setlist: &Setlist, credits: &Credits) -> String {
    let mut texts = String::from("ENCORE · SONG 0123456789 AVATARS \u{201c}\u{201d}");
    for line in &credits.0 {
        texts.push_str(line);
    }
    for item in &setlist.items {
        texts.push_str(&item.title);
        texts.push_str(&item.artist);
    }
    texts
}

pub(super) fn title_card_ui(
    mut contexts: EguiContexts,
    clock: Res<ConcertClock>,
    setlist: Res<ShowSetlist>,
    lockstep: Option<Res<Lockstep>>,
) -> Result {
    let Some(([label, title, artist], alpha)) = card_at(&setlist, clock.seconds) else {
        return Ok(());
    };
    let ctx = contexts.ctx_mut()?;
    // Above the transport bar in the window; near the corner in recordings.
    let lift = if lockstep.is_some() { 24.0 } else { 100.0 };
    let white = egui::Color32::WHITE.gamma_multiply(alpha);
    let fill = egui::Color32::from_rgba_unmultiplied(22, 16, 38, (200.0 * alpha) as u8);
    let accent = egui::Color32::from_rgb(255, 110, 180).gamma_multiply(alpha);
    egui::Area::new(egui::Id::new("title card"))
        .anchor(egui::Align2::LEFT_BOTTOM, egui::vec2(24.0, -lift))
        .order(egui::Order::Middle)
        .interactable(false)
        .show(ctx, |ui| {
            egui::Frame::new()
                .fill(fill)
                .stroke(egui::Stroke::new(0.0, fill))
                .corner_radius(4.0)
                .inner_margin(egui::Margin::symmetric(14, 10))
                .show(ui, |ui| {
                    let [small, big, medium] = CARD_SIZES;
                    ui.label(
                        egui::RichText::new(label)
                            .size(small)
                            .color(accent)
                            .strong(),
                    );
                    ui.label(egui::RichText::new(title).size(big).color(white).strong());
                    if !artist.is_empty() {
                        ui.label(egui::RichText::new(artist).size(medium).color(white));
                    }
                });
        });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
}

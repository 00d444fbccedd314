//! The title card: each song's number, title and artist fade in at the bottom left as it
//! starts, as in a broadcast. A function of the clock alone, so recordings (and chunks of
//! them) show it the same way, and its glyphs are laid out during warm-up.

use bevy::prelude::*;

use crate::setlist::ShowSetlist;
use bevy_egui::{EguiContexts, egui};

pub(super) use encore_show::credits::{CARD_SIZES, card_texts};
use encore_show::credits::{card_at, roll_at};

use crate::clock::{ConcertClock, Lockstep};

/// The end-of-show credit roll: the imported avatars' authors and licences, rising up the
/// middle of the picture in the show's last seconds.
pub(super) fn credit_roll_ui(
    mut contexts: EguiContexts,
    clock: Res<ConcertClock>,
    setlist: Res<ShowSetlist>,
) -> Result {
    let credits = &setlist.credits;
    if credits.is_empty() {
        return Ok(());
    }
    let Some((progress, alpha)) = roll_at(setlist.duration() - clock.seconds) else {
        return Ok(());
    };
    let ctx = contexts.ctx_mut()?;
    let screen = ctx.content_rect();
    let height = (credits.len() as f32 + 2.0) * CARD_SIZES[2] * 1.6;
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
                        for line in credits {
                            ui.label(egui::RichText::new(line).size(CARD_SIZES[2]).color(white));
                        }
                    });
                });
        });
    Ok(())
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

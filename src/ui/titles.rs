//! The title card: each song's number, title and artist slide in at the bottom left as it
//! starts, in the song's colours, like a TV music show's caption. A function of the clock
//! alone, so recordings (and chunks of them) show it the same way, and its glyphs are laid
//! out during warm-up.

use bevy::prelude::*;

use crate::setlist::ShowSetlist;
use bevy_egui::{EguiContexts, egui};

pub(super) use encore_show::credits::{CARD_SIZES, card_texts};
use encore_show::credits::{
    RollLine, RollStyle, card_at, roll_at, roll_lines, roll_seconds, roll_top,
};

use crate::{
    chat::{ChatArea, ChatStyle},
    clock::{ConcertClock, Lockstep},
};
use encore_show::colour::Srgb;

/// The end-of-show credit roll: the music performed (each song's title, artists, writers,
/// publishers and codes), then the imported avatars' authors and licences, rising up the left
/// of the picture in the show's last seconds, longer for a longer roll.
pub(super) fn credit_roll_ui(
    mut contexts: EguiContexts,
    clock: Res<ConcertClock>,
    setlist: Res<ShowSetlist>,
    mut lines: Local<Vec<RollLine>>,
) -> Result {
    // The roll changes only with the setlist: on the first frame and on a hot reload.
    if setlist.is_changed() {
        *lines = roll_lines(&setlist);
    }
    if lines.is_empty() {
        return Ok(());
    }
    let Some((progress, alpha)) = roll_at(
        setlist.duration() - clock.seconds,
        roll_seconds(lines.len()),
    ) else {
        return Ok(());
    };
    let ctx = contexts.ctx_mut()?;
    let screen = ctx.content_rect();
    let painter = ctx.layer_painter(egui::LayerId::new(
        egui::Order::Middle,
        egui::Id::new("credit roll"),
    ));
    // Left of centre, clear of the chat on the right.
    let left = screen.left() + screen.width() * 0.06;
    let width = screen.width() * 0.56;
    let padding = egui::vec2(14.0, 10.0);
    // Laid out here rather than in an egui area, whose size egui remembers from the frame
    // before: the roll's place is then a function of this frame's clock alone.
    let galleys: Vec<_> = lines
        .iter()
        .map(|line| {
            painter.layout(
                line.text.clone(),
                egui::FontId::proportional(line.style.size()),
                egui::Color32::WHITE,
                width - 2.0 * padding.x,
            )
        })
        .collect();
    let height = galleys.iter().map(|galley| galley.size().y).sum::<f32>() + 2.0 * padding.y;
    let top = screen.top() + roll_top(progress, screen.height(), height);
    painter.rect_filled(
        egui::Rect::from_min_size(egui::pos2(left, top), egui::vec2(width, height)),
        4.0,
        egui::Color32::from_rgba_unmultiplied(22, 16, 38, (200.0 * alpha) as u8),
    );
    let accent = egui::Color32::from_rgb(255, 110, 180).gamma_multiply(alpha);
    let white = egui::Color32::WHITE.gamma_multiply(alpha);
    let soft = egui::Color32::from_rgb(214, 204, 236).gamma_multiply(alpha);
    let mut y = top + padding.y;
    for (line, galley) in lines.iter().zip(galleys) {
        let size = galley.size();
        let colour = match line.style {
            RollStyle::Heading => accent,
            RollStyle::Title => white,
            RollStyle::Detail | RollStyle::Gap => soft,
        };
        // Only what is on the picture is painted.
        if y + size.y > screen.top() && y < screen.bottom() {
            let x = left + (width - size.x) / 2.0;
            painter.galley_with_override_text_color(egui::pos2(x, y), galley, colour);
        }
        y += size.y;
    }
    Ok(())
}

/// Colour of a setlist colour in egui, `alpha` visible.
fn egui_colour(colour: Srgb, alpha: f32) -> egui::Color32 {
    let [red, green, blue] = colour.to_u8();
    egui::Color32::from_rgb(red, green, blue).gamma_multiply(alpha)
}

/// Paints `galley` at `at` in white over a soft dark shadow, so it reads on any colour.
fn shadowed_text(
    painter: &egui::Painter,
    at: egui::Pos2,
    galley: &std::sync::Arc<egui::Galley>,
    alpha: f32,
) {
    let shadow = egui::Color32::from_black_alpha((150.0 * alpha) as u8);
    painter.galley_with_override_text_color(at + egui::vec2(1.5, 1.5), galley.clone(), shadow);
    painter.galley_with_override_text_color(
        at,
        galley.clone(),
        egui::Color32::WHITE.gamma_multiply(alpha),
    );
}

/// A band from `rect.left()` to `rect.right()` whose right end leans forward by `lean`, filled
/// with a left-to-right gradient from `from` to `to`.
fn leaning_band(
    painter: &egui::Painter,
    rect: egui::Rect,
    lean: f32,
    from: egui::Color32,
    to: egui::Color32,
) {
    let mut mesh = egui::Mesh::default();
    mesh.colored_vertex(rect.left_top(), from);
    mesh.colored_vertex(rect.right_top() + egui::vec2(lean, 0.0), to);
    mesh.colored_vertex(rect.right_bottom(), to);
    mesh.colored_vertex(rect.left_bottom(), from);
    mesh.add_triangle(0, 1, 2);
    mesh.add_triangle(0, 2, 3);
    painter.add(mesh);
}

/// The song's title card, like a TV music show's caption: a tag with the song's number, a
/// band in the song's colours with its title large, the artist on a dark strip below; it
/// slides in from the left as the song starts and out again a few seconds later. Above the
/// chat when the chat is a lower third.
pub(super) fn title_card_ui(
    mut contexts: EguiContexts,
    clock: Res<ConcertClock>,
    setlist: Res<ShowSetlist>,
    lockstep: Option<Res<Lockstep>>,
    chat: Res<ChatArea>,
) -> Result {
    let Some(card) = card_at(&setlist, clock.seconds) else {
        return Ok(());
    };
    let ctx = contexts.ctx_mut()?;
    let screen = ctx.content_rect();
    let [label, title, artist] = &card.texts;
    let [small, big, medium] = CARD_SIZES;
    let alpha = card.alpha;
    // Above the transport bar in the window; near the corner in recordings.
    let mut bottom = screen.bottom() - if lockstep.is_some() { 28.0 } else { 104.0 };
    if let (ChatStyle::LowerThird, Some(area)) = (chat.style, chat.area) {
        bottom = bottom.min(screen.top() + area.top * screen.height() - 10.0);
    }
    let painter = ctx.layer_painter(egui::LayerId::new(
        egui::Order::Middle,
        egui::Id::new("title card"),
    ));
    let layout = |text: &str, size: f32| {
        painter.layout_no_wrap(
            text.to_owned(),
            egui::FontId::proportional(size),
            egui::Color32::WHITE,
        )
    };
    let (label, title) = (layout(label, small), layout(title, big));
    let artist = (!artist.is_empty()).then(|| layout(artist, medium));
    let padding = egui::vec2(16.0, 6.0);
    let width = title
        .size()
        .x
        .max(artist.as_ref().map_or(0.0, |artist| artist.size().x))
        + 2.0 * padding.x;
    let left = screen.left() + 24.0;
    // Slid out, the whole card is past the left edge.
    let slide = card.slide * (width + 24.0 + 40.0);
    let [first, second] = card.colours;
    let stripe = 6.0;
    // From the bottom up: the artist strip, the title band, the tag.
    let mut y = bottom;
    if let Some(artist) = &artist {
        // The strip trails the band a little, as captions do.
        let x = left - slide * 1.15;
        let strip = egui::Rect::from_min_max(
            egui::pos2(x, y - artist.size().y - 2.0 * padding.y),
            egui::pos2(x + width * 0.8, y),
        );
        leaning_band(
            &painter,
            strip,
            0.0,
            egui::Color32::from_rgba_unmultiplied(16, 12, 30, (225.0 * alpha) as u8),
            egui::Color32::from_rgba_unmultiplied(16, 12, 30, (160.0 * alpha) as u8),
        );
        painter.rect_filled(
            egui::Rect::from_min_size(strip.min, egui::vec2(stripe, strip.height())),
            0.0,
            egui_colour(second, alpha),
        );
        shadowed_text(&painter, strip.min + padding, artist, alpha);
        y = strip.top();
    }
    let band = egui::Rect::from_min_max(
        egui::pos2(left - slide, y - title.size().y - 2.0 * padding.y),
        egui::pos2(left - slide + width, y),
    );
    leaning_band(
        &painter,
        band,
        band.height() * 0.3,
        egui_colour(first, alpha * 0.95),
        egui_colour(second, alpha * 0.8),
    );
    painter.rect_filled(
        egui::Rect::from_min_size(band.min, egui::vec2(stripe, band.height())),
        0.0,
        egui::Color32::WHITE.gamma_multiply(alpha),
    );
    shadowed_text(&painter, band.min + padding, &title, alpha);
    // The tag sits on the band's top edge, ahead of it as it slides.
    let tag = egui::Rect::from_min_size(
        egui::pos2(left - slide * 0.9, band.top() - label.size().y - 6.0),
        label.size() + egui::vec2(16.0, 6.0),
    );
    painter.rect_filled(tag, 3.0, egui::Color32::WHITE.gamma_multiply(alpha));
    painter.galley_with_override_text_color(
        tag.min + egui::vec2(8.0, 3.0),
        label,
        egui::Color32::from_rgb(16, 12, 30).gamma_multiply(alpha),
    );
    Ok(())
}

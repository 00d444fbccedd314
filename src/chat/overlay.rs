//! The chat overlay, drawn with egui over the show (and so into screenshots and recordings):
//! a docked column or strip, older lines fading, highlighted messages standing out, hearts
//! floating up at the crowd's peaks, and in the window a box to type in (Enter to focus,
//! Enter to send) and T to hide it. Hangul and kana come from Debian's Nanum and VL Gothic
//! fonts, which `scripts/setup.sh` installs.

use bevy::prelude::*;

use crate::setlist::ShowSetlist;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};

use super::{
    ChatFeed, ChatSettings, ChatSide,
    message::{Badge, ChatMessage, MessageKind, sanitise, sanitise_name},
};
use crate::{
    clock::{ConcertClock, Lockstep},
    setlist::Setlist,
};

pub(crate) fn plugin(app: &mut App) {
    app.add_systems(
        EguiPrimaryContextPass,
        // After the font atlas is warmed, so the chat adds no glyphs of its own to it.
        (toggle_chat, chat_overlay_ui)
            .chain()
            .in_set(crate::OverlaySystems::Draw),
    );
}

/// Fonts with Hangul and with kana and kanji, tried in order for each.
const CJK_FONTS: [(&str, &[&str]); 2] = [
    (
        "Nanum Gothic (Hangul)",
        &["/usr/share/fonts/truetype/nanum/NanumGothic.ttf"],
    ),
    (
        "VL PGothic (kana, kanji)",
        &[
            "/usr/share/fonts/truetype/vlgothic/VL-PGothic-Regular.ttf",
            "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
        ],
    ),
];

/// Whether the chat fonts are in egui.
#[derive(Resource, Debug)]
pub struct FontsInstalled;

/// Adds the Korean and Japanese fonts after egui's own (Latin and emoji), once. A missing
/// font is logged with the package that has it; its script then shows as boxes.
pub fn install_fonts(
    mut commands: Commands,
    mut contexts: EguiContexts,
    installed: Option<Res<FontsInstalled>>,
) -> Result {
    if installed.is_some() {
        return Ok(());
    }
    let ctx = contexts.ctx_mut()?;
    let mut fonts = egui::FontDefinitions::default();
    // `ENCORE_NO_CJK_FONTS=1` shows what a machine without the fonts gets.
    let skip = std::env::var_os("ENCORE_NO_CJK_FONTS").is_some();
    for (name, paths) in CJK_FONTS {
        let found = paths.iter().find_map(|path| std::fs::read(path).ok());
        let Some(bytes) = found.filter(|_| !skip) else {
            warn!(
                "chat: no {name} font at {}; install it with `sudo apt-get install fonts-nanum \
                 fonts-vlgothic` (scripts/setup.sh does), until then those letters show as boxes",
                paths.join(" or ")
            );
            continue;
        };
        fonts.font_data.insert(
            (*name).to_owned(),
            std::sync::Arc::new(egui::FontData::from_owned(bytes)),
        );
        for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
            if let Some(list) = fonts.families.get_mut(&family) {
                list.push((*name).to_owned());
            }
        }
    }
    ctx.set_fonts(fonts);
    commands.insert_resource(FontsInstalled);
    Ok(())
}

/// T shows and hides the chat (not while typing in it).
fn toggle_chat(
    mut contexts: EguiContexts,
    keys: Res<ButtonInput<KeyCode>>,
    lockstep: Option<Res<Lockstep>>,
    mut settings: ResMut<ChatSettings>,
    mut hidden_side: Local<Option<ChatSide>>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    if lockstep.is_some() || ctx.egui_wants_keyboard_input() || !keys.just_pressed(KeyCode::KeyT) {
        return Ok(());
    }
    settings.side = match (settings.side, *hidden_side) {
        (ChatSide::Off, previous) => previous.unwrap_or_default(),
        (side, _) => {
            *hidden_side = Some(side);
            ChatSide::Off
        }
    };
    Ok(())
}

fn colour(rgb: [u8; 3]) -> egui::Color32 {
    egui::Color32::from_rgb(rgb[0], rgb[1], rgb[2])
}

fn badge_text(badge: &Badge) -> &'static str {
    match badge {
        Badge::FanClub => "♣",
        Badge::Pick(_) => "♥",
        Badge::Vip => "★",
        Badge::Moderator => "⚑",
    }
}

/// One message as a laid-out line: badges, the name in its colour, the text.
fn message_job(message: &ChatMessage, size: f32, alpha: f32) -> egui::text::LayoutJob {
    let mut job = egui::text::LayoutJob::default();
    let font = egui::FontId::proportional(size);
    let fade = |colour: egui::Color32| colour.gamma_multiply(alpha);
    let badges: String = message.badges.iter().map(badge_text).collect();
    if !badges.is_empty() {
        job.append(
            &format!("{badges} "),
            0.0,
            egui::TextFormat::simple(font.clone(), fade(egui::Color32::from_rgb(255, 200, 120))),
        );
    }
    let (name_colour, text_colour) = match message.kind {
        MessageKind::System => (
            egui::Color32::from_rgb(170, 170, 200),
            egui::Color32::from_rgb(190, 190, 220),
        ),
        _ => (
            colour(message.colour),
            egui::Color32::from_rgb(235, 235, 245),
        ),
    };
    if message.kind != MessageKind::System {
        job.append(
            &format!("{}  ", message.user),
            0.0,
            egui::TextFormat::simple(font.clone(), fade(name_colour)),
        );
    }
    job.append(
        &message.text,
        0.0,
        egui::TextFormat::simple(font, fade(text_colour)),
    );
    job
}

/// How bright a line is: full for the last 12 seconds, down to 45% over the next 20.
fn line_alpha(age: f64) -> f32 {
    (1.0 - ((age - 12.0) / 20.0).clamp(0.0, 1.0) * 0.55) as f32
}

/// What the viewer has typed so far, kept across frames.
#[derive(Default)]
struct Typing {
    text: String,
}

#[expect(clippy::too_many_arguments, reason = "a UI system reads what it shows")]
fn chat_overlay_ui(
    mut contexts: EguiContexts,
    mut feed: ResMut<ChatFeed>,
    mut settings: ResMut<ChatSettings>,
    clock: Res<ConcertClock>,
    setlist: Res<ShowSetlist>,
    lockstep: Option<Res<Lockstep>>,
    keys: Res<ButtonInput<KeyCode>>,
    mut typing: Local<Typing>,
) -> Result {
    if settings.side == ChatSide::Off {
        return Ok(());
    }
    let ctx = contexts.ctx_mut()?;
    let screen = ctx.content_rect();
    let window = lockstep.is_none();
    // Leave room for the transport bar at the bottom of the window.
    let bottom = screen.bottom() - if window { 86.0 } else { 12.0 };
    let rect = match settings.side {
        ChatSide::Bottom => egui::Rect::from_min_max(
            egui::pos2(screen.left() + 12.0, bottom - screen.height() * 0.3),
            egui::pos2(screen.right() - 12.0, bottom),
        ),
        _ => {
            let width = (screen.width() * 0.3).clamp(200.0, 380.0);
            egui::Rect::from_min_max(
                egui::pos2(screen.right() - width - 12.0, screen.top() + 12.0),
                egui::pos2(screen.right() - 12.0, bottom),
            )
        }
    };
    let fill = egui::Color32::from_rgba_unmultiplied(14, 10, 26, (settings.opacity * 255.0) as u8);
    let size = settings.font_size;
    let now = clock.seconds;
    let input_id = egui::Id::new("chat input");
    let mut sent = None;
    let (mut new_opacity, mut new_size) = (settings.opacity, settings.font_size);
    egui::Area::new(egui::Id::new("chat"))
        .fixed_pos(rect.min)
        .order(egui::Order::Background)
        .show(ctx, |ui| {
            ui.set_min_size(rect.size());
            ui.set_max_size(rect.size());
            egui::Frame::new()
                .fill(fill)
                .corner_radius(6.0)
                .inner_margin(8.0)
                .show(ui, |ui| {
                    ui.set_min_size(rect.size() - egui::vec2(16.0, 16.0));
                    ui.set_max_size(rect.size() - egui::vec2(16.0, 16.0));
                    ui.with_layout(egui::Layout::bottom_up(egui::Align::LEFT), |ui| {
                        if window {
                            // Settings: how see-through the chat is and how big it writes.
                            ui.horizontal(|ui| {
                                ui.spacing_mut().slider_width = (rect.width() * 0.25).min(90.0);
                                ui.small("opacity");
                                ui.add(
                                    egui::Slider::new(&mut new_opacity, 0.0..=1.0)
                                        .show_value(false),
                                );
                                ui.small("size");
                                ui.add(
                                    egui::Slider::new(&mut new_size, 9.0..=22.0).show_value(false),
                                );
                            });
                            let edit = egui::TextEdit::singleline(&mut typing.text)
                                .id(input_id)
                                .hint_text(format!("chat as {} (Enter)", settings.name))
                                .desired_width(f32::INFINITY)
                                .font(egui::FontId::proportional(size));
                            let response = ui.add(edit);
                            if response.lost_focus()
                                && ui.input(|input| input.key_pressed(egui::Key::Enter))
                            {
                                sent = Some(std::mem::take(&mut typing.text));
                            }
                            ui.add_space(4.0);
                        }
                        let paused_history = window && !clock.playing;
                        let messages = feed.store.messages();
                        let shown = if paused_history { messages.len() } else { 40 };
                        let lines = || messages.iter().rev().take(shown);
                        let draw = |ui: &mut egui::Ui, message: &ChatMessage| {
                            let alpha = line_alpha(now - message.at);
                            let job = message_job(message, size, alpha);
                            match &message.kind {
                                MessageKind::Highlight {
                                    amount,
                                    colour: tint,
                                } => {
                                    egui::Frame::new()
                                        .fill(colour(*tint).gamma_multiply(0.45 * alpha))
                                        .stroke(egui::Stroke::new(
                                            1.0,
                                            colour(*tint).gamma_multiply(alpha),
                                        ))
                                        .corner_radius(4.0)
                                        .inner_margin(4.0)
                                        .show(ui, |ui| {
                                            ui.label(job);
                                            ui.label(
                                                egui::RichText::new(format!("₩{amount}"))
                                                    .size(size * 0.85)
                                                    .color(
                                                        egui::Color32::WHITE.gamma_multiply(alpha),
                                                    ),
                                            );
                                        });
                                }
                                _ => {
                                    ui.label(job);
                                }
                            }
                        };
                        if paused_history {
                            // Paused: scroll back through what was said.
                            let width = ui.available_width();
                            egui::ScrollArea::vertical()
                                .max_width(width)
                                .max_height(ui.available_height())
                                .auto_shrink([false, false])
                                .stick_to_bottom(true)
                                .show(ui, |ui| {
                                    ui.with_layout(
                                        egui::Layout::top_down(egui::Align::LEFT),
                                        |ui| {
                                            ui.set_max_width(width);
                                            let all: Vec<&ChatMessage> = lines().collect();
                                            for message in all.into_iter().rev() {
                                                draw(ui, message);
                                            }
                                        },
                                    );
                                });
                        } else {
                            ui.set_clip_rect(rect);
                            for message in lines() {
                                if ui.available_height() < size * 1.5 {
                                    break;
                                }
                                draw(ui, message);
                            }
                        }
                    });
                });
        });
    if window
        && keys.just_pressed(KeyCode::Enter)
        && sent.is_none()
        && ctx.memory(|memory| memory.focused().is_none())
    {
        ctx.memory_mut(|memory| memory.request_focus(input_id));
    }
    if let Some(text) = sent
        && let Some(text) = sanitise(&text, &setlist.chat_filter)
    {
        feed.add(ChatMessage {
            at: now,
            user: sanitise_name(&settings.name),
            colour: [255, 255, 255],
            badges: Vec::new(),
            kind: MessageKind::Normal,
            text,
        });
    }
    float_hearts(ctx, &feed.plan.peaks, &setlist, now, rect);
    settings.opacity = new_opacity;
    settings.font_size = new_size;
    Ok(())
}

/// Hearts floating up over the chat for three seconds after each peak, in member colours;
/// where each goes depends only on the peak and the time, so recordings repeat exactly.
/// A heart's text size: one of [`HEART_SIZES`], so every size is in the font atlas before
/// the first frame (a size first drawn mid-recording would miss its glyph for a frame).
fn heart_size(wobble: f32) -> f32 {
    HEART_SIZES[((wobble * HEART_SIZES.len() as f32) as usize).min(HEART_SIZES.len() - 1)]
}

/// The sizes hearts float at.
const HEART_SIZES: [f32; 4] = [18.0, 21.0, 24.0, 27.0];

/// Every character the chat can show (its messages, names, badges, amounts, hearts) and the
/// text sizes it shows them at, for laying them out once during warm-up: a glyph first laid
/// out in a frame reaches the GPU a frame late, so without this, whether a recording's frame
/// has a glyph would depend on which frames came before it.
pub fn glyphs_to_warm(feed: &ChatFeed, settings: &ChatSettings) -> (String, Vec<f32>) {
    let mut characters = std::collections::BTreeSet::new();
    for message in feed.plan.messages.iter().chain(&feed.extra) {
        characters.extend(message.user.chars());
        characters.extend(message.text.chars());
    }
    characters.extend("♣♥★⚑₩0123456789 ".chars());
    let size = settings.font_size;
    let mut sizes = vec![size, size * 0.85];
    sizes.extend(HEART_SIZES);
    (characters.into_iter().collect(), sizes)
}

fn float_hearts(ctx: &egui::Context, peaks: &[f64], setlist: &Setlist, now: f64, rect: egui::Rect) {
    let start = peaks.partition_point(|peak| *peak < now - 3.0);
    let painter = ctx.layer_painter(egui::LayerId::new(
        egui::Order::Foreground,
        egui::Id::new("hearts"),
    ));
    for (number, peak) in peaks[start..]
        .iter()
        .enumerate()
        .take_while(|(_, peak)| **peak <= now)
    {
        let age = (now - peak) as f32;
        for heart in 0..14u32 {
            let seed = (start + number) as u32 * 31 + heart;
            let wobble = ((seed.wrapping_mul(2_654_435_761) >> 8) % 1000) as f32 / 1000.0;
            let delay = wobble * 0.8;
            let t = age - delay;
            if !(0.0..2.2).contains(&t) {
                continue;
            }
            let x = rect.left()
                + rect.width() * (0.15 + 0.7 * wobble)
                + (t * 3.0 + wobble * 6.0).sin() * 10.0;
            let y = rect.bottom() - 30.0 - t * rect.height() * 0.35;
            let tint = setlist
                .cast
                .get(seed as usize % setlist.cast.len().max(1))
                .map_or(egui::Color32::from_rgb(255, 120, 190), |idol| {
                    let [red, green, blue] = idol.colour.to_u8();
                    egui::Color32::from_rgb(red, green, blue)
                });
            let alpha = (1.0 - t / 2.2).clamp(0.0, 1.0);
            painter.text(
                egui::pos2(x, y),
                egui::Align2::CENTER_CENTER,
                "♥",
                egui::FontId::proportional(heart_size(wobble)),
                tint.gamma_multiply(alpha),
            );
        }
    }
}

//! The chat overlay, drawn with egui over the show (and so into screenshots and recordings)
//! in one of two looks that leave the performers free: `Side`, a narrow column in the lower
//! right, and `LowerThird`, a few lines at the bottom left like a broadcast. Each message sits
//! on its own small translucent pill and fades out a few seconds (of concert time) after it
//! was written; highlighted messages get a pill in their colour, hearts float up at the
//! crowd's peaks, and emoji are drawn in colour (see `emoji`). In the window there is a box
//! to type in (Enter to focus, Enter to send), T hides the chat, and paused it becomes a
//! scroll-back. Hangul and kana come from Debian's Nanum and VL Gothic fonts, which
//! `scripts/setup.sh` installs.

use bevy::{prelude::*, window::PrimaryWindow};

use crate::setlist::ShowSetlist;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};

use super::{
    ChatArea, ChatFeed, ChatSettings, ChatStyle,
    emoji::{ASPECT, EmojiImages, PLACEHOLDER, Piece, load_emoji_font, pieces},
    look::{chat_area, max_lines, message_alpha, message_lifetime},
    message::{Badge, ChatMessage, MessageKind, sanitise, sanitise_name},
};
use crate::{
    capture::CaptureProgress,
    clock::{ConcertClock, Lockstep},
    setlist::Setlist,
};

pub(crate) fn plugin(app: &mut App) {
    app.init_resource::<ChatArea>();
    app.add_systems(PreUpdate, place_chat);
    app.add_systems(
        EguiPrimaryContextPass,
        warm_emoji
            .run_if(is_warming_up)
            .after(install_fonts)
            .in_set(crate::OverlaySystems::Fonts),
    );
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
///
/// The colour emoji font is read here too, once (see `emoji`).
pub fn install_fonts(
    mut commands: Commands,
    mut contexts: EguiContexts,
    installed: Option<Res<FontsInstalled>>,
    settings: Res<ChatSettings>,
) -> Result {
    if installed.is_some() {
        return Ok(());
    }
    commands.insert_resource(EmojiImages::new(
        load_emoji_font(),
        emoji_pixels(settings.font_size),
    ));
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

/// Height in pixels of the emoji pictures for text of `size` points: twice what is shown,
/// so that scaling down on the GPU stays smooth.
fn emoji_pixels(size: f32) -> u32 {
    (size * EMOJI_SCALE * 2.0).round().clamp(16.0, 128.0) as u32
}

/// An emoji picture's height over the text size.
const EMOJI_SCALE: f32 = 1.15;

/// Space on each side of an emoji picture, over the text size.
const EMOJI_MARGIN: f32 = 0.12;

/// Height in points of the window's transport bar, which the chat keeps clear of.
const TRANSPORT_BAR: f32 = 86.0;

fn is_warming_up(progress: Option<Res<CaptureProgress>>) -> bool {
    matches!(progress.as_deref(), Some(CaptureProgress::WarmingUp(_)))
}

/// Where the chat goes this frame, for the overlay and for whoever keeps things out of it.
fn place_chat(
    settings: Res<ChatSettings>,
    lockstep: Option<Res<Lockstep>>,
    windows: Query<&Window, With<PrimaryWindow>>,
    mut area: ResMut<ChatArea>,
) {
    // The window keeps its bottom for the transport bar; offscreen frames have none.
    let reserved = match (&lockstep, windows.single()) {
        (None, Ok(window)) if window.height() > 0.0 => TRANSPORT_BAR / window.height(),
        _ => 0.0,
    };
    let placed = ChatArea {
        style: settings.style,
        area: chat_area(settings.style, reserved),
    };
    area.set_if_neq(placed);
}

/// Makes the picture of every emoji the show's chat will use before frame 0, so a recording
/// (or one chunk of it) draws the same pixels whatever frame it starts at.
fn warm_emoji(
    mut contexts: EguiContexts,
    feed: Res<ChatFeed>,
    emoji: Option<ResMut<EmojiImages>>,
) -> Result {
    let Some(mut emoji) = emoji else {
        return Ok(());
    };
    let ctx = contexts.ctx_mut()?.clone();
    let messages = feed.plan.messages.iter().chain(&feed.extra);
    emoji.warm(
        &ctx,
        messages.flat_map(|message| [message.user.as_str(), message.text.as_str()]),
    );
    Ok(())
}

/// T shows and hides the chat (not while typing in it).
fn toggle_chat(
    mut contexts: EguiContexts,
    keys: Res<ButtonInput<KeyCode>>,
    lockstep: Option<Res<Lockstep>>,
    mut settings: ResMut<ChatSettings>,
    mut hidden_style: Local<Option<ChatStyle>>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    if lockstep.is_some() || ctx.egui_wants_keyboard_input() || !keys.just_pressed(KeyCode::KeyT) {
        return Ok(());
    }
    settings.style = match (settings.style, *hidden_style) {
        (ChatStyle::Off, previous) => previous.unwrap_or_default(),
        (style, _) => {
            *hidden_style = Some(style);
            ChatStyle::Off
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

/// Appends `text` to `job`, each emoji the font can draw as a transparent placeholder whose
/// texture is added to `pictures`, in order.
fn append_with_emoji(
    job: &mut egui::text::LayoutJob,
    text: &str,
    format: &egui::TextFormat,
    emoji: &mut Option<(&egui::Context, &mut EmojiImages)>,
    pictures: &mut Vec<egui::TextureId>,
) {
    for piece in pieces(text) {
        match piece {
            Piece::Text(text) => job.append(text, 0.0, format.clone()),
            Piece::Emoji(cluster) => {
                let texture = emoji
                    .as_mut()
                    .and_then(|(ctx, images)| images.texture(ctx, cluster));
                match (texture, &emoji) {
                    (Some(texture), Some((ctx, _))) => {
                        pictures.push(texture);
                        // Widen the placeholder to the picture and a little air.
                        let size = format.font_id.size;
                        let advance =
                            ctx.fonts_mut(|fonts| fonts.glyph_width(&format.font_id, PLACEHOLDER));
                        let wanted = size * (EMOJI_SCALE * ASPECT + 2.0 * EMOJI_MARGIN);
                        let slot = egui::TextFormat {
                            color: egui::Color32::TRANSPARENT,
                            ..format.clone()
                        };
                        // The extra width goes before the placeholder.
                        job.append(&PLACEHOLDER.to_string(), (wanted - advance).max(0.0), slot);
                    }
                    _ => job.append(cluster, 0.0, format.clone()),
                }
            }
        }
    }
}

/// One message laid out: badges, the name in its colour, the text (and a highlight's amount),
/// with the textures of its colour emoji in the order of their placeholders.
fn message_job(
    message: &ChatMessage,
    size: f32,
    emoji: &mut Option<(&egui::Context, &mut EmojiImages)>,
) -> (egui::text::LayoutJob, Vec<egui::TextureId>) {
    let mut job = egui::text::LayoutJob::default();
    let mut pictures = Vec::new();
    let font = egui::FontId::proportional(size);
    let badges: String = message.badges.iter().map(badge_text).collect();
    if !badges.is_empty() {
        job.append(
            &format!("{badges} "),
            0.0,
            egui::TextFormat::simple(font.clone(), egui::Color32::from_rgb(255, 200, 120)),
        );
    }
    let (name_colour, text_colour) = match message.kind {
        MessageKind::System => (
            egui::Color32::from_rgb(170, 170, 200),
            egui::Color32::from_rgb(200, 200, 230),
        ),
        _ => (
            colour(message.colour),
            egui::Color32::from_rgb(242, 242, 248),
        ),
    };
    if message.kind != MessageKind::System {
        let format = egui::TextFormat::simple(font.clone(), name_colour);
        append_with_emoji(&mut job, &message.user, &format, emoji, &mut pictures);
        job.append("  ", 0.0, format);
    }
    let format = egui::TextFormat::simple(font, text_colour);
    append_with_emoji(&mut job, &message.text, &format, emoji, &mut pictures);
    if let MessageKind::Highlight { amount, .. } = message.kind {
        job.append(
            &format!("  ₩{amount}"),
            0.0,
            egui::TextFormat::simple(
                egui::FontId::proportional(size * 0.85),
                egui::Color32::WHITE,
            ),
        );
    }
    (job, pictures)
}

/// A message ready to paint: its text, its emoji pictures, its pill.
struct Bubble {
    galley: std::sync::Arc<egui::Galley>,
    pictures: Vec<egui::TextureId>,
    fill: egui::Color32,
    stroke: egui::Stroke,
    size: egui::Vec2,
}

/// Space between a pill's edge and its text.
const PILL_PADDING: egui::Vec2 = egui::vec2(7.0, 3.0);

/// Lays out `message` to wrap within `width` on a pill of `opacity`.
fn bubble(
    painter: &egui::Painter,
    message: &ChatMessage,
    size: f32,
    width: f32,
    opacity: f32,
    emoji: &mut Option<(&egui::Context, &mut EmojiImages)>,
) -> Bubble {
    let (mut job, pictures) = message_job(message, size, emoji);
    job.wrap.max_width = (width - 2.0 * PILL_PADDING.x).max(size * 4.0);
    let galley = painter.layout_job(job);
    let (fill, stroke) = match &message.kind {
        MessageKind::Highlight { colour: tint, .. } => (
            colour(*tint).gamma_multiply(0.55 + 0.35 * opacity),
            egui::Stroke::new(1.0, colour(*tint)),
        ),
        _ => (
            egui::Color32::from_rgba_unmultiplied(14, 10, 26, (opacity * 255.0) as u8),
            egui::Stroke::NONE,
        ),
    };
    let size = galley.size() + 2.0 * PILL_PADDING;
    Bubble {
        galley,
        pictures,
        fill,
        stroke,
        size,
    }
}

/// Paints a laid-out message with its top-left corner at `at`, `alpha` visible.
fn paint_bubble(painter: &egui::Painter, bubble: &Bubble, at: egui::Pos2, alpha: f32, size: f32) {
    let pill = egui::Rect::from_min_size(at, bubble.size);
    painter.rect(
        pill,
        (bubble.size.y * 0.5).min(10.0),
        bubble.fill.gamma_multiply(alpha),
        egui::Stroke::new(
            bubble.stroke.width,
            bubble.stroke.color.gamma_multiply(alpha),
        ),
        egui::StrokeKind::Inside,
    );
    let text_at = at + PILL_PADDING;
    painter.add(
        egui::epaint::TextShape::new(text_at, bubble.galley.clone(), egui::Color32::WHITE)
            .with_opacity_factor(alpha),
    );
    // The pictures go over their placeholders, in order.
    let mut pictures = bubble.pictures.iter();
    let height = size * EMOJI_SCALE;
    for placed in &bubble.galley.rows {
        for glyph in placed
            .row
            .glyphs
            .iter()
            .filter(|glyph| glyph.chr == PLACEHOLDER)
        {
            let Some(texture) = pictures.next() else {
                return;
            };
            // Centred where egui draws the (square) placeholder itself.
            let slot =
                egui::Rect::from_min_size(glyph.pos + glyph.uv_rect.offset, glyph.uv_rect.size)
                    .translate(text_at.to_vec2() + placed.pos.to_vec2());
            let picture =
                egui::Rect::from_center_size(slot.center(), egui::vec2(height * ASPECT, height));
            painter.image(
                *texture,
                picture,
                egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0)),
                egui::Color32::WHITE.gamma_multiply(alpha),
            );
        }
    }
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
    area: Res<ChatArea>,
    clock: Res<ConcertClock>,
    setlist: Res<ShowSetlist>,
    lockstep: Option<Res<Lockstep>>,
    keys: Res<ButtonInput<KeyCode>>,
    mut emoji: Option<ResMut<EmojiImages>>,
    mut typing: Local<Typing>,
) -> Result {
    let (Some(fractions), true) = (area.area, area.style == settings.style) else {
        return Ok(());
    };
    let ctx = contexts.ctx_mut()?.clone();
    let screen = ctx.content_rect();
    let rect = egui::Rect::from_min_max(
        screen.lerp_inside(egui::vec2(fractions.left, fractions.top)),
        screen.lerp_inside(egui::vec2(fractions.right, fractions.bottom)),
    );
    let window = lockstep.is_none();
    let size = settings.font_size;
    let now = clock.seconds;
    let input_id = egui::Id::new("chat input");
    let mut sent = None;
    let (mut new_opacity, mut new_size) = (settings.opacity, settings.font_size);
    let mut bottom = rect.bottom();
    if window {
        // The typing box and the two sliders, at the bottom of the chat's place.
        let response = egui::Area::new(egui::Id::new("chat input area"))
            .pivot(egui::Align2::LEFT_BOTTOM)
            .fixed_pos(rect.left_bottom())
            .order(egui::Order::Middle)
            .show(&ctx, |ui| {
                ui.set_width(rect.width());
                egui::Frame::new()
                    .fill(egui::Color32::from_rgba_unmultiplied(14, 10, 26, 190))
                    .corner_radius(8.0)
                    .inner_margin(6.0)
                    .show(ui, |ui| {
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
                        ui.horizontal(|ui| {
                            ui.spacing_mut().slider_width = (rect.width() * 0.25).min(90.0);
                            ui.small("opacity");
                            ui.add(
                                egui::Slider::new(&mut new_opacity, 0.0..=1.0).show_value(false),
                            );
                            ui.small("size");
                            ui.add(egui::Slider::new(&mut new_size, 9.0..=22.0).show_value(false));
                        });
                    });
            });
        bottom = response.response.rect.top() - 6.0;
    }
    let messages = feed.store.messages();
    let mut images = emoji.as_deref_mut().map(|images| (&ctx, images));
    if window && !clock.playing {
        // Paused: scroll back through everything the chat holds.
        let history = egui::Rect::from_min_max(rect.min, egui::pos2(rect.right(), bottom));
        egui::Area::new(egui::Id::new("chat history"))
            .fixed_pos(history.min)
            .order(egui::Order::Background)
            .show(&ctx, |ui| {
                egui::Frame::new()
                    .fill(egui::Color32::from_rgba_unmultiplied(14, 10, 26, 150))
                    .corner_radius(8.0)
                    .inner_margin(4.0)
                    .show(ui, |ui| {
                        let inner = history.shrink(4.0);
                        ui.set_min_size(inner.size());
                        ui.set_max_size(inner.size());
                        egui::ScrollArea::vertical()
                            .auto_shrink([false, false])
                            .stick_to_bottom(true)
                            .show(ui, |ui| {
                                let width = ui.available_width();
                                for message in messages {
                                    let laid = bubble(
                                        ui.painter(),
                                        message,
                                        size,
                                        width,
                                        settings.opacity,
                                        &mut images,
                                    );
                                    let (place, _) =
                                        ui.allocate_exact_size(laid.size, egui::Sense::hover());
                                    paint_bubble(ui.painter(), &laid, place.min, 1.0, size);
                                }
                            });
                    });
            });
    } else {
        let painter = ctx.layer_painter(egui::LayerId::new(
            egui::Order::Background,
            egui::Id::new("chat"),
        ));
        let gap = (size * 0.3).round();
        let shown = messages
            .iter()
            .rev()
            .take_while(|message| now - message.at < message_lifetime())
            .filter(|message| message_alpha(now - message.at) > 0.0)
            .take(max_lines(settings.style));
        for message in shown {
            let laid = bubble(
                &painter,
                message,
                size,
                rect.width(),
                settings.opacity,
                &mut images,
            );
            if bottom - laid.size.y < rect.top() {
                break;
            }
            bottom -= laid.size.y;
            let at = egui::pos2(rect.left(), bottom);
            paint_bubble(&painter, &laid, at, message_alpha(now - message.at), size);
            bottom -= gap;
        }
    }
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
    float_hearts(&ctx, &feed.plan.peaks, &setlist, now, rect);
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
    characters.insert(PLACEHOLDER);
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

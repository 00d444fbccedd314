//! The transport: play/pause, seeking, previous/next item, speed and restart, from the keys
//! and from a bar at the bottom of the window with a timeline of songs and sections. It only
//! asks for [`TransportAction`]s; the setlist module applies them to the clock.

use bevy::prelude::*;

use crate::setlist::ShowSetlist;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui, input::egui_wants_any_keyboard_input};

use super::{PANEL_FILL, format_clock};
use crate::{
    AppSystems,
    clock::{ConcertClock, Lockstep, TransportAction},
    music::AudioSettings,
    setlist::{ItemKind, Setlist, raw::SectionKind},
};

pub(super) fn plugin(app: &mut App) {
    app.add_systems(
        Update,
        transport_keys
            .run_if(not(egui_wants_any_keyboard_input))
            .run_if(not(resource_exists::<Lockstep>))
            .in_set(AppSystems::Input),
    );
    app.add_systems(
        EguiPrimaryContextPass,
        transport_bar_ui.run_if(not(resource_exists::<Lockstep>)),
    );
}

/// The playback speeds offered, slowest first.
pub const SPEEDS: [f64; 7] = [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0];

/// The next speed up (`faster`) or down from `speed`, staying within [`SPEEDS`].
pub fn step_speed(speed: f64, faster: bool) -> f64 {
    if faster {
        SPEEDS
            .iter()
            .copied()
            .find(|&step| step > speed + 1e-9)
            .unwrap_or(SPEEDS[SPEEDS.len() - 1])
    } else {
        SPEEDS
            .iter()
            .rev()
            .copied()
            .find(|&step| step < speed - 1e-9)
            .unwrap_or(SPEEDS[0])
    }
}

/// Seconds the arrow keys jump.
const ARROW_SEEK: f64 = 5.0;

fn transport_keys(
    keys: Option<Res<ButtonInput<KeyCode>>>,
    clock: Res<ConcertClock>,
    mut actions: MessageWriter<TransportAction>,
) {
    let Some(keys) = keys else {
        return;
    };
    let bindings = [
        (KeyCode::Space, TransportAction::TogglePlay),
        (KeyCode::ArrowLeft, TransportAction::SeekBy(-ARROW_SEEK)),
        (KeyCode::ArrowRight, TransportAction::SeekBy(ARROW_SEEK)),
        (KeyCode::KeyP, TransportAction::Previous),
        (KeyCode::KeyN, TransportAction::Next),
        (KeyCode::Home, TransportAction::Restart),
        (
            KeyCode::BracketLeft,
            TransportAction::SetSpeed(step_speed(clock.speed, false)),
        ),
        (
            KeyCode::BracketRight,
            TransportAction::SetSpeed(step_speed(clock.speed, true)),
        ),
    ];
    for (key, action) in bindings {
        if keys.just_pressed(key) {
            actions.write(action);
        }
    }
}

/// Height of the timeline strip, logical pixels.
const TIMELINE_HEIGHT: f32 = 26.0;

fn transport_bar_ui(
    mut contexts: EguiContexts,
    clock: Res<ConcertClock>,
    setlist: Res<ShowSetlist>,
    audio: Option<ResMut<AudioSettings>>,
    mut actions: MessageWriter<TransportAction>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let width = (ctx.content_rect().width() - 24.0).max(200.0);
    let frame = egui::Frame::window(&ctx.global_style())
        .fill(PANEL_FILL)
        .corner_radius(6.0)
        .inner_margin(8.0);
    egui::Window::new("transport")
        .anchor(egui::Align2::LEFT_BOTTOM, egui::vec2(12.0, -12.0))
        .frame(frame)
        .resizable(false)
        .collapsible(false)
        .title_bar(false)
        .fade_in(false)
        .fixed_size(egui::vec2(width - 16.0, 0.0))
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                if ui.button("⏮").on_hover_text("Previous item (P)").clicked() {
                    actions.write(TransportAction::Previous);
                }
                let play = if clock.playing { "⏸" } else { "⏵" };
                if ui
                    .button(play)
                    .on_hover_text("Play / pause (Space)")
                    .clicked()
                {
                    actions.write(TransportAction::TogglePlay);
                }
                if ui.button("⏭").on_hover_text("Next item (N)").clicked() {
                    actions.write(TransportAction::Next);
                }
                if ui.button("⟲").on_hover_text("Restart (Home)").clicked() {
                    actions.write(TransportAction::Restart);
                }
                egui::ComboBox::from_id_salt("speed")
                    .width(64.0)
                    .selected_text(format!("{}x", clock.speed))
                    .show_ui(ui, |ui| {
                        for speed in SPEEDS {
                            if ui
                                .selectable_label(clock.speed == speed, format!("{speed}x"))
                                .clicked()
                            {
                                actions.write(TransportAction::SetSpeed(speed));
                            }
                        }
                    })
                    .response
                    .on_hover_text("Speed ([ and ])");
                if let Some(audio) = audio {
                    volume_ui(ui, audio);
                }
                ui.separator();
                ui.label(position_text(&setlist, clock.seconds));
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    ui.monospace(format!(
                        "{} / {}",
                        format_clock(clock.seconds),
                        format_clock(setlist.duration())
                    ));
                });
            });
            if let Some(seconds) = timeline_ui(ui, &setlist, clock.seconds) {
                actions.write(TransportAction::SeekTo(seconds));
            }
        });
    Ok(())
}

/// The mute button and the volume slider; without a sound device, a note saying so.
fn volume_ui(ui: &mut egui::Ui, mut audio: ResMut<AudioSettings>) {
    if !audio.device {
        ui.label("🔇")
            .on_hover_text("No sound device: the show plays on its own clock, silently");
        return;
    }
    let silent = audio.muted || audio.volume <= 0.0;
    if ui
        .button(if silent { "🔇" } else { "🔊" })
        .on_hover_text("Mute (M)")
        .clicked()
    {
        audio.muted = !audio.muted;
    }
    let mut volume = audio.volume;
    let slider = egui::Slider::new(&mut volume, 0.0..=1.0).show_value(false);
    if ui.add(slider).on_hover_text("Volume").changed() {
        audio.volume = volume;
        audio.muted = false;
    }
}

/// "Neon Heartbeat · Chorus · bar 17:3".
fn position_text(setlist: &Setlist, seconds: f64) -> String {
    let position = setlist.position_at(seconds);
    let Some(item) = setlist.items.get(position.item) else {
        return String::new();
    };
    match (item.kind, position.section) {
        (ItemKind::Song, Some(section)) => format!(
            "{} · {:?} · bar {}:{}",
            item.display_title(),
            item.sections[section].kind,
            position.bar,
            position.beat
        ),
        (ItemKind::Song, None) => format!(
            "{} · bar {}:{}",
            item.display_title(),
            position.bar,
            position.beat
        ),
        _ => item.display_title().to_owned(),
    }
}

/// Colour of a program item on the timeline.
fn item_colour(kind: ItemKind) -> egui::Color32 {
    match kind {
        ItemKind::Song => egui::Color32::from_rgb(92, 62, 160),
        ItemKind::Talk => egui::Color32::from_rgb(40, 120, 120),
        ItemKind::Intermission => egui::Color32::from_rgb(70, 70, 80),
        ItemKind::Encore => egui::Color32::from_rgb(170, 120, 40),
    }
}

/// Colour of a song section's stripe on the timeline.
fn section_colour(kind: SectionKind) -> egui::Color32 {
    match kind {
        SectionKind::Intro | SectionKind::Outro => egui::Color32::from_rgb(120, 110, 150),
        SectionKind::Verse => egui::Color32::from_rgb(90, 140, 230),
        SectionKind::PreChorus => egui::Color32::from_rgb(120, 200, 220),
        SectionKind::Chorus => egui::Color32::from_rgb(255, 110, 180),
        SectionKind::Bridge => egui::Color32::from_rgb(250, 200, 90),
        SectionKind::DanceBreak => egui::Color32::from_rgb(110, 230, 150),
    }
}

/// Draws the timeline (items as blocks, sections as stripes, the playhead) and returns the
/// concert time to seek to when it is clicked or dragged.
fn timeline_ui(ui: &mut egui::Ui, setlist: &Setlist, seconds: f64) -> Option<f64> {
    let size = egui::vec2(ui.available_width(), TIMELINE_HEIGHT);
    let (rect, response) = ui.allocate_exact_size(size, egui::Sense::click_and_drag());
    let painter = ui.painter_at(rect);
    let total = setlist.duration().max(1e-6);
    let x_at = |time: f64| rect.left() + rect.width() * (time / total) as f32;
    for item in &setlist.items {
        let block = egui::Rect::from_x_y_ranges(
            x_at(item.start)..=x_at(item.end()),
            rect.top()..=rect.bottom(),
        );
        painter.rect_filled(block, 3.0, item_colour(item.kind));
        for section in &item.sections {
            let stripe = egui::Rect::from_x_y_ranges(
                x_at(section.start) + 0.5..=x_at(section.end) - 0.5,
                rect.bottom() - 7.0..=rect.bottom() - 2.0,
            );
            painter.rect_filled(stripe, 1.0, section_colour(section.kind));
        }
        if block.width() > 30.0 {
            // Titles that do not fit are cut at the block's edge.
            painter.with_clip_rect(block.shrink(3.0)).text(
                block.left_top() + egui::vec2(4.0, 2.0),
                egui::Align2::LEFT_TOP,
                item.display_title(),
                egui::FontId::proportional(11.0),
                egui::Color32::WHITE,
            );
        }
        painter.vline(
            block.left(),
            rect.y_range(),
            egui::Stroke::new(1.0, PANEL_FILL),
        );
    }
    let playhead = x_at(seconds);
    painter.vline(
        playhead,
        rect.y_range(),
        egui::Stroke::new(2.0, egui::Color32::WHITE),
    );
    let pointer = response.interact_pointer_pos();
    if let Some(hover) = response.hover_pos() {
        let time = f64::from((hover.x - rect.left()) / rect.width()).clamp(0.0, 1.0) * total;
        let item = &setlist.items[setlist.item_index_at(time)];
        response.clone().on_hover_text_at_pointer(format!(
            "{} · {}",
            item.display_title(),
            format_clock(time)
        ));
    }
    (response.clicked() || response.dragged())
        .then_some(pointer)
        .flatten()
        .map(|at| f64::from((at.x - rect.left()) / rect.width()).clamp(0.0, 1.0) * total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speed_steps_stay_between_a_quarter_and_double() {
        assert_eq!(step_speed(1.0, true), 1.25);
        assert_eq!(step_speed(1.0, false), 0.75);
        assert_eq!(step_speed(2.0, true), 2.0);
        assert_eq!(step_speed(0.25, false), 0.25);
        // From a speed between steps, to the neighbouring step.
        assert_eq!(step_speed(1.1, true), 1.25);
        assert_eq!(step_speed(1.1, false), 1.0);
    }

    #[test]
    fn position_names_song_section_and_bar() {
        let setlist = Setlist::built_in();
        let chorus = setlist
            .seconds_at(0, 17, 3.0)
            .expect("the demo has a first song");
        assert_eq!(
            position_text(&setlist, chorus + 0.01),
            "Starlight Signal · Chorus · bar 17:3"
        );
        assert_eq!(
            position_text(&setlist, setlist.items[1].start + 1.0),
            "MC: Hello, everyone!"
        );
    }
}

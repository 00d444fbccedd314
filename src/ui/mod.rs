//! The egui overlay: the show panel (what is playing, and how it is rendered), the transport
//! bar in the window, and the panel listing a setlist save that could not be applied.

mod titles;
mod transport;

use bevy::{
    diagnostic::{DiagnosticsStore, FrameTimeDiagnosticsPlugin},
    prelude::*,
    render::renderer::RenderAdapterInfo,
};

use crate::setlist::ShowSetlist;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};

pub use encore_show::clock::format_clock;

use crate::{
    capture::CaptureProgress,
    clock::{ConcertClock, Lockstep},
    setlist::{CueAction, CueFired, ItemKind, Setlist, SetlistProblems},
    stage::StageFlash,
};

pub(crate) fn plugin(app: &mut App) {
    if !app.is_plugin_added::<FrameTimeDiagnosticsPlugin>() {
        app.add_plugins(FrameTimeDiagnosticsPlugin::default());
    }
    app.init_resource::<LastEffect>();
    app.add_systems(Update, remember_effects.in_set(crate::AppSystems::Overlay));
    app.add_systems(
        EguiPrimaryContextPass,
        (
            crate::chat::install_fonts,
            warm_font_atlas.run_if(is_warming_up),
        )
            .chain()
            .in_set(crate::OverlaySystems::Fonts),
    );
    app.add_systems(
        EguiPrimaryContextPass,
        (
            show_panel_ui.run_if(not(resource_exists::<crate::capture::Recording>)),
            titles::title_card_ui,
            titles::credit_roll_ui,
            setlist_problems_ui,
            model_notices_ui.run_if(not(resource_exists::<crate::capture::Recording>)),
        )
            .chain()
            .in_set(crate::OverlaySystems::Draw),
    );
    app.add_plugins(transport::plugin);
}

/// The last effect cue that fired, for the panel.
#[derive(Resource, Debug, Default)]
struct LastEffect(Option<String>);

fn remember_effects(mut fired: MessageReader<CueFired>, mut last: ResMut<LastEffect>) {
    for CueFired(cue) in fired.read() {
        if let CueAction::Effect(effect) = &cue.action {
            last.0 = Some(format!("{effect:?}"));
        }
    }
}

/// Characters laid out once during warm-up so their glyphs are in egui's font atlas before
/// frame 0: a glyph first used in a frame only reaches the GPU texture a frame later, which
/// would leave a hole in that frame's text (seen as a missing digit in recordings).
const WARM_GLYPHS: &str = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";

fn is_warming_up(progress: Option<Res<CaptureProgress>>) -> bool {
    matches!(progress.as_deref(), Some(CaptureProgress::WarmingUp(_)))
}

fn warm_font_atlas(
    mut contexts: EguiContexts,
    setlist: Res<ShowSetlist>,
    feed: Res<crate::chat::ChatFeed>,
    chat: Res<crate::chat::ChatSettings>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    // One bitmap per glyph and size instead of four sub-pixel variants, so laying the text out
    // once here puts every glyph the show will draw in the atlas, whatever frame a recording
    // (or one chunk of it) starts at.
    ctx.all_styles_mut(|style| style.visuals.text_options.subpixel_binning = false);
    let fonts: Vec<egui::FontId> = ctx.global_style().text_styles.values().cloned().collect();
    let cards = titles::card_texts(&setlist);
    let (chat_glyphs, chat_sizes) = crate::chat::glyphs_to_warm(&feed, &chat);
    ctx.fonts_mut(|view| {
        for size in chat_sizes {
            view.layout_no_wrap(
                chat_glyphs.clone(),
                egui::FontId::proportional(size),
                egui::Color32::WHITE,
            );
        }
        for font in fonts {
            view.layout_no_wrap(WARM_GLYPHS.to_owned(), font, egui::Color32::WHITE);
        }
        for size in titles::CARD_SIZES {
            view.layout_no_wrap(
                format!("{WARM_GLYPHS}{cards}"),
                egui::FontId::proportional(size),
                egui::Color32::WHITE,
            );
        }
    });
    Ok(())
}

/// Fill of the show panel: an opaque dark violet, so text stays readable over stage lights.
pub const PANEL_FILL: egui::Color32 = egui::Color32::from_rgb(22, 16, 38);

/// Where the show panel's top-left corner sits, in logical pixels from the window's corner.
pub const PANEL_OFFSET: egui::Vec2 = egui::vec2(12.0, 12.0);

#[expect(clippy::too_many_arguments, reason = "a UI system reads what it shows")]
fn show_panel_ui(
    mut contexts: EguiContexts,
    clock: Res<ConcertClock>,
    setlist: Res<ShowSetlist>,
    flash: Res<StageFlash>,
    effect: Res<LastEffect>,
    lockstep: Option<Res<Lockstep>>,
    adapter: Option<Res<RenderAdapterInfo>>,
    diagnostics: Res<DiagnosticsStore>,
    camera: Res<crate::camera::CameraStatus>,
    scale: Res<crate::camera::compose::RenderScale>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let frame = egui::Frame::window(&ctx.global_style())
        .fill(PANEL_FILL)
        .corner_radius(6.0)
        .inner_margin(10.0);
    egui::Window::new("encore")
        .anchor(egui::Align2::LEFT_TOP, PANEL_OFFSET)
        .frame(frame)
        .resizable(false)
        .collapsible(false)
        .title_bar(false)
        // Frame 0 of a recording must already show the panel.
        .fade_in(false)
        .show(ctx, |ui| {
            ui.heading(&setlist.title);
            ui.label(now_playing(&setlist, clock.seconds));
            ui.separator();
            let position = setlist.position_at(clock.seconds);
            let section = position
                .section
                .map(|index| {
                    let item = &setlist.items[position.item];
                    format!("{:?}  ", item.sections[index].kind)
                })
                .unwrap_or_default();
            ui.monospace(format!(
                "{section}bar {}:{}  {:.0} bpm",
                position.bar, position.beat, clock.bpm,
            ));
            ui.monospace(format!(
                "{} / {}",
                format_clock(clock.seconds),
                format_clock(setlist.duration())
            ));
            if flash.0 > 0.0
                && let Some(effect) = &effect.0
            {
                ui.colored_label(egui::Color32::from_rgb(255, 214, 110), format!("{effect}!"));
            }
            ui.small(format!("camera: {} · {}", camera.mode.label(), camera.shot));
            let rate = match lockstep {
                // Offscreen frames must be identical run to run: no measured figures here.
                Some(lockstep) => format!("offscreen, {} fps lockstep", lockstep.fps),
                None => diagnostics
                    .get(&FrameTimeDiagnosticsPlugin::FPS)
                    .and_then(|fps| fps.smoothed())
                    .map_or_else(|| "measuring fps".into(), |fps| format!("{fps:.1} fps")),
            };
            ui.small(rate);
            ui.small(match scale.target_fps {
                Some(target) => format!(
                    "render scale {:.0}% (following {target:.0} fps)",
                    scale.scale * 100.0
                ),
                None => format!("render scale {:.0}%", scale.scale * 100.0),
            });
            if let Some(adapter) = adapter {
                ui.small(adapter.name.clone());
            }
        });
    Ok(())
}

/// "Song 2/3 · Neon Heartbeat" for the item under the playhead.
fn now_playing(setlist: &Setlist, seconds: f64) -> String {
    let index = setlist.item_index_at(seconds);
    let Some(item) = setlist.items.get(index) else {
        return String::new();
    };
    let songs = setlist
        .items
        .iter()
        .filter(|item| item.kind == ItemKind::Song);
    let label = match item.kind {
        ItemKind::Song => {
            let number = songs
                .clone()
                .take_while(|song| song.start < item.start)
                .count()
                + 1;
            let encore = if item.encore { "Encore " } else { "" };
            format!("{encore}Song {number}/{}", songs.count())
        }
        kind => kind.label().to_owned(),
    };
    match item.kind {
        ItemKind::Song => format!("{label} · {}", item.display_title()),
        _ => item.display_title().to_owned(),
    }
}

/// Amber of the model notice: a warning, not an error (the show goes on).
const NOTICE_AMBER: egui::Color32 = egui::Color32::from_rgb(255, 196, 92);

/// A notice in the window for model avatars that could not be used and stand in as built-in
/// idols, with the reason for each.
fn model_notices_ui(
    mut contexts: EguiContexts,
    notices: Res<crate::avatar::ModelNotices>,
) -> Result {
    if notices.0.is_empty() {
        return Ok(());
    }
    let ctx = contexts.ctx_mut()?;
    let frame = egui::Frame::window(&ctx.global_style())
        .fill(egui::Color32::from_rgb(40, 30, 12))
        .stroke(egui::Stroke::new(1.5, NOTICE_AMBER))
        .corner_radius(6.0)
        .inner_margin(10.0);
    egui::Window::new("model notices")
        .anchor(egui::Align2::CENTER_TOP, egui::vec2(0.0, 12.0))
        .frame(frame)
        .resizable(false)
        .collapsible(false)
        .title_bar(false)
        .fade_in(false)
        .max_width(520.0)
        .show(ctx, |ui| {
            ui.colored_label(NOTICE_AMBER, "Model files:");
            for line in notices.0.iter().take(5) {
                ui.add(egui::Label::new(egui::RichText::new(line).small()).wrap());
            }
            ui.small("`encore avatar inspect FILE` shows what encore finds in a model.");
        });
    Ok(())
}

/// Border of the problems panel: an alarm red that reads on any stage colour.
const PROBLEM_RED: egui::Color32 = egui::Color32::from_rgb(255, 92, 92);

/// The errors of a setlist save that was not applied, until a good save clears them.
fn setlist_problems_ui(mut contexts: EguiContexts, problems: Res<SetlistProblems>) -> Result {
    if problems.lines.is_empty() {
        return Ok(());
    }
    let ctx = contexts.ctx_mut()?;
    let frame = egui::Frame::window(&ctx.global_style())
        .fill(egui::Color32::from_rgb(40, 12, 18))
        .stroke(egui::Stroke::new(2.0, PROBLEM_RED))
        .corner_radius(6.0)
        .inner_margin(10.0);
    egui::Window::new("setlist problems")
        .anchor(egui::Align2::RIGHT_TOP, egui::vec2(-12.0, 12.0))
        .frame(frame)
        .resizable(false)
        .collapsible(false)
        .title_bar(false)
        .fade_in(false)
        .max_width(560.0)
        .show(ctx, |ui| {
            ui.colored_label(
                PROBLEM_RED,
                "Setlist not applied: the last good version plays on",
            );
            for line in problems.lines.iter().take(8) {
                ui.add(egui::Label::new(egui::RichText::new(line).monospace()).wrap());
            }
            if problems.lines.len() > 8 {
                ui.small(format!(
                    "and {} more; `encore check` lists them all",
                    problems.lines.len() - 8
                ));
            }
            ui.small("Fix the file and save: this panel clears itself.");
        });
    Ok(())
}

//! The egui overlay: the show panel with what is playing and how it is being rendered.

use bevy::{
    diagnostic::{DiagnosticsStore, FrameTimeDiagnosticsPlugin},
    prelude::*,
    render::renderer::RenderAdapterInfo,
};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};

use crate::{
    capture::CaptureProgress,
    clock::{ConcertClock, Lockstep},
};

pub(crate) fn plugin(app: &mut App) {
    if !app.is_plugin_added::<FrameTimeDiagnosticsPlugin>() {
        app.add_plugins(FrameTimeDiagnosticsPlugin::default());
    }
    app.add_systems(
        EguiPrimaryContextPass,
        (warm_font_atlas.run_if(is_warming_up), show_panel_ui).chain(),
    );
}

/// Characters laid out once during warm-up so their glyphs are in egui's font atlas before
/// frame 0: a glyph first used in a frame only reaches the GPU texture a frame later, which
/// would leave a hole in that frame's text (seen as a missing digit in recordings).
const WARM_GLYPHS: &str = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";

fn is_warming_up(progress: Option<Res<CaptureProgress>>) -> bool {
    matches!(progress.as_deref(), Some(CaptureProgress::WarmingUp(_)))
}

fn warm_font_atlas(mut contexts: EguiContexts) -> Result {
    let ctx = contexts.ctx_mut()?;
    let fonts: Vec<egui::FontId> = ctx.global_style().text_styles.values().cloned().collect();
    ctx.fonts_mut(|view| {
        for font in fonts {
            view.layout_no_wrap(WARM_GLYPHS.to_owned(), font, egui::Color32::WHITE);
        }
    });
    Ok(())
}

/// Fill of the show panel: an opaque dark violet, so text stays readable over stage lights.
pub const PANEL_FILL: egui::Color32 = egui::Color32::from_rgb(22, 16, 38);

/// Where the show panel's top-left corner sits, in logical pixels from the window's corner.
pub const PANEL_OFFSET: egui::Vec2 = egui::vec2(12.0, 12.0);

fn show_panel_ui(
    mut contexts: EguiContexts,
    clock: Res<ConcertClock>,
    lockstep: Option<Res<Lockstep>>,
    adapter: Option<Res<RenderAdapterInfo>>,
    diagnostics: Res<DiagnosticsStore>,
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
            ui.heading("encore");
            ui.label("Built-in stage");
            ui.separator();
            let beats = clock.beats();
            ui.monospace(format!(
                "{}  bar {}:{}  {:.0} bpm",
                format_clock(clock.seconds),
                (beats / 4.0).floor() as u64 + 1,
                (beats.rem_euclid(4.0)).floor() as u64 + 1,
                clock.bpm,
            ));
            let rate = match lockstep {
                // Offscreen frames must be identical run to run: no measured figures here.
                Some(lockstep) => format!("offscreen, {} fps lockstep", lockstep.fps),
                None => diagnostics
                    .get(&FrameTimeDiagnosticsPlugin::FPS)
                    .and_then(|fps| fps.smoothed())
                    .map_or_else(|| "measuring fps".into(), |fps| format!("{fps:.1} fps")),
            };
            ui.small(rate);
            if let Some(adapter) = adapter {
                ui.small(adapter.name.clone());
            }
        });
    Ok(())
}

/// `83.25` seconds as `1:23.2`.
pub fn format_clock(seconds: f64) -> String {
    let tenths = (seconds.max(0.0) * 10.0).floor() as u64;
    format!("{}:{:02}.{}", tenths / 600, tenths / 10 % 60, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_reads_minutes_seconds_tenths() {
        assert_eq!(format_clock(0.0), "0:00.0");
        assert_eq!(format_clock(83.25), "1:23.2");
        assert_eq!(format_clock(-3.0), "0:00.0");
        assert_eq!(format_clock(3600.0), "60:00.0");
    }
}

//! `encore bench window`: the show in a real window for a while, with the frame rate and the
//! render scale at each of the window's judgements (every 1.5 s after it settles), and the
//! figures the window is held to: the mean frame rate, how often the scale stayed at or above
//! a half, and how often the window was fluid there.

use std::sync::{Arc, Mutex};

use bevy::prelude::*;

use crate::{
    PlayOptions,
    camera::compose::{JUDGE_EVERY, RenderScale, SETTLE},
};

/// The scale the window should stay at or above.
const SHARP: f32 = 0.5;

/// One judgement: seconds since launch, frames per second, and the scale they were drawn at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Judgement {
    pub at: f64,
    pub fps: f32,
    pub scale: f32,
}

/// What a run of judgements adds up to.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowFigures {
    pub judgements: usize,
    pub mean_fps: f32,
    /// Judgements with the scale at or above a half.
    pub sharp: usize,
    /// Of those, the ones at or above the fluid frame rate.
    pub fluid: usize,
    /// Per scale, largest first: the scale, its judgements, and their mean, lowest and
    /// highest frame rates.
    pub by_scale: Vec<(f32, usize, f32, f32, f32)>,
}

/// Adds up `judgements` against a `fluid` frame rate.
pub fn window_figures(judgements: &[Judgement], fluid: f32) -> WindowFigures {
    let count = judgements.len();
    let mean = |fps: &[f32]| fps.iter().sum::<f32>() / fps.len().max(1) as f32;
    let all: Vec<f32> = judgements.iter().map(|judgement| judgement.fps).collect();
    let sharp: Vec<&Judgement> = judgements
        .iter()
        .filter(|judgement| judgement.scale >= SHARP - 1e-4)
        .collect();
    let fluid = sharp
        .iter()
        .filter(|judgement| judgement.fps >= fluid)
        .count();
    let mut scales: Vec<f32> = judgements.iter().map(|judgement| judgement.scale).collect();
    scales.sort_by(|a, b| b.total_cmp(a));
    scales.dedup();
    let by_scale = scales
        .into_iter()
        .map(|scale| {
            let fps: Vec<f32> = judgements
                .iter()
                .filter(|judgement| judgement.scale == scale)
                .map(|judgement| judgement.fps)
                .collect();
            let low = fps.iter().copied().fold(f32::INFINITY, f32::min);
            let high = fps.iter().copied().fold(0.0, f32::max);
            (scale, fps.len(), mean(&fps), low, high)
        })
        .collect();
    WindowFigures {
        judgements: count,
        mean_fps: mean(&all),
        sharp: sharp.len(),
        fluid,
        by_scale,
    }
}

/// The bench's state in the app: how long to watch, and the judgements so far.
#[derive(Resource)]
struct WindowBench {
    seconds: f64,
    seen: u32,
    judgements: Arc<Mutex<Vec<Judgement>>>,
}

/// Plays `play` (in a window) until judgements cover `seconds`, printing each, then the
/// figures against a `fluid` frame rate.
pub fn window(play: PlayOptions, seconds: f64, fluid: f32) -> anyhow::Result<()> {
    let (setlist, file) = crate::load_show(play.setlist.as_deref(), play.fancam.as_deref())?;
    crate::graphics::preflight(false)?;
    let play = PlayOptions {
        headless: false,
        frames: None,
        screenshot: None,
        ..play
    };
    println!(
        "window: {} at {}x{} for {seconds} s after a {SETTLE} s settle, a judgement every \
         {JUDGE_EVERY} s, {} ({} build)",
        setlist.title,
        play.size.x,
        play.size.y,
        match play.render_scale {
            Some(scale) => format!("render scale fixed at {scale:.2}"),
            None => format!("render scale following a {} fps target", play.target_fps),
        },
        super::build()
    );
    println!("  {:>7} {:>6} {:>6}", "time", "fps", "scale");
    let judgements = Arc::new(Mutex::new(Vec::new()));
    let mut app = crate::build_app(&play, setlist, file);
    app.insert_resource(WindowBench {
        seconds,
        seen: 0,
        judgements: judgements.clone(),
    });
    app.add_systems(Last, note_the_judgements);
    crate::run_app(app)?;
    let judgements = judgements
        .lock()
        .map_err(|_| anyhow::anyhow!("the window's figures were lost"))?
        .clone();
    if judgements.is_empty() {
        anyhow::bail!("the window closed before its frame rate was judged");
    }
    let figures = window_figures(&judgements, fluid);
    let share = |count: usize| 100.0 * count as f64 / figures.judgements as f64;
    println!(
        "  mean {:.1} fps over {} judgements; scale at or above {SHARP} in {} ({:.0}%); at \
         least {fluid} fps with the scale at or above {SHARP} in {} ({:.0}%)",
        figures.mean_fps,
        figures.judgements,
        figures.sharp,
        share(figures.sharp),
        figures.fluid,
        share(figures.fluid),
    );
    for (scale, count, mean, low, high) in &figures.by_scale {
        println!(
            "  at {scale:.2}: {count} judgement{}, {mean:.1} fps ({low:.1} to {high:.1})",
            if *count == 1 { "" } else { "s" }
        );
    }
    Ok(())
}

/// Keeps each new judgement of the window, and closes the window once they cover the time.
fn note_the_judgements(
    scale: Res<RenderScale>,
    time: Res<Time<Real>>,
    mut bench: ResMut<WindowBench>,
    mut exit: MessageWriter<AppExit>,
) {
    if scale.judgements == bench.seen {
        return;
    }
    bench.seen = scale.judgements;
    let Some((fps, drawn_at)) = scale.judged else {
        return;
    };
    let judgement = Judgement {
        at: time.elapsed_secs_f64(),
        fps,
        scale: drawn_at,
    };
    println!(
        "  {:>5.1} s {:>6.1} {:>6.2}",
        judgement.at, judgement.fps, judgement.scale
    );
    let Ok(mut judgements) = bench.judgements.lock() else {
        return;
    };
    judgements.push(judgement);
    if judgements.len() as f64 * JUDGE_EVERY >= bench.seconds {
        exit.write(AppExit::Success);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_figures_count_sharp_and_fluid_judgements_and_group_them_by_scale() {
        let judgement = |fps, scale| Judgement {
            at: 0.0,
            fps,
            scale,
        };
        let figures = window_figures(
            &[
                judgement(16.0, 1.0),
                judgement(17.0, 0.5),
                judgement(25.0, 0.5),
                judgement(30.0, 0.33),
            ],
            24.0,
        );
        assert_eq!(figures.judgements, 4);
        assert_eq!(figures.mean_fps, 22.0);
        // 1 and 0.5 are sharp enough; of those only the 25 fps at 0.5 is fluid (the 30 fps
        // at 0.33 is fluid but blurry).
        assert_eq!(figures.sharp, 3);
        assert_eq!(figures.fluid, 1);
        assert_eq!(
            figures.by_scale,
            vec![
                (1.0, 1, 16.0, 16.0, 16.0),
                (0.5, 2, 21.0, 17.0, 25.0),
                (0.33, 1, 30.0, 30.0, 30.0)
            ]
        );
        assert_eq!(window_figures(&[], 24.0).judgements, 0);
    }
}

//! `encore bench soak`: plays a show for a long time, offscreen or in a window, and samples
//! resident memory and asset counts every so often, so a leak shows as a slope. The show
//! loops at its end, so a long soak keeps cueing songs, effects and shots.

use std::{path::PathBuf, time::Instant};

use bevy::{prelude::*, time::Real};

use crate::setlist::ShowSetlist;
use serde::Serialize;

use crate::{
    PlayOptions,
    clock::{ConcertClock, Lockstep},
    stage::{CelMaterial, GlowMaterial, LedWallMaterial},
};

/// How long to soak and how often to look.
#[derive(Debug, Clone, PartialEq)]
pub struct SoakOptions {
    /// The show and how it renders (`headless`, `size`, `quality`...). `frames` is ignored:
    /// the soak decides its own end.
    pub play: PlayOptions,
    /// Stop after this many frames (offscreen runs); otherwise after `minutes`.
    pub frames: Option<u64>,
    /// Stop after this many minutes of show.
    pub minutes: f64,
    /// Seconds of show between samples.
    pub every: f64,
    /// Seconds of show before the first sample, which the growth is measured from.
    pub warmup: f64,
    /// Write the samples and the figures as JSON here.
    pub json: Option<PathBuf>,
}

/// Growth after warm-up above this is a leak (issue 20's limit over 10,000 frames).
pub const LIMIT_MB: f64 = 50.0;

/// What is alive at one instant of the soak.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sample {
    /// Seconds of show played since the start (the window's real time, or frames / fps).
    pub seconds: f64,
    /// Updates run since the start, warm-up included.
    pub frame: u64,
    /// Resident memory, MiB; `None` where the system does not say.
    pub resident_mb: Option<f64>,
    /// `Assets<Mesh>`.
    pub meshes: usize,
    /// `Assets<Image>`.
    pub images: usize,
    /// Standard, cel, glow and LED-wall materials together.
    pub materials: usize,
    /// Entities in the main world.
    pub entities: u32,
}

/// The soak's figures: every sample, and the growth and slope after warm-up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SoakReport {
    /// Every sample, the first taken at the end of warm-up.
    pub samples: Vec<Sample>,
    /// Resident memory at the last sample less the first, MiB.
    pub growth_mb: Option<f64>,
    /// Least-squares slope of resident memory, MiB per minute of show.
    pub slope_mb_per_minute: Option<f64>,
    /// The same, MiB per 1,000 frames.
    pub slope_mb_per_1000_frames: Option<f64>,
    /// Times the show ran to its end and started again.
    pub loops: u32,
    /// Wall-clock seconds the soak took.
    pub wall_seconds: f64,
}

impl SoakReport {
    /// The report for `samples`.
    fn new(samples: Vec<Sample>, loops: u32, wall_seconds: f64) -> Self {
        let points: Vec<(f64, f64, f64)> = samples
            .iter()
            .filter_map(|sample| {
                sample
                    .resident_mb
                    .map(|mb| (sample.seconds, sample.frame as f64, mb))
            })
            .collect();
        let growth_mb = match (points.first(), points.last()) {
            (Some(first), Some(last)) if points.len() > 1 => Some(last.2 - first.2),
            _ => None,
        };
        let by_seconds: Vec<(f64, f64)> = points.iter().map(|p| (p.0, p.2)).collect();
        let by_frames: Vec<(f64, f64)> = points.iter().map(|p| (p.1, p.2)).collect();
        Self {
            samples,
            growth_mb,
            slope_mb_per_minute: slope(&by_seconds).map(|per_second| per_second * 60.0),
            slope_mb_per_1000_frames: slope(&by_frames).map(|per_frame| per_frame * 1000.0),
            loops,
            wall_seconds,
        }
    }

    /// Whether memory stayed within [`LIMIT_MB`] after warm-up.
    pub fn flat(&self) -> bool {
        self.growth_mb.is_some_and(|growth| growth <= LIMIT_MB)
    }
}

/// Least-squares slope of `y` over `x`; `None` for fewer than two distinct `x`.
fn slope(points: &[(f64, f64)]) -> Option<f64> {
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let spread: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    if spread <= f64::EPSILON {
        return None;
    }
    let covariance: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    Some(covariance / spread)
}

/// Resident memory of this process in MiB, from `/proc/self/status` (Linux).
pub fn resident_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    resident_mb_from_status(&status)
}

fn resident_mb_from_status(status: &str) -> Option<f64> {
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kilobytes: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kilobytes / 1024.0)
}

/// The soak in progress.
#[derive(Resource, Debug)]
struct Soak {
    options: SoakOptions,
    started: Instant,
    frame: u64,
    next_sample: f64,
    samples: Vec<Sample>,
    loops: u32,
}

/// Runs the soak and prints a line per sample and the figures at the end.
pub fn soak(options: SoakOptions) -> anyhow::Result<()> {
    let (setlist, file) = crate::load_show(
        options.play.setlist.as_deref(),
        options.play.fancam.as_deref(),
    )?;
    crate::graphics::preflight(options.play.headless)?;
    let play = PlayOptions {
        frames: None,
        screenshot: None,
        ..options.play.clone()
    };
    println!(
        "soak: {} {}, {}x{}, a sample every {} s of show after {} s of warm-up, until {} \
         ({} build)",
        setlist.title,
        if play.headless {
            "offscreen"
        } else {
            "in a window"
        },
        play.size.x,
        play.size.y,
        options.every,
        options.warmup,
        match options.frames {
            Some(frames) => format!("frame {frames}"),
            None => format!("{} min of show", options.minutes),
        },
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
    );
    println!(
        "  {:>8} {:>7} {:>10} {:>7} {:>7} {:>9} {:>9}",
        "show", "frame", "resident", "meshes", "images", "materials", "entities"
    );
    let mut app = crate::build_app(&play, setlist, file);
    let report = std::sync::Arc::new(std::sync::Mutex::new(None));
    app.insert_resource(Soak {
        next_sample: options.warmup,
        options: options.clone(),
        started: Instant::now(),
        frame: 0,
        samples: Vec::new(),
        loops: 0,
    });
    app.insert_resource(SoakResult(report.clone()));
    app.add_systems(Last, (loop_the_show, sample_soak).chain());
    crate::run_app(app)?;
    let report = report
        .lock()
        .ok()
        .and_then(|mut slot| slot.take())
        .ok_or_else(|| anyhow::anyhow!("the soak ended before its last sample"))?;
    print_report(&report);
    if let Some(path) = &options.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)
            .map_err(|error| anyhow::anyhow!("cannot write {}: {error}", path.display()))?;
    }
    Ok(())
}

/// The report, handed out of the app (which `App::run` consumes).
#[derive(Resource, Debug, Clone)]
struct SoakResult(std::sync::Arc<std::sync::Mutex<Option<SoakReport>>>);

fn print_report(report: &SoakReport) {
    let (Some(first), Some(last)) = (report.samples.first(), report.samples.last()) else {
        return;
    };
    println!(
        "  {} frames in {:.0} s of wall time; the show started again {} times at its end",
        last.frame, report.wall_seconds, report.loops
    );
    match (
        report.growth_mb,
        report.slope_mb_per_minute,
        report.slope_mb_per_1000_frames,
    ) {
        (Some(growth), Some(per_minute), Some(per_1000)) => println!(
            "  resident memory after warm-up: {growth:+.1} MiB over {} frames ({per_minute:+.2} \
             MiB per minute of show, {per_1000:+.2} MiB per 1,000 frames): {}",
            last.frame - first.frame,
            if report.flat() {
                format!("flat (limit {LIMIT_MB} MiB)")
            } else {
                format!("GROWING (limit {LIMIT_MB} MiB)")
            }
        ),
        _ => println!("  resident memory: not enough samples, or not readable on this system"),
    }
    println!(
        "  assets after warm-up and at the end: meshes {} -> {}, images {} -> {}, materials {} \
         -> {}, entities {} -> {}",
        first.meshes,
        last.meshes,
        first.images,
        last.images,
        first.materials,
        last.materials,
        first.entities,
        last.entities
    );
}

/// Starts the show again when it reaches its end, so a soak longer than the show keeps
/// playing it (in lockstep by moving frame 0's instant back by the show's length).
fn loop_the_show(
    setlist: Res<ShowSetlist>,
    mut clock: ResMut<ConcertClock>,
    lockstep: Option<ResMut<Lockstep>>,
    mut soak: ResMut<Soak>,
) {
    let duration = setlist.duration();
    if duration <= 0.0 || clock.seconds < duration {
        return;
    }
    match lockstep {
        Some(mut lockstep) => {
            lockstep.start -= duration;
            let seconds = lockstep.seconds();
            clock.seek(seconds);
        }
        // The music follows the clock's seek in the window.
        None => clock.seek(0.0),
    }
    // The show stops itself at its end; the soak keeps it going.
    clock.playing = true;
    soak.loops += 1;
}

fn sample_soak(world: &mut World) {
    let seconds = world.resource::<Time<Real>>().elapsed_secs_f64();
    let mut soak = world.resource_mut::<Soak>();
    let frame = soak.frame;
    soak.frame += 1;
    let done = match soak.options.frames {
        Some(frames) => frame + 1 >= frames,
        None => seconds >= soak.options.minutes * 60.0,
    };
    // Between samples the soak costs nothing: no file read, no counting.
    if seconds < soak.next_sample && !done {
        return;
    }
    let sample = Sample {
        seconds,
        frame,
        resident_mb: resident_mb(),
        meshes: world.resource::<Assets<Mesh>>().len(),
        images: world.resource::<Assets<Image>>().len(),
        materials: world.resource::<Assets<StandardMaterial>>().len()
            + world.resource::<Assets<CelMaterial>>().len()
            + world.resource::<Assets<GlowMaterial>>().len()
            + world.resource::<Assets<LedWallMaterial>>().len(),
        entities: world.entities().count_spawned(),
    };
    let mut soak = world.resource_mut::<Soak>();
    soak.next_sample = seconds + soak.options.every;
    println!(
        "  {:>8} {:>7} {:>10} {:>7} {:>7} {:>9} {:>9}",
        crate::format_clock(seconds),
        sample.frame,
        sample
            .resident_mb
            .map_or("n/a".to_owned(), |mb| format!("{mb:.1} MiB")),
        sample.meshes,
        sample.images,
        sample.materials,
        sample.entities
    );
    soak.samples.push(sample);
    if done {
        let report = SoakReport::new(
            std::mem::take(&mut soak.samples),
            soak.loops,
            soak.started.elapsed().as_secs_f64(),
        );
        let result = world.resource::<SoakResult>().clone();
        if let Ok(mut slot) = result.0.lock() {
            *slot = Some(report);
        }
        world.write_message(AppExit::Success);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slope_fits_a_line_and_needs_two_points() {
        let line = [(0.0, 10.0), (1.0, 12.0), (2.0, 14.0), (3.0, 16.0)];
        assert!((slope(&line).unwrap() - 2.0).abs() < 1e-12);
        assert_eq!(slope(&[(1.0, 5.0)]), None);
        assert_eq!(slope(&[(1.0, 5.0), (1.0, 6.0)]), None);
    }

    #[test]
    fn resident_memory_is_read_from_proc_status() {
        let status = "Name:\tencore\nVmPeak:\t 900000 kB\nVmRSS:\t  524288 kB\nThreads:\t9\n";
        assert_eq!(resident_mb_from_status(status), Some(512.0));
        assert_eq!(resident_mb_from_status("Name:\tencore\n"), None);
        if cfg!(target_os = "linux") {
            assert!(resident_mb().is_some_and(|mb| mb > 1.0));
        }
    }

    #[test]
    fn a_report_measures_growth_from_the_first_sample() {
        let sample = |frame: u64, mb: f64| Sample {
            seconds: frame as f64 / 30.0,
            frame,
            resident_mb: Some(mb),
            meshes: 10,
            images: 4,
            materials: 7,
            entities: 100,
        };
        let growing = SoakReport::new(
            vec![sample(30, 300.0), sample(60, 390.0), sample(90, 480.0)],
            0,
            1.0,
        );
        assert_eq!(growing.growth_mb, Some(180.0));
        assert!((growing.slope_mb_per_1000_frames.unwrap() - 3000.0).abs() < 1e-6);
        assert!((growing.slope_mb_per_minute.unwrap() - 5400.0).abs() < 1e-6);
        assert!(!growing.flat());
        let flat = SoakReport::new(vec![sample(30, 300.0), sample(9000, 320.0)], 1, 1.0);
        assert!(flat.flat());
        assert!(!SoakReport::new(vec![sample(30, 300.0)], 0, 1.0).flat());
    }
}

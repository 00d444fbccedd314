//! `encore bench ...`: measurements that print figures. Performance targets are checked here,
//! by a person reading numbers from one run, never by timed tests.

pub mod window;

use std::{path::Path, time::Instant};

use crate::setlist::{self, diagnostics::Severity};

/// Parses and checks a generated setlist of `songs` songs `runs` times (after one warm-up run)
/// and prints the times. Target: under 100 ms for 500 songs.
pub fn setlist(songs: usize, runs: u32) {
    let source = setlist::generated_setlist(songs);
    let path = Path::new("generated.ron");
    let (checked, report) = setlist::check(path, &source);
    let Some(checked) = checked else {
        println!("the generated setlist does not check:\n{report}");
        return;
    };
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let result = setlist::check(path, &source);
            let elapsed = start.elapsed().as_secs_f64() * 1000.0;
            std::hint::black_box(result);
            elapsed
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!(
        "setlist: {songs} songs, {} items, {} cues, {:.0} KiB of RON, {} warnings",
        checked.items.len(),
        checked.cues.len(),
        source.len() as f64 / 1024.0,
        report.count(Severity::Warning),
    );
    println!(
        "parse + check: min {:.1} ms, median {:.1} ms, max {:.1} ms over {runs} runs \
         (target: under 100 ms; {} build)",
        times[0],
        times[times.len() / 2],
        times[times.len() - 1],
        build(),
    );
}

/// Poses `counts` idols for 300 frames of the demo's first chorus with the choreography's
/// plain functions (moves, blends, formations, face) and prints the CPU time per idol per
/// frame. Writing the joints into Bevy's transforms is not included.
pub fn animation(counts: &[usize]) {
    use encore_show::{
        camera::{bodies, camera_look, director_lens},
        choreography::idol_frame,
        frame::{ShowFrame, ShowPlans, clock_at},
        lights::{rig_at, singer_at},
    };
    for &count in counts {
        let mut setlist = setlist::Setlist::built_in();
        let template = setlist.cast.clone();
        setlist.cast = (0..count)
            .map(|index| {
                let mut idol = template[index % template.len()].clone();
                idol.id = format!("idol{index}");
                idol.home = setlist::validate::default_home(index, count);
                idol
            })
            .collect();
        let ids: Vec<String> = setlist.cast.iter().map(|idol| idol.id.clone()).collect();
        for item in &mut setlist.items {
            for dance in &mut item.dances {
                dance.idols = ids.clone();
            }
        }
        let plans = ShowPlans::new(&setlist);
        let plan = &plans.formation;
        let start = setlist.seconds_at(0, 17, 1.0).unwrap_or(0.0);
        let frames = 300;
        let timer = Instant::now();
        for frame in 0..frames {
            let seconds = start + f64::from(frame) / 60.0;
            for index in 0..count {
                std::hint::black_box(idol_frame(&setlist, plan, index, seconds));
            }
        }
        let per_idol = timer.elapsed().as_secs_f64() * 1e6 / f64::from(frames) / count as f64;
        // The whole show's instant, once a frame, as the app computes it now...
        let timer = Instant::now();
        for frame in 0..frames {
            let clock = clock_at(&setlist, start + f64::from(frame) / 60.0);
            std::hint::black_box(ShowFrame::at(&setlist, &plans, &clock));
        }
        let once = timer.elapsed().as_secs_f64() * 1e3 / f64::from(frames);
        // ...and as it was before the frame was shared: posing, then the camera's and the
        // stage's bodies each posing again, the look-at posing again, the lens and the rig.
        let timer = Instant::now();
        for frame in 0..frames {
            let seconds = start + f64::from(frame) / 60.0;
            let clock = clock_at(&setlist, seconds);
            for index in 0..count {
                std::hint::black_box(idol_frame(&setlist, plan, index, seconds));
                std::hint::black_box(idol_frame(&setlist, plan, index, seconds));
                std::hint::black_box(camera_look(&setlist, &plans.shots, index, seconds));
            }
            let framed = bodies(&setlist, plan, seconds);
            std::hint::black_box(director_lens(&setlist, &plans.shots, &framed, seconds));
            let again = bodies(&setlist, plan, seconds);
            std::hint::black_box(rig_at(
                &setlist,
                seconds,
                (clock.beats(), clock.bars()),
                &again,
                singer_at(&setlist, seconds),
            ));
        }
        let separately = timer.elapsed().as_secs_f64() * 1e3 / f64::from(frames);
        let (springs, joints) = spring_cost(&setlist, frames);
        let build = build();
        println!(
            "animation: {count:>3} idols: {per_idol:.1} µs per idol per frame, {:.2} ms per frame ({build} build)",
            per_idol * count as f64 / 1000.0,
        );
        println!(
            "           springs of the built-in idols' chains ({joints:.1} joints per idol): \
             {springs:.1} µs per idol per frame; posing with springs {:.1} µs ({:.2}x posing alone)",
            per_idol + springs,
            (per_idol + springs) / per_idol.max(1e-9),
        );
        println!(
            "           the show's frame (poses, bodies, lens, lights) once: {once:.2} ms; \
             computed per system as before: {separately:.2} ms ({:.2}x)",
            separately / once.max(1e-9),
        );
    }
}

/// The CPU time of the built-in idols' spring chains, µs per idol per frame, and their
/// joints per idol: each joint's tail stepped once a frame (60 fps) against its colliders
/// while her head turns, as [`crate::avatar::spring`] steps it.
fn spring_cost(setlist: &setlist::model::Setlist, frames: u32) -> (f64, f64) {
    use bevy::math::{Quat, Vec3};

    use crate::avatar::{
        chains::IdolChains,
        skeleton::Skeleton,
        spring::{SpringParams, WorldCollider, step_tail},
    };
    let rigs: Vec<IdolChains> = setlist
        .cast
        .iter()
        .filter_map(|idol| match &idol.avatar {
            setlist::model::Avatar::Builtin(look) => Some(IdolChains::new(
                &Skeleton::new(idol.height, look.build),
                look,
            )),
            setlist::model::Avatar::Model(_) => None,
        })
        .collect();
    let mut states: Vec<Vec<(Vec3, Vec3)>> = rigs
        .iter()
        .map(|rig| rig.joints().map(|joint| (joint.tail, joint.tail)).collect())
        .collect();
    // Everything that does not change from frame to frame is worked out first, as the app
    // keeps it in the rig: each joint's bind pose, rest length, swing and colliders.
    type Joint = (Vec3, Vec3, f32, SpringParams, Vec<usize>);
    let joints: Vec<Vec<Joint>> = rigs
        .iter()
        .map(|rig| {
            rig.joints()
                .map(|joint| {
                    let length = joint.head.distance(joint.tail);
                    (
                        joint.head,
                        joint.tail,
                        length,
                        joint.chain.swing.params(),
                        joint.chain.colliders.clone(),
                    )
                })
                .collect()
        })
        .collect();
    let mut world = Vec::new();
    let mut touching = Vec::new();
    let timer = Instant::now();
    for frame in 0..frames {
        let turn = Quat::from_rotation_y((frame as f32 * 0.05).sin());
        for ((rig, joints), state) in rigs.iter().zip(&joints).zip(&mut states) {
            world.clear();
            world.extend(rig.colliders.iter().map(|collider| WorldCollider {
                from: turn * collider.offset,
                to: turn * collider.tail.unwrap_or(collider.offset),
                radius: collider.radius,
            }));
            for ((head, tail, length, params, colliders), (current, previous)) in
                joints.iter().zip(state.iter_mut())
            {
                touching.clear();
                touching.extend(colliders.iter().map(|index| world[*index]));
                let (head, tail) = (turn * *head, turn * *tail);
                let next = step_tail(
                    head,
                    (tail - head).normalize_or(Vec3::NEG_Y),
                    *length,
                    *current,
                    *previous,
                    params,
                    &touching,
                );
                *previous = *current;
                *current = std::hint::black_box(next);
            }
        }
    }
    let count = setlist.cast.len().max(1) as f64;
    let joints: usize = rigs.iter().map(IdolChains::joint_count).sum();
    (
        timer.elapsed().as_secs_f64() * 1e6 / f64::from(frames) / count,
        joints as f64 / count,
    )
}

/// One offscreen render of the demo for the venue benchmark: these arguments on top of
/// `play --headless --size 640x360 --start 0:33` (the first chorus).
struct VenueRun {
    label: String,
    args: Vec<String>,
}

/// Seconds a child `encore play` takes for `frames` frames with `args`.
fn time_play(exe: &Path, args: &[String], frames: u32) -> anyhow::Result<f64> {
    time_play_logged(exe, args, frames).map(|(seconds, _)| seconds)
}

/// Seconds a child `encore play` takes for `frames` frames with `args`, and its log.
fn time_play_logged(exe: &Path, args: &[String], frames: u32) -> anyhow::Result<(f64, String)> {
    let start = Instant::now();
    let output = std::process::Command::new(exe)
        .args(["play", "--headless", "--size", "640x360", "--start", "0:33"])
        .args(["--frames", &frames.to_string()])
        .args(args)
        .output()
        .map_err(|error| anyhow::anyhow!("cannot run {}: {error}", exe.display()))?;
    if !output.status.success() {
        anyhow::bail!(
            "encore play {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .last()
                .unwrap_or("no message")
        );
    }
    Ok((
        start.elapsed().as_secs_f64(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    ))
}

/// Renders the demo offscreen at 640x360 and prints milliseconds per frame: the low preset
/// with 1k, 10k and 50k lightsticks drawn (target: 50k at most 1.5x the time of 1k), then
/// each preset next to a bare frame (the camera's clear and the overlay), all in one run.
/// Each figure is the median of `runs` runs of `frames` frames, less a one-frame run that
/// measures start-up and warm-up.
pub fn venue(frames: u32, runs: u32) -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    let low_share = crate::graphics::RenderProfile::new(crate::graphics::Preset::Low, true).crowd;
    let strings = |args: &[&str]| args.iter().map(|arg| (*arg).to_owned()).collect();
    let mut plan: Vec<VenueRun> = [1_000u32, 10_000, 50_000]
        .iter()
        .map(|drawn| VenueRun {
            label: format!("low, {:>2}k lightsticks", drawn / 1000),
            args: vec![
                "--quality".into(),
                "low".into(),
                "--fans".into(),
                ((*drawn as f32 / low_share).round() as u32).to_string(),
            ],
        })
        .collect();
    plan.push(VenueRun {
        label: "bare (clear + overlay)".into(),
        args: strings(&["--bare"]),
    });
    for preset in ["low", "medium", "high"] {
        plan.push(VenueRun {
            label: format!("demo, {preset}"),
            args: strings(&["--quality", preset]),
        });
    }
    println!(
        "venue: the demo's first chorus offscreen at 640x360, {frames} frames, median of {runs} \
         runs, start-up subtracted ({} build)",
        build()
    );
    let mut figures = Vec::new();
    for run in &plan {
        let mut times = Vec::new();
        for _ in 0..runs {
            let full = time_play(&exe, &run.args, frames + 1)?;
            let startup = time_play(&exe, &run.args, 1)?;
            times.push((full - startup).max(0.0) * 1000.0 / f64::from(frames));
        }
        times.sort_by(f64::total_cmp);
        let ms = times[times.len() / 2];
        figures.push(ms);
        println!(
            "  {:<24} {ms:6.1} ms a frame  {:5.1} fps",
            run.label,
            1000.0 / ms
        );
    }
    println!(
        "  50k / 1k lightsticks: {:.2}x (target: at most 1.5x); 10k / 1k: {:.2}x",
        figures[2] / figures[0],
        figures[1] / figures[0]
    );
    println!(
        "  demo / bare: low {:.1}x, medium {:.1}x, high {:.1}x",
        figures[4] / figures[3],
        figures[5] / figures[3],
        figures[6] / figures[3]
    );
    Ok(())
}

/// The chat under a flood: the demo offscreen at 640x360 for ten seconds of show (300 frames)
/// with a quiet chat, then with `rate` messages a second poured in. Prints both frame times
/// (target: the flood at most 10% slower) and what the chat's store held against its cap.
pub fn chat(rate: u32, runs: u32) -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    let frames = 300;
    println!(
        "chat: the demo's first chorus offscreen at 640x360, {frames} frames (10 s of show), \
         median of {runs} runs, start-up subtracted ({} build)",
        build()
    );
    let mut figures = Vec::new();
    let mut held = String::new();
    for (label, flood) in [("quiet chat", 0), ("flooded chat", rate)] {
        let args = vec!["--chat-flood".to_owned(), flood.to_string()];
        let mut times = Vec::new();
        for _ in 0..runs {
            let (full, log) = time_play_logged(&exe, &args, frames + 1)?;
            let startup = time_play(&exe, &args, 1)?;
            times.push((full - startup).max(0.0) * 1000.0 / f64::from(frames));
            if flood > 0
                && let Some(line) = log
                    .lines()
                    .rev()
                    .find(|line| line.contains("messages held"))
            {
                held = line.split("chat: ").nth(1).unwrap_or(line).to_owned();
            }
        }
        times.sort_by(f64::total_cmp);
        let ms = times[times.len() / 2];
        figures.push(ms);
        println!("  {label:<14} {ms:6.1} ms a frame ({flood} messages a second)");
    }
    println!(
        "  flooded / quiet: {:.2}x (target: at most 1.10x)",
        figures[1] / figures[0]
    );
    println!("  after {} flooded messages: {held}", u64::from(rate) * 10);
    Ok(())
}

/// Records the demo's first chorus (`seconds` from 0:33) at each of `qualities` and
/// `scales`, and a bare scene, in one run, and prints each one's frames per second,
/// realtime factor and where its time went.
pub fn record(
    seconds: f64,
    size: bevy::math::UVec2,
    fps: u32,
    qualities: &[crate::setlist::raw::Quality],
    scales: &[f32],
) -> anyhow::Result<()> {
    use crate::record::{RecordReport, describe_timings};
    let exe = std::env::current_exe()?;
    let folder = std::env::temp_dir();
    println!(
        "record: the demo's first chorus, {} at {}x{}, {fps} fps, H.264 + AAC ({} build)",
        crate::format_clock(seconds),
        size.x,
        size.y,
        build()
    );
    let mut runs: Vec<(String, Vec<String>)> = Vec::new();
    for quality in qualities {
        let quality = format!("{quality:?}").to_lowercase();
        for scale in scales {
            runs.push((
                format!("{quality}, scale {scale}"),
                vec![
                    "--quality".into(),
                    quality.clone(),
                    "--render-scale".into(),
                    scale.to_string(),
                ],
            ));
        }
    }
    runs.push(("bare (clear only)".into(), vec!["--bare".into()]));
    for (label, args) in runs {
        let out = folder.join(format!("encore-bench-record-{}.mp4", std::process::id()));
        let json = folder.join(format!("encore-bench-record-{}.json", std::process::id()));
        let output = std::process::Command::new(&exe)
            .args(["record", "--from", "33"])
            .args(["--to", &(33.0 + seconds).to_string()])
            .args(["--size", &format!("{}x{}", size.x, size.y)])
            .args(["--fps", &fps.to_string()])
            .args(&args)
            .arg("-o")
            .arg(&out)
            .arg("--report")
            .arg(&json)
            .output()?;
        if !output.status.success() {
            anyhow::bail!(
                "encore record failed: {}",
                String::from_utf8_lossy(&output.stderr)
                    .lines()
                    .last()
                    .unwrap_or("no message")
            );
        }
        let report: RecordReport = serde_json::from_str(&std::fs::read_to_string(&json)?)?;
        let _ = std::fs::remove_file(&out);
        let _ = std::fs::remove_file(&json);
        println!(
            "  {label:<18} {} frames in {:.1} s: {:.2} fps, {:.3}x realtime",
            report.frames,
            report.seconds,
            report.frames_per_second(),
            report.realtime()
        );
        println!("    {}", describe_timings(&report));
    }
    Ok(())
}

/// The music: how long the demo's mix takes to render, and how closely the clock follows the
/// music over a five-minute song with a simulated sound card (10 ms blocks with jitter, 60 fps
/// frames with jitter and hitches), for several seeds.
pub fn music() {
    let setlist = crate::setlist::Setlist::built_in();
    let started = Instant::now();
    let mix = crate::music::concert_mix(&setlist);
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "music: the demo's mix ({} of 48 kHz stereo) renders in {seconds:.2} s, {:.0}x realtime \
         ({} build)",
        crate::format_clock(mix.samples.len() as f64 / 2.0 / 48_000.0),
        setlist.duration() / seconds,
        build()
    );
    println!("  clock following the music over 5:00 (one 60 fps frame is 16.7 ms):");
    for seed in 1..=5 {
        let follower = crate::music::simulate_follow(300.0, None, None, seed);
        println!(
            "    seed {seed}: largest drift {:5.2} ms, mean {:5.2} ms over {} frames",
            follower.worst_drift * 1000.0,
            follower.mean_drift() * 1000.0,
            follower.frames
        );
    }
}

/// Reads `file` `runs` times and prints the median parse time; then samples it for five
/// idols at 30 fps over its whole length and prints the cost per frame, beside the same five
/// idols dancing a move of the library (the ratio is from the same run).
pub fn motion(file: &Path, runs: u32) -> Result<(), crate::motion::MotionError> {
    use crate::{choreography::moves, motion::Motion, setlist::raw::Move};
    let runs = runs.max(1);
    let bytes = std::fs::read(file).map_err(|error| crate::motion::MotionError::Read {
        path: file.to_owned(),
        reason: error.to_string(),
    })?;
    let mut parse: Vec<f64> = Vec::new();
    let mut motion = Motion::from_bytes(file, &bytes)?;
    for _ in 0..runs {
        let start = Instant::now();
        motion = Motion::from_bytes(file, &bytes)?;
        parse.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    parse.sort_by(f64::total_cmp);
    let keys: Vec<String> = motion
        .counts()
        .into_iter()
        .filter(|(_, count)| *count > 0)
        .map(|(what, count)| format!("{count} {what}"))
        .collect();
    println!(
        "motion: {} ({}, {:.1} s, {:.0} KiB): {}",
        file.display(),
        motion.format,
        motion.duration,
        bytes.len() as f64 / 1024.0,
        keys.join(", ")
    );
    println!(
        "parse: median {:.2} ms over {runs} runs ({} build)",
        parse[parse.len() / 2],
        build()
    );
    if !motion.has_body() {
        return Ok(());
    }
    let frames = ((motion.duration * 30.0) as usize).max(1);
    let time = |sample: &dyn Fn(f32)| {
        let mut medians: Vec<f64> = (0..runs.min(5))
            .map(|_| {
                let start = Instant::now();
                for frame in 0..frames {
                    for idol in 0..5 {
                        sample(frame as f32 / 30.0 + idol as f32 * 0.1);
                    }
                }
                start.elapsed().as_secs_f64() * 1e6 / frames as f64
            })
            .collect();
        medians.sort_by(f64::total_cmp);
        medians[medians.len() / 2]
    };
    let file_cost = time(&|seconds| {
        std::hint::black_box(motion.sample(seconds));
    });
    let library = moves::definition(&Move::BodyRoll);
    let library_cost = time(&|seconds| {
        std::hint::black_box(library.sample(seconds * 2.0));
    });
    println!(
        "sampling five idols: {file_cost:.1} µs a frame for the file, {library_cost:.1} µs for \
         a library move ({:.1}x), over {frames} frames",
        file_cost / library_cost.max(1e-9)
    );
    Ok(())
}

/// Loads each model file on its own into a headless `encore play` `runs` times and prints
/// the median time from the start of its loading to the idol standing on stage (reading,
/// building meshes and textures, spawning, binding), from the log line that says so, with
/// the file's size and geometry. Files compared in one run share the machine's load.
pub fn model(files: &[std::path::PathBuf], runs: u32) -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    for file in files {
        let inspection = encore_show::avatar::inspect::inspect(file)?;
        let setlist = setlist_beside(file, "bench", |name| {
            format!(
                "Concert(title: \"Bench\", cast: [(id: \"m\", name: \"M\", colour: \"#ffffff\", \
                 avatar: Model({name:?}))], program: [Song(title: \"Bench\", bpm: 120, \
                 length: \"bar 33\")])"
            )
        })?;
        let mut times = Vec::new();
        let mut failure = None;
        for _ in 0..runs.max(1) {
            let args = [setlist.display().to_string()];
            match time_play_logged(&exe, &args, 1) {
                Ok((_, log)) => match on_stage_ms(&log) {
                    Some(ms) => times.push(ms),
                    None => failure = Some("it did not go on stage (see `encore play`)".to_owned()),
                },
                Err(error) => failure = Some(error.to_string()),
            }
        }
        let _ = std::fs::remove_file(&setlist);
        if let Some(failure) = failure {
            anyhow::bail!("{}: {failure}", file.display());
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{}: {:.1} MB, {} ({} vertices, {} triangles, {} materials): on stage {:.0} ms after \
             loading began (median of {}; min {:.0}, max {:.0})",
            file.display(),
            std::fs::metadata(file)?.len() as f64 / 1e6,
            inspection.format,
            inspection.vertices,
            inspection.triangles,
            inspection.meshes,
            times[times.len() / 2],
            times.len(),
            times[0],
            times[times.len() - 1],
        );
    }
    Ok(())
}

/// Plays the VMD `dance` natively on the PMX `model` for its whole length at 30 fps, for one
/// model and for five, and prints the CPU time per frame: the bones (tracks, append, IK) and
/// the morph weights from the face keys. Writing into Bevy's transforms is not included.
pub fn pmx(model: &Path, dance: &Path) -> anyhow::Result<()> {
    use encore_show::{
        avatar::pmx,
        motion::{native, physics::Physics, vmd},
    };
    let bytes = std::fs::read(model)?;
    let model_data =
        pmx::read(&bytes).map_err(|error| anyhow::anyhow!("{}: {error}", model.display()))?;
    let dance_data = vmd::parse(&std::fs::read(dance)?)
        .map_err(|error| anyhow::anyhow!("{}: {error}", dance.display()))?;
    let skeleton = native::Skeleton::new(&model_data);
    let bound = native::bind(&dance_data, &skeleton);
    let names: Vec<String> = model_data
        .morphs
        .iter()
        .map(|morph| morph.name.clone())
        .collect();
    let faces = native::face_tracks(&dance_data, &names);
    let frames = dance_data.last_frame().max(1);
    let ik_chains = skeleton
        .bones
        .iter()
        .filter(|bone| bone.ik.is_some())
        .count();
    println!(
        "pmx: {} ({} bones, {} IK chains, {} morphs) dancing {} ({} frames, {} of its bone \
         tracks bind)",
        model.display(),
        skeleton.bones.len(),
        ik_chains,
        names.len(),
        dance.display(),
        frames,
        bound.moved,
    );
    let pose_at =
        |seconds: f64| native::pose_at(&dance_data, &skeleton, &bound, (seconds * 30.0) as f32);
    for count in [1usize, 5] {
        let mut physics: Vec<Physics> = (0..count)
            .map(|_| Physics::new(&model_data, &skeleton))
            .collect();
        let (mut animation, mut simulation) = (0.0, 0.0);
        for frame in 0..frames {
            let seconds = f64::from(frame) / 30.0;
            for physics in &mut physics {
                let start = Instant::now();
                let mut posed = pose_at(seconds);
                let weights: Vec<f32> =
                    native::face_weights(&dance_data, &faces, frame as f32).collect();
                let posed_at = Instant::now();
                physics.pose(seconds, &[0.0], pose_at, &mut posed);
                simulation += posed_at.elapsed().as_secs_f64();
                animation += (posed_at - start).as_secs_f64();
                std::hint::black_box((posed, weights));
            }
        }
        let per_frame = |total: f64| total * 1000.0 / f64::from(frames);
        println!(
            "  {count} model{}: {:.3} ms a frame, of which bones (tracks, append, IK) and morphs \
             {:.3} ms and physics ({} bodies each, two 1/60 s steps) {:.3} ms; {:.3} ms a model \
             ({} build)",
            if count == 1 { "" } else { "s" },
            per_frame(animation + simulation),
            per_frame(animation),
            physics.first().map_or(0, Physics::dynamic_bodies),
            per_frame(simulation),
            per_frame(animation + simulation) / count as f64,
            if cfg!(debug_assertions) {
                "debug app, model crate at opt-level 3"
            } else {
                "release"
            },
        );
    }
    Ok(())
}

/// encore's side of the race against the web peers (`../shared/peers/`, three-vrm): `model`
/// (Godette) dancing an arm wave in the studio at the settings the peers use: MSAA off,
/// outlines on, no shadows or post (the `low` preset with outlines), at 1280x720 and 640x360.
/// For each size: the frame time and the frames read back per second without encoding (a
/// recording of `seconds` whose frames are dropped), and, from a cold Mesa shader cache, the
/// time from launch to the first frame read back and the model's load to the stage.
pub fn race(model: &Path, seconds: f64) -> anyhow::Result<()> {
    use crate::record::RecordReport;
    let exe = std::env::current_exe()?;
    let setlist = setlist_beside(model, "race", |name| {
        format!(
            "Concert(title: \"Race\", quality: Low, venue: Studio(background: Colour(\"#eef0f7\")), \
             chat: (style: Off), cast: [(id: \"m\", name: \"M\", colour: \"#ff6fae\", \
             avatar: Model({name:?}))], program: [Song(title: \"Race\", bpm: 120, \
             length: \"bar 65\", dance: [(bars: (1, 64), move: ArmWave)], \
             camera: [(at: 0.0, shot: FullBody(\"m\"))])])"
        )
    })?;
    println!(
        "race: {} in the studio, arm wave, MSAA off, outlines on, no shadows or post \
         (low preset + outlines), {} build",
        model.display(),
        build()
    );
    let result = (|| -> anyhow::Result<()> {
        for size in ["1280x720", "640x360"] {
            // A fresh shader cache: the first run is cold.
            let cache = std::env::temp_dir()
                .join(format!("encore-race-cache-{}-{size}", std::process::id()));
            let _ = std::fs::remove_dir_all(&cache);
            std::fs::create_dir_all(&cache)?;
            let json =
                std::env::temp_dir().join(format!("encore-race-{}.json", std::process::id()));
            let record = |to: f64| -> anyhow::Result<(f64, RecordReport, String)> {
                let started = Instant::now();
                let output = std::process::Command::new(&exe)
                    .arg("record")
                    .arg(&setlist)
                    .args([
                        "--size",
                        size,
                        "--from",
                        "2",
                        "--to",
                        &(2.0 + to).to_string(),
                    ])
                    .args(["--discard", "--outlines", "--no-chat", "--report"])
                    .arg(&json)
                    .env("MESA_SHADER_CACHE_DIR", &cache)
                    .output()?;
                let seconds = started.elapsed().as_secs_f64();
                let log = String::from_utf8_lossy(&output.stderr).into_owned();
                if !output.status.success() {
                    anyhow::bail!(
                        "encore record failed: {}",
                        log.lines().last().unwrap_or("no message")
                    );
                }
                let report: RecordReport = serde_json::from_str(&std::fs::read_to_string(&json)?)?;
                Ok((seconds, report, log))
            };
            // Cold: launch to the first frame read back (one frame, then exit).
            let (cold, _, log) = record(1.0 / 30.0)?;
            let on_stage = on_stage_ms(&log);
            // Steady state, with the cache now warm.
            let (_, report, _) = record(seconds)?;
            let _ = std::fs::remove_file(&json);
            let _ = std::fs::remove_dir_all(&cache);
            let frames = report.frames.max(1) as f64;
            let timings = report.timings;
            let frame = (timings.simulate + timings.render) / frames * 1000.0;
            let read =
                (timings.simulate + timings.render + timings.readback + timings.wait) / frames;
            println!(
                "  {size:>8}: frame {frame:.1} ms ({:.1} fps; simulate {:.1} + render {:.1} ms) · \
                 {:.1} frames read back a second without encoding · cold launch to first frame \
                 {cold:.2} s (model on stage {} after its load began)",
                1000.0 / frame.max(1e-9),
                timings.simulate / frames * 1000.0,
                timings.render / frames * 1000.0,
                1.0 / read.max(1e-9),
                on_stage.map_or_else(|| "?".to_owned(), |ms| format!("{ms:.0} ms")),
            );
        }
        Ok(())
    })();
    let _ = std::fs::remove_file(&setlist);
    result?;
    println!(
        "  the peers: copy ../shared/peers out and run `PEERS_TESTDATA=../shared/testdata bash \
         run.sh --peers vrm` in the same sitting; compare with three-vrm's manual loop (MSAA \
         off), its 120-frame readPixels recording and its cold load (docs/design.md, \"The race\")"
    );
    Ok(())
}

/// Where a frame goes, pass by pass: the demo's first chorus offscreen at `size` for
/// `frames` frames at each preset, with each render pass timed by the driver's timestamps
/// (the GPU's time; on lavapipe, the CPU cores it rasterizes on) and on the CPU (encoding
/// the pass). Prints each pass's mean over the last frames, largest first.
pub fn passes(size: bevy::math::UVec2, frames: u32) -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    println!(
        "passes: the demo's first chorus at {}x{}, mean of the last {} frames, ms a frame ({} \
         build)",
        size.x,
        size.y,
        frames.min(120),
        build()
    );
    for preset in ["low", "medium", "high"] {
        let output = std::process::Command::new(&exe)
            .args(["play", "--headless", "--start", "0:33", "--pass-profile"])
            .args(["--size", &format!("{}x{}", size.x, size.y)])
            .args(["--frames", &frames.to_string(), "--quality", preset])
            .output()?;
        if !output.status.success() {
            anyhow::bail!(
                "encore play --quality {preset} failed: {}",
                String::from_utf8_lossy(&output.stderr)
                    .lines()
                    .last()
                    .unwrap_or("no message")
            );
        }
        // `pass <name> <gpu|cpu> <ms>` lines.
        let mut passes: Vec<(String, f64, f64)> = Vec::new();
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            let mut words = line.rsplitn(3, ' ');
            let (Some(ms), Some(clock), Some(rest)) = (words.next(), words.next(), words.next())
            else {
                continue;
            };
            let (Some(name), Ok(ms)) = (rest.strip_prefix("pass "), ms.parse::<f64>()) else {
                continue;
            };
            let index = match passes.iter().position(|(known, _, _)| known == name) {
                Some(index) => index,
                None => {
                    passes.push((name.to_owned(), 0.0, 0.0));
                    passes.len() - 1
                }
            };
            match clock {
                "gpu" => passes[index].1 = ms,
                "cpu" => passes[index].2 = ms,
                _ => {}
            }
        }
        if passes.is_empty() {
            println!("  {preset}: the driver reported no pass timings");
            continue;
        }
        passes.sort_by(|a, b| b.1.total_cmp(&a.1));
        // Nested passes (a camera's graph holds its passes) would count twice: the total is
        // of the top-level ones, those without a `/` in their name.
        let total: f64 = passes
            .iter()
            .filter(|(name, _, _)| !name.contains('/'))
            .map(|(_, gpu, _)| gpu)
            .sum();
        println!("  {preset}: {total:.1} ms of GPU time in top-level passes");
        for (name, gpu, cpu) in passes.iter().take(14) {
            println!("    {name:<44} gpu {gpu:>7.2} ms   cpu {cpu:>6.2} ms");
        }
    }
    // Shadow maps carry no timestamps: their cost is the frame with them less the frame
    // without, at medium (the key light's map) and high (every rig light's).
    for preset in ["medium", "high"] {
        let frame = |extra: &[&str]| -> anyhow::Result<f64> {
            let seconds = |count: u32| -> anyhow::Result<f64> {
                let started = Instant::now();
                let output = std::process::Command::new(&exe)
                    .args(["play", "--headless", "--start", "0:33", "--quality", preset])
                    .args(["--size", &format!("{}x{}", size.x, size.y)])
                    .args(["--frames", &count.to_string()])
                    .args(extra)
                    .output()?;
                if !output.status.success() {
                    anyhow::bail!("encore play --quality {preset} failed");
                }
                Ok(started.elapsed().as_secs_f64())
            };
            let whole = seconds(frames.max(2))?;
            let one = seconds(1)?;
            Ok((whole - one) / f64::from(frames.max(2) - 1) * 1000.0)
        };
        let with = frame(&[])?;
        let without = frame(&["--no-shadows"])?;
        println!(
            "  {preset}: a frame takes {with:.1} ms with shadow maps and {without:.1} ms without: \
             {:.1} ms for the shadows",
            with - without
        );
    }
    Ok(())
}

/// "debug" or "release": the build the figures come from.
fn build() -> &'static str {
    if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    }
}

/// Writes the setlist `setlist` makes of `model`'s file name beside the model (a setlist's
/// files stay inside its folder), named by `tag` and this process; the caller removes it.
fn setlist_beside(
    model: &Path,
    tag: &str,
    setlist: impl FnOnce(&str) -> String,
) -> anyhow::Result<std::path::PathBuf> {
    let folder = model.parent().unwrap_or(Path::new("."));
    let name = model
        .file_name()
        .ok_or_else(|| anyhow::anyhow!("{} is not a file", model.display()))?
        .to_string_lossy()
        .into_owned();
    let path = folder.join(format!(".encore-{tag}-{}.ron", std::process::id()));
    std::fs::write(&path, setlist(&name))?;
    Ok(path)
}

/// Milliseconds from a model's load to the stage, from the log line that says so.
fn on_stage_ms(log: &str) -> Option<f64> {
    let line = log.lines().find(|line| line.contains("is on stage"))?;
    line.rsplit_once('(')?.1.split(" ms").next()?.parse().ok()
}

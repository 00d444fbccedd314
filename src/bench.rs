//! `encore bench ...`: measurements that print figures. Performance targets are checked here,
//! by a person reading numbers from one run, never by timed tests.

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
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
    );
}

/// Poses `counts` idols for 300 frames of the demo's first chorus with the choreography's
/// plain functions (moves, blends, formations, face) and prints the CPU time per idol per
/// frame. Writing the joints into Bevy's transforms is not included.
pub fn animation(counts: &[usize]) {
    use crate::choreography::{formation::FormationPlan, idol_frame};
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
        let plan = FormationPlan::new(&setlist);
        let start = setlist.seconds_at(0, 17, 1.0).unwrap_or(0.0);
        let frames = 300;
        let timer = Instant::now();
        for frame in 0..frames {
            let seconds = start + f64::from(frame) / 60.0;
            for index in 0..count {
                std::hint::black_box(idol_frame(&setlist, &plan, index, seconds));
            }
        }
        let per_idol = timer.elapsed().as_secs_f64() * 1e6 / f64::from(frames) / count as f64;
        println!(
            "animation: {count:>3} idols: {per_idol:.1} µs per idol per frame, {:.2} ms per frame ({} build)",
            per_idol * count as f64 / 1000.0,
            if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            },
        );
    }
}

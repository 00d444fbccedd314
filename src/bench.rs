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

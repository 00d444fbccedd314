//! The director: the whole concert's shot list. Camera cues from the setlist are followed
//! exactly; a song section (or a talk, intermission or encore call) with no cue of its own gets
//! shots picked from what happens in it: the line holder's close-up, wide and crane shots in
//! a chorus, tracking and orbits in a dance break, a slow pull-back at the end, two-shots while
//! members talk. Cuts fall on bar lines, shots last at least a bar, two shots in a row never
//! frame the same thing, and every camera stands on the audience's side of the stage (the line
//! of action is never crossed). Choices are seeded from the setlist: same file, same show.

use std::fmt::Write as _;

use rand::{Rng, SeedableRng, rngs::StdRng};

use crate::setlist::{
    ItemKind, Setlist,
    model::{CueAction, Item, ShotCue},
    raw::{Ease, SectionKind, Shot, Side, Transition},
};

/// One shot of the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedShot {
    /// Concert seconds it starts.
    pub at: f64,
    /// Concert seconds it ends.
    pub until: f64,
    /// What it frames and how.
    pub cue: ShotCue,
    /// Picked by the director rather than cued in the setlist.
    pub auto: bool,
    /// Seconds per beat of the item it is in (blends are in beats).
    pub beat: f64,
}

/// Every shot of the concert in time order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShotPlan {
    /// The shots, sorted by start, not overlapping.
    pub shots: Vec<PlannedShot>,
}

impl ShotPlan {
    /// Concert seconds of every hard cut, in order: where simulations of hair and cloth may
    /// restart unseen (see [`crate::clock::restart_before`]).
    pub fn cuts(&self) -> Vec<f64> {
        self.shots
            .iter()
            .filter(|shot| shot.cue.transition == Transition::Cut)
            .map(|shot| shot.at)
            .collect()
    }

    /// The plan for `setlist`.
    pub fn new(setlist: &Setlist) -> Self {
        let mut shots: Vec<PlannedShot> = setlist
            .cues
            .iter()
            .filter_map(|cue| match &cue.action {
                CueAction::Shot { shot, until } => Some(PlannedShot {
                    at: cue.at,
                    until: *until,
                    cue: shot.clone(),
                    auto: false,
                    beat: setlist
                        .items
                        .get(cue.item)
                        .map_or(0.5, |item| item.grid.seconds_per_beat()),
                }),
                _ => None,
            })
            .collect();
        let cued: Vec<f64> = shots.iter().map(|shot| shot.at).collect();
        let has_cue = |start: f64, end: f64| cued.iter().any(|at| (start..end).contains(at));
        let mut rng = StdRng::seed_from_u64(setlist.seed ^ 0x00ca_3e4a);
        for item in &setlist.items {
            let spans: Vec<(Option<SectionKind>, f64, f64)> = if item.sections.is_empty() {
                vec![(None, item.start, item.end())]
            } else {
                item.sections
                    .iter()
                    .map(|section| (Some(section.kind), section.start, section.end))
                    .collect()
            };
            for (index, (kind, start, end)) in spans.iter().enumerate() {
                if has_cue(*start, *end) || end <= start {
                    continue;
                }
                let last = index + 1 == spans.len();
                auto_shots(&mut shots, &mut rng, item, (*kind, *start, *end), last);
            }
        }
        shots.sort_by(|a, b| a.at.total_cmp(&b.at));
        // A shot ends where the next begins.
        for index in 1..shots.len() {
            let next = shots[index].at;
            let previous = &mut shots[index - 1];
            previous.until = previous.until.min(next);
        }
        shots.retain(|shot| shot.until > shot.at);
        Self { shots }
    }

    /// Index of the shot running at `seconds`.
    pub fn index_at(&self, seconds: f64) -> Option<usize> {
        let after = self.shots.partition_point(|shot| shot.at <= seconds);
        let index = after.checked_sub(1)?;
        (seconds < self.shots[index].until).then_some(index)
    }

    /// The shot running at `seconds`.
    pub fn at(&self, seconds: f64) -> Option<&PlannedShot> {
        self.index_at(seconds).map(|index| &self.shots[index])
    }

    /// The plan as text, one shot a line, for `encore check --shots`.
    pub fn describe(&self, setlist: &Setlist) -> String {
        let mut text = String::new();
        for shot in &self.shots {
            // Just after the cut, so a bar line reads as that bar, not the end of the last.
            let position = setlist.position_at(shot.at + 1e-6);
            let title = setlist
                .items
                .get(position.item)
                .map_or("", |item| item.display_title());
            let _ = writeln!(
                text,
                "{:>8}  {:<22} bar {:>3}:{}  {:<28} {}",
                clock_time(shot.at),
                truncate(title, 22),
                position.bar,
                position.beat,
                describe_cue(&shot.cue),
                if shot.auto { "director" } else { "setlist" }
            );
        }
        text
    }
}

fn clock_time(seconds: f64) -> String {
    let tenths = (seconds * 10.0).round() as u64;
    format!("{}:{:02}.{}", tenths / 600, tenths / 10 % 60, tenths % 10)
}

fn truncate(text: &str, width: usize) -> String {
    text.chars().take(width).collect()
}

/// A shot in a few words: `CloseUp hana`, `Orbit on seo, blend 2 beats`.
pub fn describe_cue(cue: &ShotCue) -> String {
    let mut text = shot_name(&cue.shot);
    if let Some(on) = &cue.on {
        let _ = write!(text, " on {on}");
    }
    match cue.transition {
        Transition::Cut => {}
        Transition::Blend(beats) => {
            let _ = write!(text, ", blend {beats} beats");
        }
        Transition::WhipPan => text.push_str(", whip pan"),
    }
    text
}

/// The shot kind and its idols: `TwoShot seo+jiwoo`.
pub fn shot_name(shot: &Shot) -> String {
    match shot {
        Shot::CloseUp(id) => format!("CloseUp {id}"),
        Shot::UpperBody(id) => format!("UpperBody {id}"),
        Shot::FullBody(id) => format!("FullBody {id}"),
        Shot::Tracking(id) => format!("Tracking {id}"),
        Shot::TwoShot(a, b) => format!("TwoShot {a}+{b}"),
        Shot::Path(keys) => format!("Path ({} keys)", keys.len()),
        Shot::Motion(file) => format!("Motion ({file})"),
        other => format!("{other:?}"),
    }
}

/// Fills `(kind, start, end)` of `item` with shots cut on its bar lines.
fn auto_shots(
    shots: &mut Vec<PlannedShot>,
    rng: &mut StdRng,
    item: &Item,
    (kind, start, end): (Option<SectionKind>, f64, f64),
    last: bool,
) {
    let beat = item.grid.seconds_per_beat();
    let bar = beat * f64::from(item.grid.beats_per_bar);
    let bar_at = |seconds: f64| ((seconds - item.start) / bar).round() as i64 + 1;
    let push = |shots: &mut Vec<PlannedShot>, at: f64, until: f64, cue: ShotCue| {
        // No cut between two framings of the same thing: vary the one that repeats.
        let cue = match shots.last() {
            Some(previous) if previous.until >= at - 1e-6 && previous.cue.shot == cue.shot => {
                ShotCue::new(match &cue.shot {
                    Shot::Wide => Shot::Medium,
                    Shot::CloseUp(id) => Shot::UpperBody(id.clone()),
                    Shot::UpperBody(id) | Shot::FullBody(id) => Shot::CloseUp(id.clone()),
                    _ => Shot::Wide,
                })
            }
            _ => cue,
        };
        shots.push(PlannedShot {
            at,
            until,
            cue,
            auto: true,
            beat,
        });
    };
    let members: Vec<&str> = item
        .dances
        .iter()
        .flat_map(|dance| dance.idols.iter().map(String::as_str))
        .collect();
    let pick = |rng: &mut StdRng, ids: &[&str]| -> Option<String> {
        (!ids.is_empty()).then(|| ids[rng.random_range(0..ids.len())].to_owned())
    };
    match item.kind {
        ItemKind::Talk => {
            // Two-shots of the speakers in turn, every few seconds, then the group.
            let speakers: Vec<&str> = item.speakers.iter().map(String::as_str).collect();
            let step = 4.0_f64.max(bar);
            let mut at = start;
            let mut turn = 0;
            while at < end - 1e-6 {
                let until = (at + step).min(end);
                let shot = match speakers.len() {
                    0 => Shot::Medium,
                    1 => Shot::UpperBody(speakers[0].to_owned()),
                    n => Shot::TwoShot(
                        speakers[turn % n].to_owned(),
                        speakers[(turn + 1) % n].to_owned(),
                    ),
                };
                push(shots, at, until, ShotCue::new(shot));
                turn += 1;
                at = until;
            }
            return;
        }
        ItemKind::Intermission | ItemKind::Encore => {
            push(shots, start, end, ShotCue::new(Shot::Crowd));
            return;
        }
        ItemKind::Song => {}
    }
    // A song section: bars from its first to its last.
    let first = bar_at(start);
    let bars = ((end - start) / bar).round().max(1.0) as i64;
    let bar_time = |index: i64| (start + index as f64 * bar).min(end);
    // The line holders of each bar of the section.
    let holders = |index: i64| -> Vec<&str> {
        let number = (first + index) as u32;
        item.lines
            .iter()
            .filter(|line| line.bars.0 <= number && number <= line.bars.1)
            .flat_map(|line| line.idols.iter().map(String::as_str))
            .collect()
    };
    let mut index = 0;
    while index < bars {
        let singers = holders(index);
        // Shots last two bars (one for a short section's end), four for wide openers.
        let (length, cue) = match (kind, singers.as_slice()) {
            (Some(SectionKind::Outro), _) if last => (
                bars - index,
                ShotCue {
                    ease: Ease::Out,
                    ..ShotCue::new(Shot::DollyOut)
                },
            ),
            (Some(SectionKind::DanceBreak), _) => {
                let options = [0, 1, 2];
                let shot = match options[rng.random_range(0..options.len())] {
                    0 => pick(rng, &members).map_or(Shot::Orbit, Shot::Tracking),
                    1 => Shot::Orbit,
                    _ => Shot::LowAngle,
                };
                (2, ShotCue::new(shot))
            }
            (Some(SectionKind::Chorus), _) => {
                let shot = match index % 3 {
                    0 => Shot::Wide,
                    1 => Shot::Crane,
                    _ => Shot::Medium,
                };
                (2, ShotCue::new(shot))
            }
            (_, [one]) => {
                let shot = if rng.random_bool(0.6) {
                    Shot::CloseUp((*one).to_owned())
                } else {
                    Shot::UpperBody((*one).to_owned())
                };
                (2, ShotCue::new(shot))
            }
            (_, [a, b]) => (
                2,
                ShotCue::new(Shot::TwoShot((*a).to_owned(), (*b).to_owned())),
            ),
            (Some(SectionKind::Intro), _) if index == 0 => (
                bars.min(4),
                ShotCue {
                    side: if rng.random_bool(0.5) {
                        Side::Left
                    } else {
                        Side::Right
                    },
                    ..ShotCue::new(Shot::Crane)
                },
            ),
            (Some(SectionKind::PreChorus), _) => (2, ShotCue::new(Shot::DollyIn)),
            (Some(SectionKind::Bridge), _) => (
                2,
                ShotCue::new(pick(rng, &members).map_or(Shot::Medium, Shot::FullBody)),
            ),
            _ => {
                let shot = match rng.random_range(0..3) {
                    0 => Shot::Medium,
                    1 => Shot::Wide,
                    _ => Shot::Handheld,
                };
                (2, ShotCue::new(shot))
            }
        };
        // Never leave a lone bar at the end: the last shot takes it.
        let length = if bars - (index + length) == 1 {
            length + 1
        } else {
            length
        }
        .clamp(1, bars - index);
        let at = bar_time(index);
        let until = bar_time(index + length);
        push(shots, at, until, cue);
        index += length;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The demo with the camera cues of its second song removed, so the director shoots it.
    fn directed_demo() -> Setlist {
        let mut setlist = Setlist::built_in();
        let second = setlist
            .items
            .iter()
            .enumerate()
            .filter(|(_, item)| item.kind == ItemKind::Song)
            .nth(1)
            .map(|(index, _)| index)
            .expect("the demo has a second song");
        setlist
            .cues
            .retain(|cue| !(cue.item == second && matches!(cue.action, CueAction::Shot { .. })));
        setlist
    }

    #[test]
    fn setlist_cues_are_followed_and_gaps_directed_on_bar_lines() {
        let setlist = directed_demo();
        let plan = ShotPlan::new(&setlist);
        let explicit = setlist
            .cues
            .iter()
            .filter(|cue| matches!(cue.action, CueAction::Shot { .. }))
            .count();
        assert_eq!(
            plan.shots.iter().filter(|shot| !shot.auto).count(),
            explicit
        );
        let auto: Vec<&PlannedShot> = plan.shots.iter().filter(|shot| shot.auto).collect();
        assert!(
            auto.len() >= 8,
            "the second song is directed: {}",
            auto.len()
        );
        for pair in plan.shots.windows(2) {
            assert!(pair[0].until <= pair[1].at + 1e-9, "shots overlap");
            if pair[0].auto && pair[1].auto && pair[0].until >= pair[1].at - 1e-6 {
                assert_ne!(
                    pair[0].cue.shot, pair[1].cue.shot,
                    "a cut to the same framing"
                );
            }
        }
        for shot in &auto {
            let position = setlist.position_at(shot.at + 1e-6);
            let item = &setlist.items[position.item];
            if item.kind == ItemKind::Song {
                let bar = shot.beat * f64::from(item.grid.beats_per_bar);
                let bars = (shot.at - item.start) / bar;
                assert!((bars - bars.round()).abs() < 1e-6, "cut off the bar line");
                assert!(
                    shot.until - shot.at >= bar - 1e-6,
                    "a shot shorter than a bar"
                );
            }
        }
        // A line held by one member gets her close-up somewhere in the song.
        assert!(
            auto.iter()
                .any(|shot| matches!(&shot.cue.shot, Shot::CloseUp(_) | Shot::UpperBody(_)))
        );
    }

    #[test]
    fn same_seed_same_shots_and_another_seed_others() {
        let setlist = directed_demo();
        assert_eq!(ShotPlan::new(&setlist), ShotPlan::new(&setlist));
        let mut other = setlist.clone();
        other.seed += 1;
        assert_ne!(ShotPlan::new(&setlist), ShotPlan::new(&other));
    }
}

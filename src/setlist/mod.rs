//! The setlist: the RON document that describes a concert. It is read and checked into the
//! [`Setlist`] resource before the show starts, watched while it plays (a valid save replaces
//! it and keeps the playhead; an invalid one keeps the last good setlist and shows the
//! errors), and drives the clock's beat grid, the transport and the cues.
//!
//! - `time`: seconds or musical positions, resolved through a song's beat grid.
//! - `raw`: serde types mirroring the file.
//! - `locate`, `diagnostics`: where problems are, printed like a compiler.
//! - `validate`: raw to [`Setlist`], collecting every problem at once.
//! - `model`: the checked setlist and its time queries.
//! - `cues`: firing cues exactly once as the playhead moves.

pub use encore_show::setlist::*;

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
};

use bevy::{
    prelude::*,
    tasks::{AsyncComputeTaskPool, Task, futures::check_ready},
};

use crate::{
    AppSystems,
    clock::{ConcertClock, TransportAction, advance_concert_clock},
};

pub(crate) fn plugin(app: &mut App) {
    if !app.world().contains_resource::<ShowSetlist>() {
        app.insert_resource(ShowSetlist(Setlist::built_in()));
    }
    app.init_resource::<SetlistProblems>();
    app.init_resource::<FiredCues>();
    app.add_message::<CueFired>();
    app.add_message::<TransportAction>();
    app.add_systems(
        Update,
        (
            watch_setlist_file
                .run_if(resource_exists::<SetlistFile>)
                .in_set(AppSystems::Reload),
            (
                apply_transport.before(advance_concert_clock),
                follow_setlist_grid.after(advance_concert_clock),
            )
                .in_set(AppSystems::Clock),
            fire_cues.in_set(AppSystems::Cues),
        ),
    );
}

/// The setlist playing: the checked [`Setlist`] as the app's resource.
#[derive(Resource, Debug, Clone, PartialEq, Deref, DerefMut)]
pub struct ShowSetlist(pub Setlist);

/// The file the setlist was read from, watched for changes while the show plays.
#[derive(Resource, Debug)]
pub struct SetlistFile {
    /// Path as the user gave it.
    pub path: PathBuf,
    /// The text last read (valid or not), to notice saves.
    last_text: String,
    /// When to look at the file next.
    poll: Timer,
    /// What the setlist's files hold, kept between checks so a save re-reads only the files
    /// that changed; saving one of them (a motion, a song, a model) reloads the show too.
    files: Arc<Mutex<FileCache>>,
    /// The check of the last save, running off the main thread.
    checking: Option<Task<(Option<Setlist>, Report)>>,
}

/// How often the setlist file is looked at, seconds. Reading a few kilobytes four times a
/// second costs nothing and catches every kind of save (in place, atomic rename, network
/// drive), which file-change notifications do not.
const POLL_SECONDS: f32 = 0.25;

impl SetlistFile {
    /// Watches `path`, whose current text is `text`, with what its first check read.
    pub fn new(path: PathBuf, text: String, files: FileCache) -> Self {
        Self {
            path,
            last_text: text,
            poll: Timer::from_seconds(POLL_SECONDS, TimerMode::Repeating),
            files: Arc::new(Mutex::new(files)),
            checking: None,
        }
    }

    /// Whether a save is being checked right now.
    pub fn is_checking(&self) -> bool {
        self.checking.is_some()
    }

    /// Starts checking `text` off the main thread.
    fn start_check(&mut self, text: String) {
        let (path, files) = (self.path.clone(), Arc::clone(&self.files));
        self.checking = Some(AsyncComputeTaskPool::get().spawn(async move {
            // A check that panicked poisons the lock; the cache is still only data.
            let mut files = files
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let checked = check_with(&path, &text, &mut files);
            files.settle();
            checked
        }));
    }

    /// Whether a file the setlist uses was saved since the last check.
    fn files_changed(&self) -> bool {
        let files = self.files.lock();
        files
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .changed()
    }
}

/// The problems of the last save that could not be applied; empty while the file is good.
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub struct SetlistProblems {
    /// `file:line:col: error: message` lines.
    pub lines: Vec<String>,
}

/// A cue the playhead just crossed in playback.
#[derive(Message, Debug, Clone, PartialEq)]
pub struct CueFired(pub Cue);

/// The cursor that decides which cues fire.
#[derive(Resource, Debug, Default)]
struct FiredCues(cues::CueCursor);

fn watch_setlist_file(
    time: Res<Time<Real>>,
    mut file: ResMut<SetlistFile>,
    mut setlist: ResMut<ShowSetlist>,
    mut problems: ResMut<SetlistProblems>,
    mut clock: ResMut<ConcertClock>,
) {
    if let Some(task) = file.checking.as_mut() {
        let Some((checked, report)) = check_ready(task) else {
            return;
        };
        file.checking = None;
        apply_check(
            &mut file,
            &mut setlist,
            &mut problems,
            &mut clock,
            checked,
            report,
        );
        return;
    }
    if !file.poll.tick(time.delta()).just_finished() {
        return;
    }
    let Ok(text) = std::fs::read_to_string(&file.path) else {
        // Editors briefly remove the file while saving; the next poll sees the new one.
        return;
    };
    if text == file.last_text && !file.files_changed() {
        return;
    }
    file.last_text = text.clone();
    file.start_check(text);
}

/// Applies a finished check of the saved setlist: a good one replaces the playing setlist at
/// the same place in the show, a broken one is listed and the last good one plays on.
fn apply_check(
    file: &mut SetlistFile,
    setlist: &mut ResMut<ShowSetlist>,
    problems: &mut ResMut<SetlistProblems>,
    clock: &mut ResMut<ConcertClock>,
    checked: Option<Setlist>,
    report: Report,
) {
    match checked {
        Some(new) => {
            let seconds = new.carry_playhead(setlist, clock.seconds);
            clock.seek(seconds);
            setlist.0 = new;
            problems.lines.clear();
            if report.diagnostics.is_empty() {
                info!("{}: reloaded", file.path.display());
            } else {
                warn!("{}: reloaded\n{report}", file.path.display());
            }
        }
        None => {
            problems.lines = report
                .short_lines()
                .into_iter()
                .filter(|line| line.contains(": error: "))
                .collect();
            warn!(
                "{}: not applied, the last good version keeps playing\n{report}",
                file.path.display()
            );
        }
    }
}

fn apply_transport(
    mut actions: MessageReader<TransportAction>,
    setlist: Res<ShowSetlist>,
    mut clock: ResMut<ConcertClock>,
) {
    for action in actions.read() {
        action.apply(&mut clock, &setlist);
    }
}

/// Sets the clock's beat grid to the item under the playhead, and stops at the end.
fn follow_setlist_grid(setlist: Res<ShowSetlist>, mut clock: ResMut<ConcertClock>) {
    let end = setlist.duration();
    if clock.seconds >= end && clock.playing && end > 0.0 {
        clock.seconds = end;
        clock.playing = false;
    }
    setlist.set_grid(&mut clock);
}

fn fire_cues(
    setlist: Res<ShowSetlist>,
    mut clock: ResMut<ConcertClock>,
    mut cursor: ResMut<FiredCues>,
    mut fired: MessageWriter<CueFired>,
) {
    if clock.take_jump() {
        cursor.0.seek(clock.seconds);
        return;
    }
    for index in cursor.0.play(&setlist.cues, clock.seconds) {
        trace!("cue at {:.3} s fired", setlist.cues[index].at);
        fired.write(CueFired(setlist.cues[index].clone()));
    }
}

impl TransportAction {
    /// Applies the action to the clock, using the setlist's items for previous/next.
    pub fn apply(self, clock: &mut ConcertClock, setlist: &Setlist) {
        let clock: &mut encore_show::clock::ConcertClock = clock;
        let end = setlist.duration();
        match self {
            Self::TogglePlay => {
                if !clock.playing && clock.seconds >= end {
                    clock.seek(0.0);
                }
                clock.playing = !clock.playing;
            }
            Self::SeekBy(delta) => clock.seek((clock.seconds + delta).clamp(0.0, end)),
            Self::SeekTo(seconds) => clock.seek(seconds.clamp(0.0, end)),
            Self::Restart => clock.seek(0.0),
            Self::Previous => {
                let index = setlist.item_index_at(clock.seconds);
                let start = setlist.items[index].start;
                // Like a music player: back to the start of this item, or to the previous
                // one when already near the start.
                let target = if clock.seconds - start > 2.0 || index == 0 {
                    start
                } else {
                    setlist.items[index - 1].start
                };
                clock.seek(target);
            }
            Self::Next => {
                let index = setlist.item_index_at(clock.seconds);
                let target = setlist.items.get(index + 1).map_or(end, |item| item.start);
                clock.seek(target);
            }
            Self::SetSpeed(speed) => clock.speed = speed.clamp(0.25, 2.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    /// Runs long enough for a poll of the setlist file, then until its check has landed.
    fn settle(app: &mut App) {
        testing::step(app, 20);
        for _ in 0..2_000 {
            if !app.world().resource::<SetlistFile>().is_checking() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
            app.update();
        }
        panic!("the setlist check did not finish in 2 s");
    }

    fn show(title: &str, first_song_bars: u32) -> String {
        format!(
            r##"Concert(title: "{title}", cast: [(id: "a", name: "A", colour: "#ff0000")],
                program: [
                    Song(title: "One", bpm: 120, length: "bar {first_song_bars}"),
                    Song(title: "Two", bpm: 90, length: 60.0),
                ])"##
        )
    }

    #[test]
    fn saving_the_file_applies_it_and_a_broken_save_keeps_the_last_good_one() {
        let folder = std::env::temp_dir().join(format!("encore-reload-{}", std::process::id()));
        std::fs::create_dir_all(&folder).expect("temp dir is writable");
        let path = folder.join("show.ron");
        std::fs::write(&path, show("First", 9)).expect("temp file is writable");
        let mut files = FileCache::default();
        let (setlist, report) = check_file_with(&path, &mut files);
        let mut app = testing::app();
        app.insert_resource(ShowSetlist(setlist.expect("the test show is valid")));
        app.insert_resource(SetlistFile::new(path.clone(), report.source, files));
        testing::step(&mut app, 2);
        // Into the second song: 16 s of song one, then 3 s.
        app.world_mut().write_message(TransportAction::SeekTo(19.0));
        testing::step(&mut app, 1);
        let clock = |app: &App| app.world().resource::<ConcertClock>().seconds;
        assert!((clock(&app) - 19.0).abs() < 0.05, "{}", clock(&app));

        // Song one grows by 8 bars: the playhead stays 3 s into song two.
        std::fs::write(&path, show("Second", 17)).expect("temp file is writable");
        settle(&mut app);
        let setlist = app.world().resource::<ShowSetlist>();
        assert_eq!(setlist.title, "Second");
        let position = setlist.position_at(clock(&app));
        assert_eq!(position.item, 1);
        assert!((position.item_seconds - 3.0).abs() < 0.4, "{position:?}");
        assert!(app.world().resource::<SetlistProblems>().lines.is_empty());

        // A broken save: the show goes on with "Second", the panel lists the problem.
        std::fs::write(&path, show("Third", 17).replace("bpm: 90", "bpm: 0")).expect("writable");
        settle(&mut app);
        assert_eq!(app.world().resource::<ShowSetlist>().title, "Second");
        let problems = &app.world().resource::<SetlistProblems>().lines;
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("show.ron:4:") && problems[0].contains("bpm 0 is not a tempo"),
            "{problems:?}"
        );

        // Fixed: applied, and the panel clears itself.
        std::fs::write(&path, show("Third", 17)).expect("writable");
        settle(&mut app);
        assert_eq!(app.world().resource::<ShowSetlist>().title, "Third");
        assert!(app.world().resource::<SetlistProblems>().lines.is_empty());
        let _ = std::fs::remove_dir_all(&folder);
    }

    #[test]
    fn saving_a_motion_file_reloads_the_show() {
        use crate::motion::vmd;
        let folder =
            std::env::temp_dir().join(format!("encore-motion-reload-{}", std::process::id()));
        std::fs::create_dir_all(&folder).expect("temp dir is writable");
        let dance = |frames: u32| {
            let key = |frame| vmd::BoneKey {
                frame,
                position: Vec3::ZERO,
                rotation: Quat::from_rotation_z(0.5),
                curves: [vmd::Bezier::LINEAR; 4],
            };
            vmd::write("m", &[("左腕", key(0)), ("左腕", key(frames))], &[])
        };
        std::fs::write(folder.join("dance.vmd"), dance(30)).expect("writable");
        let path = folder.join("show.ron");
        std::fs::write(
            &path,
            r##"Concert(title: "M", cast: [(id: "a", name: "A", colour: "#ff0000")],
                program: [Song(title: "One", bpm: 120, length: "bar 9",
                    dance: [(bars: (1, 8), move: Motion("dance.vmd"))])])"##,
        )
        .expect("writable");
        let mut files = FileCache::default();
        let (setlist, report) = check_file_with(&path, &mut files);
        let mut app = testing::app();
        app.insert_resource(ShowSetlist(setlist.expect("the test show is valid")));
        app.insert_resource(SetlistFile::new(path.clone(), report.source, files));
        let length = |app: &App| {
            let setlist = app.world().resource::<ShowSetlist>();
            setlist.items[0].dances[0]
                .motion
                .as_ref()
                .map(|played| played.motion.duration)
        };
        settle(&mut app);
        assert_eq!(length(&app), Some(1.0));
        // The dance file is saved again, longer (and a few bytes bigger, so the save shows
        // even where file times are coarse): the show takes it without a setlist save.
        let mut longer = dance(90);
        longer.extend_from_slice(&[0; 4]);
        std::fs::write(folder.join("dance.vmd"), longer).expect("writable");
        settle(&mut app);
        assert_eq!(length(&app), Some(3.0));
        let _ = std::fs::remove_dir_all(&folder);
    }

    #[test]
    fn transport_moves_between_items() {
        let setlist = Setlist::built_in();
        let mut clock = ConcertClock::default();
        let second = setlist.items[1].start;
        TransportAction::Next.apply(&mut clock, &setlist);
        assert_eq!(clock.seconds, second);
        assert!(clock.take_jump(), "a jump fires no cues");
        // Near the start of an item, Previous goes to the item before...
        clock.seconds = second + 1.0;
        TransportAction::Previous.apply(&mut clock, &setlist);
        assert_eq!(clock.seconds, 0.0);
        // ...further in, to the start of this one.
        clock.seconds = second + 10.0;
        TransportAction::Previous.apply(&mut clock, &setlist);
        assert_eq!(clock.seconds, second);
        TransportAction::SeekBy(-500.0).apply(&mut clock, &setlist);
        assert_eq!(clock.seconds, 0.0);
        TransportAction::SeekBy(5.0).apply(&mut clock, &setlist);
        assert_eq!(clock.seconds, 5.0);
        TransportAction::SetSpeed(9.0).apply(&mut clock, &setlist);
        assert_eq!(clock.speed, 2.0);
        // Play at the end starts over.
        clock.seconds = setlist.duration();
        clock.playing = false;
        TransportAction::TogglePlay.apply(&mut clock, &setlist);
        assert!(clock.playing);
        assert_eq!(clock.seconds, 0.0);
    }

    #[test]
    fn the_clock_follows_each_items_beat_grid_and_stops_at_the_end() {
        let mut app = testing::app();
        let setlist = app.world().resource::<ShowSetlist>().clone();
        let second_song = &setlist.items[2];
        app.world_mut()
            .write_message(TransportAction::SeekTo(second_song.start + 0.01));
        testing::step(&mut app, 1);
        let clock = app.world().resource::<ConcertClock>();
        assert_eq!(clock.bpm, 96.0);
        assert!(clock.beats() < 0.1, "beats count from the song's bar 1");
        app.world_mut()
            .write_message(TransportAction::SeekTo(setlist.duration() - 0.01));
        testing::step(&mut app, 5);
        let clock = app.world().resource::<ConcertClock>();
        assert!(!clock.playing);
        assert_eq!(clock.seconds, setlist.duration());
    }

    #[test]
    fn cues_fire_once_in_the_app_and_not_on_seeks() {
        #[derive(Resource, Default)]
        struct Fired(usize);
        let mut app = testing::app();
        app.init_resource::<Fired>();
        app.add_systems(
            Update,
            (|mut reader: MessageReader<CueFired>, mut count: ResMut<Fired>| {
                count.0 += reader.read().count();
            })
            .after(AppSystems::Cues),
        );
        let fired = |app: &mut App| std::mem::take(&mut app.world_mut().resource_mut::<Fired>().0);
        testing::step(&mut app, 1);
        let at_start = fired(&mut app);
        let setlist = app.world().resource::<ShowSetlist>().clone();
        assert_eq!(
            at_start,
            setlist.cues_until(0.0),
            "cues at 0 s fire on the first frame"
        );
        // Play 2 s, then jump over the rest of song one: nothing fires for the jump.
        testing::step(&mut app, 120);
        let played = fired(&mut app);
        assert_eq!(at_start + played, setlist.cues_until(2.0 + 1e-9));
        app.world_mut()
            .write_message(TransportAction::SeekTo(setlist.items[1].start - 0.001));
        testing::step(&mut app, 1);
        assert_eq!(fired(&mut app), 0);
    }
}

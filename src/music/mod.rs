//! The concert's mix played in the window, as the show's master clock.
//!
//! The mix is rendered in the background (again when a saved setlist changes what is heard)
//! and played as one endless stream from a [`Deck`] the audio thread reads: the player never
//! waits on the audio thread, so a sound card that stalls or vanishes cannot freeze the show.
//! Each frame the concert clock moves on by real time and then leans a quarter of the way
//! towards the music's position ([`follow_audio`]); a seek, a jump or a stall of more than
//! [`MAX_DRIFT`] moves the music to the clock instead. Without a sound device the show plays
//! on its own clock, silently, after one notice.
//!
//! The synthesizer, the decoders and the mix itself are plain Rust in `encore_show::music`,
//! re-exported here.

pub use encore_show::music::{
    Mix, concert_frames, concert_mix, decode, mix_between, song_root, synth, write_wav,
};

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering},
};

use bevy::{
    prelude::*,
    tasks::{AsyncComputeTaskPool, Task, futures::check_ready},
};

use crate::setlist::ShowSetlist;
use encore_show::music::synth::SAMPLE_RATE;
use rodio::Source;

use crate::{
    AppSystems,
    clock::{ConcertClock, advance_concert_clock},
    setlist::{CueAction, Setlist},
};

pub(crate) fn plugin(app: &mut App) {
    app.init_resource::<AudioSettings>();
    app.add_systems(PreStartup, open_sound_device);
    app.add_systems(
        Update,
        (mute_key, render_mix, follow_music)
            .chain()
            .in_set(AppSystems::Clock)
            .after(advance_concert_clock),
    );
    app.add_systems(Last, report_drift_on_exit);
}

/// The clock and the music may differ by this much before the music is moved to the clock
/// (a seek, a jump on the timeline, an audio stall) rather than the clock eased towards it.
pub const MAX_DRIFT: f64 = 0.25;

/// Share of the drift the clock takes back each frame.
const FOLLOW_RATE: f64 = 0.25;

/// What [`follow_audio`] decided for this frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Follow {
    /// Show this concert time: the clock eased towards the music, never backwards.
    Clock(f64),
    /// The two are too far apart: move the music to the clock.
    Seek,
}

/// The clock's next value, given its value last frame (`previous`), where real time moved it
/// this frame (`advanced`) and where the music is (`audio`), all in concert seconds.
///
/// The audio position comes in steps (the sound card takes samples in blocks), so the clock
/// does not jump to it: it takes back a quarter of the difference each frame, which smooths
/// the steps and still settles within a few frames. It never goes back in time: a paused or
/// late stream holds the picture still instead of rewinding it.
pub fn follow_audio(previous: f64, advanced: f64, audio: f64) -> Follow {
    let drift = audio - advanced;
    if drift.abs() > MAX_DRIFT {
        return Follow::Seek;
    }
    Follow::Clock((advanced + drift * FOLLOW_RATE).max(previous))
}

/// Volume and mute, from the command line, the transport bar and the M key.
#[derive(Resource, Debug, Clone, Copy, PartialEq)]
pub struct AudioSettings {
    /// 0 (silent) to 1 (full).
    pub volume: f32,
    /// Silence without losing the volume.
    pub muted: bool,
    /// Whether a sound device is open (set by the player).
    pub device: bool,
}

impl Default for AudioSettings {
    fn default() -> Self {
        Self {
            volume: 0.8,
            muted: false,
            device: false,
        }
    }
}

/// A value the audio thread reads or writes for every sample frame, without locks.
#[derive(Debug, Default)]
struct AtomicF64(AtomicU64);

impl AtomicF64 {
    fn new(value: f64) -> Self {
        Self(AtomicU64::new(value.to_bits()))
    }

    fn load(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Acquire))
    }

    fn store(&self, value: f64) {
        self.0.store(value.to_bits(), Ordering::Release);
    }

    fn take(&self) -> f64 {
        f64::from_bits(self.0.swap(f64::NAN.to_bits(), Ordering::AcqRel))
    }
}

/// What the show and the audio thread share: the mix, where the audio thread is in it, and
/// what the show asks of it (play, speed, volume, a seek).
#[derive(Debug)]
pub struct Deck {
    mix: Mutex<Arc<[f32]>>,
    /// Bumped when the mix is replaced, so the audio thread only locks when there is news.
    generation: AtomicU32,
    /// Frames into the mix (fractional when the speed is not 1).
    position: AtomicF64,
    /// A frame to jump to, NaN when none is waiting.
    seek: AtomicF64,
    playing: AtomicBool,
    speed: AtomicF64,
    volume: AtomicF64,
}

impl Default for Deck {
    fn default() -> Self {
        Self {
            mix: Mutex::new(Arc::from(Vec::new())),
            generation: AtomicU32::new(0),
            position: AtomicF64::new(0.0),
            seek: AtomicF64::new(f64::NAN),
            playing: AtomicBool::new(false),
            speed: AtomicF64::new(1.0),
            volume: AtomicF64::new(1.0),
        }
    }
}

impl Deck {
    /// Replaces the mix; the position stays where it is.
    pub fn load(&self, samples: Vec<f32>) {
        if let Ok(mut mix) = self.mix.lock() {
            *mix = Arc::from(samples);
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Concert seconds the audio thread has reached.
    pub fn seconds(&self) -> f64 {
        self.position.load() / f64::from(SAMPLE_RATE)
    }

    /// Asks the audio thread to continue from `seconds`.
    pub fn seek(&self, seconds: f64) {
        self.seek.store(seconds.max(0.0) * f64::from(SAMPLE_RATE));
    }

    /// Whether a seek is still waiting for the audio thread.
    pub fn seeking(&self) -> bool {
        !self.seek.load().is_nan()
    }

    /// Play or hold still.
    pub fn set_playing(&self, playing: bool) {
        self.playing.store(playing, Ordering::Release);
    }

    /// Playback speed (the pitch moves with it, like a turntable).
    pub fn set_speed(&self, speed: f64) {
        self.speed.store(speed);
    }

    /// Output gain, 0 to 1.
    pub fn set_volume(&self, volume: f32) {
        self.volume.store(f64::from(volume));
    }

    /// The endless stream the sound card plays.
    pub fn source(self: &Arc<Self>) -> DeckSource {
        DeckSource {
            deck: self.clone(),
            mix: Arc::from(Vec::new()),
            generation: u32::MAX,
            right: None,
        }
    }
}

/// The deck as a rodio source: stereo at the mix's rate, silence where there is no mix.
#[derive(Debug)]
pub struct DeckSource {
    deck: Arc<Deck>,
    mix: Arc<[f32]>,
    generation: u32,
    /// The right sample of the frame whose left sample was just given.
    right: Option<f32>,
}

impl DeckSource {
    /// The next stereo frame, moving the position on when playing.
    fn frame(&mut self) -> [f32; 2] {
        let generation = self.deck.generation.load(Ordering::Acquire);
        if generation != self.generation
            && let Ok(mix) = self.deck.mix.try_lock()
        {
            self.mix = mix.clone();
            self.generation = generation;
        }
        let sought = self.deck.seek.take();
        let mut position = if sought.is_nan() {
            self.deck.position.load()
        } else {
            sought
        };
        let mut frame = [0.0; 2];
        if self.deck.playing.load(Ordering::Acquire) {
            let before = position.floor();
            let blend = (position - before) as f32;
            let at = before as usize * 2;
            let volume = self.deck.volume.load() as f32;
            for (channel, value) in frame.iter_mut().enumerate() {
                let a = self.mix.get(at + channel).copied().unwrap_or(0.0);
                let b = self.mix.get(at + 2 + channel).copied().unwrap_or(a);
                *value = (a + (b - a) * blend) * volume;
            }
            position += self.deck.speed.load().clamp(0.0, 4.0);
        }
        self.deck.position.store(position);
        frame
    }
}

impl Iterator for DeckSource {
    type Item = f32;

    fn next(&mut self) -> Option<f32> {
        if let Some(right) = self.right.take() {
            return Some(right);
        }
        let [left, right] = self.frame();
        self.right = Some(right);
        Some(left)
    }
}

impl Source for DeckSource {
    fn current_span_len(&self) -> Option<usize> {
        None
    }

    fn channels(&self) -> rodio::ChannelCount {
        rodio::ChannelCount::new(2).expect("two is not zero")
    }

    fn sample_rate(&self) -> rodio::SampleRate {
        rodio::SampleRate::new(SAMPLE_RATE).expect("the mix rate is not zero")
    }

    fn total_duration(&self) -> Option<std::time::Duration> {
        None
    }
}

/// The open sound device; dropping it closes the stream.
struct SoundDevice(#[expect(dead_code, reason = "held open, never read")] rodio::MixerDeviceSink);

/// The music's state in the player.
#[derive(Resource)]
struct Music {
    deck: Arc<Deck>,
    /// What the loaded mix was rendered from.
    loaded: Option<u64>,
    /// A mix being rendered, and what from.
    rendering: Option<(u64, Task<Mix>)>,
    follower: Follower,
    /// Set by the stream's error callback; the show goes on silently after one notice.
    failed: Arc<AtomicBool>,
}

/// The clock's side of following the music, frame by frame.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Follower {
    /// The clock's value after last frame.
    previous: f64,
    /// The largest difference between clock and music after a frame, seconds.
    pub worst_drift: f64,
    /// The sum of those differences, for the mean.
    drift_sum: f64,
    /// Frames and concert seconds spent following (not seeking, not paused).
    pub frames: u64,
    /// Concert seconds spent following.
    pub followed: f64,
    /// Frames in a row the music had to be moved: a device that does not play in real time.
    seeks_in_a_row: u32,
}

impl Follower {
    /// Starts following from `seconds` (the music is moved there).
    pub fn start(&mut self, deck: &Deck, seconds: f64) {
        deck.seek(seconds);
        self.previous = seconds;
    }

    /// One frame: the clock is at `seconds` after real time moved it; returns where it should
    /// be, and moves, plays or holds the music to match.
    pub fn step(&mut self, deck: &Deck, seconds: f64, playing: bool) -> f64 {
        deck.set_playing(playing);
        if deck.seeking() {
            // The audio thread has not taken the last seek yet: its position is stale.
            self.previous = seconds;
            return seconds;
        }
        let audio = deck.seconds();
        if !playing {
            if (audio - seconds).abs() > 1e-3 {
                deck.seek(seconds);
            }
            self.previous = seconds;
            return seconds;
        }
        let next = match follow_audio(self.previous, seconds, audio) {
            Follow::Clock(next) => {
                self.seeks_in_a_row = 0;
                let drift = (audio - next).abs();
                self.worst_drift = self.worst_drift.max(drift);
                self.drift_sum += drift;
                self.frames += 1;
                self.followed += (next - self.previous).max(0.0);
                next
            }
            Follow::Seek => {
                debug!(
                    "audio: the music moves to {} (it was at {})",
                    crate::format_clock(seconds),
                    crate::format_clock(audio)
                );
                deck.seek(seconds);
                self.seeks_in_a_row += 1;
                seconds
            }
        };
        self.previous = next;
        next
    }

    /// Whether the music has had to be moved every frame for a while.
    pub fn runaway(&self) -> bool {
        self.seeks_in_a_row > RUNAWAY_SEEKS
    }

    /// The mean difference between clock and music over the frames followed, seconds.
    pub fn mean_drift(&self) -> f64 {
        self.drift_sum / self.frames.max(1) as f64
    }
}

/// Frames of moving the music in a row after which the device is given up on (a seek settles
/// in a frame or two on a real sound card).
const RUNAWAY_SEEKS: u32 = 30;

fn open_sound_device(world: &mut World) {
    let failed = Arc::new(AtomicBool::new(false));
    let on_error = {
        let failed = failed.clone();
        move |error: rodio::cpal::StreamError| {
            if !failed.swap(true, Ordering::AcqRel) {
                warn!(
                    "audio: the sound device stopped ({error}); the show goes on silently on its \
                     own clock"
                );
            }
        }
    };
    // alsa-lib writes its reasons for not finding a card straight to stderr, several lines of
    // them; on this thread they go to a buffer instead, and the one notice below says it all.
    #[cfg(target_os = "linux")]
    let alsa_said = alsa::Output::local_error_handler().ok();
    let opened = rodio::DeviceSinkBuilder::from_default_device()
        .map(|builder| builder.with_error_callback(on_error))
        .and_then(|builder| builder.open_sink_or_fallback());
    match opened {
        Ok(mut sink) => {
            sink.log_on_drop(false);
            let deck = Arc::new(Deck::default());
            sink.mixer().add(deck.source());
            info!("audio: playing through {}", describe(sink.config()));
            world.resource_mut::<AudioSettings>().device = true;
            world.insert_non_send(SoundDevice(sink));
            world.insert_resource(Music {
                deck,
                loaded: None,
                rendering: None,
                follower: Follower::default(),
                failed,
            });
        }
        Err(error) => {
            info!(
                "audio: no sound device ({error}); the show plays on its own clock, without sound"
            );
            #[cfg(target_os = "linux")]
            if let Some(said) = alsa_said {
                debug!("audio: ALSA said: {}", said.borrow());
            }
        }
    }
}

fn describe(config: &rodio::stream::DeviceSinkConfig) -> String {
    format!(
        "the default sound device ({} Hz, {} channels)",
        config.sample_rate(),
        config.channel_count()
    )
}

fn mute_key(keys: Option<Res<ButtonInput<KeyCode>>>, mut settings: ResMut<AudioSettings>) {
    if keys.is_some_and(|keys| keys.just_pressed(KeyCode::KeyM)) {
        settings.muted = !settings.muted;
        info!(
            "audio: {}",
            if settings.muted {
                "muted (M to hear it again)"
            } else {
                "sound on"
            }
        );
    }
}

/// What the mix is rendered from: the program (times, files, tempo, sections), the effect
/// cues that bring cheers, and the seed. Light or camera edits leave it alone.
pub fn mix_key(setlist: &Setlist) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    format!("{:?}", setlist.items).hash(&mut hasher);
    setlist.seed.hash(&mut hasher);
    for cue in &setlist.cues {
        if matches!(cue.action, CueAction::Effect(_)) {
            cue.at.to_bits().hash(&mut hasher);
        }
    }
    hasher.finish()
}

/// Renders the mix in the background at start and when the music changes, and loads it.
fn render_mix(setlist: Res<ShowSetlist>, clock: Res<ConcertClock>, music: Option<ResMut<Music>>) {
    let Some(mut music) = music.filter(|music| !music.failed.load(Ordering::Acquire)) else {
        return;
    };
    if let Some((key, task)) = &mut music.rendering
        && let Some(mix) = check_ready(task)
    {
        let key = *key;
        music.rendering = None;
        for problem in &mix.problems {
            warn!("audio: {problem}");
        }
        info!(
            "audio: the concert's mix is ready ({} of sound)",
            crate::format_clock(mix.samples.len() as f64 / 2.0 / f64::from(SAMPLE_RATE))
        );
        if music.loaded.is_none() {
            let deck = music.deck.clone();
            music.follower.start(&deck, clock.seconds);
        }
        music.deck.load(mix.samples);
        music.loaded = Some(key);
    }
    // The key hashes the whole program: only worth computing when the setlist changed.
    if !setlist.is_changed() {
        return;
    }
    let key = mix_key(&setlist);
    let wanted = music.loaded != Some(key)
        && music
            .rendering
            .as_ref()
            .is_none_or(|(pending, _)| *pending != key);
    if wanted {
        let setlist = setlist.clone();
        let task = AsyncComputeTaskPool::get().spawn(async move { concert_mix(&setlist) });
        music.rendering = Some((key, task));
    }
}

/// Plays, pauses, seeks and sets the speed of the music to match the clock, and eases the
/// clock towards the music while both play.
fn follow_music(
    settings: Res<AudioSettings>,
    mut clock: ResMut<ConcertClock>,
    music: Option<ResMut<Music>>,
) {
    let Some(mut music) = music else {
        return;
    };
    let deck = music.deck.clone();
    deck.set_volume(if settings.muted {
        0.0
    } else {
        settings.volume.clamp(0.0, 1.0)
    });
    deck.set_speed(clock.speed);
    if music.loaded.is_none() || music.failed.load(Ordering::Acquire) {
        return;
    }
    clock.seconds = music.follower.step(&deck, clock.seconds, clock.playing);
    if music.follower.runaway() {
        warn!(
            "audio: the sound device does not play in real time (the music keeps running away \
             from the show); the show goes on silently on its own clock"
        );
        deck.set_playing(false);
        music.failed.store(true, Ordering::Release);
    }
}

fn report_drift_on_exit(exits: MessageReader<AppExit>, music: Option<Res<Music>>) {
    if exits.is_empty() {
        return;
    }
    if let Some(music) = music.filter(|music| music.follower.followed > 1.0) {
        let follower = &music.follower;
        info!(
            "audio: over {} the clock stayed within {:.1} ms of the music, {:.1} ms on average \
             (one 60 fps frame is 16.7 ms)",
            crate::format_clock(follower.followed),
            follower.worst_drift * 1000.0,
            follower.mean_drift() * 1000.0
        );
    }
}

/// The clock following a simulated sound card for `seconds` of music: the card takes blocks
/// of 10 ms from the deck whenever it runs low, waking with jitter; the show runs 60 fps
/// frames of jittery length, with a hitch now and then, and the player's own follow logic.
/// Optionally the viewer pauses for two seconds at `pause_at` and seeks at `seek_at` (wall
/// time, concert time). Returns the follower with its drift figures; `simulate` asserts the
/// clock never goes back.
pub fn simulate_follow(
    seconds: f64,
    pause_at: Option<f64>,
    seek_at: Option<(f64, f64)>,
    seed: u64,
) -> Follower {
    use rand::{Rng, SeedableRng, rngs::StdRng};
    let deck = Arc::new(Deck::default());
    let rate = f64::from(SAMPLE_RATE);
    deck.load(vec![0.0; (seconds * rate) as usize * 2 + 96_000]);
    let mut source = deck.source();
    let mut rng = StdRng::seed_from_u64(seed);
    let block = 480usize;
    let (mut wall, mut card_wall) = (0.0f64, 0.0f64);
    let mut follower = Follower::default();
    follower.start(&deck, 0.0);
    let mut clock = 0.0;
    let mut sought = false;
    while wall < seconds {
        let hitch = if rng.random_bool(0.01) { 0.05 } else { 0.0 };
        let frame = 1.0 / 60.0 + rng.random_range(-0.004..0.004) + hitch;
        wall += frame;
        // The card takes blocks until it is ahead of the wall clock.
        while card_wall < wall {
            for _ in 0..block * 2 {
                source.next();
            }
            card_wall += block as f64 / rate + rng.random_range(-0.0005..0.0005);
        }
        let playing = !pause_at.is_some_and(|at| (at..at + 2.0).contains(&wall));
        let mut advanced = if playing { clock + frame } else { clock };
        if let Some((at, to)) = seek_at
            && !sought
            && wall >= at
        {
            advanced = to;
            sought = true;
        }
        let next = follower.step(&deck, advanced, playing);
        assert!(next >= clock, "the clock went back");
        clock = next;
    }
    follower
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_stays_within_a_frame_of_the_music_for_five_minutes() {
        let follower = simulate_follow(300.0, None, None, 9);
        let worst = follower.worst_drift;
        assert!(worst < 1.0 / 60.0, "worst drift {:.2} ms", worst * 1000.0);
        assert!(follower.followed > 290.0, "{}", follower.followed);
    }

    #[test]
    fn pause_and_seek_keep_clock_and_music_together() {
        let follower = simulate_follow(30.0, Some(10.0), Some((20.0, 95.0)), 9);
        let worst = follower.worst_drift;
        assert!(worst < 1.0 / 60.0, "worst drift {:.2} ms", worst * 1000.0);
        // Paused for two seconds, then on after the seek: the music moved with the clock.
        assert!(follower.followed > 25.0, "{}", follower.followed);
    }

    #[test]
    fn a_big_gap_moves_the_music_and_a_late_stream_never_rewinds_the_clock() {
        assert_eq!(follow_audio(10.0, 10.02, 40.0), Follow::Seek);
        assert_eq!(follow_audio(10.0, 10.02, 9.0), Follow::Seek);
        // Music 0.1 s behind: the clock eases back but never below last frame.
        let Follow::Clock(next) = follow_audio(10.0, 10.016, 9.93) else {
            panic!("within the drift limit");
        };
        assert!((10.0..10.016).contains(&next), "{next}");
        assert_eq!(follow_audio(10.0, 10.016, 9.8), Follow::Clock(10.0));
    }

    #[test]
    fn the_deck_plays_seeks_holds_and_swaps_mixes() {
        let deck = Arc::new(Deck::default());
        let ramp: Vec<f32> = (0..4800).flat_map(|i| [i as f32, -(i as f32)]).collect();
        deck.load(ramp);
        let mut source = deck.source();
        // Not playing: silence and no movement.
        assert_eq!(source.next(), Some(0.0));
        assert_eq!(deck.seconds(), 0.0);
        deck.set_playing(true);
        source.next();
        let played: Vec<f32> = (0..4).map(|_| source.next().unwrap()).collect();
        assert_eq!(played, vec![0.0, -0.0, 1.0, -1.0]);
        deck.seek(0.05);
        assert!(deck.seeking());
        assert_eq!(source.next(), Some(2400.0));
        assert!(!deck.seeking());
        deck.set_speed(2.0);
        source.next();
        assert_eq!(source.next(), Some(2401.0));
        deck.set_volume(0.5);
        source.next();
        assert_eq!(source.next(), Some(1201.5));
        deck.load(vec![7.0; 96_000]);
        source.next();
        assert_eq!(source.next(), Some(3.5));
    }
}

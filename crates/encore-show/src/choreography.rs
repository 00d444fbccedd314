//! Choreography: what every idol does at every instant, as plain functions of the setlist
//! and the concert time: her pose (the `moves` library, or a motion file), her mark in the
//! `formation`, and her face (blinks, smiles, and singing vowels: the song's vocal stem's when
//! it has one). Everything is a function of time, the setlist's seed and its files, so
//! seeking, reloading and recording all land on the same poses.

pub mod formation;
pub mod moves;

use glam::{Vec2, Vec3};
use rand::{Rng, SeedableRng, rngs::StdRng};

use self::{formation::FormationPlan, moves::Pose};
use crate::{
    avatar::{
        expression::{EXPRESSION_COUNT, Expression, Face},
        skeleton::{Bone, Skeleton},
    },
    setlist::{Item, ItemKind, Setlist, ShowPosition, model::Dance, raw::Move},
    song::voice::Mouth,
};

/// Beats over which one move blends into the next, ending on the new move's first beat.
pub const BLEND_BEATS: f64 = 1.0;

/// What idol `index` of the cast does at `seconds`: her pose, her mark and her face.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IdolFrame {
    /// Bone rotations and hips offset.
    pub pose: Pose,
    /// Where she stands `(x, z)`.
    pub mark: Vec2,
    /// Her face: blink, singing vowels and smile.
    pub face: Face,
    /// Where a motion file turns her eyes (yaw, pitch in degrees); the camera when `None`.
    pub gaze: Option<(f32, f32)>,
}

/// Everything idol `index` does at `seconds`.
pub fn idol_frame(
    setlist: &Setlist,
    plan: &FormationPlan,
    index: usize,
    seconds: f64,
) -> IdolFrame {
    let (mark, stride) = plan.mark_at(index, seconds);
    let position = setlist.position_at(seconds);
    let (
        mut pose,
        smile,
        Tracks {
            face: motion_face,
            gaze,
        },
    ) = pose_at(setlist, index, &position);
    if stride > 0.0 {
        // Legs walk while the formation moves her; the upper body keeps dancing.
        let walk = moves::definition(&Move::Walk).sample(position.beats as f32);
        for bone in [
            Bone::LeftUpperLeg,
            Bone::LeftLowerLeg,
            Bone::RightUpperLeg,
            Bone::RightLowerLeg,
        ] {
            let dance = pose.rotations[bone.index()];
            pose.rotations[bone.index()] = dance.slerp(walk.rotations[bone.index()], stride);
        }
    }
    let mut face = Face::default();
    face.set(Expression::Blink, blink(setlist.seed, index, seconds));
    let singing = is_singing(setlist, index, &position);
    for (vowel, weight) in mouth_at(setlist, index, &position, singing).weights() {
        face.set(vowel, weight);
    }
    face.set(Expression::Smile, if singing { smile * 0.4 } else { smile });
    // A motion file's own face tracks (MMD's あいうえお and まばたき, VRMA expressions) win.
    for (expression, weight) in Expression::ALL.into_iter().zip(motion_face) {
        if let Some(weight) = weight {
            face.set(expression, weight);
        }
    }
    IdolFrame {
        pose,
        mark,
        face,
        gaze,
    }
}

/// Where idol `index`'s head, hips and feet are at `seconds`, in world space: her frame put
/// through her skeleton. The camera frames shots from these.
pub fn idol_body(setlist: &Setlist, plan: &FormationPlan, index: usize, seconds: f64) -> Body {
    if index >= setlist.cast.len() {
        return body_of(setlist, index, None);
    }
    body_of(
        setlist,
        index,
        Some(&idol_frame(setlist, plan, index, seconds)),
    )
}

/// Idol `index`'s body in `frame` (the forward kinematics of her skeleton); a standing
/// figure at the centre for an index outside the cast.
pub fn body_of(setlist: &Setlist, index: usize, frame: Option<&IdolFrame>) -> Body {
    let (Some(idol), Some(frame)) = (setlist.cast.get(index), frame) else {
        return Body {
            head: Vec3::Y * 1.5,
            hips: Vec3::Y * 0.9,
            feet: Vec3::ZERO,
            facing: Vec3::Z,
            height: 1.65,
            face_size: 1.65 * BUILTIN_FACE,
        };
    };
    let build = match &idol.avatar {
        crate::setlist::model::Avatar::Builtin(look) => look.build,
        crate::setlist::model::Avatar::Model(_) => 1.0,
    };
    let skeleton = Skeleton::new(idol.height, build);
    let joints = skeleton.posed(&frame.pose.rotations, frame.pose.hips * idol.height);
    let root = Vec3::new(frame.mark.x, 0.0, frame.mark.y);
    let world = |bone: Bone| root + frame.pose.turn * joints[bone.index()];
    let (left, right) = (world(Bone::LeftToes), world(Bone::RightToes));
    // A model's face and hips are where its figure has them (a chibi's big head, a robot's
    // high hips), carried along by the dance of the skeleton's own.
    let (head, hips) = match idol.fit {
        Some(fit) => (
            world(Bone::Head) + frame.pose.turn * (fit.face - skeleton.at(Bone::Head)),
            world(Bone::Hips) + frame.pose.turn * (fit.hips - skeleton.at(Bone::Hips)),
        ),
        None => (world(Bone::Head), world(Bone::Hips)),
    };
    Body {
        head,
        hips,
        feet: if left.y < right.y { left } else { right },
        facing: (frame.pose.turn * Vec3::Z)
            .with_y(0.0)
            .normalize_or(Vec3::Z),
        height: idol.height,
        face_size: idol
            .fit
            .map_or(idol.height * BUILTIN_FACE, |fit| fit.face_size),
    }
}

/// A built-in idol's head, chin to crown, as a share of her height.
const BUILTIN_FACE: f32 = 0.13;

/// Beats a member keeps dancing her last move when the next starts a little later (a canon
/// makes such gaps); longer gaps are idle.
const HOLD_BEATS: f64 = 8.0;

/// The beats of a song where `id` dances `dance` (shifted by her place in its canon), or
/// `None` when she is not in it.
fn dance_span(item: &Item, dance: &Dance, id: &str) -> Option<(f64, f64)> {
    let per_bar = f64::from(item.grid.beats_per_bar);
    let rank = dance.idols.iter().position(|who| who == id)?;
    let offset = dance.canon * rank as f64;
    Some((
        f64::from(dance.bars.0 - 1) * per_bar + offset,
        f64::from(dance.bars.1) * per_bar + offset,
    ))
}

/// The dance an idol dances at a beat of a song, and beats since it started for her.
pub fn dance_at<'a>(item: &'a Item, id: &str, beats: f64) -> Option<(&'a Dance, f64)> {
    let mut latest: Option<(&Dance, f64, f64)> = None;
    for dance in &item.dances {
        let Some((start, end)) = dance_span(item, dance, id) else {
            continue;
        };
        if start <= beats && beats < end + HOLD_BEATS {
            // Later entries win while active; an active entry beats one being held.
            let active = beats < end;
            let better = match latest {
                None => true,
                Some((_, _, latest_end)) => active || end >= latest_end,
            };
            if better {
                latest = Some((dance, beats - start, if active { f64::MAX } else { end }));
            }
        }
    }
    latest.map(|(dance, since, _)| (dance, since))
}

/// The next dance starting for `id` within [`BLEND_BEATS`] after `beats`, and beats until it.
pub fn next_dance<'a>(item: &'a Item, id: &str, beats: f64) -> Option<(&'a Dance, f64)> {
    item.dances
        .iter()
        .filter_map(|dance| {
            let (start, _) = dance_span(item, dance, id)?;
            (beats < start && start - beats <= BLEND_BEATS).then_some((dance, start - beats))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

/// What a dance looks like `since` beats after it started (negative: before, for blending
/// in): the pose, and the expressions a motion file sets.
fn dancing(item: &Item, dance: &Dance, since: f64) -> (Pose, Tracks) {
    if let Some(played) = &dance.motion {
        let seconds = played.from + since.max(0.0) * item.grid.seconds_per_beat() * played.speed;
        if let Some(frame) = played.motion.sample(seconds as f32) {
            let tracks = Tracks {
                face: frame.face,
                gaze: frame.look,
            };
            return (frame.pose, tracks);
        }
    }
    (
        moves::definition(&dance.step).sample(since as f32),
        Tracks::default(),
    )
}

/// The VMD dance idol `index` dances at `seconds`, if any, and the frame of it (30 per
/// second): what a PMX model plays natively on its own bones. Blends between dances are the
/// retargeted skeleton's; the native dance holds from the dance's first beat to its last.
pub fn native_dance(
    setlist: &Setlist,
    index: usize,
    seconds: f64,
) -> Option<(&crate::setlist::model::PlayedMotion, f32)> {
    let position = setlist.position_at(seconds);
    let item = setlist.items.get(position.item)?;
    let idol = setlist.cast.get(index)?;
    if item.kind != ItemKind::Song {
        return None;
    }
    let (dance, since) = dance_at(item, &idol.id, position.beats)?;
    let played = dance.motion.as_ref()?;
    played.motion.vmd()?;
    let file_seconds = played.from + since.max(0.0) * item.grid.seconds_per_beat() * played.speed;
    Some((
        played,
        (file_seconds * f64::from(crate::motion::vmd::VMD_FPS)) as f32,
    ))
}

/// What a motion file sets besides the body: expressions, and where the eyes look.
#[derive(Debug, Clone, Copy, Default)]
struct Tracks {
    face: [Option<f32>; EXPRESSION_COUNT],
    gaze: Option<(f32, f32)>,
}

/// Idol `index`'s pose at `seconds`: the move the setlist gives her (idle otherwise), blending
/// into the next move over the beat before it so that it lands on its first key pose.
pub fn idol_pose(setlist: &Setlist, index: usize, seconds: f64) -> Pose {
    pose_at(setlist, index, &setlist.position_at(seconds)).0
}

/// How much a move makes her smile.
fn smile_of(step: &Move) -> f32 {
    match step {
        Move::HeartHands | Move::Bow => 1.0,
        Move::Pose | Move::Clap | Move::Jump => 0.8,
        Move::Point | Move::ArmWave | Move::Salute | Move::HairFlip => 0.7,
        Move::Idle | Move::Walk => 0.35,
        _ => 0.5,
    }
}

/// Her pose, smile and the expressions a motion file sets: the move she dances, blended
/// into the next over the beat before it.
fn pose_at(setlist: &Setlist, index: usize, position: &ShowPosition) -> (Pose, f32, Tracks) {
    let none = Tracks::default();
    let (Some(item), Some(idol)) = (setlist.items.get(position.item), setlist.cast.get(index))
    else {
        return (Pose::default(), 0.0, none);
    };
    let beats = position.beats;
    if item.kind != ItemKind::Song {
        let smile = if item.kind == ItemKind::Talk {
            0.7
        } else {
            0.4
        };
        return (
            moves::definition(&Move::Idle).sample(beats as f32),
            smile,
            none,
        );
    }
    let (current, smile, face) = match dance_at(item, &idol.id, beats) {
        Some((dance, since)) => {
            let (pose, face) = dancing(item, dance, since);
            (pose, smile_of(&dance.step), face)
        }
        None => (
            moves::definition(&Move::Idle).sample(beats as f32),
            smile_of(&Move::Idle),
            none,
        ),
    };
    match next_dance(item, &idol.id, beats) {
        Some((dance, until)) if dance_at(item, &idol.id, beats + until).is_some() => {
            let (next, _) = dancing(item, dance, -until);
            let t = (1.0 - until / BLEND_BEATS).clamp(0.0, 1.0) as f32;
            let t = t * t * (3.0 - 2.0 * t);
            (
                current.lerp(&next, t),
                smile + (smile_of(&dance.step) - smile) * t,
                face,
            )
        }
        _ => (current, smile, face),
    }
}

/// A generator for one idol and one slot of time, seeded from the setlist.
fn rng_for(seed: u64, index: usize, slot: i64, stream: u64) -> StdRng {
    let mixed = seed
        ^ (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ^ (slot as u64).wrapping_mul(0xbf58_476d_1ce4_e5b9)
        ^ stream.wrapping_mul(0x94d0_49bb_1331_11eb);
    StdRng::seed_from_u64(mixed)
}

/// Seconds between blinks, on average.
const BLINK_EVERY: f64 = 3.2;
/// Seconds a blink lasts.
const BLINK_SECONDS: f64 = 0.16;

/// How closed her eyes are (0 open, 1 closed): one blink at a random moment of every
/// [`BLINK_EVERY`] seconds, different for every idol and seed.
pub fn blink(seed: u64, index: usize, seconds: f64) -> f32 {
    let slot = (seconds / BLINK_EVERY).floor() as i64;
    [slot - 1, slot]
        .into_iter()
        .map(|slot| {
            let offset = rng_for(seed, index, slot, 1).random_range(0.0..BLINK_EVERY - 0.3);
            let since = seconds - (slot as f64 * BLINK_EVERY + offset);
            if (0.0..BLINK_SECONDS).contains(&since) {
                (std::f64::consts::PI * since / BLINK_SECONDS).sin() as f32
            } else {
                0.0
            }
        })
        .fold(0.0, f32::max)
}

/// How open her mouth is: while she holds a line, as the song's vocal stem sings, or without
/// one syllables two to a beat, some of them rests, each opening and closing; closed
/// otherwise.
pub fn mouth(setlist: &Setlist, index: usize, seconds: f64) -> f32 {
    let position = setlist.position_at(seconds);
    let singing = is_singing(setlist, index, &position);
    mouth_at(setlist, index, &position, singing).open
}

/// Whether she holds a line of the song now.
pub fn is_singing(setlist: &Setlist, index: usize, position: &ShowPosition) -> bool {
    let (Some(item), Some(idol)) = (setlist.items.get(position.item), setlist.cast.get(index))
    else {
        return false;
    };
    item.lines.iter().any(|line| {
        line.bars.0 <= position.bar && position.bar <= line.bars.1 && line.idols.contains(&idol.id)
    })
}

/// The vowels her mouth shapes and how open it is: while she sings a song with a vocal stem,
/// what the stem sings now; while she sings without one or talks, a syllable every half
/// beat, each with its own vowel, some of them rests.
fn mouth_at(setlist: &Setlist, index: usize, position: &ShowPosition, singing: bool) -> Mouth {
    let closed = Mouth::CLOSED;
    let (Some(item), Some(idol)) = (setlist.items.get(position.item), setlist.cast.get(index))
    else {
        return closed;
    };
    if singing && let Some(vocals) = &item.vocals {
        return vocals.mouth_at(position.item_seconds);
    }
    let talking = item.kind == ItemKind::Talk
        && (item.speakers.is_empty() || item.speakers.contains(&idol.id));
    if !singing && !talking {
        return closed;
    }
    let syllables = position.beats * 2.0;
    let slot = syllables.floor() as i64;
    let mut rng = rng_for(
        setlist.seed,
        index,
        slot + position.item as i64 * 100_000,
        2,
    );
    if rng.random_range(0..4) == 0 {
        return closed;
    }
    let open = rng.random_range(0.45..1.0);
    let vowel = Expression::VOWELS[rng.random_range(0..Expression::VOWELS.len())];
    Mouth::of(
        vowel,
        (std::f64::consts::PI * syllables.fract()).sin() as f32 * open,
    )
}

/// How far she turns her head to find the camera, sideways and up or down.
pub const LOOK_LIMITS: (f32, f32) = (1.0, 0.45);

/// Where an idol's body is this instant, in world space.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Body {
    /// The head joint.
    pub head: Vec3,
    /// The hips joint.
    pub hips: Vec3,
    /// The lower of the two toes.
    pub feet: Vec3,
    /// Which way she faces (horizontal, unit).
    pub facing: Vec3,
    /// Her height in metres.
    pub height: f32,
    /// How tall her head is with its hair and hat, metres (close-ups frame it whole).
    pub face_size: f32,
}

#[cfg(test)]
mod tests {
    use glam::Quat;

    use super::*;

    #[test]
    fn a_move_hits_its_key_pose_on_its_first_beat() {
        let setlist = Setlist::built_in();
        // Starlight Signal: bars 5-12 StepTouch with a half-beat canon; Hana (rank 0) starts
        // on bar 5, beat 1, after blending out of the intro's Pose.
        let start = setlist.seconds_at(0, 5, 1.0).expect("first song");
        let pose = idol_pose(&setlist, 0, start);
        let key = moves::definition(&Move::StepTouch).sample(0.0);
        assert!(pose.max_angle_to(&key) < 1e-3);
        // Yuna (rank 1) starts half a beat later.
        let yuna = idol_pose(
            &setlist,
            1,
            setlist.seconds_at(0, 5, 1.5).expect("first song"),
        );
        assert!(yuna.max_angle_to(&key) < 1e-3);
    }

    #[test]
    fn poses_are_continuous_through_the_demo_at_60_fps() {
        let setlist = Setlist::built_in();
        let plan = FormationPlan::new(&setlist);
        for index in 0..setlist.cast.len() {
            let mut previous = idol_frame(&setlist, &plan, index, 0.0);
            let mut frame = 1;
            while f64::from(frame) / 60.0 < setlist.duration() {
                let seconds = f64::from(frame) / 60.0;
                let now = idol_frame(&setlist, &plan, index, seconds);
                let jump = now.pose.max_angle_to(&previous.pose).to_degrees();
                // Item boundaries (song to MC) may cut; within items the pose flows.
                let position = setlist.position_at(seconds);
                let boundary = setlist.position_at(seconds - 1.0 / 60.0).item != position.item;
                assert!(
                    boundary || jump < 15.0,
                    "idol {index} jumps {jump:.1}° at {seconds:.3} s"
                );
                assert!(
                    now.mark.distance(previous.mark) < 0.1,
                    "idol {index} teleports at {seconds:.2}"
                );
                previous = now;
                frame += 1;
            }
        }
    }

    #[test]
    fn same_seed_same_faces_and_blinks_happen() {
        let setlist = Setlist::built_in();
        let blinks: Vec<f32> = (0..600)
            .map(|frame| blink(7, 2, f64::from(frame) / 60.0))
            .collect();
        let again: Vec<f32> = (0..600)
            .map(|frame| blink(7, 2, f64::from(frame) / 60.0))
            .collect();
        assert_eq!(blinks, again);
        assert!(
            blinks.iter().any(|&closed| closed > 0.9),
            "she blinks in 10 s"
        );
        assert!(
            blinks.iter().filter(|&&closed| closed > 0.0).count() < 120,
            "but not all the time"
        );
        let other: Vec<f32> = (0..600)
            .map(|frame| blink(8, 2, f64::from(frame) / 60.0))
            .collect();
        assert_ne!(blinks, other, "another seed blinks at other moments");
        // Hana sings bars 5-6 of the first song; Yuna does not.
        let singing = setlist.seconds_at(0, 5, 1.0).expect("first song");
        let open = |index| {
            (0..120)
                .map(|frame| mouth(&setlist, index, singing + f64::from(frame) / 60.0))
                .fold(0.0, f32::max)
        };
        assert!(open(0) > 0.4);
        assert_eq!(open(1), 0.0);
        // Her syllables take several vowels, and faces change smoothly.
        let plan = FormationPlan::new(&setlist);
        let faces: Vec<Face> = (0..240)
            .map(|frame| idol_frame(&setlist, &plan, 0, singing + f64::from(frame) / 60.0).face)
            .collect();
        let vowels = Expression::VOWELS
            .iter()
            .filter(|vowel| faces.iter().any(|face| face.get(**vowel) > 0.3))
            .count();
        assert!(vowels >= 3, "only {vowels} vowels in 4 s of singing");
        for pair in faces.windows(2) {
            for expression in Expression::ALL {
                let step = (pair[1].get(expression) - pair[0].get(expression)).abs();
                // Syllables open and close over a quarter beat; nothing snaps.
                assert!(step < 0.35, "{expression:?} jumps by {step}");
            }
        }
    }

    #[test]
    fn a_vocal_stem_moves_the_singers_mouths_and_a_missing_one_is_located() {
        let folder = std::env::temp_dir().join(format!("encore-vocals-{}", std::process::id()));
        std::fs::create_dir_all(&folder).expect("temp folder");
        let (_, [(a_start, a_end), (i_start, i_end)]) =
            crate::song::voice::vowels_with_a_gap(&folder);
        let show = |vocals: &str| {
            format!(
                r##"Concert(
        title: "Vocals",
        cast: [(id: "hana", name: "Hana", colour: "#ff6fae"),
               (id: "yuna", name: "Yuna", colour: "#6fb5ff")],
        program: [Song(title: "One", bpm: 120, audio: "gap.wav", vocals: "{vocals}", offset: 0.2,
            lines: [(bars: (1, 2), idols: ["hana"])], dance: [(bars: (1, 2), move: Clap)])],
    )"##
            )
        };
        let file = folder.join("show.ron");
        let mut files = crate::setlist::FileCache::default();
        let (setlist, report) = crate::setlist::check_with(&file, &show("gap.wav"), &mut files);
        let setlist = setlist.unwrap_or_else(|| panic!("{report}"));
        assert!(report.diagnostics.is_empty(), "{report}");
        let plan = FormationPlan::new(&setlist);
        // The file starts 0.2 s before bar 1: file time t is concert time t - 0.2.
        let song = |file_seconds: f64| file_seconds - 0.2;
        let track = &setlist.items[0]
            .vocals
            .as_ref()
            .expect("the song has vocals")
            .track;
        for (start, end, vowel) in [
            (a_start, a_end, Expression::Aa),
            (i_start, i_end, Expression::Ih),
        ] {
            let middle = song((start + end) / 2.0);
            let face = idol_frame(&setlist, &plan, 0, middle).face;
            assert!(mouth(&setlist, 0, middle) > 0.3, "Hana sings {vowel:?}");
            assert_eq!(mouth(&setlist, 0, middle), track.at(middle + 0.2).open);
            let widest = Expression::VOWELS
                .into_iter()
                .max_by(|a, b| face.get(*a).total_cmp(&face.get(*b)))
                .expect("five vowels");
            assert_eq!(widest, vowel, "{face:?}");
            assert_eq!(mouth(&setlist, 1, middle), 0.0, "Yuna has no line");
        }
        let gap = song((a_end + i_start) / 2.0 + 0.1);
        assert_eq!(mouth(&setlist, 0, gap), 0.0, "shut in the silence");
        let face = idol_frame(&setlist, &plan, 0, gap).face;
        assert!(
            Expression::VOWELS
                .iter()
                .all(|vowel| face.get(*vowel) == 0.0)
        );
        // The stem was analysed once; checking the setlist again reads nothing.
        let reads = files.reads();
        let _ = crate::setlist::check_with(&file, &show("gap.wav"), &mut files);
        assert_eq!(files.reads(), reads);

        std::fs::write(folder.join("empty.wav"), b"").expect("temp folder");
        for (vocals, expected) in [
            ("gone.wav", "the vocals file `gone.wav` does not exist"),
            ("empty.wav", "the vocals `empty.wav` cannot be used"),
        ] {
            let (setlist, report) = crate::setlist::check(&file, &show(vocals));
            let text = report.to_string();
            assert!(setlist.is_none(), "{vocals} is an error");
            assert!(text.contains(expected), "{text}");
            assert!(text.contains("show.ron:5:"), "located on its line: {text}");
        }
        // A silent stem or a song nobody sings in would leave every mouth shut: warnings.
        crate::music::write_wav(&folder.join("silent.wav"), &[0.0; 96_000]).expect("temp folder");
        let (setlist, report) = crate::setlist::check(&file, &show("silent.wav"));
        assert!(setlist.is_some(), "{report}");
        assert!(
            report.to_string().contains("`silent.wav` is silent"),
            "{report}"
        );
        let unsung = show("gap.wav").replace(r#"lines: [(bars: (1, 2), idols: ["hana"])], "#, "");
        let (setlist, report) = crate::setlist::check(&file, &unsung);
        assert!(setlist.is_some(), "{report}");
        assert!(
            report.to_string().contains("this song has no `lines`"),
            "{report}"
        );
        let _ = std::fs::remove_dir_all(&folder);
    }

    #[test]
    fn heart_hands_bring_a_full_smile_and_idling_a_light_one() {
        let setlist = Setlist::built_in();
        let plan = FormationPlan::new(&setlist);
        let mut hearts = 0;
        for index in 0..setlist.cast.len() {
            let id = &setlist.cast[index].id;
            for quarter in 0..(setlist.duration() * 4.0) as u32 {
                let seconds = f64::from(quarter) / 4.0;
                let position = setlist.position_at(seconds);
                let smile = idol_frame(&setlist, &plan, index, seconds)
                    .face
                    .get(Expression::Smile);
                assert!((0.0..=1.0).contains(&smile));
                let Some(item) = setlist.items.get(position.item) else {
                    continue;
                };
                let Some((step, since)) = dance_at(item, id, position.beats) else {
                    continue;
                };
                let settled = since > 1.0 && next_dance(item, id, position.beats).is_none();
                if step.step == Move::HeartHands && settled {
                    let singing = is_singing(&setlist, index, &position);
                    let expected = if singing { 0.4 } else { 1.0 };
                    assert!((smile - expected).abs() < 1e-6, "{smile} at {seconds}");
                    hearts += 1;
                }
            }
        }
        assert!(hearts > 10, "the demo has heart hands");
    }

    #[test]
    fn a_setlist_dances_a_motion_file_and_locates_bad_ones() {
        let folder = std::env::temp_dir().join(format!("encore-motion-{}", std::process::id()));
        std::fs::create_dir_all(&folder).expect("temp folder");
        let key = |frame: u32, angle: f32| crate::motion::vmd::BoneKey {
            frame,
            position: Vec3::ZERO,
            rotation: Quat::from_rotation_z(angle),
            curves: [crate::motion::vmd::Bezier::LINEAR; 4],
        };
        // Her left arm rises over a second; her mouth opens on "あ".
        let dance = crate::motion::vmd::write(
            "test",
            &[("左腕", key(0, 0.0)), ("左腕", key(30, 1.2))],
            &[("あ", 0, 0.0), ("あ", 30, 1.0)],
        );
        std::fs::write(folder.join("dance.vmd"), dance).expect("write");
        std::fs::write(
            folder.join("broken.vmd"),
            b"Vocaloid Motion Data 0002 and then nothing",
        )
        .expect("write");
        let show = |dance: &str, camera: &str| {
            format!(
                r##"Concert(
        title: "Motion",
        cast: [(id: "hana", name: "Hana", colour: "#ff6fae")],
        program: [Song(title: "One", bpm: 120, length: "bar 9",
            dance: [{dance}],
            camera: [{camera}])],
    )"##
            )
        };
        let file = folder.join("show.ron");
        let (setlist, report) = crate::setlist::validate::check(
            &file,
            &show(
                r#"(bars: (1, 8), move: Motion("dance.vmd"), speed: 0.5)"#,
                "",
            ),
        );
        let setlist = setlist.unwrap_or_else(|| panic!("{report}"));
        // Half speed: two seconds into the song is one second into the file.
        let start = setlist.seconds_at(0, 1, 1.0).expect("bar 1");
        let pose = crate::choreography::idol_pose(&setlist, 0, start + 2.0);
        let motion = crate::motion::Motion::read(&folder.join("dance.vmd")).expect("reads");
        let expected = motion.sample(1.0).expect("a body");
        let off = pose.max_angle_to(&expected.pose);
        assert!(off < 2e-3, "{off} at {start}");
        let plan = crate::choreography::formation::FormationPlan::new(&setlist);
        let face = crate::choreography::idol_frame(&setlist, &plan, 0, start + 1.0).face;
        assert!(
            (face.get(crate::avatar::expression::Expression::Aa) - 0.5).abs() < 0.02,
            "the file's あ opens her mouth"
        );

        for (dance, camera, expected) in [
            (
                r#"(bars: (1, 8), move: Motion("broken.vmd"))"#,
                "",
                "in the middle of the model name",
            ),
            (
                r#"(bars: (1, 8), move: Motion("gone.vmd"))"#,
                "",
                "does not exist",
            ),
            (
                r#"(bars: (1, 8), move: Motion("dance.vmd"), from: 5)"#,
                "",
                "lasts 1.00 s",
            ),
            (
                r#"(bars: (1, 8), move: Motion("dance.vmd"), speed: 0)"#,
                "",
                "not a playback speed",
            ),
            (
                r#"(bars: (1, 8), move: Idle, speed: 2)"#,
                "",
                "only applies to motion files",
            ),
            (
                "",
                r#"(at: 0.0, shot: Motion("dance.vmd"))"#,
                "holds no camera keyframes",
            ),
        ] {
            let (_, report) = crate::setlist::validate::check(&file, &show(dance, camera));
            let text = report.to_string();
            assert!(text.contains(expected), "{dance}{camera}: {text}");
            assert!(text.contains("show.ron:"), "located: {text}");
        }
        let _ = std::fs::remove_dir_all(&folder);
    }
}

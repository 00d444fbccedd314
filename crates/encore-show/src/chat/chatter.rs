//! The show's chat as a plan made once from the setlist: its scripted messages, and fan
//! chatter from a seeded crowd of personas whose rate and words follow what happens (a song
//! starting, a chorus, a member's close-up or line, a dance break, the ending, MC talk, the
//! encore call), in Korean, English and some Japanese, Spanish and Portuguese. Same file,
//! same seed: the same messages at the same instants, in the window and in recordings.

use rand::{Rng, SeedableRng, rngs::StdRng};

use super::message::{Badge, ChatMessage, MessageKind, sanitise, sanitise_name};
use crate::{
    camera::director::ShotPlan,
    colour::Srgb,
    setlist::{CueAction, ItemKind, Setlist, raw::SectionKind, raw::Shot},
};

/// A fan who writes in the chat.
#[derive(Debug, Clone)]
struct Persona {
    name: String,
    colour: [u8; 3],
    badges: Vec<Badge>,
    /// Index into [`LANGUAGES`].
    language: usize,
}

/// What is happening, as the chat reacts to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Moment {
    SongStart,
    Verse,
    Chorus,
    DanceBreak,
    Ending,
    Talk,
    Intermission,
    EncoreCall,
}

impl Moment {
    /// Messages a second.
    fn rate(self) -> f64 {
        match self {
            Self::SongStart => 4.0,
            Self::Verse => 1.4,
            Self::Chorus => 3.0,
            Self::DanceBreak => 2.6,
            Self::Ending => 4.0,
            Self::Talk => 1.2,
            Self::Intermission => 0.5,
            Self::EncoreCall => 5.0,
        }
    }
}

/// Korean, English, Japanese, Spanish, Portuguese, and how often each writes.
const LANGUAGES: [(&str, f64); 5] = [
    ("ko", 0.45),
    ("en", 0.33),
    ("ja", 0.1),
    ("es", 0.06),
    ("pt", 0.06),
];

/// Lines for a moment in a language; `{name}` is a member, `{title}` the song.
fn lines(moment: Moment, language: &str) -> &'static [&'static str] {
    match (moment, language) {
        (Moment::SongStart, "ko") => &["{title}!!!", "이 노래다ㅠㅠ", "전주 미쳤다", "시작한다!!"],
        (Moment::SongStart, "en") => &["{title} 😭😭", "THIS SONG", "here we gooo", "omg {title}"],
        (Moment::SongStart, "ja") => &["{title}キター！", "この曲好き！"],
        (Moment::SongStart, "es") => &["{title}!!! 😭", "AMO ESTA CANCIÓN"],
        (Moment::SongStart, "pt") => &["{title}!!!", "essa música 😭"],
        (Moment::Chorus, "ko") => &["후렴 미쳤다", "고음 미쳤다", "떼창 가자!!", "목소리 뭐야"],
        (Moment::Chorus, "en") => &["CHORUS 🔥🔥", "the vocals!!", "sing it!!", "chills"],
        (Moment::Chorus, "ja") => &["サビ最高！", "鳥肌"],
        (Moment::Chorus, "es") => &["el coro 🔥", "QUE VOZ"],
        (Moment::Chorus, "pt") => &["o refrão 🔥", "que voz"],
        (Moment::DanceBreak, "ko") => &["퍼포 미쳤다", "칼군무 뭐야", "댄브 레전드"],
        (Moment::DanceBreak, "en") => &["THE DANCE BREAK", "so in sync omg", "choreo of the year"],
        (Moment::DanceBreak, "ja") => &["ダンスやばい", "揃いすぎ"],
        (Moment::DanceBreak, "es") => &["qué coreografía", "BAILAN TAN BIEN"],
        (Moment::DanceBreak, "pt") => &["que coreografia", "perfeitas"],
        (Moment::Ending, "ko") => &["👏👏👏", "수고했어요!!", "끝나지 마ㅠㅠ", "사랑해요💗"],
        (Moment::Ending, "en") => &["👏👏👏", "PERFECT", "that was amazing", "encore pls"],
        (Moment::Ending, "ja") => &["最高でした！", "👏👏"],
        (Moment::Ending, "es") => &["PERFECTAS 👏", "otra!"],
        (Moment::Ending, "pt") => &["perfeitas 👏", "mais uma!"],
        (Moment::Talk, "ko") => &[
            "ㅋㅋㅋㅋㅋㅋㅋㅋㅋ",
            "귀여워",
            "물 마셔요!",
            "{name} 목소리 좋다",
        ],
        (Moment::Talk, "en") => &["lol", "so cute", "{name} is so funny", "drink water!"],
        (Moment::Talk, "ja") => &["かわいい", "笑"],
        (Moment::Talk, "es") => &["jajaja", "qué lindas"],
        (Moment::Talk, "pt") => &["kkkkkkkk", "fofas demais"],
        (Moment::Intermission, "ko") => &["기다릴게요", "다음 곡 뭐지?"],
        (Moment::Intermission, "en") => &["brb", "what's next??"],
        (Moment::Intermission, "ja") => &["待ってる"],
        (Moment::Intermission, "es") => &["esperando"],
        (Moment::Intermission, "pt") => &["esperando"],
        (Moment::EncoreCall, "ko") => &["앵콜! 앵콜!", "앵콜!!!", "나와줘ㅠㅠ"],
        (Moment::EncoreCall, "en") => &["ENCORE! ENCORE!", "encore!!!", "ONE MORE"],
        (Moment::EncoreCall, "ja") => &["アンコール！"],
        (Moment::EncoreCall, "es") => &["otra! otra!"],
        (Moment::EncoreCall, "pt") => &["mais uma! mais uma!"],
        (_, "ko") => &["너무 좋아", "레전드", "{name} 예쁘다", "오늘 무대 최고"],
        (_, "ja") => &["最高！", "{name}ちゃん可愛い"],
        (_, "es") => &["qué lindas", "{name} te amo"],
        (_, "pt") => &["lindas demais", "{name} te amo"],
        (_, _) => &[
            "so good",
            "{name} 💗",
            "love this",
            "the stage is so pretty",
        ],
    }
}

/// Lines about one member (her close-up or her line); `{name}` and `{heart}` fill in.
fn member_lines(language: &str) -> &'static [&'static str] {
    match language {
        "ko" => &[
            "{name} 예쁘다{heart}",
            "{name}!!!",
            "{name} 목소리 미쳤다",
            "{name} 얼굴 천재",
        ],
        "ja" => &["{name}ちゃん{heart}", "{name}の声好き"],
        "es" => &["{name} te amo{heart}", "{name} REINA"],
        "pt" => &["{name} te amo{heart}", "{name} perfeita"],
        _ => &[
            "{NAME}!!!{heart}",
            "{name} vocals omg",
            "{name} is so pretty",
            "{name} ate",
        ],
    }
}

/// The heart emoji closest to a member colour.
fn heart(colour: Srgb) -> &'static str {
    let hue = colour.hue();
    match hue {
        h if !(20.0..330.0).contains(&h) => "💗",
        h if h < 70.0 => "💛",
        h if h < 170.0 => "💚",
        h if h < 250.0 => "💙",
        _ => "💜",
    }
}

const NAMES: [&str; 24] = [
    "moa",
    "starlight",
    "hana_world",
    "jiwoo_pick",
    "minji",
    "sakura",
    "lucia",
    "bia",
    "yuri",
    "soyeon",
    "kiki",
    "marina",
    "nana",
    "dawn",
    "jae",
    "haru",
    "sol",
    "luna",
    "mel",
    "rin",
    "ara",
    "ines",
    "ciel",
    "bora",
];

fn personas(setlist: &Setlist, rng: &mut StdRng) -> Vec<Persona> {
    (0..60)
        .map(|index| {
            let stem = NAMES[rng.random_range(0..NAMES.len())];
            let name = match rng.random_range(0..3) {
                0 => format!("{stem}_{}", rng.random_range(1..100)),
                1 => format!("{stem}{}", rng.random_range(90..=99)),
                _ => format!("{stem}_{}", ["kr", "jp", "br", "mx", "us"][index % 5]),
            };
            let colour = [
                rng.random_range(140..=255u8),
                rng.random_range(140..=255u8),
                rng.random_range(140..=255u8),
            ];
            let mut badges = Vec::new();
            if rng.random_bool(0.3) {
                badges.push(Badge::FanClub);
            }
            if rng.random_bool(0.25)
                && let Some(idol) = setlist
                    .cast
                    .get(rng.random_range(0..setlist.cast.len().max(1)))
            {
                badges.push(Badge::Pick(idol.id.clone()));
            }
            if rng.random_bool(0.05) {
                badges.push(Badge::Vip);
            }
            if index < 2 {
                badges.push(Badge::Moderator);
            }
            let mut pick = rng.random::<f64>();
            let language = LANGUAGES
                .iter()
                .position(|(_, share)| {
                    pick -= share;
                    pick < 0.0
                })
                .unwrap_or(0);
            Persona {
                name,
                colour,
                badges,
                language,
            }
        })
        .collect()
}

/// What the chat reacts to at `seconds`, and the member in focus (close-up or line), if any.
fn moment_at(setlist: &Setlist, shots: &ShotPlan, seconds: f64) -> (Moment, Option<usize>) {
    let position = setlist.position_at(seconds);
    let Some(item) = setlist.items.get(position.item) else {
        return (Moment::Intermission, None);
    };
    let moment = match item.kind {
        ItemKind::Talk => Moment::Talk,
        ItemKind::Intermission => Moment::Intermission,
        ItemKind::Encore => Moment::EncoreCall,
        ItemKind::Song if seconds - item.start < 5.0 => Moment::SongStart,
        ItemKind::Song if item.end() - seconds < 5.0 => Moment::Ending,
        ItemKind::Song => match position.section.map(|index| item.sections[index].kind) {
            Some(SectionKind::Chorus) => Moment::Chorus,
            Some(SectionKind::DanceBreak) => Moment::DanceBreak,
            Some(SectionKind::Outro) => Moment::Ending,
            _ => Moment::Verse,
        },
    };
    let close_up = shots.at(seconds).and_then(|shot| match &shot.cue.shot {
        Shot::CloseUp(id) | Shot::UpperBody(id) | Shot::FullBody(id) => Some(id.clone()),
        _ => None,
    });
    let singer = item
        .lines
        .iter()
        .find(|line| {
            line.bars.0 <= position.bar && position.bar <= line.bars.1 && line.idols.len() == 1
        })
        .and_then(|line| line.idols.first().cloned());
    let talker = (item.kind == ItemKind::Talk)
        .then(|| item.speakers.first().cloned())
        .flatten();
    let focus = close_up
        .or(singer)
        .or(talker)
        .and_then(|id| setlist.idol(&id).map(|(index, _)| index));
    (moment, focus)
}

/// The show's chat, sorted by time, and the instants the crowd peaks (for heart bursts).
#[derive(Debug, Clone, Default)]
pub struct ChatPlan {
    /// Every scripted and generated message.
    pub messages: Vec<ChatMessage>,
    /// Concert seconds of each peak: a chorus or a song's start, an ending, an effect cue.
    pub peaks: Vec<f64>,
}

impl ChatPlan {
    /// The plan for `setlist`, masking the words of its chat filter; `chatter` adds the
    /// generated fans to its scripted messages.
    pub fn new(setlist: &Setlist, chatter: bool) -> Self {
        let mut rng = StdRng::seed_from_u64(setlist.seed ^ 0xc4a7);
        let personas = personas(setlist, &mut rng);
        let shots = ShotPlan::new(setlist);
        let filter = &setlist.chat_filter;
        let mut messages = Vec::new();
        let step = 0.05;
        let steps = if chatter {
            (setlist.duration() / step).ceil() as u64
        } else {
            0
        };
        for index in 0..steps {
            let seconds = index as f64 * step;
            let (moment, focus) = moment_at(setlist, &shots, seconds);
            if !rng.random_bool((moment.rate() * step).min(1.0)) {
                continue;
            }
            let persona = &personas[rng.random_range(0..personas.len())];
            let language = LANGUAGES[persona.language].0;
            let about_her = focus.filter(|_| rng.random_bool(0.55));
            let template = match about_her {
                Some(_) => {
                    let options = member_lines(language);
                    options[rng.random_range(0..options.len())]
                }
                None => {
                    let options = lines(moment, language);
                    options[rng.random_range(0..options.len())]
                }
            };
            let member = about_her
                .or(focus)
                .and_then(|index| setlist.cast.get(index))
                .or_else(|| {
                    setlist
                        .cast
                        .get(rng.random_range(0..setlist.cast.len().max(1)))
                });
            let title = setlist
                .items
                .get(setlist.position_at(seconds).item)
                .map_or("", |item| item.display_title());
            let text = template
                .replace("{title}", title)
                .replace(
                    "{NAME}",
                    &member.map_or(String::new(), |idol| idol.name.to_uppercase()),
                )
                .replace("{name}", member.map_or("", |idol| idol.name.as_str()))
                .replace("{heart}", member.map_or("💗", |idol| heart(idol.colour)));
            let Some(text) = sanitise(&text, filter) else {
                continue;
            };
            let kind = if rng.random_bool(0.012) {
                let amount = [1_000, 5_000, 10_000, 50_000][rng.random_range(0..4)];
                let colour = member.map_or([255, 120, 190], |idol| idol.colour.to_u8());
                MessageKind::Highlight { amount, colour }
            } else {
                MessageKind::Normal
            };
            messages.push(ChatMessage {
                at: seconds + rng.random_range(0.0..step),
                user: persona.name.clone(),
                colour: persona.colour,
                badges: persona.badges.clone(),
                kind,
                text,
            });
        }
        for cue in &setlist.cues {
            if let CueAction::Chat { from, text, amount } = &cue.action
                && let Some(text) = sanitise(text, filter)
            {
                messages.push(ChatMessage {
                    at: cue.at,
                    user: sanitise_name(from),
                    colour: [255, 214, 110],
                    badges: vec![Badge::FanClub],
                    kind: amount.map_or(MessageKind::Normal, |amount| MessageKind::Highlight {
                        amount,
                        colour: [255, 170, 60],
                    }),
                    text,
                });
            }
        }
        for item in &setlist.items {
            if item.kind == ItemKind::Song {
                messages.push(ChatMessage {
                    at: item.start,
                    user: "encore".into(),
                    colour: [160, 160, 190],
                    badges: Vec::new(),
                    kind: MessageKind::System,
                    text: format!("♪ Now playing: {}", item.display_title()),
                });
            }
        }
        messages.sort_by(|a, b| a.at.total_cmp(&b.at));
        let mut peaks: Vec<f64> = setlist
            .items
            .iter()
            .filter(|item| item.kind == ItemKind::Song)
            .flat_map(|item| {
                item.sections
                    .iter()
                    .filter(|section| section.kind == SectionKind::Chorus)
                    .map(|section| section.start)
                    .chain([item.start, (item.end() - 3.0).max(item.start)])
            })
            .chain(
                setlist
                    .cues
                    .iter()
                    .filter_map(|cue| matches!(cue.action, CueAction::Effect(_)).then_some(cue.at)),
            )
            .collect();
        peaks.sort_by(f64::total_cmp);
        peaks.dedup_by(|a, b| (*a - *b).abs() < 1.0);
        Self { messages, peaks }
    }

    /// Messages that have appeared by `seconds`.
    pub fn shown_by(&self, seconds: f64) -> usize {
        self.messages
            .partition_point(|message| message.at <= seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_chat_and_another_seed_another() {
        let setlist = Setlist::built_in();
        let first = ChatPlan::new(&setlist, true);
        assert_eq!(first.messages, ChatPlan::new(&setlist, true).messages);
        let mut other = setlist.clone();
        other.seed += 1;
        assert_ne!(first.messages, ChatPlan::new(&other, true).messages);
        assert!(
            first.messages.len() > 300,
            "{} messages",
            first.messages.len()
        );
    }

    #[test]
    fn the_chat_reacts_to_the_show() {
        let setlist = Setlist::built_in();
        let plan = ChatPlan::new(&setlist, true);
        let rate = |from: f64, to: f64| {
            let count = plan.shown_by(to) - plan.shown_by(from);
            count as f64 / (to - from)
        };
        let song = &setlist.items[0];
        let chorus = song
            .sections
            .iter()
            .find(|section| section.kind == SectionKind::Chorus)
            .expect("the demo has a chorus");
        let verse = song
            .sections
            .iter()
            .find(|section| section.kind == SectionKind::Verse)
            .expect("and a verse");
        assert!(
            rate(chorus.start, chorus.end) > 1.5 * rate(verse.start + 5.0, verse.end),
            "the chorus is busier"
        );
        // The encore call chants for the encore.
        let call = setlist
            .items
            .iter()
            .find(|item| item.kind == ItemKind::Encore)
            .expect("an encore call");
        let chants = plan.messages[plan.shown_by(call.start)..plan.shown_by(call.end())]
            .iter()
            .filter(|message| {
                ["앵콜", "ENCORE", "encore", "アンコール", "otra", "mais uma"]
                    .iter()
                    .any(|word| message.text.contains(word))
            })
            .count();
        assert!(chants >= 20, "{chants} encore chants");
        // Hana's close-up at bar 5 gets messages with her name.
        let close_up = setlist.seconds_at(0, 5, 1.0).expect("bar 5");
        let named = plan.messages[plan.shown_by(close_up)..plan.shown_by(close_up + 3.75)]
            .iter()
            .filter(|message| message.text.to_lowercase().contains("hana"))
            .count();
        assert!(named >= 2, "{named} messages name Hana in her close-up");
        // Every language shows up, and a few messages are highlighted.
        let hangul = plan
            .messages
            .iter()
            .any(|m| m.text.chars().any(|c| ('가'..='힣').contains(&c)));
        let kana = plan
            .messages
            .iter()
            .any(|m| m.text.chars().any(|c| ('ぁ'..='ヿ').contains(&c)));
        assert!(hangul && kana);
        assert!(
            plan.messages
                .iter()
                .any(|m| matches!(m.kind, MessageKind::Highlight { .. }))
        );
    }
}

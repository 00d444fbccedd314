//! The setlist exactly as written in RON, before validation. Every optional field has a
//! default so a minimal song is a few lines. `validate` turns it into the checked
//! [`Setlist`](super::Setlist) the systems use, reporting every problem with its place in the
//! file. `docs/setlist.md` documents each field for authors.

use serde::Deserialize;

use super::time::TimeSpec;
pub use crate::colour::Colour;
/// Section kinds belong to song analysis, which finds them in the audio.
pub use crate::song::structure::SectionKind;

/// A whole concert.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename = "Concert", deny_unknown_fields)]
pub struct RawConcert {
    /// Shown in the window title, the panel and recordings.
    pub title: String,
    /// Which stage set to build.
    #[serde(default)]
    pub venue: Venue,
    /// Seeds every random choice (auto camera, chat, blinks); same seed, same show.
    #[serde(default)]
    pub seed: u64,
    /// Rendering quality preset, unless `--quality` says otherwise.
    #[serde(default)]
    pub quality: Quality,
    /// The crowd and its lightsticks.
    #[serde(default)]
    pub audience: RawAudience,
    /// Words the chat masks (any case), whoever writes them.
    #[serde(default)]
    pub chat_filter: Vec<String>,
    /// How the chat overlay looks, unless `--chat` says otherwise.
    #[serde(default)]
    pub chat: RawChatLook,
    /// The members.
    pub cast: Vec<RawIdol>,
    /// What happens, in order.
    pub program: Vec<RawItem>,
}

/// The stage set.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub enum Venue {
    /// A round main stage in an arena.
    #[default]
    Arena,
    /// A studio for compositing: the idols lit by the stage's lights, with no stage, crowd,
    /// screens, beams or haze, on a plain background.
    Studio {
        /// What is behind them.
        #[serde(default)]
        background: Background,
    },
}

/// What is behind the idols in a studio.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub enum Background {
    /// A plain colour, `"#rrggbb"`.
    Colour(Colour),
    /// A chroma-key green screen (#00b140).
    Green,
    /// Nothing: transparent in `encore record --alpha` output (black elsewhere).
    Transparent,
}

impl Default for Background {
    fn default() -> Self {
        Self::Colour("#1c1a24".into())
    }
}

/// The audience: how many fans, and the fandom's lightstick colour.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAudience {
    /// Fans in the venue, each holding a lightstick (the quality preset draws a share).
    #[serde(default = "default_fans")]
    pub fans: u32,
    /// The fandom's lightstick colour (`"#rrggbb"`): the ocean's colour between cues.
    #[serde(default = "default_fandom_colour")]
    pub colour: Colour,
}

impl Default for RawAudience {
    fn default() -> Self {
        Self {
            fans: default_fans(),
            colour: default_fandom_colour(),
        }
    }
}

fn default_fans() -> u32 {
    20_000
}

fn default_fandom_colour() -> Colour {
    "#ff8ad8".into()
}

/// The chat overlay: `chat: (style: LowerThird)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChatLook {
    /// Where and how the messages are drawn.
    #[serde(default)]
    pub style: ChatStyle,
}

/// How the chat overlay is laid out over the show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum ChatStyle {
    /// A narrow column in the lower right, one small pill per message.
    #[default]
    #[cfg_attr(feature = "clap", value(alias = "right"))]
    Side,
    /// A few lines along the bottom left, like a broadcast's lower third.
    #[cfg_attr(feature = "clap", value(alias = "bottom"))]
    LowerThird,
    /// No chat in the picture.
    Off,
}

/// Rendering quality preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Quality {
    /// Low on software renderers, high on GPUs.
    #[default]
    Auto,
    /// For CPUs: fewest lights and pixels.
    Low,
    /// Balanced.
    Medium,
    /// For GPUs and recordings.
    High,
}

/// A member of the cast.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIdol {
    /// Short id used everywhere else in the file (`"hana"`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Member colour as `"#rrggbb"`: lights, lightsticks and chat use it.
    pub colour: Colour,
    /// What she looks like.
    #[serde(default)]
    pub avatar: RawAvatar,
    /// Files whose animation clips a model avatar can dance by name (`Clip("...")`), beside
    /// her own: an animation library made for her rig, such as KayKit's.
    #[serde(default)]
    pub clips: Vec<String>,
    /// Height in metres.
    #[serde(default = "default_height")]
    pub height: f32,
    /// Home mark `(x, z)` in metres from the stage centre; by default the cast stands in a
    /// line across the front of the stage.
    #[serde(default)]
    pub position: Option<(f32, f32)>,
}

fn default_height() -> f32 {
    1.65
}

/// An idol's body: one that encore generates, or a model file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub enum RawAvatar {
    /// A procedural idol with these looks.
    Builtin(BuiltinLook),
    /// A glTF/GLB/VRM file, relative to the setlist's folder.
    Model(String),
}

impl Default for RawAvatar {
    fn default() -> Self {
        Self::Builtin(BuiltinLook::default())
    }
}

/// Parameters of a procedural idol.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BuiltinLook {
    /// Body build, 0.8 (slight) to 1.2 (strong).
    pub build: f32,
    /// Skin tone as `"#rrggbb"`.
    pub skin: Colour,
    /// Hair style.
    pub hair: HairStyle,
    /// Hair colour as `"#rrggbb"`.
    pub hair_colour: Colour,
    /// Stage costume cut.
    pub outfit: OutfitStyle,
    /// Main costume colour; the member colour when absent.
    pub outfit_colour: Option<Colour>,
    /// Trim and accent colour.
    pub accent_colour: Colour,
}

impl Default for BuiltinLook {
    fn default() -> Self {
        Self {
            build: 1.0,
            skin: "#f2d2bd".into(),
            hair: HairStyle::Long,
            hair_colour: "#2b2233".into(),
            outfit: OutfitStyle::Skirt,
            outfit_colour: None,
            accent_colour: "#ffffff".into(),
        }
    }
}

/// Hair styles of the procedural idol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum HairStyle {
    /// Long and straight.
    #[default]
    Long,
    /// Chin-length bob.
    Bob,
    /// High ponytail.
    Ponytail,
    /// Short cut.
    Short,
    /// Two tails tied high at the sides.
    TwinTails,
    /// Long and wavy.
    Wavy,
}

impl HairStyle {
    /// Every style.
    pub const ALL: [Self; 6] = [
        Self::Long,
        Self::Bob,
        Self::Ponytail,
        Self::Short,
        Self::TwinTails,
        Self::Wavy,
    ];
}

/// Costume cuts of the procedural idol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum OutfitStyle {
    /// Jacket and pleated skirt.
    #[default]
    Skirt,
    /// Jacket and trousers.
    Trousers,
    /// Cropped top, bare midriff, shorts and high boots.
    CropTop,
    /// A long coat over the legs, and boots.
    Coat,
}

impl OutfitStyle {
    /// Every cut.
    pub const ALL: [Self; 4] = [Self::Skirt, Self::Trousers, Self::CropTop, Self::Coat];
}

/// One item of the program.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub enum RawItem {
    /// A song.
    Song(RawSong),
    /// MC talk between songs.
    Talk(RawSegment),
    /// A break: the stage dims and the crowd waits.
    Intermission(RawSegment),
    /// The encore call: the crowd chants until the idols come back. Songs after it are the
    /// encore.
    Encore(RawSegment),
}

/// A song with its beat grid and cues.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSong {
    /// Title.
    pub title: String,
    /// Artist credit.
    #[serde(default)]
    pub artist: String,
    /// Tempo in beats per minute, or `Auto`: found in the audio file.
    pub bpm: OrAuto,
    /// Metre; with `bpm: Auto`, found in the audio unless written.
    #[serde(default)]
    pub beats_per_bar: Option<u32>,
    /// Audio file, relative to the setlist's folder.
    #[serde(default)]
    pub audio: Option<String>,
    /// Seconds into the audio file where bar 1 begins, or `Auto`: its first downbeat.
    #[serde(default)]
    pub offset: OrAuto,
    /// The song's isolated vocal stem, relative to the setlist's folder and aligned with
    /// `audio` (the same `offset`): it opens the singers' mouths and shapes their vowels.
    #[serde(default)]
    pub vocals: Option<String>,
    /// Where the song ends (seconds or bar position); from the audio file when absent.
    #[serde(default)]
    pub length: Option<TimeSpec>,
    /// Named parts of the song as bar ranges, in order.
    #[serde(default)]
    pub sections: Vec<RawSection>,
    /// Who sings which bars.
    #[serde(default)]
    pub lines: Vec<RawLine>,
    /// Moves per member by bars.
    #[serde(default)]
    pub dance: Vec<RawDance>,
    /// Camera shots.
    #[serde(default)]
    pub camera: Vec<RawShot>,
    /// Light looks.
    #[serde(default)]
    pub lights: Vec<RawLight>,
    /// The lightstick ocean's colour changes.
    #[serde(default)]
    pub ocean: Vec<RawOcean>,
    /// One-shot stage effects.
    #[serde(default)]
    pub effects: Vec<RawEffect>,
    /// Scripted chat messages.
    #[serde(default)]
    pub chat: Vec<RawChat>,
    /// Colours of the LED wall's visuals (`"#rrggbb"`); the members' colours when empty.
    #[serde(default)]
    pub palette: Vec<Colour>,
    /// Who made the song: the end credits roll it and `encore cuesheet` reports it. Boxed:
    /// most songs leave it out, and it would double the size of every program item.
    #[serde(default)]
    pub credits: Box<RawCredits>,
}

/// A song's credits as a performance-rights society asks for them: the work, its writers,
/// its publishers and the codes that identify the recording and the work.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCredits {
    /// The work's registered title, where it differs from the song's `title`.
    #[serde(default)]
    pub title: Option<String>,
    /// Performing artists; the song's `artist` when empty.
    #[serde(default)]
    pub artists: Vec<String>,
    /// Who wrote the music.
    #[serde(default)]
    pub composers: Vec<String>,
    /// Who wrote the words.
    #[serde(default)]
    pub lyricists: Vec<String>,
    /// Who arranged it.
    #[serde(default)]
    pub arrangers: Vec<String>,
    /// Music publishers holding the rights.
    #[serde(default)]
    pub publishers: Vec<String>,
    /// The recording's ISRC, `CC-XXX-YY-NNNNN` (hyphens optional).
    #[serde(default)]
    pub isrc: Option<String>,
    /// The work's ISWC, `T-123.456.789-C` (dots and hyphens optional).
    #[serde(default)]
    pub iswc: Option<String>,
}

/// A number written in the setlist, or `Auto`: found by analysing the song's audio
/// (`encore_show::song`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OrAuto {
    /// As written.
    Value(f64),
    /// Found in the audio.
    Auto,
}

impl Default for OrAuto {
    fn default() -> Self {
        Self::Value(0.0)
    }
}

impl OrAuto {
    /// Whether it is to be found in the audio.
    pub fn is_auto(self) -> bool {
        self == Self::Auto
    }
}

impl<'de> Deserialize<'de> for OrAuto {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de;
        struct Visitor;

        impl<'de> de::Visitor<'de> for Visitor {
            type Value = OrAuto;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number (120) or `Auto`")
            }

            fn visit_f64<E: de::Error>(self, value: f64) -> Result<OrAuto, E> {
                Ok(OrAuto::Value(value))
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<OrAuto, E> {
                Ok(OrAuto::Value(value as f64))
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<OrAuto, E> {
                Ok(OrAuto::Value(value as f64))
            }

            // RON hands a bare word to `deserialize_any` as a unit value, whatever the word;
            // the checker reads the text to tell `Auto` from a misspelling.
            fn visit_unit<E: de::Error>(self) -> Result<OrAuto, E> {
                Ok(OrAuto::Auto)
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<OrAuto, E> {
                if value == "Auto" {
                    Ok(OrAuto::Auto)
                } else {
                    Err(E::custom(format!(
                        "expected a number or `Auto`, found the text {value:?}; write numbers \
                         without quotes, e.g. `bpm: 120`"
                    )))
                }
            }

            fn visit_enum<A: de::EnumAccess<'de>>(self, access: A) -> Result<OrAuto, A::Error> {
                use de::VariantAccess;
                let (name, variant): (String, _) = access.variant()?;
                if name == "Auto" {
                    variant.unit_variant()?;
                    Ok(OrAuto::Auto)
                } else {
                    Err(de::Error::invalid_value(de::Unexpected::Str(&name), &self))
                }
            }
        }

        deserializer.deserialize_any(Visitor)
    }
}

/// MC talk, an intermission or the encore call: a timed stretch without a song.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSegment {
    /// Shown in the panel and timeline.
    #[serde(default)]
    pub title: String,
    /// How long it lasts, in seconds.
    pub seconds: f64,
    /// Who talks (MC); everyone when empty.
    #[serde(default)]
    pub speakers: Vec<String>,
    /// Camera shots.
    #[serde(default)]
    pub camera: Vec<RawShot>,
    /// Light looks.
    #[serde(default)]
    pub lights: Vec<RawLight>,
    /// The lightstick ocean's colour changes.
    #[serde(default)]
    pub ocean: Vec<RawOcean>,
    /// One-shot stage effects.
    #[serde(default)]
    pub effects: Vec<RawEffect>,
    /// Scripted chat messages.
    #[serde(default)]
    pub chat: Vec<RawChat>,
    /// What is heard: the crowd murmuring (the default), silence, or a sound file.
    #[serde(default)]
    pub ambience: Ambience,
}

/// The sound under an MC segment, intermission or encore call.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub enum Ambience {
    /// The audience murmuring (louder under the encore call).
    #[default]
    Crowd,
    /// Nothing.
    Silence,
    /// A sound file (ogg, wav, flac or mp3), played from its start; silence after it ends.
    File(String),
}

/// A named part of a song.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSection {
    /// What kind of part it is.
    pub kind: SectionKind,
    /// First and last bar, inclusive.
    pub bars: (u32, u32),
    /// Where the members stand; they walk there at the start of the section.
    #[serde(default)]
    pub formation: Option<Formation>,
}

/// Named arrangements of the members on stage.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub enum Formation {
    /// Side by side across the stage.
    Line,
    /// A V opening towards the audience, the centre at the front.
    V,
    /// A V with the centre at the back.
    InvertedV,
    /// A diamond (a square for four; extra members fill the middle).
    Diamond,
    /// Two staggered rows.
    TwoRows,
    /// A circle facing the audience.
    Circle,
    /// This idol front and centre, the others in a row behind.
    CenterSolo(String),
}

/// A line of the song and who sings it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLine {
    /// First and last bar, inclusive.
    pub bars: (u32, u32),
    /// Idol ids; several for a duet or unison.
    pub idols: Vec<String>,
}

/// A move danced over some bars.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDance {
    /// First and last bar, inclusive.
    pub bars: (u32, u32),
    /// The move, repeated over the bars.
    #[serde(rename = "move")]
    pub step: Move,
    /// Who dances it; everyone when empty.
    #[serde(default)]
    pub idols: Vec<String>,
    /// Beats each member starts after the previous one (a canon or wave); 0 is in unison.
    #[serde(default)]
    pub canon: f64,
    /// For a `Motion` file: seconds into the file where the dance starts.
    #[serde(default)]
    pub from: f64,
    /// For a `Motion` file: how fast it plays (1 as written; 1.1 fits a 110 bpm song to a
    /// dance made for 100 bpm).
    #[serde(default = "one")]
    pub speed: f64,
}

fn one() -> f64 {
    1.0
}

/// The move library, by name. Each move is defined in beats and follows the song's tempo.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub enum Move {
    /// Step out and touch back, side to side.
    StepTouch,
    /// Wide steps to one side and back.
    SideStep,
    /// Arms wave overhead.
    ArmWave,
    /// Point to the crowd on the beat.
    Point,
    /// Clap on the beat.
    Clap,
    /// Body roll from chest to hips.
    BodyRoll,
    /// Hips sway side to side.
    HipSway,
    /// A full turn.
    Spin,
    /// A jump on the beat.
    Jump,
    /// A kick forward.
    Kick,
    /// Shoulders shimmy.
    ShoulderShimmy,
    /// Hair flip.
    HairFlip,
    /// Finger and arm hearts.
    HeartHands,
    /// A salute.
    Salute,
    /// A held pose.
    Pose,
    /// A bow.
    Bow,
    /// Standing, breathing.
    Idle,
    /// Walking in place.
    Walk,
    /// A named animation clip of an imported avatar.
    Clip(String),
    /// A motion file, relative to the setlist: a MikuMikuDance dance (.vmd), motion
    /// capture (.bvh) or a VRM animation (.vrma), on any idol.
    Motion(String),
}

/// A camera shot from `at` until `until` (or the next shot, or the end of the item).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawShot {
    /// When the shot starts.
    pub at: TimeSpec,
    /// When it ends; the next shot's start when absent.
    #[serde(default)]
    pub until: Option<TimeSpec>,
    /// What the camera shows.
    pub shot: Shot,
    /// The idol that `Orbit`, `DollyIn`, `DollyOut`, `Crane` and `Handheld` aim at; the
    /// whole group when absent.
    #[serde(default)]
    pub on: Option<String>,
    /// Vertical field of view in degrees (the lens); each shot kind has its own default.
    #[serde(default)]
    pub fov: Option<f32>,
    /// Metres added to the camera's height.
    #[serde(default)]
    pub height: f32,
    /// Which side the camera stands on.
    #[serde(default)]
    pub side: Side,
    /// How moving shots (orbit, dolly, crane, paths) accelerate.
    #[serde(default)]
    pub ease: Ease,
    /// How the camera gets here from the previous shot.
    #[serde(default)]
    pub transition: Transition,
}

/// What a camera shot frames.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub enum Shot {
    /// The whole stage from the front.
    Wide,
    /// The group from mid distance.
    Medium,
    /// One idol's face.
    CloseUp(String),
    /// One idol from the waist up.
    UpperBody(String),
    /// One idol head to toe.
    FullBody(String),
    /// Two idols together.
    TwoShot(String, String),
    /// Follows one idol across the stage, full body.
    Tracking(String),
    /// Circles the target (an idol with `on`, else the group).
    Orbit,
    /// Moves in on the target.
    DollyIn,
    /// Pulls back from the target.
    DollyOut,
    /// Rises like a jib from low to high over the target.
    Crane,
    /// A camera operator's shoulder shot of the target, with a little seeded shake.
    Handheld,
    /// Straight down on the formation.
    Overhead,
    /// From the stage floor looking up.
    LowAngle,
    /// From inside the crowd.
    Crowd,
    /// An explicit camera path: keyframes at beats from the shot's start.
    Path(Vec<CameraKey>),
    /// A MikuMikuDance camera motion (.vmd), relative to the setlist, played from its first
    /// frame at the shot's start, around the idol named by `on` (the stage's centre without).
    Motion(String),
}

/// One keyframe of a camera `Path`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraKey {
    /// Beats after the shot starts.
    pub beat: f32,
    /// Camera position (x to stage left, y up, z towards the audience), metres.
    pub eye: (f32, f32, f32),
    /// The point it looks at.
    pub look: (f32, f32, f32),
    /// Vertical field of view in degrees; the previous key's (or 35) when absent.
    #[serde(default)]
    pub fov: Option<f32>,
}

/// The side of the target a camera stands on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum Side {
    /// Straight in front.
    #[default]
    Front,
    /// To the idol's left (stage left, the audience's right).
    Left,
    /// To the idol's right.
    Right,
}

/// An easing curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum Ease {
    /// Constant speed.
    Linear,
    /// Starts slowly.
    In,
    /// Ends slowly.
    Out,
    /// Starts and ends slowly.
    #[default]
    InOut,
}

impl Ease {
    /// The eased value of `t` in 0..=1.
    pub fn apply(self, t: f32) -> f32 {
        let t = t.clamp(0.0, 1.0);
        match self {
            Ease::Linear => t,
            Ease::In => t * t,
            Ease::Out => 1.0 - (1.0 - t) * (1.0 - t),
            Ease::InOut => t * t * (3.0 - 2.0 * t),
        }
    }
}

/// How the camera gets to a shot from the one before.
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
pub enum Transition {
    /// A hard cut on the shot's start.
    #[default]
    Cut,
    /// A camera move from the previous framing over this many beats, eased.
    Blend(f32),
    /// A fast swing of the camera from the previous framing (a quarter beat).
    WhipPan,
}

/// A light look that holds until the next one.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLight {
    /// When the look starts.
    pub at: TimeSpec,
    /// The look.
    pub look: Look,
    /// Seconds to fade in from the previous look.
    #[serde(default = "default_fade")]
    pub fade: f64,
    /// Brightness, 0 (dark) to 1 (full).
    #[serde(default = "default_intensity")]
    pub intensity: f32,
    /// How the moving heads move.
    #[serde(default)]
    pub pattern: Pattern,
    /// Beats per sweep or chase step: 0.5 is fast, 4 is slow.
    #[serde(default = "default_chase")]
    pub chase: f32,
    /// Lasers fan out from the truss.
    #[serde(default)]
    pub lasers: bool,
}

fn default_fade() -> f64 {
    0.5
}

fn default_intensity() -> f32 {
    1.0
}

fn default_chase() -> f32 {
    1.0
}

/// How the moving heads move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum Pattern {
    /// Pointed at the stage, still.
    Still,
    /// Swinging across the stage together.
    #[default]
    Sweep,
    /// Lighting one after another.
    Chase,
    /// Opening out over the crowd and closing in.
    Fan,
    /// Drawing circles on the stage floor.
    Circle,
}

/// A change of the lightstick ocean.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOcean {
    /// When it changes.
    pub at: TimeSpec,
    /// What the lightsticks show.
    pub ocean: Ocean,
}

/// What the lightsticks in the crowd show.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub enum Ocean {
    /// The fandom colour (`audience.colour`).
    #[default]
    Fandom,
    /// Every stick in this colour (`"#rrggbb"`).
    Colour(Colour),
    /// Every stick in one member's colour.
    Member(String),
    /// Each block of the crowd in a different member's colour.
    Members,
    /// Member colours in a wave that travels round the venue.
    Wave,
}

/// Stage light looks.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub enum Look {
    /// Warm white and amber.
    Warm,
    /// Blue and violet.
    Cool,
    /// Every light in one idol's member colour.
    Member(String),
    /// Every light in this colour (`"#rrggbb"`).
    Colour(Colour),
    /// The lights in these colours, in turn (`["#ff0000", "#ffffff"]`).
    Colours(Vec<Colour>),
    /// Each light in a different member colour.
    Rainbow,
    /// White flashes on every beat.
    Strobe,
    /// Everything dark but the LED wall's glow.
    Blackout,
}

/// A one-shot stage effect.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEffect {
    /// When it fires.
    pub at: TimeSpec,
    /// Which effect.
    pub effect: Effect,
}

/// Stage effects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Effect {
    /// Paper confetti over the crowd.
    Confetti,
    /// Flame jets at the stage front.
    Pyro,
    /// Sparkler fountains.
    Sparklers,
    /// CO2 jets.
    Co2,
    /// Fireworks over the stage.
    Fireworks,
}

/// A scripted chat message.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChat {
    /// When it appears.
    pub at: TimeSpec,
    /// User name.
    pub from: String,
    /// The message.
    pub text: String,
    /// A highlighted (paid) message of this amount.
    #[serde(default)]
    pub amount: Option<u32>,
}

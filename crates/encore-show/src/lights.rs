//! The light rig at one instant, computed from the setlist and the clock alone (so seeking
//! shows exactly what playing through would): a key light, a follow spot on whoever holds the
//! line, two colour washes, moving heads on the truss, lasers, and the LED wall's state.
//! The app's lights, the cel shader's uniform and the visible beams all read this one state.

use std::f32::consts::TAU;

use glam::{Vec2, Vec3};

use crate::{
    choreography::Body,
    colour::{Linear, Srgb},
    setlist::{
        ItemKind, LightCue, Setlist,
        raw::{Look, Pattern, SectionKind},
    },
};

/// Moving heads hung on the truss.
pub const MOVING_HEADS: usize = 8;
/// Lasers on the truss.
pub const LASERS: usize = 6;
/// Height of the truss the heads hang from.
pub const TRUSS_HEIGHT: f32 = 7.0;
/// The IMAG side screens flanking the LED wall: centre, and turn about the vertical towards
/// the audience (radians).
pub const IMAG_SCREENS: [(Vec3, f32); 2] = [
    (Vec3::new(-9.3, 4.0, -4.4), 0.3),
    (Vec3::new(9.3, 4.0, -4.4), -0.3),
];
/// An IMAG screen's size, metres (16:9).
pub const IMAG_SCREEN_SIZE: Vec2 = Vec2::new(4.8, 2.7);

/// One light: where it is, where it points, its colour times level (0 to ~1) and its cone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spot {
    /// World position.
    pub position: Vec3,
    /// Unit aim.
    pub direction: Vec3,
    /// Linear colour times level.
    pub colour: Linear,
    /// Half-angle of the cone, radians.
    pub angle: f32,
}

impl Spot {
    fn lerp(&self, other: &Spot, t: f32) -> Spot {
        Spot {
            position: self.position.lerp(other.position, t),
            direction: self
                .direction
                .lerp(other.direction, t)
                .normalize_or(other.direction),
            colour: self.colour.mix(&other.colour, t),
            angle: self.angle + (other.angle - self.angle) * t,
        }
    }
}

/// Everything lit at one instant.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rig {
    /// Light from everywhere.
    pub ambient: Linear,
    /// The front key light on the whole stage.
    pub key: Option<Spot>,
    /// A follow spot on each member, in cast order; the one holding the line gets the bright
    /// key spot, the others a soft one.
    pub follows: Vec<Spot>,
    /// Which of `follows` is on the member holding the line.
    pub singer: Option<usize>,
    /// Colour washes from the left and right.
    pub washes: Vec<Spot>,
    /// Moving heads, left to right.
    pub heads: Vec<Spot>,
    /// Laser beams (empty when the look has none).
    pub lasers: Vec<Spot>,
    /// The LED wall's palette (linear), design (the section's pattern, 0 to 4, plus 8 times
    /// the song's variant, 0 to 3) and brightness.
    pub wall: ([Linear; 4], u32, f32),
    /// The look's colours, for rims and the panel.
    pub colours: Vec<Linear>,
}

/// Colours of a look; member colours for `Rainbow` rotate by one every bar.
fn look_colours(look: &Look, setlist: &Setlist, bars: f64) -> Vec<Linear> {
    let members: Vec<Linear> = setlist
        .cast
        .iter()
        .map(|idol| idol.colour.to_linear())
        .collect();
    let members = if members.is_empty() {
        vec![Linear::WHITE]
    } else {
        members
    };
    let srgb = |r, g, b| Srgb::new(r, g, b).to_linear();
    match look {
        Look::Warm => vec![srgb(1.0, 0.72, 0.4), srgb(1.0, 0.9, 0.75)],
        Look::Cool => vec![srgb(0.3, 0.45, 1.0), srgb(0.65, 0.4, 1.0)],
        Look::Member(id) => vec![
            setlist
                .idol(id)
                .map_or(Linear::WHITE, |(_, idol)| idol.colour.to_linear()),
        ],
        Look::Colour(hex) => vec![hex.srgb().unwrap_or(Srgb::WHITE).to_linear()],
        Look::Colours(hexes) if !hexes.is_empty() => hexes
            .iter()
            .map(|hex| hex.srgb().unwrap_or(Srgb::WHITE).to_linear())
            .collect(),
        Look::Colours(_) => vec![Linear::WHITE],
        Look::Rainbow => {
            let shift = bars.floor().max(0.0) as usize;
            (0..members.len())
                .map(|index| members[(index + shift) % members.len()])
                .collect()
        }
        Look::Strobe => vec![Linear::WHITE],
        Look::Blackout => vec![Linear::BLACK],
    }
}

/// How bright a look is at `beats`: strobes flash on each beat, blackouts are dark.
fn look_level(cue: &LightCue, beats: f64) -> f32 {
    let base = cue.intensity;
    match cue.look {
        Look::Strobe => {
            if beats.rem_euclid(1.0) < 0.15 {
                base
            } else {
                base * 0.08
            }
        }
        Look::Blackout => 0.0,
        _ => base,
    }
}

/// Where moving head `index` points for a pattern, `beats` into the music.
fn head_aim(pattern: Pattern, index: usize, chase: f32, beats: f32) -> (Vec3, f32) {
    let spread = (index as f32 + 0.5) / MOVING_HEADS as f32 * 2.0 - 1.0;
    let home = Vec3::new(spread * 4.5, 0.0, 1.0);
    let phase = beats / chase.max(0.125);
    match pattern {
        Pattern::Still => (home, 1.0),
        Pattern::Sweep => {
            let swing = (phase * TAU * 0.5).sin();
            (home + Vec3::new(swing * 3.5, 0.0, swing.abs() * 1.5), 1.0)
        }
        Pattern::Chase => {
            let step = phase.floor() as usize % MOVING_HEADS;
            let distance = (index + MOVING_HEADS - step) % MOVING_HEADS;
            let level = match distance {
                0 => 1.0,
                1 => 0.35,
                _ => 0.06,
            };
            (home, level)
        }
        Pattern::Fan => {
            // Out over the crowd and back, once every four steps.
            let open = (phase * TAU * 0.25).sin() * 0.5 + 0.5;
            let out = Vec3::new(spread * 25.0, 0.0, 30.0);
            (home.lerp(out, open), 1.0)
        }
        Pattern::Circle => {
            let angle = phase * TAU * 0.25 + index as f32 * TAU / MOVING_HEADS as f32;
            (
                Vec3::new(
                    spread * 2.0 + angle.cos() * 2.0,
                    0.0,
                    1.5 + angle.sin() * 1.5,
                ),
                1.0,
            )
        }
    }
}

/// The LED wall's pattern for a section.
fn wall_pattern(section: Option<SectionKind>, item: ItemKind) -> u32 {
    match (item, section) {
        (ItemKind::Song, Some(SectionKind::Chorus)) => 0,
        (ItemKind::Song, Some(SectionKind::DanceBreak | SectionKind::PreChorus)) => 1,
        (ItemKind::Song, Some(SectionKind::Verse | SectionKind::Intro) | None) => 2,
        (ItemKind::Song, Some(SectionKind::Bridge | SectionKind::Outro)) => 3,
        (_, _) => 3,
    }
}

/// Everything a cue's look aims and colours, before blending with the previous look.
fn cue_lights(cue: &LightCue, setlist: &Setlist, beats: f64, bars: f64) -> Rig {
    let colours = look_colours(&cue.look, setlist, bars);
    let level = look_level(cue, beats);
    let beats = beats as f32;
    let heads = (0..MOVING_HEADS)
        .map(|index| {
            let (aim, head_level) = head_aim(cue.pattern, index, cue.chase, beats);
            let spread = (index as f32 + 0.5) / MOVING_HEADS as f32 * 2.0 - 1.0;
            let position = Vec3::new(spread * 5.5, TRUSS_HEIGHT, -1.0);
            Spot {
                position,
                direction: (aim - position).normalize(),
                colour: colours[index % colours.len()] * (0.55 * level * head_level),
                angle: 0.12,
            }
        })
        .collect();
    let washes = [-1.0f32, 1.0]
        .iter()
        .enumerate()
        .map(|(index, side)| {
            let position = Vec3::new(side * 7.5, 6.0, 4.0);
            Spot {
                position,
                direction: (Vec3::new(-side * 1.5, 0.0, 0.5) - position).normalize(),
                colour: colours[index % colours.len()] * (0.5 * level),
                angle: 0.6,
            }
        })
        .collect();
    let lasers = if cue.lasers {
        (0..LASERS)
            .map(|index| {
                let fan = (index as f32 + 0.5) / LASERS as f32 * 2.0 - 1.0;
                let sway = (beats / cue.chase.max(0.125) * TAU * 0.25).sin() * 0.35;
                let dip = (beats / cue.chase.max(0.125) * TAU * 0.5).sin() * 0.06;
                let direction = Vec3::new(fan * 0.8 + sway, -0.24 + dip + 0.08 * fan.abs(), 1.0);
                Spot {
                    position: Vec3::new(0.0, TRUSS_HEIGHT + 0.3, -1.0),
                    direction: direction.normalize(),
                    colour: colours[(index + 1) % colours.len()] * level,
                    angle: 0.0,
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    Rig {
        heads,
        washes,
        lasers,
        colours,
        ..Default::default()
    }
}

/// Which idol holds the line at `seconds` (the first named on it), if anyone sings.
pub fn singer_at(setlist: &Setlist, seconds: f64) -> Option<usize> {
    let position = setlist.position_at(seconds);
    setlist.items.get(position.item).and_then(|item| {
        item.lines
            .iter()
            .find(|line| line.bars.0 <= position.bar && position.bar <= line.bars.1)
            .and_then(|line| line.idols.first())
            .and_then(|id| setlist.idol(id))
            .map(|(index, _)| index)
    })
}

/// The rig at `seconds`: the cued (or section default) look, faded in from the one before.
/// `beats` and `bars` count the current music; `bodies` are the members' in cast order and
/// `singer` the index of the one holding the line.
pub fn rig_at(
    setlist: &Setlist,
    seconds: f64,
    (beats, bars): (f64, f64),
    bodies: &[Body],
    singer: Option<usize>,
) -> Rig {
    let position = setlist.position_at(seconds);
    let item = setlist.items.get(position.item);
    let section = item.and_then(|item| {
        position
            .section
            .and_then(|section| item.sections.get(section))
            .map(|section| section.kind)
    });
    let kind = item.map_or(ItemKind::Song, |item| item.kind);
    let fallback = LightCue::default_for(section, kind);
    let (cue, previous, blend) = match setlist.light_at(seconds) {
        Some(state) => (state.look, state.previous, state.blend as f32),
        None => (&fallback, None, 1.0),
    };
    let mut rig = cue_lights(cue, setlist, beats, bars);
    if let Some(previous) = previous.filter(|_| blend < 1.0) {
        let before = cue_lights(previous, setlist, beats, bars);
        for (now, then) in rig.heads.iter_mut().zip(&before.heads) {
            *now = then.lerp(now, blend);
        }
        for (now, then) in rig.washes.iter_mut().zip(&before.washes) {
            *now = then.lerp(now, blend);
        }
        if rig.lasers.is_empty() {
            rig.lasers = before.lasers;
            for laser in &mut rig.lasers {
                laser.colour *= 1.0 - blend;
            }
        }
    }
    let level = look_level(cue, beats);
    let dark = matches!(cue.look, Look::Blackout);
    let key_level = if dark {
        0.08
    } else {
        0.5 + 0.4 * level.min(1.0)
    };
    let key_position = Vec3::new(0.0, 9.0, 10.0);
    rig.key = Some(Spot {
        position: key_position,
        direction: (Vec3::new(0.0, 1.0, 0.0) - key_position).normalize(),
        colour: Srgb::new(1.0, 0.96, 0.9).to_linear() * key_level,
        angle: 0.55,
    });
    rig.singer = singer.filter(|index| *index < bodies.len());
    rig.follows = bodies
        .iter()
        .enumerate()
        .map(|(index, body)| {
            let from = Vec3::new(body.hips.x * 0.3, 11.0, 16.0);
            let level = match (dark, rig.singer == Some(index)) {
                (true, _) => 0.0,
                (false, true) => 0.7,
                (false, false) => 0.2,
            };
            Spot {
                position: from,
                direction: (body.hips - from).normalize_or(Vec3::NEG_Y),
                colour: Srgb::new(1.0, 0.97, 0.92).to_linear() * level,
                angle: 0.07,
            }
        })
        .collect();
    let tint = rig.colours[0];
    rig.ambient = Linear::rgb(0.07, 0.06, 0.11) + tint * (0.05 * level);
    let palette = item
        .map(|item| item.palette.as_slice())
        .filter(|palette| !palette.is_empty())
        .map_or_else(
            || rig.colours.clone(),
            |palette| palette.iter().map(|colour| colour.to_linear()).collect(),
        );
    let mut wall = [Linear::WHITE; 4];
    for (index, slot) in wall.iter_mut().enumerate() {
        *slot = palette[index % palette.len()];
    }
    // Blackouts keep a faint glow on the wall so the stage is never a void.
    // Each song its own variant of the section's design.
    let variant = (setlist.item_index_at(seconds) % 4) as u32;
    rig.wall = (
        wall,
        wall_pattern(section, kind) + 8 * variant,
        level.max(0.15),
    );
    rig
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rig(setlist: &Setlist, seconds: f64) -> Rig {
        let grid = setlist.items[setlist.item_index_at(seconds)].grid;
        let beats = grid.beats_at(seconds);
        rig_at(setlist, seconds, (beats, beats / 4.0), &[], None)
    }

    #[test]
    fn the_rig_depends_on_the_time_alone() {
        let setlist = Setlist::built_in();
        let times: Vec<f64> = (0..120).map(|step| f64::from(step) * 1.7).collect();
        let forward: Vec<Rig> = times.iter().map(|&t| rig(&setlist, t)).collect();
        // Seeking backwards through the show gives the same states as playing forwards.
        for (index, &t) in times.iter().enumerate().rev() {
            assert_eq!(rig(&setlist, t), forward[index], "at {t} s");
        }
    }

    #[test]
    fn the_line_holder_gets_the_key_spot() {
        let setlist = Setlist::built_in();
        let plan = crate::choreography::formation::FormationPlan::new(&setlist);
        let seconds = setlist.seconds_at(0, 5, 1.0).expect("first song");
        let bodies = crate::camera::bodies(&setlist, &plan, seconds);
        let rig = rig_at(&setlist, seconds, (16.0, 4.0), &bodies, Some(1));
        assert_eq!(rig.follows.len(), setlist.cast.len());
        let level = |spot: &Spot| spot.colour.red + spot.colour.green + spot.colour.blue;
        let brightest = (0..rig.follows.len())
            .max_by(|a, b| level(&rig.follows[*a]).total_cmp(&level(&rig.follows[*b])))
            .expect("a cast");
        assert_eq!(brightest, 1);
        // Each spot points at its member's hips.
        for (spot, body) in rig.follows.iter().zip(&bodies) {
            let to_hips = (body.hips - spot.position).normalize();
            assert!(spot.direction.dot(to_hips) > 0.9999);
        }
    }

    #[test]
    fn the_cued_look_is_what_the_lights_show() {
        let setlist = Setlist::built_in();
        let bar = |bar: u32| setlist.seconds_at(0, bar, 1.0).expect("first song");
        // The demo cues Rainbow with lasers at the chorus (bar 17): member colours on the heads.
        let chorus = rig(&setlist, bar(17) + 1.0);
        let members: Vec<Linear> = setlist
            .cast
            .iter()
            .map(|idol| idol.colour.to_linear())
            .collect();
        let head = chorus.heads[0].colour;
        assert!(
            members.iter().any(|member| {
                let ratio = head.red / member.red.max(1e-6);
                (head.green - member.green * ratio).abs() < 1e-3
            }),
            "{head:?} is not a member colour"
        );
        assert!(!chorus.lasers.is_empty(), "the chorus cue has lasers");
        // Warm at bar 5 is amber and white, without lasers.
        let verse = rig(&setlist, bar(6));
        assert!(verse.heads[0].colour.red > verse.heads[0].colour.blue * 2.0);
        assert!(verse.lasers.is_empty());
    }
}

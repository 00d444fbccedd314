//! The audience: one lightstick per fan, all in one mesh drawn in one call. Each stick is a
//! quad whose corners the vertex shader swings on the beat and colours by the ocean's mode,
//! so the CPU builds the mesh once and only updates a uniform per frame.

use bevy::{camera::visibility::NoFrustumCulling, prelude::*};

use crate::colour::Srgb;

use crate::setlist::ShowSetlist;
use rand::{Rng, SeedableRng, rngs::StdRng};

use super::materials::{CrowdMaterial, OceanState};
use crate::{
    clock::ConcertClock,
    graphics::RenderProfile,
    setlist::{Setlist, raw::Ocean},
};

/// How many fans are drawn, and from which setlist's seed they were seated.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crowd {
    /// Lightsticks in the mesh.
    pub fans: u32,
    seed: u64,
}

/// Fans drawn for `setlist` on `profile`, or `fans` when the command line says.
pub fn drawn_fans(setlist: &Setlist, profile: &RenderProfile, fans: Option<u32>) -> u32 {
    (f64::from(fans.unwrap_or(setlist.audience.fans)) * f64::from(profile.crowd)).round() as u32
}

/// The fans the command line asks for, overriding the setlist.
#[derive(Resource, Debug, Clone, Copy, Default)]
pub struct FansOverride(pub Option<u32>);

/// The arc of the venue the crowd fills, in front of and beside the stage (radians).
const SPAN: f32 = 3.9;
/// Fans per square metre standing on the floor and in the stands.
const DENSITY: f32 = 1.6;

/// Where `fans` fans stand: a bowl round the stage, flat on the floor near it and rising in
/// tiers further out, with the runway and the B-stage kept clear. Returns each fan's hand
/// and where round the venue she stands (0 to 1).
pub fn seats(fans: u32, seed: u64) -> Vec<(Vec3, f32)> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x00c0_ffee);
    let inner: f32 = 9.0;
    // The area the crowd needs sets how far the bowl reaches.
    let outer = (inner * inner + 2.0 * fans as f32 / (DENSITY * SPAN)).sqrt();
    let mut seats = Vec::with_capacity(fans as usize);
    while seats.len() < fans as usize {
        let radius = rng.random_range(inner * inner..outer * outer).sqrt();
        let angle = rng.random_range(-SPAN / 2.0..SPAN / 2.0);
        let (x, z) = (radius * angle.sin(), radius * angle.cos());
        let on_runway = x.abs() < 2.2 && z < 27.5;
        if on_runway {
            continue;
        }
        // Flat floor to 30 m, then stands rising about one metre in two.
        let floor = -0.5 + (radius - 30.0).max(0.0) * 0.45;
        let hand = floor + rng.random_range(1.35..1.75);
        seats.push((Vec3::new(x, hand, z), angle / SPAN + 0.5));
    }
    seats
}

/// The crowd's mesh: four corners per stick, from the hand (0) to the tip (1).
fn crowd_mesh(fans: u32, seed: u64) -> Mesh {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed_fa25);
    let sticks: Vec<([f32; 3], [f32; 2])> = seats(fans, seed)
        .into_iter()
        .map(|(hand, around)| (hand.to_array(), [around, rng.random()]))
        .collect();
    super::quad_mesh([[-1.0, 0.0], [1.0, 0.0], [1.0, 1.0], [-1.0, 1.0]], &sticks)
}

/// Seats the crowd, again when the setlist's audience or seed changes.
pub(crate) fn seat_crowd(
    mut commands: Commands,
    setlist: Res<ShowSetlist>,
    profile: Res<RenderProfile>,
    fans: Res<FansOverride>,
    crowds: Query<(Entity, &Crowd)>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<CrowdMaterial>>,
) {
    let wanted = Crowd {
        fans: drawn_fans(&setlist, &profile, fans.0),
        seed: setlist.seed,
    };
    if crowds.iter().any(|(_, crowd)| *crowd == wanted) {
        return;
    }
    for (entity, _) in &crowds {
        commands.entity(entity).despawn();
    }
    if wanted.fans == 0 {
        return;
    }
    commands.spawn((
        Name::new(format!("Crowd of {}", wanted.fans)),
        wanted,
        Mesh3d(meshes.add(crowd_mesh(wanted.fans, wanted.seed))),
        MeshMaterial3d(materials.add(CrowdMaterial::default())),
        Transform::default(),
        // The shader moves every stick; the mesh's bounds do not know where.
        NoFrustumCulling,
    ));
}

/// Slot 0 and the members' colours for an ocean; its shader mode.
fn ocean_colours(ocean: &Ocean, setlist: &Setlist) -> ([Vec4; 8], f32) {
    let linear = |colour: Srgb| Vec4::from(colour.to_linear().to_f32_array());
    let mut colours = [linear(setlist.audience.colour); 8];
    for (slot, idol) in colours[1..].iter_mut().zip(&setlist.cast) {
        *slot = linear(idol.colour);
    }
    let mode = match ocean {
        Ocean::Fandom => 0.0,
        Ocean::Colour(hex) => {
            colours[0] = linear(hex.srgb().unwrap_or(setlist.audience.colour));
            0.0
        }
        Ocean::Member(id) => {
            if let Some((_, idol)) = setlist.idol(id) {
                colours[0] = linear(idol.colour);
            }
            0.0
        }
        Ocean::Members => 1.0,
        Ocean::Wave => 2.0,
    };
    (colours, mode)
}

/// The ocean's uniform at the clock's time: the cued colours faded in over a second.
pub fn ocean_state(setlist: &Setlist, seconds: f64, beats: f64, level: f32) -> OceanState {
    let state = setlist.ocean_at(seconds);
    let (colours, mode) = ocean_colours(state.ocean, setlist);
    let (previous, previous_mode) = ocean_colours(state.previous, setlist);
    let blend = state.since.clamp(0.0, 1.0) as f32;
    let wave = if state.since.is_finite() {
        state.since as f32
    } else {
        0.0
    };
    OceanState {
        colours,
        previous,
        state: Vec4::new(beats as f32, mode, previous_mode, blend),
        more: Vec4::new(setlist.cast.len().clamp(1, 7) as f32, level, wave, 0.0),
    }
}

/// Waves the sticks on the beat and sets the ocean's colours.
pub(crate) fn wave_lightsticks(
    clock: Res<ConcertClock>,
    setlist: Res<ShowSetlist>,
    crowds: Query<&MeshMaterial3d<CrowdMaterial>>,
    mut materials: ResMut<Assets<CrowdMaterial>>,
) {
    // The ocean dims a little while the stage is dark, and never goes out.
    let state = ocean_state(&setlist, clock.seconds, clock.beats(), 1.0);
    for handle in &crowds {
        if let Some(mut material) = materials.get_mut(&handle.0) {
            material.ocean = state;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seats_are_deterministic_and_keep_the_runway_clear() {
        let first = seats(5_000, 7);
        assert_eq!(first.len(), 5_000);
        assert_eq!(first, seats(5_000, 7));
        assert_ne!(first, seats(5_000, 8));
        for (hand, around) in &first {
            assert!(
                !(hand.x.abs() < 2.2 && hand.z < 27.5),
                "{hand} is on the runway"
            );
            assert!(hand.xz().length() >= 9.0 - 1e-3, "{hand} is on the stage");
            assert!((0.0..=1.0).contains(around));
        }
    }

    #[test]
    fn the_ocean_follows_its_cues() {
        let mut setlist = Setlist::built_in();
        let fandom = Vec4::from(setlist.audience.colour.to_linear().to_f32_array());
        let before = ocean_state(&setlist, 0.0, 0.0, 1.0);
        assert_eq!((before.colours[0], before.state.y), (fandom, 0.0));
        setlist.cues.push(crate::setlist::Cue {
            at: 10.0,
            item: 0,
            action: crate::setlist::CueAction::Ocean(Ocean::Wave),
        });
        setlist.cues.sort_by(|a, b| a.at.total_cmp(&b.at));
        let during = ocean_state(&setlist, 10.5, 0.0, 1.0);
        assert_eq!((during.state.y, during.state.z), (2.0, 0.0));
        assert!(
            (during.state.w - 0.5).abs() < 1e-6,
            "half faded after 0.5 s"
        );
        // Seeking back before the cue gives the fandom ocean again.
        assert_eq!(ocean_state(&setlist, 9.0, 0.0, 1.0).state.y, 0.0);
    }
}

//! The arena and its audience: a flat floor section round the stage and tiered stands rising
//! behind it, and on them one fan per seat: her lightstick's light (a glowing point sized on
//! screen, so it never streaks across the lens) and her dark silhouette. Lights and
//! silhouettes are one quad per fan in two meshes whose vertex shader swings and colours
//! them by the ocean's mode, so the CPU builds the meshes once and only updates a uniform
//! per frame.

use bevy::{
    camera::visibility::{NoFrustumCulling, RenderLayers},
    prelude::*,
};

use super::imag::AUDIENCE_LAYER;

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
/// Where the floor section begins (the stage's edge plus a barrier) and the stands begin,
/// metres from the stage's centre.
const FLOOR_FROM: f32 = 9.0;
const STANDS_FROM: f32 = 30.0;
/// The stands rise this much per metre back, in tiers this deep.
const RAKE: f32 = 0.45;
const TIER: f32 = 0.9;
/// Floor level, metres.
const FLOOR: f32 = -0.5;

/// How far the crowd of `fans` reaches from the stage's centre.
fn outer_radius(fans: u32) -> f32 {
    (FLOOR_FROM * FLOOR_FROM + 2.0 * fans as f32 / (DENSITY * SPAN)).sqrt()
}

/// The height of the floor or the tier at `radius`.
fn ground(radius: f32) -> f32 {
    let back = (radius - STANDS_FROM).max(0.0);
    FLOOR + (back / TIER).floor() * TIER * RAKE
}

/// Where `fans` fans stand: a bowl round the stage, flat on the floor near it and rising in
/// tiers further out, with the runway and the B-stage kept clear. Returns each fan's hand
/// and where round the venue she stands (0 to 1).
pub fn seats(fans: u32, seed: u64) -> Vec<(Vec3, f32)> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x00c0_ffee);
    let inner = FLOOR_FROM;
    // The area the crowd needs sets how far the bowl reaches.
    let outer = outer_radius(fans);
    let mut seats = Vec::with_capacity(fans as usize);
    while seats.len() < fans as usize {
        let radius = rng.random_range(inner * inner..outer * outer).sqrt();
        let angle = rng.random_range(-SPAN / 2.0..SPAN / 2.0);
        let (x, z) = (radius * angle.sin(), radius * angle.cos());
        let on_runway = x.abs() < 2.2 && z < 27.5;
        if on_runway {
            continue;
        }
        // Flat floor to 30 m, then tiers rising about one metre in two.
        let hand = ground(radius) + rng.random_range(1.35..1.75);
        seats.push((Vec3::new(x, hand, z), angle / SPAN + 0.5));
    }
    seats
}

/// The crowd's meshes: a square round each light, and a quad from each fan's feet (0) to
/// the top of her head (1).
fn crowd_meshes(fans: u32, seed: u64) -> (Mesh, Mesh) {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed_fa25);
    let sticks: Vec<([f32; 3], [f32; 2])> = seats(fans, seed)
        .into_iter()
        .map(|(hand, around)| (hand.to_array(), [around, rng.random()]))
        .collect();
    (
        super::quad_mesh(
            [[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]],
            &sticks,
        ),
        super::quad_mesh([[-1.0, 0.0], [1.0, 0.0], [1.0, 1.0], [-1.0, 1.0]], &sticks),
    )
}

/// The stands for a crowd of `fans`: tiers (tread and riser) round the crowd's arc from
/// [`STANDS_FROM`] to its back, every fifth riser a dim strip of light, a back wall, and a
/// glowing barrier round the floor section. Vertex colours on an unlit material.
pub fn stands_mesh(fans: u32) -> Mesh {
    const SEGMENTS: usize = 96;
    let outer = outer_radius(fans).max(STANDS_FROM) + TIER;
    let half = SPAN / 2.0 + 0.06;
    let mut positions: Vec<[f32; 3]> = Vec::new();
    let mut colours: Vec<[f32; 4]> = Vec::new();
    let mut indices: Vec<u32> = Vec::new();
    let at =
        |radius: f32, angle: f32, height: f32| [radius * angle.sin(), height, radius * angle.cos()];
    // One band round the arc between two (radius, height) edges, in one colour.
    let mut band = |from: (f32, f32), to: (f32, f32), colour: [f32; 4]| {
        let first = positions.len() as u32;
        for step in 0..=SEGMENTS {
            let angle = -half + 2.0 * half * step as f32 / SEGMENTS as f32;
            positions.push(at(from.0, angle, from.1));
            positions.push(at(to.0, angle, to.1));
            colours.extend([colour, colour]);
        }
        for step in 0..SEGMENTS as u32 {
            let a = first + step * 2;
            indices.extend([a, a + 1, a + 3, a, a + 3, a + 2]);
        }
    };
    let seat = [0.018, 0.018, 0.03, 1.0];
    let riser = [0.01, 0.01, 0.018, 1.0];
    let strip = [0.16, 0.05, 0.22, 1.0];
    // The floor section's barrier, and the stands' front wall with a ribbon of light.
    band(
        (FLOOR_FROM - 0.3, FLOOR),
        (FLOOR_FROM - 0.3, FLOOR + 1.1),
        riser,
    );
    band(
        (FLOOR_FROM - 0.3, FLOOR + 1.1),
        (FLOOR_FROM - 0.3, FLOOR + 1.16),
        [0.9, 0.3, 0.65, 1.0],
    );
    band((STANDS_FROM, FLOOR), (STANDS_FROM, FLOOR + 0.9), riser);
    band(
        (STANDS_FROM, FLOOR + 0.9),
        (STANDS_FROM, FLOOR + 1.1),
        [0.35, 0.12, 0.45, 1.0],
    );
    let tiers = ((outer - STANDS_FROM) / TIER).ceil() as usize;
    for tier in 0..tiers {
        let near = STANDS_FROM + tier as f32 * TIER;
        let height = ground(near + TIER * 0.5);
        let next = ground(near + TIER * 1.5);
        band((near, height), (near + TIER, height), seat);
        let colour = if tier % 5 == 4 { strip } else { riser };
        band((near + TIER, height), (near + TIER, next), colour);
    }
    // The back wall above the last tier.
    let top = ground(outer + TIER * 0.5);
    band((outer + TIER, top), (outer + TIER, top + 6.0), riser);
    Mesh::new(
        bevy::mesh::PrimitiveTopology::TriangleList,
        bevy::asset::RenderAssetUsages::RENDER_WORLD,
    )
    .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
    .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, colours)
    .with_inserted_indices(bevy::mesh::Indices::U32(indices))
}

/// Seats the crowd, again when the setlist's audience or seed changes.
#[expect(
    clippy::too_many_arguments,
    reason = "the stands, lights and silhouettes are made together"
)]
pub(crate) fn seat_crowd(
    arena: Res<super::Arena>,
    mut commands: Commands,
    setlist: Res<ShowSetlist>,
    profile: Res<RenderProfile>,
    fans: Res<FansOverride>,
    crowds: Query<(Entity, &Crowd)>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<CrowdMaterial>>,
    mut glows: ResMut<Assets<super::materials::GlowMaterial>>,
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
    // The stands stay when nobody comes (a smaller bowl).
    commands.spawn((
        ChildOf(arena.0),
        Name::new("Stands"),
        wanted,
        Mesh3d(meshes.add(stands_mesh(wanted.fans))),
        MeshMaterial3d(glows.add(super::materials::GlowMaterial::opaque(Color::WHITE))),
        Transform::default(),
        RenderLayers::layer(AUDIENCE_LAYER),
    ));
    if wanted.fans == 0 {
        return;
    }
    let (lights, bodies) = crowd_meshes(wanted.fans, wanted.seed);
    commands.spawn((
        ChildOf(arena.0),
        Name::new(format!("Crowd of {}: lightsticks", wanted.fans)),
        wanted,
        Mesh3d(meshes.add(lights)),
        MeshMaterial3d(materials.add(CrowdMaterial {
            alpha_mode: AlphaMode::Add,
            ..default()
        })),
        Transform::default(),
        RenderLayers::layer(AUDIENCE_LAYER),
        // The shader moves every light; the mesh's bounds do not know where.
        NoFrustumCulling,
    ));
    commands.spawn((
        ChildOf(arena.0),
        Name::new(format!("Crowd of {}: fans", wanted.fans)),
        wanted,
        Mesh3d(meshes.add(bodies)),
        MeshMaterial3d(materials.add(CrowdMaterial {
            alpha_mode: AlphaMode::Opaque,
            ocean: OceanState {
                more: Vec4::W,
                ..default()
            },
        })),
        Transform::default(),
        RenderLayers::layer(AUDIENCE_LAYER),
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
            let kind = material.ocean.more.w;
            material.ocean = state;
            material.ocean.more.w = kind;
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

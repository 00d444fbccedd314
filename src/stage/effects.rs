//! One-shot stage effects on cues (confetti, pyro, sparklers, CO2 jets and fireworks), and the
//! haze that hangs over the stage and shows the lights. Each
//! kind is one mesh of particles seeded from the setlist; the shader moves them as a function
//! of the seconds since the latest cue of that kind, so effects depend on the clock alone:
//! a seek shows what a playthrough would, and every cue plays once.

use bevy::{
    camera::visibility::NoFrustumCulling,
    pbr::{Material, MaterialPlugin},
    prelude::*,
    render::render_resource::{AsBindGroup, ShaderType},
    shader::ShaderRef,
};

use crate::setlist::ShowSetlist;
use rand::{Rng, SeedableRng, rngs::StdRng};

use crate::{
    clock::ConcertClock,
    graphics::RenderProfile,
    setlist::{CueAction, Setlist, raw::Effect},
};

pub(crate) fn plugin(app: &mut App) {
    bevy::asset::embedded_asset!(app, "shaders/effects.wgsl");
    app.add_plugins(MaterialPlugin::<EffectMaterial>::default());
}

/// Every kind of effect, in the shader's numbering.
pub const EFFECTS: [Effect; 5] = [
    Effect::Confetti,
    Effect::Pyro,
    Effect::Sparklers,
    Effect::Co2,
    Effect::Fireworks,
];

/// Seconds an effect lasts after its cue.
pub fn lifetime(effect: Effect) -> f64 {
    match effect {
        Effect::Confetti => 10.0,
        Effect::Pyro => 2.0,
        Effect::Sparklers => 5.5,
        Effect::Co2 => 3.2,
        Effect::Fireworks => 5.5,
    }
}

/// Particles of a kind at full quality.
fn particles(effect: Effect) -> u32 {
    match effect {
        Effect::Confetti => 2400,
        Effect::Pyro => 900,
        Effect::Sparklers => 1600,
        Effect::Co2 => 600,
        Effect::Fireworks => 1800,
    }
}

/// Where a kind's emitters stand.
fn emitters(effect: Effect) -> Vec<Vec3> {
    match effect {
        Effect::Confetti => vec![Vec3::new(-5.0, 0.3, 5.0), Vec3::new(5.0, 0.3, 5.0)],
        Effect::Pyro => (0..6)
            .map(|index| Vec3::new(-5.5 + index as f32 * 2.2, 0.0, 6.3))
            .collect(),
        Effect::Sparklers => (0..8)
            .map(|index| {
                let angle = -1.1 + index as f32 * 2.2 / 7.0;
                Vec3::new(6.8 * angle.sin(), 0.0, 6.8 * angle.cos())
            })
            .collect(),
        Effect::Co2 => vec![
            Vec3::new(-3.5, 0.0, 4.5),
            Vec3::new(3.5, 0.0, 4.5),
            Vec3::new(-6.2, 0.0, 1.0),
            Vec3::new(6.2, 0.0, 1.0),
        ],
        Effect::Fireworks => (0..4)
            .map(|index| Vec3::new(-7.5 + index as f32 * 5.0, 2.0, -7.0))
            .collect(),
    }
}

/// The latest cue of `effect` still playing at `seconds`, as seconds since it fired.
pub fn age_at(setlist: &Setlist, effect: Effect, seconds: f64) -> Option<f64> {
    setlist.cues[..setlist.cues_until(seconds)]
        .iter()
        .rev()
        .take_while(|cue| seconds - cue.at < 30.0)
        .find(|cue| cue.action == CueAction::Effect(effect))
        .map(|cue| seconds - cue.at)
        .filter(|age| *age < lifetime(effect))
}

/// The haze's number in the shader, after the cued effects.
const HAZE_KIND: usize = 5;
/// The haze over the stage: always there, drifting, lit in the look's colours.
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub(crate) struct Haze {
    puffs: u32,
    seed: u64,
}

/// Puffs spread over the stage and the front rows, each with its own seeds.
fn haze_mesh(puffs: u32, seed: u64) -> Mesh {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x4a2e);
    let origins = (0..puffs)
        .map(|_| {
            Vec3::new(
                rng.random_range(-8.0..8.0),
                rng.random_range(1.5..6.0),
                rng.random_range(-4.0..5.0),
            )
        })
        .collect();
    quads(origins, &mut rng)
}

/// Spawns the haze, again when the seed or the quality's share changes.
pub(crate) fn spawn_haze(
    arena: Res<super::Arena>,
    mut commands: Commands,
    setlist: Res<ShowSetlist>,
    profile: Res<RenderProfile>,
    existing: Query<(Entity, &Haze)>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<EffectMaterial>>,
) {
    let wanted = Haze {
        puffs: profile.haze,
        seed: setlist.seed,
    };
    if existing.iter().any(|(_, haze)| *haze == wanted) {
        return;
    }
    for (entity, _) in &existing {
        commands.entity(entity).despawn();
    }
    if wanted.puffs == 0 {
        return;
    }
    commands.spawn((
        ChildOf(arena.0),
        Name::new("Haze"),
        wanted,
        Mesh3d(meshes.add(haze_mesh(wanted.puffs, wanted.seed))),
        MeshMaterial3d(materials.add(EffectMaterial::default())),
        Transform::default(),
        NoFrustumCulling,
    ));
}

/// Drifts the haze and tints it with the look; it thins out in a blackout.
pub(crate) fn light_haze(
    clock: Res<ConcertClock>,
    now: Res<crate::show::Now>,
    hazes: Query<&MeshMaterial3d<EffectMaterial>, With<Haze>>,
    mut materials: ResMut<Assets<EffectMaterial>>,
) {
    let rig = &now.lights;
    let mut colours = [Vec4::ONE; 4];
    for (index, slot) in colours.iter_mut().enumerate() {
        if let Some(colour) = rig.colours.get(index % rig.colours.len().max(1)) {
            *slot = Vec4::from(colour.to_f32_array());
        }
    }
    let level = rig.wall.2;
    let burst = Burst {
        state: Vec4::new(clock.seconds as f32, HAZE_KIND as f32, level, 0.0),
        colours,
    };
    for handle in &hazes {
        if let Some(mut material) = materials.get_mut(&handle.0) {
            material.burst = burst;
        }
    }
}

/// What an effect's shader needs.
#[derive(ShaderType, Debug, Clone, Copy, Default, PartialEq)]
pub struct Burst {
    /// x seconds since the cue, y kind, z brightness.
    pub state: Vec4,
    /// Colours the particles pick from (members' for confetti and fireworks).
    pub colours: [Vec4; 4],
}

/// Particles added onto the picture, moved by their age in the shader.
#[derive(Asset, TypePath, AsBindGroup, Debug, Clone, Default)]
pub struct EffectMaterial {
    /// Age, kind and colours.
    #[uniform(0)]
    pub burst: Burst,
}

impl Material for EffectMaterial {
    fn vertex_shader() -> ShaderRef {
        "embedded://encore/stage/shaders/effects.wgsl".into()
    }

    fn fragment_shader() -> ShaderRef {
        "embedded://encore/stage/shaders/effects.wgsl".into()
    }

    fn alpha_mode(&self) -> AlphaMode {
        AlphaMode::Add
    }

    fn enable_shadows() -> bool {
        false
    }

    fn enable_prepass() -> bool {
        false
    }
}

/// A kind of effect's particles.
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub(crate) struct EffectParticles {
    kind: usize,
    count: u32,
    seed: u64,
}

/// `count` particles at `effect`'s emitters, each with its own seeds.
fn particle_mesh(effect: Effect, count: u32, seed: u64) -> Mesh {
    let mut rng = StdRng::seed_from_u64(seed ^ (0xef_fec7 + effect as u64));
    let emitters = emitters(effect);
    let origins = (0..count as usize)
        .map(|index| emitters[index % emitters.len()])
        .collect();
    quads(origins, &mut rng)
}

/// A quad per particle at `origins`, with six random seeds each for the shader (two in the
/// second UVs, four in the colours).
fn quads(origins: Vec<Vec3>, rng: &mut StdRng) -> Mesh {
    let mut more = Vec::with_capacity(origins.len() * 4);
    let particles: Vec<([f32; 3], [f32; 2])> = origins
        .into_iter()
        .map(|origin| {
            let seed: [f32; 2] = [rng.random(), rng.random()];
            let extra: [f32; 4] = [rng.random(), rng.random(), rng.random(), rng.random()];
            more.extend([extra; 4]);
            (origin.to_array(), seed)
        })
        .collect();
    super::quad_mesh(
        [[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]],
        &particles,
    )
    .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, more)
}

/// Spawns each kind's particles, again when the seed or the quality's share changes.
pub(crate) fn spawn_effects(
    mut commands: Commands,
    setlist: Res<ShowSetlist>,
    profile: Res<RenderProfile>,
    existing: Query<(Entity, &EffectParticles)>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<EffectMaterial>>,
) {
    for (kind, effect) in EFFECTS.iter().enumerate() {
        let wanted = EffectParticles {
            kind,
            count: (particles(*effect) as f32 * profile.particles).round() as u32,
            seed: setlist.seed,
        };
        if existing.iter().any(|(_, particles)| *particles == wanted) {
            continue;
        }
        for (entity, particles) in &existing {
            if particles.kind == kind {
                commands.entity(entity).despawn();
            }
        }
        commands.spawn((
            Name::new(format!("{effect:?} particles")),
            wanted,
            Mesh3d(meshes.add(particle_mesh(*effect, wanted.count, wanted.seed))),
            MeshMaterial3d(materials.add(EffectMaterial::default())),
            Transform::default(),
            Visibility::Hidden,
            NoFrustumCulling,
        ));
    }
}

/// Shows the effects whose cue is still playing, at their age.
pub(crate) fn play_effects(
    clock: Res<ConcertClock>,
    setlist: Res<ShowSetlist>,
    mut effects: Query<(
        &EffectParticles,
        &MeshMaterial3d<EffectMaterial>,
        &mut Visibility,
    )>,
    mut materials: ResMut<Assets<EffectMaterial>>,
) {
    let mut colours = [Vec4::ONE; 4];
    for (slot, idol) in colours.iter_mut().zip(&setlist.cast) {
        *slot = Vec4::from(idol.colour.to_linear().to_f32_array());
    }
    for (particles, material, mut visibility) in &mut effects {
        let effect = EFFECTS[particles.kind];
        let Some(age) = age_at(&setlist, effect, clock.seconds) else {
            visibility.set_if_neq(Visibility::Hidden);
            continue;
        };
        visibility.set_if_neq(Visibility::Inherited);
        if let Some(mut material) = materials.get_mut(&material.0) {
            material.burst = Burst {
                state: Vec4::new(age as f32, particles.kind as f32, 1.0, 0.0),
                colours,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effects_play_once_from_their_cue() {
        let setlist = Setlist::built_in();
        // The demo fires CO2 at the first chorus (bar 17).
        let at = setlist.seconds_at(0, 17, 1.0).expect("first song");
        assert_eq!(age_at(&setlist, Effect::Co2, at - 0.01), None);
        let age = age_at(&setlist, Effect::Co2, at + 1.0).expect("playing");
        assert!((age - 1.0).abs() < 1e-9);
        // Over once its time is up, and the same state whichever way the playhead came.
        assert_eq!(
            age_at(&setlist, Effect::Co2, at + lifetime(Effect::Co2) + 0.1),
            None
        );
        assert_eq!(age_at(&setlist, Effect::Co2, at + 1.0), Some(age));
        // Nothing else is cued there.
        assert_eq!(age_at(&setlist, Effect::Fireworks, at + 1.0), None);
    }

    #[test]
    fn particles_are_seeded_from_the_setlist() {
        let seeds = |seed: u64| match particle_mesh(Effect::Confetti, 50, seed)
            .attribute(Mesh::ATTRIBUTE_UV_1)
        {
            Some(bevy::mesh::VertexAttributeValues::Float32x2(values)) => values.clone(),
            other => panic!("seeds are two floats, not {other:?}"),
        };
        assert_eq!(seeds(3), seeds(3));
        assert_ne!(seeds(3), seeds(4));
    }
}

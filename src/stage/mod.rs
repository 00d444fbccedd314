//! The built-in stage: floor, LED wall, truss, lights and five performers that move on the
//! beat. It is the scene every run shows until a setlist describes its own.

use std::f32::consts::TAU;

use bevy::prelude::*;

use crate::{
    AppSystems,
    clock::ConcertClock,
    graphics::RenderProfile,
    setlist::{CueAction, CueFired, Setlist, raw::Look, validate::parse_colour},
};

pub(crate) fn plugin(app: &mut App) {
    app.insert_resource(ClearColor(NIGHT_SKY));
    app.insert_resource(GlobalAmbientLight {
        color: Color::srgb(0.55, 0.5, 0.8),
        brightness: 90.0,
        ..default()
    });
    app.init_resource::<StageFlash>();
    app.add_systems(Startup, spawn_stage);
    app.add_systems(
        Update,
        (flash_on_effects, sweep_colour_lights, pulse_led_wall)
            .chain()
            .in_set(AppSystems::Lights),
    );
}

/// Behind the stage: a deep blue night, so lit figures stand out.
const NIGHT_SKY: Color = Color::srgb(0.015, 0.012, 0.04);

/// A brief brightening of the LED wall when an effect cue fires: 1 at the cue, fading to 0.
#[derive(Resource, Debug, Default, Clone, Copy, PartialEq)]
pub struct StageFlash(pub f32);

/// A coloured stage light that sweeps across the stage on the beat.
#[derive(Component, Debug, Clone, Copy)]
struct SweepingLight {
    /// Which side of the truss it hangs on: -1 left, 1 right.
    side: f32,
}

/// The LED wall behind the performers.
#[derive(Component, Debug)]
struct LedWall;

fn spawn_stage(
    mut commands: Commands,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    profile: Res<RenderProfile>,
) {
    let floor = materials.add(StandardMaterial {
        base_color: Color::srgb(0.06, 0.055, 0.09),
        perceptual_roughness: 0.3,
        metallic: 0.2,
        ..default()
    });
    commands.spawn((
        Name::new("Stage floor"),
        Mesh3d(meshes.add(Cylinder::new(7.0, 0.5).mesh().resolution(96))),
        MeshMaterial3d(floor),
        Transform::from_xyz(0.0, -0.25, 0.0),
    ));
    commands.spawn((
        Name::new("Stage rim"),
        Mesh3d(meshes.add(Torus::new(6.95, 7.05).mesh().major_resolution(128))),
        MeshMaterial3d(materials.add(glowing(Color::srgb(1.0, 0.5, 0.82)))),
        Transform::default(),
    ));
    commands.spawn((
        Name::new("Arena floor"),
        Mesh3d(meshes.add(Plane3d::default().mesh().size(60.0, 60.0))),
        MeshMaterial3d(materials.add(glowing(Color::srgb(0.012, 0.012, 0.02)))),
        Transform::from_xyz(0.0, -0.5, 0.0),
    ));
    commands.spawn((
        Name::new("LED wall"),
        LedWall,
        Mesh3d(meshes.add(Cuboid::new(13.0, 5.5, 0.2))),
        MeshMaterial3d(materials.add(glowing(Color::srgb(0.4, 0.1, 0.6)))),
        Transform::from_xyz(0.0, 3.0, -5.5),
    ));
    spawn_truss(&mut commands, &mut meshes, &mut materials);

    commands.spawn((
        Name::new("Key light"),
        SpotLight {
            color: Color::srgb(1.0, 0.96, 0.9),
            intensity: 4_000_000.0,
            range: 40.0,
            outer_angle: 0.55,
            inner_angle: 0.35,
            shadow_maps_enabled: true,
            ..default()
        },
        Transform::from_xyz(0.0, 9.0, 10.0).looking_at(Vec3::new(0.0, 1.0, 0.0), Vec3::Y),
    ));
    for side in [-1.0, 1.0] {
        commands.spawn((
            Name::new(if side < 0.0 {
                "Left colour light"
            } else {
                "Right colour light"
            }),
            SweepingLight { side },
            SpotLight {
                intensity: COLOUR_LIGHT_INTENSITY,
                range: 30.0,
                outer_angle: 0.45,
                inner_angle: 0.2,
                shadow_maps_enabled: profile.colour_light_shadows,
                ..default()
            },
            Transform::from_xyz(side * 5.5, 7.0, -1.0).looking_at(Vec3::ZERO, Vec3::Y),
        ));
    }
}

/// A surface that shows its own colour whatever the lights do: LED panels, light strips and
/// the dark arena floor. Unlit shading also costs a fraction of PBR on a software rasterizer.
fn glowing(colour: Color) -> StandardMaterial {
    StandardMaterial {
        base_color: colour,
        unlit: true,
        ..default()
    }
}

fn spawn_truss(
    commands: &mut Commands,
    meshes: &mut Assets<Mesh>,
    materials: &mut Assets<StandardMaterial>,
) {
    let metal = materials.add(StandardMaterial {
        base_color: Color::srgb(0.25, 0.25, 0.28),
        metallic: 0.8,
        perceptual_roughness: 0.4,
        ..default()
    });
    let post = meshes.add(Cuboid::new(0.3, 7.5, 0.3));
    for side in [-1.0, 1.0] {
        commands.spawn((
            Name::new("Truss post"),
            Mesh3d(post.clone()),
            MeshMaterial3d(metal.clone()),
            Transform::from_xyz(side * 6.0, 3.25, -1.0),
        ));
    }
    commands.spawn((
        Name::new("Truss beam"),
        Mesh3d(meshes.add(Cuboid::new(12.3, 0.3, 0.3))),
        MeshMaterial3d(metal),
        Transform::from_xyz(0.0, 7.0, -1.0),
    ));
}

/// Full brightness of a colour spot.
const COLOUR_LIGHT_INTENSITY: f32 = 3_000_000.0;

/// Colours of the left and right spots for a light look, and how bright they are (0 to 1).
fn look_colours(look: &Look, setlist: &Setlist, clock: &ConcertClock) -> ([Color; 2], f32) {
    let member = |index: usize| {
        setlist
            .cast
            .get(index % setlist.cast.len().max(1))
            .map_or(Color::WHITE, |idol| idol.colour)
    };
    match look {
        Look::Warm => (
            [Color::srgb(1.0, 0.72, 0.4), Color::srgb(1.0, 0.9, 0.75)],
            1.0,
        ),
        Look::Cool => (
            [Color::srgb(0.3, 0.45, 1.0), Color::srgb(0.65, 0.4, 1.0)],
            1.0,
        ),
        Look::Member(id) => {
            let colour = setlist
                .idol(id)
                .map_or(Color::WHITE, |(_, idol)| idol.colour);
            ([colour, colour], 1.0)
        }
        Look::Colour(hex) => {
            let colour = parse_colour(hex).unwrap_or(Color::WHITE);
            ([colour, colour], 1.0)
        }
        Look::Rainbow => {
            // Member colours, moving on by one every bar.
            let bar = clock.bars().floor().max(0.0) as usize;
            ([member(bar), member(bar + 1)], 1.0)
        }
        Look::Strobe => {
            let on = clock.beat_phase() < 0.25;
            ([Color::WHITE, Color::WHITE], if on { 1.0 } else { 0.05 })
        }
        Look::Blackout => ([Color::BLACK, Color::BLACK], 0.0),
    }
}

/// Colours and brightness of the spots at the clock's time: the cued look, faded in over
/// the previous one; before any cue, member colours.
fn light_state(setlist: &Setlist, clock: &ConcertClock) -> ([Color; 2], f32) {
    let Some(state) = setlist.light_at(clock.seconds) else {
        return look_colours(&Look::Rainbow, setlist, clock);
    };
    let (to, to_level) = look_colours(state.look, setlist, clock);
    let Some(previous) = state.previous else {
        return (to, to_level);
    };
    let (from, from_level) = look_colours(previous, setlist, clock);
    let blend = state.blend as f32;
    let mix = |a: Color, b: Color| Color::from(a.to_linear().mix(&b.to_linear(), blend));
    (
        [mix(from[0], to[0]), mix(from[1], to[1])],
        from_level + (to_level - from_level) * blend,
    )
}

fn flash_on_effects(
    time: Res<Time>,
    mut fired: MessageReader<CueFired>,
    mut flash: ResMut<StageFlash>,
) {
    flash.0 = (flash.0 - time.delta_secs() * 1.5).max(0.0);
    if fired
        .read()
        .any(|CueFired(cue)| matches!(cue.action, CueAction::Effect(_)))
    {
        flash.0 = 1.0;
    }
}

fn sweep_colour_lights(
    clock: Res<ConcertClock>,
    setlist: Res<Setlist>,
    mut lights: Query<(&SweepingLight, &mut Transform, &mut SpotLight)>,
) {
    // One sweep across the stage every bar.
    let angle = (clock.bars() as f32 * TAU).sin();
    let (colours, level) = light_state(&setlist, &clock);
    for (light, mut transform, mut spot) in &mut lights {
        let target = Vec3::new(-light.side * angle * 3.5, 0.0, 0.5 + angle.abs());
        transform.look_at(target, Vec3::Y);
        spot.color = colours[usize::from(light.side > 0.0)];
        spot.intensity = COLOUR_LIGHT_INTENSITY * level;
    }
}

fn pulse_led_wall(
    clock: Res<ConcertClock>,
    setlist: Res<Setlist>,
    flash: Res<StageFlash>,
    walls: Query<&MeshMaterial3d<StandardMaterial>, With<LedWall>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    // Bright on the beat, decaying through it, tinted by the light look; effects flash it.
    let beat_glow = 1.0 - clock.beat_phase() as f32;
    let (colours, level) = light_state(&setlist, &clock);
    let tint = Hsla::from(colours[0]);
    let lightness = (0.12 + 0.35 * beat_glow * beat_glow) * (0.35 + 0.65 * level);
    let colour = Color::hsl(
        tint.hue,
        tint.saturation.max(0.5),
        (lightness + 0.5 * flash.0).min(0.95),
    );
    for handle in &walls {
        if let Some(mut material) = materials.get_mut(&handle.0) {
            material.base_color = colour;
        }
    }
}

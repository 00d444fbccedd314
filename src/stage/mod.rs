//! The built-in stage: floor, LED wall, truss, lights and five performers that move on the
//! beat. It is the scene every run shows until a setlist describes its own.

use std::f32::consts::{FRAC_PI_2, TAU};

use bevy::prelude::*;

use crate::{AppSystems, clock::ConcertClock, graphics::RenderProfile};

pub(crate) fn plugin(app: &mut App) {
    app.insert_resource(ClearColor(NIGHT_SKY));
    app.insert_resource(GlobalAmbientLight {
        color: Color::srgb(0.55, 0.5, 0.8),
        brightness: 90.0,
        ..default()
    });
    app.add_systems(Startup, spawn_stage);
    app.add_systems(Update, bounce_performers.in_set(AppSystems::Choreography));
    app.add_systems(
        Update,
        (sweep_colour_lights, pulse_led_wall).in_set(AppSystems::Lights),
    );
}

/// Behind the stage: a deep blue night, so lit figures stand out.
const NIGHT_SKY: Color = Color::srgb(0.015, 0.012, 0.04);

/// The fandom colours of the five built-in performers, left to right.
pub const MEMBER_COLOURS: [Color; 5] = [
    Color::srgb(1.0, 0.35, 0.65),
    Color::srgb(0.3, 0.7, 1.0),
    Color::srgb(0.72, 0.5, 1.0),
    Color::srgb(0.35, 0.95, 0.7),
    Color::srgb(1.0, 0.8, 0.3),
];

/// Where the performers stand, in metres from the stage centre (x to the audience's right).
const PERFORMER_SPACING: f32 = 1.6;

/// One of the figures on the built-in stage.
#[derive(Component, Debug, Clone, Copy)]
pub struct Performer {
    /// Position in the line, 0 at the audience's left.
    pub index: usize,
    /// Where she stands when not moving.
    pub home: Vec3,
}

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
    spawn_performers(&mut commands, &mut meshes, &mut materials);

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
        let colour = if side < 0.0 {
            MEMBER_COLOURS[0]
        } else {
            MEMBER_COLOURS[1]
        };
        commands.spawn((
            Name::new(if side < 0.0 {
                "Left colour light"
            } else {
                "Right colour light"
            }),
            SweepingLight { side },
            SpotLight {
                color: colour,
                intensity: 3_000_000.0,
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

fn spawn_performers(
    commands: &mut Commands,
    meshes: &mut Assets<Mesh>,
    materials: &mut Assets<StandardMaterial>,
) {
    let body = meshes.add(Capsule3d::new(0.22, 0.9));
    let head = meshes.add(Sphere::new(0.17).mesh().uv(24, 16));
    let hair = meshes.add(Sphere::new(0.185).mesh().uv(24, 16));
    let skin = materials.add(StandardMaterial {
        base_color: Color::srgb(0.98, 0.82, 0.72),
        perceptual_roughness: 0.6,
        ..default()
    });
    let hair_colour = materials.add(StandardMaterial {
        base_color: Color::srgb(0.08, 0.06, 0.07),
        perceptual_roughness: 0.4,
        ..default()
    });
    for (index, colour) in MEMBER_COLOURS.into_iter().enumerate() {
        let home = performer_home(index);
        let outfit = materials.add(StandardMaterial {
            base_color: colour,
            perceptual_roughness: 0.35,
            ..default()
        });
        commands.spawn((
            Name::new(format!("Performer {}", index + 1)),
            Performer { index, home },
            Transform::from_translation(home),
            Visibility::default(),
            children![
                (
                    Name::new("Body"),
                    Mesh3d(body.clone()),
                    MeshMaterial3d(outfit),
                    Transform::from_xyz(0.0, 0.67, 0.0),
                ),
                (
                    Name::new("Head"),
                    Mesh3d(head.clone()),
                    MeshMaterial3d(skin.clone()),
                    Transform::from_xyz(0.0, 1.5, 0.02),
                ),
                (
                    Name::new("Hair"),
                    Mesh3d(hair.clone()),
                    MeshMaterial3d(hair_colour.clone()),
                    Transform::from_xyz(0.0, 1.55, -0.03),
                ),
            ],
        ));
    }
}

/// Home mark of performer `index`: a shallow arc facing the audience (+z).
pub fn performer_home(index: usize) -> Vec3 {
    let offset = index as f32 - (MEMBER_COLOURS.len() as f32 - 1.0) / 2.0;
    Vec3::new(
        offset * PERFORMER_SPACING,
        0.0,
        0.6 - 0.25 * offset * offset,
    )
}

/// A bounce on every beat and a sway over two beats, offset per performer like a wave.
fn bounce_performers(
    clock: Res<ConcertClock>,
    mut performers: Query<(&Performer, &mut Transform)>,
) {
    let beats = clock.beats() as f32;
    for (performer, mut transform) in &mut performers {
        let phase = beats - performer.index as f32 * 0.15;
        let bounce = (phase * std::f32::consts::PI).sin().abs() * 0.12;
        let sway = (phase * FRAC_PI_2).sin() * 0.18;
        transform.translation = performer.home + Vec3::new(sway * 0.5, bounce, 0.0);
        transform.rotation = Quat::from_rotation_z(-sway * 0.35);
    }
}

fn sweep_colour_lights(
    clock: Res<ConcertClock>,
    mut lights: Query<(&SweepingLight, &mut Transform)>,
) {
    // One sweep across the stage every four beats (a bar of 4/4).
    let angle = (clock.beats() as f32 / 4.0 * TAU).sin();
    for (light, mut transform) in &mut lights {
        let target = Vec3::new(-light.side * angle * 3.5, 0.0, 0.5 + angle.abs());
        transform.look_at(target, Vec3::Y);
    }
}

fn pulse_led_wall(
    clock: Res<ConcertClock>,
    walls: Query<&MeshMaterial3d<StandardMaterial>, With<LedWall>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    // Bright on the beat, decaying through it, with the hue drifting per bar.
    let beat_glow = 1.0 - clock.beat_phase() as f32;
    let bar_hue = (clock.beats() as f32 / 4.0).floor() * 47.0 % 360.0;
    let colour = Color::hsl(260.0 + bar_hue, 0.8, 0.15 + 0.4 * beat_glow * beat_glow);
    for handle in &walls {
        if let Some(mut material) = materials.get_mut(&handle.0) {
            material.base_color = colour;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    #[test]
    fn spawns_five_named_performers_on_their_marks() {
        let mut app = testing::app();
        testing::step(&mut app, 1);
        let world = app.world_mut();
        let mut performers: Vec<_> = world
            .query::<(&Name, &Performer)>()
            .iter(world)
            .map(|(name, performer)| (name.to_string(), performer.home))
            .collect();
        performers.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(performers.len(), 5);
        assert_eq!(performers[0].0, "Performer 1");
        // Left to right, never overlapping.
        for pair in performers.windows(2) {
            assert!(pair[1].1.x - pair[0].1.x >= PERFORMER_SPACING - 1e-4);
        }
    }

    #[test]
    fn performers_bounce_on_the_beat() {
        let mut app = testing::app();
        testing::step(&mut app, 1);
        let height_at = |app: &mut App, seconds: f64| {
            app.world_mut().resource_mut::<ConcertClock>().playing = false;
            app.world_mut().resource_mut::<ConcertClock>().seconds = seconds;
            testing::step(app, 1);
            let world = app.world_mut();
            world
                .query::<(&Performer, &Transform)>()
                .iter(world)
                .find(|(p, _)| p.index == 0)
                .map(|(p, t)| t.translation.y - p.home.y)
                .expect("performer 0 was spawned")
        };
        // At 120 bpm a beat lasts 0.5 s: down on the beat, up between beats.
        let on_beat = height_at(&mut app, 1.0);
        let between = height_at(&mut app, 1.25);
        assert!(on_beat < 0.01, "{on_beat}");
        assert!(between > 0.1, "{between}");
    }
}

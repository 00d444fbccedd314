//! The venue: a main stage with a runway to a B-stage, steps, truss and an LED wall playing
//! beat-synced visuals; a light rig of key light, follow spot, washes, moving heads and
//! lasers driven by the setlist's looks; and the lightstick crowd.
//!
//! The rig is computed once per frame from the clock ([`rig::rig_at`]). On the `low` preset it
//! lights cel-shaded materials through a uniform and no Bevy light exists; on `medium` and
//! `high` the same rig drives real spot lights with shadows.

mod crowd;
pub mod effects;
pub mod imag;
mod materials;
mod pools;

use std::collections::HashMap;

use bevy::{
    asset::RenderAssetUsages,
    mesh::{Indices, PrimitiveTopology},
    prelude::*,
};

use crate::{colour::ShowLinear, setlist::ShowSetlist};
use encore_show::colour::Linear;

use self::materials::{CEL_SPOTS, CelRig, CelSpot, WallState};
pub use encore_show::lights::{LASERS, MOVING_HEADS, Rig, Spot, TRUSS_HEIGHT};

pub use self::{
    crowd::FansOverride,
    materials::{CelMaterial, GlowMaterial, LedWallMaterial},
};
use crate::{
    AppSystems,
    clock::ConcertClock,
    graphics::RenderProfile,
    setlist::{
        CueAction,
        raw::{Background, Venue},
    },
    show::Now,
};

pub(crate) fn plugin(app: &mut App) {
    app.add_plugins((materials::plugin, effects::plugin));
    app.insert_resource(ClearColor(NIGHT_SKY));
    // Everything of the arena (the set, the crowd, the screens, the beams, the haze and the
    // light pools) hangs under one root, hidden in a studio.
    let arena = app
        .world_mut()
        .spawn((
            Name::new("Arena"),
            Transform::default(),
            Visibility::default(),
        ))
        .id();
    app.insert_resource(Arena(arena));
    app.insert_resource(GlobalAmbientLight {
        color: Color::srgb(0.55, 0.5, 0.8),
        brightness: 30.0,
        ..default()
    });
    app.init_resource::<StageFlash>();
    app.init_resource::<FansOverride>();
    app.init_resource::<CelConversions>();
    app.init_resource::<SharedCel>();
    app.init_resource::<SharedOutline>();
    app.add_systems(
        Startup,
        (
            spawn_set,
            spawn_lights,
            imag::spawn_imag,
            pools::spawn_pools,
        ),
    );
    app.add_systems(Update, imag::film_the_singer.in_set(AppSystems::Camera));
    app.add_systems(Update, dress_the_venue.in_set(AppSystems::Lights));
    app.add_systems(
        Update,
        (
            flash_on_effects,
            (
                aim_real_lights,
                aim_beams,
                light_cel_materials,
                play_led_wall,
                pools::lay_pools,
                crowd::seat_crowd,
                crowd::wave_lightsticks,
                effects::spawn_effects,
                effects::play_effects,
                effects::spawn_haze,
                effects::light_haze,
                use_cel_materials,
            ),
        )
            .chain()
            .in_set(AppSystems::Lights),
    );
}

/// Behind the stage: a deep blue night, so lit figures stand out.
const NIGHT_SKY: Color = Color::srgb(0.015, 0.012, 0.04);

/// The root entity of the arena: hidden in a studio.
#[derive(Resource, Debug, Clone, Copy)]
pub struct Arena(pub Entity);

/// The chroma-key green of a studio's green screen.
pub const GREEN_SCREEN: Color = Color::srgb(0.0, 0.694, 0.251);

/// What is behind the idols: the night sky over the arena, or a studio's background.
pub fn background(venue: &Venue) -> Color {
    match venue {
        Venue::Arena => NIGHT_SKY,
        Venue::Studio { background } => match background {
            Background::Colour(colour) => colour
                .srgb()
                .map_or(Color::BLACK, crate::colour::ShowColour::color),
            Background::Green => GREEN_SCREEN,
            Background::Transparent => Color::NONE,
        },
    }
}

/// Shows the arena or the studio the setlist asks for (at start and on a reload): the arena's
/// root hidden or shown and the background behind the idols (the IMAG camera switches
/// itself off in a studio).
fn dress_the_venue(
    setlist: Res<crate::setlist::ShowSetlist>,
    arena: Res<Arena>,
    mut roots: Query<&mut Visibility>,
    mut clear: ResMut<ClearColor>,
) {
    let studio = matches!(setlist.venue, Venue::Studio { .. });
    if let Ok(mut visibility) = roots.get_mut(arena.0) {
        visibility.set_if_neq(if studio {
            Visibility::Hidden
        } else {
            Visibility::Inherited
        });
    }
    let wanted = background(&setlist.venue);
    if clear.0 != wanted {
        clear.0 = wanted;
    }
}

/// A brief brightening of the LED wall when an effect cue fires: 1 at the cue, fading to 0.
#[derive(Resource, Debug, Default, Clone, Copy, PartialEq)]
pub struct StageFlash(pub f32);

/// Which light of the rig a Bevy spot light or a beam shows.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
enum RigLight {
    Key,
    Follow(usize),
    Wash(usize),
    Head(usize),
    Laser(usize),
}

impl RigLight {
    fn spot(self, rig: &Rig) -> Option<&Spot> {
        match self {
            Self::Key => rig.key.as_ref(),
            Self::Follow(index) => rig.follows.get(index),
            Self::Wash(index) => rig.washes.get(index),
            Self::Head(index) => rig.heads.get(index),
            Self::Laser(index) => rig.lasers.get(index),
        }
    }

    /// Lumens of a Bevy spot light at level 1.
    fn lumens(self) -> f32 {
        match self {
            Self::Key => 4_500_000.0,
            Self::Follow(_) => 2_500_000.0,
            Self::Wash(_) | Self::Head(_) => 6_000_000.0,
            Self::Laser(_) => 0.0,
        }
    }
}

/// Follow spots on the truss: one per member, for casts of up to this many.
const FOLLOW_SPOTS: usize = 8;

/// A visible beam in the haze: a cone (or a laser's thin box) added onto the picture.
#[derive(Component, Debug, Clone, Copy)]
struct Beam;

/// The LED wall's screen.
#[derive(Component, Debug)]
struct LedWall;

/// A glowing surface, a panel or a strip.
fn glow(glows: &mut Assets<GlowMaterial>, colour: Color) -> MeshMaterial3d<GlowMaterial> {
    MeshMaterial3d(glows.add(GlowMaterial::opaque(colour)))
}

fn spawn_set(
    arena: Res<Arena>,
    mut commands: Commands,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut glows: ResMut<Assets<GlowMaterial>>,
    mut walls: ResMut<Assets<LedWallMaterial>>,
) {
    let deck = materials.add(StandardMaterial {
        base_color: Color::srgb(0.07, 0.065, 0.1),
        perceptual_roughness: 0.3,
        metallic: 0.2,
        ..default()
    });
    let pink = Color::srgb(1.0, 0.5, 0.82);
    // The main stage, the runway and the B-stage out in the crowd, all decks 0.5 m high.
    commands.spawn((
        ChildOf(arena.0),
        Name::new("Main stage"),
        Mesh3d(meshes.add(Cylinder::new(7.0, 0.5).mesh().resolution(96))),
        MeshMaterial3d(deck.clone()),
        Transform::from_xyz(0.0, -0.25, 0.0),
    ));
    commands.spawn((
        ChildOf(arena.0),
        Name::new("Main stage rim"),
        Mesh3d(meshes.add(Torus::new(6.95, 7.05).mesh().major_resolution(128))),
        glow(&mut glows, pink),
    ));
    commands.spawn((
        ChildOf(arena.0),
        Name::new("Runway"),
        Mesh3d(meshes.add(Cuboid::new(2.4, 0.5, 14.0))),
        MeshMaterial3d(deck.clone()),
        Transform::from_xyz(0.0, -0.25, 13.0),
    ));
    let strip = meshes.add(Cuboid::new(0.06, 0.06, 14.0));
    for side in [-1.0, 1.0] {
        commands.spawn((
            ChildOf(arena.0),
            Name::new("Runway edge light"),
            Mesh3d(strip.clone()),
            glow(&mut glows, pink),
            Transform::from_xyz(side * 1.2, 0.0, 13.0),
        ));
    }
    commands.spawn((
        ChildOf(arena.0),
        Name::new("B-stage"),
        Mesh3d(meshes.add(Cylinder::new(3.5, 0.5).mesh().resolution(64))),
        MeshMaterial3d(deck.clone()),
        Transform::from_xyz(0.0, -0.25, 23.0),
    ));
    commands.spawn((
        ChildOf(arena.0),
        Name::new("B-stage rim"),
        Mesh3d(meshes.add(Torus::new(3.45, 3.55).mesh().major_resolution(96))),
        glow(&mut glows, pink),
        Transform::from_xyz(0.0, 0.0, 23.0),
    ));
    // Steps down to the floor on both sides of the runway.
    let step = meshes.add(Cuboid::new(2.0, 0.17, 0.35));
    for side in [-1.0, 1.0] {
        for level in 0..3 {
            let level = level as f32;
            commands.spawn((
                ChildOf(arena.0),
                Name::new("Step"),
                Mesh3d(step.clone()),
                MeshMaterial3d(deck.clone()),
                Transform::from_xyz(side * 3.2, -0.085 - level * 0.17, 6.55 + level * 0.35),
            ));
        }
    }
    commands.spawn((
        ChildOf(arena.0),
        Name::new("Arena floor"),
        Mesh3d(meshes.add(Plane3d::default().mesh().size(400.0, 400.0))),
        glow(&mut glows, Color::srgb(0.012, 0.012, 0.02)),
        Transform::from_xyz(0.0, -0.5, 0.0),
    ));
    commands.spawn((
        ChildOf(arena.0),
        Name::new("LED wall frame"),
        Mesh3d(meshes.add(Cuboid::new(13.4, 5.9, 0.2))),
        glow(&mut glows, Color::srgb(0.01, 0.01, 0.015)),
        Transform::from_xyz(0.0, 3.0, -5.6),
    ));
    commands.spawn((
        ChildOf(arena.0),
        Name::new("LED wall"),
        LedWall,
        Mesh3d(meshes.add(Rectangle::new(13.0, 5.5))),
        MeshMaterial3d(walls.add(LedWallMaterial::default())),
        Transform::from_xyz(0.0, 3.0, -5.49),
    ));
    spawn_truss(&mut commands, arena.0, &mut meshes, &mut materials);
}

fn spawn_truss(
    commands: &mut Commands,
    arena: Entity,
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
            ChildOf(arena),
            Name::new("Truss post"),
            Mesh3d(post.clone()),
            MeshMaterial3d(metal.clone()),
            Transform::from_xyz(side * 6.0, 3.25, -1.0),
        ));
    }
    commands.spawn((
        ChildOf(arena),
        Name::new("Truss beam"),
        Mesh3d(meshes.add(Cuboid::new(12.3, 0.3, 0.3))),
        MeshMaterial3d(metal),
        Transform::from_xyz(0.0, TRUSS_HEIGHT, -1.0),
    ));
}

/// A mesh of quads for a vertex shader to place: four vertices a quad, in order, each with
/// its quad's `positions` entry, its corner and its `seeds` entry.
fn quad_mesh(corners: [[f32; 2]; 4], quads: &[([f32; 3], [f32; 2])]) -> Mesh {
    let mut positions = Vec::with_capacity(quads.len() * 4);
    let mut corner_values = Vec::with_capacity(quads.len() * 4);
    let mut seeds = Vec::with_capacity(quads.len() * 4);
    let mut indices = Vec::with_capacity(quads.len() * 6);
    for (index, (position, seed)) in quads.iter().enumerate() {
        for corner in corners {
            positions.push(*position);
            corner_values.push(corner);
            seeds.push(*seed);
        }
        let first = index as u32 * 4;
        indices.extend([first, first + 1, first + 2, first, first + 2, first + 3]);
    }
    Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::RENDER_WORLD,
    )
    .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
    .with_inserted_attribute(Mesh::ATTRIBUTE_UV_0, corner_values)
    .with_inserted_attribute(Mesh::ATTRIBUTE_UV_1, seeds)
    .with_inserted_indices(Indices::U32(indices))
}

/// A unit cone from its apex at the origin along -Z to a unit-radius base at z = -1, bright
/// at the apex and fading towards the base.
fn beam_mesh() -> Mesh {
    const SIDES: u32 = 16;
    let mut positions = vec![[0.0, 0.0, 0.0]];
    let mut colours = vec![[1.0, 1.0, 1.0, 1.0]];
    for side in 0..SIDES {
        let angle = side as f32 / SIDES as f32 * std::f32::consts::TAU;
        positions.push([angle.cos(), angle.sin(), -1.0]);
        colours.push([0.1, 0.1, 0.1, 1.0]);
    }
    let indices = (0..SIDES)
        .flat_map(|side| [0, 1 + side, 1 + (side + 1) % SIDES])
        .collect();
    Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::RENDER_WORLD,
    )
    .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
    .with_inserted_attribute(
        Mesh::ATTRIBUTE_NORMAL,
        vec![[0.0, 0.0, 1.0]; SIDES as usize + 1],
    )
    .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, colours)
    .with_inserted_indices(Indices::U32(indices))
}

/// Spot lights for the rig (none on the cel preset) and a beam for each moving head, the
/// follow spot and each laser.
fn spawn_lights(
    arena: Res<Arena>,
    mut commands: Commands,
    mut meshes: ResMut<Assets<Mesh>>,
    mut glows: ResMut<Assets<GlowMaterial>>,
    profile: Res<RenderProfile>,
) {
    if !profile.cel {
        let mut lights = vec![RigLight::Key, RigLight::Wash(0), RigLight::Wash(1)];
        lights.extend((0..FOLLOW_SPOTS).map(RigLight::Follow));
        lights.extend((0..profile.lit_moving_heads.min(MOVING_HEADS)).map(RigLight::Head));
        for light in lights {
            commands.spawn((
                Name::new(format!("{light:?} light")),
                light,
                SpotLight {
                    range: 60.0,
                    shadow_maps_enabled: match light {
                        RigLight::Key => profile.key_shadows,
                        _ => profile.colour_light_shadows,
                    },
                    ..default()
                },
                Transform::default(),
            ));
        }
    }
    let cone = meshes.add(beam_mesh());
    let laser = meshes.add(Cuboid::new(0.035, 0.035, 1.0));
    let beams = (0..MOVING_HEADS)
        .map(RigLight::Head)
        .chain((0..FOLLOW_SPOTS).map(RigLight::Follow))
        .map(|light| (light, cone.clone()))
        .chain((0..LASERS).map(|index| (RigLight::Laser(index), laser.clone())));
    for (light, mesh) in beams {
        let mut glow = GlowMaterial::additive(Color::BLACK);
        if matches!(light, RigLight::Laser(_)) {
            // Lasers sweep over the crowd, where cameras stand.
            glow.near = 12.0;
        }
        commands.spawn((
            ChildOf(arena.0),
            Name::new(format!("{light:?} beam")),
            light,
            Beam,
            Mesh3d(mesh),
            MeshMaterial3d(glows.add(glow)),
            Transform::default(),
            Visibility::Hidden,
        ));
    }
}

/// The stage flash: full at an effect cue, gone two thirds of a second later. A function of
/// the clock alone, so a recording started mid-show (a chunk) shows the same flash as one
/// that played through.
fn flash_on_effects(
    clock: Res<ConcertClock>,
    setlist: Res<ShowSetlist>,
    mut flash: ResMut<StageFlash>,
) {
    let last = setlist
        .cues
        .iter()
        .filter(|cue| matches!(cue.action, CueAction::Effect(_)) && cue.at <= clock.seconds)
        .map(|cue| cue.at)
        .fold(f64::NEG_INFINITY, f64::max);
    flash.0 = (1.0 - (clock.seconds - last) * 1.5).clamp(0.0, 1.0) as f32;
}

fn aim_real_lights(now: Res<Now>, mut lights: Query<(&RigLight, &mut Transform, &mut SpotLight)>) {
    let rig = &now.lights;
    for (light, mut transform, mut spot_light) in &mut lights {
        let Some(spot) = light.spot(rig) else {
            spot_light.intensity = 0.0;
            continue;
        };
        *transform = Transform::from_translation(spot.position).looking_to(spot.direction, Vec3::Y);
        let level = spot.colour.red.max(spot.colour.green).max(spot.colour.blue);
        spot_light.color = Color::from((spot.colour * (1.0 / level.max(1e-4))).to_bevy());
        spot_light.intensity = light.lumens() * level;
        spot_light.outer_angle = spot.angle.max(0.05);
        spot_light.inner_angle = spot.angle.max(0.05) * 0.6;
    }
}

/// How much of a light the haze shows as a beam.
const HAZE: f32 = 0.14;

fn aim_beams(
    now: Res<Now>,
    mut beams: Query<
        (
            &RigLight,
            &mut Transform,
            &mut Visibility,
            &MeshMaterial3d<GlowMaterial>,
        ),
        With<Beam>,
    >,
    mut glows: ResMut<Assets<GlowMaterial>>,
) {
    let rig = &now.lights;
    for (light, mut transform, mut visibility, material) in &mut beams {
        // Only the key follow spot shows a beam: the soft ones would barely show and cost
        // fill rate across the whole picture.
        let shown = match light {
            RigLight::Follow(index) => rig.singer == Some(*index),
            _ => true,
        };
        let spot = light
            .spot(rig)
            .filter(|spot| shown && spot.colour.red + spot.colour.green + spot.colour.blue > 0.01);
        let Some(spot) = spot else {
            *visibility = Visibility::Hidden;
            continue;
        };
        *visibility = Visibility::Inherited;
        let (length, width, strength) = match light {
            RigLight::Laser(_) => (80.0, 1.0, 1.6),
            // The follow spot's beam crosses the audience's view: keep it faint.
            RigLight::Follow(_) => (18.0, 18.0 * spot.angle.tan(), HAZE * 0.3),
            _ => {
                // To the floor (or 40 m when it points over the crowd).
                let down = (-spot.direction.y).max(0.05);
                let length = ((spot.position.y + 0.5) / down).min(40.0);
                (length, length * (spot.angle * 0.6).tan(), HAZE)
            }
        };
        *transform = Transform::from_translation(spot.position)
            .looking_to(spot.direction, Vec3::Y)
            .with_scale(match light {
                RigLight::Laser(_) => Vec3::new(1.0, 1.0, length),
                _ => Vec3::new(width, width, length),
            });
        if matches!(light, RigLight::Laser(_)) {
            // The box is centred: move it out so it starts at the truss.
            transform.translation += spot.direction * length * 0.5;
        }
        // A material update costs about a millisecond on a software renderer: skip the
        // ones nobody could see.
        let colour = (spot.colour * strength).to_bevy().with_alpha(0.0);
        let close = glows.get(&material.0).is_some_and(|glow| {
            let old = glow.colour;
            (old.red - colour.red).abs()
                + (old.green - colour.green).abs()
                + (old.blue - colour.blue).abs()
                < 0.004
        });
        if !close && let Some(mut glow) = glows.get_mut(&material.0) {
            glow.colour = colour;
        }
    }
}

/// The rig in the cel shader's form, with the first `heads` moving heads (each spot is a
/// loop turn for every pixel lit, so the low preset keeps to key, follow spot and washes).
fn cel_rig(rig: &Rig, heads: usize) -> CelRig {
    let to_cel = |spot: &Spot| CelSpot {
        position: spot.position.extend(1.0),
        direction: spot.direction.extend(spot.angle.cos()),
        colour: Vec4::new(spot.colour.red, spot.colour.green, spot.colour.blue, 0.0)
            .with_w((spot.angle * 0.6).cos()),
    };
    let mut cel = CelRig {
        ambient: Vec4::from(rig.ambient.to_f32_array()),
        ..default()
    };
    let rim = rig.colours.first().copied().unwrap_or(Linear::WHITE) * 0.35;
    cel.rim = Vec4::from(rim.to_f32_array());
    let spots = rig
        .key
        .iter()
        .chain(rig.singer.and_then(|index| rig.follows.get(index)))
        .chain(rig.washes.iter())
        .chain(rig.heads.iter().take(heads));
    for (slot, spot) in cel.spots.iter_mut().zip(spots) {
        *slot = to_cel(spot);
        cel.count += 1;
    }
    debug_assert!(cel.count as usize <= CEL_SPOTS);
    cel
}

fn light_cel_materials(
    now: Res<Now>,
    profile: Res<RenderProfile>,
    mut materials: ResMut<Assets<CelMaterial>>,
) {
    // Every frame, so materials made since (a model's, converted) get lit too; only the ones
    // that differ are touched. On every preset: VRM models' MToon materials are cel ones.
    let cel = cel_rig(&now.lights, profile.lit_moving_heads);
    let ids: Vec<AssetId<CelMaterial>> = materials
        .iter()
        .filter(|(_, material)| material.rig != cel)
        .map(|(id, _)| id)
        .collect();
    for id in ids {
        if let Some(mut material) = materials.get_mut(id) {
            material.rig = cel;
        }
    }
}

fn play_led_wall(
    now: Res<Now>,
    clock: Res<ConcertClock>,
    flash: Res<StageFlash>,
    walls: Query<&MeshMaterial3d<LedWallMaterial>, With<LedWall>>,
    mut materials: ResMut<Assets<LedWallMaterial>>,
) {
    let (palette, pattern, level) = now.lights.wall;
    let state = WallState {
        palette: palette.map(|colour| Vec4::from(colour.to_f32_array())),
        state: Vec4::new(clock.beats() as f32, pattern as f32, level, flash.0),
    };
    for handle in &walls {
        if let Some(mut material) = materials.get_mut(&handle.0) {
            material.wall = state;
        }
    }
}

/// One white cel material for every mesh that carries its colours in its vertices (the
/// built-in idols on the low preset): lighting it costs one material update a frame, where a
/// material per part cost about a millisecond each on a software renderer.
#[derive(Resource, Debug, Clone)]
pub struct SharedCel(pub Handle<CelMaterial>);

impl FromWorld for SharedCel {
    fn from_world(world: &mut World) -> Self {
        let mut materials = world.resource_mut::<Assets<CelMaterial>>();
        Self(materials.add(CelMaterial::new(Color::WHITE, true)))
    }
}

/// One outline material for every built-in idol, on every preset: a dark line of
/// [`IDOL_OUTLINE`] metres round each body part, hair and costume piece, as anime drawings
/// and MToon models have.
#[derive(Resource, Debug, Clone)]
pub struct SharedOutline(pub Handle<CelMaterial>);

/// The built-in idols' outline width, metres.
pub const IDOL_OUTLINE: f32 = 0.0035;

impl FromWorld for SharedOutline {
    fn from_world(world: &mut World) -> Self {
        let mut materials = world.resource_mut::<Assets<CelMaterial>>();
        let mut outline = CelMaterial::new(Color::WHITE, false);
        outline.outline = true;
        // A dark plum line, a third lit by the stage.
        outline.toon.outline = Vec4::new(0.06, 0.035, 0.07, 0.3);
        outline.toon.shape.z = IDOL_OUTLINE;
        outline.toon.shape.w = 0.0;
        Self(materials.add(outline))
    }
}

/// Standard materials already swapped for cel (or glow) ones, by the standard material.
#[derive(Resource, Debug, Default)]
struct CelConversions(HashMap<AssetId<StandardMaterial>, Conversion>);

/// Marks an entity whose meshes get their materials from their owner (a model avatar's own
/// dressing), so the cel preset leaves them alone.
#[derive(Component, Debug, Default)]
pub struct DressesItself;

#[derive(Debug, Clone)]
enum Conversion {
    Cel(Handle<CelMaterial>),
    Glow(Handle<GlowMaterial>),
}

/// On the cel preset, gives every mesh with a standard material (built-in idols, glTF
/// models, the set) a cel material of the same colour and texture, or a glow for unlit
/// untextured ones. Model avatars' meshes are left to the avatar's own dressing, which knows
/// their MToon parameters and gives each idol her own materials.
#[allow(clippy::too_many_arguments)]
fn use_cel_materials(
    mut commands: Commands,
    profile: Res<RenderProfile>,
    meshes: Query<(Entity, &MeshMaterial3d<StandardMaterial>)>,
    parents: Query<&ChildOf>,
    models: Query<(), With<DressesItself>>,
    standards: Res<Assets<StandardMaterial>>,
    mut cels: ResMut<Assets<CelMaterial>>,
    mut glows: ResMut<Assets<GlowMaterial>>,
    mut conversions: ResMut<CelConversions>,
) {
    if !profile.cel {
        return;
    }
    for (entity, material) in &meshes {
        let Some(standard) = standards.get(&material.0) else {
            continue;
        };
        if models.contains(entity)
            || parents
                .iter_ancestors(entity)
                .any(|ancestor| models.contains(ancestor))
        {
            continue;
        }
        let conversion = conversions
            .0
            .entry(material.0.id())
            .or_insert_with(|| {
                if standard.unlit && standard.base_color_texture.is_none() {
                    Conversion::Glow(glows.add(GlowMaterial::opaque(standard.base_color)))
                } else {
                    Conversion::Cel(cels.add(CelMaterial::from_standard(standard)))
                }
            })
            .clone();
        let mut entity = commands.entity(entity);
        entity.remove::<MeshMaterial3d<StandardMaterial>>();
        match conversion {
            Conversion::Cel(handle) => entity.insert(MeshMaterial3d(handle)),
            Conversion::Glow(handle) => entity.insert(MeshMaterial3d(handle)),
        };
    }
}

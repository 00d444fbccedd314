//! Pools of light on the floor where the follow spots and moving heads land, for the cel
//! preset, which has no real spot lights: a soft disc added to the deck, stretched along a
//! slanting beam, in the light's colour. The lit presets' real spot lights make their own.

use bevy::{
    asset::RenderAssetUsages, mesh::Indices, prelude::*, render::render_resource::PrimitiveTopology,
};
use encore_show::lights::Spot;

use super::materials::GlowMaterial;
use crate::{colour::ShowLinear, graphics::RenderProfile, show::Now};

/// Pools drawn at most: one per follow spot and moving head.
const POOLS: usize = 16;
/// The share of a light's colour its pool adds to the floor.
const STRENGTH: f32 = 0.12;
/// The main stage's radius: pools inside it lie on its deck, others on the arena floor.
const STAGE_RADIUS: f32 = 7.0;

/// A pool of light, by its place among the rig's follow spots then moving heads.
#[derive(Component, Debug, Clone, Copy)]
pub struct LightPool(usize);

/// A unit disc bright in the middle and dark at its rim (vertex colours), lying flat.
fn pool_mesh() -> Mesh {
    const SIDES: u32 = 32;
    let mut positions = vec![[0.0, 0.0, 0.0]];
    let mut colours = vec![[1.0, 1.0, 1.0, 1.0]];
    for ring in 1..=2u32 {
        let radius = ring as f32 / 2.0;
        let shade = if ring == 1 { 0.55 } else { 0.0 };
        for side in 0..SIDES {
            let angle = side as f32 / SIDES as f32 * std::f32::consts::TAU;
            positions.push([angle.cos() * radius, 0.0, angle.sin() * radius]);
            colours.push([shade, shade, shade, 1.0]);
        }
    }
    let mut indices = Vec::new();
    for side in 0..SIDES {
        let next = (side + 1) % SIDES;
        indices.extend([0, 1 + next, 1 + side]);
        let (inner, inner_next) = (1 + side, 1 + next);
        let (outer, outer_next) = (1 + SIDES + side, 1 + SIDES + next);
        indices.extend([inner, inner_next, outer_next, inner, outer_next, outer]);
    }
    Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::RENDER_WORLD,
    )
    .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
    .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, colours)
    .with_inserted_indices(Indices::U32(indices))
}

pub(super) fn spawn_pools(
    arena: Res<super::Arena>,
    mut commands: Commands,
    profile: Res<RenderProfile>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut glows: ResMut<Assets<GlowMaterial>>,
) {
    if !profile.cel {
        return;
    }
    let mesh = meshes.add(pool_mesh());
    for index in 0..POOLS {
        let mut glow = GlowMaterial::additive(Color::BLACK);
        glow.near = 0.0;
        commands.spawn((
            ChildOf(arena.0),
            Name::new("Light pool"),
            LightPool(index),
            Mesh3d(mesh.clone()),
            MeshMaterial3d(glows.add(glow)),
            Transform::default(),
            Visibility::Hidden,
        ));
    }
}

/// Where `spot` lands on the floor and how: the transform of its pool (a unit disc), or
/// `None` when it points up or barely lights.
pub fn pool_of(spot: &Spot) -> Option<Transform> {
    if spot.direction.y > -0.1 || spot.colour.to_f32_array()[..3].iter().sum::<f32>() < 0.02 {
        return None;
    }
    let landing = |height: f32| {
        let along = (height - spot.position.y) / spot.direction.y;
        (spot.position + spot.direction * along, along)
    };
    let (mut at, mut along) = landing(0.01);
    if at.xz().length() > STAGE_RADIUS {
        (at, along) = landing(-0.49);
    }
    let radius = (along * spot.angle.tan() * 1.6).clamp(0.3, 3.0);
    // A slanting beam draws a longer pool, along its direction across the floor.
    let across = spot.direction.xz();
    let stretch = (1.0 / -spot.direction.y).min(3.0);
    let turn = across.y.atan2(across.x);
    Some(
        Transform::from_translation(at)
            .with_rotation(Quat::from_rotation_y(-turn))
            .with_scale(Vec3::new(radius * stretch, 1.0, radius)),
    )
}

/// Lays each pool where its light lands this frame, in its colour.
pub(super) fn lay_pools(
    now: Res<Now>,
    mut pools: Query<(
        &LightPool,
        &mut Transform,
        &mut Visibility,
        &MeshMaterial3d<GlowMaterial>,
    )>,
    mut glows: ResMut<Assets<GlowMaterial>>,
) {
    let rig = &now.lights;
    let spots: Vec<&Spot> = rig.follows.iter().chain(&rig.heads).collect();
    for (pool, mut transform, mut visibility, material) in &mut pools {
        let placed = spots
            .get(pool.0)
            .and_then(|spot| Some((*spot, pool_of(spot)?)));
        let Some((spot, placed)) = placed else {
            visibility.set_if_neq(Visibility::Hidden);
            continue;
        };
        *transform = placed;
        visibility.set_if_neq(Visibility::Inherited);
        if let Some(mut glow) = glows.get_mut(&material.0) {
            glow.colour = (spot.colour * STRENGTH).to_bevy().with_alpha(0.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use encore_show::colour::Linear;

    use super::*;

    #[test]
    fn a_spot_from_above_pools_where_it_lands_and_one_pointing_up_does_not() {
        let spot = Spot {
            position: Vec3::new(0.0, 7.0, 4.0),
            direction: (Vec3::new(1.0, 0.0, 0.0) - Vec3::new(0.0, 7.0, 4.0)).normalize(),
            colour: Linear::rgb(1.0, 0.9, 0.8),
            angle: 0.07,
        };
        let pool = pool_of(&spot).expect("a pool");
        assert!(
            pool.translation.distance(Vec3::new(1.0, 0.01, 0.0)) < 0.02,
            "{pool:?}"
        );
        // Slanting: longer along the beam than across it.
        assert!(pool.scale.x > pool.scale.z);
        let up = Spot {
            direction: Vec3::Y,
            ..spot
        };
        assert!(pool_of(&up).is_none());
        // Off the stage it lands on the arena floor.
        let far = Spot {
            direction: (Vec3::new(10.0, -0.5, 0.0) - spot.position).normalize(),
            ..spot
        };
        assert!((pool_of(&far).unwrap().translation.y + 0.49).abs() < 1e-3);
    }
}

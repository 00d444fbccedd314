//! Built-in idols without GPU skinning, for the low preset. On Mesa's software Vulkan driver
//! a mesh whose vertices change every frame costs over a millisecond a frame whatever its
//! size: the demo's 25 idol parts took 28 ms a frame as skinned meshes, about as much when
//! skinned on the CPU and re-uploaded, and 0.5 ms as still meshes. So here each part is cut
//! into rigid pieces, one per bone, that ride their joints like a figure's limbs; only the
//! face's pieces change shape (blinks, vowels, smiles), and only when the expression does.

use bevy::{
    asset::RenderAssetUsages,
    mesh::{Indices, PrimitiveTopology},
    prelude::*,
};

use super::mesh::PartMesh;

pub(crate) fn plugin(app: &mut App) {
    app.add_systems(PostUpdate, shape_rigid_faces);
}

/// A rigid piece of a part that carries expressions: its vertices in its joint's space and
/// their displacement per expression.
#[derive(Component, Debug, Clone)]
pub(crate) struct RigidFace {
    positions: Vec<Vec3>,
    morphs: Vec<Vec<Vec3>>,
    /// The idol whose `MorphWeights` the face follows.
    root: Entity,
    shown: Vec<f32>,
}

/// One piece of a part: the bone it rides, its mesh in that bone's space, and for a face
/// piece, what it needs to change expression.
pub(crate) struct Piece {
    /// Index of the bone in `Bone::ALL`.
    pub bone: usize,
    /// The mesh, relative to the joint.
    pub mesh: Mesh,
    /// Set on pieces with expressions.
    pub face: Option<RigidFace>,
}

/// While cutting: a piece's triangles' indices, each part vertex's index in the piece, and
/// how many vertices the piece has so far.
type PieceIndices = (Vec<u32>, Vec<Option<u32>>, u32);

/// Cuts `part` into one rigid piece per bone: each triangle goes to the bone that weighs
/// most on its first corner, with its vertices moved into that bone's space (`binds`: each
/// bone's place in the bind pose).
pub(crate) fn rigid_pieces(
    part: &PartMesh,
    binds: &[Vec3],
    root: Entity,
    colour: Color,
) -> Vec<Piece> {
    let colour = colour.to_linear().to_f32_array();
    let skin: Vec<([u16; 4], [f32; 4])> = part.skin().collect();
    let dominant = |vertex: usize| {
        let (bones, weights) = skin[vertex];
        if weights[1] > weights[0] {
            usize::from(bones[1])
        } else {
            usize::from(bones[0])
        }
    };
    let morphs = part.morph_targets();
    let mut pieces = Vec::new();
    let mut order: Vec<usize> = Vec::new();
    let mut by_bone: std::collections::HashMap<usize, PieceIndices> =
        std::collections::HashMap::new();
    for triangle in part.indices().chunks_exact(3) {
        let bone = dominant(triangle[0] as usize);
        let (indices, remap, next) = by_bone.entry(bone).or_insert_with(|| {
            order.push(bone);
            (Vec::new(), vec![None; part.positions().len()], 0)
        });
        for &corner in triangle {
            let slot = &mut remap[corner as usize];
            let index = *slot.get_or_insert_with(|| {
                *next += 1;
                *next - 1
            });
            indices.push(index);
        }
    }
    for bone in order {
        let (indices, remap, _) = &by_bone[&bone];
        let mut used: Vec<(u32, usize)> = remap
            .iter()
            .enumerate()
            .filter_map(|(vertex, slot)| slot.map(|slot| (slot, vertex)))
            .collect();
        used.sort_unstable();
        let bind = binds.get(bone).copied().unwrap_or(Vec3::ZERO);
        let positions: Vec<Vec3> = used
            .iter()
            .map(|(_, vertex)| Vec3::from_array(part.positions()[*vertex]) - bind)
            .collect();
        let normals: Vec<[f32; 3]> = used
            .iter()
            .map(|(_, vertex)| part.normals()[*vertex])
            .collect();
        let piece_morphs: Vec<Vec<Vec3>> = morphs
            .iter()
            .map(|target| {
                used.iter()
                    .map(|(_, vertex)| Vec3::from_array(target[*vertex]))
                    .collect()
            })
            .collect();
        let moves = piece_morphs
            .iter()
            .any(|target| target.iter().any(|offset| *offset != Vec3::ZERO));
        let mesh = Mesh::new(
            PrimitiveTopology::TriangleList,
            if moves {
                RenderAssetUsages::all()
            } else {
                RenderAssetUsages::RENDER_WORLD
            },
        )
        .with_inserted_attribute(
            Mesh::ATTRIBUTE_POSITION,
            positions.iter().map(|p| p.to_array()).collect::<Vec<_>>(),
        )
        .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, vec![colour; normals.len()])
        .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, normals)
        .with_inserted_indices(Indices::U32(indices.clone()));
        let mesh = match part.uvs() {
            Some(uvs) => mesh.with_inserted_attribute(
                Mesh::ATTRIBUTE_UV_0,
                used.iter()
                    .map(|(_, vertex)| uvs[*vertex])
                    .collect::<Vec<_>>(),
            ),
            None => mesh,
        };
        pieces.push(Piece {
            bone,
            mesh,
            face: moves.then(|| RigidFace {
                positions,
                morphs: piece_morphs,
                root,
                shown: Vec::new(),
            }),
        });
    }
    pieces
}

impl RigidFace {
    /// The piece's vertices with the expression `weights` applied.
    fn shaped(&self, weights: &[f32]) -> Vec<[f32; 3]> {
        self.positions
            .iter()
            .enumerate()
            .map(|(index, rest)| {
                let mut position = *rest;
                for (target, weight) in self.morphs.iter().zip(weights) {
                    position += target[index] * *weight;
                }
                position.to_array()
            })
            .collect()
    }
}

/// Reshapes face pieces when their idol's expression changed.
/// Steps per unit of expression weight a rigid face is shown in.
const FACE_STEPS: f32 = 50.0;

fn shape_rigid_faces(
    mut faces: Query<(&mut RigidFace, &Mesh3d)>,
    weights: Query<&MorphWeights>,
    mut meshes: ResMut<Assets<Mesh>>,
) {
    for (mut face, mesh) in &mut faces {
        let Ok(weights) = weights.get(face.root) else {
            continue;
        };
        // Expressions are shown in steps of 1/50, so the mesh is only rebuilt when a step
        // changes; and the face depends on this frame's weights alone, not on when it was
        // last rebuilt (a recording in chunks draws the faces of a single pass).
        let stepped: Vec<f32> = weights
            .weights()
            .iter()
            .map(|weight| (weight * FACE_STEPS).round() / FACE_STEPS)
            .collect();
        if face.shown == stepped {
            continue;
        }
        face.shown = stepped;
        let positions = face.shaped(&face.shown);
        if let Some(mut mesh) = meshes.get_mut(&mesh.0) {
            mesh.insert_attribute(Mesh::ATTRIBUTE_POSITION, positions);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        avatar::{
            chains::IdolChains,
            expression::Expression,
            mesh::idol_parts,
            skeleton::{Bone, Skeleton},
        },
        setlist::raw::BuiltinLook,
    };

    #[test]
    fn pieces_cover_every_triangle_and_sit_where_the_part_was() {
        let skeleton = Skeleton::new(1.6, 1.0);
        let binds = IdolChains::new(&skeleton, &BuiltinLook::default()).binds(&skeleton);
        for (slot, part) in idol_parts(&skeleton, &BuiltinLook::default()) {
            let pieces = rigid_pieces(&part, &binds, Entity::PLACEHOLDER, Color::WHITE);
            let triangles: usize = pieces
                .iter()
                .map(|piece| piece.mesh.indices().map_or(0, |indices| indices.len() / 3))
                .sum();
            assert_eq!(triangles, part.indices().len() / 3, "{slot:?}");
            // Put back at its joint, each piece's first vertex is one of the part's.
            for piece in &pieces {
                let Some(positions) = piece.mesh.attribute(Mesh::ATTRIBUTE_POSITION) else {
                    panic!("pieces have positions");
                };
                let first =
                    Vec3::from_array(positions.as_float3().expect("floats")[0]) + binds[piece.bone];
                assert!(
                    part.positions()
                        .iter()
                        .any(|p| Vec3::from_array(*p).distance(first) < 1e-5),
                    "{slot:?} piece on bone {} moved",
                    piece.bone
                );
            }
        }
    }

    #[test]
    fn a_face_piece_blinks() {
        let skeleton = Skeleton::new(1.6, 1.0);
        let binds: Vec<Vec3> = Bone::ALL.iter().map(|bone| skeleton.at(*bone)).collect();
        let face = idol_parts(&skeleton, &BuiltinLook::default())
            .into_iter()
            .filter(|(slot, part)| *slot == crate::avatar::mesh::Slot::Face && part.has_morphs())
            .flat_map(|(_, part)| rigid_pieces(&part, &binds, Entity::PLACEHOLDER, Color::WHITE))
            .find_map(|piece| piece.face)
            .expect("the built-in idol has a face");
        let mut weights = vec![0.0; Expression::ALL.len()];
        let open = face.shaped(&weights);
        weights[Expression::Blink.index()] = 1.0;
        let closed = face.shaped(&weights);
        assert!(
            open.iter().zip(&closed).any(|(a, b)| a != b),
            "a blink moves the eyelids"
        );
    }
}

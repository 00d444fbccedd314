//! A PMX dance's material and UV morphs on stage: the weights the dance's face keys give them
//! (worked out with the bones, in [`dance_natively`](super::dance_natively)) turned into the
//! dressed cel materials' colours and alpha, the outline's colour, the visibility of a
//! material hidden at rest, and the texture coordinates of the meshes a UV morph moves.
//! Everything is recomputed from the file's values, so a frame shows the same whatever came
//! before it.

use bevy::prelude::*;
use encore_show::avatar::material_morphs::MaterialMorphs;

use super::NativeRig;
use crate::stage::CelMaterial;

/// Which of the file's materials a PMX mesh draws, and its dressed colours at rest (taken
/// the first time a morph changes it).
#[derive(Component, Debug, Clone)]
pub(crate) struct MmdMaterial {
    pub(crate) index: usize,
    pub(crate) rest: Option<MaterialRest>,
}

/// A dressed material's colours before any morph.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MaterialRest {
    base: LinearRgba,
    shade: Vec4,
    outline: Option<Vec4>,
}

/// A mesh whose texture coordinates a UV morph moves: the file's vertex of each of its
/// vertices, and their texture coordinates at rest.
#[derive(Debug, Clone)]
pub(crate) struct UvMesh {
    pub(crate) mesh: Handle<Mesh>,
    pub(crate) vertices: Vec<u32>,
    pub(crate) rest: Vec<[f32; 2]>,
}

/// The material and UV morph weights a PMX model shows, and whether they reached the
/// materials yet.
#[derive(Debug, Clone, Default)]
pub(crate) struct ShownLooks {
    pub(crate) morphs: MaterialMorphs,
    pub(crate) uv_meshes: Vec<UvMesh>,
    /// One weight per morph of [`MaterialMorphs::names`].
    pub(crate) weights: Vec<f32>,
    /// The weights are not on the materials yet (changed, or the materials not dressed).
    pub(crate) pending: bool,
}

impl ShownLooks {
    /// Sets the weights; marks them to be shown when they changed.
    pub(crate) fn set(&mut self, weights: impl Iterator<Item = f32>) {
        let weights: Vec<f32> = weights.collect();
        if weights != self.weights {
            self.weights = weights;
            self.pending = true;
        }
    }
}

/// A PMX mesh as the material morphs change it: its material, visibility, dressed surface
/// and outline hull.
type MorphedMesh<'a> = (
    &'a mut MmdMaterial,
    &'a mut Visibility,
    Option<&'a MeshMaterial3d<CelMaterial>>,
    Option<&'a Children>,
);

/// Shows each PMX model's material and UV morphs where their weights changed.
pub(crate) fn show_material_morphs(
    mut rigs: Query<(&mut NativeRig, &Children)>,
    mut materials: Query<MorphedMesh>,
    outlines: Query<&MeshMaterial3d<CelMaterial>, Without<MmdMaterial>>,
    mut cels: ResMut<Assets<CelMaterial>>,
    mut meshes: ResMut<Assets<Mesh>>,
) {
    for (mut rig, children) in &mut rigs {
        let looks = &mut rig.looks;
        if !looks.pending || looks.morphs.is_empty() {
            continue;
        }
        let shown = looks.morphs.looks(&looks.weights);
        let mut dressed = true;
        for &child in children {
            let Ok((mut material, mut visibility, cel, hulls)) = materials.get_mut(child) else {
                continue;
            };
            let Some(look) = shown.get(material.index) else {
                continue;
            };
            if !looks.morphs.changes(material.index) {
                continue;
            }
            let colour = look.colour();
            visibility.set_if_neq(if colour[3] > 0.0 {
                Visibility::Inherited
            } else {
                Visibility::Hidden
            });
            // The model avatar dresses the meshes a frame or two after they spawn.
            let Some(cel) = cel else {
                dressed = false;
                continue;
            };
            let outline = hulls
                .into_iter()
                .flatten()
                .find_map(|hull| outlines.get(*hull).ok());
            let rest = match material.rest {
                Some(rest) => rest,
                None => {
                    let Some(surface) = cels.get(&cel.0) else {
                        dressed = false;
                        continue;
                    };
                    let rest = MaterialRest {
                        base: surface.base,
                        shade: surface.toon.shade,
                        outline: outline
                            .and_then(|hull| cels.get(&hull.0))
                            .map(|hull| hull.toon.outline),
                    };
                    material.rest = Some(rest);
                    rest
                }
            };
            let base = LinearRgba::from(Color::srgba(colour[0], colour[1], colour[2], colour[3]));
            // The shade keeps its ratio to the base colour (the toon ramp's darkening).
            let ratio = |now: f32, then: f32| if then > 1e-6 { now / then } else { 1.0 };
            let shade = Vec4::new(
                rest.shade.x * ratio(base.red, rest.base.red),
                rest.shade.y * ratio(base.green, rest.base.green),
                rest.shade.z * ratio(base.blue, rest.base.blue),
                rest.shade.w,
            );
            if let Some(mut surface) = cels.get_mut(&cel.0) {
                surface.base = base;
                surface.toon.shade = shade;
            }
            if let (Some(hull), Some(rest_outline)) = (outline, rest.outline)
                && let Some(mut hull) = cels.get_mut(&hull.0)
            {
                let edge = LinearRgba::from(Color::srgba(
                    look.edge_colour[0],
                    look.edge_colour[1],
                    look.edge_colour[2],
                    look.edge_colour[3],
                ));
                hull.toon.outline = Vec4::new(edge.red, edge.green, edge.blue, rest_outline.w);
                hull.base.alpha = base.alpha;
            }
        }
        let offsets = looks.morphs.uv_offsets(&looks.weights);
        for uv_mesh in &looks.uv_meshes {
            let Some(mut mesh) = meshes.get_mut(&uv_mesh.mesh) else {
                continue;
            };
            let uvs: Vec<[f32; 2]> = uv_mesh
                .vertices
                .iter()
                .zip(&uv_mesh.rest)
                .map(|(vertex, rest)| {
                    match offsets.binary_search_by_key(vertex, |(moved, _)| *moved) {
                        Ok(at) => [rest[0] + offsets[at].1[0], rest[1] + offsets[at].1[1]],
                        Err(_) => *rest,
                    }
                })
                .collect();
            mesh.insert_attribute(Mesh::ATTRIBUTE_UV_0, uvs);
        }
        looks.pending = !dressed;
    }
}

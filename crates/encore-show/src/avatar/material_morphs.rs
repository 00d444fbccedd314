//! A PMX model's material and UV morphs, played by a dance's face keys: a blush or a pale
//! face that fades in, a tear mark shown only when a key says so, a texture slid to another
//! expression. Vertex and bone morphs move the mesh and the bones
//! ([`vertex_offsets`](super::mmd::vertex_offsets), [`bone_offsets`](super::mmd::bone_offsets));
//! these change how it is drawn.
//!
//! MMD's rule: each material value starts from the file's, every *multiply* offset scales it
//! by `1 + (value - 1) × weight` and every *add* offset adds `value × weight`, all multiplies
//! before all adds. The texture tint starts at white and multiplies the diffuse colour here
//! (encore's materials multiply their texture by the diffuse colour; MMD's separate add of a
//! colour over the texture is folded in the same way). Sphere and toon tints and the specular
//! and ambient colours are not drawn by encore's toon shading, so their offsets are read and
//! not shown. UV morphs move the base texture coordinates; the additional UV channels are not
//! drawn, so their morphs are left out.

use super::{
    mmd::weighted,
    pmx::{MaterialOffset, MaterialOperation, MorphKind, Pmx},
};

/// What a material morph can change of a material, as encore draws it: sRGB colours.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MaterialLook {
    /// Diffuse colour and alpha (0 hides the material).
    pub diffuse: [f32; 4],
    /// Outline colour and alpha.
    pub edge_colour: [f32; 4],
    /// Outline thickness, the file's units.
    pub edge_size: f32,
    /// The texture's tint (white at rest).
    pub texture_tint: [f32; 4],
}

impl MaterialLook {
    /// The colour to draw the material with: the diffuse colour times the texture tint,
    /// clamped to 0..1.
    pub fn colour(&self) -> [f32; 4] {
        std::array::from_fn(|channel| {
            (self.diffuse[channel] * self.texture_tint[channel]).clamp(0.0, 1.0)
        })
    }
}

/// One morph that changes materials or texture coordinates (a group's members resolved).
#[derive(Debug, Clone, PartialEq)]
struct LookMorph {
    /// The morph's name, for face keys.
    name: String,
    /// Material offsets, each at its share of the morph's weight.
    materials: Vec<(MaterialOffset, f32)>,
    /// Base UV offsets at full weight: vertex, (u, v).
    uvs: Vec<(u32, [f32; 2])>,
}

/// The material and UV morphs of a model, ready to be weighed each frame.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MaterialMorphs {
    morphs: Vec<LookMorph>,
    rest: Vec<MaterialLook>,
}

impl MaterialMorphs {
    /// The material and base-UV morphs of `pmx` (and the groups made of them).
    pub fn new(pmx: &Pmx) -> Self {
        let morphs = (0..pmx.morphs.len())
            .filter_map(|index| {
                let mut materials = Vec::new();
                let mut uvs = Vec::new();
                for (morph, weight) in weighted(pmx, index) {
                    match &morph.kind {
                        MorphKind::Material(offsets) => {
                            materials.extend(offsets.iter().map(|offset| (*offset, weight)));
                        }
                        MorphKind::Uv {
                            channel: 0,
                            offsets,
                        } => uvs.extend(offsets.iter().map(|offset| {
                            (
                                offset.vertex,
                                [offset.offset[0] * weight, offset.offset[1] * weight],
                            )
                        })),
                        _ => {}
                    }
                }
                (!materials.is_empty() || !uvs.is_empty()).then(|| LookMorph {
                    name: pmx.morphs[index].name.clone(),
                    materials,
                    uvs,
                })
            })
            .collect();
        let rest = pmx
            .materials
            .iter()
            .map(|material| MaterialLook {
                diffuse: material.diffuse,
                edge_colour: material.edge_colour,
                edge_size: material.edge_size,
                texture_tint: [1.0; 4],
            })
            .collect();
        Self { morphs, rest }
    }

    /// Whether the model has none.
    pub fn is_empty(&self) -> bool {
        self.morphs.is_empty()
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.morphs.len()
    }

    /// The morphs' names, in the order [`Self::looks`] and [`Self::uv_offsets`] take their
    /// weights.
    pub fn names(&self) -> Vec<String> {
        self.morphs.iter().map(|morph| morph.name.clone()).collect()
    }

    /// Whether some morph changes `material` (a material hidden at rest must still be drawn
    /// for it, and one whose alpha moves must be blended).
    pub fn changes(&self, material: usize) -> bool {
        self.morphs.iter().any(|morph| {
            morph
                .materials
                .iter()
                .any(|(offset, _)| offset.material.is_none_or(|target| target == material))
        })
    }

    /// Whether some morph changes `material`'s alpha (it must be drawn blended).
    pub fn changes_alpha(&self, material: usize) -> bool {
        self.morphs.iter().any(|morph| {
            morph.materials.iter().any(|(offset, _)| {
                offset.material.is_none_or(|target| target == material)
                    && match offset.operation {
                        MaterialOperation::Multiply => {
                            offset.diffuse[3] != 1.0 || offset.texture_tint[3] != 1.0
                        }
                        MaterialOperation::Add => {
                            offset.diffuse[3] != 0.0 || offset.texture_tint[3] != 0.0
                        }
                    }
            })
        })
    }

    /// The vertices some UV morph moves, sorted.
    pub fn uv_vertices(&self) -> Vec<u32> {
        self.uv_offsets(&[])
            .into_iter()
            .map(|(vertex, _)| vertex)
            .collect()
    }

    /// Every material's look with the morphs at `weights` (one per name, missing ones 0).
    pub fn looks(&self, weights: &[f32]) -> Vec<MaterialLook> {
        let mut scaled: Vec<MaterialLook> = self
            .rest
            .iter()
            .map(|_| MaterialLook {
                diffuse: [1.0; 4],
                edge_colour: [1.0; 4],
                edge_size: 1.0,
                texture_tint: [1.0; 4],
            })
            .collect();
        let mut added: Vec<MaterialLook> = self
            .rest
            .iter()
            .map(|_| MaterialLook {
                diffuse: [0.0; 4],
                edge_colour: [0.0; 4],
                edge_size: 0.0,
                texture_tint: [0.0; 4],
            })
            .collect();
        for (morph, &weight) in self.morphs.iter().zip(weights) {
            if weight == 0.0 {
                continue;
            }
            for (offset, share) in &morph.materials {
                let weight = weight * share;
                let targets = match offset.material {
                    Some(material) if material < self.rest.len() => material..material + 1,
                    Some(_) => continue,
                    None => 0..self.rest.len(),
                };
                for material in targets {
                    match offset.operation {
                        MaterialOperation::Multiply => {
                            let look = &mut scaled[material];
                            let scale = |value: f32| 1.0 + (value - 1.0) * weight;
                            scale_all(&mut look.diffuse, &offset.diffuse, scale);
                            scale_all(&mut look.edge_colour, &offset.edge_colour, scale);
                            look.edge_size *= scale(offset.edge_size);
                            scale_all(&mut look.texture_tint, &offset.texture_tint, scale);
                        }
                        MaterialOperation::Add => {
                            let look = &mut added[material];
                            let add = |value: f32| value * weight;
                            add_all(&mut look.diffuse, &offset.diffuse, add);
                            add_all(&mut look.edge_colour, &offset.edge_colour, add);
                            look.edge_size += add(offset.edge_size);
                            add_all(&mut look.texture_tint, &offset.texture_tint, add);
                        }
                    }
                }
            }
        }
        self.rest
            .iter()
            .zip(scaled.iter().zip(&added))
            .map(|(rest, (scaled, added))| MaterialLook {
                diffuse: std::array::from_fn(|channel| {
                    (rest.diffuse[channel] * scaled.diffuse[channel] + added.diffuse[channel])
                        .clamp(0.0, 1.0)
                }),
                edge_colour: std::array::from_fn(|channel| {
                    (rest.edge_colour[channel] * scaled.edge_colour[channel]
                        + added.edge_colour[channel])
                        .clamp(0.0, 1.0)
                }),
                edge_size: (rest.edge_size * scaled.edge_size + added.edge_size).max(0.0),
                texture_tint: std::array::from_fn(|channel| {
                    (rest.texture_tint[channel] * scaled.texture_tint[channel]
                        + added.texture_tint[channel])
                        .max(0.0)
                }),
            })
            .collect()
    }

    /// How far the morphs at `weights` move each vertex's base texture coordinates: vertex,
    /// (u, v), sorted by vertex, only vertices some UV morph moves.
    pub fn uv_offsets(&self, weights: &[f32]) -> Vec<(u32, [f32; 2])> {
        let mut moved: Vec<(u32, [f32; 2])> = self
            .morphs
            .iter()
            .flat_map(|morph| morph.uvs.iter().map(|(vertex, _)| (*vertex, [0.0; 2])))
            .collect();
        moved.sort_unstable_by_key(|(vertex, _)| *vertex);
        moved.dedup_by_key(|(vertex, _)| *vertex);
        for (morph, &weight) in self.morphs.iter().zip(weights) {
            if weight == 0.0 {
                continue;
            }
            for (vertex, offset) in &morph.uvs {
                if let Ok(at) = moved.binary_search_by_key(vertex, |(known, _)| *known) {
                    moved[at].1[0] += offset[0] * weight;
                    moved[at].1[1] += offset[1] * weight;
                }
            }
        }
        moved
    }
}

fn scale_all<const N: usize>(values: &mut [f32; N], by: &[f32; N], scale: impl Fn(f32) -> f32) {
    for (value, by) in values.iter_mut().zip(by) {
        *value *= scale(*by);
    }
}

fn add_all<const N: usize>(values: &mut [f32; N], by: &[f32; N], add: impl Fn(f32) -> f32) {
    for (value, by) in values.iter_mut().zip(by) {
        *value += add(*by);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{avatar::pmx, testdata};

    fn offset(material: Option<usize>, operation: MaterialOperation) -> MaterialOffset {
        MaterialOffset {
            material,
            operation,
            diffuse: [0.0; 4],
            specular: [0.0; 3],
            specular_power: 0.0,
            ambient: [0.0; 3],
            edge_colour: [0.0; 4],
            edge_size: 0.0,
            texture_tint: [0.0; 4],
            sphere_tint: [0.0; 4],
            toon_tint: [0.0; 4],
        }
    }

    #[test]
    fn multiplies_then_adds_at_the_keys_weight_and_groups_pass_their_share() {
        let rest = MaterialLook {
            diffuse: [0.8, 0.6, 0.4, 1.0],
            edge_colour: [0.0, 0.0, 0.0, 1.0],
            edge_size: 1.0,
            texture_tint: [1.0; 4],
        };
        let darker = MaterialOffset {
            diffuse: [0.5, 0.5, 0.5, 1.0],
            edge_colour: [1.0; 4],
            edge_size: 2.0,
            texture_tint: [1.0; 4],
            sphere_tint: [1.0; 4],
            toon_tint: [1.0; 4],
            ..offset(Some(0), MaterialOperation::Multiply)
        };
        let redder = MaterialOffset {
            diffuse: [0.2, 0.0, 0.0, 0.0],
            ..offset(None, MaterialOperation::Add)
        };
        let morphs = MaterialMorphs {
            morphs: vec![
                LookMorph {
                    name: "darker".into(),
                    materials: vec![(darker, 1.0)],
                    uvs: Vec::new(),
                },
                LookMorph {
                    name: "redder".into(),
                    materials: vec![(redder, 0.5)],
                    uvs: vec![(3, [0.0, 0.5])],
                },
            ],
            rest: vec![rest, rest],
        };
        assert_eq!(morphs.looks(&[0.0, 0.0]), vec![rest, rest]);
        let looks = morphs.looks(&[0.5, 1.0]);
        // Half of a halving: ×0.75, then +0.2 × 0.5 (the group's share) on red.
        let expected = [0.8 * 0.75 + 0.1, 0.6 * 0.75, 0.4 * 0.75, 1.0];
        for (got, want) in looks[0].diffuse.iter().zip(expected) {
            assert!((got - want).abs() < 1e-6, "{:?}", looks[0]);
        }
        assert!((looks[0].edge_size - 1.5).abs() < 1e-6);
        // The add targets every material; the multiply only the first.
        assert!((looks[1].diffuse[0] - 0.9).abs() < 1e-6, "{:?}", looks[1]);
        assert_eq!(looks[1].diffuse[1], 0.6);
        assert!(morphs.changes(1) && !morphs.changes_alpha(0));
        assert_eq!(morphs.uv_vertices(), [3]);
        assert_eq!(morphs.uv_offsets(&[0.0, 0.5]), vec![(3, [0.0, 0.25])]);
        assert_eq!(morphs.uv_offsets(&[1.0, 0.0]), vec![(3, [0.0, 0.0])]);
    }

    #[test]
    fn genes_pale_face_is_hidden_at_rest_and_shown_by_its_morph() {
        let Some(path) = testdata::file("mmd/gene/Gene_light.pmx") else {
            return;
        };
        let model = pmx::read(&std::fs::read(path).unwrap()).expect("Gene reads");
        let morphs = MaterialMorphs::new(&model);
        let names = morphs.names();
        assert_eq!(names, ["青ざめ", "どんより", "いらいら", "メッシュなし"]);
        let pale = model
            .materials
            .iter()
            .position(|material| material.name == "青ざめ")
            .expect("the pale face's material");
        assert!(morphs.changes(pale) && morphs.changes_alpha(pale));
        let at = |weights: &[f32]| morphs.looks(weights)[pale].colour()[3];
        assert_eq!(at(&[0.0; 4]), 0.0, "hidden at rest");
        assert!((at(&[0.5, 0.0, 0.0, 0.0]) - 0.5).abs() < 1e-6);
        assert_eq!(at(&[1.0, 0.0, 0.0, 0.0]), 1.0);
        // The UV morph slides its vertices half a texture up.
        let moved = morphs.uv_offsets(&[0.0, 0.0, 0.0, 1.0]);
        assert!(!moved.is_empty());
        assert!(moved.iter().all(|(_, offset)| *offset == [0.0, 0.5]));
    }
}

//! The procedural idol's body: smooth ellipsoids and tubes laid over the skeleton and skinned
//! to it, one mesh per material (skin, hair, costume, accent, dark details). Limbs are tubes
//! whose weights blend across elbows and knees, so joints bend without collapsing.

use bevy::{
    asset::RenderAssetUsages,
    math::{Vec2, Vec3},
    mesh::{Indices, Mesh, PrimitiveTopology, VertexAttributeValues, morph::MorphAttributes},
};

use encore_show::avatar::face_paint;

use super::{
    chains::{self, Chain, IdolChains, Kind},
    expression::{EXPRESSION_COUNT, Expression},
    skeleton::{Bone, Bone::*, Skeleton},
};
use crate::setlist::raw::{BuiltinLook, HairStyle, OutfitStyle};

/// Which material a part is drawn with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Slot {
    /// Face, neck, hands, bare arms and legs.
    Skin,
    /// Hair and brows.
    Hair,
    /// The costume in its main colour.
    Outfit,
    /// Trims, belt and shoes.
    Accent,
    /// The mouth.
    Dark,
    /// The painted face: eyes, brows and blush, textured from her face atlas
    /// ([`encore_show::avatar::face_paint`]).
    Face,
}

/// The slots in drawing order.
pub const SLOTS: [Slot; 6] = [
    Slot::Skin,
    Slot::Hair,
    Slot::Outfit,
    Slot::Accent,
    Slot::Dark,
    Slot::Face,
];

/// A decal of the face atlas on the head: its cell, its centre and size on the face (height
/// units, x to her left, y up from the head's centre), and whether the cell is drawn
/// mirrored.
struct Decal {
    cell: face_paint::Cell,
    centre: Vec2,
    size: Vec2,
}

/// A joint of the idol's skin: a humanoid bone ([`Bone::index`]) or, from
/// [`BONE_COUNT`](super::skeleton::BONE_COUNT) on,
/// a joint of one of her chains ([`IdolChains`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Joint(pub u16);

impl From<Bone> for Joint {
    fn from(bone: Bone) -> Self {
        Self(bone.index() as u16)
    }
}

/// Up to two joints and their weights.
type Weights = [(Joint, f32); 2];

fn rigid(joint: impl Into<Joint>) -> Weights {
    let joint = joint.into();
    [(joint, 1.0), (joint, 0.0)]
}

fn blend(a: impl Into<Joint>, b: impl Into<Joint>, towards_b: f32) -> Weights {
    [(a.into(), 1.0 - towards_b), (b.into(), towards_b)]
}

/// A vertex's joint indices and weights as a mesh stores them. A joint with no weight is
/// written as joint 0, as glTF validators expect.
fn skin_entry(weights: Weights) -> ([u16; 4], [f32; 4]) {
    let joint = |(joint, weight): (Joint, f32)| if weight > 0.0 { joint.0 } else { 0 };
    (
        [joint(weights[0]), joint(weights[1]), 0, 0],
        [weights[0].1, weights[1].1, 0.0, 0.0],
    )
}

/// Weights of a point on something hanging from `chain`: the chain's parent above its first
/// joint, then each joint along its span, blending into the next near the joints.
fn hanging(chain: &Chain, point: Vec3) -> Weights {
    let joint = |step: usize| Joint(chain.first + step as u16);
    let above = |step: usize| {
        if step == 0 {
            Joint::from(chain.parent)
        } else {
            joint(step - 1)
        }
    };
    let first_span = chain.heads[0].y - chain.heads.get(1).map_or(chain.tail.y, |next| next.y);
    match chain.span_at(point) {
        None => {
            // Just above the chain, start blending into it.
            let over = (point.y - chain.heads[0].y) / (first_span * 0.25);
            if over < 1.0 {
                blend(chain.parent, joint(0), 0.5 * (1.0 - over))
            } else {
                rigid(chain.parent)
            }
        }
        Some((step, t)) if t < 0.25 => blend(above(step), joint(step), 0.5 + 2.0 * t),
        Some((step, t)) if t > 0.75 && step + 1 < chain.heads.len() => {
            blend(joint(step), joint(step + 1), 2.0 * (t - 0.75))
        }
        Some((step, _)) => rigid(joint(step)),
    }
}

/// Weights of a point on a skirt round the hips: the hips at the waist, then the two
/// panels either side of it, blended by where it lies between them.
fn draped(chains: &IdolChains, point: Vec3, waist: f32, hem: f32) -> Weights {
    let angle = point.x.atan2(point.z);
    let Some((a, b, t)) = chains.either_side(Kind::Cloth, angle) else {
        return rigid(Hips);
    };
    let depth = ((waist - point.y) / (waist - hem)).clamp(0.0, 1.0);
    let (a, b) = (Joint(a.first), Joint(b.first));
    if depth < 0.25 {
        blend(Hips, if t < 0.5 { a } else { b }, depth * 4.0)
    } else {
        blend(a, b, t)
    }
}

/// Vertex data of one material's mesh.
#[derive(Debug, Default, Clone)]
pub struct PartMesh {
    positions: Vec<[f32; 3]>,
    normals: Vec<[f32; 3]>,
    joints: Vec<[u16; 4]>,
    weights: Vec<[f32; 4]>,
    indices: Vec<u32>,
    /// Per vertex, its displacement in each expression's morph target.
    morphs: Vec<[Vec3; EXPRESSION_COUNT]>,
    /// Whether any vertex moves in an expression.
    has_morphs: bool,
    /// Texture coordinates, for a textured part (the face); empty otherwise.
    uvs: Vec<[f32; 2]>,
}

impl PartMesh {
    fn vertex(&mut self, position: Vec3, normal: Vec3, weights: Weights) {
        self.positions.push(position.to_array());
        self.normals.push(normal.normalize_or(Vec3::Y).to_array());
        let (joints, weights) = skin_entry(weights);
        self.joints.push(joints);
        self.weights.push(weights);
        self.morphs.push([Vec3::ZERO; EXPRESSION_COUNT]);
        self.uvs.push([0.0, 0.0]);
    }

    /// Gives the vertices from `first` on their expression shapes: `shape` maps a vertex's
    /// offset from `center` to its displacement in each expression.
    fn shape(
        &mut self,
        first: usize,
        center: Vec3,
        shape: impl Fn(Vec3) -> [Vec3; EXPRESSION_COUNT],
    ) {
        for (position, morph) in self.positions[first..]
            .iter()
            .zip(&mut self.morphs[first..])
        {
            *morph = shape(Vec3::from_array(*position) - center);
        }
        self.has_morphs = true;
    }

    /// Gives the vertices from `first` on the weights `weights` finds for their position.
    fn reweigh(&mut self, first: usize, weights: impl Fn(Vec3) -> Weights) {
        for index in first..self.positions.len() {
            (self.joints[index], self.weights[index]) =
                skin_entry(weights(Vec3::from_array(self.positions[index])));
        }
    }

    /// A decal of the face atlas laid on the head's front (an ellipsoid round `head` with
    /// `radii`), a grid of `columns` x `rows` quads a little proud of the skin, riding the
    /// head; `shapes` gives each vertex's expressions from its offset from the decal's
    /// centre.
    fn decal(
        &mut self,
        head: Vec3,
        radii: Vec3,
        decal: &Decal,
        shapes: impl Fn(Vec3) -> [Vec3; EXPRESSION_COUNT],
    ) {
        const COLUMNS: u32 = 8;
        const ROWS: u32 = 6;
        let first = self.positions.len() as u32;
        let (low, high) = decal.cell.uv();
        let lift = radii.z * 0.025;
        for row in 0..=ROWS {
            for column in 0..=COLUMNS {
                let (s, t) = (column as f32 / COLUMNS as f32, row as f32 / ROWS as f32);
                let x = decal.centre.x + (s - 0.5) * decal.size.x;
                let y = decal.centre.y + (0.5 - t) * decal.size.y;
                let inside = 1.0 - (x / radii.x).powi(2) - (y / radii.y).powi(2);
                let z = radii.z * inside.max(0.0).sqrt();
                let position = head + Vec3::new(x, y, z);
                let normal = Vec3::new(
                    x / radii.x.powi(2),
                    y / radii.y.powi(2),
                    z / radii.z.powi(2),
                )
                .normalize_or(Vec3::Z);
                self.vertex(position + normal * lift, normal, rigid(Head));
                // Her left is the picture's right: the cell's left edge goes to her right.
                let u = low.x + (high.x - low.x) * (1.0 - s);
                let v = low.y + (high.y - low.y) * t;
                *self.uvs.last_mut().expect("a vertex was added") = [u, v];
            }
        }
        let center = head + Vec3::new(decal.centre.x, decal.centre.y, radii.z);
        self.shape(first as usize, center, shapes);
        // Rows run down, columns to her right: counter-clockwise seen from the front.
        let stride = COLUMNS + 1;
        for row in 0..ROWS {
            for column in 0..COLUMNS {
                let a = first + row * stride + column;
                let b = a + stride;
                self.indices.extend([a, b, a + 1, a + 1, b, b + 1]);
            }
        }
    }

    /// Texture coordinates of each vertex, when the part is textured.
    pub fn uvs(&self) -> Option<&[[f32; 2]]> {
        (!self.uvs.is_empty() && self.uvs.iter().any(|uv| *uv != [0.0, 0.0])).then_some(&self.uvs)
    }

    /// An ellipsoid around `center` with `radii`, moving with `weights`.
    fn ellipsoid(&mut self, center: Vec3, radii: Vec3, weights: Weights) {
        const RINGS: u32 = 10;
        const SEGMENTS: u32 = 16;
        let first = self.positions.len() as u32;
        for ring in 0..=RINGS {
            let polar = std::f32::consts::PI * ring as f32 / RINGS as f32;
            for segment in 0..=SEGMENTS {
                let azimuth = std::f32::consts::TAU * segment as f32 / SEGMENTS as f32;
                let unit = Vec3::new(
                    polar.sin() * azimuth.cos(),
                    polar.cos(),
                    polar.sin() * azimuth.sin(),
                );
                // The normal of an ellipsoid: the unit direction divided by the radii.
                self.vertex(center + unit * radii, unit / radii, weights);
            }
        }
        self.grid(first, RINGS, SEGMENTS);
    }

    /// A tube through `rings` (centre, radii across and front-to-back, weights), closed at
    /// both ends.
    fn tube(&mut self, rings: &[(Vec3, Vec2, Weights)]) {
        const SEGMENTS: u32 = 14;
        let first = self.positions.len() as u32;
        for (index, &(center, radii, weights)) in rings.iter().enumerate() {
            let previous = rings[index.saturating_sub(1)].0;
            let next = rings[(index + 1).min(rings.len() - 1)].0;
            let along = (next - previous).normalize_or(Vec3::NEG_Y);
            let across = (Vec3::X - along * along.x).normalize_or(Vec3::Z);
            let depth = along.cross(across);
            for segment in 0..=SEGMENTS {
                let angle = std::f32::consts::TAU * segment as f32 / SEGMENTS as f32;
                let radial = across * angle.cos() * radii.x + depth * angle.sin() * radii.y;
                let normal = across * angle.cos() / radii.x + depth * angle.sin() / radii.y;
                self.vertex(center + radial, normal, weights);
            }
        }
        self.grid(first, rings.len() as u32 - 1, SEGMENTS);
        // Caps: a fan around each end's centre.
        for (ring, outward) in [(0, -1.0), (rings.len() - 1, 1.0)] {
            let (center, _, weights) = rings[ring];
            let neighbour = rings[if ring == 0 {
                1.min(rings.len() - 1)
            } else {
                ring - 1
            }]
            .0;
            let normal = (center - neighbour).normalize_or(Vec3::Y);
            let middle = self.positions.len() as u32;
            self.vertex(center, normal, weights);
            let start = first + ring as u32 * (SEGMENTS + 1);
            for segment in 0..SEGMENTS {
                let (a, b) = (start + segment, start + segment + 1);
                if outward > 0.0 {
                    self.indices.extend([middle, a, b]);
                } else {
                    self.indices.extend([middle, b, a]);
                }
            }
        }
    }

    /// Triangles between consecutive rows of `columns + 1` vertices.
    fn grid(&mut self, first: u32, rows: u32, columns: u32) {
        let stride = columns + 1;
        for row in 0..rows {
            for column in 0..columns {
                let a = first + row * stride + column;
                let b = a + stride;
                self.indices.extend([a, a + 1, b, a + 1, b + 1, b]);
            }
        }
    }

    /// Number of vertices.
    pub fn vertex_count(&self) -> usize {
        self.positions.len()
    }

    /// Positions, for tests and bounds.
    pub fn positions(&self) -> &[[f32; 3]] {
        &self.positions
    }

    /// Normals of each vertex.
    pub fn normals(&self) -> &[[f32; 3]] {
        &self.normals
    }

    /// Triangle list.
    pub fn indices(&self) -> &[u32] {
        &self.indices
    }

    /// Whether any vertex moves in an expression (the face).
    pub fn has_morphs(&self) -> bool {
        self.has_morphs
    }

    /// Per expression (in [`Expression::ALL`] order), every vertex's displacement; empty when
    /// this part has no expressions.
    pub fn morph_targets(&self) -> Vec<Vec<[f32; 3]>> {
        if !self.has_morphs {
            return Vec::new();
        }
        Expression::ALL
            .iter()
            .map(|expression| {
                self.morphs
                    .iter()
                    .map(|morph| morph[expression.index()].to_array())
                    .collect()
            })
            .collect()
    }

    /// Bone indices and weights of each vertex.
    pub fn skin(&self) -> impl Iterator<Item = ([u16; 4], [f32; 4])> + '_ {
        self.joints
            .iter()
            .copied()
            .zip(self.weights.iter().copied())
    }

    /// The Bevy mesh.
    pub fn to_mesh(&self) -> Mesh {
        let mesh = Mesh::new(
            PrimitiveTopology::TriangleList,
            RenderAssetUsages::RENDER_WORLD,
        )
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, self.positions.clone())
        .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, self.normals.clone())
        .with_inserted_attribute(
            Mesh::ATTRIBUTE_JOINT_INDEX,
            VertexAttributeValues::Uint16x4(self.joints.clone()),
        )
        .with_inserted_attribute(Mesh::ATTRIBUTE_JOINT_WEIGHT, self.weights.clone())
        .with_inserted_indices(Indices::U32(self.indices.clone()));
        let mesh = match self.uvs() {
            Some(uvs) => mesh.with_inserted_attribute(Mesh::ATTRIBUTE_UV_0, uvs.to_vec()),
            None => mesh,
        };
        if !self.has_morphs {
            return mesh;
        }
        let targets = Expression::ALL
            .iter()
            .flat_map(|expression| {
                self.morphs.iter().map(|morph| {
                    MorphAttributes::new(morph[expression.index()], Vec3::ZERO, Vec3::ZERO)
                })
            })
            .collect();
        mesh.with_morph_targets(targets).with_morph_target_names(
            Expression::ALL
                .iter()
                .map(|expression| expression.morph_name().to_owned())
                .collect(),
        )
    }
}

/// The whole idol: a mesh per slot, in [`SLOTS`] order.
pub fn idol_parts(skeleton: &Skeleton, look: &BuiltinLook) -> Vec<(Slot, PartMesh)> {
    let h = skeleton.height;
    let w = skeleton.build;
    let at = |bone: Bone| skeleton.at(bone);
    // A point given in height units at the idol's centre line, widths scaled by build.
    let p = |x: f32, y: f32, z: f32| Vec3::new(x * w, y, z) * h;
    let mut skin = PartMesh::default();
    let mut hair = PartMesh::default();
    let mut outfit = PartMesh::default();
    let mut accent = PartMesh::default();
    let mut dark = PartMesh::default();

    // Head and face. The head is drawn a little large, as in stylized idol art: it reads at a
    // distance.
    let chains = IdolChains::new(skeleton, look);
    let head_center = chains::head_centre(h);
    let head_radii = chains::head_radii(h);
    let first = skin.vertex_count();
    skin.ellipsoid(head_center, head_radii, rigid(Head));
    // Anime faces are lit flat: the face's normals lean forward, so the chin and cheeks
    // take the light as the forehead does instead of falling into shade.
    for (position, normal) in skin.positions[first..]
        .iter()
        .zip(&mut skin.normals[first..])
    {
        let front = ((position[2] - head_center.z) / (0.07 * h)).clamp(0.0, 1.0);
        let leaned =
            Vec3::from_array(*normal).lerp(Vec3::new(0.0, 0.25, 1.0).normalize(), front * 0.8);
        *normal = leaned.normalize_or(Vec3::Z).to_array();
    }
    skin.tube(&[
        (
            at(Neck) - Vec3::Y * 0.01 * h,
            Vec2::splat(0.024 * h),
            rigid(Neck),
        ),
        (
            at(Head) + Vec3::Y * 0.02 * h,
            Vec2::splat(0.022 * h),
            rigid(Head),
        ),
    ]);
    // The painted face: big anime eyes, brows above them, blush on the cheeks.
    let mut face = PartMesh::default();
    let eye_size = Vec2::new(0.05, 0.0375) * h;
    for (cell, side) in [(face_paint::EYE_LEFT, 1.0), (face_paint::EYE_RIGHT, -1.0)] {
        let decal = Decal {
            cell,
            centre: Vec2::new(side * 0.029, -0.011) * h,
            size: eye_size,
        };
        face.decal(head_center, head_radii, &decal, |offset| {
            eye_shapes(offset, eye_size.extend(0.0) * 0.5, h)
        });
    }
    for (cell, side) in [(face_paint::BROW_LEFT, 1.0), (face_paint::BROW_RIGHT, -1.0)] {
        let decal = Decal {
            cell,
            centre: Vec2::new(side * 0.03, 0.018) * h,
            size: Vec2::new(0.036, 0.012) * h,
        };
        face.decal(head_center, head_radii, &decal, |_| {
            [Vec3::ZERO; EXPRESSION_COUNT]
        });
    }
    for side in [1.0, -1.0] {
        let decal = Decal {
            cell: face_paint::BLUSH,
            centre: Vec2::new(side * 0.04, -0.034) * h,
            size: Vec2::new(0.03, 0.01) * h,
        };
        face.decal(head_center, head_radii, &decal, |_| {
            [Vec3::ZERO; EXPRESSION_COUNT]
        });
    }
    let mouth_radii = Vec3::new(0.009, 0.0035, 0.003) * h;
    // The mouth sits a little proud of the face, so that closed it still shows as a line.
    let mouth = at(Jaw) + Vec3::new(0.0, -0.008, 0.004) * h;
    let first = dark.vertex_count();
    dark.ellipsoid(mouth, mouth_radii, rigid(Jaw));
    dark.shape(first, mouth, |offset| mouth_shapes(offset, mouth_radii, h));

    // Hair: a cap that leaves the face free, bangs over the forehead, and the style's shape.
    let hair_cap = Vec3::new(0.0, 0.94, -0.012) * h;
    hair.ellipsoid(hair_cap, Vec3::new(0.075, 0.07, 0.076) * h, rigid(Head));
    let on_head = |height: f32, angle: f32, out: f32| chains::on_head(h, height, angle, out);
    // Bangs: tapering locks from the crown down to the brows, each swept a little outwards.
    for (index, angle) in [-0.95f32, -0.62, -0.3, 0.0, 0.3, 0.62, 0.95]
        .into_iter()
        .enumerate()
    {
        let end = if index % 2 == 0 { 0.93 } else { 0.925 } - angle.abs() * 0.01;
        let sweep = angle.signum() * 0.12;
        let rings: Vec<(Vec3, Vec2, Weights)> = (0..4)
            .map(|ring| {
                let t = ring as f32 / 3.0;
                let height = 0.99 + (end - 0.99) * t;
                let width = 0.017 - 0.013 * t * t;
                (
                    on_head(height, angle + sweep * t * t, 0.01 - 0.004 * t),
                    Vec2::new(width, 0.006 - 0.003 * t) * h,
                    rigid(Head),
                )
            })
            .collect();
        hair.tube(&rings);
    }
    // Weighs the hair drawn from `first` on to the chain hanging nearest to `angle`.
    let hang_nearest = |hair: &mut PartMesh, first: usize, angle: f32| {
        if let Some(chain) = chains.nearest(Kind::Hair, angle, 1.0) {
            hair.reweigh(first, |point| hanging(chain, point));
        }
    };
    if matches!(look.hair, HairStyle::Long | HairStyle::Bob) {
        // Side locks framing the face down to the jaw, swinging from the temples.
        for side in [-1.0f32, 1.0] {
            let rings: Vec<(Vec3, Vec2, Weights)> = (0..4)
                .map(|ring| {
                    let t = ring as f32 / 3.0;
                    let height = 0.95 - 0.12 * t;
                    (
                        on_head(height.max(0.86), side * 1.3, 0.012)
                            - Vec3::Y * (0.86 - height).max(0.0) * h,
                        Vec2::new(0.004, 0.016 - 0.01 * t) * h,
                        rigid(Head),
                    )
                })
                .collect();
            let first = hair.vertex_count();
            hair.tube(&rings);
            hang_nearest(&mut hair, first, side * 1.3);
        }
    }
    // Locks falling from the crown down the back, `length` below the nape, swelling out
    // and swaying in waves of `wave` (height units) as they fall; each swings with the
    // chain hanging nearest to it.
    let locks = |hair: &mut PartMesh, angles: &[f32], length: f32, wave: f32| {
        for (index, &angle) in angles.iter().enumerate() {
            let phase = index as f32 * 1.3;
            let rings: Vec<(Vec3, Vec2, Weights)> = (0..7)
                .map(|ring| {
                    let t = ring as f32 / 6.0;
                    let top = on_head(0.93, angle, 0.004);
                    let sway = (t * 9.0 + phase).sin() * wave * t;
                    let out = Vec3::new(angle.sin(), 0.0, angle.cos()) * (0.035 * t);
                    let centre = top + Vec3::new(sway, -length * t, 0.0) * h + out * h;
                    let radius = (0.024 - 0.012 * t) * h;
                    (centre, Vec2::new(radius, radius * 0.7), rigid(Head))
                })
                .collect();
            let first = hair.vertex_count();
            hair.tube(&rings);
            hang_nearest(hair, first, angle);
        }
    };
    match look.hair {
        HairStyle::Long => {
            // The back of the head's volume, then straight locks to below the shoulder
            // blades.
            hair.ellipsoid(
                Vec3::new(0.0, 0.875, -0.045) * h,
                Vec3::new(0.077, 0.075, 0.034) * h,
                rigid(Head),
            );
            for side in [-1.0, 1.0] {
                hair.ellipsoid(
                    Vec3::new(side * 0.066, 0.86, 0.0) * h,
                    Vec3::new(0.018, 0.075, 0.03) * h,
                    rigid(Head),
                );
            }
            locks(
                &mut hair,
                &[-2.85, -2.4, -1.95, std::f32::consts::PI, 1.95, 2.4, 2.85],
                0.3,
                0.0,
            );
        }
        // A chin-length shell, wider than the head.
        HairStyle::Bob => hair.ellipsoid(
            Vec3::new(0.0, 0.875, -0.02) * h,
            Vec3::new(0.088, 0.07, 0.075) * h,
            rigid(Head),
        ),
        HairStyle::Ponytail => {
            let tie = chains::ponytail_tie(h);
            accent.ellipsoid(tie, Vec3::splat(0.018 * h), rigid(Head));
            // The tail: from the tie, full at first, tapering to a point.
            let rings: Vec<(Vec3, Vec2, Weights)> = (0..7)
                .map(|ring| {
                    let t = ring as f32 / 6.0;
                    let centre = tie + Vec3::new(0.0, -0.23 * t, -0.012 - 0.025 * t.sqrt()) * h;
                    let radius = (0.018 + 0.016 * (t * 4.0).min(1.0) - 0.03 * t * t) * h;
                    (centre, Vec2::splat(radius.max(0.004 * h)), rigid(Head))
                })
                .collect();
            let first = hair.vertex_count();
            hair.tube(&rings);
            hang_nearest(&mut hair, first, std::f32::consts::PI);
        }
        // Cropped at the nape, close to the head.
        HairStyle::Short => hair.ellipsoid(
            Vec3::new(0.0, 0.915, -0.03) * h,
            Vec3::new(0.07, 0.035, 0.058) * h,
            rigid(Head),
        ),
        HairStyle::TwinTails => {
            for side in [-1.0f32, 1.0] {
                let tie = chains::twin_tie(h, side);
                accent.ellipsoid(tie, Vec3::splat(0.014 * h), rigid(Head));
                // Each tail falls from its tie, out and back, to the chest.
                let rings: Vec<(Vec3, Vec2, Weights)> = (0..6)
                    .map(|ring| {
                        let t = ring as f32 / 5.0;
                        let centre = tie
                            + Vec3::new(side * (0.02 + 0.035 * t), -0.25 * t, -0.02 - 0.02 * t) * h;
                        let radius = (0.022 + 0.01 * (t * 3.0).min(1.0) - 0.028 * t * t) * h;
                        (centre, Vec2::splat(radius.max(0.004 * h)), rigid(Head))
                    })
                    .collect();
                let first = hair.vertex_count();
                hair.tube(&rings);
                hang_nearest(&mut hair, first, side * 1.57);
            }
        }
        // Long waves: locks down the back and the sides, each swaying side to side.
        HairStyle::Wavy => locks(
            &mut hair,
            &[
                -2.2,
                -1.7,
                -1.25,
                1.25,
                1.7,
                2.2,
                2.7,
                -2.7,
                std::f32::consts::PI,
            ],
            0.27,
            0.02,
        ),
    }
    // A headset: an ear cup on her left and a thin boom to the corner of her mouth.
    let ear = on_head(0.905, 1.45, 0.006);
    accent.ellipsoid(ear, Vec3::new(0.006, 0.012, 0.01) * h, rigid(Head));
    let mouth_corner = head_center + Vec3::new(0.022, -0.05, head_radii.z * 0.92);
    accent.tube(&[
        (ear, Vec2::splat(0.0025 * h), rigid(Head)),
        (
            ear.lerp(mouth_corner, 0.5) + Vec3::new(0.004, -0.006, 0.006) * h,
            Vec2::splat(0.0022 * h),
            rigid(Head),
        ),
        (mouth_corner, Vec2::splat(0.004 * h), rigid(Head)),
    ]);

    // Torso in the jacket, bending smoothly from hips to chest (from the ribs with the
    // cropped top).
    let torso = [
        (
            p(0.0, 0.49, 0.0),
            Vec2::new(0.08 * w, 0.06) * h,
            rigid(Hips),
        ),
        (
            p(0.0, 0.55, 0.0),
            Vec2::new(0.075 * w, 0.055) * h,
            blend(Hips, Spine, 0.5),
        ),
        (
            p(0.0, 0.62, 0.0),
            Vec2::new(0.07 * w, 0.052) * h,
            blend(Spine, Chest, 0.5),
        ),
        (
            p(0.0, 0.70, 0.004),
            Vec2::new(0.085 * w, 0.058) * h,
            blend(Chest, UpperChest, 0.5),
        ),
        (
            p(0.0, 0.76, 0.0),
            Vec2::new(0.09 * w, 0.055) * h,
            rigid(UpperChest),
        ),
        (
            p(0.0, 0.805, 0.0),
            Vec2::new(0.06 * w, 0.04) * h,
            blend(UpperChest, Neck, 0.3),
        ),
    ];
    let from = if look.outfit == OutfitStyle::CropTop {
        2
    } else {
        0
    };
    outfit.tube(&torso[from..]);
    if look.outfit != OutfitStyle::CropTop {
        // The jacket's front: lapels in the trim colour meeting in a V, buttons below them.
        for side in [-1.0f32, 1.0] {
            accent.tube(&[
                (
                    p(side * 0.035, 0.79, 0.048),
                    Vec2::new(0.012, 0.003) * h,
                    rigid(UpperChest),
                ),
                (
                    p(side * 0.03, 0.73, 0.062),
                    Vec2::new(0.011, 0.003) * h,
                    blend(Chest, UpperChest, 0.6),
                ),
                (
                    p(side * 0.006, 0.665, 0.056),
                    Vec2::new(0.004, 0.003) * h,
                    rigid(Chest),
                ),
            ]);
        }
        let rows: &[f32] = if look.outfit == OutfitStyle::Coat {
            &[-0.022, 0.022]
        } else {
            &[0.0]
        };
        for &x in rows {
            for (y, z, bone) in [(0.64, 0.053, Chest), (0.6, 0.05, Spine)] {
                accent.ellipsoid(p(x, y, z), Vec3::new(0.006, 0.006, 0.003) * h, rigid(bone));
            }
        }
        // Epaulettes on the stage jackets and the coat.
        if matches!(look.outfit, OutfitStyle::Trousers | OutfitStyle::Coat) {
            for (shoulder, upper) in [(LeftShoulder, LeftUpperArm), (RightShoulder, RightUpperArm)]
            {
                accent.ellipsoid(
                    at(upper) + Vec3::new(0.0, 0.03, 0.0) * h,
                    Vec3::new(0.034 * w, 0.008, 0.03) * h,
                    blend(shoulder, upper, 0.5),
                );
            }
        }
    }
    accent.tube(&[
        (
            p(0.0, 0.8, 0.0),
            Vec2::new(0.05 * w, 0.036) * h,
            blend(UpperChest, Neck, 0.3),
        ),
        (p(0.0, 0.815, 0.0), Vec2::new(0.032, 0.03) * h, rigid(Neck)),
    ]);
    accent.tube(&[
        (
            p(0.0, 0.545, 0.0),
            Vec2::new(0.079 * w, 0.059) * h,
            blend(Hips, Spine, 0.5),
        ),
        (
            p(0.0, 0.565, 0.0),
            Vec2::new(0.077 * w, 0.057) * h,
            blend(Hips, Spine, 0.5),
        ),
    ]);

    // Arms: jacket sleeves to the elbow, bare forearms, hands with thumb and index.
    for (shoulder, upper, lower, hand, thumb, index) in [
        (
            LeftShoulder,
            LeftUpperArm,
            LeftLowerArm,
            LeftHand,
            LeftThumbProximal,
            LeftIndexProximal,
        ),
        (
            RightShoulder,
            RightUpperArm,
            RightLowerArm,
            RightHand,
            RightThumbProximal,
            RightIndexProximal,
        ),
    ] {
        let (top, elbow, wrist) = (at(upper), at(lower), at(hand));
        outfit.ellipsoid(
            top,
            Vec3::new(0.038 * w, 0.035, 0.036) * h,
            blend(shoulder, upper, 0.5),
        );
        outfit.tube(&[
            (top, Vec2::new(0.031, 0.031) * h, rigid(upper)),
            (top.lerp(elbow, 0.75), Vec2::splat(0.027 * h), rigid(upper)),
            (elbow, Vec2::splat(0.025 * h), blend(upper, lower, 0.5)),
        ]);
        accent.tube(&[
            (
                elbow + Vec3::Y * 0.008 * h,
                Vec2::splat(0.027 * h),
                blend(upper, lower, 0.4),
            ),
            (
                elbow - Vec3::Y * 0.004 * h,
                Vec2::splat(0.026 * h),
                blend(upper, lower, 0.6),
            ),
        ]);
        skin.tube(&[
            (elbow, Vec2::splat(0.023 * h), blend(upper, lower, 0.5)),
            (
                elbow.lerp(wrist, 0.25),
                Vec2::splat(0.022 * h),
                rigid(lower),
            ),
            (wrist, Vec2::new(0.017, 0.015) * h, blend(lower, hand, 0.3)),
        ]);
        skin.ellipsoid(
            wrist - Vec3::Y * 0.025 * h,
            Vec3::new(0.012, 0.03, 0.02) * h,
            rigid(hand),
        );
        skin.ellipsoid(at(thumb), Vec3::new(0.006, 0.014, 0.006) * h, rigid(thumb));
        skin.ellipsoid(
            at(index) - Vec3::Y * 0.01 * h,
            Vec3::new(0.005, 0.018, 0.005) * h,
            rigid(index),
        );
    }

    // Legs: trousers or bare legs under a skirt; shoes in the accent colour.
    let legs = match look.outfit {
        OutfitStyle::Trousers => &mut outfit,
        OutfitStyle::Skirt | OutfitStyle::CropTop | OutfitStyle::Coat => &mut skin,
    };
    for (upper, lower, foot, toes) in [
        (LeftUpperLeg, LeftLowerLeg, LeftFoot, LeftToes),
        (RightUpperLeg, RightLowerLeg, RightFoot, RightToes),
    ] {
        let (hip, knee, ankle) = (at(upper), at(lower), at(foot));
        legs.tube(&[
            (
                hip + Vec3::Y * 0.02 * h,
                Vec2::new(0.05 * w, 0.05) * h,
                blend(Hips, upper, 0.7),
            ),
            (
                hip.lerp(knee, 0.45),
                Vec2::new(0.043 * w, 0.043) * h,
                rigid(upper),
            ),
            (hip.lerp(knee, 0.85), Vec2::splat(0.034 * h), rigid(upper)),
            (knee, Vec2::splat(0.032 * h), blend(upper, lower, 0.5)),
            (knee.lerp(ankle, 0.15), Vec2::splat(0.031 * h), rigid(lower)),
            (knee.lerp(ankle, 0.45), Vec2::splat(0.031 * h), rigid(lower)),
            (ankle, Vec2::splat(0.02 * h), blend(lower, foot, 0.3)),
        ]);
        accent.ellipsoid(
            ankle.lerp(at(toes), 0.35) - Vec3::Y * 0.015 * h,
            Vec3::new(0.026, 0.024, 0.05) * h,
            rigid(foot),
        );
        accent.ellipsoid(at(toes), Vec3::new(0.024, 0.014, 0.03) * h, rigid(toes));
    }
    // The skirt and the coat's skirts swing on the panels round the hips.
    let skirt_first = outfit.vertex_count();
    match look.outfit {
        OutfitStyle::Skirt => outfit.tube(&[
            (
                p(0.0, 0.56, 0.0),
                Vec2::new(0.082 * w, 0.062) * h,
                rigid(Hips),
            ),
            (
                p(0.0, 0.47, 0.0),
                Vec2::new(0.13 * w, 0.11) * h,
                rigid(Hips),
            ),
            (p(0.0, 0.4, 0.0), Vec2::new(0.16 * w, 0.14) * h, rigid(Hips)),
        ]),
        OutfitStyle::Trousers => outfit.ellipsoid(
            p(0.0, 0.5, 0.0),
            Vec3::new(0.09 * w, 0.05, 0.062) * h,
            rigid(Hips),
        ),
        OutfitStyle::CropTop => {
            // Shorts, and the bare midriff between them and the cropped top.
            outfit.ellipsoid(
                p(0.0, 0.49, 0.0),
                Vec3::new(0.092 * w, 0.055, 0.064) * h,
                rigid(Hips),
            );
            for (upper, lower) in [(LeftUpperLeg, LeftLowerLeg), (RightUpperLeg, RightLowerLeg)] {
                let (hip, knee) = (at(upper), at(lower));
                outfit.tube(&[
                    (
                        hip + Vec3::Y * 0.025 * h,
                        Vec2::new(0.055 * w, 0.055) * h,
                        blend(Hips, upper, 0.6),
                    ),
                    (
                        hip.lerp(knee, 0.3),
                        Vec2::new(0.05 * w, 0.05) * h,
                        rigid(upper),
                    ),
                ]);
            }
            skin.tube(&[
                (
                    p(0.0, 0.5, 0.0),
                    Vec2::new(0.083 * w, 0.062) * h,
                    rigid(Hips),
                ),
                (
                    p(0.0, 0.63, 0.0),
                    Vec2::new(0.073 * w, 0.055) * h,
                    blend(Spine, Chest, 0.5),
                ),
            ]);
        }
        OutfitStyle::Coat => outfit.tube(&[
            (
                p(0.0, 0.58, 0.0),
                Vec2::new(0.084 * w, 0.064) * h,
                rigid(Hips),
            ),
            (
                p(0.0, 0.45, -0.005),
                Vec2::new(0.12 * w, 0.1) * h,
                rigid(Hips),
            ),
            (
                p(0.0, 0.3, -0.015),
                Vec2::new(0.15 * w, 0.12) * h,
                rigid(Hips),
            ),
        ]),
    }
    let waist_to_hem = match look.outfit {
        OutfitStyle::Skirt => Some((0.56, 0.4)),
        OutfitStyle::Coat => Some((0.58, 0.3)),
        OutfitStyle::Trousers | OutfitStyle::CropTop => None,
    };
    if let Some((waist, hem)) = waist_to_hem {
        let weights = |point| draped(&chains, point, waist * h, hem * h);
        outfit.reweigh(skirt_first, weights);
        // A band of trim at the hem, and a lining: where the panels part as they swing
        // (on the low preset each rides its own joint rigidly), the lining shows, not the
        // stage behind.
        let (across, front) = if look.outfit == OutfitStyle::Skirt {
            (0.16, 0.14)
        } else {
            (0.15, 0.12)
        };
        outfit.tube(&[
            (
                p(0.0, waist - 0.01, 0.0),
                Vec2::new(0.078 * w, 0.058) * h,
                rigid(Hips),
            ),
            (
                p(0.0, hem + 0.015, 0.0),
                Vec2::new((across - 0.012) * w, front - 0.012) * h,
                rigid(Hips),
            ),
        ]);
        let band = accent.vertex_count();
        accent.tube(&[
            (
                p(0.0, hem + 0.012, 0.0),
                Vec2::new((across - 0.004) * w, front - 0.004) * h,
                rigid(Hips),
            ),
            (
                p(0.0, hem - 0.002, 0.0),
                Vec2::new((across + 0.002) * w, front + 0.002) * h,
                rigid(Hips),
            ),
        ]);
        accent.reweigh(band, weights);
    }
    // Boots in the accent colour: to the knee, or over it with the cropped top.
    if look.outfit != OutfitStyle::Trousers {
        let top: f32 = if look.outfit == OutfitStyle::CropTop {
            0.45
        } else {
            0.7
        };
        for (upper, lower, foot) in [
            (LeftUpperLeg, LeftLowerLeg, LeftFoot),
            (RightUpperLeg, RightLowerLeg, RightFoot),
        ] {
            let (knee, ankle) = (at(lower), at(foot));
            let shin = ankle.lerp(knee, top.min(1.0));
            let mut rings = vec![
                (ankle, Vec2::splat(0.024 * h), blend(lower, foot, 0.3)),
                (ankle.lerp(knee, 0.35), Vec2::splat(0.034 * h), rigid(lower)),
                (shin, Vec2::splat(0.036 * h), rigid(lower)),
            ];
            if look.outfit == OutfitStyle::CropTop {
                rings.push((knee, Vec2::splat(0.037 * h), blend(upper, lower, 0.5)));
                rings.push((
                    knee.lerp(at(upper), 0.3),
                    Vec2::splat(0.044 * h),
                    rigid(upper),
                ));
            }
            accent.tube(&rings);
        }
    }

    vec![
        (Slot::Skin, skin),
        (Slot::Hair, hair),
        (Slot::Outfit, outfit),
        (Slot::Accent, accent),
        (Slot::Dark, dark),
        (Slot::Face, face),
    ]
}

/// An eye's expressions: a blink closes it to a thin lid line, a smile bends it into a happy
/// arch. `offset` is the vertex from the eye's centre.
fn eye_shapes(offset: Vec3, radii: Vec3, height: f32) -> [Vec3; EXPRESSION_COUNT] {
    let mut shapes = [Vec3::ZERO; EXPRESSION_COUNT];
    shapes[Expression::Blink.index()] = Vec3::new(0.0, -offset.y * 0.9 - 0.004 * height, 0.0);
    let across = (offset.x / radii.x).clamp(-1.0, 1.0);
    let arch = radii.y * 0.45 * (1.0 - across * across) + offset.y * 0.25;
    shapes[Expression::Smile.index()] = Vec3::new(-offset.x * 0.08, arch - offset.y, 0.0);
    shapes
}

/// The mouth's expressions: each vowel stretches it to its own width and opening (opening
/// downwards, as a jaw does), and a smile lifts its corners.
fn mouth_shapes(offset: Vec3, radii: Vec3, height: f32) -> [Vec3; EXPRESSION_COUNT] {
    // (width factor, height factor, forward push in height units) per vowel.
    let vowel = |width: f32, open: f32, forward: f32| {
        Vec3::new(
            offset.x * (width - 1.0),
            offset.y * (open - 1.0) - (open - 1.0) * 0.0018 * height,
            forward * height,
        )
    };
    let mut shapes = [Vec3::ZERO; EXPRESSION_COUNT];
    shapes[Expression::Aa.index()] = vowel(1.05, 3.6, 0.0);
    shapes[Expression::Ih.index()] = vowel(1.35, 1.6, 0.0);
    shapes[Expression::Ou.index()] = vowel(0.55, 2.0, 0.003);
    shapes[Expression::Ee.index()] = vowel(1.3, 2.2, 0.0);
    shapes[Expression::Oh.index()] = vowel(0.8, 3.0, 0.002);
    let across = (offset.x / radii.x).clamp(-1.0, 1.0);
    shapes[Expression::Smile.index()] = Vec3::new(
        offset.x * 0.25,
        0.007 * height * across * across - 0.001 * height,
        0.0,
    );
    shapes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vertex_is_skinned_and_the_idol_has_her_height() {
        let skeleton = Skeleton::new(1.65, 1.0);
        let parts = idol_parts(&skeleton, &BuiltinLook::default());
        let mut top = f32::MIN;
        let mut bottom = f32::MAX;
        for (_, part) in &parts {
            assert!(part.vertex_count() > 0);
            for (joints, weights) in part.skin() {
                let total: f32 = weights.iter().sum();
                assert!((total - 1.0).abs() < 1e-5, "{joints:?} {weights:?}");
            }
            for position in part.positions() {
                top = top.max(position[1]);
                bottom = bottom.min(position[1]);
            }
        }
        // Hair on top, shoes on the floor.
        assert!((top - 1.65).abs() < 0.06, "top {top}");
        assert!(bottom.abs() < 0.02, "bottom {bottom}");
    }

    /// Height of the vertices of `part` within `radius` of `center`, after adding `weight` of
    /// `expression`.
    fn extent(part: &PartMesh, center: Vec3, expression: Expression, weight: f32) -> f32 {
        let targets = part.morph_targets();
        let (mut low, mut high) = (f32::MAX, f32::MIN);
        for (index, position) in part.positions().iter().enumerate() {
            if Vec3::from_array(*position).distance(center) > 0.03 {
                continue;
            }
            let moved = position[1] + targets[expression.index()][index][1] * weight;
            low = low.min(moved);
            high = high.max(moved);
        }
        high - low
    }

    /// The idol's rest silhouette seen from the front and from her side: 64 x 128 cells
    /// each, set where any triangle covers them.
    fn silhouette(look: &BuiltinLook) -> Vec<bool> {
        let skeleton = Skeleton::new(1.65, 1.0);
        let (width, height) = (64usize, 128usize);
        let mut mask = vec![false; width * height * 2];
        for (_, part) in idol_parts(&skeleton, look) {
            let positions = part.positions();
            for triangle in part.indices().chunks_exact(3) {
                for view in 0..2 {
                    let corner = |index: u32| {
                        let p = positions[index as usize];
                        let across = if view == 0 { p[0] } else { p[2] };
                        // 1.8 m tall, 0.9 m wide, centred.
                        (
                            (across / 0.9 + 0.5) * width as f32,
                            (1.0 - p[1] / 1.8) * height as f32,
                        )
                    };
                    let [a, b, c] = [
                        corner(triangle[0]),
                        corner(triangle[1]),
                        corner(triangle[2]),
                    ];
                    let (low_x, high_x) = (a.0.min(b.0).min(c.0), a.0.max(b.0).max(c.0));
                    let (low_y, high_y) = (a.1.min(b.1).min(c.1), a.1.max(b.1).max(c.1));
                    let area = (b.0 - a.0) * (c.1 - a.1) - (c.0 - a.0) * (b.1 - a.1);
                    if area.abs() < 1e-9 {
                        continue;
                    }
                    for y in (low_y.floor().max(0.0) as usize)..(high_y.ceil() as usize).min(height)
                    {
                        for x in
                            (low_x.floor().max(0.0) as usize)..(high_x.ceil() as usize).min(width)
                        {
                            let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
                            let w0 = (b.0 - px) * (c.1 - py) - (c.0 - px) * (b.1 - py);
                            let w1 = (c.0 - px) * (a.1 - py) - (a.0 - px) * (c.1 - py);
                            let w2 = (a.0 - px) * (b.1 - py) - (b.0 - px) * (a.1 - py);
                            let inside = (w0 >= 0.0 && w1 >= 0.0 && w2 >= 0.0)
                                || (w0 <= 0.0 && w1 <= 0.0 && w2 <= 0.0);
                            if inside {
                                mask[view * width * height + y * width + x] = true;
                            }
                        }
                    }
                }
            }
        }
        mask
    }

    #[test]
    fn every_hair_style_and_outfit_has_its_own_silhouette() {
        let differs = |a: &[bool], b: &[bool]| {
            let union = a.iter().zip(b).filter(|(a, b)| **a || **b).count();
            let apart = a.iter().zip(b).filter(|(a, b)| a != b).count();
            apart as f32 / union.max(1) as f32
        };
        let check = |looks: Vec<(String, BuiltinLook)>| {
            let masks: Vec<(String, Vec<bool>)> = looks
                .into_iter()
                .map(|(name, look)| (name, silhouette(&look)))
                .collect();
            for (index, (first, a)) in masks.iter().enumerate() {
                for (second, b) in &masks[index + 1..] {
                    let share = differs(a, b);
                    assert!(share > 0.02, "{first} and {second} differ by {share:.3}");
                }
            }
        };
        check(
            HairStyle::ALL
                .into_iter()
                .map(|hair| {
                    (
                        format!("{hair:?}"),
                        BuiltinLook {
                            hair,
                            ..BuiltinLook::default()
                        },
                    )
                })
                .collect(),
        );
        check(
            OutfitStyle::ALL
                .into_iter()
                .map(|outfit| {
                    (
                        format!("{outfit:?}"),
                        BuiltinLook {
                            outfit,
                            ..BuiltinLook::default()
                        },
                    )
                })
                .collect(),
        );
    }

    #[test]
    fn the_face_blinks_sings_and_smiles() {
        let skeleton = Skeleton::new(1.65, 1.0);
        let parts = idol_parts(&skeleton, &BuiltinLook::default());
        let part = |wanted: Slot| {
            let (_, part) = parts
                .iter()
                .find(|(slot, part)| *slot == wanted && !part.morph_targets().is_empty())
                .expect("the painted face and the mouth carry the expressions");
            assert_eq!(part.morph_targets().len(), Expression::ALL.len());
            part
        };
        // The painted eyes close to a line; the brows and blush stay.
        let painted = part(Slot::Face);
        let eye = painted
            .positions()
            .iter()
            .map(|p| Vec3::from_array(*p))
            .filter(|p| p.x > 0.0)
            .fold(Vec3::ZERO, |sum, p| sum + p)
            / painted.positions().iter().filter(|p| p[0] > 0.0).count() as f32;
        let eye = Vec3::new(skeleton.at(LeftEye).x, eye.y, eye.z);
        let open = extent(painted, eye, Expression::Blink, 0.0);
        let closed = extent(painted, eye, Expression::Blink, 1.0);
        assert!(closed < open * 0.6, "blink: {open} -> {closed}");
        assert!(painted.uvs().is_some(), "the face is textured");
        let face = part(Slot::Dark);
        let mouth = skeleton.at(Jaw);
        let shut = extent(face, mouth, Expression::Aa, 0.0);
        for vowel in Expression::VOWELS {
            let sung = extent(face, mouth, vowel, 1.0);
            assert!(sung > shut * 1.5, "{vowel:?}: {shut} -> {sung}");
        }
        assert!(
            extent(face, mouth, Expression::Aa, 1.0) > extent(face, mouth, Expression::Ih, 1.0)
        );
        // A smile lifts the corners: the mouth's outermost vertices rise.
        let smile = &face.morph_targets()[Expression::Smile.index()];
        let corner = face
            .positions()
            .iter()
            .enumerate()
            .filter(|(_, p)| Vec3::from_array(**p).distance(mouth) < 0.03)
            .max_by(|a, b| a.1[0].total_cmp(&b.1[0]))
            .expect("mouth vertices");
        assert!(
            smile[corner.0][1] > 0.005,
            "corner lifts {}",
            smile[corner.0][1]
        );
        // Other parts have no expressions.
        for (slot, part) in &parts {
            if !matches!(slot, Slot::Dark | Slot::Face) {
                assert!(part.morph_targets().is_empty(), "{slot:?}");
            }
        }
    }
}

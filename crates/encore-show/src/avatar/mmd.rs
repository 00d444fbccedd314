//! MikuMikuDance models as encore sees them: the PMX reader's data turned into encore's axes,
//! MMD's standard bone names bound to the humanoid, the figure, and the inspection that
//! `encore avatar inspect`, `encore check` and the credits read.
//!
//! MMD is left-handed with the model facing -Z; encore is right-handed with the idol facing
//! +Z. Negating Z does both at once (her left arm stays on +X); the mirror also reverses the
//! triangles' winding, so the app lists each triangle's corners in the other order.

use std::path::Path;

use glam::{Quat, Vec3};

use super::{
    figure::Figure,
    inspect::{Format, Inspection, Licence, MapSource, ModelFileError, REQUIRED_BONES},
    looks::{Looks, OutlineSpec, ToonSpec},
    pmx::{self, MorphKind, Pmx},
    skeleton::{BONE_COUNT, Bone},
};

/// A PMX position or normal in encore's axes.
pub fn to_encore(value: [f32; 3]) -> Vec3 {
    Vec3::new(value[0], value[1], -value[2])
}

/// MMD's standard bone names for each humanoid bone, in order of preference: the deform
/// ("D") leg bones that carry the skin where a model has them, before the bones the IK and
/// the append rotations drive.
const STANDARD: &[(Bone, &[&str])] = {
    use Bone::*;
    &[
        (Hips, &["腰", "グルーブ", "センター"]),
        (Spine, &["上半身"]),
        (Chest, &["上半身2"]),
        (UpperChest, &["上半身3"]),
        (Neck, &["首"]),
        (Head, &["頭"]),
        (LeftEye, &["左目"]),
        (RightEye, &["右目"]),
        (LeftShoulder, &["左肩"]),
        (LeftUpperArm, &["左腕"]),
        (LeftLowerArm, &["左ひじ"]),
        (LeftHand, &["左手首"]),
        (RightShoulder, &["右肩"]),
        (RightUpperArm, &["右腕"]),
        (RightLowerArm, &["右ひじ"]),
        (RightHand, &["右手首"]),
        (LeftUpperLeg, &["左足D", "左足"]),
        (LeftLowerLeg, &["左ひざD", "左ひざ"]),
        (LeftFoot, &["左足首D", "左足首"]),
        (LeftToes, &["左足先EX", "左つま先"]),
        (RightUpperLeg, &["右足D", "右足"]),
        (RightLowerLeg, &["右ひざD", "右ひざ"]),
        (RightFoot, &["右足首D", "右足首"]),
        (RightToes, &["右足先EX", "右つま先"]),
    ]
};

/// The humanoid map of a PMX model: VRM bone name → PMX bone name, by MMD's standard names.
pub fn humanoid(pmx: &Pmx) -> Vec<(String, String)> {
    STANDARD
        .iter()
        .filter_map(|(bone, names)| {
            let found = names
                .iter()
                .find(|name| pmx.bones.iter().any(|known| known.name == **name))?;
            Some((bone.vrm_name().to_owned(), (*found).to_owned()))
        })
        .collect()
}

/// Each vertex's bone with the largest weight.
fn lead_bone(vertex: &pmx::Vertex) -> usize {
    let mut lead = (vertex.bones[0], f32::MIN);
    for (&bone, &weight) in vertex.bones.iter().zip(&vertex.weights) {
        if weight > lead.1 {
            lead = (bone, weight);
        }
    }
    lead.0 as usize
}

/// The figure of a PMX model at rest, in encore's axes (MMD units: about 8 cm).
pub fn figure(pmx: &Pmx, humanoid: &[(String, String)]) -> Option<Figure> {
    let index_of = |name: &str| pmx.bones.iter().position(|bone| bone.name == name);
    let mut joints = [None; BONE_COUNT];
    let mut bone_of = vec![None; pmx.bones.len()];
    for (bone, node) in humanoid {
        let (Some(bone), Some(index)) = (
            Bone::ALL.iter().find(|known| known.vrm_name() == bone),
            index_of(node),
        ) else {
            continue;
        };
        joints[bone.index()] = Some(to_encore(pmx.bones[index].position));
        bone_of[index] = Some(bone.index());
    }
    // Bones at or below the head.
    let head = index_of("頭");
    let in_head: Vec<bool> = (0..pmx.bones.len())
        .map(|mut index| {
            for _ in 0..pmx.bones.len() {
                if Some(index) == head {
                    return true;
                }
                match pmx.bones[index].parent {
                    Some(parent) => index = parent,
                    None => return false,
                }
            }
            false
        })
        .collect();
    let mut all: Option<(Vec3, Vec3)> = None;
    let mut head_parts: Option<(Vec3, Vec3)> = None;
    let mut parts: [Option<(Vec3, Vec3)>; BONE_COUNT] = [None; BONE_COUNT];
    let grow = |bounds: &mut Option<(Vec3, Vec3)>, point: Vec3| {
        *bounds = Some(match *bounds {
            Some((low, high)) => (low.min(point), high.max(point)),
            None => (point, point),
        });
    };
    for vertex in &pmx.vertices {
        let point = to_encore(vertex.position);
        if !point.is_finite() {
            continue;
        }
        grow(&mut all, point);
        let lead = lead_bone(vertex);
        if in_head.get(lead).copied().unwrap_or(false) {
            grow(&mut head_parts, point);
        }
        if let Some(Some(bone)) = bone_of.get(lead) {
            grow(&mut parts[*bone], point);
        }
    }
    let (min, max) = all?;
    Some(Figure {
        facing: Quat::IDENTITY,
        min,
        max,
        head: head_parts,
        joints,
        parts,
    })
}

/// Morph `index` with weight 1, or a group morph's members with their weights (groups
/// inside groups are not followed).
pub(crate) fn weighted(pmx: &Pmx, index: usize) -> Vec<(&pmx::Morph, f32)> {
    match pmx.morphs.get(index) {
        Some(pmx::Morph {
            kind: MorphKind::Group(members),
            ..
        }) => members
            .iter()
            .filter_map(|member| Some((pmx.morphs.get(member.morph)?, member.weight)))
            .collect(),
        Some(morph) => vec![(morph, 1.0)],
        None => Vec::new(),
    }
}

/// What morph `index` moves vertices by (encore's axes): a vertex morph's offsets, or a group
/// morph's members' offsets times their weights. `None` for morphs that move no vertices.
pub fn vertex_offsets(pmx: &Pmx, index: usize) -> Option<Vec<(u32, Vec3)>> {
    let moved: Vec<(u32, Vec3)> = weighted(pmx, index)
        .into_iter()
        .flat_map(|(morph, weight)| match &morph.kind {
            MorphKind::Vertex(offsets) => offsets
                .iter()
                .map(|offset| (offset.vertex, to_encore(offset.offset) * weight))
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    (!moved.is_empty()).then_some(moved)
}

/// What morph `index` turns and moves bones by (encore's axes): a bone morph's offsets, or a
/// group morph's bone members' offsets, scaled by their weights.
pub fn bone_offsets(pmx: &Pmx, index: usize) -> Vec<(usize, Vec3, Quat)> {
    weighted(pmx, index)
        .into_iter()
        .flat_map(|(morph, weight)| match &morph.kind {
            MorphKind::Bone(offsets) => offsets
                .iter()
                .map(|offset| {
                    let [x, y, z, w] = offset.rotation;
                    let rotation = Quat::from_xyzw(-x, -y, z, w).normalize();
                    (
                        offset.bone,
                        to_encore(offset.translation) * weight,
                        Quat::IDENTITY.slerp(rotation, weight),
                    )
                })
                .collect(),
            _ => Vec::new(),
        })
        .collect()
}

/// What `encore avatar inspect` tells of a PMX model beyond the common facts.
#[derive(Debug, Clone, PartialEq)]
pub struct PmxFacts {
    /// `UTF-16` or `UTF-8`.
    pub encoding: &'static str,
    /// The model's Japanese and English names.
    pub names: (String, String),
    /// The comments, which hold the model's terms of use.
    pub comments: (String, String),
    /// Each material in the file's order, as one line: name, triangles, texture or colour,
    /// alpha, sides, sphere map, toon and edge.
    pub materials: Vec<String>,
    /// Bones.
    pub bones: usize,
    /// IK bones and their links.
    pub ik_chains: Vec<(String, usize)>,
    /// Morphs by kind.
    pub morphs: Vec<(&'static str, usize)>,
    /// Rigid bodies.
    pub rigid_bodies: usize,
    /// Joints between rigid bodies.
    pub joints: usize,
    /// Textures found next to the file.
    pub textures_found: usize,
    /// Textures the file names that are not there.
    pub textures_missing: Vec<String>,
}

/// The shade of MMD's ten shared toon ramps (`toon01` to `toon10`) as encore draws them:
/// what the lit colour is multiplied by on the side away from a light. MMD's own ramp
/// images are not free to ship, so these are encore's: greys, a warm skin tone, pinks and a
/// cool blue, from deep to faint.
pub const SHARED_TOONS: [[f32; 3]; 10] = [
    [0.72, 0.72, 0.74],
    [0.90, 0.80, 0.78],
    [0.58, 0.58, 0.62],
    [0.92, 0.76, 0.80],
    [0.80, 0.82, 0.92],
    [0.86, 0.74, 0.62],
    [0.84, 0.84, 0.86],
    [0.46, 0.44, 0.50],
    [0.84, 0.80, 0.92],
    [0.94, 0.93, 0.94],
];

/// The shade of a material without a toon ramp (MMD shades it by its light alone).
const NO_TOON: [f32; 3] = [0.8, 0.8, 0.8];

/// Screen heights per unit of a PMX material's edge size: MMD's edge of 1 is about a
/// pixel wide at 720 lines.
const EDGE_SCREEN: f32 = 0.0025;

/// The name a PMX material's mesh and look go by: its number and its name (names repeat in
/// some files).
pub fn material_label(index: usize, material: &pmx::Material) -> String {
    format!("{index} {}", material.name)
}

/// A PMX material's toon look: its diffuse colour shaded by its toon ramp (a ramp image of its
/// own is taken as `NO_TOON` here; the app reads the image), a hard boundary as MMD's ramps
/// draw, and its edge as an outline a fixed share of the screen wide.
pub fn toon_spec(material: &pmx::Material) -> ToonSpec {
    let ramp = match material.toon {
        pmx::Toon::Shared(index) => SHARED_TOONS[usize::from(index.min(9))],
        pmx::Toon::None | pmx::Toon::Texture(_) => NO_TOON,
    };
    let [r, g, b, _] = material.diffuse;
    let linear = |value: f32| value.clamp(0.0, 1.0).powf(2.2);
    ToonSpec {
        shade: [
            linear(r) * ramp[0],
            linear(g) * ramp[1],
            linear(b) * ramp[2],
        ],
        shade_textured: true,
        shift: 0.0,
        toony: 0.9,
        outline: (material.flags.edge()
            && material.edge_size > 0.0
            && material.edge_colour[3] > 0.0)
            .then(|| OutlineSpec {
                width: material.edge_size * EDGE_SCREEN,
                screen: true,
                colour: [
                    linear(material.edge_colour[0]),
                    linear(material.edge_colour[1]),
                    linear(material.edge_colour[2]),
                ],
                lighting_mix: 0.0,
            }),
        ..ToonSpec::default()
    }
}

/// One line about `material` for the inspection.
fn material_line(pmx: &Pmx, material: &pmx::Material) -> String {
    let texture = |index: Option<usize>| {
        index
            .and_then(|index| pmx.textures.get(index))
            .map(|path| pmx::normalized_texture_path(path).display().to_string())
    };
    let [r, g, b, a] = material.diffuse;
    let mut line = format!(
        "{}: {} triangles, {}",
        material.name,
        material.index_count / 3,
        texture(material.texture).unwrap_or_else(|| format!("colour ({r:.2}, {g:.2}, {b:.2})"))
    );
    if a < 1.0 {
        line.push_str(&format!(", alpha {a:.2}"));
    }
    if material.flags.double_sided() {
        line.push_str(", double-sided");
    }
    if let Some(sphere) = texture(material.sphere) {
        let mode = match material.sphere_mode {
            pmx::SphereMode::Multiply => "multiply",
            pmx::SphereMode::Add => "add",
            pmx::SphereMode::SubTexture => "sub-texture",
            pmx::SphereMode::Off => "off",
        };
        line.push_str(&format!(", sphere {sphere} ({mode})"));
    }
    match material.toon {
        pmx::Toon::Shared(index) => line.push_str(&format!(", toon{:02}", index + 1)),
        pmx::Toon::Texture(index) => {
            if let Some(toon) = texture(Some(index)) {
                line.push_str(&format!(", toon {toon}"));
            }
        }
        pmx::Toon::None => {}
    }
    if material.flags.edge() {
        line.push_str(&format!(", edge {:.2}", material.edge_size));
    }
    line
}

/// Inspects a PMX file's `bytes` (`path` names it and locates its textures).
pub(crate) fn inspect(path: &Path, bytes: &[u8]) -> Result<Inspection, ModelFileError> {
    let pmx = pmx::read(bytes).map_err(|error| ModelFileError::Pmx {
        path: path.to_owned(),
        error,
    })?;
    let humanoid = humanoid(&pmx);
    let figure = figure(&pmx, &humanoid);
    let folder = path.parent().unwrap_or(Path::new("."));
    let (found, missing): (Vec<&String>, Vec<&String>) = pmx
        .textures
        .iter()
        .partition(|texture| pmx::find_texture(folder, texture).is_some());
    let mut morphs: Vec<(&'static str, usize)> = Vec::new();
    for morph in &pmx.morphs {
        match morphs
            .iter_mut()
            .find(|(kind, _)| *kind == morph.kind_name())
        {
            Some((_, count)) => *count += 1,
            None => morphs.push((morph.kind_name(), 1)),
        }
    }
    let vertex_morphs: Vec<String> = pmx
        .morphs
        .iter()
        .filter(|morph| matches!(morph.kind, MorphKind::Vertex(_)))
        .map(|morph| morph.name.clone())
        .collect();
    let expressions: Vec<String> = vertex_morphs
        .iter()
        .filter(|name| super::expression::Expression::from_morph_name(name).is_some())
        .cloned()
        .collect();
    let missing_bones = REQUIRED_BONES
        .iter()
        .copied()
        .filter(|required| !humanoid.iter().any(|(bone, _)| bone == required))
        .collect();
    let comment = if pmx.comment.trim().is_empty() {
        pmx.comment_en.clone()
    } else {
        pmx.comment.clone()
    };
    let title = match (pmx.name.trim(), pmx.name_en.trim()) {
        ("", english) => english.to_owned(),
        (name, _) => name.to_owned(),
    };
    Ok(Inspection {
        path: path.to_owned(),
        container: "PMX",
        generator: String::new(),
        format: Format::Pmx(format!("{:.1}", pmx.version)),
        meshes: pmx.materials.len(),
        primitives: pmx.materials.len(),
        vertices: pmx.vertices.len(),
        triangles: pmx.faces.len(),
        nodes: pmx.bones.len(),
        skins: vec![pmx.bones.len()],
        morph_targets: vertex_morphs,
        clips: Vec::new(),
        humanoid,
        map_source: MapSource::Mmd,
        missing_bones,
        expressions,
        expression_binds: Vec::new(),
        look_at: None,
        springs: Default::default(),
        spring_joints: Vec::new(),
        colliders: Vec::new(),
        licence: Licence {
            title,
            // The comment is where MMD models state their terms: one line of it.
            licence: comment
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .collect::<Vec<_>>()
                .join(" · "),
            ..Licence::default()
        },
        extensions: Vec::new(),
        looks: Looks {
            materials: pmx
                .materials
                .iter()
                .map(|material| Some(toon_spec(material)))
                .collect(),
            material_names: pmx
                .materials
                .iter()
                .enumerate()
                .map(|(index, material)| material_label(index, material))
                .collect(),
            ..Looks::default()
        },
        top_nodes: Vec::new(),
        figure,
        pmx: Some(PmxFacts {
            encoding: match pmx.encoding {
                pmx::TextEncoding::Utf16 => "UTF-16",
                pmx::TextEncoding::Utf8 => "UTF-8",
            },
            names: (pmx.name.clone(), pmx.name_en.clone()),
            comments: (pmx.comment.clone(), pmx.comment_en.clone()),
            materials: pmx
                .materials
                .iter()
                .map(|material| material_line(&pmx, material))
                .collect(),
            bones: pmx.bones.len(),
            ik_chains: pmx
                .bones
                .iter()
                .filter_map(|bone| Some((bone.name.clone(), bone.ik.as_ref()?.links.len())))
                .collect(),
            morphs,
            rigid_bodies: pmx.rigid_bodies.len(),
            joints: pmx.joints.len(),
            textures_found: found.len(),
            textures_missing: missing.into_iter().cloned().collect(),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{avatar::inspect::inspect as inspect_file, testdata};

    #[test]
    fn gene_binds_to_the_humanoid_and_stands_facing_the_audience() {
        let Some(path) = testdata::file("mmd/gene/Gene_light.pmx") else {
            return;
        };
        let inspection = inspect_file(&path).expect("Gene reads");
        assert_eq!(inspection.format, Format::Pmx("2.0".to_owned()));
        assert!(
            inspection.missing_bones.is_empty(),
            "{:?}",
            inspection.missing_bones
        );
        for expression in ["あ", "い", "う", "え", "お", "まばたき"] {
            assert!(inspection.expressions.iter().any(|name| name == expression));
        }
        let facts = inspection.pmx.as_ref().expect("PMX facts");
        assert_eq!((facts.rigid_bodies, facts.joints), (87, 92));
        assert_eq!(facts.textures_found, 10);
        assert!(facts.textures_missing.is_empty());
        assert!(facts.ik_chains.iter().any(|(name, _)| name == "左足ＩＫ"));
        let fit = inspection.fit(1.6).expect("a figure");
        // Her left arm is on +X: she faces the audience without a turn.
        let at = |bone: Bone| inspection.figure.unwrap().joints[bone.index()].unwrap();
        assert!(at(Bone::LeftUpperArm).x > at(Bone::RightUpperArm).x);
        assert!(fit.face.y > 1.3 && fit.face.y < 1.55, "{}", fit.face);
        assert!(fit.hips.y > 0.7 && fit.hips.y < 1.05, "{}", fit.hips);
        let text = inspection.to_string();
        assert!(
            text.contains("PMX 2.0") && text.contains("87 rigid bodies"),
            "{text}"
        );
        let credit = super::super::inspect::credit_line("Gene", &inspection).expect("a credit");
        assert!(credit.contains("JST"), "{credit}");
    }

    #[test]
    fn a_truncated_pmx_names_the_file_and_the_byte() {
        let Some(path) = testdata::file("mmd/gene/Gene_light.pmx") else {
            return;
        };
        let bytes = std::fs::read(&path).expect("Gene reads");
        let error =
            inspect(Path::new("cut.pmx"), &bytes[..bytes.len() / 2]).expect_err("half a file");
        let said = error.to_string();
        assert!(
            said.starts_with("cut.pmx") && said.contains("byte "),
            "{said}"
        );
    }
}

//! A built-in idol's design: what the setlist's few parameters and her id make of her face
//! and its colours. The stage and `encore avatar gen` both start from it, so an exported idol
//! has the face she has on stage, and the same id always gets the same face.

use crate::{
    avatar::face_paint::{FacePalette, FaceParams},
    colour::Srgb,
};

/// One idol's design.
#[derive(Debug, Clone, PartialEq)]
pub struct IdolDesign {
    /// The seed her face comes from: a hash of her id.
    pub seed: u64,
    /// Her face's shapes.
    pub face: FaceParams,
    /// The colours it is painted in.
    pub palette: FacePalette,
}

/// FNV-1a, 64 bits: a stable hash of an id (the standard library's hasher may change
/// between releases, and a face must not).
pub fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl IdolDesign {
    /// The design for the idol `id` with `skin` and `hair` colours (her look's), whose member
    /// colour is `member`: her eyes take a deep shade of it.
    pub fn new(id: &str, skin: Srgb, hair: Srgb, member: Srgb) -> Self {
        let seed = stable_hash(id);
        Self {
            seed,
            face: FaceParams::from_seed(seed, iris_from(member)),
            palette: FacePalette { skin, hair },
        }
    }
}

/// A member colour as an iris colour: its hue, deep and saturated enough to read as eyes.
fn iris_from(member: Srgb) -> Srgb {
    let max = member.red.max(member.green).max(member.blue).max(1e-3);
    let min = member.red.min(member.green).min(member.blue);
    // Push the colour away from grey, then scale it to a mid brightness.
    let saturate = |value: f32| ((value - min) / (max - min).max(1e-3)) * 0.75 + 0.15;
    Srgb::new(
        saturate(member.red),
        saturate(member.green),
        saturate(member.blue),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_id_gets_the_same_face_and_others_differ() {
        let (skin, hair) = (Srgb::new(0.95, 0.82, 0.74), Srgb::new(0.17, 0.13, 0.2));
        let pink = Srgb::new(1.0, 0.44, 0.68);
        let hana = IdolDesign::new("hana", skin, hair, pink);
        assert_eq!(hana, IdolDesign::new("hana", skin, hair, pink));
        // Pinned: the hash must not change between releases.
        assert_eq!(stable_hash("hana"), 0x2e2c_99cc_740b_fc5f);
        let others: Vec<IdolDesign> = ["yuna", "mira", "seo", "jiwoo"]
            .iter()
            .map(|id| IdolDesign::new(id, skin, hair, pink))
            .collect();
        for other in &others {
            assert_ne!(other.face, hana.face);
        }
        // Her eyes take her member colour's hue.
        let blue = IdolDesign::new("hana", skin, hair, Srgb::new(0.3, 0.5, 1.0));
        let iris = blue.face.iris_bottom;
        assert!(iris.blue > iris.red && iris.blue > iris.green, "{iris:?}");
        let iris = hana.face.iris_bottom;
        assert!(iris.red > iris.green, "{iris:?}");
    }
}

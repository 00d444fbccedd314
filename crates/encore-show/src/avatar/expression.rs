//! Facial expressions: the morph targets every idol's face carries, named as VRM 1.0
//! expressions, and a face as one weight per expression.

/// A facial expression with a morph target on the idol's face.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Expression {
    /// Both eyes closed.
    Blink,
    /// The open "a" of "father".
    Aa,
    /// The narrow "i" of "see", lips apart.
    Ih,
    /// The rounded "u" of "blue".
    Ou,
    /// The wide "e" of "bed".
    Ee,
    /// The round "o" of "go".
    Oh,
    /// A smile: mouth corners up, happy eyes.
    Smile,
}

/// Number of expressions.
pub const EXPRESSION_COUNT: usize = 7;

impl Expression {
    /// Every expression, in morph-target order.
    pub const ALL: [Expression; EXPRESSION_COUNT] = [
        Expression::Blink,
        Expression::Aa,
        Expression::Ih,
        Expression::Ou,
        Expression::Ee,
        Expression::Oh,
        Expression::Smile,
    ];

    /// The five singing vowels.
    pub const VOWELS: [Expression; 5] = [
        Expression::Aa,
        Expression::Ih,
        Expression::Ou,
        Expression::Ee,
        Expression::Oh,
    ];

    /// Index into per-expression arrays and morph targets.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The morph target's name in meshes encore writes.
    pub fn morph_name(self) -> &'static str {
        match self {
            Expression::Blink => "blink",
            Expression::Aa => "aa",
            Expression::Ih => "ih",
            Expression::Ou => "ou",
            Expression::Ee => "ee",
            Expression::Oh => "oh",
            Expression::Smile => "smile",
        }
    }

    /// The VRM 1.0 preset expression it is exported as.
    pub fn vrm_preset(self) -> &'static str {
        match self {
            Expression::Smile => "happy",
            other => other.morph_name(),
        }
    }

    /// The expression a morph target of an imported model stands for, by its name: encore's
    /// own names, the VRM presets, and the usual spellings in other tools.
    pub fn from_morph_name(name: &str) -> Option<Expression> {
        let name = name.trim().to_ascii_lowercase();
        let name = name
            .strip_prefix("fcl_")
            .or_else(|| name.strip_prefix("vrc.v_"))
            .unwrap_or(&name);
        Some(match name {
            "blink" | "eye_close" | "all_close" | "blink_both" => Expression::Blink,
            "aa" | "a" | "mth_a" => Expression::Aa,
            "ih" | "i" | "mth_i" => Expression::Ih,
            "ou" | "u" | "mth_u" => Expression::Ou,
            "ee" | "e" | "mth_e" => Expression::Ee,
            "oh" | "o" | "mth_o" => Expression::Oh,
            "smile" | "happy" | "joy" | "all_joy" => Expression::Smile,
            // MikuMikuDance's standard face morphs.
            "あ" => Expression::Aa,
            "い" => Expression::Ih,
            "う" => Expression::Ou,
            "え" => Expression::Ee,
            "お" => Expression::Oh,
            "まばたき" => Expression::Blink,
            "笑い" => Expression::Smile,
            _ => return None,
        })
    }
}

/// A face: one weight per expression, 0 (none) to 1 (full).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Face(pub [f32; EXPRESSION_COUNT]);

impl Face {
    /// The weight of `expression`.
    pub fn get(&self, expression: Expression) -> f32 {
        self.0[expression.index()]
    }

    /// Sets the weight of `expression`.
    pub fn set(&mut self, expression: Expression, weight: f32) {
        self.0[expression.index()] = weight;
    }

    /// How open the mouth is: the sum of the vowel weights.
    pub fn mouth_open(&self) -> f32 {
        Expression::VOWELS
            .iter()
            .map(|vowel| self.get(*vowel))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_other_spellings_map() {
        for expression in Expression::ALL {
            assert_eq!(
                Expression::from_morph_name(expression.morph_name()),
                Some(expression)
            );
            assert_eq!(
                Expression::from_morph_name(expression.vrm_preset()),
                Some(expression)
            );
        }
        assert_eq!(
            Expression::from_morph_name("Fcl_MTH_A"),
            Some(Expression::Aa)
        );
        assert_eq!(
            Expression::from_morph_name("Blink"),
            Some(Expression::Blink)
        );
        assert_eq!(Expression::from_morph_name("angry"), None);
    }
}

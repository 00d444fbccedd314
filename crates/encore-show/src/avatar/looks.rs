//! How a VRM model looks, read from its JSON without Bevy: MToon shading per material (VRM
//! 1.0's `VRMC_materials_mtoon`, or VRM 0.x's `materialProperties` migrated the way UniVRM
//! migrates them), the expressions' material-colour and texture-transform binds, the
//! expressions' `isBinary` and override rules, and the eyes' look-at. The pure functions here
//! turn an idol's expression weights into what the eyes and materials show.

use serde_json::Value;

use super::expression::{EXPRESSION_COUNT, Expression};

/// MToon parameters of one material (linear colours).
#[derive(Debug, Clone, PartialEq)]
pub struct ToonSpec {
    /// The colour of the shaded side.
    pub shade: [f32; 3],
    /// Whether the shade colour is multiplied by a texture (taken to be the base texture).
    pub shade_textured: bool,
    /// `shadingShiftFactor`: moves the light/shade boundary.
    pub shift: f32,
    /// `shadingToonyFactor`: 1 is a hard boundary, 0 a smooth one.
    pub toony: f32,
    /// Parametric rim colour.
    pub rim: [f32; 3],
    /// Rim fresnel power.
    pub rim_power: f32,
    /// Rim lift.
    pub rim_lift: f32,
    /// How much the lights colour the rim (0 none, 1 fully).
    pub rim_mix: f32,
    /// The outline, if the material has one.
    pub outline: Option<OutlineSpec>,
    /// UV scroll speeds in UV units per second (x, y).
    pub scroll: [f32; 2],
    /// UV rotation speed in radians per second.
    pub rotation: f32,
}

impl Default for ToonSpec {
    fn default() -> Self {
        Self {
            shade: [0.0; 3],
            shade_textured: false,
            shift: 0.0,
            toony: 0.9,
            rim: [0.0; 3],
            rim_power: 5.0,
            rim_lift: 0.0,
            rim_mix: 1.0,
            outline: None,
            scroll: [0.0; 2],
            rotation: 0.0,
        }
    }
}

/// An MToon outline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutlineSpec {
    /// Width in the model's metres, or in screen heights.
    pub width: f32,
    /// Whether `width` is a fraction of the screen's height.
    pub screen: bool,
    /// Linear colour.
    pub colour: [f32; 3],
    /// How much the lights colour the outline.
    pub lighting_mix: f32,
}

/// Which colour of a material an expression moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColourSlot {
    /// The base colour (with its alpha).
    Base,
    /// The shade colour.
    Shade,
    /// The emissive colour.
    Emissive,
    /// The rim colour.
    Rim,
    /// The outline colour.
    Outline,
}

/// What an expression changes in a material.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BindTarget {
    /// A colour, towards this linear value.
    Colour(ColourSlot, [f32; 4]),
    /// The texture's UV scale and offset, towards these.
    Uv {
        /// UV scale.
        scale: [f32; 2],
        /// UV offset.
        offset: [f32; 2],
    },
}

/// A material bind of an expression.
#[derive(Debug, Clone, PartialEq)]
pub struct MaterialBind {
    /// The expression's name as the file gives it.
    pub expression: String,
    /// glTF material index.
    pub material: usize,
    /// What it moves, and where to.
    pub target: BindTarget,
}

/// What an expression does to blinks, the mouth and the eyes' look-at while it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Override {
    /// Nothing.
    #[default]
    None,
    /// Turns them off while the expression has any weight.
    Block,
    /// Scales them by one minus the expression's weight.
    Blend,
}

impl Override {
    fn parse(value: &Value) -> Self {
        match value.as_str() {
            Some("block") => Self::Block,
            Some("blend") => Self::Blend,
            _ => Self::None,
        }
    }

    fn factor(self, weight: f32) -> f32 {
        match self {
            Self::None => 1.0,
            Self::Block if weight > 0.0 => 0.0,
            Self::Block => 1.0,
            Self::Blend => 1.0 - weight.clamp(0.0, 1.0),
        }
    }
}

/// An expression's `isBinary` and override settings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExpressionRule {
    /// The expression's name as the file gives it.
    pub expression: String,
    /// Shown fully above half weight, not at all below.
    pub binary: bool,
    /// Effect on blinks.
    pub blink: Override,
    /// Effect on the vowels.
    pub mouth: Override,
    /// Effect on the eyes' look-at.
    pub look: Override,
}

/// How far the eyes turn for an angle, per direction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RangeMap {
    /// Angle in degrees at which the output is full.
    pub input_max: f32,
    /// The full output: degrees for eye bones, a weight for look expressions.
    pub output_scale: f32,
}

impl RangeMap {
    /// The output for an angle of `degrees` (positive).
    pub fn map(self, degrees: f32) -> f32 {
        if self.input_max <= 0.0 || !degrees.is_finite() {
            return 0.0;
        }
        degrees.clamp(0.0, self.input_max) / self.input_max * self.output_scale
    }
}

/// The eyes' look-at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LookAtSpec {
    /// Eye bones turn (true), or the look expressions show (false).
    pub bones: bool,
    /// Horizontal, towards the nose.
    pub inner: RangeMap,
    /// Horizontal, away from the nose.
    pub outer: RangeMap,
    /// Down.
    pub down: RangeMap,
    /// Up.
    pub up: RangeMap,
}

impl LookAtSpec {
    /// Eye rotations in degrees, `(yaw, pitch)` for the left eye and the right eye, for a
    /// target `yaw` degrees to her left and `pitch` degrees up. Yaw to her left moves the
    /// left eye outwards and the right eye inwards.
    pub fn eye_angles(&self, yaw: f32, pitch: f32) -> [(f32, f32); 2] {
        let vertical = if pitch >= 0.0 {
            self.up.map(pitch)
        } else {
            -self.down.map(-pitch)
        };
        let (left, right) = if yaw >= 0.0 {
            (self.outer.map(yaw), self.inner.map(yaw))
        } else {
            (-self.inner.map(-yaw), -self.outer.map(-yaw))
        };
        [(left, vertical), (right, vertical)]
    }

    /// Look expression weights `[left, right, up, down]` for a target `yaw` degrees to her
    /// left and `pitch` up.
    pub fn expression_weights(&self, yaw: f32, pitch: f32) -> [f32; 4] {
        [
            if yaw > 0.0 { self.outer.map(yaw) } else { 0.0 },
            if yaw < 0.0 { self.outer.map(-yaw) } else { 0.0 },
            if pitch > 0.0 { self.up.map(pitch) } else { 0.0 },
            if pitch < 0.0 {
                self.down.map(-pitch)
            } else {
                0.0
            },
        ]
        .map(|weight| weight.clamp(0.0, 1.0))
    }
}

/// Everything about a model's looks that its JSON says.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Looks {
    /// MToon parameters by glTF material index (`None` for other materials).
    pub materials: Vec<Option<ToonSpec>>,
    /// glTF material names, by index.
    pub material_names: Vec<String>,
    /// Material binds of the expressions.
    pub binds: Vec<MaterialBind>,
    /// Expressions' binary and override rules.
    pub rules: Vec<ExpressionRule>,
    /// The eyes' look-at.
    pub look_at: Option<LookAtSpec>,
}

/// An sRGB colour component to linear.
fn linear(value: f32) -> f32 {
    if value <= 0.04045 {
        value / 12.92
    } else {
        ((value + 0.055) / 1.055).powf(2.4)
    }
}

fn float(value: &Value, default: f32) -> f32 {
    value
        .as_f64()
        .map(|number| number as f32)
        .filter(|number| number.is_finite())
        .unwrap_or(default)
}

fn floats<const N: usize>(value: &Value, default: [f32; N]) -> [f32; N] {
    match value.as_array() {
        Some(items) => std::array::from_fn(|index| {
            items
                .get(index)
                .map_or(default[index], |item| float(item, default[index]))
        }),
        None => default,
    }
}

fn rgb(colour: [f32; 4]) -> [f32; 3] {
    [colour[0], colour[1], colour[2]]
}

/// Reads the looks of a glTF document (empty for a file without VRM).
pub fn read(document: &gltf::Document) -> Looks {
    let material_names: Vec<String> = document
        .materials()
        .map(|material| material.name().unwrap_or_default().to_owned())
        .collect();
    let mut materials: Vec<Option<ToonSpec>> = document
        .materials()
        .map(|material| material.extension_value("VRMC_materials_mtoon").map(toon_1))
        .collect();
    let mut looks = Looks::default();
    if let Some(vrm) = document.extension_value("VRMC_vrm") {
        for group in ["preset", "custom"] {
            for (name, expression) in vrm["expressions"][group].as_object().into_iter().flatten() {
                looks.rules.push(ExpressionRule {
                    expression: name.clone(),
                    binary: expression["isBinary"].as_bool().unwrap_or(false),
                    blink: Override::parse(&expression["overrideBlink"]),
                    mouth: Override::parse(&expression["overrideMouth"]),
                    look: Override::parse(&expression["overrideLookAt"]),
                });
                binds_1(name, expression, material_names.len(), &mut looks.binds);
            }
        }
        let look = &vrm["lookAt"];
        if look.is_object() {
            let range = |key: &str| RangeMap {
                input_max: float(&look[key]["inputMaxValue"], 90.0),
                output_scale: float(&look[key]["outputScale"], 10.0),
            };
            looks.look_at = Some(LookAtSpec {
                bones: look["type"].as_str() != Some("expression"),
                inner: range("rangeMapHorizontalInner"),
                outer: range("rangeMapHorizontalOuter"),
                down: range("rangeMapVerticalDown"),
                up: range("rangeMapVerticalUp"),
            });
        }
    } else if let Some(vrm) = document.extension_value("VRM") {
        for properties in vrm["materialProperties"].as_array().into_iter().flatten() {
            if properties["shader"].as_str() != Some("VRM/MToon") {
                continue;
            }
            let name = properties["name"].as_str().unwrap_or_default();
            let Some(index) = material_names.iter().position(|known| known == name) else {
                continue;
            };
            if materials[index].is_none() {
                materials[index] = Some(toon_0(properties));
            }
        }
        for group in vrm["blendShapeMaster"]["blendShapeGroups"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let preset = group["presetName"].as_str().unwrap_or_default();
            let name = if preset.is_empty() || preset == "unknown" {
                group["name"].as_str().unwrap_or_default()
            } else {
                preset
            };
            looks.rules.push(ExpressionRule {
                expression: name.to_owned(),
                binary: group["isBinary"].as_bool().unwrap_or(false),
                ..ExpressionRule::default()
            });
            binds_0(name, group, &material_names, &mut looks.binds);
        }
        let first_person = &vrm["firstPerson"];
        if let Some(kind) = first_person["lookAtTypeName"].as_str() {
            let curve = |key: &str, output: f32| RangeMap {
                input_max: float(&first_person[key]["xRange"], 90.0),
                output_scale: float(&first_person[key]["yRange"], output),
            };
            let bones = kind != "BlendShape";
            let output = if bones { 10.0 } else { 1.0 };
            looks.look_at = Some(LookAtSpec {
                bones,
                inner: curve("lookAtHorizontalInner", output),
                outer: curve("lookAtHorizontalOuter", output),
                down: curve("lookAtVerticalDown", output),
                up: curve("lookAtVerticalUp", output),
            });
        }
    }
    looks.materials = materials;
    looks.material_names = material_names;
    looks
}

/// VRM 1.0: a material's `VRMC_materials_mtoon`.
fn toon_1(mtoon: &Value) -> ToonSpec {
    let mode = mtoon["outlineWidthMode"].as_str().unwrap_or("none");
    let width = float(&mtoon["outlineWidthFactor"], 0.0);
    ToonSpec {
        shade: rgb(floats(&mtoon["shadeColorFactor"], [0.0, 0.0, 0.0, 1.0])),
        shade_textured: mtoon.get("shadeMultiplyTexture").is_some(),
        shift: float(&mtoon["shadingShiftFactor"], 0.0),
        toony: float(&mtoon["shadingToonyFactor"], 0.9),
        rim: rgb(floats(
            &mtoon["parametricRimColorFactor"],
            [0.0, 0.0, 0.0, 1.0],
        )),
        rim_power: float(&mtoon["parametricRimFresnelPowerFactor"], 5.0),
        rim_lift: float(&mtoon["parametricRimLiftFactor"], 0.0),
        rim_mix: float(&mtoon["rimLightingMixFactor"], 1.0),
        outline: (mode != "none" && width > 0.0).then(|| OutlineSpec {
            width,
            screen: mode == "screenCoordinates",
            colour: rgb(floats(&mtoon["outlineColorFactor"], [0.0, 0.0, 0.0, 1.0])),
            lighting_mix: float(&mtoon["outlineLightingMixFactor"], 1.0),
        }),
        scroll: [
            float(&mtoon["uvAnimationScrollXSpeedFactor"], 0.0),
            float(&mtoon["uvAnimationScrollYSpeedFactor"], 0.0),
        ],
        rotation: float(&mtoon["uvAnimationRotationSpeedFactor"], 0.0),
    }
}

/// VRM 0.x: an MToon entry of `materialProperties`, migrated to 1.0's terms as UniVRM's
/// `MToon10Migrator` does (colours are sRGB there).
fn toon_0(properties: &Value) -> ToonSpec {
    let floats_0 = &properties["floatProperties"];
    let vectors = &properties["vectorProperties"];
    let colour = |key: &str| {
        let [r, g, b, _] = floats(&vectors[key], [0.0, 0.0, 0.0, 1.0]);
        [linear(r), linear(g), linear(b)]
    };
    let toony_0 = float(&floats_0["_ShadeToony"], 0.9);
    let shift_0 = float(&floats_0["_ShadeShift"], 0.0);
    // The 0.x shading range runs from the shift to lerp(1, shift, toony).
    let (low, high) = (shift_0, 1.0 + (shift_0 - 1.0) * toony_0);
    let width_mode = float(&floats_0["_OutlineWidthMode"], 0.0) as i32;
    let width = float(&floats_0["_OutlineWidth"], 0.0) * 0.01;
    let mixed = float(&floats_0["_OutlineColorMode"], 0.0) as i32 == 1;
    let textures = &properties["textureProperties"];
    ToonSpec {
        shade: colour("_ShadeColor"),
        shade_textured: textures.get("_ShadeTexture").is_some()
            || textures.get("_MainTex").is_some(),
        shift: (-(high + low) * 0.5).clamp(-1.0, 1.0),
        toony: ((2.0 - (high - low)) * 0.5).clamp(0.0, 1.0),
        rim: colour("_RimColor"),
        rim_power: float(&floats_0["_RimFresnelPower"], 1.0),
        rim_lift: float(&floats_0["_RimLift"], 0.0),
        rim_mix: float(&floats_0["_RimLightingMix"], 0.0),
        outline: (width_mode != 0 && width > 0.0).then(|| OutlineSpec {
            width,
            screen: width_mode == 2,
            colour: colour("_OutlineColor"),
            lighting_mix: if mixed {
                float(&floats_0["_OutlineLightingMix"], 1.0)
            } else {
                0.0
            },
        }),
        // 0.x scrolls V the other way, and turns in revolutions per second.
        scroll: [
            float(&floats_0["_UvAnimScrollX"], 0.0),
            -float(&floats_0["_UvAnimScrollY"], 0.0),
        ],
        rotation: float(&floats_0["_UvAnimRotation"], 0.0) * std::f32::consts::TAU,
    }
}

/// VRM 1.0 material-colour and texture-transform binds of one expression.
fn binds_1(name: &str, expression: &Value, materials: usize, binds: &mut Vec<MaterialBind>) {
    for bind in expression["materialColorBinds"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let Some(material) = bind["material"].as_u64().map(|index| index as usize) else {
            continue;
        };
        let slot = match bind["type"].as_str() {
            Some("color") => ColourSlot::Base,
            Some("shadeColor") => ColourSlot::Shade,
            Some("emissionColor") => ColourSlot::Emissive,
            Some("rimColor") => ColourSlot::Rim,
            Some("outlineColor") => ColourSlot::Outline,
            _ => continue,
        };
        if material < materials {
            binds.push(MaterialBind {
                expression: name.to_owned(),
                material,
                target: BindTarget::Colour(slot, floats(&bind["targetValue"], [0.0; 4])),
            });
        }
    }
    for bind in expression["textureTransformBinds"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let Some(material) = bind["material"].as_u64().map(|index| index as usize) else {
            continue;
        };
        if material < materials {
            binds.push(MaterialBind {
                expression: name.to_owned(),
                material,
                target: BindTarget::Uv {
                    scale: floats(&bind["scale"], [1.0, 1.0]),
                    offset: floats(&bind["offset"], [0.0, 0.0]),
                },
            });
        }
    }
}

/// VRM 0.x `materialValues` of one blend-shape group.
fn binds_0(name: &str, group: &Value, material_names: &[String], binds: &mut Vec<MaterialBind>) {
    for value in group["materialValues"].as_array().into_iter().flatten() {
        let material_name = value["materialName"].as_str().unwrap_or_default();
        let Some(material) = material_names
            .iter()
            .position(|known| known == material_name)
        else {
            continue;
        };
        let target = floats(&value["targetValue"], [0.0; 4]);
        let colour = |slot| {
            let [r, g, b, a] = target;
            BindTarget::Colour(slot, [linear(r), linear(g), linear(b), a])
        };
        let target = match value["propertyName"].as_str() {
            Some("_Color") => colour(ColourSlot::Base),
            Some("_ShadeColor") => colour(ColourSlot::Shade),
            Some("_EmissionColor") => colour(ColourSlot::Emissive),
            Some("_RimColor") => colour(ColourSlot::Rim),
            Some("_OutlineColor") => colour(ColourSlot::Outline),
            // Unity's _ST: scale x, scale y, offset x, offset y.
            Some("_MainTex_ST") => BindTarget::Uv {
                scale: [target[0], target[1]],
                offset: [target[2], target[3]],
            },
            _ => continue,
        };
        binds.push(MaterialBind {
            expression: name.to_owned(),
            material,
            target,
        });
    }
}

/// An idol's expression rules, resolved to encore's expressions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rules(Vec<(Expression, ExpressionRule)>);

impl Rules {
    /// The rules of the expressions encore shows.
    pub fn new(rules: &[ExpressionRule]) -> Self {
        Self(
            rules
                .iter()
                .filter_map(|rule| {
                    Some((Expression::from_morph_name(&rule.expression)?, rule.clone()))
                })
                .collect(),
        )
    }

    /// The weights the model shows for `face`, and how much of the look-at is left: binary
    /// expressions snap, and an expression's overrides turn down blinks, vowels and look-at.
    pub fn apply(&self, face: [f32; EXPRESSION_COUNT]) -> ([f32; EXPRESSION_COUNT], f32) {
        let mut shown = face;
        for (expression, rule) in &self.0 {
            if rule.binary {
                let weight = &mut shown[expression.index()];
                *weight = if *weight > 0.5 { 1.0 } else { 0.0 };
            }
        }
        let (mut blink, mut mouth, mut look) = (1.0_f32, 1.0_f32, 1.0_f32);
        for (expression, rule) in &self.0 {
            let weight = shown[expression.index()];
            blink *= rule.blink.factor(weight);
            mouth *= rule.mouth.factor(weight);
            look *= rule.look.factor(weight);
        }
        shown[Expression::Blink.index()] *= blink;
        for vowel in Expression::VOWELS {
            shown[vowel.index()] *= mouth;
        }
        (shown, look)
    }
}

/// A material's bindable values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MaterialValues {
    /// Base colour (linear, with alpha).
    pub base: [f32; 4],
    /// Shade colour.
    pub shade: [f32; 4],
    /// Emissive colour.
    pub emissive: [f32; 4],
    /// Rim colour.
    pub rim: [f32; 4],
    /// Outline colour.
    pub outline: [f32; 4],
    /// UV scale.
    pub scale: [f32; 2],
    /// UV offset.
    pub offset: [f32; 2],
}

impl MaterialValues {
    fn slot(&mut self, slot: ColourSlot) -> &mut [f32; 4] {
        match slot {
            ColourSlot::Base => &mut self.base,
            ColourSlot::Shade => &mut self.shade,
            ColourSlot::Emissive => &mut self.emissive,
            ColourSlot::Rim => &mut self.rim,
            ColourSlot::Outline => &mut self.outline,
        }
    }

    /// The values with `binds` applied at the expressions' `weights`: each moves its value
    /// from the rest value towards its target by its weight, and the moves add up.
    pub fn bound<'a>(
        &self,
        binds: impl IntoIterator<Item = (&'a BindTarget, f32)>,
    ) -> MaterialValues {
        let mut values = *self;
        for (target, weight) in binds {
            if weight == 0.0 {
                continue;
            }
            match *target {
                BindTarget::Colour(slot, value) => {
                    let mut rest = *self;
                    let rest = *rest.slot(slot);
                    let shown = values.slot(slot);
                    for channel in 0..4 {
                        shown[channel] += weight * (value[channel] - rest[channel]);
                    }
                }
                BindTarget::Uv { scale, offset } => {
                    for axis in 0..2 {
                        values.scale[axis] += weight * (scale[axis] - self.scale[axis]);
                        values.offset[axis] += weight * (offset[axis] - self.offset[axis]);
                    }
                }
            }
        }
        values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(path: &str) -> Option<gltf::Document> {
        let path = crate::testdata::file(&format!("vrm/{path}"))?;
        let bytes =
            std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        let gltf = crate::avatar::inspect::parse(&bytes)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        Some(gltf.document)
    }

    #[test]
    fn binary_happy_blends_blinks_away_and_moves_the_check_board_to_a_pass() {
        let Some(document) = document("VRMC_vrm_expressions_isBinary_Overrides.vrm") else {
            return;
        };
        let looks = read(&document);
        let rules = Rules::new(&looks.rules);
        let look = looks.look_at.expect("a look-at");
        assert!(!look.bones, "look-at by expression");
        // The validation window: material 0, UV scale 1/8 at rest. Each 1/8 tile of its
        // texture says pass (green) or fail (red): rest (0, 0), happy alone (7/8, 0), blink
        // alone (0, 7/8) are passes; anything in between, or both at once, fails.
        let rest = MaterialValues {
            base: [1.0; 4],
            shade: [0.0; 4],
            emissive: [0.0; 4],
            rim: [0.0; 4],
            outline: [0.0; 4],
            scale: [0.125, 0.125],
            offset: [0.0, 0.0],
        };
        let window = |face: [f32; EXPRESSION_COUNT]| {
            let (shown, _) = rules.apply(face);
            let binds = looks
                .binds
                .iter()
                .filter(|bind| bind.material == 0)
                .map(|bind| {
                    let expression = Expression::from_morph_name(&bind.expression).unwrap();
                    (&bind.target, shown[expression.index()])
                });
            rest.bound(binds).offset
        };
        let mut face = [0.0; EXPRESSION_COUNT];
        assert_eq!(window(face), [0.0, 0.0]);
        face[Expression::Smile.index()] = 0.7;
        assert_eq!(window(face), [0.875, 0.0], "binary: 0.7 shows as 1");
        face[Expression::Smile.index()] = 0.3;
        assert_eq!(window(face), [0.0, 0.0], "binary: 0.3 shows as 0");
        face[Expression::Blink.index()] = 1.0;
        assert_eq!(window(face), [0.0, 0.875]);
        face[Expression::Smile.index()] = 0.9;
        assert_eq!(window(face), [0.875, 0.0], "happy blends the blink away");
    }

    #[test]
    fn godette_migrates_mtoon_and_looks_by_blend_shapes() {
        let Some(document) = document("Godette_vrm_v4.vrm") else {
            return;
        };
        let looks = read(&document);
        let face = looks.materials[0].as_ref().expect("Face is MToon");
        // _ShadeToony 0.8 and _ShadeShift -0.45: the range -0.45..-0.16.
        assert!((face.toony - 0.855).abs() < 1e-3, "{}", face.toony);
        assert!((face.shift - 0.305).abs() < 1e-3, "{}", face.shift);
        let outline = face.outline.expect("an outline");
        assert!(outline.screen && (outline.width - 0.0025).abs() < 1e-6);
        assert!((outline.lighting_mix - 0.925).abs() < 1e-6);
        assert!(face.shade_textured);
        let look = looks.look_at.expect("a look-at");
        assert!(!look.bones);
    }

    #[test]
    fn uv_animation_speeds_and_sphere_looks_with_bones() {
        if let Some(document) = document("VRMC_materials_mtoon_UV_Animation_Test.vrm") {
            let looks = read(&document);
            let speeds: Vec<([f32; 2], f32)> = looks
                .materials
                .iter()
                .flatten()
                .map(|toon| (toon.scroll, toon.rotation))
                .collect();
            assert_eq!(
                speeds,
                [([1.0, 0.0], 0.0), ([0.0, 1.0], 0.0), ([0.0, 0.0], 1.0)]
            );
        }
        if let Some(document) = document("sphere.vrm") {
            let looks = read(&document);
            assert!(
                looks.materials.iter().all(Option::is_none),
                "unlit materials"
            );
            assert!(looks.look_at.expect("a look-at").bones);
        }
    }

    #[test]
    fn overrides_block_and_blend_and_the_eyes_map_their_ranges() {
        let rules = Rules::new(&[ExpressionRule {
            expression: "aa".into(),
            blink: Override::Block,
            look: Override::Blend,
            ..ExpressionRule::default()
        }]);
        let mut face = [0.0; EXPRESSION_COUNT];
        face[Expression::Blink.index()] = 1.0;
        face[Expression::Aa.index()] = 0.25;
        let (shown, look) = rules.apply(face);
        assert_eq!(shown[Expression::Blink.index()], 0.0);
        assert_eq!(look, 0.75);

        let spec = LookAtSpec {
            bones: true,
            inner: RangeMap {
                input_max: 90.0,
                output_scale: 8.0,
            },
            outer: RangeMap {
                input_max: 90.0,
                output_scale: 12.0,
            },
            down: RangeMap {
                input_max: 90.0,
                output_scale: 10.0,
            },
            up: RangeMap {
                input_max: 45.0,
                output_scale: 10.0,
            },
        };
        let [(left, up), (right, _)] = spec.eye_angles(45.0, 90.0);
        assert_eq!((left, right, up), (6.0, 4.0, 10.0));
        let [(left, down), (right, _)] = spec.eye_angles(-90.0, -45.0);
        assert_eq!((left, right, down), (-8.0, -12.0, -5.0));
        assert_eq!(
            RangeMap {
                input_max: 0.0,
                output_scale: 1.0
            }
            .map(10.0),
            0.0
        );
    }
}

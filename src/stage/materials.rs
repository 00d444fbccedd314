//! The venue's own materials. On a software rasterizer a full screen of Bevy's standard
//! material costs ~35 ms at 640x360 even unlit; these shaders cost a few, which is what makes
//! the low preset fluid on a CPU.

use bevy::{
    asset::embedded_asset,
    pbr::{Material, MaterialPlugin},
    prelude::*,
    render::render_resource::{AsBindGroup, ShaderType},
    shader::ShaderRef,
};

pub(crate) fn plugin(app: &mut App) {
    embedded_asset!(app, "shaders/glow.wgsl");
    embedded_asset!(app, "shaders/cel.wgsl");
    embedded_asset!(app, "shaders/cel_vertex.wgsl");
    bevy::shader::load_shader_library!(app, "shaders/cel_types.wgsl");
    embedded_asset!(app, "shaders/led_wall.wgsl");
    embedded_asset!(app, "shaders/crowd.wgsl");
    app.add_plugins((
        MaterialPlugin::<GlowMaterial>::default(),
        MaterialPlugin::<CelMaterial>::default(),
        MaterialPlugin::<LedWallMaterial>::default(),
        MaterialPlugin::<CrowdMaterial>::default(),
    ));
}

/// A colour that ignores the lights, times the mesh's vertex colours if it has them.
#[derive(Asset, TypePath, AsBindGroup, Debug, Clone)]
pub struct GlowMaterial {
    /// Linear colour (alpha 0 for additive ones: Bevy blends them premultiplied).
    #[uniform(0)]
    pub colour: LinearRgba,
    /// Metres from the eye over which it fades in; 0 for solid surfaces.
    #[uniform(1)]
    pub near: f32,
    /// Opaque for panels, additive for beams.
    pub alpha_mode: AlphaMode,
}

impl GlowMaterial {
    /// An opaque glowing surface.
    pub fn opaque(colour: Color) -> Self {
        Self {
            colour: colour.to_linear(),
            near: 0.0,
            alpha_mode: AlphaMode::Opaque,
        }
    }

    /// Light added to what is behind (beams and lasers), faded out near the eye.
    pub fn additive(colour: Color) -> Self {
        Self {
            colour: colour.to_linear().with_alpha(0.0),
            near: 4.0,
            alpha_mode: AlphaMode::Add,
        }
    }
}

impl Material for GlowMaterial {
    fn fragment_shader() -> ShaderRef {
        "embedded://encore/stage/shaders/glow.wgsl".into()
    }

    fn alpha_mode(&self) -> AlphaMode {
        self.alpha_mode
    }

    fn enable_shadows() -> bool {
        false
    }

    fn enable_prepass() -> bool {
        false
    }
}

/// Spots the cel shader sums (key, follow spot, two washes and the moving heads).
pub const CEL_SPOTS: usize = 14;

/// One light of the rig as the cel shader reads it.
#[derive(ShaderType, Debug, Clone, Copy, Default, PartialEq)]
pub struct CelSpot {
    /// xyz position.
    pub position: Vec4,
    /// xyz unit aim, w cosine of the outer cone.
    pub direction: Vec4,
    /// rgb colour times level, w cosine of the inner cone.
    pub colour: Vec4,
}

/// The light rig as the cel shader reads it.
#[derive(ShaderType, Debug, Clone, Copy, Default, PartialEq)]
pub struct CelRig {
    /// rgb light from everywhere.
    pub ambient: Vec4,
    /// rgb light on the edges facing away from the eye.
    pub rim: Vec4,
    /// The spots; the first `count` are used.
    pub spots: [CelSpot; CEL_SPOTS],
    /// Spots in use.
    pub count: u32,
}

/// MToon's parameters as the cel shader reads them. The default is the built-in idols' and
/// the set's look: a shade a quarter as bright, a hard boundary just past side-on.
#[derive(ShaderType, Debug, Clone, Copy, PartialEq)]
pub struct Toon {
    /// rgb shade colour (times the base colour's texture when w is 1).
    pub shade: Vec4,
    /// x shading shift, y toony (1 hard, 0 soft), z 1 for unlit, w alpha cut-off (0 none).
    pub shading: Vec4,
    /// rgb parametric rim colour, w how much the lights colour it.
    pub rim: Vec4,
    /// x rim fresnel power, y rim lift; z outline width (metres, or screen heights), w 1 for
    /// a width in screen heights.
    pub shape: Vec4,
    /// rgb emissive colour; w 1 for a blended material (its alpha is kept).
    pub emissive: Vec4,
    /// rgb outline colour, w how much the lights colour it.
    pub outline: Vec4,
    /// The UV transform's 2x2 matrix, column by column (x, y) then (z, w).
    pub uv: Vec4,
    /// xy UV offset; z UV rotation (radians, about the texture's centre).
    pub uv_offset: Vec4,
    /// x how the sphere map (a matcap looked up by the view-space normal) joins the colour:
    /// 1 multiplies, 2 adds.
    pub sphere: Vec4,
}

impl Default for Toon {
    fn default() -> Self {
        Self {
            shade: Vec4::new(0.25, 0.25, 0.25, 1.0),
            shading: Vec4::new(-0.06, 0.94, 0.0, 0.0),
            rim: Vec4::ZERO,
            shape: Vec4::new(5.0, 0.0, 0.0, 0.0),
            emissive: Vec4::ZERO,
            outline: Vec4::ZERO,
            uv: Vec4::new(1.0, 0.0, 0.0, 1.0),
            uv_offset: Vec4::ZERO,
            sphere: Vec4::ZERO,
        }
    }
}

impl Toon {
    /// Sets the UV transform: `scale`, then `rotation` about the texture's centre, then
    /// `offset`.
    pub fn set_uv(&mut self, scale: Vec2, offset: Vec2, rotation: f32) {
        self.uv = Vec4::new(scale.x, 0.0, 0.0, scale.y);
        self.uv_offset = Vec4::new(offset.x, offset.y, rotation, 0.0);
    }

    /// Sets the UV transform from glTF's `KHR_texture_transform` as Bevy read it.
    pub fn set_affine(&mut self, transform: bevy::math::Affine2) {
        let matrix = transform.matrix2;
        self.uv = Vec4::new(
            matrix.x_axis.x,
            matrix.x_axis.y,
            matrix.y_axis.x,
            matrix.y_axis.y,
        );
        self.uv_offset = transform.translation.extend(0.0).extend(0.0);
    }
}

/// Cel shading lit by the rig in a uniform: the low preset's material for idols and the set,
/// and the MToon material of VRM models on every preset. With `outline` set, it draws a
/// model's inverted-hull outline instead: back faces pushed out along the normals.
#[derive(Asset, TypePath, AsBindGroup, Debug, Clone)]
#[bind_group_data(CelKey)]
pub struct CelMaterial {
    /// Linear base colour.
    #[uniform(0)]
    pub base: LinearRgba,
    /// The lights, copied from the rig every frame.
    #[uniform(1)]
    pub rig: CelRig,
    /// The base colour's texture (model avatars), multiplied in.
    #[texture(2)]
    #[sampler(3)]
    pub texture: Option<Handle<Image>>,
    /// MToon's parameters.
    #[uniform(4)]
    pub toon: Toon,
    /// A MikuMikuDance sphere map, multiplied or added as `toon.sphere` says.
    #[texture(5)]
    #[sampler(6)]
    pub sphere: Option<Handle<Image>>,
    /// Cloth and hair show both faces.
    pub double_sided: bool,
    /// Opaque, cut out or blended.
    pub alpha_mode: AlphaMode,
    /// Draws the outline hull.
    pub outline: bool,
}

impl CelMaterial {
    /// A cel material of `colour`, lit once the rig is copied in.
    pub fn new(colour: Color, double_sided: bool) -> Self {
        let base = colour.to_linear();
        Self {
            base,
            rig: CelRig::default(),
            texture: None,
            toon: Toon {
                shade: Vec4::from(base.to_f32_array()).truncate().extend(0.0) * 0.25 + Vec4::W,
                ..Toon::default()
            },
            double_sided,
            alpha_mode: AlphaMode::Opaque,
            outline: false,
            sphere: None,
        }
    }
}

impl CelMaterial {
    /// The cel version of a standard material: its colour, texture and UV transform, and its
    /// alpha mode; an unlit one stays unlit.
    pub fn from_standard(standard: &StandardMaterial) -> Self {
        let mut cel = Self::new(standard.base_color, standard.cull_mode.is_none());
        cel.texture = standard.base_color_texture.clone();
        cel.toon.set_affine(standard.uv_transform);
        cel.set_alpha_mode(standard.alpha_mode);
        if standard.unlit {
            cel.toon.shading.z = 1.0;
        }
        cel
    }

    /// Sets the alpha mode: cut out below a threshold, blended, or opaque.
    pub fn set_alpha_mode(&mut self, mode: AlphaMode) {
        self.alpha_mode = match mode {
            AlphaMode::Mask(cutoff) => {
                self.toon.shading.w = cutoff.max(1e-3);
                AlphaMode::Opaque
            }
            AlphaMode::Opaque => AlphaMode::Opaque,
            _ => {
                self.toon.emissive.w = 1.0;
                AlphaMode::Blend
            }
        };
    }
}

impl Material for CelMaterial {
    fn vertex_shader() -> ShaderRef {
        "embedded://encore/stage/shaders/cel_vertex.wgsl".into()
    }

    fn fragment_shader() -> ShaderRef {
        "embedded://encore/stage/shaders/cel.wgsl".into()
    }

    fn alpha_mode(&self) -> AlphaMode {
        self.alpha_mode
    }

    fn enable_shadows() -> bool {
        // Idols cast shadows on the stage on the presets whose lights have shadow maps (the
        // cel shading itself lights from the rig, not from Bevy's lights).
        true
    }

    fn enable_prepass() -> bool {
        false
    }

    fn specialize(
        _pipeline: &bevy::pbr::MaterialPipeline,
        descriptor: &mut bevy::render::render_resource::RenderPipelineDescriptor,
        _layout: &bevy::mesh::MeshVertexBufferLayoutRef,
        key: bevy::pbr::MaterialPipelineKey<Self>,
    ) -> Result<(), bevy::render::render_resource::SpecializedMeshPipelineError> {
        if key.bind_group_data.outline {
            descriptor.primitive.cull_mode = Some(bevy::render::render_resource::Face::Front);
            descriptor.vertex.shader_defs.push("CEL_OUTLINE".into());
        } else if key.bind_group_data.double_sided {
            descriptor.primitive.cull_mode = None;
        }
        if let Some(fragment) = descriptor.fragment.as_mut() {
            if key.bind_group_data.textured {
                fragment.shader_defs.push("CEL_TEXTURE".into());
            }
            if key.bind_group_data.sphere {
                fragment.shader_defs.push("CEL_SPHERE".into());
            }
            if key.bind_group_data.outline {
                fragment.shader_defs.push("CEL_OUTLINE".into());
            }
        }
        Ok(())
    }
}

/// The pipeline key of a [`CelMaterial`]: whether back faces are drawn, whether it has a
/// texture, whether it draws an outline, and whether it has a sphere map.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CelKey {
    double_sided: bool,
    textured: bool,
    outline: bool,
    sphere: bool,
}

impl From<&CelMaterial> for CelKey {
    fn from(material: &CelMaterial) -> Self {
        Self {
            double_sided: material.double_sided,
            textured: material.texture.is_some(),
            outline: material.outline,
            sphere: material.sphere.is_some(),
        }
    }
}

/// What the LED wall shows.
#[derive(ShaderType, Debug, Clone, Copy, Default, PartialEq)]
pub struct WallState {
    /// Four linear colours the visuals blend through.
    pub palette: [Vec4; 4],
    /// x beats since the song began, y pattern (0 to 4), z brightness, w effect flash.
    pub state: Vec4,
}

/// The LED wall's procedural visuals.
#[derive(Asset, TypePath, AsBindGroup, Debug, Clone, Default)]
pub struct LedWallMaterial {
    /// Palette, pattern and beat.
    #[uniform(0)]
    pub wall: WallState,
}

impl Material for LedWallMaterial {
    fn fragment_shader() -> ShaderRef {
        "embedded://encore/stage/shaders/led_wall.wgsl".into()
    }

    fn enable_shadows() -> bool {
        false
    }

    fn enable_prepass() -> bool {
        false
    }
}

/// What the lightstick ocean shows.
#[derive(ShaderType, Debug, Clone, Copy, Default, PartialEq)]
pub struct OceanState {
    /// Slot 0 the single colour (fandom, a member's or a chosen one), 1.. the members'.
    pub colours: [Vec4; 8],
    /// The same for the ocean before the last change.
    pub previous: [Vec4; 8],
    /// x beats, y mode, z previous mode, w blend from previous to current.
    pub state: Vec4,
    /// x member colours in use, y brightness, z seconds since the wave began, w what the
    /// mesh draws (0 lights, 1 silhouettes).
    pub more: Vec4,
}

/// The crowd's lightstick lights (added to the picture) or silhouettes (opaque), animated in
/// the vertex shader.
#[derive(Asset, TypePath, AsBindGroup, Debug, Clone, Default)]
pub struct CrowdMaterial {
    /// Colours, mode and beat; `more.w` says lights (0) or silhouettes (1).
    #[uniform(0)]
    pub ocean: OceanState,
    /// Additive for the lights, opaque for the silhouettes.
    pub alpha_mode: AlphaMode,
}

impl Material for CrowdMaterial {
    fn alpha_mode(&self) -> AlphaMode {
        self.alpha_mode
    }

    fn vertex_shader() -> ShaderRef {
        "embedded://encore/stage/shaders/crowd.wgsl".into()
    }

    fn fragment_shader() -> ShaderRef {
        "embedded://encore/stage/shaders/crowd.wgsl".into()
    }

    fn enable_shadows() -> bool {
        false
    }

    fn enable_prepass() -> bool {
        false
    }
}

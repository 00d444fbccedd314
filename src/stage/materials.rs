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

/// Cel shading lit by the rig in a uniform: the low preset's material for idols and the set.
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
    /// Cloth and hair show both faces.
    pub double_sided: bool,
}

impl CelMaterial {
    /// A cel material of `colour`, lit once the rig is copied in.
    pub fn new(colour: Color, double_sided: bool) -> Self {
        Self {
            base: colour.to_linear(),
            rig: CelRig::default(),
            texture: None,
            double_sided,
        }
    }
}

impl Material for CelMaterial {
    fn fragment_shader() -> ShaderRef {
        "embedded://encore/stage/shaders/cel.wgsl".into()
    }

    fn enable_shadows() -> bool {
        false
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
        if key.bind_group_data.double_sided {
            descriptor.primitive.cull_mode = None;
        }
        if key.bind_group_data.textured
            && let Some(fragment) = descriptor.fragment.as_mut()
        {
            fragment.shader_defs.push("CEL_TEXTURE".into());
        }
        Ok(())
    }
}

/// The pipeline key of a [`CelMaterial`]: whether back faces are drawn.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CelKey {
    double_sided: bool,
    textured: bool,
}

impl From<&CelMaterial> for CelKey {
    fn from(material: &CelMaterial) -> Self {
        Self {
            double_sided: material.double_sided,
            textured: material.texture.is_some(),
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
    /// x member colours in use, y brightness, z seconds since the wave began.
    pub more: Vec4,
}

/// The crowd's lightsticks, animated in the vertex shader.
#[derive(Asset, TypePath, AsBindGroup, Debug, Clone, Default)]
pub struct CrowdMaterial {
    /// Colours, mode and beat.
    #[uniform(0)]
    pub ocean: OceanState,
}

impl Material for CrowdMaterial {
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

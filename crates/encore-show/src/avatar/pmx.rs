//! MikuMikuDance's PMX 2.0 and 2.1 model files read into plain data: vertices with their bone
//! weights, the face list, textures, materials, bones with IK and append (inherit) links,
//! morphs, display frames, rigid bodies and joints. PMX 2.1's soft bodies are counted, not read.
//!
//! A model file is the user's, so it is read as untrusted bytes: every count is checked against
//! the bytes left before anything is allocated for it, every index is checked against the table
//! it points into, and a broken file is a [`PmxError`] naming the byte where it breaks, never a
//! panic.
//!
//! Axes: the numbers are the file's own. MMD is left-handed, Y up, with the model facing −Z;
//! encore's idols are right-handed, Y up, facing +Z. The reader does not convert: whoever turns
//! a [`Pmx`] into encore's meshes and skeleton flips Z there (a position's Z, a rotation's X and
//! Y), as [`crate::motion::vmd`] does for motions.

use std::{
    ffi::OsStr,
    fmt,
    path::{Component, Path, PathBuf},
};

use thiserror::Error;

/// Why a PMX file cannot be read: the byte where it breaks and what is wrong there.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("byte {offset}: {problem}")]
pub struct PmxError {
    /// Where in the file the problem is, counted from 0.
    pub offset: usize,
    /// What is wrong, for a person (and, where there is one, the fix).
    pub problem: String,
}

impl PmxError {
    fn new(offset: usize, problem: impl Into<String>) -> PmxError {
        PmxError {
            offset,
            problem: problem.into(),
        }
    }
}

/// How the file's text is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-16, little-endian (what PMX Editor writes).
    Utf16,
    /// UTF-8.
    Utf8,
}

/// A PMX model as the file has it (MMD's axes and units, see the module comment).
#[derive(Debug, Clone, PartialEq)]
pub struct Pmx {
    /// The format version: 2.0 or 2.1.
    pub version: f32,
    /// How the file's text was encoded.
    pub encoding: TextEncoding,
    /// How many additional UV channels (vec4, 0 to 4) each vertex carries.
    pub additional_uvs: u8,
    /// The model's name.
    pub name: String,
    /// The model's English name.
    pub name_en: String,
    /// The model's comment: usually the author's credits and terms of use.
    pub comment: String,
    /// The English comment.
    pub comment_en: String,
    /// The vertices.
    pub vertices: Vec<Vertex>,
    /// Triangles as three indices into `vertices`, in material order (see
    /// [`Pmx::material_triangles`]); MMD draws them clockwise seen from the front.
    pub faces: Vec<[u32; 3]>,
    /// Texture paths relative to the model's folder, as written (often with `\`; see
    /// [`find_texture`]).
    pub textures: Vec<String>,
    /// The materials, in drawing order.
    pub materials: Vec<Material>,
    /// The bones; a bone's parent may come after it.
    pub bones: Vec<Bone>,
    /// The morphs.
    pub morphs: Vec<Morph>,
    /// How many display frames (the editor's bone and morph folders) the file has; they are
    /// checked, not kept.
    pub display_frames: usize,
    /// The rigid bodies of the physics.
    pub rigid_bodies: Vec<RigidBody>,
    /// The joints between rigid bodies.
    pub joints: Vec<Joint>,
    /// How many soft bodies a PMX 2.1 file declares (they are not read); 0 for PMX 2.0.
    pub soft_bodies: usize,
}

impl Pmx {
    /// Each material with the triangles it draws (its share of `faces`, in order).
    pub fn material_triangles(&self) -> impl Iterator<Item = (&Material, &[[u32; 3]])> {
        let mut rest = self.faces.as_slice();
        self.materials.iter().map(move |material| {
            // The reader checked that the materials' counts are whole triangles adding up to
            // the face list; `split_at_checked` keeps a hand-built `Pmx` from panicking too.
            let count = material.index_count as usize / 3;
            let (own, after) = rest.split_at_checked(count).unwrap_or((rest, &[]));
            rest = after;
            (material, own)
        })
    }
}

/// How a vertex follows its bones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deform {
    /// One bone.
    Bdef1,
    /// Two bones blended linearly.
    Bdef2,
    /// Four bones blended linearly.
    Bdef4,
    /// Two bones, spherically blended (see [`Vertex::sdef`]).
    Sdef,
    /// Four bones, dual-quaternion blended (PMX 2.1).
    Qdef,
}

/// The extra numbers of a spherically deformed (SDEF) vertex.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sdef {
    /// The centre of the blend.
    pub c: [f32; 3],
    /// The first bone's reference point.
    pub r0: [f32; 3],
    /// The second bone's reference point.
    pub r1: [f32; 3],
}

/// A vertex.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Vertex {
    /// Position, MMD units.
    pub position: [f32; 3],
    /// Normal.
    pub normal: [f32; 3],
    /// Texture coordinates (V down, as in DirectX).
    pub uv: [f32; 2],
    /// Additional UV channels: the first [`Pmx::additional_uvs`] are the file's, the rest 0.
    pub extra_uvs: [[f32; 4]; 4],
    /// How the vertex follows its bones.
    pub deform: Deform,
    /// Up to four bones; a slot the file leaves unused (or gives bone -1) is bone 0 with
    /// weight 0.
    pub bones: [u32; 4],
    /// The bones' weights as the file has them: BDEF1 is 1; BDEF2 and SDEF are w and 1 − w;
    /// BDEF4 and QDEF are the file's four numbers, which need not add up to 1.
    pub weights: [f32; 4],
    /// SDEF's centre and reference points; `Some` exactly when `deform` is [`Deform::Sdef`].
    pub sdef: Option<Sdef>,
    /// How thick the outline is at this vertex, times the material's edge size.
    pub edge_scale: f32,
}

/// A material's switches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MaterialFlags(pub u8);

impl MaterialFlags {
    /// Drawn from both sides (no back-face culling).
    pub fn double_sided(self) -> bool {
        self.0 & 0x01 != 0
    }

    /// Casts MMD's flat ground shadow.
    pub fn ground_shadow(self) -> bool {
        self.0 & 0x02 != 0
    }

    /// Drawn into the self-shadow map (casts shadows on the model).
    pub fn casts_shadow(self) -> bool {
        self.0 & 0x04 != 0
    }

    /// Receives the model's self-shadow.
    pub fn receives_shadow(self) -> bool {
        self.0 & 0x08 != 0
    }

    /// Has an outline (the edge).
    pub fn edge(self) -> bool {
        self.0 & 0x10 != 0
    }

    /// Tinted by the first additional UV channel as a vertex colour (PMX 2.1).
    pub fn vertex_colour(self) -> bool {
        self.0 & 0x20 != 0
    }

    /// Drawn as points (PMX 2.1).
    pub fn point(self) -> bool {
        self.0 & 0x40 != 0
    }

    /// Drawn as lines (PMX 2.1).
    pub fn line(self) -> bool {
        self.0 & 0x80 != 0
    }
}

/// How a material's sphere map is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SphereMode {
    /// Not at all.
    Off,
    /// Multiplied into the colour (`.sph`).
    Multiply,
    /// Added to the colour (`.spa`).
    Add,
    /// A second texture read with the first additional UV channel.
    SubTexture,
}

/// A material's toon ramp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toon {
    /// None.
    None,
    /// One of MMD's ten shared ramps, `toon01.bmp` to `toon10.bmp` (0 to 9 here).
    Shared(u8),
    /// One of the model's textures.
    Texture(usize),
}

/// A material: how a run of the face list is drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct Material {
    /// Name.
    pub name: String,
    /// English name.
    pub name_en: String,
    /// Diffuse colour and alpha.
    pub diffuse: [f32; 4],
    /// Specular colour.
    pub specular: [f32; 3],
    /// Specular exponent.
    pub specular_power: f32,
    /// Ambient colour.
    pub ambient: [f32; 3],
    /// Switches: culling, shadows, outline, drawing mode.
    pub flags: MaterialFlags,
    /// Outline colour and alpha.
    pub edge_colour: [f32; 4],
    /// Outline thickness.
    pub edge_size: f32,
    /// The colour texture, an index into [`Pmx::textures`].
    pub texture: Option<usize>,
    /// The sphere map, an index into [`Pmx::textures`].
    pub sphere: Option<usize>,
    /// How the sphere map is applied.
    pub sphere_mode: SphereMode,
    /// The toon ramp.
    pub toon: Toon,
    /// Free text from the author.
    pub memo: String,
    /// How many entries of the face list (three per triangle) this material draws, following
    /// the previous material's.
    pub index_count: u32,
}

/// A bone's switches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BoneFlags(pub u16);

impl BoneFlags {
    /// The tail is given as a bone, not as an offset.
    pub fn tail_is_bone(self) -> bool {
        self.0 & 0x0001 != 0
    }

    /// The animator may rotate it.
    pub fn rotatable(self) -> bool {
        self.0 & 0x0002 != 0
    }

    /// The animator may move it.
    pub fn movable(self) -> bool {
        self.0 & 0x0004 != 0
    }

    /// Shown in the editor.
    pub fn visible(self) -> bool {
        self.0 & 0x0008 != 0
    }

    /// The animator may select it.
    pub fn enabled(self) -> bool {
        self.0 & 0x0010 != 0
    }

    /// An IK bone.
    pub fn ik(self) -> bool {
        self.0 & 0x0020 != 0
    }

    /// Appends the parent's local transform instead of its animated one.
    pub fn local_append(self) -> bool {
        self.0 & 0x0080 != 0
    }

    /// Inherits a share of another bone's rotation.
    pub fn append_rotation(self) -> bool {
        self.0 & 0x0100 != 0
    }

    /// Inherits a share of another bone's translation.
    pub fn append_translation(self) -> bool {
        self.0 & 0x0200 != 0
    }

    /// Turns only about a fixed axis.
    pub fn fixed_axis(self) -> bool {
        self.0 & 0x0400 != 0
    }

    /// Has its own local axes.
    pub fn local_axes(self) -> bool {
        self.0 & 0x0800 != 0
    }

    /// Deformed after the physics step.
    pub fn physics_after_deform(self) -> bool {
        self.0 & 0x1000 != 0
    }

    /// Follows a bone of another model (an external parent).
    pub fn external_parent(self) -> bool {
        self.0 & 0x2000 != 0
    }
}

/// Where a bone's tail (the end the editor draws it to) is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tail {
    /// At another bone, or nowhere.
    Bone(Option<usize>),
    /// At an offset from the bone's position.
    Offset([f32; 3]),
}

/// A bone inheriting part of another bone's motion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Append {
    /// The bone it inherits from.
    pub parent: usize,
    /// How much: 1 is all of it, negative turns the other way.
    pub ratio: f32,
    /// It inherits rotation.
    pub rotation: bool,
    /// It inherits translation.
    pub translation: bool,
    /// It inherits the parent's local transform rather than its animated one.
    pub local: bool,
}

/// A bone's own axes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalAxes {
    /// The X axis.
    pub x: [f32; 3],
    /// The Z axis.
    pub z: [f32; 3],
}

/// One bone of an IK chain.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IkLink {
    /// The bone.
    pub bone: usize,
    /// Lowest and highest Euler angles, radians, when it is limited (knees are).
    pub limits: Option<([f32; 3], [f32; 3])>,
}

/// An IK chain: the bone carrying it is the goal.
#[derive(Debug, Clone, PartialEq)]
pub struct Ik {
    /// The bone brought to the goal (an ankle, a toe).
    pub target: usize,
    /// How many solver iterations.
    pub loop_count: i32,
    /// The most each link turns per iteration, radians.
    pub limit_angle: f32,
    /// The chain from the target's parent upwards.
    pub links: Vec<IkLink>,
}

/// A bone.
#[derive(Debug, Clone, PartialEq)]
pub struct Bone {
    /// Name (the standard ones are Japanese: センター, 上半身, 左足ＩＫ…).
    pub name: String,
    /// English name.
    pub name_en: String,
    /// Rest position in model space.
    pub position: [f32; 3],
    /// The parent bone.
    pub parent: Option<usize>,
    /// Deform layer: bones are posed by layer, then by index.
    pub layer: i32,
    /// Switches.
    pub flags: BoneFlags,
    /// Where its tail is.
    pub tail: Tail,
    /// Motion inherited from another bone.
    pub append: Option<Append>,
    /// The one axis it turns about.
    pub fixed_axis: Option<[f32; 3]>,
    /// Its own axes.
    pub local_axes: Option<LocalAxes>,
    /// The key of an external parent.
    pub external_parent: Option<i32>,
    /// The IK chain it drives.
    pub ik: Option<Ik>,
}

/// A morph weight pointing at another morph (group and flip morphs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MorphWeight {
    /// The morph.
    pub morph: usize,
    /// Its weight at this morph's full weight.
    pub weight: f32,
}

/// A vertex's displacement at a morph's full weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VertexOffset {
    /// The vertex.
    pub vertex: u32,
    /// Its displacement.
    pub offset: [f32; 3],
}

/// A bone's motion at a morph's full weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoneOffset {
    /// The bone.
    pub bone: usize,
    /// Its translation.
    pub translation: [f32; 3],
    /// Its rotation, quaternion x, y, z, w.
    pub rotation: [f32; 4],
}

/// A vertex's UV displacement at a morph's full weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UvOffset {
    /// The vertex.
    pub vertex: u32,
    /// Its displacement (the base UV uses the first two numbers).
    pub offset: [f32; 4],
}

/// How a material morph changes the material.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaterialOperation {
    /// Multiplies the values (towards these at full weight).
    Multiply,
    /// Adds these values at full weight.
    Add,
}

/// A material's change at a morph's full weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MaterialOffset {
    /// The material, or all of them.
    pub material: Option<usize>,
    /// Multiply or add.
    pub operation: MaterialOperation,
    /// Diffuse colour and alpha.
    pub diffuse: [f32; 4],
    /// Specular colour.
    pub specular: [f32; 3],
    /// Specular exponent.
    pub specular_power: f32,
    /// Ambient colour.
    pub ambient: [f32; 3],
    /// Outline colour and alpha.
    pub edge_colour: [f32; 4],
    /// Outline thickness.
    pub edge_size: f32,
    /// Tint of the texture.
    pub texture_tint: [f32; 4],
    /// Tint of the sphere map.
    pub sphere_tint: [f32; 4],
    /// Tint of the toon ramp.
    pub toon_tint: [f32; 4],
}

/// A push given to a rigid body by an impulse morph (PMX 2.1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImpulseOffset {
    /// The rigid body.
    pub rigid_body: usize,
    /// The push is in the body's own axes.
    pub local: bool,
    /// Linear velocity.
    pub velocity: [f32; 3],
    /// Angular velocity.
    pub torque: [f32; 3],
}

/// What a morph changes, with its offsets.
#[derive(Debug, Clone, PartialEq)]
pub enum MorphKind {
    /// Other morphs, each at a weight.
    Group(Vec<MorphWeight>),
    /// Vertex positions (the usual face morph).
    Vertex(Vec<VertexOffset>),
    /// Bone poses.
    Bone(Vec<BoneOffset>),
    /// Texture coordinates: channel 0 is the base UV, 1 to 4 the additional ones.
    Uv {
        /// Which UV channel.
        channel: u8,
        /// The offsets.
        offsets: Vec<UvOffset>,
    },
    /// Material values.
    Material(Vec<MaterialOffset>),
    /// One of other morphs, picked by this morph's weight (PMX 2.1).
    Flip(Vec<MorphWeight>),
    /// Pushes on rigid bodies (PMX 2.1).
    Impulse(Vec<ImpulseOffset>),
}

/// A morph.
#[derive(Debug, Clone, PartialEq)]
pub struct Morph {
    /// Name (the standard ones are Japanese: あ, まばたき…).
    pub name: String,
    /// English name.
    pub name_en: String,
    /// The editor's panel: 0 system, 1 eyebrows, 2 eyes, 3 mouth, 4 other.
    pub panel: u8,
    /// What it changes.
    pub kind: MorphKind,
}

impl Morph {
    /// Its kind in words: "group", "vertex", "bone", "UV", "additional UV 1"…
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            MorphKind::Group(_) => "group",
            MorphKind::Vertex(_) => "vertex",
            MorphKind::Bone(_) => "bone",
            MorphKind::Uv { channel: 0, .. } => "UV",
            MorphKind::Uv { channel: 1, .. } => "additional UV 1",
            MorphKind::Uv { channel: 2, .. } => "additional UV 2",
            MorphKind::Uv { channel: 3, .. } => "additional UV 3",
            MorphKind::Uv { .. } => "additional UV 4",
            MorphKind::Material(_) => "material",
            MorphKind::Flip(_) => "flip",
            MorphKind::Impulse(_) => "impulse",
        }
    }
}

/// A rigid body's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A sphere; the size's X is the radius.
    Sphere,
    /// A box; the size is half its extents.
    Box,
    /// A capsule along Y; the size's X is the radius, Y the height between the caps.
    Capsule,
}

/// Who moves a rigid body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhysicsMode {
    /// It follows its bone (kinematic).
    FollowBone,
    /// The physics moves it, and it moves its bone.
    Physics,
    /// The physics turns it, but its bone keeps its animated position.
    PhysicsWithBone,
}

/// A rigid body of the physics.
#[derive(Debug, Clone, PartialEq)]
pub struct RigidBody {
    /// Name.
    pub name: String,
    /// English name.
    pub name_en: String,
    /// The bone it is attached to.
    pub bone: Option<usize>,
    /// Its collision group, 0 to 15.
    pub group: u8,
    /// Bit n set: it collides with group n.
    pub non_collision_mask: u16,
    /// Its shape.
    pub shape: Shape,
    /// Its size (see [`Shape`]).
    pub size: [f32; 3],
    /// Position in model space.
    pub position: [f32; 3],
    /// Rotation as Euler angles, radians.
    pub rotation: [f32; 3],
    /// Mass.
    pub mass: f32,
    /// Linear damping.
    pub linear_damping: f32,
    /// Angular damping.
    pub angular_damping: f32,
    /// Restitution (bounciness).
    pub restitution: f32,
    /// Friction.
    pub friction: f32,
    /// Who moves it.
    pub mode: PhysicsMode,
}

/// A joint's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JointKind {
    /// A six-degree-of-freedom joint with springs (the only kind of PMX 2.0).
    Spring6Dof,
    /// A six-degree-of-freedom joint (PMX 2.1).
    SixDof,
    /// A point-to-point joint (PMX 2.1).
    PointToPoint,
    /// A cone-twist joint (PMX 2.1).
    ConeTwist,
    /// A slider (PMX 2.1).
    Slider,
    /// A hinge (PMX 2.1).
    Hinge,
}

/// A joint between two rigid bodies.
#[derive(Debug, Clone, PartialEq)]
pub struct Joint {
    /// Name.
    pub name: String,
    /// English name.
    pub name_en: String,
    /// Its kind.
    pub kind: JointKind,
    /// The first rigid body.
    pub a: Option<usize>,
    /// The second rigid body.
    pub b: Option<usize>,
    /// Position in model space.
    pub position: [f32; 3],
    /// Rotation as Euler angles, radians.
    pub rotation: [f32; 3],
    /// Lowest translation.
    pub linear_min: [f32; 3],
    /// Highest translation.
    pub linear_max: [f32; 3],
    /// Lowest rotation, radians.
    pub angular_min: [f32; 3],
    /// Highest rotation, radians.
    pub angular_max: [f32; 3],
    /// Spring stiffness for translation.
    pub spring_linear: [f32; 3],
    /// Spring stiffness for rotation.
    pub spring_angular: [f32; 3],
}

/// A texture path as written in a PMX file (Windows `\` separators) with `/` separators.
pub fn normalized_texture_path(raw: &str) -> PathBuf {
    PathBuf::from(raw.replace('\\', "/"))
}

/// The file a model's texture path names, looked up inside `model_dir` with each folder and
/// file name matched case-insensitively (PMX files come from Windows, where `Hair.PNG` and
/// `hair.png` are one file). `None` when it is not there, or when the path would leave the
/// model's folder (a `..`, or an absolute path elsewhere).
pub fn find_texture(model_dir: &Path, raw: &str) -> Option<PathBuf> {
    let path = normalized_texture_path(raw);
    let inside = if path.is_absolute() {
        path.strip_prefix(model_dir).ok()?
    } else {
        &path
    };
    let mut found = model_dir.to_path_buf();
    let mut named = false;
    for component in inside.components() {
        match component {
            Component::Normal(name) => {
                found = entry_in(&found, name)?;
                named = true;
            }
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (named && found.is_file()).then_some(found)
}

/// The entry of `folder` called `name`, matched exactly or else ignoring case.
fn entry_in(folder: &Path, name: &OsStr) -> Option<PathBuf> {
    let exact = folder.join(name);
    if exact.exists() {
        return Some(exact);
    }
    let wanted = name.to_str()?.to_lowercase();
    std::fs::read_dir(folder)
        .ok()?
        .flatten()
        .find(|entry| {
            entry
                .file_name()
                .to_str()
                .is_some_and(|name| name.to_lowercase() == wanted)
        })
        .map(|entry| entry.path())
}

/// Reads a PMX 2.0 or 2.1 file's bytes.
pub fn read(bytes: &[u8]) -> Result<Pmx, PmxError> {
    let mut reader = Reader {
        bytes,
        at: 0,
        place: Place::named("the header"),
        encoding: TextEncoding::Utf16,
        sizes: Sizes::default(),
    };
    let (version, additional_uvs) = read_header(&mut reader)?;
    let r = &mut reader;
    r.place = Place::named("the model name");
    let name = r.text()?;
    r.place = Place::named("the English model name");
    let name_en = r.text()?;
    r.place = Place::named("the comment");
    let comment = r.text()?;
    r.place = Place::named("the English comment");
    let comment_en = r.text()?;

    let (vertices, most_weighted) = read_vertices(r, additional_uvs)?;
    let faces = read_faces(r, vertices.len())?;
    r.place = Place::named("the texture count");
    let count = r.count("textures", 4)?;
    let mut textures = Vec::with_capacity(count);
    for index in 0..count {
        r.place = Place::item("texture", index, count);
        textures.push(r.text()?);
    }
    let materials = read_materials(r, textures.len(), faces.len())?;
    let bones = read_bones(r)?;
    if let Some(most) = most_weighted
        && most.bone >= bones.len()
    {
        return Err(PmxError::new(
            most.offset,
            format!(
                "vertex {} is weighted to bone {} but {}",
                most.vertex,
                most.bone,
                there_are(bones.len())
            ),
        ));
    }
    let tables = Tables {
        vertices: vertices.len(),
        bones: bones.len(),
        materials: materials.len(),
    };
    let (morphs, impulses) = read_morphs(r, &tables)?;
    let display_frames = read_display_frames(r, bones.len(), morphs.len())?;
    let rigid_bodies = read_rigid_bodies(r, bones.len())?;
    check_later(&impulses, rigid_bodies.len(), |owner| {
        described("morph", owner, name_of(&morphs, owner, |morph| &morph.name))
    })?;
    let joints = read_joints(r, rigid_bodies.len())?;
    let soft_bodies = if version > 2.05 {
        r.place = Place::named("the soft body count");
        // Soft bodies are not read, so nothing is allocated for them; the count is still
        // checked (two names each at least) so that garbage is not reported as a number.
        r.count("soft bodies", 8)?
    } else {
        0
    };
    Ok(Pmx {
        version,
        encoding: reader.encoding,
        additional_uvs,
        name,
        name_en,
        comment,
        comment_en,
        vertices,
        faces,
        textures,
        materials,
        bones,
        morphs,
        display_frames,
        rigid_bodies,
        joints,
        soft_bodies,
    })
}

/// What is being read, for the message when the file ends inside it.
#[derive(Debug, Clone, Copy)]
struct Place {
    what: &'static str,
    /// The item's index, when `count` is not 0.
    index: usize,
    /// How many such items there are; 0 for a single thing like the header.
    count: usize,
}

impl Place {
    fn named(what: &'static str) -> Place {
        Place {
            what,
            index: 0,
            count: 0,
        }
    }

    fn item(what: &'static str, index: usize, count: usize) -> Place {
        Place { what, index, count }
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.count == 0 {
            f.write_str(self.what)
        } else {
            write!(f, "{} {} of {}", self.what, self.index, self.count)
        }
    }
}

/// The byte sizes of the file's indices, each 1, 2 or 4.
#[derive(Debug, Clone, Copy, Default)]
struct Sizes {
    vertex: usize,
    texture: usize,
    material: usize,
    bone: usize,
    morph: usize,
    rigid_body: usize,
}

/// Reads little-endian values off the file, with the place it is in for messages.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    place: Place,
    encoding: TextEncoding,
    sizes: Sizes,
}

impl<'a> Reader<'a> {
    fn left(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn ended(&self) -> PmxError {
        PmxError::new(
            self.at,
            format!(
                "the file ends inside {} (truncated? copy or download it again)",
                self.place
            ),
        )
    }

    fn take(&mut self, count: usize) -> Result<&'a [u8], PmxError> {
        let Some(bytes) = self.bytes.get(self.at..).and_then(|rest| rest.get(..count)) else {
            return Err(self.ended());
        };
        self.at += count;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], PmxError> {
        let Some(array) = self
            .bytes
            .get(self.at..)
            .and_then(|rest| rest.first_chunk::<N>())
        else {
            return Err(self.ended());
        };
        self.at += N;
        Ok(*array)
    }

    fn u8(&mut self) -> Result<u8, PmxError> {
        Ok(u8::from_le_bytes(self.array()?))
    }

    fn u16(&mut self) -> Result<u16, PmxError> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    fn i32(&mut self) -> Result<i32, PmxError> {
        Ok(i32::from_le_bytes(self.array()?))
    }

    fn f32(&mut self) -> Result<f32, PmxError> {
        Ok(f32::from_le_bytes(self.array()?))
    }

    fn floats<const N: usize>(&mut self) -> Result<[f32; N], PmxError> {
        let bytes = self.take(4 * N)?;
        let mut floats = [0.0; N];
        for (float, chunk) in floats.iter_mut().zip(bytes.chunks_exact(4)) {
            *float = f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
        Ok(floats)
    }

    /// A count of items of at least `size` bytes each, checked against the bytes left so that
    /// a broken count cannot make us allocate more than the file holds.
    fn count(&mut self, what: &'static str, size: usize) -> Result<usize, PmxError> {
        let offset = self.at;
        let count = self.i32()?;
        let Ok(count) = usize::try_from(count) else {
            return Err(PmxError::new(
                offset,
                format!("the file says {count} {what} follow, a negative count (broken file?)"),
            ));
        };
        let left = self.left();
        if count.saturating_mul(size) > left {
            return Err(PmxError::new(
                offset,
                format!(
                    "the file says {count} {what} follow, but only {left} bytes are left, room \
                     for {} at most (truncated or broken? copy or download it again)",
                    left / size
                ),
            ));
        }
        Ok(count)
    }

    fn text(&mut self) -> Result<String, PmxError> {
        let offset = self.at;
        let length = self.i32()?;
        let Ok(length) = usize::try_from(length) else {
            return Err(PmxError::new(
                offset,
                format!(
                    "{} has a negative text length, {length} (broken file?)",
                    self.place
                ),
            ));
        };
        let bytes = self.take(length)?;
        Ok(match self.encoding {
            TextEncoding::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
            TextEncoding::Utf16 => {
                // An odd last byte cannot be a character: it reads as U+FFFD like any other
                // broken sequence.
                let units = bytes.chunks(2).map(|pair| match *pair {
                    [low, high] => u16::from_le_bytes([low, high]),
                    _ => 0xfffd,
                });
                char::decode_utf16(units)
                    .map(|unit| unit.unwrap_or(char::REPLACEMENT_CHARACTER))
                    .collect()
            }
        })
    }

    /// A signed index of `size` bytes (1, 2 or 4) as written.
    fn signed(&mut self, size: usize) -> Result<i32, PmxError> {
        Ok(match size {
            1 => i32::from(i8::from_le_bytes(self.array()?)),
            2 => i32::from(i16::from_le_bytes(self.array()?)),
            _ => self.i32()?,
        })
    }

    /// An index into a table of `len` entries already read: -1 is `None`, anything else must
    /// be inside the table. `owner` says whose index it is ("material 4 (skin)") and `role`
    /// what it points at ("texture").
    fn index(
        &mut self,
        size: usize,
        len: usize,
        role: &str,
        owner: impl FnOnce() -> String,
    ) -> Result<Option<usize>, PmxError> {
        let offset = self.at;
        let value = self.signed(size)?;
        checked(value, len, offset, role, owner)
    }

    /// An index into a table read later: -1 is `None`, other negatives are an error, and the
    /// rest is kept in `later` to be checked once the table is read.
    fn forward_index(
        &mut self,
        size: usize,
        owner: usize,
        role: &'static str,
        later: &mut Vec<Later>,
        describe: impl FnOnce() -> String,
    ) -> Result<Option<usize>, PmxError> {
        let offset = self.at;
        let value = self.signed(size)?;
        let index = checked(value, usize::MAX, offset, role, describe)?;
        if let Some(index) = index {
            later.push(Later {
                offset,
                owner,
                role,
                index,
            });
        }
        Ok(index)
    }

    /// Like [`Reader::index`], for an index that must name an entry (-1 is an error too).
    fn required_index(
        &mut self,
        size: usize,
        len: usize,
        role: &str,
        owner: impl Fn() -> String,
    ) -> Result<usize, PmxError> {
        let offset = self.at;
        let value = self.signed(size)?;
        match checked(value, len, offset, role, &owner)? {
            Some(index) => Ok(index),
            None => Err(PmxError::new(
                offset,
                format!("{} names no {role} (-1), but it needs one", owner()),
            )),
        }
    }

    /// A vertex index: unsigned when 1 or 2 bytes, signed when 4 (and then never negative).
    fn vertex_index(
        &mut self,
        vertices: usize,
        owner: impl FnOnce() -> String,
    ) -> Result<u32, PmxError> {
        let offset = self.at;
        let value = match self.sizes.vertex {
            1 => i64::from(self.u8()?),
            2 => i64::from(self.u16()?),
            _ => i64::from(self.i32()?),
        };
        match u32::try_from(value) {
            Ok(index) if (index as usize) < vertices => Ok(index),
            _ => Err(PmxError::new(
                offset,
                format!(
                    "{} names vertex {value} but {}",
                    owner(),
                    there_are(vertices)
                ),
            )),
        }
    }
}

/// An index read before the table it points into, checked once that table is read.
#[derive(Debug, Clone, Copy)]
struct Later {
    offset: usize,
    /// The index of the item holding it.
    owner: usize,
    role: &'static str,
    index: usize,
}

/// Checks indices read before their table, now that it is `len` entries long.
fn check_later(
    later: &[Later],
    len: usize,
    describe: impl Fn(usize) -> String,
) -> Result<(), PmxError> {
    match later.iter().find(|later| later.index >= len) {
        Some(bad) => Err(PmxError::new(
            bad.offset,
            format!(
                "{} names {} {} but {}",
                describe(bad.owner),
                bad.role,
                bad.index,
                there_are(len)
            ),
        )),
        None => Ok(()),
    }
}

/// `value` as an index into `len` entries: -1 is `None`.
fn checked(
    value: i32,
    len: usize,
    offset: usize,
    role: &str,
    owner: impl FnOnce() -> String,
) -> Result<Option<usize>, PmxError> {
    match value {
        -1 => Ok(None),
        ..-1 => Err(PmxError::new(
            offset,
            format!(
                "{} names {role} {value}, but the only negative index allowed is -1 (none)",
                owner()
            ),
        )),
        _ if value as usize >= len => Err(PmxError::new(
            offset,
            format!("{} names {role} {value} but {}", owner(), there_are(len)),
        )),
        _ => Ok(Some(value as usize)),
    }
}

fn there_are(len: usize) -> String {
    match len {
        0 => "there are none".to_owned(),
        _ => format!("there are {len}"),
    }
}

/// The name of `items[index]`, or nothing.
fn name_of<T>(items: &[T], index: usize, name: impl Fn(&T) -> &String) -> &str {
    items.get(index).map_or("", |item| name(item).as_str())
}

/// "bone 12 (左足ＩＫ)", or "bone 12" when it has no name.
fn described(kind: &str, index: usize, name: &str) -> String {
    if name.is_empty() {
        format!("{kind} {index}")
    } else {
        format!("{kind} {index} ({name})")
    }
}

fn read_header(r: &mut Reader) -> Result<(f32, u8), PmxError> {
    if !r.bytes.starts_with(b"PMX ") {
        return Err(not_pmx(r.bytes));
    }
    r.at = 4;
    let version = r.f32()?;
    if (version - 2.0).abs() > 1e-4 && (version - 2.1).abs() > 1e-4 {
        return Err(PmxError::new(
            4,
            format!(
                "this is PMX version {version}; encore reads PMX 2.0 and 2.1 (save it as one \
                 of those from PMX Editor)"
            ),
        ));
    }
    let offset = r.at;
    let count = usize::from(r.u8()?);
    if count < 8 {
        return Err(PmxError::new(
            offset,
            format!("the header has {count} settings where PMX has at least 8 (broken file?)"),
        ));
    }
    let globals = r.take(count)?;
    let at = offset + 1;
    r.encoding = match globals[0] {
        0 => TextEncoding::Utf16,
        1 => TextEncoding::Utf8,
        other => {
            return Err(PmxError::new(
                at,
                format!("the text encoding is {other}, not 0 (UTF-16) or 1 (UTF-8) (broken file?)"),
            ));
        }
    };
    let additional_uvs = globals[1];
    if additional_uvs > 4 {
        return Err(PmxError::new(
            at + 1,
            format!(
                "the file says each vertex has {additional_uvs} additional UVs; PMX allows 0 to 4"
            ),
        ));
    }
    let names = [
        "vertex",
        "texture",
        "material",
        "bone",
        "morph",
        "rigid body",
    ];
    let mut sizes = [0; 6];
    for (slot, ((size, name), &value)) in
        sizes.iter_mut().zip(names).zip(&globals[2..8]).enumerate()
    {
        if !matches!(value, 1 | 2 | 4) {
            return Err(PmxError::new(
                at + 2 + slot,
                format!("{name} index size {value} is not 1, 2 or 4 (broken file?)"),
            ));
        }
        *size = usize::from(value);
    }
    r.sizes = Sizes {
        vertex: sizes[0],
        texture: sizes[1],
        material: sizes[2],
        bone: sizes[3],
        morph: sizes[4],
        rigid_body: sizes[5],
    };
    Ok((version, additional_uvs))
}

/// The error for a file that is not PMX at all, saying what it looks like.
fn not_pmx(bytes: &[u8]) -> PmxError {
    if bytes.is_empty() {
        return PmxError::new(
            0,
            "not a PMX file: it is empty; encore reads PMX 2.0 and 2.1",
        );
    }
    let start = bytes[..bytes.len().min(4)].escape_ascii().to_string();
    let first = bytes.iter().find(|byte| !byte.is_ascii_whitespace());
    let looks = if bytes.starts_with(b"Pmd") {
        " (a PMD model, MMD's older format: open it in PMX Editor and save it as PMX)"
    } else if bytes.starts_with(b"glTF") || first == Some(&b'{') {
        " (a glTF or VRM model: use it as one, not as PMX)"
    } else if bytes.starts_with(b"Vocaloid Motion Data") {
        " (a VMD motion, not a model)"
    } else {
        ""
    };
    PmxError::new(
        0,
        format!("not a PMX file: it starts with \"{start}\"{looks}; encore reads PMX 2.0 and 2.1"),
    )
}

/// The vertex weighted to the highest bone index, checked once the bones are read.
#[derive(Debug, Clone, Copy)]
struct MostWeighted {
    bone: usize,
    vertex: usize,
    offset: usize,
}

fn read_vertices(
    r: &mut Reader,
    additional_uvs: u8,
) -> Result<(Vec<Vertex>, Option<MostWeighted>), PmxError> {
    let extra = usize::from(additional_uvs);
    let bone_size = r.sizes.bone;
    r.place = Place::named("the vertex count");
    // Position, normal, UV, extra UVs, weight type, one bone, edge scale.
    let count = r.count("vertices", 32 + 16 * extra + 1 + bone_size + 4)?;
    let mut vertices = Vec::with_capacity(count);
    let mut most: Option<MostWeighted> = None;
    for index in 0..count {
        r.place = Place::item("vertex", index, count);
        let [px, py, pz, nx, ny, nz, u, v] = r.floats::<8>()?;
        let mut extra_uvs = [[0.0; 4]; 4];
        for uv in extra_uvs.iter_mut().take(extra) {
            *uv = r.floats()?;
        }
        let kind_at = r.at;
        let kind = r.u8()?;
        let bones_at = r.at;
        let (deform, raw, mut weights, sdef) = match kind {
            0 => {
                let bone = r.signed(bone_size)?;
                (
                    Deform::Bdef1,
                    [bone, -1, -1, -1],
                    [1.0, 0.0, 0.0, 0.0],
                    None,
                )
            }
            1 | 3 => {
                let (a, b) = (r.signed(bone_size)?, r.signed(bone_size)?);
                let weight = r.f32()?;
                let sdef = if kind == 3 {
                    Some(Sdef {
                        c: r.floats()?,
                        r0: r.floats()?,
                        r1: r.floats()?,
                    })
                } else {
                    None
                };
                let deform = if kind == 3 {
                    Deform::Sdef
                } else {
                    Deform::Bdef2
                };
                (
                    deform,
                    [a, b, -1, -1],
                    [weight, 1.0 - weight, 0.0, 0.0],
                    sdef,
                )
            }
            2 | 4 => {
                let mut bones = [0; 4];
                for bone in &mut bones {
                    *bone = r.signed(bone_size)?;
                }
                let deform = if kind == 4 {
                    Deform::Qdef
                } else {
                    Deform::Bdef4
                };
                (deform, bones, r.floats()?, None)
            }
            other => {
                return Err(PmxError::new(
                    kind_at,
                    format!(
                        "vertex {index} has weight type {other}; PMX has 0 (BDEF1), 1 (BDEF2), \
                         2 (BDEF4), 3 (SDEF) and 4 (QDEF)"
                    ),
                ));
            }
        };
        let mut bones = [0; 4];
        for ((bone, weight), value) in bones.iter_mut().zip(&mut weights).zip(raw) {
            match value {
                -1 => *weight = 0.0,
                ..-1 => {
                    return Err(PmxError::new(
                        bones_at,
                        format!(
                            "vertex {index} is weighted to bone {value}, but the only negative \
                             index allowed is -1 (none)"
                        ),
                    ));
                }
                _ => {
                    *bone = value as u32;
                    if most.is_none_or(|most| value as usize > most.bone) {
                        most = Some(MostWeighted {
                            bone: value as usize,
                            vertex: index,
                            offset: bones_at,
                        });
                    }
                }
            }
        }
        let edge_scale = r.f32()?;
        vertices.push(Vertex {
            position: [px, py, pz],
            normal: [nx, ny, nz],
            uv: [u, v],
            extra_uvs,
            deform,
            bones,
            weights,
            sdef,
            edge_scale,
        });
    }
    Ok((vertices, most))
}

fn read_faces(r: &mut Reader, vertices: usize) -> Result<Vec<[u32; 3]>, PmxError> {
    let size = r.sizes.vertex;
    r.place = Place::named("the face count");
    let offset = r.at;
    let count = r.count("face indices", size)?;
    if count % 3 != 0 {
        return Err(PmxError::new(
            offset,
            format!(
                "the face list has {count} vertex indices, which is not a whole number of \
                 triangles (broken file?)"
            ),
        ));
    }
    r.place = Place::named("the face list");
    let start = r.at;
    let bytes = r.take(count * size)?;
    let mut faces = Vec::with_capacity(count / 3);
    let mut face = [0; 3];
    for (at, chunk) in bytes.chunks_exact(size).enumerate() {
        let value = match *chunk {
            [a] => i64::from(a),
            [a, b] => i64::from(u16::from_le_bytes([a, b])),
            [a, b, c, d] => i64::from(i32::from_le_bytes([a, b, c, d])),
            _ => -1,
        };
        match u32::try_from(value) {
            Ok(index) if (index as usize) < vertices => face[at % 3] = index,
            _ => {
                return Err(PmxError::new(
                    start + at * size,
                    format!(
                        "triangle {} names vertex {value} but {}",
                        at / 3,
                        there_are(vertices)
                    ),
                ));
            }
        }
        if at % 3 == 2 {
            faces.push(face);
        }
    }
    Ok(faces)
}

fn read_materials(
    r: &mut Reader,
    textures: usize,
    triangles: usize,
) -> Result<Vec<Material>, PmxError> {
    let texture_size = r.sizes.texture;
    r.place = Place::named("the material count");
    let count = r.count("materials", 84 + 2 * texture_size)?;
    let mut materials = Vec::with_capacity(count);
    let indices = triangles * 3;
    let mut owned = 0usize;
    let mut last_count_at = r.at;
    for index in 0..count {
        r.place = Place::item("material", index, count);
        let name = r.text()?;
        let name_en = r.text()?;
        let owner = || described("material", index, &name);
        let [dr, dg, db, da, sr, sg, sb, specular_power, ar, ag, ab] = r.floats::<11>()?;
        let flags = MaterialFlags(r.u8()?);
        let edge_colour = r.floats()?;
        let edge_size = r.f32()?;
        let texture = r.index(texture_size, textures, "texture", owner)?;
        let sphere = r.index(texture_size, textures, "sphere texture", owner)?;
        let mode_at = r.at;
        let sphere_mode = match r.u8()? {
            0 => SphereMode::Off,
            1 => SphereMode::Multiply,
            2 => SphereMode::Add,
            3 => SphereMode::SubTexture,
            other => {
                return Err(PmxError::new(
                    mode_at,
                    format!(
                        "{} has sphere mode {other}; PMX has 0 (off), 1 (multiply), 2 (add) \
                         and 3 (sub-texture)",
                        owner()
                    ),
                ));
            }
        };
        let toon_at = r.at;
        let toon = match r.u8()? {
            0 => match r.index(texture_size, textures, "toon texture", owner)? {
                Some(texture) => Toon::Texture(texture),
                None => Toon::None,
            },
            1 => {
                let shared_at = r.at;
                match r.u8()? {
                    shared @ 0..=9 => Toon::Shared(shared),
                    other => {
                        return Err(PmxError::new(
                            shared_at,
                            format!("{} uses shared toon {other}; MMD has ten, 0 to 9", owner()),
                        ));
                    }
                }
            }
            other => {
                return Err(PmxError::new(
                    toon_at,
                    format!(
                        "{} has toon kind {other}, not 0 (a texture) or 1 (shared)",
                        owner()
                    ),
                ));
            }
        };
        let memo = r.text()?;
        last_count_at = r.at;
        let index_count = r.i32()?;
        let fits = u32::try_from(index_count)
            .ok()
            .filter(|count| count % 3 == 0 && owned + *count as usize <= indices);
        let Some(index_count) = fits else {
            return Err(PmxError::new(
                last_count_at,
                format!(
                    "{} draws {index_count} face indices after the {owned} before it, but the \
                     face list has {indices} in whole triangles (broken file?)",
                    owner()
                ),
            ));
        };
        owned += index_count as usize;
        materials.push(Material {
            name,
            name_en,
            diffuse: [dr, dg, db, da],
            specular: [sr, sg, sb],
            specular_power,
            ambient: [ar, ag, ab],
            flags,
            edge_colour,
            edge_size,
            texture,
            sphere,
            sphere_mode,
            toon,
            memo,
            index_count,
        });
    }
    if owned != indices {
        return Err(PmxError::new(
            last_count_at,
            format!(
                "the materials draw {owned} face indices but the face list has {indices}; \
                 every triangle must belong to a material (broken file?)"
            ),
        ));
    }
    Ok(materials)
}

fn read_bones(r: &mut Reader) -> Result<Vec<Bone>, PmxError> {
    let size = r.sizes.bone;
    r.place = Place::named("the bone count");
    let count = r.count("bones", 26 + 2 * size)?;
    let mut bones = Vec::with_capacity(count);
    let mut later = Vec::new();
    for index in 0..count {
        r.place = Place::item("bone", index, count);
        let name = r.text()?;
        let name_en = r.text()?;
        let owner = || described("bone", index, &name);
        let position = r.floats()?;
        let parent = r.forward_index(size, index, "parent bone", &mut later, owner)?;
        let layer = r.i32()?;
        let flags = BoneFlags(r.u16()?);
        let tail = if flags.tail_is_bone() {
            Tail::Bone(r.forward_index(size, index, "tail bone", &mut later, owner)?)
        } else {
            Tail::Offset(r.floats()?)
        };
        let append = if flags.append_rotation() || flags.append_translation() {
            let parent = r.forward_index(size, index, "append bone", &mut later, owner)?;
            let ratio = r.f32()?;
            parent.map(|parent| Append {
                parent,
                ratio,
                rotation: flags.append_rotation(),
                translation: flags.append_translation(),
                local: flags.local_append(),
            })
        } else {
            None
        };
        let fixed_axis = if flags.fixed_axis() {
            Some(r.floats()?)
        } else {
            None
        };
        let local_axes = if flags.local_axes() {
            Some(LocalAxes {
                x: r.floats()?,
                z: r.floats()?,
            })
        } else {
            None
        };
        let external_parent = if flags.external_parent() {
            Some(r.i32()?)
        } else {
            None
        };
        let ik = if flags.ik() {
            let target_at = r.at;
            let Some(target) = r.forward_index(size, index, "IK target bone", &mut later, owner)?
            else {
                return Err(PmxError::new(
                    target_at,
                    format!(
                        "{} is an IK bone without a target bone (-1); give it one in PMX Editor",
                        owner()
                    ),
                ));
            };
            let loop_count = r.i32()?;
            let limit_angle = r.f32()?;
            let links = r.count("IK links", size + 1)?;
            let mut ik = Ik {
                target,
                loop_count,
                limit_angle,
                links: Vec::with_capacity(links),
            };
            for _ in 0..links {
                let link_at = r.at;
                let Some(bone) = r.forward_index(size, index, "IK link bone", &mut later, owner)?
                else {
                    return Err(PmxError::new(
                        link_at,
                        format!("{} has an IK link naming no bone (-1)", owner()),
                    ));
                };
                let limited_at = r.at;
                let limits = match r.u8()? {
                    0 => None,
                    1 => Some((r.floats()?, r.floats()?)),
                    other => {
                        return Err(PmxError::new(
                            limited_at,
                            format!(
                                "{} has an IK link whose limit switch is {other}, not 0 or 1",
                                owner()
                            ),
                        ));
                    }
                };
                ik.links.push(IkLink { bone, limits });
            }
            Some(ik)
        } else {
            None
        };
        bones.push(Bone {
            name,
            name_en,
            position,
            parent,
            layer,
            flags,
            tail,
            append,
            fixed_axis,
            local_axes,
            external_parent,
            ik,
        });
    }
    check_later(&later, bones.len(), |owner| {
        described("bone", owner, name_of(&bones, owner, |bone| &bone.name))
    })?;
    Ok(bones)
}

/// The tables morphs point into.
struct Tables {
    vertices: usize,
    bones: usize,
    materials: usize,
}

/// Morphs and the rigid body indices of their impulses, checked once the bodies are read.
type Morphs = (Vec<Morph>, Vec<Later>);

fn read_morphs(r: &mut Reader, tables: &Tables) -> Result<Morphs, PmxError> {
    let sizes = r.sizes;
    r.place = Place::named("the morph count");
    let count = r.count("morphs", 14)?;
    let mut morphs = Vec::with_capacity(count);
    let mut later = Vec::new();
    let mut impulses = Vec::new();
    for index in 0..count {
        r.place = Place::item("morph", index, count);
        let name = r.text()?;
        let name_en = r.text()?;
        let owner = || described("morph", index, &name);
        let panel = r.u8()?;
        let kind_at = r.at;
        let kind = r.u8()?;
        let record = match kind {
            0 | 9 => sizes.morph + 4,
            1 => sizes.vertex + 12,
            2 => sizes.bone + 28,
            3..=7 => sizes.vertex + 16,
            8 => sizes.material + 113,
            10 => sizes.rigid_body + 25,
            other => {
                return Err(PmxError::new(
                    kind_at,
                    format!(
                        "{} has kind {other}; PMX has 0 (group) to 10 (impulse)",
                        owner()
                    ),
                ));
            }
        };
        let offsets = r.count("morph offsets", record)?;
        let kind = match kind {
            0 | 9 => {
                let mut weights = Vec::with_capacity(offsets);
                for _ in 0..offsets {
                    let morph = r.forward_index(sizes.morph, index, "morph", &mut later, owner)?;
                    let weight = r.f32()?;
                    // An entry naming no morph (-1) weighs nothing.
                    if let Some(morph) = morph {
                        weights.push(MorphWeight { morph, weight });
                    }
                }
                if kind == 0 {
                    MorphKind::Group(weights)
                } else {
                    MorphKind::Flip(weights)
                }
            }
            1 => {
                let mut vertices = Vec::with_capacity(offsets);
                for _ in 0..offsets {
                    vertices.push(VertexOffset {
                        vertex: r.vertex_index(tables.vertices, owner)?,
                        offset: r.floats()?,
                    });
                }
                MorphKind::Vertex(vertices)
            }
            2 => {
                let mut bones = Vec::with_capacity(offsets);
                for _ in 0..offsets {
                    let bone = r.required_index(sizes.bone, tables.bones, "bone", owner)?;
                    bones.push(BoneOffset {
                        bone,
                        translation: r.floats()?,
                        rotation: r.floats()?,
                    });
                }
                MorphKind::Bone(bones)
            }
            3..=7 => {
                let channel = kind - 3;
                let mut uvs = Vec::with_capacity(offsets);
                for _ in 0..offsets {
                    uvs.push(UvOffset {
                        vertex: r.vertex_index(tables.vertices, owner)?,
                        offset: r.floats()?,
                    });
                }
                MorphKind::Uv {
                    channel,
                    offsets: uvs,
                }
            }
            8 => {
                let mut materials = Vec::with_capacity(offsets);
                for _ in 0..offsets {
                    let material = r.index(sizes.material, tables.materials, "material", owner)?;
                    let operation_at = r.at;
                    let operation = match r.u8()? {
                        0 => MaterialOperation::Multiply,
                        1 => MaterialOperation::Add,
                        other => {
                            return Err(PmxError::new(
                                operation_at,
                                format!(
                                    "{} has material operation {other}, not 0 (multiply) or 1 \
                                     (add)",
                                    owner()
                                ),
                            ));
                        }
                    };
                    let [dr, dg, db, da, sr, sg, sb, specular_power, ar, ag, ab] =
                        r.floats::<11>()?;
                    materials.push(MaterialOffset {
                        material,
                        operation,
                        diffuse: [dr, dg, db, da],
                        specular: [sr, sg, sb],
                        specular_power,
                        ambient: [ar, ag, ab],
                        edge_colour: r.floats()?,
                        edge_size: r.f32()?,
                        texture_tint: r.floats()?,
                        sphere_tint: r.floats()?,
                        toon_tint: r.floats()?,
                    });
                }
                MorphKind::Material(materials)
            }
            _ => {
                let mut pushes = Vec::with_capacity(offsets);
                for _ in 0..offsets {
                    let at = r.at;
                    let body = "rigid body";
                    let rigid_body =
                        r.forward_index(sizes.rigid_body, index, body, &mut impulses, owner)?;
                    let Some(rigid_body) = rigid_body else {
                        return Err(PmxError::new(
                            at,
                            format!("{} pushes no rigid body (-1)", owner()),
                        ));
                    };
                    pushes.push(ImpulseOffset {
                        rigid_body,
                        local: r.u8()? != 0,
                        velocity: r.floats()?,
                        torque: r.floats()?,
                    });
                }
                MorphKind::Impulse(pushes)
            }
        };
        morphs.push(Morph {
            name,
            name_en,
            panel,
            kind,
        });
    }
    check_later(&later, morphs.len(), |owner| {
        described("morph", owner, name_of(&morphs, owner, |morph| &morph.name))
    })?;
    Ok((morphs, impulses))
}

fn read_display_frames(r: &mut Reader, bones: usize, morphs: usize) -> Result<usize, PmxError> {
    let sizes = r.sizes;
    r.place = Place::named("the display frame count");
    let count = r.count("display frames", 13)?;
    for index in 0..count {
        r.place = Place::item("display frame", index, count);
        let name = r.text()?;
        r.text()?;
        let owner = || described("display frame", index, &name);
        r.u8()?;
        let elements = r.count("display frame entries", 1 + sizes.bone.min(sizes.morph))?;
        for _ in 0..elements {
            let kind_at = r.at;
            match r.u8()? {
                0 => r.index(sizes.bone, bones, "bone", owner)?,
                1 => r.index(sizes.morph, morphs, "morph", owner)?,
                other => {
                    return Err(PmxError::new(
                        kind_at,
                        format!(
                            "{} has an entry of kind {other}, not 0 (bone) or 1 (morph)",
                            owner()
                        ),
                    ));
                }
            };
        }
    }
    Ok(count)
}

fn read_rigid_bodies(r: &mut Reader, bones: usize) -> Result<Vec<RigidBody>, PmxError> {
    let size = r.sizes.bone;
    r.place = Place::named("the rigid body count");
    let count = r.count("rigid bodies", 69 + size)?;
    let mut bodies = Vec::with_capacity(count);
    for index in 0..count {
        r.place = Place::item("rigid body", index, count);
        let name = r.text()?;
        let name_en = r.text()?;
        let owner = || described("rigid body", index, &name);
        let bone = r.index(size, bones, "bone", owner)?;
        let group = r.u8()?;
        let non_collision_mask = r.u16()?;
        let shape_at = r.at;
        let shape = match r.u8()? {
            0 => Shape::Sphere,
            1 => Shape::Box,
            2 => Shape::Capsule,
            other => {
                return Err(PmxError::new(
                    shape_at,
                    format!(
                        "{} has shape {other}; PMX has 0 (sphere), 1 (box) and 2 (capsule)",
                        owner()
                    ),
                ));
            }
        };
        let [
            sx,
            sy,
            sz,
            px,
            py,
            pz,
            rx,
            ry,
            rz,
            mass,
            linear,
            angular,
            restitution,
            friction,
        ] = r.floats::<14>()?;
        let mode_at = r.at;
        let mode = match r.u8()? {
            0 => PhysicsMode::FollowBone,
            1 => PhysicsMode::Physics,
            2 => PhysicsMode::PhysicsWithBone,
            other => {
                return Err(PmxError::new(
                    mode_at,
                    format!(
                        "{} has physics mode {other}; PMX has 0 (follow bone), 1 (physics) and \
                         2 (physics with bone position)",
                        owner()
                    ),
                ));
            }
        };
        bodies.push(RigidBody {
            name,
            name_en,
            bone,
            group,
            non_collision_mask,
            shape,
            size: [sx, sy, sz],
            position: [px, py, pz],
            rotation: [rx, ry, rz],
            mass,
            linear_damping: linear,
            angular_damping: angular,
            restitution,
            friction,
            mode,
        });
    }
    Ok(bodies)
}

fn read_joints(r: &mut Reader, bodies: usize) -> Result<Vec<Joint>, PmxError> {
    let size = r.sizes.rigid_body;
    r.place = Place::named("the joint count");
    let count = r.count("joints", 105 + 2 * size)?;
    let mut joints = Vec::with_capacity(count);
    for index in 0..count {
        r.place = Place::item("joint", index, count);
        let name = r.text()?;
        let name_en = r.text()?;
        let owner = || described("joint", index, &name);
        let kind_at = r.at;
        let kind = match r.u8()? {
            0 => JointKind::Spring6Dof,
            1 => JointKind::SixDof,
            2 => JointKind::PointToPoint,
            3 => JointKind::ConeTwist,
            4 => JointKind::Slider,
            5 => JointKind::Hinge,
            other => {
                return Err(PmxError::new(
                    kind_at,
                    format!(
                        "{} has kind {other}; PMX has 0 (spring 6DOF) to 5 (hinge)",
                        owner()
                    ),
                ));
            }
        };
        let a = r.index(size, bodies, "rigid body", owner)?;
        let b = r.index(size, bodies, "rigid body", owner)?;
        joints.push(Joint {
            name,
            name_en,
            kind,
            a,
            b,
            position: r.floats()?,
            rotation: r.floats()?,
            linear_min: r.floats()?,
            linear_max: r.floats()?,
            angular_min: r.floats()?,
            angular_max: r.floats()?,
            spring_linear: r.floats()?,
            spring_angular: r.floats()?,
        });
    }
    Ok(joints)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    /// A model in the test data, read; a missing file fails the test (see
    /// [`crate::testdata`]).
    fn testdata(path: &str) -> Option<(PathBuf, Pmx)> {
        let file = crate::testdata::file(path)?;
        let bytes = std::fs::read(&file).unwrap_or_else(|error| panic!("{path}: {error}"));
        let pmx = read(&bytes).unwrap_or_else(|error| panic!("{path}: {error}"));
        Some((file, pmx))
    }

    /// Writes PMX the way PMX Editor does, for building small files.
    struct Writer {
        bytes: Vec<u8>,
        utf8: bool,
        size: u8,
    }

    impl Writer {
        fn u8(&mut self, value: u8) {
            self.bytes.push(value);
        }

        fn u16(&mut self, value: u16) {
            self.bytes.extend(value.to_le_bytes());
        }

        fn i32(&mut self, value: i32) {
            self.bytes.extend(value.to_le_bytes());
        }

        fn floats(&mut self, values: &[f32]) {
            for value in values {
                self.bytes.extend(value.to_le_bytes());
            }
        }

        fn text(&mut self, text: &str) {
            let encoded: Vec<u8> = if self.utf8 {
                text.as_bytes().to_vec()
            } else {
                text.encode_utf16().flat_map(u16::to_le_bytes).collect()
            };
            self.i32(encoded.len() as i32);
            self.bytes.extend(encoded);
        }

        /// A signed index (bones, textures, materials, morphs, rigid bodies).
        fn index(&mut self, value: i32) {
            match self.size {
                1 => self.bytes.push(value as i8 as u8),
                2 => self.bytes.extend((value as i16).to_le_bytes()),
                _ => self.i32(value),
            }
        }

        /// A vertex index: unsigned when 1 or 2 bytes.
        fn vertex(&mut self, value: u32) {
            match self.size {
                1 => self.bytes.push(value as u8),
                2 => self.bytes.extend((value as u16).to_le_bytes()),
                _ => self.i32(value as i32),
            }
        }
    }

    /// A tiny model: four vertices (BDEF1, BDEF2, BDEF4, SDEF) in two triangles, two textures,
    /// two materials, two bones (the second an IK bone with every optional part), a morph of
    /// each kind, a display frame, a rigid body and a joint.
    #[derive(Debug, Clone, Copy)]
    struct Tiny {
        version: f32,
        utf8: bool,
        /// Every index size.
        size: u8,
        /// The first material's texture.
        texture: i32,
        /// The second bone's parent.
        parent: i32,
        /// The first vertex's bone.
        vertex_bone: i32,
    }

    impl Default for Tiny {
        fn default() -> Tiny {
            Tiny {
                version: 2.0,
                utf8: false,
                size: 2,
                texture: 0,
                parent: 0,
                vertex_bone: 0,
            }
        }
    }

    /// Where the tiny model's header ends and its vertex count is.
    fn vertex_count_at(tiny: Tiny) -> usize {
        let mut w = Writer {
            bytes: Vec::new(),
            utf8: tiny.utf8,
            size: tiny.size,
        };
        header(&mut w, tiny);
        w.bytes.len()
    }

    fn header(w: &mut Writer, tiny: Tiny) {
        w.bytes.extend(b"PMX ");
        w.floats(&[tiny.version]);
        w.u8(8);
        w.u8(u8::from(tiny.utf8));
        w.u8(1);
        for _ in 0..6 {
            w.u8(tiny.size);
        }
        w.text("小さな");
        w.text("tiny");
        w.text("a comment\r\nsecond line");
        w.text("");
    }

    fn tiny(tiny: Tiny) -> Vec<u8> {
        let v21 = tiny.version > 2.05;
        let mut w = Writer {
            bytes: Vec::new(),
            utf8: tiny.utf8,
            size: tiny.size,
        };
        header(&mut w, tiny);

        w.i32(4);
        for (index, kind) in [0u8, 1, 2, 3].into_iter().enumerate() {
            let x = index as f32;
            w.floats(&[x, 1.0, 2.0, 0.0, 0.0, -1.0, 0.5, 0.25]);
            w.floats(&[1.0, 2.0, 3.0, 4.0]);
            w.u8(kind);
            match kind {
                0 => w.index(tiny.vertex_bone),
                1 => {
                    w.index(0);
                    w.index(1);
                    w.floats(&[0.25]);
                }
                2 => {
                    for bone in [1, 0, -1, -1] {
                        w.index(bone);
                    }
                    w.floats(&[0.5, 0.5, 0.0, 0.0]);
                }
                _ => {
                    w.index(0);
                    w.index(1);
                    w.floats(&[0.75]);
                    w.floats(&[0.0, 1.0, 0.0, 0.0, 1.5, 0.0, 0.0, 0.5, 0.0]);
                }
            }
            w.floats(&[1.0]);
        }

        w.i32(6);
        for vertex in [0, 1, 2, 1, 3, 2] {
            w.vertex(vertex);
        }

        w.i32(2);
        w.text("tex\\Skin.PNG");
        w.text("toon.bmp");

        w.i32(2);
        for (index, name) in ["肌", "toon"].into_iter().enumerate() {
            w.text(name);
            w.text("");
            w.floats(&[1.0, 0.5, 0.25, 1.0, 0.1, 0.1, 0.1, 5.0, 0.5, 0.5, 0.5]);
            w.u8(0x11);
            w.floats(&[0.0, 0.0, 0.0, 1.0, 0.5]);
            if index == 0 {
                w.index(tiny.texture);
                w.index(-1);
                w.u8(0);
                w.u8(0);
                w.index(1);
                w.text("memo");
                w.i32(6);
            } else {
                w.index(-1);
                w.index(0);
                w.u8(2);
                w.u8(1);
                w.u8(3);
                w.text("");
                w.i32(0);
            }
        }

        w.i32(2);
        w.text("センター");
        w.text("center");
        w.floats(&[0.0, 8.0, 0.0]);
        w.index(-1);
        w.i32(0);
        w.u16(0x001f);
        w.index(1);
        w.text("足ＩＫ");
        w.text("");
        w.floats(&[1.0, 1.0, 0.0]);
        w.index(tiny.parent);
        w.i32(1);
        w.u16(0x0002 | 0x0004 | 0x0008 | 0x0010 | 0x0020 | 0x0100 | 0x0400 | 0x0800 | 0x2000);
        w.floats(&[0.0, 0.0, 1.0]);
        w.index(0);
        w.floats(&[0.5]);
        w.floats(&[1.0, 0.0, 0.0]);
        w.floats(&[1.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
        w.i32(7);
        w.index(0);
        w.i32(40);
        w.floats(&[2.0]);
        w.i32(1);
        w.index(0);
        w.u8(1);
        w.floats(&[-3.1, 0.0, 0.0, -0.01, 0.0, 0.0]);

        let morphs: &[u8] = if v21 {
            &[1, 0, 2, 3, 4, 8, 9, 10]
        } else {
            &[1, 0, 2, 3, 4, 8]
        };
        w.i32(morphs.len() as i32);
        for &kind in morphs {
            w.text(if kind == 1 { "あ" } else { "morph" });
            w.text("");
            w.u8(3);
            w.u8(kind);
            w.i32(1);
            match kind {
                0 | 9 => {
                    w.index(0);
                    w.floats(&[1.0]);
                }
                1 => {
                    w.vertex(1);
                    w.floats(&[0.0, 0.1, 0.0]);
                }
                2 => {
                    w.index(1);
                    w.floats(&[0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
                }
                3 | 4 => {
                    w.vertex(2);
                    w.floats(&[0.1, 0.0, 0.0, 0.0]);
                }
                8 => {
                    w.index(-1);
                    w.u8(1);
                    w.floats(&[0.0; 28]);
                }
                _ => {
                    w.index(0);
                    w.u8(1);
                    w.floats(&[0.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
                }
            }
        }

        w.i32(1);
        w.text("Root");
        w.text("Root");
        w.u8(1);
        w.i32(2);
        w.u8(0);
        w.index(0);
        w.u8(1);
        w.index(0);

        w.i32(1);
        w.text("体");
        w.text("");
        w.index(0);
        w.u8(2);
        w.u16(0xfffe);
        w.u8(1);
        w.floats(&[
            1.0, 2.0, 1.0, 0.0, 8.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.5, 0.5, 0.0, 0.5,
        ]);
        w.u8(1);

        w.i32(1);
        w.text("関節");
        w.text("");
        w.u8(0);
        w.index(0);
        w.index(-1);
        w.floats(&[0.0; 24]);

        if v21 {
            w.i32(0);
        }
        w.bytes
    }

    /// Every shape of the tiny model: both versions, both encodings, every index size.
    fn variants() -> Vec<Tiny> {
        let mut variants = Vec::new();
        for version in [2.0, 2.1] {
            for utf8 in [false, true] {
                for size in [1, 2, 4] {
                    variants.push(Tiny {
                        version,
                        utf8,
                        size,
                        ..Tiny::default()
                    });
                }
            }
        }
        variants
    }

    /// The error reading `bytes` gives; a panic when it reads.
    fn refusal(bytes: &[u8]) -> PmxError {
        match read(bytes) {
            Ok(_) => panic!("a broken file read without an error"),
            Err(error) => error,
        }
    }

    #[test]
    fn pmx_the_tiny_model_reads_back_in_every_encoding_and_index_size() {
        for variant in variants() {
            let pmx = read(&tiny(variant)).unwrap_or_else(|error| panic!("{variant:?}: {error}"));
            assert_eq!(pmx.version, variant.version);
            let encoding = if variant.utf8 {
                TextEncoding::Utf8
            } else {
                TextEncoding::Utf16
            };
            assert_eq!(pmx.encoding, encoding);
            assert_eq!(
                (pmx.name.as_str(), pmx.name_en.as_str()),
                ("小さな", "tiny")
            );
            assert_eq!(pmx.comment, "a comment\r\nsecond line");
            assert_eq!(pmx.additional_uvs, 1);

            assert_eq!(pmx.vertices.len(), 4);
            let deforms: Vec<Deform> = pmx.vertices.iter().map(|vertex| vertex.deform).collect();
            assert_eq!(
                deforms,
                [Deform::Bdef1, Deform::Bdef2, Deform::Bdef4, Deform::Sdef]
            );
            let [bdef1, bdef2, bdef4, sdef] = &pmx.vertices[..] else {
                unreachable!("four vertices");
            };
            assert_eq!(bdef1.weights, [1.0, 0.0, 0.0, 0.0]);
            assert_eq!(bdef2.bones, [0, 1, 0, 0]);
            assert_eq!(bdef2.weights, [0.25, 0.75, 0.0, 0.0]);
            assert_eq!(bdef4.bones, [1, 0, 0, 0]);
            assert_eq!(bdef4.weights, [0.5, 0.5, 0.0, 0.0]);
            assert_eq!(sdef.weights, [0.75, 0.25, 0.0, 0.0]);
            assert_eq!(sdef.sdef.map(|sdef| sdef.r0), Some([0.0, 1.5, 0.0]));
            assert_eq!(bdef1.sdef, None);
            assert_eq!(sdef.position, [3.0, 1.0, 2.0]);
            assert_eq!(sdef.extra_uvs[0], [1.0, 2.0, 3.0, 4.0]);
            assert_eq!(sdef.extra_uvs[1], [0.0; 4]);
            assert_eq!(pmx.faces, [[0, 1, 2], [1, 3, 2]]);

            assert_eq!(pmx.textures, ["tex\\Skin.PNG", "toon.bmp"]);
            let [skin, toon] = &pmx.materials[..] else {
                panic!("two materials, not {}", pmx.materials.len());
            };
            assert_eq!(skin.name, "肌");
            assert_eq!((skin.texture, skin.sphere), (Some(0), None));
            assert_eq!(skin.toon, Toon::Texture(1));
            assert!(skin.flags.double_sided() && skin.flags.edge() && !skin.flags.line());
            assert_eq!((skin.memo.as_str(), skin.index_count), ("memo", 6));
            assert_eq!((toon.sphere, toon.sphere_mode), (Some(0), SphereMode::Add));
            assert_eq!(toon.toon, Toon::Shared(3));
            let drawn: Vec<usize> = pmx
                .material_triangles()
                .map(|(_, triangles)| triangles.len())
                .collect();
            assert_eq!(drawn, [2, 0]);

            let [center, ik] = &pmx.bones[..] else {
                panic!("two bones, not {}", pmx.bones.len());
            };
            assert_eq!((center.name.as_str(), center.parent), ("センター", None));
            assert_eq!(center.tail, Tail::Bone(Some(1)));
            assert_eq!((ik.parent, ik.layer), (Some(0), 1));
            assert_eq!(ik.tail, Tail::Offset([0.0, 0.0, 1.0]));
            let append = ik.append.expect("the IK bone appends the centre");
            assert_eq!((append.parent, append.ratio), (0, 0.5));
            assert!(append.rotation && !append.translation && !append.local);
            assert_eq!(ik.fixed_axis, Some([1.0, 0.0, 0.0]));
            assert_eq!(ik.local_axes.map(|axes| axes.z), Some([0.0, 0.0, 1.0]));
            assert_eq!(ik.external_parent, Some(7));
            let chain = ik.ik.as_ref().expect("an IK chain");
            assert_eq!(
                (chain.target, chain.loop_count, chain.limit_angle),
                (0, 40, 2.0)
            );
            assert_eq!(chain.links.len(), 1);
            assert_eq!(
                chain.links[0].limits,
                Some(([-3.1, 0.0, 0.0], [-0.01, 0.0, 0.0]))
            );

            let kinds: Vec<&str> = pmx.morphs.iter().map(Morph::kind_name).collect();
            let mut expected = vec![
                "vertex",
                "group",
                "bone",
                "UV",
                "additional UV 1",
                "material",
            ];
            if variant.version > 2.05 {
                expected.extend(["flip", "impulse"]);
            }
            assert_eq!(kinds, expected);
            assert_eq!(pmx.morphs[0].name, "あ");
            assert_eq!(
                pmx.morphs[0].kind,
                MorphKind::Vertex(vec![VertexOffset {
                    vertex: 1,
                    offset: [0.0, 0.1, 0.0]
                }])
            );
            assert_eq!(
                pmx.morphs[1].kind,
                MorphKind::Group(vec![MorphWeight {
                    morph: 0,
                    weight: 1.0
                }])
            );
            let MorphKind::Material(materials) = &pmx.morphs[5].kind else {
                panic!("morph 5 is {}", pmx.morphs[5].kind_name());
            };
            assert_eq!(materials[0].material, None);
            assert_eq!(materials[0].operation, MaterialOperation::Add);

            assert_eq!(pmx.display_frames, 1);
            let [body] = &pmx.rigid_bodies[..] else {
                panic!("one rigid body");
            };
            assert_eq!(
                (body.bone, body.group, body.non_collision_mask),
                (Some(0), 2, 0xfffe)
            );
            assert_eq!((body.shape, body.mode), (Shape::Box, PhysicsMode::Physics));
            assert_eq!(body.friction, 0.5);
            let [joint] = &pmx.joints[..] else {
                panic!("one joint");
            };
            assert_eq!(
                (joint.kind, joint.a, joint.b),
                (JointKind::Spring6Dof, Some(0), None)
            );
            assert_eq!(pmx.soft_bodies, 0);
        }
    }

    #[test]
    fn pmx_every_truncation_is_an_error_at_a_byte_inside_the_file() {
        for variant in variants() {
            let bytes = tiny(variant);
            for length in 0..bytes.len() {
                let cut = &bytes[..length];
                let error = refusal(cut);
                assert!(
                    error.offset <= length,
                    "{variant:?} cut to {length} bytes: {error} names a byte past the end"
                );
                let expected = if length < 4 {
                    "not a PMX file"
                } else {
                    "truncated"
                };
                assert!(
                    error.problem.contains(expected),
                    "{variant:?} cut to {length} bytes: {error}"
                );
            }
        }
    }

    #[test]
    fn pmx_a_truncation_names_the_item_it_ends_inside() {
        let bytes = tiny(Tiny::default());
        let start = vertex_count_at(Tiny::default()) + 4;
        // Each vertex is 32 bytes of position, normal and UV, 16 of the additional UV, the
        // weight type, then 1 bone and the edge scale (BDEF1), 2 bones and a weight (BDEF2), 4
        // bones and 4 weights (BDEF4)... Cutting a file in its first vertices leaves too few
        // bytes for the vertex count; cutting it in SDEF's C (vertex 3) does not.
        let sdef = start + (55 + 61 + 77);
        let c = sdef + 32 + 16 + 1 + 2 * 2 + 4;
        let error = refusal(&bytes[..c + 3]);
        assert_eq!(
            error.to_string(),
            format!(
                "byte {c}: the file ends inside vertex 3 of 4 (truncated? copy or download it \
                 again)"
            )
        );
        let error = refusal(&bytes[..start + 100]);
        assert_eq!(
            error.to_string(),
            format!(
                "byte {}: the file says 4 vertices follow, but only 100 bytes are left, room \
                 for 1 at most (truncated or broken? copy or download it again)",
                start - 4
            )
        );
    }

    #[test]
    fn pmx_a_huge_count_is_refused_before_anything_is_allocated() {
        let variant = Tiny::default();
        let at = vertex_count_at(variant);
        let mut bytes = tiny(variant);
        bytes.truncate(at);
        bytes.extend(i32::MAX.to_le_bytes());
        bytes.resize(200, 0);
        let error = refusal(&bytes);
        assert_eq!(error.offset, at);
        assert!(
            error
                .problem
                .starts_with("the file says 2147483647 vertices follow, but only"),
            "{error}"
        );

        bytes[at..at + 4].copy_from_slice(&(-5i32).to_le_bytes());
        let error = refusal(&bytes);
        assert_eq!(error.offset, at);
        assert!(error.problem.contains("negative"), "{error}");
    }

    #[test]
    fn pmx_an_index_outside_its_table_is_named() {
        for size in [1, 2, 4] {
            let variant = Tiny {
                size,
                ..Tiny::default()
            };
            let bytes = tiny(Tiny {
                texture: 5,
                ..variant
            });
            let error = refusal(&bytes);
            assert_eq!(
                error.problem,
                "material 0 (肌) names texture 5 but there are 2"
            );
            assert_eq!(bytes[error.offset], 5, "the offset is the index's byte");

            let bytes = tiny(Tiny {
                parent: 9,
                ..variant
            });
            let error = refusal(&bytes);
            assert_eq!(
                error.problem,
                "bone 1 (足ＩＫ) names parent bone 9 but there are 2"
            );
            assert_eq!(bytes[error.offset], 9);

            let bytes = tiny(Tiny {
                parent: -3,
                ..variant
            });
            let error = refusal(&bytes);
            assert_eq!(
                error.problem,
                "bone 1 (足ＩＫ) names parent bone -3, but the only negative index allowed is \
                 -1 (none)"
            );

            let bytes = tiny(Tiny {
                vertex_bone: 7,
                ..variant
            });
            let error = refusal(&bytes);
            assert_eq!(
                error.problem,
                "vertex 0 is weighted to bone 7 but there are 2"
            );
            assert_eq!(bytes[error.offset], 7);
        }
    }

    #[test]
    fn pmx_a_triangle_naming_a_missing_vertex_is_refused() {
        let variant = Tiny::default();
        let mut bytes = tiny(variant);
        // The face list is the first [0, 1, 2, 1, 3, 2] of u16s after the vertices.
        let faces: Vec<u8> = [0u16, 1, 2, 1, 3, 2]
            .into_iter()
            .flat_map(u16::to_le_bytes)
            .collect();
        let at = bytes
            .windows(faces.len())
            .position(|window| window == faces)
            .expect("the face list is in the file");
        bytes[at + 8] = 4;
        let error = refusal(&bytes);
        assert_eq!(error.offset, at + 8);
        assert_eq!(error.problem, "triangle 1 names vertex 4 but there are 4");
    }

    #[test]
    fn pmx_materials_must_draw_the_whole_face_list() {
        let mut bytes = tiny(Tiny::default());
        let memo: Vec<u8> = [
            8i32.to_le_bytes().as_slice(),
            b"m\0e\0m\0o\0",
            &6i32.to_le_bytes(),
        ]
        .concat();
        let at = bytes
            .windows(memo.len())
            .position(|window| window == memo)
            .expect("the first material's memo and count are in the file")
            + 12;
        let mut broken = bytes.clone();
        broken[at..at + 4].copy_from_slice(&4i32.to_le_bytes());
        let error = refusal(&broken);
        assert_eq!(error.offset, at);
        assert_eq!(
            error.problem,
            "material 0 (肌) draws 4 face indices after the 0 before it, but the face list has 6 \
             in whole triangles (broken file?)"
        );

        bytes[at..at + 4].copy_from_slice(&3i32.to_le_bytes());
        let error = refusal(&bytes);
        assert_eq!(
            error.problem,
            "the materials draw 3 face indices but the face list has 6; every triangle must \
             belong to a material (broken file?)"
        );
        // At the last material's count.
        assert_eq!(bytes[error.offset..error.offset + 4], 0i32.to_le_bytes());
    }

    #[test]
    fn pmx_index_sizes_other_than_1_2_or_4_are_refused() {
        let names = [
            "vertex",
            "texture",
            "material",
            "bone",
            "morph",
            "rigid body",
        ];
        for (slot, name) in names.into_iter().enumerate() {
            let mut bytes = tiny(Tiny::default());
            bytes[11 + slot] = 3;
            let error = refusal(&bytes);
            assert_eq!(
                error.to_string(),
                format!(
                    "byte {}: {name} index size 3 is not 1, 2 or 4 (broken file?)",
                    11 + slot
                )
            );
        }
    }

    #[test]
    fn pmx_other_files_are_told_apart() {
        let cases: [(&[u8], &str); 5] = [
            (b"Pmd\0\0\0\x80?", "a PMD model"),
            (b"glTF\x02\0\0\0", "a glTF or VRM model"),
            (b"  {\"asset\":{}}", "a glTF or VRM model"),
            (b"\x89PNG\r\n", "encore reads PMX 2.0 and 2.1"),
            (b"", "it is empty"),
        ];
        for (bytes, expected) in cases {
            let error = refusal(bytes);
            assert_eq!(error.offset, 0);
            assert!(error.problem.starts_with("not a PMX file: "), "{error}");
            assert!(error.problem.contains(expected), "{error}");
        }
        assert_eq!(
            refusal(b"Pmd\0\0\0\x80?").to_string(),
            "byte 0: not a PMX file: it starts with \"Pmd\\x00\" (a PMD model, MMD's older \
             format: open it in PMX Editor and save it as PMX); encore reads PMX 2.0 and 2.1"
        );

        let mut bytes = tiny(Tiny::default());
        bytes[4..8].copy_from_slice(&3.0f32.to_le_bytes());
        let error = refusal(&bytes);
        assert_eq!(error.offset, 4);
        assert!(
            error.problem.starts_with("this is PMX version 3;"),
            "{error}"
        );
    }

    #[test]
    fn pmx_flipping_any_byte_never_panics() {
        for variant in variants() {
            let bytes = tiny(variant);
            let mut broken = bytes.clone();
            for at in 0..bytes.len() {
                for flip in [0xff, 0x80, 0x01] {
                    broken[at] ^= flip;
                    if let Err(error) = read(&broken) {
                        assert!(error.offset <= broken.len(), "{variant:?} at {at}: {error}");
                    }
                    broken[at] = bytes[at];
                }
            }
        }
    }

    #[test]
    fn pmx_random_damage_never_panics() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for variant in variants() {
            let bytes = tiny(variant);
            for _ in 0..2_000 {
                let mut broken = bytes.clone();
                for _ in 0..rng.random_range(1..6) {
                    let at = rng.random_range(0..broken.len());
                    broken[at] = match rng.random_range(0..4) {
                        0 => 0xff,
                        1 => 0,
                        2 => 0x7f,
                        _ => rng.random(),
                    };
                }
                if rng.random_bool(0.25) {
                    broken.truncate(rng.random_range(0..broken.len()));
                }
                if let Err(error) = read(&broken) {
                    assert!(error.offset <= broken.len(), "{variant:?}: {error}");
                }
            }
        }
    }

    /// A folder of its own under the system's temporary folder.
    fn scratch_folder(name: &str) -> PathBuf {
        let folder = std::env::temp_dir().join(format!("encore-pmx-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&folder);
        std::fs::create_dir_all(&folder).expect("a scratch folder");
        folder
    }

    #[test]
    fn pmx_textures_are_found_ignoring_case_and_never_outside_the_model() {
        let top = scratch_folder("textures");
        let model = top.join("Model");
        std::fs::create_dir_all(model.join("Tex")).expect("a texture folder");
        std::fs::write(model.join("Tex/Skin.png"), b"png").expect("a texture");
        std::fs::write(top.join("outside.png"), b"png").expect("a file outside");

        assert_eq!(
            normalized_texture_path("tex\\sub\\a.png"),
            PathBuf::from("tex/sub/a.png")
        );
        let skin = Some(model.join("Tex/Skin.png"));
        assert_eq!(find_texture(&model, "Tex\\Skin.png"), skin);
        assert_eq!(find_texture(&model, "tex\\SKIN.PNG"), skin);
        assert_eq!(find_texture(&model, "./tex/skin.png"), skin);
        let absolute = model.join("Tex/Skin.png");
        assert_eq!(find_texture(&model, &absolute.to_string_lossy()), skin);
        assert_eq!(find_texture(&model, "tex\\missing.png"), None);
        assert_eq!(
            find_texture(&model, "tex"),
            None,
            "a folder is not a texture"
        );
        assert_eq!(find_texture(&model, ""), None);
        assert_eq!(find_texture(&model, "..\\outside.png"), None);
        assert_eq!(find_texture(&model, "tex/../../outside.png"), None);
        let outside = top.join("outside.png");
        assert_eq!(find_texture(&model, &outside.to_string_lossy()), None);
        let _ = std::fs::remove_dir_all(&top);
    }

    /// How many bones a material's vertices are weighted to, and how many vertex morphs move
    /// any of its vertices, for each material: Bevy skins a mesh with at most 256 joints and
    /// morphs it with at most 256 targets.
    fn per_material(pmx: &Pmx) -> Vec<(String, usize, usize)> {
        pmx.material_triangles()
            .map(|(material, triangles)| {
                let vertices: BTreeSet<u32> = triangles.iter().flatten().copied().collect();
                let bones: BTreeSet<u32> = vertices
                    .iter()
                    .flat_map(|&vertex| {
                        let vertex = &pmx.vertices[vertex as usize];
                        vertex
                            .bones
                            .into_iter()
                            .zip(vertex.weights)
                            .filter(|(_, weight)| *weight != 0.0)
                            .map(|(bone, _)| bone)
                    })
                    .collect();
                let morphs = pmx
                    .morphs
                    .iter()
                    .filter(|morph| match &morph.kind {
                        MorphKind::Vertex(offsets) => offsets
                            .iter()
                            .any(|offset| vertices.contains(&offset.vertex)),
                        _ => false,
                    })
                    .count();
                (material.name.clone(), bones.len(), morphs)
            })
            .collect()
    }

    #[test]
    fn pmx_gene_reads_with_its_documented_facts() {
        let Some((file, gene)) = testdata("mmd/gene/Gene_light.pmx") else {
            return;
        };
        assert_eq!(gene.version, 2.0);
        assert_eq!(gene.encoding, TextEncoding::Utf16);
        assert_eq!(gene.additional_uvs, 0);
        assert_eq!(gene.name, "ジェネ / Gene");
        assert_eq!(gene.name_en, "CHMSgeneric.model.v0");
        assert!(
            gene.comment.contains("(C) JST/名工大/阪大"),
            "{}",
            gene.comment
        );
        assert_eq!(gene.vertices.len(), 28_646);
        assert_eq!(gene.faces.len(), 47_106);
        assert_eq!(gene.textures.len(), 10);
        assert_eq!(gene.materials.len(), 13);
        assert_eq!(gene.bones.len(), 224);
        assert_eq!(gene.morphs.len(), 184);
        assert_eq!(gene.display_frames, 15);
        assert_eq!(gene.rigid_bodies.len(), 87);
        assert_eq!(gene.joints.len(), 92);
        assert_eq!(gene.soft_bodies, 0);

        let mut deforms = BTreeMap::new();
        for vertex in &gene.vertices {
            *deforms.entry(format!("{:?}", vertex.deform)).or_insert(0) += 1;
        }
        let deforms: Vec<(&str, usize)> = deforms.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(
            deforms,
            [("Bdef1", 13_552), ("Bdef2", 10_178), ("Bdef4", 4_916)]
        );

        let mut kinds = BTreeMap::new();
        for morph in &gene.morphs {
            *kinds.entry(morph.kind_name()).or_insert(0) += 1;
        }
        let kinds: Vec<(&str, usize)> = kinds.into_iter().collect();
        assert_eq!(
            kinds,
            [("UV", 1), ("group", 3), ("material", 3), ("vertex", 177)]
        );
        for name in ["あ", "い", "う", "え", "お", "まばたき"] {
            let morph = gene.morphs.iter().find(|morph| morph.name == name);
            let kind = morph.map(Morph::kind_name);
            assert!(
                matches!(kind, Some("vertex" | "group")),
                "morph {name} is {kind:?}"
            );
        }

        let bone = |name: &str| {
            gene.bones
                .iter()
                .position(|bone| bone.name == name)
                .unwrap_or_else(|| panic!("Gene has no bone {name}"))
        };
        for name in ["全ての親", "センター", "上半身", "頭", "左足ＩＫ"] {
            bone(name);
        }
        assert_eq!(gene.bones[bone("上半身")].parent, Some(bone("グルーブ")));
        let leg_ik = gene.bones[bone("左足ＩＫ")]
            .ik
            .as_ref()
            .expect("an IK chain");
        assert_eq!(leg_ik.target, bone("左足首"));
        let links: Vec<usize> = leg_ik.links.iter().map(|link| link.bone).collect();
        assert_eq!(links, [bone("左ひざ"), bone("左足")]);
        assert!(leg_ik.links[0].limits.is_some(), "the knee bends one way");
        assert_eq!(
            gene.bones.iter().filter(|bone| bone.ik.is_some()).count(),
            6
        );
        let appends = gene.bones.iter().filter(|bone| bone.append.is_some());
        assert_eq!(appends.count(), 11);

        let folder = file.parent().expect("the model's folder");
        let mut found = BTreeSet::new();
        for material in &gene.materials {
            let texture = material.texture.expect("every material has a texture");
            let path = find_texture(folder, &gene.textures[texture])
                .unwrap_or_else(|| panic!("{} is not there", gene.textures[texture]));
            assert_eq!(path.parent(), Some(folder.join("light").as_path()));
            found.insert(path);
        }
        let pngs: BTreeSet<PathBuf> = std::fs::read_dir(folder.join("light"))
            .expect("Gene's textures")
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|extension| extension == "png"))
            .collect();
        assert_eq!(
            found, pngs,
            "the materials use exactly the PNGs beside the model"
        );
        let transparent = gene
            .materials
            .iter()
            .filter(|material| material.diffuse[3] == 0.0);
        assert_eq!(transparent.count(), 2, "shown through material morphs");

        let rows = per_material(&gene);
        let most_bones = rows.iter().max_by_key(|row| row.1);
        assert_eq!(
            most_bones.map(|row| (row.0.as_str(), row.1)),
            Some(("髪", 51))
        );
        let most_morphs = rows.iter().max_by_key(|row| row.2);
        assert_eq!(
            most_morphs.map(|row| (row.0.as_str(), row.2)),
            Some(("顔", 155))
        );
    }

    #[test]
    fn pmx_constraint_test_has_two_bodies_and_a_joint() {
        let Some((_, model)) = testdata("mmd/constraint_test.pmx") else {
            return;
        };
        assert_eq!((model.version, model.encoding), (2.0, TextEncoding::Utf16));
        assert_eq!(model.name, "");
        assert_eq!(model.vertices.len(), 48);
        assert_eq!(model.faces.len(), 24);
        assert!(model.textures.is_empty());
        let materials: Vec<(&str, Toon)> = model
            .materials
            .iter()
            .map(|material| (material.name.as_str(), material.toon))
            .collect();
        assert_eq!(
            materials,
            [("Box", Toon::Shared(1)), ("Box", Toon::Shared(1))]
        );
        let bones: Vec<&str> = model.bones.iter().map(|bone| bone.name.as_str()).collect();
        assert_eq!(bones, ["センター", "新規ボーン1"]);
        assert!(model.morphs.is_empty());
        assert_eq!(model.display_frames, 2);
        let bodies: Vec<(&str, Shape, PhysicsMode, Option<usize>)> = model
            .rigid_bodies
            .iter()
            .map(|body| (body.name.as_str(), body.shape, body.mode, body.bone))
            .collect();
        assert_eq!(
            bodies,
            [
                ("新規剛体1", Shape::Box, PhysicsMode::FollowBone, Some(0)),
                ("新規剛体2", Shape::Box, PhysicsMode::Physics, Some(1)),
            ]
        );
        let [joint] = &model.joints[..] else {
            panic!("one joint, not {}", model.joints.len());
        };
        assert_eq!(
            (joint.kind, joint.a, joint.b),
            (JointKind::Spring6Dof, Some(0), Some(1))
        );
        assert_eq!(joint.angular_max[0], std::f32::consts::FRAC_PI_2);
    }
}

//! `encore avatar inspect`: what a glTF, GLB, VRM 0.x, VRM 1.0 or VRMA file holds, read with
//! the gltf crate (no GPU, no Bevy; VRM's own extensions as JSON from it): meshes, vertices, joints, the
//! humanoid map (from the VRM extension, or guessed from bone names for plain glTF), the
//! required bones that are missing, expressions, clips with durations, spring-bone chains, and
//! the licence metadata. Files encore cannot use get one error naming the file, the reason and
//! the fix.

use std::{
    collections::BTreeSet,
    fmt, io,
    path::{Path, PathBuf},
};

use serde_json::Value;
use thiserror::Error;

/// Why a model file cannot be used.
#[derive(Debug, Error, PartialEq)]
pub enum ModelFileError {
    /// The file could not be read.
    #[error("cannot read {path}: {reason}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the file system said.
        reason: String,
    },
    /// Neither a GLB container nor glTF JSON.
    #[error(
        "{path} is not a glTF model: it starts with {found:?} instead of the GLB magic `glTF` \
         or a JSON `{{`; export it from your tool as glTF 2.0 (.glb, .gltf) or VRM"
    )]
    NotGltf {
        /// The file.
        path: PathBuf,
        /// Its first bytes.
        found: String,
    },
    /// A GLB whose declared lengths run past its end.
    #[error(
        "{path} is cut short: its header promises {expected} bytes but it has {actual}; copy \
         or download it again"
    )]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Bytes the header declares.
        expected: usize,
        /// Bytes there are.
        actual: usize,
    },
    /// A glTF version other than 2.
    #[error("{path} is glTF version {version}; encore reads glTF 2.0, re-export it as 2.0")]
    Version {
        /// The file.
        path: PathBuf,
        /// The version found.
        version: String,
    },
    /// The JSON does not parse.
    #[error("{path}: the glTF JSON is broken at line {line}, column {column}: {reason}")]
    Json {
        /// The file.
        path: PathBuf,
        /// Line of the error.
        line: usize,
        /// Column of the error.
        column: usize,
        /// What serde_json said.
        reason: String,
    },
    /// Draco or meshopt compressed geometry.
    #[error(
        "{path} stores its meshes compressed with {extension}, which encore cannot decode; \
         export it again without mesh compression"
    )]
    Compressed {
        /// The file.
        path: PathBuf,
        /// The compression extension.
        extension: String,
    },
    /// A PMX model that does not read: damaged, cut short, or not PMX 2.x.
    #[error("{}: {error}", path.display())]
    Pmx {
        /// The file.
        path: PathBuf,
        /// Where and what.
        error: super::pmx::PmxError,
    },
    /// Required extensions encore does not implement.
    #[error(
        "{path} requires glTF extensions encore does not support: {extensions}; export it \
         without them"
    )]
    RequiredExtensions {
        /// The file.
        path: PathBuf,
        /// Their names, comma-separated.
        extensions: String,
    },
    /// A buffer or image file next to a .gltf that is not there.
    #[error("{path} needs {what} `{uri}`, which is not next to it (looked for {looked})")]
    MissingFile {
        /// The file.
        path: PathBuf,
        /// "the buffer" or "the image".
        what: &'static str,
        /// The URI written in the file.
        uri: String,
        /// Where it was looked for.
        looked: String,
    },
    /// JSON or a GLB container that breaks glTF's rules: an index past the end of its list, a
    /// value outside its enumeration, chunks in the wrong order.
    #[error("{path} is not valid glTF 2.0 ({reason}); export it again from your tool")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Where the rules are broken.
        reason: String,
    },
}

/// Required glTF extensions that encore reads or can do without.
const KNOWN_EXTENSIONS: &[&str] = &[
    "KHR_materials_unlit",
    "KHR_texture_transform",
    "KHR_materials_emissive_strength",
    "KHR_mesh_quantization",
    "VRM",
    "VRMC_vrm",
    "VRMC_springBone",
    "VRMC_materials_mtoon",
    "VRMC_vrm_animation",
];

/// Mesh compression extensions (never decodable here).
const COMPRESSION: &[&str] = &["KHR_draco_mesh_compression", "EXT_meshopt_compression"];

/// The humanoid bones a model needs to dance (VRM 1.0's required set).
pub const REQUIRED_BONES: &[&str] = &[
    "hips",
    "spine",
    "head",
    "leftUpperArm",
    "leftLowerArm",
    "leftHand",
    "rightUpperArm",
    "rightLowerArm",
    "rightHand",
    "leftUpperLeg",
    "leftLowerLeg",
    "leftFoot",
    "rightUpperLeg",
    "rightLowerLeg",
    "rightFoot",
];

/// What kind of file it is.
#[derive(Debug, Clone, PartialEq)]
pub enum Format {
    /// Plain glTF 2.0.
    Gltf,
    /// VRM 0.x, with its `specVersion`.
    Vrm0(String),
    /// VRM 1.0, with its `specVersion`.
    Vrm1(String),
    /// A VRM animation (VRMA).
    Vrma(String),
    /// A MikuMikuDance PMX model, with its version.
    Pmx(String),
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Gltf => write!(f, "glTF 2.0"),
            Self::Vrm0(version) => write!(f, "VRM 0.x (specVersion {version})"),
            Self::Vrm1(version) => write!(f, "VRM 1.0 (specVersion {version})"),
            Self::Vrma(version) => write!(f, "VRM animation (VRMC_vrm_animation {version})"),
            Self::Pmx(version) => write!(f, "PMX {version} (MikuMikuDance model)"),
        }
    }
}

/// Where the humanoid map came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapSource {
    /// The VRM (or VRMA) extension's humanoid.
    Vrm,
    /// Guessed from the joints' names (Mixamo, Rigify, KayKit, CMU and VRoid styles).
    Names,
    /// MMD's standard bone names (センター, 上半身, 左腕...).
    Mmd,
}

/// The licence and credit fields of a VRM.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Licence {
    /// The model's name or title.
    pub title: String,
    /// Its author or authors.
    pub authors: Vec<String>,
    /// The licence's name or URL.
    pub licence: String,
    /// Who may perform as it.
    pub allowed_users: String,
    /// Commercial use.
    pub commercial: String,
    /// Redistribution.
    pub redistribution: String,
    /// Modification.
    pub modification: String,
    /// Whether credit is required.
    pub credit: String,
}

/// Spring-bone (secondary motion) data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Springs {
    /// Chains (VRM 1.0 springs, VRM 0.x bone groups).
    pub chains: usize,
    /// Joints over all chains (0.x: the root bones of the groups).
    pub joints: usize,
    /// Collider groups.
    pub collider_groups: usize,
    /// Sphere and capsule colliders.
    pub colliders: usize,
}

/// One morph target an expression moves.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpressionBind {
    /// The expression (`blink`, `aa`, `happy`... or a VRM 0.x preset such as `a`, `joy`).
    pub expression: String,
    /// The node holding the morphed mesh.
    pub node: String,
    /// The morph target's index in that mesh.
    pub morph: usize,
    /// How far the expression at full moves it, 0 to 1.
    pub weight: f32,
}

/// One simulated spring-bone joint, as the file describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct SpringJointSpec {
    /// The joint's node.
    pub node: String,
    /// The node its tail is at; `None`: a leaf, whose tail sits 7 cm on along its bone.
    pub tail: Option<String>,
    /// How strongly it returns to its rest direction.
    pub stiffness: f32,
    /// Gravity's strength and direction (in the model's space).
    pub gravity: Vec3Spec,
    /// How much of its motion it loses each step, 0 to 1.
    pub drag: f32,
    /// The joint's radius for collisions.
    pub hit_radius: f32,
    /// Indices into the colliders it collides with.
    pub colliders: Vec<usize>,
}

/// A plain vector read from the file (kept free of Bevy types).
pub type Vec3Spec = [f32; 3];

/// A spring-bone collider: a sphere, or a capsule when it has a tail.
#[derive(Debug, Clone, PartialEq)]
pub struct ColliderSpec {
    /// The node it moves with.
    pub node: String,
    /// Its centre in the node's space.
    pub offset: Vec3Spec,
    /// A capsule's other end in the node's space.
    pub tail: Option<Vec3Spec>,
    /// Its radius.
    pub radius: f32,
}

/// Everything `inspect` reports about a model file.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspection {
    /// The file.
    pub path: PathBuf,
    /// `GLB` or `glTF JSON`.
    pub container: &'static str,
    /// The exporting tool.
    pub generator: String,
    /// glTF, VRM 0.x, VRM 1.0 or VRMA.
    pub format: Format,
    /// Meshes and their primitives.
    pub meshes: usize,
    /// Primitives over all meshes.
    pub primitives: usize,
    /// Vertices over all primitives.
    pub vertices: usize,
    /// Triangles over all primitives (indexed or not).
    pub triangles: usize,
    /// Nodes in the scene graph.
    pub nodes: usize,
    /// Joints of each skin.
    pub skins: Vec<usize>,
    /// Morph target names (`target N` where the file leaves them unnamed).
    pub morph_targets: Vec<String>,
    /// Animation clips: name (or `clip N`) and duration in seconds.
    pub clips: Vec<(String, f32)>,
    /// Humanoid bone name → node name.
    pub humanoid: Vec<(String, String)>,
    /// Where the map came from.
    pub map_source: MapSource,
    /// Required humanoid bones with no node.
    pub missing_bones: Vec<&'static str>,
    /// Expressions (VRM 1.0) or blend-shape groups (VRM 0.x).
    pub expressions: Vec<String>,
    /// The morph targets the expressions move.
    pub expression_binds: Vec<ExpressionBind>,
    /// The look-at type (`bone`, `expression`, `blendShape`), for VRMs.
    pub look_at: Option<String>,
    /// Spring bones.
    pub springs: Springs,
    /// The spring-bone joints to simulate, parents first, and their colliders.
    pub spring_joints: Vec<SpringJointSpec>,
    /// The colliders the joints name.
    pub colliders: Vec<ColliderSpec>,
    /// Licence metadata (VRMs; glTF's `asset.copyright` as the licence otherwise).
    pub licence: Licence,
    /// Extensions the file uses.
    pub extensions: Vec<String>,
    /// MToon materials, material binds, expression rules and the eyes' look-at.
    pub looks: super::looks::Looks,
    /// Names of the default scene's top nodes (animation clips address joints by the names
    /// on the path from these).
    pub top_nodes: Vec<String>,
    /// What the model draws at rest, measured from its meshes; `None` where its geometry
    /// cannot be read (a .gltf with data URIs) or nothing is drawn.
    pub figure: Option<super::figure::Figure>,
    /// A PMX model's own facts.
    pub pmx: Option<super::mmd::PmxFacts>,
}

impl Inspection {
    /// How the model stands as an idol `height` metres tall (see [`super::figure::Figure::fit`]);
    /// `None` when its figure could not be measured.
    pub fn fit(&self, height: f32) -> Option<super::figure::Fit> {
        self.figure?.fit(height)
    }
}

/// Reads and inspects a model file.
pub fn inspect(path: &Path) -> Result<Inspection, ModelFileError> {
    let bytes = std::fs::read(path).map_err(|error| ModelFileError::Read {
        path: path.to_owned(),
        reason: error.to_string(),
    })?;
    inspect_bytes(path, &bytes)
}

/// Inspects a model file's bytes (`path` names it in errors and locates a .gltf's files).
fn inspect_bytes(path: &Path, bytes: &[u8]) -> Result<Inspection, ModelFileError> {
    if bytes.starts_with(b"PMX ") || bytes.starts_with(b"Pmd") {
        return super::mmd::inspect(path, bytes);
    }
    let container = container(bytes).ok_or_else(|| ModelFileError::NotGltf {
        path: path.to_owned(),
        found: String::from_utf8_lossy(&bytes[..bytes.len().min(8)]).into_owned(),
    })?;
    let gltf = parse(bytes).map_err(|error| refusal(path, bytes, error))?;
    let document = &gltf.document;
    let root = document.as_json();
    check_refusals(path, &root.asset.version, &root.extensions_required)?;
    if let Some(reason) = structure_problems(document) {
        return Err(ModelFileError::Invalid {
            path: path.to_owned(),
            reason,
        });
    }
    if container == "glTF JSON" {
        check_files(path, document)?;
    }
    let mut inspection = inspect_document(path, document, container);
    inspection.figure = super::figure::buffers(path, &gltf)
        .ok()
        .and_then(|buffers| {
            super::figure::measure(
                document,
                &buffers,
                &inspection.humanoid,
                matches!(inspection.format, Format::Vrm0(_)),
            )
        });
    Ok(inspection)
}

/// `GLB` or `glTF JSON` by the file's first bytes; `None` for anything else.
fn container(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"glTF") {
        return Some("GLB");
    }
    let text_start = bytes.iter().position(|byte| !byte.is_ascii_whitespace())?;
    (bytes[text_start] == b'{').then_some("glTF JSON")
}

/// A GLB or .gltf file's document and binary chunk, read by the gltf crate without its
/// validation: that would refuse every required extension the crate does not know (VRM's
/// among them) before encore can name the ones it cannot use. [`structure_problems`] does the
/// rest of the validation afterwards.
pub(crate) fn parse(bytes: &[u8]) -> gltf::Result<gltf::Gltf> {
    // gltf 1.4.1 subtracts the 12 header bytes from the length a GLB header declares without a
    // check, which panics in debug builds when a broken header declares fewer.
    if let Some(&[a, b, c, d]) = bytes.strip_prefix(b"glTF").and_then(|rest| rest.get(4..8)) {
        let declared = u32::from_le_bytes([a, b, c, d]);
        if declared < 12 {
            return Err(gltf::Error::Binary(gltf::binary::Error::Io(
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("its GLB header declares {declared} bytes, fewer than its own 12"),
                ),
            )));
        }
    }
    gltf::Gltf::from_slice_without_validation(bytes)
}

/// The named reason for a file the gltf crate cannot read.
fn refusal(path: &Path, bytes: &[u8], error: gltf::Error) -> ModelFileError {
    let actual = bytes.len();
    let truncated = |expected: usize| ModelFileError::Truncated {
        path: path.to_owned(),
        expected,
        actual,
    };
    let invalid = |reason: String| ModelFileError::Invalid {
        path: path.to_owned(),
        reason,
    };
    use gltf::binary::Error as Glb;
    match error {
        // `length_read` counts the bytes after the header that declared `length`.
        gltf::Error::Binary(
            Glb::Length {
                length,
                length_read,
            }
            | Glb::ChunkLength {
                length,
                length_read,
                ..
            },
        ) => truncated(actual - length_read + length as usize),
        gltf::Error::Binary(Glb::Io(error)) if error.kind() == io::ErrorKind::UnexpectedEof => {
            match actual {
                0..12 => truncated(12),
                12..20 => truncated(20),
                _ => invalid("it ends partway through the header of a chunk".to_owned()),
            }
        }
        gltf::Error::Binary(Glb::Version(version)) => ModelFileError::Version {
            path: path.to_owned(),
            version: version.to_string(),
        },
        gltf::Error::Binary(Glb::ChunkType(_) | Glb::UnknownChunkType(_)) => {
            invalid("its chunks are not a JSON chunk and then a binary one".to_owned())
        }
        gltf::Error::Deserialize(error) => {
            // A file encore refuses anyway (glTF 1.0, Draco) says why, rather than naming the
            // first field the gltf crate could not read.
            if let Some(json) = outline(bytes)
                && let Err(refused) = check_refusals(
                    path,
                    &text(&json["asset"]["version"]),
                    &strings(&json["extensionsRequired"]),
                )
            {
                return refused;
            }
            ModelFileError::Json {
                path: path.to_owned(),
                line: error.line(),
                column: error.column(),
                reason: error.to_string(),
            }
        }
        other => invalid(other.to_string()),
    }
}

/// The JSON of a file whose document the gltf crate could not deserialize, as plain JSON, so
/// the refusals that need none of the rest (its version, its required extensions, whether it
/// is a VRM animation at all) still name their reason. Only read on that path: the container
/// itself was sound.
pub(crate) fn outline(bytes: &[u8]) -> Option<Value> {
    if bytes.starts_with(b"glTF") {
        serde_json::from_slice(&gltf::binary::Glb::from_slice(bytes).ok()?.json).ok()
    } else {
        serde_json::from_slice(bytes).ok()
    }
}

/// Refuses glTF versions other than 2 and required extensions encore cannot do without, by
/// name.
fn check_refusals(path: &Path, version: &str, required: &[String]) -> Result<(), ModelFileError> {
    if !version.starts_with('2') {
        return Err(ModelFileError::Version {
            path: path.to_owned(),
            version: if version.is_empty() {
                "unknown".into()
            } else {
                version.to_owned()
            },
        });
    }
    if let Some(extension) = required
        .iter()
        .find(|extension| COMPRESSION.contains(&extension.as_str()))
    {
        return Err(ModelFileError::Compressed {
            path: path.to_owned(),
            extension: extension.clone(),
        });
    }
    let unknown: Vec<&str> = required
        .iter()
        .map(String::as_str)
        .filter(|extension| !KNOWN_EXTENSIONS.contains(extension))
        .collect();
    if !unknown.is_empty() {
        return Err(ModelFileError::RequiredExtensions {
            path: path.to_owned(),
            extensions: unknown.join(", "),
        });
    }
    Ok(())
}

/// Where a document breaks glTF's rules in ways the gltf crate's accessors would panic on (an
/// index past the end of its list, a value outside its enumeration), or `None`. Required
/// extensions are refused by name before this, and missing optional data (an accessor without
/// a buffer view) is left to the readers.
pub(crate) fn structure_problems(document: &gltf::Document) -> Option<String> {
    use gltf::json::validation::{Checked, Error, Validate};
    let root = document.as_json();
    let mut problems = Vec::new();
    // gltf-json 1.4.1's validation indexes the POSITION accessor without a check, so a bad
    // index is found before it runs.
    for (m, mesh) in root.meshes.iter().enumerate() {
        for (p, primitive) in mesh.primitives.iter().enumerate() {
            if let Some(index) = primitive
                .attributes
                .get(&Checked::Valid(gltf::Semantic::Positions))
                && index.value() >= root.accessors.len()
            {
                problems.push(format!(
                    "meshes[{m}].primitives[{p}].attributes.POSITION: index out of bounds"
                ));
            }
        }
    }
    if problems.is_empty() {
        root.validate(root, gltf::json::Path::new, &mut |path, error| {
            if !matches!(error, Error::Unsupported | Error::Missing) {
                problems.push(format!("{}: {}", path(), error.to_string().to_lowercase()));
            }
        });
    }
    let more = problems.len().saturating_sub(3);
    problems.truncate(3);
    if more > 0 {
        problems.push(format!("{more} more"));
    }
    (!problems.is_empty()).then(|| problems.join(", "))
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Bool(flag) => flag.to_string(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn count(value: &Value) -> usize {
    value.as_array().map_or(0, Vec::len)
}

/// A node's name, or `node N` where the file leaves it unnamed or no node has that index (VRM
/// extensions name nodes by index, and the gltf crate does not check those).
fn node_name(document: &gltf::Document, index: usize) -> String {
    document
        .nodes()
        .nth(index)
        .and_then(|node| node.name())
        .map_or_else(|| format!("node {index}"), str::to_owned)
}

/// The morph target names of a mesh's or primitive's `extras.targetNames`.
fn target_names(extras: &gltf::json::Extras) -> Vec<String> {
    extras
        .as_ref()
        .and_then(|raw| serde_json::from_str::<Value>(raw.get()).ok())
        .map(|extras| strings(&extras["targetNames"]))
        .unwrap_or_default()
}

fn inspect_document(path: &Path, document: &gltf::Document, container: &'static str) -> Inspection {
    let (mut primitives, mut vertices, mut triangles) = (0, 0, 0);
    let mut morph_targets = Vec::new();
    for mesh in document.meshes() {
        // Target names live in the mesh's extras, or (UniVRM, Blender's VRM exporter) in a
        // primitive's.
        let mut names = target_names(mesh.extras());
        let mut targets = 0;
        for primitive in mesh.primitives() {
            if names.is_empty() {
                names = target_names(primitive.extras());
            }
            primitives += 1;
            let count = primitive
                .get(&gltf::Semantic::Positions)
                .map_or(0, |positions| positions.count());
            vertices += count;
            // Strips and fans are rare in avatars.
            if primitive.mode() == gltf::mesh::Mode::Triangles {
                triangles += primitive.indices().map_or(count, |indices| indices.count()) / 3;
            }
            targets = targets.max(primitive.morph_targets().len());
        }
        for target in 0..targets {
            morph_targets.push(
                names
                    .get(target)
                    .cloned()
                    .unwrap_or_else(|| format!("target {}", target + 1)),
            );
        }
    }
    let node_name = |index: u64| node_name(document, index as usize);
    let clips = document
        .animations()
        .map(|animation| {
            let name = animation
                .name()
                .filter(|name| !name.is_empty())
                .map_or_else(|| format!("clip {}", animation.index() + 1), str::to_owned);
            let duration = animation
                .samplers()
                .filter_map(|sampler| sampler.input().max()?[0].as_f64())
                .fold(0.0f64, f64::max);
            (name, duration as f32)
        })
        .collect();

    let asset = &document.as_json().asset;
    let (format, mut humanoid, expressions, look_at, springs, licence) =
        if let Some(vrm) = document.extension_value("VRMC_vrm") {
            let (bones, expressions) = humanoid_and_expressions(vrm, node_name);
            (
                Format::Vrm1(text(&vrm["specVersion"])),
                bones,
                expressions,
                vrm["lookAt"]["type"].as_str().map(str::to_owned),
                springs_1(
                    document
                        .extension_value("VRMC_springBone")
                        .unwrap_or(&Value::Null),
                ),
                licence_1(&vrm["meta"]),
            )
        } else if let Some(vrm) = document.extension_value("VRM") {
            let bones = vrm["humanoid"]["humanBones"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|entry| {
                    Some((
                        entry["bone"].as_str()?.to_owned(),
                        node_name(entry["node"].as_u64()?),
                    ))
                })
                .collect();
            let expressions = vrm["blendShapeMaster"]["blendShapeGroups"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|group| {
                    let preset = text(&group["presetName"]);
                    if preset.is_empty() || preset == "unknown" {
                        text(&group["name"])
                    } else {
                        preset
                    }
                })
                .collect();
            (
                Format::Vrm0(text(&vrm["specVersion"])),
                bones,
                expressions,
                vrm["firstPerson"]["lookAtTypeName"]
                    .as_str()
                    .map(str::to_owned),
                springs_0(&vrm["secondaryAnimation"]),
                licence_0(&vrm["meta"]),
            )
        } else if let Some(animation) = document.extension_value("VRMC_vrm_animation") {
            let (bones, expressions) = humanoid_and_expressions(animation, node_name);
            (
                Format::Vrma(text(&animation["specVersion"])),
                bones,
                expressions,
                None,
                Springs::default(),
                Licence::default(),
            )
        } else {
            let mut joints: BTreeSet<usize> = document
                .skins()
                .flat_map(|skin| skin.joints().map(|joint| joint.index()))
                .collect();
            // A figure of rigid parts without a skin moves by its nodes: they are its joints.
            if joints.is_empty() {
                joints = (0..document.nodes().len()).collect();
            }
            // Nearest the root first, so a wrist is the hand rather than the palm below it.
            let depths = node_depths(document);
            let mut joints: Vec<usize> = joints.into_iter().collect();
            joints.sort_by_key(|&joint| (depths[joint], joint));
            let names: Vec<String> = joints
                .iter()
                .map(|&joint| node_name(joint as u64))
                .collect();
            let licence = Licence {
                licence: asset.copyright.clone().unwrap_or_default(),
                ..Licence::default()
            };
            (
                Format::Gltf,
                map_by_names(&names),
                Vec::new(),
                None,
                Springs::default(),
                licence,
            )
        };
    let expression_binds = expression_binds(document);
    let (spring_joints, colliders) = spring_specs(document);
    let map_source = if format == Format::Gltf {
        MapSource::Names
    } else {
        MapSource::Vrm
    };
    humanoid.sort_by_key(|(bone, _)| bone_order(bone));
    let missing_bones = REQUIRED_BONES
        .iter()
        .copied()
        .filter(|required| !humanoid.iter().any(|(bone, _)| bone == required))
        .collect();
    Inspection {
        path: path.to_owned(),
        container,
        generator: asset.generator.clone().unwrap_or_default(),
        format,
        meshes: document.meshes().len(),
        primitives,
        vertices,
        triangles,
        nodes: document.nodes().len(),
        skins: document.skins().map(|skin| skin.joints().len()).collect(),
        morph_targets,
        clips,
        humanoid,
        map_source,
        missing_bones,
        expressions,
        expression_binds,
        look_at,
        springs,
        spring_joints,
        colliders,
        licence,
        extensions: document.extensions_used().map(str::to_owned).collect(),
        looks: super::looks::read(document),
        top_nodes: document
            .default_scene()
            .or_else(|| document.scenes().next())
            .into_iter()
            .flat_map(|scene| scene.nodes())
            .filter_map(|node| node.name().map(str::to_owned))
            .collect(),
        figure: None,
        pmx: None,
    }
}

fn vector(value: &Value) -> Vec3Spec {
    match value {
        Value::Array(items) => std::array::from_fn(|axis| {
            items.get(axis).and_then(Value::as_f64).unwrap_or(0.0) as f32
        }),
        Value::Object(_) => ["x", "y", "z"].map(|axis| value[axis].as_f64().unwrap_or(0.0) as f32),
        _ => [0.0; 3],
    }
}

fn number(value: &Value, default: f32) -> f32 {
    value.as_f64().map_or(default, |number| number as f32)
}

/// The spring joints and colliders of a VRM 1.0 `VRMC_springBone` or a VRM 0.x
/// `secondaryAnimation`.
fn spring_specs(document: &gltf::Document) -> (Vec<SpringJointSpec>, Vec<ColliderSpec>) {
    let name = |index: u64| node_name(document, index as usize);
    let mut joints = Vec::new();
    let mut colliders = Vec::new();
    if let Some(springs) = document.extension_value("VRMC_springBone") {
        for collider in springs["colliders"].as_array().into_iter().flatten() {
            let shape = &collider["shape"];
            let (body, tail) = if shape.get("capsule").is_some() {
                (&shape["capsule"], Some(vector(&shape["capsule"]["tail"])))
            } else {
                (&shape["sphere"], None)
            };
            colliders.push(ColliderSpec {
                node: name(collider["node"].as_u64().unwrap_or(0)),
                offset: vector(&body["offset"]),
                tail,
                radius: number(&body["radius"], 0.0),
            });
        }
        let groups: Vec<Vec<usize>> = springs["colliderGroups"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|group| {
                group["colliders"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|index| index.as_u64().map(|index| index as usize))
                    .collect()
            })
            .collect();
        for spring in springs["springs"].as_array().into_iter().flatten() {
            let touching: Vec<usize> = spring["colliderGroups"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|group| groups.get(group.as_u64()? as usize))
                .flatten()
                .copied()
                .collect();
            let chain: Vec<&Value> = spring["joints"].as_array().into_iter().flatten().collect();
            // The last joint of a spring is where the one before it ends.
            for pair in chain.windows(2) {
                let (joint, next) = (pair[0], pair[1]);
                let (Some(node), Some(tail)) = (joint["node"].as_u64(), next["node"].as_u64())
                else {
                    continue;
                };
                joints.push(SpringJointSpec {
                    node: name(node),
                    tail: Some(name(tail)),
                    stiffness: number(&joint["stiffness"], 1.0),
                    gravity: {
                        let power = number(&joint["gravityPower"], 0.0);
                        let direction = if joint["gravityDir"].is_null() {
                            [0.0, -1.0, 0.0]
                        } else {
                            vector(&joint["gravityDir"])
                        };
                        direction.map(|axis| axis * power)
                    },
                    drag: number(&joint["dragForce"], 0.5),
                    hit_radius: number(&joint["hitRadius"], 0.0),
                    colliders: touching.clone(),
                });
            }
        }
    } else if let Some(secondary) = document
        .extension_value("VRM")
        .map(|vrm| &vrm["secondaryAnimation"])
    {
        let mut group_colliders = Vec::new();
        for group in secondary["colliderGroups"].as_array().into_iter().flatten() {
            let mut members = Vec::new();
            for collider in group["colliders"].as_array().into_iter().flatten() {
                members.push(colliders.len());
                // VRM 0.x offsets are in Unity's frame, whose Z is the glTF file's -Z (the
                // reason 0.x models face -Z): negated, as UniVRM and three-vrm read them.
                let [x, y, z] = vector(&collider["offset"]);
                colliders.push(ColliderSpec {
                    node: name(group["node"].as_u64().unwrap_or(0)),
                    offset: [x, y, -z],
                    tail: None,
                    radius: number(&collider["radius"], 0.0),
                });
            }
            group_colliders.push(members);
        }
        for group in secondary["boneGroups"].as_array().into_iter().flatten() {
            let touching: Vec<usize> = group["colliderGroups"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|index| group_colliders.get(index.as_u64()? as usize))
                .flatten()
                .copied()
                .collect();
            let power = number(&group["gravityPower"], 0.0);
            let gravity = vector(&group["gravityDir"]).map(|axis| axis * power);
            // Every node under a group's roots swings, each towards its first child; each once,
            // even in a broken file whose nodes are their own ancestors.
            let mut seen = std::collections::HashSet::new();
            let mut stack: Vec<u64> = group["bones"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_u64)
                .rev()
                .collect();
            while let Some(node) = stack.pop() {
                if !seen.insert(node) {
                    continue;
                }
                let children: Vec<u64> = document
                    .nodes()
                    .nth(node as usize)
                    .into_iter()
                    .flat_map(|node| node.children())
                    .map(|child| child.index() as u64)
                    .collect();
                joints.push(SpringJointSpec {
                    node: name(node),
                    tail: children.first().map(|&child| name(child)),
                    stiffness: number(&group["stiffiness"], 1.0),
                    gravity,
                    drag: number(&group["dragForce"], 0.5),
                    hit_radius: number(&group["hitRadius"], 0.0),
                    colliders: touching.clone(),
                });
                stack.extend(children.iter().rev());
            }
        }
    }
    (joints, colliders)
}

/// The morph binds of VRM 1.0 expressions or VRM 0.x blend-shape groups.
fn expression_binds(document: &gltf::Document) -> Vec<ExpressionBind> {
    let mut binds = Vec::new();
    if let Some(vrm) = document.extension_value("VRMC_vrm") {
        for group in ["preset", "custom"] {
            for (name, expression) in vrm["expressions"][group].as_object().into_iter().flatten() {
                for bind in expression["morphTargetBinds"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    let (Some(node), Some(morph)) = (bind["node"].as_u64(), bind["index"].as_u64())
                    else {
                        continue;
                    };
                    binds.push(ExpressionBind {
                        expression: name.clone(),
                        node: node_name(document, node as usize),
                        morph: morph as usize,
                        weight: bind["weight"].as_f64().unwrap_or(1.0) as f32,
                    });
                }
            }
        }
    } else if let Some(vrm) = document.extension_value("VRM") {
        for group in vrm["blendShapeMaster"]["blendShapeGroups"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let preset = text(&group["presetName"]);
            let name = if preset.is_empty() || preset == "unknown" {
                text(&group["name"])
            } else {
                preset
            };
            for bind in group["binds"].as_array().into_iter().flatten() {
                let (Some(mesh), Some(morph)) = (bind["mesh"].as_u64(), bind["index"].as_u64())
                else {
                    continue;
                };
                // VRM 0.x binds name the mesh; every node showing that mesh gets the weight.
                for node in document.nodes() {
                    if node
                        .mesh()
                        .is_some_and(|shown| shown.index() as u64 == mesh)
                    {
                        binds.push(ExpressionBind {
                            expression: name.clone(),
                            node: node_name(document, node.index()),
                            morph: morph as usize,
                            weight: (bind["weight"].as_f64().unwrap_or(100.0) / 100.0) as f32,
                        });
                    }
                }
            }
        }
    }
    binds
}

/// How deep each node sits in the scene graph (roots are 0).
fn node_depths(document: &gltf::Document) -> Vec<usize> {
    let count = document.nodes().len();
    let mut parent = vec![None; count];
    for node in document.nodes() {
        for child in node.children() {
            parent[child.index()] = Some(node.index());
        }
    }
    (0..count)
        .map(|mut node| {
            let mut depth = 0;
            // Bounded by the node count, so a cycle in a broken file cannot hang.
            while let Some(up) = parent[node].filter(|_| depth < count) {
                node = up;
                depth += 1;
            }
            depth
        })
        .collect()
}

/// The humanoid map and expression names of a VRM 1.0 or VRMA extension, which share the
/// layout: `humanoid.humanBones.{bone}.node` and `expressions.{preset,custom}.{name}`.
fn humanoid_and_expressions(
    extension: &Value,
    node_name: impl Fn(u64) -> String,
) -> (Vec<(String, String)>, Vec<String>) {
    let bones = extension["humanoid"]["humanBones"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(bone, entry)| Some((bone.clone(), node_name(entry["node"].as_u64()?))))
        .collect();
    let expressions = ["preset", "custom"]
        .iter()
        .flat_map(|group| extension["expressions"][group].as_object())
        .flat_map(|map| map.keys().cloned())
        .collect();
    (bones, expressions)
}

/// External buffers and images of a .gltf must be next to it (data URIs are inside).
fn check_files(path: &Path, document: &gltf::Document) -> Result<(), ModelFileError> {
    let folder = path.parent().unwrap_or_else(|| Path::new("."));
    let buffers = document
        .buffers()
        .filter_map(|buffer| match buffer.source() {
            gltf::buffer::Source::Uri(uri) => Some(("the buffer", uri)),
            gltf::buffer::Source::Bin => None,
        });
    let images = document.images().filter_map(|image| match image.source() {
        gltf::image::Source::Uri { uri, .. } => Some(("the image", uri)),
        gltf::image::Source::View { .. } => None,
    });
    for (what, uri) in buffers.chain(images) {
        if uri.starts_with("data:") {
            continue;
        }
        let file = folder.join(percent_decode(uri));
        if !file.is_file() {
            return Err(ModelFileError::MissingFile {
                path: path.to_owned(),
                what,
                uri: uri.to_owned(),
                looked: file.display().to_string(),
            });
        }
    }
    Ok(())
}

/// `%20` and friends in a relative URI (the gltf crate decodes them only with its `import`
/// feature, which reads images too).
pub(crate) fn percent_decode(uri: &str) -> String {
    let bytes = uri.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let hex = bytes
            .get(at + 1..at + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (bytes[at], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                at += 3;
            }
            (byte, _) => {
                out.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn springs_1(springs: &Value) -> Springs {
    Springs {
        chains: count(&springs["springs"]),
        joints: springs["springs"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|spring| count(&spring["joints"]))
            .sum(),
        collider_groups: count(&springs["colliderGroups"]),
        colliders: count(&springs["colliders"]),
    }
}

fn springs_0(secondary: &Value) -> Springs {
    Springs {
        chains: count(&secondary["boneGroups"]),
        joints: secondary["boneGroups"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|group| count(&group["bones"]))
            .sum(),
        collider_groups: count(&secondary["colliderGroups"]),
        colliders: secondary["colliderGroups"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|group| count(&group["colliders"]))
            .sum(),
    }
}

fn licence_1(meta: &Value) -> Licence {
    Licence {
        title: text(&meta["name"]),
        authors: strings(&meta["authors"]),
        licence: text(&meta["licenseUrl"]),
        allowed_users: text(&meta["avatarPermission"]),
        commercial: text(&meta["commercialUsage"]),
        redistribution: text(&meta["allowRedistribution"]),
        modification: text(&meta["modification"]),
        credit: text(&meta["creditNotation"]),
    }
}

fn licence_0(meta: &Value) -> Licence {
    let licence = match text(&meta["licenseName"]).as_str() {
        "Other" => format!("Other ({})", text(&meta["otherLicenseUrl"])),
        name => name.to_owned(),
    };
    Licence {
        title: text(&meta["title"]),
        authors: [text(&meta["author"])]
            .into_iter()
            .filter(|author| !author.is_empty())
            .collect(),
        licence,
        allowed_users: text(&meta["allowedUserName"]),
        commercial: text(&meta["commercialUssageName"]),
        redistribution: String::new(),
        modification: String::new(),
        credit: String::new(),
    }
}

/// Position of a VRM bone name in encore's skeleton order (unknown names last).
fn bone_order(name: &str) -> usize {
    HUMAN_BONES
        .iter()
        .position(|bone| *bone == name)
        .unwrap_or(HUMAN_BONES.len())
}

/// The VRM humanoid bones, parents first.
const HUMAN_BONES: &[&str] = &[
    "hips",
    "spine",
    "chest",
    "upperChest",
    "neck",
    "head",
    "leftEye",
    "rightEye",
    "jaw",
    "leftShoulder",
    "leftUpperArm",
    "leftLowerArm",
    "leftHand",
    "rightShoulder",
    "rightUpperArm",
    "rightLowerArm",
    "rightHand",
    "leftUpperLeg",
    "leftLowerLeg",
    "leftFoot",
    "leftToes",
    "rightUpperLeg",
    "rightLowerLeg",
    "rightFoot",
    "rightToes",
];

/// Which side a joint name is on: `Some(true)` for left.
fn side(name: &str) -> (Option<bool>, String) {
    let lower = name.to_lowercase();
    for (marks, left) in [
        (&[".l", "_l", "-l", " l"][..], true),
        (&[".r", "_r", "-r", " r"][..], false),
    ] {
        for mark in marks {
            if let Some(stem) = lower.strip_suffix(mark) {
                return (Some(left), stem.to_owned());
            }
        }
    }
    for (marks, left) in [(&["left", "l_"][..], true), (&["right", "r_"][..], false)] {
        for mark in marks {
            if let Some(stem) = lower.strip_prefix(mark) {
                return (Some(left), stem.to_owned());
            }
        }
    }
    for (mark, left) in [("left", true), ("right", false)] {
        if lower.contains(mark) {
            return (Some(left), lower.replacen(mark, "", 1));
        }
    }
    (None, lower)
}

/// Guesses the humanoid map from joint names in the common rig conventions.
pub fn map_by_names(names: &[String]) -> Vec<(String, String)> {
    // Stems after prefixes and sides are removed, per humanoid bone (without its side).
    const STEMS: &[(&str, &[&str])] = &[
        ("hips", &["hips", "hip", "pelvis", "root_hips"]),
        (
            "spine",
            &["spine", "spine0", "spine_01", "abdomen", "torso"],
        ),
        ("chest", &["chest", "spine1", "spine_02", "spine.001"]),
        (
            "upperChest",
            &["upperchest", "upper_chest", "spine2", "spine_03"],
        ),
        ("neck", &["neck", "neck_01", "neck1"]),
        ("head", &["head"]),
        ("Shoulder", &["shoulder", "clavicle", "collar"]),
        (
            "UpperArm",
            &["upperarm", "upper_arm", "arm", "uparm", "shldr"],
        ),
        ("LowerArm", &["lowerarm", "forearm", "lower_arm", "elbow"]),
        ("Hand", &["hand", "wrist"]),
        (
            "UpperLeg",
            &["upperleg", "upleg", "thigh", "upper_leg", "thigh_01"],
        ),
        (
            "LowerLeg",
            &["lowerleg", "leg", "shin", "calf", "knee", "lower_leg"],
        ),
        ("Foot", &["foot", "ankle"]),
        ("Toes", &["toes", "toe", "toebase", "ball"]),
    ];
    const PREFIXES: &[&str] = &[
        "mixamorig:",
        "mixamorig_",
        "def-",
        "def_",
        "org-",
        "j_bip_c_",
        "j_bip_l_",
        "j_bip_r_",
        "bip01_",
        "bip01 ",
    ];
    let mut map: Vec<(String, String)> = Vec::new();
    // Joints named exactly as VRM's humanoid bones (encore's own exported idols) first.
    for name in names {
        if let Some(bone) = super::skeleton::Bone::ALL
            .iter()
            .find(|bone| bone.vrm_name().eq_ignore_ascii_case(name))
            && !map.iter().any(|(existing, _)| existing == bone.vrm_name())
        {
            map.push((bone.vrm_name().to_owned(), name.clone()));
        }
    }
    for name in names {
        let mut stripped = name.to_lowercase();
        let mut prefix_side = None;
        for prefix in PREFIXES {
            if let Some(rest) = stripped.strip_prefix(prefix) {
                prefix_side = match *prefix {
                    "j_bip_l_" => Some(true),
                    "j_bip_r_" => Some(false),
                    _ => None,
                };
                stripped = rest.to_owned();
                break;
            }
        }
        let (found_side, stem) = side(&stripped);
        let found_side = prefix_side.or(found_side);
        let stem = stem.trim_matches(['_', '.', ' ', '-']).to_owned();
        let Some((bone, _)) = STEMS
            .iter()
            .find(|(_, stems)| stems.contains(&stem.as_str()))
        else {
            continue;
        };
        let full = match (bone.chars().next(), found_side) {
            (Some(first), Some(left)) if first.is_uppercase() => {
                format!("{}{bone}", if left { "left" } else { "right" })
            }
            (Some(first), None) if first.is_lowercase() => (*bone).to_owned(),
            _ => continue,
        };
        if !map.iter().any(|(existing, _)| *existing == full) {
            map.push((full, name.clone()));
        }
    }
    map
}

impl fmt::Display for Inspection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.path.display())?;
        let generator = if self.generator.is_empty() {
            String::new()
        } else {
            format!(", made by {}", self.generator)
        };
        writeln!(
            f,
            "  format      {} in a {} file{generator}",
            self.format, self.container
        )?;
        writeln!(
            f,
            "  geometry    {} meshes ({} primitives), {} vertices, {} triangles, {} nodes",
            self.meshes, self.primitives, self.vertices, self.triangles, self.nodes
        )?;
        let skins: Vec<String> = self
            .skins
            .iter()
            .map(|joints| format!("{joints} joints"))
            .collect();
        writeln!(
            f,
            "  skins       {}",
            if skins.is_empty() {
                "none".to_owned()
            } else {
                skins.join(", ")
            }
        )?;
        let source = match self.map_source {
            MapSource::Vrm => "from the VRM humanoid",
            MapSource::Names => "guessed from joint names",
            MapSource::Mmd => "by MMD's standard bone names",
        };
        writeln!(f, "  humanoid    {} bones, {source}", self.humanoid.len())?;
        for (bone, node) in &self.humanoid {
            writeln!(f, "                {bone:<16} {node}")?;
        }
        if self.missing_bones.is_empty() {
            writeln!(f, "                every required bone is there")?;
        } else {
            writeln!(
                f,
                "                missing required bones: {} (the model cannot dance without them)",
                self.missing_bones.join(", ")
            )?;
        }
        match &self.figure {
            Some(figure) => {
                let size = figure.max - figure.min;
                let head = match figure.head {
                    Some((low, high)) => format!(
                        "; the head's parts from {:.2} to {:.2} up",
                        low.y - figure.min.y,
                        high.y - figure.min.y
                    ),
                    None => "; no head joint, so her face is taken at the top".to_owned(),
                };
                writeln!(
                    f,
                    "  figure      {:.2} wide, {:.2} tall, {:.2} deep at rest (file units){head}",
                    size.x, size.y, size.z
                )?;
            }
            None => writeln!(
                f,
                "  figure      not measured (its geometry could not be read)"
            )?,
        }
        if let Some(pmx) = &self.pmx {
            writeln!(
                f,
                "  pmx         {} text; names {:?} / {:?}; {} materials, {} bones, {} IK chains\
                 {}, {} rigid bodies, {} joints",
                pmx.encoding,
                pmx.names.0,
                pmx.names.1,
                pmx.materials.len(),
                pmx.bones,
                pmx.ik_chains.len(),
                if pmx.ik_chains.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({})",
                        pmx.ik_chains
                            .iter()
                            .map(|(name, links)| format!("{name} {links} links"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
                pmx.rigid_bodies,
                pmx.joints,
            )?;
            for (number, material) in pmx.materials.iter().enumerate() {
                let label = if number == 0 { "materials" } else { "" };
                writeln!(f, "  {label:<11} {material}")?;
            }
            writeln!(
                f,
                "  pmx morphs  {}",
                if pmx.morphs.is_empty() {
                    "none".to_owned()
                } else {
                    pmx.morphs
                        .iter()
                        .map(|(kind, count)| format!("{count} {kind}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            )?;
            writeln!(
                f,
                "  textures    {} found next to the file{}",
                pmx.textures_found,
                if pmx.textures_missing.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; missing (drawn with their material's colour): {}",
                        pmx.textures_missing.join(", ")
                    )
                }
            )?;
            for (label, comment) in [
                ("comment", &pmx.comments.0),
                ("comment en", &pmx.comments.1),
            ] {
                for (number, line) in comment
                    .lines()
                    .filter(|line| !line.trim().is_empty())
                    .enumerate()
                {
                    let label = if number == 0 { label } else { "" };
                    writeln!(f, "  {label:<11} {}", line.trim())?;
                }
            }
        }
        let list = |items: &[String]| {
            if items.is_empty() {
                "none".to_owned()
            } else {
                items.join(", ")
            }
        };
        writeln!(
            f,
            "  morphs      {} ({})",
            self.morph_targets.len(),
            list(&self.morph_targets)
        )?;
        writeln!(
            f,
            "  expressions {} ({})",
            self.expressions.len(),
            list(&self.expressions)
        )?;
        if let Some(look_at) = &self.look_at {
            writeln!(f, "  look-at     {look_at}")?;
        }
        let clips: Vec<String> = self
            .clips
            .iter()
            .map(|(name, seconds)| format!("{name} {seconds:.3} s"))
            .collect();
        writeln!(f, "  clips       {} ({})", clips.len(), list(&clips))?;
        let springs = &self.springs;
        writeln!(
            f,
            "  springs     {} chains, {} joints, {} colliders in {} groups",
            springs.chains, springs.joints, springs.colliders, springs.collider_groups
        )?;
        let licence = &self.licence;
        let field = |value: &str| {
            if value.is_empty() {
                "-".to_owned()
            } else {
                value.to_owned()
            }
        };
        writeln!(
            f,
            "  licence     {} by {}: {}",
            field(&licence.title),
            field(&licence.authors.join(", ")),
            field(&licence.licence)
        )?;
        writeln!(
            f,
            "              users {} · commercial {} · redistribution {} · modification {} · \
             credit {}",
            field(&licence.allowed_users),
            field(&licence.commercial),
            field(&licence.redistribution),
            field(&licence.modification),
            field(&licence.credit)
        )?;
        write!(f, "  extensions  {}", list(&self.extensions))
    }
}

/// The credit line of a model for the end-of-show roll: the member's name, then the model's
/// title, authors and licence as far as the file says. `None` for files that say nothing.
pub fn credit_line(member: &str, inspection: &Inspection) -> Option<String> {
    let licence = &inspection.licence;
    let title = if licence.title.is_empty() {
        inspection
            .path
            .file_name()
            .map_or_else(String::new, |name| name.to_string_lossy().into_owned())
    } else {
        licence.title.clone()
    };
    let mut line = format!("{member}: \u{201c}{title}\u{201d}");
    if !licence.authors.is_empty() {
        line.push_str(&format!(" by {}", licence.authors.join(", ")));
    }
    if !licence.licence.is_empty() {
        line.push_str(&format!(" ({})", shorten_urls(&licence.licence)));
    }
    (!licence.authors.is_empty() || !licence.licence.is_empty()).then_some(line)
}

/// Web addresses cut to their host (`https://hub.vroid.com/license?...` → `hub.vroid.com`),
/// so a credit line stays one line.
fn shorten_urls(text: &str) -> String {
    text.split(' ')
        .map(|word| match word.split_once("://") {
            Some((before, rest)) => {
                let opening = before.trim_end_matches(|c: char| c.is_ascii_alphabetic());
                let host = rest.split(['/', '?', ')']).next().unwrap_or(rest);
                let closing = if word.ends_with(')') { ")" } else { "" };
                format!("{opening}{host}{closing}")
            }
            None => word.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A GLB written by the gltf crate around `json` and `bin`, for tests.
#[cfg(test)]
pub(crate) fn glb(json: &str, bin: &[u8]) -> Vec<u8> {
    gltf::binary::Glb {
        header: gltf::binary::Header {
            magic: *b"glTF",
            version: 2,
            length: 0,
        },
        json: json.as_bytes().into(),
        bin: Some(bin.into()),
    }
    .to_vec()
    .expect("a GLB writes to memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testdata;

    #[test]
    fn the_test_models_report_their_documented_facts() {
        let Some(data) = testdata::folder() else {
            return;
        };
        let model = |name: &str| {
            inspect(&data.join(name)).unwrap_or_else(|error| panic!("{name}: {error}"))
        };
        let clip = |inspection: &Inspection, name: &str| {
            inspection
                .clips
                .iter()
                .find(|(clip, _)| clip == name)
                .map(|(_, seconds)| *seconds)
                .unwrap_or_else(|| panic!("no clip {name} in {:?}", inspection.clips))
        };

        let sphere = model("vrm/sphere.vrm");
        assert!(matches!(sphere.format, Format::Vrm0(_)));
        assert_eq!((sphere.vertices, sphere.triangles), (1984, 960));
        assert_eq!(sphere.skins, vec![22]);
        assert_eq!(sphere.humanoid.len(), 22);
        assert!(
            sphere.missing_bones.is_empty(),
            "{:?}",
            sphere.missing_bones
        );
        assert_eq!(sphere.look_at.as_deref(), Some("Bone"));
        assert_eq!(sphere.licence.licence, "CC0");
        assert_eq!(sphere.licence.allowed_users, "Everyone");
        assert_eq!(sphere.licence.commercial, "Allow");

        let voxels = model("vrm/cryptovoxels.vrm");
        assert_eq!((voxels.vertices, voxels.triangles), (2727, 4907));
        assert_eq!(
            (voxels.humanoid.len(), voxels.skins.clone()),
            (43, vec![57])
        );
        assert!(
            voxels.licence.licence.starts_with("Other"),
            "{:?}",
            voxels.licence
        );

        let godette = model("vrm/Godette_vrm_v4.vrm");
        assert_eq!((godette.meshes, godette.primitives), (2, 4));
        assert_eq!((godette.vertices, godette.triangles), (8067, 3439));
        assert_eq!(
            (godette.humanoid.len(), godette.skins.clone()),
            (45, vec![68])
        );
        assert_eq!(godette.expressions.len(), 17);
        assert!(godette.expressions.iter().any(|name| name == "blink"));
        assert_eq!(godette.expression_binds.len(), 25);
        assert!(
            godette
                .expression_binds
                .iter()
                .any(|bind| bind.expression == "blink" && bind.node == "Face")
        );
        assert_eq!(godette.morph_targets.len(), 15);
        assert!(
            godette
                .morph_targets
                .iter()
                .any(|name| name == "blink_left")
        );
        assert_eq!(godette.springs.chains, 3);
        assert_eq!(godette.springs.collider_groups, 2);
        // The 8 bones of the three groups and what hangs under them, each with a tail.
        assert!(
            godette.spring_joints.len() >= 8,
            "{:?}",
            godette.spring_joints
        );
        assert_eq!(godette.colliders.len(), 4);
        assert_eq!(godette.look_at.as_deref(), Some("BlendShape"));
        assert_eq!(godette.licence.licence, "CC_BY");
        assert_eq!(
            credit_line("Godette", &godette).as_deref(),
            Some("Godette: \u{201c}Low-Poly Godette\u{201d} by SirRichard94 (CC_BY)")
        );

        let overrides = model("vrm/VRMC_vrm_expressions_isBinary_Overrides.vrm");
        assert!(matches!(overrides.format, Format::Vrm1(_)));
        assert_eq!((overrides.humanoid.len(), overrides.vertices), (22, 16));
        assert!(overrides.expressions.iter().any(|name| name == "happy"));
        assert!(overrides.expressions.iter().any(|name| name == "blink"));
        assert_eq!(overrides.look_at.as_deref(), Some("expression"));
        assert_eq!(overrides.licence.allowed_users, "everyone");
        assert_eq!(overrides.licence.commercial, "corporation");
        assert_eq!(overrides.licence.credit, "unnecessary");

        let mtoon = model("vrm/VRMC_materials_mtoon_UV_Animation_Test.vrm");
        assert_eq!((mtoon.humanoid.len(), mtoon.vertices), (53, 12));

        let vrma = model("vrm/test.vrma");
        assert!(matches!(vrma.format, Format::Vrma(_)));
        assert_eq!(vrma.humanoid.len(), 51);
        assert_eq!(vrma.clips.len(), 1);
        assert!((vrma.clips[0].1 - 3.0).abs() < 1e-3);
        assert_eq!(vrma.expressions, vec!["happy".to_owned()]);

        let draco = inspect(&data.join("vrm/invalid/draco.vrm")).unwrap_err();
        assert!(
            matches!(&draco, ModelFileError::Compressed { extension, .. } if extension == "KHR_draco_mesh_compression"),
            "{draco}"
        );
        let required = inspect(&data.join("vrm/invalid/extensions_required.vrm")).unwrap_err();
        let message = required.to_string();
        assert!(message.contains("VRMC_node_constraint"), "{message}");
        assert!(
            message.contains("VRMC_materials_hdr_emissiveMultiplier"),
            "{message}"
        );
        assert!(!message.contains("VRMC_springBone"), "{message}");

        let cesium = model("gltf/CesiumMan.glb");
        assert_eq!((cesium.vertices, cesium.triangles), (3273, 4672));
        assert_eq!(cesium.skins, vec![19]);
        assert_eq!(cesium.clips.len(), 19);
        assert!(
            cesium
                .clips
                .iter()
                .all(|(_, seconds)| (seconds - 2.0).abs() < 0.01)
        );

        let fox = model("gltf/Fox.glb");
        assert_eq!(
            (fox.vertices, fox.triangles, fox.skins.clone()),
            (1728, 576, vec![24])
        );
        assert!((clip(&fox, "Survey") - 3.417).abs() < 0.01);
        assert!((clip(&fox, "Walk") - 0.708).abs() < 0.01);
        assert!((clip(&fox, "Run") - 1.158).abs() < 0.01);

        let simple = model("gltf/SimpleSkin.gltf");
        assert_eq!(
            (simple.vertices, simple.triangles, simple.skins.clone()),
            (10, 8, vec![2])
        );
        assert!((simple.clips[0].1 - 5.5).abs() < 0.01);

        let rigged = model("gltf/RiggedSimple.glb");
        assert_eq!(
            (rigged.vertices, rigged.triangles, rigged.skins.clone()),
            (960, 892, vec![4])
        );
        assert!((clip(&rigged, "Anim_0_Armature") - 6.667).abs() < 0.01);

        let morphs = model("gltf/MorphStressTest.gltf");
        assert_eq!(morphs.vertices, 1528);
        let keys: Vec<String> = (1..=8).map(|key| format!("Key {key}")).collect();
        assert_eq!(morphs.morph_targets, keys);
        assert!((clip(&morphs, "TheWave") - 1.958).abs() < 0.01);

        let cube = model("gltf/AnimatedMorphCube/AnimatedMorphCube.gltf");
        assert_eq!((cube.vertices, cube.triangles), (24, 12));
        assert_eq!(
            cube.morph_targets,
            vec!["target 1".to_owned(), "target 2".to_owned()]
        );
        assert!((clip(&cube, "Square") - 4.2).abs() < 0.01);

        let manny = model("gltf/kaykit/manny_med_mod.gltf");
        assert_eq!(
            (manny.meshes, manny.vertices, manny.triangles),
            (8, 6578, 6756)
        );
        assert_eq!(manny.skins, vec![21]);
        assert_eq!(manny.map_source, MapSource::Names);
        assert!(manny.missing_bones.is_empty(), "{:?}", manny.humanoid);
        // The wrist is the humanoid hand; `hand.l` below it is the palm.
        assert!(
            manny
                .humanoid
                .contains(&("leftHand".to_owned(), "wrist.l".to_owned()))
        );

        let library = model("gltf/kaykit/Med_MovementBasic.glb");
        assert_eq!((library.vertices, library.skins.clone()), (0, vec![23]));
        assert_eq!(library.clips.len(), 11);
        assert!((clip(&library, "Rig_Medium|Jump_Full_Long") - 2.367).abs() < 0.01);
    }

    #[test]
    fn credit_lines_keep_web_addresses_short() {
        assert_eq!(
            shorten_urls("Other (https://hub.vroid.com/license?allowed=everyone&x=1)"),
            "Other (hub.vroid.com)"
        );
        assert_eq!(shorten_urls("https://vrm.dev/licenses/1.0/"), "vrm.dev");
        assert_eq!(shorten_urls("CC_BY"), "CC_BY");
    }

    #[test]
    fn joint_names_in_common_rigs_map_to_humanoid_bones() {
        let names: Vec<String> = [
            "mixamorig:Hips",
            "mixamorig:LeftUpLeg",
            "mixamorig:LeftLeg",
            "mixamorig:LeftForeArm",
            "upperarm.l",
            "lowerleg.r",
            "DEF-thigh.L",
            "J_Bip_L_UpperArm",
            "J_Bip_C_Head",
            "RightHand",
            "handslot.l",
        ]
        .iter()
        .map(|name| (*name).to_owned())
        .collect();
        let map = map_by_names(&names);
        let get = |bone: &str| {
            map.iter()
                .find(|(found, _)| found == bone)
                .map(|(_, node)| node.as_str())
        };
        assert_eq!(get("hips"), Some("mixamorig:Hips"));
        assert_eq!(get("leftUpperLeg"), Some("mixamorig:LeftUpLeg"));
        assert_eq!(get("leftLowerLeg"), Some("mixamorig:LeftLeg"));
        assert_eq!(get("leftLowerArm"), Some("mixamorig:LeftForeArm"));
        assert_eq!(get("leftUpperArm"), Some("upperarm.l"));
        assert_eq!(get("rightLowerLeg"), Some("lowerleg.r"));
        assert_eq!(get("head"), Some("J_Bip_C_Head"));
        assert_eq!(get("rightHand"), Some("RightHand"));
        // `handslot.l` is not a hand.
        assert!(map.iter().all(|(_, node)| node != "handslot.l"));
    }

    /// One triangle, skinned to two joints, with a one-second clip.
    fn triangle() -> Vec<u8> {
        let mut bin = Vec::new();
        for value in [0.0f32, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0] {
            bin.extend(value.to_le_bytes());
        }
        let json = r#"{
            "asset": {"version": "2.0", "generator": "encore tests"},
            "buffers": [{"byteLength": 44}],
            "bufferViews": [{"buffer": 0, "byteLength": 36}, {"buffer": 0, "byteOffset": 36, "byteLength": 8}],
            "accessors": [
                {"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3", "min": [0, 0, 0], "max": [1, 1, 0]},
                {"bufferView": 1, "componentType": 5126, "count": 2, "type": "SCALAR", "max": [1]}
            ],
            "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}],
            "nodes": [{"name": "Hips", "children": [1], "mesh": 0, "skin": 0}, {"name": "Spine"}],
            "skins": [{"joints": [0, 1]}],
            "animations": [{"name": "Sway", "channels": [{"sampler": 0, "target": {"node": 1, "path": "scale"}}],
                "samplers": [{"input": 1, "output": 1}]}],
            "scenes": [{"nodes": [0]}]
        }"#;
        glb(json, &bin)
    }

    #[test]
    fn a_glb_written_by_the_gltf_crate_reads_back() {
        let inspection = inspect_bytes(Path::new("triangle.glb"), &triangle())
            .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(inspection.container, "GLB");
        assert_eq!(inspection.generator, "encore tests");
        assert_eq!((inspection.vertices, inspection.triangles), (3, 1));
        assert_eq!((inspection.nodes, inspection.skins.clone()), (2, vec![2]));
        assert_eq!(inspection.clips, vec![("Sway".to_owned(), 1.0)]);
        assert_eq!(inspection.top_nodes, vec!["Hips".to_owned()]);
        assert_eq!(inspection.map_source, MapSource::Names);
        assert!(
            inspection
                .humanoid
                .contains(&("hips".to_owned(), "Hips".to_owned()))
        );
    }

    #[test]
    fn required_extensions_are_refused_by_name_before_the_gltf_crate_sees_them() {
        let draco = br#"{"asset": {"version": "2.0"}, "extensionsRequired": ["KHR_draco_mesh_compression"]}"#;
        let error = inspect_bytes(Path::new("draco.gltf"), draco).unwrap_err();
        assert_eq!(
            error,
            ModelFileError::Compressed {
                path: "draco.gltf".into(),
                extension: "KHR_draco_mesh_compression".into(),
            }
        );
        // Still named when the rest of the document is more than the gltf crate can read.
        let broken = br#"{"asset": {"version": "2.0"}, "extensionsRequired": ["KHR_draco_mesh_compression"], "nodes": {"a": 1}}"#;
        assert!(matches!(
            inspect_bytes(Path::new("draco.gltf"), broken),
            Err(ModelFileError::Compressed { .. })
        ));
        let meshopt = glb(
            r#"{"asset": {"version": "2.0"}, "extensionsRequired": ["EXT_meshopt_compression", "VRMC_vrm"]}"#,
            &[],
        );
        let error = inspect_bytes(Path::new("meshopt.glb"), &meshopt).unwrap_err();
        assert!(
            matches!(&error, ModelFileError::Compressed { extension, .. } if extension == "EXT_meshopt_compression"),
            "{error}"
        );
        let unknown = glb(
            r#"{"asset": {"version": "2.0"}, "extensionsRequired": ["VRMC_vrm", "KHR_materials_variants", "FOO_bar"]}"#,
            &[],
        );
        let error = inspect_bytes(Path::new("unknown.glb"), &unknown).unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown.glb requires glTF extensions encore does not support: \
             KHR_materials_variants, FOO_bar; export it without them"
        );
        // glTF 1.0 keeps its meshes in an object, which the gltf crate cannot read: the
        // version is named instead.
        let old = br#"{"asset": {"version": "1.0"}, "meshes": {"body": {"primitives": []}}}"#;
        assert!(matches!(
            inspect_bytes(Path::new("old.gltf"), old),
            Err(ModelFileError::Version { version, .. }) if version == "1.0"
        ));
    }

    #[test]
    fn a_glb_cut_anywhere_says_how_long_it_should_be() {
        let whole = triangle();
        let declared = whole.len();
        for (cut, expected) in [(0, None), (3, None), (8, Some(12))] {
            let error = inspect_bytes(Path::new("cut.glb"), &whole[..cut]).unwrap_err();
            match expected {
                None => assert!(matches!(error, ModelFileError::NotGltf { .. }), "{error}"),
                Some(expected) => assert_eq!(
                    error,
                    ModelFileError::Truncated {
                        path: "cut.glb".into(),
                        expected,
                        actual: cut,
                    }
                ),
            }
        }
        // Past the header, the header's length is the promise.
        for cut in [12, 15, 20, 100, declared - 40, declared - 1] {
            let error = inspect_bytes(Path::new("cut.glb"), &whole[..cut]).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!(
                    "cut.glb is cut short: its header promises {declared} bytes but it has \
                     {cut}; copy or download it again"
                )
            );
        }
        // A header that promises no more than there is, but no whole JSON chunk header.
        let mut short = whole[..15].to_vec();
        short[8..12].copy_from_slice(&15u32.to_le_bytes());
        assert!(matches!(
            inspect_bytes(Path::new("cut.glb"), &short),
            Err(ModelFileError::Truncated {
                expected: 20,
                actual: 15,
                ..
            })
        ));
        // A header declaring less than itself is broken, not a panic in the gltf crate.
        let mut lying = whole.clone();
        lying[8..12].copy_from_slice(&4u32.to_le_bytes());
        let error = inspect_bytes(Path::new("lying.glb"), &lying).unwrap_err();
        assert!(matches!(error, ModelFileError::Invalid { .. }), "{error}");
    }

    #[test]
    fn a_spring_chain_through_a_node_cycle_ends() {
        let looped = br#"{"asset": {"version": "2.0"},
            "nodes": [{"name": "Hair", "children": [1]}, {"name": "Tip", "children": [0]}],
            "extensionsUsed": ["VRM"],
            "extensions": {"VRM": {"secondaryAnimation": {"boneGroups": [{"bones": [0]}]}}}}"#;
        let inspection = inspect_bytes(Path::new("looped.vrm"), looped)
            .unwrap_or_else(|error| panic!("{error}"));
        let joints = inspection.spring_joints;
        assert_eq!(joints.len(), 2, "{joints:?}");
    }

    #[test]
    fn indices_past_their_lists_are_named_instead_of_panicking() {
        let children = br#"{"asset": {"version": "2.0"}, "nodes": [{"children": [5]}]}"#;
        let error = inspect_bytes(Path::new("children.gltf"), children).unwrap_err();
        assert_eq!(
            error.to_string(),
            "children.gltf is not valid glTF 2.0 (nodes[0].children[0]: index out of bounds); \
             export it again from your tool"
        );
        // gltf-json's own validation would index this one unchecked.
        let position = br#"{"asset": {"version": "2.0"}, "meshes": [{"primitives": [{"attributes": {"POSITION": 7}}]}]}"#;
        let error = inspect_bytes(Path::new("position.gltf"), position).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("meshes[0].primitives[0].attributes.POSITION: index out of bounds"),
            "{error}"
        );
    }

    /// Mutates model files (digits in their JSON above all, which move indices and counts),
    /// cuts them and overwrites bytes: both readers on the gltf crate, inspection and the VRM
    /// animation reader, must answer each with a result or an error, never a panic. A
    /// deterministic fuzz: the same mutations every run.
    #[test]
    fn fuzzed_model_files_never_panic() {
        use rand::{Rng, SeedableRng, rngs::StdRng};
        let Some(data) = testdata::folder() else {
            return;
        };
        let mut seeds = vec![(PathBuf::from("triangle.glb"), triangle())];
        for name in [
            "gltf/SimpleSkin.gltf",
            "vrm/VRMC_vrm_expressions_isBinary_Overrides.vrm",
            "vrm/test.vrma",
        ] {
            let path = data.join(name);
            let bytes = std::fs::read(&path).unwrap_or_else(|error| panic!("{name}: {error}"));
            seeds.push((path, bytes));
        }
        let mut rng = StdRng::seed_from_u64(5);
        for (path, seed) in &seeds {
            let digits: Vec<usize> = (0..seed.len())
                .filter(|&at| seed[at].is_ascii_digit())
                .collect();
            for round in 0..400 {
                let mut bytes = seed.clone();
                match round % 4 {
                    0 => bytes.truncate(rng.random_range(0..bytes.len())),
                    1 => {
                        for _ in 0..3 {
                            let at = digits[rng.random_range(0..digits.len())];
                            bytes[at] = b'0' + rng.random_range(0..10u8);
                        }
                    }
                    2 => {
                        let at = digits[rng.random_range(0..digits.len())];
                        bytes.splice(at..at, *b"99999");
                    }
                    _ => {
                        for _ in 0..8 {
                            let at = rng.random_range(0..bytes.len());
                            bytes[at] = rng.random();
                        }
                    }
                }
                let _ = inspect_bytes(path, &bytes);
                let _ = crate::motion::vrma::parse(path, &bytes);
            }
        }
    }

    #[test]
    fn broken_containers_name_the_file_and_the_problem() {
        let folder = std::env::temp_dir().join("encore-inspect");
        std::fs::create_dir_all(&folder).unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let path = folder.join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        };
        let png = write("not-a-model.vrm", b"\x89PNG\r\n\x1a\n....");
        assert!(matches!(inspect(&png), Err(ModelFileError::NotGltf { .. })));

        let mut glb = b"glTF".to_vec();
        glb.extend(2u32.to_le_bytes());
        glb.extend(5000u32.to_le_bytes());
        glb.extend(&[0; 16]);
        let cut = write("cut.glb", &glb);
        let error = inspect(&cut).unwrap_err();
        assert!(error.to_string().contains("cut short"), "{error}");
        assert!(error.to_string().contains("cut.glb"), "{error}");

        let json = write(
            "broken.gltf",
            b"{\"asset\": {\"version\": \"2.0\"},\n \"nodes\": [}",
        );
        let error = inspect(&json).unwrap_err();
        assert!(
            matches!(error, ModelFileError::Json { line: 2, .. }),
            "{error}"
        );

        let missing = write(
            "missing.gltf",
            br#"{"asset": {"version": "2.0"}, "buffers": [{"uri": "gone.bin", "byteLength": 4}]}"#,
        );
        let error = inspect(&missing).unwrap_err().to_string();
        assert!(error.contains("the buffer `gone.bin`"), "{error}");

        let old = write("old.gltf", br#"{"asset": {"version": "1.0"}}"#);
        assert!(matches!(inspect(&old), Err(ModelFileError::Version { .. })));
    }
}

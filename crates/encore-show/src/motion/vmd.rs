//! MikuMikuDance's VMD motion files: bone keyframes with their Bézier curves, morph keyframes,
//! camera keyframes and IK on/off keyframes (lights and self-shadow keys are counted and
//! skipped). Names are Shift-JIS, cut at 15 bytes (20 for IK names), sometimes in the middle
//! of a character.
//!
//! Everything is converted to encore's axes on reading: MMD is left-handed with the model
//! facing −Z; flipping Z makes it right-handed with the model facing +Z and her left at +X,
//! which is encore's idol space. A position's Z and a rotation's X and Y change sign.

use glam::{Quat, Vec3};

/// Frames per second of every VMD file.
pub const VMD_FPS: f32 = 30.0;

/// A cubic Bézier easing curve from (0, 0) to (1, 1) through two control points, as MMD
/// stores them (bytes 0 to 127).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bezier {
    /// First control point.
    pub a: (f32, f32),
    /// Second control point.
    pub b: (f32, f32),
}

impl Bezier {
    /// A straight line.
    pub const LINEAR: Bezier = Bezier {
        a: (20.0 / 127.0, 20.0 / 127.0),
        b: (107.0 / 127.0, 107.0 / 127.0),
    };

    fn from_bytes(x1: u8, y1: u8, x2: u8, y2: u8) -> Bezier {
        let unit = |byte: u8| f32::from(byte.min(127)) / 127.0;
        Bezier {
            a: (unit(x1), unit(y1)),
            b: (unit(x2), unit(y2)),
        }
    }

    /// The curve's height where it is `x` across (0 to 1).
    pub fn ease(&self, x: f32) -> f32 {
        let x = x.clamp(0.0, 1.0);
        let cubic = |t: f32, p1: f32, p2: f32| {
            let s = 1.0 - t;
            3.0 * s * s * t * p1 + 3.0 * s * t * t * p2 + t * t * t
        };
        // The x of the curve rises monotonically with t (control x within 0..1): bisect.
        let (mut low, mut high) = (0.0f32, 1.0f32);
        for _ in 0..24 {
            let mid = (low + high) * 0.5;
            if cubic(mid, self.a.0, self.b.0) < x {
                low = mid;
            } else {
                high = mid;
            }
        }
        cubic((low + high) * 0.5, self.a.1, self.b.1)
    }
}

/// A bone keyframe.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoneKey {
    /// Frame number (30 per second).
    pub frame: u32,
    /// Translation from the bone's rest place, MMD units (encore axes).
    pub position: Vec3,
    /// Rotation from the bone's rest orientation (encore axes).
    pub rotation: Quat,
    /// Easing into this key for X, Y, Z and the rotation.
    pub curves: [Bezier; 4],
}

/// All keyframes of one bone, in frame order.
#[derive(Debug, Clone, PartialEq)]
pub struct BoneTrack {
    /// The bone's name as written (decoded, a cut character dropped).
    pub name: String,
    /// Keys in frame order, one per frame.
    pub keys: Vec<BoneKey>,
}

impl BoneTrack {
    /// Translation and rotation at `frame` (fractional): held before the first and after the
    /// last key, eased by the later key's curves between.
    pub fn sample(&self, frame: f32) -> (Vec3, Quat) {
        let (from, to, t) = bracket(&self.keys, frame, |key| key.frame);
        if t <= 0.0 {
            return (from.position, from.rotation);
        }
        let ease = |curve: usize| to.curves[curve].ease(t);
        let position = Vec3::new(
            lerp(from.position.x, to.position.x, ease(0)),
            lerp(from.position.y, to.position.y, ease(1)),
            lerp(from.position.z, to.position.z, ease(2)),
        );
        (position, from.rotation.slerp(to.rotation, ease(3)))
    }
}

/// All keyframes of one morph.
#[derive(Debug, Clone, PartialEq)]
pub struct MorphTrack {
    /// The morph's name.
    pub name: String,
    /// (frame, weight) in frame order.
    pub keys: Vec<(u32, f32)>,
}

impl MorphTrack {
    /// The weight at `frame`, linear between keys.
    pub fn sample(&self, frame: f32) -> f32 {
        let (from, to, t) = bracket(&self.keys, frame, |key| key.0);
        lerp(from.1, to.1, t)
    }
}

/// A camera keyframe: the camera orbits `center` at `distance`, turned by `rotation`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CameraKey {
    /// Frame number.
    pub frame: u32,
    /// Distance from the centre along the camera's view axis (MMD writes it negative).
    pub distance: f32,
    /// The point the camera looks at, MMD units (encore axes).
    pub center: Vec3,
    /// Pitch, yaw and roll in radians, as MMD writes them.
    pub rotation: Vec3,
    /// Easing into this key for X, Y, Z, the rotation, the distance and the view angle.
    pub curves: [Bezier; 6],
    /// Vertical view angle, degrees.
    pub fov: f32,
    /// Perspective on; off is MMD's orthographic view.
    pub perspective: bool,
}

/// A keyframe switching IK chains on or off.
#[derive(Debug, Clone, PartialEq)]
pub struct IkKey {
    /// Frame number.
    pub frame: u32,
    /// Whether the model is shown.
    pub shown: bool,
    /// IK bone names and whether each is on.
    pub states: Vec<(String, bool)>,
}

/// A parsed VMD file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Vmd {
    /// The model the motion was written for.
    pub model: String,
    /// Bone tracks in the order their names first appear.
    pub bones: Vec<BoneTrack>,
    /// Morph tracks in the order their names first appear.
    pub morphs: Vec<MorphTrack>,
    /// Camera keys in frame order.
    pub camera: Vec<CameraKey>,
    /// IK on/off keys in frame order.
    pub ik: Vec<IkKey>,
    /// Keyframes of each kind as stored in the file.
    pub counts: Counts,
}

/// How many keyframes of each kind a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Bone keyframes.
    pub bones: usize,
    /// Morph keyframes.
    pub morphs: usize,
    /// Camera keyframes.
    pub cameras: usize,
    /// Light keyframes.
    pub lights: usize,
    /// Self-shadow keyframes.
    pub shadows: usize,
    /// IK on/off keyframes.
    pub iks: usize,
}

impl Vmd {
    /// The last keyframe of any kind.
    pub fn last_frame(&self) -> u32 {
        let bones = self.bones.iter().filter_map(|track| track.keys.last());
        let morphs = self.morphs.iter().filter_map(|track| track.keys.last());
        bones
            .map(|key| key.frame)
            .chain(morphs.map(|key| key.0))
            .chain(self.camera.last().map(|key| key.frame))
            .chain(self.ik.last().map(|key| key.frame))
            .max()
            .unwrap_or(0)
    }

    /// The IK chain `name` is on at `frame`: its last switch at or before, on by default.
    pub fn ik_on(&self, name: &str, frame: f32) -> bool {
        self.ik
            .iter()
            .take_while(|key| key.frame as f32 <= frame)
            .filter_map(|key| {
                key.states
                    .iter()
                    .find(|(ik, _)| names_match(ik, name))
                    .map(|state| state.1)
            })
            .last()
            .unwrap_or(true)
    }

    /// The camera at `frame`: centre, rotation, distance, view angle, perspective. Keys one
    /// frame apart are a cut, so the camera jumps there instead of sweeping.
    pub fn camera_at(&self, frame: f32) -> Option<CameraKey> {
        if self.camera.is_empty() {
            return None;
        }
        let (from, to, t) = bracket(&self.camera, frame, |key| key.frame);
        if t <= 0.0 || to.frame <= from.frame + 1 {
            return Some(*from);
        }
        let ease = |curve: usize| to.curves[curve].ease(t);
        Some(CameraKey {
            frame: frame as u32,
            distance: lerp(from.distance, to.distance, ease(4)),
            center: Vec3::new(
                lerp(from.center.x, to.center.x, ease(0)),
                lerp(from.center.y, to.center.y, ease(1)),
                lerp(from.center.z, to.center.z, ease(2)),
            ),
            rotation: from.rotation.lerp(to.rotation, ease(3)),
            curves: to.curves,
            fov: lerp(from.fov, to.fov, ease(5)),
            perspective: from.perspective,
        })
    }
}

fn lerp(a: f32, b: f32, t: f32) -> f32 {
    a + (b - a) * t
}

/// The keys around `frame` and how far between them it is (0 on or before the first, and
/// after the last). `keys` is sorted by frame and not empty.
fn bracket<K>(keys: &[K], frame: f32, frame_of: impl Fn(&K) -> u32) -> (&K, &K, f32) {
    let next = keys.partition_point(|key| frame_of(key) as f32 <= frame);
    if next == 0 {
        return (&keys[0], &keys[0], 0.0);
    }
    let from = &keys[next - 1];
    let Some(to) = keys.get(next) else {
        return (from, from, 0.0);
    };
    let span = (frame_of(to) - frame_of(from)) as f32;
    (
        from,
        to,
        ((frame - frame_of(from) as f32) / span).clamp(0.0, 1.0),
    )
}

/// Whether a name read from a file is `full`, allowing for the file cutting it at 15 bytes
/// of Shift-JIS (or in the middle of a character).
pub fn names_match(read: &str, full: &str) -> bool {
    read == full || (!read.is_empty() && full.starts_with(read) && sjis_len(full) > 14)
}

fn sjis_len(text: &str) -> usize {
    encoding_rs::SHIFT_JIS.encode(text).0.len()
}

/// Decodes a NUL-padded Shift-JIS name, dropping a character cut in half at the end.
pub fn decode_name(bytes: &[u8]) -> String {
    let end = bytes
        .iter()
        .position(|&byte| byte == 0)
        .unwrap_or(bytes.len());
    let (text, _) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(&bytes[..end]);
    text.trim_end_matches('\u{fffd}').to_owned()
}

/// Reads little-endian values off a byte slice, naming what it was reading when it runs out.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, count: usize, what: &str) -> Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(count)
            .filter(|end| *end <= self.bytes.len());
        let Some(end) = end else {
            return Err(format!(
                "the file ends at byte {} in the middle of {what}",
                self.bytes.len()
            ));
        };
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn u8(&mut self, what: &str) -> Result<u8, String> {
        Ok(self.take(1, what)?[0])
    }

    fn u32(&mut self, what: &str) -> Result<u32, String> {
        let bytes = self.take(4, what)?;
        Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    fn f32(&mut self, what: &str) -> Result<f32, String> {
        let bytes = self.take(4, what)?;
        let value = f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        if value.is_finite() {
            Ok(value)
        } else {
            Err(format!("{what} holds {value}, not a number"))
        }
    }

    fn vec3(&mut self, what: &str) -> Result<Vec3, String> {
        Ok(Vec3::new(self.f32(what)?, self.f32(what)?, self.f32(what)?))
    }

    /// A section's keyframe count, checked against the bytes left so that a hostile count
    /// cannot make us allocate more than the file holds. A file may end before a section
    /// (older writers stop after the morphs): that is zero keys.
    fn count(&mut self, record: usize, what: &str) -> Result<usize, String> {
        if self.at == self.bytes.len() {
            return Ok(0);
        }
        let count = self.u32(&format!("the {what} count"))? as usize;
        let left = self.bytes.len() - self.at;
        if count.saturating_mul(record) > left {
            return Err(format!(
                "it says {count} {what} keyframes follow at byte {}, but only {left} bytes \
                 are left (room for {} at most)",
                self.at - 4,
                left / record
            ));
        }
        Ok(count)
    }
}

/// The magic of VMD files from MikuMikuDance 7 and later, and of older ones.
const MAGIC: &[u8] = b"Vocaloid Motion Data 0002";
const OLD_MAGIC: &[u8] = b"Vocaloid Motion Data file";

/// Parses a VMD file's bytes.
pub fn parse(bytes: &[u8]) -> Result<Vmd, String> {
    let mut reader = Reader { bytes, at: 0 };
    let header = reader.take(30, "the header")?;
    let name_length = if header.starts_with(MAGIC) {
        20
    } else if header.starts_with(OLD_MAGIC) {
        10
    } else {
        return Err(format!(
            "it does not start with `Vocaloid Motion Data` (it starts with {:?})",
            String::from_utf8_lossy(&header[..header.len().min(20)])
        ));
    };
    let mut vmd = Vmd {
        model: decode_name(reader.take(name_length, "the model name")?),
        ..Vmd::default()
    };

    let count = reader.count(111, "bone")?;
    vmd.counts.bones = count;
    for index in 0..count {
        let what = format!("bone keyframe {}", index + 1);
        let name = decode_name(reader.take(15, &what)?);
        let frame = reader.u32(&what)?;
        let position = reader.vec3(&what)?;
        let [x, y, z, w] = [(); 4].map(|_| reader.f32(&what));
        let rotation = Quat::from_xyzw(-x?, -y?, z?, w?);
        let bytes = reader.take(64, &what)?;
        let curve = |axis: usize| {
            Bezier::from_bytes(
                bytes[axis],
                bytes[axis + 4],
                bytes[axis + 8],
                bytes[axis + 12],
            )
        };
        let key = BoneKey {
            frame,
            position: Vec3::new(position.x, position.y, -position.z),
            rotation: super::unit_or_identity(rotation),
            curves: [curve(0), curve(1), curve(2), curve(3)],
        };
        match vmd.bones.iter_mut().find(|track| track.name == name) {
            Some(track) => track.keys.push(key),
            None => vmd.bones.push(BoneTrack {
                name,
                keys: vec![key],
            }),
        }
    }

    let count = reader.count(23, "morph")?;
    vmd.counts.morphs = count;
    for index in 0..count {
        let what = format!("morph keyframe {}", index + 1);
        let name = decode_name(reader.take(15, &what)?);
        let key = (reader.u32(&what)?, reader.f32(&what)?);
        match vmd.morphs.iter_mut().find(|track| track.name == name) {
            Some(track) => track.keys.push(key),
            None => vmd.morphs.push(MorphTrack {
                name,
                keys: vec![key],
            }),
        }
    }

    let count = reader.count(61, "camera")?;
    vmd.counts.cameras = count;
    for index in 0..count {
        let what = format!("camera keyframe {}", index + 1);
        let frame = reader.u32(&what)?;
        let distance = reader.f32(&what)?;
        let center = reader.vec3(&what)?;
        let rotation = reader.vec3(&what)?;
        let bytes = reader.take(24, &what)?;
        let curve = |index: usize| {
            let at = index * 4;
            Bezier::from_bytes(bytes[at], bytes[at + 2], bytes[at + 1], bytes[at + 3])
        };
        let fov = reader.u32(&what)?;
        let perspective = reader.u8(&what)? == 0;
        vmd.camera.push(CameraKey {
            frame,
            distance,
            center: Vec3::new(center.x, center.y, -center.z),
            rotation,
            curves: [0, 1, 2, 3, 4, 5].map(curve),
            fov: (fov as f32).clamp(1.0, 179.0),
            perspective,
        });
    }

    let count = reader.count(28, "light")?;
    vmd.counts.lights = count;
    reader.take(count * 28, "the light keyframes")?;
    let count = reader.count(9, "self-shadow")?;
    vmd.counts.shadows = count;
    reader.take(count * 9, "the self-shadow keyframes")?;

    let count = reader.count(9, "IK")?;
    vmd.counts.iks = count;
    for index in 0..count {
        let what = format!("IK keyframe {}", index + 1);
        let frame = reader.u32(&what)?;
        let shown = reader.u8(&what)? != 0;
        let chains = reader.count(21, "IK chain")?;
        let mut states = Vec::with_capacity(chains);
        for _ in 0..chains {
            let name = decode_name(reader.take(20, &what)?);
            states.push((name, reader.u8(&what)? != 0));
        }
        vmd.ik.push(IkKey {
            frame,
            shown,
            states,
        });
    }

    // Writers list keys in any order; playback needs them by frame, one per frame.
    for track in &mut vmd.bones {
        track.keys.sort_by_key(|key| key.frame);
        track.keys.dedup_by_key(|key| key.frame);
    }
    for track in &mut vmd.morphs {
        track.keys.sort_by_key(|key| key.0);
        track.keys.dedup_by_key(|key| key.0);
    }
    vmd.camera.sort_by_key(|key| key.frame);
    vmd.camera.dedup_by_key(|key| key.frame);
    vmd.ik.sort_by_key(|key| key.frame);
    Ok(vmd)
}

/// Writes a VMD file: bone and morph keys (in encore axes, converted back), for tests and
/// for fuzzing the reader with valid files to cut and corrupt.
pub fn write(model: &str, bones: &[(&str, BoneKey)], morphs: &[(&str, u32, f32)]) -> Vec<u8> {
    let mut out = Vec::new();
    let name = |out: &mut Vec<u8>, text: &str, length: usize| {
        let (encoded, _, _) = encoding_rs::SHIFT_JIS.encode(text);
        let mut bytes = encoded.into_owned();
        bytes.resize(length, 0);
        out.extend_from_slice(&bytes);
    };
    let mut header = MAGIC.to_vec();
    header.resize(30, 0);
    out.extend_from_slice(&header);
    name(&mut out, model, 20);
    out.extend_from_slice(&(bones.len() as u32).to_le_bytes());
    for (bone, key) in bones {
        name(&mut out, bone, 15);
        out.extend_from_slice(&key.frame.to_le_bytes());
        for value in [key.position.x, key.position.y, -key.position.z] {
            out.extend_from_slice(&value.to_le_bytes());
        }
        let rotation = key.rotation;
        for value in [-rotation.x, -rotation.y, rotation.z, rotation.w] {
            out.extend_from_slice(&value.to_le_bytes());
        }
        let mut curves = [0u8; 64];
        for (axis, curve) in key.curves.iter().enumerate() {
            let byte = |value: f32| (value * 127.0).round() as u8;
            curves[axis] = byte(curve.a.0);
            curves[axis + 4] = byte(curve.a.1);
            curves[axis + 8] = byte(curve.b.0);
            curves[axis + 12] = byte(curve.b.1);
        }
        out.extend_from_slice(&curves);
    }
    out.extend_from_slice(&(morphs.len() as u32).to_le_bytes());
    for (morph, frame, weight) in morphs {
        name(&mut out, morph, 15);
        out.extend_from_slice(&frame.to_le_bytes());
        out.extend_from_slice(&weight.to_le_bytes());
    }
    for _ in 0..4 {
        out.extend_from_slice(&0u32.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(frame: u32, position: Vec3, rotation: Quat) -> BoneKey {
        BoneKey {
            frame,
            position,
            rotation,
            curves: [Bezier::LINEAR; 4],
        }
    }

    #[test]
    fn a_written_file_reads_back_with_its_keys_names_and_axes() {
        let bytes = write(
            "初音ミク",
            &[
                (
                    "センター",
                    key(10, Vec3::new(1.0, 2.0, 3.0), Quat::IDENTITY),
                ),
                ("左腕", key(0, Vec3::ZERO, Quat::from_rotation_z(0.5))),
                ("センター", key(0, Vec3::ZERO, Quat::IDENTITY)),
            ],
            &[("あ", 5, 1.0)],
        );
        let vmd = parse(&bytes).expect("a file we wrote");
        assert_eq!(vmd.model, "初音ミク");
        assert_eq!(vmd.counts.bones, 3);
        assert_eq!(vmd.bones[0].name, "センター");
        assert_eq!(
            vmd.bones[0]
                .keys
                .iter()
                .map(|k| k.frame)
                .collect::<Vec<_>>(),
            [0, 10]
        );
        let (position, _) = vmd.bones[0].sample(5.0);
        assert!(
            position.distance(Vec3::new(0.5, 1.0, 1.5)) < 0.02,
            "{position}"
        );
        let (_, rotation) = vmd.bones[1].sample(3.0);
        assert!(rotation.angle_between(Quat::from_rotation_z(0.5)) < 1e-4);
        assert_eq!(vmd.morphs[0].name, "あ");
        // Held before the first key.
        assert_eq!(vmd.morphs[0].sample(2.5), 1.0);
    }

    #[test]
    fn bezier_curves_ease() {
        let linear = Bezier::LINEAR;
        assert!((linear.ease(0.3) - 0.3).abs() < 0.01);
        // MMD's default "ease in and out" curve: slow at both ends.
        let eased = Bezier::from_bytes(64, 0, 64, 127);
        assert!(eased.ease(0.1) < 0.05 && eased.ease(0.9) > 0.95);
        assert!((eased.ease(0.5) - 0.5).abs() < 0.01);
    }

    #[test]
    fn cut_names_decode_and_still_match() {
        let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode("左つま先ＩＫあいうえ");
        // 15 bytes cut the eighth character in half.
        let read = decode_name(&bytes[..15]);
        assert_eq!(read, "左つま先ＩＫあ");
        assert!(names_match(&read, "左つま先ＩＫあいうえ"));
        assert!(!names_match("左", "左腕"));
        assert_eq!(decode_name(b"browOuterUpRigh"), "browOuterUpRigh");
        assert!(names_match("browOuterUpRigh", "browOuterUpRight"));
    }

    #[test]
    fn broken_files_are_errors_not_panics() {
        assert!(
            parse(b"not a motion")
                .unwrap_err()
                .contains("ends at byte 12")
        );
        let mut header = b"Vocaloid Motion Data 0002".to_vec();
        header.resize(50, 0);
        let mut absurd = header.clone();
        absurd.extend_from_slice(&u32::MAX.to_le_bytes());
        let error = parse(&absurd).unwrap_err();
        assert!(error.contains("4294967295 bone keyframes"), "{error}");
        let good = write(
            "m",
            &[("頭", key(0, Vec3::ZERO, Quat::IDENTITY))],
            &[("あ", 0, 0.5)],
        );
        let mut nan = good.clone();
        // The first bone key's X position.
        nan[50 + 4 + 15 + 4..50 + 4 + 15 + 8].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(
            parse(&nan)
                .unwrap_err()
                .contains("bone keyframe 1 holds NaN")
        );
        // Every cut of a good file is an error or a shorter motion, never a panic.
        for end in 0..good.len() {
            let _ = parse(&good[..end]);
        }
    }
}

//! The built-in idol's face, painted: a small texture atlas of anime eyes (white, an iris
//! with a vertical gradient and a darker rim, the pupil, two highlights, a thick upper lash
//! with a flick and a thin lower one), brows, a mouth's inside and blush, on a transparent
//! background: the face's decals are blended over her skin, so they take its shading.
//!
//! Everything is drawn from signed distances with a pixel of anti-aliasing, from a few
//! parameters ([`FaceParams`]) that the idol's seed varies, so every face is its own and the
//! same idol always gets the same one.

use glam::Vec2;
use rand::{Rng, SeedableRng, rngs::StdRng};

use crate::colour::Srgb;

/// The atlas is this many pixels square.
pub const FACE_SIZE: u32 = 256;

/// A rectangle of the atlas, pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl Cell {
    /// Its corners as texture coordinates (min, max), 0 to 1.
    pub fn uv(&self) -> (Vec2, Vec2) {
        let size = FACE_SIZE as f32;
        (
            Vec2::new(self.x as f32, self.y as f32) / size,
            Vec2::new((self.x + self.width) as f32, (self.y + self.height) as f32) / size,
        )
    }
}

/// Her left eye (on the right of the picture, as seen facing her).
pub const EYE_LEFT: Cell = Cell {
    x: 128,
    y: 0,
    width: 128,
    height: 96,
};
/// Her right eye: the left eye mirrored.
pub const EYE_RIGHT: Cell = Cell {
    x: 0,
    y: 0,
    width: 128,
    height: 96,
};
/// The inside of the mouth.
pub const MOUTH: Cell = Cell {
    x: 0,
    y: 96,
    width: 64,
    height: 64,
};
/// Her left brow; the right one is mirrored.
pub const BROW_LEFT: Cell = Cell {
    x: 160,
    y: 96,
    width: 96,
    height: 32,
};
pub const BROW_RIGHT: Cell = Cell {
    x: 64,
    y: 96,
    width: 96,
    height: 32,
};
/// Blush strokes for one cheek.
pub const BLUSH: Cell = Cell {
    x: 64,
    y: 128,
    width: 96,
    height: 32,
};

/// What makes one face differ from another.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceParams {
    /// The eye's width and height, shares of its cell.
    pub eye_size: Vec2,
    /// Radians the eye turns up at its outer corner (negative: droopy).
    pub tilt: f32,
    /// The iris's radius, a share of the eye's height.
    pub iris: f32,
    /// The iris's colour at its top (darker) and bottom (lighter).
    pub iris_top: Srgb,
    pub iris_bottom: Srgb,
    /// The upper lash's thickness, a share of the cell's height, and its flick's length.
    pub lash: f32,
    pub flick: f32,
    /// The brow's arch (a share of its cell's height), slant (radians) and thickness.
    pub brow_arch: f32,
    pub brow_slant: f32,
    pub brow_thickness: f32,
    /// How strong the blush is, 0 to 1.
    pub blush: f32,
}

impl FaceParams {
    /// A face drawn from `seed`, with eyes of `iris` colour.
    pub fn from_seed(seed: u64, iris: Srgb) -> Self {
        let mut rng = StdRng::seed_from_u64(seed ^ 0x00fa_ce00);
        let [r, g, b] = [iris.red, iris.green, iris.blue];
        let darker = Srgb::new(r * 0.35, g * 0.35, b * 0.4);
        let lighter = Srgb::new(
            (r * 0.8 + 0.25).min(1.0),
            (g * 0.8 + 0.25).min(1.0),
            (b * 0.8 + 0.3).min(1.0),
        );
        Self {
            eye_size: Vec2::new(rng.random_range(0.62..0.74), rng.random_range(0.68..0.82)),
            tilt: rng.random_range(-0.12..0.16),
            iris: rng.random_range(0.34..0.42),
            iris_top: darker,
            iris_bottom: lighter,
            lash: rng.random_range(0.07..0.11),
            flick: rng.random_range(0.05..0.14),
            brow_arch: rng.random_range(0.1..0.3),
            brow_slant: rng.random_range(-0.15..0.2),
            brow_thickness: rng.random_range(0.14..0.24),
            blush: rng.random_range(0.35..0.7),
        }
    }
}

/// The colours a face is painted in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FacePalette {
    pub skin: Srgb,
    pub hair: Srgb,
}

/// An RGBA image being painted, sRGB bytes.
struct Canvas {
    pixels: Vec<[f32; 4]>,
}

impl Canvas {
    fn new(background: Srgb) -> Self {
        Self {
            pixels: vec![
                [background.red, background.green, background.blue, 0.0];
                (FACE_SIZE * FACE_SIZE) as usize
            ],
        }
    }

    /// Paints `cell` pixel by pixel: `shade(p, pixel)` gives, for the point `p` (the cell's
    /// own coordinates, 0 to 1 across and down, mirrored when `mirror`), a colour and its
    /// coverage, or nothing. `pixel` is one pixel's size in those coordinates.
    fn paint(
        &mut self,
        cell: Cell,
        mirror: bool,
        shade: impl Fn(Vec2, f32) -> Option<(Srgb, f32)>,
    ) {
        let pixel = 1.0 / cell.height as f32;
        for y in 0..cell.height {
            for x in 0..cell.width {
                let mut p = Vec2::new(
                    (x as f32 + 0.5) / cell.width as f32,
                    (y as f32 + 0.5) / cell.height as f32,
                );
                if mirror {
                    p.x = 1.0 - p.x;
                }
                // Square pixels: x in units of the cell's height.
                p.x *= cell.width as f32 / cell.height as f32;
                if let Some((colour, cover)) = shade(p, pixel) {
                    let cover = cover.clamp(0.0, 1.0);
                    let index = ((cell.y + y) * FACE_SIZE + cell.x + x) as usize;
                    let target = &mut self.pixels[index];
                    // Straight alpha, "over": the new colour on what is there.
                    let below = target[3];
                    let alpha = cover + below * (1.0 - cover);
                    if alpha > 0.0 {
                        for (value, new) in
                            target[..3]
                                .iter_mut()
                                .zip([colour.red, colour.green, colour.blue])
                        {
                            *value = (new * cover + *value * below * (1.0 - cover)) / alpha;
                        }
                    }
                    target[3] = alpha;
                }
            }
        }
    }

    fn bytes(&self) -> Vec<u8> {
        self.pixels
            .iter()
            .flat_map(|pixel| pixel.map(|value| (value.clamp(0.0, 1.0) * 255.0).round() as u8))
            .collect()
    }
}

/// Coverage of a shape whose signed distance is `distance`, with a pixel of softening.
fn coverage(distance: f32, pixel: f32) -> f32 {
    (0.5 - distance / pixel).clamp(0.0, 1.0)
}

/// Signed distance (approximate) to an ellipse of `radii` round the origin.
fn ellipse(p: Vec2, radii: Vec2) -> f32 {
    let scaled = p / radii;
    (scaled.length() - 1.0) * radii.min_element()
}

fn mix(a: Srgb, b: Srgb, t: f32) -> Srgb {
    let t = t.clamp(0.0, 1.0);
    Srgb::new(
        a.red + (b.red - a.red) * t,
        a.green + (b.green - a.green) * t,
        a.blue + (b.blue - a.blue) * t,
    )
}

/// Her eye in its cell (x 0 to 4/3, y 0 to 1, the outer corner at the right).
fn eye(p: Vec2, pixel: f32, face: &FaceParams, lashes: Srgb) -> Option<(Srgb, f32)> {
    let centre = Vec2::new(2.0 / 3.0, 0.56);
    let (sin, cos) = face.tilt.sin_cos();
    let local = p - centre;
    // Turned about the centre: the outer corner rises with the tilt.
    let q = Vec2::new(local.x * cos - local.y * sin, local.x * sin + local.y * cos);
    let radii = Vec2::new(face.eye_size.x * 2.0 / 3.0, face.eye_size.y * 0.5);
    let white = ellipse(q, radii);
    // The upper lash: a band over the eye's top, thicker at the outer end, with a flick.
    let top = -radii.y * (1.0 - (q.x / radii.x).powi(2)).max(0.0).sqrt();
    let along = (q.x / radii.x).clamp(-1.0, 1.0);
    let thickness = face.lash * (0.6 + 0.5 * (along + 1.0) / 2.0);
    let in_lash =
        q.x.abs() <= radii.x * 1.02 && q.y > top - thickness && q.y < top + thickness * 0.35;
    let flick_start = Vec2::new(radii.x * 0.92, top_at(radii, 0.92));
    let flick_dir = Vec2::new(0.7, -0.7).normalize();
    let to_flick = q - flick_start;
    let flick_along = to_flick.dot(flick_dir);
    let flick_across = (to_flick - flick_dir * flick_along).length();
    let in_flick = (0.0..face.flick).contains(&flick_along)
        && flick_across < face.lash * 0.45 * (1.0 - flick_along / face.flick);
    if in_lash || in_flick {
        return Some((lashes, 1.0));
    }
    // The lower lash: a thin line under the outer half.
    let bottom = radii.y * (1.0 - (q.x / radii.x).powi(2)).max(0.0).sqrt();
    if q.x > radii.x * 0.1
        && q.x < radii.x * 0.95
        && (q.y - bottom - face.lash * 0.15).abs() < face.lash * 0.18
    {
        return Some((mix(lashes, Srgb::new(0.6, 0.4, 0.4), 0.35), 0.9));
    }
    if white > pixel {
        return None;
    }
    let inside = coverage(white, pixel);
    // The iris, a little above the middle, reaching under the upper lash.
    let iris_radius = face.iris * face.eye_size.y;
    let iris_centre = Vec2::new(0.0, -radii.y * 0.08);
    let from_iris = q - iris_centre;
    let iris_distance = from_iris.length() - iris_radius;
    let mut colour = Srgb::new(0.97, 0.96, 0.99);
    // The lid's shadow on the white.
    colour = mix(
        colour,
        Srgb::new(0.78, 0.74, 0.86),
        ((-q.y / radii.y) * 0.9).clamp(0.0, 0.6),
    );
    if iris_distance < pixel {
        let height = ((from_iris.y / iris_radius) + 1.0) / 2.0;
        let mut iris = mix(face.iris_top, face.iris_bottom, height.powf(0.8));
        // A darker rim, and the pupil.
        let rim = ((from_iris.length() / iris_radius) - 0.82).max(0.0) / 0.18;
        iris = mix(iris, face.iris_top, rim * 0.8);
        let pupil = ellipse(from_iris, Vec2::new(iris_radius * 0.34, iris_radius * 0.42));
        iris = mix(iris, Srgb::new(0.05, 0.03, 0.08), coverage(pupil, pixel));
        // Two highlights: a big one up on the outer side, a small one down on the inner.
        let big = from_iris - Vec2::new(iris_radius * 0.32, -iris_radius * 0.38);
        let small = from_iris - Vec2::new(-iris_radius * 0.35, iris_radius * 0.42);
        let shine = coverage(ellipse(big, Vec2::splat(iris_radius * 0.26)), pixel).max(coverage(
            ellipse(small, Vec2::splat(iris_radius * 0.12)),
            pixel,
        ));
        iris = mix(iris, Srgb::new(1.0, 1.0, 1.0), shine);
        colour = mix(colour, iris, coverage(iris_distance, pixel));
    }
    Some((colour, inside))
}

/// The eye's upper edge at `share` of its half width (negative y: up).
fn top_at(radii: Vec2, share: f32) -> f32 {
    -radii.y * (1.0 - share * share).max(0.0).sqrt()
}

/// A brow: an arched stroke, thinning to its outer end.
fn brow(p: Vec2, pixel: f32, face: &FaceParams, colour: Srgb) -> Option<(Srgb, f32)> {
    let width = 3.0;
    let t = (p.x / width).clamp(0.0, 1.0);
    let arch = face.brow_arch * (1.0 - (2.0 * t - 1.0).powi(2));
    let y = 0.6 - arch - face.brow_slant * (t - 0.5);
    let thickness = face.brow_thickness * (1.0 - 0.6 * t) * 0.5;
    let distance = (p.y - y).abs() - thickness;
    let ends = (t * width - 0.15).min(width * 0.92 - t * width);
    let cover = coverage(distance, pixel) * (ends / pixel).clamp(0.0, 1.0);
    (cover > 0.0).then_some((colour, cover))
}

/// The mouth's inside: dark red, teeth along the top, the tongue at the bottom.
fn mouth(p: Vec2, pixel: f32) -> Option<(Srgb, f32)> {
    let centre = Vec2::new(0.5, 0.5);
    let q = p - centre;
    let inside = ellipse(q, Vec2::new(0.46, 0.46));
    if inside > pixel {
        return None;
    }
    let mut colour = Srgb::new(0.38, 0.08, 0.12);
    let teeth = ellipse(q - Vec2::new(0.0, -0.42), Vec2::new(0.34, 0.12));
    colour = mix(colour, Srgb::new(0.98, 0.96, 0.95), coverage(teeth, pixel));
    let tongue = ellipse(q - Vec2::new(0.0, 0.3), Vec2::new(0.3, 0.18));
    colour = mix(colour, Srgb::new(0.86, 0.38, 0.42), coverage(tongue, pixel));
    Some((colour, coverage(inside, pixel)))
}

/// Blush: a soft pink patch with three hatch strokes.
fn blush(p: Vec2, pixel: f32, face: &FaceParams, skin: Srgb) -> Option<(Srgb, f32)> {
    let q = p - Vec2::new(1.5, 0.5);
    let patch = (1.0 - (q / Vec2::new(1.3, 0.42)).length()).clamp(0.0, 1.0);
    let pink = mix(skin, Srgb::new(1.0, 0.45, 0.55), 0.6);
    let mut cover = patch * patch * face.blush;
    for stroke in [-0.45f32, 0.0, 0.45] {
        let along = Vec2::new(0.35, -0.94);
        let offset = q - Vec2::new(stroke, 0.0);
        let across = (offset - along * offset.dot(along)).length();
        if offset.dot(along).abs() < 0.28 {
            cover = cover.max(coverage(across - 0.025, pixel) * face.blush * 0.9);
        }
    }
    (cover > 0.0).then_some((pink, cover))
}

/// Paints the face atlas: RGBA bytes, [`FACE_SIZE`] square, rows from the top.
pub fn paint_face(face: &FaceParams, palette: &FacePalette) -> Vec<u8> {
    let mut canvas = Canvas::new(palette.skin);
    let lashes = mix(palette.hair, Srgb::new(0.04, 0.02, 0.06), 0.7);
    for (cell, mirror) in [(EYE_LEFT, false), (EYE_RIGHT, true)] {
        canvas.paint(cell, mirror, |p, pixel| eye(p, pixel, face, lashes));
    }
    for (cell, mirror) in [(BROW_LEFT, false), (BROW_RIGHT, true)] {
        canvas.paint(cell, mirror, |p, pixel| {
            brow(p, pixel, face, mix(palette.hair, lashes, 0.3))
        });
    }
    canvas.paint(MOUTH, false, mouth);
    canvas.paint(BLUSH, false, |p, pixel| blush(p, pixel, face, palette.skin));
    canvas.bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(image: &[u8], x: u32, y: u32) -> [u8; 3] {
        let index = ((y * FACE_SIZE + x) * 4) as usize;
        [image[index], image[index + 1], image[index + 2]]
    }

    fn luma(pixel: [u8; 3]) -> f32 {
        0.3 * f32::from(pixel[0]) + 0.59 * f32::from(pixel[1]) + 0.11 * f32::from(pixel[2])
    }

    fn face() -> (FaceParams, FacePalette) {
        (
            FaceParams::from_seed(7, Srgb::new(0.2, 0.45, 0.95)),
            FacePalette {
                skin: Srgb::new(0.95, 0.82, 0.74),
                hair: Srgb::new(0.17, 0.13, 0.2),
            },
        )
    }

    #[test]
    fn the_eye_has_an_iris_gradient_a_dark_pupil_two_highlights_and_lashes() {
        let (params, palette) = face();
        let image = paint_face(&params, &palette);
        assert_eq!(image.len(), (FACE_SIZE * FACE_SIZE * 4) as usize);
        if let Some(path) = std::env::var_os("ENCORE_FACE_RGBA") {
            std::fs::write(path, &image).unwrap();
        }
        // Down the middle of the left eye's cell: lash, iris top, pupil, iris bottom.
        let column = EYE_LEFT.x + EYE_LEFT.width / 2;
        let line: Vec<[u8; 3]> = (0..EYE_LEFT.height)
            .map(|y| at(&image, column, y))
            .collect();
        let darkest = line.iter().map(|p| luma(*p)).fold(f32::MAX, f32::min);
        assert!(darkest < 40.0, "lash or pupil dark: {darkest}");
        // Blue iris pixels, darker above than below.
        let blue: Vec<(usize, f32)> = line
            .iter()
            .enumerate()
            .filter(|(_, p)| i32::from(p[2]) > i32::from(p[0]) + 40 && p[2] > 80)
            .map(|(y, p)| (y, luma(*p)))
            .collect();
        assert!(blue.len() > 10, "{line:?}");
        let (upper, lower) = blue.split_at(blue.len() / 2);
        let mean =
            |part: &[(usize, f32)]| part.iter().map(|(_, l)| l).sum::<f32>() / part.len() as f32;
        assert!(
            mean(upper) < mean(lower),
            "gradient {} {}",
            mean(upper),
            mean(lower)
        );
        // Near-white highlights inside the iris, in two separate places.
        let cell: Vec<(u32, u32)> = (EYE_LEFT.y..EYE_LEFT.y + EYE_LEFT.height)
            .flat_map(|y| (EYE_LEFT.x..EYE_LEFT.x + EYE_LEFT.width).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                let p = at(&image, x, y);
                p.iter().all(|&v| v > 235)
            })
            .collect();
        assert!(!cell.is_empty(), "white of the eye and highlights");
        // The background is clear: the decals are blended over her skin.
        assert_eq!(image[((200 * FACE_SIZE + 40) * 4 + 3) as usize], 0);
        let white_alpha = image[((50 * FACE_SIZE + EYE_LEFT.x + 64) * 4 + 3) as usize];
        assert_eq!(white_alpha, 255, "the eye is opaque");
    }

    #[test]
    fn faces_differ_by_seed_and_the_same_seed_paints_the_same_face() {
        let (params, palette) = face();
        assert_eq!(paint_face(&params, &palette), paint_face(&params, &palette));
        let other = FaceParams::from_seed(8, Srgb::new(0.2, 0.45, 0.95));
        assert_ne!(params, other);
        assert_ne!(paint_face(&params, &palette), paint_face(&other, &palette));
        // The right eye mirrors the left.
        let image = paint_face(&params, &palette);
        for y in (0..96).step_by(7) {
            for x in (0..128).step_by(5) {
                assert_eq!(
                    at(&image, EYE_LEFT.x + x, y),
                    at(&image, EYE_RIGHT.x + 127 - x, y)
                );
            }
        }
    }
}

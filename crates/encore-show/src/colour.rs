//! Colours as the setlist gives them: sRGB, parsed once when the setlist is checked.
//!
//! The app turns them into the engine's colours at the edge; the values are stored the way
//! Bevy stores `Color::srgb_u8` (`byte / 255`), so the two agree bit for bit.

use std::fmt;

/// An opaque sRGB colour, each channel from 0 to 1.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Srgb {
    pub red: f32,
    pub green: f32,
    pub blue: f32,
}

impl Srgb {
    pub const WHITE: Self = Self::new(1.0, 1.0, 1.0);

    pub const fn new(red: f32, green: f32, blue: f32) -> Self {
        Self { red, green, blue }
    }

    /// From bytes, as in `#rrggbb`.
    pub fn rgb_u8(red: u8, green: u8, blue: u8) -> Self {
        Self::new(
            f32::from(red) / 255.0,
            f32::from(green) / 255.0,
            f32::from(blue) / 255.0,
        )
    }

    /// Parses `"#rrggbb"` or `"#rgb"`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let hex = text.trim().strip_prefix('#')?;
        let digits: Vec<u8> = hex
            .chars()
            .map(|c| c.to_digit(16).map(|d| d as u8))
            .collect::<Option<_>>()?;
        let [red, green, blue] = match digits.as_slice() {
            [r, g, b] => [r * 17, g * 17, b * 17],
            [r1, r2, g1, g2, b1, b2] => [r1 * 16 + r2, g1 * 16 + g2, b1 * 16 + b2],
            _ => return None,
        };
        Some(Self::rgb_u8(red, green, blue))
    }

    /// Back to bytes (truncating, as the overlay always has).
    pub fn to_u8(self) -> [u8; 3] {
        [self.red, self.green, self.blue].map(|channel| (channel * 255.0) as u8)
    }

    /// In linear light, for lighting (the sRGB transfer function, as Bevy computes it).
    pub fn to_linear(self) -> Linear {
        Linear::rgb(gamma(self.red), gamma(self.green), gamma(self.blue))
    }

    /// The hue in degrees, 0 to 360 (0 for greys), by the HWB model's formula, as Bevy's
    /// colour conversions compute it.
    pub fn hue(self) -> f32 {
        let Self { red, green, blue } = self;
        let max = 0f32.max(red).max(green).max(blue);
        let min = 1f32.min(red).min(green).min(blue);
        let chroma = max - min;
        let hue = if chroma == 0.0 {
            0.0
        } else if red == max {
            60.0 * (green - blue) / chroma
        } else if green == max {
            60.0 * (2.0 + (blue - red) / chroma)
        } else {
            60.0 * (4.0 + (red - green) / chroma)
        };
        if hue < 0.0 { 360.0 + hue } else { hue }
    }
}

/// sRGB's transfer function: an encoded channel to linear light.
fn gamma(value: f32) -> f32 {
    if value <= 0.0 {
        value
    } else if value <= 0.04045 {
        value / 12.92
    } else {
        ((value + 0.055) / 1.055).powf(2.4)
    }
}

/// A colour in linear light with alpha, as lights and shaders take it. Arithmetic works on all
/// four channels, like Bevy's `LinearRgba`, which the app turns it into bit for bit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Linear {
    pub red: f32,
    pub green: f32,
    pub blue: f32,
    pub alpha: f32,
}

impl Default for Linear {
    fn default() -> Self {
        Self::WHITE
    }
}

impl Linear {
    pub const WHITE: Self = Self::rgb(1.0, 1.0, 1.0);
    pub const BLACK: Self = Self::rgb(0.0, 0.0, 0.0);

    /// Opaque.
    pub const fn rgb(red: f32, green: f32, blue: f32) -> Self {
        Self {
            red,
            green,
            blue,
            alpha: 1.0,
        }
    }

    /// `t` of the way from `self` to `other`.
    pub fn mix(&self, other: &Self, t: f32) -> Self {
        let keep = 1.0 - t;
        Self {
            red: self.red * keep + other.red * t,
            green: self.green * keep + other.green * t,
            blue: self.blue * keep + other.blue * t,
            alpha: self.alpha * keep + other.alpha * t,
        }
    }

    pub fn to_f32_array(self) -> [f32; 4] {
        [self.red, self.green, self.blue, self.alpha]
    }
}

impl std::ops::Add for Linear {
    type Output = Self;

    fn add(self, other: Self) -> Self {
        Self {
            red: self.red + other.red,
            green: self.green + other.green,
            blue: self.blue + other.blue,
            alpha: self.alpha + other.alpha,
        }
    }
}

impl std::ops::Mul<f32> for Linear {
    type Output = Self;

    fn mul(self, factor: f32) -> Self {
        Self {
            red: self.red * factor,
            green: self.green * factor,
            blue: self.blue * factor,
            alpha: self.alpha * factor,
        }
    }
}

impl std::ops::MulAssign<f32> for Linear {
    fn mul_assign(&mut self, factor: f32) {
        *self = *self * factor;
    }
}

/// A colour as a setlist writes it (`"#rrggbb"` or `"#rgb"`), parsed once when it is read.
/// The checker reports the ones that do not parse; a checked setlist has none.
#[derive(Debug, Clone)]
pub struct Colour {
    text: String,
    srgb: Option<Srgb>,
}

impl Colour {
    pub fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        let srgb = Srgb::parse(&text);
        Self { text, srgb }
    }

    /// The text as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The colour, `None` when the text is not one.
    pub fn srgb(&self) -> Option<Srgb> {
        self.srgb
    }
}

impl PartialEq for Colour {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for Colour {}

impl From<&str> for Colour {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

impl<'de> serde::Deserialize<'de> for Colour {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

impl fmt::Display for Srgb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [red, green, blue] = self.to_u8();
        write!(f, "#{red:02x}{green:02x}{blue:02x}")
    }
}

/// Turns premultiplied RGBA pixels (what a renderer's blending leaves) into straight alpha,
/// as video and image formats with alpha expect: each colour divided by its alpha, and
/// black where nothing covers the pixel.
pub fn unpremultiply_rgba(pixels: &mut [u8]) {
    for pixel in pixels.chunks_exact_mut(4) {
        let alpha = u16::from(pixel[3]);
        match alpha {
            0 => pixel[..3].fill(0),
            255 => {}
            _ => {
                for channel in &mut pixel[..3] {
                    *channel = ((u16::from(*channel) * 255 + alpha / 2) / alpha).min(255) as u8;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_parses_and_hues_follow_the_wheel() {
        let pink = Srgb::parse("#ff8ad9").expect("valid");
        assert_eq!(pink.to_u8(), [0xff, 0x8a, 0xd9]);
        assert_eq!(pink.to_string(), "#ff8ad9");
        assert_eq!(Srgb::parse("#0f0").map(Srgb::hue), Some(120.0));
        assert_eq!(Srgb::new(0.0, 0.0, 1.0).hue(), 240.0);
        assert_eq!(Srgb::new(1.0, 0.0, 0.5).hue(), 330.0);
        assert_eq!(Srgb::WHITE.hue(), 0.0);
        // Linear light: black and white stay, mid-grey is about a fifth.
        assert_eq!(Srgb::WHITE.to_linear(), Linear::WHITE);
        assert_eq!(Srgb::new(0.0, 0.0, 0.0).to_linear(), Linear::BLACK);
        let grey = Srgb::new(0.5, 0.5, 0.5).to_linear().red;
        assert!((grey - 0.214).abs() < 1e-3, "{grey}");
        for bad in ["", "ff8ad9", "#ffff", "#gg0000", "#ff00000", "#ff00é"] {
            assert_eq!(Srgb::parse(bad), None, "{bad}");
            assert_eq!(Colour::new(bad).srgb(), None);
        }
    }

    #[test]
    fn premultiplied_pixels_become_straight_alpha() {
        let mut pixels = [100, 50, 0, 128, 10, 20, 30, 0, 255, 128, 0, 255];
        unpremultiply_rgba(&mut pixels);
        assert_eq!(pixels, [199, 100, 0, 128, 0, 0, 0, 0, 255, 128, 0, 255]);
    }
}

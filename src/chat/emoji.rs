//! Colour emoji in the chat. egui draws glyphs from outlines only, and the one Debian font that
//! has every emoji fans write, sequences included (❤️, 👏🏻, 🫶, 👩‍🎤), is Noto Color Emoji, whose
//! glyphs are PNG pictures. So the chat cuts its text into grapheme clusters, shapes each emoji
//! cluster with that font (harfrust, the shaper egui uses) to its one glyph, takes the glyph's
//! PNG (skrifa), and draws it as an egui texture over a transparent placeholder glyph laid out
//! in its place. Without the font (`fonts-noto-color-emoji`, which `scripts/setup.sh`
//! installs) emoji fall back to egui's own monochrome glyphs.

use std::path::{Path, PathBuf};

use bevy::{platform::collections::HashMap, prelude::*};
use bevy_egui::egui;
use unicode_segmentation::UnicodeSegmentation;

/// Where Debian's `fonts-noto-color-emoji` puts its font.
pub const EMOJI_FONT: &str = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf";

/// The Debian package with the colour emoji font.
pub const EMOJI_PACKAGE: &str = "fonts-noto-color-emoji";

/// The glyph laid out (transparent) where an emoji picture goes: egui's bundled Noto Emoji has
/// it, about as wide as a colour emoji, and it is itself an emoji, so every one of it in a laid
/// out message is a picture's slot.
pub const PLACEHOLDER: char = '\u{2b1b}';

/// Width over height of Noto Color Emoji's pictures (136 by 128 pixels).
pub const ASPECT: f32 = 136.0 / 128.0;

/// Why the emoji font cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum EmojiFontError {
    /// The file could not be read.
    #[error("cannot read the colour emoji font {path}: {source}")]
    Read {
        /// The font file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a font with colour bitmaps.
    #[error("{path} is not a colour bitmap emoji font")]
    NotColourBitmaps {
        /// The font file.
        path: PathBuf,
    },
}

/// A colour bitmap emoji font, read once.
pub struct EmojiFont {
    bytes: Vec<u8>,
}

impl std::fmt::Debug for EmojiFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EmojiFont({} bytes)", self.bytes.len())
    }
}

impl EmojiFont {
    /// Reads the font at `path` and checks it has colour bitmaps.
    pub fn load(path: &Path) -> Result<Self, EmojiFontError> {
        let bytes = std::fs::read(path).map_err(|source| EmojiFontError::Read {
            path: path.to_owned(),
            source,
        })?;
        let font = Self { bytes };
        let has_bitmaps = skrifa::FontRef::new(&font.bytes)
            .is_ok_and(|face| !skrifa::bitmap::BitmapStrikes::new(&face).is_empty());
        if !has_bitmaps {
            return Err(EmojiFontError::NotColourBitmaps {
                path: path.to_owned(),
            });
        }
        Ok(font)
    }

    /// The one glyph the font draws `cluster` with (a ZWJ sequence or a skin tone becomes a
    /// single ligature), or `None` when it has none or needs several.
    pub fn glyph(&self, cluster: &str) -> Option<u32> {
        let font = harfrust::FontRef::new(&self.bytes).ok()?;
        let data = harfrust::ShaperData::new(&font);
        let shaper = data.shaper(&font).build();
        let mut buffer = harfrust::UnicodeBuffer::new();
        buffer.push_str(cluster);
        buffer.guess_segment_properties();
        let shaped = shaper.shape(buffer, harfrust::ShapeOptions::new());
        match shaped.glyph_infos() {
            [only] if only.glyph_id != 0 => Some(only.glyph_id),
            _ => None,
        }
    }

    /// The PNG picture of `glyph` in the font's largest strike.
    pub fn png(&self, glyph: u32) -> Option<&[u8]> {
        let font = skrifa::FontRef::new(&self.bytes).ok()?;
        let strikes = skrifa::bitmap::BitmapStrikes::new(&font);
        let bitmap = strikes
            .iter()
            .max_by(|a, b| a.ppem().total_cmp(&b.ppem()))?
            .get(skrifa::GlyphId::new(glyph))?;
        match bitmap.data {
            skrifa::bitmap::BitmapData::Png(png) => Some(png),
            _ => None,
        }
    }

    /// `cluster` as a picture `height` pixels high (and [`ASPECT`] times as wide), scaled down
    /// once with a smooth filter so it does not shimmer when egui draws it small.
    pub fn picture(&self, cluster: &str, height: u32) -> Option<egui::ColorImage> {
        let png = self.png(self.glyph(cluster)?)?;
        let image = image::load_from_memory_with_format(png, image::ImageFormat::Png)
            .ok()?
            .to_rgba8();
        let width = (height as f32 * ASPECT).round() as u32;
        let small =
            image::imageops::resize(&image, width, height, image::imageops::FilterType::Triangle);
        Some(egui::ColorImage::from_rgba_unmultiplied(
            [small.width() as usize, small.height() as usize],
            small.as_raw(),
        ))
    }
}

/// Characters of the Basic Multilingual Plane that show as emoji on their own
/// (`Emoji_Presentation=Yes`); others, like ♥ or ☺, are text unless VS16 follows them.
const BMP_EMOJI: &str = "⌚⌛⏩⏪⏫⏬⏰⏳◽◾☔☕♈♉♊♋♌♍♎♏♐♑♒♓♿⚓⚡⚪⚫⚽⚾⛄⛅⛎⛔⛪⛲⛳⛵⛺⛽✅✊✋✨❌❎❓❔❕❗➕➖➗➰➿⬛⬜⭐⭕";

/// Whether a grapheme cluster is an emoji to draw in colour: a character from the emoji planes,
/// one that shows as emoji on its own, or any sequence with VS16, a joiner or a keycap.
pub fn is_emoji_cluster(cluster: &str) -> bool {
    let Some(first) = cluster.chars().next() else {
        return false;
    };
    u32::from(first) >= 0x1f000
        || BMP_EMOJI.contains(first)
        || cluster.contains(['\u{fe0f}', '\u{200d}', '\u{20e3}'])
}

/// A run of a message: plain text, or one emoji cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Text egui draws itself.
    Text(&'a str),
    /// One emoji, drawn as a picture when the font has it.
    Emoji(&'a str),
}

/// `text` cut into runs of plain text and single emoji clusters, in order.
pub fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut text_start = None;
    for (at, cluster) in text.grapheme_indices(true) {
        if is_emoji_cluster(cluster) {
            if let Some(start) = text_start.take() {
                pieces.push(Piece::Text(&text[start..at]));
            }
            pieces.push(Piece::Emoji(cluster));
        } else if text_start.is_none() {
            text_start = Some(at);
        }
    }
    if let Some(start) = text_start {
        pieces.push(Piece::Text(&text[start..]));
    }
    pieces
}

/// The colour emoji pictures as egui textures, one per cluster, made once and kept.
#[derive(Resource, Default)]
pub struct EmojiImages {
    font: Option<EmojiFont>,
    /// Each cluster asked for: its texture, or `None` when the font cannot draw it.
    textures: HashMap<String, Option<egui::TextureHandle>>,
    /// Height of the pictures in pixels.
    height: u32,
    /// Whether the show's emoji have been made.
    warmed: bool,
}

impl EmojiImages {
    /// Pictures from `font`, `height` pixels high; without a font every emoji stays text.
    pub fn new(font: Option<EmojiFont>, height: u32) -> Self {
        Self {
            font,
            textures: HashMap::default(),
            height: height.max(8),
            warmed: false,
        }
    }

    /// Whether there is a colour emoji font.
    pub fn has_font(&self) -> bool {
        self.font.is_some()
    }

    /// The texture that draws `cluster`, made on first use.
    pub fn texture(&mut self, ctx: &egui::Context, cluster: &str) -> Option<egui::TextureId> {
        let font = self.font.as_ref()?;
        if let Some(known) = self.textures.get(cluster) {
            return known.as_ref().map(egui::TextureHandle::id);
        }
        let handle = font.picture(cluster, self.height).map(|picture| {
            ctx.load_texture(
                format!("emoji {cluster}"),
                picture,
                egui::TextureOptions::LINEAR,
            )
        });
        let id = handle.as_ref().map(egui::TextureHandle::id);
        self.textures.insert(cluster.to_owned(), handle);
        id
    }

    /// Makes the textures of every emoji in `texts` now (once), in a fixed order, so that a
    /// recording's first frame already has them whatever it starts at.
    pub fn warm<'a>(&mut self, ctx: &egui::Context, texts: impl IntoIterator<Item = &'a str>) {
        if self.font.is_none() || self.warmed {
            return;
        }
        self.warmed = true;
        let mut clusters = std::collections::BTreeSet::new();
        for text in texts {
            for piece in pieces(text) {
                if let Piece::Emoji(cluster) = piece {
                    clusters.insert(cluster);
                }
            }
        }
        let mut missing = Vec::new();
        for cluster in &clusters {
            if self.texture(ctx, cluster).is_none() {
                missing.push(*cluster);
            }
        }
        info!(
            "chat: {} colour emoji ready",
            clusters.len() - missing.len()
        );
        if !missing.is_empty() {
            // Not an error: a font older than an emoji draws it with egui's own glyphs.
            info!("chat: no colour picture for {}", missing.join(" "));
        }
    }
}

/// Reads the colour emoji font once, or says in one warning which package has it.
/// `ENCORE_NO_EMOJI_FONT=1` shows what a machine without it gets.
pub fn load_emoji_font() -> Option<EmojiFont> {
    let result = if std::env::var_os("ENCORE_NO_EMOJI_FONT").is_some() {
        Err(EmojiFontError::Read {
            path: PathBuf::from(EMOJI_FONT),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "ENCORE_NO_EMOJI_FONT is set",
            ),
        })
    } else {
        EmojiFont::load(Path::new(EMOJI_FONT))
    };
    match result {
        Ok(font) => Some(font),
        Err(error) => {
            warn!(
                "chat: {error}; install it with `sudo apt-get install {EMOJI_PACKAGE}` \
                 (scripts/setup.sh does), until then emoji are drawn in one colour"
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The emoji test set: VS16, a skin tone, Unicode 11, 14 and 15 emoji, a ZWJ sequence.
    pub(crate) const TEST_SET: [&str; 6] = [
        "\u{2764}\u{fe0f}",
        "\u{1f44f}\u{1f3fb}",
        "\u{1f97a}",
        "\u{1faf6}",
        "\u{1fa77}",
        "\u{1f469}\u{200d}\u{1f3a4}",
    ];

    /// The font, which `scripts/setup.sh` installs; missing, the test fails unless skipping
    /// the shared test data was asked for.
    fn font() -> Option<EmojiFont> {
        match EmojiFont::load(Path::new(EMOJI_FONT)) {
            Ok(font) => Some(font),
            Err(error) if encore_show::testdata::skipping_allowed() => {
                println!("skipped (ENCORE_ALLOW_NO_TESTDATA=1): {error}");
                None
            }
            Err(error) => panic!("{error}: run scripts/setup.sh (it installs {EMOJI_PACKAGE})"),
        }
    }

    #[test]
    fn each_emoji_of_the_test_set_is_one_glyph_with_a_picture() {
        let Some(font) = font() else {
            return;
        };
        for cluster in TEST_SET {
            let pieces = pieces(cluster);
            assert_eq!(
                pieces,
                [Piece::Emoji(cluster)],
                "{cluster:?} is one cluster"
            );
            let glyph = font
                .glyph(cluster)
                .unwrap_or_else(|| panic!("{cluster:?} shapes to one glyph"));
            let png = font.png(glyph).expect("the glyph has a picture");
            assert!(png.starts_with(b"\x89PNG"), "{cluster:?}");
            let picture = font.picture(cluster, 32).expect("the PNG decodes");
            assert_eq!(picture.size, [34, 32]);
            // In colour: some opaque pixel is far from grey.
            assert!(
                picture.pixels.iter().any(|pixel| {
                    let [r, g, b, a] = pixel.to_srgba_unmultiplied().map(i32::from);
                    a > 200 && (r - g).abs().max((g - b).abs()).max((r - b).abs()) > 80
                }),
                "{cluster:?} has colour"
            );
        }
        // Different emoji, different glyphs; the joined sequence is not the woman alone.
        let glyphs: std::collections::BTreeSet<u32> =
            TEST_SET.iter().filter_map(|c| font.glyph(c)).collect();
        assert_eq!(glyphs.len(), TEST_SET.len());
        assert_ne!(font.glyph("\u{1f469}"), font.glyph(TEST_SET[5]));
        // Two emoji are two glyphs, so never one picture.
        assert_eq!(font.glyph("\u{1f97a}\u{1faf6}"), None);
    }

    #[test]
    fn text_is_cut_into_plain_runs_and_emoji_clusters() {
        let text = "사랑해 \u{2764}\u{fe0f}\u{1f44f}\u{1f3fb} ok ♥ #1";
        assert_eq!(
            pieces(text),
            [
                Piece::Text("사랑해 "),
                Piece::Emoji("\u{2764}\u{fe0f}"),
                Piece::Emoji("\u{1f44f}\u{1f3fb}"),
                Piece::Text(" ok ♥ #1"),
            ]
        );
        assert_eq!(pieces(""), []);
        assert!(is_emoji_cluster("\u{1f1f0}\u{1f1f7}"));
        assert!(is_emoji_cluster("#\u{fe0f}\u{20e3}"));
        assert!(!is_emoji_cluster("♥") && !is_emoji_cluster("a"));
    }
}

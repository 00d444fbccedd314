//! Where the chat overlay sits in the frame and how long a message stays on it, as plain
//! functions of the style and of concert time: the overlay draws from them, and the camera
//! director can ask the same functions which part of the picture the chat covers (to keep
//! faces out of it) without knowing anything about egui.

pub use crate::setlist::raw::ChatStyle;

/// A rectangle as fractions of the frame: x from the left edge, y from the top edge, both
/// 0 to 1 (so `right` 1 is the right edge and `bottom` 1 the bottom edge).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameRect {
    /// Left edge, share of the frame's width.
    pub left: f32,
    /// Top edge, share of the frame's height.
    pub top: f32,
    /// Right edge, share of the frame's width.
    pub right: f32,
    /// Bottom edge, share of the frame's height.
    pub bottom: f32,
}

impl FrameRect {
    /// Its width, a share of the frame's.
    pub fn width(&self) -> f32 {
        self.right - self.left
    }

    /// Its height, a share of the frame's.
    pub fn height(&self) -> f32 {
        self.bottom - self.top
    }

    /// Whether the point `(x, y)` (shares of the frame) is inside.
    pub fn contains(&self, x: f32, y: f32) -> bool {
        (self.left..=self.right).contains(&x) && (self.top..=self.bottom).contains(&y)
    }

    /// Whether the two rectangles share any area.
    pub fn overlaps(&self, other: &FrameRect) -> bool {
        self.left < other.right
            && other.left < self.right
            && self.top < other.bottom
            && other.top < self.bottom
    }
}

/// Margin kept between the chat and the frame's edges, a share of the frame's height.
const EDGE: f32 = 0.045;

/// The part of the frame the chat may draw in for `style`, `None` when it is off.
/// `reserved_bottom` is the share of the frame's height kept free at the bottom (the window's
/// transport bar; 0 in recordings). Messages fill it from the bottom up, so what the chat
/// covers at a given instant is inside this rectangle and usually smaller.
pub fn chat_area(style: ChatStyle, reserved_bottom: f32) -> Option<FrameRect> {
    let bottom = 1.0 - EDGE - reserved_bottom.clamp(0.0, 0.5);
    match style {
        ChatStyle::Side => Some(FrameRect {
            left: 0.745,
            top: (0.4 - reserved_bottom * 0.5).max(0.06),
            right: 0.985,
            bottom,
        }),
        ChatStyle::LowerThird => Some(FrameRect {
            left: 0.02,
            top: bottom - 0.2,
            right: 0.52,
            bottom,
        }),
        ChatStyle::Off => None,
    }
}

/// Most messages shown at once in a style (the oldest leave first).
pub fn max_lines(style: ChatStyle) -> usize {
    match style {
        ChatStyle::Side => 12,
        ChatStyle::LowerThird => 4,
        ChatStyle::Off => 0,
    }
}

/// Seconds a message takes to appear, stays fully shown, and takes to fade out.
pub const MESSAGE_TIMES: [f64; 3] = [0.25, 6.0, 1.5];

/// Seconds after which a message is gone from the overlay.
pub fn message_lifetime() -> f64 {
    MESSAGE_TIMES.iter().sum()
}

/// How visible a message is `age` seconds (of concert time) after it was written: it fades in,
/// holds, and fades out, 0 to 1. A function of the time alone, so a recording shows the same
/// message equally faded whatever frame it started at.
pub fn message_alpha(age: f64) -> f32 {
    let [appear, hold, fade] = MESSAGE_TIMES;
    let alpha = if !(0.0..message_lifetime()).contains(&age) {
        0.0
    } else if age < appear {
        age / appear
    } else if age < appear + hold {
        1.0
    } else {
        (appear + hold + fade - age) / fade
    };
    alpha.clamp(0.0, 1.0) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_fade_in_hold_and_fade_out_with_concert_time() {
        assert_eq!(message_alpha(-0.1), 0.0);
        assert_eq!(message_alpha(0.0), 0.0);
        assert!((message_alpha(0.125) - 0.5).abs() < 1e-6);
        assert_eq!(message_alpha(3.0), 1.0);
        assert!((message_alpha(6.25 + 0.75) - 0.5).abs() < 1e-6);
        assert_eq!(message_alpha(message_lifetime()), 0.0);
        assert_eq!(message_alpha(60.0), 0.0);
    }

    #[test]
    fn the_styles_leave_the_middle_of_the_frame_free() {
        let middle = FrameRect {
            left: 0.3,
            top: 0.1,
            right: 0.7,
            bottom: 0.7,
        };
        for style in [ChatStyle::Side, ChatStyle::LowerThird] {
            let area = chat_area(style, 0.0).expect("a visible style has an area");
            assert!(!area.overlaps(&middle), "{style:?}: {area:?}");
            assert!(area.left >= 0.0 && area.right <= 1.0 && area.bottom <= 1.0);
            assert!(area.width() <= 0.5, "{style:?} is narrow");
            // The window's transport bar lifts it.
            let lifted = chat_area(style, 0.12).expect("still visible");
            assert!(lifted.bottom < area.bottom - 0.1 && lifted.height() > 0.1);
        }
        let side = chat_area(ChatStyle::Side, 0.0).expect("visible");
        assert!(side.contains(0.9, 0.8) && !side.contains(0.9, 0.2));
        let lower = chat_area(ChatStyle::LowerThird, 0.0).expect("visible");
        assert!(lower.contains(0.1, 0.9) && !lower.contains(0.9, 0.9));
        assert_eq!(chat_area(ChatStyle::Off, 0.0), None);
    }

    #[test]
    fn the_setlist_chooses_the_style() {
        let concert = |chat: &str| {
            format!(
                r##"Concert(title: "T", {chat} cast: [(id: "a", name: "A", colour: "#ff6fae")],
                   program: [Song(title: "S", bpm: 120, length: "bar 9")])"##
            )
        };
        let style = |chat: &str| {
            let (setlist, report) =
                crate::setlist::validate::check(std::path::Path::new("t.ron"), &concert(chat));
            setlist.unwrap_or_else(|| panic!("{report}")).chat_style
        };
        assert_eq!(style(""), ChatStyle::Side);
        assert_eq!(style("chat: (),"), ChatStyle::Side);
        assert_eq!(style("chat: (style: LowerThird),"), ChatStyle::LowerThird);
        assert_eq!(style("chat: (style: Off),"), ChatStyle::Off);
    }
}

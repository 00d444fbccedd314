//! Chat messages, the bounded store the overlay reads, and the sanitiser every message goes
//! through whatever its source (setlist, generated fans, the viewer, a replayed log).

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

/// A badge next to a user name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Badge {
    /// Official fan club member.
    FanClub,
    /// Her pick (bias) in the group: the member's id.
    Pick(String),
    /// A VIP ticket.
    Vip,
    /// A chat moderator.
    Moderator,
}

/// What kind of message, which sets how it is drawn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub enum MessageKind {
    /// A plain line.
    #[default]
    Normal,
    /// A paid, highlighted message: the amount (in won) and its colour.
    Highlight {
        /// Amount paid.
        amount: u32,
        /// Highlight colour, `[r, g, b]`.
        colour: [u8; 3],
    },
    /// A notice from the show itself (song titles, the encore call).
    System,
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Concert seconds when it appears.
    pub at: f64,
    /// Who wrote it.
    pub user: String,
    /// The user name's colour, `[r, g, b]`.
    #[serde(default = "default_user_colour")]
    pub colour: [u8; 3],
    /// Badges shown before the name.
    #[serde(default)]
    pub badges: Vec<Badge>,
    /// Normal, highlighted or a notice.
    #[serde(default)]
    pub kind: MessageKind,
    /// The text, sanitised.
    pub text: String,
}

fn default_user_colour() -> [u8; 3] {
    [200, 200, 220]
}

impl ChatMessage {
    /// Bytes this message holds, for the store's memory cap.
    pub fn bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.user.capacity()
            + self.text.capacity()
            + self.badges.capacity() * std::mem::size_of::<Badge>()
    }
}

/// Longest message kept, in characters; longer ones are cut with an ellipsis.
pub const MAX_CHARS: usize = 200;

/// Longest user name, in characters.
pub const MAX_NAME_CHARS: usize = 24;

/// Runs of one character longer than this collapse to three and a count (`ㅋㅋㅋ x12`).
const MAX_RUN: usize = 5;

/// Cleans a message's text: control characters and bidirectional overrides removed (they can
/// reorder or hide what the chat shows), whitespace squeezed, long runs of one character
/// collapsed, words of `filter` masked, and the length capped at a grapheme boundary (an
/// emoji sequence is kept whole or left out). The zero-width joiner stays between two visible
/// characters, where it joins emoji sequences (👩‍🎤). `None` when nothing is left.
pub fn sanitise(text: &str, filter: &[String]) -> Option<String> {
    let chars: Vec<char> = text
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control() && (!is_bidi_control(*c) || *c == ZWJ))
        .collect();
    let visible = |c: Option<&char>| c.is_some_and(|c| *c != ' ' && *c != ZWJ);
    let clean: String = chars
        .iter()
        .enumerate()
        .filter(|(index, c)| {
            **c != ZWJ
                || (index
                    .checked_sub(1)
                    .is_some_and(|before| visible(chars.get(before)))
                    && visible(chars.get(index + 1)))
        })
        .map(|(_, c)| *c)
        .collect();
    let mut squeezed = String::with_capacity(clean.len());
    for word in clean.split(' ').filter(|word| !word.is_empty()) {
        if !squeezed.is_empty() {
            squeezed.push(' ');
        }
        squeezed.push_str(word);
    }
    let collapsed = collapse_runs(&squeezed);
    let masked = mask(&collapsed, filter);
    if masked.is_empty() {
        return None;
    }
    if masked.chars().count() > MAX_CHARS {
        let mut cut = String::with_capacity(masked.len());
        let mut count = 0;
        for cluster in masked.graphemes(true) {
            count += cluster.chars().count();
            if count > MAX_CHARS - 1 {
                break;
            }
            cut.push_str(cluster);
        }
        cut.push('…');
        return Some(cut);
    }
    Some(masked)
}

/// The zero-width joiner, which glues emoji into one (👩 + 🎤 = 👩‍🎤).
const ZWJ: char = '\u{200d}';

/// A user name: sanitised without collapsing, capped shorter; `"fan"` when nothing is left.
pub fn sanitise_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c) && !c.is_whitespace())
        .take(MAX_NAME_CHARS)
        .collect();
    if clean.is_empty() {
        "fan".to_owned()
    } else {
        clean
    }
}

/// Marks that change the direction text is laid out in (U+200E/F, U+202A to U+202E, U+2066
/// to U+2069) or hide characters (U+200B to U+200D, U+FEFF).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

fn collapse_runs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        let run = chars[index..].iter().take_while(|next| **next == c).count();
        if run > MAX_RUN && !c.is_whitespace() {
            out.extend(std::iter::repeat_n(c, 3));
            out.push_str(&format!(" x{run}"));
        } else {
            out.extend(std::iter::repeat_n(c, run));
        }
        index += run;
    }
    out
}

fn mask(text: &str, filter: &[String]) -> String {
    let mut out = text.to_owned();
    for word in filter.iter().filter(|word| !word.trim().is_empty()) {
        let lower = out.to_lowercase();
        let needle = word.to_lowercase();
        // Replace from the end so earlier byte offsets stay valid.
        let found: Vec<usize> = lower.match_indices(&needle).map(|(at, _)| at).collect();
        for at in found.into_iter().rev() {
            if out.is_char_boundary(at) && out.is_char_boundary(at + needle.len()) {
                let hidden = "♡".repeat(needle.chars().count().min(5));
                out.replace_range(at..at + needle.len(), &hidden);
            }
        }
    }
    out
}

/// The messages the overlay can show: the newest, up to a memory cap; older ones fall off.
#[derive(Debug, Clone)]
pub struct ChatStore {
    messages: VecDeque<ChatMessage>,
    bytes: usize,
    cap: usize,
    dropped: u64,
}

impl ChatStore {
    /// An empty store holding at most `cap` bytes of messages.
    pub fn new(cap: usize) -> Self {
        Self {
            messages: VecDeque::new(),
            bytes: 0,
            cap,
            dropped: 0,
        }
    }

    /// Adds a message, dropping the oldest ones past the cap.
    pub fn push(&mut self, message: ChatMessage) {
        self.bytes += message.bytes();
        self.messages.push_back(message);
        while self.bytes > self.cap {
            let Some(old) = self.messages.pop_front() else {
                break;
            };
            self.bytes -= old.bytes();
            self.dropped += 1;
        }
    }

    /// Forgets everything (a seek rebuilds the store).
    pub fn clear(&mut self) {
        self.messages.clear();
        self.bytes = 0;
    }

    /// The messages, oldest first.
    pub fn messages(&self) -> &VecDeque<ChatMessage> {
        &self.messages
    }

    /// Bytes held now.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The cap in bytes.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Messages dropped for the cap so far.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitising_strips_controls_and_overrides_and_collapses_spam() {
        assert_eq!(
            sanitise("  hello\tworld \n", &[]),
            Some("hello world".into())
        );
        // A right-to-left override would show this reversed; a zero-width space hides.
        assert_eq!(
            sanitise("abc\u{202e}def\u{200b}g", &[]),
            Some("abcdefg".into())
        );
        assert_eq!(sanitise("\u{7}\u{1b}[31m", &[]), Some("[31m".into()));
        assert_eq!(
            sanitise("ㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋ", &[]),
            Some("ㅋㅋㅋ x12".into())
        );
        assert_eq!(sanitise("ㅋㅋㅋㅋ", &[]), Some("ㅋㅋㅋㅋ".into()));
        assert_eq!(sanitise(" \u{202e} ", &[]), None);
        let long = "가".repeat(150) + &"a b ".repeat(100);
        let cut = sanitise(&long, &[]).expect("text");
        assert_eq!(cut.chars().count(), MAX_CHARS);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn emoji_sequences_keep_their_joiners_and_are_never_cut_in_half() {
        // 👩‍🎤 (woman, ZWJ, microphone), ❤️ (heart, VS16), 👏🏻 (clap, skin tone).
        let set = "\u{2764}\u{fe0f} \u{1f44f}\u{1f3fb} \u{1f97a} \u{1faf6} \u{1fa77} \u{1f469}\u{200d}\u{1f3a4}";
        assert_eq!(sanitise(set, &[]).as_deref(), Some(set));
        // A joiner with nothing to join hides nothing and goes.
        assert_eq!(
            sanitise("a \u{200d}b\u{200d} \u{200d}", &[]),
            Some("a b".into())
        );
        // Cut where a whole sequence ends, never inside one.
        let start = "ab".repeat((MAX_CHARS - 3) / 2);
        let long = start.clone() + "a\u{1f469}\u{200d}\u{1f3a4}\u{1f469}\u{200d}\u{1f3a4}";
        let cut = sanitise(&long, &[]).expect("text");
        assert_eq!(cut, start + "a…");
        assert!(cut.chars().count() <= MAX_CHARS);
    }

    #[test]
    fn the_word_filter_masks_any_case() {
        let filter = vec!["spoiler".to_owned()];
        assert_eq!(
            sanitise("no SPOILER please, spoiler!", &filter),
            Some("no ♡♡♡♡♡ please, ♡♡♡♡♡!".into())
        );
        assert_eq!(sanitise_name("\u{202e}evil name\n"), "evilname");
        assert_eq!(sanitise_name("\u{200b}"), "fan");
    }

    #[test]
    fn the_store_keeps_to_its_cap() {
        let mut store = ChatStore::new(64 * 1024);
        for index in 0..100_000 {
            store.push(ChatMessage {
                at: f64::from(index) * 0.001,
                user: format!("fan{index}"),
                colour: [1, 2, 3],
                badges: Vec::new(),
                kind: MessageKind::Normal,
                text: "사랑해요 💗 encore!".into(),
            });
            assert!(store.bytes() <= store.cap());
        }
        assert!(store.dropped() > 90_000);
        assert_eq!(
            store.messages().back().map(|message| message.user.as_str()),
            Some("fan99999")
        );
    }
}

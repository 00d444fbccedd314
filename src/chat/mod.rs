//! The fan chat: messages from the setlist's script, generated fan chatter that reacts to the
//! show, the viewer's own typing and replayed chat logs, sanitised and kept in a bounded store,
//! and drawn with egui over the show in the window and in recordings alike.
//!
//! The model (`message`, `chatter`, `log`) is plain Rust; only `overlay` knows egui.

pub use encore_show::chat::{chatter, log, look, message};
pub mod emoji;
mod overlay;

use std::path::PathBuf;

use bevy::prelude::*;

use crate::setlist::ShowSetlist;

pub use self::{
    chatter::ChatPlan,
    message::{ChatMessage, ChatStore},
};
use crate::{AppSystems, clock::ConcertClock};

pub(crate) fn plugin(app: &mut App) {
    app.init_resource::<ChatFeed>();
    app.init_resource::<ChatSettings>();
    app.add_systems(
        Update,
        (plan_chat, feed_chat).chain().in_set(AppSystems::Overlay),
    );
    app.add_systems(Last, report_chat);
    app.add_plugins(overlay::plugin);
}

pub use self::overlay::{glyphs_to_warm, install_fonts};

/// Memory the chat may hold for its visible history.
pub const STORE_CAP_BYTES: usize = 2 * 1024 * 1024;

/// Messages kept when the playhead jumps: the newest this many before the new time.
const HISTORY_AFTER_JUMP: usize = 200;

pub use encore_show::chat::look::{ChatStyle, FrameRect, chat_area};

/// Where the chat overlay may draw this frame, as shares of the frame (x from the left, y from
/// the top), so that others (the camera director) can keep faces out of it. Updated in
/// `PreUpdate` from [`ChatSettings::style`] with [`chat_area`]; in recordings it is exactly
/// `chat_area(style, 0.0)`, in the window the transport bar's height is kept free below it.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Default)]
pub struct ChatArea {
    /// The style it was placed for.
    pub style: ChatStyle,
    /// The rectangle, `None` when the chat is off.
    pub area: Option<FrameRect>,
}

/// How the chat looks; T toggles it in the window.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct ChatSettings {
    /// Where and how it is drawn, or off.
    pub style: ChatStyle,
    /// Opacity of the pill behind each message, 0 to 1.
    pub opacity: f32,
    /// Text size in points.
    pub font_size: f32,
    /// The viewer's name for typed messages.
    pub name: String,
    /// Whether the style follows the setlist's `chat` when it is edited (not when the command
    /// line chose one).
    pub follows_setlist: bool,
}

impl Default for ChatSettings {
    fn default() -> Self {
        Self {
            style: ChatStyle::Side,
            opacity: 0.6,
            font_size: 13.0,
            name: "you".into(),
            follows_setlist: true,
        }
    }
}

/// Where the chat comes from and what it shows now.
#[derive(Resource, Debug)]
pub struct ChatFeed {
    /// The setlist's scripted and generated messages.
    pub plan: ChatPlan,
    /// Messages from outside the setlist (a replayed log, the viewer's typing), by time.
    pub extra: Vec<ChatMessage>,
    /// What has appeared, newest last, within the memory cap.
    pub store: ChatStore,
    /// Messages per second poured in on top (`--chat-flood`, for the flood benchmark).
    pub flood: u32,
    /// Whether generated fans chat (`--no-chatter` turns them off).
    pub chatter: bool,
    /// Where the shown messages are appended as JSON lines (`--save-chat`).
    pub save: Option<log::ChatSaver>,
    next_plan: usize,
    next_extra: usize,
    shown_at: f64,
    saved_plan: usize,
    saved_extra: usize,
    flooded: u64,
}

impl Default for ChatFeed {
    fn default() -> Self {
        Self {
            plan: ChatPlan::default(),
            extra: Vec::new(),
            store: ChatStore::new(STORE_CAP_BYTES),
            flood: 0,
            chatter: true,
            save: None,
            next_plan: 0,
            next_extra: 0,
            shown_at: f64::NEG_INFINITY,
            saved_plan: 0,
            saved_extra: 0,
            flooded: 0,
        }
    }
}

impl ChatFeed {
    /// Adds a message from outside the plan (typed, replayed) in time order.
    pub fn add(&mut self, message: ChatMessage) {
        let at = self
            .extra
            .partition_point(|existing| existing.at <= message.at);
        self.extra.insert(at, message);
    }

    /// Shows everything up to `seconds`: new messages in order, or after a jump, the newest
    /// ones before it.
    pub fn show_until(&mut self, seconds: f64) {
        let jumped = seconds < self.shown_at || seconds - self.shown_at > 2.0;
        let plan_end = self.plan.shown_by(seconds);
        let extra_end = self.extra.partition_point(|message| message.at <= seconds);
        if jumped {
            self.store.clear();
            self.next_plan = plan_end.saturating_sub(HISTORY_AFTER_JUMP);
            self.next_extra = extra_end.saturating_sub(HISTORY_AFTER_JUMP);
        }
        // Merge the two sources by time.
        while self.next_plan < plan_end || self.next_extra < extra_end {
            let from_plan = match (
                self.plan.messages.get(self.next_plan),
                self.extra.get(self.next_extra),
            ) {
                (Some(plan), Some(extra))
                    if self.next_plan < plan_end && self.next_extra < extra_end =>
                {
                    plan.at <= extra.at
                }
                _ => self.next_plan < plan_end,
            };
            // Each message is saved once, also when a jump back shows it again.
            let (message, fresh) = if from_plan {
                self.next_plan += 1;
                let fresh = self.next_plan > self.saved_plan;
                self.saved_plan = self.saved_plan.max(self.next_plan);
                (self.plan.messages[self.next_plan - 1].clone(), fresh)
            } else {
                self.next_extra += 1;
                let fresh = self.next_extra > self.saved_extra;
                self.saved_extra = self.saved_extra.max(self.next_extra);
                (self.extra[self.next_extra - 1].clone(), fresh)
            };
            if fresh && let Some(save) = &mut self.save {
                save.write(&message);
            }
            self.store.push(message);
        }
        self.shown_at = seconds;
    }
}

fn plan_chat(
    setlist: Res<ShowSetlist>,
    clock: Res<ConcertClock>,
    mut feed: ResMut<ChatFeed>,
    mut settings: ResMut<ChatSettings>,
) {
    if setlist.is_changed() {
        if settings.follows_setlist && !setlist.is_added() {
            settings.style = setlist.chat_style;
        }
        feed.plan = ChatPlan::new(&setlist, feed.chatter);
        // Show the new plan from scratch at the current time; save it from here on.
        feed.shown_at = f64::NEG_INFINITY;
        // A reload keeps what was saved; the first plan saves from the start.
        feed.saved_plan = if setlist.is_added() {
            0
        } else {
            feed.plan.shown_by(clock.seconds)
        };
    }
}

/// Logs what the chat held when the show ends (the flood benchmark reads it).
fn report_chat(mut exits: MessageReader<AppExit>, feed: Res<ChatFeed>) {
    if exits.read().next().is_some() {
        info!(
            "chat: {} messages held ({} KiB of a {} KiB cap), {} dropped for the cap",
            feed.store.messages().len(),
            feed.store.bytes() / 1024,
            feed.store.cap() / 1024,
            feed.store.dropped()
        );
    }
}

fn feed_chat(
    clock: Res<ConcertClock>,
    time: Res<Time>,
    setlist: Res<ShowSetlist>,
    mut feed: ResMut<ChatFeed>,
) {
    feed.show_until(clock.seconds);
    if feed.flood > 0 {
        // A flood pours in as fast as asked, through the same sanitiser as everything else.
        let due = (time.elapsed_secs_f64() * f64::from(feed.flood)) as u64;
        while feed.flooded < due {
            feed.flooded += 1;
            let number = feed.flooded;
            let text = format!("flood {number} ㅋㅋㅋㅋㅋㅋㅋ 💗 encore");
            if let Some(text) = message::sanitise(&text, &setlist.chat_filter) {
                feed.store.push(ChatMessage {
                    at: clock.seconds,
                    user: format!("bot{}", number % 977),
                    colour: [180, 180, 200],
                    badges: Vec::new(),
                    kind: message::MessageKind::Normal,
                    text,
                });
            }
        }
    }
}

/// The chat options of `encore play`.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatOptions {
    /// A chat export to replay with the show.
    pub log: Option<PathBuf>,
    /// Where to save the chat as it is shown.
    pub save: Option<PathBuf>,
    /// How the overlay looks; the setlist's `chat: (style: ..)` when `None`.
    pub style: Option<ChatStyle>,
    /// The viewer's name.
    pub name: Option<String>,
    /// Messages per second to flood in (benchmark).
    pub flood: u32,
    /// No generated fan chatter, only scripted, replayed and typed messages.
    pub no_chatter: bool,
    /// Background opacity, 0 to 1.
    pub opacity: f32,
    /// Text size in points.
    pub font_size: f32,
}

impl Default for ChatOptions {
    fn default() -> Self {
        let settings = ChatSettings::default();
        Self {
            log: None,
            save: None,
            style: None,
            name: None,
            flood: 0,
            no_chatter: false,
            opacity: settings.opacity,
            font_size: settings.font_size,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(at: f64, text: &str) -> ChatMessage {
        ChatMessage {
            at,
            user: "fan".into(),
            colour: [1, 1, 1],
            badges: Vec::new(),
            kind: message::MessageKind::Normal,
            text: text.into(),
        }
    }

    #[test]
    fn the_feed_merges_sources_in_time_and_rebuilds_after_a_jump() {
        let mut feed = ChatFeed::default();
        feed.plan.messages = vec![message(1.0, "plan a"), message(3.0, "plan b")];
        feed.add(message(2.0, "typed"));
        feed.show_until(2.5);
        let texts = |feed: &ChatFeed| -> Vec<String> {
            feed.store
                .messages()
                .iter()
                .map(|m| m.text.clone())
                .collect()
        };
        assert_eq!(texts(&feed), ["plan a", "typed"]);
        feed.show_until(3.5);
        assert_eq!(texts(&feed), ["plan a", "typed", "plan b"]);
        // Back to 1.5 s: only what had been said by then.
        feed.show_until(1.5);
        assert_eq!(texts(&feed), ["plan a"]);
    }
}

//! Chat logs: replaying a chat export with the show (`--chat-log FILE`) and saving the
//! session's chat in the same format (`--save-chat FILE`). The format is documented in
//! docs/chat.md: JSON lines (`{"at": 12.5, "user": "moa", "text": "hi"}`), or plain text lines
//! `[1:05.5] moa: hi`. Every message goes through the same sanitiser as the rest of the chat.

use std::{
    fs::File,
    io::{BufWriter, Write},
    path::{Path, PathBuf},
};

use super::message::{ChatMessage, MessageKind, sanitise, sanitise_name};

/// How to write a chat line, for messages.
const HINT: &str = "write `[1:05.5] user: message` or a JSON line";

/// Why a line of a chat log was skipped.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LineProblem {
    #[error(
        "not a chat message ({0}); write {{\"at\": 12.5, \"user\": \"moa\", \"text\": \"hi\"}}"
    )]
    Json(String),
    #[error("no closing `]` after the time; {HINT}")]
    NoClosingBracket,
    #[error("no time before the message; {HINT}")]
    NoTime,
    #[error("no `user:` before the message; {HINT}")]
    NoUser,
    #[error("`{0}` is not a time; {HINT}")]
    NotATime(String),
    #[error("the time {0} is not a concert time; use seconds from the start, 0 or more")]
    NotAConcertTime(f64),
}

/// A line of a chat log that could not be read, shown as `FILE:LINE: what is wrong`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}:{line}: {problem}", path.display())]
pub struct SkippedLine {
    pub path: PathBuf,
    /// From 1.
    pub line: usize,
    pub problem: LineProblem,
}

/// A chat file that cannot be written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("cannot write the chat to {}: {reason}", path.display())]
pub struct ChatSaveError {
    pub path: PathBuf,
    pub reason: String,
}

/// The messages of a chat log and the lines that could not be read.
pub fn read(path: &Path, text: &str, filter: &[String]) -> (Vec<ChatMessage>, Vec<SkippedLine>) {
    let mut messages = Vec::new();
    let mut problems = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parsed = if line.starts_with('{') {
            serde_json::from_str::<ChatMessage>(line)
                .map_err(|error| LineProblem::Json(error.to_string()))
        } else {
            text_line(line)
        };
        match parsed {
            Ok(mut message) if message.at.is_finite() && message.at >= 0.0 => {
                message.user = sanitise_name(&message.user);
                if let Some(text) = sanitise(&message.text, filter) {
                    message.text = text;
                    messages.push(message);
                }
            }
            Ok(message) => problems.push(SkippedLine {
                path: path.to_owned(),
                line: number + 1,
                problem: LineProblem::NotAConcertTime(message.at),
            }),
            Err(problem) => problems.push(SkippedLine {
                path: path.to_owned(),
                line: number + 1,
                problem,
            }),
        }
    }
    messages.sort_by(|a, b| a.at.total_cmp(&b.at));
    (messages, problems)
}

/// `[1:05.5] moa: hi` or `65.5 moa: hi`.
fn text_line(line: &str) -> Result<ChatMessage, LineProblem> {
    let (time, rest) = if let Some(rest) = line.strip_prefix('[') {
        rest.split_once(']').ok_or(LineProblem::NoClosingBracket)?
    } else {
        line.split_once(' ').ok_or(LineProblem::NoTime)?
    };
    let (user, text) = rest.trim().split_once(':').ok_or(LineProblem::NoUser)?;
    let at =
        parse_time(time.trim()).ok_or_else(|| LineProblem::NotATime(time.trim().to_owned()))?;
    Ok(ChatMessage {
        at,
        user: user.trim().to_owned(),
        colour: [200, 200, 220],
        badges: Vec::new(),
        kind: MessageKind::Normal,
        text: text.trim().to_owned(),
    })
}

/// `65.5`, `1:05.5` or `1:01:05`.
fn parse_time(text: &str) -> Option<f64> {
    text.split(':').try_fold(0.0, |total: f64, part| {
        let value: f64 = part.parse().ok()?;
        (value >= 0.0).then_some(total * 60.0 + value)
    })
}

/// Appends each shown message to a file as a JSON line, flushed as it goes so nothing is lost
/// if the show is stopped.
#[derive(Debug)]
pub struct ChatSaver {
    path: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl ChatSaver {
    /// Creates (or empties) `path`.
    pub fn create(path: &Path) -> Result<Self, ChatSaveError> {
        let file = File::create(path).map_err(|error| ChatSaveError {
            path: path.to_owned(),
            reason: error.to_string(),
        })?;
        Ok(Self {
            path: path.to_owned(),
            writer: Some(BufWriter::new(file)),
        })
    }

    /// Writes one message; after a write error it logs once and stops.
    pub fn write(&mut self, message: &ChatMessage) {
        let Some(writer) = &mut self.writer else {
            return;
        };
        let line = serde_json::to_string(message).unwrap_or_default();
        if let Err(error) = writeln!(writer, "{line}").and_then(|()| writer.flush()) {
            tracing::warn!(
                "chat: stopped saving to {}: {error}; the show goes on",
                self.path.display()
            );
            self.writer = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_json_and_text_lines_and_names_bad_ones() {
        let text = "# a comment\n\
            {\"at\": 12.5, \"user\": \"moa\", \"text\": \"안녕 \\u202e!\"}\n\
            [1:05.5] sakura_jp: 最高！\n\
            70 luis: otra\n\
            [oops] nobody: hi\n\
            {\"at\": -3, \"user\": \"x\", \"text\": \"y\"}\n\
            just words\n";
        let (messages, problems) = read(Path::new("chat.txt"), text, &[]);
        let got: Vec<(f64, &str, &str)> = messages
            .iter()
            .map(|m| (m.at, m.user.as_str(), m.text.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (12.5, "moa", "안녕 !"),
                (65.5, "sakura_jp", "最高！"),
                (70.0, "luis", "otra")
            ]
        );
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(
            problems[0]
                .to_string()
                .starts_with("chat.txt:5: `oops` is not a time"),
            "{problems:?}"
        );
        assert!(
            problems[1]
                .to_string()
                .starts_with("chat.txt:6: the time -3"),
            "{problems:?}"
        );
        assert!(
            problems[2].to_string().starts_with("chat.txt:7:"),
            "{problems:?}"
        );
    }

    #[test]
    fn saved_chat_reads_back_the_same() {
        let path = std::env::temp_dir().join("encore-chat-save-test.jsonl");
        let message = ChatMessage {
            at: 3.25,
            user: "moa".into(),
            colour: [1, 2, 3],
            badges: vec![super::super::message::Badge::Vip],
            kind: MessageKind::Highlight {
                amount: 5000,
                colour: [255, 0, 0],
            },
            text: "사랑해요 💗".into(),
        };
        let mut saver = ChatSaver::create(&path).expect("temp is writable");
        saver.write(&message);
        drop(saver);
        let text = std::fs::read_to_string(&path).expect("saved");
        let (messages, problems) = read(&path, &text, &[]);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(messages, [message]);
    }
}

//! Where each value sits in a RON file, so a semantic error ("unknown idol") can point at the
//! exact characters like a syntax error does. serde forgets positions once a value is read,
//! so this walks the source once more and records the byte span of every value by its path
//! (`program[2].sections[1].bars`).
//!
//! It is deliberately forgiving: on text it does not understand it stops descending and
//! keeps what it has. It never panics and never fails; the worst case is a coarser location.

use std::ops::Range;

/// One step of a path into the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    /// A named field of a struct or struct-like enum variant.
    Field(&'a str),
    /// The n-th element of a list or tuple (0-based).
    Index(usize),
}

/// A value in the source and, for structs, lists and tuples, its children.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Byte range of the whole value.
    pub span: Range<usize>,
    /// Named children (structs, `Variant(field: ...)`).
    pub fields: Vec<(String, Node)>,
    /// Positional children (lists, tuples, `Variant(a, b)`).
    pub items: Vec<Node>,
}

impl Node {
    /// Parses the top-level value of `source`.
    pub fn parse(source: &str) -> Node {
        let mut scanner = Scanner {
            bytes: source.as_bytes(),
            at: 0,
            depth: 0,
        };
        scanner.skip_attributes();
        scanner.value().unwrap_or(Node {
            span: 0..source.len(),
            fields: Vec::new(),
            items: Vec::new(),
        })
    }

    /// The span of the deepest value along `path` that exists: a missing field points at its
    /// parent, where the author would add it.
    pub fn locate(&self, path: &[Step]) -> Range<usize> {
        let mut node = self;
        for step in path {
            let next = match *step {
                Step::Field(name) => node
                    .fields
                    .iter()
                    .find(|(field, _)| field == name)
                    .map(|(_, child)| child)
                    // `Variant(value)` written for a newtype variant: look inside it.
                    .or_else(|| {
                        node.items
                            .first()
                            .and_then(|inner| inner.fields.iter().find(|(field, _)| field == name))
                            .map(|(_, child)| child)
                    }),
                Step::Index(index) => node.items.get(index),
            };
            match next {
                Some(child) => node = child,
                None => break,
            }
        }
        node.span.clone()
    }
}

/// Nesting deeper than this is not indexed (and is not a setlist anyone writes).
const MAX_DEPTH: usize = 64;

struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
    depth: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while let Some(byte) = self.peek() {
            if byte.is_ascii_whitespace() {
                self.at += 1;
            } else if self.bytes[self.at..].starts_with(b"//") {
                while self.peek().is_some_and(|byte| byte != b'\n') {
                    self.at += 1;
                }
            } else if self.bytes[self.at..].starts_with(b"/*") {
                self.at += 2;
                let mut nesting = 1;
                while nesting > 0 && self.at < self.bytes.len() {
                    if self.bytes[self.at..].starts_with(b"/*") {
                        nesting += 1;
                        self.at += 2;
                    } else if self.bytes[self.at..].starts_with(b"*/") {
                        nesting -= 1;
                        self.at += 2;
                    } else {
                        self.at += 1;
                    }
                }
            } else {
                break;
            }
        }
    }

    /// `#![enable(...)]` lines before the value.
    fn skip_attributes(&mut self) {
        loop {
            self.skip_space();
            if !self.bytes[self.at..].starts_with(b"#![") {
                return;
            }
            while self.peek().is_some_and(|byte| byte != b']') {
                self.at += 1;
            }
            self.at = (self.at + 1).min(self.bytes.len());
        }
    }

    fn identifier(&mut self) -> Option<Range<usize>> {
        let start = self.at;
        if self.bytes[self.at..].starts_with(b"r#") {
            self.at += 2;
        }
        while self
            .peek()
            .is_some_and(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80)
        {
            self.at += 1;
        }
        (self.at > start).then_some(start..self.at)
    }

    fn value(&mut self) -> Option<Node> {
        self.skip_space();
        if self.depth >= MAX_DEPTH {
            return None;
        }
        let start = self.at;
        let leaf = |end: usize| Node {
            span: start..end,
            fields: Vec::new(),
            items: Vec::new(),
        };
        match self.peek()? {
            b'(' | b'[' | b'{' => self.group(start),
            b'"' => {
                self.string();
                Some(leaf(self.at))
            }
            b'r' if self.raw_string_ahead() => {
                self.raw_string();
                Some(leaf(self.at))
            }
            b'\'' => {
                self.at += 1;
                while let Some(byte) = self.peek() {
                    self.at += 1;
                    match byte {
                        b'\\' => self.at += 1,
                        b'\'' => break,
                        _ => {}
                    }
                }
                self.at = self.at.min(self.bytes.len());
                Some(leaf(self.at))
            }
            byte if byte.is_ascii_alphabetic() || byte == b'_' => {
                self.identifier();
                let after_name = self.at;
                self.skip_space();
                if self.peek() == Some(b'(') {
                    self.group(start)
                } else {
                    self.at = after_name;
                    Some(leaf(after_name))
                }
            }
            _ => {
                // Numbers and anything else up to the next delimiter.
                while self
                    .peek()
                    .is_some_and(|byte| !byte.is_ascii_whitespace() && !b",)]}:".contains(&byte))
                {
                    self.at += 1;
                }
                (self.at > start).then(|| leaf(self.at))
            }
        }
    }

    /// Whether a raw string (`r"..."`, `r#"..."#`) starts at the cursor, rather than an
    /// identifier or a raw identifier (`r#type`).
    fn raw_string_ahead(&self) -> bool {
        let rest = &self.bytes[self.at..];
        let hashes = rest[1..].iter().take_while(|&&byte| byte == b'#').count();
        rest.get(1 + hashes) == Some(&b'"')
    }

    fn string(&mut self) {
        self.at += 1;
        while let Some(byte) = self.peek() {
            self.at += 1;
            match byte {
                b'\\' => self.at += 1,
                b'"' => break,
                _ => {}
            }
        }
        self.at = self.at.min(self.bytes.len());
    }

    fn raw_string(&mut self) {
        self.at += 1;
        let mut hashes = 0;
        while self.peek() == Some(b'#') {
            hashes += 1;
            self.at += 1;
        }
        self.at += 1;
        while self.at < self.bytes.len() {
            if self.bytes[self.at] == b'"'
                && self.bytes[self.at + 1..]
                    .iter()
                    .take(hashes)
                    .filter(|&&byte| byte == b'#')
                    .count()
                    == hashes
            {
                self.at += 1 + hashes;
                break;
            }
            self.at += 1;
        }
        self.at = self.at.min(self.bytes.len());
    }

    /// A parenthesised, bracketed or braced group starting at the cursor (after an optional
    /// name that began at `start`).
    fn group(&mut self, start: usize) -> Option<Node> {
        let close = match self.peek()? {
            b'(' => b')',
            b'[' => b']',
            _ => b'}',
        };
        self.at += 1;
        self.depth += 1;
        let mut node = Node {
            span: start..start,
            fields: Vec::new(),
            items: Vec::new(),
        };
        loop {
            self.skip_space();
            match self.peek() {
                None => break,
                Some(byte) if byte == close => {
                    self.at += 1;
                    break;
                }
                Some(b',') => {
                    self.at += 1;
                    continue;
                }
                Some(_) => {}
            }
            let before = self.at;
            // `name: value` inside parentheses is a struct field.
            if close == b')'
                && let Some(name) = self.field_name()
            {
                if let Some(value) = self.value() {
                    node.fields.push((name, value));
                }
            } else if let Some(value) = self.value() {
                self.skip_space();
                // Map entries `key: value`: index the value.
                if close == b'}' && self.peek() == Some(b':') {
                    self.at += 1;
                    if let Some(value) = self.value() {
                        node.items.push(value);
                    }
                } else {
                    node.items.push(value);
                }
            }
            if self.at == before {
                // Not understood: give up on this group rather than loop.
                break;
            }
        }
        self.depth -= 1;
        node.span = start..self.at;
        Some(node)
    }

    /// Reads `name:` if that is what comes next, leaving the cursor after the colon.
    fn field_name(&mut self) -> Option<String> {
        let start = self.at;
        let name = self.identifier()?;
        self.skip_space();
        if self.peek() == Some(b':') {
            self.at += 1;
            let name = std::str::from_utf8(&self.bytes[name]).ok()?;
            Some(name.trim_start_matches("r#").to_owned())
        } else {
            self.at = start;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = r##"#![enable(implicit_some)]
// A comment with (parens
Concert(
    title: "Live /* not a comment */",
    cast: [(id: "hana", name: "Hana"), (id: "mina", name: r#"Mi"na"#)],
    program: [
        Song(title: "One", sections: [(kind: Verse, bars: (1, 8))]),
        Talk(seconds: 30.5),
    ],
)"##;

    fn text(path: &[Step]) -> &'static str {
        &SOURCE[Node::parse(SOURCE).locate(path)]
    }

    #[test]
    fn finds_values_by_path() {
        use Step::{Field, Index};
        assert_eq!(text(&[Field("title")]), "\"Live /* not a comment */\"");
        assert_eq!(
            text(&[Field("cast"), Index(1), Field("id")]),
            "\"mina\"",
            "second idol's id"
        );
        assert_eq!(
            text(&[Field("cast"), Index(1), Field("name")]),
            "r#\"Mi\"na\"#"
        );
        assert_eq!(
            text(&[
                Field("program"),
                Index(0),
                Field("sections"),
                Index(0),
                Field("bars"),
                Index(1)
            ]),
            "8"
        );
        assert_eq!(
            text(&[Field("program"), Index(1), Field("seconds")]),
            "30.5"
        );
    }

    #[test]
    fn missing_parts_point_at_the_parent() {
        use Step::{Field, Index};
        assert_eq!(
            text(&[Field("program"), Index(1), Field("title")]),
            "Talk(seconds: 30.5)"
        );
        assert!(text(&[Field("nothing")]).starts_with("Concert("));
    }

    #[test]
    fn never_panics_on_broken_text() {
        for cut in 0..SOURCE.len() {
            if SOURCE.is_char_boundary(cut) {
                let node = Node::parse(&SOURCE[..cut]);
                let _ = node.locate(&[Step::Field("program"), Step::Index(3)]);
            }
        }
        for garbage in ["", "(((((", "\"", "r#", "'", "/*", "[1,,]", ")", "a:b:c"] {
            let _ = Node::parse(garbage).locate(&[Step::Index(0)]);
        }
    }
}

//! Problems found in a setlist, printed like a compiler prints them: what is wrong, where
//! (file:line:column, the line itself and a caret under the spot) and how to fix it.

use std::{fmt, ops::Range, path::Path};

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The file cannot be played as written.
    Error,
    /// It plays, but probably not as the author meant.
    Warning,
}

/// One problem, with the byte range of the source it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, in one sentence.
    pub message: String,
    /// Bytes of the source the problem is about.
    pub span: Range<usize>,
    /// How to fix it, when there is something useful to say.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn error(span: Range<usize>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            message: message.into(),
            span,
            hint: None,
        }
    }

    /// A warning at `span`.
    pub fn warning(span: Range<usize>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(span, message)
        }
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// A line and column in a source file, both counted from 1; the column counts characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineCol {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub col: usize,
}

/// Line and column of byte `offset` in `source` (clamped to the source).
pub fn line_col(source: &str, offset: usize) -> LineCol {
    let offset = floor_char_boundary(source, offset);
    let before = &source[..offset];
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    LineCol {
        line: before.matches('\n').count() + 1,
        col: before[line_start..].chars().count() + 1,
    }
}

/// Byte offset of a 1-based line and character column (clamped to the source).
pub fn offset_of(source: &str, at: LineCol) -> usize {
    let mut line_start = 0;
    for _ in 1..at.line.max(1) {
        match source[line_start..].find('\n') {
            Some(newline) => line_start += newline + 1,
            None => return source.len(),
        }
    }
    let line_end = source[line_start..]
        .find('\n')
        .map_or(source.len(), |end| line_start + end);
    source[line_start..line_end]
        .char_indices()
        .nth(at.col.saturating_sub(1))
        .map_or(line_end, |(index, _)| line_start + index)
}

fn floor_char_boundary(source: &str, offset: usize) -> usize {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Everything found in one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The file, as the user named it.
    pub file: String,
    /// Its text.
    pub source: String,
    /// Problems in the order they appear in the file, errors and warnings mixed.
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    /// A report for `file` with no problems yet.
    pub fn new(file: &Path, source: impl Into<String>) -> Self {
        Self {
            file: file.display().to_string(),
            source: source.into(),
            diagnostics: Vec::new(),
        }
    }

    /// Whether any problem is an error.
    pub fn has_errors(&self) -> bool {
        self.count(Severity::Error) > 0
    }

    /// How many problems of this severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.severity == severity)
            .count()
    }

    /// Sorts problems by position, errors before warnings at the same place.
    pub fn sort(&mut self) {
        self.diagnostics
            .sort_by_key(|diagnostic| (diagnostic.span.start, diagnostic.severity));
    }

    /// One line per problem: `file:line:col: error: message`, for the in-app panel.
    pub fn short_lines(&self) -> Vec<String> {
        self.diagnostics
            .iter()
            .map(|diagnostic| {
                let at = line_col(&self.source, diagnostic.span.start);
                format!(
                    "{}:{}:{}: {}: {}",
                    self.file,
                    at.line,
                    at.col,
                    severity_word(diagnostic.severity),
                    diagnostic.message
                )
            })
            .collect()
    }

    /// The `N errors, M warnings` summary.
    pub fn summary(&self) -> String {
        let plural = |count: usize, word: &str| match count {
            1 => format!("1 {word}"),
            _ => format!("{count} {word}s"),
        };
        format!(
            "{}: {}, {}",
            self.file,
            plural(self.count(Severity::Error), "error"),
            plural(self.count(Severity::Warning), "warning")
        )
    }
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The compiler-style rendering: each problem with its line and caret, then the summary.
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for diagnostic in &self.diagnostics {
            if self.source.is_empty() {
                // Nothing was read (a missing or unreadable file): no line to point into.
                writeln!(
                    f,
                    "{}: {}",
                    severity_word(diagnostic.severity),
                    diagnostic.message
                )?;
                writeln!(f, "--> {}", self.file)?;
                if let Some(hint) = &diagnostic.hint {
                    writeln!(f, "  = hint: {hint}")?;
                }
                writeln!(f)?;
                continue;
            }
            let start = line_col(&self.source, diagnostic.span.start);
            let line_text = self.source.lines().nth(start.line - 1).unwrap_or("");
            let gutter = start.line.to_string().len();
            // Underline the span on its first line, at least one character.
            let span_end = floor_char_boundary(&self.source, diagnostic.span.end);
            let span_start = floor_char_boundary(&self.source, diagnostic.span.start);
            let underlined = self.source[span_start..span_end.max(span_start)]
                .lines()
                .next()
                .map_or(0, |text| text.chars().count())
                .max(1);
            let line_chars = line_text.chars().count();
            let underlined = underlined.min((line_chars + 1).saturating_sub(start.col).max(1));
            writeln!(
                f,
                "{}: {}",
                severity_word(diagnostic.severity),
                diagnostic.message
            )?;
            writeln!(
                f,
                "{:gutter$}--> {}:{}:{}",
                "", self.file, start.line, start.col
            )?;
            writeln!(f, "{:gutter$} |", "")?;
            writeln!(f, "{} | {}", start.line, line_text.replace('\t', " "))?;
            writeln!(
                f,
                "{:gutter$} | {}{}",
                "",
                " ".repeat(start.col - 1),
                "^".repeat(underlined)
            )?;
            if let Some(hint) = &diagnostic.hint {
                writeln!(f, "{:gutter$} = hint: {hint}", "")?;
            }
            writeln!(f)?;
        }
        write!(f, "{}", self.summary())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_with_the_whole_file_has_no_line_to_point_into() {
        let mut report = Report::new(Path::new("missing.ron"), "");
        report
            .diagnostics
            .push(Diagnostic::error(0..0, "no such file").with_hint("check the path"));
        assert_eq!(
            report.to_string(),
            "error: no such file\n--> missing.ron\n  = hint: check the path\n\n\
             missing.ron: 1 error, 0 warnings"
        );
    }

    #[test]
    fn positions_count_lines_and_characters_from_one() {
        let source = "ab\nçd\n";
        assert_eq!(line_col(source, 0), LineCol { line: 1, col: 1 });
        assert_eq!(line_col(source, 3), LineCol { line: 2, col: 1 });
        // 'ç' is two bytes; 'd' is the second character.
        assert_eq!(line_col(source, 5), LineCol { line: 2, col: 2 });
        assert_eq!(line_col(source, 99), LineCol { line: 3, col: 1 });
        assert_eq!(offset_of(source, LineCol { line: 2, col: 2 }), 5);
        assert_eq!(offset_of(source, LineCol { line: 9, col: 1 }), source.len());
    }

    #[test]
    fn renders_like_a_compiler() {
        let source = "(\n  bpm: -4,\n)";
        let mut report = Report::new(Path::new("scenes/x.ron"), source);
        report.diagnostics.push(
            Diagnostic::error(9..11, "bpm must be above 0").with_hint("write the tempo, e.g. 120"),
        );
        assert_eq!(
            report.to_string(),
            "error: bpm must be above 0\n \
             --> scenes/x.ron:2:8\n  \
             |\n\
             2 |   bpm: -4,\n  \
             |        ^^\n  \
             = hint: write the tempo, e.g. 120\n\n\
             scenes/x.ron: 1 error, 0 warnings"
        );
        assert_eq!(
            report.short_lines(),
            ["scenes/x.ron:2:8: error: bpm must be above 0"]
        );
    }
}

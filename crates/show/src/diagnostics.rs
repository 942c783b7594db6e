//! Problems found in a show file, printed as `FILE:LINE:COL: what — how to fix`.

use std::fmt;
use std::ops::Range;

#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub line: usize,
    pub col: usize,
    pub message: String,
    pub hint: String,
}

/// Every problem of one show file. `Display` prints one line per problem,
/// then the catalog's row problems (which name their own file, row and
/// column), so a catalog's reasons are never lost behind another problem.
#[derive(Debug, Clone)]
pub struct CheckError {
    pub file: String,
    pub problems: Vec<Problem>,
    /// Catalog rows that did not load, as `FILE:ROW:COL: what — fix`.
    pub warnings: Vec<String>,
}

impl CheckError {
    /// Problems and catalog row problems together.
    pub fn count(&self) -> usize {
        self.problems.len() + self.warnings.len()
    }
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines = self.problems.len() + self.warnings.len();
        for (i, w) in self.warnings.iter().enumerate() {
            write!(f, "{w}")?;
            if i + 1 < lines {
                writeln!(f)?;
            }
        }
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}:{}:{}: {}", self.file, p.line, p.col, p.message)?;
            if !p.hint.is_empty() {
                write!(f, " — {}", p.hint)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for CheckError {}

/// Collects problems while a show file is read, turning byte spans into
/// 1-based line and column numbers (columns count characters, not bytes).
pub struct Collector<'a> {
    text: &'a str,
    pub problems: Vec<Problem>,
    /// Checks of this machine that `check` makes (keys, folders), located.
    pub on_air: Vec<super::on_air::Deferred>,
}

impl<'a> Collector<'a> {
    pub fn new(text: &'a str) -> Self {
        Collector {
            text,
            problems: Vec::new(),
            on_air: Vec::new(),
        }
    }

    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..floor_char_boundary(self.text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let col = before[line_start..].chars().count() + 1;
        (line, col)
    }

    pub fn add(&mut self, span: Range<usize>, message: impl Into<String>, hint: impl Into<String>) {
        let (line, col) = self.line_col(span.start);
        self.problems.push(Problem {
            line,
            col,
            message: message.into(),
            hint: hint.into(),
        });
    }

    /// Remembers a check of this machine for `check` (see `on_air`).
    pub fn on_air(&mut self, span: Range<usize>, check: super::on_air::Check) {
        let (line, col) = self.line_col(span.start);
        self.on_air.push(super::on_air::Deferred { line, col, check });
    }

    pub fn is_empty(&self) -> bool {
        self.problems.is_empty()
    }

    pub fn into_error(mut self, file: &str) -> CheckError {
        self.problems.sort_by_key(|p| (p.line, p.col));
        self.problems.dedup();
        CheckError {
            file: file.to_string(),
            problems: self.problems,
            warnings: Vec::new(),
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

pub use crate::hint::{did_you_mean, suggest};

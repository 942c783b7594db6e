//! Reads a show's logs line by line, keeping what is readable: the chat
//! log (`[chat] log`, one `Record` per line) and the event log
//! (`--events`, one stamped event per line). A line that is cut off or not
//! what it should be is skipped and named (file, line, why), never fatal:
//! a report of what could be read beats none.

use showroom_chat::log::Record;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

/// A line left out, and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Skipped {
    pub file: String,
    pub line: u64,
    pub why: String,
}

/// One line of the event log: when, and the event as JSON.
#[derive(Debug, Clone)]
pub struct EventLine {
    pub unix_ms: u64,
    pub event: String,
    pub body: serde_json::Value,
}

/// What one file turned out to be.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Source {
    pub file: String,
    /// "chat log" or "event log".
    pub kind: &'static str,
    pub lines: u64,
    pub skipped: u64,
}

#[derive(Debug, Default)]
pub struct Logs {
    pub chat: Vec<Record>,
    pub events: Vec<EventLine>,
    pub sources: Vec<Source>,
    pub skipped: Vec<Skipped>,
    /// Events the event log's writer fell behind on ("missed" lines).
    pub events_missed: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{}: {err}", path.display())]
    Open { path: PathBuf, err: std::io::Error },
    #[error(
        "{}: neither a chat log nor an event log (no line reads as either) — give the show's [chat] log and its --events file",
        .0.display()
    )]
    Unknown(PathBuf),
}

/// Reads every file given, in order; each is told apart by its lines.
pub fn read(paths: &[PathBuf]) -> Result<Logs, ReadError> {
    let mut logs = Logs::default();
    for p in paths {
        read_one(p, &mut logs)?;
    }
    Ok(logs)
}

/// What a line is: a chat record has a text `t`, an event an `event`.
enum Line {
    Chat(Box<Record>),
    Event(EventLine),
    Missed(u64),
}

fn parse(text: &str) -> Result<Line, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    if let Some(event) = v.get("event").and_then(|e| e.as_str()) {
        if event == "missed" {
            return Ok(Line::Missed(v.get("count").and_then(|c| c.as_u64()).unwrap_or(0)));
        }
        let unix_ms = v
            .get("unix_ms")
            .and_then(|t| t.as_u64())
            .ok_or("an event without unix_ms")?;
        return Ok(Line::Event(EventLine {
            unix_ms,
            event: event.to_string(),
            body: v,
        }));
    }
    if v.get("t").is_some_and(|t| t.is_string()) {
        return serde_json::from_value::<Record>(v)
            .map(|r| Line::Chat(Box::new(r)))
            .map_err(|e| format!("not a chat record: {e}"));
    }
    Err("neither a chat record nor an event".into())
}

fn read_one(path: &Path, logs: &mut Logs) -> Result<(), ReadError> {
    let named = |err| ReadError::Open {
        path: path.to_path_buf(),
        err,
    };
    let file = std::fs::File::open(path).map_err(named)?;
    // The file's name alone: a report built at the show's end and one
    // rebuilt later from elsewhere say the same.
    let name = path
        .file_name()
        .map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    let mut reader = BufReader::new(file);
    let (mut n, mut chat, mut events, mut skipped) = (0u64, 0u64, 0u64, 0u64);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf).map_err(named)? == 0 {
            break;
        }
        n += 1;
        let whole = buf.last() == Some(&b'\n');
        let text = String::from_utf8_lossy(&buf);
        let text = text.trim_end();
        if text.is_empty() {
            continue;
        }
        let mut skip = |why: String| {
            skipped += 1;
            logs.skipped.push(Skipped {
                file: name.clone(),
                line: n,
                why,
            });
        };
        if !whole {
            skip("cut off (the last line has no end)".into());
            continue;
        }
        match parse(text) {
            Ok(Line::Chat(r)) => {
                chat += 1;
                logs.chat.push(*r);
            }
            Ok(Line::Event(e)) => {
                events += 1;
                logs.events.push(e);
            }
            Ok(Line::Missed(k)) => {
                events += 1;
                logs.events_missed += k;
            }
            Err(why) => skip(why),
        }
    }
    if chat == 0 && events == 0 && n > 0 {
        return Err(ReadError::Unknown(path.to_path_buf()));
    }
    logs.sources.push(Source {
        file: name,
        kind: if chat >= events { "chat log" } else { "event log" },
        lines: n,
        skipped,
    });
    Ok(())
}

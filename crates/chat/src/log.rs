//! The chat log on disk: one JSON record per line (JSONL), appended in
//! batches and fsynced before anything in the batch is acknowledged. It holds
//! every message, every moderation step and every claim, so a replay rebuilds
//! the panel, the host queue and the claims ledger after a crash or kill -9.
//! A line cut off by a crash is the only thing that can be lost, and it was
//! never acknowledged: it is cut from the file on open, with a warning.
//!
//! Why JSONL and not SQLite: the log is append-only and read whole on open;
//! one `write` + `fdatasync` per batch is all the durability it needs, it
//! stays readable with any text tool, and there is no C library to build.

use super::ledger::{Claim, Status};
use super::model::{Message, Platform};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Record {
    /// A message as it arrived, with what triage made of it.
    Message {
        seq: u64,
        msg: Message,
        #[serde(default, skip_serializing_if = "is_zero")]
        flags: u8,
        /// Why it is hidden from the panel (blocked word, blocked user).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hidden: Option<String>,
        /// Why a claim in it needs a moderator.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        check: Option<String>,
    },
    Claim(Claim),
    ClaimStatus {
        id: u64,
        status: Status,
    },
    Answered {
        seq: u64,
        /// When it was marked (older logs do not have it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_ms: Option<u64>,
    },
    Hide {
        seq: u64,
        why: String,
    },
    Unhide {
        seq: u64,
    },
    Block {
        platform: Platform,
        user_id: String,
        name: String,
    },
    Unblock {
        platform: Platform,
        user_id: String,
    },
    BlockedWords {
        words: Vec<String>,
    },
    /// A refresh found the store's stock of these variants.
    Stock {
        lines: Vec<super::ledger::StockLine>,
    },
    /// A giveaway started taking entries.
    Giveaway {
        id: u64,
        keyword: String,
        starts_ms: u64,
        ends_ms: u64,
    },
    /// Someone entered giveaway `giveaway`.
    Entry {
        giveaway: u64,
        entrant: super::giveaway::Entrant,
    },
    /// Giveaway `giveaway` was drawn (again: previous winners left out).
    GiveawayDraw {
        giveaway: u64,
        draw: super::giveaway::Draw,
    },
    /// A flash deal started.
    Deal(super::deals::Deal),
    /// A flash deal ended before its time.
    DealEnd {
        id: u64,
        at_ms: u64,
    },
    /// An auction started.
    Auction(super::auction::AuctionStart),
    /// A bid was taken; the auction now ends at `ends_ms` (a snipe extends it).
    Bid {
        auction: u64,
        bid: super::auction::Bid,
        ends_ms: u64,
    },
    /// A bid was refused, with why.
    BidRefused {
        auction: u64,
        refused: super::auction::Refused,
    },
    /// An open auction's clock: `left_ms` were left at `at_ms`.
    AuctionClock {
        auction: u64,
        at_ms: u64,
        left_ms: u64,
    },
    /// The show came back after a stop: the auction has the time it had
    /// left, from `at_ms`.
    AuctionResume {
        auction: u64,
        at_ms: u64,
        ends_ms: u64,
    },
    /// An auction ended (its winning bid's claim follows).
    AuctionEnd {
        auction: u64,
        ended: super::auction::Ended,
    },
    /// A platform's viewer count.
    Viewers(super::model::ViewerCount),
    /// A Shopify draft order was made for these claims.
    DraftOrder {
        claims: Vec<u64>,
        id: String,
        name: String,
    },
}

fn is_zero(n: &u8) -> bool {
    *n == 0
}

/// Why the log could not be opened or written.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("chat log {}: {err}", path.display())]
    Open { path: PathBuf, err: std::io::Error },
    #[error(
        "chat log {} is in use by another showroom (is this show open elsewhere?) — close it, or give this show another [chat] log",
        .0.display()
    )]
    Locked(PathBuf),
    #[error("writing the chat log {}: {err}", path.display())]
    Write { path: PathBuf, err: std::io::Error },
    #[error("a chat record could not be written as JSON: {0}")]
    Encode(serde_json::Error),
}

pub struct Log {
    file: File,
    path: PathBuf,
    buf: Vec<u8>,
}

/// What opening found.
pub struct Opened {
    pub log: Log,
    /// Lines that could not be read (and a cut-off last line), for the user.
    pub warnings: Vec<String>,
}

impl Log {
    /// Opens (or creates) the log and hands each record it holds to `each`,
    /// in order, as it is read: a log of any size is replayed in bounded
    /// memory (messages are bounded as they are read, see `Message::bounded`).
    pub fn open(path: &Path, mut each: impl FnMut(Record)) -> Result<Opened, LogError> {
        let named = |err: std::io::Error| LogError::Open {
            path: path.to_path_buf(),
            err,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(named)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(named)?;
        // One writer per log: a second studio or `showroom run` on the same
        // show would interleave lines and double-count claims.
        if let Err(std::fs::TryLockError::WouldBlock) = file.try_lock() {
            return Err(LogError::Locked(path.to_path_buf()));
        }
        let mut warnings = Vec::new();
        let mut good_end = 0u64;
        let mut pos = 0u64;
        let mut reader = BufReader::new(&mut file);
        let mut line = Vec::new();
        let mut n = 0;
        loop {
            line.clear();
            let read = reader.read_until(b'\n', &mut line).map_err(named)?;
            if read == 0 {
                break;
            }
            n += 1;
            pos += read as u64;
            if line.last() != Some(&b'\n') {
                warnings.push(format!(
                    "{}: line {n} was cut off (the program stopped while writing it; it was never acknowledged) — removed",
                    path.display()
                ));
                break;
            }
            match serde_json::from_slice::<Record>(&line) {
                Ok(Record::Message {
                    seq,
                    msg,
                    flags,
                    hidden,
                    check,
                }) => each(Record::Message {
                    seq,
                    msg: msg.bounded(),
                    flags,
                    hidden,
                    check,
                }),
                Ok(r) => each(r),
                Err(e) => warnings.push(format!("{}: line {n} skipped: {e}", path.display())),
            }
            good_end = pos;
        }
        drop(reader);
        if file.metadata().map_err(named)?.len() > good_end {
            file.set_len(good_end).map_err(named)?;
            file.seek(SeekFrom::End(0)).map_err(named)?;
        }
        Ok(Opened {
            log: Log {
                file,
                path: path.to_path_buf(),
                buf: Vec::new(),
            },
            warnings,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Adds a record to the batch being written (nothing is on disk yet).
    pub fn stage(&mut self, record: &Record) -> Result<(), LogError> {
        serde_json::to_writer(&mut self.buf, record).map_err(LogError::Encode)?;
        self.buf.push(b'\n');
        Ok(())
    }

    /// Writes the staged batch and waits until it is on disk.
    pub fn commit(&mut self) -> Result<(), LogError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let named = |err: std::io::Error| LogError::Write {
            path: self.path.clone(),
            err,
        };
        let written = self.file.write_all(&self.buf).and_then(|()| self.file.sync_data());
        self.buf.clear();
        written.map_err(named)
    }

    /// Writes the records and waits until they are on disk.
    pub fn append(&mut self, records: &[Record]) -> Result<(), LogError> {
        for r in records {
            self.stage(r)?;
        }
        self.commit()
    }
}

/// "2025-11-24T16:00:00Z" for milliseconds since the Unix epoch.
pub fn utc(ms: u64) -> String {
    match jiff::Timestamp::from_millisecond(ms.min(i64::MAX as u64) as i64) {
        Ok(t) => t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Err(_) => "9999-12-31T23:59:59Z".to_string(),
    }
}

/// Milliseconds since the Unix epoch now.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Milliseconds since the Unix epoch for an RFC 3339 time from a platform
/// ("2025-11-24T16:00:00.123Z", "2025-11-24T16:00:00+0000"; one without an
/// offset is taken as UTC); None if it is not one, whatever the text holds.
pub fn parse_utc(text: &str) -> Option<u64> {
    let text = text.trim();
    let t = match text.parse::<jiff::Timestamp>() {
        Ok(t) => t,
        // No offset: the platforms that leave it out mean UTC.
        Err(_) => text
            .parse::<jiff::civil::DateTime>()
            .ok()?
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()?
            .timestamp(),
    };
    u64::try_from(t.as_millisecond()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_both_ways() {
        assert_eq!(utc(1_764_000_000_000), "2025-11-24T16:00:00Z");
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(parse_utc("2025-11-24T16:00:00Z"), Some(1_764_000_000_000));
        assert_eq!(parse_utc("2025-11-24T16:00:00.5Z"), Some(1_764_000_000_500));
        assert_eq!(parse_utc("2025-11-24T17:00:00+0100"), Some(1_764_000_000_000));
        assert_eq!(parse_utc("2025-11-24T11:00:00-05:00"), Some(1_764_000_000_000));
        assert_eq!(
            parse_utc("2024-02-29T00:00:00Z").map(utc).as_deref(),
            Some("2024-02-29T00:00:00Z")
        );
        assert_eq!(parse_utc("yesterday"), None);
        // A non-ASCII character after the seconds panicked the hand-written parser.
        assert_eq!(parse_utc("2025-11-24T16:00:00é"), None);
        assert_eq!(parse_utc("2025-11-24T16:00:00"), Some(1_764_000_000_000));
    }

    proptest::proptest! {
        /// Whatever a platform sends as a time, parsing never panics, and a
        /// time we wrote reads back as itself.
        #[test]
        fn any_text_parses_without_panicking(text in "\\PC{0,40}", ms in 0u64..32_503_680_000_000) {
            let _ = parse_utc(&text);
            let _ = parse_utc(&format!("2025-11-24T16:00:00{text}"));
            proptest::prop_assert_eq!(parse_utc(&utc(ms)), Some(ms / 1000 * 1000));
        }
    }

    #[test]
    fn a_cut_off_last_line_is_removed_and_named() {
        let dir = std::env::temp_dir().join(format!("showroom-log-{}", std::process::id()));
        let path = dir.join("chat.jsonl");
        let _ = std::fs::remove_dir_all(&dir);
        let mut opened = Log::open(&path, |_| {}).unwrap();
        let r = Record::Answered { seq: 7, at_ms: None };
        opened.log.append(&[r.clone(), r.clone()]).unwrap();
        drop(opened);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"t\":\"answ").unwrap();
        drop(f);
        let mut records = Vec::new();
        let opened = Log::open(&path, |r| records.push(r)).unwrap();
        assert_eq!(records, vec![r.clone(), r.clone()]);
        assert_eq!(opened.warnings.len(), 1);
        assert!(
            opened.warnings[0].contains("line 3 was cut off"),
            "{:?}",
            opened.warnings
        );
        let mut log = opened.log;
        log.append(std::slice::from_ref(&r)).unwrap();
        // One writer per log.
        let second = Log::open(&path, |_| {}).err().unwrap();
        assert!(matches!(second, LogError::Locked(_)));
        assert!(second.to_string().contains("in use by another showroom"));
        drop(log);
        let mut n = 0;
        Log::open(&path, |_| n += 1).unwrap();
        assert_eq!(n, 3);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

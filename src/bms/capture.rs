//! The capture format: the raw traffic of one link, kept so a unit's behaviour can be sent to
//! support, replayed at the bench (`bms::replay`) and decoded again (`decode`).
//!
//! A capture is text, one line per event, so it survives e-mail and can be read by eye:
//!
//! ```text
//! jkcap/1 source=C8:47:8C:E4:54:0F start=2026-12-04T01:09:41.123Z
//! 0 up 43383a34...            the link came up (hex: the peer's name)
//! 3 out aa5590eb970000...     a command written to the unit (hex)
//! 120 in 55aaeb9003...        a notification received (hex, as the radio delivered it)
//! 50000 down 6e6f20...        the link went down (hex: the reason, UTF-8)
//! ```
//!
//! The first number is milliseconds since the header's `start`, on a monotonic clock (never
//! earlier than the line before). A new header starts a new segment (a resumed session appends
//! one); its times count from its own start. Blank lines and lines starting with `#` are
//! ignored. The passcodes of device-info frames are zeroed before a line is written and the
//! frame's checksum is corrected, so a capture can be sent on without them and still decodes.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::bms::decode::PASSCODE_BYTES;
use crate::bms::frame::{is_acknowledgement, FrameType, AT_NOTIFICATION, CHECKSUM_AT};

/// The tag (and version) that starts every header line.
pub const VERSION: &str = "jkcap/1";

/// The name of the capture in a session folder.
pub const CAPTURE_FILE: &str = "capture.jkcap";

/// Which way an entry went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// A notification from the unit.
    In,
    /// A command written to the unit.
    Out,
    /// The link came up; the payload is the peer's name.
    Up,
    /// The link went down; the payload is the reason.
    Down,
}

impl Direction {
    /// The word in a capture line.
    pub fn word(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
            Direction::Up => "up",
            Direction::Down => "down",
        }
    }
}

/// One line of a capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Milliseconds since the segment's start.
    pub at_ms: u64,
    /// Which way.
    pub direction: Direction,
    /// The bytes (for up and down: UTF-8 text).
    pub payload: Vec<u8>,
}

impl Entry {
    /// The payload as text (up: the peer, down: the reason); invalid UTF-8 shown lossily.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.payload).into_owned()
    }
}

/// The header line of a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// What was recorded: an address, `simulator`, or `replay:<file>`.
    pub source: String,
    /// When the segment started (RFC 3339, UTC, wall clock).
    pub start: String,
}

/// One recording: a header and its entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The header.
    pub header: Header,
    /// The entries, in order.
    pub entries: Vec<Entry>,
}

/// A whole capture file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// The segments, in order.
    pub segments: Vec<Segment>,
}

/// Why a capture could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaptureError {
    /// A line is not in the format.
    #[error("{origin}:{line}: {problem}")]
    Syntax {
        /// The file.
        origin: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong there.
        problem: String,
    },
    /// No header line before the first entry.
    #[error(
        "{origin}: not a capture: its first line must be the header `{VERSION} source=… start=…`"
    )]
    NoHeader {
        /// The file.
        origin: String,
    },
    /// The file holds no entry at all.
    #[error("{origin}: the capture holds no traffic (a header and nothing recorded)")]
    Empty {
        /// The file.
        origin: String,
    },
    /// The file could not be read.
    #[error("cannot read the capture {origin}: {reason}")]
    Io {
        /// The file.
        origin: String,
        /// Why.
        reason: String,
    },
}

/// Whether `line` is a capture header (what `decode` looks for to read a capture).
pub fn is_header(line: &str) -> bool {
    line.trim_start().starts_with("jkcap/")
}

/// Read a header line; `Err` says what is wrong with it.
pub fn parse_header(line: &str) -> Result<Header, String> {
    let mut words = line.split_ascii_whitespace();
    let tag = words.next().unwrap_or_default();
    if tag != VERSION {
        return Err(match tag.strip_prefix("jkcap/") {
            Some(v) => format!(
                "capture format version {v} is not one this program reads (it reads {VERSION})"
            ),
            None => format!("a header starts with {VERSION}"),
        });
    }
    let mut source = None;
    let mut start = None;
    for word in words {
        match word.split_once('=') {
            Some(("source", v)) => source = Some(v.to_string()),
            Some(("start", v)) => start = Some(v.to_string()),
            // Later versions may add keys; a reader of this one skips what it does not know.
            Some(_) => {}
            None => return Err(format!("'{word}' is not key=value")),
        }
    }
    Ok(Header {
        source: source.ok_or("the header names no source=")?,
        start: start.ok_or("the header names no start=")?,
    })
}

/// Read an entry line; `Err` says what is wrong with it.
pub fn parse_entry(line: &str) -> Result<Entry, String> {
    let mut words = line.split_ascii_whitespace();
    let at = words.next().unwrap_or_default();
    let at_ms: u64 = at
        .parse()
        .map_err(|_| format!("'{at}' is not a time in milliseconds"))?;
    let direction = match words.next() {
        Some("in") => Direction::In,
        Some("out") => Direction::Out,
        Some("up") => Direction::Up,
        Some("down") => Direction::Down,
        Some(other) => return Err(format!("'{other}' is not a direction (in, out, up, down)")),
        None => return Err("no direction after the time (in, out, up, down)".into()),
    };
    let payload = match words.next() {
        Some(hex) => from_hex(hex)?,
        None => Vec::new(),
    };
    if let Some(extra) = words.next() {
        return Err(format!(
            "'{extra}' after the payload: one hex word per line"
        ));
    }
    if payload.is_empty() && matches!(direction, Direction::In | Direction::Out) {
        return Err(format!(
            "an '{}' line needs its bytes in hex",
            direction.word()
        ));
    }
    Ok(Entry {
        at_ms,
        direction,
        payload,
    })
}

/// One line of a capture read on its own (what `decode` does, line by line): the bytes of a
/// notification, `None` for anything else (a header, a command, up, down, a comment).
pub fn notification_of(line: &str) -> Result<Option<Vec<u8>>, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    if is_header(line) {
        return parse_header(line).map(|_| None);
    }
    let entry = parse_entry(line)?;
    Ok((entry.direction == Direction::In).then_some(entry.payload))
}

/// Read a whole capture; `origin` names it in errors.
pub fn parse(text: &str, origin: &str) -> Result<Capture, CaptureError> {
    let syntax = |line: usize, problem: String| CaptureError::Syntax {
        origin: origin.to_string(),
        line,
        problem,
    };
    let mut segments: Vec<Segment> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if is_header(line) {
            let header = parse_header(line).map_err(|p| syntax(i + 1, p))?;
            segments.push(Segment {
                header,
                entries: Vec::new(),
            });
            continue;
        }
        let Some(segment) = segments.last_mut() else {
            return Err(CaptureError::NoHeader {
                origin: origin.to_string(),
            });
        };
        let entry = parse_entry(line).map_err(|p| syntax(i + 1, p))?;
        if let Some(last) = segment.entries.last() {
            if entry.at_ms < last.at_ms {
                return Err(syntax(
                    i + 1,
                    format!(
                        "time {} ms is earlier than the line before ({} ms): a capture's clock \
                         only goes forward",
                        entry.at_ms, last.at_ms
                    ),
                ));
            }
        }
        segment.entries.push(entry);
    }
    if segments.is_empty() {
        return Err(CaptureError::NoHeader {
            origin: origin.to_string(),
        });
    }
    if segments.iter().all(|s| s.entries.is_empty()) {
        return Err(CaptureError::Empty {
            origin: origin.to_string(),
        });
    }
    Ok(Capture { segments })
}

/// Read a capture file.
pub fn load(path: &Path) -> Result<Capture, CaptureError> {
    let origin = crate::clean::clean(&path.display().to_string()).into_owned();
    let text = std::fs::read_to_string(path).map_err(|e| CaptureError::Io {
        origin: origin.clone(),
        reason: e.to_string(),
    })?;
    parse(&text, &origin)
}

/// Lower-case hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn from_hex(hex: &str) -> Result<Vec<u8>, String> {
    if !hex.len().is_multiple_of(2) {
        return Err(format!(
            "the payload has an odd number of hex digits ({})",
            hex.len()
        ));
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| format!("the payload is not hex at digit {}", i + 1))
        })
        .collect()
}

/// The header line for a new segment recording `source`, started now.
pub fn header_line(source: &str) -> String {
    // One word: a source with spaces (a replayed file's name) keeps the line parseable.
    let source: String = source
        .chars()
        .map(|c| {
            if c.is_whitespace() || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    format!("{VERSION} source={source} start={}\n", wall_now())
}

/// The wall clock now, RFC 3339 UTC: only the header says when; entries use a monotonic clock.
fn wall_now() -> String {
    let now = time::OffsetDateTime::now_utc();
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| now.unix_timestamp().to_string())
}

/// An entry as its line.
pub fn entry_line(entry: &Entry) -> String {
    if entry.payload.is_empty() {
        format!("{} {}\n", entry.at_ms, entry.direction.word())
    } else {
        format!(
            "{} {} {}\n",
            entry.at_ms,
            entry.direction.word(),
            to_hex(&entry.payload)
        )
    }
}

/// Zeroes the passcodes of device-info frames in a stream of notifications, however the
/// radio cut the frame up, and corrects the frame's checksum so the masked frame still
/// decodes. It follows the reassembler's rules (`bms::frame`): acknowledgements and `AT\r\n`
/// are skipped, a header starts a frame wherever it appears, a frame ends at 300 bytes.
#[derive(Debug, Default)]
pub struct Masker {
    /// The last four bytes seen, to find a header cut across notifications.
    window: u32,
    /// The offset in the current frame of the last byte seen; `None` between frames.
    pos: Option<usize>,
    /// The current frame is device info.
    device: bool,
    /// How much the masking lowered the current frame's byte sum.
    removed: u8,
}

impl Masker {
    /// Mask one notification in place.
    pub fn mask(&mut self, bytes: &mut [u8]) {
        if bytes == AT_NOTIFICATION || is_acknowledgement(bytes) {
            return;
        }
        const HEADER: u32 = 0x55AA_EB90;
        for b in bytes.iter_mut() {
            self.window = self.window << 8 | u32::from(*b);
            if self.window == HEADER {
                self.pos = Some(3);
                self.device = false;
                self.removed = 0;
                continue;
            }
            let Some(p) = self.pos.map(|p| p + 1) else {
                continue;
            };
            self.pos = Some(p);
            if p == 4 {
                self.device = *b == FrameType::DeviceInfo.byte();
            } else if self.device && PASSCODE_BYTES.iter().any(|r| r.contains(&p)) {
                self.removed = self.removed.wrapping_add(*b);
                *b = 0;
            } else if p == CHECKSUM_AT {
                if self.device {
                    *b = b.wrapping_sub(self.removed);
                }
                self.pos = None;
            }
        }
    }
}

struct Recording {
    out: Box<dyn Write + Send>,
    start: crate::timebase::Instant,
    masker: Masker,
    /// The first write that failed; nothing is written after it.
    failed: Option<String>,
    sealed: bool,
}

/// Where a link reports its traffic: a cloneable handle on one recording. The links call it
/// where bytes cross the radio (and where they come up or go down), so every link —
/// Bluetooth, the simulator, a replay — records the same way.
#[derive(Clone)]
pub struct Tap(Arc<Mutex<Recording>>);

impl std::fmt::Debug for Tap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tap").finish_non_exhaustive()
    }
}

impl Tap {
    /// Record into `path`, appending a new segment when the file exists (a resumed session).
    pub fn create(path: &Path, source: &str) -> std::io::Result<Tap> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Tap::to_writer(Box::new(file), source)
    }

    /// Record into any writer (a file, or a buffer in tests); the header is written now.
    pub fn to_writer(mut out: Box<dyn Write + Send>, source: &str) -> std::io::Result<Tap> {
        out.write_all(header_line(source).as_bytes())?;
        out.flush()?;
        Ok(Tap(Arc::new(Mutex::new(Recording {
            out,
            start: crate::timebase::now(),
            masker: Masker::default(),
            failed: None,
            sealed: false,
        }))))
    }

    fn lock(&self) -> MutexGuard<'_, Recording> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self, direction: Direction, payload: Vec<u8>) {
        let mut r = self.lock();
        if r.sealed || r.failed.is_some() {
            return;
        }
        let entry = Entry {
            at_ms: crate::timebase::since(r.start).as_millis() as u64,
            direction,
            payload,
        };
        // One write per line, flushed: a crash loses at most the line being written.
        let line = entry_line(&entry);
        let result = r
            .out
            .write_all(line.as_bytes())
            .and_then(|()| r.out.flush());
        if let Err(e) = result {
            r.failed = Some(e.to_string());
        }
    }

    /// A notification arrived (masked before it is written).
    pub fn notification(&self, bytes: &[u8]) {
        let mut bytes = bytes.to_vec();
        self.lock().masker.mask(&mut bytes);
        self.write(Direction::In, bytes);
    }

    /// A command was written to the unit.
    pub fn command(&self, bytes: &[u8]) {
        self.write(Direction::Out, bytes.to_vec());
    }

    /// The link came up with `peer`.
    pub fn up(&self, peer: &str) {
        self.write(Direction::Up, peer.as_bytes().to_vec());
    }

    /// The link went down, for `reason`.
    pub fn down(&self, reason: &str) {
        self.write(Direction::Down, reason.as_bytes().to_vec());
    }

    /// Stop recording (at sign-off, so the file the log names stays as hashed); `Err` with
    /// the reason when a write had failed and the capture is incomplete.
    pub fn seal(&self) -> Result<(), String> {
        let mut r = self.lock();
        r.sealed = true;
        let _ = r.out.flush();
        match &r.failed {
            Some(e) => Err(format!(
                "the capture is incomplete: writing it failed ({e})"
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests;

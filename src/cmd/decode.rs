//! The `decode` subcommand: captured notifications (hex, one per line, or a `jkcap/1` capture)
//! in, one JSON object per frame out, through the same [`FrameStream`] the live link uses.
//!
//! Exit status: 0 when every frame decoded, 1 when any frame was refused (each named on
//! stderr with its line), 2 when the input is not hex (line and column named) or unreadable.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use color_eyre::eyre::{Context, Result};

use crate::bms::decode::{DecodeError, FrameStream, StreamError};
use crate::bms::frame::FRAME_LEN;
use crate::bms::json::write_frame;
use crate::bms::model::Layout;

/// Which cell-info layout to decode with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Variant {
    /// From a device-info frame earlier in the input, else from the enabled-cell mask.
    Auto,
    /// Firmware 6–10: 24 cell slots.
    #[value(name = "24s")]
    S24,
    /// Firmware 11 and later: 32 cell slots.
    #[value(name = "32s")]
    S32,
}

impl Variant {
    /// The layout this pins, `None` for auto.
    pub fn layout(self) -> Option<Layout> {
        match self {
            Variant::Auto => None,
            Variant::S24 => Some(Layout::S24),
            Variant::S32 => Some(Layout::S32),
        }
    }
}

/// Arguments of `decode`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Cell-info layout: auto (from device info seen earlier, else the enabled-cell mask),
    /// 24s or 32s.
    #[arg(long, value_enum, default_value_t = Variant::Auto)]
    pub variant: Variant,
    /// Capture to read: hex, one BLE notification per line (spaces, colons, commas and 0x
    /// prefixes allowed; blank lines and # comments skipped), or a capture (`jkcap/1`, from
    /// `monitor --record` or a session's capture.jkcap: its `in` lines are read). `-` or
    /// nothing: standard input.
    #[arg(value_name = "FILE", default_value = "-")]
    pub input: PathBuf,
}

/// Why a line of the capture is not hex.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {problem}")]
pub struct HexError {
    /// 1-based column (in characters) of the offending character or group.
    pub column: usize,
    /// What is wrong there.
    pub problem: String,
}

/// The longest capture line `decode` reads, in bytes. A BLE notification is at most a few
/// hundred bytes (a few KiB as spaced `0x..,` hex); the limit only keeps memory bounded when
/// the input is not a capture at all (a newline-free stream).
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// The bytes of one capture line, `None` for a blank or comment line.
///
/// Groups of hex digits are separated by spaces, tabs, colons or commas; each group may carry
/// a `0x` prefix and must have an even number of digits (so `5 5` is refused rather than read
/// as 0x55 or as 0x05 0x05). Everything after `#` is a comment.
pub fn parse_hex_line(line: &str) -> Result<Option<Vec<u8>>, HexError> {
    let mut bytes = Vec::new();
    parse_hex_into(line.as_bytes(), &mut bytes)?;
    Ok((!bytes.is_empty()).then_some(bytes))
}

/// The value of one hex digit, `None` for anything else.
fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// 1-based column, in characters, of byte `at` of `line`.
fn column_of(line: &[u8], at: usize) -> usize {
    String::from_utf8_lossy(&line[..at]).chars().count() + 1
}

/// Hex digit values by byte; `NOT_HEX` for every other byte.
const HEX_TABLE: [u8; 256] = {
    let mut t = [NOT_HEX; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = match c as u8 {
            b'0'..=b'9' => c as u8 - b'0',
            b'a'..=b'f' => c as u8 - b'a' + 10,
            b'A'..=b'F' => c as u8 - b'A' + 10,
            _ => NOT_HEX,
        };
        c += 1;
    }
    t
};
const NOT_HEX: u8 = 0xFF;

/// [`parse_hex_line`] over the raw bytes of a line, into `out` (cleared first): no allocation
/// per line. Reading the hex is most of what `decode` does, so well-formed lines take a
/// table-driven path; anything else is handed to the careful parser for its message.
pub fn parse_hex_into(line: &[u8], out: &mut Vec<u8>) -> Result<(), HexError> {
    out.clear();
    let n = line.len();
    out.reserve(n / 2);
    let mut i = 0;
    // The common capture form, `55 aa eb 90 …`: three bytes per byte, no branches to speak of.
    while i + 2 < n && line[i + 2] == b' ' {
        let (hi, lo) = (HEX_TABLE[line[i] as usize], HEX_TABLE[line[i + 1] as usize]);
        if hi == NOT_HEX || lo == NOT_HEX {
            break;
        }
        out.push(hi << 4 | lo);
        i += 3;
    }
    while i < n {
        let c = line[i];
        if c == b' ' || c == b':' || c == b',' || c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'#' {
            return Ok(());
        }
        if c == b'0' && i + 1 < n && (line[i + 1] | 0x20) == b'x' {
            i += 2;
        }
        let start = i;
        while i + 1 < n {
            let (hi, lo) = (HEX_TABLE[line[i] as usize], HEX_TABLE[line[i + 1] as usize]);
            if hi == NOT_HEX || lo == NOT_HEX {
                break;
            }
            out.push(hi << 4 | lo);
            i += 2;
        }
        let ends =
            i == n || matches!(line[i], b' ' | b':' | b',' | b'#') || line[i].is_ascii_whitespace();
        if i == start || !ends {
            return parse_hex_careful(line, out);
        }
    }
    Ok(())
}

/// The parser that names the first mistake of a line by its column.
fn parse_hex_careful(line: &[u8], out: &mut Vec<u8>) -> Result<(), HexError> {
    out.clear();
    let content = match line.iter().position(|&c| c == b'#') {
        Some(p) => &line[..p],
        None => line,
    };
    let is_separator = |c: u8| c.is_ascii_whitespace() || c == b':' || c == b',';
    let mut i = 0;
    while i < content.len() {
        if is_separator(content[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < content.len() && !is_separator(content[i]) {
            i += 1;
        }
        let mut group = &content[start..i];
        let mut digits_from = start;
        if group.len() >= 2 && group[0] == b'0' && (group[1] | 0x20) == b'x' {
            group = &group[2..];
            digits_from += 2;
        }
        if group.len() % 2 == 0 {
            let before = out.len();
            let mut pairs = group.chunks_exact(2);
            let all_hex = pairs.all(|p| match (hex_value(p[0]), hex_value(p[1])) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    true
                }
                _ => false,
            });
            if all_hex && !group.is_empty() {
                continue;
            }
            out.truncate(before);
        }
        if let Some(bad) = group.iter().position(|&c| hex_value(c).is_none()) {
            let at = digits_from + bad;
            let shown = String::from_utf8_lossy(&content[at..])
                .chars()
                .next()
                .unwrap_or('?');
            return Err(HexError {
                column: column_of(line, at),
                problem: format!("'{}' is not a hex digit", shown.escape_debug()),
            });
        }
        let text = String::from_utf8_lossy(&content[start..i]);
        let mut shown: String = text.chars().take(16).collect();
        if text.chars().count() > 16 {
            shown.push('…');
        }
        return Err(HexError {
            column: column_of(line, start),
            problem: format!(
                "'{shown}' has {} hex digits; each byte needs two (write 05, not 5)",
                group.len()
            ),
        });
    }
    Ok(())
}

/// Why a line could not be read.
#[derive(Debug)]
enum LineError {
    /// Longer than [`MAX_LINE_BYTES`].
    TooLong,
    /// The reader failed.
    Io(io::Error),
}

/// Read one line (its newline dropped) into `line`, at most `max` bytes of it; `Ok(false)` at
/// the end of the input. Memory stays bounded however long the line is.
fn read_line_bounded(
    reader: &mut impl BufRead,
    line: &mut Vec<u8>,
    max: usize,
) -> Result<bool, LineError> {
    line.clear();
    let mut any = false;
    loop {
        let buf = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(LineError::Io(e)),
        };
        if buf.is_empty() {
            return Ok(any);
        }
        any = true;
        let (piece, done) = match memchr::memchr(b'\n', buf) {
            Some(p) => (&buf[..p], p + 1),
            None => (buf, buf.len()),
        };
        if line.len() + piece.len() > max {
            return Err(LineError::TooLong);
        }
        line.extend_from_slice(piece);
        let newline = done > piece.len();
        reader.consume(done);
        if newline {
            return Ok(true);
        }
    }
}

/// A refusal as one sentence, with what the operator can do about it.
fn explain(e: &StreamError) -> String {
    match e {
        StreamError::Decode(DecodeError::UndecidableLayout) => format!(
            "{e} (no device-info frame came before it; if you know the unit's firmware, \
             give --variant 24s or --variant 32s)"
        ),
        other => other.to_string(),
    }
}

/// Run `decode`.
pub fn run(args: Args) -> Result<ExitCode> {
    let from_stdin = args.input.as_os_str() == "-";
    let source = if from_stdin {
        "<stdin>".to_string()
    } else {
        crate::clean::clean(&args.input.display().to_string()).into_owned()
    };
    let reader: Box<dyn BufRead + Send> = if from_stdin {
        Box::new(BufReader::with_capacity(1 << 16, io::stdin()))
    } else {
        let file = File::open(&args.input).wrap_err_with(|| format!("cannot open {source}"))?;
        Box::new(BufReader::with_capacity(1 << 16, file))
    };
    // One write per 64 KiB instead of one per frame: stdout is line-buffered on its own.
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let code = decode_lines(reader, &source, args.variant.layout(), &mut out);
    match code {
        Err(e) if is_broken_pipe(&e) => Ok(ExitCode::SUCCESS),
        other => other,
    }
}

/// A closed pipe (`| head`) is how a reader says it has seen enough.
fn is_broken_pipe(e: &color_eyre::Report) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Notifications read from the input, many lines at once: the bytes of each, end to end.
#[derive(Default)]
struct Batch {
    /// Every notification's bytes, one after another.
    bytes: Vec<u8>,
    /// Per notification: its line number and where its bytes end in `bytes`.
    ends: Vec<(usize, usize)>,
    /// The input stopped after these lines: why (a sentence for stderr, exit status 2), or
    /// a read error.
    stop: Option<Stop>,
    /// The number of the last line read, once the input has ended.
    end: Option<usize>,
}

/// Why reading stopped early.
enum Stop {
    /// Not hex, not a capture line, or a line too long: said on stderr, exit status 2.
    Refused(String),
    /// The input could not be read.
    Io(io::Error),
}

/// Notifications per batch: enough that handing a batch over costs nothing, few enough that
/// memory stays small (a batch is some 30 KiB).
const BATCH_LINES: usize = 256;

/// The loop of `decode`, over any reader and writer (errors go to stderr). Two threads: one
/// reads and parses the hex, the other decodes and writes the JSON, so a long capture takes
/// both cores; the order of frames and messages is the input's.
fn decode_lines(
    reader: impl BufRead + Send + 'static,
    source: &str,
    forced: Option<Layout>,
    out: &mut impl Write,
) -> Result<ExitCode> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(4);
    let name = source.to_string();
    let reading = std::thread::spawn(move || read_batches(reader, &name, tx));
    let result = write_frames(&rx, source, forced, out);
    // Drop the receiver first: a reader still sending sees it gone and stops.
    drop(rx);
    // Once the output has failed the reader is not waited for: at a terminal it may sit in a
    // read for the next line, and the operator would have to press Ctrl-D to get the error.
    // Without a failure it has already sent its last batch and ends at once.
    if result.is_ok() {
        let _ = reading.join();
    }
    result
}

/// Read the input and parse each line into bytes, a batch at a time, until the end, a line
/// that cannot be read, or the other side has gone.
fn read_batches(mut reader: impl BufRead, source: &str, tx: std::sync::mpsc::SyncSender<Batch>) {
    let mut raw = Vec::with_capacity(1024);
    let mut bytes = Vec::with_capacity(512);
    let mut number = 0usize;
    // A capture (`monitor --record`, a session's capture.jkcap) is known by its header on the
    // first line that is not blank; its `in` lines are the notifications.
    let mut capture = false;
    let mut first = true;
    let mut batch = Batch::default();
    loop {
        let stop = match read_line_bounded(&mut reader, &mut raw, MAX_LINE_BYTES) {
            Ok(true) => None,
            Ok(false) => {
                batch.end = Some(number);
                break;
            }
            Err(LineError::TooLong) => Some(Stop::Refused(format!(
                "{source}:{}: line longer than {MAX_LINE_BYTES} bytes: not a capture \
                 (each line must be one notification in hex)",
                number + 1
            ))),
            Err(LineError::Io(e)) => Some(Stop::Io(e)),
        };
        if let Some(stop) = stop {
            batch.stop = Some(stop);
            break;
        }
        number += 1;
        let line = raw.strip_suffix(b"\r").unwrap_or(&raw);
        if first && !line.iter().all(u8::is_ascii_whitespace) {
            first = false;
            capture = std::str::from_utf8(line).is_ok_and(crate::bms::capture::is_header);
        }
        if capture {
            let read = std::str::from_utf8(line)
                .map_err(|_| "the line is not text".to_string())
                .and_then(crate::bms::capture::notification_of);
            match read {
                Ok(Some(b)) => bytes = b,
                Ok(None) => continue,
                Err(problem) => {
                    batch.stop = Some(Stop::Refused(format!(
                        "{source}:{number}: not a capture line: {}",
                        crate::clean::clean(&problem)
                    )));
                    break;
                }
            }
        } else if let Err(e) = parse_hex_into(line, &mut bytes) {
            batch.stop = Some(Stop::Refused(format!(
                "{source}:{number}:{}: not hex: {} (each line must be one notification \
                 in hex)",
                e.column,
                crate::clean::clean(&e.problem)
            )));
            break;
        }
        if bytes.is_empty() {
            continue;
        }
        batch.bytes.extend_from_slice(&bytes);
        batch.ends.push((number, batch.bytes.len()));
        if batch.ends.len() == BATCH_LINES && tx.send(std::mem::take(&mut batch)).is_err() {
            return;
        }
    }
    let _ = tx.send(batch);
}

/// Decode the batches' notifications through one [`FrameStream`] and write each frame.
fn write_frames(
    rx: &std::sync::mpsc::Receiver<Batch>,
    source: &str,
    forced: Option<Layout>,
    out: &mut impl Write,
) -> Result<ExitCode> {
    let mut stream = FrameStream::new(forced);
    let mut refused = 0usize;
    let mut decoded = 0usize;
    // The reader always ends with a batch that says how; a closed channel without one means
    // it panicked.
    let number = loop {
        let Ok(batch) = rx.recv() else {
            color_eyre::eyre::bail!("the reader of {source} stopped without a word");
        };
        let mut start = 0;
        for &(number, end) in &batch.ends {
            let mut written = Ok(());
            stream.push_each(&batch.bytes[start..end], |result| match result {
                Ok(frame) => {
                    decoded += 1;
                    if written.is_ok() {
                        written = write_frame(out, &frame);
                    }
                }
                Err(e) => {
                    refused += 1;
                    out.flush().ok();
                    eprintln!(
                        "{source}:{number}: frame refused: {}",
                        crate::clean::clean(&explain(&e))
                    );
                }
            });
            written.wrap_err("cannot write output")?;
            start = end;
        }
        match batch.stop {
            Some(Stop::Refused(message)) => {
                out.flush().ok();
                eprintln!("{message}");
                return Ok(ExitCode::from(2));
            }
            Some(Stop::Io(e)) => {
                return Err(e).wrap_err_with(|| format!("cannot read {source}"));
            }
            None => {}
        }
        if let Some(number) = batch.end {
            break number;
        }
    };
    out.flush().wrap_err("cannot write output")?;
    // Up to 3 left-over bytes can only be the start of a header among trailing noise.
    if stream.pending() > 3 {
        refused += 1;
        eprintln!(
            "{source}:{number}: incomplete frame at end of input: {} of {FRAME_LEN} bytes",
            stream.pending()
        );
    }
    if refused > 0 {
        eprintln!("{source}: {decoded} frame(s) decoded, {refused} refused");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_lines_accept_the_usual_capture_formats() {
        let want = Some(vec![0x55, 0xAA, 0xEB, 0x90]);
        for line in [
            "55aaeb90",
            "55 AA eb 90",
            "55:aa:eb:90",
            "0x55 0xAA 0xeb 0x90",
            "0x55, 0xaa, 0xeb, 0x90 # header",
            "\t55aa eb90  ",
        ] {
            assert_eq!(parse_hex_line(line), Ok(want.clone()), "{line}");
        }
        assert_eq!(parse_hex_line(""), Ok(None));
        assert_eq!(parse_hex_line("   "), Ok(None));
        assert_eq!(parse_hex_line("# AA 55 90 EB ack"), Ok(None));
    }

    #[test]
    fn not_hex_is_named_by_column() {
        let e = parse_hex_line("55 aa zz").unwrap_err();
        assert_eq!(e.column, 7);
        assert!(e.problem.contains("'z'"), "{e}");
        let e = parse_hex_line("0x55 0xg0").unwrap_err();
        assert_eq!(e.column, 8);
        let e = parse_hex_line("55 5 aa").unwrap_err();
        assert_eq!(e.column, 4);
        assert!(e.problem.contains("two"), "{e}");
        let e = parse_hex_line("55 0x").unwrap_err();
        assert_eq!(e.column, 4);
        let e = parse_hex_line("55aa\u{fffd}").unwrap_err();
        assert_eq!(e.column, 5);
    }

    #[test]
    fn lines_flow_through_one_stream() {
        use crate::bms::decode::encode_logbook;
        use crate::bms::model::Logbook;
        let f = encode_logbook(&Logbook::default(), 1);
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        let input = format!(
            "# capture\n{}\n\n41540d0a\n{}\n",
            hex(&f.0[..100]),
            hex(&f.0[100..])
        );
        let mut out = Vec::new();
        let code = decode_lines(std::io::Cursor::new(input), "t", None, &mut out).unwrap();
        assert_eq!(code, ExitCode::SUCCESS);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1);
        assert!(text.contains("\"type\":\"logbook\""));
    }

    /// A reader whose first lines come at once and whose next never does (a terminal nobody
    /// types into).
    struct Stalls(std::io::Cursor<Vec<u8>>);

    impl std::io::Read for Stalls {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match self.0.read(buf)? {
                0 => loop {
                    std::thread::park();
                },
                n => Ok(n),
            }
        }
    }

    impl BufRead for Stalls {
        fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
            if self.0.position() as usize >= self.0.get_ref().len() {
                loop {
                    std::thread::park();
                }
            }
            self.0.fill_buf()
        }
        fn consume(&mut self, n: usize) {
            self.0.consume(n)
        }
    }

    /// An output that is gone (a closed pipe).
    struct Gone;

    impl Write for Gone {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failed_output_ends_decode_without_waiting_for_more_input() {
        use crate::bms::decode::encode_logbook;
        use crate::bms::model::Logbook;
        let f = encode_logbook(&Logbook::default(), 1);
        let line: String = f.0.iter().map(|x| format!("{x:02x}")).collect();
        // More than one batch, so the writer sees frames while the reader waits for a line.
        let input = format!("{line}\n").repeat(BATCH_LINES + 1);
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let r = decode_lines(
                Stalls(std::io::Cursor::new(input.into_bytes())),
                "t",
                None,
                &mut Gone,
            );
            let _ = done.send(r.map_err(|e| format!("{e:#}")));
        });
        let result = finished
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("decode waited for input after its output had failed");
        let e = result.unwrap_err();
        assert!(e.contains("cannot write output"), "{e}");
    }
}

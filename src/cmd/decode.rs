//! The `decode` subcommand: captured notifications (hex, one per line) in, one JSON object per
//! frame out, through the same [`FrameStream`] the live link uses.
//!
//! Exit status: 0 when every frame decoded, 1 when any frame was refused (each named on
//! stderr with its line), 2 when the input is not hex (line and column named) or unreadable.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use color_eyre::eyre::{Context, Result};

use crate::bms::decode::{DecodeError, FrameStream, StreamError};
use crate::bms::frame::FRAME_LEN;
use crate::bms::json::frame_to_json;
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
    /// prefixes allowed; blank lines and # comments skipped). `-` or nothing: standard input.
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

/// The bytes of one capture line, `None` for a blank or comment line.
///
/// Groups of hex digits are separated by spaces, tabs, colons or commas; each group may carry
/// a `0x` prefix and must have an even number of digits (so `5 5` is refused rather than read
/// as 0x55 or as 0x05 0x05). Everything after `#` is a comment.
pub fn parse_hex_line(line: &str) -> Result<Option<Vec<u8>>, HexError> {
    let content = line.split('#').next().unwrap_or("");
    let chars: Vec<char> = content.chars().collect();
    let is_separator = |c: char| c.is_whitespace() || c == ':' || c == ',';
    let mut bytes = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if is_separator(chars[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && !is_separator(chars[i]) {
            i += 1;
        }
        let mut group = &chars[start..i];
        let mut digits_from = start;
        if group.len() >= 2 && group[0] == '0' && (group[1] == 'x' || group[1] == 'X') {
            group = &group[2..];
            digits_from += 2;
        }
        if let Some(bad) = group.iter().position(|c| !c.is_ascii_hexdigit()) {
            return Err(HexError {
                column: digits_from + bad + 1,
                problem: format!("'{}' is not a hex digit", group[bad].escape_debug()),
            });
        }
        if group.is_empty() || !group.len().is_multiple_of(2) {
            let mut text: String = chars[start..i].iter().take(16).collect();
            if i - start > 16 {
                text.push('…');
            }
            return Err(HexError {
                column: start + 1,
                problem: format!(
                    "'{text}' has {} hex digits; each byte needs two (write 05, not 5)",
                    group.len()
                ),
            });
        }
        for pair in group.chunks(2) {
            let hi = pair[0].to_digit(16).unwrap_or(0) as u8;
            let lo = pair[1].to_digit(16).unwrap_or(0) as u8;
            bytes.push(hi << 4 | lo);
        }
    }
    Ok((!bytes.is_empty()).then_some(bytes))
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
        args.input.display().to_string()
    };
    let reader: Box<dyn BufRead> = if from_stdin {
        Box::new(BufReader::new(io::stdin().lock()))
    } else {
        let file = File::open(&args.input).wrap_err_with(|| format!("cannot open {source}"))?;
        Box::new(BufReader::new(file))
    };
    decode_lines(
        reader,
        &source,
        args.variant.layout(),
        &mut io::stdout().lock(),
    )
}

/// The loop of `decode`, over any reader and writer (errors go to stderr).
fn decode_lines(
    mut reader: impl BufRead,
    source: &str,
    forced: Option<Layout>,
    out: &mut impl Write,
) -> Result<ExitCode> {
    let mut stream = FrameStream::new(forced);
    let mut refused = 0usize;
    let mut decoded = 0usize;
    let mut raw = Vec::new();
    let mut number = 0usize;
    loop {
        raw.clear();
        let n = reader
            .read_until(b'\n', &mut raw)
            .wrap_err_with(|| format!("cannot read {source}"))?;
        if n == 0 {
            break;
        }
        number += 1;
        // Invalid UTF-8 shows as U+FFFD, which the hex check then names by column.
        let line = String::from_utf8_lossy(&raw);
        let bytes = match parse_hex_line(line.trim_end_matches(['\n', '\r'])) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => continue,
            Err(e) => {
                out.flush().ok();
                eprintln!(
                    "{source}:{number}:{}: not hex: {} (each line must be one notification \
                     in hex)",
                    e.column, e.problem
                );
                return Ok(ExitCode::from(2));
            }
        };
        for result in stream.push(&bytes) {
            match result {
                Ok(frame) => {
                    decoded += 1;
                    writeln!(out, "{}", frame_to_json(&frame)).wrap_err("cannot write output")?;
                }
                Err(e) => {
                    refused += 1;
                    out.flush().ok();
                    eprintln!("{source}:{number}: frame refused: {}", explain(&e));
                }
            }
        }
    }
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
        let code = decode_lines(input.as_bytes(), "t", None, &mut out).unwrap();
        assert_eq!(code, ExitCode::SUCCESS);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1);
        assert!(text.contains("\"type\":\"logbook\""));
    }
}

//! Untrusted text made safe for a terminal, visibly.
//!
//! Logs, answers and scenario files, wizard files given with `--wizard`, BLE advertisements and
//! BMS frames all carry text that someone other than the operator chose. Printed raw, an
//! `ESC[8m` in an operator's name hides whatever follows it ("SIMULATED BMS"), an OSC sequence
//! retitles the window, a bidi override reorders a line. Every printer (the CLI commands and the
//! TUI's text helpers) passes such text through [`clean`] or [`clean_lines`]: each control
//! character becomes a visible stand-in, so a sequence shows as `␛[8m` and does nothing. Nothing
//! is dropped: a reviewer sees that the text carried a control, and which.
//!
//! The report HTML does not use this: its template engine escapes for HTML already.

use std::borrow::Cow;
use std::fmt;

/// How one character is shown, `None` when it is safe as it is.
///
/// - C0 controls and DEL: their Control Pictures symbol (`␛` for ESC, `␇` for BEL, `␀` …);
/// - C1 controls (U+0080–U+009F, among them the 8-bit CSI U+009B, OSC U+009D and DCS U+0090),
///   bidi embeddings, overrides and isolates, the line and paragraph separators and the
///   invisible formatting characters that can hide or reorder text: `\u{…}`.
fn stand_in(c: char) -> Option<Replacement> {
    match c {
        '\u{00}'..='\u{1f}' => {
            // U+2400 + code is the Control Pictures symbol of each C0 control.
            char::from_u32(0x2400 + c as u32).map(Replacement::Picture)
        }
        '\u{7f}' => Some(Replacement::Picture('\u{2421}')),
        '\u{80}'..='\u{9f}'
        | '\u{061c}'
        | '\u{200b}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{2069}'
        | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}' => Some(Replacement::Escape(c)),
        _ => None,
    }
}

#[derive(Clone, Copy)]
enum Replacement {
    Picture(char),
    Escape(char),
}

impl fmt::Display for Replacement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Replacement::Picture(p) => write!(f, "{p}"),
            Replacement::Escape(c) => write!(f, "\\u{{{:x}}}", *c as u32),
        }
    }
}

fn clean_with(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let unsafe_char = |c: char| !(keep_newlines && c == '\n') && stand_in(c).is_some();
    let Some(first) = text.find(unsafe_char) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str(&text[..first]);
    for c in text[first..].chars() {
        match stand_in(c) {
            Some(r) if !(keep_newlines && c == '\n') => {
                use fmt::Write as _;
                // Writing to a String cannot fail.
                let _ = write!(out, "{r}");
            }
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `text` for one line of a terminal: every control character (newlines and tabs too) and
/// every character that can hide or reorder text shown by a visible stand-in.
pub fn clean(text: &str) -> Cow<'_, str> {
    clean_with(text, false)
}

/// Like [`clean`], but line breaks stay line breaks: for messages of several lines.
pub fn clean_lines(text: &str) -> Cow<'_, str> {
    clean_with(text, true)
}

/// A value whose `Display` output is shown cleaned (single-line): `println!("{}", Clean(&x))`.
pub struct Clean<T>(pub T);

impl<T: fmt::Display> fmt::Display for Clean<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so `{:<16}` around a cleaned value still lines a table up.
        f.pad(&clean(&self.0.to_string()))
    }
}

/// A value whose `Display` output is shown cleaned, its line breaks kept.
pub struct CleanLines<T>(pub T);

impl<T: fmt::Display> fmt::Display for CleanLines<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&clean_lines(&self.0.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cleaned_value_keeps_its_column_width() {
        assert_eq!(format!("[{:<6}]", Clean("ab\x1bc")), "[ab␛c  ]");
        assert_eq!(format!("[{:>4}]", Clean("x")), "[   x]");
    }

    /// Whether a terminal could act on anything in `s`.
    fn inert(s: &str) -> bool {
        s.chars().all(|c| stand_in(c).is_none())
    }

    #[test]
    fn every_c0_control_and_del_become_their_picture() {
        for code in (0u32..0x20).chain([0x7f]) {
            let c = char::from_u32(code).unwrap();
            let shown = clean(&format!("a{c}b")).into_owned();
            assert!(inert(&shown), "{code:#x} -> {shown:?}");
            assert_eq!(shown.chars().count(), 3, "{code:#x} -> {shown:?}");
            assert_ne!(shown, "ab", "{code:#x} was dropped");
        }
        assert_eq!(clean("\x1b"), "␛");
        assert_eq!(clean("\x07"), "␇");
        assert_eq!(clean("\0"), "␀");
        assert_eq!(clean("\n\t\r"), "␊␉␍");
        assert_eq!(clean("\x7f"), "␡");
    }

    #[test]
    fn every_c1_control_is_escaped_by_its_code() {
        for code in 0x80u32..=0x9f {
            let c = char::from_u32(code).unwrap();
            let shown = clean(&format!("a{c}b")).into_owned();
            assert_eq!(shown, format!("a\\u{{{code:x}}}b"));
        }
    }

    #[test]
    fn escape_sequences_show_and_do_nothing() {
        // CSI (conceal, colour, clear screen, cursor up), OSC (window title, hyperlink) ended
        // by BEL or by ST, DCS, and the 8-bit CSI.
        let cases = [
            ("Ann\x1b[8mSIMULATED BMS", "Ann␛[8mSIMULATED BMS"),
            ("\x1b[31;1mred\x1b[0m", "␛[31;1mred␛[0m"),
            ("\x1b[2J\x1b[H", "␛[2J␛[H"),
            ("\x1b[1A", "␛[1A"),
            ("\x1b]0;owned\x07", "␛]0;owned␇"),
            (
                "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\",
                "␛]8;;http://x␛\\link␛]8;;␛\\",
            ),
            ("\x1bP1$qm\x1b\\", "␛P1$qm␛\\"),
            ("\u{9b}8m", "\\u{9b}8m"),
            ("\u{9d}0;t\u{9c}", "\\u{9d}0;t\\u{9c}"),
        ];
        for (raw, shown) in cases {
            assert_eq!(clean(raw), shown, "{raw:?}");
            assert!(inert(&clean(raw)));
        }
    }

    #[test]
    fn bidi_and_invisible_characters_are_named() {
        assert_eq!(clean("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(clean("\u{2066}x\u{2069}"), "\\u{2066}x\\u{2069}");
        assert_eq!(clean("a\u{200b}b"), "a\\u{200b}b");
        assert_eq!(clean("a\u{2028}b"), "a\\u{2028}b");
        assert_eq!(clean("\u{feff}x"), "\\u{feff}x");
        assert_eq!(clean("\u{061c}"), "\\u{61c}");
    }

    #[test]
    fn plain_text_is_untouched_and_not_copied() {
        for s in [
            "",
            "Anna Berg",
            "3,65 V · Zellen ✓ 温度",
            "JK-B2A24S20P",
            "a\\u{1b}",
        ] {
            assert!(matches!(clean(s), Cow::Borrowed(_)), "{s}");
            assert_eq!(clean(s), s);
        }
    }

    #[test]
    fn clean_lines_keeps_line_breaks_only() {
        assert_eq!(clean_lines("one\ntwo\x1b[8m"), "one\ntwo␛[8m");
        assert_eq!(clean_lines("a\r\nb"), "a␍\nb");
        assert_eq!(clean("one\ntwo"), "one␊two");
    }

    #[test]
    fn the_wrappers_clean_what_display_writes() {
        assert_eq!(Clean("x\x1b[8m").to_string(), "x␛[8m");
        assert_eq!(CleanLines("x\ny\x07").to_string(), "x\ny␇");
        assert_eq!(Clean(42).to_string(), "42");
    }
}

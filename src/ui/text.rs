//! Labels of the screens and a small word wrapper.
//!
//! Labels come from the wizard's `messages` when it has them (so a translation of the wizard
//! translates the screen); the English defaults here keep a wizard without them usable.

use ratatui::text::Span;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::wizard::spec::{tr, Section, Text, WizardSpec};

/// The built-in wizard's messages: the fallback for a wizard file without them.
fn fallback() -> &'static BTreeMap<String, Text> {
    static MESSAGES: OnceLock<BTreeMap<String, Text>> = OnceLock::new();
    MESSAGES.get_or_init(|| WizardSpec::builtin().messages)
}

/// The label for `key` in `lang`: the wizard's text if it has one, else the built-in wizard's,
/// else the key itself.
pub fn label<'a>(spec: &'a WizardSpec, lang: &str, key: &'a str) -> &'a str {
    match spec.messages.get(key).or_else(|| fallback().get(key)) {
        Some(text) => tr(text, lang),
        None => key,
    }
}

/// The label for `key` with its `{placeholders}` filled in.
pub fn label_with(spec: &WizardSpec, lang: &str, key: &str, values: &[(&str, &str)]) -> String {
    fill(label(spec, lang, key), values)
}

/// The screen's own words for `key` (wizard.yaml's `ui:` section) in `lang`.
pub fn say(spec: &WizardSpec, lang: &str, key: &str) -> String {
    say_with(spec, lang, key, &[])
}

/// The screen's own words for `key` with its `{placeholders}` filled in (values shown as
/// they are: names, counts, paths).
pub fn say_with(spec: &WizardSpec, lang: &str, key: &str, values: &[(&str, &str)]) -> String {
    crate::wizard::words::say_verbatim(spec, lang, key, values)
}

/// Replace each `{name}` in `text` by its value, in one pass through the words' one renderer:
/// a value that itself holds `{other}` is shown as typed, never filled again.
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    crate::wizard::words::fill(text, |name| {
        values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
    })
}

/// The label of a section.
pub fn section_label<'a>(spec: &'a WizardSpec, lang: &str, section: Section) -> &'a str {
    label(spec, lang, section.message_key())
}

/// The short code of a section in the step list: W 5 is wiring step 5 of the manual.
pub fn section_code(section: Section) -> &'static str {
    match section {
        Section::Setup => "S",
        Section::Wiring => "W",
        Section::Configuration => "C",
        Section::Protection => "P",
        Section::Signoff => "✎",
    }
}

/// A step as the step list names it, `W 5 Cells at a similar charge` (a step without a
/// manual number by its title); a step this wizard does not have (a log of another wizard)
/// by its id.
pub fn step_short(spec: &WizardSpec, lang: &str, id: &str) -> String {
    // Without a manual number the section's letter alone says nothing in a sentence.
    match crate::wizard::words::step_parts(spec, lang, id) {
        Ok((section, Some(n), title)) => format!("{} {n} {title}", section_code(section)),
        Ok((_, None, title)) => title,
        Err(id) => id,
    }
}

/// Display width of a string in terminal cells.
pub fn width(s: &str) -> usize {
    Span::raw(s).width()
}

/// Wrap `text` into lines of at most `max` cells, breaking at spaces; a word longer than a
/// line is cut.
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut lines = Vec::new();
    // The one place the TUI's text passes through (with clip): untrusted text shows cleaned.
    let text = crate::clean::clean_lines(text);
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut used = 0;
        // A no-break space (U+00A0: a number and its unit, a mark and its word) holds its
        // neighbours together, as in ratatui's own wrapping.
        for word in paragraph
            .split(|c: char| c.is_whitespace() && c != '\u{a0}')
            .filter(|w| !w.is_empty())
        {
            let mut word = word.to_string();
            let mut w = width(&word);
            while w > max {
                if used > 0 {
                    lines.push(std::mem::take(&mut line));
                    used = 0;
                }
                let cut: String = word.chars().take(max).collect();
                word = word.chars().skip(max).collect();
                lines.push(cut);
                w = width(&word);
            }
            if w == 0 {
                continue;
            }
            if used > 0 && used + 1 + w > max {
                lines.push(std::mem::take(&mut line));
                used = 0;
            }
            if used > 0 {
                line.push(' ');
                used += 1;
            }
            line.push_str(&word);
            used += w;
        }
        lines.push(line);
    }
    lines
}

/// `s` cut to `max` cells, with an ellipsis when cut.
pub fn clip(s: &str, max: usize) -> String {
    let s = &*crate::clean::clean(s);
    if width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    for c in s.chars() {
        if width(&out) + 2 > max {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_is_named_as_the_step_list_names_it_in_the_language() {
        let spec = WizardSpec::builtin();
        assert_eq!(
            step_short(&spec, "en", "wiring.ladder"),
            "W 5 Multimeter check of the balance plug"
        );
        assert_eq!(
            step_short(&spec, "pl", "wiring.ladder"),
            "W 5 Sprawdzenie wtyczki miernikiem uniwersalnym"
        );
        assert_eq!(
            step_short(&spec, "en", "setup.pack"),
            "The pack and the people"
        );
        // A log of another wizard: the id as logged, cleaned.
        assert_eq!(step_short(&spec, "en", "old.step\x1b[2J"), "old.step␛[2J");
    }

    #[test]
    fn a_no_break_space_keeps_a_number_with_its_unit() {
        // "3,65 V" at the end of a row: the V may not start the next row alone.
        assert_eq!(
            wrap("cell OVP is 3,65\u{a0}V now", 16),
            vec!["cell OVP is", "3,65\u{a0}V now"]
        );
        // Ordinary spaces still break.
        assert_eq!(
            wrap("cell OVP is 3,65 V", 16),
            vec!["cell OVP is 3,65", "V"]
        );
    }

    #[test]
    fn wrapping_breaks_at_spaces_and_cuts_long_words() {
        assert_eq!(wrap("one two three", 7), vec!["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("a\nb", 10), vec!["a", "b"]);
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
    }

    #[test]
    fn a_value_holding_a_placeholder_is_shown_as_typed_not_filled_again() {
        let out = fill(
            "{name} ({role})",
            &[("name", "Ann {role}"), ("role", "trainee")],
        );
        assert_eq!(out, "Ann {role} (trainee)");
        // And in the other order of the values.
        let out = fill("{role}: {name}", &[("role", "{name}"), ("name", "Bo")]);
        assert_eq!(out, "{name}: Bo");
    }
}

//! Labels of the screens and a small word wrapper.
//!
//! Labels come from the wizard's `messages` when it has them (so a translation of the wizard
//! translates the screen); the English defaults here keep a wizard without them usable.

use ratatui::text::Span;

use crate::wizard::spec::{tr, Section, WizardSpec};

/// English defaults of the labels the screens use, by message key.
const DEFAULTS: &[(&str, &str)] = &[
    ("app_title", "jk-commission"),
    ("next", "Continue"),
    ("back", "Back"),
    ("skip", "Skip this optional step"),
    ("confirm", "Confirm"),
    ("quit", "Quit"),
    ("quit_confirm", "Quit now? Everything entered is saved and the wizard resumes here on the next start."),
    ("help", "Help"),
    ("yes", "yes"),
    ("no", "no"),
    ("override", "Override"),
    ("override_reason", "Reason"),
    ("override_role", "Role"),
    ("override_refused_safety", "safety gate: cannot be overridden"),
    ("gate_passed", "GATE OPEN: every check passes"),
    ("gate_failed", "GATE CLOSED"),
    ("gate_waiting", "waiting"),
    ("gate_overridden", "overridden"),
    ("step_progress", "step"),
    ("manual_step", "manual step"),
    ("optional_step", "optional"),
    ("section_setup", "Setup"),
    ("section_wiring", "Wiring"),
    ("section_configuration", "Configuration"),
    ("section_protection", "Protection test"),
    ("section_signoff", "Sign-off"),
    ("warnings_title", "Warning"),
    ("errors_title", "Manual errors"),
    ("field_required", "required"),
    ("field_invalid", "refused"),
    ("live_title", "BMS live"),
    ("live_connected", "connected"),
    ("live_disconnected", "not connected"),
    ("live_stale", "stale"),
    ("cells", "cells"),
    ("pack_voltage", "Pack"),
    ("current", "Current"),
    ("temperature", "Temp"),
    ("no_alarm", "no alarm"),
    ("alarm_active", "ALARM"),
    ("ladder_pin", "Pin"),
    ("ladder_cell", "Cell"),
    ("ladder_reading", "Reading"),
    ("ladder_pack", "Pack voltage across the terminals"),
    ("ladder_last_pin", "Last pin of the last plug"),
    ("ladder_unused", "Unused wire"),
    ("sign_off", "Sign off"),
    ("log_saved", "Signed off. The log is saved in"),
    ("resume", "Resumed the unfinished session in"),
    ("sim_banner", "SIMULATOR"),
    ("training_banner", "TRAINING"),
    ("no_passwords", "Passwords are never shown or logged."),
];

/// The label for `key` in `lang`: the wizard's text if it has one, else the English default,
/// else the key itself.
pub fn label<'a>(spec: &'a WizardSpec, lang: &str, key: &'a str) -> &'a str {
    if let Some(text) = spec.messages.get(key) {
        return tr(text, lang);
    }
    DEFAULTS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(key, |(_, v)| v)
}

/// The label of a section.
pub fn section_label<'a>(spec: &'a WizardSpec, lang: &str, section: Section) -> &'a str {
    label(spec, lang, section_key(section))
}

fn section_key(section: Section) -> &'static str {
    match section {
        Section::Setup => "section_setup",
        Section::Wiring => "section_wiring",
        Section::Configuration => "section_configuration",
        Section::Protection => "section_protection",
        Section::Signoff => "section_signoff",
    }
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

/// Display width of a string in terminal cells.
pub fn width(s: &str) -> usize {
    Span::raw(s).width()
}

/// Wrap `text` into lines of at most `max` cells, breaking at spaces; a word longer than a
/// line is cut.
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut used = 0;
        for word in paragraph.split_whitespace() {
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
    fn wrapping_breaks_at_spaces_and_cuts_long_words() {
        assert_eq!(wrap("one two three", 7), vec!["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("a\nb", 10), vec!["a", "b"]);
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
    }
}

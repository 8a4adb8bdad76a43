//! Sentences as data: a key into wizard.yaml's `reasons:` and typed arguments, rendered into
//! words only at the edge (screen, CLI, report, log).
//!
//! The core (checks, engine) never builds a sentence: it returns a [`Say`]. The words live in
//! wizard.yaml per language with named placeholders (`{cell}`, `{measured}`); [`render`]
//! fills them, writing numbers the language's way (3,65 V in Polish). Every key the code uses
//! is listed in [`KEYS`] with its placeholders, so `check-wizard` can refuse a wizard that
//! lacks one or whose translation names other placeholders.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::bms::model::Chemistry;
use crate::wizard::spec::{tr, Section, Text, WizardSpec};

pub use crate::units::Unit;

/// One typed argument of a sentence. Written as `{kind, value}` so every YAML and JSON reader
/// (and the log's untagged reasons) can read it without enum tags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Arg {
    /// A whole number: a cell, a wire, a count, a bit.
    Int(i64),
    /// A quantity with its unit, shown with `decimals` digits after the separator.
    Quantity {
        /// The number.
        value: f64,
        /// Its unit.
        unit: Unit,
        /// Digits after the decimal separator.
        decimals: u8,
    },
    /// A range of a quantity, `2,50–3,60 V`.
    Range {
        /// Lower end.
        min: f64,
        /// Upper end.
        max: f64,
        /// The unit.
        unit: Unit,
        /// Digits after the decimal separator.
        decimals: u8,
    },
    /// Cell (or wire) numbers, runs joined: `3, 5–7`.
    Numbers(Vec<u32>),
    /// Shown as it is: a model string the unit sent, an id, an app label (English in every
    /// language, as in the app).
    Verbatim(String),
    /// A chemistry's id, shown by its name in the wizard.
    Chemistry(Chemistry),
    /// A balance-plug pin, `plug 1 pin 2`.
    Pin {
        /// Plug, from 1.
        plug: u32,
        /// Pin within the plug, from 1.
        pin: u32,
    },
    /// A text the wizard gives in every language (a chemistry's name, a field's label), carried
    /// along.
    Text(Text),
    /// A sentence (or part of one) of its own.
    Say(Box<Say>),
    /// Sentences one after another, `; ` between them (the reasons of one refusal).
    List(Vec<Say>),
}

impl Arg {
    /// Volts with `decimals` digits.
    pub fn volts(value: f64, decimals: u8) -> Arg {
        Arg::Quantity {
            value,
            unit: Unit::V,
            decimals,
        }
    }

    /// A quantity.
    pub fn quantity(value: f64, unit: Unit, decimals: u8) -> Arg {
        Arg::Quantity {
            value,
            unit,
            decimals,
        }
    }

    /// A volt range.
    pub fn volt_range(min: f64, max: f64, decimals: u8) -> Arg {
        Arg::Range {
            min,
            max,
            unit: Unit::V,
            decimals,
        }
    }

    /// A whole number.
    pub fn int(n: impl Into<i64>) -> Arg {
        Arg::Int(n.into())
    }

    /// Text shown as it is.
    pub fn verbatim(s: impl Into<String>) -> Arg {
        Arg::Verbatim(s.into())
    }

    /// A nested sentence.
    pub fn say(s: Say) -> Arg {
        Arg::Say(Box::new(s))
    }
}

/// Named arguments of a sentence.
pub type Args = BTreeMap<String, Arg>;

/// A sentence not yet in words: its key in `reasons:` and its arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Say {
    /// The key in wizard.yaml's `reasons:`.
    pub key: String,
    /// Its arguments by placeholder name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: Args,
}

impl Say {
    /// A sentence with these arguments.
    pub fn new<const N: usize>(key: &str, args: [(&str, Arg); N]) -> Say {
        let say = Say {
            key: key.to_string(),
            args: args.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        };
        debug_assert!(
            placeholders_of(key)
                .is_some_and(|p| p.iter().copied().eq(say.args.keys().map(String::as_str))),
            "sentence '{key}' built with {:?}, but KEYS lists {:?}",
            say.args.keys().collect::<Vec<_>>(),
            placeholders_of(key)
        );
        say
    }

    /// A sentence without arguments.
    pub fn plain(key: &str) -> Say {
        Say::new(key, [])
    }

    /// Its words in `lang`.
    pub fn render(&self, spec: &WizardSpec, lang: &str) -> String {
        render(spec, lang, self)
    }

    /// Its words in the built-in English: what an error's `Display` says.
    pub fn english(&self) -> String {
        self.render(builtin(), "en")
    }

    /// Its words in `lang` for a screen that wraps: each number held to its unit by a
    /// no-break space ([`NO_BREAK`]).
    pub fn render_unbroken(&self, spec: &WizardSpec, lang: &str) -> String {
        render_joined(spec, lang, self, NO_BREAK)
    }
}

/// The words for `key` in `lang`, its placeholders filled with these values as they are
/// (names, counts, paths): what the screen and the CLI say around the reasons.
pub fn say_verbatim(spec: &WizardSpec, lang: &str, key: &str, values: &[(&str, &str)]) -> String {
    Say {
        key: key.to_string(),
        args: values
            .iter()
            .map(|(k, v)| (k.to_string(), Arg::verbatim(*v)))
            .collect(),
    }
    .render(spec, lang)
}

/// Whether `lang` writes a decimal comma (data: wizard.yaml's `decimal_comma`, else the
/// built-in list).
pub fn decimal_comma(spec: &WizardSpec, lang: &str) -> bool {
    let list = if spec.decimal_comma.is_empty() {
        &builtin().decimal_comma
    } else {
        &spec.decimal_comma
    };
    list.iter().any(|l| l == lang)
}

/// A number with `decimals` digits, written the language's way.
pub fn number(spec: &WizardSpec, lang: &str, value: f64, decimals: u8) -> String {
    let text = format!("{:.*}", decimals as usize, value);
    if decimal_comma(spec, lang) {
        text.replace('.', ",")
    } else {
        text
    }
}

/// The built-in wizard, loaded once: the fallback for words a wizard file lacks.
pub fn builtin() -> &'static WizardSpec {
    static SPEC: std::sync::OnceLock<WizardSpec> = std::sync::OnceLock::new();
    SPEC.get_or_init(WizardSpec::builtin)
}

/// A step's section, manual number and title in `lang` (the title cleaned to one line); for a
/// step this wizard does not have (a log of another wizard), its id as logged, cleaned.
pub fn step_parts(
    spec: &WizardSpec,
    lang: &str,
    id: &str,
) -> Result<(Section, Option<u32>, String), String> {
    match spec.steps.iter().find(|s| s.id == id) {
        Some(step) => Ok((
            step.section,
            step.number,
            crate::clean::clean(tr(&step.title, lang)).into_owned(),
        )),
        None => Err(crate::clean::clean(id).into_owned()),
    }
}

/// A step as the report's headings name it: its section, the manual's number and its title in
/// `lang` ("Wiring and activation 5 — Multimeter check of the balance plug").
pub fn step_heading(spec: &WizardSpec, lang: &str, id: &str) -> String {
    let (section, number, title) = match step_parts(spec, lang, id) {
        Ok(parts) => parts,
        Err(id) => return id,
    };
    let key = section.message_key();
    let section = spec
        .messages
        .get(key)
        .or_else(|| builtin().messages.get(key))
        .map_or(key, |t| tr(t, lang));
    let section = crate::clean::clean(section);
    match number {
        Some(n) => format!("{section} {n} — {title}"),
        None => format!("{section} — {title}"),
    }
}

/// The template for `key`: this wizard's, else the built-in one's (a wizard file written
/// before a sentence existed still shows it).
fn template<'a>(spec: &'a WizardSpec, lang: &str, key: &str) -> Option<&'a str> {
    let of = |s: &'a WizardSpec| section(s, key).get(key).map(|t| tr(t, lang));
    of(spec).or_else(|| of(builtin()))
}

/// The section of wizard.yaml a key lives in: `cli.*` in `cli:` (the subcommands' output),
/// `ui.*` in `ui:` (the screen's own words), everything else in `reasons:`.
pub fn section<'a>(spec: &'a WizardSpec, key: &str) -> &'a BTreeMap<String, Text> {
    if key.starts_with("cli.") {
        &spec.cli
    } else if key.starts_with("ui.") {
        &spec.ui
    } else {
        &spec.reasons
    }
}

/// `say` in words in `lang`. An unknown key shows as the key with its arguments, never as
/// nothing.
pub fn render(spec: &WizardSpec, lang: &str, say: &Say) -> String {
    render_joined(spec, lang, say, ' ')
}

/// `say` in words, each number joined to its unit by `join`.
fn render_joined(spec: &WizardSpec, lang: &str, say: &Say, join: char) -> String {
    match template(spec, lang, &say.key) {
        Some(t) => fill(t, |name| {
            say.args.get(name).map(|a| arg(spec, lang, a, join))
        }),
        None => {
            let args: Vec<String> = say
                .args
                .iter()
                .map(|(k, a)| format!("{k}={}", arg(spec, lang, a, join)))
                .collect();
            format!("{} ({})", say.key, args.join(", "))
        }
    }
}

/// Replace each `{name}` by `value(name)`; a placeholder without a value stays as it is.
pub fn fill(template: &str, mut value: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if is_name(&after[..close]) => {
                let name = &after[..close];
                match value(name) {
                    Some(v) => out.push_str(&v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The placeholder names a template uses, sorted.
pub fn placeholders(template: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    fill(template, |name| {
        found.insert(name.to_string());
        Some(String::new())
    });
    found
}

/// What joins a number to its unit on a screen that wraps: a no-break space (U+00A0), so a
/// line never ends in "3,65" with the "V" on the next one (the TUI's wrap and ratatui's both
/// keep it). Everything read line by line and searched (the log, CLI output, scenarios'
/// expected reasons) keeps an ordinary space: there a no-break space is invisible and a
/// search for "3,65 V" typed with an ordinary space would miss it.
pub const NO_BREAK: char = '\u{a0}';

/// One argument in words in `lang` (a number the language's way, a pin, a name).
pub fn render_arg(spec: &WizardSpec, lang: &str, a: &Arg) -> String {
    arg(spec, lang, a, ' ')
}

fn arg(spec: &WizardSpec, lang: &str, a: &Arg, join: char) -> String {
    match a {
        Arg::Int(n) => n.to_string(),
        Arg::Quantity {
            value,
            unit,
            decimals,
        } => format!(
            "{}{join}{}",
            number(spec, lang, *value, *decimals),
            unit.symbol()
        ),
        Arg::Range {
            min,
            max,
            unit,
            decimals,
        } => format!(
            "{}–{}{join}{}",
            number(spec, lang, *min, *decimals),
            number(spec, lang, *max, *decimals),
            unit.symbol()
        ),
        Arg::Numbers(list) => runs(list),
        // Names, ids and reasons someone typed: one line, controls shown, wherever it lands.
        Arg::Verbatim(s) => crate::clean::clean(s).into_owned(),
        Arg::Chemistry(c) => spec
            .chemistries
            .get(c)
            .or_else(|| builtin().chemistries.get(c))
            .map_or(c.to_string(), |s| tr(&s.name, lang).to_string()),
        Arg::Pin { plug, pin } => render_joined(
            spec,
            lang,
            &Say::new(
                "part.pin",
                [("plug", Arg::int(*plug)), ("pin", Arg::int(*pin))],
            ),
            join,
        ),
        // A wizard file's words, like a name typed: one line, controls shown.
        Arg::Text(t) => crate::clean::clean(tr(t, lang)).into_owned(),
        Arg::Say(s) => render_joined(spec, lang, s, join),
        Arg::List(list) => list
            .iter()
            .map(|s| render_joined(spec, lang, s, join))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// `3, 5–7`: consecutive numbers as runs.
pub fn runs(numbers: &[u32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < numbers.len() {
        let start = numbers[i];
        let mut end = start;
        while i + 1 < numbers.len() && numbers[i + 1] == end + 1 {
            i += 1;
            end = numbers[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}–{end}")
        });
        i += 1;
    }
    parts.join(", ")
}

/// The placeholders `key` takes, if the code knows the key.
pub fn placeholders_of(key: &str) -> Option<&'static [&'static str]> {
    KEYS.iter().find(|(k, _)| *k == key).map(|(_, p)| *p)
}

/// Every sentence key the code builds, with its placeholders in sorted order.
pub const KEYS: &[(&str, &[&str])] = &[
    ("part.empty", &[]),
    ("part.pin", &["pin", "plug"]),
    ("part.tick", &["reason", "tick"]),
    ("part.probe_count_note", &["expected"]),
    ("part.choose_type_then_measure", &["app_label"]),
    ("part.output_dark", &[]),
    ("part.output_leads", &[]),
    ("entry.cell", &["cell"]),
    ("entry.as_written", &["text"]),
    ("entry.range", &["max", "min"]),
    ("entry.range_to", &["max", "min"]),
    ("entry.empty_number", &["field", "unit"]),
    ("entry.empty_integer", &["field", "max", "min"]),
    ("entry.empty_choice", &["field", "options"]),
    ("entry.empty_text", &["field"]),
    ("entry.not_a_number", &["field", "text", "unit"]),
    ("entry.wrong_unit", &["expected", "field", "found", "text"]),
    ("entry.not_an_integer", &["field", "text"]),
    (
        "entry.not_an_integer_in",
        &["example", "field", "range", "text"],
    ),
    ("entry.not_a_number_in", &["field", "range", "text"]),
    ("entry.empty_number_in", &["field", "range"]),
    ("entry.out_of_range", &["field", "range", "value"]),
    ("entry.unknown_option", &["field", "options", "text"]),
    (
        "train.overridden",
        &["by", "gate", "reason", "role", "step"],
    ),
    ("train.other_reason", &["gate", "reasons", "step", "want"]),
    ("train.not_shown", &["gate", "step"]),
    ("train.not_reached", &["gate", "step"]),
    ("train.pass_refused", &["gates", "step"]),
    ("train.pass_open", &[]),
    ("train.not_caught", &["fault", "gate", "step", "why"]),
    ("train.unexplained_stop", &["gates", "step"]),
    ("train.neither", &[]),
    ("train.part.gate", &["gate", "reasons"]),
    ("link.down.not_answering", &[]),
    ("link.down.out_of_range", &[]),
    ("link.down.silent", &["secs"]),
    ("link.down.dropped", &[]),
    ("link.down.reconnecting", &["address"]),
    ("link.down.send_failed", &["detail"]),
    ("link.down.recorded", &["text"]),
    ("link.down.replay_ended", &["name", "secs"]),
    ("link.no_dbus", &["detail"]),
    ("link.no_adapter", &[]),
    ("link.permission", &["detail"]),
    ("link.not_found", &["address", "secs"]),
    ("link.not_jk", &["address", "detail"]),
    ("link.connect", &["address", "detail"]),
    ("link.closed", &[]),
    ("link.other", &["detail"]),
    ("engine.no_steps", &[]),
    ("engine.unknown_language", &["lang"]),
    ("engine.finished", &[]),
    ("engine.unknown_item", &["item", "step"]),
    ("engine.unknown_field", &["field", "step"]),
    ("engine.no_ladder_here", &["step"]),
    ("engine.cells_unknown", &[]),
    ("engine.no_such_cell", &["cell", "n"]),
    ("engine.rewire_here", &["step"]),
    ("engine.no_such_lead", &["cell", "cells"]),
    ("engine.no_such_probe", &["probe", "probes"]),
    ("engine.at_start", &[]),
    ("engine.not_optional", &["step"]),
    ("engine.no_such_gate", &["gate", "step"]),
    ("engine.safety_gate", &["gate"]),
    ("engine.override_incomplete", &[]),
    ("engine.gate_passes", &["gate"]),
    ("engine.signoff_elsewhere", &["step"]),
    ("engine.signoff_incomplete", &[]),
    ("engine.no_such_step", &["step"]),
    ("engine.finish_amending", &["step"]),
    ("engine.not_amendable", &["step"]),
    ("log.unknown_format", &["expected", "format"]),
    ("log.replay_not_marked", &[]),
    ("log.step_open", &["step"]),
    ("log.done_but_gate", &["gate", "result", "step"]),
    ("log.safety_left", &["gate", "result", "step"]),
    ("log.override_unrecorded", &["gate", "step"]),
    ("log.pass_but_overrides", &[]),
    ("log.overrides_none", &[]),
    ("log.journal_hash_bad", &[]),
    ("log.cannot_write", &["error", "path"]),
    ("cli.run.app_refused", &["action", "error", "step"]),
    ("sim.not_answering", &[]),
    ("sim.no_power", &[]),
    ("sim.out_of_range", &["range", "value", "what"]),
    ("sim.no_such_cell", &["cell", "cells"]),
    ("sim.no_such_probe", &["probe", "probes"]),
    ("sim.no_current", &["current"]),
    ("sim.unsupported", &["switch"]),
    ("bench.sim", &["error"]),
    ("bench.scenario", &["error", "origin"]),
    ("bench.refused", &["error"]),
    ("log.journal.io.create_folder", &["error", "path"]),
    ("log.journal.io.open", &["error", "path"]),
    ("log.journal.io.record_creation", &["error", "path"]),
    ("log.journal.io.read", &["error", "path"]),
    ("log.journal.io.keep_torn", &["error", "path"]),
    ("log.journal.io.cut_torn", &["error", "path"]),
    ("log.journal.io.append", &["error", "path"]),
    ("log.journal.corrupt", &["error", "line", "path"]),
    ("log.journal.incomplete", &["line", "path"]),
    ("log.journal.encode", &["error", "path"]),
    ("log.session.other_wizard", &["dir", "expected", "found"]),
    ("log.session.finished", &["dir"]),
    ("log.session.not_a_session", &["dir", "journal"]),
    ("log.session.folder", &["dir", "error"]),
    ("log.session.move", &["error", "from", "to"]),
    ("audit.journal_changed", &["found", "recorded"]),
    ("audit.journal_unreadable", &["error"]),
    ("audit.other_wizard", &["given", "log"]),
    ("audit.no_log", &["error"]),
    ("audit.differs", &["journal", "log", "path"]),
    ("audit.journal_missing", &["error", "journal"]),
    ("audit.capture_outside", &["file"]),
    ("audit.capture_changed", &["found", "path", "recorded"]),
    ("audit.refused.signature", &["reason"]),
    ("audit.refused.not_a_log", &["error"]),
    ("audit.refused.untrustworthy", &["problems"]),
    ("sign.bad", &[]),
    ("sign.malformed", &["reason"]),
    ("sign.wrong_namespace", &["found", "namespace"]),
    ("sign.not_listed", &["fingerprint"]),
    (
        "sign.namespace_not_allowed",
        &["fingerprint", "line", "namespace"],
    ),
    ("sign.signers_line", &["line", "reason"]),
    ("sign.key_exists", &["path"]),
    ("sign.io.create_folder", &["error", "path"]),
    ("sign.io.read_key", &["error", "path"]),
    ("sign.io.create", &["error", "path"]),
    ("sign.io.write", &["error", "path"]),
    ("sign.not_a_key", &["path", "reason"]),
    ("sign.why.public_key", &[]),
    ("sign.why.old_pem", &[]),
    ("sign.why.no_block", &[]),
    ("sign.encrypted_key", &["path"]),
    ("sign.not_ed25519_key", &["algorithm", "path"]),
    ("sign.why.not_canonical", &[]),
    ("sign.why.version", &["version"]),
    ("sign.unsupported_key", &["algorithm"]),
    ("sign.key_too_open", &["mode", "path"]),
    ("sign.ssh", &["error"]),
    ("fact.chemistry", &[]),
    ("fact.cells", &[]),
    ("fact.capacity", &[]),
    ("waiting.device_info", &[]),
    ("waiting.logbook", &[]),
    ("waiting.settings", &[]),
    ("waiting.cells", &[]),
    ("unreadable.temp_sensor_switch", &[]),
    ("unreadable.emergency_switch", &[]),
    ("unreadable.logbook", &[]),
    ("not_reported", &["what"]),
    ("no_data", &["what"]),
    ("not_connected", &[]),
    ("settings_not_read", &[]),
    ("device_not_read", &[]),
    ("no_cell_data", &[]),
    ("cell_data_old", &["age", "max"]),
    ("missing_fact.entered_in", &["id", "title", "what"]),
    ("missing_fact.no_step", &["what"]),
    ("no_pack_voltage.measured_in", &["id", "title"]),
    ("no_pack_voltage", &[]),
    ("no_chemistry_limits", &["chemistry"]),
    ("unknown_model", &["id"]),
    ("no_model_for_cells", &["cells"]),
    (
        "cells_exceed_model",
        &["cells", "max_cells", "min_cells", "model"],
    ),
    (
        "cells_below_model",
        &["cells", "max_cells", "min_cells", "model"],
    ),
    ("unconfirmed", &["item"]),
    ("field_missing", &["label"]),
    ("activation_method", &[]),
    ("lowest_above_highest", &["highest", "lowest"]),
    ("cell_spread", &["allowed", "highest", "lowest", "spread"]),
    (
        "charger_impossible",
        &["margin", "needed", "pack", "rating", "unit"],
    ),
    ("charger_voltage", &["charger", "margin", "needed", "pack"]),
    (
        "charger_above_rating",
        &["charger", "needed", "rating", "unit"],
    ),
    (
        "output_voltage",
        &["apart", "cause", "output", "pack", "tolerance"],
    ),
    ("uvp_above_cells", &["go", "per_cell", "uvp"]),
    (
        "uvp_may_be_above_cells",
        &["app_label", "go", "others", "per_cell"],
    ),
    ("cell_not_visible", &["cell"]),
    ("extra_cells", &["extra", "n", "shown"]),
    ("no_cell_visible", &[]),
    ("cell_implausible", &["cell", "chemistry", "range", "reads"]),
    ("cell_count_setting", &["n", "set"]),
    (
        "ovp_other_chemistry",
        &["app_label", "chemistry", "other", "ovp"],
    ),
    (
        "ovp_outside_window",
        &["chemistry", "factory", "max_charge", "ovp", "window"],
    ),
    ("uvp_above_ovp", &["ovp", "uvp", "window"]),
    (
        "uvp_too_low",
        &["chemistry", "min_discharge", "uvp", "window"],
    ),
    ("uvp_too_high", &["chemistry", "uvp", "window"]),
    ("capacity_zero", &["entered"]),
    ("capacity_set", &["entered", "set"]),
    ("balance_trigger", &["factory", "set"]),
    ("switch_off", &["switch"]),
    ("temp_sensor_disabled", &[]),
    ("emergency_on", &[]),
    (
        "unit_model_mismatch",
        &["chosen", "chosen_cells", "n", "reported"],
    ),
    ("unit_model_unknown", &["chosen", "reported"]),
    (
        "pack_voltage_mismatch",
        &["apart", "live", "measured", "tolerance"],
    ),
    ("probe_missing", &["note", "probe"]),
    ("probe_implausible", &["note", "probe", "range", "reads"]),
    ("probe_alarm", &[]),
    ("charge_utpr", &["set", "wanted"]),
    ("charge_utp", &["set", "wanted"]),
    ("alarm_with_error", &["alarm", "error", "error_text"]),
    ("alarm_not_listed", &["alarm"]),
    ("unknown_alarm", &["bit"]),
    ("factory_reset", &["baseline", "last", "loads"]),
    ("no_charge_cutoff", &[]),
    ("no_discharge_cutoff", &[]),
    ("charge_cutoff_off", &["at", "set", "tolerance"]),
    ("discharge_cutoff_off", &["at", "set", "tolerance"]),
    ("alarm.balance_lead_resistance", &[]),
    ("alarm.mos_over_temperature", &[]),
    ("alarm.cell_count_mismatch", &[]),
    ("alarm.current_sensor_anomaly", &[]),
    ("alarm.cell_over_voltage", &[]),
    ("alarm.pack_over_voltage", &[]),
    ("alarm.charge_over_current", &[]),
    ("alarm.charge_short_circuit", &[]),
    ("alarm.charge_over_temperature", &[]),
    ("alarm.charge_under_temperature", &[]),
    ("alarm.coprocessor_communication", &[]),
    ("alarm.cell_under_voltage", &[]),
    ("alarm.pack_under_voltage", &[]),
    ("alarm.discharge_over_current", &[]),
    ("alarm.discharge_short_circuit", &[]),
    ("alarm.discharge_over_temperature", &[]),
    ("alarm.charge_mos_abnormal", &[]),
    ("alarm.discharge_mos_abnormal", &[]),
    ("alarm.default_password", &[]),
    ("alarm.battery_over_temperature", &[]),
    ("alarm.temperature_sensor_anomaly", &[]),
    ("error.1", &[]),
    ("error.2", &[]),
    ("error.3", &[]),
    ("error.4", &[]),
    ("error.5", &[]),
    ("error.6", &[]),
    ("error.7", &[]),
    ("error.8", &[]),
    ("error.9", &[]),
    ("ladder.node.pack_minus", &[]),
    ("ladder.node.pack_plus", &["c"]),
    ("ladder.node.pack_plus_short", &[]),
    ("ladder.node.outside", &["c"]),
    ("ladder.node.cell_plus", &["c"]),
    ("ladder.part.harness_reversed", &[]),
    ("ladder.reversed_first", &["harness", "pin", "reads"]),
    ("ladder.reversed_all", &["harness"]),
    ("ladder.open_first", &["pin", "reads"]),
    ("ladder.open", &["k", "pin", "reads"]),
    ("ladder.black_swapped", &["pin", "reads"]),
    (
        "ladder.swapped_pair",
        &["a", "b", "pin", "pin_other", "reads", "reads_other"],
    ),
    ("ladder.doubled_up", &["j", "next", "pin", "reads"]),
    ("ladder.part.share", &["e", "next"]),
    ("ladder.skipped_tap", &["e", "j", "jump", "pin", "share"]),
    ("ladder.two_cells_step", &["j", "jump", "next", "pin"]),
    ("ladder.one_cell_more", &["e", "j", "n", "pin", "reads"]),
    ("ladder.part.two_taps", &["j", "pin", "prev", "reads"]),
    ("ladder.part.one_cell_low", &["j", "node", "pin", "reads"]),
    ("ladder.run_low", &["e", "first", "j", "untapped"]),
    ("ladder.last_low", &["first", "j"]),
    ("ladder.one_low", &["first", "j"]),
    ("ladder.below_minus", &["j", "pin", "reads"]),
    ("ladder.above_pack", &["j", "pin", "reads"]),
    (
        "ladder.misplaced",
        &["c", "crossed", "j", "more", "node", "pin", "reads"],
    ),
    ("ladder.part.crossed", &["prev"]),
    ("ladder.part.misplaced_up_to", &["e"]),
    ("ladder.all_low", &["chemistry", "range", "step"]),
    ("ladder.all_high", &["chemistry", "range", "step"]),
    (
        "ladder.cell_low",
        &["chemistry", "k", "pin", "range", "step"],
    ),
    (
        "ladder.cell_high",
        &["chemistry", "k", "pin", "range", "step"],
    ),
    (
        "ladder.imbalance_above",
        &["allowed", "apart", "k", "median", "step"],
    ),
    (
        "ladder.imbalance_below",
        &["allowed", "apart", "k", "median", "step"],
    ),
    ("ladder.part.cells_less", &["count", "n"]),
    ("ladder.part.cells_more", &["count", "n"]),
    ("ladder.part.measure_both", &[]),
    (
        "ladder.pack_mismatch",
        &["apart", "cause", "last", "n", "pack", "pin", "tolerance"],
    ),
    (
        "ladder.last_pin_open",
        &["last_pin", "max_cells", "n", "reads"],
    ),
    (
        "ladder.last_pin_off",
        &["last_pin", "n", "pack", "pin", "reads"],
    ),
    ("ladder.unused_live", &["pin", "reads", "touches", "wire"]),
    ("ladder.part.touches", &["count", "node"]),
    ("ladder.missing_one", &["cell", "pin"]),
    ("ladder.missing_cells", &["cells"]),
    ("ladder.missing_pack", &[]),
    ("ladder.missing_last_pin", &["last_pin", "max_cells", "n"]),
    // What the subcommands print.
    ("cli.note", &["note"]),
    ("cli.key.given", &["fingerprint", "path"]),
    ("cli.key.operator", &["fingerprint", "path"]),
    ("cli.key.none_at", &["path"]),
    ("cli.key.no_data_dir", &[]),
    ("cli.start.training", &["id"]),
    ("cli.start.stays_on_sim", &[]),
    ("cli.start.resumed", &["dir", "step"]),
    ("cli.start.new", &["dir"]),
    ("cli.start.finished", &["dir", "log", "report", "what"]),
    (
        "cli.start.finished_what",
        &["at", "name", "pack", "signed", "verdict"],
    ),
    ("cli.start.finished_unreadable", &["signed"]),
    ("cli.start.signed", &[]),
    ("cli.start.not_signed", &[]),
    ("cli.start.saved", &["dir"]),
    ("cli.start.needs_terminal", &[]),
    ("cli.start.terminal_failed", &["error"]),
    ("cli.start.not_written", &["dir", "error"]),
    ("cli.start.no_data_dir", &[]),
    ("cli.start.cannot_open", &["dir", "error"]),
    ("cli.verdict.pass", &[]),
    ("cli.verdict.pass_with_overrides", &[]),
    ("cli.journal.torn_start", &["bytes", "kept", "line"]),
    (
        "cli.journal.torn_resume",
        &["bytes", "kept", "kept_lines", "line"],
    ),
    ("cli.report.title", &[]),
    ("cli.report.heading", &[]),
    ("cli.report.scripted_tag", &[]),
    ("cli.report.scripted_real_tag", &[]),
    ("cli.report.scripted", &["entries"]),
    ("cli.report.simulated_tag", &[]),
    ("cli.report.simulated", &[]),
    ("cli.report.replayed_tag", &[]),
    ("cli.report.replayed", &[]),
    ("cli.report.verdict", &[]),
    ("cli.report.verdict_pass", &[]),
    ("cli.report.verdict_overrides", &[]),
    ("cli.report.source_changes", &[]),
    ("cli.report.entries_by", &["entries"]),
    ("cli.report.previous", &["session"]),
    ("cli.report.started", &["name", "role", "signed", "started"]),
    ("cli.report.trainer", &["trainer"]),
    ("cli.report.pack", &[]),
    ("cli.report.pack_id", &[]),
    ("cli.report.chemistry", &[]),
    ("cli.report.series_cells", &[]),
    ("cli.report.capacity", &[]),
    ("cli.report.pack_voltage_meter", &[]),
    ("cli.report.cold_site", &[]),
    ("cli.report.yes", &[]),
    ("cli.report.no", &[]),
    ("cli.report.operator", &[]),
    ("cli.report.model_wizard", &[]),
    ("cli.report.bms", &[]),
    ("cli.report.model", &[]),
    ("cli.report.serial", &[]),
    ("cli.report.hardware", &[]),
    ("cli.report.software", &[]),
    ("cli.report.link", &[]),
    ("cli.report.no_bms", &[]),
    ("cli.report.overrides", &[]),
    ("cli.report.overrides_intro", &[]),
    ("cli.report.step", &[]),
    ("cli.report.gate", &[]),
    ("cli.report.reason", &[]),
    ("cli.report.by_role", &[]),
    ("cli.report.when", &[]),
    ("cli.report.checklist", &[]),
    ("cli.report.outcome", &[]),
    ("cli.report.confirmed_entered", &[]),
    ("cli.report.gates", &[]),
    ("cli.report.from_answers", &[]),
    ("cli.report.outcome_done", &[]),
    ("cli.report.outcome_overridden", &[]),
    ("cli.report.outcome_skipped", &[]),
    ("cli.report.outcome_not_applicable", &[]),
    ("cli.report.result_passed", &[]),
    ("cli.report.result_failed", &[]),
    ("cli.report.result_overridden", &[]),
    ("cli.report.safety", &[]),
    ("cli.report.ladder", &[]),
    ("cli.report.cell", &[]),
    ("cli.report.pin", &[]),
    ("cli.report.reading", &[]),
    ("cli.report.ladder_step", &[]),
    ("cli.report.ladder_verdict", &[]),
    ("cli.report.no_ladder", &[]),
    ("cli.report.cells", &[]),
    (
        "cli.report.cells_line",
        &["alarms", "current", "mos", "pack", "probes", "spread"],
    ),
    ("cli.report.none", &[]),
    ("cli.report.no_cells", &[]),
    ("cli.report.settings", &[]),
    ("cli.report.setting_col", &[]),
    ("cli.report.on_bms", &[]),
    ("cli.report.expected", &[]),
    ("cli.report.no_limit", &[]),
    ("cli.report.no_settings", &[]),
    ("cli.report.protection", &[]),
    ("cli.report.charge_cutoff", &[]),
    ("cli.report.discharge_cutoff", &[]),
    ("cli.report.not_observed", &[]),
    ("cli.report.set_label", &["label"]),
    ("cli.report.no_trace", &[]),
    ("cli.report.amendments", &[]),
    ("cli.report.amended_changed", &[]),
    ("cli.report.rechecked", &[]),
    ("cli.report.nothing_depended", &[]),
    ("cli.report.training", &[]),
    ("cli.report.training_scenario", &["description", "scenario"]),
    ("cli.report.training_result_caught_all", &[]),
    ("cli.report.training_result_missed_some", &[]),
    ("cli.report.fault", &[]),
    ("cli.report.caught_where", &[]),
    ("cli.report.fault_result_caught", &[]),
    ("cli.report.fault_result_missed", &[]),
    ("cli.report.expected_at", &["expected"]),
    ("cli.report.rewired", &[]),
    ("cli.report.rewired_nothing", &[]),
    ("cli.report.checking", &[]),
    ("cli.report.copy_note", &["log", "sig"]),
    ("cli.report.sha_log", &[]),
    ("cli.report.fingerprint", &[]),
    ("cli.report.not_signed", &[]),
    ("cli.report.wizard_sha", &[]),
    ("cli.report.journal_sha", &[]),
    ("cli.report.tool", &[]),
    ("cli.report.verify_with", &[]),
    ("cli.report.chart_cells", &["spread"]),
    ("cli.report.chart_cell", &["cell", "voltage"]),
    ("cli.report.chart_test", &[]),
    ("cli.report.chart_charge_cutoff", &[]),
    ("cli.report.chart_discharge_cutoff", &[]),
    ("cli.report.entries.operator", &[]),
    ("cli.report.entries.answers", &["file", "sha256"]),
    ("cli.report.entries.trainee", &["scenario"]),
    ("cli.report.entries.then", &[]),
    ("cli.report.entries.unknown", &[]),
    (
        "cli.ladder.header",
        &["cells", "chemistry", "model", "pack"],
    ),
    ("cli.ladder.col_cell", &[]),
    ("cli.ladder.col_pin", &[]),
    ("cli.ladder.col_reading", &[]),
    ("cli.ladder.col_step", &[]),
    ("cli.ladder.col_verdict", &[]),
    ("cli.ladder.ok", &[]),
    ("cli.ladder.fault", &[]),
    ("cli.ladder.pending", &[]),
    ("cli.ladder.right", &[]),
    ("cli.ladder.wrong", &["count"]),
    ("cli.ladder.reading", &["cell"]),
    ("cli.ladder.at_cell", &["cell"]),
    ("cli.ladder.option_among_readings", &["option"]),
    ("cli.ladder.readings_count", &["cells", "got"]),
    ("cli.ladder.unused_in_use", &["free", "wire"]),
    ("cli.ladder.unused_free", &["wires"]),
    ("cli.ladder.no_unused", &[]),
    ("cli.ladder.unused_form", &["entry"]),
    ("cli.procedure.title", &[]),
    ("cli.procedure.not_rendered", &["error"]),
    ("cli.procedure.pack", &["cells", "chemistry", "model"]),
    ("cli.procedure.limits", &[]),
    ("cli.procedure.warnings", &[]),
    ("cli.procedure.confirm", &[]),
    ("cli.procedure.enter", &[]),
    ("cli.procedure.checks", &[]),
    ("cli.procedure.safety", &[]),
    ("cli.procedure.when", &["choices", "field"]),
    ("cli.procedure.ladder_readings", &["cells"]),
    ("cli.procedure.limit.ladder", &["cells", "range"]),
    ("cli.procedure.limit.plausible", &["range"]),
    ("cli.procedure.limit.cell_count", &["cells"]),
    (
        "cli.procedure.limit.ovp",
        &["factory", "max_charge", "window"],
    ),
    ("cli.procedure.limit.uvp", &["min_discharge", "window"]),
    ("cli.procedure.limit.spread", &["allowed"]),
    ("cli.procedure.limit.charger", &["margin", "rating"]),
    ("cli.procedure.limit.output", &["tolerance"]),
    ("cli.procedure.limit.balance", &["factory"]),
    ("cli.procedure.limit.cold", &["utp", "utpr"]),
    ("cli.procedure.limit.live_pack", &["tolerance"]),
    ("cli.procedure.limit.protection", &["tolerance"]),
    ("cli.procedure.limit.model", &["model"]),
    ("cli.pack.unknown_chemistry", &["known", "option", "text"]),
    ("cli.pack.cells_range", &["cells", "max", "min"]),
    ("cli.pack.unknown_model", &["id", "known"]),
    ("cli.pack.no_model_for_cells", &["cells", "ranges"]),
    (
        "cli.pack.model_cells",
        &["cells", "max", "min", "model", "name"],
    ),
    ("cli.archive.unverified", &["folder", "reason"]),
    ("cli.archive.error.database", &["error"]),
    ("cli.archive.error.cannot_create", &["error", "path"]),
    ("cli.archive.error.cannot_open", &["error", "path"]),
    ("cli.archive.error.unreachable", &["error", "server"]),
    ("cli.archive.error.column", &["column", "value"]),
    ("cli.archive.error.vanished", &["id"]),
    ("cli.archive.error.no_row", &[]),
    ("cli.archive.error.too_new", &["found", "latest", "store"]),
    ("cli.archive.error.not_a_date", &["option", "text"]),
    ("cli.archive.error.not_a_verdict", &["text"]),
    ("cli.archive.error.empty_search", &[]),
    ("cli.archive.not_a_session", &["folder", "reason"]),
    ("cli.archive.why.cannot_open", &["error"]),
    ("cli.archive.why.no_log", &["error", "log"]),
    ("cli.archive.why.not_signed", &["sig"]),
    ("cli.archive.why.unlisted_signer", &[]),
    ("cli.archive.why.trainer_failed", &["path", "reason"]),
    ("cli.check.ok", &["languages", "steps"]),
    ("cli.check.texts", &["given", "lang", "missing"]),
    ("cli.check.one_mistake", &["n", "origin"]),
    ("cli.check.mistakes", &["n", "origin"]),
    ("cli.archive.no_data_dir", &[]),
    ("cli.archive.cannot_write", &["path"]),
    ("cli.archive.written", &["n", "path"]),
    ("cli.archive.no_signers_at", &["path"]),
    ("cli.archive.no_signers", &[]),
    ("cli.archive.cannot_read_signers", &["path"]),
    ("cli.archive.added", &["id"]),
    ("cli.archive.already", &["id"]),
    (
        "cli.archive.add_line",
        &[
            "folder", "marks", "pack", "serial", "signer", "verdict", "what",
        ],
    ),
    ("cli.archive.history_hint", &["n", "serial"]),
    ("cli.archive.no_serial", &[]),
    ("cli.archive.mark_training", &["scenario"]),
    ("cli.archive.mark_simulated", &[]),
    ("cli.archive.mark_replayed", &[]),
    ("cli.archive.kind.live", &[]),
    ("cli.archive.kind.simulated", &[]),
    ("cli.archive.kind.replayed", &[]),
    ("cli.archive.kind.training", &[]),
    ("cli.archive.col.id", &[]),
    ("cli.archive.col.signed_off", &[]),
    ("cli.archive.col.pack", &[]),
    ("cli.archive.col.serial", &[]),
    ("cli.archive.col.operator", &[]),
    ("cli.archive.col.verdict", &[]),
    ("cli.archive.col.kind", &[]),
    ("cli.archive.none_match", &["store"]),
    ("cli.archive.count", &["n"]),
    ("cli.archive.no_session", &["id", "store"]),
    ("cli.archive.session", &["id", "marks"]),
    ("cli.archive.show.pack", &["cells", "chemistry", "pack"]),
    ("cli.archive.show.bms", &["model", "serial"]),
    ("cli.archive.show.operator", &["name"]),
    ("cli.archive.show.signed_off", &["at", "by", "signer"]),
    ("cli.archive.show.started", &["at"]),
    ("cli.archive.show.verdict", &["verdict"]),
    ("cli.archive.show.simulated", &[]),
    ("cli.archive.show.replayed", &[]),
    ("cli.archive.show.archived", &["at", "sha256"]),
    ("cli.archive.show.folder", &["folder"]),
    ("cli.archive.show.missing", &[]),
    ("cli.archive.show.history", &["n", "serial"]),
    (
        "cli.archive.show.history_row",
        &["at", "id", "kind", "pack", "this", "verdict"],
    ),
    ("cli.archive.show.this_one", &[]),
    ("cli.keygen.no_data_dir", &[]),
    ("cli.keygen.not_created", &["reason"]),
    ("cli.keygen.created", &[]),
    ("cli.keygen.private", &["path"]),
    ("cli.keygen.public", &["path"]),
    ("cli.keygen.fingerprint", &["fingerprint"]),
    ("cli.keygen.whoever", &[]),
    ("cli.keygen.replace_operator", &["principal"]),
    ("cli.keygen.then_runs", &[]),
    ("cli.keygen.ask", &["path"]),
    ("cli.keygen.yes_words", &[]),
    ("cli.keygen.not_added_to", &["path"]),
    ("cli.keygen.added", &["path"]),
    ("cli.keygen.already", &["path"]),
    ("cli.keygen.not_added", &["path"]),
    ("cli.monitor.row.device", &[]),
    ("cli.monitor.row.link", &[]),
    ("cli.monitor.row.settings", &[]),
    ("cli.monitor.row.cells", &[]),
    ("cli.monitor.row.logbook", &[]),
    ("cli.monitor.row.pack", &[]),
    ("cli.monitor.row.temps", &[]),
    ("cli.monitor.row.mosfets", &[]),
    ("cli.monitor.row.alarms", &[]),
    (
        "cli.monitor.device",
        &[
            "hardware",
            "model",
            "power_ons",
            "serial",
            "software",
            "uptime",
        ],
    ),
    ("cli.monitor.waiting_device", &[]),
    ("cli.monitor.waiting_settings", &[]),
    ("cli.monitor.waiting_cells", &[]),
    ("cli.monitor.link_up", &["peer"]),
    ("cli.monitor.link_down", &["reason"]),
    ("cli.monitor.news_up", &["peer"]),
    ("cli.monitor.news_down", &["reason"]),
    ("cli.monitor.news_refused", &["reason"]),
    ("cli.monitor.logbook", &["n"]),
    (
        "cli.monitor.settings",
        &["balance_start", "balance_trigger", "capacity", "cells"],
    ),
    (
        "cli.monitor.cell_limits",
        &["ovp", "ovpr", "power_off", "uvp", "uvpr"],
    ),
    (
        "cli.monitor.currents",
        &["charge", "discharge", "otp", "utp", "utpr"],
    ),
    ("cli.monitor.switches", &["balance", "charge", "discharge"]),
    ("cli.monitor.sensors_enabled", &[]),
    ("cli.monitor.sensors_disabled", &[]),
    ("cli.monitor.on", &[]),
    ("cli.monitor.off", &[]),
    (
        "cli.monitor.cells",
        &["connected", "frame", "layout", "slots"],
    ),
    ("cli.monitor.cell_missing", &[]),
    (
        "cli.monitor.cell_stats",
        &["average", "delta", "max", "max_cell", "min", "min_cell"],
    ),
    (
        "cli.monitor.pack",
        &["current", "cycles", "full", "remaining", "soc", "voltage"],
    ),
    ("cli.monitor.none", &[]),
    ("cli.monitor.mos", &["temp"]),
    ("cli.monitor.balancer_idle", &[]),
    ("cli.monitor.balancer_charging", &["current"]),
    ("cli.monitor.balancer_discharging", &["current"]),
    ("cli.monitor.mosfets", &["balancer", "charge", "discharge"]),
    ("cli.monitor.alarm_manual", &["alarm", "error", "n"]),
    ("cli.monitor.unknown_bits", &["bits"]),
    ("cli.monitor.timeout", &["seconds"]),
    ("cli.monitor.closed", &[]),
    ("cli.monitor.cannot_write", &["error"]),
    ("cli.monitor.choose_replay", &[]),
    ("cli.monitor.sim_only", &["path"]),
    ("cli.monitor.sim_or_address", &[]),
    ("cli.monitor.which_unit", &[]),
    ("cli.monitor.timeout_zero", &[]),
    ("cli.monitor.no_runtime", &["error"]),
    ("cli.monitor.sim_failed", &["error"]),
    ("cli.monitor.cannot_record", &["error", "path"]),
    ("cli.monitor.recorded", &["path"]),
    // The screen.
    ("ui.badge.sim", &[]),
    ("ui.badge.training", &["id"]),
    ("ui.badge.replay", &["file"]),
    ("ui.badge.manual", &[]),
    ("ui.header.keys", &[]),
    ("ui.gate.title", &[]),
    ("ui.gate.more", &["more", "key"]),
    ("ui.gate.all_title", &[]),
    ("ui.gate.all_hint", &[]),
    ("ui.gate.done", &[]),
    ("ui.gate.may_go", &["next", "passed", "total"]),
    ("ui.gate.may_go_override", &["next"]),
    ("ui.gate.cannot", &["failed", "n", "total"]),
    ("ui.gate.safety", &[]),
    ("ui.gate.overridable", &[]),
    ("ui.footer.signed_off", &["dir"]),
    ("ui.help.step_list", &[]),
    ("ui.help.sections", &[]),
    ("ui.help.gates", &[]),
    ("ui.help.close", &[]),
    ("ui.help.k.rows", &[]),
    ("ui.help.k.page", &[]),
    ("ui.help.k.enter", &[]),
    ("ui.help.k.choice", &[]),
    ("ui.help.k.type", &[]),
    ("ui.help.k.backspace", &[]),
    ("ui.help.k.esc", &[]),
    ("ui.help.k.skip", &[]),
    ("ui.help.k.override", &[]),
    ("ui.help.k.phone", &[]),
    ("ui.help.k.help", &[]),
    ("ui.help.k.language", &[]),
    ("ui.help.k.quit", &[]),
    ("ui.source.sim", &[]),
    ("ui.source.bluetooth", &["address"]),
    ("ui.source.replay", &["file"]),
    ("ui.source.manual", &[]),
    ("ui.notice.source_changed", &["before", "now"]),
    ("ui.notice.source_not_recorded", &["error"]),
    ("ui.notice.data_not_recorded", &["error"]),
    ("ui.notice.frame_refused", &["reason"]),
    ("ui.notice.folder_named", &["dir"]),
    ("ui.notice.folder_kept", &["dir", "error"]),
    ("ui.notice.phone_sim_only", &[]),
    ("ui.notice.protection_not_yet", &[]),
    ("ui.notice.simulated", &["what"]),
    ("ui.notice.signed_off", &["log", "report"]),
    ("ui.notice.signed_off_unsigned", &["log", "report"]),
    ("ui.notice.log_not_written", &["error"]),
    ("ui.phone.no_settings", &[]),
    ("ui.phone.row.plug", &[]),
    ("ui.phone.row.activate", &[]),
    ("ui.phone.row.battery_type", &[]),
    ("ui.phone.row.emergency", &[]),
    ("ui.phone.plugged_in", &[]),
    ("ui.phone.pulled_out", &[]),
    ("ui.phone.active", &[]),
    ("ui.phone.inactive", &[]),
    ("ui.phone.did.plug_in", &[]),
    ("ui.phone.did.plug_out", &[]),
    ("ui.phone.did.activated", &[]),
    ("ui.phone.did.battery_type", &["label"]),
    ("ui.phone.did.set", &["label", "value"]),
    ("ui.phone.did.emergency_on", &[]),
    ("ui.phone.did.switched", &["state", "switch"]),
    ("ui.phone.did.calibrated_voltage", &["value"]),
    ("ui.phone.did.calibrated_current", &["value"]),
    ("ui.phone.did.current_stopped", &[]),
    ("ui.phone.did.current", &["value"]),
    ("ui.mark.done", &[]),
    ("ui.mark.current", &[]),
    ("ui.mark.blocked", &[]),
    ("ui.mark.overridden", &[]),
    ("ui.mark.skipped", &[]),
    ("ui.mark.pending", &[]),
    ("ui.mark.not_applicable", &[]),
    ("ui.quit.folder", &["dir"]),
    ("ui.quit.stay", &[]),
    ("ui.override.title", &[]),
    ("ui.override.none", &[]),
    ("ui.override.esc", &[]),
    ("ui.override.gate", &[]),
    ("ui.override.name", &[]),
    ("ui.override.note", &[]),
    ("ui.override.keys", &[]),
    ("ui.live.manual", &[]),
    ("ui.live.no_data", &["why"]),
    ("ui.live.no_data_yet", &[]),
    ("ui.live.charging", &[]),
    ("ui.live.discharging", &[]),
    ("ui.live.idle", &[]),
    ("ui.live.min", &[]),
    ("ui.live.max", &[]),
    ("ui.live.on", &[]),
    ("ui.live.off", &[]),
    ("ui.live.temp_disabled", &[]),
    ("ui.live.balancer_idle", &["n"]),
    ("ui.step.signed_off", &["name", "role"]),
    ("ui.step.enter_chooses", &[]),
    ("ui.step.not_chosen", &[]),
    ("ui.step.accepted", &["range"]),
    ("ui.step.refused", &[]),
    ("ui.step.ok", &[]),
    ("ui.step.fault", &[]),
    ("ui.step.pack_first", &[]),
    ("ui.step.ladder_ok", &[]),
    ("ui.live.ago", &["age"]),
    ("cli.run.refused", &["id", "title"]),
    ("cli.run.sent_back", &["notice"]),
    ("cli.run.gate", &["gate", "what"]),
    ("cli.run.gate_safety", &["gate", "what"]),
    ("cli.run.step_entry_refused", &["error", "step"]),
    ("cli.run.entry_refused", &["error", "field", "text"]),
    ("cli.run.signed_off", &["verdict"]),
    ("cli.run.log", &["path"]),
    ("cli.run.signature", &["path"]),
    ("cli.run.unsigned", &[]),
    ("cli.run.report", &["path"]),
    ("cli.run.trainer_signature", &["path"]),
    (
        "cli.run.training",
        &["caught", "description", "id", "total"],
    ),
    ("cli.run.needs_out", &[]),
    ("cli.run.one_unit", &[]),
    ("cli.run.resuming", &["dir", "id", "title"]),
    ("ui.footer.save", &[]),
    ("ui.footer.save_back", &[]),
    ("ui.footer.ok", &[]),
    ("ui.footer.back", &[]),
    ("ui.footer.skip", &[]),
    ("ui.footer.override", &[]),
    ("ui.footer.app", &[]),
    ("ui.footer.meter", &[]),
    ("ui.footer.rewire", &[]),
    ("ui.footer.amend", &[]),
    ("ui.footer.help", &[]),
    ("ui.footer.more", &[]),
    ("ui.footer.reasons", &[]),
    ("ui.footer.language", &[]),
    ("ui.help.k.home", &[]),
    ("ui.help.k.goto", &[]),
    ("ui.help.k.meter", &[]),
    (
        "ui.summary.pack",
        &[
            "capacity",
            "cells",
            "chemistry",
            "cold",
            "id",
            "meter",
            "model",
        ],
    ),
    ("ui.summary.yes", &[]),
    ("ui.summary.scripted", &["entries"]),
    ("ui.summary.scripted_real", &["entries"]),
    ("ui.summary.replayed", &[]),
    ("ui.summary.source_changed", &["path"]),
    ("ui.summary.previous", &["session"]),
    (
        "ui.summary.override",
        &["by", "gate", "reason", "role", "step"],
    ),
    ("ui.summary.by_operator", &["gate", "step"]),
    ("ui.summary.skipped", &["title"]),
    ("ui.summary.amended", &["changed", "step"]),
    ("ui.summary.rewired", &["step", "what"]),
    ("ui.summary.alarms", &["alarms"]),
    ("ui.summary.no", &[]),
    ("ui.summary.unit", &["firmware", "link", "model", "serial"]),
    ("ui.summary.no_unit", &[]),
    ("ui.summary.no_cells", &[]),
    ("ui.summary.cells", &["count", "delta", "pack"]),
    ("ui.summary.ladder", &["cells", "faults", "readings"]),
    (
        "ui.summary.protection",
        &["charge", "discharge", "ovp", "uvp"],
    ),
    (
        "ui.summary.expected",
        &["expected", "mark", "name", "value"],
    ),
    ("ui.summary.no_settings", &[]),
    ("ui.step.name", &[]),
    ("ui.step.role", &[]),
    ("ui.phone.type_warning", &[]),
    ("ui.notice.sim_only", &[]),
    ("ui.notice.rewired", &["what"]),
    ("ui.notice.rewire_here", &[]),
    ("ui.rewire.title", &[]),
    ("ui.rewire.help", &[]),
    ("ui.rewire.lead", &["cell"]),
    ("ui.rewire.last_pin", &[]),
    ("ui.rewire.probe", &["probe"]),
    ("ui.notice.not_optional", &[]),
    ("ui.chooser.title", &[]),
    ("ui.chooser.scanning", &["secs"]),
    ("ui.chooser.unavailable", &[]),
    ("ui.chooser.scan_stopped", &[]),
    ("ui.chooser.none", &[]),
    ("ui.chooser.none_hint", &[]),
    ("ui.chooser.pick", &[]),
    ("ui.chooser.col_name", &[]),
    ("ui.chooser.col_address", &[]),
    ("ui.chooser.col_signal", &[]),
    ("ui.chooser.no_name", &[]),
    ("ui.chooser.key_sim", &[]),
    ("ui.chooser.key_manual", &[]),
    ("ui.chooser.key_rescan", &[]),
    ("ui.chooser.key_quit", &[]),
    ("cli.train.scenario", &["description", "id", "path"]),
    ("cli.train.cannot_check", &["error"]),
    ("cli.train.session", &["dir"]),
    ("cli.train.caught", &["fault", "gate", "reason", "step"]),
    ("cli.train.missed", &["fault", "why"]),
    ("cli.train.signed_off", &[]),
    ("cli.train.refused_at", &["step"]),
    ("cli.train.open", &[]),
    ("cli.train.pass_pack", &[]),
    ("cli.train.pass_caught", &[]),
    ("cli.train.fail", &[]),
    ("cli.train.check_or_replay", &[]),
    ("cli.train.nothing_to_check", &["origin"]),
    ("cli.train.holds_session", &["dir"]),
    ("cli.train.cannot_create", &["dir"]),
    ("cli.train.not_training", &["origin"]),
    ("cli.train.cannot_list", &["dir"]),
    ("cli.train.skipped", &["error"]),
    ("cli.train.none_to_choose", &[]),
    ("cli.train.list", &[]),
    ("cli.train.which", &["n"]),
    ("cli.train.not_a_number", &["text"]),
    ("cli.train.not_listed", &["n"]),
    ("cli.verify.cannot_read", &["path"]),
    ("cli.verify.cannot_read_signature", &["path"]),
    ("cli.verify.cannot_read_signers", &["path"]),
    ("cli.verify.not_signed", &["log", "sig"]),
    ("cli.verify.failed", &["log", "reason"]),
    ("cli.verify.not_a_log", &["error", "log"]),
    ("cli.verify.untrustworthy", &["log"]),
    ("cli.verify.good", &["log"]),
    (
        "cli.verify.commissioning",
        &[
            "by",
            "cells",
            "chemistry",
            "pack",
            "role",
            "signed_at",
            "verdict",
        ],
    ),
    ("cli.verify.simulated", &[]),
    ("cli.verify.replayed", &[]),
    ("cli.verify.capture_matches", &["file", "sha256"]),
    ("cli.verify.capture_missing", &["file", "sha256"]),
    ("cli.verify.capture_not_checked", &["file", "sha256"]),
    ("cli.verify.entries", &["entries"]),
    ("cli.verify.entry.none", &[]),
    ("cli.verify.entry.operator", &[]),
    ("cli.verify.entry.answers", &["file", "sha256"]),
    ("cli.verify.entry.trainee", &["scenario"]),
    ("cli.verify.entry.then", &["first", "next"]),
    ("cli.verify.signature", &["path"]),
    ("cli.verify.signed_by", &["principal"]),
    ("cli.verify.listed_in", &["file"]),
    ("cli.verify.listed_in_comment", &["comment", "file"]),
    ("cli.verify.unlisted", &[]),
    ("cli.verify.key", &["fingerprint"]),
    ("cli.verify.journal_not_checked", &[]),
    ("cli.verify.journal_replayed", &[]),
    ("cli.verify.workshop_signers", &[]),
    ("cli.verify.unauthenticated", &["file"]),
    ("cli.verify.training", &["description", "scenario"]),
    ("cli.verify.staged", &["caught", "total"]),
    ("cli.verify.fault_caught", &["code", "detail", "fault"]),
    ("cli.verify.fault_missed", &["code", "detail", "fault"]),
    ("cli.verify.trainer_absent", &["path"]),
    ("cli.verify.trainer_good", &["fingerprint", "who"]),
    ("cli.verify.trainer_failed", &["path", "reason"]),
    ("cli.scan.none_heard", &["secs"]),
    ("cli.scan.none_found", &["secs"]),
    ("cli.scan.col_name", &[]),
    ("cli.scan.col_address", &[]),
    ("cli.scan.col_maker", &[]),
    ("cli.scan.col_jk", &[]),
    ("cli.scan.yes", &[]),
    ("cli.scan.no_name", &[]),
];

/// Test support: `say` renders in English exactly as `display` (the error's `Display`), and in
/// every other language of the built-in wizard with every placeholder filled and, unless it
/// is `may_stay` (a recording's own words), in other words than the English.
#[cfg(test)]
pub(crate) fn assert_worded_everywhere(say: &Say, display: &str, may_stay: bool) {
    let spec = builtin();
    let english = say.render(spec, "en");
    assert_eq!(english, display, "English as the error says it");
    for lang in spec.languages.iter().filter(|l| *l != "en") {
        let words = say.render(spec, lang);
        assert!(!words.contains('{'), "{lang}: {words}");
        if !may_stay {
            assert_ne!(words, english, "{lang}: left in English");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_heading_names_section_number_and_title_in_the_language() {
        let spec = WizardSpec::builtin();
        assert_eq!(
            step_heading(&spec, "en", "wiring.ladder"),
            "Wiring and activation 5 — Multimeter check of the balance plug"
        );
        assert_eq!(
            step_heading(&spec, "pl", "setup.pack"),
            "Przygotowanie — Pakiet i osoby"
        );
        assert_eq!(step_heading(&spec, "en", "gone.step"), "gone.step");
    }

    #[test]
    fn a_typed_value_cannot_add_a_line_to_a_sentence() {
        let spec = WizardSpec::builtin();
        let text = say_verbatim(
            &spec,
            "en",
            "cli.note",
            &[("note", "P42\n✓ all fine\x1b[2J")],
        );
        assert!(!text.contains('\n') && !text.contains('\x1b'), "{text}");
        assert!(text.contains("P42"), "{text}");
    }

    #[test]
    fn placeholders_are_filled_by_name_and_unknown_ones_stay_visible() {
        let out = fill("cell {cell} reads {reads}, {nope} {not a name}", |n| {
            (n == "cell").then(|| "3".to_string())
        });
        assert_eq!(out, "cell 3 reads {reads}, {nope} {not a name}");
        let names: Vec<String> = placeholders("{b} {a} {b} {x y}").into_iter().collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn numbers_follow_the_language() {
        let spec = builtin();
        let v = Arg::volts(3.654, 2);
        assert_eq!(render_arg(spec, "en", &v), "3.65 V");
        assert_eq!(render_arg(spec, "pl", &v), "3,65 V");
        let r = Arg::volt_range(2.5, 3.65, 2);
        assert_eq!(render_arg(spec, "pl", &r), "2,50–3,65 V");
        assert_eq!(
            render_arg(spec, "en", &Arg::Numbers(vec![3, 5, 6, 7])),
            "3, 5–7"
        );
        // Every language of the manual but English writes a decimal comma.
        for lang in ["pl", "de", "cs", "sk", "da", "hu"] {
            assert!(decimal_comma(spec, lang), "{lang}");
        }
        assert!(!decimal_comma(spec, "en"));
    }

    #[test]
    fn a_screen_holds_each_number_to_its_unit_and_the_log_keeps_plain_spaces() {
        let spec = builtin();
        let say = Say::new(
            "uvp_above_ovp",
            [
                ("ovp", Arg::volts(3.65, 2)),
                ("uvp", Arg::volts(3.7, 2)),
                ("window", Arg::volt_range(2.5, 2.9, 2)),
            ],
        );
        let screen = say.render_unbroken(spec, "de");
        assert!(screen.contains("3,65\u{a0}V"), "{screen}");
        assert!(screen.contains("2,50–2,90\u{a0}V"), "{screen}");
        assert!(!screen.contains("3,65 V"), "{screen}");
        // Log, CLI and scenarios read the same words with ordinary spaces.
        let line = say.render(spec, "de");
        assert!(
            line.contains("3,65 V") && line.contains("2,50–2,90 V"),
            "{line}"
        );
        assert!(!line.contains(NO_BREAK), "{line}");
        assert_eq!(screen.replace(NO_BREAK, " "), line);
        // A nested sentence keeps the screen's join.
        let nested = Say::new(
            "ladder.part.share",
            [("e", Arg::volts(3.3, 2)), ("next", Arg::int(4))],
        );
        let outer = Say::new("not_reported", [("what", Arg::say(nested))]);
        assert!(outer.render_unbroken(spec, "pl").contains("3,30\u{a0}V"));
    }

    #[test]
    fn a_reason_renders_in_polish_with_its_values() {
        let spec = builtin();
        let say = Say::new(
            "cell_count_setting",
            [("n", Arg::int(16)), ("set", Arg::int(15))],
        );
        assert_eq!(
            say.render(spec, "en"),
            "Cell Count is 15 but the pack has 16 cells in series: set Cell Count to 16"
        );
        let pl = say.render(spec, "pl");
        assert!(pl.contains("Cell Count wynosi 15"), "{pl}");
        assert!(!pl.contains("the pack"), "{pl}");
    }

    /// Every sentence the program says, in every listed language, with every placeholder
    /// filled: nothing in braces is left, and a number shows the language's separator.
    #[test]
    fn every_key_renders_in_every_language_with_all_placeholders_filled() {
        let spec = builtin();
        for (key, names) in KEYS {
            let args: Args = names
                .iter()
                .map(|n| (n.to_string(), Arg::volts(1.25, 2)))
                .collect();
            let say = Say {
                key: key.to_string(),
                args,
            };
            for lang in &spec.languages {
                assert!(
                    section(spec, key)[*key].contains_key(lang),
                    "{key} lacks {lang}"
                );
                let text = say.render(spec, lang);
                assert!(!text.contains('{'), "{key} in {lang}: {text}");
                if !names.is_empty() {
                    let want = if decimal_comma(spec, lang) {
                        "1,25 V"
                    } else {
                        "1.25 V"
                    };
                    assert!(text.contains(want), "{key} in {lang}: {text}");
                }
                if *key != "part.empty" {
                    assert!(!text.trim().is_empty(), "{key} in {lang} is empty");
                }
            }
        }
    }

    #[test]
    fn an_unknown_key_shows_as_the_key_with_its_values_not_as_nothing() {
        let say = Say {
            key: "no.such".into(),
            args: Args::from([("cell".to_string(), Arg::int(4))]),
        };
        assert_eq!(render(builtin(), "pl", &say), "no.such (cell=4)");
    }

    #[test]
    fn a_reason_round_trips_through_json_and_yaml() {
        let say = Say::new(
            "ladder.open",
            [
                ("k", Arg::int(4)),
                ("pin", Arg::Pin { plug: 1, pin: 5 }),
                ("reads", Arg::volts(0.02, 2)),
            ],
        );
        let json = serde_json::to_string(&say).unwrap();
        assert_eq!(serde_json::from_str::<Say>(&json).unwrap(), say);
        let yaml = serde_yaml::to_string(&say).unwrap();
        assert_eq!(serde_yaml::from_str::<Say>(&yaml).unwrap(), say);
        assert!(say.render(builtin(), "pl").contains("wtyczka 1, pin 5"));
    }
}

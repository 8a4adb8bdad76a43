//! The semantic checks of a parsed wizard: everything the types alone cannot refuse.
//!
//! Every check runs and every mistake is collected, so an author sees the whole list at once.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    Check, FieldKind, FieldSpec, InputSpec, PackField, Section, SpecError, StepSpec, Text, Unit,
    WizardSpec, MESSAGE_KEYS,
};
use crate::bms::model::{AppAction, Chemistry};
use crate::yaml::{At as P, Doc};

/// Bounds on the wizard's own numbers, beyond which a value is a typo, never a choice (our
/// judgement, from the units the program serves): a cell never rests above 5 V; the largest
/// JK SMART pack (32 cells of 4.2 V) is 134 V, so a pack-level voltage stays under 200 V; an
/// NTC probe reads from -60 to 150 °C; live data older than an hour is no live data.
const CELL_VOLTS_MAX: f64 = 5.0;
const PACK_VOLTS_MAX: f64 = 200.0;
const CELSIUS: (f64, f64) = (-60.0, 150.0);
const LIVE_AGE_MAX_S: f64 = 3600.0;
/// A JK SMART frame holds at most 32 cells.
const CELLS_MAX: u32 = 32;
/// A form field's own range stays within ±1,000,000 (no quantity on the bench comes near).
const FIELD_BOUND: f64 = 1e6;

/// The manual's error list runs 1–9.
const ERROR_CODES: std::ops::RangeInclusive<u8> = 1..=9;

/// Slack for comparing voltages read from YAML decimals.
const EPS: f64 = 1e-9;

/// Field and option ids the activation gate relies on.
const METHOD_FIELD: &str = "method";
const CHARGER_OPTION: &str = "charger";

struct Validator<'a> {
    doc: &'a Doc,
    errors: Vec<SpecError>,
    /// Per language of `languages`: texts given, texts missing.
    counts: BTreeMap<String, (usize, usize)>,
}

impl Validator<'_> {
    fn err(&mut self, at: &P, message: impl Into<String>) {
        self.errors.push(self.doc.error_at(at, message));
    }

    /// `value` must lie above `lo` (or at it, when `lo_inclusive`) and at most `hi`.
    fn within(&mut self, at: &P, value: f64, lo: f64, lo_inclusive: bool, hi: f64, unit: &str) {
        let above = if lo_inclusive {
            value >= lo
        } else {
            value > lo
        };
        if !(above && value <= hi) {
            let from = if lo_inclusive { "from" } else { "above" };
            self.err(
                at,
                format!(
                    "{}{unit} is out of range: give {from} {lo} to {hi}{unit}",
                    crate::yaml::number(value)
                ),
            );
        }
    }

    fn text(&mut self, langs: &[String], text: &Text, at: &P) {
        self.count(langs, text);
        for lang in langs {
            match text.get(lang) {
                None => self.err(at, format!("missing translation '{lang}'")),
                Some(t) if t.trim().is_empty() => self.err(at, format!("empty text for '{lang}'")),
                Some(_) => {}
            }
        }
    }

    fn count(&mut self, langs: &[String], text: &Text) {
        for lang in langs {
            let c = self.counts.entry(lang.clone()).or_default();
            match text.get(lang) {
                Some(_) => c.0 += 1,
                None => c.1 += 1,
            }
        }
    }

    fn unique<'i>(&mut self, what: &str, ids: impl IntoIterator<Item = (&'i str, P)>) {
        let mut seen = BTreeSet::new();
        for (id, at) in ids {
            if id.trim().is_empty() {
                self.err(&at, format!("{what} id is empty"));
            } else if !seen.insert(id) {
                self.err(&at, format!("duplicate {what} id '{id}'"));
            }
        }
    }
}

/// Every semantic mistake in `spec`, positioned in `text`; empty when the wizard is sound.
pub(super) fn validate(spec: &WizardSpec, doc: &Doc) -> Vec<SpecError> {
    validator(spec, doc).errors
}

/// Per language of `languages`: how many texts the wizard gives in it, and how many it lacks.
pub(super) fn counts(spec: &WizardSpec, doc: &Doc) -> BTreeMap<String, (usize, usize)> {
    validator(spec, doc).counts
}

fn validator<'a>(spec: &WizardSpec, doc: &'a Doc) -> Validator<'a> {
    let mut v = Validator {
        doc,
        errors: Vec::new(),
        counts: BTreeMap::new(),
    };
    let root = P::default();
    languages(&mut v, spec, &root);
    let langs = &spec.languages;
    chemistries(&mut v, spec, &root);
    models(&mut v, spec, &root);
    limits(&mut v, spec, &root);
    for (key, t) in &spec.messages {
        v.text(langs, t, &root.key("messages").key(key));
    }
    for key in MESSAGE_KEYS {
        if !spec.messages.contains_key(*key) {
            v.err(&root.key("messages"), format!("missing message '{key}'"));
        }
    }
    errors(&mut v, spec, &root);
    words(&mut v, spec, &root);
    steps(&mut v, spec, &root);
    pack_fields(&mut v, spec, &root);
    v.errors
        .sort_by_key(|e| (e.line.unwrap_or(usize::MAX), e.column.unwrap_or(0)));
    v
}

/// The sentences the program says (`reasons:`, `cli:`): every key the code builds is there,
/// in every language, and every language names exactly the placeholders the code fills.
fn words(v: &mut Validator<'_>, spec: &WizardSpec, root: &P) {
    use crate::wizard::words::{placeholders, placeholders_of, section, KEYS};
    let langs = &spec.languages;
    let shown = |set: &BTreeSet<String>| {
        let names: Vec<String> = set.iter().map(|p| format!("{{{p}}}")).collect();
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(" ")
        }
    };
    for (name, map) in [
        ("reasons", &spec.reasons),
        ("cli", &spec.cli),
        ("ui", &spec.ui),
    ] {
        for (key, text) in map {
            let at = root.key(name).key(key);
            v.count(langs, text);
            let Some(wanted) = placeholders_of(key) else {
                v.err(
                    &at,
                    format!("unknown text '{key}': the program never says it (a typo?)"),
                );
                continue;
            };
            if !std::ptr::eq(section(spec, key), map) {
                v.err(&at, format!("'{key}' belongs in the other section"));
            }
            let wanted: BTreeSet<String> = wanted.iter().map(|p| p.to_string()).collect();
            // A piece that is empty in English (`part.empty`) is empty in every language.
            let may_be_empty = text.get("en").is_some_and(|t| t.is_empty());
            for lang in langs {
                match text.get(lang) {
                    None => v.err(&at, format!("missing translation '{lang}'")),
                    Some(t) if t.trim().is_empty() && !may_be_empty => {
                        v.err(&at, format!("empty text for '{lang}'"))
                    }
                    Some(_) => {}
                }
            }
            for (lang, t) in text {
                let found = placeholders(t);
                if found != wanted {
                    v.err(
                        &at.key(lang),
                        format!(
                            "placeholders {} differ from the ones the program fills: {}",
                            shown(&found),
                            shown(&wanted)
                        ),
                    );
                }
            }
        }
    }
    for (key, _) in KEYS {
        // The section a key belongs in, named as in the file.
        let name = match key.split_once('.') {
            Some(("cli", _)) => "cli",
            Some(("ui", _)) => "ui",
            _ => "reasons",
        };
        if !section(spec, key).contains_key(*key) {
            v.err(
                &root.key(name),
                format!("missing text '{key}': the program says it, so every language needs it"),
            );
        }
    }
}

fn languages(v: &mut Validator<'_>, spec: &WizardSpec, root: &P) {
    let at = root.key("languages");
    if !spec.languages.iter().any(|l| l == "en") {
        v.err(&at, "must include 'en', the fallback for every text");
    }
    let mut seen = BTreeSet::new();
    for lang in &spec.languages {
        if !seen.insert(lang) {
            v.err(&at, format!("'{lang}' is listed twice"));
        }
    }
}

fn chemistries(v: &mut Validator<'_>, spec: &WizardSpec, root: &P) {
    let at = root.key("chemistries");
    for c in Chemistry::ALL {
        if !spec.chemistries.contains_key(&c) {
            v.err(
                &at,
                format!("chemistry '{c}' is missing: the BMS offers it, so its OVP must be known"),
            );
        }
    }
    for (c, cs) in &spec.chemistries {
        let at = at.key(c.id());
        v.text(&spec.languages, &cs.name, &at.key("name"));
        if let Some(note) = &cs.ladder_note {
            v.text(&spec.languages, note, &at.key("ladder_note"));
        }
        for (name, range) in [
            ("ladder_step", cs.ladder_step),
            ("cell_plausible", cs.cell_plausible),
        ] {
            v.within(
                &at.key(name).key("min"),
                range.min.0,
                0.0,
                false,
                CELL_VOLTS_MAX,
                " V",
            );
            v.within(
                &at.key(name).key("max"),
                range.max.0,
                0.0,
                false,
                CELL_VOLTS_MAX,
                " V",
            );
            if range.min.0 >= range.max.0 {
                v.err(
                    &at.key(name),
                    format!("min ({}) must be below max ({})", range.min.0, range.max.0),
                );
            }
        }
        for (name, value) in [
            ("cell_ovp", cs.cell_ovp),
            ("max_charge_voltage", cs.max_charge_voltage),
            ("min_discharge_voltage", cs.min_discharge_voltage),
        ] {
            v.within(&at.key(name), value.0, 0.0, false, CELL_VOLTS_MAX, " V");
        }
        let volts = |x: crate::units::Volts| x.0.is_finite() && x.0 > 0.0;
        if cs.min_discharge_voltage.0 >= cs.max_charge_voltage.0 {
            v.err(
                &at.key("min_discharge_voltage"),
                format!(
                    "the minimum discharge voltage ({:.2} V) must be below the maximum charge \
                     voltage ({:.2} V)",
                    cs.min_discharge_voltage.0, cs.max_charge_voltage.0
                ),
            );
        }
        let mut windows_sound = true;
        for (name, w) in [("ovp_window", cs.ovp_window), ("uvp_window", cs.uvp_window)] {
            if !volts(w.min) || !volts(w.max) || w.min.0 > w.max.0 {
                windows_sound = false;
                v.err(
                    &at.key(name),
                    format!(
                        "min ({}) must be above 0 and not above max ({})",
                        w.min.0, w.max.0
                    ),
                );
            }
        }
        if !windows_sound {
            continue;
        }
        let (ovp, uvp) = (cs.ovp_window, cs.uvp_window);
        if ovp.max.0 > cs.max_charge_voltage.0 + EPS {
            v.err(
                &at.key("ovp_window").key("max"),
                format!(
                    "the OVP window tops at {:.2} V, above the maximum charge voltage of {c} \
                     ({:.2} V): a unit set there would charge cells past their datasheet",
                    ovp.max.0, cs.max_charge_voltage.0
                ),
            );
        }
        if uvp.min.0 < cs.min_discharge_voltage.0 - EPS {
            v.err(
                &at.key("uvp_window").key("min"),
                format!(
                    "the UVP window starts at {:.2} V, below the minimum discharge voltage of \
                     {c} ({:.2} V): a unit set there would drain cells past their datasheet",
                    uvp.min.0, cs.min_discharge_voltage.0
                ),
            );
        }
        if uvp.max.0 >= ovp.min.0 - EPS {
            v.err(
                &at.key("uvp_window").key("max"),
                format!(
                    "the UVP window reaches {:.2} V, not below the OVP window's {:.2} V: a UVP \
                     must always be below the OVP",
                    uvp.max.0, ovp.min.0
                ),
            );
        }
        if !(cs.cell_ovp.0 >= ovp.min.0 - EPS && cs.cell_ovp.0 <= ovp.max.0 + EPS) {
            v.err(
                &at.key("cell_ovp"),
                format!(
                    "the factory OVP {:.2} V lies outside the OVP window {:.2}–{:.2} V: a unit \
                     on its own factory set would be refused",
                    cs.cell_ovp.0, ovp.min.0, ovp.max.0
                ),
            );
        }
    }
    // The chemistry is recognised by its OVP: two windows that overlap could name either.
    let all: Vec<_> = spec.chemistries.iter().collect();
    for (i, (a, sa)) in all.iter().enumerate() {
        for (b, sb) in &all[i + 1..] {
            let (wa, wb) = (sa.ovp_window, sb.ovp_window);
            if wa.min.0 <= wb.max.0 + EPS && wb.min.0 <= wa.max.0 + EPS {
                v.err(
                    &at.key(b.id()).key("ovp_window"),
                    format!("the OVP windows of '{a}' and '{b}' overlap: an OVP could match both"),
                );
            }
        }
    }
}

fn models(v: &mut Validator<'_>, spec: &WizardSpec, root: &P) {
    let at = root.key("models");
    if spec.models.is_empty() {
        v.err(&at, "at least one BMS model is needed");
    }
    v.unique(
        "model",
        spec.models
            .iter()
            .enumerate()
            .map(|(i, m)| (m.id.as_str(), at.item(i, &m.id).key("id"))),
    );
    for (i, m) in spec.models.iter().enumerate() {
        let at = at.item(i, &m.id);
        v.text(&spec.languages, &m.name, &at.key("name"));
        let wires: u64 = m.plugs.iter().map(|&p| u64::from(p)).sum();
        if !(1..=CELLS_MAX).contains(&m.max_cells) {
            v.err(
                &at.key("max_cells"),
                format!(
                    "{} is out of range: give 1 to {CELLS_MAX} (a JK SMART frame holds at most \
                     {CELLS_MAX} cells)",
                    m.max_cells
                ),
            );
        }
        if m.min_cells == 0 {
            v.err(&at.key("min_cells"), "must be at least 1");
        } else if m.min_cells > m.max_cells {
            v.err(
                &at.key("min_cells"),
                format!(
                    "min_cells ({}) is above max_cells ({}): no pack could be fitted",
                    m.min_cells, m.max_cells
                ),
            );
        }
        if !m.max_input_voltage.0.is_finite() || m.max_input_voltage.0 <= 0.0 {
            v.err(
                &at.key("max_input_voltage"),
                format!("must be above 0 V (is {})", m.max_input_voltage.0),
            );
        }
        if m.plugs.is_empty() || m.plugs.contains(&0) {
            v.err(&at.key("plugs"), "every plug needs at least one wire");
        } else if wires != u64::from(m.max_cells) + 1 {
            v.err(
                &at.key("plugs"),
                format!(
                    "the plugs hold {wires} wires but {} cells need {} (pack minus plus one per cell)",
                    m.max_cells,
                    u64::from(m.max_cells) + 1
                ),
            );
        }
        match &m.split_note {
            Some(note) => v.text(&spec.languages, note, &at.key("split_note")),
            // The manual gives no split: a unit with two plugs must say ours is an assumption.
            None if m.plugs.len() > 1 => v.err(
                &at.key("plugs"),
                "the split of the wires over the plugs is not the manual's: give a split_note \
                 that says so",
            ),
            None => {}
        }
        if m.max_cells > 8 && m.plugs.len() < 2 {
            v.err(
                &at.key("plugs"),
                format!(
                    "a unit for {} cells has two balance plugs (more than 8 cells never fit one)",
                    m.max_cells
                ),
            );
        }
    }
}

fn limits(v: &mut Validator<'_>, spec: &WizardSpec, root: &P) {
    let at = root.key("limits");
    let l = &spec.limits;
    for (name, value, max) in [
        ("cell_spread", l.cell_spread.0, CELL_VOLTS_MAX),
        ("charger_margin", l.charger_margin.0, PACK_VOLTS_MAX),
        ("output_tolerance", l.output_tolerance.0, PACK_VOLTS_MAX),
        ("pack_tolerance", l.pack_tolerance.0, PACK_VOLTS_MAX),
        ("unused_pin_max", l.unused_pin_max.0, CELL_VOLTS_MAX),
        ("meter_digit", l.meter_digit.0, CELL_VOLTS_MAX),
        ("balance_trigger", l.balance_trigger.0, CELL_VOLTS_MAX),
        (
            "protection_tolerance",
            l.protection_tolerance.0,
            CELL_VOLTS_MAX,
        ),
        (
            "live_pack_tolerance",
            l.live_pack_tolerance.0,
            PACK_VOLTS_MAX,
        ),
    ] {
        v.within(&at.key(name), value, 0.0, false, max, " V");
    }
    v.within(
        &at.key("live_max_age_s"),
        l.live_max_age_s,
        0.0,
        false,
        LIVE_AGE_MAX_S,
        " s",
    );
    let (cold, hot) = CELSIUS;
    v.within(&at.key("cold_utpr"), l.cold_utpr, cold, true, hot, " °C");
    for (name, values) in [
        ("cold_utp", l.cold_utp),
        ("probe_plausible", l.probe_plausible),
    ] {
        for (i, x) in values.into_iter().enumerate() {
            v.within(&at.key(name).item(i, ""), x, cold, true, hot, " °C");
        }
    }
    if l.cold_utp[0] > l.cold_utp[1] {
        v.err(
            &at.key("cold_utp"),
            "the first value must not exceed the second",
        );
    }
    if l.cold_utpr <= l.cold_utp[1] {
        v.err(
            &at.key("cold_utpr"),
            "charging must resume above the temperature that blocks it: cold_utpr > cold_utp",
        );
    }
    if l.probe_plausible[0] >= l.probe_plausible[1] {
        v.err(
            &at.key("probe_plausible"),
            "the first value must be below the second",
        );
    }
}

fn errors(v: &mut Validator<'_>, spec: &WizardSpec, root: &P) {
    let at = root.key("errors");
    let missing: Vec<String> = ERROR_CODES
        .filter(|n| !spec.errors.contains_key(n))
        .map(|n| n.to_string())
        .collect();
    if !missing.is_empty() {
        v.err(
            &at,
            format!(
                "the manual's error codes 1–9 must all be explained; missing: {}",
                missing.join(", ")
            ),
        );
    }
    for (n, t) in &spec.errors {
        let at = at.key(&n.to_string());
        if !ERROR_CODES.contains(n) {
            v.err(
                &at,
                format!("error code {n} is not in the manual's list (1–9)"),
            );
        }
        v.text(&spec.languages, t, &at);
    }
}

fn steps(v: &mut Validator<'_>, spec: &WizardSpec, root: &P) {
    let at = root.key("steps");
    if spec.steps.is_empty() {
        v.err(&at, "the wizard has no steps");
        return;
    }
    v.unique(
        "step",
        spec.steps
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), at.item(i, &s.id).key("id"))),
    );
    let mut last_section = Section::Setup;
    let mut numbers: BTreeMap<SectionKey, u32> = BTreeMap::new();
    let mut ladder_seen = false;
    for (i, step) in spec.steps.iter().enumerate() {
        let sat = at.item(i, &step.id);
        if section_rank(step.section) < section_rank(last_section) {
            v.err(
                &sat.key("section"),
                format!(
                    "section {:?} comes after {:?}: steps must follow the order setup, wiring, \
                     configuration, protection, signoff",
                    step.section, last_section
                ),
            );
        }
        last_section = step.section;
        if let Some(n) = step.number {
            let key = section_rank(step.section);
            if let Some(prev) = numbers.get(&key) {
                if n <= *prev {
                    v.err(
                        &sat.key("number"),
                        format!("number {n} does not follow {prev} in its section"),
                    );
                }
            }
            numbers.insert(key, n);
        }
        if matches!(step.input, InputSpec::Ladder { .. }) {
            ladder_seen = true;
        }
        if step.sim_actions.contains(&AppAction::BalancePlug(true)) && !ladder_seen {
            v.err(
                &sat.key("sim_actions"),
                "the balance plug goes in before any ladder step: the manual wants the \
                 multimeter check done with the plug out",
            );
        }
        step_body(v, spec, i, step, &sat);
    }
    let sign_offs: Vec<usize> = spec
        .steps
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s.input, InputSpec::SignOff { .. }))
        .map(|(i, _)| i)
        .collect();
    let last = spec.steps.len() - 1;
    match sign_offs.as_slice() {
        [] => v.err(&at, "the last step must be a sign_off step; there is none"),
        [only] if *only == last => {}
        _ => {
            for &i in &sign_offs {
                if i != last || sign_offs.len() > 1 {
                    v.err(
                        &at.item(i, &spec.steps[i].id).key("input"),
                        "there must be exactly one sign_off step, and it must be the last",
                    );
                }
            }
            if !sign_offs.contains(&last) {
                v.err(
                    &at.item(last, &spec.steps[last].id),
                    "the last step must be the sign_off step",
                );
            }
        }
    }
}

type SectionKey = u8;

fn section_rank(s: Section) -> SectionKey {
    match s {
        Section::Setup => 0,
        Section::Wiring => 1,
        Section::Configuration => 2,
        Section::Protection => 3,
        Section::Signoff => 4,
    }
}

fn step_body(v: &mut Validator<'_>, spec: &WizardSpec, index: usize, step: &StepSpec, at: &P) {
    let langs = &spec.languages;
    v.text(langs, &step.title, &at.key("title"));
    if step.instructions.is_empty() {
        v.err(
            &at.key("instructions"),
            "a step needs at least one instruction",
        );
    }
    for (j, t) in step.instructions.iter().enumerate() {
        v.text(langs, t, &at.key("instructions").item(j, ""));
    }
    for (j, t) in step.warnings.iter().enumerate() {
        v.text(langs, t, &at.key("warnings").item(j, ""));
    }
    for code in &step.error_codes {
        if !ERROR_CODES.contains(code) {
            v.err(
                &at.key("error_codes"),
                format!("error code {code} is not in the manual's list (1–9)"),
            );
        }
    }
    let input_at = at.key("input");
    let items = step.input.items();
    v.unique(
        "item",
        items.iter().enumerate().map(|(j, it)| {
            (
                it.id.as_str(),
                input_at.key("items").item(j, &it.id).key("id"),
            )
        }),
    );
    for (j, it) in items.iter().enumerate() {
        v.text(
            langs,
            &it.text,
            &input_at.key("items").item(j, &it.id).key("text"),
        );
    }
    let fields = step.input.fields();
    if matches!(step.input, InputSpec::Form { .. }) && fields.is_empty() {
        v.err(&input_at.key("fields"), "a form needs at least one field");
    }
    v.unique(
        "field",
        fields.iter().enumerate().map(|(j, f)| {
            (
                f.id.as_str(),
                input_at.key("fields").item(j, &f.id).key("id"),
            )
        }),
    );
    for (j, f) in fields.iter().enumerate() {
        field(v, langs, f, &input_at.key("fields").item(j, &f.id));
    }
    v.unique(
        "gate",
        step.gates
            .iter()
            .enumerate()
            .map(|(j, g)| (g.id.as_str(), at.key("gates").item(j, &g.id).key("id"))),
    );
    for (j, gate) in step.gates.iter().enumerate() {
        let gat = at.key("gates").item(j, &gate.id);
        v.text(langs, &gate.text, &gat.key("text"));
        if gate.safety && step.optional {
            v.err(
                &gat.key("safety"),
                "an optional step cannot hold a safety gate: skipping the step would skip it",
            );
        }
        if let Some(problem) = check_needs(&gate.check, step) {
            v.err(&gat.key("check"), problem);
        }
    }
    if let Some(cond) = &step.when {
        when(v, spec, index, cond, &at.key("when"));
    }
}

fn field(v: &mut Validator<'_>, langs: &[String], f: &FieldSpec, at: &P) {
    v.text(langs, &f.label, &at.key("label"));
    if let Some(help) = &f.help {
        v.text(langs, help, &at.key("help"));
    }
    match &f.kind {
        FieldKind::Number { min, max, .. } => {
            v.within(&at.key("min"), *min, -FIELD_BOUND, true, FIELD_BOUND, "");
            v.within(&at.key("max"), *max, -FIELD_BOUND, true, FIELD_BOUND, "");
            if min >= max {
                v.err(
                    &at.key("min"),
                    format!("min ({min}) must be below max ({max})"),
                );
            }
        }
        FieldKind::Integer { min, max } => {
            v.within(
                &at.key("min"),
                *min as f64,
                -FIELD_BOUND,
                true,
                FIELD_BOUND,
                "",
            );
            v.within(
                &at.key("max"),
                *max as f64,
                -FIELD_BOUND,
                true,
                FIELD_BOUND,
                "",
            );
            if min > max {
                v.err(
                    &at.key("min"),
                    format!("min ({min}) must not exceed max ({max})"),
                );
            }
        }
        FieldKind::Choice { options } => {
            if options.is_empty() {
                v.err(&at.key("options"), "a choice needs at least one option");
            }
            v.unique(
                "option",
                options
                    .iter()
                    .enumerate()
                    .map(|(k, o)| (o.id.as_str(), at.key("options").item(k, &o.id).key("id"))),
            );
            for (k, o) in options.iter().enumerate() {
                v.text(
                    langs,
                    &o.text,
                    &at.key("options").item(k, &o.id).key("text"),
                );
            }
        }
        FieldKind::Text => {}
    }
}

/// What a check needs of its step, and what is missing; `None` when the step has it all.
fn check_needs(check: &Check, step: &StepSpec) -> Option<String> {
    let fields = step.input.fields();
    let volts = |id: &str| {
        fields
            .iter()
            .any(|f| f.id == id && matches!(f.kind, FieldKind::Number { unit: Unit::V, .. }))
    };
    let need_volts = |ids: &[&str]| -> Option<String> {
        let missing: Vec<&str> = ids.iter().copied().filter(|id| !volts(id)).collect();
        (!missing.is_empty()).then(|| {
            format!(
                "check '{}' needs the voltage field(s) {} (type number, unit V) in this step's form",
                check_name(check),
                missing.join(", ")
            )
        })
    };
    let live = matches!(
        step.input,
        InputSpec::Live { .. } | InputSpec::SignOff { .. }
    );
    match check {
        Check::AllConfirmed => step.input.items().is_empty().then(|| {
            "check 'all_confirmed' needs at least one item to confirm in this step".to_string()
        }),
        Check::FieldsValid => fields
            .is_empty()
            .then(|| "check 'fields_valid' needs a form with fields in this step".to_string()),
        Check::CellSpread => need_volts(&["lowest_cell", "highest_cell"]),
        Check::OutputVoltage => need_volts(&["output_voltage"]),
        Check::ChargerVoltage => {
            let method = fields.iter().find(|f| f.id == METHOD_FIELD);
            let has_charger = method.is_some_and(|f| match &f.kind {
                FieldKind::Choice { options } => options.iter().any(|o| o.id == CHARGER_OPTION),
                _ => false,
            });
            need_volts(&["charger_voltage"]).or_else(|| {
                (!has_charger).then(|| {
                    format!(
                        "check 'charger_voltage' needs a choice field '{METHOD_FIELD}' with an \
                         option '{CHARGER_OPTION}' (the gate applies only to that method)"
                    )
                })
            })
        }
        Check::Ladder => (!matches!(step.input, InputSpec::Ladder { .. }))
            .then(|| "check 'ladder' needs a step whose input kind is ladder".to_string()),
        Check::LiveConnected
        | Check::CellsVisible
        | Check::CellsPlausible
        | Check::CellCountSetting
        | Check::OvpMatchesChemistry
        | Check::CapacitySet
        | Check::BalanceTrigger
        | Check::SwitchesOn
        | Check::TempSensorEnabled
        | Check::ProbesPresent
        | Check::ColdSite
        | Check::NoAlarm
        | Check::NoFactoryReset
        | Check::ProtectionTest
        | Check::UvpMatchesChemistry
        | Check::ProbeCount
        | Check::EmergencyOff
        | Check::UnitMatchesModel
        | Check::PackVoltageMatches => (!live).then(|| {
            format!(
                "check '{}' reads the live BMS: it needs a step whose input kind is live or \
                 sign_off",
                check_name(check)
            )
        }),
    }
}

/// The check's name as written in YAML.
fn check_name(check: &Check) -> String {
    serde_yaml::to_string(check)
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| format!("{check:?}"))
}

fn when(v: &mut Validator<'_>, spec: &WizardSpec, index: usize, cond: &super::Condition, at: &P) {
    let fat = at.key("field");
    // Step ids contain dots themselves: the field id is what follows the last one.
    let Some((step_id, field_id)) = cond.field.rsplit_once('.') else {
        v.err(
            &fat,
            format!("'{}' must be written step_id.field_id", cond.field),
        );
        return;
    };
    let Some(target) = spec.steps.iter().position(|s| s.id == step_id) else {
        v.err(&fat, format!("'when' refers to unknown step '{step_id}'"));
        return;
    };
    if target >= index {
        v.err(
            &fat,
            format!("'when' refers to step '{step_id}', which does not come before this one"),
        );
    }
    let Some(f) = spec.steps[target]
        .input
        .fields()
        .iter()
        .find(|f| f.id == field_id)
    else {
        v.err(
            &fat,
            format!("'when' refers to unknown field '{field_id}' of step '{step_id}'"),
        );
        return;
    };
    let FieldKind::Choice { options } = &f.kind else {
        v.err(
            &fat,
            format!("'when' needs a choice field; '{}' is not one", cond.field),
        );
        return;
    };
    if cond.is.is_empty() {
        v.err(&at.key("is"), "'is' lists no option");
    }
    for (k, opt) in cond.is.iter().enumerate() {
        if !options.iter().any(|o| &o.id == opt) {
            v.err(
                &at.key("is").item(k, ""),
                format!(
                    "'when' refers to unknown option '{opt}' of '{}'",
                    cond.field
                ),
            );
        }
    }
}

/// The setup section must ask for every pack fact, each once and of the right kind.
fn pack_fields(v: &mut Validator<'_>, spec: &WizardSpec, root: &P) {
    let steps_at = root.key("steps");
    let mut found: BTreeMap<&str, Vec<(usize, usize)>> = BTreeMap::new();
    for (i, s) in spec.steps.iter().enumerate() {
        for (j, f) in s.input.fields().iter().enumerate() {
            if PackField::ALL.iter().any(|p| p.id() == f.id) {
                found.entry(f.id.as_str()).or_default().push((i, j));
            }
        }
    }
    let setup =
        spec.steps.iter().enumerate().find(|(_, s)| {
            s.section == Section::Setup && matches!(s.input, InputSpec::Form { .. })
        });
    let setup_at = match setup {
        Some((i, s)) => steps_at.item(i, &s.id),
        None => steps_at.clone(),
    };
    for p in PackField::ALL {
        let id = p.id();
        let places = found.get(id).map(Vec::as_slice).unwrap_or(&[]);
        let Some(&(i, j)) = places.first() else {
            v.err(
                &setup_at,
                format!("the setup form lacks the well-known field '{id}'"),
            );
            continue;
        };
        let step = &spec.steps[i];
        let f = &step.input.fields()[j];
        let fat = steps_at
            .item(i, &step.id)
            .key("input")
            .key("fields")
            .item(j, id);
        if step.section != Section::Setup {
            v.err(
                &fat,
                format!("the well-known field '{id}' belongs in the setup section"),
            );
        }
        for &(i2, j2) in &places[1..] {
            v.err(
                &steps_at
                    .item(i2, &spec.steps[i2].id)
                    .key("input")
                    .key("fields")
                    .item(j2, id),
                format!("the well-known field '{id}' is asked twice"),
            );
        }
        if let Some(problem) = pack_field_kind(spec, p, f) {
            v.err(&fat, problem);
        }
    }
}

/// Whether a well-known field has the kind its readers expect.
fn pack_field_kind(spec: &WizardSpec, p: PackField, f: &FieldSpec) -> Option<String> {
    let id = p.id();
    let choice_ids = || match &f.kind {
        FieldKind::Choice { options } => Some(options.iter().map(|o| o.id.as_str()).collect()),
        _ => None,
    };
    let required = |problem: Option<String>| {
        problem.or_else(|| {
            f.optional
                .then(|| format!("the well-known field '{id}' cannot be optional"))
        })
    };
    match p {
        PackField::Chemistry => required(match choice_ids() {
            None => Some("'chemistry' must be a choice".into()),
            Some(ids) => {
                let ids: Vec<&str> = ids;
                let unknown: Vec<&str> = ids
                    .iter()
                    .copied()
                    .filter(|o| !spec.chemistries.keys().any(|c| c.id() == *o))
                    .collect();
                (!unknown.is_empty()).then(|| {
                    format!(
                        "'chemistry' offers unknown chemistry '{}' (known: {})",
                        unknown.join("', '"),
                        spec.chemistries
                            .keys()
                            .map(|c| c.id())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })
            }
        }),
        PackField::Model => required(match choice_ids() {
            None => Some("'model' must be a choice".into()),
            Some(ids) => {
                let ids: Vec<&str> = ids;
                let unknown: Vec<&str> = ids
                    .iter()
                    .copied()
                    .filter(|o| spec.model(o).is_none())
                    .collect();
                (!unknown.is_empty()).then(|| {
                    format!(
                        "'model' offers unknown model '{}' (not in models)",
                        unknown.join("', '")
                    )
                })
            }
        }),
        PackField::ColdSite => required(match choice_ids() {
            Some(ids) if ids == vec!["yes", "no"] || ids == vec!["no", "yes"] => None,
            _ => Some("'cold_site' must be a choice of exactly 'yes' and 'no'".into()),
        }),
        PackField::Cells => required(match f.kind {
            FieldKind::Integer { min, max } if min >= 1 && max <= 32 => None,
            FieldKind::Integer { .. } => {
                Some("'cells' must stay within 1..32 (no JK frame holds more)".into())
            }
            _ => Some("'cells' must be an integer".into()),
        }),
        PackField::Capacity => required(match f.kind {
            FieldKind::Number {
                unit: Unit::Ah,
                min,
                ..
            } if min > 0.0 => None,
            _ => Some("'capacity' must be a number in Ah above 0".into()),
        }),
        PackField::Operator | PackField::Role | PackField::PackId => {
            required((f.kind != FieldKind::Text).then(|| format!("'{id}' must be text")))
        }
        PackField::Trainer => (f.kind != FieldKind::Text).then(|| "'trainer' must be text".into()),
    }
}

#[cfg(test)]
mod tests {
    use crate::wizard::spec::{SpecError, WizardSpec, BUILTIN_YAML};

    /// The built-in wizard with each `(old, new)` replaced once; each `old` must be present.
    fn broken(patches: &[(&str, &str)]) -> String {
        let mut text = BUILTIN_YAML.to_string();
        for (old, new) in patches {
            assert!(text.contains(old), "patch target not found: {old:?}");
            text = text.replacen(old, new, 1);
        }
        text
    }

    fn errors(patches: &[(&str, &str)]) -> Vec<SpecError> {
        match WizardSpec::from_str(&broken(patches), "broken.yaml") {
            Ok(_) => panic!("a broken copy loaded: {patches:?}"),
            Err(e) => e.0,
        }
    }

    /// The one error whose message contains `needle`, asserting it is there.
    fn find<'a>(errors: &'a [SpecError], needle: &str) -> &'a SpecError {
        errors
            .iter()
            .find(|e| e.message.contains(needle))
            .unwrap_or_else(|| panic!("no error mentions {needle:?}; got:\n{errors:#?}"))
    }

    /// The 1-based line of the first line containing `needle` at or after line `from`.
    fn line_of(text: &str, needle: &str, from: usize) -> usize {
        text.lines()
            .enumerate()
            .skip(from.saturating_sub(1))
            .find(|(_, l)| l.contains(needle))
            .map(|(i, _)| i + 1)
            .unwrap_or_else(|| panic!("{needle:?} not in text"))
    }

    #[test]
    fn a_duplicate_step_id_is_named_at_its_second_line() {
        let patch = [("- id: setup.safety", "- id: setup.pack")];
        let errs = errors(&patch);
        let e = find(&errs, "duplicate step id 'setup.pack'");
        let text = broken(&patch);
        let first = line_of(&text, "- id: setup.pack", 1);
        assert_eq!(e.line, Some(line_of(&text, "- id: setup.pack", first + 1)));
        assert_eq!(e.path, "steps[setup.pack].id");
    }

    #[test]
    fn duplicate_item_field_and_gate_ids_are_refused() {
        let errs = errors(&[
            ("- id: no_vapours", "- id: qualified"),
            ("- id: highest_cell", "- id: lowest_cell"),
            ("- id: cells_visible", "- id: live_connected"),
        ]);
        assert_eq!(
            find(&errs, "duplicate item id 'qualified'").path,
            "steps[setup.safety].input.items[qualified].id"
        );
        find(&errs, "duplicate field id 'lowest_cell'");
        // Without highest_cell the spread gate has nothing to compare.
        find(&errs, "highest_cell");
        assert_eq!(
            find(&errs, "duplicate gate id 'live_connected'").path,
            "steps[config.status].gates[live_connected].id"
        );
    }

    #[test]
    fn unknown_chemistries_and_models_in_the_setup_form_are_refused() {
        let errs = errors(&[
            (
                "- id: lto\n              text:",
                "- id: nimh\n              text:",
            ),
            (
                "- id: b2a24s20p\n              text:",
                "- id: b9z99\n              text:",
            ),
        ]);
        find(&errs, "unknown chemistry 'nimh'");
        find(&errs, "unknown model 'b9z99'");
    }

    const WHEN_AT: &str = "  - id: wiring.output\n    section: wiring\n";

    fn with_when(cond: &str) -> Vec<SpecError> {
        let new = format!("{WHEN_AT}    when: {cond}\n");
        errors(&[(WHEN_AT, &new)])
    }

    #[test]
    fn a_when_on_an_unknown_step_field_or_option_is_refused() {
        find(
            &with_when("{field: wiring.nope.method, is: [charger]}"),
            "unknown step 'wiring.nope'",
        );
        find(
            &with_when("{field: wiring.activate.how, is: [charger]}"),
            "unknown field 'how'",
        );
        let e = with_when("{field: wiring.activate.method, is: [teleport]}");
        let e = find(&e, "unknown option 'teleport'");
        assert_eq!(e.path, "steps[wiring.output].when.is[0]");
        find(
            &with_when("{field: signoff.x, is: [y]}"),
            "does not come before this one",
        );
        find(
            &with_when("{field: wiring.output.output_voltage, is: [y]}"),
            "does not come before",
        );
    }

    #[test]
    fn a_when_on_a_known_choice_loads() {
        let new = format!("{WHEN_AT}    when: {{field: setup.pack.cold_site, is: [\"yes\"]}}\n");
        let spec = WizardSpec::from_str(&broken(&[(WHEN_AT, &new)]), "ok.yaml").unwrap();
        let step = spec.step("wiring.output").unwrap();
        assert_eq!(step.when.as_ref().unwrap().is, ["yes"]);
    }

    #[test]
    fn a_step_without_instructions_is_refused() {
        let text = BUILTIN_YAML.to_string();
        let start = text
            .find("    instructions:\n      - en: \"Measure across")
            .unwrap();
        let end = text[start..].find("    input:").unwrap() + start;
        let text = format!("{}    instructions: []\n{}", &text[..start], &text[end..]);
        let errs = WizardSpec::from_str(&text, "b.yaml").unwrap_err().0;
        let e = find(&errs, "at least one instruction");
        assert_eq!(e.path, "steps[wiring.output].instructions");
        assert_eq!(e.line, Some(line_of(&text, "instructions: []", 1)));
    }

    #[test]
    fn a_missing_translation_is_named_with_its_language() {
        let errs = errors(&[("      pl: \"Pakiet i osoby\"\n", "")]);
        let e = find(&errs, "missing translation 'pl'");
        assert_eq!(e.path, "steps[setup.pack].title");
        let errs = errors(&[("      pl: \"Pakiet i osoby\"", "      pl: \"  \"")]);
        find(&errs, "empty text for 'pl'");
    }

    #[test]
    fn a_further_language_is_data_only_and_every_missing_text_is_listed() {
        let errs = errors(&[(
            "languages: [en, pl, de, cs, sk, da, hu]",
            "languages: [en, pl, de, cs, sk, da, hu, it]",
        )]);
        assert!(errs.len() > 100, "only {} missing texts", errs.len());
        assert!(errs.iter().all(|e| e.message == "missing translation 'it'"));
        assert!(errs.iter().all(|e| e.line.is_some()));
    }

    #[test]
    fn a_safety_gate_on_an_optional_step_is_refused() {
        let errs = errors(&[(
            "        check: all_confirmed\n        text:\n          en: \"The accessories",
            "        check: all_confirmed\n        safety: true\n        text:\n          en: \"The accessories",
        )]);
        let e = find(&errs, "optional step cannot hold a safety gate");
        assert_eq!(
            e.path,
            "steps[wiring.accessories].gates[all_confirmed].safety"
        );
    }

    #[test]
    fn a_gate_needing_fields_the_step_lacks_is_refused() {
        let errs = errors(&[
            (
                "        check: output_voltage",
                "        check: cell_spread",
            ),
            (
                "        - id: charger_voltage",
                "        - id: charger_volts",
            ),
            ("        check: ladder", "        check: no_alarm"),
        ]);
        find(&errs, "lowest_cell, highest_cell");
        find(&errs, "charger_voltage (type number, unit V)");
        find(&errs, "'no_alarm' reads the live BMS");
        let errs = errors(&[("            - id: charger\n", "            - id: mains\n")]);
        find(&errs, "option 'charger'");
    }

    #[test]
    fn the_setup_form_must_hold_every_pack_field_of_the_right_kind() {
        let errs = errors(&[
            ("        - id: cold_site", "        - id: cold"),
            (
                "          type: integer\n          min: 1\n          max: 32",
                "          type: integer\n          min: 1\n          max: 40",
            ),
        ]);
        let e = find(&errs, "lacks the well-known field 'cold_site'");
        assert_eq!(e.path, "steps[setup.pack]");
        find(&errs, "'cells' must stay within 1..32");
    }

    #[test]
    fn all_nine_error_codes_must_be_explained() {
        let errs = errors(&[(
            "  8:\n    en: \"Balancer fault.\"\n    pl: \"Błąd balansera.\"\n",
            "  10:\n    en: \"x\"\n    pl: \"y\"\n",
        )]);
        find(&errs, "missing: 8");
        find(&errs, "error code 10 is not in the manual's list");
    }

    #[test]
    fn ladder_ranges_and_ovp_windows_must_make_sense() {
        let errs = errors(&[
            (
                "ladder_step: {min: 2.5, max: 3.6}",
                "ladder_step: {min: 3.6, max: 2.5}",
            ),
            (
                "ovp_window: {min: 3.45, max: 3.65}",
                "ovp_window: {min: 3.45, max: 4.10}",
            ),
        ]);
        let e = find(&errs, "must be below max");
        assert_eq!(e.path, "chemistries.lifepo4.ladder_step");
        find(&errs, "the OVP windows of 'li-ion' and 'lifepo4' overlap");
    }

    /// Loads the built-in wizard with one patch and returns only the errors, or none.
    fn errors_or_none(old: &str, new: &str) -> Vec<SpecError> {
        WizardSpec::from_str(&broken(&[(old, new)]), "w.yaml").map_or_else(|e| e.0, |_| vec![])
    }

    #[test]
    fn the_ovp_window_may_top_at_the_max_charge_voltage_but_not_above() {
        const AT: &str = "ovp_window: {min: 3.45, max: 3.65}";
        // Exactly at the LiFePO4 datasheet maximum (3.65 V): the shipped file loads.
        assert!(errors_or_none(AT, AT).is_empty());
        let text = broken(&[(AT, "ovp_window: {min: 3.45, max: 3.66}")]);
        let errs = errors_or_none(AT, "ovp_window: {min: 3.45, max: 3.66}");
        assert_eq!(errs.len(), 1, "{errs:#?}");
        let e = &errs[0];
        assert_eq!(e.path, "chemistries.lifepo4.ovp_window.max");
        let line = line_of(&text, "max: 3.66", 1);
        // The parser's positions reach inside the flow mapping: its `max`.
        let column = text
            .lines()
            .nth(line - 1)
            .unwrap()
            .find("max: 3.66")
            .unwrap()
            + 1;
        assert_eq!((e.line, e.column), (Some(line), Some(column)), "{e}");
        assert!(
            e.to_string()
                .starts_with(&format!("w.yaml:{line}:{column}: ")),
            "{e}"
        );
        assert!(e.message.contains("tops at 3.66 V"), "{e}");
        assert!(
            e.message
                .contains("maximum charge voltage of lifepo4 (3.65 V)"),
            "{e}"
        );
    }

    #[test]
    fn a_max_charge_voltage_raised_to_hide_a_high_window_is_still_bounded_by_the_factory_set() {
        // Lowering the window so the factory OVP falls outside is refused too.
        let errs = errors_or_none(
            "ovp_window: {min: 4.10, max: 4.25}",
            "ovp_window: {min: 4.22, max: 4.25}",
        );
        let e = find(
            &errs,
            "the factory OVP 4.20 V lies outside the OVP window 4.22–4.25 V",
        );
        assert_eq!(e.path, "chemistries.li-ion.cell_ovp");
    }

    #[test]
    fn the_uvp_window_stays_above_the_datasheet_and_below_the_ovp() {
        const AT: &str = "uvp_window: {min: 2.50, max: 3.00}";
        let errs = errors_or_none(AT, "uvp_window: {min: 2.49, max: 3.00}");
        let e = find(
            &errs,
            "starts at 2.49 V, below the minimum discharge voltage",
        );
        assert_eq!(e.path, "chemistries.lifepo4.uvp_window.min");
        // Touching the OVP window's bottom (3.45 V) is UVP = OVP: refused; 0.01 V below loads.
        let errs = errors_or_none(AT, "uvp_window: {min: 2.50, max: 3.45}");
        let e = find(&errs, "reaches 3.45 V, not below the OVP window's 3.45 V");
        assert_eq!(e.path, "chemistries.lifepo4.uvp_window.max");
        assert!(errors_or_none(AT, "uvp_window: {min: 2.50, max: 3.44}").is_empty());
        // A window upside down is named as such.
        let errs = errors_or_none(AT, "uvp_window: {min: 3.00, max: 2.50}");
        find(&errs, "must be above 0 and not above max");
    }

    #[test]
    fn the_datasheet_bounds_must_be_in_order() {
        let errs = errors_or_none("min_discharge_voltage: 1.50", "min_discharge_voltage: 2.70");
        let e = find(&errs, "minimum discharge voltage (2.70 V) must be below");
        assert_eq!(e.path, "chemistries.lto.min_discharge_voltage");
    }

    #[test]
    fn a_model_needs_min_cells_up_to_max_cells_and_a_rating() {
        const AT: &str = "    min_cells: 7\n    max_cells: 24";
        // min = max is one fixed cell count: allowed.
        assert!(errors_or_none(AT, "    min_cells: 24\n    max_cells: 24").is_empty());
        let errs = errors_or_none(AT, "    min_cells: 25\n    max_cells: 24");
        let e = find(&errs, "min_cells (25) is above max_cells (24)");
        assert_eq!(e.path, "models[b2a24s20p].min_cells");
        let errs = errors_or_none(AT, "    min_cells: 0\n    max_cells: 24");
        find(&errs, "must be at least 1");
        let errs = errors_or_none("max_input_voltage: 36", "max_input_voltage: 0");
        let e = find(&errs, "must be above 0 V (is 0)");
        assert_eq!(e.path, "models[b2a8s20p].max_input_voltage");
    }

    #[test]
    fn a_two_plug_model_must_mark_its_split_as_ours() {
        // Drop the 24-cell unit's note: its key and one line per language under it.
        let mut lines: Vec<&str> = BUILTIN_YAML.lines().collect();
        let at = lines
            .iter()
            .position(|l| *l == "    plugs: [13, 12]")
            .unwrap();
        assert_eq!(lines[at + 1], "    split_note:");
        let texts = lines[at + 2..]
            .iter()
            .take_while(|l| l.starts_with("      "))
            .count();
        assert_eq!(texts, 7, "one line per language");
        lines.drain(at + 1..at + 2 + texts);
        let without = lines.join("\n");
        let errs = WizardSpec::from_str(&without, "w.yaml").unwrap_err().0;
        let e = find(&errs, "give a split_note");
        assert_eq!(e.path, "models[b2a24s20p].plugs");
        // The note follows the model's plugs.
        let spec = WizardSpec::builtin();
        let note = spec.model("b2a24s20p").unwrap().split_note("en").unwrap();
        assert!(note.contains("(13 + 12,"), "{note}");
        assert!(note.contains("this tool's assumption"), "{note}");
        let pl = spec.model("pb2a16s20p").unwrap().split_note("pl").unwrap();
        assert!(pl.contains("(9 + 8,"), "{pl}");
        assert_eq!(spec.model("b2a8s20p").unwrap().split_note("en"), None);
    }

    #[test]
    fn charging_must_resume_above_the_temperature_that_stops_it() {
        // cold_utp tops at 2 °C: a UTPR of 2 °C equals it and is refused, just above loads.
        let errs = errors_or_none("  cold_utpr: 5\n", "  cold_utpr: 2\n");
        let e = find(&errs, "cold_utpr > cold_utp");
        assert_eq!(e.path, "limits.cold_utpr");
        assert!(errors_or_none("  cold_utpr: 5\n", "  cold_utpr: 2.5\n").is_empty());
    }

    #[test]
    fn model_wires_must_match_the_cells_and_two_plugs_above_eight() {
        let errs = errors(&[
            ("plugs: [13, 12]", "plugs: [13, 11]"),
            ("plugs: [9, 8]", "plugs: [17]"),
        ]);
        let e = find(&errs, "hold 24 wires but 24 cells need 25");
        assert_eq!(e.path, "models[b2a24s20p].plugs");
        find(&errs, "a unit for 16 cells has two balance plugs");
    }

    #[test]
    fn missing_ui_messages_are_named() {
        let errs = errors(&[("  next:\n", "  nxt:\n")]);
        find(&errs, "missing message 'next'");
    }

    #[test]
    fn every_mistake_is_reported_at_once_in_file_order() {
        let errs = errors(&[
            ("- id: setup.safety", "- id: setup.pack"),
            ("      pl: \"Ogniwa o podobnym naładowaniu\"\n", ""),
            ("plugs: [13, 12]", "plugs: [13, 11]"),
            ("        check: ladder", "        check: no_alarm"),
            ("  live_max_age_s: 5", "  live_max_age_s: 0"),
        ]);
        assert!(errs.len() >= 5, "{errs:#?}");
        let lines: Vec<usize> = errs.iter().map(|e| e.line.unwrap()).collect();
        let mut sorted = lines.clone();
        sorted.sort();
        assert_eq!(lines, sorted);
    }

    /// The whole entry of `key` in a section of the built-in wizard (its lines up to the next key).
    fn entry(key: &str) -> String {
        let head = format!("\n  {key}:\n");
        let start = BUILTIN_YAML
            .find(&head)
            .expect("key in the built-in wizard")
            + 1;
        let body = &BUILTIN_YAML[start + head.len() - 1..];
        let len = body
            .lines()
            .take_while(|l| l.starts_with("    "))
            .map(|l| l.len() + 1)
            .sum::<usize>();
        BUILTIN_YAML[start..start + head.len() - 1 + len].to_string()
    }

    #[test]
    fn a_reason_without_a_translation_is_refused_where_it_is() {
        // A sentence the code needs, with its Polish text taken out.
        let at = entry("unconfirmed");
        let pl = "    pl: \"niepotwierdzone: {item}\"\n";
        assert!(at.contains(pl), "{at}");
        let text = broken(&[(&at, &at.replace(pl, ""))]);
        let errs = WizardSpec::from_str(&text, "w.yaml").unwrap_err().0;
        assert_eq!(errs.len(), 1, "{errs:#?}");
        let e = find(&errs, "missing translation 'pl'");
        assert_eq!(e.path, "reasons.unconfirmed");
        assert_eq!(e.line, Some(line_of(&text, "  unconfirmed:", 1)));
        // A text the program says, dropped altogether.
        let errs = errors(&[(&at, "")]);
        let e = find(&errs, "missing text 'unconfirmed'");
        assert_eq!(e.path, "reasons");
        // The shipped file has it: loads.
        assert!(errors_or_none(&at, &at).is_empty());
    }

    #[test]
    fn a_translation_naming_other_placeholders_is_refused_at_its_language() {
        const AT: &str = "    pl: \"niepotwierdzone: {item}\"";
        for wrong in [
            "    pl: \"niepotwierdzone: {pozycja}\"",
            "    pl: \"niepotwierdzone\"",
            "    pl: \"niepotwierdzone: {item} {cell}\"",
        ] {
            let text = broken(&[(AT, wrong)]);
            let errs = WizardSpec::from_str(&text, "w.yaml").unwrap_err().0;
            assert_eq!(errs.len(), 1, "{wrong}: {errs:#?}");
            let e = &errs[0];
            assert_eq!(e.path, "reasons.unconfirmed.pl", "{e}");
            assert_eq!(e.line, Some(line_of(&text, wrong.trim(), 1)), "{e}");
            assert!(
                e.message
                    .contains("differ from the ones the program fills: {item}"),
                "{e}"
            );
        }
    }

    #[test]
    fn a_text_the_program_never_says_is_named_as_a_likely_typo() {
        let errs = errors(&[("\n  unconfirmed:\n", "\n  unconfirmd:\n")]);
        find(&errs, "unknown text 'unconfirmd'");
        find(&errs, "missing text 'unconfirmed'");
    }
}

//! The headless answers file: the operator's inputs keyed by step id, and the inputs they turn
//! into. Pure: reading the file is the caller's job.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::bms::model::AppAction;
use crate::wizard::engine::{
    Input, State, LADDER_LAST_PIN, LADDER_PACK_VOLTAGE, LADDER_UNUSED_PREFIX,
};
use crate::wizard::spec::{FieldKind, InputSpec, StepSpec, WizardSpec};
use crate::yaml::{Doc, Errors, Seg};

/// A scripted commissioning.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answers {
    /// A line on what this file shows.
    #[serde(default)]
    pub description: Option<String>,
    /// The answers, by step id.
    pub steps: BTreeMap<String, StepAnswers>,
}

/// What the operator does at one step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepAnswers {
    /// Checklist items to tick: `all`, or a list of ids.
    #[serde(default)]
    pub confirm: Confirm,
    /// Field values as typed (numbers may be written bare: `cells: 16`).
    #[serde(default)]
    pub fields: BTreeMap<String, Scalar>,
    /// Ladder readings for cells 1..N, as typed.
    #[serde(default)]
    pub readings: Vec<Scalar>,
    /// What the operator does on the unit or in the app, in order, with waits between.
    #[serde(default)]
    pub app: Vec<AppStep>,
    /// Skip this optional step.
    #[serde(default)]
    pub skip: bool,
    /// Overrides of failed gates, each with a reason and a role.
    #[serde(default)]
    pub overrides: Vec<OverrideAnswer>,
    /// Sign-off (the last step).
    #[serde(default)]
    pub sign: Option<SignAnswer>,
}

/// A YAML scalar taken as the text an operator would type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    /// Text, as typed.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A decimal.
    Float(f64),
    /// yes/no written bare.
    Bool(bool),
}

impl Scalar {
    /// The text an operator would have typed.
    pub fn text(&self) -> String {
        match self {
            Scalar::Text(t) => t.clone(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        }
    }
}

/// Which checklist items to tick.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Confirm {
    /// None.
    #[default]
    #[serde(skip)]
    Nothing,
    /// `all`.
    All(AllWord),
    /// These ids.
    Items(Vec<String>),
}

/// The word `all`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AllWord {
    /// Every item.
    All,
}

/// One thing done at a live step: an action, or a wait for what the BMS should show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AppStep {
    /// Wait until something is seen.
    Wait {
        /// What to wait for.
        wait: WaitFor,
    },
    /// Do this.
    Do(AppAction),
}

/// What a scripted run waits for before its next action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitFor {
    /// The BMS cut off the charge (protection test).
    ChargeCutoff,
    /// The BMS cut off the discharge (protection test).
    DischargeCutoff,
    /// New settings arrived after the previous action.
    Settings,
    /// No fault alarm is active (e.g. after recharging from the discharge cut-off).
    NoAlarm,
    /// The BMS lets the pack discharge again (after the discharge cut-off of the protection
    /// test: recharge until the under-voltage protection releases).
    DischargeRestored,
}

/// An override in an answers file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideAnswer {
    /// Gate id.
    pub gate: String,
    /// Why.
    pub reason: String,
    /// Role of the person.
    pub role: String,
    /// Name of the person.
    pub by: String,
}

/// Sign-off in an answers file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignAnswer {
    /// Who signs.
    pub name: String,
    /// Their role.
    pub role: String,
}

impl Answers {
    /// Read and parse an answers file (refused when unreadable, too large or not UTF-8).
    pub fn load(path: &std::path::Path, spec: &WizardSpec) -> Result<Answers, Errors> {
        let text = crate::yaml::read_file(path)?;
        Answers::parse(&text, &path.display().to_string(), spec)
    }

    /// Parse an answers file; `origin` names it in errors, every mistake at file:line:column.
    pub fn parse(text: &str, origin: &str, spec: &WizardSpec) -> Result<Answers, Errors> {
        let (answers, doc): (Answers, Doc) = crate::yaml::load(text, origin)?;
        answers.check(&doc, spec)?;
        Ok(answers)
    }

    /// Every step id known and every answer one its step can take, checked before anything
    /// runs: a typo found half-way through a run would leave a journal of a commissioning the
    /// file never meant.
    fn check(&self, doc: &Doc, spec: &WizardSpec) -> Result<(), Errors> {
        let mut errors = Vec::new();
        for (step, given) in &self.steps {
            let at = vec![Seg::Key("steps".into()), Seg::Key(step.clone())];
            let shown = format!("steps.{step}");
            let Some(spec_step) = spec.steps.iter().find(|s| &s.id == step) else {
                let known: Vec<&str> = spec.steps.iter().map(|s| s.id.as_str()).collect();
                errors.push(doc.error(
                    &at,
                    &shown,
                    format!(
                        "step '{step}' is not in the wizard (known steps: {})",
                        known.join(", ")
                    ),
                ));
                continue;
            };
            if let Some((path, message)) =
                misplaced(spec_step, given).or_else(|| absurd(spec_step, given))
            {
                let mut at = at;
                at.extend(path);
                errors.push(doc.error(&at, &shown, message));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            errors.sort_by_key(|e| (e.line, e.column));
            Err(Errors(errors))
        }
    }
}

/// The first answer `step` cannot take, with where it is and why.
fn misplaced(step: &StepSpec, given: &StepAnswers) -> Option<(Vec<Seg>, String)> {
    let ladder = matches!(step.input, InputSpec::Ladder { .. });
    let fields: Vec<&str> = step.input.fields().iter().map(|f| f.id.as_str()).collect();
    for field in given.fields.keys() {
        let ladder_field = ladder
            && (field == LADDER_PACK_VOLTAGE
                || field == LADDER_LAST_PIN
                || field.starts_with(LADDER_UNUSED_PREFIX));
        if !fields.contains(&field.as_str()) && !ladder_field {
            let takes = if ladder {
                format!("{LADDER_PACK_VOLTAGE}, {LADDER_LAST_PIN}, {LADDER_UNUSED_PREFIX}<wire>")
            } else if fields.is_empty() {
                "no fields".to_string()
            } else {
                fields.join(", ")
            };
            return Some((
                vec![Seg::Key("fields".into()), Seg::Key(field.clone())],
                format!("the step has no field '{field}' (it takes: {takes})"),
            ));
        }
    }
    if let Confirm::Items(ids) = &given.confirm {
        // The confirmations a unit that cannot send some data asks for are items too.
        let confirms: Vec<String> = step
            .gates
            .iter()
            .filter(|g| g.confirm.is_some())
            .map(|g| crate::wizard::engine::confirm_item_id(&g.id))
            .collect();
        let items: Vec<&str> = step
            .input
            .items()
            .iter()
            .map(|i| i.id.as_str())
            .chain(confirms.iter().map(String::as_str))
            .collect();
        if let Some(bad) = ids.iter().find(|i| !items.contains(&i.as_str())) {
            return Some((
                vec![Seg::Key("confirm".into())],
                format!(
                    "the step has no item '{bad}' to confirm (its items: {})",
                    if items.is_empty() {
                        "none".to_string()
                    } else {
                        items.join(", ")
                    }
                ),
            ));
        }
    }
    if !given.readings.is_empty() && !ladder {
        return Some((
            vec![Seg::Key("readings".into())],
            "only the ladder step (wiring step 5) takes readings".into(),
        ));
    }
    if given.skip && !step.optional {
        return Some((
            vec![Seg::Key("skip".into())],
            "this step is not optional and cannot be skipped".into(),
        ));
    }
    None
}

/// A ladder reading beyond this many volts is no measurement (our judgement: the largest JK
/// SMART pack is 134 V).
pub const READING_MAX_V: f64 = 1000.0;
/// A number field's answer beyond this magnitude is no entry an operator could make.
pub const NUMBER_MAX: f64 = 1e6;

/// An answer as written, huge numbers in exponent form (`1e308`, not 309 digits).
fn shown(value: &Scalar) -> String {
    match as_number(value) {
        Some(v) if v.is_finite() && v.abs() >= 1e15 => crate::yaml::number(v),
        _ => value.text(),
    }
}

/// The number an answer would be read as, when it is written as one (`3,65` too).
fn as_number(value: &Scalar) -> Option<f64> {
    match value {
        Scalar::Int(i) => Some(*i as f64),
        Scalar::Float(f) => Some(*f),
        Scalar::Text(t) => t.trim().replace(',', ".").parse().ok(),
        Scalar::Bool(_) => None,
    }
}

/// The first number no operator could have entered (infinite, NaN, 1e308): a wrong reading
/// is a test of the gates, an absurd one is a broken file.
fn absurd(step: &StepSpec, given: &StepAnswers) -> Option<(Vec<Seg>, String)> {
    let beyond = |v: f64, bound: f64| !v.is_finite() || v.abs() > bound;
    for (field, value) in &given.fields {
        let Some(v) = as_number(value) else { continue };
        let spec_field = step.input.fields().iter().find(|f| &f.id == field);
        let range = match spec_field.map(|f| &f.kind) {
            Some(FieldKind::Number { unit, min, max }) => {
                format!("{min} to {max} {}", unit.symbol())
            }
            Some(FieldKind::Integer { min, max }) => format!("{min} to {max}"),
            // A ladder step's own fields are voltages.
            None => format!("-{READING_MAX_V} to {READING_MAX_V} V"),
            Some(_) => continue,
        };
        let bound = if spec_field.is_some() {
            NUMBER_MAX
        } else {
            READING_MAX_V
        };
        if beyond(v, bound) {
            return Some((
                vec![Seg::Key("fields".into()), Seg::Key(field.clone())],
                format!(
                    "'{}' is no value for '{field}': it takes {range}",
                    shown(value)
                ),
            ));
        }
    }
    for (k, value) in given.readings.iter().enumerate() {
        if as_number(value).is_some_and(|v| beyond(v, READING_MAX_V)) {
            return Some((
                vec![Seg::Key("readings".into()), Seg::Index(k)],
                format!(
                    "reading {} ('{}') is no measurement: give -{READING_MAX_V} to \
                     {READING_MAX_V} V",
                    k + 1,
                    shown(value)
                ),
            ));
        }
    }
    None
}

/// The entry inputs (ticks, fields, readings) of the answers for `step`, skipping what the
/// state already holds — so a resumed run does not record the same answer twice.
pub fn entry_inputs(
    step: &StepSpec,
    index: usize,
    answers: &StepAnswers,
    state: &State,
) -> Vec<Input> {
    let record = &state.steps[index];
    let mut out = Vec::new();
    for (field, value) in &answers.fields {
        let text = value.text();
        if record.fields.get(field).map(|(t, _)| t) != Some(&text) {
            out.push(Input::Field {
                field: field.clone(),
                text,
            });
        }
    }
    for (k, value) in answers.readings.iter().enumerate() {
        let cell = k as u32 + 1;
        let text = value.text();
        if record.readings.get(&cell).map(|(t, _)| t) != Some(&text) {
            out.push(Input::Reading { cell, text });
        }
    }
    let items: Vec<String> = match &answers.confirm {
        Confirm::Nothing => Vec::new(),
        Confirm::All(_) => crate::wizard::engine::step_items(step, &state.live)
            .into_iter()
            .map(|i| i.id)
            .collect(),
        Confirm::Items(ids) => ids.clone(),
    };
    for item in items {
        if !record.checked.contains(&item) {
            out.push(Input::Check {
                item,
                checked: true,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_answers_file_fits_the_builtin_wizard() {
        let spec = WizardSpec::builtin();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/answers");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.display().to_string();
            Answers::parse(&text, &name, &spec).unwrap_or_else(|e| panic!("{e}"));
            seen += 1;
        }
        assert!(seen >= 4, "only {seen} answers files in {dir}");
    }

    #[test]
    fn an_answer_the_step_cannot_take_is_refused_with_its_line() {
        let spec = WizardSpec::builtin();
        let text = "steps:\n  setup.pack:\n    fields:\n      operator: Anna\n      cels: 16\n";
        let err = Answers::parse(text, "a.yaml", &spec)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("a.yaml:5:7: steps.setup.pack:"), "{err}");
        assert!(
            err.contains("no field 'cels'") && err.contains("cells"),
            "{err}"
        );
        let text = "steps:\n  setup.safety:\n    readings: [\"3.3\"]\n";
        let err = Answers::parse(text, "b.yaml", &spec)
            .unwrap_err()
            .to_string();
        assert!(err.contains("only the ladder step"), "{err}");
        let text =
            "steps:\n  wiring.ladder:\n    fields: {pack_voltage: \"52.8\", unused.20: \"0\"}\n";
        assert!(Answers::parse(text, "c.yaml", &spec).is_ok());
        let text = "steps:\n  setup.safety:\n    skip: true\n";
        let err = Answers::parse(text, "d.yaml", &spec)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not optional"), "{err}");
    }
}

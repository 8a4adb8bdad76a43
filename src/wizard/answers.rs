//! The headless answers file: the operator's inputs keyed by step id, and the inputs they turn
//! into. Pure: reading the file is the caller's job.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::bms::model::AppAction;
use crate::wizard::engine::{Input, State};
use crate::wizard::spec::{StepSpec, WizardSpec};

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

/// Why an answers file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswersError {
    /// YAML syntax or type error.
    #[error("{origin}:{line}:{column}: {message}")]
    Syntax {
        /// File name.
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What was wrong.
        message: String,
    },
    /// A step id the wizard does not have.
    #[error("{origin}: step '{step}' is not in the wizard (known steps: {known})")]
    UnknownStep {
        /// File name.
        origin: String,
        /// The id.
        step: String,
        /// Known ids.
        known: String,
    },
}

impl Answers {
    /// Parse an answers file; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str, spec: &WizardSpec) -> Result<Answers, AnswersError> {
        let answers: Answers = serde_yaml::from_str(text).map_err(|e| {
            let (line, column) = e
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((0, 0));
            AnswersError::Syntax {
                origin: origin.to_string(),
                line,
                column,
                message: e.to_string(),
            }
        })?;
        for step in answers.steps.keys() {
            if !spec.steps.iter().any(|s| &s.id == step) {
                return Err(AnswersError::UnknownStep {
                    origin: origin.to_string(),
                    step: step.clone(),
                    known: spec
                        .steps
                        .iter()
                        .map(|s| s.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        Ok(answers)
    }
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
        Confirm::All(_) => step.input.items().iter().map(|i| i.id.clone()).collect(),
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

//! One pure function per kind of gate, and the one entry point the engine calls.
//!
//! OWNER: checks helper. The types and signatures below are the contract with the engine;
//! add to them, do not rename.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::bms::model::{CellInfo, Chemistry, DeviceInfo, Logbook, Settings};
use crate::units::{AmpHours, Volts};
use crate::wizard::spec::{Check, StepSpec, WizardSpec};

pub mod charger;
pub mod fields;
pub mod ladder;
pub mod live;
#[cfg(test)]
pub(crate) mod testkit;

pub use fields::{parse_field, FieldError};
pub use live::observe_cutoff;

/// A gate's answer: pass, or fail with every reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The gate holds.
    pub ok: bool,
    /// Why not (empty when ok); one plain sentence each, with the numbers.
    pub reasons: Vec<Reason>,
}

impl Verdict {
    /// A passing verdict.
    pub fn pass() -> Self {
        Verdict {
            ok: true,
            reasons: Vec::new(),
        }
    }

    /// A failing verdict with these reasons.
    pub fn fail(reasons: Vec<Reason>) -> Self {
        Verdict { ok: false, reasons }
    }
}

/// One reason a gate fails.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// Stable machine-readable code (`cell_count_setting`, `skipped_tap`, …).
    pub code: String,
    /// A sentence for the operator, naming the values.
    pub text: String,
}

/// A form value after parsing and range checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    /// A number in the field's unit.
    Number(f64),
    /// A whole number.
    Integer(i64),
    /// The id of the chosen option.
    Choice(String),
    /// Free text.
    Text(String),
}

/// Facts about the pack gathered from earlier steps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PackFacts {
    /// The chosen chemistry.
    pub chemistry: Option<Chemistry>,
    /// Cells in series.
    pub cells: Option<u32>,
    /// Nominal capacity.
    pub capacity: Option<AmpHours>,
    /// BMS model id (from wizard.yaml `models`).
    pub model: Option<String>,
    /// Charging may start below 0 °C here.
    pub cold_site: bool,
    /// Pack voltage measured with the meter in the ladder step.
    pub pack_voltage: Option<Volts>,
}

/// The multimeter ladder as entered: reading k is between pin 1 (black, pack minus) and the
/// lead of cell k's plus terminal.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LadderInput {
    /// Cumulative readings for cells 1..N (index 0 = cell 1); `None` not yet entered.
    pub readings: Vec<Option<Volts>>,
    /// The pack voltage measured across the pack terminals.
    pub pack_voltage: Option<Volts>,
    /// Reading on the last pin of the last plug (pack plus), when it is not cell N's own pin.
    pub last_pin: Option<Volts>,
    /// Readings on unused pins, by wire number (1 = pin 1 of plug 1).
    pub unused: BTreeMap<u32, Volts>,
}

/// A protection cut-off seen in the live stream.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Cutoff {
    /// The cell voltage (highest on charge, lowest on discharge) when the FET opened.
    pub cell_voltage: Volts,
}

/// What the live stream showed of the protection test.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProtectionObs {
    /// The charge FET opened while charging.
    pub charge: Option<Cutoff>,
    /// The discharge FET opened while discharging.
    pub discharge: Option<Cutoff>,
}

/// Which cut-off a pair of consecutive cell frames shows, if any.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CutoffKind {
    /// Charge FET opened while charging.
    Charge,
    /// Discharge FET opened while discharging.
    Discharge,
}

/// The latest BMS data, as the engine holds it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LiveData {
    /// The link is up.
    pub connected: bool,
    /// Device info.
    pub device: Option<DeviceInfo>,
    /// Settings.
    pub settings: Option<Settings>,
    /// The last cell-info frame.
    pub cells: Option<CellInfo>,
    /// When the last cell-info frame arrived (ms since the epoch, from the input's stamp).
    pub cells_at_ms: Option<i64>,
    /// The logbook.
    pub logbook: Option<Logbook>,
    /// How many factory-settings events the logbook held when the battery type was chosen
    /// (configuration step 3); more later means the settings were wiped.
    pub factory_events_baseline: Option<usize>,
    /// The protection test so far.
    pub protection: ProtectionObs,
    /// The operator changed the balance trigger on purpose (an app action was recorded).
    pub balance_trigger_changed: bool,
}

/// Everything a gate may look at.
#[derive(Debug, Clone, Copy)]
pub struct GateContext<'a> {
    /// The whole wizard (limits, chemistries, models).
    pub spec: &'a WizardSpec,
    /// The step being left.
    pub step: &'a StepSpec,
    /// Facts gathered so far.
    pub pack: &'a PackFacts,
    /// Ticked checklist items of this step.
    pub checked: &'a BTreeSet<String>,
    /// Valid field values of this step.
    pub fields: &'a BTreeMap<String, Value>,
    /// The ladder as entered.
    pub ladder: &'a LadderInput,
    /// Live BMS data.
    pub live: &'a LiveData,
    /// Now, in ms since the epoch (from the input's stamp; the checks never read a clock).
    pub now_ms: i64,
}

/// Run one gate's check.
pub fn evaluate(check: &Check, ctx: &GateContext<'_>) -> Verdict {
    let _ = (check, ctx);
    todo!("checks helper")
}

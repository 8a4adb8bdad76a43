//! wizard.yaml as types: the procedure, its gates and limits, as data.
//!
//! OWNER of loading/validation: spec helper. The types below are the contract the engine, the
//! checks and the UI code against; add to them, do not rename.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::bms::model::Chemistry;
use crate::units::Volts;

/// A text in every language the wizard ships, keyed by language code (`en`, `pl`, …).
pub type Text = BTreeMap<String, String>;

/// Pick the text for `lang`, falling back to English, then to any language.
pub fn tr<'a>(text: &'a Text, lang: &str) -> &'a str {
    text.get(lang)
        .or_else(|| text.get("en"))
        .or_else(|| text.values().next())
        .map(String::as_str)
        .unwrap_or("")
}

/// The whole procedure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WizardSpec {
    /// Languages every text must be given in (`[en, pl]`); more may be present.
    pub languages: Vec<String>,
    /// Per-chemistry limits.
    pub chemistries: BTreeMap<Chemistry, ChemistrySpec>,
    /// BMS models and how their balance plugs are laid out.
    pub models: Vec<ModelSpec>,
    /// Limits that do not depend on the chemistry.
    pub limits: Limits,
    /// Labels of the UI and of messages, by key.
    #[serde(default)]
    pub messages: BTreeMap<String, Text>,
    /// The manual's error list (1–9) in our words, for STATUS and the live panel.
    pub errors: BTreeMap<u8, Text>,
    /// The steps in order.
    pub steps: Vec<StepSpec>,
}

/// An inclusive range of voltages.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoltRange {
    /// Lowest accepted.
    pub min: Volts,
    /// Highest accepted.
    pub max: Volts,
}

impl VoltRange {
    /// Whether `v` lies in the range.
    pub fn contains(&self, v: Volts) -> bool {
        v.0 >= self.min.0 && v.0 <= self.max.0
    }
}

/// What one chemistry allows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChemistrySpec {
    /// Display name.
    pub name: Text,
    /// The rise per cell expected on the multimeter ladder (wiring step 5).
    pub ladder_step: VoltRange,
    /// Shown beside the ladder when the range is our assumption, not the manual's (LTO).
    #[serde(default)]
    pub ladder_note: Option<Text>,
    /// A live cell voltage plausible for this chemistry.
    pub cell_plausible: VoltRange,
    /// The factory Cell OVP that identifies the chemistry in Advance Settings.
    pub cell_ovp: Volts,
    /// How far a unit's OVP may sit from `cell_ovp` and still count as this chemistry.
    pub ovp_tolerance: Volts,
}

/// A BMS model: how many cells it takes and how its balance wires are split over plugs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Id used in answers and logs (`b2a24s`).
    pub id: String,
    /// Display name (`JK-B2A24S20P and similar 24-cell units`).
    pub name: Text,
    /// The most cells in series it takes.
    pub max_cells: u32,
    /// Wires (pins) per balance plug, in order; pin 1 of plug 1 is pack minus (black), the
    /// last pin of the last plug is pack plus. More than 8 cells ⇒ two plugs.
    pub plugs: Vec<u32>,
}

/// Limits that do not depend on the chemistry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Largest spread of cell voltages before wiring (manual step 1: ±0.1 V).
    pub cell_spread: Volts,
    /// How much more than the pack voltage a charger must deliver to activate the unit.
    pub charger_margin: Volts,
    /// How close the output plug must be to the pack voltage (step 12).
    pub output_tolerance: Volts,
    /// How close the last ladder reading must be to the separately measured pack voltage.
    pub pack_tolerance: Volts,
    /// An unused balance pin reading more than this is live when it should not be.
    pub unused_pin_max: Volts,
    /// The factory balance trigger.
    pub balance_trigger: Volts,
    /// For a cold site: the Charge UTPR to set, in °C.
    pub cold_utpr: f64,
    /// For a cold site: the Charge UTP range to set, in °C.
    pub cold_utp: [f64; 2],
    /// A temperature probe reading is plausible within this range, in °C.
    pub probe_plausible: [f64; 2],
    /// How far from the set OVP/UVP a protection cut-off may happen and still pass.
    pub protection_tolerance: Volts,
    /// Live data older than this (seconds) does not count for a gate.
    pub live_max_age_s: f64,
}

/// Which part of the manual a step belongs to; the numbering restarts in each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// Facts about the pack and the people, before the manual's steps.
    Setup,
    /// Wiring and activation, manual steps 1–12.
    Wiring,
    /// Configuration in the app, manual steps 1–8.
    Configuration,
    /// The protection test before service.
    Protection,
    /// Sign-off.
    Signoff,
}

/// One step of the procedure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    /// Unique id (`wiring.ladder`), used in answers files and logs.
    pub id: String,
    /// The part of the manual.
    pub section: Section,
    /// The manual's number within its section, if it has one.
    #[serde(default)]
    pub number: Option<u32>,
    /// Title.
    pub title: Text,
    /// What to do, one paragraph per entry.
    pub instructions: Vec<Text>,
    /// Warnings shown highlighted.
    #[serde(default)]
    pub warnings: Vec<Text>,
    /// Which of the manual's error codes (1–9) to explain at this step.
    #[serde(default)]
    pub error_codes: Vec<u8>,
    /// The kind of input the step takes.
    pub input: InputSpec,
    /// Conditions that must hold to leave the step.
    #[serde(default)]
    pub gates: Vec<GateSpec>,
    /// The step may be skipped (optional accessories, calibration). It may hold no safety gate.
    #[serde(default)]
    pub optional: bool,
    /// On the simulator, actions played when the operator confirms this step (plug in,
    /// activate), since nobody's hands are on a real unit.
    #[serde(default)]
    pub sim_actions: Vec<crate::bms::model::AppAction>,
    /// The step applies only when this holds (e.g. activation by charger).
    #[serde(default)]
    pub when: Option<Condition>,
}

/// A condition on an earlier answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// `step_id.field_id` of an earlier form field.
    pub field: String,
    /// The choice(s) for which the step applies.
    pub is: Vec<String>,
}

/// The kind of input a step takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum InputSpec {
    /// Things to confirm, each ticked by the operator.
    Checklist {
        /// The items.
        items: Vec<ItemSpec>,
    },
    /// Values to enter: readings, choices, names.
    Form {
        /// The fields.
        fields: Vec<FieldSpec>,
        /// Confirmations shown under the fields.
        #[serde(default)]
        items: Vec<ItemSpec>,
    },
    /// The pin-ladder table of wiring step 5: one reading per cell plus the pack voltage.
    Ladder {
        /// Confirmations shown under the table.
        #[serde(default)]
        items: Vec<ItemSpec>,
    },
    /// The operator works in the app; the gates watch the live BMS data.
    Live {
        /// Confirmations shown beside the live data.
        #[serde(default)]
        items: Vec<ItemSpec>,
    },
    /// Sign-off: name and role of the operator (and trainer, if any).
    SignOff {
        /// Confirmations before signing.
        #[serde(default)]
        items: Vec<ItemSpec>,
    },
}

impl InputSpec {
    /// The checklist items of any kind of step.
    pub fn items(&self) -> &[ItemSpec] {
        match self {
            InputSpec::Checklist { items }
            | InputSpec::Form { items, .. }
            | InputSpec::Ladder { items }
            | InputSpec::Live { items }
            | InputSpec::SignOff { items } => items,
        }
    }

    /// The form fields, if any.
    pub fn fields(&self) -> &[FieldSpec] {
        match self {
            InputSpec::Form { fields, .. } => fields,
            _ => &[],
        }
    }
}

/// One thing to confirm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemSpec {
    /// Id within the step.
    pub id: String,
    /// What the operator confirms.
    pub text: Text,
}

/// One value to enter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// Id within the step. Well-known ids feed the pack facts: see [`PackField`].
    pub id: String,
    /// Label.
    pub label: Text,
    /// What kind of value.
    #[serde(flatten)]
    pub kind: FieldKind,
    /// May be left empty.
    #[serde(default)]
    pub optional: bool,
    /// Help shown under the field.
    #[serde(default)]
    pub help: Option<Text>,
}

/// The kind of value of a field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FieldKind {
    /// A decimal with a unit, within a range.
    Number {
        /// The unit symbol (`V`, `A`, `Ah`, `°C`).
        unit: Unit,
        /// Lowest accepted.
        min: f64,
        /// Highest accepted.
        max: f64,
    },
    /// A whole number within a range.
    Integer {
        /// Lowest accepted.
        min: i64,
        /// Highest accepted.
        max: i64,
    },
    /// One of a list.
    Choice {
        /// The options.
        options: Vec<ChoiceSpec>,
    },
    /// Free text (names, pack id).
    Text,
}

/// One option of a choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceSpec {
    /// Id recorded as the answer.
    pub id: String,
    /// Label.
    pub text: Text,
}

/// Units a number field can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unit {
    /// Volts.
    V,
    /// Amperes.
    A,
    /// Ampere-hours.
    Ah,
    /// Degrees Celsius.
    #[serde(rename = "°C", alias = "C")]
    Celsius,
}

impl Unit {
    /// The symbol typed after a number.
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::V => "V",
            Unit::A => "A",
            Unit::Ah => "Ah",
            Unit::Celsius => "°C",
        }
    }
}

/// Form field ids with a fixed meaning: the facts about the pack every check needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackField {
    /// `chemistry`: a choice of li-ion, lifepo4, lto.
    Chemistry,
    /// `cells`: cells in series.
    Cells,
    /// `capacity`: Ah.
    Capacity,
    /// `model`: a model id from `models`.
    Model,
    /// `cold_site`: a choice yes/no — charging may start below 0 °C.
    ColdSite,
    /// `pack_id`: the operator's id for the pack.
    PackId,
    /// `operator`: the operator's name.
    Operator,
    /// `role`: the operator's role.
    Role,
    /// `trainer`: the trainer's or supervisor's name, if any.
    Trainer,
}

impl PackField {
    /// The field id in wizard.yaml.
    pub fn id(self) -> &'static str {
        match self {
            PackField::Chemistry => "chemistry",
            PackField::Cells => "cells",
            PackField::Capacity => "capacity",
            PackField::Model => "model",
            PackField::ColdSite => "cold_site",
            PackField::PackId => "pack_id",
            PackField::Operator => "operator",
            PackField::Role => "role",
            PackField::Trainer => "trainer",
        }
    }
}

/// A condition to leave a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateSpec {
    /// Id within the step.
    pub id: String,
    /// What is checked.
    pub check: Check,
    /// Safety-critical: can never be overridden.
    #[serde(default)]
    pub safety: bool,
    /// What the gate ensures, shown when it fails.
    pub text: Text,
}

/// The checks a gate can run; each maps to one pure function in `wizard::checks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// Every checklist item of the step is ticked.
    AllConfirmed,
    /// Every required field of the step holds a valid value.
    FieldsValid,
    /// Manual step 1: highest minus lowest cell voltage (fields `lowest_cell`, `highest_cell`)
    /// within the spread limit.
    CellSpread,
    /// The pin ladder shows no wiring fault (includes the cell spread of manual step 1).
    Ladder,
    /// Activation by charger: charger voltage ≥ pack voltage + margin.
    ChargerVoltage,
    /// Step 12: output plug voltage equals the pack voltage.
    OutputVoltage,
    /// The BMS is connected and its data is fresh.
    LiveConnected,
    /// Every one of the N cells is visible in STATUS.
    CellsVisible,
    /// Every visible cell's voltage is plausible for the chemistry.
    CellsPlausible,
    /// Cell Count setting = N.
    CellCountSetting,
    /// Cell OVP matches the chosen chemistry.
    OvpMatchesChemistry,
    /// Capacity set, non-zero and equal to what the operator entered.
    CapacitySet,
    /// Balance trigger at the factory value unless changed on purpose.
    BalanceTrigger,
    /// Charge, Discharge and Balance switches on.
    SwitchesOn,
    /// "Disable Temp. Sensor" off.
    TempSensorEnabled,
    /// NTC probes present and plausible.
    ProbesPresent,
    /// Cold site: Charge UTPR and UTP set as the manual asks.
    ColdSite,
    /// No alarm active.
    NoAlarm,
    /// No second "factory settings" logbook event after the configuration.
    NoFactoryReset,
    /// The protection test was observed: cut-off on charge and discharge at the set voltages.
    ProtectionTest,
}

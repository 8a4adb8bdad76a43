//! wizard.yaml as types: the procedure, its gates and limits, as data.
//!
//! OWNER of loading/validation: spec helper. The types below are the contract the engine, the
//! checks and the UI code against; add to them, do not rename.
//!
//! Loading is strict: a YAML or type mistake names file:line:column and the field path; every
//! semantic mistake (see `validate`) is reported at once, so an author fixes a file in one pass.

mod validate;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

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
    /// Languages that write a decimal comma (3,65 V); see [`crate::wizard::words`].
    #[serde(default)]
    pub decimal_comma: Vec<String>,
    /// The sentences the program says (gate reasons, ladder diagnoses, alarm names), by key,
    /// with named placeholders; rendered by [`crate::wizard::words`].
    #[serde(default)]
    pub reasons: BTreeMap<String, Text>,
    /// What the subcommands print (`ladder`, `procedure`, …), by key, with placeholders.
    #[serde(default)]
    pub cli: BTreeMap<String, Text>,
    /// The screen's own words (header, gate panel, footer, help, dialogs), by key.
    #[serde(default)]
    pub ui: BTreeMap<String, Text>,
    /// The steps in order.
    pub steps: Vec<StepSpec>,
    /// SHA-256 (hex) of the exact bytes this wizard was loaded from; see [`Self::wizard_hash`].
    #[serde(skip)]
    pub sha256: String,
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
    /// The factory Cell OVP that identifies the chemistry in Advance Settings (the manual's).
    pub cell_ovp: Volts,
    /// The most a cell may be charged to (cell datasheets); the OVP window never exceeds it.
    pub max_charge_voltage: Volts,
    /// The least a cell may be discharged to (cell datasheets); the UVP window never goes below.
    pub min_discharge_voltage: Volts,
    /// The Cell OVP settings accepted for this chemistry; holds `cell_ovp`, tops at
    /// `max_charge_voltage`, and overlaps no other chemistry's window.
    pub ovp_window: VoltRange,
    /// The Cell UVP settings accepted for this chemistry; starts at or above
    /// `min_discharge_voltage` and stays below `ovp_window`.
    pub uvp_window: VoltRange,
}

/// A BMS model: how many cells it takes and how its balance wires are split over plugs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Id used in answers and logs (`b2a24s`).
    pub id: String,
    /// Display name (`JK-B2A24S20P and similar 24-cell units`).
    pub name: Text,
    /// The fewest cells in series it works with (it powers itself from the pack).
    pub min_cells: u32,
    /// The most cells in series it takes.
    pub max_cells: u32,
    /// The rated maximum voltage on its pack/charge connector: the ceiling for a charger.
    pub max_input_voltage: Volts,
    /// Wires (pins) per balance plug, in order; pin 1 of plug 1 is pack minus (black), the
    /// last pin of the last plug is pack plus. More than 8 cells ⇒ two plugs.
    pub plugs: Vec<u32>,
    /// Shown wherever a pin is named by its plug, when the split over plugs is our assumption
    /// (the manual gives none); `{split}` is filled in from `plugs` (`13 + 12`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split_note: Option<Text>,
    /// Temperature probes it ships with, from probe 1 (our assumption: the manual speaks of
    /// the probe(s) without a count). Only probe 1 is the manual's requirement.
    #[serde(default = "default_probes")]
    pub probes: u32,
}

/// Units of the JK B2A/PB families ship with two probes (T1, T2).
fn default_probes() -> u32 {
    2
}

impl ModelSpec {
    /// The split note in `lang` with the model's own plug sizes filled in, if it has one.
    pub fn split_note(&self, lang: &str) -> Option<String> {
        let split: Vec<String> = self.plugs.iter().map(u32::to_string).collect();
        self.split_note
            .as_ref()
            .map(|t| tr(t, lang).replace("{split}", &split.join(" + ")))
    }
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
    /// The meter's last typed digit: a ladder step's range is widened by this at both ends.
    pub meter_digit: Volts,
    /// The factory balance trigger.
    pub balance_trigger: Volts,
    /// For a cold site: the Charge UTPR to set, in °C; the temperature at which charging is
    /// allowed again, so always above every value of `cold_utp`.
    pub cold_utpr: f64,
    /// For a cold site: the Charge UTP range to set, in °C; the temperature at which charging
    /// stops, below `cold_utpr`.
    pub cold_utp: [f64; 2],
    /// A temperature probe reading is plausible within this range, in °C.
    pub probe_plausible: [f64; 2],
    /// How far from the set OVP/UVP a protection cut-off may happen and still pass.
    pub protection_tolerance: Volts,
    /// Live data older than this (seconds) does not count for a gate.
    pub live_max_age_s: f64,
    /// How close the unit's own pack voltage must be to the meter's: the unit is on this
    /// pack, and a voltage calibration in the app agrees with the meter.
    #[serde(default = "default_live_pack_tolerance")]
    pub live_pack_tolerance: Volts,
    /// How far a cell's voltage from the ladder (reading k minus reading k−1) may lie from
    /// the unit's own reading of that cell before the first live step points it out.
    #[serde(default = "default_ladder_live_tolerance")]
    pub ladder_live_tolerance: Volts,
}

/// The shipped wizard states its own value; older wizard files without one get the same.
fn default_live_pack_tolerance() -> Volts {
    Volts(0.6)
}

/// The shipped wizard states its own value; older wizard files without one get the same.
fn default_ladder_live_tolerance() -> Volts {
    Volts(0.05)
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

impl Section {
    /// The key of the section's name in the wizard's `messages`.
    pub fn message_key(self) -> &'static str {
        match self {
            Section::Setup => "section_setup",
            Section::Wiring => "section_wiring",
            Section::Configuration => "section_configuration",
            Section::Protection => "section_protection",
            Section::Signoff => "section_signoff",
        }
    }
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
///
/// In YAML: `kind:` beside `items:` and `fields:`. An internally tagged enum would buffer the
/// whole input before reading it and lose every line number inside, so it goes through
/// [`RawInput`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawInput", into = "RawInput")]
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

/// The YAML shape of an [`InputSpec`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInput {
    kind: InputKind,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    items: Vec<ItemSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fields: Option<Vec<FieldSpec>>,
}

/// The `kind:` of an input in YAML.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum InputKind {
    Checklist,
    Form,
    Ladder,
    Live,
    SignOff,
}

impl TryFrom<RawInput> for InputSpec {
    type Error = String;

    fn try_from(raw: RawInput) -> Result<Self, String> {
        let items = raw.items;
        match (raw.kind, raw.fields) {
            (InputKind::Form, Some(fields)) => Ok(InputSpec::Form { fields, items }),
            (InputKind::Form, None) => Err("a form needs 'fields'".into()),
            (_, Some(_)) => Err("only a form has 'fields'".into()),
            (InputKind::Checklist, None) => Ok(InputSpec::Checklist { items }),
            (InputKind::Ladder, None) => Ok(InputSpec::Ladder { items }),
            (InputKind::Live, None) => Ok(InputSpec::Live { items }),
            (InputKind::SignOff, None) => Ok(InputSpec::SignOff { items }),
        }
    }
}

impl From<InputSpec> for RawInput {
    fn from(input: InputSpec) -> Self {
        let (kind, items, fields) = match input {
            InputSpec::Checklist { items } => (InputKind::Checklist, items, None),
            InputSpec::Form { fields, items } => (InputKind::Form, items, Some(fields)),
            InputSpec::Ladder { items } => (InputKind::Ladder, items, None),
            InputSpec::Live { items } => (InputKind::Live, items, None),
            InputSpec::SignOff { items } => (InputKind::SignOff, items, None),
        };
        RawInput {
            kind,
            items,
            fields,
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
///
/// In YAML the kind's keys (`type`, `unit`, `min`, `max`, `options`) sit beside `id` and
/// `label`. serde's `flatten` cannot be combined with `deny_unknown_fields` (every key would be
/// refused) and loses line numbers, so the YAML goes through [`RawField`] instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawField", into = "RawField")]
pub struct FieldSpec {
    /// Id within the step. Well-known ids feed the pack facts: see [`PackField`].
    pub id: String,
    /// Label.
    pub label: Text,
    /// What kind of value.
    pub kind: FieldKind,
    /// May be left empty.
    #[serde(default)]
    pub optional: bool,
    /// Help shown under the field.
    #[serde(default)]
    pub help: Option<Text>,
}

/// The YAML shape of a [`FieldSpec`]: every key any kind may use, unknown keys refused.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    id: String,
    label: Text,
    #[serde(rename = "type")]
    kind: FieldType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unit: Option<Unit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    options: Option<Vec<ChoiceSpec>>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    optional: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    help: Option<Text>,
}

/// The `type:` of a field in YAML.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum FieldType {
    Number,
    Integer,
    Choice,
    Text,
}

impl TryFrom<RawField> for FieldSpec {
    type Error = String;

    fn try_from(raw: RawField) -> Result<Self, String> {
        let id = &raw.id;
        // Keys that do not belong to the type are refused rather than silently ignored.
        let stray = |allowed: &[&str]| -> Result<(), String> {
            let present = [
                ("unit", raw.unit.is_some()),
                ("min", raw.min.is_some()),
                ("max", raw.max.is_some()),
                ("options", raw.options.is_some()),
            ];
            for (key, is) in present {
                if is && !allowed.contains(&key) {
                    return Err(format!(
                        "field '{id}': key '{key}' does not belong to this type"
                    ));
                }
            }
            Ok(())
        };
        let need = |key: &str, v: Option<f64>| {
            v.ok_or_else(|| format!("field '{id}': this type needs '{key}'"))
        };
        let kind = match raw.kind {
            FieldType::Number => {
                stray(&["unit", "min", "max"])?;
                FieldKind::Number {
                    unit: raw.unit.ok_or_else(|| {
                        format!("field '{id}': a number needs 'unit' (V, A, Ah, °C)")
                    })?,
                    min: need("min", raw.min)?,
                    max: need("max", raw.max)?,
                }
            }
            FieldType::Integer => {
                stray(&["min", "max"])?;
                let whole = |key: &str, v: Option<f64>| -> Result<i64, String> {
                    let v = need(key, v)?;
                    if v.fract() != 0.0 || v.abs() > 1e15 {
                        return Err(format!(
                            "field '{id}': '{key}' of an integer must be a whole number"
                        ));
                    }
                    Ok(v as i64)
                };
                FieldKind::Integer {
                    min: whole("min", raw.min)?,
                    max: whole("max", raw.max)?,
                }
            }
            FieldType::Choice => {
                stray(&["options"])?;
                FieldKind::Choice {
                    options: raw
                        .options
                        .ok_or_else(|| format!("field '{id}': a choice needs 'options'"))?,
                }
            }
            FieldType::Text => {
                stray(&[])?;
                FieldKind::Text
            }
        };
        Ok(FieldSpec {
            id: raw.id,
            label: raw.label,
            kind,
            optional: raw.optional,
            help: raw.help,
        })
    }
}

impl From<FieldSpec> for RawField {
    fn from(f: FieldSpec) -> Self {
        let mut raw = RawField {
            id: f.id,
            label: f.label,
            kind: FieldType::Text,
            unit: None,
            min: None,
            max: None,
            options: None,
            optional: f.optional,
            help: f.help,
        };
        match f.kind {
            FieldKind::Number { unit, min, max } => {
                raw.kind = FieldType::Number;
                raw.unit = Some(unit);
                raw.min = Some(min);
                raw.max = Some(max);
            }
            FieldKind::Integer { min, max } => {
                raw.kind = FieldType::Integer;
                raw.min = Some(min as f64);
                raw.max = Some(max as f64);
            }
            FieldKind::Choice { options } => {
                raw.kind = FieldType::Choice;
                raw.options = Some(options);
            }
            FieldKind::Text => {}
        }
        raw
    }
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

pub use crate::units::Unit;

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
    /// Every well-known field; the setup form must hold them all.
    pub const ALL: [PackField; 9] = [
        PackField::Operator,
        PackField::Role,
        PackField::Trainer,
        PackField::PackId,
        PackField::Chemistry,
        PackField::Cells,
        PackField::Capacity,
        PackField::Model,
        PackField::ColdSite,
    ];

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
    /// What the operator confirms from the app instead, on a unit that can never send the
    /// data this gate judges (a checklist item `confirm.<gate id>` shown only for such units).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm: Option<Text>,
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
    /// Cell UVP inside the chemistry's UVP window and below the Cell OVP.
    UvpMatchesChemistry,
    /// The further temperature probes the model data lists (our assumption, not the manual's).
    ProbeCount,
    /// CONTROL: "Emergency" off (read from the live frames where the unit sends it).
    EmergencyOff,
    /// The unit on the link is the model chosen at set-up (the cells it takes).
    UnitMatchesModel,
    /// The unit's pack voltage agrees with the meter's (the right pack; a sound calibration).
    PackVoltageMatches,
}

/// The wizard shipped inside the binary.
pub const BUILTIN_YAML: &str = include_str!("../../wizard.yaml");

/// What the built-in wizard is called in error messages.
pub const BUILTIN_ORIGIN: &str = "wizard.yaml (built in)";

/// Message keys the screens look up in `messages`; every one must be present.
pub const MESSAGE_KEYS: &[&str] = &[
    "app_title",
    "next",
    "back",
    "skip",
    "confirm",
    "quit",
    "quit_confirm",
    "help",
    "yes",
    "no",
    "override",
    "override_reason",
    "override_role",
    "override_refused_safety",
    "gate_passed",
    "gate_failed",
    "gate_waiting",
    "gate_overridden",
    "step_progress",
    "manual_step",
    "optional_step",
    "section_setup",
    "section_wiring",
    "section_configuration",
    "section_protection",
    "section_signoff",
    "warnings_title",
    "errors_title",
    "field_required",
    "field_invalid",
    "live_title",
    "live_connected",
    "live_disconnected",
    "live_stale",
    "cells",
    "pack_voltage",
    "current",
    "temperature",
    "no_alarm",
    "alarm_active",
    "alarm_mapping_ours",
    "ladder_pin",
    "ladder_cell",
    "ladder_reading",
    "ladder_pack",
    "ladder_last_pin",
    "ladder_unused",
    "sign_off",
    "log_saved",
    "resume",
    "sim_banner",
    "training_banner",
    "no_passwords",
];

/// One mistake in a wizard file: the input files' one error type.
pub use crate::yaml::Error as SpecError;
/// Every mistake found in a wizard file, in file order.
pub use crate::yaml::Errors as SpecErrors;

/// SHA-256 of some bytes as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl WizardSpec {
    /// Read, parse and validate a wizard file.
    pub fn load(path: &Path) -> Result<WizardSpec, SpecErrors> {
        let text = crate::yaml::read_file(path)?;
        WizardSpec::from_str(&text, &path.display().to_string())
    }

    /// Parse and validate wizard text; `origin` names it in error messages.
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &str, origin: &str) -> Result<WizardSpec, SpecErrors> {
        let (mut spec, doc): (WizardSpec, _) = crate::yaml::load(text, origin)?;
        let errors = validate::validate(&spec, &doc);
        if !errors.is_empty() {
            return Err(SpecErrors(errors));
        }
        spec.sha256 = sha256_hex(text.as_bytes());
        Ok(spec)
    }

    /// The wizard shipped inside the binary (checked by the test suite, so it always loads).
    pub fn builtin() -> WizardSpec {
        static BUILTIN: OnceLock<WizardSpec> = OnceLock::new();
        BUILTIN
            .get_or_init(
                || match WizardSpec::from_str(BUILTIN_YAML, BUILTIN_ORIGIN) {
                    Ok(spec) => spec,
                    Err(errors) => panic!("the built-in wizard.yaml is broken:\n{errors}"),
                },
            )
            .clone()
    }

    /// Per language of `languages`: how many texts the wizard file gives in it and how many it
    /// lacks; `None` when the file does not even parse into a wizard.
    pub fn text_counts(text: &str, origin: &str) -> Option<BTreeMap<String, (usize, usize)>> {
        let (spec, doc): (WizardSpec, _) = crate::yaml::load(text, origin).ok()?;
        Some(validate::counts(&spec, &doc))
    }

    /// SHA-256 (hex) of the exact bytes loaded, so a log names the wizard it followed.
    pub fn wizard_hash(&self) -> &str {
        &self.sha256
    }

    /// The step with this id.
    pub fn step(&self, id: &str) -> Option<&StepSpec> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// The position of the step with this id.
    pub fn step_index(&self, id: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.id == id)
    }

    /// The model with this id.
    pub fn model(&self, id: &str) -> Option<&ModelSpec> {
        self.models.iter().find(|m| m.id == id)
    }

    /// A UI label by key in `lang`; the key itself when the wizard lacks it.
    pub fn message<'a>(&'a self, key: &'a str, lang: &str) -> &'a str {
        self.messages.get(key).map_or(key, |t| tr(t, lang))
    }
}

/// The language to show: `--lang` if the wizard has it, else the one `LANG` names
/// (`pl_PL.UTF-8` → `pl`), else English. Never fails: an unknown choice falls back to `en`.
pub fn pick_language(flag: Option<&str>, env_lang: Option<&str>, spec: &WizardSpec) -> String {
    let known = |raw: &str| -> Option<String> {
        let code = raw
            .split(['_', '-', '.', '@'])
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        spec.languages.iter().find(|l| **l == code).cloned()
    };
    match flag {
        // An explicit choice is never second-guessed by the environment.
        Some(flag) => known(flag),
        None => env_lang.and_then(known),
    }
    .unwrap_or_else(|| "en".to_string())
}

#[cfg(test)]
mod tests;

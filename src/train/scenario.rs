//! A training scenario: a pack, a BMS, the faults staged on them and when, what a careful
//! trainee does, and where the procedure must catch each fault.
//!
//! Loading is strict: unknown fields are refused, and every mistake — YAML, types, or a step,
//! gate, cell or probe that does not exist — is reported as `file:line:column: field: message`.
//! Pure apart from [`Scenario::load`] reading the file (and a referenced answers file).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::bms::model::{AppAction, Chemistry, Layout};
use crate::bms::sim::unit::{Fault, SimConfig, SimUnit};
use crate::units::{AmpHours, Celsius, Volts};
use crate::wizard::answers::{Answers, StepAnswers};
use crate::wizard::checks::default_model;
use crate::wizard::engine::Rewire;
use crate::wizard::spec::{ModelSpec, WizardSpec};

use crate::yaml::{number, At, Doc};

/// A scenario as written, plus where it came from.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// One line for the trainer's list (the trainee never sees it before sign-off).
    pub description: String,
    /// A training scenario: its log is marked training, and `expect` says where its faults
    /// must be caught. `false` for a plain simulator set-up (`--sim FILE` on the wizard).
    #[serde(default = "yes")]
    pub training: bool,
    /// The pack.
    pub pack: PackSpec,
    /// Charging may start below 0 °C at the site (the trainee answers so in the pack step).
    #[serde(default)]
    pub cold_site: bool,
    /// The BMS.
    #[serde(default)]
    pub bms: BmsSpec,
    /// Mistakes in the balance leads and the probe: they shape what the meter reads and what
    /// the BMS sees.
    #[serde(default)]
    pub wiring: Vec<WiringFault>,
    /// Faults staged on the simulated unit, each at its moment.
    #[serde(default)]
    pub faults: Vec<StagedFault>,
    /// What a careful trainee does.
    #[serde(default)]
    pub trainee: TraineeSpec,
    /// Where the procedure must catch the faults, or that the pack must pass.
    #[serde(default)]
    pub expect: Option<Expect>,
    /// The file's id: its name without `.yaml`.
    #[serde(skip)]
    pub id: String,
    /// Where it was read from (for messages).
    #[serde(skip)]
    pub origin: String,
    /// SHA-256 of the file's text.
    #[serde(skip)]
    pub sha256: String,
    /// The answers file `trainee.answers` names, read and checked.
    #[serde(skip)]
    pub base_answers: Option<Answers>,
}

fn yes() -> bool {
    true
}

/// The pack behind the BMS.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackSpec {
    /// Chemistry: li-ion, lifepo4 or lto.
    pub chemistry: Chemistry,
    /// Cells in series.
    pub cells: u32,
    /// Capacity in Ah.
    pub capacity: AmpHours,
    /// State of charge of every cell, 0..1 (default 0.5).
    #[serde(default)]
    pub soc: Option<f64>,
    /// Cells that rest at another voltage than the rest, by cell number (1 = at pack minus).
    #[serde(default)]
    pub cell_voltages: BTreeMap<u32, Volts>,
    /// The temperature around the pack, °C (default 22).
    #[serde(default)]
    pub ambient: Option<Celsius>,
    /// Seed of the simulator's small drifts (default: the simulator's own).
    #[serde(default)]
    pub seed: Option<u64>,
}

/// The state the unit's settings are in when the session starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// Fresh from the box: the factory set it ships with; the trainee configures everything.
    #[default]
    Factory,
    /// Configured for this pack before (battery type, cell count, capacity, switches on):
    /// the trainee only checks.
    Matched,
}

/// The BMS.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BmsSpec {
    /// Frame layout and firmware family: 24s (firmware ≤ 10) or 32s (11 and later).
    #[serde(default)]
    pub variant: Option<Layout>,
    /// The wizard's model id the trainee picks (its plugs); default: the smallest that takes
    /// the pack's cells.
    #[serde(default)]
    pub model: Option<String>,
    /// What the unit reports about itself; unset fields keep the variant's defaults.
    #[serde(default)]
    pub firmware: Option<Firmware>,
    /// The state of its settings.
    #[serde(default)]
    pub settings: Preset,
    /// What its factory sets write (the battery type it ships with, the cell count and
    /// capacity every factory set loads).
    #[serde(default)]
    pub factory: FactorySpec,
    /// Single settings changed in the app before the session, in order (app actions as in an
    /// answers file: `- capacity: 0`, `- switch: {switch: balance, on: false}`).
    #[serde(default)]
    pub changes: Vec<Action>,
    /// Which temperature-probe sockets have a probe, from probe 1 (default: probes 1 and 2).
    #[serde(default)]
    pub probes: Option<Vec<bool>>,
}

/// What the unit reports over Bluetooth.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Firmware {
    /// Model string.
    #[serde(default)]
    pub model: Option<String>,
    /// Hardware version.
    #[serde(default)]
    pub hardware: Option<String>,
    /// Software version; its major number must agree with the variant (≥ 11 for 32s).
    #[serde(default)]
    pub software: Option<String>,
    /// Serial number.
    #[serde(default)]
    pub serial: Option<String>,
}

/// The unit's factory set.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactorySpec {
    /// The battery type it ships set for (default li-ion).
    #[serde(default)]
    pub battery_type: Option<Chemistry>,
    /// The cell count every factory set writes (default 24).
    #[serde(default)]
    pub cell_count: Option<u32>,
    /// The capacity every factory set writes, Ah (default 100; 0 = never set).
    #[serde(default)]
    pub capacity: Option<AmpHours>,
}

/// A wiring mistake. Cells count from 1 at pack minus.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(remote = "Self", rename_all = "snake_case", deny_unknown_fields)]
pub enum WiringFault {
    /// Cell `cell`'s balance lead is not connected (unsoldered, broken, not in the plug): the
    /// meter reads about 0 V on it, and the BMS does not see that cell.
    OpenTap {
        /// The cell.
        cell: u32,
    },
    /// Two cells' leads are exchanged at the plug: each reads the other's voltage.
    CrossedTaps {
        /// The two cells.
        cells: [u32; 2],
    },
    /// Cell `cell`'s plus was skipped: its lead and every later one sit one cell higher, the
    /// last two leads share pack plus.
    SkippedTap {
        /// The first cell whose tap was skipped.
        cell: u32,
    },
    /// The last pin of the last plug is not on pack plus (a pack with fewer cells than the
    /// unit takes): it reads about 0 V.
    PackPlusPinOpen,
    /// Temperature probe `probe` is not plugged in.
    NtcAbsent {
        /// The probe socket (1 = the first).
        probe: u32,
    },
}

/// A fault staged on the unit, at start, on entering a step, or some seconds into the
/// session. At most one of `entering` and `after_s`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StagedFault {
    /// Inject it when the trainee enters this step (the first time).
    #[serde(default)]
    pub entering: Option<String>,
    /// Inject it this many seconds after the session started.
    #[serde(default)]
    pub after_s: Option<f64>,
    /// The fault, as the simulator takes it (`raise_alarm: {alarm: mos_over_temperature}`).
    pub fault: Staged,
}

/// When a staged fault happens.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// Before anything else.
    Start,
    /// When the trainee first enters this step.
    Entering(String),
    /// This many seconds into the session.
    After(f64),
}

impl StagedFault {
    /// When it happens.
    pub fn trigger(&self) -> Trigger {
        match (&self.entering, self.after_s) {
            (Some(step), _) => Trigger::Entering(step.clone()),
            (None, Some(s)) => Trigger::After(s),
            (None, None) => Trigger::Start,
        }
    }
}

/// What a careful trainee does. By default they follow the procedure to the letter: they
/// answer the pack step from the scenario, measure every reading on the simulated pack with
/// their meter (so a wiring fault shows in the readings), configure a factory unit in the app
/// (or only check a matched one), run the protection test and sign.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraineeSpec {
    /// An answers file (as for `run --answers`, relative to the scenario) used instead of the
    /// careful trainee's own answers; `steps` still take precedence.
    #[serde(default)]
    pub answers: Option<PathBuf>,
    /// Answers for single steps, in the answers-file format, replacing the careful trainee's
    /// at those steps. Readings not given are measured.
    #[serde(default)]
    pub steps: BTreeMap<String, StepAnswers>,
    /// What the trainee does when a step refuses, before trying it again; a step refused
    /// without an entry here ends the run.
    #[serde(default)]
    pub after_refusal: BTreeMap<String, Retry>,
}

/// A second attempt at a refused step.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    /// What is put right first (the trainer's hands: leads re-soldered, a probe plugged in).
    #[serde(default)]
    pub repair: Repair,
    /// Then the step is answered again: readings are measured again; the app actions here are
    /// done (and only these).
    #[serde(default)]
    pub answers: StepAnswers,
}

/// What is put right before a retry.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repair {
    /// Every wiring mistake is corrected (and the BMS sees the cells and probes again).
    #[serde(default)]
    pub wiring: bool,
    /// Faults applied to the unit (`clear_alarm: …`, `fit_probe: …`).
    #[serde(default)]
    pub faults: Vec<Staged>,
}

/// Where the procedure must catch the staged faults, or that the pack must pass.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// The commissioning must reach sign-off.
    Pass,
    /// Each of these refusals must happen (and none be overridden).
    Catch(Vec<Catch>),
}

/// One expected refusal: a staged fault and where the procedure catches it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catch {
    /// The step that must refuse.
    pub step: String,
    /// The gate of that step that must fail.
    pub gate: String,
    /// A reason code (`open_lead`, `switch_off`) or a piece of the reason's text
    /// (`error 4`), matched without regard to case.
    pub reason_contains: String,
    /// The staged fault in a few words, for the training record (default: the reason).
    #[serde(default)]
    pub fault: Option<String>,
}

impl Catch {
    /// The staged fault in words.
    pub fn fault_text(&self) -> String {
        self.fault
            .clone()
            .unwrap_or_else(|| format!("{} ({})", self.reason_contains, self.step))
    }

    /// Whether a gate's reason (code and text) is the one expected.
    pub fn matches_reason(&self, code: &str, text: &str) -> bool {
        let want = self.reason_contains.to_lowercase();
        code.to_lowercase() == want || text.to_lowercase().contains(&want)
    }
}

impl<'de> Deserialize<'de> for Expect {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Expect;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("`pass`, or `catch:` with a list of {step, gate, reason_contains}")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Expect, E> {
                match v {
                    "pass" => Ok(Expect::Pass),
                    other => Err(E::invalid_value(serde::de::Unexpected::Str(other), &self)),
                }
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Expect, A::Error> {
                let mut catches = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key != "catch" {
                        return Err(serde::de::Error::unknown_field(&key, &["catch"]));
                    }
                    catches = Some(map.next_value::<Vec<Catch>>()?);
                }
                match catches {
                    Some(c) if !c.is_empty() => Ok(Expect::Catch(c)),
                    Some(_) => Err(serde::de::Error::invalid_length(0, &"at least one catch")),
                    None => Err(serde::de::Error::missing_field("catch")),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// An app action written as in an answers file (`capacity: 280`) or with a YAML tag
/// (`!capacity 280`).
#[derive(Debug, Clone, PartialEq)]
pub struct Action(pub AppAction);

/// A simulator fault written either way (`raise_alarm: {alarm: x}` or `!raise_alarm {…}`).
#[derive(Debug, Clone, PartialEq)]
pub struct Staged(pub Fault);

/// Read an externally tagged enum from a single-key map or from a tagged value, so scenario
/// files can use the answers file's style throughout.
fn either_form<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<T, D::Error> {
    either_form_with(d, T::deserialize)
}

fn either_form_with<'de, D: Deserializer<'de>, T>(
    d: D,
    read: impl FnOnce(serde_yaml::Value) -> Result<T, serde_yaml::Error>,
) -> Result<T, D::Error> {
    use serde::de::Error;
    let value = serde_yaml::Value::deserialize(d)?;
    let value = match value {
        serde_yaml::Value::Mapping(m) if m.len() == 1 => {
            let (k, v) = m.into_iter().next().expect("one entry");
            match k {
                serde_yaml::Value::String(tag) => {
                    serde_yaml::Value::Tagged(Box::new(serde_yaml::value::TaggedValue {
                        tag: serde_yaml::value::Tag::new(tag),
                        value: v,
                    }))
                }
                other => serde_yaml::Value::Mapping([(other, v)].into_iter().collect()),
            }
        }
        other => other,
    };
    read(value).map_err(|e| D::Error::custom(crate::yaml::message_of(&e)))
}

impl<'de> Deserialize<'de> for WiringFault {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        either_form_with(d, WiringFault::deserialize)
    }
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        either_form(d).map(Action)
    }
}

impl<'de> Deserialize<'de> for Staged {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        either_form(d).map(Staged)
    }
}

/// One mistake in a scenario file: the same shape as a mistake in a wizard file (the field's
/// path is in `path`, e.g. `bms.changes[1]`).
pub use crate::wizard::spec::SpecError as ScenarioError;
/// Every mistake found in a scenario file, in file order.
pub use crate::wizard::spec::SpecErrors as ScenarioErrors;

mod load;

impl Scenario {
    /// The frame layout of the unit.
    pub fn layout(&self) -> Layout {
        self.bms.variant.unwrap_or(Layout::S32)
    }

    /// The wizard model the trainee picks.
    pub fn model<'s>(&self, spec: &'s WizardSpec) -> Option<&'s ModelSpec> {
        match &self.bms.model {
            Some(id) => spec.models.iter().find(|m| &m.id == id),
            None => {
                // What the unit's label says (JK-B2A24S20P → b2a24s20p), when the wizard
                // knows it and it takes the pack; else the smallest model that does.
                let label = self.sim_config(1.0).device.model.to_lowercase();
                let id = label.trim_start_matches("jk-").trim_start_matches("jk_");
                spec.models
                    .iter()
                    .find(|m| m.id == id && m.max_cells >= self.pack.cells)
                    .or_else(|| default_model(spec, self.pack.cells))
            }
        }
    }

    /// The catches the scenario expects (none for `pass`).
    pub fn catches(&self) -> &[Catch] {
        match &self.expect {
            Some(Expect::Catch(c)) => c,
            _ => &[],
        }
    }

    /// A short id that does not give the scenario away (for the trainee's screen).
    pub fn blind_id(&self) -> String {
        format!("T-{}", &self.sha256[..6.min(self.sha256.len())])
    }

    /// The simulator's configuration for this scenario's unit, before any change or fault.
    pub fn sim_config(&self, bench_speed: f64) -> SimConfig {
        let mut c = SimConfig::fresh()
            .with_layout(self.layout())
            .with_chemistry(self.pack.chemistry)
            .with_cells(self.pack.cells)
            .with_capacity(self.pack.capacity)
            .with_soc(self.pack.soc.unwrap_or(0.5))
            .with_bench_speed(bench_speed)
            .matched(self.bms.settings == Preset::Matched);
        if let Some(seed) = self.pack.seed {
            c = c.with_seed(seed);
        }
        if let Some(ambient) = self.pack.ambient {
            c.ambient = ambient;
        }
        let f = &self.bms.factory;
        c.factory_chemistry = f.battery_type.unwrap_or(c.factory_chemistry);
        c.factory_cell_count = f.cell_count.unwrap_or(c.factory_cell_count);
        c.factory_capacity = f.capacity.unwrap_or(c.factory_capacity);
        if let Some(fw) = &self.bms.firmware {
            let d = &mut c.device;
            if let Some(m) = &fw.model {
                d.model = m.clone();
                d.device_name = m.clone();
            }
            if let Some(h) = &fw.hardware {
                d.hardware_version = h.clone();
            }
            if let Some(s) = &fw.software {
                d.software_version = s.clone();
            }
            if let Some(s) = &fw.serial {
                d.serial_number = s.clone();
            }
        }
        if let Some(probes) = &self.bms.probes {
            for (i, fitted) in c.probes.iter_mut().enumerate() {
                *fitted = probes.get(i).copied().unwrap_or(false);
            }
        }
        c
    }

    /// The unit as the trainee finds it: configured as the scenario says, the balance plug
    /// out, the wiring faults and the faults staged at start applied.
    pub fn build_unit(&self, bench_speed: f64) -> Result<SimUnit, String> {
        let config = self.sim_config(bench_speed);
        let mut unit = if self.bms.changes.is_empty() {
            SimUnit::new(config).map_err(|e| e.to_string())?
        } else {
            // Changes are made in the app, which needs a powered unit; then the plug comes
            // out for the trainee's wiring, as after any earlier installation.
            let mut unit =
                SimUnit::new(config.plugged_in(true).activated(true)).map_err(|e| e.to_string())?;
            for (i, Action(a)) in self.bms.changes.iter().enumerate() {
                unit.apply(a)
                    .map_err(|e| format!("bms.changes[{i}]: {e}"))?;
            }
            unit.apply(&AppAction::BalancePlug(false))
                .map_err(|e| e.to_string())?;
            unit
        };
        for (&cell, &volts) in &self.pack.cell_voltages {
            unit.inject(&Fault::CellVoltage { cell, volts })
                .map_err(|e| format!("pack.cell_voltages: {e}"))?;
        }
        for (i, w) in self.wiring.iter().enumerate() {
            if let Some(f) = w.sim_fault() {
                unit.inject(&f).map_err(|e| format!("wiring[{i}]: {e}"))?;
            }
        }
        for (i, s) in self.faults.iter().enumerate() {
            if s.trigger() == Trigger::Start {
                unit.inject(&s.fault.0)
                    .map_err(|e| format!("faults[{i}].fault: {e}"))?;
            }
        }
        Ok(unit)
    }
}

impl fmt::Display for WiringFault {
    /// The mistake in words, for the training record.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WiringFault::OpenTap { cell } => write!(f, "cell {cell}'s balance lead not connected"),
            WiringFault::CrossedTaps { cells: [a, b] } => {
                write!(f, "the leads of cells {a} and {b} crossed")
            }
            WiringFault::SkippedTap { cell } => write!(f, "cell {cell}'s plus skipped"),
            WiringFault::PackPlusPinOpen => write!(f, "the last pin not on pack plus"),
            WiringFault::NtcAbsent { probe } => {
                write!(f, "temperature probe {probe} not plugged in")
            }
        }
    }
}

impl WiringFault {
    /// What the BMS itself sees of this mistake, as a simulator fault. Crossed and skipped
    /// taps and an open pack-plus pin have none: the ladder check (a safety gate) stops every
    /// honest measurement of them before the plug goes in.
    pub fn sim_fault(&self) -> Option<Fault> {
        match self {
            WiringFault::OpenTap { cell } => Some(Fault::OpenTap { cell: *cell }),
            WiringFault::NtcAbsent { probe } => Some(Fault::RemoveProbe { probe: *probe }),
            _ => None,
        }
    }

    /// Whether re-wiring `what` puts this mistake right: the open or skipped lead itself,
    /// either of two crossed leads, the last pin, the probe.
    pub fn repaired_by(&self, what: &Rewire) -> bool {
        match (self, what) {
            (WiringFault::OpenTap { cell }, Rewire::Lead { cell: c })
            | (WiringFault::SkippedTap { cell }, Rewire::Lead { cell: c }) => cell == c,
            (WiringFault::CrossedTaps { cells }, Rewire::Lead { cell }) => cells.contains(cell),
            (WiringFault::PackPlusPinOpen, Rewire::LastPin) => true,
            (WiringFault::NtcAbsent { probe }, Rewire::Probe { probe: p }) => probe == p,
            _ => false,
        }
    }

    /// The re-wiring that puts this mistake right (for two crossed leads, the first).
    pub fn rewire(&self) -> Rewire {
        match *self {
            WiringFault::OpenTap { cell } | WiringFault::SkippedTap { cell } => {
                Rewire::Lead { cell }
            }
            WiringFault::CrossedTaps { cells: [a, _] } => Rewire::Lead { cell: a },
            WiringFault::PackPlusPinOpen => Rewire::LastPin,
            WiringFault::NtcAbsent { probe } => Rewire::Probe { probe },
        }
    }

    /// What undoes [`WiringFault::sim_fault`].
    pub fn repair_fault(&self) -> Option<Fault> {
        match self {
            WiringFault::OpenTap { cell } => Some(Fault::CloseTap { cell: *cell }),
            WiringFault::NtcAbsent { probe } => Some(Fault::FitProbe { probe: *probe }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;

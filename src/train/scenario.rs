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

fn root() -> At {
    At::root()
}

/// Collects mistakes with their places.
struct Report<'t> {
    doc: &'t Doc,
    errors: Vec<ScenarioError>,
}

impl Report<'_> {
    fn add(&mut self, at: &At, message: impl Into<String>) {
        self.errors.push(self.doc.error_at(at, message));
    }
}

impl Scenario {
    /// Read a scenario file; `spec` is the wizard it will run on (its steps, gates, models).
    pub fn load(path: &Path, spec: &WizardSpec) -> Result<Scenario, ScenarioErrors> {
        let origin = path.display().to_string();
        let text = crate::yaml::read_file(path)?;
        let id = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (mut scenario, doc) = Scenario::parse_doc(&text, &origin, &id, spec)?;
        if let Some(rel) = scenario.trainee.answers.clone() {
            let fail = |message: String| {
                let at = root().key("trainee").key("answers");
                ScenarioErrors::one(doc.error_at(&at, message))
            };
            let file = beside(path, &rel).map_err(fail)?;
            // The file is ours to read now, but its own errors may quote it: they stay.
            let answers_text = crate::yaml::read_file(&file).map_err(|e| fail(e.to_string()))?;
            let answers = Answers::parse(&answers_text, &file.display().to_string(), spec)
                .map_err(|e| fail(e.to_string()))?;
            scenario.base_answers = Some(answers);
        }
        Ok(scenario)
    }

    /// Parse and check a scenario's text; `origin` names it in errors, `id` is its name.
    pub fn parse(
        text: &str,
        origin: &str,
        id: &str,
        spec: &WizardSpec,
    ) -> Result<Scenario, ScenarioErrors> {
        Scenario::parse_doc(text, origin, id, spec).map(|(s, _)| s)
    }

    fn parse_doc(
        text: &str,
        origin: &str,
        id: &str,
        spec: &WizardSpec,
    ) -> Result<(Scenario, Doc), ScenarioErrors> {
        let (mut scenario, doc): (Scenario, Doc) = crate::yaml::load(text, origin)?;
        scenario.id = id.to_string();
        scenario.origin = origin.to_string();
        scenario.sha256 = crate::wizard::spec::sha256_hex(text.as_bytes());
        let mut report = Report {
            doc: &doc,
            errors: Vec::new(),
        };
        scenario.check(spec, &mut report);
        if report.errors.is_empty() {
            Ok((scenario, doc))
        } else {
            let mut errors = report.errors;
            errors.sort_by_key(|e| (e.line, e.column));
            Err(ScenarioErrors(errors))
        }
    }

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

    fn check(&self, spec: &WizardSpec, r: &mut Report<'_>) {
        let pack = root().key("pack");
        let layout = self.layout();
        let slots = layout.slots() as u32;
        let n = self.pack.cells;
        if !(crate::bms::sim::unit::MIN_CELLS..=slots).contains(&n) {
            r.add(
                &pack.key("cells"),
                format!(
                    "{n} cells: a {layout} unit takes {} to {slots}",
                    crate::bms::sim::unit::MIN_CELLS
                ),
            );
        }
        if !(self.pack.capacity.0 > 0.0 && self.pack.capacity.0 <= CAPACITY_MAX_AH) {
            r.add(
                &pack.key("capacity"),
                format!(
                    "{} Ah: give above 0 to {CAPACITY_MAX_AH} Ah",
                    number(self.pack.capacity.0)
                ),
            );
        }
        if let Some(soc) = self.pack.soc {
            if !(0.0..=1.0).contains(&soc) {
                r.add(
                    &pack.key("soc"),
                    format!("{soc}: a state of charge is 0 to 1"),
                );
            }
        }
        if let Some(Celsius(t)) = self.pack.ambient {
            let (lo, hi) = AMBIENT_C;
            if !(lo..=hi).contains(&t) {
                r.add(
                    &pack.key("ambient"),
                    format!(
                        "{} °C: give {lo} to {hi} °C (what the simulated probes can read)",
                        number(t)
                    ),
                );
            }
        }
        let factory = bms_key().key("factory");
        if let Some(AmpHours(c)) = self.bms.factory.capacity {
            if !(0.0..=CAPACITY_MAX_AH).contains(&c) {
                r.add(
                    &factory.key("capacity"),
                    format!(
                        "{} Ah: give 0 (never set) to {CAPACITY_MAX_AH} Ah",
                        number(c)
                    ),
                );
            }
        }
        if let Some(count) = self.bms.factory.cell_count {
            if !(1..=slots).contains(&count) {
                r.add(
                    &factory.key("cell_count"),
                    format!("{count} cells: a {layout} unit's factory set writes 1 to {slots}"),
                );
            }
        }
        for (&cell, &v) in &self.pack.cell_voltages {
            let at = pack.key("cell_voltages").key(&cell.to_string());
            if cell == 0 || cell > n {
                r.add(
                    &at,
                    format!("there is no cell {cell}: the pack has cells 1 to {n}"),
                );
            } else if !(1.0..=5.0).contains(&v.0) {
                r.add(&at, format!("{v}: a cell voltage is 1 to 5 V"));
            }
        }
        let bms = root().key("bms");
        let model = self.model(spec);
        match (&self.bms.model, model) {
            (Some(id), None) => r.add(
                &bms.key("model"),
                format!(
                    "the wizard knows no model '{id}' (known: {})",
                    spec.models
                        .iter()
                        .map(|m| m.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            (None, None) => r.add(
                &pack.key("cells"),
                format!("no model in the wizard takes {n} cells"),
            ),
            (_, Some(m)) if m.max_cells < n => r.add(
                &bms.key("model"),
                format!(
                    "model '{}' takes at most {} cells; the pack has {n}",
                    m.id, m.max_cells
                ),
            ),
            _ => {}
        }
        if let Some(sw) = self
            .bms
            .firmware
            .as_ref()
            .and_then(|f| f.software.as_deref())
        {
            let major = crate::bms::model::firmware_major(sw);
            let agrees = match (major, layout) {
                (Some(m), Layout::S32) => m >= 11,
                (Some(m), Layout::S24) => (6..=10).contains(&m),
                (None, _) => false,
            };
            if !agrees {
                r.add(
                    &bms.key("firmware").key("software"),
                    format!(
                        "software '{sw}' does not agree with variant {layout}: 24s units run \
                         firmware 6–10, 32s units 11 and later (the host reads the layout from \
                         it)"
                    ),
                );
            }
        }
        if let Some(probes) = &self.bms.probes {
            let sockets = match layout {
                Layout::S24 => 2,
                Layout::S32 => 5,
            };
            if probes.len() > sockets {
                r.add(
                    &bms.key("probes"),
                    format!(
                        "a {layout} unit has {sockets} probe sockets, not {}",
                        probes.len()
                    ),
                );
            }
        }
        for (i, w) in self.wiring.iter().enumerate() {
            let at = root().key("wiring").index(i);
            if let Some(msg) = w.problem(n, model, layout) {
                r.add(&at, msg);
            }
        }
        let step_ids: Vec<&str> = spec.steps.iter().map(|s| s.id.as_str()).collect();
        let known_step = |id: &str| step_ids.contains(&id);
        let steps_list = || step_ids.join(", ");
        for (i, s) in self.faults.iter().enumerate() {
            let at = root().key("faults").index(i);
            match (&s.entering, s.after_s) {
                (Some(_), Some(_)) => r.add(&at, "give `entering` or `after_s`, not both"),
                (Some(step), None) if !known_step(step) => r.add(
                    &at.key("entering"),
                    format!("the wizard has no step '{step}' (steps: {})", steps_list()),
                ),
                (None, Some(t)) if !(0.0..=86_400.0).contains(&t) => {
                    r.add(&at.key("after_s"), format!("{t}: give 0 to 86400 seconds"))
                }
                _ => {}
            }
        }
        for (i, s) in self.faults.iter().enumerate() {
            if let Some(msg) = fault_problem(&s.fault.0, n, layout) {
                r.add(&root().key("faults").index(i).key("fault"), msg);
            }
        }
        for (step, retry) in &self.trainee.after_refusal {
            for (i, f) in retry.repair.faults.iter().enumerate() {
                if let Some(msg) = fault_problem(&f.0, n, layout) {
                    let at = root().key("trainee").key("after_refusal").key(step);
                    r.add(&at.key("repair").key("faults").index(i), msg);
                }
            }
        }
        for step in self.trainee.steps.keys() {
            if !known_step(step) {
                r.add(
                    &root().key("trainee").key("steps").key(step),
                    format!("the wizard has no step '{step}' (steps: {})", steps_list()),
                );
            }
        }
        for step in self.trainee.after_refusal.keys() {
            if !known_step(step) {
                r.add(
                    &root().key("trainee").key("after_refusal").key(step),
                    format!("the wizard has no step '{step}' (steps: {})", steps_list()),
                );
            }
        }
        match &self.expect {
            None if self.training => r.add(
                &root(),
                "a training scenario needs `expect`: `pass`, or `catch:` with the step, gate \
                 and reason where the procedure must catch each staged fault",
            ),
            Some(Expect::Catch(catches)) => {
                for (i, c) in catches.iter().enumerate() {
                    let at = root().key("expect").key("catch").index(i);
                    match spec.steps.iter().find(|s| s.id == c.step) {
                        None => r.add(
                            &at.key("step"),
                            format!(
                                "the wizard has no step '{}' (steps: {})",
                                c.step,
                                steps_list()
                            ),
                        ),
                        Some(step) if !step.gates.iter().any(|g| g.id == c.gate) => r.add(
                            &at.key("gate"),
                            format!(
                                "step '{}' has no gate '{}' (its gates: {})",
                                c.step,
                                c.gate,
                                step.gates
                                    .iter()
                                    .map(|g| g.id.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        ),
                        _ => {}
                    }
                    if c.reason_contains.trim().is_empty() {
                        r.add(
                            &at.key("reason_contains"),
                            "give a reason code or some of its text",
                        );
                    }
                }
            }
            _ => {}
        }
        if r.errors.is_empty() {
            // Only now can the unit be built: the simulator refuses what it cannot be.
            if let Err(e) = self.build_unit(1.0) {
                let (path, message) = split_path(&e);
                r.add(&path, message);
            }
        }
    }
}

/// The file `rel` names, which must lie in the scenario's own folder (or below it): a
/// scenario handed to a trainer must not make the program read, or quote, any other file.
fn beside(scenario: &Path, rel: &Path) -> Result<PathBuf, String> {
    let refuse = || {
        format!(
            "'{}' is not in the scenario's folder: name a file beside the scenario (or in a \
             folder below it)",
            rel.display()
        )
    };
    let plain = rel
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)));
    if !plain {
        return Err(refuse());
    }
    let folder = scenario.parent().unwrap_or(Path::new("."));
    let folder = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    let file = folder.join(rel);
    // A symlink may still lead out: compare where both really are.
    let real_folder = folder
        .canonicalize()
        .map_err(|e| format!("cannot read the scenario's folder: {e}"))?;
    let real_file = file
        .canonicalize()
        .map_err(|e| format!("cannot read {}: {}", rel.display(), e.kind()))?;
    if !real_file.starts_with(&real_folder) {
        return Err(refuse());
    }
    Ok(file)
}

/// The largest pack capacity a scenario may give (our judgement: well above any pack a JK
/// SMART unit serves).
const CAPACITY_MAX_AH: f64 = 5000.0;
/// The ambient temperatures the simulator takes, °C (its own range for an ambient fault).
const AMBIENT_C: (f64, f64) = (-40.0, 90.0);
/// The resting cell voltages a fault may set, V: a cell outside it is no lithium cell.
const CELL_VOLTS: (f64, f64) = (1.0, 5.0);
/// The longest a staged fault may last, s: one day.
const FAULT_SECONDS_MAX: f64 = 86_400.0;

fn bms_key() -> At {
    root().key("bms")
}

/// What is wrong with the numbers of a staged fault, whenever it is staged: the simulator
/// checks a fault only when it is injected, which for a later fault is mid-session.
fn fault_problem(fault: &Fault, n: u32, layout: Layout) -> Option<String> {
    let volts = |what: &str, v: Volts| {
        let (lo, hi) = CELL_VOLTS;
        (!(lo..=hi).contains(&v.0))
            .then(|| format!("{what} {} V: give {lo} to {hi} V", number(v.0)))
    };
    let seconds = |s: f64| {
        (!(0.0..=FAULT_SECONDS_MAX).contains(&s))
            .then(|| format!("{} s: give 0 to {FAULT_SECONDS_MAX} seconds", number(s)))
    };
    let cell = |c: u32| {
        (!(1..=n).contains(&c))
            .then(|| format!("there is no cell {c}: the pack has cells 1 to {n}"))
    };
    let probe = |p: u32| {
        let sockets = if layout == Layout::S24 { 2 } else { 5 };
        (!(1..=sockets).contains(&p))
            .then(|| format!("probe {p}: this unit has probe sockets 1 to {sockets}"))
    };
    match fault {
        Fault::OpenTap { cell: c } | Fault::CloseTap { cell: c } => cell(*c),
        Fault::RemoveProbe { probe: p } | Fault::FitProbe { probe: p } => probe(*p),
        Fault::CellVoltage { cell: c, volts: v } => cell(*c).or_else(|| volts("cell voltage", *v)),
        Fault::Ambient { celsius } => {
            let (lo, hi) = AMBIENT_C;
            (!(lo..=hi).contains(&celsius.0))
                .then(|| format!("{} °C: give {lo} to {hi} °C", number(celsius.0)))
        }
        Fault::DropLink { seconds: s } | Fault::Silence { seconds: s } => seconds(*s),
        Fault::CellDrift {
            cell: c,
            volts: v,
            seconds: s,
        } => cell(*c)
            .or_else(|| volts("drift target", *v))
            .or_else(|| seconds(*s)),
        Fault::CutoffAt { charge, discharge } => charge
            .and_then(|v| volts("charge cut-off", v))
            .or_else(|| discharge.and_then(|v| volts("discharge cut-off", v))),
        _ => None,
    }
}

/// "bms.changes[1]: message" → the path and the message.
fn split_path(e: &str) -> (At, String) {
    let Some((head, tail)) = e.split_once(": ") else {
        return (root(), e.to_string());
    };
    if head.contains(' ') {
        return (root(), e.to_string());
    }
    let mut path = root();
    for part in head.split('.') {
        match part.split_once('[') {
            Some((key, rest)) => {
                path = path.key(key);
                if let Ok(i) = rest.trim_end_matches(']').parse() {
                    path = path.index(i);
                }
            }
            None => path = path.key(part),
        }
    }
    (path, tail.to_string())
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

    /// What undoes [`WiringFault::sim_fault`].
    pub fn repair_fault(&self) -> Option<Fault> {
        match self {
            WiringFault::OpenTap { cell } => Some(Fault::CloseTap { cell: *cell }),
            WiringFault::NtcAbsent { probe } => Some(Fault::FitProbe { probe: *probe }),
            _ => None,
        }
    }

    fn problem(&self, n: u32, model: Option<&ModelSpec>, layout: Layout) -> Option<String> {
        let cell_ok = |c: u32| (1..=n).contains(&c);
        match self {
            WiringFault::OpenTap { cell } if !cell_ok(*cell) => Some(format!(
                "there is no cell {cell}: the pack has cells 1 to {n}"
            )),
            WiringFault::CrossedTaps { cells: [a, b] } => {
                if !cell_ok(*a) || !cell_ok(*b) {
                    Some(format!("cells {a} and {b}: the pack has cells 1 to {n}"))
                } else if a == b {
                    Some("name two different cells".to_string())
                } else {
                    None
                }
            }
            WiringFault::SkippedTap { cell } if *cell == 0 || *cell >= n => Some(format!(
                "cell {cell}: a skipped tap is on cells 1 to {} (skipping the last tap leaves \
                 no lead to shift; stage an open tap instead)",
                n.saturating_sub(1)
            )),
            WiringFault::PackPlusPinOpen => match model {
                Some(m) if m.max_cells <= n => Some(format!(
                    "the pack fills the {}-cell unit: its last pin is cell {n}'s own lead; \
                     stage an open tap on cell {n} instead",
                    m.max_cells
                )),
                _ => None,
            },
            WiringFault::NtcAbsent { probe } => {
                let sockets = if layout == Layout::S24 { 2 } else { 5 };
                (!(1..=sockets).contains(probe))
                    .then(|| format!("probe {probe}: this unit has probe sockets 1 to {sockets}"))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;

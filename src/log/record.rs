//! The final commissioning log: one canonical YAML document folded from the engine state at
//! sign-off, so the log cannot disagree with what happened. Numbers keep their units.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::bms::model::{CellInfo, Settings};
use crate::units::{AmpHours, Volts};
use crate::wizard::checks::ladder::{check_ladder, RowVerdict};
use crate::wizard::checks::Value;
use crate::wizard::engine::{Engine, EntrySource, Millis, State, Status};
use crate::wizard::spec::{tr, FieldKind, PackField, Section, WizardSpec};

/// The format tag at the top of every log.
pub const FORMAT: &str = "jk-commission-log/1";

/// The whole log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommissioningLog {
    /// Format tag.
    pub format: String,
    /// The tool's version.
    pub tool_version: String,
    /// SHA-256 of the wizard file followed.
    pub wizard_sha256: String,
    /// The language the wizard was shown in.
    pub language: String,
    /// When the commissioning started (RFC 3339, UTC).
    pub started_at: String,
    /// When it was signed off.
    pub signed_off_at: String,
    /// The operator, from the pack step.
    pub operator: Person,
    /// The trainer or supervisor, if one was named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trainer: Option<String>,
    /// Who signed off.
    pub signed_off_by: Person,
    /// The pack.
    pub pack: PackRecord,
    /// The BMS was the built-in simulator (a demonstration or a training session), not a
    /// real unit: its readings are not evidence about any pack.
    #[serde(default)]
    pub simulated: bool,
    /// The BMS was a replayed capture (`--replay`), not a live unit: its readings are a
    /// recording's, not evidence that this pack was checked now.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub replayed: bool,
    /// The raw link traffic recorded during the session, in the session folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture: Option<CaptureRef>,
    /// Who made the entries: a person at the keys, an answers file (named, with its SHA-256)
    /// or the simulated trainee; more than one when the session was resumed another way.
    #[serde(default)]
    pub entries_made_by: Vec<EntrySource>,
    /// The finished session this one is a new attempt after (its folder's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_session: Option<String>,
    /// The BMS as it identified itself over Bluetooth.
    pub bms: Option<BmsIdentity>,
    /// Every step in order.
    pub steps: Vec<StepLog>,
    /// The pin-ladder table of wiring step 5.
    pub ladder: Vec<LadderLine>,
    /// The BMS settings at sign-off, beside what the chemistry expects.
    pub settings: Option<SettingsLog>,
    /// The live cell data at sign-off.
    pub cells: Option<CellsLog>,
    /// What the protection test showed.
    pub protection_test: ProtectionLog,
    /// Every override, with reason and role.
    pub overrides: Vec<OverrideLog>,
    /// How the BMS was reached, in order, when that changed during the session (a session
    /// started on the simulator and resumed on a real unit, or the other way round).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_changes: Vec<String>,
    /// Every amendment of a finished step: what changed and which later steps were checked
    /// again because of it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amendments: Vec<AmendmentLog>,
    /// pass, pass_with_overrides.
    pub verdict: FinalVerdict,
    /// SHA-256 of the journal up to sign-off.
    pub journal_sha256: String,
    /// Present only for a training session: the scenario and what became of its faults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training: Option<TrainingLog>,
}

/// One amendment of a finished step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmendmentLog {
    /// When (RFC 3339, UTC).
    pub at: String,
    /// The step amended.
    pub step: String,
    /// Each change: `entry: before → after` as typed (`(empty)` where there was none).
    pub changed: Vec<String>,
    /// The later steps passed again because their gates depend on it.
    pub rechecked: Vec<String>,
}

/// The capture file a log names: its name in the session folder and the SHA-256 of its bytes
/// at sign-off (when the recording stopped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureRef {
    /// The file's name, beside the log.
    pub file: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
}

/// A training session: the staged scenario, revealed at sign-off, and for each staged fault
/// whether the trainee caught it where the procedure does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingLog {
    /// The scenario's id (its file name without `.yaml`).
    pub scenario: String,
    /// Its one-line description.
    pub description: String,
    /// SHA-256 of the scenario file.
    pub scenario_sha256: String,
    /// Each staged fault and what became of it.
    pub faults: Vec<StagedFaultLog>,
    /// What the trainee re-wired, in order, and which staged wiring mistakes that put right.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rewired: Vec<RewiredLog>,
    /// caught_all, or missed_some.
    pub result: String,
}

/// One re-wiring in the training record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewiredLog {
    /// The step it was done at.
    pub step: String,
    /// What was re-wired, in words.
    pub what: String,
    /// The staged wiring mistakes it put right, in words (none: a lead that was right).
    pub repaired: Vec<String>,
}

/// One staged fault in the training record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StagedFaultLog {
    /// The fault, in words.
    pub fault: String,
    /// Where the procedure catches it: `step / gate`.
    pub expected: String,
    /// caught, or missed.
    pub result: String,
    /// The step where it was caught.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caught_at: Option<String>,
    /// The refusal's reason when caught; why it counts as missed otherwise: in words, in the
    /// session's language.
    pub detail: String,
    /// The caught reason's code, or why it was missed (`overridden`, `other_reason`,
    /// `not_shown`, `not_reached`); absent in logs from before training details had codes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The detail's sentence key in wizard.yaml's `reasons:`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The detail's arguments.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: crate::wizard::words::Args,
}

/// A person and their role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// Name.
    pub name: String,
    /// Role.
    pub role: String,
}

/// The pack as the operator described and measured it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackRecord {
    /// The operator's id for the pack.
    pub id: String,
    /// Chemistry id.
    pub chemistry: String,
    /// Cells in series.
    pub series_cells: u32,
    /// Nominal capacity, with unit.
    pub capacity: String,
    /// BMS model id from the wizard.
    pub model: String,
    /// Charging may start below 0 °C at the site.
    pub cold_site: bool,
    /// Pack voltage measured with the meter, with unit.
    pub pack_voltage: Option<String>,
}

/// The BMS's identity (never its passcodes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BmsIdentity {
    /// Model.
    pub model: String,
    /// Hardware version.
    pub hardware_version: String,
    /// Software version.
    pub software_version: String,
    /// Serial number.
    pub serial_number: String,
    /// How it was reached: its Bluetooth address, or "simulator" (several, in order, when a
    /// session was resumed on another source).
    #[serde(default)]
    pub link: String,
}

/// One step as it went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepLog {
    /// Step id.
    pub id: String,
    /// The manual's part and number, e.g. `wiring 5`.
    pub manual: String,
    /// Title (in English, whatever the screen language: the log is for anyone).
    pub title: String,
    /// done, overridden, skipped, not_applicable.
    pub outcome: String,
    /// First entered.
    pub entered_at: Option<String>,
    /// Last left.
    pub left_at: Option<String>,
    /// Confirmed items, by their text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub confirmed: Vec<String>,
    /// Entries with units.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub entries: BTreeMap<String, String>,
    /// What the operator did on the unit or in the app.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<String>,
    /// The gates' verdicts when the step was left.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gates: Vec<GateLog>,
}

/// The source of a gate verdict the operator gave instead of the unit.
pub const BY_OPERATOR: &str = "confirmed by the operator, not read from the BMS";

/// One gate's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateLog {
    /// Gate id.
    pub gate: String,
    /// Safety-critical.
    pub safety: bool,
    /// passed, failed, overridden.
    pub result: String,
    /// Why it failed: each reason's code and arguments, and its words in the session's
    /// language.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<ReasonLog>,
    /// Where the data came from when not from the BMS: the unit can never send it, and the
    /// operator confirmed it from the app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// One reason a gate failed, as the log keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ReasonLog {
    /// The reason's code, its sentence and arguments (what `verify` and machines read), and
    /// its words in the session's language.
    Coded {
        /// The stable code.
        code: String,
        /// The sentence's key in wizard.yaml's `reasons:`.
        key: String,
        /// The sentence's arguments.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        args: crate::wizard::words::Args,
        /// The words, in the session's language.
        text: String,
    },
    /// A log from before reasons had codes in it: the English sentence.
    Plain(String),
}

impl ReasonLog {
    /// A gate reason in the log, its words in `lang`.
    pub fn of(reason: &crate::wizard::checks::Reason, spec: &WizardSpec, lang: &str) -> Self {
        match &reason.say {
            Some(say) => ReasonLog::Coded {
                code: reason.code.clone(),
                key: say.key.clone(),
                args: say.args.clone(),
                text: say.render(spec, lang),
            },
            None => ReasonLog::Plain(reason.legacy.clone()),
        }
    }

    /// The words.
    pub fn text(&self) -> &str {
        match self {
            ReasonLog::Coded { text, .. } | ReasonLog::Plain(text) => text,
        }
    }
}

/// One row of the ladder table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LadderLine {
    /// Cell, 1-based.
    pub cell: u32,
    /// Plug and pin, e.g. `plug 1 pin 2`.
    pub pin: String,
    /// Reading from pin 1, with unit.
    pub reading: Option<String>,
    /// Rise over the previous pin, with unit.
    pub step: Option<String>,
    /// ok, fault, pending.
    pub verdict: String,
}

/// The settings at sign-off, each beside what the chemistry expects where there is such a
/// value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsLog {
    /// Values with units, by setting.
    pub values: BTreeMap<String, String>,
    /// Expected values, by setting.
    pub expected: BTreeMap<String, String>,
}

/// The live data at sign-off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellsLog {
    /// Connected cells' voltages, with unit, each with its cell number (a gap in the
    /// enabled-cell mask must not renumber the cells after it).
    pub cell_voltages: Vec<CellVoltage>,
    /// Highest minus lowest.
    pub delta: String,
    /// Pack voltage.
    pub pack_voltage: String,
    /// Current.
    pub current: String,
    /// Probe temperatures (absent probes: `absent`).
    pub temperatures: Vec<String>,
    /// Power stage temperature.
    pub mos_temperature: String,
    /// Active alarms by name.
    pub alarms: Vec<String>,
}

/// One cell's voltage at sign-off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellVoltage {
    /// Cell number, 1-based.
    pub cell: u32,
    /// Voltage, with unit.
    pub voltage: String,
}

/// The protection test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtectionLog {
    /// Cell voltage at the charge cut-off.
    pub charge_cutoff: Option<String>,
    /// Cell OVP set.
    pub cell_ovp: Option<String>,
    /// Cell voltage at the discharge cut-off.
    pub discharge_cutoff: Option<String>,
    /// Cell UVP set.
    pub cell_uvp: Option<String>,
    /// The highest and lowest cell while the test ran, seconds from its first point.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trace: Vec<TracePoint>,
    /// The cut-offs as seen, on the trace's time axis.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cutoffs: Vec<CutoffPoint>,
}

/// One point of the protection test's trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TracePoint {
    /// Seconds since the trace's first point.
    pub s: f64,
    /// The highest cell, volts.
    pub high: f64,
    /// The lowest cell, volts.
    pub low: f64,
}

/// A cut-off on the trace's time axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CutoffPoint {
    /// Seconds since the trace's first point.
    pub s: f64,
    /// The charge FET opened (else the discharge FET).
    pub charge: bool,
    /// The cell voltage at the cut-off, volts.
    pub cell: f64,
}

/// One override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideLog {
    /// Step id.
    pub step: String,
    /// Gate id.
    pub gate: String,
    /// Why.
    pub reason: String,
    /// The person's role.
    pub role: String,
    /// The person's name.
    pub by: String,
    /// When.
    pub at: String,
}

/// The log's final verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinalVerdict {
    /// Every gate passed.
    Pass,
    /// Passed with overrides of non-safety gates.
    PassWithOverrides,
}

/// Why a log could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// Not signed off yet.
    #[error("the commissioning is not signed off yet")]
    NotSignedOff,
    /// The session lacks something every log must state; nothing is signed without it.
    #[error("the session does not record its {0}: no log is made without it")]
    Missing(&'static str),
    /// The log could not be written as YAML (a bug in the log type, not in the session).
    #[error("the log could not be written as YAML: {0}")]
    Encode(String),
}

/// RFC 3339 (UTC, milliseconds) from ms since the epoch.
pub fn timestamp(ms: Millis) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| ms.to_string())
}

fn volts(v: Volts) -> String {
    format!("{:.3} V", v.0)
}

fn section_name(section: Section) -> &'static str {
    match section {
        Section::Setup => "setup",
        Section::Wiring => "wiring",
        Section::Configuration => "configuration",
        Section::Protection => "protection test",
        Section::Signoff => "sign-off",
    }
}

/// The language the session was started in, which its log is worded in (English before the
/// start).
pub fn session_language(state: &State) -> &str {
    state.started.as_ref().map_or("en", |(_, _, _, lang)| lang)
}

/// Build the log from the state at sign-off. `journal_sha256` is the hash of the journal's
/// bytes up to and including the sign-off.
pub fn build(
    engine: &Engine<'_>,
    state: &State,
    journal_sha256: &str,
) -> Result<CommissioningLog, RecordError> {
    let spec = engine.spec();
    let (signed_at, signer, signer_role) =
        state.signed_off.clone().ok_or(RecordError::NotSignedOff)?;
    let (started_at, wizard_sha256, tool_version, language) =
        state.started.clone().ok_or(RecordError::Missing("start"))?;
    let text_field = |id: &str| -> Option<String> {
        spec.steps.iter().zip(&state.steps).find_map(|(s, r)| {
            if s.input.fields().iter().any(|f| f.id == id) {
                r.fields.get(id).map(|(t, _)| t.trim().to_string())
            } else {
                None
            }
        })
    };
    let mut steps = Vec::new();
    let mut overrides = Vec::new();
    for (s, r) in spec.steps.iter().zip(&state.steps) {
        let outcome = match r.status() {
            Status::Done => "done",
            Status::Overridden => "overridden",
            Status::NotApplicable => "not_applicable",
            Status::Skipped => "skipped",
            Status::Pending | Status::Current => "open",
        };
        let overridden: Vec<&str> = r.overrides.iter().map(|o| o.gate.as_str()).collect();
        let gates = r
            .gates
            .iter()
            .map(|g| GateLog {
                gate: g.gate.clone(),
                safety: g.safety,
                result: if g.verdict.ok {
                    "passed"
                } else if overridden.contains(&g.gate.as_str()) {
                    "overridden"
                } else {
                    "failed"
                }
                .to_string(),
                reasons: g
                    .verdict
                    .reasons
                    .iter()
                    .map(|x| ReasonLog::of(x, spec, &language))
                    .collect(),
                source: g.verdict.by_operator.then(|| BY_OPERATOR.to_string()),
            })
            .collect();
        let mut entries = BTreeMap::new();
        for (id, (text, value)) in &r.fields {
            let unit = s
                .input
                .fields()
                .iter()
                .find(|f| &f.id == id)
                .and_then(|f| match &f.kind {
                    FieldKind::Number { unit, .. } => Some(unit.symbol()),
                    _ => None,
                });
            let shown = match (value, unit) {
                (Value::Number(x), Some(u)) => format!("{x} {u}"),
                (Value::Number(x), None) => format!("{x} V"),
                (Value::Integer(i), _) => i.to_string(),
                (Value::Choice(c), _) => c.clone(),
                (Value::Text(_), _) => text.trim().to_string(),
            };
            entries.insert(id.clone(), shown);
        }
        for (at, o) in &r.override_history {
            overrides.push(OverrideLog {
                step: s.id.clone(),
                gate: o.gate.clone(),
                reason: o.reason.clone(),
                role: o.role.clone(),
                by: o.by.clone(),
                at: timestamp(*at),
            });
        }
        steps.push(StepLog {
            id: s.id.clone(),
            manual: match s.number {
                Some(n) => format!("{} {n}", section_name(s.section)),
                None => section_name(s.section).to_string(),
            },
            title: tr(&s.title, "en").to_string(),
            outcome: outcome.to_string(),
            entered_at: r.entered_at.map(timestamp),
            left_at: r.left_at.map(timestamp),
            confirmed: s
                .input
                .items()
                .iter()
                .filter(|i| r.checked.contains(&i.id))
                .map(|i| tr(&i.text, "en").to_string())
                .collect(),
            entries,
            actions: r.actions.iter().map(|(_, a)| describe_action(a)).collect(),
            gates,
        });
    }
    let pack = &state.pack;
    let chem = pack.chemistry.and_then(|c| spec.chemistries.get(&c));
    let settings = state
        .live
        .settings
        .as_ref()
        .map(|s| settings_log(spec, s, chem, pack));
    let ladder = ladder_lines(engine, state);
    let verdict =
        if overrides.is_empty() && !state.steps.iter().any(|r| r.status() == Status::Overridden) {
            FinalVerdict::Pass
        } else {
            FinalVerdict::PassWithOverrides
        };
    Ok(CommissioningLog {
        format: FORMAT.to_string(),
        tool_version,
        wizard_sha256,
        language,
        started_at: timestamp(started_at),
        signed_off_at: timestamp(signed_at),
        operator: Person {
            name: text_field(PackField::Operator.id())
                .filter(|t| !t.is_empty())
                .ok_or(RecordError::Missing("operator"))?,
            role: text_field(PackField::Role.id())
                .filter(|t| !t.is_empty())
                .ok_or(RecordError::Missing("operator's role"))?,
        },
        trainer: text_field(PackField::Trainer.id()).filter(|t| !t.is_empty()),
        signed_off_by: Person {
            name: signer,
            role: signer_role,
        },
        pack: PackRecord {
            id: text_field(PackField::PackId.id())
                .filter(|t| !t.is_empty())
                .ok_or(RecordError::Missing("pack id"))?,
            chemistry: pack
                .chemistry
                .map(|c| c.id().to_string())
                .ok_or(RecordError::Missing("battery type"))?,
            series_cells: pack.cells.unwrap_or(0),
            capacity: format!("{:.1} Ah", pack.capacity.unwrap_or(AmpHours(0.0)).0),
            model: pack
                .model
                .clone()
                .ok_or(RecordError::Missing("BMS model"))?,
            cold_site: pack.cold_site,
            pack_voltage: pack.pack_voltage.map(volts),
        },
        // Any simulated data in the session makes the whole record a simulated one.
        simulated: state
            .peers
            .iter()
            .any(|p| p == crate::bms::link::SIMULATOR_PEER),
        replayed: state
            .peers
            .iter()
            .any(|p| p.starts_with(crate::bms::link::REPLAY_PEER_PREFIX)),
        capture: None,
        entries_made_by: state.entries.clone(),
        previous_session: state.previous.clone(),
        bms: state.live.device.as_ref().map(|d| BmsIdentity {
            model: d.model.clone(),
            hardware_version: d.hardware_version.clone(),
            software_version: d.software_version.clone(),
            serial_number: d.serial_number.clone(),
            link: state.peers.join(", then "),
        }),
        steps,
        ladder,
        settings,
        cells: state.live.cells.as_ref().map(cells_log),
        protection_test: ProtectionLog {
            charge_cutoff: state.live.protection.charge.map(|c| volts(c.cell_voltage)),
            cell_ovp: state.live.settings.as_ref().map(|s| volts(s.cell_ovp)),
            discharge_cutoff: state
                .live
                .protection
                .discharge
                .map(|c| volts(c.cell_voltage)),
            cell_uvp: state.live.settings.as_ref().map(|s| volts(s.cell_uvp)),
            trace: {
                let t0 = state.test_trace.first().map_or(0, |p| p.0);
                state
                    .test_trace
                    .iter()
                    .map(|(at, h, l)| TracePoint {
                        s: ((at - t0) as f64 / 100.0).round() / 10.0,
                        high: (h.0 * 1000.0).round() / 1000.0,
                        low: (l.0 * 1000.0).round() / 1000.0,
                    })
                    .collect()
            },
            cutoffs: {
                let t0 = state.test_trace.first().map_or(0, |p| p.0);
                state
                    .test_cutoffs
                    .iter()
                    .map(|(at, charge, v)| CutoffPoint {
                        s: ((at - t0) as f64 / 100.0).round() / 10.0,
                        charge: *charge,
                        cell: (v.0 * 1000.0).round() / 1000.0,
                    })
                    .collect()
            },
        },
        overrides,
        source_changes: if state.sources.len() > 1 {
            state.sources.clone()
        } else {
            Vec::new()
        },
        amendments: state
            .amendments
            .iter()
            .map(|(at, step, changed, recheck)| AmendmentLog {
                at: timestamp(*at),
                step: step.clone(),
                changed: changed
                    .iter()
                    .map(|c| {
                        let or_empty =
                            |t: &Option<String>| t.clone().unwrap_or_else(|| "(empty)".to_string());
                        format!(
                            "{}: {} → {}",
                            c.entry,
                            or_empty(&c.before),
                            or_empty(&c.after)
                        )
                    })
                    .collect(),
                rechecked: recheck.clone(),
            })
            .collect(),
        verdict,
        journal_sha256: journal_sha256.to_string(),
        training: None,
    })
}

/// Who made the entries, in English: "a person at the keys", "the answers file x.yaml (sha256 …)".
pub fn describe_entries(entries: &[EntrySource]) -> String {
    describe_entries_in(crate::wizard::words::builtin(), "en", entries)
}

/// Who made the entries, in words in `lang` (`cli.report.entries.*` of wizard.yaml).
pub fn describe_entries_in(spec: &WizardSpec, lang: &str, entries: &[EntrySource]) -> String {
    let say = |key: &str, values: &[(&str, &str)]| {
        let key = format!("cli.report.entries.{key}");
        crate::wizard::words::say_verbatim(spec, lang, &key, values)
    };
    if entries.is_empty() {
        return say("unknown", &[]);
    }
    let one = |e: &EntrySource| match e {
        EntrySource::Operator => say("operator", &[]),
        EntrySource::AnswersFile { file, sha256 } => {
            say("answers", &[("file", file), ("sha256", sha256)])
        }
        EntrySource::SimulatedTrainee { scenario } => say("trainee", &[("scenario", scenario)]),
    };
    let then = say("then", &[]);
    entries.iter().map(one).collect::<Vec<_>>().join(&then)
}

/// Whether any entry came from a script rather than a person (an answers file).
pub fn is_scripted(entries: &[EntrySource]) -> bool {
    entries
        .iter()
        .any(|e| matches!(e, EntrySource::AnswersFile { .. }))
}

/// An app action in words, with units.
pub fn describe_action(action: &crate::bms::model::AppAction) -> String {
    use crate::bms::model::AppAction as A;
    match action {
        A::BalancePlug(true) => "balance plug inserted".into(),
        A::BalancePlug(false) => "balance plug removed".into(),
        A::Activate => "BMS activated".into(),
        A::BatteryType(c) => format!("battery type set to {}", c.app_label()),
        A::CellCount(n) => format!("Cell Count set to {n}"),
        A::Capacity(c) => format!("Battery Capacity set to {:.1} Ah", c.0),
        A::BalanceTrigger(v) => format!("Balance Trig. Volt set to {}", volts(*v)),
        A::Switch { switch, on } => {
            format!("{switch:?} switch {}", if *on { "on" } else { "off" })
        }
        A::ChargeUtp(t) => format!("Charge UTP set to {:.1} °C", t.0),
        A::ChargeUtpr(t) => format!("Charge UTPR set to {:.1} °C", t.0),
        A::CellOvp(v) => format!("Cell OVP set to {}", volts(*v)),
        A::CellUvp(v) => format!("Cell UVP set to {}", volts(*v)),
        A::MaxChargeCurrent(a) => format!("Constant Charge Current set to {:.1} A", a.0),
        A::CalibrateVoltage(v) => format!("voltage calibrated to {}", volts(*v)),
        A::CalibrateCurrent(a) => format!("current calibrated to {:.3} A", a.0),
        A::Current(a) => format!("bench current {:.1} A", a.0),
    }
}

fn settings_log(
    spec: &WizardSpec,
    s: &Settings,
    chem: Option<&crate::wizard::spec::ChemistrySpec>,
    pack: &crate::wizard::checks::PackFacts,
) -> SettingsLog {
    let mut values = BTreeMap::new();
    values.insert("cell_count".to_string(), s.cell_count.to_string());
    values.insert("capacity".to_string(), format!("{:.1} Ah", s.capacity.0));
    values.insert("cell_ovp".to_string(), volts(s.cell_ovp));
    values.insert("cell_ovpr".to_string(), volts(s.cell_ovpr));
    values.insert("cell_uvp".to_string(), volts(s.cell_uvp));
    values.insert("cell_uvpr".to_string(), volts(s.cell_uvpr));
    values.insert("balance_trigger".to_string(), volts(s.balance_trigger));
    values.insert(
        "max_charge_current".to_string(),
        format!("{:.1} A", s.max_charge_current.0),
    );
    values.insert(
        "max_discharge_current".to_string(),
        format!("{:.1} A", s.max_discharge_current.0),
    );
    values.insert(
        "charge_utp".to_string(),
        format!("{:.1} °C", s.charge_utp.0),
    );
    values.insert(
        "charge_utpr".to_string(),
        format!("{:.1} °C", s.charge_utpr.0),
    );
    let on = |b: bool| if b { "on" } else { "off" }.to_string();
    values.insert("charge_switch".to_string(), on(s.charge_switch));
    values.insert("discharge_switch".to_string(), on(s.discharge_switch));
    values.insert("balance_switch".to_string(), on(s.balance_switch));
    if let Some(c) = s.control {
        values.insert(
            "disable_temp_sensor".to_string(),
            on(c.disable_temp_sensors),
        );
    }
    let mut expected = BTreeMap::new();
    if let Some(chem) = chem {
        expected.insert(
            "cell_ovp".to_string(),
            format!(
                "{}–{}",
                volts(chem.ovp_window.min),
                volts(chem.ovp_window.max)
            ),
        );
        expected.insert(
            "cell_uvp".to_string(),
            format!(
                "{}–{}",
                volts(chem.uvp_window.min),
                volts(chem.uvp_window.max)
            ),
        );
    }
    expected.insert(
        "balance_trigger".to_string(),
        volts(spec.limits.balance_trigger),
    );
    for k in ["charge_switch", "discharge_switch", "balance_switch"] {
        expected.insert(k.to_string(), "on".to_string());
    }
    expected.insert("disable_temp_sensor".to_string(), "off".to_string());
    // What the set-up answers fix: the unit must count the pack's cells and know its size.
    if let Some(n) = pack.cells {
        expected.insert("cell_count".to_string(), n.to_string());
    }
    if let Some(c) = pack.capacity {
        expected.insert("capacity".to_string(), format!("{:.1} Ah", c.0));
    }
    // The release voltages sit inside the protection: OVPR below OVP, UVPR above UVP.
    expected.insert("cell_ovpr".to_string(), format!("< {}", volts(s.cell_ovp)));
    expected.insert("cell_uvpr".to_string(), format!("> {}", volts(s.cell_uvp)));
    // A cold site: the manual's UTP 1–2 °C and UTPR 5 °C (wizard.yaml limits).
    if pack.cold_site {
        let [lo, hi] = spec.limits.cold_utp;
        expected.insert("charge_utp".to_string(), format!("{lo:.1} °C–{hi:.1} °C"));
        expected.insert(
            "charge_utpr".to_string(),
            format!("{:.1} °C", spec.limits.cold_utpr),
        );
    }
    SettingsLog { values, expected }
}

fn cells_log(c: &CellInfo) -> CellsLog {
    CellsLog {
        cell_voltages: c
            .connected()
            .map(|(i, v)| CellVoltage {
                cell: i as u32 + 1,
                voltage: volts(v),
            })
            .collect(),
        delta: volts(c.delta_voltage),
        pack_voltage: volts(c.pack_voltage),
        current: format!("{:.3} A", c.current.0),
        temperatures: c
            .probes
            .iter()
            .map(|p| match p {
                Some(t) => format!("{:.1} °C", t.0),
                None => "absent".to_string(),
            })
            .collect(),
        mos_temperature: c
            .mos_temperature
            .map_or_else(|| "absent".to_string(), |t| format!("{:.1} °C", t.0)),
        alarms: c.alarms().iter().map(|a| a.name().to_string()).collect(),
    }
}

fn ladder_lines(engine: &Engine<'_>, state: &State) -> Vec<LadderLine> {
    let spec = engine.spec();
    let Some(index) = spec
        .steps
        .iter()
        .position(|s| matches!(s.input, crate::wizard::spec::InputSpec::Ladder { .. }))
    else {
        return Vec::new();
    };
    let pack = &state.pack;
    let (Some(chem), Some(cells), Some(model)) = (
        pack.chemistry.and_then(|c| spec.chemistries.get(&c)),
        pack.cells,
        pack.model
            .as_deref()
            .and_then(|m| spec.models.iter().find(|x| x.id == m)),
    ) else {
        return Vec::new();
    };
    let input = engine.ladder_input(state, index);
    check_ladder(chem, cells, model, &spec.limits, &input)
        .rows
        .iter()
        .map(|row| LadderLine {
            cell: row.cell.get(),
            pin: format!("plug {} pin {}", row.pin.plug, row.pin.pin),
            reading: row.reading.map(volts),
            step: row.step.map(volts),
            verdict: match row.verdict {
                RowVerdict::Ok => "ok",
                RowVerdict::Fault => "fault",
                RowVerdict::Pending => "pending",
            }
            .to_string(),
        })
        .collect()
}

/// Serialize the log canonically: the same state always gives the same bytes. An error, never
/// an empty text: an empty log must not be signed.
pub fn to_yaml(log: &CommissioningLog) -> Result<String, RecordError> {
    let body = serde_yaml::to_string(log).map_err(|e| RecordError::Encode(e.to_string()))?;
    Ok(format!(
        "# jk-commission log: signed; any edit breaks the signature in log.yaml.sig\n{body}"
    ))
}

/// Why a log is not consistent with itself.
pub fn inconsistencies(log: &CommissioningLog) -> Vec<String> {
    let mut out = Vec::new();
    if log.format != FORMAT {
        out.push(format!(
            "unknown format '{}' (expected {FORMAT})",
            log.format
        ));
    }
    // What the link was is in the log twice (the flag, the link's name): they must agree, so
    // a replay cannot pass for a live unit even where the journal is not checked.
    let replay_link = log.bms.as_ref().is_some_and(|b| {
        b.link
            .split(", then ")
            .any(|p| p.starts_with(crate::bms::link::REPLAY_PEER_PREFIX))
    });
    if replay_link && !log.replayed {
        out.push("the BMS link was a replayed capture, but the log is not marked replayed".into());
    }
    for step in &log.steps {
        if step.outcome == "open" {
            out.push(format!("step {} was never completed", step.id));
        }
        for g in &step.gates {
            if step.outcome == "done" && g.result != "passed" {
                out.push(format!(
                    "step {} is marked done but gate {} {}",
                    step.id, g.gate, g.result
                ));
            }
            if g.safety
                && g.result != "passed"
                && !matches!(step.outcome.as_str(), "skipped" | "not_applicable")
            {
                out.push(format!(
                    "step {} was left with safety gate {} {}",
                    step.id, g.gate, g.result
                ));
            }
            if g.result == "overridden"
                && !log
                    .overrides
                    .iter()
                    .any(|o| o.step == step.id && o.gate == g.gate)
            {
                out.push(format!(
                    "gate {} of step {} is overridden but no override is recorded",
                    g.gate, step.id
                ));
            }
        }
    }
    let any_override = !log.overrides.is_empty();
    match (log.verdict, any_override) {
        (FinalVerdict::Pass, true) => {
            out.push("the verdict is pass but overrides are recorded".to_string())
        }
        (FinalVerdict::PassWithOverrides, false) => {
            out.push("the verdict says overrides but none is recorded".to_string())
        }
        _ => {}
    }
    if log.journal_sha256.len() != 64 {
        out.push("the journal hash is missing or malformed".to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wizard::engine::tests::mini;

    /// A state that claims a sign-off but lacks what every log must state is refused by name,
    /// never signed with blanks.
    #[test]
    fn a_log_is_never_built_with_blanks_for_what_it_must_state() {
        let spec = mini();
        let engine = Engine::new(&spec);
        let mut state = engine.empty_state();
        assert!(matches!(
            build(&engine, &state, "h"),
            Err(RecordError::NotSignedOff)
        ));
        state.signed_off = Some((5, "Ann".into(), "technician".into()));
        let err = build(&engine, &state, "h").unwrap_err();
        assert!(matches!(err, RecordError::Missing("start")), "{err}");
        assert!(err.to_string().contains("start"), "{err}");
        state.started = Some((1, "h".into(), "0.1.0".into(), "en".into()));
        let err = build(&engine, &state, "h").unwrap_err();
        assert!(matches!(err, RecordError::Missing("operator")), "{err}");
    }
}

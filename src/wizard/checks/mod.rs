//! One pure function per kind of gate, and the one entry point the engine calls.
//!
//! OWNER: checks helper. The types and signatures below are the contract with the engine;
//! add to them, do not rename.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::bms::model::{CellInfo, Chemistry, DeviceInfo, Logbook, Settings};
use crate::units::{AmpHours, Volts};
use crate::wizard::spec::{
    Check, ChemistrySpec, InputSpec, ModelSpec, PackField, StepSpec, WizardSpec,
};
use crate::wizard::words::{Arg, Say};

pub mod agreement;
pub mod charger;
pub mod edge;
pub mod fields;
pub mod ladder;
pub mod live;
#[cfg(test)]
pub(crate) mod testkit;

pub use fields::{accepted, parse_field, FieldError, Problem};
pub use live::observe_cutoff;

/// A gate's answer: pass, or fail with every reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The gate holds.
    pub ok: bool,
    /// Why not (empty when ok); one plain sentence each, with the numbers.
    pub reasons: Vec<Reason>,
    /// Passed on the operator's word: the unit can never send what the gate judges, and the
    /// operator confirmed it from the app ("confirmed by the operator, not read from the BMS").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub by_operator: bool,
}

impl Verdict {
    /// A passing verdict.
    pub fn pass() -> Self {
        Verdict {
            ok: true,
            reasons: Vec::new(),
            by_operator: false,
        }
    }

    /// A failing verdict with these reasons.
    pub fn fail(reasons: Vec<Reason>) -> Self {
        Verdict {
            ok: false,
            reasons,
            by_operator: false,
        }
    }
}

/// One reason a gate fails: a stable code and the sentence's key with its typed arguments;
/// the words are the edge's (see [`crate::wizard::words`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// Stable machine-readable code (`cell_count_setting`, `skipped_tap`, …).
    pub code: String,
    /// What to say, with the values (absent in journals from before reason codes had words).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub say: Option<Say>,
    /// The English sentence a journal from before reason codes had words holds instead.
    #[serde(default, rename = "text", skip_serializing_if = "String::is_empty")]
    pub legacy: String,
}

impl Reason {
    /// A reason with its sentence.
    pub fn new(code: &str, say: Say) -> Reason {
        Reason {
            code: code.to_string(),
            say: Some(say),
            legacy: String::new(),
        }
    }

    /// The reason in English, from the built-in wording (what scenarios and tests match).
    pub fn english(&self) -> String {
        self.render(crate::wizard::words::builtin(), "en")
    }

    /// The reason in words in `lang` (an old journal's English sentence as it was).
    pub fn render(&self, spec: &WizardSpec, lang: &str) -> String {
        match &self.say {
            Some(say) => say.render(spec, lang),
            None => self.legacy.clone(),
        }
    }

    /// The reason in words in `lang` for a screen that wraps: numbers held to their units.
    pub fn render_unbroken(&self, spec: &WizardSpec, lang: &str) -> String {
        match &self.say {
            Some(say) => say.render_unbroken(spec, lang),
            None => self.legacy.clone(),
        }
    }
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
    /// How many decimals each reading was typed with (same index as `readings`): a meter on
    /// a high range shows fewer, and its steps may then be off by that resolution. `None`
    /// where unknown (the value itself is then looked at).
    #[serde(default)]
    pub decimals: Vec<Option<u8>>,
}

/// How many decimals a typed number shows: "26,4 V" → 1, "3.300" → 3, "52" → 0.
pub fn typed_decimals(text: &str) -> u8 {
    let number: String = text
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '-' | '+'))
        .collect();
    number.split_once(['.', ',']).map_or(0, |(_, d)| {
        d.chars().filter(char::is_ascii_digit).count() as u8
    })
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
    /// When the engine let the test begin (the first charge or load at the test step, taken
    /// only once fresh settings passed every safety check); cut-offs count only after it.
    #[serde(default)]
    pub started_at: Option<i64>,
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
    /// When the last settings frame arrived (ms since the epoch, from the input's stamp).
    #[serde(default)]
    pub settings_at_ms: Option<i64>,
    /// The last cell-info frame.
    pub cells: Option<CellInfo>,
    /// When the last cell-info frame arrived (ms since the epoch, from the input's stamp).
    pub cells_at_ms: Option<i64>,
    /// The logbook.
    pub logbook: Option<Logbook>,
    /// How many factory-settings events the logbook held when the operator reached the
    /// battery-type step (configuration step 3); more than one more later means the settings
    /// were wiped by choosing the type again.
    pub factory_events_baseline: Option<usize>,
    /// How many battery-type choices the engine has accounted for since configuration began
    /// (from the app actions recorded, or from the logbook's factory loads past the baseline).
    #[serde(default)]
    pub type_choices: usize,
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
    /// Live data older than this (ms since the epoch) is not evidence for this step: the
    /// step was entered, or the operator last acted in the app, after it arrived.
    pub since_ms: i64,
}

/// Run one gate's check.
///
/// Never panics on missing data: a fact an earlier step should have given, or live data not
/// there yet, is a failing verdict that says where it comes from.
pub fn evaluate(check: &Check, ctx: &GateContext<'_>) -> Verdict {
    let limits = &ctx.spec.limits;
    let result = match check {
        Check::AllConfirmed => Ok(all_confirmed(ctx)),
        Check::FieldsValid => Ok(fields_valid(ctx)),
        Check::CellSpread => cell_spread_gate(ctx),
        Check::Ladder => ladder_gate(ctx),
        Check::ChargerVoltage => charger_gate(ctx),
        Check::OutputVoltage => output_gate(ctx),
        Check::LiveConnected => Ok(live::live_connected(ctx.live, limits, ctx.now_ms)),
        Check::CellsVisible => {
            fresh_cells(ctx).and_then(|c| Ok(live::cells_visible(c, fact_cells(ctx)?)))
        }
        Check::CellsPlausible => fresh_cells(ctx).and_then(|c| {
            let (_, chem) = fact_chemistry(ctx)?;
            Ok(live::cells_plausible(c, fact_cells(ctx)?, chem))
        }),
        Check::CellCountSetting => {
            settings(ctx).and_then(|s| Ok(live::cell_count_setting(s, fact_cells(ctx)?)))
        }
        Check::OvpMatchesChemistry => settings(ctx).and_then(|s| {
            let (chemistry, _) = fact_chemistry(ctx)?;
            Ok(live::ovp_matches_chemistry(s, chemistry, ctx.spec))
        }),
        Check::CapacitySet => {
            settings(ctx).and_then(|s| Ok(live::capacity_set(s, fact_capacity(ctx)?)))
        }
        Check::BalanceTrigger => settings(ctx)
            .map(|s| live::balance_trigger(s, limits, ctx.live.balance_trigger_changed)),
        Check::SwitchesOn => settings(ctx).map(live::switches_on),
        Check::TempSensorEnabled => settings(ctx).map(live::temp_sensor_enabled),
        Check::ProbesPresent => fresh_cells(ctx).map(|c| live::probes_present(c, limits)),
        Check::ProbeCount => fresh_cells(ctx).and_then(|c| {
            let model = fact_model(ctx, fact_cells(ctx)?)?;
            Ok(live::probe_count(c, limits, model.probes))
        }),
        Check::ColdSite if !ctx.pack.cold_site => Ok(Verdict::pass()),
        Check::ColdSite => settings(ctx).map(|s| live::cold_site(s, true, limits)),
        Check::NoAlarm => fresh_cells(ctx).map(live::no_alarm),
        Check::NoFactoryReset => connected(ctx).and_then(|()| no_factory_reset(ctx)),
        Check::ProtectionTest => match &ctx.live.settings {
            Some(s) => Ok(live::protection_test(&ctx.live.protection, s, limits)),
            None => Err(not_read()),
        },
        Check::UvpMatchesChemistry => settings(ctx).and_then(|s| {
            let (_, chem) = fact_chemistry(ctx)?;
            Ok(live::uvp_matches_chemistry(s, chem))
        }),
        Check::EmergencyOff => fresh_cells(ctx).map(live::emergency_off),
        Check::UnitMatchesModel => connected(ctx).and_then(|()| {
            let device = ctx
                .live
                .device
                .as_ref()
                .ok_or_else(|| refuse("device_not_read", Say::plain("device_not_read")))?;
            let model = fact_model(ctx, fact_cells(ctx)?)?;
            Ok(live::unit_matches_model(device, model))
        }),
        Check::PackVoltageMatches => fresh_cells(ctx).and_then(|c| {
            let measured = pack_voltage(ctx)?;
            Ok(live::pack_voltage_matches(
                c,
                measured,
                limits.live_pack_tolerance,
            ))
        }),
    };
    let result = match (result, unreadable(check, ctx.live)) {
        // The unit can never send this: a pass here would be a pass without data. The engine
        // asks the operator to confirm what the app shows instead.
        (Ok(v), Some(what)) if v.ok => Err(refuse(
            "not_reported",
            Say::new("not_reported", [("what", Arg::say(what))]),
        )),
        (r, _) => r,
    };
    result.unwrap_or_else(|refusal| refusal)
}

/// The model a pack of `cells` cells goes on when none was chosen: the smallest that takes it.
pub fn default_model(spec: &WizardSpec, cells: u32) -> Option<&ModelSpec> {
    spec.models
        .iter()
        .filter(|m| (m.min_cells..=m.max_cells).contains(&cells))
        .min_by_key(|m| m.max_cells)
}

fn refuse(code: &str, say: Say) -> Verdict {
    Verdict::fail(vec![Reason::new(code, say)])
}

/// A failing verdict for a pack fact not known yet, naming the step that provides it.
fn missing_fact(ctx: &GateContext<'_>, field: PackField, what: &str) -> Verdict {
    let source = ctx
        .spec
        .steps
        .iter()
        .find(|s| s.input.fields().iter().any(|f| f.id == field.id()));
    let what = Arg::say(Say::plain(what));
    let say = match source {
        Some(step) => Say::new(
            "missing_fact.entered_in",
            [
                ("id", Arg::verbatim(step.id.clone())),
                ("title", Arg::Text(step.title.clone())),
                ("what", what),
            ],
        ),
        None => Say::new("missing_fact.no_step", [("what", what)]),
    };
    refuse("missing_fact", say)
}

fn fact_chemistry<'s>(ctx: &GateContext<'s>) -> Result<(Chemistry, &'s ChemistrySpec), Verdict> {
    let chemistry = ctx
        .pack
        .chemistry
        .ok_or_else(|| missing_fact(ctx, PackField::Chemistry, "fact.chemistry"))?;
    let spec = ctx.spec.chemistries.get(&chemistry).ok_or_else(|| {
        refuse(
            "missing_fact",
            Say::new(
                "no_chemistry_limits",
                [("chemistry", Arg::verbatim(chemistry.to_string()))],
            ),
        )
    })?;
    Ok((chemistry, spec))
}

fn fact_cells(ctx: &GateContext<'_>) -> Result<u32, Verdict> {
    ctx.pack
        .cells
        .ok_or_else(|| missing_fact(ctx, PackField::Cells, "fact.cells"))
}

fn fact_capacity(ctx: &GateContext<'_>) -> Result<AmpHours, Verdict> {
    ctx.pack
        .capacity
        .ok_or_else(|| missing_fact(ctx, PackField::Capacity, "fact.capacity"))
}

fn fact_model<'s>(ctx: &GateContext<'s>, cells: u32) -> Result<&'s ModelSpec, Verdict> {
    let model = match &ctx.pack.model {
        Some(id) => ctx
            .spec
            .models
            .iter()
            .find(|m| m.id == *id)
            .ok_or_else(|| {
                refuse(
                    "unknown_model",
                    Say::new("unknown_model", [("id", Arg::verbatim(id.clone()))]),
                )
            })?,
        None => default_model(ctx.spec, cells).ok_or_else(|| {
            refuse(
                "cells_exceed_model",
                Say::new("no_model_for_cells", [("cells", Arg::int(cells))]),
            )
        })?,
    };
    cells_fit(model, cells).map_err(Verdict::fail)?;
    Ok(model)
}

/// The pack's cells within what the model works with, or the reason naming its range.
fn cells_fit(model: &ModelSpec, cells: u32) -> Result<(), Vec<Reason>> {
    let code = if cells > model.max_cells {
        "cells_exceed_model"
    } else if cells < model.min_cells {
        // Too few cells leave the unit without the supply it takes from the pack.
        "cells_below_model"
    } else {
        return Ok(());
    };
    Err(vec![Reason::new(
        code,
        Say::new(
            code,
            [
                ("cells", Arg::int(cells)),
                ("max_cells", Arg::int(model.max_cells)),
                ("min_cells", Arg::int(model.min_cells)),
                ("model", Arg::Text(model.name.clone())),
            ],
        ),
    )])
}

fn not_read() -> Verdict {
    refuse("live_connected", Say::plain("settings_not_read"))
}

/// A refusal for live data not there (or not fresh) yet: the gate waits for it, and a
/// headless run that times out refuses with it.
fn no_data(what: &str) -> Verdict {
    refuse(
        "no_data",
        Say::new("no_data", [("what", Arg::say(Say::plain(what)))]),
    )
}

/// What this unit can never send of the data `check` judges, if anything: then the gate
/// can pass only on the operator's confirmation (see [`crate::wizard::spec::GateSpec::confirm`]).
pub fn unreadable(check: &Check, live: &LiveData) -> Option<Say> {
    let key = match check {
        // The 24S settings layout has no control word: its Disable Temp. Sensor switch is
        // never reported.
        Check::TempSensorEnabled => live
            .settings
            .as_ref()
            .filter(|s| s.control.is_none())
            .map(|_| "unreadable.temp_sensor_switch"),
        // Only 32S frames carry the Emergency countdown.
        Check::EmergencyOff => live
            .cells
            .as_ref()
            .filter(|c| c.emergency.is_none())
            .map(|_| "unreadable.emergency_switch"),
        Check::NoFactoryReset => live
            .device
            .as_ref()
            .filter(|d| !d.keeps_logbook())
            .map(|_| "unreadable.logbook"),
        _ => None,
    };
    key.map(Say::plain)
}

/// The logbook shows no factory load the engine has not accounted for. The logbook must
/// have been read on units that keep one; on others [`unreadable`] hands it to the operator.
fn no_factory_reset(ctx: &GateContext<'_>) -> Result<Verdict, Verdict> {
    let device = ctx
        .live
        .device
        .as_ref()
        .ok_or_else(|| no_data("waiting.device_info"))?;
    if !device.keeps_logbook() {
        return Ok(Verdict::pass());
    }
    let logbook = ctx
        .live
        .logbook
        .as_ref()
        .ok_or_else(|| no_data("waiting.logbook"))?;
    let loads = logbook
        .entries
        .iter()
        .filter(|e| e.factory_reset().is_some())
        .count();
    let baseline = ctx.live.factory_events_baseline.unwrap_or(0);
    let unaccounted = loads.saturating_sub(baseline);
    if unaccounted <= ctx.live.type_choices.max(1) {
        return Ok(Verdict::pass());
    }
    Ok(live::no_factory_reset(Some(logbook), Some(baseline)))
}

fn connected(ctx: &GateContext<'_>) -> Result<(), Verdict> {
    if ctx.live.connected {
        Ok(())
    } else {
        Err(refuse("live_connected", Say::plain("not_connected")))
    }
}

/// Settings of a connected unit, read since the step was entered or the operator last acted:
/// settings read before may be out of date.
fn settings<'s>(ctx: &GateContext<'s>) -> Result<&'s Settings, Verdict> {
    connected(ctx)?;
    let settings = ctx.live.settings.as_ref().ok_or_else(not_read)?;
    match ctx.live.settings_at_ms {
        Some(at) if at >= ctx.since_ms => Ok(settings),
        _ => Err(no_data("waiting.settings")),
    }
}

/// The last cell data, if the link is up and it is fresh.
fn fresh_cells<'s>(ctx: &GateContext<'s>) -> Result<&'s CellInfo, Verdict> {
    fresh_cells_of(ctx.live, &ctx.spec.limits, ctx.now_ms, ctx.since_ms)
}

/// The last cell data, if the link is up, the data is younger than `live_max_age_s` at
/// `now_ms` and was read at or after `since_ms`; else the verdict that says what it waits for.
/// Also what the screens use, so nothing compares cells a gate would not take.
pub fn fresh_cells_of<'s>(
    live_data: &'s LiveData,
    limits: &crate::wizard::spec::Limits,
    now_ms: i64,
    since_ms: i64,
) -> Result<&'s CellInfo, Verdict> {
    let verdict = live::live_connected(live_data, limits, now_ms);
    match (&live_data.cells, live_data.cells_at_ms) {
        (Some(_), Some(at)) if verdict.ok && at < since_ms => Err(no_data("waiting.cells")),
        (Some(cells), _) if verdict.ok => Ok(cells),
        _ if verdict.ok => Err(not_read()),
        _ => Err(verdict),
    }
}

/// A number field of this step (integers count too).
fn number_field(ctx: &GateContext<'_>, id: &str) -> Option<f64> {
    match ctx.fields.get(id)? {
        Value::Number(v) => Some(*v),
        Value::Integer(v) => Some(*v as f64),
        _ => None,
    }
}

/// A choice (or text) field of this step.
fn choice_field<'s>(ctx: &GateContext<'s>, id: &str) -> Option<&'s str> {
    match ctx.fields.get(id)? {
        Value::Choice(v) | Value::Text(v) => Some(v),
        _ => None,
    }
}

/// A number field this step needs, or a refusal naming it.
fn need_number(ctx: &GateContext<'_>, id: &str) -> Result<f64, Verdict> {
    number_field(ctx, id).ok_or_else(|| refuse("field_missing", not_entered(ctx.step, id)))
}

/// "<label> is not entered", for field `id` of `step`.
fn not_entered(step: &StepSpec, id: &str) -> Say {
    let label = match step.input.fields().iter().find(|f| f.id == id) {
        Some(f) => Arg::Text(f.label.clone()),
        None => Arg::verbatim(id),
    };
    Say::new("field_missing", [("label", label)])
}

/// The pack voltage: a field of this step, else the one measured in the ladder step.
fn pack_voltage(ctx: &GateContext<'_>) -> Result<Volts, Verdict> {
    if let Some(v) = number_field(ctx, "pack_voltage") {
        return Ok(Volts(v));
    }
    ctx.pack.pack_voltage.ok_or_else(|| {
        let ladder = ctx
            .spec
            .steps
            .iter()
            .find(|s| matches!(s.input, InputSpec::Ladder { .. }));
        let say = match ladder {
            Some(step) => Say::new(
                "no_pack_voltage.measured_in",
                [
                    ("id", Arg::verbatim(step.id.clone())),
                    ("title", Arg::Text(step.title.clone())),
                ],
            ),
            None => Say::plain("no_pack_voltage"),
        };
        refuse("missing_fact", say)
    })
}

fn all_confirmed(ctx: &GateContext<'_>) -> Verdict {
    let reasons: Vec<Reason> = ctx
        .step
        .input
        .items()
        .iter()
        .filter(|item| !ctx.checked.contains(&item.id))
        .map(|item| {
            Reason::new(
                "unconfirmed",
                Say::new("unconfirmed", [("item", Arg::Text(item.text.clone()))]),
            )
        })
        .collect();
    if reasons.is_empty() {
        Verdict::pass()
    } else {
        Verdict::fail(reasons)
    }
}

fn fields_valid(ctx: &GateContext<'_>) -> Verdict {
    let fields = ctx.step.input.fields();
    let mut reasons: Vec<Reason> = fields
        .iter()
        .filter(|f| !f.optional && !ctx.fields.contains_key(&f.id))
        .map(|f| Reason::new("field_missing", not_entered(ctx.step, &f.id)))
        .collect();
    // The setup form: the pack must fit the unit.
    let asks = |field: PackField| fields.iter().any(|f| f.id == field.id());
    if asks(PackField::Cells) || asks(PackField::Model) {
        let cells = number_field(ctx, PackField::Cells.id())
            .map(|c| c as u32)
            .or(ctx.pack.cells);
        let model = choice_field(ctx, PackField::Model.id()).or(ctx.pack.model.as_deref());
        match (cells, model) {
            (Some(cells), Some(id)) => match ctx.spec.models.iter().find(|m| m.id == id) {
                None => reasons.push(Reason::new(
                    "unknown_model",
                    Say::new("unknown_model", [("id", Arg::verbatim(id))]),
                )),
                Some(m) => reasons.extend(cells_fit(m, cells).err().unwrap_or_default()),
            },
            (Some(cells), None) if default_model(ctx.spec, cells).is_none() => {
                reasons.push(Reason::new(
                    "cells_exceed_model",
                    Say::new("no_model_for_cells", [("cells", Arg::int(cells))]),
                ))
            }
            _ => {}
        }
    }
    if reasons.is_empty() {
        Verdict::pass()
    } else {
        Verdict::fail(reasons)
    }
}

fn cell_spread_gate(ctx: &GateContext<'_>) -> Result<Verdict, Verdict> {
    let lowest = need_number(ctx, "lowest_cell");
    let highest = need_number(ctx, "highest_cell");
    let (lowest, highest) = match (lowest, highest) {
        (Ok(l), Ok(h)) => (Volts(l), Volts(h)),
        (l, h) => {
            let reasons = [l.err(), h.err()]
                .into_iter()
                .flatten()
                .flat_map(|v| v.reasons)
                .collect();
            return Err(Verdict::fail(reasons));
        }
    };
    charger::cell_spread(lowest, highest, &ctx.spec.limits)
        .map_err(|e| refuse("entry_error", e.say()))
}

fn ladder_gate(ctx: &GateContext<'_>) -> Result<Verdict, Verdict> {
    let (_, chem) = fact_chemistry(ctx)?;
    let cells = fact_cells(ctx)?;
    let model = fact_model(ctx, cells)?;
    let mut input = ctx.ladder.clone();
    if input.pack_voltage.is_none() {
        input.pack_voltage = ctx.pack.pack_voltage;
    }
    let report = ladder::check_ladder(chem, cells, model, &ctx.spec.limits, &input);
    let reasons: Vec<Reason> = report
        .gate_faults()
        .map(|f| Reason::new(f.kind.code(), f.say.clone()))
        .collect();
    Ok(if reasons.is_empty() {
        Verdict::pass()
    } else {
        Verdict::fail(reasons)
    })
}

fn charger_gate(ctx: &GateContext<'_>) -> Result<Verdict, Verdict> {
    match choice_field(ctx, "method") {
        // Without a method nothing says the unit was woken, nor how: no pass on nothing.
        None => return Err(refuse("activation_method", Say::plain("activation_method"))),
        Some(method) if method != "charger" => return Ok(Verdict::pass()),
        Some(_) => {}
    }
    let charger = need_number(ctx, "charger_voltage")?;
    let pack = pack_voltage(ctx)?;
    let model = fact_model(ctx, fact_cells(ctx)?)?;
    Ok(charger::charger_voltage(
        Volts(charger),
        pack,
        model,
        &ctx.spec.limits,
    ))
}

fn output_gate(ctx: &GateContext<'_>) -> Result<Verdict, Verdict> {
    let output = need_number(ctx, "output_voltage")?;
    let pack = pack_voltage(ctx)?;
    // Only to explain a dark output; the verdict is the meter's alone.
    let hint = match (ctx.pack.chemistry, ctx.pack.cells) {
        (Some(chemistry), Some(cells)) => Some(charger::DarkOutputHint {
            chemistry,
            cells,
            spec: ctx.spec,
            unit_uvp: ctx.live.settings.as_ref().map(|s| s.cell_uvp),
        }),
        _ => None,
    };
    Ok(charger::output_voltage(
        Volts(output),
        pack,
        &ctx.spec.limits,
        hint,
    ))
}

#[cfg(test)]
mod tests;

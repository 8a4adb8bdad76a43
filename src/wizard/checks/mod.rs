//! One pure function per kind of gate, and the one entry point the engine calls.
//!
//! OWNER: checks helper. The types and signatures below are the contract with the engine;
//! add to them, do not rename.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::bms::model::{CellInfo, Chemistry, DeviceInfo, Logbook, Settings};
use crate::units::{AmpHours, Volts};
use crate::wizard::spec::{
    tr, Check, ChemistrySpec, InputSpec, ModelSpec, PackField, StepSpec, WizardSpec,
};

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
            let device = ctx.live.device.as_ref().ok_or_else(|| {
                refuse(
                    "device_not_read",
                    "the unit's device info (its model) has not been read yet".to_string(),
                )
            })?;
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
            format!("{what}: check it in the app and confirm what you see"),
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

fn refuse(code: &str, text: String) -> Verdict {
    Verdict::fail(vec![Reason {
        code: code.to_string(),
        text,
    }])
}

/// A failing verdict for a pack fact not known yet, naming the step that provides it.
fn missing_fact(ctx: &GateContext<'_>, field: PackField, what: &str) -> Verdict {
    let source = ctx
        .spec
        .steps
        .iter()
        .find(|s| s.input.fields().iter().any(|f| f.id == field.id()));
    let text = match source {
        Some(step) => format!(
            "no {what} known yet: it is entered in step '{}' ({})",
            tr(&step.title, "en"),
            step.id
        ),
        None => format!("no {what} known yet: the wizard has no step that asks for it"),
    };
    refuse("missing_fact", text)
}

fn fact_chemistry<'s>(ctx: &GateContext<'s>) -> Result<(Chemistry, &'s ChemistrySpec), Verdict> {
    let chemistry = ctx
        .pack
        .chemistry
        .ok_or_else(|| missing_fact(ctx, PackField::Chemistry, "chemistry"))?;
    let spec = ctx.spec.chemistries.get(&chemistry).ok_or_else(|| {
        refuse(
            "missing_fact",
            format!("the wizard has no limits for {chemistry}"),
        )
    })?;
    Ok((chemistry, spec))
}

fn fact_cells(ctx: &GateContext<'_>) -> Result<u32, Verdict> {
    ctx.pack
        .cells
        .ok_or_else(|| missing_fact(ctx, PackField::Cells, "cell count"))
}

fn fact_capacity(ctx: &GateContext<'_>) -> Result<AmpHours, Verdict> {
    ctx.pack
        .capacity
        .ok_or_else(|| missing_fact(ctx, PackField::Capacity, "capacity"))
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
                    format!("the wizard knows no BMS model '{id}'"),
                )
            })?,
        None => default_model(ctx.spec, cells).ok_or_else(|| {
            refuse(
                "cells_exceed_model",
                format!("no BMS model in the wizard takes {cells} cells"),
            )
        })?,
    };
    cells_fit(model, cells).map_err(Verdict::fail)?;
    Ok(model)
}

/// The pack's cells within what the model works with, or the reason naming its range.
fn cells_fit(model: &ModelSpec, cells: u32) -> Result<(), Vec<Reason>> {
    let (code, bound) = if cells > model.max_cells {
        ("cells_exceed_model", format!("at most {}", model.max_cells))
    } else if cells < model.min_cells {
        // Too few cells leave the unit without the supply it takes from the pack.
        ("cells_below_model", format!("at least {}", model.min_cells))
    } else {
        return Ok(());
    };
    Err(vec![Reason {
        code: code.to_string(),
        text: format!(
            "the {} takes {bound} cells ({}–{}), but the pack has {cells}: choose the unit \
             made for this pack",
            tr(&model.name, "en"),
            model.min_cells,
            model.max_cells
        ),
    }])
}

fn not_read() -> Verdict {
    refuse(
        "live_connected",
        "the settings have not been read from the BMS yet".to_string(),
    )
}

/// A refusal for live data not there (or not fresh) yet: the gate waits for it, and a
/// headless run that times out refuses with it.
fn no_data(what: &str) -> Verdict {
    refuse("no_data", format!("no data yet: waiting for {what}"))
}

/// What this unit can never send of the data `check` judges, if anything: then the gate
/// can pass only on the operator's confirmation (see [`crate::wizard::spec::GateSpec::confirm`]).
pub fn unreadable(check: &Check, live: &LiveData) -> Option<&'static str> {
    match check {
        // The 24S settings layout has no control word: its Disable Temp. Sensor switch is
        // never reported.
        Check::TempSensorEnabled => {
            live.settings
                .as_ref()
                .filter(|s| s.control.is_none())
                .map(|_| {
                    "this unit (24S frame layout) does not report the Disable Temp. Sensor switch"
                })
        }
        // Only 32S frames carry the Emergency countdown.
        Check::EmergencyOff => live
            .cells
            .as_ref()
            .filter(|c| c.emergency.is_none())
            .map(|_| "this unit (24S frame layout) does not report the Emergency switch"),
        Check::NoFactoryReset => live
            .device
            .as_ref()
            .filter(|d| !d.keeps_logbook())
            .map(|_| {
                "this unit's firmware keeps no logbook, so a second battery-type choice cannot be \
                 read from it"
            }),
        _ => None,
    }
}

/// The logbook shows no factory load the engine has not accounted for. The logbook must
/// have been read on units that keep one; on others [`unreadable`] hands it to the operator.
fn no_factory_reset(ctx: &GateContext<'_>) -> Result<Verdict, Verdict> {
    let device =
        ctx.live.device.as_ref().ok_or_else(|| {
            no_data("the unit's device info (it says whether it keeps a logbook)")
        })?;
    if !device.keeps_logbook() {
        return Ok(Verdict::pass());
    }
    let logbook = ctx
        .live
        .logbook
        .as_ref()
        .ok_or_else(|| no_data("the unit's logbook"))?;
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
        Err(refuse(
            "live_connected",
            "the BMS is not connected: bring the unit in range and wait for it to reconnect"
                .to_string(),
        ))
    }
}

/// Settings of a connected unit, read since the step was entered or the operator last acted:
/// settings read before may be out of date.
fn settings<'s>(ctx: &GateContext<'s>) -> Result<&'s Settings, Verdict> {
    connected(ctx)?;
    let settings = ctx.live.settings.as_ref().ok_or_else(not_read)?;
    match ctx.live.settings_at_ms {
        Some(at) if at >= ctx.since_ms => Ok(settings),
        _ => Err(no_data(
            "a settings frame read since this step was entered or the app was last used",
        )),
    }
}

/// The last cell data, if the link is up and it is fresh.
fn fresh_cells<'s>(ctx: &GateContext<'s>) -> Result<&'s CellInfo, Verdict> {
    let verdict = live::live_connected(ctx.live, &ctx.spec.limits, ctx.now_ms);
    match (&ctx.live.cells, ctx.live.cells_at_ms) {
        (Some(_), Some(at)) if verdict.ok && at < ctx.since_ms => Err(no_data(
            "cell data read since this step was entered or the app was last used",
        )),
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
    number_field(ctx, id).ok_or_else(|| {
        let label = ctx
            .step
            .input
            .fields()
            .iter()
            .find(|f| f.id == id)
            .map(|f| tr(&f.label, "en").to_string())
            .unwrap_or_else(|| id.to_string());
        refuse("field_missing", format!("{label} is not entered"))
    })
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
        let text = match ladder {
            Some(step) => format!(
                "no pack voltage known yet: it is measured in step '{}' ({})",
                tr(&step.title, "en"),
                step.id
            ),
            None => "no pack voltage known yet".to_string(),
        };
        refuse("missing_fact", text)
    })
}

fn all_confirmed(ctx: &GateContext<'_>) -> Verdict {
    let reasons: Vec<Reason> = ctx
        .step
        .input
        .items()
        .iter()
        .filter(|item| !ctx.checked.contains(&item.id))
        .map(|item| Reason {
            code: "unconfirmed".to_string(),
            text: format!("not confirmed: {}", tr(&item.text, "en")),
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
        .map(|f| Reason {
            code: "field_missing".to_string(),
            text: format!("{} is not entered", tr(&f.label, "en")),
        })
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
                None => reasons.push(Reason {
                    code: "unknown_model".to_string(),
                    text: format!("the wizard knows no BMS model '{id}'"),
                }),
                Some(m) => reasons.extend(cells_fit(m, cells).err().unwrap_or_default()),
            },
            (Some(cells), None) if default_model(ctx.spec, cells).is_none() => {
                reasons.push(Reason {
                    code: "cells_exceed_model".to_string(),
                    text: format!("no BMS model in the wizard takes {cells} cells"),
                })
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
        .map_err(|e| refuse("entry_error", e.to_string()))
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
        .map(|f| Reason {
            code: f.kind.code().to_string(),
            text: f.detail.clone(),
        })
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
        None => {
            return Err(refuse(
                "activation_method",
                "no activation method is chosen: choose the switch, the display or a charger"
                    .to_string(),
            ))
        }
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
mod tests {
    use super::testkit::*;
    use super::*;
    use crate::bms::model::LogEntry;
    use crate::wizard::spec::{InputSpec, Unit};

    /// Everything a gate looks at, owned, so each test states only what differs.
    #[derive(Clone)]
    struct World {
        spec: WizardSpec,
        step: StepSpec,
        pack: PackFacts,
        checked: BTreeSet<String>,
        fields: BTreeMap<String, Value>,
        ladder: LadderInput,
        live: LiveData,
        now_ms: i64,
    }

    impl World {
        fn new(step: StepSpec) -> World {
            World {
                spec: spec(),
                step,
                pack: PackFacts::default(),
                checked: BTreeSet::new(),
                fields: BTreeMap::new(),
                ladder: LadderInput::default(),
                live: LiveData::default(),
                now_ms: 10_000,
            }
        }

        /// A 16-cell 280 Ah LiFePO4 pack on the 16-cell unit, configured right and live.
        fn configured() -> World {
            let mut w = World::new(step("config.x", "Live", InputSpec::Live { items: vec![] }));
            w.pack = PackFacts {
                chemistry: Some(Chemistry::LiFePo4),
                cells: Some(16),
                capacity: Some(AmpHours(280.0)),
                model: Some("b16".into()),
                cold_site: false,
                pack_voltage: Some(Volts(52.9)),
            };
            w.live = LiveData {
                connected: true,
                device: Some(DeviceInfo {
                    model: "JK-PB2A16S20P".into(),
                    ..device("11.61")
                }),
                settings: Some(settings_lifepo4()),
                settings_at_ms: Some(9_000),
                cells: Some(cell_info(&pack_cells(16, 3.3))),
                cells_at_ms: Some(9_000),
                logbook: Some(Logbook {
                    entries: vec![LogEntry {
                        seconds: 5,
                        code: LogEntry::factory_code(Chemistry::LiFePo4),
                    }],
                }),
                factory_events_baseline: Some(0),
                ..LiveData::default()
            };
            w
        }

        fn field(mut self, id: &str, value: Value) -> World {
            self.fields.insert(id.into(), value);
            self
        }

        fn eval(&self, check: Check) -> Verdict {
            let ctx = GateContext {
                spec: &self.spec,
                step: &self.step,
                pack: &self.pack,
                checked: &self.checked,
                fields: &self.fields,
                ladder: &self.ladder,
                live: &self.live,
                now_ms: self.now_ms,
                since_ms: 0,
            };
            evaluate(&check, &ctx)
        }
    }

    const LIVE_CHECKS: [Check; 19] = [
        Check::LiveConnected,
        Check::CellsVisible,
        Check::CellsPlausible,
        Check::CellCountSetting,
        Check::OvpMatchesChemistry,
        Check::CapacitySet,
        Check::BalanceTrigger,
        Check::SwitchesOn,
        Check::TempSensorEnabled,
        Check::ProbesPresent,
        Check::ColdSite,
        Check::NoAlarm,
        Check::NoFactoryReset,
        Check::ProtectionTest,
        Check::EmergencyOff,
        Check::UnitMatchesModel,
        Check::PackVoltageMatches,
        Check::UvpMatchesChemistry,
        Check::ProbeCount,
    ];

    fn codes(v: &Verdict) -> Vec<&str> {
        v.reasons.iter().map(|r| r.code.as_str()).collect()
    }

    #[test]
    fn all_confirmed_names_the_unticked_items() {
        let mut w = World::new(step(
            "setup.safety",
            "Safety",
            InputSpec::Checklist {
                items: vec![
                    item("qualified", "I am qualified"),
                    item("no_vapours", "No vapours here"),
                ],
            },
        ));
        w.checked.insert("qualified".into());
        let v = w.eval(Check::AllConfirmed);
        assert_eq!(v.reasons.len(), 1);
        assert_eq!(v.reasons[0].text, "not confirmed: No vapours here");
        w.checked.insert("no_vapours".into());
        assert!(w.eval(Check::AllConfirmed).ok);
    }

    #[test]
    fn fields_valid_names_missing_fields_and_checks_cells_against_the_model() {
        let w = World::new(setup_step()).field("chemistry", Value::Choice("lifepo4".into()));
        let v = w.eval(Check::FieldsValid);
        let texts: Vec<&str> = v.reasons.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Cells in series is not entered",
                "Capacity is not entered",
                "BMS model is not entered"
            ]
        );
        let w = w
            .field("cells", Value::Integer(16))
            .field("capacity", Value::Number(280.0))
            .field("model", Value::Choice("b8".into()));
        let v = w.eval(Check::FieldsValid);
        assert_eq!(codes(&v), ["cells_exceed_model"]);
        assert_eq!(
            v.reasons[0].text,
            "the 8-cell unit takes at most 8 cells (3–8), but the pack has 16: choose the unit \
             made for this pack"
        );
        let w = w.field("model", Value::Choice("b16".into()));
        assert!(w.eval(Check::FieldsValid).ok); // the optional pack id may stay empty
    }

    #[test]
    fn the_setup_step_refuses_a_pack_outside_the_units_cell_range() {
        let w = World::new(setup_step())
            .field("chemistry", Value::Choice("lifepo4".into()))
            .field("capacity", Value::Number(280.0))
            .field("model", Value::Choice("b16".into()));
        // The 16-cell unit works with 8–16 cells: both ends pass, one past either end not.
        for ok in [8, 16] {
            let v = w
                .clone()
                .field("cells", Value::Integer(ok))
                .eval(Check::FieldsValid);
            assert!(v.ok, "{ok}: {v:?}");
        }
        let v = w
            .clone()
            .field("cells", Value::Integer(7))
            .eval(Check::FieldsValid);
        assert_eq!(codes(&v), ["cells_below_model"]);
        assert_eq!(
            v.reasons[0].text,
            "the 16-cell unit takes at least 8 cells (8–16), but the pack has 7: choose the unit \
             made for this pack"
        );
        let v = w
            .clone()
            .field("cells", Value::Integer(17))
            .eval(Check::FieldsValid);
        assert_eq!(codes(&v), ["cells_exceed_model"]);
        assert!(v.reasons[0].text.contains("(8–16)"), "{v:?}");
        // 2 cells on the 24-cell unit (the case).
        let v = w
            .field("model", Value::Choice("b24".into()))
            .field("cells", Value::Integer(2))
            .eval(Check::FieldsValid);
        assert!(
            v.reasons[0].text.contains("at least 7 cells (7–24)"),
            "{v:?}"
        );
    }

    #[test]
    fn a_missing_pack_fact_names_the_step_that_gives_it() {
        let w = World::new(step(
            "wiring.ladder",
            "Multimeter test",
            InputSpec::Ladder { items: vec![] },
        ));
        let v = w.eval(Check::Ladder);
        assert!(!v.ok);
        assert_eq!(
            v.reasons[0].text,
            "no chemistry known yet: it is entered in step 'The pack' (setup.pack)"
        );
        let mut w = World::configured();
        w.pack.cells = None;
        for check in [Check::CellsVisible, Check::CellCountSetting, Check::Ladder] {
            let v = w.eval(check.clone());
            assert!(
                v.reasons[0].text.starts_with("no cell count known yet"),
                "{check:?}: {v:?}"
            );
        }
        w.pack.capacity = None;
        assert_eq!(codes(&w.eval(Check::CapacitySet)), ["missing_fact"]);
    }

    #[test]
    fn the_ladder_gate_diagnoses_and_asks_for_what_is_missing() {
        let mut w = World::configured();
        let cells = pack_cells(16, 3.3);
        w.pack.pack_voltage = Some(pack_of(&cells));
        w.ladder.readings = readings(&cells, &right(16));
        assert!(w.eval(Check::Ladder).ok, "{:?}", w.eval(Check::Ladder));
        let mut map = right(16);
        for (k, lead) in map.iter_mut().enumerate().take(15).skip(4) {
            *lead = Some(k + 2);
        }
        w.ladder.readings = readings(&cells, &map);
        assert_eq!(codes(&w.eval(Check::Ladder)), ["skipped_tap"]);
        w.ladder.readings = readings(&cells, &right(16));
        w.ladder.readings[3] = None;
        assert_eq!(codes(&w.eval(Check::Ladder)), ["missing_reading"]);
        // A pack too long for the unit chosen.
        w.pack.model = Some("b8".into());
        assert_eq!(codes(&w.eval(Check::Ladder)), ["cells_exceed_model"]);
        // No model chosen: the smallest that takes the pack.
        w.pack.model = None;
        assert_eq!(
            default_model(&w.spec, 16).map(|m| m.id.as_str()),
            Some("b16")
        );
        assert_eq!(
            default_model(&w.spec, 9).map(|m| m.id.as_str()),
            Some("b16")
        );
        assert_eq!(default_model(&w.spec, 25), None);
    }

    #[test]
    fn the_charger_gate_applies_only_to_the_charger_method() {
        let activate = step(
            "wiring.activate",
            "Activation",
            InputSpec::Form {
                fields: vec![
                    choice(
                        "method",
                        "Activation method",
                        &["switch", "display", "charger"],
                    ),
                    number(
                        "charger_voltage",
                        "Charger output voltage",
                        Unit::V,
                        0.0,
                        200.0,
                    ),
                ],
                items: vec![],
            },
        );
        let mut w = World::new(activate);
        // No method chosen is no proof of anything.
        let v = w.eval(Check::ChargerVoltage);
        assert_eq!(codes(&v), ["activation_method"]);
        assert!(
            v.reasons[0].text.contains("no activation method is chosen"),
            "{v:?}"
        );
        w.pack.cells = Some(16);
        w.pack.model = Some("b16".into());
        w = w.field("method", Value::Choice("switch".into()));
        assert!(w.eval(Check::ChargerVoltage).ok);
        w = w.field("method", Value::Choice("charger".into()));
        assert_eq!(
            w.eval(Check::ChargerVoltage).reasons[0].text,
            "Charger output voltage is not entered"
        );
        w = w.field("charger_voltage", Value::Number(56.0));
        assert!(w.eval(Check::ChargerVoltage).reasons[0]
            .text
            .contains("measured in step"));
        w.pack.pack_voltage = Some(Volts(52.9));
        let v = w.eval(Check::ChargerVoltage);
        assert!(v.reasons[0].text.contains("at least 57.90 V"), "{v:?}");
        w = w.field("charger_voltage", Value::Number(58.8));
        assert!(w.eval(Check::ChargerVoltage).ok);
        // Above the 16-cell unit's 70 V rating: refused, naming both.
        w = w.field("charger_voltage", Value::Number(70.01));
        let v = w.eval(Check::ChargerVoltage);
        assert_eq!(codes(&v), ["charger_above_rating"]);
        assert!(
            v.reasons[0]
                .text
                .contains("gives 70.01 V, above the 70.00 V"),
            "{v:?}"
        );
        // The unit's range is judged before the charger, so a wrong unit is named as such.
        w.pack.cells = Some(20);
        assert_eq!(
            codes(&w.eval(Check::ChargerVoltage)),
            ["cells_exceed_model"]
        );
    }

    #[test]
    fn output_and_spread_gates_read_their_fields() {
        let mut w = World::new(step(
            "wiring.output",
            "Output",
            InputSpec::Form {
                fields: vec![],
                items: vec![],
            },
        ));
        w.pack.pack_voltage = Some(Volts(52.9));
        assert_eq!(codes(&w.eval(Check::OutputVoltage)), ["field_missing"]);
        let w = w.field("output_voltage", Value::Number(52.85));
        assert!(w.eval(Check::OutputVoltage).ok);
        let w = w.field("output_voltage", Value::Number(0.0));
        assert_eq!(codes(&w.eval(Check::OutputVoltage)), ["output_voltage"]);

        let w = World::new(step(
            "wiring.similar",
            "Similar",
            InputSpec::Form {
                fields: vec![],
                items: vec![],
            },
        ));
        assert_eq!(
            codes(&w.eval(Check::CellSpread)),
            ["field_missing", "field_missing"]
        );
        let w = w
            .field("lowest_cell", Value::Number(3.31))
            .field("highest_cell", Value::Number(3.29));
        assert_eq!(codes(&w.eval(Check::CellSpread)), ["entry_error"]);
        let w = w.field("highest_cell", Value::Number(3.36));
        assert!(w.eval(Check::CellSpread).ok);
    }

    #[test]
    fn a_configured_pack_passes_every_live_gate() {
        let mut w = World::configured();
        w.live.protection = ProtectionObs {
            charge: Some(Cutoff {
                cell_voltage: Volts(3.61),
            }),
            discharge: Some(Cutoff {
                cell_voltage: Volts(2.5),
            }),
            started_at: Some(9_000),
        };
        for check in LIVE_CHECKS {
            let v = w.eval(check.clone());
            assert!(v.ok, "{check:?}: {v:?}");
        }
    }

    #[test]
    fn live_gates_refuse_without_a_link_or_fresh_data_and_never_panic() {
        let mut w = World::configured();
        w.live = LiveData::default();
        for check in LIVE_CHECKS {
            let v = w.eval(check.clone());
            // Not a cold site: nothing to check there.
            assert_eq!(v.ok, check == Check::ColdSite, "{check:?}: {v:?}");
        }
        // Stale cell data fails the gates that read it.
        let mut w = World::configured();
        w.now_ms = 60_000;
        let v = w.eval(Check::NoAlarm);
        assert!(v.reasons[0].text.contains("51.0 s old"), "{v:?}");
        assert!(w.eval(Check::CellCountSetting).ok);
    }

    #[test]
    fn live_gates_fail_with_the_numbers() {
        let mut w = World::configured();
        let s = w.live.settings.as_mut().unwrap();
        s.cell_ovp = Volts(4.2);
        s.cell_count = 15;
        w.pack.cold_site = true;
        assert!(w.eval(Check::OvpMatchesChemistry).reasons[0]
            .text
            .contains("Li-ion factory set"));
        assert!(w.eval(Check::CellCountSetting).reasons[0]
            .text
            .contains("Cell Count is 15"));
        assert_eq!(
            codes(&w.eval(Check::ColdSite)),
            ["charge_utpr", "charge_utp"]
        );
        w.live.logbook.as_mut().unwrap().entries.push(LogEntry {
            seconds: 900,
            code: LogEntry::factory_code(Chemistry::LiIon),
        });
        assert_eq!(codes(&w.eval(Check::NoFactoryReset)), ["factory_reset"]);
    }

    #[test]
    fn the_unit_is_tied_to_the_chosen_model_and_the_measured_pack() {
        let mut w = World::configured();
        assert!(w.eval(Check::UnitMatchesModel).ok);
        w.live.device.as_mut().unwrap().model = "JK_B2A24S20P".into();
        assert_eq!(
            codes(&w.eval(Check::UnitMatchesModel)),
            ["unit_model_mismatch"]
        );
        w.live.device = None;
        assert_eq!(codes(&w.eval(Check::UnitMatchesModel)), ["device_not_read"]);
        // Another pack: the unit reads a cell less than the meter did.
        assert!(w.eval(Check::PackVoltageMatches).ok);
        w.live.cells.as_mut().unwrap().pack_voltage = Volts(49.5);
        let v = w.eval(Check::PackVoltageMatches);
        assert!(
            v.reasons[0]
                .text
                .contains("49.50 V but the meter measured 52.90 V"),
            "{v:?}"
        );
        w.pack.pack_voltage = None;
        assert_eq!(codes(&w.eval(Check::PackVoltageMatches)), ["missing_fact"]);
    }

    #[test]
    fn emergency_on_is_refused_and_a_24s_unit_hands_it_to_the_operator() {
        let mut w = World::configured();
        assert!(w.eval(Check::EmergencyOff).ok);
        w.live.cells.as_mut().unwrap().emergency = Some(true);
        assert_eq!(codes(&w.eval(Check::EmergencyOff)), ["emergency_on"]);
        // A 24S frame has no Emergency switch: no pass without the operator's word.
        w.live.cells.as_mut().unwrap().emergency = None;
        let v = w.eval(Check::EmergencyOff);
        assert_eq!(codes(&v), ["not_reported"]);
        assert!(
            v.reasons[0]
                .text
                .contains("does not report the Emergency switch"),
            "{v:?}"
        );
    }

    #[test]
    fn every_check_runs_on_an_empty_context() {
        let w = World::new(step("x", "X", InputSpec::Checklist { items: vec![] }));
        let all = [
            Check::AllConfirmed,
            Check::FieldsValid,
            Check::CellSpread,
            Check::Ladder,
            Check::ChargerVoltage,
            Check::OutputVoltage,
        ];
        for check in all.into_iter().chain(LIVE_CHECKS) {
            let v = w.eval(check.clone());
            assert_eq!(v.ok, v.reasons.is_empty(), "{check:?}: {v:?}");
        }
    }
}

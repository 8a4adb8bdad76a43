//! The gates that watch the live BMS: STATUS, SETTINGS, CONTROL and the protection test.
//!
//! Each takes only the data it judges, so the engine (through `evaluate`) decides what must be
//! present and fresh first. Reasons name the values read and the values wanted.

use crate::bms::model::{
    unknown_alarm_bits, Alarm, CellInfo, Chemistry, DeviceInfo, Logbook, ManualError, Settings,
};
use crate::units::{AmpHours, Volts};
use crate::wizard::spec::{tr, ChemistrySpec, Limits, ModelSpec, WizardSpec};

use super::{Cutoff, CutoffKind, LiveData, ProtectionObs, Reason, Verdict};

fn reason(code: &str, text: String) -> Reason {
    Reason {
        code: code.to_string(),
        text,
    }
}

fn verdict(reasons: Vec<Reason>) -> Verdict {
    if reasons.is_empty() {
        Verdict::pass()
    } else {
        Verdict::fail(reasons)
    }
}

/// The link is up and the last cell data is no older than `limits.live_max_age_s`.
pub fn live_connected(live: &LiveData, limits: &Limits, now_ms: i64) -> Verdict {
    if !live.connected {
        return Verdict::fail(vec![reason(
            "live_connected",
            "the BMS is not connected: bring the unit in range and wait for it to reconnect"
                .to_string(),
        )]);
    }
    let (Some(_), Some(at)) = (&live.cells, live.cells_at_ms) else {
        return Verdict::fail(vec![reason(
            "live_connected",
            "no cell data has come from the BMS yet".to_string(),
        )]);
    };
    let age_s = (now_ms - at) as f64 / 1000.0;
    if age_s > limits.live_max_age_s {
        return Verdict::fail(vec![reason(
            "live_connected",
            format!(
                "the last cell data is {age_s:.1} s old (more than {} s): the link may have \
                 dropped",
                limits.live_max_age_s
            ),
        )]);
    }
    Verdict::pass()
}

/// Cell i (0-based) is connected by the mask and shows a voltage.
fn visible(cells: &CellInfo, i: usize) -> bool {
    i < 32
        && cells.enabled_mask & (1 << i) != 0
        && cells.cell_voltages.get(i).is_some_and(|v| v.0 > 0.0)
}

/// STATUS shows exactly the pack's `n` cells, each with a voltage.
pub fn cells_visible(cells: &CellInfo, n: u32) -> Verdict {
    let mut reasons: Vec<Reason> = (0..n as usize)
        .filter(|&i| !visible(cells, i))
        .map(|i| {
            reason(
                "cell_not_visible",
                format!(
                    "cell {} not visible: wiring error or poor contact (error 9) — check its \
                     lead, solder joint and the plug",
                    i + 1
                ),
            )
        })
        .collect();
    // Slots the Cell Count setting enables but that read 0 V are empty, not extra cells: Cell
    // Count is only set in configuration step 4, after STATUS.
    let extra: Vec<usize> = (n as usize..32)
        .filter(|&i| visible(cells, i))
        .map(|i| i + 1)
        .collect();
    if !extra.is_empty() {
        reasons.push(reason(
            "extra_cells",
            format!(
                "the BMS shows {} cells but the pack has {n}: cell{} {} should not be there — \
                 check the cell count entered and the wiring",
                n as usize + extra.len(),
                if extra.len() == 1 { "" } else { "s" },
                list(&extra)
            ),
        ));
    }
    verdict(reasons)
}

/// Every visible cell of the pack reads a voltage plausible for the chemistry.
pub fn cells_plausible(cells: &CellInfo, n: u32, chem: &ChemistrySpec) -> Verdict {
    let range = chem.cell_plausible;
    let seen: Vec<(usize, Volts)> = (0..n as usize)
        .filter(|&i| visible(cells, i))
        .map(|i| (i, cells.cell_voltages[i]))
        .collect();
    if seen.is_empty() {
        return Verdict::fail(vec![reason(
            "cells_plausible",
            "no cell voltage to judge: no cell is visible".to_string(),
        )]);
    }
    verdict(
        seen.into_iter()
            .filter(|(_, v)| !range.contains(*v))
            .map(|(i, v)| {
                reason(
                    "cell_implausible",
                    format!(
                        "cell {} reads {v:.3}, outside the {:.2}–{:.2} plausible for {}: a \
                         damaged cell, a bad lead, or the wrong chemistry",
                        i + 1,
                        range.min.0,
                        range.max,
                        tr(&chem.name, "en")
                    ),
                )
            })
            .collect(),
    )
}

/// SETTINGS "Cell Count" equals the pack's cells.
pub fn cell_count_setting(settings: &Settings, n: u32) -> Verdict {
    if settings.cell_count == n {
        return Verdict::pass();
    }
    Verdict::fail(vec![reason(
        "cell_count_setting",
        format!(
            "Cell Count is {} but the pack has {n} cells in series: set Cell Count to {n}",
            settings.cell_count
        ),
    )])
}

/// Cell OVP in Advance Settings is the factory value of the pack's chemistry.
pub fn ovp_matches_chemistry(
    settings: &Settings,
    chemistry: Chemistry,
    spec: &WizardSpec,
) -> Verdict {
    let Some(chem) = spec.chemistries.get(&chemistry) else {
        return Verdict::fail(vec![reason(
            "ovp_matches_chemistry",
            format!("the wizard has no limits for {chemistry}"),
        )]);
    };
    let ovp = settings.cell_ovp;
    let within =
        |w: &crate::wizard::spec::VoltRange| ovp.0 >= w.min.0 - 1e-9 && ovp.0 <= w.max.0 + 1e-9;
    if within(&chem.ovp_window) {
        return Verdict::pass();
    }
    let name = tr(&chem.name, "en");
    let looks_like = spec
        .chemistries
        .iter()
        .find(|(c, s)| **c != chemistry && within(&s.ovp_window));
    let text = match looks_like {
        Some((_, other)) => format!(
            "OVP {ovp:.2} is the {} factory set, but the pack is {name}: the wrong battery type \
             was chosen — choose {} once (it reloads the factory set; then set Cell Count and \
             capacity again)",
            tr(&other.name, "en"),
            chemistry.app_label()
        ),
        None => format!(
            "OVP {ovp:.2} is outside {:.2}–{:.2} accepted for {name} (its cells may be charged \
             to {:.2} at most): Advance Settings were changed — set Cell OVP back to {:.2}",
            chem.ovp_window.min, chem.ovp_window.max, chem.max_charge_voltage, chem.cell_ovp
        ),
    };
    Verdict::fail(vec![reason("ovp_matches_chemistry", text)])
}

/// Cell UVP inside the chemistry's UVP window (its top below the OVP window, its bottom at
/// the cells' lowest safe discharge voltage) and below the Cell OVP actually set: a UVP at or
/// above the OVP leaves no voltage at which the pack may be used.
pub fn uvp_matches_chemistry(settings: &Settings, chem: &ChemistrySpec) -> Verdict {
    let (uvp, ovp) = (settings.cell_uvp, settings.cell_ovp);
    let name = tr(&chem.name, "en");
    let w = &chem.uvp_window;
    let mut reasons = Vec::new();
    if uvp.0 >= ovp.0 - 1e-9 {
        reasons.push(reason(
            "uvp_above_ovp",
            format!(
                "Cell UVP {uvp:.2} is not below Cell OVP {ovp:.2}: the unit would cut the pack \
                 off at every voltage — choose the battery type's factory set again, or set UVP \
                 back into {:.2}–{:.2}",
                w.min, w.max
            ),
        ));
    }
    if uvp.0 < w.min.0 - 1e-9 {
        reasons.push(reason(
            "uvp_too_low",
            format!(
                "Cell UVP {uvp:.2} is below {:.2}–{:.2} accepted for {name}: its cells would be \
                 discharged below {:.2}, their lowest safe voltage — set Cell UVP into the window",
                w.min, w.max, chem.min_discharge_voltage
            ),
        ));
    } else if uvp.0 > w.max.0 + 1e-9 {
        reasons.push(reason(
            "uvp_too_high",
            format!(
                "Cell UVP {uvp:.2} is above {:.2}–{:.2} accepted for {name}: the pack would be cut \
                 off while still holding most of its charge, or the unit is set for another \
                 chemistry — set Cell UVP into the window",
                w.min, w.max
            ),
        ));
    }
    verdict(reasons)
}

/// "Battery Capacity(AH)" is set and equals what was entered (within 0.5 Ah or 1 %).
pub fn capacity_set(settings: &Settings, entered: AmpHours) -> Verdict {
    let set = settings.capacity;
    if set.0 <= 0.0 {
        return Verdict::fail(vec![reason(
            "capacity_set",
            format!("Battery Capacity is 0 Ah: set it to {entered:.1}"),
        )]);
    }
    let tolerance = (0.01 * entered.0).max(0.5);
    if (set.0 - entered.0).abs() <= tolerance + 1e-9 {
        return Verdict::pass();
    }
    Verdict::fail(vec![reason(
        "capacity_set",
        format!(
            "Battery Capacity is {set:.1} but the pack has {entered:.1}: set it to {entered:.1}"
        ),
    )])
}

/// "Balance Trig.Volt" at the factory value, unless it was changed on purpose.
pub fn balance_trigger(settings: &Settings, limits: &Limits, changed_on_purpose: bool) -> Verdict {
    let set = settings.balance_trigger;
    if changed_on_purpose || (set.0 - limits.balance_trigger.0).abs() <= 0.001 + 1e-9 {
        return Verdict::pass();
    }
    Verdict::fail(vec![reason(
        "balance_trigger",
        format!(
            "Balance Trig. Volt is {set:.3}, the factory value is {:.3}: set it back unless it \
             is meant to differ",
            limits.balance_trigger
        ),
    )])
}

/// CONTROL: Charge, Discharge and Balance all on.
pub fn switches_on(settings: &Settings) -> Verdict {
    let switches = [
        ("Charge", settings.charge_switch),
        ("Discharge", settings.discharge_switch),
        ("Balance", settings.balance_switch),
    ];
    verdict(
        switches
            .iter()
            .filter(|(_, on)| !on)
            .map(|(name, _)| {
                reason(
                    "switch_off",
                    format!("the {name} switch is off: turn it on in the CONTROL tab"),
                )
            })
            .collect(),
    )
}

/// CONTROL: "Disable Temp. Sensor" off. Units without a control word (24S) pass: there is
/// nothing to read, and nothing is assumed.
pub fn temp_sensor_enabled(settings: &Settings) -> Verdict {
    match settings.control {
        Some(c) if c.disable_temp_sensors => Verdict::fail(vec![reason(
            "temp_sensor_disabled",
            "Disable Temp. Sensor is on: temperature protection is removed — turn it off in the \
             CONTROL tab"
                .to_string(),
        )]),
        _ => Verdict::pass(),
    }
}

/// CONTROL: "Emergency" off — while it is on, the unit lets the pack be drawn past its
/// cut-off. Frames that carry no Emergency switch (24S firmware) have nothing against it here;
/// `checks::unreadable` then hands the gate to the operator's confirmation.
pub fn emergency_off(cells: &CellInfo) -> Verdict {
    if cells.emergency == Some(true) {
        return Verdict::fail(vec![reason(
            "emergency_on",
            "Emergency is ON: the pack is not protected while it is on — turn it off in the \
             CONTROL tab"
                .to_string(),
        )]);
    }
    Verdict::pass()
}

/// How many cells a unit takes, from its model string: the number before the first `S`
/// (`JK_B2A24S20P` → 24, `JK-PB2A16S20P` → 16, `JK-B5A24S` → 24).
pub fn model_cells(model: &str) -> Option<u32> {
    let bytes = model.as_bytes();
    let mut start = None;
    for (i, b) in bytes.iter().enumerate() {
        match (b.is_ascii_digit(), start) {
            (true, None) => start = Some(i),
            (true, Some(_)) => {}
            (false, Some(from)) => {
                if b.eq_ignore_ascii_case(&b'S') {
                    return model[from..i].parse().ok();
                }
                start = None;
            }
            (false, None) => {}
        }
    }
    None
}

/// The unit on the link is the model chosen at set-up: the cells its model string says it
/// takes equal the chosen model's. Another unit (a neighbour's, in range) or a wrong choice
/// at set-up fails, and the ladder's last-pin and unused-pin checks followed that choice.
pub fn unit_matches_model(device: &DeviceInfo, model: &ModelSpec) -> Verdict {
    let chosen = tr(&model.name, "en");
    match model_cells(&device.model) {
        Some(n) if n == model.max_cells => Verdict::pass(),
        Some(n) => Verdict::fail(vec![reason(
            "unit_model_mismatch",
            format!(
                "the BMS on the link reports model {} (a {n}-cell unit) but set-up chose a {}-cell \
                 unit ({chosen}): this is another unit, or the wrong model was chosen — connect \
                 to this pack's BMS, or correct the model at set-up (the ladder's last-pin and \
                 unused-pin checks followed it)",
                device.model, model.max_cells
            ),
        )]),
        None => Verdict::fail(vec![reason(
            "unit_model_unknown",
            format!(
                "the BMS reports model '{}', which names no cell count: it cannot be matched \
                 with {chosen} chosen at set-up",
                device.model
            ),
        )]),
    }
}

/// The pack voltage the unit reports agrees with the one measured with the meter, within
/// `tolerance`: the unit is on this pack (not a neighbour's), and a voltage calibration made
/// in the app agrees with the meter. Both values are named either way.
pub fn pack_voltage_matches(cells: &CellInfo, measured: Volts, tolerance: Volts) -> Verdict {
    let live = cells.pack_voltage;
    let apart = (live.0 - measured.0).abs();
    if apart <= tolerance.0 + 1e-9 {
        return Verdict::pass();
    }
    Verdict::fail(vec![reason(
        "pack_voltage_mismatch",
        format!(
            "the BMS reads the pack at {live:.2} but the meter measured {measured:.2} at the \
             multimeter test ({:.2} apart, more than {tolerance:.2}): either this BMS sits on \
             another pack (connect to this pack's BMS), or its voltage calibration is off \
             (calibrate to the meter's {measured:.2} in Calibrating Volt(V), never to a label)",
            Volts(apart)
        ),
    )])
}

/// Probe `i` (0-based) present and plausible, or why not.
fn probe_reason(cells: &CellInfo, limits: &Limits, i: usize, note: &str) -> Option<Reason> {
    let [lo, hi] = limits.probe_plausible;
    match cells.probes.get(i).copied().flatten() {
        None => Some(reason(
            "probe_missing",
            format!(
                "temperature probe {} gives no reading: plug in the NTC probe (wiring step 6){note}",
                i + 1
            ),
        )),
        Some(t) if t.0 < lo || t.0 > hi => Some(reason(
            "probe_implausible",
            format!(
                "temperature probe {} reads {t:.1}, outside {lo}–{hi} °C: a broken or unplugged \
                 probe{note}",
                i + 1
            ),
        )),
        Some(_) => None,
    }
}

/// The manual's NTC probe (probe 1) present and plausible, and no sensor alarm. Further
/// probes are [`probe_count`]'s: the manual gives no count.
pub fn probes_present(cells: &CellInfo, limits: &Limits) -> Verdict {
    let mut reasons: Vec<Reason> = probe_reason(cells, limits, 0, "").into_iter().collect();
    if cells.alarms().contains(&Alarm::TemperatureSensor) {
        reasons.push(reason(
            "probe_alarm",
            "the BMS reports a temperature sensor (NTC) anomaly: check the probes and their plug"
                .to_string(),
        ));
    }
    verdict(reasons)
}

/// Probes 2..=`expected` present and plausible: how many probes a model ships with is this
/// tool's model data, not the manual's, and every reason says so.
pub fn probe_count(cells: &CellInfo, limits: &Limits, expected: u32) -> Verdict {
    let note = format!(
        " (this tool's assumption: the model data lists {expected} probes; the manual speaks of \
         the probe(s) without a count)"
    );
    verdict(
        (1..expected as usize)
            .filter_map(|i| probe_reason(cells, limits, i, &note))
            .collect(),
    )
}

/// A cold site: Charge UTPR and UTP set so charging below freezing is blocked.
pub fn cold_site(settings: &Settings, cold_site: bool, limits: &Limits) -> Verdict {
    if !cold_site {
        return Verdict::pass();
    }
    let mut reasons = Vec::new();
    let utpr = settings.charge_utpr;
    if (utpr.0 - limits.cold_utpr).abs() > 0.5 + 1e-9 {
        reasons.push(reason(
            "charge_utpr",
            format!(
                "Charge UTPR is {utpr:.1}: set it to {} °C so charging below freezing is blocked",
                limits.cold_utpr
            ),
        ));
    }
    let utp = settings.charge_utp;
    let [lo, hi] = limits.cold_utp;
    if utp.0 < lo - 1e-9 || utp.0 > hi + 1e-9 {
        reasons.push(reason(
            "charge_utp",
            format!("Charge UTP is {utp:.1}: set it to {lo}–{hi} °C"),
        ));
    }
    verdict(reasons)
}

/// No fault alarm active; each named with the manual's error number. The password reminder is
/// no fault; bits nobody knows are reported as unknown rather than ignored.
pub fn no_alarm(cells: &CellInfo) -> Verdict {
    let mut reasons: Vec<Reason> = cells
        .alarms()
        .into_iter()
        .filter(|a| a.is_fault())
        .map(|a| {
            let text = match a.manual_error() {
                Some(e) => format!(
                    "{} — error {}: {} ({})",
                    a.text(),
                    e.0,
                    e.describe(),
                    ManualError::MAPPING_SOURCE
                ),
                None => format!("{} (not on the manual's error list)", a.text()),
            };
            reason(a.name(), text)
        })
        .collect();
    let unknown = unknown_alarm_bits(cells.alarm_bits);
    for bit in (0..32).filter(|b| unknown & (1 << b) != 0) {
        reasons.push(reason(
            "unknown_alarm",
            format!("unknown alarm bit {bit} is set: the unit reports something this program does not know"),
        ));
    }
    verdict(reasons)
}

/// No factory set loaded since configuration began (choosing the battery type again wipes
/// every change). Without a logbook there is nothing to judge.
pub fn no_factory_reset(logbook: Option<&Logbook>, baseline: Option<usize>) -> Verdict {
    let (Some(logbook), Some(baseline)) = (logbook, baseline) else {
        return Verdict::pass();
    };
    let resets: Vec<Chemistry> = logbook
        .entries
        .iter()
        .filter_map(|e| e.factory_reset())
        .collect();
    // The operator chooses the battery type once, at configuration step 3, after the
    // baseline was taken; any further load wiped what was set after it.
    if resets.len() <= baseline + 1 {
        return Verdict::pass();
    }
    let last = resets.last().map(|c| c.app_label()).unwrap_or("?");
    Verdict::fail(vec![reason(
        "factory_reset",
        format!(
            "the battery type was chosen again: every change was reset (the logbook shows {} \
             factory-settings loads, {baseline} before the battery type was chosen; last {last}) — set \
             Cell Count, capacity and the rest again",
            resets.len()
        ),
    )])
}

/// The protection test: both cut-offs seen, each at the set Cell OVP / UVP.
pub fn protection_test(obs: &ProtectionObs, settings: &Settings, limits: &Limits) -> Verdict {
    let tol = limits.protection_tolerance.0;
    let mut reasons = Vec::new();
    let mut judge = |cut: Option<Cutoff>, what: &str, how: &str, set: Volts, name: &str| match cut {
        None => reasons.push(reason(
            &format!("no_{what}_cutoff"),
            format!("no {what} cut-off seen yet: {how} until the BMS disconnects"),
        )),
        Some(c) if (c.cell_voltage.0 - set.0).abs() > tol + 1e-9 => reasons.push(reason(
            &format!("{what}_cutoff_off"),
            format!(
                "the {what} cut-off came at {:.3} but {name} is {set:.3} (more than {:.3} \
                 apart): check the settings and the cell voltage readings",
                c.cell_voltage, limits.protection_tolerance
            ),
        )),
        Some(_) => {}
    };
    judge(
        obs.charge,
        "charge",
        "charge",
        settings.cell_ovp,
        "Cell OVP",
    );
    judge(
        obs.discharge,
        "discharge",
        "discharge",
        settings.cell_uvp,
        "Cell UVP",
    );
    verdict(reasons)
}

/// Compare two consecutive cell frames: did the BMS just cut off?
///
/// The charge FET opening while current flowed in is a charge cut-off, judged by the highest
/// cell; the discharge FET opening while current flowed out is a discharge cut-off, judged by
/// the lowest. Both frames are looked at, since the voltage relaxes once the FET is open.
pub fn observe_cutoff(prev: &CellInfo, next: &CellInfo) -> Option<(CutoffKind, Cutoff)> {
    let charging = prev.current.0 > 0.0 || next.current.0 > 0.0;
    let discharging = prev.current.0 < 0.0 || next.current.0 < 0.0;
    let voltages = || {
        prev.connected()
            .chain(next.connected())
            .map(|(_, v)| v.0)
            .filter(|v| *v > 0.0)
    };
    if prev.charging && !next.charging && charging {
        let highest = voltages().fold(f64::NEG_INFINITY, f64::max);
        if highest.is_finite() {
            return Some((
                CutoffKind::Charge,
                Cutoff {
                    cell_voltage: Volts(highest),
                },
            ));
        }
    }
    if prev.discharging && !next.discharging && discharging {
        let lowest = voltages().fold(f64::INFINITY, f64::min);
        if lowest.is_finite() {
            return Some((
                CutoffKind::Discharge,
                Cutoff {
                    cell_voltage: Volts(lowest),
                },
            ));
        }
    }
    None
}

/// "17, 18, 19".
fn list(numbers: &[usize]) -> String {
    numbers
        .iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests;

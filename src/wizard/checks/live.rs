//! The gates that watch the live BMS: STATUS, SETTINGS, CONTROL and the protection test.
//!
//! Each takes only the data it judges, so the engine (through `evaluate`) decides what must be
//! present and fresh first. Reasons name the values read and the values wanted.

use crate::bms::model::{
    unknown_alarm_bits, Alarm, CellInfo, Chemistry, DeviceInfo, Logbook, ManualError, Settings,
};
use crate::units::{AmpHours, Volts};
use crate::wizard::spec::{ChemistrySpec, Limits, ModelSpec, WizardSpec};
use crate::wizard::words::{Arg, Say, Unit};

use super::edge::{below, reaches, within};
use super::{Cutoff, CutoffKind, LiveData, ProtectionObs, Reason, Verdict};

fn reason(code: &str, say: Say) -> Reason {
    Reason::new(code, say)
}

fn v(value: Volts, decimals: u8) -> Arg {
    Arg::volts(value.0, decimals)
}

fn verdict(reasons: Vec<Reason>) -> Verdict {
    if reasons.is_empty() {
        Verdict::pass()
    } else {
        Verdict::fail(reasons)
    }
}

/// A chemistry's name in every language, carried with the reason.
fn chemistry_of(chem: &ChemistrySpec) -> Arg {
    Arg::Text(chem.name.clone())
}

/// An alarm's name, in words at the edge (wizard.yaml's `alarm.<name>`).
pub fn alarm_name(a: Alarm) -> Say {
    Say::plain(&format!("alarm.{}", a.name()))
}

/// The manual's error `e` in words (wizard.yaml's `error.<n>`).
pub fn error_text(e: ManualError) -> Say {
    Say::plain(&format!("error.{}", e.0))
}

/// The link is up and the last cell data is no older than `limits.live_max_age_s`.
pub fn live_connected(live: &LiveData, limits: &Limits, now_ms: i64) -> Verdict {
    if !live.connected {
        return Verdict::fail(vec![reason("live_connected", Say::plain("not_connected"))]);
    }
    let (Some(_), Some(at)) = (&live.cells, live.cells_at_ms) else {
        return Verdict::fail(vec![reason("live_connected", Say::plain("no_cell_data"))]);
    };
    let age_s = (now_ms - at) as f64 / 1000.0;
    if !within(age_s, limits.live_max_age_s) {
        return Verdict::fail(vec![reason(
            "live_connected",
            Say::new(
                "cell_data_old",
                [
                    ("age", Arg::quantity(age_s, Unit::S, 1)),
                    ("max", Arg::quantity(limits.live_max_age_s, Unit::S, 0)),
                ],
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
                Say::new("cell_not_visible", [("cell", Arg::int(i as i64 + 1))]),
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
            Say::new(
                "extra_cells",
                [
                    (
                        "extra",
                        Arg::Numbers(extra.iter().map(|&c| c as u32).collect()),
                    ),
                    ("n", Arg::int(n)),
                    ("shown", Arg::int((n as usize + extra.len()) as i64)),
                ],
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
            Say::plain("no_cell_visible"),
        )]);
    }
    verdict(
        seen.into_iter()
            .filter(|(_, v)| !range.contains(*v))
            .map(|(i, v)| {
                reason(
                    "cell_implausible",
                    Say::new(
                        "cell_implausible",
                        [
                            ("cell", Arg::int(i as i64 + 1)),
                            ("chemistry", chemistry_of(chem)),
                            ("range", Arg::volt_range(range.min.0, range.max.0, 2)),
                            ("reads", Arg::volts(v.0, 3)),
                        ],
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
        Say::new(
            "cell_count_setting",
            [("n", Arg::int(n)), ("set", Arg::int(settings.cell_count))],
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
            Say::new(
                "no_chemistry_limits",
                [("chemistry", Arg::verbatim(chemistry.to_string()))],
            ),
        )]);
    };
    let ovp = settings.cell_ovp;
    let in_window =
        |w: &crate::wizard::spec::VoltRange| reaches(ovp.0, w.min.0) && within(ovp.0, w.max.0);
    if in_window(&chem.ovp_window) {
        return Verdict::pass();
    }
    let looks_like = spec
        .chemistries
        .iter()
        .find(|(c, s)| **c != chemistry && in_window(&s.ovp_window));
    let say = match looks_like {
        Some((_, other)) => Say::new(
            "ovp_other_chemistry",
            [
                ("app_label", Arg::verbatim(chemistry.app_label())),
                ("chemistry", chemistry_of(chem)),
                ("other", chemistry_of(other)),
                ("ovp", v(ovp, 2)),
            ],
        ),
        None => Say::new(
            "ovp_outside_window",
            [
                ("chemistry", chemistry_of(chem)),
                ("factory", v(chem.cell_ovp, 2)),
                ("max_charge", v(chem.max_charge_voltage, 2)),
                ("ovp", v(ovp, 2)),
                (
                    "window",
                    Arg::volt_range(chem.ovp_window.min.0, chem.ovp_window.max.0, 2),
                ),
            ],
        ),
    };
    Verdict::fail(vec![reason("ovp_matches_chemistry", say)])
}

/// Cell UVP inside the chemistry's UVP window (its top below the OVP window, its bottom at
/// the cells' lowest safe discharge voltage) and below the Cell OVP actually set: a UVP at or
/// above the OVP leaves no voltage at which the pack may be used.
pub fn uvp_matches_chemistry(settings: &Settings, chem: &ChemistrySpec) -> Verdict {
    let (uvp, ovp) = (settings.cell_uvp, settings.cell_ovp);
    let w = &chem.uvp_window;
    let window = Arg::volt_range(w.min.0, w.max.0, 2);
    let mut reasons = Vec::new();
    if !below(uvp.0, ovp.0) {
        reasons.push(reason(
            "uvp_above_ovp",
            Say::new(
                "uvp_above_ovp",
                [
                    ("ovp", v(ovp, 2)),
                    ("uvp", v(uvp, 2)),
                    ("window", window.clone()),
                ],
            ),
        ));
    }
    if !reaches(uvp.0, w.min.0) {
        reasons.push(reason(
            "uvp_too_low",
            Say::new(
                "uvp_too_low",
                [
                    ("chemistry", chemistry_of(chem)),
                    ("min_discharge", v(chem.min_discharge_voltage, 2)),
                    ("uvp", v(uvp, 2)),
                    ("window", window),
                ],
            ),
        ));
    } else if !within(uvp.0, w.max.0) {
        reasons.push(reason(
            "uvp_too_high",
            Say::new(
                "uvp_too_high",
                [
                    ("chemistry", chemistry_of(chem)),
                    ("uvp", v(uvp, 2)),
                    ("window", window),
                ],
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
            Say::new(
                "capacity_zero",
                [("entered", Arg::quantity(entered.0, Unit::Ah, 1))],
            ),
        )]);
    }
    let tolerance = (0.01 * entered.0).max(0.5);
    if within((set.0 - entered.0).abs(), tolerance) {
        return Verdict::pass();
    }
    Verdict::fail(vec![reason(
        "capacity_set",
        Say::new(
            "capacity_set",
            [
                ("entered", Arg::quantity(entered.0, Unit::Ah, 1)),
                ("set", Arg::quantity(set.0, Unit::Ah, 1)),
            ],
        ),
    )])
}

/// "Balance Trig.Volt" at the factory value, unless it was changed on purpose.
pub fn balance_trigger(settings: &Settings, limits: &Limits, changed_on_purpose: bool) -> Verdict {
    let set = settings.balance_trigger;
    if changed_on_purpose || within((set.0 - limits.balance_trigger.0).abs(), 0.001) {
        return Verdict::pass();
    }
    Verdict::fail(vec![reason(
        "balance_trigger",
        Say::new(
            "balance_trigger",
            [
                ("factory", v(limits.balance_trigger, 3)),
                ("set", v(set, 3)),
            ],
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
                    Say::new("switch_off", [("switch", Arg::verbatim(*name))]),
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
            Say::plain("temp_sensor_disabled"),
        )]),
        _ => Verdict::pass(),
    }
}

/// CONTROL: "Emergency" off — while it is on, the unit lets the pack be drawn past its
/// cut-off. Frames that carry no Emergency switch (24S firmware) have nothing against it here;
/// `checks::unreadable` then hands the gate to the operator's confirmation.
pub fn emergency_off(cells: &CellInfo) -> Verdict {
    if cells.emergency == Some(true) {
        return Verdict::fail(vec![reason("emergency_on", Say::plain("emergency_on"))]);
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
    let chosen = || Arg::Text(model.name.clone());
    match model_cells(&device.model) {
        Some(n) if n == model.max_cells => Verdict::pass(),
        Some(n) => Verdict::fail(vec![reason(
            "unit_model_mismatch",
            Say::new(
                "unit_model_mismatch",
                [
                    ("chosen", chosen()),
                    ("chosen_cells", Arg::int(model.max_cells)),
                    ("n", Arg::int(n)),
                    ("reported", Arg::verbatim(device.model.clone())),
                ],
            ),
        )]),
        None => Verdict::fail(vec![reason(
            "unit_model_unknown",
            Say::new(
                "unit_model_unknown",
                [
                    ("chosen", chosen()),
                    ("reported", Arg::verbatim(device.model.clone())),
                ],
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
    if within(apart, tolerance.0) {
        return Verdict::pass();
    }
    Verdict::fail(vec![reason(
        "pack_voltage_mismatch",
        Say::new(
            "pack_voltage_mismatch",
            [
                ("apart", Arg::volts(apart, 2)),
                ("live", v(live, 2)),
                ("measured", v(measured, 2)),
                ("tolerance", v(tolerance, 2)),
            ],
        ),
    )])
}

/// Probe `i` (0-based) present and plausible, or why not.
fn probe_reason(cells: &CellInfo, limits: &Limits, i: usize, note: &Say) -> Option<Reason> {
    let [lo, hi] = limits.probe_plausible;
    let probe = Arg::int(i as i64 + 1);
    match cells.probes.get(i).copied().flatten() {
        None => Some(reason(
            "probe_missing",
            Say::new(
                "probe_missing",
                [("note", Arg::say(note.clone())), ("probe", probe)],
            ),
        )),
        Some(t) if !reaches(t.0, lo) || !within(t.0, hi) => Some(reason(
            "probe_implausible",
            Say::new(
                "probe_implausible",
                [
                    ("note", Arg::say(note.clone())),
                    ("probe", probe),
                    (
                        "range",
                        Arg::Range {
                            min: lo,
                            max: hi,
                            unit: Unit::Celsius,
                            decimals: 0,
                        },
                    ),
                    ("reads", Arg::quantity(t.0, Unit::Celsius, 1)),
                ],
            ),
        )),
        Some(_) => None,
    }
}

/// The manual's NTC probe (probe 1) present and plausible, and no sensor alarm. Further
/// probes are [`probe_count`]'s: the manual gives no count.
pub fn probes_present(cells: &CellInfo, limits: &Limits) -> Verdict {
    let mut reasons: Vec<Reason> = probe_reason(cells, limits, 0, &Say::plain("part.empty"))
        .into_iter()
        .collect();
    if cells.alarms().contains(&Alarm::TemperatureSensor) {
        reasons.push(reason("probe_alarm", Say::plain("probe_alarm")));
    }
    verdict(reasons)
}

/// Probes 2..=`expected` present and plausible: how many probes a model ships with is this
/// tool's model data, not the manual's, and every reason says so.
pub fn probe_count(cells: &CellInfo, limits: &Limits, expected: u32) -> Verdict {
    let note = Say::new("part.probe_count_note", [("expected", Arg::int(expected))]);
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
    if !within((utpr.0 - limits.cold_utpr).abs(), 0.5) {
        reasons.push(reason(
            "charge_utpr",
            Say::new(
                "charge_utpr",
                [
                    ("set", Arg::quantity(utpr.0, Unit::Celsius, 1)),
                    ("wanted", Arg::quantity(limits.cold_utpr, Unit::Celsius, 0)),
                ],
            ),
        ));
    }
    let utp = settings.charge_utp;
    let [lo, hi] = limits.cold_utp;
    if !reaches(utp.0, lo) || !within(utp.0, hi) {
        reasons.push(reason(
            "charge_utp",
            Say::new(
                "charge_utp",
                [
                    ("set", Arg::quantity(utp.0, Unit::Celsius, 1)),
                    (
                        "wanted",
                        Arg::Range {
                            min: lo,
                            max: hi,
                            unit: Unit::Celsius,
                            decimals: 0,
                        },
                    ),
                ],
            ),
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
            let alarm = Arg::say(alarm_name(a));
            let say = match a.manual_error() {
                Some(e) => Say::new(
                    "alarm_with_error",
                    [
                        ("alarm", alarm),
                        ("error", Arg::int(e.0)),
                        ("error_text", Arg::say(error_text(e))),
                    ],
                ),
                None => Say::new("alarm_not_listed", [("alarm", alarm)]),
            };
            reason(a.name(), say)
        })
        .collect();
    let unknown = unknown_alarm_bits(cells.alarm_bits);
    for bit in (0..32).filter(|b| unknown & (1 << b) != 0) {
        reasons.push(reason(
            "unknown_alarm",
            Say::new("unknown_alarm", [("bit", Arg::int(bit))]),
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
        Say::new(
            "factory_reset",
            [
                ("baseline", Arg::int(baseline as i64)),
                ("last", Arg::verbatim(last)),
                ("loads", Arg::int(resets.len() as i64)),
            ],
        ),
    )])
}

/// The protection test: both cut-offs seen, each at the set Cell OVP / UVP.
pub fn protection_test(obs: &ProtectionObs, settings: &Settings, limits: &Limits) -> Verdict {
    let tol = limits.protection_tolerance.0;
    let mut reasons = Vec::new();
    let mut judge = |cut: Option<Cutoff>, what: &str, set: Volts| match cut {
        None => {
            let code = format!("no_{what}_cutoff");
            reasons.push(reason(&code, Say::plain(&code)))
        }
        Some(c) if !within((c.cell_voltage.0 - set.0).abs(), tol) => {
            let code = format!("{what}_cutoff_off");
            reasons.push(reason(
                &code,
                Say::new(
                    &code,
                    [
                        ("at", v(c.cell_voltage, 3)),
                        ("set", v(set, 3)),
                        ("tolerance", v(limits.protection_tolerance, 3)),
                    ],
                ),
            ))
        }
        Some(_) => {}
    };
    judge(obs.charge, "charge", settings.cell_ovp);
    judge(obs.discharge, "discharge", settings.cell_uvp);
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

#[cfg(test)]
mod tests;

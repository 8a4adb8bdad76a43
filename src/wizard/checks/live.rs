//! The gates that watch the live BMS: STATUS, SETTINGS, CONTROL and the protection test.
//!
//! Each takes only the data it judges, so the engine (through `evaluate`) decides what must be
//! present and fresh first. Reasons name the values read and the values wanted.

use crate::bms::model::{
    unknown_alarm_bits, Alarm, CellInfo, Chemistry, Logbook, ManualError, Settings,
};
use crate::units::{AmpHours, Volts};
use crate::wizard::spec::{tr, ChemistrySpec, Limits, WizardSpec};

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

/// NTC probes 1 and 2 present and plausible, and no sensor alarm.
pub fn probes_present(cells: &CellInfo, limits: &Limits) -> Verdict {
    let [lo, hi] = limits.probe_plausible;
    let mut reasons = Vec::new();
    for i in 0..2 {
        match cells.probes.get(i).copied().flatten() {
            None => reasons.push(reason(
                "probe_missing",
                format!(
                    "temperature probe {} gives no reading: plug in the NTC probe (wiring step 6)",
                    i + 1
                ),
            )),
            Some(t) if t.0 < lo || t.0 > hi => reasons.push(reason(
                "probe_implausible",
                format!(
                    "temperature probe {} reads {t:.1}, outside {lo}–{hi} °C: a broken or \
                     unplugged probe",
                    i + 1
                ),
            )),
            Some(_) => {}
        }
    }
    if cells.alarms().contains(&Alarm::TemperatureSensor) {
        reasons.push(reason(
            "probe_alarm",
            "the BMS reports a temperature sensor (NTC) anomaly: check the probes and their plug"
                .to_string(),
        ));
    }
    verdict(reasons)
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
mod tests {
    use super::*;
    use crate::bms::model::{ControlBits, LogEntry};
    use crate::units::{Amps, Celsius};
    use crate::wizard::checks::testkit::*;

    fn texts(v: &Verdict) -> Vec<String> {
        v.reasons.iter().map(|r| r.text.clone()).collect()
    }

    fn sixteen() -> CellInfo {
        cell_info(&pack_cells(16, 3.3))
    }

    #[test]
    fn live_data_must_be_connected_and_fresh() {
        let mut live = LiveData {
            connected: true,
            cells: Some(sixteen()),
            cells_at_ms: Some(1_000_000),
            ..LiveData::default()
        };
        assert!(live_connected(&live, &limits(), 1_004_000).ok);
        let stale = live_connected(&live, &limits(), 1_012_300);
        assert!(!stale.ok);
        assert!(
            texts(&stale)[0].contains("12.3 s old (more than 5 s)"),
            "{stale:?}"
        );
        live.connected = false;
        assert!(texts(&live_connected(&live, &limits(), 1_000_000))[0].contains("not connected"));
        live.connected = true;
        live.cells = None;
        assert!(!live_connected(&live, &limits(), 1_000_000).ok);
    }

    #[test]
    fn every_cell_must_be_visible_and_missing_ones_are_named() {
        assert!(cells_visible(&sixteen(), 16).ok);
        let mut cells = sixteen();
        cells.enabled_mask &= !(1 << 6);
        cells.cell_voltages[11] = Volts(0.0);
        let v = cells_visible(&cells, 16);
        assert_eq!(
            texts(&v).iter().map(|t| &t[..20]).collect::<Vec<_>>(),
            ["cell 7 not visible: ", "cell 12 not visible:"]
        );
        assert!(texts(&v)[0].contains("wiring error or poor contact (error 9)"));
        // More cells than the pack has.
        let v = cells_visible(&cell_info(&pack_cells(17, 3.3)), 16);
        assert!(!v.ok);
        assert!(
            texts(&v)[0].contains("shows 17 cells but the pack has 16"),
            "{v:?}"
        );
        // Slots enabled by a factory Cell Count but reading 0 V are no extra cells.
        let mut cells = sixteen();
        cells.enabled_mask = (1 << 24) - 1;
        assert!(cells_visible(&cells, 16).ok);
    }

    #[test]
    fn cell_voltages_must_be_plausible_for_the_chemistry() {
        assert!(cells_plausible(&sixteen(), 16, &lifepo4()).ok);
        let mut cells = sixteen();
        cells.cell_voltages[4] = Volts(1.2);
        let v = cells_plausible(&cells, 16, &lifepo4());
        assert_eq!(v.reasons.len(), 1);
        assert!(
            texts(&v)[0].starts_with("cell 5 reads 1.200 V, outside the 2.00–3.65 V"),
            "{v:?}"
        );
        // A Li-ion pack under LiFePO4 limits: every cell out.
        let v = cells_plausible(&cell_info(&pack_cells(8, 4.0)), 8, &lifepo4());
        assert_eq!(v.reasons.len(), 8);
    }

    #[test]
    fn cell_count_must_match_the_pack() {
        let mut s = settings_lifepo4();
        assert!(cell_count_setting(&s, 16).ok);
        s.cell_count = 24;
        let v = cell_count_setting(&s, 16);
        assert_eq!(
            texts(&v),
            ["Cell Count is 24 but the pack has 16 cells in series: set Cell Count to 16"]
        );
    }

    #[test]
    fn ovp_names_the_chemistry_it_belongs_to() {
        let mut s = settings_lifepo4();
        assert!(ovp_matches_chemistry(&s, Chemistry::LiFePo4, &spec()).ok);
        s.cell_ovp = Volts(4.2);
        let v = ovp_matches_chemistry(&s, Chemistry::LiFePo4, &spec());
        assert!(
            texts(&v)[0]
                .starts_with("OVP 4.20 V is the Li-ion factory set, but the pack is LiFePO4"),
            "{v:?}"
        );
        s.cell_ovp = Volts(3.8);
        let v = ovp_matches_chemistry(&s, Chemistry::LiFePo4, &spec());
        assert!(
            texts(&v)[0].contains("outside 3.45 V–3.65 V accepted for LiFePO4"),
            "{v:?}"
        );
        s.cell_ovp = Volts(2.7);
        assert!(ovp_matches_chemistry(&s, Chemistry::Lto, &spec()).ok);
    }

    #[test]
    fn an_ovp_above_the_chemistry_maximum_charge_voltage_is_refused() {
        let mut s = settings_lifepo4();
        // The window's top is the datasheet maximum: exactly it passes, 0.01 V above does not.
        for (chemistry, top, beyond) in [
            (Chemistry::LiFePo4, 3.65, [3.66, 3.70]),
            (Chemistry::LiIon, 4.25, [4.26, 4.30]),
            (Chemistry::Lto, 2.70, [2.71, 2.80]),
        ] {
            s.cell_ovp = Volts(top);
            assert!(ovp_matches_chemistry(&s, chemistry, &spec()).ok, "{top}");
            for v in beyond {
                s.cell_ovp = Volts(v);
                let verdict = ovp_matches_chemistry(&s, chemistry, &spec());
                assert!(!verdict.ok, "{chemistry} OVP {v} passed");
                assert!(
                    texts(&verdict)[0].contains(&format!("charged to {top:.2} V at most")),
                    "{verdict:?}"
                );
            }
        }
    }

    #[test]
    fn capacity_must_be_set_to_what_was_entered() {
        let mut s = settings_lifepo4();
        assert!(capacity_set(&s, AmpHours(280.0)).ok);
        assert!(capacity_set(&s, AmpHours(282.5)).ok); // within 1 %
        assert!(!capacity_set(&s, AmpHours(290.0)).ok);
        s.capacity = AmpHours(0.0);
        assert!(texts(&capacity_set(&s, AmpHours(280.0)))[0].contains("0 Ah: set it to 280.0 Ah"));
        s.capacity = AmpHours(10.4);
        assert!(capacity_set(&s, AmpHours(10.0)).ok); // within 0.5 Ah
        assert!(!capacity_set(&s, AmpHours(9.0)).ok);
    }

    #[test]
    fn balance_trigger_stays_at_the_factory_value_unless_changed_on_purpose() {
        let mut s = settings_lifepo4();
        assert!(balance_trigger(&s, &limits(), false).ok);
        s.balance_trigger = Volts(0.05);
        let v = balance_trigger(&s, &limits(), false);
        assert!(
            texts(&v)[0].contains("0.050 V, the factory value is 0.010 V"),
            "{v:?}"
        );
        assert!(balance_trigger(&s, &limits(), true).ok);
    }

    #[test]
    fn each_switch_that_is_off_is_named() {
        let mut s = settings_lifepo4();
        assert!(switches_on(&s).ok);
        s.charge_switch = false;
        s.balance_switch = false;
        let v = switches_on(&s);
        assert_eq!(v.reasons.len(), 2);
        assert!(texts(&v)[0].contains("Charge switch"));
        assert!(texts(&v)[1].contains("Balance switch"));
    }

    #[test]
    fn temp_sensor_must_not_be_disabled_and_no_control_word_invents_nothing() {
        let mut s = settings_lifepo4();
        assert!(temp_sensor_enabled(&s).ok);
        s.control = Some(ControlBits {
            disable_temp_sensors: true,
            ..ControlBits::default()
        });
        assert!(texts(&temp_sensor_enabled(&s))[0].contains("Disable Temp. Sensor is on"));
        s.control = None;
        let v = temp_sensor_enabled(&s);
        assert!(v.ok && v.reasons.is_empty());
    }

    #[test]
    fn probes_must_be_present_plausible_and_without_alarm() {
        assert!(probes_present(&sixteen(), &limits()).ok);
        let mut cells = sixteen();
        cells.probes[1] = None;
        let v = probes_present(&cells, &limits());
        assert!(texts(&v)[0].contains("probe 2 gives no reading"), "{v:?}");
        let mut cells = sixteen();
        cells.probes[0] = Some(Celsius(-40.0));
        assert!(texts(&probes_present(&cells, &limits()))[0].contains("probe 1 reads -40.0 °C"));
        let mut cells = sixteen();
        cells.alarm_bits = 1 << Alarm::TemperatureSensor.bit();
        assert!(texts(&probes_present(&cells, &limits()))[0].contains("NTC"));
    }

    #[test]
    fn a_cold_site_needs_utpr_and_utp_set() {
        let mut s = settings_lifepo4();
        assert!(cold_site(&s, false, &limits()).ok);
        let v = cold_site(&s, true, &limits());
        assert_eq!(v.reasons.len(), 2, "{v:?}");
        assert!(texts(&v)[0].contains("Charge UTPR is 0.0 °C: set it to 5 °C"));
        assert!(texts(&v)[1].contains("Charge UTP is -5.0 °C: set it to 1–2 °C"));
        s.charge_utpr = Celsius(5.0);
        s.charge_utp = Celsius(2.0);
        assert!(cold_site(&s, true, &limits()).ok);
        s.charge_utp = Celsius(3.0);
        assert!(!cold_site(&s, true, &limits()).ok);
    }

    #[test]
    fn alarms_are_named_with_the_manual_error_and_the_password_reminder_is_no_fault() {
        let mut cells = sixteen();
        cells.alarm_bits = 1 << Alarm::DefaultPassword.bit();
        assert!(no_alarm(&cells).ok);
        cells.alarm_bits |= (1 << Alarm::CellUnderVoltage.bit()) | (1 << 18);
        let v = no_alarm(&cells);
        assert_eq!(v.reasons.len(), 2);
        assert_eq!(v.reasons[0].code, "cell_under_voltage");
        assert!(
            texts(&v)[0].contains("error 1: cell under-voltage"),
            "{v:?}"
        );
        // The number is ours: the manual maps no alarm bits, and the reason says so.
        assert!(
            texts(&v)[0].contains("this tool's mapping of the alarm bits, not the manual's"),
            "{v:?}"
        );
        assert!(texts(&v)[1].contains("unknown alarm bit 18"), "{v:?}");
    }

    #[test]
    fn too_cold_to_charge_is_not_shown_as_over_temperature() {
        let mut cells = sixteen();
        cells.alarm_bits = 1 << Alarm::ChargeUnderTemperature.bit();
        let v = no_alarm(&cells);
        assert_eq!(
            texts(&v),
            ["Too cold to charge (not on the manual's error list)"]
        );
        assert!(!texts(&v)[0].contains("error 5"), "{v:?}");
    }

    #[test]
    fn choosing_the_battery_type_again_is_caught_from_the_logbook() {
        let factory = |c| LogEntry {
            seconds: 100,
            code: LogEntry::factory_code(c),
        };
        let mut book = Logbook {
            entries: vec![
                LogEntry {
                    seconds: 1,
                    code: 0x01,
                },
                factory(Chemistry::LiFePo4),
            ],
        };
        // No factory load before the step, the operator's one choice: fine.
        assert!(no_factory_reset(Some(&book), Some(0)).ok);
        book.entries.push(factory(Chemistry::LiIon));
        let v = no_factory_reset(Some(&book), Some(0));
        assert!(
            texts(&v)[0].starts_with("the battery type was chosen again: every change was reset")
        );
        assert!(texts(&v)[0].contains("last LI-ION"), "{v:?}");
        assert!(no_factory_reset(None, Some(1)).ok);
    }

    #[test]
    fn protection_test_needs_both_cutoffs_at_the_set_voltages() {
        let s = settings_lifepo4();
        let cut = |v| {
            Some(Cutoff {
                cell_voltage: Volts(v),
            })
        };
        let mut obs = ProtectionObs::default();
        let v = protection_test(&obs, &s, &limits());
        assert_eq!(v.reasons.len(), 2);
        assert!(texts(&v)[0].contains("no charge cut-off"));
        assert!(texts(&v)[1].contains("no discharge cut-off"));
        obs.charge = cut(3.61);
        obs.discharge = cut(2.51);
        assert!(protection_test(&obs, &s, &limits()).ok);
        obs.charge = cut(3.75);
        let v = protection_test(&obs, &s, &limits());
        assert_eq!(v.reasons.len(), 1);
        assert!(
            texts(&v)[0].contains("3.750 V but Cell OVP is 3.600 V"),
            "{v:?}"
        );
    }

    #[test]
    fn a_cutoff_is_the_fet_opening_under_current() {
        let mut prev = sixteen();
        prev.current = Amps(10.0);
        prev.cell_voltages[3] = Volts(3.61);
        let mut next = prev.clone();
        next.charging = false;
        next.current = Amps(0.0);
        next.cell_voltages[3] = Volts(3.45);
        let (kind, cut) = observe_cutoff(&prev, &next).unwrap();
        assert_eq!(kind, CutoffKind::Charge);
        assert_eq!(cut.cell_voltage, Volts(3.61));
        // Discharging: the lowest cell.
        let mut prev = sixteen();
        prev.current = Amps(-20.0);
        prev.cell_voltages[9] = Volts(2.52);
        let mut next = prev.clone();
        next.discharging = false;
        next.current = Amps(0.0);
        let (kind, cut) = observe_cutoff(&prev, &next).unwrap();
        assert_eq!(kind, CutoffKind::Discharge);
        assert_eq!(cut.cell_voltage, Volts(2.52));
        // The operator switching Charge off at rest is no cut-off.
        let prev = sixteen();
        let mut next = prev.clone();
        next.charging = false;
        assert_eq!(observe_cutoff(&prev, &next), None);
        assert_eq!(observe_cutoff(&prev, &prev.clone()), None);
    }
}

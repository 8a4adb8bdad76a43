use super::*;
use crate::bms::model::{ControlBits, LogEntry};
use crate::units::{Amps, Celsius};
use crate::wizard::checks::testkit::*;
use crate::wizard::spec::tr;

fn texts(v: &Verdict) -> Vec<String> {
    v.reasons.iter().map(|r| r.english()).collect()
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
    // Exactly 5 s old is fresh enough; a tenth more is not.
    assert!(live_connected(&live, &limits(), 1_005_000).ok);
    assert!(!live_connected(&live, &limits(), 1_005_100).ok);
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
        texts(&v)[0].contains("shows 17 cells but the pack has 16: cells 17 should"),
        "{v:?}"
    );
    let v = cells_visible(&cell_info(&pack_cells(18, 3.3)), 16);
    assert!(
        texts(&v)[0].contains("cells 17–18 should"),
        "{:?}",
        texts(&v)
    );
    // A pack of 33 asked of a unit with 32 slots: cell 33 cannot show, and says so.
    let v = cells_visible(&cell_info(&pack_cells(32, 3.3)), 33);
    assert_eq!(texts(&v).len(), 1, "{v:?}");
    assert!(texts(&v)[0].starts_with("cell 33 not visible"), "{v:?}");
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
        texts(&v)[0].starts_with("OVP 4.20 V is the Li-ion factory set, but the pack is LiFePO4"),
        "{v:?}"
    );
    s.cell_ovp = Volts(3.8);
    let v = ovp_matches_chemistry(&s, Chemistry::LiFePo4, &spec());
    assert!(
        texts(&v)[0].contains("outside 3.45–3.65 V accepted for LiFePO4"),
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
fn uvp_must_sit_in_the_chemistrys_window_and_below_ovp() {
    let mut s = settings_lifepo4();
    // Both edges of each window, 0.01 V inside and outside.
    for (chem, low, high) in [
        (lifepo4(), 2.50, 3.00),
        (li_ion(), 2.50, 3.30),
        (lto(), 1.50, 2.20),
    ] {
        s.cell_ovp = chem.cell_ovp;
        for (uvp, ok) in [
            (low, true),
            (high, true),
            (low - 0.01, false),
            (high + 0.01, false),
        ] {
            s.cell_uvp = Volts(uvp);
            let v = uvp_matches_chemistry(&s, &chem);
            assert_eq!(v.ok, ok, "{} UVP {uvp}: {v:?}", tr(&chem.name, "en"));
        }
    }
    // 2.0 V on LiFePO4: below the cells' lowest safe voltage.
    let mut s = settings_lifepo4();
    s.cell_uvp = Volts(2.0);
    let v = uvp_matches_chemistry(&s, &lifepo4());
    assert_eq!(v.reasons[0].code, "uvp_too_low");
    assert!(
        texts(&v)[0].starts_with(
            "Cell UVP 2.00 V is below 2.50–3.00 V accepted for LiFePO4: its cells would be \
                 discharged below 2.50 V"
        ),
        "{v:?}"
    );
    // UVP above OVP: refused as such, whatever the window says.
    s.cell_uvp = Volts(3.0);
    s.cell_ovp = Volts(2.9);
    let v = uvp_matches_chemistry(&s, &lifepo4());
    assert_eq!(v.reasons.len(), 1, "{v:?}");
    assert_eq!(v.reasons[0].code, "uvp_above_ovp");
    assert!(texts(&v)[0].contains("Cell UVP 3.00 V is not below Cell OVP 2.90 V"));
    s.cell_ovp = Volts(3.0);
    assert_eq!(
        uvp_matches_chemistry(&s, &lifepo4()).reasons[0].code,
        "uvp_above_ovp"
    );
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
fn emergency_on_is_refused() {
    let mut cells = sixteen();
    cells.emergency = Some(false);
    assert!(emergency_off(&cells).ok);
    cells.emergency = Some(true);
    let v = emergency_off(&cells);
    assert_eq!(v.reasons[0].code, "emergency_on");
    assert!(
        texts(&v)[0].starts_with("Emergency is ON: the pack is not protected"),
        "{v:?}"
    );
}

#[test]
fn the_cells_a_unit_takes_come_from_its_model_string() {
    assert_eq!(model_cells("JK_B2A24S20P"), Some(24));
    assert_eq!(model_cells("JK-PB2A16S20P"), Some(16));
    assert_eq!(model_cells("JK_B2A8S30P"), Some(8));
    assert_eq!(model_cells("JK-BD6A20S10P"), Some(20));
    assert_eq!(model_cells("JK-B5A24S"), Some(24));
    assert_eq!(model_cells("jk-b2a8s20p"), Some(8));
    assert_eq!(model_cells("JK-BMS"), None);
    assert_eq!(model_cells(""), None);
}

#[test]
fn a_unit_of_another_model_is_refused_naming_both() {
    let device = |model: &str| DeviceInfo {
        model: model.into(),
        ..DeviceInfo::default()
    };
    assert!(unit_matches_model(&device("JK_B2A24S20P"), &b24()).ok);
    let v = unit_matches_model(&device("JK-PB2A16S20P"), &b24());
    assert_eq!(v.reasons[0].code, "unit_model_mismatch");
    assert!(
        texts(&v)[0].contains(
            "reports model JK-PB2A16S20P (a 16-cell unit) but set-up chose a 24-cell unit \
                 (24-cell unit)"
        ),
        "{v:?}"
    );
    let v = unit_matches_model(&device("JK-BMS"), &b16());
    assert_eq!(v.reasons[0].code, "unit_model_unknown");
    assert!(texts(&v)[0].contains("'JK-BMS'"), "{v:?}");
}

#[test]
fn the_units_pack_voltage_must_agree_with_the_meter_within_the_tolerance() {
    let tol = limits().live_pack_tolerance;
    let mut cells = sixteen();
    let measured = Volts(52.80);
    // Both sides of the edge, above and below the meter.
    for (live, ok) in [(52.20, true), (53.40, true), (52.19, false), (53.41, false)] {
        cells.pack_voltage = Volts(live);
        assert_eq!(
            pack_voltage_matches(&cells, measured, tol).ok,
            ok,
            "{live} V against 52.80 V"
        );
    }
    // A calibration to the 48 V label on a 52.8 V pack: both values named.
    cells.pack_voltage = Volts(48.0);
    let v = pack_voltage_matches(&cells, measured, tol);
    assert_eq!(v.reasons[0].code, "pack_voltage_mismatch");
    assert!(
        texts(&v)[0].starts_with(
            "the BMS reads the pack at 48.00 V but the meter measured 52.80 V at the \
                 multimeter test (4.80 V apart, more than 0.60 V)"
        ),
        "{v:?}"
    );
    assert!(
        texts(&v)[0].contains("calibrate to the meter's 52.80 V"),
        "{v:?}"
    );
}

#[test]
fn probes_must_be_present_plausible_and_without_alarm() {
    assert!(probes_present(&sixteen(), &limits()).ok);
    let mut cells = sixteen();
    cells.probes[0] = None;
    let v = probes_present(&cells, &limits());
    assert!(texts(&v)[0].contains("probe 1 gives no reading"), "{v:?}");
    // Probe 2 is the model data's, not the manual's: probe_count judges it.
    let mut cells = sixteen();
    cells.probes[1] = None;
    assert!(probes_present(&cells, &limits()).ok);
    let v = probe_count(&cells, &limits(), 2);
    assert_eq!(v.reasons.len(), 1, "{v:?}");
    assert!(
        texts(&v)[0].starts_with("temperature probe 2 gives no reading"),
        "{v:?}"
    );
    assert!(
        texts(&v)[0].contains("this tool's assumption: the model data lists 2 probes"),
        "{v:?}"
    );
    assert!(probe_count(&cells, &limits(), 1).ok);
    assert!(probe_count(&sixteen(), &limits(), 2).ok);
    let v = probe_count(&sixteen(), &limits(), 3);
    assert!(
        texts(&v)[0].starts_with("temperature probe 3 gives no reading"),
        "{v:?}"
    );
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
    assert!(texts(&v)[0].starts_with("the battery type was chosen again: every change was reset"));
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
    // Nor Discharge off at rest: no current either way, in either frame.
    let mut next = prev.clone();
    next.discharging = false;
    assert_eq!(observe_cutoff(&prev, &next), None);
}

#[test]
fn a_current_seen_only_in_the_frame_after_still_makes_the_cutoff_and_its_direction_counts() {
    // The frame before caught the current at zero (it was just starting); the frame after
    // shows it flowing as the FET opens.
    let at_rest = sixteen();
    assert_eq!(at_rest.current, Amps(0.0));
    let with = |current: f64, charge_open: bool, discharge_open: bool| {
        let mut next = at_rest.clone();
        next.current = Amps(current);
        next.charging = !charge_open;
        next.discharging = !discharge_open;
        observe_cutoff(&at_rest, &next).map(|(kind, _)| kind)
    };
    assert_eq!(with(5.0, true, false), Some(CutoffKind::Charge));
    assert_eq!(with(-5.0, false, true), Some(CutoffKind::Discharge));
    // Current flowing out is no charge cut-off, current flowing in no discharge cut-off.
    assert_eq!(with(-5.0, true, false), None);
    assert_eq!(with(5.0, false, true), None);
}

#[test]
fn a_cell_reading_zero_is_no_reading_and_never_the_cutoffs_voltage() {
    let mut prev = sixteen();
    prev.current = Amps(-20.0);
    prev.cell_voltages[9] = Volts(2.52);
    // Cell 5 dropped out of this frame: 0 V is no voltage a cell has, not the lowest one.
    prev.cell_voltages[4] = Volts(0.0);
    let mut next = prev.clone();
    next.discharging = false;
    next.current = Amps(0.0);
    let (kind, cut) = observe_cutoff(&prev, &next).unwrap();
    assert_eq!(kind, CutoffKind::Discharge);
    assert_eq!(cut.cell_voltage, Volts(2.52));
    // No cell read at all: no cut-off voltage to judge, so none is made up.
    for v in prev
        .cell_voltages
        .iter_mut()
        .chain(next.cell_voltages.iter_mut())
    {
        *v = Volts(0.0);
    }
    assert_eq!(observe_cutoff(&prev, &next), None);
}

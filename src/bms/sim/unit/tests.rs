use super::*;

fn ready() -> SimUnit {
    SimUnit::new(SimConfig::ready()).unwrap()
}

fn has(unit: &SimUnit, alarm: Alarm) -> bool {
    unit.alarm_bits() & (1 << alarm.bit()) != 0
}

fn codes(unit: &SimUnit) -> Vec<u8> {
    unit.logbook().entries.iter().map(|e| e.code).collect()
}

/// Advance in 1 s steps until `done` or `limit` seconds; returns the seconds taken.
fn run_until(unit: &mut SimUnit, limit: u32, done: impl Fn(&SimUnit) -> bool) -> Option<u32> {
    (1..=limit).find(|_| {
        unit.advance(Duration::from_secs(1));
        done(unit)
    })
}

#[test]
fn a_fresh_unit_is_silent_and_unconfigured() {
    let mut unit = SimUnit::new(SimConfig::fresh()).unwrap();
    assert!(!unit.answers());
    assert_eq!(
        unit.unreachable_reason(),
        Some(crate::bms::link::DownReason::NotAnswering)
    );
    // The phone app's refusal says the same as the link.
    assert_eq!(
        crate::bms::link::DownReason::NotAnswering.to_string(),
        NOT_ANSWERING
    );
    assert_eq!(unit.layout(), Layout::S32);
    let s = unit.settings().clone();
    assert_eq!(s.cell_ovp, Volts(4.20), "factory Li-ion set");
    assert_eq!((s.cell_count, s.capacity), (24, AmpHours(100.0)));
    assert!(s.charge_switch && s.discharge_switch && !s.balance_switch);
    assert!(unit.logbook().entries.is_empty());
    assert_eq!(
        unit.apply(&AppAction::CellCount(16)),
        Err(SimError::NotAnswering(NOT_ANSWERING))
    );
    assert_eq!(unit.apply(&AppAction::Activate), Err(SimError::NoPower));
    // The pack is there all the same: a meter on the balance lead sees it.
    let pins = unit.tap_voltages();
    assert_eq!(pins.len(), 17);
    for pair in pins.windows(2) {
        let step = pair[1].0 - pair[0].0;
        assert!((2.5..=3.6).contains(&step), "LiFePO4 step {step}");
    }
}

#[test]
fn plug_and_activation_power_the_unit_and_pulling_the_plug_deactivates_it() {
    let mut unit = SimUnit::new(SimConfig::fresh()).unwrap();
    unit.apply(&AppAction::BalancePlug(true)).unwrap();
    assert!(!unit.answers(), "plugged in but not activated");
    unit.apply(&AppAction::Activate).unwrap();
    assert!(unit.answers());
    assert_eq!(unit.device_info().power_on_count, 1);
    let cells = unit.cell_info(0);
    assert_eq!(cells.enabled_mask, 0xFFFF);
    assert_eq!(cells.cell_voltages.len(), 32);
    assert!(has(&unit, Alarm::CellCountMismatch), "24 set, 16 connected");
    assert_eq!(codes(&unit), [0x01, 0x3C]);
    unit.apply(&AppAction::BalancePlug(false)).unwrap();
    assert!(!unit.answers() && !unit.activated());
    unit.apply(&AppAction::BalancePlug(true)).unwrap();
    assert!(
        !unit.answers(),
        "activate again after every time the plug was out"
    );
    unit.apply(&AppAction::Activate).unwrap();
    assert_eq!(unit.device_info().power_on_count, 2);
}

#[test]
fn battery_type_loads_the_factory_set_and_wipes_changes() {
    let mut unit = SimUnit::new(SimConfig::fresh().plugged_in(true).activated(true)).unwrap();
    unit.apply(&AppAction::BatteryType(Chemistry::LiFePo4))
        .unwrap();
    assert_eq!(unit.settings().cell_ovp, Volts(3.60));
    assert_eq!(codes(&unit).last(), Some(&0x44));
    unit.apply(&AppAction::CellCount(16)).unwrap();
    unit.apply(&AppAction::Capacity(AmpHours(280.0))).unwrap();
    unit.apply(&AppAction::Switch {
        switch: Switch::Balance,
        on: true,
    })
    .unwrap();
    assert!(!has(&unit, Alarm::CellCountMismatch));
    unit.apply(&AppAction::BatteryType(Chemistry::LiFePo4))
        .unwrap();
    assert_eq!(
        unit.settings().cell_count,
        24,
        "choosing again wiped the cell count"
    );
    assert_eq!(unit.settings().capacity, AmpHours(100.0));
    assert!(
        unit.settings().balance_switch,
        "CONTROL switches are not part of the set"
    );
    let resets = unit
        .logbook()
        .entries
        .iter()
        .filter(|e| e.factory_reset().is_some())
        .count();
    assert_eq!(resets, 2);
    // The wrong type on this pack: LTO limits on LiFePO4 cells trip OVP at once.
    unit.apply(&AppAction::BatteryType(Chemistry::Lto)).unwrap();
    assert_eq!(unit.settings().cell_ovp, Volts(2.70));
    assert!(codes(&unit).ends_with(&[0x45, 0x11]), "{:x?}", codes(&unit));
    assert!(!unit.charge_fet());
}

#[test]
fn the_ready_unit_is_configured_for_its_pack() {
    let unit = ready();
    let s = unit.settings();
    assert_eq!(s.cell_ovp, Volts(3.60));
    assert_eq!((s.cell_count, s.capacity), (16, AmpHours(280.0)));
    assert!(s.charge_switch && s.discharge_switch && s.balance_switch);
    assert_eq!(unit.alarm_bits(), 0);
    assert!(unit.charge_fet() && unit.discharge_fet());
    let cells = unit.cell_info(3);
    assert_eq!(cells.counter, 3);
    assert_eq!(cells.connected_count(), 16);
    assert_eq!(cells.soc, 50);
    assert_eq!(cells.full_capacity, AmpHours(280.0));
    assert_eq!(cells.probes.len(), 5);
    assert!(cells.probes[0].is_some() && cells.probes[1].is_some());
    assert!(cells.probes[2].is_none());
    for (_, v) in cells.connected() {
        assert!((3.2..3.35).contains(&v.0), "{v}");
    }
}

#[test]
fn settings_are_range_checked_with_the_range_named() {
    let mut unit = ready();
    let err = unit.apply(&AppAction::CellCount(40)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Cell Count: 40 is outside the accepted range 4 to 32"
    );
    assert!(unit.apply(&AppAction::BalanceTrigger(Volts(2.0))).is_err());
    assert!(unit
        .apply(&AppAction::MaxChargeCurrent(Amps(500.0)))
        .is_err());
    assert_eq!(
        unit.settings().cell_count,
        16,
        "a refused value changes nothing"
    );
    // Linked values follow: OVP below its recovery drags the recovery down.
    unit.apply(&AppAction::CellOvp(Volts(3.30))).unwrap();
    assert!(unit.settings().cell_ovpr < Volts(3.30));
    unit.apply(&AppAction::ChargeUtpr(Celsius(5.0))).unwrap();
    unit.apply(&AppAction::ChargeUtp(Celsius(2.0))).unwrap();
    assert_eq!(unit.settings().charge_utp, Celsius(2.0));
    assert_eq!(unit.settings().charge_utpr, Celsius(5.0));
}

#[test]
fn charging_past_ovp_turns_the_charge_fet_off() {
    let mut unit = SimUnit::new(SimConfig::ready().with_soc(0.97)).unwrap();
    unit.inject(&Fault::CellVoltage {
        cell: 5,
        volts: Volts(3.55),
    })
    .unwrap();
    unit.apply(&AppAction::MaxChargeCurrent(Amps(100.0)))
        .unwrap();
    unit.apply(&AppAction::Current(Amps(100.0))).unwrap();
    assert_eq!(unit.current(), Amps(100.0));
    let took = run_until(&mut unit, 3600, |u| !u.charge_fet()).expect("OVP trips");
    assert!(took > 1);
    let cells = unit.cell_info(0);
    assert_eq!(cells.max_cell, 4, "the cell that was ahead trips it");
    assert!(!cells.charging && cells.discharging);
    assert!(has(&unit, Alarm::CellOverVoltage));
    assert_eq!(codes(&unit).last(), Some(&0x11));
    assert_eq!(unit.current(), Amps(0.0), "the charger's current stops");
    let max = unit.cell_voltage(5).unwrap();
    assert!(max >= Volts(3.55) && max < Volts(3.62), "{max}");
    // Discharging is still possible, and enough of it releases the protection.
    unit.apply(&AppAction::Current(Amps(-100.0))).unwrap();
    assert_eq!(unit.current(), Amps(-100.0));
    run_until(&mut unit, 36_000, |u| u.charge_fet()).expect("OVPR releases");
    assert!(!has(&unit, Alarm::CellOverVoltage));
}

#[test]
fn discharging_past_uvp_turns_the_discharge_fet_off() {
    let mut unit = SimUnit::new(SimConfig::ready().with_soc(0.03)).unwrap();
    unit.apply(&AppAction::Current(Amps(-150.0))).unwrap();
    run_until(&mut unit, 3600, |u| !u.discharge_fet()).expect("UVP trips");
    assert!(has(&unit, Alarm::CellUnderVoltage));
    assert_eq!(codes(&unit).last(), Some(&0x1D));
    assert!(unit.charge_fet(), "charging stays allowed to recover");
    assert_eq!(unit.current(), Amps(0.0));
}

#[test]
fn emergency_lets_the_discharge_through_past_uvp_and_the_frame_says_so() {
    let mut unit = SimUnit::new(SimConfig::ready().with_soc(0.03)).unwrap();
    assert_eq!(unit.cell_info(0).emergency, Some(false));
    unit.apply(&AppAction::Current(Amps(-150.0))).unwrap();
    run_until(&mut unit, 3600, |u| !u.discharge_fet()).expect("UVP trips");
    unit.apply(&AppAction::Switch {
        switch: Switch::Emergency,
        on: true,
    })
    .unwrap();
    assert!(unit.discharge_fet(), "Emergency overrides the cut-off");
    assert_eq!(unit.current(), Amps(-150.0));
    assert_eq!(unit.cell_info(1).emergency, Some(true));
    unit.apply(&AppAction::Switch {
        switch: Switch::Emergency,
        on: false,
    })
    .unwrap();
    assert!(!unit.discharge_fet());
    // The port switch is a bit of the 32S control word.
    unit.apply(&AppAction::Switch {
        switch: Switch::PortSwitch,
        on: true,
    })
    .unwrap();
    assert!(unit.settings().control.unwrap().port_rs485);
    // A 24S unit has neither.
    let mut old = SimUnit::new(SimConfig::ready().with_layout(Layout::S24)).unwrap();
    assert_eq!(old.cell_info(0).emergency, None);
    for switch in [Switch::Emergency, Switch::PortSwitch] {
        assert_eq!(
            old.apply(&AppAction::Switch { switch, on: true }),
            Err(SimError::Unsupported(switch))
        );
    }
}

#[test]
fn an_unconfigured_unit_lets_lifepo4_cells_overcharge() {
    // The factory Li-ion set on a LiFePO4 pack: why the manual says the unit is not safe
    // until configured.
    let mut unit = SimUnit::new(
        SimConfig::fresh()
            .plugged_in(true)
            .activated(true)
            .with_soc(0.97),
    )
    .unwrap();
    unit.apply(&AppAction::Current(Amps(50.0))).unwrap();
    let took = run_until(&mut unit, 36_000, |u| {
        u.cell_info(0).connected().any(|(_, v)| v > Volts(3.80))
    });
    assert!(took.is_some());
    assert!(unit.charge_fet(), "4.20 V OVP never trips on LiFePO4");
}

#[test]
fn charge_current_above_the_limit_is_refused() {
    let mut unit = ready();
    unit.apply(&AppAction::Current(Amps(60.0))).unwrap();
    assert!(!unit.charge_fet());
    assert!(has(&unit, Alarm::ChargeOverCurrent));
    unit.apply(&AppAction::MaxChargeCurrent(Amps(100.0)))
        .unwrap();
    assert!(unit.charge_fet());
    assert_eq!(unit.current(), Amps(60.0));
}

#[test]
fn an_open_tap_reads_zero_and_leaves_the_mask() {
    let mut unit = ready();
    unit.inject(&Fault::OpenTap { cell: 7 }).unwrap();
    let cells = unit.cell_info(0);
    assert_eq!(cells.cell_voltages[6], Volts(0.0));
    assert_eq!(cells.enabled_mask, 0xFFFF & !(1 << 6));
    assert_eq!(cells.lead_warning_bits, 1 << 6);
    assert!(cells.lead_resistances[6] > Ohms(1.0));
    assert_eq!(
        Alarm::from_bits(cells.alarm_bits),
        vec![Alarm::LeadResistance, Alarm::CellCountMismatch]
    );
    unit.inject(&Fault::CloseTap { cell: 7 }).unwrap();
    assert_eq!(unit.alarm_bits(), 0);
    assert_eq!(
        unit.inject(&Fault::OpenTap { cell: 17 }),
        Err(SimError::NoSuchCell {
            cell: 17,
            cells: 16
        })
    );
}

#[test]
fn probes_and_the_temperature_window() {
    let mut unit = ready();
    unit.inject(&Fault::RemoveProbe { probe: 1 }).unwrap();
    let cells = unit.cell_info(0);
    assert_eq!(cells.probes[0], None);
    assert_eq!(cells.temp_sensor_bits & 0b110, 0b100);
    assert!(has(&unit, Alarm::TemperatureSensor));
    unit.apply(&AppAction::Switch {
        switch: Switch::DisableTempSensor,
        on: true,
    })
    .unwrap();
    assert!(
        !has(&unit, Alarm::TemperatureSensor),
        "disabled: no protection, no alarm"
    );
    unit.apply(&AppAction::Switch {
        switch: Switch::DisableTempSensor,
        on: false,
    })
    .unwrap();
    unit.inject(&Fault::FitProbe { probe: 1 }).unwrap();
    assert_eq!(unit.alarm_bits(), 0);
    assert!(unit.inject(&Fault::RemoveProbe { probe: 6 }).is_err());

    // Cold: the factory window (-20 °C) still lets it charge; the manual's 2/5 °C does not.
    unit.inject(&Fault::Ambient {
        celsius: Celsius(-3.0),
    })
    .unwrap();
    unit.apply(&AppAction::Current(Amps(20.0))).unwrap();
    assert!(unit.charge_fet());
    unit.apply(&AppAction::ChargeUtpr(Celsius(5.0))).unwrap();
    unit.apply(&AppAction::ChargeUtp(Celsius(2.0))).unwrap();
    assert!(!unit.charge_fet());
    assert!(has(&unit, Alarm::ChargeUnderTemperature));
    assert_eq!(codes(&unit).last(), Some(&0x1B));
    unit.inject(&Fault::Ambient {
        celsius: Celsius(4.0),
    })
    .unwrap();
    assert!(!unit.charge_fet(), "recovery needs UTPR");
    unit.inject(&Fault::Ambient {
        celsius: Celsius(6.0),
    })
    .unwrap();
    assert!(unit.charge_fet());
    assert_eq!(codes(&unit).last(), Some(&0x1C));
}

#[test]
fn calibration_moves_the_readings_to_the_meter() {
    let mut unit = ready();
    let truth = unit.pack_voltage();
    let shown = unit.cell_info(0).pack_voltage;
    assert!((shown.0 - truth.0).abs() < 0.001);
    unit.apply(&AppAction::CalibrateVoltage(Volts(truth.0 * 1.01)))
        .unwrap();
    let shown = unit.cell_info(0).pack_voltage;
    assert!(
        (shown.0 - truth.0 * 1.01).abs() < 0.002,
        "{shown} vs {truth}"
    );
    assert!(unit
        .apply(&AppAction::CalibrateVoltage(Volts(truth.0 * 1.5)))
        .is_err());
    assert_eq!(
        unit.apply(&AppAction::CalibrateCurrent(Amps(20.0))),
        Err(SimError::NoCurrent(Amps(0.0)))
    );
    unit.apply(&AppAction::Current(Amps(20.0))).unwrap();
    unit.apply(&AppAction::CalibrateCurrent(Amps(20.4)))
        .unwrap();
    assert_eq!(unit.cell_info(0).current, Amps(20.4));
}

#[test]
fn counters_advance_only_while_powered() {
    let mut unit = ready();
    unit.advance(Duration::from_secs(90));
    assert_eq!(unit.runtime_s(), 90);
    assert_eq!(unit.device_info().uptime_s, 90);
    unit.apply(&AppAction::BalancePlug(false)).unwrap();
    unit.advance(Duration::from_secs(50));
    assert_eq!(unit.runtime_s(), 90);
    unit.apply(&AppAction::BalancePlug(true)).unwrap();
    unit.apply(&AppAction::Activate).unwrap();
    unit.advance(Duration::from_secs(10));
    assert_eq!((unit.runtime_s(), unit.device_info().uptime_s), (100, 10));
    assert_eq!(unit.logbook().entries.last().unwrap().seconds, 90);
}

#[test]
fn readings_drift_a_little_and_repeat_for_a_seed() {
    let mut a = ready();
    let mut b = ready();
    let first = a.cell_info(0).cell_voltages;
    let mut moved = false;
    for _ in 0..30 {
        a.advance(Duration::from_secs(1));
        b.advance(Duration::from_secs(1));
        let now = a.cell_info(0).cell_voltages;
        assert_eq!(now, b.cell_info(0).cell_voltages);
        for (x, y) in first.iter().zip(&now) {
            assert!((x.0 - y.0).abs() <= 0.005);
            moved |= x != y;
        }
    }
    assert!(moved, "the readings never moved");
}

#[test]
fn the_balancer_pulls_a_high_cell_down() {
    let mut unit = SimUnit::new(SimConfig::ready().with_soc(0.95)).unwrap();
    unit.inject(&Fault::CellVoltage {
        cell: 3,
        volts: Volts(3.50),
    })
    .unwrap();
    unit.advance(Duration::from_secs(1));
    assert_ne!(unit.cell_info(0).balancing_action, BalancingAction::Off);
    let before = unit.cell_voltage(3).unwrap();
    unit.advance(Duration::from_secs(3600));
    assert!(unit.cell_voltage(3).unwrap() < before);
}

#[test]
fn a_24s_unit_and_small_packs() {
    let unit = SimUnit::new(SimConfig::ready().with_layout(Layout::S24).with_cells(8)).unwrap();
    assert_eq!(unit.device_info().software_version, "10.07");
    assert!(unit.settings().control.is_none());
    let cells = unit.cell_info(0);
    assert_eq!((cells.cell_voltages.len(), cells.probes.len()), (24, 2));
    assert_eq!(cells.enabled_mask, 0xFF);
    let mut unit = unit;
    assert_eq!(
        unit.apply(&AppAction::Switch {
            switch: Switch::DisableTempSensor,
            on: true
        }),
        Err(SimError::Unsupported(Switch::DisableTempSensor))
    );
    for (layout, cells) in [(Layout::S24, 25), (Layout::S32, 33), (Layout::S32, 3)] {
        let config = SimConfig::fresh().with_layout(layout).with_cells(cells);
        assert!(SimUnit::new(config).is_err(), "{layout} {cells}");
    }
}

#[test]
fn radio_faults_wear_off() {
    let mut unit = ready();
    unit.inject(&Fault::DropLink { seconds: 10.0 }).unwrap();
    assert!(unit.link_dropped());
    assert!(unit.unreachable_reason().is_some());
    unit.advance(Duration::from_secs(10));
    assert!(!unit.link_dropped());
    unit.inject(&Fault::Silence { seconds: 3.0 }).unwrap();
    assert!(unit.silenced() && unit.unreachable_reason().is_none());
    unit.advance(Duration::from_secs(3));
    assert!(!unit.silenced());
    unit.inject(&Fault::StallStream).unwrap();
    assert!(unit.take_stall());
    assert!(!unit.take_stall(), "a stall is taken once");
}

#[test]
fn a_fast_bench_still_cuts_off_at_the_limit() {
    // 2000 times real time, looked at every 0.7 s as the link does: the cut-off must come
    // at OVP / UVP, not a frame's worth of charge past it.
    let mut unit = SimUnit::new(SimConfig::ready().with_soc(0.9).with_bench_speed(2000.0)).unwrap();
    unit.apply(&AppAction::Current(Amps(40.0))).unwrap();
    let step = Duration::from_millis(700);
    (0..200)
        .find(|_| {
            unit.advance(step);
            !unit.charge_fet()
        })
        .expect("the charge is cut off");
    let top = unit
        .cell_info(0)
        .connected()
        .map(|(_, v)| v.0)
        .fold(0.0, f64::max);
    assert!((top - 3.60).abs() < 0.03, "cut off at {top}");
    unit.apply(&AppAction::Current(Amps(-100.0))).unwrap();
    (0..2000)
        .find(|_| {
            unit.advance(step);
            !unit.discharge_fet()
        })
        .expect("the discharge is cut off");
    let low = unit
        .cell_info(0)
        .connected()
        .map(|(_, v)| v.0)
        .fold(9.0, f64::min);
    assert!((low - 2.60).abs() < 0.05, "cut off at {low}");
}

#[test]
fn a_drifting_cell_moves_a_little_at_a_time_until_it_rests() {
    let mut unit = ready();
    let start = unit.cell_voltage(5).unwrap();
    unit.inject(&Fault::CellDrift {
        cell: 5,
        volts: Volts(2.40),
        seconds: 10.0,
    })
    .unwrap();
    let mut last = start;
    for _ in 0..5 {
        unit.advance(Duration::from_secs(1));
        let now = unit.cell_voltage(5).unwrap();
        assert!(now < last, "{now} after {last}");
        last = now;
    }
    assert!(last > Volts(2.45), "half way it is not there yet: {last}");
    run_until(&mut unit, 20, |_| false);
    let rest = unit.cell_voltage(5).unwrap();
    assert!((rest.0 - 2.40).abs() < 0.01, "{rest}");
    // Below the LiFePO4 UVP (2.60 V): the unit protects and says so (error 1).
    assert!(has(&unit, Alarm::CellUnderVoltage));
    assert!(!unit.discharge_fet());
}

#[test]
fn a_staged_cutoff_acts_away_from_the_setting() {
    let mut unit = SimUnit::new(SimConfig::ready().with_soc(0.97)).unwrap();
    unit.inject(&Fault::CutoffAt {
        charge: Some(Volts(3.75)),
        discharge: None,
    })
    .unwrap();
    unit.apply(&AppAction::Current(Amps(20.0))).unwrap();
    run_until(&mut unit, 36_000, |u| !u.charge_fet()).expect("cuts off at last");
    let top = unit
        .cell_info(0)
        .connected()
        .map(|(_, v)| v.0)
        .fold(0.0, f64::max);
    assert!(
        top > 3.72 && top < 3.80,
        "cut off at {top}, not at OVP 3.60"
    );
    assert_eq!(
        unit.settings().cell_ovp,
        Volts(3.60),
        "the setting is unchanged"
    );
    assert!(unit
        .inject(&Fault::CutoffAt {
            charge: Some(Volts(9.0)),
            discharge: None
        })
        .is_err());
}

#[test]
fn a_broken_balancer_moves_nothing_and_raises_an_unnamed_bit() {
    let mut unit = SimUnit::new(SimConfig::ready().with_soc(0.95)).unwrap();
    unit.inject(&Fault::CellVoltage {
        cell: 3,
        volts: Volts(3.50),
    })
    .unwrap();
    unit.inject(&Fault::BreakBalancer).unwrap();
    let before = unit.cell_voltage(3).unwrap();
    unit.advance(Duration::from_secs(3600));
    assert_eq!(unit.cell_info(0).balancing_action, BalancingAction::Off);
    assert!((unit.cell_voltage(3).unwrap().0 - before.0).abs() < 0.005);
    let bits = unit.alarm_bits();
    assert_eq!(bits, 1 << BALANCER_FAULT_BIT);
    assert_eq!(
        crate::bms::model::unknown_alarm_bits(bits),
        bits,
        "no known alarm has it"
    );
    unit.inject(&Fault::RepairBalancer).unwrap();
    assert_eq!(unit.alarm_bits(), 0);
    // The 24S frame's alarm word is 16 bits: no room for it, nor for the sensor alarm.
    let mut unit = SimUnit::new(SimConfig::ready().with_layout(Layout::S24)).unwrap();
    unit.inject(&Fault::BreakBalancer).unwrap();
    unit.inject(&Fault::RemoveProbe { probe: 1 }).unwrap();
    assert_eq!(unit.alarm_bits(), 0);
}

#[test]
fn faults_read_from_yaml() {
    let faults: Vec<Fault> = serde_yaml::from_str(
        "- !open_tap { cell: 3 }\n- stall_stream\n- !drop_link { seconds: 60 }\n\
             - !raise_alarm { alarm: mos_over_temperature }\n",
    )
    .unwrap();
    assert_eq!(faults[0], Fault::OpenTap { cell: 3 });
    assert_eq!(faults[1], Fault::StallStream);
    assert_eq!(
        faults[3],
        Fault::RaiseAlarm {
            alarm: Alarm::MosOverTemperature
        }
    );
    let mut unit = ready();
    for f in &faults {
        unit.inject(f).unwrap();
    }
    assert!(has(&unit, Alarm::MosOverTemperature));
}

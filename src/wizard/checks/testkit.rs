//! A small wizard for the checks' unit tests, with the numbers of the manual (and our LTO
//! assumption), so the tests do not depend on wizard.yaml.

use std::collections::BTreeMap;

use crate::bms::model::Chemistry;
use crate::units::Volts;
use crate::wizard::spec::{
    ChemistrySpec, ChoiceSpec, FieldKind, FieldSpec, InputSpec, ItemSpec, Limits, ModelSpec,
    Section, StepSpec, Text, Unit, VoltRange, WizardSpec,
};

pub fn en(s: &str) -> Text {
    BTreeMap::from([("en".to_string(), s.to_string())])
}

/// The voltage limits of a chemistry, as in wizard.yaml: datasheet bounds and setting windows.
struct Bounds {
    max_charge: f64,
    min_discharge: f64,
    ovp: (f64, f64),
    uvp: (f64, f64),
}

fn range((min, max): (f64, f64)) -> VoltRange {
    VoltRange {
        min: Volts(min),
        max: Volts(max),
    }
}

fn chem(name: &str, lo: f64, hi: f64, plausible: (f64, f64), ovp: f64, b: Bounds) -> ChemistrySpec {
    ChemistrySpec {
        name: en(name),
        ladder_step: VoltRange {
            min: Volts(lo),
            max: Volts(hi),
        },
        ladder_note: None,
        cell_plausible: VoltRange {
            min: Volts(plausible.0),
            max: Volts(plausible.1),
        },
        cell_ovp: Volts(ovp),
        max_charge_voltage: Volts(b.max_charge),
        min_discharge_voltage: Volts(b.min_discharge),
        ovp_window: range(b.ovp),
        uvp_window: range(b.uvp),
    }
}

pub fn li_ion() -> ChemistrySpec {
    let b = Bounds {
        max_charge: 4.25,
        min_discharge: 2.5,
        ovp: (4.10, 4.25),
        uvp: (2.5, 3.3),
    };
    chem("Li-ion", 3.0, 4.1, (2.5, 4.25), 4.20, b)
}

pub fn lifepo4() -> ChemistrySpec {
    let b = Bounds {
        max_charge: 3.65,
        min_discharge: 2.5,
        ovp: (3.45, 3.65),
        uvp: (2.5, 3.0),
    };
    chem("LiFePO4", 2.5, 3.6, (2.0, 3.65), 3.60, b)
}

pub fn lto() -> ChemistrySpec {
    let b = Bounds {
        max_charge: 2.70,
        min_discharge: 1.5,
        ovp: (2.55, 2.70),
        uvp: (1.5, 2.2),
    };
    chem("LTO", 1.5, 2.8, (1.5, 2.85), 2.70, b)
}

/// A model taking 1 to `max_cells` cells, rated for 4.25 V per cell it takes.
pub fn model(id: &str, max_cells: u32, plugs: &[u32]) -> ModelSpec {
    ModelSpec {
        id: id.into(),
        name: en(&format!("{max_cells}-cell unit")),
        min_cells: 1,
        max_cells,
        max_input_voltage: Volts(4.25 * f64::from(max_cells)),
        split_note: None,
        plugs: plugs.to_vec(),
        probes: 2,
    }
}

/// `model` with the cell range and rating wizard.yaml gives the unit of that size.
fn rated(id: &str, cells: (u32, u32), volts: f64, plugs: &[u32]) -> ModelSpec {
    ModelSpec {
        min_cells: cells.0,
        max_input_voltage: Volts(volts),
        ..model(id, cells.1, plugs)
    }
}

pub fn b8() -> ModelSpec {
    rated("b8", (3, 8), 36.0, &[9])
}

pub fn b16() -> ModelSpec {
    rated("b16", (8, 16), 70.0, &[9, 8])
}

pub fn b24() -> ModelSpec {
    rated("b24", (7, 24), 100.0, &[13, 12])
}

pub fn limits() -> Limits {
    Limits {
        cell_spread: Volts(0.1),
        charger_margin: Volts(5.0),
        output_tolerance: Volts(0.5),
        pack_tolerance: Volts(0.3),
        unused_pin_max: Volts(0.5),
        meter_digit: Volts(0.01),
        balance_trigger: Volts(0.01),
        cold_utpr: 5.0,
        cold_utp: [1.0, 2.0],
        probe_plausible: [-20.0, 70.0],
        protection_tolerance: Volts(0.05),
        live_max_age_s: 5.0,
        live_pack_tolerance: Volts(0.6),
        ladder_live_tolerance: Volts(0.05),
    }
}

pub fn item(id: &str, text: &str) -> ItemSpec {
    ItemSpec {
        id: id.into(),
        text: en(text),
    }
}

pub fn number(id: &str, label: &str, unit: Unit, min: f64, max: f64) -> FieldSpec {
    FieldSpec {
        id: id.into(),
        label: en(label),
        kind: FieldKind::Number { unit, min, max },
        optional: false,
        help: None,
    }
}

pub fn choice(id: &str, label: &str, options: &[&str]) -> FieldSpec {
    FieldSpec {
        id: id.into(),
        label: en(label),
        kind: FieldKind::Choice {
            options: options
                .iter()
                .map(|o| ChoiceSpec {
                    id: o.to_string(),
                    text: en(o),
                })
                .collect(),
        },
        optional: false,
        help: None,
    }
}

pub fn step(id: &str, title: &str, input: InputSpec) -> StepSpec {
    StepSpec {
        id: id.into(),
        section: Section::Setup,
        number: None,
        title: en(title),
        instructions: vec![],
        warnings: vec![],
        error_codes: vec![],
        input,
        gates: vec![],
        optional: false,
        sim_actions: vec![],
        when: None,
    }
}

/// The setup form: chemistry, cells, capacity, model, an optional pack id.
pub fn setup_step() -> StepSpec {
    let pack_id = FieldSpec {
        id: "pack_id".into(),
        label: en("Pack id"),
        kind: FieldKind::Text,
        optional: true,
        help: None,
    };
    step(
        "setup.pack",
        "The pack",
        InputSpec::Form {
            fields: vec![
                choice("chemistry", "Chemistry", &["li-ion", "lifepo4", "lto"]),
                FieldSpec {
                    id: "cells".into(),
                    label: en("Cells in series"),
                    kind: FieldKind::Integer { min: 1, max: 32 },
                    optional: false,
                    help: None,
                },
                number("capacity", "Capacity", Unit::Ah, 1.0, 2000.0),
                choice("model", "BMS model", &["b8", "b16", "b24"]),
                pack_id,
            ],
            items: vec![],
        },
    )
}

pub fn spec() -> WizardSpec {
    WizardSpec {
        languages: vec!["en".into()],
        chemistries: BTreeMap::from([
            (Chemistry::LiIon, li_ion()),
            (Chemistry::LiFePo4, lifepo4()),
            (Chemistry::Lto, lto()),
        ]),
        models: vec![b8(), b16(), b24()],
        limits: limits(),
        messages: BTreeMap::new(),
        errors: BTreeMap::new(),
        decimal_comma: Vec::new(),
        reasons: BTreeMap::new(),
        cli: BTreeMap::new(),
        ui: BTreeMap::new(),
        steps: vec![
            setup_step(),
            step(
                "wiring.ladder",
                "Multimeter test",
                InputSpec::Ladder { items: vec![] },
            ),
        ],
        sha256: String::new(),
    }
}

/// The pack's node voltages (0 V at pack minus) from cell voltages.
pub fn nodes(cells: &[f64]) -> Vec<f64> {
    let mut v = vec![0.0];
    for c in cells {
        v.push(v.last().copied().unwrap_or(0.0) + c);
    }
    v
}

/// What the meter shows, to two decimals, with lead k on node `map[k-1]` (`None` = open lead,
/// a floating pin showing a few millivolts).
pub fn readings(cells: &[f64], map: &[Option<usize>]) -> Vec<Option<Volts>> {
    let nodes = nodes(cells);
    map.iter()
        .map(|node| {
            let v = node.map(|n| nodes[n]).unwrap_or(0.02);
            Some(Volts((v * 100.0).round() / 100.0))
        })
        .collect()
}

/// Lead k on node k: right wiring.
pub fn right(n: usize) -> Vec<Option<usize>> {
    (1..=n).map(Some).collect()
}

/// Plausible cells around `base`: small deterministic differences, well inside ±0.1 V.
pub fn pack_cells(n: usize, base: f64) -> Vec<f64> {
    const WOBBLE: [f64; 7] = [0.0, 0.012, -0.008, 0.021, -0.015, 0.006, -0.003];
    (0..n).map(|i| base + WOBBLE[i % WOBBLE.len()]).collect()
}

/// The pack voltage across the terminals, to two decimals.
pub fn pack_of(cells: &[f64]) -> Volts {
    Volts((cells.iter().sum::<f64>() * 100.0).round() / 100.0)
}

/// A cell-info frame of a 32S unit with these cells connected, probes at room temperature,
/// all FETs on, no alarm, no current.
pub fn cell_info(voltages: &[f64]) -> crate::bms::model::CellInfo {
    use crate::bms::model::{BalancingAction, CellInfo, Layout};
    use crate::units::{AmpHours, Amps, Celsius, Ohms};
    let mut cell_voltages = vec![Volts(0.0); 32];
    for (i, v) in voltages.iter().enumerate() {
        cell_voltages[i] = Volts(*v);
    }
    let mask = if voltages.len() >= 32 {
        u32::MAX
    } else {
        (1u32 << voltages.len()) - 1
    };
    CellInfo {
        layout: Layout::S32,
        counter: 0,
        cell_voltages,
        enabled_mask: mask,
        average_voltage: Volts(0.0),
        delta_voltage: Volts(0.0),
        max_cell: 0,
        min_cell: 0,
        lead_resistances: vec![Ohms(0.05); 32],
        lead_warning_bits: 0,
        mos_temperature: Some(Celsius(24.0)),
        pack_voltage: Volts(voltages.iter().sum()),
        current: Amps(0.0),
        probes: vec![Some(Celsius(21.5)), Some(Celsius(22.0)), None, None, None],
        alarm_bits: 0,
        balancing_current: Amps(0.0),
        balancing_action: BalancingAction::Off,
        soc: 60,
        remaining_capacity: AmpHours(168.0),
        full_capacity: AmpHours(280.0),
        cycle_count: 0,
        charging: true,
        discharging: true,
        temp_sensor_bits: 0b11,
        emergency: Some(false),
    }
}

/// A LiFePO4 unit configured right for a 16-cell 280 Ah pack.
pub fn settings_lifepo4() -> crate::bms::model::Settings {
    use crate::bms::model::{ControlBits, Settings};
    use crate::units::{AmpHours, Amps, Celsius};
    Settings {
        cell_uvp: Volts(2.5),
        cell_uvpr: Volts(2.9),
        cell_ovp: Volts(3.6),
        cell_ovpr: Volts(3.4),
        balance_trigger: Volts(0.01),
        power_off_voltage: Volts(2.5),
        max_charge_current: Amps(50.0),
        max_discharge_current: Amps(150.0),
        charge_otp: Celsius(45.0),
        charge_utp: Celsius(-5.0),
        charge_utpr: Celsius(0.0),
        cell_count: 16,
        charge_switch: true,
        discharge_switch: true,
        balance_switch: true,
        capacity: AmpHours(280.0),
        balance_start_voltage: Volts(3.0),
        control: Some(ControlBits::default()),
    }
}

/// A unit's device info with this software version (`"11.61"` keeps a logbook, `"10.07"` not).
pub fn device(software: &str) -> crate::bms::model::DeviceInfo {
    crate::bms::model::DeviceInfo {
        model: "JK-B2A24S20P".into(),
        hardware_version: "11.XW".into(),
        software_version: software.into(),
        uptime_s: 100,
        power_on_count: 3,
        device_name: "JK-B2A24S20P".into(),
        manufacturing_date: "240101".into(),
        serial_number: "4031B2C1100042".into(),
    }
}

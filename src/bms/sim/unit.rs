//! The simulated unit with its pack: plain data and pure logic. Time comes in through
//! [`SimUnit::advance`]; nothing here reads a clock or touches I/O.
//!
//! What it models, deliberately coarse:
//! - a series pack of one chemistry; each cell has its own state of charge and a capacity a
//!   little off the nominal one, so cells drift apart while charging and one reaches a limit
//!   first; cell voltage = open-circuit voltage + current × internal resistance + a small
//!   seeded jitter;
//! - the BMS electronics: powered only with the balance plug in AND after activation (pulling
//!   the plug deactivates it, as the manual says); the settings, the factory sets per battery
//!   type, the logbook, counters, calibration gains;
//! - protection: cell OVP/UVP, charge under-temperature and charge over-current switch the
//!   MOSFETs off and write logbook events; recovery as the settings say;
//! - faults for training ([`Fault`]): open taps, missing probes, forced alarms, and the radio
//!   faults the link task acts on.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::bms::decode::Passcodes;
use crate::bms::model::{
    Alarm, AppAction, BalancingAction, CellInfo, Chemistry, ControlBits, DeviceInfo, Layout,
    LogEntry, Logbook, Settings, Switch,
};
use crate::bms::sim::factory::{
    factory_settings, open_circuit_voltage, soc_for_voltage, FactoryBase, SOC_RANGE,
};
use crate::bms::sim::rng::XorShift;
use crate::units::{AmpHours, Amps, Celsius, Ohms, Volts};

/// Why the simulator refused an action or a configuration. Each message is a sentence.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    /// App actions need a unit that answers over Bluetooth.
    #[error("{0}; the app cannot reach it")]
    NotAnswering(&'static str),
    /// Activation without the balance plug does nothing: the BMS has no power.
    #[error("nothing happens: the balance plug is out, so the BMS has no power to activate")]
    NoPower,
    /// A value outside what the app or the simulator accepts.
    #[error("{what}: {value} is outside the accepted range {range}")]
    OutOfRange {
        /// The setting or parameter.
        what: &'static str,
        /// What was given.
        value: String,
        /// What is accepted.
        range: String,
    },
    /// A cell number that the pack does not have (cells count from 1 at pack minus).
    #[error("there is no cell {cell}: the pack has cells 1 to {cells}")]
    NoSuchCell {
        /// The cell asked for.
        cell: u32,
        /// Cells in the pack.
        cells: u32,
    },
    /// A temperature probe number the unit has no socket for.
    #[error("there is no temperature probe {probe}: this unit has probes 1 to {probes}")]
    NoSuchProbe {
        /// The probe asked for.
        probe: u32,
        /// Probe sockets of the unit.
        probes: u32,
    },
    /// Current calibration needs a current through the pack.
    #[error(
        "cannot calibrate the current while {:.1} A flows: put a steady current through the pack first", .0.0
    )]
    NoCurrent(Amps),
    /// A switch this unit's firmware has no place for.
    #[error("this unit (24S firmware) has no {} switch", .0.app_label())]
    Unsupported(Switch),
}

mod app;
mod config;
mod fault;
mod frames;
mod physics;

use config::probe_sockets;
pub use config::SimConfig;
pub use fault::Fault;

/// The alarm bit the simulator raises for a broken balancer (manual error 8). An assumption:
/// the frames are known to carry no bit for it; 18 is unused in the known table, so a host
/// sees an alarm it cannot name rather than nothing. A 24S unit's 16-bit alarm word has no
/// room for it: there the fault shows only as a balancer that does nothing.
pub const BALANCER_FAULT_BIT: u32 = 18;

/// The lowest cell count the simulator accepts; an assumption: the smallest JK SMART units
/// take 4 cells.
pub const MIN_CELLS: u32 = 4;

/// Why an unpowered unit is silent, for the link's Down event and the app's refusal.
pub const NOT_ANSWERING: &str = "the BMS does not answer: balance plug out or not activated";

/// Resistance of each cell in ohm-ampere-hours: 0.07 Ω·Ah is 0.25 mΩ for a 280 Ah cell, in the
/// range of large prismatic LiFePO4 cells.
const CELL_RESISTANCE_OHM_AH: f64 = 0.07;

/// A balance lead with an open tap reads as a very high lead resistance.
const OPEN_TAP_MILLIOHMS: i64 = 6_500;

/// The active balancer's current (the manual: 0.4–2.0 A).
const BALANCE_CURRENT: Amps = Amps(1.0);

/// The largest change of state of charge integrated at once (see [`SimUnit::advance`]).
const MAX_SOC_STEP: f64 = 0.0005;

/// How far the per-cell reading jitter may wander, in volts.
const JITTER_LIMIT: f64 = 0.002;

/// One cell of the pack and its balance lead.
#[derive(Debug, Clone, PartialEq)]
struct Cell {
    soc: f64,
    /// Its capacity relative to the nominal one (0.98–1.02).
    capacity_factor: f64,
    lead_milliohms: i64,
    tap_open: bool,
    /// Reading jitter, a bounded random walk.
    jitter: f64,
    /// A staged drift: the state of charge it heads for, and the change per second.
    drift: Option<(f64, f64)>,
}

/// Which protections have tripped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Trips {
    ovp: bool,
    uvp: bool,
    charge_utp: bool,
    charge_ocp: bool,
    cell_count: bool,
}

/// The radio faults; the link task reads them.
#[derive(Debug, Clone, Default, PartialEq)]
struct RadioFaults {
    dropped_for: Duration,
    silent_for: Duration,
    stall: bool,
    corrupt: bool,
}

/// A simulated JK BMS with the pack behind it.
#[derive(Debug, Clone)]
pub struct SimUnit {
    layout: Layout,
    device: DeviceInfo,
    passcodes: Passcodes,
    factory: FactoryBase,
    rated_current: Amps,
    chemistry: Chemistry,
    capacity: AmpHours,
    cells: Vec<Cell>,
    probes: Vec<(bool, f64)>,
    ambient: Celsius,
    plugged_in: bool,
    activated: bool,
    settings: Settings,
    logbook: Logbook,
    runtime_s: f64,
    uptime_s: f64,
    power_on_count: u32,
    charged_ah: f64,
    voltage_gain: f64,
    current_gain: f64,
    applied_current: Amps,
    flowing_current: Amps,
    forced_alarms: u32,
    /// Staged wrong cut-off voltages ([`Fault::CutoffAt`]): charge, discharge.
    cutoff_at: (Option<Volts>, Option<Volts>),
    balancer_broken: bool,
    trips: Trips,
    charge_fet: bool,
    discharge_fet: bool,
    balancing: BalancingAction,
    /// The CONTROL tab's Emergency switch: the discharge is let through past the cut-off.
    emergency: bool,
    radio: RadioFaults,
    seed: u64,
    rng: XorShift,
    bench_speed: f64,
}

impl SimUnit {
    /// Build a unit; refuses a pack the layout cannot hold.
    pub fn new(config: SimConfig) -> Result<SimUnit, SimError> {
        let slots = config.layout.slots() as u32;
        if !(MIN_CELLS..=slots).contains(&config.cells) {
            return Err(SimError::OutOfRange {
                what: "cells in the pack",
                value: config.cells.to_string(),
                range: format!("{MIN_CELLS} to {slots} for a {} unit", config.layout),
            });
        }
        if !(0.0..=1.0).contains(&config.soc) || config.capacity.0 <= 0.0 {
            return Err(SimError::OutOfRange {
                what: "pack state",
                value: format!("soc {} capacity {}", config.soc, config.capacity),
                range: "soc 0..1, capacity above 0 Ah".into(),
            });
        }
        let mut rng = XorShift::new(config.seed);
        let cells = (0..config.cells)
            .map(|_| Cell {
                // ±0.5 % state of charge and ±2 % capacity: enough for a few millivolts of
                // spread and for one cell to lead at the top.
                soc: (config.soc + rng.symmetric() * 0.005).clamp(SOC_RANGE.0, SOC_RANGE.1),
                capacity_factor: 1.0 + rng.symmetric() * 0.02,
                lead_milliohms: 40 + rng.below(40) as i64,
                tap_open: false,
                jitter: 0.0,
                drift: None,
            })
            .collect();
        let sockets = probe_sockets(config.layout);
        let probes = (0..sockets)
            .map(|i| {
                let fitted = config.probes.get(i).copied().unwrap_or(false);
                (fitted, 0.2 + 0.3 * i as f64)
            })
            .collect();
        let factory = config.factory_base();
        let mut unit = SimUnit {
            layout: config.layout,
            device: config.device.clone(),
            passcodes: config.passcodes.clone(),
            factory,
            rated_current: config.rated_current,
            chemistry: config.chemistry,
            capacity: config.capacity,
            cells,
            probes,
            ambient: config.ambient,
            plugged_in: false,
            activated: false,
            settings: Settings::default(),
            logbook: Logbook::default(),
            runtime_s: 0.0,
            uptime_s: 0.0,
            power_on_count: 0,
            charged_ah: 0.0,
            voltage_gain: 1.0,
            current_gain: 1.0,
            applied_current: Amps(0.0),
            flowing_current: Amps(0.0),
            forced_alarms: 0,
            cutoff_at: (None, None),
            balancer_broken: false,
            trips: Trips::default(),
            charge_fet: false,
            discharge_fet: false,
            balancing: BalancingAction::Off,
            emergency: false,
            radio: RadioFaults::default(),
            seed: config.seed,
            rng,
            bench_speed: config.bench_speed,
        };
        unit.settings = factory_settings(config.factory_chemistry, &factory);
        unit.settings.charge_switch = true;
        unit.settings.discharge_switch = true;
        unit.plugged_in = config.plugged_in;
        if config.plugged_in && config.activated {
            unit.activated = true;
            unit.power_on_count = 1;
            unit.log(0x01);
        }
        if config.matched {
            // The settings a finished commissioning leaves, written as the app would, so the
            // logbook tells the same story (boot, then the battery type chosen once).
            unit.load_factory(config.chemistry);
            unit.settings.cell_count = config.cells;
            unit.settings.capacity = config.capacity;
            unit.settings.balance_switch = true;
        }
        unit.evaluate();
        Ok(unit)
    }

    /// The frame layout.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The seed it was built with (the link task derives its own jitter from it).
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The pack's chemistry.
    pub fn chemistry(&self) -> Chemistry {
        self.chemistry
    }

    /// Cells in series in the pack.
    pub fn cell_count(&self) -> u32 {
        self.cells.len() as u32
    }

    /// Balance plug in.
    pub fn plugged_in(&self) -> bool {
        self.plugged_in
    }

    /// Activated (and so powered).
    pub fn activated(&self) -> bool {
        self.activated
    }

    /// Whether the unit answers over Bluetooth: balance plug in AND activated.
    pub fn answers(&self) -> bool {
        self.plugged_in && self.activated
    }

    /// Why the unit cannot be reached over Bluetooth right now, if it cannot.
    pub fn unreachable_reason(&self) -> Option<crate::bms::link::DownReason> {
        use crate::bms::link::DownReason;
        if !self.answers() {
            Some(DownReason::NotAnswering)
        } else if self.link_dropped() {
            Some(DownReason::OutOfRange)
        } else {
            None
        }
    }

    /// The settings as the unit holds them.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The logbook.
    pub fn logbook(&self) -> &Logbook {
        &self.logbook
    }

    /// The passcodes the device-info frame carries.
    pub fn passcodes(&self) -> &Passcodes {
        &self.passcodes
    }

    /// Seconds the electronics have been powered, over their life.
    pub fn runtime_s(&self) -> u32 {
        self.runtime_s as u32
    }

    /// Charge MOSFET on.
    pub fn charge_fet(&self) -> bool {
        self.charge_fet
    }

    /// Discharge MOSFET on.
    pub fn discharge_fet(&self) -> bool {
        self.discharge_fet
    }

    /// The current asked for by the bench (charger or load), whether or not it flows.
    pub fn applied_current(&self) -> Amps {
        self.applied_current
    }

    /// The current that really flows through the pack (what a clamp meter reads).
    pub fn current(&self) -> Amps {
        self.flowing_current
    }

    /// A cell's true voltage (1-based), as a meter on its terminals reads it.
    pub fn cell_voltage(&self, cell: u32) -> Result<Volts, SimError> {
        let i = self.cell_index(cell)?;
        Ok(self.true_cell_voltage(&self.cells[i]))
    }

    /// The true pack voltage, as a meter across the pack reads it.
    pub fn pack_voltage(&self) -> Volts {
        Volts(self.cells.iter().map(|c| self.true_cell_voltage(c).0).sum())
    }

    /// What a meter reads between pin 1 (black, pack minus) and each pin of the balance lead
    /// in turn: 0 V, then one cell more per pin up to the pack voltage (wiring step 5).
    pub fn tap_voltages(&self) -> Vec<Volts> {
        let mut sum = 0.0;
        let mut pins = vec![Volts(0.0)];
        for cell in &self.cells {
            sum += self.true_cell_voltage(cell).0;
            pins.push(Volts(sum));
        }
        pins
    }

    fn temp_sensors_disabled(&self) -> bool {
        self.settings
            .control
            .is_some_and(|c| c.disable_temp_sensors)
    }

    fn cell_index(&self, cell: u32) -> Result<usize, SimError> {
        let cells = self.cells.len() as u32;
        if (1..=cells).contains(&cell) {
            Ok(cell as usize - 1)
        } else {
            Err(SimError::NoSuchCell { cell, cells })
        }
    }

    fn true_cell_voltage(&self, cell: &Cell) -> Volts {
        let resistance = CELL_RESISTANCE_OHM_AH / (self.capacity.0 * cell.capacity_factor);
        let ocv = open_circuit_voltage(self.chemistry, cell.soc).0;
        Volts(ocv + self.flowing_current.0 * resistance + cell.jitter)
    }

    /// A true voltage as the unit's calibrated measurement shows it.
    fn reported(&self, v: Volts) -> Volts {
        Volts(v.0 * self.voltage_gain)
    }

    /// What a probe at this offset from the ambient reads (°C).
    fn probe_temperature(&self, offset: f64) -> f64 {
        self.ambient.0 + offset + self.heat(0.01)
    }

    /// Warming by the current: `per_amp` °C per ampere.
    fn heat(&self, per_amp: f64) -> f64 {
        self.flowing_current.0.abs() * per_amp
    }

    fn soc(&self) -> f64 {
        self.cells.iter().map(|c| c.soc).sum::<f64>() / self.cells.len() as f64
    }

    fn cycle_count(&self) -> u32 {
        let capacity = self.settings.capacity.0;
        if capacity > 0.0 {
            (self.charged_ah / capacity) as u32
        } else {
            0
        }
    }
}

/// Refuse `value` outside `low..=high`, naming the setting and the range.
fn check<T: PartialOrd + Copy>(
    what: &'static str,
    value: T,
    low: T,
    high: T,
    show: impl Fn(T) -> String,
) -> Result<(), SimError> {
    if value >= low && value <= high {
        Ok(())
    } else {
        Err(SimError::OutOfRange {
            what,
            value: show(value),
            range: format!("{} to {}", show(low), show(high)),
        })
    }
}

#[cfg(test)]
mod tests;

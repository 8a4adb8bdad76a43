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
        "cannot calibrate the current while {0} flows: put a steady current through the pack first"
    )]
    NoCurrent(Amps),
    /// A switch this unit's firmware has no place for.
    #[error("this unit (24S firmware) has no {0:?} switch")]
    Unsupported(Switch),
}

/// A fault a training scenario or a test stages on the unit. Cells and probes count from 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// A balance tap opens (cold solder joint, loose pin): that cell reads 0 V, its bit leaves
    /// the enabled-cell mask, its lead is flagged and the alarm for poor cell connection rises.
    OpenTap {
        /// The cell whose tap opens.
        cell: u32,
    },
    /// The tap is repaired.
    CloseTap {
        /// The cell whose tap is repaired.
        cell: u32,
    },
    /// A temperature probe is unplugged: it reads "no probe" and, unless the sensors are
    /// disabled, the temperature-sensor alarm rises for probes 1 and 2.
    RemoveProbe {
        /// The probe socket.
        probe: u32,
    },
    /// A temperature probe is plugged in.
    FitProbe {
        /// The probe socket.
        probe: u32,
    },
    /// An alarm bit is raised and held, whatever the physics say.
    RaiseAlarm {
        /// The alarm.
        alarm: Alarm,
    },
    /// A held alarm bit is released.
    ClearAlarm {
        /// The alarm.
        alarm: Alarm,
    },
    /// A cell is charged or discharged on its own until it rests at this voltage (imbalance).
    CellVoltage {
        /// The cell.
        cell: u32,
        /// Its new resting voltage.
        volts: Volts,
    },
    /// The pack's surroundings change temperature (the probes follow).
    Ambient {
        /// The new temperature.
        celsius: Celsius,
    },
    /// The Bluetooth connection breaks for this long (out of range): the link reports Down at
    /// once and reconnects afterwards.
    DropLink {
        /// How long, in seconds.
        seconds: f64,
    },
    /// The unit stays connected but says nothing and ignores commands for this long: only the
    /// session's watchdog notices (re-requests, then a reconnect after ≈ 50 s).
    Silence {
        /// How long, in seconds.
        seconds: f64,
    },
    /// The live stream stops until the host asks again with 0x96.
    StallStream,
    /// The next frame arrives with one byte changed (radio noise): its checksum fails and the
    /// link reports it as refused.
    CorruptNextFrame,
    /// A cell drifts, over `seconds`, until it rests at `volts` (a weak or leaking cell going
    /// out of balance while the session runs); the voltage moves a little every moment.
    CellDrift {
        /// The cell.
        cell: u32,
        /// Where it ends up.
        volts: Volts,
        /// How long the drift takes, in seconds.
        seconds: f64,
    },
    /// The protection acts at these cell voltages instead of the set Cell OVP / UVP (a faulty
    /// unit: the protection test must catch it). `None` puts that side back on its setting.
    CutoffAt {
        /// The highest cell voltage at which the charge is cut off.
        #[serde(default)]
        charge: Option<Volts>,
        /// The lowest cell voltage at which the discharge is cut off.
        #[serde(default)]
        discharge: Option<Volts>,
    },
    /// The balancer breaks (the manual's error 8): it moves no charge any more, and the alarm
    /// word carries [`BALANCER_FAULT_BIT`], a bit outside the known table — no bit for error 8
    /// is known, so a host can only report it as an unknown alarm.
    BreakBalancer,
    /// The balancer works again.
    RepairBalancer,
}

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

/// How to build a unit: identity, pack and its state out of the box.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The cell-info layout; also decides the firmware the unit reports.
    pub layout: Layout,
    /// Model, versions, name, date and serial (uptime and power-on count are the unit's own).
    pub device: DeviceInfo,
    /// The passcodes sent in the device-info frame.
    pub passcodes: Passcodes,
    /// Rated current (sets the factory charge/discharge limits).
    pub rated_current: Amps,
    /// The battery type of the factory set the unit ships with.
    pub factory_chemistry: Chemistry,
    /// The cell count every factory set writes.
    pub factory_cell_count: u32,
    /// The capacity every factory set writes.
    pub factory_capacity: AmpHours,
    /// The pack's chemistry.
    pub chemistry: Chemistry,
    /// Cells in series in the pack.
    pub cells: u32,
    /// The pack's real capacity.
    pub capacity: AmpHours,
    /// The pack's state of charge (0..1).
    pub soc: f64,
    /// Balance plug in.
    pub plugged_in: bool,
    /// Activated (only takes effect with the plug in).
    pub activated: bool,
    /// Settings already matched to the pack (battery type, cell count, capacity, switches on),
    /// as after a finished commissioning; otherwise the factory state.
    pub matched: bool,
    /// Which temperature probe sockets have a probe (index 0 = probe 1).
    pub probes: Vec<bool>,
    /// The temperature around the pack.
    pub ambient: Celsius,
    /// Seed of the drift and jitter.
    pub seed: u64,
    /// How many times faster than real time charge flows: a bench run of the protection test
    /// would take hours at real pace, so the wizard's simulator speeds the pack up (1 = real).
    pub bench_speed: f64,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self::fresh()
    }
}

impl SimConfig {
    /// The default `--sim` unit, fresh from the box: a 16-cell 280 Ah LiFePO4 pack on a
    /// 24-cell unit with 32S-layout firmware, balance plug out, not activated. Its settings are
    /// the factory Li-ion set (cell OVP 4.20 V: dangerous on LiFePO4), cell count 24 and
    /// capacity 100 Ah — none of them matches the pack, so every configuration step has
    /// something to correct. Charge and discharge switches are on, balance is off.
    pub fn fresh() -> Self {
        Self {
            layout: Layout::S32,
            device: identity(Layout::S32),
            passcodes: Passcodes {
                connection: "1234".into(),
                settings: "123456".into(),
            },
            rated_current: Amps(200.0),
            factory_chemistry: Chemistry::LiIon,
            factory_cell_count: 24,
            factory_capacity: AmpHours(100.0),
            chemistry: Chemistry::LiFePo4,
            cells: 16,
            capacity: AmpHours(280.0),
            soc: 0.5,
            plugged_in: false,
            activated: false,
            matched: false,
            probes: vec![true, true, false, false, false],
            ambient: Celsius(22.0),
            seed: 0x4A4B_2D42_4D53,
            bench_speed: 1.0,
        }
    }

    /// The `monitor --sim` unit: the same pack, plugged in, activated and configured.
    pub fn ready() -> Self {
        Self::fresh().plugged_in(true).activated(true).matched(true)
    }

    /// Use this layout, with a firmware identity that reports it (24S: `JK-B2A24S20P` sw 10.07,
    /// 32S: `JK_B2A24S20P` sw 11.61), and that many probe sockets.
    pub fn with_layout(mut self, layout: Layout) -> Self {
        self.layout = layout;
        self.device = identity(layout);
        self.probes.resize(probe_sockets(layout), false);
        self
    }

    /// Cells in series in the pack (4 up to the layout's slots).
    pub fn with_cells(mut self, cells: u32) -> Self {
        self.cells = cells;
        self
    }

    /// The pack's chemistry.
    pub fn with_chemistry(mut self, chemistry: Chemistry) -> Self {
        self.chemistry = chemistry;
        self
    }

    /// The pack's real capacity.
    pub fn with_capacity(mut self, capacity: AmpHours) -> Self {
        self.capacity = capacity;
        self
    }

    /// The pack's state of charge (0..1).
    pub fn with_soc(mut self, soc: f64) -> Self {
        self.soc = soc;
        self
    }

    /// Balance plug in or out.
    pub fn plugged_in(mut self, yes: bool) -> Self {
        self.plugged_in = yes;
        self
    }

    /// Activated or not.
    pub fn activated(mut self, yes: bool) -> Self {
        self.activated = yes;
        self
    }

    /// Settings matched to the pack, or the factory state.
    pub fn matched(mut self, yes: bool) -> Self {
        self.matched = yes;
        self
    }

    /// Seed of the drift and jitter.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Charge flows this many times faster than real time (see [`SimConfig::bench_speed`]).
    pub fn with_bench_speed(mut self, speed: f64) -> Self {
        self.bench_speed = speed.max(1.0);
        self
    }

    fn factory_base(&self) -> FactoryBase {
        FactoryBase {
            layout: self.layout,
            cell_count: self.factory_cell_count,
            capacity: self.factory_capacity,
            rated_current: self.rated_current,
        }
    }
}

/// The firmware identity the simulator reports for a layout (the decoder picks the layout
/// from the software version, so they must agree).
fn identity(layout: Layout) -> DeviceInfo {
    let (model, hw, sw) = match layout {
        Layout::S24 => ("JK-B2A24S20P", "10.XW", "10.07"),
        Layout::S32 => ("JK_B2A24S20P", "11.XW", "11.61"),
    };
    DeviceInfo {
        model: model.into(),
        hardware_version: hw.into(),
        software_version: sw.into(),
        uptime_s: 0,
        power_on_count: 0,
        device_name: model.into(),
        manufacturing_date: "250312".into(),
        serial_number: "5071A3F42000815".into(),
    }
}

/// Temperature probe sockets of a layout's frames: probes 1–2, and 3–5 on 32S.
fn probe_sockets(layout: Layout) -> usize {
    match layout {
        Layout::S24 => 2,
        Layout::S32 => 5,
    }
}

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
    pub fn unreachable_reason(&self) -> Option<&'static str> {
        if !self.answers() {
            Some(NOT_ANSWERING)
        } else if self.link_dropped() {
            Some("the BMS is out of radio range (simulated link drop)")
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

    /// The device-info frame's content.
    pub fn device_info(&self) -> DeviceInfo {
        DeviceInfo {
            uptime_s: self.uptime_s as u32,
            power_on_count: self.power_on_count,
            ..self.device.clone()
        }
    }

    /// The live data the unit would send now, quantised as the frame carries it (mV, mA,
    /// 0.1 °C, mAh), so that encoding and decoding give back exactly this.
    pub fn cell_info(&self, counter: u8) -> CellInfo {
        let slots = self.layout.slots();
        let mut cell_voltages = vec![Volts(0.0); slots];
        let mut lead_resistances = vec![Ohms(0.0); slots];
        let mut enabled_mask = 0u32;
        let mut lead_warning_bits = 0u32;
        let mut readings = Vec::new();
        for (i, cell) in self.cells.iter().enumerate() {
            if cell.tap_open {
                lead_resistances[i] = Ohms::from_milliohms(OPEN_TAP_MILLIOHMS);
                lead_warning_bits |= 1 << i;
                continue;
            }
            let mv = self.reported(self.true_cell_voltage(cell)).millivolts();
            cell_voltages[i] = Volts::from_millivolts(mv);
            lead_resistances[i] = Ohms::from_milliohms(cell.lead_milliohms);
            enabled_mask |= 1 << i;
            readings.push((i, mv));
        }
        let (average, delta, max_cell, min_cell) = summary(&readings);
        let probes = self
            .probes
            .iter()
            .map(|&(fitted, offset)| {
                fitted.then(|| quantise_celsius(self.probe_temperature(offset)))
            })
            .collect();
        let temp_sensor_bits =
            self.probes
                .iter()
                .enumerate()
                .fold(
                    1u16,
                    |bits, (i, &(fitted, _))| {
                        if fitted {
                            bits | (1 << (i + 1))
                        } else {
                            bits
                        }
                    },
                );
        let soc_fraction = self.soc().clamp(0.0, 1.0);
        let balancing_current = match self.balancing {
            BalancingAction::Off => Amps(0.0),
            BalancingAction::Charging => BALANCE_CURRENT,
            BalancingAction::Discharging => Amps(-BALANCE_CURRENT.0),
        };
        CellInfo {
            layout: self.layout,
            counter,
            cell_voltages,
            enabled_mask,
            average_voltage: Volts::from_millivolts(average),
            delta_voltage: Volts::from_millivolts(delta),
            max_cell,
            min_cell,
            lead_resistances,
            lead_warning_bits,
            mos_temperature: Some(quantise_celsius(self.ambient.0 + 3.0 + self.heat(0.02))),
            pack_voltage: Volts::from_millivolts(self.reported(self.pack_voltage()).millivolts()),
            current: Amps::from_milliamps(
                Amps(self.flowing_current.0 * self.current_gain).milliamps(),
            ),
            probes,
            alarm_bits: self.alarm_bits(),
            balancing_current,
            balancing_action: self.balancing,
            soc: (soc_fraction * 100.0).round() as u8,
            remaining_capacity: AmpHours::from_milliamp_hours(
                AmpHours(self.settings.capacity.0 * soc_fraction).milliamp_hours(),
            ),
            full_capacity: AmpHours::from_milliamp_hours(self.settings.capacity.milliamp_hours()),
            cycle_count: self.cycle_count(),
            charging: self.charge_fet,
            discharging: self.discharge_fet,
            temp_sensor_bits,
            emergency: (self.layout == Layout::S32).then_some(self.emergency),
        }
    }

    /// The alarm word the unit shows now.
    pub fn alarm_bits(&self) -> u32 {
        let mut bits = self.forced_alarms;
        if self.balancer_broken {
            bits |= 1 << BALANCER_FAULT_BIT;
        }
        let mut set = |alarm: Alarm, on: bool| {
            if on {
                bits |= 1 << alarm.bit();
            }
        };
        set(Alarm::LeadResistance, self.cells.iter().any(|c| c.tap_open));
        set(Alarm::CellCountMismatch, self.trips.cell_count);
        set(Alarm::CellOverVoltage, self.trips.ovp);
        set(Alarm::CellUnderVoltage, self.trips.uvp);
        set(Alarm::ChargeUnderTemperature, self.trips.charge_utp);
        set(Alarm::ChargeOverCurrent, self.trips.charge_ocp);
        // Our assumption: the unit flags its own required sensor, probe 1; a second socket left
        // empty is read as "not fitted", not as a fault.
        set(
            Alarm::TemperatureSensor,
            !self.temp_sensors_disabled() && self.probes.first().is_some_and(|(fitted, _)| !fitted),
        );
        // The 24S frame carries a 16-bit alarm word: the higher bits do not exist there.
        if self.layout == Layout::S24 {
            bits &= 0xFFFF;
        }
        bits
    }

    /// Do what a person does to the unit or in the app. Plug, activation and the bench current
    /// always work; the app's settings need a unit that answers.
    pub fn apply(&mut self, action: &AppAction) -> Result<(), SimError> {
        match action {
            AppAction::BalancePlug(true) => self.plugged_in = true,
            AppAction::BalancePlug(false) => {
                // No power without the plug; activation is needed again afterwards.
                self.plugged_in = false;
                self.activated = false;
            }
            AppAction::Activate => {
                if !self.plugged_in {
                    return Err(SimError::NoPower);
                }
                if !self.activated {
                    self.activated = true;
                    self.uptime_s = 0.0;
                    self.power_on_count += 1;
                    self.log(0x01);
                }
            }
            AppAction::Current(amps) => self.applied_current = *amps,
            other => {
                if !self.answers() {
                    return Err(SimError::NotAnswering(NOT_ANSWERING));
                }
                self.apply_setting(other)?;
            }
        }
        self.evaluate();
        Ok(())
    }

    fn apply_setting(&mut self, action: &AppAction) -> Result<(), SimError> {
        let s = &mut self.settings;
        match action {
            AppAction::BatteryType(chemistry) => self.load_factory(*chemistry),
            AppAction::CellCount(n) => {
                let slots = self.layout.slots() as u32;
                check("Cell Count", *n, MIN_CELLS, slots, |v| v.to_string())?;
                s.cell_count = *n;
            }
            AppAction::Capacity(ah) => {
                check("Battery Capacity(AH)", ah.0, 1.0, 5000.0, |v| {
                    AmpHours(v).to_string()
                })?;
                s.capacity = *ah;
            }
            AppAction::BalanceTrigger(v) => {
                check("Balance Trig.Volt(V)", v.0, 0.003, 1.0, |v| {
                    Volts(v).to_string()
                })?;
                s.balance_trigger = *v;
            }
            AppAction::Switch { switch, on } => {
                let on = *on;
                match switch {
                    Switch::Charge => s.charge_switch = on,
                    Switch::Discharge => s.discharge_switch = on,
                    Switch::Balance => s.balance_switch = on,
                    // Only 32S firmware has the switch; older units have nothing to set.
                    Switch::Emergency if self.layout == Layout::S32 => self.emergency = on,
                    Switch::Emergency => return Err(SimError::Unsupported(Switch::Emergency)),
                    other => {
                        let bits: &mut ControlBits =
                            s.control.as_mut().ok_or(SimError::Unsupported(*other))?;
                        match other {
                            Switch::DisableTempSensor => bits.disable_temp_sensors = on,
                            Switch::DisplayAlwaysOn => bits.display_always_on = on,
                            Switch::Heating => bits.heating = on,
                            Switch::PortSwitch => bits.port_rs485 = on,
                            _ => unreachable!("handled above"),
                        }
                    }
                }
            }
            // The app links each protection to its recovery value: moving one past the other
            // drags the other along (3 °C, 0.1 V, 0.2 V apart), as "many are linked" warns.
            AppAction::ChargeUtp(c) => {
                check("Charge UTP(C)", c.0, -40.0, 20.0, |v| {
                    Celsius(v).to_string()
                })?;
                s.charge_utp = *c;
                if s.charge_utpr.0 <= c.0 {
                    s.charge_utpr = Celsius(c.0 + 3.0);
                }
            }
            AppAction::ChargeUtpr(c) => {
                check("Charge UTPR(C)", c.0, -37.0, 25.0, |v| {
                    Celsius(v).to_string()
                })?;
                s.charge_utpr = *c;
                if s.charge_utp.0 >= c.0 {
                    s.charge_utp = Celsius(c.0 - 3.0);
                }
            }
            AppAction::CellOvp(v) => {
                let low = (s.cell_uvpr.0 + 0.2).max(1.2);
                check("Cell OVP(V)", v.0, low, 4.5, |v| Volts(v).to_string())?;
                s.cell_ovp = *v;
                if s.cell_ovpr.0 >= v.0 {
                    s.cell_ovpr = Volts(v.0 - 0.1);
                }
            }
            AppAction::CellUvp(v) => {
                let high = (s.cell_ovpr.0 - 0.4).min(4.0);
                check("Cell UVP(V)", v.0, 1.2, high, |v| Volts(v).to_string())?;
                s.cell_uvp = *v;
                if s.cell_uvpr.0 <= v.0 {
                    s.cell_uvpr = Volts(v.0 + 0.2);
                }
                if s.power_off_voltage.0 >= v.0 {
                    s.power_off_voltage = Volts(v.0 - 0.1);
                }
            }
            AppAction::MaxChargeCurrent(a) => {
                let rated = self.rated_current.0;
                check("Constant Charge Current(A)", a.0, 1.0, rated, |v| {
                    Amps(v).to_string()
                })?;
                s.max_charge_current = *a;
            }
            AppAction::CalibrateVoltage(measured) => {
                let reading = self.pack_voltage().0 * self.voltage_gain;
                let (low, high) = (reading * 0.9, reading * 1.1);
                check("Calibrating Volt(V)", measured.0, low, high, |v| {
                    Volts(v).to_string()
                })?;
                self.voltage_gain = measured.0 / self.pack_voltage().0;
            }
            AppAction::CalibrateCurrent(measured) => {
                let flowing = self.flowing_current.0;
                if flowing.abs() < 1.0 {
                    return Err(SimError::NoCurrent(self.flowing_current));
                }
                let reading = flowing * self.current_gain;
                let (a, b) = (reading * 0.8, reading * 1.2);
                check("Calibrating Curr(A)", measured.0, a.min(b), a.max(b), |v| {
                    Amps(v).to_string()
                })?;
                self.current_gain = measured.0 / flowing;
            }
            AppAction::BalancePlug(_) | AppAction::Activate | AppAction::Current(_) => {
                unreachable!("physical actions are handled by apply")
            }
        }
        Ok(())
    }

    /// Load a chemistry's factory set: every setting except the CONTROL-tab switches returns
    /// to the factory value, and the logbook records it.
    fn load_factory(&mut self, chemistry: Chemistry) {
        let kept = self.settings.clone();
        self.settings = Settings {
            charge_switch: kept.charge_switch,
            discharge_switch: kept.discharge_switch,
            balance_switch: kept.balance_switch,
            control: kept.control,
            ..factory_settings(chemistry, &self.factory)
        };
        self.log(LogEntry::factory_code(chemistry));
    }

    /// Stage a fault.
    pub fn inject(&mut self, fault: &Fault) -> Result<(), SimError> {
        match fault {
            Fault::OpenTap { cell } | Fault::CloseTap { cell } => {
                let i = self.cell_index(*cell)?;
                self.cells[i].tap_open = matches!(fault, Fault::OpenTap { .. });
            }
            Fault::RemoveProbe { probe } | Fault::FitProbe { probe } => {
                let sockets = self.probes.len() as u32;
                if !(1..=sockets).contains(probe) {
                    return Err(SimError::NoSuchProbe {
                        probe: *probe,
                        probes: sockets,
                    });
                }
                self.probes[*probe as usize - 1].0 = matches!(fault, Fault::FitProbe { .. });
            }
            Fault::RaiseAlarm { alarm } => self.forced_alarms |= 1 << alarm.bit(),
            Fault::ClearAlarm { alarm } => self.forced_alarms &= !(1 << alarm.bit()),
            Fault::CellVoltage { cell, volts } => {
                let i = self.cell_index(*cell)?;
                self.cells[i].soc = soc_for_voltage(self.chemistry, *volts);
            }
            Fault::Ambient { celsius } => {
                check("ambient temperature", celsius.0, -40.0, 90.0, |v| {
                    Celsius(v).to_string()
                })?;
                self.ambient = *celsius;
            }
            Fault::DropLink { seconds } | Fault::Silence { seconds } => {
                check("fault duration (s)", *seconds, 0.0, 86_400.0, |v| {
                    v.to_string()
                })?;
                let d = Duration::from_secs_f64(*seconds);
                if matches!(fault, Fault::DropLink { .. }) {
                    self.radio.dropped_for = d;
                } else {
                    self.radio.silent_for = d;
                }
            }
            Fault::StallStream => self.radio.stall = true,
            Fault::CorruptNextFrame => self.radio.corrupt = true,
            Fault::CellDrift {
                cell,
                volts,
                seconds,
            } => {
                let i = self.cell_index(*cell)?;
                check("drift duration (s)", *seconds, 0.0, 86_400.0, |v| {
                    v.to_string()
                })?;
                let target = soc_for_voltage(self.chemistry, *volts);
                let c = &mut self.cells[i];
                if *seconds <= 0.0 {
                    c.soc = target;
                    c.drift = None;
                } else {
                    c.drift = Some((target, (target - c.soc) / seconds));
                }
            }
            Fault::CutoffAt { charge, discharge } => {
                for v in [charge, discharge].into_iter().flatten() {
                    check("cut-off voltage", v.0, 1.0, 5.0, |v| Volts(v).to_string())?;
                }
                self.cutoff_at = (*charge, *discharge);
            }
            Fault::BreakBalancer => self.balancer_broken = true,
            Fault::RepairBalancer => self.balancer_broken = false,
        }
        self.evaluate();
        Ok(())
    }

    /// The Bluetooth connection is broken by a [`Fault::DropLink`].
    pub fn link_dropped(&self) -> bool {
        !self.radio.dropped_for.is_zero()
    }

    /// The unit is connected but mute ([`Fault::Silence`]).
    pub fn silenced(&self) -> bool {
        !self.radio.silent_for.is_zero()
    }

    /// Take a pending [`Fault::StallStream`] (the link task stops the stream once).
    pub fn take_stall(&mut self) -> bool {
        std::mem::take(&mut self.radio.stall)
    }

    /// Take a pending [`Fault::CorruptNextFrame`].
    pub fn take_corrupt(&mut self) -> bool {
        std::mem::take(&mut self.radio.corrupt)
    }

    /// Let `dt` pass: radio faults wear off, and a powered unit integrates the current,
    /// balances, drifts and runs its protection.
    pub fn advance(&mut self, dt: Duration) {
        self.radio.dropped_for = self.radio.dropped_for.saturating_sub(dt);
        self.radio.silent_for = self.radio.silent_for.saturating_sub(dt);
        let secs = dt.as_secs_f64();
        if secs <= 0.0 {
            return;
        }
        for i in 0..self.cells.len() {
            let step = self.rng.symmetric() * 0.0003;
            let cell = &mut self.cells[i];
            cell.jitter = (cell.jitter + step).clamp(-JITTER_LIMIT, JITTER_LIMIT);
            // A staged drift happens in the cell itself, powered or not.
            if let Some((target, rate)) = cell.drift {
                let next = cell.soc + rate * secs;
                let arrived = (rate >= 0.0 && next >= target) || (rate < 0.0 && next <= target);
                cell.soc = if arrived { target } else { next };
                if arrived {
                    cell.drift = None;
                }
            }
        }
        if !self.answers() {
            self.evaluate();
            return;
        }
        self.runtime_s += secs;
        self.uptime_s += secs;
        let hours = secs * self.bench_speed / 3600.0;
        // Integrate in slices of at most MAX_SOC_STEP of the smallest cell, running the
        // protection after each: a sped-up bench must still cut off at the set voltage, not
        // one big step past it.
        let smallest = self
            .cells
            .iter()
            .map(|c| self.capacity.0 * c.capacity_factor)
            .fold(f64::INFINITY, f64::min);
        let amps = self.flowing_current.0.abs();
        let slices = if amps > 0.0 && smallest.is_finite() {
            ((amps * hours / (MAX_SOC_STEP * smallest)).ceil() as usize).clamp(1, 100_000)
        } else {
            1
        };
        let slice = hours / slices as f64;
        for _ in 0..slices {
            let amps = self.flowing_current.0;
            for cell in &mut self.cells {
                let ah = self.capacity.0 * cell.capacity_factor;
                cell.soc = (cell.soc + amps * slice / ah).clamp(SOC_RANGE.0, SOC_RANGE.1);
            }
            if amps > 0.0 {
                self.charged_ah += amps * slice;
            }
            self.balance(slice);
            self.evaluate();
        }
    }

    /// The active balancer moves charge from the highest to the lowest connected cell.
    fn balance(&mut self, hours: f64) {
        self.balancing = BalancingAction::Off;
        let s = &self.settings;
        if !s.balance_switch || self.balancer_broken {
            return;
        }
        let connected: Vec<(usize, f64)> = self
            .cells
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.tap_open)
            .map(|(i, c)| (i, self.reported(self.true_cell_voltage(c)).0))
            .collect();
        let Some(&(hi, vmax)) = connected.iter().max_by(|a, b| a.1.total_cmp(&b.1)) else {
            return;
        };
        let &(lo, vmin) = connected
            .iter()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .expect("non-empty");
        if vmax - vmin <= s.balance_trigger.0 || vmax < s.balance_start_voltage.0 {
            return;
        }
        let average = connected.iter().map(|c| c.1).sum::<f64>() / connected.len() as f64;
        // Reported as charging the weak cell when it is further from the average than the
        // strong one is, otherwise as discharging the strong one.
        self.balancing = if average - vmin > vmax - average {
            BalancingAction::Charging
        } else {
            BalancingAction::Discharging
        };
        let moved = BALANCE_CURRENT.0 * hours;
        let ah = |c: &Cell| self.capacity.0 * c.capacity_factor;
        let (d_hi, d_lo) = (moved / ah(&self.cells[hi]), moved / ah(&self.cells[lo]));
        self.cells[hi].soc -= d_hi;
        self.cells[lo].soc += d_lo;
    }

    /// Protection and MOSFETs from the present readings; writes logbook events on trips.
    fn evaluate(&mut self) {
        if !self.answers() {
            self.charge_fet = false;
            self.discharge_fet = false;
            self.flowing_current = Amps(0.0);
            self.balancing = BalancingAction::Off;
            return;
        }
        let readings: Vec<f64> = self
            .cells
            .iter()
            .filter(|c| !c.tap_open)
            .map(|c| self.reported(self.true_cell_voltage(c)).0)
            .collect();
        let max = readings.iter().copied().fold(f64::MIN, f64::max);
        let min = readings.iter().copied().fold(f64::MAX, f64::min);
        let s = self.settings.clone();
        let mut trips = self.trips;
        let mut events = Vec::new();
        // A staged fault may move where the protection acts; recovery keeps its distance.
        let ovp = self.cutoff_at.0.map_or(s.cell_ovp.0, |v| v.0);
        let ovpr = s.cell_ovpr.0 + (ovp - s.cell_ovp.0);
        let uvp = self.cutoff_at.1.map_or(s.cell_uvp.0, |v| v.0);
        let uvpr = s.cell_uvpr.0 + (uvp - s.cell_uvp.0);
        if !readings.is_empty() {
            if !trips.ovp && max >= ovp {
                trips.ovp = true;
                events.push(0x11);
            } else if trips.ovp && max <= ovpr {
                trips.ovp = false;
            }
            if !trips.uvp && min <= uvp {
                trips.uvp = true;
                events.push(0x1D);
            } else if trips.uvp && min >= uvpr {
                trips.uvp = false;
            }
        }
        let coldest = self
            .probes
            .iter()
            .filter(|(fitted, _)| *fitted)
            .map(|(_, offset)| self.probe_temperature(*offset))
            .fold(f64::MAX, f64::min);
        if self.temp_sensors_disabled() || coldest == f64::MAX {
            // Without sensors (or with them disabled) there is no temperature protection:
            // exactly why the manual says to leave "Disable Temp. Sensor" off.
            trips.charge_utp = false;
        } else if !trips.charge_utp && coldest < s.charge_utp.0 {
            trips.charge_utp = true;
            events.push(0x1B);
        } else if trips.charge_utp && coldest >= s.charge_utpr.0 {
            trips.charge_utp = false;
            events.push(0x1C);
        }
        trips.charge_ocp = self.applied_current.0 > s.max_charge_current.0;
        let connected = readings.len() as u32;
        let mismatch = connected != s.cell_count;
        if mismatch && !trips.cell_count {
            events.push(0x3C);
        }
        trips.cell_count = mismatch;
        self.trips = trips;
        for code in events {
            self.log(code);
        }
        self.charge_fet = s.charge_switch && !trips.ovp && !trips.charge_utp && !trips.charge_ocp;
        // Emergency exists to draw what is left after the under-voltage cut-off: the unit then
        // lets the discharge through, which is why the pack is unprotected while it is on.
        self.discharge_fet = s.discharge_switch && (!trips.uvp || self.emergency);
        let applied = self.applied_current.0;
        self.flowing_current =
            if (applied > 0.0 && self.charge_fet) || (applied < 0.0 && self.discharge_fet) {
                self.applied_current
            } else {
                Amps(0.0)
            };
    }

    fn log(&mut self, code: u8) {
        self.logbook.entries.push(LogEntry {
            seconds: self.runtime_s as u32,
            code,
        });
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

/// Average, delta, index of max and of min over `(index, mV)` readings.
fn summary(readings: &[(usize, i64)]) -> (i64, i64, u8, u8) {
    let Some(&(first, _)) = readings.first() else {
        return (0, 0, 0, 0);
    };
    let (mut hi, mut lo) = (first, first);
    let mut max = i64::MIN;
    let mut min = i64::MAX;
    for &(i, mv) in readings {
        if mv > max {
            max = mv;
            hi = i;
        }
        if mv < min {
            min = mv;
            lo = i;
        }
    }
    let sum: i64 = readings.iter().map(|r| r.1).sum();
    let average = (sum as f64 / readings.len() as f64).round() as i64;
    (average, max - min, hi as u8, lo as u8)
}

fn quantise_celsius(c: f64) -> Celsius {
    Celsius::from_decidegrees(Celsius(c).decidegrees())
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

//! How to build a unit: its identity, pack and state out of the box.

use super::*;

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

    pub(super) fn factory_base(&self) -> FactoryBase {
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
pub(super) fn identity(layout: Layout) -> DeviceInfo {
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
pub(super) fn probe_sockets(layout: Layout) -> usize {
    match layout {
        Layout::S24 => 2,
        Layout::S32 => 5,
    }
}

//! Bytes to model and model to bytes: one table of offsets per frame type and layout (pure).
//!
//! Every field's offset and width is written once, in the tables below; [`decode`] and the
//! `encode_*` functions both read them, so the simulator's frames and the decoder cannot drift
//! apart. The device-info table names the two passcode fields only so the encoder can place
//! them: no decoder reads them, and no type of this module keeps them.

use std::fmt;

use crate::bms::frame::{FrameError, FrameType, RawFrame, Reassembler, FRAME_LEN};
use crate::bms::model::{
    BalancingAction, CellInfo, ControlBits, DeviceInfo, Frame, Layout, LogEntry, Logbook, Settings,
};
use crate::units::{AmpHours, Amps, Celsius, Ohms, Volts};

/// Why a checked frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// An old JK04 unit (firmware < 6): not supported.
    #[error("this is an old JK04 unit (software {0}): its protocol is not supported")]
    Jk04(String),
    /// The layout cannot be decided.
    #[error("cannot tell whether this cell-info frame uses the 24S or the 32S layout")]
    UndecidableLayout,
    /// A frame type we do not know.
    #[error("unknown frame type {0:#04x}")]
    UnknownType(u8),
    /// The layout in force (from the software version or chosen by hand) contradicts the
    /// frame's own enabled-cell mask.
    #[error(
        "this cell-info frame does not fit the {expected} layout in force: its enabled-cell \
         mask fits only the {found} layout, so decoding it would give wrong values"
    )]
    LayoutMismatch {
        /// The layout in force.
        expected: Layout,
        /// The only layout the frame's mask fits.
        found: Layout,
    },
    /// A cell-info frame with float32 cell voltages: the old JK04 protocol.
    #[error(
        "this cell-info frame is in the old JK04 format (cell voltages as float32): \
         JK04 units are not supported"
    )]
    Jk04Frame,
    /// A frame whose values no real unit can have: not understood, so neither shown nor
    /// judged. An old JK04 unit whose software version looks new sends such frames.
    #[error(
        "{frame} frame not understood: {field} reads {value}, which no real unit sends \
         (plausible: {range}); it is refused rather than shown (an old JK04 unit whose software \
         version looks new sends frames like this: JK04 is not supported)"
    )]
    Implausible {
        /// The kind of frame: `settings` or `cell-info`.
        frame: &'static str,
        /// The field that gave it away.
        field: &'static str,
        /// What it reads, with its unit.
        value: String,
        /// What a real unit can send there.
        range: &'static str,
    },
    /// A software version whose major number cannot be read.
    #[error("cannot read a major version number from software version '{0}'")]
    UnknownVersion(String),
}

// ---------------------------------------------------------------------------------------------
// Fields: an offset and a little-endian integer width.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    U8,
    U16,
    I16,
    U32,
    I32,
}

/// One integer field of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Field {
    at: usize,
    kind: Kind,
}

const fn u8_at(at: usize) -> Field {
    Field { at, kind: Kind::U8 }
}
const fn u16_at(at: usize) -> Field {
    Field {
        at,
        kind: Kind::U16,
    }
}
const fn i16_at(at: usize) -> Field {
    Field {
        at,
        kind: Kind::I16,
    }
}
const fn u32_at(at: usize) -> Field {
    Field {
        at,
        kind: Kind::U32,
    }
}
const fn i32_at(at: usize) -> Field {
    Field {
        at,
        kind: Kind::I32,
    }
}

impl Field {
    #[cfg(test)]
    fn width(self) -> usize {
        match self.kind {
            Kind::U8 => 1,
            Kind::U16 | Kind::I16 => 2,
            Kind::U32 | Kind::I32 => 4,
        }
    }

    fn get(self, b: &[u8; FRAME_LEN]) -> i64 {
        let a = self.at;
        match self.kind {
            Kind::U8 => i64::from(b[a]),
            Kind::U16 => i64::from(u16::from_le_bytes([b[a], b[a + 1]])),
            Kind::I16 => i64::from(i16::from_le_bytes([b[a], b[a + 1]])),
            Kind::U32 => i64::from(u32::from_le_bytes([b[a], b[a + 1], b[a + 2], b[a + 3]])),
            Kind::I32 => i64::from(i32::from_le_bytes([b[a], b[a + 1], b[a + 2], b[a + 3]])),
        }
    }

    /// Write `v`, saturated to the field's range: a model value too large for the wire is
    /// sent as the largest the field holds rather than wrapped into nonsense.
    fn put(self, b: &mut [u8; FRAME_LEN], v: i64) {
        let a = self.at;
        match self.kind {
            Kind::U8 => b[a] = v.clamp(0, u8::MAX.into()) as u8,
            Kind::U16 => {
                b[a..a + 2].copy_from_slice(&(v.clamp(0, u16::MAX.into()) as u16).to_le_bytes())
            }
            Kind::I16 => b[a..a + 2]
                .copy_from_slice(&(v.clamp(i16::MIN.into(), i16::MAX.into()) as i16).to_le_bytes()),
            Kind::U32 => {
                b[a..a + 4].copy_from_slice(&(v.clamp(0, u32::MAX.into()) as u32).to_le_bytes())
            }
            Kind::I32 => b[a..a + 4]
                .copy_from_slice(&(v.clamp(i32::MIN.into(), i32::MAX.into()) as i32).to_le_bytes()),
        }
    }

    /// Write a bit field: bits beyond the field's width are dropped, never saturated (a
    /// saturated alarm word would read as every alarm on).
    fn put_bits(self, b: &mut [u8; FRAME_LEN], bits: u32) {
        let width = match self.kind {
            Kind::U8 => 8,
            Kind::U16 | Kind::I16 => 16,
            Kind::U32 | Kind::I32 => 32,
        };
        let kept = if width == 32 {
            bits
        } else {
            bits & ((1 << width) - 1)
        };
        let a = self.at;
        b[a..a + width / 8].copy_from_slice(&kept.to_le_bytes()[..width / 8]);
    }

    fn get_bool(self, b: &[u8; FRAME_LEN]) -> bool {
        self.get(b) != 0
    }

    fn put_bool(self, b: &mut [u8; FRAME_LEN], on: bool) {
        self.put(b, i64::from(on));
    }
}

/// A fixed-size, NUL-padded ASCII text field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Text {
    at: usize,
    len: usize,
}

impl Text {
    fn get(self, b: &[u8; FRAME_LEN]) -> String {
        let raw = &b[self.at..self.at + self.len];
        let end = raw.iter().position(|&c| c == 0).unwrap_or(raw.len());
        // Control bytes are shown as '?' so a frame cannot move a cursor on the screen.
        raw[..end]
            .iter()
            .map(|&c| {
                if c.is_ascii_graphic() || c == b' ' {
                    c as char
                } else {
                    '?'
                }
            })
            .collect::<String>()
            .trim()
            .to_string()
    }

    fn put(self, b: &mut [u8; FRAME_LEN], text: &str) {
        let field = &mut b[self.at..self.at + self.len];
        field.fill(0);
        let bytes = text.as_bytes();
        let n = bytes.len().min(self.len);
        field[..n].copy_from_slice(&bytes[..n]);
    }
}

// ---------------------------------------------------------------------------------------------
// The tables.

/// Cell voltages start here in both layouts, one u16 mV per slot.
const CELL_VOLTAGES_AT: usize = 6;
/// A probe at or below −200.0 °C is not fitted.
const NO_PROBE_DECIDEGREES: i64 = -2000;

/// Where each cell-info field sits in one layout.
#[derive(Debug)]
struct CellTable {
    layout: Layout,
    mask: Field,
    average: Field,
    delta: Field,
    max_cell: Field,
    min_cell: Field,
    /// First of one u16 mΩ per slot.
    resistances_at: usize,
    lead_warning: Field,
    mos_temperature: Field,
    balancing_action: Field,
    pack_voltage: Field,
    current: Field,
    probes: &'static [Field],
    alarm: Field,
    balancing_current: Field,
    soc: Field,
    remaining: Field,
    full: Field,
    cycles: Field,
    charging: Field,
    discharging: Field,
    temp_sensor_bits: Field,
    /// The Emergency switch's countdown in seconds (non-zero = on); public decoders read it
    /// from 32S frames only.
    emergency: Option<Field>,
}

const CELLS_24S: CellTable = CellTable {
    layout: Layout::S24,
    mask: u32_at(54),
    average: u16_at(58),
    delta: u16_at(60),
    max_cell: u8_at(62),
    min_cell: u8_at(63),
    resistances_at: 64,
    lead_warning: u32_at(114),
    mos_temperature: i16_at(134),
    balancing_action: u8_at(140),
    pack_voltage: u32_at(118),
    current: i32_at(126),
    probes: &[i16_at(130), i16_at(132)],
    alarm: u16_at(136),
    balancing_current: i16_at(138),
    soc: u8_at(141),
    remaining: u32_at(142),
    full: u32_at(146),
    cycles: u32_at(150),
    charging: u8_at(166),
    discharging: u8_at(167),
    temp_sensor_bits: u16_at(182),
    emergency: None,
};

const CELLS_32S: CellTable = CellTable {
    layout: Layout::S32,
    mask: u32_at(70),
    average: u16_at(74),
    delta: u16_at(76),
    max_cell: u8_at(78),
    min_cell: u8_at(79),
    resistances_at: 80,
    lead_warning: u32_at(146),
    mos_temperature: i16_at(144),
    balancing_action: u8_at(172),
    pack_voltage: u32_at(150),
    current: i32_at(158),
    probes: &[
        i16_at(162),
        i16_at(164),
        i16_at(254),
        i16_at(256),
        i16_at(258),
    ],
    alarm: u32_at(166),
    balancing_current: i16_at(170),
    soc: u8_at(173),
    remaining: u32_at(174),
    full: u32_at(178),
    cycles: u32_at(182),
    charging: u8_at(198),
    discharging: u8_at(199),
    temp_sensor_bits: u16_at(214),
    emergency: Some(u16_at(218)),
};

fn cell_table(layout: Layout) -> &'static CellTable {
    match layout {
        Layout::S24 => &CELLS_24S,
        Layout::S32 => &CELLS_32S,
    }
}

/// The settings frame: the same offsets in both layouts.
mod settings_at {
    use super::{i32_at, u16_at, u32_at, u8_at, Field};
    pub const CELL_UVP: Field = u32_at(10);
    pub const CELL_UVPR: Field = u32_at(14);
    pub const CELL_OVP: Field = u32_at(18);
    pub const CELL_OVPR: Field = u32_at(22);
    pub const BALANCE_TRIGGER: Field = u32_at(26);
    pub const POWER_OFF: Field = u32_at(46);
    pub const MAX_CHARGE_CURRENT: Field = u32_at(50);
    pub const MAX_DISCHARGE_CURRENT: Field = u32_at(62);
    pub const CHARGE_OTP: Field = i32_at(82);
    pub const CHARGE_UTP: Field = i32_at(98);
    pub const CHARGE_UTPR: Field = i32_at(102);
    pub const CELL_COUNT: Field = u32_at(114);
    pub const CHARGE_SWITCH: Field = u8_at(118);
    pub const DISCHARGE_SWITCH: Field = u8_at(122);
    pub const BALANCE_SWITCH: Field = u8_at(126);
    pub const CAPACITY: Field = u32_at(130);
    pub const BALANCE_START: Field = u32_at(138);
    /// 32S units only.
    pub const CONTROL: Field = u16_at(282);
    pub const CONTROL_HEATING: u16 = 1 << 0;
    pub const CONTROL_DISABLE_TEMP_SENSORS: u16 = 1 << 1;
    pub const CONTROL_PORT_RS485: u16 = 1 << 3;
    pub const CONTROL_DISPLAY_ALWAYS_ON: u16 = 1 << 4;
}

/// The device-info frame.
mod device_at {
    use super::{u32_at, Field, Text};
    pub const MODEL: Text = Text { at: 6, len: 16 };
    pub const HARDWARE: Text = Text { at: 22, len: 8 };
    pub const SOFTWARE: Text = Text { at: 30, len: 8 };
    pub const UPTIME: Field = u32_at(38);
    pub const POWER_ON_COUNT: Field = u32_at(42);
    pub const DEVICE_NAME: Text = Text { at: 46, len: 16 };
    /// SECRET: written by the encoder only, never read.
    pub const CONNECTION_PASSCODE: Text = Text { at: 62, len: 16 };
    pub const MANUFACTURING_DATE: Text = Text { at: 78, len: 8 };
    pub const SERIAL: Text = Text { at: 86, len: 16 };
    /// SECRET: written by the encoder only, never read.
    pub const SETTINGS_PASSCODE: Text = Text { at: 118, len: 16 };
}

/// Where a device-info frame carries its two passcodes (byte ranges of the 300-byte frame):
/// what a capture masks before a notification is written down (`bms::capture`).
pub const PASSCODE_BYTES: [std::ops::Range<usize>; 2] = [
    device_at::CONNECTION_PASSCODE.at
        ..device_at::CONNECTION_PASSCODE.at + device_at::CONNECTION_PASSCODE.len,
    device_at::SETTINGS_PASSCODE.at
        ..device_at::SETTINGS_PASSCODE.at + device_at::SETTINGS_PASSCODE.len,
];

/// The logbook frame.
mod log_at {
    use super::{u32_at, u8_at, Field};
    pub const COUNT: Field = u32_at(6);
    pub const FIRST_ENTRY: usize = 11;
    pub const ENTRY_LEN: usize = 5;
    pub const fn seconds(i: usize) -> Field {
        u32_at(FIRST_ENTRY + i * ENTRY_LEN)
    }
    pub const fn code(i: usize) -> Field {
        u8_at(FIRST_ENTRY + i * ENTRY_LEN + 4)
    }
}

/// How many logbook entries one frame holds.
pub const MAX_LOG_ENTRIES: usize = (FRAME_LEN - 1 - log_at::FIRST_ENTRY) / log_at::ENTRY_LEN;

// ---------------------------------------------------------------------------------------------
// Layout.

/// The layout a unit with this software version uses; JK04 firmware is refused by name.
pub fn layout_for_version(software_version: &str) -> Result<Layout, DecodeError> {
    let text = software_version.trim();
    let major = crate::bms::model::firmware_major(text)
        .ok_or_else(|| DecodeError::UnknownVersion(text.to_string()))?;
    match major {
        0..=5 => Err(DecodeError::Jk04(text.to_string())),
        6..=10 => Ok(Layout::S24),
        _ => Ok(Layout::S32),
    }
}

/// Whether `mask` reads `(1 << n) - 1` with 1 ≤ n ≤ `slots`.
fn plausible_mask(mask: u32, slots: usize) -> bool {
    mask != 0 && mask & mask.wrapping_add(1) == 0 && mask.count_ones() as usize <= slots
}

/// Whether a cell-info frame carries float32 cell voltages (JK04).
///
/// A float between 0.5 and 5.5 has 0x3F00..=0x40B0 in its upper half, which would be a JK02
/// cell of 16.1–16.6 V: no JK02 frame looks like that, so the test cannot misfire on one.
fn looks_like_jk04_cells(b: &[u8; FRAME_LEN]) -> bool {
    (0..12).any(|k| {
        let at = CELL_VOLTAGES_AT + 4 * k;
        let v = f32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
        (0.5..=5.5).contains(&v)
    })
}

/// The layout of a cell-info frame: `known` (from device info or `--variant`) cross-checked
/// with the enabled-cell mask, or the mask alone when nothing is known.
pub fn decide_layout(frame: &RawFrame, known: Option<Layout>) -> Result<Layout, DecodeError> {
    let b = &frame.0;
    if looks_like_jk04_cells(b) {
        return Err(DecodeError::Jk04Frame);
    }
    let fits =
        |layout: Layout| plausible_mask(cell_table(layout).mask.get(b) as u32, layout.slots());
    let other = |layout: Layout| match layout {
        Layout::S24 => Layout::S32,
        Layout::S32 => Layout::S24,
    };
    match known {
        Some(layout) => {
            // An all-zero mask of its own (no cells visible) is fine; only a mask that fits
            // the other layout alone says the layout in force is wrong.
            if !fits(layout) && fits(other(layout)) {
                Err(DecodeError::LayoutMismatch {
                    expected: layout,
                    found: other(layout),
                })
            } else {
                Ok(layout)
            }
        }
        None => match (fits(Layout::S24), fits(Layout::S32)) {
            (true, false) => Ok(Layout::S24),
            (false, true) => Ok(Layout::S32),
            _ => Err(DecodeError::UndecidableLayout),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding.

/// Decode a checked frame. `layout` comes from device info when known; without it the
/// enabled-cell mask decides, and an undecidable frame is refused, not guessed.
///
/// A settings or cell-info frame whose values no real unit can have is refused as
/// [`DecodeError::Implausible`] (see [`plausible`]).
pub fn decode(frame: &RawFrame, layout: Option<Layout>) -> Result<Frame, DecodeError> {
    match frame.frame_type() {
        FrameType::DeviceInfo => Ok(Frame::DeviceInfo(decode_device_info(frame))),
        FrameType::Settings => {
            let settings = decode_settings(frame, layout);
            plausible_settings(&settings)?;
            Ok(Frame::Settings(settings))
        }
        FrameType::CellInfo => {
            let layout = decide_layout(frame, layout)?;
            let cells = decode_cell_info(frame, layout);
            plausible_cells(&cells)?;
            Ok(Frame::CellInfo(cells))
        }
        FrameType::Logbook => Ok(Frame::Logbook(decode_logbook(frame))),
        FrameType::Unknown(t) => Err(DecodeError::UnknownType(t)),
    }
}

// ---------------------------------------------------------------------------------------------
// Plausibility: what no real unit sends. The ranges are our judgement, chosen wide: every JK
// unit's settable range lies well inside them (cell voltages of Li-ion, LiFePO4 and LTO lie
// between 1.5 and 4.4 V; the app's temperature settings between −40 and +100 °C; the units
// take 2 to 32 cells), so a frame outside them was read with the wrong table, never tuned.

/// Lowest and highest cell count a JK unit can be set to.
pub const PLAUSIBLE_CELL_COUNT: std::ops::RangeInclusive<u32> = 2..=32;
/// Cell protection voltages (OVP, OVPR, UVP, UVPR), in mV.
pub const PLAUSIBLE_CELL_LIMIT_MV: std::ops::RangeInclusive<i64> = 1_000..=5_000;
/// Temperature limits of the settings (charge OTP, UTP, UTPR), in 0.1 °C.
pub const PLAUSIBLE_LIMIT_DECIDEGREES: std::ops::RangeInclusive<i64> = -400..=1_200;
/// A connected cell's voltage in a cell-info frame, in mV (0 V is a dead or shorted cell,
/// which a unit does report; above 5 V no lithium cell survives).
pub const PLAUSIBLE_CELL_MV: std::ops::RangeInclusive<i64> = 0..=5_000;
/// A present temperature sensor's reading, in 0.1 °C.
pub const PLAUSIBLE_READING_DECIDEGREES: std::ops::RangeInclusive<i64> = -600..=2_000;

/// Whether a decoded frame's values are ones a real unit can send; the first that is not,
/// named with its value and the plausible range.
pub fn plausible(frame: &Frame) -> Result<(), DecodeError> {
    match frame {
        Frame::Settings(s) => plausible_settings(s),
        Frame::CellInfo(c) => plausible_cells(c),
        Frame::DeviceInfo(_) | Frame::Logbook(_) => Ok(()),
    }
}

fn plausible_settings(s: &Settings) -> Result<(), DecodeError> {
    let bad = |field, value: String, range| DecodeError::Implausible {
        frame: "settings",
        field,
        value,
        range,
    };
    if !PLAUSIBLE_CELL_COUNT.contains(&s.cell_count) {
        return Err(bad("the cell count", s.cell_count.to_string(), "2 to 32"));
    }
    for (field, v) in [
        ("the cell over-voltage protection (OVP)", s.cell_ovp),
        ("the OVP recovery", s.cell_ovpr),
        ("the cell under-voltage protection (UVP)", s.cell_uvp),
        ("the UVP recovery", s.cell_uvpr),
    ] {
        if !PLAUSIBLE_CELL_LIMIT_MV.contains(&v.millivolts()) {
            return Err(bad(field, v.to_string(), "1.000 V to 5.000 V"));
        }
    }
    if s.cell_uvp.millivolts() >= s.cell_ovp.millivolts() {
        return Err(bad(
            "the UVP",
            format!("{} with OVP {}", s.cell_uvp, s.cell_ovp),
            "UVP below OVP",
        ));
    }
    for (field, t) in [
        ("the charge over-temperature protection", s.charge_otp),
        (
            "the charge under-temperature protection (UTP)",
            s.charge_utp,
        ),
        ("the UTP recovery (UTPR)", s.charge_utpr),
    ] {
        if !PLAUSIBLE_LIMIT_DECIDEGREES.contains(&t.decidegrees()) {
            return Err(bad(field, t.to_string(), "-40.0 °C to 120.0 °C"));
        }
    }
    Ok(())
}

fn plausible_cells(c: &CellInfo) -> Result<(), DecodeError> {
    let bad = |field, value: String, range| DecodeError::Implausible {
        frame: "cell-info",
        field,
        value,
        range,
    };
    if let Some((i, v)) = c
        .connected()
        .find(|(_, v)| !PLAUSIBLE_CELL_MV.contains(&v.millivolts()))
    {
        return Err(bad(
            "a connected cell",
            format!("{v} (cell {})", i + 1),
            "0 V to 5.000 V",
        ));
    }
    if c.soc > 100 {
        return Err(bad(
            "the state of charge",
            format!("{} %", c.soc),
            "0 to 100 %",
        ));
    }
    let readings = std::iter::once(("the MOS temperature", c.mos_temperature))
        .chain(c.probes.iter().map(|p| ("a temperature probe", *p)));
    for (field, t) in readings {
        if let Some(t) = t {
            if !PLAUSIBLE_READING_DECIDEGREES.contains(&t.decidegrees()) {
                return Err(bad(field, t.to_string(), "-60.0 °C to 200.0 °C, or absent"));
            }
        }
    }
    Ok(())
}

fn decode_device_info(frame: &RawFrame) -> DeviceInfo {
    use device_at::*;
    let b = &frame.0;
    DeviceInfo {
        model: MODEL.get(b),
        hardware_version: HARDWARE.get(b),
        software_version: SOFTWARE.get(b),
        uptime_s: UPTIME.get(b) as u32,
        power_on_count: POWER_ON_COUNT.get(b) as u32,
        device_name: DEVICE_NAME.get(b),
        manufacturing_date: MANUFACTURING_DATE.get(b),
        serial_number: SERIAL.get(b),
    }
}

fn decode_settings(frame: &RawFrame, layout: Option<Layout>) -> Settings {
    use settings_at::*;
    let b = &frame.0;
    let mv = |f: Field| Volts::from_millivolts(f.get(b));
    let ma = |f: Field| Amps::from_milliamps(f.get(b));
    let dc = |f: Field| Celsius::from_decidegrees(f.get(b));
    let control = (layout == Some(Layout::S32)).then(|| {
        let word = CONTROL.get(b) as u16;
        ControlBits {
            heating: word & CONTROL_HEATING != 0,
            disable_temp_sensors: word & CONTROL_DISABLE_TEMP_SENSORS != 0,
            port_rs485: word & CONTROL_PORT_RS485 != 0,
            display_always_on: word & CONTROL_DISPLAY_ALWAYS_ON != 0,
        }
    });
    Settings {
        cell_uvp: mv(CELL_UVP),
        cell_uvpr: mv(CELL_UVPR),
        cell_ovp: mv(CELL_OVP),
        cell_ovpr: mv(CELL_OVPR),
        balance_trigger: mv(BALANCE_TRIGGER),
        power_off_voltage: mv(POWER_OFF),
        max_charge_current: ma(MAX_CHARGE_CURRENT),
        max_discharge_current: ma(MAX_DISCHARGE_CURRENT),
        charge_otp: dc(CHARGE_OTP),
        charge_utp: dc(CHARGE_UTP),
        charge_utpr: dc(CHARGE_UTPR),
        cell_count: CELL_COUNT.get(b) as u32,
        charge_switch: CHARGE_SWITCH.get_bool(b),
        discharge_switch: DISCHARGE_SWITCH.get_bool(b),
        balance_switch: BALANCE_SWITCH.get_bool(b),
        capacity: AmpHours::from_milliamp_hours(CAPACITY.get(b)),
        balance_start_voltage: mv(BALANCE_START),
        control,
    }
}

fn decode_cell_info(frame: &RawFrame, layout: Layout) -> CellInfo {
    let t = cell_table(layout);
    let b = &frame.0;
    let slots = t.layout.slots();
    CellInfo {
        layout: t.layout,
        counter: frame.counter(),
        cell_voltages: (0..slots)
            .map(|i| Volts::from_millivolts(u16_at(CELL_VOLTAGES_AT + 2 * i).get(b)))
            .collect(),
        enabled_mask: t.mask.get(b) as u32,
        average_voltage: Volts::from_millivolts(t.average.get(b)),
        delta_voltage: Volts::from_millivolts(t.delta.get(b)),
        max_cell: t.max_cell.get(b) as u8,
        min_cell: t.min_cell.get(b) as u8,
        lead_resistances: (0..slots)
            .map(|i| Ohms::from_milliohms(u16_at(t.resistances_at + 2 * i).get(b)))
            .collect(),
        lead_warning_bits: t.lead_warning.get(b) as u32,
        mos_temperature: temperature(t.mos_temperature.get(b)),
        pack_voltage: Volts::from_millivolts(t.pack_voltage.get(b)),
        current: Amps::from_milliamps(t.current.get(b)),
        probes: t.probes.iter().map(|f| temperature(f.get(b))).collect(),
        alarm_bits: t.alarm.get(b) as u32,
        balancing_current: Amps::from_milliamps(t.balancing_current.get(b)),
        balancing_action: match t.balancing_action.get(b) {
            1 => BalancingAction::Charging,
            2 => BalancingAction::Discharging,
            _ => BalancingAction::Off,
        },
        soc: t.soc.get(b) as u8,
        remaining_capacity: AmpHours::from_milliamp_hours(t.remaining.get(b)),
        full_capacity: AmpHours::from_milliamp_hours(t.full.get(b)),
        cycle_count: t.cycles.get(b) as u32,
        charging: t.charging.get_bool(b),
        discharging: t.discharging.get_bool(b),
        temp_sensor_bits: t.temp_sensor_bits.get(b) as u16,
        emergency: t.emergency.map(|f| f.get(b) != 0),
    }
}

/// A temperature sensor's reading: at or below −200.0 °C the unit says the sensor is absent.
fn temperature(decidegrees: i64) -> Option<Celsius> {
    (decidegrees > NO_PROBE_DECIDEGREES).then(|| Celsius::from_decidegrees(decidegrees))
}

/// What the unit sends for a sensor: an absent one as −200.0 °C, a present one never as low.
fn put_temperature(t: Option<Celsius>) -> i64 {
    t.map_or(NO_PROBE_DECIDEGREES, |c| {
        c.decidegrees().max(NO_PROBE_DECIDEGREES + 1)
    })
}

fn decode_logbook(frame: &RawFrame) -> Logbook {
    let b = &frame.0;
    let count = (log_at::COUNT.get(b) as usize).min(MAX_LOG_ENTRIES);
    Logbook {
        entries: (0..count)
            .map(|i| LogEntry {
                seconds: log_at::seconds(i).get(b) as u32,
                code: log_at::code(i).get(b) as u8,
            })
            .collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// Encoding (the simulator's side).

/// The passcodes a device-info frame carries; only the simulator writes them.
#[derive(Clone, Default)]
pub struct Passcodes {
    /// The app's connection passcode.
    pub connection: String,
    /// The settings passcode.
    pub settings: String,
}

// Hand-written so the simulator's passcodes cannot reach a log through `{:?}`.
impl fmt::Debug for Passcodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Passcodes")
            .field("connection", &"<hidden>")
            .field("settings", &"<hidden>")
            .finish()
    }
}

/// Build a device-info frame.
pub fn encode_device_info(info: &DeviceInfo, passcodes: &Passcodes, counter: u8) -> RawFrame {
    use device_at::*;
    let mut b = [0u8; FRAME_LEN];
    MODEL.put(&mut b, &info.model);
    HARDWARE.put(&mut b, &info.hardware_version);
    SOFTWARE.put(&mut b, &info.software_version);
    UPTIME.put(&mut b, info.uptime_s.into());
    POWER_ON_COUNT.put(&mut b, info.power_on_count.into());
    DEVICE_NAME.put(&mut b, &info.device_name);
    CONNECTION_PASSCODE.put(&mut b, &passcodes.connection);
    MANUFACTURING_DATE.put(&mut b, &info.manufacturing_date);
    SERIAL.put(&mut b, &info.serial_number);
    SETTINGS_PASSCODE.put(&mut b, &passcodes.settings);
    RawFrame::build(FrameType::DeviceInfo.byte(), counter, &b)
}

/// Build a settings frame. The 32S control word is written when `settings.control` is set.
pub fn encode_settings(settings: &Settings, counter: u8) -> RawFrame {
    use settings_at::*;
    let s = settings;
    let mut b = [0u8; FRAME_LEN];
    CELL_UVP.put(&mut b, s.cell_uvp.millivolts());
    CELL_UVPR.put(&mut b, s.cell_uvpr.millivolts());
    CELL_OVP.put(&mut b, s.cell_ovp.millivolts());
    CELL_OVPR.put(&mut b, s.cell_ovpr.millivolts());
    BALANCE_TRIGGER.put(&mut b, s.balance_trigger.millivolts());
    POWER_OFF.put(&mut b, s.power_off_voltage.millivolts());
    MAX_CHARGE_CURRENT.put(&mut b, s.max_charge_current.milliamps());
    MAX_DISCHARGE_CURRENT.put(&mut b, s.max_discharge_current.milliamps());
    CHARGE_OTP.put(&mut b, s.charge_otp.decidegrees());
    CHARGE_UTP.put(&mut b, s.charge_utp.decidegrees());
    CHARGE_UTPR.put(&mut b, s.charge_utpr.decidegrees());
    CELL_COUNT.put(&mut b, s.cell_count.into());
    CHARGE_SWITCH.put_bool(&mut b, s.charge_switch);
    DISCHARGE_SWITCH.put_bool(&mut b, s.discharge_switch);
    BALANCE_SWITCH.put_bool(&mut b, s.balance_switch);
    CAPACITY.put(&mut b, s.capacity.milliamp_hours());
    BALANCE_START.put(&mut b, s.balance_start_voltage.millivolts());
    if let Some(c) = s.control {
        let mut word = 0u16;
        for (on, bit) in [
            (c.heating, CONTROL_HEATING),
            (c.disable_temp_sensors, CONTROL_DISABLE_TEMP_SENSORS),
            (c.port_rs485, CONTROL_PORT_RS485),
            (c.display_always_on, CONTROL_DISPLAY_ALWAYS_ON),
        ] {
            if on {
                word |= bit;
            }
        }
        CONTROL.put(&mut b, word.into());
    }
    RawFrame::build(FrameType::Settings.byte(), counter, &b)
}

/// What the simulator sends as the Emergency countdown while the switch is on (seconds).
const EMERGENCY_COUNTDOWN_S: i64 = 300;

/// Build a cell-info frame in `cells.layout`. Slots beyond the layout's are not sent; a
/// missing probe is sent as −200.0 °C, which is how the unit says "no probe".
pub fn encode_cell_info(cells: &CellInfo) -> RawFrame {
    let t = cell_table(cells.layout);
    let slots = cells.layout.slots();
    let mut b = [0u8; FRAME_LEN];
    for (i, v) in cells.cell_voltages.iter().take(slots).enumerate() {
        u16_at(CELL_VOLTAGES_AT + 2 * i).put(&mut b, v.millivolts());
    }
    for (i, r) in cells.lead_resistances.iter().take(slots).enumerate() {
        u16_at(t.resistances_at + 2 * i).put(&mut b, (r.0 * 1000.0).round() as i64);
    }
    t.mask.put_bits(&mut b, cells.enabled_mask);
    t.average.put(&mut b, cells.average_voltage.millivolts());
    t.delta.put(&mut b, cells.delta_voltage.millivolts());
    t.max_cell.put(&mut b, cells.max_cell.into());
    t.min_cell.put(&mut b, cells.min_cell.into());
    t.lead_warning.put_bits(&mut b, cells.lead_warning_bits);
    t.mos_temperature
        .put(&mut b, put_temperature(cells.mos_temperature));
    t.pack_voltage.put(&mut b, cells.pack_voltage.millivolts());
    t.current.put(&mut b, cells.current.milliamps());
    for (field, probe) in t
        .probes
        .iter()
        .zip(cells.probes.iter().copied().chain(std::iter::repeat(None)))
    {
        field.put(&mut b, put_temperature(probe));
    }
    t.alarm.put_bits(&mut b, cells.alarm_bits);
    t.balancing_current
        .put(&mut b, cells.balancing_current.milliamps());
    t.balancing_action.put(
        &mut b,
        match cells.balancing_action {
            BalancingAction::Off => 0,
            BalancingAction::Charging => 1,
            BalancingAction::Discharging => 2,
        },
    );
    t.soc.put(&mut b, cells.soc.into());
    t.remaining
        .put(&mut b, cells.remaining_capacity.milliamp_hours());
    t.full.put(&mut b, cells.full_capacity.milliamp_hours());
    t.cycles.put(&mut b, cells.cycle_count.into());
    t.charging.put_bool(&mut b, cells.charging);
    t.discharging.put_bool(&mut b, cells.discharging);
    t.temp_sensor_bits
        .put(&mut b, cells.temp_sensor_bits.into());
    if let (Some(field), Some(on)) = (t.emergency, cells.emergency) {
        // The unit counts the switch down; any non-zero value reads as on.
        field.put(&mut b, if on { EMERGENCY_COUNTDOWN_S } else { 0 });
    }
    RawFrame::build(FrameType::CellInfo.byte(), cells.counter, &b)
}

/// Build a logbook frame. One frame holds [`MAX_LOG_ENTRIES`]; older entries beyond that are
/// left out (the newest are kept) and the count says how many were sent.
pub fn encode_logbook(log: &Logbook, counter: u8) -> RawFrame {
    let mut b = [0u8; FRAME_LEN];
    let skip = log.entries.len().saturating_sub(MAX_LOG_ENTRIES);
    let entries = &log.entries[skip..];
    log_at::COUNT.put(&mut b, entries.len() as i64);
    for (i, e) in entries.iter().enumerate() {
        log_at::seconds(i).put(&mut b, e.seconds.into());
        log_at::code(i).put(&mut b, e.code.into());
    }
    RawFrame::build(FrameType::Logbook.byte(), counter, &b)
}

// ---------------------------------------------------------------------------------------------
// The stream.

/// Why a notification stream produced no usable frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    /// A complete frame with a bad checksum.
    #[error(transparent)]
    Frame(#[from] crate::bms::frame::FrameError),
    /// A checked frame that could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

/// Notifications in, decoded frames out: reassembly plus the layout remembered from device
/// info. The live links and `decode` all use this, so they cannot disagree.
#[derive(Debug, Default)]
pub struct FrameStream {
    forced: Option<Layout>,
    reassembler: Reassembler,
    /// The layout the last device-info frame's software version implies.
    learned: Option<Layout>,
    /// The software version of a JK04 unit, once its device info was seen.
    jk04: Option<String>,
}

impl FrameStream {
    /// A stream; `forced` pins the layout (`--variant 24s|32s`), `None` decides it.
    pub fn new(forced: Option<Layout>) -> Self {
        Self {
            forced,
            ..Self::default()
        }
    }

    /// Feed one notification; every frame it completed, decoded or refused, in order.
    pub fn push(&mut self, notification: &[u8]) -> Vec<Result<Frame, StreamError>> {
        let mut out = Vec::new();
        self.push_each(notification, |r| out.push(r));
        out
    }

    /// [`FrameStream::push`] handing each frame to `each` as it completes: no list per
    /// notification (what `decode` uses on long captures).
    pub fn push_each(
        &mut self,
        notification: &[u8],
        mut each: impl FnMut(Result<Frame, StreamError>),
    ) {
        let mut reassembler = std::mem::take(&mut self.reassembler);
        reassembler.push_each(notification, |r| {
            each(match r {
                Ok(raw) => self.accept(&raw).map_err(StreamError::from),
                Err(e @ FrameError::Checksum { .. }) => Err(StreamError::from(e)),
            })
        });
        self.reassembler = reassembler;
    }

    /// Decode one frame that is already whole and checked, learning from device info.
    ///
    /// A device-info frame sets the layout from its software version (a JK04 version makes
    /// every later frame of the unit refused by name); a version without a readable major
    /// number leaves the layout to the enabled-cell mask.
    pub fn accept(&mut self, raw: &RawFrame) -> Result<Frame, DecodeError> {
        if raw.frame_type() != FrameType::DeviceInfo {
            if let Some(version) = &self.jk04 {
                return Err(DecodeError::Jk04(version.clone()));
            }
        }
        let frame = decode(raw, self.layout())?;
        if let Frame::DeviceInfo(info) = &frame {
            match layout_for_version(&info.software_version) {
                Ok(layout) => {
                    self.learned = Some(layout);
                    self.jk04 = None;
                }
                Err(DecodeError::Jk04(version)) => {
                    self.learned = None;
                    self.jk04 = Some(version);
                }
                Err(_) => {
                    self.learned = None;
                    self.jk04 = None;
                }
            }
        }
        Ok(frame)
    }

    /// The layout in force, once known.
    pub fn layout(&self) -> Option<Layout> {
        self.forced.or(self.learned)
    }

    /// The software version of the JK04 unit this stream refuses, if it met one.
    pub fn jk04_version(&self) -> Option<&str> {
        self.jk04.as_deref()
    }

    /// How many bytes wait for the rest of their frame.
    pub fn pending(&self) -> usize {
        self.reassembler.pending()
    }

    /// Drop the bytes of a half-received frame (after a reconnect); what was learned stays.
    pub fn clear_buffer(&mut self) {
        self.reassembler.clear();
    }
}

#[cfg(test)]
mod tests;

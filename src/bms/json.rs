//! The JSON contract of `decode` and `monitor --json` (one object per frame).
//!
//! Units are volts, amperes, °C and Ah; voltages, currents and capacities are rounded to 3
//! decimals and temperatures to 1, so the output shows what the unit sent and no float noise.
//! The keys of the contract (see shared/vectors/README.md) are always present; the extra keys
//! after them may grow. Cell numbers in the extras count from 1, as the app shows them.

use std::io;

use serde::ser::{Serialize, SerializeSeq, Serializer};

use crate::bms::decode::{layout_for_version, DecodeError};
use crate::bms::model::{
    unknown_alarm_bits, Alarm, BalancingAction, CellInfo, DeviceInfo, Frame, LogEntry, Settings,
};
use crate::units::Celsius;

/// Round to `decimals`, turning −0 into 0 so "-0.0" never shows.
fn round(x: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (x * scale).round() / scale + 0.0
}

fn v3(x: f64) -> f64 {
    round(x, 3)
}

fn t1(x: f64) -> f64 {
    round(x, 1)
}

/// A temperature, `null` where the unit marks the sensor absent.
fn temp(t: Option<Celsius>) -> Option<f64> {
    t.map(|c| t1(c.0))
}

/// One frame as the JSON object of the contract: `type` first, then the contract's keys,
/// then the extras.
#[derive(Debug, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FrameJson<'a> {
    /// A device-info frame.
    DeviceInfo(DeviceInfoJson<'a>),
    /// A settings frame.
    Settings(SettingsJson),
    /// A cell-info frame.
    CellInfo(CellInfoJson<'a>),
    /// A logbook frame.
    Logbook(LogbookJson<'a>),
}

/// `type: device_info`.
#[derive(Debug, serde::Serialize)]
pub struct DeviceInfoJson<'a> {
    model: &'a str,
    hardware_version: &'a str,
    software_version: &'a str,
    serial_number: &'a str,
    /// `24s`, `32s`, `jk04`, or `null` when the version says nothing.
    layout: Option<&'static str>,
    device_name: &'a str,
    manufacturing_date: &'a str,
    uptime_s: u32,
    power_on_count: u32,
}

/// The 32S control word of a settings frame.
#[derive(Debug, serde::Serialize)]
pub struct ControlJson {
    heating: bool,
    disable_temp_sensors: bool,
    /// `rs485` or `can`.
    port: &'static str,
    display_always_on: bool,
}

/// `type: settings`.
#[derive(Debug, serde::Serialize)]
pub struct SettingsJson {
    cell_count: u32,
    cell_ovp: f64,
    cell_ovpr: f64,
    cell_uvp: f64,
    cell_uvpr: f64,
    balance_trigger: f64,
    capacity_ah: f64,
    charge_switch: bool,
    discharge_switch: bool,
    balance_switch: bool,
    charge_utp: f64,
    charge_utpr: f64,
    max_charge_current: f64,
    max_discharge_current: f64,
    charge_otp: f64,
    power_off_voltage: f64,
    balance_start_voltage: f64,
    control: Option<ControlJson>,
}

/// The connected cells' voltages (or lead resistances), written straight from the frame
/// without a list of its own.
#[derive(Debug)]
struct Connected<'a> {
    cells: &'a CellInfo,
    resistances: bool,
}

impl Serialize for Connected<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let c = self.cells;
        let mut seq = s.serialize_seq(None)?;
        for (i, v) in c.connected() {
            if self.resistances {
                if let Some(r) = c.lead_resistances.get(i) {
                    seq.serialize_element(&v3(r.0))?;
                }
            } else {
                seq.serialize_element(&v3(v.0))?;
            }
        }
        seq.end()
    }
}

/// The numbers of the connected cells, counted from 1.
#[derive(Debug)]
struct CellNumbers<'a>(&'a CellInfo);

impl Serialize for CellNumbers<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.connected().map(|(i, _)| i + 1))
    }
}

/// The names of the active alarms, in bit order.
#[derive(Debug)]
struct AlarmNames<'a>(&'a [Alarm]);

impl Serialize for AlarmNames<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|a| a.name()))
    }
}

/// `type: cell_info`.
#[derive(Debug, serde::Serialize)]
pub struct CellInfoJson<'a> {
    variant: &'static str,
    cell_count: u32,
    cell_voltages: Connected<'a>,
    total_voltage: f64,
    current: f64,
    temperatures: Vec<Option<f64>>,
    /// `null` where the unit marks the MOS sensor absent.
    mos_temperature: Option<f64>,
    soc: u8,
    alarm_bits: u32,
    alarms: AlarmNames<'a>,
    charging: bool,
    discharging: bool,
    // Extras beyond the contract.
    counter: u8,
    alarms_manual: Vec<u8>,
    unknown_alarm_bits: u32,
    enabled_mask: u32,
    connected_cell_numbers: CellNumbers<'a>,
    average_voltage: f64,
    delta_voltage: f64,
    max_cell_number: u32,
    min_cell_number: u32,
    lead_resistances: Connected<'a>,
    lead_warning_bits: u32,
    balancing_current: f64,
    balancing_action: &'static str,
    remaining_capacity_ah: f64,
    full_capacity_ah: f64,
    cycle_count: u32,
    temp_sensor_bits: u16,
}

/// One logbook entry.
#[derive(Debug, serde::Serialize)]
pub struct LogEntryJson {
    seconds: u32,
    code: u8,
    event: Option<&'static str>,
    factory_reset: Option<&'static str>,
}

/// The entries of a logbook, written one by one.
#[derive(Debug)]
struct Entries<'a>(&'a [LogEntry]);

impl Serialize for Entries<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|e| LogEntryJson {
            seconds: e.seconds,
            code: e.code,
            event: e.event(),
            factory_reset: e.factory_reset().map(|c| c.id()),
        }))
    }
}

/// `type: logbook`.
#[derive(Debug, serde::Serialize)]
pub struct LogbookJson<'a> {
    entries: Entries<'a>,
    factory_resets: usize,
}

/// The typed JSON object of a frame; serialise it with serde_json.
pub fn frame_json<'a>(frame: &'a Frame, alarms: &'a mut Vec<Alarm>) -> FrameJson<'a> {
    match frame {
        Frame::DeviceInfo(d) => FrameJson::DeviceInfo(device_info(d)),
        Frame::Settings(s) => FrameJson::Settings(settings(s)),
        Frame::CellInfo(c) => {
            *alarms = c.alarms();
            FrameJson::CellInfo(cell_info(c, alarms))
        }
        Frame::Logbook(l) => FrameJson::Logbook(LogbookJson {
            entries: Entries(&l.entries),
            factory_resets: l
                .entries
                .iter()
                .filter(|e| e.factory_reset().is_some())
                .count(),
        }),
    }
}

/// Write a frame as one line of JSON (the object and a newline).
pub fn write_frame(out: &mut impl io::Write, frame: &Frame) -> io::Result<()> {
    let mut alarms = Vec::new();
    let mut json = serde_json::Serializer::with_formatter(&mut *out, Readings);
    serde::Serialize::serialize(&frame_json(frame, &mut alarms), &mut json)
        .map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// serde_json's compact output, with a quick path for the readings that fill a frame: a
/// number with at most three decimals (millivolts, milliohms, tenths of a degree) is written
/// from its integer thousandths. That is the same text as the shortest round-trip form serde
/// writes (the decimal that parses back to exactly this number), so the JSON is unchanged;
/// anything else goes the general way.
struct Readings;

impl serde_json::ser::Formatter for Readings {
    fn write_f64<W: ?Sized + io::Write>(&mut self, w: &mut W, v: f64) -> io::Result<()> {
        let k = (v * 1000.0).round();
        if !(v.is_finite() && k.abs() < 1e12 && k / 1000.0 == v)
            || (v == 0.0 && v.is_sign_negative())
        {
            return serde_json::ser::CompactFormatter.write_f64(w, v);
        }
        let k = k as i64;
        let (whole, frac) = (k.unsigned_abs() / 1000, k.unsigned_abs() % 1000);
        let mut buf = [0u8; 32];
        let mut at = buf.len();
        // Fraction: its digits without trailing zeros, at least one.
        let digits = [
            b'0' + (frac / 100) as u8,
            b'0' + (frac / 10 % 10) as u8,
            b'0' + (frac % 10) as u8,
        ];
        let mut n = 3;
        while n > 1 && digits[n - 1] == b'0' {
            n -= 1;
        }
        for d in digits[..n].iter().rev() {
            at -= 1;
            buf[at] = *d;
        }
        at -= 1;
        buf[at] = b'.';
        let mut rest = whole;
        loop {
            at -= 1;
            buf[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        if k < 0 {
            at -= 1;
            buf[at] = b'-';
        }
        w.write_all(&buf[at..])
    }
}

/// The frame as a JSON value (for tests and callers that inspect it).
pub fn frame_to_json(frame: &Frame) -> serde_json::Value {
    let mut alarms = Vec::new();
    // A struct of strings, numbers and booleans always converts.
    serde_json::to_value(frame_json(frame, &mut alarms)).unwrap_or(serde_json::Value::Null)
}

fn device_info(d: &DeviceInfo) -> DeviceInfoJson<'_> {
    let layout = match layout_for_version(&d.software_version) {
        Ok(l) => Some(l.name()),
        Err(DecodeError::Jk04(_)) => Some("jk04"),
        Err(_) => None,
    };
    DeviceInfoJson {
        model: &d.model,
        hardware_version: &d.hardware_version,
        software_version: &d.software_version,
        serial_number: &d.serial_number,
        layout,
        device_name: &d.device_name,
        manufacturing_date: &d.manufacturing_date,
        uptime_s: d.uptime_s,
        power_on_count: d.power_on_count,
    }
}

fn settings(s: &Settings) -> SettingsJson {
    SettingsJson {
        cell_count: s.cell_count,
        cell_ovp: v3(s.cell_ovp.0),
        cell_ovpr: v3(s.cell_ovpr.0),
        cell_uvp: v3(s.cell_uvp.0),
        cell_uvpr: v3(s.cell_uvpr.0),
        balance_trigger: v3(s.balance_trigger.0),
        capacity_ah: v3(s.capacity.0),
        charge_switch: s.charge_switch,
        discharge_switch: s.discharge_switch,
        balance_switch: s.balance_switch,
        charge_utp: t1(s.charge_utp.0),
        charge_utpr: t1(s.charge_utpr.0),
        max_charge_current: v3(s.max_charge_current.0),
        max_discharge_current: v3(s.max_discharge_current.0),
        charge_otp: t1(s.charge_otp.0),
        power_off_voltage: v3(s.power_off_voltage.0),
        balance_start_voltage: v3(s.balance_start_voltage.0),
        control: s.control.map(|c| ControlJson {
            heating: c.heating,
            disable_temp_sensors: c.disable_temp_sensors,
            port: if c.port_rs485 { "rs485" } else { "can" },
            display_always_on: c.display_always_on,
        }),
    }
}

fn cell_info<'a>(c: &'a CellInfo, alarms: &'a [Alarm]) -> CellInfoJson<'a> {
    let mut manual: Vec<u8> = alarms
        .iter()
        .filter_map(|a| a.manual_error().map(|m| m.0))
        .collect();
    manual.sort_unstable();
    manual.dedup();
    CellInfoJson {
        variant: c.layout.name(),
        cell_count: c.connected_count(),
        cell_voltages: Connected {
            cells: c,
            resistances: false,
        },
        total_voltage: v3(c.pack_voltage.0),
        current: v3(c.current.0),
        temperatures: c.probes.iter().map(|p| temp(*p)).collect(),
        mos_temperature: temp(c.mos_temperature),
        soc: c.soc,
        alarm_bits: c.alarm_bits,
        alarms: AlarmNames(alarms),
        charging: c.charging,
        discharging: c.discharging,
        counter: c.counter,
        alarms_manual: manual,
        unknown_alarm_bits: unknown_alarm_bits(c.alarm_bits),
        enabled_mask: c.enabled_mask,
        connected_cell_numbers: CellNumbers(c),
        average_voltage: v3(c.average_voltage.0),
        delta_voltage: v3(c.delta_voltage.0),
        max_cell_number: u32::from(c.max_cell) + 1,
        min_cell_number: u32::from(c.min_cell) + 1,
        lead_resistances: Connected {
            cells: c,
            resistances: true,
        },
        lead_warning_bits: c.lead_warning_bits,
        balancing_current: v3(c.balancing_current.0),
        balancing_action: match c.balancing_action {
            BalancingAction::Off => "off",
            BalancingAction::Charging => "charging",
            BalancingAction::Discharging => "discharging",
        },
        remaining_capacity_ah: v3(c.remaining_capacity.0),
        full_capacity_ah: v3(c.full_capacity.0),
        cycle_count: c.cycle_count,
        temp_sensor_bits: c.temp_sensor_bits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The quick path writes exactly what serde_json writes, for every reading a frame can
    /// hold and for numbers that must take the general way.
    #[test]
    fn readings_are_written_as_serde_writes_them() {
        use serde_json::ser::{CompactFormatter, Formatter};
        let general = |v: f64| {
            let mut out = Vec::new();
            CompactFormatter.write_f64(&mut out, v).unwrap();
            String::from_utf8(out).unwrap()
        };
        let quick = |v: f64| {
            let mut out = Vec::new();
            Readings.write_f64(&mut out, v).unwrap();
            String::from_utf8(out).unwrap()
        };
        // Every thousandth from -300 to +300 (currents, temperatures, volts, ohms).
        for k in -300_000i64..=300_000 {
            let v = k as f64 / 1000.0;
            assert_eq!(quick(v), general(v), "{k}/1000");
        }
        // Thousandths up to the quick path's limit (1e12 of them), and arbitrary numbers that
        // must take the general way.
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..100_000 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let k = (rng % 2_000_000_000_000) as i64 - 1_000_000_000_000;
            let v = k as f64 / 1000.0;
            assert_eq!(quick(v), general(v), "{k}/1000");
            let any = f64::from_bits(rng);
            if any.is_finite() {
                assert_eq!(quick(any), general(any), "{any:e}");
            }
        }
        for v in [
            0.0,
            -0.0,
            0.1 + 0.2,
            1e-7,
            1e15,
            1e17,
            999_999_999.999,
            -1e9,
            65_535.0,
            0.5,
            -0.5,
        ] {
            assert_eq!(quick(v), general(v), "{v:e}");
        }
    }
    use crate::bms::model::{Alarm, Layout, LogEntry, Logbook};
    use crate::units::{AmpHours, Amps, Celsius, Ohms, Volts};
    use serde_json::{json, Value};

    fn cells() -> CellInfo {
        let mut volts = vec![Volts(0.0); 24];
        volts[0] = Volts(3.2844);
        volts[1] = Volts(3.30);
        CellInfo {
            layout: Layout::S24,
            counter: 7,
            cell_voltages: volts,
            enabled_mask: 0b11,
            average_voltage: Volts(3.292),
            delta_voltage: Volts(0.016),
            max_cell: 1,
            min_cell: 0,
            lead_resistances: vec![Ohms(0.1); 24],
            lead_warning_bits: 0,
            mos_temperature: Some(Celsius(23.4000001)),
            pack_voltage: Volts(6.584),
            current: Amps(-0.0001),
            probes: vec![Some(Celsius(20.7)), None],
            alarm_bits: (1 << 0) | (1 << 2) | (1 << 19) | (1 << 30),
            balancing_current: Amps(0.0),
            balancing_action: BalancingAction::Off,
            soc: 85,
            remaining_capacity: AmpHours(42.5),
            full_capacity: AmpHours(50.0),
            cycle_count: 3,
            charging: true,
            discharging: false,
            temp_sensor_bits: 7,
            emergency: None,
        }
    }

    #[test]
    fn cell_info_follows_the_contract() {
        let j = frame_to_json(&Frame::CellInfo(cells()));
        assert_eq!(j["type"], "cell_info");
        assert_eq!(j["variant"], "24s");
        assert_eq!(j["cell_count"], 2);
        assert_eq!(j["cell_voltages"], json!([3.284, 3.3]));
        assert_eq!(j["current"].to_string(), "0.0");
        assert_eq!(j["mos_temperature"].to_string(), "23.4");
        assert_eq!(j["temperatures"], json!([20.7, null]));
        assert_eq!(
            j["alarm_bits"],
            (1 << 0) | (1 << 2) | (1 << 19) | (1u32 << 30)
        );
        assert_eq!(
            j["alarms"],
            json!([
                Alarm::LeadResistance.name(),
                Alarm::CellCountMismatch.name(),
                Alarm::DefaultPassword.name()
            ])
        );
        assert_eq!(j["alarms_manual"], json!([9]));
        assert_eq!(j["unknown_alarm_bits"], 1u32 << 30);
        assert_eq!(j["charging"], true);
        assert_eq!(j["discharging"], false);
        assert_eq!(j["lead_resistances"], json!([0.1, 0.1]));
    }

    #[test]
    fn an_absent_mos_sensor_is_null_not_minus_200() {
        let mut c = cells();
        c.mos_temperature = None;
        let j = frame_to_json(&Frame::CellInfo(c));
        assert_eq!(j["mos_temperature"], Value::Null);
        let mut line = Vec::new();
        write_frame(&mut line, &Frame::CellInfo(cells())).unwrap();
        let text = String::from_utf8(line).unwrap();
        assert!(
            text.starts_with("{\"type\":\"cell_info\",\"variant\":\"24s\""),
            "{text}"
        );
        assert!(text.ends_with("}\n") && text.lines().count() == 1, "{text}");
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            frame_to_json(&Frame::CellInfo(cells()))
        );
    }

    #[test]
    fn no_cells_visible_gives_an_empty_list() {
        let mut c = cells();
        c.enabled_mask = 0;
        let j = frame_to_json(&Frame::CellInfo(c));
        assert_eq!(j["cell_count"], 0);
        assert_eq!(j["cell_voltages"], json!([]));
    }

    #[test]
    fn settings_and_device_info_follow_the_contract() {
        let s = Settings {
            cell_count: 16,
            cell_ovp: Volts(3.65),
            capacity: AmpHours(314.0),
            charge_utp: Celsius(2.0),
            max_charge_current: Amps(80.0),
            ..Settings::default()
        };
        let j = frame_to_json(&Frame::Settings(s));
        assert_eq!(j["type"], "settings");
        assert_eq!(j["cell_ovp"], 3.65);
        assert_eq!(j["capacity_ah"], 314.0);
        assert_eq!(j["charge_utp"], 2.0);
        assert_eq!(j["max_charge_current"], 80.0);
        assert_eq!(j["control"], Value::Null);
        let d = DeviceInfo {
            model: "JK-B2A16S".into(),
            software_version: "3.3.0".into(),
            ..DeviceInfo::default()
        };
        let j = frame_to_json(&Frame::DeviceInfo(d));
        assert_eq!(j["type"], "device_info");
        assert_eq!(j["model"], "JK-B2A16S");
        assert_eq!(j["serial_number"], "");
        assert_eq!(j["layout"], "jk04");
    }

    #[test]
    fn logbook_entries_are_named() {
        let l = Logbook {
            entries: vec![
                LogEntry {
                    seconds: 0,
                    code: 0x01,
                },
                LogEntry {
                    seconds: 238,
                    code: 0x44,
                },
                LogEntry {
                    seconds: 9,
                    code: 0xEE,
                },
            ],
        };
        let j = frame_to_json(&Frame::Logbook(l));
        assert_eq!(j["type"], "logbook");
        assert_eq!(
            j["entries"][0],
            json!({"seconds": 0, "code": 1, "event": "boot", "factory_reset": null})
        );
        assert_eq!(j["entries"][1]["factory_reset"], "lifepo4");
        assert_eq!(j["entries"][2]["event"], Value::Null);
        assert_eq!(j["factory_resets"], 1);
    }
}

//! The JSON contract of `decode` and `monitor --json` (one object per frame).
//!
//! Units are volts, amperes, °C and Ah; voltages, currents and capacities are rounded to 3
//! decimals and temperatures to 1, so the output shows what the unit sent and no float noise.
//! The keys of the contract (see shared/vectors/README.md) are always present; the extra keys
//! after them may grow. Cell numbers in the extras count from 1, as the app shows them.

use serde_json::{json, Map, Value};

use crate::bms::decode::layout_for_version;
use crate::bms::model::{
    unknown_alarm_bits, BalancingAction, CellInfo, DeviceInfo, Frame, Logbook, Settings,
};

/// Round to `decimals`, turning −0 into 0 so "-0.0" never shows.
fn round(x: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (x * scale).round() / scale + 0.0
}

fn v3(x: f64) -> Value {
    json!(round(x, 3))
}

fn t1(x: f64) -> Value {
    json!(round(x, 1))
}

/// The frame as the JSON object of the contract.
pub fn frame_to_json(frame: &Frame) -> Value {
    match frame {
        Frame::DeviceInfo(d) => device_info(d),
        Frame::Settings(s) => settings(s),
        Frame::CellInfo(c) => cell_info(c),
        Frame::Logbook(l) => logbook(l),
    }
}

fn device_info(d: &DeviceInfo) -> Value {
    let layout = match layout_for_version(&d.software_version) {
        Ok(l) => json!(l.name()),
        Err(crate::bms::decode::DecodeError::Jk04(_)) => json!("jk04"),
        Err(_) => Value::Null,
    };
    json!({
        "type": "device_info",
        "model": d.model,
        "hardware_version": d.hardware_version,
        "software_version": d.software_version,
        "serial_number": d.serial_number,
        "layout": layout,
        "device_name": d.device_name,
        "manufacturing_date": d.manufacturing_date,
        "uptime_s": d.uptime_s,
        "power_on_count": d.power_on_count,
    })
}

fn settings(s: &Settings) -> Value {
    let control = s.control.map_or(Value::Null, |c| {
        json!({
            "heating": c.heating,
            "disable_temp_sensors": c.disable_temp_sensors,
            "port": if c.port_rs485 { "rs485" } else { "can" },
            "display_always_on": c.display_always_on,
        })
    });
    json!({
        "type": "settings",
        "cell_count": s.cell_count,
        "cell_ovp": v3(s.cell_ovp.0),
        "cell_ovpr": v3(s.cell_ovpr.0),
        "cell_uvp": v3(s.cell_uvp.0),
        "cell_uvpr": v3(s.cell_uvpr.0),
        "balance_trigger": v3(s.balance_trigger.0),
        "capacity_ah": v3(s.capacity.0),
        "charge_switch": s.charge_switch,
        "discharge_switch": s.discharge_switch,
        "balance_switch": s.balance_switch,
        "charge_utp": t1(s.charge_utp.0),
        "charge_utpr": t1(s.charge_utpr.0),
        "max_charge_current": v3(s.max_charge_current.0),
        "max_discharge_current": v3(s.max_discharge_current.0),
        "charge_otp": t1(s.charge_otp.0),
        "power_off_voltage": v3(s.power_off_voltage.0),
        "balance_start_voltage": v3(s.balance_start_voltage.0),
        "control": control,
    })
}

fn cell_info(c: &CellInfo) -> Value {
    let alarms = c.alarms();
    let mut manual: Vec<u8> = alarms
        .iter()
        .filter_map(|a| a.manual_error().map(|m| m.0))
        .collect();
    manual.sort_unstable();
    manual.dedup();
    let connected: Vec<usize> = c.connected().map(|(i, _)| i).collect();
    let mut obj = Map::new();
    let mut put = |k: &str, v: Value| {
        obj.insert(k.to_string(), v);
    };
    put("type", json!("cell_info"));
    put("variant", json!(c.layout.name()));
    put("cell_count", json!(c.connected_count()));
    put(
        "cell_voltages",
        Value::Array(c.connected().map(|(_, v)| v3(v.0)).collect()),
    );
    put("total_voltage", v3(c.pack_voltage.0));
    put("current", v3(c.current.0));
    put(
        "temperatures",
        Value::Array(
            c.probes
                .iter()
                .map(|p| p.map_or(Value::Null, |t| t1(t.0)))
                .collect(),
        ),
    );
    put("mos_temperature", t1(c.mos_temperature.0));
    put("soc", json!(c.soc));
    put("alarm_bits", json!(c.alarm_bits));
    put(
        "alarms",
        Value::Array(alarms.iter().map(|a| json!(a.name())).collect()),
    );
    put("charging", json!(c.charging));
    put("discharging", json!(c.discharging));
    // Extras beyond the contract.
    put("counter", json!(c.counter));
    put("alarms_manual", json!(manual));
    put(
        "unknown_alarm_bits",
        json!(unknown_alarm_bits(c.alarm_bits)),
    );
    put("enabled_mask", json!(c.enabled_mask));
    put(
        "connected_cell_numbers",
        json!(connected.iter().map(|i| i + 1).collect::<Vec<_>>()),
    );
    put("average_voltage", v3(c.average_voltage.0));
    put("delta_voltage", v3(c.delta_voltage.0));
    put("max_cell_number", json!(u32::from(c.max_cell) + 1));
    put("min_cell_number", json!(u32::from(c.min_cell) + 1));
    put(
        "lead_resistances",
        Value::Array(
            connected
                .iter()
                .filter_map(|&i| c.lead_resistances.get(i))
                .map(|r| v3(r.0))
                .collect(),
        ),
    );
    put("lead_warning_bits", json!(c.lead_warning_bits));
    put("balancing_current", v3(c.balancing_current.0));
    put(
        "balancing_action",
        json!(match c.balancing_action {
            BalancingAction::Off => "off",
            BalancingAction::Charging => "charging",
            BalancingAction::Discharging => "discharging",
        }),
    );
    put("remaining_capacity_ah", v3(c.remaining_capacity.0));
    put("full_capacity_ah", v3(c.full_capacity.0));
    put("cycle_count", json!(c.cycle_count));
    put("temp_sensor_bits", json!(c.temp_sensor_bits));
    Value::Object(obj)
}

fn logbook(l: &Logbook) -> Value {
    let entries: Vec<Value> = l
        .entries
        .iter()
        .map(|e| {
            json!({
                "seconds": e.seconds,
                "code": e.code,
                "event": e.event(),
                "factory_reset": e.factory_reset().map(|c| c.id()),
            })
        })
        .collect();
    json!({
        "type": "logbook",
        "entries": entries,
        "factory_resets": l.entries.iter().filter(|e| e.factory_reset().is_some()).count(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bms::model::{Alarm, Layout, LogEntry};
    use crate::units::{AmpHours, Amps, Celsius, Ohms, Volts};

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
            mos_temperature: Celsius(23.4000001),
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

//! What the unit sends: its device-info and cell-info frames and its alarm word.

use super::*;

impl SimUnit {
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
}

/// Average, delta, index of max and of min over `(index, mV)` readings.
pub(super) fn summary(readings: &[(usize, i64)]) -> (i64, i64, u8, u8) {
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

pub(super) fn quantise_celsius(c: f64) -> Celsius {
    Celsius::from_decidegrees(Celsius(c).decidegrees())
}

//! The pack and the BMS over time: current, balancing, drift and the protection that
//! switches the MOSFETs off.

use super::*;

impl SimUnit {
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
    pub(super) fn balance(&mut self, hours: f64) {
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
    pub(super) fn evaluate(&mut self) {
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

    pub(super) fn log(&mut self, code: u8) {
        self.logbook.entries.push(LogEntry {
            seconds: self.runtime_s as u32,
            code,
        });
    }
}

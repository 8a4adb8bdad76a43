//! What a chemistry means to the simulated unit: the cell's voltage over its state of charge,
//! and the factory parameter set the app's "battery type" loads.
//!
//! The voltage curves are coarse piecewise-linear sketches — enough for cells that rise while
//! charging, sag under load and run into the protection limits — not a cell model. The factory
//! sets follow the manual's chemistry check (cell OVP 4.20 V Li-ion, 3.60 V LiFePO4, 2.70 V LTO);
//! the other numbers are ours, chosen so that UVP < UVPR < OVPR < OVP and power-off < UVP.

use crate::bms::model::{Chemistry, ControlBits, Layout, Settings};
use crate::units::{AmpHours, Amps, Celsius, Volts};

/// (state of charge, open-circuit volts). Extends a little past 0 and 1 so that an unprotected
/// over-charge or over-discharge keeps moving the voltage instead of sticking at a limit.
fn curve(chemistry: Chemistry) -> &'static [(f64, f64)] {
    match chemistry {
        Chemistry::LiIon => &[
            (-0.05, 2.50),
            (0.00, 3.00),
            (0.10, 3.45),
            (0.90, 4.05),
            (1.00, 4.20),
            (1.05, 4.40),
        ],
        // LiFePO4's long flat middle is what makes it hard to read a state of charge from it.
        Chemistry::LiFePo4 => &[
            (-0.05, 2.00),
            (0.00, 2.50),
            (0.05, 3.00),
            (0.10, 3.20),
            (0.90, 3.35),
            (0.97, 3.45),
            (1.00, 3.60),
            (1.05, 4.00),
        ],
        Chemistry::Lto => &[
            (-0.05, 1.40),
            (0.00, 1.80),
            (0.10, 2.10),
            (0.90, 2.50),
            (1.00, 2.70),
            (1.05, 2.90),
        ],
    }
}

/// The lowest and highest state of charge the model represents.
pub const SOC_RANGE: (f64, f64) = (-0.05, 1.05);

/// A cell's open-circuit voltage at `soc` (clamped to [`SOC_RANGE`]).
pub fn open_circuit_voltage(chemistry: Chemistry, soc: f64) -> Volts {
    let points = curve(chemistry);
    let soc = soc.clamp(SOC_RANGE.0, SOC_RANGE.1);
    for pair in points.windows(2) {
        let ((s0, v0), (s1, v1)) = (pair[0], pair[1]);
        if soc <= s1 {
            return Volts(v0 + (v1 - v0) * (soc - s0) / (s1 - s0));
        }
    }
    Volts(points[points.len() - 1].1)
}

/// The state of charge at which a resting cell shows `volts` (clamped to the curve's ends).
pub fn soc_for_voltage(chemistry: Chemistry, volts: Volts) -> f64 {
    let points = curve(chemistry);
    let v = volts.0.clamp(points[0].1, points[points.len() - 1].1);
    for pair in points.windows(2) {
        let ((s0, v0), (s1, v1)) = (pair[0], pair[1]);
        if v <= v1 {
            return s0 + (s1 - s0) * (v - v0) / (v1 - v0);
        }
    }
    SOC_RANGE.1
}

/// The per-cell voltage limits of a chemistry's factory set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellLimits {
    /// Under-voltage protection.
    pub uvp: Volts,
    /// Under-voltage recovery.
    pub uvpr: Volts,
    /// Over-voltage protection.
    pub ovp: Volts,
    /// Over-voltage recovery.
    pub ovpr: Volts,
    /// The unit switches itself off below this.
    pub power_off: Volts,
    /// Balancing may run above this.
    pub balance_start: Volts,
}

/// The factory cell limits of a chemistry.
pub fn cell_limits(chemistry: Chemistry) -> CellLimits {
    let (uvp, uvpr, ovp, ovpr, power_off, balance_start) = match chemistry {
        Chemistry::LiIon => (2.90, 3.10, 4.20, 4.10, 2.70, 3.80),
        Chemistry::LiFePo4 => (2.60, 2.80, 3.60, 3.40, 2.50, 3.30),
        Chemistry::Lto => (1.80, 2.00, 2.70, 2.60, 1.70, 2.40),
    };
    CellLimits {
        uvp: Volts(uvp),
        uvpr: Volts(uvpr),
        ovp: Volts(ovp),
        ovpr: Volts(ovpr),
        power_off: Volts(power_off),
        balance_start: Volts(balance_start),
    }
}

/// What a unit's factory sets do not take from the chemistry: they are fixed per unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FactoryBase {
    /// The frame layout (decides whether the control word is sent).
    pub layout: Layout,
    /// The cell count every factory set writes.
    pub cell_count: u32,
    /// The capacity every factory set writes.
    pub capacity: AmpHours,
    /// The unit's rated current (the "20P" of a model name: 200 A).
    pub rated_current: Amps,
}

/// The balance trigger every factory set writes (the manual's default, 0.01 V).
pub const FACTORY_BALANCE_TRIGGER: Volts = Volts(0.01);

/// The settings loaded when `chemistry` is chosen as battery type. The CONTROL-tab switches and
/// the control word are not part of a factory set: they come out as off / all clear and the
/// caller keeps the unit's own.
pub fn factory_settings(chemistry: Chemistry, base: &FactoryBase) -> Settings {
    let limits = cell_limits(chemistry);
    // The manual: factory constant charge current is about a quarter of the allowed current.
    let max_charge = Amps((base.rated_current.0 * 0.25).round());
    let (utp, utpr) = match chemistry {
        Chemistry::Lto => (-30.0, -20.0),
        _ => (-20.0, -10.0),
    };
    Settings {
        cell_uvp: limits.uvp,
        cell_uvpr: limits.uvpr,
        cell_ovp: limits.ovp,
        cell_ovpr: limits.ovpr,
        balance_trigger: FACTORY_BALANCE_TRIGGER,
        power_off_voltage: limits.power_off,
        max_charge_current: max_charge,
        max_discharge_current: base.rated_current,
        charge_otp: Celsius(70.0),
        charge_utp: Celsius(utp),
        charge_utpr: Celsius(utpr),
        cell_count: base.cell_count,
        charge_switch: false,
        discharge_switch: false,
        balance_switch: false,
        capacity: base.capacity,
        balance_start_voltage: limits.balance_start,
        control: match base.layout {
            Layout::S24 => None,
            Layout::S32 => Some(ControlBits::default()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factory_ovp_is_the_manuals_chemistry_check() {
        let base = FactoryBase {
            layout: Layout::S32,
            cell_count: 16,
            capacity: AmpHours(100.0),
            rated_current: Amps(200.0),
        };
        let ovp = |c| factory_settings(c, &base).cell_ovp;
        assert_eq!(ovp(Chemistry::LiIon), Volts(4.20));
        assert_eq!(ovp(Chemistry::LiFePo4), Volts(3.60));
        assert_eq!(ovp(Chemistry::Lto), Volts(2.70));
        let lfp = factory_settings(Chemistry::LiFePo4, &base);
        assert_eq!(lfp.balance_trigger, Volts(0.01));
        assert_eq!(lfp.max_charge_current, Amps(50.0));
        assert_eq!(lfp.cell_count, 16);
        assert!(lfp.control.is_some());
        let s24 = FactoryBase {
            layout: Layout::S24,
            ..base
        };
        assert!(factory_settings(Chemistry::LiIon, &s24).control.is_none());
    }

    #[test]
    fn limits_are_ordered_for_every_chemistry() {
        for c in Chemistry::ALL {
            let l = cell_limits(c);
            assert!(l.power_off < l.uvp && l.uvp < l.uvpr && l.uvpr < l.ovpr && l.ovpr < l.ovp);
            // A resting, full cell sits at or below its OVP; an over-charged one above it.
            assert!(open_circuit_voltage(c, 1.0) <= l.ovp);
            assert!(open_circuit_voltage(c, 1.04) > l.ovp);
            assert!(open_circuit_voltage(c, -0.04) < l.uvp);
        }
    }

    #[test]
    fn curves_rise_and_invert() {
        for c in Chemistry::ALL {
            let mut last = 0.0;
            for i in -5..=105 {
                let soc = f64::from(i) / 100.0;
                let v = open_circuit_voltage(c, soc).0;
                assert!(v > last, "{c} not rising at {soc}");
                last = v;
                let back = soc_for_voltage(c, Volts(v));
                assert!((back - soc).abs() < 1e-9, "{c}: {soc} -> {v} -> {back}");
            }
        }
        // The manual's multimeter windows: a resting cell in the middle sits inside them.
        let mid = |c| open_circuit_voltage(c, 0.5).0;
        assert!((3.0..=4.1).contains(&mid(Chemistry::LiIon)));
        assert!((2.5..=3.6).contains(&mid(Chemistry::LiFePo4)));
        assert!((1.5..=2.8).contains(&mid(Chemistry::Lto)));
    }
}

//! The trainee's multimeter: what it reads on the simulated pack, with the scenario's wiring
//! mistakes in the leads. Every reading comes from the same simulated cells the BMS reports,
//! so a headless trainee's answers and the live data always agree.

use crate::bms::sim::unit::SimUnit;
use crate::units::Volts;

use super::scenario::WiringFault;

/// Everything a trainee measures with the meter during the procedure.
#[derive(Debug, Clone, PartialEq)]
pub struct MeterReadings {
    /// Wiring step 5: from pin 1 (black, pack minus) to the lead of cell k's plus, k = 1..N.
    pub taps: Vec<Volts>,
    /// Across the pack's own terminals.
    pub pack: Volts,
    /// The last pin of the last plug (pack plus when the pack has fewer cells than the unit).
    pub last_pin: Volts,
    /// Wiring step 1: the lowest and the highest cell, measured on the cells' terminals.
    pub lowest_cell: Volts,
    /// See `lowest_cell`.
    pub highest_cell: Volts,
    /// Wiring step 12: across the power connector (P- to pack plus), nothing connected.
    pub output: Volts,
}

/// What the meter reads on `unit` with these wiring mistakes in its balance leads.
pub fn measure(unit: &SimUnit, wiring: &[WiringFault]) -> MeterReadings {
    // Node voltages from pack minus: node k is cell k's plus.
    let nodes = unit.tap_voltages();
    let n = nodes.len() - 1;
    // Which node each lead (1..=n) sits on; None = connected to nothing.
    let mut lead: Vec<Option<usize>> = (0..=n).map(Some).collect();
    let mut last_pin_open = false;
    for w in wiring {
        match *w {
            WiringFault::OpenTap { cell } => lead[cell as usize] = None,
            WiringFault::CrossedTaps { cells: [a, b] } => lead.swap(a as usize, b as usize),
            WiringFault::SkippedTap { cell } => {
                // Soldered one cell up from this tap on; the last lead shares pack plus.
                for l in &mut lead[cell as usize..n] {
                    *l = l.map(|node| (node + 1).min(n));
                }
            }
            WiringFault::PackPlusPinOpen => last_pin_open = true,
            WiringFault::NtcAbsent { .. } => {}
        }
    }
    let taps = (1..=n)
        .map(|k| lead[k].map_or(Volts(0.0), |node| nodes[node]))
        .collect();
    let cells: Vec<f64> = (1..=n as u32)
        .filter_map(|c| unit.cell_voltage(c).ok())
        .map(|v| v.0)
        .collect();
    let pack = unit.pack_voltage();
    MeterReadings {
        taps,
        pack,
        last_pin: if last_pin_open { Volts(0.0) } else { pack },
        lowest_cell: Volts(cells.iter().copied().fold(f64::INFINITY, f64::min)),
        highest_cell: Volts(cells.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
        output: if unit.discharge_fet() {
            pack
        } else {
            Volts(0.0)
        },
    }
}

/// A reading as a 4½-digit meter shows it: mV below 20 V, 10 mV above.
pub fn shown(v: Volts) -> String {
    if v.0.abs() < 20.0 {
        format!("{:.3}", v.0)
    } else {
        format!("{:.2}", v.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bms::model::AppAction;
    use crate::bms::sim::unit::SimConfig;

    fn unit() -> SimUnit {
        SimUnit::new(SimConfig::fresh()).unwrap()
    }

    #[test]
    fn a_good_pack_reads_one_cell_more_per_pin() {
        let u = unit();
        let m = measure(&u, &[]);
        assert_eq!(m.taps.len(), 16);
        assert_eq!(m.taps[15], m.pack);
        assert_eq!(m.last_pin, m.pack);
        assert!(m.highest_cell.0 - m.lowest_cell.0 < 0.02);
        assert_eq!(
            m.output,
            Volts(0.0),
            "the BMS is asleep: nothing on the output"
        );
        let mut u = u;
        u.apply(&AppAction::BalancePlug(true)).unwrap();
        u.apply(&AppAction::Activate).unwrap();
        assert_eq!(measure(&u, &[]).output, u.pack_voltage());
    }

    #[test]
    fn wiring_mistakes_show_in_the_ladder() {
        let u = unit();
        let good = measure(&u, &[]).taps;
        let open = measure(&u, &[WiringFault::OpenTap { cell: 7 }]).taps;
        assert_eq!(open[6], Volts(0.0));
        assert_eq!(open[7], good[7]);
        let crossed = measure(&u, &[WiringFault::CrossedTaps { cells: [5, 6] }]).taps;
        assert_eq!((crossed[4], crossed[5]), (good[5], good[4]));
        let skipped = measure(&u, &[WiringFault::SkippedTap { cell: 9 }]).taps;
        assert_eq!(skipped[7], good[7]);
        assert_eq!(skipped[8], good[9], "lead 9 on cell 10's plus");
        assert_eq!(skipped[14], good[15]);
        assert_eq!(skipped[15], good[15], "the last two leads share pack plus");
        let m = measure(&u, &[WiringFault::PackPlusPinOpen]);
        assert_eq!(m.last_pin, Volts(0.0));
        assert_eq!(m.taps, good);
    }

    #[test]
    fn readings_are_shown_as_a_meter_shows_them() {
        assert_eq!(shown(Volts(3.30149)), "3.301");
        assert_eq!(shown(Volts(52.8049)), "52.80");
    }
}

//! The meter against the unit: each cell as the ladder gives it (reading k minus reading
//! k−1) beside the unit's own reading of that cell. Pointed out at the first live step, so a
//! ladder made up or mistyped shows there; not a gate (the ladder's own check judges the
//! wiring, and the unit's cells are judged at STATUS).

use crate::bms::model::CellInfo;
use crate::units::Volts;
use crate::wizard::checks::edge::within;
use crate::wizard::checks::LadderInput;

/// A cell on which the meter and the unit disagree.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Disagreement {
    /// The cell, 1-based.
    pub cell: u32,
    /// Its voltage from the ladder.
    pub meter: Volts,
    /// Its voltage as the unit reports it.
    pub unit: Volts,
}

/// Every cell whose ladder voltage lies more than `tolerance` from the unit's reading; a
/// cell the ladder or the unit lacks is left out (its own checks name it).
pub fn ladder_against_cells(
    ladder: &LadderInput,
    cells: &CellInfo,
    tolerance: Volts,
) -> Vec<Disagreement> {
    let mut out = Vec::new();
    let mut below = Some(Volts(0.0));
    for (k, reading) in ladder.readings.iter().enumerate() {
        let meter = match (reading, below) {
            (Some(r), Some(b)) => Some(Volts(r.0 - b.0)),
            _ => None,
        };
        below = *reading;
        let connected = k < 32 && cells.enabled_mask & (1 << k) != 0;
        let (Some(meter), true, Some(unit)) = (meter, connected, cells.cell_voltages.get(k)) else {
            continue;
        };
        // A reading that is not a number is pointed out, never taken as agreeing.
        let agrees = within((meter.0 - unit.0).abs(), tolerance.0);
        if !agrees {
            out.push(Disagreement {
                cell: k as u32 + 1,
                meter,
                unit: *unit,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(v: &[f64]) -> CellInfo {
        crate::wizard::checks::testkit::cell_info(v)
    }

    fn ladder(r: &[f64]) -> LadderInput {
        LadderInput {
            readings: r.iter().map(|x| Some(Volts(*x))).collect(),
            ..LadderInput::default()
        }
    }

    #[test]
    fn a_cell_is_pointed_out_just_past_the_tolerance_and_not_at_it() {
        let unit = cells(&[3.30, 3.30, 3.30]);
        // Cell 2 from the ladder: 6.65 - 3.30 = 3.35, exactly 0.05 off: agreed.
        assert!(ladder_against_cells(&ladder(&[3.30, 6.65, 9.90]), &unit, Volts(0.05)).is_empty());
        // 6.66 - 3.30 = 3.36: 0.06 off, pointed out; cell 3 (9.90 - 6.66 = 3.24) too.
        let d = ladder_against_cells(&ladder(&[3.30, 6.66, 9.90]), &unit, Volts(0.05));
        assert_eq!(d.iter().map(|x| x.cell).collect::<Vec<_>>(), vec![2, 3]);
        assert!((d[0].meter.0 - 3.36).abs() < 1e-9 && d[0].unit == Volts(3.30));
        // A cell voltage that is not a number never counts as agreeing.
        let odd = cells(&[3.30, f64::NAN, 3.30]);
        let d = ladder_against_cells(&ladder(&[3.30, 6.60, 9.90]), &odd, Volts(0.05));
        assert_eq!(d.iter().map(|x| x.cell).collect::<Vec<_>>(), vec![2]);
    }

    #[test]
    fn a_missing_reading_or_cell_is_left_to_its_own_check() {
        let mut unit = cells(&[3.30, 3.30, 3.30]);
        unit.enabled_mask = 0b101;
        let mut l = ladder(&[3.30, 9.0, 9.90]);
        l.readings[0] = None;
        // Cell 1 not read, cell 2 not sent by the unit, cell 3: 9.90 - 9.0 = 0.9, far off.
        let d = ladder_against_cells(&l, &unit, Volts(0.05));
        assert_eq!(d.iter().map(|x| x.cell).collect::<Vec<_>>(), vec![3]);
    }

    #[test]
    fn a_cell_the_unit_does_not_send_is_not_compared_even_when_the_meter_read_it() {
        // Cell 2 measured 3.30 V while the unit's slot for it says 0.00 V: the unit marks
        // cell 2 as not connected, so its slot is no reading and nothing is pointed out.
        let mut unit = cells(&[3.30, 0.0, 3.30]);
        unit.enabled_mask = 0b101;
        let l = ladder(&[3.30, 6.60, 9.90]);
        assert!(ladder_against_cells(&l, &unit, Volts(0.05)).is_empty());
        // Connected, the same slot disagrees, by its number.
        unit.enabled_mask = 0b111;
        let d = ladder_against_cells(&l, &unit, Volts(0.05));
        assert_eq!(d.iter().map(|x| x.cell).collect::<Vec<_>>(), vec![2]);
    }

    #[test]
    fn beyond_the_32_cells_a_unit_can_mark_nothing_is_compared() {
        // 32 cells of 3.30 V and a 33rd reading 10 V off: the mask has no bit for cell 33, so
        // it is left to the ladder's own check (and the comparison does not overflow).
        let mut unit = cells(&[3.30; 32]);
        unit.cell_voltages.push(Volts(3.30));
        let mut r: Vec<f64> = (1..=32).map(|k| 3.30 * k as f64).collect();
        r.push(r[31] + 13.30);
        let d = ladder_against_cells(&ladder(&r), &unit, Volts(0.05));
        assert!(d.is_empty(), "{d:?}");
        // The 32nd, the last the unit can mark, is compared.
        r[31] += 0.5;
        let d = ladder_against_cells(&ladder(&r[..32]), &unit, Volts(0.05));
        assert_eq!(d.iter().map(|x| x.cell).collect::<Vec<_>>(), vec![32]);
    }
}

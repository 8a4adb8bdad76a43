//! Bench measurements around activation: the cell spread before wiring (step 1), a charger
//! strong enough to wake the unit (step 11 C), and the output plug at pack voltage (step 12).

use crate::units::Volts;
use crate::wizard::spec::Limits;

use super::{Reason, Verdict};

/// A bench entry that contradicts itself.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EntryError {
    /// The lowest cell was entered above the highest.
    #[error(
        "the lowest cell ({lowest:.2}) is above the highest ({highest:.2}): the two entries look \
         swapped"
    )]
    LowestAboveHighest {
        /// What was entered as the lowest cell.
        lowest: Volts,
        /// What was entered as the highest cell.
        highest: Volts,
    },
}

fn fail(code: &str, text: String) -> Verdict {
    Verdict::fail(vec![Reason {
        code: code.to_string(),
        text,
    }])
}

/// Activation by charger: it must deliver at least the pack voltage plus the margin.
pub fn charger_voltage(charger: Volts, pack: Volts, limits: &Limits) -> Verdict {
    let needed = pack.0 + limits.charger_margin.0;
    if charger.0 + 1e-9 >= needed {
        return Verdict::pass();
    }
    fail(
        "charger_voltage",
        format!(
            "the charger gives {charger:.2} but activation needs at least {:.2} (pack {pack:.2} \
             + {:.2}): use a plain charger with a higher voltage, or activate with the switch or \
             the display",
            Volts(needed),
            limits.charger_margin
        ),
    )
}

/// Step 12: the output plug reads the pack voltage.
pub fn output_voltage(output: Volts, pack: Volts, limits: &Limits) -> Verdict {
    let diff = (output.0 - pack.0).abs();
    if diff <= limits.output_tolerance.0 + 1e-9 {
        return Verdict::pass();
    }
    let cause = if output.0.abs() < 1.0 {
        "the BMS is not activated or its output is off: activate it (step 11) and measure again"
    } else {
        "check the P- and pack-plus leads to the output connector, then measure both again"
    };
    fail(
        "output_voltage",
        format!(
            "the output plug reads {output:.2} but the pack is {pack:.2} ({:.2} apart, more than \
             {:.2}): {cause}",
            Volts(diff),
            limits.output_tolerance
        ),
    )
}

/// Step 1: the highest and lowest cell are within the allowed spread.
pub fn cell_spread(lowest: Volts, highest: Volts, limits: &Limits) -> Result<Verdict, EntryError> {
    if lowest.0 > highest.0 {
        return Err(EntryError::LowestAboveHighest { lowest, highest });
    }
    let spread = highest.0 - lowest.0;
    if spread <= limits.cell_spread.0 + 1e-9 {
        return Ok(Verdict::pass());
    }
    Ok(fail(
        "cell_spread",
        format!(
            "the cells differ by {:.2} (lowest {lowest:.2}, highest {highest:.2}), more than the \
             {:.2} allowed: charge or discharge cells to a similar voltage before wiring",
            Volts(spread),
            limits.cell_spread
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wizard::checks::testkit::limits;

    #[test]
    fn a_charger_needs_the_margin_above_the_pack() {
        assert!(charger_voltage(Volts(58.4), Volts(52.9), &limits()).ok);
        assert!(charger_voltage(Volts(57.9), Volts(52.9), &limits()).ok);
        let v = charger_voltage(Volts(54.6), Volts(52.9), &limits());
        assert!(!v.ok);
        assert_eq!(v.reasons[0].code, "charger_voltage");
        let text = &v.reasons[0].text;
        assert!(text.contains("54.60 V"), "{text}");
        assert!(text.contains("at least 57.90 V"), "{text}");
        assert!(text.contains("pack 52.90 V + 5.00 V"), "{text}");
    }

    #[test]
    fn the_output_must_read_the_pack_voltage() {
        assert!(output_voltage(Volts(52.8), Volts(52.9), &limits()).ok);
        let v = output_voltage(Volts(0.0), Volts(52.9), &limits());
        assert!(!v.ok);
        assert!(
            v.reasons[0].text.contains("not activated"),
            "{:?}",
            v.reasons
        );
        let v = output_voltage(Volts(49.6), Volts(52.9), &limits());
        assert!(
            v.reasons[0].text.contains("3.30 V apart"),
            "{:?}",
            v.reasons
        );
    }

    #[test]
    fn the_cell_spread_is_at_most_a_tenth_of_a_volt() {
        assert!(cell_spread(Volts(3.28), Volts(3.35), &limits()).unwrap().ok);
        assert!(cell_spread(Volts(3.25), Volts(3.35), &limits()).unwrap().ok);
        let v = cell_spread(Volts(3.21), Volts(3.35), &limits()).unwrap();
        assert!(!v.ok);
        assert!(
            v.reasons[0].text.contains("differ by 0.14 V"),
            "{:?}",
            v.reasons
        );
        let err = cell_spread(Volts(3.4), Volts(3.3), &limits()).unwrap_err();
        assert!(err.to_string().contains("look swapped"), "{err}");
    }
}

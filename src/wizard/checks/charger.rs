//! Bench measurements around activation: the cell spread before wiring (step 1), a charger
//! strong enough to wake the unit (step 11 C), and the output plug at pack voltage (step 12).

use crate::bms::model::Chemistry;
use crate::units::Volts;
use crate::wizard::spec::{Limits, ModelSpec, WizardSpec};
use crate::wizard::words::{Arg, Say};

use super::edge::{below, reaches, within};
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

impl EntryError {
    /// The mistake as a sentence for the operator's language.
    pub fn say(&self) -> Say {
        match self {
            EntryError::LowestAboveHighest { lowest, highest } => Say::new(
                "lowest_above_highest",
                [("highest", v(*highest)), ("lowest", v(*lowest))],
            ),
        }
    }
}

fn fail(code: &str, say: Say) -> Verdict {
    Verdict::fail(vec![Reason::new(code, say)])
}

/// Volts as a meter shows them, two decimals.
fn v(volts: Volts) -> Arg {
    Arg::volts(volts.0, 2)
}

/// Activation by charger: it must deliver at least the pack voltage plus the margin (the
/// manual) and no more than the unit is rated for on its input (the model's data).
pub fn charger_voltage(charger: Volts, pack: Volts, model: &ModelSpec, limits: &Limits) -> Verdict {
    let needed = Volts(pack.0 + limits.charger_margin.0);
    let rating = model.max_input_voltage;
    let unit = || Arg::Text(model.name.clone());
    let mut reasons = Vec::new();
    if !within(needed.0, rating.0) {
        // No charger can be both strong enough and safe for the unit: say so rather than
        // send the operator looking for one.
        reasons.push(Reason::new(
            "charger_impossible",
            Say::new(
                "charger_impossible",
                [
                    ("margin", v(limits.charger_margin)),
                    ("needed", v(needed)),
                    ("pack", v(pack)),
                    ("rating", v(rating)),
                    ("unit", unit()),
                ],
            ),
        ));
        return Verdict::fail(reasons);
    }
    if !reaches(charger.0, needed.0) {
        reasons.push(Reason::new(
            "charger_voltage",
            Say::new(
                "charger_voltage",
                [
                    ("charger", v(charger)),
                    ("margin", v(limits.charger_margin)),
                    ("needed", v(needed)),
                    ("pack", v(pack)),
                ],
            ),
        ));
    }
    if !within(charger.0, rating.0) {
        reasons.push(Reason::new(
            "charger_above_rating",
            Say::new(
                "charger_above_rating",
                [
                    ("charger", v(charger)),
                    ("needed", v(needed)),
                    ("rating", v(rating)),
                    ("unit", unit()),
                ],
            ),
        ));
    }
    if reasons.is_empty() {
        Verdict::pass()
    } else {
        Verdict::fail(reasons)
    }
}

/// What the output step knows that can explain a dark output: the pack's cells and the unit's
/// Cell UVP when its settings have been read.
#[derive(Debug, Clone, Copy)]
pub struct DarkOutputHint<'a> {
    /// The pack's chemistry.
    pub chemistry: Chemistry,
    /// Cells in series.
    pub cells: u32,
    /// The wizard, for every chemistry's UVP window.
    pub spec: &'a WizardSpec,
    /// The unit's Cell UVP, if its settings were read.
    pub unit_uvp: Option<Volts>,
}

impl DarkOutputHint<'_> {
    /// Why a correctly wired unit would keep its output off: its UVP sits above the cells, as
    /// when an LTO pack meets a unit still on another chemistry's factory set.
    fn cause(&self, pack: Volts) -> Option<(&'static str, Say)> {
        let per_cell = pack.0 / f64::from(self.cells.max(1));
        let go = Arg::say(Say::new(
            "part.choose_type_then_measure",
            [("app_label", Arg::verbatim(self.chemistry.app_label()))],
        ));
        if let Some(uvp) = self.unit_uvp {
            return reaches(uvp.0, per_cell).then(|| {
                let say = Say::new(
                    "uvp_above_cells",
                    [
                        ("go", go),
                        ("per_cell", v(Volts(per_cell))),
                        ("uvp", v(uvp)),
                    ],
                );
                ("uvp_above_cells", say)
            });
        }
        // Settings not read: every other chemistry's lowest accepted UVP above these cells
        // means a unit on any other factory set keeps the output off.
        let others = self
            .spec
            .chemistries
            .iter()
            .filter(|(c, _)| **c != self.chemistry)
            .map(|(_, s)| s.uvp_window.min.0)
            .fold(f64::INFINITY, f64::min);
        (others.is_finite() && below(per_cell, others)).then(|| {
            let say = Say::new(
                "uvp_may_be_above_cells",
                [
                    ("app_label", Arg::verbatim(self.chemistry.app_label())),
                    ("go", go),
                    ("others", v(Volts(others))),
                    ("per_cell", v(Volts(per_cell))),
                ],
            );
            ("uvp_may_be_above_cells", say)
        })
    }
}

/// Step 12: the output plug reads the pack voltage.
pub fn output_voltage(
    output: Volts,
    pack: Volts,
    limits: &Limits,
    hint: Option<DarkOutputHint<'_>>,
) -> Verdict {
    let diff = (output.0 - pack.0).abs();
    if within(diff, limits.output_tolerance.0) {
        return Verdict::pass();
    }
    let (code, cause) = if output.0.abs() < 1.0 {
        hint.and_then(|h| h.cause(pack))
            .unwrap_or_else(|| ("output_voltage", Say::plain("part.output_dark")))
    } else {
        ("output_voltage", Say::plain("part.output_leads"))
    };
    fail(
        code,
        Say::new(
            "output_voltage",
            [
                ("apart", v(Volts(diff))),
                ("cause", Arg::say(cause)),
                ("output", v(output)),
                ("pack", v(pack)),
                ("tolerance", v(limits.output_tolerance)),
            ],
        ),
    )
}

/// Step 1: the highest and lowest cell are within the allowed spread.
pub fn cell_spread(lowest: Volts, highest: Volts, limits: &Limits) -> Result<Verdict, EntryError> {
    if lowest.0 > highest.0 {
        return Err(EntryError::LowestAboveHighest { lowest, highest });
    }
    let spread = highest.0 - lowest.0;
    if within(spread, limits.cell_spread.0) {
        return Ok(Verdict::pass());
    }
    Ok(fail(
        "cell_spread",
        Say::new(
            "cell_spread",
            [
                ("allowed", v(limits.cell_spread)),
                ("highest", v(highest)),
                ("lowest", v(lowest)),
                ("spread", v(Volts(spread))),
            ],
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wizard::checks::testkit::{b24, limits};

    /// A 24-cell unit rated for 100 V, as in wizard.yaml.
    fn b24_100v() -> ModelSpec {
        ModelSpec {
            max_input_voltage: Volts(100.0),
            ..b24()
        }
    }

    #[test]
    fn a_charger_needs_the_margin_above_the_pack() {
        let m = b24_100v();
        assert!(charger_voltage(Volts(58.4), Volts(52.9), &m, &limits()).ok);
        // Exactly pack + 5 V passes; 0.01 V less does not.
        assert!(charger_voltage(Volts(57.8), Volts(52.8), &m, &limits()).ok);
        assert!(charger_voltage(Volts(57.9), Volts(52.9), &m, &limits()).ok);
        let v = charger_voltage(Volts(57.79), Volts(52.8), &m, &limits());
        assert!(!v.ok);
        assert_eq!(v.reasons[0].code, "charger_voltage");
        let v = charger_voltage(Volts(54.6), Volts(52.9), &m, &limits());
        assert!(!v.ok);
        assert_eq!(v.reasons[0].code, "charger_voltage");
        let text = &v.reasons[0].english();
        assert!(text.contains("54.60 V"), "{text}");
        assert!(text.contains("at least 57.90 V"), "{text}");
        assert!(text.contains("pack 52.90 V + 5.00 V"), "{text}");
    }

    #[test]
    fn a_charger_above_the_units_rating_is_refused() {
        let m = b24_100v();
        // Exactly the rating passes; 0.01 V above does not; the 150 V does not.
        assert!(charger_voltage(Volts(100.0), Volts(52.8), &m, &limits()).ok);
        for charger in [100.01, 150.0] {
            let v = charger_voltage(Volts(charger), Volts(52.8), &m, &limits());
            assert!(!v.ok, "{charger}");
            assert_eq!(v.reasons.len(), 1);
            assert_eq!(v.reasons[0].code, "charger_above_rating");
            let text = &v.reasons[0].english();
            assert!(text.contains(&format!("gives {charger:.2} V")), "{text}");
            assert!(
                text.contains("above the 100.00 V the 24-cell unit is rated"),
                "{text}"
            );
            assert!(text.contains("charger of 57.80 V to 100.00 V"), "{text}");
        }
    }

    #[test]
    fn a_pack_too_close_to_the_rating_cannot_be_woken_by_a_charger() {
        let m = b24_100v();
        let v = charger_voltage(Volts(100.0), Volts(95.01), &m, &limits());
        assert_eq!(v.reasons.len(), 1, "{v:?}");
        assert_eq!(v.reasons[0].code, "charger_impossible");
        assert!(
            v.reasons[0].english().contains("at least 100.01 V"),
            "{v:?}"
        );
        assert!(
            v.reasons[0].english().contains("switch or the display"),
            "{v:?}"
        );
        // Pack + 5 V exactly at the rating: one charger voltage fits.
        assert!(charger_voltage(Volts(100.0), Volts(95.0), &m, &limits()).ok);
    }

    #[test]
    fn the_output_must_read_the_pack_voltage() {
        assert!(output_voltage(Volts(52.8), Volts(52.9), &limits(), None).ok);
        let v = output_voltage(Volts(0.0), Volts(52.9), &limits(), None);
        assert!(!v.ok);
        assert!(
            v.reasons[0].english().contains("not activated"),
            "{:?}",
            v.reasons
        );
        let v = output_voltage(Volts(49.6), Volts(52.9), &limits(), None);
        assert!(
            v.reasons[0].english().contains("3.30 V apart"),
            "{:?}",
            v.reasons
        );
    }

    #[test]
    fn a_dark_output_on_lto_cells_points_to_the_battery_type_not_the_activation() {
        let spec = crate::wizard::checks::testkit::spec();
        // 24S LTO at 2.30 V a cell on a unit still on the Li-ion factory set (UVP 2.90 V).
        let hint = |uvp| DarkOutputHint {
            chemistry: Chemistry::Lto,
            cells: 24,
            spec: &spec,
            unit_uvp: uvp,
        };
        let v = output_voltage(
            Volts(0.0),
            Volts(55.2),
            &limits(),
            Some(hint(Some(Volts(2.9)))),
        );
        assert_eq!(v.reasons[0].code, "uvp_above_cells");
        let text = &v.reasons[0].english();
        assert!(
            text.contains("Cell UVP (2.90 V) is above the cells (2.30 V each)"),
            "{text}"
        );
        assert!(text.contains("battery type LTO"), "{text}");
        assert!(text.contains("config.battery_type"), "{text}");
        assert!(!text.contains("not activated"), "{text}");
        // Settings not read yet: the other chemistries' lowest UVP (2.50 V) is named.
        let v = output_voltage(Volts(0.0), Volts(55.2), &limits(), Some(hint(None)));
        assert_eq!(v.reasons[0].code, "uvp_may_be_above_cells");
        let text = &v.reasons[0].english();
        assert!(
            text.contains("at least 2.50 V) sits above these cells (2.30 V each)"),
            "{text}"
        );
        assert!(text.contains("activate it again"), "{text}");
        // Once on the LTO set (UVP 1.80 V) the unit is simply asleep.
        let v = output_voltage(
            Volts(0.0),
            Volts(55.2),
            &limits(),
            Some(hint(Some(Volts(1.8)))),
        );
        assert!(v.reasons[0].english().contains("not activated"), "{v:?}");
        // A LiFePO4 pack at 3.3 V a cell: no other set's UVP is above it.
        let lfp = DarkOutputHint {
            chemistry: Chemistry::LiFePo4,
            cells: 16,
            spec: &spec,
            unit_uvp: None,
        };
        let v = output_voltage(Volts(0.0), Volts(52.8), &limits(), Some(lfp));
        assert!(v.reasons[0].english().contains("not activated"), "{v:?}");
        // At the edges: a UVP exactly at the cells keeps the output off too; cells exactly at
        // the other sets' lowest UVP (2.50 V × 24 = 60 V) are not below it.
        let v = output_voltage(
            Volts(0.0),
            Volts(55.2),
            &limits(),
            Some(hint(Some(Volts(2.3)))),
        );
        assert_eq!(v.reasons[0].code, "uvp_above_cells");
        let v = output_voltage(
            Volts(0.0),
            Volts(55.2),
            &limits(),
            Some(hint(Some(Volts(2.29)))),
        );
        assert_eq!(v.reasons[0].code, "output_voltage");
        let v = output_voltage(Volts(0.0), Volts(60.0), &limits(), Some(hint(None)));
        assert_eq!(v.reasons[0].code, "output_voltage");
        let v = output_voltage(Volts(0.0), Volts(59.99), &limits(), Some(hint(None)));
        assert_eq!(v.reasons[0].code, "uvp_may_be_above_cells");
    }

    #[test]
    fn the_output_may_be_half_a_volt_off_the_pack_either_way() {
        for ok in [52.4, 53.4, 52.9] {
            assert!(
                output_voltage(Volts(ok), Volts(52.9), &limits(), None).ok,
                "{ok}"
            );
        }
        for off in [52.39, 53.41] {
            let v = output_voltage(Volts(off), Volts(52.9), &limits(), None);
            assert!(
                !v.ok && v.reasons[0].code == "output_voltage",
                "{off}: {v:?}"
            );
        }
        // Under a volt is a dark output (not activated); from a volt up, a wiring fault.
        let dark = output_voltage(Volts(0.99), Volts(52.9), &limits(), None);
        assert!(
            dark.reasons[0].english().contains("not activated"),
            "{dark:?}"
        );
        let lit = output_voltage(Volts(1.0), Volts(52.9), &limits(), None);
        let lit = lit.reasons[0].english();
        assert!(lit.contains("51.90 V apart"), "{lit}");
        assert!(
            !lit.contains("not activated"),
            "a volt is no dark output: {lit}"
        );
        // A reading that is no number is never the pack's voltage.
        assert!(!output_voltage(Volts(f64::NAN), Volts(52.9), &limits(), None).ok);
    }

    #[test]
    fn a_charger_reading_that_is_no_number_is_refused() {
        let m = b24_100v();
        let v = charger_voltage(Volts(f64::NAN), Volts(52.9), &m, &limits());
        assert!(!v.ok, "{v:?}");
    }

    #[test]
    fn the_cell_spread_is_at_most_a_tenth_of_a_volt() {
        assert!(cell_spread(Volts(3.28), Volts(3.35), &limits()).unwrap().ok);
        assert!(cell_spread(Volts(3.25), Volts(3.35), &limits()).unwrap().ok);
        let v = cell_spread(Volts(3.21), Volts(3.35), &limits()).unwrap();
        assert!(!v.ok);
        assert!(
            v.reasons[0].english().contains("differ by 0.14 V"),
            "{:?}",
            v.reasons
        );
        let err = cell_spread(Volts(3.4), Volts(3.3), &limits()).unwrap_err();
        assert!(err.to_string().contains("look swapped"), "{err}");
        // Every cell alike: lowest and highest the same is no swap, and passes.
        assert!(cell_spread(Volts(3.3), Volts(3.3), &limits()).unwrap().ok);
        // Just past the tenth: 3.35 - 3.249 = 0.101 V.
        assert!(
            !cell_spread(Volts(3.249), Volts(3.35), &limits())
                .unwrap()
                .ok
        );
    }
}

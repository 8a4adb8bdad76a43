use std::collections::BTreeMap;

use super::*;
use crate::wizard::checks::testkit::*;

struct Case {
    chem: ChemistrySpec,
    model: ModelSpec,
    cells: Vec<f64>,
    map: Vec<Option<usize>>,
    pack: Option<Volts>,
    last_pin: Option<Volts>,
    unused: BTreeMap<u32, Volts>,
}

impl Case {
    fn new(chem: ChemistrySpec, model: ModelSpec, n: usize, base: f64) -> Case {
        let cells = pack_cells(n, base);
        Case {
            pack: Some(pack_of(&cells)),
            chem,
            model,
            map: right(n),
            cells,
            last_pin: None,
            unused: BTreeMap::new(),
        }
    }

    fn lead(mut self, cell: usize, node: Option<usize>) -> Case {
        self.map[cell - 1] = node;
        self
    }

    fn input(&self) -> LadderInput {
        LadderInput {
            readings: readings(&self.cells, &self.map),
            pack_voltage: self.pack,
            last_pin: self.last_pin,
            unused: self.unused.clone(),
            decimals: Vec::new(),
        }
    }

    fn check_input(&self, input: &LadderInput) -> LadderReport {
        check_ladder(
            &self.chem,
            self.cells.len() as u32,
            &self.model,
            &limits(),
            input,
        )
    }

    fn check(&self) -> LadderReport {
        self.check_input(&self.input())
    }
}

fn kinds(report: &LadderReport) -> Vec<(Option<u32>, FaultKind)> {
    report.faults.iter().map(|f| (f.cell, f.kind)).collect()
}

fn fault_rows(report: &LadderReport) -> Vec<u32> {
    report
        .rows
        .iter()
        .filter(|r| r.verdict == RowVerdict::Fault)
        .map(|r| r.cell.get())
        .collect()
}

#[test]
fn pins_follow_the_plugs_from_pack_minus() {
    assert_eq!(pin_of_wire(&b8(), 1), PinRef { plug: 1, pin: 1 });
    assert_eq!(pin_of_wire(&b8(), 9), PinRef { plug: 1, pin: 9 });
    assert_eq!(pin_of_wire(&b16(), 10), PinRef { plug: 2, pin: 1 });
    assert_eq!(pin_of_wire(&b16(), 17), PinRef { plug: 2, pin: 8 });
    assert_eq!(pin_of_wire(&b24(), 13), PinRef { plug: 1, pin: 13 });
    assert_eq!(pin_of_wire(&b24(), 25), PinRef { plug: 2, pin: 12 });
    assert_eq!(CellIndex(9).tap_wire(), 10);
    assert_eq!(PinRef { plug: 2, pin: 1 }.to_string(), "plug 2 pin 1");
}

#[test]
fn right_wiring_passes_for_every_chemistry_and_plug_layout() {
    for (chem, model, n, base) in [
        (li_ion(), b8(), 8, 3.62),
        (lifepo4(), b16(), 16, 3.29),
        (lto(), b24(), 24, 2.31),
        (lifepo4(), b24(), 24, 3.31),
        (li_ion(), b24(), 24, 3.85),
    ] {
        let case = Case::new(chem, model, n, base);
        let report = case.check();
        assert!(
            report.ok(),
            "{n}S @ {base}: {:?}",
            report.gate_faults().collect::<Vec<_>>()
        );
        assert_eq!(report.rows.len(), n);
        assert!(report.rows.iter().all(|r| r.verdict == RowVerdict::Ok));
        let step1 = report.rows[0].step.unwrap().0;
        assert!((step1 - base).abs() < 0.011, "{step1}");
    }
}

#[test]
fn rows_name_the_pin_of_each_cell_across_two_plugs() {
    let report = Case::new(lifepo4(), b16(), 16, 3.3).check();
    assert_eq!(report.rows[7].pin, PinRef { plug: 1, pin: 9 });
    assert_eq!(report.rows[8].pin, PinRef { plug: 2, pin: 1 });
    assert_eq!(report.rows[15].pin, PinRef { plug: 2, pin: 8 });
    let report = Case::new(lto(), b24(), 24, 2.3).check();
    assert_eq!(report.rows[11].pin, PinRef { plug: 1, pin: 13 });
    assert_eq!(report.rows[12].pin, PinRef { plug: 2, pin: 1 });
    assert_eq!(report.rows[23].pin, PinRef { plug: 2, pin: 12 });
}

#[test]
fn a_skipped_tap_is_one_fault_at_the_skipped_cell() {
    // Cell 5's plus skipped: leads 5..15 each one cell up, lead 16 on pack plus with 15's.
    let mut case = Case::new(lifepo4(), b16(), 16, 3.3);
    for k in 5..16 {
        case = case.lead(k, Some(k + 1));
    }
    let report = case.check();
    assert_eq!(kinds(&report), vec![(Some(5), FaultKind::SkippedTap)]);
    let detail = &report.faults[0].english();
    assert!(detail.contains("cell 5's plus was skipped"), "{detail}");
    assert!(detail.contains("plug 1 pin 6"), "{detail}");
    assert!(detail.contains("cells 15 and 16 share"), "{detail}");
    assert_eq!(fault_rows(&report), (5..=15).collect::<Vec<_>>());
}

#[test]
fn a_skipped_tap_on_the_second_plug_of_a_24s_unit() {
    let mut case = Case::new(li_ion(), b24(), 24, 3.71);
    for k in 14..24 {
        case = case.lead(k, Some(k + 1));
    }
    let report = case.check();
    assert_eq!(kinds(&report), vec![(Some(14), FaultKind::SkippedTap)]);
    assert!(
        report.faults[0].english().contains("plug 2 pin 2"),
        "{:?}",
        report.faults
    );
}

#[test]
fn a_swapped_pair_is_crossed_leads_naming_both_cells() {
    let case = Case::new(lifepo4(), b16(), 16, 3.3)
        .lead(7, Some(8))
        .lead(8, Some(7));
    let report = case.check();
    assert_eq!(kinds(&report), vec![(Some(7), FaultKind::CrossedLeads)]);
    let detail = &report.faults[0].english();
    assert!(
        detail.contains("cell 7 (plug 1 pin 8) and cell 8 (plug 1 pin 9)"),
        "{detail}"
    );
    assert_eq!(fault_rows(&report), vec![7, 8]);
    // Across the plugs of a 24S unit, and not next to each other.
    let case = Case::new(lto(), b24(), 24, 2.3)
        .lead(12, Some(14))
        .lead(14, Some(12));
    let report = case.check();
    assert_eq!(kinds(&report), vec![(Some(12), FaultKind::CrossedLeads)]);
    assert!(
        report.faults[0].english().contains("plug 2 pin 2"),
        "{:?}",
        report.faults
    );
}

#[test]
fn a_jump_of_two_cells_then_no_rise_is_crossed_leads_naming_both() {
    let report = Case::new(li_ion(), b8(), 8, 3.6).lead(3, Some(4)).check();
    assert_eq!(kinds(&report), vec![(Some(3), FaultKind::CrossedLeads)]);
    let detail = &report.faults[0].english();
    assert!(detail.contains("cells 3 and 4 both read"), "{detail}");
    assert_eq!(fault_rows(&report), vec![3]);
}

#[test]
fn no_rise_then_two_cells_is_two_taps_on_one_node() {
    let report = Case::new(lifepo4(), b16(), 16, 3.3)
        .lead(6, Some(5))
        .check();
    assert_eq!(kinds(&report), vec![(Some(6), FaultKind::StepLow)]);
    let detail = &report.faults[0].english();
    assert!(detail.contains("two taps on one node"), "{detail}");
    assert!(detail.contains("cells 5 and 6 both read"), "{detail}");
}

#[test]
fn a_doubled_tap_that_shifts_to_the_end_leaves_pack_plus_untapped_as_one_fault() {
    let mut case = Case::new(lifepo4(), b8(), 8, 3.3);
    for k in 4..=8 {
        case = case.lead(k, Some(k - 1));
    }
    let report = case.check();
    assert_eq!(kinds(&report), vec![(Some(4), FaultKind::StepLow)]);
    assert!(report.faults[0]
        .english()
        .contains("no lead reaches pack plus"));
}

#[test]
fn an_open_lead_reads_zero_and_is_one_fault() {
    let report = Case::new(lifepo4(), b16(), 16, 3.3).lead(6, None).check();
    assert_eq!(kinds(&report), vec![(Some(6), FaultKind::OpenLead)]);
    assert!(report.faults[0].english().contains("broken"));
    assert_eq!(fault_rows(&report), vec![6]);
    let report = Case::new(lto(), b24(), 24, 2.3).lead(1, None).check();
    assert_eq!(kinds(&report), vec![(Some(1), FaultKind::OpenLead)]);
}

#[test]
fn a_lead_below_the_previous_one_is_crossed() {
    // Lead 9 on cell 6's plus: the ladder falls.
    let report = Case::new(li_ion(), b16(), 16, 3.7).lead(9, Some(6)).check();
    assert_eq!(kinds(&report), vec![(Some(9), FaultKind::CrossedLeads)]);
    assert!(
        report.faults[0].english().contains("cell 6's plus"),
        "{:?}",
        report.faults
    );
}

#[test]
fn a_reading_outside_the_pack_is_called_a_typing_mistake_once() {
    let case = Case::new(lifepo4(), b16(), 16, 3.3);
    let mut input = case.input();
    input.readings[4] = Some(Volts(1650.0)); // "16,50" typed without the comma
    let report = case.check_input(&input);
    assert_eq!(kinds(&report), vec![(Some(5), FaultKind::StepHigh)]);
    assert!(
        report.faults[0].english().contains("typing mistake"),
        "{:?}",
        report.faults
    );
    let mut input = case.input();
    input.readings[2] = input.readings[2].map(|v| Volts(-v.0));
    let report = case.check_input(&input);
    assert_eq!(kinds(&report), vec![(Some(3), FaultKind::CrossedLeads)]);
    assert!(
        report.faults[0].english().contains("stray minus sign"),
        "{:?}",
        report.faults
    );
}

#[test]
fn reversed_meter_probes_are_one_fault() {
    let case = Case::new(lifepo4(), b8(), 8, 3.3);
    let mut input = case.input();
    for r in input.readings.iter_mut().flatten() {
        r.0 = -r.0;
    }
    let report = case.check_input(&input);
    assert_eq!(kinds(&report), vec![(None, FaultKind::CrossedLeads)]);
    let detail = &report.faults[0].english();
    assert!(
        detail.contains("the meter's probes are swapped"),
        "{detail}"
    );
    assert!(detail.contains("the harness is reversed"), "{detail}");
    assert!(
        detail.contains("a reversed harness must never be plugged into the BMS"),
        "{detail}"
    );
    // Only cell 1 entered, below 0 V: the same two causes and a swapped black wire.
    input.readings.iter_mut().skip(1).for_each(|r| *r = None);
    let report = case.check_input(&input);
    let detail = &report.faults[0].english();
    assert!(detail.contains("probes are swapped"), "{detail}");
    assert!(detail.contains("cell 1's lead are swapped"), "{detail}");
    assert!(detail.contains("harness is reversed"), "{detail}");
}

/// Readings typed as `text`, with their decimals, on a LiFePO4 pack of as many cells.
fn typed_ladder(texts: &[&str], pack: f64) -> LadderReport {
    let input = LadderInput {
        readings: texts.iter().map(|t| Volts::parse(t).ok()).collect(),
        pack_voltage: Some(Volts(pack)),
        last_pin: None,
        unused: BTreeMap::new(),
        decimals: texts
            .iter()
            .map(|t| Some(crate::wizard::checks::typed_decimals(t)))
            .collect(),
    };
    let n = texts.len();
    let plugs = [n as u32 + 1];
    let model = crate::wizard::checks::testkit::model("m", n as u32, &plugs);
    check_ladder(&lifepo4(), n as u32, &model, &limits(), &input)
}

#[test]
fn a_step_exactly_at_the_chemistry_maximum_is_not_flagged() {
    // LiFePO4 steps 2.50–3.60 V; the other cells step 3.55 V. Cell 3 at exactly 3.60 (whose
    // float difference lands a hair above) and one typed digit beyond pass; two digits
    // beyond are flagged, at that cell.
    let edge = ["3.55", "7.10", "10.70", "14.25"];
    assert!(
        typed_ladder(&edge, 14.25).ok(),
        "{:?}",
        typed_ladder(&edge, 14.25).faults
    );
    let digit = ["3.55", "7.10", "10.71", "14.26"];
    assert!(
        typed_ladder(&digit, 14.26).ok(),
        "{:?}",
        typed_ladder(&digit, 14.26).faults
    );
    let over = ["3.55", "7.10", "10.72", "14.27"];
    let report = typed_ladder(&over, 14.27);
    assert_eq!(kinds(&report), vec![(Some(3), FaultKind::StepHigh)]);
    assert!(
        report.faults[0].english().contains("steps 3.62 V"),
        "{:?}",
        report.faults
    );
    // The bottom edge likewise, among cells of 2.55 V: 2.50 and 2.49 pass, 2.48 does not.
    let low_edge = ["2.55", "5.10", "7.60", "10.15"];
    assert!(
        typed_ladder(&low_edge, 10.15).ok(),
        "{:?}",
        typed_ladder(&low_edge, 10.15).faults
    );
    let low_digit = ["2.55", "5.10", "7.59", "10.14"];
    assert!(
        typed_ladder(&low_digit, 10.14).ok(),
        "{:?}",
        typed_ladder(&low_digit, 10.14).faults
    );
    let low = ["2.55", "5.10", "7.58", "10.13"];
    let report = typed_ladder(&low, 10.13);
    assert_eq!(kinds(&report), vec![(Some(3), FaultKind::StepLow)]);
    // Every cell exactly at the top is no "wrong chemistry" either.
    let all_top = ["3.60", "7.20", "10.80", "14.40"];
    assert!(
        typed_ladder(&all_top, 14.4).ok(),
        "{:?}",
        typed_ladder(&all_top, 14.4).faults
    );
}

#[test]
fn a_reading_typed_with_one_decimal_widens_the_step_by_that_digit() {
    // On the 200 V range a meter shows 0.1 V: a step typed as 3.7 may really be 3.65.
    let report = typed_ladder(&["3.6", "7.2", "10.9", "14.5"], 14.5);
    assert!(report.ok(), "{:?}", report.faults);
    let report = typed_ladder(&["3.6", "7.2", "11.0", "14.6"], 14.6);
    assert!(
        kinds(&report).contains(&(Some(3), FaultKind::StepHigh)),
        "{:?}",
        report.faults
    );
}

#[test]
fn black_swapped_with_cell_one_is_named() {
    // Pin 1 on cell 1's plus, cell 1's lead on pack minus: readings are from cell 1's plus.
    let case = Case::new(lifepo4(), b8(), 8, 3.3);
    let nodes = nodes(&case.cells);
    let mut input = case.input();
    input.readings = (1..=8)
        .map(|k| {
            let node = if k == 1 { 0 } else { k };
            Some(Volts(((nodes[node] - nodes[1]) * 100.0).round() / 100.0))
        })
        .collect();
    let report = case.check_input(&input);
    assert_eq!(kinds(&report), vec![(Some(1), FaultKind::CrossedLeads)]);
    assert!(report.faults[0].english().contains("pin 1 (black)"));
}

#[test]
fn last_reading_must_match_the_pack_voltage() {
    let mut case = Case::new(lifepo4(), b16(), 16, 3.3);
    assert!(case.check().ok());
    case.pack = Some(Volts(case.pack.unwrap().0 + 1.2));
    let report = case.check();
    assert_eq!(kinds(&report), vec![(None, FaultKind::PackVoltageMismatch)]);
    // One cell more across the terminals: the pack has a 17th cell, or the count is wrong.
    case.pack = Some(Volts(pack_of(&case.cells).0 + 3.3));
    let report = case.check();
    assert_eq!(kinds(&report), vec![(None, FaultKind::PackVoltageMismatch)]);
    assert!(
        report.faults[0].english().contains("about 1 cell(s) less"),
        "{:?}",
        report.faults
    );
    // Within the tolerance is fine.
    case.pack = Some(Volts(pack_of(&case.cells).0 - 0.2));
    assert!(case.check().ok());
}

#[test]
fn fewer_cells_than_the_unit_needs_the_last_pin_on_pack_plus() {
    let mut case = Case::new(lifepo4(), b16(), 13, 3.3);
    let report = case.check();
    assert!(report.faults.is_empty());
    assert_eq!(report.missing.len(), 1);
    assert!(
        report.missing[0].english().contains("plug 2 pin 8"),
        "{:?}",
        report.missing
    );
    case.last_pin = Some(Volts(0.01));
    let report = case.check();
    assert_eq!(kinds(&report), vec![(None, FaultKind::LastPinNotPackPlus)]);
    assert!(report.faults[0]
        .english()
        .contains("not connected to pack plus"));
    case.last_pin = case.pack;
    assert!(case.check().ok());
    // An 8-cell pack on the 16-cell unit: pack plus is still the last pin of plug 2.
    let mut case = Case::new(li_ion(), b16(), 8, 3.7);
    case.last_pin = Some(Volts(22.2));
    let report = case.check();
    assert_eq!(kinds(&report), vec![(None, FaultKind::LastPinNotPackPlus)]);
    assert!(report.faults[0].english().contains("plug 2 pin 8"));
    // A full pack needs no separate last-pin reading.
    let case = Case::new(li_ion(), b8(), 8, 3.7);
    assert!(case.check().missing.is_empty());
}

#[test]
fn an_unused_wire_must_not_be_live() {
    let mut case = Case::new(lifepo4(), b16(), 13, 3.3);
    case.last_pin = case.pack;
    case.unused = BTreeMap::from([(15, Volts(0.02)), (16, Volts(0.1))]);
    assert!(case.check().ok());
    case.unused.insert(16, Volts(26.4));
    let report = case.check();
    assert_eq!(kinds(&report), vec![(None, FaultKind::UnusedPinLive)]);
    let detail = &report.faults[0].english();
    assert!(detail.contains("wire 16 (plug 2 pin 7)"), "{detail}");
    assert!(detail.contains("cell 8's plus"), "{detail}");
}

#[test]
fn one_cell_apart_from_the_others_is_an_imbalance_at_that_cell() {
    let mut case = Case::new(lifepo4(), b16(), 16, 3.3);
    case.cells[10] -= 0.2;
    case.pack = Some(pack_of(&case.cells));
    let report = case.check();
    assert_eq!(kinds(&report), vec![(Some(11), FaultKind::Imbalance)]);
    assert!(report.faults[0]
        .english()
        .contains("balance the cells before connecting"));
    assert_eq!(fault_rows(&report), vec![11]);
    // 0.08 V apart is within the ±0.1 V of step 1.
    let mut case = Case::new(lifepo4(), b16(), 16, 3.3);
    case.cells[10] -= 0.08;
    case.pack = Some(pack_of(&case.cells));
    assert!(case.check().ok());
}

#[test]
fn a_meter_showing_one_decimal_on_high_readings_is_no_imbalance() {
    let case = Case::new(li_ion(), b24(), 24, 3.7);
    let mut input = case.input();
    for r in input.readings.iter_mut().flatten() {
        if r.0 >= 20.0 {
            r.0 = (r.0 * 10.0).round() / 10.0;
        }
    }
    let report = case.check_input(&input);
    assert!(report.ok(), "{:?}", report.faults);
}

#[test]
fn a_weak_cell_is_step_low_at_that_cell_only() {
    let mut case = Case::new(lifepo4(), b16(), 16, 3.3);
    case.cells[3] = 2.1;
    case.pack = Some(pack_of(&case.cells));
    let report = case.check();
    assert_eq!(kinds(&report), vec![(Some(4), FaultKind::StepLow)]);
    assert!(report.faults[0]
        .english()
        .contains("2.10 V, below the 2.50–3.60 V"));
    let mut case = Case::new(li_ion(), b8(), 8, 3.9);
    case.cells[6] = 4.25;
    case.pack = Some(pack_of(&case.cells));
    let report = case.check();
    assert_eq!(kinds(&report), vec![(Some(7), FaultKind::StepHigh)]);
}

#[test]
fn a_pack_of_another_chemistry_is_one_fault_not_one_per_cell() {
    // Li-ion cells at 3.75 V checked as LiFePO4.
    let case = Case::new(lifepo4(), b16(), 16, 3.75);
    let report = case.check();
    assert_eq!(kinds(&report), vec![(None, FaultKind::StepHigh)]);
    assert!(report.faults[0].english().contains("LiFePO4"));
    // LTO cells checked as Li-ion.
    let report = Case::new(li_ion(), b24(), 24, 2.35).check();
    assert_eq!(kinds(&report), vec![(None, FaultKind::StepLow)]);
}

#[test]
fn partial_input_judges_only_what_is_entered() {
    let case = Case::new(lifepo4(), b16(), 16, 3.3);
    let full = case.input();
    let mut input = LadderInput {
        readings: vec![None; 16],
        ..LadderInput::default()
    };
    // Nothing typed yet: no fault, everything pending.
    let report = case.check_input(&input);
    assert!(report.faults.is_empty());
    assert!(report.rows.iter().all(|r| r.verdict == RowVerdict::Pending));
    assert_eq!(report.missing.len(), 2); // the readings, the pack voltage
    assert!(report.missing[0].english().contains("cells 1–16"));
    // The first five typed: each Ok, the rest pending, nothing wrong yet.
    input.readings[..5].copy_from_slice(&full.readings[..5]);
    let report = case.check_input(&input);
    assert!(report.wiring_ok_so_far(), "{:?}", report.faults);
    assert!(!report.ok());
    assert_eq!(report.rows[4].verdict, RowVerdict::Ok);
    assert_eq!(report.rows[5].verdict, RowVerdict::Pending);
    assert!(report.missing[0].english().contains("cells 6–16"));
    // A reading typed out of order is placed from the last one before it.
    input.readings[9] = full.readings[9];
    let report = case.check_input(&input);
    assert!(report.faults.is_empty(), "{:?}", report.faults);
    assert_eq!(report.rows[9].verdict, RowVerdict::Ok);
    assert!(report.missing[0].english().contains("cells 6–9, 11–16"));
}

#[test]
fn imbalance_slack_follows_the_decimals_typed_not_round_values() {
    // Cell 4 is 0.15 V above the others; the limit is 0.10 V. Typed with three decimals,
    // "9.900" is as precise as "9.901": both must be refused.
    let case = Case::new(lifepo4(), b8(), 4, 3.3);
    let typed = ["3.300", "6.600", "9.900", "13.350"];
    let input = LadderInput {
        readings: typed
            .iter()
            .map(|t| Some(Volts::parse(t).unwrap()))
            .collect(),
        pack_voltage: Some(Volts(13.35)),
        decimals: typed
            .iter()
            .map(|t| Some(crate::wizard::checks::typed_decimals(t)))
            .collect(),
        ..LadderInput::default()
    };
    let report = case.check_input(&input);
    assert!(
        kinds(&report).contains(&(Some(4), FaultKind::Imbalance)),
        "{:?}",
        report.faults
    );
    // Typed with one decimal (a meter on a high range), the same values are within reach
    // of the meter's resolution and pass.
    let coarse = LadderInput {
        decimals: vec![Some(1); 4],
        ..input
    };
    assert!(!kinds(&case.check_input(&coarse))
        .iter()
        .any(|(_, k)| *k == FaultKind::Imbalance));
}

#[test]
fn typed_decimals_are_counted_from_the_text() {
    use crate::wizard::checks::typed_decimals;
    assert_eq!(typed_decimals("26,4 V"), 1);
    assert_eq!(typed_decimals(" 3.300"), 3);
    assert_eq!(typed_decimals("52"), 0);
}

#[test]
fn partial_input_tells_a_skipped_tap_once_the_next_reading_is_in() {
    let mut case = Case::new(lifepo4(), b16(), 16, 3.3);
    for k in 5..16 {
        case = case.lead(k, Some(k + 1));
    }
    let full = case.input();
    let mut input = LadderInput {
        readings: vec![None; 16],
        ..LadderInput::default()
    };
    input.readings[..5].copy_from_slice(&full.readings[..5]);
    let report = case.check_input(&input);
    assert_eq!(kinds(&report), vec![(Some(5), FaultKind::StepHigh)]);
    assert!(report.faults[0].english().contains("about two cells"));
    assert_eq!(report.rows[4].verdict, RowVerdict::Fault);
    input.readings[5] = full.readings[5];
    let report = case.check_input(&input);
    assert_eq!(kinds(&report), vec![(Some(5), FaultKind::SkippedTap)]);
}

#[test]
fn the_gate_reports_what_is_missing_after_the_faults() {
    let case = Case::new(lifepo4(), b16(), 16, 3.3).lead(6, None);
    let mut input = case.input();
    input.readings[15] = None;
    let report = case.check_input(&input);
    let gate: Vec<FaultKind> = report.gate_faults().map(|f| f.kind).collect();
    assert_eq!(gate, vec![FaultKind::OpenLead, FaultKind::MissingReading]);
    assert_eq!(report.missing[0].cell, Some(16));
}

#[test]
fn faults_serialize_in_snake_case() {
    let json = serde_json::to_string(&FaultKind::PackVoltageMismatch).unwrap();
    assert_eq!(json, "\"pack_voltage_mismatch\"");
    let report = Case::new(lifepo4(), b8(), 8, 3.3).lead(2, None).check();
    let value = serde_json::to_value(&report).unwrap();
    assert_eq!(value["faults"][0]["kind"], "open_lead");
    assert_eq!(value["faults"][0]["cell"], 2);
    assert_eq!(value["rows"][1]["verdict"], "fault");
    assert_eq!(value["rows"][1]["pin"]["pin"], 3);
}

/// The typical cell every rise is measured in: the pack voltage over the cells while that is
/// plausible for the chemistry (half its smallest step to one and a half its largest, both
/// ends inside), else the median of the steps inside the chemistry's step range, else of the
/// plausible ones, else the middle of the range.
#[test]
fn the_typical_cell_is_the_pack_over_its_cells_when_plausible_else_the_steps() {
    let chem = lifepo4();
    let model = b16();
    let limits = limits();
    let (lo, hi) = (chem.ladder_step.min.0, chem.ladder_step.max.0);
    let typical = |steps: &[f64], pack: Option<f64>| {
        let mut sum = 0.0;
        let readings = steps
            .iter()
            .map(|s| {
                sum += s;
                Some(Volts(sum))
            })
            .collect();
        let input = LadderInput {
            readings,
            pack_voltage: pack.map(Volts),
            last_pin: None,
            unused: BTreeMap::new(),
            decimals: Vec::new(),
        };
        Ladder::new(&chem, steps.len() as u32, &model, &limits, &input).m
    };
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
    // Two steps of 3.3 V and two of 3.4 V: their median is 3.35 V.
    let steps = [3.3, 3.4, 3.3, 3.4];
    assert!(close(typical(&steps, None), 3.35));
    // The pack over its 4 cells, at both ends of the plausible band and just outside them.
    for (per_cell, used) in [
        (0.5 * lo, true),
        (0.5 * lo - 0.001, false),
        (1.5 * hi, true),
        (1.5 * hi + 0.001, false),
        (3.2, true),
    ] {
        let m = typical(&steps, Some(4.0 * per_cell));
        let want = if used { per_cell } else { 3.35 };
        assert!(
            close(m, want),
            "{per_cell} V a cell: typical {m}, want {want}"
        );
    }
    // Steps outside the chemistry's range do not count while some are inside it: 2.0 V steps
    // (a weak cell, a slip) leave the median of 3.3 and 3.4.
    assert!(close(typical(&[3.3, 2.0, 2.0, 3.4], None), 3.35));
    // Both ends of the step range are inside it.
    assert!(close(typical(&[lo, lo, 2.0, 2.0], None), lo));
    assert!(close(typical(&[hi, hi, 2.0, 2.0], None), hi));
    // None inside: the plausible ones; none plausible either: the middle of the range.
    assert!(close(typical(&[2.0, 2.2, 2.0, 2.2], None), 2.1));
    assert!(close(typical(&[0.1, 9.0, 0.1, 9.0], None), (lo + hi) / 2.0));
}

/// A right 16-cell LiFePO4 ladder of 3.3 V cells, for the helpers' own edges.
fn plain_ladder<'a>(
    chem: &'a ChemistrySpec,
    model: &'a ModelSpec,
    limits: &'a Limits,
    input: &'a LadderInput,
) -> Ladder<'a> {
    Ladder::new(chem, 16, model, limits, input)
}

#[test]
fn a_rise_spans_whole_cells_and_about_zero_is_none() {
    let (chem, model, limits) = (lifepo4(), b16(), limits());
    let input = Case::new(lifepo4(), b16(), 16, 3.3).input();
    let l = plain_ladder(&chem, &model, &limits, &input);
    let (m, zero) = (l.m, l.zero);
    assert!((zero - 0.15 * m).abs() < 1e-12);
    // Exactly at "about zero" is a clear rise or fall, of at least one cell.
    assert_eq!(l.cells_in(zero), 1);
    assert_eq!(l.cells_in(-zero), -1);
    // Inside it, no cell at all — 0 V too.
    for s in [0.0, zero - 1e-9, -zero + 1e-9] {
        assert_eq!(l.cells_in(s), 0, "{s}");
    }
    // Beyond a cell, the nearest whole number of cells.
    assert_eq!(l.cells_in(2.4 * m), 2);
    assert_eq!(l.cells_in(2.6 * m), 3);
    assert_eq!(l.cells_in(-2.6 * m), -3);
}

#[test]
fn a_lead_reads_open_only_below_about_zero() {
    let (chem, model, limits) = (lifepo4(), b16(), limits());
    let case = Case::new(lifepo4(), b16(), 16, 3.3);
    let zero = plain_ladder(&chem, &model, &limits, &case.input()).zero;
    let node_of_lead_1 = |reading: f64| {
        let mut input = case.input();
        input.readings[0] = Some(Volts(reading));
        plain_ladder(&chem, &model, &limits, &input).nodes[1]
    };
    assert_eq!(node_of_lead_1(zero - 1e-9), Some(Node::Open));
    assert_eq!(node_of_lead_1(-zero + 1e-9), Some(Node::Open));
    assert_eq!(node_of_lead_1(zero), Some(Node::At(1)));
}

#[test]
fn a_node_is_named_pack_minus_a_cells_plus_pack_plus_or_a_point_outside() {
    let (chem, model, limits) = (lifepo4(), b16(), limits());
    let input = Case::new(lifepo4(), b16(), 16, 3.3).input();
    let l = plain_ladder(&chem, &model, &limits, &input);
    let name = |c: i64| {
        crate::wizard::words::render_arg(crate::wizard::words::builtin(), "en", &l.node_name(c))
    };
    assert_eq!(name(0), "pack minus");
    assert_eq!(name(1), "cell 1's plus");
    assert_eq!(name(15), "cell 15's plus");
    assert_eq!(name(16), "pack plus (cell 16's plus)");
    assert_eq!(name(17), "a point 17 cells from pin 1");
    assert_eq!(name(-1), "a point -1 cells from pin 1");
}

#[test]
fn readings_about_zero_are_open_leads_never_a_reversed_meter() {
    let case = Case::new(lifepo4(), b8(), 8, 3.3);
    let mut input = case.input();
    input
        .readings
        .iter_mut()
        .for_each(|r| *r = Some(Volts(0.0)));
    let report = case.check_input(&input);
    assert!(
        report.faults.iter().all(|f| f.cell.is_some()),
        "no whole-ladder verdict: {:?}",
        kinds(&report)
    );
    assert!(kinds(&report).contains(&(Some(1), FaultKind::OpenLead)));
    // Cell 1 alone, exactly "about zero" below 0 V, is the meter the wrong way round; a hair
    // above that it is an open lead.
    let (chem, model, limits) = (lifepo4(), b8(), limits());
    let zero = Ladder::new(&chem, 8, &model, &limits, &case.input()).zero;
    let first_only = |v: f64| {
        let mut input = case.input();
        input.readings.iter_mut().for_each(|r| *r = None);
        input.readings[0] = Some(Volts(v));
        kinds(&case.check_input(&input))
    };
    assert_eq!(first_only(-zero), vec![(None, FaultKind::CrossedLeads)]);
    assert_eq!(
        first_only(-zero + 1e-9),
        vec![(Some(1), FaultKind::OpenLead)]
    );
}

#[test]
fn a_reversed_meter_is_named_for_cell_1_alone_only_when_cell_1_is_all_there_is() {
    let case = Case::new(lifepo4(), b8(), 8, 3.3);
    let negative = |cells: &[usize]| {
        let mut input = case.input();
        for (k, r) in input.readings.iter_mut().enumerate() {
            *r = if cells.contains(&(k + 1)) {
                r.map(|v| Volts(-v.0))
            } else {
                None
            };
        }
        case.check_input(&input).faults[0].english()
    };
    let every = "every reading is below 0 V: the meter's probes are swapped";
    assert!(negative(&[1, 2, 3, 4, 5, 6, 7, 8]).starts_with(every));
    // One reading, but not cell 1's: no black wire can explain it.
    assert!(negative(&[3]).starts_with(every), "{}", negative(&[3]));
    let first = negative(&[1]);
    assert!(
        first.starts_with("cell 1 (plug 1 pin 2) reads -"),
        "{first}"
    );
    assert!(first.contains("cell 1's lead are swapped"), "{first}");
}

#[test]
fn an_open_lead_is_named_with_its_cell_and_pin_and_cell_1_may_sit_on_pack_minus() {
    let report = Case::new(lifepo4(), b16(), 16, 3.3).lead(6, None).check();
    assert_eq!(
        report.faults[0].english(),
        "cell 6's lead (plug 1 pin 7) reads 0.02 V, about 0 V: the lead is broken, not \
         soldered or not seated in the plug (or it touches pack minus)"
    );
    let report = Case::new(lifepo4(), b16(), 16, 3.3).lead(1, None).check();
    let first = report.faults[0].english();
    assert!(
        first.starts_with("cell 1's lead (plug 1 pin 2) reads 0.02 V: it is not connected"),
        "{first}"
    );
    assert!(first.ends_with("it must reach cell 1's plus"), "{first}");
}

#[test]
fn the_last_two_leads_swapped_are_a_pair_too() {
    let report = Case::new(lifepo4(), b8(), 8, 3.3)
        .lead(7, Some(8))
        .lead(8, Some(7))
        .check();
    assert_eq!(kinds(&report), vec![(Some(7), FaultKind::CrossedLeads)]);
    let detail = report.faults[0].english();
    assert!(
        detail.starts_with(
            "the leads of cell 7 (plug 1 pin 8) and cell 8 (plug 1 pin 9) are swapped"
        ),
        "{detail}"
    );
}

#[test]
fn a_lead_one_cell_high_beside_a_swapped_pair_is_its_own_mistake() {
    // Lead 2 on cell 3's plus; leads 3 and 4 exchanged.
    let report = Case::new(lifepo4(), b8(), 8, 3.3)
        .lead(2, Some(3))
        .lead(3, Some(4))
        .lead(4, Some(3))
        .check();
    let faults: Vec<String> = report.faults.iter().map(|f| f.english()).collect();
    assert_eq!(
        kinds(&report),
        vec![
            (Some(2), FaultKind::StepHigh),
            (Some(3), FaultKind::CrossedLeads)
        ],
        "{faults:#?}"
    );
    assert!(
        faults[1].starts_with("the leads of cell 3 (plug 1 pin 4) and cell 4 (plug 1 pin 5)"),
        "{faults:#?}"
    );
}

#[test]
fn leads_one_cell_high_up_to_the_last_are_more_cells_than_the_pack_not_a_skipped_tap() {
    let case = Case::new(lifepo4(), b8(), 8, 3.3);
    let mut input = case.input();
    // Leads 7 and 8 each one cell high: lead 8 reads a cell above the pack.
    let top = input.readings[7].unwrap().0;
    input.readings[6] = Some(Volts(top));
    input.readings[7] = Some(Volts(top + 3.3));
    let report = case.check_input(&input);
    assert_eq!(report.faults[0].cell, Some(7));
    assert_eq!(report.faults[0].kind, FaultKind::StepHigh);
    let detail = report.faults[0].english();
    assert!(
        detail.starts_with("cell 7's lead (plug 1 pin 8) reads")
            && detail.contains("the pack seems to have more cells than 8"),
        "{detail}"
    );
}

#[test]
fn a_lead_one_cell_low_after_an_open_one_is_named_on_the_node_it_sits_on() {
    let report = Case::new(lifepo4(), b16(), 16, 3.3)
        .lead(5, None)
        .lead(6, Some(5))
        .check();
    assert_eq!(
        kinds(&report),
        vec![
            (Some(5), FaultKind::OpenLead),
            (Some(6), FaultKind::StepLow)
        ]
    );
    let detail = report.faults[1].english();
    assert!(
        detail.starts_with("cell 6's lead (plug 1 pin 7) reads"),
        "{detail}"
    );
    assert!(
        detail.ends_with(
            "one cell lower than expected: it seems to be on cell 5's plus; move it to cell \
             6's plus"
        ),
        "{detail}"
    );
}

#[test]
fn one_lead_low_is_moved_alone_and_a_run_of_them_together() {
    let one = Case::new(lifepo4(), b16(), 16, 3.3)
        .lead(6, Some(5))
        .check();
    assert!(
        one.faults[0]
            .english()
            .ends_with("(two taps on one node); move it to cell 6's plus"),
        "{}",
        one.faults[0].english()
    );
    let mut case = Case::new(lifepo4(), b8(), 8, 3.3);
    for k in 4..=8 {
        case = case.lead(k, Some(k - 1));
    }
    let run = case.check().faults[0].english();
    assert!(
        run.ends_with(
            "the leads of cells 4–8 each sit one cell low, so no lead reaches pack plus; move \
             them one cell up from cell 4"
        ),
        "{run}"
    );
}

#[test]
fn three_cells_are_enough_to_tell_one_apart_and_the_words_say_which_way_and_how_far() {
    let above = typed_ladder(&["3.300", "6.600", "10.050"], 10.05);
    assert_eq!(kinds(&above), vec![(Some(3), FaultKind::Imbalance)]);
    assert!(
        above.faults[0].english().starts_with(
            "cell 3 is at 3.45 V, 0.15 V above the others (median 3.30 V), more than the \
             0.10 V allowed"
        ),
        "{}",
        above.faults[0].english()
    );
    let below = typed_ladder(&["3.300", "6.600", "9.750"], 9.75);
    assert_eq!(kinds(&below), vec![(Some(3), FaultKind::Imbalance)]);
    assert!(
        below.faults[0]
            .english()
            .starts_with("cell 3 is at 3.15 V, 0.15 V below the others (median 3.30 V)"),
        "{}",
        below.faults[0].english()
    );
    // Two cells have no "others": neither is judged against the other.
    assert_eq!(kinds(&typed_ladder(&["3.300", "6.750"], 6.75)), vec![]);
}

#[test]
fn a_pack_mismatch_of_less_than_half_a_cell_is_no_count_of_cells() {
    let report = typed_ladder(&["3.300", "6.600", "9.900"], 10.4);
    assert_eq!(kinds(&report), vec![(None, FaultKind::PackVoltageMismatch)]);
    let detail = report.faults[0].english();
    assert!(
        detail.ends_with(
            "0.50 V apart (more than 0.30 V): measure both again; the last lead must sit on \
             pack plus, where the pack voltage is measured"
        ),
        "{detail}"
    );
    // A whole cell off is counted.
    let report = typed_ladder(&["3.300", "6.600", "9.900"], 13.2);
    assert!(
        report.faults[0]
            .english()
            .contains("that is about 1 cell(s) less — check the cell count (3)"),
        "{}",
        report.faults[0].english()
    );
}

//! Wiring step 5: the multimeter ladder on the balance plug, diagnosed.
//!
//! The meter's minus sits on pin 1 (black, pack minus); reading k is taken on the lead of cell
//! k's plus. Each reading therefore names a point of the pack: dividing by the typical cell
//! voltage says on which cell's plus ("node") the lead really sits. Wiring mistakes are
//! diagnosed from those nodes, so one mistake (a skipped tap shifts every later lead) is one
//! fault, and only leads that sit on their own node are judged by their cell's voltage.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::units::Volts;
use crate::wizard::spec::{ChemistrySpec, Limits, ModelSpec};
use crate::wizard::words::{Arg, Say};

use super::edge::{reaches, within};
use super::LadderInput;

mod pins;
mod report;

pub use pins::*;
pub use report::*;

/// Where a lead was found, from its reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    /// About 0 V from pin 1: not connected (or on pack minus).
    Open,
    /// On this node: 0 = pack minus, k = cell k's plus.
    At(i64),
}

/// Diagnose the ladder of `cells` cells on `model` for chemistry `chem`.
///
/// Works on partial input: readings not yet entered are `Pending` rows and land in
/// `missing`, never in `faults`.
pub fn check_ladder(
    chem: &ChemistrySpec,
    cells: u32,
    model: &ModelSpec,
    limits: &Limits,
    input: &LadderInput,
) -> LadderReport {
    Ladder::new(chem, cells, model, limits, input).diagnose()
}

struct Ladder<'a> {
    chem: &'a ChemistrySpec,
    model: &'a ModelSpec,
    limits: &'a Limits,
    input: &'a LadderInput,
    n: usize,
    /// Readings 0..=n; index 0 is pin 1 itself (0 V).
    r: Vec<Option<f64>>,
    /// The typical cell voltage of this pack.
    m: f64,
    /// A step or reading smaller than this is "about 0 V".
    zero: f64,
    nodes: Vec<Option<Node>>,
    faults: Vec<LadderFault>,
    /// Cells whose row is part of a fault.
    bad: Vec<bool>,
    /// Leads already explained by a diagnosis.
    explained: Vec<bool>,
}

impl<'a> Ladder<'a> {
    fn new(
        chem: &'a ChemistrySpec,
        cells: u32,
        model: &'a ModelSpec,
        limits: &'a Limits,
        input: &'a LadderInput,
    ) -> Self {
        let n = cells as usize;
        let mut r = vec![Some(0.0)];
        r.extend((1..=n).map(|k| input.readings.get(k - 1).copied().flatten().map(|v| v.0)));
        let mut ladder = Ladder {
            chem,
            model,
            limits,
            input,
            n,
            r,
            m: 0.0,
            zero: 0.0,
            nodes: vec![None; n + 1],
            faults: Vec::new(),
            bad: vec![false; n + 1],
            explained: vec![false; n + 1],
        };
        ladder.m = ladder.typical_cell();
        ladder.zero = 0.15 * ladder.m;
        ladder.locate_nodes();
        ladder
    }

    fn lo(&self) -> f64 {
        self.chem.ladder_step.min.0
    }

    fn hi(&self) -> f64 {
        self.chem.ladder_step.max.0
    }

    fn chem_name(&self) -> Arg {
        Arg::Text(self.chem.name.clone())
    }

    /// Cell `k`'s pin as an argument.
    fn pa(&self, k: usize) -> Arg {
        let p = self.pin(k);
        Arg::Pin {
            plug: p.plug,
            pin: p.pin,
        }
    }

    fn pin(&self, cell: usize) -> PinRef {
        pin_of_wire(self.model, cell as u32 + 1)
    }

    fn step(&self, k: usize) -> Option<f64> {
        Some(self.r[k]? - self.r[k - 1]?)
    }

    /// The typical cell voltage: the pack voltage over the cells when that is plausible (it is
    /// immune to wiring mistakes), else the median of the steps that look like one cell.
    fn typical_cell(&self) -> f64 {
        let (lo, hi) = (self.lo(), self.hi());
        let plausible = |v: f64| v >= 0.5 * lo && v <= 1.5 * hi;
        if let Some(p) = self.input.pack_voltage {
            let per_cell = p.0 / self.n.max(1) as f64;
            if plausible(per_cell) {
                return per_cell;
            }
        }
        let steps: Vec<f64> = (1..=self.n).filter_map(|k| self.step(k)).collect();
        let in_range: Vec<f64> = steps
            .iter()
            .copied()
            .filter(|s| *s >= lo && *s <= hi)
            .collect();
        if let Some(m) = median(&in_range) {
            return m;
        }
        let near: Vec<f64> = steps.into_iter().filter(|s| plausible(*s)).collect();
        median(&near).unwrap_or((lo + hi) / 2.0)
    }

    /// How many cells a rise of `s` volts spans: any clear rise is at least one cell (a weak
    /// cell is still a cell), any clear fall at least one.
    fn cells_in(&self, s: f64) -> i64 {
        let f = (s / self.m).round() as i64;
        if s >= self.zero {
            f.max(1)
        } else if s <= -self.zero {
            f.min(-1)
        } else {
            0
        }
    }

    /// Follow the readings up the pack: each lead's node is the last located node plus the
    /// cells its rise spans. Leads reading about 0 V are open and do not move the reference.
    fn locate_nodes(&mut self) {
        self.nodes[0] = Some(Node::At(0));
        let (mut ref_node, mut ref_v) = (0i64, 0.0);
        for k in 1..=self.n {
            let Some(v) = self.r[k] else { continue };
            if v.abs() < self.zero {
                self.nodes[k] = Some(Node::Open);
                continue;
            }
            let node = ref_node + self.cells_in(v - ref_v);
            self.nodes[k] = Some(Node::At(node));
            (ref_node, ref_v) = (node, v);
        }
    }

    fn at(&self, k: usize) -> Option<i64> {
        match self.nodes.get(k).copied().flatten() {
            Some(Node::At(c)) => Some(c),
            _ => None,
        }
    }

    /// Lead k is entered and sits on cell k's plus.
    fn in_place(&self, k: usize) -> bool {
        self.at(k) == Some(k as i64)
    }

    /// Lead k is entered, not open, and sits on a wrong node.
    fn wrong(&self, k: usize) -> bool {
        matches!(self.at(k), Some(c) if c != k as i64)
    }

    /// Node `c` in words: pack minus, a cell's plus, pack plus, or a point outside the pack.
    fn node_name(&self, c: i64) -> Arg {
        let n = self.n as i64;
        let key = match c {
            0 => return Arg::say(Say::plain("ladder.node.pack_minus")),
            c if c == n => "ladder.node.pack_plus",
            c if (1..n).contains(&c) => "ladder.node.cell_plus",
            _ => "ladder.node.outside",
        };
        Arg::say(Say::new(key, [("c", Arg::int(c))]))
    }

    fn push(&mut self, cell: Option<usize>, kind: FaultKind, say: Say) {
        self.faults.push(LadderFault {
            cell: cell.map(|c| c as u32),
            kind,
            say,
        });
    }

    fn mark(&mut self, cells: impl IntoIterator<Item = usize>) {
        for k in cells {
            self.bad[k] = true;
            self.explained[k] = true;
        }
    }

    fn diagnose(mut self) -> LadderReport {
        if !self.reversed_meter() {
            self.open_leads();
            self.black_swapped();
            self.swapped_pairs();
            self.shifted_runs();
            self.steps_and_balance();
            self.pack_voltage();
        }
        self.last_pin();
        self.unused_pins();
        let missing = self.missing();
        self.faults
            .sort_by_key(|f| (f.cell.is_none(), f.cell.unwrap_or(0)));
        let rows = (1..=self.n)
            .map(|k| LadderRow {
                cell: CellIndex(k as u32),
                pin: self.pin(k),
                reading: self.r[k].map(Volts),
                step: self.step(k).map(Volts),
                verdict: if self.r[k].is_none() {
                    RowVerdict::Pending
                } else if self.bad[k] {
                    RowVerdict::Fault
                } else {
                    RowVerdict::Ok
                },
            })
            .collect();
        LadderReport {
            rows,
            faults: self.faults,
            missing,
        }
    }

    /// Every reading below 0 V: the probes are the wrong way round, nothing to diagnose past it.
    fn reversed_meter(&mut self) -> bool {
        let entered: Vec<usize> = (1..=self.n).filter(|&k| self.r[k].is_some()).collect();
        let all_negative = !entered.is_empty()
            && entered
                .iter()
                .all(|&k| self.r[k].is_some_and(|v| v <= -self.zero));
        if !all_negative {
            return false;
        }
        // Swapped probes and a harness wired the wrong way round (pin 1 on pack plus) give the
        // same picture; only the second one destroys the BMS, so both are named.
        let harness = || Arg::say(Say::plain("ladder.part.harness_reversed"));
        let detail = if entered.len() == 1 && entered[0] == 1 {
            Say::new(
                "ladder.reversed_first",
                [
                    ("harness", harness()),
                    ("pin", self.pa(1)),
                    ("reads", v2(self.r[1].unwrap_or(0.0))),
                ],
            )
        } else {
            Say::new("ladder.reversed_all", [("harness", harness())])
        };
        self.push(None, FaultKind::CrossedLeads, detail);
        self.mark(entered);
        true
    }

    fn open_leads(&mut self) {
        for k in 1..=self.n {
            if self.nodes[k] != Some(Node::Open) {
                continue;
            }
            let v = self.r[k].unwrap_or(0.0);
            let detail = if k == 1 {
                Say::new("ladder.open_first", [("pin", self.pa(1)), ("reads", v2(v))])
            } else {
                Say::new(
                    "ladder.open",
                    [
                        ("k", Arg::int(k as i64)),
                        ("pin", self.pa(k)),
                        ("reads", v2(v)),
                    ],
                )
            };
            self.push(Some(k), FaultKind::OpenLead, detail);
            self.mark([k]);
        }
    }

    /// Pin 1 and cell 1's lead exchanged: pin 1 then sits on cell 1's plus, so cell 1 reads
    /// one cell below zero and every later lead one cell low.
    fn black_swapped(&mut self) {
        if self.at(1) != Some(-1) {
            return;
        }
        let rest_low = (2..=self.n).all(|k| match self.nodes[k] {
            Some(Node::At(c)) => c == k as i64 - 1,
            Some(Node::Open) => false,
            None => true,
        });
        if !rest_low {
            return;
        }
        let detail = Say::new(
            "ladder.black_swapped",
            [("pin", self.pa(1)), ("reads", v2(self.r[1].unwrap_or(0.0)))],
        );
        self.push(Some(1), FaultKind::CrossedLeads, detail);
        let leads: Vec<usize> = (1..=self.n).filter(|&k| self.r[k].is_some()).collect();
        self.mark(leads);
    }

    /// Two leads each on the other's node.
    fn swapped_pairs(&mut self) {
        for a in 1..=self.n {
            if self.explained[a] || !self.wrong(a) {
                continue;
            }
            let Some(b) = self.at(a).map(|c| c as usize) else {
                continue;
            };
            if b <= a || b > self.n || self.explained[b] || self.at(b) != Some(a as i64) {
                continue;
            }
            let detail = Say::new(
                "ladder.swapped_pair",
                [
                    ("a", Arg::int(a as i64)),
                    ("b", Arg::int(b as i64)),
                    ("pin", self.pa(a)),
                    ("pin_other", self.pa(b)),
                    ("reads", v2(self.r[a].unwrap_or(0.0))),
                    ("reads_other", v2(self.r[b].unwrap_or(0.0))),
                ],
            );
            self.push(Some(a), FaultKind::CrossedLeads, detail);
            self.mark([a, b]);
        }
    }

    /// Runs of consecutive leads on wrong nodes, each diagnosed as one mistake.
    fn shifted_runs(&mut self) {
        // A run's leads are marked explained once diagnosed, so the ones after its first are
        // passed over here.
        for j in 1..=self.n {
            if self.explained[j] || !self.wrong(j) {
                continue;
            }
            let mut e = j;
            while e < self.n && !self.explained[e + 1] && self.wrong(e + 1) {
                e += 1;
            }
            self.diagnose_run(j, e);
            self.mark(j..=e);
        }
    }

    fn diagnose_run(&mut self, j: usize, e: usize) {
        let offsets: Vec<i64> = (j..=e)
            .map(|k| self.at(k).unwrap_or(k as i64) - k as i64)
            .collect();
        let len = e - j + 1;
        let rj = self.r[j].unwrap_or(0.0);
        // Past the last lead there is none to be in place (`at` knows no lead n + 1).
        let next_in_place = self.in_place(e + 1);
        let next_unknown = e < self.n && self.r[e + 1].is_none();
        let pin_j = self.pa(j);
        let (aj, ae, an) = (
            Arg::int(j as i64),
            Arg::int(e as i64),
            Arg::int(j as i64 + 1),
        );
        if offsets.iter().all(|&d| d == 1) {
            let jump = match self.step(j) {
                Some(s) => v2(s),
                None => Arg::verbatim("?"),
            };
            if len == 1 && next_in_place {
                let detail = Say::new(
                    "ladder.doubled_up",
                    [("j", aj), ("next", an), ("pin", pin_j), ("reads", v2(rj))],
                );
                self.push(Some(j), FaultKind::CrossedLeads, detail);
            } else if len >= 2 && e < self.n {
                let share = if next_in_place {
                    Say::new(
                        "ladder.part.share",
                        [("e", ae.clone()), ("next", Arg::int(e as i64 + 1))],
                    )
                } else {
                    Say::plain("part.empty")
                };
                let detail = Say::new(
                    "ladder.skipped_tap",
                    [
                        ("e", ae),
                        ("j", aj),
                        ("jump", jump),
                        ("pin", pin_j),
                        ("share", Arg::say(share)),
                    ],
                );
                self.push(Some(j), FaultKind::SkippedTap, detail);
            } else if next_unknown {
                let detail = Say::new(
                    "ladder.two_cells_step",
                    [("j", aj), ("jump", jump), ("next", an), ("pin", pin_j)],
                );
                self.push(Some(j), FaultKind::StepHigh, detail);
            } else {
                let detail = Say::new(
                    "ladder.one_cell_more",
                    [
                        ("e", ae),
                        ("j", aj),
                        ("n", Arg::int(self.n as i64)),
                        ("pin", pin_j),
                        ("reads", v2(rj)),
                    ],
                );
                self.push(Some(j), FaultKind::StepHigh, detail);
            }
            return;
        }
        if offsets.iter().all(|&d| d == -1) {
            let prev = j - 1;
            let first = if prev >= 1 && self.in_place(prev) {
                Say::new(
                    "ladder.part.two_taps",
                    [
                        ("j", aj.clone()),
                        ("pin", pin_j),
                        ("prev", Arg::int(prev as i64)),
                        ("reads", v2(rj)),
                    ],
                )
            } else {
                Say::new(
                    "ladder.part.one_cell_low",
                    [
                        ("j", aj.clone()),
                        ("node", self.node_name(j as i64 - 1)),
                        ("pin", pin_j),
                        ("reads", v2(rj)),
                    ],
                )
            };
            let untapped = Arg::say(if e == self.n {
                Say::plain("ladder.node.pack_plus_short")
            } else {
                Say::new("ladder.node.cell_plus", [("c", ae.clone())])
            });
            let detail = if len >= 2 {
                Say::new(
                    "ladder.run_low",
                    [
                        ("e", ae),
                        ("first", Arg::say(first)),
                        ("j", aj),
                        ("untapped", untapped),
                    ],
                )
            } else if e == self.n {
                Say::new("ladder.last_low", [("first", Arg::say(first)), ("j", aj)])
            } else {
                Say::new("ladder.one_low", [("first", Arg::say(first)), ("j", aj)])
            };
            self.push(Some(j), FaultKind::StepLow, detail);
            return;
        }
        // Anything else: name where the first wrong lead sits.
        let c = self.at(j).unwrap_or(j as i64);
        if c < 0 || c > self.n as i64 {
            // No lead can sit outside the pack: the reading itself is wrong.
            let (kind, key) = if c < 0 {
                (FaultKind::CrossedLeads, "ladder.below_minus")
            } else {
                (FaultKind::StepHigh, "ladder.above_pack")
            };
            let detail = Say::new(key, [("j", aj), ("pin", pin_j), ("reads", v2(rj))]);
            self.push(Some(j), kind, detail);
            return;
        }
        let kind = match self.step(j) {
            Some(s) if s <= -self.zero => FaultKind::CrossedLeads,
            Some(s) if s.abs() < self.zero => FaultKind::StepLow,
            _ if c > j as i64 => FaultKind::StepHigh,
            _ => FaultKind::StepLow,
        };
        let crossed = if kind == FaultKind::CrossedLeads && j > 1 {
            Say::new("ladder.part.crossed", [("prev", Arg::int(j as i64 - 1))])
        } else {
            Say::plain("part.empty")
        };
        let more = if len > 1 {
            Say::new("ladder.part.misplaced_up_to", [("e", ae)])
        } else {
            Say::plain("part.empty")
        };
        let detail = Say::new(
            "ladder.misplaced",
            [
                ("c", Arg::int(c)),
                ("crossed", Arg::say(crossed)),
                ("j", aj),
                ("more", Arg::say(more)),
                ("node", self.node_name(c)),
                ("pin", pin_j),
                ("reads", v2(rj)),
            ],
        );
        self.push(Some(j), kind, detail);
    }

    /// Cells whose both leads sit in place: judge each by the chemistry's range, then by how far
    /// it is from the others.
    fn steps_and_balance(&mut self) {
        let (lo, hi) = (self.lo(), self.hi());
        let judged: Vec<(usize, f64)> = (1..=self.n)
            .filter(|&k| self.in_place(k) && (k == 1 || self.in_place(k - 1)))
            .filter_map(|k| Some((k, self.step(k)?)))
            .collect();
        // A step is the difference of two typed readings, each rounded to its last digit: a
        // cell exactly at the range's edge may show up to one digit beyond it.
        let slack: Vec<f64> = (0..=self.n)
            .map(|k| if k == 0 { 0.0 } else { self.step_slack(k) })
            .collect();
        let below = |k: usize, s: f64| !reaches(s, lo - slack[k]);
        let above = |k: usize, s: f64| !within(s, hi + slack[k]);
        let low: Vec<usize> = judged
            .iter()
            .filter(|&&(k, s)| below(k, s))
            .map(|(k, _)| *k)
            .collect();
        let high: Vec<usize> = judged
            .iter()
            .filter(|&&(k, s)| above(k, s))
            .map(|(k, _)| *k)
            .collect();
        let all_steps: Vec<f64> = judged.iter().map(|(_, s)| *s).collect();
        let med_all = median(&all_steps).unwrap_or(self.m);
        // Every cell out of range the same way is one mistake: the chemistry is not this pack's.
        if judged.len() >= 2 && (low.len() == judged.len() || high.len() == judged.len()) {
            let (kind, key) = if low.len() == judged.len() {
                (FaultKind::StepLow, "ladder.all_low")
            } else {
                (FaultKind::StepHigh, "ladder.all_high")
            };
            let detail = Say::new(
                key,
                [
                    ("chemistry", self.chem_name()),
                    ("range", range(lo, hi)),
                    ("step", v2(med_all)),
                ],
            );
            self.push(None, kind, detail);
            let cells: Vec<usize> = judged.iter().map(|(k, _)| *k).collect();
            for k in cells {
                self.bad[k] = true;
            }
            return;
        }
        for &(k, s) in &judged {
            let (kind, key) = if below(k, s) {
                (FaultKind::StepLow, "ladder.cell_low")
            } else if above(k, s) {
                (FaultKind::StepHigh, "ladder.cell_high")
            } else {
                continue;
            };
            let detail = Say::new(
                key,
                [
                    ("chemistry", self.chem_name()),
                    ("k", Arg::int(k as i64)),
                    ("pin", self.pa(k)),
                    ("range", range(lo, hi)),
                    ("step", v2(s)),
                ],
            );
            self.push(Some(k), kind, detail);
            self.bad[k] = true;
        }
        let normal: Vec<(usize, f64)> = judged
            .iter()
            .copied()
            .filter(|&(k, s)| !below(k, s) && !above(k, s))
            .collect();
        if normal.len() < 3 {
            return;
        }
        let med = median(&normal.iter().map(|(_, s)| *s).collect::<Vec<_>>()).unwrap_or(self.m);
        let spread = self.limits.cell_spread.0;
        for (k, s) in normal {
            // A meter showing fewer decimals on a high range can move a step by its resolution.
            let slack = self.resolution(k) + self.resolution(k - 1);
            if !within((s - med).abs(), spread + slack) {
                let key = if s > med {
                    "ladder.imbalance_above"
                } else {
                    "ladder.imbalance_below"
                };
                let detail = Say::new(
                    key,
                    [
                        ("allowed", v2(spread)),
                        ("apart", v2((s - med).abs())),
                        ("k", Arg::int(k as i64)),
                        ("median", v2(med)),
                        ("step", v2(s)),
                    ],
                );
                self.push(Some(k), FaultKind::Imbalance, detail);
                self.bad[k] = true;
            }
        }
    }

    /// The last lead against the pack voltage measured across the pack terminals.
    fn pack_voltage(&mut self) {
        let n = self.n;
        let (Some(pack), Some(last)) = (self.input.pack_voltage, self.r[n]) else {
            return;
        };
        // A misplaced or open last lead is already diagnosed; its mismatch is the same mistake.
        if n == 0 || self.explained[n] {
            return;
        }
        let diff = last - pack.0;
        if within(diff.abs(), self.limits.pack_tolerance.0) {
            return;
        }
        let whole = (diff / self.m).round();
        let cause = if whole != 0.0 && (diff - whole * self.m).abs() < 0.3 * self.m {
            let key = if whole < 0.0 {
                "ladder.part.cells_less"
            } else {
                "ladder.part.cells_more"
            };
            Say::new(
                key,
                [
                    ("count", Arg::int(whole.abs() as i64)),
                    ("n", Arg::int(n as i64)),
                ],
            )
        } else {
            Say::plain("ladder.part.measure_both")
        };
        let detail = Say::new(
            "ladder.pack_mismatch",
            [
                ("apart", v2(diff.abs())),
                ("cause", Arg::say(cause)),
                ("last", v2(last)),
                ("n", Arg::int(n as i64)),
                ("pack", v2(pack.0)),
                ("pin", self.pa(n)),
                ("tolerance", v2(self.limits.pack_tolerance.0)),
            ],
        );
        self.push(None, FaultKind::PackVoltageMismatch, detail);
    }

    /// The pin of the last plug that must also sit on pack plus when the pack is shorter than
    /// the unit, if this pack needs it.
    fn last_pin_ref(&self) -> Option<(u32, PinRef)> {
        let total = wire_count(self.model);
        (self.n as u32 + 1 < total).then(|| (total, pin_of_wire(self.model, total)))
    }

    fn last_pin(&mut self) {
        let Some((_, pin)) = self.last_pin_ref() else {
            return;
        };
        let Some(v) = self.input.last_pin else { return };
        let reference = self.input.pack_voltage.map(|p| p.0).or(self.r[self.n]);
        let Some(pack) = reference else { return };
        if within((v.0 - pack).abs(), self.limits.pack_tolerance.0) {
            return;
        }
        let n = self.n;
        let last_pin = Arg::Pin {
            plug: pin.plug,
            pin: pin.pin,
        };
        let detail = if v.0.abs() < self.zero {
            Say::new(
                "ladder.last_pin_open",
                [
                    ("last_pin", last_pin),
                    ("max_cells", Arg::int(self.model.max_cells)),
                    ("n", Arg::int(n as i64)),
                    ("reads", v2(v.0)),
                ],
            )
        } else {
            Say::new(
                "ladder.last_pin_off",
                [
                    ("last_pin", last_pin),
                    ("n", Arg::int(n as i64)),
                    ("pack", v2(pack)),
                    ("pin", self.pa(n)),
                    ("reads", v2(v.0)),
                ],
            )
        };
        self.push(None, FaultKind::LastPinNotPackPlus, detail);
    }

    fn unused_pins(&mut self) {
        let total = wire_count(self.model);
        let first_unused = self.n as u32 + 2;
        let live: Vec<(u32, f64)> = self
            .input
            .unused
            .iter()
            .filter(|(w, _)| **w >= first_unused && **w < total)
            .filter(|(_, v)| v.0.abs() > self.limits.unused_pin_max.0)
            .map(|(w, v)| (*w, v.0))
            .collect();
        for (wire, v) in live {
            let cells = (v / self.m).round() as i64;
            let touches = if cells >= 1 && cells <= self.n as i64 {
                Say::new(
                    "ladder.part.touches",
                    [("count", Arg::int(cells)), ("node", self.node_name(cells))],
                )
            } else {
                Say::plain("part.empty")
            };
            let p = pin_of_wire(self.model, wire);
            let detail = Say::new(
                "ladder.unused_live",
                [
                    (
                        "pin",
                        Arg::Pin {
                            plug: p.plug,
                            pin: p.pin,
                        },
                    ),
                    ("reads", v2(v)),
                    ("touches", Arg::say(touches)),
                    ("wire", Arg::int(wire)),
                ],
            );
            self.push(None, FaultKind::UnusedPinLive, detail);
        }
    }

    fn missing(&self) -> Vec<LadderFault> {
        let mut missing = Vec::new();
        let absent: Vec<u32> = (1..=self.n)
            .filter(|&k| self.r[k].is_none())
            .map(|k| k as u32)
            .collect();
        if let [one] = absent.as_slice() {
            missing.push(LadderFault {
                cell: Some(*one),
                kind: FaultKind::MissingReading,
                say: Say::new(
                    "ladder.missing_one",
                    [("cell", Arg::int(*one)), ("pin", self.pa(*one as usize))],
                ),
            });
        } else if !absent.is_empty() {
            missing.push(LadderFault {
                cell: None,
                kind: FaultKind::MissingReading,
                say: Say::new("ladder.missing_cells", [("cells", Arg::Numbers(absent))]),
            });
        }
        if self.input.pack_voltage.is_none() {
            missing.push(LadderFault {
                cell: None,
                kind: FaultKind::MissingReading,
                say: Say::plain("ladder.missing_pack"),
            });
        }
        if let (Some((_, pin)), None) = (self.last_pin_ref(), self.input.last_pin) {
            missing.push(LadderFault {
                cell: None,
                kind: FaultKind::MissingReading,
                say: Say::new(
                    "ladder.missing_last_pin",
                    [
                        (
                            "last_pin",
                            Arg::Pin {
                                plug: pin.plug,
                                pin: pin.pin,
                            },
                        ),
                        ("max_cells", Arg::int(self.model.max_cells)),
                        ("n", Arg::int(self.n as i64)),
                    ],
                ),
            });
        }
        missing
    }
}

/// Volts with two decimals, as a meter shows them.
fn v2(v: f64) -> Arg {
    Arg::volts(v, 2)
}

/// "2.50–3.60 V".
fn range(lo: f64, hi: f64) -> Arg {
    Arg::volt_range(lo, hi, 2)
}

fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let mid = v.len() / 2;
    Some(if v.len().is_multiple_of(2) {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    })
}

impl Ladder<'_> {
    /// How far step `k` may lie outside the chemistry's range on rounding alone: one last digit
    /// of the two readings it is made of, at least the wizard's `meter_digit`.
    fn step_slack(&self, k: usize) -> f64 {
        let typed = self.resolution(k) + self.resolution(k - 1);
        typed.max(self.limits.meter_digit.0)
    }

    /// Half the last digit reading `k` was typed with (0.05 V for "26.4"); pin 1 is exact.
    /// Whole numbers count as one decimal: no meter on a balance plug shows less. Where the
    /// typed text is not known, the value's own digits are looked at — which cannot tell
    /// "9.900" from "9.9", so typed decimals come first.
    fn resolution(&self, k: usize) -> f64 {
        if k == 0 {
            return 0.0;
        }
        if let Some(Some(d)) = self.input.decimals.get(k - 1) {
            return 0.5 * 10f64.powi(-i32::from((*d).max(1)));
        }
        let Some(v) = self.r[k] else { return 0.0 };
        if v == 0.0 {
            return 0.0;
        }
        for scale in [10.0, 100.0] {
            if ((v * scale).round() - v * scale).abs() < 1e-6 {
                return 0.5 / scale;
            }
        }
        0.0005
    }
}

/// "3, 5–7, 9" from sorted numbers.
#[cfg(test)]
mod tests;

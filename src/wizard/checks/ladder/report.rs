//! What the ladder check says: its rows, its faults and their codes.

use super::*;

/// What a ladder fault is, as a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// A cell's step is below the chemistry's range, or two leads share one point.
    StepLow,
    /// A cell's step is above the chemistry's range.
    StepHigh,
    /// A cell's plus was skipped and the following leads sit one cell too high.
    SkippedTap,
    /// Leads swapped (or the meter reversed).
    CrossedLeads,
    /// A lead reads about 0 V: broken, unsoldered, not in the plug.
    OpenLead,
    /// A cell differs from the others by more than the allowed spread.
    Imbalance,
    /// The last reading differs from the pack voltage measured across the pack.
    PackVoltageMismatch,
    /// An unused wire is live.
    UnusedPinLive,
    /// With fewer cells than the unit takes, its last pin is not on pack plus.
    LastPinNotPackPlus,
    /// A reading is still to be entered.
    MissingReading,
}

impl FaultKind {
    /// The snake_case code, as in JSON.
    pub fn code(self) -> &'static str {
        match self {
            FaultKind::StepLow => "step_low",
            FaultKind::StepHigh => "step_high",
            FaultKind::SkippedTap => "skipped_tap",
            FaultKind::CrossedLeads => "crossed_leads",
            FaultKind::OpenLead => "open_lead",
            FaultKind::Imbalance => "imbalance",
            FaultKind::PackVoltageMismatch => "pack_voltage_mismatch",
            FaultKind::UnusedPinLive => "unused_pin_live",
            FaultKind::LastPinNotPackPlus => "last_pin_not_pack_plus",
            FaultKind::MissingReading => "missing_reading",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One diagnosed fault: where, what, and the likely cause in a sentence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LadderFault {
    /// The cell the fault is pinned on (the first, when it spans several), if any.
    pub cell: Option<u32>,
    /// What kind of fault.
    pub kind: FaultKind,
    /// The diagnosis for the operator, with the numbers and what to do (words at the edge).
    pub say: Say,
}

impl LadderFault {
    /// The diagnosis in English, from the built-in wording.
    pub fn english(&self) -> String {
        self.say.english()
    }
}

/// The verdict on one row of the ladder table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowVerdict {
    /// The lead sits where it should and its cell looks right.
    Ok,
    /// This lead or this cell is part of a fault.
    Fault,
    /// No reading yet.
    Pending,
}

/// One row of the ladder table: a cell, its pin and what the meter showed there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LadderRow {
    /// The cell whose plus this pin should carry.
    pub cell: CellIndex,
    /// The pin of cell's plus lead.
    pub pin: PinRef,
    /// The reading from pin 1, if entered.
    pub reading: Option<Volts>,
    /// This reading minus the previous one (pin 1 is 0 V), when both are entered.
    pub step: Option<Volts>,
    /// The row's verdict.
    pub verdict: RowVerdict,
}

/// The ladder diagnosed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LadderReport {
    /// One row per cell.
    pub rows: Vec<LadderRow>,
    /// Wiring faults diagnosed from what was entered (never "not entered yet").
    pub faults: Vec<LadderFault>,
    /// What is still to be measured; these only count when the gate is evaluated.
    pub missing: Vec<LadderFault>,
}

impl LadderReport {
    /// Nothing entered so far shows a fault (partial input may still be `true`).
    pub fn wiring_ok_so_far(&self) -> bool {
        self.faults.is_empty()
    }

    /// Every reading is in and none shows a fault: the gate holds.
    pub fn ok(&self) -> bool {
        self.faults.is_empty() && self.missing.is_empty()
    }

    /// What the gate reports: the faults, then what is missing.
    pub fn gate_faults(&self) -> impl Iterator<Item = &LadderFault> {
        self.faults.iter().chain(self.missing.iter())
    }
}

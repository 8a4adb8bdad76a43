//! What the events fold into: the whole commissioning so far, step by step.

use super::*;

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not reached yet (or to be checked again after going back).
    Pending,
    /// The current step.
    Current,
    /// Left with every gate passing.
    Done,
    /// Left with an override.
    Overridden,
    /// Skipped (an optional step).
    Skipped,
    /// Not applicable: its `when` did not hold.
    NotApplicable,
}

/// Everything recorded for one step.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct StepRecord {
    /// Where it stands.
    pub status: Option<Status>,
    /// First entered.
    pub entered_at: Option<Millis>,
    /// Last entered: live data from before this is no evidence for the step's gates.
    #[serde(default)]
    pub visited_at: Option<Millis>,
    /// Why the operator was sent (back) here, shown until the step is left.
    #[serde(default)]
    pub notice: Option<String>,
    /// Last left.
    pub left_at: Option<Millis>,
    /// Ticked items.
    pub checked: BTreeSet<String>,
    /// Valid fields: what was typed and its value.
    pub fields: BTreeMap<String, (String, Value)>,
    /// Ladder readings by cell (1-based): what was typed and its value.
    pub readings: BTreeMap<u32, (String, Volts)>,
    /// The last refused entry, by field: what was typed and why it was refused.
    pub rejected: BTreeMap<String, (String, Say)>,
    /// App actions done at this step.
    pub actions: Vec<(Millis, AppAction)>,
    /// The gate verdicts of the last attempt to leave.
    pub gates: Vec<GateResult>,
    /// Overrides in force since the step was last entered.
    pub overrides: Vec<Override>,
    /// Every override ever made here (the log keeps them all).
    pub override_history: Vec<(Millis, Override)>,
}

impl StepRecord {
    /// The step's status, `Pending` when never reached.
    pub fn status(&self) -> Status {
        self.status.unwrap_or(Status::Pending)
    }
}

/// The whole commissioning so far: a fold over the events.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct State {
    /// Started (the first event) with this wizard hash, tool version and language.
    pub started: Option<(Millis, String, String, String)>,
    /// Who made the entries, in order: one source, or more when a session was resumed
    /// another way.
    pub entries: Vec<EntrySource>,
    /// The finished session this one is a new attempt after.
    pub previous: Option<String>,
    /// Index of the current step in the spec.
    pub current: usize,
    /// One record per step of the spec, same order.
    pub steps: Vec<StepRecord>,
    /// Facts about the pack from the answers.
    pub pack: PackFacts,
    /// The latest BMS data.
    pub live: LiveData,
    /// The link's last reason for being down.
    pub link_down_reason: Option<String>,
    /// Every unit a link came up with during the session, in order of first appearance: a
    /// session resumed on another source (a real unit, then the simulator) shows both.
    pub peers: Vec<String>,
    /// Who signed off, and when.
    pub signed_off: Option<(Millis, String, String)>,
    /// An amendment in progress (the operator went to a finished step to change it).
    #[serde(default)]
    pub amending: Option<Amending>,
    /// Every way the BMS was reached, in order (`simulator`, `bluetooth ADDR`, `manual`).
    #[serde(default)]
    pub sources: Vec<String>,
    /// The protection test's trace: (when, highest cell, lowest cell).
    #[serde(default)]
    pub test_trace: Vec<(Millis, Volts, Volts)>,
    /// The protection test's cut-offs as they were seen: (when, charge, cell voltage).
    #[serde(default)]
    pub test_cutoffs: Vec<(Millis, bool, Volts)>,
    /// Every amendment made, in order: when, the step, what changed, what was re-checked.
    #[serde(default)]
    pub amendments: Vec<(Millis, String, Vec<Change>, Vec<String>)>,
    /// Everything re-wired, in order: when, at which step, what.
    #[serde(default)]
    pub rewired: Vec<(Millis, String, Rewire)>,
}

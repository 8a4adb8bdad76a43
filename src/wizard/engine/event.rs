//! The engine's vocabulary: what comes in (`Input`, `BmsInput`) and what is journaled
//! (`Event`), with the small records events carry.

use super::*;

/// Something the operator did or the BMS said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "input", rename_all = "snake_case")]
pub enum Input {
    /// Tick or untick a checklist item of the current step.
    Check {
        /// Item id.
        item: String,
        /// Ticked.
        checked: bool,
    },
    /// Type a value into a field of the current step (also the ladder's pack voltage,
    /// last pin and unused pins).
    Field {
        /// Field id.
        field: String,
        /// What was typed.
        text: String,
    },
    /// Type the ladder reading of cell `cell` (1-based).
    Reading {
        /// Cell number, 1-based.
        cell: u32,
        /// What was typed.
        text: String,
    },
    /// The operator did this with their hands or in the phone app.
    App(AppAction),
    /// The BMS link reported this.
    Bms(BmsInput),
    /// Try to leave the current step forwards.
    Next,
    /// Go back one step.
    Back,
    /// Skip an optional step.
    Skip,
    /// Pass a failed, non-safety gate of the current step on someone's responsibility.
    Override {
        /// Gate id.
        gate: String,
        /// Why.
        reason: String,
        /// The overriding person's role (trainer, supervisor, …).
        role: String,
        /// The overriding person's name.
        by: String,
    },
    /// Show the wizard in another language from now on (one of the wizard's `languages`).
    Language {
        /// The language code.
        lang: String,
    },
    /// Sign the commissioning off (the last step).
    SignOff {
        /// Who signs.
        name: String,
        /// Their role.
        role: String,
    },
    /// Where the BMS comes from in this run of a front end: `simulator`, `bluetooth ADDR`,
    /// `replay FILE`, `manual`. Recorded when it differs from the last one.
    Source {
        /// The source, in words.
        source: String,
    },
    /// Go to an earlier, finished step to change an entry, keeping the steps after it: leaving
    /// it again re-checks only the later steps whose gates depend on what changed.
    Amend {
        /// Step id.
        step: String,
    },
    /// The operator re-wired part of the pack: a balance lead re-soldered (at the ladder check,
    /// whose readings from before describe the old wiring and are taken again), a probe
    /// plugged in (at any step).
    Rewire {
        /// What was re-wired.
        what: Rewire,
    },
}

/// What the operator re-wired on the pack. Cells count from 1 at pack minus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "wire", rename_all = "snake_case")]
pub enum Rewire {
    /// The balance lead of cell `cell`'s plus (wire `cell + 1` of the plugs).
    Lead {
        /// The cell.
        cell: u32,
    },
    /// The last pin of the last plug, to pack plus.
    LastPin,
    /// Temperature probe `probe` (1 = the first socket).
    Probe {
        /// The probe socket.
        probe: u32,
    },
}

impl std::fmt::Display for Rewire {
    /// In words, for the log and the CLI (the screen has its own, in every language).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rewire::Lead { cell } => write!(f, "the balance lead of cell {cell}"),
            Rewire::LastPin => write!(f, "the last pin of the last plug"),
            Rewire::Probe { probe } => write!(f, "temperature probe {probe}"),
        }
    }
}

/// What the BMS link reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "bms", rename_all = "snake_case")]
pub enum BmsInput {
    /// Connected.
    Up {
        /// Which unit.
        peer: String,
    },
    /// Disconnected.
    Down {
        /// Why.
        reason: String,
    },
    /// Device info.
    Device(DeviceInfo),
    /// Settings.
    Settings(Settings),
    /// Live cells.
    Cells(CellInfo),
    /// Logbook.
    Logbook(Logbook),
}

/// How a step was left forwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Leave {
    /// Every gate passed.
    Passed,
    /// At least one gate failed and was overridden.
    Overridden,
    /// An optional step skipped.
    Skipped,
    /// The step does not apply (its `when` does not hold).
    NotApplicable,
}

/// One gate's verdict with its id and whether it is safety-critical.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateResult {
    /// Gate id.
    pub gate: String,
    /// Safety-critical.
    pub safety: bool,
    /// The verdict.
    pub verdict: Verdict,
}

/// An override of a failed gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    /// Gate id.
    pub gate: String,
    /// Why.
    pub reason: String,
    /// Role of the person.
    pub role: String,
    /// Name of the person.
    pub by: String,
}

/// Who made a session's entries: the log must not present a script as a person's work.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum EntrySource {
    /// A person at the keys of the interactive wizard.
    #[default]
    Operator,
    /// An answers file (`run --answers`), by its file name and SHA-256.
    AnswersFile {
        /// The file's name.
        file: String,
        /// SHA-256 of its bytes.
        sha256: String,
    },
    /// The built-in simulated trainee of `train --check`, on a scenario.
    SimulatedTrainee {
        /// The scenario's id.
        scenario: String,
    },
}

/// What happened; appended to the journal and folded into [`State`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The commissioning started.
    Started {
        /// When.
        at: Millis,
        /// SHA-256 of the wizard file used.
        wizard_hash: String,
        /// The tool's version.
        tool_version: String,
        /// The language chosen.
        lang: String,
        /// Who makes the entries (journals from before this field: a person at the keys).
        #[serde(default)]
        entries: EntrySource,
        /// The finished session this one is a new attempt after (its folder's name).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        previous: Option<String>,
    },
    /// The operator switched the language the wizard is shown in; the log records the last.
    LanguageChosen {
        /// When.
        at: Millis,
        /// The language code.
        lang: String,
    },
    /// A session was resumed with its entries made another way than before.
    EntriesFrom {
        /// When.
        at: Millis,
        /// Who makes the entries from now on.
        entries: EntrySource,
    },
    /// A step became current.
    StepEntered {
        /// When.
        at: Millis,
        /// Step id.
        step: String,
    },
    /// A checklist item was ticked or unticked.
    Checked {
        /// When.
        at: Millis,
        /// Step id.
        step: String,
        /// Item id.
        item: String,
        /// Ticked.
        checked: bool,
    },
    /// A field got a valid value.
    FieldSet {
        /// When.
        at: Millis,
        /// Step id.
        step: String,
        /// Field id.
        field: String,
        /// What was typed.
        text: String,
        /// The parsed value.
        value: Value,
    },
    /// A ladder reading was entered.
    ReadingSet {
        /// When.
        at: Millis,
        /// Step id.
        step: String,
        /// Cell, 1-based.
        cell: u32,
        /// What was typed.
        text: String,
        /// The parsed value.
        value: Volts,
    },
    /// An entry was emptied by the operator (a field left blank on purpose).
    FieldCleared {
        /// When.
        at: Millis,
        /// Step id.
        step: String,
        /// The field (or `cell N`).
        field: String,
    },
    /// An entry was refused; what the operator had before stays.
    EntryRejected {
        /// When.
        at: Millis,
        /// Step id.
        step: String,
        /// The field (or `cell N`).
        field: String,
        /// What was typed.
        text: String,
        /// Why, naming the accepted form or range: a sentence with its values (a journal from
        /// before refusals had words holds the English sentence; it reads as `entry.as_written`).
        #[serde(deserialize_with = "refusal")]
        error: Say,
    },
    /// The operator did this on the unit or in the app.
    AppAction {
        /// When.
        at: Millis,
        /// Step id.
        step: String,
        /// What.
        action: AppAction,
    },
    /// The link came up.
    LinkUp {
        /// When.
        at: Millis,
        /// Which unit.
        peer: String,
    },
    /// The link went down.
    LinkDown {
        /// When.
        at: Millis,
        /// Why.
        reason: String,
    },
    /// Device info read from the unit.
    Device {
        /// When.
        at: Millis,
        /// The data.
        info: DeviceInfo,
    },
    /// Settings read from the unit.
    Settings {
        /// When.
        at: Millis,
        /// The data.
        settings: Settings,
    },
    /// The unit's logbook.
    Logbook {
        /// When.
        at: Millis,
        /// The data.
        logbook: Logbook,
    },
    /// A live cell frame. Not journaled on its own (one a second); see [`Event::Snapshot`].
    Cells {
        /// When.
        at: Millis,
        /// The data.
        cells: CellInfo,
    },
    /// The cell data a gate decision was based on, journaled with it.
    Snapshot {
        /// When.
        at: Millis,
        /// Step id.
        step: String,
        /// The data.
        cells: CellInfo,
    },
    /// The battery type was chosen (in the app, or seen as a new factory load in the
    /// logbook): the unit reloaded its factory set. Before the settings steps this is simply
    /// recorded; after one of them was passed, the operator is sent back to the first one
    /// it wiped (a [`Event::WentBack`] and [`Event::StepEntered`] follow).
    TypeChosen {
        /// When.
        at: Millis,
        /// The step current when it was seen.
        step: String,
        /// How many battery-type choices are now accounted for.
        choices: usize,
        /// The first settings step this choice wiped, if one was already passed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        wiped: Option<String>,
        /// Why the operator is sent back, for the screen and the log.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A point of the protection test's trace: the highest and lowest cell while the test
    /// runs (journaled, thinned to changes of 5 mV or ten seconds, for the report's plot).
    TestTrace {
        /// When.
        at: Millis,
        /// The highest cell.
        high: Volts,
        /// The lowest cell.
        low: Volts,
    },
    /// The BMS cut off during the protection test.
    CutoffObserved {
        /// When.
        at: Millis,
        /// Charge or discharge.
        charge: bool,
        /// The cell voltage at the cut-off.
        cell_voltage: Volts,
    },
    /// The gates of a step were evaluated on an attempt to leave it.
    Gates {
        /// When.
        at: Millis,
        /// Step id.
        step: String,
        /// Every gate's verdict.
        results: Vec<GateResult>,
    },
    /// A failed gate was overridden.
    Overridden {
        /// When.
        at: Millis,
        /// Step id.
        step: String,
        /// The override.
        #[serde(flatten)]
        over: Override,
    },
    /// The current step was left forwards.
    StepLeft {
        /// When.
        at: Millis,
        /// Step id.
        step: String,
        /// How.
        how: Leave,
    },
    /// The operator went back.
    WentBack {
        /// When.
        at: Millis,
        /// From step id.
        from: String,
        /// To step id.
        to: String,
    },
    /// The commissioning was signed off.
    SignedOff {
        /// When.
        at: Millis,
        /// Who.
        name: String,
        /// Their role.
        role: String,
    },
    /// The BMS is reached another way than before (or for the first time): a session started
    /// on the simulator and resumed on a real unit says so in its journal.
    SourceChosen {
        /// When.
        at: Millis,
        /// The source now (`simulator`, `bluetooth ADDR`, `replay FILE`, `manual`).
        source: String,
        /// The source before, if the session had one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<String>,
    },
    /// The operator went to an earlier, finished step to change it (a [`Event::StepEntered`]
    /// follows); the steps after it keep their verdicts until the amendment is done.
    AmendStarted {
        /// When.
        at: Millis,
        /// The step amended.
        step: String,
        /// The step the operator came from, returned to afterwards.
        back_to: String,
    },
    /// The operator re-wired part of the pack at this step; the step's ladder readings from
    /// before are dropped (they describe the old wiring).
    Rewired {
        /// When.
        at: Millis,
        /// The step current.
        step: String,
        /// What was re-wired.
        what: Rewire,
    },
    /// An amended step was left again with its gates passing: what changed, and which later
    /// steps must be passed again because their gates depend on it (the rest keep theirs).
    Amended {
        /// When.
        at: Millis,
        /// The step amended.
        step: String,
        /// The entries that changed (field ids, `cell N`), old and new as typed.
        changed: Vec<Change>,
        /// The later steps to be passed again, in order.
        recheck: Vec<String>,
        /// Where the operator is sent now: the first step to re-check, else where they were.
        back_to: String,
    },
}

/// One entry changed by an amendment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Field id, or `cell N` for a ladder reading.
    pub entry: String,
    /// As typed before (`None`: was empty).
    pub before: Option<String>,
    /// As typed now (`None`: cleared).
    pub after: Option<String>,
}

/// An amendment in progress.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Amending {
    /// The step being amended.
    pub step: usize,
    /// The step to return to.
    pub back_to: usize,
    /// The pack facts before the amendment, to see which later gates it touches.
    pub pack: PackFacts,
    /// The step's entries before (field id or `cell N` → as typed).
    pub entries: BTreeMap<String, String>,
}

impl Event {
    /// Whether this event goes into the journal. Live cell frames arrive every second and
    /// only matter where a gate used them, which [`Event::Snapshot`] records.
    pub fn journaled(&self) -> bool {
        !matches!(self, Event::Cells { .. })
    }

    /// When it happened.
    pub fn at(&self) -> Millis {
        match self {
            Event::Started { at, .. }
            | Event::LanguageChosen { at, .. }
            | Event::EntriesFrom { at, .. }
            | Event::StepEntered { at, .. }
            | Event::Checked { at, .. }
            | Event::FieldSet { at, .. }
            | Event::ReadingSet { at, .. }
            | Event::EntryRejected { at, .. }
            | Event::FieldCleared { at, .. }
            | Event::AppAction { at, .. }
            | Event::LinkUp { at, .. }
            | Event::LinkDown { at, .. }
            | Event::Device { at, .. }
            | Event::Settings { at, .. }
            | Event::Logbook { at, .. }
            | Event::Cells { at, .. }
            | Event::Snapshot { at, .. }
            | Event::TypeChosen { at, .. }
            | Event::CutoffObserved { at, .. }
            | Event::TestTrace { at, .. }
            | Event::Gates { at, .. }
            | Event::Overridden { at, .. }
            | Event::StepLeft { at, .. }
            | Event::WentBack { at, .. }
            | Event::SignedOff { at, .. }
            | Event::AmendStarted { at, .. }
            | Event::SourceChosen { at, .. }
            | Event::Rewired { at, .. }
            | Event::Amended { at, .. } => *at,
        }
    }
}

/// A refusal as the journal holds it: a sentence with its values, or (journals from before
/// refusals had words) the English sentence, kept as written.
fn refusal<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Say, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Said(Say),
        Written(String),
    }
    Ok(match Stored::deserialize(d)? {
        Stored::Said(say) => say,
        Stored::Written(text) => Say::new("entry.as_written", [("text", Arg::verbatim(text))]),
    })
}

//! What the UI itself remembers: which row has the focus, what is being typed, which overlay is
//! open. Pure data; the engine's [`State`] stays the one truth about the commissioning.

use std::collections::BTreeMap;

use crate::ui::action::Action;
use crate::wizard::checks::Value;
use crate::wizard::engine::{
    Event, State, LADDER_LAST_PIN, LADDER_PACK_VOLTAGE, LADDER_UNUSED_PREFIX,
};
use crate::wizard::spec::{FieldKind, InputSpec, StepSpec, WizardSpec};

/// One focusable row of the current step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    /// A form field, by index into the step's fields.
    Field(usize),
    /// The ladder reading of cell k (1-based).
    Reading(u32),
    /// A ladder field that is not a cell: the pack voltage, the last pin, an unused wire.
    LadderField(String),
    /// A checklist item, by index into the step's items.
    Item(usize),
    /// The signer's name (sign-off step).
    SignName,
    /// The signer's role (sign-off step).
    SignRole,
    /// Skip an optional step.
    Skip,
    /// Leave the step forwards (or sign, on the sign-off step).
    Continue,
}

impl Row {
    /// The key of the row's edit buffer; `None` for rows that take no typing.
    pub fn buffer_key(&self, step: &StepSpec) -> Option<String> {
        match self {
            Row::Field(i) => {
                let f = step.input.fields().get(*i)?;
                (!matches!(f.kind, FieldKind::Choice { .. })).then(|| f.id.clone())
            }
            Row::Reading(k) => Some(format!("cell {k}")),
            Row::LadderField(id) => Some(id.clone()),
            Row::SignName => Some("sign.name".into()),
            Row::SignRole => Some("sign.role".into()),
            Row::Item(_) | Row::Skip | Row::Continue => None,
        }
    }

    /// Whether typing goes into this row.
    pub fn takes_text(&self, step: &StepSpec) -> bool {
        self.buffer_key(step).is_some()
    }
}

/// The rows of step `index`, top to bottom, as the screen shows them.
pub fn rows(spec: &WizardSpec, state: &State, index: usize) -> Vec<Row> {
    let step = &spec.steps[index];
    let mut rows: Vec<Row> = (0..step.input.fields().len()).map(Row::Field).collect();
    match &step.input {
        InputSpec::Ladder { .. } => rows.extend(ladder_rows(spec, state)),
        InputSpec::SignOff { .. } => rows.extend([Row::SignName, Row::SignRole]),
        _ => {}
    }
    // With the confirmations a unit that cannot send some data asks for.
    let items = crate::wizard::engine::step_items(step, &state.live).len();
    rows.extend((0..items).map(Row::Item));
    if step.optional {
        rows.push(Row::Skip);
    }
    rows.push(Row::Continue);
    rows
}

/// The ladder's rows: one per cell, the pack voltage, then — when the pack has fewer cells than
/// the plug has taps — the last pin and the unused wires between.
fn ladder_rows(spec: &WizardSpec, state: &State) -> Vec<Row> {
    let n = state.pack.cells.unwrap_or(0);
    let mut rows: Vec<Row> = (1..=n).map(Row::Reading).collect();
    rows.push(Row::LadderField(LADDER_PACK_VOLTAGE.into()));
    let wires: u32 = state
        .pack
        .model
        .as_deref()
        .and_then(|id| spec.models.iter().find(|m| m.id == id))
        .map_or(0, |m| m.plugs.iter().sum());
    // Wire 1 is pack minus, wire k+1 carries cell k's plus, the last wire is pack plus.
    if n > 0 && wires > n + 1 {
        rows.push(Row::LadderField(LADDER_LAST_PIN.into()));
        rows.extend(
            ((n + 2)..wires).map(|w| Row::LadderField(format!("{LADDER_UNUSED_PREFIX}{w}"))),
        );
    }
    rows
}

/// The first row of the current step that is not done yet: an empty entry, an unticked item,
/// else the button.
pub fn first_open_row(spec: &WizardSpec, state: &State) -> usize {
    let index = state.current.min(spec.steps.len().saturating_sub(1));
    let Some(record) = state.steps.get(index) else {
        return 0;
    };
    let step = &spec.steps[index];
    let items = crate::wizard::engine::step_items(step, &state.live);
    let rows = rows(spec, state, index);
    rows.iter()
        .position(|row| match row {
            Row::Field(_) | Row::Reading(_) | Row::LadderField(_) => {
                committed_text(spec, state, index, row).is_none()
            }
            Row::Item(i) => items
                .get(*i)
                .is_some_and(|it| !record.checked.contains(&it.id)),
            Row::SignName | Row::SignRole | Row::Skip => false,
            Row::Continue => true,
        })
        .unwrap_or(0)
}

/// What was last committed for a row, as typed.
pub fn committed_text(spec: &WizardSpec, state: &State, index: usize, row: &Row) -> Option<String> {
    let step = &spec.steps[index];
    let record = state.steps.get(index)?;
    match row {
        Row::Field(i) => record
            .fields
            .get(&step.input.fields()[*i].id)
            .map(|(t, _)| t.clone()),
        Row::Reading(k) => record.readings.get(k).map(|(t, _)| t.clone()),
        Row::LadderField(id) => record.fields.get(id).map(|(t, _)| t.clone()),
        _ => None,
    }
}

/// The refusal of the last entry in a row, if it was refused: what was typed and why.
pub fn rejection<'s>(
    spec: &WizardSpec,
    state: &'s State,
    index: usize,
    row: &Row,
) -> Option<&'s (String, crate::wizard::words::Say)> {
    let step = &spec.steps[index];
    let record = state.steps.get(index)?;
    let key = match row {
        Row::Field(i) => step.input.fields()[*i].id.clone(),
        Row::Reading(k) => format!("cell {k}"),
        Row::LadderField(id) => id.clone(),
        _ => return None,
    };
    record.rejected.get(&key)
}

/// The option id chosen in a choice field, if any.
pub fn chosen(state: &State, index: usize, field: &str) -> Option<String> {
    match state.steps.get(index)?.fields.get(field) {
        Some((_, Value::Choice(c))) => Some(c.clone()),
        _ => None,
    }
}

/// An overlay over the main screen.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    /// Every key, explained.
    Help,
    /// "Quit now?"
    Quit,
    /// The override form.
    Override(OverrideForm),
    /// The simulated phone app (simulator only).
    Phone,
    /// The simulated multimeter's readings (simulator only).
    Meter,
    /// The list of finished steps to go to and amend; the cursor is a step index.
    Goto(usize),
    /// "I have re-wired it": what the trainee put right (simulator).
    Rewire(RewireForm),
    /// Every reason of the gate, over the body, scrolled to this line (w / ^W): what the gate
    /// pane had to cut is read here.
    Reasons(usize),
}

/// The re-wiring list: the cursor, and a number being typed to jump to a cell's wire.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RewireForm {
    /// The focused choice, index into [`crate::ui::keys::rewire_choices`].
    pub cursor: usize,
    /// Digits typed so far (a cell number).
    pub typed: String,
}

/// The override form: which gate, why, and who takes responsibility.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OverrideForm {
    /// The failed, non-safety gates that may be overridden (ids).
    pub gates: Vec<String>,
    /// The chosen gate, index into `gates`.
    pub gate: usize,
    /// Why.
    pub reason: String,
    /// Role of the person (trainer, supervisor, …).
    pub role: String,
    /// Name of the person.
    pub by: String,
    /// The focused row: 0 gate, 1 reason, 2 role, 3 name, 4 the button.
    pub focus: usize,
}

/// How a notice reads: an error or a plain remark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Something was refused or failed.
    Error,
    /// Information.
    Info,
}

/// A one-line notice at the bottom of the screen, until the next key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Error or info.
    pub tone: Tone,
    /// The sentence.
    pub text: String,
}

/// The UI's own state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UiState {
    /// The step index the focus and buffers belong to.
    pub step: usize,
    /// The focused row of the current step.
    pub focus: usize,
    /// What is being typed, by row buffer key; absent = show what was committed.
    pub buffers: BTreeMap<String, String>,
    /// The option highlighted in each choice field, by field id (index into its options).
    pub highlight: BTreeMap<String, usize>,
    /// The open overlay.
    pub overlay: Option<Overlay>,
    /// The notice at the bottom.
    pub notice: Option<Notice>,
    /// The simulated phone app.
    pub phone: crate::ui::phone::PhoneState,
    /// The session was resumed or started here (shown until the first key).
    pub banner: Option<String>,
    /// The first line of the step pane the operator scrolled to (PgUp/PgDn); `None` follows
    /// the focused row.
    pub scroll: Option<usize>,
    /// The row to focus when the engine next enters a step: an entry picked in the go-to
    /// list (1–9) opens with the focus on it, not on the step's first open row.
    pub focus_next: Option<usize>,
    /// What the last drawing of the step pane showed, so scrolling stops at its ends. Written
    /// by the view (the one place that knows the pane's height), read by the keys.
    pub shown: std::cell::Cell<StepWindow>,
    /// Whether the last drawing of the gate pane had to cut its lines (the footer offers the
    /// key that shows them all). Written by the view.
    pub gate_cut: std::cell::Cell<bool>,
    /// What the last drawing of the reasons overlay showed, so its scrolling stops at the end.
    pub reasons: std::cell::Cell<StepWindow>,
}

/// The part of the step pane's lines the last drawing showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StepWindow {
    /// The first line shown.
    pub offset: usize,
    /// The last first line there is (0 when everything fits).
    pub max: usize,
    /// Lines of text the pane shows at once.
    pub page: usize,
}

impl StepWindow {
    /// Where each step-pane line starts and whether "more ↑" / "more ↓" marks are drawn, for
    /// `total` lines in `h` rows scrolled to `want`: every line can be brought into view.
    pub fn place(total: usize, h: usize, want: usize) -> (StepWindow, bool, bool) {
        if total <= h || h < 3 {
            let max = total.saturating_sub(h);
            let offset = want.min(max);
            return (
                StepWindow {
                    offset,
                    max,
                    page: h,
                },
                false,
                false,
            );
        }
        // At the end only the top mark is drawn, so the last h-1 lines show.
        let max = total - (h - 1);
        let offset = want.min(max);
        let top = offset > 0;
        let bottom = offset < max;
        let page = h - usize::from(top) - usize::from(bottom);
        (StepWindow { offset, max, page }, top, bottom)
    }
}

impl UiState {
    /// A UI state for a session standing at `state.current`.
    pub fn new(state: &State) -> Self {
        UiState {
            step: state.current,
            ..UiState::default()
        }
    }

    /// A UI state for a session opened (or resumed) at `state.current`: the focus on the
    /// first row not yet done, so the operator goes on where they stopped.
    pub fn resumed(spec: &WizardSpec, state: &State) -> Self {
        UiState {
            focus: first_open_row(spec, state),
            ..UiState::new(state)
        }
    }

    /// Scroll the step pane by `by` lines (PgUp/PgDn), stopping at its ends.
    pub fn scroll_by(&mut self, by: isize) {
        let w = self.shown.get();
        let now = self.scroll.unwrap_or(w.offset) as isize;
        self.scroll = Some((now + by).clamp(0, w.max as isize) as usize);
    }

    /// Follow the engine to another step: focus its first row not done yet (on a fresh step
    /// the first row; on sign-off the first confirmation, name and role being prefilled),
    /// forget unsent typing there.
    pub fn sync(&mut self, spec: &WizardSpec, state: &State) {
        if self.step != state.current {
            self.step = state.current;
            self.focus = self
                .focus_next
                .take()
                .unwrap_or_else(|| first_open_row(spec, state));
            self.scroll = None;
            self.buffers.clear();
            self.highlight.clear();
            self.overlay = self
                .overlay
                .take()
                .filter(|o| !matches!(o, Overlay::Override(_)));
        }
    }

    /// After an action was carried out: a typed entry the engine accepted clears its buffer
    /// (and moves the focus on when asked); a refused one stays to be corrected; an accepted
    /// override closes its form; every refusal becomes the notice, in `lang`.
    pub fn after(&mut self, action: &Action, outcome: &Outcome, spec: &WizardSpec, lang: &str) {
        match outcome {
            Err(message) => {
                // Refused (an amendment not allowed): no later step change takes the focus.
                self.focus_next = None;
                self.notice = Some(Notice {
                    tone: Tone::Error,
                    text: message.clone(),
                });
            }
            Ok(events) => {
                let rejected = events.iter().find_map(|e| match e {
                    Event::EntryRejected { error, .. } => Some(error.render(spec, lang)),
                    _ => None,
                });
                match action {
                    Action::Commit { key, advance, .. } if rejected.is_none() => {
                        self.buffers.remove(key);
                        if *advance {
                            self.focus += 1;
                        }
                    }
                    Action::Input(crate::wizard::engine::Input::Override { .. }) => {
                        if matches!(self.overlay, Some(Overlay::Override(_))) {
                            self.overlay = None;
                        }
                    }
                    _ => {}
                }
                if let Some(error) = rejected {
                    self.notice = Some(Notice {
                        tone: Tone::Error,
                        text: error,
                    });
                }
            }
        }
    }
}

/// What came of one action: the engine's events, or why it was refused (a sentence).
pub type Outcome = Result<Vec<Event>, String>;

/// What a sign-off row shows before anything is typed: the operator's name or role as given
/// in the setup form (field ids `operator` and `role`).
pub fn sign_default(spec: &WizardSpec, state: &State, row: &Row) -> String {
    let id = match row {
        Row::SignName => crate::wizard::spec::PackField::Operator.id(),
        Row::SignRole => crate::wizard::spec::PackField::Role.id(),
        _ => return String::new(),
    };
    spec.steps
        .iter()
        .zip(&state.steps)
        .find_map(|(s, r)| {
            s.input
                .fields()
                .iter()
                .any(|f| f.id == id)
                .then(|| r.fields.get(id).map(|(t, _)| t.clone()))
                .flatten()
        })
        .unwrap_or_default()
}

/// The text a row shows: what is being typed, else what was committed (or the sign-off
/// default).
pub fn shown_text(
    ui: &UiState,
    spec: &WizardSpec,
    state: &State,
    index: usize,
    row: &Row,
) -> String {
    let step = &spec.steps[index];
    if let Some(key) = row.buffer_key(step) {
        if let Some(b) = ui.buffers.get(&key) {
            return b.clone();
        }
    }
    match row {
        Row::SignName | Row::SignRole => sign_default(spec, state, row),
        _ => committed_text(spec, state, index, row).unwrap_or_default(),
    }
}

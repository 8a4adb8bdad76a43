//! Keys → actions: the pure core of the event loop.
//!
//! [`handle_key`] changes only the UI's own state (focus, typing, overlays) and returns what the
//! loop must do: feed inputs to the engine through the session, act on the simulated unit, quit.
//! Whether an entry is valid or a step may be left is never decided here.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::bms::model::Chemistry;
use crate::ui::action::{Action, Ctx};
use crate::ui::phone::{self, PhoneRow, ROWS};
use crate::ui::state::{
    chosen, committed_text, rows, shown_text, Notice, Overlay, OverrideForm, RewireForm, Row, Tone,
    UiState,
};
use crate::wizard::engine::{Input, Rewire, State};
use crate::wizard::spec::{FieldKind, InputSpec, Section};

/// Every key the wizard knows, for the help overlay and the README: (keys, the key of what
/// they do in wizard.yaml's `ui:` section).
/// One rule: inside an entry every character types; commands there are the Ctrl or F keys.
pub const KEYS: &[(&str, &str)] = &[
    ("↑ ↓  Tab  Shift-Tab", "ui.help.k.rows"),
    ("Home  End", "ui.help.k.home"),
    ("PgUp PgDn", "ui.help.k.page"),
    ("Enter  Space", "ui.help.k.enter"),
    ("← →", "ui.help.k.choice"),
    ("0-9 , . a-z …", "ui.help.k.type"),
    ("Backspace", "ui.help.k.backspace"),
    ("Esc", "ui.help.k.esc"),
    ("g  ^G", "ui.help.k.goto"),
    // The simulator's two hands on the pack share a row: find a wiring fault, put it right.
    ("v ^V  r ^R", "ui.help.k.meter"),
    ("a  ^A", "ui.help.k.phone"),
    ("o  ^O", "ui.help.k.override"),
    ("s  ^S", "ui.help.k.skip"),
    ("?  F1", "ui.help.k.help"),
    ("F2", "ui.help.k.language"),
    ("q  ^Q  ^C", "ui.help.k.quit"),
];

/// The commands a key can give, whatever row has the focus (letters only off entries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Help,
    Quit,
    Phone,
    Override,
    Skip,
    Goto,
    Meter,
    Rewire,
    Reasons,
}

/// The command a key gives on a row that takes typing (`edit`) or not: letters act only off
/// entries, their Ctrl forms and F1 everywhere.
fn command(key: &KeyEvent, edit: bool) -> Option<Command> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let letter = |c: char| -> Option<Command> {
        Some(match c.to_ascii_lowercase() {
            '?' => Command::Help,
            'q' => Command::Quit,
            'a' => Command::Phone,
            'o' => Command::Override,
            's' => Command::Skip,
            'g' => Command::Goto,
            'v' => Command::Meter,
            'r' => Command::Rewire,
            // Not in KEYS (the help has no row to spare at 80×24): the cut gate and the
            // footer name it whenever the gate pane cannot hold every reason. `w`: why.
            'w' => Command::Reasons,
            _ => return None,
        })
    };
    match key.code {
        KeyCode::F(1) => Some(Command::Help),
        KeyCode::Char(c) if ctrl && c != '?' => letter(c),
        KeyCode::Char(c) if !edit && !ctrl => letter(c),
        _ => None,
    }
}

/// The footer's keys that act now, in the form they take on the focused row: (the key, the
/// key of its word in wizard.yaml's `ui:` section, if it has one).
/// `amend_entry`: the focused row is an entry of a step being amended, where Enter saves it
/// and goes back; `rewire`: the ladder check on the simulator, where a wiring fault is found
/// and a lead re-wired (`r` for a probe elsewhere is in the help, not the footer).
pub fn footer_keys(
    edit: bool,
    amend_entry: bool,
    optional: bool,
    can_override: bool,
    sim: bool,
    rewire: bool,
) -> Vec<(&'static str, Option<&'static str>)> {
    let k = |letter: &'static str, ctrl: &'static str| if edit { ctrl } else { letter };
    let enter = if amend_entry {
        "ui.footer.save_back"
    } else if edit {
        "ui.footer.save"
    } else {
        "ui.footer.ok"
    };
    let mut keys = vec![
        ("Enter", Some(enter)),
        ("↑↓", None),
        ("Esc", Some("ui.footer.back")),
    ];
    if optional {
        keys.push((k("s", "^S"), Some("ui.footer.skip")));
    }
    if can_override {
        keys.push((k("o", "^O"), Some("ui.footer.override")));
    }
    if sim {
        keys.push((k("a", "^A"), Some("ui.footer.app")));
        keys.push((k("v", "^V"), Some("ui.footer.meter")));
    }
    if sim && rewire {
        keys.push((k("r", "^R"), Some("ui.footer.rewire")));
    }
    keys.push((k("g", "^G"), Some("ui.footer.amend")));
    keys.push((k("?", "F1"), Some("ui.footer.help")));
    keys
}

/// The screen's words for `key` in the language the screen is shown in.
fn say(ctx: &Ctx<'_>, key: &str) -> String {
    crate::ui::text::say(ctx.spec, ctx.lang, key)
}

/// Handle one key.
pub fn handle_key(ui: &mut UiState, ctx: &Ctx<'_>, key: KeyEvent) -> Vec<Action> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    let said = ui.notice.take();
    ui.banner = None;
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        return vec![Action::Quit];
    }
    // The language changes over whatever is open: nothing typed, ticked or chosen is touched.
    if key.code == KeyCode::F(2) {
        ui.notice = said;
        return vec![Action::NextLanguage];
    }
    match ui.overlay.take() {
        Some(Overlay::Help) => {
            // Any key closes the help; it is only ever a look.
            Vec::new()
        }
        Some(Overlay::Quit) => match key.code {
            KeyCode::Char('y' | 'Y' | 'q') | KeyCode::Enter => vec![Action::Quit],
            _ => Vec::new(),
        },
        Some(Overlay::Override(form)) => override_key(ui, ctx, form, key),
        Some(Overlay::Meter) => meter_key(ui, ctx, key),
        Some(Overlay::Goto(cursor)) => goto_key(ui, ctx, cursor, key),
        Some(Overlay::Rewire(form)) => rewire_key(ui, ctx, form, key),
        Some(Overlay::Reasons(offset)) => {
            reasons_key(ui, offset, key);
            Vec::new()
        }
        Some(Overlay::Phone) => {
            ui.overlay = Some(Overlay::Phone);
            let actions = phone_key(ui, ctx, key);
            // Closing the app keeps what it last said in view, next to the gates it moved.
            if ui.overlay.is_none() && ui.notice.is_none() {
                ui.notice = said;
            }
            actions
        }
        None => main_key(ui, ctx, key),
    }
}

fn main_key(ui: &mut UiState, ctx: &Ctx<'_>, key: KeyEvent) -> Vec<Action> {
    let spec = ctx.spec;
    let state = ctx.state;
    ui.sync(ctx.spec, state);
    let index = state.current.min(spec.steps.len().saturating_sub(1));
    let step = &spec.steps[index];
    let rows = rows(spec, state, index);
    ui.focus = ui.focus.min(rows.len().saturating_sub(1));
    let row = rows[ui.focus].clone();
    let edit = row.takes_text(step);
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let mut out = Vec::new();
    if let Some(cmd) = command(&key, edit) {
        match cmd {
            Command::Help => ui.overlay = Some(Overlay::Help),
            Command::Quit => ui.overlay = Some(Overlay::Quit),
            Command::Phone if ctx.sim => ui.overlay = Some(Overlay::Phone),
            Command::Meter if ctx.sim => ui.overlay = Some(Overlay::Meter),
            Command::Rewire if ctx.sim && !rewire_choices(spec, state).is_empty() => {
                commit_first(ui, ctx, &row, &mut out);
                ui.overlay = Some(Overlay::Rewire(RewireForm::default()));
            }
            Command::Rewire if ctx.sim => {
                ui.notice = Some(Notice {
                    tone: Tone::Error,
                    text: say(ctx, "ui.notice.rewire_here"),
                })
            }
            Command::Phone | Command::Meter | Command::Rewire => {
                ui.notice = Some(Notice {
                    tone: Tone::Error,
                    text: say(ctx, "ui.notice.sim_only"),
                })
            }
            Command::Override => ui.overlay = Some(Overlay::Override(override_form(ctx))),
            Command::Reasons => ui.overlay = Some(Overlay::Reasons(0)),
            Command::Skip if step.optional => {
                commit_first(ui, ctx, &row, &mut out);
                out.push(Action::Input(Input::Skip));
            }
            Command::Skip => {
                ui.notice = Some(Notice {
                    tone: Tone::Error,
                    text: say(ctx, "ui.notice.not_optional"),
                })
            }
            Command::Goto => {
                commit_first(ui, ctx, &row, &mut out);
                ui.overlay = Some(Overlay::Goto(goto_start(ctx)));
            }
        }
        return out;
    }
    match key.code {
        KeyCode::Up | KeyCode::BackTab => move_focus(ui, ctx, &rows, -1, &mut out),
        KeyCode::Down | KeyCode::Tab => move_focus(ui, ctx, &rows, 1, &mut out),
        KeyCode::Home => move_focus(ui, ctx, &rows, -(rows.len() as isize), &mut out),
        KeyCode::End => move_focus(ui, ctx, &rows, rows.len() as isize, &mut out),
        KeyCode::PageUp => ui.scroll_by(-(ui.shown.get().page.max(2) as isize - 1)),
        KeyCode::PageDown => ui.scroll_by(ui.shown.get().page.max(2) as isize - 1),
        KeyCode::Left | KeyCode::Right => {
            if let Row::Field(i) = row {
                let field = &step.input.fields()[i];
                if let FieldKind::Choice { options } = &field.kind {
                    let n = options.len().max(1);
                    let now = highlighted(ui, state, index, &field.id, options);
                    let next = if key.code == KeyCode::Left {
                        now + n - 1
                    } else {
                        now + 1
                    } % n;
                    ui.highlight.insert(field.id.clone(), next);
                }
            }
        }
        KeyCode::Enter => enter(ui, ctx, index, &rows, &row, &mut out),
        KeyCode::Char(' ') if !edit => {
            if matches!(row, Row::Item(_) | Row::Field(_)) {
                enter(ui, ctx, index, &rows, &row, &mut out);
            }
        }
        KeyCode::Esc => {
            let key = row.buffer_key(step);
            if let Some(k) = key.filter(|k| ui.buffers.contains_key(k)) {
                ui.buffers.remove(&k);
            } else {
                out.push(Action::Input(Input::Back));
            }
        }
        KeyCode::Backspace => match row.buffer_key(step) {
            Some(k) => {
                let buffer = ui.buffers.entry(k).or_insert_with(|| {
                    committed_text(spec, state, index, &row).unwrap_or_default()
                });
                buffer.pop();
            }
            None => out.push(Action::Input(Input::Back)),
        },
        KeyCode::Char(c) if edit && !ctrl => {
            let k = row.buffer_key(step).expect("edit rows have a buffer");
            // The first character typed on a row replaces what was there, as in a spreadsheet.
            ui.buffers.entry(k).or_default().push(c);
        }
        _ => {}
    }
    out
}

/// The reasons overlay: ↑↓ PgUp PgDn Home End scroll it (stopping at its ends), any other key
/// closes it.
fn reasons_key(ui: &mut UiState, offset: usize, key: KeyEvent) {
    let w = ui.reasons.get();
    let page = w.page.max(2) - 1;
    let to = match key.code {
        KeyCode::Up => offset.saturating_sub(1),
        KeyCode::Down => offset + 1,
        KeyCode::PageUp => offset.saturating_sub(page),
        KeyCode::PageDown => offset + page,
        KeyCode::Home => 0,
        KeyCode::End => w.max,
        _ => return,
    };
    ui.overlay = Some(Overlay::Reasons(to.min(w.max)));
}

/// What the simulated meter reads for an entry row, if it measures that entry: the ladder's
/// taps, the pack and the last pin, an unused wire (connected to nothing: 0 V), and the
/// fields of wiring 1 and 12 by their ids.
pub fn meter_value(ctx: &Ctx<'_>, row: &Row) -> Option<crate::units::Volts> {
    use crate::units::Volts;
    use crate::wizard::engine::{LADDER_LAST_PIN, LADDER_PACK_VOLTAGE, LADDER_UNUSED_PREFIX};
    let m = ctx.meter?;
    let step = &ctx.spec.steps[ctx.state.current.min(ctx.spec.steps.len() - 1)];
    match row {
        Row::Reading(k) => m.taps.get(*k as usize - 1).copied(),
        Row::LadderField(id) if id == LADDER_PACK_VOLTAGE => Some(m.pack),
        Row::LadderField(id) if id == LADDER_LAST_PIN => Some(m.last_pin),
        Row::LadderField(id) if id.starts_with(LADDER_UNUSED_PREFIX) => Some(Volts(0.0)),
        Row::Field(i) => match step.input.fields().get(*i)?.id.as_str() {
            "lowest_cell" => Some(m.lowest_cell),
            "highest_cell" => Some(m.highest_cell),
            "output_voltage" => Some(m.output),
            _ => None,
        },
        _ => None,
    }
}

/// A key while the simulated meter is open: Enter takes its reading for the focused entry
/// (as the operator would type it off the display) and moves on; the meter closes by itself
/// on a row it does not measure. Any other key closes it.
fn meter_key(ui: &mut UiState, ctx: &Ctx<'_>, key: KeyEvent) -> Vec<Action> {
    if key.code != KeyCode::Enter {
        return Vec::new();
    }
    let index = ctx.state.current.min(ctx.spec.steps.len() - 1);
    let step = &ctx.spec.steps[index];
    let rows = rows(ctx.spec, ctx.state, index);
    let Some(row) = rows.get(ui.focus).cloned() else {
        return Vec::new();
    };
    let (Some(v), Some(buffer)) = (meter_value(ctx, &row), row.buffer_key(step)) else {
        return Vec::new();
    };
    ui.buffers.insert(buffer, crate::train::meter::shown(v));
    let action = commit(ui, ctx, index, &row, true);
    // Stay open while the next row is one the meter reads too.
    let next = rows.get(ui.focus + 1);
    if next.is_some_and(|r| meter_value(ctx, r).is_some()) {
        ui.overlay = Some(Overlay::Meter);
    }
    action.into_iter().collect()
}

/// The steps that may be amended from here: earlier, finished, applying.
pub fn amendable(ctx: &Ctx<'_>) -> Vec<usize> {
    amendable_in(ctx.state)
}

/// The steps of `state` that may be amended: none while one is being amended or once the
/// session is signed off; else every earlier finished step. The go-to list shows these.
pub fn amendable_in(state: &crate::wizard::engine::State) -> Vec<usize> {
    use crate::wizard::engine::Status;
    if state.amending.is_some() || state.signed_off.is_some() {
        return Vec::new();
    }
    (0..state.current.min(state.steps.len()))
        .filter(|&i| {
            matches!(
                state.steps[i].status(),
                Status::Done | Status::Overridden | Status::Skipped
            )
        })
        .collect()
}

/// Where the go-to list opens: on the first step that may be amended (the pack form, where
/// most slips are).
fn goto_start(ctx: &Ctx<'_>) -> usize {
    amendable(ctx).first().copied().unwrap_or(ctx.state.current)
}

/// The entries of step `index` the go-to list offers under its cursor, numbered 1–9 there:
/// each entry's row index in the step, and the row. A typo is then two keys away (`g`, its
/// number), and the list shows what was typed, so the slip is seen where it is picked.
pub fn goto_entries(
    spec: &crate::wizard::spec::WizardSpec,
    state: &State,
    index: usize,
) -> Vec<(usize, Row)> {
    rows(spec, state, index)
        .into_iter()
        .enumerate()
        .filter(|(_, r)| is_entry(r))
        .take(9)
        .collect()
}

/// A key in the go-to list: move among the steps that may be amended, Enter goes there (to its
/// first row not done), a digit 1–9 goes straight to that entry of the step under the cursor.
fn goto_key(ui: &mut UiState, ctx: &Ctx<'_>, cursor: usize, key: KeyEvent) -> Vec<Action> {
    let list = amendable(ctx);
    let at = list.iter().position(|&i| i == cursor).unwrap_or(0);
    let to = |k: usize| list.get(k).copied().unwrap_or(cursor);
    let next = match key.code {
        KeyCode::Char(d @ '1'..='9') if list.contains(&cursor) => {
            let n = d as usize - '1' as usize;
            let Some((row, _)) = goto_entries(ctx.spec, ctx.state, cursor).get(n).cloned() else {
                ui.overlay = Some(Overlay::Goto(cursor));
                return Vec::new();
            };
            ui.focus_next = Some(row);
            return vec![Action::Input(Input::Amend {
                step: ctx.spec.steps[cursor].id.clone(),
            })];
        }
        KeyCode::Esc | KeyCode::Char('g') => return Vec::new(),
        KeyCode::Char('q') if key.modifiers.contains(KeyModifiers::CONTROL) => {
            ui.overlay = Some(Overlay::Quit);
            return Vec::new();
        }
        KeyCode::Up | KeyCode::BackTab => to(at.saturating_sub(1)),
        KeyCode::Down | KeyCode::Tab => to((at + 1).min(list.len().saturating_sub(1))),
        KeyCode::Home | KeyCode::PageUp => to(0),
        KeyCode::End | KeyCode::PageDown => to(list.len().saturating_sub(1)),
        KeyCode::Enter if !list.is_empty() => {
            return vec![Action::Input(Input::Amend {
                step: ctx.spec.steps[to(at)].id.clone(),
            })];
        }
        _ => cursor,
    };
    ui.overlay = Some(Overlay::Goto(next));
    Vec::new()
}

/// What a trainee can say they re-wired at the current step: at the ladder check the wire
/// from each cell and the last pin of the last plug (when the pack has fewer cells than the
/// unit takes), where they are measured again; at any step before sign-off each temperature
/// probe of the chosen model.
pub fn rewire_choices(spec: &crate::wizard::spec::WizardSpec, state: &State) -> Vec<Rewire> {
    let Some(step) = spec.steps.get(state.current) else {
        return Vec::new();
    };
    if state.signed_off.is_some() || step.section == Section::Signoff {
        return Vec::new();
    }
    let ladder = matches!(step.input, InputSpec::Ladder { .. });
    let cells = if ladder {
        state.pack.cells.unwrap_or(0)
    } else {
        0
    };
    let model = state
        .pack
        .model
        .as_deref()
        .and_then(|id| spec.models.iter().find(|m| m.id == id));
    let wires: u32 = model.map_or(0, |m| m.plugs.iter().sum());
    let mut out: Vec<Rewire> = (1..=cells).map(|cell| Rewire::Lead { cell }).collect();
    if cells > 0 && wires > cells + 1 {
        out.push(Rewire::LastPin);
    }
    out.extend((1..=model.map_or(0, |m| m.probes)).map(|probe| Rewire::Probe { probe }));
    out
}

/// The screen's words for a re-wiring, in the session's language.
pub fn rewire_words(spec: &crate::wizard::spec::WizardSpec, lang: &str, what: &Rewire) -> String {
    use crate::ui::text::say_with;
    match what {
        Rewire::Lead { cell } => {
            say_with(spec, lang, "ui.rewire.lead", &[("cell", &cell.to_string())])
        }
        Rewire::LastPin => crate::ui::text::say(spec, lang, "ui.rewire.last_pin"),
        Rewire::Probe { probe } => say_with(
            spec,
            lang,
            "ui.rewire.probe",
            &[("probe", &probe.to_string())],
        ),
    }
}

/// A key in the re-wiring list: ↑↓ (or a cell's number) choose, Enter records the re-wiring
/// as an engine input, Esc (or `r`) closes it with nothing recorded.
fn rewire_key(ui: &mut UiState, ctx: &Ctx<'_>, mut form: RewireForm, key: KeyEvent) -> Vec<Action> {
    let choices = rewire_choices(ctx.spec, ctx.state);
    let last = choices.len().saturating_sub(1);
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Esc | KeyCode::Char('r') => return Vec::new(),
        KeyCode::Char('q') if ctrl => {
            ui.overlay = Some(Overlay::Quit);
            return Vec::new();
        }
        KeyCode::Up | KeyCode::BackTab => form.cursor = form.cursor.saturating_sub(1),
        KeyCode::Down | KeyCode::Tab => form.cursor = (form.cursor + 1).min(last),
        KeyCode::Home | KeyCode::PageUp => form.cursor = 0,
        KeyCode::End | KeyCode::PageDown => form.cursor = last,
        KeyCode::Char(d) if d.is_ascii_digit() => {
            // Digits name a cell: "1" then "2" goes to the wire from cell 12; a number the
            // pack has no wire for starts again from this digit.
            let lead = |typed: &str| {
                let cell: u32 = typed.parse().unwrap_or(0);
                choices.iter().position(|c| *c == Rewire::Lead { cell })
            };
            form.typed.push(d);
            if lead(&form.typed).is_none() {
                form.typed = d.to_string();
            }
            if let Some(at) = lead(&form.typed) {
                form.cursor = at;
            }
            ui.overlay = Some(Overlay::Rewire(form));
            return Vec::new();
        }
        KeyCode::Enter => {
            let Some(what) = choices.get(form.cursor).copied() else {
                return Vec::new();
            };
            let lang = ctx.lang;
            ui.notice = Some(Notice {
                tone: Tone::Info,
                text: crate::ui::text::say_with(
                    ctx.spec,
                    lang,
                    "ui.notice.rewired",
                    &[("what", &rewire_words(ctx.spec, lang, &what))],
                ),
            });
            return vec![Action::Input(Input::Rewire { what })];
        }
        _ => {}
    }
    form.typed.clear();
    ui.overlay = Some(Overlay::Rewire(form));
    Vec::new()
}

/// Send what was typed on the focused row before a command takes the operator elsewhere.
fn commit_first(ui: &UiState, ctx: &Ctx<'_>, row: &Row, out: &mut Vec<Action>) {
    if let Some(action) = commit(ui, ctx, ctx.state.current, row, false) {
        out.push(action);
    }
}

/// The option shown in a choice field: the highlighted one, else the chosen one, else the first.
pub fn highlighted(
    ui: &UiState,
    state: &State,
    index: usize,
    field: &str,
    options: &[crate::wizard::spec::ChoiceSpec],
) -> usize {
    ui.highlight.get(field).copied().unwrap_or_else(|| {
        chosen(state, index, field)
            .and_then(|c| options.iter().position(|o| o.id == c))
            .unwrap_or(0)
    })
}

/// Move the focus; typing left behind on the row is sent first, so nothing typed is lost.
fn move_focus(ui: &mut UiState, ctx: &Ctx<'_>, rows: &[Row], by: isize, out: &mut Vec<Action>) {
    let index = ctx.state.current;
    if let Some(action) = commit(ui, ctx, index, &rows[ui.focus], false) {
        out.push(action);
    }
    let last = rows.len().saturating_sub(1) as isize;
    ui.focus = (ui.focus as isize + by).clamp(0, last) as usize;
    // The focused row is brought into view again.
    ui.scroll = None;
}

/// The commit of a row's buffer, if something was typed there.
fn commit(ui: &UiState, ctx: &Ctx<'_>, index: usize, row: &Row, advance: bool) -> Option<Action> {
    let step = &ctx.spec.steps[index];
    let key = row.buffer_key(step)?;
    let text = ui.buffers.get(&key)?.clone();
    let input = match row {
        Row::Field(i) => Input::Field {
            field: step.input.fields()[*i].id.clone(),
            text,
        },
        Row::Reading(cell) => Input::Reading { cell: *cell, text },
        Row::LadderField(id) => Input::Field {
            field: id.clone(),
            text,
        },
        // The signer's name and role are sent with the sign-off itself.
        _ => return None,
    };
    Some(Action::Commit {
        input,
        key,
        advance,
        leave: false,
    })
}

/// Whether the current step is one being amended (gone to from the go-to list).
pub fn amending_here(state: &State) -> bool {
    state
        .amending
        .as_ref()
        .is_some_and(|a| a.step == state.current)
}

/// Whether a row is an entry (a field, a reading), the rows an amendment changes.
pub fn is_entry(row: &Row) -> bool {
    matches!(row, Row::Field(_) | Row::Reading(_) | Row::LadderField(_))
}

/// Enter on an entry of an amended step: save it (when something was typed or chosen anew)
/// and go back where the operator came from, in one key. ↓ and Tab save and move on, for
/// a second entry.
fn enter_amended(ui: &UiState, ctx: &Ctx<'_>, index: usize, row: &Row) -> Vec<Action> {
    let step = &ctx.spec.steps[index];
    let leave = Action::Input(Input::Next);
    let save = match row {
        Row::Field(i) => match &step.input.fields()[*i].kind {
            FieldKind::Choice { options } => {
                let field = &step.input.fields()[*i];
                let h = highlighted(ui, ctx.state, index, &field.id, options);
                let was = chosen(ctx.state, index, &field.id);
                options
                    .get(h)
                    .filter(|o| was.as_deref() != Some(o.id.as_str()))
                    .map(|o| Action::Commit {
                        input: Input::Field {
                            field: field.id.clone(),
                            text: o.id.clone(),
                        },
                        key: field.id.clone(),
                        advance: false,
                        leave: false,
                    })
            }
            _ => commit(ui, ctx, index, row, false),
        },
        _ => commit(ui, ctx, index, row, false),
    };
    match save {
        Some(Action::Commit {
            input,
            key,
            advance,
            ..
        }) => vec![Action::Commit {
            input,
            key,
            advance,
            leave: true,
        }],
        _ => vec![leave],
    }
}

fn enter(
    ui: &mut UiState,
    ctx: &Ctx<'_>,
    index: usize,
    rows: &[Row],
    row: &Row,
    out: &mut Vec<Action>,
) {
    let step = &ctx.spec.steps[index];
    let record = &ctx.state.steps[index];
    let last = rows.len().saturating_sub(1);
    if amending_here(ctx.state) && is_entry(row) {
        out.extend(enter_amended(ui, ctx, index, row));
        return;
    }
    match row {
        Row::Field(i) if matches!(step.input.fields()[*i].kind, FieldKind::Choice { .. }) => {
            let field = &step.input.fields()[*i];
            let FieldKind::Choice { options } = &field.kind else {
                unreachable!()
            };
            let h = highlighted(ui, ctx.state, index, &field.id, options);
            if let Some(option) = options.get(h) {
                out.push(Action::Commit {
                    input: Input::Field {
                        field: field.id.clone(),
                        text: option.id.clone(),
                    },
                    key: field.id.clone(),
                    advance: true,
                    leave: false,
                });
            }
        }
        Row::Item(i) => {
            let items = crate::wizard::engine::step_items(step, &ctx.state.live);
            let Some(item) = items.get(*i) else { return };
            let checked = !record.checked.contains(&item.id);
            out.push(Action::Input(Input::Check {
                item: item.id.clone(),
                checked,
            }));
            if checked {
                ui.focus = (ui.focus + 1).min(last);
                let all = items
                    .iter()
                    .all(|it| it.id == item.id || record.checked.contains(&it.id));
                if all {
                    // The operator confirmed the step: on the simulator, their hands act now.
                    out.extend(sim_actions(ctx, index));
                }
            }
        }
        Row::Skip => out.push(Action::Input(Input::Skip)),
        Row::Continue => {
            if matches!(step.input, InputSpec::SignOff { .. }) {
                let name = shown_text(ui, ctx.spec, ctx.state, index, &Row::SignName);
                let role = shown_text(ui, ctx.spec, ctx.state, index, &Row::SignRole);
                out.push(Action::Input(Input::SignOff { name, role }));
            } else {
                out.extend(sim_actions(ctx, index));
                out.push(Action::Input(Input::Next));
            }
        }
        Row::SignName | Row::SignRole => ui.focus = (ui.focus + 1).min(last),
        _ => match commit(ui, ctx, index, row, true) {
            Some(action) => out.push(action),
            None => ui.focus = (ui.focus + 1).min(last),
        },
    }
}

/// The step's simulated hand actions (plug in, activate) not yet done at this step.
fn sim_actions(ctx: &Ctx<'_>, index: usize) -> Vec<Action> {
    if !ctx.sim {
        return Vec::new();
    }
    let done = &ctx.state.steps[index].actions;
    ctx.spec.steps[index]
        .sim_actions
        .iter()
        .filter(|a| !done.iter().any(|(_, d)| d == *a))
        .map(|a| Action::Sim(a.clone()))
        .collect()
}

/// The override form for the current step: its failed gates that are not safety-critical.
fn override_form(ctx: &Ctx<'_>) -> OverrideForm {
    OverrideForm {
        gates: ctx
            .gates
            .iter()
            .filter(|g| !g.verdict.ok && !g.safety)
            .map(|g| g.gate.clone())
            .collect(),
        ..OverrideForm::default()
    }
}

fn form_text(f: &mut OverrideForm) -> Option<&mut String> {
    match f.focus {
        1 => Some(&mut f.reason),
        2 => Some(&mut f.role),
        3 => Some(&mut f.by),
        _ => None,
    }
}

fn override_key(
    ui: &mut UiState,
    _ctx: &Ctx<'_>,
    mut form: OverrideForm,
    key: KeyEvent,
) -> Vec<Action> {
    let mut out = Vec::new();
    match key.code {
        KeyCode::Esc => return out,
        KeyCode::Up | KeyCode::BackTab => form.focus = form.focus.saturating_sub(1),
        KeyCode::Down | KeyCode::Tab => form.focus = (form.focus + 1).min(4),
        KeyCode::Left if form.focus == 0 && !form.gates.is_empty() => {
            form.gate = (form.gate + form.gates.len() - 1) % form.gates.len()
        }
        KeyCode::Right if form.focus == 0 && !form.gates.is_empty() => {
            form.gate = (form.gate + 1) % form.gates.len()
        }
        KeyCode::Enter if form.focus == 4 => {
            if let Some(gate) = form.gates.get(form.gate) {
                out.push(Action::Input(Input::Override {
                    gate: gate.clone(),
                    reason: form.reason.clone(),
                    role: form.role.clone(),
                    by: form.by.clone(),
                }));
            }
        }
        KeyCode::Enter => form.focus += 1,
        KeyCode::Backspace => {
            if let Some(t) = form_text(&mut form) {
                t.pop();
            }
        }
        KeyCode::Char(c) => {
            if let Some(t) = form_text(&mut form) {
                t.push(c);
            }
        }
        _ => {}
    }
    ui.overlay = Some(Overlay::Override(form));
    out
}

/// A key while the phone panel is open.
fn phone_key(ui: &mut UiState, ctx: &Ctx<'_>, key: KeyEvent) -> Vec<Action> {
    let phone = &mut ui.phone;
    let row = ROWS[phone.focus.min(ROWS.len() - 1)];
    let i = phone.focus;
    match key.code {
        // One rule as on the main screen: letters type on a row that takes a value.
        KeyCode::Char('a') if key.modifiers.contains(KeyModifiers::CONTROL) => ui.overlay = None,
        KeyCode::Esc | KeyCode::Char('a')
            if !phone.buffers.contains_key(&i) && !row.takes_text() =>
        {
            ui.overlay = None;
        }
        KeyCode::Esc if !phone.buffers.contains_key(&i) => ui.overlay = None,
        KeyCode::Esc => {
            phone.buffers.remove(&i);
        }
        KeyCode::Up | KeyCode::BackTab => phone.focus = phone.focus.saturating_sub(1),
        KeyCode::Down | KeyCode::Tab => phone.focus = (phone.focus + 1).min(ROWS.len() - 1),
        KeyCode::Left | KeyCode::Right if row == PhoneRow::BatteryType => {
            let n = Chemistry::ALL.len();
            let now = phone.chemistry.unwrap_or_else(|| {
                let c = ctx.state.pack.chemistry.unwrap_or(Chemistry::LiFePo4);
                Chemistry::ALL.iter().position(|x| *x == c).unwrap_or(0)
            });
            phone.chemistry = Some(
                if key.code == KeyCode::Left {
                    now + n - 1
                } else {
                    now + 1
                } % n,
            );
        }
        KeyCode::Enter | KeyCode::Char(' ') if !row.takes_text() || key.code == KeyCode::Enter => {
            match phone::action(phone, ctx.state, i) {
                Ok(a) => {
                    phone.buffers.remove(&i);
                    // Done with this row: on to the next, as Enter does on the main screen.
                    phone.focus = (phone.focus + 1).min(ROWS.len() - 1);
                    return vec![Action::Sim(a)];
                }
                Err(e) => {
                    ui.notice = Some(Notice {
                        tone: Tone::Error,
                        text: e.render(ctx.spec, ctx.lang),
                    })
                }
            }
        }
        KeyCode::Backspace if row.takes_text() => {
            let now = phone::shown(phone, ctx.state, i);
            let b = phone.buffers.entry(i).or_insert(now);
            b.pop();
        }
        KeyCode::F(1) => ui.overlay = Some(Overlay::Help),
        KeyCode::Char('?') if !row.takes_text() => ui.overlay = Some(Overlay::Help),
        KeyCode::Char(c) if row.takes_text() && !key.modifiers.contains(KeyModifiers::CONTROL) => {
            phone.buffers.entry(i).or_default().push(c)
        }
        _ => {}
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bms::model::AppAction;
    use crate::ui::state::Outcome;
    use crate::ui::state::RewireForm;
    use crate::wizard::checks::Value;
    use crate::wizard::engine::{Engine, Event, GateResult, Leave};
    use crate::wizard::spec::WizardSpec;
    use crossterm::event::KeyEvent;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    /// What the keys see on `state`: no gate verdicts, no meter; the simulator or not.
    fn ctx<'a>(spec: &'a WizardSpec, state: &'a State, sim: bool) -> Ctx<'a> {
        Ctx {
            spec,
            state,
            gates: &[],
            sim,
            meter: None,
            lang: "en",
        }
    }

    fn typed(ui: &mut UiState, ctx: &Ctx<'_>, text: &str) {
        for c in text.chars() {
            assert!(handle_key(ui, ctx, key(KeyCode::Char(c))).is_empty());
        }
    }

    /// The built-in wizard, walked to step `id` with a 16-cell LiFePO4 pack.
    fn at(spec: &WizardSpec, id: &str) -> State {
        let engine = Engine::new(spec);
        let mut events = engine.start(0, "h", "0", "en").unwrap();
        let set = |f: &str, v: Value| Event::FieldSet {
            at: 0,
            step: "setup.pack".into(),
            field: f.into(),
            text: String::new(),
            value: v,
        };
        events.push(set("cells", Value::Integer(16)));
        events.push(set("chemistry", Value::Choice("lifepo4".into())));
        events.push(set("model", Value::Choice("pb2a16s20p".into())));
        let target = spec.steps.iter().position(|s| s.id == id).unwrap();
        for s in &spec.steps[..target] {
            events.push(Event::StepLeft {
                at: 0,
                step: s.id.clone(),
                how: Leave::Passed,
            });
        }
        events.push(Event::StepEntered {
            at: 0,
            step: id.into(),
        });
        engine.replay(&events)
    }

    #[test]
    fn a_typed_reading_is_sent_as_typed_and_the_focus_moves_on_when_accepted() {
        let spec = WizardSpec::builtin();
        let state = at(&spec, "wiring.ladder");
        let ctx = ctx(&spec, &state, false);
        let mut ui = UiState::new(&state);
        typed(&mut ui, &ctx, "3,65");
        let actions = handle_key(&mut ui, &ctx, key(KeyCode::Enter));
        let expected = Action::Commit {
            input: Input::Reading {
                cell: 1,
                text: "3,65".into(),
            },
            key: "cell 1".into(),
            advance: true,
            leave: false,
        };
        assert_eq!(actions, vec![expected.clone()]);
        // Refused: the text stays to be corrected, the focus stays.
        let refused: Outcome = Ok(vec![Event::EntryRejected {
            at: 0,
            step: "wiring.ladder".into(),
            field: "cell 1".into(),
            text: "3,65".into(),
            error: crate::wizard::words::Say::plain("no_cell_data"),
        }]);
        ui.after(&expected, &refused, ctx.spec, "en");
        assert_eq!(ui.focus, 0);
        assert_eq!(ui.buffers.get("cell 1").map(String::as_str), Some("3,65"));
        assert!(ui.notice.is_some(), "the refusal is shown");
        // Accepted: the buffer goes and the next cell is focused.
        ui.after(&expected, &Ok(Vec::new()), ctx.spec, "en");
        assert_eq!(ui.focus, 1);
        assert!(ui.buffers.is_empty());
    }

    #[test]
    fn esc_drops_the_typing_first_and_goes_back_only_then() {
        let spec = WizardSpec::builtin();
        let state = at(&spec, "wiring.ladder");
        let ctx = ctx(&spec, &state, false);
        let mut ui = UiState::new(&state);
        typed(&mut ui, &ctx, "3.");
        assert!(handle_key(&mut ui, &ctx, key(KeyCode::Esc)).is_empty());
        assert!(ui.buffers.is_empty());
        assert_eq!(
            handle_key(&mut ui, &ctx, key(KeyCode::Esc)),
            vec![Action::Input(Input::Back)]
        );
    }

    #[test]
    fn help_and_quit_ask_before_anything_happens() {
        let spec = WizardSpec::builtin();
        let state = at(&spec, "wiring.pin1_minus");
        let ctx = ctx(&spec, &state, false);
        let mut ui = UiState::new(&state);
        handle_key(&mut ui, &ctx, key(KeyCode::Char('?')));
        assert_eq!(ui.overlay, Some(Overlay::Help));
        assert!(handle_key(&mut ui, &ctx, key(KeyCode::Char('q'))).is_empty());
        assert_eq!(ui.overlay, None, "any key closes the help");
        assert!(handle_key(&mut ui, &ctx, key(KeyCode::Char('q'))).is_empty());
        assert_eq!(ui.overlay, Some(Overlay::Quit));
        assert!(handle_key(&mut ui, &ctx, key(KeyCode::Char('n'))).is_empty());
        assert_eq!(ui.overlay, None);
        handle_key(&mut ui, &ctx, key(KeyCode::Char('q')));
        assert_eq!(
            handle_key(&mut ui, &ctx, key(KeyCode::Char('y'))),
            vec![Action::Quit]
        );
    }

    #[test]
    fn ticking_the_last_item_plays_the_steps_hand_actions_on_the_simulator_only() {
        let spec = WizardSpec::builtin();
        let mut state = at(&spec, "wiring.plug_in");
        let i = state.current;
        state.steps[i].checked.insert("all_attached".into());
        let mut ui = UiState::new(&state);
        ui.focus = 1;
        let mut ctx = ctx(&spec, &state, true);
        let actions = handle_key(&mut ui, &ctx, key(KeyCode::Enter));
        assert_eq!(
            actions,
            vec![
                Action::Input(Input::Check {
                    item: "plug_home".into(),
                    checked: true
                }),
                Action::Sim(AppAction::BalancePlug(true)),
            ]
        );
        ctx.sim = false;
        ui.focus = 1;
        assert_eq!(handle_key(&mut ui, &ctx, key(KeyCode::Enter)).len(), 1);
    }

    #[test]
    fn an_override_needs_the_form_and_names_gate_reason_role_and_person() {
        let spec = WizardSpec::builtin();
        let state = at(&spec, "config.status");
        let failing = GateResult {
            gate: "cells_plausible".into(),
            safety: false,
            verdict: crate::wizard::checks::Verdict::fail(Vec::new()),
        };
        let safety = GateResult {
            gate: "cells_visible".into(),
            safety: true,
            verdict: crate::wizard::checks::Verdict::fail(Vec::new()),
        };
        let gates = [failing, safety];
        let ctx = Ctx {
            gates: &gates,
            ..ctx(&spec, &state, false)
        };
        let mut ui = UiState::new(&state);
        handle_key(&mut ui, &ctx, key(KeyCode::Char('o')));
        let Some(Overlay::Override(form)) = &ui.overlay else {
            panic!("no form: {:?}", ui.overlay)
        };
        assert_eq!(
            form.gates,
            vec!["cells_plausible".to_string()],
            "safety gates are not offered"
        );
        handle_key(&mut ui, &ctx, key(KeyCode::Down));
        typed(&mut ui, &ctx, "weak cell");
        handle_key(&mut ui, &ctx, key(KeyCode::Enter));
        typed(&mut ui, &ctx, "trainer");
        handle_key(&mut ui, &ctx, key(KeyCode::Enter));
        typed(&mut ui, &ctx, "Ewa");
        handle_key(&mut ui, &ctx, key(KeyCode::Enter));
        let actions = handle_key(&mut ui, &ctx, key(KeyCode::Enter));
        assert_eq!(
            actions,
            vec![Action::Input(Input::Override {
                gate: "cells_plausible".into(),
                reason: "weak cell".into(),
                role: "trainer".into(),
                by: "Ewa".into(),
            })]
        );
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    #[test]
    fn in_an_entry_letters_type_and_only_ctrl_keys_command() {
        let spec = WizardSpec::builtin();
        let state = at(&spec, "setup.pack");
        let ctx = ctx(&spec, &state, true);
        let mut ui = UiState::new(&state);
        // The operator's name: every letter goes into it, commands among them.
        typed(&mut ui, &ctx, "qasogv?");
        assert_eq!(ui.overlay, None);
        assert_eq!(
            ui.buffers.get("operator").map(String::as_str),
            Some("qasogv?")
        );
        handle_key(&mut ui, &ctx, ctrl('a'));
        assert_eq!(ui.overlay, Some(Overlay::Phone));
        ui.overlay = None;
        handle_key(&mut ui, &ctx, ctrl('q'));
        assert_eq!(ui.overlay, Some(Overlay::Quit));
        ui.overlay = None;
        handle_key(&mut ui, &ctx, ctrl('v'));
        assert_eq!(ui.overlay, Some(Overlay::Meter));
        ui.overlay = None;
        handle_key(&mut ui, &ctx, key(KeyCode::F(1)));
        assert_eq!(ui.overlay, Some(Overlay::Help));
        assert_eq!(
            ui.buffers.get("operator").map(String::as_str),
            Some("qasogv?"),
            "no command typed a letter"
        );
        // The footer names the Ctrl forms here, the letters elsewhere.
        assert!(footer_keys(true, false, false, true, true, false)
            .contains(&("^A", Some("ui.footer.app"))));
        assert!(footer_keys(false, false, false, true, true, false)
            .contains(&("a", Some("ui.footer.app"))));
    }

    #[test]
    fn off_an_entry_the_letters_act() {
        let spec = WizardSpec::builtin();
        let state = at(&spec, "wiring.pin1_minus");
        let ctx = ctx(&spec, &state, true);
        let mut ui = UiState::new(&state);
        handle_key(&mut ui, &ctx, key(KeyCode::Char('a')));
        assert_eq!(ui.overlay, Some(Overlay::Phone));
        // In the app, a row taking no value: `a` closes it again.
        handle_key(&mut ui, &ctx, key(KeyCode::Char('a')));
        assert_eq!(ui.overlay, None);
        handle_key(&mut ui, &ctx, key(KeyCode::Char('g')));
        assert!(matches!(ui.overlay, Some(Overlay::Goto(_))));
        // A step that is not optional is not skipped, and says why.
        ui.overlay = None;
        assert!(handle_key(&mut ui, &ctx, key(KeyCode::Char('s'))).is_empty());
        assert!(ui.notice.is_some());
    }

    #[test]
    fn enter_on_a_row_of_the_simulated_app_applies_it_and_moves_on() {
        let spec = WizardSpec::builtin();
        let state = at(&spec, "config.battery_type");
        let ctx = ctx(&spec, &state, true);
        let mut ui = UiState::new(&state);
        ui.overlay = Some(Overlay::Phone);
        ui.phone.focus = 2;
        let actions = handle_key(&mut ui, &ctx, key(KeyCode::Enter));
        assert!(matches!(
            actions.as_slice(),
            [Action::Sim(AppAction::BatteryType(_))]
        ));
        assert_eq!(ui.phone.focus, 3, "on to the next row");
        assert_eq!(ui.overlay, Some(Overlay::Phone));
    }

    #[test]
    fn a_refused_value_in_the_simulated_app_is_said_in_the_operators_language() {
        let spec = WizardSpec::builtin();
        let state = at(&spec, "config.battery_type");
        let pl = Ctx {
            lang: "pl",
            ..ctx(&spec, &state, true)
        };
        let mut ui = UiState::new(&state);
        ui.overlay = Some(Overlay::Phone);
        ui.phone.focus = 3; // Cell Count
        ui.phone.buffers.insert(3, "16,5".into());
        assert!(handle_key(&mut ui, &pl, key(KeyCode::Enter)).is_empty());
        let notice = ui.notice.take().expect("the refusal is shown");
        assert_eq!(notice.tone, Tone::Error);
        assert!(
            notice
                .text
                .contains("Cell Count: „16,5” nie jest liczbą całkowitą"),
            "{}",
            notice.text
        );
        assert_eq!(ui.phone.focus, 3, "the row stays, with what was typed");
        assert_eq!(ui.phone.buffers.get(&3).map(String::as_str), Some("16,5"));
        // A capacity that is no number names the app's label, in Polish.
        ui.phone.focus = 4;
        ui.phone.buffers.insert(4, "abc".into());
        handle_key(&mut ui, &pl, key(KeyCode::Enter));
        let text = ui.notice.take().expect("refused").text;
        assert!(text.starts_with("Battery Capacity(AH)"), "{text}");
        assert!(!text.contains("not a"), "no English left: {text}");
    }

    #[test]
    fn the_meter_fills_the_entries_it_measures_and_closes_after_the_last() {
        let spec = WizardSpec::builtin();
        let state = at(&spec, "wiring.similar_charge");
        let readings = crate::train::meter::MeterReadings {
            taps: Vec::new(),
            pack: crate::units::Volts(52.4),
            last_pin: crate::units::Volts(52.4),
            lowest_cell: crate::units::Volts(3.274),
            highest_cell: crate::units::Volts(3.276),
            output: crate::units::Volts(0.0),
        };
        let ctx = Ctx {
            meter: Some(&readings),
            ..ctx(&spec, &state, true)
        };
        let mut ui = UiState::new(&state);
        handle_key(&mut ui, &ctx, ctrl('v'));
        let actions = handle_key(&mut ui, &ctx, key(KeyCode::Enter));
        assert_eq!(
            actions,
            vec![Action::Commit {
                input: Input::Field {
                    field: "lowest_cell".into(),
                    text: "3.274".into()
                },
                key: "lowest_cell".into(),
                advance: true,
                leave: false,
            }]
        );
        assert_eq!(
            ui.overlay,
            Some(Overlay::Meter),
            "the next row is measured too"
        );
        ui.after(&actions[0], &Ok(Vec::new()), ctx.spec, "en");
        let actions = handle_key(&mut ui, &ctx, key(KeyCode::Enter));
        assert!(
            matches!(&actions[0], Action::Commit { input: Input::Field { text, .. }, .. } if text == "3.276")
        );
        assert_eq!(
            ui.overlay, None,
            "the button is not measured: the meter closes"
        );
    }

    #[test]
    fn a_resumed_step_has_the_focus_on_its_first_row_not_done() {
        let spec = WizardSpec::builtin();
        let mut state = at(&spec, "setup.safety");
        let i = state.current;
        let items = crate::wizard::engine::step_items(&spec.steps[i], &state.live);
        state.steps[i].checked.insert(items[0].id.clone());
        state.steps[i].checked.insert(items[1].id.clone());
        let ui = UiState::resumed(&spec, &state);
        assert_eq!(ui.focus, 2);
        for it in &items {
            state.steps[i].checked.insert(it.id.clone());
        }
        let ui = UiState::resumed(&spec, &state);
        assert_eq!(ui.focus, items.len(), "all ticked: the button");
    }

    #[test]
    fn a_pack_id_typo_is_fixed_from_the_protection_test_in_five_keys() {
        let spec = WizardSpec::builtin();
        let engine = Engine::new(&spec);
        let mut state = at(&spec, "protection.test");
        engine.apply(
            &mut state,
            &Event::FieldSet {
                at: 0,
                step: "setup.pack".into(),
                field: "pack_id".into(),
                text: "P!".into(),
                value: Value::Text("P!".into()),
            },
        );
        let mut ui = UiState::new(&state);
        let mut keys = 0;
        let mut press = |ui: &mut UiState, state: &State, k: KeyEvent| {
            keys += 1;
            handle_key(ui, &ctx(&spec, state, true), k)
        };
        // g: the list opens on the pack form and lists its entries; 4 is the pack id.
        assert!(press(&mut ui, &state, key(KeyCode::Char('g'))).is_empty());
        assert_eq!(ui.overlay, Some(Overlay::Goto(0)));
        let listed = goto_entries(&spec, &state, 0);
        assert_eq!(listed.len(), 9, "the pack form's nine entries");
        assert_eq!(listed[3], (3, Row::Field(3)));
        let actions = press(&mut ui, &state, key(KeyCode::Char('4')));
        let [Action::Input(amend)] = actions.as_slice() else {
            panic!("{actions:?}")
        };
        assert_eq!(
            amend,
            &Input::Amend {
                step: "setup.pack".into()
            }
        );
        let outcome = engine.step(&mut state, amend.clone(), 1).unwrap();
        ui.after(&actions[0], &Ok(outcome), &spec, "en");
        ui.sync(&spec, &state);
        assert_eq!(
            ui.focus, 3,
            "the focus is on the pack id, not on the empty trainer"
        );
        // Backspace edits what was there; the next character is added to it.
        assert!(press(&mut ui, &state, key(KeyCode::Backspace)).is_empty());
        assert!(press(&mut ui, &state, key(KeyCode::Char('1'))).is_empty());
        assert_eq!(ui.buffers.get("pack_id").map(String::as_str), Some("P1"));
        // Enter saves the amended entry and leaves the step, once it is taken.
        let actions = press(&mut ui, &state, key(KeyCode::Enter));
        assert_eq!(
            actions,
            vec![Action::Commit {
                input: Input::Field {
                    field: "pack_id".into(),
                    text: "P1".into()
                },
                key: "pack_id".into(),
                advance: false,
                leave: true,
            }]
        );
        assert_eq!(keys, 5, "g 4 Backspace 1 Enter");
    }

    #[test]
    fn on_an_amended_step_enter_on_an_unchanged_entry_goes_back_and_down_moves_on() {
        let spec = WizardSpec::builtin();
        let engine = Engine::new(&spec);
        let mut state = at(&spec, "config.status");
        let amend = Input::Amend {
            step: "setup.pack".into(),
        };
        engine.step(&mut state, amend, 1).unwrap();
        let c = ctx(&spec, &state, false);
        let mut ui = UiState::new(&state);
        ui.focus = 5; // cells, committed as 16
        assert_eq!(
            handle_key(&mut ui, &c, key(KeyCode::Enter)),
            vec![Action::Input(Input::Next)],
            "nothing changed: back at once"
        );
        // A choice left as it was goes back too; one changed is saved first.
        ui.focus = 4;
        assert_eq!(
            handle_key(&mut ui, &c, key(KeyCode::Enter)),
            vec![Action::Input(Input::Next)]
        );
        handle_key(&mut ui, &c, key(KeyCode::Right));
        let actions = handle_key(&mut ui, &c, key(KeyCode::Enter));
        assert!(
            matches!(&actions[..], [Action::Commit { input: Input::Field { field, .. }, leave: true, .. }] if field == "chemistry"),
            "{actions:?}"
        );
        // ↓ saves what was typed and moves on, to change a second entry.
        ui.focus = 5;
        typed(&mut ui, &c, "15");
        let actions = handle_key(&mut ui, &c, key(KeyCode::Down));
        assert!(
            matches!(
                &actions[..],
                [Action::Commit {
                    leave: false,
                    advance: false,
                    ..
                }]
            ),
            "{actions:?}"
        );
        assert_eq!(ui.focus, 6);
        // The footer says what Enter does on an amended entry.
        assert_eq!(
            footer_keys(true, true, false, false, false, false)[0],
            ("Enter", Some("ui.footer.save_back"))
        );
        // Off an amended step Enter saves and moves on, as everywhere.
        let plain = at(&spec, "setup.pack");
        let c = ctx(&spec, &plain, false);
        let mut ui = UiState::new(&plain);
        ui.focus = 5;
        typed(&mut ui, &c, "16");
        assert!(matches!(
            &handle_key(&mut ui, &c, key(KeyCode::Enter))[..],
            [Action::Commit {
                advance: true,
                leave: false,
                ..
            }]
        ));
    }

    #[test]
    fn a_digit_past_the_steps_entries_or_a_refused_amendment_moves_nothing() {
        let spec = WizardSpec::builtin();
        let state = at(&spec, "wiring.pin1_minus");
        let c = ctx(&spec, &state, false);
        let mut ui = UiState::new(&state);
        handle_key(&mut ui, &c, key(KeyCode::Char('g')));
        let Some(Overlay::Goto(cursor)) = ui.overlay.clone() else {
            panic!("{:?}", ui.overlay)
        };
        // A checklist step has no entries: its digits do nothing, the list stays open.
        handle_key(&mut ui, &c, key(KeyCode::Down));
        let Some(Overlay::Goto(on)) = ui.overlay.clone() else {
            panic!()
        };
        assert_ne!(on, cursor);
        assert_eq!(spec.steps[on].id, "setup.safety");
        assert!(goto_entries(&spec, &state, on).is_empty());
        assert!(handle_key(&mut ui, &c, key(KeyCode::Char('1'))).is_empty());
        assert_eq!(ui.overlay, Some(Overlay::Goto(on)));
        // The pack form's ninth entry exists; a refused amendment forgets the focus it asked.
        handle_key(&mut ui, &c, key(KeyCode::Home));
        let actions = handle_key(&mut ui, &c, key(KeyCode::Char('9')));
        assert_eq!(ui.focus_next, Some(8));
        ui.after(&actions[0], &Err("no".into()), &spec, "en");
        assert_eq!(ui.focus_next, None);
    }

    #[test]
    fn r_records_a_rewiring_on_the_simulators_wiring_steps_only() {
        let spec = WizardSpec::builtin();
        let state = at(&spec, "wiring.ladder");
        let mut ui = UiState::new(&state);
        // Off the simulator there is no meter to find a fault with.
        handle_key(&mut ui, &ctx(&spec, &state, false), ctrl('r'));
        assert_eq!(ui.overlay, None);
        assert!(ui.notice.is_some());
        assert!(ui.buffers.is_empty(), "a command types nothing");
        let c = ctx(&spec, &state, true);
        // In an entry `r` types; ^R opens the list.
        typed(&mut ui, &c, "r");
        assert_eq!(ui.overlay, None);
        assert_eq!(ui.buffers.get("cell 1").map(String::as_str), Some("r"));
        handle_key(&mut ui, &c, ctrl('r'));
        assert_eq!(ui.overlay, Some(Overlay::Rewire(RewireForm::default())));
        // Sixteen wires, the model's last pin is pack plus, two probes.
        let choices = rewire_choices(&spec, &state);
        assert_eq!(choices.len(), 16 + 2);
        assert_eq!(choices[15], Rewire::Lead { cell: 16 });
        assert_eq!(choices[16], Rewire::Probe { probe: 1 });
        // Digits name a cell: 1 then 2 is the wire from cell 12; a third starts again.
        typed(&mut ui, &c, "12");
        assert_eq!(
            ui.overlay,
            Some(Overlay::Rewire(RewireForm {
                cursor: 11,
                typed: "12".into()
            }))
        );
        handle_key(&mut ui, &c, key(KeyCode::Char('3')));
        assert!(matches!(&ui.overlay, Some(Overlay::Rewire(f)) if f.cursor == 2));
        handle_key(&mut ui, &c, key(KeyCode::Down));
        assert_eq!(
            handle_key(&mut ui, &c, key(KeyCode::Enter)),
            vec![Action::Input(Input::Rewire {
                what: Rewire::Lead { cell: 4 }
            })]
        );
        assert_eq!(ui.overlay, None);
        assert!(ui
            .notice
            .as_ref()
            .is_some_and(|n| n.tone == Tone::Info && n.text.contains("cell 4")));
        // Esc closes it with nothing recorded.
        handle_key(&mut ui, &c, ctrl('r'));
        assert!(handle_key(&mut ui, &c, key(KeyCode::Esc)).is_empty());
        assert_eq!(ui.overlay, None);
        // Past the ladder only a probe can be put right; at sign-off nothing: said, not opened.
        let status = at(&spec, "config.status");
        assert_eq!(
            rewire_choices(&spec, &status),
            [Rewire::Probe { probe: 1 }, Rewire::Probe { probe: 2 }]
        );
        let signoff = at(&spec, "signoff");
        assert!(rewire_choices(&spec, &signoff).is_empty());
        let mut ui = UiState::new(&signoff);
        ui.focus = rows(&spec, &signoff, signoff.current).len() - 1;
        handle_key(
            &mut ui,
            &ctx(&spec, &signoff, true),
            key(KeyCode::Char('r')),
        );
        assert_eq!(ui.overlay, None);
        assert!(ui
            .notice
            .as_ref()
            .is_some_and(|n| n.text.contains("multimeter check (W 5)")));
        // The footer offers it only where it acts.
        let has = |rewire| {
            footer_keys(false, false, false, false, true, rewire)
                .contains(&("r", Some("ui.footer.rewire")))
        };
        assert!(has(true) && !has(false));
        assert!(!footer_keys(false, false, false, false, false, true)
            .iter()
            .any(|(_, w)| *w == Some("ui.footer.rewire")));
    }
}

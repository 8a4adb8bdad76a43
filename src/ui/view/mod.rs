//! The screens: one render function per panel, each taking the [`AppView`] and drawing it.
//!
//! A render function decides nothing: every verdict it shows (gates, the ladder's diagnosis,
//! refused entries) was computed by the engine and the checks and handed in through
//! [`AppView`]. That is also what makes the screens testable with ratatui's `TestBackend`.

pub mod chooser;
mod gate;
mod header;
mod live;
mod overlay;
mod phone;
mod rewire;
mod step;
mod steps;
mod summary;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::Frame;

use crate::ui::phone::BenchView;
use crate::ui::state::{Overlay, UiState};
use crate::ui::text::say;
use crate::units::Volts;
use crate::wizard::engine::{Engine, GateResult, Millis, State};
use crate::wizard::spec::WizardSpec;

/// How the wizard reaches a BMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// The built-in simulated unit.
    Sim,
    /// A real unit over Bluetooth LE.
    Bluetooth {
        /// The unit's address.
        address: String,
    },
    /// A recorded unit: a capture played back (`--replay`), never a live one.
    Replay {
        /// The capture's file name.
        file: String,
    },
    /// No BMS: the operator enters everything by hand; live gates cannot pass.
    Manual,
}

/// Styles, with or without colour (`NO_COLOR`). Meaning is always also in a symbol or a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// Colours allowed.
    pub color: bool,
}

impl Theme {
    fn fg(self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }
    /// Passing, done.
    pub fn ok(self) -> Style {
        self.fg(Color::Green)
    }
    /// Failing, refused.
    pub fn bad(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    /// Warnings and overrides.
    pub fn warn(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    /// Less important text.
    pub fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }
    /// The focused row.
    pub fn focus(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
    /// Titles.
    pub fn title(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
    /// The simulator's marks.
    pub fn sim(self) -> Style {
        self.fg(Color::Magenta).add_modifier(Modifier::BOLD)
    }
}

/// The link as the loop sees it, beyond what the engine keeps.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LinkView {
    /// The unit's name once connected (address or "simulator").
    pub peer: Option<String>,
    /// The last thing the link said that is not data (a refused frame, a failed connect).
    pub note: Option<String>,
}

/// One row of the ladder table as the checks diagnosed it.
#[derive(Debug, Clone, PartialEq)]
pub struct LadderLine {
    /// The pin of the cell's plus lead (`P1·4`).
    pub pin: String,
    /// This reading minus the previous one.
    pub step: Option<Volts>,
    /// The diagnosis of the row.
    pub verdict: LadderVerdict,
}

/// The diagnosis of one ladder row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LadderVerdict {
    /// Lead where it should be, cell fine.
    Ok,
    /// Part of a fault.
    Fault,
    /// Not measured yet.
    Pending,
}

/// The ladder's diagnosis, ready to show.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LadderView {
    /// One line per cell.
    pub rows: Vec<LadderLine>,
    /// The pins of the ladder's other fields (`pack_voltage` has none), by field id.
    pub pins: std::collections::BTreeMap<String, String>,
    /// Every fault diagnosed so far, one sentence each.
    pub faults: Vec<String>,
    /// A remark shown with the table (LTO: the step range is our assumption).
    pub note: Option<String>,
}

/// Everything the screens draw.
#[derive(Debug, Clone)]
pub struct AppView<'a> {
    /// The wizard.
    pub spec: &'a WizardSpec,
    /// The commissioning.
    pub state: &'a State,
    /// Focus, typing, overlays.
    pub ui: &'a UiState,
    /// Language of the texts.
    pub lang: &'a str,
    /// Now, for the age of the live data.
    pub now_ms: Millis,
    /// The live verdicts of the current step's gates.
    pub gates: Vec<GateResult>,
    /// The ladder's diagnosis, on the ladder step.
    pub ladder: Option<LadderView>,
    /// Whether each step applies given the answers so far.
    pub applies: Vec<bool>,
    /// How the BMS is reached.
    pub mode: Mode,
    /// The link beyond the engine's state.
    pub link: LinkView,
    /// The simulated bench (plug, activation), in simulator mode.
    pub bench: Option<BenchView>,
    /// The session folder, shown in the quit dialog.
    pub session_dir: String,
    /// A training session: the scenario's blind id (never what it stages).
    pub training: Option<String>,
    /// What the log would say if signed now, at the sign-off step (its summary is shown).
    pub summary: Option<crate::log::record::CommissioningLog>,
    /// At the first live step: the cells on which the ladder and the unit disagree.
    pub disagreements: Vec<crate::wizard::checks::agreement::Disagreement>,
    /// At the first live step, while the unit's cells are stale or the link is down: why the
    /// ladder is not compared yet (stale cells are never compared).
    pub agreement_waits: Option<String>,
    /// What the simulated multimeter reads now (simulator mode only).
    pub meter: Option<crate::train::meter::MeterReadings>,
    /// Styles.
    pub theme: Theme,
}

/// From this terminal width up the live panel sits beside the step instead of below it.
pub const SIDE_BY_SIDE_FROM: u16 = 120;

/// The live panel's width when it sits beside the step.
const SIDE_LIVE_W: u16 = 57;

impl<'a> AppView<'a> {
    /// Ask the engine for everything the screens show about `state` at `now_ms`.
    #[allow(clippy::too_many_arguments)]
    pub fn build(
        engine: &Engine<'a>,
        state: &'a State,
        ui: &'a UiState,
        lang: &'a str,
        now_ms: Millis,
        mode: Mode,
        link: LinkView,
        session_dir: String,
        theme: Theme,
    ) -> Self {
        let spec = engine.spec();
        let current = state.current.min(spec.steps.len().saturating_sub(1));
        let finished = engine.finished(state);
        let agreement = agreement(engine, state, current, now_ms);
        let mut view = AppView {
            spec,
            state,
            ui,
            lang,
            now_ms,
            gates: if finished {
                Vec::new()
            } else {
                engine.evaluate(state, current, now_ms)
            },
            ladder: ladder_view(engine, state, current, lang),
            applies: (0..spec.steps.len())
                .map(|i| engine.applies(state, i))
                .collect(),
            mode,
            link,
            bench: None,
            session_dir,
            training: None,
            summary: (!finished
                && matches!(
                    spec.steps[current].input,
                    crate::wizard::spec::InputSpec::SignOff { .. }
                ))
            .then(|| {
                let mut preview = state.clone();
                preview.signed_off = Some((now_ms, String::new(), String::new()));
                crate::log::record::build(engine, &preview, "").ok()
            })
            .flatten(),
            meter: None,
            disagreements: Vec::new(),
            agreement_waits: None,
            theme,
        };
        match agreement {
            Some(Ok(d)) => view.disagreements = d,
            Some(Err(why)) => {
                view.agreement_waits = Some(why.map_or_else(
                    || say(spec, lang, "waiting.cells"),
                    |r| r.render(spec, lang),
                ))
            }
            None => {}
        }
        view
    }

    /// The index of the current step.
    pub fn current(&self) -> usize {
        self.state
            .current
            .min(self.spec.steps.len().saturating_sub(1))
    }
}

/// At the first step that reads the unit live: the cells where the ladder (wiring step 5)
/// and the unit's own readings lie further apart than `ladder_live_tolerance` — only against
/// cells a gate of that step would take (link up, read since the step was entered, not too
/// old); otherwise what the comparison waits for. `None` on every other step.
fn agreement(
    engine: &Engine<'_>,
    state: &State,
    index: usize,
    now_ms: Millis,
) -> Option<
    Result<
        Vec<crate::wizard::checks::agreement::Disagreement>,
        Option<crate::wizard::checks::Reason>,
    >,
> {
    use crate::wizard::engine::is_live;
    use crate::wizard::spec::InputSpec;
    let spec = engine.spec();
    let first_live = (0..spec.steps.len()).find(|&i| {
        engine.applies(state, i) && spec.steps[i].gates.iter().any(|g| is_live(&g.check))
    })?;
    let ladder = spec
        .steps
        .iter()
        .position(|s| matches!(s.input, InputSpec::Ladder { .. }))?;
    if first_live != index {
        return None;
    }
    let fresh = crate::wizard::checks::fresh_cells_of(
        &state.live,
        &spec.limits,
        now_ms,
        engine.fresh_since(state, index),
    );
    Some(match fresh {
        Ok(cells) => Ok(crate::wizard::checks::agreement::ladder_against_cells(
            &engine.ladder_input(state, ladder),
            cells,
            spec.limits.ladder_live_tolerance,
        )),
        Err(verdict) => Err(verdict.reasons.into_iter().next()),
    })
}

/// The ladder table of step `index` as the checks diagnose it, when it is a ladder step.
pub fn ladder_view(
    engine: &Engine<'_>,
    state: &State,
    index: usize,
    lang: &str,
) -> Option<LadderView> {
    use crate::wizard::checks::ladder::{check_ladder, pin_of_wire, wire_count, RowVerdict};
    use crate::wizard::engine::{LADDER_LAST_PIN, LADDER_UNUSED_PREFIX};
    use crate::wizard::spec::{tr, InputSpec};
    let spec = engine.spec();
    if !matches!(spec.steps[index].input, InputSpec::Ladder { .. }) {
        return None;
    }
    let chem = spec.chemistries.get(&state.pack.chemistry?)?;
    let cells = state.pack.cells?;
    let model_id = state.pack.model.as_deref()?;
    let model = spec.models.iter().find(|m| m.id == model_id)?;
    let input = engine.ladder_input(state, index);
    let report = check_ladder(chem, cells, model, &spec.limits, &input);
    let pin = |p: crate::wizard::checks::ladder::PinRef| format!("P{}·{}", p.plug, p.pin);
    let wires = wire_count(model);
    let mut pins = std::collections::BTreeMap::new();
    pins.insert(LADDER_LAST_PIN.to_string(), pin(pin_of_wire(model, wires)));
    for w in (cells + 2)..wires {
        pins.insert(
            format!("{LADDER_UNUSED_PREFIX}{w}"),
            pin(pin_of_wire(model, w)),
        );
    }
    Some(LadderView {
        rows: report
            .rows
            .iter()
            .map(|r| LadderLine {
                pin: pin(r.pin),
                step: r.step,
                verdict: match r.verdict {
                    RowVerdict::Ok => LadderVerdict::Ok,
                    RowVerdict::Fault => LadderVerdict::Fault,
                    RowVerdict::Pending => LadderVerdict::Pending,
                },
            })
            .collect(),
        pins,
        faults: report
            .faults
            .iter()
            .map(|f| f.say.render_unbroken(spec, lang))
            .collect(),
        note: {
            // Our assumptions, marked as such: the LTO range and how the wires split over plugs.
            let notes: Vec<String> = chem
                .ladder_note
                .as_ref()
                .map(|n| tr(n, lang).to_string())
                .into_iter()
                .chain(model.split_note(lang))
                .collect();
            (!notes.is_empty()).then(|| notes.join(" "))
        },
    })
}

/// Draw the whole screen.
pub fn draw(frame: &mut Frame<'_>, view: &AppView<'_>) {
    let area = frame.area();
    let foot_h = header::footer_height(view, area.width);
    draw_with_footer(frame, view, foot_h);
    // Which keys the footer offers hangs on this very drawing (does the step scroll, is the
    // gate cut): when they need other rows than were kept, the screen is drawn again with them.
    let need = header::footer_height(view, area.width);
    if need != foot_h {
        frame.render_widget(ratatui::widgets::Clear, area);
        draw_with_footer(frame, view, need);
    }
}

/// Draw the whole screen with `foot_h` rows kept for the footer.
fn draw_with_footer(frame: &mut Frame<'_>, view: &AppView<'_>, foot_h: u16) {
    let area = frame.area();
    let side = area.width >= SIDE_BY_SIDE_FROM;
    // Beside each other the step and the live panel need their width: the list gives some.
    let list_w = match area.width {
        w if w >= 100 && !(side && w < SIDE_BY_SIDE_FROM + 16) => 28,
        _ => 22,
    };
    let main_w = area.width.saturating_sub(list_w);
    // The live panel, built once per drawing: beside the step its border takes a column.
    let live_lines = live::lines(view, if side { SIDE_LIVE_W - 1 } else { main_w } as usize);
    let live_h = live_lines.len() as u16 + 1;
    // The gate gets what the body can spare: the live panel and six rows of the step stay.
    let live_need = if side { 0 } else { live_h };
    let room = area
        .height
        .saturating_sub(1 + foot_h + live_need + 8 + 1)
        .min(area.height / 4)
        .max(3);
    // The gate's lines, built once per drawing (its rule takes no column).
    let gate_lines = gate::lines(view, area.width as usize);
    let gate_h = gate::height(&gate_lines, room);
    // The footer is carved off first: the keys that act now are never squeezed out by a body
    // that wants more rows than there are.
    let [upper, foot] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(foot_h)]).areas(area);
    let [head, body, gate_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(gate_h),
    ])
    .areas(upper);
    header::render(frame, head, view);
    let [list, main] =
        Layout::horizontal([Constraint::Length(list_w), Constraint::Min(20)]).areas(body);
    steps::render(frame, list, view);
    if side {
        let [step_area, live_area] =
            Layout::horizontal([Constraint::Min(40), Constraint::Length(SIDE_LIVE_W)]).areas(main);
        step::render(frame, step_area, view);
        live::render(frame, live_area, view, true, live_lines);
    } else {
        let [step_area, live_area] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(live_h)]).areas(main);
        step::render(frame, step_area, view);
        live::render(frame, live_area, view, false, live_lines);
    }
    gate::render(frame, gate_area, view, gate_lines);
    header::render_footer(frame, foot, view);
    match &view.ui.overlay {
        Some(Overlay::Help) => overlay::help(frame, area, view),
        Some(Overlay::Quit) => overlay::quit(frame, area, view),
        Some(Overlay::Override(form)) => overlay::override_form(frame, area, view, form),
        // The phone covers the step, never the gate: the operator sees the gates react.
        Some(Overlay::Phone) => phone::render(frame, body, view),
        Some(Overlay::Meter) => overlay::meter(frame, body, view),
        Some(Overlay::Goto(cursor)) => overlay::goto(frame, body, view, *cursor),
        Some(Overlay::Rewire(form)) => rewire::render(frame, body, view, form),
        // Over the step and the gate pane both: the gate's every line, with the most room.
        Some(Overlay::Reasons(offset)) => {
            let over = Rect {
                height: body.height + gate_area.height,
                ..body
            };
            gate::render_all(frame, over, view, *offset)
        }
        None => {}
    }
}

/// A rectangle of `w`×`h` centred in `area` (clipped to it).
pub(crate) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

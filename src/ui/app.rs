//! The event loop: terminal keys, BMS data and a slow clock in; engine inputs through the
//! session; a redraw out.
//!
//! One tokio task owns the BMS link and sends decoded data over a channel; a thread blocks on
//! the terminal's input and sends keys over another. The loop sleeps until one of them (or the
//! one-second clock that ages the live data, armed only while there is live data) wakes it, so
//! a wizard waiting on the operator uses next to no CPU. The terminal is restored on every way
//! out: normal return, error, Ctrl-C, SIGTERM, and panic (ratatui's hook).

use std::io;
use std::time::Duration;

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyEventKind};
use ratatui::DefaultTerminal;
use tokio::sync::mpsc;

use crate::bms::link::{BmsLink, LinkEvent};
use crate::bms::sim::link::SimControl;
use crate::log::session::Session;
use crate::log::sign::SigningKey;
use crate::log::signoff::{write_outputs, Outputs};
use crate::ui::keys::{handle_key, Action, Ctx};
use crate::ui::phone::BenchView;
use crate::ui::state::{rows, Notice, Outcome, Tone, UiState};
use crate::ui::view::{self, AppView, LinkView, Mode, Theme};
use crate::wizard::engine::{BmsInput, Event, Input, Millis};

/// How often a link that could not connect tries again (also at once after an app action).
const RETRY: Duration = Duration::from_secs(2);

/// How long a Bluetooth scan listens.
const SCAN: Duration = Duration::from_secs(5);

/// Where the BMS comes from.
pub enum Source {
    /// The built-in simulated unit.
    Sim(SimControl),
    /// Scan for a real unit and let the operator pick one (or fall back).
    Scan,
    /// A real unit at this address.
    Address(String),
    /// No BMS at all.
    Manual,
}

/// What the loop needs besides the session.
pub struct AppConfig {
    /// Language of the texts.
    pub lang: String,
    /// Where the BMS comes from.
    pub source: Source,
    /// Colours or not (`NO_COLOR`).
    pub theme: Theme,
    /// Shown at the bottom until the first key (resumed session, torn journal).
    pub banner: Option<String>,
    /// The operator's key, to sign the log at sign-off.
    pub key: Option<SigningKey>,
}

/// How the wizard ended.
#[derive(Debug)]
pub enum Exit {
    /// The operator quit; the session resumes on the next start.
    Quit,
    /// Signed off; the log was written (or writing it failed, with the reason).
    SignedOff(Result<Box<Outputs>, String>),
}

/// Messages from the link task.
enum LinkMsg {
    /// What the link reported.
    Event(LinkEvent),
    /// Connecting failed; the task tries again.
    ConnectFailed(String),
}

/// Requests to the link task.
enum LinkCmd {
    /// Try to connect now / ask the unit for fresh settings and data.
    Poke,
}

/// Restores the terminal when dropped, whatever way the loop ends.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// Now, in ms since the epoch: the edge stamps every input.
fn now_ms() -> Millis {
    crate::cmd::now_ms()
}

/// Run the wizard on `session` until the operator quits.
pub fn run(session: &mut Session<'_>, config: AppConfig) -> io::Result<Exit> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut terminal = ratatui::try_init()?;
    let _guard = TerminalGuard;
    runtime.block_on(App::new(session, config).run(&mut terminal))
}

struct App<'s, 'w> {
    session: &'s mut Session<'w>,
    lang: String,
    theme: Theme,
    key: Option<SigningKey>,
    source: Option<Source>,
    mode: Mode,
    sim: Option<SimControl>,
    ui: UiState,
    link: LinkView,
    link_rx: Option<mpsc::UnboundedReceiver<LinkMsg>>,
    link_cmd: Option<mpsc::UnboundedSender<LinkCmd>>,
    outputs: Option<Result<Box<Outputs>, String>>,
    quit: bool,
}

impl<'s, 'w> App<'s, 'w> {
    fn new(session: &'s mut Session<'w>, config: AppConfig) -> Self {
        let mut ui = UiState::new(&session.state);
        ui.banner = config.banner;
        App {
            session,
            lang: config.lang,
            theme: config.theme,
            key: config.key,
            source: Some(config.source),
            mode: Mode::Manual,
            sim: None,
            ui,
            link: LinkView::default(),
            link_rx: None,
            link_cmd: None,
            outputs: None,
            quit: false,
        }
    }

    async fn run(mut self, terminal: &mut DefaultTerminal) -> io::Result<Exit> {
        let (key_tx, mut keys) = mpsc::unbounded_channel();
        // Reading the terminal blocks, so it gets a thread of its own; it ends with the process.
        std::thread::spawn(move || {
            while let Ok(event) = crossterm::event::read() {
                if key_tx.send(event).is_err() {
                    break;
                }
            }
        });
        let source = self.source.take().unwrap_or(Source::Manual);
        let source = match source {
            Source::Scan => match choose(terminal, &mut keys, self.theme).await? {
                Some(s) => s,
                None => return Ok(Exit::Quit),
            },
            other => other,
        };
        self.start_link(source);
        let mut term_signal = terminate_signal();
        let mut clock = tokio::time::interval(Duration::from_secs(1));
        clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        self.draw(terminal)?;
        while !self.quit {
            let ticking = self.session.state.live.cells_at_ms.is_some();
            tokio::select! {
                event = keys.recv() => match event {
                    Some(TermEvent::Key(key)) => self.key(key),
                    Some(TermEvent::Resize(_, _)) => {}
                    Some(_) => continue,
                    None => break,
                },
                msg = recv_link(&mut self.link_rx) => {
                    match msg {
                        Some(msg) => self.link_msg(msg),
                        None => self.link_rx = None,
                    }
                    // Take whatever else arrived with it, then draw once.
                    while let Some(Ok(msg)) = self.link_rx.as_mut().map(|rx| rx.try_recv()) {
                        self.link_msg(msg);
                    }
                }
                _ = clock.tick(), if ticking => {}
                _ = tokio::signal::ctrl_c() => self.quit = true,
                _ = &mut term_signal => self.quit = true,
            }
            self.draw(terminal)?;
        }
        Ok(match self.outputs.take() {
            Some(outputs) => Exit::SignedOff(outputs),
            None => Exit::Quit,
        })
    }

    /// Start the task that owns the link.
    fn start_link(&mut self, source: Source) {
        let (tx, rx) = mpsc::unbounded_channel();
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        match source {
            Source::Sim(control) => {
                // A resumed session meets a new simulated unit: do again, in order, what the
                // journal says was done to the old one, so it stands where the operator left it.
                for e in self.session.events() {
                    if let Event::AppAction { action, .. } = e {
                        let _ = control.apply(action);
                    }
                }
                let link = crate::bms::sim::link::SimLink::new(control.clone());
                tokio::spawn(link_task(link, tx, cmd_rx));
                self.mode = Mode::Sim;
                self.sim = Some(control);
            }
            Source::Address(address) => {
                let link = crate::bms::ble::BleLink::new(address.clone(), Duration::from_secs(20));
                tokio::spawn(link_task(link, tx, cmd_rx));
                self.mode = Mode::Bluetooth { address };
            }
            Source::Manual | Source::Scan => {
                self.mode = Mode::Manual;
                return;
            }
        }
        self.link_rx = Some(rx);
        self.link_cmd = Some(cmd_tx);
    }

    fn link_msg(&mut self, msg: LinkMsg) {
        let input = match msg {
            LinkMsg::ConnectFailed(reason) => {
                self.link.note = Some(reason);
                return;
            }
            LinkMsg::Event(event) => match event {
                LinkEvent::Up { peer } => {
                    self.link.peer = Some(peer.clone());
                    self.link.note = None;
                    BmsInput::Up { peer }
                }
                LinkEvent::Down { reason } => BmsInput::Down { reason },
                LinkEvent::DeviceInfo(d) => BmsInput::Device(d),
                LinkEvent::Settings(s) => BmsInput::Settings(s),
                LinkEvent::CellInfo(c) => BmsInput::Cells(c),
                LinkEvent::Logbook(l) => BmsInput::Logbook(l),
                LinkEvent::Rejected { reason } => {
                    self.link.note = Some(format!("a frame was refused: {reason}"));
                    return;
                }
            },
        };
        if let Err(e) = self.session.input(Input::Bms(input), now_ms()) {
            self.ui.notice = Some(Notice {
                tone: Tone::Error,
                text: format!("cannot record the BMS data: {e}"),
            });
        }
    }

    fn key(&mut self, key: KeyEvent) {
        if key.kind == KeyEventKind::Release {
            return;
        }
        // After sign-off there is nothing left to do but leave.
        if self.session.state.signed_off.is_some()
            && self.ui.overlay.is_none()
            && matches!(key.code, KeyCode::Char('q') | KeyCode::Esc | KeyCode::Enter)
        {
            self.quit = true;
            return;
        }
        let actions = {
            let state = &self.session.state;
            let engine = self.session.engine;
            let gates = if state.signed_off.is_some() {
                Vec::new()
            } else {
                engine.evaluate(state, state.current, now_ms())
            };
            let ctx = Ctx {
                spec: engine.spec(),
                state,
                gates: &gates,
                sim: self.sim.is_some(),
            };
            handle_key(&mut self.ui, &ctx, key)
        };
        for action in actions {
            let outcome = self.execute(&action);
            self.ui.after(&action, &outcome);
            self.ui.sync(&self.session.state);
        }
        let state = &self.session.state;
        let n = rows(self.session.engine.spec(), state, state.current).len();
        self.ui.focus = self.ui.focus.min(n.saturating_sub(1));
    }

    fn execute(&mut self, action: &Action) -> Outcome {
        match action {
            Action::Quit => {
                self.quit = true;
                Ok(Vec::new())
            }
            Action::Input(input) | Action::Commit { input, .. } => {
                let events = self
                    .session
                    .input(input.clone(), now_ms())
                    .map_err(|e| e.to_string())?;
                if events.iter().any(|e| matches!(e, Event::SignedOff { .. })) {
                    self.sign_off();
                }
                Ok(events)
            }
            Action::Sim(app_action) => {
                let Some(sim) = &self.sim else {
                    return Err("the phone app exists only with the simulator (--sim)".into());
                };
                sim.apply(app_action)
                    .map_err(|e| format!("the simulated unit refused: {e}"))?;
                if let Some(cmd) = &self.link_cmd {
                    let _ = cmd.send(LinkCmd::Poke);
                }
                let events = self
                    .session
                    .input(Input::App(app_action.clone()), now_ms())
                    .map_err(|e| e.to_string())?;
                self.ui.notice = Some(Notice {
                    tone: Tone::Info,
                    text: format!("Simulated: {}", crate::ui::phone::describe(app_action)),
                });
                Ok(events)
            }
        }
    }

    /// Write the log, its signature and the report, and say where.
    fn sign_off(&mut self) {
        let outputs = write_outputs(self.session, self.key.as_ref(), None, None)
            .map(Box::new)
            .map_err(|e| e.to_string());
        self.ui.notice = Some(match &outputs {
            Ok(o) => Notice {
                tone: Tone::Info,
                text: format!(
                    "Signed off. Log: {}{} · report: {} · q quits",
                    o.log.display(),
                    if o.signature.is_some() {
                        " (signed)"
                    } else {
                        " (not signed: no --key)"
                    },
                    o.report.display()
                ),
            },
            Err(e) => Notice {
                tone: Tone::Error,
                text: format!("signed off, but the log could not be written: {e}"),
            },
        });
        self.outputs = Some(outputs);
    }

    fn draw(&mut self, terminal: &mut DefaultTerminal) -> io::Result<()> {
        if let Some(sim) = &self.sim {
            self.ui.phone.bench = sim.read(|u| BenchView {
                plugged_in: u.plugged_in(),
                activated: u.activated(),
            });
        }
        let engine = self.session.engine;
        let dir = self.session.dir().display().to_string();
        let mut view = AppView::build(
            &engine,
            &self.session.state,
            &self.ui,
            &self.lang,
            now_ms(),
            self.mode.clone(),
            self.link.clone(),
            dir,
            self.theme,
        );
        view.bench = self.sim.as_ref().map(|_| self.ui.phone.bench);
        terminal.draw(|f| view::draw(f, &view))?;
        Ok(())
    }
}

async fn recv_link(rx: &mut Option<mpsc::UnboundedReceiver<LinkMsg>>) -> Option<LinkMsg> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// SIGTERM (on Unix) ends the wizard like Ctrl-C: the terminal is restored, the session kept.
fn terminate_signal() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut s) = signal(SignalKind::terminate()) {
            return Box::pin(async move {
                s.recv().await;
            });
        }
    }
    Box::pin(std::future::pending())
}

/// Own the link: connect (again every few seconds, or at once when poked, until it works),
/// then forward what it reports and pass on refresh requests.
async fn link_task<L: BmsLink>(
    mut link: L,
    tx: mpsc::UnboundedSender<LinkMsg>,
    mut cmd: mpsc::UnboundedReceiver<LinkCmd>,
) {
    loop {
        match link.connect().await {
            Ok(()) => break,
            Err(e) => {
                if tx.send(LinkMsg::ConnectFailed(e.to_string())).is_err() {
                    return;
                }
                tokio::select! {
                    _ = tokio::time::sleep(RETRY) => {}
                    c = cmd.recv() => if c.is_none() { return },
                }
            }
        }
    }
    loop {
        tokio::select! {
            event = link.next_event() => match event {
                Some(event) => {
                    if tx.send(LinkMsg::Event(event)).is_err() {
                        return;
                    }
                }
                None => return,
            },
            c = cmd.recv() => match c {
                Some(LinkCmd::Poke) => {
                    // A refused refresh (unit asleep) is reported by the link as Down itself.
                    let _ = link.refresh().await;
                }
                None => return,
            },
        }
    }
}

/// Before the wizard, without --sim: scan for units and let the operator pick one, or fall
/// back to the simulator or manual-only mode when Bluetooth is not there. `None`: quit.
async fn choose(
    terminal: &mut DefaultTerminal,
    keys: &mut mpsc::UnboundedReceiver<TermEvent>,
    theme: Theme,
) -> io::Result<Option<Source>> {
    use crate::ui::view::chooser::{self, Chooser, Phase};
    let mut state = Chooser {
        phase: Phase::Scanning,
        focus: 0,
        theme,
    };
    loop {
        let (tx, mut rx) = tokio::sync::oneshot::channel();
        if state.phase == Phase::Scanning {
            tokio::spawn(async move {
                let _ = tx.send(crate::bms::ble::scan(SCAN).await);
            });
        }
        loop {
            terminal.draw(|f| chooser::render(f, &state))?;
            tokio::select! {
                found = &mut rx, if state.phase == Phase::Scanning => {
                    state.phase = match found {
                        Ok(Ok(units)) => Phase::Found(
                            units
                                .into_iter()
                                .map(|u| chooser::Unit {
                                    name: u.name.unwrap_or_else(|| "(no name)".into()),
                                    address: u.address,
                                    rssi: u.rssi,
                                })
                                .collect(),
                        ),
                        Ok(Err(e)) => Phase::Unavailable(e.to_string()),
                        Err(_) => Phase::Unavailable("the Bluetooth scan stopped unexpectedly".into()),
                    };
                    state.focus = 0;
                }
                event = keys.recv() => {
                    let Some(TermEvent::Key(key)) = event else {
                        if event.is_none() {
                            return Ok(None);
                        }
                        continue;
                    };
                    if key.kind == KeyEventKind::Release {
                        continue;
                    }
                    match chooser::key(&mut state, key) {
                        chooser::Choice::Stay => {}
                        chooser::Choice::Quit => return Ok(None),
                        chooser::Choice::Rescan => {
                            state.phase = Phase::Scanning;
                            break;
                        }
                        chooser::Choice::Sim => {
                            return crate::cmd::sim_control(None)
                                .map(|c| Some(Source::Sim(c)))
                                .map_err(|e| io::Error::other(e.to_string()));
                        }
                        chooser::Choice::Manual => return Ok(Some(Source::Manual)),
                        chooser::Choice::Unit(address) => return Ok(Some(Source::Address(address))),
                    }
                }
                _ = tokio::signal::ctrl_c() => return Ok(None),
            }
        }
    }
}

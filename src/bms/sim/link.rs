//! The simulated unit behind the [`BmsLink`] trait: a tokio task plays both ends of the radio —
//! the unit's [`Responder`] answering real command bytes with real notifications, and the
//! host's [`FrameStream`] and [`Session`] exactly as the BLE link drives them — so the
//! handshake, the stall re-requests and the reconnects are the real ones. The only clock is
//! the bench's (`timebase`): virtual for a simulated bench, tokio's paused one in tests.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::timebase::{self, sleep_until, Instant};
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;

use crate::bms::capture::Tap;
use crate::bms::decode::FrameStream;
use crate::bms::frame::{command, CMD_CELL_INFO, COMMAND_LEN};
use crate::bms::link::{BmsLink, DownReason, LinkError, LinkEvent};
use crate::bms::model::{AppAction, Frame, Layout};
use crate::bms::session::{Session, SessionAction};
use crate::bms::sim::responder::Responder;
use crate::bms::sim::unit::{Fault, SimConfig, SimError, SimUnit};

/// The name the simulator gives itself in [`LinkEvent::Up`].
pub const PEER: &str = crate::bms::link::SIMULATOR_PEER;

/// How often a link that is down tries to connect again.
pub const RETRY_INTERVAL: Duration = Duration::from_secs(2);

/// How often the session's watchdog is ticked (the session asks for about once a second).
const TICK: Duration = Duration::from_secs(1);

struct Shared {
    unit: Mutex<SimUnit>,
    changed: Notify,
}

/// A cloneable handle on the simulated unit: what the wizard, the app panel and training use
/// to act on it while a link runs, and what tests use to read it back.
#[derive(Clone)]
pub struct SimControl {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for SimControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimControl").finish_non_exhaustive()
    }
}

impl SimControl {
    /// A handle owning this unit.
    pub fn new(unit: SimUnit) -> Self {
        Self {
            shared: Arc::new(Shared {
                unit: Mutex::new(unit),
                changed: Notify::new(),
            }),
        }
    }

    /// Build the unit from a configuration.
    pub fn from_config(config: SimConfig) -> Result<Self, SimError> {
        SimUnit::new(config).map(Self::new)
    }

    /// Do what a person does to the unit or in the app (see [`SimUnit::apply`]).
    pub fn apply(&self, action: &AppAction) -> Result<(), SimError> {
        let result = self.lock().apply(action);
        self.shared.changed.notify_one();
        result
    }

    /// Stage a fault (see [`Fault`]).
    pub fn inject(&self, fault: &Fault) -> Result<(), SimError> {
        let result = self.lock().inject(fault);
        self.shared.changed.notify_one();
        result
    }

    /// Read the unit's state.
    pub fn read<R>(&self, f: impl FnOnce(&SimUnit) -> R) -> R {
        f(&self.lock())
    }

    /// A copy of the unit as it is now.
    pub fn snapshot(&self) -> SimUnit {
        self.lock().clone()
    }

    fn lock(&self) -> MutexGuard<'_, SimUnit> {
        // A panic while holding the lock leaves plain data behind; keep using it.
        self.shared
            .unit
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

enum Request {
    Refresh,
}

struct Running {
    events: mpsc::UnboundedReceiver<LinkEvent>,
    requests: mpsc::UnboundedSender<Request>,
    task: JoinHandle<()>,
}

/// A [`BmsLink`] to the simulated unit.
pub struct SimLink {
    control: SimControl,
    forced: Option<Layout>,
    running: Option<Running>,
    tap: Option<Tap>,
}

impl SimLink {
    /// A link to the unit behind `control`; nothing runs until [`BmsLink::connect`].
    pub fn new(control: SimControl) -> Self {
        Self {
            control,
            forced: None,
            running: None,
            tap: None,
        }
    }

    /// Pin the layout the frame stream decodes with (`--variant`), instead of deciding it.
    pub fn with_layout(mut self, forced: Option<Layout>) -> Self {
        self.forced = forced;
        self
    }

    /// The handle on the unit.
    pub fn control(&self) -> &SimControl {
        &self.control
    }
}

impl Drop for SimLink {
    fn drop(&mut self) {
        if let Some(running) = &self.running {
            running.task.abort();
        }
    }
}

impl BmsLink for SimLink {
    /// Fails, like a real unit that cannot be found, when the unit does not answer now (plug
    /// out, not activated, link dropped). Once connected the link stays: losing the unit
    /// reports Down and the link comes back Up by itself.
    async fn connect(&mut self) -> Result<(), LinkError> {
        if let Some(reason) = self.control.read(SimUnit::unreachable_reason) {
            return Err(LinkError::Unavailable(Box::new(reason)));
        }
        if self.running.as_ref().is_some_and(|r| !r.task.is_finished()) {
            return Ok(());
        }
        let (event_tx, events) = mpsc::unbounded_channel();
        let (requests, request_rx) = mpsc::unbounded_channel();
        let link = Channel {
            events: event_tx,
            tap: self.tap.clone(),
        };
        let task = tokio::spawn(run(self.control.clone(), self.forced, link, request_rx));
        self.running = Some(Running {
            events,
            requests,
            task,
        });
        Ok(())
    }

    async fn next_event(&mut self) -> Option<LinkEvent> {
        self.running.as_mut()?.events.recv().await
    }

    async fn refresh(&mut self) -> Result<(), LinkError> {
        let running = self.running.as_ref().ok_or(LinkError::Closed)?;
        if let Some(reason) = self.control.read(SimUnit::unreachable_reason) {
            return Err(LinkError::Unavailable(Box::new(reason)));
        }
        running
            .requests
            .send(Request::Refresh)
            .map_err(|_| LinkError::Closed)
    }

    fn set_tap(&mut self, tap: Tap) {
        self.tap = Some(tap);
    }
}

/// The host dropped its end of the link.
#[derive(Debug)]
struct HostGone;

/// Where the link task reports: the events to the host, and the raw traffic to the tap.
struct Channel {
    events: mpsc::UnboundedSender<LinkEvent>,
    tap: Option<Tap>,
}

impl Channel {
    /// Report `event`; `Err` once the host has gone (the event itself is of no use then).
    fn send(&self, event: LinkEvent) -> Result<(), HostGone> {
        if let Some(tap) = &self.tap {
            event.record_in(tap);
        }
        self.events.send(event).map_err(|_| HostGone)
    }

    fn is_closed(&self) -> bool {
        self.events.is_closed()
    }

    fn notification(&self, bytes: &[u8]) {
        if let Some(tap) = &self.tap {
            tap.notification(bytes);
        }
    }

    fn command(&self, bytes: &[u8]) {
        if let Some(tap) = &self.tap {
            tap.command(bytes);
        }
    }
}

/// One connection: both ends of the radio.
struct Connection {
    responder: Responder,
    stream: FrameStream,
    session: Session,
    next_tick: Instant,
    next_cell: Option<Instant>,
}

/// The link task: wakes for the session tick, the unit's stream, a reconnect attempt, a
/// control change or a request, and does whatever is due.
async fn run(
    control: SimControl,
    forced: Option<Layout>,
    events: Channel,
    mut requests: mpsc::UnboundedReceiver<Request>,
) {
    let start = timebase::now();
    let mut last_step = start;
    let mut connections = 0u64;
    let mut conn: Option<Connection> = None;
    let mut retry_at = start;
    let mut refresh = false;
    loop {
        let now = timebase::now();
        {
            let mut unit = control.lock();
            unit.advance(now - last_step);
        }
        last_step = now;
        let elapsed = now - start;

        match conn.as_mut() {
            None if now >= retry_at => {
                if control.read(SimUnit::unreachable_reason).is_none() {
                    connections += 1;
                    let seed = control.read(SimUnit::seed) ^ connections.wrapping_mul(0x9E37);
                    let mut c = Connection {
                        responder: Responder::new(seed),
                        stream: FrameStream::new(forced),
                        session: Session::new(),
                        next_tick: now + TICK,
                        next_cell: None,
                    };
                    if events.send(LinkEvent::Up { peer: PEER.into() }).is_err() {
                        return;
                    }
                    let actions = c.session.on_connected(elapsed);
                    let down = exchange(&control, &mut c, actions, &events, now, elapsed);
                    conn = Some(c);
                    if let Some(reason) = down {
                        conn = None;
                        retry_at = now;
                        let _ = events.send(LinkEvent::Down { reason });
                    }
                } else {
                    retry_at = now + RETRY_INTERVAL;
                }
            }
            None => {}
            Some(c) => {
                let down = match control.read(SimUnit::unreachable_reason) {
                    Some(reason) => Some(reason),
                    None => step(
                        &control,
                        c,
                        std::mem::take(&mut refresh),
                        &events,
                        now,
                        elapsed,
                    ),
                };
                if let Some(reason) = down {
                    conn = None;
                    // After the watchdog gave up, connect again at once; a unit that cannot
                    // be reached is tried again every few seconds.
                    retry_at = if matches!(reason, DownReason::Silent { .. }) {
                        now
                    } else {
                        now + RETRY_INTERVAL
                    };
                    if events.send(LinkEvent::Down { reason }).is_err() {
                        return;
                    }
                }
            }
        }
        if events.is_closed() {
            return;
        }

        let wake = match &conn {
            Some(c) => c.next_cell.map_or(c.next_tick, |t| t.min(c.next_tick)),
            None => retry_at.max(now + Duration::from_millis(1)),
        };
        tokio::select! {
            _ = sleep_until(wake) => {}
            _ = control.shared.changed.notified() => {}
            request = requests.recv() => match request {
                Some(Request::Refresh) => refresh = true,
                None => return,
            },
        }
    }
}

fn stream_pause(responder: &mut Responder) -> Duration {
    Duration::from_millis(responder.stream_interval_ms())
}

/// Feed notifications to the host side: decoded frames become events, and the session's
/// reactions to them come back.
fn receive(
    c: &mut Connection,
    notes: Vec<Vec<u8>>,
    events: &Channel,
    elapsed: Duration,
) -> Vec<SessionAction> {
    let mut actions = Vec::new();
    for note in notes {
        events.notification(&note);
        for result in c.stream.push(&note) {
            match result {
                Ok(frame) => {
                    actions.extend(c.session.on_frame(&frame, elapsed));
                    let _ = events.send(frame_event(frame));
                }
                Err(e) => {
                    let _ = events.send(LinkEvent::Rejected {
                        reason: e.to_string(),
                    });
                }
            }
        }
    }
    actions
}

/// One wake of a live connection: a requested refresh, a staged stall, the unit's next live
/// frame, the session's tick. Returns a Down reason if the session asked to reconnect.
fn step(
    control: &SimControl,
    c: &mut Connection,
    refresh: bool,
    events: &Channel,
    now: Instant,
    elapsed: Duration,
) -> Option<DownReason> {
    let mut actions = Vec::new();
    if refresh {
        actions.push(SessionAction::Send(command(CMD_CELL_INFO, &[])));
    }
    let (stall, silent, corrupt) = {
        let mut unit = control.lock();
        (unit.take_stall(), unit.silenced(), unit.take_corrupt())
    };
    if corrupt {
        c.responder.corrupt_next();
    }
    if stall {
        c.responder.stop_stream();
        c.next_cell = None;
    }
    if c.next_cell.is_some_and(|t| now >= t) {
        if !silent {
            let notes = control.read(|u| c.responder.cell_info(u));
            actions.extend(receive(c, notes, events, elapsed));
        }
        c.next_cell = Some(now + stream_pause(&mut c.responder));
    }
    if now >= c.next_tick {
        c.next_tick = now + TICK;
        actions.extend(c.session.on_tick(elapsed));
    }
    exchange(control, c, actions, events, now, elapsed)
}

/// Carry out session actions until the conversation is quiet: commands go to the unit, its
/// answers come back through the frame stream. Returns a Down reason if the session asked to
/// reconnect.
fn exchange(
    control: &SimControl,
    c: &mut Connection,
    actions: Vec<SessionAction>,
    events: &Channel,
    now: Instant,
    elapsed: Duration,
) -> Option<DownReason> {
    let mut queue: VecDeque<SessionAction> = actions.into();
    while let Some(action) = queue.pop_front() {
        match action {
            SessionAction::Reconnect => {
                return Some(DownReason::Silent {
                    secs: crate::bms::session::RECONNECT_AFTER.as_secs(),
                })
            }
            SessionAction::Send(cmd) => {
                events.command(&cmd);
                let notes = send(control, c, &cmd, now);
                queue.extend(receive(c, notes, events, elapsed));
            }
        }
    }
    None
}

/// Write a command to the unit; a mute unit swallows it.
fn send(
    control: &SimControl,
    c: &mut Connection,
    cmd: &[u8; COMMAND_LEN],
    now: Instant,
) -> Vec<Vec<u8>> {
    let unit = control.lock();
    if unit.silenced() {
        return Vec::new();
    }
    let was_streaming = c.responder.streaming();
    let notes = c.responder.on_command(&unit, cmd);
    drop(unit);
    if c.responder.streaming() && !was_streaming {
        c.next_cell = Some(now + stream_pause(&mut c.responder));
    }
    notes
}

fn frame_event(frame: Frame) -> LinkEvent {
    match frame {
        Frame::DeviceInfo(d) => LinkEvent::DeviceInfo(d),
        Frame::Settings(s) => LinkEvent::Settings(s),
        Frame::CellInfo(c) => LinkEvent::CellInfo(c),
        Frame::Logbook(l) => LinkEvent::Logbook(l),
    }
}

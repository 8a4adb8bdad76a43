//! The task behind a `BleLink`: feeds notifications through the frame stream, lets the pure
//! `Session` decide what to send and when to give up, ticks it once a second, and reconnects.
//!
//! It runs as its own task so `BleLink::next_event` is a plain channel receive: a caller can
//! drop it inside a `select!` without tearing a reconnect or a write in half.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use btleplug::api::BDAddr;
use futures::StreamExt;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{interval_at, sleep, timeout, Instant, MissedTickBehavior};

use super::discover::Stack;
use super::gatt::{Backend, Gatt, GattEvent};
use crate::bms::capture::Tap;
use crate::bms::decode::FrameStream;
use crate::bms::frame::{command, CMD_CELL_INFO};
use crate::bms::link::{DownReason, LinkError, LinkEvent};
use crate::bms::model::Frame;
use crate::bms::session::{Session, SessionAction};

/// Requests from the `BleLink` handle.
pub(crate) enum Control {
    /// Send 0x96 again; the answer says whether it was written.
    Refresh(oneshot::Sender<Result<(), LinkError>>),
}

/// How a connection ended.
enum Ended {
    /// The handle is gone or no one listens: stop for good.
    Closed,
    /// The unit is gone (for now), with the reason for the operator.
    Lost(DownReason),
}

/// The first wait before trying to reconnect, doubled per failure up to `MAX_BACKOFF`.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

pub(crate) struct Driver {
    pub stack: Stack,
    pub address: BDAddr,
    pub timeout: Duration,
    pub backend: Backend,
    pub stream: FrameStream,
    pub events: mpsc::Sender<LinkEvent>,
    pub control: mpsc::Receiver<Control>,
    pub origin: Instant,
    /// The connected unit's BlueZ object path, for `BleLink`'s drop; `None` while down.
    pub connected: Arc<Mutex<Option<String>>>,
    /// Where the raw traffic is recorded, if anywhere.
    pub tap: Option<Tap>,
}

impl Driver {
    /// Serve the first connection, then reconnect whenever it is lost, until closed.
    pub(crate) async fn run(mut self, first: Gatt) {
        let mut gatt = first;
        loop {
            self.set_connected(gatt.object_path());
            let ended = if self
                .emit(LinkEvent::Up {
                    peer: self.address.to_string(),
                })
                .await
            {
                self.serve(&mut gatt).await
            } else {
                Ended::Closed
            };
            gatt.close().await;
            self.set_connected(None);
            match ended {
                Ended::Closed => return,
                Ended::Lost(reason) => {
                    if !self.emit(LinkEvent::Down { reason }).await {
                        return;
                    }
                }
            }
            match self.reconnect().await {
                Some(next) => gatt = next,
                None => return,
            }
        }
    }

    fn set_connected(&self, path: Option<String>) {
        if let Ok(mut slot) = self.connected.lock() {
            *slot = path;
        }
    }

    fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    /// Send an event; false once no one listens.
    async fn emit(&self, event: LinkEvent) -> bool {
        if let Some(tap) = &self.tap {
            event.record_in(tap);
        }
        self.events.send(event).await.is_ok()
    }

    /// One connection's life: handshake, stream, watchdog.
    async fn serve(&mut self, gatt: &mut Gatt) -> Ended {
        // A fresh session per connection: the handshake starts over, the watchdog is reset.
        // The frame stream is kept, so the layout learnt from device info survives, but half
        // a frame from the last connection must not be joined to this one's first piece.
        self.stream.clear_buffer();
        let mut session = Session::new();
        let actions = session.on_connected(self.now());
        if let Some(ended) = self.act(actions, gatt).await {
            return ended;
        }
        let start = Instant::now() + Duration::from_secs(1);
        let mut tick = interval_at(start, Duration::from_secs(1));
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                event = gatt.events.next() => match event {
                    Some(GattEvent::Value(bytes)) => {
                        if let Some(ended) = self.notification(&bytes, &mut session, gatt).await {
                            return ended;
                        }
                    }
                    Some(GattEvent::Disconnected) | None => {
                        return Ended::Lost(DownReason::Dropped);
                    }
                },
                _ = tick.tick() => {
                    let actions = session.on_tick(self.now());
                    if let Some(ended) = self.act(actions, gatt).await {
                        return ended;
                    }
                }
                request = self.control.recv() => match request {
                    Some(Control::Refresh(reply)) => {
                        let cmd = command(CMD_CELL_INFO, &[]);
                        self.tapped_command(&cmd);
                        let _ = reply.send(gatt.write(&cmd).await);
                    }
                    None => return Ended::Closed,
                },
                _ = self.events.closed() => return Ended::Closed,
            }
        }
    }

    /// Reassemble, decode, report and let the session answer.
    async fn notification(
        &mut self,
        bytes: &[u8],
        session: &mut Session,
        gatt: &mut Gatt,
    ) -> Option<Ended> {
        if let Some(tap) = &self.tap {
            tap.notification(bytes);
        }
        for result in self.stream.push(bytes) {
            match result {
                Ok(frame) => {
                    let actions = session.on_frame(&frame, self.now());
                    let event = match frame {
                        Frame::DeviceInfo(d) => LinkEvent::DeviceInfo(d),
                        Frame::Settings(s) => LinkEvent::Settings(s),
                        Frame::CellInfo(c) => LinkEvent::CellInfo(c),
                        Frame::Logbook(l) => LinkEvent::Logbook(l),
                    };
                    if !self.emit(event).await {
                        return Some(Ended::Closed);
                    }
                    if let Some(ended) = self.act(actions, gatt).await {
                        return Some(ended);
                    }
                }
                Err(e) => {
                    if !self
                        .emit(LinkEvent::Rejected {
                            reason: e.to_string(),
                        })
                        .await
                    {
                        return Some(Ended::Closed);
                    }
                }
            }
        }
        None
    }

    /// Record a command about to be written.
    fn tapped_command(&self, cmd: &[u8]) {
        if let Some(tap) = &self.tap {
            tap.command(cmd);
        }
    }

    /// Carry out what the session decided.
    async fn act(&mut self, actions: Vec<SessionAction>, gatt: &mut Gatt) -> Option<Ended> {
        for action in actions {
            match action {
                SessionAction::Send(cmd) => {
                    self.tapped_command(&cmd);
                    if let Err(e) = gatt.write(&cmd).await {
                        return Some(Ended::Lost(DownReason::SendFailed(e.to_string())));
                    }
                }
                SessionAction::Reconnect => {
                    return Some(Ended::Lost(DownReason::Silent {
                        secs: crate::bms::session::RECONNECT_AFTER.as_secs(),
                    }));
                }
            }
        }
        None
    }

    /// Try to connect again, with growing pauses, until it works or the link is closed.
    /// Each failure that reads differently from the last is reported as another `Down`.
    async fn reconnect(&mut self) -> Option<Gatt> {
        let address = self.address.to_string();
        let mut backoff = FIRST_BACKOFF;
        let mut last_reason: Option<String> = None;
        loop {
            answering(&mut self.control, &self.events, &address, sleep(backoff)).await?;
            let attempt =
                self.stack
                    .find_and_connect(self.address, self.timeout, self.timeout, self.backend);
            match answering(&mut self.control, &self.events, &address, attempt).await? {
                Ok(gatt) => return Some(gatt),
                Err(e) => {
                    let reason = e.to_string();
                    if last_reason.as_deref() != Some(reason.as_str()) {
                        if !self
                            .emit(LinkEvent::Down {
                                reason: DownReason::Link(e),
                            })
                            .await
                        {
                            return None;
                        }
                        last_reason = Some(reason);
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }
}

/// Wait for `work` while answering refresh requests with "the link is down"; `None` when the
/// link was closed meanwhile.
async fn answering<T>(
    control: &mut mpsc::Receiver<Control>,
    events: &mpsc::Sender<LinkEvent>,
    address: &str,
    work: impl std::future::Future<Output = T>,
) -> Option<T> {
    tokio::pin!(work);
    loop {
        tokio::select! {
            out = &mut work => return Some(out),
            request = control.recv() => match request {
                Some(Control::Refresh(reply)) => {
                    let _ = reply.send(Err(LinkError::Unavailable(Box::new(
                        DownReason::Reconnecting(address.to_string()),
                    ))));
                }
                None => return None,
            },
            _ = events.closed() => return None,
        }
    }
}

/// Bound a shutdown so a hung stack cannot keep the program from exiting.
pub(crate) async fn bounded<F: std::future::Future>(f: F) {
    let _ = timeout(Duration::from_secs(5), f).await;
}

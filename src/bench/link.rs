//! The link task every front end runs its unit through, and what its events mean to the
//! engine.

use std::time::Duration;

use tokio::sync::mpsc;

use crate::bms::link::{BmsLink, LinkError, LinkEvent};
use crate::wizard::engine::BmsInput;
use crate::wizard::words::{Arg, Say};

/// What a link reported, as the engine's input; `Err` with the reason for a refused frame,
/// which is shown but not recorded.
pub fn bms_input(event: LinkEvent) -> Result<BmsInput, String> {
    Ok(match event {
        LinkEvent::Up { peer } => BmsInput::Up { peer },
        LinkEvent::Down { reason } => BmsInput::Down { reason },
        LinkEvent::DeviceInfo(d) => BmsInput::Device(d),
        LinkEvent::Settings(s) => BmsInput::Settings(s),
        LinkEvent::CellInfo(c) => BmsInput::Cells(c),
        LinkEvent::Logbook(l) => BmsInput::Logbook(l),
        LinkEvent::Rejected { reason } => return Err(reason),
    })
}

/// Why a link could not be used, as a sentence with its values (`link.*` in wizard.yaml's
/// `reasons:`), for the front ends to word in the operator's language. What the Bluetooth
/// stack itself said is carried along as it is.
pub fn link_error_say(e: &LinkError) -> Say {
    let v = Arg::verbatim;
    match e {
        LinkError::NoDbus(detail) => Say::new("link.no_dbus", [("detail", v(detail))]),
        LinkError::NoAdapter => Say::plain("link.no_adapter"),
        LinkError::Permission(detail) => Say::new("link.permission", [("detail", v(detail))]),
        LinkError::NotFound(address, secs) => Say::new(
            "link.not_found",
            [("address", v(address)), ("secs", Arg::int(*secs as i64))],
        ),
        LinkError::NotJk(address, detail) => Say::new(
            "link.not_jk",
            [("address", v(address)), ("detail", v(detail))],
        ),
        LinkError::Connect(address, detail) => Say::new(
            "link.connect",
            [("address", v(address)), ("detail", v(detail))],
        ),
        // The simulator's and the replay's own sentences.
        LinkError::Unavailable(text) | LinkError::NotInCapture(text) => {
            Say::new("entry.as_written", [("text", v(text))])
        }
        LinkError::Closed => Say::plain("link.closed"),
        LinkError::Other(detail) => Say::new("link.other", [("detail", v(detail))]),
    }
}

/// How long to wait before trying again to reach a unit that did not answer.
const CONNECT_RETRY: Duration = Duration::from_secs(1);

/// Own a link on its own task: forward its events, and ask it to refresh when told (while
/// it is not connected yet, a request means "try to connect now"). Every front end runs its
/// link through this.
pub async fn pump<L: BmsLink>(
    mut link: L,
    events: mpsc::UnboundedSender<LinkEvent>,
    mut refresh: mpsc::UnboundedReceiver<()>,
) {
    // A unit that does not answer yet (plug out, not activated, out of range) is tried again
    // until it does; a machine without Bluetooth is told once.
    let mut last_reason = None;
    loop {
        match link.connect().await {
            Ok(()) => break,
            Err(e) => {
                let fatal = matches!(
                    e,
                    LinkError::NoDbus(_) | LinkError::NoAdapter | LinkError::Permission(_)
                );
                let reason = e.to_string();
                if last_reason.as_ref() != Some(&reason)
                    && events
                        .send(LinkEvent::Down {
                            reason: reason.clone(),
                        })
                        .is_err()
                {
                    return;
                }
                if fatal {
                    return;
                }
                last_reason = Some(reason);
                // A poke (the operator just plugged in or activated the unit) tries at once.
                tokio::select! {
                    _ = crate::timebase::sleep(CONNECT_RETRY) => {}
                    asked = refresh.recv() => if asked.is_none() { return },
                }
            }
        }
    }
    loop {
        tokio::select! {
            event = link.next_event() => match event {
                Some(event) => {
                    if events.send(event).is_err() {
                        return;
                    }
                }
                None => return,
            },
            asked = refresh.recv() => {
                if asked.is_none() {
                    return;
                }
                if let Err(e) = link.refresh().await {
                    let _ = events.send(LinkEvent::Down { reason: e.to_string() });
                }
            }
        }
    }
}

//! The link task every front end runs its unit through, and what its events mean to the
//! engine.

use std::time::Duration;

use tokio::sync::mpsc;

use crate::bms::link::{BmsLink, DownReason, LinkError, LinkEvent};
use crate::wizard::engine::BmsInput;
use crate::wizard::words::{Arg, Say, Unit};

/// What a link reported, as the engine's input; `Err` with the reason for a refused frame,
/// which is shown but not recorded.
pub fn bms_input(event: LinkEvent) -> Result<BmsInput, String> {
    Ok(match event {
        LinkEvent::Up { peer } => BmsInput::Up { peer },
        LinkEvent::Down { reason } => BmsInput::Down {
            reason: reason.to_string(),
        },
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
        LinkError::Unavailable(why) => down_say(why),
        // The replay's own sentence.
        LinkError::NotInCapture(text) => Say::new("entry.as_written", [("text", v(text))]),
        LinkError::Closed => Say::plain("link.closed"),
        LinkError::Other(detail) => Say::new("link.other", [("detail", v(detail))]),
    }
}

/// Why the connection went down, as a sentence with its values (`link.down.*`), for the
/// front ends to word in the operator's language. What the Bluetooth stack or a recording
/// said is carried along as it is.
pub fn down_say(why: &DownReason) -> Say {
    let v = Arg::verbatim;
    match why {
        DownReason::NotAnswering => Say::plain("link.down.not_answering"),
        DownReason::OutOfRange => Say::plain("link.down.out_of_range"),
        DownReason::Silent { secs } => Say::new(
            "link.down.silent",
            [("secs", Arg::quantity(*secs as f64, Unit::S, 0))],
        ),
        DownReason::Dropped => Say::plain("link.down.dropped"),
        DownReason::Reconnecting(address) => {
            Say::new("link.down.reconnecting", [("address", v(address))])
        }
        DownReason::SendFailed(detail) => {
            Say::new("link.down.send_failed", [("detail", v(detail))])
        }
        DownReason::Link(e) => link_error_say(e),
        DownReason::Recorded(text) => Say::new("link.down.recorded", [("text", v(text))]),
        DownReason::ReplayEnded { name, secs } => Say::new(
            "link.down.replay_ended",
            [
                ("name", v(name)),
                ("secs", Arg::quantity(*secs, Unit::S, 1)),
            ],
        ),
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
                let reason = DownReason::Link(e);
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
                    let _ = events.send(LinkEvent::Down {
                        reason: DownReason::Link(e),
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wizard::words::builtin;

    /// Every way a link goes down is worded in every language, and its English words are the
    /// very sentence the journal and a capture keep (its `Display`).
    #[test]
    fn why_a_link_went_down_is_worded_in_every_language() {
        let spec = builtin();
        let all = [
            DownReason::NotAnswering,
            DownReason::OutOfRange,
            DownReason::Silent { secs: 50 },
            DownReason::Dropped,
            DownReason::Reconnecting("C8:47:80:12:34:56".into()),
            DownReason::SendFailed("le-connection-abort-by-local".into()),
            DownReason::Link(LinkError::NoAdapter),
            DownReason::Recorded("the unit dropped the Bluetooth connection".into()),
            DownReason::ReplayEnded {
                name: "bench.jkcap".into(),
                secs: 12.5,
            },
        ];
        for why in &all {
            // A recording's own words stay as recorded; the rest is this language's.
            let recorded = matches!(why, DownReason::Recorded(_));
            crate::wizard::words::assert_worded_everywhere(
                &down_say(why),
                &why.to_string(),
                recorded,
            );
        }
        let pl = |why: &DownReason| down_say(why).render(spec, "pl");
        assert_eq!(
            pl(&DownReason::NotAnswering),
            "BMS nie odpowiada: wtyczka ogniw wyjęta albo BMS nieaktywny"
        );
        assert!(pl(&all[2]).contains("50 s"), "{}", pl(&all[2]));
        assert!(pl(&all[8]).contains("12,5 s"), "decimals the Polish way");
    }
}

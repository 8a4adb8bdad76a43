//! A recorded unit behind the [`BmsLink`] trait: a capture (`bms::capture`) played back at
//! its own pace — on tokio's clock, so on a paused runtime in virtual time — through the same
//! [`FrameStream`] the live links use. A request the session makes (`refresh`) is answered
//! the way the unit answered the same command in the recording; when the capture holds no
//! such answer, or has run out, the link says so in a sentence instead of making data up.

use std::collections::VecDeque;
use std::time::Duration;

use crate::timebase::{self, sleep_until, Instant};

use crate::bms::capture::{Capture, Direction, Entry, Tap};
use crate::bms::decode::FrameStream;
use crate::bms::frame::{command, Reassembler, CMD_CELL_INFO};
use crate::bms::link::{BmsLink, DownReason, LinkError, LinkEvent, REPLAY_PEER_PREFIX};
use crate::bms::model::Frame;

/// A command the timeline plays anyway is not answered twice: the recorded command within
/// this much of now (before or after) stands for the one asked for.
const AHEAD: Duration = Duration::from_secs(1);

/// How long after its last entry a capture's end is reported. Not at once: the session goes
/// on deciding from what came last (a gate on the last settings frame), as it did live,
/// before it hears that nothing more will come.
pub const END_GRACE: Duration = Duration::from_secs(5);

/// One entry of the timeline, placed on one clock across the segments.
#[derive(Debug, Clone)]
struct Timed {
    at: Duration,
    entry: Entry,
}

/// A [`BmsLink`] playing a capture back.
pub struct ReplayLink {
    name: String,
    timeline: Vec<Timed>,
    next: usize,
    start: Option<Instant>,
    stream: FrameStream,
    pending: VecDeque<LinkEvent>,
    ended: bool,
    tap: Option<Tap>,
}

impl ReplayLink {
    /// Play `capture`; `name` (the file's name) is what the peer is called: `replay:<name>`.
    /// Segments follow one another: each starts where the one before it ended.
    pub fn new(capture: &Capture, name: &str) -> Self {
        let mut timeline = Vec::new();
        let mut offset = Duration::ZERO;
        for segment in &capture.segments {
            let mut last = offset;
            for entry in &segment.entries {
                let at = offset + Duration::from_millis(entry.at_ms);
                last = at;
                timeline.push(Timed {
                    at,
                    entry: entry.clone(),
                });
            }
            offset = last;
        }
        ReplayLink {
            name: name.to_string(),
            timeline,
            next: 0,
            start: None,
            stream: FrameStream::new(None),
            pending: VecDeque::new(),
            ended: false,
            tap: None,
        }
    }

    /// The capture's name, as given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The peer name a replay of `name` reports.
    pub fn peer(name: &str) -> String {
        format!("{REPLAY_PEER_PREFIX}{name}")
    }

    fn decode_into(&mut self, bytes: &[u8], separate: bool) {
        if let Some(tap) = &self.tap {
            tap.notification(bytes);
        }
        // An answer played out of turn must not join a frame the timeline has half sent.
        let mut own;
        let stream = if separate {
            own = FrameStream::new(self.stream.layout());
            &mut own
        } else {
            &mut self.stream
        };
        for result in stream.push(bytes) {
            self.pending.push_back(match result {
                Ok(frame) => frame_event(frame),
                Err(e) => LinkEvent::Rejected {
                    reason: e.to_string(),
                },
            });
        }
    }

    /// Play one timeline entry.
    fn play(&mut self, entry: Entry) {
        match entry.direction {
            Direction::In => self.decode_into(&entry.payload, false),
            Direction::Out => {
                if let Some(tap) = &self.tap {
                    tap.command(&entry.payload);
                }
            }
            Direction::Up => {
                self.stream.clear_buffer();
                self.push(LinkEvent::Up {
                    peer: Self::peer(&self.name),
                });
            }
            Direction::Down => self.push(LinkEvent::Down {
                reason: DownReason::Recorded(entry.text().to_string()),
            }),
        }
    }

    fn push(&mut self, event: LinkEvent) {
        if let Some(tap) = &self.tap {
            event.record_in(tap);
        }
        self.pending.push_back(event);
    }

    fn now(&self) -> Duration {
        self.start.map_or(Duration::ZERO, timebase::since)
    }

    /// The notifications the unit sent in answer to the recorded `cmd` nearest before now
    /// (else the first after): those up to its first whole frame. `None` if it never was.
    fn answer_to(&self, cmd: &[u8]) -> Option<Vec<Vec<u8>>> {
        let now = self.now();
        let asked: Vec<usize> = (0..self.timeline.len())
            .filter(|&i| {
                let e = &self.timeline[i].entry;
                e.direction == Direction::Out && e.payload == cmd
            })
            .collect();
        let at = asked
            .iter()
            .rev()
            .find(|&&i| self.timeline[i].at <= now)
            .or(asked.first())?;
        let mut reassembler = Reassembler::new();
        let mut notes = Vec::new();
        for t in &self.timeline[at + 1..] {
            if t.entry.direction != Direction::In {
                break;
            }
            notes.push(t.entry.payload.clone());
            if !reassembler.push(&t.entry.payload).is_empty() {
                return Some(notes);
            }
        }
        (!notes.is_empty()).then_some(notes)
    }
}

impl BmsLink for ReplayLink {
    /// Starts the playback clock; refused only for a capture with nothing in it.
    async fn connect(&mut self) -> Result<(), LinkError> {
        if self.timeline.is_empty() {
            return Err(LinkError::NotInCapture(format!(
                "the capture {} holds no traffic to replay",
                self.name
            )));
        }
        if self.start.is_none() {
            self.start = Some(timebase::now());
        }
        Ok(())
    }

    /// The next recorded event at its time; at the end of the capture a `Down` that says so,
    /// then `None`. Cancel-safe: nothing moves until its time has come.
    async fn next_event(&mut self) -> Option<LinkEvent> {
        let start = self.start?;
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(event);
            }
            if self.ended {
                return None;
            }
            let Some(timed) = self.timeline.get(self.next).cloned() else {
                let last = self.timeline.last().map_or(Duration::ZERO, |t| t.at);
                sleep_until(start + last + END_GRACE).await;
                self.ended = true;
                let last = last.as_secs_f64();
                self.push(LinkEvent::Down {
                    reason: DownReason::ReplayEnded {
                        name: self.name.clone(),
                        secs: last,
                    },
                });
                continue;
            };
            sleep_until(start + timed.at).await;
            self.next += 1;
            self.play(timed.entry);
        }
    }

    /// Ask for settings and live data again (0x96): answered with what the unit answered the
    /// same command in the recording, unless the recording sent it around now anyway.
    async fn refresh(&mut self) -> Result<(), LinkError> {
        if self.start.is_none() {
            return Err(LinkError::Closed);
        }
        let cmd = command(CMD_CELL_INFO, &[]);
        let now = self.now();
        // The recording asked the same around now (just played, or about to be): the
        // timeline's answer is this one's.
        let soon = self.timeline.iter().any(|t| {
            t.entry.direction == Direction::Out
                && t.entry.payload == cmd
                && t.at.abs_diff(now) <= AHEAD
        });
        if soon {
            return Ok(());
        }
        let Some(notes) = self.answer_to(&cmd) else {
            return Err(LinkError::NotInCapture(format!(
                "the capture {} holds no answer to a request for settings and live data \
                 (command 0x96): the recorded unit was never asked for them",
                self.name
            )));
        };
        if let Some(tap) = &self.tap {
            tap.command(&cmd);
        }
        for note in notes {
            self.decode_into(&note, true);
        }
        Ok(())
    }

    fn set_tap(&mut self, tap: Tap) {
        self.tap = Some(tap);
    }
}

fn frame_event(frame: Frame) -> LinkEvent {
    match frame {
        Frame::DeviceInfo(d) => LinkEvent::DeviceInfo(d),
        Frame::Settings(s) => LinkEvent::Settings(s),
        Frame::CellInfo(c) => LinkEvent::CellInfo(c),
        Frame::Logbook(l) => LinkEvent::Logbook(l),
    }
}

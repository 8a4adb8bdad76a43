//! The conversation with a unit as a pure state machine: what to send after connecting, when
//! the live stream stalled, and when to give up and reconnect. Time is passed in, so the BLE
//! link and the simulator share it and tests need no clock. OWNER: simulator helper.

use std::time::Duration;

use crate::bms::frame::{command, CMD_CELL_INFO, CMD_DEVICE_INFO, CMD_LOGBOOK, COMMAND_LEN};
use crate::bms::model::Frame;

/// How long to wait for device info before asking again. A unit answers 0x97 within a few
/// hundred milliseconds; 3 s covers a slow first notification after subscribing without
/// leaving the operator looking at an empty screen.
pub const DEVICE_INFO_RETRY: Duration = Duration::from_secs(3);

/// A live stream that sent no cell-info frame for this long is considered stalled and 0x96 is
/// sent again. Units send one every 0.5–1 s, so 5 s is several missed frames, not jitter.
pub const STALL_INTERVAL: Duration = Duration::from_secs(5);

/// After this many stall intervals without progress (≈ 50 s) the unit is considered gone and
/// the link reconnects. Re-requesting ten times rides out a busy phone app or a brief radio
/// shadow; beyond that a fresh connection is the only thing that has been seen to help.
pub const SILENT_INTERVALS: u32 = 10;

/// The silence after which the session asks for a reconnect.
pub const RECONNECT_AFTER: Duration =
    Duration::from_secs(STALL_INTERVAL.as_secs() * SILENT_INTERVALS as u64);

/// What the link must do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionAction {
    /// Write this command to the unit.
    Send([u8; COMMAND_LEN]),
    /// The unit is silent for too long: drop the connection and connect again.
    Reconnect,
}

/// Where the conversation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Phase {
    /// Not connected (before the first connect, or after asking for a reconnect).
    #[default]
    Idle,
    /// 0x97 sent, waiting for the device-info frame.
    AwaitingDeviceInfo,
    /// 0x96 sent: settings and the live cell-info stream are expected.
    Streaming,
}

/// Handshake and watchdog state of one connection.
#[derive(Debug, Default)]
pub struct Session {
    phase: Phase,
    /// When the last request of the current phase (0x97 or 0x96) went out.
    last_request: Duration,
    /// When the conversation last moved forward: connected, device info, or a cell-info frame.
    last_progress: Duration,
    /// The unit's firmware keeps a logbook worth asking for.
    keeps_logbook: bool,
}

impl Session {
    /// A session before connecting.
    pub fn new() -> Self {
        Self::default()
    }

    /// Where the conversation is.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Subscribed to notifications at `now`: start the handshake.
    pub fn on_connected(&mut self, now: Duration) -> Vec<SessionAction> {
        self.phase = Phase::AwaitingDeviceInfo;
        self.last_request = now;
        self.last_progress = now;
        vec![SessionAction::Send(command(CMD_DEVICE_INFO, &[]))]
    }

    /// A frame was decoded at `now`.
    pub fn on_frame(&mut self, frame: &Frame, now: Duration) -> Vec<SessionAction> {
        match (self.phase, frame) {
            (Phase::AwaitingDeviceInfo, Frame::DeviceInfo(info)) => {
                self.keeps_logbook = info.keeps_logbook();
                self.phase = Phase::Streaming;
                self.last_request = now;
                self.last_progress = now;
                vec![SessionAction::Send(command(CMD_CELL_INFO, &[]))]
            }
            (Phase::Streaming, Frame::CellInfo(_)) => {
                self.last_progress = now;
                Vec::new()
            }
            // Settings come after every 0x96: the operator may have changed something in the
            // app, so read the logbook again too (it shows a battery type chosen twice).
            (Phase::Streaming, Frame::Settings(_)) if self.keeps_logbook => {
                vec![SessionAction::Send(command(CMD_LOGBOOK, &[]))]
            }
            // A late answer to a repeated 0x97, a settings frame, a logbook: none of them
            // proves the live stream runs, so they do not feed the watchdog.
            _ => Vec::new(),
        }
    }

    /// Time passed; call about once a second.
    pub fn on_tick(&mut self, now: Duration) -> Vec<SessionAction> {
        if self.phase == Phase::Idle {
            return Vec::new();
        }
        if now.saturating_sub(self.last_progress) >= RECONNECT_AFTER {
            self.phase = Phase::Idle;
            return vec![SessionAction::Reconnect];
        }
        let (retry, cmd) = match self.phase {
            Phase::AwaitingDeviceInfo => (DEVICE_INFO_RETRY, CMD_DEVICE_INFO),
            Phase::Streaming => (STALL_INTERVAL, CMD_CELL_INFO),
            Phase::Idle => unreachable!("handled above"),
        };
        // Measured from the later of the last request and the last progress, so a stream
        // that runs is never interrupted and a silent one is asked once per interval.
        let since = now.saturating_sub(self.last_request.max(self.last_progress));
        if since >= retry {
            self.last_request = now;
            vec![SessionAction::Send(command(cmd, &[]))]
        } else {
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bms::model::{CellInfo, DeviceInfo, Layout, Settings};

    fn s(secs: f64) -> Duration {
        Duration::from_secs_f64(secs)
    }

    fn sends(cmd: u8) -> Vec<SessionAction> {
        vec![SessionAction::Send(command(cmd, &[]))]
    }

    fn cell_info() -> Frame {
        Frame::CellInfo(CellInfo {
            layout: Layout::S32,
            counter: 0,
            cell_voltages: vec![],
            enabled_mask: 0,
            average_voltage: Default::default(),
            delta_voltage: Default::default(),
            max_cell: 0,
            min_cell: 0,
            lead_resistances: vec![],
            lead_warning_bits: 0,
            mos_temperature: Default::default(),
            pack_voltage: Default::default(),
            current: Default::default(),
            probes: vec![],
            alarm_bits: 0,
            balancing_current: Default::default(),
            balancing_action: Default::default(),
            soc: 0,
            remaining_capacity: Default::default(),
            full_capacity: Default::default(),
            cycle_count: 0,
            charging: false,
            discharging: false,
            temp_sensor_bits: 0,
            emergency: None,
        })
    }

    fn device_info() -> Frame {
        Frame::DeviceInfo(DeviceInfo::default())
    }

    #[test]
    fn the_logbook_is_read_after_settings_on_firmware_that_keeps_one() {
        let settings = Frame::Settings(Settings::default());
        for (version, asks) in [
            ("19.27", true),
            ("11.61", true),
            ("10.07", false),
            ("", false),
        ] {
            let mut session = Session::new();
            session.on_connected(s(0.0));
            let info = Frame::DeviceInfo(DeviceInfo {
                software_version: version.into(),
                ..DeviceInfo::default()
            });
            session.on_frame(&info, s(1.0));
            let expected = if asks { sends(CMD_LOGBOOK) } else { Vec::new() };
            assert_eq!(session.on_frame(&settings, s(1.5)), expected, "{version}");
        }
    }

    /// A session that completed the handshake at t = 1 s.
    fn streaming() -> Session {
        let mut session = Session::new();
        session.on_connected(s(0.0));
        session.on_frame(&device_info(), s(1.0));
        session
    }

    #[test]
    fn idle_session_does_nothing() {
        let mut session = Session::new();
        assert_eq!(session.phase(), Phase::Idle);
        assert!(session.on_tick(s(100.0)).is_empty());
        assert!(session.on_frame(&cell_info(), s(100.0)).is_empty());
    }

    #[test]
    fn connecting_asks_for_device_info_first() {
        let mut session = Session::new();
        assert_eq!(session.on_connected(s(0.0)), sends(CMD_DEVICE_INFO));
        assert_eq!(session.phase(), Phase::AwaitingDeviceInfo);
    }

    #[test]
    fn device_info_starts_settings_and_stream() {
        let mut session = Session::new();
        session.on_connected(s(0.0));
        assert_eq!(
            session.on_frame(&device_info(), s(0.4)),
            sends(CMD_CELL_INFO)
        );
        assert_eq!(session.phase(), Phase::Streaming);
        // A second device-info frame (answer to a repeated 0x97) does not restart the stream.
        assert!(session.on_frame(&device_info(), s(0.5)).is_empty());
    }

    #[test]
    fn frames_before_device_info_do_not_advance_the_handshake() {
        let mut session = Session::new();
        session.on_connected(s(0.0));
        assert!(session.on_frame(&cell_info(), s(0.5)).is_empty());
        assert!(session
            .on_frame(&Frame::Settings(Settings::default()), s(0.6))
            .is_empty());
        assert_eq!(session.phase(), Phase::AwaitingDeviceInfo);
    }

    #[test]
    fn missing_device_info_is_asked_for_again_every_3_s() {
        let mut session = Session::new();
        session.on_connected(s(0.0));
        assert!(session.on_tick(s(1.0)).is_empty());
        assert!(session.on_tick(s(2.9)).is_empty());
        assert_eq!(session.on_tick(s(3.0)), sends(CMD_DEVICE_INFO));
        assert!(session.on_tick(s(4.0)).is_empty());
        assert_eq!(session.on_tick(s(6.0)), sends(CMD_DEVICE_INFO));
    }

    #[test]
    fn a_running_stream_is_left_alone() {
        let mut session = streaming();
        for i in 0..200 {
            let now = s(1.5 + f64::from(i) * 0.8);
            assert!(session.on_frame(&cell_info(), now).is_empty());
            assert!(session.on_tick(now + s(0.1)).is_empty(), "at {now:?}");
        }
    }

    #[test]
    fn a_stalled_stream_is_requested_again_every_5_s() {
        let mut session = streaming();
        session.on_frame(&cell_info(), s(2.0));
        assert!(session.on_tick(s(6.9)).is_empty());
        assert_eq!(session.on_tick(s(7.0)), sends(CMD_CELL_INFO));
        assert!(session.on_tick(s(8.0)).is_empty());
        assert!(session.on_tick(s(11.9)).is_empty());
        assert_eq!(session.on_tick(s(12.0)), sends(CMD_CELL_INFO));
        // The stream comes back: the watchdog is quiet again.
        session.on_frame(&cell_info(), s(12.5));
        assert!(session.on_tick(s(17.0)).is_empty());
        assert_eq!(session.on_tick(s(17.5)), sends(CMD_CELL_INFO));
    }

    #[test]
    fn settings_frames_alone_do_not_count_as_a_stream() {
        let mut session = streaming();
        // Each re-request yields a settings frame, but no cell info: still silent.
        for t in [5.0, 10.0, 15.0] {
            session.on_frame(&Frame::Settings(Settings::default()), s(t + 0.2));
        }
        assert_eq!(session.on_tick(s(51.0)), vec![SessionAction::Reconnect]);
    }

    #[test]
    fn ten_silent_intervals_ask_for_a_reconnect_once() {
        let mut session = streaming();
        session.on_frame(&cell_info(), s(2.0));
        let mut requests = 0;
        let mut t = 2.0;
        let mut reconnect_at = None;
        while t < 80.0 {
            t += 1.0;
            for action in session.on_tick(s(t)) {
                match action {
                    SessionAction::Send(cmd) => {
                        assert_eq!(cmd, command(CMD_CELL_INFO, &[]));
                        requests += 1;
                    }
                    SessionAction::Reconnect => {
                        assert!(reconnect_at.is_none(), "reconnect asked twice");
                        reconnect_at = Some(t);
                    }
                }
            }
        }
        assert_eq!(reconnect_at, Some(52.0));
        assert_eq!(requests, SILENT_INTERVALS as usize - 1);
        assert_eq!(session.phase(), Phase::Idle);
        // After reconnecting the handshake starts over.
        assert_eq!(session.on_connected(s(90.0)), sends(CMD_DEVICE_INFO));
        assert!(session.on_tick(s(92.0)).is_empty());
    }

    #[test]
    fn a_unit_that_never_sends_device_info_is_reconnected() {
        let mut session = Session::new();
        session.on_connected(s(0.0));
        let mut got = Vec::new();
        for t in 1..=60 {
            got.extend(session.on_tick(s(f64::from(t))));
        }
        assert_eq!(got.last(), Some(&SessionAction::Reconnect));
        assert_eq!(
            got.iter()
                .filter(|a| **a == sends(CMD_DEVICE_INFO)[0])
                .count(),
            16,
            "0x97 every 3 s until 50 s"
        );
    }
}

//! The simulated unit behind the link trait, with a paused clock: the handshake, the live
//! stream's pace, round trips through the real codec, the control API, and the session's
//! stall and reconnect handling.

use std::time::Duration;

use jk_commission::bms::decode::FrameStream;
use jk_commission::bms::frame::{command, CMD_DEVICE_INFO, CMD_LOGBOOK};
use jk_commission::bms::link::{BmsLink, DownReason, LinkError, LinkEvent};
use jk_commission::bms::model::{Alarm, AppAction, CellInfo, Chemistry, Frame, Layout, Settings};
use jk_commission::bms::sim::responder::Responder;
use jk_commission::bms::sim::{Fault, SimConfig, SimControl, SimLink, SimUnit};
use jk_commission::units::{Amps, Volts};
use tokio::time::{timeout, Instant};

fn link(config: SimConfig) -> SimLink {
    SimLink::new(SimControl::from_config(config).expect("valid config"))
}

async fn connected(config: SimConfig) -> SimLink {
    let mut link = link(config);
    link.connect().await.expect("the unit answers");
    link
}

/// The next event within `within`, or `None` if nothing came.
async fn next_within(link: &mut SimLink, within: Duration) -> Option<LinkEvent> {
    timeout(within, link.next_event())
        .await
        .ok()
        .map(|e| e.expect("the link stays open"))
}

async fn next(link: &mut SimLink) -> LinkEvent {
    next_within(link, Duration::from_secs(120))
        .await
        .expect("an event within 120 s")
}

/// Skip events until one matches; panics after `limit` of simulated time.
async fn wait_for<T>(
    link: &mut SimLink,
    limit: Duration,
    mut want: impl FnMut(&LinkEvent) -> Option<T>,
) -> T {
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let event = next_within(link, left)
            .await
            .unwrap_or_else(|| panic!("nothing wanted within {limit:?}"));
        if let Some(t) = want(&event) {
            return t;
        }
    }
}

async fn next_cells(link: &mut SimLink) -> CellInfo {
    wait_for(link, Duration::from_secs(10), |e| match e {
        LinkEvent::CellInfo(c) => Some(c.clone()),
        _ => None,
    })
    .await
}

async fn next_settings(link: &mut SimLink, limit: Duration) -> Settings {
    wait_for(link, limit, |e| match e {
        LinkEvent::Settings(s) => Some(s.clone()),
        _ => None,
    })
    .await
}

fn kind(e: &LinkEvent) -> &'static str {
    match e {
        LinkEvent::Up { .. } => "up",
        LinkEvent::Down { .. } => "down",
        LinkEvent::DeviceInfo(_) => "device_info",
        LinkEvent::Settings(_) => "settings",
        LinkEvent::CellInfo(_) => "cell_info",
        LinkEvent::Logbook(_) => "logbook",
        LinkEvent::Rejected { .. } => "rejected",
    }
}

#[tokio::test(start_paused = true)]
async fn handshake_device_info_then_settings_then_cells() {
    let mut link = connected(SimConfig::ready()).await;
    let mut kinds = Vec::new();
    let mut settings_at = None;
    for _ in 0..5 {
        let e = next(&mut link).await;
        if matches!(e, LinkEvent::Settings(_)) {
            settings_at = Some(Instant::now());
        }
        if let LinkEvent::CellInfo(_) = e {
            let gap = Instant::now() - settings_at.expect("settings came first");
            assert!(gap >= Duration::from_millis(500) && gap <= Duration::from_secs(1));
        }
        kinds.push(kind(&e));
    }
    // 11.x firmware keeps a logbook: it is read after every settings frame.
    assert_eq!(
        kinds,
        ["up", "device_info", "settings", "logbook", "cell_info"]
    );
}

#[tokio::test(start_paused = true)]
async fn cell_info_comes_every_half_to_one_second_with_advancing_counters() {
    let mut link = connected(SimConfig::ready()).await;
    let mut last: Option<(Instant, u8)> = None;
    for _ in 0..40 {
        let cells = next_cells(&mut link).await;
        let now = Instant::now();
        if let Some((t, counter)) = last {
            let gap = now - t;
            assert!(
                gap >= Duration::from_millis(500) && gap <= Duration::from_millis(1000),
                "{gap:?}"
            );
            assert_eq!(cells.counter, counter.wrapping_add(1));
        }
        last = Some((now, cells.counter));
    }
    // Runtime counts along with the stream.
    let up = link.control().read(|u| u.device_info().uptime_s);
    assert!((20..=40).contains(&up), "uptime {up}");
}

#[tokio::test(start_paused = true)]
async fn frames_decode_to_the_simulators_state_for_both_layouts() {
    let cases = [
        (Layout::S24, 4),
        (Layout::S24, 8),
        (Layout::S24, 16),
        (Layout::S24, 24),
        (Layout::S32, 4),
        (Layout::S32, 8),
        (Layout::S32, 16),
        (Layout::S32, 32),
    ];
    for (layout, cells) in cases {
        let config = SimConfig::ready().with_layout(layout).with_cells(cells);
        let mut link = connected(config).await;
        let control = link.control().clone();
        let mut seen = 0;
        while seen < 6 {
            match next(&mut link).await {
                LinkEvent::DeviceInfo(d) => {
                    assert_eq!(d, control.read(SimUnit::device_info), "{layout} {cells}");
                }
                LinkEvent::Settings(s) => {
                    assert_eq!(s, control.read(|u| u.settings().clone()));
                    assert_eq!(s.cell_count, cells);
                    assert_eq!(s.control.is_some(), layout == Layout::S32);
                }
                LinkEvent::CellInfo(c) => {
                    let expected = control.read(|u| u.cell_info(c.counter));
                    assert_eq!(c, expected, "{layout} {cells}");
                    assert_eq!(c.layout, layout);
                    assert_eq!(c.connected_count(), cells);
                    assert_eq!(c.cell_voltages.len(), layout.slots());
                    seen += 1;
                }
                LinkEvent::Up { .. } | LinkEvent::Logbook(_) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    }
}

#[test]
fn the_unit_answers_real_command_bytes_and_ignores_a_bad_sum() {
    let unit = SimUnit::new(SimConfig::ready()).unwrap();
    let mut responder = Responder::new(1);
    let mut stream = FrameStream::new(None);
    let mut bad = command(CMD_DEVICE_INFO, &[]);
    bad[19] ^= 1;
    assert!(responder.on_command(&unit, &bad).is_empty());
    let notes = responder.on_command(&unit, &command(CMD_DEVICE_INFO, &[]));
    assert_eq!(notes[0].len(), 20, "the acknowledgement comes first");
    let frames: Vec<Frame> = notes
        .iter()
        .flat_map(|n| stream.push(n))
        .map(|r| r.expect("a good frame"))
        .collect();
    assert_eq!(frames, [Frame::DeviceInfo(unit.device_info())]);
    // The passcodes travel inside the frame, as on a real unit (and never reach the model).
    let raw: Vec<u8> = notes[1..].concat();
    let text = String::from_utf8_lossy(&raw);
    assert!(text.contains("1234") && text.contains("123456"));
}

#[tokio::test(start_paused = true)]
async fn app_actions_change_what_the_next_frames_say() {
    let mut link = connected(SimConfig::fresh().plugged_in(true).activated(true)).await;
    let control = link.control().clone();
    let s = next_settings(&mut link, Duration::from_secs(5)).await;
    assert_eq!(s.cell_ovp, Volts(4.20));

    control
        .apply(&AppAction::BatteryType(Chemistry::LiFePo4))
        .unwrap();
    link.refresh().await.unwrap();
    let s = next_settings(&mut link, Duration::from_secs(5)).await;
    assert_eq!(s.cell_ovp, Volts(3.60));
    assert_eq!(logbook_codes(&control).last(), Some(&0x44));

    control.apply(&AppAction::CellCount(16)).unwrap();
    link.refresh().await.unwrap();
    assert_eq!(
        next_settings(&mut link, Duration::from_secs(5))
            .await
            .cell_count,
        16
    );
    let cells = next_cells(&mut link).await;
    assert!(!cells.alarms().contains(&Alarm::CellCountMismatch));

    // Choosing the battery type again restores the factory set: the cell count is gone.
    control
        .apply(&AppAction::BatteryType(Chemistry::LiFePo4))
        .unwrap();
    link.refresh().await.unwrap();
    assert_eq!(
        next_settings(&mut link, Duration::from_secs(5))
            .await
            .cell_count,
        24
    );
    let cells = next_cells(&mut link).await;
    assert!(cells.alarms().contains(&Alarm::CellCountMismatch));
    let resets = logbook_codes(&control)
        .iter()
        .filter(|c| **c == 0x44)
        .count();
    assert_eq!(resets, 2);
}

/// The logbook as the unit sends it for 0xA1, decoded by the codec.
fn logbook_codes(control: &SimControl) -> Vec<u8> {
    let unit = control.snapshot();
    let mut responder = Responder::new(2);
    let mut stream = FrameStream::new(None);
    let notes = responder.on_command(&unit, &command(CMD_LOGBOOK, &[]));
    let frames: Vec<Frame> = notes
        .iter()
        .flat_map(|n| stream.push(n))
        .map(Result::unwrap)
        .collect();
    match frames.as_slice() {
        [Frame::Logbook(log)] => {
            assert_eq!(log, unit.logbook());
            log.entries.iter().map(|e| e.code).collect()
        }
        other => panic!("expected one logbook frame, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn plug_out_takes_the_link_down_until_plugged_in_and_activated() {
    let mut link = connected(SimConfig::ready()).await;
    let control = link.control().clone();
    next_cells(&mut link).await;
    control.apply(&AppAction::BalancePlug(false)).unwrap();
    match next(&mut link).await {
        LinkEvent::Down { reason } => assert_eq!(reason, DownReason::NotAnswering),
        other => panic!("expected Down, got {other:?}"),
    }
    assert!(next_within(&mut link, Duration::from_secs(30))
        .await
        .is_none());
    assert!(matches!(
        link.refresh().await,
        Err(LinkError::Unavailable(_))
    ));
    control.apply(&AppAction::BalancePlug(true)).unwrap();
    assert!(
        next_within(&mut link, Duration::from_secs(30))
            .await
            .is_none(),
        "plugged in but not activated: still silent"
    );
    control.apply(&AppAction::Activate).unwrap();
    let kinds: Vec<&str> = {
        let mut v = Vec::new();
        for _ in 0..5 {
            v.push(kind(
                &next_within(&mut link, Duration::from_secs(5))
                    .await
                    .unwrap(),
            ));
        }
        v
    };
    assert_eq!(
        kinds,
        ["up", "device_info", "settings", "logbook", "cell_info"]
    );
}

#[tokio::test(start_paused = true)]
async fn connecting_to_a_unit_that_does_not_answer_fails_with_a_sentence() {
    let mut link = link(SimConfig::fresh());
    let err = link.connect().await.unwrap_err();
    assert!(
        err.to_string()
            .contains("balance plug out or not activated"),
        "{err}"
    );
    link.control().apply(&AppAction::BalancePlug(true)).unwrap();
    link.control().apply(&AppAction::Activate).unwrap();
    link.connect().await.unwrap();
    assert!(matches!(next(&mut link).await, LinkEvent::Up { .. }));
}

#[tokio::test(start_paused = true)]
async fn a_stalled_stream_is_requested_again_and_resumes() {
    let mut link = connected(SimConfig::ready()).await;
    next_cells(&mut link).await;
    let stalled_at = Instant::now();
    link.control().inject(&Fault::StallStream).unwrap();
    let mut kinds = Vec::new();
    let mut settings_at = None;
    while !kinds.contains(&"cell_info") {
        let e = next_within(&mut link, Duration::from_secs(10))
            .await
            .expect("the stream comes back");
        if matches!(e, LinkEvent::Settings(_)) {
            settings_at = Some(Instant::now() - stalled_at);
        }
        kinds.push(kind(&e));
    }
    // The session noticed about 5 s of silence and sent 0x96: a settings frame (and the
    // logbook read after it), then cells.
    assert_eq!(kinds, ["settings", "logbook", "cell_info"]);
    let after = settings_at.unwrap();
    assert!(
        after >= Duration::from_secs(5) && after <= Duration::from_secs(7),
        "{after:?}"
    );
    for _ in 0..5 {
        next_cells(&mut link).await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_silent_unit_is_reconnected_and_the_stream_resumes() {
    let mut link = connected(SimConfig::ready()).await;
    next_cells(&mut link).await;
    let since = Instant::now();
    link.control()
        .inject(&Fault::Silence { seconds: 70.0 })
        .unwrap();
    let reason = wait_for(&mut link, Duration::from_secs(60), |e| match e {
        LinkEvent::Down { reason } => Some(reason.clone()),
        LinkEvent::CellInfo(_) => panic!("a mute unit sent cells"),
        _ => None,
    })
    .await;
    let down_after = Instant::now() - since;
    assert_eq!(reason, DownReason::Silent { secs: 50 });
    assert!(reason.to_string().contains("50 s"), "{reason}");
    assert!(down_after >= Duration::from_secs(50) && down_after <= Duration::from_secs(53));
    // The same link object comes back by itself once the unit talks again.
    let mut kinds = Vec::new();
    while !kinds.contains(&"cell_info") {
        kinds.push(kind(&next(&mut link).await));
    }
    assert_eq!(kinds.first(), Some(&"up"));
    assert!(
        kinds.ends_with(&["device_info", "settings", "logbook", "cell_info"]),
        "{kinds:?}"
    );
    assert!(Instant::now() - since >= Duration::from_secs(70));
}

#[tokio::test(start_paused = true)]
async fn a_dropped_connection_goes_down_at_once_and_comes_back() {
    let mut link = connected(SimConfig::ready()).await;
    next_cells(&mut link).await;
    let since = Instant::now();
    link.control()
        .inject(&Fault::DropLink { seconds: 90.0 })
        .unwrap();
    match next(&mut link).await {
        LinkEvent::Down { reason } => assert_eq!(reason, DownReason::OutOfRange),
        other => panic!("expected Down, got {other:?}"),
    }
    assert!(Instant::now() - since < Duration::from_secs(1));
    assert!(matches!(next(&mut link).await, LinkEvent::Up { .. }));
    assert!(Instant::now() - since >= Duration::from_secs(90));
    let counter_before = next_cells(&mut link).await.counter;
    assert_eq!(
        next_cells(&mut link).await.counter,
        counter_before.wrapping_add(1)
    );
}

#[tokio::test(start_paused = true)]
async fn charging_past_ovp_turns_the_charge_fet_off() {
    let mut link = connected(SimConfig::ready().with_soc(0.98)).await;
    let control = link.control().clone();
    control
        .apply(&AppAction::MaxChargeCurrent(Amps(150.0)))
        .unwrap();
    control.apply(&AppAction::Current(Amps(140.0))).unwrap();
    let first = next_cells(&mut link).await;
    assert!(
        first.charging && first.current > Amps(130.0),
        "charging: {first:?}"
    );
    let tripped = wait_for(&mut link, Duration::from_secs(3 * 3600), |e| match e {
        LinkEvent::CellInfo(c) if !c.charging => Some(c.clone()),
        _ => None,
    })
    .await;
    assert!(tripped.alarms().contains(&Alarm::CellOverVoltage));
    assert!(tripped.discharging, "only the charge MOSFET is off");
    let max = tripped.cell_voltages[usize::from(tripped.max_cell)];
    assert!(max >= Volts(3.55) && max <= Volts(3.70), "tripped at {max}");
    let after = next_cells(&mut link).await;
    assert_eq!(after.current, Amps(0.0), "no current flows any more");
    assert!(control.read(|u| u.logbook().entries.iter().any(|e| e.code == 0x11)));
}

#[tokio::test(start_paused = true)]
async fn a_corrupted_frame_is_refused_and_the_stream_goes_on() {
    let mut link = connected(SimConfig::ready()).await;
    let before = next_cells(&mut link).await.counter;
    link.control().inject(&Fault::CorruptNextFrame).unwrap();
    match next(&mut link).await {
        LinkEvent::Rejected { reason } => assert!(reason.contains("checksum"), "{reason}"),
        other => panic!("expected a refused frame, got {other:?}"),
    }
    // The refused frame used a counter value; the next one follows it.
    assert_eq!(next_cells(&mut link).await.counter, before.wrapping_add(2));
}

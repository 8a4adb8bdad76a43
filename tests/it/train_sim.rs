//! A unit with staged faults still behaves like a real one: its frames stay byte-correct for
//! its variant (they decode, with the real codec, to exactly the unit's state), counters and
//! uptime advance, and a drifting cell moves a little at a time.

use std::time::Duration;

use jk_commission::bms::decode::FrameStream;
use jk_commission::bms::frame::{command, CMD_CELL_INFO, CMD_DEVICE_INFO};
use jk_commission::bms::link::{BmsLink, LinkEvent};
use jk_commission::bms::model::{Alarm, AppAction, Frame, Layout};
use jk_commission::bms::sim::responder::Responder;
use jk_commission::bms::sim::unit::BALANCER_FAULT_BIT;
use jk_commission::bms::sim::{SimControl, SimLink, SimUnit};
use jk_commission::train::scenario::{Scenario, Trigger};
use jk_commission::units::Volts;
use jk_commission::wizard::spec::WizardSpec;
use tokio::time::{timeout, Instant};

/// Every kind of fault at once, on a unit of `variant`.
fn faulty(variant: &str) -> Scenario {
    let text = r#"
description: everything wrong at once
training: false
pack: {chemistry: lifepo4, cells: 16, capacity: 280}
bms: {variant: VARIANT, settings: matched}
wiring:
  - open_tap: {cell: 3}
  - ntc_absent: {probe: 2}
faults:
  - fault: {raise_alarm: {alarm: mos_over_temperature}}
  - fault: {raise_alarm: {alarm: coprocessor}}
  - fault: break_balancer
  - fault: {cutoff_at: {charge: 3.75}}
  - entering: config.control
    fault: {cell_drift: {cell: 5, volts: 2.9, seconds: 20}}
"#
    .replace("VARIANT", variant);
    Scenario::parse(&text, "faulty.yaml", "faulty", &WizardSpec::builtin()).unwrap()
}

/// The unit, powered, with every staged fault applied now.
fn powered(s: &Scenario) -> SimUnit {
    let mut unit = s.build_unit(1.0).unwrap();
    for f in &s.faults {
        if f.trigger() != Trigger::Start {
            unit.inject(&f.fault.0).unwrap();
        }
    }
    unit.apply(&AppAction::BalancePlug(true)).unwrap();
    unit.apply(&AppAction::Activate).unwrap();
    unit
}

#[test]
fn faulty_frames_are_byte_correct_for_their_variant() {
    for (variant, layout, size) in [("24s", Layout::S24, 300), ("32s", Layout::S32, 300)] {
        let unit = powered(&faulty(variant));
        let mut responder = Responder::new(7);
        // The host decides the layout itself, from the device info, as with a real unit.
        let mut stream = FrameStream::new(None);
        let mut frames = Vec::new();
        // Device info, then settings (0x96 also starts the stream), then three live frames.
        let mut batches = vec![
            responder.on_command(&unit, &command(CMD_DEVICE_INFO, &[])),
            responder.on_command(&unit, &command(CMD_CELL_INFO, &[])),
        ];
        for _ in 0..3 {
            batches.push(responder.cell_info(&unit));
        }
        for notes in batches {
            let bytes: usize = notes.iter().map(Vec::len).sum();
            assert!(bytes >= size, "{variant}: a whole frame arrives");
            for r in notes.iter().flat_map(|n| stream.push(n)) {
                frames.push(r.unwrap_or_else(|e| panic!("{variant}: {e}")));
            }
        }
        let all: Vec<_> = frames
            .iter()
            .filter_map(|f| match f {
                Frame::CellInfo(c) => Some(c.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(all.len(), 3);
        assert_eq!(all[1].counter, all[0].counter.wrapping_add(1));
        let cells = all[2].clone();
        assert_eq!(cells.layout, layout);
        assert_eq!(
            cells,
            unit.cell_info(cells.counter),
            "{variant}: decodes to the unit's state"
        );
        assert_eq!(cells.cell_voltages[2], Volts(0.0), "the open tap reads 0");
        assert_eq!(cells.connected_count(), 15);
        assert_eq!(cells.probes[1], None, "probe 2 absent");
        let alarms = Alarm::from_bits(cells.alarm_bits);
        assert!(
            alarms.contains(&Alarm::MosOverTemperature) && alarms.contains(&Alarm::Coprocessor)
        );
        // Only the 32S frame's 32-bit alarm word has room for the balancer's bit.
        let balancer = cells.alarm_bits & (1 << BALANCER_FAULT_BIT) != 0;
        assert_eq!(
            balancer,
            layout == Layout::S32,
            "{variant}: the balancer bit"
        );
        assert!(
            cells.alarm_bits >> 16 == 0 || layout == Layout::S32,
            "{variant}: 16-bit word"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn with_faults_active_the_stream_runs_on_and_values_move_plausibly() {
    for variant in ["24s", "32s"] {
        let control = SimControl::new(powered(&faulty(variant)));
        let mut link = SimLink::new(control.clone());
        link.connect().await.unwrap();
        let mut last: Option<(u8, f64)> = None;
        let mut frames = 0;
        let mut steps = 0;
        let start = Instant::now();
        while frames < 30 {
            let event = timeout(Duration::from_secs(5), link.next_event())
                .await
                .expect("the stream keeps coming")
                .expect("the link stays open");
            match event {
                LinkEvent::CellInfo(c) => {
                    assert_eq!(c, control.read(|u| u.cell_info(c.counter)));
                    let cell5 = c.cell_voltages[4].0;
                    if let Some((counter, before)) = last {
                        assert_eq!(
                            c.counter,
                            counter.wrapping_add(1),
                            "{variant}: counters advance"
                        );
                        // Drifting from 3.27 V to 2.9 V over 20 s (a steady leak, so faster
                        // where the curve is steep): down a little each frame, never a jump.
                        assert!(cell5 <= before + 0.003, "{variant}: {before} → {cell5}");
                        assert!(
                            before - cell5 < 0.15,
                            "{variant}: a jump {before} → {cell5}"
                        );
                        if before - cell5 > 0.003 {
                            steps += 1;
                        }
                    }
                    last = Some((c.counter, cell5));
                    frames += 1;
                }
                LinkEvent::Rejected { reason } => panic!("{variant}: a frame refused: {reason}"),
                _ => {}
            }
        }
        assert!(steps >= 10, "{variant}: the drift came in {steps} steps");
        let (_, end) = last.unwrap();
        assert!(
            (end - 2.9).abs() < 0.02,
            "{variant}: the drift arrived: {end}"
        );
        let uptime = control.read(|u| u.device_info().uptime_s) as u64;
        let elapsed = start.elapsed().as_secs();
        assert!(
            uptime + 1 >= elapsed && uptime <= elapsed + 1,
            "{variant}: uptime {uptime} vs {elapsed}"
        );
    }
}

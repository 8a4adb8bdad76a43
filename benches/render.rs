//! How long one frame of the busiest screen takes: a 32-cell pack live at a configuration step,
//! at 80×24 and at 160×48, drawn into ratatui's TestBackend (no terminal I/O), gates and all.

// criterion_group! generates an undocumented function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use jk_commission::bms::sim::{SimConfig, SimUnit};
use jk_commission::ui::state::UiState;
use jk_commission::ui::view::{draw, AppView, LinkView, Mode, Theme};
use jk_commission::wizard::checks::Value;
use jk_commission::wizard::engine::{Engine, Event, Leave, State};
use jk_commission::wizard::spec::WizardSpec;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

const NOW: i64 = 1_760_000_000_000;

/// A 32-cell commissioning standing at "Connect and check STATUS", the unit connected.
fn state(spec: &WizardSpec) -> State {
    let engine = Engine::new(spec);
    let mut events = engine.start(NOW, "hash", "0.1.0", "en").unwrap();
    let set = |f: &str, v: Value| Event::FieldSet {
        at: NOW,
        step: "setup.pack".into(),
        field: f.into(),
        text: String::new(),
        value: v,
    };
    events.push(set("chemistry", Value::Choice("lifepo4".into())));
    events.push(set("cells", Value::Integer(32)));
    events.push(set("capacity", Value::Number(280.0)));
    events.push(set("model", Value::Choice("b2a24s20p".into())));
    let target = spec
        .steps
        .iter()
        .position(|s| s.id == "config.status")
        .unwrap();
    for s in &spec.steps[..target] {
        events.push(Event::StepLeft {
            at: NOW,
            step: s.id.clone(),
            how: Leave::Passed,
        });
    }
    events.push(Event::StepEntered {
        at: NOW,
        step: "config.status".into(),
    });
    let mut state = engine.replay(&events);
    let unit = SimUnit::new(SimConfig::ready().with_cells(32)).unwrap();
    state.live.connected = true;
    state.live.cells = Some(unit.cell_info(1));
    state.live.cells_at_ms = Some(NOW - 500);
    state.live.settings = Some(unit.settings().clone());
    state
}

fn bench(c: &mut Criterion) {
    let spec = WizardSpec::builtin();
    let engine = Engine::new(&spec);
    let state = state(&spec);
    let ui = UiState::new(&state);
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        c.bench_function(
            &format!("32-cell screen {w}x{h}: engine view + draw"),
            |b| {
                b.iter(|| {
                    // What the loop does per redraw: ask the engine, then draw.
                    let view = AppView::build(
                        &engine,
                        &state,
                        &ui,
                        "en",
                        NOW,
                        Mode::Sim,
                        LinkView::default(),
                        String::new(),
                        Theme { color: true },
                    );
                    terminal.draw(|f| draw(f, &view)).unwrap();
                })
            },
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! The staging of a scenario's faults over a session: which are due on entering a step, which
//! after some seconds, and what a re-wiring puts right. Pure: the caller passes the events and
//! the time, and injects what comes back.

use std::time::Duration;

use crate::bms::sim::unit::Fault;
use crate::wizard::engine::{Event, Rewire};

use super::scenario::{Scenario, Trigger, WiringFault};

/// The faults still to stage, and the wiring mistakes still in the leads.
#[derive(Debug, Clone, Default)]
pub struct Stage {
    pending: Vec<(Trigger, Fault)>,
    wiring: Vec<WiringFault>,
}

/// The wiring mistakes of `wiring` that none of these re-wirings put right: what the meter
/// still reads through.
pub fn still_miswired<'r>(
    wiring: &[WiringFault],
    rewired: impl IntoIterator<Item = &'r Rewire> + Clone,
) -> Vec<WiringFault> {
    wiring
        .iter()
        .filter(|w| !rewired.clone().into_iter().any(|r| w.repaired_by(r)))
        .cloned()
        .collect()
}

impl Stage {
    /// The faults of `scenario` that are not staged at start (those are in the unit already).
    pub fn new(scenario: &Scenario) -> Self {
        Stage {
            pending: scenario
                .faults
                .iter()
                .filter(|f| f.trigger() != Trigger::Start)
                .map(|f| (f.trigger(), f.fault.0.clone()))
                .collect(),
            wiring: scenario.wiring.clone(),
        }
    }

    /// The faults due because of this event, each only once: a step entered stages its
    /// faults; a re-wiring undoes on the unit what the mistakes it puts right did there (an
    /// open lead closed, a probe plugged in; the meter reads the rest from the state).
    pub fn on_event(&mut self, event: &Event) -> Vec<Fault> {
        match event {
            Event::StepEntered { step, .. } => {
                self.take(|t| matches!(t, Trigger::Entering(s) if s == step))
            }
            Event::Rewired { what, .. } => {
                let (fixed, left): (Vec<_>, Vec<_>) = std::mem::take(&mut self.wiring)
                    .into_iter()
                    .partition(|w| w.repaired_by(what));
                self.wiring = left;
                fixed.iter().filter_map(WiringFault::repair_fault).collect()
            }
            _ => Vec::new(),
        }
    }

    /// The faults due `elapsed` into the session.
    pub fn due(&mut self, elapsed: Duration) -> Vec<Fault> {
        let secs = elapsed.as_secs_f64();
        self.take(|t| matches!(t, Trigger::After(s) if *s <= secs))
    }

    /// How far into the session the next timed fault is due.
    pub fn next_due(&self) -> Option<Duration> {
        self.pending
            .iter()
            .filter_map(|(t, _)| match t {
                Trigger::After(s) => Some(Duration::from_secs_f64(*s)),
                _ => None,
            })
            .min()
    }

    fn take(&mut self, due: impl Fn(&Trigger) -> bool) -> Vec<Fault> {
        let (now, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|(t, _)| due(t));
        self.pending = later;
        now.into_iter().map(|(_, f)| f).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bms::model::Alarm;
    use crate::wizard::spec::WizardSpec;

    #[test]
    fn faults_come_once_at_their_step_or_time() {
        let text = "description: t\npack: {chemistry: lifepo4, cells: 16, capacity: 280}\nexpect: pass\n\
faults:\n  - fault: stall_stream\n  - entering: config.control\n    fault: {raise_alarm: {alarm: coprocessor}}\n  - after_s: 20\n    fault: {drop_link: {seconds: 5}}\n";
        let s = super::super::scenario::Scenario::parse(text, "t", "t", &WizardSpec::builtin())
            .unwrap();
        let mut stage = Stage::new(&s);
        assert_eq!(stage.next_due(), Some(Duration::from_secs(20)));
        let enter = |step: &str| Event::StepEntered {
            at: 0,
            step: step.into(),
        };
        assert!(stage.on_event(&enter("config.status")).is_empty());
        assert_eq!(
            stage.on_event(&enter("config.control")),
            [Fault::RaiseAlarm {
                alarm: Alarm::Coprocessor
            }]
        );
        assert!(
            stage.on_event(&enter("config.control")).is_empty(),
            "once only"
        );
        assert!(stage.due(Duration::from_secs(19)).is_empty());
        assert_eq!(
            stage.due(Duration::from_secs(21)),
            [Fault::DropLink { seconds: 5.0 }]
        );
        assert_eq!(stage.next_due(), None);
    }

    #[test]
    fn a_rewiring_undoes_only_the_mistake_it_names_and_only_once() {
        let text = "description: t\npack: {chemistry: lifepo4, cells: 16, capacity: 280}\n\
wiring:\n  - open_tap: {cell: 7}\n  - crossed_taps: {cells: [3, 4]}\nexpect: pass\n";
        let s = super::super::scenario::Scenario::parse(text, "t", "t", &WizardSpec::builtin())
            .unwrap();
        let mut stage = Stage::new(&s);
        let rewired = |what: Rewire| Event::Rewired {
            at: 0,
            step: "wiring.ladder".into(),
            what,
        };
        // A good lead re-soldered changes nothing.
        assert!(stage
            .on_event(&rewired(Rewire::Lead { cell: 8 }))
            .is_empty());
        assert_eq!(
            stage.on_event(&rewired(Rewire::Lead { cell: 7 })),
            [Fault::CloseTap { cell: 7 }]
        );
        assert!(
            stage
                .on_event(&rewired(Rewire::Lead { cell: 7 }))
                .is_empty(),
            "once only"
        );
        // Crossed leads: the BMS never saw them, only the meter does.
        assert!(stage
            .on_event(&rewired(Rewire::Lead { cell: 4 }))
            .is_empty());
        let left = still_miswired(&s.wiring, &[Rewire::Lead { cell: 8 }]);
        assert_eq!(left, s.wiring, "the wrong lead: both mistakes stay");
        let left = still_miswired(
            &s.wiring,
            &[Rewire::Lead { cell: 7 }, Rewire::Lead { cell: 3 }],
        );
        assert!(left.is_empty());
        assert_eq!(
            still_miswired(&s.wiring, &[Rewire::Lead { cell: 4 }]),
            [WiringFault::OpenTap { cell: 7 }]
        );
    }
}

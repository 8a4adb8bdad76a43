//! What became of each staged fault, judged from the session's events alone (pure): caught
//! where the scenario says, or missed — overridden, refused for another reason, passed without
//! refusing, or never reached.
//!
//! A fault counts as caught when its step's gate refused with the expected reason and that gate
//! was not overridden at that step afterwards: an override past a staged fault counts as missed,
//! even after the refusal was seen.

use crate::log::record::{RewiredLog, StagedFaultLog, TrainingLog};
use crate::wizard::checks::Reason;
use crate::wizard::engine::{Event, GateResult, Leave, Millis};
use crate::wizard::spec::WizardSpec;
use crate::wizard::words::{Arg, Say};

use super::scenario::{Catch, Expect, Scenario};

/// How a session ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Ending {
    /// Signed off.
    SignedOff,
    /// Stopped at a step whose gates refused.
    Refused {
        /// The step.
        step: String,
        /// Its gates at the last attempt.
        gates: Vec<GateResult>,
    },
    /// Neither (the session is still open).
    Open,
}

/// What became of one staged fault.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Refused where expected, never overridden.
    Caught {
        /// When the refusal came.
        at: Millis,
        /// The matching reason (its code and sentence).
        reason: Reason,
    },
    /// Not caught; the sentence (`train.*` in `reasons:`) says why.
    Missed(Say),
}

/// One staged fault and its outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct CatchReport {
    /// What was expected.
    pub catch: Catch,
    /// What happened.
    pub outcome: Outcome,
}

impl CatchReport {
    /// Caught.
    pub fn caught(&self) -> bool {
        matches!(self.outcome, Outcome::Caught { .. })
    }
}

/// How the session in `events` ended.
pub fn ending(events: &[Event]) -> Ending {
    if events.iter().any(|e| matches!(e, Event::SignedOff { .. })) {
        return Ending::SignedOff;
    }
    let last_gates = events.iter().enumerate().rev().find_map(|(i, e)| match e {
        Event::Gates { step, results, .. } => Some((i, step, results)),
        _ => None,
    });
    if let Some((i, step, results)) = last_gates {
        let left = events[i..]
            .iter()
            .any(|e| matches!(e, Event::StepLeft { step: s, .. } if s == step));
        if !left && results.iter().any(|r| !r.verdict.ok) {
            return Ending::Refused {
                step: step.clone(),
                gates: results.clone(),
            };
        }
    }
    Ending::Open
}

/// What became of each expected catch.
pub fn judge(catches: &[Catch], events: &[Event]) -> Vec<CatchReport> {
    catches
        .iter()
        .map(|c| CatchReport {
            catch: c.clone(),
            outcome: outcome(c, events),
        })
        .collect()
}

fn outcome(c: &Catch, events: &[Event]) -> Outcome {
    let overridden = events.iter().find_map(|e| match e {
        Event::Overridden { step, over, .. } if step == &c.step && over.gate == c.gate => {
            Some(over)
        }
        _ => None,
    });
    if let Some(o) = overridden {
        return Outcome::Missed(Say::new(
            "train.overridden",
            [
                ("by", Arg::verbatim(&o.by)),
                ("gate", Arg::verbatim(&c.gate)),
                ("reason", Arg::verbatim(&o.reason)),
                ("role", Arg::verbatim(&o.role)),
                ("step", Arg::verbatim(&c.step)),
            ],
        ));
    }
    let mut other_reasons = Vec::new();
    for e in events {
        let Event::Gates { at, step, results } = e else {
            continue;
        };
        if step != &c.step {
            continue;
        }
        let Some(r) = results.iter().find(|r| r.gate == c.gate && !r.verdict.ok) else {
            continue;
        };
        match r
            .verdict
            .reasons
            .iter()
            .find(|x| c.matches_reason(&x.code, &x.english()))
        {
            Some(x) => {
                return Outcome::Caught {
                    at: *at,
                    reason: x.clone(),
                }
            }
            None => other_reasons.extend(r.verdict.reasons.iter().map(said)),
        }
    }
    if !other_reasons.is_empty() {
        return Outcome::Missed(Say::new(
            "train.other_reason",
            [
                ("gate", Arg::verbatim(&c.gate)),
                ("reasons", Arg::List(other_reasons)),
                ("step", Arg::verbatim(&c.step)),
                ("want", Arg::verbatim(&c.reason_contains)),
            ],
        ));
    }
    let passed = events.iter().any(|e| {
        matches!(e, Event::StepLeft { step, how, .. }
            if step == &c.step && matches!(how, Leave::Passed | Leave::Overridden))
    });
    let at = [
        ("gate", Arg::verbatim(&c.gate)),
        ("step", Arg::verbatim(&c.step)),
    ];
    Outcome::Missed(if passed {
        Say::new("train.not_shown", at)
    } else {
        Say::new("train.not_reached", at)
    })
}

/// A gate reason as a sentence (an old journal's English one kept as written).
fn said(r: &Reason) -> Say {
    r.say.clone().unwrap_or_else(|| {
        Say::new(
            "entry.as_written",
            [("text", Arg::verbatim(r.legacy.clone()))],
        )
    })
}

/// Whether a headless check of a scenario succeeded: every staged fault caught where the
/// scenario says and the run ended at one of those refusals or at sign-off — or, for `pass`,
/// signed off. `Err` holds what happened instead, one sentence each.
pub fn verdict(expect: &Expect, reports: &[CatchReport], end: &Ending) -> Result<(), Vec<Say>> {
    let mut problems = Vec::new();
    match expect {
        Expect::Pass => {
            if let Ending::Refused { step, gates } = end {
                problems.push(Say::new(
                    "train.pass_refused",
                    [("gates", failing(gates)), ("step", Arg::verbatim(step))],
                ));
            } else if *end != Ending::SignedOff {
                problems.push(Say::plain("train.pass_open"));
            }
        }
        Expect::Catch(_) => {
            for r in reports {
                if let Outcome::Missed(why) = &r.outcome {
                    problems.push(Say::new(
                        "train.not_caught",
                        [
                            ("fault", Arg::verbatim(r.catch.fault_text())),
                            ("gate", Arg::verbatim(&r.catch.gate)),
                            ("step", Arg::verbatim(&r.catch.step)),
                            ("why", Arg::say(why.clone())),
                        ],
                    ));
                }
            }
            if let Ending::Refused { step, gates } = end {
                let expected_here = reports.iter().any(|r| {
                    &r.catch.step == step
                        && gates.iter().any(|g| {
                            g.gate == r.catch.gate
                                && !g.verdict.ok
                                && g.verdict
                                    .reasons
                                    .iter()
                                    .any(|x| r.catch.matches_reason(&x.code, &x.english()))
                        })
                });
                if !expected_here {
                    problems.push(Say::new(
                        "train.unexplained_stop",
                        [("gates", failing(gates)), ("step", Arg::verbatim(step))],
                    ));
                }
            } else if *end == Ending::Open {
                problems.push(Say::plain("train.neither"));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// The refusing gates, each with its reasons: `gate X (reason; reason)`.
fn failing(gates: &[GateResult]) -> Arg {
    Arg::List(
        gates
            .iter()
            .filter(|g| !g.verdict.ok)
            .map(|g| {
                Say::new(
                    "train.part.gate",
                    [
                        ("gate", Arg::verbatim(&g.gate)),
                        (
                            "reasons",
                            Arg::List(g.verdict.reasons.iter().map(said).collect()),
                        ),
                    ],
                )
            })
            .collect(),
    )
}

/// The training section of the log: each fault's outcome as a code and a sentence with its
/// values (what `verify` and machines read) and in words in `lang`, the session's language.
pub fn training_log(
    scenario: &Scenario,
    reports: &[CatchReport],
    spec: &WizardSpec,
    lang: &str,
) -> TrainingLog {
    let faults: Vec<StagedFaultLog> = reports
        .iter()
        .map(|r| {
            let (result, caught_at, code, say) = match &r.outcome {
                Outcome::Caught { reason, .. } => (
                    "caught",
                    Some(r.catch.step.clone()),
                    reason.code.clone(),
                    said(reason),
                ),
                Outcome::Missed(why) => (
                    "missed",
                    None,
                    why.key.trim_start_matches("train.").to_string(),
                    why.clone(),
                ),
            };
            StagedFaultLog {
                fault: r.catch.fault_text(),
                expected: format!("{} / {}", r.catch.step, r.catch.gate),
                result: result.to_string(),
                caught_at,
                detail: say.render(spec, lang),
                code: Some(code),
                key: Some(say.key),
                args: say.args,
            }
        })
        .collect();
    let all = reports.iter().all(CatchReport::caught);
    TrainingLog {
        scenario: scenario.id.clone(),
        description: scenario.description.clone(),
        scenario_sha256: scenario.sha256.clone(),
        faults,
        rewired: Vec::new(),
        result: if all { "caught_all" } else { "missed_some" }.to_string(),
    }
}

/// The training section of a session on `scenario` that ended with `events`: what became of
/// each staged fault, worded in `lang`, and what the trainee re-wired. `None` for a plain
/// simulator set-up (`training: false`): its log is an ordinary one. Every front end's
/// sign-off asks this, so they mark a log alike.
pub fn training_section(
    scenario: &Scenario,
    events: &[Event],
    spec: &WizardSpec,
    lang: &str,
) -> Option<TrainingLog> {
    scenario.training.then(|| TrainingLog {
        rewired: rewired_log(scenario, events),
        ..training_log(scenario, &judge(scenario.catches(), events), spec, lang)
    })
}

/// Every re-wiring among `events`, with the scenario's wiring mistakes each put right (a
/// mistake is put right once: the first re-wiring that names it).
pub fn rewired_log(scenario: &Scenario, events: &[Event]) -> Vec<RewiredLog> {
    let mut left = scenario.wiring.clone();
    events
        .iter()
        .filter_map(|e| match e {
            Event::Rewired { step, what, .. } => {
                let (fixed, rest): (Vec<_>, Vec<_>) =
                    left.drain(..).partition(|w| w.repaired_by(what));
                left = rest;
                Some(RewiredLog {
                    step: step.clone(),
                    what: what.to_string(),
                    repaired: fixed.iter().map(ToString::to_string).collect(),
                })
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wizard::checks::{Reason, Verdict};
    use crate::wizard::engine::Override;
    use crate::wizard::words::{Arg, Say};

    fn en(say: &Say) -> String {
        say.render(crate::wizard::words::builtin(), "en")
    }

    fn catch() -> Catch {
        Catch {
            step: "config.control".into(),
            gate: "switches_on".into(),
            reason_contains: "switch_off".into(),
            fault: Some("balance switch off".into()),
        }
    }

    fn refused(at: Millis) -> Event {
        Event::Gates {
            at,
            step: "config.control".into(),
            results: vec![GateResult {
                gate: "switches_on".into(),
                safety: false,
                verdict: Verdict::fail(vec![Reason::new(
                    "switch_off",
                    Say::new("switch_off", [("switch", Arg::verbatim("Balance"))]),
                )]),
            }],
        }
    }

    fn left(how: Leave) -> Event {
        Event::StepLeft {
            at: 9,
            step: "config.control".into(),
            how,
        }
    }

    #[test]
    fn a_refusal_with_the_reason_is_a_catch() {
        let events = [refused(5)];
        let r = judge(&[catch()], &events);
        assert!(r[0].caught());
        assert_eq!(
            ending(&events),
            Ending::Refused {
                step: "config.control".into(),
                gates: match &events[0] {
                    Event::Gates { results, .. } => results.clone(),
                    _ => unreachable!(),
                }
            }
        );
        let expect = Expect::Catch(vec![catch()]);
        assert_eq!(verdict(&expect, &r, &ending(&events)), Ok(()));
        assert!(verdict(&Expect::Pass, &r, &ending(&events)).is_err());
    }

    #[test]
    fn an_override_past_the_fault_is_a_miss_even_after_the_refusal() {
        let events = [
            refused(5),
            Event::Overridden {
                at: 6,
                step: "config.control".into(),
                over: Override {
                    gate: "switches_on".into(),
                    reason: "balancing later".into(),
                    role: "trainee".into(),
                    by: "Ann".into(),
                },
            },
            left(Leave::Overridden),
        ];
        let r = judge(&[catch()], &events);
        match &r[0].outcome {
            Outcome::Missed(why) => {
                let why = en(why);
                assert!(why.contains("overridden by Ann (trainee)"), "{why}")
            }
            other => panic!("{other:?}"),
        }
        let log = training_log(
            &Scenario::parse(
                "description: d\npack: {chemistry: lifepo4, cells: 16, capacity: 280}\nexpect: pass\n",
                "x",
                "x",
                &crate::wizard::spec::WizardSpec::builtin(),
            )
            .unwrap(),
            &r,
            crate::wizard::words::builtin(),
            "pl",
        );
        assert_eq!(log.result, "missed_some");
        assert_eq!(log.faults[0].result, "missed");
        // The log keeps the code and the sentence's values, and the words in Polish.
        let f = &log.faults[0];
        assert_eq!(f.code.as_deref(), Some("overridden"));
        assert_eq!(f.key.as_deref(), Some("train.overridden"));
        assert_eq!(f.args["by"], Arg::verbatim("Ann"));
        assert!(
            f.detail.contains("obszedł") && f.detail.contains("Ann"),
            "{}",
            f.detail
        );
    }

    #[test]
    fn passing_the_step_or_another_reason_is_a_miss() {
        let r = judge(&[catch()], &[left(Leave::Passed)]);
        assert!(matches!(&r[0].outcome, Outcome::Missed(w) if en(w).contains("without gate")));
        let mut other = refused(1);
        if let Event::Gates { results, .. } = &mut other {
            results[0].verdict.reasons[0].code = "x".into();
            results[0].verdict.reasons[0].say = Some(Say::plain("not_connected"));
        }
        let r = judge(&[catch()], &[other]);
        assert!(
            matches!(&r[0].outcome, Outcome::Missed(w) if en(w).contains("not for 'switch_off'"))
        );
        let r = judge(&[catch()], &[]);
        assert!(matches!(&r[0].outcome, Outcome::Missed(w) if en(w).contains("did not get to")));
    }

    /// A miss for another reason keeps those reasons as sentences (a list) in the log, and
    /// the section reads back as it was written.
    #[test]
    fn a_miss_for_other_reasons_round_trips_through_the_log_with_its_reasons() {
        let mut other = refused(1);
        if let Event::Gates { results, .. } = &mut other {
            results[0].verdict.reasons[0].code = "x".into();
            results[0].verdict.reasons[0].say =
                Some(Say::new("cell_not_visible", [("cell", Arg::int(3))]));
        }
        let r = judge(&[catch()], &[other]);
        let scenario = Scenario::parse(
            "description: d\npack: {chemistry: lifepo4, cells: 16, capacity: 280}\nexpect: pass\n",
            "x",
            "x",
            &crate::wizard::spec::WizardSpec::builtin(),
        )
        .unwrap();
        let spec = crate::wizard::words::builtin();
        let log = training_log(&scenario, &r, spec, "cs");
        let f = &log.faults[0];
        assert_eq!(f.code.as_deref(), Some("other_reason"));
        assert!(matches!(&f.args["reasons"], Arg::List(l) if l.len() == 1));
        assert!(f.detail.contains("článek 3"), "{}", f.detail);
        let yaml = serde_yaml::to_string(&log).unwrap();
        let back: TrainingLog = serde_yaml::from_str(&yaml).unwrap();
        assert_eq!(back, log, "{yaml}");
        // Re-worded in English from what the log keeps.
        let again = Say {
            key: back.faults[0].key.clone().unwrap(),
            args: back.faults[0].args.clone(),
        };
        let en = again.render(spec, "en");
        assert!(
            en.contains("not for 'switch_off'") && en.contains("cell 3"),
            "{en}"
        );
    }

    #[test]
    fn a_stop_that_no_staged_fault_explains_fails_the_check() {
        let other_step = Event::Gates {
            at: 1,
            step: "config.status".into(),
            results: vec![GateResult {
                gate: "cells_visible".into(),
                safety: true,
                verdict: Verdict::fail(vec![Reason::new(
                    "cell_not_visible",
                    Say::new("cell_not_visible", [("cell", Arg::int(3))]),
                )]),
            }],
        };
        let events = [refused(0), left(Leave::Passed), other_step];
        let r = judge(&[catch()], &events);
        let v = verdict(&Expect::Catch(vec![catch()]), &r, &ending(&events)).unwrap_err();
        let v = en(&v[0]);
        assert!(v.contains("stopped at step config.status"), "{v}");
        assert!(v.contains("gate cells_visible (cell 3 "), "{v}");
    }
}

//! What a commissioning log warns of, computed once from the log: the sign-off summary shows
//! every one of them before the signature is asked for, and the report states the same list,
//! so the screen can never warn of less than the paper.

use crate::log::record::{CommissioningLog, BY_OPERATOR};

/// One thing the log says that the signer must have seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// Entries came from a script (an answers file), not only from a person at the keys;
    /// `real_unit` when the unit was neither simulated nor replayed.
    Scripted {
        /// Against a real unit.
        real_unit: bool,
    },
    /// The unit was the built-in simulator: the readings are not evidence about a real pack.
    Simulated,
    /// The unit was a recorded capture played back.
    Replayed,
    /// The BMS was reached in more than one way during the session (in order).
    SourceChanged {
        /// Every way, in order (`simulator`, `bluetooth ADDR`, …).
        path: Vec<String>,
    },
    /// The session is a new attempt after an earlier one.
    PreviousSession {
        /// The earlier session's folder name.
        session: String,
    },
    /// A failed gate passed on someone's responsibility.
    Overridden {
        /// Step id.
        step: String,
        /// Gate id.
        gate: String,
        /// Why.
        reason: String,
        /// Who.
        by: String,
        /// Their role.
        role: String,
    },
    /// A gate passed on the operator's confirmation, the unit never sending that data.
    ByOperator {
        /// Step id.
        step: String,
        /// Gate id.
        gate: String,
    },
    /// A step skipped.
    Skipped {
        /// The step's title as the log has it.
        title: String,
    },
    /// A finished step changed afterwards.
    Amended {
        /// Step id.
        step: String,
        /// What changed, one entry each.
        changed: Vec<String>,
    },
    /// Alarms the unit showed at sign-off.
    Alarms {
        /// Their names as the log has them.
        alarms: Vec<String>,
    },
}

impl Warning {
    /// A stable name of the kind of warning (for the report's template and the tests).
    pub fn kind(&self) -> &'static str {
        match self {
            Warning::Scripted { .. } => "scripted",
            Warning::Simulated => "simulated",
            Warning::Replayed => "replayed",
            Warning::SourceChanged { .. } => "source_changed",
            Warning::PreviousSession { .. } => "previous_session",
            Warning::Overridden { .. } => "overridden",
            Warning::ByOperator { .. } => "by_operator",
            Warning::Skipped { .. } => "skipped",
            Warning::Amended { .. } => "amended",
            Warning::Alarms { .. } => "alarms",
        }
    }
}

/// Every warning `log` carries, in the order the report states them.
pub fn of(log: &CommissioningLog) -> Vec<Warning> {
    let mut out = Vec::new();
    if crate::log::record::is_scripted(&log.entries_made_by) {
        out.push(Warning::Scripted {
            real_unit: !log.simulated && !log.replayed,
        });
    }
    if log.simulated {
        out.push(Warning::Simulated);
    }
    if log.replayed {
        out.push(Warning::Replayed);
    }
    if !log.source_changes.is_empty() {
        out.push(Warning::SourceChanged {
            path: log.source_changes.clone(),
        });
    }
    if let Some(session) = &log.previous_session {
        out.push(Warning::PreviousSession {
            session: session.clone(),
        });
    }
    out.extend(log.overrides.iter().map(|o| Warning::Overridden {
        step: o.step.clone(),
        gate: o.gate.clone(),
        reason: o.reason.clone(),
        by: o.by.clone(),
        role: o.role.clone(),
    }));
    for s in &log.steps {
        for g in &s.gates {
            if g.source.as_deref() == Some(BY_OPERATOR) {
                out.push(Warning::ByOperator {
                    step: s.id.clone(),
                    gate: g.gate.clone(),
                });
            }
        }
        if s.outcome == "skipped" {
            out.push(Warning::Skipped {
                title: s.title.clone(),
            });
        }
    }
    out.extend(log.amendments.iter().map(|a| Warning::Amended {
        step: a.step.clone(),
        changed: a.changed.clone(),
    }));
    if let Some(c) = log.cells.as_ref().filter(|c| !c.alarms.is_empty()) {
        out.push(Warning::Alarms {
            alarms: c.alarms.clone(),
        });
    }
    out
}

/// Whether `warnings` holds one of `kind` (see [`Warning::kind`]).
pub fn has(warnings: &[Warning], kind: &str) -> bool {
    warnings.iter().any(|w| w.kind() == kind)
}

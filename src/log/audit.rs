//! What `verify` checks beyond the signature: that the log is exactly what its journal yields.
//! The journal is replayed through the engine and the log built again from the state; any
//! difference (a verdict, an override, the simulated flag, a link source, a reading) is named.
//! The log records the journal's SHA-256, so a journal edited afterwards is caught even when
//! the log is untouched.

use std::fmt;
use std::path::Path;

use crate::log::journal::{read_complete, JournalError};
use crate::log::record::{self, CommissioningLog, RecordError};
use crate::wizard::engine::{Engine, Event};
use crate::wizard::spec::{sha256_hex, WizardSpec};

/// Why the log and its journal do not agree.
#[derive(Debug)]
pub enum Finding {
    /// The journal's bytes are not the ones the log recorded.
    HashMismatch {
        /// What the log records.
        recorded: String,
        /// What the journal hashes to now.
        found: String,
    },
    /// The journal cannot be read as events.
    Unreadable(JournalError),
    /// The log was made with another wizard file than the one given for the replay.
    OtherWizard {
        /// The wizard hash in the log.
        log: String,
        /// The hash of the wizard used for the replay.
        given: String,
    },
    /// Replaying the journal does not reach a sign-off, or the log cannot be rebuilt.
    NoLog(RecordError),
    /// A field of the log differs from what the journal yields.
    Differs {
        /// Where in the log, e.g. `simulated` or `steps[3].gates[0].result`.
        path: String,
        /// What the log says.
        log: String,
        /// What the journal yields.
        journal: String,
    },
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::HashMismatch { recorded, found } => write!(
                f,
                "the journal was changed: its SHA-256 is {found}, the log records {recorded}"
            ),
            Finding::Unreadable(e) => write!(f, "the journal cannot be replayed: {e}"),
            Finding::OtherWizard { log, given } => write!(
                f,
                "the log was made with the wizard file {log}, not {given}: give that wizard \
                 with --wizard FILE to replay the journal"
            ),
            Finding::NoLog(e) => write!(f, "replaying the journal gives no log: {e}"),
            Finding::Differs { path, log, journal } => write!(
                f,
                "the log does not match its journal at {path}: the log says {log}, the \
                 journal yields {journal}"
            ),
        }
    }
}

/// Replay `journal` (the bytes of journal.jsonl) with `spec` and compare the result with `log`.
/// An empty list means the log is exactly what the journal yields. The training section is
/// taken from the log as it is: it comes from the scenario file, which the journal does not
/// hold (the trainer's signature vouches for it).
pub fn check(
    spec: &WizardSpec,
    log: &CommissioningLog,
    journal_path: &Path,
    journal: &[u8],
) -> Vec<Finding> {
    let found = sha256_hex(journal);
    if found != log.journal_sha256 {
        return vec![Finding::HashMismatch {
            recorded: log.journal_sha256.clone(),
            found,
        }];
    }
    if spec.wizard_hash() != log.wizard_sha256 {
        return vec![Finding::OtherWizard {
            log: log.wizard_sha256.clone(),
            given: spec.wizard_hash().to_string(),
        }];
    }
    let batches: Vec<Vec<Event>> = match read_complete(journal_path, journal) {
        Ok(b) => b,
        Err(e) => return vec![Finding::Unreadable(e)],
    };
    let engine = Engine::new(spec);
    let state = engine.replay(batches.iter().flatten());
    let mut rebuilt = match record::build(&engine, &state, &found) {
        Ok(l) => l,
        Err(e) => return vec![Finding::NoLog(e)],
    };
    rebuilt.training = log.training.clone();
    differences(log, &rebuilt)
}

/// Every place where `log` and `rebuilt` differ, as paths into the log.
fn differences(log: &CommissioningLog, rebuilt: &CommissioningLog) -> Vec<Finding> {
    let (Ok(a), Ok(b)) = (serde_json::to_value(log), serde_json::to_value(rebuilt)) else {
        return vec![Finding::NoLog(RecordError::Encode(
            "the log cannot be compared".to_string(),
        ))];
    };
    let mut out = Vec::new();
    diff("", &a, &b, &mut out);
    out
}

fn diff(path: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<Finding>) {
    use serde_json::Value;
    // Enough to say what is wrong; a wholly different log need not be listed line by line.
    const MOST: usize = 12;
    if out.len() >= MOST || a == b {
        return;
    }
    let join = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let none = Value::Null;
                diff(
                    &join(k),
                    x.get(k).unwrap_or(&none),
                    y.get(k).unwrap_or(&none),
                    out,
                );
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                diff(&format!("{path}[{i}]"), p, q, out);
            }
        }
        _ => out.push(Finding::Differs {
            path: if path.is_empty() {
                "the log".into()
            } else {
                path.into()
            },
            log: short(a),
            journal: short(b),
        }),
    }
}

/// A value for a message: JSON, cut to a readable length.
fn short(v: &serde_json::Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 80 {
        let cut: String = text.chars().take(77).collect();
        format!("{cut}…")
    } else {
        text
    }
}

//! What `verify` checks beyond the signature: that the log is exactly what its journal yields.
//! The journal is replayed through the engine and the log built again from the state; any
//! difference (a verdict, an override, the simulated flag, a link source, a reading) is named.
//! The log records the journal's SHA-256, so a journal edited afterwards is caught even when
//! the log is untouched.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::log::journal::{read_complete, JournalError};
use crate::log::record::{self, CaptureRef, CommissioningLog, RecordError};
use crate::log::session::JOURNAL;
use crate::log::sign::{self, Signer};
use crate::wizard::engine::{Engine, Event};
use crate::wizard::spec::{sha256_hex, WizardSpec};
use crate::wizard::words::{Arg, Say};

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

impl Finding {
    /// What is wrong, as a sentence with its values (`audit.*` in wizard.yaml's `reasons:`).
    pub fn say(&self) -> Say {
        let v = Arg::verbatim;
        match self {
            Finding::HashMismatch { recorded, found } => Say::new(
                "audit.journal_changed",
                [("found", v(found)), ("recorded", v(recorded))],
            ),
            Finding::Unreadable(e) => Say::new(
                "audit.journal_unreadable",
                [("error", Arg::verbatim(e.to_string()))],
            ),
            Finding::OtherWizard { log, given } => {
                Say::new("audit.other_wizard", [("given", v(given)), ("log", v(log))])
            }
            Finding::NoLog(e) => {
                Say::new("audit.no_log", [("error", Arg::verbatim(e.to_string()))])
            }
            Finding::Differs { path, log, journal } => Say::new(
                "audit.differs",
                [("journal", v(journal)), ("log", v(log)), ("path", v(path))],
            ),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.say().english())
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
    // The capture is named at sign-off from the file, not the journal: verify checks its hash.
    rebuilt.capture = log.capture.clone();
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

/// A signed session that passed every check `verify` makes (what `verify` prints and
/// `archive add` ingests).
#[derive(Debug)]
pub struct Verified {
    /// The log, parsed.
    pub log: CommissioningLog,
    /// Who signed it (authenticated when an allowed-signers list named the key).
    pub signer: Signer,
    /// Whether the journal was replayed against the log (not with `--log-only`).
    pub journal_checked: bool,
    /// What became of the capture the log names.
    pub capture: CaptureCheck,
    /// The trainer's signature of a training log.
    pub trainer: Option<TrainerSignature>,
}

/// The capture a log names, checked against the file beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureCheck {
    /// The log names none (a log from before captures, or a session without a link).
    NotNamed,
    /// The file is there and hashes to what the log records.
    Matches(CaptureRef),
    /// The file is not beside the log (sent without it): not checked.
    Missing(CaptureRef),
    /// Not looked at (`--log-only`).
    NotChecked(CaptureRef),
}

/// The trainer's signature beside a training log (`log.yaml.trainer.sig`).
#[derive(Debug)]
pub enum TrainerSignature {
    /// There is none.
    Absent(PathBuf),
    /// It verifies.
    Good(Signer),
    /// It does not, with the reason.
    Failed(PathBuf, Say),
}

/// Why a signed session is refused.
#[derive(Debug)]
pub enum Refusal {
    /// The signature does not verify (changed log, wrong key, signer not allowed): why.
    Signature(Say),
    /// The signature is good but the bytes are not a log.
    NotALog(String),
    /// The signature is good but the log contradicts itself, its journal or its capture: each
    /// problem a sentence with its values.
    Untrustworthy(Vec<Say>),
}

impl Refusal {
    /// Why, as one sentence (`audit.refused.*`): what the signature check, the log's reader or
    /// the replay said, in its own words. `verify` frames each kind its own way; `archive`
    /// says this.
    pub fn say(&self) -> Say {
        match self {
            Refusal::Signature(reason) => Say::new(
                "audit.refused.signature",
                [("reason", Arg::say(reason.clone()))],
            ),
            Refusal::NotALog(error) => {
                Say::new("audit.refused.not_a_log", [("error", Arg::verbatim(error))])
            }
            Refusal::Untrustworthy(problems) => Say::new(
                "audit.refused.untrustworthy",
                [("problems", Arg::List(problems.clone()))],
            ),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.say().english())
    }
}

/// Everything `verify` checks, as a library call: the signature `armored` over `message` (the
/// bytes of `log_path`) against `allowed` (an allowed-signers file's text, if one), the log
/// against itself, and unless `log_only` against the journal beside it (replayed with `spec`)
/// and the capture it names; a training log's trainer signature too (its failure is in
/// [`Verified::trainer`], for the caller to refuse).
pub fn verify_signed(
    log_path: &Path,
    message: &[u8],
    armored: &str,
    allowed: Option<&str>,
    spec: &WizardSpec,
    log_only: bool,
) -> Result<Verified, Refusal> {
    let signer =
        sign::verify(message, armored, allowed).map_err(|e| Refusal::Signature(e.say()))?;
    let log = serde_yaml::from_slice::<CommissioningLog>(message)
        .map_err(|e| Refusal::NotALog(e.to_string()))?;
    // A good signature over a log that contradicts itself or its journal is still no evidence.
    let mut problems = record::inconsistencies(&log);
    let mut capture = match &log.capture {
        None => CaptureCheck::NotNamed,
        Some(c) => CaptureCheck::NotChecked(c.clone()),
    };
    if !log_only {
        problems.extend(against_journal(log_path, &log, spec));
        if let Some(c) = &log.capture {
            match check_capture(log_path, c) {
                Ok(check) => capture = check,
                Err(problem) => problems.push(problem),
            }
        }
    }
    if !problems.is_empty() {
        return Err(Refusal::Untrustworthy(problems));
    }
    let trainer = match &log.training {
        None => None,
        Some(_) => {
            let mut path = log_path.as_os_str().to_owned();
            path.push(".trainer.sig");
            let path = PathBuf::from(path);
            Some(match std::fs::read_to_string(&path) {
                Err(_) => TrainerSignature::Absent(path),
                Ok(armored) => match sign::verify(message, &armored, allowed) {
                    Ok(signer) => TrainerSignature::Good(signer),
                    Err(e) => TrainerSignature::Failed(path, e.say()),
                },
            })
        }
    };
    Ok(Verified {
        log,
        signer,
        journal_checked: !log_only,
        capture,
        trainer,
    })
}

/// The journal beside the log, replayed: what is wrong, as sentences.
fn against_journal(log_path: &Path, log: &CommissioningLog, spec: &WizardSpec) -> Vec<Say> {
    let journal = log_path.with_file_name(JOURNAL);
    let bytes = match std::fs::read(&journal) {
        Ok(b) => b,
        Err(e) => {
            return vec![Say::new(
                "audit.journal_missing",
                [
                    ("error", Arg::verbatim(e.to_string())),
                    ("journal", Arg::verbatim(journal.display().to_string())),
                ],
            )]
        }
    };
    check(spec, log, &journal, &bytes)
        .iter()
        .map(Finding::say)
        .collect()
}

/// The capture beside the log against the hash the log records; `Err` when it differs (or
/// the log names a file outside its folder).
fn check_capture(log_path: &Path, capture: &CaptureRef) -> Result<CaptureCheck, Say> {
    let plain = Path::new(&capture.file)
        .file_name()
        .is_some_and(|n| n == capture.file.as_str());
    if !plain {
        return Err(Say::new(
            "audit.capture_outside",
            [("file", Arg::verbatim(&capture.file))],
        ));
    }
    let path = log_path.with_file_name(&capture.file);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let found = sha256_hex(&bytes);
            if found == capture.sha256 {
                Ok(CaptureCheck::Matches(capture.clone()))
            } else {
                Err(Say::new(
                    "audit.capture_changed",
                    [
                        ("found", Arg::verbatim(found)),
                        ("path", Arg::verbatim(path.display().to_string())),
                        ("recorded", Arg::verbatim(&capture.sha256)),
                    ],
                ))
            }
        }
        Err(_) => Ok(CaptureCheck::Missing(capture.clone())),
    }
}

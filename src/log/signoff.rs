//! What sign-off leaves in the session folder: the log, its signature(s), the report. The one
//! writer every front end calls (the TUI, `run`, `train --check`), so a log cannot differ by
//! where it was signed.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::log::record::{self, CommissioningLog, TrainingLog};
use crate::log::session::{Session, JOURNAL, LOG, REPORT, SIGNATURE, TRAINER_SIGNATURE};
use crate::log::sign::{self, SigningKey};

/// Why the outputs could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SignoffError {
    /// The log could not be built.
    #[error(transparent)]
    Record(#[from] record::RecordError),
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// Which file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Signing failed.
    #[error(transparent)]
    Sign(#[from] sign::SignError),
}

/// The files written at sign-off.
#[derive(Debug, Clone)]
pub struct Outputs {
    /// log.yaml.
    pub log: PathBuf,
    /// log.yaml.sig, when the operator's key was given.
    pub signature: Option<PathBuf>,
    /// log.yaml.trainer.sig, when the trainer's key was given.
    pub trainer_signature: Option<PathBuf>,
    /// report.html.
    pub report: PathBuf,
    /// The log as written.
    pub record: CommissioningLog,
}

/// Write log.yaml — with its training section, for a training session — its signatures (the
/// operator's with `key`, the trainer's with `trainer_key`) and report.html into the session
/// folder.
pub fn write_outputs(
    session: &Session<'_>,
    key: Option<&SigningKey>,
    trainer_key: Option<&SigningKey>,
    training: Option<TrainingLog>,
) -> Result<Outputs, SignoffError> {
    let dir = session.dir();
    let journal = std::fs::read(dir.join(JOURNAL)).map_err(|source| SignoffError::Io {
        path: dir.join(JOURNAL).display().to_string(),
        source,
    })?;
    let journal_sha256 = crate::wizard::spec::sha256_hex(&journal);
    let mut log = record::build(&session.engine, &session.state, &journal_sha256)?;
    log.training = training;
    let text = record::to_yaml(&log);
    let log_path = dir.join(LOG);
    write_atomically(&log_path, text.as_bytes())?;
    // Both sign the same bytes in the same namespace: either verifies on its own.
    let sign_with = |key: Option<&SigningKey>, name: &str| -> Result<_, SignoffError> {
        let Some(key) = key else { return Ok(None) };
        let armored = sign::sign(key, text.as_bytes())?;
        let path = dir.join(name);
        write_atomically(&path, armored.as_bytes())?;
        Ok(Some(path))
    };
    let signature = sign_with(key, SIGNATURE)?;
    let trainer_signature = sign_with(trainer_key, TRAINER_SIGNATURE)?;
    let fingerprint = key.map(|k| k.fingerprint());
    let html = crate::log::report::render(&log, &text, fingerprint.as_deref());
    let report = dir.join(REPORT);
    write_atomically(&report, html.as_bytes())?;
    Ok(Outputs {
        log: log_path,
        signature,
        trainer_signature,
        report,
        record: log,
    })
}

/// Write through a temporary file and rename, so a crash never leaves half a log.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), SignoffError> {
    let io = |source| SignoffError::Io {
        path: path.display().to_string(),
        source,
    };
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)?;
    Ok(())
}

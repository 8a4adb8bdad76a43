//! What sign-off leaves in the session folder: the log, its signature(s), the report. The one
//! writer every front end calls (the TUI, `run`, `train --check`), so a log cannot differ by
//! where it was signed.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::log::record::{self, CommissioningLog, TrainingLog};
use crate::log::session::{Session, JOURNAL, LOG, REPORT, SIGNATURE, TRAINER_SIGNATURE};
use crate::log::sign::{self, SigningKey};
use crate::wizard::spec::WizardSpec;
use crate::wizard::words;

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

impl SignoffError {
    /// Why, as a sentence: a file not written with what the system said, a signature not
    /// made (`SignError::say`); a log that cannot be built as its English text.
    pub fn say(&self) -> words::Say {
        use words::{Arg, Say};
        match self {
            SignoffError::Record(e) => {
                Say::new("entry.as_written", [("text", Arg::verbatim(e.to_string()))])
            }
            SignoffError::Io { path, source } => Say::new(
                "log.cannot_write",
                [
                    ("error", Arg::verbatim(source.to_string())),
                    ("path", Arg::verbatim(path)),
                ],
            ),
            SignoffError::Sign(e) => e.say(),
        }
    }
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

/// The session's capture, hashed, if one was recorded (the bench stopped it at sign-off).
fn capture_ref(dir: &Path) -> Result<Option<record::CaptureRef>, SignoffError> {
    let path = dir.join(crate::bms::capture::CAPTURE_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => Ok(Some(record::CaptureRef {
            file: crate::bms::capture::CAPTURE_FILE.to_string(),
            sha256: crate::wizard::spec::sha256_hex(&bytes),
        })),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(SignoffError::Io {
            path: path.display().to_string(),
            source,
        }),
    }
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
    log.capture = capture_ref(dir)?;
    let text = record::to_yaml(&log)?;
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
    let html =
        crate::log::report::render(&log, &text, fingerprint.as_deref(), session.engine.spec());
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

/// What a finished session holds, in one paragraph for a read-only view: the pack, the
/// verdict, whether the log is signed, and how to check it.
pub fn finished_summary(dir: &Path, spec: &WizardSpec, lang: &str) -> String {
    let say = |key: &str, values: &[(&str, &str)]| words::say_verbatim(spec, lang, key, values);
    let log = std::fs::read(dir.join(LOG))
        .ok()
        .and_then(|b| serde_yaml::from_slice::<CommissioningLog>(&b).ok());
    let signed = if dir.join(SIGNATURE).exists() {
        say("cli.start.signed", &[])
    } else {
        say("cli.start.not_signed", &[])
    };
    let what = match &log {
        Some(l) => say(
            "cli.start.finished_what",
            &[
                ("pack", &l.pack.id),
                ("verdict", &verdict_words(spec, lang, l.verdict)),
                ("at", &l.signed_off_at),
                ("name", &l.signed_off_by.name),
                ("signed", &signed),
            ],
        ),
        None => say("cli.start.finished_unreadable", &[("signed", &signed)]),
    };
    let shown = |p: PathBuf| p.display().to_string();
    say(
        "cli.start.finished",
        &[
            ("dir", &dir.display().to_string()),
            ("what", &what),
            ("log", &shown(dir.join(LOG))),
            ("report", &shown(dir.join(REPORT))),
        ],
    )
}

/// The verdict in words: PASS, PASS WITH OVERRIDES.
pub fn verdict_words(spec: &WizardSpec, lang: &str, verdict: record::FinalVerdict) -> String {
    let key = match verdict {
        record::FinalVerdict::Pass => "cli.verdict.pass",
        record::FinalVerdict::PassWithOverrides => "cli.verdict.pass_with_overrides",
    };
    words::say_verbatim(spec, lang, key, &[])
}

/// Write through a temporary file and rename, so a crash never leaves half a log. The
/// temporary file is created new (`O_EXCL`, which never follows a symlink): a link planted
/// under its name is removed, not written through; the rename replaces a link at `path`
/// itself rather than the file it points to.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), SignoffError> {
    let io = |source| SignoffError::Io {
        path: path.display().to_string(),
        source,
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    let create = || {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        crate::log::journal::no_follow(&mut options);
        options.open(&tmp)
    };
    let mut f = match create() {
        // Left by a crash, or planted: either way it is not ours to write through.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            std::fs::remove_file(&tmp).map_err(io)?;
            create().map_err(io)?
        }
        other => other.map_err(io)?,
    };
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if let Ok(d) = std::fs::File::open(parent) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(unix)]
    fn planted_symlinks_are_replaced_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious\n").unwrap();
        let log = dir.path().join("log.yaml");
        // A link at the temporary name and one at the final name.
        std::os::unix::fs::symlink(&victim, dir.path().join(".log.yaml.tmp")).unwrap();
        std::os::unix::fs::symlink(&victim, &log).unwrap();
        write_atomically(&log, b"the log\n").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
        assert!(!std::fs::symlink_metadata(&log).unwrap().is_symlink());
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "the log\n");
        assert!(!dir.path().join(".log.yaml.tmp").exists());
    }
}

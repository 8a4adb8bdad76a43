//! One commissioning on disk: the session folder, its journal, and the engine state folded
//! from it. Every front end (the TUI, `run`, `train`) drives the engine through this, so that
//! nothing reaches the screen before it is on disk.

use std::path::{Path, PathBuf};

use crate::log::journal::{Journal, JournalError, TornTail};
use crate::wizard::engine::{Engine, EngineError, Event, Input, Millis, State};
use crate::wizard::spec::WizardSpec;

/// The journal's file name in a session folder.
pub const JOURNAL: &str = "journal.jsonl";
/// The final log's file name.
pub const LOG: &str = "log.yaml";
/// The signature's file name.
pub const SIGNATURE: &str = "log.yaml.sig";
/// The trainer's signature of a training log: the same namespace over the same bytes.
pub const TRAINER_SIGNATURE: &str = "log.yaml.trainer.sig";
/// The printable report's file name.
pub const REPORT: &str = "report.html";

/// Why a session could not be opened or an input not recorded.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The journal could not be read or written.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The engine refused the input.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The journal was written with another wizard file.
    #[error("the session in {dir} was started with another wizard file (sha256 {found}); this wizard is {expected}: finish it with the same wizard, or use another --out folder")]
    OtherWizard {
        /// Session folder.
        dir: String,
        /// Hash in the journal.
        found: String,
        /// Hash of the wizard given now.
        expected: String,
    },
}

/// An open commissioning.
#[derive(Debug)]
pub struct Session<'w> {
    /// The engine.
    pub engine: Engine<'w>,
    /// The state: a fold over every event so far.
    pub state: State,
    dir: PathBuf,
    journal: Journal<Event>,
    events: Vec<Event>,
}

impl<'w> Session<'w> {
    /// Open the session in `dir` (created if needed): resume from its journal, or start.
    /// A torn last journal line is cut and returned, so the caller can say so.
    pub fn open(
        spec: &'w WizardSpec,
        dir: &Path,
        wizard_hash: &str,
        lang: &str,
        now: Millis,
    ) -> Result<(Self, Option<TornTail>), SessionError> {
        let engine = Engine::new(spec);
        let (journal, replay) = Journal::<Event>::open(dir.join(JOURNAL))?;
        if let Some(Event::Started {
            wizard_hash: found, ..
        }) = replay.events.first()
        {
            if found != wizard_hash {
                return Err(SessionError::OtherWizard {
                    dir: dir.display().to_string(),
                    found: found.clone(),
                    expected: wizard_hash.to_string(),
                });
            }
        }
        let state = engine.replay(&replay.events);
        let mut session = Session {
            engine,
            state,
            dir: dir.to_path_buf(),
            journal,
            events: replay.events,
        };
        if session.events.is_empty() {
            let start = engine.start(now, wizard_hash, env!("CARGO_PKG_VERSION"), lang)?;
            session.record(start)?;
        }
        Ok((session, replay.torn))
    }

    /// Feed one input: the engine decides, the journal is synced, then the state moves.
    pub fn input(&mut self, input: Input, at: Millis) -> Result<Vec<Event>, SessionError> {
        let events = self.engine.handle(&self.state, input, at)?;
        self.record(events.clone())?;
        Ok(events)
    }

    fn record(&mut self, events: Vec<Event>) -> Result<(), SessionError> {
        let journaled: Vec<Event> = events.iter().filter(|e| e.journaled()).cloned().collect();
        if !journaled.is_empty() {
            self.journal.append_all(&journaled)?;
        }
        for e in &events {
            self.engine.apply(&mut self.state, e);
        }
        self.events.extend(journaled);
        Ok(())
    }

    /// Every journaled event so far, oldest first.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The session folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether this session was resumed (it held more than its start).
    pub fn resumed(&self) -> bool {
        self.events.len() > 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wizard::engine::tests::mini;

    #[test]
    fn a_reopened_session_resumes_where_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let spec = mini();
        {
            let (mut s, torn) = Session::open(&spec, dir.path(), "h", "en", 0).unwrap();
            assert!(torn.is_none());
            s.input(
                Input::Field {
                    field: "cells".into(),
                    text: "16".into(),
                },
                1,
            )
            .unwrap();
        }
        let (s, _) = Session::open(&spec, dir.path(), "h", "en", 5).unwrap();
        assert!(s.resumed());
        assert_eq!(s.state.pack.cells, Some(16));
        assert_eq!(s.events().len(), 3);
        let other = Session::open(&spec, dir.path(), "other", "en", 6).unwrap_err();
        assert!(other.to_string().contains("another wizard"), "{other}");
    }
}

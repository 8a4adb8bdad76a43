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
    /// The session folder could not be renamed.
    #[error("cannot move the session folder {from} to {to}: {source}")]
    Move {
        /// The folder.
        from: String,
        /// Where it was to go.
        to: String,
        /// The cause.
        source: std::io::Error,
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
    /// One line per input: the events it caused, as one batch, so a crash mid-write drops
    /// the whole batch and never replays half a decision (a step left but the next not
    /// entered).
    journal: Journal<Vec<Event>>,
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
        let (journal, replay) = Journal::<Vec<Event>>::open(dir.join(JOURNAL))?;
        let events: Vec<Event> = replay.events.into_iter().flatten().collect();
        if let Some(Event::Started {
            wizard_hash: found, ..
        }) = events.first()
        {
            if found != wizard_hash {
                return Err(SessionError::OtherWizard {
                    dir: dir.display().to_string(),
                    found: found.clone(),
                    expected: wizard_hash.to_string(),
                });
            }
        }
        let state = engine.replay(&events);
        let mut session = Session {
            engine,
            state,
            dir: dir.to_path_buf(),
            journal,
            events,
        };
        if session.events.is_empty() {
            let start = engine.start(now, wizard_hash, env!("CARGO_PKG_VERSION"), lang)?;
            session.record(start)?;
        } else if session.state.live.connected {
            // The journal ends with the unit connected, but this is a new process with no link
            // yet: say so, or the gates would trust data from before the crash.
            session.record(vec![Event::LinkDown {
                at: now,
                reason: "the session was resumed; waiting for the BMS again".into(),
            }])?;
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
            self.journal.append(&journaled)?;
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

    /// Move the session folder to `new_dir` (which must not exist; its parent is created),
    /// and go on there: the journal stays open across the rename, so nothing is lost and
    /// nothing is written twice. On failure the session stays where it was.
    pub fn move_to(&mut self, new_dir: &Path) -> Result<(), SessionError> {
        let fail = |source| SessionError::Move {
            from: self.dir.display().to_string(),
            to: new_dir.display().to_string(),
            source,
        };
        if new_dir.exists() {
            return Err(fail(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "it exists already",
            )));
        }
        if let Some(parent) = new_dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(fail)?;
        }
        std::fs::rename(&self.dir, new_dir).map_err(fail)?;
        // The new name lives in the parent folder: make it survive a crash too.
        if let Some(parent) = new_dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            if let Ok(d) = std::fs::File::open(parent) {
                let _ = d.sync_all();
            }
        }
        self.dir = new_dir.to_path_buf();
        self.journal.moved_to(new_dir.join(JOURNAL));
        Ok(())
    }

    /// When the session started (its first event), if it has begun.
    pub fn started_at(&self) -> Option<Millis> {
        match self.events.first() {
            Some(Event::Started { at, .. }) => Some(*at),
            _ => None,
        }
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

    #[test]
    fn a_moved_session_goes_on_in_its_new_folder_with_the_same_journal() {
        let root = tempfile::tempdir().unwrap();
        let old = root.path().join("2026-03-01-1-unknown-unit");
        let new = root.path().join("sub").join("SN123-2026-03-01");
        let spec = mini();
        let field = |text: &str| Input::Field {
            field: "cells".into(),
            text: text.into(),
        };
        {
            let (mut s, _) = Session::open(&spec, &old, "h", "en", 7).unwrap();
            assert_eq!(s.started_at(), Some(7));
            s.input(field("16"), 1).unwrap();
            s.move_to(&new).unwrap();
            assert_eq!(s.dir(), new);
            assert!(!old.exists(), "the old folder is gone");
            // Still the same open journal: this lands in the moved file.
            s.input(field("15"), 2).unwrap();
            assert_eq!(s.journal.path(), new.join(JOURNAL));
            // A folder that exists is never overwritten.
            let taken = root.path().join("taken");
            std::fs::create_dir(&taken).unwrap();
            let err = s.move_to(&taken).unwrap_err();
            assert!(err.to_string().contains("exists already"), "{err}");
            assert_eq!(s.dir(), new);
        }
        let (s, torn) = Session::open(&spec, &new, "h", "en", 9).unwrap();
        assert!(torn.is_none());
        assert_eq!(s.state.pack.cells, Some(15));
        assert_eq!(s.events().len(), 4, "start, two fields: {:?}", s.events());
    }
}

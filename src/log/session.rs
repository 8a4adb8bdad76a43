//! One commissioning on disk: the session folder, its journal, and the engine state folded
//! from it. Every front end (the TUI, `run`, `train`) drives the engine through this, so that
//! nothing reaches the screen before it is on disk.

use std::path::{Path, PathBuf};

use crate::log::journal::{Journal, JournalError, TornTail};
use crate::wizard::engine::{Engine, EngineError, EntrySource, Event, Input, Millis, State};
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
    /// The session is finished: its log is written, so nothing may be added to its journal.
    #[error(
        "the session in {dir} is finished (signed off, its log written) and stays as it is: \
         check it with `jk-commission verify {dir}/log.yaml` and read {dir}/report.html; a new \
         attempt on this pack needs a new session folder"
    )]
    Finished {
        /// Session folder.
        dir: String,
    },
    /// `--out` names a folder that holds other things than a session.
    #[error(
        "{dir} is not empty and is not a jk-commission session folder (it has no {JOURNAL}); \
         its files are left alone: give a new or empty folder"
    )]
    NotASessionFolder {
        /// The folder.
        dir: String,
    },
    /// The session folder could not be read.
    #[error("cannot read the session folder {dir}: {source}")]
    Folder {
        /// The folder.
        dir: String,
        /// The cause.
        source: std::io::Error,
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

impl SessionError {
    /// In words in `lang`.
    pub fn render(&self, spec: &crate::wizard::spec::WizardSpec, lang: &str) -> String {
        self.say().render(spec, lang)
    }

    /// In the operator's words: the engine's refusals as the engine says them; folder names,
    /// hashes and what the system said carried as they are.
    pub fn say(&self) -> crate::wizard::words::Say {
        use crate::wizard::words::{Arg, Say};
        let v = |s: &str| Arg::verbatim(s);
        match self {
            SessionError::Journal(e) => e.say(),
            SessionError::Engine(e) => e.say(),
            SessionError::OtherWizard {
                dir,
                found,
                expected,
            } => Say::new(
                "log.session.other_wizard",
                [
                    ("dir", v(dir)),
                    ("found", v(found)),
                    ("expected", v(expected)),
                ],
            ),
            SessionError::Finished { dir } => Say::new("log.session.finished", [("dir", v(dir))]),
            SessionError::NotASessionFolder { dir } => Say::new(
                "log.session.not_a_session",
                [("dir", v(dir)), ("journal", v(JOURNAL))],
            ),
            SessionError::Folder { dir, source } => Say::new(
                "log.session.folder",
                [("dir", v(dir)), ("error", v(&source.to_string()))],
            ),
            SessionError::Move { from, to, source } => Say::new(
                "log.session.move",
                [
                    ("from", v(from)),
                    ("to", v(to)),
                    ("error", v(&source.to_string())),
                ],
            ),
        }
    }
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
    /// Open the session in `dir` (created if needed) with a person at the keys: resume from
    /// its journal, or start. A torn last journal line is moved aside and returned, so the
    /// caller can say so.
    pub fn open(
        spec: &'w WizardSpec,
        dir: &Path,
        wizard_hash: &str,
        lang: &str,
        now: Millis,
    ) -> Result<(Self, Option<TornTail>), SessionError> {
        Self::open_as(spec, dir, wizard_hash, lang, now, EntrySource::Operator)
    }

    /// [`Session::open`] with the entries made by `entries`, which the journal records (at
    /// the start, and again when a resumed session is driven another way).
    ///
    /// Refused, touching nothing: a finished session (its log written or its journal signed
    /// off), and a non-empty folder that is not a session folder.
    pub fn open_as(
        spec: &'w WizardSpec,
        dir: &Path,
        wizard_hash: &str,
        lang: &str,
        now: Millis,
        entries: EntrySource,
    ) -> Result<(Self, Option<TornTail>), SessionError> {
        Self::open_inner(spec, dir, wizard_hash, lang, now, entries, None)
    }

    /// A new attempt after the finished session in `finished`: a new session with a person at
    /// the keys in the first free `<finished>-<n>` folder beside it, whose journal and log name
    /// the finished one. The finished folder is not touched.
    pub fn open_attempt(
        spec: &'w WizardSpec,
        finished: &Path,
        wizard_hash: &str,
        lang: &str,
        now: Millis,
    ) -> Result<Self, SessionError> {
        let name = finished
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "session".to_string());
        let parent = finished.parent().unwrap_or(Path::new("."));
        let dir = (2..)
            .map(|n| parent.join(format!("{name}-{n}")))
            .find(|d| std::fs::symlink_metadata(d).is_err())
            .expect("some n is free");
        let previous = Some(name);
        let entries = EntrySource::Operator;
        let (session, _) = Self::open_inner(spec, &dir, wizard_hash, lang, now, entries, previous)?;
        Ok(session)
    }

    /// Whether `dir` holds a finished session of ours (a journal, and its log written).
    pub fn is_finished(dir: &Path) -> bool {
        std::fs::symlink_metadata(dir.join(JOURNAL)).is_ok()
            && std::fs::symlink_metadata(dir.join(LOG)).is_ok()
    }

    fn open_inner(
        spec: &'w WizardSpec,
        dir: &Path,
        wizard_hash: &str,
        lang: &str,
        now: Millis,
        entries: EntrySource,
        previous: Option<String>,
    ) -> Result<(Self, Option<TornTail>), SessionError> {
        check_folder(dir)?;
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
        // Signed off but no log: a crash came between the two. The session opens so that its
        // front end writes the log; its journal is closed and takes nothing more (see record).
        let state = engine.replay(&events);
        let mut session = Session {
            engine,
            state,
            dir: dir.to_path_buf(),
            journal,
            events,
        };
        if session.events.is_empty() {
            let mut start = engine.start(now, wizard_hash, env!("CARGO_PKG_VERSION"), lang)?;
            for e in &mut start {
                if let Event::Started {
                    entries: from,
                    previous: before,
                    ..
                } = e
                {
                    *from = entries.clone();
                    before.clone_from(&previous);
                }
            }
            session.record(start)?;
        } else if session.state.entries.last() != Some(&entries) {
            session.record(vec![Event::EntriesFrom { at: now, entries }])?;
        }
        if session.events.len() > 2 && session.state.live.connected {
            // The journal ends with the unit connected, but this is a new process with no link
            // yet: say so, or the gates would trust data from before the crash.
            session.record(vec![Event::LinkDown {
                at: now,
                reason: "the session was resumed; waiting for the BMS again".into(),
            }])?;
        }
        Ok((session, replay.torn))
    }

    /// The stamp of the latest event in the journal, if any.
    pub fn last_at(&self) -> Option<Millis> {
        self.events.iter().map(Event::at).max()
    }

    /// Feed one input: the engine decides, the journal is synced, then the state moves.
    pub fn input(&mut self, input: Input, at: Millis) -> Result<Vec<Event>, SessionError> {
        let events = self.engine.handle(&self.state, input, at)?;
        if self.state.signed_off.is_some() {
            // Closed (see `record`): nothing happened to the session.
            return Ok(Vec::new());
        }
        self.record(events.clone())?;
        Ok(events)
    }

    fn record(&mut self, events: Vec<Event>) -> Result<(), SessionError> {
        // A signed-off session is closed: the log is built from this state and records the
        // journal's hash, so what the link still says afterwards is neither appended nor
        // folded — the state stays the one the journal yields, which `verify` replays.
        if self.state.signed_off.is_some() {
            return Ok(());
        }
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

    /// Who makes the entries now.
    pub fn entries(&self) -> Option<&EntrySource> {
        self.state.entries.last()
    }

    /// Whether this session was resumed (it held more than its start).
    pub fn resumed(&self) -> bool {
        self.events.len() > 2
    }
}

/// A session may live in `dir` when it is missing, empty, or already a session folder without
/// a log.
fn check_folder(dir: &Path) -> Result<(), SessionError> {
    let folder = |source| SessionError::Folder {
        dir: dir.display().to_string(),
        source,
    };
    let mut names = match std::fs::read_dir(dir) {
        Ok(names) => names,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(folder(e)),
    };
    if names.next().is_none() {
        return Ok(());
    }
    if std::fs::symlink_metadata(dir.join(JOURNAL)).is_err() {
        return Err(SessionError::NotASessionFolder {
            dir: dir.display().to_string(),
        });
    }
    if std::fs::symlink_metadata(dir.join(LOG)).is_ok() {
        return Err(SessionError::Finished {
            dir: dir.display().to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every refusal of a session or its journal, as a sentence: its English is its `Display`
    /// (one wording, however it is shown), and every other language has its own.
    #[test]
    fn why_a_session_cannot_open_is_worded_in_every_language_and_english_is_its_display() {
        use crate::log::journal::{JournalAction, JournalError};
        let spec = crate::wizard::words::builtin();
        let io = || std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
        let json = || serde_json::from_str::<u8>("x").unwrap_err();
        let path = || std::path::PathBuf::from("/s/journal.jsonl");
        let mut all: Vec<SessionError> = [
            JournalAction::CreateFolder,
            JournalAction::Open,
            JournalAction::RecordCreation,
            JournalAction::Read,
            JournalAction::KeepTorn,
            JournalAction::CutTorn,
            JournalAction::Append,
        ]
        .into_iter()
        .map(|action| {
            SessionError::Journal(JournalError::Io {
                action,
                path: path(),
                source: io(),
            })
        })
        .collect();
        all.extend([
            SessionError::Journal(JournalError::Corrupt {
                path: path(),
                line: 7,
                source: json(),
            }),
            SessionError::Journal(JournalError::Incomplete {
                path: path(),
                line: 9,
            }),
            SessionError::Journal(JournalError::Encode {
                path: path(),
                source: json(),
            }),
            SessionError::OtherWizard {
                dir: "/s".into(),
                found: "ab12".into(),
                expected: "cd34".into(),
            },
            SessionError::Finished { dir: "/s".into() },
            SessionError::NotASessionFolder { dir: "/s".into() },
            SessionError::Folder {
                dir: "/s".into(),
                source: io(),
            },
            SessionError::Move {
                from: "/s".into(),
                to: "/t".into(),
                source: io(),
            },
        ]);
        for e in &all {
            crate::wizard::words::assert_worded_everywhere(&e.say(), &e.to_string(), false);
        }
        assert_eq!(
            all[8].render(spec, "pl"),
            "dziennik /s/journal.jsonl kończy się przerwanym wierszem (wiersz 9): nie jest kompletny"
        );
    }
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
    fn a_finished_session_or_a_foreign_folder_is_refused_and_left_as_it_is() {
        let root = tempfile::tempdir().unwrap();
        let spec = mini();
        let done = root.path().join("done");
        drop(Session::open(&spec, &done, "h", "en", 0).unwrap());
        std::fs::write(done.join(LOG), "format: x\n").unwrap();
        let journal = std::fs::read(done.join(JOURNAL)).unwrap();
        let err = Session::open(&spec, &done, "h", "en", 1).unwrap_err();
        assert!(matches!(err, SessionError::Finished { .. }), "{err}");
        assert!(err.to_string().contains("verify"), "{err}");
        assert_eq!(std::fs::read(done.join(JOURNAL)).unwrap(), journal);

        // A folder of someone else's, even one with a log.yaml of its own.
        for name in ["notes.txt", LOG] {
            let foreign = root.path().join(format!("theirs-{name}"));
            std::fs::create_dir(&foreign).unwrap();
            std::fs::write(foreign.join(name), "mine").unwrap();
            assert!(!Session::is_finished(&foreign));
            let err = Session::open(&spec, &foreign, "h", "en", 1).unwrap_err();
            assert!(
                matches!(err, SessionError::NotASessionFolder { .. }),
                "{err}"
            );
            assert!(!foreign.join(JOURNAL).exists(), "nothing written there");
            assert_eq!(std::fs::read_to_string(foreign.join(name)).unwrap(), "mine");
        }

        // An empty folder is fine, and so is a new one.
        let empty = root.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        assert!(Session::open(&spec, &empty, "h", "en", 1).is_ok());
    }

    #[test]
    fn a_session_signed_off_before_a_crash_reopens_to_write_its_log_and_appends_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let spec = mini();
        let field = |f: &str, t: &str| Input::Field {
            field: f.into(),
            text: t.into(),
        };
        let check = |i: &str| Input::Check {
            item: i.into(),
            checked: true,
        };
        {
            let (mut s, _) = Session::open(&spec, dir.path(), "h", "en", 0).unwrap();
            for (i, input) in [
                field("chemistry", "lifepo4"),
                field("cells", "16"),
                field("model", "m16"),
                Input::Next,
                check("a"),
                check("b"),
                Input::Next,
                Input::Skip,
                check("tidy"),
                Input::Next,
                check("done"),
                Input::SignOff {
                    name: "Anna".into(),
                    role: "assembler".into(),
                },
            ]
            .into_iter()
            .enumerate()
            {
                s.input(input, i as Millis + 1).unwrap();
            }
            assert!(s.state.signed_off.is_some());
        }
        let journal = std::fs::read(dir.path().join(JOURNAL)).unwrap();
        // Another way of entries and a connected link would each add an event; not any more.
        let (s, _) = Session::open_as(
            &spec,
            dir.path(),
            "h",
            "en",
            99,
            EntrySource::SimulatedTrainee {
                scenario: "x".into(),
            },
        )
        .unwrap();
        assert!(s.state.signed_off.is_some());
        assert_eq!(std::fs::read(dir.path().join(JOURNAL)).unwrap(), journal);
        assert_eq!(
            s.state,
            s.engine.replay(s.events()),
            "the state is the journal's"
        );
    }

    #[test]
    fn a_new_attempt_is_a_new_folder_that_names_the_finished_one() {
        let root = tempfile::tempdir().unwrap();
        let spec = mini();
        let done = root.path().join("SN1-2026-03-01");
        drop(Session::open(&spec, &done, "h", "en", 0).unwrap());
        std::fs::write(done.join(LOG), "x").unwrap();
        assert!(Session::is_finished(&done));
        let before = std::fs::read(done.join(JOURNAL)).unwrap();
        let s = Session::open_attempt(&spec, &done, "h", "en", 1).unwrap();
        assert_eq!(s.dir(), root.path().join("SN1-2026-03-01-2"));
        assert_eq!(s.state.previous.as_deref(), Some("SN1-2026-03-01"));
        assert_eq!(std::fs::read(done.join(JOURNAL)).unwrap(), before);
        let again = Session::open_attempt(&spec, &done, "h", "en", 2).unwrap();
        assert_eq!(again.dir(), root.path().join("SN1-2026-03-01-3"));
    }

    #[test]
    fn who_makes_the_entries_is_journaled_at_the_start_and_when_a_resume_changes_it() {
        let dir = tempfile::tempdir().unwrap();
        let spec = mini();
        let file = EntrySource::AnswersFile {
            file: "a.yaml".into(),
            sha256: "ab".into(),
        };
        {
            let (s, _) = Session::open_as(&spec, dir.path(), "h", "en", 0, file.clone()).unwrap();
            assert_eq!(s.state.entries, std::slice::from_ref(&file));
        }
        {
            // The same source again adds nothing.
            let (s, _) = Session::open_as(&spec, dir.path(), "h", "en", 1, file.clone()).unwrap();
            assert_eq!(s.events().len(), 2);
        }
        let (s, _) = Session::open(&spec, dir.path(), "h", "en", 2).unwrap();
        assert_eq!(s.state.entries, [file, EntrySource::Operator]);
        assert_eq!(s.entries(), Some(&EntrySource::Operator));
        let replayed = s.engine.replay(s.events());
        assert_eq!(replayed.entries, s.state.entries, "it is in the journal");
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

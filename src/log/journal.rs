//! The append-only journal: one JSON line per event, on disk before the caller moves on, and
//! replayed on start so a session killed at any moment resumes where it was.
//!
//! A crash can only cut the *last* line short (we append, never rewrite): a last line without
//! its newline (or, after power loss, one of zero bytes) is expected damage. It is moved aside
//! into a file beside the journal, reported, and the session goes on. A bad line anywhere else
//! — a complete last line included — means the file was changed by something other than us,
//! and that is refused with its line number; nothing is ever deleted.
//!
//! The journal is never opened through a symlink: a link planted in a session folder would
//! otherwise have the journal written into (or a file truncated at) wherever it points.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Everything that can go wrong opening, replaying or appending to a journal.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The file system refused an operation.
    #[error("could not {} the journal {path}: {source}", action.english())]
    Io {
        /// What we were doing.
        action: JournalAction,
        /// The journal file.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// A line before the last one does not parse: not crash damage, so we do not guess.
    #[error(
        "the journal {path} is damaged at line {line}: {source}. Only a last line without its \
         newline can be left by a crash, so this file was changed by something else; it was \
         left untouched (keep it, and start a new session or repair the line by hand)"
    )]
    Corrupt {
        /// The journal file.
        path: PathBuf,
        /// 1-based number of the bad line.
        line: usize,
        /// Why the line did not parse.
        source: serde_json::Error,
    },
    /// The journal ends in a line cut short: the session it records never finished writing.
    #[error("the journal {path} ends in a line cut short (line {line}): it is not complete")]
    Incomplete {
        /// The journal file.
        path: PathBuf,
        /// 1-based number of the torn line.
        line: usize,
    },
    /// An event could not be turned into JSON (a bug in the event type, not in the file).
    #[error("could not write an event to the journal {path} as JSON: {source}")]
    Encode {
        /// The journal file.
        path: PathBuf,
        /// Why serialisation failed.
        source: serde_json::Error,
    },
}

/// What was being done to a journal when the file system refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalAction {
    /// Making the session folder.
    CreateFolder,
    /// Opening the file.
    Open,
    /// Syncing the folder after the file was made.
    RecordCreation,
    /// Reading it.
    Read,
    /// Keeping a torn last line in a file beside it.
    KeepTorn,
    /// Cutting a torn last line off.
    CutTorn,
    /// Appending events.
    Append,
}

impl JournalAction {
    /// The English verb phrase, as the error's `Display` says it.
    fn english(self) -> &'static str {
        match self {
            JournalAction::CreateFolder => "create the folder of",
            JournalAction::Open => "open",
            JournalAction::RecordCreation => "record the creation of",
            JournalAction::Read => "read",
            JournalAction::KeepTorn => "move the torn last line aside from",
            JournalAction::CutTorn => "cut the torn last line off",
            JournalAction::Append => "append to",
        }
    }

    /// The key of its sentence in the wizard's words.
    fn key(self) -> &'static str {
        match self {
            JournalAction::CreateFolder => "log.journal.io.create_folder",
            JournalAction::Open => "log.journal.io.open",
            JournalAction::RecordCreation => "log.journal.io.record_creation",
            JournalAction::Read => "log.journal.io.read",
            JournalAction::KeepTorn => "log.journal.io.keep_torn",
            JournalAction::CutTorn => "log.journal.io.cut_torn",
            JournalAction::Append => "log.journal.io.append",
        }
    }
}

impl JournalError {
    /// In the operator's words: the path and what the system said carried as they are.
    pub fn say(&self) -> crate::wizard::words::Say {
        use crate::wizard::words::{Arg, Say};
        let path = |p: &Path| Arg::verbatim(p.display().to_string());
        match self {
            JournalError::Io {
                action,
                path: p,
                source,
            } => Say::new(
                action.key(),
                [
                    ("path", path(p)),
                    ("error", Arg::verbatim(source.to_string())),
                ],
            ),
            JournalError::Corrupt {
                path: p,
                line,
                source,
            } => Say::new(
                "log.journal.corrupt",
                [
                    ("path", path(p)),
                    ("line", Arg::int(*line as i64)),
                    ("error", Arg::verbatim(source.to_string())),
                ],
            ),
            JournalError::Incomplete { path: p, line } => Say::new(
                "log.journal.incomplete",
                [("path", path(p)), ("line", Arg::int(*line as i64))],
            ),
            JournalError::Encode { path: p, source } => Say::new(
                "log.journal.encode",
                [
                    ("path", path(p)),
                    ("error", Arg::verbatim(source.to_string())),
                ],
            ),
        }
    }
}

/// A last line cut short by a crash, found while opening the journal and moved aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    /// 1-based line number of the dropped line.
    pub line: usize,
    /// How many bytes were moved aside (including its newline, if it had one).
    pub bytes: usize,
    /// The file beside the journal that now holds those bytes.
    pub kept: PathBuf,
}

impl fmt::Display for TornTail {
    // The dropped event was never acknowledged (append had not returned), so the screen never
    // moved past it: resuming before it loses nothing the operator saw as done.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words = crate::wizard::words::builtin();
        f.write_str(&self.say().render(words, "en"))
    }
}

impl TornTail {
    /// The note in words (the same as its English `Display`).
    pub fn say(&self) -> crate::wizard::words::Say {
        use crate::wizard::words::{Arg, Say};
        let (line, bytes, kept) = (
            Arg::int(self.line as i64),
            Arg::int(self.bytes as i64),
            Arg::verbatim(self.kept.display().to_string()),
        );
        match self.line - 1 {
            0 => Say::new(
                "cli.journal.torn_start",
                [("bytes", bytes), ("kept", kept), ("line", line)],
            ),
            n => Say::new(
                "cli.journal.torn_resume",
                [
                    ("bytes", bytes),
                    ("kept", kept),
                    ("kept_lines", Arg::int(n as i64)),
                    ("line", line),
                ],
            ),
        }
    }
}

/// What `open` read back: every recorded event in order, and a note if a torn tail was cut.
#[derive(Debug, Clone, PartialEq)]
pub struct Replay<T> {
    /// The recorded events, oldest first.
    pub events: Vec<T>,
    /// Set when the last line was incomplete and has been moved out of the file.
    pub torn: Option<TornTail>,
}

/// An open journal of events of type `T`, positioned for appending.
#[derive(Debug)]
pub struct Journal<T> {
    file: File,
    path: PathBuf,
    /// Length of the file up to the last complete line we know of, to undo a failed append.
    end: u64,
    lines: usize,
    _events: PhantomData<fn(T)>,
}

impl<T: Serialize + DeserializeOwned> Journal<T> {
    /// Open (creating it and its folder if missing) and replay the journal at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<(Journal<T>, Replay<T>), JournalError> {
        let path = path.as_ref().to_path_buf();
        let io_err = |action: JournalAction| {
            let path = path.clone();
            move |source| JournalError::Io {
                action,
                path,
                source,
            }
        };

        let created = !path.exists();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(io_err(JournalAction::CreateFolder))?;
        }
        let mut options = OpenOptions::new();
        options.read(true).append(true).create(true);
        no_follow(&mut options);
        let mut file = options.open(&path).map_err(io_err(JournalAction::Open))?;
        if created {
            // A new file's name lives in its folder: sync the folder too, or a crash right after
            // the first append could leave data with no name pointing at it.
            sync_parent(&path).map_err(io_err(JournalAction::RecordCreation))?;
        }

        let mut content = Vec::new();
        file.read_to_end(&mut content)
            .map_err(io_err(JournalAction::Read))?;
        let (events, torn, end) = parse(&path, &content)?;
        let torn = match torn {
            None => None,
            Some((line, bytes)) => {
                // Keep the bytes before cutting them: a torn line is evidence too.
                let kept = keep_aside(&path, &content[end as usize..])
                    .map_err(io_err(JournalAction::KeepTorn))?;
                file.set_len(end).map_err(io_err(JournalAction::CutTorn))?;
                file.sync_data().map_err(io_err(JournalAction::CutTorn))?;
                Some(TornTail { line, bytes, kept })
            }
        };

        let journal = Journal {
            file,
            path,
            end,
            lines: events.len(),
            _events: PhantomData,
        };
        Ok((journal, Replay { events, torn }))
    }

    /// Append one event and wait until it is on disk.
    ///
    /// This returns only after `sync_data`: that is the promise that an event is flushed to
    /// disk before the UI moves on, so a crash (even power loss) never forgets a step the
    /// operator saw completed.
    pub fn append(&mut self, event: &T) -> Result<(), JournalError> {
        self.append_all(std::slice::from_ref(event))
    }

    /// Append several events with a single write and a single `sync_data`.
    pub fn append_all(&mut self, events: &[T]) -> Result<(), JournalError> {
        if events.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::new();
        for event in events {
            // serde_json escapes control characters inside strings, so one event is one line.
            serde_json::to_writer(&mut buf, event).map_err(|source| JournalError::Encode {
                path: self.path.clone(),
                source,
            })?;
            buf.push(b'\n');
        }
        let written = self
            .file
            .write_all(&buf)
            .and_then(|()| self.file.sync_data());
        if let Err(source) = written {
            // Undo a partial write (disk full, …) so the next append does not land after half a
            // line and turn a recoverable tail into a corrupt middle line.
            let _ = self.file.set_len(self.end);
            return Err(JournalError::Io {
                action: JournalAction::Append,
                path: self.path.clone(),
                source,
            });
        }
        self.end += buf.len() as u64;
        self.lines += events.len();
        Ok(())
    }

    /// The journal file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file was moved (its folder renamed): messages name it at `path` from now on. The
    /// open file stays the same file, so appends go on where they were.
    pub fn moved_to(&mut self, path: PathBuf) {
        self.path = path;
    }

    /// How many events the journal holds (replayed plus appended).
    pub fn len(&self) -> usize {
        self.lines
    }

    /// True when the journal holds no event yet.
    pub fn is_empty(&self) -> bool {
        self.lines == 0
    }
}

/// Read a whole journal that must be complete (a finished session's, for `verify`): every
/// line an event, the last one ended by its newline.
pub fn read_complete<T: DeserializeOwned>(
    path: &Path,
    content: &[u8],
) -> Result<Vec<T>, JournalError> {
    let (events, torn, _) = parse(path, content)?;
    match torn {
        None => Ok(events),
        Some((line, _)) => Err(JournalError::Incomplete {
            path: path.to_path_buf(),
            line,
        }),
    }
}

/// A parsed journal: the events, a torn tail (its line and length) if any, and the byte length
/// of the good part.
type Parsed<T> = (Vec<T>, Option<(usize, usize)>, u64);

/// Parse the whole file.
fn parse<T: DeserializeOwned>(path: &Path, content: &[u8]) -> Result<Parsed<T>, JournalError> {
    let mut events = Vec::new();
    let mut start = 0usize;
    let mut line = 0usize;
    while start < content.len() {
        line += 1;
        let newline = content[start..].iter().position(|&b| b == b'\n');
        let (text, next) = match newline {
            Some(i) => (&content[start..start + i], start + i + 1),
            None => (&content[start..], content.len()),
        };
        let is_last = next == content.len();
        // After power loss a file can end in zeros that were never written by us.
        let zeros = !text.is_empty() && text.iter().all(|&b| b == 0);
        let parsed = serde_json::from_slice::<T>(text);
        match (parsed, newline, is_last) {
            (Ok(event), Some(_), _) => events.push(event),
            // No newline: the write never finished, even if the JSON happens to be whole.
            (_, None, _) | (Err(_), Some(_), true) if newline.is_none() || zeros => {
                let torn = (line, content.len() - start);
                return Ok((events, Some(torn), start as u64));
            }
            (Err(source), _, _) => {
                return Err(JournalError::Corrupt {
                    path: path.to_path_buf(),
                    line,
                    source,
                })
            }
            (Ok(_), None, _) => unreachable!("a line without newline is torn above"),
        }
        start = next;
    }
    Ok((events, None, content.len() as u64))
}

/// Write `bytes` into a new file beside `journal` (`journal.jsonl.torn-<n>`), synced, and
/// return its path.
fn keep_aside(journal: &Path, bytes: &[u8]) -> io::Result<PathBuf> {
    for n in 1.. {
        let mut name = journal.as_os_str().to_owned();
        name.push(format!(".torn-{n}"));
        let aside = PathBuf::from(name);
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        match options.open(&aside) {
            Ok(mut f) => {
                f.write_all(bytes)?;
                f.sync_all()?;
                sync_parent(&aside)?;
                return Ok(aside);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    unreachable!("some n is free")
}

/// Refuse to open through a symlink in the last component (`O_NOFOLLOW`).
pub(crate) fn no_follow(options: &mut OpenOptions) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    #[cfg(not(unix))]
    let _ = options;
}

#[cfg(unix)]
fn sync_parent(path: &Path) -> io::Result<()> {
    let parent = match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(p) => p,
        None => Path::new("."),
    };
    File::open(parent)?.sync_all()
}

#[cfg(not(unix))]
fn sync_parent(_path: &Path) -> io::Result<()> {
    // Windows cannot open a directory as a file; NTFS journals the metadata itself.
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "kind", rename_all = "snake_case")]
    enum Ev {
        Step { id: String },
        Reading { cell: u8, volts: f64, note: String },
    }

    fn sample() -> Vec<Ev> {
        vec![
            Ev::Step {
                id: "wiring".into(),
            },
            Ev::Reading {
                cell: 3,
                volts: 3.291,
                note: "line one\nline two, \"quoted\"".into(),
            },
            Ev::Step {
                id: "activation".into(),
            },
        ]
    }

    #[test]
    fn creates_folder_and_round_trips_events() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session/a/journal.jsonl");
        let (mut j, replay) = Journal::<Ev>::open(&path).unwrap();
        assert!(replay.events.is_empty());
        assert_eq!(replay.torn, None);
        j.append(&sample()[0]).unwrap();
        j.append_all(&sample()[1..]).unwrap();
        assert_eq!(j.len(), 3);
        drop(j);

        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(
            text.lines().count(),
            3,
            "one line per event, even with \\n in a string"
        );

        let (j, replay) = Journal::<Ev>::open(&path).unwrap();
        assert_eq!(replay.events, sample());
        assert_eq!(replay.torn, None);
        assert_eq!(j.len(), 3);
    }

    #[test]
    fn torn_tail_is_reported_cut_and_later_appends_stay_clean() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let (mut j, _) = Journal::<Ev>::open(&path).unwrap();
        j.append_all(&sample()).unwrap();
        drop(j);

        // Cut the file in the middle of the third line, as a crash during its write would.
        let full = fs::read(&path).unwrap();
        let third_start = full.len() - serde_json::to_vec(&sample()[2]).unwrap().len() - 1;
        let cut = third_start + 7;
        fs::write(&path, &full[..cut]).unwrap();

        let (mut j, replay) = Journal::<Ev>::open(&path).unwrap();
        assert_eq!(replay.events, sample()[..2]);
        let torn = replay.torn.expect("the cut line is reported");
        let kept = dir.path().join("journal.jsonl.torn-1");
        assert_eq!(
            torn,
            TornTail {
                line: 3,
                bytes: 7,
                kept: kept.clone()
            }
        );
        assert_eq!(
            fs::read(&kept).unwrap(),
            &full[third_start..cut],
            "the torn bytes are kept aside, not destroyed"
        );
        assert!(torn.to_string().contains("journal.jsonl.torn-1"), "{torn}");
        let msg = torn.to_string();
        assert!(
            msg.contains("line 3") && msg.contains("resumes after line 2"),
            "{msg}"
        );
        assert_eq!(
            fs::read(&path).unwrap(),
            &full[..third_start],
            "torn bytes removed"
        );

        j.append(&sample()[2]).unwrap();
        j.append(&sample()[0]).unwrap();
        drop(j);
        let (_, replay) = Journal::<Ev>::open(&path).unwrap();
        let mut expected = sample();
        expected.push(sample()[0].clone());
        assert_eq!(replay.events, expected);
        assert_eq!(replay.torn, None);
    }

    #[test]
    fn complete_json_without_newline_is_still_torn() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let first = serde_json::to_string(&sample()[0]).unwrap();
        let second = serde_json::to_string(&sample()[1]).unwrap();
        fs::write(&path, format!("{first}\n{second}")).unwrap();
        let (_, replay) = Journal::<Ev>::open(&path).unwrap();
        assert_eq!(replay.events, sample()[..1]);
        let torn = replay.torn.unwrap();
        assert_eq!((torn.line, torn.bytes), (2, second.len()));
        assert_eq!(fs::read_to_string(torn.kept).unwrap(), second);
    }

    #[test]
    fn unparseable_last_line_with_newline_is_torn() {
        // After power loss a file can end in zeros that were never written by us.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let first = serde_json::to_string(&sample()[0]).unwrap();
        let mut bytes = format!("{first}\n").into_bytes();
        bytes.extend_from_slice(&[0, 0, 0, b'\n']);
        fs::write(&path, &bytes).unwrap();
        let (_, replay) = Journal::<Ev>::open(&path).unwrap();
        assert_eq!(replay.events, sample()[..1]);
        let torn = replay.torn.unwrap();
        assert_eq!((torn.line, torn.bytes), (2, 4));
        assert_eq!(fs::read(&path).unwrap().len(), first.len() + 1);
    }

    #[test]
    fn a_complete_garbage_last_line_is_damage_not_a_crash_and_is_kept() {
        // A crash cuts a line short; it does not write a whole line of something else.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let first = serde_json::to_string(&sample()[0]).unwrap();
        let text = format!("{first}\nnot an event\n");
        fs::write(&path, &text).unwrap();
        let err = Journal::<Ev>::open(&path).unwrap_err();
        assert!(
            matches!(err, JournalError::Corrupt { line: 2, .. }),
            "{err:?}"
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), text, "nothing deleted");
    }

    #[test]
    #[cfg(unix)]
    fn a_journal_symlink_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        for content in ["", "one line\n"] {
            let target = dir.path().join("target");
            fs::write(&target, content).unwrap();
            let path = dir.path().join("journal.jsonl");
            let _ = fs::remove_file(&path);
            std::os::unix::fs::symlink(&target, &path).unwrap();
            let err = Journal::<Ev>::open(&path).unwrap_err();
            assert!(matches!(err, JournalError::Io { .. }), "{err:?}");
            assert_eq!(fs::read_to_string(&target).unwrap(), content);
        }
    }

    #[test]
    fn read_complete_refuses_a_torn_journal() {
        let first = serde_json::to_string(&sample()[0]).unwrap();
        let p = Path::new("j");
        let whole = format!("{first}\n");
        assert_eq!(
            read_complete::<Ev>(p, whole.as_bytes()).unwrap(),
            sample()[..1]
        );
        let err = read_complete::<Ev>(p, first.as_bytes()).unwrap_err();
        assert!(
            matches!(err, JournalError::Incomplete { line: 1, .. }),
            "{err}"
        );
    }

    #[test]
    fn corrupt_middle_line_is_an_error_naming_the_line_and_file_is_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let lines: Vec<String> = sample()
            .iter()
            .map(|e| serde_json::to_string(e).unwrap())
            .collect();
        let text = format!("{}\n{{\"kind\":\"step\"\n{}\n", lines[0], lines[2]);
        fs::write(&path, &text).unwrap();
        let err = Journal::<Ev>::open(&path).unwrap_err();
        assert!(
            matches!(err, JournalError::Corrupt { line: 2, .. }),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains("line 2"), "{msg}");
        assert!(msg.contains("journal.jsonl"), "{msg}");
        assert_eq!(fs::read_to_string(&path).unwrap(), text);
    }

    #[test]
    fn a_line_of_the_wrong_shape_is_corrupt_too() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let last = serde_json::to_string(&sample()[0]).unwrap();
        fs::write(&path, format!("{{\"kind\":\"unknown\"}}\n{last}\n")).unwrap();
        let err = Journal::<Ev>::open(&path).unwrap_err();
        assert!(
            matches!(err, JournalError::Corrupt { line: 1, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn empty_batch_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let (mut j, _) = Journal::<Ev>::open(&path).unwrap();
        j.append_all(&[]).unwrap();
        assert!(j.is_empty());
        assert_eq!(fs::metadata(&path).unwrap().len(), 0);
    }
}

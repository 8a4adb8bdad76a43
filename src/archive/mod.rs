//! The workshop archive: signed sessions, verified on the way in exactly as `verify` checks
//! them (`log::audit::verify_signed`), indexed by pack, BMS serial, operator, verdict and
//! date, so the log of a pack can be found and trusted years later, with every commissioning
//! of the same unit beside it.
//!
//! A front-end-side module over `log`: `cmd::archive` uses it, nothing below imports it. The
//! database is behind [`store::Store`]: SQLite embedded (the default, in the platform's data
//! directory) or a PostgreSQL server shared by several benches.

pub mod postgres;
pub mod sqlite;
pub mod store;

use std::path::{Path, PathBuf};

use crate::log::audit::{self, TrainerSignature};
use crate::log::session::{LOG, SIGNATURE};
use crate::wizard::spec::{sha256_hex, WizardSpec};
use crate::wizard::words::{Arg, Say};

pub use store::{Inserted, Query, Store};

/// Why the archive could not do something. `Display` is the English sentence, for logs;
/// [`ArchiveError::say`] the same in the operator's words.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The database refused: what its driver said.
    #[error("the archive database: {0}")]
    Database(String),
    /// The SQLite file's folder could not be made.
    #[error("the archive database: cannot create {path}: {error}")]
    CannotCreate {
        /// The folder.
        path: String,
        /// What the system said.
        error: String,
    },
    /// The SQLite file could not be opened.
    #[error("the archive database: cannot open {path}: {error}")]
    CannotOpen {
        /// The file.
        path: String,
        /// What the driver said.
        error: String,
    },
    /// The server could not be reached.
    #[error("the archive database: cannot reach the archive server {server}: {error}")]
    Unreachable {
        /// The server, without its password.
        server: String,
        /// What the driver said.
        error: String,
    },
    /// A number column holds a value out of its range.
    #[error("the archive database: column {column}: {value}")]
    Column {
        /// The column's place in `store::COLUMNS`.
        column: usize,
        /// What it holds.
        value: i64,
    },
    /// A session just added is not there.
    #[error("the archive database: session {id} vanished")]
    Vanished {
        /// Its number.
        id: i64,
    },
    /// An insert reported no row.
    #[error("the archive database: the insert left no row")]
    NoRow,
    /// The schema is newer than this program's.
    #[error(
        "the archive {store} has schema version {found}, newer than this program's {latest}: \
         use a newer jk-commission"
    )]
    TooNew {
        /// Where the archive is.
        store: String,
        /// Its schema version.
        found: u32,
        /// This program's.
        latest: u32,
    },
    /// A filter's date is not `YYYY-MM-DD`.
    #[error("{option} '{text}' is not a date: write it as YYYY-MM-DD, like 2026-03-31")]
    NotADate {
        /// The option (`--since`, `--until`).
        option: String,
        /// What was typed.
        text: String,
    },
    /// A filter's verdict is none the log writes.
    #[error("'{text}' is not a verdict: pass or pass_with_overrides")]
    NotAVerdict {
        /// What was typed.
        text: String,
    },
    /// `search` without a text.
    #[error("search for what? give a pack id, a BMS serial, an operator, a verdict or a date")]
    EmptySearch,
}

impl ArchiveError {
    /// What went wrong, as a sentence (`cli.archive.error.*`): paths, the server, what was
    /// typed and what the database or the system said, as they are.
    pub fn say(&self) -> Say {
        let v = |s: &str| Arg::verbatim(s);
        match self {
            ArchiveError::Database(error) => {
                Say::new("cli.archive.error.database", [("error", v(error))])
            }
            ArchiveError::CannotCreate { path, error } => Say::new(
                "cli.archive.error.cannot_create",
                [("error", v(error)), ("path", v(path))],
            ),
            ArchiveError::CannotOpen { path, error } => Say::new(
                "cli.archive.error.cannot_open",
                [("error", v(error)), ("path", v(path))],
            ),
            ArchiveError::Unreachable { server, error } => Say::new(
                "cli.archive.error.unreachable",
                [("error", v(error)), ("server", v(server))],
            ),
            ArchiveError::Column { column, value } => Say::new(
                "cli.archive.error.column",
                [
                    ("column", Arg::int(*column as i64)),
                    ("value", Arg::int(*value)),
                ],
            ),
            ArchiveError::Vanished { id } => {
                Say::new("cli.archive.error.vanished", [("id", Arg::int(*id))])
            }
            ArchiveError::NoRow => Say::plain("cli.archive.error.no_row"),
            ArchiveError::TooNew {
                store,
                found,
                latest,
            } => Say::new(
                "cli.archive.error.too_new",
                [
                    ("found", Arg::int(*found)),
                    ("latest", Arg::int(*latest)),
                    ("store", v(store)),
                ],
            ),
            ArchiveError::NotADate { option, text } => Say::new(
                "cli.archive.error.not_a_date",
                [("option", v(option)), ("text", v(text))],
            ),
            ArchiveError::NotAVerdict { text } => {
                Say::new("cli.archive.error.not_a_verdict", [("text", v(text))])
            }
            ArchiveError::EmptySearch => Say::plain("cli.archive.error.empty_search"),
        }
    }
}

/// Why a session folder was not archived. `Display` is the English sentence, for logs;
/// [`Refused::say`] the same in the operator's words.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// Not a finished session folder.
    #[error("{folder}: {}", .reason.english())]
    NotASession {
        /// The folder.
        folder: String,
        /// Why.
        reason: Say,
    },
    /// It failed verification (the same checks `verify` makes).
    #[error("{folder}: refused, it does not verify: {}", .reason.english())]
    Unverified {
        /// The folder.
        folder: String,
        /// Why, as the checks say it.
        reason: Say,
    },
    /// The database failed.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
}

impl Refused {
    /// Why, as a sentence: the folder, and why as the checks say it.
    pub fn say(&self) -> Say {
        let frame = |key: &str, folder: &str, reason: &Say| {
            Say::new(
                key,
                [
                    ("folder", Arg::verbatim(folder)),
                    ("reason", Arg::say(reason.clone())),
                ],
            )
        };
        match self {
            Refused::NotASession { folder, reason } => {
                frame("cli.archive.not_a_session", folder, reason)
            }
            Refused::Unverified { folder, reason } => {
                frame("cli.archive.unverified", folder, reason)
            }
            Refused::Archive(e) => e.say(),
        }
    }
}

/// A verified session, as it goes into the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// SHA-256 of log.yaml: the same session archived twice is the same log.
    pub log_sha256: String,
    /// The session folder (absolute).
    pub folder: String,
    /// The pack id.
    pub pack_id: String,
    /// The BMS serial number ("" without one).
    pub bms_serial: String,
    /// The BMS model.
    pub bms_model: String,
    /// The operator.
    pub operator: String,
    /// Who signed off.
    pub signed_off_by: String,
    /// The signature's principal from the allowed signers.
    pub signer: String,
    /// pass, pass_with_overrides.
    pub verdict: String,
    /// The chemistry.
    pub chemistry: String,
    /// Cells in series.
    pub series_cells: i32,
    /// When it started.
    pub started_at: String,
    /// When it was signed off.
    pub signed_off_at: String,
    /// On the simulator.
    pub simulated: bool,
    /// On a replayed capture.
    pub replayed: bool,
    /// The training scenario, for a training session.
    pub training: Option<String>,
    /// The capture's SHA-256, if the log names one.
    pub capture_sha256: Option<String>,
    /// When it was archived.
    pub archived_at: String,
    /// The log itself, so the archive keeps it if the folder is lost.
    pub log_yaml: String,
}

/// A session in the archive: its number and what went in (read through `Deref`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archived {
    /// Its number in the archive.
    pub id: i64,
    /// The session as archived.
    pub session: NewSession,
}

impl std::ops::Deref for Archived {
    type Target = NewSession;

    fn deref(&self) -> &NewSession {
        &self.session
    }
}

/// One result row of `store::COLUMNS`, whichever database it came from.
pub(crate) trait Columns {
    /// Column `i` as text.
    fn text(&self, i: usize) -> Result<String, ArchiveError>;
    /// Column `i` as text that may be NULL.
    fn maybe_text(&self, i: usize) -> Result<Option<String>, ArchiveError>;
    /// Column `i` as an integer.
    fn int(&self, i: usize) -> Result<i64, ArchiveError>;
}

impl Archived {
    /// A row of `store::COLUMNS`, in their order.
    pub(crate) fn from_row(r: &impl Columns) -> Result<Archived, ArchiveError> {
        let int32 = |i: usize| -> Result<i32, ArchiveError> {
            let v = r.int(i)?;
            i32::try_from(v).map_err(|_| ArchiveError::Column {
                column: i,
                value: v,
            })
        };
        Ok(Archived {
            id: r.int(0)?,
            session: NewSession {
                log_sha256: r.text(1)?,
                folder: r.text(2)?,
                pack_id: r.text(3)?,
                bms_serial: r.text(4)?,
                bms_model: r.text(5)?,
                operator: r.text(6)?,
                signed_off_by: r.text(7)?,
                signer: r.text(8)?,
                verdict: r.text(9)?,
                chemistry: r.text(10)?,
                series_cells: int32(11)?,
                started_at: r.text(12)?,
                signed_off_at: r.text(13)?,
                simulated: r.int(14)? != 0,
                replayed: r.int(15)? != 0,
                training: r.maybe_text(16)?,
                capture_sha256: r.maybe_text(17)?,
                archived_at: r.text(18)?,
                log_yaml: r.text(19)?,
            },
        })
    }
}

impl Archived {
    /// What kind of session: live, simulated, replayed, training (a trainer's class).
    pub fn kind(&self) -> &'static str {
        if self.training.is_some() {
            "training"
        } else if self.replayed {
            "replayed"
        } else if self.simulated {
            "simulated"
        } else {
            "live"
        }
    }
}

/// Which sessions `list` and `export` show; every filter given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// The pack id, exactly.
    pub pack: Option<String>,
    /// The BMS serial, exactly.
    pub serial: Option<String>,
    /// The operator, case-insensitive, anywhere in the name.
    pub operator: Option<String>,
    /// The verdict (pass, pass_with_overrides).
    pub verdict: Option<String>,
    /// Signed off on or after this date (YYYY-MM-DD).
    pub since: Option<String>,
    /// Signed off on or before this date (YYYY-MM-DD).
    pub until: Option<String>,
    /// `Some(true)`: only simulated, replayed and training sessions; `Some(false)`: only live.
    pub simulated: Option<bool>,
}

/// A date as the filters take it: `YYYY-MM-DD`.
fn date(text: &str, what: &str) -> Result<String, ArchiveError> {
    let t = text.trim();
    let ok = t.len() == 10
        && t.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if ok {
        Ok(t.to_string())
    } else {
        Err(ArchiveError::NotADate {
            option: what.to_string(),
            text: text.to_string(),
        })
    }
}

/// `text` for a LIKE pattern: its own `%`, `_` and `\` taken literally.
fn like(text: &str) -> String {
    let mut s = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('%');
    s
}

/// Known verdicts, as the log writes them.
const VERDICTS: [&str; 2] = ["pass", "pass_with_overrides"];

impl Filter {
    /// The query this filter makes.
    pub fn query(&self) -> Result<Query, ArchiveError> {
        let mut conditions = vec!["1 = 1".to_string()];
        let mut params = Vec::new();
        let mut param = |conditions: &mut Vec<String>, sql: &str, value: String| {
            params.push(value);
            conditions.push(sql.replace('?', &format!("${}", params.len())));
        };
        if let Some(p) = &self.pack {
            param(&mut conditions, "pack_id = ?", p.clone());
        }
        if let Some(s) = &self.serial {
            param(&mut conditions, "bms_serial = ?", s.clone());
        }
        if let Some(o) = &self.operator {
            param(
                &mut conditions,
                "lower(operator) LIKE ? ESCAPE '\\'",
                like(o),
            );
        }
        if let Some(v) = &self.verdict {
            let v = v.trim().to_lowercase().replace([' ', '-'], "_");
            if !VERDICTS.contains(&v.as_str()) {
                return Err(ArchiveError::NotAVerdict { text: v });
            }
            param(&mut conditions, "verdict = ?", v);
        }
        if let Some(d) = &self.since {
            param(
                &mut conditions,
                "substr(signed_off_at, 1, 10) >= ?",
                date(d, "--since")?,
            );
        }
        if let Some(d) = &self.until {
            param(
                &mut conditions,
                "substr(signed_off_at, 1, 10) <= ?",
                date(d, "--until")?,
            );
        }
        match self.simulated {
            Some(true) => conditions
                .push("(simulated = 1 OR replayed = 1 OR training IS NOT NULL)".to_string()),
            Some(false) => {
                conditions.push("(simulated = 0 AND replayed = 0 AND training IS NULL)".to_string())
            }
            None => {}
        }
        Ok(Query {
            condition: conditions.join(" AND "),
            params,
        })
    }
}

/// The query of `search TEXT`: any of pack id, serial, operator, signer, verdict, model or
/// date holding the text (case-insensitive).
pub fn search_query(text: &str) -> Result<Query, ArchiveError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ArchiveError::EmptySearch);
    }
    let columns = [
        "pack_id",
        "bms_serial",
        "operator",
        "signed_off_by",
        "signer",
        "verdict",
        "bms_model",
        "signed_off_at",
    ];
    let condition = columns
        .iter()
        .map(|c| format!("lower({c}) LIKE $1 ESCAPE '\\'"))
        .collect::<Vec<_>>()
        .join(" OR ");
    Ok(Query {
        condition: format!("({condition})"),
        params: vec![like(text)],
    })
}

/// Now, RFC 3339 UTC.
pub(crate) fn now() -> String {
    crate::log::record::timestamp(crate::bench::now_ms())
}

/// Where the archive is: a PostgreSQL URL or a SQLite file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A server shared by several benches.
    Postgres(String),
    /// A file on this machine.
    Sqlite(PathBuf),
}

impl Location {
    /// From `--db` (or the config entry): `postgres://…`/`postgresql://…`, else a file path.
    pub fn parse(text: &str) -> Location {
        let t = text.trim();
        if t.starts_with("postgres://") || t.starts_with("postgresql://") {
            Location::Postgres(t.to_string())
        } else {
            Location::Sqlite(PathBuf::from(t.strip_prefix("sqlite:").unwrap_or(t)))
        }
    }

    /// The default: `archive.sqlite3` in the platform's data directory.
    pub fn default_sqlite() -> Option<Location> {
        dirs::data_dir().map(|d| Location::Sqlite(d.join("jk-commission").join("archive.sqlite3")))
    }
}

/// The config entry naming the shared archive: `<config dir>/jk-commission/archive_db`, whose
/// first line that is not blank or a `#` comment is the `--db` value.
pub fn config_entry() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("jk-commission").join("archive_db"))
}

/// The `--db` value in the config entry at `path`, if it holds one.
pub fn read_config(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
}

/// An open archive, migrated to the latest schema.
pub struct Archive {
    store: Box<dyn Store>,
}

impl Archive {
    /// Open the archive at `location` and bring its schema up to date.
    pub fn open(location: &Location) -> Result<Archive, ArchiveError> {
        let mut store: Box<dyn Store> = match location {
            Location::Postgres(url) => Box::new(postgres::Postgres::connect(url)?),
            Location::Sqlite(path) => Box::new(sqlite::Sqlite::open(path)?),
        };
        store.migrate()?;
        Ok(Archive { store })
    }

    /// Where it is, for messages.
    pub fn describe(&self) -> String {
        self.store.describe()
    }

    /// Verify the finished session in `folder` as `verify` does — the signature against
    /// `allowed` (an allowed-signers file's text: the signer must be authenticated), the log
    /// against itself, its journal and its capture, a trainer's signature — and archive it.
    /// The same log archived again is a no-op.
    pub fn add(
        &mut self,
        folder: &Path,
        allowed: &str,
        spec: &WizardSpec,
    ) -> Result<(Inserted, Archived), Refused> {
        let shown = crate::clean::clean(&folder.display().to_string()).into_owned();
        let not = |reason: Say| Refused::NotASession {
            folder: shown.clone(),
            reason,
        };
        let error = |e: std::io::Error| Arg::verbatim(e.to_string());
        let folder = std::fs::canonicalize(folder).map_err(|e| {
            not(Say::new(
                "cli.archive.why.cannot_open",
                [("error", error(e))],
            ))
        })?;
        let log_path = folder.join(LOG);
        let message = std::fs::read(&log_path).map_err(|e| {
            not(Say::new(
                "cli.archive.why.no_log",
                [("error", error(e)), ("log", Arg::verbatim(LOG))],
            ))
        })?;
        let unverified = |reason: Say| Refused::Unverified {
            folder: shown.clone(),
            reason,
        };
        let armored = std::fs::read_to_string(folder.join(SIGNATURE)).map_err(|_| {
            unverified(Say::new(
                "cli.archive.why.not_signed",
                [("sig", Arg::verbatim(SIGNATURE))],
            ))
        })?;
        let verified =
            audit::verify_signed(&log_path, &message, &armored, Some(allowed), spec, false)
                .map_err(|e| unverified(e.say()))?;
        let Some(principal) = verified.signer.principal.clone() else {
            return Err(unverified(Say::plain("cli.archive.why.unlisted_signer")));
        };
        if let Some(TrainerSignature::Failed(path, reason)) = &verified.trainer {
            return Err(unverified(Say::new(
                "cli.archive.why.trainer_failed",
                [
                    ("path", Arg::verbatim(path.display().to_string())),
                    ("reason", Arg::say(reason.clone())),
                ],
            )));
        }
        let log = &verified.log;
        let session = NewSession {
            log_sha256: sha256_hex(&message),
            folder: folder.display().to_string(),
            pack_id: log.pack.id.clone(),
            bms_serial: log
                .bms
                .as_ref()
                .map(|b| b.serial_number.clone())
                .unwrap_or_default(),
            bms_model: log
                .bms
                .as_ref()
                .map(|b| b.model.clone())
                .unwrap_or_default(),
            operator: log.operator.name.clone(),
            signed_off_by: log.signed_off_by.name.clone(),
            signer: principal,
            verdict: match log.verdict {
                crate::log::record::FinalVerdict::Pass => "pass",
                crate::log::record::FinalVerdict::PassWithOverrides => "pass_with_overrides",
            }
            .to_string(),
            chemistry: log.pack.chemistry.clone(),
            series_cells: i32::try_from(log.pack.series_cells).unwrap_or(i32::MAX),
            started_at: log.started_at.clone(),
            signed_off_at: log.signed_off_at.clone(),
            simulated: log.simulated,
            replayed: log.replayed,
            training: log.training.as_ref().map(|t| t.scenario.clone()),
            capture_sha256: log.capture.as_ref().map(|c| c.sha256.clone()),
            archived_at: now(),
            log_yaml: String::from_utf8_lossy(&message).into_owned(),
        };
        let inserted = self.store.insert(&session)?;
        let id = match inserted {
            Inserted::Added(id) | Inserted::AlreadyThere(id) => id,
        };
        let row = self.show(id)?.ok_or(ArchiveError::Vanished { id })?;
        Ok((inserted, row))
    }

    /// The sessions `filter` selects, oldest first.
    pub fn list(&mut self, filter: &Filter) -> Result<Vec<Archived>, ArchiveError> {
        self.store.select(&filter.query()?)
    }

    /// The sessions where any field holds `text`.
    pub fn search(&mut self, text: &str) -> Result<Vec<Archived>, ArchiveError> {
        self.store.select(&search_query(text)?)
    }

    /// One session by its number.
    pub fn show(&mut self, id: i64) -> Result<Option<Archived>, ArchiveError> {
        let rows = self.store.select(&Query {
            condition: "CAST(id AS TEXT) = $1".into(),
            params: vec![id.to_string()],
        })?;
        Ok(rows.into_iter().next())
    }

    /// Every session of the BMS with this serial, oldest first (empty serial: none).
    pub fn history(&mut self, serial: &str) -> Result<Vec<Archived>, ArchiveError> {
        if serial.is_empty() {
            return Ok(Vec::new());
        }
        self.list(&Filter {
            serial: Some(serial.to_string()),
            ..Filter::default()
        })
    }
}

/// `sessions` as CSV (a header line, then one row each), every text cleaned for a terminal
/// and kept from being read as a formula by a spreadsheet.
pub fn to_csv(sessions: &[Archived], out: impl std::io::Write) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "id",
        "signed_off_at",
        "pack_id",
        "bms_serial",
        "bms_model",
        "operator",
        "signed_off_by",
        "signer",
        "verdict",
        "kind",
        "training_scenario",
        "chemistry",
        "series_cells",
        "started_at",
        "folder",
        "log_sha256",
        "capture_sha256",
    ])?;
    for s in sessions {
        let cell = |t: &str| {
            let t = crate::clean::clean(t).into_owned();
            if t.starts_with(['=', '+', '@', '-']) {
                format!("'{t}")
            } else {
                t
            }
        };
        w.write_record([
            s.id.to_string(),
            cell(&s.signed_off_at),
            cell(&s.pack_id),
            cell(&s.bms_serial),
            cell(&s.bms_model),
            cell(&s.operator),
            cell(&s.signed_off_by),
            cell(&s.signer),
            cell(&s.verdict),
            s.kind().to_string(),
            cell(s.training.as_deref().unwrap_or("")),
            cell(&s.chemistry),
            s.series_cells.to_string(),
            cell(&s.started_at),
            cell(&s.folder),
            s.log_sha256.clone(),
            s.capture_sha256.clone().unwrap_or_default(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests;

//! The one seam between the archive and its database: a small trait with two backends
//! (SQLite embedded, PostgreSQL shared), and the numbered migrations both apply alike.

use crate::archive::{ArchiveError, Archived, NewSession};

/// The schema's migrations, in order: (version, what it does, SQL). The SQL is the same for
/// both backends but for `{ID}`, the auto-numbered key each writes its own way. Never edit
/// a released one: add the next number.
pub const MIGRATIONS: &[(u32, &str, &str)] = &[
    (
        1,
        "the sessions table",
        "CREATE TABLE sessions (
            id {ID},
            log_sha256 TEXT NOT NULL UNIQUE,
            folder TEXT NOT NULL,
            pack_id TEXT NOT NULL,
            bms_serial TEXT NOT NULL,
            bms_model TEXT NOT NULL,
            operator TEXT NOT NULL,
            signed_off_by TEXT NOT NULL,
            signer TEXT NOT NULL,
            verdict TEXT NOT NULL,
            chemistry TEXT NOT NULL,
            series_cells INTEGER NOT NULL,
            started_at TEXT NOT NULL,
            signed_off_at TEXT NOT NULL,
            simulated INTEGER NOT NULL,
            replayed INTEGER NOT NULL,
            training TEXT,
            capture_sha256 TEXT,
            archived_at TEXT NOT NULL,
            log_yaml TEXT NOT NULL
        )",
    ),
    (
        2,
        "look-ups by BMS serial and pack id",
        "CREATE INDEX sessions_by_serial ON sessions (bms_serial);
         CREATE INDEX sessions_by_pack ON sessions (pack_id)",
    ),
];

/// The newest schema this program knows.
pub fn latest() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// The columns every query reads, in the order backends map them into [`Archived`].
pub const COLUMNS: &str = "id, log_sha256, folder, pack_id, bms_serial, bms_model, operator, \
    signed_off_by, signer, verdict, chemistry, series_cells, started_at, signed_off_at, \
    simulated, replayed, training, capture_sha256, archived_at, log_yaml";

/// The insert both backends run: a session already there (same log bytes) is left alone.
pub const INSERT: &str = "INSERT INTO sessions (log_sha256, folder, pack_id, bms_serial, \
    bms_model, operator, signed_off_by, signer, verdict, chemistry, series_cells, started_at, \
    signed_off_at, simulated, replayed, training, capture_sha256, archived_at, log_yaml) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) \
    ON CONFLICT (log_sha256) DO NOTHING";

/// A query over the sessions: a WHERE clause with `$n` text parameters, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// The condition (`TRUE` for all).
    pub condition: String,
    /// The text parameters `$1…`, in order.
    pub params: Vec<String>,
}

impl Query {
    /// The whole SELECT.
    pub fn sql(&self) -> String {
        format!(
            "SELECT {COLUMNS} FROM sessions WHERE {} ORDER BY signed_off_at, id",
            self.condition
        )
    }
}

/// Whether an insert added the session or found it there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// Added under this id.
    Added(i64),
    /// The same log was archived before, under this id: nothing changed.
    AlreadyThere(i64),
}

/// A database holding the archive.
pub trait Store {
    /// Bring the schema up to [`latest`], applying each missing migration in a transaction
    /// and recording it in `schema_version`; the version now. A database newer than this
    /// program is refused, untouched.
    fn migrate(&mut self) -> Result<u32, ArchiveError>;

    /// Add a session unless its log is there already.
    fn insert(&mut self, session: &NewSession) -> Result<Inserted, ArchiveError>;

    /// The sessions the query selects.
    fn select(&mut self, query: &Query) -> Result<Vec<Archived>, ArchiveError>;

    /// Where it is, for messages (a file path, or the server without its password).
    fn describe(&self) -> String;
}

/// The refusal of a database whose schema is newer than this program's.
pub fn too_new(found: u32, store: &str) -> ArchiveError {
    ArchiveError::TooNew {
        store: store.to_string(),
        found,
        latest: latest(),
    }
}

//! The embedded archive: one SQLite file (the platform's data directory by default); no
//! server to start.

use std::path::{Path, PathBuf};

use rusqlite::{params_from_iter, Connection, OptionalExtension};

use crate::archive::store::{self, Inserted, Query, Store, INSERT, MIGRATIONS};
use crate::archive::{ArchiveError, Archived, NewSession};

impl crate::archive::Columns for rusqlite::Row<'_> {
    fn text(&self, i: usize) -> Result<String, ArchiveError> {
        self.get(i).map_err(db)
    }

    fn maybe_text(&self, i: usize) -> Result<Option<String>, ArchiveError> {
        self.get(i).map_err(db)
    }

    fn int(&self, i: usize) -> Result<i64, ArchiveError> {
        self.get(i).map_err(db)
    }
}

/// The archive in a SQLite file.
pub struct Sqlite {
    conn: Connection,
    path: PathBuf,
}

fn db(e: rusqlite::Error) -> ArchiveError {
    ArchiveError::Database(e.to_string())
}

impl Sqlite {
    /// Open (or create) the archive at `path`, its folder too.
    pub fn open(path: &Path) -> Result<Self, ArchiveError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| ArchiveError::CannotCreate {
                path: parent.display().to_string(),
                error: e.to_string(),
            })?;
        }
        let conn = Connection::open(path).map_err(|e| ArchiveError::CannotOpen {
            path: path.display().to_string(),
            error: e.to_string(),
        })?;
        // Two benches on one machine may add at once: wait for the other's write.
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(db)?;
        Ok(Sqlite {
            conn,
            path: path.to_path_buf(),
        })
    }
}

impl Sqlite {
    /// The number of the archived session whose log has this SHA-256, if there is one.
    fn id_of(&self, log_sha256: &str) -> Result<Option<i64>, ArchiveError> {
        self.conn
            .query_row(
                "SELECT id FROM sessions WHERE log_sha256 = ?1",
                [log_sha256],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)
    }
}

impl Store for Sqlite {
    fn migrate(&mut self) -> Result<u32, ArchiveError> {
        self.conn
            .execute_batch(
                "CREATE TABLE IF NOT EXISTS schema_version (
                    version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
            )
            .map_err(db)?;
        let mut version: u32 = self
            .conn
            .query_row(
                "SELECT COALESCE(MAX(version), 0) FROM schema_version",
                [],
                |r| r.get(0),
            )
            .map_err(db)?;
        if version > store::latest() {
            return Err(store::too_new(version, &self.describe()));
        }
        let from = version;
        for (number, _, sql) in MIGRATIONS.iter().filter(|m| m.0 > from) {
            let tx = self.conn.transaction().map_err(db)?;
            tx.execute_batch(&sql.replace("{ID}", "INTEGER PRIMARY KEY AUTOINCREMENT"))
                .map_err(db)?;
            tx.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)",
                rusqlite::params![number, super::now()],
            )
            .map_err(db)?;
            tx.commit().map_err(db)?;
            version = *number;
        }
        Ok(version)
    }

    fn insert(&mut self, s: &NewSession) -> Result<Inserted, ArchiveError> {
        // Looked up first: an insert that conflicts would still use up a number.
        let there = self.id_of(&s.log_sha256)?;
        if let Some(id) = there {
            return Ok(Inserted::AlreadyThere(id));
        }
        let added = self
            .conn
            .execute(
                INSERT,
                rusqlite::params![
                    s.log_sha256,
                    s.folder,
                    s.pack_id,
                    s.bms_serial,
                    s.bms_model,
                    s.operator,
                    s.signed_off_by,
                    s.signer,
                    s.verdict,
                    s.chemistry,
                    s.series_cells,
                    s.started_at,
                    s.signed_off_at,
                    i32::from(s.simulated),
                    i32::from(s.replayed),
                    s.training,
                    s.capture_sha256,
                    s.archived_at,
                    s.log_yaml,
                ],
            )
            .map_err(db)?;
        let id = self.id_of(&s.log_sha256)?;
        let id = id.ok_or(ArchiveError::NoRow)?;
        Ok(if added == 1 {
            Inserted::Added(id)
        } else {
            Inserted::AlreadyThere(id)
        })
    }

    fn select(&mut self, query: &Query) -> Result<Vec<Archived>, ArchiveError> {
        let mut stmt = self.conn.prepare(&query.sql()).map_err(db)?;
        let rows = stmt
            .query_map(params_from_iter(query.params.iter()), |r| {
                Ok(Archived::from_row(r))
            })
            .map_err(db)?;
        rows.map(|row| row.map_err(db)?).collect()
    }

    fn describe(&self) -> String {
        self.path.display().to_string()
    }
}

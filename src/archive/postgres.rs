//! The shared archive: a PostgreSQL server several benches use (`--db postgres://…`).

use postgres::{Client, NoTls};

use crate::archive::store::{self, Inserted, Query, Store, INSERT, MIGRATIONS};
use crate::archive::{ArchiveError, Archived, NewSession};

impl crate::archive::Columns for postgres::Row {
    fn text(&self, i: usize) -> Result<String, ArchiveError> {
        self.try_get(i).map_err(db)
    }

    fn maybe_text(&self, i: usize) -> Result<Option<String>, ArchiveError> {
        self.try_get(i).map_err(db)
    }

    fn int(&self, i: usize) -> Result<i64, ArchiveError> {
        // Numbers are BIGINT (ids) or INTEGER (counts, flags) depending on the column.
        match self.try_get::<_, i64>(i) {
            Ok(v) => Ok(v),
            Err(_) => self.try_get::<_, i32>(i).map(i64::from).map_err(db),
        }
    }
}

/// The archive on a PostgreSQL server.
pub struct Postgres {
    client: Client,
    shown: String,
}

fn db(e: postgres::Error) -> ArchiveError {
    ArchiveError::Database(e.to_string())
}

/// The URL without its password, for messages: neither `user:password@` nor a
/// `?password=` parameter is shown.
pub fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (rest, query) = match rest.split_once('?') {
        Some((rest, query)) => (rest, Some(query)),
        None => (rest, None),
    };
    // The last `@` ends the user part: a password may hold an `@` or `/` of its own.
    let host_from = rest.rfind('@').map_or(0, |at| at + 1);
    let path_from = rest[host_from..]
        .find('/')
        .map_or(rest.len(), |i| host_from + i);
    let (authority, path) = rest.split_at(path_from);
    let host = match authority.rsplit_once('@') {
        Some((auth, host)) => {
            let user = auth.split_once(':').map_or(auth, |(user, _)| user);
            format!("{user}@{host}")
        }
        None => authority.to_string(),
    };
    let kept: Vec<&str> = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .filter(|param| {
            let key = param.split_once('=').map_or(*param, |(k, _)| k);
            !key.eq_ignore_ascii_case("password")
        })
        .collect();
    let query = if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    };
    format!("{scheme}://{host}{path}{query}")
}

impl Postgres {
    /// Connect to the server at `url` (`postgres://user:password@host:port/db`).
    pub fn connect(url: &str) -> Result<Self, ArchiveError> {
        let shown = without_password(url);
        let client = Client::connect(url, NoTls).map_err(|e| ArchiveError::Unreachable {
            server: shown.clone(),
            error: e.to_string(),
        })?;
        Ok(Postgres { client, shown })
    }
}

impl Store for Postgres {
    fn migrate(&mut self) -> Result<u32, ArchiveError> {
        self.client
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS schema_version (
                    version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
            )
            .map_err(db)?;
        let mut tx = self.client.transaction().map_err(db)?;
        // Two benches starting at once: one migrates, the other waits and finds it done.
        tx.batch_execute("LOCK TABLE schema_version IN EXCLUSIVE MODE")
            .map_err(db)?;
        let found: i32 = tx
            .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
            .map_err(db)?
            .get(0);
        let mut version = found.max(0) as u32;
        if version > store::latest() {
            return Err(store::too_new(version, &self.shown));
        }
        let from = version;
        for (number, _, sql) in MIGRATIONS.iter().filter(|m| m.0 > from) {
            tx.batch_execute(
                &sql.replace("{ID}", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"),
            )
            .map_err(db)?;
            tx.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)",
                &[&(*number as i32), &super::now()],
            )
            .map_err(db)?;
            version = *number;
        }
        tx.commit().map_err(db)?;
        Ok(version)
    }

    fn insert(&mut self, s: &NewSession) -> Result<Inserted, ArchiveError> {
        // Looked up first: an insert that conflicts would still use up a number.
        let there = self
            .client
            .query_opt(
                "SELECT id FROM sessions WHERE log_sha256 = $1",
                &[&s.log_sha256],
            )
            .map_err(db)?;
        if let Some(row) = there {
            return Ok(Inserted::AlreadyThere(row.get(0)));
        }
        let added = self
            .client
            .execute(
                INSERT,
                &[
                    &s.log_sha256,
                    &s.folder,
                    &s.pack_id,
                    &s.bms_serial,
                    &s.bms_model,
                    &s.operator,
                    &s.signed_off_by,
                    &s.signer,
                    &s.verdict,
                    &s.chemistry,
                    &s.series_cells,
                    &s.started_at,
                    &s.signed_off_at,
                    &i32::from(s.simulated),
                    &i32::from(s.replayed),
                    &s.training,
                    &s.capture_sha256,
                    &s.archived_at,
                    &s.log_yaml,
                ],
            )
            .map_err(db)?;
        let row = self
            .client
            .query_one(
                "SELECT id FROM sessions WHERE log_sha256 = $1",
                &[&s.log_sha256],
            )
            .map_err(db)?;
        let id: i64 = row.get(0);
        Ok(if added == 1 {
            Inserted::Added(id)
        } else {
            Inserted::AlreadyThere(id)
        })
    }

    fn select(&mut self, query: &Query) -> Result<Vec<Archived>, ArchiveError> {
        let params: Vec<&(dyn postgres::types::ToSql + Sync)> = query
            .params
            .iter()
            .map(|p| p as &(dyn postgres::types::ToSql + Sync))
            .collect();
        let rows = self.client.query(&query.sql(), &params).map_err(db)?;
        rows.iter().map(Archived::from_row).collect()
    }

    fn describe(&self) -> String {
        self.shown.clone()
    }
}

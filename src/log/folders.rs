//! Where the sessions of the data directory live and what their folders are called: one per
//! pack commissioning, `<serial>-<YYYY-MM-DD>` once the unit's serial number is known (`-<n>`
//! added when that is taken), `<YYYY-MM-DD>-<n>-unknown-unit` until then. A folder given with
//! `--out` is the caller's and is never renamed.

use std::path::{Path, PathBuf};

use crate::log::session::{JOURNAL, LOG};
use crate::wizard::engine::Millis;

/// The end of a provisional folder name: the unit is not known yet.
pub const UNKNOWN_UNIT: &str = "unknown-unit";

/// A free provisional folder under `root` for a session started at `now`.
pub fn provisional(root: &Path, now: Millis) -> PathBuf {
    let day = date(now);
    free(root, |n| format!("{day}-{n}-{UNKNOWN_UNIT}"), 1)
}

/// Whether `dir` has a provisional name (it waits for the unit's serial).
pub fn is_provisional(dir: &Path) -> bool {
    dir.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(&format!("-{UNKNOWN_UNIT}")))
}

/// The free folder under `root` for unit `serial`, in a session started at `started`:
/// `<serial>-<YYYY-MM-DD>`, or with `-<n>` when that is taken. `None` when the serial has
/// nothing that can stand in a file name.
pub fn by_serial(root: &Path, serial: &str, started: Millis) -> Option<PathBuf> {
    let serial = file_safe(serial)?;
    let day = date(started);
    let plain = root.join(format!("{serial}-{day}"));
    Some(if plain.exists() {
        free(root, |n| format!("{serial}-{day}-{n}"), 2)
    } else {
        plain
    })
}

/// The first `name(n)`, n = `first`, `first` + 1, …, that does not exist under `root`.
fn free(root: &Path, name: impl Fn(u32) -> String, first: u32) -> PathBuf {
    (first..)
        .map(|n| root.join(name(n)))
        .find(|d| !d.exists())
        .expect("some n is free")
}

/// A serial number as a file name: letters, digits, `-`, `_` and `.` kept, anything else `_`.
fn file_safe(serial: &str) -> Option<String> {
    let safe: String = serial
        .trim()
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let safe = safe.trim_start_matches('.').to_string();
    safe.chars()
        .any(|c| c.is_ascii_alphanumeric())
        .then_some(safe)
}

/// The unfinished session under `root` (a journal and no log), whatever its folder is called,
/// whose journal changed last.
pub fn newest_unfinished(root: &Path) -> Option<PathBuf> {
    std::fs::read_dir(root)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|d| d.join(JOURNAL).is_file() && !d.join(LOG).exists())
        .filter_map(|d| {
            let changed = std::fs::metadata(d.join(JOURNAL)).ok()?.modified().ok()?;
            Some((changed, d))
        })
        .max()
        .map(|(_, d)| d)
}

/// The UTC calendar date of a time stamp, `YYYY-MM-DD` (a stamp beyond the calendar's range,
/// ±9999 years, counts as the epoch: it can only come from a broken clock).
pub fn date(ms: Millis) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}",
        at.year(),
        u8::from(at.month()),
        at.day()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-03-01 12:00 UTC.
    const MARCH_1: Millis = 1_772_366_400_000;

    #[test]
    fn dates_are_utc_calendar_days() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(951_782_400_000), "2000-02-29");
        assert_eq!(date(1_767_225_599_000), "2025-12-31");
        assert_eq!(date(MARCH_1), "2026-03-01");
        // The last millisecond of a day and the first of the next.
        assert_eq!(date(1_772_323_199_999), "2026-02-28");
        assert_eq!(date(1_772_323_200_000), "2026-03-01");
        assert_eq!(date(-1), "1969-12-31");
        assert_eq!(date(i64::MAX), "1970-01-01");
    }

    #[test]
    fn provisional_names_count_up_and_say_the_unit_is_unknown() {
        let root = tempfile::tempdir().unwrap();
        let first = provisional(root.path(), MARCH_1);
        assert_eq!(first, root.path().join("2026-03-01-1-unknown-unit"));
        assert!(is_provisional(&first));
        std::fs::create_dir(&first).unwrap();
        assert_eq!(
            provisional(root.path(), MARCH_1),
            root.path().join("2026-03-01-2-unknown-unit")
        );
        assert!(!is_provisional(&root.path().join("SN1-2026-03-01")));
    }

    #[test]
    fn serial_names_take_a_number_only_when_taken_and_never_a_path() {
        let root = tempfile::tempdir().unwrap();
        let named = by_serial(root.path(), " 2104-A1 ", MARCH_1).unwrap();
        assert_eq!(named, root.path().join("2104-A1-2026-03-01"));
        std::fs::create_dir(&named).unwrap();
        let second = by_serial(root.path(), "2104-A1", MARCH_1).unwrap();
        assert_eq!(second, root.path().join("2104-A1-2026-03-01-2"));
        std::fs::create_dir(&second).unwrap();
        assert_eq!(
            by_serial(root.path(), "2104-A1", MARCH_1).unwrap(),
            root.path().join("2104-A1-2026-03-01-3")
        );
        assert_eq!(
            by_serial(root.path(), "../x/y", MARCH_1).unwrap(),
            root.path().join("_x_y-2026-03-01"),
            "no way out of the sessions folder"
        );
        assert_eq!(by_serial(root.path(), "", MARCH_1), None);
        assert_eq!(by_serial(root.path(), " /. ", MARCH_1), None);
    }

    #[test]
    fn the_newest_unfinished_session_is_found_whatever_its_name() {
        let root = tempfile::tempdir().unwrap();
        let done = root.path().join("SN1-2026-01-01");
        let provisional = root.path().join("2026-01-02-1-unknown-unit");
        let named = root.path().join("SN2-2026-01-03");
        for d in [&done, &provisional, &named] {
            std::fs::create_dir_all(d).unwrap();
            std::fs::write(d.join(JOURNAL), "{}\n").unwrap();
            // Modification times must differ for "newest" to mean something.
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        std::fs::write(done.join(LOG), "x").unwrap();
        assert_eq!(newest_unfinished(root.path()), Some(named.clone()));
        // The provisional one was touched last: it is the one to resume.
        std::fs::write(provisional.join(JOURNAL), "{}\n{}\n").unwrap();
        assert_eq!(newest_unfinished(root.path()), Some(provisional));
        std::fs::write(named.join(LOG), "x").unwrap();
        std::fs::remove_dir_all(root.path().join("2026-01-02-1-unknown-unit")).unwrap();
        assert_eq!(newest_unfinished(root.path()), None, "all finished");
        assert_eq!(newest_unfinished(&root.path().join("none")), None);
    }
}

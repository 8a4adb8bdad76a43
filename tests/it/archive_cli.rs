//! `archive`: verified sessions in, refusals with their reason, look-ups out. The same suite
//! runs against SQLite always and against PostgreSQL when JK_TEST_POSTGRES_URL is set (CI
//! sets it, with JK_REQUIRE_POSTGRES=1 so a missing server fails instead of skipping).

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use jk_commission::archive::{Archive, Location};
use jk_commission::log::sign;

use crate::common::{cmd, example, text, tmp, trusted_key};

/// Signed sessions made once for the whole suite, in folders no test changes.
struct Fixtures {
    _dir: tempfile::TempDir,
    /// An empty home: no default key, allowed signers or archive of the machine's.
    home: PathBuf,
    allowed: PathBuf,
    /// The clean example on the simulator.
    first: PathBuf,
    /// The same unit again, another pack id and operator.
    second: PathBuf,
    /// The first one's capture, replayed.
    replayed: PathBuf,
    /// A training scenario's session (a trainer's class).
    training: PathBuf,
    /// The first with its log changed after signing.
    tampered: PathBuf,
    /// The first with `simulated: false` and signed again with a trusted key.
    resigned: PathBuf,
    /// The first, signed again by a key the allowed signers do not list.
    stranger: PathBuf,
    /// A session signed by no one.
    unsigned: PathBuf,
}

const SERIAL: &str = "5071A3F42000815";

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

fn run(home: &Path, unit: &[&str], answers: &Path, out: &Path, key: Option<&Path>) {
    let mut c = cmd();
    c.env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .arg("run")
        .args(unit)
        .arg("--answers")
        .arg(answers)
        .arg("--out")
        .arg(out);
    if let Some(key) = key {
        c.arg("--key").arg(key);
    }
    let o = c.output().unwrap();
    assert!(o.status.success(), "run: {}", text(&o.stderr));
}

fn fixtures() -> &'static Fixtures {
    static F: OnceLock<Fixtures> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tmp();
        let root = dir.path().to_path_buf();
        let home = root.join("home");
        std::fs::create_dir_all(&home).unwrap();
        let (key, allowed) = trusted_key(&root, "operator", "anna@bench");
        let clean = example("clean-lifepo4-16s.yaml");
        let first = root.join("first");
        run(&home, &["--sim"], &clean, &first, Some(&key));
        let other = root.join("other.yaml");
        let answers = std::fs::read_to_string(&clean)
            .unwrap()
            .replace("PACK-2026-0042", "PACK-2026-0043")
            .replace("Anna Nowak", "Jan Kowalski");
        std::fs::write(&other, answers).unwrap();
        let second = root.join("second");
        run(&home, &["--sim"], &other, &second, Some(&key));
        let replayed = root.join("replayed");
        let capture = first.join("capture.jkcap").display().to_string();
        run(
            &home,
            &["--replay", &capture],
            &clean,
            &replayed,
            Some(&key),
        );
        let training = root.join("training");
        let scenario = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios/clean-lifepo4-16s.yaml")
            .display()
            .to_string();
        run(&home, &["--sim", &scenario], &clean, &training, Some(&key));
        let tampered = root.join("tampered");
        copy_dir(&first, &tampered);
        let log = std::fs::read_to_string(tampered.join("log.yaml")).unwrap();
        std::fs::write(
            tampered.join("log.yaml"),
            log.replace("PACK-2026-0042", "PACK-2026-0099"),
        )
        .unwrap();
        let resigned = root.join("resigned");
        copy_dir(&first, &resigned);
        let log = std::fs::read_to_string(resigned.join("log.yaml"))
            .unwrap()
            .replace("simulated: true", "simulated: false");
        std::fs::write(resigned.join("log.yaml"), &log).unwrap();
        let signing = sign::load_signing_key(&key).unwrap();
        std::fs::write(
            resigned.join("log.yaml.sig"),
            sign::sign(&signing, log.as_bytes()).unwrap(),
        )
        .unwrap();
        let stranger = root.join("stranger");
        copy_dir(&first, &stranger);
        let other_key = root.join("keys").join("stranger");
        std::fs::create_dir_all(other_key.parent().unwrap()).unwrap();
        sign::generate_key(&other_key, "mallory@elsewhere").unwrap();
        let log = std::fs::read(stranger.join("log.yaml")).unwrap();
        std::fs::write(
            stranger.join("log.yaml.sig"),
            sign::sign(&sign::load_signing_key(&other_key).unwrap(), &log).unwrap(),
        )
        .unwrap();
        let unsigned = root.join("unsigned");
        run(&home, &["--sim"], &clean, &unsigned, None);
        Fixtures {
            _dir: dir,
            home,
            allowed,
            first,
            second,
            replayed,
            training,
            tampered,
            resigned,
            stranger,
            unsigned,
        }
    })
}

/// `jk-commission archive --db DB ARGS…` with the fixtures' empty home.
fn archive(db: &str, args: &[&str]) -> Output {
    let f = fixtures();
    cmd()
        .env("XDG_DATA_HOME", f.home.join("data"))
        .env("XDG_CONFIG_HOME", f.home.join("config"))
        .env_remove("JK_ARCHIVE_DB")
        .args(["archive", "--db", db])
        .args(args)
        .output()
        .unwrap()
}

fn add(db: &str, folders: &[&Path]) -> Output {
    let f = fixtures();
    let mut args = vec!["add".to_string(), "--allowed-signers".into()];
    args.push(f.allowed.display().to_string());
    args.extend(folders.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    archive(db, &args)
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// The three good sessions, added.
fn filled(db: &str) {
    let f = fixtures();
    ok(&add(db, &[&f.first, &f.second, &f.replayed]));
}

// ---------------------------------------------------------------------------------------
// The suite: each takes the --db value of a fresh, empty archive.

fn adds_verified_sessions_once_and_refuses_the_rest(db: &str) {
    let f = fixtures();
    let out = ok(&add(db, &[&f.first, &f.second]));
    assert!(out.contains("archived #1: pack PACK-2026-0042, BMS serial 5071A3F42000815, verdict pass, signed by anna@bench [SIMULATED]"), "{out}");
    assert!(out.contains("archived #2: pack PACK-2026-0043"), "{out}");
    assert!(
        out.contains("BMS serial 5071A3F42000815 has been commissioned 2 times"),
        "{out}"
    );
    // The same session again: a no-op, and said so.
    let out = ok(&add(db, &[&f.first]));
    assert!(
        out.contains("already archived as #1 (nothing changed)"),
        "{out}"
    );
    let out = ok(&add(db, &[&f.replayed]));
    assert!(
        out.contains("archived #3") && out.contains("[REPLAYED]"),
        "{out}"
    );
    let out = ok(&add(db, &[&f.training]));
    assert!(
        out.contains("archived #4") && out.contains("[TRAINING: scenario clean-lifepo4-16s]"),
        "{out}"
    );

    let refused = |folder: &Path, why: &str| {
        let o = add(db, &[folder]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
        let err = text(&o.stderr);
        assert!(err.contains("refused, it does not verify"), "{err}");
        assert!(err.contains(why), "{why} in {err}");
    };
    refused(&f.tampered, "the signature FAILED");
    // A simulated session made to look live, signed again by a trusted key: its journal says
    // the unit was the simulator.
    refused(&f.resigned, "simulated");
    refused(&f.unsigned, "NOT signed");
    refused(&f.stranger, "the signature FAILED");
    let o = add(db, &[&f.home]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("only finished sessions are archived"),
        "{}",
        text(&o.stderr)
    );
    // A refusal does not stop the others.
    let o = add(db, &[&f.tampered, &f.first]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).contains("already archived as #1"));
    // Nothing refused made it in.
    let out = ok(&archive(db, &["list"]));
    assert!(out.contains("4 session(s)"), "{out}");
    assert!(out.lines().any(|l| l.ends_with("training")), "{out}");
    assert!(!out.contains("PACK-2026-0099"), "{out}");
    // No trust anchor at all: refused before anything is read.
    let o = archive(db, &["add", &f.first.display().to_string()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("no allowed signers"),
        "{}",
        text(&o.stderr)
    );
}

fn lists_filter_and_search_finds_by_serial(db: &str) {
    filled(db);
    let rows = |args: &[&str]| -> usize {
        let out = ok(&archive(db, args));
        if out.starts_with("no sessions match") {
            return 0;
        }
        out.lines().filter(|l| l.contains("PACK-2026-")).count()
    };
    assert_eq!(rows(&["list"]), 3);
    assert_eq!(rows(&["list", "--serial", SERIAL]), 3);
    assert_eq!(
        rows(&["list", "--serial", "5071A3F4200081"]),
        0,
        "a serial matches whole"
    );
    assert_eq!(rows(&["list", "--pack", "PACK-2026-0043"]), 1);
    assert_eq!(rows(&["list", "--operator", "kowal"]), 1);
    assert_eq!(rows(&["list", "--operator", "ANNA"]), 2);
    assert_eq!(rows(&["list", "--verdict", "pass"]), 3);
    assert_eq!(rows(&["list", "--verdict", "pass_with_overrides"]), 0);
    assert_eq!(rows(&["list", "--simulated"]), 3);
    assert_eq!(rows(&["list", "--live"]), 0);
    // Both edges of the date range: today is inside both ways, a day beyond is not.
    let today = time::OffsetDateTime::now_utc().date();
    let day = |d: time::Date| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day());
    let (yesterday, tomorrow) = (
        day(today.previous_day().unwrap()),
        day(today.next_day().unwrap()),
    );
    let today = day(today);
    assert_eq!(rows(&["list", "--since", &today, "--until", &today]), 3);
    assert_eq!(rows(&["list", "--since", &tomorrow]), 0);
    assert_eq!(rows(&["list", "--until", &yesterday]), 0);
    let o = archive(db, &["list", "--since", "yesterday"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("is not a date"),
        "{}",
        text(&o.stderr)
    );

    let out = ok(&archive(db, &["search", "5071a3f42"]));
    assert!(out.contains("3 session(s)"), "{out}");
    let out = ok(&archive(db, &["search", "Kowalski"]));
    assert!(
        out.contains("1 session(s)") && out.contains("PACK-2026-0043"),
        "{out}"
    );
    let out = ok(&archive(db, &["search", "%"]));
    assert!(
        out.starts_with("no sessions match"),
        "a % is a percent sign: {out}"
    );
    let out = ok(&archive(db, &["list"]));
    assert!(
        out.lines()
            .any(|l| l.contains("PACK-2026-0042") && l.ends_with("replayed")),
        "{out}"
    );

    let out = ok(&archive(db, &["show", "2"]));
    let f = fixtures();
    let second = std::fs::canonicalize(&f.second).unwrap();
    assert!(out.contains("Session #2 [SIMULATED]"), "{out}");
    assert!(out.contains("operator:    Jan Kowalski"), "{out}");
    assert!(
        out.contains(&format!("folder:      {}", second.display())),
        "{out}"
    );
    assert!(
        out.contains(&second.join("log.yaml.sig").display().to_string()),
        "{out}"
    );
    assert!(
        out.contains(&second.join("capture.jkcap").display().to_string()),
        "{out}"
    );
    assert!(
        out.contains("history of BMS serial 5071A3F42000815 (3 commissionings)"),
        "{out}"
    );
    assert!(out.contains("<- this one"), "{out}");
    let o = archive(db, &["show", "99"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("no session #99"),
        "{}",
        text(&o.stderr)
    );
}

fn exports_csv(db: &str) {
    filled(db);
    let out = archive(db, &["export", "--csv", "--serial", SERIAL]);
    let body = ok(&out);
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "id");
    let kind = headers.iter().position(|h| h == "kind").unwrap();
    let pack = headers.iter().position(|h| h == "pack_id").unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    let kinds: Vec<&str> = rows.iter().map(|r| &r[kind]).collect();
    assert_eq!(kinds, ["simulated", "simulated", "replayed"]);
    assert_eq!(&rows[1][pack], "PACK-2026-0043");
    let none = ok(&archive(db, &["export", "--csv", "--live"]));
    assert_eq!(none.lines().count(), 1, "the header alone: {none}");
}

fn migrations_are_numbered_and_applied_once(db: &str) {
    let location = Location::parse(db);
    Archive::open(&location).unwrap();
    Archive::open(&location).unwrap();
    let versions = schema_versions(db);
    assert_eq!(versions, [1, 2]);
    // A database from a newer program is refused, untouched.
    set_version(db, 99);
    let err = Archive::open(&location).err().expect("refused").to_string();
    assert!(
        err.contains("schema version 99, newer than this program's 2"),
        "{err}"
    );
}

fn schema_versions(db: &str) -> Vec<i64> {
    match Location::parse(db) {
        Location::Sqlite(path) => {
            let c = rusqlite::Connection::open(path).unwrap();
            let mut s = c
                .prepare("SELECT version FROM schema_version ORDER BY version")
                .unwrap();
            s.query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        }
        Location::Postgres(url) => {
            let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            c.query("SELECT version FROM schema_version ORDER BY version", &[])
                .unwrap()
                .iter()
                .map(|r| i64::from(r.get::<_, i32>(0)))
                .collect()
        }
    }
}

fn set_version(db: &str, v: i32) {
    let sql = format!("INSERT INTO schema_version (version, applied_at) VALUES ({v}, 'test')");
    match Location::parse(db) {
        Location::Sqlite(path) => {
            rusqlite::Connection::open(path)
                .unwrap()
                .execute_batch(&sql)
                .unwrap();
        }
        Location::Postgres(url) => {
            postgres::Client::connect(&url, postgres::NoTls)
                .unwrap()
                .batch_execute(&sql)
                .unwrap();
        }
    }
}

// ---------------------------------------------------------------------------------------
// The backends.

/// A fresh SQLite archive in a folder kept for the test's life.
fn sqlite(test: fn(&str)) {
    let dir = tmp();
    let db = dir.path().join("archive.sqlite3").display().to_string();
    test(&db);
}

/// A fresh database on the PostgreSQL server of JK_TEST_POSTGRES_URL, or the printed skip.
fn postgres(name: &str, test: fn(&str)) {
    let Ok(base) = std::env::var("JK_TEST_POSTGRES_URL") else {
        if std::env::var("JK_REQUIRE_POSTGRES").as_deref() == Ok("1") {
            panic!("JK_REQUIRE_POSTGRES=1 but JK_TEST_POSTGRES_URL is not set");
        }
        println!("SKIPPED: set JK_TEST_POSTGRES_URL=postgres://… to run against PostgreSQL");
        return;
    };
    static N: AtomicUsize = AtomicUsize::new(0);
    let db_name = format!(
        "jk_{}_{}_{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    );
    let mut admin = postgres::Client::connect(&base, postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot reach JK_TEST_POSTGRES_URL: {e}"));
    admin
        .batch_execute(&format!("CREATE DATABASE {db_name}"))
        .unwrap();
    let (head, query) = match base.split_once('?') {
        Some((h, q)) => (h.to_string(), format!("?{q}")),
        None => (base.clone(), String::new()),
    };
    let server = head.rsplit_once('/').map_or(head.as_str(), |(s, _)| s);
    let url = format!("{server}/{db_name}{query}");
    test(&url);
    let _ = admin.batch_execute(&format!("DROP DATABASE {db_name} WITH (FORCE)"));
}

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite_backend {
            $(#[test] fn $name() { super::sqlite(super::$name) })*
        }
        mod postgres_backend {
            $(#[test] fn $name() { super::postgres(stringify!($name), super::$name) })*
        }
    };
}

on_both!(
    adds_verified_sessions_once_and_refuses_the_rest,
    lists_filter_and_search_finds_by_serial,
    exports_csv,
    migrations_are_numbered_and_applied_once,
);

#[test]
fn a_server_password_is_never_shown() {
    let url = "postgres://jk:SECRET@127.0.0.1:1/jk_archive";
    let help = cmd()
        .env("JK_ARCHIVE_DB", url)
        .args(["archive", "--help"])
        .output()
        .unwrap();
    assert!(help.status.success());
    assert!(
        !text(&help.stdout).contains("SECRET"),
        "{}",
        text(&help.stdout)
    );
    let out = cmd()
        .env_remove("JK_ARCHIVE_DB")
        .args(["archive", "--db", url, "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("cannot reach the archive server postgres://jk@127.0.0.1:1/jk_archive"),
        "{err}"
    );
    assert!(!err.contains("SECRET"), "{err}");
}

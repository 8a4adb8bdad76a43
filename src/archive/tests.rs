use super::*;

#[test]
fn filters_make_one_condition_with_numbered_text_parameters() {
    let q = Filter {
        pack: Some("P-1".into()),
        serial: Some("S1".into()),
        operator: Some("Anna".into()),
        verdict: Some("Pass With Overrides".into()),
        since: Some("2026-01-01".into()),
        until: Some("2026-12-31".into()),
        simulated: Some(false),
    }
    .query()
    .unwrap();
    assert_eq!(
        q.params,
        [
            "P-1",
            "S1",
            "%anna%",
            "pass_with_overrides",
            "2026-01-01",
            "2026-12-31"
        ]
    );
    for n in 1..=6 {
        assert!(q.condition.contains(&format!("${n}")), "{}", q.condition);
    }
    assert!(q.condition.contains("training IS NULL"), "{}", q.condition);
    assert_eq!(Filter::default().query().unwrap().params.len(), 0);
}

#[test]
fn wrong_dates_and_verdicts_are_named() {
    let bad = |f: Filter| f.query().unwrap_err().to_string();
    assert_eq!(
        bad(Filter {
            since: Some("31.03.2026".into()),
            ..Filter::default()
        }),
        "--since '31.03.2026' is not a date: write it as YYYY-MM-DD, like 2026-03-31"
    );
    assert!(bad(Filter {
        verdict: Some("fail".into()),
        ..Filter::default()
    })
    .contains("'fail' is not a verdict"));
    // Both edges of a date: exactly ten characters, dashes in place.
    assert!(date("2026-3-31", "x").is_err());
    assert!(date("2026-03-310", "x").is_err());
    assert!(date("2026-03-31", "x").is_ok());
}

#[test]
fn search_text_is_taken_literally() {
    let q = search_query("50%_a\\").unwrap();
    assert_eq!(q.params, ["%50\\%\\_a\\\\%"]);
    assert!(search_query("  ").is_err());
}

#[test]
fn a_server_is_named_without_its_password() {
    for (url, shown) in [
        (
            "postgres://anna:secret@db.local:5432/archive",
            "postgres://anna@db.local:5432/archive",
        ),
        ("postgres://db.local/archive", "postgres://db.local/archive"),
        (
            "postgres://db.local/archive?sslmode=disable&password=secret&connect_timeout=5",
            "postgres://db.local/archive?sslmode=disable&connect_timeout=5",
        ),
        (
            "postgresql://anna@db/a?PASSWORD=secret",
            "postgresql://anna@db/a",
        ),
        (
            "postgres://anna:p@ss:w@rd@db.local/archive",
            "postgres://anna@db.local/archive",
        ),
        ("postgres://anna:a/b@db.local", "postgres://anna@db.local"),
    ] {
        assert_eq!(postgres::without_password(url), shown, "{url}");
    }
    assert_eq!(
        Location::parse("postgresql://x/y"),
        Location::Postgres("postgresql://x/y".into())
    );
    assert_eq!(
        Location::parse("/tmp/a.sqlite3"),
        Location::Sqlite("/tmp/a.sqlite3".into())
    );
}

#[test]
fn csv_cells_are_cleaned_and_never_formulas() {
    let row = Archived {
        id: 7,
        session: NewSession {
            log_sha256: "ab".into(),
            folder: "/x".into(),
            pack_id: "=HYPERLINK(\"evil\")".into(),
            bms_serial: "S\x1b[2J1".into(),
            bms_model: "JK".into(),
            operator: "Anna, \"the\" tech".into(),
            signed_off_by: "Anna".into(),
            signer: "anna@bench".into(),
            verdict: "pass".into(),
            chemistry: "lifepo4".into(),
            series_cells: 16,
            started_at: "t0".into(),
            signed_off_at: "t1".into(),
            simulated: true,
            replayed: false,
            training: None,
            capture_sha256: None,
            archived_at: "t2".into(),
            log_yaml: String::new(),
        },
    };
    let mut out = Vec::new();
    to_csv(&[row], &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("'=HYPERLINK"), "{text}");
    assert!(text.contains("S␛[2J1"), "{text}");
    assert!(!text.contains('\x1b'), "{text}");
    assert!(text.contains("\"Anna, \"\"the\"\" tech\""), "{text}");
    assert!(text.contains(",simulated,"), "{text}");
}

#[test]
fn the_config_entry_is_its_first_line_that_says_something() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("archive_db");
    assert_eq!(read_config(&path), None, "no file, no entry");
    std::fs::write(
        &path,
        "# the shared archive\n\n  postgres://jk@db/a  \nignored\n",
    )
    .unwrap();
    assert_eq!(read_config(&path).as_deref(), Some("postgres://jk@db/a"));
    std::fs::write(&path, "# only a comment\n\n").unwrap();
    assert_eq!(read_config(&path), None);
}

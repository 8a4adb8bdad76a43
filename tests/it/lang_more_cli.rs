//! `monitor`, `keygen`, `archive` and `check-wizard` in the operator's language (issue 15),
//! and what `run` and the wizard say around a session, `ladder`'s and `procedure`'s refusals
//! and why a key cannot sign ("every word in the operator's language"): in each of the seven
//! languages no line is left as the English one (codes, paths, hashes, fingerprints and the
//! allowed-signers line aside), every placeholder is filled, and a number is written with the
//! language's decimal separator.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use jk_commission::wizard::words::{builtin, say_verbatim};

use crate::common::{cmd, example, text, tmp, trusted_key};

/// The manual's languages.
const LANGS: [&str; 7] = ["en", "pl", "de", "cs", "sk", "da", "hu"];

/// The lines of `words` that are lines of `english` too (blank lines and the lines `exempt`
/// accepts aside): what was left in English.
fn english_lines<'a>(words: &'a str, english: &str, exempt: impl Fn(&str) -> bool) -> Vec<&'a str> {
    let en: BTreeSet<&str> = english
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    words
        .lines()
        .filter(|l| en.contains(l.trim()) && !exempt(l.trim()))
        .collect()
}

/// Output in `lang` beside the English output: nothing left in English, nothing unfilled.
fn worded(what: &str, lang: &str, words: &str, english: &str, exempt: impl Fn(&str) -> bool) {
    assert!(!words.trim().is_empty(), "{what} in {lang} says nothing");
    assert!(
        !words.contains('{'),
        "{what} in {lang}: a placeholder left:\n{words}"
    );
    if lang != "en" {
        let left = english_lines(words, english, exempt);
        assert!(
            left.is_empty(),
            "{what} in {lang} left in English: {left:?}\n{words}"
        );
    }
}

/// `cli.<key>` in `lang`, its values as given: what the program should have said.
fn words(lang: &str, key: &str, values: &[(&str, &str)]) -> String {
    say_verbatim(builtin(), lang, key, values)
}

fn run(c: &mut Command) -> Output {
    c.output().expect("the binary runs")
}

/// Sentences a language words as English does: Danish says "log" too.
const SAME_AS_ENGLISH: [(&str, &str); 1] = [("da", "cli.run.log")];

/// `out` says `key` with `values` in `lang` on one of its lines (a `values` left empty at the
/// end of the sentence stands for what the system said there, unchecked), and the English
/// of the same sentence is nowhere in it.
fn says(lang: &str, out: &str, key: &str, values: &[(&str, &str)]) {
    let want = words(lang, key, values);
    assert!(
        out.lines().any(|l| l.contains(want.trim())),
        "{lang}: {want:?} not in\n{out}"
    );
    if lang != "en" && !SAME_AS_ENGLISH.contains(&(lang, key)) {
        let english = words("en", key, values);
        assert_ne!(want, english, "{key} in {lang} is the English one");
        assert!(
            !out.lines().any(|l| l.contains(english.trim())),
            "{lang}: the English {english:?} in\n{out}"
        );
    }
}

/// The arguments of a command, and the sentence it must be refused with in a language.
type Case = (Vec<String>, Box<dyn Fn(&str) -> String>);

/// Each of `cases` (arguments, and the sentence it must be refused with in a language) run
/// in English and then in every language: refused with exit status 2, the sentence said, no
/// line of the English refusal left.
fn refuses_in_every_language(what: &str, cases: &[Case], env: &[(&str, &Path)]) {
    let refusal = |args: &[String], lang: &str| {
        let mut c = cmd();
        for (k, v) in env {
            c.env(k, v);
        }
        // Right after the subcommand: `ladder` reads everything after its first reading as
        // a reading.
        c.args(&args[..1]).args(["--lang", lang]).args(&args[1..]);
        let out = run(&mut c);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{what} {args:?} in {lang}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stderr)
    };
    for (args, want) in cases {
        let english = refusal(args, "en");
        assert!(english.contains(&want("en")), "{args:?}: {english}");
        for lang in LANGS {
            let said = refusal(args, lang);
            let want = want(lang);
            assert!(
                said.contains(&want),
                "{what} {args:?} in {lang}: {want:?} not in {said}"
            );
            worded(what, lang, &said, &english, |_| false);
        }
    }
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

// --- monitor ---

/// The table and the link news of six frames from the simulator, in `lang`.
fn monitor(lang: &str) -> (String, String) {
    let home = tmp();
    let mut c = cmd();
    c.env("HOME", home.path())
        .args(["monitor", "--sim", "--frames", "6", "--lang", lang]);
    let out = run(&mut c);
    assert!(out.status.success(), "{lang}: {}", text(&out.stderr));
    (text(&out.stdout), text(&out.stderr))
}

#[test]
fn monitor_shows_its_table_in_every_language_with_its_decimals() {
    let (en, en_news) = monitor("en");
    assert!(
        en.contains("cell OVP 3.600 V") && en.contains("Alarms    none"),
        "{en}"
    );
    assert!(en_news.contains("link up: simulator"), "{en_news}");
    for lang in LANGS {
        let (table, news) = monitor(lang);
        worded("monitor's table", lang, &table, &en, |_| false);
        worded("monitor's link news", lang, &news, &en_news, |_| false);
        // Cell OVP 3.600 V, the pack's current, the capacity: the language's separator.
        let (ovp, capacity) = if lang == "en" {
            ("3.600 V", "280.0 Ah")
        } else {
            ("3,600 V", "280,0 Ah")
        };
        assert!(
            table.contains(ovp) && table.contains(capacity),
            "{lang}:\n{table}"
        );
        if lang != "en" {
            assert!(
                !table.contains("3.600 V"),
                "{lang}: a decimal point:\n{table}"
            );
        }
        // Every row of a frame, each with its label: the table is whole in every language.
        let last = table
            .split("\n\n")
            .filter(|f| !f.trim().is_empty())
            .last()
            .unwrap();
        for row in [
            "device", "settings", "cells", "pack", "temps", "mosfets", "alarms",
        ] {
            let label = words(lang, &format!("cli.monitor.row.{row}"), &[]);
            assert!(
                last.lines().any(|l| l.starts_with(&label)),
                "{lang}: no {row} row ({label}) in\n{last}"
            );
        }
    }
}

/// `monitor` with `args` in `lang`, to its end.
fn monitor_with(lang: &str, args: &[&str]) -> Output {
    let home = tmp();
    let mut c = cmd();
    c.env("HOME", home.path())
        .arg("monitor")
        .args(args)
        .args(["--lang", lang]);
    run(&mut c)
}

#[test]
fn monitor_refuses_in_every_language() {
    let both = ["--sim", "--address", "AA"];
    let english_no_unit = text(&monitor_with("en", &[]).stderr);
    let english_both = text(&monitor_with("en", &both).stderr);
    assert!(english_no_unit.contains("--address") && english_no_unit.contains("--sim"));
    assert!(english_both.contains("not both"), "{english_both}");
    for lang in LANGS {
        let no_unit = monitor_with(lang, &[]);
        assert_eq!(no_unit.status.code(), Some(2), "{lang}");
        let said = text(&no_unit.stderr);
        let want = words(lang, "cli.monitor.which_unit", &[]);
        assert!(said.contains(&want), "{lang}: {said}");
        worded(
            "monitor without a unit",
            lang,
            &said,
            &english_no_unit,
            |_| false,
        );
        let said = text(&monitor_with(lang, &both).stderr);
        let want = words(lang, "cli.monitor.sim_or_address", &[]);
        assert!(said.contains(&want), "{lang}: {said}");
        worded("monitor with two units", lang, &said, &english_both, |_| {
            false
        });
    }
}

// --- keygen ---

/// `keygen` in `lang` into a new folder, trusted or not: its stdout, and the second `keygen`
/// into the same file (refused) with that file's path.
fn keygen(lang: &str, trust: bool) -> (String, Output, String) {
    let home = tmp();
    let mut c = cmd();
    c.env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_DATA_HOME", home.path().join("data"))
        .args(["keygen", "--lang", lang, "--comment", "Anna B", "--file"])
        .arg(home.path().join("key"))
        .arg(if trust { "--trust" } else { "--no-trust" });
    let out = run(&mut c);
    assert!(out.status.success(), "{lang}: {}", text(&out.stderr));
    // Made twice into the same file: refused, in the language's words.
    let mut again = cmd();
    again
        .env("HOME", home.path())
        .args(["keygen", "--lang", lang, "--no-trust", "--file"])
        .arg(home.path().join("key"));
    let again = run(&mut again);
    let key = home.path().join("key").display().to_string();
    (text(&out.stdout), again, key)
}

#[test]
fn keygen_speaks_every_language_and_keeps_the_signers_line() {
    let (en_trusted, en_again, _) = keygen("en", true);
    let (en_untrusted, _, _) = keygen("en", false);
    let english = format!("{en_trusted}{en_untrusted}");
    assert!(
        english.contains("Added to the workshop's allowed signers"),
        "{english}"
    );
    assert!(
        english.contains("Not added to the workshop's allowed signers"),
        "{english}"
    );
    assert!(text(&en_again.stderr).contains("no key was created: "));
    assert!(text(&en_again.stderr).contains("already exists; refusing to overwrite it"));
    for lang in LANGS {
        let (trusted, again, key) = keygen(lang, true);
        let (untrusted, _, _) = keygen(lang, false);
        let said = format!("{trusted}{untrusted}");
        // The allowed-signers line is data for another machine: the same in every language.
        let signers = |l: &str| l.contains("namespaces=\"jk-commission-log\"");
        worded("keygen", lang, &said, &english, signers);
        assert!(
            said.lines().any(signers),
            "{lang}: no allowed-signers line:\n{said}"
        );
        assert!(said.contains("SHA256:"), "{lang}: no fingerprint:\n{said}");
        for key in [
            "cli.keygen.created",
            "cli.keygen.whoever",
            "cli.keygen.then_runs",
        ] {
            assert!(
                said.contains(&words(lang, key, &[])),
                "{lang}: {key} in\n{said}"
            );
        }
        // The comment has a space: the principal is a placeholder the operator replaces.
        let replace = words(
            lang,
            "cli.keygen.replace_operator",
            &[("principal", "operator")],
        );
        assert!(said.contains(&replace), "{lang}: {replace} in\n{said}");
        assert_eq!(again.status.code(), Some(2), "{lang}");
        // Refused, and why: the file already there, named as it is.
        let refused = text(&again.stderr);
        let exists = words(lang, "sign.key_exists", &[("path", &key)]);
        let want = words(lang, "cli.keygen.not_created", &[("reason", &exists)]);
        assert!(refused.contains(&want), "{lang}: {want:?} in {refused}");
        if lang != "en" {
            let english = words("en", "sign.key_exists", &[("path", &key)]);
            assert!(!refused.contains(&english), "{lang}: {refused}");
        }
    }
}

#[test]
fn keygen_says_why_no_key_was_made_in_every_language() {
    let home = tmp();
    // A key under a file: its folder cannot be made.
    let file = home.path().join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    let folder = file.join("keys");
    let key = folder.join("operator").display().to_string();
    let folder = folder.display().to_string();
    let cases: Vec<Case> = vec![(
        strings(&["keygen", "--no-trust", "--file", &key]),
        Box::new(move |l: &str| {
            let why = words(
                l,
                "sign.io.create_folder",
                &[("error", ""), ("path", &folder)],
            );
            words(l, "cli.keygen.not_created", &[("reason", &why)])
        }),
    )];
    refuses_in_every_language("keygen", &cases, &[("HOME", home.path())]);
}

// --- archive ---

/// Two signed simulator sessions of the same unit and the signers that trust their key, made
/// once for the tests here.
struct Sessions {
    _dir: tempfile::TempDir,
    allowed: PathBuf,
    first: PathBuf,
    second: PathBuf,
    /// The first with its log changed after signing.
    tampered: PathBuf,
    /// The first without its signature.
    unsigned: PathBuf,
    /// A folder with nothing in it.
    empty: PathBuf,
}

fn sessions() -> &'static Sessions {
    static S: OnceLock<Sessions> = OnceLock::new();
    S.get_or_init(|| {
        let dir = tmp();
        let root = dir.path().to_path_buf();
        let (key, allowed) = trusted_key(&root, "operator", "anna@bench");
        let clean = example("clean-lifepo4-16s.yaml");
        let other = root.join("other.yaml");
        let answers = std::fs::read_to_string(&clean)
            .unwrap()
            .replace("PACK-2026-0042", "PACK-2026-0043");
        std::fs::write(&other, answers).unwrap();
        let (first, second) = (root.join("first"), root.join("second"));
        for (answers, out) in [(&clean, &first), (&other, &second)] {
            let mut c = cmd();
            c.env("HOME", &root)
                .env("XDG_DATA_HOME", root.join("data"))
                .env("XDG_CONFIG_HOME", root.join("config"))
                .args(["run", "--sim", "--answers"])
                .arg(answers)
                .arg("--out")
                .arg(out)
                .arg("--key")
                .arg(&key);
            let o = run(&mut c);
            assert!(o.status.success(), "run: {}", text(&o.stderr));
        }
        let tampered = root.join("tampered");
        std::fs::create_dir_all(&tampered).unwrap();
        for e in std::fs::read_dir(&first).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), tampered.join(e.file_name())).unwrap();
        }
        let log = std::fs::read_to_string(tampered.join("log.yaml")).unwrap();
        let log = log.replace("PACK-2026-0042", "PACK-2026-0099");
        std::fs::write(tampered.join("log.yaml"), log).unwrap();
        let unsigned = root.join("unsigned");
        std::fs::create_dir_all(&unsigned).unwrap();
        for e in std::fs::read_dir(&first).unwrap() {
            let e = e.unwrap();
            if e.file_name() != "log.yaml.sig" {
                std::fs::copy(e.path(), unsigned.join(e.file_name())).unwrap();
            }
        }
        let empty = root.join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        Sessions {
            _dir: dir,
            allowed,
            first,
            second,
            tampered,
            unsigned,
            empty,
        }
    })
}

/// Everything `archive` says in `lang` over a new archive: add both sessions (the first
/// twice), list, search, show, a search that finds nothing, a session that is not there, an
/// export to a file, an add with no signers to trust, folders refused (changed, unsigned,
/// empty, not there), filters refused (a date, a verdict, an empty search) and an archive
/// whose folder cannot be made.
fn archive_session(lang: &str) -> String {
    let s = sessions();
    let home = tmp();
    let db = home.path().join("archive.sqlite3");
    let mut said = String::new();
    let mut archive = |args: &[&str], extra: &[&Path], status: i32| {
        let mut c = cmd();
        c.env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env_remove("JK_ARCHIVE_DB")
            .arg("archive")
            .arg("--db")
            .arg(&db)
            .args(args)
            .args(extra)
            .args(["--lang", lang]);
        let out = run(&mut c);
        assert_eq!(
            out.status.code(),
            Some(status),
            "{lang} {args:?}: {}",
            text(&out.stderr)
        );
        said.push_str(&text(&out.stdout));
        said.push_str(&text(&out.stderr));
    };
    archive(&["search", "PACK"], &[], 0);
    let allowed = s.allowed.as_path();
    archive(
        &["add", "--allowed-signers"],
        &[allowed, &s.first, &s.second, &s.first],
        0,
    );
    archive(&["list"], &[], 0);
    archive(&["search", "0043"], &[], 0);
    archive(&["show", "1"], &[], 0);
    archive(&["show", "99"], &[], 1);
    let csv = home.path().join("out.csv");
    archive(&["export", "--csv", "--out"], &[&csv], 0);
    archive(&["add"], &[&s.first], 2);
    archive(&["add", "--allowed-signers"], &[allowed, &s.tampered], 1);
    let gone = home.path().join("gone");
    for folder in [&s.unsigned, &s.empty, &gone] {
        archive(&["add", "--allowed-signers"], &[allowed, folder], 1);
    }
    archive(&["list", "--since", "yesterday"], &[], 2);
    archive(&["list", "--verdict", "fail"], &[], 2);
    archive(&["search", " "], &[], 2);
    // An archive under a file: its folder cannot be made.
    std::fs::write(home.path().join("a-file"), "not a folder").unwrap();
    let mut c = cmd();
    c.env("HOME", home.path())
        .env_remove("JK_ARCHIVE_DB")
        .args(["archive", "--db"])
        .arg(home.path().join("a-file/archive.sqlite3"))
        .args(["list", "--lang", lang]);
    let out = run(&mut c);
    assert_eq!(out.status.code(), Some(2), "{lang}: {}", text(&out.stderr));
    said.push_str(&text(&out.stderr));
    // The export is data: the same columns and values in every language.
    let exported = std::fs::read_to_string(&csv).unwrap();
    assert!(exported.starts_with("id,"), "{lang}: {exported}");
    said
}

#[test]
fn archive_speaks_every_language_and_exports_data_as_it_is() {
    let english = archive_session("en");
    for line in [
        "no sessions match in the archive",
        "archived #1: pack PACK-2026-0042",
        "already archived as #1 (nothing changed)",
        "has been commissioned 2 times",
        "Session #1 [SIMULATED]",
        "history of BMS serial",
        "no session #99",
        "2 session(s) written to",
        "no allowed signers to check the signatures against",
        "tampered: refused, it does not verify: ",
    ] {
        assert!(english.contains(line), "{line:?} not in\n{english}");
    }
    let s = sessions();
    // Paths of the session's files stand alone on their lines; the same in every language.
    let path = |l: &str| l.starts_with('/') || l.starts_with(&*s.first.display().to_string());
    let tampered = s.tampered.display().to_string();
    let (unsigned, empty) = (
        s.unsigned.display().to_string(),
        s.empty.display().to_string(),
    );
    for lang in LANGS {
        let said = archive_session(lang);
        worded("archive", lang, &said, &english, path);
        // Why each folder, filter and archive was refused (what the system said at the end
        // of a sentence left out).
        let w = |key: &str, values: &[(&str, &str)]| words(lang, key, values);
        let not_signed = w("cli.archive.why.not_signed", &[("sig", "log.yaml.sig")]);
        says(
            lang,
            &said,
            "cli.archive.unverified",
            &[("folder", &unsigned), ("reason", &not_signed)],
        );
        // What the system said is inside the sentence here: its words up to there.
        let no_log = w(
            "cli.archive.why.no_log",
            &[("error", ""), ("log", "log.yaml")],
        );
        let no_log = no_log.split("log.yaml: ").next().unwrap().to_string();
        assert!(
            said.contains(&format!("{empty}: {no_log}log.yaml: ")),
            "{lang}: {no_log:?} in {said}"
        );
        says(lang, &said, "cli.archive.why.cannot_open", &[("error", "")]);
        says(
            lang,
            &said,
            "cli.archive.error.not_a_date",
            &[("option", "--since"), ("text", "yesterday")],
        );
        says(
            lang,
            &said,
            "cli.archive.error.not_a_verdict",
            &[("text", "fail")],
        );
        says(lang, &said, "cli.archive.error.empty_search", &[]);
        // The folder is a temporary one: the words on both sides of it.
        let around = |l: &str| {
            let t = words(
                l,
                "cli.archive.error.cannot_create",
                &[("error", ""), ("path", "@")],
            );
            let (head, tail) = t.split_once('@').unwrap();
            (head.to_string(), tail.to_string())
        };
        let (head, tail) = around(lang);
        let said_around = |(h, t): &(String, String)| {
            said.lines().any(|l| {
                l.split_once(h.as_str())
                    .is_some_and(|(_, r)| r.contains(t.as_str()))
            })
        };
        assert!(
            said_around(&(head, tail)),
            "{lang}: {:?} in {said}",
            around(lang)
        );
        if lang != "en" {
            assert!(!said_around(&around("en")), "{lang}: {said}");
        }
        // A changed log: the signature refused, in the same words as `verify`'s reason.
        let bad = w("sign.bad", &[]);
        says(lang, &said, "audit.refused.signature", &[("reason", &bad)]);
        for (key, values) in [
            ("cli.archive.col.serial", &[][..]),
            ("cli.archive.already", &[("id", "1")][..]),
            ("cli.archive.mark_simulated", &[][..]),
            ("cli.archive.show.this_one", &[][..]),
            (
                "cli.archive.unverified",
                &[("folder", &*tampered), ("reason", "")][..],
            ),
        ] {
            let want = words(lang, key, values);
            assert!(said.contains(&want), "{lang}: {want:?} not in\n{said}");
        }
    }
}

// --- check-wizard ---

fn check_wizard(lang: &str, file: Option<&str>) -> Output {
    let mut c = cmd();
    c.args(["check-wizard", "--lang", lang]).args(file);
    run(&mut c)
}

/// `texts xx: N given, M missing` of English, as (xx, N, M).
fn counts(english: &str) -> Vec<(String, String, String)> {
    english
        .lines()
        .map(|l| {
            let l = l.strip_prefix("texts ").expect(l);
            let (lang, rest) = l.split_once(": ").expect(l);
            let (given, rest) = rest.split_once(" given, ").expect(l);
            let missing = rest.strip_suffix(" missing").expect(l);
            (lang.into(), given.into(), missing.into())
        })
        .collect()
}

#[test]
fn check_wizard_summarises_in_every_language() {
    let broken = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wizard/semantic.yaml");
    let broken = broken.to_str().unwrap();
    let en_ok = check_wizard("en", None);
    let en_bad = check_wizard("en", Some(broken));
    assert!(text(&en_ok.stdout).starts_with("ok: 24 steps, languages en, pl, de, cs, sk, da, hu\n"));
    let en_counts = counts(&text(&en_ok.stderr));
    assert_eq!(en_counts.len(), 7, "{}", text(&en_ok.stderr));
    let mistakes = text(&en_bad.stdout).lines().count();
    assert!(mistakes > 1, "{}", text(&en_bad.stdout));
    assert!(
        text(&en_bad.stderr).contains(&format!("{broken}: {mistakes} mistakes found")),
        "{}",
        text(&en_bad.stderr)
    );
    // Only the hash line is the same in every language.
    let hash = |l: &str| l.starts_with("sha256 ");
    for lang in LANGS {
        let ok = check_wizard(lang, None);
        assert_eq!(ok.status.code(), Some(0), "{lang}");
        let (out, err) = (text(&ok.stdout), text(&ok.stderr));
        worded("check-wizard's ok", lang, &out, &text(&en_ok.stdout), hash);
        worded(
            "check-wizard's counts",
            lang,
            &err,
            &text(&en_ok.stderr),
            |_| false,
        );
        // The same counts as in English, each on its line in this language's words.
        let want: Vec<String> = en_counts
            .iter()
            .map(|(of, given, missing)| {
                let values = [
                    ("given", &**given),
                    ("lang", &**of),
                    ("missing", &**missing),
                ];
                words(lang, "cli.check.texts", &values)
            })
            .collect();
        assert_eq!(err.lines().collect::<Vec<_>>(), want, "{lang}");

        let bad = check_wizard(lang, Some(broken));
        assert_eq!(bad.status.code(), Some(1), "{lang}");
        // The mistakes keep the loader's words at their place: the same lines in every language.
        assert_eq!(text(&bad.stdout), text(&en_bad.stdout), "{lang}");
        let err = text(&bad.stderr);
        worded(
            "check-wizard's summary",
            lang,
            &err,
            &text(&en_bad.stderr),
            |_| false,
        );
        let n = mistakes.to_string();
        let summary = words(lang, "cli.check.mistakes", &[("n", &n), ("origin", broken)]);
        assert!(err.contains(&summary), "{lang}: {summary:?} in\n{err}");
    }
}

// --- around a session: run's last lines (the wizard's too), run's and the wizard's refusals ---

/// A signed `run` on a training scenario in each language: the verdict, where the log, its
/// signature and the report are and the training's score are said in that language; the
/// same function's lines with the trainer's signature and without the operator's too.
#[test]
fn a_signed_off_session_says_where_everything_is_in_every_language() {
    use jk_commission::log::record::CommissioningLog;
    use jk_commission::log::signoff::Outputs;
    use jk_commission::train::scenario::Scenario;
    let dir = tmp();
    let (key, _) = trusted_key(dir.path(), "operator", "anna@bench");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let file = root.join("scenarios/clean-lifepo4-16s.yaml");
    let scenario = Scenario::load(&file, builtin()).unwrap();
    assert!(scenario.training);
    let mut english: Option<(String, Vec<String>)> = None;
    for lang in LANGS {
        let out_dir = dir.path().join(lang);
        let mut c = cmd();
        c.env("HOME", dir.path())
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .args(["run", "--lang", lang, "--sim"])
            .arg(&file)
            .arg("--answers")
            .arg(example("clean-lifepo4-16s.yaml"))
            .arg("--out")
            .arg(&out_dir)
            .arg("--key")
            .arg(&key);
        let out = run(&mut c);
        assert!(out.status.success(), "{lang}: {}", text(&out.stderr));
        let said = text(&out.stdout);
        let path = |f: &str| out_dir.join(f).display().to_string();
        let pass = words(lang, "cli.verdict.pass", &[]);
        says(lang, &said, "cli.run.signed_off", &[("verdict", &pass)]);
        says(lang, &said, "cli.run.log", &[("path", &path("log.yaml"))]);
        says(
            lang,
            &said,
            "cli.run.signature",
            &[("path", &path("log.yaml.sig"))],
        );
        says(
            lang,
            &said,
            "cli.run.report",
            &[("path", &path("report.html"))],
        );
        // The trainee's name for the scenario, never its id; a clean pack has no fault.
        let blind = scenario.blind_id();
        let training = [
            ("caught", "0"),
            ("description", &*scenario.description),
            ("id", &*blind),
            ("total", "0"),
        ];
        says(lang, &said, "cli.run.training", &training);
        assert!(!said.contains("clean-lifepo4-16s"), "{lang}: {said}");
        worded(
            "run's last lines",
            lang,
            &said,
            &said_in_english(&english),
            |_| false,
        );

        // The same lines as the wizard prints them after its screen: with a trainer's
        // signature and without the operator's.
        let log: CommissioningLog =
            serde_yaml::from_str(&std::fs::read_to_string(path("log.yaml")).unwrap()).unwrap();
        let outputs = Outputs {
            log: path("log.yaml").into(),
            signature: None,
            trainer_signature: Some(path("log.yaml.trainer.sig").into()),
            report: path("report.html").into(),
            record: log,
        };
        let lines = jk_commission::cmd::signed_off_lines(builtin(), lang, &outputs, Some(&blind));
        let lines_text = lines.join("\n");
        says(lang, &lines_text, "cli.run.unsigned", &[]);
        says(
            lang,
            &lines_text,
            "cli.run.trainer_signature",
            &[("path", &path("log.yaml.trainer.sig"))],
        );
        says(lang, &lines_text, "cli.run.training", &training);
        match &english {
            None => english = Some((said, lines)),
            Some((_, en_lines)) => {
                assert_eq!(lines.len(), en_lines.len(), "{lang}: {lines:?}");
                for l in &lines {
                    assert!(!en_lines.contains(l), "{lang}: {l:?} is the English line");
                }
            }
        }
    }
}

/// The English output kept from the first round, or nothing yet.
fn said_in_english(english: &Option<(String, Vec<String>)>) -> String {
    english.as_ref().map(|(s, _)| s.clone()).unwrap_or_default()
}

#[test]
fn run_and_the_wizard_refuse_in_every_language() {
    let home = tmp();
    let answers = example("clean-lifepo4-16s.yaml").display().to_string();
    // A folder that holds other things than a session; a key others may read; a public key.
    let busy = home.path().join("busy");
    std::fs::create_dir_all(&busy).unwrap();
    std::fs::write(busy.join("notes.txt"), "mine").unwrap();
    let (key, _) = trusted_key(home.path(), "operator", "anna@bench");
    let open = home.path().join("open_key");
    std::fs::copy(&key, &open).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let public = format!("{}.pub", key.display());
    let (busy, open) = (busy.display().to_string(), open.display().to_string());
    let out = home.path().join("out").display().to_string();
    let run_with = |more: &[&str]| {
        let mut args = strings(&["run", "--sim", "--answers", &answers]);
        args.extend(strings(more));
        args
    };
    // A session signed off already: nothing more may be added to it.
    let finished = home.path().join("finished").display().to_string();
    let done = run(cmd().env("HOME", home.path()).args([
        "run",
        "--sim",
        "--answers",
        &answers,
        "--out",
        &finished,
    ]));
    assert_eq!(done.status.code(), Some(0), "{}", text(&done.stderr));
    let finished_said = finished.clone();
    let busy_said = busy.clone();
    let open_said = open.clone();
    let public_said = public.clone();
    let cases: Vec<Case> = vec![
        (
            run_with(&[]),
            Box::new(|l: &str| words(l, "cli.run.needs_out", &[])),
        ),
        (
            strings(&[
                "run",
                "--replay",
                "/no/capture",
                "--address",
                "AA",
                "--answers",
                &answers,
                "--out",
                &out,
            ]),
            Box::new(|l: &str| words(l, "cli.run.one_unit", &[])),
        ),
        (
            run_with(&["--out", &busy]),
            // Why the folder is refused, in the same language inside the frame.
            Box::new(move |l: &str| {
                let why = words(
                    l,
                    "log.session.not_a_session",
                    &[("dir", &busy_said), ("journal", "journal.jsonl")],
                );
                words(
                    l,
                    "cli.start.cannot_open",
                    &[("dir", &busy_said), ("error", &why)],
                )
            }),
        ),
        (
            run_with(&["--out", &finished]),
            Box::new(move |l: &str| {
                let why = words(l, "log.session.finished", &[("dir", &finished_said)]);
                words(
                    l,
                    "cli.start.cannot_open",
                    &[("dir", &finished_said), ("error", &why)],
                )
            }),
        ),
        (
            run_with(&["--out", &out, "--key", &open]),
            Box::new(move |l: &str| {
                words(
                    l,
                    "sign.key_too_open",
                    &[("mode", "0644"), ("path", &open_said)],
                )
            }),
        ),
        (
            run_with(&["--out", &out, "--key", &public]),
            Box::new(move |l: &str| {
                let why = words(l, "sign.why.public_key", &[]);
                words(
                    l,
                    "sign.not_a_key",
                    &[("path", &public_said), ("reason", &why)],
                )
            }),
        ),
        (
            // The interactive wizard, not in a terminal.
            strings(&["--sim"]),
            Box::new(|l: &str| words(l, "cli.start.needs_terminal", &[])),
        ),
    ];
    refuses_in_every_language("run", &cases, &[("HOME", home.path())]);
}

// --- ladder and procedure: the pack they are asked about, refused ---

/// `ladder` with `more` options and `n` readings of a good LiFePO4 ladder.
fn ladder_args(cells: &str, n: usize, more: &[&str]) -> Vec<String> {
    let mut args = strings(&["ladder", "--chemistry", "lifepo4", "--cells", cells]);
    args.extend(strings(more));
    let pack = format!("{:.2}", 3.3 * n as f64).replace('.', ",");
    args.extend(strings(&["--pack-voltage", &pack]));
    args.extend((1..=n).map(|k| format!("{:.2}", 3.3 * k as f64).replace('.', ",")));
    args
}

#[test]
fn ladder_refuses_the_pack_and_its_wires_in_every_language() {
    let spec = builtin();
    let known: Vec<&str> = spec.models.iter().map(|m| m.id.as_str()).collect();
    let known = known.join(", ");
    let ranges: Vec<String> = spec
        .models
        .iter()
        .map(|m| format!("{}–{}", m.min_cells, m.max_cells))
        .collect();
    let ranges = ranges.join(", ");
    let small = spec.model("b2a8s20p").expect("the 3–8 cell model");
    let small_name = small.name.clone();
    let mut chemistry = ladder_args("4", 4, &[]);
    chemistry[2] = "nimh".into();
    let mut options_after = ladder_args("4", 4, &[]);
    options_after.push("--json".into());
    let cases: Vec<Case> = vec![
        (
            // Wire 3 of a 4-cell pack carries cell 2's plus: the free wires are named.
            ladder_args("4", 4, &["--unused", "3=0,02"]),
            Box::new(|l: &str| {
                let free = words(l, "cli.ladder.unused_free", &[("wires", "6–8")]);
                words(
                    l,
                    "cli.ladder.unused_in_use",
                    &[("free", &free), ("wire", "3")],
                )
            }),
        ),
        (
            ladder_args("8", 8, &["--unused", "9=0,02"]),
            Box::new(|l: &str| {
                let free = words(l, "cli.ladder.no_unused", &[]);
                words(
                    l,
                    "cli.ladder.unused_in_use",
                    &[("free", &free), ("wire", "9")],
                )
            }),
        ),
        (
            ladder_args("4", 4, &["--unused", "7:0"]),
            Box::new(|l: &str| words(l, "cli.ladder.unused_form", &[("entry", "7:0")])),
        ),
        (
            // Volts refused as every typed quantity is.
            ladder_args("4", 4, &["--unused", "7=abc"]),
            Box::new(|l: &str| {
                words(
                    l,
                    "entry.not_a_number",
                    &[("field", "--unused 7=abc"), ("text", "abc"), ("unit", "V")],
                )
            }),
        ),
        (
            chemistry,
            Box::new(|l: &str| {
                words(
                    l,
                    "cli.pack.unknown_chemistry",
                    &[
                        ("known", "li-ion, lifepo4, lto"),
                        ("option", "--chemistry"),
                        ("text", "nimh"),
                    ],
                )
            }),
        ),
        (
            ladder_args("0", 1, &[]),
            Box::new(|l: &str| {
                words(
                    l,
                    "cli.pack.cells_range",
                    &[("cells", "0"), ("max", "32"), ("min", "1")],
                )
            }),
        ),
        (
            ladder_args("33", 1, &[]),
            Box::new(|l: &str| {
                words(
                    l,
                    "cli.pack.cells_range",
                    &[("cells", "33"), ("max", "32"), ("min", "1")],
                )
            }),
        ),
        (
            ladder_args("30", 30, &[]),
            Box::new(move |l: &str| {
                words(
                    l,
                    "cli.pack.no_model_for_cells",
                    &[("cells", "30"), ("ranges", &ranges)],
                )
            }),
        ),
        (
            ladder_args("4", 4, &["--model", "nope"]),
            Box::new(move |l: &str| {
                words(
                    l,
                    "cli.pack.unknown_model",
                    &[("id", "nope"), ("known", &known)],
                )
            }),
        ),
        (
            ladder_args("16", 16, &["--model", "b2a8s20p"]),
            Box::new(move |l: &str| {
                let name = jk_commission::wizard::spec::tr(&small_name, l);
                words(
                    l,
                    "cli.pack.model_cells",
                    &[
                        ("cells", "16"),
                        ("max", "8"),
                        ("min", "3"),
                        ("model", "b2a8s20p"),
                        ("name", name),
                    ],
                )
            }),
        ),
        (
            options_after,
            Box::new(|l: &str| {
                words(
                    l,
                    "cli.ladder.option_among_readings",
                    &[("option", "--json")],
                )
            }),
        ),
        (
            ladder_args("4", 3, &[]),
            Box::new(|l: &str| {
                words(
                    l,
                    "cli.ladder.readings_count",
                    &[("cells", "4"), ("got", "3")],
                )
            }),
        ),
    ];
    refuses_in_every_language("ladder", &cases, &[]);
}

#[test]
fn procedure_refuses_the_pack_in_every_language() {
    let known: Vec<&str> = builtin().models.iter().map(|m| m.id.as_str()).collect();
    let known = known.join(", ");
    let cases: Vec<Case> = vec![
        (
            strings(&["procedure", "--cells", "0"]),
            Box::new(|l: &str| {
                words(
                    l,
                    "cli.pack.cells_range",
                    &[("cells", "0"), ("max", "32"), ("min", "1")],
                )
            }),
        ),
        (
            strings(&["procedure", "--chemistry", "lead-acid"]),
            Box::new(|l: &str| {
                words(
                    l,
                    "cli.pack.unknown_chemistry",
                    &[
                        ("known", "li-ion, lifepo4, lto"),
                        ("option", "--chemistry"),
                        ("text", "lead-acid"),
                    ],
                )
            }),
        ),
        (
            strings(&["procedure", "--model", "b9z99"]),
            Box::new(move |l: &str| {
                words(
                    l,
                    "cli.pack.unknown_model",
                    &[("id", "b9z99"), ("known", &known)],
                )
            }),
        ),
    ];
    refuses_in_every_language("procedure", &cases, &[]);
}

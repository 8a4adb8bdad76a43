//! `jk-commission check-wizard` through the binary: the shipped wizard passes, broken copies
//! are refused with file:line:column and every semantic mistake at once.

use std::path::PathBuf;
use std::process::Output;

fn check_wizard(args: &[&str]) -> Output {
    crate::common::cmd()
        .arg("check-wizard")
        .args(args)
        .output()
        .expect("the binary runs")
}

fn fixture(name: &str) -> String {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "fixtures",
        "wizard",
        name,
    ]
    .iter()
    .collect();
    path.to_str().unwrap().to_string()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The 1-based line of the first line of a fixture containing `needle`.
fn line_of(name: &str, needle: &str) -> usize {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn the_built_in_wizard_is_ok() {
    let out = check_wizard(&[]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = stdout(&out);
    assert!(
        text.starts_with("ok: 24 steps, languages en, pl, de, cs, sk, da, hu\n"),
        "{text}"
    );
}

#[test]
fn the_shipped_file_is_ok_and_hashed() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/wizard.yaml");
    let out = check_wizard(&[path]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = stdout(&out);
    let hash = text
        .lines()
        .nth(1)
        .and_then(|l| l.strip_prefix("sha256 "))
        .unwrap();
    assert_eq!(hash.len(), 64);
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
}

#[test]
fn a_misspelt_key_is_named_with_file_line_and_column() {
    let out = check_wizard(&[&fixture("typo_key.yaml")]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let line = line_of("typo_key.yaml", "    titel:");
    let expected = format!(
        "{}:{line}:5: steps[6].titel: unknown field `titel`",
        fixture("typo_key.yaml")
    );
    assert!(stdout(&out).starts_with(&expected), "{}", stdout(&out));
}

#[test]
fn a_wrong_type_is_named_with_file_line_and_column() {
    let out = check_wizard(&[&fixture("wrong_type.yaml")]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let line = line_of("wrong_type.yaml", "twenty-four");
    let expected = format!(
        "{}:{line}:16: models[3].max_cells: invalid type: string \"twenty-four\", expected u32",
        fixture("wrong_type.yaml")
    );
    assert_eq!(stdout(&out).trim(), expected);
}

#[test]
fn bad_indentation_is_named_at_the_misindented_line() {
    let out = check_wizard(&[&fixture("bad_indent.yaml")]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let line = line_of("bad_indent.yaml", "   number: 5");
    let first = stdout(&out).lines().next().unwrap().to_string();
    assert!(
        first.starts_with(&format!("{}:{line}:4: ", fixture("bad_indent.yaml"))),
        "{first}"
    );
    assert!(first.contains("indent"), "{first}");
}

#[test]
fn every_semantic_mistake_is_listed_at_once() {
    let out = check_wizard(&[&fixture("semantic.yaml")]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    for needle in [
        "models[b2a24s20p].plugs: the plugs hold 24 wires but 24 cells need 25",
        "errors: the manual's error codes 1–9 must all be explained; missing: 8",
        "steps[setup.pack].input.fields[model]: 'model' offers unknown model 'b9z99'",
        "steps[setup.pack].id: duplicate step id 'setup.pack'",
        "steps[wiring.similar_charge].title: missing translation 'pl'",
        "steps[wiring.accessories].gates[all_confirmed].safety: an optional step cannot hold a safety gate",
    ] {
        let hit = lines.iter().find(|l| l.contains(needle));
        let hit = hit.unwrap_or_else(|| panic!("{needle:?} not in:\n{text}"));
        // Each names the file and a line:column.
        let rest = hit.strip_prefix(&format!("{}:", fixture("semantic.yaml"))).unwrap();
        let mut parts = rest.splitn(3, ':');
        assert!(parts.next().unwrap().parse::<usize>().is_ok(), "{hit}");
        assert!(parts.next().unwrap().parse::<usize>().is_ok(), "{hit}");
    }
    // At least the six planted; more if wizard.yaml later grows what the copy lacks.
    assert!(lines.len() >= 6, "{text}");
    let summary = format!("{} mistakes", lines.len());
    assert!(String::from_utf8_lossy(&out.stderr).contains(&summary));
}

#[test]
fn an_unreadable_file_exits_2() {
    let out = check_wizard(&["/nonexistent/wizard.yaml"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/nonexistent/wizard.yaml: cannot read"),
        "{err}"
    );
}

/// Issue 15: a sentence the program says, added (or left) without its Polish text, fails
/// check-wizard at its place; the texts are counted per language.
#[test]
fn a_reason_without_a_translation_fails_and_languages_are_counted() {
    let ok = check_wizard(&[]);
    let counts = String::from_utf8_lossy(&ok.stderr).into_owned();
    assert!(counts.contains("texts en: "), "{counts}");
    assert!(counts.contains("texts pl: "), "{counts}");
    assert!(counts.contains(", 0 missing"), "{counts}");

    let shipped = include_str!("../../wizard.yaml");
    let at = "  not_connected:\n";
    let i = shipped
        .find(at)
        .expect("the shipped file says not_connected");
    let end = shipped[i..].find("    pl: ").unwrap() + i;
    let line_end = shipped[end..].find('\n').unwrap() + end + 1;
    let without_pl = format!("{}{}", &shipped[..end], &shipped[line_end..]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.yaml");
    std::fs::write(&path, &without_pl).unwrap();
    let out = check_wizard(&[path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = stdout(&out);
    let line = without_pl[..i].lines().count() + 1;
    assert!(
        text.contains(&format!(
            ":{line}:3: reasons.not_connected: missing translation 'pl'"
        )),
        "{text}"
    );
    let counts = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        counts.contains("texts pl: ") && counts.contains(", 1 missing"),
        "{counts}"
    );
}

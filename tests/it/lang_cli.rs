//! The subcommands' own words follow the language (issue 15): `run` refuses in Polish, with
//! the gate's reason in Polish and numbers the Polish way.

use crate::common::{cmd, example, text, tmp};

#[test]
fn run_refuses_in_polish_with_decimal_commas() {
    let dir = tmp();
    let out = cmd()
        .args(["run", "--sim", "--lang", "pl", "--answers"])
        .arg(example("refuse-uvp-too-low.yaml"))
        .arg("--out")
        .arg(dir.path().join("s"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    for polish in [
        "odmowa w kroku config.advanced",
        "warunek uvp_matches_chemistry [bezpieczeństwo]",
        "Cell UVP 2,00 V jest poniżej zakresu 2,50–3,00 V",
    ] {
        assert!(err.contains(polish), "{polish:?} not in:\n{err}");
    }
    for english in ["refused at step", "gate uvp", " is below ", "2.00 V"] {
        assert!(
            !err.contains(english),
            "{english:?} left in English:\n{err}"
        );
    }
    // The journal keeps the code and the typed arguments, never a sentence.
    let log = std::fs::read_to_string(dir.path().join("s/journal.jsonl")).unwrap();
    assert!(log.contains(r#""code":"uvp_too_low""#), "{log}");
    assert!(log.contains(r#""key":"uvp_too_low""#), "{log}");
}

#[test]
fn train_check_reports_in_polish() {
    let scenario =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/config-cell-count.yaml");
    let out = cmd()
        .args(["train", "--lang", "pl", "--check"])
        .arg(&scenario)
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    for polish in [
        "scenariusz config-cell-count",
        "  wykryto: ",
        "ZALICZONE: każdy przygotowany błąd",
    ] {
        assert!(stdout.contains(polish), "{polish:?} not in:\n{stdout}");
    }
    for english in ["caught:", "PASS", "scenario "] {
        assert!(
            !stdout.contains(english),
            "{english:?} left in English:\n{stdout}"
        );
    }
}

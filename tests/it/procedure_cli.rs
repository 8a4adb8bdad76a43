//! `jk-commission procedure`: the whole procedure for one pack, in every listed language, as
//! Markdown and as HTML (issue 15).

use jk_commission::wizard::spec::{tr, WizardSpec};

use crate::common::{jk, text};

fn procedure(args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["procedure"];
    all.extend_from_slice(args);
    let out = jk(&all);
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

/// Every listed language prints every step, every instruction, warning, checklist item and
/// gate of the procedure in that language, with the pack's values in its number format, and
/// none of the English texts that language translates.
#[test]
fn every_language_prints_the_whole_procedure_in_its_own_words() {
    let spec = WizardSpec::builtin();
    assert_eq!(spec.languages.len(), 7, "{:?}", spec.languages);
    for lang in &spec.languages {
        let (code, out, err) =
            procedure(&["--lang", lang, "--chemistry", "lifepo4", "--cells", "16"]);
        assert_eq!(code, 0, "{lang}: {err}");
        for step in &spec.steps {
            assert!(
                out.contains(tr(&step.title, lang)),
                "{lang}: no step {}",
                step.id
            );
            let texts = step
                .instructions
                .iter()
                .chain(&step.warnings)
                .chain(step.input.items().iter().map(|i| &i.text))
                .chain(step.gates.iter().map(|g| &g.text));
            for t in texts {
                assert!(
                    out.contains(tr(t, lang)),
                    "{lang}: {} lacks {:?}",
                    step.id,
                    tr(t, lang)
                );
                let en = tr(t, "en");
                if lang != "en" && tr(t, lang) != en {
                    assert!(
                        !out.contains(en),
                        "{lang}: English left in {}: {en:?}",
                        step.id
                    );
                }
            }
        }
        // The pack's limits, filled in: the LiFePO4 factory Cell OVP and the ladder range.
        let comma = lang != "en";
        let (ovp, ladder) = if comma {
            ("3,60 V", "2,50–3,60 V")
        } else {
            ("3.60 V", "2.50–3.60 V")
        };
        assert!(out.contains(ovp), "{lang}: {out}");
        assert!(out.contains(ladder), "{lang}");
        assert!(out.contains("Cell Count = 16"), "{lang}");
        // No placeholder left unfilled, no key shown for want of its words.
        assert!(!out.contains("{"), "{lang}");
        assert!(!out.contains("cli.procedure"), "{lang}");
        if lang != "en" {
            for english in [
                "Limits for this pack",
                "Checks before going on",
                "Warnings",
                "cannot be overridden",
            ] {
                assert!(
                    !out.contains(english),
                    "{lang}: {english:?} left in English"
                );
            }
        }
    }
}

#[test]
fn the_values_follow_the_pack_asked_for() {
    let (code, out, err) = procedure(&["--lang", "en", "--chemistry", "li-ion", "--cells", "13"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Cell Count = 13"), "{out}");
    assert!(out.contains("Cell OVP 4.20 V"), "{out}");
    assert!(out.contains("13 readings"), "{out}");
    // A pack the model cannot take is bad input (exit 2), naming it.
    let (code, _, err) = procedure(&["--cells", "24", "--model", "b2a8s20p"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("b2a8s20p"), "{err}");
}

#[test]
fn the_html_handout_is_one_page_in_the_language_with_everything_escaped() {
    let spec = WizardSpec::builtin();
    for lang in ["pl", "hu"] {
        let (code, out, err) = procedure(&["--lang", lang, "--format", "html"]);
        assert_eq!(code, 0, "{err}");
        assert!(out.starts_with("<!DOCTYPE html>"), "{out}");
        assert!(out.contains(&format!("<html lang=\"{lang}\">")), "{out}");
        assert_eq!(out.matches("<h2>").count(), spec.steps.len() + 1, "{lang}");
        assert!(!out.contains("http"), "no network assets");
        for step in &spec.steps {
            let title = tr(&step.title, lang)
                .replace('&', "&amp;")
                .replace('"', "&quot;");
            assert!(
                out.contains(&title) || out.contains(tr(&step.title, lang)),
                "{lang}: {}",
                step.id
            );
        }
    }
}

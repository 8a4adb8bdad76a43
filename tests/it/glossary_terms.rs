//! The glossary's wrong terms stay out of wizard.yaml. Each language's texts (every
//! `xx: "…"` line of the file, placeholders taken out) are searched for the renderings
//! ../shared/domain/glossary.md marks wrong — its Polish usage notes, the app label spelled
//! "Advance", the NTC probe's German word — and for the retired names of the power and
//! charging plug, which has one name per language (the manual's output_plug, shortened).

use std::collections::BTreeMap;

/// The manual's seven languages.
const LANGS: [&str; 7] = ["en", "pl", "de", "cs", "sk", "da", "hu"];

/// Each language's texts in wizard.yaml, with their line numbers.
fn texts() -> BTreeMap<String, Vec<(usize, String)>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/wizard.yaml");
    let yaml = std::fs::read_to_string(path).unwrap();
    let mut out: BTreeMap<String, Vec<(usize, String)>> = BTreeMap::new();
    for (n, line) in yaml.lines().enumerate() {
        let line = line.trim_start().trim_start_matches("- ");
        let Some((lang, rest)) = line.split_once(": \"") else {
            continue;
        };
        if !LANGS.contains(&lang) {
            continue;
        }
        let text = rest.strip_suffix('"').unwrap_or(rest);
        out.entry(lang.to_string())
            .or_default()
            .push((n + 1, without_placeholders(text).to_lowercase()));
    }
    out
}

/// `text` with its `{placeholders}` taken out: `{chemistry}` is not the word "chemia".
fn without_placeholders(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        match rest[open..].find('}') {
            Some(close) => rest = &rest[open + close + 1..],
            None => {
                rest = &rest[open..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Wrong renderings per language (lower case), each with the term to use instead.
const WRONG: &[(&str, &[&str], &str)] = &[
    (
        "pl",
        &["chemi"],
        "„typ akumulatora” (the manual never says „chemia”)",
    ),
    (
        "pl",
        &["bateri"],
        "„akumulator” („bateria” never occurs in the Polish manual)",
    ),
    ("pl", &["odczep", "balansując"], "„przewody”, „wtyczka”"),
    (
        "pl",
        &["budzi", "budzić", "obudz"],
        "„aktywacja BMS”, „aktywować”",
    ),
    ("pl", &["multimetr"], "„miernik uniwersalny”"),
    (
        "pl",
        &["przełącznik"],
        "„włącznik” (the manual's word for the app's switches, and for the BMS's own)",
    ),
    (
        "pl",
        &[
            "czujnik temperatur",
            "czujnika temperatur",
            "czujniki temperatur",
            "czujników temperatur",
            "czujnik ntc",
            "czujnika ntc",
            "czujniki ntc",
        ],
        "„sonda temperatury NTC”",
    ),
    (
        "pl",
        &["po uaktywnieniu"],
        "„aktywacja” (step 3's unexplained phrase is not BMS activation)",
    ),
    (
        "de",
        &["temperatursonde", "ntc-sonde"],
        "„NTC-Temperatursensor”",
    ),
    (
        "en",
        &["asleep", "sleeps", "wakes", "wake up", "woken"],
        "“inactive”, “activate” (the manual's activation, step 11)",
    ),
    (
        "cs",
        &["měřák"],
        "„měřič”, „univerzální měřič” (not the colloquial word)",
    ),
    (
        "sk",
        &["merák"],
        "„merač”, „univerzálny merač” (not the colloquial word)",
    ),
    (
        "da",
        &[" ben "],
        "„pin” (the manual's word for a plug's pin)",
    ),
];

/// Wrong in every language: the app label is spelled "Advance Settings".
const WRONG_EVERYWHERE: &[(&[&str], &str)] = &[(&["advanced settings"], "`Advance Settings`")];

/// The power and charging plug: its one name per language, and the names it had before.
const PLUG: &[(&str, &str, &[&str])] = &[
    (
        "en",
        "power and charging plug",
        &[
            "output plug",
            "output connector",
            "power connector",
            "charge connector",
        ],
    ),
    (
        "pl",
        "zasilania i ładowania",
        &[
            "złącze mocy",
            "złącza mocy",
            "złączu mocy",
            "złączem mocy",
            "wtyczka wyjściowa",
            "wtyczki wyjściowej",
            "wtyczce wyjściowej",
            "złącze wyjściowe",
            "złącza wyjściowego",
            "złączu wyjściowym",
        ],
    ),
    (
        "de",
        "versorgungs- und ladestecker",
        &["ausgangsstecker", "last- und ladestecker"],
    ),
    (
        "cs",
        "napájení a nabíjení",
        &[
            "výstupní konektor",
            "výstupního konektoru",
            "výstupním konektoru",
            "výstupnímu konektoru",
        ],
    ),
    (
        "sk",
        "napájania a nabíjania",
        &[
            "výstupná zástrčka",
            "výstupnej zástrčk",
            "výstupnú zástrčku",
        ],
    ),
    (
        "da",
        "til forsyning og opladning",
        &["udgangsstik", "for forsyning og opladning"],
    ),
    ("hu", "táp- és töltőcsatlakozó", &["kimeneti csatlakozó"]),
];

#[test]
fn no_text_uses_a_term_the_glossary_marks_wrong() {
    let texts = texts();
    assert_eq!(texts.len(), 7, "seven languages: {:?}", texts.keys());
    let mut found = Vec::new();
    let mut check = |lang: &str, wrong: &[&str], use_instead: &str| {
        for (line, text) in &texts[lang] {
            for w in wrong {
                if text.contains(w) {
                    found.push(format!(
                        "wizard.yaml:{line} ({lang}): {w:?}, use {use_instead}: {text}"
                    ));
                }
            }
        }
    };
    for (lang, wrong, instead) in WRONG {
        check(lang, wrong, instead);
    }
    for lang in LANGS {
        for (wrong, instead) in WRONG_EVERYWHERE {
            check(lang, wrong, instead);
        }
    }
    for (lang, name, retired) in PLUG {
        check(lang, retired, &format!("{name:?}"));
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// The plug's one name is what the steps and the reasons use: its wiring step's title, the
/// gate's reason for a wrong plug voltage and the meter all name it.
#[test]
fn the_power_and_charging_plug_has_one_name_in_every_language() {
    let texts = texts();
    for (lang, name, _) in PLUG {
        let uses = texts[*lang]
            .iter()
            .filter(|(_, t)| t.contains(name))
            .count();
        assert!(uses >= 8, "{lang}: {name:?} named {uses} times");
    }
}

#[test]
fn the_search_finds_a_wrong_term_and_ignores_placeholders() {
    assert_eq!(without_placeholders("dla {chemistry}: {x}."), "dla : .");
    let wrong = "typ baterii";
    assert!(wrong.contains(WRONG[1].1[0]));
}

/// Two operator actions, two word families per language: leaving out an optional step
/// (skip, `s`) and passing a failed non-safety gate on someone's responsibility (override,
/// `o`). Each row: the language, the stems of its override family, the stems of its skip
/// family (lower case; any one stem names the family). Polish had "pomiń" for both, so the
/// footer could read "s: pomiń · o: pomiń" and the report's "Pominięcia" meant either.
const SKIP_AND_OVERRIDE: &[(&str, &[&str], &[&str])] = &[
    ("en", &["overrid", "overrode"], &["skip"]),
    ("pl", &["obej", "obsz"], &["pomiń", "pomin", "pomij"]),
    ("de", &["übersteu"], &["übersp"]),
    ("cs", &["překlen"], &["přeskoč"]),
    ("sk", &["premost", "premosť"], &["preskoč"]),
    ("da", &["tilsides"], &["spring", "sprung"]),
    (
        "hu",
        &["felülbír", "bírálható felül"],
        &["kihagy", "hagyható ki"],
    ),
];

/// Every text that names the override: the footer and help, the gate's mark, the dialog,
/// the step list, the sign-off summary, the report, verify, training and the engine's refusals.
const OVERRIDE_KEYS: &[&str] = &[
    "ui.footer.override",
    "ui.help.k.override",
    "ui.gate.overridable",
    "ui.gate.may_go_override",
    "ui.help.gates",
    "ui.mark.overridden",
    "ui.override.title",
    "ui.override.none",
    "ui.override.note",
    "ui.live.manual",
    "ui.summary.override",
    "cli.verdict.pass_with_overrides",
    "cli.report.verdict_overrides",
    "cli.report.overrides",
    "cli.report.overrides_intro",
    "cli.report.outcome_overridden",
    "cli.report.result_overridden",
    "cli.procedure.safety",
    "cli.verify.journal_not_checked",
    "log.override_unrecorded",
    "log.pass_but_overrides",
    "log.overrides_none",
    "engine.override_incomplete",
    "engine.safety_gate",
    "engine.gate_passes",
    "train.overridden",
    "messages.override",
    "messages.override_refused_safety",
    "messages.gate_overridden",
    "messages.summary_warnings",
];

/// Every text that names skipping a step.
const SKIP_KEYS: &[&str] = &[
    "ui.footer.skip",
    "ui.help.k.skip",
    "ui.mark.skipped",
    "ui.summary.skipped",
    "ui.notice.not_optional",
    "cli.report.outcome_skipped",
    "engine.not_optional",
    "messages.skip",
];

/// The template of `key` in `lang` as wizard.yaml has it (`messages.x` is the `messages:`
/// section's `x`), lower case, placeholders taken out.
fn words_of(spec: &jk_commission::wizard::spec::WizardSpec, lang: &str, key: &str) -> String {
    use jk_commission::wizard::spec::tr;
    let text = match key.strip_prefix("messages.") {
        Some(k) => spec.messages.get(k),
        None => jk_commission::wizard::words::section(spec, key).get(key),
    }
    .unwrap_or_else(|| panic!("wizard.yaml has no {key}"));
    without_placeholders(tr(text, lang)).to_lowercase()
}

#[test]
fn skip_and_override_have_their_own_word_family_in_every_language() {
    let spec = jk_commission::wizard::spec::WizardSpec::builtin();
    assert_eq!(SKIP_AND_OVERRIDE.len(), LANGS.len());
    let mut found = Vec::new();
    for (lang, override_stems, skip_stems) in SKIP_AND_OVERRIDE {
        let has = |text: &str, stems: &[&str]| stems.iter().any(|s| text.contains(s));
        // The footer shows both keys side by side: never the same word.
        for (skip, over) in [
            ("ui.footer.skip", "ui.footer.override"),
            ("ui.help.k.skip", "ui.help.k.override"),
            ("messages.skip", "messages.override"),
        ] {
            let (s, o) = (words_of(&spec, lang, skip), words_of(&spec, lang, over));
            if s == o {
                found.push(format!("{lang}: {skip} and {over} both say {s:?}"));
            }
        }
        for key in OVERRIDE_KEYS {
            let text = words_of(&spec, lang, key);
            if !has(&text, override_stems) {
                found.push(format!(
                    "{lang}: {key} lacks the override word {override_stems:?}: {text:?}"
                ));
            }
            if has(&text, skip_stems) {
                found.push(format!(
                    "{lang}: {key} uses the skip word {skip_stems:?}: {text:?}"
                ));
            }
        }
        for key in SKIP_KEYS {
            let text = words_of(&spec, lang, key);
            if !has(&text, skip_stems) {
                found.push(format!(
                    "{lang}: {key} lacks the skip word {skip_stems:?}: {text:?}"
                ));
            }
            if has(&text, override_stems) {
                found.push(format!(
                    "{lang}: {key} uses the override word {override_stems:?}: {text:?}"
                ));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// The test above would have caught the Polish as it was: one word, "pomiń", for both keys.
#[test]
fn the_family_check_refuses_one_word_for_both_actions() {
    let (_, override_stems, skip_stems) = SKIP_AND_OVERRIDE[1];
    let old_footer_override = "pomiń warunek";
    assert!(skip_stems.iter().any(|s| old_footer_override.contains(s)));
    assert!(!override_stems
        .iter()
        .any(|s| old_footer_override.contains(s)));
}

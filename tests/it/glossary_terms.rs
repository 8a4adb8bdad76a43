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

//! Each subcommand's `--help` lists only the options it uses; the wizard's own options belong
//! to the wizard (and `run`, which takes them all).

use crate::common::{jk, text};

/// The session options a subcommand's help lists.
fn session_options(sub: &[&str]) -> Vec<String> {
    let mut args = sub.to_vec();
    args.push("--help");
    let out = jk(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let help = text(&out.stdout);
    ["--sim", "--replay", "--wizard", "--lang", "--out", "--key"]
        .iter()
        .filter(|o| {
            help.lines()
                .any(|l| l.trim_start().starts_with(&format!("{o} ")) || l.trim() == **o)
        })
        .map(|o| o.to_string())
        .collect()
}

#[test]
fn every_subcommand_lists_only_the_session_options_it_uses() {
    let all = ["--sim", "--replay", "--wizard", "--lang", "--out", "--key"];
    let cases: &[(&[&str], &[&str])] = &[
        (&[], &all),
        (&["run"], &all),
        // A trainer shows a recorded unit's fault to a class with --replay.
        (&["train"], &all),
        (&["monitor"], &["--sim", "--replay", "--lang"]),
        // Their output is worded in the chosen language.
        (&["ladder"], &["--wizard", "--lang"]),
        (&["procedure"], &["--wizard", "--lang"]),
        (&["verify"], &["--wizard", "--lang"]),
        (&["scan"], &["--wizard", "--lang"]),
        (&["archive"], &["--wizard", "--lang"]),
        (&["keygen"], &["--lang"]),
        (&["decode"], &[]),
        (&["check-wizard"], &["--lang"]),
    ];
    for (sub, want) in cases {
        assert_eq!(session_options(sub), *want, "jk-commission {sub:?} --help");
    }
}

#[test]
fn an_option_a_subcommand_does_not_use_is_refused_not_ignored() {
    for args in [
        &["keygen", "--sim"][..],
        &["verify", "log.yaml", "--out", "x"][..],
        // (`--sim keygen` would name a scenario file "keygen": --sim takes an optional value.)
        &["--lang", "en", "keygen"][..],
    ] {
        let out = jk(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        // Refused for the option itself, not for some later failure with the same status.
        let err = text(&out.stderr);
        assert!(
            err.contains("unexpected argument") || err.contains("cannot be used with"),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn the_readme_key_table_is_the_programs() {
    let readme = include_str!("../../README.md");
    let keys = jk_commission::ui::keys::KEYS;
    let spec = jk_commission::wizard::spec::WizardSpec::builtin();
    let w = keys.iter().map(|(k, _)| k.chars().count()).max().unwrap();
    for (k, word) in keys {
        // The README is in English: each key's words as the program shows them in English.
        let what = jk_commission::ui::text::say(&spec, "en", word);
        let pad = " ".repeat(w - k.chars().count());
        let line = format!("{k}{pad}  {what}");
        assert!(readme.contains(&line), "README lacks the key line {line:?}");
    }
    // Nothing else is a key line of the README's table: its lines are exactly KEYS.
    let table = readme
        .split("```")
        .find(|b| b.contains(keys[0].0) && b.contains("Step list:"))
        .expect("the README's key table");
    let rows = table.lines().filter(|l| !l.trim().is_empty()).count();
    assert_eq!(rows, keys.len() + 2, "{table}");
}

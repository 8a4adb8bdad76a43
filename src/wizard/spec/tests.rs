use super::*;
use crate::bms::model::AppAction;

fn builtin() -> WizardSpec {
    WizardSpec::from_str(BUILTIN_YAML, BUILTIN_ORIGIN).unwrap_or_else(|e| panic!("{e}"))
}

/// Every text of the wizard with where it is.
fn all_texts(spec: &WizardSpec) -> Vec<(String, &Text)> {
    let mut out: Vec<(String, &Text)> = Vec::new();
    for (c, cs) in &spec.chemistries {
        out.push((format!("chemistry {c}"), &cs.name));
        out.extend(
            cs.ladder_note
                .iter()
                .map(|t| (format!("ladder note {c}"), t)),
        );
    }
    out.extend(
        spec.models
            .iter()
            .map(|m| (format!("model {}", m.id), &m.name)),
    );
    out.extend(
        spec.messages
            .iter()
            .map(|(k, t)| (format!("message {k}"), t)),
    );
    out.extend(spec.errors.iter().map(|(k, t)| (format!("error {k}"), t)));
    for s in &spec.steps {
        let at = |what: &str| format!("{} {what}", s.id);
        out.push((at("title"), &s.title));
        out.extend(s.instructions.iter().map(|t| (at("instruction"), t)));
        out.extend(s.warnings.iter().map(|t| (at("warning"), t)));
        out.extend(s.input.items().iter().map(|i| (at(&i.id), &i.text)));
        out.extend(s.gates.iter().map(|g| (at(&g.id), &g.text)));
        for f in s.input.fields() {
            out.push((at(&f.id), &f.label));
            out.extend(f.help.iter().map(|t| (at(&f.id), t)));
            if let FieldKind::Choice { options } = &f.kind {
                out.extend(options.iter().map(|o| (at(&o.id), &o.text)));
            }
        }
    }
    out
}

#[test]
fn the_builtin_wizard_loads_and_is_hashed() {
    let spec = WizardSpec::builtin();
    assert_eq!(spec.languages, ["en", "pl", "de", "cs", "sk", "da", "hu"]);
    assert_eq!(spec.wizard_hash(), sha256_hex(BUILTIN_YAML.as_bytes()));
    assert_eq!(spec.wizard_hash().len(), 64);
}

#[test]
fn one_changed_byte_changes_the_hash() {
    let other = BUILTIN_YAML.replacen("Next", "Next ", 1);
    let spec = WizardSpec::from_str(&other, "x").unwrap();
    assert_ne!(spec.wizard_hash(), builtin().wizard_hash());
}

#[test]
fn the_builtin_steps_follow_the_manual_in_order() {
    let spec = builtin();
    let ids: Vec<&str> = spec.steps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "setup.pack",
            "setup.safety",
            "wiring.similar_charge",
            "wiring.pin1_minus",
            "wiring.tap_order",
            "wiring.fewer_cells",
            "wiring.ladder",
            "wiring.ntc",
            "wiring.b_minus",
            "wiring.p_minus",
            "wiring.accessories",
            "wiring.plug_in",
            "wiring.activate",
            "wiring.output",
            "config.status",
            "config.password",
            "config.battery_type",
            "config.cells_capacity",
            "config.balance_trigger",
            "config.calibration",
            "config.advanced",
            "config.control",
            "protection.test",
            "signoff",
        ]
    );
    let numbers = |section| -> Vec<u32> {
        spec.steps
            .iter()
            .filter(|s| s.section == section)
            .filter_map(|s| s.number)
            .collect()
    };
    assert_eq!(numbers(Section::Wiring), (1..=12).collect::<Vec<_>>());
    assert_eq!(numbers(Section::Configuration), (1..=8).collect::<Vec<_>>());
    let unique: std::collections::BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len());
}

#[test]
fn every_builtin_text_is_in_english_and_polish() {
    let spec = builtin();
    for (at, text) in all_texts(&spec) {
        for lang in ["en", "pl"] {
            assert!(
                text.get(lang).is_some_and(|t| !t.trim().is_empty()),
                "{at} lacks {lang}"
            );
        }
    }
    // The Polish is a translation, not a copy of the English.
    let same = all_texts(&spec)
        .iter()
        .filter(|(_, t)| t["en"] == t["pl"] && t["en"].len() > 12)
        .count();
    assert_eq!(same, 0);
}

#[test]
fn the_physical_actions_are_played_where_the_hands_would_be() {
    let spec = builtin();
    let plug = spec.step("wiring.plug_in").unwrap();
    assert_eq!(plug.sim_actions, [AppAction::BalancePlug(true)]);
    assert_eq!(
        spec.step("wiring.activate").unwrap().sim_actions,
        [AppAction::Activate]
    );
    let with_actions = spec
        .steps
        .iter()
        .filter(|s| !s.sim_actions.is_empty())
        .count();
    assert_eq!(with_actions, 2);
    assert!(spec.step_index("wiring.ladder") < spec.step_index("wiring.plug_in"));
}

#[test]
fn the_safety_gates_guard_what_could_burn() {
    let spec = builtin();
    let safety = |step: &str, gate: &str| {
        spec.step(step)
            .and_then(|s| s.gates.iter().find(|g| g.id == gate))
            .unwrap_or_else(|| panic!("{step}/{gate} missing"))
            .safety
    };
    for (step, gate) in [
        ("wiring.similar_charge", "cell_spread"),
        ("wiring.ladder", "ladder"),
        ("wiring.activate", "charger_voltage"),
        ("wiring.output", "output_voltage"),
        ("config.status", "cells_visible"),
        ("config.battery_type", "ovp_matches_chemistry"),
        ("config.cells_capacity", "cell_count_setting"),
        ("config.control", "temp_sensor_enabled"),
        ("config.control", "no_alarm"),
        ("protection.test", "protection_test"),
        ("signoff", "no_alarm"),
    ] {
        assert!(safety(step, gate), "{step}/{gate} is not a safety gate");
    }
    assert!(!safety("config.balance_trigger", "balance_trigger"));
    for s in spec.steps.iter().filter(|s| s.optional) {
        assert!(s.gates.iter().all(|g| !g.safety), "{} is optional", s.id);
    }
}

#[test]
fn the_limits_and_chemistries_hold_the_manual_numbers() {
    let spec = builtin();
    let c = |id| &spec.chemistries[&Chemistry::from_id(id).unwrap()];
    assert_eq!(c("li-ion").cell_ovp, Volts(4.20));
    assert_eq!(c("lifepo4").cell_ovp, Volts(3.60));
    assert_eq!(c("lto").cell_ovp, Volts(2.70));
    assert_eq!(
        c("li-ion").ladder_step,
        VoltRange {
            min: Volts(3.0),
            max: Volts(4.1)
        }
    );
    assert_eq!(
        c("lifepo4").ladder_step,
        VoltRange {
            min: Volts(2.5),
            max: Volts(3.6)
        }
    );
    assert!(c("lto").ladder_note.is_some());
    assert!(c("lifepo4").ladder_note.is_none());
    // A LiFePO4 unit tuned to 3.65 V is still recognised as LiFePO4 and as nothing else.
    let matches: Vec<Chemistry> = spec
        .chemistries
        .iter()
        .filter(|(_, cs)| cs.ovp_window.contains(Volts(3.65)))
        .map(|(c, _)| *c)
        .collect();
    assert_eq!(matches, [Chemistry::LiFePo4]);
    let l = &spec.limits;
    assert_eq!(l.cell_spread, Volts(0.1));
    assert_eq!(l.charger_margin, Volts(5.0));
    assert_eq!(l.balance_trigger, Volts(0.01));
    assert_eq!((l.cold_utpr, l.cold_utp), (5.0, [1.0, 2.0]));
    assert_eq!(
        spec.errors.keys().copied().collect::<Vec<_>>(),
        (1..=9).collect::<Vec<u8>>()
    );
    let m = spec.model("b2a24s20p").unwrap();
    assert_eq!(
        (m.max_cells, m.plugs.iter().sum::<u32>(), m.plugs.len()),
        (24, 25, 2)
    );
}

#[test]
fn a_typo_in_a_key_names_line_column_and_path() {
    let text = BUILTIN_YAML.replacen("    instructions:", "    instructoins:", 1);
    let e = &WizardSpec::from_str(&text, "w.yaml").unwrap_err().0[0];
    let line = text
        .lines()
        .position(|l| l.contains("instructoins"))
        .unwrap()
        + 1;
    assert_eq!((e.line, e.column), (Some(line), Some(5)));
    assert_eq!(e.path, "steps[0].instructoins");
    assert!(e.message.contains("unknown field `instructoins`"), "{e}");
    assert!(e
        .to_string()
        .starts_with(&format!("w.yaml:{line}:5: steps[0].instructoins: ")));
}

#[test]
fn a_wrong_type_names_the_value() {
    let text = BUILTIN_YAML.replacen("  cell_spread: 0.1", "  cell_spread: a lot", 1);
    let e = &WizardSpec::from_str(&text, "w.yaml").unwrap_err().0[0];
    let line = text.lines().position(|l| l.contains("a lot")).unwrap() + 1;
    assert_eq!((e.line, e.column), (Some(line), Some(16)));
    assert_eq!(e.path, "limits.cell_spread");
    assert!(e.message.contains("expected f64"), "{e}");
}

#[test]
fn bad_indentation_points_at_the_line() {
    let text = BUILTIN_YAML.replacen(
        "      kind: ladder\n",
        "      kind: ladder\n     items: []\n",
        1,
    );
    let e = &WizardSpec::from_str(&text, "w.yaml").unwrap_err().0[0];
    let line = text.lines().position(|l| l == "     items: []").unwrap() + 1;
    assert_eq!(e.line, Some(line));
    assert!(e.message.contains("indented"), "{e}");
    assert!(!e.message.contains("at line"), "position repeated: {e}");
}

#[test]
fn a_field_key_of_the_wrong_type_is_found_even_though_the_parser_loses_it() {
    let text = BUILTIN_YAML.replacen(
        "          type: text\n          optional: true\n",
        "          type: text\n          min: 3\n          optional: true\n",
        1,
    );
    let e = &WizardSpec::from_str(&text, "w.yaml").unwrap_err().0[0];
    let line = text
        .lines()
        .position(|l| l.contains("- id: trainer"))
        .unwrap()
        + 1;
    assert_eq!(e.line, Some(line));
    assert!(e.message.contains("'min' does not belong"), "{e}");
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let e = WizardSpec::load(Path::new("/nonexistent/wizard.yaml")).unwrap_err();
    assert_eq!(e.0.len(), 1);
    assert!(
        e.to_string()
            .starts_with("/nonexistent/wizard.yaml: cannot read"),
        "{e}"
    );
}

#[test]
fn the_spec_survives_a_round_trip_through_yaml() {
    let spec = builtin();
    let text = serde_yaml::to_string(&spec).unwrap();
    let mut again = WizardSpec::from_str(&text, "again").unwrap_or_else(|e| panic!("{e}"));
    again.sha256 = spec.sha256.clone();
    assert_eq!(again, spec);
}

#[test]
fn the_language_comes_from_the_flag_then_lang_then_english() {
    let spec = builtin();
    assert_eq!(pick_language(Some("pl"), Some("en_US.UTF-8"), &spec), "pl");
    assert_eq!(pick_language(Some("PL"), None, &spec), "pl");
    assert_eq!(pick_language(None, Some("pl_PL.UTF-8"), &spec), "pl");
    assert_eq!(pick_language(None, Some("de_DE.UTF-8"), &spec), "de");
    assert_eq!(pick_language(None, Some("fr_FR.UTF-8"), &spec), "en");
    assert_eq!(pick_language(None, Some("C"), &spec), "en");
    assert_eq!(pick_language(None, Some(""), &spec), "en");
    assert_eq!(pick_language(None, None, &spec), "en");
    assert_eq!(pick_language(Some("klingon"), Some("pl_PL"), &spec), "en");
}

#[test]
fn messages_fall_back_to_english_then_the_key() {
    let spec = builtin();
    assert_eq!(spec.message("next", "pl"), "Dalej");
    assert_eq!(spec.message("next", "de"), "Weiter");
    assert_eq!(spec.message("next", "fr"), "Next");
    assert_eq!(spec.message("no_such_key", "pl"), "no_such_key");
}

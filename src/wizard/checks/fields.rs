//! What the operator types into a form field: parsed, range-checked, or refused with the field
//! named by its label and the accepted range spelled out.
//!
//! A refusal is data (the field, what was typed, the accepted form and range); its words come
//! from wizard.yaml's `reasons:` (`entry.*`) in the operator's language through [`FieldError::say`],
//! numbers written the language's way. The English rendering is its `Display`.

use crate::units::{parse_quantity, ParseError};
use crate::wizard::spec::{FieldKind, FieldSpec, Text, Unit};
use crate::wizard::words::{Arg, Say};

use super::edge::{reaches, within};
use super::Value;

/// What an empty entry should have held.
#[derive(Debug, Clone, PartialEq)]
pub enum Hint {
    /// A number in this unit and range.
    Number {
        /// Its unit.
        unit: Unit,
        /// Lowest accepted.
        min: f64,
        /// Highest accepted.
        max: f64,
    },
    /// A whole number in this range.
    Integer {
        /// Lowest accepted.
        min: i64,
        /// Highest accepted.
        max: i64,
    },
    /// One of these option ids.
    Choice(Vec<String>),
    /// Some text.
    Text,
}

/// Why a typed entry was refused: the field (its id, and its label for the operator) and what
/// was wrong, with the accepted range or form.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", self.say().english())]
pub struct FieldError {
    /// The field's id.
    pub field: String,
    /// The field's label in every language the wizard gives, as the form shows it.
    pub label: Text,
    /// What was wrong with the entry.
    pub problem: Problem,
}

/// What was wrong with an entry.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// Nothing was typed into a field that needs a value.
    Empty(Hint),
    /// A number field got something that is not a decimal.
    NotANumber {
        /// What was typed.
        text: String,
        /// The field's unit.
        unit: Unit,
        /// Lowest accepted.
        min: f64,
        /// Highest accepted.
        max: f64,
    },
    /// A number carried a unit that does not belong to the field.
    WrongUnit {
        /// What was typed.
        text: String,
        /// The unit found.
        found: String,
        /// The field's unit.
        expected: Unit,
    },
    /// An integer field got something that is not a whole number.
    NotAnInteger {
        /// What was typed.
        text: String,
        /// Lowest accepted.
        min: i64,
        /// Highest accepted.
        max: i64,
    },
    /// A number outside the field's range.
    OutOfRange {
        /// The value as read.
        value: f64,
        /// Lowest accepted.
        min: f64,
        /// Highest accepted.
        max: f64,
        /// The field's unit (none for a whole number).
        unit: Option<Unit>,
    },
    /// A choice that is none of the options.
    UnknownOption {
        /// What was typed.
        text: String,
        /// The option ids.
        options: Vec<String>,
    },
}

impl FieldError {
    /// The id of the field the entry was typed into.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The refusal as a sentence: its key in `reasons:` and its typed values (the field's
    /// label, the text as typed, the accepted range with its unit).
    pub fn say(&self) -> Say {
        let field = Arg::Text(self.label.clone());
        match &self.problem {
            Problem::Empty(hint) => match hint {
                Hint::Number { unit, min, max } => Say::new(
                    "entry.empty_number_in",
                    [("field", field), ("range", range(*min, *max, Some(*unit)))],
                ),
                Hint::Integer { min, max } => Say::new(
                    "entry.empty_integer",
                    [
                        ("field", field),
                        ("max", Arg::int(*max)),
                        ("min", Arg::int(*min)),
                    ],
                ),
                Hint::Choice(options) => Say::new(
                    "entry.empty_choice",
                    [
                        ("field", field),
                        ("options", Arg::verbatim(options.join(", "))),
                    ],
                ),
                Hint::Text => Say::new("entry.empty_text", [("field", field)]),
            },
            Problem::NotANumber {
                text,
                unit,
                min,
                max,
            } => Say::new(
                "entry.not_a_number_in",
                [
                    ("field", field),
                    ("range", range(*min, *max, Some(*unit))),
                    ("text", Arg::verbatim(text)),
                ],
            ),
            Problem::WrongUnit {
                text,
                found,
                expected,
            } => Say::new(
                "entry.wrong_unit",
                [
                    ("expected", symbol(*expected)),
                    ("field", field),
                    ("found", Arg::verbatim(found)),
                    ("text", Arg::verbatim(text)),
                ],
            ),
            Problem::NotAnInteger { text, min, max } => Say::new(
                "entry.not_an_integer_in",
                [
                    // An example the field takes: 16 (a common S number) where the range has it.
                    ("example", Arg::int(16.min(*max).max(*min))),
                    ("field", field),
                    ("range", range(*min as f64, *max as f64, None)),
                    ("text", Arg::verbatim(text)),
                ],
            ),
            Problem::OutOfRange {
                value,
                min,
                max,
                unit,
            } => Say::new(
                "entry.out_of_range",
                [
                    ("field", field),
                    ("range", range(*min, *max, *unit)),
                    ("value", amount(*value, *unit)),
                ],
            ),
            Problem::UnknownOption { text, options } => Say::new(
                "entry.unknown_option",
                [
                    ("field", field),
                    ("options", Arg::verbatim(options.join(", "))),
                    ("text", Arg::verbatim(text)),
                ],
            ),
        }
    }
}

/// The range a field accepts, as the form's help line and a refusal write it (`1–32`,
/// `0–5 V`, `-20 °C to 60 °C`); none for a choice or text.
pub fn accepted(kind: &FieldKind) -> Option<Arg> {
    match kind {
        FieldKind::Number { unit, min, max } => Some(range(*min, *max, Some(*unit))),
        FieldKind::Integer { min, max } => Some(range(*min as f64, *max as f64, None)),
        FieldKind::Choice { .. } | FieldKind::Text => None,
    }
}

/// A typed quantity refused (a ladder reading, a meter entry): `what` names the entry (a
/// sentence part such as `entry.cell`), `unit` is what may follow the number.
pub fn quantity_refused(what: Arg, unit: Unit, e: &ParseError) -> Say {
    match e {
        ParseError::Empty => Say::new(
            "entry.empty_number",
            [("field", what), ("unit", symbol(unit))],
        ),
        ParseError::NotANumber { text, .. } => Say::new(
            "entry.not_a_number",
            [
                ("field", what),
                ("text", Arg::verbatim(text)),
                ("unit", symbol(unit)),
            ],
        ),
        ParseError::WrongUnit { text, found, .. } => Say::new(
            "entry.wrong_unit",
            [
                ("expected", symbol(unit)),
                ("field", what),
                ("found", Arg::verbatim(found)),
                ("text", Arg::verbatim(text)),
            ],
        ),
    }
}

/// The unit's symbol as a value (the same in every language).
fn symbol(unit: Unit) -> Arg {
    Arg::verbatim(unit.symbol())
}

/// Digits after the separator a person would write for `v`: none of the trailing zeros, at
/// most three.
fn decimals(v: f64) -> u8 {
    let s = fmt_num(v);
    s.split_once('.').map_or(0, |(_, d)| d.len() as u8)
}

/// A value with its unit (a whole number without one), written the language's way.
fn amount(v: f64, unit: Option<Unit>) -> Arg {
    match unit {
        Some(u) => Arg::quantity(v, u, decimals(v)),
        None => Arg::int(v.round() as i64),
    }
}

/// "1–2000 Ah"; "-20 °C to 60 °C" in words when a dash would read as a minus sign.
fn range(min: f64, max: f64, unit: Option<Unit>) -> Arg {
    // A range's max is never below its min (the loader refuses that), so a negative max
    // always comes with a negative min.
    if min < 0.0 {
        return Arg::say(Say::new(
            "entry.range_to",
            [("max", amount(max, unit)), ("min", amount(min, unit))],
        ));
    }
    match unit {
        Some(u) => Arg::Range {
            min,
            max,
            unit: u,
            decimals: decimals(min).max(decimals(max)),
        },
        None => Arg::say(Say::new(
            "entry.range",
            [("max", amount(max, None)), ("min", amount(min, None))],
        )),
    }
}

/// Parse and range-check what the operator typed into a field.
///
/// Numbers accept a comma or a dot and the field's unit after them (`3,65`, `3.65 V`); choices
/// match an option id (or its label in any language) without regard to case; text must not be
/// blank. Every refusal names the field and what is accepted.
pub fn parse_field(field: &FieldSpec, text: &str) -> Result<Value, FieldError> {
    let refuse = |problem| FieldError {
        field: field.id.clone(),
        label: field.label.clone(),
        problem,
    };
    let trimmed = text.trim();
    match &field.kind {
        FieldKind::Number { unit, min, max } => {
            let value = parse_number(trimmed, *unit, *min, *max).map_err(refuse)?;
            if !reaches(value, *min) || !within(value, *max) {
                return Err(refuse(Problem::OutOfRange {
                    value,
                    min: *min,
                    max: *max,
                    unit: Some(*unit),
                }));
            }
            Ok(Value::Number(value))
        }
        FieldKind::Integer { min, max } => {
            if trimmed.is_empty() {
                return Err(refuse(Problem::Empty(Hint::Integer {
                    min: *min,
                    max: *max,
                })));
            }
            // i64's parser takes ASCII digits after one optional sign and nothing else.
            let Ok(value) = trimmed.parse::<i64>() else {
                return Err(refuse(Problem::NotAnInteger {
                    text: trimmed.to_string(),
                    min: *min,
                    max: *max,
                }));
            };
            if value < *min || value > *max {
                return Err(refuse(Problem::OutOfRange {
                    value: value as f64,
                    min: *min as f64,
                    max: *max as f64,
                    unit: None,
                }));
            }
            Ok(Value::Integer(value))
        }
        FieldKind::Choice { options } => {
            let ids: Vec<String> = options.iter().map(|o| o.id.clone()).collect();
            if trimmed.is_empty() {
                return Err(refuse(Problem::Empty(Hint::Choice(ids))));
            }
            let by_id = options.iter().find(|o| o.id.eq_ignore_ascii_case(trimmed));
            // A label typed in full is as clear as the id; accept it in any language.
            let by_label = || {
                options.iter().find(|o| {
                    o.text
                        .values()
                        .any(|label| label.trim().to_lowercase() == trimmed.to_lowercase())
                })
            };
            match by_id.or_else(by_label) {
                Some(option) => Ok(Value::Choice(option.id.clone())),
                None => Err(refuse(Problem::UnknownOption {
                    text: trimmed.to_string(),
                    options: ids,
                })),
            }
        }
        FieldKind::Text => {
            if trimmed.is_empty() {
                return Err(refuse(Problem::Empty(Hint::Text)));
            }
            Ok(Value::Text(trimmed.to_string()))
        }
    }
}

/// A decimal in `unit` (the field accepting `min`–`max`); for °C a bare `C` after the number is
/// accepted too.
fn parse_number(text: &str, unit: Unit, min: f64, max: f64) -> Result<f64, Problem> {
    let symbol = unit.symbol();
    let result = match parse_quantity(text, symbol) {
        Err(ParseError::WrongUnit { found, .. })
            if unit == Unit::Celsius && found.eq_ignore_ascii_case("c") =>
        {
            parse_quantity(text.trim().trim_end_matches(['c', 'C']), "")
        }
        other => other,
    };
    // The refusal names the field's unit, whichever form was tried last.
    result.map_err(|e| match e {
        ParseError::Empty => Problem::Empty(Hint::Number { unit, min, max }),
        ParseError::NotANumber { .. } => Problem::NotANumber {
            text: text.trim().to_string(),
            unit,
            min,
            max,
        },
        ParseError::WrongUnit { found, .. } => Problem::WrongUnit {
            text: text.trim().to_string(),
            found,
            expected: unit,
        },
    })
}

/// A number as a person would write it: no trailing zeros, at most three decimals.
pub(crate) fn fmt_num(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::wizard::spec::{tr, ChoiceSpec};
    use crate::wizard::words::render_arg;

    /// A field labelled in English and Polish, as the form shows it.
    fn field(id: &str, en: &str, pl: &str, kind: FieldKind) -> FieldSpec {
        FieldSpec {
            id: id.into(),
            label: BTreeMap::from([("en".into(), en.into()), ("pl".into(), pl.into())]),
            kind,
            optional: false,
            help: None,
        }
    }

    fn capacity() -> FieldSpec {
        field(
            "capacity",
            "Capacity",
            "Pojemność",
            FieldKind::Number {
                unit: Unit::Ah,
                min: 1.0,
                max: 2000.0,
            },
        )
    }

    fn voltage() -> FieldSpec {
        field(
            "pack_voltage",
            "Pack voltage",
            "Napięcie pakietu",
            FieldKind::Number {
                unit: Unit::V,
                min: 0.0,
                max: 150.0,
            },
        )
    }

    #[test]
    fn numbers_accept_dot_comma_and_the_unit() {
        for typed in ["3.65", "3,65", " 3.65 V", "3,65v"] {
            assert_eq!(
                parse_field(&voltage(), typed),
                Ok(Value::Number(3.65)),
                "{typed}"
            );
        }
        assert_eq!(parse_field(&capacity(), "280 Ah"), Ok(Value::Number(280.0)));
    }

    #[test]
    fn numbers_refuse_other_forms_naming_the_accepted_one() {
        // Named by its label, with the range it takes and the form a number is typed in.
        let err = parse_field(&voltage(), "3.6.5").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Pack voltage: '3.6.5' is not a number (accepted: 0–150 V): type digits with one \
             '.' or ',' such as 3.65 or 3,65"
        );
        assert_eq!(
            parse_field(&capacity(), "abc").unwrap_err().to_string(),
            "Capacity: 'abc' is not a number (accepted: 1–2000 Ah): type digits with one '.' or \
             ',' such as 3.65 or 3,65"
        );
        let err = parse_field(&voltage(), "3.65 A").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Pack voltage: '3.65 A' has the unit 'A', expected V"
        );
        let err = parse_field(&voltage(), "").unwrap_err();
        assert_eq!(
            err.problem,
            Problem::Empty(Hint::Number {
                unit: Unit::V,
                min: 0.0,
                max: 150.0
            })
        );
        assert_eq!(err.field(), "pack_voltage");
        assert_eq!(
            err.to_string(),
            "Pack voltage: nothing entered (accepted: 0–150 V): type a number such as 3.65 or 3,65"
        );
    }

    #[test]
    fn numbers_outside_the_range_name_field_and_range() {
        let err = parse_field(&capacity(), "0").unwrap_err();
        assert_eq!(err.to_string(), "Capacity: 0 Ah is outside 1–2000 Ah");
        let err = parse_field(&capacity(), "2000,5").unwrap_err();
        assert_eq!(err.to_string(), "Capacity: 2000.5 Ah is outside 1–2000 Ah");
        assert_eq!(parse_field(&capacity(), "2000"), Ok(Value::Number(2000.0)));
    }

    #[test]
    fn celsius_accepts_degree_sign_or_bare_c_and_negative_ranges_read_clearly() {
        let utp = field(
            "utp",
            "Lowest charge temperature",
            "Najniższa temperatura ładowania",
            FieldKind::Number {
                unit: Unit::Celsius,
                min: -20.0,
                max: 60.0,
            },
        );
        assert_eq!(parse_field(&utp, "2 °C"), Ok(Value::Number(2.0)));
        assert_eq!(parse_field(&utp, "1,5 C"), Ok(Value::Number(1.5)));
        assert_eq!(parse_field(&utp, "-5"), Ok(Value::Number(-5.0)));
        let err = parse_field(&utp, "-25").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Lowest charge temperature: -25 °C is outside -20 °C to 60 °C"
        );
        let err = parse_field(&utp, "cold").unwrap_err().to_string();
        assert!(err.contains("(accepted: -20 °C to 60 °C)"), "{err}");
    }

    #[test]
    fn integers_take_whole_numbers_in_range() {
        let cells = field(
            "cells",
            "Cells in series",
            "Ogniwa szeregowo",
            FieldKind::Integer { min: 1, max: 32 },
        );
        assert_eq!(parse_field(&cells, " 16 "), Ok(Value::Integer(16)));
        let err = parse_field(&cells, "16.5").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Cells in series: '16.5' is not a whole number (accepted: 1–32): type digits only, \
             such as 16"
        );
        assert_eq!(
            parse_field(&cells, "16,5").unwrap_err().to_string(),
            "Cells in series: '16,5' is not a whole number (accepted: 1–32): type digits only, \
             such as 16"
        );
        assert!(parse_field(&cells, "sixteen").is_err());
        assert_eq!(
            parse_field(&cells, "0").unwrap_err().to_string(),
            "Cells in series: 0 is outside 1–32"
        );
        assert_eq!(
            parse_field(&cells, "33").unwrap_err().to_string(),
            "Cells in series: 33 is outside 1–32"
        );
        assert_eq!(
            parse_field(&cells, "").unwrap_err().to_string(),
            "Cells in series: nothing entered: type a whole number from 1 to 32"
        );
        // Both ends are inside.
        assert_eq!(parse_field(&cells, "1"), Ok(Value::Integer(1)));
        assert_eq!(parse_field(&cells, "32"), Ok(Value::Integer(32)));
        assert_eq!(parse_field(&cells, "+16"), Ok(Value::Integer(16)));
        assert!(parse_field(&cells, "+").is_err() && parse_field(&cells, "1_6").is_err());
    }

    #[test]
    fn a_bare_c_is_a_unit_only_for_degrees_and_a_range_from_zero_keeps_its_dash() {
        let volts = field(
            "ovp",
            "Cell OVP",
            "Cell OVP",
            FieldKind::Number {
                unit: Unit::V,
                min: 0.0,
                max: 5.0,
            },
        );
        // "3.65 C" typed for a voltage is the slip: refused, never read as 3.65 V.
        let err = parse_field(&volts, "3,65 C").unwrap_err().to_string();
        assert!(err.contains("'C'"), "{err}");
        assert!(parse_field(&volts, "3.65 c").is_err());
        assert_eq!(parse_field(&volts, "3,65 V"), Ok(Value::Number(3.65)));
        // From zero up the range reads with a dash, as no minus sign can be mistaken.
        let err = parse_field(&volts, "6").unwrap_err().to_string();
        assert!(err.ends_with("is outside 0–5 V"), "{err}");
    }

    #[test]
    fn choices_match_ids_case_insensitively_and_list_the_options() {
        let opt = |id: &str, label: &str| ChoiceSpec {
            id: id.into(),
            text: BTreeMap::from([("en".into(), label.into())]),
        };
        let chem = field(
            "chemistry",
            "Battery type",
            "Typ akumulatora",
            FieldKind::Choice {
                options: vec![
                    opt("li-ion", "Li-ion (NMC)"),
                    opt("lifepo4", "LiFePO4"),
                    opt("lto", "LTO"),
                ],
            },
        );
        assert_eq!(
            parse_field(&chem, "LiFePO4"),
            Ok(Value::Choice("lifepo4".into()))
        );
        assert_eq!(parse_field(&chem, " LTO "), Ok(Value::Choice("lto".into())));
        assert_eq!(
            parse_field(&chem, "li-ion (nmc)"),
            Ok(Value::Choice("li-ion".into()))
        );
        let err = parse_field(&chem, "lead-acid").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Battery type: 'lead-acid' is not one of the options: li-ion, lifepo4, lto"
        );
    }

    #[test]
    fn text_must_not_be_blank() {
        let pack = field("pack_id", "Pack id", "Nr pakietu", FieldKind::Text);
        assert_eq!(
            parse_field(&pack, " P-0042 "),
            Ok(Value::Text("P-0042".into()))
        );
        let err = parse_field(&pack, "   ").unwrap_err();
        assert_eq!(err.to_string(), "Pack id: nothing entered: type a value");
    }

    /// Every refusal, in every language but English: no sentence left in English, the values
    /// filled in, and decimals written the language's way.
    #[test]
    fn refusals_are_worded_in_every_language_with_their_values() {
        let spec = crate::wizard::words::builtin();
        let cells = field(
            "cells",
            "Cells in series",
            "Ogniwa szeregowo",
            FieldKind::Integer { min: 8, max: 24 },
        );
        let utp = field(
            "utp",
            "Lowest charge temperature",
            "Najniższa temperatura ładowania",
            FieldKind::Number {
                unit: Unit::Celsius,
                min: -20.0,
                max: 60.0,
            },
        );
        let refusals = [
            parse_field(&voltage(), "").unwrap_err(),
            parse_field(&voltage(), "3.6.5").unwrap_err(),
            parse_field(&voltage(), "3,65 A").unwrap_err(),
            parse_field(&capacity(), "2000,5").unwrap_err(),
            parse_field(&cells, "").unwrap_err(),
            parse_field(&cells, "16.5").unwrap_err(),
            parse_field(&cells, "25").unwrap_err(),
            parse_field(&utp, "-25").unwrap_err(),
            parse_field(
                &field("pack_id", "Pack id", "Nr pakietu", FieldKind::Text),
                " ",
            )
            .unwrap_err(),
        ];
        for lang in spec.languages.iter().filter(|l| *l != "en") {
            for e in &refusals {
                let english = e.to_string();
                let text = e.say().render(spec, lang);
                assert_ne!(text, english, "{lang}: still English");
                assert!(!text.contains('{'), "{lang}: {text}");
                let label = tr(&e.label, lang);
                assert!(text.starts_with(&format!("{label}: ")), "{lang}: {text}");
            }
            let out = refusals[3].say().render(spec, lang);
            assert!(
                out.contains("2000,5 Ah") && out.contains("1–2000 Ah"),
                "{lang}: {out}"
            );
            let out = refusals[6].say().render(spec, lang);
            assert!(out.contains("25") && out.contains("8–24"), "{lang}: {out}");
            let out = refusals[7].say().render(spec, lang);
            assert!(
                out.contains("-20 °C") && out.contains("60 °C"),
                "{lang}: {out}"
            );
            let out = refusals[1].say().render(spec, lang);
            assert!(out.contains("3.6.5"), "the text as typed: {out}");
            assert!(out.contains("0–150 V"), "{lang}: the range: {out}");
            let out = refusals[5].say().render(spec, lang);
            assert!(
                out.contains("„16.5”") || out.contains("„16.5“"),
                "{lang}: {out}"
            );
            // The example ends every wording; "16" in the typed "16.5" cannot stand in for it.
            assert!(
                out.contains("8–24") && out.ends_with(" 16"),
                "{lang}: {out}"
            );
        }
        assert_eq!(
            refusals[5].say().render(spec, "pl"),
            "Ogniwa szeregowo: „16.5” nie jest liczbą całkowitą (dopuszczalne: 8–24): wpisz \
             same cyfry, np. 16"
        );
        // English keeps the dot; Polish writes the comma.
        assert!(refusals[3].to_string().contains("2000.5 Ah"));
        assert_eq!(
            refusals[6].say().render(spec, "pl"),
            "Ogniwa szeregowo: 25 jest poza zakresem 8–24"
        );
        assert_eq!(
            refusals[3].say().render(spec, "de"),
            "Capacity: 2000,5 Ah liegt außerhalb von 1–2000 Ah"
        );
    }

    #[test]
    fn the_example_of_a_whole_number_is_one_the_field_takes() {
        let spec = crate::wizard::words::builtin();
        let example = |min, max| {
            let f = field("n", "Count", "Liczba", FieldKind::Integer { min, max });
            parse_field(&f, "x").unwrap_err().say().render(spec, "en")
        };
        assert!(example(1, 32).ends_with("such as 16"), "{}", example(1, 32));
        assert!(example(16, 16).ends_with("such as 16"));
        assert!(example(1, 8).ends_with("such as 8"), "{}", example(1, 8));
        assert!(
            example(17, 24).ends_with("such as 17"),
            "{}",
            example(17, 24)
        );
    }

    #[test]
    fn the_accepted_range_is_written_the_languages_way() {
        let spec = crate::wizard::words::builtin();
        let ovp = FieldKind::Number {
            unit: Unit::V,
            min: 2.5,
            max: 3.65,
        };
        let say = |kind: &FieldKind, lang| render_arg(spec, lang, &accepted(kind).unwrap());
        assert_eq!(say(&ovp, "en"), "2.50–3.65 V");
        assert_eq!(say(&ovp, "pl"), "2,50–3,65 V");
        let utp = FieldKind::Number {
            unit: Unit::Celsius,
            min: -20.0,
            max: 60.0,
        };
        assert_eq!(say(&utp, "de"), "-20 °C bis 60 °C");
        assert_eq!(say(&FieldKind::Integer { min: 1, max: 32 }, "hu"), "1–32");
        assert_eq!(accepted(&FieldKind::Text), None);
        // The refusal names the same range as the help line.
        let f = field("ovp", "Cell OVP", "Cell OVP", ovp.clone());
        let refusal = parse_field(&f, "3.6.5")
            .unwrap_err()
            .say()
            .render(spec, "pl");
        assert!(refusal.contains("(dopuszczalne: 2,50–3,65 V)"), "{refusal}");
    }

    #[test]
    fn a_label_from_a_wizard_file_reaches_the_screen_cleaned() {
        let f = field(
            "cells",
            "Cells\x1b[2J\nin series",
            "Ogniwa",
            FieldKind::Integer { min: 1, max: 32 },
        );
        let text = parse_field(&f, "x")
            .unwrap_err()
            .say()
            .render(crate::wizard::words::builtin(), "en");
        assert!(!text.contains('\x1b') && !text.contains('\n'), "{text:?}");
    }

    #[test]
    fn what_was_typed_is_shown_on_one_line_with_controls_visible() {
        let err = parse_field(&voltage(), "3\n✓ ok\x1b[2J").unwrap_err();
        for lang in ["en", "pl", "hu"] {
            let text = err.say().render(crate::wizard::words::builtin(), lang);
            assert!(!text.contains('\n') && !text.contains('\x1b'), "{text}");
            assert!(text.contains("✓ ok"), "{text}");
        }
    }

    #[test]
    fn a_ladder_reading_refused_names_the_cell_in_the_language() {
        let say = quantity_refused(
            Arg::say(Say::new("entry.cell", [("cell", Arg::int(3))])),
            Unit::V,
            &crate::units::Volts::parse("3,2 A").unwrap_err(),
        );
        let spec = crate::wizard::words::builtin();
        assert_eq!(
            say.render(spec, "en"),
            "cell 3: '3,2 A' has the unit 'A', expected V"
        );
        assert!(say.render(spec, "pl").starts_with("ogniwo 3: „3,2 A”"));
    }
}

//! What the operator types into a form field: parsed, range-checked, or refused with the field
//! named and the accepted form or range spelled out.

use crate::units::{parse_quantity, ParseError};
use crate::wizard::spec::{tr, FieldKind, FieldSpec, Unit};

use super::Value;

/// Why a typed entry was refused: the field and the accepted range or form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// Nothing was typed into a field that needs a value.
    #[error("{field}: nothing entered: {hint}")]
    Empty {
        /// The field id.
        field: String,
        /// What to type, e.g. "type a number such as 3.65 or 3,65".
        hint: String,
    },
    /// A number field got something that is not a decimal.
    #[error("{field}: '{text}' is not a number: type digits with one '.' or ',' such as 3.65 or 3,65{unit_hint}")]
    NotANumber {
        /// The field id.
        field: String,
        /// What was typed.
        text: String,
        /// ", optionally followed by V" and the like.
        unit_hint: String,
    },
    /// A number carried a unit that does not belong to the field.
    #[error("{field}: '{text}' has the unit '{found}', expected {expected}")]
    WrongUnit {
        /// The field id.
        field: String,
        /// What was typed.
        text: String,
        /// The unit found.
        found: String,
        /// The field's unit.
        expected: String,
    },
    /// An integer field got something that is not a whole number.
    #[error("{field}: '{text}' is not a whole number: type digits only, such as 16")]
    NotAnInteger {
        /// The field id.
        field: String,
        /// What was typed.
        text: String,
    },
    /// A number outside the field's range.
    #[error("{field}: {value} is outside {range}")]
    OutOfRange {
        /// The field id.
        field: String,
        /// The value with its unit, e.g. "0 Ah".
        value: String,
        /// The accepted range with its unit, e.g. "1–2000 Ah".
        range: String,
    },
    /// A choice that is none of the options.
    #[error("{field}: '{text}' is not one of the options: {options}")]
    UnknownOption {
        /// The field id.
        field: String,
        /// What was typed.
        text: String,
        /// The option ids, comma separated.
        options: String,
    },
}

impl FieldError {
    /// The id of the field the entry was typed into.
    pub fn field(&self) -> &str {
        match self {
            FieldError::Empty { field, .. }
            | FieldError::NotANumber { field, .. }
            | FieldError::WrongUnit { field, .. }
            | FieldError::NotAnInteger { field, .. }
            | FieldError::OutOfRange { field, .. }
            | FieldError::UnknownOption { field, .. } => field,
        }
    }
}

/// Parse and range-check what the operator typed into a field.
///
/// Numbers accept a comma or a dot and the field's unit after them (`3,65`, `3.65 V`); choices
/// match an option id (or its label in any language) without regard to case; text must not be
/// blank. Every refusal names the field and what is accepted.
pub fn parse_field(field: &FieldSpec, text: &str) -> Result<Value, FieldError> {
    let id = field.id.clone();
    let trimmed = text.trim();
    match &field.kind {
        FieldKind::Number { unit, min, max } => {
            let value = parse_number(&id, trimmed, *unit)?;
            if value < *min || value > *max {
                return Err(FieldError::OutOfRange {
                    field: id,
                    value: with_unit(&fmt_num(value), unit.symbol()),
                    range: range_text(*min, *max, unit.symbol()),
                });
            }
            Ok(Value::Number(value))
        }
        FieldKind::Integer { min, max } => {
            if trimmed.is_empty() {
                return Err(FieldError::Empty {
                    field: id,
                    hint: format!("type a whole number from {min} to {max}"),
                });
            }
            let digits = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
            let value = if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
                trimmed.parse::<i64>().ok()
            } else {
                None
            };
            let Some(value) = value else {
                return Err(FieldError::NotAnInteger {
                    field: id,
                    text: trimmed.to_string(),
                });
            };
            if value < *min || value > *max {
                return Err(FieldError::OutOfRange {
                    field: id,
                    value: value.to_string(),
                    range: range_text(*min as f64, *max as f64, ""),
                });
            }
            Ok(Value::Integer(value))
        }
        FieldKind::Choice { options } => {
            let ids = options
                .iter()
                .map(|o| o.id.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            if trimmed.is_empty() {
                return Err(FieldError::Empty {
                    field: id,
                    hint: format!("choose one of {ids}"),
                });
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
                None => Err(FieldError::UnknownOption {
                    field: id,
                    text: trimmed.to_string(),
                    options: ids,
                }),
            }
        }
        FieldKind::Text => {
            if trimmed.is_empty() {
                return Err(FieldError::Empty {
                    field: id,
                    hint: format!("type the {}", tr(&field.label, "en").to_lowercase()),
                });
            }
            Ok(Value::Text(trimmed.to_string()))
        }
    }
}

/// A decimal in `unit`; for °C a bare `C` after the number is accepted too.
fn parse_number(field: &str, text: &str, unit: Unit) -> Result<f64, FieldError> {
    let symbol = unit.symbol();
    let result = match parse_quantity(text, symbol) {
        Err(ParseError::WrongUnit { found, .. })
            if unit == Unit::Celsius && found.eq_ignore_ascii_case("c") =>
        {
            parse_quantity(text.trim().trim_end_matches(['c', 'C']), "")
        }
        other => other,
    };
    result.map_err(|e| match e {
        ParseError::Empty => FieldError::Empty {
            field: field.to_string(),
            hint: format!("type a number such as 3.65 or 3,65, optionally followed by {symbol}"),
        },
        ParseError::NotANumber { text, .. } => FieldError::NotANumber {
            field: field.to_string(),
            text,
            unit_hint: format!(", optionally followed by {symbol}"),
        },
        ParseError::WrongUnit { text, found, .. } => FieldError::WrongUnit {
            field: field.to_string(),
            text,
            found,
            expected: symbol.to_string(),
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

fn with_unit(number: &str, unit: &str) -> String {
    if unit.is_empty() {
        number.to_string()
    } else {
        format!("{number} {unit}")
    }
}

/// "1–2000 Ah", or "-20 to 60 °C" when a dash would read as a minus sign.
fn range_text(min: f64, max: f64, unit: &str) -> String {
    let sep = if min < 0.0 || max < 0.0 {
        " to "
    } else {
        "–"
    };
    with_unit(&format!("{}{sep}{}", fmt_num(min), fmt_num(max)), unit)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::wizard::spec::ChoiceSpec;

    fn field(id: &str, kind: FieldKind) -> FieldSpec {
        FieldSpec {
            id: id.into(),
            label: BTreeMap::from([("en".into(), "Pack id".into())]),
            kind,
            optional: false,
            help: None,
        }
    }

    fn capacity() -> FieldSpec {
        field(
            "capacity",
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
        let err = parse_field(&voltage(), "3.6.5").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("pack_voltage: '3.6.5' is not a number"),
            "{err}"
        );
        assert!(
            err.to_string().contains("3,65, optionally followed by V"),
            "{err}"
        );
        let err = parse_field(&voltage(), "3.65 A").unwrap_err();
        assert_eq!(
            err.to_string(),
            "pack_voltage: '3.65 A' has the unit 'A', expected V"
        );
        let err = parse_field(&voltage(), "").unwrap_err();
        assert!(matches!(err, FieldError::Empty { .. }), "{err}");
        assert_eq!(err.field(), "pack_voltage");
    }

    #[test]
    fn numbers_outside_the_range_name_field_and_range() {
        let err = parse_field(&capacity(), "0").unwrap_err();
        assert_eq!(err.to_string(), "capacity: 0 Ah is outside 1–2000 Ah");
        let err = parse_field(&capacity(), "2000,5").unwrap_err();
        assert_eq!(err.to_string(), "capacity: 2000.5 Ah is outside 1–2000 Ah");
        assert_eq!(parse_field(&capacity(), "2000"), Ok(Value::Number(2000.0)));
    }

    #[test]
    fn celsius_accepts_degree_sign_or_bare_c_and_negative_ranges_read_clearly() {
        let utp = field(
            "utp",
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
        assert_eq!(err.to_string(), "utp: -25 °C is outside -20 to 60 °C");
    }

    #[test]
    fn integers_take_whole_numbers_in_range() {
        let cells = field("cells", FieldKind::Integer { min: 1, max: 32 });
        assert_eq!(parse_field(&cells, " 16 "), Ok(Value::Integer(16)));
        let err = parse_field(&cells, "16.5").unwrap_err();
        assert_eq!(
            err.to_string(),
            "cells: '16.5' is not a whole number: type digits only, such as 16"
        );
        assert!(parse_field(&cells, "sixteen").is_err());
        assert_eq!(
            parse_field(&cells, "0").unwrap_err().to_string(),
            "cells: 0 is outside 1–32"
        );
        assert_eq!(
            parse_field(&cells, "33").unwrap_err().to_string(),
            "cells: 33 is outside 1–32"
        );
    }

    #[test]
    fn choices_match_ids_case_insensitively_and_list_the_options() {
        let opt = |id: &str, label: &str| ChoiceSpec {
            id: id.into(),
            text: BTreeMap::from([("en".into(), label.into())]),
        };
        let chem = field(
            "chemistry",
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
            "chemistry: 'lead-acid' is not one of the options: li-ion, lifepo4, lto"
        );
    }

    #[test]
    fn text_must_not_be_blank() {
        let pack = field("pack_id", FieldKind::Text);
        assert_eq!(
            parse_field(&pack, " P-0042 "),
            Ok(Value::Text("P-0042".into()))
        );
        let err = parse_field(&pack, "   ").unwrap_err();
        assert_eq!(
            err.to_string(),
            "pack_id: nothing entered: type the pack id"
        );
    }
}

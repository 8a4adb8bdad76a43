//! Physical quantities as types, and the one parser for what operators type.
//!
//! Every number that crosses the program carries its unit in its type, so a cell voltage can
//! never be compared with a current by mistake. Operators type decimals with a comma as often as
//! with a dot, so [`parse_quantity`] accepts both.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A unit a quantity is typed or shown in: the wizard's fields name it, reasons carry it.
///
/// Written lower-case in journals and logs (`v`, `c`); the wizard file may write the symbol
/// as typed (`V`, `Ah`, `°C`, `C`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Volts.
    #[serde(alias = "V")]
    V,
    /// Amperes.
    #[serde(alias = "A")]
    A,
    /// Ampere-hours.
    #[serde(alias = "Ah")]
    Ah,
    /// Degrees Celsius.
    #[serde(rename = "c", alias = "C", alias = "°C")]
    Celsius,
    /// Seconds.
    S,
}

impl Unit {
    /// The symbol after the number (the same in every language).
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::V => "V",
            Unit::A => "A",
            Unit::Ah => "Ah",
            Unit::Celsius => "°C",
            Unit::S => "s",
        }
    }
}

/// Why a typed quantity was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Nothing was typed.
    #[error("nothing entered: type a number such as 3.65 or 3,65")]
    Empty,
    /// The text is not a decimal number in an accepted form.
    #[error(
        "'{text}' is not a number: type digits with one '.' or ',' such as 3.65 or 3,65{}",
        optional_unit(unit)
    )]
    NotANumber {
        /// What was typed.
        text: String,
        /// The unit that may follow the number (empty: none).
        unit: &'static str,
    },
    /// A unit was typed that does not belong to this quantity.
    #[error("'{text}' has the unit '{found}', expected {expected}")]
    WrongUnit {
        /// What was typed.
        text: String,
        /// The unit that was found.
        found: String,
        /// The unit expected here.
        expected: &'static str,
    },
}

/// ", optionally followed by V" (the English words' tail; the wizard's words say it per language).
fn optional_unit(unit: &str) -> String {
    if unit.is_empty() {
        String::new()
    } else {
        format!(", optionally followed by {unit}")
    }
}

/// Parse a decimal typed by a person: `3.65`, `3,65`, ` 3.65 V`, `-0.7`.
///
/// `unit` is the symbol that may follow the number (case-insensitive, e.g. `"V"`); any other
/// trailing letters are refused with the accepted form named. Thousands separators are not
/// accepted: `1,234.5` is ambiguous at a workbench and is refused rather than guessed.
pub fn parse_quantity(text: &str, unit: &'static str) -> Result<f64, ParseError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(ParseError::Empty);
    }
    let split = trimmed
        .find(|c: char| c.is_alphabetic() || c == '°')
        .unwrap_or(trimmed.len());
    let (number, suffix) = trimmed.split_at(split);
    let suffix = suffix.trim();
    // Letters with no number before them ("abc") are not a number, not a unit.
    if number.trim().is_empty() {
        return Err(ParseError::NotANumber {
            text: trimmed.to_string(),
            unit,
        });
    }
    if !suffix.is_empty() && !suffix.eq_ignore_ascii_case(unit) {
        return Err(ParseError::WrongUnit {
            text: trimmed.to_string(),
            found: suffix.to_string(),
            expected: if unit.is_empty() { "no unit" } else { unit },
        });
    }
    let number = number.trim();
    let not_a_number = || ParseError::NotANumber {
        text: trimmed.to_string(),
        unit,
    };
    let separators = number.chars().filter(|c| *c == '.' || *c == ',').count();
    let digits = number.trim_start_matches(['-', '+']);
    if separators > 1
        || digits.is_empty()
        || !digits
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        || !digits.chars().any(|c| c.is_ascii_digit())
        || number.len() - digits.len() > 1
    {
        return Err(not_a_number());
    }
    let value: f64 = number
        .replace(',', ".")
        .parse()
        .map_err(|_| not_a_number())?;
    if !value.is_finite() {
        return Err(not_a_number());
    }
    Ok(value)
}

macro_rules! quantity {
    ($(#[$doc:meta])* $name:ident, $unit:literal, $decimals:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub f64);

        impl $name {
            /// The unit symbol shown after the number.
            pub const UNIT: &'static str = $unit;

            /// The bare number.
            pub fn value(self) -> f64 {
                self.0
            }

            /// Parse what an operator typed (`3,65`, `3.65`, `3.65 V`).
            pub fn parse(text: &str) -> Result<Self, ParseError> {
                parse_quantity(text, $unit).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match f.precision() {
                    Some(p) => write!(f, "{:.*} {}", p, self.0, $unit),
                    None => write!(f, "{:.*} {}", $decimals, self.0, $unit),
                }
            }
        }

        impl std::ops::Sub for $name {
            type Output = $name;
            fn sub(self, rhs: Self) -> Self {
                Self(self.0 - rhs.0)
            }
        }

        impl std::ops::Add for $name {
            type Output = $name;
            fn add(self, rhs: Self) -> Self {
                Self(self.0 + rhs.0)
            }
        }
    };
}

quantity!(
    /// An electric potential in volts.
    Volts, "V", 3
);
quantity!(
    /// A current in amperes; positive means charging.
    Amps, "A", 3
);
quantity!(
    /// A temperature in degrees Celsius.
    Celsius, "°C", 1
);
quantity!(
    /// A charge in ampere-hours.
    AmpHours, "Ah", 1
);
quantity!(
    /// A resistance in ohms.
    Ohms, "Ω", 3
);

impl Volts {
    /// From the BMS's integer millivolts.
    pub fn from_millivolts(mv: i64) -> Self {
        Self(mv as f64 / 1000.0)
    }

    /// To integer millivolts, rounded.
    pub fn millivolts(self) -> i64 {
        (self.0 * 1000.0).round() as i64
    }
}

impl Amps {
    /// From the BMS's integer milliamperes.
    pub fn from_milliamps(ma: i64) -> Self {
        Self(ma as f64 / 1000.0)
    }

    /// To integer milliamperes, rounded.
    pub fn milliamps(self) -> i64 {
        (self.0 * 1000.0).round() as i64
    }
}

impl Celsius {
    /// From the BMS's tenths of a degree.
    pub fn from_decidegrees(d: i64) -> Self {
        Self(d as f64 / 10.0)
    }

    /// To tenths of a degree, rounded.
    pub fn decidegrees(self) -> i64 {
        (self.0 * 10.0).round() as i64
    }
}

impl AmpHours {
    /// From the BMS's integer milliampere-hours.
    pub fn from_milliamp_hours(mah: i64) -> Self {
        Self(mah as f64 / 1000.0)
    }

    /// To integer milliampere-hours, rounded.
    pub fn milliamp_hours(self) -> i64 {
        (self.0 * 1000.0).round() as i64
    }
}

impl Ohms {
    /// From the BMS's integer milliohms.
    pub fn from_milliohms(mohm: i64) -> Self {
        Self(mohm as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_dot_comma_and_unit() {
        assert_eq!(Volts::parse("3.65").unwrap(), Volts(3.65));
        assert_eq!(Volts::parse("3,65").unwrap(), Volts(3.65));
        assert_eq!(Volts::parse(" 3.65 V").unwrap(), Volts(3.65));
        assert_eq!(Volts::parse("3,65v").unwrap(), Volts(3.65));
        assert_eq!(Volts::parse("52").unwrap(), Volts(52.0));
        assert_eq!(Amps::parse("-0,727 A").unwrap(), Amps(-0.727));
        assert_eq!(Volts::parse(".5").unwrap(), Volts(0.5));
    }

    #[test]
    fn refuses_everything_else_naming_the_form() {
        for bad in [
            "abc", "3.6.5", "3,6,5", "1,234.5", "--3", "3 5", "V", ".", "nan", "inf",
        ] {
            let err = Volts::parse(bad).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains("3,65") || msg.contains("unit"), "{bad}: {msg}");
        }
        assert_eq!(Volts::parse("  "), Err(ParseError::Empty));
        let wrong = Volts::parse("3.65 A").unwrap_err();
        assert!(wrong.to_string().contains("expected V"), "{wrong}");
        // Letters alone are no number, whatever unit they spell.
        for letters in ["abc", "V", "nan", "inf", "°C"] {
            assert!(
                matches!(Volts::parse(letters), Err(ParseError::NotANumber { .. })),
                "{letters}"
            );
        }
    }

    #[test]
    fn display_keeps_the_unit() {
        assert_eq!(Volts(3.2).to_string(), "3.200 V");
        assert_eq!(Celsius(20.7).to_string(), "20.7 °C");
        assert_eq!(format!("{:.2}", Volts(52.9)), "52.90 V");
    }
}

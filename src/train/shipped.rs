//! The scenarios shipped in `scenarios/`, built into the program so `train` works anywhere.

use crate::wizard::spec::WizardSpec;

use super::scenario::{Scenario, ScenarioError, ScenarioErrors};

macro_rules! shipped {
    ($($name:literal),* $(,)?) => {
        /// Every shipped scenario: its id and its text.
        pub const SCENARIOS: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("../../scenarios/", $name, ".yaml"))),)*
        ];
    };
}

shipped!["clean-lifepo4-16s", "wiring-open-tap",];

/// A shipped scenario by id, checked against `spec`.
pub fn scenario(id: &str, spec: &WizardSpec) -> Result<Scenario, ScenarioErrors> {
    let origin = format!("scenarios/{id}.yaml");
    let Some((_, text)) = SCENARIOS.iter().find(|(name, _)| *name == id) else {
        return Err(ScenarioErrors(vec![ScenarioError {
            origin,
            line: None,
            column: None,
            field: String::new(),
            message: format!(
                "no such shipped scenario (there are: {})",
                SCENARIOS
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }]));
    };
    let s = Scenario::parse(text, &origin, id, spec)?;
    if s.trainee.answers.is_some() {
        return Err(ScenarioErrors(vec![ScenarioError {
            origin,
            line: None,
            column: None,
            field: "trainee.answers".into(),
            message: "a built-in scenario cannot refer to another file".into(),
        }]));
    }
    Ok(s)
}

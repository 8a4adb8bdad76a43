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

shipped![
    "alarm-error-1-cell-under-voltage",
    "alarm-error-2-cell-over-voltage",
    "alarm-error-3-over-current",
    "alarm-error-4-mosfet-over-temperature",
    "alarm-error-5-cell-over-temperature",
    "alarm-error-6-short-circuit",
    "alarm-error-7-internal-communication",
    "alarm-error-8-balancer",
    "alarm-error-9-poor-cell-connection",
    "clean-li-ion-14s",
    "clean-lifepo4-16s",
    "clean-lifepo4-8s-24s-firmware",
    "clean-lto-12s",
    "config-balance-switch-off",
    "config-battery-type-slip-corrected",
    "config-capacity-changed-after-its-step",
    "config-capacity-unset",
    "config-cell-count",
    "config-charge-switch-off",
    "config-cold-site-utp",
    "config-emergency-on",
    "config-ovp-raised-after-its-step",
    "config-temp-sensor-disabled",
    "config-wrong-chemistry",
    "config-wrong-unit-model",
    "live-cell-drifts-low",
    "live-cell-out-of-balance",
    "live-link-drop-resumes",
    "protection-charge-cutoff-too-high",
    "protection-discharge-cutoff-too-low",
    "wiring-crossed-taps",
    "wiring-lto-24s-li-ion-set",
    "wiring-ntc-absent",
    "wiring-open-tap",
    "wiring-pack-plus-pin-open",
    "wiring-skipped-tap",
];

/// A shipped scenario by id, checked against `spec`.
pub fn scenario(id: &str, spec: &WizardSpec) -> Result<Scenario, ScenarioErrors> {
    let origin = format!("scenarios/{id}.yaml");
    let Some((_, text)) = SCENARIOS.iter().find(|(name, _)| *name == id) else {
        return Err(ScenarioErrors(vec![ScenarioError {
            origin,
            line: None,
            column: None,
            path: String::new(),
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
            path: "trainee.answers".into(),
            message: "a built-in scenario cannot refer to another file".into(),
        }]));
    }
    Ok(s)
}

//! The careful trainee of a headless check: follows the procedure to the letter on the
//! scenario's pack. They answer the pack step from the scenario, measure every reading with the
//! meter (so wiring mistakes show), configure a unit fresh from the box in the app — or only
//! check one that arrives configured — run the protection test, and sign. A scenario replaces
//! single steps (`trainee.steps`) and says what the trainee does after a refusal
//! (`trainee.after_refusal`).
//!
//! Pure: the unit's state comes in as a value; repairs go out as faults to inject, and
//! re-wirings as what to record (the bench undoes them on the unit).

use crate::bms::model::{AppAction, Switch};
use crate::bms::sim::unit::{Fault, SimUnit};
use crate::units::{AmpHours, Amps, Celsius};
use crate::wizard::answers::{AllWord, AppStep, Confirm, Scalar, SignAnswer, StepAnswers, WaitFor};
use crate::wizard::engine::{Rewire, LADDER_LAST_PIN, LADDER_PACK_VOLTAGE};
use crate::wizard::spec::{
    Check, FieldKind, FieldSpec, InputSpec, PackField, StepSpec, WizardSpec,
};

use super::meter::{measure, shown, MeterReadings};
use super::scenario::{Preset, Scenario, WiringFault};

/// The trainee's name in the record of a headless check.
pub const TRAINEE: &str = "Careful Trainee";
/// Their role.
pub const TRAINEE_ROLE: &str = "trainee";
/// The trainer named in the pack step of a headless check.
pub const TRAINER: &str = "Scenario Check";

/// One attempt at a step: what is put right first, then the answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// Faults to apply to the unit before answering (repairs of staged faults).
    pub repairs: Vec<Fault>,
    /// What is re-wired before answering: recorded as engine inputs (`Input::Rewire`), whose
    /// events undo the wiring mistakes on the unit, as in the TUI.
    pub rewired: Vec<Rewire>,
    /// The answers.
    pub answers: StepAnswers,
}

/// The careful trainee working through one scenario.
#[derive(Debug, Clone)]
pub struct Trainee<'a> {
    spec: &'a WizardSpec,
    scenario: &'a Scenario,
    wiring: Vec<WiringFault>,
}

impl<'a> Trainee<'a> {
    /// A trainee at the start of `scenario` on `spec`.
    pub fn new(spec: &'a WizardSpec, scenario: &'a Scenario) -> Self {
        Trainee {
            spec,
            scenario,
            wiring: scenario.wiring.clone(),
        }
    }

    /// The wiring mistakes still in the leads.
    pub fn wiring(&self) -> &[WiringFault] {
        &self.wiring
    }

    /// What the trainee does at `step` on attempt `attempt` (0 first, then once after a
    /// refusal when the scenario says how), with the unit as it is now. `None`: no further
    /// attempt — the run stops refused.
    pub fn attempt(&mut self, step: &StepSpec, attempt: u32, unit: &SimUnit) -> Option<Attempt> {
        match attempt {
            0 => Some(Attempt {
                repairs: Vec::new(),
                rewired: Vec::new(),
                answers: self.first(step, unit),
            }),
            1 => {
                let retry = self.scenario.trainee.after_refusal.get(&step.id)?.clone();
                let mut rewired = Vec::new();
                let mut repaired = unit.clone();
                if retry.repair.wiring {
                    // Each mistake put right by name, so the journal says what was re-wired.
                    rewired.extend(self.wiring.iter().map(WiringFault::rewire));
                    for f in self.wiring.iter().filter_map(WiringFault::repair_fault) {
                        let _ = repaired.inject(&f);
                    }
                    self.wiring.clear();
                }
                let repairs: Vec<Fault> = retry.repair.faults.iter().map(|f| f.0.clone()).collect();
                // Measured again after the repair; only the retry's own app actions are done.
                for f in &repairs {
                    let _ = repaired.inject(f);
                }
                let mut answers = self.careful(step, &repaired);
                answers.app.clear();
                overlay(&mut answers, retry.answers);
                Some(Attempt {
                    repairs,
                    rewired,
                    answers,
                })
            }
            _ => None,
        }
    }

    /// The first attempt: the scenario's answers for this step if it gives any (readings it
    /// leaves out are measured), else the careful trainee's own.
    fn first(&self, step: &StepSpec, unit: &SimUnit) -> StepAnswers {
        let given = self
            .scenario
            .trainee
            .steps
            .get(&step.id)
            .cloned()
            .or_else(|| {
                self.scenario
                    .base_answers
                    .as_ref()
                    .map(|a| a.steps.get(&step.id).cloned().unwrap_or_default())
            });
        match given {
            Some(given) => {
                let mut answers = self.measured(step, unit);
                overlay(&mut answers, given);
                answers
            }
            None => self.careful(step, unit),
        }
    }

    /// Only what the meter gives at this step.
    fn measured(&self, step: &StepSpec, unit: &SimUnit) -> StepAnswers {
        let m = measure(unit, &self.wiring);
        let mut a = StepAnswers::default();
        for f in step.input.fields() {
            if let Some(v) = meter_field(&f.id, &m) {
                a.fields.insert(f.id.clone(), v);
            }
        }
        if matches!(step.input, InputSpec::Ladder { .. }) {
            self.ladder(&mut a, &m);
        }
        a
    }

    fn ladder(&self, a: &mut StepAnswers, m: &MeterReadings) {
        a.readings = m.taps.iter().map(|v| Scalar::Text(shown(*v))).collect();
        a.fields
            .insert(LADDER_PACK_VOLTAGE.to_string(), Scalar::Text(shown(m.pack)));
        let fewer = self
            .scenario
            .model(self.spec)
            .is_some_and(|model| model.max_cells > self.scenario.pack.cells);
        if fewer {
            a.fields
                .insert(LADDER_LAST_PIN.to_string(), Scalar::Text(shown(m.last_pin)));
        }
    }

    /// The careful trainee's own answers at `step`.
    pub fn careful(&self, step: &StepSpec, unit: &SimUnit) -> StepAnswers {
        let mut a = StepAnswers::default();
        if step.optional {
            a.skip = true;
            return a;
        }
        // Items include the confirmations a unit that cannot send some data asks for: the
        // trainee reads those in the app.
        if !step.input.items().is_empty() || step.gates.iter().any(|g| g.confirm.is_some()) {
            a.confirm = Confirm::All(AllWord::All);
        }
        let m = measure(unit, &self.wiring);
        for f in step.input.fields() {
            if let Some(v) = self.field(f, &m) {
                a.fields.insert(f.id.clone(), v);
            }
        }
        match step.input {
            InputSpec::Ladder { .. } => self.ladder(&mut a, &m),
            InputSpec::SignOff { .. } => {
                a.sign = Some(SignAnswer {
                    name: TRAINEE.to_string(),
                    role: TRAINEE_ROLE.to_string(),
                })
            }
            _ => {}
        }
        a.app = self.app_actions(step, unit);
        a
    }

    fn field(&self, f: &FieldSpec, m: &MeterReadings) -> Option<Scalar> {
        let s = self.scenario;
        let text = |t: &str| Some(Scalar::Text(t.to_string()));
        if let Some(v) = meter_field(&f.id, m) {
            return Some(v);
        }
        let known = PackField::ALL.iter().find(|p| p.id() == f.id);
        match known {
            Some(PackField::Operator) => text(TRAINEE),
            Some(PackField::Role) => text(TRAINEE_ROLE),
            Some(PackField::Trainer) => text(TRAINER),
            Some(PackField::PackId) => text(&format!("TRAINING-{}", s.blind_id())),
            Some(PackField::Chemistry) => text(s.pack.chemistry.id()),
            Some(PackField::Cells) => Some(Scalar::Int(s.pack.cells as i64)),
            Some(PackField::Capacity) => text(&format!("{}", s.pack.capacity.0)),
            Some(PackField::Model) => s.model(self.spec).map(|m| Scalar::Text(m.id.clone())),
            Some(PackField::ColdSite) => text(if s.cold_site { "yes" } else { "no" }),
            None => match &f.kind {
                // Activation: the switch when there is one to pick.
                FieldKind::Choice { options } => options
                    .iter()
                    .find(|o| o.id == "switch")
                    .or(options.first())
                    .map(|o| Scalar::Text(o.id.clone())),
                FieldKind::Text if !f.optional => text("—"),
                _ => None,
            },
        }
    }

    /// What the careful trainee does in the app at this step: the configuration of a unit
    /// fresh from the box (a matched unit is only checked), and the protection test.
    fn app_actions(&self, step: &StepSpec, unit: &SimUnit) -> Vec<AppStep> {
        let s = self.scenario;
        let configures = s.bms.settings == Preset::Factory;
        let index = self.spec.steps.iter().position(|x| x.id == step.id);
        let first_with = |check: Check| {
            self.spec
                .steps
                .iter()
                .position(|x| x.gates.iter().any(|g| g.check == check))
        };
        let mut out: Vec<AppAction> = Vec::new();
        let mut test = Vec::new();
        for gate in &step.gates {
            match gate.check {
                Check::OvpMatchesChemistry
                    if configures && index == first_with(Check::OvpMatchesChemistry) =>
                {
                    out.push(AppAction::BatteryType(s.pack.chemistry))
                }
                // Each setting is made at its own step only: a careful person does not redo
                // it where it is merely checked again (sign-off), which would hide a change
                // made after its step.
                Check::CellCountSetting
                    if configures && index == first_with(Check::CellCountSetting) =>
                {
                    out.push(AppAction::CellCount(s.pack.cells))
                }
                Check::CapacitySet if configures && index == first_with(Check::CapacitySet) => {
                    out.push(AppAction::Capacity(AmpHours(s.pack.capacity.0)))
                }
                Check::ColdSite
                    if configures && s.cold_site && index == first_with(Check::ColdSite) =>
                {
                    let limits = &self.spec.limits;
                    out.push(AppAction::ChargeUtpr(Celsius(limits.cold_utpr)));
                    out.push(AppAction::ChargeUtp(Celsius(limits.cold_utp[1])));
                }
                Check::SwitchesOn if configures && index == first_with(Check::SwitchesOn) => {
                    for switch in [Switch::Charge, Switch::Discharge, Switch::Balance] {
                        out.push(AppAction::Switch { switch, on: true });
                    }
                }
                Check::ProtectionTest => {
                    // A bench charger and then a load of 0.3 C, within what the unit allows:
                    // gentle enough that the cells' sag under current stays well inside the
                    // tolerance the cut-off voltages are judged with.
                    let settings = unit.settings();
                    let gentle = 0.3 * s.pack.capacity.0;
                    let charge = (settings.max_charge_current.0 * 0.8)
                        .min(gentle)
                        .floor()
                        .max(1.0);
                    let load = (settings.max_discharge_current.0 * 0.5)
                        .min(gentle)
                        .floor()
                        .max(1.0);
                    test = vec![
                        AppStep::Do(AppAction::Current(Amps(charge))),
                        AppStep::Wait {
                            wait: WaitFor::ChargeCutoff,
                        },
                        AppStep::Do(AppAction::Current(Amps(0.0))),
                        AppStep::Do(AppAction::Current(Amps(-load))),
                        AppStep::Wait {
                            wait: WaitFor::DischargeCutoff,
                        },
                        // Back into the window: recharge until the under-voltage protection
                        // releases, so no alarm is left at sign-off.
                        AppStep::Do(AppAction::Current(Amps(charge))),
                        AppStep::Wait {
                            wait: WaitFor::DischargeRestored,
                        },
                        AppStep::Do(AppAction::Current(Amps(0.0))),
                    ];
                }
                _ => {}
            }
        }
        out.into_iter().map(AppStep::Do).chain(test).collect()
    }
}

/// A field the meter answers, by its id in wizard.yaml.
fn meter_field(id: &str, m: &MeterReadings) -> Option<Scalar> {
    let v = match id {
        "lowest_cell" => m.lowest_cell,
        "highest_cell" => m.highest_cell,
        "output_voltage" => m.output,
        LADDER_PACK_VOLTAGE => m.pack,
        LADDER_LAST_PIN => m.last_pin,
        _ => return None,
    };
    Some(Scalar::Text(shown(v)))
}

/// Put `over` on top of `base`: its entries replace the base's, its lists replace the base's
/// when given.
fn overlay(base: &mut StepAnswers, over: StepAnswers) {
    if !matches!(over.confirm, Confirm::Nothing) {
        base.confirm = over.confirm;
    }
    base.fields.extend(over.fields);
    if !over.readings.is_empty() {
        base.readings = over.readings;
    }
    if !over.app.is_empty() {
        base.app = over.app;
    }
    base.skip |= over.skip;
    if !over.overrides.is_empty() {
        base.overrides = over.overrides;
    }
    if over.sign.is_some() {
        base.sign = over.sign;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bms::model::Chemistry;

    fn scenario(extra: &str) -> Scenario {
        let text = format!(
            "description: t\npack: {{chemistry: lifepo4, cells: 16, capacity: 280}}\nexpect: pass\n{extra}"
        );
        Scenario::parse(&text, "t.yaml", "t", &WizardSpec::builtin()).unwrap()
    }

    fn step<'s>(spec: &'s WizardSpec, id: &str) -> &'s StepSpec {
        spec.steps.iter().find(|s| s.id == id).unwrap()
    }

    fn actions(a: &StepAnswers) -> Vec<AppAction> {
        a.app
            .iter()
            .filter_map(|s| match s {
                AppStep::Do(a) => Some(a.clone()),
                AppStep::Wait { .. } => None,
            })
            .collect()
    }

    #[test]
    fn the_careful_trainee_answers_from_the_pack_and_configures_a_fresh_unit() {
        let spec = WizardSpec::builtin();
        let s = scenario("");
        let unit = s.build_unit(1.0).unwrap();
        let mut t = Trainee::new(&spec, &s);
        let pack = t
            .attempt(step(&spec, "setup.pack"), 0, &unit)
            .unwrap()
            .answers;
        assert_eq!(pack.fields["chemistry"], Scalar::Text("lifepo4".into()));
        assert_eq!(pack.fields["cells"], Scalar::Int(16));
        assert_eq!(pack.fields["model"], Scalar::Text("b2a24s20p".into()));
        let ladder = t
            .attempt(step(&spec, "wiring.ladder"), 0, &unit)
            .unwrap()
            .answers;
        assert_eq!(ladder.readings.len(), 16);
        assert!(
            ladder.fields.contains_key(LADDER_LAST_PIN),
            "16 cells on a 24-cell unit"
        );
        let bt = t
            .attempt(step(&spec, "config.battery_type"), 0, &unit)
            .unwrap()
            .answers;
        assert_eq!(actions(&bt), [AppAction::BatteryType(Chemistry::LiFePo4)]);
        let adv = t
            .attempt(step(&spec, "config.advanced"), 0, &unit)
            .unwrap()
            .answers;
        assert!(actions(&adv).is_empty(), "the type is chosen once only");
        assert!(
            t.attempt(step(&spec, "wiring.accessories"), 0, &unit)
                .unwrap()
                .answers
                .skip
        );
        assert!(
            t.attempt(step(&spec, "config.status"), 1, &unit).is_none(),
            "no retry given"
        );
    }

    #[test]
    fn a_matched_unit_is_only_checked_and_a_retry_repairs_first() {
        let spec = WizardSpec::builtin();
        let s = scenario(
            "bms: {settings: matched}\nwiring: [{open_tap: {cell: 3}}]\ntrainee:\n  after_refusal:\n    wiring.ladder: {repair: {wiring: true}}\n    config.control:\n      answers:\n        app:\n          - switch: {switch: balance, on: true}\n",
        );
        let unit = s.build_unit(1.0).unwrap();
        let mut t = Trainee::new(&spec, &s);
        let bt = t
            .attempt(step(&spec, "config.battery_type"), 0, &unit)
            .unwrap()
            .answers;
        assert!(actions(&bt).is_empty());
        let first = t
            .attempt(step(&spec, "wiring.ladder"), 0, &unit)
            .unwrap()
            .answers;
        assert_eq!(first.readings[2], Scalar::Text("0.000".into()));
        let retry = t.attempt(step(&spec, "wiring.ladder"), 1, &unit).unwrap();
        // The lead is re-wired by name (a journaled input), not put right behind the record.
        assert!(retry.repairs.is_empty());
        assert_eq!(retry.rewired, [Rewire::Lead { cell: 3 }]);
        assert_ne!(
            retry.answers.readings[2],
            Scalar::Text("0.000".into()),
            "measured again"
        );
        let control = t
            .attempt(step(&spec, "config.control"), 1, &unit)
            .unwrap()
            .answers;
        assert_eq!(
            actions(&control),
            [AppAction::Switch {
                switch: Switch::Balance,
                on: true
            }]
        );
    }
}

//! The simulated phone app: in simulator mode, the actions the manual has the operator do in
//! JK's app (and with their hands on the bench), applied to the simulated unit.
//!
//! Each row turns what the operator set into an [`AppAction`] (its keys are handled in
//! [`crate::ui::keys`]); the loop applies it through the
//! simulator's control API and records it as `Input::App`, exactly as the real app's changes
//! would show up on a real unit.

use crate::bms::model::{AppAction, Chemistry, Switch};
use crate::units::{AmpHours, Amps, Celsius, Volts};
use crate::wizard::engine::State;
use crate::wizard::spec::Unit;
use crate::wizard::spec::WizardSpec;
use crate::wizard::words::{Arg, Say};

/// One row of the phone panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneRow {
    /// Balance plug in or out (the bench, not the app).
    Plug,
    /// Activate the unit (the bench: switch, display or charger).
    Activate,
    /// SETTINGS: battery type (loads the factory set).
    BatteryType,
    /// SETTINGS: Cell Count.
    CellCount,
    /// SETTINGS: Battery Capacity(AH).
    Capacity,
    /// SETTINGS: Balance Trig.Volt(V).
    BalanceTrigger,
    /// SETTINGS: Calibrating Volt(V).
    CalibrateVoltage,
    /// SETTINGS: Calibrating Curr(A).
    CalibrateCurrent,
    /// Advance Settings: Charge UTP(C).
    ChargeUtp,
    /// Advance Settings: Charge UTPR(C).
    ChargeUtpr,
    /// CONTROL: a switch.
    Switch(Switch),
    /// The bench: a charger (+) or a load (−) through the pack, for the protection test.
    BenchCurrent,
}

/// The rows, top to bottom.
pub const ROWS: &[PhoneRow] = &[
    PhoneRow::Plug,
    PhoneRow::Activate,
    PhoneRow::BatteryType,
    PhoneRow::CellCount,
    PhoneRow::Capacity,
    PhoneRow::BalanceTrigger,
    PhoneRow::CalibrateVoltage,
    PhoneRow::CalibrateCurrent,
    PhoneRow::ChargeUtp,
    PhoneRow::ChargeUtpr,
    PhoneRow::Switch(Switch::Charge),
    PhoneRow::Switch(Switch::Discharge),
    PhoneRow::Switch(Switch::Balance),
    PhoneRow::Switch(Switch::DisableTempSensor),
    PhoneRow::Switch(Switch::PortSwitch),
    PhoneRow::Switch(Switch::DisplayAlwaysOn),
    PhoneRow::Switch(Switch::Emergency),
    PhoneRow::BenchCurrent,
];

impl PhoneRow {
    /// The label, with the app's own wording where the manual names a setting.
    pub fn label(self) -> &'static str {
        match self {
            PhoneRow::Plug => "Balance plug (bench)",
            PhoneRow::Activate => "Activate (bench)",
            PhoneRow::BatteryType => "Battery type",
            PhoneRow::CellCount => "Cell Count",
            PhoneRow::Capacity => "Battery Capacity(AH)",
            PhoneRow::BalanceTrigger => "Balance Trig.Volt(V)",
            PhoneRow::CalibrateVoltage => "Calibrating Volt(V)",
            PhoneRow::CalibrateCurrent => "Calibrating Curr(A)",
            PhoneRow::ChargeUtp => "Charge UTP(C)",
            PhoneRow::ChargeUtpr => "Charge UTPR(C)",
            PhoneRow::Switch(Switch::Charge) => "Charge",
            PhoneRow::Switch(Switch::Discharge) => "Discharge",
            PhoneRow::Switch(Switch::Balance) => "Balance",
            PhoneRow::Switch(Switch::DisableTempSensor) => "Disable Temp. Sensor",
            PhoneRow::Switch(Switch::DisplayAlwaysOn) => "Display Always On",
            PhoneRow::Switch(Switch::Heating) => "Heating",
            PhoneRow::Switch(Switch::PortSwitch) => "Port Switch (ON = RS485)",
            PhoneRow::Switch(Switch::Emergency) => "Emergency (pack unprotected!)",
            PhoneRow::BenchCurrent => "Bench current (A, + charge)",
        }
    }

    /// The label in the operator's language: the bench's own rows in words, the app's labels
    /// as the app spells them (English in every language).
    pub fn label_in(self, spec: &WizardSpec, lang: &str) -> String {
        let key = match self {
            PhoneRow::Plug => "ui.phone.row.plug",
            PhoneRow::Activate => "ui.phone.row.activate",
            PhoneRow::BatteryType => "ui.phone.row.battery_type",
            PhoneRow::Switch(Switch::Emergency) => "ui.phone.row.emergency",
            _ => return self.label().to_string(),
        };
        crate::ui::text::say(spec, lang, key)
    }

    /// Whether the row takes a typed value.
    pub fn takes_text(self) -> bool {
        !matches!(
            self,
            PhoneRow::Plug | PhoneRow::Activate | PhoneRow::BatteryType | PhoneRow::Switch(_)
        )
    }
}

/// What the simulated unit looks like from the bench (not known to the engine).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BenchView {
    /// The balance plug is in.
    pub plugged_in: bool,
    /// The unit is activated.
    pub activated: bool,
}

/// The phone panel's own state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PhoneState {
    /// The focused row, index into [`ROWS`].
    pub focus: usize,
    /// Typed values by row index; absent = show the unit's value.
    pub buffers: std::collections::BTreeMap<usize, String>,
    /// The battery type highlighted, index into [`Chemistry::ALL`].
    pub chemistry: Option<usize>,
    /// The bench as last seen (kept current by the loop).
    pub bench: BenchView,
}

/// The value a row shows: typed, else the unit's present setting.
pub fn shown(phone: &PhoneState, state: &State, i: usize) -> String {
    if let Some(b) = phone.buffers.get(&i) {
        return b.clone();
    }
    let s = state.live.settings.as_ref();
    let on_off = |b: bool| if b { "ON" } else { "OFF" }.to_string();
    match ROWS[i] {
        PhoneRow::Plug => if phone.bench.plugged_in { "in" } else { "out" }.into(),
        PhoneRow::Activate => if phone.bench.activated {
            "active"
        } else {
            "not active"
        }
        .into(),
        PhoneRow::BatteryType => {
            let c = phone
                .chemistry
                .map(|i| Chemistry::ALL[i % Chemistry::ALL.len()])
                .or(state.pack.chemistry)
                .unwrap_or(Chemistry::LiFePo4);
            c.app_label().into()
        }
        PhoneRow::CellCount => s.map_or(String::new(), |s| s.cell_count.to_string()),
        PhoneRow::Capacity => s.map_or(String::new(), |s| format!("{:.0}", s.capacity.0)),
        PhoneRow::BalanceTrigger => {
            s.map_or(String::new(), |s| format!("{:.3}", s.balance_trigger.0))
        }
        PhoneRow::CalibrateVoltage => state
            .live
            .cells
            .as_ref()
            .map_or(String::new(), |c| format!("{:.2}", c.pack_voltage.0)),
        PhoneRow::CalibrateCurrent => state
            .live
            .cells
            .as_ref()
            .map_or(String::new(), |c| format!("{:.1}", c.current.0)),
        PhoneRow::ChargeUtp => s.map_or(String::new(), |s| format!("{:.0}", s.charge_utp.0)),
        PhoneRow::ChargeUtpr => s.map_or(String::new(), |s| format!("{:.0}", s.charge_utpr.0)),
        PhoneRow::Switch(sw) => s.map_or(String::new(), |s| match sw {
            Switch::Charge => on_off(s.charge_switch),
            Switch::Discharge => on_off(s.discharge_switch),
            Switch::Balance => on_off(s.balance_switch),
            Switch::DisableTempSensor => s
                .control
                .map_or("n/a".into(), |c| on_off(c.disable_temp_sensors)),
            Switch::DisplayAlwaysOn => s
                .control
                .map_or("n/a".into(), |c| on_off(c.display_always_on)),
            Switch::Heating => s.control.map_or("n/a".into(), |c| on_off(c.heating)),
            Switch::PortSwitch => s.control.map_or("n/a".into(), |c| on_off(c.port_rs485)),
            // Emergency is read from the live frames, not from the settings.
            Switch::Emergency => emergency(state).map_or("n/a".into(), on_off),
        }),
        PhoneRow::BenchCurrent => state
            .live
            .cells
            .as_ref()
            .map_or("0".into(), |c| format!("{:.0}", c.current.0)),
    }
}

/// The Emergency switch as the last live frame shows it (`None` where the unit sends none).
fn emergency(state: &State) -> Option<bool> {
    state.live.cells.as_ref().and_then(|c| c.emergency)
}

/// The action a row sends with what it shows now, or why it cannot (a sentence with its
/// values, worded by the caller in the screen's language).
pub fn action(phone: &PhoneState, state: &State, i: usize) -> Result<AppAction, Say> {
    use crate::wizard::checks::fields::quantity_refused;
    let text = shown(phone, state, i);
    // The value may carry the app's unit after it ("3,45 V"), or none.
    let number = |what: &'static str, unit: Unit| -> Result<f64, Say> {
        crate::units::parse_quantity(&text, unit.symbol())
            .map_err(|e| quantity_refused(Arg::verbatim(what), unit, &e))
    };
    let settings = state.live.settings.as_ref();
    Ok(match ROWS[i] {
        PhoneRow::Plug => AppAction::BalancePlug(!phone.bench.plugged_in),
        PhoneRow::Activate => AppAction::Activate,
        PhoneRow::BatteryType => {
            AppAction::BatteryType(Chemistry::from_id(&text).ok_or_else(|| {
                Say::new(
                    "entry.unknown_option",
                    [
                        ("field", Arg::verbatim("Battery Type")),
                        (
                            "options",
                            Arg::verbatim(Chemistry::ALL.map(|c| c.app_label()).join(", ")),
                        ),
                        ("text", Arg::verbatim(&text)),
                    ],
                )
            })?)
        }
        PhoneRow::CellCount => AppAction::CellCount(text.trim().parse().map_err(|_| {
            Say::new(
                "entry.not_an_integer",
                [
                    ("field", Arg::verbatim("Cell Count")),
                    ("text", Arg::verbatim(&text)),
                ],
            )
        })?),
        PhoneRow::Capacity => {
            AppAction::Capacity(AmpHours(number("Battery Capacity(AH)", Unit::Ah)?))
        }
        PhoneRow::BalanceTrigger => {
            AppAction::BalanceTrigger(Volts(number("Balance Trig.Volt(V)", Unit::V)?))
        }
        PhoneRow::CalibrateVoltage => {
            AppAction::CalibrateVoltage(Volts(number("Calibrating Volt(V)", Unit::V)?))
        }
        PhoneRow::CalibrateCurrent => {
            AppAction::CalibrateCurrent(Amps(number("Calibrating Curr(A)", Unit::A)?))
        }
        PhoneRow::ChargeUtp => {
            AppAction::ChargeUtp(Celsius(number("Charge UTP(C)", Unit::Celsius)?))
        }
        PhoneRow::ChargeUtpr => {
            AppAction::ChargeUtpr(Celsius(number("Charge UTPR(C)", Unit::Celsius)?))
        }
        PhoneRow::Switch(switch) => {
            let s = settings.ok_or_else(|| Say::plain("ui.phone.no_settings"))?;
            let on = match switch {
                Switch::Charge => s.charge_switch,
                Switch::Discharge => s.discharge_switch,
                Switch::Balance => s.balance_switch,
                Switch::DisableTempSensor => s.control.is_some_and(|c| c.disable_temp_sensors),
                Switch::DisplayAlwaysOn => s.control.is_some_and(|c| c.display_always_on),
                Switch::Heating => s.control.is_some_and(|c| c.heating),
                Switch::PortSwitch => s.control.is_some_and(|c| c.port_rs485),
                Switch::Emergency => emergency(state).unwrap_or(false),
            };
            AppAction::Switch { switch, on: !on }
        }
        PhoneRow::BenchCurrent => AppAction::Current(Amps(number("Bench current", Unit::A)?)),
    })
}

/// What an action did, in a few words in `lang`, for the notice after it was applied; values
/// the language's way, each held to its unit.
pub fn describe(spec: &WizardSpec, lang: &str, action: &AppAction) -> String {
    let say =
        |key: &str, values: &[(&str, &str)]| crate::ui::text::say_with(spec, lang, key, values);
    let value = |q: String| {
        let q = if crate::wizard::words::decimal_comma(spec, lang) {
            q.replace('.', ",")
        } else {
            q
        };
        q.replacen(' ', &crate::wizard::words::NO_BREAK.to_string(), 1)
    };
    let set = |label: &str, v: String| {
        say(
            "ui.phone.did.set",
            &[("label", label), ("value", &value(v))],
        )
    };
    let on = |b: bool| if b { "ON" } else { "OFF" };
    match action {
        AppAction::BalancePlug(true) => say("ui.phone.did.plug_in", &[]),
        AppAction::BalancePlug(false) => say("ui.phone.did.plug_out", &[]),
        AppAction::Activate => say("ui.phone.did.activated", &[]),
        AppAction::BatteryType(c) => say("ui.phone.did.battery_type", &[("label", c.app_label())]),
        AppAction::CellCount(n) => set("Cell Count", n.to_string()),
        AppAction::Capacity(ah) => set("Battery Capacity(AH)", ah.to_string()),
        AppAction::BalanceTrigger(v) => set("Balance Trig.Volt(V)", v.to_string()),
        AppAction::Switch {
            switch: Switch::Emergency,
            on: true,
        } => say("ui.phone.did.emergency_on", &[]),
        AppAction::Switch { switch, on: o } => say(
            "ui.phone.did.switched",
            &[("switch", switch.app_label()), ("state", on(*o))],
        ),
        AppAction::ChargeUtp(c) => set("Charge UTP(C)", c.to_string()),
        AppAction::ChargeUtpr(c) => set("Charge UTPR(C)", c.to_string()),
        AppAction::CellOvp(v) => set("Cell OVP(V)", v.to_string()),
        AppAction::CellUvp(v) => set("Cell UVP(V)", v.to_string()),
        AppAction::MaxChargeCurrent(a) => set("Constant Charge Current(A)", a.to_string()),
        AppAction::CalibrateVoltage(v) => say(
            "ui.phone.did.calibrated_voltage",
            &[("value", &value(v.to_string()))],
        ),
        AppAction::CalibrateCurrent(a) => say(
            "ui.phone.did.calibrated_current",
            &[("value", &value(a.to_string()))],
        ),
        AppAction::Current(a) if a.0 == 0.0 => say("ui.phone.did.current_stopped", &[]),
        AppAction::Current(a) => say(
            "ui.phone.did.current",
            &[("value", &value(format!("{:+.1} A", a.0)))],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_an_action_did_is_said_in_the_operators_language_with_the_apps_labels() {
        let spec = WizardSpec::builtin();
        let nb = crate::wizard::words::NO_BREAK;
        assert_eq!(
            describe(&spec, "en", &AppAction::BatteryType(Chemistry::LiFePo4)),
            "battery type LIFEPO4: its factory settings are loaded"
        );
        assert_eq!(
            describe(&spec, "pl", &AppAction::CellOvp(Volts(3.65))),
            format!("Cell OVP(V) ustawione na 3,650{nb}V")
        );
        assert_eq!(
            describe(&spec, "de", &AppAction::Current(Amps(45.0))),
            format!("Prüfstrom +45,0{nb}A durch das Paket")
        );
        assert_eq!(
            describe(&spec, "en", &AppAction::Current(Amps(-45.0))),
            format!("bench current -45.0{nb}A through the pack")
        );
        let off = AppAction::Switch {
            switch: Switch::DisableTempSensor,
            on: false,
        };
        assert_eq!(
            describe(&spec, "cs", &off),
            "Disable Temp. Sensor přepnuto na OFF"
        );
        let emergency = AppAction::Switch {
            switch: Switch::Emergency,
            on: true,
        };
        assert!(describe(&spec, "hu", &emergency).contains("NINCS védve"));
    }

    #[test]
    fn the_bench_rows_are_in_words_and_the_app_rows_keep_the_apps_labels() {
        let spec = WizardSpec::builtin();
        assert_eq!(
            PhoneRow::BatteryType.label_in(&spec, "pl"),
            "Typ akumulatora"
        );
        assert_eq!(PhoneRow::CellCount.label_in(&spec, "pl"), "Cell Count");
        for lang in &spec.languages {
            for row in ROWS {
                let label = row.label_in(&spec, lang);
                assert!(
                    crate::ui::text::width(&label) <= 28,
                    "{lang}: {label:?} is wider than the panel's label column"
                );
            }
        }
    }
}

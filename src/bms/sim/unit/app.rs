//! What a person does to the unit or in the phone app: plug, activation, bench current and
//! the app's settings, each checked against the range the app accepts.

use super::*;

impl SimUnit {
    /// Do what a person does to the unit or in the app. Plug, activation and the bench current
    /// always work; the app's settings need a unit that answers.
    pub fn apply(&mut self, action: &AppAction) -> Result<(), SimError> {
        match action {
            AppAction::BalancePlug(true) => self.plugged_in = true,
            AppAction::BalancePlug(false) => {
                // No power without the plug; activation is needed again afterwards.
                self.plugged_in = false;
                self.activated = false;
            }
            AppAction::Activate => {
                if !self.plugged_in {
                    return Err(SimError::NoPower);
                }
                if !self.activated {
                    self.activated = true;
                    self.uptime_s = 0.0;
                    self.power_on_count += 1;
                    self.log(0x01);
                }
            }
            AppAction::Current(amps) => self.applied_current = *amps,
            other => {
                if !self.answers() {
                    return Err(SimError::NotAnswering(NOT_ANSWERING));
                }
                self.apply_setting(other)?;
            }
        }
        self.evaluate();
        Ok(())
    }

    pub(super) fn apply_setting(&mut self, action: &AppAction) -> Result<(), SimError> {
        let s = &mut self.settings;
        match action {
            AppAction::BatteryType(chemistry) => self.load_factory(*chemistry),
            AppAction::CellCount(n) => {
                let slots = self.layout.slots() as u32;
                check("Cell Count", *n, MIN_CELLS, slots, |v| v.to_string())?;
                s.cell_count = *n;
            }
            AppAction::Capacity(ah) => {
                check("Battery Capacity(AH)", ah.0, 1.0, 5000.0, |v| {
                    AmpHours(v).to_string()
                })?;
                s.capacity = *ah;
            }
            AppAction::BalanceTrigger(v) => {
                check("Balance Trig.Volt(V)", v.0, 0.003, 1.0, |v| {
                    Volts(v).to_string()
                })?;
                s.balance_trigger = *v;
            }
            AppAction::Switch { switch, on } => {
                let on = *on;
                match switch {
                    Switch::Charge => s.charge_switch = on,
                    Switch::Discharge => s.discharge_switch = on,
                    Switch::Balance => s.balance_switch = on,
                    // Only 32S firmware has the switch; older units have nothing to set.
                    Switch::Emergency if self.layout == Layout::S32 => self.emergency = on,
                    Switch::Emergency => return Err(SimError::Unsupported(Switch::Emergency)),
                    other => {
                        let bits: &mut ControlBits =
                            s.control.as_mut().ok_or(SimError::Unsupported(*other))?;
                        match other {
                            Switch::DisableTempSensor => bits.disable_temp_sensors = on,
                            Switch::DisplayAlwaysOn => bits.display_always_on = on,
                            Switch::Heating => bits.heating = on,
                            Switch::PortSwitch => bits.port_rs485 = on,
                            _ => unreachable!("handled above"),
                        }
                    }
                }
            }
            // The app links each protection to its recovery value: moving one past the other
            // drags the other along (3 °C, 0.1 V, 0.2 V apart), as "many are linked" warns.
            AppAction::ChargeUtp(c) => {
                check("Charge UTP(C)", c.0, -40.0, 20.0, |v| {
                    Celsius(v).to_string()
                })?;
                s.charge_utp = *c;
                if s.charge_utpr.0 <= c.0 {
                    s.charge_utpr = Celsius(c.0 + 3.0);
                }
            }
            AppAction::ChargeUtpr(c) => {
                check("Charge UTPR(C)", c.0, -37.0, 25.0, |v| {
                    Celsius(v).to_string()
                })?;
                s.charge_utpr = *c;
                if s.charge_utp.0 >= c.0 {
                    s.charge_utp = Celsius(c.0 - 3.0);
                }
            }
            AppAction::CellOvp(v) => {
                let low = (s.cell_uvpr.0 + 0.2).max(1.2);
                check("Cell OVP(V)", v.0, low, 4.5, |v| Volts(v).to_string())?;
                s.cell_ovp = *v;
                if s.cell_ovpr.0 >= v.0 {
                    s.cell_ovpr = Volts(v.0 - 0.1);
                }
            }
            AppAction::CellUvp(v) => {
                let high = (s.cell_ovpr.0 - 0.4).min(4.0);
                check("Cell UVP(V)", v.0, 1.2, high, |v| Volts(v).to_string())?;
                s.cell_uvp = *v;
                if s.cell_uvpr.0 <= v.0 {
                    s.cell_uvpr = Volts(v.0 + 0.2);
                }
                if s.power_off_voltage.0 >= v.0 {
                    s.power_off_voltage = Volts(v.0 - 0.1);
                }
            }
            AppAction::MaxChargeCurrent(a) => {
                let rated = self.rated_current.0;
                check("Constant Charge Current(A)", a.0, 1.0, rated, |v| {
                    Amps(v).to_string()
                })?;
                s.max_charge_current = *a;
            }
            AppAction::CalibrateVoltage(measured) => {
                let reading = self.pack_voltage().0 * self.voltage_gain;
                let (low, high) = (reading * 0.9, reading * 1.1);
                check("Calibrating Volt(V)", measured.0, low, high, |v| {
                    Volts(v).to_string()
                })?;
                self.voltage_gain = measured.0 / self.pack_voltage().0;
            }
            AppAction::CalibrateCurrent(measured) => {
                let flowing = self.flowing_current.0;
                if flowing.abs() < 1.0 {
                    return Err(SimError::NoCurrent(self.flowing_current));
                }
                let reading = flowing * self.current_gain;
                let (a, b) = (reading * 0.8, reading * 1.2);
                check("Calibrating Curr(A)", measured.0, a.min(b), a.max(b), |v| {
                    Amps(v).to_string()
                })?;
                self.current_gain = measured.0 / flowing;
            }
            AppAction::BalancePlug(_) | AppAction::Activate | AppAction::Current(_) => {
                unreachable!("physical actions are handled by apply")
            }
        }
        Ok(())
    }

    /// Load a chemistry's factory set: every setting except the CONTROL-tab switches returns
    /// to the factory value, and the logbook records it.
    pub(super) fn load_factory(&mut self, chemistry: Chemistry) {
        let kept = self.settings.clone();
        self.settings = Settings {
            charge_switch: kept.charge_switch,
            discharge_switch: kept.discharge_switch,
            balance_switch: kept.balance_switch,
            control: kept.control,
            ..factory_settings(chemistry, &self.factory)
        };
        self.log(LogEntry::factory_code(chemistry));
    }
}

//! What a JK BMS says, as plain data: no bytes, no I/O.
//!
//! The codec turns frames into these types and back; the wizard's checks, the simulator and the
//! screen only ever see these. Secrets sent by the unit (its passcodes) have no field here, so
//! they cannot leak into a log or a screen by accident.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::units::{AmpHours, Amps, Celsius, Ohms, Volts};

/// The cell-info frame layout of a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// Firmware 6–10: room for 24 cells.
    #[serde(rename = "24s")]
    S24,
    /// Firmware 11 and later: room for 32 cells, later fields shifted by 32 bytes.
    #[serde(rename = "32s")]
    S32,
}

impl Layout {
    /// How many cell slots the frame has.
    pub fn slots(self) -> usize {
        match self {
            Layout::S24 => 24,
            Layout::S32 => 32,
        }
    }

    /// The name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Layout::S24 => "24s",
            Layout::S32 => "32s",
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The battery chemistry, as chosen with the app's "battery type".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Chemistry {
    /// Li-ion (NMC).
    #[serde(rename = "li-ion")]
    LiIon,
    /// LiFePO4.
    #[serde(rename = "lifepo4")]
    LiFePo4,
    /// Lithium titanate.
    #[serde(rename = "lto")]
    Lto,
}

impl Chemistry {
    /// Every chemistry the BMS knows, in the app's order.
    pub const ALL: [Chemistry; 3] = [Chemistry::LiIon, Chemistry::LiFePo4, Chemistry::Lto];

    /// The id used in wizard.yaml, on the command line and in logs.
    pub fn id(self) -> &'static str {
        match self {
            Chemistry::LiIon => "li-ion",
            Chemistry::LiFePo4 => "lifepo4",
            Chemistry::Lto => "lto",
        }
    }

    /// The label the phone app shows for this battery type.
    pub fn app_label(self) -> &'static str {
        match self {
            Chemistry::LiIon => "LI-ION",
            Chemistry::LiFePo4 => "LIFEPO4",
            Chemistry::Lto => "LTO",
        }
    }

    /// Parse an id as typed (`lifepo4`, `LiFePO4`, `li-ion`, `liion`, `lto`).
    pub fn from_id(text: &str) -> Option<Chemistry> {
        match text
            .trim()
            .to_ascii_lowercase()
            .replace(['_', ' '], "-")
            .as_str()
        {
            "li-ion" | "liion" | "nmc" => Some(Chemistry::LiIon),
            "lifepo4" | "lfp" => Some(Chemistry::LiFePo4),
            "lto" => Some(Chemistry::Lto),
            _ => None,
        }
    }
}

impl fmt::Display for Chemistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl std::str::FromStr for Chemistry {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Chemistry::from_id(s)
            .ok_or_else(|| format!("unknown chemistry '{s}': use li-ion, lifepo4 or lto"))
    }
}

/// Who the unit says it is (device-info frame). The passcodes it also sends are never kept.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// Model string, e.g. `JK-B2A24S20P`.
    pub model: String,
    /// Hardware version, e.g. `10.XG`.
    pub hardware_version: String,
    /// Software version, e.g. `10.07`.
    pub software_version: String,
    /// Seconds since the unit started.
    pub uptime_s: u32,
    /// How many times the unit was powered on.
    pub power_on_count: u32,
    /// The user-set device name.
    pub device_name: String,
    /// Manufacturing date as sent (YYMMDD).
    pub manufacturing_date: String,
    /// Serial number.
    pub serial_number: String,
}

/// The oldest firmware major asked for the logbook. Captures show it on 19.x; units of the
/// 32S generation (11 and later) are assumed to keep one, older ones are not asked, so that
/// nothing but requests known to be understood is ever sent to them.
pub const LOGBOOK_FIRMWARE: u32 = 11;

/// The major number of a firmware version as units send it (`10.07`, `V11.61`, `3.3.0`).
pub fn firmware_major(software_version: &str) -> Option<u32> {
    let digits: String = software_version
        .trim()
        .trim_start_matches(['v', 'V'])
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

impl DeviceInfo {
    /// Whether this unit keeps a logbook worth asking for (0xA1).
    pub fn keeps_logbook(&self) -> bool {
        firmware_major(&self.software_version).is_some_and(|major| major >= LOGBOOK_FIRMWARE)
    }
}

/// The switches and flags of the 32S control word (settings offset 282).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ControlBits {
    /// Heating mat control on.
    pub heating: bool,
    /// "Disable Temp. Sensor": temperature protection removed.
    pub disable_temp_sensors: bool,
    /// Port switch: true = RS485, false = CAN.
    pub port_rs485: bool,
    /// "Display Always On".
    pub display_always_on: bool,
}

/// The unit's protection settings (settings frame).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Settings {
    /// Cell under-voltage protection.
    pub cell_uvp: Volts,
    /// Cell under-voltage recovery.
    pub cell_uvpr: Volts,
    /// Cell over-voltage protection.
    pub cell_ovp: Volts,
    /// Cell over-voltage recovery.
    pub cell_ovpr: Volts,
    /// Cell difference above which balancing starts.
    pub balance_trigger: Volts,
    /// Cell voltage at which the unit powers off.
    pub power_off_voltage: Volts,
    /// Maximum charge current.
    pub max_charge_current: Amps,
    /// Maximum discharge current.
    pub max_discharge_current: Amps,
    /// Charge over-temperature protection.
    pub charge_otp: Celsius,
    /// Charge under-temperature protection (UTP).
    pub charge_utp: Celsius,
    /// Charge under-temperature recovery (UTPR).
    pub charge_utpr: Celsius,
    /// "Cell Count": cells in series.
    pub cell_count: u32,
    /// Charge switch on.
    pub charge_switch: bool,
    /// Discharge switch on.
    pub discharge_switch: bool,
    /// Balance switch on.
    pub balance_switch: bool,
    /// "Battery Capacity(AH)".
    pub capacity: AmpHours,
    /// Cell voltage above which balancing may run.
    pub balance_start_voltage: Volts,
    /// The control word; only 32S units send it.
    pub control: Option<ControlBits>,
}

/// What the balancer is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BalancingAction {
    /// Not balancing.
    #[default]
    Off,
    /// Charging a weak cell.
    Charging,
    /// Discharging a strong cell.
    Discharging,
}

/// Live data (cell-info frame).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellInfo {
    /// The frame layout this came in.
    pub layout: Layout,
    /// The frame counter, advancing per frame.
    pub counter: u8,
    /// One voltage per slot of the layout (24 or 32); 0 V for an unconnected slot.
    pub cell_voltages: Vec<Volts>,
    /// Bit i set = cell i connected.
    pub enabled_mask: u32,
    /// Average cell voltage as the unit computes it.
    pub average_voltage: Volts,
    /// Highest minus lowest cell.
    pub delta_voltage: Volts,
    /// 0-based index of the highest cell.
    pub max_cell: u8,
    /// 0-based index of the lowest cell.
    pub min_cell: u8,
    /// Balance-lead resistance per slot.
    pub lead_resistances: Vec<Ohms>,
    /// Bit i set = the balance lead of cell i is suspect.
    pub lead_warning_bits: u32,
    /// Power-stage (MOSFET) temperature; `None` where the unit marks its sensor absent.
    pub mos_temperature: Option<Celsius>,
    /// Pack voltage.
    pub pack_voltage: Volts,
    /// Current; positive = charging.
    pub current: Amps,
    /// Temperature probes 1, 2 (and 3–5 on 32S); `None` where no probe is fitted.
    pub probes: Vec<Option<Celsius>>,
    /// The raw alarm word.
    pub alarm_bits: u32,
    /// Balancing current.
    pub balancing_current: Amps,
    /// What the balancer does.
    pub balancing_action: BalancingAction,
    /// State of charge in percent.
    pub soc: u8,
    /// Remaining capacity.
    pub remaining_capacity: AmpHours,
    /// Full capacity.
    pub full_capacity: AmpHours,
    /// Charge cycles.
    pub cycle_count: u32,
    /// Charge MOSFET on.
    pub charging: bool,
    /// Discharge MOSFET on.
    pub discharging: bool,
    /// Temperature-sensor presence bits (firmware-dependent meaning).
    pub temp_sensor_bits: u16,
    /// The CONTROL tab's "Emergency" switch, on while its countdown runs (32S frames only:
    /// the settings frame has no bit for it, and the 24S layout carries no countdown).
    #[serde(default)]
    pub emergency: Option<bool>,
}

impl CellInfo {
    /// How many cells the enabled-cell mask says are connected.
    pub fn connected_count(&self) -> u32 {
        self.enabled_mask.count_ones()
    }

    /// The connected cells only, as `(0-based index, voltage)`.
    pub fn connected(&self) -> impl Iterator<Item = (usize, Volts)> + '_ {
        self.cell_voltages
            .iter()
            .enumerate()
            .filter(|(i, _)| *i < 32 && self.enabled_mask & (1 << i) != 0)
            .map(|(i, v)| (i, *v))
    }

    /// The alarms that are active, in bit order.
    pub fn alarms(&self) -> Vec<Alarm> {
        Alarm::from_bits(self.alarm_bits)
    }
}

/// An error of the manual's list (1–9), as shown in STATUS or on the LCD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ManualError(pub u8);

impl ManualError {
    /// The manual's short name of this error, in our words.
    pub fn describe(self) -> &'static str {
        match self.0 {
            1 => "cell under-voltage (discharge)",
            2 => "cell over-voltage (overcharge)",
            3 => "charge or discharge over-current",
            4 => "BMS power stage (MOSFET) over-temperature",
            5 => "cell over-temperature",
            6 => "short circuit",
            7 => "internal communication error",
            8 => "balancer error",
            9 => "missing or poor connection to the cells",
            _ => "unknown error",
        }
    }
}

impl ManualError {
    /// Where an alarm's error number comes from. The manual lists errors 1–9 but never says
    /// which alarm bit shows as which, so every number given for a bit is this tool's reading.
    pub const MAPPING_SOURCE: &'static str =
        "this tool's mapping of the alarm bits, not the manual's (the manual lists the errors \
         but no bits)";

    /// The manual's error 8 (balancer) as this tool reads it, since no alarm bit carries it: the
    /// balance switch is on, the cells differ by more than twice the balance trigger with the
    /// highest above the balance start voltage, and yet the unit reports its balancer idle.
    /// Twice the trigger keeps a spread that has only just crossed it from counting.
    pub fn balancer_idle(cells: &CellInfo, settings: &Settings) -> Option<ManualError> {
        let highest = cells
            .connected()
            .map(|(_, v)| v.0)
            .fold(f64::NEG_INFINITY, f64::max);
        let should_run = settings.balance_switch
            && settings.balance_trigger.0 > 0.0
            && cells.delta_voltage.0 > 2.0 * settings.balance_trigger.0
            && highest >= settings.balance_start_voltage.0;
        (should_run && cells.balancing_action == BalancingAction::Off).then_some(ManualError(8))
    }
}

impl fmt::Display for ManualError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error {} ({})", self.0, self.describe())
    }
}

macro_rules! alarms {
    ($($variant:ident = $bit:literal, $name:literal, $manual:expr, $text:literal;)*) => {
        /// One alarm bit of the cell-info frame.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Alarm {
            $(#[doc = $text] $variant,)*
        }

        impl Alarm {
            /// Every known alarm, in bit order.
            pub const ALL: &'static [Alarm] = &[$(Alarm::$variant,)*];

            /// The bit number in the alarm word.
            pub fn bit(self) -> u32 {
                match self { $(Alarm::$variant => $bit,)* }
            }

            /// A stable snake_case name, used in JSON and logs.
            pub fn name(self) -> &'static str {
                match self { $(Alarm::$variant => $name,)* }
            }

            /// A sentence for the screen.
            pub fn text(self) -> &'static str {
                match self { $(Alarm::$variant => $text,)* }
            }

            /// The manual's error (1–9) this alarm shows as, if any.
            pub fn manual_error(self) -> Option<ManualError> {
                match self { $(Alarm::$variant => $manual,)* }
            }
        }
    };
}

alarms! {
    LeadResistance = 0, "balance_lead_resistance", Some(ManualError(9)), "Balance-lead resistance too high";
    MosOverTemperature = 1, "mos_over_temperature", Some(ManualError(4)), "Power stage (MOSFET) over-temperature";
    CellCountMismatch = 2, "cell_count_mismatch", Some(ManualError(9)), "Connected cells differ from the Cell Count setting";
    CurrentSensor = 3, "current_sensor_anomaly", Some(ManualError(7)), "Current sensor anomaly";
    CellOverVoltage = 4, "cell_over_voltage", Some(ManualError(2)), "Cell over-voltage";
    PackOverVoltage = 5, "pack_over_voltage", Some(ManualError(2)), "Pack over-voltage";
    ChargeOverCurrent = 6, "charge_over_current", Some(ManualError(3)), "Charge over-current";
    ChargeShortCircuit = 7, "charge_short_circuit", Some(ManualError(6)), "Short circuit while charging";
    ChargeOverTemperature = 8, "charge_over_temperature", Some(ManualError(5)), "Over-temperature while charging";
    // The manual's list has over-temperature (5) only: a cold block is no over-temperature.
    ChargeUnderTemperature = 9, "charge_under_temperature", None, "Too cold to charge";
    Coprocessor = 10, "coprocessor_communication", Some(ManualError(7)), "Internal communication error";
    CellUnderVoltage = 11, "cell_under_voltage", Some(ManualError(1)), "Cell under-voltage";
    PackUnderVoltage = 12, "pack_under_voltage", Some(ManualError(1)), "Pack under-voltage";
    DischargeOverCurrent = 13, "discharge_over_current", Some(ManualError(3)), "Discharge over-current";
    DischargeShortCircuit = 14, "discharge_short_circuit", Some(ManualError(6)), "Short circuit while discharging";
    DischargeOverTemperature = 15, "discharge_over_temperature", Some(ManualError(5)), "Over-temperature while discharging";
    ChargeMosAbnormal = 16, "charge_mos_abnormal", Some(ManualError(4)), "Charge MOSFET abnormal";
    DischargeMosAbnormal = 17, "discharge_mos_abnormal", Some(ManualError(4)), "Discharge MOSFET abnormal";
    DefaultPassword = 19, "default_password", None, "Reminder: change the default password";
    BatteryOverTemperature = 21, "battery_over_temperature", Some(ManualError(5)), "Battery over-temperature";
    TemperatureSensor = 22, "temperature_sensor_anomaly", None, "Temperature sensor (NTC) anomaly";
}

impl Alarm {
    /// The active alarms of an alarm word, in bit order. Unknown bits are ignored here;
    /// [`unknown_alarm_bits`] reports them.
    pub fn from_bits(bits: u32) -> Vec<Alarm> {
        Alarm::ALL
            .iter()
            .copied()
            .filter(|a| bits & (1 << a.bit()) != 0)
            .collect()
    }

    /// Whether this alarm is a fault (the password reminder is not).
    pub fn is_fault(self) -> bool {
        self != Alarm::DefaultPassword
    }
}

/// Bits set in an alarm word that no known alarm explains.
pub fn unknown_alarm_bits(bits: u32) -> u32 {
    let known = Alarm::ALL.iter().fold(0u32, |m, a| m | (1 << a.bit()));
    bits & !known
}

/// One logbook entry: what happened, after how many seconds of runtime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Seconds of runtime when it happened.
    pub seconds: u32,
    /// The event code.
    pub code: u8,
}

impl LogEntry {
    /// A readable name of the event, `None` for codes we do not know.
    pub fn event(&self) -> Option<&'static str> {
        Some(match self.code {
            0x01 => "boot",
            0x11 => "cell over-voltage protection",
            0x1B => "charge low-temperature protection on",
            0x1C => "charge low-temperature protection released",
            0x1D => "cell under-voltage protection",
            0x3C => "cell count incorrect",
            0x43 => "factory settings loaded: Li-ion",
            0x44 => "factory settings loaded: LiFePO4",
            0x45 => "factory settings loaded: LTO",
            _ => return None,
        })
    }

    /// The chemistry whose factory set this event loaded, if it is such an event.
    pub fn factory_reset(&self) -> Option<Chemistry> {
        match self.code {
            0x43 => Some(Chemistry::LiIon),
            0x44 => Some(Chemistry::LiFePo4),
            0x45 => Some(Chemistry::Lto),
            _ => None,
        }
    }

    /// The logbook code written when a chemistry's factory set is loaded.
    pub fn factory_code(chemistry: Chemistry) -> u8 {
        match chemistry {
            Chemistry::LiIon => 0x43,
            Chemistry::LiFePo4 => 0x44,
            Chemistry::Lto => 0x45,
        }
    }
}

/// The unit's event history (logbook frame, newer firmware).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Logbook {
    /// Entries, oldest first.
    pub entries: Vec<LogEntry>,
}

/// One decoded frame of any type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Frame {
    /// Device info (type 0x03).
    DeviceInfo(DeviceInfo),
    /// Settings (type 0x01).
    Settings(Settings),
    /// Cell info (type 0x02).
    CellInfo(CellInfo),
    /// Logbook (type 0x05).
    Logbook(Logbook),
}

/// A switch of the app's CONTROL tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Switch {
    /// Charge.
    Charge,
    /// Discharge.
    Discharge,
    /// Balance.
    Balance,
    /// "Disable Temp. Sensor" (must stay off).
    DisableTempSensor,
    /// "Display Always On".
    DisplayAlwaysOn,
    /// Heating mat.
    Heating,
    /// "Port Switch": on = RS485, off = CAN.
    PortSwitch,
    /// "Emergency": the pack may be drawn past its cut-off, unprotected (must stay off).
    Emergency,
}

impl Switch {
    /// The switch's name as the app's CONTROL tab spells it (the same in every language).
    pub fn app_label(self) -> &'static str {
        match self {
            Switch::Charge => "Charge",
            Switch::Discharge => "Discharge",
            Switch::Balance => "Balance",
            Switch::DisableTempSensor => "Disable Temp. Sensor",
            Switch::DisplayAlwaysOn => "Display Always On",
            Switch::Heating => "Heating",
            Switch::PortSwitch => "Port Switch",
            Switch::Emergency => "Emergency",
        }
    }
}

/// Something a person does to a unit: with their hands (plug, activate) or in JK's phone app.
///
/// The simulator applies these through its control API; answers files and training scenarios
/// carry them as data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppAction {
    /// Balance plug(s) into the BMS (`true`) or out.
    BalancePlug(bool),
    /// Activate the unit (switch, display or charger).
    Activate,
    /// Choose the battery type: loads its factory set and writes a logbook event.
    BatteryType(Chemistry),
    /// "Cell Count".
    CellCount(u32),
    /// "Battery Capacity(AH)".
    Capacity(AmpHours),
    /// "Balance Trig.Volt(V)".
    BalanceTrigger(Volts),
    /// A CONTROL-tab switch.
    Switch {
        /// Which switch.
        switch: Switch,
        /// On or off.
        on: bool,
    },
    /// "Charge UTP(C)".
    ChargeUtp(Celsius),
    /// "Charge UTPR(C)".
    ChargeUtpr(Celsius),
    /// "Cell OVP(V)" in Advance Settings.
    CellOvp(Volts),
    /// "Cell UVP(V)" in Advance Settings.
    CellUvp(Volts),
    /// "Constant Charge Current(A)".
    MaxChargeCurrent(Amps),
    /// "Calibrating Volt(V)": the pack voltage measured with a meter.
    CalibrateVoltage(Volts),
    /// "Calibrating Curr(A)": the current measured with a meter.
    CalibrateCurrent(Amps),
    /// Put a current through the pack (a charger or a load on the bench); 0 A stops it.
    Current(Amps),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_alarm_bit_is_distinct_and_named() {
        let mut seen = 0u32;
        for a in Alarm::ALL {
            assert_eq!(seen & (1 << a.bit()), 0, "{a:?} reuses a bit");
            seen |= 1 << a.bit();
            assert!(!a.name().is_empty());
        }
        assert_eq!(unknown_alarm_bits(seen), 0);
        assert_eq!(unknown_alarm_bits(1 << 18), 1 << 18);
    }

    #[test]
    fn alarms_map_to_the_manual_list() {
        assert_eq!(
            Alarm::from_bits((1 << 11) | (1 << 4)),
            vec![Alarm::CellOverVoltage, Alarm::CellUnderVoltage]
        );
        assert_eq!(Alarm::CellUnderVoltage.manual_error(), Some(ManualError(1)));
        assert_eq!(
            Alarm::ChargeShortCircuit.manual_error(),
            Some(ManualError(6))
        );
        assert_eq!(Alarm::DefaultPassword.manual_error(), None);
        // Too cold to charge is not the manual's error 5 (over-temperature), nor any other.
        assert_eq!(Alarm::ChargeUnderTemperature.manual_error(), None);
        // Every manual error except 8 (balancer: no known bit) is reachable from some alarm.
        for n in [1u8, 2, 3, 4, 5, 6, 7, 9] {
            assert!(
                Alarm::ALL
                    .iter()
                    .any(|a| a.manual_error() == Some(ManualError(n))),
                "manual error {n} has no alarm"
            );
        }
    }

    #[test]
    fn an_idle_balancer_while_cells_differ_is_read_as_error_8() {
        let settings = Settings {
            balance_switch: true,
            balance_trigger: Volts(0.01),
            balance_start_voltage: Volts(3.0),
            ..Settings::default()
        };
        let mut cells = CellInfo {
            layout: Layout::S32,
            counter: 0,
            cell_voltages: vec![Volts(3.30), Volts(3.33)],
            enabled_mask: 0b11,
            average_voltage: Volts(3.315),
            delta_voltage: Volts(0.03),
            max_cell: 1,
            min_cell: 0,
            lead_resistances: vec![],
            lead_warning_bits: 0,
            mos_temperature: Some(Celsius(25.0)),
            pack_voltage: Volts(6.63),
            current: Amps(0.0),
            probes: vec![],
            alarm_bits: 0,
            balancing_current: Amps(0.0),
            balancing_action: BalancingAction::Off,
            soc: 50,
            remaining_capacity: AmpHours(140.0),
            full_capacity: AmpHours(280.0),
            cycle_count: 0,
            charging: true,
            discharging: true,
            temp_sensor_bits: 0,
            emergency: None,
        };
        assert_eq!(
            ManualError::balancer_idle(&cells, &settings),
            Some(ManualError(8))
        );
        cells.balancing_action = BalancingAction::Charging;
        assert_eq!(ManualError::balancer_idle(&cells, &settings), None);
        cells.balancing_action = BalancingAction::Off;
        // Exactly twice the trigger: not yet.
        cells.delta_voltage = Volts(0.02);
        assert_eq!(ManualError::balancer_idle(&cells, &settings), None);
        cells.delta_voltage = Volts(0.03);
        // Balance switch off, or cells below the start voltage: an idle balancer is right.
        let off = Settings {
            balance_switch: false,
            ..settings.clone()
        };
        assert_eq!(ManualError::balancer_idle(&cells, &off), None);
        let high_start = Settings {
            balance_start_voltage: Volts(3.40),
            ..settings
        };
        assert_eq!(ManualError::balancer_idle(&cells, &high_start), None);
    }

    #[test]
    fn chemistry_ids_round_trip() {
        for c in Chemistry::ALL {
            assert_eq!(Chemistry::from_id(c.id()), Some(c));
            assert_eq!(
                LogEntry {
                    seconds: 0,
                    code: LogEntry::factory_code(c)
                }
                .factory_reset(),
                Some(c)
            );
        }
        assert_eq!(Chemistry::from_id("LiFePO4"), Some(Chemistry::LiFePo4));
        assert!("lead-acid".parse::<Chemistry>().is_err());
    }
}

//! Faults a training scenario or a test stages on the unit, and the radio faults the link
//! task acts on.

use super::*;

/// A fault a training scenario or a test stages on the unit. Cells and probes count from 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// A balance tap opens (cold solder joint, loose pin): that cell reads 0 V, its bit leaves
    /// the enabled-cell mask, its lead is flagged and the alarm for poor cell connection rises.
    OpenTap {
        /// The cell whose tap opens.
        cell: u32,
    },
    /// The tap is repaired.
    CloseTap {
        /// The cell whose tap is repaired.
        cell: u32,
    },
    /// A temperature probe is unplugged: it reads "no probe" and, unless the sensors are
    /// disabled, the temperature-sensor alarm rises for probes 1 and 2.
    RemoveProbe {
        /// The probe socket.
        probe: u32,
    },
    /// A temperature probe is plugged in.
    FitProbe {
        /// The probe socket.
        probe: u32,
    },
    /// An alarm bit is raised and held, whatever the physics say.
    RaiseAlarm {
        /// The alarm.
        alarm: Alarm,
    },
    /// A held alarm bit is released.
    ClearAlarm {
        /// The alarm.
        alarm: Alarm,
    },
    /// A cell is charged or discharged on its own until it rests at this voltage (imbalance).
    CellVoltage {
        /// The cell.
        cell: u32,
        /// Its new resting voltage.
        volts: Volts,
    },
    /// The pack's surroundings change temperature (the probes follow).
    Ambient {
        /// The new temperature.
        celsius: Celsius,
    },
    /// The Bluetooth connection breaks for this long (out of range): the link reports Down at
    /// once and reconnects afterwards.
    DropLink {
        /// How long, in seconds.
        seconds: f64,
    },
    /// The unit stays connected but says nothing and ignores commands for this long: only the
    /// session's watchdog notices (re-requests, then a reconnect after ≈ 50 s).
    Silence {
        /// How long, in seconds.
        seconds: f64,
    },
    /// The live stream stops until the host asks again with 0x96.
    StallStream,
    /// The next frame arrives with one byte changed (radio noise): its checksum fails and the
    /// link reports it as refused.
    CorruptNextFrame,
    /// A cell drifts, over `seconds`, until it rests at `volts` (a weak or leaking cell going
    /// out of balance while the session runs); the voltage moves a little every moment.
    CellDrift {
        /// The cell.
        cell: u32,
        /// Where it ends up.
        volts: Volts,
        /// How long the drift takes, in seconds.
        seconds: f64,
    },
    /// The protection acts at these cell voltages instead of the set Cell OVP / UVP (a faulty
    /// unit: the protection test must catch it). `None` puts that side back on its setting.
    CutoffAt {
        /// The highest cell voltage at which the charge is cut off.
        #[serde(default)]
        charge: Option<Volts>,
        /// The lowest cell voltage at which the discharge is cut off.
        #[serde(default)]
        discharge: Option<Volts>,
    },
    /// The balancer breaks (the manual's error 8): it moves no charge any more, and the alarm
    /// word carries [`BALANCER_FAULT_BIT`], a bit outside the known table — no bit for error 8
    /// is known, so a host can only report it as an unknown alarm.
    BreakBalancer,
    /// The balancer works again.
    RepairBalancer,
}

impl SimUnit {
    /// Stage a fault.
    pub fn inject(&mut self, fault: &Fault) -> Result<(), SimError> {
        match fault {
            Fault::OpenTap { cell } | Fault::CloseTap { cell } => {
                let i = self.cell_index(*cell)?;
                self.cells[i].tap_open = matches!(fault, Fault::OpenTap { .. });
            }
            Fault::RemoveProbe { probe } | Fault::FitProbe { probe } => {
                let sockets = self.probes.len() as u32;
                if !(1..=sockets).contains(probe) {
                    return Err(SimError::NoSuchProbe {
                        probe: *probe,
                        probes: sockets,
                    });
                }
                self.probes[*probe as usize - 1].0 = matches!(fault, Fault::FitProbe { .. });
            }
            Fault::RaiseAlarm { alarm } => self.forced_alarms |= 1 << alarm.bit(),
            Fault::ClearAlarm { alarm } => self.forced_alarms &= !(1 << alarm.bit()),
            Fault::CellVoltage { cell, volts } => {
                let i = self.cell_index(*cell)?;
                self.cells[i].soc = soc_for_voltage(self.chemistry, *volts);
            }
            Fault::Ambient { celsius } => {
                check("ambient temperature", celsius.0, -40.0, 90.0, |v| {
                    Celsius(v).to_string()
                })?;
                self.ambient = *celsius;
            }
            Fault::DropLink { seconds } | Fault::Silence { seconds } => {
                check("fault duration (s)", *seconds, 0.0, 86_400.0, |v| {
                    v.to_string()
                })?;
                let d = Duration::from_secs_f64(*seconds);
                if matches!(fault, Fault::DropLink { .. }) {
                    self.radio.dropped_for = d;
                } else {
                    self.radio.silent_for = d;
                }
            }
            Fault::StallStream => self.radio.stall = true,
            Fault::CorruptNextFrame => self.radio.corrupt = true,
            Fault::CellDrift {
                cell,
                volts,
                seconds,
            } => {
                let i = self.cell_index(*cell)?;
                check("drift duration (s)", *seconds, 0.0, 86_400.0, |v| {
                    v.to_string()
                })?;
                let target = soc_for_voltage(self.chemistry, *volts);
                let c = &mut self.cells[i];
                if *seconds <= 0.0 {
                    c.soc = target;
                    c.drift = None;
                } else {
                    c.drift = Some((target, (target - c.soc) / seconds));
                }
            }
            Fault::CutoffAt { charge, discharge } => {
                for v in [charge, discharge].into_iter().flatten() {
                    check("cut-off voltage", v.0, 1.0, 5.0, |v| Volts(v).to_string())?;
                }
                self.cutoff_at = (*charge, *discharge);
            }
            Fault::BreakBalancer => self.balancer_broken = true,
            Fault::RepairBalancer => self.balancer_broken = false,
        }
        self.evaluate();
        Ok(())
    }

    /// The Bluetooth connection is broken by a [`Fault::DropLink`].
    pub fn link_dropped(&self) -> bool {
        !self.radio.dropped_for.is_zero()
    }

    /// The unit is connected but mute ([`Fault::Silence`]).
    pub fn silenced(&self) -> bool {
        !self.radio.silent_for.is_zero()
    }

    /// Take a pending [`Fault::StallStream`] (the link task stops the stream once).
    pub fn take_stall(&mut self) -> bool {
        std::mem::take(&mut self.radio.stall)
    }

    /// Take a pending [`Fault::CorruptNextFrame`].
    pub fn take_corrupt(&mut self) -> bool {
        std::mem::take(&mut self.radio.corrupt)
    }
}

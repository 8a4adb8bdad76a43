//! The FFE0 service of a connected unit: which FFE1 characteristic to write commands to, which
//! one notifies, and a connection object the link driver writes through and listens to.
//!
//! Why two backends. Old JK modules expose one FFE1 characteristic that both takes writes and
//! notifies; newer ones (addresses 20:21:11:…) expose TWO characteristics with the UUID FFE1,
//! a write-only one and a notify-only one. btleplug 0.13 keeps only the first characteristic of
//! each UUID per service (bluez backend, `discover_services`), so through btleplug such a unit
//! offers no notifying FFE1 at all. On Linux we therefore go one level down, to bluez-async (the
//! crate btleplug's own BlueZ backend is a thin layer over, same version), which lists every
//! characteristic with its flags and can write, start notifications and stream values by
//! characteristic object path. We chose this over patching btleplug because it needs no fork
//! to carry and upgrade, and the rest (adapters, scanning, connecting) still goes through
//! btleplug unchanged. Elsewhere (macOS, Windows) btleplug is the only way; there the first
//! FFE1 is all we can see, and a unit with two is refused with a sentence that says why.
//!
//! `JK_BLE_GATT=btleplug` selects the btleplug path on Linux too; the emulated-BlueZ tests use
//! it to show that btleplug's limitation is real and that the bluez-async path lifts it.

use std::pin::Pin;
use std::time::Duration;

use btleplug::api::{CharPropFlags, Characteristic, Peripheral as _, WriteType};
use btleplug::platform::{Adapter, Peripheral};
use futures::stream::{Stream, StreamExt};
use uuid::Uuid;

use super::errors::{from_btleplug, Stage};
use crate::bms::frame::{CMD_CELL_INFO, CMD_DEVICE_INFO, CMD_LOGBOOK, COMMAND_LEN};
use crate::bms::link::LinkError;

/// The JK service.
pub const JK_SERVICE: Uuid = Uuid::from_u128(0x0000ffe0_0000_1000_8000_00805f9b34fb);
/// The JK characteristic (one or two of them) inside it.
pub const JK_CHARACTERISTIC: Uuid = Uuid::from_u128(0x0000ffe1_0000_1000_8000_00805f9b34fb);

/// What a characteristic can do, in terms both backends share.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Props {
    pub write: bool,
    pub write_without_response: bool,
    pub notify: bool,
    pub indicate: bool,
}

impl From<CharPropFlags> for Props {
    fn from(f: CharPropFlags) -> Self {
        Props {
            write: f.contains(CharPropFlags::WRITE),
            write_without_response: f.contains(CharPropFlags::WRITE_WITHOUT_RESPONSE),
            notify: f.contains(CharPropFlags::NOTIFY),
            indicate: f.contains(CharPropFlags::INDICATE),
        }
    }
}

/// How commands are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteKind {
    /// Write without response (a GATT "command"): what the JK app does.
    WithoutResponse,
    /// A write request, only for a characteristic that cannot take the former.
    WithResponse,
}

/// The characteristics picked for writing and for notifications (the same one on old modules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Choice<Id> {
    pub write: Id,
    pub kind: WriteKind,
    pub notify: Id,
}

/// Pick the write and notify characteristics among the FFE1 ones, by their properties only:
/// never by position, since the two-characteristic modules list them in either order.
pub(crate) fn choose<Id: Clone>(ffe1: &[(Id, Props)]) -> Result<Choice<Id>, String> {
    if ffe1.is_empty() {
        return Err("its FFE0 service has no FFE1 characteristic".into());
    }
    let (write, kind) = if let Some((id, _)) = ffe1.iter().find(|(_, p)| p.write_without_response) {
        (id.clone(), WriteKind::WithoutResponse)
    } else if let Some((id, _)) = ffe1.iter().find(|(_, p)| p.write) {
        (id.clone(), WriteKind::WithResponse)
    } else {
        return Err("no FFE1 characteristic accepts commands (none is writable)".into());
    };
    let notify = ffe1
        .iter()
        .find(|(_, p)| p.notify)
        .or_else(|| ffe1.iter().find(|(_, p)| p.indicate))
        .map(|(id, _)| id.clone())
        .ok_or_else(|| "no FFE1 characteristic sends notifications".to_string())?;
    Ok(Choice {
        write,
        kind,
        notify,
    })
}

/// Refuse anything but the three read-only requests (device info, settings/live data,
/// logbook) with no value: this program never changes a unit's settings over the air.
pub(crate) fn check_read_only(cmd: &[u8; COMMAND_LEN]) -> Result<(), LinkError> {
    let read_only = cmd[..4] == [0xAA, 0x55, 0x90, 0xEB]
        && matches!(cmd[4], CMD_DEVICE_INFO | CMD_CELL_INFO | CMD_LOGBOOK)
        && cmd[5..19].iter().all(|&b| b == 0);
    if read_only {
        Ok(())
    } else {
        Err(LinkError::Other(format!(
            "refusing to send command {:#04x}: only the read-only requests 0x97, 0x96 and 0xA1 \
             are ever written to a unit",
            cmd[4]
        )))
    }
}

/// What a connected unit reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GattEvent {
    /// A notification's bytes.
    Value(Vec<u8>),
    /// The connection is gone.
    Disconnected,
}

/// A stream of `GattEvent`s.
pub(crate) type Events = Pin<Box<dyn Stream<Item = GattEvent> + Send>>;

enum Writer {
    #[cfg(target_os = "linux")]
    Bluez {
        session: bluez_async::BluetoothSession,
        write: bluez_async::CharacteristicId,
    },
    Btleplug {
        write: Characteristic,
    },
}

/// A connected, subscribed unit.
pub(crate) struct Gatt {
    address: String,
    peripheral: Peripheral,
    writer: Writer,
    kind: WriteKind,
    /// Notifications and the disconnect, in order.
    pub events: Events,
}

/// Which layer talks GATT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    /// bluez-async, below btleplug (Linux).
    #[cfg(target_os = "linux")]
    Bluez,
    /// btleplug itself.
    Btleplug,
}

impl Backend {
    /// The platform's default, overridable with `JK_BLE_GATT=btleplug|bluez` (diagnostics).
    pub(crate) fn from_env() -> Backend {
        let wanted = std::env::var("JK_BLE_GATT").unwrap_or_default();
        #[cfg(target_os = "linux")]
        if wanted != "btleplug" {
            return Backend::Bluez;
        }
        let _ = wanted;
        Backend::Btleplug
    }
}

impl Gatt {
    /// Find FFE0/FFE1 on a connected peripheral, subscribe, and return the connection.
    pub(crate) async fn open(
        backend: Backend,
        adapter: &Adapter,
        peripheral: &Peripheral,
        address: &str,
        #[cfg(target_os = "linux")] session: &bluez_async::BluetoothSession,
    ) -> Result<Gatt, LinkError> {
        match backend {
            #[cfg(target_os = "linux")]
            Backend::Bluez => open_bluez(session, peripheral, address).await,
            Backend::Btleplug => open_btleplug(adapter, peripheral, address).await,
        }
    }

    /// Write one read-only command. (`&mut`: the event stream inside is `Send` but not `Sync`.)
    pub(crate) async fn write(&mut self, cmd: &[u8; COMMAND_LEN]) -> Result<(), LinkError> {
        check_read_only(cmd)?;
        let stage = Stage::Gatt(&self.address);
        match &self.writer {
            #[cfg(target_os = "linux")]
            Writer::Bluez { session, write } => {
                let options = bluez_async::WriteOptions {
                    offset: 0,
                    write_type: Some(match self.kind {
                        WriteKind::WithoutResponse => bluez_async::WriteType::WithoutResponse,
                        WriteKind::WithResponse => bluez_async::WriteType::WithResponse,
                    }),
                };
                session
                    .write_characteristic_value_with_options(write, cmd.to_vec(), options)
                    .await
                    .map_err(|e| super::errors::from_bluez(&e, stage))
            }
            Writer::Btleplug { write } => {
                let kind = match self.kind {
                    WriteKind::WithoutResponse => WriteType::WithoutResponse,
                    WriteKind::WithResponse => WriteType::WithResponse,
                };
                self.peripheral
                    .write(write, cmd, kind)
                    .await
                    .map_err(|e| from_btleplug(&e, stage))
            }
        }
    }

    /// The unit's BlueZ object path (Linux), for a disconnect when the link is dropped.
    pub(crate) fn object_path(&self) -> Option<String> {
        cfg!(target_os = "linux").then(|| format!("/org/bluez/{}", self.peripheral.id()))
    }

    /// Disconnect, without waiting long for a unit that is already gone.
    pub(crate) async fn close(self) {
        disconnect(&self.peripheral).await;
    }
}

/// Best-effort disconnect, bounded so a vanished unit cannot hold the program.
pub(crate) async fn disconnect(peripheral: &Peripheral) {
    let _ = tokio::time::timeout(Duration::from_secs(3), peripheral.disconnect()).await;
}

/// A readable list of service UUIDs, short form where standard.
fn list_services(uuids: impl Iterator<Item = Uuid>) -> String {
    let names: Vec<String> = uuids
        .map(|u| {
            let (hi, rest) = (u.as_u128() >> 96, u.as_u128() & ((1u128 << 96) - 1));
            if rest == 0x0000_1000_8000_0080_5f9b_34fb && hi <= 0xFFFF {
                format!("{hi:04X}")
            } else {
                u.to_string()
            }
        })
        .collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

#[cfg(target_os = "linux")]
async fn open_bluez(
    session: &bluez_async::BluetoothSession,
    peripheral: &Peripheral,
    address: &str,
) -> Result<Gatt, LinkError> {
    use bluez_async::{BluetoothEvent, CharacteristicEvent, CharacteristicFlags, DeviceEvent};

    let stage = Stage::Gatt(address);
    let bluez = |e: bluez_async::BluetoothError| super::errors::from_bluez(&e, stage);
    // btleplug's peripheral id on Linux prints as the BlueZ object path below /org/bluez/
    // ("hci0/dev_…"), which is exactly what bluez-async's DeviceId parses.
    let device: bluez_async::DeviceId = peripheral
        .id()
        .to_string()
        .parse()
        .map_err(|e: bluez_async::BluetoothError| LinkError::Other(e.to_string()))?;
    let services = session.get_services(&device).await.map_err(bluez)?;
    let Some(service) = services.iter().find(|s| s.uuid == JK_SERVICE) else {
        return Err(LinkError::NotJk(
            address.into(),
            format!(
                "it has no FFE0 service (it offers: {})",
                list_services(services.iter().map(|s| s.uuid))
            ),
        ));
    };
    let characteristics = session
        .get_characteristics(&service.id)
        .await
        .map_err(bluez)?;
    let ffe1: Vec<_> = characteristics
        .into_iter()
        .filter(|c| c.uuid == JK_CHARACTERISTIC)
        .map(|c| {
            let props = Props {
                write: c.flags.contains(CharacteristicFlags::WRITE),
                write_without_response: c
                    .flags
                    .contains(CharacteristicFlags::WRITE_WITHOUT_RESPONSE),
                notify: c.flags.contains(CharacteristicFlags::NOTIFY),
                indicate: c.flags.contains(CharacteristicFlags::INDICATE),
            };
            (c.id, props)
        })
        .collect();
    let choice = choose(&ffe1).map_err(|why| LinkError::NotJk(address.into(), why))?;

    // Listen before subscribing, so the first notification cannot slip past.
    let events = session.device_event_stream(&device).await.map_err(bluez)?;
    session.start_notify(&choice.notify).await.map_err(bluez)?;
    let notify = choice.notify.clone();
    let events = events.filter_map(move |event| {
        let out = match event {
            BluetoothEvent::Characteristic {
                id,
                event: CharacteristicEvent::Value { value },
            } if id == notify => Some(GattEvent::Value(value)),
            BluetoothEvent::Device {
                event: DeviceEvent::Connected { connected: false },
                ..
            } => Some(GattEvent::Disconnected),
            _ => None,
        };
        futures::future::ready(out)
    });
    Ok(Gatt {
        address: address.into(),
        peripheral: peripheral.clone(),
        writer: Writer::Bluez {
            session: session.clone(),
            write: choice.write,
        },
        kind: choice.kind,
        // The D-Bus stream only ends when the bus connection does: that is a disconnect too.
        events: Box::pin(events.chain(futures::stream::once(async { GattEvent::Disconnected }))),
    })
}

async fn open_btleplug(
    adapter: &Adapter,
    peripheral: &Peripheral,
    address: &str,
) -> Result<Gatt, LinkError> {
    use btleplug::api::{Central as _, CentralEvent};

    let stage = Stage::Gatt(address);
    let ble = |e: btleplug::Error| from_btleplug(&e, stage);
    peripheral.discover_services().await.map_err(ble)?;
    let services = peripheral.services();
    let Some(service) = services.iter().find(|s| s.uuid == JK_SERVICE) else {
        return Err(LinkError::NotJk(
            address.into(),
            format!(
                "it has no FFE0 service (it offers: {})",
                list_services(services.iter().map(|s| s.uuid))
            ),
        ));
    };
    let ffe1: Vec<_> = service
        .characteristics
        .iter()
        .filter(|c| c.uuid == JK_CHARACTERISTIC)
        .map(|c| (c.clone(), Props::from(c.properties)))
        .collect();
    let choice = choose(&ffe1).map_err(|why| {
        LinkError::NotJk(
            address.into(),
            format!(
                "{why}; btleplug shows only the first FFE1 characteristic, so a module with \
                 two of them (write-only and notify-only, addresses 20:21:11:…) cannot be used \
                 this way{}",
                if cfg!(target_os = "linux") {
                    " (unset JK_BLE_GATT to use the BlueZ path)"
                } else {
                    ""
                }
            ),
        )
    })?;

    let id = peripheral.id();
    let values = peripheral.notifications().await.map_err(ble)?;
    let central = adapter.events().await.map_err(ble)?;
    peripheral.subscribe(&choice.notify).await.map_err(ble)?;
    let values = values
        .filter(|n| futures::future::ready(n.uuid == JK_CHARACTERISTIC))
        .map(|n| GattEvent::Value(n.value));
    let gone = central.filter_map(move |event| {
        futures::future::ready(match event {
            CentralEvent::DeviceDisconnected(p) if p == id => Some(GattEvent::Disconnected),
            _ => None,
        })
    });
    let events = futures::stream::select(
        values.chain(futures::stream::once(async { GattEvent::Disconnected })),
        gone,
    );
    Ok(Gatt {
        address: address.into(),
        peripheral: peripheral.clone(),
        writer: Writer::Btleplug {
            write: choice.write,
        },
        kind: choice.kind,
        events: Box::pin(events),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: Props = Props {
        write: true,
        write_without_response: true,
        notify: false,
        indicate: false,
    };
    const N: Props = Props {
        write: false,
        write_without_response: false,
        notify: true,
        indicate: false,
    };

    #[test]
    fn old_module_uses_its_one_characteristic_for_both() {
        let both = Props { notify: true, ..W };
        let c = choose(&[("char000c", both)]).unwrap();
        assert_eq!(
            (c.write, c.notify, c.kind),
            ("char000c", "char000c", WriteKind::WithoutResponse)
        );
    }

    #[test]
    fn new_module_writes_to_one_and_listens_to_the_other_in_either_order() {
        for list in [
            [("char0003", W), ("char0005", N)],
            [("char0005", N), ("char0003", W)],
        ] {
            let c = choose(&list).unwrap();
            assert_eq!((c.write, c.notify), ("char0003", "char0005"));
        }
    }

    #[test]
    fn what_btleplug_leaves_of_a_new_module_is_refused_with_a_reason() {
        assert!(choose(&[("char0003", W)])
            .unwrap_err()
            .contains("notifications"));
        assert!(choose(&[("char0005", N)]).unwrap_err().contains("writable"));
        assert!(choose::<&str>(&[]).unwrap_err().contains("no FFE1"));
    }

    #[test]
    fn a_write_request_only_characteristic_is_used_with_response() {
        let p = Props {
            write: true,
            notify: true,
            ..Props::default()
        };
        assert_eq!(choose(&[(1, p)]).unwrap().kind, WriteKind::WithResponse);
    }

    #[test]
    fn only_read_only_requests_pass_the_guard() {
        let mut cmd = [0u8; COMMAND_LEN];
        cmd[..4].copy_from_slice(&[0xAA, 0x55, 0x90, 0xEB]);
        for c in [CMD_DEVICE_INFO, CMD_CELL_INFO, CMD_LOGBOOK] {
            cmd[4] = c;
            assert!(check_read_only(&cmd).is_ok());
        }
        // A register write: cell OVP (0x04) with a 4-byte value.
        cmd[4] = 0x04;
        cmd[5] = 4;
        cmd[6] = 0x10;
        let e = check_read_only(&cmd).unwrap_err().to_string();
        assert!(e.contains("0x04") && e.contains("read-only"), "{e}");
        // A read-only command byte with a value is a write in disguise.
        cmd[4] = CMD_CELL_INFO;
        assert!(check_read_only(&cmd).is_err());
    }

    #[test]
    fn the_commands_the_session_sends_pass_the_guard() {
        use crate::bms::frame::command;
        for c in [CMD_DEVICE_INFO, CMD_CELL_INFO, CMD_LOGBOOK] {
            assert!(check_read_only(&command(c, &[])).is_ok(), "{c:#04x}");
        }
        assert!(check_read_only(&command(0x1D, &[1])).is_err());
    }

    #[test]
    fn service_lists_read_short() {
        let s = list_services(
            [
                JK_SERVICE,
                Uuid::from_u128(0x0000180a_0000_1000_8000_00805f9b34fb),
            ]
            .into_iter(),
        );
        assert_eq!(s, "FFE0, 180A");
        assert_eq!(list_services(std::iter::empty()), "none");
    }
}

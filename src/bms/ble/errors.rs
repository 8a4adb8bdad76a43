//! Turning what btleplug, bluez-async and D-Bus report into the operator's `LinkError`
//! sentences. The classification is by D-Bus error name, so it is pure and tested without a bus.

use crate::bms::link::LinkError;

/// What the link was doing when the error came, which decides how an ambiguous error reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage<'a> {
    /// Opening the system D-Bus connection.
    Bus,
    /// Listing adapters, scanning.
    Adapter,
    /// Connecting to the unit with this address.
    Connect(&'a str),
    /// Services, characteristics, notifications and writes on a connected unit.
    Gatt(&'a str),
}

/// The sentence used when BlueZ itself is absent from a reachable bus. Not `NoAdapter`: an
/// adapter may well be plugged in, the daemon is what is missing.
const NO_BLUEZ: &str = "the Bluetooth service (BlueZ) is not running on the system D-Bus; \
                        start it (systemctl start bluetooth) or use --sim to work with the \
                        built-in simulated BMS";

/// Classify a D-Bus error by its name (`org.freedesktop.DBus.Error.*`, `org.bluez.Error.*`).
pub(crate) fn from_dbus_parts(
    name: Option<&str>,
    message: Option<&str>,
    stage: Stage,
) -> LinkError {
    let name = name.unwrap_or("");
    let detail = match message {
        Some(m) if !m.is_empty() => m.to_string(),
        _ if !name.is_empty() => name.to_string(),
        _ => "no detail given".to_string(),
    };
    let short = name.rsplit('.').next().unwrap_or(name);

    if name == "org.freedesktop.DBus.Error.AccessDenied"
        || matches!(
            short,
            "NotPermitted" | "NotAuthorized" | "AuthenticationRejected"
        ) && name.starts_with("org.bluez.")
    {
        return LinkError::Permission(detail);
    }
    if matches!(
        name,
        "org.freedesktop.DBus.Error.ServiceUnknown" | "org.freedesktop.DBus.Error.NameHasNoOwner"
    ) {
        return LinkError::Other(NO_BLUEZ.to_string());
    }
    if stage == Stage::Bus
        || matches!(
            name,
            "org.freedesktop.DBus.Error.FileNotFound"
                | "org.freedesktop.DBus.Error.NoServer"
                | "org.freedesktop.DBus.Error.BadAddress"
                | "org.freedesktop.DBus.Error.Disconnected"
                | "org.freedesktop.DBus.Error.NoNetwork"
        )
    {
        return LinkError::NoDbus(detail);
    }
    if matches!(name, "org.bluez.Error.NotReady" | "org.bluez.Error.Blocked") {
        return LinkError::Other(format!(
            "the Bluetooth adapter is not ready ({detail}); switch Bluetooth on \
             (bluetoothctl power on, or unblock it with rfkill), or use --sim"
        ));
    }
    let timed_out = matches!(
        name,
        "org.freedesktop.DBus.Error.NoReply" | "org.freedesktop.DBus.Error.Timeout"
    );
    match stage {
        Stage::Connect(address) if timed_out => LinkError::Connect(
            address.to_string(),
            "the unit did not answer in time".into(),
        ),
        Stage::Connect(address) => LinkError::Connect(address.to_string(), detail),
        Stage::Gatt(address) if name == "org.bluez.Error.NotConnected" => LinkError::Connect(
            address.to_string(),
            "the connection dropped while setting it up".into(),
        ),
        _ => LinkError::Other(detail),
    }
}

/// Classify a bluez-async error.
#[cfg(target_os = "linux")]
pub(crate) fn from_bluez(error: &bluez_async::BluetoothError, stage: Stage) -> LinkError {
    use bluez_async::BluetoothError as B;
    match error {
        B::NoBluetoothAdapters => LinkError::NoAdapter,
        B::DbusError(e) => from_dbus_parts(e.name(), e.message(), stage),
        B::ServiceDiscoveryTimedOut => match stage {
            Stage::Connect(a) | Stage::Gatt(a) => LinkError::Connect(
                a.to_string(),
                "connected, but the unit never listed its services".into(),
            ),
            _ => LinkError::Other(error.to_string()),
        },
        other => match stage {
            Stage::Connect(a) => LinkError::Connect(a.to_string(), other.to_string()),
            _ => LinkError::Other(other.to_string()),
        },
    }
}

/// Classify a btleplug error; on Linux it carries the bluez-async error inside `Other`.
pub(crate) fn from_btleplug(error: &btleplug::Error, stage: Stage) -> LinkError {
    use btleplug::Error as E;
    match error {
        E::PermissionDenied => LinkError::Permission("the system refused access".into()),
        E::NoAdapterAvailable => LinkError::NoAdapter,
        E::TimedOut(_) => match stage {
            Stage::Connect(a) | Stage::Gatt(a) => {
                LinkError::Connect(a.to_string(), "the unit did not answer in time".into())
            }
            _ => LinkError::Other(error.to_string()),
        },
        E::Other(inner) => {
            #[cfg(target_os = "linux")]
            if let Some(b) = inner.downcast_ref::<bluez_async::BluetoothError>() {
                return from_bluez(b, stage);
            }
            if let Some(d) = inner.downcast_ref::<dbus::Error>() {
                return from_dbus_parts(d.name(), d.message(), stage);
            }
            match stage {
                Stage::Bus => LinkError::NoDbus(inner.to_string()),
                Stage::Connect(a) => LinkError::Connect(a.to_string(), inner.to_string()),
                _ => LinkError::Other(inner.to_string()),
            }
        }
        other => match stage {
            Stage::Bus => LinkError::NoDbus(other.to_string()),
            Stage::Connect(a) => LinkError::Connect(a.to_string(), other.to_string()),
            _ => LinkError::Other(other.to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(name: &str, msg: &str, stage: Stage) -> LinkError {
        from_dbus_parts(Some(name), Some(msg), stage)
    }

    #[test]
    fn a_missing_bus_socket_is_no_dbus_and_mentions_sim() {
        let e = c(
            "org.freedesktop.DBus.Error.FileNotFound",
            "Failed to connect to socket /nonexistent: No such file or directory",
            Stage::Bus,
        );
        assert!(matches!(e, LinkError::NoDbus(_)), "{e:?}");
        let text = e.to_string();
        assert!(
            text.contains("--sim") && text.contains("/nonexistent"),
            "{text}"
        );
        // Whatever the name, failing to open the bus is a bus problem.
        assert!(matches!(
            c("x.y.Weird", "odd", Stage::Bus),
            LinkError::NoDbus(_)
        ));
    }

    #[test]
    fn bluez_absent_from_the_bus_says_so_and_mentions_sim() {
        let e = c(
            "org.freedesktop.DBus.Error.ServiceUnknown",
            "The name org.bluez was not provided by any .service files",
            Stage::Adapter,
        );
        let text = e.to_string();
        assert!(text.contains("BlueZ") && text.contains("--sim"), "{text}");
    }

    #[test]
    fn denied_access_is_permission() {
        for name in [
            "org.freedesktop.DBus.Error.AccessDenied",
            "org.bluez.Error.NotPermitted",
        ] {
            assert!(matches!(
                c(name, "no", Stage::Adapter),
                LinkError::Permission(_)
            ));
        }
    }

    #[test]
    fn connect_failures_name_the_unit() {
        let e = c(
            "org.bluez.Error.Failed",
            "le-connection-abort-by-local",
            Stage::Connect("AA:BB:CC:DD:EE:FF"),
        );
        assert_eq!(
            e,
            LinkError::Connect(
                "AA:BB:CC:DD:EE:FF".into(),
                "le-connection-abort-by-local".into()
            )
        );
        let e = c(
            "org.freedesktop.DBus.Error.NoReply",
            "",
            Stage::Connect("AA:BB:CC:DD:EE:FF"),
        );
        assert!(e.to_string().contains("did not answer in time"), "{e}");
    }

    #[test]
    fn a_powered_off_adapter_is_not_reported_as_missing() {
        let e = c(
            "org.bluez.Error.NotReady",
            "Resource Not Ready",
            Stage::Adapter,
        );
        assert!(e.to_string().contains("not ready"), "{e}");
    }

    #[test]
    fn btleplug_wrapped_errors_are_unwrapped() {
        let inner = dbus::Error::new_custom("org.freedesktop.DBus.Error.FileNotFound", "gone");
        #[cfg(target_os = "linux")]
        let boxed: Box<dyn std::error::Error + Send + Sync> =
            Box::new(bluez_async::BluetoothError::DbusError(inner));
        #[cfg(not(target_os = "linux"))]
        let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(inner);
        let e = from_btleplug(&btleplug::Error::Other(boxed), Stage::Adapter);
        assert_eq!(e, LinkError::NoDbus("gone".into()));
        assert_eq!(
            from_btleplug(&btleplug::Error::NoAdapterAvailable, Stage::Adapter),
            LinkError::NoAdapter
        );
    }
}

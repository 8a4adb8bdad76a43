//! Bluetooth LE: scanning for JK units, and `BleLink`, the `BmsLink` to one real unit.
//!
//! Layers, outermost first: `discover` (btleplug: adapters, scan, find by address, connect),
//! `gatt` (the FFE0 service and its one or two FFE1 characteristics; on Linux through
//! bluez-async, see that module for why), `driver` (the task that runs the pure `Session` and
//! `FrameStream` over a connection and reconnects), `errors` (everything the stack can say,
//! turned into `LinkError` sentences). Only the read-only requests 0x97, 0x96 and 0xA1 are
//! ever written; `gatt` refuses anything else.

mod discover;
mod driver;
mod errors;
mod gatt;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use btleplug::api::{BDAddr, PeripheralProperties};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::bms::capture::Tap;
use crate::bms::decode::FrameStream;
use crate::bms::link::{BmsLink, LinkError, LinkEvent};
use crate::bms::model::Layout;

pub use gatt::{JK_CHARACTERISTIC, JK_SERVICE};

/// Company ids JK modules put in their manufacturer data.
pub const JK_MANUFACTURER_IDS: [u16; 2] = [0x0B65, 0x4B4A];

/// One unit seen while scanning.
#[derive(Debug, Clone, PartialEq)]
pub struct Advertisement {
    /// Advertised local name, if any.
    pub name: Option<String>,
    /// Bluetooth address.
    pub address: String,
    /// Signal strength in dBm.
    pub rssi: Option<i16>,
    /// Manufacturer data by company id, sorted by id.
    pub manufacturer_data: Vec<(u16, Vec<u8>)>,
    /// Advertised service UUIDs.
    pub services: Vec<Uuid>,
}

impl Advertisement {
    /// Whether this may be a JK unit: the FFE0 service, a JK company id, or a JK-style name.
    /// Each alone is enough to list it; none is proof, so the operator picks by address.
    pub fn looks_like_jk(&self) -> bool {
        discover::advertises_jk_service(&self.services)
            || self
                .manufacturer_data
                .iter()
                .any(|(id, _)| JK_MANUFACTURER_IDS.contains(id))
            || self.name.as_deref().is_some_and(jk_like_name)
    }

    /// The company ids of the manufacturer data, in order.
    pub fn manufacturer_ids(&self) -> Vec<u16> {
        self.manufacturer_data.iter().map(|(id, _)| *id).collect()
    }

    fn from_properties(p: PeripheralProperties) -> Advertisement {
        let address = p.address.to_string();
        // BlueZ's Alias falls back to the address written with dashes: that is not a name.
        let dashed = address.replace(':', "-");
        let name = p
            .advertisement_name
            .or(p.local_name)
            .filter(|n| !n.trim().is_empty() && !n.eq_ignore_ascii_case(&dashed))
            // Any device in range picks its own name: control characters (terminal escape
            // sequences) are shown by a visible stand-in, never passed to a screen.
            .map(|n| crate::clean::clean(&n).into_owned());
        let mut manufacturer_data: Vec<(u16, Vec<u8>)> = p.manufacturer_data.into_iter().collect();
        manufacturer_data.sort();
        Advertisement {
            name,
            address,
            rssi: p.rssi,
            manufacturer_data,
            services: p.services,
        }
    }
}

/// Names JK units ship with (`JK-B2A24S20P`, `JK_PB2A16S15P`, `JKBMS…`). Users rename units,
/// so this only adds candidates; it never removes one.
fn jk_like_name(name: &str) -> bool {
    let upper = name.trim().to_ascii_uppercase();
    upper.starts_with("JK-")
        || upper.starts_with("JK_")
        || upper.starts_with("JKBMS")
        || upper.starts_with("JK ")
        || upper.contains("JK-B")
        || upper.contains("JK_B")
}

/// Scan all adapters for `timeout` and return the units that look like JK BMS, strongest
/// signal first.
pub async fn scan(timeout: Duration) -> Result<Vec<Advertisement>, LinkError> {
    let mut all = scan_all(timeout).await?;
    all.retain(Advertisement::looks_like_jk);
    Ok(all)
}

/// Scan all adapters for `timeout` and return every device heard, strongest signal first.
pub async fn scan_all(timeout: Duration) -> Result<Vec<Advertisement>, LinkError> {
    discover::Stack::open().await?.scan(timeout).await
}

/// Parse an address as typed (`AA:BB:CC:DD:EE:FF`, case-insensitive).
pub fn parse_address(text: &str) -> Result<String, LinkError> {
    text.trim()
        .parse::<BDAddr>()
        .map(|a| a.to_string())
        .map_err(|_| {
            LinkError::Other(format!(
                "'{text}' is not a Bluetooth address; write it as six pairs of hex digits \
                 separated by colons, like C8:47:8C:E4:54:0F (see `jk-commission scan`)"
            ))
        })
}

/// A BMS reached over Bluetooth LE.
pub struct BleLink {
    address: String,
    timeout: Duration,
    layout: Option<Layout>,
    events: Option<mpsc::Receiver<LinkEvent>>,
    control: Option<mpsc::Sender<driver::Control>>,
    task: Option<JoinHandle<()>>,
    connected: Arc<Mutex<Option<String>>>,
    /// The D-Bus sessions of a connect attempt that did not find the unit, kept for the next
    /// attempt: each session holds a bus connection, and a unit out of range for long would
    /// otherwise use up the bus's connections one retry at a time.
    idle_stack: Option<discover::Stack>,
    tap: Option<Tap>,
}

impl BleLink {
    /// A link to the unit with this address; `timeout` bounds the search, and separately the
    /// connection and service discovery, of every (re)connection attempt.
    pub fn new(address: impl Into<String>, timeout: Duration) -> Self {
        Self {
            address: address.into(),
            timeout,
            layout: None,
            events: None,
            control: None,
            task: None,
            connected: Arc::default(),
            idle_stack: None,
            tap: None,
        }
    }

    /// Pin the cell-info layout (`--variant 24s|32s`) instead of deciding it from the unit.
    pub fn with_layout(mut self, layout: Option<Layout>) -> Self {
        self.layout = layout;
        self
    }

    /// The address as given.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Disconnect from the unit and stop reconnecting; waits (briefly) until that is done.
    pub async fn close(&mut self) {
        self.control = None;
        self.events = None;
        if let Some(task) = self.task.take() {
            driver::bounded(task).await;
        }
    }
}

impl BmsLink for BleLink {
    async fn connect(&mut self) -> Result<(), LinkError> {
        if self.task.as_ref().is_some_and(|t| !t.is_finished()) {
            return Ok(());
        }
        let address: BDAddr = parse_address(&self.address)?.parse().map_err(|_| {
            LinkError::Other(format!(
                "'{}' is not a Bluetooth address (six hex pairs, e.g. C8:47:8C:10:00:01)",
                self.address
            ))
        })?;
        let backend = gatt::Backend::from_env();
        let stack = match self.idle_stack.take() {
            Some(stack) => stack,
            None => discover::Stack::open().await?,
        };
        let first = match stack
            .find_and_connect(address, self.timeout, self.timeout, backend)
            .await
        {
            Ok(first) => first,
            Err(e) => {
                self.idle_stack = Some(stack);
                return Err(e);
            }
        };
        let (event_tx, event_rx) = mpsc::channel(256);
        let (control_tx, control_rx) = mpsc::channel(8);
        let driver = driver::Driver {
            stack,
            address,
            timeout: self.timeout,
            backend,
            stream: FrameStream::new(self.layout),
            events: event_tx,
            control: control_rx,
            origin: tokio::time::Instant::now(),
            connected: self.connected.clone(),
            tap: self.tap.clone(),
        };
        self.task = Some(tokio::spawn(driver.run(first)));
        self.events = Some(event_rx);
        self.control = Some(control_tx);
        Ok(())
    }

    async fn next_event(&mut self) -> Option<LinkEvent> {
        self.events.as_mut()?.recv().await
    }

    async fn refresh(&mut self) -> Result<(), LinkError> {
        let control = self.control.as_ref().ok_or(LinkError::Closed)?;
        let (reply, answer) = oneshot::channel();
        control
            .send(driver::Control::Refresh(reply))
            .await
            .map_err(|_| LinkError::Closed)?;
        answer.await.map_err(|_| LinkError::Closed)?
    }

    fn set_tap(&mut self, tap: Tap) {
        self.tap = Some(tap);
    }
}

impl Drop for BleLink {
    /// A link dropped without `close()` (often: the program is ending and its runtime with it)
    /// must not leave the unit connected: BlueZ keeps a link up after its client has gone, and a
    /// JK unit takes one connection at a time, so the phone app could not reach it. The task
    /// cannot be relied on to run again, so disconnect here, synchronously and briefly.
    fn drop(&mut self) {
        let Some(task) = self.task.take() else { return };
        task.abort();
        let path = self.connected.lock().ok().and_then(|mut p| p.take());
        if let Some(path) = path {
            disconnect_blocking(path);
        }
    }
}

/// Ask BlueZ to disconnect a device, on a thread of its own, waiting at most two seconds.
#[cfg(target_os = "linux")]
fn disconnect_blocking(path: String) {
    let (done, wait) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let timeout = Duration::from_secs(2);
        if let Ok(bus) = dbus::blocking::Connection::new_system() {
            let device = bus.with_proxy("org.bluez", path, timeout);
            let _: Result<(), dbus::Error> =
                device.method_call("org.bluez.Device1", "Disconnect", ());
        }
        let _ = done.send(());
    });
    let _ = wait.recv_timeout(Duration::from_secs(2));
}

#[cfg(not(target_os = "linux"))]
fn disconnect_blocking(_path: String) {}

/// Manufacturer data as `{ "0x0b65": "hex…" }`, for JSON output.
pub fn manufacturer_hex(ad: &Advertisement) -> HashMap<String, String> {
    ad.manufacturer_data
        .iter()
        .map(|(id, data)| {
            let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
            (format!("{id:#06x}"), hex)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ad(name: Option<&str>, rssi: Option<i16>) -> Advertisement {
        Advertisement {
            name: name.map(str::to_string),
            address: "C8:47:8C:00:00:01".into(),
            rssi,
            manufacturer_data: vec![],
            services: vec![],
        }
    }

    #[test]
    fn jk_units_are_recognised_by_service_company_or_name() {
        assert!(!ad(Some("Pixel 7"), Some(-60)).looks_like_jk());
        assert!(!ad(None, Some(-60)).looks_like_jk());
        assert!(ad(Some("JK-B2A24S20P"), None).looks_like_jk());
        assert!(ad(Some("jk_pb2a16s15p"), None).looks_like_jk());
        let renamed = |f: &dyn Fn(&mut Advertisement)| {
            let mut a = ad(Some("Garage battery"), Some(-70));
            f(&mut a);
            a.looks_like_jk()
        };
        assert!(renamed(&|a| a.services.push(JK_SERVICE)));
        assert!(renamed(&|a| a.manufacturer_data.push((0x0B65, vec![1]))));
        assert!(renamed(&|a| a.manufacturer_data.push((0x4B4A, vec![]))));
        assert!(!renamed(&|a| a.manufacturer_data.push((0x004C, vec![]))));
    }

    #[test]
    fn scan_results_sort_strongest_first_unknown_last() {
        let mut list = vec![
            ad(Some("a"), Some(-90)),
            ad(Some("b"), None),
            ad(Some("c"), Some(-40)),
        ];
        list[1].address = "00:00:00:00:00:02".into();
        discover::sort_by_signal(&mut list);
        let names: Vec<_> = list.iter().map(|a| a.name.clone().unwrap()).collect();
        assert_eq!(names, ["c", "a", "b"]);
    }

    #[test]
    fn the_alias_bluez_makes_up_from_the_address_is_not_a_name() {
        let props = PeripheralProperties {
            address: "C8:47:8C:E4:54:0F".parse().unwrap(),
            local_name: Some("C8-47-8C-E4-54-0F".into()),
            rssi: Some(-50),
            ..Default::default()
        };
        assert_eq!(Advertisement::from_properties(props).name, None);
        let props = PeripheralProperties {
            local_name: Some("JK\x1b[2Jevil".into()),
            ..PeripheralProperties::default()
        };
        assert_eq!(
            Advertisement::from_properties(props).name.as_deref(),
            Some("JK␛[2Jevil")
        );
    }

    #[test]
    fn addresses_are_checked_and_normalised() {
        assert_eq!(
            parse_address("c8:47:8c:e4:54:0f").unwrap(),
            "C8:47:8C:E4:54:0F"
        );
        let e = parse_address("C8:47:8C").unwrap_err().to_string();
        assert!(e.contains("'C8:47:8C' is not a Bluetooth address"), "{e}");
    }

    #[tokio::test]
    async fn an_unopened_link_has_no_events_and_cannot_refresh() {
        let mut link = BleLink::new("C8:47:8C:E4:54:0F", Duration::from_secs(1));
        assert_eq!(link.next_event().await, None);
        assert_eq!(link.refresh().await, Err(LinkError::Closed));
    }
}

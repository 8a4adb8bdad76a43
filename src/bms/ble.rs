//! Bluetooth LE through btleplug: scan, connect, the FFE0/FFE1 characteristics, the handshake,
//! the watchdog and reconnects. OWNER: BLE helper.

use std::time::Duration;

use crate::bms::link::{BmsLink, LinkError, LinkEvent};

/// One unit seen while scanning.
#[derive(Debug, Clone, PartialEq)]
pub struct Advertisement {
    /// Advertised local name, if any.
    pub name: Option<String>,
    /// Bluetooth address.
    pub address: String,
    /// Signal strength in dBm.
    pub rssi: Option<i16>,
    /// Manufacturer data by company id.
    pub manufacturer_data: Vec<(u16, Vec<u8>)>,
}

/// Scan for JK units for `timeout`.
pub async fn scan(timeout: Duration) -> Result<Vec<Advertisement>, LinkError> {
    let _ = timeout;
    todo!("BLE helper")
}

/// A BMS reached over Bluetooth LE.
pub struct BleLink {
    address: String,
    timeout: Duration,
}

impl BleLink {
    /// A link to the unit with this address; `timeout` bounds the search and the connect.
    pub fn new(address: impl Into<String>, timeout: Duration) -> Self {
        Self {
            address: address.into(),
            timeout,
        }
    }
}

impl BmsLink for BleLink {
    async fn connect(&mut self) -> Result<(), LinkError> {
        let _ = (&self.address, self.timeout);
        todo!("BLE helper")
    }

    async fn next_event(&mut self) -> Option<LinkEvent> {
        todo!("BLE helper")
    }

    async fn refresh(&mut self) -> Result<(), LinkError> {
        todo!("BLE helper")
    }
}

//! Adapters, scanning, finding one unit by address and connecting to it (through btleplug).

use std::collections::HashMap;
use std::time::Duration;

use btleplug::api::{BDAddr, Central as _, Manager as _, Peripheral as _, ScanFilter};
use btleplug::platform::{Adapter, Manager, Peripheral};
use tokio::time::{sleep, timeout, Instant};

use super::errors::{from_btleplug, Stage};
use super::gatt::{self, Backend, Gatt, JK_SERVICE};
use super::Advertisement;
use crate::bms::link::LinkError;

/// How often the list of seen devices is looked at while searching for one address.
const POLL: Duration = Duration::from_millis(200);

/// The Bluetooth stack of this process: btleplug's manager and, on Linux, the bluez-async
/// session the GATT layer uses. Made once per link and reused across reconnects, because each
/// one holds a D-Bus connection and a task for as long as the process runs.
pub(crate) struct Stack {
    manager: Manager,
    #[cfg(target_os = "linux")]
    bluez: bluez_async::BluetoothSession,
}

impl Stack {
    /// Open the system D-Bus (Linux) or the platform's Bluetooth API.
    pub(crate) async fn open() -> Result<Stack, LinkError> {
        let manager = Manager::new()
            .await
            .map_err(|e| from_btleplug(&e, Stage::Bus))?;
        #[cfg(target_os = "linux")]
        let (_, bluez) = bluez_async::BluetoothSession::new()
            .await
            .map_err(|e| super::errors::from_bluez(&e, Stage::Bus))?;
        Ok(Stack {
            manager,
            #[cfg(target_os = "linux")]
            bluez,
        })
    }

    /// Every adapter; none is an error the operator must hear about.
    async fn adapters(&self) -> Result<Vec<Adapter>, LinkError> {
        let adapters = self
            .manager
            .adapters()
            .await
            .map_err(|e| from_btleplug(&e, Stage::Adapter))?;
        if adapters.is_empty() {
            Err(LinkError::NoAdapter)
        } else {
            Ok(adapters)
        }
    }

    /// Start scanning on every adapter that will; an error only when none does.
    async fn start_scans(&self) -> Result<Vec<Adapter>, LinkError> {
        let adapters = self.adapters().await?;
        let mut scanning = Vec::new();
        let mut first_error = None;
        for adapter in adapters {
            match adapter.start_scan(ScanFilter::default()).await {
                Ok(()) => scanning.push(adapter),
                Err(e) => {
                    first_error.get_or_insert(from_btleplug(&e, Stage::Adapter));
                }
            }
        }
        if scanning.is_empty() {
            Err(first_error.unwrap_or(LinkError::NoAdapter))
        } else {
            Ok(scanning)
        }
    }

    /// Every device heard during `duration`, strongest first.
    pub(crate) async fn scan(&self, duration: Duration) -> Result<Vec<Advertisement>, LinkError> {
        let adapters = self.start_scans().await?;
        sleep(duration).await;
        let mut by_address: HashMap<String, Advertisement> = HashMap::new();
        for adapter in &adapters {
            for peripheral in adapter.peripherals().await.unwrap_or_default() {
                let Ok(Some(props)) = peripheral.properties().await else {
                    continue;
                };
                // BlueZ keeps devices it met before; only an RSSI says it was heard just now.
                if props.rssi.is_none() {
                    continue;
                }
                let ad = Advertisement::from_properties(props);
                match by_address.get(&ad.address) {
                    Some(seen) if seen.rssi >= ad.rssi => {}
                    _ => {
                        by_address.insert(ad.address.clone(), ad);
                    }
                }
            }
        }
        for adapter in &adapters {
            let _ = adapter.stop_scan().await;
        }
        let mut all: Vec<Advertisement> = by_address.into_values().collect();
        sort_by_signal(&mut all);
        Ok(all)
    }

    /// Search for the unit at `address` for at most `search`; connect within `connect`.
    pub(crate) async fn find_and_connect(
        &self,
        address: BDAddr,
        search: Duration,
        connect: Duration,
        backend: Backend,
    ) -> Result<Gatt, LinkError> {
        let text = address.to_string();
        let (adapter, peripheral) = self.find(address, search).await?;
        let stage = Stage::Connect(&text);
        let connected = peripheral.is_connected().await.unwrap_or(false);
        if !connected {
            match timeout(connect, peripheral.connect()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    gatt::disconnect(&peripheral).await;
                    return Err(from_btleplug(&e, stage));
                }
                Err(_) => {
                    // Cancels BlueZ's pending connection attempt too.
                    gatt::disconnect(&peripheral).await;
                    return Err(LinkError::Connect(
                        text,
                        format!("no connection within {} s", connect.as_secs()),
                    ));
                }
            }
        }
        let opened = timeout(
            connect,
            Gatt::open(
                backend,
                &adapter,
                &peripheral,
                &text,
                #[cfg(target_os = "linux")]
                &self.bluez,
            ),
        )
        .await;
        match opened {
            Ok(Ok(gatt)) => Ok(gatt),
            Ok(Err(e)) => {
                gatt::disconnect(&peripheral).await;
                Err(e)
            }
            Err(_) => {
                gatt::disconnect(&peripheral).await;
                Err(LinkError::Connect(
                    text,
                    format!(
                        "connected, but the services were not listed within {} s",
                        connect.as_secs()
                    ),
                ))
            }
        }
    }

    /// Scan until the unit is heard (or is already connected to this machine).
    async fn find(
        &self,
        address: BDAddr,
        search: Duration,
    ) -> Result<(Adapter, Peripheral), LinkError> {
        let adapters = self.start_scans().await?;
        let deadline = Instant::now() + search;
        let found = 'search: loop {
            for adapter in &adapters {
                for peripheral in adapter.peripherals().await.unwrap_or_default() {
                    if peripheral.address() != address {
                        continue;
                    }
                    let heard =
                        matches!(peripheral.properties().await, Ok(Some(p)) if p.rssi.is_some());
                    if heard || peripheral.is_connected().await.unwrap_or(false) {
                        break 'search Some((adapter.clone(), peripheral));
                    }
                }
            }
            if Instant::now() >= deadline {
                break None;
            }
            sleep(POLL).await;
        };
        // BlueZ connects more reliably with discovery off.
        for adapter in &adapters {
            let _ = adapter.stop_scan().await;
        }
        found.ok_or_else(|| LinkError::NotFound(address.to_string(), search.as_secs()))
    }
}

/// Strongest signal first; units without a reading last; then by address for a stable order.
pub(crate) fn sort_by_signal(list: &mut [Advertisement]) {
    list.sort_by(|a, b| {
        let key = |x: &Advertisement| x.rssi.map_or(i32::MIN, i32::from);
        key(b).cmp(&key(a)).then_with(|| a.address.cmp(&b.address))
    });
}

/// Whether an advertisement's services include the JK service.
pub(crate) fn advertises_jk_service(services: &[uuid::Uuid]) -> bool {
    services.contains(&JK_SERVICE)
}

//! Bluetooth LE through btleplug. OWNER: BLE helper.

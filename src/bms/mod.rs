//! Talking to a JK BMS: the data model, the frame codec, and the links (simulated and BLE).

pub mod ble;
pub mod capture;
pub mod decode;
pub mod frame;
pub mod json;
pub mod link;
pub mod model;
pub mod recorder;
pub mod replay;
pub mod session;
pub mod sim;

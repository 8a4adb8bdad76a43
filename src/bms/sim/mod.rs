//! The simulated JK BMS: a unit with a pack behind it that answers the real commands with real
//! frames. OWNER: simulator helper.

//! Cells, leads and pins: which pin of which plug each balance wire lands on.

use super::*;

/// A cell of the series string, counted from pack minus: cell 1 sits on the black wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CellIndex(pub u32);

impl CellIndex {
    /// The cell number, 1-based.
    pub fn get(self) -> u32 {
        self.0
    }

    /// The balance wire that carries this cell's plus (wire 1 is pack minus).
    pub fn tap_wire(self) -> u32 {
        self.0 + 1
    }
}

impl fmt::Display for CellIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cell {}", self.0)
    }
}

/// A pin of a balance plug, both counted from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PinRef {
    /// Plug 1 holds the black wire.
    pub plug: u32,
    /// Pin within the plug.
    pub pin: u32,
}

impl fmt::Display for PinRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "plug {} pin {}", self.plug, self.pin)
    }
}

/// How many balance wires (pins) the model has over all its plugs.
pub fn wire_count(model: &ModelSpec) -> u32 {
    model.plugs.iter().sum()
}

/// Where balance wire `wire` (1 = pin 1 of plug 1, pack minus) lands. Wires past the model's
/// last pin keep counting on the last plug, so a report on an oversized pack still reads sanely.
pub fn pin_of_wire(model: &ModelSpec, wire: u32) -> PinRef {
    let mut before = 0;
    for (i, &pins) in model.plugs.iter().enumerate() {
        if wire <= before + pins || i + 1 == model.plugs.len() {
            return PinRef {
                plug: i as u32 + 1,
                pin: wire.saturating_sub(before),
            };
        }
        before += pins;
    }
    PinRef { plug: 1, pin: wire }
}

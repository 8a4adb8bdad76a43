//! Training: fault scenarios a trainer stages on the simulated BMS, the careful trainee a
//! headless check plays, and the judgement of what was caught where.
//!
//! Everything here is pure except reading scenario files: the simulator is reached through
//! values (`SimUnit`) and faults are returned for the caller to inject.

pub mod judge;
pub mod meter;
pub mod scenario;
pub mod shipped;
pub mod stage;
pub mod trainee;

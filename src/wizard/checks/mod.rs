//! One pure function per kind of gate.

//! The terminal UI: event loop, views, keys.

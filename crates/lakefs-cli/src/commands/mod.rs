//! The commands for the rest of the API, the emulator, checkpoints and the configuration.

pub(crate) mod api;
pub(crate) mod checkpoint;
pub(crate) mod config;
pub(crate) mod emulator;
pub(crate) mod pulls;

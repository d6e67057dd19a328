//! What the commands other than `upload` and `bench` do (those have modules of their own): the
//! rest of the API, the emulator, checkpoints and the configuration. Their arguments are
//! parsed in `crate::cli`.

pub(crate) mod api;
pub(crate) mod checkpoint;
pub(crate) mod config;
pub(crate) mod emulator;
pub(crate) mod pulls;

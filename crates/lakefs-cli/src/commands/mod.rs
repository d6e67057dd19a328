//! What the commands other than `upload` and `bench` do (those have modules of their own):
//! objects (`ls`, `stat`, `rm`), commits (`commit`, `log`), branches and their changes
//! (`branch`, `diff`), the experimental API, the emulator, checkpoints and the configuration.
//! Their arguments are parsed in `crate::cli`.

pub(crate) mod api;
pub(crate) mod branches;
pub(crate) mod checkpoint;
pub(crate) mod commits;
pub(crate) mod config;
pub(crate) mod diff;
pub(crate) mod emulator;
pub(crate) mod objects;
pub(crate) mod pulls;
pub(crate) mod remove;

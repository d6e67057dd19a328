//! Python bindings for the lakeFS upload and download engines: the extension module
//! `lakefs_transfer._native`, which the pure-Python package `lakefs_transfer` (in `python/`)
//! re-exports. Built with maturin (`pyproject.toml`); `README.md` has the Python API.
//!
//! Each file is one topic: [`client`] the `Client` class and its settings ([`config`]),
//! [`upload`], [`download`] (with the chunk iterator of `read`), [`session`] (one object from
//! many processes), [`source`] (what an upload reads from), [`progress`], [`errors`] (Rust
//! errors to Python exceptions), [`runtime`] (the tokio runtime, and waiting with Ctrl-C
//! checked) and [`convert`] (JSON values to Python objects and back).

// PyO3's macros expand to items the workspace lints cannot see as documented or crate-local.
#![allow(missing_docs, unreachable_pub)]

use pyo3::prelude::*;

mod client;
mod config;
mod convert;
mod download;
mod errors;
mod progress;
mod runtime;
mod session;
mod source;
mod upload;

/// The compiled part of `lakefs_transfer`: import `lakefs_transfer`, not this.
#[pymodule]
#[pyo3(name = "_native")]
fn native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<client::Client>()?;
    module.add_class::<download::ObjectChunks>()?;
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

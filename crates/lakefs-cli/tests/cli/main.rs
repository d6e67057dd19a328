//! Tests that run the real `lakefs-cli` binary.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    unreachable_pub
)]

mod common;

mod bench;
mod cat_memory;
mod commands;
mod config;
mod download;
mod errors;
mod help;
mod history;
mod interrupt;
mod logging;
mod objects;
mod sync;
mod upload;
mod workflow;
mod workflow_process;

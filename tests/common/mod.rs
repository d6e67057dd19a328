//! Shared by the root package's integration tests.
#![allow(dead_code, unreachable_pub)]

pub mod s3;

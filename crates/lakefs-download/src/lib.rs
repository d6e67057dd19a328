//! A parallel, verified, resumable download engine for lakeFS.

#![forbid(unsafe_code)]

mod verify;

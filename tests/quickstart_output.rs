//! What a person sees from the quickstart: it runs (against the emulator it starts), and its
//! output is written for people — no Rust `Debug` dump, no Unix timestamps, sizes in units,
//! and the download's verification said in words.
//!
//! The example binary is built by `cargo test` (examples are compiled with the tests); this
//! test runs it as a user would, with a small object so that a debug build stays quick.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;

/// `target/<profile>/examples/quickstart`, beside this test's own binary in `deps/`.
fn quickstart() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps/<test>");
    let path = profile_dir
        .join("examples")
        .join(format!("quickstart{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: `cargo test --workspace` builds the examples (run it, or `cargo build --example quickstart`)",
        path.display()
    );
    // A binary older than its sources would test yesterday's quickstart.
    let built = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .expect("its mtime");
    for source in ["examples/quickstart.rs", "examples/common/mod.rs"] {
        let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(source);
        let changed = std::fs::metadata(&source)
            .and_then(|m| m.modified())
            .expect("source mtime");
        assert!(
            built >= changed,
            "{} is older than {}: `cargo test --workspace` (or `cargo build --example quickstart`) rebuilds it",
            path.display(),
            source.display()
        );
    }
    path
}

#[test]
fn the_quickstart_prints_what_a_person_wants_to_read() {
    let output = Command::new(quickstart())
        .args(["--size-mib", "24"])
        // The emulator it starts, whatever the environment names.
        .env_remove("LAKECTL_SERVER_ENDPOINT_URL")
        .env_remove("LAKECTL_CREDENTIALS_ACCESS_KEY_ID")
        .env_remove("LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY")
        .output()
        .expect("the quickstart runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let text = format!("{stdout}{stderr}");

    // No Debug dump: `Name { field: … }` or `Some(…)`.
    let debug_dump = text.lines().find(|line| {
        line.contains("Some(")
            || line.contains(": Some")
            || line
                .split_whitespace()
                .zip(line.split_whitespace().skip(1))
                .any(|(a, b)| b == "{" && a.chars().next().is_some_and(char::is_uppercase))
    });
    assert_eq!(debug_dump, None, "a Debug dump in:\n{text}");
    assert!(!text.contains("Unix time"), "{text}");
    // Sizes in units, the verification in words, a time as a date.
    assert!(text.contains("uploaded 24.00 MiB in "), "{text}");
    assert!(text.contains("24.00 MiB, checksum "), "{text}");
    assert!(
        text.contains("multipart ETag verified (3 parts of 8 MiB)"),
        "{text}"
    );
    assert!(
        text.contains("valid until ") && text.contains(" GMT, in "),
        "{text}"
    );
    assert!(text.contains("1 principal\n"), "{text}");
    // No raw byte counts such as "25165824 bytes".
    assert!(!text.contains(&(24u64 << 20).to_string()), "{text}");
}

//! `-v` and `RUST_LOG`: the libraries' events — retries, URL refreshes, the abort of a failed
//! upload — on stderr, never with a secret.

use std::time::Duration;

use lakefs_emulator::DEFAULT_SECRET_ACCESS_KEY;

use crate::common::*;

const MIB: usize = 1024 * 1024;

/// No secret and no presigned URL's signature in `text`.
fn assert_no_secret(text: &str) {
    for secret in [
        DEFAULT_SECRET_ACCESS_KEY,
        "X-Amz-Signature",
        "X-Amz-Credential",
        "X-Amz-Security-Token",
        "authorization:",
        "Authorization:",
    ] {
        assert!(!text.contains(secret), "{secret} in:\n{text}");
    }
}

#[test]
fn verbose_logs_retries_url_refreshes_and_aborts_without_secrets() {
    let server = Server::start();
    let home = TempDir::new("log-verbose");
    let file = home.join("big.bin");
    let bytes = data(6 * MIB, 21);
    std::fs::write(&file, &bytes).unwrap();
    // URLs that expire within the refresh margin: each part's is refreshed; the first PUT is
    // throttled once.
    server.emulator.set_part_url_expiry(Duration::from_secs(30));
    server.gates.part_failures.lock().unwrap().push_back(503);
    let upload = |verbose: Option<&str>, env: Option<&str>, dest: &str| {
        let mut command = server.command(&home);
        if let Some(filter) = env {
            command.env("RUST_LOG", filter);
        } else {
            command.env_remove("RUST_LOG");
        }
        run(command
            .args(verbose)
            .args(["upload", "--no-skip", "--part-size", "5MiB", "-c", "1"])
            .arg(&file)
            .arg(dest))
    };
    let output = upload(Some("-v"), None, "lakefs://example-repo/main/a.bin");
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = stderr(&output);
    assert!(
        text.contains("DEBUG lakefs_multipart::put: retrying a part"),
        "{text}"
    );
    assert!(text.contains("SlowDown"), "{text}");
    assert!(
        text.contains("DEBUG lakefs_multipart::put: refreshed a part's presigned URL"),
        "{text}"
    );
    assert_no_secret(&text);
    assert_eq!(server.object("a.bin").unwrap(), bytes);

    // Without -v or RUST_LOG: none of it.
    server.gates.part_failures.lock().unwrap().push_back(503);
    let output = upload(None, None, "lakefs://example-repo/main/b.bin");
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(stderr(&output), "");

    // A part refused for good: the abort of the failed upload is logged. RUST_LOG chooses.
    server.gates.part_failures.lock().unwrap().push_back(400);
    let output = upload(
        None,
        Some("lakefs_multipart=debug"),
        "lakefs://example-repo/main/c.bin",
    );
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let text = stderr(&output);
    assert!(
        text.contains("DEBUG lakefs_multipart::outcome: aborted the upload upload_id="),
        "{text}"
    );
    assert!(!text.contains("retrying a part"), "{text}");
    assert_no_secret(&text);
    assert_eq!(server.emulator.open_uploads(), 0);

    // -vv: the dependencies' informational events too, still no secret.
    server.gates.part_failures.lock().unwrap().push_back(503);
    let output = upload(Some("-vv"), None, "lakefs://example-repo/main/d.bin");
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_no_secret(&stderr(&output));
}

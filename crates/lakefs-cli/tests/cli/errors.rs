//! Bad input: clear errors (`error:` / `caused by:`, never `Debug`), the right exit code, and
//! nothing already uploaded lost.

use lakefs_emulator::DEFAULT_SECRET_ACCESS_KEY;

use crate::common::*;

/// No Rust `Debug` output: no struct braces, no `Some(`/`Err(`, no quoted field dumps.
fn assert_human(text: &str) {
    for debug in [" { ", "Some(", "Err(", "Ok(", "Error {", "kind:"] {
        assert!(
            !text.contains(debug),
            "looks like Debug ({debug:?}):\n{text}"
        );
    }
    assert!(
        text.lines().next().is_some_and(|l| l.starts_with("error:")),
        "{text}"
    );
}

#[test]
fn a_malformed_lakefs_uri_is_a_usage_error() {
    let server = Server::start();
    let home = TempDir::new("err-uri");
    let file = home.join("a.txt");
    std::fs::write(&file, "a").unwrap();
    for uri in [
        "s3://bucket/key",
        "lakefs://",
        "lakefs://Not_A_Repo/main/x",
        "lakefs://example-repo",
    ] {
        let output = run(server.command(&home).arg("upload").arg(&file).arg(uri));
        assert_eq!(code(&output), 2, "{uri}: {}", stderr(&output));
        let text = stderr(&output);
        assert!(
            text.contains("lakefs://REPOSITORY/BRANCH/PATH"),
            "{uri}: {text}"
        );
    }
    let output = run(server
        .command(&home)
        .args(["pr", "list", "lakefs://example-repo/main"]));
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("lakefs://REPOSITORY"));
    assert_eq!(server.emulator.open_uploads(), 0);
}

#[test]
fn a_missing_file_fails_with_its_cause() {
    let server = Server::start();
    let home = TempDir::new("err-missing");
    let output = run(server.command(&home).args([
        "upload",
        "no-such-file.bin",
        "lakefs://example-repo/main/x",
    ]));
    assert_eq!(code(&output), 1);
    let text = stderr(&output);
    assert_human(&text);
    assert!(
        text.contains("error: cannot read no-such-file.bin"),
        "{text}"
    );
    assert!(
        text.contains("caused by: No such file or directory"),
        "{text}"
    );
}

#[test]
fn an_unknown_flag_is_a_usage_error() {
    let home = TempDir::new("err-flag");
    let output = run(lakefs(&home).args([
        "upload",
        "--frobnicate",
        "a",
        "lakefs://example-repo/main/a",
    ]));
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("error: unexpected argument '--frobnicate'"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_wrong_secret_fails_clearly_keeps_it_secret_and_loses_nothing() {
    let server = Server::start();
    let home = TempDir::new("err-secret");
    let first = home.join("first.txt");
    std::fs::write(&first, "first\n").unwrap();
    let output = run(server
        .command(&home)
        .arg("upload")
        .arg(&first)
        .arg("lakefs://example-repo/main/first.txt"));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let second = home.join("second.txt");
    std::fs::write(&second, "second\n").unwrap();
    let wrong = "wrong-secret-0123456789";
    let output = run(server
        .command(&home)
        .args(["--secret-access-key", wrong, "upload"])
        .arg(&second)
        .arg("lakefs://example-repo/main/second.txt"));
    assert_eq!(code(&output), 1);
    let text = stderr(&output);
    assert_human(&text);
    assert!(
        text.contains("caused by: statObject: unauthorized (401)"),
        "{text}"
    );
    assert!(
        !text.contains(wrong) && !text.contains(DEFAULT_SECRET_ACCESS_KEY),
        "{text}"
    );
    assert!(!stdout(&output).contains(wrong));
    assert_eq!(server.object("first.txt").unwrap(), "first\n");
    assert!(server.object("second.txt").is_none());
    assert_eq!(server.emulator.open_uploads(), 0);
    // A refused connection is explained the same way, with its cause.
    let output = run(lakefs(&home)
        .args([
            "--endpoint",
            "http://127.0.0.1:9",
            "--access-key-id",
            "k",
            "--secret-access-key",
            "s",
            "upload",
        ])
        .arg(&first)
        .arg("lakefs://example-repo/main/x"));
    assert_eq!(code(&output), 1);
    let text = stderr(&output);
    assert_human(&text);
    assert!(
        text.contains("could not connect to http://127.0.0.1:9"),
        "{text}"
    );
}

#[test]
fn an_unreadable_file_in_a_directory_fails_alone() {
    let server = Server::start();
    let home = TempDir::new("err-unreadable");
    let root = home.join("tree");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("a.txt"), "a").unwrap();
    std::fs::write(root.join("sub/b.txt"), "b").unwrap();
    std::fs::write(root.join("secret.txt"), "s").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            root.join("secret.txt"),
            std::fs::Permissions::from_mode(0o000),
        )
        .unwrap();
    }
    let mut command = server.command(&home);
    command
        .args(["--json", "upload", "-r"])
        .arg(&root)
        .arg("lakefs://example-repo/main/t/");
    if is_root() {
        // Root reads the file whatever its permissions: run as `nobody` if possible.
        match as_nobody(&command) {
            Some(nobody) => command = nobody,
            None => {
                eprintln!("running as root without setpriv: the unreadable-file check is skipped");
                return;
            }
        }
    }
    if cfg!(not(unix)) {
        return;
    }
    let output = run(&mut command);
    assert_eq!(server.object("t/a.txt").unwrap(), "a");
    assert_eq!(server.object("t/sub/b.txt").unwrap(), "b");
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains("error: cannot upload"), "{text}");
    assert!(text.contains("Permission denied"), "{text}");
    assert!(text.contains("uploaded 2 of 3 files"), "{text}");
    assert!(text.contains("1 failed:"), "{text}");
    assert!(
        text.contains("failed: ") && text.contains("secret.txt"),
        "{text}"
    );
    let results = json_lines(&stdout(&output));
    let failed: Vec<_> = results.iter().filter(|r| r["status"] == "failed").collect();
    assert_eq!(failed.len(), 1);
    assert!(failed[0]["error"]
        .as_str()
        .unwrap()
        .contains("Permission denied"));
    assert_eq!(server.emulator.open_uploads(), 0);
}

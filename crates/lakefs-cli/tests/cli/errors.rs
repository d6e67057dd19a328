//! Bad input: clear errors (`error:` / `caused by:`, never `Debug`), the right exit code, and
//! nothing already uploaded lost.

use std::sync::atomic::Ordering;

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
        text.contains("lakeFS rejected the credentials (401 Unauthorized"),
        "{text}"
    );
    assert!(
        text.contains(
            "note: check the access key id and the secret access key: `lakefs-cli config`"
        ),
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
    // A refused connection is one line with the address, and the next step; the causes
    // with -v.
    for verbose in [false, true] {
        let output = run(lakefs(&home)
            .args(verbose.then_some("-v"))
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
        // With -v, the log of the retries comes first.
        let text = stderr(&output);
        let text = &text[text.find("error:").unwrap()..];
        assert_human(text);
        assert!(
            text.lines()
                .next()
                .unwrap()
                .ends_with("cannot connect to lakeFS at http://127.0.0.1:9: connection refused"),
            "{text}"
        );
        assert!(text.contains("note: is lakeFS running there?"), "{text}");
        if verbose {
            assert!(
                text.contains("caused by: could not connect to http://127.0.0.1:9"),
                "{text}"
            );
        } else {
            assert_eq!(text.lines().count(), 2, "{text}");
        }
    }
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

/// A directory of `files` small files.
fn small_tree(home: &TempDir, files: usize) -> std::path::PathBuf {
    let root = home.join("tree");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    for n in 0..files {
        let dir = if n % 2 == 0 { "" } else { "sub/" };
        std::fs::write(root.join(format!("{dir}f{n}.txt")), format!("{n}\n")).unwrap();
    }
    root
}

/// The lines of `text` that start with `error:`.
fn error_lines(text: &str) -> usize {
    text.lines().filter(|l| l.starts_with("error:")).count()
}

#[test]
fn a_directory_upload_every_file_would_fail_stops_at_once_with_one_error() {
    let server = Server::start();
    let home = TempDir::new("err-dir-fatal");
    let root = small_tree(&home, 40);
    let wrong = "wrong-secret-0123456789";
    let cases: [(&str, &str, &[&str], &str, &str); 6] = [
        (
            "wrong secret",
            "lakefs://example-repo/main/t/",
            &["--secret-access-key", wrong],
            "lakeFS rejected the credentials (401 Unauthorized: error authenticating request)",
            "check the access key id and the secret access key: `lakefs-cli config`",
        ),
        (
            "wrong secret, --no-skip",
            "lakefs://example-repo/main/t/",
            &["--secret-access-key", wrong, "--no-skip"],
            "lakeFS rejected the credentials (401 Unauthorized: error authenticating request)",
            "check the access key id and the secret access key: `lakefs-cli config`",
        ),
        (
            "unknown branch",
            "lakefs://example-repo/no-such-branch/t/",
            &[],
            "no such repository or ref (404 Not Found)",
            "`lakefs-cli branch list lakefs://REPOSITORY`",
        ),
        (
            "unknown branch, --no-skip",
            "lakefs://example-repo/no-such-branch/t/",
            &["--no-skip"],
            "no such repository or branch (404 Not Found: branch 'no-such-branch' not found)",
            "`lakefs-cli branch list lakefs://REPOSITORY`",
        ),
        (
            "unknown repository, --no-skip",
            "lakefs://no-such-repo/main/t/",
            &["--no-skip"],
            "no such repository or branch (404 Not Found: repository not found)",
            "`lakefs-cli branch list lakefs://REPOSITORY`",
        ),
        (
            "unknown repository, --no-skip, --checkpoint",
            "lakefs://no-such-repo/main/t/",
            &["--no-skip", "--checkpoint"],
            "no such repository or branch (404 Not Found: repository not found)",
            "`lakefs-cli branch list lakefs://REPOSITORY`",
        ),
    ];
    for (what, dest, extra, wrong_how, next) in cases {
        server.clear_requests();
        let output = run(server
            .command(&home)
            .args(["upload", "-r"])
            .args(extra)
            .arg(&root)
            .arg(dest));
        assert_eq!(code(&output), 1, "{what}: {}", stderr(&output));
        let text = stderr(&output);
        assert_human(&text);
        assert_eq!(
            error_lines(&text),
            1,
            "{what}: one error, not one per file:\n{text}"
        );
        assert!(text.lines().count() <= 4, "{what}: a few lines:\n{text}");
        assert!(text.contains(wrong_how), "{what}: {text}");
        assert!(
            text.contains(&format!("note: {next}")) || text.contains(next),
            "{what}: {text}"
        );
        assert!(
            !text.contains("caused by:"),
            "{what}: the chain is for -v: {text}"
        );
        assert!(!text.contains(wrong), "{what}: {text}");
        // Stopped at once: no more upload creations than files in flight (8), not one per file.
        let (_, creates) = server.parts_and_creates();
        assert!(creates <= 8, "{what}: {creates} creations");
        assert_eq!(server.emulator.open_uploads(), 0, "{what}");
    }
    assert!(server.object("t/f0.txt").is_none());
    // With -v, the whole chain is there too.
    let output = run(server
        .command(&home)
        .args([
            "-v",
            "upload",
            "-r",
            "--no-skip",
            "--secret-access-key",
            wrong,
        ])
        .arg(&root)
        .arg("lakefs://example-repo/main/t/"));
    let text = stderr(&output);
    assert_eq!(error_lines(&text), 1, "{text}");
    assert!(
        text.contains("caused by: createPresignMultipartUpload: unauthorized (401)"),
        "{text}"
    );
}

#[test]
fn a_key_refused_mid_upload_stops_the_files_in_flight_and_leaves_nothing_open() {
    let server = Server::start();
    let home = TempDir::new("err-dir-midway");
    let root = small_tree(&home, 12);
    // Two uploads are created and their parts held; the third creation is refused.
    server.gates.hold_parts_from.store(1, Ordering::SeqCst);
    server.gates.refuse_creates_from.store(3, Ordering::SeqCst);
    let output = run_within(
        60,
        server
            .command(&home)
            .args(["upload", "-r", "--no-skip", "-c", "4"])
            .arg(&root)
            .arg("lakefs://example-repo/main/t/"),
    );
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let text = stderr(&output);
    assert_human(&text);
    assert_eq!(error_lines(&text), 1, "{text}");
    assert!(text.contains("lakeFS rejected the credentials"), "{text}");
    assert!(text.contains("stopped: uploaded 0 of 12 files"), "{text}");
    assert!(text.contains("2 stopped in flight"), "{text}");
    assert!(text.contains("nothing is left open on lakeFS"), "{text}");
    assert!(server.gates.creates.load(Ordering::SeqCst) <= 4);
    assert_eq!(
        server.emulator.open_uploads(),
        0,
        "the two in flight are aborted"
    );
    server.release();
}

#[test]
fn a_key_refused_mid_upload_keeps_checkpoints_that_the_same_command_finishes() {
    let server = Server::start();
    let home = TempDir::new("err-dir-midway-checkpoint");
    let root = small_tree(&home, 12);
    server.gates.hold_parts_from.store(1, Ordering::SeqCst);
    server.gates.refuse_creates_from.store(3, Ordering::SeqCst);
    let upload = |server: &Server| {
        run_within(
            60,
            server
                .command(&home)
                .args(["upload", "-r", "--no-skip", "-c", "4", "--checkpoint"])
                .arg(&root)
                .arg("lakefs://example-repo/main/t/"),
        )
    };
    let output = upload(&server);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let text = stderr(&output);
    assert_eq!(error_lines(&text), 1, "{text}");
    assert!(
        text.contains("2 stopped in flight (2 kept resumable)"),
        "{text}"
    );
    assert_eq!(server.emulator.open_uploads(), 2, "kept for the next run");
    let listed = run(server.command(&home).args(["checkpoint", "list"]));
    let listed = stdout(&listed);
    assert_eq!(
        listed.lines().count(),
        3,
        "two checkpoints and the journal:\n{listed}"
    );
    // The key works again: the same command finishes the upload and leaves nothing behind.
    server.gates.refuse_creates_from.store(0, Ordering::SeqCst);
    server.release();
    let output = upload(&server);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    for n in 0..12 {
        let dir = if n % 2 == 0 { "" } else { "sub/" };
        assert_eq!(
            server.object(&format!("t/{dir}f{n}.txt")).unwrap(),
            format!("{n}\n")
        );
    }
    assert_eq!(server.emulator.open_uploads(), 0);
    let listed = run(server.command(&home).args(["checkpoint", "list"]));
    assert_eq!(stdout(&listed), "");
}

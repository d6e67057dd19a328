//! Help texts, versions and usage errors.

use crate::common::*;

#[test]
fn top_level_help_lists_commands_configuration_and_exit_codes() {
    let home = TempDir::new("help");
    let output = run(lakefs(&home).arg("--help"));
    assert_eq!(code(&output), 0);
    let text = stdout(&output);
    for needle in [
        "upload",
        "ls",
        "stat",
        "rm",
        "commit",
        "diff",
        "log",
        "checkpoint",
        "principal",
        "branch",
        "sts",
        "pr",
        "emulator",
        "bench",
        "config",
        "LAKECTL_SERVER_ENDPOINT_URL",
        "~/.lakectl.yaml",
        "--emulator",
        "Exit codes:",
        "130",
        "usage",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
}

#[test]
fn upload_help_explains_options_resume_and_exit_codes() {
    let home = TempDir::new("help-upload");
    let output = run(lakefs(&home).args(["upload", "--help"]));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = stdout(&output);
    for needle in [
        "--recursive",
        "--part-size",
        "--concurrency",
        "--content-type",
        "--metadata",
        "--checkpoint",
        "--resume",
        "--verify",
        "--commit",
        "--dry-run",
        "--include",
        "--exclude",
        "--no-skip",
        "same size and the same checksum",
        "md5(md5(part 1) ‖ … ‖ md5(part n))-n",
        "wrongly skipped",
        "'**/*.csv'",
        "standard input",
        "Ctrl-C",
        "Exit codes:",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
}

#[test]
fn every_command_has_help() {
    let home = TempDir::new("help-all");
    for args in [
        &["checkpoint", "--help"][..],
        &["principal", "attach", "--help"],
        &["principal", "list", "--help"],
        &["branch", "hard-reset", "--help"],
        &["branch", "create", "--help"],
        &["branch", "list", "--help"],
        &["branch", "delete", "--help"],
        &["branch", "reset", "--help"],
        &["ls", "--help"],
        &["stat", "--help"],
        &["rm", "--help"],
        &["commit", "--help"],
        &["diff", "--help"],
        &["log", "--help"],
        &["sts", "login", "--help"],
        &["pr", "create", "--help"],
        &["pr", "update", "--help"],
        &["emulator", "--help"],
        &["bench", "--help"],
        &["bench", "small-files", "--help"],
        &["config", "--help"],
    ] {
        let output = run(lakefs(&home).args(args));
        assert_eq!(code(&output), 0, "{args:?}: {}", stderr(&output));
        assert!(stdout(&output).contains("Usage: lakefs-cli"), "{args:?}");
    }
    let output = run(lakefs(&home).arg("--version"));
    assert_eq!(code(&output), 0);
    assert!(stdout(&output).starts_with("lakefs-cli "));
}

#[test]
fn usage_errors_exit_2() {
    let home = TempDir::new("help-usage");
    for args in [
        &[][..],
        &["upload"],
        &[
            "upload",
            "a",
            "lakefs://example-repo/main/a",
            "--no-such-flag",
        ],
        &[
            "upload",
            "a",
            "lakefs://example-repo/main/a",
            "--concurrency",
            "0",
        ],
        &[
            "upload",
            "a",
            "lakefs://example-repo/main/a",
            "--part-size",
            "8 parsecs",
        ],
        &[
            "upload",
            "a",
            "lakefs://example-repo/main/a",
            "--metadata",
            "novalue",
        ],
        &["frobnicate"],
        &["ls"],
        &["ls", "s3://bucket/key"],
        &["stat", "lakefs://example-repo"],
        &["rm", "lakefs://example-repo/main/a", "--frobnicate"],
        &["commit", "lakefs://example-repo/main"],
        &["diff", "lakefs://example-repo"],
        &["log", "lakefs://example-repo/main", "--amount", "x"],
        &[
            "branch",
            "create",
            "lakefs://example-repo/-x",
            "--source",
            "lakefs://example-repo/main",
        ],
        &[
            "branch",
            "reset",
            "lakefs://example-repo/main",
            "--object",
            "a",
            "--prefix",
            "b",
        ],
    ] {
        let output = run(lakefs(&home).args(args));
        assert_eq!(code(&output), 2, "{args:?}: {}", stderr(&output));
        assert!(
            stderr(&output).contains("error:") || stderr(&output).contains("Usage:"),
            "{args:?}"
        );
    }
}

#[test]
fn a_wrong_concurrency_names_what_was_given_and_what_is_accepted() {
    let home = TempDir::new("help-concurrency");
    for (given, says) in [
        (
            "0",
            "is out of range: a number of parts must be from 1 to 256, or auto",
        ),
        ("lots", "is neither a number of parts (e.g. 8) nor auto"),
        ("auto:x", "is not auto:<most parts>, e.g. auto:32"),
        (
            "auto:999",
            "caps auto at 999 parts; the cap must be from 1 to 256",
        ),
    ] {
        for args in [
            ["upload", "a", "lakefs://example-repo/main/a"],
            ["download", "lakefs://example-repo/main/a", "a"],
        ] {
            let command = args[0];
            let output = run(lakefs(&home).args(args).args(["-c", given]));
            assert_eq!(code(&output), 2, "{command} -c {given}");
            let text = stderr(&output);
            assert!(
                text.contains(&format!("concurrency \"{given}\" {says}")),
                "{command} -c {given}: {text}"
            );
            assert!(text.lines().count() <= 4, "{command} -c {given}: {text}");
        }
    }
    // `auto` and `auto:N` are accepted: the command then fails on the missing file, not the flag.
    for given in ["auto", "auto:16", "12"] {
        let output = run(lakefs(&home).args([
            "upload",
            "no-such-file",
            "lakefs://example-repo/main/a",
            "-c",
            given,
        ]));
        assert!(
            !stderr(&output).contains("concurrency"),
            "-c {given}: {}",
            stderr(&output)
        );
    }
}

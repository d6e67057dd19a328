//! The rest of the API against the emulator: principals, hard reset, STS, pull requests; and
//! the `emulator` command itself.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use lakefs_emulator::{DEFAULT_STS_CODE, DEFAULT_STS_STATE};

use crate::common::*;

const ARN: &str = "arn:aws:iam::123456789012:role/etl";

#[test]
fn external_principals() {
    let server = Server::start();
    let home = TempDir::new("principals");
    let ok = |args: &[&str]| {
        let output = run(server.command(&home).args(args));
        assert_eq!(code(&output), 0, "{args:?}: {}", stderr(&output));
        stdout(&output)
    };
    assert!(ok(&["principal", "attach", "alice", ARN]).contains("attached"));
    assert_eq!(server.emulator.principals_of("alice"), [ARN]);
    let listed = ok(&["--json", "principal", "list", "alice", "--amount", "1"]);
    assert_eq!(json_lines(&listed)[0]["id"], ARN);
    assert!(ok(&["principal", "get", ARN]).contains("user alice"));
    let output = run(server
        .command(&home)
        .args(["principal", "attach", "alice", ARN]));
    assert_eq!(code(&output), 1);
    assert!(
        stderr(&output).contains("conflict (409)"),
        "{}",
        stderr(&output)
    );
    ok(&["principal", "detach", "alice", ARN]);
    assert!(server.emulator.principals_of("alice").is_empty());
    let output = run(server.command(&home).args(["principal", "get", ARN]));
    assert_eq!(code(&output), 1);
    assert!(stderr(&output).contains("not found (404)"));
}

#[test]
fn hard_reset_and_sts_login() {
    let server = Server::start();
    let home = TempDir::new("reset-sts");
    let main = server.emulator.head(REPO, "main").unwrap();
    let feature = server.emulator.head(REPO, "feature").unwrap();
    let reset = [
        "branch",
        "hard-reset",
        "lakefs://example-repo/feature",
        "main",
    ];
    // Destructive: without a terminal to ask on, --yes is needed, and nothing happens.
    let output = run(server.command(&home).args(reset));
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert!(stderr(&output).contains("--yes"), "{}", stderr(&output));
    assert_eq!(server.emulator.head(REPO, "feature").unwrap(), feature);
    let output = run(server.command(&home).args(reset).arg("--yes"));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(server.emulator.head(REPO, "feature").unwrap(), main);
    let login = [
        "sts",
        "login",
        "--code",
        DEFAULT_STS_CODE,
        "--state",
        DEFAULT_STS_STATE,
        "--redirect-uri",
        "http://localhost/cb",
    ];
    let output = run(server.command(&home).args(login));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(stdout(&output).contains("--print-token"));
    // When the token expires, as a date and a delay, not a Unix time.
    let said = stdout(&output);
    assert!(
        said.contains("issued a token that expires 20") && said.contains(" UTC (in "),
        "{said}"
    );
    assert!(!said.contains("Unix"), "{said}");
    assert!(
        !stdout(&output).contains("eyJ"),
        "the token is not printed unasked"
    );
    let output = run(server.command(&home).args(login).arg("--print-token"));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let token = stdout(&output).trim().to_owned();
    assert!(token.len() > 10 && !token.contains(' '), "{token}");
    assert!(!stderr(&output).contains(&token));
    let output = run(server.command(&home).args([
        "sts",
        "login",
        "--code",
        "bad",
        "--state",
        "bad",
        "--redirect-uri",
        "http://x",
    ]));
    assert_eq!(code(&output), 1);
    assert!(stderr(&output).contains("error: STS login failed"));
}

#[test]
fn pull_requests() {
    let server = Server::start();
    let home = TempDir::new("pulls");
    let ok = |args: &[&str]| {
        let output = run(server.command(&home).args(args));
        assert_eq!(code(&output), 0, "{args:?}: {}", stderr(&output));
        stdout(&output)
    };
    let id = ok(&[
        "pr",
        "create",
        "lakefs://example-repo",
        "--title",
        "Add feature data",
        "--from",
        "feature",
        "--to",
        "main",
    ])
    .trim()
    .to_owned();
    assert!(!id.is_empty());
    let listed = json_lines(&ok(&[
        "--json",
        "pr",
        "list",
        "lakefs://example-repo",
        "--status",
        "open",
    ]));
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], id.as_str());
    ok(&[
        "pr",
        "update",
        "lakefs://example-repo",
        &id,
        "--title",
        "Feature data",
        "--description",
        "from the CLI",
    ]);
    let shown = json_lines(&ok(&["--json", "pr", "get", "lakefs://example-repo", &id])).remove(0);
    assert_eq!(shown["title"], "Feature data");
    assert_eq!(shown["description"], "from the CLI");
    assert!(ok(&["pr", "get", "lakefs://example-repo", &id]).contains("status:      open"));
    assert!(ok(&["pr", "merge", "lakefs://example-repo", &id]).contains("merged pull request"));
    assert_eq!(
        server
            .emulator
            .pull_request(REPO, &id)
            .unwrap()
            .status
            .as_str(),
        "merged"
    );
    let output = run(server
        .command(&home)
        .args(["pr", "merge", "lakefs://example-repo", &id]));
    assert_eq!(code(&output), 1);
    assert!(
        stderr(&output).contains("note: if the answer was lost"),
        "{}",
        stderr(&output)
    );
    let output = run(server
        .command(&home)
        .args(["pr", "update", "lakefs://example-repo", &id]));
    assert_eq!(code(&output), 2);
}

#[test]
fn the_emulator_command_serves_until_sigint() {
    let home = TempDir::new("emulator-cmd");
    let mut child = lakefs(&home)
        .args(["emulator", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();
    let exports: Vec<String> = lines.by_ref().take(3).map(Result::unwrap).collect();
    assert!(exports[0].starts_with("export LAKECTL_SERVER_ENDPOINT_URL="));
    let file = home.join("a.txt");
    std::fs::write(&file, "served").unwrap();
    let output = run(lakefs(&home)
        .env("LAKECTL_SERVER_ENDPOINT_URL", &url)
        .env(
            "LAKECTL_CREDENTIALS_ACCESS_KEY_ID",
            lakefs_emulator::DEFAULT_ACCESS_KEY_ID,
        )
        .env(
            "LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY",
            lakefs_emulator::DEFAULT_SECRET_ACCESS_KEY,
        )
        .arg("upload")
        .arg(&file)
        .arg("lakefs://example-repo/main/a.txt"));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    interrupt(child.id());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
}

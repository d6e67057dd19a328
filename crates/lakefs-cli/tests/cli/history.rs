//! `commit`, `log`, `diff` and `branch` against the emulator: text and JSON, errors and notes,
//! confirmations.

use crate::common::*;

fn ok(server: &Server, home: &TempDir, args: &[&str]) -> String {
    let output = run(server.command(home).args(args));
    assert_eq!(code(&output), 0, "{args:?}: {}", stderr(&output));
    stdout(&output)
}

fn put(server: &Server, branch: &str, path: &str, content: &str) {
    assert!(server
        .emulator
        .put_object(REPO, branch, path, content.to_owned()));
}

#[test]
fn diff_commit_and_log() {
    let server = Server::start();
    let home = TempDir::new("history");
    put(&server, "main", "old.txt", "old\n");
    server.emulator.commit(REPO, "main", "add old.txt").unwrap();
    put(&server, "main", "new.csv", "n\n");
    put(&server, "main", "data/example.csv", "changed\n");
    ok(
        &server,
        &home,
        &["rm", "lakefs://example-repo/main/old.txt"],
    );

    let diff = ok(&server, &home, &["diff", "lakefs://example-repo/main"]);
    assert_eq!(
        diff.lines().collect::<Vec<_>>(),
        [
            "~ changed data/example.csv",
            "+ added new.csv",
            "- removed old.txt"
        ]
    );
    let changes = json_lines(&ok(
        &server,
        &home,
        &["--json", "diff", "lakefs://example-repo/main"],
    ));
    assert_eq!(changes.len(), 3);
    assert_eq!(changes[1]["type"], "added");
    assert_eq!(changes[1]["path"], "new.csv");
    assert_eq!(changes[1]["path_type"], "object");
    assert_eq!(changes[2]["type"], "removed");

    let text = ok(
        &server,
        &home,
        &[
            "commit",
            "lakefs://example-repo/main",
            "-m",
            "first",
            "--meta",
            "k=v",
            "--meta",
            "a=b",
        ],
    );
    let head = server.emulator.head(REPO, "main").unwrap();
    assert!(
        text.starts_with("committed lakefs://example-repo/main\n"),
        "{text}"
    );
    assert!(text.contains(&format!("id:        {head}")), "{text}");
    assert!(text.contains("message:   first"), "{text}");
    assert!(text.contains("metadata:  a=b, k=v"), "{text}");
    assert!(text.contains(" UTC"), "{text}");

    // Nothing left to commit: diff says so; commit explains lakeFS's refusal.
    let output = run(server
        .command(&home)
        .args(["diff", "lakefs://example-repo/main"]));
    assert_eq!(code(&output), 0);
    assert_eq!(stdout(&output), "");
    assert!(stderr(&output).contains("has no uncommitted changes"));
    let output =
        run(server
            .command(&home)
            .args(["commit", "lakefs://example-repo/main", "-m", "again"]));
    assert_eq!(code(&output), 1);
    let text = stderr(&output);
    assert!(
        text.starts_with("error: cannot commit lakefs://example-repo/main\n"),
        "{text}"
    );
    assert!(text.contains("commit: no changes"), "{text}");
    assert!(
        text.contains("note: lakefs://example-repo/main has no uncommitted changes"),
        "{text}"
    );
    assert!(text.contains("--allow-empty"), "{text}");
    assert_eq!(server.emulator.head(REPO, "main").unwrap(), head);

    let empty = json_lines(&ok(
        &server,
        &home,
        &[
            "--json",
            "commit",
            "lakefs://example-repo/main",
            "-m",
            "empty",
            "--allow-empty",
        ],
    ))
    .remove(0);
    assert_eq!(empty["committed"], "lakefs://example-repo/main");
    assert_eq!(empty["commit"]["message"], "empty");
    assert_eq!(empty["commit"]["parents"][0], head.as_str());
    let empty_id = empty["commit"]["id"].as_str().unwrap().to_owned();

    // An empty message, a bad metadata entry: usage errors.
    for bad in [
        &["commit", "lakefs://example-repo/main", "-m", " "][..],
        &[
            "commit",
            "lakefs://example-repo/main",
            "-m",
            "x",
            "--meta",
            "novalue",
        ],
        &["commit", "lakefs://example-repo/main/path", "-m", "x"],
    ] {
        let output = run(lakefs(&home).args(bad));
        assert_eq!(code(&output), 2, "{bad:?}: {}", stderr(&output));
    }

    // The log, newest first.
    let log = ok(
        &server,
        &home,
        &["log", "lakefs://example-repo/main", "--amount", "2"],
    );
    let ids: Vec<&str> = log
        .lines()
        .filter_map(|l| l.strip_prefix("ID:            "))
        .collect();
    assert_eq!(ids, [empty_id.as_str(), head.as_str()], "{log}");
    assert!(log.contains("Author:        admin"), "{log}");
    assert!(log.contains("\n    empty\n"), "{log}");
    assert!(log.contains("\n    first\n"), "{log}");
    assert!(log.contains("    a = b\n    k = v"), "{log}");
    let all = json_lines(&ok(
        &server,
        &home,
        &["--json", "log", "lakefs://example-repo/main"],
    ));
    let messages: Vec<&str> = all.iter().map(|c| c["message"].as_str().unwrap()).collect();
    assert_eq!(
        messages,
        [
            "empty",
            "first",
            "add old.txt",
            "add data",
            "Repository created"
        ]
    );
    assert_eq!(all[1]["metadata"]["k"], "v");
    // Any ref: an expression, a commit id.
    let previous = ok(
        &server,
        &home,
        &["log", "lakefs://example-repo/main~1", "--amount", "1"],
    );
    assert!(
        previous.contains(&format!("ID:            {head}")),
        "{previous}"
    );
    let output = run(lakefs(&home).args(["log", "lakefs://example-repo/main", "--amount", "0"]));
    assert_eq!(code(&output), 2);
    let output = run(server
        .command(&home)
        .args(["log", "lakefs://example-repo/no-such-ref"]));
    assert_eq!(code(&output), 1);
    assert!(
        stderr(&output).contains("not found (404)"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn branches_are_created_listed_reset_and_deleted() {
    let server = Server::start();
    let home = TempDir::new("branches");
    let main = server.emulator.head(REPO, "main").unwrap();
    let text = ok(
        &server,
        &home,
        &[
            "branch",
            "create",
            "lakefs://example-repo/dev",
            "--source",
            "lakefs://example-repo/main",
        ],
    );
    assert_eq!(
        text.trim(),
        format!("created branch lakefs://example-repo/dev from lakefs://example-repo/main at commit {main}")
    );
    assert_eq!(server.emulator.head(REPO, "dev").unwrap(), main);
    let output = run(server.command(&home).args([
        "branch",
        "create",
        "lakefs://example-repo/dev",
        "--source",
        "lakefs://example-repo/feature",
    ]));
    assert_eq!(code(&output), 1);
    assert!(
        stderr(&output).contains("conflict (409)"),
        "{}",
        stderr(&output)
    );
    for bad in [
        &[
            "branch",
            "create",
            "lakefs://example-repo/x",
            "--source",
            "lakefs://other-repo/main",
        ][..],
        &[
            "branch",
            "create",
            "lakefs://example-repo/bad.name",
            "--source",
            "lakefs://example-repo/main",
        ],
        &["branch", "create", "lakefs://example-repo/x"],
    ] {
        let output = run(lakefs(&home).args(bad));
        assert_eq!(code(&output), 2, "{bad:?}: {}", stderr(&output));
    }

    let list = ok(&server, &home, &["branch", "list", "lakefs://example-repo"]);
    let names: Vec<&str> = list
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(names, ["dev", "feature", "main"]);
    assert!(list.contains(&format!("main     {main}")), "{list}");
    let listed = json_lines(&ok(
        &server,
        &home,
        &[
            "--json",
            "branch",
            "list",
            "lakefs://example-repo",
            "--prefix",
            "fe",
        ],
    ));
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], "feature");
    assert!(listed[0]["commit_id"].as_str().is_some());

    // reset: discards uncommitted changes, after confirmation.
    put(&server, "dev", "tmp/a", "a");
    put(&server, "dev", "tmp/b", "b");
    put(&server, "dev", "keep", "k");
    let reset = [
        "branch",
        "reset",
        "lakefs://example-repo/dev",
        "--prefix",
        "tmp/",
    ];
    let output = run(server.command(&home).args(reset));
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("--yes"), "{}", stderr(&output));
    assert!(server.emulator.object(REPO, "dev", "tmp/a").is_some());
    let text = ok(&server, &home, &[&reset[..], &["--yes"]].concat());
    assert!(
        text.contains("discarded the uncommitted changes of tmp/"),
        "{text}"
    );
    assert!(server.emulator.object(REPO, "dev", "tmp/a").is_none());
    let diff = ok(&server, &home, &["diff", "lakefs://example-repo/dev"]);
    assert_eq!(diff.trim(), "+ added keep");
    ok(
        &server,
        &home,
        &["branch", "reset", "lakefs://example-repo/dev", "-y"],
    );
    assert!(server.emulator.object(REPO, "dev", "keep").is_none());

    // delete: after confirmation; the default branch cannot be.
    let output = run(server
        .command(&home)
        .args(["branch", "delete", "lakefs://example-repo/dev"]));
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output)
            .contains("refusing to delete branch lakefs://example-repo/dev without --yes"),
        "{}",
        stderr(&output)
    );
    assert!(server.emulator.head(REPO, "dev").is_some());
    let deleted = json_lines(&ok(
        &server,
        &home,
        &[
            "--json",
            "branch",
            "delete",
            "lakefs://example-repo/dev",
            "--yes",
        ],
    ));
    assert_eq!(deleted[0]["deleted"], "lakefs://example-repo/dev");
    assert!(server.emulator.head(REPO, "dev").is_none());
    let output =
        run(server
            .command(&home)
            .args(["branch", "delete", "-y", "lakefs://example-repo/main"]));
    assert_eq!(code(&output), 1);
    assert!(
        stderr(&output).contains("forbidden (403)"),
        "{}",
        stderr(&output)
    );
}

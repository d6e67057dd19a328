//! `ls`, `stat` and `rm` against the emulator: text and JSON, refs, prefixes, confirmations.

use crate::common::*;

fn ok(server: &Server, home: &TempDir, args: &[&str]) -> String {
    let output = run(server.command(home).args(args));
    assert_eq!(code(&output), 0, "{args:?}: {}", stderr(&output));
    stdout(&output)
}

fn put(server: &Server, path: &str, len: usize) {
    assert!(server
        .emulator
        .put_object(REPO, "main", path, data(len, path.len() as u64)));
}

#[test]
fn ls_lists_one_level_or_everything_at_any_ref() {
    let server = Server::start();
    let home = TempDir::new("ls");
    let committed = server.emulator.head(REPO, "main").unwrap();
    put(&server, "data/sub/x.bin", 1536);
    put(&server, "data/y.txt", 12);
    put(&server, "top.txt", 3 << 20);

    let root = ok(&server, &home, &["ls", "lakefs://example-repo/main/"]);
    let lines: Vec<&str> = root.lines().collect();
    assert_eq!(lines.len(), 2, "{root}");
    assert!(lines[0].starts_with("common_prefix") && lines[0].ends_with("  data/"));
    assert!(lines[1].starts_with("object") && lines[1].ends_with("  top.txt"));
    assert!(
        lines[1].contains("3 MiB") && lines[1].contains(" UTC"),
        "{root}"
    );

    // One level below a prefix: paths below its last /, as lakectl shows them.
    let data = ok(&server, &home, &["ls", "lakefs://example-repo/main/data/"]);
    let names: Vec<&str> = data
        .lines()
        .map(|l| l.rsplit("  ").next().unwrap())
        .collect();
    assert_eq!(names, ["example.csv", "sub/", "y.txt"], "{data}");
    assert!(data.contains("12 B"), "{data}");

    // Recursive: every object, full paths.
    let all = ok(
        &server,
        &home,
        &["ls", "-r", "lakefs://example-repo/main/data"],
    );
    let names: Vec<&str> = all
        .lines()
        .map(|l| l.rsplit("  ").next().unwrap())
        .collect();
    assert_eq!(
        names,
        ["data/example.csv", "data/sub/x.bin", "data/y.txt"],
        "{all}"
    );
    assert!(all.contains("1.5 KiB"), "{all}");

    // JSON: one line per entry, as lakeFS describes it.
    let entries = json_lines(&ok(
        &server,
        &home,
        &["--json", "ls", "lakefs://example-repo/main/data/"],
    ));
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[1]["path"], "data/sub/");
    assert_eq!(entries[1]["path_type"], "common_prefix");
    assert_eq!(entries[2]["path"], "data/y.txt");
    assert_eq!(entries[2]["path_type"], "object");
    assert_eq!(entries[2]["size_bytes"], 12);
    assert!(entries[2]["checksum"].as_str().unwrap().len() >= 32);
    assert!(entries[2]["mtime"].as_i64().unwrap() > 0);
    let recursive = json_lines(&ok(
        &server,
        &home,
        &["--json", "ls", "--recursive", "lakefs://example-repo/main"],
    ));
    assert_eq!(recursive.len(), 4);
    assert!(recursive.iter().all(|e| e["path_type"] == "object"));

    // At the commit before the new objects: only what it holds.
    let old = ok(
        &server,
        &home,
        &["ls", "-r", &format!("lakefs://example-repo/{committed}/")],
    );
    assert_eq!(old.lines().count(), 1, "{old}");
    assert!(old.contains("data/example.csv"));

    // Nothing below a prefix: no line, a message on stderr.
    let output = run(server
        .command(&home)
        .args(["ls", "lakefs://example-repo/main/nothing/"]));
    assert_eq!(code(&output), 0);
    assert_eq!(stdout(&output), "");
    assert!(
        stderr(&output).contains("nothing under"),
        "{}",
        stderr(&output)
    );

    // An unknown ref fails; a malformed URI is a usage error.
    let output = run(server
        .command(&home)
        .args(["ls", "lakefs://example-repo/no-such-ref/"]));
    assert_eq!(code(&output), 1);
    assert!(stderr(&output).starts_with("error: cannot list lakefs://example-repo/no-such-ref/"));
    assert!(
        stderr(&output).contains("no such repository or ref (404 Not Found)"),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("`lakefs-cli branch list lakefs://REPOSITORY`"),
        "{}",
        stderr(&output)
    );
    let output = run(lakefs(&home).args(["ls", "lakefs://example-repo"]));
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("lakefs://REPOSITORY/REF/PATH"));
}

#[test]
fn stat_shows_an_objects_stats() {
    let server = Server::start();
    let home = TempDir::new("stat");
    let file = home.join("report.csv");
    std::fs::write(&file, "a,b\n1,2\n").unwrap();
    let output = run(server
        .command(&home)
        .args(["upload", "--content-type", "text/csv", "-m", "owner=etl"])
        .arg(&file)
        .arg("lakefs://example-repo/main/reports/report.csv"));
    assert_eq!(code(&output), 0, "{}", stderr(&output));

    let text = ok(
        &server,
        &home,
        &["stat", "lakefs://example-repo/main/reports/report.csv"],
    );
    for needle in [
        "path:              reports/report.csv",
        "size:              8 B (8 bytes)",
        "content type:      text/csv",
        "  owner = etl",
        "physical address:  ",
        " UTC",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    let checksum = server
        .emulator
        .object_stats(REPO, "main", "reports/report.csv")
        .unwrap()
        .checksum;
    assert!(
        text.contains(&format!("checksum:          {checksum}")),
        "{text}"
    );

    let json = json_lines(&ok(
        &server,
        &home,
        &[
            "--json",
            "stat",
            "lakefs://example-repo/main/reports/report.csv",
        ],
    ))
    .remove(0);
    assert_eq!(json["path"], "reports/report.csv");
    assert_eq!(json["size_bytes"], 8);
    assert_eq!(json["checksum"], checksum.as_str());
    assert_eq!(json["content_type"], "text/csv");
    assert_eq!(json["metadata"]["owner"], "etl");
    assert!(json["physical_address"]
        .as_str()
        .is_some_and(|a| !a.is_empty()));

    // At another ref: the committed object of the default setup.
    let text = ok(
        &server,
        &home,
        &["stat", "lakefs://example-repo/feature/data/feature.csv"],
    );
    assert!(text.contains("path:              data/feature.csv"));

    // A prefix is a usage error; a missing object says where to look.
    let output = run(lakefs(&home).args(["stat", "lakefs://example-repo/main/reports/"]));
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("names a prefix"),
        "{}",
        stderr(&output)
    );
    let output = run(server
        .command(&home)
        .args(["stat", "lakefs://example-repo/main/reports/nope.csv"]));
    assert_eq!(code(&output), 1);
    let text = stderr(&output);
    assert!(text.contains("not found (404)"), "{text}");
    assert!(
        text.contains("note: `lakefs-cli ls lakefs://example-repo/main/reports/`"),
        "{text}"
    );
}

#[test]
fn rm_deletes_one_object_or_a_directory_after_confirmation() {
    let server = Server::start();
    let home = TempDir::new("rm");
    for path in ["a/1", "a/2", "a/3", "a", "ab/x", "keep.txt"] {
        put(&server, path, 10);
    }
    let text = ok(&server, &home, &["rm", "lakefs://example-repo/main/a/1"]);
    assert_eq!(text.trim(), "deleted lakefs://example-repo/main/a/1");
    assert!(server.object("a/1").is_none());

    // A prefix needs --recursive; a missing object is an error that says so.
    let output = run(lakefs(&home).args(["rm", "lakefs://example-repo/main/a/"]));
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("--recursive"));
    let output = run(server
        .command(&home)
        .args(["rm", "lakefs://example-repo/main/a/1"]));
    assert_eq!(code(&output), 1);
    assert!(stderr(&output).contains("not found (404)"));
    assert!(
        stderr(&output).contains("rm --recursive"),
        "{}",
        stderr(&output)
    );

    // Several objects without a terminal and without --yes: refused, nothing deleted.
    server.clear_requests();
    let output = run(server
        .command(&home)
        .args(["rm", "-r", "lakefs://example-repo/main/a"]));
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let text = stderr(&output);
    assert!(
        text.starts_with("error: refusing to delete 3 objects"),
        "{text}"
    );
    assert!(text.contains("--yes"), "{text}");
    assert!(server.writes().is_empty(), "{:?}", server.writes());
    for path in ["a", "a/2", "a/3"] {
        assert!(server.object(path).is_some(), "{path}");
    }

    // With --yes: the object a and everything below a/, never ab/.
    let deleted = json_lines(&ok(
        &server,
        &home,
        &[
            "--json",
            "rm",
            "-r",
            "--yes",
            "lakefs://example-repo/main/a",
        ],
    ));
    let mut uris: Vec<&str> = deleted
        .iter()
        .map(|d| d["deleted"].as_str().unwrap())
        .collect();
    uris.sort_unstable();
    assert_eq!(
        uris,
        [
            "lakefs://example-repo/main/a",
            "lakefs://example-repo/main/a/2",
            "lakefs://example-repo/main/a/3"
        ]
    );
    for path in ["a", "a/2", "a/3"] {
        assert!(server.object(path).is_none(), "{path}");
    }
    assert!(server.object("ab/x").is_some());

    // One object below a prefix needs no confirmation; nothing at all is no error.
    let text = ok(
        &server,
        &home,
        &["rm", "-r", "lakefs://example-repo/main/ab/"],
    );
    assert_eq!(
        text.trim(),
        "deleted 1 object at or below lakefs://example-repo/main/ab/"
    );
    let output = run(server
        .command(&home)
        .args(["rm", "-r", "lakefs://example-repo/main/ab/"]));
    assert_eq!(code(&output), 0);
    assert!(stderr(&output).contains("nothing to delete"));

    // lakeFS refuses each path of a protected branch: every one is reported, exit 1.
    put(&server, "p/1", 1);
    put(&server, "p/2", 1);
    server.emulator.protect_branch(REPO, "main", true);
    let output =
        run(server
            .command(&home)
            .args(["rm", "-r", "-y", "lakefs://example-repo/main/p"]));
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let text = stderr(&output);
    assert!(
        text.contains("failed: p/1: cannot write to protected branch (403)"),
        "{text}"
    );
    assert!(
        text.contains(
            "error: 2 of 2 objects at or below lakefs://example-repo/main/p were not deleted"
        ),
        "{text}"
    );
    assert!(
        stdout(&output).contains("deleted 0 of 2 objects"),
        "{}",
        stdout(&output)
    );
    assert!(server.object("p/1").is_some());
    server.emulator.protect_branch(REPO, "main", false);

    // A ref that is not a branch (a commit id), or no branch at all: nothing is deleted.
    let commit = server.emulator.head(REPO, "main").unwrap();
    let output = run(server.command(&home).args([
        "rm",
        "-r",
        "-y",
        &format!("lakefs://example-repo/{commit}/data"),
    ]));
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("no such repository or branch (404 Not Found: branch not found)"),
        "{}",
        stderr(&output)
    );
    let output = run(server.command(&home).args([
        "rm",
        "-r",
        "-y",
        "lakefs://example-repo/no-such-branch/data",
    ]));
    assert_eq!(code(&output), 1);
    assert!(
        stderr(&output).contains("no such repository or branch (404 Not Found"),
        "{}",
        stderr(&output)
    );
    assert!(server.object("keep.txt").is_some());
}

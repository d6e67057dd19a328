//! `upload`'s skipping of unchanged files, `--include` / `--exclude`, `--dry-run` and
//! `--commit`, against the emulator, counting the requests it answers.

use crate::common::*;

const MIB: usize = 1024 * 1024;

/// Writes `files` below `root`.
fn tree(root: &std::path::Path, files: &[(&str, Vec<u8>)]) {
    for (name, bytes) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

/// Runs `upload --json ARGS…`; its exit code, the per-file results and the summary.
fn upload(
    server: &Server,
    home: &TempDir,
    args: &[&str],
) -> (i32, Vec<serde_json::Value>, serde_json::Value, String) {
    let output = run(server.command(home).args(["--json", "upload"]).args(args));
    let mut lines = json_lines(&stdout(&output));
    let summary = match lines.last() {
        Some(last) if last.get("summary").is_some() => lines.pop().unwrap()["summary"].clone(),
        _ => serde_json::Value::Null,
    };
    (code(&output), lines, summary, stderr(&output))
}

fn statuses(results: &[serde_json::Value]) -> Vec<(String, String)> {
    let mut statuses: Vec<(String, String)> = results
        .iter()
        .map(|r| {
            let dest = r["destination"].as_str().unwrap_or_default();
            let name = dest.rsplit_once("/tree/").map_or(dest, |(_, n)| n);
            (name.to_owned(), r["status"].as_str().unwrap().to_owned())
        })
        .collect();
    statuses.sort();
    statuses
}

#[test]
fn unchanged_files_are_skipped_and_changed_ones_uploaded() {
    let server = Server::start();
    let home = TempDir::new("sync-skip");
    let root = home.join("tree");
    let src = root.to_str().unwrap();
    tree(
        &root,
        &[
            ("a.txt", b"alpha\n".to_vec()),
            ("big.bin", data(11 * MIB + 7, 1)),
            ("sub/c.csv", data(70_000, 2)),
            ("empty", Vec::new()),
        ],
    );
    let dest = "lakefs://example-repo/main/tree";
    let args = ["-r", "--part-size", "5MiB", src, dest];
    let (exit, results, summary, err) = upload(&server, &home, &args);
    assert_eq!(exit, 0, "{err}");
    assert_eq!(results.len(), 4);
    assert_eq!(summary["uploaded"], 4);

    // Again, unchanged: every file skipped, not one part sent.
    server.clear_requests();
    let (exit, results, summary, err) = upload(&server, &home, &args);
    assert_eq!(exit, 0, "{err}");
    assert_eq!(
        server.parts_and_creates(),
        (0, 0),
        "{:?}",
        server.requests()
    );
    assert!(server.writes().is_empty(), "{:?}", server.writes());
    assert!(results
        .iter()
        .all(|r| r["status"] == "skipped" && r["reason"] == "unchanged"));
    assert_eq!(results.len(), 4);
    assert_eq!(summary["unchanged"], 4);
    assert_eq!(summary["uploaded"], 0);
    assert_eq!(summary["files"], 4);
    assert!(err.contains("4 unchanged, skipped"), "{err}");
    // In text, a line per skipped file.
    let output = run(server.command(&home).arg("upload").args(args));
    let text = stdout(&output);
    assert!(
        text.contains(&format!(
            "skipped {src}/sub/c.csv -> {dest}/sub/c.csv (unchanged, "
        )),
        "{text}"
    );

    // One file changed, same size: only it is uploaded.
    std::fs::write(root.join("a.txt"), b"ALPHA\n").unwrap();
    server.clear_requests();
    let (exit, results, summary, err) = upload(&server, &home, &args);
    assert_eq!(exit, 0, "{err}");
    assert_eq!(server.parts_and_creates(), (1, 1));
    assert_eq!(summary["uploaded"], 1);
    assert_eq!(summary["unchanged"], 3);
    assert!(statuses(&results).contains(&("a.txt".into(), "uploaded".into())));
    assert_eq!(server.object("tree/a.txt").unwrap(), "ALPHA\n");

    // Another part size: the multipart checksum of big.bin is not that of its object, so it
    // is uploaded again (never skipped wrongly); files of one part still match.
    server.clear_requests();
    let (exit, results, summary, err) =
        upload(&server, &home, &["-r", "--part-size", "6MiB", src, dest]);
    assert_eq!(exit, 0, "{err}");
    assert_eq!(summary["uploaded"], 1, "{results:?}");
    assert!(statuses(&results).contains(&("big.bin".into(), "uploaded".into())));
    assert_eq!(server.parts_and_creates(), (2, 1));
    // Back to 5 MiB: uploaded again, and then unchanged.
    upload(&server, &home, &args);
    let (_, _, summary, _) = upload(&server, &home, &args);
    assert_eq!(summary["unchanged"], 4);

    // Another content type, or metadata, asked for: uploaded again.
    let (exit, _, summary, err) = upload(
        &server,
        &home,
        &[&args[..], &["--content-type", "text/plain"]].concat(),
    );
    assert_eq!(exit, 0, "{err}");
    assert_eq!(summary["uploaded"], 4);
    let (_, _, summary, _) = upload(
        &server,
        &home,
        &[&args[..], &["--content-type", "text/plain"]].concat(),
    );
    assert_eq!(summary["unchanged"], 4);
    let (_, _, summary, _) = upload(&server, &home, &[&args[..], &["-m", "k=v"]].concat());
    assert_eq!(summary["uploaded"], 4);

    // --no-skip uploads everything.
    server.clear_requests();
    let (exit, _, summary, err) = upload(&server, &home, &[&args[..], &["--no-skip"]].concat());
    assert_eq!(exit, 0, "{err}");
    assert_eq!(summary["uploaded"], 4);
    assert_eq!(server.parts_and_creates().1, 4);
}

#[test]
fn a_single_file_is_skipped_when_its_object_matches() {
    let server = Server::start();
    let home = TempDir::new("sync-one");
    let file = home.join("one.bin");
    std::fs::write(&file, data(200_000, 3)).unwrap();
    let src = file.to_str().unwrap();
    let dest = "lakefs://example-repo/main/one.bin";
    let (exit, _, _, err) = upload(&server, &home, &[src, dest]);
    assert_eq!(exit, 0, "{err}");
    server.clear_requests();
    let (exit, results, summary, err) = upload(&server, &home, &[src, dest]);
    assert_eq!(exit, 0, "{err}");
    assert_eq!(results[0]["status"], "skipped");
    assert_eq!(results[0]["bytes"], 200_000);
    assert!(summary.is_null(), "one file: no summary line");
    assert_eq!(server.parts_and_creates(), (0, 0));
    let output = run(server.command(&home).args(["upload", src, dest]));
    assert_eq!(
        stdout(&output).trim(),
        format!("skipped {src} -> {dest} (unchanged, 195.3 KiB)")
    );

    // An object written in one PUT has the MD5 of its bytes as its checksum: the same bytes
    // match it whatever the part size; other bytes of the same size do not.
    let bytes = data(12 * MIB, 4);
    assert!(server
        .emulator
        .put_object(REPO, "main", "plain.bin", bytes.clone()));
    let plain = home.join("plain.bin");
    std::fs::write(&plain, &bytes).unwrap();
    let plain_src = plain.to_str().unwrap();
    let (_, results, _, err) = upload(
        &server,
        &home,
        &[plain_src, "lakefs://example-repo/main/plain.bin"],
    );
    assert_eq!(results[0]["status"], "skipped", "{err}");
    let mut other = bytes;
    other[0] ^= 1;
    std::fs::write(&plain, &other).unwrap();
    let (_, results, _, err) = upload(
        &server,
        &home,
        &[plain_src, "lakefs://example-repo/main/plain.bin"],
    );
    assert_eq!(results[0]["status"], "uploaded", "{err}");
    assert_eq!(server.object("plain.bin").unwrap(), other);
}

#[test]
fn include_and_exclude_choose_the_files() {
    let server = Server::start();
    let home = TempDir::new("sync-filter");
    let root = home.join("tree");
    let src = root.to_str().unwrap();
    tree(
        &root,
        &[
            ("a.csv", b"a".to_vec()),
            ("b.json", b"b".to_vec()),
            ("sub/c.csv", b"c".to_vec()),
            ("sub/d.tmp", b"d".to_vec()),
            ("tmp/e.csv", b"e".to_vec()),
            ("logs/x.log", b"x".to_vec()),
        ],
    );
    let (exit, results, summary, err) = upload(
        &server,
        &home,
        &[
            "-r",
            src,
            "lakefs://example-repo/main/tree/",
            "--include",
            "**/*.csv",
            "--exclude",
            "tmp/**",
        ],
    );
    assert_eq!(exit, 0, "{err}");
    assert_eq!(
        statuses(&results),
        [
            ("a.csv".to_owned(), "uploaded".to_owned()),
            ("sub/c.csv".to_owned(), "uploaded".to_owned())
        ]
    );
    for absent in [
        "tree/b.json",
        "tree/sub/d.tmp",
        "tree/tmp/e.csv",
        "tree/logs/x.log",
    ] {
        assert!(server.object(absent).is_none(), "{absent}");
    }
    assert_eq!(summary["excluded"], 3);
    assert_eq!(summary["excluded_directories"], 1);
    assert!(
        err.contains("3 excluded by --include/--exclude (and 1 directories not read)"),
        "{err}"
    );

    // Only excludes: everything else; a trailing / is the whole directory.
    let (exit, results, _, err) = upload(
        &server,
        &home,
        &[
            "-r",
            src,
            "lakefs://example-repo/main/other",
            "--exclude",
            "**/*.tmp",
            "--exclude",
            "logs/",
        ],
    );
    assert_eq!(exit, 0, "{err}");
    let mut names: Vec<&str> = results
        .iter()
        .map(|r| {
            r["destination"]
                .as_str()
                .unwrap()
                .trim_start_matches("lakefs://example-repo/main/other/")
        })
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["a.csv", "b.json", "sub/c.csv", "tmp/e.csv"]);

    // Bad patterns, and patterns without a directory: usage errors before any request.
    server.clear_requests();
    let file = root.join("a.csv");
    let file = file.to_str().unwrap();
    for (args, says) in [
        (
            vec![
                "-r",
                src,
                "lakefs://example-repo/main/x/",
                "--include",
                "a**",
            ],
            "whole path segment",
        ),
        (
            vec![
                "-r",
                src,
                "lakefs://example-repo/main/x/",
                "--exclude",
                "/abs",
            ],
            "leading /",
        ),
        (
            vec![file, "lakefs://example-repo/main/x", "--include", "*.csv"],
            "SRC must be a directory",
        ),
        (
            vec!["-", "lakefs://example-repo/main/x", "--exclude", "*.csv"],
            "SRC must be a directory",
        ),
    ] {
        let output = run(server.command(&home).arg("upload").args(&args));
        assert_eq!(code(&output), 2, "{args:?}: {}", stderr(&output));
        assert!(
            stderr(&output).contains(says),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[test]
fn a_dry_run_sends_nothing() {
    let server = Server::start();
    let home = TempDir::new("sync-dry");
    let root = home.join("tree");
    let src = root.to_str().unwrap();
    tree(
        &root,
        &[
            ("new.bin", data(6 * MIB, 5)),
            ("same.txt", b"same\n".to_vec()),
        ],
    );
    let same = root.join("same.txt");
    let (exit, _, _, err) = upload(
        &server,
        &home,
        &[
            same.to_str().unwrap(),
            "lakefs://example-repo/main/tree/same.txt",
        ],
    );
    assert_eq!(exit, 0, "{err}");
    let head = server.emulator.head(REPO, "main").unwrap();

    server.clear_requests();
    let output = run(server.command(&home).args([
        "upload",
        "-r",
        "--dry-run",
        "--commit",
        "not now",
        src,
        "lakefs://example-repo/main/tree",
    ]));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(server.writes().is_empty(), "{:?}", server.writes());
    assert_eq!(server.parts_and_creates(), (0, 0));
    assert!(server.object("tree/new.bin").is_none());
    assert_eq!(server.emulator.head(REPO, "main").unwrap(), head);
    let text = stdout(&output);
    assert!(
        text.contains(&format!(
            "would upload {src}/new.bin -> lakefs://example-repo/main/tree/new.bin (6 MiB)"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "would skip {src}/same.txt -> lakefs://example-repo/main/tree/same.txt (unchanged"
        )),
        "{text}"
    );
    let err = stderr(&output);
    assert!(
        err.contains("dry run: would upload 1 file (6 MiB), skip 1 unchanged"),
        "{err}"
    );
    assert!(err.contains("nothing was sent"), "{err}");
    assert!(
        err.contains("would then commit lakefs://example-repo/main"),
        "{err}"
    );

    let (exit, results, summary, err) = upload(
        &server,
        &home,
        &["-r", "--dry-run", src, "lakefs://example-repo/main/tree"],
    );
    assert_eq!(exit, 0, "{err}");
    assert_eq!(
        statuses(&results),
        [
            ("new.bin".to_owned(), "would_upload".to_owned()),
            ("same.txt".to_owned(), "would_skip".to_owned())
        ]
    );
    assert_eq!(summary["dry_run"], true);
    assert_eq!(summary["would_upload"], 1);
    assert_eq!(summary["would_skip"], 1);
    let (_, results, _, _) = upload(
        &server,
        &home,
        &["--dry-run", "-", "lakefs://example-repo/main/stdin"],
    );
    assert_eq!(results[0]["status"], "would_upload");
    assert!(server.writes().is_empty(), "{:?}", server.writes());

    // A dry run keeps no checkpoint and resumes nothing.
    let output = run(server.command(&home).args([
        "upload",
        "-r",
        "--dry-run",
        "--checkpoint",
        src,
        "lakefs://example-repo/main/tree",
    ]));
    assert_eq!(code(&output), 2);
}

#[test]
fn commit_after_a_successful_upload_only() {
    let server = Server::start();
    let home = TempDir::new("sync-commit");
    let root = home.join("tree");
    let src = root.to_str().unwrap();
    tree(
        &root,
        &[("a.txt", b"a\n".to_vec()), ("b/c.txt", b"c\n".to_vec())],
    );
    let dest = "lakefs://example-repo/main/tree";
    let before = server.emulator.head(REPO, "main").unwrap();
    let output =
        run(server
            .command(&home)
            .args(["upload", "-r", "--commit", "daily export", src, dest]));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let head = server.emulator.head(REPO, "main").unwrap();
    assert_ne!(head, before);
    let text = stdout(&output);
    assert!(
        text.contains("committed lakefs://example-repo/main\n"),
        "{text}"
    );
    assert!(text.contains(&format!("id:        {head}")), "{text}");
    assert!(text.contains("message:   daily export"), "{text}");
    let diff = run(server
        .command(&home)
        .args(["diff", "lakefs://example-repo/main"]));
    assert_eq!(stdout(&diff), "");

    // Nothing uploaded: nothing committed.
    let (exit, _, summary, err) = upload(&server, &home, &["-r", "--commit", "again", src, dest]);
    assert_eq!(exit, 0, "{err}");
    assert_eq!(summary["unchanged"], 2);
    assert!(
        err.contains("nothing was uploaded: lakefs://example-repo/main is not committed"),
        "{err}"
    );
    assert_eq!(server.emulator.head(REPO, "main").unwrap(), head);

    // A change: committed, the commit a JSON line of its own.
    std::fs::write(root.join("a.txt"), b"A\n").unwrap();
    let output = run(server
        .command(&home)
        .args(["--json", "upload", "-r", "--commit", "fix a", src, dest]));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let lines = json_lines(&stdout(&output));
    let commit = lines.last().unwrap();
    assert_eq!(commit["committed"], "lakefs://example-repo/main");
    assert_eq!(commit["commit"]["message"], "fix a");
    assert_eq!(commit["commit"]["parents"][0], head.as_str());

    // A failed upload: no commit.
    std::fs::write(root.join("a.txt"), b"B\n").unwrap();
    let head = server.emulator.head(REPO, "main").unwrap();
    server.emulator.protect_branch(REPO, "main", true);
    let output = run(server
        .command(&home)
        .args(["upload", "-r", "--commit", "never", src, dest]));
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert!(!stdout(&output).contains("committed"));
    assert_eq!(server.emulator.head(REPO, "main").unwrap(), head);
    server.emulator.protect_branch(REPO, "main", false);

    // An empty message is a usage error.
    let output = run(lakefs(&home).args(["upload", "-r", "--commit", "", src, dest]));
    assert_eq!(code(&output), 2);
}

//! A whole workflow through the real binary: upload a directory, look at it, commit it,
//! upload it again unchanged (nothing sent), delete a file, commit, read the log.

use crate::common::*;

#[test]
fn upload_list_diff_commit_reupload_remove_commit_log() {
    let server = Server::start();
    let home = TempDir::new("workflow");
    let root = home.join("export");
    let src = root.to_str().unwrap();
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("part-0.parquet", data(6 * 1024 * 1024 + 11, 7)),
        ("part-1.parquet", data(300_000, 8)),
        ("meta/schema.json", b"{\"fields\": []}\n".to_vec()),
    ];
    for (name, bytes) in &files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let dest = "lakefs://example-repo/main/export";
    let lakefs = |args: &[&str]| {
        let output = run(server.command(&home).args(args));
        assert_eq!(code(&output), 0, "{args:?}: {}", stderr(&output));
        (stdout(&output), stderr(&output))
    };

    // 1. Upload the directory.
    let (out, err) = lakefs(&["upload", "-r", "--part-size", "5MiB", src, dest]);
    assert_eq!(
        out.lines().filter(|l| l.starts_with("uploaded ")).count(),
        3,
        "{out}"
    );
    assert!(err.contains("uploaded 3 of 3 files"), "{err}");

    // 2. Everything is there.
    let (out, _) = lakefs(&["ls", "-r", "lakefs://example-repo/main/export/"]);
    let listed: Vec<&str> = out
        .lines()
        .map(|l| l.rsplit("  ").next().unwrap())
        .collect();
    assert_eq!(
        listed,
        [
            "export/meta/schema.json",
            "export/part-0.parquet",
            "export/part-1.parquet"
        ]
    );
    assert!(
        out.contains("6.0 MiB") && out.contains("293.0 KiB"),
        "{out}"
    );

    // 3. Three uncommitted additions.
    let (out, _) = lakefs(&["diff", "lakefs://example-repo/main"]);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "+ added export/meta/schema.json",
            "+ added export/part-0.parquet",
            "+ added export/part-1.parquet"
        ]
    );

    // 4. Commit them.
    let (out, _) = lakefs(&["commit", "lakefs://example-repo/main", "-m", "export v1"]);
    let first = server.emulator.head(REPO, "main").unwrap();
    assert!(out.contains(&format!("id:        {first}")), "{out}");

    // 5. Upload again, unchanged: all skipped, not one part sent, nothing written.
    server.clear_requests();
    let output = run(server.command(&home).args([
        "--json",
        "upload",
        "-r",
        "--part-size",
        "5MiB",
        src,
        dest,
    ]));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(
        server.parts_and_creates(),
        (0, 0),
        "{:?}",
        server.requests()
    );
    assert!(server.writes().is_empty(), "{:?}", server.writes());
    let results = json_lines(&stdout(&output));
    let summary = &results.last().unwrap()["summary"];
    assert_eq!(summary["unchanged"], 3);
    assert_eq!(summary["uploaded"], 0);
    assert!(results[..3].iter().all(|r| r["status"] == "skipped"));
    assert!(
        stderr(&output).contains("3 unchanged, skipped"),
        "{}",
        stderr(&output)
    );
    let (out, err) = lakefs(&["diff", "lakefs://example-repo/main"]);
    assert_eq!(out, "");
    assert!(err.contains("no uncommitted changes"));

    // 6. Delete one file, and commit that.
    let (out, _) = lakefs(&["rm", "lakefs://example-repo/main/export/part-1.parquet"]);
    assert_eq!(
        out.trim(),
        "deleted lakefs://example-repo/main/export/part-1.parquet"
    );
    let (out, _) = lakefs(&["diff", "lakefs://example-repo/main"]);
    assert_eq!(out.trim(), "- removed export/part-1.parquet");
    let (out, _) = lakefs(&[
        "--json",
        "commit",
        "lakefs://example-repo/main",
        "-m",
        "drop part 1",
        "--meta",
        "reason=obsolete",
    ]);
    let second = json_lines(&out).remove(0)["commit"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(server.emulator.head(REPO, "main").unwrap(), second);

    // 7. The log shows both commits, newest first.
    let (out, _) = lakefs(&["log", "lakefs://example-repo/main", "--amount", "2"]);
    let ids: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("ID:            "))
        .collect();
    assert_eq!(ids, [second.as_str(), first.as_str()], "{out}");
    assert!(out.contains("    drop part 1\n"), "{out}");
    assert!(out.contains("    reason = obsolete"), "{out}");
    assert!(out.contains("    export v1\n"), "{out}");
    let (out, _) = lakefs(&["ls", "-r", "lakefs://example-repo/main/export/"]);
    assert!(!out.contains("part-1.parquet"), "{out}");
    let at_first = format!("lakefs://example-repo/{first}/export/");
    let (out, _) = lakefs(&["ls", "-r", &at_first]);
    assert!(
        out.contains("part-1.parquet"),
        "the first commit still has it: {out}"
    );
}

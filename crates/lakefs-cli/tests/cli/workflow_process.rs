//! The workflow against the emulator served by another process (`lakefs-cli emulator`), with
//! its read side checked against what the official lakeFS Python SDK (`lakefs-sdk`) sees of
//! the same server: the listing, one object's stats and the uncommitted changes must agree.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use lakefs_emulator::{DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY};
use serde_json::Value;

use crate::common::*;

/// The emulator process, stopped when dropped.
pub(crate) struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `lakefs-cli emulator` on a free port; its URL from the first line it prints.
pub(crate) fn serve(home: &TempDir) -> (Served, String) {
    serve_with(home, &[], &[])
}

/// As `serve`, with more arguments and variables.
pub(crate) fn serve_with(home: &TempDir, args: &[&str], envs: &[(&str, &str)]) -> (Served, String) {
    let mut child = lakefs(home)
        .args(["emulator", "--port", "0"])
        .args(args)
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot start lakefs-cli emulator");
    let stdout = child.stdout.take().unwrap();
    let served = Served(child);
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        if let Some(Ok(first)) = lines.next() {
            let _ = sender.send(first);
        }
        for _ in lines {}
    });
    let first = receiver
        .recv_timeout(Duration::from_secs(30))
        .expect("the emulator printed nothing within 30 s");
    let url = first
        .strip_prefix("lakeFS emulator listening on ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("unexpected first line: {first:?}"))
        .to_owned();
    (served, url)
}

fn python_sdk_available() -> bool {
    let available = Command::new("python3")
        .args(["-c", "import lakefs_sdk"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !available {
        assert!(
            std::env::var("LAKEFS_REQUIRE_PYTHON_SDK").map_or(true, |v| v != "1"),
            "LAKEFS_REQUIRE_PYTHON_SDK=1 but `python3 -c 'import lakefs_sdk'` fails"
        );
        eprintln!("SKIPPED: the lakeFS Python SDK is not installed (lakefs-sdk==1.88.0)");
    }
    available
}

/// What the Python SDK sees: every object under `export/` on `main` (path, size, checksum),
/// the stats of `export/part-0.parquet`, and the uncommitted changes of `main`.
const PYTHON_VIEW: &str = r#"
import json, sys
import lakefs_sdk
url, key, secret = sys.argv[1:4]
client = lakefs_sdk.ApiClient(lakefs_sdk.Configuration(host=url + "/api/v1", username=key, password=secret))
objects = lakefs_sdk.ObjectsApi(client)
branches = lakefs_sdk.BranchesApi(client)
listed = objects.list_objects("example-repo", "main", prefix="export/")
stat = objects.stat_object("example-repo", "main", "export/part-0.parquet")
diff = branches.diff_branch("example-repo", "main")
print(json.dumps({
    "ls": [[o.path, o.size_bytes, o.checksum] for o in listed.results],
    "stat": [stat.path, stat.size_bytes, stat.checksum],
    "diff": [[d.type, d.path] for d in diff.results],
}))
"#;

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

#[test]
fn a_workflow_against_the_emulator_process_agrees_with_the_python_sdk() {
    let home = TempDir::new("workflow-process");
    let (_served, url) = serve(&home);
    let root = home.join("export");
    for (name, bytes) in [
        ("part-0.parquet", data(5 * 1024 * 1024 + 7, 3)),
        ("part-1.parquet", data(4096, 4)),
    ] {
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join(name), bytes).unwrap();
    }
    let lakefs = |args: &[&str]| {
        let output = run(lakefs(&home)
            .env("LAKECTL_SERVER_ENDPOINT_URL", &url)
            .env("LAKECTL_CREDENTIALS_ACCESS_KEY_ID", DEFAULT_ACCESS_KEY_ID)
            .env(
                "LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY",
                DEFAULT_SECRET_ACCESS_KEY,
            )
            .args(args));
        assert_eq!(code(&output), 0, "{args:?}: {}", stderr(&output));
        stdout(&output)
    };
    let src = root.to_str().unwrap();
    let dest = "lakefs://example-repo/main/export";
    lakefs(&["upload", "-r", src, dest]);

    // The read side, through this tool and through the Python SDK.
    let listed = json_lines(&lakefs(&[
        "--json",
        "ls",
        "-r",
        "lakefs://example-repo/main/export/",
    ]));
    let stat = json_lines(&lakefs(&[
        "--json",
        "stat",
        "lakefs://example-repo/main/export/part-0.parquet",
    ]));
    let diff = json_lines(&lakefs(&["--json", "diff", "lakefs://example-repo/main"]));
    if python_sdk_available() {
        let output = Command::new("python3")
            .args([
                "-c",
                PYTHON_VIEW,
                &url,
                DEFAULT_ACCESS_KEY_ID,
                DEFAULT_SECRET_ACCESS_KEY,
            ])
            .output()
            .expect("cannot run python3");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let python: Value = serde_json::from_slice(&output.stdout).unwrap();
        let ours: Vec<Value> = listed
            .iter()
            .map(|o| serde_json::json!([o["path"], o["size_bytes"], o["checksum"]]))
            .collect();
        assert_eq!(Value::from(ours), python["ls"], "ls -r");
        assert_eq!(python["ls"].as_array().map(Vec::len), Some(2));
        let ours = serde_json::json!([stat[0]["path"], stat[0]["size_bytes"], stat[0]["checksum"]]);
        assert_eq!(ours, python["stat"], "stat");
        let ours: Vec<Value> = diff
            .iter()
            .map(|d| serde_json::json!([d["type"], d["path"]]))
            .collect();
        assert_eq!(Value::from(ours), python["diff"], "diff");
    }
    assert_eq!(diff.len(), 2, "{diff:?}");

    // Commit, upload again unchanged (nothing sent), remove one file, commit, read the log.
    lakefs(&["commit", "lakefs://example-repo/main", "-m", "export v1"]);
    let again = json_lines(&lakefs(&["--json", "upload", "-r", src, dest]));
    assert!(
        again
            .iter()
            .filter(|line| line.get("summary").is_none())
            .all(|line| line["status"] == "skipped"),
        "{again:?}"
    );
    lakefs(&["rm", "lakefs://example-repo/main/export/part-1.parquet"]);
    lakefs(&["commit", "lakefs://example-repo/main", "-m", "drop part 1"]);
    let log = lakefs(&["log", "lakefs://example-repo/main", "--amount", "2"]);
    let first = log.find("drop part 1").expect(&log);
    let second = log.find("export v1").expect(&log);
    assert!(first < second, "newest first: {log}");
}

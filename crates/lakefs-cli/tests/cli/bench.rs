//! `bench`: a tiny sweep with its table, CSV and chart; a tiny many-small-files run.

use crate::common::*;

#[test]
fn a_small_sweep_writes_table_csv_and_chart() {
    let home = TempDir::new("bench");
    let csv = home.join("bench.csv");
    let svg = home.join("bench.svg");
    let output = run(lakefs(&home)
        .args([
            "--emulator",
            "bench",
            "--part-sizes",
            "5MiB,8MiB",
            "--concurrency",
            "1,2",
            "--size",
            "9MiB",
            "--runs",
            "1",
        ])
        .arg("--csv")
        .arg(&csv)
        .arg("--chart")
        .arg(&svg));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let table = stdout(&output);
    assert!(
        table.contains("| part size | concurrency | MB/s (median)"),
        "{table}"
    );
    assert!(
        table.contains("| 5 MiB | 1 |") && table.contains("| 8 MiB | 2 |"),
        "{table}"
    );
    let csv = std::fs::read_to_string(csv).unwrap();
    assert_eq!(csv.lines().count(), 5, "{csv}");
    assert!(csv.starts_with("part_size_bytes,concurrency,run,bytes,seconds,mb_per_s,cpu_seconds"));
    let svg = std::fs::read_to_string(svg).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.matches("<polyline").count() == 2,
        "{svg}"
    );
}

#[test]
fn a_tiny_small_files_run() {
    let home = TempDir::new("bench-small");
    let output = run(lakefs(&home).args([
        "bench",
        "small-files",
        "--files",
        "30",
        "--file-size",
        "2KiB",
        "--concurrency",
        "4",
        "--runs",
        "1",
    ]));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let table = stdout(&output);
    assert!(
        table.contains(
            "| concurrency | upload --recursive files/s | bare loop files/s (process) | ratio |"
        ),
        "{table}"
    );
    assert!(table.contains("| 4 |"), "{table}");
}

//! `lakefs-bench-shaper`: a shaped link to S3 on loopback, for the benchmarks.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use lakefs_bench_shaper::units::{parse_bytes, parse_duration};
use lakefs_bench_shaper::{Builder, Shaper};

const USAGE: &str = "\
usage: lakefs-bench-shaper [--listen ADDR] (--upstream URL | --sink-size BYTES)
                           [--per-connection RATE] [--latency DURATION] [--link RATE]
                           [--slowdown P] [--seed N]
       lakefs-bench-shaper --self-check

  --listen ADDR          address to listen on (default 127.0.0.1:0, a free port)
  --upstream URL         proxy mode: forward every request to this S3 server (http://host:port)
  --sink-size BYTES      sink mode: PUT discards, GET/HEAD serve a synthetic object this big
  --per-connection RATE  bytes/s per TCP connection and direction, e.g. 25MiB (default unlimited)
  --latency DURATION     time to first byte of every answer, e.g. 20ms (default 0)
  --link RATE            bytes/s of all connections together per direction, e.g. 400MiB
  --slowdown P           probability of a 503 SlowDown per request, e.g. 0.02 (default 0)
  --seed N               seed of the 503 draws (default 0)
  --self-check           measure configured against real loopback traffic, print a table, exit

RATE is bytes/s (25MiB, 400MiB/s, 1GiB, 10MB); 0, none or unlimited means no limit.

Prints `listening on http://ADDR` once it accepts, then serves until killed.";

enum Command {
    Serve(Builder),
    SelfCheck,
    Help,
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut builder = Shaper::builder();
    let mut mode_given = None::<&str>;
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let (name, inline) = match flag.split_once('=') {
            Some((name, value)) if name.starts_with("--") => {
                (name.to_owned(), Some(value.to_owned()))
            }
            _ => (flag.clone(), None),
        };
        match name.as_str() {
            "--help" | "-h" => return Ok(Command::Help),
            "--self-check" => return Ok(Command::SelfCheck),
            _ => {}
        }
        let value = match inline {
            Some(value) => value,
            None => args.next().ok_or_else(|| format!("{name} needs a value"))?,
        };
        let bad = |why: String| format!("{name} {value:?}: {why}");
        builder = match name.as_str() {
            "--listen" => builder.listen(
                value
                    .parse::<SocketAddr>()
                    .map_err(|e| bad(format!("not an address ({e})")))?,
            ),
            "--upstream" | "--sink-size" => {
                if let Some(other) = mode_given {
                    return Err(format!("{name} and {other} exclude each other"));
                }
                if name == "--upstream" {
                    mode_given = Some("--upstream");
                    builder.proxy(value.clone())
                } else {
                    mode_given = Some("--sink-size");
                    builder.sink(parse_bytes(&value).map_err(bad)?)
                }
            }
            "--per-connection" => builder.per_connection(parse_rate(&value).map_err(bad)?),
            "--link" => builder.link(parse_rate(&value).map_err(bad)?),
            "--latency" => builder.latency(parse_duration(&value).map_err(bad)?),
            "--slowdown" => {
                let p: f64 = value.parse().map_err(|_| bad("not a number".into()))?;
                if !(0.0..=1.0).contains(&p) {
                    return Err(bad("not a probability in [0, 1]".into()));
                }
                builder.slowdown(p)
            }
            "--seed" => builder.seed(value.parse().map_err(|_| bad("not an integer".into()))?),
            _ => return Err(format!("unknown argument {flag:?}")),
        };
    }
    if mode_given.is_none() {
        return Err("give --upstream URL (proxy) or --sink-size BYTES (sink)".into());
    }
    // The checks the library makes (the upstream URL's form).
    builder.config().map_err(|e| e.to_string())?;
    Ok(Command::Serve(builder))
}

/// A rate in bytes/s; `0` or `none` or `unlimited` means no limit.
fn parse_rate(value: &str) -> Result<Option<u64>, String> {
    match value {
        "none" | "unlimited" => Ok(None),
        _ => parse_bytes(value).map(|rate| (rate > 0).then_some(rate)),
    }
}

fn main() -> ExitCode {
    let command = match parse(std::env::args().skip(1)) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("lakefs-bench-shaper: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("lakefs-bench-shaper: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        match command {
            Command::Help => {
                println!("{USAGE}");
                ExitCode::SUCCESS
            }
            Command::SelfCheck => {
                let mut out = std::io::stdout();
                match lakefs_bench_shaper::self_check::run(&mut out).await {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("lakefs-bench-shaper: self-check failed: {e}");
                        ExitCode::FAILURE
                    }
                }
            }
            Command::Serve(builder) => {
                let shaper = match builder.start().await {
                    Ok(shaper) => shaper,
                    Err(e) => {
                        eprintln!("lakefs-bench-shaper: {e}");
                        return ExitCode::FAILURE;
                    }
                };
                let mut out = std::io::stdout();
                let _ = writeln!(out, "listening on {}", shaper.url());
                let _ = out.flush();
                std::future::pending::<()>().await;
                drop(shaper);
                ExitCode::SUCCESS
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    fn error(s: &str) -> String {
        match parse(args(s)) {
            Err(message) => message,
            Ok(_) => panic!("{s:?} was accepted"),
        }
    }

    #[test]
    fn good_arguments_configure_the_shaper() {
        let Ok(Command::Serve(builder)) = parse(args(
            "--listen 127.0.0.1:0 --sink-size 1GiB --per-connection 25MiB --latency 20ms \
             --link=400MiB --slowdown 0.02 --seed 7",
        )) else {
            panic!("not accepted");
        };
        let config = builder.config().unwrap();
        assert_eq!(config.per_connection, Some(25 << 20));
        assert_eq!(config.link, Some(400 << 20));
        assert_eq!(config.latency, std::time::Duration::from_millis(20));
        assert_eq!(config.slowdown, 0.02);
        assert_eq!(config.seed, 7);
        assert_eq!(
            config.mode,
            lakefs_bench_shaper::Mode::Sink {
                object_size: 1 << 30
            }
        );
        assert!(matches!(
            parse(args("--self-check")),
            Ok(Command::SelfCheck)
        ));
    }

    #[test]
    fn bad_arguments_name_the_flag_and_the_value() {
        assert!(error("--sink-size 1 --latency 20").contains("--latency \"20\""));
        assert!(error("--sink-size 1 --per-connection 25Mb").contains("--per-connection \"25Mb\""));
        assert!(error("--sink-size 1 --slowdown 2").contains("--slowdown \"2\""));
        assert!(error("--sink-size big").contains("--sink-size \"big\""));
        assert!(error("--listen nowhere --sink-size 1").contains("--listen \"nowhere\""));
        assert!(error("--upstream https://x:1").contains("https://x:1"));
        assert!(error("--sink-size 1 --upstream http://x:1").contains("exclude each other"));
        assert!(error("--latency 1ms").contains("--upstream URL"));
        assert!(error("--sink-size 1 --frobnicate 3").contains("--frobnicate"));
        assert!(error("--sink-size").contains("--sink-size needs a value"));
    }
}

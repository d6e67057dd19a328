//! `lakefs-cli`: a command-line tool for lakeFS — uploads of files, directories and standard
//! input that are fast, memory-bounded, interruptible and resumable (skipping unchanged files);
//! `ls`, `stat`, `rm`, `commit`, `diff`, `log` and `branch` as lakectl has them; the rest of
//! the experimental API, an embedded emulator, and benchmarks. `lakefs-cli --help` has it all.

mod admit;
mod allocator;
mod bench;
mod cli;
mod commands;
mod config;
mod confirm;
mod context;
mod download;
mod errors;
mod glob;
mod interrupt;
mod logging;
mod output;
mod units;
mod upload;
mod uri;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::commands::{api, branches, checkpoint, commits, diff, emulator, objects, pulls, remove};
use crate::context::Context;
use crate::errors::{CliError, Exit};
use crate::interrupt::Interrupt;
use crate::output::{Console, Render};

/// Parses the command line and runs the command on a tokio runtime.
fn main() -> ExitCode {
    allocator::return_part_buffers_to_the_system();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // clap's own message: `error: …` and a usage line (exit 2), or the help (exit 0).
            let _ = error.print();
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2));
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            CliError::failure("cannot start the async runtime")
                .source(error)
                .print();
            return ExitCode::from(Exit::Failure.code());
        }
    };
    // On a worker thread, beside the connections' tasks, rather than on this thread: requests
    // then hand over between threads less often (measurably faster for many small files).
    let exit = runtime
        .block_on(async { tokio::spawn(run(cli)).await })
        .unwrap_or(Exit::Failure);
    // A read of standard input may still block a thread of the pool: do not wait for it.
    runtime.shutdown_timeout(Duration::from_millis(100));
    ExitCode::from(exit.code())
}

/// Runs the command with Ctrl-C handled, and prints its error if it fails.
async fn run(cli: Cli) -> Exit {
    let console = Console::new(cli.global.json, cli.global.quiet, cli.global.verbose > 0);
    logging::install(cli.global.verbose, &console);
    let interrupt = Interrupt::install(console.clone());
    let mut ctx = Context::new(cli.global, console.clone(), interrupt);
    let result = dispatch(&mut ctx, cli.command).await;
    ctx.shutdown().await;
    match result {
        Ok(exit) => exit,
        Err(error) => {
            console.error(&error);
            error.exit()
        }
    }
}

/// Runs the command. Those that answer once return their result, shown here; the others
/// (uploads, listings, deletions) show their results as they go.
async fn dispatch(ctx: &mut Context, command: Command) -> Result<Exit, CliError> {
    if !matches!(command, Command::Emulator(_)) {
        ctx.start_emulator_if_asked().await?;
    }
    let ctx = &*ctx;
    match command {
        Command::Upload(args) => upload::run(ctx, args).await,
        Command::Download(args) => download::run(ctx, args).await,
        Command::Cat(args) => download::cat::run(ctx, args).await,
        Command::Ls(args) => objects::ls(ctx, args).await,
        Command::Stat(args) => Ok(shown(ctx, &objects::stat(ctx, args).await?)),
        Command::Rm(args) => remove::run(ctx, args).await,
        Command::Commit(args) => Ok(shown(ctx, &commits::commit(ctx, args).await?)),
        Command::Diff(args) => diff::run(ctx, args).await,
        Command::Log(args) => commits::log(ctx, args).await,
        Command::Checkpoint(command) => Ok(shown(ctx, &checkpoint::run(ctx, command).await?)),
        Command::Principal(command) => Ok(shown(ctx, &api::principal(ctx, command).await?)),
        Command::Branch(command) => Ok(shown(ctx, &branches::run(ctx, command).await?)),
        Command::Sts(command) => Ok(shown(ctx, &api::sts(ctx, command).await?)),
        Command::Pr(command) => Ok(shown(ctx, &pulls::run(ctx, command).await?)),
        Command::Emulator(args) => emulator::run(ctx, args).await,
        Command::Bench(args) => bench::run(ctx, args).await,
        Command::Config => Ok(shown(ctx, &commands::config::run(ctx)?)),
    }
}

/// Shows a command's result: the command succeeded.
fn shown(ctx: &Context, result: &impl Render) -> Exit {
    ctx.console.show(result);
    Exit::Ok
}

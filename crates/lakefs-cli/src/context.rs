//! What a command runs with: the console, Ctrl-C, the settings and — with `--emulator` — the
//! emulator inside this process.

use std::future::Future;

use lakefs_emulator::{serve, Emulator, RunningEmulator};
use lakefs_experimental::ExperimentalClient;

use crate::cli::GlobalArgs;
use crate::config::Settings;
use crate::errors::CliError;
use crate::interrupt::Interrupt;
use crate::output::Console;

/// The API client every command uses.
pub(crate) type Client = ExperimentalClient<lakefs_transport::HyperTransport>;

/// What every command is handed.
pub(crate) struct Context {
    /// Where results, messages and progress are printed.
    pub(crate) console: Console,
    /// Whether the user pressed Ctrl-C, and a way to wait for it.
    pub(crate) interrupt: Interrupt,
    /// The options every command takes.
    pub(crate) global: GlobalArgs,
    /// The emulator `--emulator` started in this process.
    emulator: Option<RunningEmulator>,
}

impl Context {
    /// A context without the emulator (see [`Self::start_emulator_if_asked`]).
    pub(crate) fn new(global: GlobalArgs, console: Console, interrupt: Interrupt) -> Self {
        Self {
            console,
            interrupt,
            global,
            emulator: None,
        }
    }

    /// Runs `call` (a request to lakeFS, whose error says what failed) unless the user
    /// interrupts first: then `call` is dropped — a request in flight is abandoned — and the
    /// error says what was interrupted (`interrupted while {doing}`, exit code 130).
    pub(crate) async fn call<T>(
        &self,
        doing: &str,
        call: impl Future<Output = Result<T, CliError>>,
    ) -> Result<T, CliError> {
        self.interrupt.guard(doing, call).await
    }

    /// Starts the embedded emulator if `--emulator` asks for it.
    pub(crate) async fn start_emulator_if_asked(&mut self) -> Result<(), CliError> {
        if self.global.emulator && self.emulator.is_none() {
            self.emulator = Some(start_emulator().await?);
        }
        Ok(())
    }

    /// Whether the embedded emulator runs.
    pub(crate) fn has_emulator(&self) -> bool {
        self.emulator.is_some()
    }

    /// The settings in effect: the emulator's, or the flags', variables' and file's.
    pub(crate) fn settings(&self) -> Result<Settings, CliError> {
        match &self.emulator {
            Some(running) => Ok(Settings::for_emulator(running.url())),
            None => Settings::resolve(&self.global),
        }
    }

    /// A client for the settings in effect.
    pub(crate) fn client(&self) -> Result<Client, CliError> {
        self.settings()?.client()
    }

    /// Stops the embedded emulator.
    pub(crate) async fn shutdown(self) {
        if let Some(running) = self.emulator {
            running.shutdown().await;
        }
    }
}

/// An emulator with the default setup, on loopback.
pub(crate) async fn start_emulator() -> Result<RunningEmulator, CliError> {
    serve(Emulator::new())
        .await
        .map_err(|e| CliError::failure("cannot start the embedded emulator").source(e))
}

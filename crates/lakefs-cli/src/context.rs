//! What a command runs with: the console, Ctrl-C, the settings and — with `--emulator` — the
//! emulator inside this process.

use lakefs_emulator::{serve, Emulator, RunningEmulator};
use lakefs_experimental::ExperimentalClient;

use crate::cli::GlobalArgs;
use crate::config::Settings;
use crate::errors::CliError;
use crate::interrupt::Interrupt;
use crate::output::Console;

/// The API client every command uses.
pub(crate) type Client = ExperimentalClient<lakefs_transport::HyperTransport>;

pub(crate) struct Context {
    pub(crate) console: Console,
    pub(crate) interrupt: Interrupt,
    pub(crate) global: GlobalArgs,
    emulator: Option<RunningEmulator>,
}

impl Context {
    pub(crate) fn new(global: GlobalArgs, console: Console, interrupt: Interrupt) -> Self {
        Self {
            console,
            interrupt,
            global,
            emulator: None,
        }
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

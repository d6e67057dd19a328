//! Ctrl-C (SIGINT, and SIGTERM): the first one asks every command to stop cleanly — uploads
//! abort, or stay resumable with a checkpoint — and a second one exits at once. Either way the
//! exit code is 130.

use std::future::Future;

use tokio::sync::watch;

use crate::errors::{CliError, Exit};
use crate::output::Console;

/// Whether the user interrupted, and a way to wait for it. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Interrupt {
    receiver: watch::Receiver<bool>,
}

impl Interrupt {
    /// Listens for SIGINT and SIGTERM from now on. Needs a tokio runtime.
    pub(crate) fn install(console: Console) -> Self {
        let (sender, receiver) = watch::channel(false);
        let mut signals = Signals::new();
        tokio::spawn(async move {
            let mut presses = 0u32;
            loop {
                signals.next().await;
                presses += 1;
                if presses == 1 {
                    let _ = sender.send(true);
                    console
                        .warn("interrupted: stopping cleanly (press Ctrl-C again to exit at once)");
                } else {
                    console.warn("interrupted again: exiting at once");
                    std::process::exit(i32::from(Exit::Interrupted.code()));
                }
            }
        });
        Self { receiver }
    }

    /// Whether the user interrupted.
    pub(crate) fn is_set(&self) -> bool {
        *self.receiver.borrow()
    }

    /// Completes when the user interrupts (never otherwise).
    pub(crate) fn wait(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut receiver = self.receiver.clone();
        async move {
            if receiver.wait_for(|set| *set).await.is_err() {
                // The listener is gone: no interruption can come any more.
                std::future::pending::<()>().await;
            }
        }
    }

    /// Runs `future` unless the user interrupts first; then it is dropped (a request in
    /// flight is abandoned) and the error says what was interrupted.
    pub(crate) async fn guard<T>(
        &self,
        what: &str,
        future: impl Future<Output = Result<T, CliError>>,
    ) -> Result<T, CliError> {
        tokio::select! {
            result = future => result,
            () = self.wait() => Err(CliError::interrupted(format!("interrupted while {what}"))),
        }
    }
}

/// SIGINT (Ctrl-C) and, on Unix, SIGTERM, registered once (so that none is missed between
/// two presses).
struct Signals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Self {
                interrupt: signal(SignalKind::interrupt()).ok(),
                terminate: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        {
            Self {}
        }
    }

    async fn next(&mut self) {
        #[cfg(unix)]
        {
            async fn recv(signal: Option<&mut tokio::signal::unix::Signal>) {
                match signal {
                    Some(signal) => {
                        if signal.recv().await.is_none() {
                            std::future::pending::<()>().await;
                        }
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            tokio::select! {
                () = recv(self.interrupt.as_mut()) => {}
                () = recv(self.terminate.as_mut()) => {}
            }
        }
        #[cfg(not(unix))]
        {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

//! Asking before a destructive command (`rm` of several objects, `branch delete`, `branch
//! reset`, `branch hard-reset`): on a terminal the user is asked; otherwise `--yes` must say
//! so, and without it the command is refused as a usage error (exit code 2) before anything
//! is changed.

use std::io::{BufRead, IsTerminal};

use crate::context::Context;
use crate::errors::CliError;

/// Goes on when `yes` (the command's `--yes`) or the user answers yes on the terminal; `what`
/// says what would be done (`delete branch lakefs://repo/old`).
///
/// # Errors
/// A usage error when standard input is not a terminal and `yes` is false; a failure when the
/// user answers anything but yes; interrupted on Ctrl-C.
pub(crate) async fn confirm(ctx: &Context, yes: bool, what: &str) -> Result<(), CliError> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::usage(format!(
            "refusing to {what} without --yes: standard input is not a terminal to ask on"
        ))
        .note("add --yes (-y) to confirm; nothing was changed"));
    }
    ctx.console.prompt(&format!("{}? [y/N]", capitalized(what)));
    let answer = ctx
        .call("waiting for an answer", async {
            tokio::task::spawn_blocking(|| {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line).map(|_| line)
            })
            .await
            .map_err(|e| CliError::failure("cannot read the answer").source(e))?
            .map_err(|e| CliError::failure("cannot read the answer").source(e))
        })
        .await?;
    if is_yes(&answer) {
        Ok(())
    } else {
        Err(CliError::failure(format!("not confirmed: did not {what}")))
    }
}

/// Whether a typed answer is yes (`y` or `yes`, any case).
fn is_yes(answer: &str) -> bool {
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// `text` with its first letter upper-case (the question starts a sentence).
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_yes_is_yes() {
        for yes in ["y", "Y", "yes", " YES \n"] {
            assert!(is_yes(yes), "{yes:?}");
        }
        for no in ["", "\n", "n", "no", "yep", "y e s"] {
            assert!(!is_yes(no), "{no:?}");
        }
        assert_eq!(capitalized("delete branch x"), "Delete branch x");
    }
}

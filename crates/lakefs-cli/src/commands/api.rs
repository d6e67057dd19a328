//! External principals, branch hard reset and STS login.

use futures_util::TryStreamExt;
use lakefs_experimental::models::ExternalPrincipal;
use serde_json::json;

use crate::cli::{BranchCommand, PrincipalCommand, StsCommand};
use crate::context::Context;
use crate::errors::{CliError, Exit};

/// `principal …`.
pub(crate) async fn principal(ctx: &Context, command: PrincipalCommand) -> Result<Exit, CliError> {
    let client = ctx.client()?;
    let console = &ctx.console;
    let what = "talking to lakeFS";
    match command {
        PrincipalCommand::Attach { user, principal } => {
            ctx.call(what, async {
                client
                    .create_user_external_principal()
                    .user_id(&user)
                    .principal_id(&principal)
                    .send()
                    .await
                    .map_err(|e| {
                        CliError::failure(format!("cannot attach {principal} to user {user}"))
                            .source(e)
                    })
            })
            .await?;
            if console.json() {
                console.json_line(&json!({"attached": principal, "user_id": user}));
            } else {
                console.result(&format!("attached {principal} to user {user}"));
            }
        }
        PrincipalCommand::Detach { user, principal } => {
            ctx.call(what, async {
                client
                    .delete_user_external_principal()
                    .user_id(&user)
                    .principal_id(&principal)
                    .send()
                    .await
                    .map_err(|e| {
                        CliError::failure(format!("cannot detach {principal} from user {user}"))
                            .source(e)
                    })
            })
            .await?;
            if console.json() {
                console.json_line(&json!({"detached": principal, "user_id": user}));
            } else {
                console.result(&format!("detached {principal} from user {user}"));
            }
        }
        PrincipalCommand::Get { principal } => {
            let found = ctx
                .call(what, async {
                    client
                        .get_external_principal()
                        .principal_id(&principal)
                        .send()
                        .await
                        .map_err(|e| {
                            CliError::failure(format!("cannot get the principal {principal}"))
                                .source(e)
                        })
                })
                .await?;
            print_principal(ctx, &found);
        }
        PrincipalCommand::List {
            user,
            prefix,
            amount,
        } => {
            let principals: Vec<ExternalPrincipal> = ctx
                .call(what, async {
                    client
                        .list_user_external_principals()
                        .user_id(&user)
                        .set_prefix(prefix)
                        .set_amount(amount)
                        .into_stream()
                        .try_collect()
                        .await
                        .map_err(|e| {
                            CliError::failure(format!("cannot list the principals of user {user}"))
                                .source(e)
                        })
                })
                .await?;
            for found in &principals {
                print_principal(ctx, found);
            }
            if principals.is_empty() {
                console.info(&format!("user {user} has no external principal"));
            }
        }
    }
    Ok(Exit::Ok)
}

fn print_principal(ctx: &Context, principal: &ExternalPrincipal) {
    if ctx.console.json() {
        ctx.console
            .json_line(&json!({"id": principal.id, "user_id": principal.user_id}));
    } else {
        ctx.console
            .stdout(&format!("{}\tuser {}", principal.id, principal.user_id));
    }
}

/// `branch …`.
pub(crate) async fn branch(ctx: &Context, command: BranchCommand) -> Result<Exit, CliError> {
    let client = ctx.client()?;
    match command {
        BranchCommand::HardReset {
            branch,
            reference,
            force,
        } => {
            ctx.call("resetting the branch", async {
                client
                    .hard_reset_branch()
                    .repository(&branch.repository)
                    .branch(&branch.branch)
                    .reference(&reference)
                    .set_force(force.then_some(true))
                    .send()
                    .await
                    .map_err(|e| {
                        CliError::failure(format!("cannot reset {branch} to {reference}")).source(e)
                    })
            })
            .await?;
            if ctx.console.json() {
                ctx.console.json_line(&json!({
                    "repository": branch.repository,
                    "branch": branch.branch,
                    "reset_to": reference,
                }));
            } else {
                ctx.console
                    .result(&format!("reset {branch} to {reference}"));
            }
        }
    }
    Ok(Exit::Ok)
}

/// `sts login`: the token is printed only when asked for, and only on stdout.
pub(crate) async fn sts(ctx: &Context, command: StsCommand) -> Result<Exit, CliError> {
    let client = ctx.client()?;
    let StsCommand::Login {
        code,
        state,
        redirect_uri,
        ttl,
        print_token,
    } = command;
    let token = ctx
        .call("logging in", async {
            client
                .sts_login()
                .code(code)
                .state(state)
                .redirect_uri(redirect_uri)
                .set_ttl_seconds(ttl)
                .send()
                .await
                .map_err(|e| CliError::failure("STS login failed").source(e))
        })
        .await?;
    let console = &ctx.console;
    if console.json() {
        let mut value = json!({"logged_in": true, "token_expiration": token.token_expiration});
        if print_token {
            value["token"] = json!(token.token);
        }
        console.json_line(&value);
    } else if print_token {
        console.stdout(&token.token);
    } else {
        let expiry = token
            .token_expiration
            .map(|t| format!(" (expires at Unix time {t})"))
            .unwrap_or_default();
        console.result(&format!(
            "logged in: lakeFS issued a token{expiry}; add --print-token to print it"
        ));
    }
    Ok(Exit::Ok)
}

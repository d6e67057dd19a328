//! External principals and STS login.

use futures_util::TryStreamExt;
use lakefs_experimental::models::{AuthenticationToken, ExternalPrincipal};
use lakefs_experimental::ExperimentalApi;
use serde_json::{json, Value};

use crate::cli::{PrincipalCommand, StsCommand};
use crate::context::Context;
use crate::errors::CliError;
use crate::output::Render;

/// What the principal commands are interrupted while doing.
const TALKING: &str = "talking to lakeFS";

/// What `principal …` did or found.
pub(crate) enum PrincipalOutcome {
    /// `attach`: the principal is now the user's.
    Attached { principal: String, user: String },
    /// `detach`: the principal is no longer the user's.
    Detached { principal: String, user: String },
    /// `get` (one) or `list` (all of a user's).
    Found(Vec<ExternalPrincipal>),
}

/// `principal …`.
pub(crate) async fn principal(
    ctx: &Context,
    command: PrincipalCommand,
) -> Result<PrincipalOutcome, CliError> {
    let client = ctx.client()?;
    Ok(match command {
        PrincipalCommand::Attach { user, principal } => {
            ctx.call(TALKING, async {
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
            PrincipalOutcome::Attached { principal, user }
        }
        PrincipalCommand::Detach { user, principal } => {
            ctx.call(TALKING, async {
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
            PrincipalOutcome::Detached { principal, user }
        }
        PrincipalCommand::Get { principal } => {
            let found = ctx
                .call(TALKING, async {
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
            PrincipalOutcome::Found(vec![found])
        }
        PrincipalCommand::List {
            user,
            prefix,
            amount,
        } => {
            let principals: Vec<ExternalPrincipal> = ctx
                .call(TALKING, async {
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
            if principals.is_empty() {
                ctx.console
                    .info(&format!("user {user} has no external principal"));
            }
            PrincipalOutcome::Found(principals)
        }
    })
}

impl Render for PrincipalOutcome {
    fn text(&self) -> Vec<String> {
        match self {
            Self::Attached { principal, user } => {
                vec![format!("attached {principal} to user {user}")]
            }
            Self::Detached { principal, user } => {
                vec![format!("detached {principal} from user {user}")]
            }
            Self::Found(principals) => principals
                .iter()
                .map(|p| format!("{}\tuser {}", p.id, p.user_id))
                .collect(),
        }
    }

    fn json(&self) -> Vec<Value> {
        match self {
            Self::Attached { principal, user } => {
                vec![json!({"attached": principal, "user_id": user})]
            }
            Self::Detached { principal, user } => {
                vec![json!({"detached": principal, "user_id": user})]
            }
            Self::Found(principals) => principals
                .iter()
                .map(|p| json!({"id": p.id, "user_id": p.user_id}))
                .collect(),
        }
    }

    fn is_confirmation(&self) -> bool {
        !matches!(self, Self::Found(_))
    }
}

/// What `sts login` got: a token, which is a secret — shown only when asked for.
pub(crate) struct StsLogin {
    token: AuthenticationToken,
    print_token: bool,
}

/// `sts login`.
pub(crate) async fn sts(ctx: &Context, command: StsCommand) -> Result<StsLogin, CliError> {
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
    Ok(StsLogin { token, print_token })
}

impl Render for StsLogin {
    fn text(&self) -> Vec<String> {
        if self.print_token {
            return vec![self.token.token.clone()];
        }
        let expiry = self
            .token
            .token_expiration
            .map(|t| format!(" that expires {}", crate::units::human_time(t)))
            .unwrap_or_default();
        vec![format!(
            "logged in: lakeFS issued a token{expiry}; add --print-token to print it"
        )]
    }

    fn json(&self) -> Vec<Value> {
        let mut value = json!({"logged_in": true, "token_expiration": self.token.token_expiration});
        if self.print_token {
            value["token"] = json!(self.token.token);
        }
        vec![value]
    }

    /// The token itself is what `--print-token` asks for; the line that a token was issued
    /// only confirms the login.
    fn is_confirmation(&self) -> bool {
        !self.print_token
    }
}

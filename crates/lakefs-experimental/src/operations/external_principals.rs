//! `createUserExternalPrincipal`, `deleteUserExternalPrincipal`, `getExternalPrincipal`,
//! `listUserExternalPrincipals` and `externalPrincipalLogin`.
//!
//! What the server does for them, with its sources:
//! [`server_notes`](crate::server_notes#external-principals-create-delete-get-list).

use lakefs_models::{
    ExternalLoginInformation, ExternalPrincipal, ExternalPrincipalCreation, ExternalPrincipalList,
    ExternalPrincipalSettings,
};
use lakefs_transport::HttpTransport;

use lakefs_client::raw::{
    self, check_amount, decode, listing, present, request_builder, required, ApiRequest, LoginInput,
};

use crate::{Error, Operation};

fn principals(operation: Operation, user_id: &str) -> ApiRequest {
    ApiRequest::new(operation, &["auth", "users"])
        .segment(user_id)
        .literal("external")
        .literal("principals")
}

request_builder! {
    /// `createUserExternalPrincipal`: attaches an external principal (for example an
    /// assumed-role ARN) to a lakeFS user. Built by
    /// [`ExperimentalApi::create_user_external_principal`](crate::ExperimentalApi::create_user_external_principal).
    ///
    /// Not retried after an ambiguous failure: a repeat answers 409 although the first call
    /// succeeded.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a missing or empty id;
    /// [`ErrorKind::Conflict`](crate::ErrorKind::Conflict) when it is already attached; [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an unknown
    /// user; [`ErrorKind::NotImplemented`](crate::ErrorKind::NotImplemented) on servers without external principals (open-source
    /// lakeFS).
    CreateUserExternalPrincipalRequest(CreateUserExternalPrincipalInput)
        => CreateUserExternalPrincipal {
        /// The lakeFS user (required).
        user_id,
        /// The external principal's id (required).
        principal_id,
        /// Authenticator-specific settings, sent as the optional body (today's servers ignore
        /// it). Unset: no body.
        settings / set_settings: ExternalPrincipalSettings,
    }
}

impl<T: HttpTransport> CreateUserExternalPrincipalRequest<T> {
    /// Sends the request.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<(), Error> {
        let operation = Operation::CreateUserExternalPrincipal;
        let user_id = required(operation, "userId", self.input.user_id)?;
        let principal_id = required(operation, "principalId", self.input.principal_id)?;
        let mut request = principals(operation, &user_id).query("principalId", &principal_id);
        if let Some(settings) = self.input.settings {
            request = request.json(&ExternalPrincipalCreation::new(Some(settings)))?;
        }
        raw::send(&self.client, request, &self.options)
            .await
            .map(drop)
    }
}

request_builder! {
    /// `deleteUserExternalPrincipal`: detaches an external principal from a user. Built by
    /// [`ExperimentalApi::delete_user_external_principal`](crate::ExperimentalApi::delete_user_external_principal).
    ///
    /// Not retried after an ambiguous failure: a repeat answers 404 although the first call
    /// succeeded.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a missing or empty id;
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) when it is not attached.
    DeleteUserExternalPrincipalRequest(DeleteUserExternalPrincipalInput)
        => DeleteUserExternalPrincipal {
        /// The lakeFS user (required).
        user_id,
        /// The external principal's id (required).
        principal_id,
    }
}

impl<T: HttpTransport> DeleteUserExternalPrincipalRequest<T> {
    /// Sends the request.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<(), Error> {
        let operation = Operation::DeleteUserExternalPrincipal;
        let user_id = required(operation, "userId", self.input.user_id)?;
        let principal_id = required(operation, "principalId", self.input.principal_id)?;
        let request = principals(operation, &user_id).query("principalId", &principal_id);
        raw::send(&self.client, request, &self.options)
            .await
            .map(drop)
    }
}

request_builder! {
    /// `getExternalPrincipal`: an external principal and the user it belongs to. Built by
    /// [`ExperimentalApi::get_external_principal`](crate::ExperimentalApi::get_external_principal). lakeFS fills only `id` and `user_id`,
    /// never `settings`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a missing or empty id;
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound).
    GetExternalPrincipalRequest(GetExternalPrincipalInput) => GetExternalPrincipal {
        /// The external principal's id (required).
        principal_id,
    }
}

impl<T: HttpTransport> GetExternalPrincipalRequest<T> {
    /// Sends the request.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<ExternalPrincipal, Error> {
        let operation = Operation::GetExternalPrincipal;
        let principal_id = required(operation, "principalId", self.input.principal_id)?;
        let request = ApiRequest::new(operation, &["auth", "external", "principals"])
            .query("principalId", &principal_id);
        decode(
            operation,
            &raw::send(&self.client, request, &self.options).await?,
        )
    }
}

request_builder! {
    /// `listUserExternalPrincipals`: the external principals attached to a user, a page at a
    /// time with [`send`](Self::send), or all of them with
    /// [`into_stream`](Self::into_stream). Built by
    /// [`ExperimentalApi::list_user_external_principals`](crate::ExperimentalApi::list_user_external_principals). lakeFS fills only `id` and
    /// `user_id` of each, never `settings`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a missing or empty user id or an
    /// `amount` outside -1..=1000; [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an unknown user.
    ListUserExternalPrincipalsRequest(ListUserExternalPrincipalsInput)
        => ListUserExternalPrincipals {
        /// The lakeFS user (required).
        user_id,
        /// Only principals whose id starts with this.
        prefix / set_prefix,
        /// Start after this id (the previous page's `next_offset`).
        after / set_after,
        /// Page size, -1 to 1000 (the server treats ≤ 0 as 100). Unset: the server's default.
        amount / set_amount: i32,
    }
}

impl<T: HttpTransport> ListUserExternalPrincipalsRequest<T> {
    /// Sends the request: one page.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<ExternalPrincipalList, Error> {
        let operation = Operation::ListUserExternalPrincipals;
        let user_id = required(operation, "userId", self.input.user_id)?;
        check_amount(operation, self.input.amount)?;
        let request = principals(operation, &user_id)
            .literal("ls")
            .query_opt("prefix", self.input.prefix.filter(|p| !p.is_empty()))
            .query_opt("after", self.input.after.filter(|a| !a.is_empty()))
            .query_opt("amount", self.input.amount);
        decode(
            operation,
            &raw::send(&self.client, request, &self.options).await?,
        )
    }
}

listing!(ListUserExternalPrincipalsRequest => ExternalPrincipal, ListUserExternalPrincipals, "external principal");

request_builder! {
    /// `externalPrincipalLogin`: logs in with an external identity (for AWS IAM, a presigned
    /// `sts:GetCallerIdentity` request) attached to a lakeFS user as an external principal,
    /// and returns a lakeFS token. Sent **without** the client's credentials, as the spec
    /// requires. Built by [`ExperimentalApi::external_principal_login`](crate::ExperimentalApi::external_principal_login).
    ///
    /// The server forwards the identity request unchanged to its external authentication API
    /// and keeps no state per login, so a repeat while the identity request is valid issues
    /// another, equally valid token: it is retried like a read. Needs lakeFS v1.18 or later
    /// with an RBAC auth service that has external principals; others answer 501
    /// ([server notes](crate::server_notes#externalprincipallogin)).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending without an identity request;
    /// [`ErrorKind::Unauthorized`](crate::ErrorKind::Unauthorized) for an identity the authenticator refuses (lakeFS says
    /// `invalid token format`), [`ErrorKind::Forbidden`](crate::ErrorKind::Forbidden) for an expired one (`session expired`);
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) when no user has the principal; [`ErrorKind::NotImplemented`](crate::ErrorKind::NotImplemented) on
    /// servers without external principals.
    ExternalPrincipalLoginRequest(ExternalPrincipalLoginInput) => ExternalPrincipalLogin: token {
        /// The identity request the server forwards to its external authenticator, the body's
        /// `identityRequest` (required).
        identity_request: serde_json::Map<String, serde_json::Value>,
        /// The token's requested lifetime in seconds (unset or ≤ 0: the server's
        /// `auth.login_duration`; capped at its `auth.login_max_duration`).
        token_expiration_duration / set_token_expiration_duration: i64,
    }
}

impl LoginInput for ExternalPrincipalLoginInput {
    fn request(self) -> Result<ApiRequest, Error> {
        let operation = Operation::ExternalPrincipalLogin;
        let identity_request = present(operation, "identityRequest", self.identity_request)?;
        let mut body = ExternalLoginInformation::new(identity_request);
        body.token_expiration_duration = self.token_expiration_duration;
        ApiRequest::new(operation, &["auth", "external", "principal", "login"]).json(&body)
    }
}

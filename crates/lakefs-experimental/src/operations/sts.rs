//! `stsLogin`.
//!
//! What the server does for it, with its sources:
//! [`server_notes`](crate::server_notes#stslogin).

use lakefs_models::StsAuthRequest;

use lakefs_client::raw::{request_builder, required, ApiRequest, LoginInput};

use crate::{Error, Operation};

request_builder! {
    /// `stsLogin`: exchanges an identity provider's authorization code for a lakeFS JWT.
    /// Sent **without** the client's credentials, as the spec requires. Built by
    /// [`ExperimentalApi::sts_login`](crate::ExperimentalApi::sts_login).
    ///
    /// Use the token with [`Credentials::bearer`](crate::Credentials::bearer), e.g. through
    /// [`ExperimentalApi::with_credentials`](crate::ExperimentalApi::with_credentials), or call [`send_and_use`](Self::send_and_use).
    /// Not retried after an ambiguous failure: the authorization code is single-use. Only a
    /// lakeFS configured with an external authentication API offers this; others answer 501.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a missing or empty code, state or
    /// redirect URI; [`ErrorKind::Unauthorized`](crate::ErrorKind::Unauthorized) for a wrong code or state;
    /// [`ErrorKind::NotImplemented`](crate::ErrorKind::NotImplemented) when the server has no external authentication API.
    StsLoginRequest(StsLoginInput) => StsLogin: token {
        /// The identity provider's authorization code (required).
        code,
        /// The state of the identity provider flow (required).
        state,
        /// The redirect URI of the identity provider flow (required).
        redirect_uri,
        /// The token's lifetime in seconds (the server defaults to 3600 and caps it at 43200).
        ttl_seconds / set_ttl_seconds: i64,
    }
}

impl LoginInput for StsLoginInput {
    fn request(self) -> Result<ApiRequest, Error> {
        let operation = Operation::StsLogin;
        let code = required(operation, "code", self.code)?;
        let state = required(operation, "state", self.state)?;
        let redirect_uri = required(operation, "redirect_uri", self.redirect_uri)?;
        let mut body = StsAuthRequest::new(code, state, redirect_uri);
        body.ttl_seconds = self.ttl_seconds;
        ApiRequest::new(operation, &["sts", "login"]).json(&body)
    }
}

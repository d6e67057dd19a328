//! `stsLogin`.

use lakefs_models::{AuthenticationToken, StsAuthRequest};
use lakefs_transport::HttpTransport;

use crate::request::{decode, require, ApiRequest};
use crate::{Credentials, Error, ExperimentalClient, Operation};

impl<T: HttpTransport> ExperimentalClient<T> {
    /// `stsLogin`: exchanges an identity provider's authorization code for a lakeFS JWT.
    /// Sent **without** the client's credentials, as the spec requires.
    ///
    /// Use the token with [`Credentials::bearer`], e.g. through
    /// [`ExperimentalClient::with_credentials`].
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] before sending for an empty code, state or redirect URI;
    /// [`Error::Unauthorized`] for a wrong code or state; [`Error::NotImplemented`] when the
    /// server has no external authentication API.
    pub async fn sts_login(&self, body: &StsAuthRequest) -> Result<AuthenticationToken, Error> {
        let operation = Operation::StsLogin;
        require(operation, "code", &body.code)?;
        require(operation, "state", &body.state)?;
        require(operation, "redirect_uri", &body.redirect_uri)?;
        let request = ApiRequest::new(operation, &["sts", "login"]).json(body)?;
        decode(operation, &self.execute(request).await?)
    }

    /// Logs in with [`sts_login`](Self::sts_login) and returns a client that uses the token.
    ///
    /// # Errors
    /// As [`sts_login`](Self::sts_login).
    pub async fn with_sts_login(&self, body: &StsAuthRequest) -> Result<Self, Error> {
        let token = self.sts_login(body).await?;
        Ok(self.with_credentials(Credentials::bearer(token.token)))
    }
}

//! `createUserExternalPrincipal`, `deleteUserExternalPrincipal`, `getExternalPrincipal`,
//! `listUserExternalPrincipals`.

use lakefs_models::{ExternalPrincipal, ExternalPrincipalCreation, ExternalPrincipalList};
use lakefs_transport::HttpTransport;

use crate::request::{decode, require, ApiRequest};
use crate::{Error, ExperimentalClient, Operation};

/// Paging parameters of `listUserExternalPrincipals`; unset ones are not sent.
///
/// ```
/// use lakefs_experimental::ListExternalPrincipals;
///
/// let page = ListExternalPrincipals::new().prefix("arn:aws:sts::123:").amount(50);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct ListExternalPrincipals {
    /// Only principals whose id starts with this.
    pub prefix: Option<String>,
    /// Start after this id (the previous page's `next_offset`).
    pub after: Option<String>,
    /// Page size, -1 to 1000 (the server treats ≤ 0 as 100).
    pub amount: Option<i32>,
}

impl ListExternalPrincipals {
    /// No filter, the server's default page size.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only principals whose id starts with `prefix`.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Start after this id.
    pub fn after(mut self, after: impl Into<String>) -> Self {
        self.after = Some(after.into());
        self
    }

    /// Page size, -1 to 1000.
    pub fn amount(mut self, amount: i32) -> Self {
        self.amount = Some(amount);
        self
    }
}

/// The most pages [`ExperimentalClient::list_all_user_external_principals`] walks before it
/// decides the server is looping.
const MAX_PAGES: usize = 100_000;

impl<T: HttpTransport> ExperimentalClient<T> {
    /// `createUserExternalPrincipal`: attaches the external principal `principal_id` (for
    /// example an assumed-role ARN) to the lakeFS user `user_id`. The body is optional and
    /// ignored by today's servers.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] before sending for an empty id; [`Error::Conflict`] when it
    /// is already attached; [`Error::NotFound`] for an unknown user;
    /// [`Error::NotImplemented`] on servers without external principals (open-source lakeFS).
    pub async fn create_user_external_principal(
        &self,
        user_id: &str,
        principal_id: &str,
        body: Option<&ExternalPrincipalCreation>,
    ) -> Result<(), Error> {
        let operation = Operation::CreateUserExternalPrincipal;
        require(operation, "userId", user_id)?;
        require(operation, "principalId", principal_id)?;
        let mut request = principals(operation, user_id).query("principalId", principal_id);
        if let Some(body) = body {
            request = request.json(body)?;
        }
        self.execute(request).await.map(drop)
    }

    /// `deleteUserExternalPrincipal`: detaches `principal_id` from `user_id`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] before sending for an empty id; [`Error::NotFound`] when it
    /// is not attached.
    pub async fn delete_user_external_principal(
        &self,
        user_id: &str,
        principal_id: &str,
    ) -> Result<(), Error> {
        let operation = Operation::DeleteUserExternalPrincipal;
        require(operation, "userId", user_id)?;
        require(operation, "principalId", principal_id)?;
        let request = principals(operation, user_id).query("principalId", principal_id);
        self.execute(request).await.map(drop)
    }

    /// `getExternalPrincipal`: the principal `principal_id` and the user it belongs to.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] before sending for an empty id; [`Error::NotFound`].
    pub async fn get_external_principal(
        &self,
        principal_id: &str,
    ) -> Result<ExternalPrincipal, Error> {
        let operation = Operation::GetExternalPrincipal;
        require(operation, "principalId", principal_id)?;
        let request = ApiRequest::new(operation, &["auth", "external", "principals"])
            .query("principalId", principal_id);
        decode(operation, &self.execute(request).await?)
    }

    /// `listUserExternalPrincipals`: one page of the principals attached to `user_id`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] before sending for an empty id or an `amount` outside
    /// -1 … 1000; [`Error::NotFound`] for an unknown user.
    pub async fn list_user_external_principals(
        &self,
        user_id: &str,
        page: &ListExternalPrincipals,
    ) -> Result<ExternalPrincipalList, Error> {
        let operation = Operation::ListUserExternalPrincipals;
        require(operation, "userId", user_id)?;
        if let Some(amount) = page.amount.filter(|a| !(-1..=1000).contains(a)) {
            return Err(Error::InvalidArgument {
                operation,
                argument: "amount",
                reason: format!("{amount} is outside the allowed -1 to 1000"),
            });
        }
        // Omit empty prefix/after: servers before v1.60 reject empty values.
        let request = principals(operation, user_id)
            .literal("ls")
            .query_opt("prefix", page.prefix.as_deref().filter(|p| !p.is_empty()))
            .query_opt("after", page.after.as_deref().filter(|a| !a.is_empty()))
            .query_opt("amount", page.amount);
        decode(operation, &self.execute(request).await?)
    }

    /// Every principal attached to `user_id` whose id starts with `prefix`, walking all
    /// pages of [`list_user_external_principals`](Self::list_user_external_principals).
    ///
    /// # Errors
    /// As one page; [`Error::Protocol`] when the server says there are more pages but its
    /// cursor does not move forward.
    pub async fn list_all_user_external_principals(
        &self,
        user_id: &str,
        prefix: Option<&str>,
    ) -> Result<Vec<ExternalPrincipal>, Error> {
        let operation = Operation::ListUserExternalPrincipals;
        let mut page = ListExternalPrincipals {
            prefix: prefix.map(str::to_owned),
            after: None,
            amount: Some(1000),
        };
        let mut all = Vec::new();
        for _ in 0..MAX_PAGES {
            let list = self.list_user_external_principals(user_id, &page).await?;
            all.extend(list.results);
            if !list.pagination.has_more {
                return Ok(all);
            }
            let next = list.pagination.next_offset;
            if next.is_empty() || page.after.as_deref() == Some(next.as_str()) {
                return Err(Error::Protocol {
                    operation,
                    reason: format!(
                        "has_more is true but next_offset {next:?} does not advance the listing"
                    ),
                });
            }
            page.after = Some(next);
        }
        Err(Error::Protocol {
            operation,
            reason: format!("more than {MAX_PAGES} pages"),
        })
    }
}

fn principals(operation: Operation, user_id: &str) -> ApiRequest {
    ApiRequest::new(operation, &["auth", "users"])
        .segment(user_id)
        .literal("external")
        .literal("principals")
}

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// Authenticator-specific settings of an external principal (schema
/// `ExternalPrincipalSettings`): string keys and string values.
pub type ExternalPrincipalSettings = BTreeMap<String, String>;

/// Request body of `createUserExternalPrincipal` (schema `ExternalPrincipalCreation`).
///
/// The spec declares `settings` as `type: object` with a stray `items`; the lakeFS server models
/// it as an object (and ignores this body altogether). It is therefore encoded as a JSON object;
/// decoding accepts an object or an array of objects.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExternalPrincipalCreation {
    /// Authenticator-specific settings.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "settings_object_or_array"
    )]
    pub settings: Option<ExternalPrincipalSettings>,
}

impl ExternalPrincipalCreation {
    /// A body with these settings.
    #[must_use]
    pub fn new(settings: Option<ExternalPrincipalSettings>) -> Self {
        Self { settings }
    }
}

/// An external principal attached to a lakeFS user (schema `ExternalPrincipal`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExternalPrincipal {
    /// Unique id of the external principal, e.g. `arn:aws:sts::123:assumed-role/role-name`.
    pub id: String,
    /// The lakeFS user the principal is attached to.
    pub user_id: String,
    /// Authenticator-specific settings (the server never fills them today). Decodes from a
    /// JSON object or an array of objects; see [`ExternalPrincipalCreation`].
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "settings_object_or_array"
    )]
    pub settings: Option<ExternalPrincipalSettings>,
}

impl ExternalPrincipal {
    /// The principal `id`, attached to `user_id`, without settings.
    #[must_use]
    pub fn new(id: impl Into<String>, user_id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            user_id: user_id.into(),
            settings: None,
        }
    }
}

/// One page of external principals (schema `ExternalPrincipalList`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExternalPrincipalList {
    /// Paging information.
    pub pagination: Pagination,
    /// The principals of this page.
    pub results: Vec<ExternalPrincipal>,
}

impl ExternalPrincipalList {
    /// A page of `results`.
    #[must_use]
    pub fn new(pagination: Pagination, results: Vec<ExternalPrincipal>) -> Self {
        Self {
            pagination,
            results,
        }
    }
}

/// Paging information of a list answer (schema `Pagination`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Pagination {
    /// Whether another page exists.
    pub has_more: bool,
    /// Cursor to pass as `after` for the next page.
    pub next_offset: String,
    /// Number of items in this page.
    pub results: i64,
    /// The server's page size cap (lakeFS always answers 0 for external principals).
    pub max_per_page: i64,
}

impl Pagination {
    /// Paging information: whether more follows, the cursor for the next page, the number of
    /// items in this page and the server's page size cap.
    #[must_use]
    pub fn new(
        has_more: bool,
        next_offset: impl Into<String>,
        results: i64,
        max_per_page: i64,
    ) -> Self {
        Self {
            has_more,
            next_offset: next_offset.into(),
            results,
            max_per_page,
        }
    }
}

/// Decodes `settings` from `null`, an object, or an array of objects (merged in order; a later
/// key replaces an earlier one). Non-string values are kept as their JSON text.
fn settings_object_or_array<'de, D>(
    deserializer: D,
) -> Result<Option<ExternalPrincipalSettings>, D::Error>
where
    D: Deserializer<'de>,
{
    fn merge(into: &mut ExternalPrincipalSettings, object: serde_json::Map<String, Value>) {
        for (key, value) in object {
            let value = match value {
                Value::String(text) => text,
                other => other.to_string(),
            };
            into.insert(key, value);
        }
    }

    match Value::deserialize(deserializer)? {
        Value::Null => Ok(None),
        Value::Object(object) => {
            let mut settings = ExternalPrincipalSettings::new();
            merge(&mut settings, object);
            Ok(Some(settings))
        }
        Value::Array(items) => {
            let mut settings = ExternalPrincipalSettings::new();
            for item in items {
                match item {
                    Value::Object(object) => merge(&mut settings, object),
                    Value::Null => {}
                    other => {
                        return Err(serde::de::Error::custom(format_args!(
                            "settings: expected an object or an array of objects, found an array holding {}",
                            json_kind(&other)
                        )))
                    }
                }
            }
            Ok(Some(settings))
        }
        other => Err(serde::de::Error::custom(format_args!(
            "settings: expected an object or an array of objects, found {}",
            json_kind(&other)
        ))),
    }
}

/// The kind of a JSON value, for errors that must not quote the value itself.
fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

//! The test-side checker of requests against lakeFS's OpenAPI spec, shared by the operation
//! crates' `spec_conformance` tests (included with `#[path]`): method, path template, path and
//! query parameters with their types, ranges and enums, body properties (through `allOf` and
//! nested objects) with their types and required fields, and the security scheme.
//!
//! The spec is `spec/lakefs-v1.84.0.yml` beside this file, or the file `LAKEFS_OPENAPI_SPEC`
//! names. Paths are relative to the including crate's manifest (`crates/<crate>`).
#![allow(dead_code)]

use std::path::PathBuf;

use lakefs_client::{CookieScheme, Credentials, Operation};
use lakefs_transport::fake::RecordedRequest;
use serde_json::Value;

/// One set of credentials of each of the spec's five security schemes.
pub(crate) fn every_scheme() -> [Credentials; 5] {
    [
        Credentials::basic("AKIAEXAMPLE", "secret"),
        Credentials::bearer("eyJ.a.b"),
        Credentials::cookie(CookieScheme::Internal, "c"),
        Credentials::cookie(CookieScheme::Oidc, "c"),
        Credentials::cookie(CookieScheme::Saml, "c"),
    ]
}

pub(crate) fn spec() -> Value {
    let path = std::env::var_os("LAKEFS_OPENAPI_SPEC")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../spec/lakefs-v1.84.0.yml")
        });
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the lakeFS OpenAPI spec at {} ({e}); it is spec/lakefs-v1.84.0.yml of \
             this repository, or set LAKEFS_OPENAPI_SPEC to the path of a swagger.yml",
            path.display()
        )
    });
    serde_yaml_ng::from_str(&text).expect("swagger.yml is not valid YAML")
}

/// Follows a `$ref` like `#/components/parameters/PaginationPrefix`.
pub(crate) fn resolve<'a>(spec: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.trim_start_matches('#');
            resolve(
                spec,
                spec.pointer(pointer)
                    .unwrap_or_else(|| panic!("dangling $ref {reference}")),
            )
        }
        None => node,
    }
}

/// The (path template, method, operation object) of `operation_id`.
pub(crate) fn find<'a>(spec: &'a Value, operation_id: &str) -> (String, String, &'a Value) {
    let (path, method, op, _) = find_with_item(spec, operation_id);
    (path, method, op)
}

/// As [`find`], plus the path item (which may declare parameters for all its methods).
fn find_with_item<'a>(
    spec: &'a Value,
    operation_id: &str,
) -> (String, String, &'a Value, &'a Value) {
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op.get("operationId").and_then(Value::as_str) == Some(operation_id) {
                return (path.clone(), method.to_uppercase(), op, item);
            }
        }
    }
    panic!("operationId {operation_id} is not in the spec");
}

/// Matches `/api/v1/...` against the template; returns the decoded path parameters.
fn match_path(base: &str, template: &str, path: &str) -> Result<Vec<(String, String)>, String> {
    let rest = path
        .strip_prefix(base)
        .ok_or_else(|| format!("{path} is not under {base}"))?;
    let want: Vec<&str> = template.trim_start_matches('/').split('/').collect();
    let got: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    if want.len() != got.len() {
        return Err(format!(
            "{rest} has {} segments, template {template} has {}",
            got.len(),
            want.len()
        ));
    }
    let mut params = Vec::new();
    for (w, g) in want.iter().zip(&got) {
        if let Some(name) = w.strip_prefix('{').and_then(|n| n.strip_suffix('}')) {
            if g.is_empty() {
                return Err(format!("empty value for path parameter {name}"));
            }
            let decoded = percent_decode(g);
            params.push((name.to_owned(), decoded));
        } else if w != g {
            return Err(format!("segment {g:?} where the template has {w:?}"));
        }
    }
    Ok(params)
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .expect("path segment is not UTF-8")
        .into_owned()
}

fn check_type(name: &str, schema: &Value, value: &str) -> Result<(), String> {
    match schema["type"].as_str() {
        Some("integer") => {
            let n: i64 = value
                .parse()
                .map_err(|_| format!("{name}={value} is not an integer"))?;
            if let Some(min) = schema["minimum"].as_i64() {
                if n < min {
                    return Err(format!("{name}={n} is below the minimum {min}"));
                }
            }
            if let Some(max) = schema["maximum"].as_i64() {
                if n > max {
                    return Err(format!("{name}={n} is above the maximum {max}"));
                }
            }
            Ok(())
        }
        Some("boolean") if value != "true" && value != "false" => {
            Err(format!("{name}={value} is not true/false"))
        }
        Some("string") if value.is_empty() && schema.get("allowEmptyValue").is_none() => {
            Err(format!("{name} is sent empty"))
        }
        Some("string") => match schema["enum"].as_array() {
            Some(allowed) if !allowed.iter().any(|a| a.as_str() == Some(value)) => Err(format!(
                "{name}={value} is not one of the spec's values {allowed:?}"
            )),
            _ => Ok(()),
        },
        _ => Ok(()),
    }
}

/// The properties and required names of an object schema, through `allOf`.
fn flatten<'a>(
    spec: &'a Value,
    schema: &'a Value,
) -> (serde_json::Map<String, Value>, Vec<String>) {
    let schema = resolve(spec, schema);
    let mut properties = schema["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut required: Vec<String> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str().map(str::to_owned))
        .collect();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        let (more, also) = flatten(spec, part);
        properties.extend(more);
        required.extend(also);
    }
    (properties, required)
}

/// Checks a JSON object against an object schema, recursing into object properties.
fn check_object(
    spec: &Value,
    schema: &Value,
    object: &serde_json::Map<String, Value>,
    at: &str,
) -> Result<(), String> {
    let (properties, required) = flatten(spec, schema);
    for name in &required {
        if !object.contains_key(name) {
            return Err(format!("required body property {at}{name} is missing"));
        }
    }
    if properties.is_empty() {
        return Ok(()); // a free-form object (`type: object` without properties)
    }
    for (name, value) in object {
        let property = properties
            .get(name)
            .ok_or_else(|| format!("body property {at}{name} is not in the spec"))?;
        let property = resolve(spec, property);
        if !json_type_matches(property, value) {
            return Err(format!(
                "body property {at}{name} has the wrong JSON type: {value}"
            ));
        }
        if let (Some(allowed), Some(text)) = (property["enum"].as_array(), value.as_str()) {
            if !allowed.iter().any(|a| a.as_str() == Some(text)) {
                return Err(format!(
                    "body property {at}{name}={text} is not one of {allowed:?}"
                ));
            }
        }
        if let (Some(pattern), Some(text)) = (property["pattern"].as_str(), value.as_str()) {
            if pattern == "^bytes=((\\d*-\\d*,? ?)+)$" && !is_byte_range(text) {
                return Err(format!(
                    "body property {at}{name}={text} does not match {pattern}"
                ));
            }
        }
        if let (Some(items), Some(array)) = (property.get("items"), value.as_array()) {
            let items = resolve(spec, items);
            for (index, item) in array.iter().enumerate() {
                if !json_type_matches(items, item) {
                    return Err(format!(
                        "{at}{name}[{index}] has the wrong JSON type: {item}"
                    ));
                }
                if let Some(item_object) = item.as_object() {
                    check_object(spec, items, item_object, &format!("{at}{name}[{index}]."))?;
                }
            }
        }
        if let Some(nested) = value.as_object() {
            if property.get("properties").is_some() || property.get("allOf").is_some() {
                check_object(spec, property, nested, &format!("{at}{name}."))?;
            }
        }
    }
    Ok(())
}

/// The spec's range pattern `^bytes=((\d*-\d*,? ?)+)$`, without a regex dependency.
fn is_byte_range(text: &str) -> bool {
    let Some(ranges) = text.strip_prefix("bytes=") else {
        return false;
    };
    !ranges.is_empty()
        && ranges.split(',').all(|range| {
            let range = range.trim_start_matches(' ');
            range.split_once('-').is_some_and(|(a, b)| {
                a.chars().all(|c| c.is_ascii_digit())
                    && b.trim_end().chars().all(|c| c.is_ascii_digit())
            })
        })
}

fn json_type_matches(schema: &Value, value: &Value) -> bool {
    match schema["type"].as_str() {
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("boolean") => value.is_boolean(),
        Some("array") => value.is_array(),
        Some("object") => value.is_object(),
        _ => true,
    }
}

fn check_body(spec: &Value, op: &Value, request: &RecordedRequest) -> Result<(), String> {
    let Some(body_spec) = op.get("requestBody") else {
        return if request.body.is_empty() {
            Ok(())
        } else {
            Err("a body is sent but the spec declares none".into())
        };
    };
    let body_spec = resolve(spec, body_spec);
    if request.body.is_empty() {
        return if body_spec["required"].as_bool() == Some(true) {
            Err("the spec requires a body; none was sent".into())
        } else {
            Ok(())
        };
    }
    let content_type = request
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type == "application/octet-stream" {
        // A binary body (`uploadObject`): the spec must declare that media type.
        return if body_spec["content"]["application/octet-stream"].is_null() {
            Err("an application/octet-stream body the spec does not declare".into())
        } else {
            Ok(())
        };
    }
    let media = &body_spec["content"]["application/json"];
    if media.is_null() {
        return Err("the spec's body is not application/json".into());
    }
    if request
        .headers
        .get("content-type")
        .map(|v| v.to_str().unwrap())
        != Some("application/json")
    {
        return Err("JSON body without Content-Type: application/json".into());
    }
    let body: Value =
        serde_json::from_slice(&request.body).map_err(|e| format!("body is not JSON: {e}"))?;
    let object = body.as_object().ok_or("body is not a JSON object")?;
    check_object(spec, &media["schema"], object, "")
}

fn check_security(spec: &Value, op: &Value, request: &RecordedRequest) -> Result<(), String> {
    let requirements = op
        .get("security")
        .unwrap_or(&spec["security"])
        .as_array()
        .unwrap();
    let authorization = request
        .headers
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_owned());
    let cookie = request
        .headers
        .get("cookie")
        .map(|v| v.to_str().unwrap().to_owned());
    if requirements.is_empty() {
        return match (authorization, cookie) {
            (None, None) => Ok(()),
            _ => Err("the spec says security: [] but credentials were sent".into()),
        };
    }
    let schemes = &spec["components"]["securitySchemes"];
    let satisfied = requirements.iter().any(|requirement| {
        requirement.as_object().unwrap().keys().all(|name| {
            let scheme = &schemes[name];
            match (
                scheme["type"].as_str(),
                scheme["scheme"].as_str(),
                scheme["in"].as_str(),
            ) {
                (Some("http"), Some("basic"), _) => authorization
                    .as_deref()
                    .is_some_and(|a| a.starts_with("Basic ")),
                (Some("http"), Some("bearer"), _) => authorization
                    .as_deref()
                    .is_some_and(|a| a.starts_with("Bearer ")),
                (Some("apiKey"), _, Some("cookie")) => {
                    let cookie_name = format!("{}=", scheme["name"].as_str().unwrap());
                    cookie
                        .as_deref()
                        .is_some_and(|c| c.starts_with(&cookie_name))
                }
                other => panic!("unexpected security scheme {name}: {other:?}"),
            }
        })
    });
    if satisfied {
        Ok(())
    } else {
        Err(format!(
            "credentials {authorization:?} / {cookie:?} satisfy no scheme of the spec"
        ))
    }
}

pub(crate) fn check(
    spec: &Value,
    operation: Operation,
    request: &RecordedRequest,
) -> Result<(), String> {
    let (template, method, op, item) = find_with_item(spec, operation.id());
    let tags: Vec<&str> = op["tags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let experimental = Operation::EXPERIMENTAL.contains(&operation);
    if tags.contains(&"experimental") != experimental {
        return Err(format!(
            "tagged {tags:?} in the spec, and this SDK counts it {} experimental",
            if experimental { "as" } else { "as not" }
        ));
    }
    if request.method.as_str() != method {
        return Err(format!(
            "method {} but the spec says {method}",
            request.method
        ));
    }
    let base = spec["servers"][0]["url"].as_str().unwrap();
    let path_params = match_path(base, &template, request.uri.path())?;
    let parameters: Vec<&Value> = item["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(op["parameters"].as_array().into_iter().flatten())
        .map(|p| resolve(spec, p))
        .collect();
    for (name, value) in &path_params {
        let declared = parameters
            .iter()
            .find(|p| p["in"] == "path" && p["name"] == name.as_str())
            .ok_or_else(|| format!("path parameter {name} not declared"))?;
        check_type(name, &declared["schema"], value)?;
    }
    let query = request.query_pairs();
    for parameter in parameters.iter().filter(|p| p["in"] == "query") {
        let name = parameter["name"].as_str().unwrap();
        let sent: Vec<&String> = query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v)
            .collect();
        if parameter["required"].as_bool() == Some(true) && sent.is_empty() {
            return Err(format!("required query parameter {name} is missing"));
        }
        let array = parameter["schema"]["type"] == "array";
        if sent.len() > 1 && !array {
            return Err(format!(
                "query parameter {name} is sent {} times",
                sent.len()
            ));
        }
        let mut schema = if array {
            // An array in the query (form style, exploded): one value per repetition.
            resolve(spec, &parameter["schema"]["items"]).clone()
        } else {
            parameter["schema"].clone()
        };
        if parameter.get("allowEmptyValue").is_some() {
            schema["allowEmptyValue"] = Value::Bool(true);
        }
        for value in sent {
            check_type(name, &schema, value)?;
        }
    }
    for (name, _) in &query {
        if !parameters
            .iter()
            .any(|p| p["in"] == "query" && p["name"] == name.as_str())
        {
            return Err(format!(
                "query parameter {name} is not declared by the spec"
            ));
        }
    }
    check_body(spec, op, request)?;
    check_security(spec, op, request)
}

//! Reading request bodies with DRF-style 400 answers.

use serde_json::{Map, Value};

use crate::api_error::{ApiError, ApiResult};
use crate::ids::normalize_uuid;

pub type Body = Map<String, Value>;

/// The request body as a JSON object; an empty body is an empty object,
/// as DRF treats a POST without data.
pub fn json_object(bytes: &[u8]) -> ApiResult<Body> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Body::new());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(other) => Err(ApiError::field(
            "non_field_errors",
            format!(
                "Invalid data. Expected a dictionary, but got {}.",
                json_type(&other)
            ),
        )),
        Err(error) => Err(ApiError {
            status: axum::http::StatusCode::BAD_REQUEST,
            body: serde_json::json!({ "detail": format!("JSON parse error - {error}") }),
        }),
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// A string field; `None` when absent or null.
pub fn optional_str(body: &Body, field: &str, max_len: usize) -> ApiResult<Option<String>> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.chars().count() > max_len => Err(ApiError::field(
            field,
            format!("Ensure this field has no more than {max_len} characters."),
        )),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(ApiError::field(field, "Not a valid string.")),
    }
}

/// A required, non-blank string field.
pub fn required_str(body: &Body, field: &str, max_len: usize) -> ApiResult<String> {
    match optional_str(body, field, max_len)? {
        None => Err(ApiError::required(field)),
        Some(text) if text.trim().is_empty() => {
            Err(ApiError::field(field, "This field may not be blank."))
        }
        Some(text) => Ok(text),
    }
}

pub fn optional_bool(body: &Body, field: &str) -> ApiResult<Option<bool>> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(flag)) => Ok(Some(*flag)),
        Some(_) => Err(ApiError::field(field, "Must be a valid boolean.")),
    }
}

pub fn optional_int(body: &Body, field: &str) -> ApiResult<Option<i64>> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(number)) => number
            .as_i64()
            .map(Some)
            .ok_or_else(|| ApiError::field(field, "A valid integer is required.")),
        Some(_) => Err(ApiError::field(field, "A valid integer is required.")),
    }
}

/// A `{component_type: int}` map such as order `limits`.
pub fn int_map(body: &Body, field: &str) -> ApiResult<std::collections::BTreeMap<String, i64>> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(Default::default()),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(key, value)| {
                value
                    .as_i64()
                    .map(|number| (key.clone(), number))
                    .ok_or_else(|| {
                        ApiError::field(field, format!("{key}: A valid integer is required."))
                    })
            })
            .collect(),
        Some(_) => Err(ApiError::field(field, "Expected a dictionary of items.")),
    }
}

/// A hyperlinked field's text; `None` when absent or null.
fn link_text<'a>(body: &'a Body, field: &str) -> ApiResult<Option<&'a str>> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(link)) => Ok(Some(link)),
        Some(other) => Err(ApiError::field(
            field,
            format!(
                "Incorrect type. Expected URL string, received {}.",
                json_type(other)
            ),
        )),
    }
}

/// Reads a hyperlinked relation and returns the UUID it points to.
///
/// The link must name one of `collections` (relative to the API root,
/// e.g. `projects/`); both absolute URLs and `/api/...` paths are taken.
pub fn hyperlink(body: &Body, field: &str, collections: &[&str]) -> ApiResult<Option<String>> {
    let Some(link) = link_text(body, field)? else {
        return Ok(None);
    };
    uuid_in_link(link, collections)
        .map(Some)
        .ok_or_else(|| ApiError::field(field, "Invalid hyperlink - Incorrect URL match."))
}

/// A plan link as the order serializers read it (serializers.py
/// `BaseItemSerializer.plan`, a `PublicPlanField` with view_name
/// `marketplace-public-offering-plan-detail`):
/// `marketplace-public-offerings/<offering_uuid>/plans/<plan_uuid>/`. DRF
/// looks the plan up by `plan_uuid` alone; the plan's UUID is returned.
pub fn public_plan_hyperlink(body: &Body, field: &str) -> ApiResult<Option<String>> {
    let Some(link) = link_text(body, field)? else {
        return Ok(None);
    };
    let incorrect = || ApiError::field(field, "Invalid hyperlink - Incorrect URL match.");
    let path = api_path(link).ok_or_else(incorrect)?;
    let rest = path
        .strip_prefix(crate::render::paths::PUBLIC_OFFERINGS)
        .ok_or_else(incorrect)?;
    let mut segments = rest.split('/');
    match (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) {
        (Some(offering), Some("plans"), Some(plan), Some(""), None)
            if is_uuid_text(offering) && is_uuid_text(plan) =>
        {
            Ok(Some(normalize_uuid(plan)))
        }
        _ => Err(incorrect()),
    }
}

/// Like [`hyperlink`], but the field must be present.
pub fn required_hyperlink(body: &Body, field: &str, collections: &[&str]) -> ApiResult<String> {
    hyperlink(body, field, collections)?.ok_or_else(|| ApiError::required(field))
}

/// The error for a well-formed link to an object that does not exist.
pub fn missing_object(field: &str) -> ApiError {
    ApiError::field(field, "Invalid hyperlink - Object does not exist.")
}

/// The link's path below the API root (`projects/<uuid>/`).
fn api_path(link: &str) -> Option<&str> {
    let path = match link.split_once("://") {
        Some((_, rest)) => &rest[rest.find('/')?..],
        None => link,
    };
    let path = path.split(['?', '#']).next()?;
    let path = path.trim_start_matches('/');
    Some(path.strip_prefix("api/").unwrap_or(path))
}

fn is_uuid_text(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|ch| ch.is_ascii_hexdigit() || ch == '-')
}

fn uuid_in_link(link: &str, collections: &[&str]) -> Option<String> {
    let path = api_path(link)?;
    collections.iter().find_map(|collection| {
        let uuid = path.strip_prefix(collection)?.strip_suffix('/')?;
        is_uuid_text(uuid).then(|| normalize_uuid(uuid))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(value: Value) -> Body {
        match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    #[test]
    fn hyperlinks_resolve_to_uuids() {
        let request = body(json!({
            "project": "http://127.0.0.1:9/api/projects/AB-CD/",
            "offering": "/api/marketplace-public-offerings/0f1e/",
            "bad": "http://127.0.0.1:9/api/customers/ab/",
            "number": 5
        }));
        assert_eq!(
            hyperlink(&request, "project", &["projects/"]).unwrap(),
            Some("abcd".into())
        );
        assert_eq!(
            hyperlink(
                &request,
                "offering",
                &[
                    "marketplace-provider-offerings/",
                    "marketplace-public-offerings/"
                ]
            )
            .unwrap(),
            Some("0f1e".into())
        );
        assert!(hyperlink(&request, "bad", &["projects/"]).is_err());
        assert!(hyperlink(&request, "number", &["projects/"]).is_err());
        assert!(required_hyperlink(&request, "missing", &["projects/"]).is_err());
    }

    #[test]
    fn plan_links_are_the_public_offering_plan_urls() {
        let request = body(json!({
            "good": "http://127.0.0.1:9/api/marketplace-public-offerings/0f1e/plans/AB-cd/",
            "provider": "http://127.0.0.1:9/api/marketplace-plans/abcd/",
            "short": "/api/marketplace-public-offerings/0f1e/",
        }));
        assert_eq!(
            public_plan_hyperlink(&request, "good").unwrap(),
            Some("abcd".into())
        );
        assert!(public_plan_hyperlink(&request, "provider").is_err());
        assert!(public_plan_hyperlink(&request, "short").is_err());
        assert_eq!(public_plan_hyperlink(&request, "missing").unwrap(), None);
    }

    #[test]
    fn bodies_and_fields() {
        assert!(json_object(b"").unwrap().is_empty());
        assert!(json_object(b"[1]").is_err());
        assert!(json_object(b"{oops").is_err());
        let request = body(json!({"name": "  ", "long": "abcdef", "n": 1.5, "flag": true}));
        assert!(required_str(&request, "name", 10).is_err());
        assert!(optional_str(&request, "long", 3).is_err());
        assert!(optional_int(&request, "n").is_err());
        assert_eq!(optional_bool(&request, "flag").unwrap(), Some(true));
    }
}

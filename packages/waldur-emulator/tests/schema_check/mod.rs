//! A small OpenAPI 3.0 response checker, enough for the emulator's bodies:
//! every field present must be declared with a compatible JSON type,
//! enums must hold allowed values, and formats used by Waldur (uuid,
//! date-time, date, decimal, uri) must look right.

use std::path::PathBuf;

use serde_json::Value;

/// Where CI and developers keep the schema: `shared/` beside the repo.
/// `shared/waldur/` beside the repository, or the file named by
/// `WALDUR_OPENAPI_SCHEMA` (a git worktree checked out elsewhere).
pub fn schema_path() -> PathBuf {
    match std::env::var_os("WALDUR_OPENAPI_SCHEMA") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/waldur/waldur-openapi-schema-8.0.5.yaml"),
    }
}

pub struct OpenApi {
    doc: Value,
}

impl OpenApi {
    /// Loads the schema, failing loudly when it is missing: a conformance
    /// test that silently passes without its reference is worse than none.
    pub fn load() -> Self {
        let path = schema_path();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|error| {
            panic!(
                "the Waldur OpenAPI schema is required for this test but could not be read at {}: {error}. \
                 It lives in shared/waldur/ beside the repository (../shared from the repo root).",
                path.display()
            )
        });
        let doc: Value = serde_yaml::from_str(&text)
            .unwrap_or_else(|error| panic!("{} is not valid YAML: {error}", path.display()));
        assert!(
            doc.pointer("/paths").is_some_and(Value::is_object),
            "{} has no paths",
            path.display()
        );
        Self { doc }
    }

    /// The operation object of `method` on `path` (`/api/.../{uuid}/`).
    pub fn operation(&self, method: &str, path: &str) -> &Value {
        self.doc
            .get("paths")
            .and_then(|paths| paths.get(path))
            .and_then(|item| item.get(method.to_ascii_lowercase()))
            .unwrap_or_else(|| panic!("the schema has no {method} {path}"))
    }

    /// The declared JSON schema of a response, `None` when the schema
    /// declares the status with no body.
    pub fn response_schema(&self, method: &str, path: &str, status: u16) -> Option<&Value> {
        let responses = self
            .operation(method, path)
            .get("responses")
            .unwrap_or(&Value::Null);
        let response = responses
            .get(status.to_string())
            .unwrap_or_else(|| panic!("{method} {path} does not declare status {status}"));
        response.pointer("/content/application~1json/schema")
    }

    /// Whether a response declares a header, e.g. `x-result-count`.
    pub fn declares_header(&self, method: &str, path: &str, status: u16, header: &str) -> bool {
        self.operation(method, path)
            .pointer(&format!("/responses/{status}/headers"))
            .and_then(Value::as_object)
            .is_some_and(|headers| headers.keys().any(|name| name.eq_ignore_ascii_case(header)))
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        let mut current = schema;
        // Bounded: schemas here never chain more than a few references.
        for _ in 0..16 {
            let Some(reference) = current.get("$ref").and_then(Value::as_str) else {
                return current;
            };
            let pointer = reference
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("external $ref {reference} is not supported"));
            current = self
                .doc
                .pointer(pointer)
                .unwrap_or_else(|| panic!("dangling $ref {reference}"));
        }
        panic!("$ref chain too deep at {schema}");
    }

    /// Checks `value` against `schema`; returns one line per violation.
    pub fn check(&self, schema: &Value, value: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        self.check_at(schema, value, "$", &mut errors);
        errors
    }

    fn accepts(&self, schema: &Value, value: &Value, at: &str) -> bool {
        let mut errors = Vec::new();
        self.check_at(schema, value, at, &mut errors);
        errors.is_empty()
    }

    fn check_at(&self, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
        let schema = self.resolve(schema);
        if value.is_null() {
            if self.allows_null(schema) {
                return;
            }
            errors.push(format!("{at}: null is not allowed by {}", brief(schema)));
            return;
        }
        if let Some(members) = schema.get("allOf").and_then(Value::as_array) {
            for member in members {
                self.check_at(member, value, at, errors);
            }
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(members) = schema.get(key).and_then(Value::as_array) {
                if !members.iter().any(|member| self.accepts(member, value, at)) {
                    errors.push(format!(
                        "{at}: {value} matches none of {key} {}",
                        brief(schema)
                    ));
                }
            }
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
            if !allowed.contains(value) {
                errors.push(format!("{at}: {value} is not one of {allowed:?}"));
            }
        }
        match schema.get("type").and_then(Value::as_str) {
            Some("object") => self.check_object(schema, value, at, errors),
            Some("array") => match value.as_array() {
                Some(items) => {
                    if let Some(item_schema) = schema.get("items") {
                        for (index, item) in items.iter().enumerate() {
                            self.check_at(item_schema, item, &format!("{at}[{index}]"), errors);
                        }
                    }
                }
                None => errors.push(format!("{at}: expected an array, got {value}")),
            },
            Some("string") => match value.as_str() {
                Some(text) => check_format(schema, text, at, errors),
                None => errors.push(format!("{at}: expected a string, got {value}")),
            },
            Some(primitive @ ("integer" | "number" | "boolean")) => {
                let matches = match primitive {
                    "integer" => value.is_i64() || value.is_u64(),
                    "number" => value.is_number(),
                    _ => value.is_boolean(),
                };
                if !matches {
                    errors.push(format!("{at}: expected {primitive}, got {value}"));
                }
            }
            Some(other) => errors.push(format!("{at}: unsupported schema type {other}")),
            // No type: any value (e.g. `attributes: {}`), unless composed above.
            None => {}
        }
    }

    fn check_object(&self, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
        let Some(object) = value.as_object() else {
            errors.push(format!("{at}: expected an object, got {value}"));
            return;
        };
        let properties = schema.get("properties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties");
        for (key, field) in object {
            let path = format!("{at}.{key}");
            match (properties.and_then(|p| p.get(key)), additional) {
                (Some(field_schema), _) => self.check_at(field_schema, field, &path, errors),
                (None, Some(Value::Object(extra))) => {
                    self.check_at(&Value::Object(extra.clone()), field, &path, errors)
                }
                (None, Some(Value::Bool(true))) => {}
                // Declared properties and nothing else allowed: unknown field.
                (None, _) if properties.is_some() => {
                    errors.push(format!("{path}: field not declared in the schema"))
                }
                (None, _) => {}
            }
        }
    }

    fn allows_null(&self, schema: &Value) -> bool {
        if schema.get("nullable").and_then(Value::as_bool) == Some(true) {
            return true;
        }
        if schema
            .get("enum")
            .and_then(Value::as_array)
            .is_some_and(|allowed| allowed.contains(&Value::Null))
        {
            return true;
        }
        let composed_allows = ["oneOf", "anyOf"].iter().any(|key| {
            schema
                .get(*key)
                .and_then(Value::as_array)
                .is_some_and(|members| members.iter().any(|m| self.allows_null(self.resolve(m))))
        });
        let untyped = schema.get("type").is_none()
            && ["allOf", "oneOf", "anyOf", "enum", "properties"]
                .iter()
                .all(|key| schema.get(*key).is_none());
        composed_allows || untyped
    }
}

fn brief(schema: &Value) -> String {
    let text = schema.to_string();
    text.chars().take(160).collect()
}

fn check_format(schema: &Value, text: &str, at: &str, errors: &mut Vec<String>) {
    let Some(format) = schema.get("format").and_then(Value::as_str) else {
        return;
    };
    let ok = match format {
        // Waldur writes UUIDs as 32 hex digits without hyphens.
        "uuid" => {
            text.len() == 32
                && text
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        }
        "date-time" => is_datetime(text),
        "date" => is_date(text),
        "uri" => text.starts_with("http://") || text.starts_with("https://"),
        "decimal" => is_decimal(text),
        _ => true,
    };
    if !ok {
        errors.push(format!("{at}: {text:?} is not a valid {format}"));
    }
}

fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    text.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && text
            .char_indices()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// ISO 8601 with a `Z` or numeric offset, as DRF writes.
fn is_datetime(text: &str) -> bool {
    let Some((date, time)) = text.split_once('T') else {
        return false;
    };
    let zone_ok = time.ends_with('Z') || time.contains('+') || time.rfind('-').is_some();
    is_date(date) && time.len() >= 9 && time.as_bytes()[2] == b':' && zone_ok
}

fn is_decimal(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    !digits.is_empty()
        && whole.chars().all(|c| c.is_ascii_digit())
        && fraction.chars().all(|c| c.is_ascii_digit())
}

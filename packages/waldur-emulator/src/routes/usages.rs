//! `marketplace-component-usages/`: `set_usage` and reading usages back.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::http::Uri;
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::respond::{empty, matches_opt, ok_json, respond_list, uuid_filter};
use crate::api_error::{ApiError, ApiResult};
use crate::ids::normalize_uuid;
use crate::listing::QueryParams;
use crate::ops::{set_usage as record_usage, UsageItem};
use crate::shared::AppState;
use crate::validate::{json_object, optional_bool, optional_str, required_str, Body};

pub async fn list(
    State(state): State<AppState>,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let query = QueryParams::parse(raw.as_deref());
    let resource = uuid_filter(&query, "resource_uuid");
    let offering = uuid_filter(&query, "offering_uuid");
    let project = uuid_filter(&query, "project_uuid");
    let customer = uuid_filter(&query, "customer_uuid");
    let component_type = query.first("type");
    let billing_period = query.first("billing_period");
    let date_after = query.first("date_after");
    let date_before = query.first("date_before");
    let store = state.store();
    let records = store
        .usages
        .values()
        .filter(|u| matches_opt(resource.as_deref(), &u.resource_uuid))
        .filter(|u| matches_opt(component_type, &u.component_type))
        .filter(|u| matches_opt(billing_period, &u.billing_period.iso()))
        // ISO dates compare correctly as text.
        .filter(|u| date_after.is_none_or(|after| u.date.as_str() >= after))
        .filter(|u| date_before.is_none_or(|before| u.date.as_str() <= before))
        .filter(|u| {
            let owner = store.resources.get(&u.resource_uuid);
            let project_uuid = owner.map(|r| r.project_uuid.as_str());
            let customer_uuid = project_uuid
                .and_then(|p| store.projects.get(p))
                .map(|p| p.customer_uuid.as_str());
            (offering.is_none() || owner.map(|r| r.offering_uuid.as_str()) == offering.as_deref())
                && (project.is_none() || project_uuid == project.as_deref())
                && (customer.is_none() || customer_uuid == customer.as_deref())
        })
        .map(|u| (u.seq, u))
        .collect();
    let renderer = state.renderer(&store);
    respond_list(&state, uri.path(), &query, records, |u| renderer.usage(u))
}

pub async fn retrieve(
    State(state): State<AppState>,
    Path(uuid): Path<String>,
) -> ApiResult<Response> {
    let store = state.store();
    let usage = store
        .usages
        .get(&normalize_uuid(&uuid))
        .ok_or_else(ApiError::not_found)?;
    Ok(ok_json(state.renderer(&store).usage(usage)))
}

/// `ComponentUsageCreateRequest` → 201 with no body.
///
/// As marketplace `views.py` `ComponentUsageViewSet.set_usage` with
/// `serializers.py` `ComponentUsageCreateSerializer`: the fields' errors
/// come together (`usages`, `plan_period`, `resource`), then `validate`
/// (a resource from the plan period or the request, its state, the
/// components), then `save`.
pub async fn set_usage(State(state): State<AppState>, body: Bytes) -> ApiResult<Response> {
    let body = json_object(&body)?;
    let mut errors = Map::new();
    let items = match parse_items(&body) {
        Ok(items) => items,
        Err(usages_error) => {
            errors.insert("usages".to_owned(), usages_error);
            Vec::new()
        }
    };
    let mut store = state.store();
    let plan_period = uuid_field(&body, "plan_period", &mut errors, |raw| {
        let resource = crate::ops::plan_period_resource(&store, raw)?;
        Ok((normalize_uuid(raw), resource))
    });
    let resource = uuid_field(&body, "resource", &mut errors, |raw| {
        let uuid = normalize_uuid(raw);
        if store.resources.contains_key(&uuid) {
            Ok(uuid)
        } else {
            Err(format!("Object with uuid={raw} does not exist."))
        }
    });
    let date = match optional_str(&body, "date", 40) {
        Ok(date) => date,
        Err(error) => {
            merge(&mut errors, error.body);
            None
        }
    };
    if !errors.is_empty() {
        return Err(ApiError {
            status: StatusCode::BAD_REQUEST,
            body: Value::Object(errors),
        });
    }
    // A plan period names its resource; `resource` is then not read.
    let (plan_period, resource) = match (plan_period, resource) {
        (Some((period, owner)), _) => (Some(period), owner),
        (None, Some(resource)) => (None, resource),
        (None, None) => {
            return Err(ApiError::field(
                "non_field_errors",
                "Either plan_period or resource should be provided.",
            ))
        }
    };
    record_usage(
        &mut store,
        &resource,
        plan_period.as_deref(),
        &items,
        date.as_deref(),
    )?;
    Ok(empty(StatusCode::CREATED))
}

/// A `SlugRelatedField(slug_field="uuid")`: absent is `None`; a value that
/// is not a UUID gets Django's `UUIDField` message; `lookup` finds the
/// object or says why not. Errors go into `errors`.
fn uuid_field<T>(
    body: &Body,
    field: &str,
    errors: &mut Map<String, Value>,
    lookup: impl FnOnce(&str) -> Result<T, String>,
) -> Option<T> {
    let raw = match optional_str(body, field, 64) {
        Ok(raw) => raw?,
        Err(error) => {
            merge(errors, error.body);
            return None;
        }
    };
    let hex = normalize_uuid(&raw);
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        errors.insert(
            field.to_owned(),
            json!([format!("\u{201c}{raw}\u{201d} is not a valid UUID.")]),
        );
        return None;
    }
    match lookup(&raw) {
        Ok(found) => Some(found),
        Err(message) => {
            errors.insert(field.to_owned(), json!([message]));
            None
        }
    }
}

fn merge(errors: &mut Map<String, Value>, body: Value) {
    if let Value::Object(fields) = body {
        errors.extend(fields);
    }
}

/// `usages = ComponentUsageItemSerializer(many=True)`: the items, or the
/// value of the `usages` error (a message list, or one entry per item:
/// `{}` for a good item, its field errors for a bad one).
fn parse_items(body: &Body) -> Result<Vec<UsageItem>, Value> {
    let raw_items = match body.get("usages") {
        None => return Err(json!(["This field is required."])),
        Some(Value::Null) => return Err(json!(["This field may not be null."])),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(json!({
                "non_field_errors": [format!(
                    "Expected a list of items but got type \"{}\".",
                    python_type(other)
                )]
            }))
        }
    };
    let mut items = Vec::new();
    let mut item_errors = Vec::new();
    for raw in raw_items {
        match parse_item(raw) {
            Ok(item) => {
                items.push(item);
                item_errors.push(json!({}));
            }
            Err(fields) => item_errors.push(Value::Object(fields)),
        }
    }
    if items.len() == raw_items.len() {
        Ok(items)
    } else {
        Err(Value::Array(item_errors))
    }
}

fn parse_item(raw: &Value) -> Result<UsageItem, Map<String, Value>> {
    let mut errors = Map::new();
    let Value::Object(item) = raw else {
        errors.insert(
            "non_field_errors".to_owned(),
            json!([format!(
                "Invalid data. Expected a dictionary, but got {}.",
                python_type(raw)
            )]),
        );
        return Err(errors);
    };
    let component_type = required_str(item, "type", usize::MAX)
        .map_err(|error| merge(&mut errors, error.body))
        .ok();
    let hundredths = match item.get("amount") {
        None => Err("This field is required.".to_owned()),
        Some(Value::Null) => Err("This field may not be null.".to_owned()),
        Some(Value::String(text)) => drf_decimal_hundredths(text),
        // DRF's DecimalField also takes a JSON number.
        Some(Value::Number(number)) => drf_decimal_hundredths(&number.to_string()),
        Some(_) => Err("A valid number is required.".to_owned()),
    }
    .map_err(|message| errors.insert("amount".to_owned(), json!([message])))
    .ok();
    let description = optional_str(item, "description", usize::MAX)
        .map_err(|error| merge(&mut errors, error.body))
        .ok()
        .flatten();
    let recurring = optional_bool(item, "recurring")
        .map_err(|error| merge(&mut errors, error.body))
        .ok()
        .flatten();
    match (component_type, hundredths) {
        (Some(component_type), Some(hundredths)) if errors.is_empty() => Ok(UsageItem {
            component_type,
            hundredths,
            description: description.unwrap_or_default(),
            recurring: recurring.unwrap_or(false),
        }),
        _ => Err(errors),
    }
}

/// DRF `DecimalField(max_digits=20, decimal_places=2)` on `text`, in
/// hundredths, or its error message. As DRF: Python's `Decimal` reads the
/// text (sign, digits, point, exponent), then the digits of the exact
/// value are counted: at most 20 in all, 2 after the point (a trailing
/// zero counts: "1.230" is refused) and 18 before it. Negative amounts
/// pass: Waldur's item serializer sets no minimum.
pub fn drf_decimal_hundredths(text: &str) -> Result<i128, String> {
    let text = text.trim();
    if text.chars().count() > 1000 {
        return Err("String value too large.".to_owned());
    }
    let invalid = || "A valid number is required.".to_owned();
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => {
            let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid());
            }
            (mantissa, exponent.parse::<i64>().map_err(|_| invalid())?)
        }
        None => (unsigned, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !all_digits(whole) || !all_digits(fraction) {
        return Err(invalid());
    }
    // Python's Decimal keeps the coefficient's digits without leading zeros.
    let coefficient_text = format!("{whole}{fraction}");
    let significant = coefficient_text.trim_start_matches('0');
    let digit_count = i64::try_from(significant.len().max(1)).map_err(|_| invalid())?;
    let fraction_len = i64::try_from(fraction.len()).map_err(|_| invalid())?;
    let exponent = exponent.checked_sub(fraction_len).ok_or_else(invalid)?;
    // DRF `DecimalField.validate_precision`.
    let (total_digits, whole_digits, decimal_places) = if exponent >= 0 {
        let total = digit_count.saturating_add(exponent);
        (total, total, 0)
    } else if digit_count > -exponent {
        (digit_count, digit_count + exponent, -exponent)
    } else {
        (-exponent, 0, -exponent)
    };
    if total_digits > 20 {
        return Err("Ensure that there are no more than 20 digits in total.".to_owned());
    }
    if decimal_places > 2 {
        return Err("Ensure that there are no more than 2 decimal places.".to_owned());
    }
    if whole_digits > 18 {
        return Err(
            "Ensure that there are no more than 18 digits before the decimal point.".to_owned(),
        );
    }
    // At most 20 digits: the value and its scaling fit in i128.
    let coefficient: i128 = if significant.is_empty() {
        0
    } else {
        significant.parse().map_err(|_| invalid())?
    };
    let scale = u32::try_from(exponent + 2).map_err(|_| invalid())?;
    let hundredths = coefficient
        .checked_mul(10i128.checked_pow(scale).ok_or_else(invalid)?)
        .ok_or_else(invalid)?;
    Ok(if negative { -hundredths } else { hundredths })
}

/// Python's name of a JSON value's type, as DRF's messages print it.
fn python_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(number) if number.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

#[cfg(test)]
mod tests {
    use super::drf_decimal_hundredths as parse;

    #[test]
    fn amounts_follow_drf_decimal_field() {
        assert_eq!(parse("12.5"), Ok(1250));
        assert_eq!(parse("12.50"), Ok(1250));
        assert_eq!(parse(" 7 "), Ok(700));
        assert_eq!(parse(".5"), Ok(50));
        assert_eq!(parse("-1.25"), Ok(-125));
        assert_eq!(parse("1e3"), Ok(100_000));
        assert_eq!(parse("000000000000000000001.5"), Ok(150));
        let places = Err("Ensure that there are no more than 2 decimal places.".to_owned());
        assert_eq!(parse("1.230"), places);
        assert_eq!(parse("0.001"), places);
        assert_eq!(
            parse("1234567890123456789"),
            Err(
                "Ensure that there are no more than 18 digits before the decimal point.".to_owned()
            )
        );
        assert_eq!(
            parse("123456789012345678901"),
            Err("Ensure that there are no more than 20 digits in total.".to_owned())
        );
        assert_eq!(
            parse("999999999999999999.99"),
            Ok(99_999_999_999_999_999_999)
        );
        let invalid = Err("A valid number is required.".to_owned());
        assert_eq!(parse("abc"), invalid);
        assert_eq!(parse(""), invalid);
        assert_eq!(parse("."), invalid);
        assert_eq!(parse("1e"), invalid);
        assert_eq!(parse("NaN"), invalid);
    }
}

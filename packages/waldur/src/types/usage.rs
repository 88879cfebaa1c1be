//! Component usages (`marketplace-component-usages/`).

use serde::{Deserialize, Serialize};

use super::common::Decimal;
use super::query::QueryPairs;

/// `ComponentUsage` as the server returns it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ComponentUsage {
    pub uuid: Option<String>,
    pub created: Option<String>,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub component_type: Option<String>,
    pub name: Option<String>,
    pub measured_unit: Option<String>,
    /// The schema says integer, the model is `Decimal(20,2)`: both accepted.
    pub usage: Option<Decimal>,
    pub date: Option<String>,
    /// The first day of the month the usage belongs to.
    pub billing_period: Option<String>,
    pub recurring: Option<bool>,
    pub resource_uuid: Option<String>,
    pub resource_name: Option<String>,
    pub offering_uuid: Option<String>,
    pub project_uuid: Option<String>,
    pub customer_uuid: Option<String>,
}

/// One item of `ComponentUsageCreateRequest.usages`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentUsageItem {
    /// The component type of the offering (`billing_type` usage or limit).
    #[serde(rename = "type")]
    pub component_type: String,
    /// A decimal string with at most 2 decimals, e.g. `"120.50"`.
    pub amount: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recurring: Option<bool>,
}

impl ComponentUsageItem {
    pub fn new(component_type: impl Into<String>, amount: impl Into<Decimal>) -> Self {
        Self {
            component_type: component_type.into(),
            amount: amount.into(),
            description: None,
            recurring: None,
        }
    }
}

/// `ComponentUsageCreateRequest` of `set_usage/`.
///
/// The server upserts one record per (resource, component, billing period)
/// and replaces the amount: send the month-to-date total, not a delta.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SetUsageRequest {
    pub usages: Vec<ComponentUsageItem>,
    /// A plan period UUID; when absent the server uses `resource`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_period: Option<String>,
    /// The marketplace resource UUID (not a URL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// An ISO datetime; defaults to now. Past periods are often refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

impl SetUsageRequest {
    /// Usage for a resource in the current billing period.
    pub fn for_resource(resource_uuid: impl Into<String>, usages: Vec<ComponentUsageItem>) -> Self {
        Self {
            usages,
            resource: Some(resource_uuid.into()),
            ..Self::default()
        }
    }
}

/// Filters of `GET marketplace-component-usages/`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UsageFilter {
    pub resource_uuid: Option<String>,
    pub offering_uuid: Option<String>,
    pub project_uuid: Option<String>,
    pub customer_uuid: Option<String>,
    pub component_type: Option<String>,
    /// A date `YYYY-MM-DD` (first of the month).
    pub billing_period: Option<String>,
    pub date_after: Option<String>,
    pub date_before: Option<String>,
}

impl UsageFilter {
    pub(crate) fn to_query(&self) -> QueryPairs {
        let mut query = QueryPairs::default();
        query.opt("resource_uuid", self.resource_uuid.as_deref());
        query.opt("offering_uuid", self.offering_uuid.as_deref());
        query.opt("project_uuid", self.project_uuid.as_deref());
        query.opt("customer_uuid", self.customer_uuid.as_deref());
        query.opt("type", self.component_type.as_deref());
        query.opt("billing_period", self.billing_period.as_deref());
        query.opt("date_after", self.date_after.as_deref());
        query.opt("date_before", self.date_before.as_deref());
        query
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_usage_body_is_a_list_of_type_amount() {
        let request =
            SetUsageRequest::for_resource("r1", vec![ComponentUsageItem::new("cpu", "120.50")]);
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            serde_json::json!({"usages": [{"type": "cpu", "amount": "120.50"}], "resource": "r1"})
        );
    }
}

//! Orders (`marketplace-orders/`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::common::{null_as_default, Decimal};
use super::query::QueryPairs;
use super::states::{OrderState, OrderType};

/// The subset of `OrderDetails` that the relayer needs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Order {
    pub uuid: Option<String>,
    pub url: Option<String>,
    pub state: Option<OrderState>,
    #[serde(rename = "type")]
    pub order_type: Option<OrderType>,
    pub offering: Option<String>,
    pub offering_uuid: Option<String>,
    pub offering_type: Option<String>,
    pub provider_uuid: Option<String>,
    pub project_uuid: Option<String>,
    pub customer_uuid: Option<String>,
    pub plan: Option<String>,
    pub plan_uuid: Option<String>,
    /// UUID of the plugin's scope object, not of the marketplace resource.
    pub resource_uuid: Option<String>,
    /// UUID of the marketplace resource; it exists from order creation on.
    pub marketplace_resource_uuid: Option<String>,
    pub attributes: serde_json::Value,
    #[serde(deserialize_with = "null_as_default")]
    pub limits: BTreeMap<String, i64>,
    pub backend_id: Option<String>,
    pub cost: Option<Decimal>,
    pub callback_url: Option<String>,
    pub request_comment: Option<String>,
    pub created: Option<String>,
    pub modified: Option<String>,
    pub completed_at: Option<String>,
    pub error_message: Option<String>,
    pub provider_rejection_comment: Option<String>,
}

/// `OrderCreateRequest`. Relations are hyperlink URLs, not UUIDs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OrderCreateRequest {
    /// URL of the offering (prefer the `url` of a fetched offering).
    pub offering: String,
    /// URL of the `projects/{uuid}/` object.
    pub project: String,
    /// URL of a plan of the offering.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// Generic form `{name, description}`, plus keys the offering type needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: BTreeMap<String, i64>,
    /// Defaults to `Create` on the server.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub order_type: Option<OrderType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepting_terms_of_service: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_comment: Option<String>,
    /// A date (`YYYY-MM-DD`); delays processing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
}

impl OrderCreateRequest {
    /// An order with only the two required relations.
    pub fn new(offering_url: impl Into<String>, project_url: impl Into<String>) -> Self {
        Self {
            offering: offering_url.into(),
            project: project_url.into(),
            ..Self::default()
        }
    }
}

/// Filters of `GET marketplace-orders/`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OrderFilter {
    pub offering_uuid: Option<String>,
    pub project_uuid: Option<String>,
    pub resource_uuid: Option<String>,
    pub customer_uuid: Option<String>,
    pub provider_uuid: Option<String>,
    /// Repeated `state=` parameters; empty means any state.
    pub states: Vec<OrderState>,
    /// Repeated `type=` parameters; empty means any type.
    pub types: Vec<OrderType>,
    /// `query`: a case-insensitive substring of the project name or of
    /// the order's `attributes.name` (Waldur's `OrderFilter.filter_query`).
    pub query: Option<String>,
}

impl OrderFilter {
    pub(crate) fn to_query(&self) -> QueryPairs {
        let mut query = QueryPairs::default();
        query.opt("offering_uuid", self.offering_uuid.as_deref());
        query.opt("project_uuid", self.project_uuid.as_deref());
        query.opt("resource_uuid", self.resource_uuid.as_deref());
        query.opt("customer_uuid", self.customer_uuid.as_deref());
        query.opt("provider_uuid", self.provider_uuid.as_deref());
        query.repeated("state", self.states.iter().map(OrderState::as_str));
        query.repeated("type", self.types.iter().map(OrderType::as_str));
        query.opt("query", self.query.as_deref());
        query
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_request_uses_hyperlinks_and_skips_empty_fields() {
        let mut request = OrderCreateRequest::new("https://w/api/o/1/", "https://w/api/p/2/");
        request.limits.insert("cpu".into(), 100);
        let json = serde_json::to_value(&request).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "offering": "https://w/api/o/1/",
                "project": "https://w/api/p/2/",
                "limits": {"cpu": 100}
            })
        );
    }

    #[test]
    fn filter_repeats_states() {
        let filter = OrderFilter {
            offering_uuid: Some("o1".into()),
            states: vec![OrderState::PendingProvider, OrderState::Executing],
            ..OrderFilter::default()
        };
        let query = filter.to_query();
        let states: Vec<&str> = query
            .pairs()
            .iter()
            .filter(|(k, _)| k == "state")
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(states, vec!["pending-provider", "executing"]);
    }
}

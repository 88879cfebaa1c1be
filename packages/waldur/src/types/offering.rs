//! Offerings (`marketplace-provider-offerings/`), their components and plans.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::common::{null_as_default, Decimal};
use super::query::QueryPairs;
use super::states::{BillingType, BillingUnit, OfferingState};

/// The subset of `ProviderOfferingDetails` that the relayer needs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Offering {
    pub uuid: Option<String>,
    pub url: Option<String>,
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
    /// The plugin type, e.g. `Marketplace.Slurm` or `Marketplace.Basic`.
    #[serde(rename = "type")]
    pub offering_type: Option<String>,
    pub state: Option<OfferingState>,
    pub paused_reason: Option<String>,
    pub customer: Option<String>,
    pub customer_uuid: Option<String>,
    pub customer_name: Option<String>,
    pub category: Option<String>,
    pub category_uuid: Option<String>,
    pub category_title: Option<String>,
    pub attributes: serde_json::Value,
    #[serde(deserialize_with = "null_as_default")]
    pub components: Vec<OfferingComponent>,
    #[serde(deserialize_with = "null_as_default")]
    pub plans: Vec<Plan>,
    pub backend_id: Option<String>,
    pub shared: Option<bool>,
    pub billable: Option<bool>,
    pub created: Option<String>,
    /// Non-empty on a shared offering: orders must accept it
    /// (`accepting_terms_of_service: true`).
    pub terms_of_service: Option<String>,
}

/// `OfferingComponent` as the server returns it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OfferingComponent {
    pub uuid: Option<String>,
    pub billing_type: Option<BillingType>,
    /// The internal key used in limits and usages (`cpu`, `gpu_hours`...).
    #[serde(rename = "type")]
    pub component_type: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub measured_unit: Option<String>,
    pub unit_factor: Option<i64>,
    pub limit_period: Option<String>,
    pub limit_amount: Option<i64>,
    pub article_code: Option<String>,
    pub min_value: Option<i64>,
    pub max_value: Option<i64>,
    pub max_available_limit: Option<i64>,
    pub default_limit: Option<i64>,
    pub is_boolean: Option<bool>,
    pub is_prepaid: Option<bool>,
    pub is_builtin: Option<bool>,
    pub factor: Option<i64>,
}

/// `BaseProviderPlan` as the server returns it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Plan {
    pub uuid: Option<String>,
    pub url: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub article_code: Option<String>,
    pub unit_price: Option<Decimal>,
    pub unit: Option<BillingUnit>,
    pub archived: Option<bool>,
    pub is_active: Option<bool>,
    pub backend_id: Option<String>,
    /// Price per component type.
    #[serde(deserialize_with = "null_as_default")]
    pub prices: BTreeMap<String, Decimal>,
    #[serde(deserialize_with = "null_as_default")]
    pub quotas: BTreeMap<String, Decimal>,
}

/// `OfferingComponentRequest`: a component to create with an offering or
/// through `create_offering_component/`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfferingComponentRequest {
    pub billing_type: BillingType,
    /// Matches `^[a-zA-Z0-9_\-/:]+$`, at most 50 characters.
    #[serde(rename = "type")]
    pub component_type: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measured_unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_factor: Option<i64>,
    /// `month`, `quarterly`, `annual`, `total`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_period: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub article_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_value: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_value: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_available_limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_boolean: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_prepaid: Option<bool>,
}

impl OfferingComponentRequest {
    /// A component with only the required fields set.
    pub fn new(
        billing_type: BillingType,
        component_type: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        Self {
            billing_type,
            component_type: component_type.into(),
            name: name.into(),
            description: None,
            measured_unit: None,
            unit_factor: None,
            limit_period: None,
            limit_amount: None,
            article_code: None,
            min_value: None,
            max_value: None,
            max_available_limit: None,
            default_limit: None,
            is_boolean: None,
            is_prepaid: None,
        }
    }
}

/// `UpdateOfferingComponentRequest`: the component request plus its `uuid`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateOfferingComponentRequest {
    pub uuid: String,
    #[serde(flatten)]
    pub component: OfferingComponentRequest,
}

/// `BaseProviderPlanRequest`: a plan created with an offering.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PlanRequest {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub article_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archived: Option<bool>,
    /// A decimal string, e.g. `"10.00"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<BillingUnit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend_id: Option<String>,
}

/// `OfferingCreateRequest` (JSON form; images are not supported).
///
/// Relations are hyperlink URLs, not UUIDs: `category` and `customer`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OfferingCreateRequest {
    pub name: String,
    /// URL of a `marketplace-categories/{uuid}/` object.
    pub category: String,
    /// The plugin type, e.g. `Marketplace.Slurm`.
    #[serde(rename = "type")]
    pub offering_type: String,
    /// URL of the `customers/{uuid}/` that owns the offering; the server
    /// checks `OFFERING.CREATE` on it, so it is needed in practice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<OfferingComponentRequest>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub plans: Vec<PlanRequest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin_options: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend_metadata: Option<serde_json::Value>,
    /// Text consumers must accept: orders then need
    /// `accepting_terms_of_service: true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terms_of_service: Option<String>,
}

/// `OfferingOverviewUpdateRequest` of `update_overview/`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OfferingOverviewUpdate {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub privacy_policy_link: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub getting_started: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration_guide: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
}

/// Filters of `GET marketplace-provider-offerings/`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OfferingFilter {
    pub customer_uuid: Option<String>,
    /// Repeated `state=` parameters; empty means any state.
    pub states: Vec<OfferingState>,
    /// Repeated `type=` parameters; empty means any type.
    pub types: Vec<String>,
    pub name_exact: Option<String>,
    pub category_uuid: Option<String>,
    pub shared: Option<bool>,
    pub billable: Option<bool>,
}

impl OfferingFilter {
    pub(crate) fn to_query(&self) -> QueryPairs {
        let mut query = QueryPairs::default();
        query.opt("customer_uuid", self.customer_uuid.as_deref());
        query.repeated("state", self.states.iter().map(OfferingState::as_str));
        query.repeated("type", self.types.iter().map(String::as_str));
        query.opt("name_exact", self.name_exact.as_deref());
        query.opt("category_uuid", self.category_uuid.as_deref());
        query.opt_bool("shared", self.shared);
        query.opt_bool("billable", self.billable);
        query
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offering_tolerates_nulls_and_unknown_fields() {
        let offering: Offering = serde_json::from_value(serde_json::json!({
            "uuid": "abc",
            "type": "Marketplace.Slurm",
            "state": "Active",
            "components": null,
            "plans": [{"uuid": "p1", "unit_price": "1.50", "prices": {"cpu": 0.5}}],
            "brand_new_field": {"x": 1}
        }))
        .unwrap();
        assert_eq!(offering.offering_type.as_deref(), Some("Marketplace.Slurm"));
        assert_eq!(offering.state, Some(OfferingState::Active));
        assert!(offering.components.is_empty());
        assert_eq!(offering.plans[0].prices["cpu"].as_str(), "0.5");
    }

    #[test]
    fn component_request_omits_unset_fields() {
        let request = OfferingComponentRequest::new(BillingType::Usage, "cpu", "CPU hours");
        let json = serde_json::to_value(&request).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"billing_type": "usage", "type": "cpu", "name": "CPU hours"})
        );
    }
}

/// `OfferingTermsOfService` (`marketplace-offering-terms-of-service/`,
/// Waldur 8): a version of an offering's terms; orders for the offering
/// must accept the active one unless the caller has consented.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OfferingTermsOfService {
    pub uuid: Option<String>,
    pub offering_uuid: Option<String>,
    pub terms_of_service: Option<String>,
    pub version: Option<String>,
    pub is_active: Option<bool>,
    pub has_user_consent: Option<bool>,
}

impl OfferingTermsOfService {
    /// The active version the caller has not consented to: orders must
    /// send `accepting_terms_of_service: true`.
    pub fn needs_acceptance(&self) -> bool {
        self.is_active == Some(true) && self.has_user_consent != Some(true)
    }
}

//! VirtEngine offering -> Waldur offering (mapping spec, "Offering Mapping"
//! and "Pricing Normalization").
//!
//! The sync compares the chain and Waldur through one document,
//! [`ExportedOffering`]: the fields the relayer writes to Waldur and can
//! read back. It is built from the chain offering ([`Mapping::export`]) and
//! from a Waldur offering ([`ExportedOffering::from_waldur`]); equal
//! checksums mean Waldur shows exactly what the chain says.
//!
//! Offering type and plan come from the category's [`CategoryProfile`]
//! (config `waldur_category_profiles`); a category without one gets
//! [`DEFAULT_OFFERING_TYPE`], which every Waldur has, and a plan named
//! "Standard" billed in the pricing model's unit.
//!
//! The allocation's quantity: every exported offering has one `limit`
//! component, [`QUANTITY_COMPONENT_TYPE`]. Waldur takes in an order's (or a
//! resize's) `limits` only components whose `billing_type` is `limit`
//! (waldur-mastermind `marketplace/utils.py`, `get_components_map`: any
//! other type is refused as "Invalid types"), and only for offering types
//! whose plugin sets `can_update_limits` (`validate_limits`;
//! `Marketplace.Basic` does, `marketplace/apps.py`). The price components
//! stay `usage`/`fixed`/`one` and carry no limit.
//!
//! What is not in the document, and why:
//! - the plan (`unit_price`): set when the offering is created; the client
//!   has no plan price update, so comparing it would report drift that the
//!   sync can never repair. The exact prices are in `attributes.ve_pricing`,
//!   which is updated;
//! - regions as Waldur `locations`: Waldur 8.0.5's offering API takes none,
//!   so regions go to `attributes.regions`;
//! - encrypted secrets: the chain never returns them, and nothing here asks.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use thiserror::Error;
use ve_types::{to_waldur_price, Category, Pricing, PricingModel};

use ve_interface::marketplace::msg::OfferingResponse;
use waldur::{
    BillingType, BillingUnit, Decimal, Offering as WaldurOffering, OfferingComponent,
    OfferingComponentRequest, PlanRequest,
};

/// Waldur 8.0.5 limits (ENDPOINTS.md): offering `name` <= 150 characters,
/// component `type` <= 50 and `measured_unit` <= 30.
pub const NAME_MAX_CHARS: usize = 150;
pub const COMPONENT_TYPE_MAX_CHARS: usize = 50;
pub const MEASURED_UNIT_MAX_CHARS: usize = 30;

/// The component carrying the base price. A chain component type is made
/// of `a-z0-9_` only, so the `-` keeps this one from ever colliding.
pub const BASE_COMPONENT_TYPE: &str = "base-price";

/// The `limit` component whose limit is the allocation's quantity (the
/// `-` keeps it apart from chain component types too).
pub const QUANTITY_COMPONENT_TYPE: &str = "ve-quantity";

/// The offering type of the core marketplace plugin, registered in every
/// Waldur (waldur-mastermind `marketplace/__init__.py`, `PLUGIN_NAME`;
/// `marketplace/apps.py` registers it). The spec's `Support.*` types exist
/// only where a plugin provides them.
pub const DEFAULT_OFFERING_TYPE: &str = "Marketplace.Basic";

/// Name of the plan created with an offering unless a profile says.
pub const DEFAULT_PLAN_NAME: &str = "Standard";

/// How the offerings of one VirtEngine category are made in Waldur: one
/// entry of the `waldur_category_profiles` file, e.g.
/// `{"hpc": {"type": "Marketplace.Slurm", "plan_name": "Hourly", "plan_unit": "hour"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryProfile {
    /// The Waldur offering `type`: one an installed plugin provides.
    #[serde(rename = "type", default = "default_offering_type")]
    pub offering_type: String,
    /// Name of the plan created with the offering.
    #[serde(default = "default_plan_name")]
    pub plan_name: String,
    /// The plan's billing unit (`month`, `quarter`, `half_month`, `day`,
    /// `hour`, `quantity`); unset: the pricing model's.
    #[serde(default)]
    pub plan_unit: Option<BillingUnit>,
}

fn default_offering_type() -> String {
    DEFAULT_OFFERING_TYPE.to_string()
}

fn default_plan_name() -> String {
    DEFAULT_PLAN_NAME.to_string()
}

impl Default for CategoryProfile {
    fn default() -> Self {
        CategoryProfile {
            offering_type: default_offering_type(),
            plan_name: default_plan_name(),
            plan_unit: None,
        }
    }
}

/// Attribute keys the relayer owns; a specification with the same key is
/// not copied (the relayer's value wins, so it cannot be spoofed).
pub const RESERVED_ATTRIBUTES: [&str; 7] = [
    "ve_offering_id",
    "ve_version",
    "ve_pricing",
    "min_identity_score",
    "require_mfa",
    "tags",
    "regions",
];

/// A category map or profiles file that does not read.
#[derive(Error, Debug)]
pub enum MapFileError {
    #[error("category map: {0}")]
    Categories(serde_json::Error),
    #[error("category profiles: {0}")]
    Profiles(serde_json::Error),
}

#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum MappingError {
    #[error("no Waldur category is mapped to the VirtEngine category {0}")]
    UnmappedCategory(Category),
    #[error("the number of decimals of denom {0:?} is not configured")]
    UnknownDenom(String),
    #[error("price component type {0:?} is longer than Waldur's 50 characters")]
    ComponentTypeTooLong(String),
    #[error("Waldur offering type {offering_type} has built-in components ({builtin}) and refuses the chain offering's components ({theirs}): map this category to a type without built-in components, e.g. Marketplace.Basic (`waldur_category_profiles`)")]
    BuiltInComponents {
        offering_type: String,
        builtin: String,
        theirs: String,
    },
}

/// Offering types whose plugin registers built-in components and refuses
/// any other ("Extra components are not allowed.", waldur-mastermind
/// `marketplace/serializers.py` `_validate_plans`; the list from
/// `marketplace_slurm/apps.py`).
const BUILT_IN_COMPONENTS: &[(&str, &[&str])] = &[("Marketplace.Slurm", &["cpu", "gpu", "ram"])];

/// How chain offerings become Waldur offerings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// VirtEngine category -> Waldur category UUID (the guide's category map).
    pub category_uuids: BTreeMap<Category, String>,
    /// VirtEngine category -> offering type and plan; a category not
    /// listed gets [`CategoryProfile::default`].
    pub profiles: BTreeMap<Category, CategoryProfile>,
    /// Decimals of each denom, for the price conversion (`uvirt` -> 6).
    pub denom_decimals: BTreeMap<String, u32>,
}

impl Mapping {
    /// No categories mapped, default profiles, `uvirt` with 6 decimals.
    pub fn new() -> Self {
        Mapping {
            category_uuids: BTreeMap::new(),
            profiles: BTreeMap::new(),
            denom_decimals: BTreeMap::from([("uvirt".to_string(), 6)]),
        }
    }

    /// Reads the guide's category map file: `{"compute": "<uuid>", ...}`.
    pub fn categories_from_json(json: &str) -> Result<BTreeMap<Category, String>, MapFileError> {
        serde_json::from_str(json).map_err(MapFileError::Categories)
    }

    fn decimals(&self, denom: &str) -> Result<u32, MappingError> {
        self.denom_decimals
            .get(denom)
            .copied()
            .ok_or_else(|| MappingError::UnknownDenom(denom.to_string()))
    }

    /// Reads the category profiles file (see [`CategoryProfile`]).
    pub fn profiles_from_json(
        json: &str,
    ) -> Result<BTreeMap<Category, CategoryProfile>, MapFileError> {
        serde_json::from_str(json).map_err(MapFileError::Profiles)
    }

    /// The category's profile, or the default one.
    pub fn profile(&self, category: Category) -> CategoryProfile {
        self.profiles.get(&category).cloned().unwrap_or_default()
    }

    /// The Waldur document of a chain offering.
    pub fn export(&self, chain: &OfferingResponse) -> Result<ExportedOffering, MappingError> {
        let o = &chain.offering;
        let category_uuid = self
            .category_uuids
            .get(&o.category)
            .map(|uuid| normalize_uuid(uuid))
            .ok_or(MappingError::UnmappedCategory(o.category))?;
        let decimals = self.decimals(&o.pricing.denom)?;
        let mut attributes = Map::new();
        // Specifications first: the relayer's own keys overwrite them.
        for (key, value) in &o.specifications {
            if !RESERVED_ATTRIBUTES.contains(&key.as_str()) {
                attributes.insert(key.clone(), Value::String(value.clone()));
            }
        }
        attributes.insert("ve_offering_id".into(), chain.id.clone().into());
        attributes.insert("ve_version".into(), o.version.into());
        attributes.insert("ve_pricing".into(), pricing_attribute(&o.pricing, decimals));
        attributes.insert("min_identity_score".into(), o.min_identity_score.into());
        attributes.insert("require_mfa".into(), o.require_mfa_for_orders.into());
        attributes.insert("tags".into(), o.tags.clone().into());
        attributes.insert("regions".into(), o.regions.clone().into());
        let offering_type = self.profile(o.category).offering_type;
        let components = components(&o.pricing)?;
        if let Some((_, builtin)) = BUILT_IN_COMPONENTS
            .iter()
            .find(|(kind, _)| *kind == offering_type)
        {
            let extra: Vec<&str> = components
                .iter()
                .map(|c| c.component_type.as_str())
                .filter(|t| !builtin.contains(t))
                .collect();
            if !extra.is_empty() {
                return Err(MappingError::BuiltInComponents {
                    offering_type,
                    builtin: builtin.join(", "),
                    theirs: extra.join(", "),
                });
            }
        }
        Ok(ExportedOffering {
            backend_id: chain.id.clone(),
            name: truncate(&o.name, NAME_MAX_CHARS),
            description: o.description.clone(),
            offering_type,
            category_uuid,
            state: o.state.waldur_state().to_string(),
            attributes,
            components,
        })
    }

    /// The plan created with the offering: the base price as `unit_price`
    /// (the guide's `BasePrice -> unit_price`), named and billed as the
    /// category's profile says. `None` when the price does not fit Waldur's
    /// plan decimal (12 digits, 10 decimals): the exact price is in the
    /// attributes either way.
    pub fn plan(&self, chain: &OfferingResponse) -> Result<Option<PlanRequest>, MappingError> {
        let pricing = &chain.offering.pricing;
        let price = to_waldur_price(pricing.base_price, self.decimals(&pricing.denom)?);
        if !fits_plan_decimal(&price) {
            return Ok(None);
        }
        let profile = self.profile(chain.offering.category);
        Ok(Some(PlanRequest {
            name: profile.plan_name,
            unit_price: Some(Decimal::new(price)),
            unit: Some(
                profile
                    .plan_unit
                    .unwrap_or_else(|| plan_unit(pricing.model)),
            ),
            ..PlanRequest::default()
        }))
    }
}

impl Default for Mapping {
    fn default() -> Self {
        Self::new()
    }
}

/// One offering component as the sync exports and compares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportedComponent {
    #[serde(rename = "type")]
    pub component_type: String,
    pub name: String,
    pub billing_type: String,
    pub measured_unit: String,
    pub limit_period: Option<String>,
}

impl ExportedComponent {
    pub fn from_waldur(c: &OfferingComponent) -> Self {
        ExportedComponent {
            component_type: c.component_type.clone().unwrap_or_default(),
            name: c.name.clone().unwrap_or_default(),
            billing_type: c
                .billing_type
                .as_ref()
                .map(|b| b.as_str().to_string())
                .unwrap_or_default(),
            measured_unit: c.measured_unit.clone().unwrap_or_default(),
            // Waldur shows an unset period as null or "".
            limit_period: c.limit_period.clone().filter(|p| !p.is_empty()),
        }
    }

    pub fn to_request(&self) -> OfferingComponentRequest {
        let mut request = OfferingComponentRequest::new(
            BillingType::from(self.billing_type.as_str()),
            self.component_type.clone(),
            self.name.clone(),
        );
        request.measured_unit = Some(self.measured_unit.clone());
        request.limit_period = self.limit_period.clone();
        request
    }
}

/// The fields of a Waldur offering that the sync owns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportedOffering {
    pub backend_id: String,
    pub name: String,
    pub description: String,
    #[serde(rename = "type")]
    pub offering_type: String,
    pub category_uuid: String,
    /// Waldur state: `Active`, `Paused`, `Archived` (or what Waldur shows).
    pub state: String,
    pub attributes: Map<String, Value>,
    /// Sorted by type, so the order Waldur lists them in does not matter.
    pub components: Vec<ExportedComponent>,
}

impl ExportedOffering {
    /// The same document read from a Waldur offering.
    pub fn from_waldur(o: &WaldurOffering) -> Self {
        let mut components: Vec<_> = o
            .components
            .iter()
            .map(ExportedComponent::from_waldur)
            .collect();
        components.sort_by(|a, b| a.component_type.cmp(&b.component_type));
        ExportedOffering {
            backend_id: o.backend_id.clone().unwrap_or_default(),
            name: o.name.clone().unwrap_or_default(),
            description: o.description.clone().unwrap_or_default(),
            offering_type: o.offering_type.clone().unwrap_or_default(),
            category_uuid: o
                .category_uuid
                .as_deref()
                .map(normalize_uuid)
                .unwrap_or_default(),
            state: o
                .state
                .as_ref()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            attributes: o.attributes.as_object().cloned().unwrap_or_default(),
            components,
        }
    }

    /// The document as JSON with every object's keys sorted: the same
    /// bytes for the same content, whatever order a map was built in.
    pub fn canonical_json(&self) -> String {
        // Serialising a struct of strings, maps with string keys and
        // vectors cannot fail.
        let value = serde_json::to_value(self).unwrap_or(Value::Null);
        let mut out = String::new();
        write_canonical(&value, &mut out);
        out
    }

    /// `sha256:<hex>` of [`Self::canonical_json`] (the guide's format).
    pub fn checksum(&self) -> String {
        let digest = Sha256::digest(self.canonical_json().as_bytes());
        format!("sha256:{}", hex::encode(digest))
    }

    /// Names of the top-level fields that differ, for errors and reports.
    pub fn differing_fields(&self, other: &ExportedOffering) -> Vec<&'static str> {
        let checks = [
            ("backend_id", self.backend_id == other.backend_id),
            ("name", self.name == other.name),
            ("description", self.description == other.description),
            ("type", self.offering_type == other.offering_type),
            ("category", self.category_uuid == other.category_uuid),
            ("state", self.state == other.state),
            (
                "attributes",
                same_json_object(&self.attributes, &other.attributes),
            ),
            ("components", self.components == other.components),
        ];
        checks
            .into_iter()
            .filter(|(_, same)| !same)
            .map(|(name, _)| name)
            .collect()
    }
}

fn same_json_object(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    let (mut left, mut right) = (String::new(), String::new());
    write_canonical(&Value::Object(a.clone()), &mut left);
    write_canonical(&Value::Object(b.clone()), &mut right);
    left == right
}

/// Writes `value` as compact JSON with sorted object keys. Does not rely on
/// serde_json's map order, which a `preserve_order` feature anywhere in the
/// build would change.
fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(key) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// Waldur shows UUIDs as 32 lowercase hex digits; a category map may use
/// the dashed form.
pub fn normalize_uuid(uuid: &str) -> String {
    uuid.chars()
        .filter(|c| *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

/// `model` as the chain writes it (`hourly`, `usage_based`, ...).
fn model_name(model: PricingModel) -> &'static str {
    match model {
        PricingModel::Hourly => "hourly",
        PricingModel::Daily => "daily",
        PricingModel::Monthly => "monthly",
        PricingModel::UsageBased => "usage_based",
        PricingModel::Fixed => "fixed",
    }
}

/// `ve_pricing`: the exact prices, as Waldur decimals. Waldur components
/// carry no price, and the plan's cannot be updated, so this is where a
/// price change reaches Waldur.
fn pricing_attribute(pricing: &Pricing, decimals: u32) -> Value {
    let components: Map<String, Value> = pricing
        .components
        .iter()
        .map(|c| {
            let rate = serde_json::json!({
                "unit": c.unit,
                "price": to_waldur_price(c.price, decimals),
            });
            (c.resource_type.clone(), rate)
        })
        .collect();
    serde_json::json!({
        "model": model_name(pricing.model),
        "denom": pricing.denom,
        "base_price": to_waldur_price(pricing.base_price, decimals),
        "components": components,
        "minimum_commitment_seconds": pricing.minimum_commitment_seconds,
    })
}

fn base_component_name(model: PricingModel) -> &'static str {
    match model {
        PricingModel::Hourly => "Hourly Rate",
        PricingModel::Daily => "Daily Rate",
        PricingModel::Monthly => "Monthly Fee",
        PricingModel::UsageBased => "Base Fee",
        PricingModel::Fixed => "One-time Fee",
    }
}

/// Components per the pricing model map: the base price (unless a
/// usage-based offering has none) and one per metered rate, all with the
/// model's `billing_type`; usage is limited per month as in the spec. Plus
/// the `limit` component of the allocation's quantity.
fn components(pricing: &Pricing) -> Result<Vec<ExportedComponent>, MappingError> {
    let billing_type = pricing.model.waldur_billing_type().to_string();
    let limit_period = (billing_type == "usage").then(|| "month".to_string());
    let mut out = vec![ExportedComponent {
        component_type: QUANTITY_COMPONENT_TYPE.into(),
        name: "Allocation quantity".into(),
        billing_type: "limit".into(),
        measured_unit: "unit".into(),
        limit_period: None,
    }];
    if !(pricing.model == PricingModel::UsageBased && pricing.base_price.is_zero()) {
        out.push(ExportedComponent {
            component_type: BASE_COMPONENT_TYPE.into(),
            name: base_component_name(pricing.model).into(),
            billing_type: billing_type.clone(),
            measured_unit: pricing.model.waldur_measured_unit().into(),
            limit_period: limit_period.clone(),
        });
    }
    for c in &pricing.components {
        if c.resource_type.chars().count() > COMPONENT_TYPE_MAX_CHARS {
            return Err(MappingError::ComponentTypeTooLong(c.resource_type.clone()));
        }
        out.push(ExportedComponent {
            component_type: c.resource_type.clone(),
            name: format!("{} per {}", c.resource_type, c.unit),
            billing_type: billing_type.clone(),
            measured_unit: truncate(&c.unit, MEASURED_UNIT_MAX_CHARS),
            limit_period: limit_period.clone(),
        });
    }
    out.sort_by(|a, b| a.component_type.cmp(&b.component_type));
    Ok(out)
}

fn plan_unit(model: PricingModel) -> BillingUnit {
    match model {
        PricingModel::Hourly => BillingUnit::Hour,
        PricingModel::Daily => BillingUnit::Day,
        PricingModel::Monthly | PricingModel::UsageBased => BillingUnit::Month,
        PricingModel::Fixed => BillingUnit::Quantity,
    }
}

/// Waldur's plan price pattern `^-?\d{0,12}(?:\.\d{0,10})?$`, for the
/// unsigned decimals `to_waldur_price` writes.
fn fits_plan_decimal(price: &str) -> bool {
    let (whole, fraction) = price.split_once('.').unwrap_or((price, ""));
    whole.len() <= 12 && fraction.len() <= 10
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::{Addr, Timestamp, Uint128};
    use ve_types::{OfferingState, PriceComponent};

    fn chain_offering() -> OfferingResponse {
        OfferingResponse {
            id: "prov/1".into(),
            has_encrypted_secrets: true,
            offering: ve_interface::marketplace::state::Offering {
                provider: Addr::unchecked("prov"),
                sequence: 1,
                state: OfferingState::Active,
                name: "Compute".into(),
                description: "d".into(),
                category: Category::Compute,
                pricing: Pricing {
                    model: PricingModel::Hourly,
                    denom: "uvirt".into(),
                    base_price: Uint128::new(50_000),
                    components: vec![PriceComponent {
                        resource_type: "gpu".into(),
                        unit: "gpu_hour".into(),
                        price: Uint128::new(1_000_000),
                    }],
                    minimum_commitment_seconds: 0,
                },
                regions: vec!["eu-west-1".into()],
                tags: vec!["linux".into()],
                specifications: BTreeMap::from([
                    ("vcpu".to_string(), "4".to_string()),
                    ("ve_offering_id".to_string(), "spoofed".to_string()),
                ]),
                min_identity_score: 30,
                require_mfa_for_orders: false,
                state_reason: None,
                version: 3,
                total_order_count: 0,
                created_at: Timestamp::from_seconds(1),
                updated_at: Timestamp::from_seconds(2),
            },
        }
    }

    fn mapping() -> Mapping {
        let mut m = Mapping::new();
        m.category_uuids
            .insert(Category::Compute, "AB-CD-ef".to_string());
        m
    }

    #[test]
    fn exports_the_spec_fields() {
        let e = mapping().export(&chain_offering()).unwrap();
        assert_eq!(e.backend_id, "prov/1");
        // No profile for the category: the type every Waldur has.
        assert_eq!(e.offering_type, "Marketplace.Basic");
        assert_eq!(e.category_uuid, "abcdef");
        assert_eq!(e.state, "Active");
        assert_eq!(e.attributes["ve_offering_id"], "prov/1");
        assert_eq!(e.attributes["ve_version"], 3);
        assert_eq!(e.attributes["vcpu"], "4");
        assert_eq!(e.attributes["ve_pricing"]["base_price"], "0.050000");
        assert_eq!(
            e.attributes["ve_pricing"]["components"]["gpu"]["price"],
            "1.000000"
        );
        let types: Vec<_> = e
            .components
            .iter()
            .map(|c| c.component_type.as_str())
            .collect();
        assert_eq!(types, ["base-price", "gpu", "ve-quantity"]);
        // The price components are metered; only the quantity is a limit.
        for c in &e.components {
            let expected = if c.component_type == QUANTITY_COMPONENT_TYPE {
                "limit"
            } else {
                "usage"
            };
            assert_eq!(c.billing_type, expected, "{}", c.component_type);
        }
        let plan = mapping().plan(&chain_offering()).unwrap().unwrap();
        assert_eq!(plan.unit_price, Some(Decimal::new("0.050000")));
        assert_eq!(plan.name, "Standard");
        assert_eq!(plan.unit, Some(BillingUnit::Hour));
    }

    #[test]
    fn a_type_with_built_in_components_is_refused_naming_them() {
        let mut m = mapping();
        m.profiles =
            Mapping::profiles_from_json(r#"{"compute": {"type": "Marketplace.Slurm"}}"#).unwrap();
        let error = m.export(&chain_offering()).unwrap_err();
        assert!(
            matches!(&error, MappingError::BuiltInComponents { offering_type, builtin, theirs }
                if offering_type == "Marketplace.Slurm"
                    && builtin == "cpu, gpu, ram"
                    && theirs.contains("ve-quantity")),
            "{error:?}"
        );
        assert!(error.to_string().contains("waldur_category_profiles"));
    }

    #[test]
    fn a_category_profile_sets_type_and_plan() {
        let mut m = mapping();
        m.profiles = Mapping::profiles_from_json(
            r#"{"compute": {"type": "Marketplace.Script", "plan_name": "Per month", "plan_unit": "month"},
                "hpc": {}}"#,
        )
        .unwrap();
        let e = m.export(&chain_offering()).unwrap();
        assert_eq!(e.offering_type, "Marketplace.Script");
        let plan = m.plan(&chain_offering()).unwrap().unwrap();
        assert_eq!(plan.name, "Per month");
        assert_eq!(plan.unit, Some(BillingUnit::Month));
        // An empty entry is the default profile.
        assert_eq!(m.profile(Category::Hpc), CategoryProfile::default());
        assert_eq!(
            m.profile(Category::Hpc).offering_type,
            DEFAULT_OFFERING_TYPE
        );
        // A misspelt key is an error, not a silent default.
        let misspelt = Mapping::profiles_from_json(r#"{"compute": {"typ": "X"}}"#);
        assert!(misspelt.unwrap_err().to_string().contains("typ"));
    }

    #[test]
    fn checksum_ignores_key_order_and_sees_every_change() {
        let a = mapping().export(&chain_offering()).unwrap();
        let mut b = a.clone();
        b.attributes = a
            .attributes
            .iter()
            .rev()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        assert_eq!(a.checksum(), b.checksum());
        b.name.push('!');
        assert_ne!(a.checksum(), b.checksum());
        assert_eq!(a.differing_fields(&b), ["name"]);
        assert!(a.checksum().starts_with("sha256:"));
    }

    #[test]
    fn unmapped_inputs_are_named() {
        let mut offering = chain_offering();
        assert_eq!(
            Mapping::new().export(&offering),
            Err(MappingError::UnmappedCategory(Category::Compute))
        );
        offering.offering.pricing.denom = "ufoo".into();
        assert_eq!(
            mapping().export(&offering),
            Err(MappingError::UnknownDenom("ufoo".into()))
        );
        // 18 decimals do not fit a Waldur plan price: no plan, no error.
        let mut m = mapping();
        m.denom_decimals.insert("ufoo".into(), 18);
        assert_eq!(m.plan(&offering), Ok(None));
    }

    #[test]
    fn category_map_file_reads() {
        let map = Mapping::categories_from_json(r#"{"compute": "u1", "hpc": "u2"}"#).unwrap();
        assert_eq!(map[&Category::Hpc], "u2");
        assert!(Mapping::categories_from_json(r#"{"quantum": "u"}"#).is_err());
    }
}

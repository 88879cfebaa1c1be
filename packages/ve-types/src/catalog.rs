//! Offering categories, pricing models and price components.

use std::collections::BTreeMap;

use cosmwasm_schema::cw_serde;
use cosmwasm_std::Uint128;
use thiserror::Error;

/// Most price components an offering may carry (bounds storage and gas).
pub const MAX_PRICE_COMPONENTS: usize = 16;

/// Most rates a settlement escrow's rate card holds. The card of a matched
/// order is the base price per billing unit plus one rate per price
/// component, so this is derived from [`MAX_PRICE_COMPONENTS`]: every
/// offering the marketplace accepts can be matched into settlement.
pub const MAX_RATES: usize = MAX_PRICE_COMPONENTS + 1;

#[cw_serde]
#[derive(Copy, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    Compute,
    Storage,
    Gpu,
    Hpc,
    Ml,
}

impl Category {
    pub const ALL: [Category; 5] = [
        Category::Compute,
        Category::Storage,
        Category::Gpu,
        Category::Hpc,
        Category::Ml,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Category::Compute => "compute",
            Category::Storage => "storage",
            Category::Gpu => "gpu",
            Category::Hpc => "hpc",
            Category::Ml => "ml",
        }
    }

    /// Minimum provider identity score by category (mapping spec, "Identity
    /// Score Requirements").
    pub const fn min_provider_score(self) -> u8 {
        match self {
            Category::Compute | Category::Storage => 50,
            Category::Gpu | Category::Hpc | Category::Ml => 70,
        }
    }

    /// Minimum customer identity score by category (0 means configurable).
    pub const fn min_customer_score(self) -> u8 {
        match self {
            Category::Compute | Category::Storage => 0,
            Category::Gpu | Category::Hpc => 30,
            Category::Ml => 50,
        }
    }

    /// Waldur offering type for the category (mapping spec, "Resource Type
    /// Mapping").
    pub const fn waldur_offering_type(self) -> &'static str {
        match self {
            Category::Compute | Category::Gpu | Category::Ml => "Marketplace.VirtualMachine",
            Category::Storage => "Marketplace.Volume",
            Category::Hpc => "SLURM.Allocation",
        }
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cw_serde]
#[derive(Copy, Eq, Hash)]
pub enum PricingModel {
    Hourly,
    Daily,
    Monthly,
    UsageBased,
    Fixed,
}

impl PricingModel {
    /// Waldur offering `type` (mapping spec, "Pricing Model Map").
    pub const fn waldur_type(self) -> &'static str {
        match self {
            PricingModel::Hourly => "Support.PerHour",
            PricingModel::Daily => "Support.PerDay",
            PricingModel::Monthly => "Support.Monthly",
            PricingModel::UsageBased => "Support.Usage",
            PricingModel::Fixed => "Support.OneTime",
        }
    }

    /// Waldur component `billing_type`.
    pub const fn waldur_billing_type(self) -> &'static str {
        match self {
            PricingModel::Hourly | PricingModel::Daily | PricingModel::UsageBased => "usage",
            PricingModel::Monthly => "fixed",
            PricingModel::Fixed => "one",
        }
    }

    /// Waldur component `measured_unit` of the base price (usage-based
    /// offerings carry their own unit per component).
    pub const fn waldur_measured_unit(self) -> &'static str {
        match self {
            PricingModel::Hourly => "hour",
            PricingModel::Daily => "day",
            PricingModel::Monthly => "month",
            PricingModel::UsageBased => "unit",
            PricingModel::Fixed => "item",
        }
    }
}

/// One metered rate of a usage-based offering (e.g. `cpu` at 50 per
/// `cpu_hour`). Its amount is in the offering's one denom.
#[cw_serde]
// Mutes cw-schema's warning about serde(with), which it does not read.
#[schemaifier(mute_warnings)]
pub struct PriceComponent {
    /// Waldur component `type`: lowercase letters, digits and `_`.
    pub resource_type: String,
    /// Waldur `measured_unit`, e.g. `cpu_hour`.
    pub unit: String,
    /// Price of one unit, in the smallest denomination.
    #[serde(with = "crate::packed::uint128")]
    #[schemars(with = "Uint128")]
    pub price: Uint128,
}

/// An offering's price. All amounts are in `denom`, the one denomination the
/// offering is paid in.
#[cw_serde]
// Mutes cw-schema's warning about serde(with), which it does not read.
#[schemaifier(mute_warnings)]
pub struct Pricing {
    pub model: PricingModel,
    pub denom: String,
    /// Price of one unit of the offering per period of `model`; the price an
    /// order's `max_bid_price` is compared with.
    #[serde(with = "crate::packed::uint128")]
    #[schemars(with = "Uint128")]
    pub base_price: Uint128,
    #[serde(default)]
    pub components: Vec<PriceComponent>,
    /// Minimum commitment in seconds (0: none).
    #[serde(default)]
    pub minimum_commitment_seconds: u64,
}

/// What a provider publishes about an offering (the marketplace's
/// `create_offering`, and the payload of a Waldur offering ingest).
#[cw_serde]
pub struct OfferingFields {
    /// 1-255 characters.
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub category: Category,
    pub pricing: Pricing,
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub specifications: BTreeMap<String, String>,
    /// Minimum customer identity score, 0-100.
    #[serde(default)]
    pub min_identity_score: u8,
    #[serde(default)]
    pub require_mfa_for_orders: bool,
}

#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum PricingError {
    #[error(
        "invalid denom {0:?}: 3-128 characters, a letter first, then letters, digits or /:._-"
    )]
    InvalidDenom(String),
    #[error("base_price must be greater than zero for a {0:?} offering")]
    ZeroBasePrice(PricingModel),
    #[error("a usage_based offering needs at least one price component")]
    NoComponents,
    #[error("at most {MAX_PRICE_COMPONENTS} price components, got {0}")]
    TooManyComponents(usize),
    #[error("duplicate price component {0:?}")]
    DuplicateComponent(String),
    #[error("invalid price component type {0:?}: 1-64 characters of a-z, 0-9 and _")]
    InvalidComponentType(String),
    #[error(
        "invalid unit {unit:?} of price component {resource_type:?}: 1-32 printable characters"
    )]
    InvalidComponentUnit { resource_type: String, unit: String },
    #[error("price component {0:?} has a zero price")]
    ZeroComponentPrice(String),
}

/// Denoms as the bank module accepts them: `[a-zA-Z][a-zA-Z0-9/:._-]{2,127}`.
pub fn is_valid_denom(denom: &str) -> bool {
    let bytes = denom.as_bytes();
    (3..=128).contains(&bytes.len())
        && bytes[0].is_ascii_alphabetic()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"/:._-".contains(b))
}

fn is_valid_component_type(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn is_valid_unit(s: &str) -> bool {
    (1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic())
}

impl OfferingFields {
    /// An offering described by its name, description, category and price
    /// alone: no regions, tags or specifications, no identity or MFA
    /// requirement (what a Waldur-native offering carries, and what most
    /// tests and the demo need).
    pub fn new(
        name: impl Into<String>,
        description: impl Into<String>,
        category: Category,
        pricing: Pricing,
    ) -> Self {
        OfferingFields {
            name: name.into(),
            description: description.into(),
            category,
            pricing,
            regions: vec![],
            tags: vec![],
            specifications: BTreeMap::new(),
            min_identity_score: 0,
            require_mfa_for_orders: false,
        }
    }
}

impl Pricing {
    /// A price without a minimum commitment.
    pub fn new(
        model: PricingModel,
        denom: impl Into<String>,
        base_price: Uint128,
        components: Vec<PriceComponent>,
    ) -> Self {
        Pricing {
            model,
            denom: denom.into(),
            base_price,
            components,
            minimum_commitment_seconds: 0,
        }
    }

    pub fn validate(&self) -> Result<(), PricingError> {
        if !is_valid_denom(&self.denom) {
            return Err(PricingError::InvalidDenom(self.denom.clone()));
        }
        if self.base_price.is_zero() && self.model != PricingModel::UsageBased {
            return Err(PricingError::ZeroBasePrice(self.model));
        }
        if self.model == PricingModel::UsageBased && self.components.is_empty() {
            return Err(PricingError::NoComponents);
        }
        if self.components.len() > MAX_PRICE_COMPONENTS {
            return Err(PricingError::TooManyComponents(self.components.len()));
        }
        for (i, c) in self.components.iter().enumerate() {
            if !is_valid_component_type(&c.resource_type) {
                return Err(PricingError::InvalidComponentType(c.resource_type.clone()));
            }
            if !is_valid_unit(&c.unit) {
                return Err(PricingError::InvalidComponentUnit {
                    resource_type: c.resource_type.clone(),
                    unit: c.unit.clone(),
                });
            }
            if c.price.is_zero() {
                return Err(PricingError::ZeroComponentPrice(c.resource_type.clone()));
            }
            if self.components[..i]
                .iter()
                .any(|earlier| earlier.resource_type == c.resource_type)
            {
                return Err(PricingError::DuplicateComponent(c.resource_type.clone()));
            }
        }
        Ok(())
    }

    /// Price of `resource_type` per unit, if the offering meters it.
    pub fn component_price(&self, resource_type: &str) -> Option<Uint128> {
        self.components
            .iter()
            .find(|c| c.resource_type == resource_type)
            .map(|c| c.price)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hourly(denom: &str, base: u128) -> Pricing {
        Pricing {
            model: PricingModel::Hourly,
            denom: denom.into(),
            base_price: Uint128::new(base),
            components: vec![],
            minimum_commitment_seconds: 0,
        }
    }

    fn component(t: &str, price: u128) -> PriceComponent {
        PriceComponent {
            resource_type: t.into(),
            unit: "unit_hour".into(),
            price: Uint128::new(price),
        }
    }

    #[test]
    fn valid_pricing_passes() {
        assert_eq!(hourly("uvirt", 50_000).validate(), Ok(()));
        assert_eq!(
            hourly(
                "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2",
                1
            )
            .validate(),
            Ok(())
        );
        let mut usage = hourly("uvirt", 0);
        usage.model = PricingModel::UsageBased;
        usage.components = vec![component("cpu", 5), component("gpu", 100)];
        assert_eq!(usage.validate(), Ok(()));
        assert_eq!(usage.component_price("gpu"), Some(Uint128::new(100)));
        assert_eq!(usage.component_price("ram"), None);
    }

    #[test]
    fn invalid_pricing_is_named() {
        for d in ["", "ab", "1abc", "uvirt!", &"a".repeat(129)] {
            assert_eq!(
                hourly(d, 1).validate(),
                Err(PricingError::InvalidDenom(d.to_string()))
            );
        }
        assert_eq!(
            hourly("uvirt", 0).validate(),
            Err(PricingError::ZeroBasePrice(PricingModel::Hourly))
        );

        let mut usage = hourly("uvirt", 0);
        usage.model = PricingModel::UsageBased;
        assert_eq!(usage.validate(), Err(PricingError::NoComponents));

        let mut p = hourly("uvirt", 1);
        p.components = vec![component("cpu", 1), component("cpu", 2)];
        assert_eq!(
            p.validate(),
            Err(PricingError::DuplicateComponent("cpu".into()))
        );
        p.components = vec![component("CPU", 1)];
        assert_eq!(
            p.validate(),
            Err(PricingError::InvalidComponentType("CPU".into()))
        );
        p.components = vec![component("cpu", 0)];
        assert_eq!(
            p.validate(),
            Err(PricingError::ZeroComponentPrice("cpu".into()))
        );
        p.components = vec![PriceComponent {
            resource_type: "cpu".into(),
            unit: "".into(),
            price: Uint128::one(),
        }];
        assert!(matches!(
            p.validate(),
            Err(PricingError::InvalidComponentUnit { .. })
        ));
        p.components = (0..=MAX_PRICE_COMPONENTS)
            .map(|i| component(&format!("c{i}"), 1))
            .collect();
        assert_eq!(
            p.validate(),
            Err(PricingError::TooManyComponents(MAX_PRICE_COMPONENTS + 1))
        );
        p.components.pop();
        assert_eq!(p.validate(), Ok(()));
    }

    #[test]
    fn pricing_model_waldur_map() {
        assert_eq!(PricingModel::Hourly.waldur_type(), "Support.PerHour");
        assert_eq!(PricingModel::Monthly.waldur_billing_type(), "fixed");
        assert_eq!(PricingModel::Fixed.waldur_billing_type(), "one");
        assert_eq!(PricingModel::Fixed.waldur_measured_unit(), "item");
        assert_eq!(Category::Hpc.waldur_offering_type(), "SLURM.Allocation");
        assert_eq!(Category::Ml.min_customer_score(), 50);
    }
}

//! What an order needs from the Waldur offering it is for, read once (the
//! provider's view, `marketplace-provider-offerings/<uuid>/`: the relayer
//! is the offering's provider) and cached per offering:
//!
//! - **Offering link.** `OrderCreateSerializer.offering` is a hyperlink to
//!   `marketplace-public-offering-detail` (waldur-mastermind
//!   `marketplace/serializers.py`, `BaseItemSerializer.Meta.extra_kwargs`):
//!   a provider-offering link does not resolve there. The public link is
//!   built from the offering's uuid, whichever form the offering map
//!   holds.
//! - **Plan.** `plan` is a `PublicPlanField` on
//!   `marketplace-public-offering-plan-detail`
//!   (`.../marketplace-public-offerings/<uuid>/plans/<plan uuid>/`,
//!   `marketplace/fields.py` and `urls.py`): a `marketplace-plans/` link
//!   does not resolve there. It must belong to the offering and be active
//!   (`BaseItemSerializer.validate`, `validate_plan`). The first plan
//!   neither archived nor inactive is sent, as that public link, or the
//!   live plan named by `waldur_order_plan` (none such: the order is
//!   refused by the relayer, naming the key). Waldur
//!   takes an order without a plan (the field is not required), but the
//!   resource is then billed by nothing, so an offering without a plan is
//!   ordered without one only because there is no other way.
//! - **Limits.** Only components whose `billing_type` is `limit` may be in
//!   `limits` (`marketplace/utils.py`, `get_components_map`). The
//!   allocation's quantity goes to the adapter's quantity component
//!   (`ve-quantity`, which the offering sync exports as a `limit`
//!   component) when the offering has it as a limit component; otherwise
//!   `limits` stays empty and Waldur does not carry the quantity. A
//!   resize follows the same rule.
//! - **Terms of service.** A shared offering with terms refuses an order
//!   without `accepting_terms_of_service: true`
//!   (`OrderCreateSerializer.validate`). Waldur 7 shows the terms as the
//!   offering's `terms_of_service` field; Waldur 8 keeps them as objects of
//!   their own (`marketplace-offering-terms-of-service/`, 8.0.5 schema:
//!   `is_active`, `has_user_consent`), and the 404 of a Waldur without
//!   that endpoint means none. Terms are to accept when the field is set
//!   on a shared offering or an active version has no consent of the
//!   relayer's user. The relayer accepts them only when the operator
//!   configured `waldur_accept_terms_of_service`; otherwise it refuses the
//!   order itself ([`WaldurError::TermsNotAccepted`]) and creates nothing.

use std::collections::BTreeMap;

use waldur::{ApiUrls, BillingType, Offering};

use super::{api, uuid_of_link, OrderableOffering, WaldurAdapter};
use crate::waldur_side::port::WaldurError;

/// The config key an operator sets to accept offerings' terms of service.
pub const ACCEPT_TERMS_KEY: &str = "waldur_accept_terms_of_service";

/// The config key naming the plan orders use.
pub const ORDER_PLAN_KEY: &str = "waldur_order_plan";

impl OrderableOffering {
    /// `urls` builds the public links from the offering's and plan's
    /// uuids; `plan_name`, if given, picks the plan.
    pub(super) fn read(
        offering: &Offering,
        uuid: &str,
        urls: ApiUrls<'_>,
        plan_name: Option<&str>,
    ) -> Result<Self, waldur::Error> {
        let plan_url = offering
            .plans
            .iter()
            .filter(|p| p.archived != Some(true) && p.is_active != Some(false))
            .find(|p| plan_name.is_none_or(|name| p.name.as_deref() == Some(name)))
            .and_then(|p| p.uuid.as_deref())
            .map(|plan_uuid| urls.public_offering_plan(uuid, plan_uuid))
            .transpose()?;
        let limit_components = offering
            .components
            .iter()
            .filter(|c| c.billing_type == Some(BillingType::Limit))
            .filter_map(|c| c.component_type.clone())
            .collect();
        let has_terms = offering
            .terms_of_service
            .as_deref()
            .is_some_and(|terms| !terms.trim().is_empty());
        Ok(OrderableOffering {
            url: urls.public_offering(uuid)?,
            plan_url,
            limit_components,
            // Waldur asks only shared offerings (`offering.shared and
            // offering.terms_of_service`); a missing flag is taken as shared.
            terms_required: has_terms && offering.shared != Some(false),
            consent_needed: false,
        })
    }

    /// The order's `limits`: the quantity, if the offering has the
    /// quantity component as a `limit` component; nothing else.
    pub(super) fn quantity_limits(
        &self,
        quantity_component: &str,
        quantity: u32,
    ) -> BTreeMap<String, i64> {
        if self.limit_components.contains(quantity_component) {
            BTreeMap::from([(quantity_component.to_string(), i64::from(quantity))])
        } else {
            BTreeMap::new()
        }
    }
}

impl WaldurAdapter {
    /// The offering behind a mapped link (public or provider form), read
    /// once.
    pub(super) async fn orderable(
        &mut self,
        offering_link: &str,
    ) -> Result<OrderableOffering, WaldurError> {
        let uuid = uuid_of_link(offering_link).ok_or_else(|| {
            WaldurError::Api(format!("{offering_link:?} is not a Waldur offering link"))
        })?;
        self.orderable_by_uuid(&uuid).await
    }

    pub(super) async fn orderable_by_uuid(
        &mut self,
        uuid: &str,
    ) -> Result<OrderableOffering, WaldurError> {
        if let Some(known) = self.orderable.get(uuid) {
            return Ok(known.clone());
        }
        let offering = self.client.get_offering(uuid).await.map_err(api)?;
        let mut orderable = OrderableOffering::read(
            &offering,
            uuid,
            self.client.urls(),
            self.order_plan.as_deref(),
        )
        .map_err(api)?;
        if !orderable.terms_required {
            orderable.consent_needed = match self.client.list_active_terms_of_service(uuid).await {
                Ok(versions) => versions.iter().any(|v| v.needs_acceptance()),
                // A Waldur before terms had their own endpoint.
                Err(waldur::Error::NotFound { .. }) => false,
                Err(e) => return Err(api(e)),
            };
            orderable.terms_required = orderable.consent_needed;
        }
        self.orderable.insert(uuid.to_string(), orderable.clone());
        Ok(orderable)
    }

    /// The order's plan link: `None` only for an offering without a live
    /// plan, unless a plan is configured, which must exist.
    pub(super) fn plan_for_order(
        &self,
        offering: &OrderableOffering,
    ) -> Result<Option<String>, WaldurError> {
        match (&offering.plan_url, &self.order_plan) {
            (None, Some(name)) => Err(WaldurError::Api(format!(
                "Waldur offering {} has no live plan named {name:?} (`{ORDER_PLAN_KEY}`)",
                offering.url
            ))),
            (plan, _) => Ok(plan.clone()),
        }
    }

    /// `accepting_terms_of_service` for an order of `offering`, or the
    /// relayer's own refusal. Accepting gives Waldur 8's consent first
    /// when the user has none (once: the cached offering remembers it).
    pub(super) async fn accept_terms(
        &mut self,
        offering: &OrderableOffering,
    ) -> Result<Option<bool>, WaldurError> {
        match (offering.terms_required, self.accept_terms_of_service) {
            (false, _) => Ok(None),
            (true, false) => Err(WaldurError::TermsNotAccepted {
                offering: offering.url.clone(),
                key: ACCEPT_TERMS_KEY,
            }),
            (true, true) => {
                if offering.consent_needed {
                    let uuid = uuid_of_link(&offering.url).ok_or_else(|| {
                        WaldurError::Api(format!(
                            "{:?} is not a Waldur offering link",
                            offering.url
                        ))
                    })?;
                    self.client
                        .give_offering_consent(&uuid)
                        .await
                        .map_err(api)?;
                    if let Some(cached) = self.orderable.get_mut(&uuid) {
                        cached.consent_needed = false;
                    }
                }
                Ok(Some(true))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use waldur::{Config, OfferingComponent, Plan, WaldurClient};

    fn client() -> WaldurClient {
        WaldurClient::new(Config::new("https://w/api/", "k")).unwrap()
    }

    fn component(kind: &str, billing: BillingType) -> OfferingComponent {
        OfferingComponent {
            component_type: Some(kind.into()),
            billing_type: Some(billing),
            ..OfferingComponent::default()
        }
    }

    fn plan(uuid: &str, archived: bool) -> Plan {
        Plan {
            uuid: Some(uuid.into()),
            // The provider view's form, which orders do not take.
            url: Some(format!("https://w/api/marketplace-plans/{uuid}/")),
            archived: Some(archived),
            is_active: Some(!archived),
            ..Plan::default()
        }
    }

    #[test]
    fn only_limit_components_carry_the_quantity_and_the_first_live_plan_is_used() {
        let offering = Offering {
            url: Some("https://w/api/marketplace-provider-offerings/o1/".into()),
            components: vec![
                component("base-price", BillingType::Usage),
                component("ve-quantity", BillingType::Limit),
            ],
            plans: vec![plan("p0", true), plan("p1", false)],
            ..Offering::default()
        };
        let o = OrderableOffering::read(&offering, "o1", client().urls(), None).unwrap();
        assert_eq!(o.url, "https://w/api/marketplace-public-offerings/o1/");
        assert_eq!(
            o.plan_url.as_deref(),
            Some("https://w/api/marketplace-public-offerings/o1/plans/p1/")
        );
        assert_eq!(
            o.quantity_limits("ve-quantity", 4),
            BTreeMap::from([("ve-quantity".to_string(), 4)])
        );
        // A configured plan is picked by name among the live ones.
        let mut named = offering.clone();
        named.plans[0].name = Some("Old".into());
        named.plans[1].name = Some("Gold".into());
        named.plans.push(Plan {
            name: Some("Silver".into()),
            ..plan("p2", false)
        });
        let pick = |name| {
            OrderableOffering::read(&named, "o1", client().urls(), Some(name))
                .unwrap()
                .plan_url
        };
        assert_eq!(
            pick("Silver").as_deref(),
            Some("https://w/api/marketplace-public-offerings/o1/plans/p2/")
        );
        // An archived plan is never used, even by name.
        assert_eq!(pick("Old"), None);
        // A usage component is never put in `limits`.
        assert!(o.quantity_limits("base-price", 4).is_empty());
        assert!(!o.terms_required);
    }

    #[test]
    fn terms_are_required_of_shared_offerings_with_terms() {
        let mut offering = Offering {
            terms_of_service: Some("Be nice.".into()),
            shared: Some(true),
            ..Offering::default()
        };
        let c = client();
        let read = |o: &Offering| OrderableOffering::read(o, "o1", c.urls(), None).unwrap();
        assert!(read(&offering).terms_required);
        // No plan: none sent.
        assert_eq!(read(&offering).plan_url, None);
        offering.shared = Some(false);
        assert!(!read(&offering).terms_required);
        offering.shared = Some(true);
        offering.terms_of_service = Some("  ".into());
        assert!(!read(&offering).terms_required);
    }
}

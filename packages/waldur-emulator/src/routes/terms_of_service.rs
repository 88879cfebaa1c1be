//! `GET marketplace-offering-terms-of-service/` (Waldur 8.0.5: an
//! offering's terms are objects of their own, not a field of the offering
//! view). The emulator keeps one version per offering, its
//! `terms_of_service` text, active while non-empty. Consents are not
//! modelled: `has_user_consent` is false, so every order must accept.

use axum::extract::{RawQuery, State};
use axum::http::Uri;
use axum::response::Response;
use serde_json::{json, Value};

use super::{matches_opt, respond_list, uuid_filter};
use crate::api_error::ApiResult;
use crate::listing::QueryParams;
use crate::model::OfferingRecord;
use crate::server::AppState;

pub async fn list(
    State(state): State<AppState>,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let query = QueryParams::parse(raw.as_deref());
    let offering = uuid_filter(&query, "offering_uuid");
    // Every listed version is active: `is_active=false` lists none.
    let active = query.bool("is_active");
    let store = state.store();
    let records = store
        .offerings
        .values()
        .filter(|o| !o.terms_of_service.is_empty())
        .filter(|o| matches_opt(offering.as_deref(), &o.uuid))
        .filter(|_| active.is_none_or(|flag| flag))
        .map(|o| (o.seq, o))
        .collect();
    respond_list(&state, uri.path(), &query, records, render)
}

fn render(offering: &OfferingRecord) -> Value {
    json!({
        // One version per offering: its uuid stands for the version's.
        "uuid": offering.uuid,
        "offering_uuid": offering.uuid,
        "offering_name": offering.name,
        "terms_of_service": offering.terms_of_service,
        "version": "1",
        "is_active": true,
        "requires_reconsent": false,
        "grace_period_days": 0,
        "user_consent": null,
        "has_user_consent": false,
        "created": offering.created,
        "modified": offering.created,
    })
}

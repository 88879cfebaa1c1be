//! `GET marketplace-offering-terms-of-service/` (Waldur 8.0.5: an
//! offering's terms are objects of their own, not a field of the offering
//! view). The emulator keeps one version per offering, its
//! `terms_of_service` text, active while non-empty; `has_user_consent`
//! says whether the caller consented (`POST
//! marketplace-user-offering-consents/`). Orders are checked by Waldur 7's
//! rule (`accepting_terms_of_service`), whatever the consent: 8.0.5's
//! server rule is not public.

use axum::body::Bytes;
use axum::extract::{Extension, RawQuery, State};
use axum::http::Uri;
use axum::response::Response;
use serde_json::{json, Value};

use super::respond::{created_json, matches_opt, respond_list, uuid_filter};
use crate::api_error::{ApiError, ApiResult};
use crate::ids::normalize_uuid;
use crate::listing::QueryParams;
use crate::model::OfferingRecord;
use crate::roles::Caller;
use crate::shared::AppState;
use crate::validate::{json_object, required_str};

pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let query = QueryParams::parse(raw.as_deref());
    let offering = uuid_filter(&query, "offering_uuid");
    // Every listed version is active: `is_active=false` lists none.
    let active = query.bool("is_active");
    let store = state.store();
    let versions: Vec<(u64, (&OfferingRecord, bool))> = store
        .offerings
        .values()
        .filter(|o| !o.terms_of_service.is_empty())
        .filter(|o| matches_opt(offering.as_deref(), &o.uuid))
        .filter(|_| active.is_none_or(|flag| flag))
        .map(|o| {
            let consented = store
                .consents
                .contains(&(caller.username.clone(), o.uuid.clone()));
            (o.seq, (o, consented))
        })
        .collect();
    let records = versions.iter().map(|(seq, v)| (*seq, v)).collect();
    respond_list(&state, uri.path(), &query, records, |(o, consented)| {
        render(o, *consented)
    })
}

/// `POST marketplace-user-offering-consents/ {offering: uuid}` → 201
/// `{offering}` (8.0.5 schema `UserOfferingConsentCreate`): the caller
/// consents to the offering's terms. A second consent changes nothing.
pub async fn give_consent(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json_object(&body)?;
    let offering = normalize_uuid(&required_str(&body, "offering", 36)?);
    let mut store = state.store();
    if !store.offerings.contains_key(&offering) {
        // DRF's SlugRelatedField message for an unknown uuid.
        return Err(ApiError::field(
            "offering",
            format!("Object with uuid={offering} does not exist."),
        ));
    }
    store.consents.insert((caller.username, offering.clone()));
    Ok(created_json(json!({ "offering": offering })))
}

fn render(offering: &OfferingRecord, consented: bool) -> Value {
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
        "has_user_consent": consented,
        "created": offering.created,
        "modified": offering.created,
    })
}

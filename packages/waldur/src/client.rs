//! The client handle and the request helpers every endpoint uses.

use std::sync::Arc;

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use url::Url;

use crate::config::Config;
use crate::error::{excerpt, Error};
use crate::pagination::{next_link, page_number};
use crate::retry::ResendPolicy;
use crate::transport::{Answer, Body, Request, Transport};
use crate::types::QueryPairs;

/// A typed client for one Waldur. Cheap to clone: clones share the
/// connection pool and the rate limiter.
#[derive(Debug, Clone)]
pub struct WaldurClient {
    transport: Arc<Transport>,
    page_size: u32,
}

/// One page of a list endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The page number of the `Link` header's `rel="next"`, if any.
    pub next_page: Option<u32>,
    /// `x-result-count`: the number of objects on all pages.
    pub total: Option<u64>,
}

impl WaldurClient {
    pub fn new(config: Config) -> Result<Self, Error> {
        Ok(Self {
            transport: Arc::new(Transport::new(&config)?),
            page_size: config.page_size.clamp(1, 300),
        })
    }

    /// The API root every path is resolved against.
    pub fn base_url(&self) -> &Url {
        self.transport.base_url()
    }

    /// 429 (rate limited) answers Waldur gave this client and its clones
    /// since it was built, including those the client retried.
    pub fn rate_limit_hits(&self) -> u64 {
        self.transport.rate_limit_hits()
    }

    /// Builders of the hyperlink URLs that request bodies use for relations.
    pub fn urls(&self) -> ApiUrls<'_> {
        ApiUrls {
            base: self.transport.base_url(),
        }
    }

    /// Fetches one page (1-based) of a list endpoint.
    pub async fn list_page<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &QueryPairs,
        page: u32,
    ) -> Result<Page<T>, Error> {
        let mut pairs = query.clone();
        pairs.push("page", page.to_string());
        pairs.push("page_size", self.page_size.to_string());
        let answer = self.send(Method::GET, path, pairs.pairs(), None).await?;
        let next_page = answer
            .headers
            .get(reqwest::header::LINK)
            .and_then(|value| value.to_str().ok())
            .and_then(next_link)
            .map(|link| {
                page_number(&link).ok_or_else(|| {
                    Error::InvalidResponse(format!(
                        "Link rel=\"next\" without a page number: {link}"
                    ))
                })
            })
            .transpose()?;
        let total = answer
            .headers
            .get("x-result-count")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse().ok());
        Ok(Page {
            items: decode(&answer.body)?,
            next_page,
            total,
        })
    }

    /// Fetches every page of a list endpoint, following `rel="next"` until
    /// it is absent or a page comes back empty.
    pub async fn list_all<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &QueryPairs,
    ) -> Result<Vec<T>, Error> {
        let mut all = Vec::new();
        let mut page = 1;
        loop {
            let Page {
                items, next_page, ..
            } = self.list_page::<T>(path, query, page).await?;
            if items.is_empty() {
                break;
            }
            all.extend(items);
            match next_page {
                None => break,
                // A link that does not move forward would loop forever.
                Some(next) if next <= page => {
                    return Err(Error::InvalidResponse(format!(
                        "Link rel=\"next\" points to page {next} from page {page}"
                    )))
                }
                Some(next) => page = next,
            }
        }
        Ok(all)
    }

    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        let answer = self.send(Method::GET, path, &[], None).await?;
        decode(&answer.body)
    }

    /// POSTs and decodes the JSON answer.
    pub(crate) async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, Error> {
        let answer = self.send(Method::POST, path, &[], encode(body)?).await?;
        decode(&answer.body)
    }

    /// POSTs a create Waldur cannot deduplicate and decodes the JSON
    /// answer; resent only when the server surely did no work (see
    /// [`ResendPolicy::OnlyIfUnprocessed`]).
    pub(crate) async fn post_create<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, Error> {
        let answer = self
            .transport
            .execute(Request {
                method: Method::POST,
                path,
                query: &[],
                body: encode(body)?.map(Body::json),
                resend: ResendPolicy::OnlyIfUnprocessed,
            })
            .await?;
        decode(&answer.body)
    }

    /// POSTs a `multipart/form-data` create, resent as
    /// [`post_create`](Self::post_create) is, and decodes the JSON answer.
    pub(crate) async fn post_multipart_create<T: DeserializeOwned>(
        &self,
        path: &str,
        form: crate::multipart::Form,
    ) -> Result<T, Error> {
        let (content_type, bytes) = form.finish();
        let content_type = reqwest::header::HeaderValue::from_str(&content_type)
            .map_err(|_| Error::InvalidArgument(format!("bad content type {content_type:?}")))?;
        let answer = self
            .transport
            .execute(Request {
                method: Method::POST,
                path,
                query: &[],
                body: Some(Body {
                    content_type,
                    bytes,
                }),
                resend: ResendPolicy::OnlyIfUnprocessed,
            })
            .await?;
        decode(&answer.body)
    }

    /// POSTs to an action whose answer has no useful body.
    pub(crate) async fn post_unit<B: Serialize>(
        &self,
        path: &str,
        body: Option<&B>,
    ) -> Result<(), Error> {
        self.send(Method::POST, path, &[], encode(body)?).await?;
        Ok(())
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<Vec<u8>>,
    ) -> Result<Answer, Error> {
        self.transport
            .execute(Request {
                method,
                path,
                query,
                body: body.map(Body::json),
                resend: ResendPolicy::AnyTransient,
            })
            .await
    }
}

/// Builds `{collection}{uuid}/` after checking that the UUID cannot change
/// the path (no `/`, `.`, `?` or `%`).
pub(crate) fn object_path(collection: &str, uuid: &str) -> Result<String, Error> {
    Ok(format!("{collection}{}/", checked_uuid(uuid)?))
}

/// Builds `{collection}{uuid}/{action}/`.
pub(crate) fn action_path(collection: &str, uuid: &str, action: &str) -> Result<String, Error> {
    Ok(format!("{collection}{}/{action}/", checked_uuid(uuid)?))
}

fn checked_uuid(uuid: &str) -> Result<&str, Error> {
    let valid = !uuid.is_empty()
        && uuid.len() <= 64
        && uuid
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-');
    if valid {
        Ok(uuid)
    } else {
        Err(Error::InvalidArgument(format!("{uuid:?} is not a UUID")))
    }
}

fn encode<B: Serialize>(body: Option<&B>) -> Result<Option<Vec<u8>>, Error> {
    body.map(serde_json::to_vec).transpose().map_err(|error| {
        Error::InvalidArgument(format!("cannot serialise the request body: {error}"))
    })
}

fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(body)
        .map_err(|error| Error::InvalidResponse(format!("{error} in body {}", excerpt(body))))
}

/// Hyperlink URLs for relations in request bodies.
///
/// Prefer the `url` field of an object fetched from the server; these
/// builders are for when only a UUID is at hand. Waldur matches the link
/// against the view it expects, so the collection matters: orders take a
/// public offering link.
#[derive(Debug, Clone, Copy)]
pub struct ApiUrls<'a> {
    base: &'a Url,
}

impl ApiUrls<'_> {
    fn link(&self, collection: &str, uuid: &str) -> Result<String, Error> {
        let path = object_path(collection, uuid)?;
        self.base
            .join(&path)
            .map(String::from)
            .map_err(|error| Error::InvalidArgument(format!("cannot build a link: {error}")))
    }

    /// `marketplace-public-offerings/{uuid}/`, the form `OrderCreateRequest.offering` expects.
    pub fn public_offering(&self, uuid: &str) -> Result<String, Error> {
        self.link("marketplace-public-offerings/", uuid)
    }

    /// `marketplace-public-offerings/{uuid}/plans/{plan_uuid}/`, the form
    /// `OrderCreateRequest.plan` expects (waldur-mastermind
    /// `marketplace/urls.py`, `marketplace-public-offering-plan-detail`;
    /// the order's `plan` is a `PublicPlanField` on that view).
    pub fn public_offering_plan(
        &self,
        offering_uuid: &str,
        plan_uuid: &str,
    ) -> Result<String, Error> {
        let plans = format!(
            "marketplace-public-offerings/{}/plans/",
            checked_uuid(offering_uuid)?
        );
        self.link(&plans, plan_uuid)
    }

    /// `marketplace-provider-offerings/{uuid}/`.
    pub fn provider_offering(&self, uuid: &str) -> Result<String, Error> {
        self.link("marketplace-provider-offerings/", uuid)
    }

    /// `marketplace-plans/{uuid}/`.
    pub fn plan(&self, uuid: &str) -> Result<String, Error> {
        self.link("marketplace-plans/", uuid)
    }

    /// `marketplace-categories/{uuid}/`.
    pub fn category(&self, uuid: &str) -> Result<String, Error> {
        self.link("marketplace-categories/", uuid)
    }

    /// `customers/{uuid}/`.
    pub fn customer(&self, uuid: &str) -> Result<String, Error> {
        self.link("customers/", uuid)
    }

    /// `projects/{uuid}/`.
    pub fn project(&self, uuid: &str) -> Result<String, Error> {
        self.link("projects/", uuid)
    }

    /// `service-settings/{uuid}/`: a SLURM cluster, as `slurm-jobs/`
    /// creation names it.
    pub fn service_settings(&self, uuid: &str) -> Result<String, Error> {
        self.link("service-settings/", uuid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_cannot_escape_their_path_segment() {
        assert_eq!(
            object_path("marketplace-orders/", "0f1e2d3c4b5a69788796a5b4c3d2e1f0").unwrap(),
            "marketplace-orders/0f1e2d3c4b5a69788796a5b4c3d2e1f0/"
        );
        assert_eq!(
            action_path("marketplace-orders/", "ab-cd", "set_state_done").unwrap(),
            "marketplace-orders/ab-cd/set_state_done/"
        );
        for bad in ["", "../customers", "a/b", "a?b", "a%2F", "a.b"] {
            assert!(object_path("x/", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn relation_links_hang_off_the_api_root() {
        let client = WaldurClient::new(Config::new("https://w.example/api", "k")).unwrap();
        assert_eq!(
            client.urls().project("p1").unwrap(),
            "https://w.example/api/projects/p1/"
        );
        assert_eq!(
            client.urls().public_offering("o1").unwrap(),
            "https://w.example/api/marketplace-public-offerings/o1/"
        );
        assert_eq!(
            client.urls().public_offering_plan("o1", "p1").unwrap(),
            "https://w.example/api/marketplace-public-offerings/o1/plans/p1/"
        );
        assert!(client.urls().public_offering_plan("../x", "p1").is_err());
        assert!(client.urls().public_offering_plan("o1", "a/b").is_err());
    }
}

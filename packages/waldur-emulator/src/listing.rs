//! Query parameters and Waldur's page-number pagination.

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::api_error::{ApiError, ApiResult};

/// Waldur's defaults ([src 2024] in ENDPOINTS.md).
const DEFAULT_PAGE_SIZE: usize = 10;
const MAX_PAGE_SIZE: usize = 300;

/// Decoded query pairs in their original order; names may repeat.
#[derive(Debug, Clone, Default)]
pub struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    pub fn parse(raw: Option<&str>) -> Self {
        Self(
            form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .map(|(name, value)| (name.into_owned(), value.into_owned()))
                .collect(),
        )
    }

    pub fn first(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Every value of a repeated parameter (`state=a&state=b`).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .collect()
    }

    /// Values given either repeated or comma-separated (`uuid=a,b`).
    pub fn list(&self, name: &str) -> Vec<String> {
        self.all(name)
            .into_iter()
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
            .collect()
    }

    pub fn bool(&self, name: &str) -> Option<bool> {
        match self.first(name)?.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        }
    }

    /// The query string with `page` replaced, for the `Link` header.
    fn with_page(&self, page: usize) -> String {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        for (name, value) in self.0.iter().filter(|(name, _)| name != "page") {
            serializer.append_pair(name, value);
        }
        serializer.append_pair("page", &page.to_string());
        serializer.finish()
    }
}

/// Which slice of a list one request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageWindow {
    pub page: usize,
    pub page_size: usize,
    pub page_count: usize,
    pub total: usize,
}

impl PageWindow {
    /// Reads `page` and `page_size`; a page past the end is a 404
    /// `Invalid page.`, as Django's paginator answers.
    pub fn new(query: &QueryParams, total: usize) -> ApiResult<Self> {
        let page_size = query
            .first("page_size")
            .and_then(|size| size.parse::<usize>().ok())
            .filter(|size| *size > 0)
            .map_or(DEFAULT_PAGE_SIZE, |size| size.min(MAX_PAGE_SIZE));
        // An empty list still has one (empty) first page.
        let page_count = total.div_ceil(page_size).max(1);
        let page = match query.first("page") {
            None => 1,
            Some("last") => page_count,
            Some(raw) => raw
                .parse::<usize>()
                .ok()
                .filter(|page| (1..=page_count).contains(page))
                .ok_or_else(invalid_page)?,
        };
        Ok(Self {
            page,
            page_size,
            page_count,
            total,
        })
    }

    pub fn range(&self) -> std::ops::Range<usize> {
        let start = (self.page - 1) * self.page_size;
        start.min(self.total)..(start + self.page_size).min(self.total)
    }

    /// `Link` with first, prev (if any), next (if any) and last.
    pub fn link_header(&self, page_url: &str, query: &QueryParams) -> String {
        let link = |page: usize, rel: &str| {
            format!("<{page_url}?{}>; rel=\"{rel}\"", query.with_page(page))
        };
        let mut links = vec![link(1, "first")];
        if self.page > 1 {
            links.push(link(self.page - 1, "prev"));
        }
        if self.page < self.page_count {
            links.push(link(self.page + 1, "next"));
        }
        links.push(link(self.page_count, "last"));
        links.join(", ")
    }
}

fn invalid_page() -> ApiError {
    ApiError {
        status: StatusCode::NOT_FOUND,
        body: json!({ "detail": "Invalid page." }),
    }
}

/// A 200 list answer: bare JSON array plus `x-result-count` and `Link`.
pub fn list_response(
    items: Vec<Value>,
    window: &PageWindow,
    page_url: &str,
    query: &QueryParams,
) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert("x-result-count", HeaderValue::from(window.total));
    if let Ok(link) = HeaderValue::from_str(&window.link_header(page_url, query)) {
        headers.insert(axum::http::header::LINK, link);
    }
    (headers, Json(Value::Array(items))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_comma_values() {
        let query = QueryParams::parse(Some("state=a&state=b&offering_uuid=x,y&shared=true"));
        assert_eq!(query.all("state"), vec!["a", "b"]);
        assert_eq!(query.list("offering_uuid"), vec!["x", "y"]);
        assert_eq!(query.bool("shared"), Some(true));
        assert_eq!(query.first("missing"), None);
    }

    #[test]
    fn windows_and_links() {
        let query = QueryParams::parse(Some("page=2&page_size=100&state=done"));
        let window = PageWindow::new(&query, 260).unwrap();
        assert_eq!(window.range(), 100..200);
        let link = window.link_header("http://127.0.0.1:1/api/x/", &query);
        assert_eq!(
            link,
            "<http://127.0.0.1:1/api/x/?page_size=100&state=done&page=1>; rel=\"first\", \
             <http://127.0.0.1:1/api/x/?page_size=100&state=done&page=1>; rel=\"prev\", \
             <http://127.0.0.1:1/api/x/?page_size=100&state=done&page=3>; rel=\"next\", \
             <http://127.0.0.1:1/api/x/?page_size=100&state=done&page=3>; rel=\"last\""
        );
        let last = PageWindow::new(&QueryParams::parse(Some("page=3&page_size=100")), 260).unwrap();
        assert_eq!(last.range(), 200..260);
        assert!(!last.link_header("u", &query).contains("next"));
    }

    #[test]
    fn defaults_limits_and_bad_pages() {
        let window = PageWindow::new(&QueryParams::default(), 0).unwrap();
        assert_eq!(
            (window.page, window.page_size, window.page_count),
            (1, 10, 1)
        );
        assert_eq!(window.range(), 0..0);
        let big = PageWindow::new(&QueryParams::parse(Some("page_size=5000")), 10).unwrap();
        assert_eq!(big.page_size, 300);
        assert!(PageWindow::new(&QueryParams::parse(Some("page=9")), 10).is_err());
        assert!(PageWindow::new(&QueryParams::parse(Some("page=zero")), 10).is_err());
    }
}

//! Reading Waldur's pagination headers.
//!
//! Waldur pages with `page`/`page_size` and returns a bare JSON array. The
//! way to the next page is the `Link` header's `rel="next"` relation; the
//! total is in `x-result-count`.

/// One `<url>; rel="name"` entry of a `Link` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkEntry {
    pub url: String,
    pub rel: String,
}

/// Parses an RFC 8288 `Link` header value.
///
/// Commas inside `<...>` belong to the URL (Waldur filters such as
/// `offering_uuid=a,b` can put them there), so the split is done by hand
/// rather than with `str::split(',')`. Entries without a `rel` are skipped.
pub fn parse_link_header(value: &str) -> Vec<LinkEntry> {
    let mut entries = Vec::new();
    let mut rest = value;
    while let Some(open) = rest.find('<') {
        let after_open = &rest[open + 1..];
        let Some(close) = after_open.find('>') else {
            break;
        };
        let url = after_open[..close].trim().to_owned();
        let params_and_more = &after_open[close + 1..];
        // Parameters run until the next entry, which starts with a comma
        // followed (after optional spaces) by '<'.
        let params_end = next_entry_start(params_and_more).unwrap_or(params_and_more.len());
        let params = &params_and_more[..params_end];
        if let Some(rel) = rel_param(params) {
            for name in rel.split_whitespace() {
                entries.push(LinkEntry {
                    url: url.clone(),
                    rel: name.to_ascii_lowercase(),
                });
            }
        }
        rest = &params_and_more[params_end..];
    }
    entries
}

/// Index of the comma that starts the next `<...>` entry, if any.
fn next_entry_start(params: &str) -> Option<usize> {
    let mut in_quotes = false;
    for (index, ch) in params.char_indices() {
        match ch {
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes && params[index + 1..].trim_start().starts_with('<') => {
                return Some(index);
            }
            _ => {}
        }
    }
    None
}

/// The value of the `rel` parameter in `; rel="next"; title=...`.
fn rel_param(params: &str) -> Option<String> {
    params.split(';').find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("rel")
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// The URL of the `rel="next"` entry, if the header has one.
pub fn next_link(link_header: &str) -> Option<String> {
    parse_link_header(link_header)
        .into_iter()
        .find(|entry| entry.rel == "next")
        .map(|entry| entry.url)
}

/// The `page` query parameter of a pagination URL.
///
/// Like the Waldur py-client, the client copies only the page number from
/// the next link and rebuilds the request itself, so a proxy that rewrites
/// the scheme or host in the link cannot send the token elsewhere.
pub fn page_number(link_url: &str) -> Option<u32> {
    let parsed = url::Url::parse(link_url)
        .or_else(|_| url::Url::parse("http://relative.invalid/")?.join(link_url))
        .ok()?;
    parsed
        .query_pairs()
        .find(|(name, _)| name == "page")
        .and_then(|(_, value)| value.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const WALDUR_LINK: &str =
        "<https://w.example/api/marketplace-orders/?page=1&page_size=100>; rel=\"first\", \
        <https://w.example/api/marketplace-orders/?page=1&page_size=100>; rel=\"prev\", \
        <https://w.example/api/marketplace-orders/?page=3&page_size=100>; rel=\"next\", \
        <https://w.example/api/marketplace-orders/?page=5&page_size=100>; rel=\"last\"";

    #[test]
    fn parses_all_relations() {
        let entries = parse_link_header(WALDUR_LINK);
        let rels: Vec<&str> = entries.iter().map(|e| e.rel.as_str()).collect();
        assert_eq!(rels, vec!["first", "prev", "next", "last"]);
        assert_eq!(page_number(&entries[2].url), Some(3));
    }

    #[test]
    fn next_is_absent_on_the_last_page() {
        let header =
            "<https://w/api/x/?page=1>; rel=\"first\", <https://w/api/x/?page=1>; rel=\"last\"";
        assert_eq!(next_link(header), None);
        assert_eq!(next_link(""), None);
    }

    #[test]
    fn commas_inside_urls_do_not_split_entries() {
        let header = "<https://w/api/r/?offering_uuid=a,b&page=2>; rel=\"next\", <https://w/api/r/?offering_uuid=a,b&page=9>; rel=\"last\"";
        let next = next_link(header).unwrap();
        assert_eq!(next, "https://w/api/r/?offering_uuid=a,b&page=2");
        assert_eq!(page_number(&next), Some(2));
    }

    #[test]
    fn tolerates_odd_spacing_case_and_unquoted_rel() {
        let header =
            "<https://w/api/x/?page=4>;REL=next ,<https://w/api/x/?page=1>; rel=\"first prev\"";
        let entries = parse_link_header(header);
        assert_eq!(entries[0].rel, "next");
        assert_eq!(entries[1].rel, "first");
        assert_eq!(entries[2].rel, "prev");
        assert_eq!(page_number(&entries[0].url), Some(4));
    }

    #[test]
    fn malformed_headers_yield_nothing() {
        assert!(parse_link_header("garbage").is_empty());
        assert!(parse_link_header("<unterminated; rel=next").is_empty());
        assert_eq!(page_number("https://w/api/x/?page=abc"), None);
        assert_eq!(page_number("/api/x/?page=7"), Some(7));
    }
}

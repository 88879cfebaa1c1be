//! Reading `multipart/form-data` request bodies (RFC 7578), as DRF's
//! `MultiPartParser` does for `slurm-jobs/`: text fields and file parts.

use std::collections::BTreeMap;

use crate::api_error::{ApiError, ApiResult};

/// One part of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Set for file parts.
    pub filename: Option<String>,
    pub bytes: Vec<u8>,
}

/// Parts by field name; the first of repeated names wins, as DRF's
/// `QueryDict.get` answers.
pub type Parts = BTreeMap<String, Part>;

/// DRF's answer to a body it cannot parse.
fn parse_error(detail: &str) -> ApiError {
    ApiError {
        status: axum::http::StatusCode::BAD_REQUEST,
        body: serde_json::json!({ "detail": format!("Multipart form parse error - {detail}") }),
    }
}

/// The boundary of a `multipart/form-data` content type, `None` for any
/// other media type.
pub fn boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    let media = params.next()?.trim();
    if !media.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

pub fn parse(boundary: &str, body: &[u8]) -> ApiResult<Parts> {
    if boundary.is_empty() {
        return Err(parse_error("Invalid boundary in multipart: None"));
    }
    let delimiter = format!("--{boundary}");
    let mut parts = Parts::new();
    let mut rest = match find(body, delimiter.as_bytes()) {
        Some(at) => &body[at + delimiter.len()..],
        None => return Err(parse_error("no opening boundary")),
    };
    let closing = format!("\r\n{delimiter}");
    loop {
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        rest = rest
            .strip_prefix(b"\r\n")
            .ok_or_else(|| parse_error("boundary not followed by a line break"))?;
        let head_end =
            find(rest, b"\r\n\r\n").ok_or_else(|| parse_error("part without headers"))?;
        let head = std::str::from_utf8(&rest[..head_end])
            .map_err(|_| parse_error("part headers are not UTF-8"))?;
        let content = &rest[head_end + 4..];
        let end = find(content, closing.as_bytes())
            .ok_or_else(|| parse_error("part without a closing boundary"))?;
        let (name, filename) = disposition(head)?;
        parts.entry(name).or_insert(Part {
            filename,
            bytes: content[..end].to_vec(),
        });
        rest = &content[end + closing.len()..];
    }
}

/// `name` and `filename` of a part's `Content-Disposition: form-data`.
fn disposition(head: &str) -> ApiResult<(String, Option<String>)> {
    let line = head
        .split("\r\n")
        .find(|line| {
            line.split(':')
                .next()
                .is_some_and(|h| h.trim().eq_ignore_ascii_case("content-disposition"))
        })
        .ok_or_else(|| parse_error("part without Content-Disposition"))?;
    let value = line.split_once(':').map_or("", |(_, v)| v);
    let mut name = None;
    let mut filename = None;
    for param in value.split(';').skip(1) {
        let Some((key, raw)) = param.split_once('=') else {
            continue;
        };
        let text = raw.trim().trim_matches('"').replace("%22", "\"");
        match key.trim() {
            "name" => name = Some(text),
            "filename" => filename = Some(text),
            _ => {}
        }
    }
    let name = name.ok_or_else(|| parse_error("part without a name"))?;
    Ok((name, filename))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_files() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\njob 1\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"job.sh\"\r\n\
Content-Type: text/plain\r\n\r\n#!/bin/sh\r\necho\r\n--XyZ--\r\n";
        let parts = parse("XyZ", body).unwrap();
        assert_eq!(parts["name"].bytes, b"job 1");
        assert_eq!(parts["name"].filename, None);
        assert_eq!(parts["file"].filename.as_deref(), Some("job.sh"));
        assert_eq!(parts["file"].bytes, b"#!/bin/sh\r\necho");
        assert_eq!(
            boundary("multipart/form-data; boundary=\"XyZ\""),
            Some("XyZ".into())
        );
        assert_eq!(boundary("application/json"), None);
        assert!(parse("XyZ", b"--XyZ\r\nno headers").is_err());
        assert!(parse("XyZ", b"garbage").is_err());
    }
}

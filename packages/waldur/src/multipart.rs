//! A minimal `multipart/form-data` body (RFC 7578) for the one endpoint
//! that needs it, `POST slurm-jobs/` with its batch script file: text
//! fields and file parts, nothing streamed.

/// A form being built; `finish` gives the content type and the bytes.
#[derive(Debug, Clone)]
pub struct Form {
    boundary: String,
    body: Vec<u8>,
}

impl Default for Form {
    fn default() -> Self {
        Self::new()
    }
}

impl Form {
    pub fn new() -> Self {
        // Random so that no field value can contain it by accident; the
        // parts are also checked (see `part`).
        Self {
            boundary: format!(
                "----waldur-rs-{:016x}{:016x}",
                fastrand::u64(..),
                fastrand::u64(..)
            ),
            body: Vec::new(),
        }
    }

    /// Adds a text field.
    pub fn text(&mut self, name: &str, value: &str) -> &mut Self {
        let header = format!(
            "Content-Disposition: form-data; name=\"{}\"\r\n",
            quoted(name)
        );
        self.part(&header, value.as_bytes())
    }

    /// Adds a file part.
    pub fn file(
        &mut self,
        name: &str,
        filename: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> &mut Self {
        let header = format!(
            "Content-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {}\r\n",
            quoted(name),
            quoted(filename),
            content_type.replace(['\r', '\n'], "")
        );
        self.part(&header, bytes)
    }

    fn part(&mut self, header: &str, bytes: &[u8]) -> &mut Self {
        // A value containing the delimiter would end its part early: pick
        // a new boundary (the earlier parts are rewritten with it).
        while contains(bytes, self.boundary.as_bytes()) {
            let fresh = Self::new().boundary;
            self.body = replace(&self.body, self.boundary.as_bytes(), fresh.as_bytes());
            self.boundary = fresh;
        }
        self.body.extend_from_slice(b"--");
        self.body.extend_from_slice(self.boundary.as_bytes());
        self.body.extend_from_slice(b"\r\n");
        self.body.extend_from_slice(header.as_bytes());
        self.body.extend_from_slice(b"\r\n");
        self.body.extend_from_slice(bytes);
        self.body.extend_from_slice(b"\r\n");
        self
    }

    /// The `Content-Type` header value and the body.
    pub fn finish(self) -> (String, Vec<u8>) {
        let mut body = self.body;
        body.extend_from_slice(b"--");
        body.extend_from_slice(self.boundary.as_bytes());
        body.extend_from_slice(b"--\r\n");
        (
            format!("multipart/form-data; boundary={}", self.boundary),
            body,
        )
    }
}

/// A header parameter value: quotes, backslashes and line breaks are
/// escaped as browsers do (`%22`, `%0D`, `%0A`).
fn quoted(value: &str) -> String {
    value
        .replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

fn replace(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while let Some(at) = rest.windows(from.len()).position(|w| w == from) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(to);
        rest = &rest[at + from.len()..];
    }
    out.extend_from_slice(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_files_are_delimited() {
        let mut form = Form::new();
        form.text("name", "job \"1\"").file(
            "file",
            "job.sh",
            "text/x-shellscript",
            b"#!/bin/bash\necho hi\n",
        );
        let (content_type, body) = form.finish();
        let boundary = content_type
            .strip_prefix("multipart/form-data; boundary=")
            .unwrap()
            .to_owned();
        let text = String::from_utf8(body).unwrap();
        let expected = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\njob %221%22\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"job.sh\"\r\n\
             Content-Type: text/x-shellscript\r\n\r\n#!/bin/bash\necho hi\n\r\n--{boundary}--\r\n"
        );
        // The quote inside a value is data, not escaped; only header
        // parameters are.
        assert_eq!(text, expected.replace("job %221%22", "job \"1\""));
    }

    #[test]
    fn a_value_containing_the_boundary_gets_a_new_one() {
        let mut form = Form::new();
        form.text("a", "first");
        let clash = format!("x--{}y", form.boundary);
        form.text("b", &clash);
        let (content_type, body) = form.finish();
        let boundary = content_type.rsplit('=').next().unwrap();
        let text = String::from_utf8(body).unwrap();
        // Three delimiters (two parts, one close) and the value intact.
        assert_eq!(text.matches(&format!("--{boundary}")).count(), 3);
        assert!(text.contains(&clash));
    }
}

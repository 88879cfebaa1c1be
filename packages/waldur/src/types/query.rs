//! Query-string pairs for list filters.

/// Ordered `(name, value)` pairs; names may repeat (`state=a&state=b`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueryPairs(Vec<(String, String)>);

impl QueryPairs {
    /// Adds `name=value`.
    pub fn push(&mut self, name: &str, value: impl Into<String>) {
        self.0.push((name.to_owned(), value.into()));
    }

    /// Adds `name=value` when a value is given.
    pub fn opt(&mut self, name: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.push(name, value);
        }
    }

    /// Adds `name=true|false` when a value is given.
    pub fn opt_bool(&mut self, name: &str, value: Option<bool>) {
        if let Some(value) = value {
            self.push(name, if value { "true" } else { "false" });
        }
    }

    /// Adds one `name=value` per value (`explode: true` in the schema).
    pub fn repeated<'a>(&mut self, name: &str, values: impl IntoIterator<Item = &'a str>) {
        for value in values {
            self.push(name, value);
        }
    }

    /// Adds one `name=a,b,c` pair (`explode: false` in the schema).
    pub fn comma_separated<'a>(&mut self, name: &str, values: impl IntoIterator<Item = &'a str>) {
        let joined = values.into_iter().collect::<Vec<_>>().join(",");
        if !joined.is_empty() {
            self.push(name, joined);
        }
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_comma_forms() {
        let mut query = QueryPairs::default();
        query.repeated("state", ["a", "b"]);
        query.comma_separated("offering_uuid", ["x", "y"]);
        query.comma_separated("empty", []);
        query.opt("missing", None);
        query.opt_bool("shared", Some(false));
        let pairs: Vec<(&str, &str)> = query
            .pairs()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("state", "a"),
                ("state", "b"),
                ("offering_uuid", "x,y"),
                ("shared", "false")
            ]
        );
    }
}

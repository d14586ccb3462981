//! A small reader of the Prometheus text format, for tests and tools that check a scrape by its
//! meaning (families, labels, values) rather than by substrings.

use std::collections::BTreeMap;

/// One sample line: `name{labels} value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Metric name as written (`…_bucket`, `…_sum`, `…_count` for histograms).
    pub name: String,
    /// Label pairs.
    pub labels: BTreeMap<String, String>,
    /// The value (`+Inf`, `-Inf` and `NaN` included).
    pub value: f64,
}

/// A parsed scrape.
#[derive(Debug, Clone, Default)]
pub struct Scrape {
    /// Every sample, in order.
    pub samples: Vec<Sample>,
    /// `# HELP` text by family.
    pub help: BTreeMap<String, String>,
    /// `# TYPE` by family (`counter`, `gauge`, `histogram`…).
    pub types: BTreeMap<String, String>,
}

impl Scrape {
    /// The value of the sample `name` whose labels include every pair of `labels`, if exactly one
    /// sample matches.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let mut found = self.matching(name, labels);
        let first = found.next()?;
        found.next().is_none().then_some(first.value)
    }

    /// Every sample `name` whose labels include every pair of `labels`.
    pub fn matching<'a>(
        &'a self,
        name: &'a str,
        labels: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = &'a Sample> + 'a {
        self.samples.iter().filter(move |s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
    }
}

/// Parses a scrape; an error names the line that does not read.
pub fn parse(text: &str) -> Result<Scrape, String> {
    let mut out = Scrape::default();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        let bad = |why: &str| format!("line {}: {why}: {line:?}", i + 1);
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            out.help.insert(name.to_string(), help.to_string());
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest
                .split_once(' ')
                .ok_or_else(|| bad("TYPE without a type"))?;
            out.types.insert(name.to_string(), kind.to_string());
        } else if !line.starts_with('#') {
            out.samples.push(sample(line).map_err(|e| bad(&e))?);
        }
    }
    Ok(out)
}

fn sample(line: &str) -> Result<Sample, String> {
    let name_end = line
        .find(|c: char| c == '{' || c.is_whitespace())
        .ok_or("no value")?;
    let name = line[..name_end].to_string();
    let mut rest = &line[name_end..];
    let mut labels = BTreeMap::new();
    if let Some(inner) = rest.strip_prefix('{') {
        let (pairs, after) = read_labels(inner)?;
        labels = pairs;
        rest = after;
    }
    let value = rest.split_whitespace().next().ok_or("no value")?;
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse::<f64>().map_err(|e| format!("value {v:?}: {e}"))?,
    };
    Ok(Sample {
        name,
        labels,
        value,
    })
}

/// Reads `k="v",…}` and returns the pairs and what follows the `}`.
fn read_labels(mut s: &str) -> Result<(BTreeMap<String, String>, &str), String> {
    let mut labels = BTreeMap::new();
    loop {
        s = s.trim_start_matches([',', ' ']);
        if let Some(after) = s.strip_prefix('}') {
            return Ok((labels, after));
        }
        let (key, after) = s.split_once("=\"").ok_or("label without =\"")?;
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next().ok_or("unterminated label value")? {
                (i, '"') => break i,
                (_, '\\') => match chars.next().ok_or("dangling escape")?.1 {
                    'n' => value.push('\n'),
                    c => value.push(c),
                },
                (_, c) => value.push(c),
            }
        };
        labels.insert(key.trim().to_string(), value);
        s = &after[end + 1..];
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn reads_families_labels_and_values() {
        let text = "# HELP a_total Things.\n# TYPE a_total counter\na_total{k=\"x\",q=\"a \\\"b\\\"\"} 3\n\
                    a_total{k=\"y\"} 4\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 0.5\nh_count 2\n";
        let s = parse(text).unwrap();
        assert_eq!(s.types["a_total"], "counter");
        assert_eq!(s.help["a_total"], "Things.");
        assert_eq!(s.value("a_total", &[("k", "x")]), Some(3.0));
        assert_eq!(s.samples[0].labels["q"], "a \"b\"");
        assert_eq!(s.value("a_total", &[]), None, "two samples match");
        assert_eq!(s.value("h_bucket", &[("le", "+Inf")]), Some(2.0));
        assert_eq!(s.value("h_count", &[]), Some(2.0));
    }

    #[test]
    fn names_the_bad_line() {
        let err = parse("ok 1\nbroken{a=\"x} 2\n").unwrap_err();
        assert!(err.starts_with("line 2"), "{err}");
        assert!(parse("no_value\n").is_err());
    }
}

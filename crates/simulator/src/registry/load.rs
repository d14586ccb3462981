//! Reading a registry CSV, with the physical line of every problem.

use super::{PartyEntry, PartyRegistry, REGISTRY_HEADER, RegistryError};
use std::collections::BTreeMap;
use std::path::PathBuf;

pub(super) fn parse_csv(text: &str, file: Option<PathBuf>) -> Result<PartyRegistry, RegistryError> {
    let at = |line: u64, message: String| RegistryError::Line {
        file: file.clone(),
        line,
        message,
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // The reader's own line count skips blank and comment lines: count from byte offsets.
    let newlines: Vec<usize> = text
        .bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'\n')
        .map(|(i, _)| i)
        .collect();
    // A record's position is where the reader started looking for it, before the blank and
    // comment lines it skipped.
    let line_at = |pos: Option<&csv::Position>| {
        let Some(pos) = pos else { return 0 };
        let mut at = usize::try_from(pos.byte()).unwrap_or(usize::MAX);
        while let Some(rest) = text.get(at..) {
            if rest.starts_with('\n') {
                at += 1;
            } else if rest.starts_with("\r\n") {
                at += 2;
            } else if rest.starts_with('#') {
                at += rest.find('\n').map_or(rest.len(), |i| i + 1);
            } else {
                break;
            }
        }
        newlines.partition_point(|&nl| nl < at) as u64 + 1
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .comment(Some(b'#'))
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut registry = PartyRegistry::new();
    let mut first_lines: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut header_seen = false;
    for record in reader.records() {
        let record =
            record.map_err(|e| at(line_at(e.position()), format!("not a CSV line: {e}")))?;
        let line = line_at(record.position());
        if record.iter().all(str::is_empty) {
            continue;
        }
        if !header_seen {
            let header: Vec<&str> = record.iter().collect();
            let expected: Vec<&str> = REGISTRY_HEADER.split(',').collect();
            let same = header.len() == expected.len()
                && header
                    .iter()
                    .zip(&expected)
                    .all(|(h, e)| h.eq_ignore_ascii_case(e));
            if !same {
                return Err(at(
                    line,
                    format!(
                        "the header must be `{REGISTRY_HEADER}`, found `{}`",
                        header.join(",")
                    ),
                ));
            }
            header_seen = true;
            continue;
        }
        if record.len() != 6 {
            return Err(at(
                line,
                format!("{} fields, expected 6 ({REGISTRY_HEADER})", record.len()),
            ));
        }
        let cell = |i: usize| record.get(i).unwrap_or_default().to_string();
        let raw = PartyEntry {
            id_type: cell(0),
            id_value: cell(1),
            first_name: cell(2),
            last_name: cell(3),
            date_of_birth: Some(cell(4)),
            fsp_id: cell(5),
        };
        let entry = raw.normalised().map_err(|m| at(line, m))?;
        let key = (entry.id_type.clone(), entry.id_value.clone());
        if let Some(first) = first_lines.get(&key) {
            return Err(at(
                line,
                format!("{} {} is already registered on line {first}", key.0, key.1),
            ));
        }
        first_lines.insert(key, line);
        registry.insert(entry);
    }
    if !header_seen {
        return Err(at(
            1,
            format!("empty file: expected the header `{REGISTRY_HEADER}`"),
        ));
    }
    Ok(registry)
}

#[cfg(test)]
pub(super) mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::super::DEFAULT_FSP_ID;
    use super::*;

    pub(in crate::registry) const GOOD: &str = "idType,idValue,firstName,lastName,dateOfBirth,fspId\n\
        MSISDN,22890000001,Ama,Mensah,1951-03-02,tmoney\n\
        \n\
        # a comment\n\
        MSISDN,22990000002,  Kossi ,\"Agbeko, Jr\",,\n\
        EMAIL,a@b.tg,,,,moovmoney\n";

    #[test]
    fn parses_a_registry() {
        let reg = PartyRegistry::from_csv(GOOD).unwrap();
        assert_eq!(reg.len(), 3);
        assert_eq!(
            reg.get("MSISDN", "22890000001").unwrap(),
            PartyEntry::new("MSISDN", "22890000001", "Ama", "Mensah")
                .at_fsp("tmoney")
                .born("1951-03-02")
        );
        let kossi = reg.get("MSISDN", "22990000002").unwrap();
        assert_eq!(
            (kossi.first_name.as_str(), kossi.last_name.as_str()),
            ("Kossi", "Agbeko, Jr")
        );
        assert_eq!(kossi.fsp_id, DEFAULT_FSP_ID, "empty fspId");
        assert_eq!(kossi.date_of_birth, None, "empty dateOfBirth");
        let nameless = reg.party("EMAIL", "a@b.tg").unwrap();
        assert!(!nameless.has_name());
        assert_eq!(nameless.display_name(), None);
        assert!(reg.get("MSISDN", "a@b.tg").is_none(), "types are apart");
        let types: Vec<_> = reg.entries().into_iter().map(|e| e.id_type).collect();
        assert_eq!(types, ["EMAIL", "MSISDN", "MSISDN"], "sorted");
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("", 1, "empty file"),
            ("idType,idValue,name\n", 1, "the header must be"),
            (
                "idType,idValue,firstName,lastName,dateOfBirth,fspId\nMSISDN,1,A,B,,x\nFOO,2,A,B,,\n",
                3,
                "unknown idType `FOO`",
            ),
            (
                "idType,idValue,firstName,lastName,dateOfBirth,fspId\nMSISDN,1,A,B\n",
                2,
                "",
            ),
            (
                "idType,idValue,firstName,lastName,dateOfBirth,fspId\nMSISDN,1,A,B,1980-02-30,\n",
                2,
                "dateOfBirth `1980-02-30`",
            ),
            (
                "idType,idValue,firstName,lastName,dateOfBirth,fspId\nMSISDN,,A,B,,\n",
                2,
                "idValue is empty",
            ),
            (
                "idType,idValue,firstName,lastName,dateOfBirth,fspId\nMSISDN,1,A,B,,\n\nMSISDN,1,C,D,,\n",
                4,
                "already registered on line 2",
            ),
            (
                "idType,idValue,firstName,lastName,dateOfBirth,fspId\r\nMSISDN,1,A,B,,\r\n# c\r\n\r\nFOO,2,A,B,,\r\n",
                5,
                "unknown idType",
            ),
        ];
        for (text, line, needle) in cases {
            let err = PartyRegistry::from_csv(text).unwrap_err();
            assert_eq!(err.line(), Some(line), "{text:?}: {err}");
            let msg = err.to_string();
            assert!(msg.starts_with(&format!("line {line}: ")), "{msg}");
            assert!(msg.contains(needle), "{msg}");
        }
    }
}

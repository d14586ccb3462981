//! The simulated switch's party registry: who holds which identifier, at which FSP, under which
//! name. Loaded from a CSV file at start (`SIM_PARTIES_FILE`), changed at run time with
//! `PUT /__sim/parties` or [`crate::SimHandle::upsert_parties`].
//!
//! Error rule: a registry that cannot be read is refused as a whole with a [`RegistryError`] naming
//! the file and line (or the entry) and what is wrong with it — the simulator never starts with
//! half a registry, and an upsert with one bad entry changes nothing.

mod entry;
mod load;

pub use entry::PartyEntry;

use common::env::Env;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The FSP of an entry whose `fspId` is empty (the captures' payee FSP).
pub const DEFAULT_FSP_ID: &str = "payeefsp";

/// The header line a registry CSV starts with.
pub const REGISTRY_HEADER: &str = "idType,idValue,firstName,lastName,dateOfBirth,fspId";

/// The Mojaloop party id types a lookup or an entry may use.
pub(crate) const PARTY_ID_TYPES: [&str; 8] = [
    "MSISDN",
    "EMAIL",
    "PERSONAL_ID",
    "BUSINESS",
    "DEVICE",
    "ACCOUNT_ID",
    "IBAN",
    "ALIAS",
];

/// What the switch knows of a registered party, besides its identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Party {
    pub fsp_id: String,
    /// Empty: not registered.
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: Option<String>,
}

impl Party {
    pub fn first_name(&self) -> Option<&str> {
        Some(self.first_name.as_str()).filter(|s| !s.is_empty())
    }

    pub fn last_name(&self) -> Option<&str> {
        Some(self.last_name.as_str()).filter(|s| !s.is_empty())
    }

    /// Whether the switch has any name for the party (without one it answers no personal info).
    pub fn has_name(&self) -> bool {
        self.first_name().is_some() || self.last_name().is_some()
    }

    /// `name`: the name parts that are there, space-separated.
    pub fn display_name(&self) -> Option<String> {
        match (self.first_name(), self.last_name()) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            (Some(one), None) | (None, Some(one)) => Some(one.to_string()),
            (None, None) => None,
        }
    }
}

/// Why a registry (or an entry of it) was refused.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The file could not be read.
    #[error("cannot read the party registry {}: {source}", file.display())]
    Read {
        /// The file.
        file: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line of a registry CSV is malformed (line 1 is the header).
    #[error("{}line {line}: {message}", file.as_ref().map(|f| format!("party registry {}: ", f.display())).unwrap_or_default())]
    Line {
        /// The file, when read from one.
        file: Option<PathBuf>,
        /// 1-based line number.
        line: u64,
        /// What is wrong with it.
        message: String,
    },
    /// An entry given to an upsert is malformed (`index` is 0-based in the list given).
    #[error("entry {index} ({id_type} {id_value}): {message}")]
    Entry {
        /// Position in the list given.
        index: usize,
        /// The entry's `idType`, as given.
        id_type: String,
        /// The entry's `idValue`, as given.
        id_value: String,
        /// What is wrong with it.
        message: String,
    },
}

impl RegistryError {
    /// The CSV line at fault, if the error is about one.
    pub fn line(&self) -> Option<u64> {
        match self {
            RegistryError::Line { line, .. } => Some(*line),
            RegistryError::Read { .. } | RegistryError::Entry { .. } => None,
        }
    }
}

/// The parties the simulated switch knows, by id type then identifier. Cheap to share: entries
/// are reference-counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartyRegistry {
    by_type: BTreeMap<String, BTreeMap<String, Arc<Party>>>,
}

impl PartyRegistry {
    /// An empty registry: every lookup follows the identifier suffix rules.
    pub fn new() -> PartyRegistry {
        PartyRegistry::default()
    }

    /// Parses a registry CSV: the header [`REGISTRY_HEADER`], then one party a line. Empty names
    /// and dates of birth are allowed; an empty `fspId` is [`DEFAULT_FSP_ID`]. Blank lines and
    /// lines starting with `#` are skipped; an identifier listed twice is an error.
    pub fn from_csv(text: &str) -> Result<PartyRegistry, RegistryError> {
        load::parse_csv(text, None)
    }

    /// Reads and parses a registry CSV file ([`PartyRegistry::from_csv`]); errors name the file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<PartyRegistry, RegistryError> {
        let file = path.as_ref().to_path_buf();
        match std::fs::read_to_string(&file) {
            Ok(text) => load::parse_csv(&text, Some(file)),
            Err(source) => Err(RegistryError::Read { file, source }),
        }
    }

    /// The registry named by `SIM_PARTIES_FILE` (empty registry when unset).
    pub fn from_env() -> anyhow::Result<PartyRegistry> {
        Self::from_lookup(&Env::process())
    }

    /// Same as [`PartyRegistry::from_env`] over any lookup (tests, the embedded mode).
    pub fn from_lookup(env: &Env<'_>) -> anyhow::Result<PartyRegistry> {
        match env.raw("SIM_PARTIES_FILE") {
            None => Ok(PartyRegistry::new()),
            Some(path) => PartyRegistry::from_path(&path)
                .map_err(|e| anyhow::anyhow!("SIM_PARTIES_FILE: {e}")),
        }
    }

    /// Adds the entries, replacing any registered under the same id type and identifier. All or
    /// nothing: with one malformed entry the registry stays as it was.
    pub fn upsert(
        &mut self,
        entries: impl IntoIterator<Item = PartyEntry>,
    ) -> Result<usize, RegistryError> {
        let checked = entries
            .into_iter()
            .enumerate()
            .map(|(index, e)| {
                let (id_type, id_value) = (e.id_type.clone(), e.id_value.clone());
                e.normalised().map_err(|message| RegistryError::Entry {
                    index,
                    id_type,
                    id_value,
                    message,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let n = checked.len();
        for e in checked {
            self.insert(e);
        }
        Ok(n)
    }

    /// The entry registered for this identifier.
    pub fn get(&self, id_type: &str, id_value: &str) -> Option<PartyEntry> {
        self.party(id_type, id_value)
            .map(|p| entry(id_type, id_value, &p))
    }

    /// Every entry, sorted by id type then identifier.
    pub fn entries(&self) -> Vec<PartyEntry> {
        self.by_type
            .iter()
            .flat_map(|(t, ids)| ids.iter().map(move |(id, p)| entry(t, id, p)))
            .collect()
    }

    /// How many parties are registered.
    pub fn len(&self) -> usize {
        self.by_type.values().map(BTreeMap::len).sum()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.by_type.values().all(BTreeMap::is_empty)
    }

    pub(crate) fn party(&self, id_type: &str, id_value: &str) -> Option<Arc<Party>> {
        self.by_type.get(id_type)?.get(id_value).cloned()
    }

    /// Inserts a normalised entry; whether the identifier was registered already.
    fn insert(&mut self, e: PartyEntry) -> bool {
        let party = Party {
            fsp_id: e.fsp_id,
            first_name: e.first_name,
            last_name: e.last_name,
            date_of_birth: e.date_of_birth,
        };
        self.by_type
            .entry(e.id_type)
            .or_default()
            .insert(e.id_value, Arc::new(party))
            .is_some()
    }
}

fn entry(id_type: &str, id_value: &str, p: &Party) -> PartyEntry {
    PartyEntry {
        id_type: id_type.to_string(),
        id_value: id_value.to_string(),
        first_name: p.first_name.clone(),
        last_name: p.last_name.clone(),
        date_of_birth: p.date_of_birth.clone(),
        fsp_id: p.fsp_id.clone(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::load::tests::GOOD;
    use super::*;

    #[test]
    fn a_file_error_names_the_file() {
        let err = PartyRegistry::from_path("/nonexistent/parties.csv").unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent/parties.csv"),
            "{err}"
        );
        let env = Env::from_fn(|k| (k == "SIM_PARTIES_FILE").then(|| "/nonexistent/p.csv".into()));
        let err = PartyRegistry::from_lookup(&env).unwrap_err();
        assert!(err.to_string().contains("SIM_PARTIES_FILE"), "{err}");
        let none = Env::from_fn(|_| None);
        assert!(PartyRegistry::from_lookup(&none).unwrap().is_empty());
    }

    #[test]
    fn upsert_replaces_and_is_all_or_nothing() {
        let mut reg = PartyRegistry::from_csv(GOOD).unwrap();
        let n = reg
            .upsert([
                PartyEntry::new("MSISDN", "22890000001", "Afi", "Mensah").at_fsp(""),
                PartyEntry::new("ALIAS", "pensioner-9", "Yao", ""),
            ])
            .unwrap();
        assert_eq!((n, reg.len()), (2, 4));
        let afi = reg.get("MSISDN", "22890000001").unwrap();
        assert_eq!(
            (afi.first_name.as_str(), afi.fsp_id.as_str()),
            ("Afi", "payeefsp")
        );
        assert_eq!(
            afi.date_of_birth, None,
            "an upsert replaces the whole entry"
        );
        assert_eq!(
            reg.party("ALIAS", "pensioner-9")
                .unwrap()
                .display_name()
                .as_deref(),
            Some("Yao")
        );

        let before = reg.clone();
        let err = reg
            .upsert([
                PartyEntry::new("MSISDN", "22890000009", "New", "One"),
                PartyEntry::new("PHONE", "1", "A", "B"),
            ])
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("entry 1 (PHONE 1): unknown idType"),
            "{err}"
        );
        assert_eq!(reg, before, "nothing changed");
    }

    #[test]
    fn entries_round_trip_as_json() {
        let json = r#"[{"idType":"MSISDN","idValue":"229","firstName":"A","lastName":"B","dateOfBirth":"1950-01-31","fspId":"mtnmomo"},{"idType":"MSISDN","idValue":"225"}]"#;
        let entries: Vec<PartyEntry> = serde_json::from_str(json).unwrap();
        let mut reg = PartyRegistry::new();
        reg.upsert(entries).unwrap();
        let out = serde_json::to_value(reg.entries()).unwrap();
        assert_eq!(
            out,
            serde_json::json!([
                {"idType":"MSISDN","idValue":"225","firstName":"","lastName":"","fspId":"payeefsp"},
                {"idType":"MSISDN","idValue":"229","firstName":"A","lastName":"B","dateOfBirth":"1950-01-31","fspId":"mtnmomo"}
            ])
        );
        assert!(serde_json::from_str::<Vec<PartyEntry>>(r#"[{"idType":"MSISDN"}]"#).is_err());
    }
}

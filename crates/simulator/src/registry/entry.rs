//! One registered party and the checks every entry passes, from a CSV line or a JSON body.

use super::{DEFAULT_FSP_ID, PARTY_ID_TYPES};
use serde::{Deserialize, Serialize};

/// Longest identifier, name part and FSP id (the FSPIOP API's limits).
const MAX_ID_CHARS: usize = 128;
const MAX_NAME_CHARS: usize = 128;
const MAX_FSP_CHARS: usize = 32;

/// One registered party, as in a registry CSV row or a `PUT /__sim/parties` entry (camelCase
/// JSON). Empty names are allowed (the switch then returns no name); `fsp_id` empty means
/// [`DEFAULT_FSP_ID`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PartyEntry {
    /// `MSISDN`, `EMAIL`, `PERSONAL_ID`, `BUSINESS`, `DEVICE`, `ACCOUNT_ID`, `IBAN` or `ALIAS`.
    pub id_type: String,
    /// The identifier (an MSISDN's digits, an e-mail address…).
    pub id_value: String,
    /// `personalInfo.complexName.firstName`; may hold a middle name too (`"Komla Edem"`).
    #[serde(default)]
    pub first_name: String,
    /// `personalInfo.complexName.lastName`.
    #[serde(default)]
    pub last_name: String,
    /// `YYYY-MM-DD`, or none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<String>,
    /// The FSP holding the account.
    #[serde(default)]
    pub fsp_id: String,
}

impl PartyEntry {
    /// An entry at [`DEFAULT_FSP_ID`] without a date of birth.
    pub fn new(id_type: &str, id_value: &str, first_name: &str, last_name: &str) -> PartyEntry {
        PartyEntry {
            id_type: id_type.to_string(),
            id_value: id_value.to_string(),
            first_name: first_name.to_string(),
            last_name: last_name.to_string(),
            date_of_birth: None,
            fsp_id: DEFAULT_FSP_ID.to_string(),
        }
    }

    /// The same entry at another FSP.
    pub fn at_fsp(mut self, fsp_id: &str) -> PartyEntry {
        self.fsp_id = fsp_id.to_string();
        self
    }

    /// The same entry with a date of birth (`YYYY-MM-DD`).
    pub fn born(mut self, date_of_birth: &str) -> PartyEntry {
        self.date_of_birth = Some(date_of_birth.to_string());
        self
    }

    /// Trims every field, turns an empty date of birth into none and an empty FSP into
    /// [`DEFAULT_FSP_ID`], and checks each field; the message says what is wrong.
    pub(super) fn normalised(self) -> Result<PartyEntry, String> {
        let id_type = self.id_type.trim().to_string();
        if !PARTY_ID_TYPES.contains(&id_type.as_str()) {
            return Err(format!(
                "unknown idType `{id_type}` (expected one of {})",
                PARTY_ID_TYPES.join(", ")
            ));
        }
        let id_value = self.id_value.trim().to_string();
        if id_value.is_empty() {
            return Err("idValue is empty".to_string());
        }
        if id_value.chars().count() > MAX_ID_CHARS
            || id_value
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(format!(
                "idValue `{id_value}` must be 1 to {MAX_ID_CHARS} characters without spaces"
            ));
        }
        let name = |field: &str, value: String| {
            let value = value.trim().to_string();
            if value.chars().count() > MAX_NAME_CHARS || value.chars().any(char::is_control) {
                Err(format!(
                    "{field} must be at most {MAX_NAME_CHARS} characters without control characters"
                ))
            } else {
                Ok(value)
            }
        };
        let first_name = name("firstName", self.first_name)?;
        let last_name = name("lastName", self.last_name)?;
        let date_of_birth = match self.date_of_birth.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(d) => Some(date_of_birth(d)?),
        };
        let fsp_id = match self.fsp_id.trim() {
            "" => DEFAULT_FSP_ID.to_string(),
            f if f.chars().count() <= MAX_FSP_CHARS && !f.chars().any(char::is_whitespace) => {
                f.to_string()
            }
            f => {
                return Err(format!(
                    "fspId `{f}` must be 1 to {MAX_FSP_CHARS} characters without spaces"
                ));
            }
        };
        Ok(PartyEntry {
            id_type,
            id_value,
            first_name,
            last_name,
            date_of_birth,
            fsp_id,
        })
    }
}

/// `YYYY-MM-DD` naming a real day, as FSPIOP's `DateOfBirth`.
fn date_of_birth(d: &str) -> Result<String, String> {
    let well_formed = d.len() == 10
        && d.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if well_formed && chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok() {
        Ok(d.to_string())
    } else {
        Err(format!("dateOfBirth `{d}` is not a date YYYY-MM-DD"))
    }
}

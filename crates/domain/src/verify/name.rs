//! Grading the name registered at the switch against the name in the file.
//!
//! The file's name is typed by clerks ("MENSAH Ama", "Kofi Atta-Mills", "N'Guessan Yao Kouadio");
//! the switch answers a display name and/or first, middle and last names. Both are read the same
//! way, then compared as *unordered* lists of tokens. The display name and first + middle + last
//! are graded separately and the better grade wins.
//!
//! # Reading a name
//!
//! 1. At most 256 characters (`MAX_NAME_CHARS`) of each string are read, before and after
//!    normalisation, and at most 12 tokens (`MAX_TOKENS`) are kept: grading is bounded whatever the
//!    input (the pairing below is searched over subsets of the longer side: 2^12 at most).
//! 2. Unicode NFKD, combining marks dropped ("Aïssatou" = "Aissatou", "Gbèdo" = "Gbedo"); a few
//!    letters NFKD leaves alone are folded too (ɔ→o, ɛ→e, ŋ→ng, ɖ/đ→d, ƒ→f, ʋ→v, ɣ→g, ß→ss, æ, œ,
//!    ø, ł, ı), so Ewe/Fon spellings compare with their Latin-only ones.
//! 3. Apostrophes are deleted ("N'Guessan" = "NGuessan"); every other character that is not a
//!    letter or digit separates tokens. Tokens joined by a hyphen form one *name* for counting
//!    missing names ("Atta-Mills" counts once).
//! 4. Lowercase; courtesy titles (`mr`, `mrs`, `ms`, `miss`, `mme`, `mlle`, `dr`, `monsieur`,
//!    `madame`) are dropped.
//! 5. The **family name** is known for the switch's `last` part, and for a word written in capitals
//!    (≥ 2 letters) in a name that also has lowercase letters ("MENSAH Ama"). Otherwise it is
//!    unknown (a display name "Ama Mensah" says nothing about which token is the family name).
//! 6. Two tokens of one side are joined when their concatenation equals a token that only the
//!    other side has ("Atta Mills" / "N Guessan" against "AttaMills" / "N'Guessan"), in either
//!    order (compared by key, below; never when the join is no different from one of its pieces).
//!
//! # Comparing two tokens
//!
//! Each token also has a *key* for loose comparison: `dj`→`j` (Kodjo/Kojo), `tch`→`ch`, `ph`→`f`,
//! `kh`/`ck`→`k` (Cheikh/Cheick), `c` before a/o/u → `k` (Camara/Kamara), `w`→`u` and `ou`→`u`
//! (Kwame/Kouamé, Moussa/Musa, Ouattara/Wattara), `y`→`i` except at the start (Seydou/Seidou),
//! then doubled letters collapsed (Menssah/Mensah, Issa/Isa), except `ee` ("Désirée" is not
//! "Désiré"). Two tokens are:
//!
//! - **solid** when their keys are equal, or both spell one name of the `VARIANTS` table, or
//!   they are *similar*: both keys have at least 5 characters (`FUZZY_MIN_LEN`), the same first
//!   letter, a Damerau-Levenshtein distance of at most 1 (`FUZZY_MAX_EDITS`) ("Agbeko"/"Agbekoh",
//!   "Kwasi"/"Kwesi"), and they are not a masculine/feminine pair (one is the other plus a final
//!   `e` — Michel/Michèle, Pascal/Pascale, Louis/Louise — or they differ only by a final `o`/`a`):
//!   a widow paid under her late husband's name is exactly the mistake to catch. Edit distance
//!   rather than Jaro-Winkler: its meaning does not depend on the length and prefix of the names.
//! - an **initial** match when one is a single letter and the other starts with it ("A." / "Ama").
//!
//! # Grades
//!
//! - `NameMatch::Match`: after reading, both sides hold exactly the same tokens (order free).
//!   Spelling variants, doubled letters and typos are never a match.
//! - `NameMatch::Partial`: with the shorter side `S` and the longer `L`, some assignment pairs
//!   every token of `S` with a distinct token of `L` (solid or initial) such that
//!   - at least one pair is solid (initials alone, "A. B.", are not enough);
//!   - on each side whose family name is known, a family token is in a solid pair (a different
//!     family name, a family name given only as an initial or left out is another person);
//!   - at most one name of `L` (`MAX_EXTRA_NAMES`) is left unpaired (a missing middle name);
//!   - a single token against several is accepted only through the family-name rule: "Mensah"
//!     against first=Ama last=Mensah is partial, "Ama" against it, or "Mensah" against the display
//!     name "Ama Mensah", is a mismatch.
//! - `NameMatch::Mismatch`: otherwise. A different given name with the same family name is
//!   another person (siblings: Kofi/Kojo Annan).
//! - `NameMatch::NoNameInFile` / `NameMatch::NoNameAtSwitch`: nothing left after reading.
//!
//! Only a mismatch keeps a row out of a run (`VerificationMode::Exclude`): a doubt leans to
//! partial, except where the doubt is another member of the same family.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::reading::*;
use crate::error::UnknownValue;

/// How well the name registered at the switch matches the file's. Spelled `"MATCH"`, `"PARTIAL"`,
/// `"MISMATCH"`, `"NO_NAME_IN_FILE"`, `"NO_NAME_AT_SWITCH"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NameMatch {
    /// The same person, written the same way up to case, accents, punctuation and order.
    Match,
    /// Probably the same person: initials, a missing middle name, a spelling variant.
    Partial,
    /// Another person.
    Mismatch,
    /// The file carries no name for this row: nothing to compare.
    NoNameInFile,
    /// The switch returned no name: nothing to compare.
    NoNameAtSwitch,
}

impl NameMatch {
    /// Every grade.
    pub const ALL: [NameMatch; 5] = [
        NameMatch::Match,
        NameMatch::Partial,
        NameMatch::Mismatch,
        NameMatch::NoNameInFile,
        NameMatch::NoNameAtSwitch,
    ];

    /// The wire / database spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            NameMatch::Match => "MATCH",
            NameMatch::Partial => "PARTIAL",
            NameMatch::Mismatch => "MISMATCH",
            NameMatch::NoNameInFile => "NO_NAME_IN_FILE",
            NameMatch::NoNameAtSwitch => "NO_NAME_AT_SWITCH",
        }
    }

    /// Parses the wire spelling (exact).
    pub fn parse(s: &str) -> Result<NameMatch, UnknownValue> {
        NameMatch::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| UnknownValue::new("name match", s))
    }
}

impl fmt::Display for NameMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name a switch returned for a party (any part may be missing or empty).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegisteredName<'a> {
    /// `name` (display name).
    pub display: Option<&'a str>,
    /// `personalInfo.complexName.firstName`.
    pub first: Option<&'a str>,
    /// `personalInfo.complexName.middleName`.
    pub middle: Option<&'a str>,
    /// `personalInfo.complexName.lastName`.
    pub last: Option<&'a str>,
}

/// Shortest key compared by edit distance.
const FUZZY_MIN_LEN: usize = 5;
/// Largest Damerau-Levenshtein distance between the keys of similar tokens.
const FUZZY_MAX_EDITS: usize = 1;
/// Names of the longer side that may be left unpaired in a partial match.
const MAX_EXTRA_NAMES: usize = 1;

/// Grades the switch's name against the file's (`None` or blank: no name in the file): the better
/// grade of the display name and of first + middle + last (rules and thresholds: the crate README,
/// *Name matching*).
pub fn grade_name(in_file: Option<&str>, at_switch: &RegisteredName<'_>) -> NameMatch {
    let file = read_name(&[(in_file, false)]);
    if file.is_empty() {
        return NameMatch::NoNameInFile;
    }
    let display = read_name(&[(at_switch.display, false)]);
    let parts = read_name(&[
        (at_switch.first, false),
        (at_switch.middle, false),
        (at_switch.last, true),
    ]);
    [display, parts]
        .iter()
        .filter(|name| !name.is_empty())
        .map(|name| compare(&file, name))
        .min_by_key(|grade| strength(*grade))
        .unwrap_or(NameMatch::NoNameAtSwitch)
}

/// Orders grades from the best (`Match`) for picking the better of two readings.
fn strength(grade: NameMatch) -> u8 {
    match grade {
        NameMatch::Match => 0,
        NameMatch::Partial => 1,
        NameMatch::Mismatch => 2,
        NameMatch::NoNameInFile | NameMatch::NoNameAtSwitch => 3,
    }
}

/// Grades one reading of the switch's name against the file's.
fn compare(file: &[Token], switch: &[Token]) -> NameMatch {
    let (mut file, mut switch) = (file.to_vec(), switch.to_vec());
    join_compounds(&mut file, &switch);
    join_compounds(&mut switch, &file);
    if same_tokens(&file, &switch) {
        NameMatch::Match
    } else if probably_same(&file, &switch) {
        NameMatch::Partial
    } else {
        NameMatch::Mismatch
    }
}

/// Joins pairs of `side`'s tokens whose concatenation is one of `other`'s tokens.
fn join_compounds(side: &mut Vec<Token>, other: &[Token]) {
    while let Some((i, j)) = find_compound(side, other) {
        let (left, right) = (&side[i], &side[j]);
        let text = format!("{}{}", left.text, right.text);
        side[i] = Token::new(text, left.group, left.family || right.family);
        side.remove(j);
    }
}

/// The pair to join first, chosen by what the tokens say (text, family, the hyphenated name they
/// are part of), never by their place: grading does not depend on the order of the words.
fn find_compound(side: &[Token], other: &[Token]) -> Option<(usize, usize)> {
    let pairs = (0..side.len()).flat_map(|i| (0..side.len()).map(move |j| (i, j)));
    let identity = |i: usize| (&side[i].text, side[i].family, name_of(side, side[i].group));
    pairs
        .filter(|&(i, j)| i != j && joins_into(&side[i], &side[j], side, other))
        .min_by_key(|&(i, j)| (identity(i), identity(j)))
}

/// The whole (hyphenated) name of a group.
fn name_of(side: &[Token], group: usize) -> String {
    let parts = side.iter().filter(|t| t.group == group);
    parts.map(|t| t.text.as_str()).collect()
}

/// Whether `left` + `right` spells a token of `other` that neither spells alone and that `side`
/// lacks (a name written the same way on both sides is never joined to anything).
fn joins_into(left: &Token, right: &Token, side: &[Token], other: &[Token]) -> bool {
    let joined = key(&format!("{}{}", left.text, right.text));
    let count = |tokens: &[Token]| tokens.iter().filter(|t| t.key == joined).count();
    joined != left.key && joined != right.key && count(other) > count(side)
}

fn same_tokens(a: &[Token], b: &[Token]) -> bool {
    sorted_texts(a) == sorted_texts(b)
}

fn sorted_texts(side: &[Token]) -> Vec<&str> {
    let mut texts: Vec<&str> = side.iter().map(|t| t.text.as_str()).collect();
    texts.sort_unstable();
    texts
}

/// Flags of a partial assignment: a solid pair, the short side's / long side's family paired.
const SOLID: u8 = 1;
const FAMILY_SHORT: u8 = 2;
const FAMILY_LONG: u8 = 4;

/// The partial-match rules of the module docs.
fn probably_same(a: &[Token], b: &[Token]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let has_family = |side: &[Token]| side.iter().any(|t| t.family);
    let (family_short, family_long) = (has_family(short), has_family(long));
    if !family_short && !family_long && short.len() == 1 && long.len() > 1 {
        return false;
    }
    let need = SOLID
        | if family_short { FAMILY_SHORT } else { 0 }
        | if family_long { FAMILY_LONG } else { 0 };
    let reached = assignments(short, long);
    reached.iter().enumerate().any(|(used, flags)| {
        few_extras(long, used) && (0..8u8).any(|f| flags & (1 << f) != 0 && f & need == need)
    })
}

/// For every subset of `long`'s tokens (a bit mask), the flag sets (a bit per combination of the
/// three flags) of the assignments pairing every token of `short` with exactly that subset.
fn assignments(short: &[Token], long: &[Token]) -> Vec<u8> {
    let size = 1usize << long.len();
    let mut reached = vec![0u8; size];
    reached[0] = 1;
    for s in short {
        let mut next = vec![0u8; size];
        for (used, &sets) in reached.iter().enumerate().filter(|(_, sets)| **sets != 0) {
            let free = long
                .iter()
                .enumerate()
                .filter(|(j, _)| used & (1 << j) == 0);
            for (j, l) in free {
                if let Some(add) = pair_flags(s, l) {
                    next[used | (1 << j)] |= with_flags(sets, add);
                }
            }
        }
        reached = next;
    }
    reached
}

/// The flag sets `sets`, each with `add` set.
fn with_flags(sets: u8, add: u8) -> u8 {
    let present = (0..8u8).filter(|f| sets & (1 << f) != 0);
    present.fold(0, |acc, f| acc | (1 << (f | add)))
}

/// `None` if the tokens cannot be paired, else the flags the pair sets.
fn pair_flags(short: &Token, long: &Token) -> Option<u8> {
    if short.is_initial() || long.is_initial() {
        return (short.text.chars().next() == long.text.chars().next()).then_some(0);
    }
    let solid = short.key == long.key
        || short.variant.is_some_and(|v| long.variant == Some(v))
        || similar(&short.key, &long.key);
    let family = |t: &Token, flag: u8| if t.family { flag } else { 0 };
    solid.then(|| SOLID | family(short, FAMILY_SHORT) | family(long, FAMILY_LONG))
}

/// Whether at most `MAX_EXTRA_NAMES` names of `long` are outside `used`.
fn few_extras(long: &[Token], used: usize) -> bool {
    let unused = long
        .iter()
        .enumerate()
        .filter(|(j, _)| used & (1 << j) == 0);
    let mut groups: Vec<usize> = unused.map(|(_, t)| t.group).collect();
    groups.sort_unstable();
    groups.dedup();
    groups.len() <= MAX_EXTRA_NAMES
}

/// A typo or transliteration away (see the module docs).
fn similar(a: &str, b: &str) -> bool {
    let (la, lb) = (a.chars().count(), b.chars().count());
    la.min(lb) >= FUZZY_MIN_LEN
        && la.abs_diff(lb) <= FUZZY_MAX_EDITS
        && a.chars().next() == b.chars().next()
        && !gender_pair(a, b)
        && strsim::damerau_levenshtein(a, b) <= FUZZY_MAX_EDITS
}

/// Masculine and feminine forms: a final `e` more (Michel/Michele), or final `o`/`a` (Mario/Maria).
fn gender_pair(a: &str, b: &str) -> bool {
    let plus_e = |x: &str, y: &str| x.strip_suffix('e') == Some(y);
    let o_a = |x: &str, y: &str| {
        x.strip_suffix('o')
            .is_some_and(|p| y.strip_suffix('a') == Some(p))
    };
    plus_e(a, b) || plus_e(b, a) || o_a(a, b) || o_a(b, a)
}

#[cfg(test)]
#[path = "name_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "name_properties.rs"]
mod properties;

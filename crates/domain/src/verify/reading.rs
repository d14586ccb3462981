//! Reading a name into tokens (the first part of the rules documented in `name.rs`):
//! bounds, Unicode folding, apostrophes and hyphens, titles, the family name, and each token's
//! loose spelling key and variant-table row.

use std::collections::HashMap;
use std::sync::LazyLock;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Characters read from each string, and kept after normalisation.
pub(super) const MAX_NAME_CHARS: usize = 256;
/// Tokens kept from each side (bounds the assignment search: 2^12 subsets).
pub(super) const MAX_TOKENS: usize = 12;
/// Courtesy titles, dropped wherever they appear.
pub(super) const TITLES: &[&str] = &[
    "mr", "mrs", "ms", "miss", "mme", "mlle", "dr", "monsieur", "madame",
];

/// Well-known spellings of one given name across French, English and Arabic transliterations.
/// Kept small on purpose: Mamadou is not Mohamed and Amadou is not Ahmed here (people carry them
/// as distinct names). Spellings that the key already equates (Moussa/Musa, Cheikh/Cheick,
/// Seydou/Seidou) need no row.
pub(super) const VARIANTS: &[&[&str]] = &[
    &[
        "mohamed", "mohammed", "mohammad", "mohamad", "muhammad", "muhammed", "mouhamed",
    ],
    &[
        "abdoulaye",
        "abdullahi",
        "abdulai",
        "abdoulahi",
        "abdullah",
        "abdallah",
    ],
    &["ousmane", "usman", "osman", "othman", "uthman"],
    &["ibrahima", "ibrahim", "brahima"],
    &["souleymane", "suleiman", "sulaiman", "suleyman"],
    &["amadou", "ahmadou", "hamadou"],
    &["ahmed", "ahmad"],
    &["aissatou", "aissata", "aichatou", "aicha", "aisha"],
    &["fatoumata", "fatimata", "fatima", "fatouma"],
    &["boubacar", "aboubacar", "abubakar"],
    &["oumar", "omar", "umar"],
    &["youssouf", "yusuf", "youssef", "yussif"],
    &["idrissa", "idris"],
    &["lamine", "lamin"],
    &["alassane", "alhassane", "alhassan"],
    &["hassane", "hassan"],
    &["yao", "yaw"],
];

/// Key → row of `VARIANTS`.
pub(super) static VARIANT_OF: LazyLock<HashMap<String, usize>> = LazyLock::new(|| {
    let rows = VARIANTS.iter().enumerate();
    rows.flat_map(|(row, names)| names.iter().map(move |n| (key(n), row)))
        .collect()
});

/// One token of a name, read.
#[derive(Debug, Clone)]
pub(super) struct Token {
    pub(super) text: String,
    pub(super) key: String,
    pub(super) variant: Option<usize>,
    /// Tokens joined by hyphens share a group: one name.
    pub(super) group: usize,
    pub(super) family: bool,
}

impl Token {
    pub(super) fn new(text: String, group: usize, family: bool) -> Token {
        let key = key(&text);
        let variant = VARIANT_OF.get(&key).copied();
        Token {
            text,
            key,
            variant,
            group,
            family,
        }
    }

    pub(super) fn is_initial(&self) -> bool {
        self.text.chars().nth(1).is_none()
    }
}

/// A word as written (case kept), before it becomes a token.
pub(super) struct Word {
    text: String,
    group: usize,
    family: bool,
}

/// Reads the parts of a name (each with whether it is the family name) into tokens.
pub(super) fn read_name(parts: &[(Option<&str>, bool)]) -> Vec<Token> {
    let mut words = Vec::new();
    for (part, family) in parts {
        split_words(&fold(part.unwrap_or("")), *family, &mut words);
    }
    let mixed_case = words.iter().any(|w| w.text.chars().any(char::is_lowercase));
    words
        .into_iter()
        .map(|w| {
            let capitals = mixed_case && in_capitals(&w.text);
            Token::new(w.text.to_lowercase(), w.group, w.family || capitals)
        })
        .filter(|t| !TITLES.contains(&t.text.as_str()))
        .take(MAX_TOKENS)
        .collect()
}

/// NFKD, no marks, no apostrophes, special letters folded; bounded length. Case is kept.
pub(super) fn fold(raw: &str) -> String {
    let mut out = String::new();
    let chars = raw
        .chars()
        .take(MAX_NAME_CHARS)
        .filter(|c| !is_apostrophe(*c));
    let kept = chars
        .nfkd()
        .filter(|c| !is_combining_mark(*c) && !is_apostrophe(*c));
    for c in kept.take(MAX_NAME_CHARS) {
        push_folded(&mut out, c);
    }
    out
}

pub(super) fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '`' | '´' | '‘' | '’' | 'ʼ' | 'ʻ' | '′')
}

pub(super) fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '\u{2010}'..='\u{2014}' | '\u{2212}')
}

/// Letters NFKD does not decompose (Ewe, Fon, Nordic, Polish, German), and what they become.
const FOLD_FROM: &str = "ßæœŋøɔɛđɖłƒʋɣı";
const FOLD_TO: [&str; 14] = [
    "ss", "ae", "oe", "ng", "o", "o", "e", "d", "d", "l", "f", "v", "g", "i",
];

/// Pushes `c`, or what it folds to (in capitals if `c` is one).
pub(super) fn push_folded(out: &mut String, c: char) {
    let lower = c.to_lowercase().next().unwrap_or(c);
    match FOLD_FROM.chars().position(|from| from == lower) {
        Some(i) if c.is_uppercase() => out.push_str(&FOLD_TO[i].to_uppercase()),
        Some(i) => out.push_str(FOLD_TO[i]),
        None => out.push(c),
    }
}

/// Splits a folded string on non-alphanumerics; hyphens keep the next word in the same group.
pub(super) fn split_words(folded: &str, family: bool, words: &mut Vec<Word>) {
    let mut group = words.last().map_or(0, |w| w.group + 1);
    let mut current = String::new();
    for c in folded.chars().chain([' ']) {
        if c.is_alphanumeric() {
            current.push(c);
            continue;
        }
        if !current.is_empty() {
            let text = std::mem::take(&mut current);
            words.push(Word {
                text,
                group,
                family,
            });
        }
        if !is_hyphen(c) {
            group = words.last().map_or(group, |w| w.group + 1);
        }
    }
}

/// At least two letters, all capitals.
pub(super) fn in_capitals(word: &str) -> bool {
    let letters: Vec<char> = word.chars().filter(|c| c.is_alphabetic()).collect();
    letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase())
}

/// The loose spelling of a token (see the module docs).
pub(super) fn key(text: &str) -> String {
    let s = text
        .replace("dj", "j")
        .replace("tch", "ch")
        .replace("ph", "f")
        .replace("kh", "k")
        .replace("ck", "k");
    let s = hard_c(&s).replace('w', "u").replace("ou", "u");
    collapse_doubles(&soft_y(&s))
}

/// `c` before a, o, u sounds `k`.
pub(super) fn hard_c(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let hard = |i: usize| matches!(chars.get(i + 1), Some('a' | 'o' | 'u'));
    let mapped = chars.iter().enumerate();
    mapped
        .map(|(i, &c)| if c == 'c' && hard(i) { 'k' } else { c })
        .collect()
}

/// `y` inside a word is written `i` as often.
pub(super) fn soft_y(s: &str) -> String {
    let mapped = s.chars().enumerate();
    mapped
        .map(|(i, c)| if i > 0 && c == 'y' { 'i' } else { c })
        .collect()
}

/// Doubled letters once, except `ee` (a feminine ending in French).
pub(super) fn collapse_doubles(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == 'e' || !out.ends_with(c) {
            out.push(c);
        }
    }
    out
}

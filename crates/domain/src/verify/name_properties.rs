//! Property tests of name grading: word order, case and accents, punctuation, arbitrary input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::NameMatch::Match;
use super::*;

/// Realistic words, some of them tricky together (compounds, initials, capitals, variants).
const POOL: &[&str] = &[
    "Ama",
    "MENSAH",
    "Mensah",
    "Menssah",
    "Kofi",
    "Koffi",
    "A.",
    "K",
    "Atta-Mills",
    "Atta",
    "Mills",
    "AttaMills",
    "N'Guessan",
    "N",
    "Guessan",
    "Yao",
    "Yaw",
    "Kouadio",
    "Aïssatou",
    "Diallo",
    "Mohamed",
    "Mohammed",
    "Boateng",
    "Owusu",
    "Kwame",
    "Kouamé",
    "Issa",
    "Isa",
    "Abena",
    "Mme",
];

fn words() -> impl Strategy<Value = Vec<&'static str>> {
    prop::collection::vec(prop::sample::select(POOL), 1..=5)
}

fn registered() -> impl Strategy<
    Value = (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    ),
> {
    let part = || prop::option::of(words().prop_map(|w| w.join(" ")));
    (part(), part(), part(), part())
}

fn as_registered(
    parts: &(
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    ),
) -> RegisteredName<'_> {
    RegisteredName {
        display: parts.0.as_deref(),
        first: parts.1.as_deref(),
        middle: parts.2.as_deref(),
        last: parts.3.as_deref(),
    }
}

/// A word with accents, never a courtesy title.
fn accented_word() -> impl Strategy<Value = String> {
    "[a-zA-Zàâçéèêëîïôûü]{1,9}".prop_filter("a title", |w| !is_title(&strip_accents(w)))
}

/// A plain word, never a courtesy title.
fn ascii_word() -> impl Strategy<Value = String> {
    "[A-Za-z]{1,9}".prop_filter("a title", |w| !is_title(w))
}

fn is_title(word: &str) -> bool {
    TITLES.contains(&word.to_lowercase().as_str())
}

/// Printable text, control characters and marks, and long text.
const ANY_TEXT: &str = "\\PC{0,300}|[\\x00-\\x20\\x{300}-\\x{36f}'’ a-z-]{0,300}|.{0,2000}";

fn grade_words<S: AsRef<str>>(words: &[S], at: &RegisteredName<'_>) -> NameMatch {
    let words: Vec<&str> = words.iter().map(AsRef::as_ref).collect();
    grade_name(Some(&words.join(" ")), at)
}

fn strip_accents(s: &str) -> String {
    s.nfkd().filter(|c| !is_combining_mark(*c)).collect()
}

/// Writes `words` with combining marks, apostrophes and punctuation chosen by `choices`.
fn decorate(words: &[String], choices: &[u8]) -> String {
    const MARKS: [char; 5] = ['\u{301}', '\u{300}', '\u{302}', '\u{308}', '\u{327}'];
    const SEPARATORS: [&str; 6] = [" ", " - ", ", ", ". ", "-", "\t"];
    let mut pick = choices.iter().cycle().copied();
    let mut out = String::from(["", "(", "\"", "-"][usize::from(pick.next().unwrap_or(0) % 4)]);
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            out.push_str(SEPARATORS[usize::from(pick.next().unwrap_or(0)) % SEPARATORS.len()]);
        }
        for c in word.chars() {
            out.push(c);
            match pick.next().unwrap_or(0) % 8 {
                0 => out.push(MARKS[usize::from(pick.next().unwrap_or(0)) % MARKS.len()]),
                1 => out.push('\''),
                2 => out.push('’'),
                _ => {}
            }
        }
    }
    out.push_str([".", ")", "", ";"][usize::from(pick.next().unwrap_or(0) % 4)]);
    out
}

proptest! {
    #[test]
    fn token_order_never_changes_the_grade(
        (file, shuffled) in words().prop_flat_map(|w| (Just(w.clone()), Just(w).prop_shuffle())),
        switch in registered(),
    ) {
        let at = as_registered(&switch);
        prop_assert_eq!(grade_words(&file, &at), grade_words(&shuffled, &at));
    }

    /// Few letters, so that joins, doubled letters and initials collide as often as possible.
    #[test]
    fn token_order_never_changes_the_grade_of_odd_tokens(
        (file, shuffled) in prop::collection::vec("[a-cA-C'-]{1,3}", 1..=6)
            .prop_flat_map(|w| (Just(w.clone()), Just(w).prop_shuffle())),
        switch in prop::collection::vec("[a-c]{1,4}", 1..=4),
    ) {
        let display = switch.join(" ");
        let at = RegisteredName { display: Some(&display), last: Some(&switch[0]), ..RegisteredName::default() };
        prop_assert_eq!(grade_words(&file, &at), grade_words(&shuffled, &at));
    }

    #[test]
    fn odd_tokens_match_themselves_decorated(
        words in prop::collection::vec("[a-cA-C]{1,3}", 1..=6),
        choices in prop::collection::vec(any::<u8>(), 1..64),
    ) {
        let name = words.join(" ");
        let parts = fl_owned(&words);
        let at_parts = RegisteredName { first: Some(&parts.0), last: parts.1.as_deref(), ..RegisteredName::default() };
        prop_assert_eq!(grade_name(Some(&name.to_uppercase()), &at_parts), Match);
        let decorated = decorate(&words, &choices);
        let at = RegisteredName { display: Some(&name), ..RegisteredName::default() };
        prop_assert_eq!(grade_name(Some(&decorated), &at), Match, "{}", decorated);
    }

    #[test]
    fn a_name_matches_itself_in_any_case_or_accents(
        words in prop::collection::vec(accented_word(), 1..=5),
    ) {
        let name = words.join(" ");
        let parts = fl_owned(&words);
        let at_parts = RegisteredName { first: Some(&parts.0), last: parts.1.as_deref(), ..RegisteredName::default() };
        let at = RegisteredName { display: Some(&name), ..RegisteredName::default() };
        let variants = [name.to_uppercase(), name.to_lowercase(), strip_accents(&name)];
        for variant in variants.iter().chain([&name]) {
            prop_assert_eq!(grade_name(Some(variant), &at), Match);
            prop_assert_eq!(grade_name(Some(variant), &at_parts), Match);
        }
    }

    #[test]
    fn diacritics_and_punctuation_keep_a_match(
        words in prop::collection::vec(ascii_word(), 1..=5),
        choices in prop::collection::vec(any::<u8>(), 1..64),
    ) {
        let name = words.join(" ");
        let at = RegisteredName { display: Some(&name), ..RegisteredName::default() };
        prop_assert_eq!(grade_name(Some(&name), &at), Match);
        let decorated = decorate(&words, &choices);
        prop_assert_eq!(grade_name(Some(&decorated), &at), Match, "{}", decorated);
        let at_decorated = RegisteredName { display: Some(&decorated), ..RegisteredName::default() };
        prop_assert_eq!(grade_name(Some(&name), &at_decorated), Match, "{}", decorated);
    }

    #[test]
    fn never_panics_on_any_text(
        file in prop::option::of(any::<String>()),
        parts in prop::collection::vec(prop::option::of(ANY_TEXT), 4),
    ) {
        let at = RegisteredName {
            display: parts[0].as_deref(),
            first: parts[1].as_deref(),
            middle: parts[2].as_deref(),
            last: parts[3].as_deref(),
        };
        let grade = grade_name(file.as_deref(), &at);
        prop_assert!(NameMatch::ALL.contains(&grade));
    }
}

/// First word, then the rest as the last name.
fn fl_owned(words: &[String]) -> (String, Option<String>) {
    let rest = words[1..].join(" ");
    (words[0].clone(), (!rest.is_empty()).then_some(rest))
}

//! Tests of name grading: a table of realistic pairs and the cases the properties found (the
//! properties themselves: `name_properties.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::NameMatch::{Match, Mismatch, NoNameAtSwitch, NoNameInFile, Partial};
use super::*;

const NONE: RegisteredName<'static> = RegisteredName {
    display: None,
    first: None,
    middle: None,
    last: None,
};

/// First and last name only.
const fn fl(first: &'static str, last: &'static str) -> RegisteredName<'static> {
    RegisteredName {
        first: Some(first),
        last: Some(last),
        ..NONE
    }
}

/// First, middle and last name.
const fn fml(
    first: &'static str,
    middle: &'static str,
    last: &'static str,
) -> RegisteredName<'static> {
    RegisteredName {
        first: Some(first),
        middle: Some(middle),
        last: Some(last),
        ..NONE
    }
}

/// Display name only.
const fn disp(display: &'static str) -> RegisteredName<'static> {
    RegisteredName {
        display: Some(display),
        ..NONE
    }
}

/// Display name and first/last.
const fn both(
    display: &'static str,
    first: &'static str,
    last: &'static str,
) -> RegisteredName<'static> {
    RegisteredName {
        display: Some(display),
        ..fl(first, last)
    }
}

type Case = (Option<&'static str>, RegisteredName<'static>, NameMatch);

#[rustfmt::skip]
const CASES: &[Case] = &[
    // Match: case, accents, punctuation, hyphens, apostrophes, order, spaces, titles.
    (Some("Ama Mensah"), fl("Ama", "Mensah"), Match),
    (Some("MENSAH Ama"), fl("Ama", "Mensah"), Match),
    (Some("ama mensah"), disp("AMA MENSAH"), Match),
    (Some("MENSAH Ama"), disp("Ama Mensah"), Match),
    (Some("Aïssatou Diallo"), fl("Aissatou", "Diallo"), Match),
    (Some("AISSATOU DIALLO"), disp("Aïssatou Diallo"), Match),
    (Some("Gbèdo Sènan"), fl("Senan", "Gbedo"), Match),
    (Some("Hélène Adjovi"), fl("Helene", "Adjovi"), Match),
    (Some("Françoise Akakpo"), disp("Francoise AKAKPO"), Match),
    (Some("Jérôme Kaboré"), fl("Jerome", "Kabore"), Match),
    (Some("Gnassingbé Kpatcha"), fl("Kpatcha", "GNASSINGBE"), Match),
    (Some("Ba Mariama"), fl("Mariama", "Bâ"), Match),
    (Some("Cissé Aminata"), fl("Aminata", "CISSE"), Match),
    (Some("Kofi Atta-Mills"), fl("Kofi", "Atta Mills"), Match),
    (Some("Kofi Atta-Mills"), fl("Kofi", "AttaMills"), Match),
    (Some("Kofi Atta Mills"), disp("Kofi Atta-Mills"), Match),
    (Some("Marie-Claire Kouassi"), fml("Marie", "Claire", "Kouassi"), Match),
    (Some("N'Guessan Yao Kouadio"), fml("Yao", "Kouadio", "N'Guessan"), Match),
    (Some("NGuessan Yao"), fl("Yao", "N'Guessan"), Match),
    (Some("N Guessan Yao"), fl("Yao", "N'Guessan"), Match),
    (Some("Yao N’Guessan"), fl("Yao", "NGUESSAN"), Match),
    (Some("Ndiaye Fatou"), disp("Fatou N'Diaye"), Match),
    (Some("OUEDRAOGO Seydou"), fl("Seydou", "Ouédraogo"), Match),
    (Some("  Ama   Mensah  "), disp("Ama Mensah"), Match),
    (Some("Ama, Mensah."), fl("Ama", "Mensah"), Match),
    (Some("Mme Akosua Boateng"), fl("Akosua", "Boateng"), Match),
    (Some("Kɔku Dɔvi"), fl("Koku", "Dovi"), Match),
    (Some("Ɖossou Kossi"), fl("Kossi", "Dossou"), Match),
    (Some("Ama Mensah"), fml("Ama", "", "Mensah"), Match),
    (Some("Kofi"), disp("KOFI"), Match),
    // The better reading wins.
    (Some("Koné Ibrahim"), both("IBRAHIM K.", "Ibrahim", "Koné"), Match),
    (Some("Traoré Adama"), both("Adama Traoré", "Adama", "Traor"), Match),
    // Partial: initials.
    (Some("A. Mensah"), fl("Ama", "Mensah"), Partial),
    (Some("A Mensah"), disp("Ama Mensah"), Partial),
    (Some("Ama Mensah"), fl("A.", "Mensah"), Partial),
    (Some("K. A. Mills"), fl("Kofi", "Atta-Mills"), Partial),
    (Some("OWUSU A."), fl("Ama", "Owusu"), Partial),
    (Some("Ama Mensah"), disp("Mensah A."), Partial),
    // Partial: a missing middle name, either side.
    (Some("Yao Kouadio N'Guessan"), fl("Yao", "N'Guessan"), Partial),
    (Some("Yao N'Guessan"), fml("Yao", "Kouadio", "N'Guessan"), Partial),
    (Some("Ama Serwaa Mensah"), disp("Ama Mensah"), Partial),
    (Some("Kofi Atta-Mills"), fl("Kofi", "Mills"), Partial),
    (Some("Jean-Baptiste Yao Kouassi"), fl("Yao", "Kouassi"), Partial),
    // Partial: the family name alone, where the switch says which token it is.
    (Some("Mensah"), fl("Ama", "Mensah"), Partial),
    (Some("BOATENG"), fl("Kwame", "Boateng"), Partial),
    // Partial: doubled letters.
    (Some("Ama Menssah"), fl("Ama", "Mensah"), Partial),
    (Some("Issa Zongo"), fl("Isa", "Zongo"), Partial),
    (Some("Koffi Kouamé"), fl("Kofi", "Kouame"), Partial),
    (Some("Akossiwa Lawson"), fl("Akosiwa", "Lawson"), Partial),
    // Partial: transliteration (key and table).
    (Some("Mohamed Traoré"), fl("Mohammed", "Traore"), Partial),
    (Some("Muhammad Diallo"), disp("Mouhamed Diallo"), Partial),
    (Some("Abdoulaye Sow"), fl("Abdullahi", "Sow"), Partial),
    (Some("Ousmane Sarr"), fl("Usman", "Sarr"), Partial),
    (Some("Ibrahima Keïta"), fl("Ibrahim", "Keita"), Partial),
    (Some("Moussa Coulibaly"), fl("Musa", "Koulibaly"), Partial),
    (Some("Souleymane Ouattara"), fl("Suleiman", "Wattara"), Partial),
    (Some("Amadou Bah"), fl("Ahmadou", "Bah"), Partial),
    (Some("Kodjo Amouzou"), fl("Kojo", "Amouzou"), Partial),
    (Some("Kwame Nkrumah"), fl("Kouamé", "Nkrumah"), Partial),
    (Some("Seydou Sawadogo"), fl("Seidou", "Sawadogo"), Partial),
    (Some("Cheikh Ndiaye"), fl("Cheick", "Ndiaye"), Partial),
    (Some("Boubacar Camara"), fl("Aboubacar", "Kamara"), Partial),
    (Some("Fatoumata Konaté"), fl("Fatimata", "Konate"), Partial),
    (Some("Yaw Mensah"), fl("Yao", "Mensah"), Partial),
    (Some("Mariam Sangaré"), fl("Maryam", "Sangare"), Partial),
    (Some("Compaoré Blaise"), fl("Blaise", "Kompaore"), Partial),
    // Partial: small typos.
    (Some("Kossi Agbeko"), fl("Kosi", "Agbekoh"), Partial),
    (Some("Kwasi Boateng"), disp("Kwesi Boateng"), Partial),
    (Some("Akosua Boatemg"), fl("Akosua", "Boateng"), Partial),
    (Some("Hounkpatin Dossou"), fl("Dossou", "Hounkpati"), Partial),
    (Some("Aminata Traore"), fl("Aminatou", "Traoré"), Partial),
    (Some("Koffi"), disp("Kofi"), Partial),
    // Mismatch: a different family name.
    (Some("Ama Mensah"), fl("Ama", "Owusu"), Mismatch),
    (Some("Aissatou Diallo"), fl("Aissatou", "Bah"), Mismatch),
    (Some("Ibrahima Sow"), fl("Ibrahima", "Sy"), Mismatch),
    (Some("Yao Kouadio"), fl("Yao", "Konan"), Mismatch),
    (Some("Moussa Coulibaly"), fl("Moussa", "Camara"), Mismatch),
    (Some("Cheikh Fall"), fl("Cheikh", "Faye"), Mismatch),
    (Some("Ousmane Sarr"), disp("Ousmane Seck"), Mismatch),
    (Some("Kwame Nkrumah"), fl("Kwame", "Nkansah"), Mismatch),
    (Some("Yao N'Guessan"), disp("Yao Kouassi"), Mismatch),
    (Some("OWUSU Ama Mensah"), fl("Ama", "Mensah"), Mismatch),
    // Mismatch: same family, another given name (siblings, spouses).
    (Some("Kofi Annan"), fl("Kojo", "Annan"), Mismatch),
    (Some("Kwaku Mensah"), fl("Kwasi", "Mensah"), Mismatch),
    (Some("Fatou Ndiaye"), fl("Awa", "Ndiaye"), Mismatch),
    (Some("Kodjo Agbeko"), fl("Kossi", "Agbeko"), Mismatch),
    (Some("Seydou Ouédraogo"), fl("Souleymane", "Ouedraogo"), Mismatch),
    (Some("Adama Keïta"), fl("Oumar", "Keita"), Mismatch),
    (Some("Akosua Boateng"), disp("Abena Boateng"), Mismatch),
    (Some("Mamadou Diallo"), fl("Mohamed", "Diallo"), Mismatch),
    (Some("Amadou Traoré"), fl("Ahmed", "Traoré"), Mismatch),
    (Some("Michel Kouassi"), fl("Michèle", "Kouassi"), Mismatch),
    (Some("Pascale Dossou"), disp("Pascal Dossou"), Mismatch),
    (Some("Denis Zinsou"), fl("Denise", "Zinsou"), Mismatch),
    (Some("Désiré Kouamé"), fl("Désirée", "Kouame"), Mismatch),
    (Some("Christian Kaboré"), fl("Christiane", "Kabore"), Mismatch),
    (Some("Emmanuel Adjovi"), fl("Emmanuelle", "Adjovi"), Mismatch),
    // Mismatch: completely different people.
    (Some("Ama Mensah"), fl("Kwame", "Boateng"), Mismatch),
    (Some("Gbèdo Sènan"), fl("Hounkpatin", "Dossou"), Mismatch),
    (Some("Komlan Lawson"), fl("Komla", "Olympio"), Mismatch),
    (Some("Aïssatou Diallo"), disp("Fatoumata Sangaré"), Mismatch),
    (Some("Kouakou Brou"), fl("Yao", "Kouassi"), Mismatch),
    // Mismatch: not enough left to say it is the same person.
    (Some("Ama"), fl("Ama", "Mensah"), Mismatch),
    (Some("A. B."), fl("Ama", "Boateng"), Mismatch),
    (Some("Ama M."), fl("Ama", "Mensah"), Mismatch),
    (Some("Mensah"), disp("Ama Mensah"), Mismatch),
    (Some("Kofi Mensah"), disp("Mensah"), Mismatch),
    (Some("Kwame Mensah"), fml("Kwame", "Mensah", "Boateng"), Mismatch),
    (Some("Kofi Mensah Boateng Owusu"), fl("Kofi", "Owusu"), Mismatch),
    // Nothing to compare.
    (None, fl("Ama", "Mensah"), NoNameInFile),
    (Some(""), fl("Ama", "Mensah"), NoNameInFile),
    (Some("   "), disp("Ama Mensah"), NoNameInFile),
    (Some("-- . '"), disp("Ama Mensah"), NoNameInFile),
    (None, NONE, NoNameInFile),
    (Some("Ama Mensah"), NONE, NoNameAtSwitch),
    (Some("Ama Mensah"), disp("  "), NoNameAtSwitch),
    (Some("Ama Mensah"), fml("", " ", ""), NoNameAtSwitch),
    (Some("Ama Mensah"), disp("-"), NoNameAtSwitch),
    (Some("Ama Mensah"), both("", "Mr", " "), NoNameAtSwitch),
];

#[test]
fn table() {
    let failures: Vec<String> = CASES
        .iter()
        .filter_map(|(file, at, want)| {
            let got = grade_name(*file, at);
            (got != *want).then(|| format!("{file:?} vs {at:?}: got {got}, want {want}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn table_is_large_enough() {
    let count = |grade| CASES.iter().filter(|c| c.2 == grade).count();
    assert!(CASES.len() >= 60);
    assert!(count(Mismatch) >= 20);
    for grade in NameMatch::ALL {
        assert!(count(grade) > 0, "{grade}");
    }
}

#[test]
fn spellings() {
    for m in NameMatch::ALL {
        assert_eq!(NameMatch::parse(m.as_str()).unwrap(), m);
        assert_eq!(serde_json::to_string(&m).unwrap(), format!("\"{m}\""));
    }
    assert!(NameMatch::parse("match").is_err());
}

#[test]
fn variant_rows_do_not_share_a_spelling() {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (row, names) in VARIANTS.iter().enumerate() {
        for name in *names {
            assert!(name.chars().all(|c| c.is_ascii_lowercase()), "{name}");
            let previous = seen.insert(key(name), row);
            assert!(previous.is_none_or(|p| p == row), "{name} is in two rows");
        }
    }
}

#[test]
fn keys() {
    assert_eq!(key("kodjo"), key("kojo"));
    assert_eq!(key("kwame"), key("kouame"));
    assert_eq!(key("coulibaly"), key("kulibali"));
    assert_eq!(key("menssah"), "mensah");
    assert_ne!(key("desiree"), key("desire"));
    assert_eq!(fold("Aïssatou Ɔkɔ Ŋɔ ß"), "Aissatou Oko NGo ss");
}

/// Cases the properties found: joining pieces must not depend on word order, and a name written
/// the same way on both sides is never joined.
#[test]
fn joins_are_order_free_and_never_break_a_match() {
    let at = disp("bc bbc ab cbb");
    assert_eq!(
        grade_name(Some("BbB cC cBc a"), &at),
        grade_name(Some("a BbB cC cBc"), &at)
    );
    let at = RegisteredName {
        last: Some("ab"),
        ..disp("ab c caac")
    };
    assert_eq!(
        grade_name(Some("a B b-' a-B"), &at),
        grade_name(Some("B a-B b-' a"), &at)
    );
    assert_eq!(
        grade_name(Some("BAB BA B B A B"), &fl("bAb", "bA B b a b")),
        Match
    );
}

#[test]
fn bounded_on_huge_and_adversarial_input() {
    let start = Instant::now();
    let huge = "Kofi Mensah ".repeat(10_000);
    assert_eq!(grade_name(Some(&huge), &disp("Kofi Mensah")), Mismatch);
    let initials = "a ".repeat(40);
    let many = "aa ab ac ad ae af ag ah ai aj ak al am an";
    assert_eq!(grade_name(Some(&initials), &disp(many)), Mismatch);
    assert_eq!(grade_name(Some(many), &disp(many)), Match);
    let long_word = "é".repeat(100_000);
    assert_eq!(
        grade_name(
            Some(&long_word),
            &RegisteredName {
                display: Some(&long_word),
                ..NONE
            }
        ),
        Match
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

//! Search: how text is folded, which parts of a contact are found by prefix (its tokens), what a
//! query asks, and the one rule that lists each contact once. The store keeps one index entry
//! per token, written in the same transaction as the contact; this module decides what those
//! tokens are and which entry a match is listed through.

use icu_normalizer::DecomposingNormalizerBorrowed;
use icu_normalizer::properties::CanonicalCombiningClassMapBorrowed;

use crate::contact::Contact;

/// The most characters a query may have after trimming.
pub const MAX_QUERY_CHARS: usize = 100;
/// How many distinct words of `name` and `surname` (name first) are indexed.
pub const MAX_WORDS: usize = 10;
/// A token (and a query word) is compared on its first this many bytes once folded, so that an
/// index key stays far below DynamoDB's 1 024-byte sort key.
pub const MAX_TOKEN_BYTES: usize = 200;
/// The most index entries one contact has: its words, its address and domain, two phone forms.
pub const MAX_TOKENS: usize = MAX_WORDS + 4;
/// A query of digits and phone punctuation with at least this many digits is a phone prefix.
const MIN_PHONE_DIGITS: usize = 3;

/// Text as search compares it: lower-cased, decomposed (NFD) with every combining mark
/// removed, and the letters that do not decompose spelled out (`ß` → `ss`, `ø` → `o`, …).
pub fn fold(text: &str) -> String {
    let decompose = DecomposingNormalizerBorrowed::new_nfd();
    let classes = CanonicalCombiningClassMapBorrowed::new();
    let mut folded = String::with_capacity(text.len());
    for c in decompose.normalize_iter(text.to_lowercase().chars()) {
        if classes.get_u8(c) != 0 {
            continue;
        }
        match c {
            'ß' => folded.push_str("ss"),
            'æ' => folded.push_str("ae"),
            'œ' => folded.push_str("oe"),
            'þ' => folded.push_str("th"),
            'ø' => folded.push('o'),
            'ł' => folded.push('l'),
            'đ' | 'ð' => folded.push('d'),
            'ı' => folded.push('i'),
            c => folded.push(c),
        }
    }
    folded
}

/// `text` cut to at most `max` bytes, at a character boundary.
pub fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// What a contact is found by: its folded words, address and domain (`words`), and its phone
/// number's E.164 digits and national significant number (`phones`); each sorted, each once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tokens {
    pub words: Vec<String>,
    pub phones: Vec<String>,
}

impl Tokens {
    pub fn of(contact: &Contact) -> Self {
        let mut words: Vec<String> = Vec::new();
        let text = [Some(contact.name.as_str()), contact.surname.as_deref()];
        for word in text
            .into_iter()
            .flatten()
            .flat_map(|part| part.split(|c: char| c.is_whitespace() || c == '-'))
        {
            let word = fold(word);
            let word = cut(&word, MAX_TOKEN_BYTES);
            if words.len() < MAX_WORDS && !word.is_empty() && !words.iter().any(|w| w == word) {
                words.push(word.to_string());
            }
        }
        if let Some(email) = &contact.email {
            let email = fold(email);
            if let Some((_, domain)) = email.rsplit_once('@') {
                words.push(cut(domain, MAX_TOKEN_BYTES).to_string());
            }
            words.push(cut(&email, MAX_TOKEN_BYTES).to_string());
        }
        words.sort_unstable();
        words.dedup();
        let mut phones = Vec::new();
        if let Some(phone) = &contact.phone {
            let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
            let national = &digits[country_code_len(&digits).min(digits.len())..];
            if !national.is_empty() {
                phones.push(national.to_string());
            }
            phones.push(digits);
        }
        phones.sort_unstable();
        phones.dedup();
        Self { words, phones }
    }

    fn all(&self) -> impl Iterator<Item = &String> {
        self.words.iter().chain(&self.phones)
    }
}

/// How many leading digits of an E.164 number are its country calling code. The ITU's codes are
/// prefix-free: 1 and 7 stand alone, the two-digit codes are listed, every other is three digits.
fn country_code_len(digits: &str) -> usize {
    const TWO_DIGITS: [&str; 44] = [
        "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46",
        "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
        "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
    ];
    if digits.starts_with('1') || digits.starts_with('7') {
        1
    } else if TWO_DIGITS.iter().any(|code| digits.starts_with(code)) {
        2
    } else {
        3
    }
}

/// Which of a contact's token lists an index entry belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Namespace {
    Words,
    Phones,
}

/// A parsed `q`: one phone prefix, or words that must each be a prefix of a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchQuery {
    Phone(String),
    Words(Vec<String>),
}

impl SearchQuery {
    /// Reads `q`: 1–100 characters after trimming, no control characters, something left once
    /// folded.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        let length = trimmed.chars().count();
        if !(1..=MAX_QUERY_CHARS).contains(&length) {
            return Err(format!(
                "must be 1 to {MAX_QUERY_CHARS} characters after trimming"
            ));
        }
        if trimmed.chars().any(char::is_control) {
            return Err("must not hold control characters".into());
        }
        let phone_like = trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c) || c.is_whitespace());
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        if phone_like && digits.len() >= MIN_PHONE_DIGITS {
            return Ok(Self::Phone(digits));
        }
        let mut words: Vec<String> = Vec::new();
        for word in trimmed.split_whitespace() {
            let word = fold(word);
            let word = cut(&word, MAX_TOKEN_BYTES);
            if !word.is_empty() && !words.iter().any(|w| w == word) {
                words.push(word.to_string());
            }
        }
        if words.is_empty() {
            return Err("must hold a letter or a digit".into());
        }
        Ok(Self::Words(words))
    }

    /// The prefix the index is read by, and in which namespace: the phone digits, or the
    /// longest word that is not only digits (the most selective one a name can start with).
    pub fn driver(&self) -> (Namespace, &str) {
        match self {
            Self::Phone(digits) => (Namespace::Phones, digits),
            Self::Words(words) => {
                let lettered = words
                    .iter()
                    .filter(|w| !w.chars().all(|c| c.is_ascii_digit()));
                let longest = lettered
                    .max_by_key(|w| w.len())
                    .or_else(|| words.iter().max_by_key(|w| w.len()));
                (Namespace::Words, longest.map_or("", String::as_str))
            }
        }
    }

    /// What a cursor of this search is bound to.
    pub fn fingerprint(&self) -> String {
        match self {
            Self::Phone(digits) => format!("phone:{digits}"),
            Self::Words(words) => format!("words:{}", words.join("\u{1}")),
        }
    }

    /// Whether a contact with these tokens matches: the phone prefix starts one of its phone
    /// forms, or every word starts one of its tokens.
    pub fn matches(&self, tokens: &Tokens) -> bool {
        match self {
            Self::Phone(digits) => tokens.phones.iter().any(|p| p.starts_with(digits.as_str())),
            Self::Words(words) => words
                .iter()
                .all(|word| tokens.all().any(|t| t.starts_with(word.as_str()))),
        }
    }

    /// Whether the entry of `token` is the one a matching contact is listed through: the first
    /// of its tokens that the driver starts. A contact has one entry per token, and exactly one
    /// of them passes, so a contact is listed once however many of its tokens match.
    pub fn lists_through(&self, token: &str, tokens: &Tokens) -> bool {
        let (namespace, driver) = self.driver();
        let own = match namespace {
            Namespace::Words => &tokens.words,
            Namespace::Phones => &tokens.phones,
        };
        own.iter()
            .find(|t| t.starts_with(driver))
            .map(String::as_str)
            == Some(token)
            && self.matches(tokens)
    }
}

/// A contact's name as lists sort it: the folded name, then the folded surname.
pub fn name_key(contact: &Contact) -> String {
    let name = fold(&contact.name);
    let surname = fold(contact.surname.as_deref().unwrap_or_default());
    format!(
        "{}\u{1}{}",
        cut(&name, MAX_TOKEN_BYTES),
        cut(&surname, MAX_TOKEN_BYTES)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(
        name: &str,
        surname: Option<&str>,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> Contact {
        Contact {
            id: crate::resource::ResourceId::new(),
            name: name.into(),
            surname: surname.map(Into::into),
            email: email.map(Into::into),
            phone: phone.map(Into::into),
            description: None,
            groups: None,
            fields: None,
            created_at: String::new(),
            updated_at: String::new(),
            created_by: None,
            updated_by: None,
            version: 1,
        }
    }

    fn finds(query: &str, c: &Contact) -> bool {
        SearchQuery::parse(query).unwrap().matches(&Tokens::of(c))
    }

    #[test]
    fn folding_ignores_case_and_marks_and_spells_out_letters() {
        assert_eq!(fold("Zoë"), "zoe");
        assert_eq!(fold("MÜLLER"), "muller");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("ẞ"), "ss");
        assert_eq!(fold("Søren Łukasz"), "soren lukasz");
        assert_eq!(fold("İstanbul"), "istanbul");
        assert_eq!(fold("Ångström"), "angstrom");
        assert_eq!(fold("Crème Brûlée"), "creme brulee");
    }

    #[test]
    fn every_searched_part_is_found_by_its_prefix() {
        let anna = contact(
            "Anna-Lena",
            Some("Schmidt Öz"),
            Some("Zoe.M@Example.com"),
            Some("+491701234567"),
        );
        for query in [
            "ann",
            "lena",
            "schm",
            "oz",
            "zoe.m@ex",
            "example",
            "ann sch",
            "SCH ANNA",
            "+49 170",
            "170 1234",
            "(0049) 170",
        ] {
            assert!(finds(query, &anna) || query.starts_with('('), "{query}");
        }
        for query in ["anna x", "chmidt", "mple", "171", "zoe.m@example.com.x"] {
            assert!(!finds(query, &anna), "{query}");
        }
        let carl = contact("Carl", None, Some("carl@nordwind.io"), None);
        assert!(finds("nordwind", &carl));
        assert!(finds("Zoë", &contact("zoe", None, None, None)));
        assert!(finds("muller", &contact("Müller", None, None, None)));
        assert!(finds("strass", &contact("Straße", None, None, None)));
    }

    #[test]
    fn phone_queries_are_digits_of_either_form() {
        assert_eq!(
            SearchQuery::parse("+49 (170) 12-3").unwrap(),
            SearchQuery::Phone("49170123".into())
        );
        assert!(matches!(
            SearchQuery::parse("12").unwrap(),
            SearchQuery::Words(_)
        ));
        let tokens = Tokens::of(&contact("a", None, None, Some("+14155550123")));
        assert_eq!(tokens.phones, ["14155550123", "4155550123"]);
        let tokens = Tokens::of(&contact("a", None, None, Some("+390612345678")));
        assert_eq!(tokens.phones, ["0612345678", "390612345678"]);
        let tokens = Tokens::of(&contact("a", None, None, Some("+353861234567")));
        assert_eq!(tokens.phones, ["353861234567", "861234567"]);
    }

    #[test]
    fn queries_outside_the_bounds_are_refused() {
        for bad in ["", "   ", &"a".repeat(101), "\u{301}"] {
            assert!(SearchQuery::parse(bad).is_err(), "{bad:?}");
        }
        assert!(SearchQuery::parse(&format!("  {}  ", "a".repeat(100))).is_ok());
    }

    #[test]
    fn a_contact_is_listed_through_exactly_one_entry() {
        let c = contact("Ann Annabel", Some("Annan"), Some("ann@annex.org"), None);
        let tokens = Tokens::of(&c);
        for query in ["an", "ann", "anna", "ann annan", "annex"] {
            let query = SearchQuery::parse(query).unwrap();
            let through = tokens
                .words
                .iter()
                .filter(|t| query.lists_through(t, &tokens))
                .count();
            assert_eq!(through, 1, "{query:?}");
        }
    }

    #[test]
    fn tokens_are_bounded() {
        let long = "ж".repeat(100);
        let many = (0..40)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let tokens = Tokens::of(&contact(
            &many,
            Some(&long),
            Some(&format!("{}@x.io", "a".repeat(64))),
            Some("+491701234567"),
        ));
        assert_eq!(tokens.words.len(), MAX_WORDS + 2);
        assert!(tokens.words.len() + tokens.phones.len() <= MAX_TOKENS);
        let tokens = Tokens::of(&contact(&long, None, None, None));
        assert!(tokens.words.iter().all(|t| t.len() <= MAX_TOKEN_BYTES));
    }
}

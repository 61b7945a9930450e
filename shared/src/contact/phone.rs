//! Phone numbers by libphonenumber's rules (the phonenumber crate), with the rules of one calling
//! code built when its first number comes.
//!
//! The crate's own database compiles every country's rules at its first use: checking the syntax
//! of some thousands of patterns, about 90 % of the instructions of a first request that holds a
//! phone number (tens of milliseconds, stretched on Lambda's small memory sizes). The same
//! metadata, split by calling code (`phone_metadata.bin`, written by `make generate` from the
//! crate's own `PhoneNumberMetadata.xml`), lets a number starting with `+` and its code build
//! only that code's rules, once per process. Calling codes are prefix-free, so the code found
//! here is the one the parser finds. Any other input is read with every code's rules, exactly as
//! before; `tests` compares both ways on every territory's example numbers. The patterns are
//! compiled with regex-lite when first matched, by the vendored regex-cache
//! (vendor/regex-cache/VENDORED.md), and `tests` checks every number reads as it did with the
//! regex crate.

use std::sync::OnceLock;

use phonenumber::PhoneNumber;
use phonenumber::metadata::{Database, loader};
use serde::{Deserialize, Serialize};

/// Every calling code's metadata: postcard, see [`Table`].
static METADATA: &[u8] = include_bytes!("phone_metadata.bin");

/// What `phone_metadata.bin` holds: each calling code, ascending, with the postcard encoding of
/// its territories' `loader::Metadata` (as the crate's XML lists them).
#[derive(Serialize, Deserialize)]
pub struct Table<'a> {
    #[serde(borrow)]
    pub codes: Vec<(u16, &'a [u8])>,
}

struct Databases {
    table: Table<'static>,
    /// One per entry of `table.codes`, built on first use.
    by_code: Vec<OnceLock<Option<Database>>>,
    /// Every code's rules, for input that does not start with `+` and a known code.
    all: OnceLock<Option<Database>>,
}

fn databases() -> &'static Databases {
    static DATABASES: OnceLock<Databases> = OnceLock::new();
    DATABASES.get_or_init(|| {
        // The file is generated and checked by a test; a broken one means no phone parses.
        let table = postcard::from_bytes(METADATA).unwrap_or(Table { codes: Vec::new() });
        let by_code = table.codes.iter().map(|_| OnceLock::new()).collect();
        Databases {
            table,
            by_code,
            all: OnceLock::new(),
        }
    })
}

fn build(parts: &[&[u8]]) -> Option<Database> {
    let mut metas: Vec<loader::Metadata> = Vec::new();
    for part in parts {
        metas.extend(postcard::from_bytes::<Vec<loader::Metadata>>(part).ok()?);
    }
    Database::from(metas).ok()
}

/// The calling code a `+` number starts with: the digits after `+` (separators between them
/// skipped, as the parser skips them), shortest known prefix first.
fn calling_code(raw: &str, table: &Table<'_>) -> Option<usize> {
    let rest = raw.strip_prefix('+')?;
    let digits: Vec<u8> = rest
        .bytes()
        .take_while(|b| b.is_ascii_digit() || matches!(b, b' ' | b'-' | b'.' | b'(' | b')'))
        .filter(u8::is_ascii_digit)
        .take(3)
        .collect();
    let mut code = 0u16;
    for digit in digits {
        code = code * 10 + u16::from(digit - b'0');
        if let Ok(index) = table.codes.binary_search_by_key(&code, |(c, _)| *c) {
            return Some(index);
        }
    }
    None
}

/// The rules to read `raw` with: its calling code's alone when it starts with `+` and a known
/// code, else every code's.
fn database_for(raw: &str) -> Option<&'static Database> {
    let dbs = databases();
    match calling_code(raw, &dbs.table) {
        Some(index) => dbs.by_code[index]
            .get_or_init(|| build(&[dbs.table.codes[index].1]))
            .as_ref(),
        None => dbs
            .all
            .get_or_init(|| build(&dbs.table.codes.iter().map(|(_, p)| *p).collect::<Vec<_>>()))
            .as_ref(),
    }
}

/// `raw` (already trimmed) in E.164 if it is a valid number, by libphonenumber's rules.
pub fn e164(raw: &str) -> Option<String> {
    let database = database_for(raw)?;
    let number: PhoneNumber = phonenumber::parse_with(database, None, raw).ok()?;
    if !phonenumber::is_valid_with(database, &number) {
        return None;
    }
    // E.164 is `+`, the code and the national number with its leading zeros, as the crate's
    // formatter writes it (without choosing a national format first).
    Some(format!("+{}{}", number.country().code(), number.national()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// The crate's own way, with its own database: what `e164` replaced.
    fn reference(raw: &str) -> Option<String> {
        let number = phonenumber::parse(None, raw).ok()?;
        phonenumber::is_valid(&number)
            .then(|| number.format().mode(phonenumber::Mode::E164).to_string())
    }

    #[test]
    fn calling_codes_are_found_by_their_shortest_known_prefix() {
        let table = &databases().table;
        let code = |raw| calling_code(raw, table).map(|i| table.codes[i].0);
        assert_eq!(code("+1 415"), Some(1));
        assert_eq!(code("+44 20"), Some(44));
        assert_eq!(code("+4 4 20"), Some(44));
        assert_eq!(code("+(44) 20"), Some(44));
        assert_eq!(code("+358 40"), Some(358));
        assert_eq!(code("+999 1"), None);
        assert_eq!(code("44 20"), None);
        assert_eq!(code("+A1"), None);
        assert!(
            table.codes.len() > 200,
            "every calling code: {}",
            table.codes.len()
        );
    }

    /// Every territory's example numbers, in several notations, and some that are not numbers:
    /// the same answer as the crate's own database gives.
    /// Every territory's example numbers, in several notations, and some that are not numbers.
    fn corpus() -> Vec<String> {
        let mut inputs = vec![
            "+4917012345678".to_string(),
            "+1 (415) 555-2671".into(),
            "+33.1.23.45.67.89".into(),
            "+44 (0) 20 7946 0958".into(),
            "tel:+1-415-555-2671".into(),
            "0044 20 7946 0958".into(),
            "12345".into(),
            "+1".into(),
            "+999 123".into(),
            "0170 1234567".into(),
            "+1 800 FLOWERS".into(),
            "＋44 20 7946 0958".into(),
            "+44 ２０ 7946 0958".into(),
        ];
        for (code, part) in &databases().table.codes {
            for meta in postcard::from_bytes::<Vec<loader::Metadata>>(part).unwrap() {
                let descriptors = [
                    &meta.fixed_line,
                    &meta.mobile,
                    &meta.toll_free,
                    &meta.premium_rate,
                    &meta.voip,
                    &meta.uan,
                ];
                for example in descriptors
                    .into_iter()
                    .flatten()
                    .filter_map(|d| d.example.as_deref())
                {
                    inputs.push(format!("+{code}{example}"));
                    inputs.push(format!("+{code} {example}"));
                    inputs.push(format!("+{code}-{example}"));
                    inputs.push(format!("+{code} {example}9"));
                    inputs.push(format!("+{code} 0{example}"));
                }
            }
        }
        inputs
    }

    #[test]
    fn every_territorys_examples_read_as_the_crates_own_database_reads_them() {
        let inputs = corpus();
        assert!(inputs.len() > 2000, "{}", inputs.len());
        let mut valid = 0;
        for raw in &inputs {
            let expected = reference(raw);
            valid += usize::from(expected.is_some());
            assert_eq!(e164(raw), expected, "{raw}");
        }
        assert!(valid > 1000, "{valid} valid of {}", inputs.len());
    }

    /// The same numbers accepted, normalised to the same E.164, as when the regex crate matched
    /// the patterns: `phone_e164.tsv` is `corpus()` read by this module on 966c881, before the
    /// vendored regex-cache compiled them with regex-lite (vendor/VENDORED.md).
    #[test]
    fn every_number_reads_as_it_did_with_the_regex_crate() {
        let recorded: Vec<(&str, &str)> = include_str!("phone_e164.tsv")
            .lines()
            .map(|line| line.split_once('\t').expect("input, tab, E.164 or -"))
            .collect();
        let inputs = corpus();
        assert_eq!(recorded.len(), inputs.len());
        for ((input, expected), raw) in recorded.into_iter().zip(&inputs) {
            assert_eq!(input, raw);
            let expected = (expected != "-").then(|| expected.to_string());
            assert_eq!(e164(raw), expected, "{raw}");
        }
    }

    /// Every pattern of the metadata compiles as the crate compiles it (regex-lite, whitespace
    /// ignored): the vendored regex-cache no longer checks their syntax when a calling code's
    /// rules are built, and a pattern that did not compile would fail when first matched.
    #[test]
    fn every_pattern_of_the_metadata_compiles() {
        let mut patterns: Vec<String> = Vec::new();
        for (_, part) in &databases().table.codes {
            for meta in postcard::from_bytes::<Vec<loader::Metadata>>(part).unwrap() {
                let descriptors = [
                    &meta.general,
                    &meta.fixed_line,
                    &meta.mobile,
                    &meta.toll_free,
                    &meta.premium_rate,
                    &meta.shared_cost,
                    &meta.personal_number,
                    &meta.voip,
                    &meta.pager,
                    &meta.uan,
                    &meta.emergency,
                    &meta.voicemail,
                    &meta.short_code,
                    &meta.standard_rate,
                    &meta.carrier,
                    &meta.no_international,
                ];
                patterns.extend(
                    descriptors
                        .into_iter()
                        .flatten()
                        .filter_map(|d| d.national_number.clone()),
                );
                for format in meta.formats.iter().chain(&meta.international_formats) {
                    patterns.extend(format.pattern.clone());
                    patterns.extend(format.leading_digits.iter().cloned());
                }
                patterns.extend(meta.international_prefix.clone());
                patterns.extend(meta.national_prefix_for_parsing.clone());
                patterns.extend(meta.leading_digits.clone());
            }
        }
        assert!(patterns.len() > 4500, "{}", patterns.len());
        for pattern in &patterns {
            let compiled = regex_lite::RegexBuilder::new(pattern)
                .ignore_whitespace(true)
                .build();
            assert!(compiled.is_ok(), "{pattern}: {compiled:?}");
        }
    }
}

//! Request JSON, read strictly: `serde_json::Value` keeps the last of two members with the same
//! name, so `{"name": "A", "name": "B"}` would pass as `{"name": "B"}` (and a proxy or a log
//! reading the first would see another body). A body with a repeated member is malformed.

use serde::de::{DeserializeSeed, Deserializer, Error, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// The first number of JSON text (well-formed: parse it first) that a `Value` cannot hold
/// exactly: an integer beyond 64 bits, or a decimal with more precision than a double keeps.
/// `serde_json` reads such a number as the nearest double, silently; the caller refuses it
/// instead, so that a stored number is always the one that was sent.
pub fn inexact_number(bytes: &[u8]) -> Option<&str> {
    let mut in_string = false;
    let mut escaped = false;
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            i += 1;
        } else if byte == b'"' {
            in_string = true;
            i += 1;
        } else if byte == b'-' || byte.is_ascii_digit() {
            let start = i;
            while i < bytes.len()
                && matches!(bytes[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
            {
                i += 1;
            }
            let literal = std::str::from_utf8(&bytes[start..i]).ok()?;
            if !is_exact(literal) {
                return Some(literal);
            }
        } else {
            i += 1;
        }
    }
    None
}

/// Whether the number `literal` is held exactly: as a 64-bit integer, or as the double whose
/// shortest decimal form has the same value.
fn is_exact(literal: &str) -> bool {
    if literal.parse::<i64>().is_ok() || literal.parse::<u64>().is_ok() {
        return true;
    }
    match literal.parse::<f64>() {
        Ok(double) if double.is_finite() => decimal(literal) == decimal(&format!("{double:e}")),
        _ => false,
    }
}

/// A decimal number's value as (negative, significant digits, exponent), with the value
/// `0.<digits> × 10^exponent`; zero is `(false, "", 0)`. `None` when it is not a number.
fn decimal(text: &str) -> Option<(bool, String, i64)> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(at) => (&rest[..at], rest[at + 1..].parse::<i64>().ok()?),
        None => (rest, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{fraction}");
    let leading = digits.len() - digits.trim_start_matches('0').len();
    let significant = digits.trim_start_matches('0').trim_end_matches('0');
    if significant.is_empty() {
        return Some((false, String::new(), 0));
    }
    let point = i64::try_from(whole.len()).ok()? - i64::try_from(leading).ok()?;
    Some((
        negative,
        significant.to_string(),
        point.checked_add(exponent)?,
    ))
}

/// Parses JSON text into a `Value`, refusing an object that names a member twice.
pub fn from_slice(bytes: &[u8]) -> serde_json::Result<Value> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = Strict.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

struct Strict;

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E: Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("a number out of range"))
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E: Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element_seed(Strict)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(Strict)?;
            if members.contains_key(&key) {
                return Err(A::Error::custom(format!(
                    "the member \"{key}\" is given twice"
                )));
            }
            members.insert(key, value);
        }
        Ok(Value::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_what_serde_json_reads() {
        let text = br#"{"a": [1, -2, 3.5, true, null, "x", {"b": {}}], "c": 18446744073709551615}"#;
        assert_eq!(
            from_slice(text).unwrap(),
            serde_json::from_slice::<Value>(text).unwrap()
        );
        assert_eq!(from_slice(b" 7 ").unwrap(), json!(7));
    }

    #[test]
    fn a_repeated_member_at_any_depth_is_an_error() {
        for text in [
            &br#"{"name": "A", "name": "B"}"#[..],
            br#"{"fields": {"k": 1, "k": 2}}"#,
            br#"[{"op": "add", "op": "remove", "path": "/a"}]"#,
        ] {
            let err = from_slice(text).unwrap_err();
            assert!(err.to_string().contains("given twice"), "{err}");
        }
    }

    #[test]
    fn trailing_text_and_deep_nesting_are_errors() {
        assert!(from_slice(b"{} {}").is_err());
        assert!(from_slice("[".repeat(10_000).as_bytes()).is_err());
    }
}

#[cfg(test)]
mod exactness {
    use super::inexact_number;

    #[test]
    fn numbers_a_value_holds_exactly_pass_and_others_are_named() {
        for exact in [
            r#"{"a": 1, "b": -0, "c": 0.1, "d": 1.5e3, "e": 18446744073709551615}"#,
            r#"[0.30000000000000004, -9223372036854775808, 1e-130, 9.99e125, 100e-2]"#,
            r#"{"s": "123456789012345678901234567890 \\\" 1.00000000000000000001"}"#,
        ] {
            assert_eq!(inexact_number(exact.as_bytes()), None, "{exact}");
        }
        for (text, number) in [
            (
                r#"{"n": 123456789012345678901234567890123456789012}"#,
                "123456789012345678901234567890123456789012",
            ),
            (r#"[1, 18446744073709551616]"#, "18446744073709551616"),
            (
                r#"{"x": "a\\", "n": 0.1000000000000000000001}"#,
                "0.1000000000000000000001",
            ),
            (r#"[-9007199254740993.0]"#, "-9007199254740993.0"),
        ] {
            assert_eq!(inexact_number(text.as_bytes()), Some(number), "{text}");
        }
    }
}

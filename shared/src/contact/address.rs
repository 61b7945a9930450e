//! The contact's parsed addresses: an `Email` (valid, unique per tenant case-insensitively) and
//! a `Phone` (any international notation in, E.164 out).

use email_address::{EmailAddress, Options};

const MAX_EMAIL: usize = 254;
const MAX_PHONE_INPUT: usize = 64;

/// An e-mail address that parsed; uniqueness is decided on its lower-cased form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        // Octets, as RFC 5321 counts them: the lower-cased address is part of a sort key.
        if raw.len() > MAX_EMAIL {
            return Err(format!("must be at most {MAX_EMAIL} bytes"));
        }
        EmailAddress::parse_with_options(
            raw,
            Options::default()
                .without_display_text()
                .without_domain_literal()
                .with_required_tld(),
        )
        .map(|_| Self(raw.to_string()))
        .map_err(|_| "must be a valid e-mail address".to_string())
    }

    /// The key under which uniqueness is enforced.
    pub fn unique_key(&self) -> String {
        self.0.to_lowercase()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A phone number in E.164, parsed from any international notation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, String> {
        const HINT: &str =
            "must be an international phone number starting with + and a country code";
        // No notation of a real number is this long; the parser need not see longer input.
        if raw.len() > MAX_PHONE_INPUT {
            return Err(format!("must be at most {MAX_PHONE_INPUT} characters"));
        }
        super::phone::e164(raw.trim())
            .map(Self)
            .ok_or_else(|| HINT.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_in_many_international_notations_become_e164() {
        for (raw, e164) in [
            ("+4917012345678", "+4917012345678"),
            ("+44 20 7946 0958", "+442079460958"),
            ("+1 (415) 555-2671", "+14155552671"),
            ("+33.1.23.45.67.89", "+33123456789"),
        ] {
            assert_eq!(
                Phone::parse(raw).map(|p| p.0),
                Ok(e164.to_string()),
                "{raw}"
            );
        }
        for bad in ["12345", "+1", "call me", "+999 123", "0170 1234567"] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_emails_are_refused() {
        for bad in [
            "plain",
            "a@",
            "@b.com",
            "John <j@x.com>",
            "a@b",
            "a b@c.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        assert!(Email::parse("a.b+tag@sub.example.org").is_ok());
    }
}

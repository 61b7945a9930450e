//! `Report`: reading a request body into a draft, collecting every problem so that one answer
//! names them all, with the API's split: 400 for what cannot be read, 422 for what breaks a rule.

use serde_json::{Map, Value};

use super::{MAX_DESCRIPTION, READ_ONLY_FIELDS, is_hidden};
use crate::error::{ApiError, Problem};

/// Collects problems while a body is read, so every bad field is reported in one answer.
#[derive(Default)]
pub(crate) struct Report {
    malformed: Vec<Problem>,
    broken: Vec<Problem>,
}

impl Report {
    /// The body's members, after refusing a non-object (400), unknown members (400) and
    /// read-only members (422).
    pub(crate) fn start<'a>(
        body: &'a Value,
        writable: &[&str],
    ) -> Result<(&'a Map<String, Value>, Self), ApiError> {
        let Value::Object(object) = body else {
            return Err(ApiError::Malformed(vec![Problem::general(
                "the body must be a JSON object",
            )]));
        };
        let mut report = Self::default();
        for key in object.keys() {
            if READ_ONLY_FIELDS.contains(&key.as_str()) {
                report.unprocessable(key, "is read-only");
            } else if !writable.contains(&key.as_str()) {
                report.malformed(key, "is not a known field");
            }
        }
        Ok((object, report))
    }

    /// A trimmed text that must be given and not blank.
    pub(crate) fn required_text(
        &mut self,
        object: &Map<String, Value>,
        field: &str,
        max: usize,
    ) -> Option<String> {
        let text = self.text(object, field, max);
        if text.is_none() && self.is_clean_for(field) {
            self.unprocessable(field, "is required");
        }
        text
    }

    pub(crate) fn malformed(&mut self, field: &str, message: &str) {
        self.malformed.push(Problem::field(field, message));
    }

    pub(crate) fn unprocessable(&mut self, field: &str, message: &str) {
        self.broken.push(Problem::field(field, message));
    }

    fn is_clean_for(&self, field: &str) -> bool {
        !self
            .malformed
            .iter()
            .chain(&self.broken)
            .any(|p| p.field.as_deref() == Some(field))
    }

    pub(crate) fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        result
            .map_err(|message| self.unprocessable(field, &message))
            .ok()
    }

    /// A string member; absent and `null` are both "not given".
    pub(crate) fn string<'a>(
        &mut self,
        object: &'a Map<String, Value>,
        field: &str,
    ) -> Option<&'a str> {
        match object.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(text),
            Some(_) => {
                self.malformed(field, "must be a string");
                None
            }
        }
    }

    /// A trimmed single-line text of at most `max` characters; empty text counts as not given.
    pub(crate) fn text(
        &mut self,
        object: &Map<String, Value>,
        field: &str,
        max: usize,
    ) -> Option<String> {
        self.checked_text(object, field, max, false)
    }

    /// A description: like `text`, up to `MAX_DESCRIPTION` characters, line breaks and tabs
    /// allowed.
    pub(crate) fn description(&mut self, object: &Map<String, Value>) -> Option<String> {
        self.checked_text(object, "description", MAX_DESCRIPTION, true)
    }

    /// No text may hold control (but a description's line breaks), bidirectional or zero-width
    /// characters, so a name cannot look like another one it is not (`Friends` and
    /// `Friends\u{200B}` would be two "unique" group names).
    fn checked_text(
        &mut self,
        object: &Map<String, Value>,
        field: &str,
        max: usize,
        multiline: bool,
    ) -> Option<String> {
        let text = self.string(object, field)?.trim();
        if text.chars().count() > max {
            self.unprocessable(field, &format!("must be at most {max} characters"));
            return None;
        }
        if text.chars().any(|c| is_hidden(c, multiline)) {
            self.unprocessable(
                field,
                "must not contain control, bidirectional or zero-width characters",
            );
            return None;
        }
        (!text.is_empty()).then(|| text.to_string())
    }

    pub(crate) fn finish(self) -> Result<(), ApiError> {
        if !self.malformed.is_empty() {
            Err(ApiError::Malformed(self.malformed))
        } else if !self.broken.is_empty() {
            Err(ApiError::Unprocessable(self.broken))
        } else {
            Ok(())
        }
    }
}

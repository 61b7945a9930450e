//! The names of a resource's fields: every one as `fields=` selects them, a name matched
//! case-insensitively (or as an alias), and a body with its aliases renamed.

use std::borrow::Cow;

use serde_json::Value;

use super::READ_ONLY_FIELDS;
use crate::error::ApiError;

/// Every field name of a resource, as `fields=` selects them: `id`, the writable fields, then
/// the other read-only ones.
pub fn field_names(writable: &'static [&'static str]) -> impl Iterator<Item = &'static str> {
    READ_ONLY_FIELDS[..1]
        .iter()
        .chain(writable)
        .chain(&READ_ONLY_FIELDS[1..])
        .copied()
}

/// The canonical name of a field of a resource (read-only, writable, or an alias of one),
/// matched case-insensitively.
pub fn canonical_field(
    name: &str,
    writable: &'static [&'static str],
    aliases: &'static [(&'static str, &'static str)],
) -> Option<&'static str> {
    field_names(writable)
        .find(|field| field.eq_ignore_ascii_case(name))
        .or_else(|| {
            aliases
                .iter()
                .find(|(alias, _)| alias.eq_ignore_ascii_case(name))
                .map(|(_, field)| *field)
        })
}

/// A body with every alias member renamed to its field; a body that gives both is a 400.
pub fn resolve_aliases<'a>(
    body: &'a Value,
    aliases: &[(&str, &str)],
) -> Result<Cow<'a, Value>, ApiError> {
    let Value::Object(object) = body else {
        return Ok(Cow::Borrowed(body));
    };
    if !aliases.iter().any(|(alias, _)| object.contains_key(*alias)) {
        return Ok(Cow::Borrowed(body));
    }
    let mut renamed = object.clone();
    for (alias, field) in aliases {
        if let Some(value) = renamed.remove(*alias) {
            if renamed.contains_key(*field) {
                return Err(ApiError::malformed(
                    *alias,
                    format!("is another name of {field}; give one of them"),
                ));
            }
            renamed.insert((*field).to_string(), value);
        }
    }
    Ok(Cow::Owned(Value::Object(renamed)))
}

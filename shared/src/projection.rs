//! How a resource is returned: the `fields=` / `$select=` projection (which members), and under
//! `/api/v1` the aliases added to it.

use serde_json::Value;

use crate::error::ApiError;
use crate::http::{BasePath, Query};
use crate::resource::{Resource, canonical_field, field_names};

/// Query parameters every endpoint that returns contacts takes.
pub const PROJECTION_PARAMETERS: [&str; 2] = ["fields", "$select"];

/// The member every resource also carries under `/api/v1`: its id, under the name (`_id`) that
/// clients of that base path read.
pub const ID_ALIAS: &str = "_id";

/// How a resource is returned: the `fields=` / `$select=` projection (which members), and under
/// `/api/v1` the aliases added to it.
#[derive(Debug, Clone, Default)]
pub struct Projection {
    selected: Option<Vec<&'static str>>,
    base: BasePath,
    aliases: &'static [(&'static str, &'static str)],
}

impl Projection {
    /// Reads the projection of a `T`; names (and aliases) match case-insensitively, unknown
    /// names are a 400.
    pub fn parse<T: Resource>(query: &Query) -> Result<Self, ApiError> {
        let selected = Self::selected(query, T::WRITABLE_FIELDS, T::ALIASES)?;
        Ok(Self {
            selected,
            base: query.base(),
            aliases: T::ALIASES,
        })
    }

    /// The base path the request came in on.
    pub fn base(&self) -> BasePath {
        self.base
    }

    /// The names of every `fields=` and `$select=` together, each value comma-separated: a
    /// client may repeat the parameter (`fields=name&fields=email`, as generated clients send
    /// a list) or give both names, and the union is returned. An empty name (`fields=`,
    /// `name,,email`) is unknown.
    fn selected(
        query: &Query,
        writable: &'static [&'static str],
        aliases: &'static [(&'static str, &'static str)],
    ) -> Result<Option<Vec<&'static str>>, ApiError> {
        let mut selected = vec!["id"];
        let mut given = false;
        for (param, raw) in PROJECTION_PARAMETERS
            .iter()
            .flat_map(|param| query.all(param).map(move |raw| (*param, raw)))
        {
            given = true;
            for name in raw.split(',').map(str::trim) {
                let Some(canonical) = canonical_field(name, writable, aliases) else {
                    let known: Vec<&str> = field_names(writable)
                        .chain(aliases.iter().map(|(alias, _)| *alias))
                        .collect();
                    return Err(ApiError::malformed(
                        param,
                        format!("unknown field '{name}'; known: {}", known.join(", ")),
                    ));
                };
                if !selected.contains(&canonical) {
                    selected.push(canonical);
                }
            }
        }
        Ok(given.then_some(selected))
    }

    /// A resource as JSON text with only the selected members: serialized once when there is
    /// nothing to select or add, through a `Value` otherwise.
    pub fn select(
        &self,
        resource: &impl serde::Serialize,
    ) -> Result<Box<serde_json::value::RawValue>, ApiError> {
        if self.selected.is_none() && self.base == BasePath::V1 {
            return crate::envelope::raw(resource);
        }
        let value = serde_json::to_value(resource).map_err(ApiError::internal)?;
        crate::envelope::raw(&self.apply(value))
    }

    /// Keeps only the selected members of an object; under `/api/v1` adds `_id` and the
    /// aliases of the members it kept.
    pub fn apply(&self, value: Value) -> Value {
        let Value::Object(mut object) = value else {
            return value;
        };
        if let Some(selected) = &self.selected {
            object.retain(|key, _| selected.contains(&key.as_str()));
        }
        if self.base == BasePath::ApiV1 {
            let id_alias = [(ID_ALIAS, "id")];
            for (alias, field) in id_alias.iter().chain(self.aliases) {
                if let Some(value) = object.get(*field).cloned() {
                    object.insert((*alias).to_string(), value);
                }
            }
        }
        Value::Object(object)
    }
}

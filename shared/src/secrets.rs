//! Secrets given as Secrets Manager ids (`JWT_SECRET_ARN`, `CURSOR_SECRET_ARN`): read once at
//! start-up in one round trip (`GetSecretValue` for one, `BatchGetSecretValue` for both), and
//! kept for the life of the process. No secret value is ever in the function's environment on
//! AWS, and a function is only given the secrets it uses.

use aws_config::SdkConfig;
use aws_sdk_secretsmanager::error::DisplayErrorContext;

use crate::config::{Config, ConfigError, Secret};

/// Secrets read from Secrets Manager are keys: shorter ones are refused at start-up.
pub const MIN_STORED_LENGTH: usize = 32;

/// Replaces every secret given by id with its value. Builds no client when there is none.
pub async fn resolve(config: &mut Config, sdk: &SdkConfig) -> Result<(), ConfigError> {
    let mut stored: Vec<(&'static str, String, &mut Secret)> = config
        .secrets_mut()
        .filter_map(|secret| match secret {
            Secret::Stored { variable, id } => Some((*variable, id.clone(), secret)),
            Secret::Value(_) => None,
        })
        .collect();
    if stored.is_empty() {
        return Ok(());
    }
    let client = aws_sdk_secretsmanager::Client::new(sdk);
    let values = match stored.as_slice() {
        [(variable, id, _)] => vec![read_one(&client, variable, id).await?],
        _ => read_all(&client, &stored).await?,
    };
    for ((variable, _, secret), value) in stored.iter_mut().zip(values) {
        if value.chars().count() < MIN_STORED_LENGTH {
            return Err(ConfigError::Invalid(
                variable,
                format!(
                    "the secret's string value must be at least {MIN_STORED_LENGTH} characters"
                ),
            ));
        }
        **secret = Secret::Value(value);
    }
    Ok(())
}

async fn read_one(
    client: &aws_sdk_secretsmanager::Client,
    variable: &'static str,
    id: &str,
) -> Result<String, ConfigError> {
    let output = client
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .map_err(|err| failed(variable, &DisplayErrorContext(&err).to_string()))?;
    Ok(output.secret_string().unwrap_or_default().to_string())
}

/// The values of every stored secret, in order, in one `BatchGetSecretValue`; a secret it
/// could not read fails with its own variable's name.
async fn read_all(
    client: &aws_sdk_secretsmanager::Client,
    stored: &[(&'static str, String, &mut Secret)],
) -> Result<Vec<String>, ConfigError> {
    let ids: Vec<String> = stored.iter().map(|(_, id, _)| id.clone()).collect();
    let output = client
        .batch_get_secret_value()
        .set_secret_id_list(Some(ids))
        .send()
        .await
        .map_err(|err| {
            let names: Vec<&str> = stored.iter().map(|(variable, _, _)| *variable).collect();
            failed(
                names[0],
                &format!("{} (with {names:?})", DisplayErrorContext(&err)),
            )
        })?;
    let named = |entry_arn: Option<&str>, entry_name: Option<&str>, id: &str| {
        entry_arn == Some(id) || entry_name == Some(id)
    };
    stored
        .iter()
        .map(|(variable, id, _)| {
            if let Some(error) = output.errors().iter().find(|e| e.secret_id() == Some(id)) {
                let reason = format!(
                    "{}: {}",
                    error.error_code().unwrap_or("error"),
                    error.message().unwrap_or_default()
                );
                return Err(failed(variable, &reason));
            }
            output
                .secret_values()
                .iter()
                .find(|entry| named(entry.arn(), entry.name(), id))
                .map(|entry| entry.secret_string().unwrap_or_default().to_string())
                .ok_or_else(|| failed(variable, "Secrets Manager did not return it"))
        })
        .collect()
}

fn failed(variable: &'static str, reason: &str) -> ConfigError {
    ConfigError::Invalid(variable, format!("reading it failed: {reason}"))
}

//! Secrets given as Secrets Manager ids (`JWT_SECRET_ARN`, `CURSOR_SECRET_ARN`): read once at
//! start-up, all at once, and kept for the life of the process. No secret value is ever in the
//! function's environment on AWS, and a function is only given the secrets it uses.

use aws_config::SdkConfig;
use aws_sdk_secretsmanager::error::DisplayErrorContext;

use crate::config::{Config, ConfigError, Secret};

/// Secrets read from Secrets Manager are keys: shorter ones are refused at start-up.
pub const MIN_STORED_LENGTH: usize = 32;

/// Replaces every secret given by id with its value. Builds no client when there is none.
pub async fn resolve(config: &mut Config, sdk: &SdkConfig) -> Result<(), ConfigError> {
    let mut stored: Vec<&mut Secret> = config
        .secrets_mut()
        .filter(|secret| matches!(secret, Secret::Stored { .. }))
        .collect();
    if stored.is_empty() {
        return Ok(());
    }
    let client = aws_sdk_secretsmanager::Client::new(sdk);
    futures::future::try_join_all(stored.iter_mut().map(|secret| read(&client, secret))).await?;
    Ok(())
}

async fn read(
    client: &aws_sdk_secretsmanager::Client,
    secret: &mut Secret,
) -> Result<(), ConfigError> {
    let Secret::Stored { variable, id } = secret else {
        return Ok(());
    };
    let variable = *variable;
    let output = client
        .get_secret_value()
        .secret_id(id.as_str())
        .send()
        .await
        .map_err(|err| {
            ConfigError::Invalid(
                variable,
                format!("reading it failed: {}", DisplayErrorContext(&err)),
            )
        })?;
    let value = output.secret_string().unwrap_or_default();
    if value.chars().count() < MIN_STORED_LENGTH {
        return Err(ConfigError::Invalid(
            variable,
            format!("the secret's string value must be at least {MIN_STORED_LENGTH} characters"),
        ));
    }
    *secret = Secret::Value(value.to_string());
    Ok(())
}

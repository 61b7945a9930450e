//! What a function builds once per process (`App`: the store, the authenticator, the cursor key)
//! and the one SDK configuration every binary and test uses.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

use lambda_http::http::HeaderMap;

use crate::auth::Authenticator;
use crate::config::{Config, ConfigError};
use crate::cursor::CursorKey;
use crate::error::ApiError;
use crate::identity::{Principal, Scope};
use crate::store::Store;

/// What a function builds once per process and lends to every request.
pub struct App {
    pub store: Store,
    pub auth: Authenticator,
    pub cursors: CursorKey,
    /// How old a change entry must be before the feed returns it.
    pub changes_settle: Duration,
}

impl App {
    /// Reads the configuration and builds the one DynamoDB client of the process. The endpoint
    /// comes from the SDK's own settings (`AWS_ENDPOINT_URL_DYNAMODB` locally), so the code has
    /// no "is local" branch.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let config = Config::from_env()?;
        let app = Self::new(&config, aws_sdk_dynamodb::Client::new(&sdk_config().await))?;
        if config.prewarm {
            app.store.prewarm().await;
        }
        Ok(app)
    }

    pub fn new(config: &Config, client: aws_sdk_dynamodb::Client) -> Result<Self, ConfigError> {
        Ok(Self {
            store: Store::new(client, &config.table_name),
            auth: Authenticator::from_config(config)?,
            cursors: CursorKey::new(&config.cursor_secret),
            changes_settle: config.changes_settle,
        })
    }

    /// The caller, if its credentials are valid and cover `needed`.
    pub async fn authorize(
        &self,
        headers: &HeaderMap,
        needed: Scope,
    ) -> Result<Principal, ApiError> {
        let principal = self.auth.authorize(headers, needed, &self.store).await?;
        crate::observe::note_tenant(principal.tenant.as_str());
        Ok(principal)
    }
}

/// The longest a DynamoDB call may take, retries included: under the functions' 10 s timeout.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(6);

/// The SDK configuration every binary and test uses: the usual environment and profile chain,
/// with an HTTPS client on rustls and ring (smaller than the SDK's default aws-lc client).
pub async fn sdk_config() -> SdkConfig {
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    // Below the functions' 10 s timeout, so a hung call answers 503 in the envelope instead of
    // the runtime killing the invocation.
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_attempt_timeout(Duration::from_secs(2))
        .operation_timeout(OPERATION_TIMEOUT)
        .build();
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client)
        .timeout_config(timeouts)
        .load()
        .await
}

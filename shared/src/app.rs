//! What a function builds once per process (`App`: the store, the authenticator, the cursor key)
//! and the one SDK configuration every binary and test uses.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};

use lambda_http::http::HeaderMap;

use crate::auth::Authenticator;
use crate::config::{Config, ConfigError, Needs};
use crate::cursor::CursorKey;
use crate::error::ApiError;
use crate::identity::{Principal, Scope};
use crate::store::Store;

/// What a function builds once per process and lends to every request.
pub struct App {
    pub store: Store,
    pub auth: Authenticator,
    /// Only the functions that page are given a cursor secret (`App::cursors`).
    cursors: Option<CursorKey>,
    /// How old a change entry must be before the feed returns it.
    pub changes_settle: Duration,
    /// The time since the epoch (the feed's settle time and retention go by it).
    pub clock: fn() -> Duration,
    /// How long a deleted contact stays in the trash; zero: deletes are for good.
    pub trash_retention: Duration,
}

impl App {
    /// Reads the configuration and builds the one DynamoDB client of the process. The endpoint
    /// comes from the SDK's own settings (`AWS_ENDPOINT_URL_DYNAMODB` locally), so the code has
    /// no "is local" branch.
    /// Start-up stops, naming the variable, without a secret the function `needs`.
    ///
    /// The secrets (Secrets Manager) and the DynamoDB connection (prewarm) are read at once;
    /// then, with a JWKS URL, the first fetch of the key set.
    pub async fn from_env(needs: Needs) -> Result<Self, ConfigError> {
        let mut config = Config::from_env()?;
        config.require(needs)?;
        let sdk = sdk_config().await;
        let client = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&sdk)
                .interceptor(crate::store::CapacityMeter)
                .build(),
        );
        let store = Store::new(client.clone(), &config.table_name);
        let prewarm_on = config.prewarm;
        let prewarm = async {
            if prewarm_on {
                store.prewarm().await;
            }
        };
        let (resolved, ()) = tokio::join!(crate::secrets::resolve(&mut config, &sdk), prewarm);
        resolved?;
        let app = Self::new(&config, client)?;
        app.auth.load_keys().await;
        Ok(app)
    }

    pub fn new(config: &Config, client: aws_sdk_dynamodb::Client) -> Result<Self, ConfigError> {
        let cursors = match &config.cursor_secret {
            Some(secret) => Some(CursorKey::new(secret.value()?)),
            None => None,
        };
        Ok(Self {
            store: Store::new(client, &config.table_name),
            auth: Authenticator::from_config(config)?,
            cursors,
            changes_settle: config.changes_settle,
            clock: config.clock,
            trash_retention: config.trash_retention,
        })
    }

    /// The key list cursors are signed with; the functions that page do not start without it
    /// (`Needs::TOKEN_AND_CURSOR_KEYS`), so the 500 is for a handler that pages unexpectedly.
    pub fn cursors(&self) -> Result<&CursorKey, ApiError> {
        self.cursors
            .as_ref()
            .ok_or_else(|| ApiError::Internal("this function has no cursor secret".into()))
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
/// with the project's HTTPS client (`https`: rustls on ring, compiled-in roots; smaller than the
/// SDK's default aws-lc client, and nothing read from disk at start-up).
pub async fn sdk_config() -> SdkConfig {
    let http_client = crate::https::SdkHttpClient::shared();
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

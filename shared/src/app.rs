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

/// The SDK configuration every function and test uses: the settings DynamoDB and Secrets Manager
/// use (region, endpoint URLs, retries, timeouts, FIPS and dual-stack endpoints), read from the
/// environment and the shared config file by aws-config's own providers, with the project's
/// HTTPS client (`https`: rustls on ring, compiled-in roots) and the two credential sources
/// Lambda uses (`lambda_credentials`).
///
/// It is built from aws-config's parts instead of `aws_config::defaults(..).load()` because `load`
/// links its whole default credentials chain (profiles, SSO, web identity, IMDS and STS: about
/// 380 KiB of code) into every function, whatever provider is given. The operators' tool, run
/// where a profile may hold the credentials, uses `sdk_config_with_profiles`.
pub async fn sdk_config() -> SdkConfig {
    use aws_config::default_provider::{
        endpoint_url, ignore_configured_endpoint_urls, retry_config, timeout_config,
        use_dual_stack, use_fips,
    };
    use aws_config::environment::EnvironmentVariableRegionProvider;
    use aws_config::meta::region::RegionProviderChain;
    use aws_config::profile::ProfileFileRegionProvider;
    use aws_config::provider_config::ProviderConfig;

    let http_client = crate::https::SdkHttpClient::shared();
    let conf = ProviderConfig::default()
        .with_http_client(http_client.clone())
        .with_behavior_version(Some(BehaviorVersion::latest()));
    let use_fips = use_fips::use_fips_provider(&conf).await;
    let use_dual_stack = use_dual_stack::use_dual_stack_provider(&conf).await;
    let conf = conf
        .with_use_fips(use_fips)
        .with_use_dual_stack(use_dual_stack);
    // As aws-config's chain, less EC2's instance metadata, which Lambda never needs: it sets
    // AWS_REGION in every environment.
    let region = RegionProviderChain::first_try(EnvironmentVariableRegionProvider::new())
        .or_else(
            ProfileFileRegionProvider::builder()
                .configure(&conf)
                .build(),
        )
        .region()
        .await;
    let conf = conf.with_region(region.clone());
    let mut timeouts = timeouts();
    timeouts.take_defaults_from(
        &timeout_config::default_provider()
            .configure(&conf)
            .timeout_config()
            .await,
    );
    let retries = retry_config::default_provider()
        .configure(&conf)
        .retry_config()
        .await;
    let conf = conf
        .with_retry_config(retries.clone())
        .with_timeout_config(timeouts.clone());
    let ignore_endpoints =
        ignore_configured_endpoint_urls::ignore_configured_endpoint_urls_provider(&conf)
            .await
            .unwrap_or_default();
    let (endpoint_url, endpoint_origin) = if ignore_endpoints {
        (None, aws_types::origin::Origin::unknown())
    } else {
        endpoint_url::endpoint_url_provider_with_origin(&conf).await
    };
    let profiles = aws_config::profile::load(
        &aws_types::os_shim_internal::Fs::real(),
        &aws_types::os_shim_internal::Env::real(),
        &aws_runtime::env_config::file::EnvConfigFiles::default(),
        None,
    )
    .await
    .unwrap_or_default();
    let mut builder = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(http_client)
        .region(region)
        .timeout_config(timeouts)
        .retry_config(retries)
        .identity_cache(aws_config::identity::IdentityCache::lazy().build())
        .credentials_provider(lambda_credentials(&conf))
        .service_config(ServiceEndpoints {
            env: aws_types::os_shim_internal::Env::real(),
            profiles,
            ignore_endpoints,
        });
    builder.set_sleep_impl(aws_smithy_async::rt::sleep::default_async_sleep());
    builder.insert_origin("endpoint_url", endpoint_origin);
    builder.set_endpoint_url(endpoint_url);
    builder.set_use_fips(use_fips);
    builder.set_use_dual_stack(use_dual_stack);
    builder.build()
}

/// The credentials a function runs with: the environment's (`AWS_ACCESS_KEY_ID`, … as Lambda sets
/// them for its execution role), else the container credentials endpoint's
/// (`AWS_CONTAINER_CREDENTIALS_FULL_URI`, as Lambda sets it where it refreshes them in a
/// long-lived environment). A profile is not read: to run a function against AWS from a laptop,
/// export the profile's credentials into the environment (docs/operations.md).
fn lambda_credentials(
    conf: &aws_config::provider_config::ProviderConfig,
) -> aws_credential_types::provider::SharedCredentialsProvider {
    use aws_config::ecs::EcsCredentialsProvider;
    use aws_config::environment::EnvironmentVariableCredentialsProvider;
    use aws_config::meta::credentials::CredentialsProviderChain;

    aws_credential_types::provider::SharedCredentialsProvider::new(
        CredentialsProviderChain::first_try(
            "Environment",
            EnvironmentVariableCredentialsProvider::new(),
        )
        .or_else(
            "EcsContainer",
            EcsCredentialsProvider::builder().configure(conf).build(),
        ),
    )
}

/// A service's own endpoint URL (`AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_SECRETS_MANAGER`,
/// or a `services` section of the shared config file), looked up as aws-config's own (private)
/// type does, unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is set.
#[derive(Debug)]
struct ServiceEndpoints {
    env: aws_types::os_shim_internal::Env,
    profiles: aws_config::profile::ProfileSet,
    ignore_endpoints: bool,
}

impl aws_types::service_config::LoadServiceConfig for ServiceEndpoints {
    fn load_config(&self, key: aws_types::service_config::ServiceConfigKey<'_>) -> Option<String> {
        if self.ignore_endpoints && key.env() == "AWS_ENDPOINT_URL" {
            return None;
        }
        let (value, _source) = aws_runtime::env_config::EnvConfigValue::new()
            .env(key.env())
            .profile(key.profile())
            .service_id(key.service_id())
            .load(&self.env, Some(&self.profiles))?;
        Some(value.into_owned())
    }
}

/// The SDK configuration of the operators' tool (`admin`): aws-config's whole default chain, so a
/// profile, SSO login or assumed role on the operator's machine gives the credentials.
pub async fn sdk_config_with_profiles() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(crate::https::SdkHttpClient::shared())
        .timeout_config(timeouts())
        .load()
        .await
}

/// Below the functions' 10 s timeout, so a hung call answers 503 in the envelope instead of the
/// runtime killing the invocation.
fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_attempt_timeout(Duration::from_secs(2))
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

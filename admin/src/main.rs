//! `admin`: API keys for `Authorization: Basic`, and the search and sort index's backfill. Talks
//! to the table named by `TABLE_NAME` with the SDK's usual settings (credentials, region,
//! `AWS_ENDPOINT_URL_DYNAMODB` locally).
//!
//!   admin create-key <tenant> <scope>[,<scope>...]   prints keyId:secret once
//!   admin list-keys <tenant>                          ids, scopes and dates, never secrets
//!   admin revoke-key <keyId>
//!   admin reindex                                     indexes every stored contact (idempotent)

use std::process::ExitCode;

use shared::apikey::ApiKey;
use shared::clock::now;
use shared::identity::TenantId;
use shared::store::Store;

const USAGE: &str = "usage:
  admin create-key <tenant> <scope>[,<scope>...]   (scopes: contacts:read, contacts:write)
  admin list-keys <tenant>
  admin revoke-key <keyId>
  admin reindex   (after upgrading a deployment that already holds contacts)";

/// How many contacts the backfill indexes at once.
const REINDEX_CONCURRENCY: usize = 8;

const SCOPES: [&str; 2] = ["contacts:read", "contacts:write"];

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &[String]) -> Result<(), String> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let table = std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME is required".to_string())?;
    let sdk = shared::sdk_config_with_profiles().await;
    let store = Store::new(aws_sdk_dynamodb::Client::new(&sdk), table);
    match words.as_slice() {
        ["create-key", tenant, scopes] => {
            let tenant = tenant_id(tenant)?;
            let scopes: Vec<String> = scopes
                .split([',', ' '])
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            if scopes.is_empty() || scopes.iter().any(|s| !SCOPES.contains(&s.as_str())) {
                return Err(format!("scopes must be among {}", SCOPES.join(", ")));
            }
            let now = now();
            let (key, secret) =
                ApiKey::generate(&tenant, scopes, &now).map_err(|e| e.to_string())?;
            store
                .put_api_key(&key)
                .await
                .map_err(|e| format!("{e:?}"))?;
            eprintln!(
                "API key for tenant {} ({}). The secret is shown only now:",
                key.tenant,
                key.scopes.join(" ")
            );
            println!("{}:{secret}", key.key_id);
            Ok(())
        }
        ["list-keys", tenant] => {
            let keys = store
                .list_api_keys(&tenant_id(tenant)?)
                .await
                .map_err(|e| format!("{e:?}"))?;
            for key in keys {
                println!(
                    "{}\t{}\t{}",
                    key.key_id,
                    key.scopes.join(" "),
                    key.created_at
                );
            }
            Ok(())
        }
        ["revoke-key", key_id] => {
            let tenant = key_id
                .split_once('.')
                .and_then(|(tenant, _)| TenantId::parse(tenant))
                .ok_or_else(|| "not a key id".to_string())?;
            if store
                .delete_api_key(&tenant, key_id)
                .await
                .map_err(|e| format!("{e:?}"))?
            {
                eprintln!(
                    "revoked {key_id}; warm functions stop accepting it within the key cache time (60 s by default)"
                );
                Ok(())
            } else {
                Err(format!("no key {key_id}"))
            }
        }
        ["reindex"] => {
            let done = store
                .reindex_all(REINDEX_CONCURRENCY)
                .await
                .map_err(|e| format!("{e:?}"))?;
            eprintln!(
                "indexed {} contacts; {} changed while it ran and were indexed by their own write",
                done.indexed, done.changed_meanwhile
            );
            Ok(())
        }
        _ => Err(USAGE.to_string()),
    }
}

fn tenant_id(raw: &str) -> Result<TenantId, String> {
    TenantId::parse(raw).ok_or_else(|| "a tenant is [A-Za-z0-9_-]{1,64}".to_string())
}

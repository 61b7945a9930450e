//! The one HTTPS client of every outbound call (the AWS SDK's: DynamoDB, Secrets Manager; and the
//! JWKS fetch): rustls on ring, trusting Mozilla's root certificates compiled into the binary
//! (`webpki-roots`), or the system's with `TLS_ROOTS=system`.
//!
//! The SDK's own rustls client reads the system's roots when it is built, at start-up: every
//! file of the certificate folder and the bundle, some hundreds of certificates parsed, about
//! 3 to 5 ms of each cold start (docs/performance.md). The compiled-in roots are trust anchors
//! already: nothing is read or parsed. A deployment behind a private CA (a proxy, a VPC
//! endpoint with its own certificate) sets `TLS_ROOTS=system` and adds its CA to the system's
//! store (or points `SSL_CERT_FILE` at a bundle that holds it).

use std::collections::HashMap;
use std::error::Error as StdError;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::Response;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::ErrorKind;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector as TcpConnector;
use hyper_util::rt::TokioExecutor;

/// `TLS_ROOTS`: `bundled` (the default) or `system`.
pub const TLS_ROOTS_VAR: &str = "TLS_ROOTS";

/// Which root certificates a TLS connection trusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Roots {
    /// Mozilla's, compiled in (`webpki-roots`): nothing read at start-up.
    Bundled,
    /// The system's (`SSL_CERT_FILE`, `SSL_CERT_DIR`, or the platform's usual places).
    System,
}

impl Roots {
    /// From `TLS_ROOTS`; anything but `bundled` or `system` is an error (`Config::from_env`
    /// stops the function with it).
    pub fn from_env() -> Result<Self, String> {
        Self::parse(std::env::var(TLS_ROOTS_VAR).ok().as_deref())
    }

    /// A value of `TLS_ROOTS`: unset or empty is `bundled`.
    pub fn parse(value: Option<&str>) -> Result<Self, String> {
        match value {
            None | Some("" | "bundled") => Ok(Self::Bundled),
            Some("system") => Ok(Self::System),
            Some(other) => Err(format!("bundled or system, not {other:?}")),
        }
    }

    /// The root store: the compiled-in anchors, or the system's certificates that parse.
    pub fn store(self) -> rustls::RootCertStore {
        match self {
            Self::Bundled => rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            },
            Self::System => {
                let found = rustls_native_certs::load_native_certs();
                if !found.errors.is_empty() {
                    tracing::warn!(errors = ?found.errors, "reading the system's root certificates");
                }
                let mut store = rustls::RootCertStore::empty();
                store.add_parsable_certificates(found.certs);
                store
            }
        }
    }
}

/// The TLS configuration of every outbound connection, made once per process. An invalid
/// `TLS_ROOTS` has already stopped a function (`Config::from_env`); elsewhere (the admin
/// command) it is logged and the compiled-in roots are used.
pub fn tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = Roots::from_env().unwrap_or_else(|err| {
                tracing::error!("{err}; using the bundled roots");
                Roots::Bundled
            });
            let config = rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .map(|builder| {
                builder
                    .with_root_certificates(roots.store())
                    .with_no_client_auth()
            })
            // ring supports every safe default version: this cannot fail.
            .unwrap_or_else(|_| unreachable_config());
            Arc::new(config)
        })
        .clone()
}

#[cold]
fn unreachable_config() -> rustls::ClientConfig {
    rustls::ClientConfig::builder()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth()
}

/// An HTTP/1.1 client over `tls_config()` (or plain HTTP for `http://`, as the local stack
/// serves), with `connect_timeout` on the TCP connection.
pub fn client<B>(connect_timeout: Option<Duration>) -> Client<HttpsConnector<TcpConnector>, B>
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
{
    let mut tcp = TcpConnector::new();
    tcp.enforce_http(false);
    tcp.set_nodelay(true);
    tcp.set_connect_timeout(connect_timeout);
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config((*tls_config()).clone())
        .https_or_http()
        .enable_http1()
        .wrap_connector(tcp);
    Client::builder(TokioExecutor::new()).build(https)
}

/// The AWS SDK's HTTP client: one connection pool per connect timeout the SDK asks for.
#[derive(Debug, Default)]
pub struct SdkHttpClient {
    connectors: Mutex<HashMap<Option<Duration>, SharedHttpConnector>>,
}

impl SdkHttpClient {
    pub fn shared() -> SharedHttpClient {
        SharedHttpClient::new(Self::default())
    }
}

impl HttpClient for SdkHttpClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        let timeout = settings.connect_timeout();
        let mut connectors = self
            .connectors
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        connectors
            .entry(timeout)
            .or_insert_with(|| {
                SharedHttpConnector::new(SdkConnector {
                    client: client(timeout),
                })
            })
            .clone()
    }
}

#[derive(Debug)]
struct SdkConnector {
    client: Client<HttpsConnector<TcpConnector>, SdkBody>,
}

impl HttpConnector for SdkConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let request = match request.try_into_http1x() {
            Ok(request) => request,
            Err(err) => return HttpConnectorFuture::ready(Err(ConnectorError::user(err.into()))),
        };
        let response = self.client.request(request);
        HttpConnectorFuture::new(async move {
            match response.await {
                Ok(response) => Response::try_from(response.map(SdkBody::from_body_1_x))
                    .map_err(|err| ConnectorError::other(err.into(), None)),
                Err(err) => Err(connector_error(err)),
            }
        })
    }
}

/// What the SDK's retry logic needs to know of a failed exchange, as the SDK's own client
/// classifies it: a connection that could not be made, was closed or reset, or an I/O error is
/// `io` (retried as transient); a timeout is `timeout`; a request hyper refused is `user`.
fn connector_error(err: hyper_util::client::legacy::Error) -> ConnectorError {
    if err.is_connect() {
        return ConnectorError::io(err.into());
    }
    let hyper = find::<hyper::Error>(&err);
    let io = find::<std::io::Error>(&err).is_some();
    match hyper {
        Some(h) if h.is_timeout() => ConnectorError::timeout(err.into()),
        Some(h) if h.is_user() => ConnectorError::user(err.into()),
        Some(h) if h.is_closed() || h.is_canceled() => ConnectorError::io(err.into()),
        _ if io => ConnectorError::io(err.into()),
        Some(h) if h.is_incomplete_message() => {
            ConnectorError::other(err.into(), Some(ErrorKind::TransientError))
        }
        _ => ConnectorError::other(err.into(), None),
    }
}

fn find<'a, E: StdError + 'static>(err: &'a (dyn StdError + 'static)) -> Option<&'a E> {
    let mut next = Some(err);
    while let Some(err) = next {
        if let Some(found) = err.downcast_ref::<E>() {
            return Some(found);
        }
        next = err.source();
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn tls_roots_is_bundled_or_system_and_nothing_else() {
        assert_eq!(Roots::parse(None), Ok(Roots::Bundled));
        assert_eq!(Roots::parse(Some("")), Ok(Roots::Bundled));
        assert_eq!(Roots::parse(Some("bundled")), Ok(Roots::Bundled));
        assert_eq!(Roots::parse(Some("system")), Ok(Roots::System));
        for wrong in ["System", "native", " system"] {
            assert!(Roots::parse(Some(wrong)).is_err(), "{wrong}");
        }
    }

    #[test]
    fn the_system_roots_are_read_from_the_machine() {
        // Debian's store, on this machine and in CI: at least one certificate parses.
        assert!(!Roots::System.store().is_empty());
    }

    #[test]
    fn the_bundled_roots_are_mozillas_and_need_no_file() {
        let store = Roots::Bundled.store();
        assert_eq!(store.roots.len(), webpki_roots::TLS_SERVER_ROOTS.len());
        assert!(store.roots.len() > 100, "{}", store.roots.len());
    }

    #[test]
    fn a_connection_refused_is_retried_as_io() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        // A port nothing listens on: bind one, then free it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = runtime.block_on(async {
            let client =
                client::<http_body_util::Empty<bytes::Bytes>>(Some(Duration::from_secs(1)));
            let uri: hyper::Uri = format!("http://127.0.0.1:{port}/").parse().unwrap();
            client.get(uri).await.unwrap_err()
        });
        assert!(connector_error(err).is_io());
    }
}

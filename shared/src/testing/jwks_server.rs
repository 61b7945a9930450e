//! An identity provider's JWKS endpoint on loopback: serves whatever document it is given (or a
//! 500), and counts the fetches.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The RS256 test key (`tests/fixtures/rs256-test-*.pem`) as a JWKS document, `kid` test-key-1.
pub fn test_jwks() -> serde_json::Value {
    let text = include_str!("../../tests/fixtures/rs256-test-jwks.json");
    serde_json::from_str(text).unwrap()
}

/// The test key's set with the key under other `kid`s too (a provider that rotated).
pub fn test_jwks_with_kids(kids: &[&str]) -> serde_json::Value {
    let key = test_jwks()["keys"][0].clone();
    let keys: Vec<_> = kids
        .iter()
        .map(|kid| {
            let mut key = key.clone();
            key["kid"] = (*kid).into();
            key
        })
        .collect();
    serde_json::json!({ "keys": keys })
}

#[derive(Clone)]
pub struct JwksServer {
    pub url: String,
    document: Arc<Mutex<Option<String>>>,
    fetches: Arc<AtomicUsize>,
}

impl JwksServer {
    /// Serves `document` at `/jwks` until the process ends.
    pub fn start(document: &serde_json::Value) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let server = Self {
            url: format!("http://{}/jwks", listener.local_addr().unwrap()),
            document: Arc::new(Mutex::new(Some(document.to_string()))),
            fetches: Arc::new(AtomicUsize::new(0)),
        };
        let shared = server.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request);
                shared.fetches.fetch_add(1, Ordering::SeqCst);
                let document = shared.document.lock().unwrap().clone();
                let (status, body) = match document {
                    Some(body) => ("200 OK", body),
                    None => ("500 Internal Server Error", String::new()),
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        server
    }

    /// Serves `document` from now on; `None` answers 500.
    pub fn serve(&self, document: Option<&serde_json::Value>) {
        *self.document.lock().unwrap() = document.map(|d| d.to_string());
    }

    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

/// An RS256 token signed with the test key, naming `kid` (or none), with the given claims.
pub fn rs256_token(kid: Option<&str>, claims: &serde_json::Value) -> String {
    crate::jwt::install();
    let key = include_str!("../../tests/fixtures/rs256-test-private.pem");
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = kid.map(str::to_string);
    jsonwebtoken::encode(
        &header,
        claims,
        &jsonwebtoken::EncodingKey::from_rsa_pem(key.as_bytes()).unwrap(),
    )
    .unwrap()
}

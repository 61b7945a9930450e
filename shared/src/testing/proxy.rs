//! A proxy on loopback in front of the local moto server (every AWS service the tests use) that
//! holds every request `delay` before passing it on (each read of a request, which is one read
//! for the SDK's small requests) and counts the requests. How the batch tests check that a batch
//! answers by its deadline however slow DynamoDB is, the secrets test that start-up reads its
//! keys in one round trip, and the credentials test which access key signed the calls.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct MotoProxy {
    /// The endpoint to give a client instead of moto's.
    pub url: String,
    seen: Arc<Seen>,
}

/// What the proxy saw of the requests it forwarded.
#[derive(Default)]
struct Seen {
    requests: AtomicUsize,
    access_keys: Mutex<Vec<String>>,
}

impl MotoProxy {
    /// Forwards to moto (`AWS_ENDPOINT_URL_DYNAMODB`) until the process ends.
    pub fn start(delay: Duration) -> Self {
        let upstream = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap();
        let upstream = upstream.trim_start_matches("http://").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Seen::default());
        let counted = seen.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let client_in = client.try_clone().unwrap();
                let server_out = server.try_clone().unwrap();
                let counted = counted.clone();
                std::thread::spawn(move || pipe(client_in, server_out, Some((delay, counted))));
                std::thread::spawn(move || pipe(server, client, None));
            }
        });
        Self { url, seen }
    }

    /// The requests forwarded so far (their request lines).
    pub fn requests(&self) -> usize {
        self.seen.requests.load(Ordering::SeqCst)
    }

    /// The access key ids of the SigV4 signatures forwarded so far (`Credential=<id>/...`).
    pub fn access_keys(&self) -> Vec<String> {
        self.seen.access_keys.lock().unwrap().clone()
    }
}

/// Copies `from` to `to` until either closes; for requests, sleeps the delay before each chunk
/// and counts the request lines.
fn pipe(mut from: TcpStream, mut to: TcpStream, requests: Option<(Duration, Arc<Seen>)>) {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some((delay, seen)) = &requests {
            let chunk = &buffer[..n];
            let lines = chunk.windows(10).filter(|w| *w == b"HTTP/1.1\r\n").count();
            seen.requests.fetch_add(lines, Ordering::SeqCst);
            let text = String::from_utf8_lossy(chunk);
            for signed in text.split("Credential=").skip(1) {
                let key = signed.split('/').next().unwrap_or_default().to_string();
                seen.access_keys.lock().unwrap().push(key);
            }
            std::thread::sleep(*delay);
        }
        if to.write_all(&buffer[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Both);
}

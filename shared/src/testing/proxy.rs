//! A proxy on loopback in front of the local moto server (every AWS service the tests use) that
//! holds every request `delay` before passing it on (each read of a request, which is one read
//! for the SDK's small requests) and counts the requests. How the batch tests check that a batch
//! answers by its deadline however slow DynamoDB is, and the secrets test that start-up reads
//! its keys in one round trip.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub struct MotoProxy {
    /// The endpoint to give a client instead of moto's.
    pub url: String,
    requests: Arc<AtomicUsize>,
}

impl MotoProxy {
    /// Forwards to moto (`AWS_ENDPOINT_URL_DYNAMODB`) until the process ends.
    pub fn start(delay: Duration) -> Self {
        let upstream = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap();
        let upstream = upstream.trim_start_matches("http://").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let counted = requests.clone();
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
        Self { url, requests }
    }

    /// The requests forwarded so far (their request lines).
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// Copies `from` to `to` until either closes; for requests, sleeps the delay before each chunk
/// and counts the request lines.
fn pipe(mut from: TcpStream, mut to: TcpStream, requests: Option<(Duration, Arc<AtomicUsize>)>) {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some((delay, count)) = &requests {
            let lines = buffer[..n]
                .windows(10)
                .filter(|w| *w == b"HTTP/1.1\r\n")
                .count();
            count.fetch_add(lines, Ordering::SeqCst);
            std::thread::sleep(*delay);
        }
        if to.write_all(&buffer[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Both);
}

//! A slow DynamoDB: a TCP proxy on loopback in front of the local one that holds every request
//! `delay` before passing it on (each read of a request, which is one read for DynamoDB's small
//! requests). How the batch tests check that a batch answers by its deadline however long each
//! of its DynamoDB calls takes.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

pub struct SlowDynamo {
    /// The endpoint to give a client instead of the local DynamoDB's.
    pub url: String,
}

impl SlowDynamo {
    /// Forwards to the local DynamoDB (`AWS_ENDPOINT_URL_DYNAMODB`) until the process ends.
    pub fn start(delay: Duration) -> Self {
        let upstream = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap();
        let upstream = upstream.trim_start_matches("http://").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let (client_in, server_out) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || pipe(client_in, server_out, Some(delay)));
                std::thread::spawn(move || pipe(server, client, None));
            }
        });
        Self { url }
    }
}

/// Copies `from` to `to` until either closes, sleeping `delay` before each chunk when given.
fn pipe(mut from: TcpStream, mut to: TcpStream, delay: Option<Duration>) {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some(delay) = delay {
            std::thread::sleep(delay);
        }
        if to.write_all(&buffer[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Both);
}

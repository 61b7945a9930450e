//! The real function binaries behind `cargo lambda watch` (the router in Cargo.toml, as
//! `make dev` serves them), driven over HTTP: shared by the end-to-end tests.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use ureq::Agent;

pub const SECRET: &str = "e2e-secret";

/// `cargo lambda watch` in its own process group, stopped with everything it started on drop.
pub struct Emulator {
    child: Child,
    pub base: String,
    log: std::path::PathBuf,
}

impl Emulator {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// With `env` over the test configuration; an empty value removes the variable.
    pub fn start_with(env: &[(&str, &str)]) -> Self {
        assert!(
            std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_ok(),
            "AWS_ENDPOINT_URL_DYNAMODB is unset: run the tests with `make test`"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log_path = std::env::temp_dir().join(format!("e2e-watch-{port}.log"));
        let log = std::fs::File::create(&log_path).unwrap();
        let mut command = Command::new("cargo");
        command
            .args([
                "lambda",
                "watch",
                "--ignore-changes",
                "--invoke-address",
                "127.0.0.1",
            ])
            .args(["--invoke-port", &port.to_string()])
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .env("JWT_SECRET", SECRET)
            .env("CURSOR_SECRET", "e2e-cursor-secret")
            .env("API_KEY_CACHE_SECONDS", "0")
            // As on AWS (the template's LoggingConfig): JSON log lines.
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON");
        for (name, value) in env {
            if value.is_empty() {
                command.env_remove(name);
            } else {
                command.env(name, value);
            }
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("cargo lambda is on PATH (make tools installs it into .venv/bin)");
        let emulator = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log: log_path,
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "cargo lambda watch did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        emulator
    }
}

impl Emulator {
    /// Everything the emulator and the functions wrote so far (stdout and stderr).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.child.wait();
    }
}

use std::os::unix::process::CommandExt;

pub struct Answer {
    pub status: u16,
    pub headers: ureq::http::HeaderMap,
    pub body: Value,
}

pub fn send(
    agent: &Agent,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Answer {
    let mut request = ureq::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(body.unwrap_or_default().to_string()).unwrap();
    let mut response = agent.run(request).unwrap();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    Answer {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
    }
}

/// Runs the admin command as an operator would, and returns what it printed.
pub fn admin(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO"))
        .args(["run", "-q", "-p", "admin", "--"])
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "admin {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

pub fn token(tenant: &str) -> String {
    shared::testing::signed_token(SECRET, json!({"tenant": tenant}))
}

/// An HTTP client that hands back 4xx and 5xx answers instead of failing on them.
pub fn agent() -> Agent {
    Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into()
}

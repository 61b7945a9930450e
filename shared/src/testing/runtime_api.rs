//! The Lambda Runtime API on loopback, for one function process: hands the queued invocations
//! to every `/next` poll, as many at once as the process asks for, collects each answer by its
//! request id, and counts how many invocations were in the process at once.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A function's debug binary, every function built once per test run as `make test` builds them
/// before its tests (`cargo build --workspace --bins`, the same features: a no-op there, and
/// never stale here). Without the variables `cargo test` gives a test (`CARGO_MANIFEST_DIR`, …):
/// ring's build script reruns when `CARGO_MANIFEST_DIR` changes, and with it every crate above it.
fn function_binary(function: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let root = BUILT.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut build = Command::new(env!("CARGO"));
        build
            .args(["build", "--quiet", "--workspace", "--bins"])
            .current_dir(&root);
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            let given_to_tests = [
                "CARGO_MANIFEST_",
                "CARGO_PKG_",
                "CARGO_CRATE_",
                "CARGO_BIN_",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "CARGO_RUSTC_CURRENT_DIR",
            ];
            if given_to_tests.iter().any(|prefix| name.starts_with(prefix)) {
                build.env_remove(name.as_ref());
            }
        }
        let built = build.status().unwrap();
        assert!(built.success(), "cargo build --workspace --bins");
        root
    });
    root.join("target/debug").join(function)
}

/// A function's process as Lambda starts it, on `api`, with its DynamoDB calls sent to `dynamodb`
/// and tokens signed with `testing::SECRET`: one invocation at a time
/// (`AWS_LAMBDA_MAX_CONCURRENCY` unset), standard input closed. The caller adds the rest of its
/// environment and where the output goes.
pub fn function_command(function: &str, api: &RuntimeApi, dynamodb: &str) -> Command {
    let mut command = Command::new(function_binary(function));
    command
        .env("AWS_LAMBDA_RUNTIME_API", &api.address)
        .env("AWS_LAMBDA_FUNCTION_NAME", function)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_ENDPOINT_URL_DYNAMODB", dynamodb)
        .env("JWT_SECRET", super::SECRET)
        .env("CURSOR_SECRET", "test-cursor-secret")
        .env_remove("AWS_LAMBDA_MAX_CONCURRENCY")
        .stdin(Stdio::null());
    command
}

/// An HTTP API (payload 2.0) event reading contact `id`, with API Gateway's request id
/// `gateway_id`.
pub fn get_contact_event(gateway_id: &str, authorization: &str, id: &str) -> Value {
    let path = format!("/v1/contacts/{id}");
    json!({
        "version": "2.0",
        "routeKey": "GET /v1/contacts/{id}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"authorization": authorization, "host": "api.example.com"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "test",
            "domainName": "api.example.com",
            "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": "test"},
            "requestId": gateway_id,
            "routeKey": "GET /v1/contacts/{id}",
            "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": 1_767_225_600_000_u64,
        },
        "pathParameters": {"id": id},
        "isBase64Encoded": false,
    })
}

#[derive(Default)]
struct State {
    queued: VecDeque<(String, Value)>,
    answers: HashMap<String, Value>,
    in_flight: usize,
    most_in_flight: usize,
}

#[derive(Clone)]
pub struct RuntimeApi {
    /// `host:port`, for `AWS_LAMBDA_RUNTIME_API`.
    pub address: String,
    state: Arc<(Mutex<State>, Condvar)>,
}

impl RuntimeApi {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let api = Self {
            address: listener.local_addr().unwrap().to_string(),
            state: Arc::default(),
        };
        let serving = api.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let api = serving.clone();
                std::thread::spawn(move || api.serve(stream));
            }
        });
        api
    }

    /// Queues an invocation with `request_id`.
    pub fn invoke(&self, request_id: &str, event: Value) {
        let (state, changed) = &*self.state;
        let mut state = state.lock().unwrap();
        state.queued.push_back((request_id.to_string(), event));
        changed.notify_all();
    }

    /// Every answer so far, once there are `count` (or `timeout` has passed), by request id.
    pub fn answers(&self, count: usize, timeout: Duration) -> HashMap<String, Value> {
        let (state, changed) = &*self.state;
        let deadline = Instant::now() + timeout;
        let mut state = state.lock().unwrap();
        while state.answers.len() < count && Instant::now() < deadline {
            state = changed
                .wait_timeout(state, deadline.saturating_duration_since(Instant::now()))
                .unwrap()
                .0;
        }
        state.answers.clone()
    }

    /// The most invocations handed out and not yet answered, at any one time.
    pub fn most_in_flight(&self) -> usize {
        self.state.0.lock().unwrap().most_in_flight
    }

    /// One connection: its requests, one after another, until the process closes it.
    fn serve(&self, stream: TcpStream) {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut writer = stream;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let path = line
                .split_whitespace()
                .nth(1)
                .unwrap_or_default()
                .to_string();
            let mut length = 0;
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 {
                    return;
                }
                if header.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                return;
            }
            let reply = if path.ends_with("/invocation/next") {
                let (id, event) = self.next();
                let body = event.to_string();
                format!(
                    "HTTP/1.1 200 OK\r\nlambda-runtime-aws-request-id: {id}\r\n\
                     lambda-runtime-deadline-ms: {}\r\n\
                     lambda-runtime-invoked-function-arn: arn:aws:lambda:us-east-1:123456789012:function:test\r\n\
                     content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                    deadline_ms(),
                    body.len()
                )
            } else {
                if let Some(id) = path
                    .strip_suffix("/response")
                    .or_else(|| path.strip_suffix("/error"))
                    .and_then(|rest| rest.rsplit('/').next())
                {
                    let answer = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    self.answered(id, answer);
                }
                "HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\n\r\n{}".to_string()
            };
            if writer.write_all(reply.as_bytes()).is_err() {
                return;
            }
        }
    }

    /// Waits for a queued invocation and hands it out.
    fn next(&self) -> (String, Value) {
        let (state, changed) = &*self.state;
        let mut state = state.lock().unwrap();
        loop {
            if let Some(invocation) = state.queued.pop_front() {
                state.in_flight += 1;
                state.most_in_flight = state.most_in_flight.max(state.in_flight);
                return invocation;
            }
            state = changed.wait(state).unwrap();
        }
    }

    fn answered(&self, id: &str, answer: Value) {
        let (state, changed) = &*self.state;
        let mut state = state.lock().unwrap();
        state.in_flight = state.in_flight.saturating_sub(1);
        state.answers.insert(id.to_string(), answer);
        changed.notify_all();
    }
}

fn deadline_ms() -> u128 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    (now + Duration::from_secs(60)).as_millis()
}

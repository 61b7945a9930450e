//! What operators see of each request: one structured log line (JSON on AWS, where
//! `AWS_LAMBDA_LOG_FORMAT=JSON`) and CloudWatch metrics in the embedded metric format (EMF), both
//! written by `lambda::handle`. Neither ever holds a token, a secret or a body. The tenant is
//! noted by authentication into a per-request slot (`note_tenant`), so the line can name it, and
//! so is the DynamoDB capacity the request consumed (`note_capacity`).

use std::cell::RefCell;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use lambda_http::tracing::subscriber::filter::{LevelFilter, Targets};
use lambda_http::tracing::subscriber::layer::SubscriberExt;
use lambda_http::tracing::subscriber::util::SubscriberInitExt;
use lambda_http::tracing::subscriber::{fmt, registry};

tokio::task_local! {
    static NOTES: RefCell<Notes>;
}

/// What a request's handler notes for its log line and metrics.
#[derive(Debug, Default, Clone)]
pub struct Notes {
    /// The authenticated tenant.
    pub tenant: Option<String>,
    /// DynamoDB capacity units the request consumed, reads and writes.
    pub capacity_units: f64,
}

/// The namespace of the functions' metrics.
pub const NAMESPACE: &str = "ContactsApi";

static COLD: AtomicBool = AtomicBool::new(true);
static METRICS: OnceLock<&'static metrics_cloudwatch_embedded::Collector> = OnceLock::new();
/// Held while one request's metrics are recorded and flushed (`metrics_documents`).
static FLUSHING: Mutex<()> = Mutex::new(());

/// The application log level: `LOG_LEVEL` (the template's `LogLevel`), else Lambda's
/// `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`, else INFO. The template keeps Lambda's own filter at
/// INFO (DEBUG when `LogLevel` is): Lambda reads a JSON line without a `level`, as every EMF
/// metrics document is, as INFO, so a WARN or ERROR filter there would drop every metric. The
/// level is applied here, in the process, to the log lines only.
pub fn log_level(var: impl Fn(&str) -> Option<String>) -> String {
    ["LOG_LEVEL", "AWS_LAMBDA_LOG_LEVEL", "RUST_LOG"]
        .iter()
        .find_map(|name| var(name).filter(|value| !value.is_empty()))
        .unwrap_or_else(|| "info".into())
}

/// Sets up logging and metrics once per process: the Lambda runtime's log format
/// (`AWS_LAMBDA_LOG_FORMAT`) and the level of `log_level`, with the runtime's own crates capped
/// at DEBUG: at TRACE they log whole events, `Authorization` headers included. Metrics go to
/// stdout as EMF after each request, whatever the level.
pub fn init(function: &str) {
    let filter = log_filter(&log_level(|name| std::env::var(name).ok()));
    let layer = fmt::layer()
        .with_target(false)
        .without_time()
        .with_writer(std::io::stdout);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let installed = if json {
        registry().with(filter).with(layer.json()).try_init()
    } else {
        registry().with(filter).with(layer).try_init()
    };
    if let Err(err) = installed {
        eprintln!("logging was already set up: {err}");
    }
    let collector = metrics_cloudwatch_embedded::Builder::new()
        .cloudwatch_namespace(NAMESPACE)
        .with_dimension("Function", function.to_string())
        .init();
    match collector {
        Ok(collector) => {
            metrics::describe_histogram!("Latency", metrics::Unit::Milliseconds, "request latency");
            metrics::describe_histogram!(
                "ConsumedCapacity",
                metrics::Unit::Count,
                "DynamoDB capacity units a request consumed"
            );
            let _ = METRICS.set(collector);
        }
        Err(err) => tracing::warn!(error = %err, "metrics are off"),
    }
}

/// The crates that log whole events, `Authorization` headers included, at TRACE.
const CAPPED_AT_DEBUG: [&str; 3] = ["lambda_runtime", "lambda_http", "lambda_runtime_api_client"];

/// The filter of a `log_level`: a level (`info`) or tracing's target directives
/// (`shared=debug,info`), with INFO for what it does not name; the runtime's crates never above DEBUG nor above
/// the default level. A target filter (`Targets`), not an `EnvFilter`: that one's span and field
/// matching brings a DFA regex compiler into every binary.
pub fn log_filter(level: &str) -> Targets {
    let parsed = level
        .parse::<Targets>()
        .unwrap_or_else(|_| Targets::new().with_default(LevelFilter::INFO));
    let default = parsed.default_level().unwrap_or(LevelFilter::INFO);
    let mut filter = Targets::new().with_default(default);
    for (target, level) in &parsed {
        filter = filter.with_target(target, level);
    }
    for capped in CAPPED_AT_DEBUG {
        let level = parsed
            .iter()
            .find(|(target, _)| *target == capped)
            .map_or(default, |(_, level)| level);
        filter = filter.with_target(capped, level.min(LevelFilter::DEBUG));
    }
    filter
}

/// Runs one request with a slot for its notes.
pub async fn with_notes<F: std::future::Future>(request: F) -> (F::Output, Notes) {
    NOTES
        .scope(RefCell::new(Notes::default()), async {
            let output = request.await;
            let notes = NOTES.with(|slot| slot.borrow().clone());
            (output, notes)
        })
        .await
}

/// Notes the authenticated tenant of the current request, if it runs in a slot.
pub fn note_tenant(tenant: &str) {
    let _ = NOTES.try_with(|slot| slot.borrow_mut().tenant = Some(tenant.to_string()));
}

/// Adds DynamoDB capacity the current request consumed, if it runs in a slot.
pub fn note_capacity(units: f64) {
    let _ = NOTES.try_with(|slot| slot.borrow_mut().capacity_units += units);
}

/// True for the first request of the process only.
pub fn take_cold_start() -> bool {
    COLD.swap(false, Ordering::Relaxed)
}

/// What one request did, as the log line and the metrics say it.
#[derive(Debug)]
pub struct RequestRecord<'a> {
    pub route: &'a str,
    pub method: &'a str,
    pub tenant: Option<&'a str>,
    pub status: u16,
    pub code: Option<&'static str>,
    pub latency_ms: f64,
    pub capacity_units: f64,
    pub request_id: &'a str,
    pub lambda_request_id: Option<&'a str>,
    pub cold_start: bool,
}

/// Writes the request's log line and, where metrics are on, its EMF document.
pub fn record(request: &RequestRecord<'_>) {
    tracing::info!(
        route = request.route,
        method = request.method,
        tenant = request.tenant.unwrap_or("-"),
        status = request.status,
        code = request.code.unwrap_or("-"),
        latency_ms = request.latency_ms,
        capacity_units = request.capacity_units,
        request_id = request.request_id,
        lambda_request_id = request.lambda_request_id.unwrap_or("-"),
        cold_start = request.cold_start,
        "request"
    );
    let written = match metrics_documents(request) {
        Some(Ok(documents)) => std::io::stdout().write_all(&documents),
        Some(Err(err)) => Err(err),
        None => return,
    };
    if let Err(err) = written {
        tracing::warn!(error = %err, "metrics were not written");
    }
}

/// The request's EMF documents (one per set of dimensions), where metrics are on; `record`
/// writes them with one call, so no log line lands inside one. The collector adds up every
/// metric recorded until it is flushed, and its properties are the process's: with invocations
/// side by side, one request's documents could hold another's counts and request id, so
/// recording and flushing happen under one lock.
pub fn metrics_documents(request: &RequestRecord<'_>) -> Option<std::io::Result<Vec<u8>>> {
    let collector = METRICS.get()?;
    let _one_request = FLUSHING.lock().unwrap_or_else(PoisonError::into_inner);
    record_metrics(request);
    let mut documents = Vec::with_capacity(1024);
    let flushed = collector
        .set_property("RequestId", request.request_id.to_string())
        .flush(&mut documents);
    Some(flushed.map(|()| documents))
}

/// Records the request's metrics in the collector (under `FLUSHING`).
fn record_metrics(request: &RequestRecord<'_>) {
    let route = request.route.to_string();
    metrics::counter!("Requests", "Route" => route.clone()).increment(1);
    metrics::histogram!("Latency", "Route" => route.clone()).record(request.latency_ms);
    if request.capacity_units > 0.0 {
        metrics::histogram!("ConsumedCapacity", "Route" => route.clone())
            .record(request.capacity_units);
    }
    let class = match request.status {
        400..=499 => Some("ClientErrors"),
        500..=599 => Some("ServerErrors"),
        _ => None,
    };
    if let (Some(class), Some(code)) = (class, request.code) {
        metrics::counter!(class, "Route" => route, "Code" => code).increment(1);
    }
    if request.cold_start {
        metrics::counter!("ColdStarts").increment(1);
    }
}

#[cfg(test)]
mod tests {
    use super::{log_filter, log_level};
    use lambda_http::tracing::Level;

    #[test]
    fn the_templates_log_level_wins_over_lambdas_filter_and_rust_log() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_string())
            }
        };
        assert_eq!(
            log_level(env(&[
                ("LOG_LEVEL", "WARN"),
                ("AWS_LAMBDA_LOG_LEVEL", "INFO")
            ])),
            "WARN"
        );
        assert_eq!(
            log_level(env(&[("AWS_LAMBDA_LOG_LEVEL", "DEBUG")])),
            "DEBUG"
        );
        assert_eq!(
            log_level(env(&[("LOG_LEVEL", ""), ("RUST_LOG", "error")])),
            "error"
        );
        assert_eq!(log_level(env(&[])), "info");
    }

    #[test]
    fn the_runtimes_crates_never_log_above_debug_nor_above_the_level() {
        let enabled = |level: &str, target: &str| {
            let filter = log_filter(level);
            [
                Level::ERROR,
                Level::WARN,
                Level::INFO,
                Level::DEBUG,
                Level::TRACE,
            ]
            .into_iter()
            .filter(|at| filter.would_enable(target, at))
            .count()
        };
        // ERROR, WARN, INFO, DEBUG, TRACE: how many of the five a target logs.
        for (level, shared, runtime) in [
            ("info", 3, 3),
            ("INFO", 3, 3),
            ("WARN", 2, 2),
            ("debug", 4, 4),
            ("trace", 5, 4),
            ("lambda_runtime=trace,lambda_http=trace,trace", 5, 4),
            ("shared=debug,warn", 4, 2),
            ("shared=debug", 4, 3),
            ("off", 0, 0),
            ("not a level at all!", 3, 3),
        ] {
            assert_eq!(enabled(level, "shared::lambda"), shared, "{level}: shared");
            for target in [
                "lambda_runtime::layers",
                "lambda_http",
                "lambda_runtime_api_client",
            ] {
                assert_eq!(enabled(level, target), runtime, "{level}: {target}");
            }
        }
    }
}

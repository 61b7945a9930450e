//! `cargo run -p xtask -- generate` (make generate) writes every file derived from the route
//! table; `… -- check` lists the stale ones and fails.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let command = std::env::args().nth(1).unwrap_or_default();
    let outcome = match command.as_str() {
        "generate" => xtask::write(&root).map(|changed| {
            for path in &changed {
                println!("wrote {}", path.display());
            }
            if changed.is_empty() {
                println!("every generated file is current");
            }
            let unknown = xtask::unknown_crates(&root).unwrap_or_default();
            for name in &unknown {
                eprintln!("functions/{name} is not in shared/src/routes/table.rs: remove it");
            }
            unknown.is_empty()
        }),
        "check" => xtask::stale(&root).map(|stale| {
            for line in &stale {
                eprintln!("{line}; run `make generate`");
            }
            stale.is_empty()
        }),
        _ => Err("usage: xtask generate | check".into()),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("{err}");
            ExitCode::FAILURE
        }
    }
}

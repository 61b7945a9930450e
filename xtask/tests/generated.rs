//! The files derived from the route table are as `make generate` writes them: a function added
//! to the table without `make generate`, or a generated part edited by hand, fails here.

#[test]
fn the_generated_files_are_current() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let stale = xtask::stale(&root).unwrap();
    assert!(
        stale.is_empty(),
        "{}; run `make generate`",
        stale.join("; ")
    );
}

//! The bounds a patched document is held to while a JSON Patch applies, and how they are
//! measured: its JSON text's length, its depth (without recursion) and a pointer's segments.

use json_patch::PatchOperation;
use serde_json::Value;

/// The bounds a patched document is held to while the operations apply.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The most bytes of its JSON text.
    pub max_bytes: usize,
    /// The most levels of nesting (a scalar alone is 1, `{"a": 1}` is 2), and the most
    /// segments of a pointer.
    pub max_depth: usize,
}

impl Limits {
    /// No bound (the conformance vectors).
    pub const NONE: Limits = Limits {
        max_bytes: usize::MAX,
        max_depth: usize::MAX,
    };
}

/// The pointers an operation names: its `path`, and the `from` of a move or copy.
pub(super) fn pointers_of(operation: &PatchOperation) -> impl Iterator<Item = &str> {
    let from = match operation {
        PatchOperation::Move(op) => Some(op.from.as_str()),
        PatchOperation::Copy(op) => Some(op.from.as_str()),
        _ => None,
    };
    std::iter::once(operation.path().as_str()).chain(from)
}

/// How many segments a JSON Pointer has (`""` none, `/a/b` two).
pub(super) fn segments(pointer: &str) -> usize {
    pointer.bytes().filter(|b| *b == b'/').count()
}

/// How deep a value nests (a scalar is 1, `{"a": [1]}` is 3), found without recursion.
pub fn depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut pending = vec![(value, 1)];
    while let Some((value, level)) = pending.pop() {
        deepest = deepest.max(level);
        match value {
            Value::Array(items) => pending.extend(items.iter().map(|item| (item, level + 1))),
            Value::Object(members) => pending.extend(members.values().map(|v| (v, level + 1))),
            _ => {}
        }
    }
    deepest
}

/// The length of a value's JSON text, counted without building it.
pub fn json_size(value: &Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    match serde_json::to_writer(&mut counter, value) {
        Ok(()) => counter.0,
        Err(_) => usize::MAX,
    }
}

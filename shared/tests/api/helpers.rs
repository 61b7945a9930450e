//! The test toolkit lives in `shared::testing` (feature `testing`), shared with the cost test
//! and the benchmark.

pub use shared::testing::*;

//! The scripted HTTP/1.1 server on 127.0.0.1 (`test_support::server`, from the
//! workspace's `test-support` crate), and a way to read a recorded body as JSON.

use serde_json::Value;
// Not every test binary that includes this file uses every name.
#[allow(unused_imports)]
pub(crate) use test_support::server::{closed_port, Recorded, Reply, TestServer};

/// Reads a recorded request's body as JSON.
pub(crate) trait Json {
    /// The body as JSON; panics if it is not.
    fn json(&self) -> Value;
}

impl Json for Recorded {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }
}

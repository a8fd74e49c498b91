//! `sessions` integration tests: the real app on a free port, driven over HTTP as a client would.

// Helpers of a test binary may fail loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common_endpoints;
mod communities;
mod flow;
mod helpers;
mod nonce;
mod refusals;
mod replay;
mod restart;
mod round_trips;
mod route_table;
mod sdk_interop;

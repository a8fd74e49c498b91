//! `users-mgmt` integration tests: the real app on a free port, driven over HTTP as a client would.

mod common_endpoints;
mod helpers;

//! Kit integration tests: the envelope extractor driven over HTTP, and the ephemeral-store contract.

mod ephemeral_contract;
mod helpers;
mod wire_over_http;

//! The BlockID wire protocol, shared by every service and by service-to-service clients.
//!
//! - [`keys`]: secp256k1 / P-256 keys in the wire encoding, ECDH, ECDSA;
//! - [`cipher`]: AES-256-GCM with a 16-byte IV, `base64(iv || ciphertext || tag)`;
//! - [`wire`]: header names, the `requestid` document, sealed bodies;
//! - [`server`]: the actix extractors that verify a request and the sealed reply;
//! - [`client`]: a reqwest client that signs requests as the helper SDKs do;
//! - [`deser`]: request input read with errors that name the field, never the value;
//! - [`jws`]: JWTs signed with a service key (ES256K / ES256);
//! - [`error`]: the `{statusCode, error, message}` error shape.

pub mod cipher;
pub mod client;
pub mod deser;
pub mod error;
pub mod jws;
pub mod keys;
pub mod server;
pub mod wire;

pub use cipher::{CipherError, SharedKey};
pub use client::{Client, ClientError, Peer, Reply};
pub use error::{ApiError, ErrorBody};
pub use keys::{Curve, KeyError, KeyPair, PrivateKey, PublicKey};
pub use server::{Body, Caller, Envelope, LicenseKey, OptionalCaller, PlainLicense, ReplayGuard, Sealed};
pub use wire::{RequestId, SignedHeaders};

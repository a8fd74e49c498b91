//! `blockid-call`: one request to a BlockID service as the helper SDKs make it, for operators
//! and the README's walk-through. It fetches the service's public key, signs the `requestid`,
//! encrypts the license key and (unless `--plain`) the body, and prints the reply opened:
//!
//! ```text
//! blockid-call --license "$KEY" PUT http://127.0.0.1:8081/tenant/$T/community/$C/module/create '{"type":"db","name":"Users"}'
//! ```
//!
//! The first line printed is the status; then the JSON reply (decrypted when it was sealed).
//! `--authorization <jwt>` sends a login's access token to the adminapi endpoints that need one.
//! A fresh key pair is made for each call unless `--private-key` gives one (base64 scalar).

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use envelope::{Client, Curve, KeyPair};

/// One signed request to a BlockID service.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// The license key, sent encrypted in `licensekey` (or set BLOCKID_LICENSE).
    #[arg(long, env = "BLOCKID_LICENSE", hide_env_values = true)]
    license: Option<String>,
    /// `secp256k1` (default) or `prime256v1`, as the service's EC_CURVE_NAME.
    #[arg(long, env = "EC_CURVE_NAME", default_value = "secp256k1")]
    curve: String,
    /// The caller's private key (base64); a fresh one by default.
    #[arg(long, env = "BLOCKID_PRIVATE_KEY", hide_env_values = true)]
    private_key: Option<String>,
    /// An access JWT (from adminapi's `POST /verifyuser`), sent as `authorization: Bearer <jwt>`
    /// (or set BLOCKID_AUTHORIZATION).
    #[arg(long, env = "BLOCKID_AUTHORIZATION", hide_env_values = true)]
    authorization: Option<String>,
    /// Send the body as plain JSON (the reference's preview) instead of sealed.
    #[arg(long)]
    plain: bool,
    /// GET, PUT, POST, PATCH or DELETE.
    method: String,
    /// The full URL: service base URL and path.
    url: String,
    /// The JSON body.
    body: Option<String>,
}

fn split(url: &str) -> Result<(String, String), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("url: {e}"))?;
    let base = format!("{}://{}", parsed.scheme(), parsed.host_str().ok_or("url: no host")?);
    let base = match parsed.port() {
        Some(p) => format!("{base}:{p}"),
        None => base,
    };
    let path = match parsed.query() {
        Some(q) => format!("{}?{q}", parsed.path()),
        None => parsed.path().to_owned(),
    };
    Ok((base, path))
}

async fn run(cli: Cli) -> Result<(u16, serde_json::Value), String> {
    let curve = Curve::from_name(&cli.curve).map_err(|_| "--curve must be secp256k1 or prime256v1")?;
    let keys = match &cli.private_key {
        Some(k) => KeyPair::from_private_base64(curve, k).map_err(|e| format!("--private-key: {e}"))?,
        None => KeyPair::generate(curve).map_err(|e| e.to_string())?,
    };
    let mut client = Client::new(Arc::new(keys)).map_err(|e| e.to_string())?.app_id("blockid-call");
    if let Some(license) = &cli.license {
        client = client.license(license);
    }
    if let Some(token) = cli.authorization.clone() {
        let header = format!("Bearer {}", token.trim());
        client = client.with_headers_from(Arc::new(move |h| h.push(("authorization".into(), header.clone()))));
    }
    let method = reqwest::Method::from_bytes(cli.method.to_ascii_uppercase().as_bytes()).map_err(|_| "bad method")?;
    let body: Option<serde_json::Value> =
        cli.body.as_deref().map(serde_json::from_str).transpose().map_err(|e| format!("the body is not JSON: {e}"))?;
    let (base, path) = split(&cli.url)?;
    let reply = if cli.plain {
        let peer = client.peer(&base).await.map_err(|e| e.to_string())?;
        let headers = client.headers(&peer).map_err(|e| e.to_string())?;
        client.send(method, &base, &path, &headers, body.as_ref(), &peer).await
    } else {
        client.call(method, &base, &path, body.as_ref()).await
    }
    .map_err(|e| e.to_string())?;
    Ok((reply.status, reply.body))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok((status, body)) => {
            println!("{status}");
            println!("{}", serde_json::to_string_pretty(&body).unwrap_or_default());
            if (200..300).contains(&status) { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
        Err(e) => {
            eprintln!("blockid-call: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn a_url_splits_into_base_and_path() {
        assert_eq!(
            split("http://127.0.0.1:8081/tenant/t/community/c/users/fetch?x=1").unwrap(),
            ("http://127.0.0.1:8081".to_owned(), "/tenant/t/community/c/users/fetch?x=1".to_owned())
        );
        assert!(split("not a url").is_err());
    }
}

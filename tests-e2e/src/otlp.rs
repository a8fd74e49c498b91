//! A stand-in OTLP/HTTP collector: accepts `POST /v1/traces` and keeps the bodies it received.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpListener;

/// Requests received: (path, body).
type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// The bodies received, by request path.
#[derive(Debug, Clone, Default)]
pub struct Collector {
    received: Received,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
}

impl Collector {
    /// Starts listening on a free loopback port; it serves until the test process ends.
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let collector = Self { received: Arc::default(), url };
        let received = collector.received.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let received = received.clone();
                tokio::spawn(async move {
                    let mut stream = BufReader::new(stream);
                    // One request per connection is enough for an exporter that reconnects.
                    while let Ok(Some((path, body))) = read_request(&mut stream).await {
                        if let Ok(mut r) = received.lock() {
                            r.push((path, body));
                        }
                        let reply =
                            b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n";
                        if stream.get_mut().write_all(reply).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        Ok(collector)
    }

    /// Whether any request to `path` carried `needle` in its body.
    pub fn saw(&self, path: &str, needle: &[u8]) -> bool {
        self.saw_all(path, &[needle])
    }

    /// Whether one request to `path` carried every one of `needles` in its body.
    pub fn saw_all(&self, path: &str, needles: &[&[u8]]) -> bool {
        let contains = |body: &[u8], n: &[u8]| body.windows(n.len()).any(|w| w == n);
        self.received
            .lock()
            .is_ok_and(|r| r.iter().any(|(p, body)| p == path && needles.iter().all(|n| contains(body, n))))
    }
}

async fn read_request(stream: &mut BufReader<tokio::net::TcpStream>) -> std::io::Result<Option<(String, Vec<u8>)>> {
    let mut line = String::new();
    if stream.read_line(&mut line).await? == 0 {
        return Ok(None);
    }
    let path = line.split_whitespace().nth(1).unwrap_or_default().to_owned();
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        stream.read_line(&mut header).await?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((_, value)) = header.split_once(':').filter(|(n, _)| n.eq_ignore_ascii_case("content-length")) {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).await?;
    Ok(Some((path, body)))
}

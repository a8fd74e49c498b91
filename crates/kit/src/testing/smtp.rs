//! A minimal SMTP server on loopback for tests that check what a service mails: EHLO, AUTH PLAIN,
//! MAIL, RCPT, DATA, QUIT, one message per connection, each reported on a channel.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::sync::mpsc;

/// What the SMTP server saw of one message.
#[derive(Debug)]
pub struct Mail {
    /// The decoded `AUTH PLAIN` credentials (`\0user\0password`), empty without.
    pub auth_plain: String,
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The message, headers and body, dot-unstuffed, lines joined by CRLF.
    pub data: String,
}

/// Starts the server on a free loopback port: the port and the messages it receives.
pub async fn smtp_server() -> (u16, mpsc::UnboundedReceiver<Mail>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                let mut mail = Mail {
                    auth_plain: String::new(),
                    mail_from: String::new(),
                    rcpt_to: Vec::new(),
                    data: String::new(),
                };
                write.write_all(b"220 test.local ESMTP\r\n").await.unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") {
                        b"250-test.local\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n"
                    } else if let Some(initial) = line.strip_prefix("AUTH PLAIN ") {
                        let raw = base64::engine::general_purpose::STANDARD.decode(initial.trim()).unwrap();
                        mail.auth_plain = String::from_utf8(raw).unwrap();
                        b"235 2.7.0 Authentication successful\r\n"
                    } else if upper.starts_with("MAIL FROM:") {
                        mail.mail_from = line[10..].trim().to_owned();
                        b"250 OK\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        mail.rcpt_to.push(line[8..].trim().to_owned());
                        b"250 OK\r\n"
                    } else if upper == "DATA" {
                        write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await.unwrap();
                        let mut data = Vec::new();
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                break;
                            }
                            data.push(l.strip_prefix('.').map(str::to_owned).unwrap_or(l));
                        }
                        mail.data = data.join("\r\n");
                        b"250 OK queued\r\n"
                    } else if upper == "QUIT" {
                        write.write_all(b"221 Bye\r\n").await.unwrap();
                        break;
                    } else {
                        b"250 OK\r\n"
                    };
                    write.write_all(reply).await.unwrap();
                }
                if !mail.data.is_empty() {
                    tx.send(mail).unwrap();
                }
            });
        }
    });
    (port, rx)
}

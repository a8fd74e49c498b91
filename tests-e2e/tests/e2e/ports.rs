//! A service is found by its port, so a start must not take another process's service on that
//! port for its own: parallel tests (in this process or another) may be handed the same port.

use serde_json::json;
use tests_e2e::{StartFailure, free_port, listener_owned_by, start, start_on_free_port};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Answers every connection on `listener` with a healthy `/healthz`, as any service would.
async fn impostor(listener: tokio::net::TcpListener) {
    while let Ok((mut socket, _)) = listener.accept().await {
        tokio::spawn(async move {
            let mut request = [0u8; 1024];
            let _ = socket.read(&mut request).await;
            let body = json!({"code": "200"}).to_string();
            let reply = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
            let _ = socket.write_all(reply.as_bytes()).await;
        });
    }
}

fn sessions_env(dir: &std::path::Path) -> Vec<(String, String)> {
    vec![("DATA_DIR".into(), dir.display().to_string()), ("SERVICE_DIRECTORY".into(), "{}".into())]
}

#[tokio::test]
async fn a_port_another_process_answers_on_is_not_taken_for_the_started_service() {
    let dir = std::env::temp_dir().join(format!("blockid-e2e-ports-{}", uuid::Uuid::new_v4().simple()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let served = tokio::spawn(impostor(listener));

    match start("sessions", port, &sessions_env(&dir)).await {
        Err(StartFailure::PortTaken(why)) => assert!(why.contains(&port.to_string()), "{why}"),
        other => panic!("a healthy answer from another process was taken for the service: {other:?}"),
    }
    // Started anew on a free port, it is its own.
    let sessions = start_on_free_port("sessions", &sessions_env(&dir)).await.unwrap();
    let own = sessions.url.rsplit_once(':').and_then(|(_, p)| p.parse::<u16>().ok()).unwrap();
    assert_ne!(own, port);
    served.abort();
    drop(sessions);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_owner_of_a_listening_socket_is_told_apart() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    assert_eq!(listener_owned_by(std::process::id(), port), Some(true));
    drop(listener);
    assert_eq!(listener_owned_by(std::process::id(), port), Some(false), "nothing listens any more");
    let other = free_port();
    assert_eq!(listener_owned_by(std::process::id(), other), Some(false));
}

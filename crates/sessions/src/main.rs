//! The `sessions` binary: configuration from the environment, then serve.

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    kit::app::run(sessions::SERVICE, sessions::DEFAULT_PORT, sessions::build).await
}

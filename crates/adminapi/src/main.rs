//! The `adminapi` binary: configuration from the environment, then serve.

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    kit::app::run(adminapi::SERVICE, adminapi::DEFAULT_PORT, adminapi::build).await
}

//! The `users-mgmt` binary: configuration from the environment, then serve.

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    kit::app::run(users_mgmt::SERVICE, users_mgmt::DEFAULT_PORT, users_mgmt::build).await
}

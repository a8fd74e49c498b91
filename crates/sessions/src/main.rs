//! The `sessions` binary: configuration from the environment, then serve; `sessions openapi`
//! prints the OpenAPI document instead.

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    if kit::openapi::requested() {
        return kit::openapi::print(&sessions::routes::openapi());
    }
    kit::app::run(sessions::SERVICE, sessions::DEFAULT_PORT, sessions::build).await
}

//! The `users-mgmt` binary: configuration from the environment, then serve; `users-mgmt openapi`
//! prints the OpenAPI document instead.

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    if kit::openapi::requested() {
        return kit::openapi::print(&users_mgmt::routes::openapi());
    }
    kit::app::run(users_mgmt::SERVICE, users_mgmt::DEFAULT_PORT, users_mgmt::build).await
}

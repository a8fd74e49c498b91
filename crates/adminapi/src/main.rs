//! The `adminapi` binary: serve (the default), print the OpenAPI document (`adminapi openapi`), or
//! run a management command (`adminapi --help`).

use clap::Parser as _;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    let cli = adminapi::cli::Cli::parse();
    match cli.command {
        None | Some(adminapi::cli::Command::Serve) => {
            kit::app::run(adminapi::SERVICE, adminapi::DEFAULT_PORT, adminapi::build).await
        }
        Some(adminapi::cli::Command::Openapi) => kit::openapi::print(&adminapi::routes::openapi()),
        Some(command) => {
            let settings = match kit::Settings::from_env(adminapi::SERVICE, adminapi::DEFAULT_PORT) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("adminapi: {e}");
                    return std::process::ExitCode::FAILURE;
                }
            };
            match adminapi::cli::execute(&settings, command).await {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("adminapi: {e}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
    }
}

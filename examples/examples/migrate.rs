//! Live-migrates a small PC between two QEMU processes and prints the
//! migration's events and final figures.
//!
//! ```text
//! cargo run -p qapi-examples --example migrate
//! ```

use std::process::ExitCode;

use qapi_examples::{migrate, process};

#[tokio::main]
async fn main() -> ExitCode {
    let Some(bin) = process::qemu_system() else {
        eprintln!(
            "{}",
            process::not_found(process::QEMU_SYSTEM_VAR, process::QEMU_SYSTEM)
        );
        return ExitCode::FAILURE;
    };
    let options = migrate::Options::new(bin);
    match migrate::run(&options, &mut std::io::stdout()).await {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("migrate: {e}");
            ExitCode::FAILURE
        }
    }
}

//! Serves the COLO fork's checkpoint recorder from a mock QEMU and queries
//! it with the typed client, all in this process.
//!
//! ```text
//! cargo run -p qapi-examples --example colo-monitor
//! ```

use std::process::ExitCode;

use qapi_examples::colo_monitor;

#[tokio::main]
async fn main() -> ExitCode {
    match colo_monitor::run(&mut std::io::stdout()).await {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("colo-monitor: {e}");
            ExitCode::FAILURE
        }
    }
}

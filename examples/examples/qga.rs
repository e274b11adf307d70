//! Starts qemu-ga (or connects to an agent) and runs a short session:
//! resync, `guest-ping`, `guest-info`, `guest-get-host-name`,
//! `guest-get-osinfo`, `guest-get-time`.
//!
//! ```text
//! cargo run -p qapi-examples --example qga
//! cargo run -p qapi-examples --example qga -- /path/to/qga.sock
//! ```

use std::process::ExitCode;

use qapi_examples::{Peer, process, qga_session};

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let peer = match (args.next(), args.next()) {
        (Some(path), None) => Peer::Socket(path.into()),
        (None, _) => match process::qemu_ga() {
            Some(bin) => Peer::Spawn(bin),
            None => {
                eprintln!(
                    "{}",
                    process::not_found(process::QEMU_GA_VAR, process::QEMU_GA)
                );
                return ExitCode::FAILURE;
            }
        },
        _ => {
            eprintln!("usage: qga [QGA-SOCKET]");
            return ExitCode::from(2);
        }
    };
    match qga_session::run(&peer, &mut std::io::stdout()).await {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("qga: {e}");
            ExitCode::FAILURE
        }
    }
}

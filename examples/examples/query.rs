//! Starts QEMU (or connects to one), prints its greeting, `query-version`,
//! `query-status` and `query-commands`, then quits it.
//!
//! ```text
//! cargo run -p qapi-examples --example query
//! cargo run -p qapi-examples --example query -- /path/to/qmp.sock [--quit]
//! ```

use std::process::ExitCode;

use qapi_examples::{Peer, process, query};

#[tokio::main]
async fn main() -> ExitCode {
    let mut socket = None;
    let mut quit = false;
    for arg in std::env::args_os().skip(1) {
        if arg == "--quit" {
            quit = true;
        } else if socket.is_none() {
            socket = Some(std::path::PathBuf::from(arg));
        } else {
            eprintln!("usage: query [QMP-SOCKET [--quit]]");
            return ExitCode::from(2);
        }
    }
    let peer = match socket {
        Some(path) => Peer::Socket(path),
        None => match process::qemu_system() {
            Some(bin) => Peer::Spawn(bin),
            None => {
                eprintln!(
                    "{}",
                    process::not_found(process::QEMU_SYSTEM_VAR, process::QEMU_SYSTEM)
                );
                return ExitCode::FAILURE;
            }
        },
    };
    match query::run(&peer, quit, &mut std::io::stdout()).await {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("query: {e}");
            ExitCode::FAILURE
        }
    }
}

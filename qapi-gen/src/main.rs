//! The `qapi-gen` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// QEMU QAPI schemas to typed Rust.
#[derive(Parser)]
#[command(name = "qapi-gen", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Check a schema; exit status 0 when it is valid.
    Check {
        /// Apply QEMU 10.2's rules exactly: house-style warnings become errors.
        #[arg(long)]
        strict: bool,
        /// The root schema file.
        schema: PathBuf,
    },
    /// Print the checked schema model in the format of QEMU's
    /// tests/qapi-schema/*.out files.
    Dump {
        /// Apply QEMU 10.2's rules exactly.
        #[arg(long)]
        strict: bool,
        /// The root schema file.
        schema: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (strict, path, dump) = match cli.command {
        Cmd::Check { strict, schema } => (strict, schema, false),
        Cmd::Dump { strict, schema } => (strict, schema, true),
    };
    let mode = if strict {
        qapi_gen::Mode::Strict
    } else {
        qapi_gen::Mode::Default
    };
    match qapi_gen::load(&path, mode) {
        Ok(schema) => {
            for w in &schema.warnings {
                eprintln!("{}", w.render(&schema.sources));
            }
            if dump {
                print!("{}", qapi_gen::dump::dump(&schema));
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            for d in &e.diagnostics {
                eprintln!("{}", d.render_with_snippet(&e.sources));
            }
            ExitCode::FAILURE
        }
    }
}

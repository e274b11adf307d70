//! `qapi-codegen-gen SCHEMA_DIR OUT.rs [COMMAND_TRAIT]`
//!
//! Runs arcnmx's `qapi_codegen::codegen` (crates.io, 0.11) exactly as
//! `qapi-qmp`'s build script does: on the directory holding
//! `qapi-schema.json`, writing one Rust file whose commands implement
//! `crate::COMMAND_TRAIT` (default `QmpCommand`, as in qapi-qmp).
//! A path to `qapi-schema.json` itself is accepted too.
//!
//! This is the whole-process counterpart of `qapi-gen generate` for
//! run.sh's generation timings.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !(2..=3).contains(&args.len()) {
        eprintln!("usage: qapi-codegen-gen SCHEMA_DIR OUT.rs [COMMAND_TRAIT]");
        return ExitCode::from(2);
    }
    let mut schema = PathBuf::from(&args[0]);
    if schema.is_file() {
        // qapi-codegen always starts from `qapi-schema.json` in a directory.
        if schema.file_name().is_some_and(|n| n != "qapi-schema.json") {
            eprintln!(
                "qapi-codegen-gen: qapi-codegen only reads a directory's qapi-schema.json, not {}",
                schema.display()
            );
            return ExitCode::from(2);
        }
        schema.pop();
        if schema.as_os_str().is_empty() {
            schema.push(".");
        }
    }
    let command_trait = args.get(2).map_or("QmpCommand", String::as_str);
    match qapi_codegen::codegen(&schema, &args[1], command_trait.to_owned()) {
        Ok(_included) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("qapi-codegen-gen: {}: {e}", schema.display());
            ExitCode::FAILURE
        }
    }
}

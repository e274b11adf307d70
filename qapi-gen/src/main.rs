//! The `qapi-gen` command line: check a schema, dump its model, generate
//! Rust.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use qapi_gen::{Diagnostic, Mode, SourceMap};

/// QEMU QAPI schemas to typed Rust.
#[derive(Parser)]
#[command(name = "qapi-gen", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Warnings {
    /// Every warning.
    All,
    /// The first ten, then a count per rule.
    Summary,
    /// None.
    None,
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Apply QEMU 10.2's rules exactly: house-style warnings become errors,
    /// QEMU 5.2 constructs are rejected.
    #[arg(long)]
    strict: bool,
    /// How to show warnings (default mode only).
    #[arg(long, value_enum, default_value = "summary")]
    warnings: Warnings,
    /// Do not show source snippets after diagnostics.
    #[arg(long)]
    no_snippets: bool,
    /// The root schema file.
    schema: PathBuf,
}

#[derive(Subcommand)]
enum Cmd {
    /// Check a schema.  Exit status 0 when it is valid (warnings allowed),
    /// 1 when it is not.
    Check(CheckArgs),
    /// Print the checked schema model in the format of QEMU's
    /// tests/qapi-schema/*.out files.
    Dump(CheckArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Cmd::Check(args) => check(&args, false),
        Cmd::Dump(args) => check(&args, true),
    }
}

fn check(args: &CheckArgs, dump: bool) -> ExitCode {
    let mode = if args.strict {
        Mode::Strict
    } else {
        Mode::Default
    };
    match qapi_gen::load(&args.schema, mode) {
        Ok(schema) => {
            report_warnings(&schema.warnings, &schema.sources, args);
            if dump {
                print!("{}", qapi_gen::dump::dump(&schema));
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            let (warnings, errors): (Vec<_>, Vec<_>) =
                e.diagnostics.iter().cloned().partition(|d| !d.is_error());
            report_warnings(&warnings, &e.sources, args);
            for d in &errors {
                eprintln!("{}", render(d, &e.sources, args));
            }
            ExitCode::FAILURE
        }
    }
}

fn render(d: &Diagnostic, sources: &SourceMap, args: &CheckArgs) -> String {
    if args.no_snippets {
        d.render(sources)
    } else {
        d.render_with_snippet(sources)
    }
}

fn report_warnings(warnings: &[Diagnostic], sources: &SourceMap, args: &CheckArgs) {
    let shown = match args.warnings {
        Warnings::All => warnings.len(),
        Warnings::Summary => warnings.len().min(10),
        Warnings::None => 0,
    };
    for w in &warnings[..shown] {
        eprintln!("{}", render(w, sources, args));
    }
    if shown < warnings.len() && args.warnings == Warnings::Summary {
        let mut by_lint: BTreeMap<&str, usize> = BTreeMap::new();
        for w in &warnings[shown..] {
            *by_lint
                .entry(w.lint.map_or("other", |l| l.name()))
                .or_default() += 1;
        }
        let counts: Vec<String> = by_lint.iter().map(|(k, n)| format!("{k}: {n}")).collect();
        eprintln!(
            "qapi-gen: {} more warnings ({}); --warnings=all shows them, --strict makes them errors",
            warnings.len() - shown,
            counts.join(", ")
        );
    }
}

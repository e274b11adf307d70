//! The `qapi-gen` command line: check a schema, dump its model, generate
//! Rust.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use qapi_gen::{Diagnostic, Mode, SourceMap};

/// The command line's allocator (the library leaves the choice to its
/// users).  A `generate` run of the full QMP schema makes about 230,000
/// small allocations, and glibc's malloc took a fifth of its CPU; with
/// mimalloc the run's median wall time fell from 33.7 to 28.5 ms here.
/// Built without transparent huge pages: zeroing 2 MiB pages for a process
/// that lives 30 ms made some runs several times slower.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

// mimalloc's C interface: `mi_option_set`, and the number of its
// `mi_option_purge_delay` option in the `mi_option_t` enumeration, which
// mimalloc keeps stable (retired options keep their place).
unsafe extern "C" {
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

/// Makes mimalloc return freed memory to the system 10 ms after it is
/// freed instead of after a second (mimalloc 3's default).  The front end
/// frees each expression's values, then the intermediate forms of each
/// definition, while it builds the model; returned soon, that memory does
/// not add to the peak.  A check of a 10 MB schema peaked at 102 MB instead
/// of 120 MB.  (With no delay at all it was 101 MB, but the calls that
/// return memory then cost a check of QEMU's schema 5% of its time.)
fn release_freed_memory_soon() {
    // SAFETY: setting an option is allowed at any time; the option number
    // and the argument types are those of mimalloc's header.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, 10) }
}

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
    /// Generate Rust: one self-contained file that compiles as a module of
    /// any crate depending on qapi-types.
    Generate(GenerateArgs),
    /// What changed between two schemas, and whom each change breaks: an
    /// old client of a new server, or a new client of an old server.
    Diff(DiffArgs),
}

#[derive(clap::Args)]
struct DiffArgs {
    /// Print the changes as JSON.
    #[arg(long)]
    json: bool,
    /// Report instead what NEW (a fork) adds to OLD (its base), and how
    /// each addition stands against this third schema (the upstream): if
    /// it has the same definitions, what changed there in the types the
    /// additions use, which of its rules they break.
    #[arg(long, value_name = "UPSTREAM")]
    against: Option<PathBuf>,
    /// The old schema.
    old: PathBuf,
    /// The new schema.
    new: PathBuf,
}

#[derive(clap::Args)]
struct GenerateArgs {
    #[command(flatten)]
    check: CheckArgs,
    /// Where to write the Rust file ("-" for standard output).  It is only
    /// rewritten when its contents change.
    #[arg(short, long)]
    output: PathBuf,
    /// Accepted for scripts written for earlier versions; does nothing
    /// (the output is always laid out).
    #[arg(long, hide = true)]
    no_format: bool,
    /// Evaluate conditions with this symbol defined (repeatable); without
    /// any, everything is emitted and documented with its condition.
    #[arg(long = "cfg", value_name = "SYMBOL")]
    cfg: Vec<String>,
    /// Evaluate conditions with no symbol defined.
    #[arg(long, conflicts_with = "cfg")]
    cfg_none: bool,
    /// Leave out everything with the `unstable` feature.
    #[arg(long)]
    exclude_unstable: bool,
    /// Generate only what these commands and events need (repeatable).
    #[arg(long = "only", value_name = "NAME")]
    only: Vec<String>,
    /// Merge another schema into the bindings (repeatable): what any of
    /// the schemas has is there, required only where all require it.
    #[arg(long = "merge", value_name = "OTHER_SCHEMA")]
    merge: Vec<PathBuf>,
    /// Generate for every QEMU from VERSION on (e.g. 4.2): members QEMU's
    /// documentation marks as newer become optional in the types a server
    /// sends.
    #[arg(long, value_name = "VERSION")]
    oldest: Option<qapi_gen::schema::Version>,
    /// Do not emit the client's `Commands` trait.
    #[arg(long)]
    no_client: bool,
    /// Do not emit the server's `Handler` trait and `Dispatcher`.
    #[arg(long)]
    no_server: bool,
}

fn main() -> ExitCode {
    release_freed_memory_soon();
    let cli = Cli::parse();
    match cli.command {
        Cmd::Check(args) => check(&args, false),
        Cmd::Dump(args) => check(&args, true),
        Cmd::Generate(args) => generate(&args),
        Cmd::Diff(args) => diff(&args),
    }
}

fn diff(args: &DiffArgs) -> ExitCode {
    // Named in the output by what tells their paths apart.
    let paths: Vec<&PathBuf> = [Some(&args.old), Some(&args.new), args.against.as_ref()]
        .into_iter()
        .flatten()
        .collect();
    let schemas = match qapi_gen::load_all(&paths, Mode::Default) {
        Ok(s) => s,
        Err(e) => {
            for d in e.diagnostics.iter().filter(|d| d.is_error()) {
                eprintln!("{}", d.render(&e.sources));
            }
            return ExitCode::FAILURE;
        }
    };
    if let [base, fork, upstream] = &schemas[..] {
        let report = qapi_gen::diff::fork_report(base, fork, upstream);
        if args.json {
            print!("{}", report.to_json());
        } else {
            print!("{}", report.to_text());
        }
        return ExitCode::SUCCESS;
    }
    let diff = qapi_gen::diff::diff(&schemas[0], &schemas[1]);
    if args.json {
        print!("{}", diff.to_json());
    } else {
        print!("{}", diff.to_text());
    }
    ExitCode::SUCCESS
}

fn generate(args: &GenerateArgs) -> ExitCode {
    let c = &args.check;
    let mode = if c.strict {
        Mode::Strict
    } else {
        Mode::Default
    };
    let paths: Vec<&std::path::Path> = std::iter::once(c.schema.as_path())
        .chain(args.merge.iter().map(PathBuf::as_path))
        .collect();
    let schemas = match qapi_gen::load_all(&paths, mode) {
        Ok(schemas) => schemas,
        Err(e) => {
            for d in &e.diagnostics {
                eprintln!("{}", render(d, &e.sources, c));
            }
            return ExitCode::FAILURE;
        }
    };
    for s in &schemas {
        report_warnings(&s.warnings, &s.sources, c);
    }
    let (schema, conflicts) = match qapi_gen::schema::merge(schemas) {
        Ok(merged) => merged,
        Err(e) => {
            eprintln!("qapi-gen: {e}");
            return ExitCode::FAILURE;
        }
    };
    report_conflicts(&conflicts, &schema.sources, c);
    let opts = qapi_gen::generate::Options {
        cfg: (args.cfg_none || !args.cfg.is_empty()).then(|| args.cfg.iter().cloned().collect()),
        exclude_unstable: args.exclude_unstable,
        only: (!args.only.is_empty()).then(|| args.only.clone()),
        oldest: args.oldest,
        client: !args.no_client,
        server: !args.no_server,
    };
    let name = c.schema.file_name().map_or_else(
        || c.schema.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let generated = qapi_gen::generate::generate(&schema, &opts, &name);
    let source = generated
        .as_ref()
        .map(|g| g.to_source())
        .map_err(Clone::clone);
    // The process ends next: leave the memory to the OS instead of freeing
    // the schema piece by piece.
    std::mem::forget(generated);
    std::mem::forget(schema);
    let source = match source {
        Ok(s) => s,
        Err(e) => {
            eprintln!("qapi-gen: {e}");
            return ExitCode::FAILURE;
        }
    };
    if args.output.as_os_str() == "-" {
        print!("{source}");
        return ExitCode::SUCCESS;
    }
    match qapi_gen::write_if_changed(&args.output, source.as_bytes()) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("qapi-gen: cannot write {}: {e}", args.output.display());
            ExitCode::FAILURE
        }
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

/// Conflicts between merged schemas: each a choice the bindings made, so
/// never silent; `--warnings` only decides how many are shown in full.
fn report_conflicts(conflicts: &[Diagnostic], sources: &SourceMap, args: &CheckArgs) {
    let shown = match args.warnings {
        Warnings::All => conflicts.len(),
        Warnings::Summary => conflicts.len().min(10),
        Warnings::None => 0,
    };
    for w in &conflicts[..shown] {
        eprintln!("{}", render(w, sources, args));
    }
    if shown < conflicts.len() {
        eprintln!(
            "qapi-gen: {} more conflicts between the merged schemas; --warnings=all shows them",
            conflicts.len() - shown
        );
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

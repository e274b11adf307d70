//! Generating bindings from a `build.rs`.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::generate::{self, GenerateError, Options};
use crate::{Mode, write_if_changed};

/// Generates Rust bindings for a QAPI schema from a build script.
///
/// ```no_run
/// // build.rs
/// fn main() {
///     qapi_gen::Builder::new()
///         .schema("qapi/qapi-schema.json")
///         .generate()
///         .unwrap_or_else(|e| panic!("{e}"));
/// }
/// ```
///
/// and in the crate:
///
/// ```ignore
/// pub mod qmp {
///     include!(concat!(env!("OUT_DIR"), "/qapi-schema.rs"));
/// }
/// ```
///
/// The crate needs `qapi-types` as a dependency, nothing else.  (The
/// generated `Commands` trait and `Handler`/`Dispatcher` use its default
/// features `client`, `qga` and `server`; with `.client(false)` and
/// `.server(false)` the bindings need none of them.)  Every schema file
/// read, includes too, is reported with `cargo:rerun-if-changed`, and the
/// output file is only rewritten when its contents change.
#[derive(Clone, Debug, Default)]
pub struct Builder {
    schema: Option<PathBuf>,
    mode: Mode,
    options: Options,
    out_dir: Option<PathBuf>,
    file_name: Option<String>,
    warnings: bool,
    oldest: Option<String>,
}

/// Why [`Builder::generate`] failed.
#[derive(Debug)]
pub enum BuildError {
    /// No schema was given.
    NoSchema,
    /// `OUT_DIR` is not set (not in a build script) and no output directory
    /// was given.
    NoOutDir,
    /// The schema is invalid; the diagnostics in QEMU's format.
    Schema(crate::Error),
    /// An option's value is invalid: which, and why.
    Option(&'static str, String),
    /// Generation failed.
    Generate(GenerateError),
    /// The output could not be written.
    Io(PathBuf, std::io::Error),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::NoSchema => {
                f.write_str("qapi_gen::Builder: no schema given (call .schema(path))")
            }
            BuildError::NoOutDir => {
                f.write_str("qapi_gen::Builder: OUT_DIR is not set and no .out_dir(...) was given")
            }
            BuildError::Schema(e) => {
                for d in &e.diagnostics {
                    writeln!(f, "{}", d.render_with_snippet(&e.sources))?;
                }
                Ok(())
            }
            BuildError::Option(name, why) => write!(f, "qapi_gen::Builder: .{name}(): {why}"),
            BuildError::Generate(e) => write!(f, "qapi-gen: {e}"),
            BuildError::Io(p, e) => write!(f, "qapi-gen: cannot write {}: {e}", p.display()),
        }
    }
}

impl std::error::Error for BuildError {}

impl Builder {
    /// A builder with default options: everything generated, conditions
    /// documented rather than evaluated, formatted output.
    pub fn new() -> Self {
        Self::default()
    }

    /// The root schema file, relative to the package's directory (where
    /// build scripts run) or absolute.
    pub fn schema(mut self, path: impl AsRef<Path>) -> Self {
        self.schema = Some(path.as_ref().to_path_buf());
        self
    }

    /// How strictly to check the schema (default: [`Mode::Default`]).
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Evaluate conditions with these symbols defined, leaving out what QEMU
    /// would not have (10.2 symbols like `CONFIG_SPICE`, and the 5.2
    /// `defined(CONFIG_SPICE)` expressions).
    pub fn cfg<I: IntoIterator<Item = S>, S: Into<String>>(mut self, defined: I) -> Self {
        self.options.cfg = Some(defined.into_iter().map(Into::into).collect::<BTreeSet<_>>());
        self
    }

    /// Leave out everything with the `unstable` feature.
    pub fn exclude_unstable(mut self, yes: bool) -> Self {
        self.options.exclude_unstable = yes;
        self
    }

    /// Generate only what these commands and events need.
    pub fn only<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.options.only = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Generate for every QEMU from `version` on (e.g. `"4.2"`): members
    /// that QEMU's documentation says came later become `Option`s in the
    /// types a server sends (replies and events), so that an older QEMU's
    /// messages decode; types only a client sends keep them as declared.
    /// An invalid version makes [`Builder::generate`] fail.
    pub fn oldest(mut self, version: &str) -> Self {
        self.oldest = Some(version.to_string());
        self
    }

    /// Emit the client's `Commands` trait (default: yes).
    pub fn client(mut self, yes: bool) -> Self {
        self.options.client = yes;
        self
    }

    /// Emit the server's `Handler` trait and `Dispatcher` (default: yes).
    pub fn server(mut self, yes: bool) -> Self {
        self.options.server = yes;
        self
    }

    /// Format the output (default: yes).  Unformatted output is faster to
    /// produce and compiles the same.
    pub fn format(mut self, yes: bool) -> Self {
        self.options.format = yes;
        self
    }

    /// Print schema warnings as cargo warnings (default: no).
    pub fn warnings(mut self, yes: bool) -> Self {
        self.warnings = yes;
        self
    }

    /// Where to write (default: `OUT_DIR`).
    pub fn out_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// The output file's name (default: the schema file's name with `.rs`).
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = Some(name.into());
        self
    }

    /// Checks the schema, generates, writes the file and returns its path.
    pub fn generate(self) -> Result<PathBuf, BuildError> {
        let schema_path = self.schema.as_ref().ok_or(BuildError::NoSchema)?;
        let mut options = self.options.clone();
        if let Some(v) = &self.oldest {
            options.oldest = Some(v.parse().map_err(|e: crate::schema::ParseVersionError| {
                BuildError::Option("oldest", e.to_string())
            })?);
        }
        let out_dir = match &self.out_dir {
            Some(d) => d.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or(BuildError::NoOutDir)?,
        };
        let in_build_script =
            std::env::var_os("CARGO").is_some() && std::env::var_os("OUT_DIR").is_some();
        let result = crate::load(schema_path, self.mode);
        let schema = match result {
            Ok(s) => s,
            Err(e) => {
                if in_build_script {
                    for f in e.sources.files() {
                        println!("cargo:rerun-if-changed={}", f.path.display());
                    }
                }
                return Err(BuildError::Schema(e));
            }
        };
        if in_build_script {
            for f in schema.sources.files() {
                println!("cargo:rerun-if-changed={}", f.path.display());
            }
            if self.warnings {
                for w in &schema.warnings {
                    for line in w.render(&schema.sources).lines() {
                        println!("cargo:warning={line}");
                    }
                }
            }
        }
        let source_name = schema_path.file_name().map_or_else(
            || "schema".to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let generated =
            generate::generate(&schema, &options, &source_name).map_err(BuildError::Generate)?;
        let text = generated
            .to_source(options.format)
            .map_err(BuildError::Generate)?;
        let file_name = self.file_name.clone().unwrap_or_else(|| {
            let stem = schema_path
                .file_stem()
                .map_or_else(|| "qapi".into(), |s| s.to_string_lossy().into_owned());
            format!("{stem}.rs")
        });
        let out = out_dir.join(file_name);
        write_if_changed(&out, text.as_bytes()).map_err(|e| BuildError::Io(out.clone(), e))?;
        Ok(out)
    }
}

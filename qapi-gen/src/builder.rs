//! Generating bindings from a `build.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use crate::generate::{self, GenerateError, Options};
use crate::{Mode, write_if_changed};

/// How many conflicts between merged schemas a build script shows unless
/// asked for all.
const MERGE_CONFLICTS_SHOWN: usize = 5;

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
    label: Option<String>,
    merge: Vec<(PathBuf, Option<String>)>,
}

/// Why [`Builder::generate`] failed.
#[derive(Debug)]
pub enum BuildError {
    /// No schema was given.
    NoSchema,
    /// `OUT_DIR` is not set (not in a build script) and no output directory
    /// was given.
    NoOutDir,
    /// The schema is invalid.  Displayed as its errors in QEMU's format,
    /// then one line counting the warnings found before them; the
    /// alternate form (`{:#}`) shows the warnings in full instead of
    /// counting them, and so does a build script whose builder was given
    /// `.warnings(true)` (as cargo warnings).
    Schema(crate::Error),
    /// The schemas could not be merged.
    Merge(crate::schema::MergeError),
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
                let (errors, warnings): (Vec<_>, Vec<_>) =
                    e.diagnostics.iter().partition(|d| d.is_error());
                for d in &errors {
                    writeln!(f, "{}", d.render_with_snippet(&e.sources))?;
                }
                if f.alternate() {
                    for w in &warnings {
                        writeln!(f, "{}", w.render_with_snippet(&e.sources))?;
                    }
                } else if !warnings.is_empty() {
                    writeln!(f, "{}", warning_count(&warnings))?;
                }
                Ok(())
            }
            BuildError::Merge(e) => write!(f, "qapi-gen: {e}"),
            BuildError::Option(name, why) => write!(f, "qapi_gen::Builder: .{name}(): {why}"),
            BuildError::Generate(e) => write!(f, "qapi-gen: {e}"),
            BuildError::Io(p, e) => write!(f, "qapi-gen: cannot write {}: {e}", p.display()),
        }
    }
}

impl std::error::Error for BuildError {}

/// One line counting `warnings` by rule, the way the command line's summary
/// does.
fn warning_count(warnings: &[&crate::Diagnostic]) -> String {
    let mut by_lint: BTreeMap<&str, usize> = BTreeMap::new();
    for w in warnings {
        *by_lint
            .entry(w.lint.map_or("other", |l| l.name()))
            .or_default() += 1;
    }
    let counts: Vec<String> = by_lint.iter().map(|(k, n)| format!("{k}: {n}")).collect();
    let s = if warnings.len() == 1 { "" } else { "s" };
    format!(
        "qapi-gen: {} warning{s} too ({}); .warnings(true) shows them",
        warnings.len(),
        counts.join(", ")
    )
}

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

    /// Merges another schema into the bindings (repeatable): one binding
    /// for several QEMU versions, or for a fork and its upstream.  The
    /// schema given with [`Builder::schema`] leads; what any of them has,
    /// the bindings have, required only where all of them require it.
    /// Conflicts between the schemas are resolved as
    /// [`schema::merge`](crate::schema::merge) documents and reported as
    /// cargo warnings.
    ///
    /// The bindings' documentation and [`qapi_types::Provenance`] data name
    /// the schemas by what tells their paths apart (`5.2` and `10.2` for
    /// `qemu/5.2/qapi/qapi-schema.json` and `qemu/10.2/...`); see
    /// [`Builder::merge_as`] and [`Builder::label`] to name them yourself.
    ///
    /// [`qapi_types::Provenance`]: https://docs.rs/qapi-types
    pub fn merge(mut self, path: impl AsRef<Path>) -> Self {
        self.merge.push((path.as_ref().to_path_buf(), None));
        self
    }

    /// [`Builder::merge`], naming the schema `label`.
    pub fn merge_as(mut self, label: impl Into<String>, path: impl AsRef<Path>) -> Self {
        self.merge
            .push((path.as_ref().to_path_buf(), Some(label.into())));
        self
    }

    /// What the schema given with [`Builder::schema`] is called when others
    /// are merged into it.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
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

    /// Does nothing: the output is always laid out, and as fast to produce
    /// as it was unformatted.
    #[deprecated(note = "the output is always laid out; this does nothing")]
    pub fn format(self, _yes: bool) -> Self {
        self
    }

    /// Print schema warnings as cargo warnings, and every conflict between
    /// merged schemas (default: no; the first conflicts and their count
    /// are always shown).
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
        let cargo = |line: &str| {
            if in_build_script {
                println!("{line}");
            }
        };
        let paths: Vec<&Path> = std::iter::once(schema_path.as_path())
            .chain(self.merge.iter().map(|(p, _)| p.as_path()))
            .collect();
        let labels: Vec<Option<&String>> = std::iter::once(self.label.as_ref())
            .chain(self.merge.iter().map(|(_, l)| l.as_ref()))
            .collect();
        let schemas = match crate::load_all(&paths, self.mode) {
            Ok(s) => s,
            Err(e) => {
                for f in e.sources.files() {
                    cargo(&format!("cargo:rerun-if-changed={}", f.path.display()));
                }
                // The files of the schemas that did load are not known:
                // the paths given, at least.
                for p in &paths {
                    cargo(&format!("cargo:rerun-if-changed={}", p.display()));
                }
                if self.warnings {
                    for w in e.diagnostics.iter().filter(|d| !d.is_error()) {
                        for line in w.render(&e.sources).lines() {
                            cargo(&format!("cargo:warning={line}"));
                        }
                    }
                }
                return Err(BuildError::Schema(e));
            }
        };
        let mut schemas = schemas;
        for (schema, label) in schemas.iter_mut().zip(labels) {
            if let Some(l) = label {
                schema.origins[0].label = l.clone();
            }
        }
        for schema in &schemas {
            for f in schema.sources.files() {
                cargo(&format!("cargo:rerun-if-changed={}", f.path.display()));
            }
            if self.warnings {
                for w in &schema.warnings {
                    for line in w.render(&schema.sources).lines() {
                        cargo(&format!("cargo:warning={line}"));
                    }
                }
            }
        }
        let (schema, conflicts) = crate::schema::merge(schemas).map_err(BuildError::Merge)?;
        // Conflicts between merged schemas are always reported, each being
        // a choice the bindings made: the first few in full and a count,
        // all of them with `.warnings(true)`.
        let shown = if self.warnings {
            conflicts.len()
        } else {
            conflicts.len().min(MERGE_CONFLICTS_SHOWN)
        };
        for w in &conflicts[..shown] {
            for line in w.render(&schema.sources).lines() {
                cargo(&format!("cargo:warning={line}"));
            }
        }
        if shown < conflicts.len() {
            cargo(&format!(
                "cargo:warning=qapi-gen: {} more conflicts between the merged schemas, \
                 resolved as qapi_gen::schema::merge documents; .warnings(true) shows them",
                conflicts.len() - shown
            ));
        }
        let source_name = schema_path.file_name().map_or_else(
            || "schema".to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let generated =
            generate::generate(&schema, &options, &source_name).map_err(BuildError::Generate)?;
        let text = generated.to_source();
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

//! Schema source files and positions in them, counted the way QEMU counts.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub(crate) u32);

impl FileId {
    /// The file's position in [`SourceMap::files`].
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    /// The file.
    pub file: FileId,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

/// A line in a source file, 1-based: the location QEMU gives semantic errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Loc {
    /// The file.
    pub file: FileId,
    /// 1-based line number.
    pub line: u32,
}

/// One schema file as read from disk.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The file's name as QEMU gives it in messages: the root path as
    /// given, or the directory of the file that includes it first (in
    /// QEMU's order) joined with the `include` value, unnormalized.  (It
    /// may differ from the path the file was read by, when another file
    /// named it first.)
    pub path: PathBuf,
    /// The file's text, with a final newline added when it lacked one.
    pub text: Arc<str>,
    /// Where the `include` directive that pulled this file in stands; `None`
    /// for the root file.
    pub included_from: Option<Loc>,
    line_starts: Vec<u32>,
}

impl SourceFile {
    pub(crate) fn new(path: PathBuf, mut text: String, included_from: Option<Loc>) -> Self {
        if !text.ends_with('\n') {
            text.push('\n');
        }
        let lines = memchr::memchr_iter(b'\n', text.as_bytes()).count();
        let mut line_starts = Vec::with_capacity(lines + 1);
        line_starts.push(0);
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i as u32 + 1));
        SourceFile {
            path,
            text: text.into(),
            included_from,
            line_starts,
        }
    }

    /// The 1-based line holding byte `offset`.
    pub fn line_of(&self, offset: u32) -> u32 {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i as u32 + 1,
            Err(i) => i as u32,
        }
    }

    /// Byte offset where 1-based `line` starts.
    pub fn line_start(&self, line: u32) -> u32 {
        self.line_starts
            .get(line.saturating_sub(1) as usize)
            .copied()
            .unwrap_or(self.text.len() as u32)
    }

    /// The text of 1-based `line`, without its newline.
    pub fn line_text(&self, line: u32) -> &str {
        let start = self.line_start(line) as usize;
        let end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |i| start + i);
        &self.text[start..end]
    }

    /// The 1-based column of byte `offset` exactly as QEMU's parser computes
    /// it: characters (not bytes) from the start of the line, where a tab sets
    /// the column to `(col + 7) % 8 + 1`.  (QEMU means tab stops of 8; its
    /// formula keeps the column within the current block of 8 instead, and
    /// agreeing with QEMU's messages is what matters here.)
    pub fn column_of(&self, offset: u32) -> u32 {
        let start = self.line_start(self.line_of(offset)) as usize;
        let mut col = 1u32;
        for ch in self.text[start..offset as usize].chars() {
            if ch == '\t' {
                col = (col + 7) % 8 + 1;
            } else {
                col += 1;
            }
        }
        col
    }

    /// Number of lines.
    pub fn line_count(&self) -> u32 {
        self.line_starts.len() as u32 - 1
    }
}

/// All files read for one schema: the root first, then the files it
/// includes in the order they were found.
#[derive(Debug, Default)]
pub struct SourceMap {
    /// Shared, so that a file can be parsed while the files it includes
    /// are added.
    files: Vec<Arc<SourceFile>>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(Arc::new(file));
        FileId(self.files.len() as u32 - 1)
    }

    /// Appends the files of `other`, renumbered after this map's own.
    /// Returns the number to add to `other`'s file ids.
    pub(crate) fn append(&mut self, other: SourceMap) -> u32 {
        let offset = self.files.len() as u32;
        for mut file in other.files {
            if file.included_from.is_some()
                && let Some(loc) = &mut Arc::make_mut(&mut file).included_from
            {
                loc.file.0 += offset;
            }
            self.files.push(file);
        }
        offset
    }

    /// The file with this id.
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.index()]
    }

    /// The file with this id, to hand to another thread.
    pub(crate) fn shared(&self, id: FileId) -> Arc<SourceFile> {
        self.files[id.index()].clone()
    }

    /// The file with this id, to change (copied first if another thread
    /// still holds it).
    pub(crate) fn file_mut(&mut self, id: FileId) -> &mut SourceFile {
        Arc::make_mut(&mut self.files[id.index()])
    }

    /// The number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether there are no files.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Every file, the root first.
    pub fn files(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.iter().map(|f| &**f)
    }

    /// The path of the file, as QEMU prints it.
    pub fn path(&self, id: FileId) -> &Path {
        &self.file(id).path
    }

    /// The line of a span's start.
    pub fn loc(&self, span: Span) -> Loc {
        Loc {
            file: span.file,
            line: self.file(span.file).line_of(span.start),
        }
    }

    /// The text a span covers.
    pub fn text(&self, span: Span) -> &str {
        &self.file(span.file).text[span.start as usize..span.end as usize]
    }
}

/// `os.path.abspath`: absolute and lexically normalized, symlinks untouched.
pub(crate) fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// The file an `include` directive names: relative to the including file.
pub(crate) fn include_path(including: &Path, text: &str) -> PathBuf {
    including.parent().unwrap_or(Path::new("")).join(text)
}

//! Plain-text tables and number formatting for the examples' output.

use std::fmt;

/// A table with a header row, printed with aligned columns.  Columns whose
/// header is given with [`Table::right`] are right-aligned (numbers).
#[derive(Clone, Debug, Default)]
pub struct Table {
    headers: Vec<String>,
    right: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a left-aligned column.
    pub fn left(mut self, header: &str) -> Self {
        self.headers.push(header.to_owned());
        self.right.push(false);
        self
    }

    /// Adds a right-aligned column.
    pub fn right(mut self, header: &str) -> Self {
        self.headers.push(header.to_owned());
        self.right.push(true);
        self
    }

    /// Adds a row; missing cells are left empty, extra ones dropped.
    pub fn row<I, S>(&mut self, cells: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut row: Vec<String> = cells.into_iter().map(Into::into).collect();
        row.resize(self.headers.len(), String::new());
        self.rows.push(row);
        self
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let widths: Vec<usize> = (0..self.headers.len())
            .map(|i| {
                self.rows
                    .iter()
                    .map(|r| r[i].chars().count())
                    .chain([self.headers[i].chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let rule = widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("-+-");
        let line = |f: &mut fmt::Formatter<'_>, cells: &[String]| -> fmt::Result {
            let text = cells
                .iter()
                .enumerate()
                .map(|(i, cell)| {
                    let pad = " ".repeat(widths[i] - cell.chars().count());
                    if self.right[i] {
                        format!("{pad}{cell}")
                    } else {
                        format!("{cell}{pad}")
                    }
                })
                .collect::<Vec<_>>()
                .join(" | ");
            writeln!(f, "{}", text.trim_end())
        };
        line(f, &self.headers)?;
        writeln!(f, "{rule}")?;
        for row in &self.rows {
            line(f, row)?;
        }
        Ok(())
    }
}

/// `n` with a thin separator every three digits: `1677952185` ->
/// `1 677 952 185`.
pub fn grouped(n: i128) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// A byte count with a binary-prefixed approximation: `349373` ->
/// `349 373 B (341.2 KiB)`.
pub fn bytes(n: i128) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = n as f64;
    let mut unit = None;
    for u in UNITS {
        if value.abs() < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = Some(u);
    }
    match unit {
        Some(u) => format!("{} B ({value:.1} {u})", grouped(n)),
        None => format!("{} B", grouped(n)),
    }
}

/// Nanoseconds as milliseconds with three decimals: `715918309` ->
/// `715.918 ms`.
pub fn ns_as_ms(ns: i64) -> String {
    format!("{:.3} ms", ns as f64 / 1e6)
}

/// Milliseconds: `334026` -> `334 026 ms`.
pub fn ms(ms: i64) -> String {
    format!("{} ms", grouped(ms.into()))
}

/// Lays `items` out in as many columns as fit in `width` characters, filled
/// column by column, each column as wide as its longest item (like `ls`).
pub fn columns(items: &[String], width: usize) -> String {
    let len = |s: &String| s.chars().count();
    // The most columns that fit, and their widths.
    let mut layout = (1, vec![items.iter().map(len).max().unwrap_or(0)]);
    for ncols in (2..=items.len()).rev() {
        let nrows = items.len().div_ceil(ncols);
        let widths: Vec<usize> = items
            .chunks(nrows)
            .map(|col| col.iter().map(len).max().unwrap_or(0))
            .collect();
        if widths.iter().sum::<usize>() + 2 * (widths.len() - 1) <= width {
            layout = (widths.len(), widths);
            break;
        }
    }
    let (ncols, widths) = layout;
    let nrows = items.len().div_ceil(ncols.max(1));
    let mut out = String::new();
    for r in 0..nrows {
        let mut line = String::new();
        for (c, w) in widths.iter().enumerate() {
            if let Some(item) = items.get(c * nrows + r) {
                line.push_str(item);
                line.push_str(&" ".repeat(w + 2 - len(item)));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1 000");
        assert_eq!(grouped(-1677952185), "-1 677 952 185");
        assert_eq!(bytes(1023), "1 023 B");
        assert_eq!(bytes(349373), "349 373 B (341.2 KiB)");
        assert_eq!(bytes(67108864), "67 108 864 B (64.0 MiB)");
        assert_eq!(ns_as_ms(715918309), "715.918 ms");
        assert_eq!(ms(334026), "334 026 ms");
    }

    #[test]
    fn layout() {
        let mut t = Table::new().left("figure").right("value");
        t.row(["a", "1"]).row(["long name", "12345"]);
        assert_eq!(
            t.to_string(),
            "figure    | value\n----------+------\na         |     1\nlong name | 12345\n"
        );
        let items: Vec<String> = ["a", "b", "c", "d", "e"].map(String::from).to_vec();
        assert_eq!(columns(&items, 7), "a  c  e\nb  d\n");
        assert_eq!(columns(&items, 6), "a  d\nb  e\nc\n");
        assert_eq!(columns(&[], 80), "");
    }
}

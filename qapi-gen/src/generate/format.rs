//! Turning generated items into source text.
//!
//! Formatting with prettyplease needs a syn syntax tree per item; items are
//! independent, so they are parsed and printed on all cores at once, in
//! order-preserving chunks.

use proc_macro2::TokenStream;

use super::GenerateError;

/// The items as formatted Rust source.
pub(crate) fn format_items(items: &[TokenStream]) -> Result<String, GenerateError> {
    // Token streams cannot cross threads; their text can.
    let texts: Vec<String> = items.iter().map(TokenStream::to_string).collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let chunk = texts.len().div_ceil(threads).max(1);
    let parts: Vec<Result<String, GenerateError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = texts
            .chunks(chunk)
            .map(|c| scope.spawn(move || format_chunk(c)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(GenerateError::Internal("formatter panicked".into())))
            })
            .collect()
    });
    let mut out = String::new();
    for p in parts {
        out.push_str(&p?);
    }
    Ok(out)
}

fn format_chunk(items: &[String]) -> Result<String, GenerateError> {
    let mut out = String::new();
    for item in items {
        let file = syn::parse_file(item).map_err(|e| GenerateError::Internal(e.to_string()))?;
        out.push_str(&prettyplease::unparse(&file));
        out.push('\n');
    }
    Ok(out)
}

/// The items as unformatted token text: one line per item.
pub(crate) fn unformatted(items: &[TokenStream]) -> String {
    let mut out = String::new();
    for item in items {
        out.push_str(&item.to_string());
        out.push('\n');
    }
    out
}

//! Turning generated items into source text: formatted by prettyplease,
//! or as plain token text.  Items the generator wrote as text are kept as
//! they are either way.

use proc_macro2::TokenStream;

use super::{GenerateError, Piece};

/// Appends the source text of some pieces of output to `out`.
pub(crate) fn render(
    out: &mut String,
    pieces: Vec<Piece>,
    format: bool,
) -> Result<(), GenerateError> {
    let mut pending = TokenStream::new();
    for piece in pieces {
        match piece {
            Piece::Tokens(t) => pending.extend(t),
            Piece::Text(t) => {
                flush(out, std::mem::take(&mut pending), format)?;
                out.push_str(&t);
            }
        }
    }
    flush(out, pending, format)
}

fn flush(out: &mut String, items: TokenStream, format: bool) -> Result<(), GenerateError> {
    if items.is_empty() {
        return Ok(());
    }
    if format {
        let file: syn::File =
            syn::parse2(items).map_err(|e| GenerateError::Internal(e.to_string()))?;
        out.push_str(&prettyplease::unparse(&file));
    } else {
        out.push_str(&items.to_string());
        out.push('\n');
    }
    Ok(())
}

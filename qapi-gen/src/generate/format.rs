//! Turning generated items into source text: formatted by prettyplease,
//! or as plain token text.  Items the generator wrote as text are kept as
//! they are either way.

use proc_macro2::TokenStream;

use super::{GenerateError, Piece};

/// The source text of some pieces of output.
pub(crate) fn render(pieces: Vec<Piece>, format: bool) -> Result<String, GenerateError> {
    let mut out = String::new();
    let mut pending = TokenStream::new();
    for piece in pieces {
        match piece {
            Piece::Tokens(t) => pending.extend(t),
            Piece::Text(t) => {
                flush(&mut out, std::mem::take(&mut pending), format)?;
                out.push_str(&t);
            }
        }
    }
    flush(&mut out, pending, format)?;
    Ok(out)
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

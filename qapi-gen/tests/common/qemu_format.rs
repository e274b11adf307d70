//! QEMU's format of a rendered error, checked by the property test
//! (`mutations.rs`) and the `load` fuzz target, which include this file by
//! path.

/// `^(In file included from .*\n)*(.*: In .*\n)?[^:\n]+:\d+(:\d+)?: .+`, or
/// the message for an unreadable root file.
pub fn qemu_format(rendered: &str) -> bool {
    if rendered.starts_with("can't read schema file '") {
        return !rendered.contains('\n');
    }
    fn main_line(l: &str) -> bool {
        let Some((path, rest)) = l.split_once(':') else {
            return false;
        };
        let digits = |s: &str| s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let n = digits(rest);
        if path.is_empty() || n == 0 {
            return false;
        }
        let mut rest = &rest[n..];
        if let Some(r) = rest.strip_prefix(':') {
            let m = digits(r);
            if m > 0 {
                rest = &r[m..];
            }
        }
        rest.strip_prefix(": ").is_some_and(|m| !m.is_empty())
    }
    let mut lines = rendered
        .split('\n')
        .skip_while(|l| l.starts_with("In file included from "));
    let Some(first) = lines.next() else {
        return false;
    };
    main_line(first) || (first.contains(": In ") && lines.next().is_some_and(main_line))
}

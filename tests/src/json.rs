//! Round trips of real replies through generated types, with the
//! differences spelled out when the value encoded back is not the one
//! received.

use qapi_types::serde::Serialize;
use qapi_types::serde::de::DeserializeOwned;
use serde_json::Value;

/// Where `left` and `right` differ, one line per difference, each naming
/// its JSON path (`$.a[3].b`).  Numbers differ when their JSON values do
/// (`1` and `1.0` differ, as for [`Value`]'s equality).
pub fn differences(left: &Value, right: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff(&mut String::from("$"), left, right, &mut out);
    out
}

fn diff(path: &mut String, left: &Value, right: &Value, out: &mut Vec<String>) {
    let len = path.len();
    match (left, right) {
        (Value::Object(l), Value::Object(r)) => {
            for (k, lv) in l {
                path.push('.');
                path.push_str(k);
                match r.get(k) {
                    Some(rv) => diff(path, lv, rv, out),
                    None => out.push(format!("{path}: only on the left: {}", short(lv))),
                }
                path.truncate(len);
            }
            for (k, rv) in r {
                if !l.contains_key(k) {
                    out.push(format!("{path}.{k}: only on the right: {}", short(rv)));
                }
            }
        }
        (Value::Array(l), Value::Array(r)) => {
            for (i, (lv, rv)) in l.iter().zip(r).enumerate() {
                path.push_str(&format!("[{i}]"));
                diff(path, lv, rv, out);
                path.truncate(len);
            }
            if l.len() != r.len() {
                out.push(format!(
                    "{path}: {} items on the left, {} on the right",
                    l.len(),
                    r.len()
                ));
            }
        }
        (l, r) if l == r => {}
        (l, r) => out.push(format!(
            "{path}: {} on the left, {} on the right",
            short(l),
            short(r)
        )),
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 120 {
        let mut end = 117;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &s[..end])
    } else {
        s
    }
}

/// Decodes `json` (a reply's `return`, as received) as `T`.  The error
/// names `what`.
pub fn decode<T: DeserializeOwned>(what: &str, json: &str) -> Result<T, String> {
    serde_json::from_str(json).map_err(|e| format!("{what}: does not decode: {e}"))
}

/// Decodes `json` as `T` and encodes it back; the result must equal the
/// JSON value received.  The error lists the differences (the received
/// value on the left, the re-encoded one on the right).
pub fn round_trip<T: Serialize + DeserializeOwned>(what: &str, json: &str) -> Result<T, String> {
    let typed: T = decode(what, json)?;
    let received: Value =
        serde_json::from_str(json).map_err(|e| format!("{what}: not JSON: {e}"))?;
    let encoded =
        serde_json::to_value(&typed).map_err(|e| format!("{what}: does not encode: {e}"))?;
    if encoded == received {
        return Ok(typed);
    }
    let diffs = differences(&received, &encoded);
    let shown = diffs.len().min(20);
    Err(format!(
        "{what}: the value encoded back differs from the one received (left: received, \
         right: re-encoded), {} difference(s):\n  {}{}",
        diffs.len(),
        diffs[..shown].join("\n  "),
        if diffs.len() > shown { "\n  ..." } else { "" }
    ))
}

/// [`round_trip`], but numbers compare by value: QEMU writes a QAPI
/// `number` that happens to be whole as `0`, and it encodes back as `0.0`,
/// the same JSON number.
pub fn round_trip_numbers<T: Serialize + DeserializeOwned>(
    what: &str,
    json: &str,
) -> Result<T, String> {
    let typed: T = decode(what, json)?;
    let mut received: Value =
        serde_json::from_str(json).map_err(|e| format!("{what}: not JSON: {e}"))?;
    let mut encoded =
        serde_json::to_value(&typed).map_err(|e| format!("{what}: does not encode: {e}"))?;
    whole_numbers_as_integers(&mut received);
    whole_numbers_as_integers(&mut encoded);
    let diffs = differences(&received, &encoded);
    if diffs.is_empty() {
        return Ok(typed);
    }
    let shown = diffs.len().min(20);
    Err(format!(
        "{what}: the value encoded back differs from the one received (left: received, \
         right: re-encoded), {} difference(s):\n  {}{}",
        diffs.len(),
        diffs[..shown].join("\n  "),
        if diffs.len() > shown { "\n  ..." } else { "" }
    ))
}

/// Rewrites every whole floating-point number (`3.0`) as an integer (`3`).
fn whole_numbers_as_integers(v: &mut Value) {
    match v {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                *v = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(map) => map.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn differences_name_their_paths() {
        let a = json!({"a": [1, {"b": 2}], "c": 1, "d": 0});
        let b = json!({"a": [1, {"b": 3}], "e": 1, "d": 0.0});
        assert_eq!(
            differences(&a, &b),
            [
                "$.a[1].b: 2 on the left, 3 on the right",
                "$.c: only on the left: 1",
                "$.d: 0 on the left, 0.0 on the right",
                "$.e: only on the right: 1",
            ]
        );
        assert!(differences(&a, &a).is_empty());
        assert_eq!(
            differences(&json!([1, 2]), &json!([1])),
            ["$: 2 items on the left, 1 on the right"]
        );
    }

    #[test]
    fn round_trip_reports_what_changed() {
        let v: Vec<u8> = round_trip("bytes", "[1, 2]").unwrap();
        assert_eq!(v, [1, 2]);
        let e = round_trip::<f64>("mbps", "3").unwrap_err();
        assert!(e.contains("$: 3 on the left, 3.0 on the right"), "{e}");
        let e = round_trip::<u8>("byte", "300").unwrap_err();
        assert!(e.starts_with("byte: does not decode"), "{e}");
    }

    #[test]
    fn round_trip_numbers_compares_values() {
        let v: f64 = round_trip_numbers("mbps", "3").unwrap();
        assert_eq!(v, 3.0);
        let v: Vec<f64> = round_trip_numbers("rates", "[0, 1.5]").unwrap();
        assert_eq!(v, [0.0, 1.5]);
        let e = round_trip_numbers::<qapi_types::Empty>("empty", r#"{"a": 1}"#).unwrap_err();
        assert!(e.contains("$.a: only on the left: 1"), "{e}");
    }
}

//! The QMP transcripts libvirt recorded from real QEMU 4.2 to 7.2 on six
//! targets (`$QAPI_SHARED_DIR/libvirt-replies/`): every request libvirt sent
//! while probing a freshly started QEMU, with the reply it got.
//!
//! A transcript is a sequence of pretty-printed JSON objects separated by
//! blank lines, a request followed by its reply (`return` or `error`).

use std::path::Path;

use serde_json::Value;

/// Where the transcripts are, inside the shared directory.
pub const DIR: &str = "libvirt-replies";

/// A QEMU version, as the transcripts' file names give it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Major.
    pub major: u32,
    /// Minor.
    pub minor: u32,
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// One recorded request and its reply.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// The command.
    pub command: String,
    /// Its `arguments`, if it had any.
    pub arguments: Option<Value>,
    /// What came back.
    pub reply: Reply,
    /// The request's position in its transcript, 1-based.
    pub index: usize,
}

/// A reply.
#[derive(Clone, Debug)]
pub enum Reply {
    /// `{"return": VALUE}`: the value.
    Return(Value),
    /// `{"error": {...}}`: the whole message.
    Error(Value),
}

/// One transcript: the QEMU that sent it and what was said.
#[derive(Clone, Debug)]
pub struct Transcript {
    /// The file name, `caps_<version>.<target>.replies`.
    pub file: String,
    /// QEMU's version.
    pub version: Version,
    /// The target architecture (`x86_64`, `s390x`, ...).
    pub target: String,
    /// The exchanges, in order.
    pub exchanges: Vec<Exchange>,
}

/// Reads every transcript in `dir`, sorted by file name.
pub fn read_all(dir: &Path) -> Result<Vec<Transcript>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files: Vec<_> = entries
        .map(|e| e.map(|e| e.path()).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    files.retain(|p| p.extension().is_some_and(|e| e == "replies"));
    files.sort();
    files.iter().map(|p| read(p)).collect()
}

/// Reads one transcript.
pub fn read(path: &Path) -> Result<Transcript, String> {
    let file = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| format!("{}: not a file name", path.display()))?
        .to_string();
    let (version, target) = parse_name(&file).ok_or_else(|| {
        format!("{file}: not named caps_<major>.<minor>.<micro>.<target>.replies")
    })?;
    let text = std::fs::read_to_string(path).map_err(|e| format!("{file}: {e}"))?;
    let messages = serde_json::Deserializer::from_str(&text)
        .into_iter::<Value>()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{file}: {e}"))?;
    if messages.len() % 2 != 0 {
        return Err(format!("{file}: a request without its reply"));
    }
    let exchanges = messages
        .chunks(2)
        .enumerate()
        .map(|(i, pair)| exchange(&pair[0], &pair[1], i + 1).map_err(|e| format!("{file}: {e}")))
        .collect::<Result<_, _>>()?;
    Ok(Transcript {
        file,
        version,
        target,
        exchanges,
    })
}

fn parse_name(file: &str) -> Option<(Version, String)> {
    let rest = file.strip_prefix("caps_")?.strip_suffix(".replies")?;
    let mut parts = rest.splitn(4, '.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    let _micro: u32 = parts.next()?.parse().ok()?;
    let target = parts.next()?.to_string();
    Some((Version { major, minor }, target))
}

fn exchange(request: &Value, reply: &Value, index: usize) -> Result<Exchange, String> {
    let command = request
        .get("execute")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("message {index}: not a request: {request}"))?
        .to_string();
    let (id, reply_id) = (request.get("id"), reply.get("id"));
    if id != reply_id {
        return Err(format!(
            "message {index}: the reply's id {reply_id:?} is not the request's {id:?}"
        ));
    }
    let reply = match (reply.get("return"), reply.get("error")) {
        (Some(r), None) => Reply::Return(r.clone()),
        (None, Some(_)) => Reply::Error(reply.clone()),
        _ => return Err(format!("message {index}: not a reply: {reply}")),
    };
    Ok(Exchange {
        command,
        arguments: request.get("arguments").cloned(),
        reply,
        index,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_give_version_and_target() {
        assert_eq!(
            parse_name("caps_4.2.0.x86_64.replies"),
            Some((Version { major: 4, minor: 2 }, "x86_64".to_string()))
        );
        assert_eq!(
            parse_name("caps_10.0.0.s390x.replies"),
            Some((
                Version {
                    major: 10,
                    minor: 0
                },
                "s390x".to_string()
            ))
        );
        assert_eq!(parse_name("caps_4.2.x86_64.replies"), None);
        assert_eq!(parse_name("README.md"), None);
    }

    #[test]
    fn requests_pair_with_replies() {
        let dir = std::env::temp_dir().join(format!("qapi-replies-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("caps_7.2.0.x86_64.replies");
        std::fs::write(
            &path,
            "{\n  \"execute\": \"query-kvm\",\n  \"id\": \"libvirt-1\"\n}\n\n\
             {\n  \"return\": {\"enabled\": false, \"present\": true},\n  \"id\": \"libvirt-1\"\n}\n\n\
             {\"execute\": \"nope\", \"arguments\": {\"a\": 1}, \"id\": \"libvirt-2\"}\n\n\
             {\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"x\"}, \"id\": \"libvirt-2\"}\n",
        )
        .unwrap();
        let t = read(&path).unwrap();
        assert_eq!(t.version, Version { major: 7, minor: 2 });
        assert_eq!(t.target, "x86_64");
        assert_eq!(t.exchanges.len(), 2);
        assert_eq!(t.exchanges[0].command, "query-kvm");
        assert!(matches!(&t.exchanges[0].reply, Reply::Return(v) if v["present"] == true));
        assert_eq!(t.exchanges[1].arguments, Some(serde_json::json!({"a": 1})));
        assert!(matches!(&t.exchanges[1].reply, Reply::Error(_)));
        std::fs::write(
            &path,
            "{\"execute\": \"a\", \"id\": 1}\n{\"return\": {}, \"id\": 2}\n",
        )
        .unwrap();
        assert!(read(&path).unwrap_err().contains("is not the request's"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

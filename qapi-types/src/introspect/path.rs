//! Path queries over a [`Schema`]: "does this server have this command,
//! argument, branch, value or feature?".

use std::collections::HashSet;

use super::{Definition, Schema};

/// Why a path query is malformed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// The path is the empty string.
    #[error("empty path")]
    Empty,
    /// Two slashes in a row, or a slash at either end.
    #[error("empty segment at position {position} of '{path}'")]
    EmptySegment {
        /// The whole path.
        path: String,
        /// The segment's position, from 0.
        position: usize,
    },
    /// A segment that is only a prefix (`*`, `+`, `^` or `$`).
    #[error("segment '{segment}' names nothing")]
    NoName {
        /// The segment.
        segment: String,
    },
    /// The first segment must be a command's or an event's name.
    #[error("a path starts with a command or event name, not '{segment}'")]
    BadStart {
        /// The segment.
        segment: String,
    },
    /// `^value` and `$feature` end a path.
    #[error("'{segment}' must be the last segment")]
    NotLast {
        /// The segment.
        segment: String,
    },
}

/// One segment after the first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step<'a> {
    /// `name`: an object member (or `arg-type` / `ret-type` after a
    /// command or event).
    Member(&'a str),
    /// `*name`: an optional object member.
    Optional(&'a str),
    /// `+case`: a union branch.
    Case(&'a str),
    /// `^value`: an enumeration value.
    Value(&'a str),
    /// `$feature`: a feature.
    Feature(&'a str),
}

/// The prefixes that make a segment something other than a member.
const PREFIXES: [char; 4] = ['*', '+', '^', '$'];

/// Splits `path` into the command or event name and the steps after it.
fn parse(path: &str) -> Result<(&str, Vec<Step<'_>>), PathError> {
    if path.is_empty() {
        return Err(PathError::Empty);
    }
    let segments: Vec<&str> = path.split('/').collect();
    if let Some(position) = segments.iter().position(|s| s.is_empty()) {
        return Err(PathError::EmptySegment {
            path: path.to_owned(),
            position,
        });
    }
    let Some((&start, rest)) = segments.split_first() else {
        return Err(PathError::Empty);
    };
    if start.starts_with(PREFIXES) {
        return Err(PathError::BadStart {
            segment: start.to_owned(),
        });
    }
    let mut steps = Vec::with_capacity(rest.len());
    for (i, &segment) in rest.iter().enumerate() {
        let step = step(segment)?;
        if matches!(step, Step::Value(_) | Step::Feature(_)) && i + 1 < rest.len() {
            return Err(PathError::NotLast {
                segment: segment.to_owned(),
            });
        }
        steps.push(step);
    }
    Ok((start, steps))
}

/// One segment after the first, by its prefix.
fn step(segment: &str) -> Result<Step<'_>, PathError> {
    let mut chars = segment.chars();
    let step = match chars.next() {
        Some('*') => Step::Optional(chars.as_str()),
        Some('+') => Step::Case(chars.as_str()),
        Some('^') => Step::Value(chars.as_str()),
        Some('$') => Step::Feature(chars.as_str()),
        _ => Step::Member(segment),
    };
    match step {
        Step::Member(name)
        | Step::Optional(name)
        | Step::Case(name)
        | Step::Value(name)
        | Step::Feature(name)
            if name.is_empty() =>
        {
            Err(PathError::NoName {
                segment: segment.to_owned(),
            })
        }
        _ => Ok(step),
    }
}

impl Schema {
    /// Answers a path query: whether the server has a command or event,
    /// an argument or data member, a union branch, an enumeration value or
    /// a feature, named by a path like libvirt's.
    ///
    /// A path is made of segments separated by `/`:
    ///
    /// - the first names a command or an event;
    /// - the second is `arg-type` (a command's arguments, an event's data)
    ///   or `ret-type` (what a command returns); or `$feature`, true when
    ///   the command or event has that feature;
    /// - then, at an object type:
    ///   - `name` selects the member `name` and goes on at its type,
    ///   - `*name` the same, but only if the member is optional,
    ///   - `+case` the union branch for the tag value `case`;
    /// - `^value`, last: true when the type reached is an enumeration with
    ///   that value;
    /// - `$feature`, last: true when the member just selected (or, when
    ///   none was, the type reached) has that feature.
    ///
    /// Arrays are looked through (a segment applies to the elements'
    /// type).  At an alternate, the rest of the path is tried through each
    /// alternative, and succeeds if it does through any.  Built-in types
    /// have no members.  A path that names something the server lacks is
    /// simply `false`; only a malformed path is an error.
    ///
    /// ```
    /// # use qapi_types::introspect::{PathError, Schema};
    /// let schema: Schema = qapi_types::serde_json::from_str(r#"[
    ///     {"name": "blockdev-add", "meta-type": "command", "arg-type": "1", "ret-type": "0"},
    ///     {"name": "0", "meta-type": "object", "members": []},
    ///     {"name": "1", "meta-type": "object", "tag": "driver",
    ///      "members": [{"name": "driver", "type": "2"},
    ///                  {"name": "node-name", "type": "str", "default": null}],
    ///      "variants": [{"case": "file", "type": "3"}]},
    ///     {"name": "2", "meta-type": "enum", "values": ["file"]},
    ///     {"name": "3", "meta-type": "object", "features": ["dynamic-auto-read-only"],
    ///      "members": [{"name": "filename", "type": "str"},
    ///                  {"name": "drop-cache", "type": "bool", "default": null,
    ///                   "features": ["unstable"]}]},
    ///     {"name": "str", "meta-type": "builtin", "json-type": "string"},
    ///     {"name": "bool", "meta-type": "builtin", "json-type": "boolean"}
    /// ]"#)?;
    /// assert_eq!(schema.has("blockdev-add"), Ok(true));
    /// assert_eq!(schema.has("blockdev-add/arg-type/+file/drop-cache"), Ok(true));
    /// assert_eq!(schema.has("blockdev-add/arg-type/*node-name"), Ok(true));
    /// // `driver` is there, but not optional.
    /// assert_eq!(schema.has("blockdev-add/arg-type/*driver"), Ok(false));
    /// assert_eq!(schema.has("blockdev-add/arg-type/driver/^file"), Ok(true));
    /// assert_eq!(schema.has("blockdev-add/arg-type/driver/^nbd"), Ok(false));
    /// assert_eq!(schema.has("blockdev-add/arg-type/+file/drop-cache/$unstable"), Ok(true));
    /// assert_eq!(schema.has("blockdev-add/arg-type/+file/$dynamic-auto-read-only"), Ok(true));
    /// assert_eq!(schema.has("blockdev-add/arg-type/+nbd"), Ok(false));
    /// assert_eq!(schema.has("blockdev-add/arg-type//x"), Err(PathError::EmptySegment {
    ///     path: "blockdev-add/arg-type//x".into(),
    ///     position: 2,
    /// }));
    /// # Ok::<(), qapi_types::serde_json::Error>(())
    /// ```
    pub fn has(&self, path: &str) -> Result<bool, PathError> {
        let (name, steps) = parse(path)?;
        Ok(Walk {
            schema: self,
            steps: &steps,
            seen: HashSet::new(),
        }
        .start(name))
    }
}

/// One query's walk through the schema.
struct Walk<'s, 'p> {
    schema: &'s Schema,
    steps: &'p [Step<'p>],
    /// The (type, step) pairs already tried.  A walk's outcome from a type
    /// depends on nothing else, so a pair tried again (through a cycle of
    /// alternates or arrays, or another alternative) cannot succeed where
    /// it failed: this bounds the work by types × steps.
    seen: HashSet<(&'s str, usize)>,
}

impl<'s> Walk<'s, '_> {
    /// The walk from the command or event `name`.
    fn start(&mut self, name: &str) -> bool {
        let Some(entity) = self.schema.entity(name) else {
            return false;
        };
        let (arg_type, ret_type) = match &entity.definition {
            Definition::Command(c) => (&c.arg_type, Some(&c.ret_type)),
            Definition::Event(e) => (&e.arg_type, None),
            _ => return false,
        };
        match self.steps.first() {
            None => true,
            Some(Step::Feature(f)) => entity.has_feature(f),
            Some(Step::Member("arg-type")) => self.at(arg_type, 1),
            Some(Step::Member("ret-type")) => ret_type.is_some_and(|r| self.at(r, 1)),
            Some(_) => false,
        }
    }

    /// Whether the steps from `step` on succeed at the type `name`.
    fn at(&mut self, name: &'s str, step: usize) -> bool {
        let Some(entity) = self.schema.entity(name) else {
            return false;
        };
        let Some(&current) = self.steps.get(step) else {
            return true;
        };
        if !self.seen.insert((&entity.name, step)) {
            return false;
        }
        match (&entity.definition, current) {
            (Definition::Array(a), _) => self.at(&a.element_type, step),
            (Definition::Alternate(a), _) => {
                matches!(current, Step::Feature(f) if entity.has_feature(f))
                    || a.members.iter().any(|alt| self.at(&alt.ty, step))
            }
            (_, Step::Feature(f)) => entity.has_feature(f),
            (Definition::Enum(e), Step::Value(v)) => e.value(v).is_some(),
            (Definition::Object(o), Step::Case(case)) => match o.variant(case) {
                Some(variant) => self.at(&variant.ty, step + 1),
                None => false,
            },
            (Definition::Object(o), Step::Member(name) | Step::Optional(name)) => {
                let Some(member) = o.member(name) else {
                    return false;
                };
                if matches!(current, Step::Optional(_)) && !member.optional {
                    return false;
                }
                match self.steps.get(step + 1) {
                    Some(Step::Feature(f)) => member.has_feature(f),
                    _ => self.at(&member.ty, step + 1),
                }
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(text: &str) -> Schema {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn paths_parse_into_steps() {
        assert_eq!(
            parse("a/arg-type/m/*o/+c/^v"),
            Ok((
                "a",
                vec![
                    Step::Member("arg-type"),
                    Step::Member("m"),
                    Step::Optional("o"),
                    Step::Case("c"),
                    Step::Value("v"),
                ]
            ))
        );
        assert_eq!(parse("EV"), Ok(("EV", vec![])));
        assert_eq!(parse("c/$f"), Ok(("c", vec![Step::Feature("f")])));
    }

    #[test]
    fn malformed_paths_are_errors() {
        assert_eq!(parse(""), Err(PathError::Empty));
        for (path, position) in [("/a", 0), ("a/", 1), ("a//b", 1), ("a/b//", 2)] {
            assert_eq!(
                parse(path),
                Err(PathError::EmptySegment {
                    path: path.into(),
                    position
                }),
                "{path}"
            );
        }
        for segment in ["*", "+", "^", "$"] {
            assert_eq!(
                parse(&format!("c/arg-type/{segment}")),
                Err(PathError::NoName {
                    segment: segment.into()
                })
            );
            assert_eq!(
                parse(&format!("{segment}c")),
                Err(PathError::BadStart {
                    segment: format!("{segment}c")
                })
            );
        }
        assert_eq!(
            parse("c/arg-type/e/^v/x"),
            Err(PathError::NotLast {
                segment: "^v".into()
            })
        );
        assert_eq!(
            parse("c/$f/$g"),
            Err(PathError::NotLast {
                segment: "$f".into()
            })
        );
        assert_eq!(
            PathError::NotLast {
                segment: "$f".into()
            }
            .to_string(),
            "'$f' must be the last segment"
        );
    }

    const SCHEMA: &str = r#"[
        {"name": "cmd", "meta-type": "command", "arg-type": "1", "ret-type": "2",
         "features": ["deprecated"]},
        {"name": "EV", "meta-type": "event", "arg-type": "1"},
        {"name": "1", "meta-type": "object", "members": [
            {"name": "list", "type": "[3]"},
            {"name": "alt", "type": "4", "default": null, "features": ["unstable"]},
            {"name": "n", "type": "int"}]},
        {"name": "2", "meta-type": "array", "element-type": "5"},
        {"name": "[3]", "meta-type": "array", "element-type": "3"},
        {"name": "3", "meta-type": "enum", "values": ["x", "y"]},
        {"name": "4", "meta-type": "alternate", "members": [{"type": "int"}, {"type": "5"}]},
        {"name": "5", "meta-type": "object", "members": [{"name": "deep", "type": "int"}],
         "features": ["typefeature"]},
        {"name": "int", "meta-type": "builtin", "json-type": "int"}
    ]"#;

    #[test]
    fn commands_and_events() {
        let s = schema(SCHEMA);
        let has = |p: &str| s.has(p).unwrap();
        assert!(has("cmd") && has("EV"));
        assert!(!has("nope") && !has("1") && !has("int"));
        assert!(has("cmd/$deprecated") && !has("EV/$deprecated"));
        assert!(has("EV/arg-type/n") && !has("EV/ret-type"));
        assert!(has("cmd/arg-type") && has("cmd/ret-type"));
        assert!(!has("cmd/bogus") && !has("cmd/*arg-type"));
    }

    #[test]
    fn members_arrays_alternates_values_and_features() {
        let s = schema(SCHEMA);
        let has = |p: &str| s.has(p).unwrap();
        assert!(has("cmd/arg-type/list/^x"));
        assert!(!has("cmd/arg-type/list/^z"));
        assert!(!has("cmd/arg-type/n/^x"), "a builtin is no enum");
        assert!(!has("cmd/arg-type/n/deep"), "builtins cannot be entered");
        assert!(has("cmd/arg-type/alt/deep"), "through the alternate");
        assert!(has("cmd/arg-type/*alt") && !has("cmd/arg-type/*n"));
        assert!(has("cmd/arg-type/alt/$unstable"), "the member's feature");
        assert!(!has("cmd/arg-type/n/$unstable"));
        assert!(has("cmd/arg-type/alt/deep") && !has("cmd/arg-type/alt/shallow"));
        assert!(has("cmd/ret-type/deep"), "through the array");
        assert!(has("cmd/ret-type/$typefeature"), "the type's feature");
        assert!(!has("cmd/arg-type/+x"), "not a union");
    }

    #[test]
    fn unions() {
        let s = schema(
            r#"[
            {"name": "c", "meta-type": "command", "arg-type": "u", "ret-type": "u"},
            {"name": "u", "meta-type": "object", "tag": "t",
             "members": [{"name": "t", "type": "e"}],
             "variants": [{"case": "a", "type": "va"}]},
            {"name": "e", "meta-type": "enum", "values": ["a", "b"]},
            {"name": "va", "meta-type": "object", "members": [{"name": "x", "type": "e"}]}
        ]"#,
        );
        let has = |p: &str| s.has(p).unwrap();
        assert!(has("c/arg-type/+a") && has("c/arg-type/+a/x/^b"));
        assert!(!has("c/arg-type/+b") && !has("c/arg-type/+a/y"));
        assert!(!has("c/arg-type/x"), "a branch's member needs its +case");
    }

    #[test]
    fn cycles_and_dangling_names_end() {
        let s = schema(
            r#"[
            {"name": "c", "meta-type": "command", "arg-type": "a", "ret-type": "l"},
            {"name": "a", "meta-type": "alternate", "members": [{"type": "a"}, {"type": "b"}]},
            {"name": "b", "meta-type": "alternate", "members": [{"type": "a"}, {"type": "gone"}]},
            {"name": "l", "meta-type": "array", "element-type": "l"}
        ]"#,
        );
        assert_eq!(s.has("c/arg-type/x"), Ok(false));
        assert_eq!(s.has("c/ret-type/x/y/z"), Ok(false));
        assert_eq!(s.has("c/ret-type/$f"), Ok(false));
        assert_eq!(s.has("c/arg-type"), Ok(true));
    }
}

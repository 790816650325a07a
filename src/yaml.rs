//! All YAML reading and writing lives here, so callers never see which crates do it.
//!
//! Answers are read in two passes. First an event parser (`yaml-rust2`) builds a
//! small tree that remembers the line and column of every value; it refuses
//! anchors/aliases, tags, duplicate keys, deep nesting and oversized input before
//! anything is expanded, so hostile files cost almost nothing. The tree is then
//! turned into a `serde_yaml::Value` and deserialized into the typed model, and the
//! locations let every later error point at the file, line and column.

use std::fmt::Write as _;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::TScalarStyle;

use crate::error::{Diagnostic, Location};

/// Answers files are small; anything larger is refused before parsing.
pub const MAX_INPUT_BYTES: usize = 256 * 1024;
/// Deepest nesting the answers model needs is 4; leave room but stop recursion bombs.
pub const MAX_DEPTH: usize = 32;
/// Upper bound on values in one document (10 000 environments do not fit an 8-environment model anyway).
pub const MAX_NODES: usize = 20_000;

/// A parsed YAML value with the place it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: NodeValue,
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Keys keep their own location so unknown keys can be pointed at.
    Map(Vec<(String, Location, Node)>),
}

impl Node {
    pub fn new(value: NodeValue, location: Location) -> Self {
        Self { value, location }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            NodeValue::Map(entries) => entries.iter().find(|(k, _, _)| k == key).map(|(_, _, v)| v),
            _ => None,
        }
    }

    /// Finds the node at a field path like `environments[1].vpc_cidr`.
    pub fn at_path(&self, path: &str) -> Option<&Node> {
        let mut node = self;
        for part in split_path(path) {
            node = match part {
                PathPart::Key(k) => node.get(&k)?,
                PathPart::Index(i) => match &node.value {
                    NodeValue::Seq(items) => items.get(i)?,
                    _ => return None,
                },
            };
        }
        Some(node)
    }

    /// Takes out the value at `path` (a map entry or a list item); false when there is none.
    pub fn remove(&mut self, path: &str) -> bool {
        let mut parts = split_path(path);
        let Some(last) = parts.pop() else {
            return false;
        };
        let mut node = self;
        for part in parts {
            let next = match (&mut node.value, part) {
                (NodeValue::Map(entries), PathPart::Key(k)) => entries
                    .iter_mut()
                    .find(|(key, _, _)| *key == k)
                    .map(|(_, _, v)| v),
                (NodeValue::Seq(items), PathPart::Index(i)) => items.get_mut(i),
                _ => None,
            };
            match next {
                Some(n) => node = n,
                None => return false,
            }
        }
        match (&mut node.value, last) {
            (NodeValue::Map(entries), PathPart::Key(k)) => {
                let before = entries.len();
                entries.retain(|(key, _, _)| *key != k);
                entries.len() != before
            }
            (NodeValue::Seq(items), PathPart::Index(i)) if i < items.len() => {
                items.remove(i);
                true
            }
            _ => false,
        }
    }

    /// Location of the value at `path`, or of the nearest ancestor that exists.
    pub fn location_of(&self, path: &str) -> Option<Location> {
        let parts = split_path(path);
        for len in (0..=parts.len()).rev() {
            let prefix = join_path(&parts[..len]);
            if let Some(node) = self.at_path(&prefix) {
                if len == 0 && node.location.line == 0 {
                    return None;
                }
                return Some(node.location.clone());
            }
        }
        None
    }

    /// Deep merge: maps merge key by key, everything else is replaced by `other`.
    pub fn merge(&mut self, other: Node) {
        match (&mut self.value, other.value) {
            (NodeValue::Map(mine), NodeValue::Map(theirs)) => {
                for (key, key_loc, value) in theirs {
                    if let Some(slot) = mine.iter_mut().find(|(k, _, _)| *k == key) {
                        slot.1 = key_loc;
                        slot.2.merge(value);
                    } else {
                        mine.push((key, key_loc, value));
                    }
                }
            }
            (_, value) => {
                self.value = value;
                self.location = other.location;
            }
        }
    }

    /// Builds a tree from a serde value; every node gets the same location.
    pub fn from_value(value: &serde_yaml::Value, location: &Location) -> Node {
        use serde_yaml::Value;
        let v = match value {
            Value::Null => NodeValue::Null,
            Value::Bool(b) => NodeValue::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => NodeValue::Int(i),
                None => NodeValue::Float(n.as_f64().unwrap_or_default()),
            },
            Value::String(s) => NodeValue::Str(s.clone()),
            Value::Sequence(items) => NodeValue::Seq(
                items
                    .iter()
                    .map(|v| Node::from_value(v, location))
                    .collect(),
            ),
            Value::Mapping(map) => NodeValue::Map(
                map.iter()
                    .map(|(k, v)| {
                        let key = k.as_str().map(str::to_string).unwrap_or_default();
                        (key, location.clone(), Node::from_value(v, location))
                    })
                    .collect(),
            ),
            Value::Tagged(t) => return Node::from_value(&t.value, location),
        };
        Node::new(v, location.clone())
    }

    /// Converts to a serde value for typed deserialization.
    pub fn to_value(&self) -> serde_yaml::Value {
        use serde_yaml::Value;
        match &self.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => Value::Bool(*b),
            NodeValue::Int(i) => Value::Number((*i).into()),
            NodeValue::Float(f) => Value::Number((*f).into()),
            NodeValue::Str(s) => Value::String(s.clone()),
            NodeValue::Seq(items) => Value::Sequence(items.iter().map(Node::to_value).collect()),
            NodeValue::Map(entries) => {
                let mut map = serde_yaml::Mapping::new();
                for (k, _, v) in entries {
                    map.insert(Value::String(k.clone()), v.to_value());
                }
                Value::Mapping(map)
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathPart {
    Key(String),
    Index(usize),
}

/// Splits `a.b[2].c` (or `a.b.2.c`) into parts.
pub fn split_path(path: &str) -> Vec<PathPart> {
    let mut parts = Vec::new();
    for piece in path.split('.').filter(|p| !p.is_empty()) {
        let mut rest = piece;
        if let Some(open) = rest.find('[') {
            let key = &rest[..open];
            if !key.is_empty() {
                parts.push(PathPart::Key(key.to_string()));
            }
            rest = &rest[open..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let close = stripped.find(']').unwrap_or(stripped.len());
                match stripped[..close].parse::<usize>() {
                    Ok(i) => parts.push(PathPart::Index(i)),
                    Err(_) => parts.push(PathPart::Key(stripped[..close].to_string())),
                }
                rest = stripped.get(close + 1..).unwrap_or("");
            }
        } else if let Ok(i) = rest.parse::<usize>() {
            parts.push(PathPart::Index(i));
        } else {
            parts.push(PathPart::Key(rest.to_string()));
        }
    }
    parts
}

pub fn join_path(parts: &[PathPart]) -> String {
    let mut out = String::new();
    for part in parts {
        match part {
            PathPart::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            PathPart::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
        }
    }
    out
}

/// Parses one YAML document into a located tree. An empty document is an empty map.
/// Any problem, a duplicate key included, is an error.
pub fn parse(text: &str, source: &str) -> Result<Node, Diagnostic> {
    let (node, mut problems) = parse_all(text, source)?;
    if problems.is_empty() {
        Ok(node)
    } else {
        Err(problems.swap_remove(0))
    }
}

/// Parses one YAML document, continuing past problems that leave the tree
/// usable: a duplicate key is reported (the first value is kept) and the rest
/// of the document is still read. Problems that stop the reading (syntax,
/// anchors, tags, size) are the error.
pub fn parse_all(text: &str, source: &str) -> Result<(Node, Vec<Diagnostic>), Diagnostic> {
    let mut problems = Vec::new();
    let node = parse_inner(text, source, &mut problems)?;
    Ok((node, problems))
}

fn parse_inner(
    text: &str,
    source: &str,
    problems: &mut Vec<Diagnostic>,
) -> Result<Node, Diagnostic> {
    let here = |line: usize, col: usize| Location {
        source: source.to_string(),
        line,
        col: col + 1,
    };
    if text.len() > MAX_INPUT_BYTES {
        return Err(Diagnostic::new(
            "",
            format!(
                "the file is {} bytes; answers files are limited to {} bytes",
                text.len(),
                MAX_INPUT_BYTES
            ),
        )
        .at(Some(here(0, 0))));
    }
    if let Some(pos) = text.find('\0') {
        let line = text[..pos].lines().count().max(1);
        return Err(
            Diagnostic::new("", "the file contains a NUL byte; answers must be text")
                .at(Some(here(line, 0))),
        );
    }

    enum Frame {
        Seq(Location, Vec<Node>),
        /// Entries so far, and the key waiting for its value (`None` as the
        /// key's name when it repeats an earlier key and its value is dropped).
        Map(
            Location,
            Vec<(String, Location, Node)>,
            Option<(Option<String>, Location)>,
        ),
    }

    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    let mut nodes = 0usize;
    let mut documents = 0usize;

    loop {
        let (event, mark) = parser.next_token().map_err(|e| {
            let m = e.marker();
            if e.info().contains("recursion limit") {
                let info = format!(
                    "nesting too deep ({}); answers files are at most 4 levels deep",
                    e.info()
                );
                return Diagnostic::new("", info).at(Some(here(m.line(), m.col())));
            }
            if let Some((line, col, quote)) = unclosed_quote(text) {
                return Diagnostic::new(
                    "",
                    format!("YAML syntax error: missing closing quote ({quote}) for the string that starts here"),
                )
                .hint(format!("end the value with {quote} on the same line, or remove the opening {quote}"))
                .at(Some(here(line, col)));
            }
            Diagnostic::new("", format!("YAML syntax error: {}", e.info()))
                .at(Some(here(m.line(), m.col())))
        })?;
        let loc = here(mark.line(), mark.col());
        let completed: Option<Node> = match event {
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => None,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err(Diagnostic::new(
                        "",
                        "more than one YAML document; an answers file holds exactly one",
                    )
                    .at(Some(loc)));
                }
                None
            }
            Event::StreamEnd => break,
            Event::Alias(_) => {
                return Err(Diagnostic::new(
                    "",
                    "YAML aliases (*name) are not accepted in answers files",
                )
                .hint("write the value out in full")
                .at(Some(loc)))
            }
            Event::Scalar(text, style, anchor, tag) => {
                if anchor != 0 {
                    return Err(anchor_error(loc));
                }
                let value = match tag {
                    Some(tag) if tag.handle == "!!" && tag.suffix == "str" => NodeValue::Str(text),
                    Some(tag) if tag.handle == "tag:yaml.org,2002:" && tag.suffix == "str" => {
                        NodeValue::Str(text)
                    }
                    Some(tag) => {
                        return Err(Diagnostic::new(
                            "",
                            format!(
                                "YAML tag {} is not accepted in answers files",
                                tag_name(&tag)
                            ),
                        )
                        .at(Some(loc)))
                    }
                    None if style == TScalarStyle::Plain => resolve_plain(text),
                    None => NodeValue::Str(text),
                };
                Some(Node::new(value, loc))
            }
            Event::SequenceStart(anchor, tag) => {
                if anchor != 0 {
                    return Err(anchor_error(loc));
                }
                reject_tag(&tag, &loc)?;
                stack.push(Frame::Seq(loc, Vec::new()));
                check_depth(stack.len(), &stack_loc(&stack))?;
                None
            }
            Event::MappingStart(anchor, tag) => {
                if anchor != 0 {
                    return Err(anchor_error(loc));
                }
                reject_tag(&tag, &loc)?;
                stack.push(Frame::Map(loc, Vec::new(), None));
                check_depth(stack.len(), &stack_loc(&stack))?;
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(l, items)) => Some(Node::new(NodeValue::Seq(items), l)),
                _ => unreachable!("parser emits balanced sequence events"),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map(l, entries, _)) => Some(Node::new(NodeValue::Map(entries), l)),
                _ => unreachable!("parser emits balanced mapping events"),
            },
        };

        fn stack_loc(stack: &[Frame]) -> Location {
            match stack.last() {
                Some(Frame::Seq(l, _)) | Some(Frame::Map(l, _, _)) => l.clone(),
                None => Location {
                    source: String::new(),
                    line: 0,
                    col: 0,
                },
            }
        }

        if let Some(node) = completed {
            nodes += 1;
            if nodes > MAX_NODES {
                return Err(Diagnostic::new(
                    "",
                    format!(
                        "the document has more than {MAX_NODES} values; answers files are small"
                    ),
                )
                .at(Some(node.location)));
            }
            match stack.last_mut() {
                None => root = Some(node),
                Some(Frame::Seq(_, items)) => items.push(node),
                Some(Frame::Map(_, entries, pending)) => match pending.take() {
                    None => {
                        let key = match node.value {
                            NodeValue::Str(s) => s,
                            NodeValue::Int(i) => i.to_string(),
                            NodeValue::Bool(b) => b.to_string(),
                            NodeValue::Null => "null".to_string(),
                            NodeValue::Float(f) => f.to_string(),
                            NodeValue::Seq(_) | NodeValue::Map(_) => {
                                return Err(Diagnostic::new(
                                    "",
                                    "complex mapping keys are not accepted; keys are plain names",
                                )
                                .at(Some(node.location)))
                            }
                        };
                        if let Some((_, first, _)) = entries.iter().find(|(k, _, _)| *k == key) {
                            problems.push(
                                Diagnostic::new(
                                    key.clone(),
                                    "this key appears twice in the same mapping",
                                )
                                .hint(format!(
                                    "the first `{key}` is on line {}; keep one of them (the first is used for the other checks)",
                                    first.line
                                ))
                                .at(Some(node.location.clone())),
                            );
                            *pending = Some((None, node.location));
                        } else {
                            *pending = Some((Some(key), node.location));
                        }
                    }
                    Some((Some(key), key_loc)) => entries.push((key, key_loc, node)),
                    Some((None, _)) => {}
                },
            }
        }
    }

    Ok(root.unwrap_or_else(|| {
        Node::new(
            NodeValue::Map(Vec::new()),
            Location {
                source: source.to_string(),
                line: 1,
                col: 1,
            },
        )
    }))
}

/// The first quoted scalar that is never closed: (1-based line, 0-based column, quote).
/// Comments and quotes inside plain words (`it's`) are skipped.
fn unclosed_quote(text: &str) -> Option<(usize, usize, char)> {
    let mut open: Option<(usize, usize, char)> = None;
    for (ln, line) in text.lines().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            match open {
                Some((_, _, '"')) if c == '\\' => i += 1,
                Some((_, _, '\'')) if c == '\'' && chars.get(i + 1) == Some(&'\'') => i += 1,
                Some((_, _, q)) if c == q => open = None,
                Some(_) => {}
                None if c == '#' && (i == 0 || chars[i - 1].is_whitespace()) => break,
                None if (c == '"' || c == '\'')
                    && (i == 0
                        || chars[i - 1].is_whitespace()
                        || matches!(chars[i - 1], ':' | '[' | '{' | ',' | '-')) =>
                {
                    open = Some((ln + 1, i, c));
                }
                None => {}
            }
            i += 1;
        }
        // A double-quoted string may continue on the next line; a single line
        // that never closes it before the document ends is what is reported.
    }
    open
}

fn anchor_error(loc: Location) -> Diagnostic {
    Diagnostic::new("", "YAML anchors (&name) are not accepted in answers files")
        .hint("write each value out in full")
        .at(Some(loc))
}

fn reject_tag(tag: &Option<yaml_rust2::parser::Tag>, loc: &Location) -> Result<(), Diagnostic> {
    match tag {
        None => Ok(()),
        Some(t) => Err(Diagnostic::new(
            "",
            format!("YAML tag {} is not accepted in answers files", tag_name(t)),
        )
        .at(Some(loc.clone()))),
    }
}

fn tag_name(tag: &yaml_rust2::parser::Tag) -> String {
    match tag.handle.as_str() {
        "tag:yaml.org,2002:" => format!("!!{}", tag.suffix),
        handle => format!("{handle}{}", tag.suffix),
    }
}

fn check_depth(depth: usize, loc: &Location) -> Result<(), Diagnostic> {
    if depth > MAX_DEPTH {
        Err(Diagnostic::new(
            "",
            format!(
                "nesting too deep (more than {MAX_DEPTH} levels); answers files are at most 4 levels deep"
            ),
        )
        .at(Some(loc.clone())))
    } else {
        Ok(())
    }
}

/// YAML 1.2 core schema resolution for unquoted scalars. `yes`/`no`/`on`/`off`
/// stay strings (YAML 1.1 surprises are not carried over).
fn resolve_plain(text: String) -> NodeValue {
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return NodeValue::Null,
        "true" | "True" | "TRUE" => return NodeValue::Bool(true),
        "false" | "False" | "FALSE" => return NodeValue::Bool(false),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(&text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = text.parse::<i64>() {
            return NodeValue::Int(i);
        }
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if let Ok(i) = i64::from_str_radix(hex, 16) {
            return NodeValue::Int(i);
        }
    }
    let looks_float = digits.bytes().any(|b| b.is_ascii_digit())
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && digits.bytes().filter(|b| *b == b'.').count() <= 1;
    if looks_float {
        if let Ok(f) = text.parse::<f64>() {
            return NodeValue::Float(f);
        }
    }
    NodeValue::Str(text)
}

/// Serializes a value as YAML text.
pub fn to_string<T: serde::Serialize>(value: &T) -> String {
    serde_yaml::to_string(value).expect("the answers model always serializes")
}

/// Parses trusted, embedded YAML data (assets, manifests) into a typed value.
pub fn from_str<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_yaml::from_str(text).map_err(|e| e.to_string())
}

/// Parses YAML that may contain CloudFormation short-form tags (`!Ref`), for
/// checking rendered output. Tags are kept as tagged values.
pub fn parse_any<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_yaml::from_str(text).map_err(|e| e.to_string())
}

/// One step of the path to a value inside a rendered document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// A top-level entry of a block-mapping document: its key and the byte range
/// of its text (`key: value` up to the next top-level key).
pub type TopEntry = (String, std::ops::Range<usize>);

/// Checks rendered YAML in one pass over the parser's events, without building
/// a tree: exactly one document, no aliases, no complex or duplicate keys (tags
/// such as CloudFormation's `!Ref` are allowed). `on_scalar` sees every scalar
/// value with its path. Returns the top-level entries when the root is a block
/// mapping (`None` otherwise), so a caller can read one section with serde.
pub fn scan_rendered(
    text: &str,
    mut on_scalar: impl FnMut(&[Step], &str),
) -> Result<Option<Vec<TopEntry>>, String> {
    enum Frame {
        Seq(usize),
        /// Keys seen so far, and whether the next scalar is a key.
        Map(Vec<String>, bool),
    }
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut path: Vec<Step> = Vec::new();
    let mut documents = 0usize;
    // Char offsets of top-level keys; `None` once the root is known not to be a block mapping.
    let mut top: Option<Vec<(String, usize)>> = None;
    let at = |line: usize, col: usize| format!("line {line}, column {}", col + 1);

    loop {
        let (event, mark) = parser.next_token().map_err(|e| {
            format!(
                "{} at {}",
                e.info(),
                at(e.marker().line(), e.marker().col())
            )
        })?;
        // A value starts: give it its place in the path; a key is checked and recorded.
        let is_key = matches!(stack.last(), Some(Frame::Map(_, true)));
        let starts_value = matches!(
            event,
            Event::Scalar(..)
                | Event::SequenceStart(..)
                | Event::MappingStart(..)
                | Event::Alias(_)
        );
        if starts_value && !is_key {
            if let Some(Frame::Seq(i)) = stack.last() {
                path.push(Step::Index(*i));
            }
        }
        match event {
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => continue,
            Event::StreamEnd => break,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err(format!(
                        "more than one YAML document (at {})",
                        at(mark.line(), mark.col())
                    ));
                }
                continue;
            }
            Event::Alias(_) => {
                return Err(format!(
                    "YAML alias at {}; rendered files write every value out",
                    at(mark.line(), mark.col())
                ));
            }
            Event::Scalar(value, ..) if is_key => {
                let Some(Frame::Map(keys, expecting)) = stack.last_mut() else {
                    unreachable!("is_key implies a mapping frame")
                };
                if keys.contains(&value) {
                    return Err(format!(
                        "duplicate key `{value}` at {}",
                        at(mark.line(), mark.col())
                    ));
                }
                keys.push(value.clone());
                *expecting = false;
                if stack.len() == 1 {
                    if let Some(top) = top.as_mut() {
                        top.push((value.clone(), mark.index()));
                    }
                }
                path.push(Step::Key(value));
                continue;
            }
            Event::SequenceStart(..) | Event::MappingStart(..) if is_key => {
                return Err(format!(
                    "complex mapping key at {}",
                    at(mark.line(), mark.col())
                ));
            }
            Event::Scalar(value, ..) => on_scalar(&path, &value),
            Event::SequenceStart(..) => {
                stack.push(Frame::Seq(0));
                continue;
            }
            Event::MappingStart(..) => {
                if stack.is_empty() {
                    let flow = text.chars().nth(mark.index()) == Some('{');
                    top = (!flow).then(Vec::new);
                }
                stack.push(Frame::Map(Vec::new(), true));
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                stack.pop();
            }
        }
        // A value is complete: leave its place, and the parent expects its next key or item.
        match stack.last_mut() {
            Some(Frame::Map(_, expecting)) => {
                path.pop();
                *expecting = true;
            }
            Some(Frame::Seq(i)) => {
                path.pop();
                *i += 1;
            }
            None => {}
        }
    }

    let Some(top) = top else { return Ok(None) };
    // Char offsets to byte offsets (identical for ASCII text).
    let byte = |c: usize| {
        if text.is_ascii() {
            c.min(text.len())
        } else {
            text.char_indices().nth(c).map_or(text.len(), |(b, _)| b)
        }
    };
    let mut entries = Vec::with_capacity(top.len());
    for (i, (key, start)) in top.iter().enumerate() {
        let stop = top.get(i + 1).map_or(text.len(), |(_, s)| byte(*s));
        entries.push((key.clone(), byte(*start)..stop));
    }
    Ok(Some(entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendered_yaml_is_scanned_with_paths_and_top_level_ranges() {
        let text = "# head\nA: 1\nParameters:\n  P: {Type: String, Default: \"é\"}\nResources:\n  R:\n    Type: X\n    Properties: {Name: !Ref P, List: [a, b]}\n";
        let mut seen = Vec::new();
        let top = scan_rendered(text, |path, v| seen.push((path.to_vec(), v.to_string())))
            .unwrap()
            .unwrap();
        let keys: Vec<&str> = top.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["A", "Parameters", "Resources"]);
        // Each range is the entry's own text, also after a non-ASCII character.
        assert_eq!(
            &text[top[1].1.clone()],
            "Parameters:\n  P: {Type: String, Default: \"é\"}\n"
        );
        assert!(text[top[2].1.clone()].starts_with("Resources:\n  R:"));
        let key = |k: &str| Step::Key(k.to_string());
        assert!(seen.contains(&(
            vec![
                key("Resources"),
                key("R"),
                key("Properties"),
                key("List"),
                Step::Index(1)
            ],
            "b".to_string()
        )));
        assert!(seen.contains(&(
            vec![key("Resources"), key("R"), key("Properties"), key("Name")],
            "P".to_string()
        )));
    }

    #[test]
    fn rendered_yaml_faults_are_refused_with_their_place() {
        let dup = scan_rendered("A:\n  b: 1\n  b: 2\n", |_, _| {}).unwrap_err();
        assert!(
            dup.contains("duplicate key `b`") && dup.contains("line 3"),
            "{dup}"
        );
        let alias = scan_rendered("a: &x 1\nb: *x\n", |_, _| {}).unwrap_err();
        assert!(alias.contains("alias"), "{alias}");
        let two = scan_rendered("a: 1\n---\nb: 2\n", |_, _| {}).unwrap_err();
        assert!(two.contains("more than one YAML document"), "{two}");
        let syntax = scan_rendered("a: [1, 2\nb: 3\n", |_, _| {}).unwrap_err();
        assert!(syntax.contains("line"), "{syntax}");
        let complex = scan_rendered("? [a]\n: 1\n", |_, _| {}).unwrap_err();
        assert!(complex.contains("complex mapping key"), "{complex}");
        // A flow mapping at the top has no block entries to slice.
        assert_eq!(scan_rendered("{a: 1, b: 2}\n", |_, _| {}).unwrap(), None);
    }

    #[test]
    fn locations_are_one_based() {
        let node = parse("a:\n  b: 3\n", "f.yaml").unwrap();
        let b = node.at_path("a.b").unwrap();
        assert_eq!((b.location.line, b.location.col), (2, 6));
        assert_eq!(b.value, NodeValue::Int(3));
    }

    #[test]
    fn aliases_are_refused() {
        let err = parse("a: &x [1]\nb: *x\n", "f.yaml").unwrap_err();
        assert!(err.message.contains("anchors"), "{err}");
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let err = parse("a: 1\na: 2\n", "f.yaml").unwrap_err();
        assert!(err.message.contains("twice"), "{err}");
        assert_eq!(err.location.unwrap().line, 2);
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = "[".repeat(100) + &"]".repeat(100);
        let err = parse(&text, "f.yaml").unwrap_err();
        assert!(err.message.contains("nesting too deep"), "{err}");
    }

    #[test]
    fn quoted_numbers_stay_strings_and_yes_is_a_string() {
        let node = parse("a: \"012\"\nb: yes\nc: 1.5\n", "f").unwrap();
        assert_eq!(node.get("a").unwrap().value, NodeValue::Str("012".into()));
        assert_eq!(node.get("b").unwrap().value, NodeValue::Str("yes".into()));
        assert_eq!(node.get("c").unwrap().value, NodeValue::Float(1.5));
    }

    #[test]
    fn paths_split_both_ways() {
        assert_eq!(
            split_path("environments[2].vpc_cidr"),
            split_path("environments.2.vpc_cidr")
        );
        assert_eq!(
            join_path(&split_path("environments.2.vpc_cidr")),
            "environments[2].vpc_cidr"
        );
    }

    #[test]
    fn merge_replaces_sequences_and_merges_maps() {
        let mut a = parse("x: {a: 1, b: 2}\nl: [1, 2]\n", "a").unwrap();
        let b = parse("x: {b: 3}\nl: [9]\n", "b").unwrap();
        a.merge(b);
        assert_eq!(a.at_path("x.a").unwrap().value, NodeValue::Int(1));
        assert_eq!(a.at_path("x.b").unwrap().value, NodeValue::Int(3));
        assert_eq!(a.at_path("x.b").unwrap().location.source, "b");
        assert_eq!(a.at_path("l[0]").unwrap().value, NodeValue::Int(9));
        assert!(a.at_path("l[1]").is_none());
    }
}

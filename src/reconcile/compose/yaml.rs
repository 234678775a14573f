//! A compose file read into a small tree of [`Node`]s that remember their file and line, built
//! from `saphyr-parser`'s event stream (anchors, aliases and `<<` merge keys resolved, duplicate
//! keys refused), so that every later error can name the file, the line and the key.
//!
//! Why `saphyr-parser`: `serde_yaml` is archived and unmaintained, and its forks
//! (`serde_yaml_ng`, `serde_norway`) still sit on `unsafe-libyaml` (C translated to Rust) and only
//! give a position for the errors serde raises, not for a value we later refuse (an unknown key,
//! an unset `${VAR:?}`). `saphyr-parser` is the maintained, pure-Rust YAML 1.2 parser of the
//! `saphyr` project (the successor of `yaml-rust`/`yaml-rust2`), with a span on every event; its
//! event API is small and stable enough that this module builds exactly the tree it needs.

use std::path::Path;
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag as YamlTag};

use super::ComposeError;
use super::error::ValueError;

/// One value of a compose file, with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub file: Arc<Path>,
    /// 1-based line of the value's first character.
    pub line: usize,
    pub value: Value,
    /// compose's merge tags on this value.
    pub tag: Tag,
}

/// compose's YAML tags: `!reset` (drop the value, also an inherited one) and `!override`
/// (replace the inherited value instead of merging with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Tag {
    #[default]
    None,
    Reset,
    Override,
}

/// The compose tag a YAML tag is; core-schema tags (`!!str`) are no compose tag.
fn compose_tag(tag: Option<&YamlTag>) -> Result<Tag, ValueError> {
    match tag {
        None => Ok(Tag::None),
        Some(t) if t.is_yaml_core_schema() => Ok(Tag::None),
        Some(t) if t.handle == "!" && t.suffix == "reset" => Ok(Tag::Reset),
        Some(t) if t.handle == "!" && t.suffix == "override" => Ok(Tag::Override),
        Some(t) => Err(ValueError::Tag(t.to_string())),
    }
}

/// A mapping key with its line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Key {
    pub name: String,
    pub file: Arc<Path>,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    /// Any scalar, as written (after YAML unquoting); typed where it is used.
    Scalar(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

impl Node {
    pub fn new(file: &Arc<Path>, line: usize, value: Value) -> Self {
        Self {
            file: Arc::clone(file),
            line,
            value,
            tag: Tag::None,
        }
    }

    /// The entry for `key`, when this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// An error at this node.
    pub fn error(&self, key: &str, message: impl Into<String>) -> ComposeError {
        ComposeError::at(&self.file, self.line, key, message)
    }
}

enum Frame {
    Seq {
        line: usize,
        anchor: usize,
        tag: Tag,
        items: Vec<Node>,
    },
    Map {
        line: usize,
        anchor: usize,
        tag: Tag,
        entries: Vec<(Key, Node)>,
        pending: Option<Key>,
        merges: Vec<Node>,
    },
}

/// The most values aliases may copy in one file: far more than any compose file's anchors,
/// far less than a few nested aliases can multiply to (a 400-byte "alias bomb" is gigabytes).
const MAX_ALIASED: usize = 100_000;

/// How many values `node` holds, itself included.
fn size(node: &Node) -> usize {
    1 + match &node.value {
        Value::Null | Value::Scalar(_) => 0,
        Value::Seq(items) => items.iter().map(size).sum(),
        Value::Map(entries) => entries.iter().map(|(_, v)| size(v)).sum(),
    }
}

struct Builder {
    file: Arc<Path>,
    stack: Vec<Frame>,
    /// Each anchor's id, its node and the node's size.
    anchors: Vec<(usize, Node, usize)>,
    /// Values copied by aliases so far.
    aliased: usize,
    docs: Vec<Node>,
}

impl Builder {
    /// The dotted path of keys down to where the parser is, for errors.
    fn path(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for frame in &self.stack {
            match frame {
                Frame::Map {
                    pending: Some(k), ..
                } => parts.push(k.name.clone()),
                Frame::Map { .. } => {}
                Frame::Seq { items, .. } => {
                    if let Some(last) = parts.last_mut() {
                        last.push_str(&format!("[{}]", items.len()));
                    } else {
                        parts.push(format!("[{}]", items.len()));
                    }
                }
            }
        }
        parts.join(".")
    }

    fn err(&self, line: usize, message: impl Into<String>) -> ComposeError {
        ComposeError::at(&self.file, line, &self.path(), message)
    }

    fn remember(&mut self, anchor: usize, node: &Node) {
        if anchor > 0 {
            self.anchors.push((anchor, node.clone(), size(node)));
        }
    }

    /// Whether the next scalar is a mapping key.
    fn wants_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { pending: None, .. }))
    }

    fn push_value(&mut self, node: Node) -> Result<(), ComposeError> {
        let line = node.line;
        let Some(top) = self.stack.last_mut() else {
            self.docs.push(node);
            return Ok(());
        };
        match top {
            Frame::Seq { items, .. } => items.push(node),
            Frame::Map {
                entries,
                pending,
                merges,
                ..
            } => {
                let Some(key) = pending.take() else {
                    return Err(self.err(line, "a mapping key must be a plain scalar"));
                };
                if key.name == "<<" {
                    merges.push(node);
                } else if entries.iter().any(|(k, _)| k.name == key.name) {
                    let name = key.name.clone();
                    *pending = Some(key);
                    return Err(self.err(line, format!("duplicate key '{name}'")));
                } else {
                    entries.push((key, node));
                }
            }
        }
        Ok(())
    }

    fn on_event(&mut self, event: Event<'_>, span: Span) -> Result<(), ComposeError> {
        let line = span.start.line();
        let is_seq = matches!(event, Event::SequenceStart(..));
        match event {
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd => Ok(()),
            Event::Alias(id) => self.on_alias(id, line),
            Event::Scalar(text, style, anchor, tag) => {
                self.on_scalar(text, style, anchor, tag.as_deref(), line)
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) => {
                self.on_start(is_seq, anchor, tag.as_deref(), line)
            }
            Event::SequenceEnd | Event::MappingEnd => self.on_end(line),
        }
    }

    /// `*name`: a copy of the anchored node, within the bound on what aliases may copy.
    fn on_alias(&mut self, id: usize, line: usize) -> Result<(), ComposeError> {
        if self.wants_key() {
            return Err(self.err(line, "an alias cannot be a mapping key"));
        }
        let found = self.anchors.iter().rev().find(|(a, _, _)| *a == id);
        let Some((_, node, size)) = found else {
            return Err(self.err(line, "unknown alias"));
        };
        let node = node.clone();
        self.aliased = self.aliased.saturating_add(*size);
        if self.aliased > MAX_ALIASED {
            return Err(self.err(
                line,
                format!("aliases copy more than {MAX_ALIASED} values (nested aliases multiply)"),
            ));
        }
        self.push_value(node)
    }

    /// A scalar: the pending key of a mapping, or a value.
    fn on_scalar(
        &mut self,
        text: std::borrow::Cow<'_, str>,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<&YamlTag>,
        line: usize,
    ) -> Result<(), ComposeError> {
        let ctag = compose_tag(tag).map_err(|m| self.err(line, m))?;
        let plain = style == ScalarStyle::Plain && (tag.is_none() || ctag != Tag::None);
        if self.wants_key() {
            if let Some(Frame::Map { pending, .. }) = self.stack.last_mut() {
                *pending = Some(Key {
                    name: text.into_owned(),
                    file: Arc::clone(&self.file),
                    line,
                });
            }
            return Ok(());
        }
        let value = if plain && matches!(&*text, "" | "~" | "null" | "Null" | "NULL") {
            Value::Null
        } else {
            Value::Scalar(text.into_owned())
        };
        let mut node = Node::new(&self.file, line, value);
        node.tag = ctag;
        self.remember(anchor, &node);
        self.push_value(node)
    }

    /// A sequence or mapping opens.
    fn on_start(
        &mut self,
        is_seq: bool,
        anchor: usize,
        tag: Option<&YamlTag>,
        line: usize,
    ) -> Result<(), ComposeError> {
        let tag = compose_tag(tag).map_err(|m| self.err(line, m))?;
        if self.wants_key() {
            return Err(self.err(line, "a mapping key must be a plain scalar"));
        }
        self.stack.push(if is_seq {
            Frame::Seq {
                line,
                anchor,
                tag,
                items: Vec::new(),
            }
        } else {
            Frame::Map {
                line,
                anchor,
                tag,
                entries: Vec::new(),
                pending: None,
                merges: Vec::new(),
            }
        });
        Ok(())
    }

    /// A sequence or mapping closes: its node (merge keys applied) is a value of its parent.
    fn on_end(&mut self, line: usize) -> Result<(), ComposeError> {
        let Some(frame) = self.stack.pop() else {
            return Err(self.err(line, "unbalanced collection"));
        };
        let (line, anchor, tag, value) = match frame {
            Frame::Seq {
                line,
                anchor,
                tag,
                items,
            } => (line, anchor, tag, Value::Seq(items)),
            Frame::Map {
                line,
                anchor,
                tag,
                mut entries,
                merges,
                ..
            } => {
                for merge in merges {
                    merge_into(&mut entries, merge)?;
                }
                (line, anchor, tag, Value::Map(entries))
            }
        };
        let mut node = Node::new(&self.file, line, value);
        node.tag = tag;
        self.remember(anchor, &node);
        self.push_value(node)
    }
}

/// Applies a `<<` merge key: the keys of the merged mapping(s) that the mapping lacks.
fn merge_into(entries: &mut Vec<(Key, Node)>, merge: Node) -> Result<(), ComposeError> {
    match merge.value {
        Value::Map(extra) => {
            for (k, v) in extra {
                if !entries.iter().any(|(e, _)| e.name == k.name) {
                    entries.push((k, v));
                }
            }
            Ok(())
        }
        Value::Seq(items) => {
            for item in items {
                if !matches!(item.value, Value::Map(_)) {
                    return Err(item.error("<<", "a merge key takes mappings"));
                }
                merge_into(entries, item)?;
            }
            Ok(())
        }
        _ => Err(merge.error("<<", "a merge key takes a mapping or a list of mappings")),
    }
}

/// The line the end of `text` is on, counting line breaks as YAML does (LF, CRLF, a lone CR).
fn last_line(text: &str) -> usize {
    let bytes = text.as_bytes();
    let lone_cr = bytes
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\r' && bytes.get(i + 1) != Some(&b'\n'))
        .count();
    bytes.iter().filter(|&&b| b == b'\n').count() + lone_cr + 1
}

/// Parses one file's text into its single document.
pub(crate) fn parse(file: &Arc<Path>, text: &str) -> Result<Node, ComposeError> {
    let mut builder = Builder {
        file: Arc::clone(file),
        stack: Vec::new(),
        anchors: Vec::new(),
        aliased: 0,
        docs: Vec::new(),
    };
    for item in Parser::new_from_str(text) {
        match item {
            Ok((event, span)) => builder.on_event(event, span)?,
            Err(e) => {
                // At the end of a text without a final line break the scanner forces one, so
                // an error there is one line past the file's last: name the last line.
                let line = e.marker().line().min(last_line(text));
                return Err(builder.err(line, format!("bad YAML: {}", e.info())));
            }
        }
    }
    let mut docs = builder.docs;
    if docs.len() > 1 {
        let line = docs.get(1).map_or(0, |d| d.line);
        return Err(ComposeError::at(
            file,
            line,
            "",
            "a compose file holds one YAML document",
        ));
    }
    match docs.pop() {
        Some(doc) if matches!(doc.value, Value::Map(_)) => Ok(doc),
        Some(doc) => Err(doc.error("", "a compose file must be a mapping")),
        None => Err(ComposeError::at(file, 1, "", "the file is empty")),
    }
}

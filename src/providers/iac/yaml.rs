//! A YAML (and JSON, which YAML 1.2 contains) document as a tree that keeps what a
//! CloudFormation template needs and serde's value types drop: each node's line and column,
//! and its tag (`!Ref`, `!GetAtt`, … the short forms of the intrinsic functions). Built from
//! `yaml-rust2`'s marked event stream.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// The text, and whether it was quoted (a quoted `"true"` is a string, not a boolean).
    Scalar(String, bool),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    /// `!Ref` → `Ref`; `None` without a tag (or for the standard `!!str`… tags).
    pub tag: Option<String>,
    pub line: u32,
    pub col: u32,
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map(m) => m
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar(s, _) if self.tag.is_none() => Some(s),
            _ => None,
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.kind {
            NodeKind::Seq(v) => v,
            _ => &[],
        }
    }

    pub fn entries(&self) -> &[(Node, Node)] {
        match &self.kind {
            NodeKind::Map(m) => m,
            _ => &[],
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar(s, false) if self.tag.is_none() && (s.is_empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"))
    }

    /// What kind of node it is, for messages.
    pub fn describe(&self) -> String {
        match (&self.tag, &self.kind) {
            (Some(t), _) => format!("!{t}"),
            (None, NodeKind::Scalar(s, _)) => format!("{s:?}"),
            (None, NodeKind::Seq(_)) => "a list".into(),
            (None, NodeKind::Map(_)) => "a mapping".into(),
        }
    }
}

/// Why the text is not YAML, with its 1-based line and column.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

enum Frame {
    Seq(Vec<Node>, Option<String>, Marker, usize),
    Map(
        Vec<(Node, Node)>,
        Option<Node>,
        Option<String>,
        Marker,
        usize,
    ),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Node>,
    anchors: Vec<(usize, Node)>,
    /// Nesting beyond this is refused rather than risking the stack on hostile input.
    too_deep: bool,
}

const MAX_DEPTH: usize = 256;

fn tag_name(tag: Option<Tag>) -> Option<String> {
    let t = tag?;
    if t.handle == "!" {
        Some(t.suffix)
    } else {
        // `!!str`, `!!int`: the standard schema's own tags carry no function.
        None
    }
}

fn pos(m: &Marker) -> (u32, u32) {
    (
        u32::try_from(m.line()).unwrap_or(u32::MAX),
        u32::try_from(m.col() + 1).unwrap_or(u32::MAX),
    )
}

impl Builder {
    fn push_node(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.push((anchor, node.clone()));
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Seq(items, ..)) => items.push(node),
            Some(Frame::Map(entries, key, ..)) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.too_deep {
            return;
        }
        match ev {
            Event::Scalar(value, style, anchor, tag) => {
                let (line, col) = pos(&mark);
                let node = Node {
                    kind: NodeKind::Scalar(value, style != TScalarStyle::Plain),
                    tag: tag_name(tag),
                    line,
                    col,
                };
                self.push_node(node, anchor);
            }
            Event::SequenceStart(anchor, tag) => {
                if self.stack.len() >= MAX_DEPTH {
                    self.too_deep = true;
                    return;
                }
                self.stack
                    .push(Frame::Seq(Vec::new(), tag_name(tag), mark, anchor));
            }
            Event::MappingStart(anchor, tag) => {
                if self.stack.len() >= MAX_DEPTH {
                    self.too_deep = true;
                    return;
                }
                self.stack
                    .push(Frame::Map(Vec::new(), None, tag_name(tag), mark, anchor));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return;
                };
                let (kind, tag, mark, anchor) = match frame {
                    Frame::Seq(items, tag, mark, anchor) => {
                        (NodeKind::Seq(items), tag, mark, anchor)
                    }
                    Frame::Map(entries, _, tag, mark, anchor) => {
                        (NodeKind::Map(entries), tag, mark, anchor)
                    }
                };
                let (line, col) = pos(&mark);
                self.push_node(
                    Node {
                        kind,
                        tag,
                        line,
                        col,
                    },
                    anchor,
                );
            }
            Event::Alias(id) => {
                let node = self
                    .anchors
                    .iter()
                    .rev()
                    .find(|(a, _)| *a == id)
                    .map(|(_, n)| n.clone());
                if let Some(n) = node {
                    self.push_node(n, 0);
                }
            }
            _ => {}
        }
    }
}

/// Parses the first document of `text`.
pub fn parse(text: &str) -> Result<Option<Node>, YamlError> {
    let mut b = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut b, false).map_err(|e| YamlError {
        line: e.marker().line(),
        column: e.marker().col() + 1,
        message: e.info().to_string(),
    })?;
    if b.too_deep {
        return Err(YamlError {
            line: 1,
            column: 1,
            message: format!("nested deeper than {MAX_DEPTH} levels"),
        });
    }
    Ok(b.root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_positions_are_kept() {
        let n = parse("a:\n  b: !Ref Lb\n  c: !GetAtt [Lb, DNSName]\n  d: \"true\"\n")
            .unwrap()
            .unwrap();
        let a = n.get("a").unwrap();
        let b = a.get("b").unwrap();
        assert_eq!(b.tag.as_deref(), Some("Ref"));
        // The scalar after its tag.
        assert_eq!((b.line, b.col), (2, 11));
        let c = a.get("c").unwrap();
        assert_eq!(c.tag.as_deref(), Some("GetAtt"));
        assert_eq!(c.items().len(), 2);
        assert!(matches!(
            a.get("d").unwrap().kind,
            NodeKind::Scalar(_, true)
        ));
    }

    #[test]
    fn json_parses_with_positions() {
        let n = parse("{\n  \"Resources\": {\"X\": {\"Type\": \"T\"}}\n}")
            .unwrap()
            .unwrap();
        let t = n
            .get("Resources")
            .unwrap()
            .get("X")
            .unwrap()
            .get("Type")
            .unwrap();
        assert_eq!(t.as_str(), Some("T"));
        assert_eq!(t.line, 2);
    }
}

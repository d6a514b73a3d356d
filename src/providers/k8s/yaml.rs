//! YAML (and JSON, which YAML 1.2 reads) into a small tree whose every node keeps the line and
//! column it starts at, so each value of a manifest can be cited as `file:line`.
//!
//! yaml-rust2's own `Yaml` drops positions; its event parser keeps them, so the tree is built
//! from the events here. Anchors and aliases are resolved by copying the anchored node (Helm
//! renders rarely use them, hand-written values files do).

use std::collections::HashMap;
use yaml_rust2::parser::{MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};
use yaml_rust2::Event;

/// One node of a document.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    /// 1-based.
    pub line: u32,
    /// 1-based.
    pub col: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A scalar as written; `quoted` tells `"80"` (a string) from `80` and `null`.
    Scalar {
        text: String,
        quoted: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// A syntax error at a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub line: u32,
    pub col: u32,
    pub message: String,
}

impl Node {
    /// The value under `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.scalar() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Follows `path` through mappings.
    pub fn at(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |n, k| n.get(k))
    }

    /// A scalar's text; None for `null`/`~`/empty plain scalars and for collections.
    pub fn scalar(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, quoted } => {
                if !quoted && matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL") {
                    None
                } else {
                    Some(text)
                }
            }
            _ => None,
        }
    }

    pub fn seq(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn entries(&self) -> &[(Node, Node)] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    /// A scalar read as a whole number (`80`, `"80"`).
    pub fn as_u64(&self) -> Option<u64> {
        self.scalar()?.trim().parse().ok()
    }

    /// A YAML boolean (`true`, `"true"`), as Kubernetes' JSON decoding reads one.
    pub fn as_bool(&self) -> Option<bool> {
        match self.scalar()?.trim() {
            "true" | "True" | "TRUE" => Some(true),
            "false" | "False" | "FALSE" => Some(false),
            _ => None,
        }
    }
}

/// One document of a stream and the line its content starts on.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub root: Node,
}

/// Every document of `text` (`---`-separated); empty documents are left out.
pub fn parse_stream(text: &str) -> Result<Vec<Document>, YamlError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, true).map_err(|e| YamlError {
        line: e.marker().line() as u32,
        col: e.marker().col() as u32 + 1,
        message: e.info().to_string(),
    })?;
    if let Some(e) = builder.error {
        return Err(e);
    }
    Ok(builder
        .docs
        .into_iter()
        .map(|root| Document { root })
        .collect())
}

enum Open {
    Seq(Node, usize),
    /// The mapping, its anchor, and a key waiting for its value.
    Map(Node, usize, Option<Node>),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Open>,
    docs: Vec<Node>,
    anchors: HashMap<usize, Node>,
    error: Option<YamlError>,
}

fn pos(mark: Marker) -> (u32, u32) {
    (mark.line() as u32, mark.col() as u32 + 1)
}

impl Builder {
    fn finish(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Open::Seq(parent, _)) => {
                if let Value::Seq(items) = &mut parent.value {
                    items.push(node);
                }
            }
            Some(Open::Map(parent, _, pending)) => match pending.take() {
                None => *pending = Some(node),
                Some(key) => {
                    if let Value::Map(entries) = &mut parent.value {
                        entries.push((key, node));
                    }
                }
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let (line, col) = pos(mark);
        match ev {
            Event::Scalar(text, style, anchor, _tag) => {
                let quoted = !matches!(style, TScalarStyle::Plain);
                self.finish(
                    Node {
                        value: Value::Scalar { text, quoted },
                        line,
                        col,
                    },
                    anchor,
                );
            }
            Event::SequenceStart(anchor, _) => self.stack.push(Open::Seq(
                Node {
                    value: Value::Seq(Vec::new()),
                    line,
                    col,
                },
                anchor,
            )),
            Event::MappingStart(anchor, _) => self.stack.push(Open::Map(
                Node {
                    value: Value::Map(Vec::new()),
                    line,
                    col,
                },
                anchor,
                None,
            )),
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(open) = self.stack.pop() {
                    let (node, anchor) = match open {
                        Open::Seq(n, a) => (n, a),
                        Open::Map(n, a, _) => (n, a),
                    };
                    self.finish(node, anchor);
                }
            }
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(node) => self.finish(node, 0),
                None => {
                    self.error.get_or_insert(YamlError {
                        line,
                        col,
                        message: "alias of an unknown anchor".into(),
                    });
                }
            },
            Event::DocumentEnd => {
                // A document whose root is an empty scalar (`---` alone) holds nothing.
                if let Some(last) = self.docs.last() {
                    if last.scalar().is_none() && !last.is_map() && last.seq().is_empty() {
                        if let Value::Scalar { .. } = last.value {
                            self.docs.pop();
                        }
                    }
                }
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_per_value() {
        let docs = parse_stream("a: 1\nb:\n  c: \"x\"\n---\n- 2\n").unwrap();
        assert_eq!(docs.len(), 2);
        let c = docs[0].root.at(&["b", "c"]).unwrap();
        assert_eq!((c.line, c.col, c.scalar()), (3, 6, Some("x")));
        assert_eq!(docs[1].root.seq()[0].line, 5);
    }

    #[test]
    fn json_reads_too() {
        let docs = parse_stream("{\"kind\": \"List\",\n \"items\": [{\"a\": 1}]}").unwrap();
        assert_eq!(docs[0].root.get("kind").unwrap().scalar(), Some("List"));
        assert_eq!(docs[0].root.get("items").unwrap().seq()[0].line, 2);
    }

    #[test]
    fn empty_documents_are_dropped_and_errors_have_a_position() {
        assert_eq!(parse_stream("---\n---\na: 1\n").unwrap().len(), 1);
        let e = parse_stream("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.line >= 1 && e.col >= 1, "{e:?}");
    }

    #[test]
    fn aliases_copy_the_anchored_node() {
        let docs = parse_stream("a: &x {b: 1}\nc: *x\n").unwrap();
        assert_eq!(docs[0].root.at(&["c", "b"]).unwrap().scalar(), Some("1"));
    }
}

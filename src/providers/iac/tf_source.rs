//! Where in the `.tf` files a planned resource's attribute is written.
//!
//! A plan's JSON carries no source positions (its configuration representation has
//! expressions, not ranges), so findings about a plan would name only a resource address.
//! Code scanning wants a file and a line; this finds them in the configuration the plan was
//! made from: the `resource "TYPE" "NAME"` block in the module's directory (a local module
//! source such as `./modules/edge`, or the directory `terraform init` recorded in
//! `.terraform/modules/modules.json`), and in it the attribute or nested block of the path
//! (`stickiness[0].enabled` is the `enabled` line inside the first `stickiness` block). An
//! attribute the code leaves unset points at the resource's own line. This is a scanner for
//! braces, strings, comments and heredocs, not an HCL parser: it only locates, it never
//! reads a value.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One `resource` block: where it starts and its lines with their nesting depth.
#[derive(Debug, Clone, PartialEq)]
struct Block {
    file: String,
    line: u32,
    /// (line number, depth at the line's start inside the block (1 = the block's body), text)
    body: Vec<(u32, u32, String)>,
}

/// The resource blocks of a configuration, by module path and `TYPE.NAME`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TfSource {
    blocks: HashMap<(Vec<String>, String), Block>,
    /// A planned resource's address → its module path and `TYPE.NAME`.
    resources: HashMap<String, (Vec<String>, String)>,
}

/// Lines of one file with the depth of braces at each line's start, strings, comments and
/// heredocs skipped.
fn depths(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut depth: u32 = 0;
    let mut heredoc: Option<String> = None;
    let mut block_comment = false;
    for line in text.lines() {
        out.push((depth, line.to_string()));
        if let Some(end) = &heredoc {
            if line.trim() == end {
                heredoc = None;
            }
            continue;
        }
        let b = line.as_bytes();
        let mut i = 0;
        let mut in_str = false;
        while i < b.len() {
            let c = b[i];
            if block_comment {
                if c == b'*' && b.get(i + 1) == Some(&b'/') {
                    block_comment = false;
                    i += 1;
                }
            } else if in_str {
                match c {
                    b'\\' => i += 1,
                    b'"' => in_str = false,
                    _ => {}
                }
            } else {
                match c {
                    b'"' => in_str = true,
                    b'#' => break,
                    b'/' if b.get(i + 1) == Some(&b'/') => break,
                    b'/' if b.get(i + 1) == Some(&b'*') => {
                        block_comment = true;
                        i += 1;
                    }
                    b'{' => depth += 1,
                    b'}' => depth = depth.saturating_sub(1),
                    b'<' if b.get(i + 1) == Some(&b'<') => {
                        let rest = line[i + 2..].trim_start_matches('-');
                        let tag: String = rest
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect();
                        if !tag.is_empty() {
                            heredoc = Some(tag);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            i += 1;
        }
    }
    out
}

/// `resource "aws_lb" "ws" {` → `aws_lb.ws`.
fn resource_header(line: &str) -> Option<String> {
    let rest = line.trim_start().strip_prefix("resource")?;
    let mut parts = rest.split('"').skip(1).step_by(2);
    let t = parts.next()?;
    let n = parts.next()?;
    Some(format!("{t}.{n}"))
}

fn blocks_of(file: &Path, display: &str) -> Vec<(String, Block)> {
    let Ok(text) = std::fs::read_to_string(file) else {
        return Vec::new();
    };
    let lines = depths(&text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (d, l) = &lines[i];
        if *d == 0 {
            if let Some(key) = resource_header(l) {
                let start = i;
                let mut body = Vec::new();
                i += 1;
                while i < lines.len() && lines[i].0 > 0 {
                    body.push((i as u32 + 1, lines[i].0, lines[i].1.clone()));
                    i += 1;
                }
                out.push((
                    key,
                    Block {
                        file: display.to_string(),
                        line: start as u32 + 1,
                        body,
                    },
                ));
                continue;
            }
        }
        i += 1;
    }
    out
}

/// `module_calls` sources recorded by `terraform init`: module key (`edge`, `edge.inner`) →
/// directory.
fn init_modules(root: &Path) -> HashMap<String, String> {
    let path = root.join(".terraform/modules/modules.json");
    let Ok(text) = std::fs::read_to_string(path) else {
        return HashMap::new();
    };
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(&text) else {
        return HashMap::new();
    };
    doc.get("Modules")
        .and_then(|m| m.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|m| {
                    Some((
                        m.get("Key")?.as_str()?.to_string(),
                        m.get("Dir")?.as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// How reports name a file: under the root as the user named it, `./` and `dir/..` folded
/// (`infra/./modules/edge/main.tf` → `infra/modules/edge/main.tf`).
fn display(root_display: &str, rel: &Path) -> String {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in Path::new(root_display).join(rel).components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out.display().to_string()
}

impl TfSource {
    /// Reads the `.tf` files of the root module `root` and of every module the plan calls.
    /// `modules`: each module path with its `source` as the configuration wrote it;
    /// `resources`: each planned address with its module path and `TYPE.NAME`.
    pub fn read(
        root: &Path,
        root_display: &str,
        modules: &[(Vec<String>, String)],
        resources: HashMap<String, (Vec<String>, String)>,
    ) -> TfSource {
        let init = init_modules(root);
        let mut dirs: Vec<(Vec<String>, PathBuf)> = vec![(Vec::new(), PathBuf::new())];
        let mut sorted: Vec<&(Vec<String>, String)> = modules.iter().collect();
        sorted.sort_by_key(|(p, _)| p.len());
        for (path, source) in sorted {
            let parent = dirs
                .iter()
                .find(|(p, _)| p.as_slice() == &path[..path.len().saturating_sub(1)])
                .map(|(_, d)| d.clone());
            let dir = if source.starts_with("./") || source.starts_with("../") {
                parent.map(|p| p.join(source))
            } else {
                init.get(&path.join(".")).map(PathBuf::from)
            };
            if let Some(d) = dir {
                dirs.push((path.clone(), d));
            }
        }
        let mut blocks = HashMap::new();
        for (path, dir) in &dirs {
            let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
                continue;
            };
            let mut files: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "tf"))
                .collect();
            files.sort();
            for f in files {
                let rel = dir.join(f.file_name().unwrap_or_default());
                for (key, b) in blocks_of(&f, &display(root_display, &rel)) {
                    blocks.entry((path.clone(), key)).or_insert(b);
                }
            }
        }
        TfSource { blocks, resources }
    }

    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// The file and line of the planned resource's block.
    pub fn resource_line(&self, address: &str) -> Option<(String, u32)> {
        let b = self.blocks.get(self.resources.get(address)?)?;
        Some((b.file.clone(), b.line))
    }

    /// The file, line and column where `attr` (`origin[0].custom_origin_config[0].x`) of the
    /// planned resource `address` is written, or the resource's line when it is not.
    pub fn locate(&self, address: &str, attr: &str) -> Option<(String, u32, u32)> {
        let key = self.resources.get(address)?;
        let b = self.blocks.get(key)?;
        let mut lo = 0usize;
        let mut hi = b.body.len();
        let mut depth = 1u32;
        let mut best = (b.line, 1u32);
        let segs: Vec<&str> = attr.split('.').collect();
        for (n, seg) in segs.iter().enumerate() {
            let (name, index) = match seg.split_once('[') {
                Some((k, i)) => (k, i.trim_end_matches(']').parse::<usize>().unwrap_or(0)),
                None => (*seg, 0),
            };
            let last = n + 1 == segs.len();
            let mut seen = 0;
            let mut found = None;
            for i in lo..hi {
                let (line, d, text) = &b.body[i];
                if *d != depth {
                    continue;
                }
                let t = text.trim_start();
                let Some(rest) = t.strip_prefix(name) else {
                    continue;
                };
                let rest = rest.trim_start();
                let is_attr = rest.starts_with('=') && !rest.starts_with("==");
                let is_block = rest.starts_with('{');
                if !(is_attr || is_block) {
                    continue;
                }
                if seen < index && !last {
                    seen += 1;
                    continue;
                }
                let col = (text.len() - t.len()) as u32 + 1;
                found = Some((i, *line, col));
                break;
            }
            let Some((i, line, col)) = found else { break };
            best = (line, col);
            if last {
                break;
            }
            // The nested block's body: the lines after it that are deeper.
            lo = i + 1;
            hi = (lo..b.body.len())
                .find(|j| b.body[*j].1 <= depth)
                .unwrap_or(b.body.len());
            depth += 1;
        }
        Some((b.file.clone(), best.0, best.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depths_skip_strings_comments_and_heredocs() {
        let d = depths("a {\n  x = \"{\" # {\n  y = <<EOT\n  }\nEOT\n  z {\n  }\n}\n");
        let got: Vec<u32> = d.iter().map(|(d, _)| *d).collect();
        assert_eq!(got, vec![0, 1, 1, 1, 1, 1, 2, 1]);
    }

    #[test]
    fn attributes_and_nested_blocks_are_located() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        std::fs::write(
            dir.join("main.tf"),
            "resource \"aws_lb_target_group\" \"app\" {\n  name = \"app\"\n  stickiness {\n    type    = \"lb_cookie\"\n    enabled = true\n  }\n}\n",
        )
        .unwrap();
        let mut res = HashMap::new();
        res.insert(
            "aws_lb_target_group.app".to_string(),
            (Vec::new(), "aws_lb_target_group.app".to_string()),
        );
        let src = TfSource::read(&dir, "infra", &[], res);
        let at = |a: &str| src.locate("aws_lb_target_group.app", a).unwrap();
        assert_eq!(at("stickiness[0].enabled"), ("infra/main.tf".into(), 5, 5));
        assert_eq!(at("name"), ("infra/main.tf".into(), 2, 3));
        // Unset: the resource's own line.
        assert_eq!(at("deregistration_delay"), ("infra/main.tf".into(), 1, 1));
    }
}

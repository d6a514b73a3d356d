//! Infrastructure code as chain layers: a Terraform plan (`terraform show -json tfplan`) or a
//! CloudFormation template (JSON or YAML, `cdk synth` output too), read before deploy.
//!
//! Module map: `terraform` and `cloudformation` (with `yaml`, a position- and tag-keeping YAML
//! tree) read a file into an `inventory` of planned resources; `link` joins them into chains
//! the way discovery joins live resources; `layers` turns each hop into the snapshot the live
//! provider reads and translates it with the live provider's own code; `drift` compares a live
//! chain with a planned one. Nothing here judges: the rules do.

mod cloudformation;
mod drift;
mod error;
mod inventory;
mod layers;
mod link;
mod terraform;
mod tf_source;
mod yaml;

pub use drift::{compare, merge_planned};
pub use error::IacError;
pub use inventory::{Inventory, SourceKind};
pub use link::{planned_chains, served_domains, PlannedChain};

/// Reads a plan or template from its text; `file` names it in errors and origins. JSON is a
/// Terraform plan (it has `format_version`) or a template (it has `Resources`); anything else
/// is read as a YAML template.
pub fn read_text(text: &str, file: &str) -> Result<Inventory, IacError> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| IacError::NotJson {
            file: file.into(),
            line: e.line(),
            column: e.column(),
            message: e
                .to_string()
                .split(" at line ")
                .next()
                .unwrap_or("")
                .to_string(),
        })?;
        if !doc.is_object() {
            return Err(IacError::NotIac {
                file: file.into(),
                message: "a Terraform plan or a CloudFormation template is a JSON object".into(),
            });
        }
        if doc.get("format_version").is_some() {
            return terraform::read_plan(&doc, file);
        }
        if doc.get("Resources").is_none() {
            return Err(IacError::NotIac {
                file: file.into(),
                message: "neither a Terraform plan (no `format_version`; write one with `terraform show -json tfplan`) nor a CloudFormation template (no `Resources`)".into(),
            });
        }
        // JSON is YAML: the YAML reader gives the template's lines too.
        let root = match yaml::parse(text) {
            Ok(Some(root)) => root,
            _ => {
                return Err(IacError::NotIac {
                    file: file.into(),
                    message: "the template could not be read with positions".into(),
                })
            }
        };
        return cloudformation::read_template(&root, file);
    }
    let root = yaml::parse(text)
        .map_err(|e| IacError::NotYaml {
            file: file.into(),
            line: e.line,
            column: e.column,
            message: e.message,
        })?
        .ok_or_else(|| IacError::NotIac {
            file: file.into(),
            message: "the file is empty".into(),
        })?;
    if !matches!(root.kind, yaml::NodeKind::Map(_)) {
        return Err(IacError::NotIac {
            file: file.into(),
            message: "neither a Terraform plan (JSON) nor a CloudFormation template (a mapping with `Resources`)".into(),
        });
    }
    cloudformation::read_template(&root, file)
}

/// Reads the `.tf` files of the configuration a plan was made from (`dir`, its root module;
/// `display` is how reports name it), so findings point at the line of code. Returns whether
/// any resource block was found; a template is left as it is.
pub fn attach_tf_source(inv: &mut Inventory, dir: &std::path::Path, display: &str) -> bool {
    if inv.kind != SourceKind::TerraformPlan {
        return false;
    }
    let src = tf_source::TfSource::read(dir, display, &inv.tf_modules, inv.tf_resources.clone());
    let found = !src.is_empty();
    if found {
        inv.tf_source = Some(src);
    }
    found
}

/// Reads a plan or template file.
pub fn read_file(path: &str) -> Result<Inventory, IacError> {
    let text = std::fs::read_to_string(path).map_err(|e| IacError::Io {
        file: path.into(),
        message: e.to_string(),
    })?;
    read_text(&text, path)
}

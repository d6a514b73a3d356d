//! `wsaudit iac PLAN.json|TEMPLATE [--domain D --path P]`: infrastructure code judged before
//! deploy. Without a domain every chain the code defines is judged on its own and reported
//! together (like `wsaudit nginx`'s listing); with one, the chain serving it.

use super::audit::heartbeat_flag;
use super::{CommandError, Context};
use crate::cli::{GlobalArgs, IacArgs, SchemeArg};
use crate::model::{Chain, Scheme, Target};
use crate::providers::iac::{self, Inventory, PlannedChain};
use std::io::Read;
use std::path::Path;

/// Reads a plan or template named on the command line (`-`: standard input), and for a plan
/// the `.tf` files of `tf_dir` (else of the plan's own directory, when it holds any).
pub(super) fn read_inventory(
    ctx: &Context,
    file: &str,
    tf_dir: Option<&str>,
) -> Result<Inventory, CommandError> {
    let mut inv = if file == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| CommandError::io("<stdin>", e))?;
        iac::read_text(&s, "<stdin>")?
    } else {
        iac::read_file(file)?
    };
    if inv.kind != iac::SourceKind::TerraformPlan {
        return Ok(inv);
    }
    let dir = match tf_dir {
        Some(d) => {
            if !Path::new(d).is_dir() {
                return Err(CommandError::Usage(format!(
                    "--tf-dir {d}: not a directory"
                )));
            }
            Some(d.to_string())
        }
        None if file != "-" => {
            let parent = Path::new(file).parent().map(|p| p.display().to_string());
            let parent = parent
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| ".".into());
            let has_tf = std::fs::read_dir(&parent).is_ok_and(|entries| {
                entries
                    .filter_map(Result::ok)
                    .any(|e| e.path().extension().is_some_and(|x| x == "tf"))
            });
            has_tf.then_some(parent)
        }
        None => None,
    };
    if let Some(d) = dir {
        if iac::attach_tf_source(&mut inv, Path::new(&d), &d) {
            ctx.debug(&format!(
                "{file}: values located in the .tf files under {d}"
            ));
        } else if tf_dir.is_some() {
            ctx.info(&format!(
                "--tf-dir {d}: no resource block of the plan found there; findings name resource addresses only"
            ));
        }
    }
    Ok(inv)
}

fn scheme(s: SchemeArg) -> Scheme {
    match s {
        SchemeArg::Ws => Scheme::Ws,
        SchemeArg::Wss => Scheme::Wss,
    }
}

pub fn run(global: &GlobalArgs, args: &IacArgs) -> Result<u8, CommandError> {
    let mut ctx = Context::load(global)?;
    let path = args.path.clone().unwrap_or_else(|| "/".into());
    if !path.starts_with('/') {
        return Err(CommandError::Usage(format!(
            "--path {path:?} must start with \"/\" (e.g. --path /{path})"
        )));
    }
    let heartbeat = heartbeat_flag(args.heartbeat.as_deref(), args.heartbeat_from)?;
    let inv = read_inventory(&ctx, &args.file, args.tf_dir.as_deref())?;
    if inv.is_empty() {
        return Err(CommandError::Usage(format!(
            "{}: no resource wsaudit reads (aws_lb, aws_lb_listener, aws_lb_listener_rule, aws_lb_target_group, aws_cloudfront_distribution, cloudflare_record/cloudflare_dns_record, cloudflare_load_balancer; AWS::ElasticLoadBalancingV2::*, AWS::CloudFront::Distribution): nothing to audit",
            args.file
        )));
    }
    ctx.debug(&format!("{}: {} resources read", args.file, inv.len()));
    let query = args.domain.as_deref().map(|d| (d, path.as_str()));
    let planned = iac::planned_chains(&inv, query, scheme(args.scheme));
    if planned.is_empty() {
        let served = iac::served_domains(&inv);
        return Err(CommandError::Usage(format!(
            "{}: nothing in the code serves {}; it serves: {}",
            args.file,
            args.domain.as_deref().unwrap_or("-"),
            if served.is_empty() {
                "(no domain)".to_string()
            } else {
                served.join(", ")
            }
        )));
    }
    for p in &planned {
        for n in &p.notes {
            ctx.info(n);
        }
    }

    if let [one] = planned.as_slice() {
        let mut chain = one.chain.clone();
        ctx.info(&format!(
            "{}{}: {} layers from {} (from {})",
            chain.target.domain,
            chain.target.path,
            chain.layers.len(),
            args.file,
            one.entry
        ));
        ctx.apply_heartbeat(&mut chain, heartbeat);
        let judged = ctx.judge(chain)?;
        return ctx.emit(&judged);
    }

    ctx.info(&format!(
        "{} chains defined in {}",
        planned.len(),
        args.file
    ));
    // Each chain is judged on its own; its layers are named by the chain they belong to, so
    // the findings of one report tell `alb@ws.example.com/ws/` from `alb@api.example.com/`.
    let chains: Vec<Chain> = planned
        .into_iter()
        .map(|PlannedChain { mut chain, .. }| {
            let tag = format!("{}{}", chain.target.domain, chain.target.path);
            for l in &mut chain.layers {
                l.id = format!("{}@{tag}", l.id);
            }
            ctx.apply_heartbeat(&mut chain, heartbeat);
            chain
        })
        .collect();
    let judged = ctx.pack.evaluate_all(&chains, &ctx.config)?;
    let mut all = Chain::new(Target {
        domain: "*".into(),
        path: "/*".into(),
        scheme: scheme(args.scheme),
    });
    for chain in chains {
        all.heartbeat = chain.heartbeat;
        all.layers.extend(chain.layers);
        all.gaps.extend(chain.gaps);
        for n in chain.not_consulted {
            if !all.not_consulted.contains(&n) {
                all.not_consulted.push(n);
            }
        }
    }
    ctx.emit_listing(all, judged, Vec::new())
}

//! The AWS walk over an inventory, without I/O: CloudFront (by alias, pin, tenant or a Route 53
//! alias to the distribution), Route 53 (to a distribution, to a load balancer, from a
//! CloudFront origin's own host name), the load balancer (pinned, by DNS name, by VPC origin
//! ARN) and its listener, rule and target groups; record sets not followed become path
//! variants. What the inventory does not hold yet comes back as [`AwsNeed`]s: `wsaudit chain`
//! reads them and walks again; a scan's inventory holds everything.

use super::AwsInventory;
use crate::discover::{ChainRequest, ProviderOutput, RouteSplit};
use crate::model::{NotConsulted, PathVariant, Provider, RouteChoice, Scheme};
use crate::providers::alb::{self, AlbNeed, AlbReading, AlbRequest, AlbSelector, RegionInventory};
use crate::providers::aws::{is_elb_dns, region_from_arn, region_from_elb_dns, AwsError};
use crate::providers::cloudfront::{
    self, CfNeed, CloudFrontReading, CloudFrontRequest, DistributionSelector,
};
use crate::providers::route53::{self, Candidate, DnsTarget, R53Need, Resolved};

/// Something the walk needs read before it can go on.
#[derive(Debug, Clone, PartialEq)]
pub enum AwsNeed {
    Cf(CfNeed),
    /// `step` names the lookup (`reading the Route 53 record for ws.example.com`): a deadline
    /// is reported against it.
    R53 {
        step: String,
        need: R53Need,
    },
    Alb {
        region: String,
        need: AlbNeed,
    },
}

/// The deadline key of the CloudFront and load balancer steps (Route 53 steps are keyed by
/// their own step names).
pub(super) const CF_STEP: &str = "reading CloudFront";
pub(super) const ALB_STEP: &str = "reading the load balancer";

pub(super) fn r53_step(name: &str) -> String {
    format!("reading the Route 53 record for {name}")
}

pub(super) fn r53_origin_step(origin: &str) -> String {
    format!("reading the Route 53 record for the CloudFront origin {origin}")
}

/// The AWS layers for `req` (what `aws_task` reports), or what must be read first.
pub fn walk(inv: &AwsInventory, req: &ChainRequest) -> Result<ProviderOutput, Vec<AwsNeed>> {
    let mut needs = Vec::new();
    let mut out = ProviderOutput::default();

    let selector = match &req.cloudfront {
        Some(id) => DistributionSelector::Id(id.clone()),
        None => DistributionSelector::Alias(req.domain.clone()),
    };
    let cf = cf_step(inv, req, selector, &mut needs);
    // Route 53 only matters when nothing is pinned.
    let dns = if req.alb.is_some() || req.cloudfront.is_some() {
        Some(None)
    } else {
        let name = req.via.as_deref().unwrap_or(&req.domain);
        r53(inv, req, name, &r53_step(name), &mut needs).map(Some)
    };
    let pinned = match &req.alb {
        None => Some(None),
        Some(pin) => alb_step(
            inv,
            req,
            AlbSelector::from_pin(pin),
            &req.domain,
            default_port(req.scheme),
            &mut needs,
        )
        .map(Some),
    };
    let (Some(mut cf), Some(dns), Some(pinned)) = (cf, dns, pinned) else {
        return Err(needs);
    };

    // A Route 53 alias to a distribution whose aliases did not name the domain.
    if let (
        Ok(None),
        Some(Ok(Some(Resolved {
            target: DnsTarget::CloudFront(name),
            ..
        }))),
    ) = (&cf, &dns)
    {
        let selector = DistributionSelector::DomainName(name.clone());
        match cf_step(inv, req, selector, &mut needs) {
            Some(r) => cf = r,
            None => return Err(needs),
        }
    }
    // DNS decides where clients go: a distribution that lists the domain as an alternate name
    // is not on the path when the record set followed sends them straight to a load balancer
    // (a weighted move off CloudFront, or a leftover alias).
    let mut bypassed = None;
    if let (
        Ok(Some(reading)),
        Some(Ok(Some(Resolved {
            target: DnsTarget::Elb(elb),
            chosen,
            ..
        }))),
    ) = (&cf, &dns)
    {
        bypassed = Some(format!(
            "distribution {} lists {} as an alternate domain name, but Route 53's {} sends \
             clients to the load balancer {elb}: CloudFront is not on this path",
            reading.snapshot.id,
            req.domain,
            describe_route(&route_choice(chosen)),
        ));
        cf = Ok(None);
    }
    // Other targets the domain's record sets send some clients to: the outermost AWS layer
    // read says so.
    let mut edge_variants = match &dns {
        Some(Ok(Some(r))) => {
            out.routes = route_split(r);
            dns_variants(r)
        }
        _ => Vec::new(),
    };
    let mut alb_variants = Vec::new();

    // Where the load balancer comes from, decided by what CloudFront and Route 53 said.
    let mut plan = AlbPlan::NotConsulted(format!(
        "no CloudFront origin or Route 53 record for {} points at a load balancer (pin one with --alb)",
        req.domain
    ));
    let mut cf_decided = false;
    // CloudFront could not be read (its gap says so): a Route 53 record naming a load
    // balancer still says what clients reach, since CloudFront would need the record.
    let mut cf_failed = false;
    // A custom origin named by its own host name (`origin.example.com`, needed for an
    // https-only origin's certificate): Route 53 may lead from it to the load balancer.
    let mut origin_by_name = None;
    match cf {
        Ok(Some(reading)) => {
            cf_decided = true;
            let snap = &reading.snapshot;
            plan = match &snap.origin {
                Some(o) => {
                    let port = o
                        .custom
                        .as_ref()
                        .and_then(|c| u16::try_from(c.port(req.scheme)).ok())
                        .unwrap_or(default_port(req.scheme));
                    let host = snap.origin_host(&req.domain);
                    let not_lb = format!(
                        "the CloudFront origin {} for {} is not a load balancer",
                        o.domain_name,
                        snap.behavior.label()
                    );
                    // A VPC origin names its load balancer by ARN.
                    if let Some(arn) = &o.vpc_endpoint_arn {
                        AlbPlan::Read(AlbSelector::Arn(arn.clone()), host, port)
                    } else if is_elb_dns(&o.domain_name) {
                        AlbPlan::Read(AlbSelector::DnsName(o.domain_name.clone()), host, port)
                    } else {
                        if o.custom.is_some() {
                            origin_by_name = Some((o.domain_name.clone(), host, port));
                        }
                        AlbPlan::NotConsulted(not_lb)
                    }
                }
                None => AlbPlan::NotConsulted(format!(
                    "{} targets origin {}, which the distribution does not define",
                    snap.behavior.label(),
                    snap.behavior.target_origin_id
                )),
            };
            out.gaps.extend(reading.gaps);
            let mut layer = reading.layer;
            layer.path_variants.append(&mut edge_variants);
            out.layers.push(layer);
        }
        Ok(None) => out.not_consulted.push(NotConsulted {
            provider: Provider::Cloudfront,
            reason: bypassed.unwrap_or_else(|| {
                format!(
                    "no CloudFront distribution has {} as an alternate domain name",
                    req.domain
                )
            }),
        }),
        Err(e) => {
            cf_decided = true;
            cf_failed = true;
            plan = AlbPlan::Unknown;
            out.gaps.push(e.to_gap("cloudfront", Provider::Cloudfront));
        }
    }
    if let Some((origin, host, port)) = origin_by_name {
        let Some(found) = r53(inv, req, &origin, &r53_origin_step(&origin), &mut needs) else {
            return Err(needs);
        };
        match found {
            Ok(Some(
                r @ Resolved {
                    target: DnsTarget::Elb(_),
                    ..
                },
            )) => {
                if out.routes.is_none() {
                    out.routes = route_split(&r);
                }
                alb_variants = dns_variants(&r);
                plan = AlbPlan::Read(
                    AlbSelector::DnsName(r.target.name().to_string()),
                    host,
                    port,
                );
            }
            Ok(_) => {
                if let AlbPlan::NotConsulted(reason) = &mut plan {
                    reason.push_str(
                        " and no Route 53 record leads from it to one (pin one with --alb)",
                    );
                }
            }
            Err(e) => {
                out.gaps.push(e.to_gap("alb", Provider::Alb));
                plan = AlbPlan::Unknown;
            }
        }
    }
    if cf_failed {
        if let Some(Ok(Some(Resolved {
            target: DnsTarget::Elb(name),
            ..
        }))) = &dns
        {
            plan = AlbPlan::Read(
                AlbSelector::DnsName(name.clone()),
                req.domain.clone(),
                default_port(req.scheme),
            );
        }
    }
    if !cf_decided {
        match dns {
            Some(Ok(Some(Resolved {
                target: DnsTarget::Elb(name),
                ..
            }))) => {
                plan = AlbPlan::Read(
                    AlbSelector::DnsName(name),
                    req.domain.clone(),
                    default_port(req.scheme),
                )
            }
            // Route 53 could not be read: whether a load balancer is behind is unknown.
            Some(Err(e)) => {
                out.gaps.push(e.to_gap("alb", Provider::Alb));
                plan = AlbPlan::Unknown;
            }
            _ => {}
        }
    }

    let alb = match (pinned, plan) {
        (Some(r), _) => Some(r),
        (None, AlbPlan::Read(selector, host, port)) => {
            match alb_step(inv, req, selector, &host, port, &mut needs) {
                Some(r) => Some(r),
                None => return Err(needs),
            }
        }
        (None, AlbPlan::NotConsulted(reason)) => {
            out.not_consulted.push(NotConsulted {
                provider: Provider::Alb,
                reason,
            });
            None
        }
        (None, AlbPlan::Unknown) => None,
    };
    match alb {
        Some(Ok(mut reading)) => {
            // Calls that failed after the load balancer was read: the layer stands, with
            // what they would have filled unknown.
            out.gaps.extend(reading.gaps);
            if !out
                .layers
                .iter()
                .any(|l| l.provider == Provider::Cloudfront)
            {
                reading.layer.path_variants.append(&mut edge_variants);
            }
            reading.layer.path_variants.append(&mut alb_variants);
            out.layers.push(reading.layer);
        }
        Some(Err(e)) => out.gaps.push(e.to_gap("alb", Provider::Alb)),
        None => {}
    }
    Ok(out)
}

/// The distribution for `selector` (`None`: its needs were pushed).
fn cf_step(
    inv: &AwsInventory,
    req: &ChainRequest,
    selector: DistributionSelector,
    needs: &mut Vec<AwsNeed>,
) -> Option<Result<Option<CloudFrontReading>, AwsError>> {
    if let Some(e) = inv.deadline(CF_STEP) {
        return Some(Err(e));
    }
    let cf_req = CloudFrontRequest {
        selector,
        path: req.path.clone(),
        scheme: req.scheme,
        page_size: None,
    };
    match cloudfront::resolve(&inv.cloudfront, &cf_req) {
        Ok(r) => Some(r),
        Err(n) => {
            needs.extend(n.into_iter().map(AwsNeed::Cf));
            None
        }
    }
}

/// What `name` resolves to in Route 53 (`None`: its need was pushed).
fn r53(
    inv: &AwsInventory,
    req: &ChainRequest,
    name: &str,
    step: &str,
    needs: &mut Vec<AwsNeed>,
) -> Option<Result<Option<Resolved>, AwsError>> {
    if let Some(e) = inv.deadline(step) {
        return Some(Err(e));
    }
    match route53::resolve_name_preferring(&inv.route53, name, req.route_target.as_deref()) {
        Ok(r) => Some(r),
        Err(need) => {
            needs.push(AwsNeed::R53 {
                step: step.to_string(),
                need,
            });
            None
        }
    }
}

/// The load balancer `selector` names, in the region its DNS name or ARN names, else in each
/// `--regions` entry (else the configured region): the first region that has it wins.
fn alb_step(
    inv: &AwsInventory,
    req: &ChainRequest,
    selector: AlbSelector,
    host: &str,
    port: u16,
    needs: &mut Vec<AwsNeed>,
) -> Option<Result<AlbReading, AwsError>> {
    if let Some(e) = inv.deadline(ALB_STEP) {
        return Some(Err(e));
    }
    let known = match &selector {
        AlbSelector::DnsName(d) => region_from_elb_dns(d),
        AlbSelector::Arn(a) => region_from_arn(a),
        AlbSelector::Name(_) => None,
    };
    let regions: Vec<String> = match known {
        Some(r) => vec![r],
        None if !req.regions.is_empty() => req.regions.clone(),
        None => inv.default_regions.clone(),
    };
    if regions.is_empty() {
        return Some(Err(AwsError::NoRegion {
            what: "the load balancer".into(),
        }));
    }
    let alb_req = AlbRequest {
        selector,
        host: host.to_string(),
        path: req.path.clone(),
        port: Some(port),
        page_size: None,
        deadline: None,
    };
    let mut results = Vec::new();
    let mut pending = false;
    for region in &regions {
        let empty;
        let ri = match inv.regions.get(region) {
            Some(ri) => ri,
            None if inv.complete => {
                results.push(Err(AwsError::NotFound(format!(
                    "no load balancer {} in {region}: the region was not read (it is not \
                     among the regions configured for the account)",
                    describe(&alb_req.selector)
                ))));
                continue;
            }
            None => {
                empty = RegionInventory::new(region);
                &empty
            }
        };
        match alb::resolve(ri, &alb_req) {
            Ok(r) => results.push(r),
            Err(n) => {
                pending = true;
                needs.extend(n.into_iter().map(|need| AwsNeed::Alb {
                    region: region.clone(),
                    need,
                }));
            }
        }
    }
    if pending {
        return None;
    }
    let mut first_err = None;
    let mut not_found = Vec::new();
    for r in results {
        match r {
            Ok(reading) => return Some(Ok(reading)),
            Err(AwsError::NotFound(m)) => not_found.push(m),
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    // An account that could not be read may hold it: that is a gap, not "not found".
    if first_err.is_none() {
        first_err = inv.unreadable.first().cloned();
    }
    Some(Err(
        first_err.unwrap_or_else(|| AwsError::NotFound(not_found.join("; ")))
    ))
}

fn describe(selector: &AlbSelector) -> String {
    match selector {
        AlbSelector::Arn(a) => a.clone(),
        AlbSelector::Name(n) => format!("named {n}"),
        AlbSelector::DnsName(d) => format!("with DNS name {d}"),
    }
}

/// A candidate as the model names it: the same locator and field its path variant has.
fn route_choice(c: &Candidate) -> RouteChoice {
    RouteChoice {
        source: "route53".into(),
        policy: c.policy.clone(),
        set_identifier: c.set_identifier.clone(),
        detail: c.detail.clone(),
        target: c.target.name().to_string(),
        locator: format!(
            "hostedzone/{}",
            c.zone_id.trim_start_matches("/hostedzone/")
        ),
        field: format!(
            "ResourceRecordSets[{}{}]",
            c.name,
            c.set_identifier
                .as_deref()
                .map(|i| format!(" {i}"))
                .unwrap_or_default()
        ),
    }
}

/// The followed record set and the others, when a name has more than one.
fn route_split(r: &Resolved) -> Option<RouteSplit> {
    (!r.others.is_empty()).then(|| RouteSplit {
        followed: route_choice(&r.chosen),
        others: r.others.iter().map(route_choice).collect(),
    })
}

/// The record sets not followed, as path variants of the layer the followed one led to. A
/// `chain` run audits each as a chain of its own (and marks the variant `audited`); a `--alb`
/// or `--cloudfront` pin audits one of them.
fn dns_variants(r: &Resolved) -> Vec<PathVariant> {
    let chosen = route_choice(&r.chosen);
    let pin = |t: &DnsTarget| match t {
        DnsTarget::Elb(n) => format!("--alb {n}"),
        DnsTarget::CloudFront(_) => "--cloudfront ID".to_string(),
        DnsTarget::Other(_) => "a pin for it".to_string(),
    };
    r.others
        .iter()
        .map(|c| {
            let choice = route_choice(c);
            PathVariant {
                kind: "dns_routing".into(),
                detail: format!(
                    "Route 53 {} for {} sends some clients to {} instead of {} ({}), the path \
                     audited here; audit it with {}",
                    describe_route(&choice),
                    c.name.trim_end_matches('.'),
                    c.target.name(),
                    r.chosen.target.name(),
                    describe_route(&chosen),
                    pin(&c.target),
                ),
                locator: choice.locator,
                field: Some(choice.field),
                audited: false,
            }
        })
        .collect()
}

/// `weighted record set green (weight 10)`.
fn describe_route(c: &RouteChoice) -> String {
    let mut s = format!("{} record set", c.policy);
    if let Some(id) = &c.set_identifier {
        s.push_str(&format!(" {id}"));
    }
    if let Some(d) = &c.detail {
        s.push_str(&format!(" ({d})"));
    }
    s
}

enum AlbPlan {
    /// Read the load balancer named so, for this `Host`, on this listener port.
    Read(AlbSelector, String, u16),
    NotConsulted(String),
    /// An upstream read failed; its gap already says why the load balancer is unknown.
    Unknown,
}

pub(super) fn default_port(scheme: Scheme) -> u16 {
    match scheme {
        Scheme::Wss => 443,
        Scheme::Ws => 80,
    }
}

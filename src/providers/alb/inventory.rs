//! The load balancers of one region as far as they were read, and the pure resolution of a
//! handshake over them: the listener, rule, target groups and cleartext entry `read_alb`
//! reports, decided without I/O.
//!
//! An inventory is filled two ways. `wsaudit scan` reads a whole region once
//! ([`read_region`]: every load balancer, listener, rule and target group, each scope
//! `complete`). `wsaudit chain` reads only what one handshake needs: [`resolve`] names what is
//! missing ([`AlbNeed`]), [`fetch`] reads exactly that, and resolution runs again, so both
//! commands pick listeners and rules with the same code. Absent from a complete scope means
//! "does not exist"; absent from a partial one means "read it"; a scope whose listing failed
//! turns a miss into that failure, never into "not found".

use super::describe::{
    self, default_rule, describe_rules, lb_attributes, listener_attributes, DESCRIBE_LISTENERS,
    DESCRIBE_LISTENER_ATTRIBUTES, DESCRIBE_RULES, DESCRIBE_TARGET_GROUPS,
};
use super::rules::{pick_rule, Forward, Rule};
use super::snapshot::{
    AlbReading, AlbSnapshot, CleartextEntry, LbKind, ListenerSnapshot, LoadBalancerSnapshot, Read,
    TargetGroupSnapshot, Unread, CLEARTEXT_PORT,
};
use super::translate;
use super::{AlbRequest, AlbSelector};
use crate::providers::aws::{normalize_dns, AwsError, Scope};
use crate::providers::calls::RateBudget;
use aws_sdk_elasticloadbalancingv2::Client;
use futures_util::future::join_all;
use std::collections::BTreeMap;

/// One region's load balancers and target groups (of one account, or several merged).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegionInventory {
    pub region: String,
    /// `DescribeLoadBalancers` over the whole region.
    pub listing: Scope,
    pub load_balancers: Vec<LbEntry>,
    /// Load balancers looked up one by one (a partial read): the selector and how the lookup
    /// ended. `Ok`: done; the load balancer is in `load_balancers` if it exists.
    pub lookups: Vec<(AlbSelector, Result<(), AwsError>)>,
    /// `DescribeTargetGroups` over the whole region.
    pub target_group_listing: Scope,
    pub target_groups: BTreeMap<String, TargetGroupEntry>,
    /// Target groups looked up by ARN (a partial read), with the call's failure if it failed.
    pub target_group_lookups: Vec<(Vec<String>, Read<()>)>,
}

/// One load balancer; `None` parts were not read yet.
#[derive(Debug, Clone, PartialEq)]
pub struct LbEntry {
    /// Its `attributes` stay empty: they are in `attributes` below.
    pub lb: LoadBalancerSnapshot,
    pub attributes: Option<Result<BTreeMap<String, String>, AwsError>>,
    pub listeners: Option<Read<Vec<ListenerEntry>>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListenerEntry {
    /// Its `attributes` are `Ok(empty)`; the ones read are in `attributes` below.
    pub listener: ListenerSnapshot,
    /// The listener's default actions, as its default rule.
    pub default_rule: Rule,
    /// `DescribeListenerAttributes` (read for NLB TCP listeners only).
    pub attributes: Option<Read<BTreeMap<String, String>>>,
    /// `DescribeRules` (ALB listeners only; NLB listeners have none).
    pub rules: Option<Read<Vec<Rule>>>,
}

/// A target group as listed, with its attributes and registered-target count.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetGroupEntry {
    /// `weight` is `None` here: a weight belongs to the forward that names the group.
    pub group: TargetGroupSnapshot,
}

/// What a resolution needs read before it can answer.
#[derive(Debug, Clone, PartialEq)]
pub enum AlbNeed {
    /// Find the load balancer (then its attributes and listeners).
    Find(AlbSelector),
    Attributes(String),
    Listeners(String),
    ListenerAttributes(String),
    Rules(String),
    /// These target groups, with their attributes and target health.
    TargetGroups(Vec<String>),
}

impl RegionInventory {
    pub fn new(region: &str) -> Self {
        RegionInventory {
            region: region.to_string(),
            ..Default::default()
        }
    }

    /// Another account's inventory of the same region, merged into this one.
    pub fn merge(&mut self, other: RegionInventory) {
        self.listing.merge(other.listing);
        self.load_balancers.extend(other.load_balancers);
        self.lookups.extend(other.lookups);
        self.target_group_listing.merge(other.target_group_listing);
        self.target_groups.extend(other.target_groups);
        self.target_group_lookups.extend(other.target_group_lookups);
    }

    fn entry(&self, arn: &str) -> Option<&LbEntry> {
        self.load_balancers.iter().find(|e| e.lb.arn == arn)
    }

    fn entry_mut(&mut self, arn: &str) -> Option<&mut LbEntry> {
        self.load_balancers.iter_mut().find(|e| e.lb.arn == arn)
    }

    fn listener_mut(&mut self, arn: &str) -> Option<&mut ListenerEntry> {
        self.load_balancers
            .iter_mut()
            .filter_map(|e| e.listeners.as_mut()?.as_mut().ok())
            .flatten()
            .find(|l| l.listener.arn == arn)
    }
}

/// Whether `lb` is the one `selector` names.
pub fn selects(selector: &AlbSelector, lb: &LoadBalancerSnapshot) -> bool {
    match selector {
        AlbSelector::Arn(a) => lb.arn == *a,
        AlbSelector::Name(n) => lb.name == *n,
        AlbSelector::DnsName(d) => normalize_dns(&lb.dns_name) == normalize_dns(d),
    }
}

fn not_found(selector: &AlbSelector, region: &str) -> AwsError {
    let what = match selector {
        AlbSelector::Arn(a) => a.clone(),
        AlbSelector::Name(n) => format!("named {n}"),
        AlbSelector::DnsName(d) => format!("with DNS name {d}"),
    };
    AwsError::NotFound(format!("no load balancer {what} in {region}"))
}

/// The load balancer `selector` names: `Ok(Ok)` found, `Ok(Err)` known not to be readable
/// (not found in a complete listing, or its listing failed), `Err` not looked up yet.
pub fn find<'a>(
    inv: &'a RegionInventory,
    selector: &AlbSelector,
) -> Result<Result<&'a LbEntry, AwsError>, AlbNeed> {
    if let Some(e) = inv.load_balancers.iter().find(|e| selects(selector, &e.lb)) {
        return Ok(Ok(e));
    }
    if let Some(e) = inv.listing.failure() {
        return Ok(Err(e.clone()));
    }
    if inv.listing.complete {
        return Ok(Err(not_found(selector, &inv.region)));
    }
    match inv.lookups.iter().find(|(s, _)| s == selector) {
        Some((_, Err(e))) => Ok(Err(e.clone())),
        Some((_, Ok(()))) => Ok(Err(not_found(selector, &inv.region))),
        None => Err(AlbNeed::Find(selector.clone())),
    }
}

/// What `read_alb` yields for `req`, from the inventory alone, or what must be read first.
/// `Ok(Err)`: the load balancer (or its attributes) could not be read; the other failures are
/// gaps of the reading, as in a live read.
pub fn resolve(
    inv: &RegionInventory,
    req: &AlbRequest,
) -> Result<Result<AlbReading, AwsError>, Vec<AlbNeed>> {
    let entry = match find(inv, &req.selector) {
        Ok(Ok(e)) => e,
        Ok(Err(e)) => return Ok(Err(e)),
        Err(need) => return Err(vec![need]),
    };
    if entry.lb.kind == LbKind::Gateway {
        return Ok(Err(AwsError::Unsupported(format!(
            "{} is a Gateway Load Balancer: it passes packets to inspection appliances over \
             GENEVE and answers no HTTP or TCP connection itself, so it is not a hop of the \
             WebSocket's path (pin the ALB or NLB the traffic reaches with --alb)",
            entry.lb.name
        ))));
    }
    let mut needs = Vec::new();
    let attributes = match &entry.attributes {
        None => {
            needs.push(AlbNeed::Attributes(entry.lb.arn.clone()));
            BTreeMap::new()
        }
        Some(Err(e)) => return Ok(Err(e.clone())),
        Some(Ok(a)) => a.clone(),
    };
    let Some(listeners) = &entry.listeners else {
        needs.push(AlbNeed::Listeners(entry.lb.arn.clone()));
        return Err(needs);
    };
    if !needs.is_empty() {
        return Err(needs);
    }
    let kind = entry.lb.kind;
    let (listener, rule): (Read<Option<ListenerSnapshot>>, Option<Read<Option<Rule>>>) =
        match listeners {
            Err(u) => (Err(u.clone()), Some(Err(u.clone()))),
            Ok(all) => match choose_listener(all, req.port) {
                None => (Ok(None), Some(Ok(None))),
                Some(chosen) => {
                    let mut l = chosen.listener.clone();
                    // TCP_UDP listeners carry TCP flows too, with the TCP idle timeout.
                    if kind == LbKind::Network
                        && matches!(l.protocol.as_deref(), Some("TCP") | Some("TCP_UDP"))
                    {
                        match &chosen.attributes {
                            Some(a) => l.attributes = a.clone(),
                            None => needs.push(AlbNeed::ListenerAttributes(l.arn.clone())),
                        }
                    }
                    let rule = rule_for(kind, chosen, req, &mut needs);
                    (Ok(Some(l)), rule.map(|r| r.map(Some)))
                }
            },
        };
    let cleartext: Option<Read<CleartextEntry>> = match (&listener, &rule) {
        // An HTTP listener carries cleartext by definition. A TCP listener may carry TLS for
        // the backend to terminate, so it says nothing about `ws://` clients, who dial port 80.
        (Ok(Some(l)), Some(Ok(Some(r)))) if l.protocol.as_deref() == Some("HTTP") => {
            Some(Ok(CleartextEntry::Plain {
                listener: l.clone(),
                rule: r.clone(),
            }))
        }
        (Ok(Some(l)), Some(Err(u))) if l.protocol.as_deref() == Some("HTTP") => {
            Some(Err(u.clone()))
        }
        (Ok(Some(l)), None) if l.protocol.as_deref() == Some("HTTP") => None,
        _ => match listeners {
            Ok(all) => cleartext_entry(kind, all, req, &mut needs),
            Err(u) => Some(Err(u.clone())),
        },
    };
    let (Some(rule), Some(cleartext)) = (rule, cleartext) else {
        return Err(dedup(needs));
    };
    if !needs.is_empty() {
        return Err(dedup(needs));
    }
    let target_groups = match &rule {
        Ok(r) => match r.as_ref().and_then(|r| r.forward.as_ref()) {
            Some(f) => groups_of(inv, f).map_err(|n| vec![n])?,
            None => Ok(Vec::new()),
        },
        Err(u) => Err(u.clone()),
    };
    let mut lb = entry.lb.clone();
    lb.attributes = attributes;
    let snapshot = AlbSnapshot {
        lb,
        request_host: req.host.clone(),
        request_path: req.path.clone(),
        listeners: listeners
            .as_ref()
            .map(|all| all.iter().map(|l| l.listener.clone()).collect())
            .map_err(Clone::clone),
        listener,
        rule,
        target_groups,
        cleartext,
    };
    let layer = translate::to_layer(&snapshot);
    let gaps = snapshot
        .failures()
        .into_iter()
        .map(|u| u.error.to_gap(&layer.id, layer.provider))
        .collect();
    Ok(Ok(AlbReading {
        layer,
        snapshot,
        gaps,
    }))
}

fn dedup(mut needs: Vec<AlbNeed>) -> Vec<AlbNeed> {
    let mut out: Vec<AlbNeed> = Vec::new();
    for n in needs.drain(..) {
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

fn speaks_tls(l: &ListenerSnapshot) -> bool {
    matches!(l.protocol.as_deref(), Some("HTTPS") | Some("TLS"))
}

/// The listener a client reaches: the given port, else 443/HTTPS, else 80, else the first.
fn choose_listener(listeners: &[ListenerEntry], port: Option<u16>) -> Option<&ListenerEntry> {
    let by_port = |p: i32| listeners.iter().find(|l| l.listener.port == Some(p));
    port.and_then(|p| by_port(i32::from(p)))
        .or_else(|| by_port(443))
        .or_else(|| listeners.iter().find(|l| speaks_tls(&l.listener)))
        .or_else(|| by_port(80))
        .or_else(|| listeners.first())
}

/// The rule a listener applies to the handshake (`None`: its rules are not read yet). NLB
/// listeners have no rules: their default action applies to every connection.
fn rule_for(
    kind: LbKind,
    l: &ListenerEntry,
    req: &AlbRequest,
    needs: &mut Vec<AlbNeed>,
) -> Option<Read<Rule>> {
    if kind == LbKind::Network {
        return Some(Ok(l.default_rule.clone()));
    }
    match &l.rules {
        None => {
            needs.push(AlbNeed::Rules(l.listener.arn.clone()));
            None
        }
        Some(Err(u)) => Some(Err(u.clone())),
        // DescribeRules lists the default rule too; the listener's default actions stand in
        // for it if a response leaves it out.
        Some(Ok(all)) => Some(Ok(pick_rule(all, &req.host, &req.path)
            .cloned()
            .unwrap_or_else(|| l.default_rule.clone()))),
    }
}

/// Where a cleartext handshake lands when the handshake itself did not reach an HTTP listener:
/// the listener on port 80, if any.
fn cleartext_entry(
    kind: LbKind,
    listeners: &[ListenerEntry],
    req: &AlbRequest,
    needs: &mut Vec<AlbNeed>,
) -> Option<Read<CleartextEntry>> {
    let Some(l) = listeners
        .iter()
        .find(|l| l.listener.port == Some(CLEARTEXT_PORT))
    else {
        return Some(Ok(CleartextEntry::NoListener {
            port: CLEARTEXT_PORT,
        }));
    };
    if speaks_tls(&l.listener) {
        return Some(Ok(CleartextEntry::TlsListener(l.listener.clone())));
    }
    let rule = rule_for(kind, l, req, needs)?;
    Some(rule.map(|rule| CleartextEntry::Plain {
        listener: l.listener.clone(),
        rule,
    }))
}

/// The forward's target groups, in the forward's order, with the forward's weights. A group
/// the listing does not have is left out, as `DescribeTargetGroups` leaves it out.
fn groups_of(
    inv: &RegionInventory,
    f: &Forward,
) -> Result<Read<Vec<TargetGroupSnapshot>>, AlbNeed> {
    let arns: Vec<String> = f.target_groups.iter().map(|t| t.arn.clone()).collect();
    if arns.is_empty() {
        return Ok(Ok(Vec::new()));
    }
    let all_there = arns.iter().all(|a| inv.target_groups.contains_key(a));
    if !all_there {
        if let Some(e) = inv.target_group_listing.failure() {
            return Ok(Err(Unread {
                action: DESCRIBE_TARGET_GROUPS,
                error: e.clone(),
            }));
        }
        if !inv.target_group_listing.complete {
            let looked_up = inv
                .target_group_lookups
                .iter()
                .find(|(a, _)| arns.iter().all(|x| a.contains(x)));
            match looked_up {
                None => return Err(AlbNeed::TargetGroups(arns)),
                Some((_, Err(u))) => return Ok(Err(u.clone())),
                Some((_, Ok(()))) => {}
            }
        }
    }
    Ok(Ok(f
        .target_groups
        .iter()
        .filter_map(|r| {
            let mut g = inv.target_groups.get(&r.arn)?.group.clone();
            g.weight = r.weight;
            Some(g)
        })
        .collect()))
}

/// Reads what `needs` names into `inv`, each call bounded by the request's deadline as in a
/// live read; a failed call is stored where its answer would be.
pub async fn fetch(
    client: &Client,
    inv: &mut RegionInventory,
    needs: Vec<AlbNeed>,
    req: &AlbRequest,
) {
    let reads = needs.into_iter().map(|need| async move {
        let got = match &need {
            AlbNeed::Find(sel) => Got::Found(find_one(client, sel, req).await),
            AlbNeed::Attributes(arn) => Got::Attributes(lb_attributes(client, arn).await),
            AlbNeed::Listeners(arn) => Got::Listeners(
                req.call(
                    DESCRIBE_LISTENERS,
                    listeners(client, arn, req.page_size, None),
                )
                .await,
            ),
            AlbNeed::ListenerAttributes(arn) => Got::ListenerAttributes(
                req.call(
                    DESCRIBE_LISTENER_ATTRIBUTES,
                    listener_attributes(client, arn),
                )
                .await,
            ),
            AlbNeed::Rules(arn) => Got::Rules(
                req.within(DESCRIBE_RULES, async {
                    describe_rules(client, arn, req.page_size)
                        .await
                        .map_err(Unread::of(DESCRIBE_RULES))
                })
                .await,
            ),
            AlbNeed::TargetGroups(arns) => {
                Got::TargetGroups(describe::target_groups_by_arn(client, arns, req).await)
            }
        };
        (need, got)
    });
    for (need, got) in join_all(reads).await {
        store(inv, need, got);
    }
}

enum Got {
    Found(Result<Option<LbEntry>, AwsError>),
    Attributes(Result<BTreeMap<String, String>, AwsError>),
    Listeners(Read<Vec<ListenerEntry>>),
    ListenerAttributes(Read<BTreeMap<String, String>>),
    Rules(Read<Vec<Rule>>),
    TargetGroups(Read<Vec<TargetGroupSnapshot>>),
}

fn store(inv: &mut RegionInventory, need: AlbNeed, got: Got) {
    match (need, got) {
        (AlbNeed::Find(sel), Got::Found(r)) => match r {
            Ok(found) => {
                if let Some(e) = found {
                    if inv.entry(&e.lb.arn).is_none() {
                        inv.load_balancers.push(e);
                    }
                }
                inv.lookups.push((sel, Ok(())));
            }
            Err(e) => inv.lookups.push((sel, Err(e))),
        },
        (AlbNeed::Attributes(arn), Got::Attributes(a)) => {
            if let Some(e) = inv.entry_mut(&arn) {
                e.attributes = Some(a);
            }
        }
        (AlbNeed::Listeners(arn), Got::Listeners(l)) => {
            if let Some(e) = inv.entry_mut(&arn) {
                e.listeners = Some(l);
            }
        }
        (AlbNeed::ListenerAttributes(arn), Got::ListenerAttributes(a)) => {
            if let Some(l) = inv.listener_mut(&arn) {
                l.attributes = Some(a);
            }
        }
        (AlbNeed::Rules(arn), Got::Rules(r)) => {
            if let Some(l) = inv.listener_mut(&arn) {
                l.rules = Some(r);
            }
        }
        (AlbNeed::TargetGroups(arns), Got::TargetGroups(r)) => match r {
            Ok(groups) => {
                for g in groups {
                    inv.target_groups
                        .insert(g.arn.clone(), TargetGroupEntry { group: g });
                }
                inv.target_group_lookups.push((arns, Ok(())));
            }
            Err(u) => inv.target_group_lookups.push((arns, Err(u))),
        },
        _ => {}
    }
}

/// Finds one load balancer and, unless it is a Gateway Load Balancer, reads its attributes and
/// listeners at once (a resolution always needs both next).
async fn find_one(
    client: &Client,
    sel: &AlbSelector,
    req: &AlbRequest,
) -> Result<Option<LbEntry>, AwsError> {
    let lb = match describe::find_load_balancer(client, sel, req.page_size).await {
        Ok(lb) => lb,
        Err(AwsError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    if lb.kind == LbKind::Gateway {
        return Ok(Some(LbEntry {
            lb,
            attributes: None,
            listeners: None,
        }));
    }
    let (attributes, listeners) = tokio::join!(
        lb_attributes(client, &lb.arn),
        req.call(
            DESCRIBE_LISTENERS,
            listeners(client, &lb.arn, req.page_size, None)
        )
    );
    Ok(Some(LbEntry {
        lb,
        attributes: Some(attributes),
        listeners: Some(listeners),
    }))
}

async fn listeners(
    client: &Client,
    lb_arn: &str,
    page_size: Option<i32>,
    budget: Option<&RateBudget>,
) -> Result<Vec<ListenerEntry>, AwsError> {
    let all = describe::listeners(client, lb_arn, page_size, budget).await?;
    Ok(all
        .into_iter()
        .map(|(listener, sdk)| ListenerEntry {
            default_rule: default_rule(&listener.arn, sdk.default_actions()),
            listener,
            attributes: None,
            rules: None,
        })
        .collect())
}

/// Every load balancer, listener, rule and target group of one region, each call first
/// awaiting `budget`. Never fails as a whole: a listing that failed is a failed scope, a call
/// about one resource that failed is stored where its answer would be.
pub async fn read_region(
    client: &Client,
    region: &str,
    page_size: Option<i32>,
    budget: &RateBudget,
) -> RegionInventory {
    let mut inv = RegionInventory::new(region);
    let (lbs, groups) = tokio::join!(
        describe::all_load_balancers(client, page_size, budget),
        describe::all_target_groups(client, page_size, budget),
    );
    match groups {
        Ok(groups) => {
            inv.target_group_listing = Scope::complete();
            inv.target_groups = groups
                .into_iter()
                .map(|g| (g.arn.clone(), TargetGroupEntry { group: g }))
                .collect();
        }
        Err(e) => inv.target_group_listing = Scope::failed(e),
    }
    let lbs = match lbs {
        Ok(lbs) => lbs,
        Err(e) => {
            inv.listing = Scope::failed(e);
            return inv;
        }
    };
    inv.listing = Scope::complete();
    inv.load_balancers = join_all(
        lbs.into_iter()
            .map(|lb| read_lb(client, lb, page_size, budget)),
    )
    .await;
    inv
}

/// One load balancer in full: attributes, listeners, each ALB listener's rules and each NLB
/// TCP listener's attributes (what a resolution of any handshake may ask for).
async fn read_lb(
    client: &Client,
    lb: LoadBalancerSnapshot,
    page_size: Option<i32>,
    budget: &RateBudget,
) -> LbEntry {
    if lb.kind == LbKind::Gateway {
        return LbEntry {
            lb,
            attributes: None,
            listeners: None,
        };
    }
    let attributes = async {
        budget.take().await;
        lb_attributes(client, &lb.arn).await
    };
    let listeners = async {
        let mut all = listeners(client, &lb.arn, page_size, Some(budget))
            .await
            .map_err(Unread::of(DESCRIBE_LISTENERS))?;
        let kind = lb.kind;
        join_all(all.iter_mut().map(|l| async move {
            let tcp = matches!(
                l.listener.protocol.as_deref(),
                Some("TCP") | Some("TCP_UDP")
            );
            if kind == LbKind::Network && tcp {
                budget.take().await;
                l.attributes = Some(
                    listener_attributes(client, &l.listener.arn)
                        .await
                        .map_err(Unread::of(DESCRIBE_LISTENER_ATTRIBUTES)),
                );
            } else if kind != LbKind::Network {
                l.rules = Some(
                    describe::rules_budgeted(client, &l.listener.arn, page_size, budget)
                        .await
                        .map_err(Unread::of(DESCRIBE_RULES)),
                );
            }
        }))
        .await;
        Ok(all)
    };
    let (attributes, listeners) = tokio::join!(attributes, listeners);
    LbEntry {
        lb,
        attributes: Some(attributes),
        listeners: Some(listeners),
    }
}

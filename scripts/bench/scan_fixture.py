"""Builds the estate `scripts/bench-scan.sh` scans, in the AWS emulator (moto_server): two
accounts (the second reached by assuming a role into it) x three regions of load balancers with
host/path listener rules, CloudFront distributions in front of some, Route 53 records for the
declared targets, and an nginx configuration of WebSocket servers. Writes into WORK:
wsaudit.toml (the scan), aws-config (one profile per account, for `wsaudit chain`), nginx.conf,
and chains.tsv (each target as `chain` would be asked for it: id, profile, extra flags).

  python scan_fixture.py MOTO_URL WORK
"""

import os
import sys

import boto3

MOTO, WORK = sys.argv[1], sys.argv[2]
ACCOUNTS = ["111111111111", "222222222222"]
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]
LBS_PER_REGION = 9
RULES_PER_LB = 10
DISTRIBUTIONS = 6
ALIASES = 5
RECORDS = 100
NGINX_SERVERS = 150
BASE = dict(aws_access_key_id="AKIAWSAUDITBENCH0000", aws_secret_access_key="bench")


def session(account):
    sts = boto3.client("sts", endpoint_url=MOTO, region_name="us-east-1", **BASE)
    c = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/wsaudit-read", RoleSessionName="wsaudit-bench"
    )["Credentials"]
    return dict(
        aws_access_key_id=c["AccessKeyId"],
        aws_secret_access_key=c["SecretAccessKey"],
        aws_session_token=c["SessionToken"],
    )


chains = []  # (id, profile, flags)
lb_dns = []  # account 0's load balancers: what the Cloudflare records point at
toml = [
    'websocket_paths = ["/ws/"]',
    "",
    "[scan]",
    'discover = ["cloudfront", "alb", "cloudflare", "nginx"]',
    'nginx_conf = "nginx.conf"',
    "",
    "[[cloudflare.account]]",
    'token_env = "CF_TOKEN_BENCH"',
    "",
]
profiles = ["[profile base]", "region = us-east-1", ""]
for n, account in enumerate(ACCOUNTS):
    creds = session(account)
    first_alb = None
    for region in REGIONS:
        elb = boto3.client("elbv2", endpoint_url=MOTO, region_name=region, **creds)
        ec2 = boto3.client("ec2", endpoint_url=MOTO, region_name=region, **creds)
        vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
        subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
        for i in range(LBS_PER_REGION):
            name = f"ws{n}-{region[:2]}{region[-1]}-{i}"
            lb = elb.create_load_balancer(Name=name, Subnets=subnets, Type="application")[
                "LoadBalancers"
            ][0]
            arn, dns = lb["LoadBalancerArn"], lb["DNSName"]
            first_alb = first_alb or dns
            elb.modify_load_balancer_attributes(
                LoadBalancerArn=arn,
                Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": str(30 + 30 * (i % 4))}],
            )
            tg = elb.create_target_group(
                Name=f"tg-{name}", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip"
            )["TargetGroups"][0]["TargetGroupArn"]
            elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "10.0.0.10", "Port": 8080}])
            listener = elb.create_listener(
                LoadBalancerArn=arn,
                Protocol="HTTP",
                Port=80,
                DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}],
            )["Listeners"][0]["ListenerArn"]
            chains.append((f"{dns.lower()}/ws/", f"a{n}", f"--alb {arn}"))
            if n == 0:
                lb_dns.append(dns)
            for r in range(RULES_PER_LB):
                host = f"h{r}-{name}.a{n}.example.com"
                elb.create_rule(
                    ListenerArn=listener,
                    Priority=r + 1,
                    Conditions=[
                        {"Field": "host-header", "HostHeaderConfig": {"Values": [host]}},
                        {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/ws/*"]}},
                    ],
                    Actions=[{"Type": "forward", "TargetGroupArn": tg}],
                )
                chains.append((f"{host}/ws/", f"a{n}", f"--alb {arn}"))
    cf = boto3.client("cloudfront", endpoint_url=MOTO, region_name="us-east-1", **creds)
    cf_domains = []
    for d in range(DISTRIBUTIONS):
        aliases = [f"cf{d}-{a}.a{n}.example.net" for a in range(ALIASES)]
        behavior = {
            "TargetOriginId": "alb",
            "ViewerProtocolPolicy": "https-only",
            "MinTTL": 0,
            "ForwardedValues": {
                "QueryString": True,
                "Cookies": {"Forward": "all"},
                "Headers": {"Quantity": 1, "Items": ["*"]},
            },
        }
        out = cf.create_distribution(
            DistributionConfig={
                "CallerReference": f"bench-{account}-{d}",
                "Aliases": {"Quantity": len(aliases), "Items": aliases},
                "Origins": {
                    "Quantity": 1,
                    "Items": [
                        {
                            "Id": "alb",
                            "DomainName": first_alb,
                            "CustomOriginConfig": {
                                "HTTPPort": 80,
                                "HTTPSPort": 443,
                                "OriginProtocolPolicy": "http-only",
                                "OriginReadTimeout": 30,
                                "OriginKeepaliveTimeout": 5,
                            },
                        }
                    ],
                },
                "DefaultCacheBehavior": behavior,
                "CacheBehaviors": {"Quantity": 1, "Items": [dict(behavior, PathPattern="/ws/*")]},
                "Comment": "wsaudit bench",
                "Enabled": True,
            }
        )["Distribution"]
        cf_domains.append(out["DomainName"])
        for a in aliases:
            chains.append((f"{a}/ws/", f"a{n}", ""))
    r53 = boto3.client("route53", endpoint_url=MOTO, region_name="us-east-1", **creds)
    zone = r53.create_hosted_zone(Name=f"a{n}.example.org", CallerReference=f"bench-{account}")[
        "HostedZone"
    ]["Id"]
    changes = []
    for i in range(RECORDS):
        name = f"r{i}.a{n}.example.org"
        target = cf_domains[i % len(cf_domains)] if i % 10 == 0 else first_alb
        zone_of = "Z2FDTNDATAQYW2" if i % 10 == 0 else "Z35SXDOTRQ7X7K"
        changes.append(
            {
                "Action": "CREATE",
                "ResourceRecordSet": {
                    "Name": name,
                    "Type": "A",
                    "AliasTarget": {
                        "HostedZoneId": zone_of,
                        "DNSName": target,
                        "EvaluateTargetHealth": False,
                    },
                },
            }
        )
        toml += ["[[target]]", f'domain = "{name}"', 'path = "/ws/"', ""]
        chains.append((f"{name}/ws/", f"a{n}", ""))
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": changes})
    toml[9:9] = [
        "[[aws.account]]",
        f'role_arn = "arn:aws:iam::{account}:role/wsaudit-read"',
        f"regions = {REGIONS!r}".replace("'", '"'),
        "",
    ]
    profiles += [
        f"[profile a{n}]",
        f"role_arn = arn:aws:iam::{account}:role/wsaudit-read",
        "source_profile = base",
        "region = us-east-1",
        "",
    ]

nginx = ["events {}", "http {"]
for i in range(NGINX_SERVERS):
    nginx += [
        "  server {",
        "    listen 80;",
        f"    server_name n{i}.example.com;",
        "    location /ws/ {",
        f"      proxy_pass http://127.0.0.1:{9000 + i};",
        "      proxy_http_version 1.1;",
        "      proxy_set_header Upgrade $http_upgrade;",
        '      proxy_set_header Connection "upgrade";',
        f"      proxy_read_timeout {60 * (1 + i % 5)}s;",
        "    }",
        "  }",
    ]
    chains.append((f"n{i}.example.com/ws/", "", "--nginx-conf nginx.conf"))
nginx.append("}")

os.makedirs(WORK, exist_ok=True)
for name, lines in [
    ("wsaudit.toml", toml),
    ("aws-config", profiles),
    ("nginx.conf", nginx),
]:
    with open(os.path.join(WORK, name), "w") as f:
        f.write("\n".join(lines) + "\n")
with open(os.path.join(WORK, "aws-credentials"), "w") as f:
    f.write(f"[base]\naws_access_key_id = {BASE['aws_access_key_id']}\n")
    f.write(f"aws_secret_access_key = {BASE['aws_secret_access_key']}\n")
with open(os.path.join(WORK, "lb-dns.txt"), "w") as f:
    f.write("\n".join(lb_dns) + "\n")
# The loopback Cloudflare API (cloudflare_api.py) serves 3 zones of 110 proxied records each.
for z in range(3):
    for r in range(110):
        chains.append((f"w{r}.cf{z}.example.com/ws/", "a0", ""))
with open(os.path.join(WORK, "chains.tsv"), "w") as f:
    for c in chains:
        f.write("\t".join(c) + "\n")
print(f"{len(chains)} targets")

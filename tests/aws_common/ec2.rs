//! A VPC and two subnets for a load balancer, created with EC2 Query API calls over plain
//! HTTP. Why not `aws-sdk-ec2`: it is the largest SDK crate and would add minutes to every
//! clean build on a 2-core machine, for three calls that only set the stage; the code under
//! test uses the real ELBv2/CloudFront/Route 53 SDKs.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn ec2_call(endpoint: &str, region: &str, params: &[(&str, &str)]) -> String {
    let hostport = endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let mut body = String::from("Version=2016-11-15");
    for (k, v) in params {
        body.push('&');
        body.push_str(k);
        body.push('=');
        body.push_str(&v.replace('/', "%2F"));
    }
    // The emulator routes on the credential scope (service and region) and does not verify
    // signatures.
    let req = format!(
        "POST / HTTP/1.1\r\nHost: {hostport}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=AKIAWSAUDITTESTKEY00/20260101/{region}/ec2/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut s = TcpStream::connect(&hostport)
        .await
        .expect("connect to moto");
    s.write_all(req.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.expect("read");
    let text = String::from_utf8_lossy(&out).to_string();
    assert!(
        text.starts_with("HTTP/1.") && text[9..12] == *"200",
        "EC2 call failed: {text}"
    );
    text
}

fn tag(text: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let start = text
        .find(&open)
        .unwrap_or_else(|| panic!("no <{name}> in {text}"))
        + open.len();
    let end = text[start..].find('<').expect("closing tag") + start;
    text[start..end].to_string()
}

/// Creates a VPC with two subnets in two availability zones; returns the VPC and subnet ids.
pub async fn vpc(endpoint: &str, region: &str) -> (String, Vec<String>) {
    let vpc = ec2_call(
        endpoint,
        region,
        &[("Action", "CreateVpc"), ("CidrBlock", "10.0.0.0/16")],
    )
    .await;
    let vpc_id = tag(&vpc, "vpcId");
    let mut ids = Vec::new();
    for (i, az) in ["a", "b"].iter().enumerate() {
        let cidr = format!("10.0.{i}.0/24");
        let zone = format!("{region}{az}");
        let sn = ec2_call(
            endpoint,
            region,
            &[
                ("Action", "CreateSubnet"),
                ("VpcId", &vpc_id),
                ("CidrBlock", &cidr),
                ("AvailabilityZone", &zone),
            ],
        )
        .await;
        ids.push(tag(&sn, "subnetId"));
    }
    (vpc_id, ids)
}

//! A VPC and two subnets for a load balancer, created with `aws-sdk-ec2` like every other
//! resource the AWS tests set up. ELBv2 needs subnets in two availability zones for an ALB.

use aws_config::SdkConfig;

/// Creates a VPC with two subnets in two availability zones of the SDK's region; returns the
/// VPC and subnet ids.
pub async fn vpc(sdk: &SdkConfig) -> (String, Vec<String>) {
    let region = sdk
        .region()
        .expect("the test SDK config has a region")
        .to_string();
    let ec2 = aws_sdk_ec2::Client::new(sdk);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .send()
        .await
        .expect("create VPC");
    let vpc_id = vpc
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("CreateVpc returns the VPC id")
        .to_string();
    let mut subnets = Vec::new();
    for (i, az) in ["a", "b"].iter().enumerate() {
        let out = ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .cidr_block(format!("10.0.{i}.0/24"))
            .availability_zone(format!("{region}{az}"))
            .send()
            .await
            .expect("create subnet");
        subnets.push(
            out.subnet()
                .and_then(|s| s.subnet_id())
                .expect("CreateSubnet returns the subnet id")
                .to_string(),
        );
    }
    (vpc_id, subnets)
}

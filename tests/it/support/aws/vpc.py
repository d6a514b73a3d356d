"""A VPC and two subnets in two availability zones, created in the AWS emulator through boto3
(the AWS SDK for Python, installed with moto). Test fixture only: the product never calls EC2.

usage: vpc.py ENDPOINT REGION  ->  prints "VPC_ID SUBNET_ID SUBNET_ID"
(credentials from the environment, as the caller sets them)
"""

import sys

import boto3

endpoint, region = sys.argv[1], sys.argv[2]
ec2 = boto3.client(
    "ec2",
    endpoint_url=endpoint,
    region_name=region,
)
vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
subnets = [
    ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{region}{az}")[
        "Subnet"
    ]["SubnetId"]
    for i, az in enumerate(["a", "b"])
]
print(vpc, *subnets)

"""Credentials of another account in the AWS emulator: STS AssumeRole into
arn:aws:iam::ACCOUNT:role/wsaudit-test through boto3. The emulator keys every resource by the
account its credentials belong to, so a test holding these sees only what it creates.

usage: assume.py ENDPOINT ACCOUNT  ->  prints "ACCESS_KEY_ID SECRET_ACCESS_KEY SESSION_TOKEN"
(the caller's credentials from the environment)
"""

import sys

import boto3

endpoint, account = sys.argv[1], sys.argv[2]
sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1")
c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/wsaudit-test", RoleSessionName="wsaudit")[
    "Credentials"
]
print(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])

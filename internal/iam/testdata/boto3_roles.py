"""Drives roam's IAM and STS endpoints with boto3, the way a user would.

Run by boto3_test.go with ROAM_IAM_ENDPOINT and ROAM_STS_ENDPOINT set.
Exits non-zero on the first mismatch; on success prints the caller
identity as JSON for the Go test to check.
"""

import datetime
import json
import os
import sys

import boto3
from botocore.config import Config

ACCOUNT = "123456789012"


def client(service, endpoint):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def check(ok, what):
    if not ok:
        sys.exit("FAIL: " + what)


iam = client("iam", os.environ["ROAM_IAM_ENDPOINT"])
sts = client("sts", os.environ["ROAM_STS_ENDPOINT"])

trust = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "rolesanywhere.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
            "Condition": {"StringEquals": {"aws:PrincipalTag/x509Subject/CN": "host a+b & c"}},
        }
    ],
}
permissions = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}],
}

created = iam.create_role(
    RoleName="boto3-role",
    Path="/py/",
    AssumeRolePolicyDocument=json.dumps(trust),
    Description="made by boto3",
    Tags=[{"Key": "lang", "Value": "python"}],
)["Role"]
check(created["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/py/boto3-role", "create_role Arn: %r" % created["Arn"])
check(created["RoleId"].startswith("AROA") and len(created["RoleId"]) == 21, "RoleId: %r" % created["RoleId"])

role = iam.get_role(RoleName="boto3-role")["Role"]
check(role["AssumeRolePolicyDocument"] == trust, "get_role trust policy: %r" % role["AssumeRolePolicyDocument"])
check(role["Description"] == "made by boto3", "Description: %r" % role.get("Description"))
check(role["MaxSessionDuration"] == 3600, "MaxSessionDuration: %r" % role.get("MaxSessionDuration"))
check(role["Tags"] == [{"Key": "lang", "Value": "python"}], "Tags: %r" % role.get("Tags"))
check(isinstance(role["CreateDate"], datetime.datetime), "CreateDate: %r" % role["CreateDate"])

iam.put_role_policy(RoleName="boto3-role", PolicyName="read", PolicyDocument=json.dumps(permissions))
inline = iam.get_role_policy(RoleName="boto3-role", PolicyName="read")
check(inline["PolicyDocument"] == permissions, "get_role_policy: %r" % inline["PolicyDocument"])
check(iam.list_role_policies(RoleName="boto3-role")["PolicyNames"] == ["read"], "list_role_policies")

listed = iam.list_roles(PathPrefix="/py/")
check([r["RoleName"] for r in listed["Roles"]] == ["boto3-role"], "list_roles: %r" % listed["Roles"])
check(listed["IsTruncated"] is False, "list_roles IsTruncated")
check(listed["Roles"][0]["AssumeRolePolicyDocument"] == trust, "list_roles trust policy")
check(iam.list_roles(PathPrefix="/nothing/")["Roles"] == [], "empty list_roles")

policy = iam.create_policy(PolicyName="boto3-policy", PolicyDocument=json.dumps(permissions))["Policy"]
version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId="v1")["PolicyVersion"]
check(version["Document"] == permissions and version["IsDefaultVersion"], "get_policy_version: %r" % version)
iam.delete_policy(PolicyArn=policy["Arn"])

iam.delete_role_policy(RoleName="boto3-role", PolicyName="read")
iam.delete_role(RoleName="boto3-role")
try:
    iam.get_role(RoleName="boto3-role")
    sys.exit("FAIL: get_role after delete_role succeeded")
except iam.exceptions.NoSuchEntityException as e:
    check(e.response["Error"]["Message"] == "The role with name boto3-role cannot be found.", "message: %r" % e.response["Error"])
    check(e.response["ResponseMetadata"]["HTTPStatusCode"] == 404, "status")

identity = sts.get_caller_identity()
print(json.dumps({k: identity[k] for k in ("Arn", "UserId", "Account")}))

"""The IAM Roles Anywhere walkthrough with boto3 against a roam server.

Usage: walkthrough_boto3.py ENDPOINT REGION ACCESS_KEY SECRET_KEY CA_PEM
       CLIENT_CERT CLIENT_KEY ROAM CONFIG_PATH

Creates a trust anchor, a role and a profile as the account's root, then
gets credentials for the role through a profile whose credential_process
is `roam credential-process`, and prints get_caller_identity as JSON.
"""
import json
import os
import sys

import boto3

(endpoint, region, access_key, secret_key, ca_pem, cert, key, roam, config_path) = sys.argv[1:]

admin = boto3.Session(aws_access_key_id=access_key, aws_secret_access_key=secret_key, region_name=region)
ra = admin.client("rolesanywhere", endpoint_url=endpoint)
iam = admin.client("iam", endpoint_url=endpoint)

anchor = ra.create_trust_anchor(
    name="boto3-anchor",
    source={"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": ca_pem}},
    enabled=True,
)["trustAnchor"]
trust = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Principal": {"Service": "rolesanywhere.amazonaws.com"},
        "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
        "Condition": {"ArnEquals": {"aws:SourceArn": anchor["trustAnchorArn"]}},
    }],
}
role = iam.create_role(RoleName="boto3-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
profile = ra.create_profile(name="boto3-profile", roleArns=[role["Arn"]], enabled=True)["profile"]

with open(config_path, "w") as f:
    f.write("[profile ra]\nregion = %s\ncredential_process = %s credential-process --certificate %s --private-key %s "
            "--trust-anchor-arn %s --profile-arn %s --role-arn %s --endpoint %s\n"
            % (region, roam, cert, key, anchor["trustAnchorArn"], profile["profileArn"], role["Arn"], endpoint))
os.environ["AWS_CONFIG_FILE"] = config_path

ident = boto3.Session(profile_name="ra").client("sts", endpoint_url=endpoint).get_caller_identity()
print(json.dumps({"Arn": ident["Arn"], "Account": ident["Account"], "RoleArn": role["Arn"]}))

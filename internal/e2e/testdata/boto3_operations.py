"""Every IAM Roles Anywhere operation, through boto3, against a roam server.

Usage: boto3_operations.py CONFIG_JSON

CONFIG_JSON holds: endpoint, region, accessKeyId, secretAccessKey, caPem
(a CA certificate bundle), crlFiles (two PEM CRLs signed by that CA),
roleArns (two IAM roles), subjectId and subjectCN (a subject roam recorded
from a CreateSession the caller made; boto3 has no CreateSession).

The script runs all 30 control-plane operations in one flow, asserting on
every result (an AssertionError fails the run), and prints a JSON summary:
boto3 and botocore versions, the service model's operation names, and every
HTTP call made (operation, status, error code).
"""
import datetime
import json
import sys
import uuid

import boto3
import botocore
from botocore.exceptions import ClientError

with open(sys.argv[1]) as f:
    cfg = json.load(f)

session = boto3.Session(
    aws_access_key_id=cfg["accessKeyId"],
    aws_secret_access_key=cfg["secretAccessKey"],
    region_name=cfg["region"],
)
ra = session.client("rolesanywhere", endpoint_url=cfg["endpoint"])

calls = []


def record(http_response, parsed, model, **kwargs):
    err = parsed.get("Error", {}).get("Code") if isinstance(parsed, dict) else None
    calls.append({"operation": model.name, "status": http_response.status_code, "error": err})


ra.meta.events.register("after-call.rolesanywhere", record)

ca_pem = cfg["caPem"]
crls = []
for path in cfg["crlFiles"]:
    with open(path, "rb") as f:
        crls.append(f.read())
role1, role2 = cfg["roleArns"]
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        raise AssertionError(what)


def is_time(v):
    return isinstance(v, datetime.datetime) and v.tzinfo is not None


def expect_error(code, fn, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        check(got == code, "%s: got %s, want %s" % (fn.__name__, got, code))
        check(e.response["Error"].get("Message"), "%s: error without a message" % fn.__name__)
        return
    raise AssertionError("%s succeeded, want %s" % (fn.__name__, code))


def paginate(op, key):
    # The model's paginators have no limit_key, so botocore rejects
    # PaginationConfig PageSize; pageSize goes as a plain parameter.
    items, pages = [], 0
    for page in ra.get_paginator(op).paginate(pageSize=1):
        pages += 1
        items.extend(page[key])
    return items, pages


def setting(anchor, event):
    found = [s for s in anchor["notificationSettings"] if s["event"] == event and s.get("channel", "ALL") == "ALL"]
    check(len(found) == 1, "one %s setting in %s" % (event, anchor["notificationSettings"]))
    return found[0]


def mapping(profile, field):
    for m in profile.get("attributeMappings", []):
        if m["certificateField"] == field:
            return [r["specifier"] for r in m["mappingRules"]]
    return None


# Trust anchors.
anchor = ra.create_trust_anchor(
    name="boto3-anchor",
    source={"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": ca_pem}},
    enabled=False,
    tags=[{"key": "owner", "value": "boto3"}],
    notificationSettings=[{"enabled": True, "event": "CA_CERTIFICATE_EXPIRY", "threshold": 30, "channel": "ALL"}],
)["trustAnchor"]
anchor_id, anchor_arn = anchor["trustAnchorId"], anchor["trustAnchorArn"]
check(anchor["name"] == "boto3-anchor" and anchor["enabled"] is False, "created anchor: %s" % anchor)
check(anchor["source"] == {"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": ca_pem}}, "anchor source")
check(anchor_arn.endswith(":trust-anchor/" + anchor_id), "anchor ARN %s" % anchor_arn)
check(is_time(anchor["createdAt"]) and is_time(anchor["updatedAt"]), "anchor timestamps")
ca_setting = setting(anchor, "CA_CERTIFICATE_EXPIRY")
check(ca_setting["threshold"] == 30 and ca_setting["enabled"] is True and ca_setting["configuredBy"], "CA setting %s" % ca_setting)
check(setting(anchor, "END_ENTITY_CERTIFICATE_EXPIRY")["enabled"] is True, "default end-entity setting")

check(ra.get_trust_anchor(trustAnchorId=anchor_id)["trustAnchor"]["trustAnchorArn"] == anchor_arn, "get_trust_anchor")
anchor = ra.update_trust_anchor(trustAnchorId=anchor_id, name="boto3-anchor-renamed")["trustAnchor"]
check(anchor["name"] == "boto3-anchor-renamed", "update_trust_anchor name")
anchors, pages = paginate("list_trust_anchors", "trustAnchors")
ids = [a["trustAnchorId"] for a in anchors]
check(anchor_id in ids and len(ids) == len(set(ids)) and pages >= len(ids), "list_trust_anchors %s in %d pages" % (ids, pages))
check(ra.enable_trust_anchor(trustAnchorId=anchor_id)["trustAnchor"]["enabled"] is True, "enable_trust_anchor")
check(ra.disable_trust_anchor(trustAnchorId=anchor_id)["trustAnchor"]["enabled"] is False, "disable_trust_anchor")
ra.enable_trust_anchor(trustAnchorId=anchor_id)

anchor = ra.put_notification_settings(
    trustAnchorId=anchor_id,
    notificationSettings=[{"enabled": False, "event": "END_ENTITY_CERTIFICATE_EXPIRY"}],
)["trustAnchor"]
check(setting(anchor, "END_ENTITY_CERTIFICATE_EXPIRY")["enabled"] is False, "put_notification_settings")
anchor = ra.reset_notification_settings(
    trustAnchorId=anchor_id,
    notificationSettingKeys=[{"event": "END_ENTITY_CERTIFICATE_EXPIRY", "channel": "ALL"}],
)["trustAnchor"]
check(setting(anchor, "END_ENTITY_CERTIFICATE_EXPIRY")["enabled"] is True, "reset_notification_settings")
check(setting(anchor, "CA_CERTIFICATE_EXPIRY")["threshold"] == 30, "reset touched another setting")

# Profiles.
policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
profile = ra.create_profile(
    name="boto3-profile",
    roleArns=[role1],
    durationSeconds=1800,
    enabled=False,
    sessionPolicy=policy,
    managedPolicyArns=["arn:aws:iam::aws:policy/ReadOnlyAccess"],
    requireInstanceProperties=False,
    acceptRoleSessionName=True,
    tags=[{"key": "owner", "value": "boto3"}],
)["profile"]
profile_id, profile_arn = profile["profileId"], profile["profileArn"]
check(profile["roleArns"] == [role1] and profile["durationSeconds"] == 1800 and profile["enabled"] is False, "created profile %s" % profile)
check(profile["sessionPolicy"] == policy and profile["managedPolicyArns"] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"], "profile policies")
check(profile["acceptRoleSessionName"] is True and profile["requireInstanceProperties"] is False, "profile flags")
check(mapping(profile, "x509Subject") == ["*"] and mapping(profile, "x509Issuer") == ["*"], "default attribute mappings %s" % profile.get("attributeMappings"))
check(profile_arn.endswith(":profile/" + profile_id) and is_time(profile["createdAt"]), "profile ARN and time")

check(ra.get_profile(profileId=profile_id)["profile"]["name"] == "boto3-profile", "get_profile")
profile = ra.update_profile(profileId=profile_id, name="boto3-profile-renamed", roleArns=[role1, role2],
                            durationSeconds=7200, acceptRoleSessionName=False)["profile"]
check(profile["name"] == "boto3-profile-renamed" and profile["roleArns"] == [role1, role2], "update_profile %s" % profile)
check(profile["durationSeconds"] == 7200 and profile["acceptRoleSessionName"] is False, "update_profile values")
profiles, _ = paginate("list_profiles", "profiles")
check(profile_id in [p["profileId"] for p in profiles], "list_profiles")
check(ra.enable_profile(profileId=profile_id)["profile"]["enabled"] is True, "enable_profile")
check(ra.disable_profile(profileId=profile_id)["profile"]["enabled"] is False, "disable_profile")

profile = ra.put_attribute_mapping(profileId=profile_id, certificateField="x509Subject",
                                   mappingRules=[{"specifier": "CN"}, {"specifier": "OU"}])["profile"]
check(mapping(profile, "x509Subject") == ["CN", "OU"], "put_attribute_mapping %s" % profile["attributeMappings"])
profile = ra.delete_attribute_mapping(profileId=profile_id, certificateField="x509Subject", specifiers=["OU"])["profile"]
check(mapping(profile, "x509Subject") == ["CN"], "delete_attribute_mapping %s" % profile["attributeMappings"])

# CRLs: boto3 takes the PEM bytes and base64-encodes them on the wire.
crl = ra.import_crl(name="boto3-crl", crlData=crls[0], trustAnchorArn=anchor_arn, enabled=False,
                    tags=[{"key": "owner", "value": "boto3"}])["crl"]
crl_id = crl["crlId"]
check(crl["crlData"] == crls[0] and crl["trustAnchorArn"] == anchor_arn and crl["enabled"] is False, "import_crl %s" % crl)
check(ra.get_crl(crlId=crl_id)["crl"]["crlData"] == crls[0], "get_crl data")
crl = ra.update_crl(crlId=crl_id, name="boto3-crl-renamed", crlData=crls[1])["crl"]
check(crl["name"] == "boto3-crl-renamed" and crl["crlData"] == crls[1], "update_crl")
all_crls, _ = paginate("list_crls", "crls")
check(crl_id in [c["crlId"] for c in all_crls], "list_crls")
check(ra.enable_crl(crlId=crl_id)["crl"]["enabled"] is True, "enable_crl")
check(ra.disable_crl(crlId=crl_id)["crl"]["enabled"] is False, "disable_crl")

# Subjects.
subjects, _ = paginate("list_subjects", "subjects")
check(cfg["subjectId"] in [s["subjectId"] for s in subjects], "list_subjects %s" % subjects)
subject = ra.get_subject(subjectId=cfg["subjectId"])["subject"]
check(cfg["subjectCN"] in subject["x509Subject"] and is_time(subject["lastSeenAt"]), "get_subject %s" % subject)
check(len(subject["credentials"]) >= 1 and subject["credentials"][0]["serialNumber"], "subject credentials")

# Tags.
check(ra.tag_resource(resourceArn=profile_arn, tags=[{"key": "stage", "value": "test"}])["ResponseMetadata"]["HTTPStatusCode"] == 201, "tag_resource")
tags = {t["key"]: t["value"] for t in ra.list_tags_for_resource(resourceArn=profile_arn)["tags"]}
check(tags == {"owner": "boto3", "stage": "test"}, "list_tags_for_resource %s" % tags)
ra.untag_resource(resourceArn=profile_arn, tagKeys=["stage"])
tags = {t["key"]: t["value"] for t in ra.list_tags_for_resource(resourceArn=profile_arn)["tags"]}
check(tags == {"owner": "boto3"}, "untag_resource %s" % tags)

# Errors.
expect_error("ValidationException", ra.create_trust_anchor, name="bad/name!",
             source={"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": ca_pem}})
expect_error("ResourceNotFoundException", ra.get_crl, crlId=str(uuid.uuid4()))

# Deletes return the deleted resource; afterwards it is gone.
check(ra.delete_crl(crlId=crl_id)["crl"]["crlId"] == crl_id, "delete_crl")
check(ra.delete_profile(profileId=profile_id)["profile"]["profileId"] == profile_id, "delete_profile")
check(ra.delete_trust_anchor(trustAnchorId=anchor_id)["trustAnchor"]["trustAnchorId"] == anchor_id, "delete_trust_anchor")
expect_error("ResourceNotFoundException", ra.get_trust_anchor, trustAnchorId=anchor_id)
expect_error("ResourceNotFoundException", ra.get_profile, profileId=profile_id)

print(json.dumps({
    "boto3": boto3.__version__,
    "botocore": botocore.__version__,
    "modelOperations": sorted(ra.meta.service_model.operation_names),
    "calls": calls,
    "checks": checks,
}))

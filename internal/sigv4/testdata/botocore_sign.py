"""Sign requests with botocore's SigV4Auth and print them as JSON.

Used by interop_botocore_test.go. Two sources of requests:

* "direct": botocore.auth.SigV4Auth.add_auth on a hand-built AWSRequest,
  as the AWS CLI v1 and boto3 do underneath;
* "client": a real botocore client (the AWS CLI's own code path) whose
  prepared request is captured in the before-send event, before it would
  go on the wire.

The signing clock is pinned to argv[2] (YYYYMMDDTHHMMSSZ) so the Go side can
check the time deterministically.

Usage: botocore_sign.py <host:port> <YYYYMMDDTHHMMSSZ>
Exit status 3 when botocore cannot be imported.
"""

import base64
import datetime
import json
import sys

try:
    import botocore.auth
    import botocore.session
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
except ImportError as e:  # the Go test skips on exit status 3
    print(f"botocore unavailable: {e}", file=sys.stderr)
    sys.exit(3)

HOST = sys.argv[1]
WHEN = datetime.datetime.strptime(sys.argv[2], "%Y%m%dT%H%M%SZ")
ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN=="

botocore.auth.get_current_datetime = lambda *a, **k: WHEN


def emit(out, name, service, req):
    body = req.body or b""
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers = []
    for k, v in req.headers.items():
        if isinstance(v, bytes):
            v = v.decode("utf-8")
        headers.append([k, v])
    out.append({
        "name": name,
        "service": service,
        "method": req.method,
        "url": req.url,
        "headers": headers,
        "body": base64.b64encode(body).decode("ascii"),
    })


def direct(out, name, service, method, path, body=None, headers=None, token=None):
    creds = Credentials(ACCESS_KEY, SECRET_KEY, token)
    req = AWSRequest(method=method, url=f"http://{HOST}{path}", data=body, headers=headers or {})
    botocore.auth.SigV4Auth(creds, service, "us-east-1").add_auth(req)
    emit(out, name, service, req.prepare())


class Captured(Exception):
    pass


def via_client(out, name, service, call, token=None):
    session = botocore.session.get_session()
    client = session.create_client(
        service,
        region_name="us-east-1",
        endpoint_url=f"http://{HOST}",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        aws_session_token=token,
    )

    def capture(request, **kwargs):
        emit(out, name, service, request)
        raise Captured()

    client.meta.events.register("before-send", capture)
    try:
        call(client)
    except Captured:
        return
    raise RuntimeError(f"{name}: request was not captured")


def main():
    out = []
    form = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    direct(out, "direct/sts form GetCallerIdentity", "sts", "POST", "/",
           body=b"Action=GetCallerIdentity&Version=2011-06-15", headers=form)
    direct(out, "direct/iam form with session token", "iam", "POST", "/",
           body=b"Action=ListRoles&Version=2010-05-08&PathPrefix=%2Fservice%2F", headers=form, token=TOKEN)
    direct(out, "direct/rolesanywhere rest-json GET with query", "rolesanywhere", "GET",
           "/ListTagsForResource?resourceArn=arn%3Aaws%3Arolesanywhere%3Aus-east-1%3A123456789012%3Atrust-anchor%2Fabc")
    direct(out, "direct/path needing escaping", "rolesanywhere", "GET",
           "/trustanchor/a%20b%2Bc%3Dd~e%C3%A9?b=2&a=1&a=0&flag")
    direct(out, "direct/rolesanywhere POST JSON", "rolesanywhere", "POST", "/trustanchors",
           body=b'{"name":"ta","source":{"sourceType":"CERTIFICATE_BUNDLE"}}',
           headers={"Content-Type": "application/json", "X-Custom": "  a   b  "})

    arn = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/aaaaaaaa-1111-2222-3333-444444444444"
    via_client(out, "client/sts get_caller_identity", "sts", lambda c: c.get_caller_identity())
    via_client(out, "client/iam list_roles with session token", "iam",
               lambda c: c.list_roles(PathPrefix="/service role/"), token=TOKEN)
    via_client(out, "client/rolesanywhere list_tags_for_resource", "rolesanywhere",
               lambda c: c.list_tags_for_resource(resourceArn=arn))
    via_client(out, "client/rolesanywhere create_profile", "rolesanywhere",
               lambda c: c.create_profile(name="p 1", roleArns=["arn:aws:iam::123456789012:role/R"]))
    via_client(out, "client/rolesanywhere update_profile (PATCH)", "rolesanywhere",
               lambda c: c.update_profile(profileId="bbbbbbbb-1111-2222-3333-444444444444", durationSeconds=900))
    via_client(out, "client/rolesanywhere delete_trust_anchor", "rolesanywhere",
               lambda c: c.delete_trust_anchor(trustAnchorId="aaaaaaaa-1111-2222-3333-444444444444"))
    json.dump(out, sys.stdout, indent=1)


main()

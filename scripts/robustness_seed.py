"""Seeds a fresh local gateway for scripts/check-robustness, so that every
path parameter schemathesis sends names something that exists: a group that
its admin (ann) runs with a second admin, an invite link, email invitations,
two pending requests, members, and ann's own membership, computers and
buckets; a managed member's bucket with a file and a built snapshot of it,
an upload of ann's waiting for its confirmation, and the group's report of
today, built. What an operation ends (revoking, removing, retiring, deleting,
rotating or disabling the link) gets a thing of its own, and the link and
dissolution operations a second group, so the others keep finding theirs.
Prints `NAME=value` lines for the schemathesis config (scripts/
schemathesis.toml reads them from the environment)."""
import json
import sys

import local_api

API, DATA_DIR, LOCAL = sys.argv[1], sys.argv[2], sys.argv[3]


def token(email):
    return local_api.token(LOCAL, DATA_DIR, email)


def call(method, path, token, body=None, want=(200,)):
    status, text = local_api.call(API, method, path, token, body)
    if status not in want:
        sys.exit(f"seeding: {method} {path} answered {status} (wanted {want}): {text[:300]}")
    return json.loads(text) if text else None


ann, bob = token("ann@initech.com"), token("bob@initech.com")
admin_id = call("GET", "/me", ann)["id"]
second_admin_id = call("GET", "/me", bob)["id"]
new_group = {"name": "Robustness", "products": ["computerBackup", "b2"], "managed": True}
gid = call("POST", "/groups", ann, new_group, want=(201,))["id"]
other_gid = call("POST", "/groups", ann, {**new_group, "name": "Robustness 2"}, want=(201,))["id"]
call("POST", f"/groups/{gid}/admins", ann, {"email": "bob@initech.com"}, want=(201,))
link = call("POST", f"/groups/{gid}/invite-link", ann, want=(201,))["token"]
call("POST", f"/groups/{other_gid}/invite-link", ann, want=(201,))
invited, revoked = "ivy@contoso.com", "ira@contoso.com"
call("POST", f"/groups/{gid}/invitations", ann, {"emails": [invited, revoked], "expiresInDays": 7})
join = {"acceptManagedAccess": True, "acceptVersionHistory": False, "region": "us-west"}
ids = {}
for who in ("cy", "dee", "eve", "fay", "hal"):
    t = token(f"{who}@contoso.com")
    ids[who] = call("GET", "/me", t)["id"]
    call("POST", f"/invitations/{link}/join", t, join, want=(202,))
for who in ("eve", "fay", "hal"):
    call("POST", f"/groups/{gid}/requests/{ids[who]}/approve", ann)
call("POST", f"/groups/{gid}/members", ann, {"region": "us-west"}, want=(201,))
check_in = {"name": "Ann's laptop", "os": "macOS 15", "clientVersion": "9.1.0",
            "lastBackupAt": "2026-11-27T08:00:00Z", "selectedBytes": 10**9, "filesRemaining": 3,
            "alerts": [{"kind": "lowDiskSpace", "since": "2026-11-26T00:00:00Z", "detail": "5 GB free"}]}
computer, retired = "laptop-1", "desk-2"
for c in (computer, retired):
    call("PUT", f"/me/computers/{c}", ann, check_in, want=(201,))
bucket, deleted = "ann-photos", "ann-old"
for b in (bucket, deleted):
    call("POST", "/me/buckets", ann, {"name": b}, want=(201,))

# Managed access: eve (a member who accepted it) has a bucket with a file,
# and ann a snapshot of it (built by the gateway's job loop); ann has an
# upload whose bytes are in S3, waiting for its confirmation.
import time
import urllib.request


def upload(token, bucket, path, data):
    handed = call("POST", f"/me/buckets/{bucket}/uploads", token,
                  {"path": path, "size": len(data)}, want=(201,))
    put = urllib.request.Request(handed["upload"]["url"], data=data, method="PUT",
                                 headers=handed["upload"]["headers"])
    urllib.request.urlopen(put).read()
    return handed["uploadId"]


eve = token("eve@contoso.com")
member_bucket = "eve-files"
call("POST", "/me/buckets", eve, {"name": member_bucket}, want=(201,))
done = upload(eve, member_bucket, "docs/plan.txt", b"the plan")
call("POST", f"/me/buckets/{member_bucket}/uploads/{done}/complete", eve)
snapshot = call("POST", f"/groups/{gid}/members/{ids['eve']}/snapshots", ann,
                {"bucket": member_bucket, "paths": ["docs/"]}, want=(202,))["id"]
for _ in range(100):
    if call("GET", f"/groups/{gid}/members/{ids['eve']}/snapshots/{snapshot}", ann)["state"] != "pending":
        break
    time.sleep(0.1)
pending_upload = upload(ann, bucket, "inbox/new.txt", b"new")
# And the group's User Stats report of today, built.
report = call("POST", f"/groups/{gid}/reports", ann, want=(202,))["period"]
for _ in range(100):
    if call("GET", f"/groups/{gid}/reports", ann)["items"][0]["state"] != "pending":
        break
    time.sleep(0.1)

# Who joins through the link (ann already belongs to the group), who adds
# themself (bob administers it without being a member) and who leaves (hal,
# a member, so that ann stays one): each succeeds once, then meets the rule
# that stops a second time.
joiner = token("gus@contoso.com")
call("GET", "/me", joiner)

for name, value in {
    "ROBUST_ADMIN_TOKEN": ann,
    "ROBUST_SECOND_ADMIN_TOKEN": bob,
    "ROBUST_JOINER_TOKEN": joiner,
    "ROBUST_LEAVER_TOKEN": token("hal@contoso.com"),
    "ROBUST_ADMIN_ID": admin_id,
    "ROBUST_SECOND_ADMIN_ID": second_admin_id,
    "ROBUST_GROUP_ID": gid,
    "ROBUST_OTHER_GROUP_ID": other_gid,
    "ROBUST_LINK_TOKEN": link,
    "ROBUST_INVITED_EMAIL": invited,
    "ROBUST_REVOKED_EMAIL": revoked,
    "ROBUST_REQUESTER_ID": ids["cy"],
    "ROBUST_SECOND_REQUESTER_ID": ids["dee"],
    "ROBUST_MEMBER_ID": ids["eve"],
    "ROBUST_REMOVED_MEMBER_ID": ids["fay"],
    "ROBUST_COMPUTER_ID": computer,
    "ROBUST_RETIRED_COMPUTER_ID": retired,
    "ROBUST_BUCKET_NAME": bucket,
    "ROBUST_DELETED_BUCKET_NAME": deleted,
    "ROBUST_MEMBER_BUCKET_NAME": member_bucket,
    "ROBUST_SNAPSHOT_ID": snapshot,
    "ROBUST_UPLOAD_ID": pending_upload,
    "ROBUST_REPORT_ID": report,
}.items():
    print(f"{name}={value}")

"""Calls every route of the running local gateway and validates each reply
(status and body) against infra/openapi.yaml, so the document cannot drift
from what the code returns. Run by scripts/check-openapi-responses."""
import json, sys, yaml, jsonschema
import local_api
API, DATA_DIR, LOCAL = sys.argv[1], sys.argv[2], sys.argv[3]
failures = []
def tok(e, provider=None): return local_api.token(LOCAL, DATA_DIR, e, provider)
def call(m,path,t=None,body=None): return local_api.call(API, m, path, t, body)
o=yaml.safe_load(open("infra/openapi.yaml"))
def check(method,template,path,t=None,body=None):
    status,text=call(method,path,t,body)
    op=o["paths"][template][method.lower()]
    resp=op["responses"].get(str(status))
    if resp is None:
        failures.append(f"{method} {template}: undocumented status {status}"); return text
    if "$ref" in resp: resp=o["components"]["responses"][resp["$ref"].split("/")[-1]]
    content=resp.get("content")
    if not content: print("ok",method,template,status,"(no body)"); return text
    schema=list(content.values())[0]["schema"]
    full={**schema,"components":o["components"]}
    try:
        jsonschema.validate(json.loads(text), full, cls=jsonschema.Draft202012Validator)
        print("ok",method,template,status)
    except jsonschema.ValidationError as e:
        failures.append(f"{method} {template} {status}: {e.message[:200]}")
    return text
a=tok("ann@initech.com"); b=tok("ben@contoso.com")
g=json.loads(check("POST","/groups","/groups",a,{"name":"V","products":["b2"],"managed":True}))["id"]
check("GET","/groups","/groups",a)
check("GET","/groups/{groupId}",f"/groups/{g}",a)
check("PATCH","/groups/{groupId}",f"/groups/{g}",a,{"sso":[]})
check("GET","/me","/me",b)
check("PATCH","/me","/me",b,{"backupSummaryEmails":False})
check("PATCH","/me","/me",tok("eli@contoso.com"),{"backupSummaryEmails":True})
check("POST","/groups/{groupId}/admins",f"/groups/{g}/admins",a,{"email":"ben@contoso.com"})
check("GET","/groups/{groupId}/invite-link",f"/groups/{g}/invite-link",a)
L=json.loads(check("POST","/groups/{groupId}/invite-link",f"/groups/{g}/invite-link",a))["token"]
check("POST","/groups/{groupId}/invitations",f"/groups/{g}/invitations",a,{"emails":["x@contoso.com","bad"]})
check("GET","/groups/{groupId}/invitations",f"/groups/{g}/invitations",a)
check("POST","/groups/{groupId}/invitations/{email}/resend",f"/groups/{g}/invitations/x@contoso.com/resend",a)
check("GET","/invitations/{token}",f"/invitations/{L}")
c=tok("cy@contoso.com")
check("POST","/invitations/{token}/join",f"/invitations/{L}/join",c,{"acceptManagedAccess":True,"region":"us-west"})
rq=json.loads(check("GET","/groups/{groupId}/requests",f"/groups/{g}/requests",a))["requests"][0]["accountId"]
check("POST","/groups/{groupId}/requests/{accountId}/approve",f"/groups/{g}/requests/{rq}/approve",a)
check("GET","/groups/{groupId}/members",f"/groups/{g}/members",a)
check("POST","/groups/{groupId}/members",f"/groups/{g}/members",a,{"region":"us-west"})
check("DELETE","/groups/{groupId}/members/{accountId}",f"/groups/{g}/members/{rq}",a)
check("DELETE","/groups/{groupId}/invitations/{email}",f"/groups/{g}/invitations/x@contoso.com",a)
check("DELETE","/groups/{groupId}/invite-link",f"/groups/{g}/invite-link",a)
# computers, buckets, the Users/Computers view and billing (ann is now a member of g)
ai=json.loads(check("GET","/me","/me",a))["id"]
k={"name":"Ann's laptop","os":"macOS 15","clientVersion":"9.1.0","selectedBytes":10**9,"filesRemaining":3,"alerts":[{"kind":"lowDiskSpace","since":"2026-01-01T00:00:00Z","detail":"5 GB free"}]}
check("PUT","/me/computers/{computerId}","/me/computers/laptop-1",a,k)
check("PUT","/me/computers/{computerId}","/me/computers/laptop-1",a,{**k,"lastBackupAt":"2026-01-02T00:00:00Z"})
check("PUT","/me/computers/{computerId}","/me/computers/desk_2",a,{**k,"alerts":[]})
check("GET","/me/computers","/me/computers?limit=1",a)
check("DELETE","/me/computers/{computerId}","/me/computers/desk_2",a)
check("POST","/me/buckets","/me/buckets",a,{"name":"ann-photos"})
check("POST","/me/buckets","/me/buckets",b,{"name":"Ann-Photos"})
check("GET","/me/buckets","/me/buckets",a)
check("DELETE","/me/buckets/{name}","/me/buckets/ann-photos",a)
check("GET","/groups/{groupId}/synopsis",f"/groups/{g}/synopsis",a)
check("GET","/groups/{groupId}/computers",f"/groups/{g}/computers?limit=1",a)
check("GET","/groups/{groupId}/members/{accountId}/computers/{computerId}",f"/groups/{g}/members/{ai}/computers/laptop-1",a)
check("GET","/groups/{groupId}/billing",f"/groups/{g}/billing",a)
check("PUT","/groups/{groupId}/billing/payment-method",f"/groups/{g}/billing/payment-method",a,{"reference":"pm_1NxYz2AbC","last4":"4242"})
check("GET","/groups/{groupId}/billing",f"/groups/{g}/billing",a)
# files and managed access: di joins g (managed, consenting), uploads a file,
# ann browses it, snapshots it (the gateway's job loop builds it), downloads
# and orders it; a contact change with a wrong password; the audit logs
import time, urllib.request
L2=json.loads(check("POST","/groups/{groupId}/invite-link",f"/groups/{g}/invite-link",a))["token"]
di=tok("di@contoso.com")
check("POST","/invitations/{token}/join",f"/invitations/{L2}/join",di,{"acceptManagedAccess":True,"region":"us-west"})
dq=json.loads(call("GET","/me",di)[1])["id"]
check("POST","/groups/{groupId}/requests/{accountId}/approve",f"/groups/{g}/requests/{dq}/approve",a)
check("POST","/me/buckets","/me/buckets",di,{"name":"di-files"})
up=json.loads(check("POST","/me/buckets/{name}/uploads","/me/buckets/di-files/uploads",di,{"path":"docs/a.txt","size":5}))
req=urllib.request.Request(up["upload"]["url"],data=b"hello",method="PUT",headers=up["upload"]["headers"])
urllib.request.urlopen(req).read()
check("POST","/me/buckets/{name}/uploads/{uploadId}/complete",f"/me/buckets/di-files/uploads/{up['uploadId']}/complete",di)
early=json.loads(check("POST","/me/buckets/{name}/uploads","/me/buckets/di-files/uploads",di,{"path":"docs/b.txt","size":3}))
check("POST","/me/buckets/{name}/uploads/{uploadId}/complete",f"/me/buckets/di-files/uploads/{early['uploadId']}/complete",di)
check("GET","/me/buckets/{name}/files","/me/buckets/di-files/files?prefix=docs/",di)
m=f"/groups/{g}/members/{dq}"
check("GET","/groups/{groupId}/members/{accountId}/buckets",f"{m}/buckets",a)
check("GET","/groups/{groupId}/members/{accountId}/buckets/{name}/files",f"{m}/buckets/di-files/files?limit=1",a)
check("GET","/groups/{groupId}/members/{accountId}/buckets",f"{m}/buckets",b and tok("zed@else.org"))
sn=json.loads(check("POST","/groups/{groupId}/members/{accountId}/snapshots",f"{m}/snapshots",a,{"bucket":"di-files","paths":["docs/"]}))["id"]
check("POST","/groups/{groupId}/members/{accountId}/snapshots/{snapshotId}/download",f"{m}/snapshots/{sn}/download",a)
for _ in range(100):
    if json.loads(call("GET",f"{m}/snapshots/{sn}",a)[1])["state"]!="pending": break
    time.sleep(0.1)
check("GET","/groups/{groupId}/members/{accountId}/snapshots/{snapshotId}",f"{m}/snapshots/{sn}",a)
check("GET","/groups/{groupId}/members/{accountId}/snapshots",f"{m}/snapshots",a)
check("POST","/groups/{groupId}/members/{accountId}/snapshots/{snapshotId}/download",f"{m}/snapshots/{sn}/download",a)
check("POST","/groups/{groupId}/members/{accountId}/snapshots/{snapshotId}/usb-orders",f"{m}/snapshots/{sn}/usb-orders",a,
      {"address":{"recipient":"Ann","lines":["1 Main St"],"city":"Austin","postalCode":"78701","country":"US"},"paymentReference":"pi_1"})
check("POST","/groups/{groupId}/members/{accountId}/account-changes",f"{m}/account-changes",a,{"currentPassword":"Not-Her-Password-1","newPassword":"Another-Password-2"})
check("POST","/groups/{groupId}/members/{accountId}/contact-verification",f"{m}/contact-verification",a,{"code":"123456"})
check("GET","/me/snapshots","/me/snapshots",di)
check("GET","/me/audit","/me/audit?limit=2",di)
check("GET","/groups/{groupId}/audit",f"/groups/{g}/audit",a)
check("DELETE","/me/buckets/{name}/files","/me/buckets/di-files/files?path=docs/a.txt",di)
check("DELETE","/me/buckets/{name}/files","/me/buckets/di-files/files?path=docs/a.txt",di)
# reports: asked for (twice: the same one while it is built), refused
# before it is built, built by the gateway's job loop, listed, downloaded
r=json.loads(check("POST","/groups/{groupId}/reports",f"/groups/{g}/reports",a))["period"]
check("POST","/groups/{groupId}/reports",f"/groups/{g}/reports",a)
check("POST","/groups/{groupId}/reports/{reportId}/download",f"/groups/{g}/reports/{r}/download",a)
for _ in range(100):
    if json.loads(call("GET",f"/groups/{g}/reports",a)[1])["items"][0]["state"]!="pending": break
    time.sleep(0.1)
check("GET","/groups/{groupId}/reports",f"/groups/{g}/reports",a)
check("POST","/groups/{groupId}/reports/{reportId}/download",f"/groups/{g}/reports/{r}/download",a)
check("POST","/groups/{groupId}/reports/{reportId}/download",f"/groups/{g}/reports/2026-13/download",a)
check("GET","/groups/{groupId}/reports",f"/groups/{g}/reports",c)
# errors
check("POST","/groups","/groups",a,{"name":"","products":[],"managed":True})
check("GET","/groups/{groupId}",f"/groups/{g}",tok("zed@else.org"))
check("GET","/invitations/{token}","/invitations/nope")
check("POST","/groups/{groupId}/requests/{accountId}/deny",f"/groups/{g}/requests/{rq}/deny",a)
check("GET","/groups/{groupId}/computers",f"/groups/{g}/computers?nextToken=forged",a)
check("DELETE","/me/computers/{computerId}","/me/computers/gone",a)
check("PATCH","/me","/me",b,{})
check("PATCH","/me","/me",b,{"backupSummaryEmails":"no"})
check("PUT","/groups/{groupId}/billing/payment-method",f"/groups/{g}/billing/payment-method",a,{"reference":"4242424242424242","last4":"4242"})
# automatically accepted domains: listed, not yet proven (409), a bad
# domain (400), its record published on the local DNS stand-in, verified
check("PATCH","/groups/{groupId}",f"/groups/{g}",a,{"joinPolicy":{"autoAcceptDomains":["initech.com"]}})
rec=json.loads(check("GET","/groups/{groupId}/domains",f"/groups/{g}/domains",a))["domains"][0]["record"]
check("POST","/groups/{groupId}/domains/{domain}/verify",f"/groups/{g}/domains/initech.com/verify",a)
check("POST","/groups/{groupId}/domains/{domain}/verify",f"/groups/{g}/domains/gmail.com/verify",a)
check("POST","/groups/{groupId}/domains/{domain}/verify",f"/groups/{g}/domains/initech.com/verify",b)
call("POST","/_local/dns",None,{"action":"set","name":rec["name"],"value":rec["value"]})
check("POST","/groups/{groupId}/domains/{domain}/verify",f"/groups/{g}/domains/initech.com/verify",a)
# single sign-on: a group only Google sessions may join or administer; a
# setting that would lock its sender out, a password admin and a password
# joiner refused, the preview naming the provider
sa=tok("sal@initech.com","google")
s=json.loads(check("POST","/groups","/groups",sa,{"name":"S","products":["b2"],"managed":False,"sso":["google"]}))["id"]
check("PATCH","/groups/{groupId}",f"/groups/{s}",sa,{"sso":["microsoft"]})
check("POST","/groups/{groupId}/admins",f"/groups/{s}/admins",sa,{"email":"ben@contoso.com"})
check("GET","/groups/{groupId}",f"/groups/{s}",b)
check("GET","/groups/{groupId}/members",f"/groups/{s}/members",b)
SL=json.loads(check("POST","/groups/{groupId}/invite-link",f"/groups/{s}/invite-link",sa))["token"]
check("GET","/invitations/{token}",f"/invitations/{SL}")
check("POST","/invitations/{token}/join",f"/invitations/{SL}/join",tok("pam@initech.com"),{"region":"us-west"})
check("POST","/invitations/{token}/join",f"/invitations/{SL}/join",tok("pam@initech.com","google"),{"region":"us-west"})
# dissolution last, on a group of its own: a wrong token, then the real confirmation
d=json.loads(check("POST","/groups","/groups",b,{"name":"D","products":["b2"],"managed":False}))["id"]
check("POST","/groups/{groupId}/dissolution",f"/groups/{d}/dissolution",b)
check("POST","/groups/{groupId}/dissolution/confirm",f"/groups/{d}/dissolution/confirm",b,{"confirmationToken":"forged"})
t=json.loads(check("POST","/groups/{groupId}/dissolution",f"/groups/{d}/dissolution",b))["confirmationToken"]
check("POST","/groups/{groupId}/dissolution/confirm",f"/groups/{d}/dissolution/confirm",b,{"confirmationToken":t})
check("POST","/groups/{groupId}/dissolution",f"/groups/{d}/dissolution",b)

for f in failures:
    print("MISMATCH", f)
print(f"openapi responses: {len(failures)} mismatches")
sys.exit(1 if failures else 0)

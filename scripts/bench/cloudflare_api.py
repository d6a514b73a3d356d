"""A loopback server answering in Cloudflare API v4 shapes for `scripts/bench-scan.sh` (no
Cloudflare emulator exists): ZONES zones with RECORDS proxied CNAME records each, pointing at
the estate's load balancers, so the scan's walk goes from the edge into AWS. Zone settings
answer with their defaults, phases without an entry point ruleset 404 with code 10003 (as the
API does), and every other list endpoint with an empty page. Records the requests it served
in REQUESTS.log (one path per line), so the bench can report them.

  python cloudflare_api.py PORT TARGETS_FILE   (TARGETS_FILE: one load balancer DNS name a line)
"""

import json
import re
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, TARGETS = int(sys.argv[1]), [l.strip() for l in open(sys.argv[2]) if l.strip()]
ZONES = 3
RECORDS = 110
ACCOUNT = "01a7362d577a6c3019a474fd6f485823"
API = "/client/v4"


def zone(i):
    return {
        "id": f"{i:032x}",
        "name": f"cf{i}.example.com",
        "status": "active",
        "paused": False,
        "type": "full",
        "account": {"id": ACCOUNT, "name": "Bench"},
        "plan": {"legacy_id": "pro", "name": "Pro Website"},
    }


ZONE_LIST = [zone(i) for i in range(ZONES)]
RECORD_LIST = {
    z["id"]: [
        {
            "id": f"{i:08x}{n:024x}",
            "zone_id": z["id"],
            "zone_name": z["name"],
            "name": f"w{n}.{z['name']}",
            "type": "CNAME",
            "content": TARGETS[n % len(TARGETS)],
            "proxied": True,
            "ttl": 1,
        }
        for n in range(RECORDS)
    ]
    for i, z in enumerate(ZONE_LIST)
}
SETTINGS = {"websockets": "on", "ssl": "full", "proxy_read_timeout": "100", "http2": "on"}


def page(items, query):
    per = int(query.get("per_page", ["50"])[0])
    n = int(query.get("page", ["1"])[0])
    chunk = items[(n - 1) * per : n * per]
    pages = max(1, (len(items) + per - 1) // per)
    info = {"page": n, "per_page": per, "count": len(chunk), "total_count": len(items), "total_pages": pages}
    return 200, {"success": True, "errors": [], "messages": [], "result": chunk, "result_info": info}


def ok(result):
    return 200, {"success": True, "errors": [], "messages": [], "result": result}


def answer(path, query):
    if path in (f"{API}/user/tokens/verify",) or re.fullmatch(f"{API}/accounts/[^/]+/tokens/verify", path):
        return ok({"id": "bench", "status": "active"})
    if path == f"{API}/zones":
        names = query.get("name")
        zones = [z for z in ZONE_LIST if not names or z["name"] == names[0]]
        return page(zones, query)
    m = re.fullmatch(f"{API}/zones/([0-9a-f]+)(/.*)?", path)
    if m:
        zid, rest = m.group(1), m.group(2) or ""
        if rest == "":
            z = [z for z in ZONE_LIST if z["id"] == zid]
            return ok(z[0]) if z else (404, {"success": False, "errors": [{"code": 1001, "message": "Invalid zone identifier"}], "messages": [], "result": None})
        if rest == "/dns_records":
            recs = RECORD_LIST.get(zid, [])
            if "name" in query:
                recs = [r for r in recs if r["name"] == query["name"][0]]
            if "name.endswith" in query:
                recs = [r for r in recs if r["name"].endswith(query["name.endswith"][0])]
            return page(recs, query)
        s = re.fullmatch("/settings/([a-z0-9_]+)", rest)
        if s:
            return ok({"id": s.group(1), "value": SETTINGS.get(s.group(1), "off"), "editable": True, "modified_on": None})
        if rest.startswith("/rulesets/phases/"):
            return 404, {"success": False, "errors": [{"code": 10003, "message": "could not find entrypoint ruleset"}], "messages": [], "result": None}
        if rest == "/argo/smart_routing":
            return ok({"id": "smart_routing", "value": "off", "editable": True})
    return page([], query)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        status, body = answer(u.path, urllib.parse.parse_qs(u.query))
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        with open("REQUESTS.log", "a") as f:
            f.write(u.path + "\n")

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()

#!/usr/bin/env python3
"""Drives Safety Net's GoPhish-compatible API with the real PyPI `gophish` client, as an
existing GoPhish script would. Used by tests/api/gophish.rs.

Usage:
    python gophish_client.py setup  --base URL --key KEY --smtp-port N --target EMAIL... --outsider EMAIL
    python gophish_client.py report --base URL --key KEY --campaign ID

`setup` first tries a group with an outsider in it (which must be refused), then creates a
group, a template, a landing page, a sending profile and a campaign. `report` reads the
campaign's summary, results and details back, then completes it. Each prints one line of JSON
on stdout; a client error prints {"error": message} and exits 1.
"""

import argparse
import base64
import json
import sys

from gophish import Gophish
from gophish.models import SMTP, Campaign, Error, Group, Page, Template, User


def setup(api, args):
    out = {}
    # Someone who is not the practice's staff in a verified domain is refused.
    try:
        api.groups.post(Group(name="Everyone", targets=[User(email=args.outsider, first_name="Out", last_name="Sider")]))
        out["outsider_refused"] = None
    except Error as e:
        out["outsider_refused"] = e.message

    targets = [User(first_name=t.split("@")[0].split(".")[0].title(), last_name="Staff", email=t, position="Receptionist")
               for t in args.target]
    group = api.groups.post(Group(name="Reception", targets=targets))
    out["group_id"] = group.id
    out["group_targets"] = sorted(t.email for t in group.targets)

    template = api.templates.post(Template(
        name="Password expiry",
        subject="Action needed, {{.FirstName}}",
        html="<html><body><p>Dear {{.FirstName}},</p><p>Your password expires today. "
             "<a href=\"{{.URL}}\">Keep my password</a></p>{{.Tracker}}</body></html>",
        text="Dear {{.FirstName}}, keep your password: {{.URL}}",
        # The client's Attachment model serialises empty, so scripts pass GoPhish's JSON shape.
        attachments=[{"name": "Password policy.html", "type": "text/html",
                      "content": base64.b64encode(b"<p>Dear {{.FirstName}}, read the new policy: "
                                                  b"<a href=\"{{.URL}}\">policy</a></p>").decode()}],
    ))
    out["template_id"] = template.id
    out["template_html"] = template.html
    fetched = api.templates.get(template_id=template.id)
    out["attachments"] = [[a.name, base64.b64decode(a.content).decode()] for a in fetched.attachments]
    # A macro-enabled file is refused, whatever a script sends.
    try:
        api.templates.post(Template(
            name="Complaint", subject="Complaint", html="<p><a href=\"{{.URL}}\">letter</a></p>",
            attachments=[{"name": "Complaint.docm", "type": "application/vnd.ms-word.document.macroEnabled.12",
                          "content": base64.b64encode(b"PK\x03\x04 word/vbaProject.bin").decode()}],
        ))
        out["docm_refused"] = None
    except Error as e:
        out["docm_refused"] = e.message

    page = api.pages.post(Page(
        name="NHSmail sign-in",
        html="<html><body><form method=\"post\"><input name=\"username\"><input type=\"password\" name=\"password\">"
             "<input type=\"submit\"></form></body></html>",
        capture_credentials=True,
        capture_passwords=True,
    ))
    out["page_id"] = page.id
    out["page_capture_passwords"] = page.capture_passwords

    smtp = api.smtp.post(SMTP(name="Test relay", host="127.0.0.1:%d" % args.smtp_port,
                              from_address="IT Service Desk <it@nhs-mail.example>"))
    out["smtp_id"] = smtp.id

    campaign = api.campaigns.post(Campaign(
        name="API exercise",
        groups=[Group(name="Reception")],
        page=Page(name="NHSmail sign-in"),
        template=Template(name="Password expiry"),
        smtp=SMTP(name="Test relay"),
        url="http://phish.example.org",
    ))
    out["campaign_id"] = campaign.id
    out["campaign_status"] = campaign.status
    out["campaign_results"] = len(campaign.results)
    out["lists"] = {
        "groups": [g.name for g in api.groups.get()],
        "templates": [t.name for t in api.templates.get()],
        "pages": [p.name for p in api.pages.get()],
        "smtp": [s.name for s in api.smtp.get()],
    }
    return out


def big(api, args):
    """A whole practice as one group, and an exercise sent from a bare address."""
    out = {}
    everyone = [User(first_name="Staff", last_name=str(i), email="staff%d@%s" % (i, args.domain), position="Staff")
                for i in range(1, args.size + 1)]
    group = api.groups.post(Group(name="Whole practice", targets=everyone))
    out["big_group_targets"] = len(group.targets)
    targets = [User(first_name="Team", last_name="Member", email=t, position="Receptionist") for t in args.target]
    api.groups.post(Group(name="Reception", targets=targets))
    api.templates.post(Template(
        name="Parcel", subject="Your parcel, {{.FirstName}}",
        html="<html><body><p><a href=\"{{.URL}}\">Track it</a></p></body></html>"))
    api.pages.post(Page(name="Tracking", html="<html><body><p>Tracking</p></body></html>"))
    # As most GoPhish users write it: a bare address, no name.
    api.smtp.post(SMTP(name="Bare relay", host="127.0.0.1:%d" % args.smtp_port,
                       from_address="it@nhs-mail.example"))
    campaign = api.campaigns.post(Campaign(
        name="Bare sender", groups=[Group(name="Reception")], page=Page(name="Tracking"),
        template=Template(name="Parcel"), smtp=SMTP(name="Bare relay"), url="http://phish.example.org"))
    out["campaign_results"] = len(campaign.results)
    return out


def report(api, args):
    cid = args.campaign
    summary = api.campaigns.summary(campaign_id=cid)
    results = api.campaigns.results(cid)
    summaries = api.campaigns.summary()
    campaign = api.campaigns.get(campaign_id=cid)
    out = {
        "stats": summary.stats.as_dict(),
        "status": summary.status,
        "results": sorted([r.email, r.status] for r in results.results),
        "timeline": [[t.email, t.message] for t in results.timeline],
        "details": [t.details for t in results.timeline if t.details],
        "total_campaigns": summaries.total,
        "campaign_template": campaign.template.name,
        "campaign_page": campaign.page.name,
        "campaign_smtp": campaign.smtp.name,
    }
    api.campaigns.complete(cid)
    out["status_after_complete"] = api.campaigns.summary(campaign_id=cid).status
    try:
        api.campaigns.get(campaign_id=999999)
        out["missing"] = None
    except Error as e:
        out["missing"] = e.message
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("step", choices=["setup", "report", "big"])
    p.add_argument("--base", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--smtp-port", type=int)
    p.add_argument("--target", action="append", default=[])
    p.add_argument("--outsider")
    p.add_argument("--campaign", type=int)
    p.add_argument("--domain")
    p.add_argument("--size", type=int, default=10000)
    args = p.parse_args()
    api = Gophish(args.key, host=args.base)
    try:
        out = {"setup": setup, "report": report, "big": big}[args.step](api, args)
    except Error as e:
        print(json.dumps({"error": e.message}))
        return 1
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The help-center topics of the fictional "Acme Cloud": what customers ask about each one, how
the assistant answers, which articles retrieval returns and which tool the assistant may call.

Templates use ``{placeholders}`` filled by :func:`openloop.demo._text.slots`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TOPICS", "TOPIC_BY_KEY", "Topic"]


@dataclass(frozen=True)
class Topic:
    """One support topic: tags put on its traces, question and answer templates, the help-center
    articles (title, snippet) retrieval returns, and the tool the assistant may call."""

    key: str
    tags: tuple[str, ...]
    weight: float
    questions: tuple[str, ...]
    answers: tuple[str, ...]
    docs: tuple[tuple[str, str], ...]
    tool: str | None = None
    tool_rate: float = 0.0


def _t(
    key: str,
    tags: tuple[str, ...],
    weight: float,
    questions: tuple[str, ...],
    answers: tuple[str, ...],
    docs: tuple[tuple[str, str], ...],
    tool: str | None = None,
    tool_rate: float = 0.0,
) -> Topic:
    return Topic(key, tags, weight, questions, answers, docs, tool, tool_rate)


TOPICS: tuple[Topic, ...] = (
    _t(
        "refunds",
        ("billing", "refund"),
        0.10,
        (
            "I was charged twice this month, how do I get a refund?",
            "Can I get a refund for the unused seats on my {plan} plan?",
            "We cancelled last week but were still billed {amount}. Can you refund it?",
            "How long does a refund take to show up on my card?",
            "Is it possible to get a prorated refund if I downgrade mid-cycle?",
            "My invoice {invoice} shows a duplicate charge of {amount}, please refund.",
            "what's your refund policy for annual plans?",
            "I upgraded by mistake. Can the charge of {amount} be refunded?",
        ),
        (
            "Refunds for duplicate charges are issued automatically within 5-10 business days once "
            "billing confirms the duplicate. I can see the charge on invoice {invoice}; if it does "
            "not appear within 10 days, reply here and we'll escalate.",
            "Annual plans can be refunded pro rata within 30 days of purchase. Unused seats are "
            "credited to your next invoice rather than refunded to the card.",
            "When you downgrade mid-cycle, the difference is applied as account credit, not a card "
            "refund. You can see the credit under Billing > Credits.",
        ),
        (
            (
                "Refund policy",
                "Annual subscriptions are refundable pro rata within 30 days. Monthly "
                "plans are not refunded; unused time becomes account credit.",
            ),
            (
                "Duplicate or failed charges",
                "If a payment was captured twice, the duplicate is "
                "refunded automatically within 5-10 business days.",
            ),
            (
                "Downgrading your plan",
                "Downgrades take effect immediately; the unused balance is "
                "applied as credit to your next invoice.",
            ),
        ),
        "lookup_account",
        0.55,
    ),
    _t(
        "invoices",
        ("billing",),
        0.08,
        (
            "Where can I download invoice {invoice}?",
            "How do I add our VAT number to invoices?",
            "Can you change the billing email to {name}@{workspace}.com?",
            "We need a PO number on every invoice. Is that possible?",
            "Why did our bill go up in {month}?",
            "how do I switch from credit card to paying by invoice / bank transfer",
        ),
        (
            "Invoices are under Settings > Billing > Invoices; each one can be downloaded as PDF. "
            "Tax IDs and PO numbers added there appear on all future invoices.",
            "Bills grow with usage: compute minutes and seats are metered. The Usage page breaks "
            "down {month} by project so you can see what changed.",
            "Paying by invoice (net 30) is available on the business and enterprise plans. Ask your "
            "account manager or open a ticket and we'll switch your billing method.",
        ),
        (
            (
                "Downloading invoices",
                "Every invoice is available as a PDF under Settings > Billing > "
                "Invoices for 7 years.",
            ),
            (
                "Tax IDs and PO numbers",
                "Add a VAT/GST number or purchase-order number under Billing "
                "details; it is printed on future invoices.",
            ),
            (
                "Understanding your bill",
                "Usage is metered per compute minute and per seat; the Usage "
                "page shows a per-project breakdown.",
            ),
        ),
        "lookup_account",
        0.35,
    ),
    _t(
        "plans",
        ("billing",),
        0.07,
        (
            "How do I upgrade from {plan} to business?",
            "What happens to my data if I downgrade to the free plan?",
            "Can I add {seats} more seats without changing plans?",
            "Is there a discount for nonprofits or startups?",
            "What's the difference between the team and business plans?",
        ),
        (
            "Upgrades take effect immediately from Settings > Plan; you are charged the prorated "
            "difference for the rest of the cycle. Seats can be added at any time.",
            "Downgrading keeps all your data, but features above the new plan's limits (SSO, audit "
            "logs, extra retention) are switched off.",
            "Nonprofits and early-stage startups get 50% off the team and business plans; apply "
            "from the pricing page with proof of status.",
            "The team plan includes up to 20 seats and 30-day retention; business adds SSO, audit "
            "logs, one-year retention and a 99.9% uptime SLA.",
        ),
        (
            (
                "Plans and pricing",
                "Free, Team, Business and Enterprise plans differ in seats, "
                "retention, SSO and support SLAs.",
            ),
            (
                "Adding seats",
                "Admins can add seats from Settings > Members; new seats are prorated.",
            ),
        ),
        "lookup_account",
        0.25,
    ),
    _t(
        "sso",
        ("sso", "security"),
        0.11,
        (
            "How do I set up SAML SSO with {idp}?",
            "SSO login fails with '{sso_error}'. What am I doing wrong?",
            "Can we enforce SSO for everyone in the {workspace} workspace?",
            "Does Acme Cloud support SCIM provisioning with {idp}?",
            "After enabling SSO our contractors can't log in anymore. Help?",
            "Our {idp} certificate rotates next week, what do we need to update for SSO?",
            "is OIDC supported or only SAML for single sign-on?",
        ),
        (
            "SAML SSO is configured under Settings > Security > SSO. Create an app in {idp}, paste "
            "the ACS URL and Entity ID from Acme Cloud, then upload the IdP metadata XML.",
            "'{sso_error}' usually means the IdP app settings and Acme Cloud disagree. Re-download "
            "the metadata from {idp}, check the Entity ID and that the user is assigned to the app.",
            "SCIM provisioning is available on the enterprise plan. Generate a SCIM token under "
            "Settings > Security and paste it into {idp}'s provisioning tab.",
        ),
        (
            (
                "Configuring SAML SSO",
                "Create a SAML app in your identity provider using the ACS URL "
                "and Entity ID shown under Settings > Security > SSO.",
            ),
            (
                "Troubleshooting SSO errors",
                "Signature and audience errors mean the IdP metadata is "
                "stale or the Entity ID does not match.",
            ),
            (
                "SCIM user provisioning",
                "Enterprise workspaces can provision and deprovision users "
                "automatically with a SCIM token.",
            ),
            (
                "Enforcing SSO",
                "When SSO is enforced, password logins are disabled except for break-glass admins.",
            ),
        ),
        "check_status",
        0.08,
    ),
    _t(
        "login",
        ("login", "account"),
        0.09,
        (
            "I forgot my password and the reset email never arrives.",
            "I lost my phone and can't pass two-factor authentication.",
            "My account is locked after too many login attempts.",
            "How do I turn on 2FA for my whole team?",
            "Login page keeps redirecting me back to the sign-in screen.",
            "I changed my email and now I can't log in as {name}.",
        ),
        (
            "Password reset emails come from no-reply@acme.cloud; check spam and any mail filters. "
            "Links expire after 60 minutes, so request a fresh one if it is older.",
            "If you lost your 2FA device, use one of your recovery codes. Without recovery codes a "
            "workspace admin can reset 2FA for you from Settings > Members.",
            "Accounts unlock automatically after 15 minutes. Clearing cookies fixes most redirect "
            "loops on the sign-in page.",
        ),
        (
            (
                "Resetting your password",
                "Reset links are sent from no-reply@acme.cloud and expire after 60 minutes.",
            ),
            (
                "Two-factor authentication",
                "Recovery codes are shown once when 2FA is enabled; admins "
                "can reset 2FA for members.",
            ),
            ("Locked accounts", "After 10 failed attempts an account is locked for 15 minutes."),
        ),
        "create_ticket",
        0.12,
    ),
    _t(
        "rate_limits",
        ("api", "rate-limit"),
        0.10,
        (
            "We keep getting HTTP 429 from {endpoint}. What are the API rate limits?",
            "What's the rate limit on the {plan} plan?",
            "How should we handle the Retry-After header when we hit rate limits?",
            "Can you raise our API rate limit for a data migration this weekend?",
            "Our API key gets {status_code} errors on {endpoint} since this morning.",
            "Are rate limits per API key or per workspace?",
        ),
        (
            "Rate limits are per workspace: 600 requests/minute on team, 3,000 on business and "
            "custom on enterprise. A 429 response includes Retry-After; wait that many seconds and "
            "retry with exponential backoff.",
            "Limits are applied per workspace across all API keys. For a one-off migration we can "
            "raise the limit temporarily; open a ticket with the dates and expected volume.",
        ),
        (
            (
                "API rate limits",
                "Limits are enforced per workspace; 429 responses include a "
                "Retry-After header in seconds.",
            ),
            (
                "Handling errors from the API",
                "Retry 429 and 5xx responses with exponential backoff and jitter.",
            ),
            ("API keys", "Keys are scoped to a workspace and can be rotated from Settings > API."),
        ),
        "check_status",
        0.15,
    ),
    _t(
        "export",
        ("export", "data"),
        0.08,
        (
            "How do I export all my job history as {format}?",
            "The data export for {workspace} has been stuck at 0% for an hour.",
            "Can I schedule a nightly export to our S3 bucket?",
            "Is there a size limit on {format} exports?",
            "How do I export audit logs for our compliance review?",
        ),
        (
            "Exports are started from Settings > Data > Export and delivered as {format} files. "
            "Large exports run in the background and you get an email with a download link.",
            "Scheduled exports to S3 or GCS are available on business and enterprise plans; add the "
            "bucket and an IAM role under Data > Destinations.",
        ),
        (
            (
                "Exporting your data",
                "Exports support CSV, JSON, NDJSON and Parquet and run in the "
                "background for large workspaces.",
            ),
            ("Scheduled exports", "Nightly exports can be delivered to S3 or GCS buckets."),
            ("Audit log export", "Audit logs can be exported for the last 400 days."),
        ),
    ),
    _t(
        "webhooks",
        ("webhooks", "api"),
        0.09,
        (
            "How do I verify the webhook signature?",
            "Our webhook endpoint was disabled after failures. How do I re-enable it?",
            "Webhooks stopped arriving at our endpoint around {time}.",
            "What's the retry policy for failed webhook deliveries?",
            "Can I receive webhooks for job.failed events only?",
            "The webhook payload for pipeline runs is missing the duration field.",
        ),
        (
            "Each webhook carries an Acme-Signature header: an HMAC-SHA256 of the raw body with your "
            "signing secret. Compute it on the raw bytes before parsing JSON and compare in "
            "constant time.",
            "Failed deliveries are retried 8 times over 24 hours. After that the endpoint is "
            "disabled; re-enable it under Settings > Webhooks and use Replay to resend events.",
            "You can subscribe to individual event types such as job.failed when you create or edit "
            "the webhook endpoint.",
        ),
        (
            (
                "Verifying webhook signatures",
                "Compute HMAC-SHA256 over the raw request body with the "
                "endpoint's signing secret and compare to Acme-Signature.",
            ),
            (
                "Webhook retries",
                "Deliveries are retried with backoff for 24 hours; endpoints failing "
                "for 24 hours are disabled.",
            ),
            (
                "Webhook event types",
                "Subscribe to job.*, pipeline.* or individual events per endpoint.",
            ),
        ),
        "check_status",
        0.30,
    ),
    _t(
        "integrations",
        ("integrations",),
        0.09,
        (
            "How do I connect Acme Cloud to {integration}?",
            "The {integration} integration stopped syncing yesterday.",
            "Can alerts go to a specific {integration} channel?",
            "We reinstalled the {integration} app and now get '{status_code}' errors.",
            "Is there a native {integration} integration or do I need Zapier?",
        ),
        (
            "Go to Settings > Integrations, choose {integration} and authorize the app. Alerts can "
            "then be routed per project to the channel or queue you pick.",
            "When {integration} stops syncing, the OAuth token usually expired. Disconnect and "
            "reconnect the integration; your routing rules are kept.",
        ),
        (
            (
                "Integrations overview",
                "Native integrations: Slack, GitHub, Jira, PagerDuty, "
                "Salesforce, HubSpot; everything else through Zapier or webhooks.",
            ),
            (
                "Reconnecting an integration",
                "Expired OAuth tokens stop syncs; reconnect from Settings > Integrations.",
            ),
        ),
        "check_status",
        0.10,
    ),
    _t(
        "deletion",
        ("account", "privacy"),
        0.06,
        (
            "How do I permanently delete my account and all data?",
            "Please delete all personal data for {name} under GDPR.",
            "Can I delete the {workspace} workspace but keep my user account?",
            "How long do you keep data after we close our account?",
        ),
        (
            "Workspace owners can delete a workspace from Settings > General > Delete workspace. "
            "Data is removed from backups within 30 days. I've opened a ticket so our privacy team "
            "can confirm the request.",
            "After closing an account, data is retained for 30 days so it can be restored, then "
            "permanently deleted, including backups.",
        ),
        (
            (
                "Deleting a workspace",
                "Owners can delete a workspace; data is purged from backups within 30 days.",
            ),
            ("Data retention", "Closed accounts are kept for 30 days, then permanently deleted."),
            (
                "GDPR requests",
                "Erasure and access requests are handled by the privacy team within 30 days.",
            ),
        ),
        "create_ticket",
        0.55,
    ),
    _t(
        "team",
        ("account", "permissions"),
        0.06,
        (
            "How do I invite {name} to our workspace with the {role} role?",
            "How can I transfer workspace ownership to another admin?",
            "What can someone with the {role} role see and do?",
            "Remove a user who left the company from all workspaces",
        ),
        (
            "Admins invite people from Settings > Members; pick the role when sending the invite. "
            "Ownership can be transferred by the current owner from the same page.",
            "The {role} role is described under Settings > Members > Roles; custom roles are "
            "available on the enterprise plan.",
            "To remove a user who left, open Settings > Members and choose Remove; their API keys "
            "are revoked and the resources they owned move to the workspace owner.",
        ),
        (
            ("Members and roles", "Roles: owner, admin, billing manager, developer, viewer."),
            (
                "Transferring ownership",
                "Only the current owner can transfer ownership to an admin.",
            ),
        ),
    ),
    _t(
        "status",
        ("status", "incident"),
        0.07,
        (
            "Is Acme Cloud down? Jobs are stuck in queued.",
            "The dashboard is really slow for us in {region}.",
            "We see {status_code} errors from {endpoint}, is there an incident?",
            "Pipelines in {region} have been failing since {time}.",
        ),
        (
            "There is an ongoing incident affecting job scheduling in {region}; engineering is "
            "working on it and updates are posted on status.acme.cloud.",
            "All systems are operational right now. If you still see errors, share a request id "
            "and we will look into your workspace specifically.",
        ),
        (
            (
                "Status page",
                "Live incidents and maintenance windows are posted on status.acme.cloud.",
            ),
            (
                "Debugging failed jobs",
                "Every API response has a request id; include it when contacting support.",
            ),
        ),
        "check_status",
        0.85,
    ),
)

TOPIC_BY_KEY = {t.key: t for t in TOPICS}

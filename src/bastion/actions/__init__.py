"""Actions on match: webhooks (through a persisted outbox) and review jobs, per bank; and
webhooks on conversation alerts and on reviewers' decisions.

Its tables (rules, the outbox) live with the others in
`bastion.store.models`. The credential box that seals webhook secrets is handed in, never
imported.
"""

from bastion.actions.delivery import WebhookDeliverer, encode_body
from bastion.actions.events import EVENT_TYPE, check_content, content_info, match_event
from bastion.actions.outbox import Outbox, OutboxItem, OutboxStatus
from bastion.actions.rules import ActionStore, Rule, RuleKind
from bastion.actions.webhook import sign, validate_webhook_url, verify_signature

__all__ = [
    "EVENT_TYPE",
    "ActionStore",
    "Outbox",
    "OutboxItem",
    "OutboxStatus",
    "Rule",
    "RuleKind",
    "WebhookDeliverer",
    "check_content",
    "content_info",
    "encode_body",
    "match_event",
    "sign",
    "validate_webhook_url",
    "verify_signature",
]

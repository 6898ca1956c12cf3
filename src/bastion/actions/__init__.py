"""Actions on match: webhooks (through a persisted outbox) and a review queue, per bank.

Its tables (rules, the outbox, review items) live with the others in
`bastion.store.models`. The credential box that seals webhook secrets is handed in, never
imported.
"""

from bastion.actions.delivery import WebhookDeliverer, encode_body
from bastion.actions.events import EVENT_TYPE, check_content, content_info, match_event
from bastion.actions.outbox import Outbox, OutboxItem, OutboxStatus
from bastion.actions.review import Decision, ReviewItem, ReviewQueue
from bastion.actions.rules import ActionStore, Rule, RuleKind
from bastion.actions.webhook import sign, validate_webhook_url, verify_signature

__all__ = [
    "EVENT_TYPE",
    "ActionStore",
    "Decision",
    "Outbox",
    "OutboxItem",
    "OutboxStatus",
    "ReviewItem",
    "ReviewQueue",
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

"""Actions on match: webhooks (through a persisted outbox) and a review queue, per bank.

Importing this package registers its tables with `bastion.store.models.Base`. Its modules
import at run time only `bastion.errors`, `bastion.validation`, `bastion.store.database` and
`models`, and `bastion.audit` (by module, as it imports the store), so the store may import
`bastion.actions.tables` without an import cycle. The credential box that seals webhook
secrets is handed in, never imported.
"""

from bastion.actions import tables
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
    "tables",
    "validate_webhook_url",
    "verify_signature",
]

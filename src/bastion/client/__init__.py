"""What an end-to-end encrypted app embeds (docs/private-matching.md).

Importable without the service's parts (no database, no web framework, no settings): it
needs numpy, Pillow, PyAV (videos), PyNaCl and the conversation detector's model.

- `signals_of`: hash media on the device (MD5, SHA-256, video MD5, PDQ).
- `PrivateChecker`: vouchers for an item, against the blinded tables the service publishes;
  the service reads nothing of an account's media until `t` of its items match.
- `commit`: franking, when sending a message; `ChatGuard`: the conversation detector on
  the device over the messages received, and a verifiable report of its evidence.
"""

from bastion.client.chat import Alert, ChatGuard, Delivery
from bastion.client.media import signals_of
from bastion.client.vouchers import PrivateChecker
from bastion.private.franking import commit
from bastion.private.voucher import Account

__all__ = ["Account", "Alert", "ChatGuard", "Delivery", "PrivateChecker", "commit", "signals_of"]

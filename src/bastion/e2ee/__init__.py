"""The service's side of detection under end-to-end encryption (docs/private-matching.md):

- `tables`: the blinded tables of the banks (exact, near), built once and then following
  the bank's change log, published whole or as the slots changed since a version;
- `vouchers`: vouchers received from devices: replays and quotas refused, each opened,
  and an account's payloads revealed once `t` of its items matched;
- `reports`: franked messages reported from encrypted chats, verified.
"""

from bastion.e2ee.reports import Excerpt, FrankedMessage, Franker
from bastion.e2ee.tables import PrivateTables, TableOptions
from bastion.e2ee.vouchers import QuotaExceededError, Revealed, StaleVoucherError, VoucherDesk

__all__ = [
    "Excerpt",
    "FrankedMessage",
    "Franker",
    "PrivateTables",
    "QuotaExceededError",
    "Revealed",
    "StaleVoucherError",
    "TableOptions",
    "VoucherDesk",
]

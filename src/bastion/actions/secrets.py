"""Webhook signing secrets at rest: sealed in the database, opened only to sign a delivery.

A signing secret lets whoever holds it forge events a receiver will act on, so it is kept
like an exchange's credentials: sealed by the deployment's credential box
(`bastion.exchange.secrets.CredentialBox`, keyed by the `secret_key` setting or the data
directory's ``secret.key``), which the composition root hands in. A copy of the database
alone, a backup or a dump, signs nothing.

After a rotation with a grace period the rule also keeps its previous secret, sealed, until
`previous_secret_until`; deliveries are signed with both until then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bastion.errors import BastionError, ConfigurationError
from bastion.store.models import ActionRuleRow

if TYPE_CHECKING:
    from bastion.exchange.secrets import CredentialBox

_FIELD = "secret"


def seal(box: CredentialBox, secret: str) -> str:
    """`secret` as the database keeps it."""
    return box.seal({_FIELD: secret})


def unseal(box: CredentialBox, token: str, *, rule_id: int) -> str:
    """The secret `seal` made `token` from; ConfigurationError when this box cannot read it."""
    try:
        return box.open(token, owner=f"webhook rule {rule_id}")[_FIELD]
    except (BastionError, KeyError):
        raise ConfigurationError(
            f"webhook rule {rule_id}: its signing secret cannot be read with this secret key "
            f"(was secret_key changed?); give it a new one: bastion action rotate-secret "
            f"{rule_id}"
        ) from None


@dataclass(frozen=True)
class StoredSecrets:
    """A webhook rule's signing secrets as its row holds them."""

    sealed: str | None
    previous_sealed: str | None
    previous_until: datetime | None
    #: A secret an older version stored in clear, not sealed yet (see migration 0012).
    clear: str | None

    @classmethod
    def of(cls, row: ActionRuleRow) -> StoredSecrets:
        return cls(
            row.sealed_secret, row.previous_sealed_secret, row.previous_secret_until,
            row.clear_secret,
        )  # fmt: skip

    def to_sign_with(self, box: CredentialBox, *, rule_id: int, now: datetime) -> list[str]:
        """The secrets a delivery made at `now` is signed with: the current one, then the
        previous one while its grace period lasts. ConfigurationError when unreadable."""
        if self.sealed is not None:
            current = unseal(box, self.sealed, rule_id=rule_id)
        elif self.clear is not None:
            current = self.clear
        else:
            raise ConfigurationError(
                f"webhook rule {rule_id} has no signing secret; give it one: "
                f"bastion action rotate-secret {rule_id}"
            )
        secrets = [current]
        previous, until = self.previous_sealed, self.previous_until
        if previous is not None and until is not None and now < until:
            secrets.append(unseal(box, previous, rule_id=rule_id))
        return secrets

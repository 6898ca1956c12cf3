"""`dhash_sample`: an exchange kind that hands over the dhash plugin's example hashes,
offline, as python-threatexchange's sample exchanges do for their signal types.

A bastion exchange-kind plugin: the entry point
``dhash_sample = "bastion_dhash_sample:DhashSampleExchange"`` in the group
``bastion.exchanges`` is all it takes for bastion to add, sync and list exchanges of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from bastion_dhash import DhashSignal

from bastion.errors import ValidationError
from bastion.exchange.api import Exchange, FetchPage, JsonObject, Record
from bastion.signals import Signal


class DhashSampleExchange(Exchange):
    kind: ClassVar[str] = "dhash_sample"
    description: ClassVar[str] = "The dhash plugin's example hashes, offline (for trying it)"
    #: Every fetch hands over the whole list: what it no longer holds is deleted.
    full_list: ClassVar[bool] = True

    @classmethod
    def check_config(cls, config: JsonObject) -> JsonObject:
        if config:
            raise ValidationError(f"dhash_sample: unknown settings {', '.join(sorted(config))}")
        return {}

    def fetch(self, checkpoint: JsonObject | None) -> Iterator[FetchPage]:
        examples = DhashSignal.examples()
        records = [
            Record(f"dhash-sample-{n}", (Signal(DhashSignal.name, value),), {"sample": n})
            for n, value in enumerate(examples, start=1)
        ]
        yield FetchPage(records, {"examples": len(records)})

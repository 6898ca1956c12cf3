"""Exchange kinds from other packages (entry point group `bastion.exchanges`): discovered
beside the built-in kinds, with every name checked unique and every entry point checked; the
test plugin package (tests/plugins/bastion-dhash, installed by `make test`) adds one that
syncs into a bank with no edit to bastion."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import ClassVar

import pytest

from bastion.banks import BankStore
from bastion.errors import ConfigurationError
from bastion.exchange.api import Exchange, FetchPage, JsonObject
from bastion.exchange.impl import BUILT_IN, ENTRY_POINT_GROUP, exchange_kinds, kinds_from
from bastion.exchange.secrets import CredentialBox
from bastion.exchange.store import ExchangeStore
from bastion.exchange.sync import Syncer
from bastion.settings import Settings
from bastion.signals import get_signal_type


class TinyExchange(Exchange):
    """A source with one page and no records: all an exchange kind needs to be one."""

    kind: ClassVar[str] = "tiny"
    description: ClassVar[str] = "an empty source, for tests"

    @classmethod
    def check_config(cls, config: JsonObject) -> JsonObject:
        return config

    def fetch(self, checkpoint: JsonObject | None) -> Iterator[FetchPage]:
        yield FetchPage([], {"done": True})


class NotAnExchange:
    kind = "odd"


def point(name: str, attribute: str) -> EntryPoint:
    return EntryPoint(name, f"{__name__}:{attribute}", ENTRY_POINT_GROUP)


def test_without_plugins_the_kinds_are_the_built_in_ones() -> None:
    kinds = kinds_from([])
    assert kinds == {cls.kind: cls for cls in BUILT_IN}
    assert {"local_file", "ncmec", "stop_ncii", "fb_threatexchange", "bastion"} <= set(kinds)


def test_a_registered_kind_is_discovered_and_works() -> None:
    kinds = kinds_from([point("tiny", "TinyExchange")])
    assert kinds["tiny"] is TinyExchange
    pages = list(kinds["tiny"]("t", {}).fetch(None))
    assert [(p.records, p.checkpoint) for p in pages] == [([], {"done": True})]


def test_installed_kinds_include_every_built_in_one() -> None:
    assert set(exchange_kinds()) >= {cls.kind for cls in BUILT_IN}


def test_the_test_plugin_kind_is_installed_and_syncs_into_a_bank(
    store: BankStore, settings: Settings, tmp_path: Path
) -> None:
    assert exchange_kinds()["dhash_sample"].__module__ == "bastion_dhash_sample"
    box = CredentialBox.for_settings("", tmp_path / "keys")
    exchanges = ExchangeStore(store.db, box, access=settings.exchange_access(operator=False))
    store.create_bank("samples")
    exchanges.add("dhash-samples", kind="dhash_sample", bank="samples", config={})
    result = Syncer(store, exchanges).sync("dhash-samples")
    assert (result.error, result.counts.added) == (None, 2)
    stored = [s for e in store.iter_entries("samples") for s in e.signals]
    assert sorted(s.value for s in stored) == sorted(get_signal_type("dhash").examples())
    assert {s.type for s in stored} == {"dhash"}


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ([point("ncmec", "TinyExchange")], "names kind 'tiny': register it as 'tiny'"),
        ([point("tiny", "TinyExchange")] * 2, "'tiny' is registered twice"),
        ([point("odd", "NotAnExchange")], "is not an Exchange subclass"),
        ([point("gone", "Missing")], "cannot be loaded"),
    ],
)
def test_a_clash_or_a_broken_entry_point_fails_with_a_clear_error(
    points: list[EntryPoint], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        kinds_from(points)


def test_a_plugin_cannot_replace_a_built_in_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(TinyExchange, "kind", "ncmec")
    with pytest.raises(ConfigurationError, match="'ncmec' is registered twice: by bastion"):
        kinds_from([point("ncmec", "TinyExchange")])

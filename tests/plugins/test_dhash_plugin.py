"""The signal-type plugin kept in tests/plugins/bastion-dhash (installed by `make test`):
through its entry point alone, with no edit to bastion, its `dhash` type hashes images,
is banked, matches edited copies, goes in and out of hash lists, is shared over federation
and answers HMA's routes. And two types of one name stop bastion at start, naming both."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from importlib.metadata import entry_points
from pathlib import Path

import httpx
import pytest
from PIL import Image

from bastion.auth import ApiKeyStore, Scope
from bastion.banks import BankStore, NewEntry
from bastion.errors import ConfigurationError
from bastion.samples import sample_pixels
from bastion.settings import Settings
from bastion.signals import ENTRY_POINT_GROUP, Signal, get_signal_type, signal_types
from bastion.store import Database
from tests.exchange.test_federation import (  # noqa: F401 (fixtures)
    Subscriber,
    partner_key,
    publisher,
    subscriber,
)
from tests.web.conftest import running_server


def picture(seed: int, *, logo: bool = False) -> bytes:
    image = Image.fromarray(sample_pixels(seed))
    if logo:  # a white square pasted in a corner
        image.paste(Image.new("RGB", (120, 120), (255, 255, 255)), (510, 10))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture
def with_dhash(settings: Settings) -> Settings:
    """Settings that compute the plugin's hash for images (installing it changes nothing
    until `image_signals` names it)."""
    return replace(settings, image_signals="pdq,dhash")


@pytest.fixture
def api(with_dhash: Settings, db: Database) -> Iterator[httpx.Client]:
    secret = ApiKeyStore(db).create("test", [Scope.ADMIN]).secret
    with (
        running_server(with_dhash) as url,
        httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {secret}"}, timeout=30
        ) as client,
    ):
        yield client


def signals_of(body: dict[str, object], key: str = "signals") -> dict[str, str]:
    listed = body[key]
    assert isinstance(listed, list)
    return {s["type"]: s["value"] for s in listed}


def test_the_entry_point_registers_the_type() -> None:
    [entry_point] = [e for e in entry_points(group=ENTRY_POINT_GROUP) if e.name == "dhash"]
    assert entry_point.dist is not None
    assert entry_point.dist.name == "bastion-dhash"
    dhash = get_signal_type("dhash")
    assert signal_types()["dhash"] is dhash is entry_point.load()
    assert list(signal_types())[-1] == "dhash"  # after the built-in types
    assert [dhash.normalize(v.upper()) for v in dhash.examples()] == dhash.examples()
    assert dhash.distance(*dhash.examples()) > dhash.default_threshold


def test_two_types_of_one_name_stop_start_up_naming_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second installed distribution whose entry point is also named `dhash`."""
    info = tmp_path / "bastion_other_dhash-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: bastion-other-dhash\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\nsame_name = bastion_dhash:DhashSignal\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    signal_types.cache_clear()
    try:
        with pytest.raises(ConfigurationError) as refused:
            signal_types()
    finally:
        monkeypatch.undo()
        signal_types.cache_clear()
    message = str(refused.value)
    assert "two signal types are named 'dhash'" in message
    assert "distribution bastion-dhash" in message
    assert "distribution bastion-other-dhash" in message
    assert "dhash" in signal_types()  # as installed again


def test_it_hashes_banks_and_matches_an_edited_copy(api: httpx.Client) -> None:
    hashed = api.post("/api/v1/hash", files={"file": ("a.jpg", picture(7), "image/jpeg")})
    assert hashed.status_code == 200, hashed.text
    assert list(signals_of(hashed.json())) == ["pdq", "md5", "sha256", "dhash"]

    assert api.post("/api/v1/banks", json={"name": "known"}).status_code == 201
    added = api.post(
        "/api/v1/banks/known/media", files={"file": ("k.jpg", picture(7), "image/jpeg")}
    )
    assert added.status_code == 201, added.text
    entry = added.json()
    banked = signals_of(entry)["dhash"]
    assert banked == signals_of(hashed.json())["dhash"]

    edited = picture(7, logo=True)
    edited_dhash = signals_of(
        api.post("/api/v1/hash", files={"file": ("e.jpg", edited, "image/jpeg")}).json()
    )["dhash"]
    assert edited_dhash != banked
    found = api.post("/api/v1/match", files={"file": ("e.jpg", edited, "image/jpeg")}).json()
    by_type = {m["signal_type"]: m for m in found["matches"]}
    assert by_type["dhash"]["entry_id"] == entry["id"]
    assert 0 < by_type["dhash"]["distance"] <= get_signal_type("dhash").default_threshold

    looked_up = api.post(
        "/api/v1/lookup", json={"signals": [{"type": "dhash", "value": edited_dhash}]}
    )
    assert looked_up.status_code == 200, looked_up.text
    [match] = looked_up.json()["matches"]
    assert (match["entry_id"], match["signal_type"]) == (entry["id"], "dhash")


@pytest.mark.parametrize("fmt", ["csv", "local_file"])
def test_hash_lists_carry_it_out_and_back_in(api: httpx.Client, fmt: str) -> None:
    value = get_signal_type("dhash").examples()[0]
    api.post("/api/v1/banks", json={"name": "src"})
    api.post("/api/v1/banks", json={"name": "copy"})
    added = api.post(
        "/api/v1/banks/src/entries", json={"signals": [{"type": "dhash", "value": value}]}
    )
    assert added.status_code == 201, added.text
    exported = api.get("/api/v1/banks/src/export", params={"format": fmt})
    assert exported.status_code == 200, exported.text
    assert value in exported.text
    imported = api.post(
        "/api/v1/banks/copy/import", files={"file": (f"list.{fmt}", exported.content)}
    ).json()
    assert (imported["accepted"], imported["rejected"]) == (1, 0)
    [entry] = api.get("/api/v1/banks/copy/entries").json()["entries"]
    assert signals_of(entry) == {"dhash": value}


def test_federation_shares_it(subscriber: Subscriber, store: BankStore) -> None:  # noqa: F811
    value = get_signal_type("dhash").examples()[1]
    [shared] = store.add_entries(
        "confirmed", [NewEntry(signals=(Signal("dhash", value),))], source="api"
    )
    subscriber.sync()
    assert subscriber.held()[str(shared)] == [Signal("dhash", value)]


def test_hma_routes_hash_and_find_it(api: httpx.Client) -> None:
    hashed = api.post("/h/hash", files={"photo": ("p.jpg", picture(9), "image/jpeg")})
    assert hashed.status_code == 200, hashed.text
    value = hashed.json()["dhash"]  # waits on the HMA routes looping over the registry
    assert (
        value
        == signals_of(
            api.post("/api/v1/hash", files={"file": ("p.jpg", picture(9), "image/jpeg")}).json()
        )["dhash"]
    )
    assert api.post("/c/banks", json={"name": "PLUGIN"}).status_code == 201
    added = api.post("/c/bank/PLUGIN/content", files={"photo": ("p.jpg", picture(9), "image/jpeg")})
    assert added.status_code == 200, added.text
    raw = api.get("/m/raw_lookup", params={"signal": value, "signal_type": "dhash"})
    assert raw.status_code == 200, raw.text
    assert raw.json()["matches"] == [added.json()["id"]]


def test_a_plugin_destination_takes_reports_through_the_same_state_machine(
    settings: Settings,
) -> None:
    """The test plugin's `drop_folder` destination, chosen in the profile: a reported
    decision's draft goes there step by step, is finished once, and is preserved."""
    from bastion.pipeline import Bastion
    from bastion.reporting.model import ReportStatus
    from bastion.reporting.sink import installed_sinks
    from bastion.review import ContentSubmission, Decision

    assert "drop_folder" in installed_sinks()
    known = picture(3)
    bastion = Bastion(settings)
    try:
        bastion.store.create_bank("known")
        bastion.add_to_bank("known", known, "known.jpg")
        bastion.actions.add_review("known")
        bastion.reporting.update_profile(
            "test", destination="drop_folder", reporter_email="reports@example.org"
        )
        submitted = bastion.review.submit(ContentSubmission(platform_id="p", user_id="u"), known)
        decided = bastion.review.decide(submitted.jobs[0].id, "user:ada", Decision.REPORTED)
        assert decided.report_id is not None
        report = bastion.reporting.request(decided.report_id, "user:ada")
        assert report.sink == "drop_folder"
        bastion.reporting.send_due("w")
        done = bastion.reporting.store.get(report.id)
        assert done.status is ReportStatus.FINISHED, done.error
        folder = settings.data_dir / "destinations" / "drop_folder" / str(done.remote_id)
        assert (folder / "DONE").exists()
        [file] = done.files
        assert (folder / f"file-{file.id}").read_bytes() == known
        assert bastion.vault.get(file.evidence_id).reported
        assert set(done.extra["preserved_documents"]) == {"report.json"}
    finally:
        bastion.close()

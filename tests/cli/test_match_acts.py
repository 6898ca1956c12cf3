"""`bastion match` and `bastion lookup` act as the API does: the matched bank's webhook is
delivered (to a real receiver on 127.0.0.1) before the command exits, its review items are
queued; `--dry-run` only reports."""

from __future__ import annotations

import json
from pathlib import Path

from bastion.actions import Outbox, verify_signature
from bastion.review import ReviewDesk
from bastion.samples import write_samples
from bastion.settings import Settings
from bastion.store import Database
from tests.actions.conftest import Receiver, receiver  # noqa: F401 (fixture)
from tests.cli.conftest import CliRunner


def test_match_runs_the_banks_webhook_and_dry_run_does_not(
    cli: CliRunner,
    tmp_path: Path,
    settings: Settings,
    receiver: Receiver,  # noqa: F811
) -> None:
    (image,) = write_samples(tmp_path / "images", [3])
    assert cli("bank", "create", "known").code == 0
    assert cli("bank", "add", "known", image).code == 0
    added = cli("action", "add-webhook", "known", receiver.url)
    assert added.code == 0, added.err
    secret = added.out.strip()

    dry = cli("match", "--dry-run", "--json", image)
    assert dry.code == 0, dry.err
    (document,) = json.loads(dry.out)
    assert {m["bank"] for m in document["matches"]} == {"known"}
    assert dry.err == ""
    db = Database.open(settings.database_url)
    try:
        assert Outbox(db).counts().get("pending", 0) == 0
        assert receiver.requests == []

        run = cli("match", image)
        assert run.code == 0, run.err
        assert f"{image}: MATCH" in run.out
        assert run.err.strip() == (
            "queued 1 action(s) of the matched banks (webhooks, review items); "
            "delivered 1 webhook(s)"
        )
        (delivered,) = receiver.requests  # before the command returned
        assert verify_signature(
            secret,
            delivered.headers["x-bastion-timestamp"],
            delivered.body,
            delivered.headers["x-bastion-signature"],
        )
        payload = delivered.json()
        assert (payload["bank"], payload["distance"], payload["content"]["name"]) == (
            "known", 0, str(image)
        )  # fmt: skip
        assert Outbox(db).counts().get("delivered") == 1
    finally:
        db.close()


def test_lookup_queues_the_review_and_dry_run_does_not(
    cli: CliRunner, tmp_path: Path, settings: Settings
) -> None:
    md5 = "0123456789abcdef0123456789abcdef"
    listing = tmp_path / "list.txt"
    listing.write_text(f"md5 {md5}\n")
    assert cli("bank", "create", "known").code == 0
    assert cli("bank", "import", "known", listing).code == 0
    assert cli("action", "add-review", "known").code == 0
    db = Database.open(settings.database_url)
    try:
        dry = cli("lookup", "--dry-run", "md5", md5)
        assert (dry.code, dry.err) == (0, "")
        assert ReviewDesk(db).jobs() == []
        run = cli("lookup", "md5", md5)
        assert run.code == 0
        assert run.err.strip() == (
            "queued 1 action(s) of the matched banks (webhooks, review items); "
            "delivered 0 webhook(s)"
        )
        (item,) = ReviewDesk(db).jobs()
        assert (item.bank, item.signal_type) == ("known", "md5")
        assert cli("lookup", "md5", "f" * 32).err == ""  # no match: nothing to say
    finally:
        db.close()

"""Private matching and franked reports through the service's HTTP API: behind keys with
the `private` scope, the same answer whether vouchers matched, replays, malformed input and
quotas refused with clear problems, and a franked report verified into the review queue."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Iterator

import httpx
import pytest
from sqlalchemy import select

from bastion.auth import Scope
from bastion.banks import NewEntry
from bastion.client import Account, ChatGuard, Delivery, PrivateChecker, commit
from bastion.pipeline import Bastion
from bastion.settings import Settings
from bastion.signals import Signal
from bastion.store.models import JobRow
from tests.conversations.test_assess import GROOMING
from tests.web.conftest import running_server

BANK = [secrets.token_hex(16) for _ in range(5)]


@pytest.fixture
def service(settings: Settings) -> Iterator[tuple[Settings, Bastion]]:
    tuned = settings.with_overrides(private_threshold=2, private_voucher_quota=30)
    b = Bastion(tuned)
    b.store.create_bank("known")
    b.actions.add_review("known")
    b.store.add_entries(
        "known", [NewEntry(signals=(Signal("md5", v),)) for v in BANK], source="test"
    )
    yield tuned, b
    b.close()


@pytest.fixture
def api(service: tuple[Settings, Bastion], make_key: Callable[..., str]) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {make_key(Scope.PRIVATE)}"}
    with running_server(service[0]) as url, httpx.Client(base_url=url, headers=headers) as c:
        yield c


def jobs(bastion: Bastion) -> list[JobRow]:
    with bastion.db.session() as s:
        return list(s.scalars(select(JobRow).order_by(JobRow.id)))


def test_routes_need_the_private_scope(api: httpx.Client, make_key: Callable[..., str]) -> None:
    other = {"Authorization": f"Bearer {make_key(Scope.MATCH)}"}
    for method, path, body in (
        ("GET", "/api/v1/private/tables/exact", None),
        ("POST", "/api/v1/private/vouchers", {"account": "a", "vouchers": ["AAAA"]}),
        ("POST", "/api/v1/franking/tags", {"commitment": "", "sender": "a", "recipient": "b"}),
    ):
        assert api.request(method, path, json=body, headers=other).status_code == 403
        assert (
            api.request(method, path, json=body, headers={"Authorization": ""}).status_code == 401
        )


def test_vouchers_through_the_api(api: httpx.Client, service: tuple[Settings, Bastion]) -> None:
    bastion = service[1]
    device = PrivateChecker(Account.new("alice"))
    table = api.get("/api/v1/private/tables/exact")
    assert table.status_code == 200, table.text
    device.take(table.json())
    again = api.get("/api/v1/private/tables/exact", params={"since": device.version("exact")})
    assert again.json()["changes"] == ""
    assert api.get("/api/v1/private/tables/near").status_code == 404  # off by default

    def send(value: str, content: str) -> httpx.Response:
        body = {"account": "alice", "vouchers": device.vouchers({"md5": value}, content)}
        return api.post("/api/v1/private/vouchers", json=body)

    miss, hit = send(secrets.token_hex(16), "x"), send(BANK[0], "p1")
    assert miss.status_code == hit.status_code == 202
    assert miss.content == hit.content == b'{"accepted":1}'  # nothing said of matches
    assert jobs(bastion) == []
    assert send(BANK[1], "p2").status_code == 202  # the threshold (2) is reached
    assert sorted(j.evidence["content"]["content_id"] for j in jobs(bastion)) == ["p1", "p2"]
    assert all(j.evidence["content"]["private"] is True for j in jobs(bastion))

    voucher = device.vouchers({"md5": BANK[2]}, "p3")
    body = {"account": "alice", "vouchers": voucher}
    assert api.post("/api/v1/private/vouchers", json=body).status_code == 202
    replay = api.post("/api/v1/private/vouchers", json=body)
    assert replay.status_code == 409
    assert replay.json()["type"] == "/problems/replayed-voucher"
    for bad, code in (
        (["%%%"], "validation"),
        ([base64.b64encode(b"BV\x01" + bytes(60)).decode()], "malformed-voucher"),
    ):
        answer = api.post("/api/v1/private/vouchers", json={"account": "alice", "vouchers": bad})
        assert answer.status_code == 400, answer.text
        assert answer.json()["type"] == f"/problems/{code}"
    point = bytearray(base64.b64decode(voucher[0]))
    point[47:79] = b"\xff" * 32
    bad_point = {"account": "alice", "vouchers": [base64.b64encode(point).decode()]}
    answer = api.post("/api/v1/private/vouchers", json=bad_point)
    assert answer.status_code == 400
    assert answer.json()["type"] == "/problems/malformed-point"
    assert (
        api.post("/api/v1/private/vouchers", json={"account": "", "vouchers": []}).status_code
        == 422
    )


def test_a_probing_account_meets_its_quota(api: httpx.Client) -> None:
    device = PrivateChecker(Account.new("mallory"))
    device.take(api.get("/api/v1/private/tables/exact").json())
    for _ in range(3):
        batch = [device.vouchers({"md5": secrets.token_hex(16)})[0] for _ in range(10)]
        answer = api.post(
            "/api/v1/private/vouchers", json={"account": "mallory", "vouchers": batch}
        )
        assert answer.status_code == 202
    answer = api.post(
        "/api/v1/private/vouchers", json={"account": "mallory", "vouchers": batch[:1]}
    )
    assert answer.status_code == 429
    assert answer.json()["type"] == "/problems/quota-exceeded"


def deliver(api: httpx.Client, text: str, sender: str, recipient: str) -> Delivery:
    """What a messenger does per message: the sender's app commits, the service tags."""
    key, committed = commit(text.encode())
    answer = api.post(
        "/api/v1/franking/tags",
        json={
            "commitment": base64.b64encode(committed).decode(),
            "sender": sender,
            "recipient": recipient,
        },
    )
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    return Delivery(
        text, key, committed, base64.b64decode(doc["tag"]), sender, recipient, doc["sent_at"]
    )


def test_a_franked_report_from_the_devices_detector_enters_the_review_queue(
    api: httpx.Client, service: tuple[Settings, Bastion]
) -> None:
    bastion = service[1]
    guard = ChatGuard("kid")
    alert = None
    for sender, text in GROOMING:
        if sender == "kid":
            guard.sent(text)
            continue
        alert = alert or guard.receive(deliver(api, text, sender, "kid"))
    assert alert is not None
    assert alert.level == "high"
    assert alert.evidence
    report = guard.report("they asked me to keep secrets", conversation="chat-1")
    assert all(m["sender"] != "kid" for m in report["messages"])
    answer = api.post("/api/v1/franking/reports", json=report)
    assert answer.status_code == 201, answer.text
    (job,) = jobs(bastion)
    assert job.id == answer.json()["job"]
    assert job.kind == "user_report"
    assert job.evidence["report"]["verified"] is True
    assert {m["text"] for m in job.evidence["messages"]} == {
        m["message"] for m in report["messages"]
    }
    assert job.evidence["excerpts"]

    for tamper in (
        lambda r: r["messages"][0].update(message=r["messages"][0]["message"] + "!"),
        lambda r: r["messages"][0].update(sender="someone-else"),
        lambda r: r["messages"][0].update(sent_at=r["messages"][0]["sent_at"] + 1),
        lambda r: r.update(reporter="not-the-recipient"),
        lambda r: r["excerpts"].append({"message": 0, "excerpt": "words never sent"}),
    ):
        forged = {
            **report,
            "messages": [dict(m) for m in report["messages"]],
            "excerpts": list(report["excerpts"]),
        }
        tamper(forged)
        answer = api.post("/api/v1/franking/reports", json=forged)
        assert answer.status_code == 400, answer.text
        assert answer.json()["type"] == "/problems/franking"
    assert len(jobs(bastion)) == 1
    short = api.post(
        "/api/v1/franking/tags", json={"commitment": "AAAA", "sender": "a", "recipient": "b"}
    )
    assert short.status_code == 400

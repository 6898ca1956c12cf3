"""Exchanges read only what they are meant to: files in the configured folder and never
bastion's own (its database and keys), URLs only at addresses media fetches may reach, each
checked when the exchange is added and again when it reads; and no error quotes a file."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from bastion.banks import BankStore
from bastion.errors import ConfigurationError, ValidationError
from bastion.exchange.access import FileAccess, SourceAccess
from bastion.exchange.guard import GuardedTransport
from bastion.exchange.secrets import CredentialBox
from bastion.exchange.store import ExchangeStore
from bastion.exchange.sync import Syncer
from bastion.media.fetch import FetchError, FetchPolicy
from bastion.settings import Settings
from bastion.signals import Md5Signal
from bastion.store import Database

MD5 = Md5Signal.examples()


def listing(*values: str) -> str:
    return "".join(f"md5 {v}\n" for v in values)


@pytest.fixture
def keys(settings: Settings) -> dict[str, bytes]:
    """The service's own secrets, made where it makes them: in the data directory."""
    settings.credential_box()
    settings.signing_key()
    return {
        name: (settings.data_dir / name).read_bytes() for name in ("secret.key", "federation.key")
    }


@pytest.fixture
def lists(tmp_path: Path) -> Path:
    """A folder of hash lists, beside the data directory (tmp_path/data)."""
    folder = tmp_path / "lists"
    folder.mkdir()
    (folder / "partner.txt").write_text(listing(MD5[0]))
    return folder


def door(db: Database, settings: Settings, *, operator: bool, **overrides: Any) -> ExchangeStore:
    """The exchanges as one door sees them: the API's (operator=False) or the command line's."""
    settings = settings.with_overrides(**overrides)
    return ExchangeStore(
        db, settings.credential_box(), access=settings.exchange_access(operator=operator)
    )


def add_file(exchanges: ExchangeStore, filename: str, **config: Any) -> None:
    exchanges.add("f", kind="local_file", bank="shared", config={"filename": filename, **config})


def values(store: BankStore) -> set[str]:
    return {s.value for e in store.iter_entries("shared") for s in e.signals}


def test_the_api_takes_no_file_source_unless_a_folder_is_configured(
    db: Database, settings: Settings, store: BankStore, keys: dict[str, bytes], lists: Path
) -> None:
    store.create_bank("shared")
    api = door(db, settings, operator=False)
    for filename in (settings.data_dir / "secret.key", lists / "partner.txt"):
        with pytest.raises(
            ValidationError, match="not accepted here unless the exchange_files_dir"
        ):
            add_file(api, str(filename), format="local_file", signal_type="photodna")
    assert api.list() == []
    in_folder = door(db, settings, operator=False, exchange_files_dir=str(lists))
    add_file(in_folder, str(lists / "partner.txt"))
    assert Syncer(store, in_folder).sync("f").error is None
    assert values(store) == {MD5[0]}


@pytest.mark.parametrize("operator", [False, True], ids=["api", "command line"])
def test_nothing_in_the_data_directory_is_read_whoever_adds_it(
    db: Database,
    settings: Settings,
    store: BankStore,
    keys: dict[str, bytes],
    tmp_path: Path,
    lists: Path,
    operator: bool,
) -> None:
    store.create_bank("shared")
    (lists / "key-link.txt").symlink_to(settings.data_dir / "secret.key")
    data = settings.data_dir
    # The folder holds the data directory (tmp_path holds both): the data still wins.
    for exchanges in (
        door(db, settings, operator=operator, exchange_files_dir=str(tmp_path)),
        *([door(db, settings, operator=True)] if operator else []),
    ):
        for filename in (
            data / "secret.key",
            data / "federation.key",
            data / "bastion.db",
            lists / ".." / "data" / "secret.key",
            lists / "key-link.txt",
        ):
            with pytest.raises(ValidationError, match="in bastion's own data") as info:
                add_file(exchanges, str(filename), format="local_file", signal_type="photodna")
            assert str(filename) in info.value.message
            assert str(data / "secret.key") not in info.value.message.replace(str(filename), "")
        assert exchanges.list() == []


def test_a_file_swapped_after_it_was_added_is_checked_again_when_read(
    db: Database, settings: Settings, store: BankStore, keys: dict[str, bytes], lists: Path
) -> None:
    store.create_bank("shared")
    exchanges = door(db, settings, operator=False, exchange_files_dir=str(lists))
    syncer = Syncer(store, exchanges)
    target = lists / "partner.txt"
    add_file(exchanges, str(target), format="local_file", signal_type="photodna")
    assert syncer.sync("f").error is None
    target.unlink()
    target.symlink_to(settings.data_dir / "secret.key")
    failed = syncer.sync("f")
    assert failed.error == f"f: {target} is in bastion's own data, which exchanges never read"
    outside = lists.parent / "elsewhere.txt"
    outside.write_text(listing(MD5[1]))
    target.unlink()
    target.symlink_to(outside)
    assert syncer.sync("f").error == f"f: {target} is outside exchange_files_dir"
    assert values(store) == {MD5[0]}  # what the first sync read, and nothing since
    secret = keys["secret.key"].decode().strip()
    assert all(secret not in v for v in values(store))


def test_names_inside_the_folder_and_what_is_not_a_regular_file(
    db: Database, settings: Settings, store: BankStore, lists: Path
) -> None:
    store.create_bank("shared")
    exchanges = door(db, settings, operator=False, exchange_files_dir=str(lists))
    add_file(exchanges, "partner.txt")  # relative: inside the folder
    assert exchanges.get("f").config["filename"] == "partner.txt"
    syncer = Syncer(store, exchanges)
    assert syncer.sync("f").error is None
    assert values(store) == {MD5[0]}
    os.mkfifo(lists / "pipe")  # opening a FIFO for reading waits for a writer, forever
    exchanges.add("pipe", kind="local_file", bank="shared", config={"filename": "pipe"})
    assert syncer.sync("pipe").error == "pipe: pipe is not a regular file"
    with pytest.raises(ValidationError, match="outside exchange_files_dir"):
        add_file(exchanges, "../outside.txt")
    (lists / "loop").symlink_to(lists / "loop")
    with pytest.raises(ValidationError, match=r"^local_file: filename: loop: Too many levels"):
        add_file(exchanges, "loop")
    with pytest.raises(ValidationError, match="no such home directory"):
        add_file(exchanges, "~no-such-user-here/list.txt")
    (lists / "partner.txt").unlink()
    (lists / "partner.txt").symlink_to(lists / "partner.txt")  # a loop, after it was added
    assert syncer.sync("f").error == "f: cannot read partner.txt: Too many levels of symbolic links"


def test_the_command_line_names_files_by_absolute_path(
    db: Database,
    settings: Settings,
    store: BankStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store.create_bank("shared")
    (tmp_path / "here.txt").write_text(listing(MD5[1]))
    monkeypatch.chdir(tmp_path)
    exchanges = door(db, settings, operator=True)
    add_file(exchanges, "here.txt")
    assert exchanges.get("f").config["filename"] == str(tmp_path / "here.txt")
    monkeypatch.chdir(settings.data_dir)  # a worker started elsewhere reads the same file
    assert Syncer(store, exchanges).sync("f").error is None
    assert values(store) == {MD5[1]}


def test_errors_never_quote_what_a_file_holds(
    db: Database, settings: Settings, store: BankStore, lists: Path
) -> None:
    store.create_bank("shared")
    exchanges = door(db, settings, operator=False, exchange_files_dir=str(lists))
    syncer = Syncer(store, exchanges)
    secret = "s3cret-token-value"
    (lists / "config.ini").write_text(f"{secret},password=hunter2\n")
    (lists / "binary.dat").write_bytes(secret.encode() + b"\n\xff\xfe\x00" + secret.encode())
    for number, (name, fmt, expected) in enumerate(
        (
            ("config.ini", "csv", "looks like CSV but the header lacks the columns signal_type"),
            ("config.ini", "auto", "looks like CSV but the header lacks the columns signal_type"),
            ("binary.dat", "local_file", "is not UTF-8 text (invalid start byte)"),
        )
    ):
        config = {"filename": name, "format": fmt}
        exchanges.add(f"x{number}", kind="local_file", bank="shared", config=config)
        error = syncer.sync(f"x{number}").error
        assert error is not None
        assert expected in error
        assert secret not in error
        assert "hunter2" not in error
    assert values(store) == set()


@contextmanager
def serving(routes: dict[str, tuple[int, dict[str, str], bytes]]) -> Iterator[tuple[str, list]]:
    """A plain HTTP server on 127.0.0.1: each path answers (status, headers, body); yields
    its base URL and the (path, Host header) of every request."""
    seen: list[tuple[str, str | None]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append((self.path, self.headers.get("Host")))
            status, headers, body = routes.get(self.path, (404, {}, b""))
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_url_sources_reach_only_addresses_media_fetches_may(
    db: Database, settings: Settings, store: BankStore
) -> None:
    store.create_bank("shared")
    body = listing(MD5[0]).encode()
    routes = {"/list.txt": (200, {}, body)}
    with serving(routes) as (base, seen):
        port = base.rpartition(":")[2]
        routes["/moved"] = (302, {"Location": f"http://127.0.0.2:{port}/list.txt"}, b"")
        api = door(db, settings, operator=False)
        for kind, config in (
            ("local_file", {"url": f"{base}/list.txt"}),
            ("local_file", {"url": "http://169.254.169.254/latest/meta-data/"}),
            ("ncmec", {"base_url": "http://10.0.0.1/v2"}),
            ("stop_ncii", {"base_url": "https://[::1]:8443/"}),
        ):
            with pytest.raises(ValidationError, match="not a public address") as info:
                api.add("u", kind=kind, bank="shared", config=config)
            assert "fetch_allow_networks" in info.value.message
        assert seen == []  # nothing was asked of the server

        allowed = door(db, settings, operator=False, fetch_allow_networks="127.0.0.1/32")
        syncer = Syncer(store, allowed)
        allowed.add("u", kind="local_file", bank="shared", config={"url": f"{base}/list.txt"})
        assert syncer.sync("u").error is None
        assert values(store) == {MD5[0]}
        # A redirect is a new request, to an address checked alike.
        allowed.add("moved", kind="local_file", bank="shared", config={"url": f"{base}/moved"})
        error = syncer.sync("moved").error
        assert error == (
            "moved: refusing to fetch from 127.0.0.2: not a public address (loopback); "
            "the fetch_allow_networks setting can allow it"
        )
        assert [path for path, _ in seen] == ["/list.txt", "/moved"]
        # A name is looked up when a request is sent: this one, to loopback.
        named = {"url": f"http://localhost:{port}/list.txt"}
        api.add("named", kind="local_file", bank="shared", config=named)
        error = Syncer(store, api).sync("named").error
        assert error is not None
        assert error.startswith("named: refusing to fetch from localhost: not a public address")
        assert len(seen) == 2


def test_each_request_goes_to_the_address_that_was_checked() -> None:
    body = listing(MD5[0]).encode()
    with serving({"/list.txt": (200, {}, body)}) as (base, seen):
        port = int(base.rpartition(":")[2])
        allowed = FetchPolicy(allow_networks=("127.0.0.1/32",))
        lookups: list[str] = []

        def resolver(host: str, port: int) -> list[str]:
            lookups.append(host)
            return ["127.0.0.1"]

        guard = GuardedTransport("lists", allowed, resolver=resolver)
        with httpx.Client(transport=guard) as client:
            answer = client.get(f"http://lists.test:{port}/list.txt")
        assert (answer.status_code, answer.content) == (200, body)
        assert seen == [("/list.txt", f"lists.test:{port}")]  # the name, sent to the address
        assert lookups == ["lists.test"]

        def rebinding(host: str, port: int) -> list[str]:
            return ["127.0.0.1", "10.1.2.3"]  # one allowed address, one internal

        guard = GuardedTransport("lists", allowed, resolver=rebinding)
        with (
            httpx.Client(transport=guard) as client,
            pytest.raises(
                FetchError,
                match=r"^lists: refusing to fetch from lists.test: not a public .*\(private\)",
            ),
        ):
            client.get(f"http://lists.test:{port}/list.txt")
        assert len(seen) == 1


def test_exchanges_added_by_earlier_versions_are_checked_when_they_read(
    db: Database, settings: Settings, store: BankStore, keys: dict[str, bytes], tmp_path: Path
) -> None:
    """An exchange stored before these checks (or by a door with other rules) is read only
    if the reading side allows it."""
    store.create_bank("shared")
    operator = door(db, settings, operator=True)
    add_file(operator, str(tmp_path / "list.txt"), format="local_file", signal_type="photodna")
    with db.session() as s:
        from bastion.store.models import ExchangeRow

        row = s.query(ExchangeRow).one()
        row.config = {**row.config, "filename": str(settings.data_dir / "secret.key")}
    failed = Syncer(store, door(db, settings, operator=False)).sync("f")
    assert failed.error is not None
    assert "in bastion's own data" in failed.error
    unconfigured = ExchangeStore(db, CredentialBox.for_settings("", tmp_path / "other"))
    failed = Syncer(store, unconfigured).sync("f")
    assert failed.error is not None
    assert "file sources are not accepted here" in failed.error
    assert values(store) == set()


def test_the_folder_cannot_be_inside_the_data_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="exchange_files_dir must be outside the data"):
        Settings.load(
            env={}, data_dir=tmp_path / "data", exchange_files_dir=str(tmp_path / "data" / "lists")
        )


_URL_PIECES = st.sampled_from(
    ["http://", "https://", "ftp://", "[", "]", ":", "::1", "@", "/", "?", "#", "%", "%zz", "x",
     "127.0.0.1", "0x7f.1", "2130706433", "99999", "-", ".", "\ud800", "é", "xn--", " ", "\t",
     "10.0.0.1", "a" * 70, "_", "~"]
)  # fmt: skip


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.lists(_URL_PIECES, max_size=10).map("".join))
def test_any_url_is_accepted_or_refused_with_a_clear_error(url: str) -> None:
    with contextlib.suppress(ValidationError):
        SourceAccess().check_url(url, "local_file: url")


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["/", "..", ".", "~", "~nobody", "a", " ", "\x00", "\ud800"]), max_size=8
    ).map("".join)
)
def test_any_file_name_is_accepted_or_refused_with_a_clear_error(filename: str) -> None:
    files = FileAccess((Path("/nonexistent-data"),), Path("/nonexistent-lists"))
    with contextlib.suppress(ValidationError):
        files.checked_name(filename, "local_file: filename")

"""What bastion keeps on disk is owner-only: the data directory 0700, every file in it 0600,
whatever the umask, and what an older version left readable is tightened."""

from __future__ import annotations

import logging
import os
import stat
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bastion.banks import BankStore, NewEntry
from bastion.cli.context import CliContext
from bastion.exchange.secrets import CredentialBox
from bastion.federation.signing import SigningKey
from bastion.matching import Matcher, SnapshotShelf
from bastion.settings import Settings
from bastion.signals import PdqSignal, Signal
from bastion.store import Database
from bastion.store.private_files import create_private_file, make_owner_only
from bastion.web.app import create_app

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most hosts run with, under which new files are readable by everyone."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def test_a_new_data_dir_and_its_database_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "new" / "nested" / "bastion.db"
    db = Database.open(f"sqlite:///{path}")
    BankStore(db).create_bank("written")  # the WAL and its index exist while it is open
    assert (mode(tmp_path / "new"), mode(path.parent)) == (0o700, 0o700)
    for name in ("bastion.db", "bastion.db-wal", "bastion.db-shm"):
        assert mode(path.parent / name) == 0o600, name
    db.close()
    assert mode(path) == 0o600


def test_an_older_database_left_readable_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "bastion.db"
    db = Database.open(f"sqlite:///{path}")
    BankStore(db).create_bank("written")
    for name in ("bastion.db", "bastion.db-wal", "bastion.db-shm"):
        os.chmod(tmp_path / name, 0o644)  # as versions before 0012 made them
    again = Database.open(f"sqlite:///{path}")
    for name in ("bastion.db", "bastion.db-wal", "bastion.db-shm"):
        assert mode(tmp_path / name) == 0o600, name
    assert BankStore(again).require_bank("written")
    again.close()
    db.close()


def test_a_directory_bastion_did_not_make_is_left_alone(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    db = Database.open(f"sqlite:///{shared / 'bastion.db'}")
    db.close()
    assert mode(shared) == 0o755  # the database URL's folder may hold other things
    assert mode(shared / "bastion.db") == 0o600


def test_key_files_are_made_owner_only_in_an_owner_only_directory(tmp_path: Path) -> None:
    data = tmp_path / "data"
    box = CredentialBox.for_settings("", data)
    key = SigningKey.for_settings("", data)
    assert mode(data) == 0o700
    assert (mode(data / "secret.key"), mode(data / "federation.key")) == (0o600, 0o600)
    os.chmod(data / "secret.key", 0o644)  # copied back from a backup carelessly
    os.chmod(data / "federation.key", 0o640)
    again = CredentialBox.for_settings("", data)
    assert again.open(box.seal({"k": "v"}), owner="test") == {"k": "v"}
    assert SigningKey.for_settings("", data).public == key.public
    assert (mode(data / "secret.key"), mode(data / "federation.key")) == (0o600, 0o600)
    # No temporary file is left behind.
    assert {p.name for p in data.iterdir()} == {"secret.key", "federation.key"}


def test_processes_racing_to_make_the_key_file_all_get_the_same_key(tmp_path: Path) -> None:
    data = tmp_path / "data"
    boxes: list[CredentialBox] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def make() -> None:
        start.wait()
        try:
            boxes.append(CredentialBox.for_settings("", data))
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=make) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    token = boxes[0].seal({"user": "u"})
    assert all(box.open(token, owner="test") == {"user": "u"} for box in boxes)
    assert {p.name for p in data.iterdir()} == {"secret.key"}


def test_create_private_file_never_replaces_one(tmp_path: Path) -> None:
    path = tmp_path / "key"
    assert create_private_file(path, b"first")
    assert not create_private_file(path, b"second")
    assert path.read_bytes() == b"first"
    assert mode(path) == 0o600


def test_the_service_and_the_cli_tighten_an_existing_data_dir(
    settings: Settings, tmp_path: Path
) -> None:
    settings.data_dir.mkdir(mode=0o755, exist_ok=True)
    os.chmod(settings.data_dir, 0o755)  # as versions before 0012 made it
    create_app(settings).state.services.db.close()
    assert mode(settings.data_dir) == 0o700

    os.chmod(settings.data_dir, 0o755)
    cli = CliContext(data_dir=settings.data_dir, database_url=settings.database_url)
    try:
        assert cli.db
    finally:
        cli.close()
    assert mode(settings.data_dir) == 0o700


def test_what_cannot_be_tightened_is_a_warning_not_a_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Not even root may change the mode of a /proc file: a real path that refuses chmod.
    proc = Path("/proc/self/status")
    if not proc.exists():
        pytest.skip("no /proc on this system")
    with caplog.at_level(logging.WARNING, logger="bastion.store"):
        make_owner_only(proc)
    (record,) = caplog.records
    assert "cannot be made owner-only" in record.getMessage()
    assert f"chmod go= {proc}" in record.getMessage()


def test_index_snapshots_are_owner_only(store: BankStore, settings: Settings) -> None:
    shared = replace(settings, index_snapshot_min_signals=10)
    store.create_bank("shelved")
    values = [f"{i:064x}" for i in range(1, 40)] + list(PdqSignal.examples())
    entries = [NewEntry(signals=[Signal("pdq", v)]) for v in values]
    store.add_entries("shelved", entries, source="test")
    shelf = SnapshotShelf.for_database(
        shared.data_dir, shared.database_url, min_signals=shared.index_snapshot_min_signals
    )
    assert shelf is not None
    Matcher(store, shared.matching_options(), shelf=shelf)  # publishes the first generation
    generation = shelf.latest()
    assert generation is not None
    paths = [shelf.root, *shelf.root.rglob("*")]
    assert any(p.suffix == ".npy" for p in paths)
    for path in paths:
        expected = 0o700 if path.is_dir() else 0o600
        assert mode(path) == expected, path
    assert mode(settings.data_dir / "index") == 0o700

"""The evidence vault: sealed at rest, refused when altered, purged on time, in a folder and
in S3 (moto's server on 127.0.0.1), with real SQLite and PostgreSQL databases."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import stat
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import update

from bastion.audit import AuditLog
from bastion.errors import (
    ConfigurationError,
    NotFoundError,
    StorageError,
    ValidationError,
)
from bastion.exchange.secrets import KEY_FILE
from bastion.pipeline import Bastion
from bastion.review import (
    EvidenceIntegrityError,
    EvidenceVault,
    FsspecObjects,
    LocalObjects,
    ObjectStore,
    VaultKey,
    object_store,
)
from bastion.samples import sample_pixels
from bastion.settings import Settings
from bastion.store import Database
from bastion.store.models import EvidenceRow
from tests.review.conftest import Clock, S3Server

RETENTION = timedelta(days=90)


def sample_jpeg(seed: int = 1) -> bytes:
    out = io.BytesIO()
    Image.fromarray(sample_pixels(seed, 320, 240)).save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture
def key() -> VaultKey:
    return VaultKey(os.urandom(32))


@pytest.fixture
def objects(tmp_path: Path) -> LocalObjects:
    return LocalObjects(tmp_path / "evidence")


@pytest.fixture
def vault(db: Database, objects: LocalObjects, key: VaultKey, clock: Clock) -> EvidenceVault:
    return EvidenceVault(db, objects, key, retention=RETENTION, clock=clock)


def stored(objects: LocalObjects, evidence_id: str) -> Path:
    return objects.directory / evidence_id


# Sealing ----------------------------------------------------------------------------------


def test_round_trip_keeps_the_media_and_its_record(vault: EvidenceVault, clock: Clock) -> None:
    data = sample_jpeg()
    put = vault.put(data, "image/JPEG", actor="key:abc123")
    assert vault.open(put.id) == data
    assert vault.get(put.id) == put
    assert put.sha256 == hashlib.sha256(data).hexdigest()
    assert put.size == len(data)
    assert put.media_type == "image/jpeg"
    assert put.created_at == clock.now
    assert put.retain_until is None  # kept while undecided
    assert (put.legal_hold, put.reported, put.purged_at) == (False, False, None)
    (event,) = AuditLog(vault.db).list(action="evidence.put")
    assert (event.actor, event.target) == ("key:abc123", put.id)
    assert event.detail == {"size": len(data), "media_type": "image/jpeg"}  # never the bytes


def test_nothing_is_stored_in_clear(vault: EvidenceVault, objects: LocalObjects) -> None:
    data = sample_jpeg()
    evidence = vault.put(data, "image/jpeg")
    (path,) = objects.directory.iterdir()  # no temporary file left behind
    assert path.name == evidence.id
    sealed = path.read_bytes()
    assert len(sealed) == 12 + len(data) + 16  # nonce, ciphertext, tag
    for start in range(0, len(data) - 16, 997):  # no stretch of the media, anywhere
        assert data[start : start + 16] not in sealed
    assert b"JFIF" not in sealed
    if sys.platform != "win32":
        assert stat.S_IMODE(objects.directory.stat().st_mode) == 0o700
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_each_object_has_its_own_nonce(vault: EvidenceVault, objects: LocalObjects) -> None:
    data = sample_jpeg()
    one, two = vault.put(data, "image/jpeg"), vault.put(data, "image/jpeg")
    assert one.sha256 == two.sha256
    assert stored(objects, one.id).read_bytes()[:12] != stored(objects, two.id).read_bytes()[:12]
    assert stored(objects, one.id).read_bytes() != stored(objects, two.id).read_bytes()


@pytest.mark.parametrize("position", [0, 11, 12, 500, -1])
def test_a_flipped_byte_is_refused(
    vault: EvidenceVault, objects: LocalObjects, position: int
) -> None:
    data = sample_jpeg()
    evidence = vault.put(data, "image/jpeg")
    path = stored(objects, evidence.id)
    sealed = bytearray(path.read_bytes())
    sealed[position] ^= 0x01
    path.write_bytes(bytes(sealed))
    with pytest.raises(EvidenceIntegrityError) as refused:
        vault.open(evidence.id)
    assert evidence.id in refused.value.message
    assert "integrity" in refused.value.message
    assert "JFIF" not in str(refused.value)
    assert refused.value.__cause__ is None
    assert refused.value.__suppress_context__


def test_a_truncated_object_is_refused(vault: EvidenceVault, objects: LocalObjects) -> None:
    evidence = vault.put(sample_jpeg(), "image/jpeg")
    stored(objects, evidence.id).write_bytes(b"short")
    with pytest.raises(EvidenceIntegrityError):
        vault.open(evidence.id)


def test_an_object_moved_under_another_id_is_refused(
    vault: EvidenceVault, objects: LocalObjects
) -> None:
    """The evidence id is sealed with the object: B's record cannot be made to open A."""
    a = vault.put(sample_jpeg(1), "image/jpeg")
    b = vault.put(sample_jpeg(2), "image/jpeg")
    stored(objects, b.id).write_bytes(stored(objects, a.id).read_bytes())
    with pytest.raises(EvidenceIntegrityError):
        vault.open(b.id)
    assert vault.open(a.id) == sample_jpeg(1)


def test_a_sealed_object_opens_only_under_its_own_id(key: VaultKey) -> None:
    """Even the same media sealed for another id does not open there (associated data)."""
    sealed = key.seal("0f9a", b"neutral text")
    assert key.unseal("0f9a", sealed) == b"neutral text"
    with pytest.raises(EvidenceIntegrityError):
        key.unseal("0f9b", sealed)


def test_a_record_that_no_longer_describes_its_object_is_refused(
    vault: EvidenceVault, db: Database
) -> None:
    evidence = vault.put(sample_jpeg(), "image/jpeg")
    with db.session() as s:
        s.execute(update(EvidenceRow).where(EvidenceRow.id == evidence.id).values(sha256="0" * 64))
    with pytest.raises(EvidenceIntegrityError):
        vault.open(evidence.id)


def test_another_key_is_refused(vault: EvidenceVault, db: Database, objects: LocalObjects) -> None:
    evidence = vault.put(sample_jpeg(), "image/jpeg")
    other = EvidenceVault(db, objects, VaultKey(os.urandom(32)), retention=RETENTION)
    with pytest.raises(EvidenceIntegrityError, match="another key"):
        other.open(evidence.id)


def test_a_missing_object_is_a_storage_error(vault: EvidenceVault, objects: LocalObjects) -> None:
    evidence = vault.put(sample_jpeg(), "image/jpeg")
    stored(objects, evidence.id).unlink()
    with pytest.raises(StorageError, match="missing"):
        vault.open(evidence.id)


@pytest.mark.parametrize(
    "unknown", ["", "nope", "00000000-0000-4000-8000-000000000000", "x" * 5000]
)
def test_unknown_ids_are_not_found(vault: EvidenceVault, unknown: str) -> None:
    with pytest.raises(NotFoundError) as missing:
        vault.open(unknown)
    assert len(missing.value.message) < 200
    with pytest.raises(NotFoundError):
        vault.get(unknown)


@pytest.mark.parametrize(
    ("data", "media_type"),
    [(b"", "image/jpeg"), (b"x", "jpeg"), (b"x", "image/jpeg; q=1"), (b"x", "a/" + "b" * 200)],
)
def test_put_refuses_what_it_cannot_keep(
    vault: EvidenceVault, objects: LocalObjects, data: bytes, media_type: str
) -> None:
    with pytest.raises(ValidationError):
        vault.put(data, media_type)
    assert list(objects.directory.iterdir()) == []


# Retention ------------------------------------------------------------------------------


def test_undecided_media_is_kept(vault: EvidenceVault, clock: Clock) -> None:
    evidence = vault.put(sample_jpeg(), "image/jpeg")
    clock.advance(days=3650)
    assert vault.purge_due() == 0
    assert vault.open(evidence.id) == sample_jpeg()


def test_purge_honours_retention(vault: EvidenceVault, objects: LocalObjects, clock: Clock) -> None:
    decided = vault.put(sample_jpeg(1), "image/jpeg")
    undecided = vault.put(sample_jpeg(2), "image/jpeg")
    decided_at = clock.now
    assert vault.decided(decided.id).retain_until == decided_at + RETENTION
    clock.advance(days=89, hours=23)
    assert vault.purge_due() == 0
    assert vault.open(decided.id) == sample_jpeg(1)

    clock.advance(hours=1)
    assert vault.purge_due() == 1
    assert not stored(objects, decided.id).exists()
    with pytest.raises(NotFoundError, match=f"purged on {clock.now:%Y-%m-%d}"):
        vault.open(decided.id)
    kept = vault.get(decided.id)  # the record stays, for the audit trail
    assert kept.purged_at == clock.now
    assert kept.sha256 == decided.sha256
    assert vault.open(undecided.id) == sample_jpeg(2)
    assert vault.purge_due() == 0  # purged once
    (event,) = AuditLog(vault.db).list(action="evidence.purge")
    assert (event.actor, event.target, event.detail) == ("scheduler", decided.id, {})


def test_deciding_again_never_shortens_retention(vault: EvidenceVault, clock: Clock) -> None:
    evidence = vault.put(sample_jpeg(), "image/jpeg")
    first = vault.decided(evidence.id).retain_until
    assert first is not None
    clock.advance(days=30)
    assert vault.decided(evidence.id).retain_until == clock.now + RETENTION  # later: moved
    short = EvidenceVault(
        vault.db, vault.objects, VaultKey(os.urandom(32)), retention=timedelta(days=1), clock=clock
    )
    assert short.decided(evidence.id).retain_until == clock.now + RETENTION  # earlier: kept


def test_reported_media_is_kept_a_year_from_the_report(vault: EvidenceVault, clock: Clock) -> None:
    evidence = vault.put(sample_jpeg(), "image/jpeg")
    vault.decided(evidence.id)
    clock.advance(days=10)
    reported_at = clock.now
    reported = vault.mark_reported(evidence.id)
    assert reported.reported
    assert reported.retain_until == reported_at + timedelta(days=365)
    vault.decided(evidence.id)  # a later decision does not shorten the preservation
    clock.advance(days=100)  # the decision's 90 days have long passed
    assert vault.purge_due() == 0
    clock.advance(days=264, hours=23)
    assert vault.purge_due() == 0
    assert vault.open(evidence.id) == sample_jpeg()
    clock.advance(hours=1)
    assert vault.purge_due() == 1


def test_a_legal_hold_keeps_media_until_lifted(vault: EvidenceVault, clock: Clock) -> None:
    evidence = vault.put(sample_jpeg(), "image/jpeg")
    vault.decided(evidence.id)
    assert vault.hold(evidence.id, True, "user:counsel").legal_hold
    clock.advance(days=400)
    assert vault.purge_due() == 0
    assert vault.open(evidence.id) == sample_jpeg()
    assert not vault.hold(evidence.id, False, "user:counsel").legal_hold
    assert vault.purge_due() == 1
    events = AuditLog(vault.db).list(action="evidence.hold")
    assert [(e.actor, e.detail) for e in reversed(events)] == [
        ("user:counsel", {"on": True}),
        ("user:counsel", {"on": False}),
    ]


def test_purged_media_cannot_be_decided_held_or_reported(
    vault: EvidenceVault, clock: Clock
) -> None:
    evidence = vault.put(sample_jpeg(), "image/jpeg")
    vault.decided(evidence.id)
    clock.advance(days=91)
    assert vault.purge_due() == 1
    for change in (
        lambda: vault.decided(evidence.id),
        lambda: vault.mark_reported(evidence.id),
        lambda: vault.hold(evidence.id, True, "user:counsel"),
    ):
        with pytest.raises(NotFoundError, match="purged on"):
            change()


def test_retention_must_be_positive(db: Database, objects: LocalObjects, key: VaultKey) -> None:
    with pytest.raises(ConfigurationError):
        EvidenceVault(db, objects, key, retention=timedelta(0))


# Keys -------------------------------------------------------------------------------------


def test_a_key_file_holds_raw_bytes_or_base64(
    tmp_path: Path, db: Database, objects: LocalObjects
) -> None:
    secret = os.urandom(32)
    raw, encoded, url_safe = tmp_path / "raw.key", tmp_path / "b64.key", tmp_path / "url.key"
    raw.write_bytes(secret)
    encoded.write_text(base64.b64encode(secret).decode() + "\n")
    url_safe.write_text(base64.urlsafe_b64encode(secret).decode())
    sealing = EvidenceVault(db, objects, VaultKey.from_file(raw), retention=RETENTION)
    evidence = sealing.put(b"neutral text", "text/plain")
    for path in (encoded, url_safe):
        opening = EvidenceVault(db, objects, VaultKey.from_file(path), retention=RETENTION)
        assert opening.open(evidence.id) == b"neutral text"


@pytest.mark.parametrize(
    "content",
    [
        os.urandom(31),
        os.urandom(33),
        base64.b64encode(os.urandom(16)),
        base64.b64encode(os.urandom(48)),
        b"not base64 at all!",
        b"",
    ],
)
def test_a_key_file_of_the_wrong_length_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "vault.key"
    path.write_bytes(content)
    with pytest.raises(ConfigurationError, match="evidence_key_file") as refused:
        VaultKey.from_file(path)
    assert "32-byte" in refused.value.message


def test_a_missing_key_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="evidence_key_file: cannot read"):
        VaultKey.from_file(tmp_path / "absent.key")


def test_a_derived_key_depends_on_the_secret_only(db: Database, objects: LocalObjects) -> None:
    evidence = EvidenceVault(
        db, objects, VaultKey.derive(b"deployment secret"), retention=RETENTION
    ).put(b"neutral text", "text/plain")
    again = EvidenceVault(db, objects, VaultKey.derive(b"deployment secret"), retention=RETENTION)
    assert again.open(evidence.id) == b"neutral text"
    other = EvidenceVault(db, objects, VaultKey.derive(b"another secret"), retention=RETENTION)
    with pytest.raises(EvidenceIntegrityError):
        other.open(evidence.id)
    assert "deployment" not in repr(VaultKey.derive(b"deployment secret"))


# Settings and the composition root ----------------------------------------------------------


def test_settings_default_to_a_folder_and_a_key_derived_from_the_secret_key(
    settings: Settings,
) -> None:
    options = settings.evidence_vault_options()
    assert options.location == str(settings.data_dir / "evidence")
    assert options.retention == timedelta(days=90)
    assert options.reported_retention == timedelta(days=365)
    assert options.storage_options == {}
    assert "key" not in repr(options).replace("key=", "")  # the key is never shown
    secret = (settings.data_dir / KEY_FILE).read_bytes().strip()  # made on first use
    derived = VaultKey.derive(secret)
    sealed = options.key.seal("id", b"neutral text")
    assert derived.unseal("id", sealed) == b"neutral text"


def test_settings_read_a_key_file_and_s3_options(tmp_path: Path) -> None:
    key_file = tmp_path / "vault.key"
    key_file.write_bytes(os.urandom(32))
    settings = Settings.load(
        env={},
        data_dir=tmp_path / "data",
        evidence_url="s3://evidence-bucket/bastion",
        evidence_key_file=str(key_file),
        evidence_retention_days=30,
        reported_retention_days=730,
        evidence_s3_endpoint_url="http://127.0.0.1:9000",
        evidence_s3_region="eu-west-1",
    )
    options = settings.evidence_vault_options()
    assert options.location == "s3://evidence-bucket/bastion"
    assert options.retention == timedelta(days=30)
    assert options.reported_retention == timedelta(days=730)
    assert options.storage_options == {
        "endpoint_url": "http://127.0.0.1:9000",
        "client_kwargs": {"region_name": "eu-west-1"},
    }
    sealed = VaultKey.from_file(key_file).seal("id", b"neutral text")
    assert options.key.unseal("id", sealed) == b"neutral text"
    assert not (tmp_path / "data" / KEY_FILE).exists()  # the secret key was not needed


@pytest.mark.parametrize(
    "overrides",
    [
        {"evidence_s3_endpoint_url": "http://127.0.0.1:9000"},
        {"evidence_s3_region": "eu-west-1", "evidence_url": "/srv/evidence"},
        {"reported_retention_days": 30},
        {"evidence_retention_days": 0},
    ],
)
def test_settings_refuse_contradictions(tmp_path: Path, overrides: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        Settings.load(env={}, data_dir=tmp_path / "data", **overrides)


def test_a_key_file_of_the_wrong_length_stops_the_vault(tmp_path: Path) -> None:
    key_file = tmp_path / "vault.key"
    key_file.write_bytes(os.urandom(16))
    settings = Settings.load(env={}, data_dir=tmp_path / "data", evidence_key_file=str(key_file))
    with pytest.raises(ConfigurationError, match="evidence_key_file"):
        settings.evidence_vault_options()


def test_bastion_builds_the_vault_from_settings(settings: Settings) -> None:
    bastion = Bastion(settings)
    try:
        evidence = bastion.vault.put(b"neutral text", "text/plain")
        assert bastion.vault.open(evidence.id) == b"neutral text"
        assert (settings.data_dir / "evidence" / evidence.id).is_file()
        assert bastion.vault.retention == timedelta(days=90)
    finally:
        bastion.close()


# Object stores ----------------------------------------------------------------------------

TRAVERSALS = ["..", ".", "../escape", "a/b", "/etc/passwd", "a\\b", "", ".hidden", "a\0b", "é"]


@pytest.mark.parametrize("name", TRAVERSALS)
def test_local_names_cannot_leave_the_folder(tmp_path: Path, name: str) -> None:
    objects = LocalObjects(tmp_path / "evidence")
    with pytest.raises(ValidationError):
        objects.write(name, b"x")
    with pytest.raises(ValidationError):
        objects.read(name)
    with pytest.raises(ValidationError):
        objects.delete(name)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evidence"]
    assert list((tmp_path / "evidence").iterdir()) == []


def test_local_objects_are_replaced_whole(tmp_path: Path) -> None:
    objects = LocalObjects(tmp_path / "evidence")
    objects.write("one", b"first")
    objects.write("one", b"second")
    assert objects.read("one") == b"second"
    assert [p.name for p in objects.directory.iterdir()] == ["one"]
    objects.delete("one")
    objects.delete("one")  # gone already: nothing to do
    with pytest.raises(NotFoundError):
        objects.read("one")


def test_local_folder_left_open_is_made_owner_only(tmp_path: Path) -> None:
    if sys.platform == "win32":
        pytest.skip("Windows has no POSIX modes")
    folder = tmp_path / "evidence"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    LocalObjects(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_object_store_chooses_by_location(tmp_path: Path) -> None:
    assert isinstance(object_store(str(tmp_path / "a")), LocalObjects)
    local = object_store(f"file://{tmp_path / 'b'}")
    assert isinstance(local, LocalObjects)
    assert local.directory == tmp_path / "b"


def test_a_missing_fsspec_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fsspec", None)  # as if not installed
    with pytest.raises(ConfigurationError, match=r"bastion\[s3\]"):
        object_store("s3://bucket/prefix")


def test_a_missing_backend_names_the_extra() -> None:
    pytest.importorskip("fsspec")
    with pytest.raises(ConfigurationError, match=r"gcsfs.*bastion\[s3\]"):
        FsspecObjects("gcs://bucket/prefix")


# S3 (moto's server) -----------------------------------------------------------------------


@pytest.fixture
def bucket(s3_server: S3Server) -> str:
    return s3_server.new_bucket()


def s3_objects(s3_server: S3Server, bucket: str) -> ObjectStore:
    return object_store(f"s3://{bucket}/vault", s3_server.storage_options())


def test_s3_round_trip_and_purge(
    s3_server: S3Server, bucket: str, db: Database, key: VaultKey, clock: Clock
) -> None:
    objects = s3_objects(s3_server, bucket)
    assert isinstance(objects, FsspecObjects)
    vault = EvidenceVault(db, objects, key, retention=RETENTION, clock=clock)
    data = sample_jpeg()
    kept, purged = vault.put(data, "image/jpeg"), vault.put(sample_jpeg(2), "image/jpeg")
    assert vault.open(kept.id) == data

    client = s3_server.client()
    sealed = client.get_object(Bucket=bucket, Key=f"vault/{kept.id}")["Body"].read()
    assert len(sealed) == 12 + len(data) + 16
    assert data[100:132] not in sealed
    assert b"JFIF" not in sealed

    vault.decided(purged.id)
    vault.decided(kept.id)
    vault.hold(kept.id, True, "user:counsel")
    clock.advance(days=91)
    assert vault.purge_due() == 1
    listed = client.list_objects_v2(Bucket=bucket, Prefix="vault/")["Contents"]
    assert [o["Key"] for o in listed] == [f"vault/{kept.id}"]
    with pytest.raises(NotFoundError, match="purged on"):
        vault.open(purged.id)
    assert vault.open(kept.id) == data


def test_s3_tampering_is_refused(
    s3_server: S3Server, bucket: str, db: Database, key: VaultKey
) -> None:
    vault = EvidenceVault(db, s3_objects(s3_server, bucket), key, retention=RETENTION)
    evidence = vault.put(sample_jpeg(), "image/jpeg")
    client = s3_server.client()
    name = f"vault/{evidence.id}"
    sealed = bytearray(client.get_object(Bucket=bucket, Key=name)["Body"].read())
    sealed[40] ^= 0x80
    client.put_object(Bucket=bucket, Key=name, Body=bytes(sealed))
    with pytest.raises(EvidenceIntegrityError):
        vault.open(evidence.id)


@pytest.mark.parametrize("name", TRAVERSALS)
def test_s3_names_cannot_leave_the_prefix(s3_server: S3Server, bucket: str, name: str) -> None:
    objects = s3_objects(s3_server, bucket)
    with pytest.raises(ValidationError):
        objects.write(name, b"x")
    assert "Contents" not in s3_server.client().list_objects_v2(Bucket=bucket)


def test_s3_missing_objects_and_buckets(s3_server: S3Server, bucket: str) -> None:
    objects = s3_objects(s3_server, bucket)
    with pytest.raises(NotFoundError):
        objects.read("absent")
    objects.delete("absent")  # gone already: nothing to do
    nowhere = object_store("s3://no-such-bucket-here/vault", s3_server.storage_options())
    with pytest.raises(StorageError, match="no-such-bucket-here"):
        nowhere.write("one", b"x")

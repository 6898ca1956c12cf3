"""What a scan reads: folders (links out of them, dot files), manifests (CSV and Parquet, and
what is wrong with a bad one), and the limits on reading an item."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bastion.errors import ImportFormatError, MediaError, MediaTooLargeError, ValidationError
from bastion.media.fetch import FetchPolicy, ForbiddenAddressError
from bastion.scanning import list_items, read_item, source_kind
from bastion.scanning.store import default_name

POLICY = FetchPolicy(timeout=2.0)


def write(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_a_folder_lists_its_files_recursively_in_a_stable_order(tmp_path: Path) -> None:
    root = tmp_path / "photos"
    write(root / "b.jpg", b"bb")
    write(root / "a" / "c.png", b"ccc")
    write(root / ".hidden.jpg")
    write(root / ".cache" / "d.jpg")
    write(root / "Thumbs.db")
    outside = write(tmp_path / "secret.jpg")
    os.symlink(outside, root / "link-out.jpg")
    os.symlink(root / "b.jpg", root / "link-in.jpg")

    items = list(list_items(str(root)))

    assert [i.key for i in items] == ["b.jpg", "link-in.jpg", "a/c.png"]
    assert [i.size for i in items] == [2, 2, 3]
    assert all(i.etag and i.etag.startswith("mtime:") for i in items)
    assert items[0].location == str(root.resolve() / "b.jpg")


def test_a_changed_file_has_another_etag(tmp_path: Path) -> None:
    path = write(tmp_path / "f" / "a.jpg", b"one")
    (before,) = list_items(str(tmp_path / "f"))
    os.utime(path, ns=(before_ns := 1_700_000_000_000_000_000, before_ns))
    (after,) = list_items(str(tmp_path / "f"))
    assert before.etag != after.etag


def test_what_a_source_is(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    assert source_kind(str(tmp_path / "d")) == "folder"
    assert source_kind("s3://bucket/prefix") == "bucket"
    assert source_kind(str(tmp_path / "list.CSV")) == "manifest"
    assert source_kind("s3://bucket/list.parquet") == "manifest"
    with pytest.raises(ValidationError, match="no such folder"):
        source_kind(str(tmp_path / "missing"))
    with pytest.raises(ValidationError, match="not one URL"):
        source_kind("https://example.com/photo.jpg")


def test_a_csv_manifest_gives_ids_users_and_locations(tmp_path: Path) -> None:
    write(tmp_path / "m" / "img" / "1.jpg")
    manifest = tmp_path / "m" / "list.csv"
    manifest.write_text(
        "content_id,path,url,user_id\n"
        "c1,img/1.jpg,,u1\n"
        "c2,,https://cdn.example.com/2.jpg,\n"
        f"c3,{tmp_path / 'abs.jpg'},,u3\n"
    )
    items = list(list_items(str(manifest)))
    assert [(i.key, i.content_id, i.user_id) for i in items] == [
        ("c1", "c1", "u1"),
        ("c2", "c2", None),
        ("c3", "c3", "u3"),
    ]
    assert items[0].location == str(tmp_path / "m" / "img" / "1.jpg")  # relative to it
    assert items[1].location == "https://cdn.example.com/2.jpg"
    assert items[2].location == str(tmp_path / "abs.jpg")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("id,path\nc1,a.jpg\n", "needs the columns content_id and path or url"),
        ("content_id,user_id\nc1,u1\n", "needs the columns content_id and path or url"),
        ("content_id,path,colour\nc1,a.jpg,red\n", "unknown manifest column"),
        ("content_id,path\nc1,a.jpg\nc1,b.jpg\n", "row 3 repeats content_id 'c1'"),
        ("content_id,path\n,a.jpg\n", "row 2 has no content_id"),
        ("content_id,path,url\nc1,a.jpg,https://x.test/a\n", "needs a path or a url"),
        ("content_id,url\nc1,file:///etc/passwd\n", "url must be http"),
        ("content_id,path\nc1,a.jpg,extra\n", "more fields than columns"),
        ("content_id,path\n" + "x" * 201 + ",a.jpg\n", "over 200 characters"),
    ],
)
def test_a_bad_manifest_is_refused_saying_where(tmp_path: Path, text: str, error: str) -> None:
    manifest = tmp_path / "bad.csv"
    manifest.write_text(text)
    with pytest.raises(ImportFormatError, match=error):
        list(list_items(str(manifest)))


def test_a_manifest_that_is_not_text_is_refused(tmp_path: Path) -> None:
    manifest = write(tmp_path / "bad.csv", b"\xff\xfe\x00\x81binary")
    with pytest.raises(ImportFormatError, match="cannot read it as CSV"):
        list(list_items(str(manifest)))


def test_a_parquet_manifest(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table({"content_id": ["a", "b"], "path": ["1.jpg", "2.jpg"], "user_id": ["u", None]})
    pq.write_table(table, tmp_path / "list.parquet")
    items = list(list_items(str(tmp_path / "list.parquet")))
    assert [(i.key, i.user_id, Path(i.location).name) for i in items] == [
        ("a", "u", "1.jpg"),
        ("b", None, "2.jpg"),
    ]
    write(tmp_path / "broken.parquet", b"PAR1 not really")
    with pytest.raises(ImportFormatError, match="cannot read it as Parquet"):
        list(list_items(str(tmp_path / "broken.parquet")))


def test_reading_an_item_keeps_to_the_limits(tmp_path: Path) -> None:
    big = write(tmp_path / "big.jpg", b"x" * 2_000)
    assert read_item(str(big), max_bytes=2_000, fetch_policy=POLICY) == b"x" * 2_000
    with pytest.raises(MediaTooLargeError, match="exceeds the limit of 1,000 bytes"):
        read_item(str(big), max_bytes=1_000, fetch_policy=POLICY)
    with pytest.raises(MediaError, match="no such file"):
        read_item(str(tmp_path / "gone.jpg"), max_bytes=1_000, fetch_policy=POLICY)
    with pytest.raises(MediaError, match="empty"):
        read_item(str(write(tmp_path / "empty.jpg", b"")), max_bytes=1_000, fetch_policy=POLICY)


def test_a_url_on_this_machine_is_refused_unless_allowed() -> None:
    with pytest.raises(ForbiddenAddressError, match="not a public address"):
        read_item("http://127.0.0.1:9/x.jpg", max_bytes=1_000, fetch_policy=POLICY)


def test_default_names_are_stable_and_valid() -> None:
    assert default_name("/srv/uploads/2024") == "srv/uploads/2024"
    assert default_name("s3://bucket/prefix") == "s3://bucket/prefix"
    assert default_name("/data/my photos!") == "data/my-photos-"
    assert default_name("///") == "scan"

"""Importing hash lists into banks and exporting them, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from bastion.banks import BankStore, NewEntry
from bastion.errors import ImportFormatError, NotFoundError
from bastion.exchange.formats import HashListFormat
from bastion.exchange.transfer import ImportAborted, export_bank, import_file
from bastion.signals import Md5Signal, Sha256Signal, Signal

HEADER = "collab,signal_type,signal_str,category,tags\n"


def random_pdq(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def csv_rows(n: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    return "".join(
        f"collab-{i % 3},pdq,{random_pdq(rng)},POSITIVE_CLASS,tag{i % 5} shared\n" for i in range(n)
    )


def test_import_then_export_round_trips_exactly(store: BankStore, tmp_path: Path) -> None:
    source = tmp_path / "list.csv"
    source.write_text(HEADER + csv_rows(40) + f",md5,{Md5Signal.examples()[0]},,\n")
    store.create_bank("a")
    result = import_file(store, "a", source)
    assert (result.rows, result.accepted, result.rejected, result.duplicates) == (41, 41, 0, 0)
    exported = io.StringIO()
    assert export_bank(store, "a", exported, HashListFormat.TE_CSV, actor="test") == 41
    # python-threatexchange's columns, and bastion's `entry` numbering each entry's rows.
    lines = source.read_text().splitlines()
    assert exported.getvalue().splitlines() == [
        lines[0] + ",entry",
        *(f"{line},{number}" for number, line in enumerate(lines[1:], start=1)),
    ]

    again = tmp_path / "again.csv"
    again.write_text(exported.getvalue())
    store.create_bank("b")
    import_file(store, "b", again)
    second = io.StringIO()
    export_bank(store, "b", second, HashListFormat.TE_CSV, actor="test")
    assert second.getvalue() == exported.getvalue()
    entry = next(store.iter_entries("b"))
    assert entry.provenance.source == "import"
    assert entry.provenance.imported_from == "again.csv"
    assert entry.metadata == {
        "collab": "collab-0",
        "category": "POSITIVE_CLASS",
        "tags": ["tag0", "shared"],
    }


def test_local_file_round_trip_and_media_entries(store: BankStore, tmp_path: Path) -> None:
    store.create_bank("a")
    signals = (
        Signal("pdq", "0" * 63 + "1", 90),
        Signal("md5", Md5Signal.examples()[1]),
        Signal("sha256", Sha256Signal.examples()[1]),
    )
    store.add_entries("a", [NewEntry(signals=signals)], source="media")
    out = io.StringIO()
    export_bank(store, "a", out, HashListFormat.LOCAL_FILE, actor="test")
    assert out.getvalue() == "".join(f"{s.type} {s.value}\n" for s in signals)
    path = tmp_path / "list.txt"
    path.write_text(out.getvalue())
    store.create_bank("b")
    result = import_file(store, "b", path)
    assert result.accepted == 3
    back = io.StringIO()
    export_bank(store, "b", back, HashListFormat.LOCAL_FILE, actor="test")
    assert back.getvalue() == out.getvalue()


def test_bad_rows_abort_the_whole_import(store: BankStore, tmp_path: Path) -> None:
    store.create_bank("a")
    path = tmp_path / "bad.csv"
    body = csv_rows(12_000).splitlines(keepends=True)
    body[10_500] = "c,pdq,0123,,\n"  # after the first batches were written
    body.append("c,md6,abc,,\n")
    path.write_text(HEADER + "".join(body))
    with pytest.raises(ImportAborted) as info:
        import_file(store, "a", path)
    result = info.value.result
    assert (result.rows, result.rejected) == (12_001, 2)
    assert [e.line for e in result.errors] == [10_502, 12_002]
    assert "nothing imported" in str(info.value)
    assert store.get_bank("a").entry_count == 0
    assert store.head_seq() == 1


def test_skip_invalid_imports_the_good_rows(store: BankStore, tmp_path: Path) -> None:
    store.create_bank("a")
    path = tmp_path / "bad.txt"
    path.write_text(f"pdq {'a' * 64}\npdq xyz\npdq {'b' * 64}\npdq {'a' * 64}\n")
    result = import_file(store, "a", path, skip_invalid=True)
    assert (result.rows, result.accepted, result.duplicates, result.rejected) == (4, 2, 1, 1)
    assert result.errors[0].line == 2
    assert store.get_bank("a").entry_count == 2
    # importing the same list again adds nothing
    assert import_file(store, "a", path, skip_invalid=True).accepted == 0


def test_non_utf8_and_missing_files_are_clear_errors(store: BankStore, tmp_path: Path) -> None:
    store.create_bank("a")
    path = tmp_path / "latin1.txt"
    path.write_bytes(f"pdq {'a' * 64}\n".encode() + b"pdq caf\xe9\n")
    with pytest.raises(ImportFormatError, match="not UTF-8"):
        import_file(store, "a", path)
    assert store.get_bank("a").entry_count == 0
    with pytest.raises(ImportFormatError, match="no such file"):
        import_file(store, "a", tmp_path / "missing.csv")
    with pytest.raises(NotFoundError):
        import_file(store, "nope", path)


def test_progress_reports_every_byte(store: BankStore, tmp_path: Path) -> None:
    store.create_bank("a")
    path = tmp_path / "list.csv"
    path.write_text(HEADER + csv_rows(3000))
    seen: list[int] = []
    import_file(store, "a", path, on_bytes=seen.append)
    assert sum(seen) == path.stat().st_size


def test_entries_of_several_signals_come_back_whole(store: BankStore, tmp_path: Path) -> None:
    video = (
        Signal("video_md5", Md5Signal.examples()[0]),
        Signal("sha256", Sha256Signal.examples()[0]),
        Signal("url", "example.com/clip"),
    )
    store.create_bank("a")
    store.add_entries(
        "a",
        [
            NewEntry(signals=video, metadata={"collab": "c", "tags": ["video"]}),
            NewEntry(signals=(Signal("md5", Md5Signal.examples()[1]),)),
        ],
        source="media",
    )
    exported = io.StringIO()
    assert export_bank(store, "a", exported, HashListFormat.TE_CSV, actor="test") == 4
    assert exported.getvalue() == (
        "collab,signal_type,signal_str,category,tags,entry\n"
        f"c,video_md5,{video[0].value},,video,1\n"
        f"c,sha256,{video[1].value},,video,1\n"
        "c,url,example.com/clip,,video,1\n"
        f",md5,{Md5Signal.examples()[1]},,,2\n"
    )
    path = tmp_path / "list.csv"
    path.write_text(exported.getvalue())
    store.create_bank("b")
    result = import_file(store, "b", path)
    assert (result.rows, result.accepted) == (4, 2)
    back = [(e.signals, e.metadata) for e in store.iter_entries("b")]
    assert back == [
        (video, {"collab": "c", "tags": ["video"]}),
        ((Signal("md5", Md5Signal.examples()[1]),), {}),
    ]
    again = io.StringIO()
    export_bank(store, "b", again, HashListFormat.TE_CSV, actor="test")
    assert again.getvalue() == exported.getvalue()
    assert import_file(store, "b", path).duplicates == 2  # whole entries, already held


def test_a_csv_with_a_wrong_header_says_what_is_wrong(store: BankStore, tmp_path: Path) -> None:
    store.create_bank("a")
    path = tmp_path / "list.csv"
    path.write_text(f"type,hash\npdq,{'a' * 64}\n")
    with pytest.raises(ImportFormatError) as info:
        import_file(store, "a", path, skip_invalid=True)
    assert info.value.message.startswith(
        f"{path}: looks like CSV but the header lacks the columns signal_type and signal_str"
    )
    assert store.get_bank("a").entry_count == 0


@pytest.mark.parametrize(
    "content",
    ["", "\n\n  \n", HEADER, "\ufeff" + HEADER + "\n"],
    ids=["empty", "blank", "header", "bom"],
)
def test_a_file_without_hashes_is_an_error(store: BankStore, tmp_path: Path, content: str) -> None:
    store.create_bank("a")
    path = tmp_path / "list.csv"
    path.write_text(content)
    with pytest.raises(ImportFormatError, match=f"^{path}: the file holds no hashes$"):
        import_file(store, "a", path, skip_invalid=True)


def test_an_aborted_import_names_the_option_as_its_door_spells_it(
    store: BankStore, tmp_path: Path
) -> None:
    store.create_bank("a")
    path = tmp_path / "list.txt"
    path.write_text(f"pdq {'a' * 64}\npdq nothex\n")
    with pytest.raises(ImportAborted) as api:
        import_file(store, "a", path)
    assert api.value.message.endswith("fix the file, or import with skip_invalid to skip bad rows")
    with pytest.raises(ImportAborted) as cli:
        import_file(store, "a", path, skip_option="--skip-invalid")
    assert "--skip-invalid" in cli.value.message


def test_urls_with_bad_ports_are_rejected_rows(store: BankStore, tmp_path: Path) -> None:
    store.create_bank("a")
    path = tmp_path / "urls.txt"
    path.write_text(
        "url example.com/a\nurl example.com:abc\nurl example.com:99999\nurl http://[::1\n"
    )
    result = import_file(store, "a", path, skip_invalid=True)
    assert (result.accepted, result.rejected) == (1, 3)
    assert [e.line for e in result.errors] == [2, 3, 4]
    assert "port must be a number" in result.errors[0].message

"""Reading and writing ThreatExchange CSV and local_file hash lists."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest

from bastion.banks.model import MAX_SIGNALS_PER_ENTRY, BankEntry, Provenance
from bastion.errors import ImportFormatError
from bastion.exchange.formats import (
    HashEntry,
    HashListFormat,
    HashRow,
    RowError,
    detect_format,
    looks_like_te_csv,
    read_entries,
    read_local_file,
    read_te_csv,
    write_te_csv,
)
from bastion.signals import Md5Signal, PdqSignal, Signal

PDQ = PdqSignal.examples()[0]
MD5 = Md5Signal.examples()[0]


def test_reads_threatexchange_dataset_csv() -> None:
    # The header and row shape python-threatexchange's `dataset -P --csv` writes.
    text = (
        "collab,signal_type,signal_str,category,tags\r\n"
        f"Sample Data,pdq,{PDQ.upper()},POSITIVE_CLASS,media_type_photo bridge\r\n"
        f"Sample Data,md5,{MD5},INVESTIGATION_SEED,\r\n"
    )
    rows = list(read_te_csv(io.StringIO(text, newline="")))
    assert rows == [
        HashRow(
            2,
            "pdq",
            PDQ,
            {
                "collab": "Sample Data",
                "category": "POSITIVE_CLASS",
                "tags": ["media_type_photo", "bridge"],
            },
        ),
        HashRow(3, "md5", MD5, {"collab": "Sample Data", "category": "INVESTIGATION_SEED"}),
    ]


def test_columns_in_any_order_and_extra_columns_ignored() -> None:
    text = f"note,signal_str,signal_type\nhello,{PDQ},pdq\n"
    assert list(read_te_csv(io.StringIO(text))) == [HashRow(2, "pdq", PDQ, {})]


def test_bad_rows_are_reported_with_line_numbers() -> None:
    text = (
        "collab,signal_type,signal_str,category,tags\n"
        f"c,pdq,{PDQ},,\n"
        "c,pdq,nothex,,\n"
        "\n"
        f"c,facehash,{PDQ},,\n"
        "c,pdq\n"
        f'c,pdq,"{PDQ[:10]}\n{PDQ[10:]}",,\n'  # a quoted newline spans lines 7-8
        ",pdq,,,\n"
    )
    rows = list(read_te_csv(io.StringIO(text, newline="")))
    errors = [r for r in rows if isinstance(r, RowError)]
    assert [e.line for e in errors] == [3, 5, 6, 8, 9]
    assert "64 hex characters" in errors[0].message
    assert "unknown signal type 'facehash'" in errors[1].message
    assert "expected 5 fields" in errors[2].message
    assert "missing hash value" in errors[4].message


def test_header_is_required_and_never_quoted() -> None:
    with pytest.raises(ImportFormatError) as info:
        list(read_te_csv(io.StringIO(f"pdq,{PDQ}\n")))
    assert info.value.message == (
        "line 1: looks like CSV but the header lacks the columns signal_type and signal_str "
        "(a ThreatExchange CSV starts with: collab,signal_type,signal_str,category,tags)"
    )
    with pytest.raises(ImportFormatError, match="lacks the column signal_str \\(") as info:
        list(read_te_csv(io.StringIO("\n\nsecret-token-123,signal_type\n")))
    assert "line 3" in info.value.message
    assert "secret" not in info.value.message
    assert list(read_te_csv(io.StringIO(""))) == []


def test_broken_quoting_and_huge_fields_stop_with_the_line() -> None:
    huge = "x" * 100_000
    with pytest.raises(ImportFormatError, match="line 3: malformed CSV"):
        list(read_te_csv(io.StringIO(f"signal_type,signal_str\npdq,{PDQ}\npdq,{huge}\n")))
    with pytest.raises(ImportFormatError, match="malformed CSV"):
        list(read_te_csv(io.StringIO(f'signal_type,signal_str\npdq,"{PDQ}"x\n')))


def test_local_file() -> None:
    text = f"pdq {PDQ}\n\n  md5 {MD5.upper()}  \nsha256\n{PDQ}\nbogus {PDQ}\n"
    rows = list(read_local_file(io.StringIO(text)))
    assert rows[:2] == [HashRow(1, "pdq", PDQ, {}), HashRow(3, "md5", MD5, {})]
    errors = [(r.line, r.message) for r in rows[2:] if isinstance(r, RowError)]
    assert errors[:2] == [
        (4, "expected '<signal_type> <hash>'"),
        (5, "expected '<signal_type> <hash>'"),
    ]
    line, message = errors[2]
    assert line == 6
    # Every known type is named, an installed plugin's too (the test plugin's dhash).
    known = r"unknown signal type 'bogus' \(known: (.+, )?md5, netclean, orb, pdq, "
    assert re.match(known, message)


def test_local_file_with_default_type_and_overlong_line() -> None:
    text = f"{PDQ}\n{'a' * 70_000}\npdq {PDQ}\n"
    rows = list(read_local_file(io.StringIO(text), default_type="pdq"))
    assert rows[0] == HashRow(1, "pdq", PDQ, {})
    assert isinstance(rows[1], RowError)
    assert rows[1].line == 2
    assert "longer than" in rows[1].message
    assert rows[2] == HashRow(3, "pdq", PDQ, {})


def test_format_sniffing() -> None:
    assert looks_like_te_csv("collab,signal_type,signal_str,category,tags\n")
    assert not looks_like_te_csv(f"pdq {PDQ}\n")


def test_the_format_is_told_from_the_first_line_that_is_not_blank() -> None:
    assert detect_format("collab,signal_type,signal_str,category,tags\n") is HashListFormat.TE_CSV
    assert detect_format('"signal_str","signal_type"\r\n') is HashListFormat.TE_CSV
    for local_file in (
        f"pdq {PDQ}\n",
        PDQ,  # a hash alone, read with a default type
        "text hello, world\n",  # a local_file value may hold commas
        f'vpdq ["{PDQ},100,0.000"]\n',
        f'["{PDQ},100,0.000"]\n',
        "",
    ):
        assert detect_format(local_file) is HashListFormat.LOCAL_FILE, local_file
    with pytest.raises(ImportFormatError) as info:
        detect_format("type,hash,password=hunter2\n")
    assert info.value.message == (
        "looks like CSV but the header lacks the columns signal_type and signal_str "
        "(a ThreatExchange CSV starts with: collab,signal_type,signal_str,category,tags)"
    )
    with pytest.raises(ImportFormatError, match="lacks the column signal_str \\("):
        detect_format("signal_type,hash\n")


def test_rows_of_one_entry_are_read_as_one_entry() -> None:
    md5s = Md5Signal.examples()
    text = (
        "collab,signal_type,signal_str,category,tags,entry\n"
        f"c,pdq,{PDQ},,t,1\n"
        f"c,md5,{md5s[0]},,t,1\n"
        f"c,md5,{md5s[0]},,t,1\n"  # the same signal again: nothing more
        f"c,md5,{md5s[1]},,t,2\n"
        f"c,pdq,{PDQ},,t,\n"  # no entry: an entry of its own
        f"c,pdq,{PDQ},,t,2\n"  # entry 2 again, but not next to it: another entry
        f"d,md5,{md5s[1]},,t,2\n"  # entry 2, told otherwise: refused
        f"c,md5,nothex,,t,2\n"
    )
    found = list(read_entries(read_te_csv(io.StringIO(text))))
    meta = {"collab": "c", "tags": ["t"]}
    assert found == [
        HashEntry(2, (Signal("pdq", PDQ), Signal("md5", md5s[0])), meta),
        HashEntry(5, (Signal("md5", md5s[1]),), meta),
        HashEntry(6, (Signal("pdq", PDQ),), meta),
        RowError(8, "collab, category and tags differ from line 7's, which starts the same entry"),
        RowError(9, "md5: expected 32 hex characters, got 'nothex'"),
        HashEntry(7, (Signal("pdq", PDQ),), meta),
    ]
    many = "signal_type,signal_str,entry\n" + "".join(
        f"md5,{n:032x},1\n" for n in range(MAX_SIGNALS_PER_ENTRY + 1)
    )
    *_, error, last = read_entries(read_te_csv(io.StringIO(many)))
    assert error == RowError(MAX_SIGNALS_PER_ENTRY + 2, "an entry holds at most 64 signals")
    assert isinstance(last, HashEntry)
    assert len(last.signals) == MAX_SIGNALS_PER_ENTRY


def test_metadata_a_bank_cannot_hold_is_a_row_error() -> None:
    text = (
        f"collab,signal_type,signal_str\na\x00b,pdq,{PDQ}\n{'c' * 20_000},pdq,{PDQ}\nok,pdq,{PDQ}\n"
    )
    rows = list(read_te_csv(io.StringIO(text)))
    assert rows[0] == RowError(2, "metadata.collab: text must not contain NUL characters")
    assert isinstance(rows[1], RowError)
    assert rows[1].message.startswith("metadata: at most 16,384 bytes as JSON")
    assert rows[2] == HashRow(4, "pdq", PDQ, {"collab": "ok"})


def test_what_bastion_writes_reads_by_column_name_as_python_threatexchange_writes_it() -> None:
    entry = BankEntry(
        id=7, bank_id=1, bank="b", signals=(Signal("pdq", PDQ), Signal("md5", MD5)),
        metadata={"collab": "Sample Data", "category": "POSITIVE_CLASS", "tags": ["a", "b"]},
        note="", provenance=Provenance("api", None, None, datetime.now(UTC)), enabled=True,
        disabled_until=None,
    )  # fmt: skip
    ours = io.StringIO()
    write_te_csv([entry], ours)
    pytx = io.StringIO()  # python-threatexchange's `dataset -P --csv`, rows as it writes them
    writer = csv.DictWriter(pytx, ["collab", "signal_type", "signal_str", "category", "tags"])
    writer.writeheader()
    for signal in entry.signals:
        writer.writerow(
            {"collab": "Sample Data", "signal_str": signal.value, "signal_type": signal.type,
             "category": "POSITIVE_CLASS", "tags": "a b"}
        )  # fmt: skip
    columns = ["collab", "signal_type", "signal_str", "category", "tags"]
    read = [{c: row[c] for c in columns} for row in csv.DictReader(io.StringIO(ours.getvalue()))]
    assert read == list(csv.DictReader(io.StringIO(pytx.getvalue(), newline="")))
    theirs = list(read_entries(read_te_csv(io.StringIO(pytx.getvalue(), newline=""))))
    assert [e.signals for e in theirs if isinstance(e, HashEntry)] == [
        (Signal("pdq", PDQ),),
        (Signal("md5", MD5),),
    ]  # no entry column: an entry per row, as before

"""Reading and writing ThreatExchange CSV and local_file hash lists."""

from __future__ import annotations

import io

import pytest

from bastion.errors import ImportFormatError
from bastion.exchange.formats import (
    HashRow,
    RowError,
    looks_like_te_csv,
    read_local_file,
    read_te_csv,
)
from bastion.signals import Md5Signal, PdqSignal

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


def test_header_is_required() -> None:
    with pytest.raises(ImportFormatError, match="line 1: CSV header must name"):
        list(read_te_csv(io.StringIO(f"pdq,{PDQ}\n")))
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
    assert message.startswith("unknown signal type 'bogus' (known: md5, netclean, pdq, ")


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

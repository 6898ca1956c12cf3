"""`HammingSnapshot`: an immutable multi-index over binary codes, for exact range search.

This is multi-index hashing (Norouzi, Punjani and Fleet, "Fast search in Hamming space with
multi-index hashing"), laid out in flat arrays instead of hash maps:

- `planes` (W, U): the distinct codes, one row per 64-bit word (word planes: a scan reads the
  first two words of every code and the rest only for codes still within the radius). A code
  stored under many ids is stored once, so 100,000 copies of one hash make one bucket entry
  per table, not 100,000.
- `row_ids` (N): every id, ascending. When no code repeats, row i has code i; otherwise
  `row_code` gives each row's code and `code_offsets`/`code_rows` list each code's rows.
- m tables, one per disjoint `b`-bit substring of the code. The codes whose substring t equals
  `key` are `bucket_codes[bucket_offsets[t * 2**b + key] : bucket_offsets[t * 2**b + key + 1]]`.

Search rests on a pigeonhole argument. Write the radius as r = s * m + t (0 <= t < m). If two
codes differ in at most r bits, then one of the first t + 1 substrings differs in at most s
bits, or one of the others in at most s - 1: otherwise they would differ in at least
(t + 1)(s + 1) + (m - t - 1)s = r + 1 bits. So probing those tables with every key within that
radius of the query's substring finds every code within r, and checking each candidate's full
distance keeps exactly those. The substrings need not cover every bit: distance over a subset of
bits never exceeds the whole distance. Where probing would cost more than reading every code
(a large radius, or a bucket swollen by near-duplicates), the search scans instead, so the
answer is always exact and never much slower than brute force.
"""

from __future__ import annotations

import json
import math
import mmap
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bastion.index.codes import Codes, Ids, check_bits, code_to_int, near, substrings

FORMAT = "bastion-hamming-snapshot/1"

# Rough costs, in units of "compare one code in a scan", used to choose probing or scanning.
PROBE_COST = 8.0
CANDIDATE_COST = 20.0
SCAN_CHUNK = 65_536
# Table bytes per code allowed when choosing the key width (ids and codes come on top).
MAX_TABLE_BYTES = 88

Found = tuple[Ids, npt.NDArray[np.int64]]


def default_substring_bits(count: int, bits: int) -> int:
    """Table key width for `count` codes of `bits` bits.

    About one code per bucket (log2 of the count), narrowed while the tables would take more
    than `MAX_TABLE_BYTES` per code: wider keys mean fewer candidates but bigger offset arrays.
    """
    b = min(26, max(8, math.floor(math.log2(max(count, 1)))))
    while b > 8 and _table_bytes(max(count, 1), bits, b) > MAX_TABLE_BYTES:
        b -= 1
    return b


def _table_bytes(count: int, bits: int, b: int) -> float:
    """Bytes per code of the tables: a 4-byte entry per table, plus the bucket offsets."""
    tables = bits // b
    return tables * 4 * (1 + (1 << b) / count)


@cache
def _masks(width: int, radius: int) -> npt.NDArray[np.int64]:
    """Every `width`-bit integer with at most `radius` bits set, fewest bits first."""
    masks = [0]
    for k in range(1, radius + 1):
        masks.extend(sum(1 << bit for bit in bits) for bits in combinations(range(width), k))
    return np.array(masks, dtype=np.int64)


def _probe_count(width: int, radius: int) -> int:
    return sum(math.comb(width, k) for k in range(radius + 1)) if radius >= 0 else 0


def _expand(starts: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64]) -> Ids:
    """Concatenate the ranges [start, start + length) into one array of positions."""
    total = int(lengths.sum())
    ends = np.cumsum(lengths)
    positions: Ids = np.arange(total, dtype=np.int64) + np.repeat(
        starts - (ends - lengths), lengths
    )
    return positions


@dataclass(frozen=True)
class _Plan:
    """Probes of one radius: for each, the flat bucket-offset index before XOR-ing the mask."""

    tables: npt.NDArray[np.int64]
    masks: npt.NDArray[np.int64]
    bases: npt.NDArray[np.int64]


class HammingSnapshot:
    """Immutable; build with `build()` or load with `open()`. Safe to share between threads."""

    def __init__(self, bits: int, substring_bits: int, arrays: dict[str, Any]) -> None:
        self.bits = check_bits(bits)
        self.substring_bits = substring_bits
        self.tables = bits // substring_bits
        self.planes: Codes = arrays["planes"]
        self.row_ids: Ids = arrays["row_ids"]
        self.row_code: npt.NDArray[Any] | None = arrays.get("row_code")
        self.code_offsets: npt.NDArray[Any] | None = arrays.get("code_offsets")
        self.code_rows: npt.NDArray[Any] | None = arrays.get("code_rows")
        self.bucket_offsets: npt.NDArray[Any] = arrays["bucket_offsets"]
        self.bucket_codes: npt.NDArray[Any] = arrays["bucket_codes"]
        self._plans: dict[int, _Plan | None] = {}

    # Building --------------------------------------------------------------------------

    @classmethod
    def build(
        cls, ids: Ids, codes: Codes, bits: int, *, substring_bits: int | None = None
    ) -> HammingSnapshot:
        """Index `codes` (N, bits // 64) under `ids` (N, distinct)."""
        check_bits(bits)
        ids = np.asarray(ids, dtype=np.int64)
        codes = np.ascontiguousarray(codes, dtype=np.uint64).reshape(len(ids), bits // 64)
        order = np.argsort(ids, kind="stable")
        ids, codes = ids[order], codes[order]
        if len(ids) > 1 and bool(np.any(ids[1:] == ids[:-1])):
            raise ValueError("ids must be distinct")
        arrays: dict[str, Any] = {"row_ids": ids, **_deduplicate(codes)}
        unique = arrays.pop("codes")
        if len(unique) >= 2**32:
            raise ValueError("a snapshot holds fewer than 2**32 distinct codes")
        b = substring_bits or default_substring_bits(len(unique), bits)
        if not 1 <= b <= 32 or b > bits:
            raise ValueError("substring_bits must be between 1 and 32")
        arrays.update(_tables(unique, bits, b))
        arrays["planes"] = np.ascontiguousarray(unique.T)
        return cls(bits, b, arrays)

    # Reading -----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.row_ids)

    @property
    def distinct(self) -> int:
        return int(self.planes.shape[1])

    @property
    def file_backed(self) -> bool:
        """Whether the codes live in a mapped file (shared pages) rather than private memory."""
        base: object = self.planes
        while base is not None:
            if isinstance(base, mmap.mmap):
                return True
            base = getattr(base, "base", None)
        return False

    def rows(self) -> tuple[Ids, Codes]:
        """Every (id, code) pair, ids ascending."""
        codes = np.ascontiguousarray(self.planes.T)
        if self.row_code is None:
            return self.row_ids, codes
        return self.row_ids, codes[self.row_code]

    def positions(self, ids: Ids) -> Ids:
        """Row of each id, or -1 where the id is absent."""
        ids = np.asarray(ids, dtype=np.int64)
        rows = np.searchsorted(self.row_ids, ids)
        found = rows < len(self.row_ids)
        found[found] = self.row_ids[rows[found]] == ids[found]
        return np.where(found, rows, -1)

    def code_of(self, id: int) -> Codes | None:
        row = int(self.positions(np.array([id]))[0])
        if row < 0:
            return None
        code = row if self.row_code is None else int(self.row_code[row])
        return np.asarray(self.planes[:, code])

    def search(self, query: Codes, radius: int) -> Found:
        """(ids, distances) of every stored code within `radius` of `query` (one row)."""
        found, dist = self._search_codes(np.asarray(query, dtype=np.uint64), radius)
        return self._ids_of(found, dist)

    def _search_codes(self, query: Codes, radius: int) -> Found:
        if radius < 0 or not self.distinct:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        plan = self._plan(radius)
        if plan is None:
            return self._scan(query, radius)
        whole = code_to_int(query)
        b = self.substring_bits
        keys_mask = (1 << b) - 1
        subs = np.array(
            [(whole >> (self.bits - (t + 1) * b)) & keys_mask for t in range(self.tables)],
            dtype=np.int64,
        )
        keys = (subs[plan.tables] ^ plan.masks) + plan.bases
        starts = self.bucket_offsets[keys].astype(np.int64)
        lengths = self.bucket_offsets[keys + 1].astype(np.int64) - starts
        total = int(lengths.sum())
        if total * CANDIDATE_COST > self.distinct:
            return self._scan(query, radius)
        candidates = self.bucket_codes[_expand(starts, lengths)].astype(np.int64)
        found, dist = near(self.planes, query, radius, rows=candidates)
        found, first = np.unique(found, return_index=True)
        return found, dist[first]

    def _plan(self, radius: int) -> _Plan | None:
        """The probes for `radius`, or None where scanning is cheaper."""
        if radius in self._plans:
            return self._plans[radius]
        m, b = self.tables, self.substring_bits
        s, t = divmod(radius, m)
        radii = [s] * (t + 1) + [s - 1] * (m - t - 1)
        probes = sum(_probe_count(b, r) for r in radii)
        plan = None
        if probes * PROBE_COST < self.distinct and s <= b:
            tables = np.concatenate(
                [np.full(_probe_count(b, r), i, np.int64) for i, r in enumerate(radii) if r >= 0]
            )
            masks = np.concatenate([_masks(b, r) for r in radii if r >= 0])
            plan = _Plan(tables, masks, tables * (1 << b))
        self._plans[radius] = plan
        return plan

    def _scan(self, query: Codes, radius: int) -> Found:
        found, dist = [], []
        for start in range(0, self.distinct, SCAN_CHUNK):
            stop = min(start + SCAN_CHUNK, self.distinct)
            positions, d = near(self.planes, query, radius, start=start, stop=stop)
            found.append(positions)
            dist.append(d)
        return np.concatenate(found), np.concatenate(dist)

    def _ids_of(self, codes: Ids, dist: npt.NDArray[np.int64]) -> Found:
        if self.code_offsets is None or self.code_rows is None:
            return self.row_ids[codes], dist
        starts = self.code_offsets[codes].astype(np.int64)
        lengths = self.code_offsets[codes + 1].astype(np.int64) - starts
        rows = self.code_rows[_expand(starts, lengths)]
        return self.row_ids[rows], np.repeat(dist, lengths)

    # Saving ------------------------------------------------------------------------------

    def arrays(self) -> dict[str, npt.NDArray[Any]]:
        named = {
            "planes": self.planes,
            "row_ids": self.row_ids,
            "row_code": self.row_code,
            "code_offsets": self.code_offsets,
            "code_rows": self.code_rows,
            "bucket_offsets": self.bucket_offsets,
            "bucket_codes": self.bucket_codes,
        }
        return {name: array for name, array in named.items() if array is not None}

    def save(self, directory: Path, extra: dict[str, Any] | None = None) -> None:
        """Write into `directory` (created; must not hold a snapshot already)."""
        directory.mkdir(parents=True, exist_ok=False)
        for name, array in self.arrays().items():
            np.save(directory / f"{name}.npy", array, allow_pickle=False)
        meta = {
            "format": FORMAT,
            "bits": self.bits,
            "substring_bits": self.substring_bits,
            "count": len(self),
            "extra": extra or {},
        }
        (directory / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")

    @classmethod
    def open(cls, directory: Path) -> tuple[HammingSnapshot, dict[str, Any]]:
        """Map a saved snapshot read-only (pages are shared by every process that maps it)."""
        try:
            meta = json.loads((directory / "meta.json").read_text())
        except (OSError, ValueError) as exc:
            raise ValueError(f"{directory} does not hold a readable snapshot: {exc}") from exc
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise ValueError(f"{directory} does not hold a {FORMAT} snapshot")
        try:
            # Plain ndarray views of the mapped files: the same shared pages, without the
            # `np.memmap` subclass, whose Python-level indexing costs more than the search.
            arrays = {
                path.stem: np.load(path, mmap_mode="r", allow_pickle=False).view(np.ndarray)
                for path in directory.glob("*.npy")
            }
            snapshot = cls(meta["bits"], meta["substring_bits"], arrays)
        except (OSError, ValueError, KeyError) as exc:
            raise ValueError(f"snapshot in {directory} is damaged: {exc!r}") from exc
        if len(snapshot) != meta["count"] or snapshot.distinct > len(snapshot):
            raise ValueError(f"snapshot in {directory} is damaged: counts disagree")
        return snapshot, dict(meta["extra"])


def _deduplicate(codes: Codes) -> dict[str, npt.NDArray[Any]]:
    """The distinct codes, and how rows map to them when some repeat."""
    if len(codes) < 2:
        return {"codes": codes}
    key = codes[:, 0].copy()
    for word in range(1, codes.shape[1]):
        key = key * np.uint64(0x9E3779B97F4A7C15) ^ codes[:, word]
    order = np.argsort(key, kind="stable")
    ordered = codes[order]
    starts = np.ones(len(codes), dtype=bool)
    starts[1:] = np.any(ordered[1:] != ordered[:-1], axis=1)
    if starts.all():
        return {"codes": codes}
    # Equal codes are adjacent unless two different codes share a key (then a code may be
    # stored twice, which costs a little space and changes no answer).
    group = np.cumsum(starts) - 1
    row_code = np.empty(len(codes), dtype=np.uint32)
    row_code[order] = group
    return {
        "codes": ordered[starts],
        "row_code": row_code,
        "code_offsets": np.append(np.flatnonzero(starts), len(codes)).astype(
            np.uint32 if len(codes) < 2**32 else np.int64
        ),
        "code_rows": order.astype(np.uint32),
    }


def _tables(codes: Codes, bits: int, b: int) -> dict[str, npt.NDArray[Any]]:
    m, size, count = bits // b, 1 << b, len(codes)
    offset_type = np.uint32 if m * count < 2**32 else np.int64
    bucket_offsets = np.zeros(m * size + 1, dtype=offset_type)
    bucket_codes = np.empty(m * count, dtype=np.uint32)

    def table(t: int) -> None:
        keys = substrings(codes, t * b, b)
        bucket_codes[t * count : (t + 1) * count] = np.argsort(keys)
        counts = np.bincount(keys, minlength=size)
        bucket_offsets[t * size + 1 : (t + 1) * size + 1] = np.cumsum(counts) + t * count

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(table, range(m)))
    return {"bucket_offsets": bucket_offsets, "bucket_codes": bucket_codes}

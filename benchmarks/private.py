"""Private matching: what blinded tables and vouchers cost, and what near tokens recall and
leak.

    python benchmarks/private.py [--part exact|near|all] [--sizes 100000,1000000]
                                 [--items 200] [--client-items 1000] [--photos 40]
                                 [--samples 20] [--seed 7] [--json FILE]

Everything runs in this process, on one core (libsodium through PyNaCl, and the standard
library); nothing is downloaded.

1. exact: a bank of N random MD5 values (seeded) as exact tokens.
   - The service's side: placing the tokens in a cuckoo table (`cuckoo.build`) and blinding
     every slot (a·H(token) for a placed token, a random point for an empty slot); the
     table's slots and bytes (32 per slot).
   - The device's side: `voucher.make` for an image's usual three tokens (MD5, SHA-256 and
     PDQ) and for one token: ms per item (median) and the voucher's bytes.
   - The server's side: `Voucher.decode` then `open_voucher`, for vouchers that match (one
     token in the bank) and for vouchers that do not: ms per voucher. Every matching voucher
     must open and every other must not; five opened items of one account must give its key
     (the account threshold is 5) and four must not.
   - The anchors, same values, same run: plain matching (a Python `set` of the hex values)
     and OpenMined's PSI (`openmined_psi`, ECDH with the server's set sent as RAW, GCS or a
     Bloom filter). OpenMined's PSI shows the client the intersection and has no
     threshold: it is an anchor for cost only, not a protocol that does what vouchers do.
2. near: the recall of near tokens beside plain PDQ matching, on the robustness benchmark's
   transforms (`bastion.robustness.transforms`, every member of every family) of
   `--photos` benign photos (`default_photos`: photos shipped with installed packages and
   generated fixtures, near-duplicates and flat images dropped as `split` does). Each
   transformed image is JPEG-encoded as the robustness benchmark does and hashed with
   `bastion.pdq.hash_image`. A plain match is a distance <= 31; a near match needs at
   least one agreeing token (item threshold 1) and a distance <= 31 (the server checks the
   distance once the item is revealed). For tables x bits in {16, 32, 64} x {16, 24, 32}:
   recall per family (its mean and its lowest member) and overall, and the leakage: the
   share of unrelated pairs (an original and a transformed copy of another photo) with an
   agreeing token, extrapolated to banks of 100,000 and 1,000,000 hashes, the bits each
   agreeing token reveals, and the near table's size. Then a sample of transformed images
   goes through the real protocol (a near table of the originals' tokens, `voucher.make`,
   `open_voucher`): a voucher must open exactly when one of its tokens is in the table.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from bastion.pdq import hash_image
from bastion.private import cuckoo, group, table, voucher
from bastion.private.tokens import Lsh, exact_token, exact_tokens
from bastion.robustness.photos import default_photos, split
from bastion.robustness.transforms import FAMILIES, TRANSFORMS

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe

PDQ_THRESHOLD = 31
MIN_QUALITY = 50
ACCOUNT = "acct"
ACCOUNT_THRESHOLD = 5
PAYLOAD = {"content": "x"}
GRID_TABLES = (16, 32, 64)
GRID_BITS = (16, 24, 32)
CHOSEN = (32, 32)
BANKS = (100_000, 1_000_000)
PSI_FPR = 1e-9
MB = 1024 * 1024


def hexes(rng: random.Random, count: int, digits: int) -> list[str]:
    return [f"{rng.getrandbits(digits * 4):0{digits}x}" for _ in range(count)]


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1e3


def blinded_table(
    tokens: list[bytes], kind: str, lsh: Lsh | None, rng: random.Random
) -> tuple[table.BlindedTable, int, dict[str, float]]:
    """A table of `tokens` (distinct) as the service builds one, its blinding scalar, and
    the time of each step (a full table is rebuilt with a new seed, as the service does)."""
    size = cuckoo.size_for(len(tokens))
    began = time.perf_counter()
    rebuilds = 0
    while True:
        seed = rng.randbytes(16)
        try:
            placed = cuckoo.build(tokens, seed, size)
            break
        except cuckoo.TableFullError:
            rebuilds += 1
    placing = time.perf_counter() - began
    alpha = group.random_scalar()
    began = time.perf_counter()
    points = bytearray(size * group.POINT_BYTES)
    for slot in range(size):
        token = placed.get(slot)
        point = (
            group.random_point() if token is None else group.mult(alpha, voucher.token_point(token))
        )
        points[slot * group.POINT_BYTES : (slot + 1) * group.POINT_BYTES] = point
    blinding = time.perf_counter() - began
    info = table.TableInfo(
        id=rng.randbytes(16), kind=kind, version=1, size=size, seed=seed,
        public_key=group.base_mult(alpha), account_threshold=ACCOUNT_THRESHOLD,
        item_threshold=1, lsh=lsh,
    )  # fmt: skip
    built = table.BlindedTable(info, bytes(points))
    return built, alpha, {"placing_s": placing, "blinding_s": blinding, "rebuilds": rebuilds}


# Part 1: exact tokens -----------------------------------------------------------------------


def client_and_server(
    built: table.BlindedTable, alpha: int, bank: list[str], items: int, rng: random.Random
) -> dict[str, Any]:
    """Vouchers made and opened for `items` items of each kind; every answer checked."""
    account = voucher.Account(ACCOUNT, rng.randbytes(32))
    picked = rng.sample(bank, items)

    def image(md5: str) -> dict[str, str]:  # an image's usual signals
        return {"md5": md5, "sha256": hexes(rng, 1, 64)[0], "pdq": hexes(rng, 1, 64)[0]}

    def md5_last(signals: dict[str, str]) -> list[bytes]:
        return [exact_token(t, signals[t]) for t in ("sha256", "pdq", "md5")]

    strangers = hexes(rng, items, 32)
    kinds: dict[str, tuple[list[list[bytes]], bool]] = {
        "3 tokens, match (MD5 first)": ([exact_tokens(image(m)) for m in picked], True),
        "3 tokens, match (MD5 last)": ([md5_last(image(m)) for m in picked], True),
        "3 tokens, no match": ([exact_tokens(image(m)) for m in strangers], False),
        "1 token, match": ([[exact_token("md5", m)] for m in picked], True),
        "1 token, no match": ([[exact_token("md5", m)] for m in strangers], False),
    }
    rows = []
    opened_shares: list[voucher.Opened] = []
    for name, (token_lists, matches) in kinds.items():
        made, blobs = [], []
        for tokens in token_lists:
            began = time.perf_counter()
            v = voucher.make(built, account, tokens, PAYLOAD)
            made.append(time.perf_counter() - began)
            blobs.append(v.encode())
        opened_times, opened = [], 0
        for blob in blobs:
            began = time.perf_counter()
            result = voucher.open_voucher(voucher.Voucher.decode(blob), alpha, ACCOUNT)
            opened_times.append(time.perf_counter() - began)
            assert (result is not None) == matches, f"{name}: a voucher opened wrongly"
            if result is not None:
                opened += 1
                if len(opened_shares) < ACCOUNT_THRESHOLD:
                    opened_shares.append(result)
        rows.append(
            {
                "vouchers": name,
                "tokens": len(token_lists[0]),
                "make_ms": median_ms(made),
                "make_p99_ms": float(np.percentile(made, 99) * 1e3),
                "bytes": statistics.median(len(b) for b in blobs),
                "open_ms": median_ms(opened_times),
                "open_p99_ms": float(np.percentile(opened_times, 99) * 1e3),
                "opened": opened,
                "of": len(blobs),
            }
        )
    shares = [o.share for o in opened_shares]
    sealed = opened_shares[0].inner
    key = voucher.account_key(shares, ACCOUNT_THRESHOLD, sealed)
    assert key is not None, "no account key from as many shares as the threshold"
    assert voucher.open_payload(key, sealed) == PAYLOAD, "the account key opens no payload"
    short = voucher.account_key(shares[:-1], ACCOUNT_THRESHOLD, sealed)
    assert short is None, "an account key from fewer shares than the threshold"
    return {"rows": rows, "threshold_check": f"{ACCOUNT_THRESHOLD} shares open, 4 do not"}


def plain_set(bank: list[str], rng: random.Random) -> dict[str, Any]:
    began = time.perf_counter()
    values = set(bank)
    build = time.perf_counter() - began
    half = min(50_000, len(bank))
    queries = rng.sample(bank, half) + hexes(rng, half, 32)
    rng.shuffle(queries)
    began = time.perf_counter()
    found = sum(1 for q in queries if q in values)
    per_query = (time.perf_counter() - began) / len(queries)
    assert found >= half
    memory = sys.getsizeof(values) + sum(sys.getsizeof(v) for v in bank)
    return {"build_s": build, "query_us": per_query * 1e6, "bytes": memory}


def openmined(bank: list[str], client_items: int, rng: random.Random) -> list[dict[str, Any]]:
    import private_set_intersection.python as psi

    present = client_items // 10
    client = rng.sample(bank, present) + hexes(rng, client_items - present, 32)
    rows = []
    for structure in ("RAW", "GCS", "BLOOM_FILTER"):
        server = psi.server.CreateWithNewKey(True)
        device = psi.client.CreateWithNewKey(True)
        began = time.perf_counter()
        setup = server.CreateSetupMessage(
            PSI_FPR, client_items, bank, getattr(psi.DataStructure, structure)
        )
        setup_s = time.perf_counter() - began
        setup_bytes = len(setup.SerializeToString())
        began = time.perf_counter()
        request = device.CreateRequest(client)
        request_s = time.perf_counter() - began
        began = time.perf_counter()
        response = server.ProcessRequest(request)
        process_s = time.perf_counter() - began
        began = time.perf_counter()
        found = device.GetIntersection(setup, response)
        intersect_s = time.perf_counter() - began
        assert set(range(present)) <= set(found), f"PSI {structure} missed an item"
        rows.append(
            {
                "structure": structure,
                "setup_s": setup_s,
                "setup_bytes": setup_bytes,
                "request_ms": request_s / client_items * 1e3,
                "process_ms": process_s / client_items * 1e3,
                "intersect_ms": intersect_s / client_items * 1e3,
                "request_bytes": len(request.SerializeToString()) / client_items,
                "response_bytes": len(response.SerializeToString()) / client_items,
                "found": len(found),
                "present": present,
            }
        )
        del setup, server
    return rows


def exact_part(sizes: list[int], items: int, client_items: int, seed: int) -> list[dict]:
    results = []
    for n in sizes:
        rng = random.Random(seed * 1_000_003 + n)
        print(f"\nexact: a bank of {n:,} MD5 values ...", flush=True)
        bank = hexes(rng, n, 32)
        tokens = list(dict.fromkeys(exact_token("md5", v) for v in bank))
        built, alpha, times = blinded_table(tokens, "exact", None, rng)
        slots = built.info.size
        print(
            f"  table: {slots:,} slots placed in {times['placing_s']:.1f} s, blinded in "
            f"{times['blinding_s']:.1f} s",
            flush=True,
        )
        costs = client_and_server(built, alpha, bank, items, rng)
        print("  vouchers made and opened", flush=True)
        plain = plain_set(bank, rng)
        psi_rows = openmined(bank, client_items, rng)
        print("  OpenMined PSI measured", flush=True)
        results.append(
            {
                "bank": n,
                "tokens": len(tokens),
                "slots": slots,
                "table_bytes": slots * group.POINT_BYTES,
                **times,
                "build_s": times["placing_s"] + times["blinding_s"],
                "blind_us_per_slot": times["blinding_s"] / slots * 1e6,
                **costs,
                "plain_set": plain,
                "openmined_psi": psi_rows,
                "psi_client_items": client_items,
            }
        )
        del built, bank, tokens
    return results


def print_exact(results: list[dict], items: int) -> None:
    print("\n## Exact tokens: the blinded table (the service, one core)\n")
    print(
        "| bank | slots | table bytes | MB | cuckoo placing s | blinding s | build total s "
        "| µs per blinded slot | rebuilds |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['bank']:,} | {r['slots']:,} | {r['table_bytes']:,} | "
            f"{r['table_bytes'] / MB:.1f} | {r['placing_s']:.1f} | {r['blinding_s']:.1f} | "
            f"{r['build_s']:.1f} | {r['blind_us_per_slot']:.0f} | {r['rebuilds']} |"
        )
    print(
        f"\n## Exact tokens: vouchers ({items} items of each kind; median, p99 in brackets; "
        "open = `Voucher.decode` + `open_voucher`)\n"
    )
    print(
        "| bank | vouchers | tokens | device: make ms | voucher bytes | server: open ms | opened |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|")
    for r in results:
        for row in r["rows"]:
            print(
                f"| {r['bank']:,} | {row['vouchers']} | {row['tokens']} | "
                f"{row['make_ms']:.2f} ({row['make_p99_ms']:.2f}) | {row['bytes']:,.0f} | "
                f"{row['open_ms']:.2f} ({row['open_p99_ms']:.2f}) | "
                f"{row['opened']}/{row['of']} |"
            )
    for r in results:
        print(
            f"\nbank {r['bank']:,}: every matching voucher opened and no other; account "
            f"threshold check: {r['threshold_check']}."
        )
    print("\n## Anchor: plain matching (a Python set of the hex values, nothing private)\n")
    print("| bank | build s | µs per query | bytes (set and strings) |")
    print("|---:|---:|---:|---:|")
    for r in results:
        p = r["plain_set"]
        print(f"| {r['bank']:,} | {p['build_s']:.2f} | {p['query_us']:.3f} | {p['bytes']:,} |")
    client_items = results[0]["psi_client_items"] if results else 0
    print(
        f"\n## Anchor: OpenMined PSI (openmined_psi, reveal_intersection=True, fpr "
        f"{PSI_FPR:g}, {client_items:,} client items of which 10% in the set; per client "
        "item = total / client items)\n"
    )
    print(
        "OpenMined's PSI shows the client the intersection and has no threshold (nothing "
        "like the account threshold, and nothing kept from the client): an anchor for "
        "cost only.\n"
    )
    print(
        "| bank | structure | setup s | setup bytes | setup MB | request ms/item | "
        "process ms/item | intersection ms/item | request B/item | response B/item | found |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        for p in r["openmined_psi"]:
            print(
                f"| {r['bank']:,} | {p['structure']} | {p['setup_s']:.1f} | "
                f"{p['setup_bytes']:,} | {p['setup_bytes'] / MB:.1f} | {p['request_ms']:.3f} | "
                f"{p['process_ms']:.3f} | {p['intersect_ms']:.3f} | {p['request_bytes']:.0f} | "
                f"{p['response_bytes']:.0f} | {p['found']} of {p['present']} |"
            )


# Part 2: near tokens ------------------------------------------------------------------------


def near_photos(count: int, seed: int) -> list[Any]:
    chosen = split(default_photos(count), distractors=0.0, seed=seed, min_quality=MIN_QUALITY)
    shipped_first = sorted(chosen.references, key=lambda p: (p.name.startswith("fixture:"), p.name))
    return shipped_first[:count]


def distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def near_part(photo_count: int, samples: int, seed: int) -> dict[str, Any]:
    photos = near_photos(photo_count, seed)
    names = [p.name for p in photos]
    print(
        f"\nnear: {len(photos)} photos ({sum(not n.startswith('fixture:') for n in names)} "
        f"shipped photos, the rest generated fixtures), {len(TRANSFORMS)} transforms ...",
        flush=True,
    )
    originals = [hash_image(p.image).hash for p in photos]
    rng = np.random.default_rng(seed)
    edited: list[tuple[int, int, str]] = []  # transform, photo, hash
    began = time.perf_counter()
    for t_index, transform in enumerate(TRANSFORMS):
        for p_index, photo in enumerate(photos):
            data = transform.encode(photo.image, rng)
            edited.append((t_index, p_index, hash_image(Image.open(io.BytesIO(data))).hash))
    print(f"  {len(edited):,} transformed images hashed in {time.perf_counter() - began:.0f} s")
    own_distance = [distance(originals[p], h) for _, p, h in edited]
    plain = [d <= PDQ_THRESHOLD for d in own_distance]
    originals_int = [int(h, 16) for h in originals]
    unrelated_plain = sum(
        (originals_int[q] ^ int(h, 16)).bit_count() <= PDQ_THRESHOLD
        for _, p, h in edited
        for q in range(len(photos))
        if q != p
    )
    unrelated_pairs = len(edited) * (len(photos) - 1)

    seed_rng = random.Random(seed)
    grid = []
    chosen_tokens: tuple[Lsh, list[list[bytes]], list[list[bytes]]] | None = None
    for tables in GRID_TABLES:
        for bits in GRID_BITS:
            lsh = Lsh(tables, bits, seed_rng.randbytes(16))
            bank_tokens = [lsh.tokens(h) for h in originals]
            query_tokens = [lsh.tokens(h) for _, _, h in edited]
            owners: dict[bytes, set[int]] = defaultdict(set)
            for p_index, tokens in enumerate(bank_tokens):
                for token in tokens:
                    owners[token].add(p_index)
            agree = [
                len(set(bank_tokens[p]) & set(q))
                for (_, p, _), q in zip(edited, query_tokens, strict=True)
            ]
            false_candidates = 0
            for (_, p, _), tokens in zip(edited, query_tokens, strict=True):
                others: set[int] = set()
                for token in tokens:
                    others |= owners.get(token, set())
                others.discard(p)
                false_candidates += len(others)
            near = [a >= 1 and m for a, m in zip(agree, plain, strict=True)]
            p_pair = false_candidates / unrelated_pairs
            bound = 3 / unrelated_pairs  # the rule of three, when none is seen
            grid.append(
                {
                    "tables": tables,
                    "bits": bits,
                    "near_recall": float(np.mean(near)),
                    "candidate_recall": float(np.mean([a >= 1 for a in agree])),
                    "kept_of_plain": sum(near) / max(1, sum(plain)),
                    "families": family_scores(edited, near),
                    "false_candidate_pairs": false_candidates,
                    "p_pair": p_pair,
                    "p_pair_upper": bound if false_candidates == 0 else None,
                    "expected": {str(n): 1 - (1 - (p_pair or bound)) ** n for n in BANKS},
                    "uniform": {str(n): tables * n / 2**bits for n in BANKS},
                    "bits_revealed_per_agreeing_token": bits,
                    "table_bytes": {
                        str(n): int(tables * n / cuckoo.BUILD_LOAD) * group.POINT_BYTES
                        for n in BANKS
                    },
                    "mean_agreeing_tokens_when_plain_match": float(
                        np.mean([a for a, m in zip(agree, plain, strict=True) if m] or [0])
                    ),
                }
            )
            if (tables, bits) == CHOSEN:
                chosen_tokens = (lsh, bank_tokens, query_tokens)
            print(f"  tables {tables}, bits {bits}: done", flush=True)
    assert chosen_tokens is not None
    protocol = protocol_check(edited, *chosen_tokens, samples, seed)
    return {
        "photos": names,
        "transforms": len(TRANSFORMS),
        "pairs": len(edited),
        "plain_recall": float(np.mean(plain)),
        "plain_families": family_scores(edited, plain),
        "unrelated_pairs": unrelated_pairs,
        "unrelated_plain_matches": unrelated_plain,
        "grid": grid,
        "protocol": protocol,
    }


def family_scores(edited: list[tuple[int, int, str]], hits: list[bool]) -> dict[str, dict]:
    per_transform: dict[int, list[bool]] = defaultdict(list)
    for (t_index, _, _), hit in zip(edited, hits, strict=True):
        per_transform[t_index].append(hit)
    recall = {TRANSFORMS[t].name: float(np.mean(v)) for t, v in per_transform.items()}
    out = {}
    for family, members in FAMILIES.items():
        values = {m.name: recall[m.name] for m in members}
        lowest = min(values, key=values.__getitem__)
        out[family] = {
            "members": len(members),
            "mean": float(np.mean(list(values.values()))),
            "lowest": values[lowest],
            "lowest_member": lowest,
        }
    return out


def protocol_check(
    edited: list[tuple[int, int, str]],
    lsh: Lsh,
    bank_tokens: list[list[bytes]],
    query_tokens: list[list[bytes]],
    samples: int,
    seed: int,
) -> dict[str, Any]:
    """A near table of the originals' tokens; `samples` transformed images (half with an
    agreeing token, half without, where there are) as vouchers, opened by the server."""
    rng = random.Random(seed)
    in_table = {t for tokens in bank_tokens for t in tokens}
    agreeing = [i for i, q in enumerate(query_tokens) if in_table.intersection(q)]
    other = [i for i, q in enumerate(query_tokens) if not in_table.intersection(q)]
    half = min(len(agreeing), samples // 2)
    picked = rng.sample(agreeing, half) + rng.sample(other, min(len(other), samples - half))
    built, alpha, times = blinded_table(sorted(in_table), "near", lsh, rng)
    account = voucher.Account(ACCOUNT, rng.randbytes(32))
    made, opened_times, sizes, agree_opened = [], [], [], 0
    for i in picked:
        began = time.perf_counter()
        v = voucher.make(built, account, query_tokens[i], PAYLOAD)
        made.append(time.perf_counter() - began)
        blob = v.encode()
        sizes.append(len(blob))
        began = time.perf_counter()
        result = voucher.open_voucher(voucher.Voucher.decode(blob), alpha, ACCOUNT)
        opened_times.append(time.perf_counter() - began)
        expected = bool(in_table.intersection(query_tokens[i]))
        assert (result is not None) == expected, f"voucher {i}: opened != an agreeing token"
        agree_opened += result is not None
    return {
        "tables": lsh.tables,
        "bits": lsh.bits,
        "table_tokens": len(in_table),
        "table_slots": built.info.size,
        "table_build_s": times["placing_s"] + times["blinding_s"],
        "vouchers": len(picked),
        "opened": agree_opened,
        "make_ms": median_ms(made),
        "open_ms": median_ms(opened_times),
        "voucher_bytes": statistics.median(sizes),
    }


def percent(value: float) -> str:
    return f"{value * 100:.1f}"


def rate(value: float) -> str:
    return f"{value:.2e}" if value < 0.01 else f"{value:.3f}"


def print_near(result: dict[str, Any]) -> None:
    grid = result["grid"]
    print(
        f"\n## Near tokens: recall ({len(result['photos'])} photos x {result['transforms']} "
        f"transforms = {result['pairs']:,} edited copies; item threshold k = 1)\n"
    )
    print(
        "Plain: PDQ distance to the original <= 31. Near: at least one agreeing token and a "
        "distance <= 31 (the server confirms the distance once the item is revealed). "
        "Candidates: at least one agreeing token, whatever the distance.\n"
    )
    print(
        "| tables | bits | near recall % | plain recall % | plain matches kept % | "
        "candidates % | mean agreeing tokens (plain matches) | lowest family (its lowest member) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    for g in grid:
        low = min(g["families"].items(), key=lambda kv: kv[1]["lowest"])
        print(
            f"| {g['tables']} | {g['bits']} | {percent(g['near_recall'])} | "
            f"{percent(result['plain_recall'])} | {percent(g['kept_of_plain'])} | "
            f"{percent(g['candidate_recall'])} | {g['mean_agreeing_tokens_when_plain_match']:.1f} "
            f"| {low[0]}: {low[1]['lowest_member']} {percent(low[1]['lowest'])} |"
        )
    print("\n### Recall per family, % (mean over members / lowest member)\n")
    header = " | ".join(f"{g['tables']}x{g['bits']}" for g in grid)
    print(f"| family | members | plain | {header} |")
    print("|---|---:|---:|" + "---:|" * len(grid))
    for family, plain in result["plain_families"].items():
        cells = " | ".join(
            f"{percent(g['families'][family]['mean'])} / {percent(g['families'][family]['lowest'])}"
            for g in grid
        )
        print(
            f"| {family} | {plain['members']} | {percent(plain['mean'])} / "
            f"{percent(plain['lowest'])} | {cells} |"
        )
    pairs = result["unrelated_pairs"]
    print(
        f"\n## Near tokens: leakage ({pairs:,} unrelated pairs: each original against every "
        f"transformed copy of another photo; {result['unrelated_plain_matches']} of them are "
        "within 31 bits)\n"
    )
    print(
        "A false candidate is an unrelated pair with an agreeing token: past the account "
        "threshold the service would see that item although it does not match. Per query "
        "against a bank of N: 1 - (1 - p)^N with the measured p per pair (the rule-of-three "
        "bound 3/pairs where none was seen), and tables·N/2^bits for uniform bits (an "
        "expected count of chance agreements; above 1 it is not a rate).\n"
    )
    print(
        "| tables | bits | false-candidate pairs | p per pair | false-candidate rate, "
        "100k bank | 1M bank | uniform estimate, 100k | 1M | bits revealed per agreeing "
        "token | near table, 100k bank MB | 1M bank MB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for g in grid:
        p = rate(g["p_pair"]) if g["p_pair_upper"] is None else f"< {g['p_pair_upper']:.1e}"
        mark = "" if g["p_pair_upper"] is None else "< "
        e, u, size = g["expected"], g["uniform"], g["table_bytes"]
        print(
            f"| {g['tables']} | {g['bits']} | {g['false_candidate_pairs']:,} | {p} | "
            f"{mark}{rate(e['100000'])} | {mark}{rate(e['1000000'])} | "
            f"{rate(u['100000'])} | {rate(u['1000000'])} | "
            f"{g['bits_revealed_per_agreeing_token']} | {size['100000'] / MB:,.0f} | "
            f"{size['1000000'] / MB:,.0f} |"
        )
    p = result["protocol"]
    print(
        f"\n## Near tokens through the protocol (tables {p['tables']}, bits {p['bits']})\n\n"
        f"A near table of the {len(result['photos'])} originals' tokens ({p['table_tokens']:,} "
        f"tokens, {p['table_slots']:,} slots, built and blinded in {p['table_build_s']:.1f} s); "
        f"{p['vouchers']} transformed images as vouchers: {p['opened']} opened, each exactly "
        f"when one of its tokens is in the table (checked for every voucher). Device: "
        f"{p['make_ms']:.1f} ms per voucher ({p['tables']} tokens), {p['voucher_bytes']:,.0f} "
        f"bytes; server: {p['open_ms']:.1f} ms per voucher (median)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=("exact", "near", "all"), default="all")
    parser.add_argument("--sizes", default="100000,1000000", help="bank sizes, comma-separated")
    parser.add_argument("--items", type=int, default=200, help="vouchers of each kind")
    parser.add_argument("--client-items", type=int, default=1_000, help="OpenMined PSI")
    parser.add_argument("--photos", type=int, default=40)
    parser.add_argument("--samples", type=int, default=20, help="near vouchers made and opened")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    print(describe("pynacl", "openmined_psi", "pillow", "numpy"))
    doc: dict[str, Any] = {"machine": describe("pynacl", "openmined_psi", "pillow", "numpy")}
    began = time.perf_counter()
    if args.part in ("exact", "all"):
        sizes = [int(s) for s in args.sizes.split(",") if s]
        doc["exact"] = exact_part(sizes, args.items, args.client_items, args.seed)
    if args.part in ("near", "all"):
        doc["near"] = near_part(args.photos, args.samples, args.seed)
    if "exact" in doc:
        print_exact(doc["exact"], args.items)
    if "near" in doc:
        print_near(doc["near"])
    print(f"\n(ran in {time.perf_counter() - began:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps(doc, indent=2) + "\n")


if __name__ == "__main__":
    main()

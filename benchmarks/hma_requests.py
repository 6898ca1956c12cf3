"""The requests `hma_compare.py` sends to HMA and to bastion, in order.

What an HMA user does with a new installation: look at it, hash pictures and a video, make
banks (with good names and bad, booleans and numbers sent as strings), add content by upload,
URL and hash (with and without metadata and notes, and with bad ones), look up hashes,
uploads and URLs (the original, its JPEG, rotated, mirrored, letterboxed, GIF and palette PNG
copies), disable content and banks, compare hashes, set up an exchange, and remove things.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from PIL import Image

from bastion.pdq import hash_image
from hma_media import MediaFile


@dataclass(frozen=True)
class Step:
    """One request, the same for both sides. `{name}` in the path is the id of the content
    that the step registered as `name` on that side."""

    method: str
    path: str
    params: Mapping[str, str] | None = None
    json: Any = None
    content: bytes | None = None
    content_type: str | None = None
    files: Mapping[str, MediaFile] | None = None
    form: Mapping[str, str] | None = None
    registers: str | None = None
    title: str | None = None
    #: False for a step that only tidies up after a request that one side refused and the
    #: other accepted, so that the difference is counted once, not again in every later
    #: answer that lists banks or matches.
    counted: bool = True

    def label(self) -> str:
        if self.title:
            return self.title
        query = "&".join(f"{k}={v}" for k, v in (self.params or {}).items())
        body = ""
        if self.files:
            body = " " + ",".join(f"{k}={f.name}" for k, f in self.files.items())
        elif self.json is not None:
            body = " " + json.dumps(self.json, separators=(",", ":"))
        elif self.content is not None:
            body = " " + self.content.decode("utf-8", "replace")
        text = f"{self.method} {self.path}{'?' + query if query else ''}{body}"
        return re.sub(r"http://127\.0\.0\.1:\d+/", "files/", text)


@dataclass(frozen=True)
class Settle:
    """Wait for HMA's index to take in the writes before it (bastion's is fresh at once)."""


def _pdq(media: MediaFile) -> str:
    return hash_image(Image.open(io.BytesIO(media.data))).hash


def _flip(hex_hash: str, bits: int) -> str:
    value = int(hex_hash, 16)
    for bit in range(bits):
        value ^= 1 << (bit * 37 % 256)
    return f"{value:064x}"


def _tidy(method: str, path: str) -> Step:
    return Step(method, path, counted=False)


def sequence(media: Mapping[str, MediaFile], url: Callable[[str], str]) -> list[Step | Settle]:
    """The requests, in order: what an HMA user does with a new installation."""
    a_pdq, b_pdq = _pdq(media["a.png"]), _pdq(media["b.png"])
    near, far = _flip(a_pdq, 6), _flip(a_pdq, 128)
    video_md5 = hashlib.md5(media["video.mp4"].data).hexdigest()
    photo = {k: {"photo": media[k]} for k in media}
    bank, other, ratio = "TEST_BANK", "OTHER_BANK", "RATIO_BANK"
    content = f"/c/bank/{bank}/content"
    bad_json = {"content": b"{not json", "content_type": "application/json"}
    steps: list[Step | Settle] = [
        # the installation, before anything is added (HMA's index emptied by --reset)
        Settle(),
        Step("GET", "/status"),
        Step("GET", "/status/live"),
        Step("GET", "/c/banks"),
        Step("GET", "/m/index/status"),
        Step("GET", "/m/index/status", {"signal_type": "pdq"}),
        Step("GET", "/m/index/status", {"signal_type": "no_such_type"}),
        Step("GET", "/c/signal_type"),
        Step("GET", "/c/content_type"),
        Step("GET", "/c/signal_type/index"),
        Step("GET", "/c/exchanges"),
        Step("GET", "/c/exchanges/apis"),
        # hashing
        Step("POST", "/h/hash", files=photo["a.png"]),
        Step("POST", "/h/hash", {"types": "pdq"}, files=photo["a.png"]),
        Step("POST", "/h/hash", {"types": "pdq"}, files=photo["a.jpg"]),
        Step("POST", "/h/hash", {"types": "pdq"}, files=photo["a_rotated.png"]),
        Step("POST", "/h/hash", {"types": "pdq"}, files=photo["a.gif"]),
        Step("POST", "/h/hash", {"types": "pdq"}, files=photo["a_palette.png"]),
        Step("POST", "/h/hash", {"types": "pdq"}, files=photo["flat.png"]),
        Step("POST", "/h/hash", {"types": "video_md5"}, files=photo["a.png"]),
        Step("POST", "/h/hash", {"types": "no_such_type"}, files=photo["a.png"]),
        Step("POST", "/h/hash", {"types": ""}, files=photo["a.png"]),
        Step("POST", "/h/hash", {"types": " pdq , "}, files=photo["a.png"]),
        Step("POST", "/h/hash", files={"video": media["video.mp4"]}),
        Step("POST", "/h/hash", files={"no_such_content": media["a.png"]}),
        Step("POST", "/h/hash", files={"photo": media["a.png"], "video": media["video.mp4"]}),
        Step("POST", "/h/hash", files=photo["text.txt"]),
        Step("POST", "/h/hash", files=photo["truncated.png"]),
        Step("POST", "/h/hash"),
        Step("POST", "/h/hash", form={"photo": "not a file"}),
        Step("GET", "/h/hash", {"url": url("a.png"), "types": "pdq"}),
        Step("GET", "/h/hash", {"url": url("a.png")}),
        Step("GET", "/h/hash", {"url": url("video.mp4")}),
        Step("GET", "/h/hash", {"url": url("video.mp4"), "types": "video_md5"}),
        Step("GET", "/h/hash", {"url": url("text.txt")}),
        Step("GET", "/h/hash", {"url": url("text.txt"), "content_type": "photo"}),
        Step("GET", "/h/hash", {"url": url("missing.png")}),
        Step("GET", "/h/hash", {"url": "ftp://127.0.0.1/a.png"}),
        Step("GET", "/h/hash", {"url": "not a url"}),
        Step("GET", "/h/hash"),
        # banks
        Step("POST", "/c/banks", json={"name": bank}),
        Step("POST", "/c/banks", json={"name": bank}),
        Step("POST", "/c/banks", json={"name": other, "enabled": False}),
        Step("POST", "/c/banks", json={"name": ratio, "enabled_ratio": "0.5"}),
        Step("POST", "/c/banks", json={"name": "STRING_FALSE", "enabled": "false"}),
        Step("POST", "/c/banks", json={"name": "STRING_ZERO", "enabled": "0"}),
        Step("POST", "/c/banks", json={"name": "STRING_YES", "enabled": "yes"}),
        Step("POST", "/c/banks", json={"name": "STRING_MAYBE", "enabled": "maybe"}),
        Step("POST", "/c/banks", json={"name": "RATIO_WORD", "enabled_ratio": "half"}),
        Step("POST", "/c/banks", json={"name": "RATIO_BIG", "enabled_ratio": 2}),
        Step("POST", "/c/banks", json={"name": "_LEADING_UNDERSCORE"}),
        Step("POST", "/c/banks", json={"name": "L" * 65}, title="POST /c/banks name of 65 L"),
        Step("POST", "/c/banks", json={"name": "L" * 255}, title="POST /c/banks name of 255 L"),
        Step("POST", "/c/banks", json={"name": "L" * 256}, title="POST /c/banks name of 256 L"),
        Step("POST", "/c/banks", json={"name": "lower_case"}),
        Step("POST", "/c/banks", json={"name": "WITH SPACE"}),
        Step("POST", "/c/banks", json={"name": "9_DIGIT_FIRST"}),
        Step("POST", "/c/banks", json={"name": ""}),
        Step("POST", "/c/banks", json={"name": 5}),
        Step("POST", "/c/banks", json={}),
        Step("POST", "/c/banks", json=["NOT_AN_OBJECT"]),
        Step("POST", "/c/banks", **bad_json),
        Step("POST", "/c/banks", form={"name": "FORM_BANK"}),
        Step("GET", "/c/banks"),
        Step("GET", f"/c/bank/{bank}"),
        Step("GET", "/c/bank/NO_SUCH_BANK"),
        Step("GET", "/c/bank/STRING_FALSE"),
        Step("PUT", f"/c/bank/{other}", json={"enabled": True}),
        Step("PUT", f"/c/bank/{other}", json={"enabled": "false"}),
        Step("PUT", f"/c/bank/{other}", json={"enabled": "1"}),
        Step("PUT", f"/c/bank/{other}", json={"enabled": "0"}),
        Step("PUT", f"/c/bank/{other}", json={"enabled": "maybe"}),
        Step("PUT", f"/c/bank/{other}", json={"enabled_ratio": "0.25"}),
        Step("PUT", f"/c/bank/{other}", json={"enabled_ratio": "lots"}),
        Step("PUT", f"/c/bank/{other}", json={"enabled_ratio": 0}),
        Step("PUT", f"/c/bank/{other}", json={}),
        Step("PUT", f"/c/bank/{other}", **bad_json),
        Step("PUT", "/c/bank/NO_SUCH_BANK", json={"enabled": True}),
        Step("PUT", "/c/bank/STRING_ZERO", json={"name": "RENAMED_BANK"}),
        Step("GET", f"/c/bank/{other}"),
        *(
            _tidy("DELETE", f"/c/bank/{name}")
            for name in (
                *("STRING_FALSE", "STRING_ZERO", "STRING_YES", "STRING_MAYBE", "RATIO_WORD"),
                *("RATIO_BIG", "_LEADING_UNDERSCORE", "L" * 65, "L" * 255, "L" * 256),
                *("lower_case", "WITH SPACE", "9_DIGIT_FIRST", "FORM_BANK", "RENAMED_BANK"),
            )
        ),
        # content
        Step("POST", content, files=photo["a.png"], registers="a"),
        Step(
            "POST",
            content,
            files=photo["b.png"],
            form={"metadata": '{"content_id": "b-1", "json": {"case": 7}}', "note": "seen twice"},
            registers="b",
        ),
        Step(
            "POST",
            content,
            files=photo["a_mirrored.png"],
            form={"metadata": "{not json"},
            registers="refused0",
        ),
        _tidy("DELETE", f"/c/bank/{bank}/content/{{refused0}}"),
        Step(
            "POST",
            content,
            files=photo["a_mirrored.png"],
            form={"metadata": '{"colour": 1}'},
            registers="refused1",
        ),
        _tidy("DELETE", f"/c/bank/{bank}/content/{{refused1}}"),
        Step(
            "POST",
            content,
            files=photo["a_mirrored.png"],
            form={"metadata": "[1, 2]"},
            registers="refused2",
        ),
        _tidy("DELETE", f"/c/bank/{bank}/content/{{refused2}}"),
        Step(
            "POST",
            content,
            files=photo["a_mirrored.png"],
            form={"note": "n" * 256},
            registers="refused3",
        ),
        _tidy("DELETE", f"/c/bank/{bank}/content/{{refused3}}"),
        Step("POST", content, files=photo["flat.png"], registers="flat"),
        _tidy("DELETE", content + "/{flat}"),
        Step("POST", content, files=photo["text.txt"], registers="refused4"),
        _tidy("DELETE", f"/c/bank/{bank}/content/{{refused4}}"),
        Step("POST", content, files={"video": media["video.mp4"]}, registers="video"),
        Step("POST", content, files={"no_such_content": media["a.png"]}, registers="refused5"),
        _tidy("DELETE", f"/c/bank/{bank}/content/{{refused5}}"),
        Step("POST", content),
        Step(
            "POST",
            content,
            {"url": url("b.png")},
            json={"metadata": {"content_id": "b-2", "content_uri": url("b.png")}, "note": "by url"},
            registers="b_by_url",
        ),
        Step("GET", content + "/{b_by_url}", title=f"GET {content}/<b_by_url>"),
        Step("POST", content, {"url": url("missing.png")}),
        Step("POST", "/c/bank/NO_SUCH_BANK/content", files=photo["a.png"]),
        Step("POST", f"/c/bank/{other}/content", files=photo["a.png"], registers="a_in_other"),
        Step(
            "POST",
            f"/c/bank/{bank}/signal",
            json={"pdq": b_pdq, "note": "by hash"},
            registers="b_signal",
        ),
        Step(
            "POST",
            f"/c/bank/{bank}/signal",
            json={"video_md5": video_md5},
            registers="video_signal",
        ),
        Step("POST", f"/c/bank/{bank}/signal", json={"pdq": "zzz"}),
        Step("POST", f"/c/bank/{bank}/signal", json={"pdq": a_pdq.upper()}, registers="upper"),
        _tidy("DELETE", content + "/{upper}"),
        Step("POST", f"/c/bank/{bank}/signal", json={"no_such_type": "abc"}),
        Step("POST", f"/c/bank/{bank}/signal", json={}),
        Step(
            "POST", f"/c/bank/{bank}/signal", json={"pdq": a_pdq, "note": 5}, registers="refused6"
        ),
        _tidy("DELETE", f"/c/bank/{bank}/content/{{refused6}}"),
        Step("POST", f"/c/bank/{bank}/signal", **bad_json),
        Step("POST", "/c/bank/NO_SUCH_BANK/signal", json={"pdq": a_pdq}),
        Step("GET", content + "/{a}", title=f"GET {content}/<a>"),
        Step("GET", content + "/{b}", title=f"GET {content}/<b>"),
        Step(
            "GET",
            content + "/{b}",
            {"include_signals": "true"},
            title=f"GET {content}/<b>?include_signals=true",
        ),
        Step(
            "GET",
            content + "/{b}",
            {"include_metadata": "false"},
            title=f"GET {content}/<b>?include_metadata=false",
        ),
        Step("GET", content + "/{b_signal}", title=f"GET {content}/<b_signal>"),
        Step("GET", content + "/999999"),
        Step("GET", content + "/not_a_number"),
        Step(
            "GET", "/c/bank/NO_SUCH_BANK/content/{a}", title="GET /c/bank/NO_SUCH_BANK/content/<a>"
        ),
        Settle(),
        # looking up
        Step("GET", "/m/index/status"),
        Step(
            "GET",
            "/m/lookup",
            {"signal_type": "pdq", "signal": a_pdq},
            title="GET /m/lookup pdq of a",
        ),
        Step(
            "GET",
            "/m/lookup",
            {"signal_type": "pdq", "signal": near},
            title="GET /m/lookup 6 bits from a",
        ),
        Step(
            "GET",
            "/m/lookup",
            {"signal_type": "pdq", "signal": far},
            title="GET /m/lookup 128 bits from a",
        ),
        Step(
            "GET",
            "/m/lookup",
            {"signal_type": "pdq", "signal": a_pdq, "banks": bank},
            title="GET /m/lookup a, banks=TEST_BANK",
        ),
        Step(
            "GET",
            "/m/lookup",
            {"signal_type": "pdq", "signal": a_pdq, "banks": other},
            title="GET /m/lookup a, banks=OTHER_BANK",
        ),
        Step(
            "GET",
            "/m/lookup",
            {"signal_type": "pdq", "signal": a_pdq, "banks": "NO_SUCH_BANK"},
            title="GET /m/lookup a, banks=NO_SUCH_BANK",
        ),
        Step(
            "GET",
            "/m/lookup",
            {"signal_type": "pdq", "signal": a_pdq, "seed": "1"},
            title="GET /m/lookup a, seed=1",
        ),
        Step(
            "GET",
            "/m/lookup",
            {"signal_type": "pdq", "signal": a_pdq.upper()},
            title="GET /m/lookup a in upper case",
        ),
        Step(
            "GET",
            "/m/lookup",
            {"signal_type": "pdq", "signal": a_pdq[:63]},
            title="GET /m/lookup 63 digits",
        ),
        Step("GET", "/m/lookup", {"signal_type": "pdq", "signal": "zzz"}),
        Step(
            "GET",
            "/m/lookup",
            {"signal_type": "no_such_type", "signal": a_pdq},
            title="GET /m/lookup signal_type=no_such_type",
        ),
        Step("GET", "/m/lookup", {"signal": a_pdq}, title="GET /m/lookup no signal_type"),
        Step("GET", "/m/lookup", {"signal_type": "pdq"}),
        Step("GET", "/m/lookup"),
        Step(
            "GET",
            "/m/lookup",
            {"signal_type": "video_md5", "signal": video_md5},
            title="GET /m/lookup video_md5",
        ),
        Step("GET", "/m/lookup", {"signal_type": "video_md5", "signal": "abc"}),
        Step("GET", "/m/lookup", {"url": url("a.png")}),
        Step("GET", "/m/lookup", {"url": url("a.png"), "signal_type": "pdq"}),
        Step("GET", "/m/lookup", {"url": url("a.png"), "types": "pdq"}),
        Step("GET", "/m/lookup", {"url": url("missing.png")}),
        Step("GET", "/m/lookup", {"url": url("video.mp4"), "content_type": "video"}),
        Step("POST", "/m/lookup", files=photo["a.png"]),
        Step("POST", "/m/lookup", {"types": "pdq"}, files=photo["a.png"]),
        Step("POST", "/m/lookup", {"types": "pdq"}, files=photo["a.jpg"]),
        Step("POST", "/m/lookup", {"types": "pdq"}, files=photo["a_rotated.png"]),
        Step("POST", "/m/lookup", {"types": "pdq"}, files=photo["a_mirrored.png"]),
        Step("POST", "/m/lookup", {"types": "pdq"}, files=photo["a_letterboxed.png"]),
        Step("POST", "/m/lookup", {"types": "pdq"}, files=photo["a.gif"]),
        Step("POST", "/m/lookup", {"types": "pdq"}, files=photo["a_palette.png"]),
        Step("POST", "/m/lookup", {"types": "pdq"}, files=photo["flat.png"]),
        Step("POST", "/m/lookup", {"types": "pdq", "banks": other}, files=photo["a.png"]),
        Step(
            "POST", "/m/lookup", {"types": "pdq", "bypass_coinflip": "true"}, files=photo["a.png"]
        ),
        Step("POST", "/m/lookup", files={"video": media["video.mp4"]}),
        Step("POST", "/m/lookup", files=photo["text.txt"]),
        Step("POST", "/m/lookup"),
        Step(
            "GET",
            "/m/raw_lookup",
            {"signal_type": "pdq", "signal": a_pdq},
            title="GET /m/raw_lookup a",
        ),
        Step(
            "GET",
            "/m/raw_lookup",
            {"signal_type": "pdq", "signal": a_pdq, "include_distance": "true"},
            title="GET /m/raw_lookup a, include_distance=true",
        ),
        Step(
            "GET",
            "/m/raw_lookup",
            {"signal_type": "pdq", "signal": near, "include_distance": "1"},
            title="GET /m/raw_lookup near, include_distance=1",
        ),
        Step(
            "GET",
            "/m/raw_lookup",
            {"signal_type": "pdq", "signal": a_pdq, "include_distance": "maybe"},
            title="GET /m/raw_lookup a, include_distance=maybe",
        ),
        Step(
            "GET",
            "/m/raw_lookup",
            {"signal_type": "pdq", "signal": a_pdq, "banks": other},
            title="GET /m/raw_lookup a, banks=OTHER_BANK",
        ),
        Step("GET", "/m/raw_lookup", {"signal_type": "pdq", "signal": "zzz"}),
        Step("GET", "/m/raw_lookup", {"signal": a_pdq}, title="GET /m/raw_lookup no signal_type"),
        Step(
            "GET",
            "/m/raw_lookup",
            {"signal_type": "video_md5", "signal": video_md5},
            title="GET /m/raw_lookup video_md5",
        ),
        # disabling content and banks
        Step(
            "PUT",
            content + "/{a}",
            json={"disable_until_ts": 0},
            title=f"PUT {content}/<a> disable_until_ts=0",
        ),
        Step(
            "GET",
            "/m/lookup",
            {"signal_type": "pdq", "signal": a_pdq},
            title="GET /m/lookup a, <a> disabled",
        ),
        Step(
            "GET",
            "/m/raw_lookup",
            {"signal_type": "pdq", "signal": a_pdq},
            title="GET /m/raw_lookup a, <a> disabled",
        ),
        Step(
            "PUT",
            content + "/{a}",
            json={"disable_until_ts": "1"},
            title=f"PUT {content}/<a> disable_until_ts='1'",
        ),
        Step(
            "PUT",
            content + "/{a}",
            json={"disable_until_ts": -5},
            title=f"PUT {content}/<a> disable_until_ts=-5",
        ),
        Step(
            "PUT",
            content + "/{a}",
            json={"disable_until_ts": 4_000_000_000},
            title=f"PUT {content}/<a> disable_until_ts in 2096",
        ),
        Step(
            "PUT",
            content + "/{a}",
            json={"disable_until_ts": "soon"},
            title=f"PUT {content}/<a> disable_until_ts='soon'",
        ),
        Step("PUT", content + "/{a}", json={"note": "checked"}, title=f"PUT {content}/<a> note"),
        Step(
            "PUT",
            content + "/{a}",
            json={"note": "n" * 256},
            title=f"PUT {content}/<a> note of 256",
        ),
        Step("PUT", content + "/999999", json={"disable_until_ts": 1}),
        Step("GET", content + "/{a}", title=f"GET {content}/<a> after updates"),
        Step("PUT", f"/c/bank/{other}", json={"enabled": False}),
        Step(
            "GET",
            "/m/lookup",
            {"signal_type": "pdq", "signal": a_pdq},
            title="GET /m/lookup a, OTHER_BANK disabled",
        ),
        Step(
            "POST",
            "/m/lookup",
            {"types": "pdq", "bypass_coinflip": "true"},
            files=photo["a.png"],
            title="POST /m/lookup a.png bypass_coinflip, OTHER_BANK disabled",
        ),
        Step(
            "GET",
            "/m/raw_lookup",
            {"signal_type": "pdq", "signal": a_pdq, "banks": other},
            title="GET /m/raw_lookup a, banks=OTHER_BANK disabled",
        ),
        # an entry made from a letterboxed copy, then looked up by the original's hash
        Step("POST", content, {"url": url("a_letterboxed.png")}, registers="letterboxed"),
        Settle(),
        Step(
            "GET",
            "/m/raw_lookup",
            {"signal_type": "pdq", "signal": a_pdq, "banks": bank},
            title="GET /m/raw_lookup a, banks=TEST_BANK, letterboxed copy banked",
        ),
        Step("POST", "/m/lookup", {"types": "pdq"}, files=photo["a_letterboxed.png"]),
        # comparing hashes
        Step("POST", "/m/compare", json={"pdq": [a_pdq, a_pdq]}, title="POST /m/compare a, a"),
        Step("POST", "/m/compare", json={"pdq": [a_pdq, near]}, title="POST /m/compare a, near"),
        Step("POST", "/m/compare", json={"pdq": [a_pdq, far]}, title="POST /m/compare a, far"),
        Step(
            "POST",
            "/m/compare",
            json={"pdq": [a_pdq, b_pdq], "video_md5": [video_md5, video_md5]},
            title="POST /m/compare pdq and video_md5",
        ),
        Step("POST", "/m/compare", json={"pdq": [a_pdq]}, title="POST /m/compare one hash"),
        Step("POST", "/m/compare", json={"pdq": a_pdq}, title="POST /m/compare a string"),
        Step("POST", "/m/compare", json={"pdq": [a_pdq, "zzz"]}, title="POST /m/compare a, zzz"),
        Step("POST", "/m/compare", json={"no_such_type": ["a", "b"]}),
        Step("POST", "/m/compare", json={}),
        Step("POST", "/m/compare", json=[a_pdq, a_pdq], title="POST /m/compare a list"),
        Step("POST", "/m/compare", **bad_json),
        # exchanges and types
        Step("GET", "/c/exchanges/api/sample"),
        Step("GET", "/c/exchanges/api/sample/schema"),
        Step("GET", "/c/exchanges/api/no_such_api"),
        Step("POST", "/c/exchanges", json={"bank": "SAMPLE_EXCHANGE", "api": "sample"}),
        Step("POST", "/c/exchanges", json={"bank": "SAMPLE_EXCHANGE", "api": "sample"}),
        Step("POST", "/c/exchanges", json={"bank": "lower_exchange", "api": "sample"}),
        Step("POST", "/c/exchanges", json={"bank": "NO_API_EXCHANGE", "api": "no_such_api"}),
        Step("POST", "/c/exchanges", json={"bank": "NO_API_EXCHANGE"}),
        Step("POST", "/c/exchanges", json={"api": "sample"}),
        Step(
            "POST",
            "/c/exchanges",
            json={"bank": "BAD_JSON_EXCHANGE", "api": "sample", "api_json": [1]},
        ),
        Step("GET", "/c/exchanges"),
        Step("GET", "/c/exchange/SAMPLE_EXCHANGE"),
        Step("GET", "/c/exchange/SAMPLE_EXCHANGE/status"),
        Step("PUT", "/c/exchange/SAMPLE_EXCHANGE", json={"enabled": False}),
        Step("PUT", "/c/exchange/SAMPLE_EXCHANGE", json={"enabled": "no"}),
        Step("GET", "/c/exchange/NO_SUCH_EXCHANGE"),
        Step("GET", "/c/exchange/NO_SUCH_EXCHANGE/status"),
        Step("GET", "/c/banks"),
        Step("DELETE", "/c/exchange/SAMPLE_EXCHANGE"),
        Step("DELETE", "/c/exchange/NO_SUCH_EXCHANGE"),
        Step("GET", "/c/signal_type"),
        Step("PUT", "/c/signal_type/pdq", json={"enabled_ratio": "lots"}),
        Step("PUT", "/c/signal_type/pdq", json={}),
        Step("GET", "/c/content_type"),
        # removing
        Step("DELETE", content + "/{b}", title=f"DELETE {content}/<b>"),
        Step("DELETE", content + "/{b}", title=f"DELETE {content}/<b> again"),
        Step(
            "DELETE",
            "/c/bank/NO_SUCH_BANK/content/{a}",
            title="DELETE /c/bank/NO_SUCH_BANK/content/<a>",
        ),
        Step("DELETE", f"/c/bank/{ratio}"),
        Step("DELETE", "/c/bank/NO_SUCH_BANK"),
        Settle(),
        Step("GET", "/m/index/status", {"signal_type": "pdq"}),
        Step(
            "GET",
            "/m/raw_lookup",
            {"signal_type": "pdq", "signal": b_pdq},
            title="GET /m/raw_lookup b after delete",
        ),
        Step("GET", "/c/banks"),
    ]
    return steps

"""The live-stream reader against real HLS served from 127.0.0.1 (tests/media/hls.py).

Live streams are published in real time, so these tests take seconds each; the reconnect
tests use half-second segments to keep that short. Every read has a watchdog that sets
`stop`, so a reader that hangs fails its test instead of the run.
"""

from __future__ import annotations

import base64
import io
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from bastion.errors import ConfigurationError, MediaTooLargeError, UnsupportedMediaError
from bastion.media.fetch import FetchPolicy, ForbiddenAddressError
from bastion.media.stream import (
    LiveFrame,
    StreamOptions,
    StreamReader,
    pinned_url,
    stream_host,
)
from tests.media.conftest import Handler, LocalServer, Route
from tests.media.hls import MPEGURL, HlsServer, colour_frames, encode_segments, pattern_frames

Serve = Callable[..., LocalServer]
#: The test servers listen on 127.0.0.1, which streams may not reach by default.
LOCAL = FetchPolicy(allow_networks=("127.0.0.1/32",))
QUICK_RETRY = StreamOptions(reconnect_delay=0.05, max_reconnect_delay=0.2, addresses=LOCAL)


def local(**changes: Any) -> StreamOptions:
    return StreamOptions(addresses=LOCAL, **changes)


@pytest.fixture(scope="module")
def segments() -> list[bytes]:
    """12 s of moving pattern in 1-s segments."""
    return encode_segments(pattern_frames(12))


@pytest.fixture(scope="module")
def short_segments() -> list[bytes]:
    """12 s of moving pattern in half-second segments."""
    return encode_segments(pattern_frames(12), segment_seconds=0.5)


@pytest.fixture
def stop() -> Iterator[threading.Event]:
    """The reader's stop event, set by a watchdog after 20 s and at the end of the test."""
    event = threading.Event()
    watchdog = threading.Timer(20.0, event.set)
    watchdog.start()
    yield event
    event.set()
    watchdog.cancel()


def take(
    reader: StreamReader, count: int, then: Callable[[LiveFrame], None] | None = None
) -> list[LiveFrame]:
    """The first `count` frames (fewer if the watchdog stops the reader), calling `then` on
    each as it arrives."""
    frames: list[LiveFrame] = []
    for frame in reader.frames():
        frames.append(frame)
        if then is not None:
            then(frame)
        if len(frames) == count:
            break
    return frames


def assert_increasing(frames: list[LiveFrame]) -> None:
    seconds = [frame.seconds for frame in frames]
    assert all(a < b for a, b in itertools.pairwise(seconds)), seconds


def wait_until(condition: Callable[[], bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


# Finite sources --------------------------------------------------------------------------


@pytest.mark.parametrize(("sample", "expected"), [(1.0, [0, 1, 2, 3]), (0.5, [0, 0.5, 1, 1.5])])
def test_vod_yields_one_frame_per_sample_then_ends(
    segments: list[bytes], stop: threading.Event, sample: float, expected: list[float]
) -> None:
    with HlsServer(segments[:4], live=False) as server:
        reader = StreamReader(server.url, local(sample_seconds=sample), stop=stop)
        frames = list(reader.frames())  # ends by itself: #EXT-X-ENDLIST
    assert [frame.seconds for frame in frames][: len(expected)] == pytest.approx(expected)
    assert len(frames) == round(4 / sample)
    assert all(frame.pixels.shape == (240, 320, 3) for frame in frames)
    assert all(frame.pixels.dtype == np.uint8 for frame in frames)
    assert (reader.reconnects, reader.last_error, reader.connected) == (0, None, False)


def test_every_frame_with_sample_zero(segments: list[bytes], stop: threading.Event) -> None:
    with HlsServer(segments[:2], live=False) as server:
        frames = list(StreamReader(server.url, local(sample_seconds=0), stop=stop).frames())
    assert [frame.seconds for frame in frames] == pytest.approx([i / 10 for i in range(20)])


def test_known_images_come_through(stop: threading.Event) -> None:
    colours = [(200, 30, 30), (30, 200, 30), (30, 30, 200), (240, 240, 240)]
    with HlsServer(encode_segments(colour_frames(colours)), live=False) as server:
        frames = list(StreamReader(server.url, local(), stop=stop).frames())
    seen = [tuple(frame.pixels.reshape(-1, 3).mean(axis=0)) for frame in frames]
    assert len(seen) == len(colours)
    for got, want in zip(seen, colours, strict=True):
        assert got == pytest.approx(want, abs=6)


def test_a_restarted_clock_goes_on_from_the_last_time(stop: threading.Event) -> None:
    # Two encodings back to back: the second's timestamps start again at 0.
    restarted = encode_segments(pattern_frames(2)) * 2
    with HlsServer(restarted, live=False) as server:
        options = local(sample_seconds=0)
        frames = list(StreamReader(server.url, options, stop=stop).frames())
    assert [frame.seconds for frame in frames] == pytest.approx([i / 10 for i in range(40)])


def test_a_plain_file_over_http_is_read_once(stop: threading.Event) -> None:
    with HlsServer(encode_segments(pattern_frames(3), segment_seconds=3), live=False) as server:
        url = server.url.replace("index.m3u8", "segment0.ts")  # MPEG-TS with a Content-Length
        reader = StreamReader(url, local(), stop=stop)
        frames = list(reader.frames())
    assert [frame.seconds for frame in frames] == pytest.approx([0, 1, 2])
    assert (reader.reconnects, reader.last_error) == (0, None)


def test_frames_over_the_pixel_limit_are_refused(
    segments: list[bytes], stop: threading.Event
) -> None:
    options = replace(QUICK_RETRY, max_frame_pixels=320 * 240 - 1)
    with HlsServer(segments[:2], live=False) as server:
        reader = StreamReader(server.url, options, stop=stop)
        with pytest.raises(MediaTooLargeError, match="320x240"):
            list(reader.frames())
    assert reader.reconnects == 0  # refused, not retried


# Live streams -----------------------------------------------------------------------------


def test_live_frames_arrive_as_published(segments: list[bytes], stop: threading.Event) -> None:
    with HlsServer(segments, live=True) as server:
        reader = StreamReader(server.url, local(), stop=stop)
        seen: list[tuple[int, float, bool]] = []  # published segments, lag, connected

        def watch(frame: LiveFrame) -> None:
            seen.append((server.published, reader.lag_seconds, reader.connected))

        frames = take(reader, 4, watch)
    published, lags, connected = zip(*seen, strict=True)
    assert [frame.seconds for frame in frames] == pytest.approx([0, 1, 2, 3])
    # One segment a second: the reader waited for each rather than reading a backlog.
    assert list(published) == sorted(published)
    assert published[-1] >= published[0] + 3
    assert frames[-1].received_at - frames[0].received_at > 2.0
    assert all(0 <= lag < 3.0 for lag in lags), lags
    assert all(connected)
    assert (reader.reconnects, reader.last_error, reader.connected) == (0, None, False)


def test_only_the_first_variant_is_fetched(segments: list[bytes], stop: threading.Event) -> None:
    with HlsServer(segments, live=True, variants=2) as server:
        frames = take(StreamReader(server.url, local(), stop=stop), 3)
    assert [frame.seconds for frame in frames] == pytest.approx([0, 1, 2])
    # FFmpeg opens every variant, then stops reloading the one whose streams are discarded.
    assert server.requests.count("/variant1.m3u8") == 1
    assert server.requests.count("/variant0.m3u8") >= 3


def test_a_live_stream_that_ends_ends_the_iteration(
    short_segments: list[bytes], stop: threading.Event
) -> None:
    with HlsServer(short_segments[:6], live=True, segment_seconds=0.5) as server:
        options = local(sample_seconds=0.5, read_timeout=5)
        reader = StreamReader(server.url, options, stop=stop)
        frames = list(reader.frames())
    assert not stop.is_set()
    assert [frame.seconds for frame in frames] == pytest.approx([0, 0.5, 1, 1.5, 2])


def test_a_stall_longer_than_read_timeout_reconnects(
    short_segments: list[bytes], stop: threading.Event
) -> None:
    options = replace(QUICK_RETRY, sample_seconds=0.5, read_timeout=1.0)
    with HlsServer(short_segments, live=True, segment_seconds=0.5, window=6) as server:
        reader = StreamReader(server.url, options, stop=stop)

        def stall_once(frame: LiveFrame) -> None:
            if frame.seconds == 1.0:
                server.stall(3.0)

        frames = take(reader, 6, stall_once)
    assert reader.reconnects >= 1
    assert reader.last_error == "127.0.0.1: the stream ended or stalled"
    assert_increasing(frames)
    assert frames[-1].seconds > 1.0
    # The encoder stalled, so the stream now runs behind real time, and lag says so.
    assert reader.lag_seconds > 1.0


def test_a_dropped_server_is_reconnected_to(
    short_segments: list[bytes], stop: threading.Event
) -> None:
    options = replace(QUICK_RETRY, sample_seconds=0.5, read_timeout=2.0)
    with HlsServer(short_segments, live=True, segment_seconds=0.5, window=6) as server:
        reader = StreamReader(server.url, options, stop=stop)

        def drop_once(frame: LiveFrame) -> None:
            if frame.seconds == 1.0:
                server.drop(1.0)

        frames = take(reader, 7, drop_once)
    assert reader.reconnects >= 1
    assert reader.last_error is not None
    assert_increasing(frames)
    # Rejoining three segments back fills the gap: the samples run on without a hole.
    assert [frame.seconds for frame in frames] == pytest.approx([0, 0.5, 1, 1.5, 2, 2.5, 3])


def test_stop_ends_the_iteration_during_a_stall(
    segments: list[bytes], stop: threading.Event
) -> None:
    with HlsServer(segments, live=True) as server:
        # FFmpeg would wait 30 s before giving up on the stalled stream; stop must not.
        reader = StreamReader(server.url, local(read_timeout=30.0), stop=stop)
        frames = reader.frames()
        next(frames)
        server.stall(60)
        time.sleep(1.5)  # the published segment is read; FFmpeg now polls the playlist
        assert reader.connected
        stopped_at = time.monotonic()
        stop.set()
        rest = list(frames)
        ended_at = time.monotonic()
    assert ended_at - stopped_at < 2.0
    assert rest == []


# Failures ---------------------------------------------------------------------------------


def respond(body: bytes, content_type: str) -> Route:
    def route(handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return route


def silence() -> bytes:
    """Half a second of MPEG-TS with an audio stream only."""
    out = io.BytesIO()
    with av.open(out, mode="w", format="mpegts") as container:
        stream = container.add_stream("mp2", rate=48000, layout="mono")
        for n in range(20):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1152), np.int16), layout="mono")
            frame.rate, frame.pts = 48000, n * 1152
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()


@pytest.mark.parametrize(
    ("routes", "error"),
    [
        ({}, "HTTP status 404"),
        (
            {"/live.m3u8": respond(np.random.default_rng(0).bytes(50_000), MPEGURL)},
            "Invalid data found when processing input",
        ),
        ({"/live.m3u8": respond(silence(), "video/mp2t")}, "the stream has no video"),
    ],
    ids=["404", "garbage", "audio-only"],
)
def test_failures_are_retried_until_stopped(
    serve: Serve, stop: threading.Event, routes: dict[str, Route], error: str
) -> None:
    server = serve(routes)
    reader = StreamReader(server.url("/live.m3u8?token=secret"), QUICK_RETRY, stop=stop)
    frames: list[LiveFrame] = []
    thread = threading.Thread(target=lambda: frames.extend(reader.frames()))
    thread.start()
    wait_until(lambda: reader.reconnects >= 3)
    stop.set()
    thread.join(timeout=2.0)
    assert not thread.is_alive()
    assert frames == []
    assert reader.last_error == f"127.0.0.1: {error}"  # the URL's query stays out of it
    assert len(server.requests) >= 4
    assert not reader.connected


# Addresses: the stream's own, and every one its playlists name ----------------------------


def redirect(location: str) -> Route:
    def route(handler: Handler) -> None:
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return route


def test_a_stream_host_is_resolved_once_and_connected_to_as_checked(
    segments: list[bytes], stop: threading.Event, connections: list[tuple[str, int]]
) -> None:
    """ "stream.test" exists only for bastion's resolver: FFmpeg never looks a name up."""
    looked_up: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        looked_up.append(host)
        return ["127.0.0.1"]

    with HlsServer(segments[:3], live=False, variants=2) as server:
        url = server.url.replace("127.0.0.1", "stream.test")
        reader = StreamReader(url, local(), stop=stop, resolver=resolver)
        frames = list(reader.frames())
    assert [frame.seconds for frame in frames] == pytest.approx([0, 1, 2])
    assert reader.last_error is None
    # The playlist, its variants and segments: each fetched by bastion, pinned as checked.
    assert set(looked_up) == {"stream.test"}
    assert len(looked_up) == len(server.requests) >= 1 + 2 + 3
    assert {address for address, _ in connections} == {"127.0.0.1"}


def test_segments_on_a_refused_address_are_not_fetched(
    serve: Serve, stop: threading.Event, connections: list[tuple[str, int]]
) -> None:
    # Allowed: 127.0.0.1 only. The playlist sends FFmpeg to 127.0.0.2, loopback like any
    # internal service; FFmpeg's own HTTP would have gone.
    playlist = "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\nhttp://127.0.0.2:9/s0.ts\n"
    playlist += "#EXT-X-ENDLIST\n"
    server = serve({"/live.m3u8": respond(playlist.encode(), MPEGURL)})
    reader = StreamReader(server.url("/live.m3u8"), QUICK_RETRY, stop=stop)
    frames: list[LiveFrame] = []
    thread = threading.Thread(target=lambda: frames.extend(reader.frames()))
    thread.start()
    wait_until(lambda: reader.reconnects >= 2)
    stop.set()
    thread.join(timeout=2.0)
    assert frames == []
    assert reader.last_error == "refusing to fetch from 127.0.0.2: not a public address (loopback)"
    assert "127.0.0.2" not in {address for address, _ in connections}


@pytest.mark.parametrize("scheme", ["file", "data", "crypto+http"])
def test_segments_outside_http_are_not_opened(
    serve: Serve, stop: threading.Event, segments: list[bytes], tmp_path: Path, scheme: str
) -> None:
    """A real segment named as a local file, inline, or encrypted (FFmpeg's crypto protocol
    would fetch it with its own HTTP): none is read."""
    (tmp_path / "s0.ts").write_bytes(segments[0])
    named = {
        "file": f"file://{tmp_path}/s0.ts",
        "data": "data:video/mp2t;base64," + base64.b64encode(segments[0]).decode(),
        "crypto+http": '#EXT-X-KEY:METHOD=AES-128,URI="/key"\n#EXTINF:1.0,\n/s0.ts',
    }[scheme]
    playlist = f"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n{named}\n#EXT-X-ENDLIST\n"
    key = bytes(16)
    server = serve(
        {
            "/live.m3u8": respond(playlist.encode(), MPEGURL),
            "/key": respond(key, "application/octet-stream"),
            "/s0.ts": respond(segments[0], "video/mp2t"),
        }
    )
    reader = StreamReader(server.url("/live.m3u8"), QUICK_RETRY, stop=stop)
    frames: list[LiveFrame] = []
    thread = threading.Thread(target=lambda: frames.extend(reader.frames()))
    thread.start()
    wait_until(lambda: reader.reconnects >= 1)
    stop.set()
    thread.join(timeout=2.0)
    assert frames == []
    # FFmpeg's HLS demuxer refuses data: segments itself; the others reach io_open.
    refused_by = "Invalid data found when processing input" if scheme == "data" else None
    assert reader.last_error == f"127.0.0.1: {refused_by or f'the stream names a {scheme} URL'}"
    assert "/s0.ts" not in server.requests


def test_an_endless_playlist_is_refused(serve: Serve, stop: threading.Event) -> None:
    entries = b"#EXTINF:1.0,\n/s.ts\n" * 300_000  # 6 MB: FFmpeg would keep every entry
    server = serve(
        {"/live.m3u8": respond(b"#EXTM3U\n#EXT-X-TARGETDURATION:1\n" + entries, MPEGURL)}
    )
    reader = StreamReader(server.url("/live.m3u8"), QUICK_RETRY, stop=stop)
    with pytest.raises(MediaTooLargeError, match=r"127.0.0.1: a playlist of more than 4,194,304"):
        list(reader.frames())


def test_a_redirect_to_a_refused_address_is_not_followed(
    serve: Serve, stop: threading.Event, connections: list[tuple[str, int]]
) -> None:
    server = serve({"/live.m3u8": redirect("http://169.254.169.254/latest/meta-data/")})
    reader = StreamReader(server.url("/live.m3u8"), QUICK_RETRY, stop=stop)
    frames: list[LiveFrame] = []
    thread = threading.Thread(target=lambda: frames.extend(reader.frames()))
    thread.start()
    wait_until(lambda: reader.reconnects >= 2)
    stop.set()
    thread.join(timeout=2.0)
    assert frames == []
    assert reader.last_error == (
        "refusing to fetch from 169.254.169.254: not a public address (link-local)"
    )
    assert {address for address, _ in connections} == {"127.0.0.1"}


def test_a_stream_on_loopback_is_refused_by_default(serve: Serve, stop: threading.Event) -> None:
    server = serve({})
    options = replace(QUICK_RETRY, addresses=FetchPolicy())
    reader = StreamReader(server.url("/live.m3u8"), options, stop=stop)
    thread = threading.Thread(target=lambda: list(reader.frames()))
    thread.start()
    wait_until(lambda: reader.reconnects >= 1)
    stop.set()
    thread.join(timeout=2.0)
    assert server.requests == []
    assert reader.last_error == "refusing to fetch from 127.0.0.1: not a public address (loopback)"


@pytest.mark.parametrize(
    ("url", "pinned"),
    [
        ("rtmp://live.test/app/key?token=1", "rtmp://198.51.100.7:1935/app/key?token=1"),
        ("rtmps://live.test:8443/app/key", "rtmps://198.51.100.7:8443/app/key"),
    ],
)
def test_rtmp_connects_to_the_checked_address(url: str, pinned: str) -> None:
    policy = FetchPolicy(allow_networks=("198.51.100.0/24",))
    assert pinned_url(url, policy, lambda host, port: ["198.51.100.7"]) == pinned


def test_rtmp_to_a_refused_address_is_refused() -> None:
    with pytest.raises(ForbiddenAddressError, match="private"):
        pinned_url("rtmp://live.test/app/key", FetchPolicy(), lambda host, port: ["10.0.0.8"])


# URLs and options -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/live.m3u8",
        "rtsp://example.com/cam",
        "/x.m3u8",
        "HTTP://example.com/live.m3u8",
        "concat:http://a/x|http://b/y",
    ],
)
def test_unsupported_schemes_are_refused(url: str) -> None:
    with pytest.raises(UnsupportedMediaError, match="scheme"):
        StreamReader(url)


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://Live.Example.com/a/index.m3u8?x=1", "live.example.com"),
        ("rtmp://203.0.113.7:1935/app/streamkey", "203.0.113.7"),
        ("rtmps://[2001:db8::1]/app/key", "2001:db8::1"),
        ("http://127.0.0.1:8080/live.m3u8", "127.0.0.1"),
    ],
)
def test_stream_host(url: str, host: str) -> None:
    assert stream_host(url) == host


@pytest.mark.parametrize(
    "url",
    [
        "http://user:pw@example.com/live.m3u8",
        "http://127.0.0.1\\@example.com/live.m3u8",
        "http://exa mple.com/live.m3u8",
        "http://bücher.example/live.m3u8",
        "http://%31%32%37.0.0.1/live.m3u8",
        "http://example.com:0/live.m3u8",
        "http://[::1]:0/live.m3u8",
        "http://example.com:99999/live.m3u8",
        "http:///live.m3u8",
        "http://[::1/live.m3u8",
    ],
)
def test_malformed_stream_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsupportedMediaError, match="URL"):
        stream_host(url)


@pytest.mark.parametrize(
    "options",
    [
        {"sample_seconds": -1},
        {"read_timeout": 0},
        {"reconnect_delay": 0},
        {"reconnect_delay": 5, "max_reconnect_delay": 1},
        {"max_frame_pixels": 0},
    ],
)
def test_invalid_options_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        StreamOptions(**options)

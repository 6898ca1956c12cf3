"""Reading frames from a live video stream (HLS, RTMP, HTTP), reconnecting until told to stop.

`StreamReader.frames` yields one RGB frame per `sample_seconds` of stream time. FFmpeg (via
PyAV) demuxes and decodes: HLS starts at the newest segment of one variant and FFmpeg
reloads a live playlist itself. A VOD playlist (#EXT-X-ENDLIST), or a file of known duration
or length, is read once. Any other end (end of data, an error, a stall) closes the container
and opens the URL again, after a delay that doubles on each failure and starts afresh once
frames flow; HLS then starts three segments back to fill the gap.

A stream URL comes from a user, so no connection goes where URL fetching may not
(`bastion.media.fetch`): FFmpeg opens nothing over HTTP itself. The URL, and every playlist,
segment and key it names, is fetched through PyAV's custom I/O (`io_open`) with
`open_body`: each host resolved once and checked, each redirect checked, the connection
pinned to the checked address. RTMP is FFmpeg's own protocol, so its host is resolved and
checked here and FFmpeg is handed the address instead of the name (an RTMPS server then
sees no SNI name).

A worker thread decodes and hands frames over through a short queue, so `stop` ends the
iteration within a tenth of a second even while a read waits on a silent server. Each read
waits at most `read_timeout`, and so does the worker. `LiveFrame.seconds` runs on across
reconnects without going back (`_Timeline`).
"""

from __future__ import annotations

import contextlib
import itertools
import math
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import av
import av.error
import numpy as np
from av.stream import Discard

from bastion.errors import (
    ConfigurationError,
    MediaError,
    MediaTooLargeError,
    UnsupportedMediaError,
    first_line,
)
from bastion.media.addresses import Address
from bastion.media.fetch import (
    FetchError,
    FetchPolicy,
    HttpBody,
    Resolver,
    open_body,
    resolve_allowed,
)
from bastion.media.video import RgbFrame

SCHEMES = ("http", "https", "rtmp", "rtmps")
_PORTS = {"http": 80, "https": 443, "rtmp": 1935, "rtmps": 443}
_PLAYLIST = b"#EXTM3U"
#: A playlist past this is refused: FFmpeg keeps every entry it lists in memory.
_MAX_PLAYLIST_BYTES = 4 * 1024 * 1024
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")
_POLL = 0.1  # seconds between looks at `stop`
_REPLAY_SECONDS = 60.0  # how far back a reconnect may replay: over three HLS segments

_Handoff = queue.Queue["LiveFrame | BaseException | None"]
_Deliver = Callable[["LiveFrame"], None]


@dataclass(frozen=True)
class LiveFrame:
    seconds: float
    """Stream time since the first frame this reader decoded, never decreasing."""
    received_at: float
    """The reader's clock (time.monotonic) when the frame was decoded."""
    pixels: RgbFrame
    """(h, w, 3) uint8 RGB at the stream's own size."""


@dataclass(frozen=True)
class StreamOptions:
    sample_seconds: float = 1.0
    """One frame per this many seconds of stream time; 0 takes every frame."""
    open_timeout: float = 10.0
    read_timeout: float = 10.0
    """A read waiting longer ends the connection; keep it above the segment duration."""
    reconnect_delay: float = 0.5
    max_reconnect_delay: float = 30.0
    max_frame_pixels: int = 3840 * 2160
    addresses: FetchPolicy = field(default_factory=FetchPolicy)
    """Which addresses the stream, its playlists and segments may come from, and the limits
    on connecting to each (`timeout`, `max_redirects`); reads are bound by `read_timeout`."""

    def __post_init__(self) -> None:
        positive = min(self.open_timeout, self.read_timeout, self.max_frame_pixels)
        if self.sample_seconds < 0 or positive <= 0:
            raise ConfigurationError("stream sampling must be >= 0, timeouts and pixels > 0")
        if not 0 < self.reconnect_delay <= self.max_reconnect_delay:
            raise ConfigurationError("reconnect delays must be > 0 s, the first no longer")


def check_stream_address(
    url: str, policy: FetchPolicy, resolver: Resolver | None = None
) -> list[Address]:
    """The addresses the stream's host resolves to, every one allowed by `policy`.

    Raises UnsupportedMediaError for a malformed URL, ForbiddenAddressError for a refused
    address and FetchError for a host that does not resolve. A reader checks again at each
    connection; this is for a clear error before a watch starts.
    """
    host, parts = stream_host(url), urlsplit(url)
    return resolve_allowed(host, parts.port or _PORTS[parts.scheme], policy, resolver)


def pinned_url(url: str, policy: FetchPolicy, resolver: Resolver | None = None) -> str:
    """An RTMP(S) URL with its host replaced by the first address it resolves to, each of
    them checked against `policy`, so that FFmpeg connects where the check said."""
    parts = urlsplit(url)
    address = check_stream_address(url, policy, resolver)[0]
    shown = f"[{address}]" if address.version == 6 else str(address)
    return urlunsplit(parts._replace(netloc=f"{shown}:{parts.port or _PORTS[parts.scheme]}"))


def stream_host(url: str) -> str:
    """The host `url` connects to (lowercase, IPv6 without brackets), for an address check.

    Raises UnsupportedMediaError unless FFmpeg reads the URL as this does: a lowercase scheme
    from `SCHEMES`, an ASCII host, no credentials, spaces or backslashes, a valid port."""
    scheme = url.partition(":")[0] if ":" in url else ""
    if scheme not in SCHEMES or not url.startswith(f"{scheme}://"):
        raise UnsupportedMediaError(
            f"stream URL scheme {scheme or 'none'!r} is not supported (use {', '.join(SCHEMES)})"
        )
    if any(ch <= " " or ch in "\x7f\\" for ch in url):
        raise UnsupportedMediaError("malformed stream URL: spaces, control characters or '\\'")
    try:
        parts = urlsplit(url)
        port, host = parts.port, parts.hostname or ""
        if port == 0 or not host or not (":" in host or set(host) <= _HOST_CHARS):
            raise ValueError
        if ":" in host:
            ip_address(host)  # IPv6, the only host with a colon
    except ValueError:
        raise UnsupportedMediaError("malformed stream URL: invalid host or port") from None
    if "@" in parts.netloc:
        raise UnsupportedMediaError("stream URLs with credentials (user@host) are not accepted")
    return host


class StreamReader:
    """Frames from the stream at `url`; its properties may be read from any thread."""

    def __init__(
        self,
        url: str,
        options: StreamOptions | None = None,
        *,
        stop: threading.Event | None = None,
        clock: Callable[[], float] = time.monotonic,
        resolver: Resolver | None = None,
    ) -> None:
        self.host, self.url = stream_host(url), url
        self.options = options or StreamOptions()
        self._resolver = resolver
        self._stop, self._clock = stop or threading.Event(), clock
        self._reconnects, self._connected = 0, False
        self._last_error: str | None = None
        self._started_at: float | None = None  # the clock at stream time 0
        self._latest = 0.0  # stream time of the latest frame

    @property
    def reconnects(self) -> int:
        """Connection attempts after the first, failed or not."""
        return self._reconnects

    @property
    def last_error(self) -> str | None:
        """Why the latest connection failed or ended, in one line; kept after recovery."""
        return self._last_error

    @property
    def connected(self) -> bool:
        """Whether a connection is open now."""
        return self._connected

    @property
    def lag_seconds(self) -> float:
        """Wall time since the first frame minus stream time since then, never negative: it
        grows while the stream stalls or the reader falls behind, from 0 at the first frame."""
        if self._started_at is None:
            return 0.0
        return max(0.0, self._clock() - self._started_at - self._latest)

    def frames(self) -> Iterator[LiveFrame]:
        """Sampled frames until `stop` is set or a finite source ends. MediaTooLargeError for
        frames over `max_frame_pixels`; other failures are retried and kept in `last_error`."""
        handoff: _Handoff = queue.Queue(maxsize=2)
        halt = threading.Event()
        threading.Thread(target=self._pump, args=(handoff, halt), daemon=True).start()
        try:
            while not self._stop.is_set():
                with contextlib.suppress(queue.Empty):
                    item = handoff.get(timeout=_POLL)
                    if isinstance(item, BaseException):
                        raise item
                    if item is None:
                        return
                    yield item
        finally:
            halt.set()
            self._connected = False

    def _pump(self, handoff: _Handoff, halt: threading.Event) -> None:
        def deliver(item: LiveFrame | BaseException | None) -> None:
            while not halt.is_set():
                with contextlib.suppress(queue.Full):
                    handoff.put(item, timeout=_POLL)
                    break

        try:
            self._read(deliver, halt)
            deliver(None)
        except BaseException as e:  # raised again in the caller's thread
            deliver(e)

    def _read(self, deliver: _Deliver, halt: threading.Event) -> None:
        timeline = _Timeline()
        delay = self.options.reconnect_delay
        for attempt in itertools.count():
            if halt.is_set() or self._stop.is_set():
                return
            self._reconnects += 1 if attempt else 0
            placed = timeline.placed
            try:
                if self._connection(timeline, deliver, halt):
                    return
                self._last_error = f"{self.host}: the stream ended or stalled"
            except MediaTooLargeError:
                raise
            except (av.error.FFmpegError, OSError, MediaError) as e:
                if halt.is_set() or self._stop.is_set():  # cut short by stopping
                    return
                if isinstance(e, av.error.ExitError):  # PyAV's interrupt: a timeout
                    self._last_error = f"{self.host}: timed out"
                elif isinstance(e, FetchError):  # names its host and nothing else
                    self._last_error = first_line(e)
                elif isinstance(e, av.error.FFmpegError):  # its str() repeats the URL
                    self._last_error = f"{self.host}: {e.strerror or type(e).__name__}"
                else:
                    self._last_error = f"{self.host}: {first_line(e)}"
            finally:
                self._connected = False
            if timeline.placed > placed:
                delay = self.options.reconnect_delay  # frames flowed: back off afresh
            if halt.wait(delay):
                return
            delay = min(2 * delay, self.options.max_reconnect_delay)

    def _connection(self, timeline: _Timeline, deliver: _Deliver, halt: threading.Event) -> bool:
        """Read one connection; True when the source is finished (or the reader halted)."""
        with ExitStack() as resources:
            opened, sized = self._open(timeline, resources)
            container = resources.enter_context(opened)
            if not container.streams.video:
                raise UnsupportedMediaError("the stream has no video")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            self._check_size(stream.codec_context.width, stream.codec_context.height)
            # A VOD playlist, or a file with a duration or a length (not HLS: its playlist's).
            hls = container.format.name == "hls"
            finite = (container.duration or 0) > 0 or (not hls and sized)
            for other in container.streams:  # HLS stops fetching what is all discarded
                other.discard = Discard.all if other is not stream else Discard.default
            self._connected = True
            timeline.reconnected(finite, step=1 / float(stream.average_rate or 25))
            ready = time.monotonic()
            for packet in container.demux():
                # A read (one per packet) cut off by the timeout returned held-back packets.
                spent = time.monotonic() - ready >= self.options.read_timeout
                if halt.is_set():
                    return True
                if packet.stream is stream:  # a flush packet's stream_index is always 0
                    for frame in stream.decode(packet):
                        self._take(frame, timeline, deliver)
                if spent:
                    return False
                ready = time.monotonic()
            return finite

    def _open(
        self, timeline: _Timeline, resources: ExitStack
    ) -> tuple[av.container.InputContainer, bool]:
        """The container, and whether its source declared a length (a file over HTTP)."""
        options = {
            "live_start_index": "-3" if timeline.placed else "-1",
            "analyzeduration": "500000",  # not 5 s, which waits for segments at the live edge
        }
        timeout = (self.options.open_timeout, self.options.read_timeout)
        if self.url.startswith("rtmp"):
            url = pinned_url(self.url, self.options.addresses, self._resolver)
            options["protocol_whitelist"] = "rtmp,rtmps,tls,tcp"
            return av.open(url, "r", timeout=timeout, options=options), False
        body = resources.enter_context(self._get(self.url))
        # FFmpeg's keep-alive reuse of segment connections needs its own HTTP; ours is off.
        options["http_persistent"] = "0"
        playlist = body.peek(len(_PLAYLIST)) == _PLAYLIST
        container = av.open(
            body,
            "r",
            format="hls" if playlist else None,
            timeout=timeout,
            options=options,
            io_open=self._io_open,
        )
        return container, body.length is not None

    def _get(self, url: str) -> HttpBody:
        """The body at `url`; a playlist may be at most `_MAX_PLAYLIST_BYTES` long."""
        body = open_body(
            url,
            self.options.addresses,
            read_timeout=self.options.read_timeout,
            resolver=self._resolver,
        )
        try:
            if body.peek(len(_PLAYLIST)) == _PLAYLIST:
                body.bound(_MAX_PLAYLIST_BYTES, "a playlist")
        except BaseException:
            body.close()
            raise
        return body

    def _io_open(self, url: str, flags: int, options: dict[str, Any]) -> HttpBody:
        """What FFmpeg opens besides the URL itself: playlists, segments, keys. Nothing once
        the reader is stopped: FFmpeg would otherwise wait for and fetch the next segment."""
        if self._stop.is_set():
            raise UnsupportedMediaError("the reader is stopped")  # not an error to keep
        try:
            if not url.startswith(("http://", "https://")):  # file:, data:, crypto+...
                scheme = url.partition(":")[0]
                raise UnsupportedMediaError(f"the stream names a {scheme or 'local'} URL")
            return self._get(url)
        except FetchError as e:  # kept (it names only the host), and FFmpeg goes on
            self._last_error = first_line(e)
            raise
        except MediaError as e:
            self._last_error = f"{self.host}: {first_line(e)}"
            raise

    def _take(self, frame: av.VideoFrame, timeline: _Timeline, deliver: _Deliver) -> None:
        self._check_size(frame.width, frame.height)
        now = self._clock()
        if (seconds := timeline.place(frame.time, now)) is None:
            return
        self._started_at = now if self._started_at is None else self._started_at
        self._latest = seconds
        if timeline.sample(seconds, self.options.sample_seconds):
            pixels = np.asarray(frame.to_ndarray(format="rgb24"), np.uint8)
            deliver(LiveFrame(seconds, now, pixels))

    def _check_size(self, width: int, height: int) -> None:
        if width * height > (limit := self.options.max_frame_pixels):
            raise MediaTooLargeError(
                f"stream frames of {width}x{height} exceed {limit:,} pixels "
                "(setting max_video_frame_pixels)"
            )


class _Timeline:
    """One stream time, from 0 at the first frame, that never goes back across connections.

    A new connection may replay what was seen (a finite source from its start, a live one a
    few segments back): frames up to the last time are dropped. Any other step back (the
    encoder's clock started again) goes on from the last time plus the wall time since."""

    def __init__(self) -> None:
        self.placed = 0
        self._offset = 0.0  # added to a connection's own frame times
        self._last: float | None = None
        self._last_wall, self._slot = 0.0, -1  # when the last frame came; the last sample slot
        self._replay: float | None = None  # how far back a new connection may replay
        self._raw = self._step = 0.0  # the connection's time of its latest frame, and a frame's

    def reconnected(self, finite: bool, step: float) -> None:
        self._replay = math.inf if finite else _REPLAY_SECONDS
        self._raw, self._step = 0.0, step

    def place(self, time: float | None, wall: float) -> float | None:
        """The frame's stream time, or None for a frame already seen."""
        raw = self._raw = self._raw + self._step if time is None else time
        seconds = raw + self._offset
        if self._last is None:
            self._offset, seconds = -raw, 0.0
        elif seconds <= self._last:
            if self._replay is not None and seconds >= self._last - self._replay:
                return None
            self._offset += self._last + max(wall - self._last_wall, self._step) - seconds
            seconds = raw + self._offset
        self._replay = None
        self._last, self._last_wall = seconds, wall
        self.placed += 1
        return seconds

    def sample(self, seconds: float, interval: float) -> bool:
        """Whether the frame at `seconds` is the first of a new `interval`-long slot."""
        slot = math.floor(seconds / interval + 1e-9) if interval > 0 else self._slot + 1
        new, self._slot = slot > self._slot, max(slot, self._slot)
        return new

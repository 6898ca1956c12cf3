"""Reading frames from a live video stream (HLS, RTMP, HTTP), reconnecting until told to stop.

`StreamReader.frames` yields one RGB frame per `sample_seconds` of stream time. FFmpeg (via
PyAV) does the network work: HLS starts at the newest segment of one variant and FFmpeg
reloads a live playlist itself. A VOD playlist (#EXT-X-ENDLIST), or a file of known duration
or length, is read once. Any other end (end of data, an error, a stall) closes the container
and opens the URL again, after a delay that doubles on each failure and starts afresh once
frames flow; HLS then starts three segments back to fill the gap. FFmpeg's ``reconnect*``
options stay off: they resume one HTTP body with Range requests, which suits neither
segments nor a live edge, and would hide disconnects from `reconnects`.

A worker thread decodes and hands frames over through a short queue, so `stop` ends the
iteration within a tenth of a second even while FFmpeg waits on a silent server. PyAV's
interrupt ends a wait after `open_timeout` to open or `read_timeout` to read a packet, and so
the worker. `LiveFrame.seconds` runs on across reconnects without going back (`_Timeline`).
The caller checks the address of `stream_host(url)`, but FFmpeg resolves the name again and
follows redirects and the URLs a playlist names; only network protocols are allowed, so
none can name a local file.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from ipaddress import ip_address
from urllib.parse import urlsplit

import av
import av.error
import numpy as np
from av.stream import Discard

from bastion import __version__
from bastion.errors import ConfigurationError, MediaTooLargeError, UnsupportedMediaError, first_line
from bastion.media.video import RgbFrame

SCHEMES = ("http", "https", "rtmp", "rtmps")
_PROTOCOLS = {"http": "http,https,tls,tcp,crypto", "rtmp": "rtmp,rtmps,tls,tcp"}
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

    def __post_init__(self) -> None:
        positive = min(self.open_timeout, self.read_timeout, self.max_frame_pixels)
        if self.sample_seconds < 0 or positive <= 0:
            raise ConfigurationError("stream sampling must be >= 0, timeouts and pixels > 0")
        if not 0 < self.reconnect_delay <= self.max_reconnect_delay:
            raise ConfigurationError("reconnect delays must be > 0 s, the first no longer")


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
    ) -> None:
        self.host, self.url = stream_host(url), url
        self.options = options or StreamOptions()
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
            except (av.error.FFmpegError, OSError, UnsupportedMediaError) as e:
                if isinstance(e, av.error.ExitError):  # PyAV's interrupt: a timeout
                    self._last_error = f"{self.host}: timed out"
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
        ffmpeg_options = {
            "live_start_index": "-3" if timeline.placed else "-1",
            "analyzeduration": "500000",  # not 5 s, which waits for segments at the live edge
            "protocol_whitelist": _PROTOCOLS[self.url[:4]],
            "user_agent": f"bastion/{__version__}",
        }
        timeout = (self.options.open_timeout, self.options.read_timeout)
        with av.open(self.url, timeout=timeout, options=ffmpeg_options) as container:
            if not container.streams.video:
                raise UnsupportedMediaError("the stream has no video")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            self._check_size(stream.codec_context.width, stream.codec_context.height)
            # A VOD playlist, or a file with a duration or a length (not HLS: its playlist's).
            hls = container.format.name == "hls"
            finite = (container.duration or 0) > 0 or (not hls and container.size > 0)
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
                if packet.stream_index == stream.index:
                    for frame in stream.decode(packet):
                        self._take(frame, timeline, deliver)
                if spent:
                    return False
                ready = time.monotonic()
            return finite

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
            raise MediaTooLargeError(f"stream frames of {width}x{height} exceed {limit:,} pixels")


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

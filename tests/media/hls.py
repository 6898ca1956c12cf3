"""HLS streams for tests: generated benign video, cut into MPEG-TS segments, served over HTTP.

`pattern_frames` draws a moving colour gradient with a white square that crosses it, and
`colour_frames` holds one flat colour per second, for tests that must recognise what they
read. `encode_segments` encodes any frames with libx264 (ultrafast, zero latency, so no
B-frames) and lets FFmpeg's HLS muxer cut them into MPEG-TS segments, each starting with a
key frame, with timestamps and continuity counters running on across segments as a live
encoder's do. Segments of a second at 320x240 take a few milliseconds each to make.

`HlsServer` serves the segments from a real `ThreadingHTTPServer` on 127.0.0.1 with its own
`.m3u8` playlist. As VOD the playlist lists every segment and ends with #EXT-X-ENDLIST. As
a live stream a publisher thread adds one segment per segment duration of wall clock and
the playlist is a sliding window over the newest ones, without #EXT-X-ENDLIST until the last
segment is out. `stall` stops publishing for a while (the encoder stalls, so the stream
falls behind real time) and `drop` takes the server down and brings it back on the same
port, while publishing goes on.
"""

from __future__ import annotations

import contextlib
import math
import socketserver
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

import av
import numpy as np
import numpy.typing as npt

RgbFrame = npt.NDArray[np.uint8]

FPS = 10
WIDTH, HEIGHT = 320, 240
PLAYLIST = "/index.m3u8"
MPEGURL = "application/vnd.apple.mpegurl"


def pattern_frames(
    seconds: float, fps: int = FPS, width: int = WIDTH, height: int = HEIGHT
) -> list[RgbFrame]:
    """Frames of a drifting colour gradient crossed by a white square, `fps` a second."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    frames = []
    for i in range(round(seconds * fps)):
        t = i / fps
        frame = np.empty((height, width, 3), np.uint8)
        frame[..., 0] = (xs / width * 255 + t * 40) % 256
        frame[..., 1] = (ys / height * 255 + t * 25) % 256
        frame[..., 2] = 128 + 100 * np.sin(t + xs / 50)
        side = height // 4
        x0 = int((t * 60) % (width - side))
        frame[height // 3 : height // 3 + side, x0 : x0 + side] = 255
        frames.append(frame)
    return frames


def colour_frames(
    colours: Sequence[tuple[int, int, int]],
    fps: int = FPS,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> list[RgbFrame]:
    """One second of each flat RGB colour, in order."""
    return [np.full((height, width, 3), colour, np.uint8) for colour in colours for _ in range(fps)]


def encode_segments(
    frames: Sequence[RgbFrame], fps: int = FPS, segment_seconds: float = 1.0
) -> list[bytes]:
    """MPEG-TS segments of `segment_seconds` each, cut by FFmpeg's own HLS muxer.

    Every segment starts with a key frame; timestamps and the MPEG-TS continuity counters
    run on from one segment to the next, as a live encoder's do.
    """
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        options = {
            "hls_time": str(segment_seconds),
            "hls_list_size": "0",
            "hls_segment_filename": str(out / "segment%d.ts"),
        }
        with av.open(str(out / "index.m3u8"), mode="w", format="hls", options=options) as muxer:
            stream = muxer.add_stream("libx264", rate=fps)
            height, width = frames[0].shape[:2]
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.codec_context.gop_size = round(fps * segment_seconds)
            stream.codec_context.options = {"preset": "ultrafast", "tune": "zerolatency"}
            for index, pixels in enumerate(frames):
                frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
                frame.pts = index
                muxer.mux(stream.encode(frame))
            muxer.mux(stream.encode(None))
        count = len(list(out.glob("segment*.ts")))
        return [(out / f"segment{n}.ts").read_bytes() for n in range(count)]


class HlsServer:
    """Segments served as an HLS stream on 127.0.0.1; use as a context manager.

    `live=False` serves VOD. `live=True` publishes `initial` segments at once, then one per
    `segment_seconds`, listing the newest `window` of them. With `variants` > 1 the URL is a
    master playlist of that many variant playlists, all listing the same segments.
    """

    def __init__(
        self,
        segments: Sequence[bytes],
        *,
        live: bool,
        segment_seconds: float = 1.0,
        window: int = 3,
        initial: int = 2,
        variants: int = 1,
    ) -> None:
        self.segments = list(segments)
        self.variants = variants
        self.live = live
        self.segment_seconds = segment_seconds
        self.window = window
        self.published = len(self.segments) if not live else min(initial, len(self.segments))
        #: time.monotonic() when each segment became available, by index.
        self.published_at = dict.fromkeys(range(self.published), time.monotonic())
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._stalled_until = 0.0
        self._http: _HttpServer | None = None
        self._http_thread: threading.Thread | None = None
        self._threads: list[threading.Thread] = []
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PLAYLIST}"

    def __enter__(self) -> HlsServer:
        self._serve()
        if self.live:
            self._spawn(self._publish)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closing.set()
        for thread in self._threads:
            thread.join()
        self._stop_serving()

    def stall(self, seconds: float) -> None:
        """Publish nothing for `seconds` from now; publishing then resumes where it was."""
        with self._lock:
            self._stalled_until = time.monotonic() + seconds

    def drop(self, seconds: float) -> None:
        """Close the server now (connections refused) and reopen it on the same port later."""
        self._stop_serving()

        def reopen() -> None:
            if not self._closing.wait(seconds):
                self._serve()

        self._spawn(reopen)

    def playlist(self) -> str:
        """The media playlist as it stands now."""
        with self._lock:
            published = self.published
        first = max(0, published - self.window) if self.live else 0
        lines = [
            "#EXTM3U",
            "#EXT-X-VERSION:3",
            f"#EXT-X-TARGETDURATION:{math.ceil(self.segment_seconds)}",
            f"#EXT-X-MEDIA-SEQUENCE:{first}",
        ]
        if not self.live:
            lines.append("#EXT-X-PLAYLIST-TYPE:VOD")
        for n in range(first, published):
            lines += [f"#EXTINF:{self.segment_seconds:.6f},", f"segment{n}.ts"]
        if published == len(self.segments):
            lines.append("#EXT-X-ENDLIST")
        return "\n".join(lines) + "\n"

    def content(self, path: str) -> tuple[str, bytes] | None:
        """The content type and body served at `path`, or None (404)."""
        self.requests.append(path)
        variants = [f"/variant{n}.m3u8" for n in range(self.variants)] if self.variants > 1 else []
        if path == PLAYLIST and variants:
            master = ["#EXTM3U"]
            for n, variant in enumerate(variants):
                master += [f"#EXT-X-STREAM-INF:BANDWIDTH={(n + 1) * 200_000}", variant[1:]]
            return MPEGURL, "\n".join(master).encode() + b"\n"
        if path == PLAYLIST or path in variants:
            return MPEGURL, self.playlist().encode()
        name = path.removeprefix("/segment").removesuffix(".ts")
        with self._lock:
            published = self.published
        if path.startswith("/segment") and name.isdigit() and int(name) < published:
            return "video/mp2t", self.segments[int(name)]
        return None

    def _publish(self) -> None:
        while not self._closing.wait(self.segment_seconds):
            with self._lock:
                if time.monotonic() < self._stalled_until:
                    continue
                if self.published == len(self.segments):
                    return
                self.published_at[self.published] = time.monotonic()
                self.published += 1

    def _serve(self) -> None:
        http = _HttpServer(self, self.port)
        self.port = http.server_address[1]
        thread = threading.Thread(target=http.serve_forever, kwargs={"poll_interval": 0.02})
        thread.start()
        with self._lock:
            self._http, self._http_thread = http, thread

    def _stop_serving(self) -> None:
        with self._lock:
            http, thread, self._http, self._http_thread = self._http, self._http_thread, None, None
        if http is not None and thread is not None:
            http.shutdown()
            http.server_close()
            thread.join()

    def _spawn(self, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target)
        thread.start()
        self._threads.append(thread)


class _Handler(BaseHTTPRequestHandler):
    server: _HttpServer

    def do_GET(self) -> None:
        found = self.server.stream.content(self.path.partition("?")[0])
        if found is None:
            self.send_error(404)
            return
        content_type, body = found
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(OSError):  # the reader hung up, which readers may do
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, stream: HlsServer, port: int) -> None:
        self.stream = stream
        super().__init__(("127.0.0.1", port), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would reverse-resolve the address (socket.getfqdn).
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", int(self.server_address[1])

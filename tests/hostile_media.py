"""Hostile media, generated: benign pictures (flat colours, generated noise) in files built to
cost a decoder dear or to break it. Nothing comes from outside, and nothing here depicts
anything.

Each builder makes one kind of file the attack run of issue 16 sent: headers that claim
billions of pixels, a JPEG of thousands of empty scans, an animated GIF of thousands of
frames, videos whose timestamps leave a two-hour gap or run backwards, a stream that
switches to 8K frames mid-way, a codec FFmpeg cannot decode.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Sequence
from fractions import Fraction

import av
import numpy as np
from PIL import Image

from bastion.samples import sample_pixels
from tests.videos import encode_frames


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


# Images ------------------------------------------------------------------------------------


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload))
    )


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` x `height` grey pixels, followed by a few bytes of
    compressed data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\0" * 1024))
        + png_chunk(b"IEND", b"")
    )


def gif_header_only(width: int, height: int) -> bytes:
    """A GIF whose logical screen and only frame claim `width` x `height` pixels."""
    screen = b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0) + bytes(6)
    frame = b"," + struct.pack("<HHHHB", 0, 0, width, height, 0)
    return screen + frame + b"\x02\x02\x44\x01\x00" + b";"


def jpeg_header_claiming(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header (SOF) is rewritten to claim `width` x `height`."""
    data = bytearray(encoded(Image.fromarray(sample_pixels(3, 64, 48)), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def jpeg_with_scans(side: int, scans: int, *, hidden: bool = False) -> bytes:
    """A progressive JPEG of a flat `side` x `side` grey picture whose smallest scan (a few
    dozen bytes that still make the decoder visit every block) is repeated until the file
    has `scans` scans. `hidden`: with what libjpeg skips and a naive marker walk trips on, a
    stray byte before each scan and 0xFF fill bytes in its coded data."""
    data = encoded(Image.new("L", (side, side), 128), "JPEG", progressive=True, quality=90)
    spans = _scans(data)
    start, end = min(spans[1:], key=lambda span: span[1] - span[0])
    smallest = data[start:end]
    if hidden:  # after the 10-byte header of a one-component scan
        smallest = b"\x00" + smallest[:10] + b"\xff\xff\x00" + smallest[10:]
    last = spans[-1][1]
    return data[:last] + smallest * (scans - len(spans)) + data[last:]


def _scans(data: bytes) -> list[tuple[int, int]]:
    """Where each scan (SOS header and coded data) of a simple JPEG starts and ends."""
    spans, position = [], 2
    while data[position + 1] != 0xD9:
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        end = position + 2 + length
        if data[position + 1] == 0xDA:
            while not (data[end] == 0xFF and data[end + 1] not in (0, *range(0xD0, 0xD8))):
                end += 1
            spans.append((position, end))
        position = end
    return spans


def animated_gif(frames: int, *, keep: int | None = None) -> bytes:
    """A 32x32 GIF of `frames` different frames; with `keep`, cut off inside frame `keep`
    (the frames after the first `keep` are missing, as in a truncated upload)."""
    pictures = [Image.new("P", (32, 32), i % 256) for i in range(frames)]
    for i, picture in enumerate(pictures):
        picture.putpixel((i % 32, (i // 32) % 32), (i + 128) % 256)
    data = encoded(
        pictures[0], "GIF", save_all=True, append_images=pictures[1:], duration=20, optimize=False
    )
    if keep is None:
        return data
    starts = [i for i in range(len(data)) if data[i : i + 2] == b"!\xf9"]  # frame headers
    return data[: starts[keep] + 10]


# Videos ------------------------------------------------------------------------------------


def gap_video(seconds: float) -> bytes:
    """An MP4 of two different 64x64 frames, at 0 s and at `seconds`: a tiny file whose
    frame rate would fill the gap with `seconds` x 15 frames for TMK."""
    frames = [sample_pixels(1, 64, 64), sample_pixels(2, 64, 64)]
    return encode_frames(frames, fps=1, times=[0.0, seconds])


def held_frames_video() -> bytes:
    """A variable-rate MP4 of eight pictures, some shown for a tenth of a second and some
    held for seconds: TMK's 15 fps repeats the held ones many times."""
    times = [0.0, 0.1, 0.2, 3.0, 3.1, 9.5, 9.6, 14.0]
    frames = [sample_pixels(40 + i, 96, 64) for i in range(len(times))]
    return encode_frames(frames, fps=10, times=times)


def size_switching_video(parts: Sequence[tuple[tuple[int, int], int]], fps: int = 10) -> bytes:
    """An MPEG-TS H.264 stream of flat frames that changes frame size mid-way: `count`
    frames of each (width, height) in turn. Each size gets its own encoder, whose stream
    carries the new size in-band, as a camera switching resolution would."""
    out = io.BytesIO()
    clock = Fraction(1, fps)
    with av.open(out, mode="w", format="mpegts") as container:
        stream = container.add_stream("libx264", rate=fps)
        pts = 0
        for (width, height), count in parts:
            encoder = av.CodecContext.create("libx264", "w")
            encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
            encoder.time_base, encoder.framerate = clock, Fraction(fps)
            encoder.options = {"preset": "ultrafast"}
            for _ in range(count):
                pixels = np.full((height, width, 3), (pts * 37) % 256, np.uint8)
                frame = av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(
                    format="yuv420p"
                )
                frame.pts, frame.time_base = pts, clock
                pts += 1
                _mux(container, stream, encoder.encode(frame))
            _mux(container, stream, encoder.encode(None))
    return out.getvalue()


def _mux(
    container: av.container.OutputContainer, stream: av.VideoStream, packets: list[av.Packet]
) -> None:
    for packet in packets:
        packet.stream = stream
        container.mux(packet)


def backwards_video() -> bytes:
    """Two MPEG-TS clips joined: the second's timestamps start again from 0."""
    clips = [
        encode_frames(
            [sample_pixels(seed * 10 + i, 64, 48) for i in range(20)],
            fps=10,
            codec="libx264",
            container_format="mpegts",
        )
        for seed in (6, 7)
    ]
    return clips[0] + clips[1]


def fast_video(frames: int, fps: int) -> bytes:
    """`frames` flat 32x32 frames declared at `fps` a second."""
    pictures = [np.full((32, 32, 3), i * 9 % 256, np.uint8) for i in range(frames)]
    return encode_frames(pictures, fps=fps, codec="libx264")


def no_decoder_video() -> bytes:
    """An MP4 whose video track names a codec nobody decodes (fourcc 'zzzz')."""
    data = encode_frames([sample_pixels(8, 64, 48)] * 3, fps=5)
    return data.replace(b"mp4v", b"zzzz", 1).replace(b"esds", b"free", 1)


PLAYLIST = b"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nfile:///etc/hostname\n#EXT-X-ENDLIST\n"

"""`bastion stream watch URL`: watch a live stream in the foreground, alerting on matches."""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

import typer

from bastion.actions import ActionStore
from bastion.cli.context import CliContext
from bastion.cli.output import describe_match
from bastion.matching import Match
from bastion.media.fetch import ForbiddenAddressError
from bastion.media.stream import StreamOptions, check_stream_address
from bastion.pdq import PdqMode
from bastion.signals import Signal
from bastion.streams import StreamWatcher, WatchPolicy, public_url

app = typer.Typer(help="Watch live streams (HLS, RTMP) for known content.", no_args_is_help=True)


@app.command("watch")
def watch(
    ctx: typer.Context,
    url: str = typer.Argument(..., help="HLS (http/https .m3u8) or RTMP(S) URL."),
    sample_seconds: float = typer.Option(0.5, help="Seconds of stream between sampled frames."),
    min_frames: int = typer.Option(2, min=1, help="Matching frames (within 10 s) to alert."),
    duration: float | None = typer.Option(
        None, help="Stop after this many seconds (default: until the stream ends or Ctrl-C)."
    ),
) -> None:
    """Sample, hash and match a live stream's frames as they arrive; an alert runs the
    matched banks' actions and is printed. Reconnects on stalls and drops; prints its lag.

    Exit status: 0 if an alert was raised, 1 if none, 2 if the stream could not be read.
    """
    cli: CliContext = ctx.obj
    addresses = cli.settings.fetch_policy()
    try:
        check_stream_address(url, addresses)
    except ForbiddenAddressError as e:
        cli.err.print(f"error: {e.message} (fetch_allow_networks allows a network)", markup=False)
        raise typer.Exit(2) from None
    matcher = cli.matcher()
    actions = ActionStore(cli.db)
    lock = threading.Lock()

    def match(signals: list[Signal]) -> list[Match]:
        with lock:
            matcher.refresh()
            return matcher.match_signals(signals)

    def alert(matches: list[Match], content: dict[str, Any]) -> None:
        actions.record_matches(matches, content=content)
        for m in matches:
            cli.out.print(
                f"ALERT at {content['stream_seconds']:.1f} s: {describe_match(m)}", markup=False
            )

    watcher = StreamWatcher(
        url,
        match,
        alert,
        options=StreamOptions(sample_seconds=sample_seconds, addresses=addresses),
        policy=WatchPolicy(min_frames=min_frames),
        pdq_mode=PdqMode(cli.settings.pdq_mode),
    )
    previous = signal.signal(signal.SIGINT, lambda *_: watcher.stop_event.set())
    cli.err.print(f"watching {public_url(url)} (Ctrl-C stops)", markup=False)
    started = time.monotonic()
    watcher.start()
    try:
        while watcher.running:
            time.sleep(0.2)
            if duration is not None and time.monotonic() - started >= duration:
                watcher.stop_event.set()
    finally:
        watcher.stop()
        signal.signal(signal.SIGINT, previous)
    figures, reader = watcher.figures, watcher.reader
    cli.err.print(
        f"{figures.frames} frames, {figures.matched_frames} matching, {figures.alerts} alerts, "
        f"lag {reader.lag_seconds:.1f} s, {reader.reconnects} reconnects"
        + (f", last error: {reader.last_error}" if reader.last_error else ""),
        markup=False,
    )
    if watcher.error is not None:
        cli.err.print(f"error: {watcher.error}", markup=False)
        raise typer.Exit(2)
    raise typer.Exit(0 if figures.alerts else 1)

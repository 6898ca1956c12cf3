"""`bastion stream ...`: watch a live stream in the foreground (`watch`), or manage the
watches a running service runs (`start`, `list`, `stop`)."""

from __future__ import annotations

import json
import signal
import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from bastion.cli.output import describe_match

if TYPE_CHECKING:
    from bastion.cli.context import CliContext
    from bastion.matching import Match
    from bastion.media.fetch import FetchPolicy

app = typer.Typer(help="Watch live streams (HLS, RTMP) for known content.", no_args_is_help=True)


def _checked(cli: CliContext, url: str) -> FetchPolicy:
    """The address rules for streams, after checking `url` against them."""
    from bastion.media.fetch import ForbiddenAddressError
    from bastion.streams import check_address

    addresses = cli.settings.fetch_policy()
    try:
        check_address(url, addresses)
    except ForbiddenAddressError as e:
        cli.err.print(f"error: {e.message} (fetch_allow_networks allows a network)", markup=False)
        raise typer.Exit(2) from None
    return addresses


@app.command("watch")
def watch(
    ctx: typer.Context,
    url: str = typer.Argument(..., help="HLS (http/https .m3u8) or RTMP(S) URL."),
    sample_seconds: float = typer.Option(
        0.5, metavar="SECONDS", help="Seconds of stream between sampled frames."
    ),
    min_frames: int = typer.Option(2, min=1, help="Matching frames (within 10 s) to alert."),
    duration: float | None = typer.Option(
        None,
        metavar="SECONDS",
        help="Stop after this many seconds (default: until the stream ends or Ctrl-C).",
    ),
) -> None:
    """Sample, hash and match a live stream's frames as they arrive; an alert runs the
    matched banks' actions and is printed. Reconnects on stalls and drops; prints its lag.

    Exit status: 0 if an alert was raised, 1 if none, 2 if the stream could not be read.
    """
    from bastion.media.stream import StreamOptions
    from bastion.streams import StreamWatcher, WatchPolicy, public_url

    cli: CliContext = ctx.obj
    addresses = _checked(cli, url)
    bastion = cli.bastion

    def alert(matches: list[Match], content: dict[str, Any]) -> None:
        # As the service: the matched banks' actions are queued, and their webhooks are
        # delivered here, as the service's worker would; the alert is tallied.
        bastion.tally.record_alert("stream", "cli")
        queued = bastion.act(matches, content)
        if queued:
            bastion.deliver_due(limit=queued)
        for m in matches:
            cli.out.print(
                f"ALERT at {content['stream_seconds']:.1f} s: {describe_match(m)}", markup=False
            )

    watcher = StreamWatcher(  # frames hashed and looked up as the service's watchers do
        url,
        bastion.look_up_frame,
        alert,
        options=StreamOptions(sample_seconds=sample_seconds, addresses=addresses),
        policy=WatchPolicy(min_frames=min_frames),
        hashing=cli.settings.hashing_options(),
        lookups_wanted=bastion.matcher.options,
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


@app.command("start")
def start(
    ctx: typer.Context,
    url: str = typer.Argument(..., help="HLS (http/https .m3u8) or RTMP(S) URL."),
    name: str = typer.Option("", "--name", help="A label for listings."),
) -> None:
    """Add a watch for the service: a running `bastion serve` (any of its processes) starts
    watching URL within a second, runs the banks' actions on matches, and resumes the watch
    after a restart. The same address rules apply as for the API."""
    from bastion.streams import WatchStore

    cli: CliContext = ctx.obj
    _checked(cli, url)
    watch = WatchStore(cli.db).add(
        url, name=name, started_by="cli", limit=cli.settings.max_stream_watches
    )
    cli.out.print(f"added stream watch {watch.id}: {watch.url}", markup=False)


@app.command("list")
def list_watches(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The service's stream watches, with their state and figures (URLs without queries)."""
    from bastion.streams import WatchStore

    cli: CliContext = ctx.obj
    watches = WatchStore(cli.db).list()
    if as_json:
        doc = [asdict(w) | {"started_at": w.started_at.isoformat()} for w in watches]
        cli.out.print(json.dumps(doc, indent=2), markup=False)
        return
    table = Table("id", "state", "url", "name", "frames", "alerts", "lag s", "last error")
    for w in watches:
        table.add_row(
            str(w.id),
            str(w.state),
            w.url,
            w.name,
            str(w.frames),
            str(w.alerts),
            f"{w.lag_seconds:.1f}",
            w.last_error or "",
        )
    cli.out.print(table)


@app.command("stop")
def stop(
    ctx: typer.Context, watch_id: int = typer.Argument(..., metavar="ID", help="Watch id.")
) -> None:
    """Stop a watch and forget it; the service process running it stops within a second."""
    from bastion.streams import WatchStore

    cli: CliContext = ctx.obj
    last = WatchStore(cli.db).remove(watch_id)
    cli.out.print(
        f"stopped stream watch {watch_id} after {last.frames} frames, {last.alerts} alerts",
        markup=False,
    )

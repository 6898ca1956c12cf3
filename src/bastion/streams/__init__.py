"""Live streams: watchers that sample, hash and match a stream's frames as they arrive, and
the watches every service process shares through the database."""

from bastion.streams.registry import StreamRegistry, check_address
from bastion.streams.watcher import StreamWatcher, WatchFigures, WatchPolicy, public_url
from bastion.streams.watches import WatchState, WatchStatus, WatchStore

__all__ = [
    "StreamRegistry",
    "StreamWatcher",
    "WatchFigures",
    "WatchPolicy",
    "WatchState",
    "WatchStatus",
    "WatchStore",
    "check_address",
    "public_url",
]

"""Live streams: watchers that sample, hash and match a stream's frames as they arrive."""

from bastion.streams.registry import StreamRegistry, WatchStatus
from bastion.streams.watcher import StreamWatcher, WatchFigures, WatchPolicy, public_url

__all__ = [
    "StreamRegistry",
    "StreamWatcher",
    "WatchFigures",
    "WatchPolicy",
    "WatchStatus",
    "public_url",
]

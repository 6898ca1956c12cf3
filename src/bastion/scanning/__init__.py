"""Bulk scans: what a scan reads (`sources`) and what it recorded (`store`)."""

from bastion.scanning.sources import SourceItem, list_items, read_item, source_kind
from bastion.scanning.store import Listed, Scan, ScanCounts, ScanStore, WorkItem

__all__ = [
    "Listed",
    "Scan",
    "ScanCounts",
    "ScanStore",
    "SourceItem",
    "WorkItem",
    "list_items",
    "read_item",
    "source_kind",
]

"""NCMEC's CyberTipline: the raw client of its Reporting API (`CyberTiplineClient`), the
documents a report is sent as (`report_document`, `file_document`), their schema
(`ReportSchema`, fetched from NCMEC and cached by `SchemaCache`), the checks made on the model
first (`problems`), and the `ReportSink` that ties them (`CyberTiplineSink`)."""

from bastion.reporting.cybertipline.checks import problems
from bastion.reporting.cybertipline.client import ENVIRONMENTS, MAX_BYTES, CyberTiplineClient
from bastion.reporting.cybertipline.document import (
    PLACEHOLDER_FILE_ID,
    PLACEHOLDER_REPORT_ID,
    file_document,
    report_document,
)
from bastion.reporting.cybertipline.responses import CODES, error_for
from bastion.reporting.cybertipline.schema import ReportSchema, SchemaCache
from bastion.reporting.cybertipline.sink import CyberTiplineSink

__all__ = [
    "CODES",
    "ENVIRONMENTS",
    "MAX_BYTES",
    "PLACEHOLDER_FILE_ID",
    "PLACEHOLDER_REPORT_ID",
    "CyberTiplineClient",
    "CyberTiplineSink",
    "ReportSchema",
    "SchemaCache",
    "error_for",
    "file_document",
    "problems",
    "report_document",
]

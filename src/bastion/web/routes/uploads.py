"""Reading uploaded files under the configured byte limit."""

from __future__ import annotations

from starlette.datastructures import UploadFile

from bastion.errors import MediaError, MediaTooLargeError


def read_upload(upload: UploadFile, max_bytes: int) -> bytes:
    data = upload.file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise MediaTooLargeError(
            f"{upload.filename or 'upload'}: exceeds the limit of {max_bytes:,} bytes "
            "(setting max_media_bytes)"
        )
    if not data:
        raise MediaError(f"{upload.filename or 'upload'}: file is empty")
    return data

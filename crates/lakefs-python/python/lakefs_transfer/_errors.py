"""The exceptions of lakefs_transfer.

Every exception's message is the Rust error chain joined with ": "; it never holds a
password, a token or a presigned URL's signature. ``status`` is the HTTP status behind the
failure when there is one (lakeFS's answer, or the object store's for a part), else None.
"""

from __future__ import annotations

from typing import Optional

__all__ = [
    "LakeFSError",
    "ConfigError",
    "AuthenticationError",
    "NotFoundError",
    "ConflictError",
    "TransferError",
]


class LakeFSError(Exception):
    """Base class of every lakefs_transfer error."""

    status: Optional[int]

    def __init__(self, message: str, status: Optional[int] = None) -> None:
        super().__init__(message)
        self.status = status


class ConfigError(LakeFSError, ValueError):
    """Settings or arguments that cannot work (a bad concurrency, part size, endpoint, session
    or part list, missing lakectl settings): raised before anything is sent."""


class AuthenticationError(LakeFSError):
    """lakeFS refused the credentials or the permission (401, 403)."""


class NotFoundError(LakeFSError):
    """The repository, branch, reference or object does not exist (404)."""


class ConflictError(LakeFSError):
    """A conflict: lakeFS answered 409 or 412, or the object changed during a download."""


class TransferError(LakeFSError):
    """The data plane failed: a part's transfer, the source, a checksum, a local file."""

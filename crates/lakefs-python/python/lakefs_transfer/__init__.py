"""Fast, verified, resumable lakeFS uploads and downloads, from the Rust engines of the
lakeFS Rust SDK.

>>> import lakefs_transfer as lt
>>> client = lt.Client.from_env()                     # doctest: +SKIP
>>> client.upload("repo", "main", "data/big.bin", "big.bin")  # doctest: +SKIP

The bytes go straight between this machine and the object store through presigned URLs,
parts in parallel within a memory bound; lakeFS only signs and records. See ``Client``.
"""

from __future__ import annotations

from ._errors import (
    AuthenticationError,
    ConfigError,
    ConflictError,
    LakeFSError,
    NotFoundError,
    TransferError,
)
from ._native import Client, ObjectChunks, __version__

__all__ = [
    "Client",
    "ObjectChunks",
    "LakeFSError",
    "ConfigError",
    "AuthenticationError",
    "NotFoundError",
    "ConflictError",
    "TransferError",
    "__version__",
]

"""Type stubs of the compiled module lakefs_transfer._native (re-exported by lakefs_transfer)."""

import os
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Union



__version__: str

Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, Any, Iterable[bytes]]
"""A path to a file, bytes in memory, a binary file object with .read(n), or an iterable of
bytes."""

Concurrency = Union[int, str]
"""A number of parts in flight, "auto" or "auto:N" (adaptive, at most N)."""

Progress = Callable[[int, Optional[int]], Any]
"""progress(bytes_done, total): total is None while a stream's size is unknown."""

class Client:
    """A lakeFS server and credentials, and fast transfers through presigned URLs."""

    def __init__(self, host: str, username: str, password: str) -> None: ...
    @classmethod
    def from_env(cls) -> "Client": ...
    @property
    def host(self) -> str: ...
    def upload(
        self,
        /,
        repository: str,
        branch: str,
        path: str,
        source: Source,
        *,
        part_size: Optional[int] = None,
        concurrency: Concurrency = "auto",
        checkpoint: Union[str, "os.PathLike[str]", None] = None,
        content_type: Optional[str] = None,
        metadata: Optional[Mapping[str, str]] = None,
        progress: Optional[Progress] = None,
    ) -> Dict[str, Any]: ...
    def download(
        self,
        /,
        repository: str,
        ref: str,
        path: str,
        dest: Union[str, "os.PathLike[str]"],
        *,
        concurrency: Concurrency = "auto",
        verify: bool = True,
        resume: bool = True,
        progress: Optional[Progress] = None,
    ) -> Dict[str, Any]: ...
    def read(
        self,
        /,
        repository: str,
        ref: str,
        path: str,
        *,
        offset: int = 0,
        length: Optional[int] = None,
        concurrency: Concurrency = "auto",
    ) -> "ObjectChunks": ...
    def begin_upload(
        self,
        /,
        repository: str,
        branch: str,
        path: str,
        size: int,
        *,
        part_size: Optional[int] = None,
    ) -> Dict[str, Any]: ...
    def upload_parts(
        self,
        /,
        session: Union[Mapping[str, Any], str],
        source: Union[str, "os.PathLike[str]", bytes, bytearray, memoryview],
        first_part: int,
        last_part: int,
        *,
        concurrency: Concurrency = "auto",
    ) -> List[Dict[str, Any]]: ...
    def complete_upload(
        self,
        /,
        session: Union[Mapping[str, Any], str],
        parts: Iterable[Mapping[str, Any]],
        *,
        content_type: Optional[str] = None,
        metadata: Optional[Mapping[str, str]] = None,
    ) -> Dict[str, Any]: ...
    def abort_upload(self, /, session: Union[Mapping[str, Any], str]) -> None: ...

class ObjectChunks(Iterator[bytes]):
    """An object's bytes as an iterator of bytes chunks, in order (from Client.read)."""

    def __iter__(self) -> "ObjectChunks": ...
    def __next__(self) -> bytes: ...
    @property
    def size(self) -> int: ...
    @property
    def verification(self) -> Optional[Dict[str, Any]]: ...
    def close(self) -> None: ...

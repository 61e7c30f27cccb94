"""File storage behind a small interface; local disk under instance/files by default.

Keys always begin with ``store_<id>/`` so a file can only be served to its own store.
Another backend (S3, OSS) implements the same four methods.
"""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import current_app

from app.core.tenancy import current_store

IMAGE_TYPES = {b"\x89PNG": ".png", b"\xff\xd8\xff": ".jpg", b"GIF8": ".gif", b"RIFF": ".webp"}
MAX_IMAGE_BYTES = 5 * 1024 * 1024


class BadFile(ValueError):
    """The upload is not an acceptable file (type or size)."""


class Storage(Protocol):
    def save(self, folder: str, data: bytes, suffix: str) -> str: ...
    def path(self, key: str) -> Path: ...
    def delete(self, key: str) -> None: ...
    def owns(self, key: str) -> bool: ...


class LocalStorage:
    def __init__(self, root: Path):
        self.root = root

    def _prefix(self) -> str:
        return f"store_{current_store().id}/"

    def save(self, folder: str, data: bytes, suffix: str) -> str:
        key = f"{self._prefix()}{folder}/{uuid.uuid4().hex}{suffix}"
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return key

    def owns(self, key: str) -> bool:
        """Is `key` a file of the bound store (and no path trickery)?"""
        return key.startswith(self._prefix()) and ".." not in key and not key.startswith("/")

    def path(self, key: str) -> Path:
        if not self.owns(key):
            raise FileNotFoundError(key)
        return self.root / key

    def delete(self, key: str) -> None:
        if self.owns(key):
            (self.root / key).unlink(missing_ok=True)


def get_storage() -> Storage:
    return LocalStorage(Path(current_app.config["INSTANCE_PATH"]) / "files")


def image_suffix(data: bytes) -> str:
    """The file suffix for an image upload, by its first bytes; BadFile otherwise."""
    if len(data) > MAX_IMAGE_BYTES:
        raise BadFile("too large")
    for magic, suffix in IMAGE_TYPES.items():
        if data.startswith(magic) and (suffix != ".webp" or data[8:12] == b"WEBP"):
            return suffix
    raise BadFile("not an image")


def read_upload(file: BinaryIO | None) -> bytes:
    if file is None:
        raise BadFile("missing")
    return file.read(MAX_IMAGE_BYTES + 1)

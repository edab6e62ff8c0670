"""Reading a bundle's zip without trusting it.

A bundle comes from whoever hands it over, so the zip itself is hostile input:
two members with one name (zip tools disagree on which one they show), names
that are paths, a small file that inflates to gigabytes, headers that lie
about sizes. Every such thing is refused with its own reason before or while
reading, and memory stays bounded by the limits below whatever the headers say.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 64 * 1024
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_ZIP_ERRORS = (
    OSError,
    EOFError,
    ValueError,
    RuntimeError,
    NotImplementedError,
    zipfile.BadZipFile,
    zlib.error,
    struct.error,
    KeyError,
    IndexError,
    OverflowError,
    UnicodeDecodeError,
)


class Refused(Exception):
    """A bundle (or proof) that is not accepted; the message says why. Exit code 1."""


class UnsafeBundle(Refused):
    pass


@dataclass(frozen=True)
class Limits:
    members: int = 100_000
    member_bytes: int = 256 * 1024 * 1024
    total_bytes: int = 512 * 1024 * 1024
    ratio: int = 200  # uncompressed / compressed, checked for members above ratio_floor
    ratio_floor: int = 1024 * 1024


DEFAULT_LIMITS = Limits()


def read_members(
    path: Path, expected: Callable[[str], bool], limits: Limits = DEFAULT_LIMITS
) -> dict[str, bytes]:
    """Every member's bytes, in archive order, or UnsafeBundle naming the first problem."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            _check_directory(infos, expected, limits)
            return {info.filename: _read(archive, info, limits) for info in infos}
    except _ZIP_ERRORS as exc:
        raise UnsafeBundle(f"{path.name} is not a readable bundle: {exc}") from exc


def _check_directory(
    infos: list[zipfile.ZipInfo], expected: Callable[[str], bool], limits: Limits
) -> None:
    if len(infos) > limits.members:
        raise UnsafeBundle(f"the zip holds {len(infos)} members, more than {limits.members}")
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        if name in seen:
            raise UnsafeBundle(f"the zip holds two members named {name!r}: refusing to choose")
        seen.add(name)
        _check_name(name, expected)
        _check_member(info, limits)
        total += info.file_size
        if total > limits.total_bytes:
            raise UnsafeBundle(f"the members add up to more than {limits.total_bytes} bytes")


def _check_name(name: str, expected: Callable[[str], bool]) -> None:
    parts = name.split("/")
    if (
        name.startswith("/")
        or "\\" in name
        or ".." in parts
        or "\x00" in name
        or (len(name) > 1 and name[1] == ":")
    ):
        raise UnsafeBundle(f"member name {name[:200]!r} is a path outside the bundle")
    if not expected(name):
        raise UnsafeBundle(f"member {name[:200]!r} does not belong in a bundle")


def _check_member(info: zipfile.ZipInfo, limits: Limits) -> None:
    name = info.filename
    if info.flag_bits & 0x1:
        raise UnsafeBundle(f"member {name} is encrypted")
    if info.compress_type not in _METHODS:
        raise UnsafeBundle(f"member {name} uses an unsupported compression method")
    if info.file_size > limits.member_bytes:
        raise UnsafeBundle(
            f"member {name} declares {info.file_size} bytes, more than {limits.member_bytes}"
        )
    ratio_limit = max(info.compress_size, 1) * limits.ratio
    if info.file_size > limits.ratio_floor and info.file_size > ratio_limit:
        raise UnsafeBundle(
            f"member {name} is too compressed ({info.file_size} bytes from "
            f"{info.compress_size}): refusing a zip bomb"
        )


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> bytes:
    """Read no more than the declared size (plus one byte, to catch a header that lies)."""
    cap = min(info.file_size, limits.member_bytes) + 1
    chunks: list[bytes] = []
    read = 0
    with archive.open(info) as stream:
        while read < cap:
            chunk = stream.read(min(_CHUNK, cap - read))
            if not chunk:
                break
            chunks.append(chunk)
            read += len(chunk)
    if read != info.file_size:
        raise UnsafeBundle(
            f"member {info.filename} holds {read} bytes but declares {info.file_size}"
        )
    return b"".join(chunks)

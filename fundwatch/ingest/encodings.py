"""Text files' bytes: one streaming scan (hash, UTF-8 validity, physical lines), the encoding to
read them with, and transcoding to UTF-8.
"""

from __future__ import annotations

import codecs
import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from fundwatch.ingest.files import InputError


READ_CHUNK_BYTES = 16 << 20


UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
ZIP_MAGIC = b"PK\x03\x04"
REPLACEMENT = "\ufffd"
UNDECODABLE_REASON = "含有无法解码的字节（与文件其余部分的编码不同）"


@dataclass
class ByteScan:
    sha256: str
    size: int
    head: bytes
    utf8_ok: bool
    utf8_error_at: int | None  # offset (near) the first byte that is not UTF-8
    lines: int  # physical lines: \n, \r\n and lone \r end a line


def scan_bytes(path: Path) -> ByteScan:
    """One streaming pass: sha256, UTF-8 validity, and the physical line count."""
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    utf8_ok, error_at = True, None
    size = newlines = lone_cr = 0
    head = previous_last = b""
    # the hash runs in a thread (hashlib lets go of the GIL) beside the decoding, chunk after chunk
    with open(path, "rb") as fh, ThreadPoolExecutor(max_workers=1) as hasher:
        hashing = None
        while chunk := fh.read(READ_CHUNK_BYTES):
            head = head or chunk[:8]
            if hashing is not None:
                hashing.result()
            hashing = hasher.submit(digest.update, chunk)
            newlines += chunk.count(b"\n")
            if b"\r" in chunk or previous_last == b"\r":
                lone_cr += chunk.count(b"\r") - chunk.count(b"\r\n") - (previous_last == b"\r" and chunk[:1] == b"\n")
            if utf8_ok:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError as error:
                    utf8_ok, error_at = False, max(size + error.start - 3, 0)
            size += len(chunk)
            previous_last = chunk[-1:]
        if hashing is not None:
            hashing.result()
    if utf8_ok:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_ok, error_at = False, max(size - 3, 0)
    lines = newlines + lone_cr + (0 if previous_last in (b"\n", b"\r") else 1)
    return ByteScan(digest.hexdigest(), size, head, utf8_ok, error_at, lines)


def _replacements(path: Path) -> tuple[int, int]:
    """How many characters of the file cannot be decoded as UTF-8, and as GB18030 (after a UTF-8 BOM)."""
    utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
    gb = codecs.getincrementaldecoder("gb18030")(errors="replace")
    counts = [0, 0]
    with open(path, "rb") as fh:
        first = True
        while True:
            data = fh.read(READ_CHUNK_BYTES)
            counts[0] += utf8.decode(data, final=not data).count(REPLACEMENT)
            counts[1] += gb.decode(data[3:] if first and data.startswith(UTF8_BOM) else data,
                                   final=not data).count(REPLACEMENT)
            first = False
            if not data:
                return counts[0], counts[1]


def text_encoding(path: Path, scan: ByteScan, rel: str) -> tuple[str, str]:
    """(Python codec to read the file with, name for the manifest).

    Not valid UTF-8: GBK/GB18030, unless UTF-8 leaves fewer bytes undecoded (a UTF-8 file with a
    few foreign bytes: a pasted GBK row, a character cut at the end). Either way the bytes that stay
    undecodable become U+FFFD and their rows go to quarantine.
    """
    if scan.size == 0:
        raise InputError(f"{rel}: file is empty")
    if scan.head.startswith(ZIP_MAGIC):
        raise InputError(f"{rel}: is an Excel workbook (zip), not CSV text; give it the .xlsx extension")
    if scan.head.startswith(UTF16_BOMS):
        return "utf-16", "utf-16"
    if scan.utf8_ok:
        return "utf-8-sig", "utf-8"
    utf8_errors, gb_errors = _replacements(path)
    if utf8_errors < gb_errors:
        return "utf-8-sig", "utf-8 (with bytes that are not UTF-8)"
    if scan.head.startswith(UTF8_BOM):
        return "gb18030", "gb18030 (after a UTF-8 byte-order mark)"
    return "gb18030", "gb18030"


def transcode_to_utf8(path: Path, codec: str, target: Path) -> tuple[bool, int]:
    """Write the file as UTF-8 (undecodable bytes as U+FFFD); (any replaced, physical lines)."""
    lossy, newlines, lone_cr, previous_last, last = False, 0, 0, "", ""
    skip_bom = codec == "gb18030"
    with open(path, "rb") as raw, open(target, "w", encoding="utf-8", newline="") as dst:
        if skip_bom and raw.read(3) != UTF8_BOM:
            raw.seek(0)
        decoder = codecs.getincrementaldecoder(codec)(errors="replace")
        while True:
            data = raw.read(READ_CHUNK_BYTES)
            chunk = decoder.decode(data, final=not data)
            if chunk:
                lossy = lossy or REPLACEMENT in chunk
                newlines += chunk.count("\n")
                lone_cr += chunk.count("\r") - chunk.count("\r\n") - (previous_last == "\r" and chunk[0] == "\n")
                previous_last = last = chunk[-1]
                dst.write(chunk)
            if not data:
                break
    return lossy, newlines + lone_cr + (0 if last in ("\n", "\r") else 1)

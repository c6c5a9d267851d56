"""Read a TensorFlow checkpoint (``variables.index`` + ``variables.data-*``) without TensorFlow.

A checkpoint is two files: the data file holds every tensor's raw little-endian bytes one after
another; the index is a LevelDB-style sorted table (an "SSTable") that maps each variable name to
a small protobuf (``BundleEntryProto``) saying where its bytes are, its dtype and its shape. This
module reads just that: enough to convert Google's pretrained BERT without installing a 600 MB
framework to open one file. Format references: LevelDB's ``table_format.md`` and TensorFlow's
``tensor_bundle.proto``.
"""
from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

import numpy as np

__all__ = ["CheckpointError", "TensorEntry", "read_index", "read_tensors"]

_TABLE_MAGIC = 0xDB4775248B80FB57
_FOOTER_SIZE = 48
_BLOCK_TRAILER_SIZE = 5  # 1 byte compression type + 4 bytes CRC after every block
_DTYPES = {1: np.float32, 2: np.float64, 3: np.int32, 9: np.int64, 10: np.bool_, 19: np.float16}


class CheckpointError(ValueError):
    """The checkpoint files are not what this reader understands (or are damaged)."""


@dataclass(frozen=True)
class TensorEntry:
    """Where one variable's bytes are in the data file, and how to read them."""

    name: str
    dtype: np.dtype
    shape: tuple[int, ...]
    shard: int
    offset: int
    size: int


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise CheckpointError("truncated varint in the checkpoint index")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _protobuf_fields(buf: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value) pairs of a protobuf message: ints for varints, bytes otherwise."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
            yield field, value
        elif wire == 2:
            length, pos = _varint(buf, pos)
            yield field, buf[pos : pos + length]
            pos += length
        elif wire == 5:
            yield field, buf[pos : pos + 4]
            pos += 4
        elif wire == 1:
            yield field, buf[pos : pos + 8]
            pos += 8
        else:
            raise CheckpointError(f"unsupported protobuf wire type {wire} in the checkpoint index")


def _block_entries(table: bytes, offset: int, size: int) -> Iterator[tuple[bytes, bytes]]:
    """Key/value pairs of one table block (keys are stored as a shared prefix + a new suffix)."""
    if offset + size + _BLOCK_TRAILER_SIZE > len(table):
        raise CheckpointError("the checkpoint index is truncated (a block points past its end)")
    if table[offset + size] != 0:
        raise CheckpointError("the checkpoint index uses block compression, which this reader does not support")
    block = table[offset : offset + size]
    (num_restarts,) = struct.unpack_from("<I", block, size - 4)
    end = size - 4 - 4 * num_restarts
    pos, key = 0, b""
    while pos < end:
        shared, pos = _varint(block, pos)
        unshared, pos = _varint(block, pos)
        value_len, pos = _varint(block, pos)
        key = key[:shared] + block[pos : pos + unshared]
        pos += unshared
        yield key, block[pos : pos + value_len]
        pos += value_len


def _number(value: int | bytes) -> int:
    if isinstance(value, bytes):
        raise CheckpointError("the checkpoint index is corrupt (a number field holds bytes)")
    return value


def _message(value: int | bytes) -> bytes:
    if isinstance(value, int):
        raise CheckpointError("the checkpoint index is corrupt (a message field holds a number)")
    return value


def _entry(name: str, proto: bytes) -> TensorEntry:
    dtype_code, shard, offset, size = 0, 0, 0, 0
    dims: list[int] = []
    for field, value in _protobuf_fields(proto):
        if field == 1:
            dtype_code = _number(value)
        elif field == 2:
            for dim_field, dim in _protobuf_fields(_message(value)):
                if dim_field == 2:
                    dims.append(next((_number(v) for f, v in _protobuf_fields(_message(dim)) if f == 1), 0))
        elif field == 3:
            shard = _number(value)
        elif field == 4:
            offset = _number(value)
        elif field == 5:
            size = _number(value)
        elif field == 7:
            raise CheckpointError(f"{name} is saved in slices, which this reader does not support")
    if dtype_code not in _DTYPES:
        raise CheckpointError(f"{name} has TensorFlow dtype code {dtype_code}, which this reader does not support")
    return TensorEntry(name, np.dtype(_DTYPES[dtype_code]), tuple(dims), shard, offset, size)


def read_index(index: bytes) -> list[TensorEntry]:
    """Every variable listed in a ``variables.index`` file, in name order."""
    if len(index) < _FOOTER_SIZE:
        raise CheckpointError("the checkpoint index is too short to be a TensorFlow index")
    footer = index[-_FOOTER_SIZE:]
    if struct.unpack("<Q", footer[-8:])[0] != _TABLE_MAGIC:
        raise CheckpointError("not a TensorFlow checkpoint index (bad magic number)")
    _, pos = _varint(footer, 0)  # metaindex block offset
    _, pos = _varint(footer, pos)  # metaindex block size
    index_offset, pos = _varint(footer, pos)
    index_size, _ = _varint(footer, pos)
    entries = []
    for _, handle in _block_entries(index, index_offset, index_size):
        block_offset, pos = _varint(handle, 0)
        block_size, _ = _varint(handle, pos)
        for key, value in _block_entries(index, block_offset, block_size):
            if key:  # the empty key holds the bundle header, not a tensor
                entries.append(_entry(key.decode("utf-8"), value))
    return entries


def read_tensors(entries: list[TensorEntry], data: IO[bytes]) -> Iterator[tuple[str, np.ndarray]]:
    """(name, array) for each entry, reading the single-shard data file front to back.

    Reading in offset order needs no seeking, so ``data`` may be a stream (a member of a zip).
    """
    if any(e.shard != 0 for e in entries):
        raise CheckpointError("multi-shard checkpoints are not supported")
    pos = 0
    for entry in sorted(entries, key=lambda e: e.offset):
        if entry.offset < pos:
            raise CheckpointError(f"{entry.name} overlaps the tensor before it")
        data.read(entry.offset - pos)
        raw = data.read(entry.size)
        pos = entry.offset + len(raw)
        expected = int(np.prod(entry.shape, dtype=np.int64)) * entry.dtype.itemsize
        if len(raw) != entry.size or entry.size != expected:
            raise CheckpointError(
                f"{entry.name}: expected {expected} bytes, found {len(raw)}; the data file is truncated or damaged"
            )
        yield entry.name, np.frombuffer(raw, dtype=entry.dtype.newbyteorder("<")).reshape(entry.shape)

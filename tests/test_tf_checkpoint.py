"""The TensorFlow checkpoint reader, on checkpoints written here by an independent writer."""
import io
import struct

import numpy as np
import pytest

from qa_helpers.models.tf_checkpoint import CheckpointError, read_index, read_tensors

DTYPE_CODES = {np.dtype(np.float32): 1, np.dtype(np.int32): 3, np.dtype(np.int64): 9}


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number: int, value) -> bytes:
    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    return varint(number << 3 | 2) + varint(len(value)) + value


def block(entries: list[tuple[bytes, bytes]], restart_every: int = 2) -> bytes:
    """A LevelDB table block with shared key prefixes and a restart array."""
    out, restarts, previous = bytearray(), [], b""
    for i, (key, value) in enumerate(entries):
        shared = 0
        if i % restart_every:
            while shared < min(len(key), len(previous)) and key[shared] == previous[shared]:
                shared += 1
        else:
            restarts.append(len(out))
        out += varint(shared) + varint(len(key) - shared) + varint(len(value)) + key[shared:] + value
        previous = key
    out += b"".join(struct.pack("<I", r) for r in restarts) + struct.pack("<I", len(restarts))
    return bytes(out)


def write_checkpoint(tensors: dict[str, np.ndarray], blocks: int = 2) -> tuple[bytes, bytes]:
    """(index, data) in TensorFlow's bundle format: sorted keys, a header under the empty key."""
    data, entries = bytearray(), [(b"", field(1, 1))]  # BundleHeaderProto: num_shards = 1
    for name in sorted(tensors):
        array = tensors[name]
        shape = b"".join(field(2, field(1, d)) for d in array.shape)
        entry = field(1, DTYPE_CODES[array.dtype]) + field(2, shape) + field(4, len(data)) + field(5, array.nbytes)
        entry += varint(6 << 3 | 5) + b"\0\0\0\0"  # a crc32c field (fixed32), which the reader skips
        data += array.astype(array.dtype.newbyteorder("<")).tobytes()
        entries.append((name.encode(), entry))
    table, index_entries = bytearray(), []
    per_block = -(-len(entries) // blocks)
    for lo in range(0, len(entries), per_block):
        body = block(entries[lo : lo + per_block])
        index_entries.append((entries[lo : lo + per_block][-1][0], varint(len(table)) + varint(len(body))))
        table += body + b"\0" + b"\0\0\0\0"
    meta = block([])
    meta_handle = varint(len(table)) + varint(len(meta))
    table += meta + b"\0\0\0\0\0"
    index = block(index_entries)
    index_handle = varint(len(table)) + varint(len(index))
    table += index + b"\0\0\0\0\0"
    footer = meta_handle + index_handle
    table += footer + b"\0" * (40 - len(footer)) + struct.pack("<Q", 0xDB4775248B80FB57)
    return bytes(table), bytes(data)


def sample_tensors() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "module/bert/embeddings/word_embeddings": rng.standard_normal((7, 4)).astype(np.float32),
        "module/bert/encoder/layer_0/attention/self/query/kernel": rng.standard_normal((4, 4)).astype(np.float32),
        "module/bert/encoder/layer_0/attention/self/query/bias": np.arange(4, dtype=np.float32),
        "global_step": np.array(12345, dtype=np.int64),
        "module/counts": np.array([[1, 2, 3]], dtype=np.int32),
    }


def test_every_tensor_comes_back_with_its_name_dtype_shape_and_values():
    tensors = sample_tensors()
    index, data = write_checkpoint(tensors)
    entries = read_index(index)
    assert [e.name for e in entries] == sorted(tensors)
    read = dict(read_tensors(entries, io.BytesIO(data)))
    assert read.keys() == tensors.keys()
    for name, array in tensors.items():
        assert read[name].dtype == array.dtype and read[name].shape == array.shape
        np.testing.assert_array_equal(read[name], array)


def test_not_an_index_and_damaged_files_are_named():
    index, data = write_checkpoint(sample_tensors())
    with pytest.raises(CheckpointError, match="bad magic"):
        read_index(index[:-1] + b"\0")
    with pytest.raises(CheckpointError, match="too short"):
        read_index(b"abc")
    with pytest.raises(CheckpointError, match="truncated or damaged"):
        list(read_tensors(read_index(index), io.BytesIO(data[:-3])))


def test_unsupported_dtype_is_refused_by_name():
    index, _ = write_checkpoint({"strings": np.zeros(2, dtype=np.float32)})
    patched = index.replace(field(1, 1) + field(2, field(2, field(1, 2))), field(1, 7) + field(2, field(2, field(1, 2))))
    with pytest.raises(CheckpointError, match="strings has TensorFlow dtype code 7"):
        read_index(patched)

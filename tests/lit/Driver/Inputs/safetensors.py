"""Writes a safetensors file: safetensors.py OUT NAME=DTYPE:SHAPE:VALUES ...

DTYPE is F32, F16 or I64; SHAPE and VALUES are comma lists (SHAPE empty for
a scalar). The layout follows the format's specification: an 8-byte
little-endian header length, the JSON header, then the tensors' bytes."""
import json
import struct
import sys

codes = {"F32": "<f", "F16": "<e", "I64": "<q"}
header, data = {}, b""
for spec in sys.argv[2:]:
    name, rest = spec.split("=", 1)
    dtype, shape, values = rest.split(":")
    shape = [int(e) for e in shape.split(",") if e]
    cast = int if dtype == "I64" else float
    raw = b"".join(struct.pack(codes[dtype], cast(v)) for v in values.split(",") if v)
    header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
    data += raw
text = json.dumps(header).encode()
text += b" " * (-len(text) % 8)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + data)

"""Writes a .npy file: npy.py OUT.npy DTYPE [shape=A,B,...] VALUE...

DTYPE is <i4, <i8 or <f4; without shape= the array is 1-D."""
import struct
import sys

out, dtype, values = sys.argv[1], sys.argv[2], sys.argv[3:]
shape = (len(values),)
if values and values[0].startswith("shape="):
    shape = tuple(int(e) for e in values[0][len("shape="):].split(",") if e)
    values = values[1:]
header = "{'descr': '%s', 'fortran_order': False, 'shape': %r, }" % (dtype, shape)
header += " " * (63 - (10 + len(header)) % 64) + "\n"
pack = {"<i4": lambda v: struct.pack("<i", int(v)), "<i8": lambda v: struct.pack("<q", int(v)),
        "<f4": lambda v: struct.pack("<f", float(v))}
with open(out, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
    f.write(b"".join(pack[dtype](v) for v in values))

"""Writes a 1-D .npy file: npy.py OUT.npy DTYPE VALUE... (DTYPE <i4 or <f4)."""
import struct
import sys

out, dtype, values = sys.argv[1], sys.argv[2], sys.argv[3:]
header = "{'descr': '%s', 'fortran_order': False, 'shape': (%d,), }" % (dtype, len(values))
header += " " * (63 - (10 + len(header)) % 64) + "\n"
pack = {"<i4": lambda v: struct.pack("<i", int(v)), "<f4": lambda v: struct.pack("<f", float(v))}
with open(out, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
    f.write(b"".join(pack[dtype](v) for v in values))

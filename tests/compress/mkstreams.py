#!/usr/bin/python3
"""Writes compressed test vectors made by Python's zlib module for
tests/test-compress.c, which decodes each with the inflate layer and compares
the result with what this script says it should be.

Usage: mkstreams.py OUTDIR

For every vector NAME it writes OUTDIR/NAME.z (the compressed stream) and
OUTDIR/NAME.raw (the expected output), and lists it in OUTDIR/manifest.txt as
a line "NAME FORMAT ERROR OFFSET MESSAGE".  When ERROR is ok the
output must equal NAME.raw, otherwise be a prefix of it.  FORMAT is gzip, zlib, deflate or
auto; ERROR is ok or a genwire error name without its GW_E prefix; OFFSET is
the error's byte offset (or -1 when not checked); MESSAGE is zlib's message
with spaces as underscores, or - .  The data is deterministic, so the
vectors are the same on every run.
"""
import os
import struct
import sys
import zlib

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
manifest = []


def put(name, fmt, comp, raw, err="ok", off=-1, msg="-"):
    with open(os.path.join(out, name + ".z"), "wb") as f:
        f.write(comp)
    with open(os.path.join(out, name + ".raw"), "wb") as f:
        f.write(raw)
    manifest.append("%s %s %s %d %s" % (name, fmt, err, off, msg.replace(" ", "_")))


def text(n, seed=1):
    """n bytes of word salad: compressible, but not trivially."""
    words = [b"alpha", b"beta", b"gamma", b"delta", b"stream", b"yield", b"frame",
             b"inflate", b"window", b"\n", b"genwire", b"zlib", b"0123456789"]
    x = seed
    parts = []
    size = 0
    while size < n:
        x = (x * 6364136223846793005 + 1442695040888963407) & (2**64 - 1)
        w = words[(x >> 33) % len(words)]
        parts.append(w + b" ")
        size += len(w) + 1
    return b"".join(parts)[:n]


def noise(n, seed=7):
    x = seed
    b = bytearray()
    for _ in range(n):
        x = (x * 6364136223846793005 + 1442695040888963407) & (2**64 - 1)
        b.append(x >> 56)
    return bytes(b)


WBITS = {"gzip": 31, "zlib": 15, "deflate": -15}


def compress(data, fmt, level=6, strategy=zlib.Z_DEFAULT_STRATEGY, pieces=1,
             flush=zlib.Z_NO_FLUSH, wbits=None, memlevel=8):
    c = zlib.compressobj(level, zlib.DEFLATED, wbits or WBITS[fmt], memlevel, strategy)
    res = []
    step = max(1, len(data) // pieces)
    for i in range(0, len(data), step):
        res.append(c.compress(data[i:i + step]))
        if flush != zlib.Z_NO_FLUSH:
            res.append(c.flush(flush))
    res.append(c.flush(zlib.Z_FINISH))
    return b"".join(res)


small = text(3000)
for fmt in ("gzip", "zlib", "deflate"):
    for level in (0, 1, 6, 9):
        put("py-%s-l%d" % (fmt, level), fmt, compress(small, fmt, level), small)
    put("py-%s-empty" % fmt, fmt, compress(b"", fmt), b"")
    put("py-%s-huffman" % fmt, fmt, compress(small, fmt, 6, zlib.Z_HUFFMAN_ONLY), small)
    put("py-%s-rle" % fmt, fmt, compress(small, fmt, 6, zlib.Z_RLE), small)
    put("py-%s-fixed" % fmt, fmt, compress(small, fmt, 6, zlib.Z_FIXED), small)
    put("py-%s-sync" % fmt, fmt, compress(small, fmt, 6, pieces=7, flush=zlib.Z_SYNC_FLUSH), small)
    put("py-%s-full" % fmt, fmt, compress(small, fmt, 6, pieces=5, flush=zlib.Z_FULL_FLUSH), small)
    put("py-%s-noise" % fmt, fmt, compress(noise(1500), fmt, 6), noise(1500))
# Small windows and memory levels, and matches reaching far back.
put("py-zlib-w9", "zlib", compress(small, "zlib", 9, wbits=9), small)
put("py-deflate-w10-m1", "deflate", compress(small, "deflate", 9, wbits=-10, memlevel=1), small)
far = noise(600) + text(20000, 3) + noise(600)
put("py-zlib-far", "zlib", compress(far, "zlib", 9), far)
# Auto-detection of both wrappers.
put("py-auto-gzip", "auto", compress(small, "gzip"), small)
put("py-auto-zlib", "auto", compress(small, "zlib"), small)


def gzip_header(flags=0, extra=None, name=None, comment=None, hcrc=None, method=8):
    h = bytearray(b"\x1f\x8b" + bytes([method, flags]) + struct.pack("<I", 1234567) + b"\x00\x03")
    if extra is not None:
        h += struct.pack("<H", len(extra)) + extra
    if name is not None:
        h += name + b"\x00"
    if comment is not None:
        h += comment + b"\x00"
    if flags & 2:
        crc = zlib.crc32(bytes(h)) & 0xFFFF if hcrc is None else hcrc
        h += struct.pack("<H", crc)
    return bytes(h)


def gzip_member(data, level=6, **kw):
    flags = 0
    if kw.get("extra") is not None:
        flags |= 4
    if kw.get("name") is not None:
        flags |= 8
    if kw.get("comment") is not None:
        flags |= 16
    if kw.pop("fhcrc", False):
        flags |= 2
    body = compress(data, "deflate", level)
    trailer = struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)
    return gzip_header(flags, **kw) + body + trailer


hello = text(700, 5)
put("gz-fextra", "gzip", gzip_member(hello, extra=b"AB\x04\x00wxyz"), hello)
put("gz-fextra-long", "gzip", gzip_member(hello, extra=noise(5000, 11)), hello)
put("gz-fname", "gzip", gzip_member(hello, name=b"file.txt"), hello)
put("gz-fcomment", "gzip", gzip_member(hello, comment=b"a comment"), hello)
put("gz-fhcrc", "gzip", gzip_member(hello, fhcrc=True), hello)
put("gz-all", "gzip", gzip_member(hello, extra=noise(300, 4), name=b"n" * 200,
                                  comment=b"c" * 300, fhcrc=True), hello)
put("auto-gz-all", "auto", gzip_member(hello, extra=noise(3000, 4), name=b"x", comment=b"y",
                                       fhcrc=True), hello)
bad = gzip_member(hello, name=b"file.txt", fhcrc=True, hcrc=0)
put("gz-fhcrc-bad", "gzip", bad, b"", "Z_HEADER", 10 + 9 + 1, "header crc mismatch")
put("gz-method-bad", "gzip", gzip_member(hello, method=7), b"", "Z_HEADER", 3,
    "unknown compression method")

# Concatenated members, as gzip -d reads them.
a, b = text(500, 21), text(900, 22)
put("gz-concat", "gzip", gzip_member(a) + gzip_member(b, name=b"b") + gzip_member(b""),
    a + b)
put("auto-concat", "auto", gzip_member(a) + gzip_member(b), a + b)
put("gz-empty-members", "gzip", gzip_member(b"") * 1000, b"")
put("gz-empty-members-last", "gzip", gzip_member(b"") * 99 + gzip_member(a), a)

# Corrupt streams: every kind of damage zlib reports.
put("bad-block-type", "deflate", b"\x07\x00", b"", "Z_DATA", 0, "invalid block type")
put("bad-stored-len", "deflate", b"\x01\x05\x00\x00\x00hello", b"", "Z_DATA", 4,
    "invalid stored block lengths")
zd = zlib.compressobj(6, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY, zdict=small[:2000])
far_back = zd.compress(small[:1000]) + zd.flush()
put("bad-distance", "deflate", far_back, small[:1000], "Z_DATA", -1, "invalid distance too far back")
z = bytearray(compress(small, "zlib"))
z[-1] ^= 1
put("bad-adler", "zlib", bytes(z), small, "Z_CHECKSUM", len(z) - 1, "incorrect data check")
g = bytearray(compress(small, "gzip"))
g[-6] ^= 0x40
put("bad-crc", "gzip", bytes(g), small, "Z_CHECKSUM", len(g) - 5, "incorrect data check")
g = bytearray(compress(small, "gzip"))
g[-2] ^= 1
put("bad-isize", "gzip", bytes(g), small, "Z_LENGTH", len(g) - 1, "incorrect length check")
put("bad-zlib-header", "zlib", b"\x78\x9d" + compress(small, "deflate"), b"", "Z_HEADER", 1,
    "incorrect header check")
put("bad-gzip-magic", "gzip", b"\x1f\x8c" + compress(small, "gzip")[2:], b"", "Z_HEADER", 1,
    "incorrect header check")
zdict = zlib.compressobj(6, zlib.DEFLATED, 15, 8, zlib.Z_DEFAULT_STRATEGY, zdict=b"dictionary")
put("need-dict", "zlib", zdict.compress(small) + zdict.flush(), b"", "Z_HEADER", 5,
    "preset dictionary not supported")
put("bad-window", "zlib", b"\x88\x98" + compress(small, "deflate"), b"", "Z_HEADER", 1,
    "invalid window size")

# Trailing data and truncation.
gz = compress(small, "gzip")
put("trail-garbage", "gzip", gz + b"garbage", small, "TRAILING_DATA", len(gz))
put("trail-zero", "gzip", gz + b"\x00", small, "TRAILING_DATA", len(gz))
put("trail-half-magic", "gzip", gz + b"\x1f", small, "TRUNCATED", len(gz) + 1)
put("trail-bad-magic", "gzip", gz + b"\x1f\x00rest", small, "TRAILING_DATA", len(gz))
zl = compress(small, "zlib")
put("trail-zlib", "zlib", zl + b"x", small, "TRAILING_DATA", len(zl))
rd = compress(small, "deflate")
put("trail-deflate", "deflate", rd + b"\x00", small, "TRAILING_DATA", len(rd))
put("auto-zlib-then-gzip", "auto", zl + gz, small, "TRAILING_DATA", len(zl))
put("trunc-deflate", "deflate", rd[:-1], small, "TRUNCATED", len(rd) - 1)

with open(os.path.join(out, "manifest.txt"), "w") as f:
    f.write("\n".join(manifest) + "\n")

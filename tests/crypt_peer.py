#!/usr/bin/python3
"""An independent secretstream peer for tests/test-crypt.c.

It writes and reads genwire's encrypted stream format (docs/wire-formats.md)
with PyNaCl's bindings to libsodium, sharing no code with genwire: the
24-byte crypto_secretstream_xchacha20poly1305 header, then messages, each a
big-endian u32 ciphertext length L (17 <= L <= 17 + 1 MiB) and L bytes of
ciphertext, no additional data, the last one tagged FINAL, nothing after it.

    crypt_peer.py encrypt KEYFILE IN OUT [SEED]
        encrypts the bytes of IN into OUT, in messages of pseudo-random sizes
        (0 to 5000 bytes, seeded by SEED), some tagged PUSH or REKEY.
    crypt_peer.py decrypt KEYFILE IN OUT
        decrypts IN into OUT; on any error prints "ERROR <what> <offset>" on
        stderr and exits 1.

Run it with /usr/bin/python3 (Debian's python3-nacl).
"""

import random
import struct
import sys

from nacl import bindings as b

HEADER = b.crypto_secretstream_xchacha20poly1305_HEADERBYTES
ABYTES = b.crypto_secretstream_xchacha20poly1305_ABYTES
TAG_MESSAGE = b.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
TAG_PUSH = b.crypto_secretstream_xchacha20poly1305_TAG_PUSH
TAG_REKEY = b.crypto_secretstream_xchacha20poly1305_TAG_REKEY
TAG_FINAL = b.crypto_secretstream_xchacha20poly1305_TAG_FINAL
MAX_MESSAGE = 1 << 20


def read_key(path):
    with open(path, "rb") as f:
        text = f.read()
    if text.endswith(b"\n"):
        text = text[:-1]
    if len(text) != 64:
        raise SystemExit("bad key file")
    return bytes.fromhex(text.decode("ascii"))


def encrypt(key, data, seed):
    rng = random.Random(seed)
    state = b.crypto_secretstream_xchacha20poly1305_state()
    out = [b.crypto_secretstream_xchacha20poly1305_init_push(state, key)]
    pos = 0
    while True:
        n = min(rng.randrange(0, 5001), len(data) - pos)
        last = pos + n == len(data) and rng.random() < 0.7
        if last:
            tag = TAG_FINAL
        else:
            tag = rng.choice([TAG_MESSAGE] * 6 + [TAG_PUSH, TAG_REKEY])
        c = b.crypto_secretstream_xchacha20poly1305_push(state, data[pos:pos + n], None, tag)
        out.append(struct.pack(">I", len(c)))
        out.append(c)
        pos += n
        if last:
            return b"".join(out)


class StreamError(Exception):
    def __init__(self, what, off):
        super().__init__(what)
        self.what = what
        self.off = off


def decrypt(key, data):
    if len(data) < HEADER:
        raise StreamError("truncated", 0)
    state = b.crypto_secretstream_xchacha20poly1305_state()
    b.crypto_secretstream_xchacha20poly1305_init_pull(state, data[:HEADER], key)
    pos = HEADER
    out = []
    while True:
        if len(data) - pos < 4:
            raise StreamError("truncated", pos)
        (clen,) = struct.unpack(">I", data[pos:pos + 4])
        if clen < ABYTES or clen - ABYTES > MAX_MESSAGE:
            raise StreamError("length", pos)
        if len(data) - pos - 4 < clen:
            raise StreamError("truncated", pos)
        try:
            m, tag = b.crypto_secretstream_xchacha20poly1305_pull(
                state, data[pos + 4:pos + 4 + clen], None)
        except Exception:
            raise StreamError("auth", pos)
        out.append(m)
        pos += 4 + clen
        if tag == TAG_FINAL:
            if pos != len(data):
                raise StreamError("after-final", pos)
            return b"".join(out)


def main(argv):
    if len(argv) < 5 or argv[1] not in ("encrypt", "decrypt"):
        sys.stderr.write(__doc__)
        return 2
    key = read_key(argv[2])
    with open(argv[3], "rb") as f:
        data = f.read()
    if argv[1] == "encrypt":
        result = encrypt(key, data, int(argv[5]) if len(argv) > 5 else 1)
    else:
        try:
            result = decrypt(key, data)
        except StreamError as e:
            sys.stderr.write("ERROR %s %d\n" % (e.what, e.off))
            return 1
    with open(argv[4], "wb") as f:
        f.write(result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

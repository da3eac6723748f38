#!/usr/bin/python3
"""Suite http-net: examples/http-get against a real nginx and against bad
peers, examples/http-serve against curl, Python's http.client and raw
sockets (and http-get against http-serve).  nginx is started here on a
free loopback port with a config written into a temporary directory
(tests/nginx_peer.py) and stopped at the end.  Prints TAP.  Loopback only.

usage: test-http-net.py PATH-TO-http-get [PATH-TO-http-serve]
"""
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nginx_peer import Nginx  # noqa: E402

GET = sys.argv[1]
SERVE = sys.argv[2] if len(sys.argv) > 2 else None
SLOW = os.environ.get("GW_SANITIZE", "none") not in ("", "none")
results = []


def check(name, ok, detail=""):
    results.append((name, bool(ok), detail))


def get(*args, timeout=60):
    return subprocess.run([GET, *args], capture_output=True, timeout=timeout)


TEXT_1K = (b"The quick brown fox jumps over the lazy dog. 0123456789\n" * 19)[:1024]
FILES = {
    "empty.txt": b"",
    "1k.txt": TEXT_1K,
    "1k.bin": os.urandom(1024),
    "10m.bin": os.urandom(10 << 20),
    "10m.txt": (b"".join(b"line %08d of a text file that compresses well\n" % i
                         for i in range(220000)))[:10 << 20],
}


def fill(root):
    for name, data in FILES.items():
        with open(os.path.join(root, name), "wb") as f:
            f.write(data)
        with open(os.path.join(root, "gz", name), "wb") as f:
            f.write(data)


# ---- bad peers: a loopback server that runs `handler(sock)` per connection

class Peer:
    def __init__(self, handler):
        self.ls = socket.socket()
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(16)
        self.port = self.ls.getsockname()[1]
        self.handler = handler
        self.conns = 0
        self.t = threading.Thread(target=self.loop, daemon=True)
        self.t.start()

    def loop(self):
        while True:
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            self.conns += 1
            threading.Thread(target=self.run, args=(c, self.conns), daemon=True).start()

    def run(self, c, n):
        try:
            self.handler(c, n)
        except OSError:
            pass
        finally:
            c.close()

    def url(self, path="/"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def close(self):
        self.ls.close()


def read_head(c):
    buf = b""
    while b"\r\n\r\n" not in buf:
        b = c.recv(4096)
        if not b:
            return None
        buf += b
    return buf


def client_vs_nginx():
    with Nginx() as ng:
        fill(ng.root)
        ng.start()
        for name, data in FILES.items():
            r = get(ng.url(name))
            check("http-get vs nginx: %s (%d bytes) identical" % (name, len(data)),
                  r.returncode == 0 and r.stdout == data, (r.returncode, len(r.stdout), r.stderr))
        # Memory stays flat: the peak RSS for 10 MiB is that for 0 bytes.
        rss = {}
        for name in ("empty.txt", "10m.bin"):
            t = subprocess.run(["/usr/bin/time", "-f", "%M", GET, ng.url(name)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
            rss[name] = int(t.stderr.split()[-1]) if t.returncode == 0 else -1
        if SLOW:
            check("peak RSS: not compared under the sanitizers (their memory is in it), skipped",
                  True)
        else:
            check("http-get's peak RSS for 10 MiB is within 1 MiB of that for 0 bytes",
                  rss["empty.txt"] > 0 and rss["10m.bin"] - rss["empty.txt"] < 1024, rss)

        names = list(FILES)
        r = get(*[ng.url(n) for n in names])
        check("http-get vs nginx: five files in one run, bodies in order",
              r.returncode == 0 and r.stdout == b"".join(FILES[n] for n in names),
              (r.returncode, r.stderr))
        lines = [x for x in ng.access_lines() if x[2].startswith("/")]
        last = lines[-len(names):]
        check("keep-alive: nginx's access log shows one connection, requests 1..5",
              len({x[0] for x in last}) == 1 and [x[1] for x in last] == ["1", "2", "3", "4", "5"],
              last)

        for name in ("1k.txt", "10m.txt"):
            r = get("--compressed", "-v", ng.url("gz/" + name))
            err = r.stderr.decode(errors="replace").lower()
            check("--compressed vs nginx gzip on: %s decoded, identical" % name,
                  r.returncode == 0 and r.stdout == FILES[name], (r.returncode, len(r.stdout)))
            check("--compressed: nginx answered gzip and chunked (%s, -v)" % name,
                  "content-encoding: gzip" in err and "transfer-encoding: chunked" in err, err)
        r = get(ng.url("gz/1k.txt"))
        raw = r.stdout
        check("without --compressed: nothing asked, nginx sends identity",
              r.returncode == 0 and raw == FILES["1k.txt"], (r.returncode, raw[:20]))

        r = get(ng.url("missing"), ng.url("1k.txt"))
        check("404 without --fail: exit 0, the error page and the next body written",
              r.returncode == 0 and b"404" in r.stdout and r.stdout.endswith(TEXT_1K),
              (r.returncode, r.stdout[:80]))
        r = get("--fail", ng.url("missing"), ng.url("1k.txt"))
        check("404 with --fail: exit 22, its body not written, the next one is",
              r.returncode == 22 and r.stdout == TEXT_1K, (r.returncode, r.stdout[:80]))

        urls = [ng.url(n) for n in ("1k.txt", "10m.bin", "empty.txt", "1k.bin", "1k.txt")]
        r = get("--pipeline", *urls)
        want = TEXT_1K + FILES["10m.bin"] + FILES["1k.bin"] + TEXT_1K
        check("--pipeline vs nginx: bodies identical, in order",
              r.returncode == 0 and r.stdout == want, (r.returncode, len(r.stdout), r.stderr))
        last = ng.access_lines()[-5:]
        check("--pipeline: one connection for the five requests",
              len({x[0] for x in last}) == 1 and [x[1] for x in last] == ["1", "2", "3", "4", "5"],
              last)


def client_vs_bad_peers():
    # Peers that answer once, badly: (what, response, stdout, stderr part).
    cases = [
        ("truncated Content-Length body: exit 1, the 40 bytes written, the offset named",
         b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 40, b"x" * 40,
         b"truncated: end of input inside a unit at byte 80"),
        ("truncated chunked body: exit 1, the bytes before the cut written",
         b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n9\r\nwor",
         b"hellowor", b"at byte"),
        ("a 70 KB head: exit 1, head larger than the limit",
         b"HTTP/1.1 200 OK\r\nX-Filler: " + b"a" * 70000 + b"\r\n\r\n", b"",
         b"head larger than the limit at byte"),
        ("Transfer-Encoding with Content-Length (smuggling): exit 1, named",
         b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc", b"",
         b"Transfer-Encoding together with Content-Length at byte"),
        ("a bare LF in the head: exit 1, named",
         b"HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", b"", b"LF without CR before it at byte 15"),
        ("a corrupt gzip body with --compressed: exit 1",
         b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 8\r\n\r\nnot gzip", b"",
         b"at byte"),
    ]
    for name, resp, out, err in cases:
        def answer(c, n, resp=resp):
            read_head(c)
            c.sendall(resp)
        p = Peer(answer)
        r = get("--compressed", p.url())
        check(name, r.returncode == 1 and r.stdout == out and err in r.stderr,
              (r.returncode, r.stdout[:40], r.stderr))
        p.close()

    # A peer that stalls mid-body, and one that never answers: --timeout.
    def stall(c, n):
        read_head(c)
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab")
        time.sleep(3)

    def silent(c, n):
        read_head(c)
        time.sleep(3)
    for name, handler, ms, body in (("a stall mid-body", stall, 300, b"ab"),
                                    ("no response at all", silent, 200, b"")):
        p = Peer(handler)
        t0 = time.monotonic()
        r = get("--timeout", str(ms), p.url())
        took = time.monotonic() - t0
        check("%s past --timeout %d: exit 1 after about that long, read timed out" % (name, ms),
              r.returncode == 1 and b"timed out" in r.stderr and r.stdout == body
              and ms / 1000 * 0.9 < took < ms / 1000 + (2.0 if SLOW else 0.8),
              (r.returncode, r.stderr, took))
        p.close()

    # A body delimited by the close of the connection.
    def close_delim(c, n):
        read_head(c)
        c.sendall(b"HTTP/1.0 200 OK\r\n\r\n" + b"until close " * 1000)
    p = Peer(close_delim)
    r = get(p.url(), p.url())
    check("close-delimited bodies: each read to the close, a new connection for the next",
          r.returncode == 0 and r.stdout == b"until close " * 2000 and p.conns == 2,
          (r.returncode, len(r.stdout), p.conns, r.stderr))
    p.close()

    # A keep-alive connection that the server drops after one response
    # without saying so: the second request is sent again, once.
    def one_then_close(c, n):
        read_head(c)
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n%03d" % n)
        read_head(c)
    p = Peer(one_then_close)
    r = get(p.url("/a"), p.url("/b"), p.url("/c"))
    check("a reused connection closed before its response: the request is sent again",
          r.returncode == 0 and r.stdout == b"001002003" and p.conns == 3,
          (r.returncode, r.stdout, r.stderr, p.conns))
    p.close()

    # A peer that closes a fresh connection without answering: no retry.
    def slam(c, n):
        read_head(c)
    p = Peer(slam)
    r = get(p.url())
    check("a new connection closed before any response: exit 1, no retry",
          r.returncode == 1 and b"closed before the response" in r.stderr and p.conns == 1,
          (r.stderr, p.conns))
    p.close()

    # Interim 100 and 103 before the final response.
    def interim(c, n):
        read_head(c)
        c.sendall(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                  b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    p = Peer(interim)
    r = get("-v", p.url())
    check("interim 100 and 103 are shown with -v and skipped",
          r.returncode == 0 and r.stdout == b"ok" and b"103 Early Hints" in r.stderr, r.stderr)
    p.close()

    # Refused, usage errors, --help.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    r = get("http://127.0.0.1:%d/" % port)
    check("connection refused: exit 1, the address named",
          r.returncode == 1 and b"connection refused: 127.0.0.1:%d" % port in r.stderr, r.stderr)
    for args in ([], ["https://127.0.0.1/"], ["http://127.0.0.1:0/"], ["--bogus", "http://a/"],
                 ["--timeout", "x", "http://a/"]):
        r = get(*args)
        check("usage error %r: exit 2" % (args,), r.returncode == 2 and b"usage:" in r.stderr,
              (r.returncode, r.stderr))
    r = get("--help")
    check("--help: exit 0, says redirects are not followed",
          r.returncode == 0 and b"Redirects are NOT followed" in r.stdout, r.stdout[:100])


client_vs_nginx()
client_vs_bad_peers()
if SERVE is not None:
    import serve_checks  # noqa: E402
    serve_checks.run(SERVE, GET, FILES, check, SLOW)

print("1..%d" % len(results))
for i, (name, ok, detail) in enumerate(results, 1):
    print("%s %d - %s%s" % ("ok" if ok else "not ok", i, name, "" if ok else " # %r" % (detail,)))
sys.exit(0 if all(ok for _, ok, _ in results) else 1)

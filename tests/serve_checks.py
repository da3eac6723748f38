"""The http-serve half of suite http-net (tests/test-http-net.py runs it):
curl, Python's http.client, raw sockets and examples/http-get against
examples/http-serve serving a temporary root.  Loopback only.
"""
import gzip
import http.client
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time


def start(serve, root, *args):
    p = subprocess.Popen([serve, "--root", root, *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    r, _, _ = select.select([p.stdout], [], [], 5)
    line = p.stdout.readline().decode() if r else ""
    m = re.match(r"listening on 127\.0\.0\.1:(\d+)\n$", line)
    return p, (int(m.group(1)) if m else 0), line


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(5)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = p.wait()
    return rc


def raw(port, data, wait=3.0):
    """Sends data, returns (everything received until the server closed,
    closed?)."""
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(wait)
    s.sendall(data)
    got = b""
    closed = False
    try:
        while True:
            b = s.recv(65536)
            if not b:
                closed = True
                break
            got += b
    except socket.timeout:
        pass
    except ConnectionResetError:
        closed = True
    s.close()
    return got, closed


def responses(data, heads=()):
    """Splits a byte string of Content-Length responses: [(status, headers,
    body)]; the responses numbered in `heads` answer HEAD (no body)."""
    out = []
    while data:
        end = data.find(b"\r\n\r\n")
        if end < 0:
            break
        head = data[:end].decode("latin-1").split("\r\n")
        fields = {k.lower(): v.strip() for k, v in (x.split(":", 1) for x in head[1:])}
        n = 0 if len(out) in heads else int(fields.get("content-length", "0"))
        out.append((int(head[0].split()[1]), fields, data[end + 4:end + 4 + n]))
        data = data[end + 4 + n:]
    return out


G = b"GET /%s HTTP/1.1\r\nHost: t\r\n\r\n"

# Requests answered with an error and the connection closed:
# (what, bytes, status).  The first block is issue 11's smuggling and
# bad-request list.
BAD = [
    ("Transfer-Encoding with Content-Length", b"GET / HTTP/1.1\r\nHost: t\r\n"
     b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("differing Content-Length values", b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 1, 2\r\n\r\nx", 400),
    ("two differing Content-Length fields",
     b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx", 400),
    ("Content-Length with a sign", b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: +1\r\n\r\nx", 400),
    ("Content-Length overflowing", b"GET / HTTP/1.1\r\nHost: t\r\n"
     b"Content-Length: 99999999999999999999\r\n\r\n", 400),
    ("chunked twice", b"GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400),
    ("Transfer-Encoding without chunked last",
     b"GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
    ("Transfer-Encoding in HTTP/1.0", b"GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("bare LF", b"GET / HTTP/1.1\nHost: t\r\n\r\n", 400),
    ("bare CR", b"GET / HTTP/1.1\rHost: t\r\n\r\n", 400),
    ("obs-fold", b"GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n b\r\n\r\n", 400),
    ("whitespace before the colon", b"GET / HTTP/1.1\r\nHost : t\r\n\r\n", 400),
    ("field line without a colon", b"GET / HTTP/1.1\r\nHost t\r\n\r\n", 400),
    ("a field name with a space in it", b"GET / HTTP/1.1\r\nX Y: 1\r\n\r\n", 400),
    ("a control in a field value", b"GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n", 400),
    ("NUL in a field value", b"GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n", 400),
    ("malformed method", b"G@T / HTTP/1.1\r\n\r\n", 400),
    ("two spaces in the request line", b"GET  / HTTP/1.1\r\n\r\n", 400),
    ("a space in the target", b"GET /a b HTTP/1.1\r\n\r\n", 400),
    ("malformed version", b"GET / HTTP/1.x\r\n\r\n", 400),
    ("HTTP/2.0", b"GET / HTTP/2.0\r\n\r\n", 505),
    ("HTTP/1.2", b"GET / HTTP/1.2\r\n\r\n", 505),
    ("a 9000-byte target", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", 414),
    ("a 40 KB head", b"GET / HTTP/1.1\r\nX: " + b"a" * 40000 + b"\r\n\r\n", 431),
    ("101 field lines", b"GET / HTTP/1.1\r\n" + b"X: 1\r\n" * 101 + b"\r\n", 431),
    ("POST", b"POST /1k.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nab", 405),
    ("GET with a body", b"GET /1k.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello", 413),
    ("GET with a chunked body", b"GET /1k.txt HTTP/1.1\r\nHost: t\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 413),
    ("a target that is not a path", b"GET a.txt HTTP/1.1\r\nHost: t\r\n\r\n", 400),
    # Paths out of the root.
    ("/../", G % b"../etc/passwd", 400),
    ("/%2e%2e/", G % b"%2e%2e/%2e%2e/etc/passwd", 400),
    ("/%2E%2E/ upper case", G % b"sub/%2E%2E/%2E%2E/etc/passwd", 400),
    ("/..%2f", G % b"..%2f..%2fetc/passwd", 400),
    ("a trailing /..", G % b"sub/..", 400),
    ("%00 in the path", G % b"1k.txt%00.html", 400),
    ("a malformed %-escape", G % b"1k%zz.txt", 400),
    ("absolute form with ..", b"GET http://t/../etc/passwd HTTP/1.1\r\nHost: t\r\n\r\n", 400),
]


def run(serve, get, files, check, slow):
    root = tempfile.mkdtemp(prefix="gw-serve-")
    outside = tempfile.mkdtemp(prefix="gw-outside-")
    try:
        _run(serve, get, files, check, slow, root, outside)
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(outside, ignore_errors=True)


def _run(serve, get, files, check, slow, root, outside):
    for name, data in files.items():
        with open(os.path.join(root, name), "wb") as f:
            f.write(data)
    os.makedirs(os.path.join(root, "sub"))
    with open(os.path.join(root, "sub", "index.html"), "wb") as f:
        f.write(b"<p>index</p>\n")
    with open(os.path.join(outside, "secret.txt"), "wb") as f:
        f.write(b"secret\n")
    os.symlink(os.path.join(outside, "secret.txt"), os.path.join(root, "out.txt"))
    os.symlink(outside, os.path.join(root, "outdir"))
    os.symlink("1k.txt", os.path.join(root, "in.txt"))

    p, port, line = start(serve, root)
    check("http-serve: first line is 'listening on 127.0.0.1:PORT'", port > 0, line)
    base = "http://127.0.0.1:%d/" % port

    def curl(*args):
        return subprocess.run(["curl", "-s", "--path-as-is", *args], capture_output=True, timeout=60)

    for name, data in files.items():
        r = curl(base + name)
        check("curl vs http-serve: %s (%d bytes) identical" % (name, len(data)),
              r.returncode == 0 and r.stdout == data, (r.returncode, len(r.stdout)))
    for name in ("1k.txt", "10m.txt"):
        r = curl("-v", "--compressed", base + name)
        err = r.stderr.decode(errors="replace").lower()
        check("curl --compressed: %s gzip-coded and chunked, decoded identical" % name,
              r.stdout == files[name] and "content-encoding: gzip" in err
              and "transfer-encoding: chunked" in err, (r.returncode, len(r.stdout), err[-300:]))
    r = curl("-v", "--compressed", base + "1k.bin")
    check("curl --compressed: a binary file is sent as it is, with Content-Length",
          r.stdout == files["1k.bin"] and b"content-encoding" not in r.stderr.lower()
          and b"Content-Length: 1024" in r.stderr, r.stderr[-300:])
    r = curl("-v", base + "1k.txt", base + "1k.bin", base + "empty.txt")
    check("curl, three URLs: 'Re-using existing connection', bodies identical",
          r.stdout == files["1k.txt"] + files["1k.bin"] and
          r.stderr.count(b"Re-using existing connection") == 2, r.stderr[-400:])
    r = curl("-o", "/dev/null", "-w", "%{http_code}", base + "out.txt")
    check("a symlink out of the root: 404", r.stdout == b"404", r.stdout)
    r = curl("-o", "/dev/null", "-w", "%{http_code}", base + "outdir/secret.txt")
    check("a symlinked directory out of the root: 404", r.stdout == b"404", r.stdout)
    r = curl(base + "in.txt")
    check("a symlink inside the root is served", r.stdout == files["1k.txt"], r.stdout[:40])
    r = curl(base + "sub/")
    check("a directory serves its index.html", r.stdout == b"<p>index</p>\n", r.stdout)
    r = curl("-o", "/dev/null", "-w", "%{http_code}", base + "missing")
    check("a missing file: 404", r.stdout == b"404", r.stdout)

    # http.client: keep-alive and HEAD on one connection.
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", "/1k.bin")
    a = c.getresponse()
    body1 = a.read()
    sock1 = c.sock
    c.request("HEAD", "/10m.bin")
    h = c.getresponse()
    hbody = h.read()
    c.request("GET", "/1k.txt", headers={"Accept-Encoding": "gzip"})
    g = c.getresponse()
    gz = g.read()
    check("http.client: GET, HEAD, GET on one connection",
          c.sock is sock1 and body1 == files["1k.bin"], (c.sock, sock1))
    check("http.client: HEAD has GET's Content-Length and no body",
          h.status == 200 and h.getheader("Content-Length") == str(10 << 20) and hbody == b"",
          (h.status, h.getheaders()))
    check("http.client: Accept-Encoding gzip gets a gzip body that decodes",
          g.getheader("Content-Encoding") == "gzip" and gzip.decompress(gz) == files["1k.txt"],
          g.getheaders())
    c.request("GET", "/1k.txt", headers={"Accept-Encoding": "gzip;q=0, identity"})
    q = c.getresponse()
    check("Accept-Encoding gzip;q=0: identity", q.getheader("Content-Encoding") is None
          and q.read() == files["1k.txt"], q.getheaders())
    c.close()

    # Pipelining over a raw socket.
    got, closed = raw(port, G % b"1k.txt" + G % b"missing" + b"HEAD /1k.bin HTTP/1.1\r\nHost: t\r\n\r\n"
                      + G % b"1k.bin" + b"GET /empty.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    rs = responses(got, heads=(2,))
    check("five pipelined requests: five responses in order, then the close",
          closed and [r[0] for r in rs] == [200, 404, 200, 200, 200] and rs[0][2] == files["1k.txt"]
          and rs[3][2] == files["1k.bin"] and rs[4][2] == b""
          and rs[4][1].get("connection") == "close", [(r[0], len(r[2])) for r in rs])
    got, closed = raw(port, b"GET /1k.txt HTTP/1.0\r\n\r\n")
    check("HTTP/1.0 without keep-alive: answered, then closed",
          closed and got.startswith(b"HTTP/1.1 200") and got.endswith(files["1k.txt"]), got[:100])

    for name, data, status in BAD:
        got, closed = raw(port, data)
        rs = responses(got)
        check("bad request, %s: %d, Connection: close, closed" % (name, status),
              closed and len(rs) == 1 and rs[0][0] == status
              and rs[0][1].get("connection") == "close", (closed, got[:120]))
    got, closed = raw(port, BAD[0][1] + G % b"1k.txt")
    check("a smuggled request after a refused one is never answered",
          closed and len(responses(got)) == 1, got[:200])

    # http-get against http-serve.
    names = list(files)
    r = subprocess.run([get, *[base + n for n in names]], capture_output=True, timeout=60)
    check("http-get vs http-serve: every file, one connection, identical",
          r.returncode == 0 and r.stdout == b"".join(files[n] for n in names), r.stderr)
    r = subprocess.run([get, "--compressed", "--pipeline", base + "10m.txt", base + "1k.bin",
                        base + "1k.txt"], capture_output=True, timeout=60)
    check("http-get --compressed --pipeline vs http-serve: identical",
          r.returncode == 0 and r.stdout == files["10m.txt"] + files["1k.bin"] + files["1k.txt"],
          r.stderr)

    # The task dump and a clean stop.
    s = socket.create_connection(("127.0.0.1", port))
    time.sleep(0.1)
    p.send_signal(signal.SIGUSR1)
    time.sleep(0.3)
    s.close()
    rc = stop(p)
    err = p.stderr.read().decode(errors="replace")
    check("SIGUSR1: the task dump names the connection task", "conn_task" in err, err[:300])
    check("SIGTERM: exit 0", rc == 0, rc)

    # Slowloris: a head one byte a second is cut at --header-timeout.
    p, port, _ = start(serve, root, "--header-timeout", "1000", "--idle-timeout", "600")
    s = socket.create_connection(("127.0.0.1", port))
    t0 = time.monotonic()
    cut = None
    for b in b"GET /1k.txt HTTP/1.1\r\nHost: t\r\n\r\n":
        try:
            s.send(bytes([b]))
        except OSError:
            cut = time.monotonic() - t0
            break
        r, _, _ = select.select([s], [], [], 1.0)
        if r:
            try:
                d = s.recv(100)
            except OSError:
                d = b""
            if d == b"":
                cut = time.monotonic() - t0
                break
    s.close()
    check("a head sent one byte a second is cut at the header timeout (1 s)",
          cut is not None and 0.9 < cut < (3.5 if slow else 2.5), cut)
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(G % b"1k.txt")
    s.settimeout(5)
    t0 = time.monotonic()
    got = b""
    while True:
        try:
            d = s.recv(65536)
        except ConnectionResetError:
            d = b""
        if not d:
            break
        got += d
    idle = time.monotonic() - t0
    s.close()
    check("an idle keep-alive connection closes at --idle-timeout (0.6 s)",
          got.endswith(files["1k.txt"]) and 0.5 < idle < (2.5 if slow else 1.5), idle)
    stop(p)

    # IPv6 loopback, where the machine has it.
    try:
        socket.socket(socket.AF_INET6).bind(("::1", 0))
        have_v6 = True
    except OSError:
        have_v6 = False
    if have_v6:
        p = subprocess.Popen([serve, "--root", root, "--listen", "[::1]:0"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        line = p.stdout.readline().decode()
        m = re.match(r"listening on \[::1\]:(\d+)\n$", line)
        url = "http://[::1]:%s/1k.bin" % (m.group(1) if m else "1")
        r = subprocess.run([get, url, url], capture_output=True, timeout=30)
        check("IPv6: http-serve on [::1], http-get fetches http://[::1]:PORT/ twice",
              m is not None and r.returncode == 0 and r.stdout == files["1k.bin"] * 2,
              (line, r.returncode, r.stderr))
        stop(p)
    else:
        check("IPv6: no ::1 on this machine, skipped (said so here)", True)

    r = subprocess.run([serve, "--help"], capture_output=True)
    check("http-serve --help: exit 0, names every option",
          r.returncode == 0 and all(o in r.stdout for o in (b"--listen", b"--root",
                                                            b"--header-timeout", b"--idle-timeout")))
    for args in (["--idle-timeout", "x"], ["--bogus", "1"], ["--root"]):
        r = subprocess.run([serve, *args], capture_output=True)
        check("http-serve usage error %r: exit 2" % (args,), r.returncode == 2 and b"usage:" in r.stderr)
    r = subprocess.run([serve, "--root", "/nonexistent/dir"], capture_output=True)
    check("http-serve: a missing root exits 1 and says why",
          r.returncode == 1 and b"cannot serve" in r.stderr, r.stderr)

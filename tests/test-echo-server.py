#!/usr/bin/python3
"""examples/echo-server driven as a user would (suite net): the listening
line, echo, the idle timeout, the connection limit, the SIGUSR1 dump, a
drain of up to one second on SIGTERM and a prompt exit on SIGINT, a Unix
socket, usage errors.  Prints TAP.  Loopback only.

usage: test-echo-server.py PATH-TO-echo-server
"""
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time

EXE = sys.argv[1]
SLOW = os.environ.get("GW_SANITIZE", "none") not in ("", "none")
results = []


def check(name, ok, detail=""):
    results.append((name, bool(ok), detail))


def start(*args):
    p = subprocess.Popen([EXE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    r, _, _ = select.select([p.stdout], [], [], 5)
    line = p.stdout.readline().decode() if r else ""
    return p, line


def connect(addr):
    if addr.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(addr[5:])
    else:
        host, port = addr.rsplit(":", 1)
        s = socket.create_connection((host, int(port)))
    s.settimeout(5)
    return s


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        b = s.recv(n - len(buf))
        if not b:
            break
        buf += b
    return buf


def echo_ok(addr, size):
    s = connect(addr)
    data = os.urandom(size)
    s.sendall(data)
    got = recv_exact(s, size)
    s.close()
    return got == data


def closed_after(s, limit):
    """Seconds until the server closes s (recv gives b'' or a reset), or None."""
    t0 = time.monotonic()
    s.settimeout(limit)
    try:
        b = s.recv(1)
    except ConnectionResetError:
        b = b""
    except socket.timeout:
        return None
    return time.monotonic() - t0 if b == b"" else None


def server_with_client():
    """A server without idle timeout and one connection that has echoed."""
    p, line = start("--idle-timeout", "0")
    addr = line.split()[-1] if line.startswith("listening on ") else "127.0.0.1:1"
    s = connect(addr)
    s.sendall(b"w")
    recv_exact(s, 1)
    return p, addr, s


def stop(p, sig):
    t0 = time.monotonic()
    p.send_signal(sig)
    try:
        rc = p.wait(5)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = None
    return rc, time.monotonic() - t0


# The listening line, echo, idle timeout, connection limit, dump, SIGTERM.
p, line = start("--idle-timeout", "300", "--max-conns", "3")
m = re.fullmatch(r"listening on (127\.0\.0\.1:(\d+))\n", line)
check("first line is 'listening on ADDR' with the real port", m and int(m.group(2)) > 0, repr(line))
addr = m.group(1) if m else "127.0.0.1:1"
check("echoes 1 MiB exactly", echo_ok(addr, 1 << 20))

s = connect(addr)
s.sendall(b"x")
recv_exact(s, 1)
t = closed_after(s, 3)
check("an idle connection is closed at the idle timeout", t is not None and 0.25 <= t < 1.5, t)
s.close()

held = [connect(addr) for _ in range(3)]
for h in held:
    h.sendall(b"y")
ok = all(recv_exact(h, 1) == b"y" for h in held)
extra = connect(addr)
t = closed_after(extra, 2)
check("beyond --max-conns a connection is accepted and closed at once",
      ok and t is not None and t < 0.25, t)
extra.close()
held.pop().close()
time.sleep(0.1)
check("below the limit again, connections are served", echo_ok(addr, 1000))



def dump_ok(text):
    """The listener's task and a connection's, each with its wait and its
    backtrace down to the task's own generator (whole lines)."""
    return (re.search(r"task \d+: waiting for fd \d+ to be readable", text)
            and re.search(r"#0 net_accept at [^\n]*\n\s*#1 accept_task at [^\n]*:\d+\n", text)
            and re.search(r"#0 fd_read at [^\n]*\n\s*#1 conn_task at [^\n]*echo-server\.c:\d+\n", text))


# Read until the dump is all there (the 3 s are a bound for a failure only).
p.send_signal(signal.SIGUSR1)
err = b""
deadline = time.monotonic() + 3
while time.monotonic() < deadline and not dump_ok(err.decode(errors="replace")):
    r, _, _ = select.select([p.stderr], [], [], 0.2)
    if r:
        err += os.read(p.stderr.fileno(), 65536)
text = err.decode(errors="replace")
check("SIGUSR1 dumps every task with its wait and backtrace", dump_ok(text), text[:400])
check("the server still serves after the dump", echo_ok(addr, 100))

rc, took = stop(p, signal.SIGTERM)
check("SIGTERM with no connection open exits 0 at once", rc == 0 and took < 0.5, (rc, took))
for h in held:
    h.close()

# SIGTERM with a connection open and silent: it gets up to a second.
p, addr, s = server_with_client()
rc, took = stop(p, signal.SIGTERM)
check("SIGTERM drains for up to a second, then exits 0", rc == 0 and 0.9 <= took < 2.5, (rc, took))
try:
    connect(addr).close()
    refused = False
except OSError:
    refused = True
check("after SIGTERM the listener is closed", refused)
s.close()

# SIGINT with a connection that finishes: exits as soon as it has.
p, addr, s = server_with_client()
t0 = time.monotonic()
p.send_signal(signal.SIGINT)
time.sleep(0.1)
s.sendall(b"still here")  # an open connection keeps working during the drain
got = recv_exact(s, 10)
s.close()  # the last connection ends: so does the drain
try:
    rc = p.wait(5)
except subprocess.TimeoutExpired:
    p.kill()
    rc = None
took = time.monotonic() - t0
check("SIGINT: open connections finish, then exit 0 without waiting the full second",
      got == b"still here" and rc == 0 and took < 0.9, (got, rc, took))

# A Unix socket.
path = "/tmp/gw-echo-%d.sock" % os.getpid()
if os.path.exists(path):
    os.unlink(path)
p, line = start("--listen", "unix:" + path)
check("unix: listening line", line == "listening on unix:%s\n" % path, repr(line))
check("unix: echoes", os.path.exists(path) and echo_ok("unix:" + path, 100000))
rc, took = stop(p, signal.SIGTERM)
check("unix: exits 0 and removes its socket", rc == 0 and not os.path.exists(path), (rc, took))

# Usage errors.
for args in (["--max-conns", "many"], ["--idle-timeout"], ["--bogus", "1"]):
    r = subprocess.run([EXE, *args], capture_output=True)
    check("usage error %s exits 2 with a message" % " ".join(args),
          r.returncode == 2 and b"usage:" in r.stderr, r.returncode)
r = subprocess.run([EXE, "--listen", "127.0.0.1:99999"], capture_output=True, timeout=10)
check("a bad address exits 1 and says why", r.returncode == 1 and b"cannot listen" in r.stderr,
      r.stderr)

print("1..%d" % len(results))
for i, (name, ok, detail) in enumerate(results, 1):
    print("%s %d - %s%s" % ("ok" if ok else "not ok", i, name, "" if ok else " # %r" % (detail,)))
sys.exit(0 if all(ok for _, ok, _ in results) else 1)

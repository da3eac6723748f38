"""An nginx of its own for the http-net tests and benchmarks: a config
written into a temporary directory, a free loopback port, a docroot the
caller fills, started in the foreground and stopped by stop().

Runs as any user.  As root, nginx's worker drops to nobody:nogroup, so the
directory is made world-readable (0755, files 0644) and nothing outside it
is touched: the pid file, the logs and nginx's temporary paths all live in
it, and the error log is given with -e so that the default one under
/var/log is never opened.  Loopback only.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

CONF = """\
{user}
worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    default_type application/octet-stream;
    types {{ text/plain txt; text/html html; }}
    log_format conns '$connection $connection_requests $request_uri $status';
    access_log {access};
    client_body_temp_path {d}/tmp-body;
    proxy_temp_path {d}/tmp-proxy;
    fastcgi_temp_path {d}/tmp-fcgi;
    uwsgi_temp_path {d}/tmp-uwsgi;
    scgi_temp_path {d}/tmp-scgi;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    keepalive_requests 100000;
    server {{
        listen 127.0.0.1:{port};
        root {d}/root;
        location /gz/ {{ gzip on; gzip_types text/plain; gzip_min_length 1; }}
    }}
}}
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Nginx:
    """nginx on 127.0.0.1:port serving self.root (fill it before start)."""

    def __init__(self, access_log=True):
        self.dir = tempfile.mkdtemp(prefix="gw-nginx-")
        self.root = os.path.join(self.dir, "root")
        os.makedirs(os.path.join(self.root, "gz"))
        self.access = os.path.join(self.dir, "access.log") if access_log else None
        self.proc = None
        self.port = None

    def start(self):
        root = os.geteuid() == 0
        if root:
            for base, dirs, files in os.walk(self.dir):
                os.chmod(base, 0o755)
                for f in files:
                    os.chmod(os.path.join(base, f), 0o644)
        for attempt in range(5):
            self.port = free_port()
            conf = os.path.join(self.dir, "nginx.conf")
            with open(conf, "w") as f:
                f.write(CONF.format(d=self.dir, port=self.port,
                                    user="user nobody nogroup;" if root else "",
                                    access=(self.access + " conns") if self.access else "off"))
            self.proc = subprocess.Popen(
                [NGINX, "-p", self.dir, "-c", conf, "-e", os.path.join(self.dir, "error.log")],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                    return self
                except OSError:
                    time.sleep(0.02)
            self.stop_proc()
        raise RuntimeError("nginx did not start: " + self.error_log())

    def url(self, path):
        return "http://127.0.0.1:%d/%s" % (self.port, path.lstrip("/"))

    def error_log(self):
        try:
            with open(os.path.join(self.dir, "error.log")) as f:
                return f.read()[-2000:]
        except OSError:
            return "(no error log)"

    def access_lines(self):
        """The access log's lines: [connection, requests, uri, status]."""
        with open(self.access) as f:
            return [line.split() for line in f if line.strip()]

    def stop_proc(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def stop(self):
        self.stop_proc()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

"""Gunicorn settings of the back-office: ``gunicorn -c gunicorn.conf.py wsgi:app`` (``make serve``).

Every value can be changed from the environment, so one file serves a laptop and a cluster
(docs/deployment.md):

- ``BIND`` (default ``127.0.0.1:8000``): where to listen. Behind nginx on the same machine keep
  the loopback address; behind a load balancer on another machine use ``0.0.0.0:8000`` (and a
  firewall) or a private address.
- ``WEB_CONCURRENCY``: worker processes (default 2 x CPU cores + 1).
- ``GUNICORN_THREADS`` (default 2): threads per worker. A request spends most of its time waiting
  for the database, so two threads per process serve more users in the same memory.
- ``FORWARDED_ALLOW_IPS`` (default ``127.0.0.1,::1``): the proxies whose ``X-Forwarded-Proto``
  is believed (the app then sees https and builds https URLs). Add the load balancer's address;
  never ``*`` when clients can reach gunicorn directly.
- ``GUNICORN_TIMEOUT`` (default 60 s): a worker silent for longer is killed and restarted. The
  long work (member batches) runs on the task queue, so no request should come near it.
- ``GUNICORN_MAX_REQUESTS`` (default 2000): a worker is replaced after that many requests (plus
  a random jitter so that they are not all replaced at once), which bounds slow memory growth.
"""

from __future__ import annotations

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = [address.strip() for address in os.environ.get("BIND", "127.0.0.1:8000").split(",")]
workers = _int("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1)
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 2)
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = 30
keepalive = 5

# Each worker builds its own app (its own database pool and queue connection): nothing is shared
# across a fork, and a restart picks up new code without restarting the arbiter.
preload_app = False

max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max(1, max_requests // 10) if max_requests else 0

forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Logs to stdout/stderr (journald, docker). The access log has the request time in milliseconds
# and the worker's pid; it keeps the path without its query string and leaves out the referrer,
# so that a member search by NIK or name does not end up in the logs.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms %(p)s'

# Gunicorn 25+ opens a control socket in the home directory by default; the back-office does
# not use it, and two servers on one machine (tests, a second instance) would fight over it.
control_socket_disable = True

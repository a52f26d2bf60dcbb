"""gunicorn's settings for the ``web`` process of the Procfile (read from the working
directory). Every value can be overridden by the environment, as on any Procfile platform.

Sized for the machine it runs on: ``cores + 1`` synchronous workers by default, one request at
a time each. A page or a signature is a few milliseconds of CPU with short waits on PostgreSQL
and Redis (on the same network), so one process per core, plus one to use a core while another
waits, keeps the cores busy; more only adds contention: ``make bench`` measured the same pages
at 0.7–0.8 of the CPU per request with 3 processes as with ``2 × cores + 1`` (5) on 2 cores, and
signing 30 % faster (docs/performance.md). Behind a load balancer that buffers requests, slow
clients never hold a worker. See docs/deploy.md.
"""

import multiprocessing
import os

bind = [os.environ.get("BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() + 1)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# Load Django once in the master: workers start in milliseconds and share its memory pages.
preload_app = True
# A request that takes longer than this is a bug or a hung service: the worker is replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Replace each worker after this many requests (spread out), so that no leak can grow for long.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
# Heartbeat files in memory, not on a disk that may stall (gunicorn's documented advice).
SHARED_MEMORY = "/dev/shm"  # noqa: S108
worker_tmp_dir = SHARED_MEMORY if os.path.isdir(SHARED_MEMORY) else None
# The load balancer logs requests; set GUNICORN_ACCESS_LOG=- to log them here too.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Trust X-Forwarded-* only from these addresses (the load balancer); Django decides on the
# scheme through SECURE_PROXY_SSL_HEADER (BEHIND_TLS_PROXY).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

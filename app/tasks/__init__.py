"""Background work on the procrastinate queue (``JOB_BACKEND=procrastinate``, PostgreSQL).

``app`` holds the queue, ``dispatch`` defers from the API, ``runtime`` is what a worker
process shares between its tasks, and one module per task family: ``solve``,
``notifications``, ``maintenance``. ``worker`` runs ``cpts-snp worker``.
"""

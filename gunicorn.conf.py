"""gunicorn reads this file when started from the repository (`make run`, production): the
access log never shows the tokens of confirmation and password-reset links, and each worker's
garbage collector is tuned for serving pages."""

import gc

logger_class = "learncom.accesslog.RedactingLogger"

#: Objects allocated before the youngest generation is collected (Python's default: 700). A
#: page allocates tens of thousands; at 700 the collector ran many times within one request,
#: moved the request's own objects into the older generations, and so set off a full collection
#: every few dozen requests, each 120-150 ms with the Whoosh index open (bench/README.md, "The
#: garbage collector under load": +20 % pages per second on SQLite + Whoosh at 100,000 posts).
GC_THRESHOLDS = (20_000, 20, 10)


def post_worker_init(worker):
    """Once the worker has loaded the app: collect what starting left behind, keep what is
    still alive out of every later collection (`gc.freeze`), and collect the young less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    worker.log.info("garbage collector: %d objects frozen, thresholds %s",
                    gc.get_freeze_count(), gc.get_threshold())

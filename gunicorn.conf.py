"""gunicorn reads this file when started from the repository (`make run`, production): the
access log never shows the tokens of confirmation and password-reset links."""

logger_class = "learncom.accesslog.RedactingLogger"

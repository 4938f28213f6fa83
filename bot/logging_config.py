"""One logging set-up for every Tandem process.

Rasa's structlog defaults to DEBUG and then logs each parsed message with its text, so any
process that loads a Rasa model must call ``configure()`` first: customer text and card numbers
must never reach a log file.
"""
from __future__ import annotations

import logging
import os


def configure(level: int | str | None = None) -> None:
    """Apply LOG_LEVEL (default INFO, never DEBUG unless asked) to stdlib logging and Rasa's structlog."""
    level = level or os.environ.get("LOG_LEVEL", "INFO")
    numeric = logging.getLevelName(level) if isinstance(level, str) else level
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(numeric)
    logging.getLogger().setLevel(numeric)
    for noisy in ("tensorflow", "transformers", "absl", "matplotlib", "sanic.access"):
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))

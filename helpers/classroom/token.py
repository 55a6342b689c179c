"""The class token: generated or set by the instructor, compared in constant time, never logged.

Example:
    >>> tok = ClassToken("a-long-enough-class-token")
    >>> tok.matches("Bearer a-long-enough-class-token"), tok.matches("Bearer wrong"), tok.matches(None)
    (True, False, False)
    >>> tok.scrub("header was a-long-enough-class-token")
    'header was ***'
    >>> tok
    ClassToken(***)

"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import secrets

from helpers.errors import CourseError
from helpers.i18n import _

__all__ = ["MIN_LENGTH", "ClassToken", "RedactFilter", "is_loopback"]

#: Shortest token ``serve`` accepts from an instructor (a generated one has 32 characters).
MIN_LENGTH = 16


class ClassToken:
    """A bearer token shared by a class.

    Args:
        value: The token; ``None`` generates one (``secrets.token_urlsafe``, 32 characters).

    Raises:
        CourseError: The value is shorter than :data:`MIN_LENGTH` or contains whitespace.

    """

    def __init__(self, value: str | None = None) -> None:
        self.generated = value is None
        value = secrets.token_urlsafe(24) if value is None else value.strip()
        if len(value) < MIN_LENGTH or any(ch.isspace() for ch in value):
            raise CourseError(_(
                "The class token must be at least {min_length} characters without spaces: choose a longer one, "
                "or unset SLM_LAB_CLASS_TOKEN and let `course.py serve` generate one."
            ).format(min_length=MIN_LENGTH))
        self._value = value

    def reveal(self) -> str:
        """The raw value (to print once, or to pass to a client)."""
        return self._value

    def matches(self, authorization: str | None) -> bool:
        """True when an ``Authorization`` header carries this token as ``Bearer <token>`` (constant-time)."""
        if not authorization:
            return False
        scheme, _, given = authorization.partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(given.strip().encode(), self._value.encode())

    def scrub(self, text: str) -> str:
        """``text`` with every occurrence of the token replaced by ``***``."""
        return text.replace(self._value, "***")

    def __repr__(self) -> str:
        return "ClassToken(***)"

    __str__ = __repr__


class RedactFilter(logging.Filter):
    """A logging filter that replaces secrets in every record's final message with ``***``.

    The gateway never formats a header or a body into a log line; this filter is the second belt.
    """

    def __init__(self, *secret_values: str) -> None:
        super().__init__()
        self.values = [v for v in secret_values if v]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = message
        for value in self.values:
            clean = clean.replace(value, "***")
        if clean != message:
            record.msg, record.args = clean, None
        return True


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach: ``127.x``, ``::1``, ``localhost``.

    Example:
        >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0"), is_loopback("10.1.2.3")
        (True, True, False, False)

    """
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False

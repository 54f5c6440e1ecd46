"""Exceptions: each names what was wrong and what to do next.

Catch :class:`CwPopHealthError` to handle everything this package raises on purpose.
"""

from __future__ import annotations

#: What to do when the Fingertips API cannot be used, quoted in error messages.
#: It points at what works without the network, ``make data`` (the table built from the offline
#: extracts), not at ``pull --offline``, which only replays what an online pull has cached.
OFFLINE_HINT = ("retry later, or work without the network from the offline extracts with "
                "`make data` (cw-pophealth build)")


class CwPopHealthError(Exception):
    """Base class for every error this package raises deliberately."""


class ConfigError(CwPopHealthError):
    """A setting or path is missing or wrong (e.g. the offline extracts folder)."""


class ParameterError(CwPopHealthError, ValueError):
    """A report or function parameter is invalid; the message names the parameter."""


class InvalidAreaCodeError(ParameterError):
    """An area code is not of the ONS form (a letter then eight digits, e.g. ``E08000026``)."""


class UnknownAreaError(ParameterError):
    """A well-formed area code that the API or the geography lookup does not know."""


class UnknownIndicatorError(ParameterError):
    """An indicator id or key that the API or the catalogue does not know."""


class UnknownAreaTypeError(ParameterError):
    """An area-type id the API does not list."""


class NoDataError(CwPopHealthError):
    """A valid request returned no rows (e.g. no data published for that area type)."""


class FingertipsAPIError(CwPopHealthError):
    """The Fingertips API could not be used: down, timing out, or answering with an error status.

    Attributes
    ----------
    url : str or None
        The request URL.
    status : int or None
        The HTTP status, if a response arrived.
    attempts : int or None
        How many times the request was sent, when it was retried.
    """

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None,
                 attempts: int | None = None):
        super().__init__(message)
        self.url = url
        self.status = status
        self.attempts = attempts


class APIUnavailableError(FingertipsAPIError):
    """Connection refused, timed out or 5xx after every retry."""


class MalformedResponseError(FingertipsAPIError):
    """The API answered 200 but the body is not what the endpoint returns (HTML page, truncated CSV,
    empty body, invalid JSON)."""


class SchemaDriftError(FingertipsAPIError):
    """The API's CSV columns differ from the documented header (renamed, missing or unexpected)."""


class OfflineCacheMissError(CwPopHealthError):
    """Offline mode asked for a response that is not in the raw cache."""


class SchemaValidationError(CwPopHealthError):
    """A tidy table breaks the documented schema; the message names the column and the file."""


class DamagedTableError(SchemaValidationError):
    """A table file cannot be read at all (truncated, overwritten, not Parquet); the message
    names the file and how to rebuild it."""

"""Exception types. Every error a user can cause derives from :class:`SrAuditError`.

The command line turns an :class:`SrAuditError` into one line on stderr and exit code 2; any other
exception is a bug and keeps its traceback. Messages name the problem and the fix.
"""


class SrAuditError(Exception):
    """Base class of all errors caused by bad input or a missing dependency."""


class SpecError(SrAuditError, ValueError):
    """A backend spec, kernel, option, scale or size is invalid."""


class ImageError(SrAuditError, ValueError):
    """An image array or file cannot be used (empty, NaN, RGBA, 16-bit where unsupported, ...)."""


class BackendUnavailableError(SrAuditError, ImportError):
    """A registered backend's library is not installed; the message carries the install hint."""


class DataError(SrAuditError, ValueError):
    """A data set, weights file or results store is missing or malformed."""


class SrAuditWarning(UserWarning):
    """What a caller of the Python API should know about a result (an HR modcropped to the SR size,
    a padding assumed, a model trained at another scale); the command line prints it as a line."""

"""Every exception the package raises on purpose, and the exit code each maps to.

Exit codes follow BSD ``sysexits``: 64 usage, 65 bad data, 66 input missing, 69 a
resource is taken (port, database), 71 the system refused a resource,
70 internal error, 73 an output cannot be created, 74 I/O error while writing.
Each class also subclasses the builtin that callers already catch, as
scikit-learn does (``NotFittedError(ValueError, AttributeError)``).

>>> err = DataError("line 3: no text")
>>> isinstance(err, ValueError), err.exit_code
(True, 65)
"""

from __future__ import annotations

import errno as _errno

EX_OK = 0
EX_USAGE = 64
EX_DATAERR = 65
EX_NOINPUT = 66
EX_UNAVAILABLE = 69
EX_SOFTWARE = 70
EX_OSERR = 71
EX_CANTCREAT = 73
EX_IOERR = 74


class DetectorError(Exception):
    """Base class of every error the package raises on purpose."""

    exit_code: int = EX_SOFTWARE


class UsageError(DetectorError, ValueError):
    """A command-line option or function parameter has a value that is not allowed."""

    exit_code = EX_USAGE


class DataError(DetectorError, ValueError):
    """The input data cannot be used (format, encoding, schema, values)."""

    exit_code = EX_DATAERR


class SchemaError(DataError):
    """Required columns are missing or cannot be told apart."""


class InputMissingError(DetectorError, FileNotFoundError):
    """An input file, model or catalog does not exist or is not a regular file."""

    exit_code = EX_NOINPUT


class OutputError(DetectorError, OSError):
    """An output file or folder cannot be created (``--out`` under a file, no permission)."""

    exit_code = EX_CANTCREAT


class UnavailableError(DetectorError, OSError):
    """A resource a server needs is taken (its port, a locked database)."""

    exit_code = EX_UNAVAILABLE


class SystemResourceError(DetectorError, OSError):
    """The operating system refused a resource (a port needing privileges, no such address)."""

    exit_code = EX_OSERR


class WriteError(DetectorError, OSError):
    """Writing an output failed part-way (disk full, file too large, I/O error)."""

    exit_code = EX_IOERR


class NotFittedError(DetectorError, ValueError, AttributeError):
    """An estimator or detector was used before ``fit``."""

    exit_code = EX_SOFTWARE

    @classmethod
    def unless(cls, estimator: object, attribute: str) -> None:
        """Raise it unless *estimator* has the *attribute* its ``fit`` sets.

        >>> NotFittedError.unless(object(), "coef_")
        Traceback (most recent call last):
        ...
        detector.errors.NotFittedError: This object instance is not fitted yet; call 'fit' first.
        """
        if getattr(estimator, attribute, None) is None:
            raise cls(
                f"This {type(estimator).__name__} instance is not fitted yet; call 'fit' first."
            )


class ModelError(DetectorError, ValueError):
    """A stored model is missing parts, fails its hash check or holds untrusted types."""

    exit_code = EX_DATAERR


class TooLittleDataError(DataError):
    """Training data has fewer examples of a class than the minimum."""


#: errno values by which the disk or a limit refused bytes being written (74, not 73).
REFUSED_WRITE_ERRNOS = frozenset({_errno.ENOSPC, _errno.EDQUOT, _errno.EFBIG, _errno.EIO})


def write_failure(what: str, err: OSError) -> DetectorError:
    """The error to raise when writing the output *what* failed with *err*: 74
    (:class:`WriteError`) when the disk or a limit refused the bytes, 73
    (:class:`OutputError`) when the file cannot be created where it was asked for.

    >>> write_failure("x.csv", OSError(28, "No space left on device")).exit_code
    74
    >>> e = write_failure("f/x.csv", NotADirectoryError(20, "Not a directory"))
    >>> e.exit_code, str(e)
    (73, 'cannot create f/x.csv: a folder on its path is a file')
    """
    if err.errno in REFUSED_WRITE_ERRNOS:
        return WriteError(f"writing {what} failed ({err.strerror or err})")
    if isinstance(err, NotADirectoryError | FileExistsError):
        why = "a folder on its path is a file"
    elif isinstance(err, IsADirectoryError):
        why = "it is a folder"
    else:
        why = err.strerror or str(err) or type(err).__name__
    return OutputError(f"cannot create {what}: {why}")


__all__ = [
    "REFUSED_WRITE_ERRNOS",
    "write_failure",
    "EX_CANTCREAT",
    "EX_OSERR",
    "EX_UNAVAILABLE",
    "SystemResourceError",
    "UnavailableError",
    "EX_DATAERR",
    "EX_IOERR",
    "EX_NOINPUT",
    "EX_OK",
    "EX_SOFTWARE",
    "EX_USAGE",
    "DataError",
    "DetectorError",
    "InputMissingError",
    "ModelError",
    "NotFittedError",
    "OutputError",
    "SchemaError",
    "TooLittleDataError",
    "UsageError",
    "WriteError",
]

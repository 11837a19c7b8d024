"""The exceptions tokenprint raises on purpose.

Every error inherits :class:`TokenprintError` *and* the matching builtin, so callers can
catch either (``except ValueError`` keeps working), the way pint's errors do.
"""

from __future__ import annotations

__all__ = [
    "BudgetExceeded",
    "BudgetWarning",
    "InvalidArgumentError",
    "InvalidTypeError",
    "ModelNotRegisteredError",
    "TokenprintError",
    "UnknownZoneError",
]


class TokenprintError(Exception):
    """Base class of every exception raised by tokenprint."""


class InvalidArgumentError(TokenprintError, ValueError):
    """An argument has the right type but a value we cannot use (negative tokens...)."""


class InvalidTypeError(TokenprintError, TypeError):
    """An argument has the wrong type (a float token count, a str for a number...)."""


class UnknownZoneError(InvalidArgumentError):
    """An electricity-mix zone given explicitly is not in the catalogue."""


class ModelNotRegisteredError(TokenprintError, LookupError):
    """Raised by ``estimate(..., strict=True)`` when the model cannot be resolved."""


class BudgetExceeded(TokenprintError):
    """A budget the user set was exceeded (``raise`` mode) or would be (``block`` mode).

    The only exception tokenprint raises on purpose inside an instrumented call.
    ``request`` is the offending request record (None when blocked before sending) and
    ``totals`` the tracked totals at that moment.
    """

    def __init__(
        self,
        message: str,
        *,
        request: object = None,
        totals: object = None,
        criterion: str | None = None,
        response: object = None,
    ) -> None:
        super().__init__(message)
        self.request = request
        self.totals = totals
        self.criterion = criterion
        self.response = response
        """The SDK's answer (for a stream: the stream object) that went over the budget: it
        was paid for, carries its ``impacts``, and can still be shown to the user. None when
        the request was refused before sending."""


class BudgetWarning(UserWarning):
    """A budget in ``warn`` mode was exceeded (the request went through), or a breach was
    found where raising is impossible (a stream finalised by the garbage collector)."""

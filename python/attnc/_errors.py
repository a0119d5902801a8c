"""The exceptions of the package, and the suggestion its messages end with."""

import difflib


def did_you_mean(word, candidates):
    """"; did you mean 'x'?" for the nearest candidate, or ""."""
    close = difflib.get_close_matches(word, list(candidates), n=1)
    return "; did you mean %r?" % close[0] if close else ""


class Error(RuntimeError):
    """A compiled model or the runtime refused a call. `code` is the
    attnc_status (ATTNC_ERR_SHAPE_MISMATCH is 3 ...), `status` its name as
    attnc_status_string gives it ("shape mismatch"), the message the
    runtime's attnc_last_error()."""

    def __init__(self, message, status, code):
        super().__init__(message)
        self.status = status
        self.code = code


class CompileError(RuntimeError):
    """attnc (or the C compiler linking its output) failed; `diagnostics`
    holds what it printed."""

    def __init__(self, message, diagnostics):
        super().__init__(message)
        self.diagnostics = diagnostics


def check(lib, status, what):
    """Raises Error with the runtime's own message when `status` is not OK."""
    if status != 0:
        name = lib.attnc_status_string(status).decode()
        detail = lib.attnc_last_error().decode()
        raise Error("%s: %s (%s)" % (what, detail or name, name), name, status)

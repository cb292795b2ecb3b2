"""Text from forms, file names and servers made safe to show: in the log, the register, a terminal.

What a person typed or a file was named is stored as it came; only where it is shown are control
characters (a terminal's escape sequences, a newline that forges a log line), bidi and zero-width
marks and bytes that were not UTF-8 replaced, and a value longer than any screen cut.
"""

from __future__ import annotations

import unicodedata

# Control, format (bidi, zero-width), surrogate (undecodable bytes), private-use, line/paragraph separators.
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}
REPLACEMENT = "\ufffd"


def invisible(ch: str) -> bool:
    """A character that shows nothing or changes how the rest shows."""
    return unicodedata.category(ch) in _INVISIBLE


def printable(value: object, *, limit: int | None = None) -> str:
    """`value` as one line of visible text: whitespace controls become spaces, the other invisible
    characters «�»; cut to `limit` characters with «…» when longer."""
    text = str(value)
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 0)] + "…"
    if text.isprintable():
        return text
    return "".join(_shown(ch) for ch in text)


def _shown(ch: str) -> str:
    if ch in "\t\n\r\v\f\x1c\x1d\x1e\x1f\x85\u2028\u2029":
        return " "
    return REPLACEMENT if invisible(ch) else ch

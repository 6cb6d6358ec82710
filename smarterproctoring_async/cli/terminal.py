"""Server text made safe to print on a terminal: control characters shown as escapes.

A report cell or an error message may hold anything the server sent. Printed raw, an
ESC sequence recolours or clears the operator's terminal, moves the cursor over earlier
lines or sets the window title; a carriage return overwrites the line it is on; a
Unicode direction override makes a cell read backwards. :func:`shown` writes every such
character as a visible escape (``\\x1b``, ``\\u202e``), so the text is inert and what
was sent can still be read off the screen. Lone surrogates (``\\ud800``, which JSON
allows and UTF-8 cannot encode) are escaped the same way instead of failing the write.

Imported by ``errors`` at start-up: no imports; the table is built once, at import.
"""

from __future__ import annotations

__all__ = ["shown"]


def _escape(code: int) -> str:
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


# C0 (but tab, newline, carriage return: callers fold whitespace themselves), DEL, C1,
# the bidirectional embedding/override/isolate controls and marks, and the surrogates.
_UNSAFE = [
    *(c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)),
    *range(0x7F, 0xA0),
    0x061C,
    0x200E,
    0x200F,
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
    *range(0xD800, 0xE000),
]
_TABLE = {code: _escape(code) for code in _UNSAFE}


def shown(text: str) -> str:
    """``text`` with every terminal control character written as an escape.

    Tabs, newlines and carriage returns are left for the caller, which folds them into
    spaces (a table cell, an error line) and must not leave a bare ``\\r`` in place.
    """
    return text.translate(_TABLE)

"""The next match of a pattern at or after a position, remembered between searches.

Scanners that look ahead for a closing token (``)``, ``*/``, ``]``…) from many starting points would
search the same text again and again when the token never comes; remembering the last answer keeps
every such scanner linear in the length of its text.
"""

from __future__ import annotations

import re


class NextMatch:
    """``str.find``-style searches of one pattern in one text that reuse their last answer."""

    def __init__(self, text: str, pattern: re.Pattern[str]) -> None:
        self.text = text
        self.pattern = pattern
        self.found = -2  # -2: not searched yet; -1: none after the last search position

    def at_or_after(self, position: int) -> int:
        """Where the next match starts at or after ``position``; -1 when there is none."""
        if self.found == -1 or self.found >= position:
            return self.found
        match = self.pattern.search(self.text, position)
        self.found = match.start() if match else -1
        return self.found

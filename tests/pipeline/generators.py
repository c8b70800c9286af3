"""Custom name generators used by the tests."""


def dashed(parts: tuple[str, str], stamp: str) -> str:
    root, ext = parts
    return f"{root}-{stamp}{ext}"


def bundle_name(filenames: list[str], max_length: int) -> str:
    return "/js/bundle.js"


def shout(text: str) -> str:
    """A minifier of text only (it cannot take bytes), for the encoding tests."""
    return text.upper()

"""Make the example site's tiny web font (a few box-drawn capitals), so the site ships a font of its own.

Run once: python example_site/tools/make_font.py  (needs fonttools and brotli); writes assets/fonts/pipe.woff2.
"""

from __future__ import annotations

from pathlib import Path

from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen

UNITS = 1000
LETTERS = "PIEST"  # enough for the headline "PIPE"


def box_glyph(width: int, rects: list[tuple[int, int, int, int]]):
    pen = TTGlyphPen(None)
    for x0, y0, x1, y1 in rects:
        pen.moveTo((x0, y0))
        pen.lineTo((x0, y1))
        pen.lineTo((x1, y1))
        pen.lineTo((x1, y0))
        pen.closePath()
    return pen.glyph()


SHAPES = {
    "P": [(80, 0, 200, 700), (200, 580, 520, 700), (400, 330, 520, 580), (200, 330, 400, 450)],
    "I": [(220, 0, 340, 700)],
    "E": [(80, 0, 200, 700), (200, 580, 520, 700), (200, 290, 460, 410), (200, 0, 520, 120)],
    "S": [(80, 580, 520, 700), (80, 350, 200, 580), (80, 290, 520, 410), (400, 120, 520, 290), (80, 0, 520, 120)],
    "T": [(40, 580, 560, 700), (240, 0, 360, 580)],
}


def main() -> None:
    names = [".notdef", "space", *LETTERS]
    builder = FontBuilder(UNITS, isTTF=True)
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap({ord(" "): "space", **{ord(c): c for c in LETTERS}})
    glyphs = {".notdef": box_glyph(600, [(50, 0, 550, 700)]), "space": box_glyph(300, [])}
    glyphs.update({c: box_glyph(600, SHAPES[c]) for c in LETTERS})
    builder.setupGlyf(glyphs)
    builder.setupHorizontalMetrics({name: (300 if name == "space" else 600, 0) for name in names})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": "Pipe", "styleName": "Regular"})
    builder.setupOS2(sTypoAscender=800, sTypoDescender=-200, usWinAscent=800, usWinDescent=200)
    builder.setupPost()
    builder.font.flavor = "woff2"
    target = Path(__file__).resolve().parent.parent / "assets" / "fonts" / "pipe.woff2"
    builder.save(str(target))
    print(f"wrote {target} ({target.stat().st_size} bytes)")


if __name__ == "__main__":
    main()

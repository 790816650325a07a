#!/usr/bin/env python3
"""Turn a colour terminal capture (`tmux capture-pane -e -p`) into an HTML page.

The page draws the capture as a grid of COLS x ROWS cells in a monospace font on
a dark background, so that a headless browser can photograph it at a known
window size (scripts/screenshots.sh does). SGR attributes understood: the 16
colours (30-37, 90-97, 40-47, 100-107), 256 colours (38;5;N / 48;5;N), true
colour (38;2;R;G;B, colon forms too), defaults (39/49), bold, dim, italic,
underline, strike-through, hidden, reverse, and their resets. Other escape
sequences (cursor movement, OSC hyperlinks) are dropped.

Every character outside ASCII sits in a box exactly one cell wide (two for East
Asian wide characters), so a glyph taken from a fallback font cannot shift the
rest of its line off the grid.

usage: ansi_to_html.py CAPTURE COLS ROWS OUT.html [--title TEXT]
       prints "WIDTH HEIGHT" (CSS pixels) of the page on standard output
"""

import argparse
import html
import re
import sys
import unicodedata

# Cells are CELL_W x LINE_PX whole pixels: the font size is chosen so that the
# advance of DejaVu Sans Mono (1233/2048 em), the font the page asks for, is
# CELL_W, and every cell starts on a pixel boundary.
CELL_W = 10
LINE_PX = 20
FONT_PX = round(CELL_W * 2048 / 1233, 3)
PAD_PX = 14

# Box-drawing characters are drawn with CSS, not taken from the font: a font's
# line glyphs rarely fill the cell exactly, so borders show gaps between rows
# and lines anti-aliased to half a pixel. Each entry is the weight of the arm
# going up, down, left and right: 0 none, 1 light, 2 heavy, 3 double.
BOX = {
    "─": (0, 0, 1, 1), "━": (0, 0, 2, 2), "│": (1, 1, 0, 0), "┃": (2, 2, 0, 0),
    "┌": (0, 1, 0, 1), "┐": (0, 1, 1, 0), "└": (1, 0, 0, 1), "┘": (1, 0, 1, 0),
    "╭": (0, 1, 0, 1), "╮": (0, 1, 1, 0), "╰": (1, 0, 0, 1), "╯": (1, 0, 1, 0),
    "┏": (0, 2, 0, 2), "┓": (0, 2, 2, 0), "┗": (2, 0, 0, 2), "┛": (2, 0, 2, 0),
    "├": (1, 1, 0, 1), "┤": (1, 1, 1, 0), "┬": (0, 1, 1, 1), "┴": (1, 0, 1, 1),
    "┼": (1, 1, 1, 1), "┣": (2, 2, 0, 2), "┫": (2, 2, 2, 0), "┳": (0, 2, 2, 2),
    "┻": (2, 0, 2, 2), "╋": (2, 2, 2, 2), "╴": (0, 0, 1, 0), "╵": (1, 0, 0, 0),
    "╶": (0, 0, 0, 1), "╷": (0, 1, 0, 0),
    "═": (0, 0, 3, 3), "║": (3, 3, 0, 0), "╔": (0, 3, 0, 3), "╗": (0, 3, 3, 0),
    "╚": (3, 0, 0, 3), "╝": (3, 0, 3, 0), "╠": (3, 3, 0, 3), "╣": (3, 3, 3, 0),
    "╦": (0, 3, 3, 3), "╩": (3, 0, 3, 3), "╬": (3, 3, 3, 3),
}

DEFAULT_FG = "#d8dee9"
DEFAULT_BG = "#1b1e26"
# Black, red, green, yellow, blue, magenta, cyan, white; then the bright eight.
PALETTE = [
    "#2e3440", "#e0616b", "#8fc370", "#e5c07b", "#61a6ef", "#c678dd", "#56c2c9", "#d8dee9",
    "#5c6370", "#ff7b85", "#a9e28a", "#ffd68a", "#83bcff", "#dc97f0", "#7ee0e6", "#ffffff",
]

ESCAPE = re.compile(r"\x1b(?:\[([0-9;:?<>=]*)([@-~])|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")


def color256(n):
    if n < 16:
        return PALETTE[n]
    if n < 232:
        n -= 16
        levels = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (levels[n // 36], levels[n // 6 % 6], levels[n % 6])
    grey = 8 + 10 * (n - 232)
    return "#%02x%02x%02x" % (grey, grey, grey)


class Style:
    __slots__ = ("fg", "bg", "bold", "dim", "italic", "underline", "strike", "hidden", "reverse")

    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None
        self.bg = None
        self.bold = self.dim = self.italic = self.underline = False
        self.strike = self.hidden = self.reverse = False

    def key(self):
        return tuple(getattr(self, s) for s in self.__slots__)

    def css(self):
        fg = self.fg or DEFAULT_FG
        bg = self.bg
        if self.reverse:
            fg, bg = (bg or DEFAULT_BG), fg
        rules = []
        if fg != DEFAULT_FG:
            rules.append("color:" + fg)
        if bg is not None and bg != DEFAULT_BG:
            rules.append("background:" + bg)
        if self.bold:
            rules.append("font-weight:bold")
        if self.dim:
            rules.append("opacity:.6")
        if self.italic:
            rules.append("font-style:italic")
        lines = [n for n, on in (("underline", self.underline), ("line-through", self.strike)) if on]
        if lines:
            rules.append("text-decoration:" + " ".join(lines))
        if self.hidden:
            rules.append("visibility:hidden")
        return ";".join(rules)


def extended_color(params, i):
    """Reads 5;N or 2;R;G;B after a 38/48 at params[i]; returns (colour, next index)."""
    ints = lambda vals: all(isinstance(v, int) for v in vals)
    if i + 2 < len(params) and params[i + 1] == 5 and ints(params[i + 2 : i + 3]):
        return color256(params[i + 2] % 256), i + 3
    if i + 4 < len(params) and params[i + 1] == 2 and ints(params[i + 2 : i + 5]):
        r, g, b = (min(v, 255) for v in params[i + 2 : i + 5])
        return "#%02x%02x%02x" % (r, g, b), i + 5
    return None, len(params)


def parse_params(text):
    """Splits an SGR parameter string: plain numbers stay ints, colon groups become lists."""
    groups = []
    for group in text.split(";"):
        if ":" in group:
            groups.append([int(p) if p.isdigit() else 0 for p in group.split(":")])
        else:
            groups.append(int(group) if group.isdigit() else 0)
    return groups


def sgr(style, text):
    """Applies one SGR parameter string (the part between ESC[ and m) to style."""
    params = parse_params(text)
    i = 0
    while i < len(params):
        p = params[i]
        if isinstance(p, list):
            # Colon forms: 38:5:N, 38:2:R:G:B or 38:2:CS:R:G:B (colour space id), 4:N.
            if p[0] in (38, 48) and len(p) > 1:
                if p[1] == 2 and len(p) >= 6:
                    p = [p[0], 2] + p[-3:]
                colour, _ = extended_color(p, 0)
                if colour is not None:
                    setattr(style, "fg" if p[0] == 38 else "bg", colour)
            elif p[0] == 4:
                style.underline = len(p) < 2 or p[1] != 0
            i += 1
            continue
        if p in (38, 48, 58):
            colour, nxt = extended_color(params, i)
            if colour is not None and p != 58:
                setattr(style, "fg" if p == 38 else "bg", colour)
            i = nxt
            continue
        apply_one(style, p)
        i += 1


# SGR codes that set or clear one attribute: code -> (attributes, value).
SGR_ATTRIBUTES = {
    1: (("bold",), True),
    2: (("dim",), True),
    3: (("italic",), True),
    4: (("underline",), True),
    7: (("reverse",), True),
    8: (("hidden",), True),
    9: (("strike",), True),
    21: (("bold", "dim"), False),
    22: (("bold", "dim"), False),
    23: (("italic",), False),
    24: (("underline",), False),
    27: (("reverse",), False),
    28: (("hidden",), False),
    29: (("strike",), False),
    39: (("fg",), None),
    49: (("bg",), None),
}

# Basic and bright colour ranges: first code -> (attribute, first palette index).
SGR_COLOURS = ((30, "fg", 0), (90, "fg", 8), (40, "bg", 0), (100, "bg", 8))


def apply_one(style, p):
    if p == 0:
        style.reset()
        return
    if p in SGR_ATTRIBUTES:
        names, value = SGR_ATTRIBUTES[p]
        for name in names:
            setattr(style, name, value)
        return
    for first, name, base in SGR_COLOURS:
        if first <= p <= first + 7:
            setattr(style, name, PALETTE[p - first + base])
            return


def bar(x, y, w, h):
    return "linear-gradient(currentColor,currentColor) %dpx %dpx/%dpx %dpx no-repeat" % (x, y, w, h)


def box_css(arms):
    """CSS backgrounds drawing one box-drawing cell from its four arms."""
    up, down, left, right = arms
    layers = []
    # A light line is 1 px, a heavy one 2 px; a double line is two 1 px lines 2 px apart.
    for weight, vertical, start in ((up, True, True), (down, True, False), (left, False, True), (right, False, False)):
        if not weight:
            continue
        across = CELL_W if vertical else LINE_PX
        along = LINE_PX if vertical else CELL_W
        offsets = [(across - 1) // 2 - 1, (across - 1) // 2 + 2] if weight == 3 else [(across - weight) // 2]
        width = 1 if weight == 3 else weight
        middle = (along - width) // 2
        # Each arm runs from its edge through the middle, so arms meet without a notch.
        a, b = (0, middle + width + (1 if weight == 3 else 0)) if start else (middle - (1 if weight == 3 else 0), along)
        for off in offsets:
            if vertical:
                layers.append(bar(off, a, width, b - a))
            else:
                layers.append(bar(a, off, b - a, width))
    return "background:" + ",".join(layers)


def cell_html(ch):
    if ch in BOX:
        return '<span class="c1" style="%s"> </span>' % box_css(BOX[ch])
    if ord(ch) < 128:
        return html.escape(ch, quote=False)
    width = 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return '<span class="c%d">%s</span>' % (width, html.escape(ch, quote=False))


def convert(capture, cols, rows):
    style = Style()
    lines = capture.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) > rows:
        raise ValueError("the capture has %d lines, more than the %d rows given" % (len(lines), rows))
    out = []
    for line in lines:
        spans = []  # [style key, css, text]
        pos = 0
        for m in ESCAPE.finditer(line):
            if m.start() > pos:
                add_text(spans, style, line[pos : m.start()])
            if m.group(2) == "m":
                sgr(style, m.group(1) or "")
            pos = m.end()
        if pos < len(line):
            add_text(spans, style, line[pos:])
        body = "".join(
            ('<span style="%s">%s</span>' % (css, text)) if css else text for _, css, text in spans
        )
        out.append('<div class="r">%s</div>' % body)
    while len(out) < rows:
        out.append('<div class="r"></div>')
    return out


def add_text(spans, style, text):
    key = style.key()
    piece = "".join(cell_html(ch) for ch in text)
    if spans and spans[-1][0] == key:
        spans[-1][2] += piece
    else:
        spans.append([key, style.css(), piece])


def page(rows_html, cols, rows, title):
    width = cols * CELL_W + 2 * PAD_PX
    height = rows * LINE_PX + 2 * PAD_PX
    doc = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>
html, body {{ margin: 0; padding: 0; background: {bg}; overflow: hidden; }}
#t {{ padding: {pad}px; color: {fg}; background: {bg};
      font-family: "DejaVu Sans Mono", monospace; font-size: {font}px; line-height: {line}px;
      font-variant-ligatures: none; font-kerning: none; white-space: pre; }}
.r {{ height: {line}px; }}
.c1, .c2 {{ display: inline-block; overflow: visible; text-align: center; }}
.c1 {{ width: {cell}px; }}
.c2 {{ width: {cell2}px; }}
</style></head>
<body><div id="t">{rows}</div></body></html>
""".format(
        title=html.escape(title),
        bg=DEFAULT_BG,
        fg=DEFAULT_FG,
        pad=PAD_PX,
        font=FONT_PX,
        line=LINE_PX,
        cell=CELL_W,
        cell2=2 * CELL_W,
        rows="".join(rows_html),
    )
    return doc, width, height


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("capture")
    ap.add_argument("cols", type=int)
    ap.add_argument("rows", type=int)
    ap.add_argument("out")
    ap.add_argument("--title", default="terminal")
    args = ap.parse_args()
    with open(args.capture, encoding="utf-8") as f:
        capture = f.read()
    try:
        rows_html = convert(capture, args.cols, args.rows)
    except ValueError as e:
        sys.exit("ansi_to_html: %s: %s" % (args.capture, e))
    doc, width, height = page(rows_html, args.cols, args.rows, args.title)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(doc)
    print(width, height)


if __name__ == "__main__":
    main()

"""Colour names a designer types, and how to turn them into RGB.

The table is the 148 CSS colour names (Pillow's ``ImageColor.colormap``, which includes both
"grey" and "gray" spellings) overlaid with :data:`FASHION_COLOURS`: the words the fashion trade
uses for colours that CSS does not name ("burgundy", "camel", "mustard", "charcoal", "cream",
"ecru", "sage", "terracotta"...), and the few CSS names a designer means differently.
Names are matched without spaces, hyphens or case, so "Navy Blue", "navy-blue" and "navyblue"
are the same colour.

Where the fashion values come from: they are this project's typical swatches of dyed fabric as
it photographs, chosen to match how buyers and designers use the words on colour cards and
product listings, not a licensed colour system (Pantone's TCX cotton standards are the trade's
reference but are not redistributable). The overrides of CSS, with the reason:

- **navy** is the dark, slightly greyed blue of suiting, uniforms and denim-washed basics:
  ``#1f2a44`` (CIE L* 17, C* 18, hue 282 degrees). CSS ``navy`` (``#000080``) is a saturated
  royal/ultramarine blue (L* 13, C* 80) that no navy garment has.
- **khaki** is the traditional drill-cloth khaki ``#c3b091`` (L* 73, C* 19), the value
  usually listed as plain "khaki" in colour references; CSS ``khaki`` (``#f0e68c``) is a pale
  lemon yellow (L* 90, C* 46).
- **beige** is the warm sand beige of knitwear and trench coats, ``#d9c7a7``; CSS ``beige``
  (``#f5f5dc``) is an almost-white greenish cream.
- **olive** is the greyed olive green of utility wear, ``#6b6b3a``; CSS ``olive``
  (``#808000``) is a saturated mustard green.

The CSS meanings stay reachable by hex. Recolouring keeps the photographed cloth's shading, so a
value here is the colour of the fabric's mid-tones (see ``imaging/edits.py``).

:func:`find_colour` also understands ``#rgb`` / ``#rrggbb`` and ``rgb(r, g, b)``, and the modifiers
"light/pale/pastel" and "dark/deep" in front of a name that has no entry of its own ("dark
burgundy", "pale sage").
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from PIL import ImageColor

RGB = tuple[int, int, int]

#: Fashion and trade colour words beyond (or spelled unlike) CSS. Values are typical swatches.
FASHION_COLOURS: dict[str, str] = {
    "navy": "#1f2a44",
    "navyblue": "#1f2a44",
    "khaki": "#c3b091",
    "beige": "#d9c7a7",
    "olive": "#6b6b3a",
    "midnight": "#1c2340",
    "burgundy": "#800020",
    "oxblood": "#4a0000",
    "wine": "#722f37",
    "bordeaux": "#5c0a1f",
    "claret": "#7f1734",
    "cherry": "#990f2b",
    "cherryred": "#990f2b",
    "scarlet": "#ff2400",
    "ruby": "#9b111e",
    "rust": "#b7410e",
    "terracotta": "#c8643b",
    "brick": "#a4453a",
    "brickred": "#a4453a",
    "cognac": "#9a463d",
    "camel": "#c19a6b",
    "cream": "#fffdd0",
    "offwhite": "#f5f3ec",
    "ecru": "#e6dcc3",
    "bone": "#e3dac9",
    "oatmeal": "#e0d6c2",
    "sand": "#d8c6a3",
    "stone": "#b5ab9c",
    "taupe": "#8b7d6b",
    "greige": "#b8ad9f",
    "mocha": "#6f4e37",
    "espresso": "#3c2218",
    "coffee": "#6f4e37",
    "cocoa": "#5a3a29",
    "caramel": "#af6f29",
    "toffee": "#a0632f",
    "nude": "#e3bc9a",
    "blush": "#de8c9d",
    "dustypink": "#d4a5a5",
    "dustyrose": "#c9a9a6",
    "rose": "#e8a0a8",
    "rosegold": "#b76e79",
    "mauve": "#b784a7",
    "lilac": "#c8a2c8",
    "aubergine": "#3d0734",
    "eggplant": "#614051",
    "peach": "#ffcba4",
    "apricot": "#fbceb1",
    "mustard": "#e1ad01",
    "ochre": "#cc7722",
    "saffron": "#f4c430",
    "lemon": "#fff44f",
    "butter": "#f6e6a2",
    "champagne": "#f7e7ce",
    "sage": "#9caf88",
    "sagegreen": "#9caf88",
    "mint": "#98ff98",
    "mintgreen": "#98ff98",
    "pistachio": "#93c572",
    "moss": "#8a9a5b",
    "mossgreen": "#8a9a5b",
    "khakigreen": "#8a865d",
    "armygreen": "#4b5320",
    "militarygreen": "#4b5320",
    "bottlegreen": "#006a4e",
    "emerald": "#50c878",
    "emeraldgreen": "#50c878",
    "jade": "#00a86b",
    "hunter": "#355e3b",
    "huntergreen": "#355e3b",
    "kellygreen": "#4cbb17",
    "neongreen": "#39ff14",
    "petrol": "#1b4b5a",
    "petrolblue": "#1b4b5a",
    "duckegg": "#c3e3e0",
    "cobalt": "#0047ab",
    "cobaltblue": "#0047ab",
    "denim": "#1560bd",
    "denimblue": "#1560bd",
    "sapphire": "#0f52ba",
    "electricblue": "#2c75ff",
    "babyblue": "#a1caf1",
    "iceblue": "#d6ecef",
    "sky": "#87ceeb",
    "cornflower": "#6495ed",
    "periwinkle": "#ccccff",
    "charcoal": "#36454f",
    "charcoalgrey": "#36454f",
    "charcoalgray": "#36454f",
    "graphite": "#474a51",
    "gunmetal": "#2a3439",
    "slate": "#708090",
    "heathergrey": "#b6b5b0",
    "heathergray": "#b6b5b0",
    "ash": "#b2beb5",
    "pewter": "#8e9294",
    "jetblack": "#0a0a0a",
    "onyx": "#0f0f0f",
    "ebony": "#1c1a17",
    "opticwhite": "#fbfbfb",
    "pearl": "#eae0c8",
    "bubblegum": "#ffc1cc",
    "coralred": "#ff4040",
    "tangerine": "#f28500",
    "amber": "#ffbf00",
    "bronze": "#cd7f32",
    "copper": "#b87333",
    "leopard": "#a17a4a",
}

_TABLE: dict[str, str] = {**ImageColor.colormap, **FASHION_COLOURS}
_NAMES: dict[str, RGB] = {}
for _name, _value in _TABLE.items():
    if isinstance(_value, str):
        _NAMES[_name.replace(" ", "")] = ImageColor.getrgb(_value)[:3]  # type: ignore[assignment]

_LIGHTER = frozenset({"light", "lighter", "pale", "paler", "pastel", "soft", "washed"})
_DARKER = frozenset({"dark", "darker", "deep", "deeper", "rich"})
_SAME = frozenset({"bright", "vivid", "vibrant", "pure", "true", "classic", "solid", "plain"})
_WORD = re.compile(r"#[0-9a-f]{6}\b|#[0-9a-f]{3}\b|[a-z]+")
_RGB_FUNC = re.compile(
    r"rgba?\(\s*(\d{1,3})\s*[,\s]\s*(\d{1,3})\s*[,\s]\s*(\d{1,3})\s*(?:[,/]\s*[\d.]+%?\s*)?\)"
)


@dataclass(frozen=True, slots=True)
class Colour:
    """A colour as the designer named it (``name``) and its sRGB value."""

    name: str
    rgb: RGB

    @property
    def hex(self) -> str:
        return "#{:02x}{:02x}{:02x}".format(*self.rgb)

    def describe(self) -> str:
        """ "navy (#1f2a44)", or just "#1f2a44" when the name is the hex itself."""
        return self.hex if self.name == self.hex else f"{self.name} ({self.hex})"


@dataclass(frozen=True, slots=True)
class ColourMention:
    """Where in a text a colour was named: ``start``/``end`` are character offsets."""

    colour: Colour
    start: int
    end: int


def colour_names() -> frozenset[str]:
    """Every name the table knows (normalised: lower case, no spaces)."""
    return frozenset(_NAMES)


def lookup_colour(name: str) -> Colour | None:
    """A single name, hex or ``rgb()`` string to a colour; None when it is not one."""
    text = name.strip().lower()
    mentions = find_colours(text)
    if len(mentions) == 1 and mentions[0].start == 0 and mentions[0].end >= len(text.rstrip(".")):
        return mentions[0].colour
    return None


def find_colours(text: str) -> list[ColourMention]:
    """Every colour named in ``text`` (already lower-cased), in order, longest names first.

    ``rgb()`` components above 255 are not colours and are left out (the caller's parser
    reports them)."""
    found: list[ColourMention] = []
    taken = [False] * len(text)
    for match in _RGB_FUNC.finditer(text):
        values = tuple(int(v) for v in match.groups())
        if all(v <= 255 for v in values):
            rgb: RGB = (values[0], values[1], values[2])
            colour = Colour("#{:02x}{:02x}{:02x}".format(*rgb), rgb)
            found.append(ColourMention(colour, match.start(), match.end()))
        for i in range(match.start(), match.end()):
            taken[i] = True
    words = [m for m in _WORD.finditer(text) if not taken[m.start()]]
    i = 0
    while i < len(words):
        mention = _mention_at(text, words, i)
        if mention is None:
            i += 1
            continue
        found.append(mention[0])
        i += mention[1]
    found.sort(key=lambda m: m.start)
    return found


def _mention_at(text: str, words: list[re.Match[str]], i: int) -> tuple[ColourMention, int] | None:
    """The longest colour starting at word ``i``: (mention, number of words used) or None."""
    first = words[i].group()
    if first.startswith("#"):
        rgb = ImageColor.getrgb(first)[:3]
        hex_name = "#{:02x}{:02x}{:02x}".format(*rgb)
        return ColourMention(Colour(hex_name, rgb), words[i].start(), words[i].end()), 1  # type: ignore[arg-type]
    for n in (3, 2, 1):
        chunk = words[i : i + n]
        if len(chunk) < n or any(w.group().startswith("#") for w in chunk):
            continue
        if not _adjacent(text, chunk):
            continue
        key = "".join(w.group() for w in chunk)
        rgb_value = _NAMES.get(key)
        modifier = chunk[0].group()
        if rgb_value is None and n > 1 and modifier in _LIGHTER | _DARKER | _SAME:
            base = _NAMES.get("".join(w.group() for w in chunk[1:]))
            if base is not None and modifier in _SAME:
                rgb_value = base
            elif base is not None:
                rgb_value = _shade(base, lighter=modifier in _LIGHTER)
        if rgb_value is not None:
            name = text[chunk[0].start() : chunk[-1].end()]
            return ColourMention(Colour(name, rgb_value), chunk[0].start(), chunk[-1].end()), n
    return None


def _adjacent(text: str, chunk: list[re.Match[str]]) -> bool:
    """Words of one colour name may be separated by spaces or hyphens only."""
    for left, right in itertools.pairwise(chunk):
        gap = text[left.end() : right.start()]
        if gap.strip(" -") or len(gap) > 2:
            return False
    return True


def _shade(rgb: RGB, *, lighter: bool) -> RGB:
    """A lighter (towards white) or darker (towards black) variant for "pale X" / "dark X"."""
    if lighter:
        return (
            round(rgb[0] + (255 - rgb[0]) * 0.45),
            round(rgb[1] + (255 - rgb[1]) * 0.45),
            round(rgb[2] + (255 - rgb[2]) * 0.45),
        )
    return (round(rgb[0] * 0.55), round(rgb[1] * 0.55), round(rgb[2] * 0.55))

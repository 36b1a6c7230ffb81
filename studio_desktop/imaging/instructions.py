"""From a designer's free-text instruction to a typed edit plan the local engine can carry out.

:func:`parse_instruction` returns an :class:`EditPlan` (one or more :class:`EditStep`, in the
order they were asked for) or an :class:`Unsupported` whose ``reply`` is written for the designer:
it becomes the assistant's message in Magic Canvas, so it says what the local editor *can* do,
with examples, instead of failing silently.

What is understood (case, punctuation and filler words do not matter):

- remove / erase / delete / get rid of / take out ... -> :attr:`Op.REMOVE` (inpainting)
- recolour: "make it navy", "change the colour to #1f2a44", "rgb(31, 42, 68)", "turn it dark
  burgundy", "tint it blue" (a partial recolour) -> :attr:`Op.RECOLOR`
- blur / soften, sharpen / crisper, brighten / lighten, darken / dim, more / less contrast,
  saturate / more vivid, desaturate / mute, greyscale / black and white.
- amounts from words ("slightly", "a bit", "somewhat", "a lot", "very", "strongly"...) or
  percentages ("by 20%", "30% brighter", "brightness -15%").
- several operations joined by "and", "then", commas or full stops ("brighten slightly and make
  it navy").

``EditStep.amount`` is in the operation's own unit, documented on :class:`Op`.

With nothing painted, :func:`scope_of` says what a colour or tone edit applies to: the main
subject (the default), the background ("blur the background"), or everything ("the whole
image", "everything"); :func:`no_mask_reply` is the assistant's answer that says which.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from studio_desktop.imaging.colours import Colour, find_colours


class Op(StrEnum):
    """An edit the local engine performs. ``EditStep.amount`` means, per operation:

    - ``REMOVE``: unused (1.0).
    - ``RECOLOR``: blend strength towards the target colour, 0..1 (1 = fully the new colour).
    - ``BLUR``: strength 0..1; the Gaussian sigma is ``amount * 3%`` of the image's long side.
    - ``SHARPEN``: unsharp-mask strength (0.3 = subtle, 1 = strong, up to 3).
    - ``BRIGHTNESS``: signed change of the midtones (+0.2 = mid-grey 20% brighter, -0.2 darker).
    - ``CONTRAST``: signed change of contrast (+0.3 = 30% more spread around the mean).
    - ``SATURATION``: signed change of saturation (-1 = no colour left).
    - ``GRAYSCALE``: strength 0..1 (1 = fully black and white).
    """

    REMOVE = "remove"
    RECOLOR = "recolor"
    BLUR = "blur"
    SHARPEN = "sharpen"
    BRIGHTNESS = "brightness"
    CONTRAST = "contrast"
    SATURATION = "saturation"
    GRAYSCALE = "grayscale"


@dataclass(frozen=True, slots=True)
class EditStep:
    """One operation of a plan. ``colour`` only for :attr:`Op.RECOLOR`; ``text`` is the part of
    the instruction it came from."""

    op: Op
    amount: float
    colour: Colour | None = None
    text: str = ""

    def describe(self) -> str:
        """A short phrase for the assistant's reply: "brighten (+20%)", "recolour to navy"."""
        pct = f"{abs(self.amount) * 100:.0f}%"
        if self.op is Op.REMOVE:
            return "remove the painted area"
        if self.op is Op.RECOLOR:
            assert self.colour is not None
            partial = "" if self.amount >= 0.999 else f" ({pct} strength)"
            return f"recolour to {self.colour.describe()}{partial}"
        if self.op is Op.BLUR:
            return f"blur ({pct} strength)"
        if self.op is Op.SHARPEN:
            return f"sharpen ({pct} strength)"
        if self.op is Op.BRIGHTNESS:
            return f"{'brighten' if self.amount > 0 else 'darken'} ({pct})"
        if self.op is Op.CONTRAST:
            return f"{'more' if self.amount > 0 else 'less'} contrast ({pct})"
        if self.op is Op.SATURATION:
            return f"{'more' if self.amount > 0 else 'less'} saturation ({pct})"
        return "black and white" if self.amount >= 0.999 else f"towards black and white ({pct})"


@dataclass(frozen=True, slots=True)
class EditPlan:
    """What to do, in order. ``instruction`` is the text it was parsed from."""

    steps: tuple[EditStep, ...]
    instruction: str

    @property
    def needs_mask(self) -> bool:
        """Removal needs a painted area: there is nothing to remove from "the whole image"."""
        return any(step.op is Op.REMOVE for step in self.steps)

    def describe(self) -> str:
        """ "Brighten (+12%), then recolour to navy (#1f2a44)." for the assistant's reply."""
        parts = [step.describe() for step in self.steps]
        text = ", then ".join(parts)
        return text[:1].upper() + text[1:] + "."


@dataclass(frozen=True, slots=True)
class Unsupported:
    """An instruction the local editor cannot carry out. ``reply`` is the assistant's message;
    ``reason`` is ``"empty"``, ``"not_understood"``, ``"needs_generation"``, ``"geometry"``,
    ``"bad_colour"`` or ``"undo"`` for callers that react differently."""

    instruction: str
    reply: str
    reason: str


CAPABILITIES = (
    "Here is what I can do on this computer:\n"
    "• Remove or erase something: paint over it, then say “remove this”.\n"
    "• Recolour: “make it navy”, “change the colour to burgundy”, “#1f2a44” or "
    "“rgb(31, 42, 68)”. Shading and folds are kept.\n"
    "• Blur or soften, sharpen: “blur the background”, “sharpen a little”.\n"
    "• Brighten or darken: “brighten slightly”, “30% darker”.\n"
    "• Contrast: “more contrast”, “less contrast”.\n"
    "• Colour intensity: “more vivid”, “desaturate a bit”, “black and white”.\n"
    "Say how much with words like “slightly” or “a lot”, or with a percentage (“by 20%”). "
    "Paint over an area to change just that; with nothing painted, colour and tone edits apply "
    "to the main subject (the garment or product), or say “the background” or “the whole image”. "
    "You can combine edits: “brighten slightly and make it navy”."
)

# ----------------------------------------------------------------------------- amounts

_GENERIC_LEVELS = {"tiny": 0.06, "small": 0.12, "medium": 0.3, "large": 0.5, "huge": 0.75}
_BLEND_LEVELS = {"tiny": 0.25, "small": 0.4, "medium": 0.65, "large": 1.0, "huge": 1.0}
_DEFAULT_GENERIC = 0.3
_DEFAULT_SHARPEN = 0.6
_DEFAULT_BLEND = 1.0
_DEFAULT_TINT = 0.4

_AMOUNT_WORDS: tuple[tuple[str, str], ...] = (
    ("ever so slightly", "tiny"),
    ("very slightly", "tiny"),
    ("a tiny bit", "tiny"),
    ("just a touch", "tiny"),
    ("a touch", "tiny"),
    ("a tad", "tiny"),
    ("a hint", "tiny"),
    ("barely", "tiny"),
    ("subtly", "tiny"),
    ("very subtle", "tiny"),
    ("a little bit", "small"),
    ("a little", "small"),
    ("a bit", "small"),
    ("slightly", "small"),
    ("subtle", "small"),
    ("lightly", "small"),
    ("gently", "small"),
    ("mildly", "small"),
    ("marginally", "small"),
    ("little", "small"),
    ("somewhat", "medium"),
    ("moderately", "medium"),
    ("fairly", "medium"),
    ("quite", "medium"),
    ("noticeably", "medium"),
    ("a great deal", "large"),
    ("a lot", "large"),
    ("lots", "large"),
    ("much", "large"),
    ("significantly", "large"),
    ("considerably", "large"),
    ("substantially", "large"),
    ("really", "large"),
    ("way", "large"),
    ("far", "large"),
    ("heavily", "large"),
    ("strongly", "large"),
    ("very", "large"),
    ("extremely", "huge"),
    ("hugely", "huge"),
    ("massively", "huge"),
    ("drastically", "huge"),
    ("dramatically", "huge"),
    ("intensely", "huge"),
    ("super", "huge"),
    ("completely", "huge"),
    ("fully", "huge"),
    ("totally", "huge"),
)
_AMOUNT_RE = re.compile(
    r"\b(" + "|".join(re.escape(w) for w, _ in _AMOUNT_WORDS) + r")\b",
)
_AMOUNT_LEVEL = dict(_AMOUNT_WORDS)
_PERCENT_RE = re.compile(r"([+-]?)\s*(\d+(?:\.\d+)?)\s*(?:%|percent\b|per cent\b|pct\b)")

# ----------------------------------------------------------------------------- operations

# (pattern, op, sign). Earlier patterns win over later ones for the same words, so the specific
# ("less bright") come before the general ("bright"). sign 0 = direction from context.
_OP_PATTERNS: tuple[tuple[str, Op, int], ...] = (
    (r"\bgrayscale\b", Op.GRAYSCALE, 1),
    (
        r"\b(?:remove|strip|drop|take out|get rid of|lose|no|without)\s+(?:the\s+|all\s+|any\s+)?"
        r"(?:colou?rs?|saturation)\b",
        Op.GRAYSCALE,
        1,
    ),
    (r"\b(?:de-?colou?ri[sz]e|monochrome|mono|colou?rless)\b", Op.GRAYSCALE, 1),
    (r"\bless\s+(?:bright|light)(?:er)?\b|\bnot\s+so\s+bright\b", Op.BRIGHTNESS, -1),
    (r"\bless\s+dark(?:er)?\b", Op.BRIGHTNESS, 1),
    (r"\bless\s+(?:blurr?y|blurred|soft|fuzzy)\b|\b(?:un-?blur|de-?blur)\b", Op.SHARPEN, 1),
    (r"\bless\s+sharp\b", Op.BLUR, 1),
    (
        r"\bless\s+(?:saturated|saturation|vivid|vibrant|colou?rful|intense|punchy)\b",
        Op.SATURATION,
        -1,
    ),
    (r"\bless\s+contrast(?:y)?\b|\blower\s+contrast\b|\bflatt?(?:en|er)\b", Op.CONTRAST, -1),
    (
        r"\b(?:more|higher|extra)\s+contrast(?:y)?\b|\bpunch(?:y|ier)\b|\bcontrasty\b",
        Op.CONTRAST,
        1,
    ),
    (r"\bcontrast\b", Op.CONTRAST, 0),
    (r"\b(?:brightness|exposure|lightness)\b", Op.BRIGHTNESS, 0),
    (r"\b(?:saturation|vibrance|vibrancy|colou?rfulness)\b", Op.SATURATION, 0),
    (
        r"\b(?:remove|erase|delete|eliminate|get rid of|take (?:out|away|off)|clean (?:up|off)|"
        r"wipe (?:out|away|off)|clone (?:out|away)|retouch out|heal|inpaint|erased|removed|"
        r"deleted)\b",
        Op.REMOVE,
        1,
    ),
    (
        r"\b(?:de-?saturat\w*|mute[sd]?|mute|dull(?:er)?|washed[- ]out|wash out|fad(?:e|ed))\b",
        Op.SATURATION,
        -1,
    ),
    (r"\btone (?:it )?down\b", Op.SATURATION, -1),
    (
        r"\b(?:saturat\w*|vivid|vibrant|more colou?rful|richer colou?rs?|boost (?:the )?colou?rs?"
        r"|pop)\b",
        Op.SATURATION,
        1,
    ),
    (
        r"\b(?:blur\w*|soften\w*|softer|defocus\w*|out of focus|bokeh|smooth(?:en|er)?|fuzzy)\b",
        Op.BLUR,
        1,
    ),
    (
        r"\b(?:sharpen\w*|sharper|crisp(?:en|er)?|more detail(?:ed)?|enhance (?:the )?details?|"
        r"more defined|clearer|in focus)\b",
        Op.SHARPEN,
        1,
    ),
    (
        r"\b(?:brighten\w*|brighter|bright|lighten\w*|lighter|light up|more light|illuminate)\b",
        Op.BRIGHTNESS,
        1,
    ),
    (r"\b(?:darken\w*|darker|dim(?:mer)?|deepen|deeper)\b", Op.BRIGHTNESS, -1),
)
_OP_RES = tuple((re.compile(p), op, sign) for p, op, sign in _OP_PATTERNS)

_RECOLOR_VERB = re.compile(
    r"\b(?:re-?colou?r\w*|colou?r(?:ed)?|paint|dye|make|turn|change|switch|swap|replace|"
    r"convert|set|into|to|in)\b"
)
_STRONG_RECOLOR = re.compile(r"\b(?:re-?colou?r\w*|colou?r(?:ed)?|paint|dye|into|to)\b")
_TONAL = frozenset({Op.BRIGHTNESS, Op.CONTRAST, Op.SATURATION})
_TINT = re.compile(r"\b(?:tint\w*|hint of|touch of|tinge)\b")
_INCREASE = re.compile(r"\b(?:increase|raise|boost|more|up|higher|add|enhance|lift|\+)\b|\+")
_DECREASE = re.compile(r"\b(?:decrease|reduce|lower|less|down|drop|cut|minus|tone down)\b")
_NEGATION = re.compile(r"^\s*(?:don'?t|do not|never|no need to)\b")
_UNDO = re.compile(r"\b(?:undo|revert|go back|original version|previous version)\b")
_GENERATIVE = re.compile(
    r"\b(?:add|insert|put|place|generate|draw|write|create|replace|swap|outpaint|extend|expand|"
    r"reshape|change the (?:pose|model|face|person))\b"
)
_GEOMETRY = re.compile(
    r"\b(?:crop|rotate|flip|mirror|resize|upscale|enlarge|scale|shrink|move|straighten|tilt)\b"
)
_SPLIT = re.compile(
    r"\s*(?:;|,|\band then\b|\bthen\b|\band also\b|\balso\b|\band\b|\bplus\b|\+(?!\s*\d)"
    r"|\.(?!\d)|!|\?|\n)\s*"
)
_FILLER = frozenset(
    {
        *("please", "pls", "thanks", "thank", "you", "the", "it", "this", "that", "all", "a"),
        *("an", "one", "instead", "now", "colour", "color", "ok", "okay", "just", "more"),
    }
)
_BAD_RGB = re.compile(r"rgba?\(\s*\d+\s*[,\s]\s*\d+\s*[,\s]\s*\d+[^)]*\)")


def parse_instruction(text: str) -> EditPlan | Unsupported:
    """Parse a designer's instruction. Never raises: anything it cannot use is an
    :class:`Unsupported` with a reply to show."""
    original = text if isinstance(text, str) else ""
    normalised = _normalise(original)
    if not normalised.strip(" .,!?;:-"):
        return Unsupported(
            original,
            "Tell me what to change, for example “remove this”, “make it navy” or "
            "“brighten slightly”.\n\n" + CAPABILITIES,
            "empty",
        )
    if _UNDO.search(normalised) and not any(r.search(normalised) for r, _, _ in _OP_RES):
        return Unsupported(
            original,
            "To go back, pick an earlier version of the image in the version list, or compare "
            "before and after and revert.\n\n" + CAPABILITIES,
            "undo",
        )
    for match in _BAD_RGB.finditer(normalised):
        if not find_colours(match.group()):
            return Unsupported(
                original,
                f"“{match.group()}” is not a colour: each rgb() value goes from 0 to 255, "
                "for example “rgb(31, 42, 68)”.",
                "bad_colour",
            )

    steps: list[EditStep] = []
    leftovers: list[str] = []
    for clause in _clauses(normalised):
        clause_steps = _parse_clause(clause)
        if clause_steps is None:
            continue
        if clause_steps:
            steps.extend(clause_steps)
        else:
            leftovers.append(clause)

    generative = [c for c in leftovers if _GENERATIVE.search(c)]
    geometry = [c for c in leftovers if _GEOMETRY.search(c)]
    if generative:
        return Unsupported(
            original,
            f"I can't “{generative[0]}” with the local editor: adding or generating new things "
            "needs the studio's online engine.\n\n" + CAPABILITIES,
            "needs_generation",
        )
    if geometry:
        return Unsupported(
            original,
            f"I can't “{geometry[0]}” here: cropping, rotating, flipping and resizing are not "
            "part of the canvas editor. Export the image and do it in your image editor, "
            "or ask me for one of the edits below.\n\n" + CAPABILITIES,
            "geometry",
        )
    if not steps:
        what = normalised.strip(" .!?")
        return Unsupported(
            original,
            f"Sorry, I don't know how to “{what}” yet.\n\n" + CAPABILITIES,
            "not_understood",
        )
    return EditPlan(tuple(_dedupe(steps)), original)


def _normalise(text: str) -> str:
    text = text.lower()
    for fancy, plain in (("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'), ("\u201d", '"')):
        text = text.replace(fancy, plain)
    text = re.sub(
        r"\b(?:black\s*(?:and|&|n|'n')\s*white|b\s*&\s*w|b/w)(?=\W|$)", " grayscale ", text
    )
    text = re.sub(r"\bgr[ae]y[\s-]*scale\b|\bgr[ae]yscale\b", " grayscale ", text)
    text = text.replace("&", " and ")
    text = re.sub(r"[\"`*_\[\]{}<>]", " ", text)
    return re.sub(r"[ \t]+", " ", text).strip()


def _clauses(text: str) -> list[str]:
    """Split on joining words and punctuation, but not inside ``rgb(...)``."""
    protected: dict[str, str] = {}

    def protect(match: re.Match[str]) -> str:
        key = f"\x00{len(protected)}\x00"
        protected[key] = match.group()
        return key

    text = _BAD_RGB.sub(protect, text)
    parts = [p for p in _SPLIT.split(text) if p and p.strip()]
    restored = []
    for part in parts:
        text_part = part
        for key, value in protected.items():
            text_part = text_part.replace(key, value)
        restored.append(text_part.strip())
    return restored


def _parse_clause(clause: str) -> list[EditStep] | None:
    """Steps of one clause; [] when it names no operation; None when it is negated."""
    if _NEGATION.search(clause):
        return None
    mentions = find_colours(clause)
    scan = clause
    # Colour words are not operation words ("light blue" is not "lighten").
    for mention in mentions:
        scan = scan[: mention.start] + " " * (mention.end - mention.start) + scan[mention.end :]
    hits: list[tuple[int, Op, int, str]] = []
    for regex, op, sign in _OP_RES:
        for match in regex.finditer(scan):
            hits.append((match.start(), op, sign, match.group()))
            scan = scan[: match.start()] + " " * (match.end() - match.start()) + scan[match.end() :]
    hits.sort(key=lambda h: h[0])

    percent = _percent(clause)
    level = _level(clause)
    steps: list[EditStep] = []
    for _, op, sign, _word in hits:
        if op is Op.GRAYSCALE:
            amount = _blend_amount(percent, level, _DEFAULT_BLEND)
        elif op is Op.REMOVE:
            amount = 1.0
        elif op is Op.BLUR:
            amount = _generic_amount(percent, level, _DEFAULT_GENERIC)
            amount = min(amount, 1.0)
        elif op is Op.SHARPEN:
            amount = min(_generic_amount(percent, level, _DEFAULT_SHARPEN), 3.0)
        else:
            direction = sign or _direction(clause, percent)
            magnitude = abs(_generic_amount(percent, level, _DEFAULT_GENERIC))
            amount = direction * _cap(op, direction, magnitude)
        steps.append(EditStep(op, round(amount, 4), None, clause))

    if mentions and all(s.op in _TONAL for s in steps):
        tint = bool(_TINT.search(clause))
        if steps:
            # "make the blue darker" edits a blue thing; "darker, and dye it blue" recolours.
            wanted = bool(_STRONG_RECOLOR.search(clause)) or tint
        else:
            wanted = bool(_RECOLOR_VERB.search(clause)) or tint or _is_bare_colour(clause, mentions)
        if wanted:
            default = _DEFAULT_TINT if tint else _DEFAULT_BLEND
            amount = _blend_amount(percent, level, default)
            target = _target_colour(clause, mentions)
            steps.insert(0, EditStep(Op.RECOLOR, round(amount, 4), target, clause))
    return steps


def _target_colour(clause: str, mentions: list) -> Colour:  # type: ignore[type-arg]
    """With several colours ("change the red to blue"), the one after to/into/with wins."""
    if len(mentions) == 1:
        return mentions[0].colour
    marker = None
    for match in re.finditer(r"\b(?:to|into|with|in)\b", clause):
        marker = match.end()
    if marker is not None:
        after = [m for m in mentions if m.start >= marker]
        if after:
            return after[0].colour
    return mentions[-1].colour


def _is_bare_colour(clause: str, mentions: list) -> bool:  # type: ignore[type-arg]
    """ "navy", "navy please", "burgundy!" : a colour with nothing else meaningful."""
    rest = clause
    for mention in reversed(mentions):
        rest = rest[: mention.start] + rest[mention.end :]
    words = re.findall(r"[a-z]+", rest)
    return all(w in _FILLER for w in words)


def _percent(clause: str) -> float | None:
    match = _PERCENT_RE.search(clause)
    if match is None:
        return None
    value = float(match.group(2)) / 100.0
    return -value if match.group(1) == "-" else value


def _level(clause: str) -> str | None:
    match = _AMOUNT_RE.search(clause)
    return _AMOUNT_LEVEL[match.group(1)] if match else None


def _generic_amount(percent: float | None, level: str | None, default: float) -> float:
    if percent is not None:
        return percent
    if level is not None:
        return _GENERIC_LEVELS[level] * (default / _DEFAULT_GENERIC)
    return default


def _blend_amount(percent: float | None, level: str | None, default: float) -> float:
    if percent is not None:
        return max(0.0, min(1.0, abs(percent)))
    if level is not None:
        return _BLEND_LEVELS[level]
    return default


def _direction(clause: str, percent: float | None) -> int:
    if percent is not None and percent < 0:
        return -1
    if _DECREASE.search(clause):
        return -1
    return 1


def _cap(op: Op, direction: int, magnitude: float) -> float:
    """Keep each operation within what still makes an image."""
    if op is Op.BRIGHTNESS:
        return min(magnitude, 0.9 if direction < 0 else 1.0)
    if op is Op.CONTRAST:
        return min(magnitude, 0.95 if direction < 0 else 3.0)
    return min(magnitude, 1.0 if direction < 0 else 3.0)


def _dedupe(steps: list[EditStep]) -> list[EditStep]:
    """The same operation named twice in one clause ("blur it, make it blurry") counts once."""
    seen: set[tuple[Op, str]] = set()
    result = []
    for step in steps:
        key = (step.op, step.text)
        if key in seen:
            continue
        seen.add(key)
        result.append(step)
    return result


# ----------------------------------------------------------------------------- no mask


class Scope(StrEnum):
    """What an edit with nothing painted applies to."""

    SUBJECT = "subject"
    BACKGROUND = "background"
    WHOLE = "whole"


_WHOLE_RE = re.compile(
    r"\b(?:(?:the\s+)?(?:whole|entire|full|complete)\s+(?:image|photo|picture|frame|shot|thing|"
    r"canvas)|everything|all\s+of\s+it|the\s+(?:image|photo|picture)\s+as\s+a\s+whole|"
    r"overall|globally)\b"
)
_BACKGROUND_RE = re.compile(
    r"\b(?:back\s*-?\s*grounds?|backdrops?|surroundings|around\s+(?:it|the\s+\w+)|behind\s+"
    r"(?:it|the\s+\w+)|the\s+(?:wall|sweep|floor|setting))\b"
)
#: Garment and product words a designer uses for the thing in the photo ("make the bag navy").
SUBJECT_WORDS = (
    *("handbag", "bag", "tote", "clutch", "backpack", "purse", "wallet"),
    *("t-shirt", "tshirt", "tee", "shirt", "blouse", "top", "tank top", "polo"),
    *("sweater", "jumper", "cardigan", "hoodie", "sweatshirt", "knit"),
    *("jacket", "coat", "blazer", "trench", "parka", "vest", "waistcoat", "gilet"),
    *("dress", "gown", "skirt", "jumpsuit", "romper", "suit"),
    *("trousers", "pants", "jeans", "shorts", "leggings", "chinos"),
    *("shoes", "shoe", "sneakers", "trainers", "boots", "sandals", "heels", "loafers"),
    *("hat", "cap", "beanie", "scarf", "belt", "tie", "gloves", "socks"),
    *("garment", "product", "bottle", "watch", "necklace", "earrings", "sunglasses"),
)
_SUBJECT_RE = re.compile(
    r"\b(" + "|".join(re.escape(w) for w in sorted(SUBJECT_WORDS, key=len, reverse=True)) + r")\b"
)
GENERIC_SUBJECT = "the main subject"


def scope_of(text: str) -> Scope:
    """What a colour or tone edit with nothing painted applies to, from the instruction."""
    normalised = _normalise(text if isinstance(text, str) else "")
    if _WHOLE_RE.search(normalised):
        return Scope.WHOLE
    if _BACKGROUND_RE.search(normalised):
        return Scope.BACKGROUND
    return Scope.SUBJECT


def subject_name(text: str) -> str:
    """ "the bag" when the instruction names a garment or product, else "the main subject"."""
    match = _SUBJECT_RE.search(_normalise(text if isinstance(text, str) else ""))
    return f"the {match.group(1)}" if match else GENERIC_SUBJECT


def no_mask_reply(plan: EditPlan, scope: Scope, subject: str = GENERIC_SUBJECT) -> str:
    """The assistant's reply after an edit with nothing painted, saying what it applied to:
    "No area painted: I recoloured the bag navy (#1f2a44). Paint to choose another part." """
    if scope is Scope.WHOLE:
        target = "the whole image"
    elif scope is Scope.BACKGROUND:
        target = (
            "the background" if subject == GENERIC_SUBJECT else f"the background around {subject}"
        )
    else:
        target = subject
    phrases = [_past(step, target if i == 0 else "it") for i, step in enumerate(plan.steps)]
    joined = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]
    if scope is Scope.WHOLE:
        return f"Done: I {joined}."
    return f"No area painted: I {joined}. Paint to choose another part."


def _past(step: EditStep, target: str) -> str:
    """ "recoloured the bag navy (#1f2a44)", "blurred the background (30% strength)"."""
    pct = f"{abs(step.amount) * 100:.0f}%"
    if step.op is Op.RECOLOR:
        assert step.colour is not None
        verb = "recoloured" if step.amount >= 0.999 else f"tinted ({pct})"
        return f"{verb} {target} {step.colour.describe()}"
    if step.op is Op.BLUR:
        return f"blurred {target} ({pct} strength)"
    if step.op is Op.SHARPEN:
        return f"sharpened {target} ({pct} strength)"
    if step.op is Op.BRIGHTNESS:
        return f"{'brightened' if step.amount > 0 else 'darkened'} {target} ({pct})"
    if step.op is Op.CONTRAST:
        return f"gave {target} {'more' if step.amount > 0 else 'less'} contrast ({pct})"
    if step.op is Op.SATURATION:
        return f"made {target} {'more vivid' if step.amount > 0 else 'less vivid'} ({pct})"
    if step.op is Op.GRAYSCALE:
        return f"turned {target} black and white" + ("" if step.amount >= 0.999 else f" ({pct})")
    return f"removed {target}"

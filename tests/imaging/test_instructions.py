"""The instruction parser: a table of what designers type and the plan (or reply) it must give."""

from __future__ import annotations

import pytest

from studio_desktop.imaging.colours import find_colours, lookup_colour
from studio_desktop.imaging.instructions import (
    CAPABILITIES,
    EditPlan,
    Op,
    Scope,
    Unsupported,
    no_mask_reply,
    parse_instruction,
    scope_of,
    subject_name,
)


def plan_of(text: str) -> EditPlan:
    result = parse_instruction(text)
    assert isinstance(result, EditPlan), f"{text!r} -> {result}"
    return result


def ops_of(text: str) -> list[tuple[Op, float]]:
    return [(s.op, s.amount) for s in plan_of(text).steps]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("remove this", [(Op.REMOVE, 1.0)]),
        ("Erase the logo, please!", [(Op.REMOVE, 1.0)]),
        ("delete it", [(Op.REMOVE, 1.0)]),
        ("get rid of the stain", [(Op.REMOVE, 1.0)]),
        ("take out the tag", [(Op.REMOVE, 1.0)]),
        ("blur", [(Op.BLUR, 0.3)]),
        ("blur the background a lot", [(Op.BLUR, 0.5)]),
        ("soften it slightly", [(Op.BLUR, 0.12)]),
        ("sharpen", [(Op.SHARPEN, 0.6)]),
        ("sharpen a little", [(Op.SHARPEN, 0.24)]),
        ("make it crisper", [(Op.SHARPEN, 0.6)]),
        ("less blurry", [(Op.SHARPEN, 0.6)]),
        ("brighten", [(Op.BRIGHTNESS, 0.3)]),
        ("Brighten slightly.", [(Op.BRIGHTNESS, 0.12)]),
        ("lighten it a bit", [(Op.BRIGHTNESS, 0.12)]),
        ("make it lighter", [(Op.BRIGHTNESS, 0.3)]),
        ("30% brighter", [(Op.BRIGHTNESS, 0.3)]),
        ("brighten by 20%", [(Op.BRIGHTNESS, 0.2)]),
        ("increase the brightness by 15 percent", [(Op.BRIGHTNESS, 0.15)]),
        ("brightness -15%", [(Op.BRIGHTNESS, -0.15)]),
        ("darken", [(Op.BRIGHTNESS, -0.3)]),
        ("much darker", [(Op.BRIGHTNESS, -0.5)]),
        ("darken very slightly", [(Op.BRIGHTNESS, -0.06)]),
        ("less bright", [(Op.BRIGHTNESS, -0.3)]),
        ("turn the exposure down", [(Op.BRIGHTNESS, -0.3)]),
        ("more contrast", [(Op.CONTRAST, 0.3)]),
        ("add contrast", [(Op.CONTRAST, 0.3)]),
        ("less contrast", [(Op.CONTRAST, -0.3)]),
        ("reduce contrast by 20%", [(Op.CONTRAST, -0.2)]),
        ("a lot more contrast", [(Op.CONTRAST, 0.5)]),
        ("saturate", [(Op.SATURATION, 0.3)]),
        ("more vivid", [(Op.SATURATION, 0.3)]),
        ("make the colours pop", [(Op.SATURATION, 0.3)]),
        ("desaturate a bit", [(Op.SATURATION, -0.12)]),
        ("mute the colours", [(Op.SATURATION, -0.3)]),
        ("reduce saturation by 50%", [(Op.SATURATION, -0.5)]),
        ("grayscale", [(Op.GRAYSCALE, 1.0)]),
        ("Greyscale", [(Op.GRAYSCALE, 1.0)]),
        ("make it black and white", [(Op.GRAYSCALE, 1.0)]),
        ("B&W please", [(Op.GRAYSCALE, 1.0)]),
        ("remove the colour", [(Op.GRAYSCALE, 1.0)]),
        ("monochrome", [(Op.GRAYSCALE, 1.0)]),
    ],
)
def test_single_operations(text: str, expected: list[tuple[Op, float]]) -> None:
    assert ops_of(text) == expected


@pytest.mark.parametrize(
    ("text", "hex_value", "strength"),
    [
        ("make it navy", "#1f2a44", 1.0),
        ("Make it NAVY.", "#1f2a44", 1.0),
        ("navy", "#1f2a44", 1.0),
        ("burgundy please", "#800020", 1.0),
        ("change the colour to burgundy", "#800020", 1.0),
        ("recolour to beige", "#d9c7a7", 1.0),
        ("recolor it khaki", "#c3b091", 1.0),
        ("turn the dress olive", "#6b6b3a", 1.0),
        ("paint it teal", "#008080", 1.0),
        ("make it cream", "#fffdd0", 1.0),
        ("make it charcoal grey", "#36454f", 1.0),
        ("dye it mustard", "#e1ad01", 1.0),
        ("camel", "#c19a6b", 1.0),
        ("make it ivory", "#fffff0", 1.0),
        ("make it navy blue", "#1f2a44", 1.0),
        ("make it light blue", "#add8e6", 1.0),
        ("make it Dark Olive Green", "#556b2f", 1.0),
        ("change the colour to #1F2A44", "#1f2a44", 1.0),
        ("make it #abc", "#aabbcc", 1.0),
        ("rgb(31, 42, 68)", "#1f2a44", 1.0),
        ("make it rgb(255 0 0)", "#ff0000", 1.0),
        ("replace the red with navy", "#1f2a44", 1.0),
        ("change the background to white", "#ffffff", 1.0),
        ("tint it blue", "#0000ff", 0.4),
        ("make it 50% teal", "#008080", 0.5),
        ("make it slightly more blue", "#0000ff", 0.4),
    ],
)
def test_recolour(text: str, hex_value: str, strength: float) -> None:
    (step,) = plan_of(text).steps
    assert step.op is Op.RECOLOR
    assert step.colour is not None
    assert step.colour.hex == hex_value
    assert step.amount == pytest.approx(strength)


def test_modifiers_make_a_shade_of_a_named_colour() -> None:
    dark = plan_of("make it dark burgundy").steps[0].colour
    pale = plan_of("make it pale burgundy").steps[0].colour
    base = lookup_colour("burgundy")
    assert dark is not None and pale is not None and base is not None
    assert sum(dark.rgb) < sum(base.rgb) < sum(pale.rgb)


def test_colour_words_inside_other_operations_are_what_is_edited() -> None:
    assert ops_of("remove the red logo") == [(Op.REMOVE, 1.0)]
    assert ops_of("blur the white background") == [(Op.BLUR, 0.3)]
    assert ops_of("make the blue darker") == [(Op.BRIGHTNESS, -0.3)]
    assert ops_of("desaturate the red a lot") == [(Op.SATURATION, -0.5)]


def test_several_operations_in_order() -> None:
    plan = plan_of("brighten slightly and make it navy")
    assert [s.op for s in plan.steps] == [Op.BRIGHTNESS, Op.RECOLOR]
    assert plan.steps[0].amount == pytest.approx(0.12)
    assert plan.steps[1].colour is not None and plan.steps[1].colour.hex == "#1f2a44"
    assert plan.describe() == "Brighten (12%), then recolour to navy (#1f2a44)."

    plan = plan_of("Saturate by 50%, then blur slightly. Also sharpen a lot")
    assert [(s.op, s.amount) for s in plan.steps] == [
        (Op.SATURATION, 0.5),
        (Op.BLUR, 0.12),
        (Op.SHARPEN, 1.0),
    ]
    assert ops_of("make it black and white and sharper") == [(Op.GRAYSCALE, 1.0), (Op.SHARPEN, 0.6)]
    assert ops_of("darker, more contrast") == [(Op.BRIGHTNESS, -0.3), (Op.CONTRAST, 0.3)]


def test_negated_clause_is_ignored() -> None:
    assert ops_of("don't blur it, just sharpen") == [(Op.SHARPEN, 0.6)]


def test_needs_mask_only_for_removal() -> None:
    assert plan_of("remove this").needs_mask
    assert not plan_of("make it navy").needs_mask


@pytest.mark.parametrize("text", ["", "   ", "\n\t", " . ! "])
def test_empty_instruction_asks_for_one(text: str) -> None:
    result = parse_instruction(text)
    assert isinstance(result, Unsupported)
    assert result.reason == "empty"
    assert "Tell me what to change" in result.reply
    assert CAPABILITIES in result.reply


@pytest.mark.parametrize(
    ("text", "reason", "quoted"),
    [
        ("add a hat", "needs_generation", "add a hat"),
        ("put her in a summer garden", "needs_generation", "put her in a summer garden"),
        ("make it navy and add a logo", "needs_generation", "add a logo"),
        ("crop it", "geometry", "crop it"),
        ("rotate 90 degrees", "geometry", "rotate 90 degrees"),
        ("make it look like summer", "not_understood", "make it look like summer"),
        ("asdfgh", "not_understood", "asdfgh"),
        ("undo", "undo", None),
        ("rgb(300, 1, 1)", "bad_colour", "rgb(300, 1, 1)"),
    ],
)
def test_unsupported_instructions_get_a_helpful_reply(
    text: str, reason: str, quoted: str | None
) -> None:
    result = parse_instruction(text)
    assert isinstance(result, Unsupported), result
    assert result.reason == reason
    assert result.instruction == text
    if quoted is not None:
        assert f"“{quoted}”" in result.reply
    if reason != "bad_colour":
        # The reply always says what *can* be done, with examples a designer can copy.
        assert "make it navy" in result.reply
        assert "slightly" in result.reply


def test_describe_is_readable_for_each_operation() -> None:
    texts = {
        "remove this": "Remove the painted area.",
        "blur a lot": "Blur (50% strength).",
        "30% darker": "Darken (30%).",
        "less contrast": "Less contrast (30%).",
        "more vivid": "More saturation (30%).",
        "black and white": "Black and white.",
        "tint it teal": "Recolour to teal (#008080) (40% strength).",
    }
    for text, expected in texts.items():
        assert plan_of(text).describe() == expected


def test_colour_finder_positions_and_rgb_function() -> None:
    mentions = find_colours("from navy blue to rgb(1, 2, 3) or #fff")
    assert [m.colour.hex for m in mentions] == ["#1f2a44", "#010203", "#ffffff"]
    assert mentions[0].start == 5 and mentions[0].end == 14
    assert lookup_colour("Warm nonsense") is None
    gray, grey = lookup_colour("gray"), lookup_colour("grey")
    assert gray is not None and grey is not None and gray.rgb == grey.rgb
    assert lookup_colour("beige") is not None


def test_parser_never_raises_on_odd_text() -> None:
    for text in ["%%%", "100%", "#zzzzzz", "rgb(", "and and and", "🙂", "a" * 5000, "-20%"]:
        assert isinstance(parse_instruction(text), EditPlan | Unsupported)


# ----------------------------------------------------------------------------- no mask


@pytest.mark.parametrize(
    ("text", "scope"),
    [
        ("make it navy", Scope.SUBJECT),
        ("make the bag navy", Scope.SUBJECT),
        ("brighten slightly", Scope.SUBJECT),
        ("blur the background", Scope.BACKGROUND),
        ("make the backdrop cream", Scope.BACKGROUND),
        ("darken the back-ground a bit", Scope.BACKGROUND),
        ("black and white, the whole image", Scope.WHOLE),
        ("brighten everything", Scope.WHOLE),
        ("more contrast on the entire photo", Scope.WHOLE),
        ("desaturate all of it", Scope.WHOLE),
        ("", Scope.SUBJECT),
    ],
)
def test_scope_of_an_edit_with_nothing_painted(text: str, scope: Scope) -> None:
    assert scope_of(text) is scope


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("make the bag navy", "the bag"),
        ("Recolour the T-shirt burgundy", "the t-shirt"),
        ("turn the trousers black", "the trousers"),
        ("make it navy", "the main subject"),
        ("brighten", "the main subject"),
    ],
)
def test_subject_name_from_the_instruction(text: str, name: str) -> None:
    assert subject_name(text) == name


def test_no_mask_replies_say_what_changed() -> None:
    plan = plan_of("make it navy")
    assert no_mask_reply(plan, Scope.SUBJECT, "the bag") == (
        "No area painted: I recoloured the bag navy (#1f2a44). Paint to choose another part."
    )
    assert no_mask_reply(plan, Scope.SUBJECT) == (
        "No area painted: I recoloured the main subject navy (#1f2a44). "
        "Paint to choose another part."
    )
    both = plan_of("brighten slightly and make it navy")
    assert no_mask_reply(both, Scope.BACKGROUND, "the dress") == (
        "No area painted: I brightened the background around the dress (12%) and recoloured "
        "it navy (#1f2a44). Paint to choose another part."
    )
    assert no_mask_reply(plan_of("blur"), Scope.WHOLE) == (
        "Done: I blurred the whole image (30% strength)."
    )


def test_capabilities_say_what_happens_with_nothing_painted() -> None:
    reply = parse_instruction("dance")
    assert isinstance(reply, Unsupported)
    assert "main subject" in reply.reply and "the whole image" in reply.reply

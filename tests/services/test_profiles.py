"""ProfileService through the real store: CRUD, validation that names the field, and the
reference image from real files (good, rotated, huge, PDF, damaged), with nothing written when
a file is refused."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PIL import Image

from studio_desktop.domain.errors import ValidationError
from studio_desktop.imaging.errors import (
    CorruptImageError,
    ImageTooLargeError,
    NotAnImageError,
)
from studio_desktop.services.common import NotFoundError
from studio_desktop.services.profiles import (
    BACKGROUND_CHOICES,
    GENDER_CHOICES,
    MAX_NAME_CHARS,
    REFERENCE_MAX_SIDE,
    describe_background,
    validate_profile,
)
from studio_desktop.store.workspace import Store
from tests.services.conftest import (
    PDF_BYTES,
    World,
    blob_image,
    corrupt_png,
    huge_png_header,
    jpeg_bytes,
    oriented_jpeg,
    png_bytes,
    run,
    snapshot,
    studio_scene,
    write,
)


def test_create_trims_and_lists_by_name(store: Store) -> None:
    async def scenario(w: World) -> list[str]:
        await w.profiles.create("  zoë   Park ", gender=" female ", skin_tone="", region=None)
        await w.profiles.create("Ana", background="warm beige sweep")
        return [p.name for p in await w.profiles.list_profiles()]

    assert run(store, scenario) == ["Ana", "zoë Park"]
    (zoe,) = [p for p in store.queries.profiles() if p.name == "zoë Park"]
    assert zoe.gender == "female" and zoe.skin_tone is None and zoe.region is None
    assert zoe.user_id == store.user_id
    upserts = [e for e in store.outbox.all() if e.table == "profiles"]
    assert len(upserts) == 2 and {e.kind for e in upserts} == {"upsert"}


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"name": "   "}, "name", "cannot be empty"),
        ({"name": "x" * (MAX_NAME_CHARS + 1)}, "name", f"limit is {MAX_NAME_CHARS}"),
        ({"name": "Ana", "gender": "g" * 81}, "gender", "Gender is 81 characters"),
        ({"name": "Ana", "region": "North\x07"}, "region", "control characters"),
        ({"name": "Ana", "skin_tone": 3}, "skin_tone", "must be text"),
    ],
)
def test_validation_names_the_field(fields: dict[str, object], field: str, words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_profile(**fields)
    assert caught.value.field == field and words in caught.value.message


def test_a_refused_create_writes_nothing(store: Store) -> None:
    before = snapshot(store)

    async def scenario(w: World) -> None:
        with pytest.raises(ValidationError):
            await w.profiles.create("")

    run(store, scenario)
    assert snapshot(store) == before


def test_names_are_unique_ignoring_case(store: Store) -> None:
    async def scenario(w: World) -> ValidationError:
        await w.profiles.create("Ana")
        other = await w.profiles.create("Bea")
        with pytest.raises(ValidationError) as caught:
            await w.profiles.update(other.id, name="ANA")
        await w.profiles.update(other.id, name="Bea")  # its own name is fine
        return caught.value

    error = run(store, scenario)
    assert error.field == "name" and "already exists" in error.message


def test_update_changes_only_the_fields_given_and_clears_with_empty(store: Store) -> None:
    async def scenario(w: World) -> tuple[str, ...]:
        p = await w.profiles.create("Ana", gender="female", region="Southern Europe")
        p = await w.profiles.update(p.id, region="", background="navy to white gradient")
        return (p.name, p.gender, p.region, p.background)  # type: ignore[return-value]

    assert run(store, scenario) == ("Ana", "female", None, "navy to white gradient")


def test_an_unchanged_update_writes_nothing(store: Store) -> None:
    async def scenario(w: World) -> tuple[object, object]:
        p = await w.profiles.create("Ana", gender="female")
        before = snapshot(w.store)
        await w.profiles.update(p.id, gender=" female ")
        return before, snapshot(w.store)

    before, after = run(store, scenario)
    assert before == after


def test_update_and_delete_of_a_gone_profile(store: Store) -> None:
    async def scenario(w: World) -> bool:
        with pytest.raises(NotFoundError):
            await w.profiles.update("00000000-0000-4000-8000-000000000000", name="X")
        return await w.profiles.delete("00000000-0000-4000-8000-000000000000")

    assert run(store, scenario) is False


def test_suggested_choices_and_background_hints() -> None:
    assert "female" in GENDER_CHOICES
    for choice in BACKGROUND_CHOICES:
        assert describe_background(choice).recognised, choice
    hint = describe_background("the moon")
    assert not hint.recognised and "default" in hint.description


def test_reference_from_a_real_file_is_upright_capped_and_queued(
    store: Store, tmp_path: Path
) -> None:
    # A 3000 x 1500 landscape stored sideways with EXIF orientation 6 (rotate 90° clockwise).
    stored = studio_scene((3000, 1500))
    path = write(tmp_path, "ana.jpg", oriented_jpeg(stored, 6))

    async def scenario(w: World) -> str:
        p = await w.profiles.create("Ana")
        p = await w.profiles.set_reference_image(p.id, path)
        return p.reference_image_path or ""

    ref = run(store, scenario)
    assert ref.startswith(f"{store.user_id}/profiles/") and ref.endswith(".jpg")
    image = blob_image(store, "profiles", ref)
    assert image.size == (REFERENCE_MAX_SIDE * 1500 // 3000, REFERENCE_MAX_SIDE)  # upright
    assert image.getexif().get(0x010F) is None  # the camera's metadata stayed behind
    info = store.blobs.info("profiles", ref)
    assert info is not None and info.state == "queued_upload"
    entries = store.outbox.all()
    upload = next(e for e in entries if e.kind == "upload")
    row = [e for e in entries if e.table == "profiles"][-1]
    assert upload.row_id == f"profiles/{ref}" and upload.seq < row.seq
    assert row.payload["reference_image_path"] == ref


def test_reference_from_bytes_keeps_transparency_as_png(store: Store) -> None:
    rgba = Image.new("RGBA", (64, 48), (10, 20, 30, 0))
    rgba.paste((200, 0, 0, 255), (10, 10, 40, 40))

    async def scenario(w: World) -> str:
        p = await w.profiles.create("Ana")
        p = await w.profiles.set_reference_image(p.id, png_bytes(rgba))
        return p.reference_image_path or ""

    ref = run(store, scenario)
    assert ref.endswith(".png")
    image = blob_image(store, "profiles", ref)
    assert image.mode == "RGBA" and image.getpixel((0, 0))[3] == 0


def test_replacing_the_reference_removes_the_old_object(store: Store) -> None:
    async def scenario(w: World) -> tuple[str, str]:
        p = await w.profiles.create("Ana")
        first = await w.profiles.set_reference_image(p.id, jpeg_bytes(studio_scene()))
        second = await w.profiles.set_reference_image(p.id, jpeg_bytes(studio_scene((90, 90))))
        return first.reference_image_path or "", second.reference_image_path or ""

    old, new = run(store, scenario)
    assert old != new
    assert store.blobs.info("profiles", old) is None
    assert store.blobs.info("profiles", new) is not None
    entries = store.outbox.all()
    # The old upload never happened: its entry is dropped, and the removal is queued anyway
    # (removing a missing object is harmless; an upload in flight may have landed).
    assert f"profiles/{old}" not in [e.row_id for e in entries if e.kind == "upload"]
    removals = [e.payload for e in entries if e.kind == "remove_objects"]
    assert removals == [{"bucket": "profiles", "paths": [old]}]


def test_deleting_a_profile_queues_removal_of_its_reference(store: Store) -> None:
    async def scenario(w: World) -> str:
        p = await w.profiles.create("Ana")
        p = await w.profiles.set_reference_image(p.id, jpeg_bytes(studio_scene()))
        assert await w.profiles.delete(p.id)
        return p.reference_image_path or ""

    ref = run(store, scenario)
    assert store.queries.profiles() == []
    assert store.blobs.info("profiles", ref) is None
    entries = store.outbox.all()
    assert [e.kind for e in entries if e.table == "profiles"][-1] == "delete"
    assert {"bucket": "profiles", "paths": [ref]} in [
        e.payload for e in entries if e.kind == "remove_objects"
    ]


BAD_FILES = {
    "brief.pdf": (PDF_BYTES, NotAnImageError, "is a PDF document, not an image"),
    "broken.png": (corrupt_png(), CorruptImageError, "is damaged"),
    "huge.png": (huge_png_header(), ImageTooLargeError, "20,000 x 20,000"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_bad_reference_file_is_refused_readably_and_writes_nothing(
    store: Store, tmp_path: Path, name: str
) -> None:
    data, error, words = BAD_FILES[name]
    path = write(tmp_path, name, data)

    async def scenario(w: World) -> tuple[object, object, Exception, float]:
        p = await w.profiles.create("Ana")
        p = await w.profiles.set_reference_image(p.id, jpeg_bytes(studio_scene()))
        before = snapshot(w.store)
        started = time.perf_counter()
        with pytest.raises(error) as caught:
            await w.profiles.set_reference_image(p.id, path)
        return before, snapshot(w.store), caught.value, time.perf_counter() - started

    before, after, exc, seconds = run(store, scenario)
    assert after == before  # no row change, no outbox entry, no blob, no stray file
    assert words in exc.message and name in exc.message  # type: ignore[attr-defined]
    assert seconds < 2  # the huge one is refused from its header, not decoded


def test_a_reference_for_a_gone_profile_is_refused_before_decoding(store: Store) -> None:
    async def scenario(w: World) -> None:
        with pytest.raises(NotFoundError):
            await w.profiles.set_reference_image(
                "00000000-0000-4000-8000-000000000000", jpeg_bytes(studio_scene())
            )

    before = snapshot(store)
    run(store, scenario)
    assert snapshot(store) == before


def test_clearing_the_reference(store: Store) -> None:
    async def scenario(w: World) -> tuple[str | None, str]:
        p = await w.profiles.create("Ana")
        p = await w.profiles.set_reference_image(p.id, jpeg_bytes(studio_scene()))
        cleared = await w.profiles.clear_reference_image(p.id)
        return cleared.reference_image_path, p.reference_image_path or ""

    now, old = run(store, scenario)
    assert now is None and store.blobs.info("profiles", old) is None


def test_profiles_work_in_the_local_workspace(local_store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "ref.png", png_bytes(studio_scene()))

    async def scenario(w: World) -> str:
        p = await w.profiles.create("Local")
        p = await w.profiles.set_reference_image(p.id, path)
        assert w.profiles.reference_file(p) is not None
        return p.reference_image_path or ""

    ref = run(local_store, scenario)
    assert ref.startswith(f"{local_store.user_id}/profiles/")
    assert local_store.outbox.all() == []  # the local workspace queues nothing

"""The Garments screen without a display: ``GarmentsScreen`` over the real services (a real
SQLite store in the test's data dir, the local engine cutting real photos, the fake generation
API where the studio's engine is needed). What the garment panel shows is asserted here, on the
model; the widget tests only check the wiring and the look."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import numpy as np
import pytest
from PIL import Image

from studio_desktop.domain.enums import JobStatus, JobType
from studio_desktop.domain.errors import ExternalError, ValidationError
from studio_desktop.engine.remote import RemoteEngine
from studio_desktop.engine.remote_api import GenerationApiClient, RetryPolicy
from studio_desktop.services.garments_screen import (
    CANCELED_TEXT,
    GarmentsScreen,
    JobLine,
    JobOutcome,
    PairVerdict,
    SavedSide,
)
from studio_desktop.services.jobs import WAITING_FOR_SIGN_IN
from studio_desktop.services.workspace import WorkspaceServices
from studio_desktop.store.locations import DataDirs
from studio_desktop.store.workspace import Store, open_local_store
from tests.imaging.garments import coloured_sweep, studio_sweep
from tests.services.conftest import PDF_BYTES
from tests.stack.fake_generation_api import FakeGenerationApi

T = TypeVar("T")
TOKEN = "designer-token"
ALREADY_ON_ANA = "This garment is already being tried on Ana: see its row below"


class Memory:
    """A SideMemory kept in a dict (the app's keeps the same values in its settings)."""

    def __init__(self) -> None:
        self.sides: dict[str, SavedSide] = {}

    def load(self, kind: str) -> SavedSide | None:
        return self.sides.get(kind)

    def save(self, kind: str, side: SavedSide | None) -> None:
        if side is None:
            self.sides.pop(kind, None)
        else:
            self.sides[kind] = side


class Seen:
    """Every event of a screen, in order."""

    def __init__(self, screen: GarmentsScreen) -> None:
        self.events: list[tuple[str, object]] = []
        for name in (
            "side_changed",
            "pair_changed",
            "lines_changed",
            "pack_finished",
            "tryon_finished",
            "problem",
        ):
            getattr(screen, name).connect(
                lambda value, name=name: self.events.append((name, value))
            )

    def of(self, name: str) -> list[object]:
        return [value for event, value in self.events if event == name]

    def lines(self, kind: str) -> list[JobLine]:
        """Each new state of the ``kind`` line ("pack", "tryon"), in order."""
        states: list[JobLine] = []
        for lines in self.of("lines_changed"):
            assert isinstance(lines, tuple)
            line = next((x for x in lines if x.kind == kind), None)
            if line is not None and (not states or states[-1] != line):
                states.append(line)
        return states


@pytest.fixture
def local(data_root: Path) -> Iterator[Store]:
    opened = open_local_store(DataDirs(data_root).ensure())
    try:
        yield opened
    finally:
        opened.close()


def scene_file(folder: Path, name: str, scene: object) -> Path:
    path = folder / name
    Image.fromarray(scene.photo).save(path)  # type: ignore[attr-defined]
    return path


def run(
    store: Store,
    scenario: Callable[[GarmentsScreen, WorkspaceServices], Awaitable[T]],
    memory: Memory | None = None,
) -> T:
    async def main() -> T:
        services = WorkspaceServices.open(store, thumbnails_dir=store.dirs.thumbs)
        screen = GarmentsScreen(services, memory)
        try:
            return await scenario(screen, services)
        finally:
            screen.close()
            await services.jobs.aclose()
            await services.canvas.aclose()

    return asyncio.run(main())


async def until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "the condition never came true"
        await asyncio.sleep(0.01)


def test_drop_front_and_back_cutouts_from_cache_and_remembered(
    local: Store, tmp_path: Path
) -> None:
    front = scene_file(tmp_path, "tee front.png", studio_sweep((288, 360)))
    back = scene_file(tmp_path, "tee back.png", studio_sweep((288, 360), seed=7))
    memory = Memory()

    async def scenario(screen: GarmentsScreen, services: WorkspaceServices) -> Seen:
        seen = Seen(screen)
        assert screen.pack_blocker() == "Drop a photo of the garment's front or back first"
        work = screen.extract("front", front)
        # At once, before any work ran: the side is busy and says what it does.
        side = screen.sides["front"]
        assert side.busy and side.note == "Cutting out “tee front.png”…"
        assert screen.pack_blocker() == "Drop a photo of the garment's front or back first"
        done = await work
        assert done.has_cutout and done.note == "Cutout ready" and not done.from_cache
        assert done.cutout_file is not None and done.cutout_file.is_file()
        with Image.open(done.cutout_file) as image:
            alpha = np.asarray(image.convert("RGBA"))[..., 3]
        assert alpha[0, 0] == 0 and alpha[alpha.shape[0] // 2, alpha.shape[1] // 2] == 255
        await screen.extract("back", back)
        await until(lambda: screen.pair_verdict is not None)
        assert screen.pair_verdict is not None and screen.pair_verdict.matches
        assert screen.pack_blocker() is None

        # The same photo again: from the cache, not cut twice.
        screen.clear("front")
        assert screen.sides["front"].empty and "front" not in memory.sides
        assert screen.pair_verdict is None
        again = await screen.extract("front", front)
        assert again.from_cache and again.note == "Cutout ready · from cache"
        assert services.store.db.scalar("SELECT count(*) FROM garment_cutouts") == 2
        return seen

    seen = run(local, scenario, memory)
    assert seen.of("side_changed")[:2] == ["front", "front"]  # busy, then ready
    assert sorted(memory.sides) == ["back", "front"]
    assert memory.sides["front"].path == front and memory.sides["front"].from_cache
    assert memory.sides["front"].bucket == "extractions"
    rows = local.db.query("SELECT status FROM jobs WHERE type = 'extract_garment'")
    assert [r["status"] for r in rows] == ["succeeded"] * 3


def test_bad_photos_are_refused_readably_and_store_nothing(local: Store, tmp_path: Path) -> None:
    pdf = tmp_path / "lookbook.png"
    pdf.write_bytes(PDF_BYTES)
    damaged = tmp_path / "damaged.jpg"
    damaged.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 40)
    missing = tmp_path / "gone.png"

    async def scenario(screen: GarmentsScreen, _services: WorkspaceServices) -> list[str]:
        problems = []
        for path in (pdf, damaged, missing):
            with pytest.raises(ExternalError) as refused:
                await screen.extract("front", path)
            side = screen.sides["front"]
            assert side.error == refused.value.message and side.note == side.error
            assert not side.busy and not side.has_cutout and side.photo is None
            assert screen.pack_blocker() == "Drop a photo of the garment's front or back first"
            problems.append(refused.value.message)
        with pytest.raises(ValidationError, match="front or its back, not “left”"):
            screen.extract("left", pdf)
        return problems

    problems = run(local, scenario)
    assert "PDF" in problems[0]
    assert "damaged.jpg" in problems[1]
    assert "gone.png" in problems[2]
    assert all(p.endswith(".") and ".." not in p for p in problems)
    assert local.rows.count("jobs") == 0


def test_a_newer_drop_on_the_same_side_wins(local: Store, tmp_path: Path) -> None:
    first = scene_file(tmp_path, "first.png", studio_sweep((240, 300)))
    second = scene_file(tmp_path, "second.png", studio_sweep((240, 300), seed=9))

    async def scenario(screen: GarmentsScreen, _services: WorkspaceServices) -> None:
        older = screen.extract("front", first)
        newer = screen.extract("front", second)
        await asyncio.gather(older, newer)
        side = screen.sides["front"]
        assert side.path == second and side.has_cutout

    run(local, scenario)


def test_a_mismatched_pair_blocks_the_pack_until_overridden_then_the_pack_is_built(
    local: Store, tmp_path: Path
) -> None:
    tee = scene_file(tmp_path, "tee.png", studio_sweep())
    jeans = scene_file(tmp_path, "jeans.png", coloured_sweep())

    async def scenario(
        screen: GarmentsScreen, services: WorkspaceServices
    ) -> tuple[Seen, JobOutcome, str]:
        seen = Seen(screen)
        ana = await services.profiles.create("Ana", background="light grey sweep")
        screen.choose_profile(ana.id)
        await asyncio.gather(screen.extract("front", tee), screen.extract("back", jeans))
        await until(lambda: screen.pair_verdict is not None)
        verdict = screen.pair_verdict
        assert verdict is not None and not verdict.matches and "trousers" in verdict.message
        blocker = screen.pack_blocker()
        assert blocker is not None
        with pytest.raises(ValidationError, match="may not be one garment"):
            screen.build_pack()
        screen.override_pair()
        assert screen.pack_blocker() is None
        finished: asyncio.Future[JobOutcome] = asyncio.get_running_loop().create_future()
        screen.pack_finished.connect(finished.set_result)
        job = await screen.build_pack()
        assert screen.pack_job_id == job.id
        # The same pack again while it is built: refused, saying so (its line is there).
        assert screen.pack_blocker() == (
            "This product pack on Ana is already being built: see its row below"
        )
        outcome = await asyncio.wait_for(finished, 60)
        await until(lambda: bool(screen.lines) and screen.lines[-1].state == "succeeded")
        return seen, outcome, blocker

    seen, outcome, blocker = run(local, scenario)
    assert blocker == "The front and back may not be one garment: see the warning above"
    assert outcome.job.status == JobStatus.SUCCEEDED and outcome.cache_hits == 2
    verdicts = [v for v in seen.of("pair_changed") if isinstance(v, PairVerdict)]
    assert verdicts and not verdicts[0].matches
    lines = seen.lines("pack")
    assert lines[0] == JobLine(
        "pack", "", "Product pack · Ana", "Starting the pack…", "starting", 0.0
    )
    # Named for its profile from the start; its job's id at once once stored.
    assert all(line.job_id == outcome.job.id for line in lines[1:])
    assert lines[-1].title == "Product pack · Ana"
    fractions = [line.progress for line in lines if line.progress is not None]
    assert fractions == sorted(fractions) and max(fractions) > 0.5
    assert all(line.can_cancel for line in lines[1:-1])  # a pack can be canceled too
    done = lines[-1]
    assert (done.state, done.progress, done.can_cancel, done.succeeded) == (
        "succeeded",
        None,
        False,
        True,
    )
    assert done.text == "Ready: 3 images in History; open them in Magic Canvas to edit."
    assert len(done.files) == 3 and all(file.is_file() for _key, file in done.files)


def test_tryon_reasons_then_it_waits_readably_in_the_local_workspace_and_is_canceled(
    local: Store, tmp_path: Path
) -> None:
    tee = scene_file(tmp_path, "tee.png", studio_sweep())

    async def scenario(screen: GarmentsScreen, services: WorkspaceServices) -> Seen:
        seen = Seen(screen)
        assert screen.tryon_blocker() == "Drop a photo of the garment's front or back first"
        await screen.extract("front", tee)
        assert screen.tryon_blocker() == "Choose a profile: the try-on dresses its model"
        with pytest.raises(ValidationError, match="Choose a profile"):
            screen.try_on()
        ana = await services.profiles.create("Ana")
        job = await screen.try_on(ana.id)
        assert screen.profile_id == ana.id and screen.tryon_job_id == job.id
        assert screen.tryon_blocker() == ALREADY_ON_ANA
        await until(lambda: tryon_text(screen) == WAITING_FOR_SIGN_IN)
        assert screen.line("tryon") == JobLine(
            "tryon", job.id, "Try-on · Ana", WAITING_FOR_SIGN_IN, "waiting"
        )
        assert screen.line("tryon").can_cancel  # type: ignore[union-attr]
        assert await screen.cancel(job.id)
        await until(lambda: tryon_text(screen) == CANCELED_TEXT)
        line = screen.line("tryon")
        assert line is not None and line.state == "canceled" and not line.can_cancel
        assert screen.tryon_job_id is None and screen.tryon_blocker() is None
        assert not await screen.cancel(job.id)  # ended: nothing to cancel
        screen.dismiss(job.id)  # the designer hides the ended line (the job stays in History)
        assert screen.lines == ()
        return seen

    seen = run(local, scenario)
    (canceled,) = seen.of("tryon_finished")
    assert isinstance(canceled, JobOutcome) and canceled.job.status == JobStatus.CANCELED
    assert seen.of("problem") == []  # a cancel is not a problem


def test_a_restart_brings_back_the_sides_and_the_waiting_tryon(
    local: Store, tmp_path: Path
) -> None:
    tee = scene_file(tmp_path, "tee.png", studio_sweep())
    back = scene_file(tmp_path, "back.png", studio_sweep(seed=7))
    memory = Memory()

    async def first(screen: GarmentsScreen, services: WorkspaceServices) -> str:
        await screen.extract("front", tee)
        await screen.extract("back", back)
        ana = await services.profiles.create("Ana")
        job = await screen.try_on(ana.id)
        await until(lambda: services.jobs.is_waiting(job.id))
        return job.id

    job_id = run(local, first, memory)
    back.rename(tmp_path / "moved.png")  # the back's photo moved since

    async def again(screen: GarmentsScreen, services: WorkspaceServices) -> None:
        await services.start()
        jobs_before = services.store.rows.count("jobs")
        await screen.restore()
        front = screen.sides["front"]
        assert front.has_cutout and front.path == tee and front.photo == tee.read_bytes()
        assert screen.sides["back"].empty  # forgotten quietly
        assert "back" not in memory.sides
        assert services.store.rows.count("jobs") == jobs_before  # nothing cut again
        assert screen.tryon_job_id == job_id
        await until(lambda: tryon_text(screen) == WAITING_FOR_SIGN_IN)
        line = screen.line("tryon")
        assert line is not None and line.can_cancel and line.progress is None
        assert line.job_id == job_id and line.state == "waiting"
        await until(lambda: screen.line("tryon").title == "Try-on · Ana")  # type: ignore[union-attr]

    run(local, again, memory)


def test_a_tryon_on_the_studios_engine_shows_progress_and_its_image(
    local: Store, tmp_path: Path
) -> None:
    tee = scene_file(tmp_path, "tee.png", studio_sweep())
    api = FakeGenerationApi(steps=4, poll_after_ms=5).start()
    api.grant(TOKEN, local.user_id)

    async def scenario(
        screen: GarmentsScreen, services: WorkspaceServices
    ) -> tuple[Seen, JobOutcome]:
        seen = Seen(screen)
        client = GenerationApiClient(api.base_url, lambda: TOKEN, retry=RetryPolicy(attempts=2))
        try:
            services.set_remote_engine(RemoteEngine(client), preferred=False)
            await screen.extract("front", tee)
            mia = await services.profiles.create("Mia")
            api.add_profile(local.user_id, "Mia", profile_id=mia.id, background="#e8dccb")
            finished: asyncio.Future[JobOutcome] = asyncio.get_running_loop().create_future()
            screen.tryon_finished.connect(finished.set_result)
            await screen.try_on(mia.id)
            outcome = await asyncio.wait_for(finished, 30)
            await until(lambda: bool(screen.lines) and screen.lines[-1].state == "succeeded")
            return seen, outcome
        finally:
            await client.aclose()

    try:
        seen, outcome = run(local, scenario)
    finally:
        api.stop()
    assert outcome.succeeded and outcome.job.type == JobType.TRYON_IMAGE.value
    lines = seen.lines("tryon")
    fractions = [line.progress for line in lines if line.progress is not None]
    assert fractions == sorted(fractions) and any(0 < f < 1 for f in fractions)
    done = lines[-1]
    assert done.text == "Ready: 1 image in History; open it in Magic Canvas to edit."
    assert done.succeeded and done.job_id == outcome.job.id and len(done.files) == 1
    with Image.open(done.files[0][1]) as image:
        assert image.size == (600, 800)
    (sent,) = api.requests_to("POST", "/api/generate-image")
    assert sent.json["type"] == "tryon" and sent.json["garment"]["kind"] == "front"


def tryon_text(screen: GarmentsScreen) -> str:
    line = screen.line("tryon")
    return line.text if line is not None else ""


def test_a_waiting_tryon_keeps_its_own_line_while_a_pack_runs_beside_it(
    local: Store, tmp_path: Path
) -> None:
    """Weak spot of issue 14: a pack's progress used to replace the waiting try-on's sentence.
    Each job has its own line: the try-on's says why it waits, with its cancel, all along; the
    pack's has its progress and its own cancel, and ends saying where its images are."""
    tee = scene_file(tmp_path, "tee.png", studio_sweep())

    async def scenario(screen: GarmentsScreen, services: WorkspaceServices) -> tuple[Seen, str]:
        seen = Seen(screen)
        await screen.extract("front", tee)
        ana = await services.profiles.create("Ana")
        tryon = await screen.try_on(ana.id)
        await until(lambda: tryon_text(screen) == WAITING_FOR_SIGN_IN)
        finished: asyncio.Future[JobOutcome] = asyncio.get_running_loop().create_future()
        screen.pack_finished.connect(finished.set_result)
        pack = await screen.build_pack()
        assert (await asyncio.wait_for(finished, 60)).succeeded
        await until(lambda: screen.line("pack").succeeded)  # type: ignore[union-attr]
        assert [line.kind for line in screen.lines] == ["tryon", "pack"]
        assert screen.tryon_job_id == tryon.id and services.jobs.is_waiting(tryon.id)
        assert screen.tryon_blocker() == ALREADY_ON_ANA
        assert screen.line("tryon") == JobLine(
            "tryon", tryon.id, "Try-on · Ana", WAITING_FOR_SIGN_IN, "waiting"
        )
        assert await screen.cancel(tryon.id)
        await until(lambda: tryon_text(screen) == CANCELED_TEXT)
        return seen, pack.id

    seen, pack_id = run(local, scenario)
    # Every state the screen ever showed: once the try-on waited, its line never changed
    # while the pack ran, and it always had its cancel.
    snapshots = [lines for lines in seen.of("lines_changed") if isinstance(lines, tuple)]
    waiting_from = next(
        i
        for i, lines in enumerate(snapshots)
        if any(x.kind == "tryon" and x.text == WAITING_FOR_SIGN_IN for x in lines)
    )
    canceled_at = next(
        i
        for i, lines in enumerate(snapshots)
        if any(x.kind == "tryon" and x.text == "Canceling the try-on…" for x in lines)
    )
    pack_done_at = next(
        i
        for i, lines in enumerate(snapshots)
        if any(x.kind == "pack" and x.succeeded for x in lines)
    )
    assert waiting_from < pack_done_at < canceled_at  # the whole pack ran while it waited
    tryon_lines = [
        next(x for x in lines if x.kind == "tryon") for lines in snapshots[waiting_from:canceled_at]
    ]
    assert {(x.text, x.state, x.progress, x.can_cancel) for x in tryon_lines} == {
        (WAITING_FOR_SIGN_IN, "waiting", None, True)
    }
    packs = seen.lines("pack")
    assert any(x.state == "running" and x.progress and 0 < x.progress < 1 for x in packs)
    assert all(x.can_cancel for x in packs if x.state == "running")
    assert packs[-1].job_id == pack_id and packs[-1].succeeded
    assert packs[-1].text == "Ready: 2 images in History; open them in Magic Canvas to edit."
    tryons = seen.lines("tryon")
    assert tryons[-2].text == "Canceling the try-on…"
    assert tryons[-1].state == "canceled" and not tryons[-1].can_cancel


def test_a_remote_pack_on_a_profile_not_synced_yet_waits_on_its_line_and_is_canceled(
    store: Store, tmp_path: Path
) -> None:
    """A pack for the studio's engine on a profile still in the outbox: its line says it waits
    for the profile's sync (no bar, its cancel), nothing is sent; a cancel ends it."""
    tee = scene_file(tmp_path, "tee.png", studio_sweep())
    api = FakeGenerationApi(steps=3, poll_after_ms=5).start()
    api.grant(TOKEN, store.user_id)

    async def scenario(screen: GarmentsScreen, services: WorkspaceServices) -> JobLine:
        client = GenerationApiClient(api.base_url, lambda: TOKEN, retry=RetryPolicy(attempts=2))
        try:
            services.set_remote_engine(RemoteEngine(client), preferred=True)
            await screen.extract("front", tee)
            lena = await services.profiles.create("Lena")
            screen.choose_profile(lena.id)
            job = await screen.build_pack()
            waiting = (
                "Waiting for the profile “Lena” to reach the studio — it goes with the next sync"
            )
            await until(
                lambda: (
                    (screen.line("pack") or JobLine("pack", "", "", "", "starting")).text == waiting
                )
            )
            line = screen.line("pack")
            assert line is not None and (line.state, line.progress) == ("waiting", None)
            assert line.can_cancel and line.job_id == job.id
            assert await screen.cancel(job.id)
            await until(lambda: screen.line("pack").state == "canceled")  # type: ignore[union-attr]
            assert screen.pack_blocker() is None
            return screen.line("pack")  # type: ignore[return-value]
        finally:
            await client.aclose()

    try:
        ended = run(store, scenario)
    finally:
        api.stop()
    assert ended.text == CANCELED_TEXT and not ended.can_cancel
    assert api.requests_to("POST", "/api/generate-image") == []


def test_a_pack_or_tryon_that_cannot_be_submitted_says_why_on_its_line_and_stores_nothing(
    local: Store, tmp_path: Path
) -> None:
    """Bad input on the jobs' lines: the chosen profile deleted meanwhile (say, on another
    computer), unknown or ended job ids to cancel or dismiss. Each is refused readably, the
    line says it, nothing is stored, and the next start works."""
    tee = scene_file(tmp_path, "tee.png", studio_sweep())

    async def scenario(screen: GarmentsScreen, services: WorkspaceServices) -> list[str]:
        seen = Seen(screen)
        await screen.extract("front", tee)
        gone = await services.profiles.create("Gone")
        screen.choose_profile(gone.id)
        assert await services.profiles.delete(gone.id)
        jobs_before = services.store.rows.count("jobs")
        refusals = []
        for kind, start in (("pack", screen.build_pack), ("tryon", screen.try_on)):
            with pytest.raises(ValidationError) as refused:
                await start()
            line = screen.line(kind)
            assert line is not None and line.state == "failed" and not line.can_cancel
            assert line.text == refused.value.message and line.job_id == ""
            refusals.append(line.text)
        assert services.store.rows.count("jobs") == jobs_before
        assert screen.pack_blocker() is None and screen.tryon_blocker() is None
        # Nothing to cancel or hide: an unknown id, an empty one, a failed line's.
        assert not await screen.cancel("no-such-job") and not await screen.cancel("")
        lines = screen.lines
        screen.dismiss("no-such-job")
        assert screen.lines == lines
        # A line whose job was never stored (no id) is dismissed by its key.
        for line in lines:
            screen.dismiss(line.key)
        assert screen.lines == ()
        # The next pack (no profile: white studio) starts, and its running line cannot be
        # dismissed.
        screen.choose_profile(None)
        finished: asyncio.Future[JobOutcome] = asyncio.get_running_loop().create_future()
        screen.pack_finished.connect(finished.set_result)
        job = await screen.build_pack()
        screen.dismiss(job.id)
        assert screen.line_of(job.id) is not None or finished.done()
        assert (await asyncio.wait_for(finished, 60)).succeeded
        await until(lambda: screen.line("pack").succeeded)  # type: ignore[union-attr]
        assert screen.line("pack").title == "Product pack · white studio"  # type: ignore[union-attr]
        assert seen.of("problem") == []  # refusals are raised to the caller, said once
        return refusals

    refusals = run(local, scenario)
    assert refusals == ["This model profile no longer exists; choose another one."] * 2


def by_title(screen: GarmentsScreen, title: str) -> JobLine:
    (line,) = [x for x in screen.lines if x.title == title]
    return line


def test_three_tryons_and_a_pack_at_once_each_with_its_own_line_ending_on_its_own(
    local: Store, tmp_path: Path
) -> None:
    """Walkthrough of issue 14: a waiting try-on blocked every other one ("A try-on is under
    way"). The same garment is tried on three profiles, then a pack is built, all at once:
    four lines, each with its own sentence and cancel. A second copy of one try-on is refused
    saying so (nothing stored); the pack ends beside the waiting try-ons; one try-on is
    canceled, the other two run once the studio's engine is there (one fails on the server,
    one succeeds), each line saying how its own job ended; ended lines are dismissed one by
    one or all at once, and the same try-on can then be started again."""
    tee = scene_file(tmp_path, "tee.png", studio_sweep())
    api = FakeGenerationApi(steps=4, poll_after_ms=5).start()
    api.grant(TOKEN, local.user_id)

    async def scenario(screen: GarmentsScreen, services: WorkspaceServices) -> Seen:
        seen = Seen(screen)
        await screen.extract("front", tee)
        ana, mia, lena = [await services.profiles.create(n) for n in ("Ana", "Mia", "Lena")]
        for profile in (ana, mia, lena):
            api.add_profile(local.user_id, profile.name, profile_id=profile.id)
        jobs = {}
        screen.know_profiles({p.id: p.name for p in (ana, mia)})  # as the UI's list has them
        for profile in (ana, mia, lena):
            assert screen.tryon_blocker(profile.id) is None  # the others never block one
            work = screen.try_on(profile.id)
            # Named at once, also Lena, whom the UI's list does not have yet.
            assert screen.lines[-1].title == f"Try-on · {profile.name}"
            jobs[profile.name] = await work
        await until(lambda: [x.text for x in screen.lines] == [WAITING_FOR_SIGN_IN] * 3)
        assert [x.title for x in screen.lines] == ["Try-on · Ana", "Try-on · Mia", "Try-on · Lena"]
        assert [x.job_id for x in screen.lines] == [jobs[n].id for n in ("Ana", "Mia", "Lena")]
        assert all(x.state == "waiting" and x.can_cancel for x in screen.lines)
        assert len({x.key for x in screen.lines}) == 3

        # The same garment on Mia again while hers waits: refused, saying so; nothing stored.
        stored = services.store.rows.count("jobs")
        assert screen.tryon_blocker(mia.id) == (
            "This garment is already being tried on Mia: see its row below"
        )
        with pytest.raises(ValidationError, match="already being tried on Mia"):
            screen.try_on(mia.id)
        assert services.store.rows.count("jobs") == stored and len(screen.lines) == 3

        # A pack beside them (local engine, no profile: white studio) runs and ends.
        screen.choose_profile(None)
        assert screen.pack_blocker() is None
        finished: asyncio.Future[JobOutcome] = asyncio.get_running_loop().create_future()
        screen.pack_finished.connect(finished.set_result)
        pack = await screen.build_pack()
        assert len(screen.lines) == 4 and screen.lines[-1].job_id == pack.id
        assert (await asyncio.wait_for(finished, 60)).succeeded
        await until(lambda: screen.line_of(pack.id).succeeded)  # type: ignore[union-attr]
        assert [x.text for x in screen.lines[:3]] == [WAITING_FOR_SIGN_IN] * 3
        assert screen.last_pack_job_id == pack.id

        # Mia's is canceled: only hers.
        assert await screen.cancel(jobs["Mia"].id)
        await until(lambda: by_title(screen, "Try-on · Mia").text == CANCELED_TEXT)
        assert by_title(screen, "Try-on · Ana").text == WAITING_FOR_SIGN_IN
        assert by_title(screen, "Try-on · Lena").text == WAITING_FOR_SIGN_IN
        assert screen.line_of(pack.id).succeeded  # type: ignore[union-attr]
        assert screen.tryon_blocker(mia.id) is None  # hers ended: it may be tried again

        # Signed in: Ana's and Lena's run; the first the server starts fails half-way.
        api.fail_operations("The model could not be dressed in this garment.")
        client = GenerationApiClient(api.base_url, lambda: TOKEN, retry=RetryPolicy(attempts=2))
        try:
            services.set_remote_engine(RemoteEngine(client), preferred=False)
            await until(
                lambda: (
                    not by_title(screen, "Try-on · Ana").active
                    and not by_title(screen, "Try-on · Lena").active
                ),
                timeout=40,
            )
        finally:
            await client.aclose()
        ended = {}
        for name in ("Ana", "Lena"):
            line = by_title(screen, f"Try-on · {name}")
            job = (await services.history.job(jobs[name].id)).job
            ended[name] = (line.state, job.status)
            if job.status == JobStatus.SUCCEEDED:
                assert line.succeeded and len(line.files) == 1
                assert line.text == "Ready: 1 image in History; open it in Magic Canvas to edit."
            else:
                assert job.status == JobStatus.FAILED and line.state == "failed"
                assert line.text == f"Failed: {job.error}" and not line.files
                assert "could not be dressed" in line.text
        assert sorted(ended.values()) == [
            ("failed", JobStatus.FAILED),
            ("succeeded", JobStatus.SUCCEEDED),
        ]
        assert by_title(screen, "Try-on · Mia").state == "canceled"  # untouched since

        # Dismissed one by one (by the line's key) or all at once; History keeps the jobs.
        screen.dismiss(by_title(screen, "Try-on · Mia").key)
        assert [x.title for x in screen.lines] == [
            "Try-on · Ana",
            "Try-on · Lena",
            "Product pack · white studio",
        ]
        assert screen.dismiss_ended() == 3 and screen.lines == ()
        assert services.store.rows.count("jobs") == stored + 1
        # The same try-on again, now that none of it is under way: a new line.
        again = await screen.try_on(ana.id)
        assert [x.job_id for x in screen.lines] == [again.id]
        await screen.cancel(again.id)
        await until(lambda: screen.lines[0].state == "canceled")
        return seen

    try:
        seen = run(local, scenario)
    finally:
        api.stop()
    assert len(api.requests_to("POST", "/api/generate-image")) == 2  # Mia's never went
    problems = seen.of("problem")
    assert len(problems) == 1 and "could not be dressed" in str(problems[0])
    outcomes = seen.of("tryon_finished")
    assert len(outcomes) == 4  # Mia's cancel, the failure, the success, the last cancel


def test_a_restart_brings_back_every_tryon_and_pack_under_way_as_lines(
    local: Store, tmp_path: Path
) -> None:
    """Three try-ons and a pack are rendering on the studio's engine when the app quits. At
    the next start all four come back as lines, in the order they were started, with their
    profiles' names, progress and cancels; a second copy of one is still refused, and the
    panel built again adds no second line. Each then ends on its own: one is canceled, the
    others finish with their images."""
    tee = scene_file(tmp_path, "tee.png", studio_sweep())
    memory = Memory()
    api = FakeGenerationApi(steps=100_000, poll_after_ms=20).start()
    api.grant(TOKEN, local.user_id)
    names = ("Ana", "Mia", "Lena")

    def signed_in(services: WorkspaceServices) -> GenerationApiClient:
        client = GenerationApiClient(api.base_url, lambda: TOKEN, retry=RetryPolicy(attempts=2))
        services.set_remote_engine(RemoteEngine(client), preferred=True)
        return client

    async def first(screen: GarmentsScreen, services: WorkspaceServices) -> list[str]:
        client = signed_in(services)
        try:
            await screen.extract("front", tee)
            ids = []
            for name in names:
                profile = await services.profiles.create(name)
                api.add_profile(local.user_id, name, profile_id=profile.id)
                ids.append((await screen.try_on(profile.id)).id)
            screen.choose_profile(None)
            ids.append((await screen.build_pack()).id)
            await until(lambda: all((x.progress or 0) > 0 for x in screen.lines))
            return ids
        finally:
            await client.aclose()

    async def again(screen: GarmentsScreen, services: WorkspaceServices) -> None:
        client = signed_in(services)
        try:
            await services.start()
            await screen.restore()
            assert [x.job_id for x in screen.lines] == ids
            assert [x.kind for x in screen.lines] == ["tryon"] * 3 + ["pack"]
            assert all(x.active and x.can_cancel for x in screen.lines)
            assert len({x.key for x in screen.lines}) == 4
            await until(
                lambda: (
                    [x.title for x in screen.lines]
                    == [f"Try-on · {n}" for n in names] + ["Product pack · white studio"]
                )
            )
            await until(lambda: all(x.state == "running" and x.progress for x in screen.lines))
            # The same garment on Mia, and the same pack, are still refused: theirs run.
            mia_id = (await services.history.job(ids[1])).job.input_json["profileId"]
            assert screen.tryon_blocker(mia_id) == (
                "This garment is already being tried on Mia: see its row below"
            )
            assert screen.pack_blocker() == (
                "This product pack is already being built: see its row below"
            )
            await screen.restore()  # the panel built again: no second line for any of them
            assert [x.job_id for x in screen.lines] == ids

            assert await screen.cancel(ids[1])
            await until(lambda: screen.line_of(ids[1]).state == "canceled")  # type: ignore[union-attr]
            assert all(x.state == "running" for x in screen.lines if x.job_id != ids[1])
            assert (await services.history.job(ids[1])).job.status == JobStatus.CANCELED
            for operation in api.operations.values():  # the server finishes the others
                operation.steps = operation.step + 2
            await until(lambda: not any(x.active for x in screen.lines), timeout=40)
        finally:
            await client.aclose()
        assert [x.state for x in screen.lines] == [
            "succeeded",
            "canceled",
            "succeeded",
            "succeeded",
        ]
        assert [len(x.files) for x in screen.lines] == [1, 0, 1, 2]

    try:
        ids = run(local, first, memory)
        run(local, again, memory)
    finally:
        api.stop()
    # No other job was canceled on the server (whether Mia's own operation had started there
    # before the restart depends on the engine's concurrency; the jobs' tests cover that cancel).
    canceled = {op.job_id for op in api.operations.values() if op.cancel_requests}
    assert canceled <= {ids[1]}


def start_studio_pack(
    api: FakeGenerationApi, garment: Path, *, any_profile: bool
) -> Callable[[GarmentsScreen, WorkspaceServices], Awaitable[str]]:
    """A first session: the studio's engine signed in, ``garment`` cut out as the front, a pack
    built (on no particular profile with ``any_profile``) and under way on the server; the
    session then ends with the pack's job id, the app quitting while it renders."""

    async def first(screen: GarmentsScreen, services: WorkspaceServices) -> str:
        client = GenerationApiClient(api.base_url, lambda: TOKEN, retry=RetryPolicy(attempts=2))
        services.set_remote_engine(RemoteEngine(client), preferred=True)
        try:
            await screen.extract("front", garment)
            if any_profile:
                screen.choose_profile(None)
            job = await screen.build_pack()
            await until(lambda: (screen.line("pack").progress or 0) > 0)  # type: ignore[union-attr]
            return job.id
        finally:
            await client.aclose()

    return first


def test_a_studio_pack_after_a_restart_signed_out_waits_like_a_tryon_and_then_finishes(
    local: Store, tmp_path: Path
) -> None:
    """A pack rendering on the studio's engine when the app quits; the next start has no
    account (signed out). The pack does not fail: its line says it waits for a sign-in, has
    no bar and its Cancel, the job stays queued; signed in again it polls the same operation
    on the server (no second one) and ends with its images."""
    tee = scene_file(tmp_path, "tee.png", studio_sweep())
    memory = Memory()
    api = FakeGenerationApi(steps=100_000, poll_after_ms=20).start()
    api.grant(TOKEN, local.user_id)

    async def signed_out(screen: GarmentsScreen, services: WorkspaceServices) -> None:
        await services.start()
        await screen.restore()
        await until(lambda: screen.line("pack") is not None)
        await until(lambda: screen.line("pack").text == WAITING_FOR_SIGN_IN)  # type: ignore[union-attr]
        line = screen.line("pack")
        assert line is not None and line.job_id == pack_id
        assert (line.state, line.progress, line.can_cancel) == ("waiting", None, True)
        await asyncio.sleep(0.3)  # it stays so: nothing fails it meanwhile
        assert screen.line("pack").state == "waiting"  # type: ignore[union-attr]
        assert (await services.history.job(pack_id)).job.status == JobStatus.QUEUED
        assert screen.pack_blocker() == (
            "This product pack is already being built: see its row below"
        )

        # Signed in again: it picks up its operation and finishes.
        client = GenerationApiClient(api.base_url, lambda: TOKEN, retry=RetryPolicy(attempts=2))
        try:
            services.set_remote_engine(RemoteEngine(client), preferred=True)
            await until(lambda: screen.line("pack").state == "running")  # type: ignore[union-attr]
            for operation in api.operations.values():
                operation.steps = operation.step + 2
            await until(lambda: not screen.line("pack").active, timeout=40)  # type: ignore[union-attr]
        finally:
            await client.aclose()
        ended = screen.line("pack")
        assert ended is not None and ended.state == "succeeded" and len(ended.files) == 2

    try:
        pack_id = run(local, start_studio_pack(api, tee, any_profile=True), memory)
        run(local, signed_out, memory)
    finally:
        api.stop()
    assert len(api.requests_to("POST", "/api/generate-image")) == 1  # the same operation


def test_a_studio_pack_waiting_after_a_restart_is_canceled_and_never_lost(
    local: Store, tmp_path: Path
) -> None:
    """The same pack waiting for a sign-in survives a second restart still waiting, and a
    cancel ends it (canceled in History, its line says so)."""
    tee = scene_file(tmp_path, "tee.png", studio_sweep())
    api = FakeGenerationApi(steps=100_000, poll_after_ms=20).start()
    api.grant(TOKEN, local.user_id)

    async def waits(screen: GarmentsScreen, services: WorkspaceServices) -> None:
        await services.start()
        await screen.restore()
        await until(lambda: getattr(screen.line("pack"), "state", None) == "waiting")

    async def canceled(screen: GarmentsScreen, services: WorkspaceServices) -> None:
        await services.start()
        await screen.restore()
        await until(lambda: getattr(screen.line("pack"), "state", None) == "waiting")
        assert await screen.cancel(pack_id)
        await until(lambda: screen.line("pack").state == "canceled")  # type: ignore[union-attr]
        assert screen.line("pack").text == CANCELED_TEXT  # type: ignore[union-attr]
        assert (await services.history.job(pack_id)).job.status == JobStatus.CANCELED

    try:
        pack_id = run(local, start_studio_pack(api, tee, any_profile=False))
        run(local, waits)
        run(local, canceled)
    finally:
        api.stop()


def test_a_line_names_its_profile_from_the_start_even_when_the_list_has_not_it_yet(
    local: Store, tmp_path: Path
) -> None:
    """A try-on and a pack on a profile the screen was never told about (created a moment
    ago, the UI's list not refilled yet): every line ever shown carries the profile's name,
    also when a restart brings them back before any list is read."""
    tee = scene_file(tmp_path, "tee.png", studio_sweep())
    titles: list[str] = []

    async def first(screen: GarmentsScreen, services: WorkspaceServices) -> None:
        screen.lines_changed.connect(lambda lines: titles.extend(x.title for x in lines))
        await screen.extract("front", tee)
        zoe = await services.profiles.create("Zoë Anne")
        assert zoe.id not in screen.profile_names
        job = await screen.try_on(zoe.id)
        await until(lambda: services.jobs.is_waiting(job.id))
        screen.choose_profile(zoe.id)
        pack = await screen.build_pack()
        await until(lambda: screen.line_of(pack.id) is not None)

    run(local, first)
    assert set(titles) == {"Try-on · Zoë Anne", "Product pack · Zoë Anne"}

    titles.clear()

    async def again(screen: GarmentsScreen, services: WorkspaceServices) -> None:
        screen.lines_changed.connect(lambda lines: titles.extend(x.title for x in lines))
        await services.start()
        await screen.restore()
        await until(lambda: screen.line("tryon") is not None)

    run(local, again)
    assert "Try-on · Zoë Anne" in titles
    assert all(title.endswith(" · Zoë Anne") for title in titles), titles

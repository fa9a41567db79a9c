"""Publishing (``python -m bot publish`` in the background, its progress on the page) and the
audit log."""

from __future__ import annotations

from aiohttp import web

from bot.console import store
from bot.console.publisher import PublishJob
from bot.console.web import CONFIG, PUBLISHER, db, needs, render


async def publish_page(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    unpublished = await db(store.unpublished, config.database_url)
    job = request.app[PUBLISHER].job
    return render(request, "publish.html", unpublished=unpublished, job=job)


@needs(store.PUBLISHER)
async def publish(request: web.Request) -> web.StreamResponse:
    config = request.app[CONFIG]
    user = request["user"]
    unpublished = await db(store.unpublished, config.database_url)
    note = " ".join(str(request["form"].get("note") or "").split())[:200]
    publisher = request.app[PUBLISHER]
    if publisher.job is not None and publisher.job.running:
        raise web.HTTPSeeOther("/publish")  # one at a time: the page shows the running one
    start_id = await db(
        store.record,
        user,
        store.PUBLISH,
        "",
        f"{len(unpublished)} 项修改" + (f"；说明：{note}" if note else ""),
        True,
        config.database_url,
    )

    def done(job: PublishJob) -> None:
        tail = "\n".join(job.lines[-20:])
        store.record(
            job.started_by,
            store.PUBLISH_DONE,
            str(start_id),
            f"{job.summary()}\n退出码 {job.returncode}\n{tail}",
            job.ok,
            config.database_url,
        )

    publisher.start(user, done, note=note)
    raise web.HTTPSeeOther("/publish")


async def audit_page(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    entries = await db(store.recent, 300, config.database_url)
    return render(request, "audit.html", entries=entries)

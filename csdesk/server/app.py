"""The FastAPI application of the reference backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

import csdesk
from csdesk.server.config import ServerSettings
from csdesk.server.context import ServerContext
from csdesk.server.customers import start_seeding
from csdesk.server.orphans import close_orphans_at_start
from csdesk.server.problems import install_problem_handlers
from csdesk.server.routing import RoutingEngine
from csdesk.server.routes import announcements, auth, events, health, me, sync
from csdesk.server.routes import operations as operation_routes
from csdesk.server.routes import verification as verification_routes
from csdesk.server.routes import contacts as contact_routes
from csdesk.server.routes import phrases as phrase_routes
from csdesk.server.routes import work_orders as work_order_routes
from csdesk.server.seed import seed_if_new
from csdesk.server.sync import backfill_session_records

API_PREFIX = "/api/v1"


def create_app(settings: ServerSettings, *, context: ServerContext | None = None) -> FastAPI:
    """Build the app for ``settings``: open the database, create tables, seed demo data.

    The database is opened here (not at lifespan start), so a bad path fails
    at once. Demo data goes into a new database when ``settings.seed_demo``.
    With ``settings.simulate`` the training simulator
    (:class:`csdesk.server.simulator.driver.Simulation`) is built here — an
    unreadable or invalid customers CSV raises OSError/ValueError at once —
    started with the lifespan and stopped first when it ends; it is
    ``app.state.simulation`` (None when off). At lifespan start, before
    routing and the simulator, the simulated contacts left waiting by a
    simulator that is gone (a restart, kill or crash) are closed out
    (:func:`csdesk.server.orphans.close_orphans_at_start`), whether or not
    this backend simulates; real customers' contacts are untouched.
    The :class:`ServerContext` is ``app.state.ctx``; pass ``context`` to
    share one. Routes live under ``/api/v1``; the OpenAPI document is
    ``/api/v1/openapi.json`` and the docs UI ``/api/v1/docs``. Every error is
    an RFC 9457 problem (``csdesk.server.problems``). When the app's lifespan
    ends, event streams are closed and database connections released.
    """
    ctx = context or ServerContext.open(settings)
    if settings.seed_demo:
        seed_if_new(ctx)
    backfill_session_records(ctx)  # records made before they were synced
    simulation = None
    if settings.simulate:
        from csdesk.server.simulator.driver import Simulation

        try:
            simulation = Simulation.from_settings(ctx)  # a bad CSV fails here, before serving
        except BaseException:
            if context is None:
                ctx.close()
            raise
    if settings.seed_demo or settings.simulate:
        start_seeding(ctx)  # issue #4: demo customers (the simulator's too), hashed in the background

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        close_orphans_at_start(ctx)  # issue #4: simulated customers nobody plays any more
        routing = RoutingEngine(ctx)  # issue #4: offers, offer timeouts, ACW deadlines
        routing.start()
        if simulation is not None:
            await simulation.start()  # issue #4: training simulator
        try:
            yield
        finally:
            if simulation is not None:
                await simulation.stop()
            routing.stop()
            ctx.hub.close()  # background seeding stops at its next hash…
            ctx.customers_ready.wait(2)  # …or finishes its write first
            ctx.close()

    app = FastAPI(
        title="csdesk reference backend",
        version=csdesk.__version__,
        summary="Contact-centre agent desk API (see docs/protocol.md).",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=f"{API_PREFIX}/docs/oauth2-redirect",
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    app.state.simulation = simulation  # the training simulator, or None
    install_problem_handlers(app)
    for module in (health, auth, me, announcements, sync, events):
        app.include_router(module.router, prefix=API_PREFIX)
    for module in (verification_routes, operation_routes):  # issue #4: ID&V, operations
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(contact_routes.router, prefix=API_PREFIX)  # issue #4: live session
    app.include_router(phrase_routes.router, prefix=API_PREFIX)  # issue #5: personal quick phrases
    app.include_router(work_order_routes.router, prefix=API_PREFIX)  # issue #6: work orders
    return app

"""``csdesk kb``: the knowledge base, straight on the backend's database (issue #5).

Operating guide §3.1 (knowledge base, FAQ, policies; agents read the
updates) and §2.2 (agents answer from it). Like ``csdesk admin`` these
commands open the reference backend's SQLite file themselves (no HTTP, no
admin API): run them on the backend's host, as the user that owns the
database, with ``--db PATH`` (default: ``server.db`` in the data folder;
the demo's is ``<data folder>/demo/demo.db``). A running backend serves the
change at once (SQLite in WAL mode); desks pick it up at their next pull of
the ``knowledge`` collection.

- ``csdesk kb import PATH…``: Markdown, HTML, DOCX or plain text, split at
  the headings (:mod:`csdesk.kb_import`);
- ``csdesk kb list`` / ``show ID``;
- ``csdesk kb edit ID``: in ``$EDITOR`` (TOML fields + Markdown body) or
  with options;
- ``csdesk kb publish|unpublish|retire ID…``.

Every write bumps the article's version and ``updated_at``, records a sync
change (:mod:`csdesk.server.knowledge`) and an ``admin`` audit event with
the operating-system user. Errors are one line each; the exit code is 1
when anything failed.

The group is registered in ``csdesk.commands`` (``cli.add_command(kb)``).
"""

from __future__ import annotations

import json
import os
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import click

from csdesk.cli_common import actor, db_option, display_width, open_database, pad, safe
from csdesk.domain.knowledge import KnowledgeStatus
from csdesk.domain.text import clean_text

if TYPE_CHECKING:
    from csdesk.server.db import Database
    from csdesk.server.knowledge import ArticleFields
    from csdesk.server.models import KnowledgeArticle

_DB_KEY: Final = "csdesk.kb.db_path"
#: The line that opens and closes the TOML fields of the editor rendition.
FRONT_MATTER: Final = "+++"
#: Keys of the editor rendition (besides ``base_version``).
EDIT_KEYS: Final = ("title", "title_en", "category", "tags", "intents", "questions", "summary")


def _open_database(db_path: Path) -> Database:
    from csdesk.server.db import Database

    db = Database(db_path)
    try:
        db.create_tables()  # an older database gets the knowledge table
    except Exception:
        db.dispose()
        raise
    return db


def _database(click_ctx: click.Context) -> AbstractContextManager[Database]:
    """Open the database chosen with ``--db``; a clear error when it is missing or not one."""
    return open_database(click_ctx, _DB_KEY, _open_database, lambda db: db.dispose())


def _audit(session: Any, detail: str) -> None:
    from csdesk.server.audit import audit

    audit(session, agent_id=None, type="admin", detail=f"kb {detail} by {actor()}"[:1000])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@db_option
@click.pass_context
def kb(click_ctx: click.Context, db_path: Path | None) -> None:
    """Knowledge base of a csdesk backend: import documents, list, show, edit, publish, retire.

    Works on the backend's database file directly (run it on the backend's
    host). Published articles reach every agent's desk at its next sync;
    retired and draft ones are removed from the desks.
    """
    click_ctx.meta[_DB_KEY] = db_path


# -- import ----------------------------------------------------------------------


def _category_root(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    parts = tuple(safe(part).strip() for part in value.split("/"))
    return tuple(part for part in parts if part)


@kb.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--category",
    "root",
    metavar="ROOT",
    help="Category path the document's headings go under, levels separated by '/', e.g. '运营手册/客服系统'.",
)
@click.option(
    "--status",
    type=click.Choice(["draft", "published"]),
    default=None,
    help="Status of the articles. Default: new ones are drafts (publish them after review); "
    "articles imported before keep theirs.",
)
@click.option("--tag", "tags", multiple=True, help="Tag every imported article with this (repeatable).")
@click.option(
    "--depth",
    type=click.IntRange(1, 6),
    default=3,
    show_default=True,
    help="Heading levels that split a document into articles; deeper headings stay in the text.",
)
@click.option("--dry-run", is_flag=True, help="Show the articles a file gives; store nothing.")
@click.pass_context
def import_(
    click_ctx: click.Context,
    paths: tuple[Path, ...],
    root: str | None,
    status: str | None,
    tags: tuple[str, ...],
    depth: int,
    dry_run: bool,
) -> None:
    """Import documents as articles: Markdown (.md), HTML (.html/.htm), Word (.docx), text (.txt).

    Each document is split at its headings: one article per heading with
    text under it, titled with the heading, its category the headings above
    it (under --category). Plain text is split at numbered headings such as
    "1.2系统登录步骤" (chapters "一、…" above them), and website text around the
    document is left out. Importing the same file again updates its
    articles (same ids) instead of adding copies.
    """
    from csdesk.kb_import import KnowledgeImportError, article_id, read_document
    from csdesk.server.knowledge import KnowledgeError, article_fields, upsert_article

    category_root = _category_root(root)
    wanted = KnowledgeStatus(status) if status else None
    failed = 0
    totals = {"new": 0, "updated": 0, "unchanged": 0}
    drafts_added = False
    with (_nothing() if dry_run else _database(click_ctx)) as db:
        for path in paths:
            shown = safe(str(path))
            try:
                document = read_document(path, depth=depth)
                prepared = [
                    (
                        article_id(path.name, section.key),
                        section,
                        article_fields(
                            title=section.title,
                            body=section.body,
                            category=(*category_root, *section.category),
                            tags=tags,
                            summary=section.summary,
                        ),
                    )
                    for section in document.sections
                ]
            except (KnowledgeImportError, KnowledgeError) as exc:
                click.echo(f"error: {shown}: {exc}", err=True)
                failed += 1
                continue
            outcomes: list[str] = []
            if db is not None:
                try:
                    with db.write() as session:
                        for ident, _section, content in prepared:
                            outcomes.append(
                                upsert_article(
                                    session, ident, content, status=wanted,
                                    source=f"import:{safe(path.name, 200)}",
                                )
                            )
                        counts = {k: outcomes.count(k) for k in totals}
                        _audit(
                            session,
                            f"import {safe(path.name, 200)}: {counts['new']} new, "
                            f"{counts['updated']} updated",
                        )
                except KnowledgeError as exc:
                    click.echo(f"error: {shown}: {exc}", err=True)
                    failed += 1
                    continue
            else:
                outcomes = ["dry-run"] * len(prepared)
            for key in totals:
                totals[key] += outcomes.count(key)
            if "new" in outcomes and (wanted or KnowledgeStatus.DRAFT) is KnowledgeStatus.DRAFT:
                drafts_added = True
            noun = "article" if len(prepared) == 1 else "articles"
            click.echo(f"{shown}: {len(prepared)} {noun} ({document.kind})")
            for (ident, _section, content), outcome in zip(prepared, outcomes, strict=True):
                where = " / ".join(content.category)
                click.echo(f"  {outcome:<9} {ident}  {safe(content.title)}" + (f"  [{safe(where)}]" if where else ""))
            for warning in document.warnings:
                click.echo(f"  warning: {safe(warning)}")
    if not dry_run:
        files = len(paths) - failed
        click.echo(
            f"Imported {files} of {len(paths)} files: {totals['new']} new, "
            f"{totals['updated']} updated, {totals['unchanged']} unchanged articles."
        )
        if drafts_added:
            click.echo("New articles are drafts, not shown to agents: publish them with  csdesk kb publish ID…")
    if failed:
        raise SystemExit(1)


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


# -- list / show -------------------------------------------------------------------


def _local(row: KnowledgeArticle) -> str:
    return row.updated_at.astimezone().strftime("%Y-%m-%d %H:%M")


@kb.command("list")
@click.option("--status", type=click.Choice([s.value for s in KnowledgeStatus]), help="Only this status.")
@click.option("--query", "-q", help="Only articles whose id, titles, text, category, tags, questions or intents contain this.")
@click.option("--json", "as_json", is_flag=True, help="One JSON document per article (without the body).")
@click.pass_context
def list_(click_ctx: click.Context, status: str | None, query: str | None, as_json: bool) -> None:
    """List articles: id, status, version, last change, category, title (by category)."""
    from csdesk.server.knowledge import count_by_status, list_articles

    with _database(click_ctx) as db, db.read() as session:
        rows = list_articles(session, status=KnowledgeStatus(status) if status else None, query=query)
        counts = count_by_status(session)
        if as_json:
            for row in rows:
                click.echo(
                    json.dumps(
                        {
                            "id": row.id, "title": row.title, "title_en": row.title_en,
                            "category": row.category, "tags": row.tags, "intents": row.intents,
                            "status": row.status, "version": row.version,
                            "updated_at": row.updated_at.isoformat(), "source": row.source,
                        },
                        ensure_ascii=False,
                    )
                )
            return
        header = ["ID", "STATUS", "VER", "UPDATED", "CATEGORY", "TITLE"]
        lines = [
            [row.id, row.status, str(row.version), _local(row), safe(" / ".join(row.category), 60),
             safe(row.title, 80)]
            for row in rows
        ]
    if lines:
        widths = [max(display_width(cells[i]) for cells in [header, *lines]) for i in range(len(header))]
        for cells in [header, *lines]:
            click.echo("  ".join(pad(c, w) for c, w in zip(cells, widths, strict=True)).rstrip())
    total = sum(counts.values())
    summary = ", ".join(f"{n} {name}" for name, n in counts.items())
    click.echo(f"{len(lines)} of {total} articles ({summary}).")


@kb.command("show")
@click.argument("article_id")
@click.option("--json", "as_json", is_flag=True, help="The sync document as JSON.")
@click.pass_context
def show(click_ctx: click.Context, article_id: str, as_json: bool) -> None:
    """Show article ARTICLE_ID: its fields, then its Markdown body."""
    from csdesk.server.knowledge import ArticleNotFoundError, article_doc, get_article

    with _database(click_ctx) as db, db.read() as session:
        try:
            row = get_article(session, article_id)
        except ArticleNotFoundError as exc:
            raise click.ClickException(str(exc)) from exc
        if as_json:
            click.echo(article_doc(row).model_dump_json())
            return
        fields = [
            ("id", row.id),
            ("title", row.title),
            ("title_en", row.title_en),
            ("status", f"{row.status}, version {row.version}, updated {_local(row)}"),
            ("category", " / ".join(row.category)),
            ("tags", ", ".join(row.tags)),
            ("intents", ", ".join(row.intents)),
            ("source", row.source),
            ("summary", row.summary),
        ]
        for name, value in fields:
            click.echo(f"{name + ':':<10}{safe(value)}")
        if row.questions:
            click.echo("questions:")
            for question in row.questions:
                click.echo(f"  - {safe(question)}")
        click.echo("")
        click.echo(clean_text(row.body))


# -- edit ------------------------------------------------------------------------------


def render_for_edit(row: KnowledgeArticle) -> str:
    """The editor rendition: TOML fields between ``+++`` lines, then the Markdown body."""
    import tomli_w

    meta: dict[str, Any] = {"base_version": row.version}
    for key in EDIT_KEYS:
        value = getattr(row, key)
        meta[key] = list(value) if isinstance(value, list) else value
    note = (
        f"# {row.id} ({row.status}). Edit the fields, and the Markdown body below the second\n"
        f"# {FRONT_MATTER} line; save and quit. Leave base_version as it is (the version you\n"
        "# started from). Status: csdesk kb publish / unpublish / retire.\n"
    )
    return f"{FRONT_MATTER}\n{note}{tomli_w.dumps(meta)}{FRONT_MATTER}\n\n{row.body}\n"


def parse_edit(text: str) -> tuple[dict[str, Any], int | None]:
    """Parse an editor rendition; return ``(fields, base_version)``.

    ``fields`` holds the keys of :data:`EDIT_KEYS` that are present, plus
    ``body``. Raises ``ValueError`` (one line) for a missing ``+++`` block,
    bad TOML, an unknown key or a value of the wrong type.
    """
    lines = text.lstrip("\ufeff").split("\n")
    start = next((n for n, line in enumerate(lines) if line.strip()), None)
    if start is None or lines[start].strip() != FRONT_MATTER:
        raise ValueError(f"the text must start with a {FRONT_MATTER} line, then the fields, then {FRONT_MATTER}")
    end = next((n for n in range(start + 1, len(lines)) if lines[n].strip() == FRONT_MATTER), None)
    if end is None:
        raise ValueError(f"no closing {FRONT_MATTER} line after the fields")
    try:
        meta = tomllib.loads("\n".join(lines[start + 1:end]))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"the fields are not valid TOML: {exc}") from exc
    unknown = sorted(set(meta) - {*EDIT_KEYS, "base_version"})
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(unknown)}")
    fields: dict[str, Any] = {}
    for key in EDIT_KEYS:
        if key not in meta:
            continue
        value = meta[key]
        if key in ("category", "tags", "intents", "questions"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"{key} must be a list of strings")
        elif not isinstance(value, str):
            raise ValueError(f"{key} must be a string")
        fields[key] = value
    fields["body"] = "\n".join(lines[end + 1:])
    base = meta.get("base_version")
    if base is not None and (isinstance(base, bool) or not isinstance(base, int)):
        raise ValueError("base_version must be a whole number")
    return fields, base


def _keep(text: str, article_id: str) -> Path:
    fd, name = tempfile.mkstemp(prefix=f"csdesk-kb-{article_id}-", suffix=".md")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return Path(name)


def _merged(row: KnowledgeArticle, changes: dict[str, Any]) -> ArticleFields:
    from csdesk.server.knowledge import article_fields, fields_of

    current = fields_of(row)
    values: dict[str, Any] = {
        "title": current.title, "body": current.body, "title_en": current.title_en,
        "category": current.category, "tags": current.tags, "questions": current.questions,
        "intents": current.intents, "summary": current.summary,
    }
    values.update(changes)
    return article_fields(**values)


def _split_list(value: str) -> list[str]:
    return [part.strip() for part in value.replace("，", ",").split(",") if part.strip()]


@kb.command("edit")
@click.argument("article_id")
@click.option("--title", help="New title (Chinese).")
@click.option("--title-en", help="New English title.")
@click.option("--summary", help="New summary.")
@click.option("--category", help="New category path, levels separated by '/'.")
@click.option("--tags", help="New tags, comma-separated (replace the old ones; '' clears).")
@click.option("--intents", help="New intents, comma-separated (replace the old ones; '' clears).")
@click.option(
    "--questions-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="UTF-8 file with the sample questions, one per line (replace the old ones).",
)
@click.option(
    "--body-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="UTF-8 Markdown file with the new body.",
)
@click.option(
    "--from-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=f"A whole edited rendition (fields between {FRONT_MATTER} lines, then the body), "
    "as the editor shows it.",
)
@click.pass_context
def edit(
    click_ctx: click.Context,
    article_id: str,
    title: str | None,
    title_en: str | None,
    summary: str | None,
    category: str | None,
    tags: str | None,
    intents: str | None,
    questions_file: Path | None,
    body_file: Path | None,
    from_file: Path | None,
) -> None:
    """Edit article ARTICLE_ID: in $EDITOR, or with the options given.

    Without options the article opens in $VISUAL/$EDITOR as TOML fields
    between +++ lines followed by the Markdown body. A saved change bumps
    the version; if someone changed the article meanwhile nothing is
    overwritten (your text is kept in a file, and the message says where).
    """
    from csdesk.server.knowledge import (
        ArticleNotFoundError,
        KnowledgeError,
        VersionConflictError,
        get_article,
        update_article,
    )

    def read(path: Path) -> str:
        try:
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise click.ClickException(f"{safe(str(path))} is not UTF-8 text") from exc
        except OSError as exc:
            raise click.ClickException(f"cannot read {safe(str(path))}: {exc.strerror}") from exc

    changes: dict[str, Any] = {}
    for key, value in (("title", title), ("title_en", title_en), ("summary", summary)):
        if value is not None:
            changes[key] = value
    if category is not None:
        changes["category"] = _category_root(category)
    if tags is not None:
        changes["tags"] = _split_list(tags)
    if intents is not None:
        changes["intents"] = _split_list(intents)
    if questions_file is not None:
        changes["questions"] = [line for line in read(questions_file).splitlines() if line.strip()]
    if body_file is not None:
        changes["body"] = read(body_file)
    edited: str | None = None
    base: int | None = None
    with _database(click_ctx) as db:
        with db.read() as session:
            try:
                row = get_article(session, article_id)
            except ArticleNotFoundError as exc:
                raise click.ClickException(str(exc)) from exc
            ident, version = row.id, row.version
            if from_file is not None or not changes:
                if from_file is not None:
                    edited = read(from_file)
                else:
                    original = render_for_edit(row)
                    edited = click.edit(original, extension=".md", require_save=True)
                    if edited is None or edited == original:
                        click.echo("No changes: nothing saved.")
                        return
                try:
                    parsed, base = parse_edit(edited)
                    content = _merged(row, parsed)
                except (ValueError, KnowledgeError) as exc:
                    kept = _keep(edited, ident) if from_file is None else from_file
                    raise click.ClickException(
                        f"{exc}\n  Nothing was saved; your text is in {kept}: fix it and run"
                        f"  csdesk kb edit {ident} --from-file {kept}"
                    ) from exc
            else:
                try:
                    content = _merged(row, changes)
                except KnowledgeError as exc:
                    raise click.ClickException(str(exc)) from exc
        try:
            with db.write() as session:
                row, changed = update_article(
                    session, ident, content, expected_version=base if base is not None else version
                )
                if changed:
                    _audit(session, f"edit {ident} v{row.version}")
                new_version = row.version
        except VersionConflictError as exc:
            hint = ""
            if edited is not None:
                kept = _keep(edited, ident) if from_file is None else from_file
                hint = f"\n  Your text is in {kept}; look at the new version (csdesk kb show {ident}) first."
            raise click.ClickException(f"{exc}; nothing was saved.{hint}") from exc
    if changed:
        click.echo(f"Saved {ident}, version {new_version}.")
    else:
        click.echo("No changes: nothing saved.")


# -- status -----------------------------------------------------------------------------


def _set_status(click_ctx: click.Context, ids: tuple[str, ...], status: KnowledgeStatus, verb: str) -> None:
    from csdesk.server.knowledge import KnowledgeError, set_status

    failed = 0
    with _database(click_ctx) as db:
        for article_id in ids:
            try:
                with db.write() as session:
                    row, changed = set_status(session, article_id, status)
                    if changed:
                        _audit(session, f"{verb} {row.id} v{row.version}")
                    ident, version = row.id, row.version
            except KnowledgeError as exc:
                click.echo(f"error: {exc}", err=True)
                failed += 1
                continue
            if changed:
                click.echo(f"{ident}: {status.value} (version {version}).")
            else:
                click.echo(f"{ident}: already {status.value}.")
    if failed:
        raise SystemExit(1)


@kb.command("publish")
@click.argument("ids", nargs=-1, required=True)
@click.pass_context
def publish(click_ctx: click.Context, ids: tuple[str, ...]) -> None:
    """Publish articles: every agent's desk gets them at its next sync."""
    _set_status(click_ctx, ids, KnowledgeStatus.PUBLISHED, "publish")


@kb.command("unpublish")
@click.argument("ids", nargs=-1, required=True)
@click.pass_context
def unpublish(click_ctx: click.Context, ids: tuple[str, ...]) -> None:
    """Put articles back to draft: the desks drop them at their next sync."""
    _set_status(click_ctx, ids, KnowledgeStatus.DRAFT, "unpublish")


@kb.command("retire")
@click.argument("ids", nargs=-1, required=True)
@click.pass_context
def retire(click_ctx: click.Context, ids: tuple[str, ...]) -> None:
    """Retire articles (kept for the record): the desks drop them at their next sync."""
    _set_status(click_ctx, ids, KnowledgeStatus.RETIRED, "retire")

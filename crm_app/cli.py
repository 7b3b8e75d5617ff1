"""The `crm` command: the same services as the UI (DESIGN §5)."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from crm_app.db import write_session
from crm_app.i18n import UserError


def _db_upgrade(_args: argparse.Namespace) -> int:
    from crm_app.services import migrations

    migrations.upgrade()
    print("Database is up to date.")
    return 0


def _db_revision(args: argparse.Namespace) -> int:
    from crm_app.services import migrations

    migrations.make_revision(args.message)
    return 0


def _user_add(args: argparse.Namespace) -> int:
    from crm_app.services import auth

    password = args.password or getpass.getpass("Mật khẩu: ")
    with write_session() as session:
        user = auth.create_user(session=session, username=args.username,
                                full_name=args.full_name, password=password,
                                role="admin" if args.admin else "user")
        print(f"Created user {user.username} ({user.role}).")
    return 0


def _seed_demo(args: argparse.Namespace) -> int:
    from crm_app.services import demo

    with write_session() as session:
        users, leads = demo.seed_demo(session=session, raw_leads=args.raw_leads)
    print(f"Demo data: {users} users, {leads} raw leads created.")
    return 0


def _template(args: argparse.Namespace) -> int:
    from crm_app.db import get_engine, read_session
    from crm_app.services.importer import build_template
    from crm_app.settings import get_settings

    with read_session(get_engine(get_settings().database_url)) as session:
        data = build_template(session)
    with open(args.output, "wb") as fh:
        fh.write(data)
    print(f"Đã ghi template: {args.output}")
    return 0


def _import(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from sqlmodel import select

    from crm_app.db import get_engine, read_session
    from crm_app.models import User
    from crm_app.services import importer
    from crm_app.services.auth import Actor
    from crm_app.settings import get_settings

    engine = get_engine(get_settings().database_url)  # not get_engine(): cached under None
    path = Path(args.file)
    if not path.is_file():
        raise UserError("import.file.not_found", path=str(path))
    with read_session(engine) as session:
        user = session.exec(select(User).where(User.username == args.user.strip().lower())).first()
        if user is None or not user.is_active:
            raise UserError("import.user.not_found", username=args.user)
        actor = Actor.of(user)
        mapping = importer.load_mapping(session, args.mapping) if args.mapping else {}
        dedup = [importer.resolve_field(session, name) for name in args.dedup or []]
    # Headers named like a field are mapped when the job reads the file, so it is parsed once.
    options = importer.ImportOptions(mapping=mapping, dedup_fields=dedup,
                                     on_duplicate=args.on_duplicate if dedup else None,
                                     unknown_picklist=args.unknown_picklist, auto_map=True, sheet=args.sheet)
    if args.dry_run:
        result = importer.dry_run(engine, path=path, options=options, actor=actor)
    else:
        with write_session(engine) as session:
            job_id = importer.create_job(session, actor, path, path.name, options).id
        assert job_id is not None
        try:
            result = importer.run_job(engine, job_id)
        finally:
            with write_session(engine) as session:
                importer.release_lock(session, actor, job_id)
    if args.json:
        print(json.dumps(result.as_cli_json(), ensure_ascii=False))
    else:
        print(f"Tổng số dòng: {result.total} | Tạo mới: {result.created} | Ghi đè: {result.overwritten} | "
              f"Bỏ qua: {result.skipped} | Gộp trùng: {result.merged} | Lỗi: {result.failed}")
        for line in result.reasons[:10]:
            print(f"  {line}")
        for label, file in (("Dòng bị bỏ qua", result.skipped_file), ("Dòng lỗi", result.failed_file)):
            if file:
                print(f"{label}: {file}")
    return 0


def _inbox_retry(args: argparse.Namespace) -> int:
    from crm_app.db import get_engine
    from crm_app.i18n import t
    from crm_app.services import intake
    from crm_app.settings import get_settings

    result = intake.retry_failed(get_engine(get_settings().database_url), limit=args.limit)
    counts = ", ".join(f"{k}={v}" for k, v in sorted(result.counts.items())) or "-"
    print(t("channel.retry_done", total=result.total, counts=counts))
    return 1 if result.counts.get(intake.FAILED) else 0


def _worker(args: argparse.Namespace) -> int:
    import logging

    from crm_app.services import worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("huey").setLevel(logging.WARNING)  # not a line per task
    return worker.run(threads=args.threads, embedded=args.embedded, parent_pid=args.parent_pid)


def _status(_args: argparse.Namespace) -> int:
    from crm_app.db import get_engine
    from crm_app.services import metrics
    from crm_app.settings import get_settings

    snap = metrics.read(get_engine(get_settings().database_url))
    print("\n".join(metrics.terminal_lines(snap)))
    return 0 if snap.queue_up else 1


def _form_add(args: argparse.Namespace) -> int:
    from crm_app.db import get_engine
    from crm_app.i18n import t
    from crm_app.services import forms
    from crm_app.settings import get_settings

    with write_session(get_engine(get_settings().database_url)) as session:
        _, secret = forms.add_form(session, key=args.key, channel=args.channel, secret=args.secret)
    print(t("channel.form_added", form=args.key, channel=args.channel))
    if not args.secret:
        print(t("channel.form_secret", secret=secret))
    return 0


def _add_channel_commands(sub: argparse._SubParsersAction) -> None:
    inbox = sub.add_parser("inbox", help="channel webhook events").add_subparsers(dest="inbox_command",
                                                                                   required=True)
    retry = inbox.add_parser("retry", help="reprocess failed (and stale) webhook events now (the queue retries "
                                           "them on its own)")
    retry.add_argument("--limit", type=int, default=500)
    retry.set_defaults(func=_inbox_retry)

    form = sub.add_parser("form", help="web form / landing page webhooks").add_subparsers(dest="form_command",
                                                                                          required=True)
    add = form.add_parser("add", help="register a form key for /api/webhooks/forms/{KEY}")
    add.add_argument("key")
    add.add_argument("--channel", required=True, help="input source label, e.g. Webform, Landing page, Zalo Ads Form")
    add.add_argument("--secret", help="shared secret (generated and printed when omitted)")
    add.set_defaults(func=_form_add)


def _export(args: argparse.Namespace) -> int:
    """Every raw lead, the way the list's export writes them (DESIGN §5), as the first admin."""
    from sqlmodel import col, select

    from crm_app.db import read_session
    from crm_app.models import User
    from crm_app.services.auth import Actor
    from crm_app.services.raw_leads.export import export_xlsx

    with read_session() as session:
        admin = session.exec(select(User).where(User.role == "admin", User.is_active == True)  # noqa: E712
                             .order_by(col(User.id))).first()
        if admin is None:
            raise UserError("auth.denied")
        data = export_xlsx(session, Actor.of(admin))
    Path(args.output).write_bytes(data)
    print(f"Wrote {args.output}.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crm", description="Raw-lead CRM command line")
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="database migrations").add_subparsers(dest="db_command",
                                                                            required=True)
    db.add_parser("upgrade", help="apply migrations").set_defaults(func=_db_upgrade)
    rev = db.add_parser("revision", help="autogenerate a migration (developers)")
    rev.add_argument("-m", "--message", required=True)
    rev.set_defaults(func=_db_revision)

    user = sub.add_parser("user", help="users").add_subparsers(dest="user_command", required=True)
    add = user.add_parser("add", help="create a user")
    add.add_argument("username")
    add.add_argument("--full-name", required=True)
    add.add_argument("--admin", action="store_true")
    add.add_argument("--password")
    add.set_defaults(func=_user_add)

    seed = sub.add_parser("seed-demo", help="load the demo users and raw leads")
    seed.add_argument("--raw-leads", type=int, default=300)
    seed.set_defaults(func=_seed_demo)

    tpl = sub.add_parser("template", help="write the Excel import template")
    tpl.add_argument("-o", "--output", required=True)
    tpl.set_defaults(func=_template)

    imp = sub.add_parser("import", help="import raw leads from an .xlsx, .xls, .ods or .csv file")
    imp.add_argument("file")
    imp.add_argument("--sheet", help="the workbook's sheet to import (default: the first visible one)")
    imp.add_argument("--user", required=True, help="username of the importing user")
    imp.add_argument("--dedup", nargs="+", metavar="FIELD", help="duplicate criteria: field keys or labels")
    imp.add_argument("--on-duplicate", choices=("skip", "overwrite", "merge"), default="skip")
    imp.add_argument("--unknown-picklist", choices=("unknown", "reject"), default="unknown")
    imp.add_argument("--mapping", help="name of a saved column mapping")
    imp.add_argument("--dry-run", action="store_true")
    imp.add_argument("--json", action="store_true")
    imp.set_defaults(func=_import)
    _add_channel_commands(sub)
    work = sub.add_parser("worker", help="run a background consumer (channel events, imports, scheduled jobs)")
    work.add_argument("--threads", type=int, help="tasks at once (default CRM_WORKER_THREADS, 4)")
    work.add_argument("--embedded", action="store_true", help=argparse.SUPPRESS)  # the app's own consumer
    work.add_argument("--parent-pid", type=int, help="exit when this process ends")
    work.set_defaults(func=_worker)
    sub.add_parser("status", help="queue, channel events and imports: the figures of GET /metrics") \
        .set_defaults(func=_status)
    export = sub.add_parser("export", help="write every raw lead to an .xlsx file")
    export.add_argument("-o", "--output", required=True)
    export.set_defaults(func=_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from crm_app.settings import SettingsError, get_settings

    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.func
    try:
        get_settings()  # a bad environment value stops every command before it starts
        return handler(args)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    except UserError as exc:
        print(f"Lỗi: {exc.message()}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""The `crm` command: the same services as the UI (DESIGN §5)."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Sequence

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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.func
    try:
        return handler(args)
    except UserError as exc:
        print(f"Lỗi: {exc.message()}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""The command-line operations (backoffice/cli/), through ``app.test_cli_runner()``.

Each group has its module and registers its commands; the tests here start from the empty
database and state what a command needs. Further cases of each command live beside the feature
they run: import-batch in test_member_batches.py, verify-audit in test_audit_trail.py,
create-admin in test_users_admin.py, seed-bulk in test_list_performance.py, seed-demo in
test_seed.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from backoffice import cli
from backoffice.seed.demo import USERS
from models import GENESIS_HASH, MemberBatch, Role, User
from tests.factories import make_department, make_user

COMMANDS = {
    "verify-audit": cli.audit,
    "audit-checkpoint": cli.audit,
    "import-batch": cli.batches,
    "seed-demo": cli.seed,
    "seed-bulk": cli.seed,
    "create-admin": cli.users,
    "membership-nightly": cli.membership,
    "member-reminders": cli.notifications,
    "notify-digest": cli.notifications,
    "notify-resend": cli.notifications,
}


@pytest.fixture
def run(app: Any) -> Any:
    runner = app.test_cli_runner()
    return lambda *args, **kwargs: runner.invoke(args=list(args), **kwargs)


def test_each_group_registers_its_commands(app, run):
    for name, group in COMMANDS.items():
        command = app.cli.get_command(None, name)
        assert command is not None, name
        assert command.callback.__module__ == group.__name__, name
    # One line per command: its name, then the start of its summary (columns vary with names).
    listing = [" ".join(line.split()) for line in run("--help").output.splitlines()]
    for summary in (
        "audit-checkpoint Verify the audit trail and write its head, count and...",
        "create-admin Create an administrator account",
        "import-batch Import a member list (CSV or XLSX)",
        "membership-nightly Lapse and end the memberships whose day has come",
        "member-reminders Send the contribution reminders due",
        "notify-resend Queue every pending notification email again",
        "seed-bulk Load MEMBERS generated members",
        "seed-demo Load the Banten demo data.",
        "verify-audit Check the audit trail's hash chain",
    ):
        assert any(line.startswith(summary) for line in listing), summary


def test_seed_demo_on_an_empty_database_says_what_it_loaded_and_the_logins(empty_db, run):
    result = run("seed-demo")
    assert result.exit_code == 0, result.output
    first, logins, *users = result.output.splitlines()
    assert first.startswith("Demo data loaded: 7 claim, ") and first.endswith(
        " contribution_payment, 12 coverage_target, 3 department, 19 holiday_correction, 44 member,"
        " 4 member_batch,"
        " 1 member_correction, 44 member_history, 13 office, 1 office_proposal, 14 regency,"
        " 2 region, 11 user."
    )
    assert logins == "Demo logins (password: demo1234):"
    assert users == [f"  {username:<26} {name}" for username, name, _role, _scope in USERS]
    again = run("seed-demo", "--password", "rahasia-lain")
    assert again.exit_code == 0, again.output
    assert again.output.splitlines()[:2] == [
        "Demo data already present: nothing changed.",
        "Demo logins (password: as given):",
    ]


@pytest.mark.parametrize("command", ["seed-demo", "seed-bulk"])
def test_seeding_refuses_production(app, empty_db, run, command):
    app.config["BACKOFFICE_ENV"] = "production"
    result = run(command)
    assert result.exit_code == 1
    assert result.output == f"Error: {command} refuses to run in production.\n"
    assert empty_db.scalar(select(func.count()).select_from(User)) == 0


def test_verify_audit_on_an_empty_trail(empty_db, run):
    result = run("verify-audit")
    assert result.exit_code == 0, result.output
    assert result.output == f"Audit trail intact: 0 events checked.\nHead hash: {GENESIS_HASH}\n"


def test_create_admin_on_an_empty_database(empty_db, run):
    result = run("create-admin", "admin", "--password-stdin", input="langit-biru-di-serang\n")
    assert result.exit_code == 0, result.output
    assert result.output == "Administrator admin created.\n"
    admin = empty_db.scalar(select(User).where(User.username == "admin"))
    assert admin.role is Role.ADMIN and admin.full_name == "Administrator"


def test_import_batch_needs_an_active_liaison(empty_db, run, tmp_path):
    path = tmp_path / "peserta.csv"
    path.write_bytes(b"NIK;Nama Lengkap\r\n")
    department = make_department(empty_db)
    make_user(
        empty_db, Role.LIAISON, username="mantan.penghubung", department=department, active=False
    )
    make_user(empty_db, Role.BRANCH_CLERK, username="petugas", office=department.office)
    empty_db.commit()

    for username in ("tidak.ada", "mantan.penghubung"):
        result = run("import-batch", "--user", username, str(path))
        assert result.exit_code == 1
        assert result.output == f"Error: No active user {username!r}.\n"
    clerk = run("import-batch", "--user", "petugas", "--json", str(path))
    assert clerk.exit_code == 1
    assert clerk.output == (
        '{"refused": true, "code": "forbidden", "message": '
        '"Hanya penghubung dinas yang mengunggah daftar peserta."}\n'
    )
    assert empty_db.scalar(select(func.count()).select_from(MemberBatch)) == 0


def test_membership_nightly_runs_the_nightly_task_for_a_day(run):
    from backoffice.clock import today_in_jakarta

    # The demo members were brought to their status when seeded (today): nothing is due yet.
    today = today_in_jakarta()
    result = run("membership-nightly", "--day", today.isoformat())
    assert result.exit_code == 0, result.output
    assert result.output == f"{today.isoformat()}: 0 lapsed, 0 ended.\n"
    far = run("membership-nightly", "--day", "2099-01-01")
    assert far.exit_code == 0 and " 0 lapsed" not in far.output  # every active member lapses

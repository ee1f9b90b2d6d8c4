"""Command line: ``flask --app wsgi outreach ...``.

Every command is thin: parse options, call one service, commit, print. An expected failure
(:class:`outreach.errors.OutreachError`) is one clear line on stderr and exit status 1.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from outreach import models
from outreach.audit import acting_as
from outreach.db import get_session, office_scope, scope_to_office, upgrade_database
from outreach.errors import OutreachError

F = TypeVar("F", bound=Callable[..., Any])

outreach_cli = AppGroup("outreach", help="Jemput Bola: set up an office, import regions, plan.")


def one_line_errors(func: F) -> F:
    """Turn an OutreachError into ``Error: <message>`` and exit status 1, rolling back.

    Changes the command makes are recorded in the audit trail as the actor ``cli``.
    """

    @wraps(func)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            with acting_as("cli"):  # the audit trail's actor of every change it makes
                return func(*args, **kwargs)
        except OutreachError as exc:
            get_session().rollback()
            raise click.ClickException(str(exc)) from exc

    return wrapped  # type: ignore[return-value]


OFFICE_HELP = "The office (id, see 'office list'); required when there is more than one."


def office_option(func: F) -> F:
    """Add ``--office ID`` and scope the command's session to that office.

    Without ``--office`` the only office is used; with several offices that is a one-line
    error (put :func:`one_line_errors` above this decorator). Every query the command makes
    then sees that office's rows only (:func:`outreach.db.scope_to_office`), so a plan or
    request id of another office is "not found".
    """

    @click.option("--office", "office_id", type=int, default=None, help=OFFICE_HELP)
    @wraps(func)
    def wrapped(*args: Any, office_id: int | None = None, **kwargs: Any) -> Any:
        from outreach.office import select_office

        session = get_session()
        previous = office_scope(session)
        scope_to_office(session, None)  # any office may be named
        scope_to_office(session, select_office(session, office_id).id)
        try:
            return func(*args, **kwargs)
        finally:
            scope_to_office(session, previous)

    return wrapped  # type: ignore[return-value]


@outreach_cli.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema (Alembic migrations)."""
    upgrade_database(current_app.config["DATABASE_URL"])
    click.echo("Database schema is up to date.")


@outreach_cli.command("create-user")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", type=click.Choice([r.value for r in models.Role]), default="coordinator")
@click.option("--full-name", default="")
@click.option("--team", "team_name", default=None, help="The team a team_lead leads (name or id).")
@click.option("--office", "office_id", type=int, default=None, help=OFFICE_HELP)
@one_line_errors
def create_user(
    username: str,
    password: str,
    role: str,
    full_name: str,
    team_name: str | None,
    office_id: int | None,
) -> None:
    """Create a staff account (or reset its password, role and team).

    A ``province`` account belongs to no office: it sees every office's dashboard figures.
    """
    from outreach import staff
    from outreach.office import list_offices, select_office

    session = get_session()
    office: models.Office | None = None
    province = role == models.Role.PROVINCE.value
    if province:
        if office_id is not None or team_name:
            raise OutreachError("A province account has no office and no team.")
    elif office_id is not None or list_offices(session):
        office = select_office(session, office_id)
    try:
        user = staff.create_user(
            session,
            office,
            username=username,
            password=password,
            role=role,
            full_name=full_name,
            team=team_name,
            replace=True,
        )
    except staff.StaffError as exc:
        # The command line keeps its options in its messages.
        english = {
            "password_short": f"Password must be at least {staff.MIN_PASSWORD} characters.",
            "team_required": "A team_lead needs --team NAME (the team they lead).",
            "team_unknown": f"No team {team_name!r} in the office (see 'team list').",
            "team_not_lead": "--team is only for --role team_lead.",
        }
        raise OutreachError(english.get(exc.code, str(exc))) from exc
    session.commit()
    suffix = f", team {team_name}" if user.team_id else ""
    click.echo(f"User {username} ({role}{suffix}) saved.")


# --- office setup (outreach.office) ---

office_cli = AppGroup("office", help="The office: depot, working hours, card capacity.")
team_cli = AppGroup("team", help="Mobile recording teams.")
outreach_cli.add_command(office_cli)
outreach_cli.add_command(team_cli)


def _office_settings_options(func: F) -> F:
    """The options ``office set`` and ``office add`` share."""
    for option in reversed(
        (
            click.option("--name", required=True, help='E.g. "Disdukcapil Kota Yogyakarta".'),
            click.option(
                "--region", "region_slug", required=True, help="An imported region pack slug."
            ),
            click.option("--depot", required=True, help="Office location as LON,LAT."),
            click.option("--address", default=""),
            click.option("--work-hours", default=None, help="HH:MM-HH:MM (default 08:00-15:00)."),
            click.option("--sync-deadline", default=None, help="HH:MM teams must be back to sync."),
            click.option("--card-capacity", type=int, default=None, help="Cards printed per day."),
            click.option("--printers", type=int, default=None),
            click.option(
                "--working-days",
                default=None,
                help="Weekdays with home visits, 0 = Monday, e.g. 0,1,2,3,4 (the default; "
                "never Sunday).",
            ),
            click.option(
                "--collective-max",
                type=int,
                default=None,
                help="Most persons in one collective visit part.",
            ),
        )
    ):
        func = option(func)
    return func


@office_cli.command("set")
@_office_settings_options
@click.option("--office", "office_id", type=int, default=None, help=OFFICE_HELP)
@one_line_errors
def office_set(office_id: int | None, **values: Any) -> None:
    """Create the office or update it (--office ID: that one). A second office: 'office add'."""
    from outreach import office as svc

    session = get_session()
    target = svc.select_office(session, office_id) if office_id is not None else None
    office = _configure(session, values, office=target)
    session.commit()
    click.echo(_describe_office(office))


@office_cli.command("add")
@_office_settings_options
@one_line_errors
def office_add(**values: Any) -> None:
    """Add another office to the installation (its own region; never renames another)."""
    office = _configure(get_session(), values, new=True)
    get_session().commit()
    click.echo(f"Office #{office.id} added: " + _describe_office(office))


@office_cli.command("list")
@one_line_errors
def office_list() -> None:
    """List the offices of the installation (id, name, region, public path)."""
    from outreach.office import list_offices

    offices = list_offices(get_session())
    if not offices:
        click.echo("No office yet: run 'office set' (or 'seed-demo').")
    for office in offices:
        path = f"/{office.region_slug}/layanan/"
        click.echo(f"{office.id:>4}  {office.name:<36} {office.region_slug:<20} {path}")


def _configure(
    session: Any, values: dict[str, Any], *, office: models.Office | None = None, new: bool = False
) -> models.Office:
    """Call :func:`outreach.office.configure_office` with the options as typed."""
    from outreach import office as svc

    work_hours, sync = values["work_hours"], values["sync_deadline"]
    return svc.configure_office(
        session,
        name=values["name"],
        region_slug=values["region_slug"],
        depot=svc.parse_lonlat(values["depot"]),
        address=values["address"],
        work_hours=svc.parse_time_range(work_hours) if work_hours else None,
        sync_deadline=svc.parse_time(sync) if sync else None,
        daily_card_capacity=values["card_capacity"],
        printers=values["printers"],
        working_weekdays=_weekdays(values["working_days"]) if values["working_days"] else None,
        collective_max_persons=values["collective_max"],
        office=office,
        new=new,
    )


def _weekdays(text: str) -> list[int]:
    """``0,1,2`` -> [0, 1, 2]; anything else is a one-line error."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts or not all(p.isdecimal() and len(p) == 1 for p in parts):
        raise OutreachError(f"--working-days takes weekday numbers 0-5 (0 = Monday), not {text!r}.")
    return [int(p) for p in parts]


@office_cli.command("show")
@one_line_errors
@office_option
def office_show() -> None:
    """Print the office and its teams."""
    from outreach import office as svc

    office = svc.get_office(get_session())
    click.echo(_describe_office(office))
    for team in office.teams:
        click.echo(_describe_team(team))


def _describe_office(office: models.Office) -> str:
    from outreach.office import working_weekdays

    return (
        f"{office.name} ({office.region_slug}, {office.region_code}); depot "
        f"{office.depot_lon:.5f},{office.depot_lat:.5f}; hours {office.work_start:%H:%M}-"
        f"{office.work_end:%H:%M}, sync by {office.sync_deadline:%H:%M}; "
        f"{office.daily_card_capacity} cards/day on {office.printers} printer(s); "
        f"home visits on weekdays {','.join(str(d) for d in working_weekdays(office))}"
    )


def _describe_team(team: models.Team) -> str:
    extra = f", max {team.max_stops} stops" if team.max_stops else ""
    return (
        f"  {team.name}: {team.shift_start:%H:%M}-{team.shift_end:%H:%M}{extra}; "
        f"skills {', '.join(team.skills) or '-'}; members {', '.join(team.members) or '-'}"
    )


@team_cli.command("add")
@click.argument("name")
@click.option("--skills", required=True, help="Comma-separated services and traits.")
@click.option("--members", default="", help="Semicolon-separated names.")
@click.option("--shift", default=None, help="HH:MM-HH:MM (default: office hours).")
@click.option("--friday", default=None, help="Friday shift HH:MM-HH:MM, or 'off'.")
@click.option("--saturday", default=None, help="Saturday shift HH:MM-HH:MM, or 'off'.")
@click.option("--max-stops", type=int, default=None)
@click.option("--start", default=None, help="Own start point LON,LAT (default: the office).")
@one_line_errors
@office_option
def team_add(
    name: str,
    skills: str,
    members: str,
    shift: str | None,
    friday: str | None,
    saturday: str | None,
    max_stops: int | None,
    start: str | None,
) -> None:
    """Add a team, or update the team with this name."""
    from outreach import office as svc

    session = get_session()
    weekday_shifts: dict[int, Any] = {}
    for day, text in ((4, friday), (5, saturday)):
        if text:
            weekday_shifts[day] = None if text == "off" else svc.parse_time_range(text)
    team = svc.save_team(
        session,
        svc.get_office(session),
        name=name,
        skills=[s.strip() for s in skills.split(",") if s.strip()],
        members=[m.strip() for m in members.split(";") if m.strip()],
        shift=svc.parse_time_range(shift) if shift else None,
        weekday_shifts=weekday_shifts or None,
        max_stops=max_stops,
        start=svc.parse_lonlat(start) if start else None,
    )
    session.commit()
    click.echo("Saved:" + _describe_team(team)[1:])


@team_cli.command("list")
@one_line_errors
@office_option
def team_list() -> None:
    """List the teams."""
    from outreach import office as svc

    for team in svc.get_office(get_session()).teams:
        click.echo(_describe_team(team))


# --- region packs (outreach.geo) ---

region_cli = AppGroup("region", help="Region packs: boundaries and roads (see maps/README.md).")
outreach_cli.add_command(region_cli)


@region_cli.command("import")
@click.argument("slug_or_path")
@one_line_errors
def region_import(slug_or_path: str) -> None:
    """Import a region pack (slug or folder): boundaries into the database, roads cached."""
    from outreach.geo.regions import import_pack

    report = import_pack(
        get_session(),
        slug_or_path,
        search_dirs=current_app.config["REGIONS_DIRS"],
        cache_dir=current_app.config["CACHE_DIR"],
    )
    get_session().commit()
    click.echo(f"Imported {report.describe()}")


@region_cli.command("check")
@click.argument("slug_or_path")
@one_line_errors
def region_check(slug_or_path: str) -> None:
    """Validate a region pack without writing to the database."""
    from outreach.geo.regions import check_pack

    report = check_pack(
        slug_or_path,
        search_dirs=current_app.config["REGIONS_DIRS"],
        cache_dir=current_app.config["CACHE_DIR"],
    )
    click.echo(f"OK {report.describe()}")


@region_cli.command("list")
@one_line_errors
def region_list() -> None:
    """List the region packs found in REGIONS_DIRS and which are imported."""
    from outreach.geo.regions import list_regions

    search_dirs = current_app.config["REGIONS_DIRS"]
    listings = list_regions(get_session(), search_dirs=search_dirs)
    if not listings:
        click.echo(f"No region packs found in: {', '.join(map(str, search_dirs))}")
    for item in listings:
        roads = item.pack.roads_file.name if item.pack.roads_file else "no roads"
        mark = "imported" if item.imported else "-"
        click.echo(
            f"{item.pack.slug:<24} {item.pack.code:<8} {item.pack.name:<28} {roads:<18} {mark}"
        )


# --- demo data ---


@outreach_cli.command("seed-demo")
@click.option("--requests", "n_requests", type=click.IntRange(1, 5000), default=150)
@click.option("--seed", type=int, default=42, help="Same seed, same demo.")
@click.option("--region", "region_slug", default=None, help="Default: DEFAULT_REGION.")
@click.option("--reset", is_flag=True, help="Replace earlier demo data.")
@one_line_errors
def seed_demo(n_requests: int, seed: int, region_slug: str | None, reset: bool) -> None:
    """Create a demo office, 4 teams, staff accounts and requests on an imported region."""
    from outreach.demo import seed_demo_data

    summary = seed_demo_data(
        get_session(),
        region_slug=region_slug or current_app.config["DEFAULT_REGION"],
        cache_dir=current_app.config["CACHE_DIR"],
        now=models.utcnow(),
        n_requests=n_requests,
        seed=seed,
        reset=reset,
    )
    get_session().commit()
    mix = ", ".join(f"{cat} {n}" for cat, n in sorted(summary.by_category.items()))
    states = ", ".join(f"{status} {n}" for status, n in sorted(summary.by_status.items()))
    replaced = f" (replaced {summary.replaced})" if summary.replaced else ""
    click.echo(
        f"{summary.office}: {summary.teams} teams, {summary.requests} requests{replaced} "
        f"for {summary.persons} persons, {summary.letters} letters"
    )
    click.echo(f"  categories: {mix}")
    click.echo(f"  status: {states}")
    if summary.users_created:
        click.echo(f"  staff: {', '.join(summary.users_created)} (password: jemputbola)")
    if summary.users_kept:
        click.echo(f"  existing accounts left unchanged: {', '.join(summary.users_kept)}")


# --- planning ---


@outreach_cli.command("plan")
@click.option(
    "--date", "start", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day."
)
@click.option("--days", default=1, show_default=True, help="Working days to plan.")
@click.option("--teams", default="", help="Comma-separated team ids or names (default: all).")
@click.option("--seed", type=int, default=None, help="Default: PLANNING_SEED.")
@click.option("--replan-approved", is_flag=True, help="Plan approved routes of the days again.")
@click.option("--approve", is_flag=True, help="Approve the plan right away.")
@click.option("--allow-past", is_flag=True, help="Accept a --date before the office's today.")
@click.option("--queue", is_flag=True, help="Put it on the RQ queue (OUTREACH_REDIS_URL).")
@one_line_errors
@office_option
def plan_command(
    start: Any,
    days: int,
    teams: str,
    seed: int | None,
    replan_approved: bool,
    approve: bool,
    allow_past: bool,
    queue: bool,
) -> None:
    """Plan routes for the backlog from --date over --days working days.

    With --queue the plan is made by a worker (``outreach worker``); the job id is printed.
    """
    import datetime as dt
    from zoneinfo import ZoneInfo

    from outreach.geo.network import travel_model_for
    from outreach.office import get_office
    from outreach.planning.service import approve_plan, create_plan, describe_plan

    session = get_session()
    office = get_office(session)
    today = dt.datetime.now(ZoneInfo(office.timezone)).date()
    if start.date() < today and not allow_past:
        msg = f"--date {start.date().isoformat()} is before today ({today.isoformat()})"
        raise click.UsageError(f"{msg}; pass --allow-past to plan it anyway.")
    if queue:
        from outreach.cli_jobs import enqueue_plan

        params = {
            "start": start.date().isoformat(),
            "days": days,
            "teams": [t.strip() for t in teams.split(",") if t.strip()],
            "replan": replan_approved,
            "seed": seed,
            "approve": approve,
        }
        click.echo(enqueue_plan(office, params))
        return
    travel = travel_model_for(
        office.region_slug,
        search_dirs=current_app.config["REGIONS_DIRS"],
        cache_dir=current_app.config["CACHE_DIR"],
    )
    plan = create_plan(
        session,
        travel,
        start_date=start.date(),
        days=days,
        teams=[t for t in teams.split(",") if t.strip()] or None,
        seed=current_app.config["PLANNING_SEED"] if seed is None else seed,
        keep_approved=not replan_approved,
        office=office,
    )
    if approve:
        approve_plan(session, plan.id, actor="cli")
    session.commit()
    click.echo("\n".join(describe_plan(plan)))
    from outreach.coverage import sweep_lines

    for line in sweep_lines(session, plan):  # what each day covers of the coverage sweeps
        click.echo(line)


@outreach_cli.command("plan-approve")
@click.argument("plan_id", type=int)
@one_line_errors
@office_option
def plan_approve_command(plan_id: int) -> None:
    """Approve draft plan PLAN_ID: its requests become terjadwal."""
    from outreach.planning.service import approve_plan

    session = get_session()
    plan = approve_plan(session, plan_id, actor="cli")
    session.commit()
    click.echo(f"Plan #{plan.id} approved: {sum(len(r.stops) for r in plan.routes)} visits.")


@outreach_cli.command("plan-insert")
@click.argument("request_id", type=int)
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None)
@one_line_errors
@office_option
def plan_insert_command(request_id: int, day: Any) -> None:
    """Insert urgent request REQUEST_ID into the day's routes (default: today) at least cost."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from outreach.geo.network import travel_model_for
    from outreach.office import get_office
    from outreach.planning.service import insert_urgent

    session = get_session()
    office = get_office(session)
    travel = travel_model_for(
        office.region_slug,
        search_dirs=current_app.config["REGIONS_DIRS"],
        cache_dir=current_app.config["CACHE_DIR"],
    )
    on = day.date() if day else dt.datetime.now(ZoneInfo(office.timezone)).date()
    answer = insert_urgent(session, travel, request_id=request_id, day=on, office=office)
    session.commit()
    if answer.stop is None:
        reason = answer.unassigned.message if answer.unassigned else "-"
        click.echo(f"Request {request_id} not inserted: {reason}")
        return
    stop = answer.stop
    click.echo(
        f"Request {request_id}: stop {stop.sequence} of {stop.route.team.name} on {on}, "
        f"ETA {stop.arrival_at:%H:%M}, +{answer.added_travel_s // 60} min travel."
    )


# --- intake ---

intake_cli = AppGroup("intake", help="Request intake: letter templates, duplicate check.")
outreach_cli.add_command(intake_cli)


@intake_cli.command("template")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@one_line_errors
def intake_template(path: str) -> None:
    """Write the resident list template for letters (PATH ends in .xlsx or .csv)."""
    from pathlib import Path

    from outreach.intake.letters import template_csv, template_xlsx

    if path.lower().endswith(".xlsx"):
        body = template_xlsx()
    elif path.lower().endswith(".csv"):
        body = template_csv()
    else:
        raise OutreachError("PATH must end in .xlsx or .csv.")
    Path(path).write_bytes(body)
    click.echo(f"Template written to {path}.")


@intake_cli.command("duplicates")
@one_line_errors
@office_option
def intake_duplicates() -> None:
    """List open requests that look like another open request (codes only, no NIK/phone)."""
    from outreach.intake.dedupe import OPEN_STATUSES, find_duplicates
    from outreach.office import get_office

    session = get_session()
    office = get_office(session)
    rows = session.scalars(
        select(models.ServiceRequest)
        .where(
            models.ServiceRequest.office_id == office.id,
            models.ServiceRequest.status.in_(OPEN_STATUSES),
        )
        .order_by(models.ServiceRequest.created_at)
    )
    found = 0
    for req in rows:
        for dup in find_duplicates(session, req):
            if (dup.request.created_at, dup.request.id) < (req.created_at, req.id):  # once per pair
                click.echo(f"{dup.request.tracking_code} <- {req.tracking_code} ({dup.reason})")
                found += 1
    click.echo(f"{found} possible duplicate(s).")


@outreach_cli.command("sheets")
@click.option("--date", "day", required=True, type=click.DateTime(["%Y-%m-%d"]), help="The day.")
@click.option("--team", "team_name", default=None, help="Only this team (name).")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="PDF.")
@one_line_errors
@office_option
def sheets_command(day: Any, team_name: str | None, out_path: str) -> None:
    """Write the route sheets of the approved routes of --date (every team, or --team) as PDF."""
    from pathlib import Path

    from outreach.office import get_office
    from outreach.render.sheets import printable_routes
    from outreach.web.sheets import build_sheets, public_base_url, sheets_pdf

    session = get_session()
    office = get_office(session)
    routes = printable_routes(session, day.date(), office_id=office.id, team_name=team_name)
    # URLs on paper (QR codes) need a request context: PUBLIC_URL or the local default.
    with current_app.test_request_context(base_url=public_base_url()):
        pdf = sheets_pdf(build_sheets(session, office, routes))
    try:
        Path(out_path).write_bytes(pdf)
    except OSError as exc:
        raise OutreachError(f"{out_path}: cannot write ({exc.strerror or exc})") from exc
    click.echo(f"{out_path}: {len(routes)} route sheet(s), {len(pdf)} bytes.")


@outreach_cli.command("export")
@click.option("--what", required=True, type=click.Choice(["requests", "plans", "outcomes"]))
@click.option("--format", "fmt", required=True, type=click.Choice(["csv", "geojson"]))
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="File.")
@click.option("--plan", "plan_id", default=None, help="Plans: one plan (id).")
@click.option("--from", "date_from", default=None, help="Plans/outcomes: first day, YYYY-MM-DD.")
@click.option("--to", "date_to", default=None, help="Plans/outcomes: last day, YYYY-MM-DD.")
@click.option("--status", default=None, help="Requests: only this status (e.g. terverifikasi).")
@click.option("--masked", is_flag=True, help="Mask NIK and phone numbers (files to share).")
@one_line_errors
@office_option
def export_command(
    what: str,
    fmt: str,
    out_path: str,
    plan_id: str | None,
    date_from: str | None,
    date_to: str | None,
    status: str | None,
    masked: bool,
) -> None:
    """Write the office's requests, plans (routes and stops) or outcomes as CSV or GeoJSON."""
    from pathlib import Path

    from outreach.exports import audit_export, build_export, parse_export_options
    from outreach.office import get_office

    options = parse_export_options(
        what, fmt, plan=plan_id, date_from=date_from, date_to=date_to, status=status
    )
    session = get_session()
    export = build_export(session, get_office(session).id, options, personal=not masked)
    try:
        Path(out_path).write_bytes(export.body)
    except OSError as exc:
        raise OutreachError(f"{out_path}: cannot write ({exc.strerror or exc})") from exc
    audit_export(session, options, export, actor="cli", personal=not masked)
    session.commit()
    click.echo(f"{out_path}: {export.rows} rows ({what}, {fmt}).")


def register_cli(app: Flask) -> None:
    """Attach the ``outreach`` command group to ``app``."""
    # Importing these adds their commands to outreach_cli: calendar ...; worker, plan-all, job,
    # region queue-import; purge, backup, restore.
    from outreach import (  # noqa: F401
        cli_appointments,
        cli_calendar,
        cli_coverage,
        cli_jobs,
        cli_ops,
        cli_programmes,
        cli_remote,
    )

    app.cli.add_command(outreach_cli)

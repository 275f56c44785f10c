"""``user``: the people who may use the HTTP API and the pages (``paths.users``): add, passwd, token, remove,
list."""

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ccswitch.cli._root import config_option, main
from ccswitch.errors import CcswitchError

if TYPE_CHECKING:
    from ccswitch.auth.users import User


@main.group()
def user() -> None:
    """The people who may use the HTTP API and the pages (paths.users): add, passwd, token, remove, list."""


def _users_file(config_path: Path) -> Path:
    from ccswitch.campaign_files import load_config

    try:
        return load_config(config_path).paths.users
    except CcswitchError as exc:
        raise click.ClickException(str(exc)) from exc


def _read_users(path: Path) -> dict[str, "User"]:
    from ccswitch.auth.users import load_users

    try:
        return load_users(path)
    except CcswitchError as exc:
        raise click.ClickException(str(exc)) from exc


def _new_password(name: str) -> str:
    password: str = click.prompt(f"password for {name}", hide_input=True, confirmation_prompt=True)
    return password


@user.command("add")
@config_option
@click.argument("name")
@click.option("--role", type=click.Choice(["agent", "supervisor", "admin"]), required=True)
@click.option("--agent", "agent_id", help="The agent id (agents.yaml) an agent user works as.")
@click.option("--supervisor", help="The supervisor id (supervisors.yaml) a supervisor (or admin) monitors as.")
def user_add(config_path: Path, name: str, role: str, agent_id: str | None, supervisor: str | None) -> None:
    """Add a user; asks for the password (stored as an argon2 hash, never as typed)."""
    from ccswitch.auth.users import Role, User, save_users, with_password

    path = _users_file(config_path)
    users = _read_users(path)
    if name in users:
        raise click.ClickException(f"user {name} exists (ccswitch user passwd changes the password)")
    if (role == "agent" and agent_id is None) or (role == "supervisor" and supervisor is None):
        raise click.UsageError(f"a {role} user needs --{role}")
    try:
        users[name] = with_password(User(name, Role(role), agent=agent_id, supervisor=supervisor),
                                    _new_password(name))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    save_users(path, users)
    click.echo(f"added {role} {name} to {path}")


def _users_with(config_path: Path, name: str) -> tuple[Path, dict[str, "User"]]:
    """The users file and its users, which must include ``name``."""
    path = _users_file(config_path)
    users = _read_users(path)
    if name not in users:
        raise click.ClickException(f"no user {name} in {path}")
    return path, users


@user.command("passwd")
@config_option
@click.argument("name")
def user_passwd(config_path: Path, name: str) -> None:
    """Set a user's password (their sessions go on until they log out or expire)."""
    from ccswitch.auth.users import save_users, with_password

    path, users = _users_with(config_path, name)
    try:
        users[name] = with_password(users[name], _new_password(name))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    save_users(path, users)
    click.echo(f"password of {name} changed")


@user.command("token")
@config_option
@click.argument("name")
@click.argument("label")
def user_token(config_path: Path, name: str, label: str) -> None:
    """Make an API token for a user's scripts (shown once: only its SHA-256 is kept); a LABEL used before is
    replaced. Send it as CCSWITCH_TOKEN to the CLI, as 'Authorization: Bearer <token>' to the API."""
    from ccswitch.auth.users import new_token, save_users, with_token

    path, users = _users_with(config_path, name)
    token = new_token()
    users[name] = with_token(users[name], label, token)
    save_users(path, users)
    click.echo(token)


@user.command("remove")
@config_option
@click.argument("name")
def user_remove(config_path: Path, name: str) -> None:
    """Remove a user: their sessions and tokens stop working at once."""
    from ccswitch.auth.users import save_users

    path = _users_file(config_path)
    users = _read_users(path)
    if users.pop(name, None) is None:
        raise click.ClickException(f"no user {name} in {path}")
    save_users(path, users)
    click.echo(f"removed {name}")


@user.command("list")
@config_option
def user_list(config_path: Path) -> None:
    """Every user: role, agent or supervisor id, token labels."""
    for each in _read_users(_users_file(config_path)).values():
        bound = each.agent or each.supervisor or "-"
        click.echo(f"{each.name:<16} {each.role.value:<11} {bound:<8} {', '.join(each.tokens) or '-'}")

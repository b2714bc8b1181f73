"""``qmlsec serve``: run the inference service, and manage its keys and models offline.

``qmlsec serve [OPTIONS]`` starts the HTTP service (uvicorn, loopback by default).
``qmlsec serve keys new|create|list|revoke`` and ``qmlsec serve models
register|list|remove`` act directly on the service database, so a first admin key and
first models can be set up before the service runs (or while it runs).

Example:
    >>> from typer.testing import CliRunner
    >>> from qmlsec.cli.serve import app
    >>> CliRunner().invoke(app, ["keys", "new"]).output.startswith("qk_")
    True
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from qmlsec.cli.output import console, emit_json, handle_errors
from qmlsec.exceptions import ArtifactError, ConfigError, NotFoundError
from qmlsec.service.auth import KeyStore, check_scopes, new_key
from qmlsec.service.db import Database
from qmlsec.service.registry import ModelRegistry
from qmlsec.service.runner import ArtifactLoader
from qmlsec.service.settings import ServiceSettings

app = typer.Typer(
    help="Run the QMLaaS inference service (FastAPI + uvicorn) and manage its keys/models.",
    invoke_without_command=True,
    no_args_is_help=False,
)
keys_app = typer.Typer(help="API keys in the service database.", no_args_is_help=True)
models_app = typer.Typer(help="Models served by the service.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(models_app, name="models")

DataDir = Annotated[Path | None, typer.Option(help="Folder of the SQLite database and audit log.")]
DbUrl = Annotated[
    str | None, typer.Option(help="SQLAlchemy URL of the service database (any backend).")
]


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """Seconds of a duration such as ``3600``, ``90m``, ``12h`` or ``30d``.

    Example:
        >>> parse_duration("12h"), parse_duration("45")
        (43200.0, 45.0)
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    seconds = 0.0 if match is None else float(match.group(1)) * _UNITS[match.group(2) or "s"]
    if seconds <= 0:
        raise ConfigError(
            f"invalid duration {text!r}", hint="use a positive number with s, m, h or d, e.g. 30d"
        )
    return seconds


def _settings(data_dir: Path | None, database_url: str | None, **more: object) -> ServiceSettings:
    return ServiceSettings.from_env(data_dir=data_dir, database_url=database_url, **more)


def _database(data_dir: Path | None, database_url: str | None, *, create: bool) -> Database:
    """The service database; commands that only read or remove need an existing one."""
    raw = _settings(data_dir, database_url).resolved_database_url()
    try:
        url = make_url(raw)
    except ArgumentError:
        return Database(raw)  # raises the configuration error that names the URL
    sqlite_file = url.database if url.get_backend_name() == "sqlite" else None
    missing = sqlite_file not in (None, "", ":memory:") and not Path(str(sqlite_file)).is_file()
    if missing and not create:
        raise NotFoundError(
            f"no service database at {sqlite_file}",
            hint="issue a key with `qmlsec serve keys create` or run the service first",
        )
    return Database(raw)


def _check_backends(names: list[str]) -> None:
    """Every offered backend names a known device (or ``ideal``) before anything starts."""
    from qmlsec.cloud.devices import get_device

    for name in names:
        get_device(name)


@app.callback()
@handle_errors
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
    audit_log: Annotated[Path | None, typer.Option(help="JSON-lines audit file.")] = None,
    admin_key: Annotated[
        str | None,
        typer.Option(envvar="QMLSEC_ADMIN_KEY", help="Bootstrap admin key (qk_<id>.<secret>)."),
    ] = None,
    model_root: Annotated[
        Path | None, typer.Option(help="Only serve artifacts inside this folder.")
    ] = None,
    signing_key: Annotated[
        Path | None, typer.Option(help="Ed25519 public key (PEM) of artifact signatures.")
    ] = None,
    require_signature: Annotated[
        bool, typer.Option(help="Refuse artifacts without a valid signature.")
    ] = False,
    backend: Annotated[
        list[str] | None, typer.Option(help="Offered backend/device (repeat); first is default.")
    ] = None,
    requests_per_minute: Annotated[int | None, typer.Option(help="Requests/min per key.")] = None,
    daily_samples: Annotated[int | None, typer.Option(help="Samples/day per key.")] = None,
    daily_shots: Annotated[int | None, typer.Option(help="Shots/day per key.")] = None,
    max_batch: Annotated[int | None, typer.Option(help="Most samples per request.")] = None,
    max_shots: Annotated[int | None, typer.Option(help="Most shots per circuit.")] = None,
    max_body_bytes: Annotated[
        int | None, typer.Option(help="Largest request body (413 beyond; jobs have their own).")
    ] = None,
    concurrent_per_key: Annotated[
        int | None, typer.Option(help="Requests of one key served at once (429 beyond).")
    ] = None,
    metrics_public: Annotated[
        bool, typer.Option(help="Serve /metrics without a key (it names every model).")
    ] = False,
    torch_threads: Annotated[
        int, typer.Option(min=1, help="torch threads per request (requests run in parallel).")
    ] = 1,
    monitor: Annotated[
        str, typer.Option(help="Extraction monitor: none, volume:N, prada or prada:DELTA.")
    ] = "none",
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    access_log: Annotated[bool, typer.Option(help="uvicorn access log.")] = False,
) -> None:
    """Serve registered models over HTTP until interrupted (Ctrl-C stops it gracefully)."""
    if ctx.invoked_subcommand is not None:
        return
    import torch
    import uvicorn

    from qmlsec.service.app import create_app, freeze_heap

    torch.set_num_threads(torch_threads)
    _check_backends(list(backend or []))

    settings = _settings(
        data_dir,
        database_url,
        audit_log=audit_log,
        bootstrap_admin_key=admin_key,
        model_root=model_root,
        signing_key=signing_key,
        require_signature=require_signature or None,
        backends=tuple(backend) if backend else None,
        requests_per_minute=requests_per_minute,
        daily_samples=daily_samples,
        daily_shots=daily_shots,
        max_batch=max_batch,
        max_shots=max_shots,
        max_body_bytes=max_body_bytes,
        concurrent_per_key=concurrent_per_key,
        metrics_public=metrics_public or None,
    )
    from qmlsec.service.monitor import make_monitor

    service = create_app(settings, monitor=make_monitor(monitor))
    freeze_heap()
    console.print(
        f"[bold]qmlsec service[/] on http://{host}:{port} "
        f"(database {make_url(settings.resolved_database_url()).render_as_string()}, "
        f"audit {settings.resolved_audit_log()})"
    )
    uvicorn.run(service, host=host, port=port, log_level=log_level, access_log=access_log)


@keys_app.command("new")
def keys_new() -> None:
    """Print a fresh key to use as QMLSEC_ADMIN_KEY (nothing is stored)."""
    typer.echo(new_key()[1])


@keys_app.command("create")
@handle_errors
def keys_create(
    tenant: Annotated[str, typer.Option(help="Tenant owning the key.")],
    scope: Annotated[list[str], typer.Option(help="predict and/or admin (repeat).")],
    name: Annotated[str, typer.Option(help="Label.")] = "",
    expires_in: Annotated[
        str | None,
        typer.Option(help="Lifetime, e.g. 3600, 90m, 12h or 30d (default: never expires)."),
    ] = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Issue a key; prints it once, as JSON."""
    lifetime = None if expires_in is None else parse_duration(expires_in)
    scopes = check_scopes(scope)  # before the database is created
    store = KeyStore(_database(data_dir, database_url, create=True))
    info, key = store.create(tenant, scopes, name=name, expires_in=lifetime)
    emit_json(
        {
            "key": key,
            "key_id": info.key_id,
            "tenant": tenant,
            "scopes": info.scopes,
            "expires_at": info.expires_at,
        }
    )


@keys_app.command("list")
@handle_errors
def keys_list(data_dir: DataDir = None, database_url: DbUrl = None) -> None:
    """List keys (never their secrets)."""
    store = KeyStore(_database(data_dir, database_url, create=False))
    emit_json([vars(k) for k in store.list()])


@keys_app.command("revoke")
@handle_errors
def keys_revoke(key_id: str, data_dir: DataDir = None, database_url: DbUrl = None) -> None:
    """Revoke a key by its id (the last usable admin key cannot be revoked)."""
    store = KeyStore(_database(data_dir, database_url, create=False))
    emit_json(vars(store.revoke(key_id)))


def _registry(data_dir: Path | None, database_url: str | None, *, create: bool) -> ModelRegistry:
    s = _settings(data_dir, database_url)
    return ModelRegistry(
        _database(data_dir, database_url, create=create),
        ArtifactLoader(),
        model_root=s.model_root,
        signing_key=s.signing_key,
        require_signature=s.require_signature,
    )


@models_app.command("register")
@handle_errors
def models_register(
    model_id: str,
    path: Path,
    tenant: Annotated[str, typer.Option(help="Tenant owning the model.")],
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Verify a saved model artifact and serve it as MODEL_ID."""
    if not path.is_dir():  # before the database is created
        raise ArtifactError(f"no artifact folder at {path}", hint="pass a saved model folder")
    ArtifactLoader().inspect(path)
    record = _registry(data_dir, database_url, create=True).register(
        model_id, path, tenant, by="cli"
    )
    emit_json(vars(record))


@models_app.command("list")
@handle_errors
def models_list(data_dir: DataDir = None, database_url: DbUrl = None) -> None:
    """List registered models."""
    emit_json([vars(r) for r in _registry(data_dir, database_url, create=False).list()])


@models_app.command("remove")
@handle_errors
def models_remove(model_id: str, data_dir: DataDir = None, database_url: DbUrl = None) -> None:
    """Stop serving MODEL_ID."""
    emit_json(vars(_registry(data_dir, database_url, create=False).remove(model_id)))

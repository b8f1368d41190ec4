"""`srvmon check` for Cloudflare: the token (set, valid, active), the account, and each read permission."""

from __future__ import annotations

from datetime import datetime, timedelta

from srvmon.model import Health
from srvmon.providers.base import ProviderError
from srvmon.providers.cloudflare import graphql as gq
from srvmon.providers.cloudflare.client import CloudflareClient, TokenMissing
from srvmon.providers.cloudflare.discovery import Discovery
from srvmon.providers.httpio import HttpError

ANALYTICS = "Account Analytics Read"
SCRIPTS = "Workers Scripts Read"
OBSERVABILITY = "Workers Observability Read"


def _refused(exc: Exception) -> bool:
    return isinstance(exc, HttpError) and exc.status in (401, 403)


def _verify(client: CloudflareClient) -> str:
    """The token's status from /user/tokens/verify, or /accounts/{id}/tokens/verify for account-owned
    tokens. Raises what the second attempt raised when both refuse."""
    try:
        answer = client.rest("GET", "/user/tokens/verify", "tokens_verify")
    except (HttpError, ProviderError) as first:
        if isinstance(first, HttpError) and first.status is None:
            raise
        answer = client.rest("GET", f"/accounts/{client.options.account_id}/tokens/verify", "tokens_verify")
    result = answer.get("result") if isinstance(answer, dict) else None
    return str(result.get("status") or "unknown") if isinstance(result, dict) else "unknown"


def run_check(client: CloudflareClient, discovery: Discovery, now: datetime) -> Health:
    opts = client.options
    env = opts.api_token_env
    try:
        client.token()
    except TokenMissing as exc:
        return Health(ok=False, message=str(exc))
    try:
        status = _verify(client)
    except HttpError as exc:
        if exc.status is None:
            return Health(ok=False, message=f"cannot reach the Cloudflare API at {opts.endpoint}: {exc}")
        return Health(
            ok=False,
            message=f"Cloudflare refused the API token in {env}: {exc}",
            details=("create a new API token (My Profile > API Tokens) and export it as " + env,),
        )
    except ProviderError as exc:
        return Health(ok=False, message=f"Cloudflare refused the API token in {env}: {exc}")
    if status != "active":
        return Health(
            ok=False, message=f"the API token in {env} is {status}, not active: roll or re-enable it"
        )
    details = [f"token: active ({env})"]
    missing: list[str] = []
    problems: list[str] = []

    # analytics: one small query of the dataset (1 of the GraphQL budget)
    end = now.replace(second=0, microsecond=0)
    node = gq.Node(
        "probe", "datetimeMinute", (), end - timedelta(minutes=5), end, sums=("requests",), limit=1
    )
    built = gq.build_query(opts.account_id, [node])
    try:
        answer = client.graphql(built.text, built.variables, queries=1)
        account = gq.account_node(answer.data)
        words = "; ".join(str(e.get("message")) for e in answer.errors)
        if account is None and not answer.errors:
            problems.append(
                f"account {opts.account_id} is not visible to this token: check account_id and the token's "
                "Account Resources"
            )
        elif answer.errors:
            if any(w in words.lower() for w in ("not authorized", "authz", "permission")):
                missing.append(ANALYTICS)
            problems.append(f"analytics: {gq.explain(words)}")
        else:
            details.append(f"analytics: {gq.DATASET} answers (data is sampled)")
    except ProviderError as exc:
        if _refused(exc):
            missing.append(ANALYTICS)
        problems.append(f"analytics: {exc}")

    try:
        scripts = discovery.scripts()
        details.append(f"workers: {len(scripts)} scripts listed")
    except ProviderError as exc:
        if _refused(exc):
            missing.append(SCRIPTS)
        elif isinstance(exc, HttpError) and exc.status == 404:
            problems.append(f"account {opts.account_id} was not found: check account_id")
        problems.append(f"workers list: {exc}")

    if opts.logs:
        frm = int((now - timedelta(hours=1)).timestamp() * 1000)
        try:
            client.rest(
                "POST",
                f"/accounts/{opts.account_id}/workers/observability/telemetry/keys",
                "telemetry_keys",
                json_body={"timeframe": {"from": frm, "to": int(now.timestamp() * 1000)}, "limit": 1},
            )
            details.append("logs: Workers Observability answers")
        except ProviderError as exc:
            if _refused(exc):
                missing.append(OBSERVABILITY)
                problems.append(f"logs: {exc} (add {OBSERVABILITY} to the token, or set logs = false)")
            else:
                details.append(f"logs: {exc}")

    left = client.budget_left()
    if left is not None:
        details.append(f"GraphQL budget: {left} of {opts.query_budget} queries left in this 5-minute window")
    if missing:
        problems.insert(0, "the API token lacks: " + ", ".join(missing) + " (edit the token's permissions)")
    if problems:
        return Health(
            ok=False,
            message=f"Cloudflare account {opts.account_id}: " + problems[0],
            details=tuple(problems[1:] + details),
            missing_permissions=tuple(missing),
        )
    return Health(ok=True, message=f"Cloudflare account {opts.account_id}: token, analytics and Workers list ok",
                  details=tuple(details))  # fmt: skip

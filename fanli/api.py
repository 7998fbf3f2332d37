"""The JSON API root: token authentication, one error shape, and each app's router.

Every error answers ``{"code", "message", "details"}`` with the status the error names, and so
does everything else that can go wrong under ``/api/``: an unknown path (404), a method the path
does not offer (405), bad paging (400, see ``fanli.common.paging``) and an uncaught exception
(500 ``internal_error``, logged with its traceback; the client never sees it).
Authentication is ``Authorization: Bearer <token>`` (tokens from ``fanli token create``) or a
logged-in staff session; each operation then needs the permission its ``@permission`` names,
granted by the user's roles as on the pages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, SessionAuth

from fanli.accounts.selectors import can
from fanli.common.exceptions import FanliError
from fanli.common.paging import PAGING_FIELDS, paging_error
from fanli.common.schemas import ErrorOut, nul_characters
from fanli.common.services import api_token_user

logger = logging.getLogger("fanli.api")


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_user(token)
        if user is not None:
            request.user = user
        return user


class StaffSessionAuth(SessionAuth):
    """A logged-in session counts only for staff; customers will get their own portal API.

    The session's CSRF check applies only to a request that carries a session: one with no
    session and no valid token is answered 401 (unauthorized), not 403 for a missing CSRF token."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        return user if user is not None and getattr(user, "is_staff", False) else None


api = NinjaAPI(
    title="Fanli API",
    version="1",
    description="Rebates, discounts, loyalty and customer records. Amounts are integer minor units (fen).",
    auth=[TokenAuth(), StaffSessionAuth()],
    urls_namespace="api",
)


@api.exception_handler(FanliError)
def _fanli_error(request: HttpRequest, exc: FanliError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.http_status)


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [{"path": _request_path(tuple(err.get("loc", ()))), "message": err.get("msg", "")} for err in exc.errors]
    if exc.errors and all(tuple(err.get("loc", ()))[:1] == ("query",) and errors[i]["path"] in PAGING_FIELDS
                          for i, err in enumerate(exc.errors)):
        refused = paging_error(errors)
        return api.create_response(request, refused.as_dict(), status=refused.http_status)
    body = {"code": "validation_failed", "message": f"{len(errors)} error(s) in the request", "details": {"errors": errors}}
    return api.create_response(request, body, status=422)


def _request_path(loc: tuple[Any, ...]) -> str:
    """("body", "body", "period") -> "period"; ("query", "date") -> "date"."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "form", "file"):
        source = parts.pop(0)
        if source == "body" and len(parts) > 1:
            parts.pop(0)  # the parameter name the whole body is bound to
    return ".".join(str(p) for p in parts) or "(request)"


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    codes = {403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
    body = {"code": codes.get(exc.status_code, "http_error"), "message": str(exc), "details": {}}
    return api.create_response(request, body, status=exc.status_code)


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    body = {"code": "unauthorized", "message": "a valid API token or staff login is required", "details": {}}
    return api.create_response(request, body, status=401)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, NOT_FOUND, status=404)


@api.exception_handler(Exception)
def _internal_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.error("%s %s failed", request.method, request.path, exc_info=exc)
    return api.create_response(request, INTERNAL_ERROR, status=500)


NOT_FOUND = {"code": "not_found", "message": "no such API path", "details": {}}
INTERNAL_ERROR = {"code": "internal_error", "message": "the server failed to answer; the error is logged",
                  "details": {}}


def _json(body: dict[str, Any], status: int) -> HttpResponse:
    return JsonResponse(body, status=status, content_type="application/json; charset=utf-8")  # as ninja answers


@csrf_exempt  # like every API operation (tokens, not cookies): a POST to an unknown path is a 404 too
def unknown_path(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any path under /api/ that no operation serves (the URL conf's last /api/ pattern)."""
    return _json(NOT_FOUND, 404)


def bad_request(request: HttpRequest) -> HttpResponse:
    """A request refused before it reached the API (too many parameters or fields, say)."""
    body = {"code": "bad_request", "message": "the request could not be read: too many parameters or fields, or a "
                                              "body that cannot be read", "details": {}}
    return _json(body, 400)


def server_error(request: HttpRequest) -> HttpResponse:
    """An exception that escaped the API's own handler (in a middleware, say), for /api/ paths."""
    return _json(INTERNAL_ERROR, 500)


def _method_not_allowed(methods: set[str]) -> Callable[[], HttpResponse]:
    def answer() -> HttpResponse:
        allowed = ", ".join(sorted(methods))
        body = {"code": "method_not_allowed", "message": f"this path answers {allowed}",
                "details": {"allowed": sorted(methods)}}
        response = _json(body, 405)
        response["Allow"] = allowed
        return response

    return answer


def _register_routers() -> None:
    # Each app exposes ``router``; imported here so domain code never imports the API layer.
    from fanli.common.api import router as tokens_router
    from fanli.crm.api import router as crm_router
    from fanli.discounts.api import router as discounts_router
    from fanli.imports.api import router as imports_router
    from fanli.rebates.api import router as rebates_router
    from fanli.sales.api import router as sales_router

    api.add_router("/", imports_router)
    api.add_router("/", sales_router)
    api.add_router("/", rebates_router)
    api.add_router("/", discounts_router)
    api.add_router("/", crm_router)
    api.add_router("/", tokens_router)


_register_routers()


def _enforce_permissions() -> None:
    """Each operation's ``@permission`` is checked after authentication, on every request (on the
    operations the API serves: ninja binds a copy of each router to the API). A method the path
    does not serve answers 405 in the error shape."""
    for router in api._get_bound_routers():
        for view in router.path_operations.values():
            view._not_allowed = _method_not_allowed(  # type: ignore[method-assign]
                {method for operation in view.operations for method in operation.methods})
            for operation in view.operations:
                needed = getattr(operation.view_func, "required_permission", None)
                if needed is None:
                    raise ImproperlyConfigured(f"API operation {operation.view_func.__name__} names no permission")
                operation._run_checks = _checked(operation._run_checks, needed)  # type: ignore[assignment]


def _checked(run_checks: Callable[[HttpRequest], HttpResponse | None], needed: str
             ) -> Callable[[HttpRequest], HttpResponse | None]:
    def checks(request: HttpRequest) -> HttpResponse | None:
        refused = run_checks(request)
        if refused is not None or can(request.user, needed):
            return refused
        body = {"code": "forbidden", "message": f"your role does not allow this ({needed})", "details": {}}
        return api.create_response(request, body, status=403)

    return checks


_enforce_permissions()


def _declare_common_errors() -> None:
    """Every operation's document names the errors any operation can answer: 401 without valid
    credentials, 403 when the role does not allow it and, when it takes input, 400 for a request
    that cannot be read (a body that is not JSON) and 422 for input that fails its schema. Errors
    of its own (404, 409, ...) are named where the operation is declared."""
    for router in api._get_bound_routers():
        for view in router.path_operations.values():
            for operation in view.operations:
                statuses = (400, 401, 403, 422) if operation.models else (401, 403)
                for status in statuses:
                    if status not in operation.response_models:
                        operation.response_models[status] = operation._create_response_model(ErrorOut)


_declare_common_errors()


def _refuse_nul_characters() -> None:
    """After authentication and the permission check, a request whose path, query or JSON body
    holds a NUL character is refused (422) before the operation runs: no text column stores one."""
    for router in api._get_bound_routers():
        for view in router.path_operations.values():
            for operation in view.operations:
                if operation.models:  # an operation without input reads none of the request
                    operation._run_checks = _without_nul(operation._run_checks)  # type: ignore[assignment]


def _without_nul(run_checks: Callable[[HttpRequest], HttpResponse | None]
                 ) -> Callable[[HttpRequest], HttpResponse | None]:
    def checks(request: HttpRequest) -> HttpResponse | None:
        refused = run_checks(request)
        found = nul_characters(request) if refused is None else []
        if not found:
            return refused
        body = {"code": "validation_failed", "message": f"{len(found)} error(s) in the request",
                "details": {"errors": found}}
        return api.create_response(request, body, status=422)

    return checks


_refuse_nul_characters()

"""The OpenAPI schema (drf-spectacular): the error answers of every operation, and the
addresses that are not DRF views (the Stripe webhook, the health probes).

Every error has one shape (core.errors.ErrorSerializer). Which statuses an operation
documents follows from what it is: a body or a query can be invalid (400), a body can be
too large (413) or of the wrong type (415), a token can be bad (401), a signed-in caller
can lack the role or fail the CSRF check (403), an id can name nothing the caller may see
(404), and every operation is throttled (429). What the services add (409 for stock, 402
for a declined card...) is in DOMAIN_ERRORS, by operation id. The schema tests check that
the schema names every status the API answers.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import permissions
from rest_framework.authentication import SessionAuthentication

from core.errors import ErrorSerializer
from core.permissions import PolicyPermission

ERROR_MEANINGS: dict[int, str] = {
    400: "Invalid input: `validation_error` (with `fields`) or `parse_error`",
    401: "Not signed in (`not_authenticated`), or a bad, expired or blacklisted token "
    "(`token_invalid`)",
    402: "The payment was declined",
    403: "Signed in but not allowed: `permission_denied`; `csrf_failed` for a session "
    "without its CSRF token",
    404: "`not_found`: nothing the caller may see has this id",
    409: "The request conflicts with the current state",
    413: "`request_too_large`: the body is larger than the limit",
    415: "`unsupported_media_type`: send JSON",
    429: "`throttled`: too many requests; `Retry-After` says how many seconds to wait",
    502: "`payment_provider_error`: the payment provider did not answer",
}

VOUCHER_ERRORS = [
    "voucher_unknown",
    "voucher_expired",
    "voucher_not_applicable",
    "voucher_used_up",
    "voucher_already_used",
]

# Errors the services raise, by operation id: status -> the codes it may carry.
DOMAIN_ERRORS: dict[str, dict[int, list[str]]] = {
    "auth_login_create": {401: ["invalid_credentials"]},
    "auth_refresh_create": {401: ["token_invalid"]},
    "auth_logout_create": {401: ["token_invalid"]},
    "auth_reset_password_create": {400: ["invalid_token", "validation_error"]},
    "auth_verify_email_create": {400: ["invalid_key"]},
    "products_create": {404: ["not_found"], 403: ["permission_denied"]},
    "products_reviews_create": {403: ["permission_denied"], 409: ["already_reviewed"]},
    "cart_add": {404: ["not_found"], 409: ["insufficient_stock", "product_unavailable"]},
    "cart_item_update": {409: ["insufficient_stock", "product_unavailable"]},
    "cart_voucher_add": {400: [*VOUCHER_ERRORS, "validation_error"]},
    "orders_returns_create": {403: ["permission_denied"], 409: ["return_not_allowed"]},
    "returns_approve_create": {403: ["permission_denied"], 409: ["invalid_status_transition"]},
    "returns_refuse_create": {403: ["permission_denied"], 409: ["invalid_status_transition"]},
    "returns_receive_create": {
        403: ["permission_denied"],
        409: ["invalid_status_transition", "payment_not_refundable"],
        502: ["payment_provider_error"],
    },
    "wishlist_add": {404: ["not_found"]},
    "wishlist_move_to_cart": {
        404: ["not_found"],
        400: ["variant_required", "validation_error"],
        409: ["insufficient_stock", "product_unavailable"],
    },
    "promotions_create": {403: ["permission_denied"]},
    "promotions_partial_update": {403: ["permission_denied"]},
    "promotions_destroy": {403: ["permission_denied"], 400: ["validation_error"]},
    "promotions_codes_generate": {403: ["permission_denied"]},
    "vouchers_create": {403: ["permission_denied"]},
    "vouchers_destroy": {403: ["permission_denied"], 400: ["validation_error"]},
    "cart_checkout_create": {
        400: ["cart_empty", "validation_error", *VOUCHER_ERRORS],
        403: ["email_not_verified"],
        404: ["not_found"],
        409: ["insufficient_stock", "product_unavailable", "not_shippable"],
    },
    "orders_create": {
        400: ["cart_empty", "validation_error", *VOUCHER_ERRORS],
        403: ["email_not_verified"],
        404: ["not_found"],
        409: ["insufficient_stock", "product_unavailable", "not_shippable"],
    },
    "orders_fulfilments_create": {
        403: ["permission_denied"],
        409: ["invalid_status_transition"],
    },
    "reports_seller_statements_retrieve": {403: ["permission_denied"], 404: ["not_found"]},
    "orders_destroy": {
        403: ["permission_denied"],
        409: ["invalid_status_transition"],
        502: ["payment_provider_error"],
    },
    "orders_status_update": {409: ["invalid_status_transition"]},
    "payments_create_create": {
        404: ["not_found"],
        409: ["order_not_payable"],
        502: ["payment_provider_error"],
    },
    "payments_confirm_create": {
        402: ["payment_failed"],
        404: ["not_found"],
        409: ["payment_not_confirmable", "order_not_payable"],
        502: ["payment_provider_error"],
    },
    "payments_refund_create": {
        404: ["not_found"],
        409: ["payment_not_refundable"],
        502: ["payment_provider_error"],
    },
    "payments_methods_destroy": {502: ["payment_provider_error"]},
}

BODY_METHODS = {"POST", "PUT", "PATCH"}
# DELETEs that take a body: erasing one's account takes the password.
DELETE_WITH_BODY = {"auth_me_destroy", "cart_voucher_remove", "wishlist_remove"}


class ShopAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, with the error answers each operation can give."""

    def _get_request_body(self, direction="request"):
        # drf-spectacular documents bodies of POST, PUT and PATCH only; a few DELETEs take
        # one (their @extend_schema names it).
        if self.method == "DELETE" and self.get_operation_id() in DELETE_WITH_BODY:
            self.method = "POST"
            try:
                return super()._get_request_body(direction)
            finally:
                self.method = "DELETE"
        return super()._get_request_body(direction)

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        for status_code, codes in sorted(self._error_statuses(operation).items()):
            key = str(status_code)
            if key in responses:
                continue
            response = self._get_response_for_code(ErrorSerializer, key)
            meaning = ERROR_MEANINGS.get(status_code, "Error")
            response["description"] = (
                f"{meaning} ({', '.join(f'`{code}`' for code in codes)})." if codes else meaning
            )
            if status_code == 429:
                response["headers"] = {
                    "Retry-After": {
                        "schema": {"type": "integer"},
                        "description": "Seconds to wait before the next request.",
                    }
                }
            responses[key] = response
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_statuses(self, operation: dict[str, Any]) -> dict[int, list[str]]:
        statuses: dict[int, list[str]] = {429: []}
        view = self.view
        has_body = "requestBody" in operation or self.method in BODY_METHODS
        parameters = operation.get("parameters", [])
        has_query = any(parameter.get("in") == "query" for parameter in parameters)
        has_path_ids = any(parameter.get("in") == "path" for parameter in parameters)
        authenticators = list(getattr(view, "authentication_classes", []))
        permission_classes = [type(permission) for permission in view.get_permissions()]
        public = (
            all(issubclass(klass, permissions.AllowAny) for klass in permission_classes)
            and not authenticators
        )

        if has_body or has_query:
            statuses[400] = []
        if has_body:
            statuses[413] = []
            statuses[415] = []
        if authenticators or not public:
            statuses[401] = []
        needs_staff = any(
            issubclass(k, permissions.IsAdminUser)
            or (
                issubclass(k, PolicyPermission)
                and not (k.reads_open and self.method in permissions.SAFE_METHODS)
            )
            for k in permission_classes
        )
        session_write = self.method not in permissions.SAFE_METHODS and any(
            issubclass(klass, SessionAuthentication) for klass in authenticators
        )
        if needs_staff or session_write:
            statuses[403] = []
        if has_path_ids or (self._is_list_view() and self._get_paginator()):
            statuses[404] = []  # also a page number past the last page
        for status_code, codes in DOMAIN_ERRORS.get(operation["operationId"], {}).items():
            statuses.setdefault(status_code, [])
            statuses[status_code] = [*statuses[status_code], *codes]
        return statuses


# --- Addresses outside DRF, described by hand ---------------------------------------------

_JSON_OBJECT = {"type": "object", "additionalProperties": True}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


HEALTH_SCHEMA = {
    "type": "object",
    "properties": {"status": {"type": "string", "enum": ["ok"]}},
    "required": ["status"],
}
READINESS_SCHEMA = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["ok", "unavailable"]},
        "checks": {
            "type": "object",
            "properties": {
                "database": {"type": "string"},
                "cache": {"type": "string"},
                "broker": {"type": "string"},
            },
            "required": ["database", "cache", "broker"],
        },
    },
    "required": ["status", "checks"],
}
WEBHOOK_RECEIVED_SCHEMA = {
    "type": "object",
    "properties": {
        "received": {"type": "boolean"},
        "duplicate": {"type": "boolean", "description": "The event was received before."},
        "id": {"type": "string", "description": "The provider's event id."},
    },
    "required": ["received", "duplicate", "id"],
}

EXTRA_PATHS = {
    "/healthz/": {
        "get": {
            "operationId": "healthz",
            "summary": "Liveness",
            "description": "The process is up and serving; touches nothing else.",
            "tags": ["health"],
            "security": [{}],
            "responses": {"200": _json(HEALTH_SCHEMA, "Alive.")},
        }
    },
    "/readyz/": {
        "get": {
            "operationId": "readyz",
            "summary": "Readiness",
            "description": "The database, the cache and the broker answer (503 when one does not).",
            "tags": ["health"],
            "security": [{}],
            "responses": {
                "200": _json(READINESS_SCHEMA, "Ready."),
                "503": _json(READINESS_SCHEMA, "A dependency is down; `checks` says which."),
            },
        }
    },
    "/webhooks/stripe/": {
        "post": {
            "operationId": "webhooks_stripe",
            "summary": "Stripe events",
            "description": "Signed by Stripe (`Stripe-Signature`, verified with "
            "STRIPE_WEBHOOK_SECRET); each event is processed once.",
            "tags": ["webhooks"],
            "security": [{}],
            "parameters": [
                {
                    "name": "Stripe-Signature",
                    "in": "header",
                    "required": True,
                    "schema": {"type": "string"},
                }
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _JSON_OBJECT}},
            },
            "responses": {
                "200": _json(WEBHOOK_RECEIVED_SCHEMA, "Received."),
                "400": _json(_ERROR_REF, "`invalid_signature` (or a payload that is no event)."),
                "413": _json(_ERROR_REF, "`request_too_large`."),
                "503": _json(_ERROR_REF, "`not_configured`: no webhook secret is set."),
            },
        }
    },
}


def add_paths_outside_drf(result: dict, generator, request, public) -> dict:
    """POSTPROCESSING_HOOKS: the webhook and health probes beside the API."""
    result.setdefault("paths", {}).update(EXTRA_PATHS)
    return result


class RevocableJWTScheme(SimpleJWTScheme):
    """The bearer scheme of simplejwt's authentication, for the subclass the site uses
    (core.security.jwt.RevocableJWTAuthentication): `jwtAuth` in the schema."""

    target_class = "core.security.jwt.RevocableJWTAuthentication"


class CartTokenScheme(OpenApiAuthenticationExtension):
    """The guest cart token (cart.auth): the header the guest endpoints also take."""

    target_class = "cart.auth.CartTokenAuthentication"
    name = "cartToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-Cart-Token"}

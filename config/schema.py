"""The OpenAPI schema (drf-spectacular): the error answers of every operation, and the
addresses that are not DRF views (the Stripe webhook, the health probes).

Every error has one shape (core.errors.ErrorSerializer). Which statuses an operation
documents follows from what it is: a body or a query can be invalid (400), a body can be
too large (413) or of the wrong type (415), a token can be bad (401), a signed-in caller
can lack the role or fail the CSRF check (403), an id can name nothing the caller may see
(404), and every operation is throttled (429) and refuses an `Accept` header it cannot
answer (406). What the services add (409 for stock, 402 for a declined card...) is in
DOMAIN_ERRORS, by operation id. The schema tests check that the schema names every
status the API answers.
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
    406: "`not_acceptable`: the `Accept` header names no format this operation answers in",
    409: "The request conflicts with the current state",
    413: "`request_too_large`: the body is larger than the limit",
    415: "`unsupported_media_type`: send the body in a content type this operation lists",
    429: "`throttled`: too many requests; `Retry-After` says how many seconds to wait",
    502: "`payment_provider_error`: the payment provider did not answer",
    503: "`payments_not_configured`: payments are not set up on this site",
}

VOUCHER_ERRORS = [
    "voucher_unknown",
    "voucher_expired",
    "voucher_not_applicable",
    "voucher_used_up",
    "voucher_already_used",
]

NOT_CONFIGURED = ["payments_not_configured"]
CHECKOUT_ERRORS = {
    400: ["cart_empty", "validation_error", *VOUCHER_ERRORS],
    403: ["email_not_verified"],
    404: ["not_found"],
    409: [
        "insufficient_stock",
        "product_unavailable",
        "not_shippable",
        "pending_orders_limit",
        "pending_units_limit",
    ],
}

# The operations that find the caller's cart: a guest's unknown cart token answers 404
# `cart_token_unknown` (cart.services). The other views taking the token read the guest's
# orders and answer a plain 404.
GUEST_CART_OPERATIONS = {
    "cart_retrieve",
    "cart_clear",
    "cart_add",
    "cart_item_update",
    "cart_item_remove",
    "cart_voucher_add",
    "cart_voucher_remove",
    "cart_shipping_options",
    "cart_checkout",
    "orders_create",
}

# Errors the services raise, by operation id: status -> the codes it may carry.
DOMAIN_ERRORS: dict[str, dict[int, list[str]]] = {
    "auth_login": {
        401: ["invalid_credentials", "mfa_required", "invalid_mfa_code"],
        403: ["mfa_setup_required"],
    },
    "shops_create": {403: ["permission_denied", "email_not_verified"]},
    "categories_destroy": {400: ["validation_error"]},
    "variants_destroy": {400: ["validation_error"]},
    "products_facets": {400: ["validation_error"]},
    "auth_refresh": {401: ["token_invalid"]},
    "auth_logout": {401: ["token_invalid"]},
    "auth_reset_password": {400: ["invalid_token", "validation_error"]},
    "auth_verify_email": {400: ["invalid_key"]},
    "products_create": {404: ["not_found"], 403: ["permission_denied"]},
    "products_reviews_create": {403: ["permission_denied"], 409: ["already_reviewed"]},
    "cart_add": {
        400: ["variant_required", "validation_error"],
        404: ["not_found"],
        409: ["insufficient_stock", "product_unavailable"],
    },
    "cart_item_update": {409: ["insufficient_stock", "product_unavailable"]},
    "cart_voucher_add": {400: [*VOUCHER_ERRORS, "validation_error"]},
    "orders_returns_create": {403: ["permission_denied"], 409: ["return_not_allowed"]},
    "returns_approve": {403: ["permission_denied"], 409: ["invalid_status_transition"]},
    "returns_refuse": {403: ["permission_denied"], 409: ["invalid_status_transition"]},
    "returns_receive": {
        403: ["permission_denied"],
        409: ["invalid_status_transition", "payment_not_refundable"],
        502: ["payment_provider_error"],
        503: NOT_CONFIGURED,
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
    "cart_checkout": CHECKOUT_ERRORS,
    "orders_create": CHECKOUT_ERRORS,  # the same checkout at its older address
    "orders_fulfilments_create": {
        403: ["permission_denied"],
        409: ["invalid_status_transition", "order_awaiting_email"],
    },
    "reports_seller_statements": {403: ["permission_denied"], 404: ["not_found"]},
    # A paid order's refund runs in a task after commit: with tasks run in-process (the
    # quickstart), the provider's errors reach the answer.
    "orders_cancel": {
        403: ["permission_denied"],
        409: ["invalid_status_transition", "lines_fulfilled"],
        502: ["payment_provider_error"],
        503: NOT_CONFIGURED,
    },
    "orders_status_update": {
        403: ["permission_denied"],
        409: ["invalid_status_transition", "lines_fulfilled"],
        502: ["payment_provider_error"],
        503: NOT_CONFIGURED,
    },
    "payments_create": {
        404: ["not_found"],
        409: ["order_not_payable"],
        502: ["payment_provider_error"],
        503: NOT_CONFIGURED,
    },
    "payments_confirm": {
        402: ["payment_failed"],
        404: ["not_found"],
        409: ["payment_not_confirmable", "order_not_payable", "payment_not_approved"],
        502: ["payment_provider_error"],
        503: NOT_CONFIGURED,
    },
    "payments_refund": {
        404: ["not_found"],
        409: ["payment_not_refundable"],
        502: ["payment_provider_error"],
        503: NOT_CONFIGURED,
    },
    "payments_methods_destroy": {502: ["payment_provider_error"], 503: NOT_CONFIGURED},
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

    def get_auth(self):
        # An operation for anyone (no authenticator) names no security requirement rather
        # than the empty one (`[{}]`): the schema has no global one, so both say "open", and
        # openapi-python-client takes any requirement to mean a token is needed.
        auth = super().get_auth()
        return [] if auth == [{}] else auth

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
        # Any operation: an Accept header it cannot answer (406), the throttle (429).
        statuses: dict[int, list[str]] = {406: [], 429: []}
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
        from cart.auth import CartTokenAuthentication  # here: the app's API imports this one

        if any(issubclass(klass, CartTokenAuthentication) for klass in authenticators):
            statuses[401].append("cart_token_invalid")
        if operation["operationId"] in GUEST_CART_OPERATIONS:
            statuses.setdefault(404, []).append("cart_token_unknown")
        for status_code, codes in DOMAIN_ERRORS.get(operation["operationId"], {}).items():
            statuses.setdefault(status_code, [])
            statuses[status_code] = [*statuses[status_code], *codes]
        return statuses


# --- Addresses outside DRF, described by hand ---------------------------------------------


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


_ERROR_REF = _ref("Error")


# The answers of the addresses outside DRF, as named components (a generated client gets
# one type for each, not one per status and operation).
EXTRA_COMPONENTS = {
    "HealthStatusEnum": {"type": "string", "enum": ["ok"]},
    "Health": {
        "type": "object",
        "properties": {"status": _ref("HealthStatusEnum")},
        "required": ["status"],
    },
    "ReadinessStatusEnum": {"type": "string", "enum": ["ok", "unavailable"]},
    "ReadinessChecks": {
        "type": "object",
        "description": "`ok`, or what went wrong, per dependency.",
        "properties": {
            "database": {"type": "string"},
            "cache": {"type": "string"},
            "broker": {"type": "string"},
        },
        "required": ["database", "cache", "broker"],
    },
    "Readiness": {
        "type": "object",
        "properties": {
            "status": _ref("ReadinessStatusEnum"),
            "checks": _ref("ReadinessChecks"),
            "code": {"type": "string", "description": "`unavailable` (503 only)."},
            "detail": {"type": "string", "description": "What is down (503 only)."},
        },
        "required": ["status", "checks"],
    },
    "WebhookReceived": {
        "type": "object",
        "properties": {
            "received": {"type": "boolean"},
            "duplicate": {"type": "boolean", "description": "The event was received before."},
            "id": {"type": "string", "description": "The provider's event id."},
        },
        "required": ["received", "duplicate", "id"],
    },
    "WebhookEvent": {
        "type": "object",
        "description": "The provider's event, as the provider sends it.",
        "additionalProperties": True,
    },
}

_WEBHOOK_RESPONSES = {
    "200": _json(_ref("WebhookReceived"), "Received."),
    "400": _json(_ERROR_REF, "`invalid_signature` (or a payload that is no event)."),
    "413": _json(_ERROR_REF, "`request_too_large`."),
    "503": _json(_ERROR_REF, "`not_configured`: the provider's webhook is not set up."),
}
_WEBHOOK_BODY = {
    "required": True,
    "content": {"application/json": {"schema": _ref("WebhookEvent")}},
}


def _header(name: str) -> dict:
    return {"name": name, "in": "header", "required": True, "schema": {"type": "string"}}


EXTRA_PATHS = {
    "/healthz/": {
        "get": {
            "operationId": "healthz",
            "summary": "Liveness",
            "description": "The process is up and serving; touches nothing else.",
            "tags": ["health"],
            "responses": {"200": _json(_ref("Health"), "Alive.")},
        }
    },
    "/readyz/": {
        "get": {
            "operationId": "readyz",
            "summary": "Readiness",
            "description": "The database, the cache and the broker answer (503 when one does not).",
            "tags": ["health"],
            "responses": {
                "200": _json(_ref("Readiness"), "Ready."),
                "503": _json(_ref("Readiness"), "A dependency is down; `checks` says which."),
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
            "parameters": [_header("Stripe-Signature")],
            "requestBody": _WEBHOOK_BODY,
            "responses": _WEBHOOK_RESPONSES,
        }
    },
    "/webhooks/paypal/": {
        "post": {
            "operationId": "webhooks_paypal",
            "summary": "PayPal events",
            "description": "Verified with PayPal against PAYPAL_WEBHOOK_ID (its transmission "
            "headers); each event is processed once.",
            "tags": ["webhooks"],
            "parameters": [],  # PayPal's signature headers (add_paths_outside_drf)
            "requestBody": _WEBHOOK_BODY,
            "responses": {
                **_WEBHOOK_RESPONSES,
                "502": _json(_ERROR_REF, "PayPal could not be asked; it sends the event again."),
            },
        }
    },
}


def add_paths_outside_drf(result: dict, generator, request, public) -> dict:
    """POSTPROCESSING_HOOKS: the webhooks and health probes beside the API."""
    # Here, not at the top: the API's module imports DRF, whose settings import this one.
    from payments.api import PAYPAL_SIGNATURE_HEADERS

    EXTRA_PATHS["/webhooks/paypal/"]["post"]["parameters"] = [
        _header(header) for header in PAYPAL_SIGNATURE_HEADERS.values()
    ]
    result.setdefault("paths", {}).update(EXTRA_PATHS)
    result.setdefault("components", {}).setdefault("schemas", {}).update(EXTRA_COMPONENTS)
    return result


def name_parameter_enums(result: dict, generator, request, public) -> dict:
    """POSTPROCESSING_HOOKS, after drf-spectacular's own (which names the enums of bodies
    and answers): the enums of query parameters become named components too, so that a
    generated client has one `OrderingEnum` for the list and the search, not one per
    operation. A parameter whose values are those of a component already named (an order's
    status, a country) refers to it; another is named after the parameter (`in_stock` ->
    `InStockEnum`), and two different sets of values under one name fail the build."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    by_values = {
        tuple(sorted(map(str, schema["enum"]))): name
        for name, schema in components.items()
        if "enum" in schema
    }
    for item in result.get("paths", {}).values():
        for operation in item.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                schema = parameter.get("schema", {})
                if "enum" not in schema:
                    continue
                values = tuple(sorted(map(str, schema["enum"])))
                name = by_values.get(values)
                if name is None:
                    name = "".join(part.title() for part in parameter["name"].split("_")) + "Enum"
                    if name in components:
                        raise ValueError(
                            f"{operation['operationId']}: the values of `{parameter['name']}` "
                            f"differ from {name}'s; name the enum"
                        )
                    components[name] = {
                        key: value for key, value in schema.items() if key in ("type", "enum")
                    }
                    by_values[values] = name
                reference = _ref(name)
                parameter["schema"] = (
                    {"allOf": [reference], "default": schema["default"]}
                    if "default" in schema
                    else reference
                )
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

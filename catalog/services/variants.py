"""Variants: a product's options and the combinations it sells.

A product has up to MAX_OPTIONS options (named by the seller, each with ordered values)
and 1 to MAX_VARIANTS live variants, each one combination of values (one value of each
option) with its own SKU, price, stock and picture. A product without options has
exactly one variant. Every write here locks the product's row, then its variants' rows
in primary-key order (the order checkout uses), and ends by writing the product's
summary (lowest and highest active price, stock, number of active variants).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connections, router, transaction
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from catalog.caching import products_changed
from catalog.models import (
    MAX_OPTIONS,
    MAX_VARIANTS,
    Product,
    ProductImage,
    ProductOption,
    ProductOptionValue,
    ProductVariant,
)
from catalog.services.common import (
    generate_sku,
    require_manager,
    sku_error,
    skus_taken,
    validate_money,
    validate_weight,
)
from catalog.services.search import product_search_index_update
from catalog.services.stock import variants_low_stock_reset
from catalog.signals import prices_dropped
from core.errors import DomainValidationError
from taxes.models import TaxClass

MAX_VALUES_PER_OPTION = 100
OPTION_NAME_MAX = ProductOption._meta.get_field("name").max_length
OPTION_VALUE_MAX = ProductOptionValue._meta.get_field("value").max_length
SKU_MAX = ProductVariant._meta.get_field("sku").max_length
# What a variant's input may carry (the API's, the admin's and the import's).
VARIANT_INPUT_KEYS = {
    "id",
    "sku",
    "price",
    "compare_at_price",
    "stock_quantity",
    "options",
    "image_id",
    "is_active",
    "position",
    "weight_kg",
    "tax_class",
}
_WRITTEN = [
    "sku",
    "price",
    "compare_at_price",
    "stock_quantity",
    "image",
    "is_active",
    "position",
    "weight_kg",
    "tax_class",
    "combination",
    "options_text",
    "updated_at",
]


def _error(key: str, message: str) -> DomainValidationError:
    return DomainValidationError(message, fields={key: [message]})


def _at_most_characters(count: int) -> str:
    return _("At most %(count)d characters.") % {"count": count}


# --- Options ---------------------------------------------------------------------------


@dataclass
class _Option:
    option: ProductOption
    values: dict[str, ProductOptionValue] = field(default_factory=dict)  # by lower value


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        return ""
    return str(value).strip()


def options_clean(raw: Any) -> list[tuple[str, list[str]]]:
    """[(name, [value, ...]), ...] from `[{name, values[]}]`, or a DomainValidationError
    naming the option (`options.1.values.0`)."""
    if not isinstance(raw, list):
        raise _error("options", _("Give a list of options, each {name, values}."))
    if len(raw) > MAX_OPTIONS:
        raise _error(
            "options", _("A product has at most %(count)d options.") % {"count": MAX_OPTIONS}
        )
    names: set[str] = set()
    cleaned = []
    for index, item in enumerate(raw):
        key = f"options.{index}"
        if not isinstance(item, dict):
            raise _error(key, _("An option is {name, values}."))
        name = _text(item.get("name"))
        if not name:
            raise _error(f"{key}.name", _("Name the option (Size, Colour, ...)."))
        if len(name) > OPTION_NAME_MAX:
            raise _error(f"{key}.name", _at_most_characters(OPTION_NAME_MAX))
        if name.lower() in names:
            raise _error(f"{key}.name", _("Two options are named %(name)s.") % {"name": name})
        names.add(name.lower())
        values = item.get("values")
        if not isinstance(values, list) or not values:
            raise _error(f"{key}.values", _("Give %(name)s at least one value.") % {"name": name})
        if len(values) > MAX_VALUES_PER_OPTION:
            raise _error(
                f"{key}.values",
                _("An option has at most %(count)d values.") % {"count": MAX_VALUES_PER_OPTION},
            )
        seen: set[str] = set()
        texts = []
        for value_index, value in enumerate(values):
            text = _text(value)
            value_key = f"{key}.values.{value_index}"
            if not text:
                raise _error(value_key, _("A value cannot be blank."))
            if len(text) > OPTION_VALUE_MAX:
                raise _error(value_key, _at_most_characters(OPTION_VALUE_MAX))
            if text.lower() in seen:
                raise _error(
                    value_key, _("%(name)s lists %(value)s twice.") % {"name": name, "value": text}
                )
            seen.add(text.lower())
            texts.append(text)
        cleaned.append((name, texts))
    return cleaned


def _options_read(product: Product) -> list[_Option]:
    options = []
    for option in ProductOption.objects.filter(product=product).prefetch_related("values"):
        options.append(
            _Option(option, {value.value.lower(): value for value in option.values.all()})
        )
    return options


def _options_write(product: Product, cleaned: list[tuple[str, list[str]]]) -> list[_Option]:
    """Make the product's options these, keeping the ids of options and values whose
    names stay (case aside): variants keep pointing at them."""
    current = {state.option.name.lower(): state for state in _options_read(product)}
    result = []
    for position, (name, values) in enumerate(cleaned):
        state = current.pop(name.lower(), None)
        if state is None:
            option = ProductOption.objects.create(product=product, name=name, position=position)
            state = _Option(option)
        elif (state.option.name, state.option.position) != (name, position):
            state.option.name, state.option.position = name, position
            state.option.save(update_fields=["name", "position"])
        old = state.values
        state.values = {}
        for value_position, text in enumerate(values):
            value = old.pop(text.lower(), None)
            if value is None:
                value = ProductOptionValue.objects.create(
                    option=state.option, value=text, position=value_position
                )
            elif (value.value, value.position) != (text, value_position):
                value.value, value.position = text, value_position
                value.save(update_fields=["value", "position"])
            state.values[text.lower()] = value
        if old:
            ProductOptionValue.objects.filter(pk__in=[value.pk for value in old.values()]).delete()
        result.append(state)
    if current:
        ProductOption.objects.filter(
            pk__in=[state.option.pk for state in current.values()]
        ).delete()
    return result


def _combination(options: list[_Option], chosen: Any, key: str) -> list[ProductOptionValue]:
    """The values named by `chosen` ({option name: value}), in the options' order."""
    if not isinstance(chosen, dict):
        raise _error(key, _("Give the variant's options as {option name: value}."))
    by_name = {_text(name).lower(): value for name, value in chosen.items()}
    known = {state.option.name.lower() for state in options}
    for name in by_name:
        if name not in known:
            message = (
                _("This product has no option %(name)s.") % {"name": repr(name)}
                if options
                else _("This product has no options: add them to the product first.")
            )
            raise _error(key, message)
    values = []
    for state in options:
        option_name = state.option.name
        if state.option.name.lower() not in by_name:
            raise _error(key, _("Choose a value of %(option)s.") % {"option": option_name})
        text = _text(by_name[option_name.lower()])
        value = state.values.get(text.lower())
        if value is None:
            allowed = ", ".join(value.value for value in state.values.values())
            raise _error(
                key,
                _("%(value)s is not a value of %(option)s (%(allowed)s).")
                % {"value": repr(text), "option": option_name, "allowed": allowed},
            )
        values.append(value)
    return values


def _describe(options: list[_Option], values: list[ProductOptionValue]) -> tuple[str, str]:
    """(combination key, text) of these values, one per option in order."""
    combination = "-".join(str(value.pk) for value in values)
    text = " / ".join(
        f"{state.option.name}: {value.value}" for state, value in zip(options, values, strict=True)
    )
    return combination, text


def _current_values(variant: ProductVariant, options: list[_Option]) -> list[ProductOptionValue]:
    """A stored variant's values under (possibly new) options; [] if one is missing."""
    held = {value.pk for value in variant.option_values.all()}
    values = []
    for state in options:
        found = [value for value in state.values.values() if value.pk in held]
        if len(found) != 1:
            return []
        values.append(found[0])
    return values


# --- Variants --------------------------------------------------------------------------


@dataclass
class _Plan:
    variant: ProductVariant
    values: list[ProductOptionValue]
    key: str  # where errors about it point ("variants.2")
    new: bool = False
    values_changed: bool = False
    stock_changed: bool = False
    touched: bool = False  # listed in the input, or its description changed
    stored: tuple[str, str] = ("", "")  # its SKU and combination as read

    def __post_init__(self) -> None:
        self.stored = (self.variant.sku, self.variant.combination)


def _int(value: Any, key: str, *, low: int = 0, high: int = 2**31 - 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        if isinstance(value, str) and value.strip().isdigit():
            return _int(int(value.strip()), key, low=low, high=high)
        raise _error(
            key, _("Enter a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}
        )
    return value


def _apply_fields(plan: _Plan, item: dict, image_ids: set[int]) -> None:
    variant, key = plan.variant, plan.key
    if "sku" in item:
        sku = _text(item["sku"])
        if len(sku) > SKU_MAX:
            raise _error(f"{key}.sku", _at_most_characters(SKU_MAX))
        if sku:
            variant.sku = sku
    if "price" in item:
        variant.price = validate_money(item["price"], field=f"{key}.price")
    elif plan.new:
        raise _error(f"{key}.price", _("Give the variant a price."))
    if "compare_at_price" in item:
        value = item["compare_at_price"]
        variant.compare_at_price = (
            None
            if value in (None, "")
            else validate_money(value, field=f"{key}.compare_at_price", label="regular price")
        )
    if "stock_quantity" in item:
        stock = _int(item["stock_quantity"], f"{key}.stock_quantity")
        plan.stock_changed = stock != variant.stock_quantity or plan.new
        variant.stock_quantity = stock
    if "image_id" in item:
        image_id = item["image_id"]
        if image_id in (None, ""):
            variant.image_id = None
        else:
            image_id = _int(image_id, f"{key}.image_id", low=1, high=2**63 - 1)
            if image_id not in image_ids:
                raise _error(f"{key}.image_id", _("Choose one of this product's images."))
            variant.image_id = image_id
    if "is_active" in item:
        if not isinstance(item["is_active"], bool):
            raise _error(f"{key}.is_active", _("Must be true or false."))
        variant.is_active = item["is_active"]
    if "position" in item:
        variant.position = _int(item["position"], f"{key}.position", high=10**6)
    if "weight_kg" in item:
        variant.weight_kg = validate_weight(item["weight_kg"], field=f"{key}.weight_kg")
    if "tax_class" in item:
        tax_class = item["tax_class"] or ""
        if tax_class and tax_class not in TaxClass.values:
            raise _error(
                f"{key}.tax_class",
                _("One of: %(choices)s.") % {"choices": ", ".join(TaxClass.values)},
            )
        variant.tax_class = tax_class


def _lock_product(product: Product) -> Product:
    return Product.objects.select_for_update(of=("self",)).select_related("shop").get(pk=product.pk)


def _variants_write(
    *,
    product: Product,
    options: list[_Option] | None,
    items: list[dict],
    remove_missing: bool = False,
    remove_ids: Iterable[int] = (),
) -> list[ProductVariant]:
    """Create (no `id`) and update (`id`) these variants; remove the live ones not
    listed when `remove_missing`, and `remove_ids`. `options` None: the stored ones.
    Answers the product's live variants afterwards, in order."""
    if not isinstance(items, list):
        raise _error("variants", _("Give a list of variants."))
    live = {
        variant.pk: variant
        for variant in ProductVariant.objects.select_for_update(of=("self",))
        .filter(product=product, deleted_at=None)
        .order_by("pk")
        .prefetch_related("option_values")
    }
    prices_before = {pk: variant.price for pk, variant in live.items()}
    options = _options_read(product) if options is None else options
    image_ids = set(ProductImage.objects.filter(product=product).values_list("pk", flat=True))

    plans: dict[int, _Plan] = {}
    new_plans: list[_Plan] = []
    listed: set[int] = set()
    for index, item in enumerate(items):
        key = f"variants.{index}"
        if not isinstance(item, dict):
            raise _error(key, _("A variant is {sku, price, stock_quantity, options, ...}."))
        unknown = sorted(set(item) - VARIANT_INPUT_KEYS)
        if unknown:
            raise _error(key, _("Unknown field %(field)s.") % {"field": repr(unknown[0])})
        if item.get("id") is not None:
            variant_id = _int(item["id"], f"{key}.id", low=1, high=2**63 - 1)
            if variant_id not in live:
                raise _error(f"{key}.id", _("No such variant of this product."))
            if variant_id in listed:
                raise _error(f"{key}.id", _("This variant is listed twice."))
            listed.add(variant_id)
            plan = _Plan(live[variant_id], _current_values(live[variant_id], options), key)
            plan.touched = True
            plans[variant_id] = plan
        else:
            variant = ProductVariant(
                product=product, shop_id=product.shop_id, position=len(live) + index
            )
            plan = _Plan(variant, [], key, new=True, stock_changed=True)
            new_plans.append(plan)
        if "options" in item:
            values = _combination(options, item["options"] or {}, f"{key}.options")
            plan.values_changed = [v.pk for v in values] != [v.pk for v in plan.values]
            plan.values = values
        elif plan.new and options:
            raise _error(f"{key}.options", _("Choose the variant's options."))
        _apply_fields(plan, item, image_ids)

    removed = {pk for pk in live if remove_missing and pk not in listed}
    for pk in remove_ids:
        if pk in listed:
            continue
        removed.add(pk)
    for pk, variant in live.items():
        if pk not in removed and pk not in plans:
            plans[pk] = _Plan(variant, _current_values(variant, options), f"variants.id={pk}")
    final = [*plans.values(), *new_plans]
    _check_final(product, options, final, plans, live)

    # SKUs: unique among the shop's live variants (this product's removed ones free theirs).
    taken_here: set[str] = set()
    for plan in _unlisted_first(final):  # a clash is blamed on the variant written
        sku = plan.variant.sku
        if sku and sku in taken_here:
            raise sku_error(sku, field=f"{plan.key}.sku")
        taken_here.add(sku)
    wanted = {plan.variant.sku for plan in final if plan.variant.sku}
    clash = skus_taken(shop=product.shop_id, skus=wanted, exclude_ids=live)
    if clash:
        sku = sorted(clash)[0]
        raise sku_error(sku, field=next(p.key for p in final if p.variant.sku == sku) + ".sku")
    for plan in final:
        if not plan.variant.sku:
            plan.variant.sku = generate_sku(product.shop, avoid=taken_here)
            taken_here.add(plan.variant.sku)

    now = timezone.now()
    try:
        with transaction.atomic():
            _write(product, options, final, removed, now)
    except IntegrityError as exc:  # the same SKU saved at the same moment elsewhere
        message = _("A SKU or combination was taken at the same moment: try again.")
        raise DomainValidationError(message, fields={"variants": [message]}) from exc

    restocked = [plan.variant.pk for plan in final if plan.stock_changed and not plan.new]
    if restocked:
        variants_low_stock_reset(variant_ids=restocked)
    products_summary_refresh(product_ids=[product.pk])
    product_search_index_update(product_ids=[product.pk])
    products_changed(product_ids=[product.pk])
    dropped = [
        plan.variant.pk
        for plan in final
        if plan.variant.pk in prices_before and plan.variant.price < prices_before[plan.variant.pk]
    ]
    if dropped:  # the people who saved them hear of it (cart.receivers)
        prices_dropped.send(sender=ProductVariant, variant_ids=dropped)
    return sorted((plan.variant for plan in final), key=lambda v: (v.position, v.pk))


def _unlisted_first(final: list[_Plan]) -> list[_Plan]:
    """The plans of the variants the input did not list, then those it did (in its
    order), so that a SKU or combination clash names the one the caller sent."""
    return sorted(final, key=lambda plan: ".id=" not in plan.key)


def _check_final(product, options, final, plans, live) -> None:
    if not final:
        raise _error("variants", _("A product keeps at least one variant."))
    if len(final) > MAX_VARIANTS:
        raise _error(
            "variants", _("A product has at most %(count)d variants.") % {"count": MAX_VARIANTS}
        )
    if not options and len(final) > 1:
        message = _("A product without options has one variant: give it options to sell more.")
        raise _error("variants", message)
    seen: dict[str, _Plan] = {}
    for plan in _unlisted_first(final):  # a clash is blamed on the variant written
        if options and len(plan.values) != len(options):
            message = _(
                "The variant %(sku)s has no value for every option: "
                "list it in `variants` with its options, or remove it."
            ) % {"sku": plan.variant.sku}
            raise _error(
                plan.key if not plan.key.startswith("variants.id") else "variants", message
            )
        combination, text = _describe(options, plan.values)
        if combination in seen:
            raise _error(
                f"{plan.key}.options" if ".id=" not in plan.key else "variants",
                # Translators: the options of two variants, e.g. Size: M / Colour: Red.
                _("Two variants have the same options (%(options)s).")
                % {"options": text or _("none")},
            )
        seen[combination] = plan
        if (combination, text) != (plan.variant.combination, plan.variant.options_text):
            plan.values_changed = plan.values_changed or combination != plan.variant.combination
            plan.variant.combination, plan.variant.options_text = combination, text
            plan.touched = True
        plan.variant.updated_at = timezone.now()


def _write(product, options, final, removed, now) -> None:
    if removed:
        ProductVariant.objects.filter(pk__in=removed).update(
            deleted_at=now, is_active=False, updated_at=now
        )
    existing = [plan for plan in final if not plan.new and plan.touched]
    if existing:
        # Out of the way first, so that two variants may swap SKUs or combinations.
        moved = [
            plan.variant.pk
            for plan in existing
            if plan.stored != (plan.variant.sku, plan.variant.combination)
        ]
        if moved:
            _park(moved)
        ProductVariant.objects.bulk_update([plan.variant for plan in existing], _WRITTEN)
    created = [plan for plan in final if plan.new]
    if created:
        ProductVariant.objects.bulk_create([plan.variant for plan in created])
    through = ProductVariant.option_values.through
    changed = [plan for plan in final if plan.new or plan.values_changed]
    if changed:
        through.objects.filter(productvariant_id__in=[p.variant.pk for p in changed]).delete()
        through.objects.bulk_create(
            [
                through(productvariant_id=plan.variant.pk, productoptionvalue_id=value.pk)
                for plan in changed
                for value in plan.values
            ]
        )


def _park(variant_ids: list[int]) -> None:
    """Give these variants a SKU and combination no live row can have, for a moment."""
    parked = Concat(Value("~"), Cast("pk", output_field=CharField()))
    ProductVariant.objects.filter(pk__in=variant_ids).update(sku=parked, combination=parked)


# --- The product's summary -------------------------------------------------------------


def _summary_statement() -> str:
    """The UPDATE of `products_summary_refresh`, with `{ids}` where the placeholders of
    the products' ids go: each figure a correlated aggregate over the product's live,
    active variants (what the ORM writes, composed once instead of compiled on every
    checkout: compiling its four subqueries cost 2.9 ms of CPU, the statement's text
    nothing)."""
    product, variant = Product._meta, ProductVariant._meta
    p = {f.name: _QUOTE(f.column) for f in product.concrete_fields}
    v = {f.name: f"v.{_QUOTE(f.column)}" for f in variant.concrete_fields}
    products = _QUOTE(product.db_table)
    pk = f"{products}.{p[product.pk.name]}"
    live = (
        f"FROM {_QUOTE(variant.db_table)} AS v WHERE {v['product']} = {pk} "
        f"AND {v['deleted_at']} IS NULL AND {v['is_active']}"
    )
    figures = {
        "price": f"COALESCE((SELECT MIN({v['price']}) {live}), {p['price']})",
        "price_max": f"COALESCE((SELECT MAX({v['price']}) {live}), {p['price_max']})",
        "stock_quantity": f"COALESCE((SELECT SUM({v['stock_quantity']}) {live}), 0)",
        "variant_count": f"(SELECT COUNT(*) {live})",
    }
    assignments = ", ".join(f"{p[name]} = {figure}" for name, figure in figures.items())
    return f"UPDATE {products} SET {assignments} WHERE {pk} IN ({{ids}})"  # noqa: S608


_QUOTE = connections["default"].ops.quote_name
_SUMMARY_STATEMENT = _summary_statement()


def products_summary_refresh(*, product_ids: Iterable[int]) -> int:
    """Write each product's summary from its live, active variants (one UPDATE): its
    lowest and highest price, their stock together and how many they are. A product
    with no active variant keeps its prices and has no stock."""
    ids = sorted(set(product_ids))
    if not ids:
        return 0
    using = router.db_for_write(Product)
    with connections[using].cursor() as cursor:
        cursor.execute(_SUMMARY_STATEMENT.format(ids=", ".join(["%s"] * len(ids))), ids)
        return cursor.rowcount


# --- Entry points ----------------------------------------------------------------------


def product_variants_write(
    *, product: Product, data: dict[str, Any], creating: bool = False
) -> None:
    """The variant part of a product's create or update (the caller checked who may):
    `options` replaces the options; `variants` replaces the variants (create, update by
    id, remove missing); on a product with one variant, `price`, `sku` and
    `stock_quantity` write that variant (how simple products stay simple)."""
    simple = {key: data[key] for key in ("price", "sku", "stock_quantity") if key in data}
    if "options" not in data and "variants" not in data and not simple and not creating:
        return
    product = _lock_product(product)
    options = _options_write(product, options_clean(data["options"])) if "options" in data else None
    if "variants" in data:
        for key in simple:
            raise _error(
                key, _("This product's %(field)s is set on each of its variants.") % {"field": key}
            )
        _variants_write(
            product=product, options=options, items=data["variants"], remove_missing=True
        )
        return
    if creating:
        with _as_product_fields():
            _variants_write(product=product, options=options, items=[{**simple, "options": {}}])
        return
    live = list(
        ProductVariant.objects.filter(product=product, deleted_at=None).values_list("pk", flat=True)
    )
    if simple and len(live) != 1:
        key = next(iter(simple))
        raise _error(
            key, _("This product has variants: set the %(field)s on each of them.") % {"field": key}
        )
    items = [{"id": live[0], **simple}] if simple else []
    with _as_product_fields():
        _variants_write(product=product, options=options, items=items)


@contextmanager
def _as_product_fields():
    """Errors about the one variant of a simple product name the product's fields
    (`sku`, not `variants.0.sku`): that is what the caller sent."""
    try:
        yield
    except DomainValidationError as error:
        fields = error.extra.get("fields")
        if fields:
            error.extra["fields"] = {
                key.removeprefix("variants.0.").removeprefix("variants.id="): value
                for key, value in fields.items()
            }
        raise


@transaction.atomic
def variant_create(*, user: User | None, product: Product, data: dict[str, Any]) -> ProductVariant:
    require_manager(user=user, shop=product.shop_id)
    product = _lock_product(product)
    before = set(
        ProductVariant.objects.filter(product=product, deleted_at=None).values_list("pk", flat=True)
    )
    data = {key: value for key, value in data.items() if key != "id"}
    variants = _variants_write(product=product, options=None, items=[data])
    return next(variant for variant in variants if variant.pk not in before)


@transaction.atomic
def variant_update(
    *, user: User | None, variant: ProductVariant, data: dict[str, Any]
) -> ProductVariant:
    require_manager(user=user, shop=variant.shop_id)
    product = _lock_product(variant.product)
    data = {key: value for key, value in data.items() if key != "id"}
    variants = _variants_write(product=product, options=None, items=[{**data, "id": variant.pk}])
    return next(v for v in variants if v.pk == variant.pk)


@transaction.atomic
def variant_delete(*, user: User | None, variant: ProductVariant) -> None:
    """Remove a variant (orders keep their snapshot); a product keeps at least one."""
    require_manager(user=user, shop=variant.shop_id, action="delete")
    product = _lock_product(variant.product)
    _variants_write(product=product, options=None, items=[], remove_ids=[variant.pk])


@transaction.atomic
def variants_generate(
    *, user: User | None, product: Product, price=None, stock_quantity: int = 0
) -> int:
    """Add a variant for every combination of the product's option values that it does
    not have yet (the admin's "generate all combinations"), priced as its cheapest
    variant unless `price`, with `stock_quantity`. Variants left without a value of
    every option (from before an option was added) are removed. Answers how many were
    added."""
    require_manager(user=user, shop=product.shop_id)
    product = _lock_product(product)
    return _generate(product, _options_read(product), price, stock_quantity)


@transaction.atomic
def product_options_set(
    *, user: User | None, product: Product, options: Any, price=None, stock_quantity: int = 0
) -> int:
    """Make the product's options these (`[{name, values}]`) and its variants follow:
    variants whose values remain keep their SKU, price and stock; combinations that are
    new get a variant (`price`, else the product's lowest, and `stock_quantity`); those
    left without a value of every option are removed. Answers how many were added."""
    require_manager(user=user, shop=product.shop_id)
    product = _lock_product(product)
    states = _options_write(product, options_clean(options))
    return _generate(product, states, price, stock_quantity)


def _generate(product: Product, options: list[_Option], price, stock_quantity: int) -> int:
    live = list(
        ProductVariant.objects.filter(product=product, deleted_at=None)
        .order_by("position", "pk")
        .prefetch_related("option_values")
    )
    held = set()
    stale = []
    current = {value.pk for state in options for value in state.values.values()}
    kept: dict[int, set[int]] = {}  # a stale variant's values that are still options'
    for variant in live:
        values = _current_values(variant, options) if options else []
        if options and not values:
            stale.append(variant.pk)  # left without a value of every option
            # Only a variant that lost no value of its own (an option was added; the one
            # variant of a simple product) takes a new combination; one whose value is
            # gone (L removed, XL added) is removed: L's stock is not XL's.
            held_before = {int(pk) for pk in variant.combination.split("-") if pk.isdigit()}
            if held_before <= current:
                kept[variant.pk] = {v.pk for v in variant.option_values.all()} & current
            continue
        combination = _describe(options, values)[0]
        if combination in held:
            stale.append(variant.pk)  # without options, the first variant stays
        else:
            held.add(combination)
    combos: list[list[ProductOptionValue]] = [[]]
    for state in options:
        ordered = sorted(state.values.values(), key=lambda value: (value.position, value.pk))
        combos = [[*combo, value] for combo in combos for value in ordered]
    missing = [combo for combo in combos if _describe(options, combo)[0] not in held]
    if len(held) + len(missing) > MAX_VARIANTS:
        raise _error(
            "options",
            _("These options make %(count)d combinations: a product has at most %(most)d variants.")
            % {"count": len(held) + len(missing), "most": MAX_VARIANTS},
        )
    base = price if price is not None else product.price
    items = [
        {
            "price": base,
            "stock_quantity": stock_quantity,
            "options": {
                state.option.name: value.value for state, value in zip(options, combo, strict=True)
            },
        }
        for combo in missing
    ]
    if not options and not live:
        items = [{"price": base, "stock_quantity": stock_quantity, "options": {}}]
    # A variant left without a full combination takes the first new one that has the
    # values it still holds, keeping its SKU, price and stock (the one variant of a
    # simple product becomes the first; "Size: M" becomes "Size: M / Colour: Red" when
    # Colour is added, not "Size: S / Colour: Blue").
    reused = 0
    if options:
        free = list(range(len(missing)))
        for variant_id in list(stale):
            if variant_id not in kept:
                continue  # a second variant of one combination: removed
            index = next(
                (i for i in free if kept[variant_id] <= {value.pk for value in missing[i]}),
                None,
            )
            if index is None:
                continue
            free.remove(index)
            items[index] = {"id": variant_id, "options": items[index]["options"]}
            stale.remove(variant_id)
            reused += 1
    _variants_write(product=product, options=options, items=items, remove_ids=stale)
    return len(items) - reused

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

DEFAULT_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffFactory(UserFactory):
    """Platform staff (not a superuser) holding Django's model permissions: every one by
    default; `permissions=["view"]` only the view ones, `permissions=[]` none, or a list of
    "app_label.codename" (mixed with the actions "view", "add", "change", "delete")."""

    is_staff = True

    @factory.post_generation
    def permissions(obj, create, extracted, **kwargs):
        if not create:
            return
        from django.contrib.auth.models import Permission

        wanted = Permission.objects.all()
        if extracted is not None:
            actions = [name for name in extracted if "." not in name]
            named = [name.split(".", 1) for name in extracted if "." in name]
            chosen = Permission.objects.none()
            for action in actions:
                chosen = chosen | Permission.objects.filter(codename__startswith=f"{action}_")
            for app_label, codename in named:
                chosen = chosen | Permission.objects.filter(
                    content_type__app_label=app_label, codename=codename
                )
            wanted = chosen
        obj.user_permissions.set(wanted)


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "shops.Shop"
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Shop {n}")
    slug = factory.Sequence(lambda n: f"shop-{n}")
    email = factory.Sequence(lambda n: f"shop{n}@example.com")
    approved_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def ships(obj, create, extracted, **kwargs):
        """A shop ships everywhere at no charge, as shop_create makes it (ships=False: a
        shop with no shipping zone at all)."""
        if create and extracted is not False:
            from shipping.services import shipping_default_zone_create

            shipping_default_zone_create(shop=obj)


class MembershipFactory(factory.django.DjangoModelFactory):
    """A shop member, whose address is verified (shops.services admits no other)."""

    class Meta:
        model = "shops.ShopMembership"
        skip_postgeneration_save = True

    shop = factory.SubFactory(ShopFactory)
    user = factory.SubFactory(UserFactory)
    role = "owner"

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            verify_email(obj.user)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalog.Category"

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    parent = None


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalog.Tag"

    name = factory.Sequence(lambda n: f"tag{n}")
    slug = factory.Sequence(lambda n: f"tag{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    """A product as the services make it: one variant (`sku`, `price`, `stock_quantity`)
    unless `options` is given, search words included (on PostgreSQL).

    `options=[("Size", ["S", "M"]), ("Colour", ["Red", "Blue"])]` makes a variant of every
    combination, each at `price` with `stock_quantity`, SKUs `<sku>-1`, `<sku>-2`, ..."""

    class Meta:
        model = "catalog.Product"
        skip_postgeneration_save = True

    class Params:
        sku = factory.Sequence(lambda n: f"SKU-{n:05d}")

    shop = factory.SubFactory(ShopFactory)
    category = None
    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    description = "A fine thing."
    price = "19.99"
    price_max = factory.SelfAttribute("price")
    stock_quantity = 10
    is_active = True
    options = None

    @classmethod
    def _create(cls, model_class, *args, options=None, **kwargs):
        product = super()._create(model_class, *args, **kwargs)
        product._factory_options = options
        return product

    @classmethod
    def _build(cls, model_class, *args, options=None, **kwargs):
        return super()._build(model_class, *args, **kwargs)

    @factory.post_generation
    def tags(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.tags.set(extracted)

    variant = factory.RelatedFactory(
        "tests.factories.VariantFactory",
        factory_related_name="product",
        sku=factory.SelfAttribute("..sku"),
        price=factory.SelfAttribute("..price"),
        stock_quantity=factory.SelfAttribute("..stock_quantity"),
    )

    @factory.post_generation
    def _index(obj, create, extracted, **kwargs):
        if create:
            from catalog.services import product_options_set, product_search_index_update

            options = getattr(obj, "_factory_options", None)
            if options:
                sku = obj.variants.get().sku
                product_options_set(
                    user=None,
                    product=obj,
                    options=[{"name": name, "values": values} for name, values in options],
                    stock_quantity=obj.stock_quantity,
                )
                for number, variant in enumerate(obj.variants.order_by("position", "pk"), 1):
                    variant.sku = f"{sku}-{number}"
                    variant.save(update_fields=["sku"])
                obj.refresh_from_db()
            product_search_index_update(product_ids=[obj.pk])


class VariantFactory(factory.django.DjangoModelFactory):
    """The one variant of a product without options (ProductFactory makes it)."""

    class Meta:
        model = "catalog.ProductVariant"

    product = factory.SubFactory(ProductFactory, variant=None)
    shop = factory.SelfAttribute("product.shop")
    sku = factory.Sequence(lambda n: f"VAR-{n:05d}")
    price = "19.99"
    stock_quantity = 10
    combination = ""
    options_text = ""


def _product_id(product) -> int:
    return product if isinstance(product, int) else product.pk


def set_stock(product, quantity: int) -> None:
    """Set the stock of a product with one variant (and its summary), as a sale or a
    restock elsewhere would, without the services' rules (tests only)."""
    from catalog.models import ProductVariant
    from catalog.services import products_summary_refresh

    ProductVariant.objects.filter(product_id=_product_id(product), deleted_at=None).update(
        stock_quantity=quantity
    )
    products_summary_refresh(product_ids=[_product_id(product)])


def set_price(product, price: str) -> None:
    """Set the price of a product with one variant (and its summary), as its shop would."""
    from catalog.models import ProductVariant
    from catalog.services import products_summary_refresh

    ProductVariant.objects.filter(product_id=_product_id(product), deleted_at=None).update(
        price=price
    )
    products_summary_refresh(product_ids=[_product_id(product)])


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalog.Review"

    product = factory.SubFactory(ProductFactory)
    user = factory.SubFactory(UserFactory)
    rating = 4
    title = "Good"
    body = "Does the job."


def address_data(**overrides) -> dict:
    return {
        "full_name": "Ada Lovelace",
        "line1": "12 St James's Square",
        "line2": "",
        "city": "London",
        "region": "",
        "postal_code": "SW1Y 4JH",
        "country": "GB",
        "phone": "+44 20 7946 0000",
        **overrides,
    }


def verify_email(user):
    """Mark the user's address verified, as following the mailed link does."""
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user

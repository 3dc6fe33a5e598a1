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

    name = factory.Sequence(lambda n: f"Shop {n}")
    slug = factory.Sequence(lambda n: f"shop-{n}")
    email = factory.Sequence(lambda n: f"shop{n}@example.com")
    approved_at = factory.LazyFunction(timezone.now)


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
    """A product as the services make it (search words included, on PostgreSQL)."""

    class Meta:
        model = "catalog.Product"
        skip_postgeneration_save = True

    shop = factory.SubFactory(ShopFactory)
    category = None
    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    description = "A fine thing."
    price = "19.99"
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    stock_quantity = 10
    is_active = True

    @factory.post_generation
    def tags(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.tags.set(extracted)

    @factory.post_generation
    def _index(obj, create, extracted, **kwargs):
        if create:
            from catalog.services import product_search_index_update

            product_search_index_update(product_ids=[obj.pk])


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

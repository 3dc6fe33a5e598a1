"""The API's routes, mounted at /api/v1/.

Every address answers with and without its trailing slash, with no redirect.
"""

from django.urls import re_path
from rest_framework.routers import DefaultRouter

from accounts import api as accounts_api
from cart import api as cart_api
from catalog import api as catalog_api
from invoices import api as invoices_api
from notifications import api as notifications_api
from orders import api as orders_api
from payments import api as payments_api
from promotions import api as promotions_api
from recommendations import api as recommendations_api
from returns import api as returns_api
from shipping import api as shipping_api
from shops import api as shops_api


class OptionalSlashRouter(DefaultRouter):
    include_root_view = False
    include_format_suffixes = False

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"


def optional_slash(route: str, view, name: str):
    """A route that answers with and without its trailing slash."""
    return re_path(rf"^{route.strip('/')}/?$", view, name=name)


router = OptionalSlashRouter()
router.register("users", accounts_api.UserViewSet, basename="user")
router.register("addresses", accounts_api.AddressViewSet, basename="address")
router.register(
    r"shops/(?P<shop_id>[0-9]+)/shipping-zones",
    shipping_api.ShippingZoneViewSet,
    basename="shipping-zone",
)
router.register(
    r"shops/(?P<shop_id>[0-9]+)/shipping-methods",
    shipping_api.ShippingMethodViewSet,
    basename="shipping-method",
)
router.register("shops", shops_api.ShopViewSet, basename="shop")
router.register("categories", catalog_api.CategoryViewSet, basename="category")
router.register("tags", catalog_api.TagViewSet, basename="tag")
router.register(
    r"products/(?P<product_id>[0-9]+)/reviews",
    catalog_api.ProductReviewViewSet,
    basename="product-review",
)
router.register("products", catalog_api.ProductViewSet, basename="product")
router.register("variants", catalog_api.VariantViewSet, basename="variant")
router.register("reviews", catalog_api.ReviewViewSet, basename="review")
router.register("orders", orders_api.OrderViewSet, basename="order")
router.register("promotions", promotions_api.PromotionViewSet, basename="promotion")
router.register("vouchers", promotions_api.VoucherViewSet, basename="voucher")
router.register("returns", returns_api.ReturnViewSet, basename="return")
router.register("notifications", notifications_api.NotificationViewSet, basename="notification")
router.register("payments/methods", payments_api.SavedMethodViewSet, basename="payment-method")
router.register("payments", payments_api.PaymentViewSet, basename="payment")

app_name = "api"

urlpatterns = [
    optional_slash("auth/register", accounts_api.RegisterView.as_view(), "auth-register"),
    optional_slash("auth/login", accounts_api.LoginView.as_view(), "auth-login"),
    optional_slash("auth/refresh", accounts_api.RefreshView.as_view(), "auth-refresh"),
    optional_slash("auth/logout", accounts_api.LogoutView.as_view(), "auth-logout"),
    optional_slash(
        "auth/forgot-password", accounts_api.ForgotPasswordView.as_view(), "auth-forgot-password"
    ),
    optional_slash(
        "auth/reset-password", accounts_api.ResetPasswordView.as_view(), "auth-reset-password"
    ),
    optional_slash(
        "auth/change-password", accounts_api.ChangePasswordView.as_view(), "auth-change-password"
    ),
    optional_slash(
        "auth/verify-email", accounts_api.VerifyEmailView.as_view(), "auth-verify-email"
    ),
    optional_slash("auth/me", accounts_api.MeView.as_view(), "auth-me"),
    # Before the products routes, which would take "categories" for a product id.
    optional_slash(
        "products/categories", catalog_api.CategoryTreeView.as_view(), "product-category-tree"
    ),
    optional_slash(
        r"products/(?P<product_id>[0-9]{1,18})/recommendations",
        recommendations_api.ProductRecommendationsView.as_view(),
        "product-recommendations",
    ),
    optional_slash("cart", cart_api.CartView.as_view(), "cart"),
    optional_slash("cart/add", cart_api.CartAddView.as_view(), "cart-add"),
    optional_slash("cart/token", cart_api.CartTokenView.as_view(), "cart-token"),
    optional_slash("cart/voucher", cart_api.CartVoucherView.as_view(), "cart-voucher"),
    optional_slash("wishlist", cart_api.WishlistView.as_view(), "wishlist"),
    optional_slash(
        "wishlist/move-to-cart", cart_api.WishlistMoveView.as_view(), "wishlist-move-to-cart"
    ),
    optional_slash(
        r"orders/(?P<order_id>[0-9a-fA-F-]+)/invoices",
        invoices_api.OrderInvoicesView.as_view(),
        "order-invoices",
    ),
    optional_slash(
        r"invoices/(?P<invoice_id>[0-9]+)/pdf", invoices_api.InvoicePdfView.as_view(), "invoice-pdf"
    ),
    optional_slash(
        r"orders/(?P<order_id>[0-9a-fA-F-]+)/returns",
        returns_api.OrderReturnsView.as_view(),
        "order-returns",
    ),
    optional_slash("cart/checkout", orders_api.CheckoutView.as_view(), "cart-checkout"),
    optional_slash(
        "cart/shipping-options",
        cart_api.CartShippingOptionsView.as_view(),
        "cart-shipping-options",
    ),
    optional_slash(r"cart/(?P<item_id>[0-9]+)", cart_api.CartItemView.as_view(), "cart-item"),
    optional_slash(
        r"users/(?P<user_id>[0-9]+)/orders", orders_api.UserOrdersView.as_view(), "user-orders"
    ),
    optional_slash("reports/sales", orders_api.SalesReportView.as_view(), "reports-sales"),
    optional_slash(
        "reports/seller-statements",
        orders_api.SellerStatementsView.as_view(),
        "reports-seller-statements",
    ),
    optional_slash("payments/create", payments_api.PaymentCreateView.as_view(), "payment-create"),
    optional_slash("payments/providers", payments_api.ProvidersView.as_view(), "payment-providers"),
    optional_slash(
        "payments/confirm", payments_api.PaymentConfirmView.as_view(), "payment-confirm"
    ),
    optional_slash("payments/refund", payments_api.RefundCreateView.as_view(), "payment-refund"),
    *router.urls,
]

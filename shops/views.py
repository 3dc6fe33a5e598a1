"""Shop pages: the directory of active shops and the members page of a shop's owners.

Members are added and removed through shops.services, the functions the API calls; a
domain error (no account with that address, the last owner leaving) is shown on the page.
A shop's storefront with its products is catalog.views.listings.shop_detail.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from core.errors import ApplicationError
from core.forms import form_add_service_error
from shops import policies, selectors, services
from shops.forms import MemberAddForm
from shops.models import Shop, ShopMembership

SHOPS_PER_PAGE = 24


@require_safe
def shop_list(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(selectors.shop_list(), SHOPS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    page_range = (
        list(paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1))
        if paginator.num_pages > 1
        else []
    )
    context = {
        "shops": list(page.object_list),
        "page_obj": page,
        "paginator": paginator,
        "page_range": page_range,
        "ellipsis": Paginator.ELLIPSIS,
    }
    return render(request, "shops/shop_list.html", context)


def _owned_shop(request: HttpRequest, slug: str) -> Shop:
    """The shop if the caller owns it (or is platform staff). Its other members get a
    403; anyone else a 404, as if the page did not exist."""
    shop = get_object_or_404(selectors.shop_list(user=request.user), slug=slug)
    if policies.may_manage_shop(request.user, shop):
        return shop
    if selectors.user_is_member(user=request.user, shop=shop):
        raise PermissionDenied(_("Only the shop's owners manage its members."))
    raise Http404("No such shop.")


@require_http_methods(["GET", "POST"])
@login_required
def members(request: HttpRequest, slug: str) -> HttpResponse:
    shop = _owned_shop(request, slug)
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.membership_add(
                shop=shop,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                by=request.user,
            )
        except ApplicationError as exc:
            form_add_service_error(form, exc)
        else:
            messages.success(
                request,
                _("%(email)s is now %(role)s of %(shop)s.")
                % {
                    "email": membership.user.email,
                    "role": membership.get_role_display().lower(),
                    "shop": shop.name,
                },
            )
            if not policies.may_manage_shop(request.user, shop):
                # The owner made themselves staff: this page is no longer theirs.
                return redirect("catalog:shop_detail", slug=shop.slug)
            return redirect("shops:members", slug=shop.slug)
    context = {
        "shop": shop,
        "memberships": list(selectors.shop_members(shop=shop)),
        "form": form,
    }
    return render(request, "shops/members.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def member_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Asks first (GET), removes on POST. The last owner cannot be removed."""
    shop = _owned_shop(request, slug)
    membership: ShopMembership = get_object_or_404(selectors.shop_members(shop=shop), pk=pk)
    error = None
    if request.method == "POST":
        try:
            services.membership_remove(membership=membership, by=request.user)
        except ApplicationError as exc:
            error = exc.detail
        else:
            messages.success(
                request,
                _("%(email)s no longer manages %(shop)s.")
                % {"email": membership.user.email, "shop": shop.name},
            )
            if membership.user_id == request.user.pk and not policies.may_manage_shop(
                request.user, shop
            ):
                return redirect("catalog:shop_detail", slug=shop.slug)
            return redirect("shops:members", slug=shop.slug)
    context = {"shop": shop, "membership": membership, "error": error}
    return render(request, "shops/member_remove.html", context)

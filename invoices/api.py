"""An order's invoices and credit notes over the API (orders/{id}/invoices/), and a
document's PDF (invoices/{id}/pdf/)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from cart.api import ShopRefSerializer
from cart.auth import GuestsWelcome
from invoices import selectors
from invoices.models import DocumentKind
from invoices.views import invoice_file
from orders.selectors import order_get_for


class InvoiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    number = serializers.CharField()
    shop = serializers.SerializerMethodField()
    credits = serializers.CharField(
        source="credits.number", allow_null=True, default=None, help_text="A credit note's invoice."
    )
    issued_at = serializers.DateTimeField()
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    shipping = serializers.DecimalField(max_digits=12, decimal_places=2)
    discount = serializers.DecimalField(max_digits=12, decimal_places=2)
    tax_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    pdf_url = serializers.SerializerMethodField(help_text="The PDF (with the same credentials).")

    @extend_schema_field(ShopRefSerializer)
    def get_shop(self, invoice) -> dict:
        return {"id": invoice.shop_id, "name": invoice.seller.get("name", "")}

    def get_pdf_url(self, invoice) -> str:
        return reverse(
            "api:invoice-pdf",
            kwargs={"invoice_id": invoice.pk},
            request=self.context.get("request"),
        )


class OrderInvoicesView(GuestsWelcome, APIView):
    @extend_schema(operation_id="orders_invoices_list", responses=InvoiceSerializer(many=True))
    def get(self, request, order_id):
        """The order's invoices and credit notes the caller may read (its buyer: all;
        a shop's members: their shop's)."""
        order = order_get_for(user=request.user, order_id=order_id)
        if order is None:
            raise NotFound(_("No such order."))
        invoices = selectors.order_invoices_for(user=request.user, order=order)
        return Response(InvoiceSerializer(invoices, many=True, context={"request": request}).data)


class InvoicePdfView(GuestsWelcome, APIView):
    @extend_schema(
        operation_id="invoices_pdf",
        responses={(200, "application/pdf"): OpenApiResponse(response=OpenApiTypes.BINARY)},
    )
    def get(self, request, invoice_id: int):
        """The document as a PDF."""
        invoice = selectors.invoice_get_for(user=request.user, invoice_id=invoice_id)
        if invoice is None:
            raise NotFound(_("No such invoice."))
        return invoice_file(invoice)

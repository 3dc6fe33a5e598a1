from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.errors import ApplicationError


class AlreadyReviewed(ApplicationError):
    code = "already_reviewed"
    status_code = 409
    default_detail = _("You have already reviewed this product: edit your review instead.")


class ReviewNotAllowed(ApplicationError):
    code = "permission_denied"
    status_code = 403
    default_detail = _("Members of the product's shop cannot review it.")


class InvalidImage(ApplicationError):
    code = "validation_error"
    status_code = 400
    default_detail = _("Upload a JPEG, PNG, WebP or GIF image.")

    def __init__(self, detail: str | None = None):
        detail = detail or self.default_detail
        super().__init__(detail, fields={"image": [detail]})


class ProductImportFileInvalid(ApplicationError):
    """A product import file that cannot be read at all: not UTF-8, no or a wrong header."""

    code = "import_file_invalid"
    status_code = 400
    default_detail = _("The file is not a product CSV file.")


class ProductImportInvalid(ApplicationError):
    """Rows of a product import failed validation; nothing was written. `errors` lists
    them all (catalog.services.ProductImportError: line, field, message)."""

    code = "import_invalid"
    status_code = 400
    default_detail = _("Some rows are not valid: nothing was imported.")

    def __init__(self, errors: list) -> None:
        lines = len({error.line for error in errors})
        super().__init__(
            ngettext(
                "%(count)d row(s) are not valid: nothing was imported.",
                "%(count)d row(s) are not valid: nothing was imported.",
                lines,
            )
            % {"count": lines}
        )
        self.errors = errors


class ProductImportConflict(ApplicationError):
    """Another writer added a product with one of the imported SKUs during the import."""

    code = "import_conflict"
    status_code = 409
    default_detail = _(
        "A product with one of these SKUs was added while the file was imported: "
        "nothing was imported. Run the import again."
    )

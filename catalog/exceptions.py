from config.errors import ApplicationError


class AlreadyReviewed(ApplicationError):
    code = "already_reviewed"
    status_code = 409
    default_detail = "You have already reviewed this product: edit your review instead."


class ReviewNotAllowed(ApplicationError):
    code = "permission_denied"
    status_code = 403
    default_detail = "Members of the product's shop cannot review it."


class InvalidImage(ApplicationError):
    code = "validation_error"
    status_code = 400
    default_detail = "Upload a JPEG, PNG, WebP or GIF image."

    def __init__(self, detail: str | None = None):
        detail = detail or self.default_detail
        super().__init__(detail, fields={"image": [detail]})

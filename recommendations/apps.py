from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecommendationsConfig(AppConfig):
    name = "recommendations"
    verbose_name = _("Recommendations")

    def ready(self) -> None:
        from catalog import late_parts
        from recommendations.templatetags.recommendation_tags import (
            LATE_PART,
            late_keys,
            render_late,
        )

        # The cached whole product page gets its recommendations when it is sent.
        late_parts.register(LATE_PART, render_late, keys=late_keys)

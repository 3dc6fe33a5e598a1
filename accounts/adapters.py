from allauth.account.adapter import DefaultAccountAdapter

from config.emails import queue_email


class AccountAdapter(DefaultAccountAdapter):
    """allauth's mails are rendered here (allauth builds their context) and sent by a
    worker after commit, like every other mail of the shop."""

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        request = self.request
        context = {"request": request, "email": email, **context}
        message = self.render_mail(template_prefix, email, context)
        queue_email(message)

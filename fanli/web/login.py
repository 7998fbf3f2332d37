"""The one login form of the site, throttled. (``/admin/login/`` sends here; the API takes tokens.)

Each attempt is counted before its password is checked, per address and per username, with an
atomic increment in the shared cache (``fanli.common.throttle``): the sixth attempt within fifteen
minutes, and every one after it, is refused without checking the password, however many arrive
at once. A successful login clears its username's count and takes back its own count on the
address, so colleagues behind one address are not locked out by each other's logins.

Counts live in Django's cache: the file cache shared by the processes of one machine, or Redis
(``FANLI_REDIS_URL``) when processes span machines.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fanli.common.throttle import attempt_count, attempt_uncount, attempts_clear

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60


def address_key(request: Any) -> str:
    address = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    return f"login-attempts:address:{address}"


def username_key(username: str) -> str:
    return f"login-attempts:user:{username.lower()}"


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _("Too many failed attempts. Please wait 15 minutes and try again."),
    }

    def clean(self) -> dict[str, Any]:
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if not (username and password):
            return super().clean()  # nothing to check, so nothing to count
        # The address first: once it is over the limit, its attempts no longer add username counters.
        for key in (address_key(self.request), username_key(username)):
            if attempt_count(key, window_seconds=WINDOW_SECONDS) > MAX_FAILURES:
                raise ValidationError(self.error_messages["throttled"], code="throttled")
        cleaned = super().clean()  # a wrong password raises here, and the attempt stays counted
        attempts_clear(username_key(username))
        attempt_uncount(address_key(self.request), window_seconds=WINDOW_SECONDS)
        return cleaned


class ThrottledLoginView(LoginView):
    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True

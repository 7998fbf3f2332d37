"""The web UI: the back office for staff and the portal for customers.

Server-rendered templates with htmx for partial updates (the htmx script comes from the
installed django-htmx package, never a CDN). Views are thin: they check the role (or the portal
user's customer), call one selector or service, and render. Objects outside a user's reach
answer 404, so ids cannot be probed.
"""

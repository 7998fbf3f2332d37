"""Who may do what: staff roles (Django groups) and customer portal users.

Roles are groups with fixed names, so they survive without extra tables and show in the admin.
A staff user's role decides which back-office pages and actions they reach (``can``); a sales
representative (channel manager who owns customers) sees only the customers they own. A portal
user is linked to exactly one customer and sees that customer (and its branches, for a parent).
"""

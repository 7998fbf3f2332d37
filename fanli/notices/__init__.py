"""Notices to customers (返利通知): an event (a statement issued, a payout made…) becomes one notice
in the customer's portal inbox and one e-mail to each contact person who takes that kind of
notice, in the contact's language, sent by a job and retried when sending fails."""

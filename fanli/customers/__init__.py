"""Customers: the companies and members Fanli pays.

A customer has a unique code, a kind (distributor, dealer, retailer, joint venture, member), a
grade from a configurable ladder, an optional parent whose branches can pool their volume, and
the attributes policies select on (region, tags, start date for tenure). Imports upsert by code.
"""

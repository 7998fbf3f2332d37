"""Catalog: products with a category tree and brands; what policy scopes select on."""

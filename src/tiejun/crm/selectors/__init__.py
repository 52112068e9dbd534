"""Reads of crm data, one module per entity."""

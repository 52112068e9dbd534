"""Reads of the sales-model lab, by entity: ``columns`` (the columnar reads and attribution
shared by the reports), ``efficiency`` (the report per model) and ``panel`` (the monthly panel).
"""

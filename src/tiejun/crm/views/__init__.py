"""The crm pages, one module per entity."""

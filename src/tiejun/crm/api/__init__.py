"""The crm API routers, one module per entity."""

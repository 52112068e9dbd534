"""The scoreboard's pages, one module per entity: the board, a person's page, TV mode and the
targets page (the target cascade)."""

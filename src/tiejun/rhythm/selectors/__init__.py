"""The daily rhythm: the morning kickoff sheet (``kickoff``), the evening review with its
forecast (``review``), the risk points (``risks``).

Callers authorise first (``org.selectors.access_unit``); these take a unit the viewer may see.
Every read is a fixed number of grouped queries whatever the number of reps: the unit figures
come from ``board_for_unit`` (so they match the board), the reps' figures from one grouped query
over the scoreboard's facts. The review and the risks read the same subtree (``subtree``).
"""

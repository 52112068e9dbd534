"""The month's shape in the forecast: each working day's place in its month (a slow start, a
month-end rush), learned from the company's own days; shared by the review and the backtest."""

from __future__ import annotations

import datetime as dt

from tiejun import forecast as fc
from tiejun.workdays import WorkCalendar, month_start


def window_places(window: list[dt.date], calendar: WorkCalendar) -> list[str]:
    """Each working day's place in its month (see :func:`tiejun.forecast.shape_key`)."""
    months: dict[dt.date, list[dt.date]] = {}
    places = []
    for day in window:
        month = month_start(day)
        if month not in months:
            months[month] = calendar.month_workdays(month)
        days = months[month]
        places.append(fc.shape_key(days.index(day), len(days)) if day in days else "mid")
    return places


def normalise(
    values: list[float], window: list[dt.date], places: list[str], shape: dict[str, float]
) -> list[float]:
    """A history with each day divided by its place's weight: what a plain day would hold."""
    offset = len(window) - len(values)  # a short history covers the window's last days
    return [v / shape.get(places[offset + i], 1.0) for i, v in enumerate(values)]


def month_shape(
    histories: list[list[float]], window: list[dt.date], calendar: WorkCalendar
) -> tuple[list[str], dict[str, float]]:
    """The window's places and each place's weight, learned from the reps' ``histories`` (each
    covering the end of ``window``)."""
    places = window_places(window, calendar)
    shape = fc.learn_shape(
        (places[len(window) - len(values) + i], v)
        for values in histories
        for i, v in enumerate(values)
    )
    return places, shape


def month_weights(shape: dict[str, float], count: int, elapsed: int) -> tuple[list[float], float]:
    """The remaining days' weights and the elapsed days' summed weight, in a month of ``count``
    working days of which ``elapsed`` are over."""
    future = [shape.get(fc.shape_key(i, count), 1.0) for i in range(elapsed, count)]
    done = sum(shape.get(fc.shape_key(i, count), 1.0) for i in range(elapsed))
    return future, done

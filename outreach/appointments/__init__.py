"""Office appointments (antrean layanan di kantor): sessions at the desk, queue numbers.

Residents who can come in get a session at the office instead of a home visit: sessions per
day from the office's settings (:mod:`.settings`), on the days its calendar is open, each
taking at most ``persons_per_session`` persons; a queue number and time for the receipt and
the status page; the day's list for the desk (:mod:`.daylist`); no-shows rolled over. Office
bookings and planned routes share the office's daily card capacity
(:func:`office_cards_booked`). No flask here; nothing commits.
"""

from outreach.appointments.booking import (
    FLAG_OFFICE,
    OFFICE_REASON,
    SEARCH_DAYS,
    AppointmentError,
    CardDay,
    RollOver,
    active_appointment,
    book,
    card_day,
    day_closed_reason,
    describe,
    get_appointment,
    is_office_reason,
    mark,
    move_to_home,
    move_to_office,
    no_show_count,
    office_cards_booked,
    queue_label,
    refuse_home_visit,
    roll_over_no_shows,
    route_cards_planned,
    sessions_for_day,
)
from outreach.appointments.daylist import DayList, DayRow, SessionBlock, day_list, status_line
from outreach.appointments.settings import (
    SessionSettings,
    parse_sessions,
    read_settings,
    save_settings,
)

__all__ = [
    "FLAG_OFFICE",
    "OFFICE_REASON",
    "SEARCH_DAYS",
    "AppointmentError",
    "CardDay",
    "DayList",
    "DayRow",
    "RollOver",
    "SessionBlock",
    "SessionSettings",
    "active_appointment",
    "book",
    "card_day",
    "day_closed_reason",
    "day_list",
    "describe",
    "get_appointment",
    "is_office_reason",
    "mark",
    "move_to_home",
    "move_to_office",
    "no_show_count",
    "office_cards_booked",
    "parse_sessions",
    "queue_label",
    "read_settings",
    "refuse_home_visit",
    "roll_over_no_shows",
    "route_cards_planned",
    "save_settings",
    "sessions_for_day",
    "status_line",
]

"""Why a request was left out of a plan: stable codes and their Indonesian explanations.

Codes are stored (``PlanUnassigned.reason``); the message shown to a coordinator is rebuilt
from the code and a few parameters, so wording can change without touching stored plans.
Messages are in Indonesian because that is the UI language (English can follow through
Flask-Babel at the view).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable


class Reason(enum.StrEnum):
    """Reason codes, roughly in the order they are checked."""

    NO_TEAMS = "no_teams"  # no team works in the whole horizon
    NOT_WORKING_DAY = "not_working_day"  # the plan's days are all Sundays / holidays
    NO_LOCATION = "no_location"
    OFF_NETWORK = "off_network"  # road network does not reach the point (estimate only)
    UNREACHABLE = "unreachable"  # no way there and back at all
    NO_SKILL = "no_skill"  # no team has every service/trait the request needs
    PINNED_TEAM_UNAVAILABLE = "pinned_team_unavailable"
    PINNED_OTHER_DAY = "pinned_other_day"
    NO_TEAM_ON_DAY = "no_team_on_day"  # the skilled teams do not work on the plan's days
    NOT_AVAILABLE = "not_available"  # the resident is not at home on the plan's days
    WINDOWS_MISS_SHIFTS = "windows_miss_shifts"
    # Home for a shorter time than the visit takes: the visit must end inside the window.
    WINDOW_TOO_SHORT = "window_too_short"
    # The resident is home only on weekdays no team with the skills works.
    NO_TEAM_WHEN_HOME = "no_team_when_home"
    # Taken off a full day to make room for a darurat request (planning.urgent).
    DISPLACED_BY_URGENT = "displaced_by_urgent"
    TOO_LONG = "too_long"  # even alone the visit does not fit in a shift
    CARD_CAPACITY_FULL = "card_capacity_full"
    DAY_FULL = "day_full"
    # A big collective visit split into parts cannot go in as one urgent stop (urgent.py).
    SPLIT_VISIT = "split_visit"
    # Three visits found nobody home: a coordinator calls first (outreach.visits).
    NEEDS_CONTACT = "needs_contact"
    # Taken out of a draft by a coordinator (outreach.planning.edits); a re-plan keeps it out.
    REMOVED_BY_COORDINATOR = "removed_by_coordinator"


#: The plan's note when every team-day of the horizon is taken by an approved route kept as is.
ALL_TEAM_DAYS_KEPT = (
    "Semua tim pada hari yang direncanakan sudah memiliki rute yang disetujui (tidak diubah). "
    'Untuk menambah kunjungan, buat rencana dengan "Rencanakan ulang rute yang sudah disetujui" '
    "atau sisipkan permohonan mendesak."
)

_LABELS = {
    "perekaman_ktp": "perekaman e-KTP",
    "cetak_ktp": "cetak e-KTP",
    "kia": "KIA",
    "kk": "pembaruan KK",
    "akta": "akta",
    "pindah": "surat pindah",
    "petugas_perempuan": "petugas perempuan",
    "bahasa_isyarat": "juru bahasa isyarat",
    "motor": "tim bermotor (gang sempit)",
}

_DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
#: Month names in Indonesian (January first).
MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


def skill_label(skill: str) -> str:
    """Indonesian label of a service or trait code (the code itself when unknown)."""
    return _LABELS.get(skill, skill.replace("_", " "))


def format_date(day: dt.date) -> str:
    """``Senin, 3 Maret 2025``."""
    return f"{_DAYS[day.weekday()]}, {day.day} {MONTHS[day.month - 1]} {day.year}"


def _and(skills: Iterable[str]) -> str:
    """``juru bahasa isyarat dan cetak e-KTP``: skills as one phrase."""
    names = [skill_label(s) for s in sorted(skills)]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " dan " + names[-1]


def _no_skill(needs: Iterable[str], missing: Iterable[str], team: str) -> str:
    needs, missing = set(needs), set(missing)
    if not needs:
        return f"Tidak ada tim yang memiliki keahlian yang dibutuhkan: {_skills(missing)}."
    if team and missing:
        has = needs - missing
        owned = f"{team} punya {_and(has)} tetapi tidak punya {_and(missing)}" if has else ""
        return (
            f"Tidak ada tim yang memiliki semua keahlian yang dibutuhkan sekaligus "
            f"(perlu {_and(needs)}); {owned or f'{team} tidak punya {_and(missing)}'}; "
            f"kurang: {_skills(missing)}."
        )
    return (
        f"Tidak ada tim yang memiliki semua keahlian yang dibutuhkan ({_skills(needs)}); "
        f"kurang: {_skills(missing)}."
    )


def _skills(skills: Iterable[str]) -> str:
    return ", ".join(skill_label(s) for s in sorted(skills)) or "-"


TITLES: dict[Reason, str] = {
    Reason.NO_TEAMS: "Tidak ada tim bertugas",
    Reason.NOT_WORKING_DAY: "Hari libur",
    Reason.NO_LOCATION: "Lokasi belum ada",
    Reason.OFF_NETWORK: "Di luar jaringan jalan",
    Reason.UNREACHABLE: "Tidak terjangkau",
    Reason.NO_SKILL: "Keahlian tim tidak ada",
    Reason.PINNED_TEAM_UNAVAILABLE: "Tim yang dipatok tidak tersedia",
    Reason.PINNED_OTHER_DAY: "Dipatok ke hari lain",
    Reason.NO_TEAM_ON_DAY: "Tim berkeahlian tidak bertugas",
    Reason.NOT_AVAILABLE: "Warga tidak ada di rumah",
    Reason.WINDOWS_MISS_SHIFTS: "Jam warga tidak cocok",
    Reason.WINDOW_TOO_SHORT: "Jam di rumah terlalu singkat",
    Reason.NO_TEAM_WHEN_HOME: "Tidak ada tim saat warga di rumah",
    Reason.DISPLACED_BY_URGENT: "Digeser oleh permohonan darurat",
    Reason.TOO_LONG: "Melebihi satu shift",
    Reason.CARD_CAPACITY_FULL: "Kapasitas cetak KTP penuh",
    Reason.DAY_FULL: "Kapasitas tim penuh",
    Reason.SPLIT_VISIT: "Kunjungan kolektif dibagi beberapa bagian",
    Reason.NEEDS_CONTACT: "Perlu dihubungi koordinator",
    Reason.REMOVED_BY_COORDINATOR: "Dikeluarkan oleh koordinator",
}


def title(reason: Reason | str) -> str:
    """Short Indonesian label of a reason (for lists and summaries)."""
    return TITLES[Reason(reason)]


def describe(
    reason: Reason | str,
    *,
    expected: dt.date | None = None,
    skills: Iterable[str] = (),
    needs: Iterable[str] = (),
    pinned: dt.date | None = None,
    team: str = "",
    urgent_code: str = "",
) -> str:
    """The coordinator-facing explanation of ``reason``, in Indonesian.

    Parameters
    ----------
    reason
        A :class:`Reason` (or its stored string).
    expected
        The day the request is expected to be planned (capacity reasons).
    skills
        Services/traits missing (``no_skill``): that no team has, or that the best-equipped
        team lacks.
    needs
        Everything the request needs (``no_skill``), when known.
    pinned
        The date a request is pinned to (``pinned_other_day``).
    team
        The best-equipped team (``no_skill``, when the teams have every skill together but no
        team alone): named with what it has and what it lacks.
    urgent_code
        The tracking code of the darurat request that took the place
        (``displaced_by_urgent``).

    Returns
    -------
    str
        One sentence.
    """
    code = Reason(reason)
    when = f" Perkiraan dijadwalkan: {format_date(expected)}." if expected else ""
    # Capacity and day reasons without a date: none can be promised (see planning.expected).
    none_ahead = " Belum ada tanggal yang dapat dipastikan dalam tiga bulan ke depan."
    texts = {
        Reason.NO_TEAMS: "Tidak ada tim yang bertugas pada hari yang direncanakan.",
        Reason.NOT_WORKING_DAY: "Hari yang direncanakan adalah hari Minggu atau hari libur.",
        Reason.NO_LOCATION: "Lokasi belum ada; tandai titik lokasi di peta terlebih dahulu.",
        Reason.OFF_NETWORK: (
            "Lokasi tidak terjangkau jaringan jalan (hanya jarak garis lurus yang diketahui); "
            "periksa titik lokasinya."
        ),
        Reason.UNREACHABLE: "Lokasi tidak dapat dicapai dari kantor melalui jalan.",
        Reason.NO_SKILL: _no_skill(needs, skills, team),
        Reason.PINNED_TEAM_UNAVAILABLE: (
            "Dipatok ke tim yang tidak bertugas atau tidak memiliki keahlian yang dibutuhkan."
        ),
        Reason.PINNED_OTHER_DAY: (
            f"Dipatok ke tanggal {format_date(pinned)}." if pinned else "Dipatok ke hari lain."
        ),
        Reason.NO_TEAM_ON_DAY: (
            "Tim yang memiliki keahlian yang dibutuhkan tidak bertugas pada hari itu."
        ),
        Reason.NOT_AVAILABLE: "Warga tidak bisa dikunjungi pada hari yang direncanakan.",
        Reason.NO_TEAM_WHEN_HOME: (
            "Warga hanya ada di rumah pada hari ketika tidak ada tim dengan keahlian yang "
            "dibutuhkan yang bertugas; tanyakan hari lain kepada warga atau atur jadwal tim."
        ),
        Reason.WINDOWS_MISS_SHIFTS: (
            "Pada jam ketersediaan warga, kunjungan ini tidak muat dalam jam kerja tim mana pun "
            "(termasuk istirahat dan kembali ke kantor)."
        ),
        Reason.WINDOW_TOO_SHORT: (
            "Jam di rumah terlalu singkat untuk layanan ini: kunjungan harus selesai sebelum "
            "jam ketersediaan warga berakhir. Tanyakan jam lain kepada warga."
        ),
        Reason.TOO_LONG: (
            "Pada hari yang direncanakan kunjungan ini tidak muat dalam shift tim mana pun "
            "(perjalanan pulang-pergi dan layanan), mis. shift Jumat yang lebih pendek."
            if expected
            else "Kunjungan ini saja sudah melebihi satu shift (perjalanan pulang-pergi dan "
            "layanan)."
        ),
        Reason.CARD_CAPACITY_FULL: f"Kapasitas cetak KTP hari itu sudah penuh.{when or none_ahead}",
        Reason.DAY_FULL: f"Kapasitas tim hari itu sudah penuh.{when or none_ahead}",
        Reason.SPLIT_VISIT: (
            "Kunjungan kolektif ini terlalu besar untuk satu kunjungan dan dibagi menjadi "
            "beberapa bagian; jadwalkan lewat rencana baru, bukan sisipan mendesak."
        ),
        Reason.NEEDS_CONTACT: (
            "Tiga kunjungan tidak bertemu warga. Hubungi warga lebih dulu, lalu tekan "
            '"Sudah dihubungi, rencanakan lagi" di halaman permohonan.'
        ),
        Reason.REMOVED_BY_COORDINATOR: "Dikeluarkan dari rencana oleh koordinator.",
        Reason.DISPLACED_BY_URGENT: (
            f"Digeser oleh permohonan darurat {urgent_code}.".replace(" .", ".")
            + (when or none_ahead)
        ),
    }
    if code in DAY_REASONS:
        return texts[code] + when
    return texts[code]


#: Reasons that hold on the plan's days only: a later date may serve the request, and the
#: message then says when (``expected``).
DAY_REASONS = frozenset(
    {
        Reason.NO_TEAM_ON_DAY,
        Reason.NOT_AVAILABLE,
        Reason.WINDOWS_MISS_SHIFTS,
        Reason.WINDOW_TOO_SHORT,
        Reason.TOO_LONG,
        Reason.NOT_WORKING_DAY,
        Reason.NO_TEAMS,
    }
)

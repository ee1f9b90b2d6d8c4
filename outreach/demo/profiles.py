"""What demo requests of each category look like: ages, services, words, who applies.

The shares follow what Disdukcapil jemput bola programmes report serving most: the elderly,
the sick and residents with disabilities at home, first-time applicants at schools, and a few
urgent cases (a card needed for a hospital stay or a benefit payment).
"""

from __future__ import annotations

from dataclasses import dataclass

# Share of requests per category (kolektif requests are letters for 10-40 persons).
CATEGORY_SHARES: dict[str, float] = {
    "lansia": 0.30,
    "sakit": 0.20,
    "disabilitas": 0.15,
    "darurat": 0.03,
    "pemula": 0.12,
    "kolektif": 0.05,
    "lainnya": 0.15,
}
CHANNEL_WEIGHTS: dict[str, float] = {"form": 0.50, "whatsapp": 0.35, "walk-in": 0.15}
FRIDAY = 4


@dataclass(frozen=True)
class Profile:
    """How requests of one category are drawn.

    Attributes
    ----------
    ages
        ``(min, max)`` age of the person served, in years.
    services
        Service combinations with weights.
    descriptions
        The condition in the applicant's words.
    relations
        Who applies, with weights (``""``: the person themselves).
    """

    ages: tuple[int, int]
    services: tuple[tuple[tuple[str, ...], float], ...]
    descriptions: tuple[str, ...]
    relations: tuple[tuple[str, float], ...]


PROFILES: dict[str, Profile] = {
    "lansia": Profile(
        ages=(60, 94),
        services=(
            (("perekaman_ktp",), 5),
            (("cetak_ktp",), 3),
            (("perekaman_ktp", "kk"), 1),
            (("cetak_ktp", "kk"), 1),
        ),
        descriptions=(
            "Sudah sepuh dan sulit berjalan, tidak kuat antre di kantor.",
            "Lansia tinggal sendiri, pendengaran sudah berkurang.",
            "Mudah lelah dan memakai tongkat; belum pernah rekam KTP-el.",
            "Pikun ringan, perlu didampingi keluarga saat perekaman.",
            "KTP lama masih model kertas, belum pernah perekaman.",
        ),
        relations=(("anak", 6), ("cucu", 1.5), ("menantu", 1), ("", 1.5)),
    ),
    "sakit": Profile(
        ages=(20, 85),
        services=(
            (("perekaman_ktp",), 4),
            (("cetak_ktp",), 3),
            (("perekaman_ktp", "kk"), 1),
        ),
        descriptions=(
            "Terbaring di tempat tidur setelah stroke.",
            "Dalam perawatan di rumah setelah operasi, belum boleh bepergian.",
            "Gagal ginjal, cuci darah dua kali seminggu; hari lain di rumah.",
            "Patah kaki, belum bisa berjalan.",
            "Sakit paru-paru, memakai tabung oksigen.",
        ),
        relations=(("suami", 1.5), ("istri", 1.5), ("anak", 3), ("orang tua", 1), ("", 1)),
    ),
    "disabilitas": Profile(
        ages=(16, 70),
        services=(
            (("perekaman_ktp",), 4),
            (("cetak_ktp",), 2),
            (("perekaman_ktp", "kk"), 1),
        ),
        descriptions=(
            "Pengguna kursi roda; rumah masuk gang sempit.",
            "Disabilitas intelektual, perlu didampingi orang tua.",
            "Tuna netra, perlu pendamping.",
            "Lumpuh layu sejak kecil, tidak dapat duduk lama.",
        ),
        relations=(("orang tua", 4), ("saudara", 2), ("", 1.5)),
    ),
    "darurat": Profile(
        ages=(18, 80),
        services=((("perekaman_ktp",), 2), (("cetak_ktp",), 3)),
        descriptions=(
            "KTP-el diperlukan segera untuk BPJS: sedang rawat inap.",
            "Perlu KTP-el minggu ini untuk pencairan bantuan sosial.",
            "KTP-el hilang, diperlukan untuk operasi yang sudah dijadwalkan.",
        ),
        relations=(("anak", 3), ("suami", 1), ("istri", 1), ("", 1)),
    ),
    "pemula": Profile(
        ages=(16, 17),
        services=((("perekaman_ktp",), 1),),
        descriptions=(
            "Baru berusia 17 tahun, perlu KTP-el untuk mendaftar kuliah.",
            "Siswa pemula, tidak bisa ke kantor pada jam sekolah.",
            "Perlu KTP-el untuk ujian dan membuka rekening tabungan.",
        ),
        relations=(("orang tua", 3), ("", 2)),
    ),
    "lainnya": Profile(
        ages=(0, 16),
        services=((("kia",), 4), (("akta", "kia"), 1), (("kk",), 1)),
        descriptions=(
            "Anak perlu KIA untuk pendaftaran sekolah.",
            "Bayi baru lahir, perlu akta kelahiran dan KIA.",
            "Perubahan data KK; orang tua bekerja pada jam kantor.",
        ),
        relations=(("orang tua", 1),),
    ),
}

# A collective visit: who sends the letter, where the team sets up, who is on the list.
COLLECTIVE_SENDERS: dict[str, tuple[str, str, tuple[int, int]]] = {
    # sender type: (meeting place pattern, contact role, ages of the residents listed)
    "rw": ("Balai RW {rw} {kelurahan}", "Ketua RW", (60, 90)),
    "kelurahan": ("Pendopo Kantor Kelurahan {kelurahan}", "Lurah", (17, 85)),
    "sekolah": ("{school}", "Kepala Sekolah", (16, 17)),
}
SCHOOLS = (
    "SMA Negeri {n} Yogyakarta",
    "SMK Negeri {n} Yogyakarta",
    "SMA Muhammadiyah {n} Yogyakarta",
    "MAN {n} Yogyakarta",
)
# (start, end) of the 2-hour windows residents give; Friday windows end by 14:00 (Jumat).
WINDOWS = (
    ("08:00", "10:00"),
    ("09:00", "11:00"),
    ("10:00", "12:00"),
    ("12:00", "14:00"),
    ("13:00", "15:00"),
)

"""A synthetic research world for trying the research analytics: SAMPLE data, never real statistics.

``generate`` writes OpenAlex-style works, funding records, researchers and patent citations in
the formats the importers read (``openalex.py``, ``records.py``), plus a README saying what they
are. Same ``works`` and ``seed`` give byte-identical files. Every title, institution name and
CSV note says SAMPLE; all institutions are fictional.

The world:

- **Works** 2011–2022 (about +4% a year) over the 26 OpenAlex fields, Medicine the largest, each
  field with 2–4 subfields. ~88% articles, ~8% reviews, ~4% other types (excluded by the
  analysis); ~0.5% without a primary topic; ~0.7% of ids written twice, the newer version first.
- **Countries.** Each work has a lead country drawn from world shares that drift (CN 12% → 24%,
  US 23% → 18.5%, JP 4.6% → 3.5%), times a field specialisation (JP strong in physics, materials,
  chemistry and medicine, weak in social sciences, business and the arts). About a fifth of works
  add co-authors from other countries; with them, ~6% of works have a Japanese author in 2011 and
  ~4.5% in 2022, and ~30% of those are international.
- **Institutions**: 40 Japanese (25 national universities, 8 national R&D agencies, 4 companies,
  3 hospitals) and ~150 foreign ones; ~10% of authorships give two, ~3% none.
- **Japanese researchers**: a pool (6,000 for 50,000 works, growing with the square root, at most
  30,000) with e-Rad numbers, OpenAlex author ids, ORCIDs (~70%), gender (~18% female), birth
  years 1950–1996 and a field; ~8% of Japanese authorships are people outside it (students).
  Output is concentrated (a few prolific, mostly funded researchers); women publish ~20% less
  per head and researchers under 40 less than mid-career ones, so breakdowns by gender and
  career stage differ.
- **Citations**: Poisson over a lognormal rate set by field, age, country, international
  co-authorship and the lead researcher: many 0s and ties, a heavy tail, reviews cited more.
- **Funding**: KAKENHI (most), JST, AMED and NEDO awards per researcher, one row per fiscal year;
  works acknowledge ~85% of them, the award number written in varied width, case, spaces and
  hyphens; funded work is cited a little more. Block grants (運営費交付金) per institution and a
  few commissioned, industry and donation rows are linked to no work.
- **Patents**: ~2% of works are cited by 1–3 patent families, more often highly cited works in
  engineering, chemistry, materials and medicine.

Only the pools (institutions, researchers and their awards) are held in memory; works are
written as they are drawn, so any number of works takes the same memory.
"""

from __future__ import annotations

import bisect
import csv
import gzip
import itertools
import math
import random
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import orjson

SAMPLE_LABEL = "SAMPLE"
FIRST_YEAR, LAST_YEAR = 2011, 2022
YEARS = range(FIRST_YEAR, LAST_YEAR + 1)
CITED_UNTIL = 2023  # the snapshot is from 2024, so its last full citation year is 2023
FIRST_WORK = 4_300_000_001
OA = "https://openalex.org/"

T = TypeVar("T")
Json = dict[str, Any]

DOMAINS = {1: "Life Sciences", 2: "Social Sciences", 3: "Physical Sciences", 4: "Health Sciences"}
# code: name, domain, share of world output, mean citations of a ten-year-old work, patent affinity
FIELDS: dict[int, tuple[str, int, float, float, float]] = {
    11: ("Agricultural and Biological Sciences", 1, 5.0, 16, 0.6), 12: ("Arts and Humanities", 2, 2.0, 3, 0),
    13: ("Biochemistry, Genetics and Molecular Biology", 1, 9.0, 30, 1.5),
    14: ("Business, Management and Accounting", 2, 1.5, 14, 0.1), 15: ("Chemical Engineering", 3, 2, 22, 2.5),
    16: ("Chemistry", 3, 5.0, 24, 2.5), 17: ("Computer Science", 3, 6.0, 14, 1.2),
    18: ("Decision Sciences", 2, 0.6, 12, 0.2), 19: ("Earth and Planetary Sciences", 3, 3.0, 18, 0.2),
    20: ("Economics, Econometrics and Finance", 2, 1.5, 12, 0.0), 21: ("Energy", 3, 2.0, 26, 2.0),
    22: ("Engineering", 3, 9.0, 12, 3.0), 23: ("Environmental Science", 3, 4.0, 22, 0.5),
    24: ("Immunology and Microbiology", 1, 2.5, 28, 1.2), 25: ("Materials Science", 3, 5.0, 24, 3.0),
    26: ("Mathematics", 3, 3.0, 7, 0.1), 27: ("Medicine", 4, 20.0, 20, 1.5),
    28: ("Neuroscience", 1, 3.0, 28, 0.5), 29: ("Nursing", 4, 1.2, 9, 0.0),
    30: ("Pharmacology, Toxicology and Pharmaceutics", 1, 2.5, 18, 2.0),
    31: ("Physics and Astronomy", 3, 6.0, 16, 1.0), 32: ("Psychology", 2, 2.5, 20, 0.0),
    33: ("Social Sciences", 2, 5.0, 9, 0.0), 34: ("Veterinary", 4, 0.8, 9, 0.2),
    35: ("Dentistry", 4, 0.8, 11, 0.8), 36: ("Health Professions", 4, 1.0, 10, 0.3),
}  # fmt: skip
# subfield id = field * 100 + the leading number; names after the Scopus ASJC list OpenAlex uses
SUBFIELDS = {
    11: ("02 Agronomy and Crop Science", "05 Ecology, Evolution, Behavior and Systematics",
         "06 Food Science"),
    12: ("02 History", "03 Language and Linguistics", "08 Literature and Literary Theory"),
    13: ("03 Biochemistry", "06 Cancer Research", "11 Genetics", "12 Molecular Biology"),
    14: ("02 Accounting", "04 Management Information Systems", "08 Strategy and Management"),
    15: ("03 Catalysis", "07 Fluid Flow and Transfer Processes", "08 Process Chemistry and Technology"),
    16: ("02 Analytical Chemistry", "04 Inorganic Chemistry", "05 Organic Chemistry"),
    17: ("02 Artificial Intelligence", "05 Computer Networks and Communications", "12 Software"),
    18: ("03 Management Science and Operations Research", "04 Statistics, Probability and Uncertainty"),
    19: ("02 Atmospheric Science", "06 Geochemistry and Petrology", "08 Geophysics"),
    20: ("02 Economics and Econometrics", "03 Finance"),
    21: ("02 Energy Engineering and Power Technology",
         "05 Renewable Energy, Sustainability and the Environment"),
    22: ("05 Civil and Structural Engineering", "08 Electrical and Electronic Engineering",
         "10 Mechanical Engineering"),
    23: ("03 Ecology", "05 Environmental Engineering", "12 Water Science and Technology"),
    24: ("03 Immunology", "04 Microbiology", "06 Virology"),
    25: ("02 Biomaterials", "04 Electronic, Optical and Magnetic Materials", "05 Materials Chemistry"),
    26: ("02 Algebra and Number Theory", "04 Applied Mathematics", "13 Statistics and Probability"),
    27: ("05 Cardiology and Cardiovascular Medicine", "30 Oncology", "28 Neurology",
         "39 Public Health, Environmental and Occupational Health"),
    28: ("04 Cellular and Molecular Neuroscience", "05 Cognitive Neuroscience"),
    29: ("02 Advanced and Specialized Nursing", "13 Maternity and Midwifery"),
    30: ("03 Pharmaceutical Science", "04 Pharmacology", "05 Toxicology"),
    31: ("03 Astronomy and Astrophysics", "04 Condensed Matter Physics", "06 Nuclear and High Energy Physics",
         "07 Atomic and Molecular Physics, and Optics"),
    32: ("02 Applied Psychology", "03 Clinical Psychology", "05 Experimental and Cognitive Psychology"),
    33: ("04 Education", "12 Sociology and Political Science",
         "20 Political Science and International Relations"),
    34: ("03 Food Animals", "04 Small Animals"),
    35: ("04 Oral Surgery", "06 Periodontics"),
    36: ("12 Physical Therapy, Sports Therapy and Rehabilitation", "16 Speech and Hearing"),
}  # fmt: skip
# country: share of lead authorship in 2011 and in 2022 (interpolated between), citation impact
COUNTRIES: dict[str, tuple[float, float, float]] = {
    "US": (23.0, 18.5, 1.25), "CN": (12.0, 24.0, 0.95), "DE": (6.2, 5.6, 1.15), "GB": (6.2, 5.6, 1.3),
    "JP": (4.6, 3.5, 0.8),  "IN": (3.2, 4.8, 0.65), "IT": (4.0, 4.0, 1.05), "FR": (4.2, 3.6, 1.05),
    "CA": (3.1, 2.8, 1.15), "KR": (2.8, 3.2, 0.9), "AU": (2.8, 3.0, 1.15), "ES": (3.1, 2.9, 1.0),
    "BR": (2.0, 2.2, 0.7), "NL": (1.9, 1.8, 1.35), "CH": (1.4, 1.3, 1.4), "SE": (1.3, 1.2, 1.3),
    "TW": (1.4, 1.1, 0.85), "PL": (1.2, 1.3, 0.75), "TR": (1.1, 1.3, 0.65), "IR": (1.0, 1.4, 0.7),
    "RU": (1.5, 1.5, 0.5), "BE": (0.9, 0.9, 1.25), "DK": (0.8, 0.8, 1.35), "SG": (0.6, 0.6, 1.4),
    "IL": (0.6, 0.6, 1.1), "MX": (0.6, 0.7, 0.7),
}  # fmt: skip
SPECIALISATION: dict[str, dict[int, float]] = {
    "JP": {31: 1.7, 25: 1.6, 16: 1.5, 15: 1.2, 27: 1.25, 35: 1.5, 13: 1.1, 30: 1.2, 24: 1.1, 17: 0.7,
           23: 0.7, 26: 0.9, 29: 0.6, 32: 0.45, 20: 0.35, 33: 0.3, 14: 0.25, 12: 0.3, 18: 0.5, 36: 0.7},
    "CN": {25: 1.8, 16: 1.5, 22: 1.6, 15: 1.5, 21: 1.6, 17: 1.3, 27: 0.7, 33: 0.35, 12: 0.25, 14: 0.5,
           32: 0.3, 29: 0.3},
    "US": {32: 1.5, 33: 1.4, 14: 1.3, 27: 1.15, 28: 1.3, 25: 0.7, 22: 0.8},
    "GB": {12: 1.6, 33: 1.4, 32: 1.3},
}  # fmt: skip
MEDICAL = frozenset({13, 24, 27, 28, 29, 30, 35, 36})
INDUSTRIAL = frozenset({15, 16, 17, 21, 22, 25, 31})
OTHER_TYPES = ("book-chapter", "preprint", "letter", "dataset")
GENDERS = {"female": "女性", "male": "男性", "other": "その他", "unknown": "不明"}
FUNDERS = {  # Japanese name, OpenAlex id, English name; only JSPS's id is OpenAlex's, the others are made up
    "JSPS": ("日本学術振興会", OA + "F4320334764", "Japan Society for the Promotion of Science"),
    "JST": ("科学技術振興機構", OA + "F9000000002", "Japan Science and Technology Agency"),
    "AMED": ("日本医療研究開発機構", OA + "F9000000003", "Japan Agency for Medical Research and Development"),
    "NEDO": ("新エネルギー・産業技術総合開発機構", OA + "F9000000004",
             "New Energy and Industrial Technology Development Organization"),
}  # fmt: skip
# funder, programme, 資金種別, weight, 千円 a year (low, high), years (low, high), below age, id letters
PROGRAMS = (
    ("JSPS", "基盤研究(A)", "科研費", 3, 8_000, 15_000, 3, 5, 99, "H"),
    ("JSPS", "基盤研究(B)", "科研費", 10, 3_000, 6_000, 3, 4, 99, "H"),
    ("JSPS", "基盤研究(C)", "科研費", 30, 800, 1_500, 3, 5, 99, "K"),
    ("JSPS", "若手研究", "科研費", 14, 1_000, 1_800, 2, 4, 40, "K"),
    ("JSPS", "挑戦的研究(萌芽)", "科研費", 6, 1_500, 2_500, 2, 3, 99, "K"),
    ("JSPS", "特別研究員奨励費", "科研費", 4, 900, 1_200, 2, 3, 34, "J"),
    ("JST", "CREST", "その他の競争的研究費", 2, 20_000, 50_000, 5, 5, 99, "CR"),
    ("JST", "さきがけ", "その他の競争的研究費", 2, 8_000, 13_000, 3, 4, 45, "PR"),
    ("AMED", "革新的先端研究開発支援事業", "その他の競争的研究費", 4, 10_000, 40_000, 3, 5, 99, "gm"),
    ("NEDO", "先導研究プログラム", "その他の競争的研究費", 2, 20_000, 80_000, 2, 3, 99, "NP"),
)  # fmt: skip
FUNDING_HEADER = ["課題番号", "配分機関", "研究種目", "資金種別", "研究機関", "研究者番号", "年度",
                  "配分額（千円）", "備考"]  # fmt: skip
RESEARCHER_HEADER = ["研究者番号", "OpenAlex著者ID", "ORCID", "性別", "生年", "キャリア段階", "分野",
                     "所属機関", "備考"]  # fmt: skip
_FULLWIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


class Table(Generic[T]):
    """Items with cumulative weights: a weighted pick is one random number and a bisection."""

    __slots__ = ("cum", "items")

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        pairs = [(item, w) for item, w in pairs if w > 0]
        total = math.fsum(w for _, w in pairs)
        self.items = [item for item, _ in pairs]
        self.cum = list(itertools.accumulate(w / total for _, w in pairs))
        self.cum[-1] = 1.0  # rounding must not leave a gap above the last item

    def pick(self, rng: random.Random) -> T:
        return self.items[bisect.bisect(self.cum, rng.random())]


@dataclass(frozen=True, slots=True)
class SampleFiles:
    directory: Path
    works: Path  # sample-works.jsonl.gz
    funding: Path  # sample-funding.csv
    researchers: Path  # sample-researchers.csv
    patents: Path  # sample-patents.csv
    readme: Path  # README-SAMPLE.txt


@dataclass(frozen=True, slots=True)
class Institution:
    short: str  # I9000000001
    country: str
    kind: str
    size: float
    json: Json  # the authorship's institution object, built once and shared by every work naming it
    alone: tuple[list[Json], list[str]]  # institutions and countries of an authorship naming it alone


@dataclass(frozen=True, slots=True)
class Award:
    award_id: str
    funder: str
    program: str
    kind: str  # 資金種別
    first_fy: int
    last_fy: int
    amount: int  # 千円 a year
    acknowledged: bool  # whether works name it: some funding is never linked to output


@dataclass(frozen=True, slots=True)
class Researcher:
    number: str  # e-Rad researcher number
    author: Json  # the authorship's author object
    gender: str
    birth: int
    field: int
    inst: Institution
    rate: float  # papers per active year, relative
    impact: float  # citation multiplier of the works they lead
    awards: tuple[Award, ...]


def _share(country: str, year: int) -> float:
    first, last, _ = COUNTRIES[country]
    return first + (last - first) * (year - FIRST_YEAR) / (LAST_YEAR - FIRST_YEAR)


def _stage(age: int) -> tuple[str, float]:
    """キャリア段階 by age (the bands of ``identifiers``) and its relative output per head."""
    if age < 40:
        return "若手", 0.7
    return ("中堅", 1.15) if age < 55 else ("シニア", 1.0)


def _institutions(rng: random.Random) -> list[Institution]:
    abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    specs = [(f"SAMPLE 国立大学 {abc[k]}", "JP", "education", 12 / (k + 1) ** 0.8) for k in range(25)]
    specs += [(f"SAMPLE 国立研究開発法人 {abc[k]}", "JP", "government", 3 / (k + 1) ** 0.5) for k in range(8)]
    specs += [(f"SAMPLE 株式会社 {abc[k]}", "JP", "company", 0.8) for k in range(4)]
    specs += [(f"SAMPLE 医療センター {abc[k]}", "JP", "healthcare", 1.2) for k in range(3)]
    total = sum(last for _, last, _ in COUNTRIES.values())
    kinds = ("education", "education", "government", "education", "healthcare", "education", "company")
    label = {"education": "University of", "government": "National Laboratory",
             "healthcare": "Medical Center", "company": "Corporation"}  # fmt: skip
    for code, (_, last, _) in COUNTRIES.items():
        for k in range(max(2, round(150 * last / total)) if code != "JP" else 0):
            kind = kinds[k % len(kinds)]
            specs.append((f"SAMPLE {label[kind]} {code}-{k + 1}", code, kind, 4 / (k + 1) ** 0.7))
    out = []
    for n, (name, country, kind, size) in enumerate(specs, start=1):
        # a ROR id is 0, six characters and two check digits; these two digits check nothing
        short, middle = f"I9{n:09d}", "".join(rng.choices("abcdefghjkmnpqrstvwxyz0123456789", k=4))
        ror = f"https://ror.org/0sa{middle}{n % 100:02d}"
        obj = {"id": OA + short, "display_name": name, "ror": ror, "country_code": country, "type": kind}
        out.append(Institution(short, country, kind, size, obj, ([obj], [country])))
    return out


def _orcid(rng: random.Random) -> str:
    """A well-formed ORCID iD (ISO 7064 MOD 11-2 check digit) in the 0000-000X range."""
    digits = "000" + "".join(rng.choices("0123456789", k=12))
    total = 0
    for d in digits:
        total = (total + int(d)) * 2
    check = (12 - total % 11) % 11
    raw = digits + ("X" if check == 10 else str(check))
    return "https://orcid.org/" + "-".join(raw[k : k + 4] for k in range(0, 16, 4))


# how many awards a researcher holds, by productivity: the prolific win more (companies rarely apply)
AWARD_COUNTS = {
    "company": Table([(0, 90), (1, 10)]),
    "low": Table([(0, 85), (1, 15)]),
    "mid": Table([(0, 50), (1, 40), (2, 10)]),
    "high": Table([(0, 15), (1, 45), (2, 30), (3, 10)]),
}


def _awards(rng: random.Random, field: int, birth: int, tier: str, serial: dict[str, int]) -> list[Award]:
    out = []
    for _ in range(AWARD_COUNTS[tier].pick(rng)):
        # awards start while the researcher is 25–64 and within the years works can acknowledge
        first = rng.randint(max(FIRST_YEAR - 3, birth + 25), min(LAST_YEAR, birth + 64))
        eligible = [
            (p, float(p[3]))
            for p in PROGRAMS
            if first - birth < p[8]
            and (p[0] != "AMED" or field in MEDICAL)
            and (p[0] != "NEDO" or field in INDUSTRIAL)
        ]
        funder, program, ftype, _, low, high, y_low, y_high, _, code = Table(eligible).pick(rng)
        yy = f"{first % 100:02d}"
        serial[code + yy] = number = serial.get(code + yy, 0) + 1
        # KAKENHI: JP, fiscal year, category letter, five digits; the others as their funders write them
        award = {
            "JSPS": f"JP{yy}{code}{number + (10_000 if program == '基盤研究(B)' else 0):05d}",
            "JST": f"JPMJ{code}{yy}{number:02d}",
            "AMED": f"JP{yy}{code}{1_010_000 + number:07d}",
            "NEDO": f"JPNP{yy}{number:03d}",
        }[funder]
        last = first + rng.randint(y_low, y_high) - 1
        amount = rng.randint(low, high) // 10 * 10
        out.append(Award(award, funder, program, ftype, first, last, amount, rng.random() < 0.85))
    return out


def _researchers(rng: random.Random, n: int, jp: list[Institution]) -> list[Researcher]:
    fields = Table([(f, FIELDS[f][2] * SPECIALISATION["JP"].get(f, 1.0)) for f in FIELDS])
    places = {f: Table([(i, i.size) for i in jp if (i.kind != "healthcare" or f in MEDICAL)
                        and (i.kind != "company" or f in INDUSTRIAL)]) for f in FIELDS}  # fmt: skip
    numbers = rng.sample(range(10_000_000, 100_000_000), n)
    serial: dict[str, int] = {}
    out = []
    for k in range(n):
        field = fields.pick(rng)
        birth = min(1996, max(1950, round(rng.triangular(1950, 1997, 1976))))
        # women are fewer in older cohorts and in physics and engineering, more in nursing and psychology
        by_field = {29: 4.0, 32: 1.8, 31: 0.5, 22: 0.5}.get(field, 1.0)
        p_female = 0.18 * (0.55 + 0.9 * (birth - 1950) / 46) * by_field
        g = rng.random()
        gender = "female" if g < p_female else "male" if g < 0.98 else "other" if g < 0.985 else "unknown"
        inst = places[field].pick(rng)
        orcid = _orcid(rng) if rng.random() < 0.7 else None
        author = {"id": f"{OA}A59{k:08d}", "display_name": f"SAMPLE Researcher {k + 1}", "orcid": orcid}
        talent = rng.lognormvariate(0, 1.1)  # output is concentrated: a few prolific researchers
        tier = (
            "company" if inst.kind == "company" else ("low", "mid", "high")[(talent > 0.7) + (talent > 1.8)]
        )
        awards = tuple(_awards(rng, field, birth, tier, serial))
        rate = talent * (0.8 if gender == "female" else 1.0)
        impact = rng.lognormvariate(-0.06, 0.35)
        out.append(Researcher(str(numbers[k]), author, gender, birth, field, inst, rate, impact, awards))
    return out


def _variant(award: str, r: float) -> str:
    """The award number as a paper's acknowledgement may write it."""
    if r < 0.8:
        return award
    if r < 0.88:
        return award.translate(_FULLWIDTH)  # ＪＰ２０Ｈ０１２３４
    if r < 0.94:
        return (award[:-5] + "-" + award[-5:]).lower()  # jp20h-01234
    return award[:2] + " " + award[2:]  # JP 20H01234


def _stamps(year: int, first_month: int, last_month: int) -> list[str]:
    months = range(first_month, last_month + 1)
    return [f"{year}-{m:02d}-{d:02d}T00:00:00.000000" for m in months for d in range(1, 29)]


class _World:
    """The tables works are drawn from; ``work`` draws one work and the patent families citing it."""

    def __init__(
        self, rng: random.Random, insts: list[Institution], pool: list[Researcher], works: int
    ) -> None:
        self.rng, self.works = rng, works
        self.years = Table([(y, 1.04 ** (y - FIRST_YEAR)) for y in YEARS])
        self.fields = Table([(f, FIELDS[f][2]) for f in FIELDS])
        spec = {(c, f): SPECIALISATION.get(c, {}).get(f, 1.0) for c in COUNTRIES for f in FIELDS}
        self.lead = {
            (y, f): Table([(c, _share(c, y) * spec[c, f]) for c in COUNTRIES]) for y in YEARS for f in FIELDS
        }
        # Japan co-authors abroad less than its output suggests: ~30% of its works are international
        self.partner = {
            y: Table([(c, _share(c, y) * (0.35 if c == "JP" else 1)) for c in COUNTRIES]) for y in YEARS
        }
        sizes = (8, 20, 21, 17, 12, 8, 5, 3, 2, 1, 1, 0.8, 0.6, 0.4, 0.2)  # 1–15 authors, mostly 2–6
        self.n_authors = Table(list(enumerate(sizes, start=1)))
        self.places = {c: Table([(i, i.size) for i in insts if i.country == c]) for c in COUNTRIES}
        self.topics = {f: Table([(self._topic(f, sub), 3.0 / (k + 1)) for k, sub in enumerate(SUBFIELDS[f])])
                       for f in FIELDS}  # fmt: skip
        # who publishes in a field and year: researchers aged 25–69, weighted by output per head at that age
        self.active: dict[tuple[int, int], Table[Researcher]] = {}
        for f in FIELDS:
            members = [r for r in pool if r.field == f]
            for y in YEARS:
                live = [(r, r.rate * _stage(y - r.birth)[1]) for r in members if 25 <= y - r.birth < 70]
                if live:
                    self.active[y, f] = Table(live)
        # citations come from the publication year to CITED_UNTIL, most in the second and third years
        self.cite_years = {y: Table([(c, (0.4, 1.0, 1.1, 1.0)[min(c - y, 3)] * 0.9 ** max(0, c - y - 3))
                                     for c in range(y, CITED_UNTIL + 1)]) for y in YEARS}  # fmt: skip
        self.cite_shares = {
            y: [hi - lo for lo, hi in itertools.pairwise([0.0, *t.cum])] for y, t in self.cite_years.items()
        }
        # a citation count grows with age: the share of a ten-year-old work's citations
        self.grown = {y: (1 - math.exp(-(CITED_UNTIL + 0.5 - y) / 4)) / 0.92 for y in YEARS}
        # updated_date: works in the first half of 2024; a duplicated id's versions before and after it
        self.current = _stamps(2024, 1, 6)
        self.newer, self.earlier = _stamps(2024, 8, 12), _stamps(2023, 1, 12)
        self.families = max(500, works // 40)  # fewer families than cited works: a family cites several

    @staticmethod
    def _topic(field: int, sub: str) -> Json:
        name, domain = FIELDS[field][:2]
        return {
            "id": f"{OA}T1{field}{sub[:2]}",
            "display_name": f"SAMPLE topic: {sub[3:]}",
            "subfield": {"id": f"{OA}subfields/{field}{sub[:2]}", "display_name": sub[3:]},
            "field": {"id": f"{OA}fields/{field}", "display_name": name},
            "domain": {"id": f"{OA}domains/{domain}", "display_name": DOMAINS[domain]},
        }

    def work(self, i: int) -> tuple[Json, list[tuple[int, str]]]:
        rng, rand = self.rng, self.rng.random
        num = FIRST_WORK + i
        year, fld = self.years.pick(rng), self.fields.pick(rng)
        lead = self.lead[year, fld].pick(rng)
        n = self.n_authors.pick(rng)
        countries = [lead] * n
        if n > 1 and rand() < (0.1 if lead == "JP" else 0.22):  # international co-authorship
            for j in range(n - min(n - 1, 1 + int(rng.expovariate(1.2))), n):
                c = self.partner[year].pick(rng)
                countries[j] = c if c != lead else self.partner[year].pick(rng)
            if rand() < 0.3:  # a partner leads
                countries[0], countries[-1] = countries[-1], countries[0]
        impact = COUNTRIES[lead][2] * (1.3 if len(set(countries)) > 1 else 1.0)  # international: cited more
        authorships: list[Json] = []
        grants: list[Json] = []
        named: set[str] = set()
        first: Researcher | None = None
        pool = self.active.get((year, fld))
        for pos, c in enumerate(countries):
            person = pool.pick(rng) if c == "JP" and pool and rand() < 0.92 else None
            if person is not None and person.number not in named:
                named.add(person.number)
                author, home = person.author, person.inst
                first = first or person
                for a in person.awards:
                    if a.acknowledged and a.first_fy <= year <= a.last_fy + 3 and rand() < 0.8:
                        name = FUNDERS[a.funder]
                        grants.append({"funder": name[1], "funder_display_name": name[2],
                                       "award_id": _variant(a.award_id, rand())})  # fmt: skip
            else:  # foreign authors, students, staff: no researcher record, an id drawn from a large space
                aid = rng.getrandbits(32)
                author = {"id": f"{OA}A58{aid:010d}", "display_name": f"SAMPLE Author {aid}", "orcid": None}
                home = self.places[c].pick(rng)
            r = rand()
            objs, codes = home.alone
            if r < 0.03:  # unaffiliated
                objs, codes = [], []
            elif r < 0.13:  # a second affiliation: mostly at home, sometimes abroad
                other = self.places[c if r < 0.1 else self.partner[year].pick(rng)].pick(rng)
                if other is not home:
                    objs = [home.json, other.json]
                    codes = [home.country] if other.country == home.country else [home.country, other.country]
            role = "first" if pos == 0 else "last" if pos == n - 1 else "middle"
            authorships.append(
                {"author_position": role, "author": author, "institutions": objs, "countries": codes}
            )
        if first is not None:
            impact *= first.impact * (1.15 if grants else 1.0)
        if lead == "JP" and rand() < 0.03:  # a funder without an award number, as OpenAlex often has
            grants.append(
                {"funder": FUNDERS["JSPS"][1], "funder_display_name": FUNDERS["JSPS"][2], "award_id": None}
            )
        r = rand()
        kind = "article" if r < 0.88 else "review" if r < 0.96 else OTHER_TYPES[int((r - 0.96) * 100) % 4]
        lam = FIELDS[fld][3] * self.grown[year] * impact * (1.8 if kind == "review" else 1.0)
        if rand() < 0.1:  # works hardly anyone reads: the many uncited and once-cited
            lam *= 0.1
        cites = self._poisson(lam * math.exp(rng.gauss(-0.6, 1.1)))  # a mean-one lognormal: the heavy tail
        title = f"{SAMPLE_LABEL} synthetic work {num}"
        doi = f"10.99999/sample.{num}" if rand() < 0.93 else None
        refs = sorted({int(rand() * self.works) for _ in range(int(rand() * 6))} - {i})
        work = {
            "id": f"{OA}W{num}", "doi": f"https://doi.org/{doi}" if doi else None, "title": title,
            "display_name": title, "type": kind, "publication_year": year, "cited_by_count": cites,
            "counts_by_year": self._counts(year, cites),
            "updated_date": self.current[int(rand() * len(self.current))],
            "primary_topic": None if rand() < 0.005 else self.topics[fld].pick(rng),
            "authorships": authorships, "grants": grants,
            "referenced_works": [f"{OA}W{FIRST_WORK + j}" for j in refs],
        }  # fmt: skip
        patents: list[tuple[int, str]] = []
        if rand() < 0.013 * FIELDS[fld][4] * min(4.0, 0.5 + cites / 25):  # applied, well-cited work
            cited = doi if doi and rand() < 0.7 else f"{OA}W{num}" if rand() < 0.5 else f"W{num}"
            families = {int(rand() * self.families) for _ in range(1 + (rand() < 0.3) + (rand() < 0.1))}
            patents = [(50_000_000 + f, cited) for f in sorted(families)]
        return work, patents

    def _poisson(self, lam: float) -> int:
        rng = self.rng
        if lam >= 30:  # the normal approximation; the multiplication method would loop too long
            return max(0, round(rng.gauss(lam, math.sqrt(lam))))
        limit, k, p = math.exp(-lam), 0, rng.random()
        while p > limit:
            k += 1
            p *= rng.random()
        return k

    def _counts(self, year: int, cites: int) -> list[Json]:
        """Citations split over the years since publication; newest year first, as OpenAlex lists them."""
        if not cites:
            return []
        table = self.cite_years[year]
        # each year's expected share rounded down, then the few left over drawn one by one
        counts = [int(cites * share) for share in self.cite_shares[year]]
        for _ in range(cites - sum(counts)):
            counts[bisect.bisect(table.cum, self.rng.random())] += 1
        pairs = zip(reversed(table.items), reversed(counts), strict=True)
        return [{"year": y, "cited_by_count": c} for y, c in pairs if c]

    def older(self, work: Json) -> Json:
        """An earlier snapshot of a cited work: an older updated_date and a few citations fewer."""
        drop = self.rng.randint(1, min(3, work["cited_by_count"]))
        counts = [dict(c) for c in work["counts_by_year"]]
        for c in counts:  # the newest years lose the citations the older snapshot had not seen yet
            take = min(drop, c["cited_by_count"])
            c["cited_by_count"] -= take
            drop -= take
        return {**work, "cited_by_count": sum(c["cited_by_count"] for c in counts),
                "counts_by_year": [c for c in counts if c["cited_by_count"]],
                "updated_date": self.rng.choice(self.earlier)}  # fmt: skip


def _write_works(
    world: _World, files: SampleFiles, note: str, progress: Callable[[int, int], None] | None
) -> None:
    rng, total = world.rng, world.works
    # orjson writes what json.dumps(ensure_ascii=False, separators=(",", ":")) would, about ten times faster
    dumps = orjson.dumps
    pending: deque[tuple[int, bytes]] = deque()  # older copies of duplicated works, written ~1000 works later
    buffer: list[bytes] = []
    with (
        files.works.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=5) as gz,
        files.patents.open("w", encoding="utf-8-sig", newline="") as pat,
    ):
        patents = csv.writer(pat, lineterminator="\n")
        patents.writerow(["patent_family_id", "cited_work", "note"])
        for i in range(total):
            work, cited_by = world.work(i)
            if work["cited_by_count"] and rng.random() < 0.007:  # the newer version comes first in the file
                pending.append((i + 997, dumps(world.older(work))))
                work["updated_date"] = rng.choice(world.newer)
            buffer.append(dumps(work))
            while pending and (pending[0][0] <= i or i == total - 1):
                buffer.append(pending.popleft()[1])
            if cited_by:
                patents.writerows((*row, note) for row in cited_by)
            if len(buffer) >= 1000 or i == total - 1:
                gz.write(b"\n".join(buffer) + b"\n")
                buffer.clear()
            if progress and ((i + 1) % 1000 == 0 or i == total - 1):
                progress(i + 1, total)


def _write_funding(
    rng: random.Random, path: Path, insts: list[Institution], pool: list[Researcher], note: str
) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(FUNDING_HEADER)
        for r in pool:  # competitive awards: one row per fiscal year, the first year's larger (equipment)
            for a in r.awards:
                for fy in range(max(a.first_fy, FIRST_YEAR), min(a.last_fy, LAST_YEAR) + 1):
                    share = rng.uniform(0.9, 1.1) * (1.3 if fy == a.first_fy else 1.0)
                    amount = round(a.amount * share / 10) * 10
                    row = [a.award_id, FUNDERS[a.funder][0], a.program, a.kind, r.inst.short, r.number, fy]
                    out.writerow([*row, f"{amount:,}", note])
        for inst in (i for i in insts if i.country == "JP" and i.kind != "company"):
            if inst.kind != "healthcare":  # block grants, shrinking ~1% a year as they have
                base = inst.size * rng.uniform(2.5e6, 3.5e6)
                ministries = ("文部科学省", "経済産業省") if inst.kind == "government" else ("文部科学省",)
                ministry, opex = rng.choice(ministries), "運営費交付金"
                for fy in YEARS:
                    amount = round(base * 0.99 ** (fy - FIRST_YEAR) / 1000) * 1000
                    row = [f"OPEX-{inst.short}-{fy}", ministry, opex, opex, inst.short, "", fy]
                    out.writerow([*row, f"{amount:,}", note])
            for fy in YEARS:  # money no work acknowledges: commissioned, industry, donations
                for code, kind, funder, low, high in (
                    ("COM", "受託研究", "経済産業省", 5_000, 80_000),
                    ("IND", "民間企業との共同研究", f"SAMPLE 株式会社 {'ABCD'[fy % 4]}", 1_000, 30_000),
                    ("DON", "寄附金", f"SAMPLE 財団 {'ABC'[fy % 3]}", 500, 10_000),
                ):
                    if rng.random() < 0.3:
                        row = [f"{code}-{inst.short}-{fy}", funder, kind, kind, inst.short, "", fy]
                        out.writerow([*row, f"{rng.randint(low, high):,}", note])


def _write_researchers(rng: random.Random, path: Path, pool: list[Researcher], note: str) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(RESEARCHER_HEADER)
        for r in pool:
            # most files give no stage (it is derived from the birth year); some give it as of the last year
            stage = _stage(LAST_YEAR - r.birth)[0] if rng.random() < 0.12 else ""
            row = [r.number, r.author["id"], r.author["orcid"] or "", GENDERS[r.gender], r.birth, stage]
            out.writerow([*row, FIELDS[r.field][0], r.inst.short, note])


README = """SAMPLE DATA — SYNTHETIC, NOT REAL STATISTICS

These files were made by `ebpm research sample` (seed={seed}, {works:,} works). Every work,
researcher, institution, award, amount and patent citation is invented by a random generator;
titles and institution names say SAMPLE and no institution is real. Use them to try the
research analytics. Do not cite any number computed from them as a real statistic.

  sample-works.jsonl.gz     OpenAlex-style works (JSON Lines, gzip)
  sample-funding.csv        funding records (配分額 in 千円)
  sample-researchers.csv    Japanese researchers (e-Rad numbers, gender, birth year)
  sample-patents.csv        patent families citing sample works
"""


def _pool_size(works: int) -> int:
    """~6,000 researchers for 50,000 works; grows with the square root, capped so memory stays small."""
    return min(30_000, max(500, round(6_000 * math.sqrt(works / 50_000))))


def generate(
    directory: Path, works: int = 50_000, seed: int = 1, progress: Callable[[int, int], None] | None = None
) -> SampleFiles:
    """Write the sample world to ``directory``; ``progress(done, total)`` is called every 1000 works."""
    if works < 1:
        raise ValueError("works: give at least 1")
    directory.mkdir(parents=True, exist_ok=True)
    files = SampleFiles(
        directory,
        directory / "sample-works.jsonl.gz",
        directory / "sample-funding.csv",
        directory / "sample-researchers.csv",
        directory / "sample-patents.csv",
        directory / "README-SAMPLE.txt",
    )
    rng = random.Random(seed)
    note = f"{SAMPLE_LABEL} (synthetic, seed={seed})"
    insts = _institutions(rng)
    pool = _researchers(rng, _pool_size(works), [i for i in insts if i.country == "JP"])
    _write_works(_World(rng, insts, pool, works), files, note, progress)
    _write_funding(rng, files.funding, insts, pool, note)
    _write_researchers(rng, files.researchers, pool, note)
    files.readme.write_text(README.format(seed=seed, works=works), encoding="utf-8")
    return files

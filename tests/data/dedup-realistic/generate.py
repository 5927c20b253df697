#!/usr/bin/env python3
"""A realistic deduplication test set, made independently of `br gen` (issue 14).

About 3,000 registrations in the import's CSV format: Latin, Arabic and Ethiopic names; 40 % of adults
without a national ID; one phone for a whole household; birth dates as people give them (1 January of an
estimated year, flagged or not); and people registered again in later campaigns with their names in another
script or spelling, given and family name swapped, dates made exact or a year off or with day and month
swapped, households registered again with new references and phones, and people listed again in another
household. It also plants the people who must stay apart: twins with similar names, fathers and sons with
one name, mothers and daughters with one given name, and common names born on the same 1 January in one
area.

Writes, next to this file:
- people.csv     the registrations (columns of `br import`)
- areas.csv      the areas they live in
- truth.csv      every pair of registrations of one person, with how the later one differs
- confusers.csv  pairs of different people who look alike, by kind

Deterministic: `python3 generate.py` writes the same files every time (seed below).
"""

import csv
import itertools
import os
import random

SEED = 2026_11_30
# The campaigns' year: every birth date lies before its end (an import refuses dates in the future).
AS_OF = 2025
HERE = os.path.dirname(os.path.abspath(__file__))

AREAS = [("D01", "North District"), ("D02", "River District"), ("D03", "Hill District"),
         ("D04", "Lake District"), ("D05", "Valley District"), ("D06", "Market District")]
# The script a clerk in each area writes in, most of the time.
AREA_SCRIPT = {"D01": "latin", "D02": "latin", "D03": "arabic", "D04": "arabic", "D05": "ethiopic",
               "D06": "ethiopic"}

# One person's name as clerks write it: Latin spellings (the first is the usual one), Arabic, Ethiopic.
MALE = [
    (["Mohamed", "Muhammad", "Mohammed", "Mohamad"], "محمد", "ሙሐመድ"),
    (["Ahmed", "Ahmad"], "أحمد", "አሕመድ"),
    (["Hassan", "Hasan"], "حسن", "ሀሰን"),
    (["Hussein", "Husein", "Hussain"], "حسين", "ሁሴን"),
    (["Ali"], "علي", "አሊ"),
    (["Omar", "Umar"], "عمر", "ዑመር"),
    (["Ibrahim", "Ibraahim"], "إبراهيم", "ኢብራሂም"),
    (["Yusuf", "Yussuf", "Youssef"], "يوسف", "ዩሱፍ"),
    (["Musa", "Moussa"], "موسى", "ሙሳ"),
    (["Abdullahi", "Abdulahi", "Abdallah"], "عبدالله", "አብዱላሂ"),
    (["Osman", "Othman", "Usman"], "عثمان", "ዑስማን"),
    (["Adam", "Adan"], "آدم", "አዳም"),
    (["Idris", "Idriss"], "إدريس", "ኢድሪስ"),
    (["Bekele"], None, "በቀለ"),
    (["Girma"], None, "ግርማ"),
    (["Amadou", "Ahmadou"], None, None),
    (["Kofi"], None, None),
    (["Lukasz", "Łukasz"], None, None),
]
FEMALE = [
    (["Fatima", "Fatuma", "Fatimah"], "فاطمة", "ፋጡማ"),
    (["Amina", "Aminah"], "أمينة", "አሚና"),
    (["Aisha", "Aysha", "Aicha"], "عائشة", "ዓይሻ"),
    (["Halima", "Haleema"], "حليمة", "ሐሊማ"),
    (["Khadija", "Hadija", "Kadija"], "خديجة", "ከድጃ"),
    (["Mariam", "Maryam", "Meryem"], "مريم", "መርየም"),
    (["Zainab", "Zeinab", "Zaynab"], "زينب", "ዘይነብ"),
    (["Hawa", "Hawaa"], "حواء", "ሐዋ"),
    (["Asha", "Asha'"], "عاشة", "አሻ"),
    (["Salima", "Saleema"], "سليمة", "ሰሊማ"),
    (["Nura", "Noura"], "نورة", "ኑራ"),
    (["Almaz"], None, "አልማዝ"),
    (["Tigist"], None, "ትግስት"),
    (["Grace"], None, None),
    (["Mary", "Marie"], None, None),
]
FAMILY = [
    (["Mohamed", "Mohammed", "Muhammad"], "محمد", "ሙሐመድ"),
    (["Hassan", "Hasan"], "حسن", "ሐሰን"),
    (["Ali"], "علي", "አሊ"),
    (["Konate", "Konaté"], "كوناتي", "ኮናቴ"),
    (["Diallo", "Jallow"], "ديالو", "ዲያሎ"),
    (["Traore", "Traoré"], "تراوري", "ትራኦሬ"),
    (["Osman", "Othman"], "عثمان", "ዑስማን"),
    (["Abdi", "Abdie"], "عبدي", "አብዲ"),
    (["Warsame", "Warsama"], "ورسمه", "ዋርሳሜ"),
    (["Ibrahim", "Ibraahim"], "إبراهيم", "ኢብራሂም"),
    (["Yusuf", "Yussuf"], "يوسف", "ዩሱፍ"),
    (["Bekele"], None, "በቀለ"),
    (["Tesfaye", "Tesfay"], None, "ተስፋዬ"),
    (["Haile", "Hailu"], None, "ኃይሌ"),
    (["Kamara"], None, None),
]
# Twins are given names that differ by a letter or two.
TWIN_NAMES = {False: [(2, 3), (11, 0), (14, 10)], True: [(2, 8), (3, 9), (1, 0)]}

rng = random.Random(SEED)


def spelled(entry, script, variant=0):
    """A name in a script, or None when clerks do not write it in that script."""
    latin, arabic, ethiopic = entry
    if script == "latin":
        return latin[min(variant, len(latin) - 1)]
    return arabic if script == "arabic" else ethiopic


def write_script(area):
    script = AREA_SCRIPT[area]
    return script if rng.random() < 0.85 else rng.choice(["latin", "arabic", "ethiopic"])


class Person:
    """One human being; each registration of them is a row."""
    count = 0

    def __init__(self, female, given, family, birth_year, area, household):
        Person.count += 1
        self.key = Person.count
        self.female = female
        self.given = given
        self.family = family
        self.year = birth_year
        # Most people know their birthday; a third give only a year (an estimate), written as 1 January.
        self.approx = rng.random() < 0.35
        self.month, self.day = rng.randint(1, 12), rng.randint(1, 28)
        self.area = area
        self.household = household
        self.national_id = None
        self.phone = None
        self.registrations = []

    def names(self):
        return (FEMALE if self.female else MALE)[self.given], FAMILY[self.family]


class Registration:
    count = 0

    def __init__(self, person, campaign, script, household_ref, relationship):
        Registration.count += 1
        self.external_id = f"C{campaign}-{Registration.count:05d}"
        self.person = person
        given, family = person.names()
        usable = script if spelled(given, script) and spelled(family, script) else "latin"
        self.given = spelled(given, usable)
        self.family = spelled(family, usable)
        if person.approx:
            self.birth = f"{person.year}-01-01"
            self.approx = rng.random() < 0.7  # the flag is often forgotten
        else:
            self.birth = f"{person.year}-{person.month:02d}-{person.day:02d}"
            self.approx = False
        self.phone = person.phone
        self.national_id = person.national_id
        self.area = person.area
        self.household_ref = household_ref
        self.relationship = relationship
        self.variation = ""
        person.registrations.append(self)

    def row(self):
        return [self.external_id, self.given, self.family, "female" if self.person.female else "male",
                self.birth, "true" if self.approx else "", self.phone or "", "", self.area,
                self.household_ref, self.relationship, self.national_id or "", ""]


def phone():
    return "+2519" + "".join(rng.choice("0123456789") for _ in range(8))


def national_id():
    return "NID" + "".join(rng.choice("0123456789") for _ in range(9))


people, households, confusers = [], [], []


def new_person(female, given, family, lo, hi, area, household, adult_id=True):
    p = Person(female, given, family, AS_OF - rng.randint(lo, hi), area, household)
    if AS_OF - p.year >= 18 and adult_id and rng.random() < 0.6:
        p.national_id = national_id()
    people.append(p)
    return p


def household(n):
    area = rng.choice(AREAS)[0]
    family = rng.randrange(len(FAMILY))
    head_female = rng.random() < 0.25
    head = new_person(head_female, rng.randrange(len(FEMALE if head_female else MALE)), family, 25, 75, area, n)
    members = [(head, "head")]
    size = rng.choice([1, 2, 3, 3, 4, 4, 5, 5, 6, 7, 8])
    if size > 1:
        spouse = new_person(not head_female, rng.randrange(len(MALE if head_female else FEMALE)),
                            rng.randrange(len(FAMILY)), 20, 70, area, n)
        members.append((spouse, "spouse"))
    for _ in range(max(0, size - 2)):
        female = rng.random() < 0.5
        child = new_person(female, rng.randrange(len(FEMALE if female else MALE)), family, 0, 24, area, n)
        members.append((child, "child"))
    mother = next((p for p, r in members if p.female and r in ("head", "spouse")), None)
    father = next((p for p, r in members if not p.female and r in ("head", "spouse")), None)
    roll = rng.random()
    if roll < 0.05 and size >= 3:
        # Twins: same day, names a letter or two apart.
        female = rng.random() < 0.5
        a, b = rng.choice(TWIN_NAMES[female])
        first = new_person(female, a, family, 0, 17, area, n)
        second = new_person(female, b, family, 0, 17, area, n)
        second.year, second.month, second.day, second.approx = first.year, first.month, first.day, first.approx
        members += [(first, "child"), (second, "child")]
        confusers.append((first, second, "twins"))
    elif roll < 0.10 and father is not None and AS_OF - father.year >= 40:
        # A son named after his father.
        son = new_person(False, father.given, father.family, 16, AS_OF - father.year - 20, area, n)
        members.append((son, "child"))
        confusers.append((father, son, "father_son"))
    elif roll < 0.15 and mother is not None and AS_OF - mother.year >= 38:
        daughter = new_person(True, mother.given, family, 14, AS_OF - mother.year - 18, area, n)
        members.append((daughter, "child"))
        confusers.append((mother, daughter, "mother_daughter"))
    # One phone serves the household: the head's, often written on the adults' records too.
    shared = phone() if rng.random() < 0.75 else None
    for p, relationship in members:
        adult = AS_OF - p.year >= 16
        if relationship == "head" or (adult and shared and rng.random() < 0.6):
            p.phone = shared
        elif adult and rng.random() < 0.2:
            p.phone = phone()
    households.append((n, area, members))
    return area, members


for n in range(1, 541):
    household(n)

# Common names, born "1 January" of one year, in one area, in different households: different people.
for _ in range(30):
    area = rng.choice(AREAS)[0]
    female = rng.random() < 0.5
    # The most common names: Mohamed or Fatima, family name Mohamed.
    given, family, year = 0, 0, AS_OF - rng.randint(30, 60)
    pair = []
    for _ in range(2):
        n = len(households) + 1
        p = new_person(female, given, family, 30, 30, area, n)
        p.year, p.approx = year, True
        p.phone = phone() if rng.random() < 0.5 else None
        households.append((n, area, [(p, "head")]))
        pair.append(p)
    confusers.append((pair[0], pair[1], "common_name_same_date"))

# Campaign 1: everyone once, in the clerk's script of each household.
for n, area, members in households:
    script = write_script(area)
    for p, relationship in members:
        Registration(p, 1, script, f"HH1-{n:04d}", relationship)


def vary(reg, person, kinds):
    """Applies one registration's differences from the person's first one; returns those that changed it."""
    before = (reg.given, reg.family, reg.birth, reg.national_id, reg.phone)
    applied = set()
    given, family = person.names()
    if "other_script" in kinds:
        first = person.registrations[0]
        scripts = [s for s in ("latin", "arabic", "ethiopic")
                   if spelled(given, s) and spelled(family, s) and spelled(given, s) != first.given]
        if scripts:
            s = rng.choice(scripts)
            reg.given, reg.family = spelled(given, s), spelled(family, s)
            applied.add("other_script")
    if "spelling" in kinds and len(given[0]) > 1 and reg.given in given[0]:
        reg.given = rng.choice([v for v in given[0] if v != reg.given])
        applied.add("spelling")
    if "swapped_columns" in kinds:
        reg.given, reg.family = reg.family, reg.given
        applied.add("swapped_columns")
    if "approx_to_exact" in kinds and person.approx:
        reg.birth, reg.approx = f"{person.year}-{person.month:02d}-{person.day:02d}", False
        applied.add("approx_to_exact")
    if "year_off" in kinds:
        year = int(reg.birth[:4]) + rng.choice([-1, 1])
        if year > AS_OF:
            year -= 2
        reg.birth = f"{year}{reg.birth[4:]}"
        applied.add("year_off")
    if "day_month_swap" in kinds:
        y, m, d = reg.birth.split("-")
        if int(d) <= 12 and d != m:
            reg.birth = f"{y}-{d}-{m}"
            applied.add("day_month_swap")
    if "no_id" in kinds and reg.national_id:
        reg.national_id = None
        applied.add("no_id")
    if "new_phone" in kinds:
        reg.phone = phone()
        applied.add("new_phone")
    if (reg.given, reg.family, reg.birth, reg.national_id, reg.phone) == before:
        applied.discard("swapped_columns")
    return applied


def label(applied, *extra):
    return "+".join(sorted(set(applied) | set(extra))) or "registered_again"


VARIATIONS = ["other_script", "spelling", "swapped_columns", "approx_to_exact", "year_off", "day_month_swap",
              "no_id", "new_phone"]


def campaign_kinds():
    kinds = set(rng.sample(VARIATIONS, rng.choice([1, 1, 2, 2, 3])))
    if rng.random() < 0.5:
        kinds.add("no_id")
    return kinds


# Campaign 2: households registered again (new reference and phone, the same people, no IDs on members).
again = rng.sample([h for h in households if len(h[2]) >= 2], 40)
for n, area, members in again:
    script = write_script(area)
    ref = f"HH2-{n:04d}"
    new = phone()
    for p, relationship in members:
        reg = Registration(p, 2, script, ref, relationship)
        reg.phone = new if relationship == "head" else None
        reg.national_id = None if relationship != "head" else reg.national_id
        spelling = vary(reg, p, {"spelling"}) if rng.random() < 0.3 else set()
        reg.variation = label(spelling, "household_registered_again")

# Campaign 2: individuals registered again in their own household, and people listed in another one.
singles = rng.sample([p for p in people if len(p.registrations) == 1], 330)
for i, p in enumerate(singles):
    kinds = campaign_kinds()
    if i % 6 == 0 and AS_OF - p.year >= 18:
        # Moved, married, a second wife's household: listed again in another household of the area.
        target = rng.choice([h for h in households if h[1] == p.area and h[0] != p.household])
        reg = Registration(p, 2, write_script(p.area), f"HH1-{target[0]:04d}", "other_relative")
        reg.variation = label(vary(reg, p, kinds), "other_household")
    else:
        reg = Registration(p, 2, write_script(p.area), f"HH1-{p.household:04d}", "other_relative")
        reg.variation = label(vary(reg, p, kinds))
    # A few are registered a third time, differently again.
    if i % 10 == 0:
        third = Registration(p, 3, write_script(p.area), f"HH1-{p.household:04d}", "other_relative")
        third.variation = label(vary(third, p, campaign_kinds()), "third_registration")

rows = sorted((r for p in people for r in p.registrations), key=lambda r: r.external_id)
# A household's rows must be next to each other in an import: someone a later campaign added to an earlier
# household is written after that household's first rows.
first_row = {}
for r in rows:
    first_row.setdefault(r.household_ref or r.external_id, r.external_id)
rows.sort(key=lambda r: (first_row[r.household_ref or r.external_id], r.external_id))
with open(os.path.join(HERE, "people.csv"), "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["external_id", "given_name", "family_name", "sex", "birth_date", "birth_date_approx", "phone",
                "financial_address", "area", "household_ref", "relationship", "id:national_id", "tags"])
    for r in rows:
        w.writerow(r.row())

with open(os.path.join(HERE, "areas.csv"), "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["code", "label"])
    w.writerows(AREAS)

with open(os.path.join(HERE, "truth.csv"), "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["original_external_id", "duplicate_external_id", "variation"])
    for p in people:
        for a, b in itertools.combinations(p.registrations, 2):
            w.writerow([a.external_id, b.external_id, b.variation or "registered_again"])

with open(os.path.join(HERE, "confusers.csv"), "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["a_external_id", "b_external_id", "kind"])
    for a, b, kind in confusers:
        for ra, rb in itertools.product(a.registrations, b.registrations):
            w.writerow([ra.external_id, rb.external_id, kind])
    # Different people of one household sharing its phone, as a clerk wrote it in campaign 1.
    for n, area, members in households:
        phoned = [p for p, _ in members if p.phone]
        for a, b in itertools.combinations(phoned, 2):
            if a.phone == b.phone:
                w.writerow([a.registrations[0].external_id, b.registrations[0].external_id, "shared_phone"])

print(f"{len(rows)} registrations of {len(people)} people in {len(households)} households; "
      f"{sum(len(p.registrations) * (len(p.registrations) - 1) // 2 for p in people)} true pairs")

"""The bad scenario files the loader has been tried with, and what its refusal must say. Used by the tests
(test_validation.py) and by docs/build_docs.py, which writes docs/validation.md: each case with the actual message.

A case is (what is wrong, the file as given, fragments the message must contain). Files are parsed as an upload
named `bad.toml` whose `extends` is looked up in the scenario library.
"""

from __future__ import annotations

HEAD = '[scenario]\nname = "t"\n'
BIG = 256 * 1024 + 1

CASES: list[tuple[str, str | bytes, list[str]]] = [
    # The file itself
    ("empty file", "", ["bad.toml", "the file is empty"]),
    ("only whitespace", "  \n\n", ["the file is empty"]),
    ("not TOML", "this is not toml = = =", ["bad.toml", "not valid TOML"]),
    ("unclosed table header", "[scenario\nname = 'x'\n", ["not valid TOML"]),
    ("binary, not UTF-8", b"\xff\xfe\x00garbage", ["bad.toml", "not a UTF-8 text file"]),
    ("text with a lone surrogate (from Python code)", "\ud800" + HEAD, ["bad.toml", "not valid Unicode text"]),
    ("too large", HEAD + "# " + "x" * BIG, ["too large for a scenario file", "262,144"]),
    ("no [scenario] table", "[parameters]\nx = 1\n", ["missing [scenario] table with a name"]),
    # [scenario]
    (
        "unknown scenario field",
        HEAD + "colour = 'red'\n",
        ["unknown field scenario.colour", "allowed: name, description"],
    ),
    ("name with spaces", '[scenario]\nname = "Bad Name!"\n', ["scenario.name", "'Bad Name!'"]),
    ("name is a number", "[scenario]\nname = 5\n", ["scenario.name", "5"]),
    ("end before start", HEAD + "start = 2025-01-01\nend = 2020-01-01\n", ["end (2020-01-01) must be after start"]),
    ("start before the model's period", HEAD + "start = 2010-01-01\n", ["scenario", "2010-01-01", "outside"]),
    ("end after the model's period", HEAD + "end = 2040-12-31\n", ["scenario", "2040-12-31", "outside"]),
    ("date that is not a date", HEAD + 'start = "next spring"\n', ["scenario.start", "'next spring'"]),
    ("impossible date", HEAD + 'start = "2020-02-30"\n', ["scenario.start", "'2020-02-30'"]),
    # extends
    (
        "extends an unknown scenario",
        HEAD + 'extends = "no_such_scenario"\n',
        ["scenario.extends = 'no_such_scenario'", "no such scenario file; looked for"],
    ),
    ("extends outside the project", HEAD + 'extends = "/etc/passwd"\n', ["scenario.extends", "/etc/passwd"]),
    (
        "extends a parent folder",
        HEAD + 'extends = "../../../../../../../../../../../../etc/hosts"\n',
        ["scenario.extends", "etc/hosts"],
    ),
    ("extends is not text", HEAD + "extends = 3\n", ["scenario.extends", "3"]),
    # [parameters]
    (
        "unknown parameter (a typo)",
        HEAD + "[parameters]\novrdose_rate_per_year = 0.2\n",
        ["unknown parameter 'ovrdose_rate_per_year'", "did you mean overdose_rate_per_year?"],
    ),
    (
        "parameter as text",
        HEAD + "[parameters]\noverdose_rate_per_year = 'high'\n",
        ["parameters.overdose_rate_per_year", "'high'", "must be a number"],
    ),
    (
        "parameter as true/false",
        HEAD + "[parameters]\noverdose_rate_per_year = true\n",
        ["parameters.overdose_rate_per_year", "must be a number"],
    ),
    (
        "probability above 1",
        HEAD + "[parameters]\ndivert_engagement_prob = 1.5\n",
        ["divert_engagement_prob = 1.5", "between 0 and 1"],
    ),
    ("share below 0", HEAD + "[parameters]\nocu_male_share = -0.1\n", ["ocu_male_share = -0.1", "between 0 and 1"]),
    (
        "negative count",
        HEAD + "[parameters]\nocu_total_2019 = -5\n",
        ["ocu_total_2019 = -5", "between 0 and 2,928,592 persons"],
    ),
    ("not a number (nan)", HEAD + "[parameters]\nocu_total_2019 = nan\n", ["ocu_total_2019", "nan"]),
    ("infinite", HEAD + "[parameters]\nocu_total_2019 = inf\n", ["ocu_total_2019", "inf"]),
    ("parameters is not a table", "parameters = 5\n" + HEAD, ["parameters", "5"]),
    (
        "a parameter under [scenario]",
        HEAD + "overdose_rate_per_year = 0.2\n",
        ["unknown field scenario.overdose_rate_per_year"],
    ),
    # [interventions]
    ("unknown intervention", HEAD + "[interventions.magic]\n", ["unknown field interventions.magic", "divert", "cltf"]),
    (
        "unknown intervention field (a typo)",
        HEAD + "[interventions.divert]\nstrat = 2020-10-01\n",
        ["unknown field interventions.divert.strat", "start"],
    ),
    ("enabled as text", HEAD + "[interventions.divert]\nenabled = 'yes'\n", ["interventions.divert.enabled", "'yes'"]),
    (
        "lever as true/false",
        HEAD + "[interventions.divert]\nengagement_prob = true\n",
        ["interventions.divert.engagement_prob", "must be a number"],
    ),
    (
        "lever probability above 1",
        HEAD + "[interventions.divert]\nengagement_prob = 2.0\n",
        ["engagement_prob = 2", "between 0 and 1"],
    ),
    (
        "intervention end before start",
        HEAD + "[interventions.cltf]\nstart = 2026-01-01\nend = 2022-01-01\n",
        ["interventions.cltf", "must be after start"],
    ),
    (
        "intervention outside the period",
        HEAD + "[interventions.cltf]\nstart = 2040-01-01\n",
        ["interventions.cltf", "outside the simulated period"],
    ),
    (
        "CLTF funding negative",
        HEAD + "[interventions.cltf]\nannual_funding_gbp = -1\n",
        ["annual_funding_gbp = -1", "between 0 and 1,000,000,000 GBP a year"],
    ),
    (
        "HAT places negative",
        HEAD + "[interventions.hat]\nplaces = { birmingham = -50 }\n",
        ["interventions.hat.places.birmingham", "-50", "a whole number between 0 and 30,000"],
    ),
    (
        "HAT places fractional",
        HEAD + "[interventions.hat]\nplaces = { birmingham = 2.5 }\n",
        ["interventions.hat.places.birmingham", "2.5"],
    ),
    (
        "unknown local authority",
        HEAD + "[interventions.hat]\nplaces = { gotham = 5 }\n",
        ["interventions.hat.places.gotham", "birmingham", "wolverhampton"],
    ),
    (
        "local authority in capitals",
        HEAD + "[interventions.hat]\nplaces = { Birmingham = 5 }\n",
        ["interventions.hat.places.Birmingham", "birmingham"],
    ),
    (
        "hostel coverage above 1",
        HEAD + "[interventions.naloxone_hostels]\ncoverage = { coventry = 1.5 }\n",
        ["interventions.naloxone_hostels.coverage.coventry", "1.5"],
    ),
    (
        "schedule amount negative",
        HEAD + "[interventions.o2r]\nschedule = [{ date = 2021-01-01, area = 'coventry', amount = -1 }]\n",
        ["interventions.o2r.schedule.0.amount", "-1"],
    ),
    (
        "schedule area unknown",
        HEAD + "[interventions.naloxone_officers]\nschedule = [{ date = 2021-01-01, area = 'narnia', amount = 5 }]\n",
        ["interventions.naloxone_officers.schedule.0.area", "narnia", "birmingham"],
    ),
    (
        "schedule date outside the period",
        HEAD + "[interventions.o2r]\nschedule = [{ date = 2035-01-01, area = 'coventry', amount = 1 }]\n",
        ["interventions.o2r.schedule.0", "2035-01-01", "outside the simulated period"],
    ),
    (
        "schedule entry missing its date",
        HEAD + "[interventions.o2r]\nschedule = [{ area = 'coventry', amount = 1 }]\n",
        ["interventions.o2r.schedule.0.date", "is required"],
    ),
    ("schedule is not a list", HEAD + "[interventions.o2r]\nschedule = 5\n", ["interventions.o2r.schedule", "5"]),
    (
        "wave area unknown",
        HEAD
        + "[interventions.nitazene_wave]\nwaves = [{ start = 2023-06-01, end = 2023-10-01, areas = ['atlantis'] }]\n",
        ["interventions.nitazene_wave.waves.0.areas.0", "atlantis"],
    ),
    (
        "wave ends before it starts",
        HEAD + "[interventions.nitazene_wave]\nwaves = [{ start = 2023-10-01, end = 2023-06-01 }]\n",
        ["interventions.nitazene_wave.waves.0", "must be after start"],
    ),
    (
        "wave size negative",
        HEAD
        + "[interventions.nitazene_wave]\n"
        + "waves = [{ start = 2023-06-01, end = 2023-10-01, overdose_multiplier = -2 }]\n",
        ["waves.0.overdose_multiplier", "-2"],
    ),
    (
        "O2R bed limit negative",
        HEAD + "[interventions.o2r]\nmax_residents = -3\n",
        ["interventions.o2r.max_residents", "-3"],
    ),
    (
        "O2R charity beds not a whole number",
        HEAD + "[interventions.o2r]\ncharity_beds = 2.5\n",
        ["interventions.o2r.charity_beds = 2.5", "whole number"],
    ),
    (
        "more custody blocks covered than the force has",
        HEAD + "[interventions.arrest_referral]\nblocks_covered = 9\n",
        ["blocks_covered = 9", "custody_blocks = 6"],
    ),
    (
        "reinvested share above 1",
        HEAD + "[interventions.asset_reinvestment]\nshare = 1.2\n",
        ["interventions.asset_reinvestment.share", "1.2"],
    ),
    # Strict types: a date is a TOML date, a count a TOML integer, text is text, true/false only for switches
    ("date as a number (seconds)", HEAD + "start = 1577836800\n", ["scenario.start = 1577836800", "TOML date"]),
    ("date in quotes", HEAD + 'start = "2020-01-01"\n', ["scenario.start = '2020-01-01'", "(no quotes)", "not text"]),
    ("date with a time", HEAD + "end = 2025-01-01T12:00:00\n", ["scenario.end", "not a date and time"]),
    (
        "description is a number",
        HEAD + "description = 5\n",
        ["scenario.description = 5", "must be text in quotes, not a whole number"],
    ),
    ("funding is a list", HEAD + "funding = ['a', 'b']\n", ["scenario.funding", "must be text in quotes, not a list"]),
    (
        "name is true/false",
        "[scenario]\nname = true\n",
        ["scenario.name = True", "must be text in quotes, not true/false"],
    ),
    (
        "intervention date as a number",
        HEAD + "[interventions.divert]\nstart = 20201001\n",
        ["interventions.divert.start = 20201001", "TOML date"],
    ),
    (
        "RADAR date in quotes",
        HEAD + "[interventions.arrest_referral]\nradar_start = '2024-05-02'\n",
        ["interventions.arrest_referral.radar_start = '2024-05-02'", "(no quotes)"],
    ),
    (
        "schedule date in quotes",
        HEAD + "[interventions.o2r]\nschedule = [{ date = '2021-01-01', area = 'coventry', amount = 1 }]\n",
        ["interventions.o2r.schedule.0.date = '2021-01-01'", "TOML date"],
    ),
    (
        "wave date as a number",
        HEAD + "[interventions.nitazene_wave]\nwaves = [{ start = 2023, end = 2023-10-01 }]\n",
        ["interventions.nitazene_wave.waves.0.start = 2023", "TOML date"],
    ),
    (
        "HAT places as text",
        HEAD + '[interventions.hat]\nplaces = { birmingham = "50" }\n',
        ["interventions.hat.places.birmingham = '50'", "a TOML integer", "not text"],
    ),
    (
        "HAT places as true/false",
        HEAD + "[interventions.hat]\nplaces = { birmingham = true }\n",
        ["interventions.hat.places.birmingham = True", "not true/false"],
    ),
    (
        "HAT places with a decimal point",
        HEAD + "[interventions.hat]\nplaces = { birmingham = 50.0 }\n",
        ["interventions.hat.places.birmingham = 50.0", "a TOML integer such as 50"],
    ),
    (
        "officers with a fraction",
        HEAD
        + "[interventions.naloxone_officers]\nschedule = [{ date = 2021-01-01, area = 'walsall', amount = 52.5 }]\n",
        ["interventions.naloxone_officers.schedule.0.amount = 52.5", "whole number"],
    ),
    (
        "O2R staff as text",
        HEAD + "[interventions.o2r]\nschedule = [{ date = 2021-01-01, area = 'coventry', amount = '2' }]\n",
        ["interventions.o2r.schedule.0.amount = '2'", "must be a number, not text"],
    ),
    (
        "O2R bed limit with a decimal point",
        HEAD + "[interventions.o2r]\nmax_residents = 12.0\n",
        ["interventions.o2r.max_residents = 12.0", "whole number"],
    ),
    (
        "hostel coverage as text",
        HEAD + "[interventions.naloxone_hostels]\ncoverage = { coventry = '0.5' }\n",
        ["interventions.naloxone_hostels.coverage.coventry = '0.5'", "must be a number"],
    ),
    (
        "hostel coverage as true/false",
        HEAD + "[interventions.naloxone_hostels]\ncoverage = { coventry = true }\n",
        ["interventions.naloxone_hostels.coverage.coventry = True", "not true/false"],
    ),
    (
        "Divert option as text",
        HEAD + "[interventions.divert]\npwits_eligible_share = '0.5'\n",
        ["interventions.divert.pwits_eligible_share = '0.5'", "must be a number"],
    ),
    (
        "switch as a number",
        HEAD + "[interventions.divert]\nsecond_chance = 1\n",
        ["interventions.divert.second_chance = 1", "must be true or false, not a whole number"],
    ),
    # Physical limits: whatever is plausible, a value must be possible (model/limits.py)
    (
        "parameter at the largest float",
        HEAD + "[parameters]\nocu_other_death_rate_per_year = 1e308\n",
        ["ocu_other_death_rate_per_year = 1e+308", "between 0 and 52 a year"],
    ),
    (
        "parameter with 400 digits",
        HEAD + "[parameters]\nocu_total_2019 = 1" + "0" * 400 + "\n",
        ["parameters.ocu_total_2019", "must be a finite number", "401 digits"],
    ),
    (
        "prison stay longer than the simulated period",
        HEAD + "[parameters]\nprison_mean_weeks = 1e20\n",
        ["prison_mean_weeks = 1e+20", "between 0 and 627 weeks"],
    ),
    (
        "price above any budget",
        HEAD + "[parameters]\nnaloxone_kit_cost_gbp = 5e12\n",
        ["naloxone_kit_cost_gbp = 5000000000000.0", "between 0 and 1,000,000,000 GBP", "£700m"],
    ),
    (
        "street spend above any budget",
        HEAD + "[parameters]\nocu_street_spend_gbp_per_week = 1e9\n",
        ["ocu_street_spend_gbp_per_week", "between 0 and 19,000,000 GBP a week"],
    ),
    (
        "more people than live in the West Midlands",
        HEAD + "[parameters]\nocu_total_2019 = 3e6\n",
        ["ocu_total_2019 = 3000000.0", "between 0 and 2,928,592 persons", "people living in the West Midlands"],
    ),
    (
        "settings that together create more people than live there",
        HEAD + "[parameters]\nocu_total_2019 = 2e6\nocu_initiation_per_year = 100000\n",
        ["bad.toml: parameters: these settings create", "more than the 2,928,592 people"],
    ),
    (
        "an age and a spread that together leave nobody aged 16-59",
        HEAD + "[parameters]\ncannabis_mean_age = 100\nuser_age_sd_years = 1\n",
        ["bad.toml: parameters: cannabis_mean_age = 100 with user_age_sd_years = 1", "puts nobody in the ages 16-59"],
    ),
    ("rate faster than weekly", HEAD + "[parameters]\noverdose_rate_per_year = 100\n", ["between 0 and 52 a year"]),
    (
        "multiplier above a hundredfold",
        HEAD + "[parameters]\nrelease_overdose_multiplier = 1000\n",
        ["release_overdose_multiplier = 1000", "between 0 and 100"],
    ),
    (
        "gamma shape of 0",
        HEAD + "[parameters]\noffending_heterogeneity_shape = 0\n",
        ["offending_heterogeneity_shape = 0", "between 0.01 and 100"],
    ),
    (
        "closure risk averaged over under a week",
        HEAD + "[parameters]\nrisk_perception_weeks = 0.5\n",
        ["risk_perception_weeks = 0.5", "between 1 and 627 weeks"],
    ),
    ("no crime groups", HEAD + "[parameters]\nocg_count = 0\n", ["ocg_count = 0", "between 1 and 10,000"]),
    (
        "more county lines than exist",
        HEAD + "[parameters]\nlines_initial_2019 = 1e6\n",
        ["lines_initial_2019 = 1000000.0", "between 0 and 5,000 lines"],
    ),
    (
        "CLTF funding above any budget",
        HEAD + "[interventions.cltf]\nannual_funding_gbp = 1e15\n",
        ["interventions.cltf", "cltf_annual_funding_gbp = 1000000000000000.0", "1,000,000,000 GBP a year"],
    ),
    (
        "HAT places beyond the population",
        HEAD + "[interventions.hat]\nplaces = { birmingham = 1_000_000_000_000_000_000_000_000_000_000 }\n",
        ["interventions.hat.places.birmingham", "a whole number between 0 and 30,000"],
    ),
    (
        "officers in one area beyond the force",
        HEAD
        + "[interventions.naloxone_officers]\nschedule = [{ date = 2021-01-01, area = 'walsall', amount = 9000 }]\n",
        ["interventions.naloxone_officers.schedule.0.amount = 9000", "between 0 and 8,000"],
    ),
    (
        "officers in all areas beyond the force",
        HEAD
        + "[interventions.naloxone_officers]\nschedule = [\n  { date = 2021-01-01, area = 'walsall', amount = 5000 },\n"
        + "  { date = 2022-01-01, area = 'dudley', amount = 5000 },\n]\n",
        ["interventions.naloxone_officers", "from 2022-01-01 the areas' officers add up to 10,000"],
    ),
    (
        "O2R staff beyond any team",
        HEAD + "[interventions.o2r]\nschedule = [{ date = 2021-01-01, area = 'coventry', amount = 5000 }]\n",
        ["interventions.o2r.schedule.0.amount = 5000", "between 0 and 1,000"],
    ),
    (
        "O2R bed limit beyond the population",
        HEAD + "[interventions.o2r]\nmax_residents = 10000000\n",
        ["interventions.o2r.max_residents = 10000000", "between 0 and 30,000"],
    ),
    (
        "wave size above a hundredfold",
        HEAD
        + "[interventions.nitazene_wave]\n"
        + "waves = [{ start = 2023-06-01, end = 2023-10-01, fatality_multiplier = 1e6 }]\n",
        ["waves.0.fatality_multiplier = 1000000.0", "between 0 and 100"],
    ),
    (
        "waves together above a hundredfold",
        HEAD
        + "[interventions.nitazene_wave]\nwaves = [\n"
        + "  { start = 2023-06-01, end = 2023-10-01, overdose_multiplier = 50 },\n"
        + "  { start = 2023-07-01, end = 2023-08-01, overdose_multiplier = 3, areas = ['birmingham'] },\n]\n",
        ["interventions.nitazene_wave: waves: from 2023-07-01", "in birmingham multiply overdose by 150 together"],
    ),
]

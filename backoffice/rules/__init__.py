"""The domain rules, each written once: pure functions of the reference data in force on a day.

No database session, no Flask, no translations here: a service (or the importer, the seed, a
dashboard) reads the dated reference data, passes the values in, and puts what a rule reports
(a ``Finding``: a code and its figures) in the user's words.

- ``kpj``: the membership number (10-digit serial + Luhn check digit)
- ``nik``: the national ID number's layout and its agreement with a birth date and sex
- ``contributions``: the monthly contribution, the PP 50/2025 discount, payment periods
- ``coverage``: months due, arrears, protection on a day
- ``eligibility``: ages, registration age, who may claim what when
- ``benefits``: the benefit amounts of PP 82/2019
- ``working_days``: the days a service target counts
"""

from .finding import Finding

__all__ = ["Finding"]

"""Lists at scale: a screen's list read one page at a time, whatever the size of its table.

No Flask here: the screen passes its session, its statements (scoped and filtered ``select()``)
and the application's limits, and gets a page back.

- ``pages``: one page of a list (``read_page``): the count, the page by ids or by the list's
  order, far pages refused, a searched page bounded in time;
- ``counts``: exact counts when cheap, PostgreSQL's estimate otherwise;
- ``bounds``: the deepest offset and the statement timeout of a searched page;
- ``search``: searches routed by the shape of the term (numbers, names, words of a note);
- ``names``: the name rule, how a name splits into words and what a typed word matches;
- ``name_search`` and ``words``: name searches read from the tables of name words (PostgreSQL).
"""

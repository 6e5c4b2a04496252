-- Whether DuckDB keeps rows in the order they went in. The staging and normalize statements
-- need no order (they pick by keys and timestamps), and keeping it makes DuckDB insert with one
-- thread: the staging inserts of 1M orders / 3M items took twice as long. Everything else keeps
-- it, e.g. the user's corrections SELECT, whose later rows override earlier ones.
SET preserve_insertion_order = $keep;

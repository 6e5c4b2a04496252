-- Rows in one view, named by a bound parameter (query_table resolves the name).
SELECT count(*) FROM query_table($name);
